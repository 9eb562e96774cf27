//! Receipt operations shared by the routes, shopping's `bought` and (later) Heimdall's
//! `receipts.create`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;

use super::model::{LedgerOutcome, LedgerStatus, NewReceiptInput, Receipt, ledger_memo};
use super::store;
use crate::domain::day::local_today;
use crate::domain::new_id;
use crate::error::ApiError;
use crate::extract::IfMatch;
use crate::household::model::Settings;
use crate::ledger::model::{EntryKind, NewEntry, Source};
use crate::ledger::service::{PostError, post_entry};

const SAVEPOINT: &str = "receipt_ledger_post";

/// Stores a receipt in the caller's transaction and, unless `post_to_ledger` is false, posts it
/// to the ledger as an expense. Posting is best effort: when it fails the receipt is stored
/// anyway, with `ledger_status: failed` and the reason.
pub async fn create_receipt(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    input: NewReceiptInput,
) -> Result<Receipt, ApiError> {
    let id = new_id();
    let date = input
        .date
        .unwrap_or_else(|| local_today(now, settings.timezone));
    let outcome = if input.post_to_ledger {
        let entry = expense_for(&id, &input, date);
        post_best_effort(conn, household_id, settings, now, &entry).await?
    } else {
        LedgerOutcome::Skipped
    };
    store::insert_receipt(conn, household_id, &id, &input, date, &outcome, now).await?;
    fetch(conn, household_id, &id).await
}

/// Posts a receipt that was skipped or whose posting failed. 409 when it is already posted:
/// a receipt is never posted twice (a unique index on the ledger enforces it too).
pub async fn post_receipt(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    id: &str,
) -> Result<Receipt, ApiError> {
    let receipt = store::lock_receipt(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("receipt"))?;
    if receipt.ledger_status == LedgerStatus::Posted {
        return Err(ApiError::conflict(
            "this receipt is already posted to the ledger",
        ));
    }
    let entry = NewEntry {
        kind: EntryKind::Expense,
        amount: receipt.amount,
        date: receipt.date,
        category: receipt.category.clone(),
        memo: Some(ledger_memo(receipt.vendor.as_deref())),
        source: Source::Receipt(id.to_string()),
    };
    let outcome = post_best_effort(conn, household_id, settings, now, &entry).await?;
    store::set_ledger_outcome(conn, household_id, id, &outcome, now).await?;
    fetch(conn, household_id, id).await
}

/// Stores (or replaces) a receipt's attachment in the caller's transaction: `bytes` were read
/// within [`super::attachment::MAX_ATTACHMENT_BYTES`] and `content_type` recognised from them
/// by [`super::attachment::content_type`]. Honors `If-Match` against the receipt's version.
pub async fn attach(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    if_match: Option<IfMatch>,
    content_type: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<Receipt, ApiError> {
    let current = store::lock_receipt(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("receipt"))?;
    IfMatch::check(if_match, current.version)?;
    let sha256 = super::attachment::sha256_hex(bytes);
    let new = store::NewAttachment {
        content_type,
        sha256: &sha256,
        bytes,
    };
    store::put_attachment(conn, household_id, id, &new, now).await?;
    fetch(conn, household_id, id).await
}

async fn fetch(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
) -> Result<Receipt, ApiError> {
    store::get_receipt(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::internal(format!("receipt {id} vanished in its own transaction")))
}

fn expense_for(id: &str, input: &NewReceiptInput, date: NaiveDate) -> NewEntry {
    NewEntry {
        kind: EntryKind::Expense,
        amount: input.amount,
        date,
        category: input.category.clone(),
        memo: Some(ledger_memo(input.vendor.as_deref())),
        source: Source::Receipt(id.to_string()),
    }
}

/// Posts `entry` inside a savepoint, so that a failure (which on PostgreSQL would abort the
/// whole transaction) is undone alone and the caller's transaction carries on.
async fn post_best_effort(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    entry: &NewEntry,
) -> Result<LedgerOutcome, ApiError> {
    savepoint(conn, "SAVEPOINT").await?;
    match post_entry(conn, household_id, settings, now, entry).await {
        Ok(posted) => {
            savepoint(conn, "RELEASE SAVEPOINT").await?;
            Ok(LedgerOutcome::Posted {
                entry_id: posted.id,
            })
        }
        Err(err) => {
            let receipt_id = entry.source.source_id().unwrap_or("");
            match &err {
                PostError::Invalid(_) => tracing::info!(
                    household.id = household_id, receipt.id = receipt_id, error = %err,
                    "the ledger refused a receipt; the receipt is kept"
                ),
                PostError::Db(_) => tracing::warn!(
                    household.id = household_id, receipt.id = receipt_id, error = %err,
                    "posting a receipt to the ledger failed; the receipt is kept"
                ),
            }
            savepoint(conn, "ROLLBACK TO SAVEPOINT").await?;
            savepoint(conn, "RELEASE SAVEPOINT").await?;
            Ok(LedgerOutcome::Failed {
                reason: err.reason(),
            })
        }
    }
}

async fn savepoint(conn: &mut AnyConnection, verb: &str) -> Result<(), ApiError> {
    sqlx::query(sqlx::AssertSqlSafe(format!("{verb} {SAVEPOINT}")))
        .execute(conn)
        .await?;
    Ok(())
}
