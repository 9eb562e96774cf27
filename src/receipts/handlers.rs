//! HTTP handlers for receipts and their attachments.

use axum::body::Body;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::attachment::{self, MAX_ATTACHMENT_BYTES};
use super::model::{NewReceiptBody, Receipt, tag_filter};
use super::service;
use super::store::{self, ReceiptFilter};
use crate::domain::Day;
use crate::domain::day::format_day;
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, Path, Query};
use crate::ledger::model::category;
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

fn receipt_reply(
    reply: fn(&Receipt) -> Result<Reply, ApiError>,
    receipt: &Receipt,
) -> Result<Reply, ApiError> {
    Ok(reply(receipt)?.versioned(receipt.version))
}

/// Store a receipt and, unless `post_to_ledger` is false, post it to the ledger (best effort:
/// a failed posting keeps the receipt with `ledger_status: failed`).
#[utoipa::path(post, path = "/core/receipts", tag = "receipts", request_body = NewReceiptBody,
    responses((status = 201, body = Receipt, headers(("ETag" = String)))))]
pub async fn create_receipt(
    ctx: Ctx,
    Json(body): Json<NewReceiptBody>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let settings = &ctx.caller.settings;
    let input = body.validate(settings.currency, ctx.today())?;
    let mut tx = ctx.begin().await?;
    let receipt =
        service::create_receipt(tx.conn(), ctx.household_id(), settings, ctx.now(), input).await?;
    tx.finish(receipt_reply(Reply::created, &receipt)?).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListReceiptsQuery {
    /// Only receipts of this category (exact).
    #[param(value_type = Option<crate::openapi::schemas::Text100>, inline)]
    pub category: Option<String>,
    /// Only receipts dated on or after this day.
    #[param(value_type = Option<String>, format = Date)]
    pub date_from: Option<Day>,
    /// Only receipts dated on or before this day.
    #[param(value_type = Option<String>, format = Date)]
    pub date_to: Option<Day>,
    /// Case-insensitive text contained in the vendor.
    pub vendor: Option<String>,
    /// Only receipts carrying this tag (case-insensitive).
    #[param(value_type = Option<crate::openapi::schemas::NonBlank50>, inline)]
    pub tag: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List receipts, newest first.
#[utoipa::path(get, path = "/core/receipts", tag = "receipts", params(ListReceiptsQuery),
    responses((status = 200, body = Page<Receipt>)))]
pub async fn list_receipts(
    ctx: Ctx,
    Query(query): Query<ListReceiptsQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    if let (Some(from), Some(to)) = (query.date_from, query.date_to)
        && to < from
    {
        return Err(ApiError::field("date_to", "must not be before date_from"));
    }
    let filter = ReceiptFilter {
        category: category("category", query.category.as_deref())?,
        date_from: query.date_from.map(|d| d.0),
        date_to: query.date_to.map(|d| d.0),
        vendor_contains: query.vendor.filter(|v| !v.trim().is_empty()),
        tag: query.tag.as_deref().map(tag_filter).transpose()?,
    };
    let mut conn = ctx.app.db.read().await?;
    let receipts = store::list_receipts(&mut conn, ctx.household_id(), &filter, &page).await?;
    Reply::ok(&page.page(receipts, |r| vec![format_day(r.date), r.id.clone()]))
}

/// Read one receipt.
#[utoipa::path(get, path = "/core/receipts/{id}", tag = "receipts", params(("id" = String, Path)),
    responses((status = 200, body = Receipt, headers(("ETag" = String)))))]
pub async fn get_receipt(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let receipt = store::get_receipt(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("receipt"))?;
    receipt_reply(Reply::ok, &receipt)
}

/// Post a receipt whose posting failed or was skipped. 409 when it is already posted.
#[utoipa::path(post, path = "/core/receipts/{id}/post_to_ledger", tag = "receipts",
    params(("id" = String, Path)),
    responses((status = 200, body = Receipt, headers(("ETag" = String)))))]
pub async fn post_receipt(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let receipt = service::post_receipt(
        tx.conn(),
        ctx.household_id(),
        &ctx.caller.settings,
        ctx.now(),
        &id,
    )
    .await?;
    tx.finish(receipt_reply(Reply::ok, &receipt)?).await
}

/// Attach a file (PDF, JPEG, PNG or WebP, at most 10 MiB), replacing any earlier one. The type
/// is recognised from the bytes; a declared `Content-Type` must agree. Honors `If-Match`.
#[utoipa::path(put, path = "/core/receipts/{id}/attachment", tag = "receipts",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag of the receipt")),
    request_body(description = "The file's bytes",
        content(("application/pdf"), ("image/jpeg"), ("image/png"), ("image/webp"))),
    responses((status = 200, body = Receipt, headers(("ETag" = String)))))]
pub async fn put_attachment(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let declared = attachment::declared_type(&headers)?;
    {
        let mut conn = ctx.app.db.read().await?;
        let receipt = store::get_receipt(&mut conn, ctx.household_id(), &id)
            .await?
            .ok_or_else(|| ApiError::not_found("receipt"))?;
        IfMatch::check(if_match, receipt.version)?;
    }
    let bytes = attachment::read_upload(&headers, body, MAX_ATTACHMENT_BYTES).await?;
    let content_type = attachment::content_type(declared, &bytes)?;
    let mut tx = ctx.begin().await?;
    let receipt = service::attach(
        tx.conn(),
        ctx.household_id(),
        &id,
        if_match,
        content_type,
        &bytes,
        ctx.now(),
    )
    .await?;
    tx.finish(receipt_reply(Reply::ok, &receipt)?).await
}

/// Download the attachment with its stored type, as a file (never rendered inline).
#[utoipa::path(get, path = "/core/receipts/{id}/attachment", tag = "receipts",
    params(("id" = String, Path)),
    responses((status = 200, description = "The file, with `Content-Disposition: attachment`",
        content(("application/pdf"), ("image/jpeg"), ("image/png"), ("image/webp"))),
        (status = 404, description = "No such receipt in the caller's household (`receipt not \
            found`), or the receipt has no attachment yet (`attachment not found`)",
            body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn get_attachment(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    if store::get_receipt(&mut conn, ctx.household_id(), &id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("receipt"));
    }
    let (content_type, bytes) = store::get_attachment(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("attachment"))?;
    Ok(attachment::download(&id, &content_type, bytes))
}
