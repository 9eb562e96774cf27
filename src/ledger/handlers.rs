//! HTTP handlers for the ledger: append, list, read, balance. There is no update or delete.

use axum::response::Response;
use serde::Deserialize;

use super::model::{Balance, EntryKind, LedgerEntry, NewEntryBody, SourceType, category};
use super::service;
use super::store::{self, EntryFilter};
use crate::domain::Day;
use crate::domain::day::format_day;
use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

/// Record a manual entry (adults and owners). Corrections are new entries.
#[utoipa::path(post, path = "/core/ledger", tag = "ledger", request_body = NewEntryBody,
    responses((status = 201, body = LedgerEntry)))]
pub async fn create_entry(ctx: Ctx, Json(body): Json<NewEntryBody>) -> Result<Response, ApiError> {
    ctx.caller.require_adult("record ledger entries")?;
    let settings = &ctx.caller.settings;
    let entry = body.validate(settings.currency, ctx.today())?;
    let mut tx = ctx.begin().await?;
    let entry =
        service::post_entry(tx.conn(), ctx.household_id(), settings, ctx.now(), &entry).await?;
    tx.finish(Reply::created(&entry)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListEntriesQuery {
    /// Only entries dated on or after this day.
    #[param(value_type = Option<String>, format = Date)]
    pub from: Option<Day>,
    /// Only entries dated on or before this day.
    #[param(value_type = Option<String>, format = Date)]
    pub to: Option<Day>,
    /// Only entries of this category (exact).
    #[param(value_type = Option<crate::openapi::schemas::Text100>, inline)]
    pub category: Option<String>,
    pub kind: Option<EntryKind>,
    pub source_type: Option<SourceType>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List entries, newest first.
#[utoipa::path(get, path = "/core/ledger", tag = "ledger", params(ListEntriesQuery),
    responses((status = 200, body = Page<LedgerEntry>)))]
pub async fn list_entries(
    ctx: Ctx,
    Query(query): Query<ListEntriesQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(ApiError::field("to", "must not be before from"));
    }
    let filter = EntryFilter {
        from: query.from.map(|d| d.0),
        to: query.to.map(|d| d.0),
        category: category("category", query.category.as_deref())?,
        kind: query.kind,
        source_type: query.source_type,
    };
    let mut conn = ctx.app.db.read().await?;
    let entries = store::list_entries(&mut conn, ctx.household_id(), &filter, &page).await?;
    Reply::ok(&page.page(entries, |e| vec![format_day(e.date), e.id.clone()]))
}

/// Read one entry.
#[utoipa::path(get, path = "/core/ledger/{id}", tag = "ledger", params(("id" = String, Path)),
    responses((status = 200, body = LedgerEntry)))]
pub async fn get_entry(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let entry = store::get_entry(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("ledger entry"))?;
    Reply::ok(&entry)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BalanceQuery {
    /// Count entries dated on or before this day (default today).
    #[param(value_type = Option<String>, format = Date)]
    pub as_of: Option<Day>,
}

/// Cash balance: income − expense, in the household currency.
#[utoipa::path(get, path = "/core/ledger/balance", tag = "ledger", params(BalanceQuery),
    responses((status = 200, body = Balance)))]
pub async fn get_balance(ctx: Ctx, Query(query): Query<BalanceQuery>) -> Result<Reply, ApiError> {
    let as_of = query.as_of.map_or_else(|| ctx.today(), |d| d.0);
    let mut conn = ctx.app.db.read().await?;
    let balance =
        service::balance(&mut conn, ctx.household_id(), &ctx.caller.settings, as_of).await?;
    Reply::ok(&balance)
}
