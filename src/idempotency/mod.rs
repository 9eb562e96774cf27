//! `Idempotency-Key` on POST: the same key and request within 24 h replays the first
//! answer and does nothing again; the same key with a different request is a 409.
//!
//! The middleware answers replays before the handler runs. Otherwise it hands the handler an
//! [`IdempotencyKey`]; [`RequestTx::finish`] stores the answer in the same transaction as the
//! effect, so a crash can never leave an effect without its record or the reverse.

mod store;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;

use crate::app::App;
use crate::db::{Db, DbError, Tx};
use crate::error::ApiError;
use crate::extract::{Caller, JSON_BODY_LIMIT, read_limited};
use crate::reply::Reply;

pub use store::purge_expired;

pub const HEADER: &str = "idempotency-key";
/// How long a key is remembered.
pub const RETENTION: chrono::Duration = chrono::Duration::hours(24);

/// A request's idempotency key and the fingerprint of what it asked for.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub key: String,
    pub method: String,
    pub path: String,
    pub request_hash: String,
}

/// A stored first answer.
#[derive(Debug, Clone)]
pub struct StoredReply {
    pub request_hash: String,
    pub reply: Reply,
}

/// Middleware for `/core`: replays or refuses repeated keys; runs after authentication.
pub async fn idempotency(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw_key) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let key = match raw_key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            k.to_string()
        }
        _ => {
            return ApiError::field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            )
            .into_response();
        }
    };
    let Some(caller) = req.extensions().get::<Caller>().cloned() else {
        return ApiError::unauthorized().into_response();
    };
    let (mut parts, body) = req.into_parts();
    let bytes = match read_limited(body, JSON_BODY_LIMIT).await {
        Ok(b) => b,
        Err(err) => return err.into_response(),
    };
    let path = parts.uri.path().to_string();
    let request_hash = fingerprint(parts.uri.query().unwrap_or(""), &bytes);
    let now = app.clock.now();
    match find(&app.db, &caller, &path, &key, now).await {
        Ok(Some(stored)) => return answer_repeat(stored, &request_hash),
        Ok(None) => {}
        Err(err) => return err.into_response(),
    }
    parts.extensions.insert(IdempotencyKey {
        key,
        method: Method::POST.to_string(),
        path,
        request_hash,
    });
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn fingerprint(query: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(query.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

async fn find(
    db: &Db,
    caller: &Caller,
    path: &str,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredReply>, ApiError> {
    let mut conn = db.read().await?;
    Ok(store::find(
        &mut conn,
        &caller.household_id,
        &caller.member_id,
        "POST",
        path,
        key,
        now - RETENTION,
    )
    .await?)
}

/// The answer to a key seen before: the first reply again, or 409 if the request differs.
fn answer_repeat(stored: StoredReply, request_hash: &str) -> Response {
    if stored.request_hash != request_hash {
        return ApiError::conflict(
            "this Idempotency-Key was already used with a different request",
        )
        .into_response();
    }
    let mut response = stored.reply.into_response();
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

/// Records `key` with `reply` in the caller's transaction. Returns false when a live record
/// for the key already exists (a concurrent request with the same key won).
pub async fn save_key(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
    key: &IdempotencyKey,
    reply: &Reply,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    store::save(
        conn,
        household_id,
        member_id,
        key,
        reply,
        now,
        now - RETENTION,
    )
    .await
}

/// The answer for a request that lost a race for its key (its own changes were undone):
/// the winner's reply, or 409 if the requests differ.
pub async fn answer_lost_race(
    db: &Db,
    household_id: &str,
    member_id: &str,
    key: &IdempotencyKey,
    now: DateTime<Utc>,
) -> Result<Response, ApiError> {
    let mut conn = db.read().await?;
    let stored = store::find(
        &mut conn,
        household_id,
        member_id,
        &key.method,
        &key.path,
        &key.key,
        now - RETENTION,
    )
    .await?;
    Ok(match stored {
        Some(stored) => answer_repeat(stored, &key.request_hash),
        None => {
            ApiError::conflict("a request with this Idempotency-Key is in flight").into_response()
        }
    })
}

/// A request's write transaction, carrying its idempotency key (if any).
pub struct RequestTx {
    tx: Tx,
    db: Db,
    household_id: String,
    member_id: String,
    key: Option<IdempotencyKey>,
    now: DateTime<Utc>,
}

impl RequestTx {
    pub(crate) fn new(
        tx: Tx,
        db: Db,
        household_id: String,
        member_id: String,
        key: Option<IdempotencyKey>,
        now: DateTime<Utc>,
    ) -> RequestTx {
        RequestTx {
            tx,
            db,
            household_id,
            member_id,
            key,
            now,
        }
    }

    pub fn conn(&mut self) -> &mut AnyConnection {
        self.tx.conn()
    }

    /// Records the idempotency key with `reply` (in this transaction) and commits.
    /// If a concurrent request with the same key committed first, this one is rolled back
    /// and answered like a repeat.
    pub async fn finish(mut self, reply: Reply) -> Result<Response, ApiError> {
        if let Some(key) = self.key.take()
            && reply.status.is_success()
        {
            let saved = save_key(
                self.tx.conn(),
                &self.household_id,
                &self.member_id,
                &key,
                &reply,
                self.now,
            )
            .await?;
            if !saved {
                self.tx.rollback().await?;
                return answer_lost_race(
                    &self.db,
                    &self.household_id,
                    &self.member_id,
                    &key,
                    self.now,
                )
                .await;
            }
        }
        self.tx.commit().await?;
        Ok(reply.into_response())
    }

    /// Commits without recording the answer: for answers that carry a secret (a new token),
    /// which must never be stored in plain text. A retry with the same key runs again.
    pub async fn finish_unrecorded(self, reply: Reply) -> Result<Response, ApiError> {
        self.tx.commit().await?;
        Ok(reply.into_response())
    }

    /// Commits without a reply (the handler answers 204 or builds its own response).
    pub async fn commit(self) -> Result<(), ApiError> {
        Ok(self.tx.commit().await?)
    }
}
