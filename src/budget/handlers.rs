//! HTTP handlers for budget limits, the month view and the impact check.

use axum::response::Response;
use serde::Deserialize;

use super::model::{BudgetLimit, BudgetMonth, Impact, LimitBody, Month};
use super::{service, store};
use crate::domain::DecimalInput;
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, Path, Query};
use crate::ledger::model::category;
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

fn category_path(raw: &str) -> Result<String, ApiError> {
    category("category", Some(raw))?.ok_or_else(|| ApiError::field("category", "must not be empty"))
}

/// Set a category's monthly limit (adults and owners). Honors `If-Match`.
#[utoipa::path(put, path = "/core/budget/categories/{category}", tag = "budget",
    params(("category" = inline(crate::openapi::schemas::NonBlank100), Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    request_body = LimitBody,
    responses((status = 200, body = BudgetLimit, headers(("ETag" = String)))))]
pub async fn put_limit(
    ctx: Ctx,
    Path(raw): Path<String>,
    if_match: Option<IfMatch>,
    Json(body): Json<LimitBody>,
) -> Result<Response, ApiError> {
    ctx.caller.require_adult("set budget limits")?;
    let category = category_path(&raw)?;
    let limit = body
        .monthly_limit
        .money("monthly_limit", ctx.caller.settings.currency)?;
    let mut tx = ctx.begin().await?;
    match store::lock_limit(tx.conn(), ctx.household_id(), &category).await? {
        Some(current) => IfMatch::check(if_match, current.version)?,
        // Nothing exists that a precondition could match.
        None if if_match.is_some() => return Err(ApiError::precondition_failed()),
        None => {}
    }
    let saved =
        store::upsert_limit(tx.conn(), ctx.household_id(), &category, limit, ctx.now()).await?;
    let version = saved.version;
    tx.finish(Reply::ok(&saved)?.versioned(version)).await
}

/// Remove a category's limit (adults and owners). Honors `If-Match`.
#[utoipa::path(delete, path = "/core/budget/categories/{category}", tag = "budget",
    params(("category" = inline(crate::openapi::schemas::NonBlank100), Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 204, description = "Removed")))]
pub async fn delete_limit(
    ctx: Ctx,
    Path(raw): Path<String>,
    if_match: Option<IfMatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_adult("change budget limits")?;
    let category = category_path(&raw)?;
    let mut tx = ctx.begin().await?;
    let current = store::lock_limit(tx.conn(), ctx.household_id(), &category)
        .await?
        .ok_or_else(|| ApiError::not_found("budget limit"))?;
    IfMatch::check(if_match, current.version)?;
    store::delete_limit(tx.conn(), ctx.household_id(), &category).await?;
    tx.finish(Reply::no_content()).await
}

/// Read one category's limit.
#[utoipa::path(get, path = "/core/budget/categories/{category}", tag = "budget",
    params(("category" = inline(crate::openapi::schemas::NonBlank100), Path)),
    responses((status = 200, body = BudgetLimit, headers(("ETag" = String)))))]
pub async fn get_limit(ctx: Ctx, Path(raw): Path<String>) -> Result<Reply, ApiError> {
    let category = category_path(&raw)?;
    let mut conn = ctx.app.db.read().await?;
    let limit = store::get_limit(&mut conn, ctx.household_id(), &category)
        .await?
        .ok_or_else(|| ApiError::not_found("budget limit"))?;
    Ok(Reply::ok(&limit)?.versioned(limit.version))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListLimitsQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List the limits, by category.
#[utoipa::path(get, path = "/core/budget/categories", tag = "budget", params(ListLimitsQuery),
    responses((status = 200, body = Page<BudgetLimit>)))]
pub async fn list_limits(
    ctx: Ctx,
    Query(query): Query<ListLimitsQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let limits = store::list_limits(&mut conn, ctx.household_id(), &page).await?;
    Reply::ok(&page.page(limits, |l| vec![l.category.clone()]))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonthQuery {
    /// `YYYY-MM`; default the current month.
    #[param(value_type = Option<crate::openapi::schemas::MonthText>, inline)]
    pub month: Option<String>,
}

/// The month view: limit, spent and remaining per category, the cash balance and the buffer.
#[utoipa::path(get, path = "/core/budget", tag = "budget", params(MonthQuery),
    responses((status = 200, body = BudgetMonth)))]
pub async fn get_month(ctx: Ctx, Query(query): Query<MonthQuery>) -> Result<Reply, ApiError> {
    let today = ctx.today();
    let month = match query.month.as_deref() {
        None => Month::of(today),
        Some(text) => Month::parse(text.trim()).map_err(|m| ApiError::field("month", m))?,
    };
    let mut conn = ctx.app.db.read().await?;
    let view = service::month_view(
        &mut conn,
        ctx.household_id(),
        &ctx.caller.settings,
        today,
        month,
    )
    .await?;
    Reply::ok(&view)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImpactQuery {
    /// The amount to spend, more than 0, in the household currency.
    #[param(value_type = crate::openapi::schemas::PositiveMoneyInput, inline)]
    pub amount: DecimalInput,
    /// The category to check against its monthly limit.
    #[param(value_type = Option<crate::openapi::schemas::Text100>, inline)]
    pub category: Option<String>,
}

/// What spending `amount` would do to the cash buffer and the category's budget this month.
#[utoipa::path(get, path = "/core/budget/impact", tag = "budget", params(ImpactQuery),
    responses((status = 200, body = Impact)))]
pub async fn get_impact(ctx: Ctx, Query(query): Query<ImpactQuery>) -> Result<Reply, ApiError> {
    let settings = &ctx.caller.settings;
    let amount = query.amount.positive_money("amount", settings.currency)?;
    let category = category("category", query.category.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let impact = service::impact_of(
        &mut conn,
        ctx.household_id(),
        settings,
        ctx.today(),
        amount,
        category.as_deref(),
    )
    .await?;
    Reply::ok(&impact)
}
