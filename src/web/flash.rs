//! One-time messages after a form post ("Added milk"), carried in a short-lived cookie from the
//! redirect to the page that shows them, then cleared.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use serde::{Deserialize, Serialize};

use super::auth::cookie_value;
use super::session;

pub const FLASH_COOKIE: &str = "valhalla_flash";
const FLASH_LIFETIME: Duration = Duration::minutes(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Success,
    Info,
    Warning,
    Error,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Success => "success",
            Kind::Info => "info",
            Kind::Warning => "warning",
            Kind::Error => "error",
        }
    }
}

/// An offer to ask for an approval, shown with an "approval needed" message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalOffer {
    pub item_id: String,
    pub item_name: String,
    /// The amount to ask for (decimal text), when more than the estimate.
    pub amount: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    pub kind: Kind,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer: Option<ApprovalOffer>,
}

impl Flash {
    pub fn new(kind: Kind, text: impl Into<String>) -> Flash {
        Flash {
            kind,
            text: text.into(),
            offer: None,
        }
    }

    pub fn success(text: impl Into<String>) -> Flash {
        Flash::new(Kind::Success, text)
    }

    pub fn info(text: impl Into<String>) -> Flash {
        Flash::new(Kind::Info, text)
    }

    pub fn warning(text: impl Into<String>) -> Flash {
        Flash::new(Kind::Warning, text)
    }

    pub fn error(text: impl Into<String>) -> Flash {
        Flash::new(Kind::Error, text)
    }

    pub fn with_offer(mut self, offer: ApprovalOffer) -> Flash {
        self.offer = Some(offer);
        self
    }

    /// The message left by the previous request, if any (an unreadable one is ignored).
    pub fn from_headers(headers: &HeaderMap) -> Option<Flash> {
        let raw = cookie_value(headers, FLASH_COOKIE)?;
        let json = URL_SAFE_NO_PAD.decode(raw).ok()?;
        serde_json::from_slice(&json).ok()
    }

    /// The `Set-Cookie` value carrying this message to the next page.
    pub fn cookie(&self, secure: bool) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        session::cookie(
            FLASH_COOKIE,
            URL_SAFE_NO_PAD.encode(json),
            FLASH_LIFETIME,
            secure,
        )
        .to_string()
    }

    /// The `Set-Cookie` value that clears a shown message.
    pub fn clear_cookie(secure: bool) -> String {
        session::removal(FLASH_COOKIE, secure).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_the_cookie() {
        let flash = Flash::warning("Buying \"Sofa\" needs an approval").with_offer(ApprovalOffer {
            item_id: "i1".into(),
            item_name: "Sofa".into(),
            amount: Some("250.00".into()),
        });
        let set_cookie = flash.cookie(false);
        let value = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("cookie", value.parse().unwrap());
        assert_eq!(Flash::from_headers(&headers), Some(flash));
        let mut junk = HeaderMap::new();
        junk.insert("cookie", "valhalla_flash=%%%".parse().unwrap());
        assert_eq!(Flash::from_headers(&junk), None);
    }
}
