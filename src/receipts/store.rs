//! SQL for receipts, their tags and attachments. Every query is scoped by household.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};

use super::model::{AttachmentInfo, LedgerOutcome, LedgerStatus, NewReceiptInput, Receipt};
use crate::db::DbError;
use crate::domain::day::{format_day, format_instant, parse_day};
use crate::domain::money::{Currency, Money};
use crate::domain::text::normalize_name;
use crate::pagination::PageRequest;

/// Receipt columns, with the attachment's description joined in.
const SELECT: &str = "SELECT r.id, r.vendor, r.amount, r.currency, r.receipt_date, r.category,
       r.payment_method, r.tags, r.file_ref, r.shopping_item_id, r.ledger_entry_id,
       r.ledger_status, r.ledger_error, r.version, r.created_at, r.updated_at,
       a.content_type AS attachment_type, a.size AS attachment_size,
       a.sha256 AS attachment_sha256
     FROM receipts r
     LEFT JOIN receipt_attachments a
       ON a.household_id = r.household_id AND a.receipt_id = r.id";

#[derive(Debug, Clone, sqlx::FromRow)]
struct ReceiptRow {
    id: String,
    vendor: Option<String>,
    amount: i64,
    currency: String,
    receipt_date: String,
    category: Option<String>,
    payment_method: Option<String>,
    tags: String,
    file_ref: Option<String>,
    shopping_item_id: Option<String>,
    ledger_entry_id: Option<String>,
    ledger_status: String,
    ledger_error: Option<String>,
    version: i64,
    created_at: String,
    updated_at: String,
    attachment_type: Option<String>,
    attachment_size: Option<i64>,
    attachment_sha256: Option<String>,
}

fn corrupt(what: &str, value: &str) -> DbError {
    DbError::corrupt("receipts", what, value)
}

impl TryFrom<ReceiptRow> for Receipt {
    type Error = DbError;

