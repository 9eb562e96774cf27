//! HTTP handlers for the caller's household.

use axum::http::StatusCode;
use axum::response::Response;

use super::model::{Me, Member, Settings, SettingsPatch, check_name, generate_token, hash_token};
use super::store;
use crate::domain::Role;
use crate::error::ApiError;
use crate::extract::{Caller, Ctx, IfMatch, Json};
use crate::reply::Reply;

/// Who am I: the calling member and their household.
#[utoipa::path(get, path = "/core/me", tag = "household",
    responses((status = 200, body = Me)))]
pub async fn get_me(ctx: Ctx) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let household_name = store::household_name(&mut conn, ctx.household_id())
        .await?
        .ok_or_else(|| ApiError::not_found("household"))?;
    let caller = &ctx.caller;
    Reply::ok(&Me {
        member_id: caller.member_id.clone(),
        name: caller.member_name.clone(),
        role: caller.role,
        household_id: caller.household_id.clone(),
        household_name,
    })
}

/// List the household's members.
#[utoipa::path(get, path = "/core/household/members", tag = "household",
    responses((status = 200, body = inline(MemberList))))]
pub async fn list_members(caller: Caller, ctx: Ctx) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let items = store::list_members(&mut conn, &caller.household_id).await?;
    Reply::ok(&MemberList { items })
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MemberList {
    pub items: Vec<Member>,
}

/// `POST /core/household/members`.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMember {
    #[schema(value_type = crate::openapi::schemas::NonBlank100, example = "alex")]
    pub name: String,
    pub role: Role,
}

/// A new member and their first API token (shown only in this answer).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct CreatedMember {
    pub member: Member,
    pub token: String,
}

/// Add a member to the household (owner only); answers with their first API token.
#[utoipa::path(post, path = "/core/household/members", tag = "household",
    request_body = NewMember, responses((status = 201, body = CreatedMember)))]
pub async fn create_member(ctx: Ctx, Json(body): Json<NewMember>) -> Result<Response, ApiError> {
    ctx.caller.require_owner("add members")?;
    let name = check_name("name", &body.name)?;
    let token = generate_token().map_err(ApiError::internal)?;
    let mut tx = ctx.begin().await?;
    if store::find_member(tx.conn(), ctx.household_id(), &name)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(format!(
            "a member named {name:?} already exists"
        )));
    }
    let member =
        store::create_member(tx.conn(), ctx.household_id(), &name, body.role, ctx.now()).await?;
    store::insert_token(
        tx.conn(),
        &hash_token(&token),
        ctx.household_id(),
        &member.id,
        ctx.now(),
    )
    .await?;
    // The answer holds a token: never store it, not even as an idempotent replay.
    tx.finish_unrecorded(Reply::created(&CreatedMember { member, token })?)
        .await
}

/// Read the household settings (owner only).
#[utoipa::path(get, path = "/core/household/settings", tag = "household",
    responses((status = 200, body = Settings, headers(("ETag" = String)))))]
pub async fn get_settings(ctx: Ctx) -> Result<Reply, ApiError> {
    ctx.caller.require_owner("read household settings")?;
    let mut conn = ctx.app.db.read().await?;
    let settings = store::get_settings(&mut conn, ctx.household_id())
        .await?
        .ok_or_else(|| ApiError::not_found("household"))?;
    Ok(Reply::ok(&settings)?.versioned(settings.version))
}

/// Change household settings (owner only). Honors `If-Match`.
#[utoipa::path(patch, path = "/core/household/settings", tag = "household",
    request_body = SettingsPatch,
    params(("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 200, body = Settings, headers(("ETag" = String)))))]
pub async fn patch_settings(
    ctx: Ctx,
    if_match: Option<IfMatch>,
    Json(patch): Json<SettingsPatch>,
) -> Result<Response, ApiError> {
    ctx.caller.require_owner("change household settings")?;
    let mut tx = ctx.begin().await?;
    let current = store::get_settings(tx.conn(), ctx.household_id())
        .await?
        .ok_or_else(|| ApiError::not_found("household"))?;
    IfMatch::check(if_match, current.version)?;
    let mut next = patch.apply(&current).map_err(ApiError::validation)?;
    if !store::update_settings(
        tx.conn(),
        ctx.household_id(),
        &next,
        current.version,
        ctx.now(),
    )
    .await?
    {
        return Err(ApiError::precondition_failed());
    }
    next.version = current.version + 1;
    let response = tx
        .finish(Reply::json(StatusCode::OK, &next)?.versioned(next.version))
        .await;
    // Requests after this one must see the new settings (time zone, currency …).
    ctx.app.auth_cache.forget_household(ctx.household_id());
    response
}
