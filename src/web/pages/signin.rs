//! Signing in (with an API token, or a one-time link) and out.

use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use crate::app::App;
use crate::error::ApiError;
use crate::extract::caller_for_token;
use crate::household::model::hash_token;
use crate::household::store as household_store;
use crate::web::auth::{self, Proof, Submitted, cookie_value};
use crate::web::error::PageError;
use crate::web::flash::Flash;
use crate::web::session::{self, SESSION_COOKIE, SESSION_LIFETIME};
use crate::web::{assets, see_other};

struct LinkView {
    member: String,
    role: &'static str,
    household: String,
    action: String,
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    css: &'static str,
    heading: &'static str,
    next: String,
    notice: Option<String>,
    error: Option<String>,
    link: Option<LinkView>,
}

impl SignInPage {
    fn new(next: &str) -> SignInPage {
        SignInPage {
            css: assets::CSS_HREF.as_str(),
            heading: "Sign in",
            next: next.to_string(),
            notice: None,
            error: None,
            link: None,
        }
    }

    fn respond(self, status: StatusCode) -> Response {
        match self.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => PageError::from(ApiError::internal(format!("rendering sign-in: {e}")))
                .into_response(),
        }
    }
}

#[derive(Template)]
#[template(path = "continue.html")]
struct ContinuePage<'a> {
    css: &'static str,
    target: &'a str,
}

/// A page that moves on to `target` from our own origin (see [`auth`]'s use of it).
pub fn continue_page(target: &str) -> Response {
    let target = if is_local_path(target) { target } else { "/" };
    let page = ContinuePage {
        css: assets::CSS_HREF.as_str(),
        target,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => PageError::from(ApiError::internal(format!("rendering: {e}"))).into_response(),
    }
}

/// Whether `path` is a path on this site (not `//other.example`, not a full URL).
pub fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with("/\\")
        && !path.chars().any(|c| c.is_control() || c == '\\')
}

#[derive(Debug, Default, Deserialize)]
pub struct SignInQuery {
    next: Option<String>,
}

