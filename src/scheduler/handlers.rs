//! HTTP handlers for the scheduler.

use serde::Serialize;

use super::model::{TickResult, next_run};
use super::{service, store};
use crate::domain::day::format_instant;
use crate::error::ApiError;
use crate::extract::Ctx;
use crate::reply::Reply;

/// Run the daily tick now: generate from low stock and needs, request approvals, push
/// reminders — each step through Heimdall as actor `scheduler`, each isolated.
#[utoipa::path(post, path = "/core/scheduler/tick", tag = "scheduler",
    responses((status = 200, body = TickResult)))]
pub async fn tick(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.caller.require_write()?;
    let result = service::tick_now(&ctx.app, ctx.household_id(), &ctx.caller.settings).await?;
    Reply::ok(&result)
}

/// `GET /core/scheduler/status`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SchedulerStatus {
    /// When the last run started (timer or manual); `null` before the first.
    pub last_run: Option<String>,
    /// `timer` or `manual`.
    pub last_trigger: Option<String>,
    /// Whether every step of the last finished run succeeded.
    pub last_ok: Option<bool>,
    /// The next timer run: the household's `tick_time`, in its time zone, as a UTC instant.
    pub next_run: String,
}

/// When the tick last ran and when the timer runs it next.
#[utoipa::path(get, path = "/core/scheduler/status", tag = "scheduler",
    responses((status = 200, body = SchedulerStatus)))]
pub async fn status(ctx: Ctx) -> Result<Reply, ApiError> {
    let settings = &ctx.caller.settings;
    let mut conn = ctx.app.db.read().await?;
    let last = store::last_run(&mut conn, ctx.household_id()).await?;
    Reply::ok(&SchedulerStatus {
        last_run: last.as_ref().map(|l| l.started_at.clone()),
        last_trigger: last.as_ref().map(|l| l.trigger.clone()),
        last_ok: last.as_ref().and_then(|l| l.finished_at.as_ref().and(l.ok)),
        next_run: format_instant(next_run(ctx.now(), settings.tick_time, settings.timezone)),
    })
}
