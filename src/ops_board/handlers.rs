//! HTTP handler for the ops board.

use super::model::OpsBoard;
use super::service;
use crate::error::ApiError;
use crate::extract::Ctx;
use crate::reply::Reply;

/// Everything at a glance: low stock, what runs out soonest, the open shopping list and its
/// cost, bills due, the week's schedule, pending approvals, recent Heimdall actions, this
/// month's budget, cash and the inbox count. Every list is bounded.
#[utoipa::path(get, path = "/core/ops_board", tag = "ops_board",
    responses((status = 200, body = OpsBoard)))]
pub async fn get_ops_board(ctx: Ctx) -> Result<Reply, ApiError> {
    Reply::ok(&service::board(&ctx.app, &ctx.caller).await?)
}
