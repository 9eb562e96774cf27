//! Web pages for people: the ops board, approvals, shopping, inventory and receipts,
//! server-rendered (askama templates in `templates/`, one stylesheet, no script).
//!
//! Pages live outside `/core` and outside the OpenAPI document (they are HTML, not the JSON
//! API). Every page reads through the same store and service functions as the API, and every
//! action is a plain form post that calls the same service function as the matching API
//! route, with the same role checks, and answers with a redirect and a one-time message.

pub mod assets;
pub mod auth;
pub mod error;
pub mod flash;
pub mod format;
pub mod pages;
pub mod session;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};

use crate::app::App;
use crate::domain::Role;
use crate::receipts::attachment::MAX_ATTACHMENT_BYTES;
use auth::Viewer;
use error::PageError;
use flash::Flash;

/// Settings of the web pages.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// The address people use to reach the server (`VALHALLA_PUBLIC_URL`), e.g.
    /// `https://home.example`: the base of sign-in links, an accepted `Origin` behind a proxy,
    /// and, when https, the reason cookies are `Secure`.
    pub public_url: Option<String>,
}

/// The page routes. Public: `/signin`, sign-in links and `/static/*`; everything else needs a
/// session cookie or a bearer token.
pub fn routes() -> Router<Arc<App>> {
    use pages::{approvals, board, inventory, receipts, shopping, signin};
    Router::new()
        .route("/", get(board::show))
        .route("/approvals", get(approvals::show))
        .route("/approvals/{id}/decide", post(approvals::decide))
        .route("/shopping", get(shopping::show))
        .route("/shopping/quick_add", post(shopping::quick_add))
        .route(
            "/shopping/generate_from_inventory",
            post(shopping::generate_from_inventory),
        )
        .route(
            "/shopping/generate_from_needs",
            post(shopping::generate_from_needs),
        )
        .route("/shopping/{id}/bought", post(shopping::bought))
        .route("/shopping/{id}/cancel", post(shopping::cancel))
        .route(
            "/shopping/{id}/request_approval",
            post(shopping::request_approval),
        )
        .route("/inventory", get(inventory::show).post(inventory::add))
        .route("/inventory/{id}/use", post(inventory::use_some))
        .route("/inventory/{id}/out_of", post(inventory::out_of))
        .route("/inventory/{id}/restock", post(inventory::restock))
        .route("/receipts", get(receipts::show).post(receipts::add))
        .route("/receipts/{id}/post", post(receipts::post))
        .route(
            "/receipts/{id}/attachment",
            get(receipts::download)
                .post(receipts::upload)
                // The form's framing around the file; the file itself is limited while read.
                .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 64 * 1024)),
        )
        .route("/signin", get(signin::page).post(signin::sign_in))
        .route(
            "/signin/link/{secret}",
            get(signin::link_page).post(signin::link_sign_in),
        )
        .route("/signout", post(signin::sign_out))
        .route("/static/{file}", get(assets::serve))
        .method_not_allowed_fallback(|| async {
            error::render(
                &crate::error::ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED),
                "/",
            )
        })
        .layer(middleware::map_response(security_headers))
}

/// Whether a request for an unknown path should get the HTML 404 page (a browser asking for a
/// page) rather than the API's problem+json.
pub fn wants_html<B>(req: &Request<B>) -> bool {
    !req.uri().path().starts_with("/core")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// Pages are private, never framed, run no script and post only to us.
async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                 frame-ancestors 'none'; base-uri 'none'",
            ),
        );
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// A 303 redirect (after a form post).
pub fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Redirect-after-post to `location`, carrying `flash` to the page there.
pub fn done(viewer: &Viewer, location: &str, flash: Flash) -> Response {
    let mut response = see_other(location);
    if let Ok(value) = HeaderValue::from_str(&flash.cookie(viewer.secure)) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Which part of the site a page belongs to (the highlighted navigation entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Board,
    Shopping,
    Inventory,
    Receipts,
    Approvals,
}

impl Section {
    pub fn as_str(&self) -> &'static str {
        match self {
            Section::Board => "board",
            Section::Shopping => "shopping",
            Section::Inventory => "inventory",
            Section::Receipts => "receipts",
            Section::Approvals => "approvals",
        }
    }
}

/// What every page's frame shows: household, member, navigation, message.
pub struct Layout {
    pub title: String,
    pub household: String,
    pub member: String,
    pub role: &'static str,
    /// The section's name (`board`, `shopping` …), for the navigation.
    pub section: &'static str,
    /// The stylesheet's address.
    pub css: &'static str,
    pub csrf: String,
    pub signed_in_by_session: bool,
    pub flash: Option<Flash>,
    pub pending_approvals: i64,
    pub can_write: bool,
    pub can_decide: bool,
}

impl Layout {
    pub async fn new(
        app: &App,
        viewer: &Viewer,
        section: Section,
        title: &str,
    ) -> Result<Layout, PageError> {
        let mut conn = app.db.read().await?;
        let pending_approvals =
            crate::approvals::store::count_pending(&mut conn, &viewer.caller.household_id).await?;
        let role = viewer.caller.role;
        Ok(Layout {
            title: title.to_string(),
            household: viewer.household_name.clone(),
            member: viewer.caller.member_name.clone(),
            role: role.as_str(),
            section: section.as_str(),
            css: assets::CSS_HREF.as_str(),
            csrf: viewer.csrf().to_string(),
            signed_in_by_session: matches!(viewer.proof, auth::Proof::Session { .. }),
            flash: viewer.flash.clone(),
            pending_approvals,
            can_write: role.can_write(),
            can_decide: role.at_least(Role::Adult),
        })
    }
}

/// A rendered page: 200, HTML, and the shown message cleared.
pub fn page(viewer: &Viewer, template: &impl Template) -> Result<Response, PageError> {
    let html = template
        .render()
        .map_err(|e| crate::error::ApiError::internal(format!("rendering a page: {e}")))?;
    let mut response = Html(html).into_response();
    if viewer.flash.is_some()
        && let Ok(value) = HeaderValue::from_str(&Flash::clear_cookie(viewer.secure))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    Ok(response)
}
