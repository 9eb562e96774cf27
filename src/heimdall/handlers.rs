//! HTTP handlers for Heimdall: do, plan, the log, its verification, the registry.

use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::actions::Actor;
use super::log::{self, LogEntry, Verification};
use super::params;
use super::registry::{self, ActionClass};
use super::service::{self, DoResponse, Plan, Request, log_attempt, perform, refuse};
use crate::cone::model::Mode;
use crate::domain::{Role, text};
use crate::error::{ApiError, FieldError};
use crate::extract::{Ctx, Json, Query};
use crate::pagination::{Page, PageRequest};
use crate::reply::Reply;

/// `POST /core/heimdall/do`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoBody {
    pub action: String,
    /// `explore` or `execute`.
    pub mode: String,
    /// The action's parameters (see `GET /core/heimdall/registry`); absent or `null` is `{}`.
    #[serde(default)]
    pub params: serde_json::Value,
    /// Why, for the log.
    pub reason: Option<String>,
}

impl utoipa::PartialSchema for DoBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        params::request_schema(
            true,
            "An action, the mode, the action's parameters (named as on the direct route) and \
             an optional reason.",
        )
    }
}

impl utoipa::ToSchema for DoBody {}

/// Absent or `null` parameters are an empty object (so the log always holds an object).
fn no_null(params: serde_json::Value) -> serde_json::Value {
    if params.is_null() {
        serde_json::json!({})
    } else {
        params
    }
}

fn parse_mode(mode: &str) -> Result<Mode, ApiError> {
    match mode {
        "explore" => Ok(Mode::Explore),
        "execute" => Ok(Mode::Execute),
        _ => Err(FieldError::new("mode", "must be explore or execute").into()),
    }
}

/// Ask Heimdall to act. Unknown action or bad parameters → 400; an `exec` action in `explore`
/// mode → 403; in `execute` mode the cone decides (refused → 403 with the verdict); then the
/// same code as the direct route runs, with the same gates. Every attempt is logged; the log
/// entry of a successful one is written in the same transaction as its effects.
#[utoipa::path(post, path = "/core/heimdall/do", tag = "heimdall", request_body = DoBody,
    responses((status = 200, body = DoResponse)))]
pub async fn do_action(ctx: Ctx, Json(body): Json<DoBody>) -> Result<Response, ApiError> {
    let actor = Actor::member(&ctx.caller);
    let now = ctx.now();
    let reason = text::optional("reason", body.reason.as_deref(), 500)?;
    let mode = parse_mode(&body.mode);
    let request = Request {
        action: body.action,
        mode: *mode.as_ref().unwrap_or(&Mode::Explore),
        params: no_null(body.params),
        reason,
    };
    if let Err(error) = mode {
        let refusal = service::Refusal {
            error,
            outcome: log::Outcome::Invalid,
        };
        return Err(refuse(&ctx.app, &actor, &request, refusal, now).await);
    }
    let mut tx = ctx.begin().await?;
    match perform(&ctx.app, tx.conn(), &actor, &request, now).await {
        Ok(done) => {
            let entry = log_attempt(
                tx.conn(),
                &actor,
                &request,
                log::Outcome::Ok,
                &done.effects.join("; "),
                now,
            )
            .await?;
            let answer = DoResponse {
                ok: true,
                action: request.action.clone(),
                mode: request.mode,
                result: done.result,
                effects: done.effects,
                log_id: entry.id,
            };
            tx.finish(Reply::ok(&answer)?).await
        }
        Err(refusal) => {
            drop(tx);
            Err(refuse(&ctx.app, &actor, &request, refusal, now).await)
        }
    }
}

/// `POST /core/heimdall/plan`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    pub action: String,
    /// Absent or `null` is `{}`.
    #[serde(default)]
    pub params: serde_json::Value,
}

impl utoipa::PartialSchema for PlanBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        params::request_schema(false, "An action and its parameters.")
    }
}

impl utoipa::ToSchema for PlanBody {}

/// What `do` in execute mode would do now: the cone's verdict, whether an approval is needed,
/// the effects and a preview of the result. Changes nothing, not even the log.
#[utoipa::path(post, path = "/core/heimdall/plan", tag = "heimdall", request_body = PlanBody,
    responses((status = 200, body = Plan)))]
pub async fn plan_action(ctx: Ctx, Json(body): Json<PlanBody>) -> Result<Reply, ApiError> {
    let actor = Actor::member(&ctx.caller);
    let params = no_null(body.params);
    let plan = service::plan(&ctx.app, &actor, &body.action, &params, ctx.now()).await?;
    Reply::ok(&plan)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActionsQuery {
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(value_type = Option<crate::openapi::schemas::Cursor>, inline)]
    pub cursor: Option<String>,
}

/// The action log, newest first.
#[utoipa::path(get, path = "/core/heimdall/actions", tag = "heimdall", params(ActionsQuery),
    responses((status = 200, body = Page<LogEntry>)))]
pub async fn list_actions(ctx: Ctx, Query(query): Query<ActionsQuery>) -> Result<Reply, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let mut conn = ctx.app.db.read().await?;
    let entries = log::list(&mut conn, ctx.household_id(), &page).await?;
    Reply::ok(&page.page(entries, |e| vec![e.seq.to_string()]))
}

/// Recompute the log's hash chain: `ok`, and the first bad sequence number if any.
#[utoipa::path(get, path = "/core/heimdall/actions/verify", tag = "heimdall",
    responses((status = 200, body = Verification)))]
pub async fn verify_actions(ctx: Ctx) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    Reply::ok(&log::verify(&mut conn, ctx.household_id()).await?)
}

/// One action of the registry.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisteredAction {
    pub name: String,
    pub class: ActionClass,
    pub min_role: Role,
    pub description: String,
    /// The name of the parameter schema in `components.schemas` of `/openapi.json`.
    pub params_schema_name: String,
    /// JSON Schema of `params` (references point into `/openapi.json`).
    #[schema(value_type = Object)]
    pub params_schema: serde_json::Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Registry {
    pub actions: Vec<RegisteredAction>,
}

/// Every action Heimdall knows, with its class and parameter schema.
#[utoipa::path(get, path = "/core/heimdall/registry", tag = "heimdall",
    responses((status = 200, body = Registry)))]
pub async fn get_registry(_ctx: Ctx) -> Result<Reply, ApiError> {
    let actions = registry::ACTIONS
        .iter()
        .filter_map(|a| {
            let (name, schema) = params::schema_of(a.name)?;
            Some(RegisteredAction {
                name: a.name.to_string(),
                class: a.class,
                min_role: a.min_role,
                description: a.description.to_string(),
                params_schema_name: name,
                params_schema: serde_json::to_value(schema).unwrap_or_default(),
            })
        })
        .collect();
    Reply::ok(&Registry { actions })
}
