//! SQL for households, members, tokens and settings.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::{AnyConnection, Row};

use super::model::{Member, Settings, parse_hh_mm};
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::money::{Currency, Money};
use crate::domain::{Role, new_id};
use crate::extract::Caller;

const SETTINGS_COLUMNS: &str = "h.timezone, h.currency, h.big_spend_threshold, h.hard_spend_limit, \
     h.min_cash_buffer, h.needs_horizon_days, h.tick_time, h.version";

fn settings_from_row(row: &sqlx::any::AnyRow) -> Result<Settings, DbError> {
    let timezone: String = row.try_get("timezone")?;
    let code: String = row.try_get("currency")?;
    let tick_time: String = row.try_get("tick_time")?;
    let defaults = Settings::defaults();
    // Stored values were validated on the way in; fall back to defaults rather than fail.
    let currency = Currency::from_code(&code).unwrap_or(defaults.currency);
    Ok(Settings {
        timezone: timezone.parse::<Tz>().unwrap_or(defaults.timezone),
        currency,
        big_spend_threshold: Money::from_minor(row.try_get("big_spend_threshold")?, currency),
        hard_spend_limit: Money::from_minor(row.try_get("hard_spend_limit")?, currency),
        min_cash_buffer: Money::from_minor(row.try_get("min_cash_buffer")?, currency),
        needs_horizon_days: row.try_get("needs_horizon_days")?,
        tick_time: parse_hh_mm(&tick_time).unwrap_or(defaults.tick_time),
        version: row.try_get("version")?,
    })
}

