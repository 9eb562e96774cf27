//! SQL for webhooks and their deliveries (the outbox).

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::model::{Delivery, DeliveryStatus, Transition, Webhook, WebhookDraft};
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::new_id;
use crate::pagination::PageRequest;

const WEBHOOK_COLUMNS: &str = "id, url, events, created_by, created_at";

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: String,
    url: String,
    events: String,
    created_by: String,
    created_at: String,
}

impl WebhookRow {
    fn into_webhook(self) -> Webhook {
        Webhook {
            id: self.id,
            url: self.url,
            events: parse_events(&self.events),
            created_by: self.created_by,
            created_at: self.created_at,
        }
    }
}

/// The stored JSON array of event names (an unreadable value subscribes to nothing).
fn parse_events(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// Who registers a webhook.
#[derive(Debug, Clone)]
pub struct Creator<'a> {
    pub member_id: &'a str,
    pub name: &'a str,
}

pub async fn insert(
    conn: &mut AnyConnection,
    household_id: &str,
    draft: &WebhookDraft,
    secret: &str,
    creator: &Creator<'_>,
    now: DateTime<Utc>,
) -> Result<Webhook, DbError> {
    let events = serde_json::to_string(&draft.events).unwrap_or_else(|_| "[]".to_string());
    let sql = format!(
        "INSERT INTO webhooks (household_id, id, url, events, secret, created_by,
           created_by_member_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING {WEBHOOK_COLUMNS}"
    );
    let row = sqlx::query_as::<_, WebhookRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(&draft.url)
        .bind(events)
        .bind(secret)
        .bind(creator.name)
        .bind(creator.member_id)
        .bind(format_instant(now))
        .fetch_one(conn)
        .await?;
    Ok(row.into_webhook())
}

pub async fn get(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<Webhook>, DbError> {
    let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE household_id = $1 AND id = $2");
    Ok(sqlx::query_as::<_, WebhookRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(WebhookRow::into_webhook))
}

/// Oldest first (ties by id).
pub async fn list(
    conn: &mut AnyConnection,
    household_id: &str,
    page: &PageRequest,
) -> Result<Vec<Webhook>, DbError> {
    let sql = format!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks
         WHERE household_id = $1
           AND ($2 IS NULL OR created_at > $2 OR (created_at = $2 AND id > $3))
         ORDER BY created_at, id
         LIMIT $4"
    );
    Ok(sqlx::query_as::<_, WebhookRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(WebhookRow::into_webhook)
        .collect())
}

/// Deletes a webhook and (by the foreign key's cascade) its deliveries. False: no such webhook.
pub async fn delete(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM webhooks WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The ids of the household's webhooks subscribed to `event`.
pub async fn subscribers(
    conn: &mut AnyConnection,
    household_id: &str,
    event: &str,
) -> Result<Vec<String>, DbError> {
    let rows = sqlx::query("SELECT id, events FROM webhooks WHERE household_id = $1 ORDER BY id")
        .bind(household_id)
        .fetch_all(conn)
        .await?;
    let mut ids = Vec::new();
    for row in rows {
        let events: String = row.try_get("events")?;
        if parse_events(&events).iter().any(|e| e == event) {
            ids.push(row.try_get("id")?);
        }
    }
    Ok(ids)
}

/// A new pending delivery, due at once.
pub struct NewDelivery<'a> {
    pub id: &'a str,
    pub webhook_id: &'a str,
    pub event: &'a str,
    pub payload: &'a str,
}

pub async fn insert_delivery(
    conn: &mut AnyConnection,
    household_id: &str,
    delivery: &NewDelivery<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let now = format_instant(now);
    sqlx::query(
        "INSERT INTO webhook_deliveries (household_id, id, webhook_id, event, payload, status,
           attempts, next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
    )
    .bind(household_id)
    .bind(delivery.id)
    .bind(delivery.webhook_id)
    .bind(delivery.event)
    .bind(delivery.payload)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

const DELIVERY_COLUMNS: &str = "id, event, status, attempts, next_attempt_at, last_attempt_at, \
     last_status_code, last_error, created_at, delivered_at";

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    id: String,
    event: String,
    status: String,
    attempts: i64,
    next_attempt_at: Option<String>,
    last_attempt_at: Option<String>,
    last_status_code: Option<i64>,
    last_error: Option<String>,
    created_at: String,
    delivered_at: Option<String>,
}

impl DeliveryRow {
    fn into_delivery(self) -> Delivery {
        let status = DeliveryStatus::parse(&self.status).unwrap_or(DeliveryStatus::Failed);
        Delivery {
            id: self.id,
            event: self.event,
            status,
            attempts: self.attempts,
            // While a server holds a claim the column holds the claim's end; callers see a
            // pending delivery's next attempt either way.
            next_attempt_at: self.next_attempt_at,
            last_attempt_at: self.last_attempt_at,
            last_status_code: self.last_status_code,
            last_error: self.last_error,
            created_at: self.created_at,
            delivered_at: self.delivered_at,
        }
    }
}

