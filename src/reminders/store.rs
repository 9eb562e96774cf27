//! SQL for reminders and the inbox.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::model::{Draft, Reminder, ReminderKind};
use crate::db::DbError;
use crate::domain::day::{format_day, format_instant, parse_day};
use crate::domain::new_id;
use crate::pagination::PageRequest;

const COLUMNS: &str = "id, kind, subject_id, due_on, title, message, created_at, dismissed_at";

#[derive(sqlx::FromRow)]
struct ReminderRow {
    id: String,
    kind: String,
    subject_id: String,
    due_on: String,
    title: String,
    message: String,
    created_at: String,
    dismissed_at: Option<String>,
}

impl ReminderRow {
    fn into_reminder(self) -> Result<Reminder, DbError> {
        let kind = ReminderKind::parse(&self.kind)
            .ok_or_else(|| DbError::corrupt("reminders", "kind", &self.kind))?;
        let due_on = parse_day(&self.due_on)
            .map_err(|_| DbError::corrupt("reminders", "due_on", &self.due_on))?;
        Ok(Reminder {
            id: self.id,
            kind,
            subject_id: self.subject_id,
            due_on,
            title: self.title,
            message: self.message,
            created_at: self.created_at,
            dismissed_at: self.dismissed_at,
        })
    }
}

/// Stores `draft` unless a reminder for the same (kind, subject, due_on) exists; `None` then.
pub async fn insert_once(
    conn: &mut AnyConnection,
    household_id: &str,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<Option<Reminder>, DbError> {
    let sql = format!(
        "INSERT INTO reminders (household_id, {COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
         ON CONFLICT (household_id, kind, subject_id, due_on) DO NOTHING
         RETURNING {COLUMNS}"
    );
    sqlx::query_as::<_, ReminderRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(draft.kind.as_str())
        .bind(&draft.subject_id)
        .bind(format_day(draft.due_on))
        .bind(&draft.title)
        .bind(&draft.message)
        .bind(format_instant(now))
        .fetch_optional(conn)
        .await?
        .map(ReminderRow::into_reminder)
        .transpose()
}

pub async fn get(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<Reminder>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM reminders WHERE household_id = $1 AND id = $2");
    sqlx::query_as::<_, ReminderRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(ReminderRow::into_reminder)
        .transpose()
}

/// A page of undismissed reminders, newest first (ties by id).
pub async fn inbox(
    conn: &mut AnyConnection,
    household_id: &str,
    page: &PageRequest,
) -> Result<Vec<Reminder>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM reminders
         WHERE household_id = $1 AND dismissed_at IS NULL
           AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))
         ORDER BY created_at DESC, id DESC
         LIMIT $4"
    );
    sqlx::query_as::<_, ReminderRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(ReminderRow::into_reminder)
        .collect()
}

/// How many reminders wait in the inbox.
pub async fn inbox_count(conn: &mut AnyConnection, household_id: &str) -> Result<u64, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM reminders WHERE household_id = $1 AND dismissed_at IS NULL",
    )
    .bind(household_id)
    .fetch_one(conn)
    .await?;
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}

/// Dismisses one reminder; a dismissed one keeps its first dismissal. `None`: no such reminder.
pub async fn dismiss(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    member_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Reminder>, DbError> {
    sqlx::query(
        "UPDATE reminders SET dismissed_at = $1, dismissed_by = $2
         WHERE household_id = $3 AND id = $4 AND dismissed_at IS NULL",
    )
    .bind(format_instant(now))
    .bind(member_id)
    .bind(household_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    get(conn, household_id, id).await
}

/// Takes every reminder about `subject_id` out of the inbox (e.g. a decided approval).
pub async fn dismiss_subject(
    conn: &mut AnyConnection,
    household_id: &str,
    kind: ReminderKind,
    subject_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE reminders SET dismissed_at = $1
         WHERE household_id = $2 AND kind = $3 AND subject_id = $4 AND dismissed_at IS NULL",
    )
    .bind(format_instant(now))
    .bind(household_id)
    .bind(kind.as_str())
    .bind(subject_id)
    .execute(conn)
    .await?;
    Ok(())
}
