//! The tick: each step dispatched through Heimdall as actor `scheduler`, each isolated; and the
//! timer that runs it daily at every household's `tick_time`.

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;

use super::model::{StepResult, TickResult, created_count, due_day};
use super::store;
use crate::app::App;
use crate::cone::model::Mode;
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::new_id;
use crate::error::ApiError;
use crate::heimdall::actions::Actor;
use crate::heimdall::service::{Request, dispatch};
use crate::household::model::Settings;
use crate::household::store as household_store;

/// A claimed timer run that never finished is taken over after this long.
const STALE_CLAIM: chrono::Duration = chrono::Duration::minutes(30);

/// The steps of a tick, in order, with their parameters from the household settings.
pub fn steps(settings: &Settings) -> Vec<(&'static str, serde_json::Value)> {
    vec![
        ("shopping.generate_from_inventory", serde_json::json!({})),
        (
            "shopping.generate_from_needs",
            serde_json::json!({"within_days": settings.needs_horizon_days}),
        ),
        (
            "shopping.request_approvals",
            serde_json::json!({"threshold": settings.big_spend_threshold.to_string()}),
        ),
        ("bills.push_reminders", serde_json::json!({})),
        ("shopping.push_reminders", serde_json::json!({})),
        ("schedule.push_reminders", serde_json::json!({})),
    ]
}

/// Runs every step for one household; a failing step is reported and the rest still run.
async fn run_steps(app: &App, household_id: &str, settings: &Settings) -> TickResult {
    let actor = Actor::scheduler(household_id, settings);
    let ran_at = format_instant(app.clock.now());
    let mut results = Vec::new();
    for (action, params) in steps(settings) {
        let request = Request {
            action: action.to_string(),
            mode: Mode::Execute,
            params,
            reason: Some("daily tick".to_string()),
        };
        let result = match dispatch(app, &actor, &request, app.clock.now()).await {
            Ok(done) => StepResult {
                name: action.to_string(),
                ok: true,
                created: created_count(&done.result),
                detail: done.effects.join("; "),
            },
            Err(err) => {
                tracing::warn!(household.id = household_id, step = action, error = %err, "tick step failed");
                StepResult {
                    name: action.to_string(),
                    ok: false,
                    created: 0,
                    detail: err.detail,
                }
            }
        };
        results.push(result);
    }
    TickResult {
        ran_at,
        steps: results,
    }
}

async fn record_finish(
    app: &App,
    household_id: &str,
    run_id: &str,
    result: &TickResult,
) -> Result<(), DbError> {
    let ok = result.steps.iter().all(|s| s.ok);
    let steps = serde_json::to_string(&result.steps).unwrap_or_default();
    let mut tx = app.db.begin().await?;
    store::finish(tx.conn(), household_id, run_id, app.clock.now(), ok, &steps).await?;
    tx.commit().await
}

/// A tick on demand (the endpoint, `valhalla tick`).
pub async fn tick_now(
    app: &App,
    household_id: &str,
    settings: &Settings,
) -> Result<TickResult, ApiError> {
    let run_id = new_id();
    let mut tx = app.db.begin().await?;
    store::start_manual(tx.conn(), household_id, &run_id, app.clock.now()).await?;
    tx.commit().await?;
    let result = run_steps(app, household_id, settings).await;
    record_finish(app, household_id, &run_id, &result).await?;
    Ok(result)
}

/// The timer's run for `day`, if this server wins the claim for it.
pub async fn tick_for_day(
    app: &App,
    household_id: &str,
    settings: &Settings,
    day: NaiveDate,
) -> Result<Option<TickResult>, ApiError> {
    let run_id = new_id();
    let now = app.clock.now();
    let mut tx = app.db.begin().await?;
    let claimed = store::claim_daily(
        tx.conn(),
        household_id,
        &run_id,
        day,
        now,
        now - STALE_CLAIM,
    )
    .await?;
    tx.commit().await?;
    if !claimed {
        return Ok(None);
    }
    let result = run_steps(app, household_id, settings).await;
    record_finish(app, household_id, &run_id, &result).await?;
    Ok(Some(result))
}

/// Runs every household's tick that is due and not yet run. Returns how many ran here.
pub async fn run_due(app: &App) -> Result<usize, ApiError> {
    let now = app.clock.now();
    let households = {
        let mut conn = app.db.read().await?;
        household_store::list_households(&mut conn).await?
    };
    let mut ran = 0;
    for (household_id, _) in households {
        let (settings, day) = {
            let mut conn = app.db.read().await?;
            let Some(settings) = household_store::get_settings(&mut conn, &household_id).await?
            else {
                continue;
            };
            let day = due_day(now, settings.tick_time, settings.timezone);
            if store::has_daily(&mut conn, &household_id, day).await? {
                continue;
            }
            (settings, day)
        };
        if tick_for_day(app, &household_id, &settings, day)
            .await?
            .is_some()
        {
            ran += 1;
        }
    }
    Ok(ran)
}

/// Starts the daily timer: every `every`, runs the ticks that are due (also at start-up, so a
/// run missed while the server was down is caught up).
pub fn spawn_timer(app: Arc<App>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(err) = run_due(&app).await {
                tracing::warn!(error = %err, "scheduler check failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}
