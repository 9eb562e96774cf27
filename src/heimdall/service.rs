//! The dispatcher: guards, the cone, the action, and the log — for the HTTP route and for the
//! scheduler alike.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::AnyConnection;

use super::actions::{self, Actor, Call, Done};
use super::log::{self, LogEntry, NewEntry, Outcome};
use super::registry::{self, ActionClass, ActionInfo};
use crate::app::App;
use crate::cone::model::{Mode, Verdict};
use crate::cone::service::{self as cone, Ask};
use crate::db::DbError;
use crate::domain::day::local_today;
use crate::error::ApiError;

/// A request to act.
#[derive(Debug, Clone)]
pub struct Request {
    pub action: String,
    pub mode: Mode,
    pub params: serde_json::Value,
    pub reason: Option<String>,
}

/// Why an attempt did not run, and how it is logged.
#[derive(Debug)]
pub struct Refusal {
    pub error: ApiError,
    pub outcome: Outcome,
}

impl Refusal {
    fn denied(error: ApiError) -> Refusal {
        Refusal {
            error,
            outcome: Outcome::Denied,
        }
    }
}

impl From<ApiError> for Refusal {
    /// An action's own failure: 403 is a refusal (a gate), 400/404 a bad request, else an error.
    fn from(error: ApiError) -> Refusal {
        let outcome = match error.status {
            StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => Outcome::Denied,
            StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND => Outcome::Invalid,
            _ => Outcome::Error,
        };
        Refusal { error, outcome }
    }
}

impl From<DbError> for Refusal {
    fn from(err: DbError) -> Refusal {
        Refusal::from(ApiError::from(err))
    }
}

/// Looks an action up; unknown → 400.
pub fn find(name: &str) -> Result<&'static ActionInfo, ApiError> {
    registry::find(name)
        .ok_or_else(|| ApiError::field("action", format!("unknown action {name:?}")))
}

fn verdict_value(verdict: &Verdict) -> serde_json::Value {
    serde_json::to_value(verdict).unwrap_or(serde_json::Value::Null)
}

/// The guards and the cone, without running anything. `mode` is the mode asked for.
async fn admit(
    conn: &mut AnyConnection,
    actor: &Actor,
    info: &ActionInfo,
    mode: Mode,
    call: &Call,
) -> Result<Verdict, Refusal> {
    if info.class == ActionClass::Exec && mode == Mode::Explore {
        return Err(Refusal::denied(ApiError::forbidden(format!(
            "{} changes the household; it cannot run in explore mode",
            info.name
        ))));
    }
    let stakes = actions::stakes(conn, actor, call).await?;
    let verdict = cone::decide(
        conn,
        &actor.household_id,
        &actor.settings,
        actor.role,
        &Ask {
            action: info,
            mode,
            amount: stakes.amount,
            category: stakes.category.as_deref(),
            target: stakes
                .target
                .as_ref()
                .map(|(t, id)| (t.as_str(), id.as_str())),
        },
    )
    .await?;
    if !verdict.allow {
        let detail = format!(
            "the cone refuses {}: {}",
            info.name,
            verdict.reasons.join("; ")
        );
        return Err(Refusal::denied(
            ApiError::forbidden(detail).with_extra("verdict", verdict_value(&verdict)),
        ));
    }
    if !actor.role.at_least(info.min_role) {
        return Err(Refusal::denied(
            ApiError::forbidden(format!(
                "the {} role may not run {}",
                actor.role.as_str(),
                info.name
            ))
            .with_extra("verdict", verdict_value(&verdict)),
        ));
    }
    Ok(verdict)
}

/// Checks and runs a request in the caller's transaction. Nothing is logged here.
pub async fn perform(
    app: &App,
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<Done, Refusal> {
    let info = find(&request.action).map_err(|error| Refusal {
        error,
        outcome: Outcome::Invalid,
    })?;
    let today = local_today(now, actor.settings.timezone);
    let call =
        actions::parse(info.name, &request.params, &actor.settings, today).map_err(|error| {
            Refusal {
                error,
                outcome: Outcome::Invalid,
            }
        })?;
    admit(conn, actor, info, request.mode, &call).await?;
    Ok(actions::run(app, conn, actor, call, now).await?)
}

fn mode_str(mode: Mode) -> &'static str {
    match mode {
        Mode::Explore => "explore",
        Mode::Execute => "execute",
    }
}

