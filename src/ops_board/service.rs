//! Assembling the ops board from each module's bounded, indexed reads. The API route and the
//! web page both call [`board`].

use super::model::*;
use crate::app::App;
use crate::approvals::model::ApprovalStatus;
use crate::approvals::store::{self as approvals, ApprovalFilter};
use crate::bills::store::{self as bills, BillFilter};
use crate::budget::model::Month;
use crate::budget::service as budget;
use crate::domain::day::{format_instant, local_today};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::heimdall::log as heimdall_log;
use crate::inventory::store as inventory;
use crate::pagination::PageRequest;
use crate::reminders::store as reminders;
use crate::schedule::occurrence::Window;
use crate::schedule::service as schedule;
use crate::shopping::model::Status;
use crate::shopping::store as shopping;

fn first_page(limit: u32) -> Result<PageRequest, ApiError> {
    PageRequest::new(Some(limit), None)
}

/// The board for the caller's household, now.
pub async fn board(app: &App, caller: &Caller) -> Result<OpsBoard, ApiError> {
    let household_id = caller.household_id.as_str();
    let settings = &caller.settings;
    let now = app.clock.now();
    let today = local_today(now, settings.timezone);
    let mut conn = app.db.read().await?;

    let (low, low_stock_count) =
        inventory::low_stock(&mut conn, household_id, LOW_STOCK_LIMIT).await?;

    let mut open = shopping::list_items(
        &mut conn,
        household_id,
        Some(Status::Open),
        &first_page(SHOPPING_LIMIT)?,
    )
    .await?;
    open.truncate(SHOPPING_LIMIT as usize);
    let totals = shopping::open_totals(&mut conn, household_id).await?;
    let shopping_open_count = totals.iter().map(|(_, n, _)| n).sum();
    let groups: Vec<(String, i64)> = totals.into_iter().map(|(c, _, t)| (c, t)).collect();

    let bill_filter = BillFilter {
        status: None,
        due_by: Some(today + chrono::Days::new(BILLS_DAYS)),
        overdue: None,
        today,
    };
    let mut due = bills::list_bills(
        &mut conn,
        household_id,
        &bill_filter,
        &first_page(BILLS_LIMIT)?,
    )
    .await?;
    due.truncate(BILLS_LIMIT as usize);
    let bills_due = due
        .iter()
        .map(|record| record.to_bill(today))
        .collect::<Result<Vec<_>, _>>()?;

    let window = Window::new(today, today + chrono::Days::new(SCHEDULE_DAYS))
        .map_err(|e| ApiError::internal(e.message))?;
    let mut schedule_upcoming: Vec<_> =
        schedule::occurrences(&mut conn, household_id, window, None)
            .await?
            .iter()
            .map(|found| found.occurrence())
            .collect();
    schedule_upcoming.truncate(SCHEDULE_LIMIT);

    let pending = ApprovalFilter {
        status: Some(ApprovalStatus::Pending),
        target_type: None,
        target_id: None,
    };
    let mut approvals_pending = approvals::list(
        &mut conn,
        household_id,
        &pending,
        &first_page(APPROVALS_LIMIT)?,
    )
    .await?;
    approvals_pending.truncate(APPROVALS_LIMIT as usize);

    let mut heimdall_actions =
        heimdall_log::list(&mut conn, household_id, &first_page(ACTIONS_LIMIT)?).await?;
    heimdall_actions.truncate(ACTIONS_LIMIT as usize);

    let budget =
        budget::month_view(&mut conn, household_id, settings, today, Month::of(today)).await?;
    let inbox_count = reminders::inbox_count(&mut conn, household_id).await?;
    drop(conn);

    let forecast_rollup = app
        .forecast
        .rollup(
            &app.db,
            household_id,
            today,
            ROLLUP_WINDOW_DAYS,
            ROLLUP_LIMIT,
        )
        .await?;

    Ok(OpsBoard {
        generated_at: format_instant(now),
        today,
        currency: settings.currency.code().to_string(),
        low_stock: low.iter().map(|record| record.to_item()).collect(),
        low_stock_count,
        forecast_rollup,
        shopping_open: open.iter().map(|record| record.to_item()).collect(),
        shopping_open_count,
        shopping_est_total: open_total(&groups, settings.currency),
        bills_due,
        schedule_upcoming,
        approvals_pending,
        heimdall_actions,
        cash_balance: budget.cash_balance,
        budget,
        inbox_count,
    })
}
