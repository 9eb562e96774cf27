//! Browser sessions and one-time sign-in links: their secrets, cookies and SQL.
//!
//! The cookie carries a random token; the database keeps only its SHA-256. Each session and
//! link also names the API token whose authority it carries, so revoking that token signs the
//! browser out. The CSRF token of a session is derived from its cookie token, so it needs no
//! storage and cannot be read from the database.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use cookie::{Cookie, SameSite};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::new_id;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "valhalla_session";
/// How long a session lasts after sign-in.
pub const SESSION_LIFETIME: Duration = Duration::days(30);
/// How long a sign-in link may be used.
pub const LINK_LIFETIME: Duration = Duration::minutes(15);

/// A new random secret: 32 bytes, base64url.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Hex SHA-256 of a secret, as stored.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The CSRF token that goes with a session's cookie token.
pub fn csrf_token(cookie_token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"valhalla-csrf\n");
    hasher.update(cookie_token.as_bytes());
    URL_SAFE_NO_PAD.encode(hasher.finalize())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Whether cookies must be `Secure`: the public URL is https, or a proxy in front says the
/// request came over TLS (`X-Forwarded-Proto: https` or `Forwarded: proto=https`).
pub fn over_tls(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    if public_url.is_some_and(|u| u.to_ascii_lowercase().starts_with("https://")) {
        return true;
    }
    let forwarded_proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    let forwarded = headers
        .get("forwarded")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .is_some_and(|first| {
            first.split(';').any(|pair| {
                pair.trim()
                    .strip_prefix("proto=")
                    .is_some_and(|p| p.trim_matches('"').eq_ignore_ascii_case("https"))
            })
        });
    forwarded_proto || forwarded
}

/// A cookie with the attributes every cookie of ours has.
pub fn cookie(
    name: &'static str,
    value: String,
    max_age: Duration,
    secure: bool,
) -> Cookie<'static> {
    Cookie::build((name, value))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/")
        .secure(secure)
        .max_age(cookie::time::Duration::seconds(max_age.num_seconds()))
        .build()
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    cookie(name, String::new(), Duration::zero(), secure)
}

/// A live session found by its cookie token.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub household_id: String,
    pub id: String,
    pub member_id: String,
    pub api_token_hash: String,
}

/// Stores a new session; returns its id.
pub async fn insert_session(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
    api_token_hash: &str,
    cookie_token: &str,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    // Sessions of this household that ended long ago are of no use to anyone.
    sqlx::query("DELETE FROM web_sessions WHERE household_id = $1 AND expires_at < $2")
        .bind(household_id)
        .bind(format_instant(now - Duration::days(1)))
        .execute(&mut *conn)
        .await?;
    let id = new_id();
    sqlx::query(
        "INSERT INTO web_sessions (household_id, id, token_hash, member_id, api_token_hash,
                                   created_at, expires_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(household_id)
    .bind(&id)
    .bind(hash_secret(cookie_token))
    .bind(member_id)
    .bind(api_token_hash)
    .bind(format_instant(now))
    .bind(format_instant(now + SESSION_LIFETIME))
    .execute(conn)
    .await?;
    Ok(id)
}

/// The session a cookie token opens, if it is neither revoked nor expired.
pub async fn find_session(
    conn: &mut AnyConnection,
    cookie_token: &str,
    now: DateTime<Utc>,
) -> Result<Option<SessionRow>, DbError> {
    let row = sqlx::query(
        "SELECT household_id, id, member_id, api_token_hash FROM web_sessions
         WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(hash_secret(cookie_token))
    .bind(format_instant(now))
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(SessionRow {
            household_id: r.try_get("household_id")?,
            id: r.try_get("id")?,
            member_id: r.try_get("member_id")?,
            api_token_hash: r.try_get("api_token_hash")?,
        })
    })
    .transpose()
}

