//! HTTP handlers for inventory items and locations.

use axum::response::Response;
use serde::Deserialize;

use super::model::{Item, Location, NewItem, NewLocation, OutOf, Restock, UseItem};
use super::service;
use super::store::{self, ItemFilter, ItemRecord};
use crate::domain::text;
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, JsonOrEmpty, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

fn item_reply(
    reply: fn(&Item) -> Result<Reply, ApiError>,
    record: &ItemRecord,
) -> Result<Reply, ApiError> {
    Ok(reply(&record.to_item())?.versioned(record.version))
}

/// Add an item to the inventory.
#[utoipa::path(post, path = "/core/inventory", tag = "inventory", request_body = NewItem,
    responses((status = 201, body = Item, headers(("ETag" = String)))))]
pub async fn create_item(ctx: Ctx, Json(body): Json<NewItem>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let currency = ctx.caller.settings.currency;
    let fields = body.validate(currency)?;
    let mut tx = ctx.begin().await?;
    let record =
        service::create_item(tx.conn(), ctx.household_id(), &fields, currency, ctx.now()).await?;
    tx.finish(item_reply(Reply::created, &record)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListItemsQuery {
    /// Only items at this location.
    pub location_id: Option<String>,
    /// Only items of this category.
    pub category: Option<String>,
    /// `true`: only low-stock items (`min_qty > 0 and qty <= min_qty`).
    pub low: Option<bool>,
    /// Case-insensitive text contained in the name.
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List items, ordered by name.
#[utoipa::path(get, path = "/core/inventory", tag = "inventory", params(ListItemsQuery),
    responses((status = 200, body = Page<Item>)))]
pub async fn list_items(ctx: Ctx, Query(query): Query<ListItemsQuery>) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let filter = ItemFilter {
        location_id: query.location_id,
        category: query.category,
        low_only: query.low.unwrap_or(false),
        name_contains: query.q.filter(|q| !q.trim().is_empty()),
    };
    let mut conn = ctx.app.db.read().await?;
    let records = store::list_items(&mut conn, ctx.household_id(), &filter, &page).await?;
    let page = page.page(records, |r| vec![r.name_key.clone(), r.id.clone()]);
    Reply::ok(&Page {
        items: page.items.iter().map(ItemRecord::to_item).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Read one item.
#[utoipa::path(get, path = "/core/inventory/{id}", tag = "inventory",
    params(("id" = String, Path)),
    responses((status = 200, body = Item, headers(("ETag" = String)))))]
pub async fn get_item(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let record = store::get_item(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    item_reply(Reply::ok, &record)
}

/// Change an item's fields. Honors `If-Match`. Setting `qty` here logs no usage.
#[utoipa::path(patch, path = "/core/inventory/{id}", tag = "inventory",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    request_body = super::model::ItemPatch,
    responses((status = 200, body = Item, headers(("ETag" = String)))))]
pub async fn patch_item(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
    Json(patch): Json<super::model::ItemPatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let current = store::lock_item(tx.conn(), ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    IfMatch::check(if_match, current.version)?;
    let currency = ctx.caller.settings.currency;
    let fields = patch.apply(current.fields(), currency)?;
    if fields.location_id != current.location_id {
        service::check_location(
            tx.conn(),
            ctx.household_id(),
            "location_id",
            fields.location_id.as_deref(),
        )
        .await?;
    }
    let record = store::update_item(
        tx.conn(),
        ctx.household_id(),
        &id,
        &fields,
        currency,
        current.version,
        ctx.now(),
    )
    .await?
    .ok_or_else(ApiError::precondition_failed)?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

/// Delete an item (and its usage history). Honors `If-Match`.
#[utoipa::path(delete, path = "/core/inventory/{id}", tag = "inventory",
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
    let current = store::lock_item(tx.conn(), ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("inventory item"))?;
    IfMatch::check(if_match, current.version)?;
    store::delete_item(tx.conn(), ctx.household_id(), &id).await?;
    tx.finish(Reply::no_content()).await
}

/// Use some of an item: lowers `qty` and logs a usage event (source `use`).
/// More than on hand → 409, nothing changes.
#[utoipa::path(post, path = "/core/inventory/{id}/use", tag = "inventory",
    params(("id" = String, Path)), request_body = UseItem,
    responses((status = 200, body = Item)))]
pub async fn use_item(
    ctx: Ctx,
    Path(id): Path<String>,
    Json(body): Json<UseItem>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let qty = body.qty.positive_qty("qty")?;
    let used_on = service::usage_day(body.used_on, ctx.today())?;
    let notes = text::optional("notes", body.notes.as_deref(), super::model::NOTES_MAX)?;
    let mut tx = ctx.begin().await?;
    let record = service::use_item(
        tx.conn(),
        ctx.household_id(),
        &id,
        qty,
        used_on,
        notes,
        ctx.now(),
    )
    .await?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

/// Mark an item as run out: `qty` becomes 0 and, when it was above 0, the remaining quantity
/// is logged as usage (source `out_of`). On an item already at 0 nothing is logged.
#[utoipa::path(post, path = "/core/inventory/{id}/out_of", tag = "inventory",
    params(("id" = String, Path)), request_body(content = Option<OutOf>),
    responses((status = 200, body = Item)))]
pub async fn out_of_item(
    ctx: Ctx,
    Path(id): Path<String>,
    JsonOrEmpty(body): JsonOrEmpty<OutOf>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let input = body.validate(ctx.today())?;
    let mut tx = ctx.begin().await?;
    let record = service::out_of(tx.conn(), ctx.household_id(), &id, input, ctx.now()).await?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

/// Add stock: raises `qty`.
#[utoipa::path(post, path = "/core/inventory/{id}/restock", tag = "inventory",
    params(("id" = String, Path)), request_body = Restock,
    responses((status = 200, body = Item)))]
pub async fn restock_item(
    ctx: Ctx,
    Path(id): Path<String>,
    Json(body): Json<Restock>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let qty = body.qty.positive_qty("qty")?;
    let mut tx = ctx.begin().await?;
    let record = service::restock(tx.conn(), ctx.household_id(), &id, qty, ctx.now()).await?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

/// Create a location.
#[utoipa::path(post, path = "/core/inventory/locations", tag = "inventory",
    request_body = NewLocation, responses((status = 201, body = Location)))]
pub async fn create_location(
    ctx: Ctx,
    Json(body): Json<NewLocation>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let name = text::required("name", &body.name, super::model::SHORT_TEXT_MAX)?;
    let mut tx = ctx.begin().await?;
    service::check_location(
        tx.conn(),
        ctx.household_id(),
        "parent_id",
        body.parent_id.as_deref(),
    )
    .await?;
    let location = store::insert_location(
        tx.conn(),
        ctx.household_id(),
        &name,
        body.parent_id.as_deref(),
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::created(&location)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListLocationsQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List locations in creation order.
#[utoipa::path(get, path = "/core/inventory/locations", tag = "inventory",
    params(ListLocationsQuery), responses((status = 200, body = Page<Location>)))]
pub async fn list_locations(
    ctx: Ctx,
    Query(query): Query<ListLocationsQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let rows = store::list_locations(&mut conn, ctx.household_id(), &page).await?;
    Reply::ok(&page.page(rows, |l| vec![l.id.clone()]))
}
