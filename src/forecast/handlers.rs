//! HTTP handlers for usage logging and forecasts.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::model::{
    DEFAULT_ROLLUP_LIMIT, DEFAULT_WINDOW_DAYS, Forecast, MAX_ROLLUP_LIMIT, MAX_WINDOW_DAYS,
    UsageEvent, UsageSource, window_bounds,
};
use super::store;
use super::writer::{UsageOutcome, UsageWrite};
use crate::domain::day::format_instant;
use crate::domain::{Day, DecimalInput, Qty, new_id, text};
use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path, Query};
use crate::idempotency;
use crate::inventory::store as inventory_store;
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;
use axum::response::IntoResponse;

/// `POST /core/forecast/usage`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUsage {
    /// The inventory item used.
    pub inv_id: String,
    /// How much was used; more than 0.
    #[schema(value_type = crate::openapi::schemas::PositiveQtyInput)]
    pub qty_used: DecimalInput,
    /// Default today (household time zone); not after today.
    pub used_on: Option<Day>,
    #[schema(value_type = Option<crate::openapi::schemas::Text2000>)]
    pub notes: Option<String>,
}

/// Log usage of an item (its `qty` is not changed; `/inventory/{id}/use` does both).
#[utoipa::path(post, path = "/core/forecast/usage", tag = "forecast", request_body = NewUsage,
    responses((status = 201, body = UsageEvent)))]
pub async fn log_usage(ctx: Ctx, Json(body): Json<NewUsage>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let qty_used = body.qty_used.positive_qty("qty_used")?;
    let today = ctx.today();
    let used_on = match body.used_on {
        None => today,
        Some(Day(day)) if day <= today => day,
        Some(_) => return Err(ApiError::field("used_on", "must not be after today")),
    };
    let event = UsageEvent {
        id: new_id(),
        inv_id: body.inv_id,
        qty_used,
        used_on,
        notes: text::optional("notes", body.notes.as_deref(), 2000)?,
        source: UsageSource::Manual,
        created_at: format_instant(ctx.now()),
    };
    let reply = Reply::created(&event)?;
    let key = ctx.idempotency.clone();
    let write = UsageWrite {
        household_id: ctx.household_id().to_string(),
        member_id: ctx.caller.member_id.clone(),
        event,
        reply,
        key: key.clone(),
        now: ctx.now(),
    };
    match ctx.app.usage_writer.write(write).await? {
        UsageOutcome::Created(reply) => Ok(reply.into_response()),
        UsageOutcome::UnknownItem => Err(ApiError::unknown_reference("inv_id", "inventory item")),
        UsageOutcome::KeyTaken => match &key {
            Some(key) => {
                idempotency::answer_lost_race(
                    &ctx.app.db,
                    ctx.household_id(),
                    &ctx.caller.member_id,
                    key,
                    ctx.now(),
                )
                .await
            }
            None => Err(ApiError::conflict("a concurrent request used the same key")),
        },
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsageQuery {
    /// Only this item's usage.
    pub inv_id: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List usage events, most recent day first.
#[utoipa::path(get, path = "/core/forecast/usage", tag = "forecast", params(ListUsageQuery),
    responses((status = 200, body = Page<UsageEvent>)))]
pub async fn list_usage(ctx: Ctx, Query(query): Query<ListUsageQuery>) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let events = store::list_usage(
        &mut conn,
        ctx.household_id(),
        query.inv_id.as_deref(),
        &page,
    )
    .await?;
    Reply::ok(&page.page(events, |e| {
        vec![crate::domain::day::format_day(e.used_on), e.id.clone()]
    }))
}

/// Checks `window_days` (1–365, default 30).
pub fn window_days(value: Option<u32>) -> Result<u32, ApiError> {
    let days = value.unwrap_or(DEFAULT_WINDOW_DAYS);
    if !(1..=MAX_WINDOW_DAYS).contains(&days) {
        return Err(ApiError::field(
            "window_days",
            format!("must be between 1 and {MAX_WINDOW_DAYS}"),
        ));
    }
    Ok(days)
}

/// Checks a rollup's `limit` (1–500, default 20).
pub fn rollup_limit(value: Option<u32>) -> Result<u32, ApiError> {
    let limit = value.unwrap_or(DEFAULT_ROLLUP_LIMIT);
    if !(1..=MAX_ROLLUP_LIMIT).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            format!("must be between 1 and {MAX_ROLLUP_LIMIT}"),
        ));
    }
    Ok(limit)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ForecastQuery {
    /// Days of usage to average, 1–365 (default 30).
    #[param(minimum = 1, maximum = 365)]
    pub window_days: Option<u32>,
}

/// Forecast one item: burn rate over the window, days left, depletion date.
#[utoipa::path(get, path = "/core/forecast/inventory/{inv_id}", tag = "forecast",
    params(("inv_id" = String, Path), ForecastQuery),
    responses((status = 200, body = Forecast)))]
pub async fn item_forecast(
    ctx: Ctx,
    Path(inv_id): Path<String>,
    Query(query): Query<ForecastQuery>,
) -> Result<Reply, ApiError> {
    let window_days = window_days(query.window_days)?;
    let today = ctx.today();
    let mut conn = ctx.app.db.read().await?;
    let item = inventory_store::get_item(&mut conn, ctx.household_id(), &inv_id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    let (after, until) = window_bounds(today, window_days);
    let usage = store::window_usage(&mut conn, ctx.household_id(), &inv_id, after, until).await?;
    Reply::ok(&Forecast::build(
        &item.id,
        &item.name,
        Qty::from_milli(item.qty),
        usage,
        window_days,
        today,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RollupQuery {
    /// How many items, 1–500 (default 20).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Days of usage to average, 1–365 (default 30).
    #[param(minimum = 1, maximum = 365)]
    pub window_days: Option<u32>,
}

/// `GET /core/forecast/rollup`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Rollup {
    pub window_days: u32,
    /// Items with usage in the window, soonest to run out first (ties by name).
    pub items: Vec<Forecast>,
}

/// What runs out soonest: items with usage in the window, ascending by days left.
#[utoipa::path(get, path = "/core/forecast/rollup", tag = "forecast", params(RollupQuery),
    responses((status = 200, body = Rollup)))]
pub async fn rollup(ctx: Ctx, Query(query): Query<RollupQuery>) -> Result<Reply, ApiError> {
    let window_days = window_days(query.window_days)?;
    let limit = rollup_limit(query.limit)?;
    let items = ctx
        .app
        .forecast
        .rollup(
            &ctx.app.db,
            ctx.household_id(),
            ctx.today(),
            window_days,
            limit as usize,
        )
        .await?;
    Reply::ok(&Rollup { window_days, items })
}
