//! SQL for bills and their paid periods. Every query is scoped by household.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;

use super::model::{Bill, BillFields, BillStatus, is_overdue};
use crate::db::DbError;
use crate::domain::day::{format_day, format_instant, parse_day};
use crate::domain::money::{Currency, Money};
use crate::domain::new_id;
use crate::domain::recurrence::Rule;
use crate::pagination::PageRequest;

const COLUMNS: &str = "id, name, payee, amount, currency, due_on, rrule, series_start, category, \
     autopay, status, remind_days_before, last_paid_on, version, created_at, updated_at";

/// A bill row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BillRecord {
    pub id: String,
    pub name: String,
    pub payee: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub due_on: String,
    pub rrule: Option<String>,
    pub series_start: String,
    pub category: Option<String>,
    pub autopay: i64,
    pub status: String,
    pub remind_days_before: i64,
    pub last_paid_on: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn corrupt(what: &str, value: &str) -> DbError {
    DbError::corrupt("bills", what, value)
}

fn day(what: &str, text: &str) -> Result<NaiveDate, DbError> {
    parse_day(text).map_err(|_| corrupt(what, text))
}

impl BillRecord {
    pub fn status(&self) -> Result<BillStatus, DbError> {
        BillStatus::parse(&self.status).ok_or_else(|| corrupt("status", &self.status))
    }

    pub fn due_on(&self) -> Result<NaiveDate, DbError> {
        day("due_on", &self.due_on)
    }

    pub fn series_start(&self) -> Result<NaiveDate, DbError> {
        day("series_start", &self.series_start)
    }

    pub fn fields(&self) -> Result<BillFields, DbError> {
        let currency = Currency::from_code(&self.currency)
            .ok_or_else(|| corrupt("currency", &self.currency))?;
        Ok(BillFields {
            name: self.name.clone(),
            payee: self.payee.clone(),
            amount: Money::from_minor(self.amount, currency),
            due_on: self.due_on()?,
            rrule: self
                .rrule
                .as_deref()
                .map(|r| Rule::parse(r).map_err(|_| corrupt("rrule", r)))
                .transpose()?,
            category: self.category.clone(),
            autopay: self.autopay != 0,
            remind_days_before: self.remind_days_before,
        })
    }

    /// The bill as served; `today` decides `overdue`.
    pub fn to_bill(&self, today: NaiveDate) -> Result<Bill, DbError> {
        let f = self.fields()?;
        let status = self.status()?;
        Ok(Bill {
            id: self.id.clone(),
            overdue: is_overdue(status, f.due_on, today),
            name: f.name,
            payee: f.payee,
            currency: f.amount.currency(),
            amount: f.amount,
            due_on: f.due_on,
            rrule: f.rrule.map(|r| r.as_str().to_string()),
            category: f.category,
            autopay: f.autopay,
            status,
            remind_days_before: f.remind_days_before,
            last_paid_on: self
                .last_paid_on
                .as_deref()
                .map(|d| day("last_paid_on", d))
                .transpose()?,
            version: self.version,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        })
    }
}

pub async fn insert_bill(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: &BillFields,
    now: DateTime<Utc>,
) -> Result<BillRecord, DbError> {
    let sql = format!(
        "INSERT INTO bills (household_id, {COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $9, $10, 'unpaid', $11, NULL, 1, $12, $12)
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, BillRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(&fields.name)
        .bind(fields.payee.clone())
        .bind(fields.amount.minor())
        .bind(fields.amount.currency().code())
        .bind(format_day(fields.due_on))
        .bind(fields.rrule.as_ref().map(|r| r.as_str().to_string()))
        .bind(fields.category.clone())
        .bind(i64::from(fields.autopay))
        .bind(fields.remind_days_before)
        .bind(format_instant(now))
        .fetch_one(conn)
        .await?)
}

