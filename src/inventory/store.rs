//! SQL for inventory items and locations. Every query is scoped by household.
//!
//! Every change to an item's existence, name or quantity advances the household's forecast
//! sequence here, in the same transaction, so forecast state can never miss it.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{Item, ItemFields, Location, effective_reorder_qty, is_low};
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::money::{Currency, Money};
use crate::domain::text::normalize_name;
use crate::domain::{Qty, new_id};
use crate::forecast::store as forecast_store;
use crate::pagination::PageRequest;

const ITEM_COLUMNS: &str = "id, name, name_key, qty, unit, location_id, category, min_qty, \
     reorder_qty, est_unit_cost, currency, version, created_at, updated_at";

/// An item row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRecord {
    pub id: String,
    pub name: String,
    pub name_key: String,
    pub qty: i64,
    pub unit: Option<String>,
    pub location_id: Option<String>,
    pub category: Option<String>,
    pub min_qty: i64,
    pub reorder_qty: Option<i64>,
    pub est_unit_cost: Option<i64>,
    pub currency: String,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl ItemRecord {
    fn currency(&self) -> Currency {
        Currency::from_code(&self.currency).unwrap_or(Currency::USD)
    }

    pub fn fields(&self) -> ItemFields {
        ItemFields {
            name: self.name.clone(),
            qty: Qty::from_milli(self.qty),
            unit: self.unit.clone(),
            location_id: self.location_id.clone(),
            category: self.category.clone(),
            min_qty: Qty::from_milli(self.min_qty),
            reorder_qty: self.reorder_qty.map(Qty::from_milli),
            est_unit_cost: self
                .est_unit_cost
                .map(|c| Money::from_minor(c, self.currency())),
        }
    }

    pub fn to_item(&self) -> Item {
        let f = self.fields();
        Item {
            id: self.id.clone(),
            low_stock: is_low(f.qty, f.min_qty),
            reorder_qty: f.reorder_qty.unwrap_or(f.min_qty),
            name: f.name,
            qty: f.qty,
            unit: f.unit,
            location_id: f.location_id,
            category: f.category,
            min_qty: f.min_qty,
            est_unit_cost: f.est_unit_cost,
            version: self.version,
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }

    /// What to buy when low (at least 1).
    pub fn reorder_qty(&self) -> Qty {
        effective_reorder_qty(
            self.reorder_qty.map(Qty::from_milli),
            Qty::from_milli(self.min_qty),
        )
    }
}

pub async fn insert_item(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: &ItemFields,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<ItemRecord, DbError> {
    let seq = forecast_store::next_seq(conn, household_id).await?;
    let sql = format!(
        "INSERT INTO inventory_items (household_id, {ITEM_COLUMNS}, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 1, $13, $13, $14)
         RETURNING {ITEM_COLUMNS}"
    );
    let record = sqlx::query_as::<_, ItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(new_id())
        .bind(&fields.name)
        .bind(normalize_name(&fields.name))
        .bind(fields.qty.milli())
        .bind(fields.unit.clone())
        .bind(fields.location_id.clone())
        .bind(fields.category.clone())
        .bind(fields.min_qty.milli())
        .bind(fields.reorder_qty.map(|q| q.milli()))
        .bind(fields.est_unit_cost.map(|c| c.minor()))
        .bind(
            fields
                .est_unit_cost
                .map_or(currency, |c| c.currency())
                .code(),
        )
        .bind(format_instant(now))
        .bind(seq)
        .fetch_one(conn)
        .await?;
    Ok(record)
}

pub async fn get_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<ItemRecord>, DbError> {
    let sql =
        format!("SELECT {ITEM_COLUMNS} FROM inventory_items WHERE household_id = $1 AND id = $2");
    Ok(sqlx::query_as::<_, ItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Reads an item inside a write transaction, holding its row lock until commit
/// (a no-op update takes the lock on PostgreSQL; SQLite write transactions are exclusive).
pub async fn lock_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<ItemRecord>, DbError> {
    let touched = sqlx::query(
        "UPDATE inventory_items SET version = version WHERE household_id = $1 AND id = $2",
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

/// Writes all fields if the version is still `expected_version`.
pub async fn update_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    fields: &ItemFields,
    currency: Currency,
    expected_version: i64,
    now: DateTime<Utc>,
) -> Result<Option<ItemRecord>, DbError> {
    let seq = forecast_store::next_seq(conn, household_id).await?;
    let sql = format!(
        "UPDATE inventory_items SET name = $1, name_key = $2, qty = $3, unit = $4,
           location_id = $5, category = $6, min_qty = $7, reorder_qty = $8, est_unit_cost = $9,
           currency = $10, version = version + 1, updated_at = $11, seq = $15
         WHERE household_id = $12 AND id = $13 AND version = $14
         RETURNING {ITEM_COLUMNS}"
    );
    Ok(sqlx::query_as::<_, ItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(&fields.name)
        .bind(normalize_name(&fields.name))
        .bind(fields.qty.milli())
        .bind(fields.unit.clone())
        .bind(fields.location_id.clone())
        .bind(fields.category.clone())
        .bind(fields.min_qty.milli())
        .bind(fields.reorder_qty.map(|q| q.milli()))
        .bind(fields.est_unit_cost.map(|c| c.minor()))
        .bind(
            fields
                .est_unit_cost
                .map_or(currency, |c| c.currency())
                .code(),
        )
        .bind(format_instant(now))
        .bind(household_id)
        .bind(id)
        .bind(expected_version)
        .bind(seq)
        .fetch_optional(conn)
        .await?)
}

/// Sets the quantity on hand (bumping the version).
pub async fn set_qty(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    qty: Qty,
    now: DateTime<Utc>,
) -> Result<ItemRecord, DbError> {
    let seq = forecast_store::next_seq(conn, household_id).await?;
    let sql = format!(
        "UPDATE inventory_items SET qty = $1, version = version + 1, updated_at = $2, seq = $5
         WHERE household_id = $3 AND id = $4
         RETURNING {ITEM_COLUMNS}"
    );
    Ok(sqlx::query_as::<_, ItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(qty.milli())
        .bind(format_instant(now))
        .bind(household_id)
        .bind(id)
        .bind(seq)
        .fetch_one(conn)
        .await?)
}

pub async fn delete_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query("DELETE FROM inventory_items WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if result.rows_affected() == 0 {
        return Ok(false);
    }
    forecast_store::record_tombstone(conn, household_id, id).await?;
    Ok(true)
}

/// Filters of `GET /core/inventory`.
#[derive(Debug, Default, Clone)]
pub struct ItemFilter {
    pub location_id: Option<String>,
    pub category: Option<String>,
    pub low_only: bool,
    /// Case-insensitive substring of the name.
    pub name_contains: Option<String>,
}

/// A page of items ordered by normalised name, then id.
pub async fn list_items(
    conn: &mut AnyConnection,
    household_id: &str,
    filter: &ItemFilter,
    page: &PageRequest,
) -> Result<Vec<ItemRecord>, DbError> {
    let pattern = filter
        .name_contains
        .as_deref()
        .map(|q| format!("%{}%", escape_like(&normalize_name(q))));
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items
         WHERE household_id = $1
           AND ($2 IS NULL OR location_id = $2)
           AND ($3 IS NULL OR category = $3)
           AND ($4 = 0 OR (min_qty > 0 AND qty <= min_qty))
           AND ($5 IS NULL OR name_key LIKE $5 ESCAPE '\\')
           AND ($6 IS NULL OR name_key > $6 OR (name_key = $6 AND id > $7))
         ORDER BY name_key, id
         LIMIT $8"
    );
    Ok(sqlx::query_as::<_, ItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(filter.location_id.clone())
        .bind(filter.category.clone())
        .bind(i64::from(filter.low_only))
        .bind(pattern)
        .bind(page.after_part(0).map(str::to_string))
        .bind(page.after_part(1).unwrap_or("").to_string())
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?)
}

/// Escapes LIKE wildcards so user text matches literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn insert_location(
    conn: &mut AnyConnection,
    household_id: &str,
    name: &str,
    parent_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Location, DbError> {
    let location = Location {
        id: new_id(),
        name: name.to_string(),
        parent_id: parent_id.map(str::to_string),
    };
    sqlx::query(
        "INSERT INTO locations (household_id, id, name, parent_id, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(household_id)
    .bind(&location.id)
    .bind(&location.name)
    .bind(location.parent_id.clone())
    .bind(format_instant(now))
    .execute(conn)
    .await?;
    Ok(location)
}

#[derive(sqlx::FromRow)]
struct LocationRow {
    id: String,
    name: String,
    parent_id: Option<String>,
}

impl From<LocationRow> for Location {
    fn from(row: LocationRow) -> Location {
        Location {
            id: row.id,
            name: row.name,
            parent_id: row.parent_id,
        }
    }
}

pub async fn location_exists(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT 1 AS one FROM locations WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    Ok(row.is_some())
}

/// A page of locations in creation order.
pub async fn list_locations(
    conn: &mut AnyConnection,
    household_id: &str,
    page: &PageRequest,
) -> Result<Vec<Location>, DbError> {
    let rows = sqlx::query_as::<_, LocationRow>(
        "SELECT id, name, parent_id FROM locations
         WHERE household_id = $1 AND ($2 IS NULL OR id > $2)
         ORDER BY id LIMIT $3",
    )
    .bind(household_id)
    .bind(page.after_part(0).map(str::to_string))
    .bind(page.fetch_limit())
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Location::from).collect())
}

/// Up to `limit` low-stock items by name, and how many there are in all. Written with the
/// low-stock rule spelled out so the partial index `inventory_items_low` answers it.
pub async fn low_stock(
    conn: &mut AnyConnection,
    household_id: &str,
    limit: i64,
) -> Result<(Vec<ItemRecord>, u64), DbError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM inventory_items
         WHERE household_id = $1 AND min_qty > 0 AND qty <= min_qty
         ORDER BY name_key, id LIMIT $2"
    );
    let items = sqlx::query_as::<_, ItemRecord>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM inventory_items
         WHERE household_id = $1 AND min_qty > 0 AND qty <= min_qty",
    )
    .bind(household_id)
    .fetch_one(conn)
    .await?;
    Ok((items, u64::try_from(count).unwrap_or(0)))
}
