//! Webhooks: what a registration and a delivery look like, and the pure rules — which URLs
//! and events are accepted, how a body is signed, when a failed delivery is tried again.

use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{ApiError, FieldError};

/// A new reminder was created.
pub const REMINDER_CREATED: &str = "reminder.created";
/// A new approval was requested (by a member, an automation or the scheduler).
pub const APPROVAL_REQUESTED: &str = "approval.requested";
/// Every event a webhook may subscribe to.
pub const EVENTS: &[&str] = &[REMINDER_CREATED, APPROVAL_REQUESTED];

/// Longest URL accepted, in bytes (as given and as normalised).
pub const URL_MAX: usize = 2048;

/// How many times a delivery is tried before it is given up as `failed`.
pub const MAX_ATTEMPTS: i64 = 12;
/// The wait after the first failed attempt; it doubles with each further failure.
pub const FIRST_BACKOFF_SECS: i64 = 30;
/// The longest wait between two attempts.
pub const MAX_BACKOFF_SECS: i64 = 3600;

/// Header names sent with every delivery.
pub const HEADER_EVENT: &str = "Valhalla-Event";
pub const HEADER_DELIVERY: &str = "Valhalla-Delivery";
pub const HEADER_SIGNATURE: &str = "Valhalla-Signature";

/// A registered webhook, as listed (the secret is shown only when it is created).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Webhook {
    pub id: String,
    /// Where deliveries are POSTed.
    #[schema(example = "https://example.org/hooks/valhalla")]
    pub url: String,
    /// The events delivered to it.
    #[schema(example = json!(["approval.requested"]))]
    pub events: Vec<String>,
    /// The name of the member who registered it.
    pub created_by: String,
    pub created_at: String,
}

/// A webhook just registered, with its signing secret (shown only in this answer).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The HMAC-SHA256 key for `Valhalla-Signature`: the whole string, as UTF-8 bytes.
    #[schema(example = "whsec_5f1c…")]
    pub secret: String,
}

/// `POST /core/webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An absolute `http` or `https` URL: a host name, IPv4 or IPv6 address, an optional port,
    /// a path and a query; no user info or fragment; at most 2048 characters.
    #[schema(
        value_type = crate::openapi::schemas::WebhookUrl,
        example = "https://example.org/hooks/valhalla"
    )]
    pub url: String,
    /// One or more of `reminder.created`, `approval.requested`.
    #[schema(value_type = Vec<crate::openapi::schemas::WebhookEvent>, min_items = 1,
        example = json!(["approval.requested", "reminder.created"]))]
    pub events: Vec<String>,
}

/// A checked registration, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDraft {
    pub url: String,
    pub events: Vec<String>,
}

impl NewWebhook {
    /// Checks the URL and the events; every field at fault is reported.
    pub fn validate(self) -> Result<WebhookDraft, ApiError> {
        let url = validate_url(&self.url);
        let events = validate_events(&self.events);
        match (url, events) {
            (Ok(url), Ok(events)) => Ok(WebhookDraft { url, events }),
            (url, events) => Err(ApiError::validation(
                [url.err(), events.err()].into_iter().flatten().collect(),
            )),
        }
    }
}

/// The URLs a webhook may have: `http` or `https`; a host name (labels of letters, digits and
/// single hyphens, each starting with a letter), a dotted IPv4 address or a bracketed IPv6 one;
/// an optional port; a path and a query of RFC 3986 characters (percent-escapes allowed). No
/// user info, no fragment. The OpenAPI document states the same pattern, so what it promises
/// and what is accepted are one grammar.
pub fn url_pattern() -> String {
    let label = "[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*";
    let octet = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
    let h = "[0-9A-Fa-f]{1,4}";
    let ipv6 = format!(
        "({h}:){{7}}{h}|({h}:){{1,7}}:|({h}:){{1,6}}:{h}|({h}:){{1,5}}(:{h}){{1,2}}\
         |({h}:){{1,4}}(:{h}){{1,3}}|({h}:){{1,3}}(:{h}){{1,4}}|({h}:){{1,2}}(:{h}){{1,5}}\
         |{h}:(:{h}){{1,6}}|:((:{h}){{1,7}}|:)"
    );
    let port = "(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}\
                |[1-9][0-9]{0,3}|0)";
    let chars = "[A-Za-z0-9._~!$&'()*+,;=:@/-]|%[0-9A-Fa-f]{2}";
    format!(
        "^https?://({label}(\\.{label})*|{octet}(\\.{octet}){{3}}|\\[({ipv6})\\])\
         (:{port})?(/({chars})*)?(\\?({chars}|\\?)*)?$"
    )
}

