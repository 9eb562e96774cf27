//! HTTP handlers for buying: spend approvals and marking items bought.

use axum::response::Response;
use serde::Deserialize;

use super::handlers::item_reply;
use super::model::ShoppingItem;
use super::purchase::{self, BoughtBody, RequestedApprovals};
use crate::approvals::store::Requester;
use crate::domain::DecimalInput;
use crate::error::ApiError;
use crate::extract::{Ctx, JsonOrEmpty, Path, Query};
use crate::reply::Reply;

/// Mark an item bought. At or above the household's `big_spend_threshold` (the larger of
/// `actual_total` and `est_total`) it needs an approved approval covering that amount, else
/// 403 `…/approval-required` and nothing changes. Otherwise, in one transaction: status
/// `bought`, a receipt (posted to the ledger), and a restock of the linked inventory item.
#[utoipa::path(post, path = "/core/shopping/{id}/bought", tag = "shopping",
    params(("id" = String, Path)), request_body(content = Option<BoughtBody>),
    responses((status = 200, body = ShoppingItem, headers(("ETag" = String)))))]
pub async fn mark_bought(
    ctx: Ctx,
    Path(id): Path<String>,
    JsonOrEmpty(body): JsonOrEmpty<BoughtBody>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let settings = &ctx.caller.settings;
    let input = body.validate(settings, ctx.today())?;
    let mut tx = ctx.begin().await?;
    let record = purchase::mark_bought(
        tx.conn(),
        ctx.household_id(),
        settings,
        ctx.now(),
        &id,
        input,
    )
    .await?;
    tx.finish(item_reply(Reply::ok, &record)?).await
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RequestApprovalsQuery {
    /// Items with `est_total` at or above this need an approval; default the household's
    /// `big_spend_threshold`.
    #[param(value_type = Option<crate::openapi::schemas::MoneyInput>, inline)]
    pub threshold: Option<DecimalInput>,
}

/// Ask for an approval for every open item at or above the threshold that has no pending or
/// covering approved approval yet; each new approval is linked from its item.
#[utoipa::path(post, path = "/core/shopping/request_approvals", tag = "shopping",
    params(RequestApprovalsQuery),
    responses((status = 200, body = RequestedApprovals)))]
pub async fn request_approvals(
    ctx: Ctx,
    Query(query): Query<RequestApprovalsQuery>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let settings = &ctx.caller.settings;
    let threshold = match query.threshold {
        Some(t) => t.money("threshold", settings.currency)?,
        None => settings.big_spend_threshold,
    };
    let requester = Requester {
        member_id: Some(ctx.caller.member_id.clone()),
        name: ctx.caller.member_name.clone(),
    };
    let mut tx = ctx.begin().await?;
    let answer = purchase::request_approvals(
        tx.conn(),
        ctx.household_id(),
        settings,
        threshold,
        &requester,
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::ok(&answer)?).await
}
