//! HTTP handlers that fill the list: quick add, the generators and presets.

use axum::response::Response;
use serde::Deserialize;

use super::handlers::item_reply;
use super::model::{Generated, QuickAdd, ShoppingItem};
use super::preset_store;
use super::presets::{NewPreset, Preset};
use super::service::{self, NeedsRun};
use crate::domain::DecimalInput;
use crate::error::ApiError;
use crate::extract::{Ctx, Json, JsonOrEmpty, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuickAddQuery {
    /// What to buy (required unless a JSON body is sent).
    #[param(value_type = Option<crate::openapi::schemas::NonBlank200>, inline)]
    pub name: Option<String>,
    /// Estimated cost of the one unit added.
    #[param(value_type = Option<crate::openapi::schemas::MoneyInput>, inline)]
    pub est_total: Option<DecimalInput>,
}

/// Quickly add one unit of something: `?name=milk&est_total=4.50`, or the same fields as a
/// JSON body (not both). Source `quick_add`.
#[utoipa::path(post, path = "/core/shopping/quick_add", tag = "shopping",
    params(QuickAddQuery), request_body(content = Option<QuickAdd>),
    responses((status = 201, body = ShoppingItem, headers(("ETag" = String)))))]
pub async fn quick_add(
    ctx: Ctx,
    Query(query): Query<QuickAddQuery>,
    JsonOrEmpty(body): JsonOrEmpty<Option<QuickAdd>>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let input = match (query, body) {
        (
            QuickAddQuery {
                name: None,
                est_total: None,
            },
            Some(body),
        ) => body,
        (QuickAddQuery { name, est_total }, None) => QuickAdd {
            name: name.ok_or_else(|| {
                ApiError::field(
                    "name",
                    "is required, as a query parameter or in a JSON body",
                )
            })?,
            est_total,
        },
        (_, Some(_)) => {
            return Err(ApiError::malformed(
                "send the item as query parameters or as a JSON body, not both",
            ));
        }
    };
    let currency = ctx.caller.settings.currency;
    let fields = input.validate(currency)?;
    let mut tx = ctx.begin().await?;
    let record =
        service::quick_add(tx.conn(), ctx.household_id(), fields, currency, ctx.now()).await?;
    tx.finish(item_reply(Reply::created, &record)?).await
}

/// A generator that takes no parameters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NoParams {}

/// Add one open item for each low-stock inventory item the list does not hold yet
/// (qty = its reorder quantity, cost from the inventory item).
#[utoipa::path(post, path = "/core/shopping/generate_from_inventory", tag = "shopping",
    responses((status = 200, body = Generated)))]
pub async fn generate_from_inventory(
    ctx: Ctx,
    Query(_params): Query<NoParams>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let generated = service::generate_from_inventory(
        tx.conn(),
        ctx.household_id(),
        &ctx.caller.settings,
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::ok(&generated)?).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NeedsQuery {
    /// Look at need occurrences dated today … today + this many days, 0–365
    /// (default: the household's `needs_horizon_days`).
    #[param(minimum = 0, maximum = 365)]
    pub within_days: Option<i64>,
    /// Create at most this many items, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
}

/// Add an item for each upcoming need occurrence, unless an open item already exists for
/// the same occurrence or with the same name.
#[utoipa::path(post, path = "/core/shopping/generate_from_needs", tag = "shopping",
    params(NeedsQuery), responses((status = 200, body = Generated)))]
pub async fn generate_from_needs(
    ctx: Ctx,
    Query(query): Query<NeedsQuery>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let settings = &ctx.caller.settings;
    let run = NeedsRun::new(query.within_days, query.limit, settings)?;
    let mut tx = ctx.begin().await?;
    let generated =
        service::generate_from_needs(tx.conn(), ctx.household_id(), settings, ctx.now(), run)
            .await?;
    tx.finish(Reply::ok(&generated)?).await
}

/// Save a preset: a named list of items to add in one go.
#[utoipa::path(post, path = "/core/shopping/presets", tag = "shopping", request_body = NewPreset,
    responses((status = 201, body = Preset)))]
pub async fn create_preset(ctx: Ctx, Json(body): Json<NewPreset>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let currency = ctx.caller.settings.currency;
    let fields = body.validate(currency)?;
    let mut tx = ctx.begin().await?;
    let preset =
        preset_store::insert_preset(tx.conn(), ctx.household_id(), &fields, currency, ctx.now())
            .await
            .map_err(|err| {
                if crate::db::is_unique_violation(&err) {
                    ApiError::conflict(format!("a preset named {:?} already exists", fields.name))
                } else {
                    err.into()
                }
            })?;
    tx.finish(Reply::created(&preset)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListPresetsQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List presets by name.
#[utoipa::path(get, path = "/core/shopping/presets", tag = "shopping", params(ListPresetsQuery),
    responses((status = 200, body = Page<Preset>)))]
pub async fn list_presets(
    ctx: Ctx,
    Query(query): Query<ListPresetsQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let rows = preset_store::list_presets(&mut conn, ctx.household_id(), &page).await?;
    let page = page.page(rows, |(key, preset)| vec![key.clone(), preset.id.clone()]);
    Reply::ok(&Page {
        items: page.items.into_iter().map(|(_, preset)| preset).collect(),
        next_cursor: page.next_cursor,
    })
}

/// Read one preset.
#[utoipa::path(get, path = "/core/shopping/presets/{id}", tag = "shopping",
    params(("id" = String, Path)), responses((status = 200, body = Preset)))]
pub async fn get_preset(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let preset = preset_store::get_preset(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping preset"))?;
    Reply::ok(&preset)
}

/// Delete a preset (items it added stay on the list).
#[utoipa::path(delete, path = "/core/shopping/presets/{id}", tag = "shopping",
    params(("id" = String, Path)), responses((status = 204, description = "Deleted")))]
pub async fn delete_preset(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    if !preset_store::delete_preset(tx.conn(), ctx.household_id(), &id).await? {
        return Err(ApiError::not_found("shopping preset"));
    }
    tx.finish(Reply::no_content()).await
}

/// Add the preset's items that are not already open (source `preset`).
#[utoipa::path(post, path = "/core/shopping/presets/{id}/apply", tag = "shopping",
    params(("id" = String, Path)), responses((status = 200, body = Generated)))]
pub async fn apply_preset(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let generated = service::apply_preset(
        tx.conn(),
        ctx.household_id(),
        &id,
        &ctx.caller.settings,
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::ok(&generated)?).await
}
