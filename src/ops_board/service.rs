//! Assembling the ops board from each module's bounded, indexed reads. The API route and the
//! web page both call [`board`]. The reads are independent, so they run side by side on a few
//! pooled connections: the board costs about as much as its slowest part, not their sum.

use chrono::NaiveDate;

use super::model::*;
use crate::app::App;
use crate::approvals::model::{Approval, ApprovalStatus};
use crate::approvals::store::{self as approvals, ApprovalFilter};
use crate::bills::model::Bill;
use crate::bills::store::{self as bills, BillFilter};
use crate::budget::model::{BudgetMonth, Month};
use crate::budget::service as budget;
use crate::domain::day::{format_instant, local_today};
use crate::domain::money::{Currency, Money};
use crate::error::ApiError;
use crate::extract::Caller;
use crate::heimdall::log::{self as heimdall_log, LogEntry};
use crate::household::model::Settings;
use crate::inventory::model::Item;
use crate::inventory::store as inventory;
use crate::pagination::PageRequest;
use crate::reminders::store as reminders;
use crate::schedule::occurrence::{Occurrence, Window};
use crate::schedule::service as schedule;
use crate::shopping::model::{ShoppingItem, Status};
use crate::shopping::service as shopping_service;
use crate::shopping::store as shopping;

fn first_page(limit: u32) -> Result<PageRequest, ApiError> {
    PageRequest::new(Some(limit), None)
}

struct Stock {
    low_stock: Vec<Item>,
    low_stock_count: u64,
    shopping_open: Vec<ShoppingItem>,
    shopping_open_count: u64,
    shopping_est_total: Money,
}

async fn stock(app: &App, household_id: &str, currency: Currency) -> Result<Stock, ApiError> {
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
    let (shopping_open_count, shopping_est_total) =
        shopping_service::open_summary(&mut conn, household_id, currency).await?;
    Ok(Stock {
        low_stock: low.iter().map(|record| record.to_item()).collect(),
        low_stock_count,
        shopping_open: open.iter().map(|record| record.to_item()).collect(),
        shopping_open_count,
        shopping_est_total,
    })
}

async fn calendar(
    app: &App,
    household_id: &str,
    today: NaiveDate,
) -> Result<(Vec<Bill>, Vec<Occurrence>), ApiError> {
    let mut conn = app.db.read().await?;
    let filter = BillFilter {
        status: None,
        due_by: Some(today + chrono::Days::new(BILLS_DAYS)),
        overdue: None,
        today,
    };
    let mut due =
        bills::list_bills(&mut conn, household_id, &filter, &first_page(BILLS_LIMIT)?).await?;
    due.truncate(BILLS_LIMIT as usize);
    let bills_due = due
        .iter()
        .map(|record| record.to_bill(today))
        .collect::<Result<Vec<_>, _>>()?;
    let window = Window::new(today, today + chrono::Days::new(SCHEDULE_DAYS))
        .map_err(|e| ApiError::internal(e.message))?;
    let mut upcoming: Vec<Occurrence> =
        schedule::occurrences(&mut conn, household_id, window, None)
            .await?
            .iter()
            .map(|found| found.occurrence())
            .collect();
    upcoming.truncate(SCHEDULE_LIMIT);
    Ok((bills_due, upcoming))
}

async fn attention(
    app: &App,
    household_id: &str,
) -> Result<(Vec<Approval>, Vec<LogEntry>, u64), ApiError> {
    let mut conn = app.db.read().await?;
    let pending = ApprovalFilter {
        status: Some(ApprovalStatus::Pending),
        target_type: None,
        target_id: None,
    };
    let mut waiting = approvals::list(
        &mut conn,
        household_id,
        &pending,
        &first_page(APPROVALS_LIMIT)?,
    )
    .await?;
    waiting.truncate(APPROVALS_LIMIT as usize);
    let mut actions =
        heimdall_log::list(&mut conn, household_id, &first_page(ACTIONS_LIMIT)?).await?;
    actions.truncate(ACTIONS_LIMIT as usize);
    let inbox_count = reminders::inbox_count(&mut conn, household_id).await?;
    Ok((waiting, actions, inbox_count))
}

async fn money(
    app: &App,
    household_id: &str,
    settings: &Settings,
    today: NaiveDate,
) -> Result<BudgetMonth, ApiError> {
    let mut conn = app.db.read().await?;
    budget::month_view(&mut conn, household_id, settings, today, Month::of(today)).await
}

/// The board for the caller's household, now.
pub async fn board(app: &App, caller: &Caller) -> Result<OpsBoard, ApiError> {
    let household_id = caller.household_id.as_str();
    let settings = &caller.settings;
    let now = app.clock.now();
    let today = local_today(now, settings.timezone);
    let (
        stock,
        (bills_due, schedule_upcoming),
        (approvals_pending, heimdall_actions, inbox_count),
        budget,
        forecast_rollup,
    ) = tokio::try_join!(
        stock(app, household_id, settings.currency),
        calendar(app, household_id, today),
        attention(app, household_id),
        money(app, household_id, settings, today),
        async {
            Ok::<_, ApiError>(
                app.forecast
                    .rollup(
                        &app.db,
                        household_id,
                        today,
                        ROLLUP_WINDOW_DAYS,
                        ROLLUP_LIMIT,
                    )
                    .await?,
            )
        },
    )?;
    Ok(OpsBoard {
        generated_at: format_instant(now),
        today,
        currency: settings.currency.code().to_string(),
        low_stock: stock.low_stock,
        low_stock_count: stock.low_stock_count,
        forecast_rollup,
        shopping_open: stock.shopping_open,
        shopping_open_count: stock.shopping_open_count,
        shopping_est_total: stock.shopping_est_total,
        bills_due,
        schedule_upcoming,
        approvals_pending,
        heimdall_actions,
        cash_balance: budget.cash_balance,
        budget,
        inbox_count,
    })
}