/// A webhook's deliveries, newest first (ties: larger id first).
pub async fn list_deliveries(
    conn: &mut AnyConnection,
    household_id: &str,
    webhook_id: &str,
    status: Option<DeliveryStatus>,
    page: &PageRequest,
) -> Result<Vec<Delivery>, DbError> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries
         WHERE household_id = $1 AND webhook_id = $2
           AND ($3 IS NULL OR status = $3)
           AND ($4 IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5))
         ORDER BY created_at DESC, id DESC
         LIMIT $6"
    );
    Ok(sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(webhook_id)
        .bind(status.map(|s| s.as_str().to_string()))
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(DeliveryRow::into_delivery)
        .collect())
}

/// A pending delivery whose time has come, as read before claiming it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub household_id: String,
    pub id: String,
    /// The value the claim must still find (so two servers cannot both claim it).
    pub next_attempt_at: String,
    pub attempts: i64,
}

/// Pending deliveries due at `now`, in every household, oldest due first. This is the one
/// read that spans households: the worker serves them all. Everything after it is keyed by
/// (household, id).
pub async fn due(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Due>, DbError> {
    Ok(sqlx::query_as::<_, Due>(
        "SELECT household_id, id, next_attempt_at, attempts FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id
         LIMIT $2",
    )
    .bind(format_instant(now))
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// A delivery this server has claimed and is about to send.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub household_id: String,
    pub id: String,
    pub event: String,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// The end of the claim, also the value the result must still find.
    pub lease_until: String,
    pub url: String,
    pub secret: String,
}

/// Claims a due delivery for one attempt: moves `next_attempt_at` to the end of the lease and
/// counts the attempt, but only if the row is still as `due` saw it. `None`: another server
/// claimed it first, or it is no longer pending.
pub async fn claim(
    conn: &mut AnyConnection,
    due: &Due,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<Claimed>, DbError> {
    let lease_until = format_instant(lease_until);
    let Some(row) = sqlx::query(
        "UPDATE webhook_deliveries
         SET next_attempt_at = $1, attempts = attempts + 1, last_attempt_at = $2
         WHERE household_id = $3 AND id = $4 AND status = 'pending' AND next_attempt_at = $5
         RETURNING webhook_id, event, payload, attempts",
    )
    .bind(&lease_until)
    .bind(format_instant(now))
    .bind(&due.household_id)
    .bind(&due.id)
    .bind(&due.next_attempt_at)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let webhook_id: String = row.try_get("webhook_id")?;
    let Some(target) =
        sqlx::query("SELECT url, secret FROM webhooks WHERE household_id = $1 AND id = $2")
            .bind(&due.household_id)
            .bind(&webhook_id)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(None);
    };
    Ok(Some(Claimed {
        household_id: due.household_id.clone(),
        id: due.id.clone(),
        event: row.try_get("event")?,
        payload: row.try_get("payload")?,
        attempts: row.try_get("attempts")?,
        lease_until,
        url: target.try_get("url")?,
        secret: target.try_get("secret")?,
    }))
}

/// Gives up a delivery that used all its attempts without an outcome being recorded (its
/// server stopped while sending), if the row is still as `due` saw it.
pub async fn give_up(conn: &mut AnyConnection, due: &Due) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE webhook_deliveries
         SET status = 'failed', next_attempt_at = NULL,
             last_error = 'no outcome was recorded for the last attempt'
         WHERE household_id = $1 AND id = $2 AND status = 'pending' AND next_attempt_at = $3",
    )
    .bind(&due.household_id)
    .bind(&due.id)
    .bind(&due.next_attempt_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Records an attempt's outcome if this server's claim still holds. False: the claim had
/// lapsed and another server took the delivery over (its outcome will be recorded instead).
pub async fn record(
    conn: &mut AnyConnection,
    claimed: &Claimed,
    transition: &Transition,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let delivered_at =
        (transition.status == DeliveryStatus::Delivered).then(|| format_instant(now));
    let done = sqlx::query(
        "UPDATE webhook_deliveries
         SET status = $1, next_attempt_at = $2, last_status_code = $3, last_error = $4,
             delivered_at = $5
         WHERE household_id = $6 AND id = $7 AND status = 'pending' AND next_attempt_at = $8",
    )
    .bind(transition.status.as_str())
    .bind(transition.next_attempt_at.map(format_instant))
    .bind(transition.status_code.map(i64::from))
    .bind(transition.error.clone())
    .bind(delivered_at)
    .bind(&claimed.household_id)
    .bind(&claimed.id)
    .bind(&claimed.lease_until)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}
