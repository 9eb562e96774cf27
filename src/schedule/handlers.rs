//! HTTP handlers for schedule events and occurrences.

use axum::response::Response;
use chrono::Days;
use serde::Deserialize;

use super::model::{Event, EventPatch, Kind, NewEvent};
use super::occurrence::{Occurrence, Window};
use super::service;
use super::store::{self, EventRecord};
use crate::domain::Day;
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

fn event_reply(
    reply: fn(&Event) -> Result<Reply, ApiError>,
    record: &EventRecord,
) -> Result<Reply, ApiError> {
    Ok(reply(&record.to_event())?.versioned(record.version))
}

/// Schedule an event, once or recurring.
#[utoipa::path(post, path = "/core/schedule", tag = "schedule", request_body = NewEvent,
    responses((status = 201, body = Event, headers(("ETag" = String)))))]
pub async fn create_event(ctx: Ctx, Json(body): Json<NewEvent>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let currency = ctx.caller.settings.currency;
    let fields = body.validate(currency)?;
    let mut tx = ctx.begin().await?;
    let record =
        service::create_event(tx.conn(), ctx.household_id(), &fields, currency, ctx.now()).await?;
    tx.finish(event_reply(Reply::created, &record)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEventsQuery {
    /// Only events of this kind.
    pub kind: Option<Kind>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List events, ordered by first date.
#[utoipa::path(get, path = "/core/schedule", tag = "schedule", params(ListEventsQuery),
    responses((status = 200, body = Page<Event>)))]
pub async fn list_events(
    ctx: Ctx,
    Query(query): Query<ListEventsQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let records = store::list_events(&mut conn, ctx.household_id(), query.kind, &page).await?;
    let page = page.page(records, |r| vec![r.event_date.clone(), r.id.clone()]);
    Reply::ok(&Page {
        items: page.items.iter().map(EventRecord::to_event).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Read one event.
#[utoipa::path(get, path = "/core/schedule/{id}", tag = "schedule",
    params(("id" = String, Path)),
    responses((status = 200, body = Event, headers(("ETag" = String)))))]
pub async fn get_event(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let record = store::get_event(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("schedule event"))?;
    event_reply(Reply::ok, &record)
}

/// Change an event's fields. Honors `If-Match`.
#[utoipa::path(patch, path = "/core/schedule/{id}", tag = "schedule",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    request_body = EventPatch,
    responses((status = 200, body = Event, headers(("ETag" = String)))))]
pub async fn patch_event(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
    Json(patch): Json<EventPatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let currency = ctx.caller.settings.currency;
    let mut tx = ctx.begin().await?;
    let record = service::update_event(
        tx.conn(),
        ctx.household_id(),
        &id,
        if_match,
        patch,
        currency,
        ctx.now(),
    )
    .await?;
    tx.finish(event_reply(Reply::ok, &record)?).await
}

/// Delete an event. Shopping items made from it stay, unlinked. Honors `If-Match`.
#[utoipa::path(delete, path = "/core/schedule/{id}", tag = "schedule",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_event(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    service::delete_event(tx.conn(), ctx.household_id(), &id, if_match, ctx.now()).await?;
    tx.finish(Reply::no_content()).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OccurrencesQuery {
    /// First day (inclusive); default today in the household's time zone.
    pub from: Option<Day>,
    /// Last day (inclusive); default `from` + 30 days. At most 366 dates in all.
    pub to: Option<Day>,
    /// Only occurrences of events of this kind.
    pub kind: Option<Kind>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// Default length of an occurrence window when `to` is not given.
const DEFAULT_WINDOW_DAYS: u64 = 30;

/// Occurrences of events between `from` and `to` (inclusive), recurrences expanded on the
/// household's calendar, ordered by date.
#[utoipa::path(get, path = "/core/schedule/occurrences", tag = "schedule",
    params(OccurrencesQuery), responses((status = 200, body = Page<Occurrence>)))]
pub async fn list_occurrences(
    ctx: Ctx,
    Query(query): Query<OccurrencesQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let from = query.from.map_or_else(|| ctx.today(), |d| d.0);
    let to = match query.to {
        Some(day) => day.0,
        None => from
            .checked_add_days(Days::new(DEFAULT_WINDOW_DAYS))
            .ok_or_else(|| ApiError::field("from", "is too late in the calendar"))?,
    };
    let window = Window::new(from, to)?;
    let mut conn = ctx.app.db.read().await?;
    let found = service::occurrences(&mut conn, ctx.household_id(), window, query.kind).await?;
    let after = (page.after_part(0), page.after_part(1));
    let rows: Vec<Occurrence> = found
        .iter()
        .map(|o| o.occurrence())
        .filter(|o| match after {
            (Some(date), Some(id)) => {
                let day = crate::domain::day::format_day(o.date);
                (day.as_str(), o.event_id.as_str()) > (date, id)
            }
            _ => true,
        })
        .take(page.fetch_limit() as usize)
        .collect();
    Reply::ok(&page.page(rows, |o| {
        vec![crate::domain::day::format_day(o.date), o.event_id.clone()]
    }))
}
