//! The stylesheet and icon, built into the binary (nothing is fetched at build or run time).

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../../assets/valhalla.css");
const ICON: &str = include_str!("../../assets/favicon.svg");

/// The stylesheet's address, with a digest of its content so browsers may cache it for long
/// and still pick up a new version at once.
pub static CSS_HREF: LazyLock<String> = LazyLock::new(|| {
    let digest = crate::web::session::hash_secret(CSS);
    format!("/static/valhalla.css?v={}", &digest[..12])
});

/// `GET /static/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    let (body, content_type) = match file.as_str() {
        "valhalla.css" => (CSS, "text/css; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return super::error::not_found(),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}
