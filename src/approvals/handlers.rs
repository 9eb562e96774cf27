//! HTTP handlers for the approvals queue.

use axum::response::Response;
use serde::Deserialize;

use super::model::{Approval, ApprovalStatus, Decision, NewApproval};
use super::service;
use super::store::{self, ApprovalFilter, Requester};
use crate::domain::text;
use crate::error::ApiError;
use crate::extract::{Ctx, Json, JsonOrEmpty, Path, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

/// Ask for an approval. A missing `cone_band`/`risk` is filled in by the cone.
#[utoipa::path(post, path = "/core/approvals", tag = "approvals", request_body = NewApproval,
    responses((status = 201, body = Approval)))]
pub async fn create_approval(
    ctx: Ctx,
    Json(body): Json<NewApproval>,
) -> Result<Response, ApiError> {
    ctx.caller.require_write()?;
    let draft = body.validate(ctx.caller.settings.currency)?;
    let requester = Requester {
        member_id: Some(ctx.caller.member_id.clone()),
        name: ctx.caller.member_name.clone(),
    };
    let mut tx = ctx.begin().await?;
    let approval = service::create(
        tx.conn(),
        ctx.household_id(),
        &ctx.caller.settings,
        &draft,
        &requester,
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::created(&approval)?.versioned(approval.version))
        .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListApprovalsQuery {
    pub status: Option<ApprovalStatus>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// List approvals, newest first (ties by id).
#[utoipa::path(get, path = "/core/approvals", tag = "approvals", params(ListApprovalsQuery),
    responses((status = 200, body = Page<Approval>)))]
pub async fn list_approvals(
    ctx: Ctx,
    Query(query): Query<ListApprovalsQuery>,
) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let filter = ApprovalFilter {
        status: query.status,
        target_type: query.target_type,
        target_id: query.target_id,
    };
    let mut conn = ctx.app.db.read().await?;
    let items = store::list(&mut conn, ctx.household_id(), &filter, &page).await?;
    Reply::ok(&page.page(items, |a| vec![a.created_at.clone(), a.id.clone()]))
}

/// Read one approval.
#[utoipa::path(get, path = "/core/approvals/{id}", tag = "approvals",
    params(("id" = String, Path)), responses((status = 200, body = Approval)))]
pub async fn get_approval(ctx: Ctx, Path(id): Path<String>) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let approval = store::get(&mut conn, ctx.household_id(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("approval"))?;
    Ok(Reply::ok(&approval)?.versioned(approval.version))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DecideQuery {
    /// `approve` or `deny`.
    #[param(inline)]
    pub decision: Decision,
    /// A note (the body's `note` wins when both are given).
    #[param(value_type = Option<crate::openapi::schemas::Text2000>, inline)]
    pub note: Option<String>,
}

/// `POST /core/approvals/{id}/decide` body (optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    #[schema(value_type = Option<crate::openapi::schemas::Text2000>)]
    pub note: Option<String>,
}

/// Approve or deny (owners and adults). A decided approval → 409; the requester may not
/// approve their own request while another owner or adult exists (403), but may deny it.
#[utoipa::path(post, path = "/core/approvals/{id}/decide", tag = "approvals",
    params(("id" = String, Path), DecideQuery), request_body(content = Option<DecideBody>),
    responses((status = 200, body = Approval)))]
pub async fn decide_approval(
    ctx: Ctx,
    Path(id): Path<String>,
    Query(query): Query<DecideQuery>,
    JsonOrEmpty(body): JsonOrEmpty<DecideBody>,
) -> Result<Response, ApiError> {
    ctx.caller.require_adult("decide approvals")?;
    let note = text::optional("note", body.note.or(query.note).as_deref(), 2000)?;
    let mut tx = ctx.begin().await?;
    let approval = service::decide(
        tx.conn(),
        &ctx.caller,
        &id,
        query.decision,
        note.as_deref(),
        ctx.now(),
    )
    .await?;
    tx.finish(Reply::ok(&approval)?.versioned(approval.version))
        .await
}
