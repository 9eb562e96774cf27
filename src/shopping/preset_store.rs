//! SQL for shopping presets. Every query is scoped by household.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use super::presets::{Preset, PresetFields, PresetItem};
use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::money::{Currency, Money};
use crate::domain::text::normalize_name;
use crate::domain::{Qty, new_id};
use crate::pagination::PageRequest;

use super::model::est_total;

/// Stores a new preset and its items.
pub async fn insert_preset(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: &PresetFields,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<Preset, DbError> {
    let id = new_id();
    let created_at = format_instant(now);
    sqlx::query(
        "INSERT INTO shopping_presets (household_id, id, name, name_key, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(household_id)
    .bind(&id)
    .bind(&fields.name)
    .bind(normalize_name(&fields.name))
    .bind(&created_at)
    .execute(&mut *conn)
    .await?;
    for (seq, item) in fields.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO shopping_preset_items (household_id, preset_id, seq, name, qty, unit,
               est_unit_cost, currency, category)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(household_id)
        .bind(&id)
        .bind(seq as i64)
        .bind(&item.name)
        .bind(item.qty.milli())
        .bind(item.unit.clone())
        .bind(item.est_unit_cost.map(|c| c.minor()))
        .bind(item.est_unit_cost.map_or(currency, |c| c.currency()).code())
        .bind(item.category.clone())
        .execute(&mut *conn)
        .await?;
    }
    Ok(Preset {
        id,
        name: fields.name.clone(),
        items: fields.items.iter().map(PresetItem::from_fields).collect(),
        created_at,
    })
}

#[derive(sqlx::FromRow)]
struct PresetRow {
    id: String,
    name: String,
    created_at: String,
}

async fn items_of(
    conn: &mut AnyConnection,
    household_id: &str,
    preset_id: &str,
) -> Result<Vec<PresetItem>, DbError> {
    let rows = sqlx::query(
        "SELECT name, qty, unit, est_unit_cost, currency, category FROM shopping_preset_items
         WHERE household_id = $1 AND preset_id = $2 ORDER BY seq",
    )
    .bind(household_id)
    .bind(preset_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            let code: String = row.try_get("currency")?;
            let currency = Currency::from_code(&code).unwrap_or(Currency::USD);
            let qty = Qty::from_milli(row.try_get("qty")?);
            let cost = row
                .try_get::<Option<i64>, _>("est_unit_cost")?
                .map(|c| Money::from_minor(c, currency));
            Ok(PresetItem {
                name: row.try_get("name")?,
                qty,
                unit: row.try_get("unit")?,
                est_unit_cost: cost,
                est_total: est_total(qty, cost),
                category: row.try_get("category")?,
            })
        })
        .collect()
}

pub async fn get_preset(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Option<Preset>, DbError> {
    let row = sqlx::query_as::<_, PresetRow>(
        "SELECT id, name, created_at FROM shopping_presets WHERE household_id = $1 AND id = $2",
    )
    .bind(household_id)
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let items = items_of(conn, household_id, &row.id).await?;
    Ok(Some(Preset {
        id: row.id,
        name: row.name,
        items,
        created_at: row.created_at,
    }))
}

/// A page of presets ordered by name.
pub async fn list_presets(
    conn: &mut AnyConnection,
    household_id: &str,
    page: &PageRequest,
) -> Result<Vec<(String, Preset)>, DbError> {
    let rows = sqlx::query(
        "SELECT id, name, name_key, created_at FROM shopping_presets
         WHERE household_id = $1 AND ($2 IS NULL OR name_key > $2 OR (name_key = $2 AND id > $3))
         ORDER BY name_key, id
         LIMIT $4",
    )
    .bind(household_id)
    .bind(page.after_part(0).map(str::to_string))
    .bind(page.after_part(1).unwrap_or("").to_string())
    .bind(page.fetch_limit())
    .fetch_all(&mut *conn)
    .await?;
    let mut presets = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        let items = items_of(conn, household_id, &id).await?;
        presets.push((
            row.try_get("name_key")?,
            Preset {
                id,
                name: row.try_get("name")?,
                items,
                created_at: row.try_get("created_at")?,
            },
        ));
    }
    Ok(presets)
}

pub async fn delete_preset(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<bool, DbError> {
    let result = sqlx::query("DELETE FROM shopping_presets WHERE household_id = $1 AND id = $2")
        .bind(household_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(result.rows_affected() == 1)
}