fn url_grammar() -> &'static regex::Regex {
    static GRAMMAR: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    GRAMMAR.get_or_init(|| {
        regex::Regex::new(&url_pattern())
            .unwrap_or_else(|e| unreachable!("the URL pattern is a valid regex: {e}"))
    })
}

/// Accepts an absolute `http`/`https` URL of [`url_pattern`]'s form, of at most [`URL_MAX`]
/// bytes. Answers the URL as it will be called (normalised by the parser, e.g. a lower-case
/// host and a `/` path when none was given).
pub fn validate_url(text: &str) -> Result<String, FieldError> {
    let bad = |message: &str| FieldError::new("url", message);
    if text.len() > URL_MAX {
        return Err(bad(&format!("must be at most {URL_MAX} characters")));
    }
    if text.trim() != text || text.is_empty() {
        return Err(bad(
            "must be an absolute URL without surrounding whitespace",
        ));
    }
    let url = url::Url::parse(text).map_err(|e| bad(&format!("is not a valid URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must use http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must not contain user info; put credentials in the path or query instead",
        ));
    }
    if url.fragment().is_some() {
        return Err(bad("must not contain a fragment (#…)"));
    }
    if !url_grammar().is_match(text) {
        return Err(bad(
            "must be a plain http(s) URL: a host name or address, an optional port, then a \
             path and query of RFC 3986 characters",
        ));
    }
    Ok(String::from(url))
}

/// Accepts one or more known events; duplicates are dropped (first occurrence kept).
pub fn validate_events(events: &[String]) -> Result<Vec<String>, FieldError> {
    if events.is_empty() {
        return Err(FieldError::new(
            "events",
            format!("must name at least one event ({})", EVENTS.join(", ")),
        ));
    }
    let mut unique: Vec<String> = Vec::new();
    for (i, event) in events.iter().enumerate() {
        if !EVENTS.contains(&event.as_str()) {
            return Err(FieldError::new(
                "events",
                format!(
                    "events[{i}] {event:?} is not an event; known: {}",
                    EVENTS.join(", ")
                ),
            ));
        }
        if !unique.contains(event) {
            unique.push(event.clone());
        }
    }
    Ok(unique)
}

/// A new signing secret: `whsec_` and 32 random bytes in hex.
pub fn generate_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!("whsec_{}", hex::encode(bytes)))
}

/// HMAC-SHA256 over `"<timestamp>.<body>"`, keyed with the secret's bytes.
fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Hex HMAC-SHA256 of `"<timestamp>.<body>"` keyed with the secret's bytes.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
}

/// The `Valhalla-Signature` header value: `t=<unix seconds>,v1=<hex HMAC>`.
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

/// Checks a `Valhalla-Signature` header against a body, as a receiver would: the MAC must
/// match (compared in constant time) and `t` be within `tolerance_secs` of `now`.
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64, tolerance_secs: i64) -> bool {
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => candidates.push(v),
            _ => {}
        }
    }
    let Some(t) = timestamp else {
        return false;
    };
    if now.abs_diff(t) > tolerance_secs.max(0).unsigned_abs() {
        return false;
    }
    // `verify_slice` compares in constant time and refuses a tag of the wrong length.
    candidates.into_iter().any(|candidate| {
        hex::decode(candidate).is_ok_and(|given| mac(secret, t, body).verify_slice(&given).is_ok())
    })
}

