//! Export and import of one household as a JSON document, and online backups.
//!
//! The document holds every row of every household table, copied column by column as the
//! database describes them (integers as numbers, text as strings, bytes as base64), so an
//! export → import → export round trip gives the same document apart from `exported_at`.
//! Left out on purpose: API token hashes (secrets), idempotency records (a 24-hour cache), web
//! sessions and sign-in links (short-lived secrets) and installation-wide metadata.

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use futures::TryStreamExt;
use sqlx::{AnyConnection, Row};

use crate::db::catalog::{ColumnKind, TableInfo};
use crate::db::{Backend, Db, DbError};
use crate::domain::day::format_instant;

pub const FORMAT: &str = "valhalla-household-export";
pub const VERSION: i64 = 1;

/// Household tables, in an order where every foreign key points to an earlier table.
pub const HOUSEHOLD_TABLES: &[&str] = &[
    "households",
    "members",
    "locations",
    "inventory_items",
    "usage_events",
    "forecast_counters",
    "forecast_tombstones",
    "schedule_events",
    "shopping_items",
    "shopping_presets",
    "shopping_preset_items",
    "ledger_entries",
    "budget_limits",
    "bills",
    "bill_payments",
    "receipts",
    "receipt_tags",
    "receipt_attachments",
    "approvals",
    "cone_policies",
    "heimdall_heads",
    "heimdall_actions",
    "scheduler_runs",
    "reminders",
    "webhooks",
    "webhook_deliveries",
];

/// Tables of earlier versions whose rows were derived from others: skipped when imported.
pub const DERIVED_TABLES: &[&str] = &["usage_daily"];

/// Tables not exported: installation-wide, secret, or short-lived (a cache, web sessions and
/// one-time sign-in links).
pub const NOT_EXPORTED: &[&str] = &[
    "meta",
    "api_tokens",
    "idempotency_keys",
    "web_sessions",
    "web_signin_links",
];

#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<sqlx::Error> for PortError {
    fn from(err: sqlx::Error) -> PortError {
        PortError::Db(err.into())
    }
}

fn invalid(message: impl Into<String>) -> PortError {
    PortError::Invalid(message.into())
}

async fn table(db: &Db, conn: &mut AnyConnection, name: &str) -> Result<TableInfo, PortError> {
    db.table_info(conn, name)
        .await?
        .ok_or_else(|| invalid(format!("the database has no table {name}")))
}

fn scope_column(table: &str) -> &'static str {
    if table == "households" {
        "id"
    } else {
        "household_id"
    }
}

/// Finds a household by name, or the only one when `name` is `None`.
pub async fn household_id(db: &Db, name: Option<&str>) -> Result<(String, String), PortError> {
    let mut conn = db.read().await?;
    let households = crate::household::store::list_households(&mut conn).await?;
    match name {
        Some(name) => households
            .into_iter()
            .find(|(_, n)| n == name)
            .ok_or_else(|| invalid(format!("no household named {name:?}"))),
        None if households.len() == 1 => Ok(households.into_iter().next().unwrap_or_default()),
        None => Err(invalid(
            "several households exist: name one with --household",
        )),
    }
}

fn cell(
    row: &sqlx::any::AnyRow,
    index: usize,
    kind: ColumnKind,
) -> Result<serde_json::Value, PortError> {
    use serde_json::Value;
    Ok(match kind {
        ColumnKind::Integer => row
            .try_get::<Option<i64>, _>(index)?
            .map_or(Value::Null, Value::from),
        ColumnKind::Text => row
            .try_get::<Option<String>, _>(index)?
            .map_or(Value::Null, Value::String),
        ColumnKind::Blob => row
            .try_get::<Option<Vec<u8>>, _>(index)?
            .map_or(Value::Null, |b| Value::String(BASE64.encode(b))),
    })
}

/// Writes household `household_id` as one JSON document to `out`, table by table, rows in
/// primary-key order (streamed: nothing is held in memory but one row).
pub async fn export(
    db: &Db,
    household_id: &str,
    exported_at: chrono::DateTime<chrono::Utc>,
    out: &mut impl Write,
) -> Result<(), PortError> {
    let mut conn = db.read().await?;
    let header = serde_json::json!({
        "format": FORMAT,
        "version": VERSION,
        "exported_at": format_instant(exported_at),
        "household_id": household_id,
    });
    let header = header.to_string();
    // The header's closing brace is replaced by the tables.
    write!(out, "{},\"tables\":{{", &header[..header.len() - 1])?;
    for (t, name) in HOUSEHOLD_TABLES.iter().enumerate() {
        let info = table(db, &mut conn, name).await?;
        let columns: Vec<&str> = info.columns.iter().map(|c| c.name.as_str()).collect();
        let order = if info.primary_key.is_empty() {
            columns.join(", ")
        } else {
            info.primary_key.join(", ")
        };
        let sql = format!(
            "SELECT {} FROM {name} WHERE {} = $1 ORDER BY {order}",
            columns.join(", "),
            scope_column(name)
        );
        write!(out, "{}\"{name}\":[", if t > 0 { "," } else { "" })?;
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(household_id)
            .fetch(&mut *conn);
        let mut first = true;
        while let Some(row) = rows.try_next().await? {
            let mut object = serde_json::Map::new();
            for (i, column) in info.columns.iter().enumerate() {
                object.insert(column.name.clone(), cell(&row, i, column.kind)?);
            }
            if !first {
                out.write_all(b",")?;
            }
            first = false;
            serde_json::to_writer(&mut *out, &serde_json::Value::Object(object))
                .map_err(std::io::Error::from)?;
        }
        out.write_all(b"]")?;
    }
    out.write_all(b"}}\n")?;
    Ok(())
}