/// Appends the log entry for an attempt, in the caller's transaction.
pub async fn log_attempt(
    conn: &mut AnyConnection,
    actor: &Actor,
    request: &Request,
    outcome: Outcome,
    detail: &str,
    now: DateTime<Utc>,
) -> Result<LogEntry, DbError> {
    log::append(
        conn,
        &actor.household_id,
        &NewEntry {
            actor: &actor.name,
            actor_member_id: actor.member_id.as_deref(),
            action: &request.action,
            mode: mode_str(request.mode),
            params: &request.params,
            reason: request.reason.as_deref(),
            outcome,
            detail,
            at: now,
        },
    )
    .await
}

/// Logs a refused attempt in its own transaction (the attempt's own was rolled back) and
/// returns the error to answer, carrying the log entry's id.
pub async fn refuse(
    app: &App,
    actor: &Actor,
    request: &Request,
    refusal: Refusal,
    now: DateTime<Utc>,
) -> ApiError {
    let logged = async {
        let mut tx = app.db.begin().await?;
        let entry = log_attempt(
            tx.conn(),
            actor,
            request,
            refusal.outcome,
            &refusal.error.detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok::<_, DbError>(entry)
    }
    .await;
    match logged {
        Ok(entry) => refusal
            .error
            .with_extra("log_id", serde_json::Value::String(entry.id))
            .with_extra(
                "outcome",
                serde_json::Value::String(refusal.outcome.as_str().into()),
            ),
        Err(err) => ApiError::from(err),
    }
}

/// `POST /core/heimdall/do` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DoResponse {
    pub ok: bool,
    pub action: String,
    pub mode: Mode,
    /// What the direct route would have answered.
    #[schema(value_type = Object)]
    pub result: serde_json::Value,
    /// What was done, in words.
    pub effects: Vec<String>,
    pub log_id: String,
}

/// Dispatches a request in its own transaction (the scheduler's path; the HTTP route does the
/// same inside the request's transaction so that its Idempotency-Key is recorded with it).
pub async fn dispatch(
    app: &App,
    actor: &Actor,
    request: &Request,
    now: DateTime<Utc>,
) -> Result<DoResponse, ApiError> {
    let mut tx = app.db.begin().await?;
    match perform(app, tx.conn(), actor, request, now).await {
        Ok(done) => {
            let entry = log_attempt(
                tx.conn(),
                actor,
                request,
                Outcome::Ok,
                &done.effects.join("; "),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(DoResponse {
                ok: true,
                action: request.action.clone(),
                mode: request.mode,
                result: done.result,
                effects: done.effects,
                log_id: entry.id,
            })
        }
        Err(refusal) => {
            tx.rollback().await?;
            Err(refuse(app, actor, request, refusal, now).await)
        }
    }
}

/// `POST /core/heimdall/plan` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub action: String,
    pub class: ActionClass,
    /// The cone's verdict for executing it now.
    pub cone: Verdict,
    pub requires_approval: bool,
    /// What `do` in execute mode would do: `ok`, or how it would be refused.
    pub outcome: Outcome,
    /// The effects in words (or why it would be refused).
    pub effects: Vec<String>,
    /// What `do` would answer as its `result` (`null` when it would be refused).
    #[schema(value_type = Option<Object>)]
    pub preview: serde_json::Value,
}

/// What `do` in execute mode would do now, found by doing it in a transaction that is then
/// rolled back: nothing changes, not even the log, and the preview is exact.
pub async fn plan(
    app: &App,
    actor: &Actor,
    action: &str,
    params: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<Plan, ApiError> {
    let info = find(action)?;
    let today = local_today(now, actor.settings.timezone);
    let call = actions::parse(info.name, params, &actor.settings, today)?;
    let mut tx = app.db.begin().await?;
    let stakes = actions::stakes(tx.conn(), actor, &call).await?;
    let verdict = cone::decide(
        tx.conn(),
        &actor.household_id,
        &actor.settings,
        actor.role,
        &Ask {
            action: info,
            mode: Mode::Execute,
            amount: stakes.amount,
            category: stakes.category.as_deref(),
            target: stakes
                .target
                .as_ref()
                .map(|(t, id)| (t.as_str(), id.as_str())),
        },
    )
    .await?;
    let attempt = match admit(tx.conn(), actor, info, Mode::Execute, &call).await {
        Ok(_) => actions::run(app, tx.conn(), actor, call, now)
            .await
            .map_err(Refusal::from),
        Err(refusal) => Err(refusal),
    };
    tx.rollback().await?;
    let (outcome, effects, preview) = match attempt {
        Ok(done) => (Outcome::Ok, done.effects, done.result),
        Err(refusal) => (
            refusal.outcome,
            vec![format!("would be refused: {}", refusal.error.detail)],
            serde_json::Value::Null,
        ),
    };
    Ok(Plan {
        action: info.name.to_string(),
        class: info.class,
        requires_approval: verdict.requires_approval,
        cone: verdict,
        outcome,
        effects,
        preview,
    })
}
