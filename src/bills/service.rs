//! Paying bills: shared by the route and (later) Heimdall's `bills.paid` and autopay.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{Bill, BillStatus, MarkPaid, next_due, payment_memo};
use super::store::{self, Payment};
use crate::domain::day::local_today;
use crate::error::ApiError;
use crate::household::model::Settings;
use crate::ledger::model::{EntryKind, NewEntry, Source};
use crate::ledger::service::post_entry;

/// Pays the bill's current period, in the caller's transaction: appends the ledger expense,
/// records the paid period, and moves a recurring bill to its next due date (a one-off bill,
/// or the last of a series, becomes `paid`).
///
/// 409 when the bill is already paid, when `input.period` names a period that is no longer
/// the current one, or when that period has a payment already. 400 (`amount`) when the bill is
/// in another currency than the ledger and no amount is given.
pub async fn mark_paid(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    id: &str,
    input: MarkPaid,
) -> Result<Bill, ApiError> {
    let today = local_today(now, settings.timezone);
    let record = store::lock_bill(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("bill"))?;
    let bill = record.fields()?;
    let period = bill.due_on;
    if record.status()? == BillStatus::Paid {
        return Err(ApiError::conflict("this bill is already paid"));
    }
    if let Some(expected) = input.period
        && expected != period
    {
        return Err(ApiError::conflict(format!(
            "the period due on {expected} is not open: the bill is now due on {period}"
        )));
    }
    let amount = match input.amount {
        Some(amount) => amount,
        None if bill.amount.currency() == settings.currency => bill.amount,
        None => {
            return Err(ApiError::field(
                "amount",
                format!(
                    "the bill is in {} but the ledger is kept in {}: give the amount paid",
                    bill.amount.currency(),
                    settings.currency
                ),
            ));
        }
    };
    let paid_on = input.paid_on.unwrap_or(today);
    // A payment that names no period pays the current one, unless this bill was already paid
    // with the same payment date: a repeated or concurrent "paid" (a double click, two devices)
    // must not silently pay next month too. Paying two periods on one day names the second.
    if input.period.is_none() && record.to_bill(today)?.last_paid_on == Some(paid_on) {
        return Err(ApiError::conflict(format!(
            "this bill was already paid on {paid_on}; to pay the period due on {period} as well, \
             send due_on"
        )));
    }
    let entry = NewEntry {
        kind: EntryKind::Expense,
        amount,
        date: paid_on,
        category: bill.category.clone(),
        memo: Some(payment_memo(&bill.name, bill.payee.as_deref(), period)),
        source: Source::Bill(id.to_string()),
    };
    let entry = post_entry(conn, household_id, settings, now, &entry).await?;
    let payment = Payment {
        bill_id: id,
        period,
        paid_on,
        amount,
        ledger_entry_id: &entry.id,
    };
    if !store::insert_payment(conn, household_id, &payment, now).await? {
        return Err(ApiError::conflict(format!(
            "the period due on {period} is already paid"
        )));
    }
    let next = next_due(bill.rrule.as_ref(), record.series_start()?, period);
    let settled = store::settle_period(conn, household_id, id, period, next, paid_on, now)
        .await?
        .ok_or_else(|| ApiError::conflict(format!("the period due on {period} is already paid")))?;
    Ok(settled.to_bill(today)?)
}
