//! Inventory operations shared by the HTTP routes and the automation dispatcher.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;

use super::model::{NOTES_MAX, OutOf};
use super::store::{self, ItemRecord};
use crate::domain::day::format_instant;
use crate::domain::{Day, Qty, new_id, text};
use crate::error::ApiError;
use crate::forecast::model::{UsageEvent, UsageSource};
use crate::forecast::store as usage_store;

/// A usage date from a request: default today, never after today.
pub fn usage_day(used_on: Option<Day>, today: NaiveDate) -> Result<NaiveDate, ApiError> {
    match used_on {
        None => Ok(today),
        Some(Day(day)) if day <= today => Ok(day),
        Some(_) => Err(ApiError::field("used_on", "must not be after today")),
    }
}

/// A checked `out_of` request.
#[derive(Debug, Clone)]
pub struct RunOut {
    pub used_on: NaiveDate,
    pub notes: Option<String>,
}

impl OutOf {
    pub fn validate(self, today: NaiveDate) -> Result<RunOut, ApiError> {
        Ok(RunOut {
            used_on: usage_day(self.used_on, today)?,
            notes: text::optional("notes", self.notes.as_deref(), NOTES_MAX)?,
        })
    }
}

/// A usage event for an item, written by `use` or `out_of`.
pub fn usage_event(
    inv_id: &str,
    qty_used: Qty,
    used_on: NaiveDate,
    notes: Option<String>,
    source: UsageSource,
    now: DateTime<Utc>,
) -> UsageEvent {
    UsageEvent {
        id: new_id(),
        inv_id: inv_id.to_string(),
        qty_used,
        used_on,
        notes,
        source,
        created_at: format_instant(now),
    }
}

/// Marks an item run out, in the caller's transaction: `qty` becomes 0 and, when it was above
/// 0, the remaining quantity is logged as usage (source `out_of`). At 0 nothing is logged.
pub async fn out_of(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    input: RunOut,
    now: DateTime<Utc>,
) -> Result<ItemRecord, ApiError> {
    let current = store::lock_item(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    let remaining = Qty::from_milli(current.qty);
    if remaining.is_zero() {
        return Ok(current);
    }
    let record = store::set_qty(conn, household_id, id, Qty::ZERO, now).await?;
    let event = usage_event(
        id,
        remaining,
        input.used_on,
        input.notes,
        UsageSource::OutOf,
        now,
    );
    usage_store::insert_usage(conn, household_id, &event).await?;
    Ok(record)
}
