//! SQL for the ledger. Only inserts and reads: the database refuses updates and deletes.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};

use super::model::{EntryKind, LedgerEntry, NewEntry, SourceType, Totals};
use crate::db::DbError;
use crate::domain::day::{format_day, format_instant, parse_day};
use crate::domain::money::{Currency, Money};
use crate::domain::new_id;
use crate::pagination::PageRequest;

const COLUMNS: &str =
    "id, kind, amount, currency, entry_date, category, memo, source_type, source_id, created_at";

#[derive(Debug, Clone, sqlx::FromRow)]
struct EntryRow {
    id: String,
    kind: String,
    amount: i64,
    currency: String,
    entry_date: String,
    category: Option<String>,
    memo: Option<String>,
    source_type: String,
    source_id: Option<String>,
    created_at: String,
}

fn corrupt(what: &str, value: &str) -> DbError {
    DbError::corrupt("ledger", what, value)
}

impl TryFrom<EntryRow> for LedgerEntry {
    type Error = DbError;

    fn try_from(row: EntryRow) -> Result<LedgerEntry, DbError> {
        let currency =
            Currency::from_code(&row.currency).ok_or_else(|| corrupt("currency", &row.currency))?;
        Ok(LedgerEntry {
            kind: EntryKind::parse(&row.kind).ok_or_else(|| corrupt("kind", &row.kind))?,
            amount: Money::from_minor(row.amount, currency),
            currency,
            date: parse_day(&row.entry_date).map_err(|_| corrupt("date", &row.entry_date))?,
            source_type: SourceType::parse(&row.source_type)
                .ok_or_else(|| corrupt("source type", &row.source_type))?,
            id: row.id,
            category: row.category,
            memo: row.memo,
            source_id: row.source_id,
            created_at: row.created_at,
        })
    }
}

/// Appends an entry.
pub async fn insert_entry(
    conn: &mut AnyConnection,
    household_id: &str,
    entry: &NewEntry,
    now: DateTime<Utc>,
) -> Result<LedgerEntry, DbError> {
    let sql = format!(
        "INSERT INTO ledger_entries (household_id, {COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(entry.kind.as_str())
        .bind(entry.amount.minor())
        .bind(entry.amount.currency().code())
        .bind(format_day(entry.date))
        .bind(entry.category.clone())
        .bind(entry.memo.clone())
        .bind(entry.source.source_type().as_str())
        .bind(entry.source.source_id().map(str::to_string))
        .bind(format_instant(now))
        .fetch_one(conn)
        .await?;
    row.try_into()
}

pub async fn get_entry(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<LedgerEntry>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM ledger_entries WHERE household_id = $1 AND id = $2");
    sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(LedgerEntry::try_from)
        .transpose()
}

/// Filters of `GET /core/ledger`.
#[derive(Debug, Default, Clone)]
pub struct EntryFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub category: Option<String>,
    pub kind: Option<EntryKind>,
    pub source_type: Option<SourceType>,
}

/// A page of entries, newest first (by date, then id).
pub async fn list_entries(
    conn: &mut AnyConnection,
    household_id: &str,
    filter: &EntryFilter,
    page: &PageRequest,
) -> Result<Vec<LedgerEntry>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ledger_entries
         WHERE household_id = $1
           AND ($2 IS NULL OR entry_date >= $2)
           AND ($3 IS NULL OR entry_date <= $3)
           AND ($4 IS NULL OR category = $4)
           AND ($5 IS NULL OR kind = $5)
           AND ($6 IS NULL OR source_type = $6)
           AND ($7 IS NULL OR entry_date < $7 OR (entry_date = $7 AND id < $8))
         ORDER BY entry_date DESC, id DESC
         LIMIT $9"
    );
    sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(filter.from.map(format_day))
        .bind(filter.to.map(format_day))
        .bind(filter.category.clone())
        .bind(filter.kind.map(|k| k.as_str().to_string()))
        .bind(filter.source_type.map(|s| s.as_str().to_string()))
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(LedgerEntry::try_from)
        .collect()
}

// PostgreSQL sums BIGINT as NUMERIC, which the Any driver cannot read: cast back.
const TOTALS: &str = "SELECT
           CAST(COALESCE(SUM(CASE WHEN kind = 'income' THEN amount ELSE 0 END), 0) AS BIGINT) AS income,
           CAST(COALESCE(SUM(CASE WHEN kind = 'expense' THEN amount ELSE 0 END), 0) AS BIGINT) AS expense
         FROM ledger_entries";

fn totals_from(row: &sqlx::any::AnyRow, currency: Currency) -> Result<Totals, DbError> {
    Ok(Totals {
        income: Money::from_minor(row.try_get("income")?, currency),
        expense: Money::from_minor(row.try_get("expense")?, currency),
    })
}

/// Income and expense totals in `currency` of the entries dated `from..=to` (either end open),
/// optionally of one category.
pub async fn totals(
    conn: &mut AnyConnection,
    household_id: &str,
    currency: Currency,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    category: Option<&str>,
) -> Result<Totals, DbError> {
    let sql = format!(
        "{TOTALS}
         WHERE household_id = $1 AND currency = $2
           AND ($3 IS NULL OR entry_date >= $3)
           AND ($4 IS NULL OR entry_date <= $4)
           AND ($5 IS NULL OR category = $5)"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(currency.code())
        .bind(from.map(format_day))
        .bind(to.map(format_day))
        .bind(category.map(str::to_string))
        .fetch_one(conn)
        .await?;
    totals_from(&row, currency)
}

/// Income and expense totals in `currency` of every entry dated on or before `as_of`: the
/// cash balance, summed from the covering index `ledger_entries_balance`.
pub async fn totals_as_of(
    conn: &mut AnyConnection,
    household_id: &str,
    currency: Currency,
    as_of: NaiveDate,
) -> Result<Totals, DbError> {
    let sql = format!("{TOTALS} WHERE household_id = $1 AND currency = $2 AND entry_date <= $3");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(currency.code())
        .bind(format_day(as_of))
        .fetch_one(conn)
        .await?;
    totals_from(&row, currency)
}

/// Expenses in `currency` dated `from..=to`, per category (entries without one are left out).
pub async fn expenses_by_category(
    conn: &mut AnyConnection,
    household_id: &str,
    currency: Currency,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(String, Money)>, DbError> {
    let rows = sqlx::query(
        "SELECT category, CAST(SUM(amount) AS BIGINT) AS spent
         FROM ledger_entries
         WHERE household_id = $1 AND currency = $2 AND kind = 'expense'
           AND category IS NOT NULL AND entry_date >= $3 AND entry_date <= $4
         GROUP BY category",
    )
    .bind(household_id)
    .bind(currency.code())
    .bind(format_day(from))
    .bind(format_day(to))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String, _>("category")?,
                Money::from_minor(row.try_get("spent")?, currency),
            ))
        })
        .collect()
}
