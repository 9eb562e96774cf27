//! Group commit: many requests' writes in one transaction, each answered only after that
//! transaction commits.
//!
//! A durable commit costs a disk flush. When many small writes arrive at once (usage logging
//! from many clients), running each in its own transaction is bounded by flushes per second.
//! The [`Batcher`] task takes every job waiting in its queue, runs each inside its own
//! SAVEPOINT (so one job's failure undoes only that job), commits once, and then completes all
//! jobs with the commit's outcome. While one batch commits, the next one queues up: under load
//! batches grow by themselves, with no added delay when idle.

use futures::future::BoxFuture;
use sqlx::AnyConnection;
use tokio::sync::{mpsc, oneshot};

use super::{Db, DbError};

/// Most jobs in one transaction.
const MAX_BATCH: usize = 256;
/// Jobs waiting before senders are slowed down.
const QUEUE: usize = 4096;

/// Called with the batch's commit outcome once it is known.
type Completion = Box<dyn FnOnce(Result<(), DbError>) + Send>;
type Job = Box<dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Completion> + Send>;

/// A handle to the group-commit writer of one [`Db`].
#[derive(Clone)]
pub struct Batcher {
    jobs: mpsc::Sender<Job>,
}

impl Batcher {
    /// Starts the writer task. It ends when every handle is dropped.
    pub fn spawn(db: Db) -> Batcher {
        let (tx, rx) = mpsc::channel::<Job>(QUEUE);
        tokio::spawn(run(db, rx));
        Batcher { jobs: tx }
    }

    /// Runs `work` in the next batch; returns its result once the batch has committed.
    /// If `work` fails, only its own changes are undone.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
        F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>> + Send + 'static,
    {
        let (done_tx, done_rx) = oneshot::channel::<Result<T, E>>();
        let job: Job = Box::new(move |conn: &mut AnyConnection| {
            Box::pin(async move {
                let result = in_savepoint(conn, work).await;
                Box::new(move |commit: Result<(), DbError>| {
                    let outcome = match commit {
                        Ok(()) => result,
                        Err(e) => Err(E::from(e)),
                    };
                    let _ = done_tx.send(outcome);
                }) as Completion
            })
        });
        let stopped = || E::from(DbError::Unavailable("the write queue has stopped".into()));
        self.jobs.send(job).await.map_err(|_| stopped())?;
        // A dropped sender means the batch could not start (e.g. the database is down).
        done_rx.await.unwrap_or_else(|_| {
            Err(E::from(DbError::Unavailable(
                "the write could not be started; the database may be unavailable".into(),
            )))
        })
    }
}

async fn in_savepoint<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    E: From<DbError>,
    F: for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, Result<T, E>>,
{
    sqlx::query("SAVEPOINT job")
        .execute(&mut *conn)
        .await
        .map_err(|e| E::from(e.into()))?;
    let result = work(&mut *conn).await;
    let end = if result.is_ok() {
        "RELEASE SAVEPOINT job"
    } else {
        "ROLLBACK TO SAVEPOINT job"
    };
    sqlx::query(end)
        .execute(&mut *conn)
        .await
        .map_err(|e| E::from(e.into()))?;
    if result.is_err() {
        // ROLLBACK TO keeps the savepoint open; release it so the next job starts clean.
        sqlx::query("RELEASE SAVEPOINT job")
            .execute(&mut *conn)
            .await
            .map_err(|e| E::from(e.into()))?;
    }
    result
}

async fn run(db: Db, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut tx = match db.begin().await {
            Ok(tx) => tx,
            Err(err) => {
                tracing::warn!(error = %err, jobs = jobs.len(), "could not start a write batch");
                // Dropping the jobs fails their callers with "unavailable".
                continue;
            }
        };
        let mut completions = Vec::with_capacity(jobs.len());
        for job in jobs {
            completions.push(job(tx.conn()).await);
        }
        let outcome = tx.commit().await;
        match &outcome {
            Ok(()) => {
                for complete in completions {
                    complete(Ok(()));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "write batch failed to commit");
                let message = err.to_string();
                for complete in completions {
                    complete(Err(DbError::Unavailable(message.clone())));
                }
            }
        }
    }
}
