//! HTTP handlers for bills.

use axum::response::Response;
use serde::Deserialize;

use super::model::{Bill, BillPatch, BillStatus, MarkPaid, NewBill, PaidBody};
use super::service;
use super::store::{self, BillFilter, BillRecord, BillUpdate};
use crate::error::ApiError;
use crate::extract::{Ctx, IfMatch, Json, JsonOrEmpty, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

/// Longest look-ahead of `due_within_days`.
const DUE_WITHIN_MAX: i64 = 3660;

fn bill_reply(reply: fn(&Bill) -> Result<Reply, ApiError>, bill: &Bill) -> Result<Reply, ApiError> {
    Ok(reply(bill)?.versioned(bill.version))
}

/// Add a bill (adults and owners).
#[utoipa::path(post, path = "/core/bills", tag = "bills", request_body = NewBill,
    responses((status = 201, body = Bill, headers(("ETag" = String)))))]
pub async fn create_bill(ctx: Ctx, Json(body): Json<NewBill>) -> Result<Response, ApiError> {
    ctx.caller.require_adult("manage bills")?;
    let fields = body.validate(ctx.caller.settings.currency)?;
    let mut tx = ctx.begin().await?;
    let record = store::insert_bill(tx.conn(), ctx.household_id(), &fields, ctx.now()).await?;
    tx.finish(bill_reply(Reply::created, &record.to_bill(ctx.today())?)?)
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListBillsQuery {
    /// Only bills with this status (default: every bill).
    pub status: Option<BillStatus>,
    /// Only unpaid bills due within this many days from today, overdue ones included.
    #[param(minimum = 0, maximum = 3660)]
    pub due_within_days: Option<i64>,
    /// `true`: only overdue bills (unpaid, due before today); `false`: no overdue bills.
    pub overdue: Option<bool>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List bills by due date.
#[utoipa::path(get, path = "/core/bills", tag = "bills", params(ListBillsQuery),
    responses((status = 200, body = Page<Bill>)))]
pub async fn list_bills(ctx: Ctx, Query(query): Query<ListBillsQuery>) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let today = ctx.today();
    let due_by = match query.due_within_days {
        None => None,
        Some(days) if (0..=DUE_WITHIN_MAX).contains(&days) => {
            today.checked_add_days(chrono::Days::new(days.unsigned_abs()))
        }
        Some(_) => {
            return Err(ApiError::field(
                "due_within_days",
                format!("must be between 0 and {DUE_WITHIN_MAX}"),
            ));
        }
    };
    let filter = BillFilter {
        status: query.status,
        due_by,
        overdue: query.overdue,
        today,
    };
    let mut conn = ctx.app.db.read().await?;
    let records = store::list_bills(&mut conn, ctx.household_id(), &filter, &page).await?;
    let page = page.page(records, |r| vec![r.due_on.clone(), r.id.clone()]);
    let items = page
        .items
        .iter()
        .map(|r| r.to_bill(today))
        .collect::<Result<Vec<_>, _>>()?;
    Reply::ok(&Page {
        items,
        next_cursor: page.next_cursor,
    })
}

async fn locked(
    ctx: &Ctx,
    tx: &mut crate::idempotency::RequestTx,
    id: &str,
) -> Result<BillRecord, ApiError> {
    store::lock_bill(tx.conn(), ctx.household_id(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("bill"))
}

/// Read one bill.
#[utoipa::path(get, path = "/core/bills/{id}", tag = "bills", params(("id" = String, Path)),
    responses((status = 200, body = Bill, headers(("ETag" = String)))))]
pub async fn get_bill(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let record = store::get_bill(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("bill"))?;
    bill_reply(Reply::ok, &record.to_bill(ctx.today())?)
}

/// Change a bill (adults and owners). Honors `If-Match`. A new `due_on` or `rrule` starts the
/// series afresh at `due_on`; a new `due_on` reopens a paid bill.
#[utoipa::path(patch, path = "/core/bills/{id}", tag = "bills",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    request_body = BillPatch,
    responses((status = 200, body = Bill, headers(("ETag" = String)))))]
pub async fn patch_bill(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
    Json(patch): Json<BillPatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_adult("manage bills")?;
    let mut tx = ctx.begin().await?;
    let current = locked(&ctx, &mut tx, &id).await?;
    IfMatch::check(if_match, current.version)?;
    let before = current.fields()?;
    let fields = patch.apply(before.clone())?;
    let new_series = fields.due_on != before.due_on || fields.rrule != before.rrule;
    let status = if fields.due_on != before.due_on {
        BillStatus::Unpaid
    } else {
        current.status()?
    };
    let update = BillUpdate {
        fields: &fields,
        status,
        series_start: if new_series {
            fields.due_on
        } else {
            current.series_start()?
        },
        expected_version: current.version,
    };
    let record = store::update_bill(tx.conn(), ctx.household_id(), &id, &update, ctx.now())
        .await?
        .ok_or_else(ApiError::precondition_failed)?;
    tx.finish(bill_reply(Reply::ok, &record.to_bill(ctx.today())?)?)
        .await
}

/// Delete a bill (adults and owners). Honors `If-Match`. Its ledger entries stay.
#[utoipa::path(delete, path = "/core/bills/{id}", tag = "bills",
    params(("id" = String, Path),
        ("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_bill(
    ctx: Ctx,
    Path(id): Path<String>,
    if_match: Option<IfMatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_adult("manage bills")?;
    let mut tx = ctx.begin().await?;
    let current = locked(&ctx, &mut tx, &id).await?;
    IfMatch::check(if_match, current.version)?;
    store::delete_bill(tx.conn(), ctx.household_id(), &id).await?;
    tx.finish(Reply::no_content()).await
}

/// Pay the bill's current period (adults and owners): writes the ledger expense; a recurring
/// bill moves to its next due date and stays unpaid, a one-off bill becomes paid. A period is
/// never paid twice: a request that finds its period already paid gets 409, and so does a
/// second payment without `due_on` dated the same day as the last one.
#[utoipa::path(post, path = "/core/bills/{id}/paid", tag = "bills",
    params(("id" = String, Path)), request_body(content = Option<PaidBody>),
    responses((status = 200, body = Bill, headers(("ETag" = String)))))]
pub async fn pay_bill(
    ctx: Ctx,
    Path(id): Path<String>,
    JsonOrEmpty(body): JsonOrEmpty<PaidBody>,
) -> Result<Response, ApiError> {
    ctx.caller.require_adult("pay bills")?;
    let settings = &ctx.caller.settings;
    let input: MarkPaid = body.validate(settings.currency, ctx.today())?;
    let mut tx = ctx.begin().await?;
    let bill = service::mark_paid(
        tx.conn(),
        ctx.household_id(),
        settings,
        ctx.now(),
        &id,
        input,
    )
    .await?;
    tx.finish(bill_reply(Reply::ok, &bill)?).await
}
