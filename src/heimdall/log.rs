//! The action log: append-only and hash-chained per household.
//!
//! Each entry's `hash` is SHA-256 over the previous entry's hash and a canonical encoding of the
//! entry (a JSON array of its fields in a fixed order), so changing, removing or reordering any
//! entry breaks every hash after it. The database also refuses UPDATE and DELETE on the table.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use crate::db::DbError;
use crate::domain::day::format_instant;
use crate::domain::new_id;
use crate::pagination::PageRequest;

/// The `prev_hash` of a household's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    /// Refused: by the mode guard, a role, the cone, or a gate such as approval-required.
    Denied,
    /// The request itself was wrong: unknown action, bad parameters, unknown target.
    Invalid,
    /// The action failed for another reason (a conflict, an unavailable database).
    Error,
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Invalid => "invalid",
            Outcome::Error => "error",
        }
    }

    fn parse(text: &str) -> Outcome {
        match text {
            "ok" => Outcome::Ok,
            "denied" => Outcome::Denied,
            "invalid" => Outcome::Invalid,
            _ => Outcome::Error,
        }
    }
}

/// One logged attempt.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LogEntry {
    pub id: String,
    /// Gapless, from 1, per household.
    pub seq: i64,
    pub at: String,
    /// The member's name, or `scheduler`.
    pub actor: String,
    pub action: String,
    pub mode: String,
    /// The parameters as they were sent (any JSON value: a refused attempt is logged as asked).
    #[schema(value_type = Value)]
    pub params: serde_json::Value,
    pub reason: Option<String>,
    pub outcome: Outcome,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// What to append.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    pub actor: &'a str,
    pub actor_member_id: Option<&'a str>,
    pub action: &'a str,
    pub mode: &'a str,
    pub params: &'a serde_json::Value,
    pub reason: Option<&'a str>,
    pub outcome: Outcome,
    pub detail: &'a str,
    pub at: DateTime<Utc>,
}

/// The stored fields that the hash covers, in their stored (text) form.
struct Hashed<'a> {
    household_id: &'a str,
    seq: i64,
    id: &'a str,
    at: &'a str,
    actor: &'a str,
    actor_member_id: Option<&'a str>,
    action: &'a str,
    mode: &'a str,
    params: &'a str,
    reason: Option<&'a str>,
    outcome: &'a str,
    detail: &'a str,
}

