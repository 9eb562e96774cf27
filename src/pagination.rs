//! Cursor pagination: `{"items": [...], "next_cursor": "..." | null}` with `limit` and `cursor`.
//!
//! A cursor is the sort key of the last item served, base64url-encoded JSON. It is opaque to
//! clients and never an offset, so pages stay correct while rows are added.

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, URL_SAFE_NO_PAD};
use serde::Serialize;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 500;

/// A page of results.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A validated page request.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: u32,
    /// The sort key after which to continue.
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    /// Checks `limit` (1–500, default 50) and decodes `cursor`.
    pub fn new(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor.map(decode_cursor).transpose()?.flatten();
        Ok(PageRequest { limit, after })
    }

    /// One more than the page size: fetching it tells whether another page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// The `n`-th component of the cursor's sort key.
    pub fn after_part(&self, n: usize) -> Option<&str> {
        self.after
            .as_ref()
            .and_then(|a| a.get(n))
            .map(String::as_str)
    }

    /// Cuts `rows` (fetched with [`fetch_limit`](Self::fetch_limit)) to a page; `key` gives the
    /// sort key of a row for the next cursor.
    pub fn page<T, F>(&self, mut rows: Vec<T>, key: F) -> Page<T>
    where
        F: Fn(&T) -> Vec<String>,
    {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next_cursor = if more {
            rows.last().map(|last| encode_cursor(&key(last)))
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }
}

pub fn encode_cursor(parts: &[String]) -> String {
    let json = serde_json::to_vec(parts).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

/// Base64url without padding that also takes stray low bits in the last character.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// A cursor is a position, not a credential: every well-formed one (base64url, no padding) names
/// a position in the list's order. One this server issued holds the sort key of the last item
/// served; any other bytes are read as a sort key of their own, so a made-up cursor just starts
/// the page somewhere. Queries stay scoped to the caller's household either way. Text that is
/// not base64url at all is refused.
fn decode_cursor(cursor: &str) -> Result<Option<Vec<String>>, ApiError> {
    if cursor.is_empty() {
        return Ok(None);
    }
    let bytes = LENIENT
        .decode(cursor.as_bytes())
        .map_err(|_| ApiError::field("cursor", "is not a cursor issued by this server"))?;
    let parts = serde_json::from_slice::<Vec<String>>(&bytes)
        .unwrap_or_else(|_| vec![String::from_utf8_lossy(&bytes).into_owned()]);
    Ok((!parts.is_empty()).then_some(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let parts = vec!["milk".to_string(), "0193-id".to_string()];
        let req = PageRequest::new(Some(2), Some(&encode_cursor(&parts))).unwrap();
        assert_eq!(req.after, Some(parts));
        assert!(PageRequest::new(None, Some("garbage!")).is_err());
        assert!(
            PageRequest::new(None, Some("abcde")).is_err(),
            "not base64url"
        );
        // Made-up cursors are positions too.
        let made_up = PageRequest::new(None, Some("bWlsaw")).unwrap();
        assert_eq!(made_up.after, Some(vec!["milk".to_string()]));
        assert_eq!(PageRequest::new(None, Some("")).unwrap().after, None);
        assert!(PageRequest::new(None, Some("ab")).is_ok(), "stray low bits");
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(501), None).is_err());
        assert_eq!(PageRequest::new(None, None).unwrap().limit, 50);
    }

    #[test]
    fn pages_know_when_more_exist() {
        let req = PageRequest::new(Some(2), None).unwrap();
        let page = req.page(vec![1, 2, 3], |n| vec![n.to_string()]);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next_cursor, Some(encode_cursor(&["2".to_string()])));
        let page = req.page(vec![1, 2], |n| vec![n.to_string()]);
        assert_eq!(page.next_cursor, None);
    }
}
