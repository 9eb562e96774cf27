//! SQL for approvals.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::model::{Approval, ApprovalDraft, ApprovalStatus, Risk};
use crate::cone::model::Band;
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::money::{Currency, Money};
use crate::domain::new_id;
use crate::pagination::PageRequest;

const COLUMNS: &str = "id, title, action, target_type, target_id, cone_band, risk, payload, \
     amount, currency, status, requested_by, decided_by, decided_at, note, created_at, version";

#[derive(sqlx::FromRow)]
struct ApprovalRow {
    id: String,
    title: String,
    action: String,
    target_type: String,
    target_id: String,
    cone_band: String,
    risk: String,
    payload: String,
    amount: Option<i64>,
    currency: Option<String>,
    status: String,
    requested_by: String,
    decided_by: Option<String>,
    decided_at: Option<String>,
    note: Option<String>,
    created_at: String,
    version: i64,
}

impl ApprovalRow {
    fn into_approval(self) -> Approval {
        let currency = self
            .currency
            .as_deref()
            .and_then(Currency::from_code)
            .unwrap_or(Currency::USD);
        Approval {
            id: self.id,
            title: self.title,
            action: self.action,
            target_type: self.target_type,
            target_id: self.target_id,
            cone_band: Band::parse(&self.cone_band).unwrap_or(Band::Red),
            risk: Risk::parse(&self.risk).unwrap_or(Risk::High),
            payload: serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null),
            amount: self.amount.map(|a| Money::from_minor(a, currency)),
            status: ApprovalStatus::parse(&self.status).unwrap_or(ApprovalStatus::Pending),
            requested_by: self.requested_by,
            decided_by: self.decided_by,
            decided_at: self.decided_at,
            note: self.note,
            created_at: self.created_at,
            version: self.version,
        }
    }
}

/// Who asked.
#[derive(Debug, Clone)]
pub struct Requester {
    /// `None` for the scheduler.
    pub member_id: Option<String>,
    /// The member's name, or `scheduler`.
    pub name: String,
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    conn: &mut AnyConnection,
    household_id: &str,
    draft: &ApprovalDraft,
    band: Band,
    risk: Risk,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Approval, DbError> {
    let sql = format!(
        "INSERT INTO approvals (household_id, {COLUMNS}, requested_by_member_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, NULL, NULL, NULL, $13, 1, $14)
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query_as::<_, ApprovalRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(&draft.title)
        .bind(&draft.action)
        .bind(&draft.target_type)
        .bind(&draft.target_id)
        .bind(band.as_str())
        .bind(risk.as_str())
        .bind(draft.payload.to_string())
        .bind(draft.amount.map(|a| a.minor()))
        .bind(draft.amount.map(|a| a.currency().code().to_string()))
        .bind(&requester.name)
        .bind(format_instant(now))
        .bind(requester.member_id.clone())
        .fetch_one(conn)
        .await?;
    Ok(row.into_approval())
}

pub async fn get(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<Approval>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM approvals WHERE household_id = $1 AND id = $2");
    Ok(sqlx::query_as::<_, ApprovalRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(ApprovalRow::into_approval))
}

/// The member who requested an approval (`None`: the scheduler, or no such approval).
pub async fn requester_member(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<String>, DbError> {
    let row = sqlx::query(
        "SELECT requested_by_member_id FROM approvals WHERE household_id = $1 AND id = $2",
    )
    .bind(household_id)
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row
        .map(|r| r.try_get::<Option<String>, _>("requested_by_member_id"))
        .transpose()?
        .flatten())
}

/// Records a decision if the approval is still pending; `None` when it was not.
#[allow(clippy::too_many_arguments)]
pub async fn decide(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    status: ApprovalStatus,
    decided_by: &str,
    decided_by_member_id: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Approval>, DbError> {
    let sql = format!(
        "UPDATE approvals SET status = $1, decided_by = $2, decided_by_member_id = $3,
           decided_at = $4, note = $5, version = version + 1
         WHERE household_id = $6 AND id = $7 AND status = 'pending'
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, ApprovalRow>(sqlx::AssertSqlSafe(sql))
        .bind(status.as_str())
        .bind(decided_by)
        .bind(decided_by_member_id)
        .bind(format_instant(now))
        .bind(note.map(str::to_string))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(ApprovalRow::into_approval))
}

/// Filters of `GET /core/approvals`.
#[derive(Debug, Default)]
pub struct ApprovalFilter {
    pub status: Option<ApprovalStatus>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
}

/// Newest first (ties: larger id first).
pub async fn list(
    conn: &mut AnyConnection,
    household_id: &str,
    filter: &ApprovalFilter,
    page: &PageRequest,
) -> Result<Vec<Approval>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM approvals
         WHERE household_id = $1
           AND ($2 IS NULL OR status = $2)
           AND ($3 IS NULL OR target_type = $3)
           AND ($4 IS NULL OR target_id = $4)
           AND ($5 IS NULL OR created_at < $5 OR (created_at = $5 AND id < $6))
         ORDER BY created_at DESC, id DESC
         LIMIT $7"
    );
    Ok(sqlx::query_as::<_, ApprovalRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(filter.status.map(|s| s.as_str().to_string()))
        .bind(filter.target_type.clone())
        .bind(filter.target_id.clone())
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(ApprovalRow::into_approval)
        .collect())
}

/// Approvals for one action on one target with the given status, newest first.
pub async fn for_target(
    conn: &mut AnyConnection,
    household_id: &str,
    action: &str,
    target_type: &str,
    target_id: &str,
    status: ApprovalStatus,
) -> Result<Vec<Approval>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM approvals
         WHERE household_id = $1 AND target_type = $2 AND target_id = $3 AND action = $4
           AND status = $5
         ORDER BY created_at DESC, id DESC"
    );
    Ok(sqlx::query_as::<_, ApprovalRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(target_type)
        .bind(target_id)
        .bind(action)
        .bind(status.as_str())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(ApprovalRow::into_approval)
        .collect())
}

/// How many members other than `member_id` may decide approvals (owners and adults).
pub async fn other_deciders(
    conn: &mut AnyConnection,
    household_id: &str,
    member_id: &str,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM members
         WHERE household_id = $1 AND id <> $2 AND role IN ('owner', 'adult')",
    )
    .bind(household_id)
    .bind(member_id)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("n")?)
}

/// How many approvals of the household are waiting for a decision.
pub async fn count_pending(conn: &mut AnyConnection, household_id: &str) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM approvals WHERE household_id = $1 AND status = 'pending'",
    )
    .bind(household_id)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("n")?)
}
