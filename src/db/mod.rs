//! Storage: one handle over SQLite (default) or PostgreSQL, chosen from the URL.
//!
//! All SQL in the project is written in the subset both engines share (`$n` binds,
//! `ON CONFLICT`, `RETURNING`, TEXT ids, BIGINT minor units / milli-quantities, fixed-width
//! RFC 3339 TEXT instants). Backend differences live only in this module.

pub mod catalog;
mod error;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use sqlx::AnyConnection;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use error::{DbError, is_unique_violation};

/// The storage engine behind a [`Db`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool plus the knowledge of which engine it talks to.
#[derive(Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
    /// SQLite allows one writer at a time. Queuing writers here (FIFO, in-process) is far
    /// faster and fairer than letting them spin in SQLite's busy handler; the busy timeout
    /// still covers other processes (e.g. `valhalla token create` next to a running server).
    write_lock: Option<Arc<Mutex<()>>>,
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Turns the configured database location into a URL: PostgreSQL when the URL says so,
/// otherwise an SQLite file `valhalla.db` inside `data_dir` (created when missing).
pub fn resolve_url(database_url: Option<&str>, data_dir: &Path) -> std::io::Result<String> {
    match database_url {
        Some(url) if !url.is_empty() => Ok(url.to_string()),
        _ => {
            std::fs::create_dir_all(data_dir)?;
            let file = data_dir.join("valhalla.db");
            Ok(format!("sqlite://{}?mode=rwc", file.display()))
        }
    }
}

impl Db {
    /// Connects to the database named by `url` (`sqlite://…` or `postgres://…`).
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL (expected sqlite: or postgres://): {url}").into(),
            ));
        };
        let pool = match backend {
            Backend::Sqlite => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(10))
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = FULL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 10000",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect(url)
                    .await?
            }
        };
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            pool,
            backend,
            write_lock,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for reads outside a transaction.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies pending migrations for this backend.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATOR.run(&self.pool).await,
            Backend::Postgres => POSTGRES_MIGRATOR.run(&self.pool).await,
        }
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, DbError> {
        Ok(self.pool.acquire().await?)
    }

    /// Starts a write transaction. On SQLite the transaction takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a read inside it can never be invalidated by another writer.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let inner = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(Tx {
            inner,
            _guard: guard,
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.pool.acquire().await?;
        conn.ping().await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls it back.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }

    pub async fn commit(self) -> Result<(), DbError> {
        self.inner.commit().await?;
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        self.inner.rollback().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    /// Both backends must have the same migrations, under the same names.
    #[test]
    fn migration_folders_match() {
        let names = |dir: &str| {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let mut names: Vec<String> = std::fs::read_dir(path)
                .expect("migrations folder")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let sqlite = names("migrations/sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("migrations/postgres"));
    }
}
