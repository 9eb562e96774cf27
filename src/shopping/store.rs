//! SQL for shopping items. Every query is scoped by household.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::model::{ItemFields, NewShopping, OpenKeys, ShoppingItem, Source, Status};
use crate::db::DbError;
use crate::domain::day::{format_day, format_instant, parse_day};
use crate::domain::money::{Currency, Money};
use crate::domain::text::normalize_name;
use crate::domain::{Qty, new_id};
use crate::pagination::PageRequest;

const ITEM_COLUMNS: &str = "id, name, name_key, qty, unit, est_unit_cost, est_total, currency, \
     category, status, source, inv_id, schedule_event_id, need_date, approval_id, actual_total, \
     bought_at, receipt_id, version, created_at, updated_at";

/// A shopping item row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShoppingRecord {
    pub id: String,
    pub name: String,
    pub name_key: String,
    pub qty: i64,
    pub unit: Option<String>,
    pub est_unit_cost: Option<i64>,
    pub est_total: Option<i64>,
    pub currency: String,
    pub category: Option<String>,
    pub status: String,
    pub source: String,
    pub inv_id: Option<String>,
    pub schedule_event_id: Option<String>,
    pub need_date: Option<String>,
    pub approval_id: Option<String>,
    pub actual_total: Option<i64>,
    pub bought_at: Option<String>,
    pub receipt_id: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl ShoppingRecord {
    fn currency(&self) -> Currency {
        Currency::from_code(&self.currency).unwrap_or(Currency::USD)
    }

    fn money(&self, minor: Option<i64>) -> Option<Money> {
        minor.map(|m| Money::from_minor(m, self.currency()))
    }

    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Open)
    }

    pub fn fields(&self) -> ItemFields {
        ItemFields {
            name: self.name.clone(),
            qty: Qty::from_milli(self.qty),
            unit: self.unit.clone(),
            est_unit_cost: self.money(self.est_unit_cost),
            category: self.category.clone(),
            inv_id: self.inv_id.clone(),
        }
    }

    pub fn to_item(&self) -> ShoppingItem {
        ShoppingItem {
            id: self.id.clone(),
            name: self.name.clone(),
            qty: Qty::from_milli(self.qty),
            unit: self.unit.clone(),
            est_unit_cost: self.money(self.est_unit_cost),
            est_total: self.money(self.est_total),
            category: self.category.clone(),
            status: self.status(),
            source: Source::parse(&self.source).unwrap_or(Source::Manual),
            inv_id: self.inv_id.clone(),
            schedule_event_id: self.schedule_event_id.clone(),
            need_date: self.need_date.as_deref().and_then(|d| parse_day(d).ok()),
            approval_id: self.approval_id.clone(),
            actual_total: self.money(self.actual_total),
            bought_at: self.bought_at.clone(),
            receipt_id: self.receipt_id.clone(),
            version: self.version,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

fn currency_code(fields: &ItemFields, household: Currency) -> String {
    fields
        .est_unit_cost
        .map_or(household, |c| c.currency())
        .code()
        .to_string()
}

/// What an insert does when an open item already stands for the same thing (one of the
/// partial unique indexes of migration 0003).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Fail with [`DbError::Unique`].
    Fail,
    /// Insert nothing and answer `None`.
    Skip,
}

/// Inserts an open item.
pub async fn insert_item(
    conn: &mut AnyConnection,
    household_id: &str,
    new: &NewShopping,
    currency: Currency,
    now: DateTime<Utc>,
    on_duplicate: OnDuplicate,
) -> Result<Option<ShoppingRecord>, DbError> {
    let conflict = match on_duplicate {
        OnDuplicate::Fail => "",
        OnDuplicate::Skip => "ON CONFLICT DO NOTHING",
    };
    let sql = format!(
        "INSERT INTO shopping_items (household_id, id, name, name_key, qty, unit, est_unit_cost,
           est_total, currency, category, status, source, inv_id, schedule_event_id, need_date,
           version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, $12, $13, $14, 1, $15, $15)
         {conflict}
         RETURNING {ITEM_COLUMNS}"
    );
    let fields = &new.fields;
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(household_id)
            .bind(new_id())
            .bind(&fields.name)
            .bind(normalize_name(&fields.name))
            .bind(fields.qty.milli())
            .bind(fields.unit.clone())
            .bind(fields.est_unit_cost.map(|c| c.minor()))
            .bind(fields.est_total().map(|t| t.minor()))
            .bind(currency_code(fields, currency))
            .bind(fields.category.clone())
            .bind(new.source.as_str())
            .bind(fields.inv_id.clone())
            .bind(new.schedule_event_id.clone())
            .bind(new.need_date.map(format_day))
            .bind(format_instant(now))
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn get_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<ShoppingRecord>, DbError> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM shopping_items WHERE household_id = $1 AND id = $2");
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(household_id)
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Reads an item inside a write transaction, holding its row lock until commit.
pub async fn lock_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<ShoppingRecord>, DbError> {
    let touched = sqlx::query(
        "UPDATE shopping_items SET version = version WHERE household_id = $1 AND id = $2",
    )
    .bind(household_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if touched.rows_affected() == 0 {
        return Ok(None);
    }
    get_item(conn, household_id, id).await
}

/// Writes the editable fields if the version is still `expected_version`.
pub async fn update_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    fields: &ItemFields,
    currency: Currency,
    expected_version: i64,
    now: DateTime<Utc>,
) -> Result<Option<ShoppingRecord>, DbError> {
    let sql = format!(
        "UPDATE shopping_items SET name = $1, name_key = $2, qty = $3, unit = $4,
           est_unit_cost = $5, est_total = $6, currency = $7, category = $8, inv_id = $9,
           version = version + 1, updated_at = $10
         WHERE household_id = $11 AND id = $12 AND version = $13
         RETURNING {ITEM_COLUMNS}"
    );
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(&fields.name)
            .bind(normalize_name(&fields.name))
            .bind(fields.qty.milli())
            .bind(fields.unit.clone())
            .bind(fields.est_unit_cost.map(|c| c.minor()))
            .bind(fields.est_total().map(|t| t.minor()))
            .bind(currency_code(fields, currency))
            .bind(fields.category.clone())
            .bind(fields.inv_id.clone())
            .bind(format_instant(now))
            .bind(household_id)
            .bind(id)
            .bind(expected_version)
            .fetch_optional(conn)
            .await?,
    )
}

