//! SQL for budget limits. Spending is read from the ledger (`ledger::store`).

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::BudgetLimit;
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::money::{Currency, Money};
use crate::pagination::PageRequest;

const COLUMNS: &str = "category, monthly_limit, currency, version, updated_at";

#[derive(sqlx::FromRow)]
struct LimitRow {
    category: String,
    monthly_limit: i64,
    currency: String,
    version: i64,
    updated_at: String,
}

impl TryFrom<LimitRow> for BudgetLimit {
    type Error = DbError;

    fn try_from(row: LimitRow) -> Result<BudgetLimit, DbError> {
        let currency = Currency::from_code(&row.currency).ok_or_else(|| {
            DbError::Other(Box::new(sqlx::Error::Decode(
                format!("unknown currency {:?} in budget_limits", row.currency).into(),
            )))
        })?;
        Ok(BudgetLimit {
            category: row.category,
            monthly_limit: Money::from_minor(row.monthly_limit, currency),
            currency,
            version: row.version,
            updated_at: row.updated_at,
        })
    }
}

/// Reads a limit inside a write transaction, holding its row lock until commit.
pub async fn lock_limit(
    conn: &mut AnyConnection,
    household_id: &str,
    category: &str,
) -> Result<Option<BudgetLimit>, DbError> {
    sqlx::query(
        "UPDATE budget_limits SET version = version WHERE household_id = $1 AND category = $2",
    )
    .bind(household_id)
    .bind(category)
    .execute(&mut *conn)
    .await?;
    get_limit(conn, household_id, category).await
}

pub async fn get_limit(
    conn: &mut AnyConnection,
    household_id: &str,
    category: &str,
) -> Result<Option<BudgetLimit>, DbError> {
    let sql =
        format!("SELECT {COLUMNS} FROM budget_limits WHERE household_id = $1 AND category = $2");
    sqlx::query_as::<_, LimitRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(category)
        .fetch_optional(conn)
        .await?
        .map(BudgetLimit::try_from)
        .transpose()
}

/// Sets a category's limit, creating it or bumping its version.
pub async fn upsert_limit(
    conn: &mut AnyConnection,
    household_id: &str,
    category: &str,
    limit: Money,
    now: DateTime<Utc>,
) -> Result<BudgetLimit, DbError> {
    let sql = format!(
        "INSERT INTO budget_limits (household_id, category, monthly_limit, currency, version,
                                    created_at, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $5)
         ON CONFLICT (household_id, category) DO UPDATE SET
           monthly_limit = excluded.monthly_limit, currency = excluded.currency,
           version = budget_limits.version + 1, updated_at = excluded.updated_at
         RETURNING {COLUMNS}"
    );
    sqlx::query_as::<_, LimitRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(category)
        .bind(limit.minor())
        .bind(limit.currency().code())
        .bind(format_instant(now))
        .fetch_one(conn)
        .await?
        .try_into()
}

pub async fn delete_limit(
    conn: &mut AnyConnection,
    household_id: &str,
    category: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query("DELETE FROM budget_limits WHERE household_id = $1 AND category = $2")
        .bind(household_id)
        .bind(category)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// Every limit of the household (a household has a handful).
pub async fn all_limits(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Vec<BudgetLimit>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM budget_limits WHERE household_id = $1");
    sqlx::query_as::<_, LimitRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(BudgetLimit::try_from)
        .collect()
}

/// A page of limits ordered by category.
pub async fn list_limits(
    conn: &mut AnyConnection,
    household_id: &str,
    page: &PageRequest,
) -> Result<Vec<BudgetLimit>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM budget_limits
         WHERE household_id = $1 AND ($2 IS NULL OR category > $2)
         ORDER BY category LIMIT $3"
    );
    sqlx::query_as::<_, LimitRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(BudgetLimit::try_from)
        .collect()
}