pub async fn get_bill(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<BillRecord>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM bills WHERE household_id = $1 AND id = $2");
    Ok(sqlx::query_as::<_, BillRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Reads a bill inside a write transaction, holding its row lock until commit.
pub async fn lock_bill(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<BillRecord>, DbError> {
    let touched =
        sqlx::query("UPDATE bills SET version = version WHERE household_id = $1 AND id = $2")
            .bind(household_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    if touched.rows_affected() == 0 {
        return Ok(None);
    }
    get_bill(conn, household_id, id).await
}

/// What a PATCH writes besides the fields.
pub struct BillUpdate<'a> {
    pub fields: &'a BillFields,
    pub status: BillStatus,
    pub series_start: NaiveDate,
    pub expected_version: i64,
}

/// Writes a bill if its version is still the expected one.
pub async fn update_bill(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    update: &BillUpdate<'_>,
    now: DateTime<Utc>,
) -> Result<Option<BillRecord>, DbError> {
    let f = update.fields;
    let sql = format!(
        "UPDATE bills SET name = $1, payee = $2, amount = $3, currency = $4, due_on = $5,
           rrule = $6, series_start = $7, category = $8, autopay = $9, status = $10,
           remind_days_before = $11, version = version + 1, updated_at = $12
         WHERE household_id = $13 AND id = $14 AND version = $15
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, BillRecord>(sqlx::AssertSqlSafe(sql))
        .bind(&f.name)
        .bind(f.payee.clone())
        .bind(f.amount.minor())
        .bind(f.amount.currency().code())
        .bind(format_day(f.due_on))
        .bind(f.rrule.as_ref().map(|r| r.as_str().to_string()))
        .bind(format_day(update.series_start))
        .bind(f.category.clone())
        .bind(i64::from(f.autopay))
        .bind(update.status.as_str())
        .bind(f.remind_days_before)
        .bind(format_instant(now))
        .bind(household_id)
        .bind(id)
        .bind(update.expected_version)
        .fetch_optional(conn)
        .await?)
}

pub async fn delete_bill(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query("DELETE FROM bills WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A paid period, as recorded.
pub struct Payment<'a> {
    pub bill_id: &'a str,
    pub period: NaiveDate,
    pub paid_on: NaiveDate,
    pub amount: Money,
    pub ledger_entry_id: &'a str,
}

/// Records that `payment.period` of a bill is paid. False when that period already was:
/// the key (household, bill, period) admits one payment per period.
pub async fn insert_payment(
    conn: &mut AnyConnection,
    household_id: &str,
    payment: &Payment<'_>,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let result = sqlx::query(
        "INSERT INTO bill_payments (household_id, bill_id, period, paid_on, amount, currency,
                                    ledger_entry_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (household_id, bill_id, period) DO NOTHING",
    )
    .bind(household_id)
    .bind(payment.bill_id)
    .bind(format_day(payment.period))
    .bind(format_day(payment.paid_on))
    .bind(payment.amount.minor())
    .bind(payment.amount.currency().code())
    .bind(payment.ledger_entry_id)
    .bind(format_instant(now))
    .execute(conn)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Moves a bill past the paid `period`: to `next` (still unpaid), or to `paid` when there is
/// no next period. Only applies while the bill is still unpaid and due on `period`.
pub async fn settle_period(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    period: NaiveDate,
    next: Option<NaiveDate>,
    paid_on: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Option<BillRecord>, DbError> {
    let status = if next.is_some() {
        BillStatus::Unpaid
    } else {
        BillStatus::Paid
    };
    let sql = format!(
        "UPDATE bills SET due_on = $1, status = $2, last_paid_on = $3, version = version + 1,
           updated_at = $4
         WHERE household_id = $5 AND id = $6 AND due_on = $7 AND status = 'unpaid'
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as::<_, BillRecord>(sqlx::AssertSqlSafe(sql))
        .bind(format_day(next.unwrap_or(period)))
        .bind(status.as_str())
        .bind(format_day(paid_on))
        .bind(format_instant(now))
        .bind(household_id)
        .bind(id)
        .bind(format_day(period))
        .fetch_optional(conn)
        .await?)
}

/// Filters of `GET /core/bills`.
#[derive(Debug, Default, Clone)]
pub struct BillFilter {
    pub status: Option<BillStatus>,
    /// Only unpaid bills due on or before this day (overdue ones included).
    pub due_by: Option<NaiveDate>,
    /// `Some(true)`: only overdue bills; `Some(false)`: none of them.
    pub overdue: Option<bool>,
    pub today: NaiveDate,
}

/// A page of bills by due date, then id.
pub async fn list_bills(
    conn: &mut AnyConnection,
    household_id: &str,
    filter: &BillFilter,
    page: &PageRequest,
) -> Result<Vec<BillRecord>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bills
         WHERE household_id = $1
           AND ($2 IS NULL OR status = $2)
           AND ($3 IS NULL OR (status = 'unpaid' AND due_on <= $3))
           AND ($4 = 0 OR (status = 'unpaid' AND due_on < $6))
           AND ($5 = 0 OR NOT (status = 'unpaid' AND due_on < $6))
           AND ($7 IS NULL OR due_on > $7 OR (due_on = $7 AND id > $8))
         ORDER BY due_on, id
         LIMIT $9"
    );
    Ok(sqlx::query_as::<_, BillRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(filter.status.map(|s| s.as_str().to_string()))
        .bind(filter.due_by.map(format_day))
        .bind(i64::from(filter.overdue == Some(true)))
        .bind(i64::from(filter.overdue == Some(false)))
        .bind(format_day(filter.today))
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?)
}

/// Every unpaid bill due on or before `day` (overdue ones included), by due date.
pub async fn unpaid_due_by(
    conn: &mut AnyConnection,
    household_id: &str,
    day: NaiveDate,
) -> Result<Vec<BillRecord>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM bills
         WHERE household_id = $1 AND status = 'unpaid' AND due_on <= $2
         ORDER BY due_on, id"
    );
    Ok(sqlx::query_as::<_, BillRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(format_day(day))
        .fetch_all(conn)
        .await?)
}
