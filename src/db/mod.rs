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
use sqlx::pool::PoolConnection;
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
    /// SQLite: the one connection all write transactions use. SQLite drops a connection's page
    /// cache whenever another connection has written, so a writer that moved between pooled
    /// connections would re-read its pages from the file on nearly every transaction.
    writer: Option<AnyPool>,
    backend: Backend,
    /// SQLite allows one writer at a time. Queuing writers here (FIFO, in-process) is far
    /// faster and fairer than letting them spin in SQLite's busy handler; the busy timeout
    /// still covers other processes (e.g. `valhalla token create` next to a running server).
    write_lock: Option<Arc<Mutex<()>>>,
    health: Arc<Health>,
}

/// Page cache per SQLite connection, in KiB: the writer's holds the pages every write touches
/// (interior b-tree pages, the appending right edges of indexes). Readers keep a small one: in
/// WAL mode any commit empties their caches anyway, and eight readers with 2 MiB each held tens
/// of MiB of server memory for pages they could rarely reuse.
const SQLITE_WRITER_CACHE_KIB: u32 = 8 * 1024;
const SQLITE_READER_CACHE_KIB: u32 = 256;

/// WAL pages before a commit also copies them into the database file (SQLite's default is
/// 1,000). Usage writes land on random index leaves; a longer WAL lets a page changed by many
/// commits be copied once, and makes the pause at a checkpoint rarer. At 2,000,000 usage events
/// 5,000 pages (~20 MB) took 16-client durable writes from ~2,700/s to ~3,800/s.
const SQLITE_CHECKPOINT_PAGES: u32 = 5_000;

/// An SQLite pool whose connections are set up for durability and concurrency: WAL,
/// `synchronous = FULL` (a commit is on disk when acknowledged), foreign keys, a busy timeout
/// for other processes, a longer WAL between checkpoints, and temporary tables and statement
/// journals in memory (no file is created and removed per multi-row statement).
async fn sqlite_pool(url: &str, connections: u32, cache_kib: u32) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .min_connections(1)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A local file cannot drop the connection: no round trip to test it on every acquire.
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                for pragma in [
                    "PRAGMA journal_mode = WAL".to_string(),
                    "PRAGMA synchronous = FULL".to_string(),
                    "PRAGMA foreign_keys = ON".to_string(),
                    "PRAGMA busy_timeout = 10000".to_string(),
                    "PRAGMA temp_store = MEMORY".to_string(),
                    format!("PRAGMA cache_size = -{cache_kib}"),
                    format!("PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}"),
                ] {
                    conn.execute(sqlx::AssertSqlSafe(pragma)).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
}

/// How long a request may wait for a connection (a busy pool, or a database that does not
/// answer) before it is told 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1500);
/// How long it may wait while the database is known to be away: answer fast, keep probing.
const FAST_FAIL: Duration = Duration::from_millis(250);
/// How long "known to be away" lasts after the last failure.
const AWAY_FOR: Duration = Duration::from_secs(5);

/// Whether the database recently failed to give a connection. While it is away, requests wait
/// only briefly for one, so they are answered 503 quickly instead of each waiting the full
/// timeout; every attempt still tries, so recovery is noticed at once.
#[derive(Default)]
struct Health {
    failed_at: std::sync::Mutex<Option<std::time::Instant>>,
}

impl Health {
    fn wait_limit(&self) -> Duration {
        let failed_at = *self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        match failed_at {
            Some(at) if at.elapsed() < AWAY_FOR => FAST_FAIL,
            _ => ACQUIRE_TIMEOUT,
        }
    }

    fn record(&self, ok: bool) {
        let mut failed_at = self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        *failed_at = if ok {
            None
        } else {
            Some(std::time::Instant::now())
        };
    }

    /// Runs an acquisition under the current limit and learns from its outcome.
    async fn guard<T>(
        &self,
        acquire: impl std::future::Future<Output = Result<T, sqlx::Error>>,
    ) -> Result<T, DbError> {
        match tokio::time::timeout(self.wait_limit(), acquire).await {
            Ok(Ok(value)) => {
                self.record(true);
                Ok(value)
            }
            Ok(Err(err)) => {
                let err = DbError::from(err);
                if matches!(err, DbError::Unavailable(_)) {
                    self.record(false);
                }
                Err(err)
            }
            Err(_) => {
                self.record(false);
                Err(DbError::Unavailable(
                    "no database connection became available in time".into(),
                ))
            }
        }
    }
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
        let (pool, writer) = match backend {
            Backend::Sqlite => {
                let readers = sqlite_pool(url, 8, SQLITE_READER_CACHE_KIB).await?;
                let writer = sqlite_pool(url, 1, SQLITE_WRITER_CACHE_KIB).await?;
                (readers, Some(writer))
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .connect(url)
                    .await?;
                (pool, None)
            }
        };
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Db {
            pool,
            writer,
            backend,
            write_lock,
            health: Arc::new(Health::default()),
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
        self.health.guard(self.pool.acquire()).await
    }

    /// Starts a write transaction. On SQLite the transaction takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so a read inside it can never be invalidated by another writer.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let pool = self.writer.as_ref().unwrap_or(&self.pool);
        let conn = self.health.guard(pool.acquire()).await?;
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        Tx::start(conn, begin, guard).await
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.read().await?;
        conn.ping().await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls it back.
///
/// The transaction is driven with plain `BEGIN`/`COMMIT`/`ROLLBACK` statements on a pooled
/// connection, so that a connection whose transaction could not be ended (a full disk, a lost
/// server) is closed rather than handed to the next request still inside a transaction.
pub struct Tx {
    conn: Option<PoolConnection<sqlx::Any>>,
    guard: Option<OwnedMutexGuard<()>>,
}

/// Ends a transaction by rolling it back; a connection that cannot do even that is closed.
async fn roll_back(mut conn: PoolConnection<sqlx::Any>) -> Result<(), DbError> {
    match conn.execute("ROLLBACK").await {
        Ok(_) => Ok(()),
        Err(err) => {
            let _ = conn.close().await;
            Err(err.into())
        }
    }
}

impl Tx {
    async fn start(
        mut conn: PoolConnection<sqlx::Any>,
        begin: &'static str,
        guard: Option<OwnedMutexGuard<()>>,
    ) -> Result<Tx, DbError> {
        if let Err(err) = conn.execute(begin).await {
            let _ = conn.close().await;
            return Err(err.into());
        }
        Ok(Tx {
            conn: Some(conn),
            guard,
        })
    }

    /// The connection to run statements on.
    pub fn conn(&mut self) -> &mut AnyConnection {
        // Present until commit/rollback consume the transaction.
        self.conn
            .as_deref_mut()
            .unwrap_or_else(|| unreachable!("a finished transaction has no connection"))
    }

    pub async fn commit(mut self) -> Result<(), DbError> {
        let Some(mut conn) = self.conn.take() else {
            return Ok(());
        };
        match conn.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(err) => {
                // A failed COMMIT may leave the transaction open (SQLite on a full disk).
                let _ = roll_back(conn).await;
                Err(err.into())
            }
        }
    }

    pub async fn rollback(mut self) -> Result<(), DbError> {
        match self.conn.take() {
            Some(conn) => roll_back(conn).await,
            None => Ok(()),
        }
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Roll back in the background; the write lock is released only afterwards.
            let guard = self.guard.take();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = roll_back(conn).await;
                    drop(guard);
                });
            }
        }
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
