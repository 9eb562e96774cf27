//! JSON bodies: size-limited, content-type checked, errors that name the field.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::header;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use serde::de::DeserializeOwned;

use super::{clean_message, field_of};
use crate::error::{ApiError, FieldError};

/// JSON request bodies are limited to 1 MiB.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;

/// A required JSON body.
pub struct Json<T>(pub T);

/// A JSON body that may be left out entirely, or be `null` (then `T::default()`), for actions
/// whose fields are all optional (`out_of`, `decide`, …).
pub struct JsonOrEmpty<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::malformed("a JSON request body is required"));
        }
        parse_json(&bytes).map(Json)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for JsonOrEmpty<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let bytes = json_bytes(req).await?;
        // No body, or a JSON `null`, means "no fields".
        let text = bytes.trim_ascii();
        if text.is_empty() || text == b"null" {
            return Ok(JsonOrEmpty(T::default()));
        }
        parse_json(&bytes).map(JsonOrEmpty)
    }
}

async fn json_bytes(req: Request) -> Result<Bytes, ApiError> {
    if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
        let is_json = content_type
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::unsupported_media_type(
                "request bodies must be application/json",
            ));
        }
    }
    read_limited(req.into_body(), JSON_BODY_LIMIT).await
}

/// Reads a whole body, refusing (413) one larger than `limit` bytes.
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(err) => {
            if err.is::<http_body_util::LengthLimitError>() {
                Err(ApiError::payload_too_large(limit))
            } else {
                Err(ApiError::malformed(format!(
                    "the request body could not be read: {err}"
                )))
            }
        }
    }
}

/// Parses a JSON object into `T`: syntax errors are "malformed", type errors name the field.
/// Every request body is an object; serde would also fill a struct from an array of its field
/// values, which the API does not offer, so anything but an object is refused first.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.trim_ascii_start().first() != Some(&b'{') {
        // Still say "malformed" for text that is not JSON at all.
        serde_json::from_slice::<serde::de::IgnoredAny>(bytes).map_err(|err| {
            ApiError::malformed(format!(
                "malformed JSON: {}",
                clean_message(&err.to_string())
            ))
        })?;
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        match inner.classify() {
            serde_json::error::Category::Data => ApiError::validation(vec![FieldError::new(
                field_of(&path, &message),
                clean_message(&message),
            )]),
            _ => ApiError::malformed(format!("malformed JSON: {}", clean_message(&message))),
        }
    })?;
    deserializer
        .end()
        .map_err(|_| ApiError::malformed("malformed JSON: trailing characters after the value"))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::DecimalInput;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        qty: Option<DecimalInput>,
        kind: Option<Kind>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Need,
    }

    fn field(json: &str) -> (u16, String) {
        let err = parse_json::<Body>(json.as_bytes()).unwrap_err();
        (
            err.status.as_u16(),
            err.errors
                .first()
                .map(|e| e.field.clone())
                .unwrap_or_default(),
        )
    }

    #[test]
    fn every_rejection_is_a_400_with_the_field() {
        assert_eq!(field("{"), (400, String::new()));
        assert_eq!(field("{\"name\": 5}"), (400, "name".into()));
        assert_eq!(field("{}"), (400, "name".into()));
        assert_eq!(field("{\"name\":\"a\",\"qty\":true}"), (400, "qty".into()));
        assert_eq!(
            field("{\"name\":\"a\",\"kind\":\"x\"}"),
            (400, "kind".into())
        );
        assert_eq!(field("{\"name\":\"a\",\"extra\":1}"), (400, "extra".into()));
        assert_eq!(field("{\"name\":\"a\"} x"), (400, String::new()));
        assert_eq!(field("[\"a\", null, null]"), (400, "body".into()));
        assert_eq!(field(" 5"), (400, "body".into()));
        assert_eq!(field("[1,"), (400, String::new()));
    }

    #[test]
    fn numbers_stay_exact() {
        let body: Body = parse_json(br#"{"name":"a","qty":0.1}"#).unwrap();
        assert_eq!(body.qty.unwrap().0.to_scaled(3), Ok(100));
        let body: Body = parse_json(br#"{"name":"a","qty":"12345678901234.567"}"#).unwrap();
        assert_eq!(body.qty.unwrap().0.to_scaled(3), Ok(12_345_678_901_234_567));
    }
}
