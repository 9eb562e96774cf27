//! Group commit for usage logging: many requests' events in one transaction, each request
//! answered only after that transaction commits.
//!
//! A durable commit costs a disk flush, and every statement costs a round trip to the database.
//! The writer task takes every usage write waiting in its queue and stores the whole batch with a
//! handful of multi-row statements per household (item check, idempotency keys, events, one
//! change-sequence step) and one commit. While one batch commits the next queues up,
//! so batches grow with load and add no delay when idle. If a bulk statement fails (say an item
//! was deleted meanwhile), the batch is undone and its writes are retried one by one, so each
//! request still gets its own exact answer.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};
use tokio::sync::{mpsc, oneshot};

use super::model::UsageEvent;
use super::store;
use crate::db::{Db, DbError};
use crate::domain::day::{format_day, format_instant};
use crate::idempotency::{self, IdempotencyKey, RETENTION};
use crate::reply::Reply;

/// Most writes in one transaction (keeps every statement far below bind-parameter limits).
const MAX_BATCH: usize = 512;
/// Writes waiting before senders are slowed down.
const QUEUE: usize = 8192;

/// One request's usage write.
pub struct UsageWrite {
    pub household_id: String,
    pub member_id: String,
    pub event: UsageEvent,
    /// The answer once stored (201 with the event).
    pub reply: Reply,
    pub key: Option<IdempotencyKey>,
    pub now: DateTime<Utc>,
}

/// How a usage write ended.
#[derive(Debug)]
pub enum UsageOutcome {
    /// Stored; the reply to send.
    Created(Reply),
    /// `inv_id` names no item of the household; nothing was stored.
    UnknownItem,
    /// Another request with the same Idempotency-Key committed first; nothing was stored.
    KeyTaken,
}

type Responder = oneshot::Sender<Result<UsageOutcome, DbError>>;

/// Handle to the usage writer task.
#[derive(Clone)]
pub struct UsageWriter {
    queue: mpsc::Sender<(UsageWrite, Responder)>,
}

impl UsageWriter {
    /// Starts the writer task; it ends when every handle is dropped.
    pub fn spawn(db: Db) -> UsageWriter {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(db, rx));
        UsageWriter { queue: tx }
    }

    /// Stores `write` in the next batch and returns once that batch is committed.
    pub async fn write(&self, write: UsageWrite) -> Result<UsageOutcome, DbError> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((write, tx))
            .await
            .map_err(|_| DbError::Unavailable("the usage writer has stopped".into()))?;
        rx.await
            .unwrap_or_else(|_| Err(DbError::Unavailable("the usage writer has stopped".into())))
    }
}

async fn run(db: Db, mut rx: mpsc::Receiver<(UsageWrite, Responder)>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let (writes, responders): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        let started = std::time::Instant::now();
        let result = write_batch(&db, &writes).await;
        tracing::debug!(
            writes = writes.len(),
            micros = started.elapsed().as_micros() as u64,
            "usage batch"
        );
        let outcomes = match result {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(DbError::Unavailable(cause)) => {
                tracing::warn!(error = %cause, writes = writes.len(), "usage batch failed");
                writes
                    .iter()
                    .map(|_| Err(DbError::Unavailable(cause.clone())))
                    .collect()
            }
            Err(err) => {
                tracing::info!(error = %err, writes = writes.len(), "usage batch retried one by one");
                let mut outcomes = Vec::with_capacity(writes.len());
                for write in &writes {
                    outcomes.push(write_one(&db, write).await);
                }
                outcomes
            }
        };
        for (responder, outcome) in responders.into_iter().zip(outcomes) {
            let _ = responder.send(outcome);
        }
    }
}

/// Stores a batch in one transaction; on any error nothing of it is stored.
async fn write_batch(db: &Db, writes: &[UsageWrite]) -> Result<Vec<UsageOutcome>, DbError> {
    let mut outcomes: Vec<Option<UsageOutcome>> = writes.iter().map(|_| None).collect();
    let mut by_household: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, w) in writes.iter().enumerate() {
        by_household.entry(&w.household_id).or_default().push(i);
    }
    let mut tx = db.begin().await?;
    for (household_id, indexes) in by_household {
        let conn = tx.conn();
        // Keys may be recorded only for writes that will be stored, so with keys the items are
        // checked first; without, the insert itself drops events of unknown items.
        let candidates = if indexes.iter().any(|&i| writes[i].key.is_some()) {
            let known = existing_items(conn, household_id, writes, &indexes).await?;
            let mut candidates = Vec::new();
            for &i in &indexes {
                if known.contains(writes[i].event.inv_id.as_str()) {
                    candidates.push(i);
                } else {
                    outcomes[i] = Some(UsageOutcome::UnknownItem);
                }
            }
            claim_keys(conn, household_id, writes, candidates, &mut outcomes).await?
        } else {
            indexes
        };
        if candidates.is_empty() {
            continue;
        }
        let seq = store::next_seq(conn, household_id).await?;
        let stored = insert_events(conn, household_id, writes, &candidates, seq).await?;
        for i in candidates {
            outcomes[i] = Some(if stored.contains(writes[i].event.id.as_str()) {
                UsageOutcome::Created(writes[i].reply.clone())
            } else {
                UsageOutcome::UnknownItem
            });
        }
    }
    tx.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(UsageOutcome::UnknownItem))
        .collect())
}

