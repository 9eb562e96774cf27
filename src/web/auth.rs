//! Who is looking at a page, and whether a form post may change anything.
//!
//! A page accepts a session cookie or the API's `Authorization: Bearer` header. A state-changing
//! form post must come from our own pages: the browser's `Sec-Fetch-Site` / `Origin` must say
//! so, and a session-authenticated post must carry the session's CSRF token. Roles are not
//! checked here: the pages call the same service functions (and the same role checks) as the
//! API, so a forged post gets the same refusal a hidden button would have implied.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use cookie::Cookie;
use serde::de::DeserializeOwned;

use super::error::PageError;
use super::flash::Flash;
use super::session::{self, SESSION_COOKIE};
use crate::app::App;
use crate::error::ApiError;
use crate::extract::{Caller, bearer_token, caller_for_token, read_limited};
use crate::household::store as household_store;

/// The name of the hidden form field holding the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// Largest urlencoded form accepted.
const FORM_LIMIT: usize = 64 * 1024;

/// How the viewer proved who they are.
#[derive(Debug, Clone)]
pub enum Proof {
    /// A browser session; `csrf` is the token its forms must carry.
    Session { id: String, csrf: String },
    /// An API token in `Authorization: Bearer` (nothing ambient: no CSRF token needed).
    Bearer,
}

/// The signed-in member looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub caller: Caller,
    pub household_name: String,
    pub proof: Proof,
    /// A message left by the previous action (shown once).
    pub flash: Option<Flash>,
    /// Whether cookies we set must be `Secure`.
    pub secure: bool,
}

impl Viewer {
    /// The CSRF token forms must carry (empty for bearer clients, which need none).
    pub fn csrf(&self) -> &str {
        match &self.proof {
            Proof::Session { csrf, .. } => csrf,
            Proof::Bearer => "",
        }
    }
}

/// The value of one of our cookies in the request.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty())
}

/// Whether the request shows signs of coming from another site. Browsers send
/// `Sec-Fetch-Site` (and `Origin` on POST); clients that send neither are not browsers driven
/// by another site, and a session-authenticated post still needs its CSRF token.
pub fn cross_site(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && site.as_bytes() != b"same-origin"
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    if let Some(public) = public_url {
        let public = origin_of(public);
        if !public.is_empty() && origin == public {
            return false;
        }
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    host.is_empty() || authority != host
}

/// `scheme://host[:port]` of a URL, lower-cased.
fn origin_of(url: &str) -> String {
    let url = url.trim().to_ascii_lowercase();
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split('/').next().unwrap_or("");
            format!("{scheme}://{host}")
        }
        None => String::new(),
    }
}

/// Where to send someone who is not signed in, back to `path` afterwards.
fn to_signin(parts: &Parts) -> Response {
    let wanted = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_string();
    let cross = parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if parts.method == Method::GET && cross {
        // A link from another site (mail, chat): the browser holds our SameSite=Strict cookie
        // back. Going on from a page of our own sends it, so someone signed in is not asked to
        // sign in again; someone who is not lands on the sign-in page from there.
        return super::pages::signin::continue_page(&wanted);
    }
    let target = if parts.method == Method::GET && super::pages::signin::is_local_path(&wanted) {
        format!("/signin?next={}", super::format::url_encode(&wanted))
    } else {
        "/signin".to_string()
    };
    super::see_other(&target)
}

impl FromRequestParts<Arc<App>> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Viewer, Response> {
        let public_url = app.web.public_url.as_deref();
        let secure = session::over_tls(&parts.headers, public_url);
        let flash = Flash::from_headers(&parts.headers);
        let (caller, proof) = if let Some(token) = bearer_token(&parts.headers) {
            match caller_for_token(app, token).await {
                Ok(Some(caller)) => (caller, Proof::Bearer),
                Ok(None) => return Err(PageError::from(ApiError::unauthorized()).into_response()),
                Err(err) => return Err(PageError::from(err).into_response()),
            }
        } else {
            match from_session(app, &parts.headers).await {
                Ok(Some(found)) => found,
                Ok(None) => return Err(to_signin(parts)),
                Err(err) => return Err(err.into_response()),
            }
        };
        let household_name = {
            let mut conn = app
                .db
                .read()
                .await
                .map_err(|e| PageError::from(e).into_response())?;
            household_store::household_name(&mut conn, &caller.household_id)
                .await
                .map_err(|e| PageError::from(e).into_response())?
                .unwrap_or_default()
        };
        Ok(Viewer {
            caller,
            household_name,
            proof,
            flash,
            secure,
        })
    }
}

