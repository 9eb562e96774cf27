//! HTTP handlers for webhooks. Registering and deleting is for owners (a webhook sends the
//! household's data out); owners and adults may read them and their deliveries.

use axum::response::Response;
use serde::Deserialize;

use super::model::{
    CreatedWebhook, Delivery, DeliveryStatus, NewWebhook, Webhook, generate_secret,
};
use super::store::{self, Creator};
use crate::error::ApiError;
use crate::extract::{Ctx, Json, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

/// Register a webhook (owner). The answer holds its signing secret, shown only this once.
#[utoipa::path(post, path = "/core/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = CreatedWebhook)))]
pub async fn create_webhook(ctx: Ctx, Json(body): Json<NewWebhook>) -> Result<Response, ApiError> {
    ctx.caller.require_owner("register webhooks")?;
    let draft = body.validate()?;
    let secret = generate_secret().map_err(ApiError::internal)?;
    let creator = Creator {
        member_id: &ctx.caller.member_id,
        name: &ctx.caller.member_name,
    };
    let mut tx = ctx.begin().await?;
    let webhook = store::insert(
        tx.conn(),
        ctx.household_id(),
        &draft,
        &secret,
        &creator,
        ctx.now(),
    )
    .await?;
    // Unlike an API token, the secret is stored usable (it must be, to sign), so a replay of
    // this answer under the same Idempotency-Key reveals nothing new and prevents a duplicate.
    tx.finish(Reply::created(&CreatedWebhook { webhook, secret })?)
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListWebhooksQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List the household's webhooks, oldest first (owners and adults; secrets are not shown).
#[utoipa::path(get, path = "/core/webhooks", tag = "webhooks", params(ListWebhooksQuery),
    responses((status = 200, body = Page<Webhook>)))]
pub async fn list_webhooks(
    ctx: Ctx,
    Query(query): Query<ListWebhooksQuery>,
) -> Result<Reply, ApiError> {
    ctx.caller.require_adult("read webhooks")?;
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let items = store::list(&mut conn, ctx.household_id(), &page).await?;
    Reply::ok(&page.page(items, |w| vec![w.created_at.clone(), w.id.clone()]))
}

/// Read one webhook (owners and adults).
#[utoipa::path(get, path = "/core/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path)), responses((status = 200, body = Webhook)))]
pub async fn get_webhook(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    ctx.caller.require_adult("read webhooks")?;
    let mut conn = ctx.app.db.read().await?;
    let webhook = store::get(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    Reply::ok(&webhook)
}

/// Delete a webhook (owner), with its deliveries: nothing more is sent to it.
#[utoipa::path(delete, path = "/core/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete_webhook(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    ctx.caller.require_owner("delete webhooks")?;
    let mut tx = ctx.begin().await?;
    if !store::delete(tx.conn(), ctx.household_id(), &id).await? {
        return Err(ApiError::not_found("webhook"));
    }
    tx.finish(Reply::no_content()).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDeliveriesQuery {
    pub status: Option<DeliveryStatus>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// A webhook's deliveries, newest first (owners and adults).
#[utoipa::path(get, path = "/core/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = String, Path), ListDeliveriesQuery),
    responses((status = 200, body = Page<Delivery>)))]
pub async fn list_deliveries(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(query): Query<ListDeliveriesQuery>,
) -> Result<Reply, ApiError> {
    ctx.caller.require_adult("read webhooks")?;
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    store::get(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    let items =
        store::list_deliveries(&mut conn, ctx.household_id(), &id, query.status, &page).await?;
    Reply::ok(&page.page(items, |d| vec![d.created_at.clone(), d.id.clone()]))
}