    fn try_from(row: ReceiptRow) -> Result<Receipt, DbError> {
        let currency =
            Currency::from_code(&row.currency).ok_or_else(|| corrupt("currency", &row.currency))?;
        let attachment = match (
            row.attachment_type,
            row.attachment_size,
            row.attachment_sha256,
        ) {
            (Some(content_type), Some(size), Some(sha256)) => Some(AttachmentInfo {
                content_type,
                size,
                sha256,
            }),
            _ => None,
        };
        Ok(Receipt {
            amount: Money::from_minor(row.amount, currency),
            currency,
            date: parse_day(&row.receipt_date).map_err(|_| corrupt("date", &row.receipt_date))?,
            tags: serde_json::from_str(&row.tags).map_err(|_| corrupt("tags", &row.tags))?,
            ledger_status: LedgerStatus::parse(&row.ledger_status)
                .ok_or_else(|| corrupt("ledger status", &row.ledger_status))?,
            id: row.id,
            vendor: row.vendor,
            category: row.category,
            payment_method: row.payment_method,
            file_ref: row.file_ref,
            shopping_item_id: row.shopping_item_id,
            ledger_entry_id: row.ledger_entry_id,
            ledger_error: row.ledger_error,
            attachment,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// Stores a new receipt (and its tags) with the outcome of posting it.
pub async fn insert_receipt(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    input: &NewReceiptInput,
    date: NaiveDate,
    outcome: &LedgerOutcome,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let tags = serde_json::to_string(&input.tags)
        .map_err(|e| DbError::Other(Box::new(sqlx::Error::Encode(e.into()))))?;
    sqlx::query(
        "INSERT INTO receipts (household_id, id, vendor, vendor_key, amount, currency,
           receipt_date, category, payment_method, tags, file_ref, shopping_item_id,
           ledger_entry_id, ledger_status, ledger_error, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 1, $16, $16)",
    )
    .bind(household_id)
    .bind(id)
    .bind(input.vendor.clone())
    .bind(input.vendor.as_deref().map(normalize_name))
    .bind(input.amount.minor())
    .bind(input.amount.currency().code())
    .bind(format_day(date))
    .bind(input.category.clone())
    .bind(input.payment_method.clone())
    .bind(tags)
    .bind(input.file_ref.clone())
    .bind(input.shopping_item_id.clone())
    .bind(outcome.entry_id().map(str::to_string))
    .bind(outcome.status().as_str())
    .bind(outcome.reason().map(str::to_string))
    .bind(format_instant(now))
    .execute(&mut *conn)
    .await?;
    for tag in &input.tags {
        sqlx::query("INSERT INTO receipt_tags (household_id, receipt_id, tag) VALUES ($1, $2, $3)")
            .bind(household_id)
            .bind(id)
            .bind(tag)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn get_receipt(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<Receipt>, DbError> {
    let sql = format!("{SELECT} WHERE r.household_id = $1 AND r.id = $2");
    sqlx::query_as::<_, ReceiptRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .map(Receipt::try_from)
        .transpose()
}

/// Reads a receipt inside a write transaction, holding its row lock until commit.
pub async fn lock_receipt(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<Receipt>, DbError> {
    let touched =
        sqlx::query("UPDATE receipts SET version = version WHERE household_id = $1 AND id = $2")
            .bind(household_id)
            .bind(id)
            .execute(&mut *conn)
            .await?;
    if touched.rows_affected() == 0 {
        return Ok(None);
    }
    get_receipt(conn, household_id, id).await
}

/// Records a new posting outcome (bumping the version).
pub async fn set_ledger_outcome(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    outcome: &LedgerOutcome,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE receipts SET ledger_entry_id = $1, ledger_status = $2, ledger_error = $3,
           version = version + 1, updated_at = $4
         WHERE household_id = $5 AND id = $6",
    )
    .bind(outcome.entry_id().map(str::to_string))
    .bind(outcome.status().as_str())
    .bind(outcome.reason().map(str::to_string))
    .bind(format_instant(now))
    .bind(household_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters of `GET /core/receipts`.
#[derive(Debug, Default, Clone)]
pub struct ReceiptFilter {
    pub category: Option<String>,
    pub date_from: Option<NaiveDate>,
    pub date_to: Option<NaiveDate>,
    /// Case-insensitive substring of the vendor (normalised).
    pub vendor_contains: Option<String>,
    /// Normalised tag.
    pub tag: Option<String>,
}

/// A page of receipts, newest first (by date, then id).
pub async fn list_receipts(
    conn: &mut AnyConnection,
    household_id: &str,
    filter: &ReceiptFilter,
    page: &PageRequest,
) -> Result<Vec<Receipt>, DbError> {
    let pattern = filter
        .vendor_contains
        .as_deref()
        .map(|v| format!("%{}%", escape_like(&normalize_name(v))));
    let sql = format!(
        "{SELECT}
         WHERE r.household_id = $1
           AND ($2 IS NULL OR r.category = $2)
           AND ($3 IS NULL OR r.receipt_date >= $3)
           AND ($4 IS NULL OR r.receipt_date <= $4)
           AND ($5 IS NULL OR r.vendor_key LIKE $5 ESCAPE '\\')
           AND ($6 IS NULL OR EXISTS (SELECT 1 FROM receipt_tags t
                 WHERE t.household_id = r.household_id AND t.receipt_id = r.id AND t.tag = $6))
           AND ($7 IS NULL OR r.receipt_date < $7 OR (r.receipt_date = $7 AND r.id < $8))
         ORDER BY r.receipt_date DESC, r.id DESC
         LIMIT $9"
    );
    sqlx::query_as::<_, ReceiptRow>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(filter.category.clone())
        .bind(filter.date_from.map(format_day))
        .bind(filter.date_to.map(format_day))
        .bind(pattern)
        .bind(filter.tag.clone())
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(Receipt::try_from)
        .collect()
}

/// Escapes LIKE wildcards so user text matches literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// An attachment to store.
pub struct NewAttachment<'a> {
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub bytes: &'a [u8],
}

/// Stores (or replaces) a receipt's attachment and bumps the receipt's version.
pub async fn put_attachment(
    conn: &mut AnyConnection,
    household_id: &str,
    receipt_id: &str,
    attachment: &NewAttachment<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let size = i64::try_from(attachment.bytes.len()).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO receipt_attachments (household_id, receipt_id, content_type, size, sha256,
                                          data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (household_id, receipt_id) DO UPDATE SET
           content_type = excluded.content_type, size = excluded.size,
           sha256 = excluded.sha256, data = excluded.data, created_at = excluded.created_at",
    )
    .bind(household_id)
    .bind(receipt_id)
    .bind(attachment.content_type)
    .bind(size)
    .bind(attachment.sha256)
    .bind(attachment.bytes)
    .bind(format_instant(now))
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE receipts SET version = version + 1, updated_at = $1
         WHERE household_id = $2 AND id = $3",
    )
    .bind(format_instant(now))
    .bind(household_id)
    .bind(receipt_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// A receipt's attachment: its content type and bytes.
pub async fn get_attachment(
    conn: &mut AnyConnection,
    household_id: &str,
    receipt_id: &str,
) -> Result<Option<(String, Vec<u8>)>, DbError> {
    let row = sqlx::query(
        "SELECT content_type, data FROM receipt_attachments
         WHERE household_id = $1 AND receipt_id = $2",
    )
    .bind(household_id)
    .bind(receipt_id)
    .fetch_optional(conn)
    .await?;
    match row {
        Some(row) => Ok(Some((row.try_get("content_type")?, row.try_get("data")?))),
        None => Ok(None),
    }
}