async fn from_session(
    app: &App,
    headers: &HeaderMap,
) -> Result<Option<(Caller, Proof)>, PageError> {
    let Some(cookie_token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let mut conn = app.db.read().await?;
    let Some(found) = session::find_session(&mut conn, &cookie_token, app.clock.now()).await?
    else {
        return Ok(None);
    };
    let caller = household_store::caller_for_member(
        &mut conn,
        &found.household_id,
        &found.member_id,
        &found.api_token_hash,
    )
    .await?;
    Ok(caller.map(|caller| {
        (
            caller,
            Proof::Session {
                id: found.id,
                csrf: session::csrf_token(&cookie_token),
            },
        )
    }))
}

/// A state-changing form post from one of our pages: same-origin, signed in, carrying the
/// session's CSRF token, with its fields parsed into `T` (a 400 page otherwise).
pub struct Submitted<T> {
    pub viewer: Viewer,
    pub form: T,
}

/// Refuses a post from another site before anything else is looked at.
pub fn check_origin(headers: &HeaderMap, app: &App) -> Result<(), PageError> {
    if cross_site(headers, app.web.public_url.as_deref()) {
        return Err(PageError::from(ApiError::forbidden(
            "this form was sent from another site; nothing was changed",
        )));
    }
    Ok(())
}

/// Refuses a session-authenticated post whose CSRF token is missing or wrong.
pub fn check_csrf(viewer: &Viewer, sent: Option<&str>) -> Result<(), PageError> {
    match &viewer.proof {
        Proof::Bearer => Ok(()),
        Proof::Session { csrf, .. } if sent.is_some_and(|s| session::same_secret(s, csrf)) => {
            Ok(())
        }
        Proof::Session { .. } => Err(PageError::from(ApiError::forbidden(
            "this form has expired or did not come from this page; reload the page and try again",
        ))),
    }
}

impl<T: DeserializeOwned> FromRequest<Arc<App>> for Submitted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &Arc<App>) -> Result<Submitted<T>, Response> {
        let (mut parts, body) = req.into_parts();
        check_origin(&parts.headers, app).map_err(IntoResponse::into_response)?;
        let viewer = Viewer::from_request_parts(&mut parts, app).await?;
        let form = read_form(body).await.map_err(IntoResponse::into_response)?;
        check_csrf(&viewer, form.csrf.as_deref()).map_err(IntoResponse::into_response)?;
        let form = parse_fields(&form.fields).map_err(|e| PageError::from(e).into_response())?;
        Ok(Submitted { viewer, form })
    }
}

/// A urlencoded form body: its CSRF token and its other fields.
struct RawForm {
    csrf: Option<String>,
    fields: Vec<(String, String)>,
}

async fn read_form(body: Body) -> Result<RawForm, PageError> {
    let bytes = read_limited(body, FORM_LIMIT).await?;
    let mut csrf = None;
    let mut fields = Vec::new();
    for (name, value) in form_urlencoded::parse(&bytes) {
        if name == CSRF_FIELD {
            csrf = Some(value.into_owned());
        } else {
            fields.push((name.into_owned(), value.into_owned()));
        }
    }
    Ok(RawForm { csrf, fields })
}

/// Reads a urlencoded form without a session (sign-in): its fields parsed into `T`.
pub async fn read_fields<T: DeserializeOwned>(body: Body) -> Result<T, PageError> {
    let form = read_form(body).await?;
    Ok(parse_fields(&form.fields)?)
}

/// Parses form fields into `T`; blank fields count as absent, so optional inputs left empty
/// are `None`.
fn parse_fields<T: DeserializeOwned>(fields: &[(String, String)]) -> Result<T, ApiError> {
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields.iter().filter(|(_, v)| !v.trim().is_empty()))
        .finish();
    crate::extract::parse_query(&encoded)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn same_origin_posts_pass() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "http://127.0.0.1:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(!cross_site(&h, None));
        // Non-browser clients send neither header.
        assert!(!cross_site(&headers(&[("host", "x")]), None));
    }

    #[test]
    fn other_sites_are_refused() {
        let h = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(cross_site(&h, None));
        let h = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-site")]);
        assert!(cross_site(&h, None));
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(cross_site(&h, None));
        let h = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
        assert!(cross_site(&h, None));
    }

    #[test]
    fn the_public_url_is_our_origin_behind_a_proxy() {
        let h = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://home.example"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(cross_site(&h, None));
        assert!(!cross_site(&h, Some("https://home.example/")));
    }

    #[test]
    fn blank_fields_are_absent() {
        #[derive(serde::Deserialize)]
        struct F {
            name: String,
            est_total: Option<String>,
        }
        let f: F = parse_fields(&[
            ("name".into(), "milk".into()),
            ("est_total".into(), " ".into()),
        ])
        .unwrap();
        assert_eq!(f.name, "milk");
        assert!(f.est_total.is_none());
    }
}
