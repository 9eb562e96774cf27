//! HTTP handlers for pushing reminders and for the inbox.

use axum::response::Response;
use serde::Deserialize;

use super::model::{Pushed, Reminder};
use super::service::{self, Source};
use super::store;
use crate::error::ApiError;
use crate::extract::{Ctx, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;
use crate::shopping::actions::NoParams;

async fn push_with(ctx: Ctx, source: Source) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let pushed = service::push_due(
        tx.conn(),
        ctx.household_id(),
        &ctx.caller.settings,
        ctx.now(),
        source,
    )
    .await?;
    tx.finish(Reply::ok(&pushed)?).await
}

/// Remind of unpaid bills due within their `remind_days_before` (overdue ones included), once
/// per bill and period.
#[utoipa::path(post, path = "/core/bills/push_reminders", tag = "bills", params(NoParams),
    responses((status = 200, body = Pushed)))]
pub async fn push_bill_reminders(
    ctx: Ctx,
    Query(_params): Query<NoParams>,
) -> Result<Response, ApiError> {
    push_with(ctx, Source::Bills).await
}

/// One digest reminder of the open shopping list (at most one a day).
#[utoipa::path(post, path = "/core/shopping/push_reminders", tag = "shopping", params(NoParams),
    responses((status = 200, body = Pushed)))]
pub async fn push_shopping_reminders(
    ctx: Ctx,
    Query(_params): Query<NoParams>,
) -> Result<Response, ApiError> {
    push_with(ctx, Source::Shopping).await
}

/// Remind of schedule occurrences from today on within their event's `remind_days_before`,
/// once per event and date.
#[utoipa::path(post, path = "/core/schedule/push_reminders", tag = "schedule", params(NoParams),
    responses((status = 200, body = Pushed)))]
pub async fn push_schedule_reminders(
    ctx: Ctx,
    Query(_params): Query<NoParams>,
) -> Result<Response, ApiError> {
    push_with(ctx, Source::Schedule).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// The inbox: undismissed reminders, newest first — bills, shopping, schedule, and pending
/// approvals (an approval leaves the inbox when it is decided).
#[utoipa::path(get, path = "/core/inbox", tag = "inbox", params(InboxQuery),
    responses((status = 200, body = Page<Reminder>)))]
pub async fn list_inbox(ctx: Ctx, Query(query): Query<InboxQuery>) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let items = store::inbox(&mut conn, ctx.household_id(), &page).await?;
    Reply::ok(&page.page(items, |r| vec![r.created_at.clone(), r.id.clone()]))
}

/// Dismiss a reminder (members and above). Dismissing it again changes nothing.
#[utoipa::path(post, path = "/core/inbox/{id}/dismiss", tag = "inbox",
    params(("id" = String, Path)), responses((status = 200, body = Reminder)))]
pub async fn dismiss_reminder(ctx: Ctx, Path(id): Path<String>) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let mut tx = ctx.begin().await?;
    let reminder = service::dismiss(
        tx.conn(),
        ctx.household_id(),
        &id,
        &ctx.caller.member_id,
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::ok(&reminder)?).await
}
