//! Schedule operations, shared by the HTTP handlers, the shopping generators and (later) the
//! scheduler tick and reminders. Each takes a connection inside the caller's transaction.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{Event, EventFields, EventPatch, Kind};
use super::occurrence::{EventOccurrence, Window, expand};
use super::store::{self, EventRecord};
use crate::domain::money::Currency;
use crate::error::ApiError;
use crate::extract::IfMatch;
use crate::inventory::store as inventory_store;
use crate::shopping::store as shopping_store;

async fn check_inventory_item(
    conn: &mut AnyConnection,
    household_id: &str,
    inv_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = inv_id
        && inventory_store::get_item(conn, household_id, id)
            .await?
            .is_none()
    {
        return Err(ApiError::unknown_reference("inv_id", "inventory item"));
    }
    Ok(())
}

/// Creates an event from checked fields.
pub async fn create_event(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: &EventFields,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<EventRecord, ApiError> {
    check_inventory_item(conn, household_id, fields.inv_id.as_deref()).await?;
    Ok(store::insert_event(conn, household_id, fields, currency, now).await?)
}

/// Applies a patch under `If-Match`.
pub async fn update_event(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    if_match: Option<IfMatch>,
    patch: EventPatch,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<EventRecord, ApiError> {
    let current = store::lock_event(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("schedule event"))?;
    IfMatch::check(if_match, current.version)?;
    let fields = patch.apply(current.fields(), currency)?;
    if fields.inv_id != current.inv_id {
        check_inventory_item(conn, household_id, fields.inv_id.as_deref()).await?;
    }
    store::update_event(
        conn,
        household_id,
        id,
        &fields,
        currency,
        current.version,
        now,
    )
    .await?
    .ok_or_else(ApiError::precondition_failed)
}

/// Deletes an event under `If-Match`. Shopping items generated from it stay on the list,
/// unlinked from the event (their `need_date` is kept).
pub async fn delete_event(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    if_match: Option<IfMatch>,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let current = store::lock_event(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("schedule event"))?;
    IfMatch::check(if_match, current.version)?;
    shopping_store::detach_schedule_event(conn, household_id, id, now).await?;
    store::delete_event(conn, household_id, id).await?;
    Ok(())
}

/// Every occurrence inside `window` (optionally of one kind), ordered by date, then event id.
pub async fn occurrences(
    conn: &mut AnyConnection,
    household_id: &str,
    window: Window,
    kind: Option<Kind>,
) -> Result<Vec<EventOccurrence>, ApiError> {
    let records = store::events_touching(conn, household_id, window, kind).await?;
    let events: Vec<(Event, EventFields)> = records
        .iter()
        .map(|record| (record.to_event(), record.fields()))
        .collect();
    let found = expand(
        &events,
        |(event, fields)| (fields.series(), event.id.as_str()),
        window,
    );
    Ok(found
        .into_iter()
        .map(|((event, _), date)| EventOccurrence {
            event: event.clone(),
            date,
        })
        .collect())
}