/// The wait before the next attempt after `attempts` attempts have failed:
/// 30 s × 2^(attempts − 1), at most one hour.
pub fn backoff(attempts: i64) -> chrono::Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 32) as u32;
    let secs = FIRST_BACKOFF_SECS
        .saturating_mul(1i64 << doublings)
        .min(MAX_BACKOFF_SECS);
    chrono::Duration::seconds(secs)
}

/// Whether a receiver's status code means "received".
pub fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Not yet received; tried again at `next_attempt_at`.
    Pending,
    /// A receiver answered 2xx.
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<DeliveryStatus> {
        match text {
            "pending" => Some(DeliveryStatus::Pending),
            "delivered" => Some(DeliveryStatus::Delivered),
            "failed" => Some(DeliveryStatus::Failed),
            _ => None,
        }
    }
}

/// One delivery of one event to one webhook.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    /// Also sent as `Valhalla-Delivery` and as the payload's `id`: the key to dedupe on.
    pub id: String,
    #[schema(example = "approval.requested")]
    pub event: String,
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: i64,
    /// When a pending delivery is tried next; `null` once delivered or failed.
    pub next_attempt_at: Option<String>,
    pub last_attempt_at: Option<String>,
    /// The receiver's status code at the last attempt; `null` if it did not answer.
    pub last_status_code: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: String,
    pub delivered_at: Option<String>,
}

/// What an attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered with this status code.
    Answered(u16),
    /// No answer: connection refused, timeout, TLS failure … (the reason).
    NoAnswer(String),
}

/// How a delivery's row changes after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub status: DeliveryStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
}

/// The row after attempt number `attempts` (counting this one) ended with `outcome` at `now`.
pub fn after_attempt(attempts: i64, outcome: &Outcome, now: DateTime<Utc>) -> Transition {
    let (status_code, error) = match outcome {
        Outcome::Answered(code) if is_success(*code) => {
            return Transition {
                status: DeliveryStatus::Delivered,
                next_attempt_at: None,
                status_code: Some(*code),
                error: None,
            };
        }
        Outcome::Answered(code) => (
            Some(*code),
            format!("the receiver answered {code} (expected 2xx)"),
        ),
        Outcome::NoAnswer(reason) => (None, reason.clone()),
    };
    let (status, next_attempt_at) = if attempts >= MAX_ATTEMPTS {
        (DeliveryStatus::Failed, None)
    } else {
        (DeliveryStatus::Pending, Some(now + backoff(attempts)))
    };
    Transition {
        status,
        next_attempt_at,
        status_code,
        error: Some(error),
    }
}

