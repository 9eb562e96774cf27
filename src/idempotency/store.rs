//! SQL for remembered idempotent answers.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::{IdempotencyKey, StoredReply};
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::reply::Reply;

/// The answer stored for this key, unless it is older than `cutoff`.
pub async fn find(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
    method: &str,
    path: &str,
    key: &str,
    cutoff: DateTime<Utc>,
) -> Result<Option<StoredReply>, DbError> {
    let row = sqlx::query(
        "SELECT request_hash, status, body, etag FROM idempotency_keys
         WHERE household_id = $1 AND member_id = $2 AND method = $3 AND path = $4
           AND idem_key = $5 AND created_at >= $6",
    )
    .bind(household_id)
    .bind(member_id)
    .bind(method)
    .bind(path)
    .bind(key)
    .bind(format_instant(cutoff))
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: i64 = row.try_get("status")?;
    let body: String = row.try_get("body")?;
    Ok(Some(StoredReply {
        request_hash: row.try_get("request_hash")?,
        reply: Reply {
            status: u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK),
            body: body.into_bytes(),
            etag: row.try_get("etag")?,
        },
    }))
}

/// Stores the first answer for a key. Returns false when a live record for the key already
/// exists (a concurrent request with the same key won); an expired one is replaced.
pub async fn save(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
    key: &IdempotencyKey,
    reply: &Reply,
    now: DateTime<Utc>,
    cutoff: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = sqlx::query(
        "INSERT INTO idempotency_keys
           (household_id, member_id, method, path, idem_key, request_hash, status, body, etag, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (household_id, member_id, method, path, idem_key) DO UPDATE SET
           request_hash = excluded.request_hash, status = excluded.status, body = excluded.body,
           etag = excluded.etag, created_at = excluded.created_at
         WHERE idempotency_keys.created_at < $11",
    )
    .bind(household_id)
    .bind(member_id)
    .bind(&key.method)
    .bind(&key.path)
    .bind(&key.key)
    .bind(&key.request_hash)
    .bind(i64::from(reply.status.as_u16()))
    .bind(String::from_utf8_lossy(&reply.body).into_owned())
    .bind(reply.etag.clone())
    .bind(format_instant(now))
    .bind(format_instant(cutoff))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Forgets keys older than `cutoff`.
pub async fn purge_expired(
    conn: &mut AnyConnection,
    cutoff: DateTime<Utc>,
) -> Result<u64, DbError> {
    let result = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
        .bind(format_instant(cutoff))
        .execute(conn)
        .await?;
    Ok(result.rows_affected())
}
