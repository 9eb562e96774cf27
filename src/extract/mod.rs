//! Request extractors whose every rejection is a problem+json 4xx naming the field at fault.

mod auth;
mod auth_cache;
mod body;

pub use auth::{Caller, Ctx, authenticate, bearer_token, caller_for_token};
pub use auth_cache::AuthCache;
pub use body::{JSON_BODY_LIMIT, Json, JsonOrEmpty, parse_json, read_limited};

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Query string parameters, rejecting bad values with a 400 naming the parameter.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(Query)
    }
}

/// Parses a query string into `T`.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        let field = field_of(&path, &message);
        ApiError::validation(vec![FieldError::new(field, clean_message(&message))])
    })
}

/// A path segment, e.g. the `{id}` of `/core/inventory/{id}`.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match <axum::extract::Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
        {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(rejection) => Err(ApiError::malformed(rejection.body_text())),
        }
    }
}

/// The version a client expects, from `If-Match: "3"` (or `W/"3"`, or `*` for any).
/// Absent header → `None`: no precondition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    Version(i64),
    /// A header that names no version of ours: it can never match.
    Unmatchable,
}

impl IfMatch {
    /// Checks the precondition against the current version.
    pub fn check(precondition: Option<IfMatch>, current: i64) -> Result<(), ApiError> {
        match precondition {
            None | Some(IfMatch::Any) => Ok(()),
            Some(IfMatch::Version(v)) if v == current => Ok(()),
            Some(_) => Err(ApiError::precondition_failed()),
        }
    }

    fn parse(value: &str) -> IfMatch {
        let value = value.trim();
        if value == "*" {
            return IfMatch::Any;
        }
        // A list of entity tags: any one matching is enough; we only ever issue one.
        let first = value.split(',').next().unwrap_or("").trim();
        let tag = first.strip_prefix("W/").unwrap_or(first);
        tag.strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .and_then(|t| t.parse::<i64>().ok())
            .map_or(IfMatch::Unmatchable, IfMatch::Version)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<IfMatch>, ApiError> {
        let Some(value) = parts.headers.get(axum::http::header::IF_MATCH) else {
            return Ok(None);
        };
        Ok(Some(
            value
                .to_str()
                .map(IfMatch::parse)
                .unwrap_or(IfMatch::Unmatchable),
        ))
    }
}

/// The ETag for an object at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// serde reports a missing field at the parent's path with the name in the message;
/// point at the field itself.
pub(crate) fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    // The path of an unknown field already ends with its name.
    if message.starts_with("unknown field `") && !parent.is_empty() {
        return parent.to_string();
    }
    let named = message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))
        .and_then(|rest| rest.split('`').next());
    match named {
        Some(name) if parent.is_empty() => name.to_string(),
        Some(name) => format!("{parent}.{name}"),
        None if parent.is_empty() => "body".to_string(),
        None => parent.to_string(),
    }
}

/// serde_json appends " at line 1 column 7" to its messages; clients need only the reason.
pub(crate) fn clean_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(pos) => message[..pos].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_if_match() {
        assert_eq!(IfMatch::parse("\"3\""), IfMatch::Version(3));
        assert_eq!(IfMatch::parse("W/\"3\""), IfMatch::Version(3));
        assert_eq!(IfMatch::parse("*"), IfMatch::Any);
        assert_eq!(IfMatch::parse("3"), IfMatch::Unmatchable);
        assert_eq!(IfMatch::parse("\"abc\""), IfMatch::Unmatchable);
        assert!(IfMatch::check(Some(IfMatch::Version(2)), 3).is_err());
        assert!(IfMatch::check(None, 3).is_ok());
    }

    #[test]
    fn names_the_field() {
        assert_eq!(field_of(".", "missing field `name`"), "name");
        assert_eq!(field_of("items[0]", "missing field `qty`"), "items[0].qty");
        assert_eq!(field_of("qty", "invalid type: string"), "qty");
        assert_eq!(field_of(".", "expected value"), "body");
        assert_eq!(
            clean_message("invalid type: map, expected a string at line 1 column 9"),
            "invalid type: map, expected a string"
        );
    }

    #[test]
    fn query_errors_name_the_parameter() {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Q {
            limit: Option<u32>,
        }
        let err = parse_query::<Q>("limit=abc").err().unwrap();
        assert_eq!(err.errors[0].field, "limit");
        let err = parse_query::<Q>("bogus=1").err().unwrap();
        assert_eq!(err.errors[0].field, "bogus");
        assert!(parse_query::<Q>("limit=5").is_ok());
    }
}
