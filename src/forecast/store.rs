//! SQL for usage events.

use sqlx::AnyConnection;

use super::model::UsageEvent;
use crate::db::DbError;
use crate::domain::day::format_day;

/// Records a usage event. Callers run it in the same transaction as any stock change.
pub async fn insert_usage(
    conn: &mut AnyConnection,
    household_id: &str,
    event: &UsageEvent,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO usage_events (household_id, id, inv_id, qty_used, used_on, notes, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(household_id)
    .bind(&event.id)
    .bind(&event.inv_id)
    .bind(event.qty_used.milli())
    .bind(format_day(event.used_on))
    .bind(event.notes.clone())
    .bind(event.source.as_str())
    .bind(&event.created_at)
    .execute(conn)
    .await?;
    Ok(())
}
