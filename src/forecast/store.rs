//! SQL for usage events and the forecast change feed.

use chrono::NaiveDate;
use futures::TryStreamExt;
use sqlx::{AnyConnection, Row};

use super::model::{UsageEvent, UsageSource, WindowUsage};
use crate::db::DbError;
use crate::domain::Qty;
use crate::domain::day::{format_day, parse_day};
use crate::pagination::PageRequest;

/// Advances the household's forecast change sequence and returns the new value. Every write
/// that changes a forecast input (usage, an item's name or quantity, an item's existence)
/// calls this in its transaction; the counter row's lock orders those transactions.
pub async fn next_seq(conn: &mut AnyConnection, household_id: &str) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO forecast_counters (household_id, seq) VALUES ($1, 1)
         ON CONFLICT (household_id) DO UPDATE SET seq = forecast_counters.seq + 1
         RETURNING seq",
    )
    .bind(household_id)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("seq")?)
}

/// The latest committed change sequence (0 before any change).
pub async fn current_seq(conn: &mut AnyConnection, household_id: &str) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT seq FROM forecast_counters WHERE household_id = $1")
        .bind(household_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| r.try_get("seq")).transpose()?.unwrap_or(0))
}

/// Records a usage event in the caller's transaction, stamped with the change sequence that
/// lets forecast state catch up on it.
pub async fn insert_usage(
    conn: &mut AnyConnection,
    household_id: &str,
    event: &UsageEvent,
) -> Result<(), DbError> {
    let seq = next_seq(conn, household_id).await?;
    sqlx::query(
        "INSERT INTO usage_events
           (household_id, id, inv_id, qty_used, used_on, notes, source, created_at, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(household_id)
    .bind(&event.id)
    .bind(&event.inv_id)
    .bind(event.qty_used.milli())
    .bind(format_day(event.used_on))
    .bind(event.notes.clone())
    .bind(event.source.as_str())
    .bind(&event.created_at)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// Remembers that an item is gone (its usage events go with it by cascade).
pub async fn record_tombstone(
    conn: &mut AnyConnection,
    household_id: &str,
    inv_id: &str,
) -> Result<(), DbError> {
    let seq = next_seq(conn, household_id).await?;
    sqlx::query(
        "INSERT INTO forecast_tombstones (household_id, inv_id, seq) VALUES ($1, $2, $3)
         ON CONFLICT (household_id, inv_id) DO UPDATE SET seq = excluded.seq",
    )
    .bind(household_id)
    .bind(inv_id)
    .bind(seq)
    .execute(conn)
    .await?;
    Ok(())
}

/// Usage of one item with `used_on` in `(after, until]`.
pub async fn window_usage(
    conn: &mut AnyConnection,
    household_id: &str,
    inv_id: &str,
    after: NaiveDate,
    until: NaiveDate,
) -> Result<WindowUsage, DbError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(qty_used), 0) AS BIGINT) AS used,
                CAST(COUNT(*) AS BIGINT) AS events
         FROM usage_events
         WHERE household_id = $1 AND inv_id = $2 AND used_on > $3 AND used_on <= $4",
    )
    .bind(household_id)
    .bind(inv_id)
    .bind(format_day(after))
    .bind(format_day(until))
    .fetch_one(conn)
    .await?;
    Ok(WindowUsage {
        qty_used_milli: row.try_get("used")?,
        events: row.try_get("events")?,
    })
}

/// An item as the forecast sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: String,
    pub name: String,
    pub name_key: String,
    pub qty: i64,
}

/// Items changed after `since` (all items for `since < 0`).
pub async fn items_changed_since(
    conn: &mut AnyConnection,
    household_id: &str,
    since: i64,
) -> Result<Vec<ItemRow>, DbError> {
    Ok(sqlx::query_as::<_, ItemRow>(
        "SELECT id, name, name_key, qty FROM inventory_items WHERE household_id = $1 AND seq > $2",
    )
    .bind(household_id)
    .bind(since)
    .fetch_all(conn)
    .await?)
}

/// One usage event as the forecast state needs it.
#[derive(Debug, Clone)]
pub struct UsageRow {
    pub inv_id: String,
    pub day: NaiveDate,
    pub qty_used: i64,
}