/// Ends a session (sign-out). Ending one that already ended does nothing.
pub async fn revoke_session(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE web_sessions SET revoked_at = $1
         WHERE household_id = $2 AND id = $3 AND revoked_at IS NULL",
    )
    .bind(format_instant(now))
    .bind(household_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Stores a one-time sign-in link for a member and API token; returns the link's secret.
pub async fn insert_link(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
    api_token_hash: &str,
    now: DateTime<Utc>,
) -> Result<String, LinkError> {
    let secret = new_secret().map_err(|e| LinkError::Random(e.to_string()))?;
    sqlx::query(
        "INSERT INTO web_signin_links (household_id, id, secret_hash, member_id, api_token_hash,
                                       created_at, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
    )
    .bind(household_id)
    .bind(new_id())
    .bind(hash_secret(&secret))
    .bind(member_id)
    .bind(api_token_hash)
    .bind(format_instant(now))
    .bind(format_instant(now + LINK_LIFETIME))
    .execute(conn)
    .await?;
    Ok(secret)
}

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("no random source: {0}")]
    Random(String),
}

impl From<sqlx::Error> for LinkError {
    fn from(err: sqlx::Error) -> LinkError {
        LinkError::Db(err.into())
    }
}

/// An unused, unexpired link: who it signs in.
#[derive(Debug, Clone)]
pub struct LinkRow {
    pub household_id: String,
    pub member_id: String,
    pub api_token_hash: String,
}

fn link_from_row(r: &sqlx::any::AnyRow) -> Result<LinkRow, DbError> {
    Ok(LinkRow {
        household_id: r.try_get("household_id")?,
        member_id: r.try_get("member_id")?,
        api_token_hash: r.try_get("api_token_hash")?,
    })
}

/// The member a link would sign in, without using it up.
pub async fn peek_link(
    conn: &mut AnyConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<LinkRow>, DbError> {
    let row = sqlx::query(
        "SELECT household_id, member_id, api_token_hash FROM web_signin_links
         WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(hash_secret(secret))
    .bind(format_instant(now))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(link_from_row).transpose()
}

/// Uses a link up: of concurrent attempts exactly one gets the row (the update is conditional
/// on the link being unused).
pub async fn use_link(
    conn: &mut AnyConnection,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Option<LinkRow>, DbError> {
    let row = sqlx::query(
        "UPDATE web_signin_links SET used_at = $1
         WHERE secret_hash = $2 AND used_at IS NULL AND expires_at > $1
         RETURNING household_id, member_id, api_token_hash",
    )
    .bind(format_instant(now))
    .bind(hash_secret(secret))
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(link_from_row).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_secret(&a).len(), 64);
        assert_ne!(hash_secret(&a), a);
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let t = csrf_token("cookie-a");
        assert_eq!(t, csrf_token("cookie-a"));
        assert_ne!(t, csrf_token("cookie-b"));
        assert_ne!(t, hash_secret("cookie-a"));
        assert!(same_secret(&t, &csrf_token("cookie-a")));
        assert!(!same_secret(&t, &csrf_token("cookie-b")));
        assert!(!same_secret(&t, ""));
    }

    #[test]
    fn tls_comes_from_the_public_url_or_the_proxy() {
        let mut h = HeaderMap::new();
        assert!(!over_tls(&h, None));
        assert!(!over_tls(&h, Some("http://home.lan:8080")));
        assert!(over_tls(&h, Some("https://home.example")));
        h.insert("x-forwarded-proto", "https".parse().unwrap());
        assert!(over_tls(&h, None));
        let mut h = HeaderMap::new();
        h.insert("forwarded", "for=1.2.3.4;proto=https".parse().unwrap());
        assert!(over_tls(&h, None));
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", "http".parse().unwrap());
        assert!(!over_tls(&h, None));
    }

    #[test]
    fn cookies_are_strict_and_http_only() {
        let c = cookie(SESSION_COOKIE, "abc".into(), SESSION_LIFETIME, false).to_string();
        assert!(c.contains("HttpOnly"), "{c}");
        assert!(c.contains("SameSite=Strict"), "{c}");
        assert!(c.contains("Path=/"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
        let c = cookie(SESSION_COOKIE, "abc".into(), SESSION_LIFETIME, true).to_string();
        assert!(c.contains("Secure"), "{c}");
    }
}
