//! SQL for household policies.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::db::DbError;
use crate::domain::day::format_instant;

/// A stored policy document (JSON text) and its version.
pub struct StoredPolicy {
    pub document: String,
    pub version: i64,
}

pub async fn get_policy(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Option<StoredPolicy>, DbError> {
    let row = sqlx::query("SELECT document, version FROM cone_policies WHERE household_id = $1")
        .bind(household_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| {
        Ok(StoredPolicy {
            document: r.try_get("document")?,
            version: r.try_get("version")?,
        })
    })
    .transpose()
}

/// Writes `document` as version `expected + 1` if the stored version is still `expected`
/// (no row counts as version 1, the default policy). Returns whether it did.
pub async fn put_policy(
    conn: &mut AnyConnection,
    household_id: &str,
    document: &str,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let updated = sqlx::query(
        "UPDATE cone_policies SET document = $1, version = version + 1, updated_at = $2
         WHERE household_id = $3 AND version = $4",
    )
    .bind(document)
    .bind(format_instant(now))
    .bind(household_id)
    .bind(expected)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 1 {
        return Ok(true);
    }
    if expected != 1 {
        return Ok(false);
    }
    let inserted = sqlx::query(
        "INSERT INTO cone_policies (household_id, document, version, updated_at)
         VALUES ($1, $2, 2, $3) ON CONFLICT (household_id) DO NOTHING",
    )
    .bind(household_id)
    .bind(document)
    .bind(format_instant(now))
    .execute(conn)
    .await?;
    Ok(inserted.rows_affected() == 1)
}
