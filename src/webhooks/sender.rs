//! The HTTP side of deliveries: one client per server, signed POSTs, outcomes in words.

use std::sync::OnceLock;
use std::time::Duration;

use super::model::{HEADER_DELIVERY, HEADER_EVENT, HEADER_SIGNATURE, Outcome, signature_header};
use super::store::Claimed;

/// How long a receiver has to answer (connecting included).
pub const TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest `last_error` kept.
const ERROR_MAX: usize = 500;

/// Sends deliveries. Holds one HTTP client (connection pool, TLS roots), built on first use.
#[derive(Default)]
pub struct Sender {
    client: OnceLock<reqwest::Client>,
}

impl Sender {
    fn client(&self) -> Result<&reqwest::Client, String> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            // A redirect is not a receipt: the receiver must answer 2xx at the registered URL
            // (following it would also turn the POST into a GET, or send the body elsewhere).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Valhalla-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the HTTP client could not be set up: {}", chain(&e)))?;
        Ok(self.client.get_or_init(|| client))
    }

    /// POSTs a claimed delivery, signed at `timestamp` (Unix seconds), and says how it went.
    pub async fn send(&self, delivery: &Claimed, timestamp: i64) -> Outcome {
        let client = match self.client() {
            Ok(client) => client,
            Err(reason) => return Outcome::NoAnswer(reason),
        };
        let body = delivery.payload.clone().into_bytes();
        let signature = signature_header(&delivery.secret, timestamp, &body);
        let sent = client
            .post(&delivery.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(HEADER_EVENT, &delivery.event)
            .header(HEADER_DELIVERY, &delivery.id)
            .header(HEADER_SIGNATURE, signature)
            .body(body)
            .send()
            .await;
        match sent {
            // The receiver's body is not read: only its status counts.
            Ok(response) => Outcome::Answered(response.status().as_u16()),
            Err(err) => Outcome::NoAnswer(describe(&err)),
        }
    }
}

/// A short reason for a failed request, without the URL (it may carry a receiver's token).
fn describe(err: &reqwest::Error) -> String {
    let text = if err.is_timeout() {
        format!("no answer within {} s", TIMEOUT.as_secs())
    } else if err.is_connect() {
        format!("could not connect: {}", chain(err))
    } else {
        chain(err)
    };
    truncate(text, ERROR_MAX)
}

/// An error and its causes, innermost last, without URLs.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = Vec::new();
    let mut current = Some(err);
    while let Some(e) = current {
        let text = match e.downcast_ref::<reqwest::Error>() {
            Some(r) => without_url(r),
            None => e.to_string(),
        };
        if !parts.contains(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn without_url(err: &reqwest::Error) -> String {
    let text = err.to_string();
    match err.url() {
        Some(url) => text
            .replace(&format!(" for url ({url})"), "")
            .replace(url.as_str(), "<url>"),
        None => text,
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_a_character_boundary() {
        assert_eq!(truncate("abc".into(), 5), "abc");
        assert_eq!(truncate("abcdef".into(), 3), "abc");
        assert_eq!(truncate("aé".into(), 2), "a");
    }
}
