//! SQL for scheduler runs.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};

use crate::db::DbError;
use crate::domain::day::{format_day, format_instant};

/// Claims household `household_id`'s timer run for `day`. Returns true when this caller won the
/// claim: no run for the day yet, or one that started before `stale_before` and never finished
/// (its server died). The unique index decides between servers.
pub async fn claim_daily(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    day: NaiveDate,
    now: DateTime<Utc>,
    stale_before: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = sqlx::query(
        "INSERT INTO scheduler_runs (household_id, id, daily_key, trigger, started_at)
         VALUES ($1, $2, $3, 'timer', $4)
         ON CONFLICT (household_id, daily_key) DO UPDATE SET id = excluded.id,
           started_at = excluded.started_at
         WHERE scheduler_runs.finished_at IS NULL AND scheduler_runs.started_at < $5",
    )
    .bind(household_id)
    .bind(id)
    .bind(format_day(day))
    .bind(format_instant(now))
    .bind(format_instant(stale_before))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Records the start of a manual run.
pub async fn start_manual(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO scheduler_runs (household_id, id, daily_key, trigger, started_at)
         VALUES ($1, $2, NULL, 'manual', $3)",
    )
    .bind(household_id)
    .bind(id)
    .bind(format_instant(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn finish(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    now: DateTime<Utc>,
    ok: bool,
    steps: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE scheduler_runs SET finished_at = $1, ok = $2, steps = $3
         WHERE household_id = $4 AND id = $5",
    )
    .bind(format_instant(now))
    .bind(i64::from(ok))
    .bind(steps)
    .bind(household_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether the timer run for `day` exists (claimed or done).
pub async fn has_daily(
    conn: &mut AnyConnection,
    household_id: &str,
    day: NaiveDate,
) -> Result<bool, DbError> {
    let row = sqlx::query(
        "SELECT 1 AS one FROM scheduler_runs WHERE household_id = $1 AND daily_key = $2",
    )
    .bind(household_id)
    .bind(format_day(day))
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}

/// The latest run that started.
pub struct LastRun {
    pub started_at: String,
    pub finished_at: Option<String>,
    pub trigger: String,
    pub ok: Option<bool>,
}

pub async fn last_run(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Option<LastRun>, DbError> {
    let row = sqlx::query(
        "SELECT started_at, finished_at, trigger, ok FROM scheduler_runs
         WHERE household_id = $1 ORDER BY started_at DESC, id DESC LIMIT 1",
    )
    .bind(household_id)
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        Ok(LastRun {
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            trigger: r.try_get("trigger")?,
            ok: r.try_get::<Option<i64>, _>("ok")?.map(|v| v != 0),
        })
    })
    .transpose()
}
