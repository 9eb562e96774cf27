//! HTTP handlers for shopping items: CRUD, cancel, list and cost.

use axum::response::Response;
use serde::Deserialize;

use super::cost::Cost;
use super::model::{NewShoppingItem, ShoppingItem, ShoppingPatch, Source, Status};
use super::service;
use super::store::{self, ShoppingRecord};
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

pub(super) fn item_reply(
    reply: fn(&ShoppingItem) -> Result<Reply, ApiError>,
    record: &ShoppingRecord,
) -> Result<Reply, ApiError> {
    Ok(reply(&record.to_item())?.versioned(record.version))
}

/// Put something on the shopping list (source `manual`).
#[utoipa::path(post, path = "/core/shopping", tag = "shopping", request_body = NewShoppingItem,
    responses((status = 201, body = ShoppingItem, headers(("ETag" = String)))))]
pub async fn create_item(
    ctx: Ctx,
    Json(body): Json<NewShoppingItem>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let currency = ctx.caller.settings.currency;
    let fields = body.validate(currency)?;
    let mut tx = ctx.begin().await?;
    let record = service::add_item(
        tx.conn(),
        ctx.household_id(),
        fields,
        Source::Manual,
        currency,
        ctx.now(),
    )
    .await?;
    tx.finish(item_reply(Reply::created, &record)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListItemsQuery {
    /// Only items with this status (e.g. `open`: the list itself).
    pub status: Option<Status>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List items in the order they were added.
#[utoipa::path(get, path = "/core/shopping", tag = "shopping", params(ListItemsQuery),
    responses((status = 200, body = Page<ShoppingItem>)))]
pub async fn list_items(ctx: Ctx, Query(query): Query<ListItemsQuery>) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let records = store::list_items(&mut conn, ctx.household_id(), query.status, &page).await?;
    let page = page.page(records, |r| vec![r.id.clone()]);
    Reply::ok(&Page {
        items: page.items.iter().map(ShoppingRecord::to_item).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Read one item.
#[utoipa::path(get, path = "/core/shopping/{id}", tag = "shopping",
    params(("id" = String, Path)),
    responses((status = 200, body = ShoppingItem, headers(("ETag" = String)))))]
pub async fn get_item(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let record = store::get_item(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping item"))?;
    item_reply(Reply::ok, &record)
}

/// Change an open item's fields. Honors `If-Match`; bought or cancelled items → 409.
#[utoipa::path(patch, path = "/core/shopping/{id}", tag = "shopping",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    request_body = ShoppingPatch,
    responses((status = 200, body = ShoppingItem, headers(("ETag" = String)))))]
pub async fn patch_item(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
    Json(patch): Json<ShoppingPatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let currency = ctx.caller.settings.currency;
    let mut tx = ctx.begin().await?;
    let record = service::update_item(
        tx.conn(),
        ctx.household_id(),
        &id,
        if_match,
        patch,
        currency,
        ctx.now(),
    )
    .await?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

/// Delete an open or cancelled item (a bought one → 409). Honors `If-Match`.
#[utoipa::path(delete, path = "/core/shopping/{id}", tag = "shopping",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_item(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    service::delete_item(tx.conn(), ctx.household_id(), &id, if_match).await?;
    tx.finish(Reply::no_content()).await
}

/// Take an open item off the list (status `cancelled`); not open → 409.
#[utoipa::path(post, path = "/core/shopping/{id}/cancel", tag = "shopping",
    params(("id" = String, Path)),
    responses((status = 200, body = ShoppingItem, headers(("ETag" = String)))))]
pub async fn cancel_item(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let record = service::cancel_item(tx.conn(), ctx.household_id(), &id, ctx.now()).await?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

/// What the open items are estimated to cost, and how many need an approval to be bought.
#[utoipa::path(get, path = "/core/shopping/cost", tag = "shopping",
    responses((status = 200, body = Cost)))]
pub async fn get_cost(ctx: Ctx) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let cost = service::cost(&mut conn, ctx.household_id(), &ctx.caller.settings).await?;
    Reply::ok(&cost)
}
