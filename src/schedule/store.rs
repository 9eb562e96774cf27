//! SQL for schedule events. Every query is scoped by household.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;

use super::model::{Event, EventFields, Kind};
use super::occurrence::Window;
use crate::db::DbError;
use crate::domain::day::{format_day, format_instant, parse_day};
use crate::domain::money::{Currency, Money};
use crate::domain::recurrence::Rule;
use crate::domain::{Qty, new_id};
use crate::pagination::PageRequest;

const EVENT_COLUMNS: &str = "id, title, kind, event_date, rrule, until_date, item_name, qty, \
     est_unit_cost, currency, inv_id, notes, remind_days_before, version, created_at, updated_at";

/// An event row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRecord {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub event_date: String,
    pub rrule: Option<String>,
    pub until_date: Option<String>,
    pub item_name: Option<String>,
    pub qty: Option<i64>,
    pub est_unit_cost: Option<i64>,
    pub currency: String,
    pub inv_id: Option<String>,
    pub notes: Option<String>,
    pub remind_days_before: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Stored days were written by this program; a bad one can only mean a damaged row.
fn stored_day(text: &str) -> NaiveDate {
    parse_day(text).unwrap_or_else(|err| {
        tracing::error!(error = %err, "unreadable day in schedule_events");
        NaiveDate::MIN
    })
}

impl EventRecord {
    fn currency(&self) -> Currency {
        Currency::from_code(&self.currency).unwrap_or(Currency::USD)
    }

    pub fn fields(&self) -> EventFields {
        let rule = self.rrule.as_deref().and_then(|text| {
            Rule::parse(text)
                .inspect_err(|err| tracing::error!(error = %err, event.id = %self.id, "stored rule no longer parses"))
                .ok()
        });
        EventFields {
            title: self.title.clone(),
            kind: Kind::parse(&self.kind).unwrap_or(Kind::Other),
            date: stored_day(&self.event_date),
            rule,
            until: self.until_date.as_deref().map(stored_day),
            item_name: self.item_name.clone(),
            qty: self.qty.map(Qty::from_milli),
            est_unit_cost: self
                .est_unit_cost
                .map(|c| Money::from_minor(c, self.currency())),
            inv_id: self.inv_id.clone(),
            notes: self.notes.clone(),
            remind_days_before: self.remind_days_before,
        }
    }

    pub fn to_event(&self) -> Event {
        let f = self.fields();
        Event {
            id: self.id.clone(),
            title: f.title,
            kind: f.kind,
            date: f.date,
            rrule: self.rrule.clone(),
            until: f.until,
            item_name: f.item_name,
            qty: f.qty,
            est_unit_cost: f.est_unit_cost,
            inv_id: f.inv_id,
            notes: f.notes,
            remind_days_before: f.remind_days_before,
            version: self.version,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

fn currency_of(fields: &EventFields, household: Currency) -> String {
    fields
        .est_unit_cost
        .map_or(household, |c| c.currency())
        .code()
        .to_string()
}

pub async fn insert_event(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: &EventFields,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<EventRecord, DbError> {
    let sql = format!(
        "INSERT INTO schedule_events (household_id, {EVENT_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15)
         RETURNING {EVENT_COLUMNS}"
    );
    Ok(sqlx::query_as::<_, EventRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(&fields.title)
        .bind(fields.kind.as_str())
        .bind(format_day(fields.date))
        .bind(fields.rule.as_ref().map(|r| r.as_str().to_string()))
        .bind(fields.until.map(format_day))
        .bind(fields.item_name.clone())
        .bind(fields.qty.map(|q| q.milli()))
        .bind(fields.est_unit_cost.map(|c| c.minor()))
        .bind(currency_of(fields, currency))
        .bind(fields.inv_id.clone())
        .bind(fields.notes.clone())
        .bind(fields.remind_days_before)
        .bind(format_instant(now))
        .fetch_one(conn)
        .await?)
}

pub async fn get_event(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<EventRecord>, DbError> {
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM schedule_events WHERE household_id = $1 AND id = $2");
    Ok(sqlx::query_as::<_, EventRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Reads an event inside a write transaction, holding its row lock until commit.
pub async fn lock_event(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<EventRecord>, DbError> {
    let touched = sqlx::query(
        "UPDATE schedule_events SET version = version WHERE household_id = $1 AND id = $2",
    )
    .bind(household_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if touched.rows_affected() == 0 {
        return Ok(None);
    }
    get_event(conn, household_id, id).await
}

/// Writes all fields if the version is still `expected_version`.
pub async fn update_event(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    fields: &EventFields,
    currency: Currency,
    expected_version: i64,
    now: DateTime<Utc>,
) -> Result<Option<EventRecord>, DbError> {
    let sql = format!(
        "UPDATE schedule_events SET title = $1, kind = $2, event_date = $3, rrule = $4,
           until_date = $5, item_name = $6, qty = $7, est_unit_cost = $8, currency = $9,
           inv_id = $10, notes = $11, remind_days_before = $12, version = version + 1,
           updated_at = $13
         WHERE household_id = $14 AND id = $15 AND version = $16
         RETURNING {EVENT_COLUMNS}"
    );
    Ok(sqlx::query_as::<_, EventRecord>(sqlx::AssertSqlSafe(sql))
        .bind(&fields.title)
        .bind(fields.kind.as_str())
        .bind(format_day(fields.date))
        .bind(fields.rule.as_ref().map(|r| r.as_str().to_string()))
        .bind(fields.until.map(format_day))
        .bind(fields.item_name.clone())
        .bind(fields.qty.map(|q| q.milli()))
        .bind(fields.est_unit_cost.map(|c| c.minor()))
        .bind(currency_of(fields, currency))
        .bind(fields.inv_id.clone())
        .bind(fields.notes.clone())
        .bind(fields.remind_days_before)
        .bind(format_instant(now))
        .bind(household_id)
        .bind(id)
        .bind(expected_version)
        .fetch_optional(conn)
        .await?)
}

pub async fn delete_event(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query("DELETE FROM schedule_events WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A page of events ordered by first date, then id.
pub async fn list_events(
    conn: &mut AnyConnection,
    household_id: &str,
    kind: Option<Kind>,
    page: &PageRequest,
) -> Result<Vec<EventRecord>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM schedule_events
         WHERE household_id = $1
           AND ($2 IS NULL OR kind = $2)
           AND ($3 IS NULL OR event_date > $3 OR (event_date = $3 AND id > $4))
         ORDER BY event_date, id
         LIMIT $5"
    );
    Ok(sqlx::query_as::<_, EventRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(kind.map(|k| k.as_str()))
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?)
}

/// Events that may occur inside `window`: starting on or before its end and not ended
/// before its start.
pub async fn events_touching(
    conn: &mut AnyConnection,
    household_id: &str,
    window: Window,
    kind: Option<Kind>,
) -> Result<Vec<EventRecord>, DbError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM schedule_events
         WHERE household_id = $1
           AND ($2 IS NULL OR kind = $2)
           AND event_date <= $3
           AND (until_date IS NULL OR until_date >= $4)
         ORDER BY id"
    );
    Ok(sqlx::query_as::<_, EventRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(kind.map(|k| k.as_str()))
        .bind(format_day(window.to))
        .bind(format_day(window.from))
        .fetch_all(conn)
        .await?)
}