/// Sets the session cookie and goes on to `next`.
fn signed_in(cookie_token: String, secure: bool, next: &str) -> Response {
    let mut response = see_other(if is_local_path(next) { next } else { "/" });
    let cookie = session::cookie(SESSION_COOKIE, cookie_token, SESSION_LIFETIME, secure);
    if let Ok(value) = HeaderValue::from_str(&cookie.to_string()) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Opens a session for a member (in its own transaction); returns the cookie token.
async fn open_session(
    app: &App,
    household_id: &str,
    member_id: &str,
    api_token_hash: &str,
) -> Result<String, PageError> {
    let cookie_token =
        session::new_secret().map_err(|e| ApiError::internal(format!("no random source: {e}")))?;
    let mut tx = app.db.begin().await?;
    session::insert_session(
        tx.conn(),
        household_id,
        member_id,
        api_token_hash,
        &cookie_token,
        app.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(cookie_token)
}

/// `GET /signin`.
pub async fn page(State(app): State<Arc<App>>, headers: HeaderMap, uri: Uri) -> Response {
    let query: SignInQuery =
        crate::extract::parse_query(uri.query().unwrap_or("")).unwrap_or_default();
    let next = query.next.unwrap_or_else(|| "/".to_string());
    let secure = session::over_tls(&headers, app.web.public_url.as_deref());
    // Already signed in: straight on.
    if let Some(cookie_token) = cookie_value(&headers, SESSION_COOKIE) {
        let still_valid = match app.db.read().await {
            Ok(mut conn) => session::find_session(&mut conn, &cookie_token, app.clock.now())
                .await
                .ok()
                .flatten()
                .is_some(),
            Err(_) => false,
        };
        if still_valid {
            return see_other(if is_local_path(&next) { &next } else { "/" });
        }
    }
    let mut page = SignInPage::new(&next);
    let flash = Flash::from_headers(&headers);
    page.notice = flash.as_ref().map(|f| f.text.clone());
    let mut response = page.respond(StatusCode::OK);
    let mut clear = Vec::new();
    if flash.is_some() {
        clear.push(Flash::clear_cookie(secure));
    }
    if cookie_value(&headers, SESSION_COOKIE).is_some() {
        // The cookie names a session that has ended: forget it.
        clear.push(session::removal(SESSION_COOKIE, secure).to_string());
    }
    for value in clear {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    token: Option<String>,
    next: Option<String>,
}

/// `POST /signin`: an API token opens a session. An unknown, revoked or malformed token all get
/// the same answer, "invalid token".
pub async fn sign_in(State(app): State<Arc<App>>, headers: HeaderMap, body: Body) -> Response {
    if let Err(refused) = auth::check_origin(&headers, &app) {
        return refused.into_response();
    }
    let form: SignInForm = match auth::read_fields(body).await {
        Ok(form) => form,
        Err(err) => return err.into_response(),
    };
    let next = form.next.unwrap_or_else(|| "/".to_string());
    let token = form.token.unwrap_or_default();
    let token = token.trim();
    if token.is_empty() {
        let mut page = SignInPage::new(&next);
        page.error = Some("Paste your API token to sign in.".to_string());
        return page.respond(StatusCode::BAD_REQUEST);
    }
    let caller = match caller_for_token(&app, token).await {
        Ok(caller) => caller,
        Err(err) => return PageError::from(err).into_response(),
    };
    let Some(caller) = caller else {
        let mut page = SignInPage::new(&next);
        page.error = Some("Invalid token.".to_string());
        return page.respond(StatusCode::UNAUTHORIZED);
    };
    let secure = session::over_tls(&headers, app.web.public_url.as_deref());
    match open_session(
        &app,
        &caller.household_id,
        &caller.member_id,
        &hash_token(token),
    )
    .await
    {
        Ok(cookie_token) => signed_in(cookie_token, secure, &next),
        Err(err) => err.into_response(),
    }
}

fn link_gone() -> Response {
    let mut page = SignInPage::new("/");
    page.heading = "This sign-in link does not work";
    page.error = Some(
        "It has expired (links last 15 minutes) or was already used. Ask for a new link, or sign in with your token."
            .to_string(),
    );
    page.respond(StatusCode::GONE)
}

/// `GET /signin/link/{secret}`: says whom the link signs in, with a button that does it. The
/// link is used up only by that button, so a chat app fetching a preview cannot spend it.
pub async fn link_page(State(app): State<Arc<App>>, Path(secret): Path<String>) -> Response {
    let found = async {
        let mut conn = app.db.read().await?;
        let Some(link) = session::peek_link(&mut conn, &secret, app.clock.now()).await? else {
            return Ok::<_, PageError>(None);
        };
        let caller = household_store::caller_for_member(
            &mut conn,
            &link.household_id,
            &link.member_id,
            &link.api_token_hash,
        )
        .await?;
        let Some(caller) = caller else {
            return Ok(None);
        };
        let household = household_store::household_name(&mut conn, &caller.household_id)
            .await?
            .unwrap_or_default();
        Ok(Some(LinkView {
            member: caller.member_name,
            role: caller.role.as_str(),
            household,
            action: format!("/signin/link/{secret}"),
        }))
    }
    .await;
    match found {
        Ok(Some(link)) => {
            let mut page = SignInPage::new("/");
            page.heading = "Sign in with a link";
            page.link = Some(link);
            page.respond(StatusCode::OK)
        }
        Ok(None) => link_gone(),
        Err(err) => err.into_response(),
    }
}

/// `POST /signin/link/{secret}`: uses the link up and opens a session.
pub async fn link_sign_in(
    State(app): State<Arc<App>>,
    Path(secret): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = auth::check_origin(&headers, &app) {
        return refused.into_response();
    }
    let opened = async {
        let now = app.clock.now();
        let cookie_token = session::new_secret()
            .map_err(|e| ApiError::internal(format!("no random source: {e}")))?;
        let mut tx = app.db.begin().await?;
        let Some(link) = session::use_link(tx.conn(), &secret, now).await? else {
            return Ok::<_, PageError>(None);
        };
        let live = household_store::caller_for_member(
            tx.conn(),
            &link.household_id,
            &link.member_id,
            &link.api_token_hash,
        )
        .await?;
        if live.is_none() {
            return Ok(None);
        }
        session::insert_session(
            tx.conn(),
            &link.household_id,
            &link.member_id,
            &link.api_token_hash,
            &cookie_token,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(cookie_token))
    }
    .await;
    let secure = session::over_tls(&headers, app.web.public_url.as_deref());
    match opened {
        Ok(Some(cookie_token)) => signed_in(cookie_token, secure, "/"),
        Ok(None) => link_gone(),
        Err(err) => err.into_response(),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /signout`: ends the session on the server and forgets the cookie.
pub async fn sign_out(
    State(app): State<Arc<App>>,
    Submitted { viewer, .. }: Submitted<NoFields>,
) -> Result<Response, PageError> {
    if let Proof::Session { id, .. } = &viewer.proof {
        let mut tx = app.db.begin().await?;
        session::revoke_session(tx.conn(), &viewer.caller.household_id, id, app.clock.now())
            .await?;
        tx.commit().await?;
    }
    let mut response = see_other("/signin");
    for value in [
        session::removal(SESSION_COOKIE, viewer.secure).to_string(),
        Flash::info("You are signed out.").cookie(viewer.secure),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert!(is_local_path("/"));
        assert!(is_local_path("/shopping?x=1"));
        assert!(!is_local_path("//evil.example/"));
        assert!(!is_local_path("/\\evil.example"));
        assert!(!is_local_path("https://evil.example/"));
        assert!(!is_local_path("shopping"));
        assert!(!is_local_path("/a\nb"));
    }
}