/// Rows in a multi-row statement for `n` rows: rounded up to a power of two, the rest bound to
/// NULL and dropped by the statement itself. A handful of statement shapes stay prepared on the
/// connection, instead of a new statement to compile for every batch size.
fn statement_rows(n: usize) -> usize {
    n.max(1).next_power_of_two()
}

/// Bind placeholders, handed out in the order they appear in a statement's text, which is also
/// the order its values are bound in. SQLite gets anonymous `?`: its driver looks every named
/// parameter up by position in a list, so a statement with hundreds of `$n` cost time
/// quadratic in their number (about a tenth of the writer's time at 64 clients).
struct Params {
    anonymous: bool,
    count: usize,
}

impl Params {
    fn new(conn: &AnyConnection) -> Params {
        Params {
            anonymous: conn.backend_name() == "SQLite",
            count: 0,
        }
    }

    fn next(&mut self) -> String {
        self.count += 1;
        if self.anonymous {
            "?".to_string()
        } else {
            format!("${}", self.count)
        }
    }

    /// `(p, p, …), (…)` for `rows` rows of `width` values.
    fn rows(&mut self, rows: usize, width: usize) -> String {
        (0..rows)
            .map(|_| {
                let cells: Vec<String> = (0..width).map(|_| self.next()).collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `p, p, …` for `n` values.
    fn list(&mut self, n: usize) -> String {
        (0..n).map(|_| self.next()).collect::<Vec<_>>().join(", ")
    }
}

async fn existing_items<'a>(
    conn: &mut AnyConnection,
    household_id: &str,
    writes: &'a [UsageWrite],
    indexes: &[usize],
) -> Result<HashSet<&'a str>, DbError> {
    let ids: Vec<&'a str> = indexes
        .iter()
        .map(|&i| writes[i].event.inv_id.as_str())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut params = Params::new(conn);
    let sql = format!(
        "SELECT id FROM inventory_items WHERE household_id = {} AND id IN ({})",
        params.next(),
        params.list(ids.len())
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(household_id);
    for id in &ids {
        query = query.bind(*id);
    }
    let found: HashSet<String> = query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?;
    Ok(ids.into_iter().filter(|id| found.contains(*id)).collect())
}

/// Records the Idempotency-Keys of `accepted` writes; returns those that may proceed. A key
/// already live in the database, or used twice in this batch, is answered as taken.
async fn claim_keys(
    conn: &mut AnyConnection,
    household_id: &str,
    writes: &[UsageWrite],
    accepted: Vec<usize>,
    outcomes: &mut [Option<UsageOutcome>],
) -> Result<Vec<usize>, DbError> {
    let mut seen = HashSet::new();
    let mut keyed = Vec::new();
    let mut proceed = Vec::new();
    for i in accepted {
        match &writes[i].key {
            None => proceed.push(i),
            Some(key) => {
                if seen.insert((&writes[i].member_id, &key.path, &key.key)) {
                    keyed.push(i);
                } else {
                    outcomes[i] = Some(UsageOutcome::KeyTaken);
                }
            }
        }
    }
    if keyed.is_empty() {
        return Ok(proceed);
    }
    let mut params = Params::new(conn);
    let rows = params.rows(keyed.len(), 10);
    let sql = format!(
        "INSERT INTO idempotency_keys
           (household_id, member_id, method, path, idem_key, request_hash, status, body, etag, created_at)
         VALUES {rows}
         ON CONFLICT (household_id, member_id, method, path, idem_key) DO UPDATE SET
           request_hash = excluded.request_hash, status = excluded.status, body = excluded.body,
           etag = excluded.etag, created_at = excluded.created_at
         WHERE idempotency_keys.created_at < {}
         RETURNING member_id, path, idem_key",
        params.next()
    );
    let cutoff = writes[keyed[0]].now - RETENTION;
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for &i in &keyed {
        let w = &writes[i];
        let key = w.key.as_ref().expect("keyed writes have a key");
        let reply = &w.reply;
        query = query
            .bind(household_id)
            .bind(&w.member_id)
            .bind(&key.method)
            .bind(&key.path)
            .bind(&key.key)
            .bind(&key.request_hash)
            .bind(i64::from(reply.status.as_u16()))
            .bind(String::from_utf8_lossy(&reply.body).into_owned())
            .bind(reply.etag.clone())
            .bind(format_instant(w.now));
    }
    let query = query.bind(format_instant(cutoff));
    let claimed: HashSet<(String, String, String)> = query
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("member_id")?,
                r.try_get("path")?,
                r.try_get("idem_key")?,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    for i in keyed {
        let w = &writes[i];
        let key = w.key.as_ref().expect("keyed writes have a key");
        if claimed.contains(&(w.member_id.clone(), key.path.clone(), key.key.clone())) {
            proceed.push(i);
        } else {
            outcomes[i] = Some(UsageOutcome::KeyTaken);
        }
    }
    Ok(proceed)
}

/// Inserts the events whose item exists, stamped with the batch's change sequence; returns the
/// ids of those stored.
async fn insert_events(
    conn: &mut AnyConnection,
    household_id: &str,
    writes: &[UsageWrite],
    candidates: &[usize],
    seq: i64,
) -> Result<HashSet<String>, DbError> {
    let rows = statement_rows(candidates.len());
    let mut params = Params::new(conn);
    let seq_param = params.next();
    let values = params.rows(rows, 7);
    let sql = format!(
        "INSERT INTO usage_events
           (household_id, id, inv_id, qty_used, used_on, notes, source, created_at, seq)
         SELECT i.household_id, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6,
                v.column7, {seq_param}
         FROM (VALUES {values}) AS v
         JOIN inventory_items i ON i.household_id = {} AND i.id = v.column2
         RETURNING id",
        params.next()
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(seq);
    for &i in candidates {
        let e = &writes[i].event;
        query = query
            .bind(Some(e.id.as_str()))
            .bind(Some(e.inv_id.as_str()))
            .bind(Some(e.qty_used.milli()))
            .bind(Some(format_day(e.used_on)))
            .bind(e.notes.clone())
            .bind(Some(e.source.as_str()))
            .bind(Some(e.created_at.as_str()));
    }
    for _ in candidates.len()..rows {
        query = query
            .bind(None::<&str>)
            .bind(None::<&str>)
            .bind(None::<i64>)
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(None::<&str>)
            .bind(None::<&str>);
    }
    Ok(query
        .bind(household_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("id"))
        .collect::<Result<_, _>>()?)
}

/// The slow path: one write in its own transaction.
async fn write_one(db: &Db, write: &UsageWrite) -> Result<UsageOutcome, DbError> {
    let mut tx = db.begin().await?;
    let conn = tx.conn();
    let exists =
        crate::inventory::store::get_item(&mut *conn, &write.household_id, &write.event.inv_id)
            .await?
            .is_some();
    if !exists {
        return Ok(UsageOutcome::UnknownItem);
    }
    store::insert_usage(&mut *conn, &write.household_id, &write.event).await?;
    if let Some(key) = &write.key
        && !idempotency::save_key(
            conn,
            &write.household_id,
            &write.member_id,
            key,
            &write.reply,
            write.now,
        )
        .await?
    {
        return Ok(UsageOutcome::KeyTaken);
    }
    tx.commit().await?;
    Ok(UsageOutcome::Created(write.reply.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_params_follow_text_order() {
        let mut params = Params {
            anonymous: false,
            count: 0,
        };
        assert_eq!(params.next(), "$1");
        assert_eq!(params.rows(2, 2), "($2, $3), ($4, $5)");
        assert_eq!(params.list(2), "$6, $7");
    }

    #[test]
    fn sqlite_params_are_anonymous() {
        let mut params = Params {
            anonymous: true,
            count: 0,
        };
        assert_eq!(params.rows(1, 3), "(?, ?, ?)");
        assert_eq!(params.next(), "?");
        assert_eq!(params.count, 4);
    }

    #[test]
    fn statement_shapes_are_powers_of_two() {
        let shapes: Vec<usize> = [0, 1, 2, 3, 5, 8, 9, 300, 512].map(statement_rows).to_vec();
        assert_eq!(shapes, [1, 1, 2, 4, 8, 8, 16, 512, 512]);
    }
}