/// Calls `visit` for each usage event with a change sequence in `(since, upto]` and
/// `used_on > from`. Sequence order is commit order and events never change, so these are
/// exactly the events committed between the two points, whatever else commits meanwhile. Rows
/// are streamed, not collected: a full load may be millions of rows.
pub async fn each_usage_between(
    conn: &mut AnyConnection,
    household_id: &str,
    since: i64,
    upto: i64,
    from: NaiveDate,
    mut visit: impl FnMut(UsageRow),
) -> Result<(), DbError> {
    let mut rows = sqlx::query(
        "SELECT inv_id, used_on, qty_used FROM usage_events
         WHERE household_id = $1 AND seq > $2 AND seq <= $3 AND used_on > $4",
    )
    .bind(household_id)
    .bind(since)
    .bind(upto)
    .bind(format_day(from))
    .fetch(conn);
    while let Some(row) = rows.try_next().await? {
        let day: String = row.try_get("used_on")?;
        let Ok(day) = parse_day(&day) else { continue };
        visit(UsageRow {
            inv_id: row.try_get("inv_id")?,
            day,
            qty_used: row.try_get("qty_used")?,
        });
    }
    Ok(())
}

/// Calls `visit` with each item's usage committed up to sequence `upto` with `used_on > from`,
/// one call per item. The database groups the events by item (from the item index alone), so
/// a full load of millions of events crosses the driver as one row per item.
pub async fn each_item_usage_upto(
    conn: &mut AnyConnection,
    household_id: &str,
    upto: i64,
    from: NaiveDate,
    mut visit: impl FnMut(&str, &mut dyn Iterator<Item = (NaiveDate, i64)>),
) -> Result<(), DbError> {
    let mut rows = sqlx::query(
        "SELECT inv_id, string_agg(used_on || ' ' || qty_used, ',') AS usage
         FROM usage_events
         WHERE household_id = $1 AND seq <= $2 AND used_on > $3
         GROUP BY inv_id",
    )
    .bind(household_id)
    .bind(upto)
    .bind(format_day(from))
    .fetch(conn);
    while let Some(row) = rows.try_next().await? {
        let inv_id: String = row.try_get("inv_id")?;
        let usage: String = row.try_get("usage")?;
        let mut events = usage.split(',').filter_map(|event| {
            let (day, qty) = event.split_once(' ')?;
            Some((parse_day(day).ok()?, qty.parse().ok()?))
        });
        visit(&inv_id, &mut events);
    }
    Ok(())
}

/// Items deleted after `since`.
pub async fn tombstones_since(
    conn: &mut AnyConnection,
    household_id: &str,
    since: i64,
) -> Result<Vec<String>, DbError> {
    let rows =
        sqlx::query("SELECT inv_id FROM forecast_tombstones WHERE household_id = $1 AND seq > $2")
            .bind(household_id)
            .bind(since)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|r| r.try_get("inv_id").map_err(DbError::from))
        .collect()
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    inv_id: String,
    qty_used: i64,
    used_on: String,
    notes: Option<String>,
    source: String,
    created_at: String,
}

impl EventRow {
    fn into_event(self) -> UsageEvent {
        UsageEvent {
            used_on: parse_day(&self.used_on).unwrap_or_default(),
            id: self.id,
            inv_id: self.inv_id,
            qty_used: Qty::from_milli(self.qty_used),
            notes: self.notes,
            source: UsageSource::parse(&self.source).unwrap_or(UsageSource::Manual),
            created_at: self.created_at,
        }
    }
}

/// Usage events, newest day first (ties: newest id first), optionally for one item.
pub async fn list_usage(
    conn: &mut AnyConnection,
    household_id: &str,
    inv_id: Option<&str>,
    page: &PageRequest,
) -> Result<Vec<UsageEvent>, DbError> {
    let rows = sqlx::query_as::<_, EventRow>(
        "SELECT id, inv_id, qty_used, used_on, notes, source, created_at FROM usage_events
         WHERE household_id = $1
           AND ($2 IS NULL OR inv_id = $2)
           AND ($3 IS NULL OR used_on < $3 OR (used_on = $3 AND id < $4))
         ORDER BY used_on DESC, id DESC
         LIMIT $5",
    )
    .bind(household_id)
    .bind(inv_id.map(str::to_string))
    .bind(page.after_part(0).map(str::to_string))
    .bind(page.after_part(1).unwrap_or("").to_string())
    .bind(page.fetch_limit())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(EventRow::into_event).collect())
}