/// Moves an item to `status` (bumping the version).
pub async fn set_status(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    status: Status,
    now: DateTime<Utc>,
) -> Result<ShoppingRecord, DbError> {
    let sql = format!(
        "UPDATE shopping_items SET status = $1, version = version + 1, updated_at = $2
         WHERE household_id = $3 AND id = $4
         RETURNING {ITEM_COLUMNS}"
    );
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(status.as_str())
            .bind(format_instant(now))
            .bind(household_id)
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

pub async fn delete_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query("DELETE FROM shopping_items WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A page of items in the order they were added (ids are time-ordered).
pub async fn list_items(
    conn: &mut AnyConnection,
    household_id: &str,
    status: Option<Status>,
    page: &PageRequest,
) -> Result<Vec<ShoppingRecord>, DbError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM shopping_items
         WHERE household_id = $1
           AND ($2 IS NULL OR status = $2)
           AND ($3 IS NULL OR id > $3)
         ORDER BY id
         LIMIT $4"
    );
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(household_id)
            .bind(status.map(|s| s.as_str()))
            .bind(page.after_part(0).map(str::to_string))
            .bind(page.fetch_limit())
            .fetch_all(conn)
            .await?,
    )
}

/// Serialises the list's generators within one household: a generator holds this lock (the
/// household row) for its whole transaction, so runs never interleave. Row locks on the
/// partial unique indexes could otherwise deadlock two runs inserting in different orders.
/// The indexes still enforce the dedupe on their own.
pub async fn lock_list(conn: &mut AnyConnection, household_id: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE households SET version = version WHERE id = $1")
        .bind(household_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// What the open items stand for (see [`OpenKeys`]).
pub async fn open_keys(conn: &mut AnyConnection, household_id: &str) -> Result<OpenKeys, DbError> {
    let rows = sqlx::query(
        "SELECT name_key, inv_id, schedule_event_id, need_date FROM shopping_items
         WHERE household_id = $1 AND status = 'open'",
    )
    .bind(household_id)
    .fetch_all(conn)
    .await?;
    let mut keys = OpenKeys::default();
    for row in rows {
        keys.names.insert(row.try_get("name_key")?);
        if let Some(inv_id) = row.try_get::<Option<String>, _>("inv_id")? {
            keys.inv_ids.insert(inv_id);
        }
        let event: Option<String> = row.try_get("schedule_event_id")?;
        let day: Option<String> = row.try_get("need_date")?;
        if let (Some(event), Some(day)) = (event, day.as_deref().and_then(|d| parse_day(d).ok())) {
            keys.needs.insert((event, day));
        }
    }
    Ok(keys)
}

/// Unlinks the items made from a schedule event that is being deleted.
pub async fn detach_schedule_event(
    conn: &mut AnyConnection,
    household_id: &str,
    event_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE shopping_items SET schedule_event_id = NULL, version = version + 1, updated_at = $1
         WHERE household_id = $2 AND schedule_event_id = $3",
    )
    .bind(format_instant(now))
    .bind(household_id)
    .bind(event_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Every open item, oldest first.
pub async fn open_items(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Vec<ShoppingRecord>, DbError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM shopping_items
         WHERE household_id = $1 AND status = 'open' ORDER BY id"
    );
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(household_id)
            .fetch_all(conn)
            .await?,
    )
}

/// Links the item to the approval that was asked for its purchase.
pub async fn link_approval(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    approval_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE shopping_items SET approval_id = $1, version = version + 1, updated_at = $2
         WHERE household_id = $3 AND id = $4",
    )
    .bind(approval_id)
    .bind(format_instant(now))
    .bind(household_id)
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records the purchase of an open item. `actual_total` is in the item's currency.
#[allow(clippy::too_many_arguments)]
pub async fn mark_bought(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    actual_total: Option<i64>,
    receipt_id: &str,
    approval_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<ShoppingRecord, DbError> {
    let sql = format!(
        "UPDATE shopping_items SET status = 'bought', actual_total = $1, bought_at = $2,
           receipt_id = $3, approval_id = $4, version = version + 1, updated_at = $2
         WHERE household_id = $5 AND id = $6 AND status = 'open'
         RETURNING {ITEM_COLUMNS}"
    );
    Ok(
        sqlx::query_as::<_, ShoppingRecord>(sqlx::AssertSqlSafe(sql))
            .bind(actual_total)
            .bind(format_instant(now))
            .bind(receipt_id)
            .bind(approval_id.map(str::to_string))
            .bind(household_id)
            .bind(id)
            .fetch_one(conn)
            .await?,
    )
}

/// Open items per currency: how many, and the sum of their estimated totals (minor units).
pub async fn open_totals(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Vec<(String, u64, i64)>, DbError> {
    // PostgreSQL sums BIGINT as NUMERIC, which the Any driver cannot read: cast back.
    let rows = sqlx::query(
        "SELECT currency, COUNT(*) AS n, CAST(COALESCE(SUM(est_total), 0) AS BIGINT) AS total
         FROM shopping_items WHERE household_id = $1 AND status = 'open'
         GROUP BY currency",
    )
    .bind(household_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("currency")?,
                u64::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
                r.try_get("total")?,
            ))
        })
        .collect()
}
