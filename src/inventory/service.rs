//! Inventory operations shared by the HTTP routes and the automation dispatcher.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;

use super::model::{ItemFields, NOTES_MAX, OutOf};
use super::store::{self, ItemRecord};
use crate::domain::day::format_instant;
use crate::domain::money::Currency;
use crate::domain::{Day, Qty, new_id, text};
use crate::error::ApiError;
use crate::forecast::model::{UsageEvent, UsageSource};
use crate::forecast::store as usage_store;

/// 404 naming `field` when `location_id` is not a location of the household.
pub async fn check_location(
    conn: &mut AnyConnection,
    household_id: &str,
    field: &str,
    location_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = location_id
        && !store::location_exists(conn, household_id, id).await?
    {
        return Err(ApiError::unknown_reference(field, "location"));
    }
    Ok(())
}

/// Adds an item to the inventory, in the caller's transaction (an unknown `location_id` is a
/// 404 naming the field).
pub async fn create_item(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: &ItemFields,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<ItemRecord, ApiError> {
    check_location(
        conn,
        household_id,
        "location_id",
        fields.location_id.as_deref(),
    )
    .await?;
    Ok(store::insert_item(conn, household_id, fields, currency, now).await?)
}

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

/// Uses `qty` of an item, in the caller's transaction: lowers its quantity and logs the usage
/// (source `use`). More than on hand is a 409 and changes nothing.
pub async fn use_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    qty: Qty,
    used_on: NaiveDate,
    notes: Option<String>,
    now: DateTime<Utc>,
) -> Result<ItemRecord, ApiError> {
    let current = store::lock_item(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    let on_hand = Qty::from_milli(current.qty);
    let remaining = on_hand
        .checked_sub(qty)
        .ok_or_else(|| ApiError::conflict(format!("cannot use {qty}: only {on_hand} on hand")))?;
    let record = store::set_qty(conn, household_id, id, remaining, now).await?;
    let event = usage_event(id, qty, used_on, notes, UsageSource::Use, now);
    usage_store::insert_usage(conn, household_id, &event).await?;
    Ok(record)
}

/// Adds `qty` to an item's stock, in the caller's transaction.
pub async fn restock(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    qty: Qty,
    now: DateTime<Utc>,
) -> Result<ItemRecord, ApiError> {
    let current = store::lock_item(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    let total = Qty::from_milli(current.qty)
        .checked_add(qty)
        .ok_or_else(|| ApiError::field("qty", "the resulting quantity is out of range"))?;
    Ok(store::set_qty(conn, household_id, id, total, now).await?)
}
