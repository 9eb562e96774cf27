//! Pushing reminders (bills, shopping digest, schedule, approvals) and the inbox. One path for
//! the routes, Heimdall's actions and the tick; each works in the caller's transaction.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{
    self, DIGEST_NAMES, Draft, Pushed, Reminder, ReminderKind, bill_reminder, occurrence_reminder,
    shopping_digest,
};
use super::store;
use crate::approvals::model::Approval;
use crate::bills::model::REMIND_MAX_DAYS;
use crate::bills::store as bill_store;
use crate::db::DbError;
use crate::domain::day::local_today;
use crate::error::ApiError;
use crate::household::model::Settings;
use crate::pagination::PageRequest;
use crate::schedule::model::REMIND_MAX;
use crate::schedule::occurrence::Window;
use crate::schedule::service as schedule;
use crate::shopping::model::Status;
use crate::shopping::service as shopping_service;
use crate::shopping::store as shopping_store;
use crate::webhooks;

/// Stores each draft once; the ones already pushed count as skipped.
async fn push(
    conn: &mut AnyConnection,
    household_id: &str,
    drafts: Vec<Draft>,
    now: DateTime<Utc>,
) -> Result<Pushed, ApiError> {
    let mut created = Vec::new();
    let mut skipped = 0;
    for draft in &drafts {
        match store::insert_once(conn, household_id, draft, now).await? {
            Some(reminder) => {
                // Announced in this same transaction (the outbox). A new approval is announced
                // as `approval.requested` where it is created, not twice.
                if reminder.kind != ReminderKind::Approval {
                    let data = serde_json::to_value(&reminder).map_err(ApiError::internal)?;
                    webhooks::enqueue(conn, household_id, webhooks::REMINDER_CREATED, &data, now)
                        .await?;
                }
                created.push(reminder);
            }
            None => skipped += 1,
        }
    }
    Ok(Pushed { created, skipped })
}

/// What a push reminds of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Bills,
    Shopping,
    Schedule,
}

/// Pushes the reminders of `source` that are due today.
pub async fn push_due(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    source: Source,
) -> Result<Pushed, ApiError> {
    match source {
        Source::Bills => push_bills(conn, household_id, settings, now).await,
        Source::Shopping => push_shopping(conn, household_id, settings, now).await,
        Source::Schedule => push_schedule(conn, household_id, settings, now).await,
    }
}

/// Reminders for unpaid bills whose due date is within their `remind_days_before` (overdue
/// ones included), one per bill and period.
async fn push_bills(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Pushed, ApiError> {
    let today = local_today(now, settings.timezone);
    let horizon = today + chrono::Days::new(REMIND_MAX_DAYS.unsigned_abs());
    let mut drafts = Vec::new();
    for record in bill_store::unpaid_due_by(conn, household_id, horizon).await? {
        if let Some(draft) = bill_reminder(&record.to_bill(today)?, today) {
            drafts.push(draft);
        }
    }
    push(conn, household_id, drafts, now).await
}

/// Reminders for schedule occurrences from today on that fall within their event's
/// `remind_days_before`, one per event and date.
async fn push_schedule(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Pushed, ApiError> {
    let today = local_today(now, settings.timezone);
    let window = Window::ahead(today, REMIND_MAX, "remind_days_before")
        .map_err(|e| ApiError::internal(e.message))?;
    let drafts = schedule::occurrences(conn, household_id, window, None)
        .await?
        .iter()
        .filter_map(|found| occurrence_reminder(found, today))
        .collect();
    push(conn, household_id, drafts, now).await
}

/// One digest of the open shopping list per day, when the list has anything on it.
async fn push_shopping(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Pushed, ApiError> {
    let today = local_today(now, settings.timezone);
    let (count, total) =
        shopping_service::open_summary(conn, household_id, settings.currency).await?;
    let first = PageRequest::new(Some(DIGEST_NAMES as u32), None)?;
    let names: Vec<String> =
        shopping_store::list_items(conn, household_id, Some(Status::Open), &first)
            .await?
            .into_iter()
            .take(DIGEST_NAMES)
            .map(|record| record.name)
            .collect();
    let drafts = shopping_digest(household_id, &names, count, &total.to_string(), today)
        .into_iter()
        .collect();
    push(conn, household_id, drafts, now).await
}

/// Puts a new pending approval in the inbox (called where approvals are created).
pub async fn remind_approval(
    conn: &mut AnyConnection,
    household_id: &str,
    approval: &Approval,
    today: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let draft = model::approval_reminder(approval, today);
    push(conn, household_id, vec![draft], now).await?;
    Ok(())
}

/// Takes a decided approval out of the inbox.
pub async fn approval_decided(
    conn: &mut AnyConnection,
    household_id: &str,
    approval_id: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    store::dismiss_subject(conn, household_id, ReminderKind::Approval, approval_id, now).await
}

/// Dismisses a reminder; dismissing it again changes nothing.
pub async fn dismiss(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    member_id: &str,
    now: DateTime<Utc>,
) -> Result<Reminder, ApiError> {
    store::dismiss(conn, household_id, id, member_id, now)
        .await?
        .ok_or_else(|| ApiError::not_found("reminder"))
}
