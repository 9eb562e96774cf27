//! A successful answer: status, JSON body and, for versioned objects, an ETag.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;
use crate::extract::etag;

#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    /// Serialized JSON; empty for 204.
    pub body: Vec<u8>,
    pub etag: Option<String>,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Result<Reply, ApiError> {
        let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
        Ok(Reply {
            status,
            body,
            etag: None,
        })
    }

    /// 200 with a body.
    pub fn ok<T: Serialize>(value: &T) -> Result<Reply, ApiError> {
        Reply::json(StatusCode::OK, value)
    }

    /// 201 with the created object.
    pub fn created<T: Serialize>(value: &T) -> Result<Reply, ApiError> {
        Reply::json(StatusCode::CREATED, value)
    }

    /// 204.
    pub fn no_content() -> Reply {
        Reply {
            status: StatusCode::NO_CONTENT,
            body: Vec::new(),
            etag: None,
        }
    }

    /// Adds the ETag of a versioned object.
    pub fn versioned(mut self, version: i64) -> Reply {
        self.etag = Some(etag(version));
        self
    }
}

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        let is_empty = self.body.is_empty();
        let mut response = (self.status, self.body).into_response();
        let headers = response.headers_mut();
        if !is_empty {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        if let Some(tag) = self.etag.and_then(|t| HeaderValue::from_str(&t).ok()) {
            headers.insert(header::ETAG, tag);
        }
        response
    }
}