/// Loads an exported household into a database that does not hold it yet, in one transaction.
/// Returns the household's name and the number of rows written.
pub async fn import(db: &Db, document: &serde_json::Value) -> Result<(String, u64), PortError> {
    if document.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(invalid(format!("not a {FORMAT} document")));
    }
    if document.get("version").and_then(|v| v.as_i64()) != Some(VERSION) {
        return Err(invalid(format!(
            "unsupported export version (this program reads {VERSION})"
        )));
    }
    let tables = document
        .get("tables")
        .and_then(|t| t.as_object())
        .ok_or_else(|| invalid("the document has no tables"))?;
    for name in tables.keys() {
        if !HOUSEHOLD_TABLES.contains(&name.as_str()) && !DERIVED_TABLES.contains(&name.as_str()) {
            return Err(invalid(format!("unknown table {name}")));
        }
    }
    let household = tables
        .get("households")
        .and_then(|h| h.as_array())
        .and_then(|h| h.first())
        .ok_or_else(|| invalid("the document has no household"))?;
    let id = household
        .get("id")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let name = household
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let mut tx = db.begin().await?;
    let clash = sqlx::query("SELECT id FROM households WHERE id = $1 OR name = $2")
        .bind(id)
        .bind(name)
        .fetch_optional(tx.conn())
        .await?;
    if clash.is_some() {
        return Err(invalid(format!(
            "this database already holds a household {name:?} (or one with its id)"
        )));
    }
    let mut written = 0;
    for name in HOUSEHOLD_TABLES {
        let Some(rows) = tables.get(*name).and_then(|r| r.as_array()) else {
            continue;
        };
        let info = table(db, tx.conn(), name).await?;
        for row in rows {
            insert_row(tx.conn(), &info, row).await?;
            written += 1;
        }
    }
    tx.commit().await?;
    Ok((name.to_string(), written))
}

async fn insert_row(
    conn: &mut AnyConnection,
    info: &TableInfo,
    row: &serde_json::Value,
) -> Result<(), PortError> {
    let object = row
        .as_object()
        .ok_or_else(|| invalid(format!("a row of {} is not an object", info.name)))?;
    let mut columns = Vec::new();
    for key in object.keys() {
        let column = info
            .columns
            .iter()
            .find(|c| &c.name == key)
            .ok_or_else(|| invalid(format!("{} has no column {key}", info.name)))?;
        columns.push(column);
    }
    let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        info.name,
        columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        placeholders.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for column in columns {
        let value = &object[&column.name];
        let bad = || {
            invalid(format!(
                "{}.{} has a value of the wrong kind",
                info.name, column.name
            ))
        };
        query = match (column.kind, value) {
            (ColumnKind::Integer, serde_json::Value::Null) => query.bind(None::<i64>),
            (ColumnKind::Text, serde_json::Value::Null) => query.bind(None::<String>),
            (ColumnKind::Blob, serde_json::Value::Null) => query.bind(None::<Vec<u8>>),
            (ColumnKind::Integer, v) => query.bind(v.as_i64().ok_or_else(bad)?),
            (ColumnKind::Text, v) => query.bind(v.as_str().ok_or_else(bad)?.to_string()),
            (ColumnKind::Blob, v) => query.bind(
                BASE64
                    .decode(v.as_str().ok_or_else(bad)?)
                    .map_err(|_| bad())?,
            ),
        };
    }
    query.execute(conn).await?;
    Ok(())
}

/// Writes a consistent copy of the whole database while the server runs. SQLite: `VACUUM INTO`
/// (a ready-to-use database file). PostgreSQL: `pg_dump --format=custom` (restore with
/// `pg_restore`).
pub async fn backup(db: &Db, database_url: &str, file: &std::path::Path) -> Result<(), PortError> {
    if file.exists() {
        return Err(invalid(format!("{} already exists", file.display())));
    }
    match db.backend() {
        Backend::Sqlite => {
            let mut conn = db.read().await?;
            sqlx::query("VACUUM INTO $1")
                .bind(file.display().to_string())
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
        Backend::Postgres => {
            let status = std::process::Command::new("pg_dump")
                .args(["--format=custom", "--no-owner", "--file"])
                .arg(file)
                .arg(database_url)
                .status()
                .map_err(|e| {
                    invalid(format!(
                        "pg_dump could not be started ({e}); install the PostgreSQL client tools"
                    ))
                })?;
            if status.success() {
                Ok(())
            } else {
                Err(invalid(format!("pg_dump failed ({status})")))
            }
        }
    }
}
