//! The outbox: [`enqueue`] writes deliveries in the caller's transaction; [`deliver_due`]
//! sends what is due (claiming each delivery first, so several servers on one database never
//! send one at the same time); [`spawn_worker`] runs it in the background.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use sqlx::AnyConnection;

use super::model::{self, DeliveryStatus, MAX_ATTEMPTS, after_attempt};
use super::store::{self, Claimed, Due, NewDelivery};
use crate::app::App;
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::new_id;
use crate::error::ApiError;

/// How long a claim lasts: longer than an attempt can take (the HTTP timeout), so a claim
/// lapses only when its server stopped; then another server (or this one, restarted) sends
/// the delivery again.
pub const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// Due deliveries read per round.
const BATCH: i64 = 100;
/// Deliveries sent at once, so one slow receiver does not hold up the others.
const PARALLEL: usize = 8;

/// Records `event` for every webhook of the household subscribed to it: one pending delivery
/// each, written on `conn` — the caller's transaction — so the event and its deliveries are
/// committed together or not at all. The payload is `{id, event, household_id, created_at,
/// data}`, where `id` is the delivery's id.
pub async fn enqueue(
    conn: &mut AnyConnection,
    household_id: &str,
    event: &str,
    data: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let created_at = format_instant(now);
    for webhook_id in store::subscribers(conn, household_id, event).await? {
        let id = new_id();
        let payload = model::payload(&id, event, household_id, &created_at, data).to_string();
        let delivery = NewDelivery {
            id: &id,
            webhook_id: &webhook_id,
            event,
            payload: &payload,
        };
        store::insert_delivery(conn, household_id, &delivery, now).await?;
    }
    Ok(())
}

/// Sends every pending delivery due at `app.clock.now()`, in all households, and records each
/// outcome (delivered; or tried again later with backoff; or failed after the last attempt).
/// No transaction is open while a request is in flight. Returns how many deliveries this call
/// attempted (those another server claimed first are not counted).
pub async fn deliver_due(app: &App) -> Result<usize, ApiError> {
    let mut attempted = 0;
    loop {
        let now = app.clock.now();
        let due = {
            let mut conn = app.db.read().await?;
            store::due(&mut conn, now, BATCH).await?
        };
        let full = due.len() as i64 == BATCH;
        let (claimed, claim_error) = claim_all(app, due, now).await;
        let round = claimed.len();
        futures::stream::iter(claimed)
            .map(|delivery| attempt(app, delivery))
            .buffer_unordered(PARALLEL)
            .collect::<Vec<()>>()
            .await;
        attempted += round;
        if let Some(err) = claim_error {
            return Err(err.into());
        }
        // Everything attempted now lies in the future, so a full batch means more may wait.
        if !full || round == 0 {
            return Ok(attempted);
        }
    }
}

/// Claims what it can of `due`, each in its own short transaction. On a database error it
/// stops claiming (the claimed ones are still sent) and hands the error back.
async fn claim_all(
    app: &App,
    due: Vec<Due>,
    now: DateTime<Utc>,
) -> (Vec<Claimed>, Option<DbError>) {
    let mut claimed = Vec::new();
    for row in due {
        match claim_one(app, &row, now).await {
            Ok(Some(delivery)) => claimed.push(delivery),
            Ok(None) => {}
            Err(err) => return (claimed, Some(err)),
        }
    }
    (claimed, None)
}

async fn claim_one(app: &App, due: &Due, now: DateTime<Utc>) -> Result<Option<Claimed>, DbError> {
    let mut tx = app.db.begin().await?;
    if due.attempts >= MAX_ATTEMPTS {
        // Its last attempt was claimed but its server stopped before recording the outcome.
        if store::give_up(tx.conn(), due).await? {
            tracing::warn!(household.id = %due.household_id, delivery.id = %due.id,
                "webhook delivery failed: out of attempts");
            metrics::counter!("webhook_deliveries_total", "outcome" => "failed").increment(1);
        }
        tx.commit().await?;
        return Ok(None);
    }
    let claimed = store::claim(tx.conn(), due, now + LEASE, now).await?;
    tx.commit().await?;
    Ok(claimed)
}

/// Sends one claimed delivery and records the outcome. Failures to record are logged: the
/// claim then lapses and the delivery is sent again (at least once, never lost).
async fn attempt(app: &App, delivery: Claimed) {
    let outcome = app
        .webhooks
        .send(&delivery, app.clock.now().timestamp())
        .await;
    let now = app.clock.now();
    let transition = after_attempt(delivery.attempts, &outcome, now);
    let recorded = async {
        let mut tx = app.db.begin().await?;
        let recorded = store::record(tx.conn(), &delivery, &transition, now).await?;
        tx.commit().await?;
        Ok::<bool, DbError>(recorded)
    }
    .await;
    let outcome_label = match transition.status {
        DeliveryStatus::Delivered => "delivered",
        DeliveryStatus::Pending => "retry",
        DeliveryStatus::Failed => "failed",
    };
    metrics::counter!("webhook_deliveries_total", "outcome" => outcome_label).increment(1);
    match (&recorded, transition.status) {
        (Err(err), _) => tracing::warn!(household.id = %delivery.household_id,
            delivery.id = %delivery.id, error = %err,
            "webhook delivery outcome not recorded; it will be sent again"),
        (Ok(false), _) => tracing::info!(household.id = %delivery.household_id,
            delivery.id = %delivery.id, "webhook delivery claim lapsed before its outcome was recorded"),
        (Ok(true), DeliveryStatus::Delivered) => tracing::debug!(
            household.id = %delivery.household_id, delivery.id = %delivery.id,
            attempts = delivery.attempts, "webhook delivered"),
        (Ok(true), status) => tracing::warn!(household.id = %delivery.household_id,
            delivery.id = %delivery.id, attempts = delivery.attempts,
            status = status.as_str(), error = transition.error.as_deref().unwrap_or(""),
            "webhook delivery attempt failed"),
    }
}

/// Starts the delivery worker: every `every`, sends what is due. Stopping it (abort, or the
/// process ending) mid-send loses nothing: unrecorded deliveries are sent again once their
/// claim lapses.
pub fn spawn_worker(app: Arc<App>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(err) = deliver_due(&app).await {
                tracing::warn!(error = %err, "webhook delivery round failed");
            }
            tokio::time::sleep(every).await;
        }
    })
}
