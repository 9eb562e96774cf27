//! The schema as the database describes it: a table's columns, their storage class and the
//! primary key. Used by export/import, which copy rows without knowing each table by heart.

use sqlx::{AnyConnection, Row};

use super::{Backend, Db, DbError};

/// How a column's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Text,
    Blob,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    pub name: String,
    /// In table order.
    pub columns: Vec<Column>,
    /// Primary key columns, in key order.
    pub primary_key: Vec<String>,
}

fn kind_of(declared: &str) -> ColumnKind {
    let declared = declared.to_ascii_lowercase();
    if declared.contains("int") {
        ColumnKind::Integer
    } else if declared.contains("blob") || declared.contains("bytea") {
        ColumnKind::Blob
    } else {
        ColumnKind::Text
    }
}

impl Db {
    /// Describes `table`; `None` when it does not exist.
    pub async fn table_info(
        &self,
        conn: &mut AnyConnection,
        table: &str,
    ) -> Result<Option<TableInfo>, DbError> {
        let (columns_sql, key_sql) = match self.backend() {
            Backend::Sqlite => (
                "SELECT name AS column_name, type AS data_type FROM pragma_table_info($1) ORDER BY cid",
                "SELECT name AS column_name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk",
            ),
            Backend::Postgres => (
                "SELECT CAST(column_name AS TEXT) AS column_name, CAST(data_type AS TEXT) AS data_type
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1
                 ORDER BY ordinal_position",
                "SELECT CAST(a.attname AS TEXT) AS column_name
                 FROM pg_index i
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                 WHERE i.indrelid = CAST($1 AS regclass) AND i.indisprimary
                 ORDER BY array_position(CAST(i.indkey AS int2[]), a.attnum)",
            ),
        };
        let rows = sqlx::query(columns_sql)
            .bind(table)
            .fetch_all(&mut *conn)
            .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let columns = rows
            .iter()
            .map(|r| {
                Ok(Column {
                    name: r.try_get("column_name")?,
                    kind: kind_of(&r.try_get::<String, _>("data_type")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let primary_key = sqlx::query(key_sql)
            .bind(table)
            .fetch_all(conn)
            .await?
            .iter()
            .map(|r| r.try_get("column_name"))
            .collect::<Result<Vec<String>, _>>()?;
        Ok(Some(TableInfo {
            name: table.to_string(),
            columns,
            primary_key,
        }))
    }

    /// Every table of the application (not the migration bookkeeping).
    pub async fn table_names(&self, conn: &mut AnyConnection) -> Result<Vec<String>, DbError> {
        let sql = match self.backend() {
            Backend::Sqlite => {
                "SELECT name FROM sqlite_master WHERE type = 'table'
                   AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name"
            }
            Backend::Postgres => {
                "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables
                 WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
                   AND table_name <> '_sqlx_migrations' ORDER BY table_name"
            }
        };
        let rows = sqlx::query(sql).fetch_all(conn).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get("name"))
            .collect::<Result<Vec<String>, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map_to_kinds() {
        assert_eq!(kind_of("INTEGER"), ColumnKind::Integer);
        assert_eq!(kind_of("bigint"), ColumnKind::Integer);
        assert_eq!(kind_of("BLOB"), ColumnKind::Blob);
        assert_eq!(kind_of("bytea"), ColumnKind::Blob);
        assert_eq!(kind_of("TEXT"), ColumnKind::Text);
        assert_eq!(kind_of("text"), ColumnKind::Text);
    }
}
