//! Cursor pagination: `{"items": [...], "next_cursor": "..." | null}` with `limit` and `cursor`.
//!
//! A cursor is the sort key of the last item served, base64url-encoded JSON. It is opaque to
//! clients and never an offset, so pages stay correct while rows are added.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
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
        let after = cursor.map(decode_cursor).transpose()?;
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

fn decode_cursor(cursor: &str) -> Result<Vec<String>, ApiError> {
    URL_SAFE_NO_PAD
        .decode(cursor.as_bytes())
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Vec<String>>(&bytes).ok())
        .filter(|parts| !parts.is_empty())
        .ok_or_else(|| ApiError::field("cursor", "is not a cursor issued by this server"))
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
