//! Receipt attachments: reading an upload within the size limit, recognising its type from
//! its bytes, and answering a download safely.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// Largest attachment: 10 MiB.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
/// After refusing an oversized upload, at most this much more of it is read and thrown away,
/// so that the client finishes sending and sees the 413 instead of a reset connection.
const DRAIN_BYTES: usize = 16 * 1024 * 1024;

/// The types we accept, with their file extension.
const KNOWN: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
    ("image/webp", "webp"),
];

fn unsupported() -> ApiError {
    ApiError::unsupported_media_type(
        "attachments must be PDF, JPEG, PNG or WebP files (recognised by their content)",
    )
}

/// The type of a file, from its leading bytes; `None` for anything but PDF, JPEG, PNG, WebP.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// What the client says it sends, normalised: `None` when it says nothing specific (no
/// header, or `application/octet-stream`), else one of our types. Any other type is a 415.
pub fn declared_type(headers: &HeaderMap) -> Result<Option<&'static str>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let mime = value
        .to_str()
        .map_err(|_| unsupported())?
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let canonical = match mime.as_str() {
        "" | "application/octet-stream" => return Ok(None),
        "image/jpg" | "image/pjpeg" => "image/jpeg",
        "application/x-pdf" => "application/pdf",
        other => other,
    };
    KNOWN
        .iter()
        .find(|(known, _)| *known == canonical)
        .map(|(known, _)| Some(*known))
        .ok_or_else(unsupported)
}

/// The stored type of an upload: recognised from its bytes, and matching what was declared.
pub fn content_type(
    declared: Option<&'static str>,
    bytes: &[u8],
) -> Result<&'static str, ApiError> {
    let actual = sniff(bytes).ok_or_else(unsupported)?;
    match declared {
        Some(declared) if declared != actual => Err(ApiError::unsupported_media_type(format!(
            "the content is {actual}, not {declared} as declared"
        ))),
        _ => Ok(actual),
    }
}

/// Reads an upload of at most `limit` bytes. Larger ones are refused (413) as soon as they pass
/// the limit; nothing beyond it is kept. A client that announced a larger `Content-Length` and
/// waits for `100 Continue` is answered before it sends anything.
pub async fn read_upload(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let waits_for_continue = headers
        .get(header::EXPECT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
    if waits_for_continue && announced.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::payload_too_large(limit));
    }
    read_stream(body.into_data_stream(), limit).await
}

/// Reads a stream of chunks (a request body, or one part of a multipart form) of at most
/// `limit` bytes: refused with 413 as soon as it passes the limit (the rest is read and thrown
/// away up to a bound, so the client sees the answer); an empty upload is a 400.
pub async fn read_stream<S, E>(mut stream: S, limit: usize) -> Result<Vec<u8>, ApiError>
where
    S: futures::Stream<Item = Result<bytes::Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::malformed(format!("the request body could not be read: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            drop(bytes);
            let mut drained = 0usize;
            while let Some(Ok(chunk)) = stream.next().await {
                drained += chunk.len();
                if drained > DRAIN_BYTES {
                    break;
                }
            }
            return Err(ApiError::payload_too_large(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        return Err(ApiError::malformed("an attachment body is required"));
    }
    Ok(bytes)
}

/// Hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A download: the stored bytes with their stored type, always as an attachment, never sniffed
/// or rendered by the browser in our origin.
pub fn download(receipt_id: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let extension = KNOWN
        .iter()
        .find(|(known, _)| *known == content_type)
        .map_or("bin", |(_, ext)| *ext);
    let disposition = format!("attachment; filename=\"receipt-{receipt_id}.{extension}\"");
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    let fallback = HeaderValue::from_static("application/octet-stream");
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(fallback),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition)
            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        h
    }

    #[test]
    fn recognises_types_by_their_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some("application/pdf"));
        assert_eq!(
            sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some("image/jpeg")
        );
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"RIFF\x24\0\0\0WAVEfmt "), None);
        assert_eq!(sniff(b"<html><script>"), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
        assert_eq!(sniff(b"%PD"), None);
    }

    #[test]
    fn declared_types_must_match_the_content() {
        let pdf = b"%PDF-1.4";
        assert_eq!(declared_type(&HeaderMap::new()).unwrap(), None);
        assert_eq!(
            declared_type(&headers("application/octet-stream")).unwrap(),
            None
        );
        assert_eq!(
            declared_type(&headers("Image/JPG; q=1")).unwrap(),
            Some("image/jpeg")
        );
        assert_eq!(
            declared_type(&headers("text/html")).unwrap_err().status,
            415
        );
        assert_eq!(content_type(None, pdf).unwrap(), "application/pdf");
        assert_eq!(
            content_type(Some("application/pdf"), pdf).unwrap(),
            "application/pdf"
        );
        assert_eq!(
            content_type(Some("image/png"), pdf).unwrap_err().status,
            415
        );
        assert_eq!(content_type(None, b"hello").unwrap_err().status, 415);
    }

    #[tokio::test]
    async fn uploads_are_limited_while_read() {
        let none = HeaderMap::new();
        let ok = read_upload(&none, Body::from(vec![1u8; 100]), 100)
            .await
            .unwrap();
        assert_eq!(ok.len(), 100);
        let err = read_upload(&none, Body::from(vec![1u8; 101]), 100)
            .await
            .unwrap_err();
        assert_eq!(err.status, 413);
        let err = read_upload(&none, Body::empty(), 100).await.unwrap_err();
        assert_eq!(err.status, 400);
        let mut waiting = HeaderMap::new();
        waiting.insert(header::CONTENT_LENGTH, HeaderValue::from_static("101"));
        waiting.insert(header::EXPECT, HeaderValue::from_static("100-continue"));
        let err = read_upload(&waiting, Body::from(vec![1u8; 101]), 100)
            .await
            .unwrap_err();
        assert_eq!(err.status, 413);
    }
}