impl Hashed<'_> {
    /// A JSON array of the fields in a fixed order: unambiguous and stable.
    fn canonical(&self) -> String {
        serde_json::json!([
            self.household_id,
            self.seq,
            self.id,
            self.at,
            self.actor,
            self.actor_member_id,
            self.action,
            self.mode,
            self.params,
            self.reason,
            self.outcome,
            self.detail
        ])
        .to_string()
    }

    fn hash(&self, prev_hash: &str) -> String {
        let mut hasher = Sha256::new();
        hasher.update(prev_hash.as_bytes());
        hasher.update(b"\n");
        hasher.update(self.canonical().as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// Appends an entry in the caller's transaction. The head row's lock orders appends, so the
/// sequence stays gapless under concurrency.
pub async fn append(
    conn: &mut AnyConnection,
    household_id: &str,
    entry: &NewEntry<'_>,
) -> Result<LogEntry, DbError> {
    sqlx::query(
        "INSERT INTO heimdall_heads (household_id, seq, head_hash) VALUES ($1, 0, $2)
         ON CONFLICT (household_id) DO NOTHING",
    )
    .bind(household_id)
    .bind(GENESIS)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE heimdall_heads SET seq = seq WHERE household_id = $1")
        .bind(household_id)
        .execute(&mut *conn)
        .await?;
    let head = sqlx::query("SELECT seq, head_hash FROM heimdall_heads WHERE household_id = $1")
        .bind(household_id)
        .fetch_one(&mut *conn)
        .await?;
    let seq: i64 = head.try_get::<i64, _>("seq")? + 1;
    let prev_hash: String = head.try_get("head_hash")?;
    let id = new_id();
    let at = format_instant(entry.at);
    let params = entry.params.to_string();
    let hash = Hashed {
        household_id,
        seq,
        id: &id,
        at: &at,
        actor: entry.actor,
        actor_member_id: entry.actor_member_id,
        action: entry.action,
        mode: entry.mode,
        params: &params,
        reason: entry.reason,
        outcome: entry.outcome.as_str(),
        detail: entry.detail,
    }
    .hash(&prev_hash);
    sqlx::query(
        "INSERT INTO heimdall_actions (household_id, seq, id, at, actor, actor_member_id, action,
           mode, params, reason, outcome, detail, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(household_id)
    .bind(seq)
    .bind(&id)
    .bind(&at)
    .bind(entry.actor)
    .bind(entry.actor_member_id.map(str::to_string))
    .bind(entry.action)
    .bind(entry.mode)
    .bind(&params)
    .bind(entry.reason.map(str::to_string))
    .bind(entry.outcome.as_str())
    .bind(entry.detail)
    .bind(&prev_hash)
    .bind(&hash)
    .execute(&mut *conn)
    .await?;
    sqlx::query("UPDATE heimdall_heads SET seq = $1, head_hash = $2 WHERE household_id = $3")
        .bind(seq)
        .bind(&hash)
        .bind(household_id)
        .execute(conn)
        .await?;
    Ok(LogEntry {
        id,
        seq,
        at,
        actor: entry.actor.to_string(),
        action: entry.action.to_string(),
        mode: entry.mode.to_string(),
        params: entry.params.clone(),
        reason: entry.reason.map(str::to_string),
        outcome: entry.outcome,
        detail: entry.detail.to_string(),
        prev_hash,
        hash,
    })
}

#[derive(sqlx::FromRow)]
struct StoredEntry {
    seq: i64,
    id: String,
    at: String,
    actor: String,
    actor_member_id: Option<String>,
    action: String,
    mode: String,
    params: String,
    reason: Option<String>,
    outcome: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

impl StoredEntry {
    fn hashed<'a>(&'a self, household_id: &'a str) -> Hashed<'a> {
        Hashed {
            household_id,
            seq: self.seq,
            id: &self.id,
            at: &self.at,
            actor: &self.actor,
            actor_member_id: self.actor_member_id.as_deref(),
            action: &self.action,
            mode: &self.mode,
            params: &self.params,
            reason: self.reason.as_deref(),
            outcome: &self.outcome,
            detail: &self.detail,
        }
    }

    fn into_entry(self) -> LogEntry {
        LogEntry {
            params: serde_json::from_str(&self.params).unwrap_or(serde_json::Value::Null),
            outcome: Outcome::parse(&self.outcome),
            id: self.id,
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            action: self.action,
            mode: self.mode,
            reason: self.reason,
            detail: self.detail,
            prev_hash: self.prev_hash,
            hash: self.hash,
        }
    }
}

const COLUMNS: &str = "seq, id, at, actor, actor_member_id, action, mode, params, reason, \
     outcome, detail, prev_hash, hash";

/// Newest first.
pub async fn list(
    conn: &mut AnyConnection,
    household_id: &str,
    page: &PageRequest,
) -> Result<Vec<LogEntry>, DbError> {
    let before: Option<i64> = page.after_part(0).and_then(|s| s.parse().ok());
    let sql = format!(
        "SELECT {COLUMNS} FROM heimdall_actions
         WHERE household_id = $1 AND ($2 IS NULL OR seq < $2)
         ORDER BY seq DESC LIMIT $3"
    );
    Ok(sqlx::query_as::<_, StoredEntry>(sqlx::AssertSqlSafe(sql))
        .bind(household_id)
        .bind(before)
        .bind(page.fetch_limit())
        .fetch_all(conn)
        .await?
        .into_iter()
        .map(StoredEntry::into_entry)
        .collect())
}

/// The result of checking a household's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verification {
    pub ok: bool,
    /// Entries checked.
    pub entries: i64,
    /// The hash of the last good entry (the genesis value for an empty log).
    pub head_hash: String,
    /// The first sequence number that is missing, altered or out of place.
    pub first_bad_seq: Option<i64>,
    /// What is wrong there.
    pub problem: Option<String>,
}

/// Recomputes the chain from the first entry (streamed).
pub async fn verify(conn: &mut AnyConnection, household_id: &str) -> Result<Verification, DbError> {
    let mut expected = 1i64;
    let mut prev = GENESIS.to_string();
    let mut bad: Option<(i64, String)> = None;
    {
        let sql =
            format!("SELECT {COLUMNS} FROM heimdall_actions WHERE household_id = $1 ORDER BY seq");
        let mut rows = sqlx::query_as::<_, StoredEntry>(sqlx::AssertSqlSafe(sql))
            .bind(household_id)
            .fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            if row.seq != expected {
                bad = Some((expected, format!("entry {expected} is missing")));
                break;
            }
            if row.prev_hash != prev {
                bad = Some((
                    row.seq,
                    "prev_hash does not match the previous entry".into(),
                ));
                break;
            }
            if row.hashed(household_id).hash(&prev) != row.hash {
                bad = Some((
                    row.seq,
                    "the entry's content does not match its hash".into(),
                ));
                break;
            }
            prev = row.hash;
            expected += 1;
        }
    }
    let entries = expected - 1;
    if bad.is_none() {
        let head = sqlx::query("SELECT seq, head_hash FROM heimdall_heads WHERE household_id = $1")
            .bind(household_id)
            .fetch_optional(conn)
            .await?;
        if let Some(head) = head {
            let head_seq: i64 = head.try_get("seq")?;
            let head_hash: String = head.try_get("head_hash")?;
            if head_seq != entries || head_hash != prev {
                bad = Some((
                    entries + 1,
                    format!("the log ends at entry {entries} but its head is entry {head_seq}"),
                ));
            }
        }
    }
    Ok(Verification {
        ok: bad.is_none(),
        entries,
        head_hash: prev,
        first_bad_seq: bad.as_ref().map(|b| b.0),
        problem: bad.map(|b| b.1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(params: &str) -> Hashed<'_> {
        Hashed {
            household_id: "h",
            seq: 1,
            id: "i",
            at: "2026-11-25T12:00:00.000000Z",
            actor: "owner",
            actor_member_id: Some("m"),
            action: "forecast.rollup",
            mode: "explore",
            params,
            reason: None,
            outcome: "ok",
            detail: "",
        }
    }

    #[test]
    fn hashes_chain_and_notice_changes() {
        let a = entry("{}").hash(GENESIS);
        assert_eq!(a.len(), 64);
        assert_eq!(a, entry("{}").hash(GENESIS), "deterministic");
        assert_ne!(a, entry("{\"limit\":1}").hash(GENESIS));
        assert_ne!(a, entry("{}").hash(&a), "depends on the previous hash");
    }

    #[test]
    fn canonical_form_is_unambiguous() {
        // Moving text between fields changes the encoding.
        let mut x = entry("{}");
        x.actor = "own";
        x.action = "erforecast.rollup";
        assert_ne!(x.canonical(), entry("{}").canonical());
    }
}