/// The document POSTed to receivers.
pub fn payload(
    delivery_id: &str,
    event: &str,
    household_id: &str,
    created_at: &str,
    data: &serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "id": delivery_id,
        "event": event,
        "household_id": household_id,
        "created_at": created_at,
        "data": data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn signature_matches_a_reference_hmac() {
        // python3: hmac.new(b"whsec_test", b'1764072000.{"id":"d1"}', hashlib.sha256).hexdigest()
        let body = br#"{"id":"d1"}"#;
        assert_eq!(
            signature("whsec_test", 1_764_072_000, body),
            "4575bda9ef5a296fc1d45daa4a3fcd98683576a79cde477cc08c48c157df9946"
        );
        assert_eq!(
            signature_header("whsec_test", 1_764_072_000, body),
            "t=1764072000,v1=4575bda9ef5a296fc1d45daa4a3fcd98683576a79cde477cc08c48c157df9946"
        );
    }

    #[test]
    fn verification_needs_the_secret_the_body_and_a_fresh_timestamp() {
        let body = br#"{"event":"approval.requested"}"#;
        let header = signature_header("whsec_a", 1000, body);
        assert!(verify("whsec_a", &header, body, 1000, 300));
        assert!(verify("whsec_a", &header, body, 1300, 300));
        assert!(!verify("whsec_a", &header, body, 1301, 300), "too old");
        assert!(!verify("whsec_b", &header, body, 1000, 300), "other secret");
        assert!(!verify("whsec_a", &header, b"{}", 1000, 300), "other body");
        let moved = header.replace("t=1000", "t=1001");
        assert!(!verify("whsec_a", &moved, body, 1000, 300), "other time");
        assert!(!verify("whsec_a", "v1=00", body, 1000, 300));
        assert!(!verify("whsec_a", "", body, 1000, 300));
    }

    #[test]
    fn secrets_are_random_and_long() {
        let a = generate_secret().unwrap();
        let b = generate_secret().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("whsec_"));
        assert_eq!(a.len(), "whsec_".len() + 64);
    }

    #[test]
    fn backoff_doubles_from_30_seconds_up_to_an_hour() {
        let secs: Vec<i64> = (1..=10).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(secs, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(backoff(0).num_seconds(), 30);
        assert_eq!(backoff(i64::MAX).num_seconds(), 3600);
    }

    #[test]
    fn attempts_end_delivered_retried_or_failed() {
        let now = at("2026-11-25T12:00:00Z");
        let ok = after_attempt(3, &Outcome::Answered(204), now);
        assert_eq!(ok.status, DeliveryStatus::Delivered);
        assert_eq!(ok.next_attempt_at, None);
        assert_eq!(ok.status_code, Some(204));
        let retry = after_attempt(2, &Outcome::Answered(503), now);
        assert_eq!(retry.status, DeliveryStatus::Pending);
        assert_eq!(retry.next_attempt_at, Some(at("2026-11-25T12:01:00Z")));
        assert_eq!(retry.status_code, Some(503));
        assert!(retry.error.unwrap().contains("503"));
        let down = after_attempt(1, &Outcome::NoAnswer("connection refused".into()), now);
        assert_eq!(down.status, DeliveryStatus::Pending);
        assert_eq!(down.status_code, None);
        assert_eq!(down.error.as_deref(), Some("connection refused"));
        let last = after_attempt(MAX_ATTEMPTS, &Outcome::Answered(500), now);
        assert_eq!(last.status, DeliveryStatus::Failed);
        assert_eq!(last.next_attempt_at, None);
        // A redirect is not a receipt.
        assert_eq!(
            after_attempt(1, &Outcome::Answered(302), now).status,
            DeliveryStatus::Pending
        );
    }

    #[test]
    fn accepts_http_and_https_urls() {
        assert_eq!(
            validate_url("https://Example.org/hooks?x=1").unwrap(),
            "https://example.org/hooks?x=1"
        );
        assert_eq!(
            validate_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/"
        );
        assert!(validate_url("http://[::1]:9000/in").is_ok());
    }

    #[test]
    fn the_grammar_takes_hosts_addresses_ports_paths_and_queries() {
        for good in [
            "http://localhost",
            "https://hooks.example.org:8443/in/valhalla?key=a%20b&x=1",
            "http://10.0.0.7:9/in",
            "http://[2001:db8::1]/x",
            "http://[::]:0/",
            "https://a-b.c/p;q=1/@here?what=*&who=!",
        ] {
            assert!(url_grammar().is_match(good), "{good}");
            assert!(validate_url(good).is_ok(), "{good}");
        }
        for bad in [
            "http://xn--a/",
            "http://256.0.0.1/",
            "http://a:65536/",
            "http://a/%zz",
            "http://a/x y",
            "http://[1::2::3]/",
            "HTTP://a/",
        ] {
            assert!(validate_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn refuses_other_urls() {
        for bad in [
            "",
            "example.org/hook",
            "/relative/path",
            "ftp://example.org/",
            "file:///etc/passwd",
            "mailto:someone@example.org",
            "https://user:pass@example.org/",
            "https://user@example.org/",
            "https://example.org/#frag",
            "https://example.org/#",
            " https://example.org/",
            "https://",
            "http://exa mple.org/",
        ] {
            let err = validate_url(bad).unwrap_err();
            assert_eq!(err.field, "url", "{bad:?}");
        }
        let long = format!("https://example.org/{}", "a".repeat(URL_MAX));
        assert!(validate_url(&long).unwrap_err().message.contains("2048"));
        let just_fits = format!("https://example.org/{}", "a".repeat(URL_MAX - 20));
        assert_eq!(just_fits.len(), URL_MAX);
        assert!(validate_url(&just_fits).is_ok());
    }

    #[test]
    fn events_are_known_and_deduplicated() {
        let events = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            validate_events(&events(&[
                "approval.requested",
                "reminder.created",
                "approval.requested"
            ]))
            .unwrap(),
            events(&["approval.requested", "reminder.created"])
        );
        assert_eq!(validate_events(&[]).unwrap_err().field, "events");
        let err = validate_events(&events(&["approval.requested", "bill.paid"])).unwrap_err();
        assert_eq!(err.field, "events");
        assert!(err.message.contains("bill.paid"));
    }

    #[test]
    fn validation_reports_every_field_at_fault() {
        let err = NewWebhook {
            url: "ftp://x".into(),
            events: vec![],
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["url", "events"]);
    }

    proptest! {
        #[test]
        fn any_text_is_checked_without_panicking(text in "\\PC{0,64}") {
            if let Ok(url) = validate_url(&text) {
                prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
                prop_assert!(!url.contains('#'));
            }
        }

        #[test]
        fn well_formed_urls_are_accepted_and_kept(
            https in any::<bool>(),
            // Labels with at most one hyphen in a row: "xn--…" would be punycode, which the
            // URL parser rightly checks as an international name.
            host in "[a-z][a-z0-9]{0,9}(-[a-z0-9]{1,9})?(\\.[a-z][a-z0-9]{0,10}){0,3}",
            port in proptest::option::of(1u16..),
            path in "(/[a-zA-Z0-9][a-zA-Z0-9._~-]{0,11}){0,4}",
            query in proptest::option::of("[a-z]{1,8}=[a-z0-9]{0,8}"),
        ) {
            let scheme = if https { "https" } else { "http" };
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            let text = format!("{scheme}://{host}{port}{path}{query}");
            let url = validate_url(&text);
            prop_assert!(url.is_ok(), "{} refused: {:?}", text, url);
            let url = url.unwrap();
            let origin = format!("{scheme}://{host}");
            let rest = format!("{path}{query}");
            prop_assert!(url.starts_with(&origin));
            prop_assert!(url.ends_with(&rest) || path.is_empty());
        }

        #[test]
        fn user_info_and_fragments_are_always_refused(
            user in "[a-z]{1,8}",
            fragment in "[a-z0-9]{0,8}",
        ) {
            let with_user = format!("https://{user}@example.org/");
            let with_password = format!("https://{user}:pw@example.org/");
            let with_fragment = format!("https://example.org/x#{fragment}");
            prop_assert!(validate_url(&with_user).is_err());
            prop_assert!(validate_url(&with_password).is_err());
            prop_assert!(validate_url(&with_fragment).is_err());
        }

        #[test]
        fn backoff_never_shrinks_and_stays_within_bounds(n in 0i64..10_000) {
            let a = backoff(n);
            let b = backoff(n + 1);
            prop_assert!(b >= a);
            prop_assert!(a.num_seconds() >= FIRST_BACKOFF_SECS);
            prop_assert!(a.num_seconds() <= MAX_BACKOFF_SECS);
        }

        #[test]
        fn signatures_verify_only_for_their_body(
            secret in "[ -~]{1,40}",
            body in proptest::collection::vec(any::<u8>(), 0..200),
            other in proptest::collection::vec(any::<u8>(), 0..200),
            t in 0i64..4_000_000_000,
        ) {
            let header = signature_header(&secret, t, &body);
            prop_assert!(verify(&secret, &header, &body, t, 300));
            prop_assert_eq!(verify(&secret, &header, &other, t, 300), body == other);
        }
    }
}