/// The member (and household settings) a token hash belongs to.
pub async fn caller_for_token(
    conn: &mut AnyConnection,
    token_hash: &str,
) -> Result<Option<Caller>, DbError> {
    let sql = format!(
        "SELECT m.id AS member_id, m.name AS member_name, m.role, h.id AS household_id, {SETTINGS_COLUMNS}
         FROM api_tokens t
         JOIN members m ON m.household_id = t.household_id AND m.id = t.member_id
         JOIN households h ON h.id = t.household_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    row.as_ref()
        .map(caller_from_row)
        .transpose()
        .map(Option::flatten)
}

/// A caller from a row of member, role, household id and settings; `None` for an unknown role.
fn caller_from_row(row: &sqlx::any::AnyRow) -> Result<Option<Caller>, DbError> {
    let role: String = row.try_get("role")?;
    let Some(role) = Role::parse(&role) else {
        return Ok(None);
    };
    Ok(Some(Caller {
        household_id: row.try_get("household_id")?,
        member_id: row.try_get("member_id")?,
        member_name: row.try_get("member_name")?,
        role,
        settings: settings_from_row(row)?,
    }))
}

/// The caller a web session acts as: the member (and household settings), provided the API
/// token the session was opened with is still live.
pub async fn caller_for_member(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
    api_token_hash: &str,
) -> Result<Option<Caller>, DbError> {
    let sql = format!(
        "SELECT m.id AS member_id, m.name AS member_name, m.role, h.id AS household_id, {SETTINGS_COLUMNS}
         FROM api_tokens t
         JOIN members m ON m.household_id = t.household_id AND m.id = t.member_id
         JOIN households h ON h.id = t.household_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL
           AND t.household_id = $2 AND t.member_id = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(api_token_hash)
        .bind(household_id)
        .bind(member_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref()
        .map(caller_from_row)
        .transpose()
        .map(Option::flatten)
}

pub async fn get_settings(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Option<Settings>, DbError> {
    let sql = format!("SELECT {SETTINGS_COLUMNS} FROM households h WHERE h.id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(settings_from_row).transpose()
}

/// Writes `settings` if the stored version is still `expected_version`; returns whether it did.
pub async fn update_settings(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    expected_version: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = sqlx::query(
        "UPDATE households SET timezone = $1, currency = $2, big_spend_threshold = $3,
           hard_spend_limit = $4, min_cash_buffer = $5, needs_horizon_days = $6, tick_time = $7,
           version = version + 1, updated_at = $8
         WHERE id = $9 AND version = $10",
    )
    .bind(settings.timezone.name())
    .bind(settings.currency.code())
    .bind(settings.big_spend_threshold.minor())
    .bind(settings.hard_spend_limit.minor())
    .bind(settings.min_cash_buffer.minor())
    .bind(settings.needs_horizon_days)
    .bind(settings.tick_time.format("%H:%M").to_string())
    .bind(format_instant(now))
    .bind(household_id)
    .bind(expected_version)
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// The id and name of a household found by name.
pub async fn find_household_by_name(
    conn: &mut AnyConnection,
    name: &str,
) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT id FROM households WHERE name = $1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get("id")).transpose().map_err(Into::into)
}

pub async fn household_name(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT name FROM households WHERE id = $1")
        .bind(household_id)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get("name"))
        .transpose()
        .map_err(Into::into)
}

pub async fn count_households(conn: &mut AnyConnection) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COUNT(*) AS n FROM households")
        .fetch_one(conn)
        .await?;
    Ok(row.try_get("n")?)
}

/// Creates a household with default settings; returns its id.
pub async fn create_household(
    conn: &mut AnyConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<String, DbError> {
    let id = new_id();
    let s = Settings::defaults();
    let now = format_instant(now);
    sqlx::query(
        "INSERT INTO households (id, name, timezone, currency, big_spend_threshold,
           hard_spend_limit, min_cash_buffer, needs_horizon_days, tick_time, version,
           created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10)",
    )
    .bind(&id)
    .bind(name)
    .bind(s.timezone.name())
    .bind(s.currency.code())
    .bind(s.big_spend_threshold.minor())
    .bind(s.hard_spend_limit.minor())
    .bind(s.min_cash_buffer.minor())
    .bind(s.needs_horizon_days)
    .bind(s.tick_time.format("%H:%M").to_string())
    .bind(&now)
    .execute(conn)
    .await?;
    Ok(id)
}

fn member_from_row(row: &sqlx::any::AnyRow) -> Result<Member, DbError> {
    let role: String = row.try_get("role")?;
    Ok(Member {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        created_at: row.try_get("created_at")?,
    })
}

pub async fn find_member(
    conn: &mut AnyConnection,
    household_id: &str,
    name: &str,
) -> Result<Option<Member>, DbError> {
    let row = sqlx::query(
        "SELECT id, name, role, created_at FROM members WHERE household_id = $1 AND name = $2",
    )
    .bind(household_id)
    .bind(name)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(member_from_row).transpose()
}

pub async fn list_members(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Vec<Member>, DbError> {
    let rows = sqlx::query(
        "SELECT id, name, role, created_at FROM members WHERE household_id = $1 ORDER BY id",
    )
    .bind(household_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(member_from_row).collect()
}

pub async fn create_member(
    conn: &mut AnyConnection,
    household_id: &str,
    name: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<Member, DbError> {
    let member = Member {
        id: new_id(),
        name: name.to_string(),
        role,
        created_at: format_instant(now),
    };
    sqlx::query(
        "INSERT INTO members (household_id, id, name, role, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(household_id)
    .bind(&member.id)
    .bind(&member.name)
    .bind(role.as_str())
    .bind(&member.created_at)
    .execute(conn)
    .await?;
    Ok(member)
}

pub async fn insert_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    household_id: &str,
    member_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO api_tokens (token_hash, household_id, member_id, created_at)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(token_hash)
    .bind(household_id)
    .bind(member_id)
    .bind(format_instant(now))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn token_exists(conn: &mut AnyConnection, token_hash: &str) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT 1 AS one FROM api_tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// A value from the installation-wide key/value table.
pub async fn get_meta(conn: &mut AnyConnection, key: &str) -> Result<Option<String>, DbError> {
    let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.map(|r| r.try_get("value"))
        .transpose()
        .map_err(Into::into)
}

pub async fn set_meta(conn: &mut AnyConnection, key: &str, value: &str) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every household: (id, name), by name.
pub async fn list_households(conn: &mut AnyConnection) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query("SELECT id, name FROM households ORDER BY name")
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("name")?)))
        .collect()
}
