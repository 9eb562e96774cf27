//! Budget computations shared by the routes and (later) Heimdall's `budget.impact`.

use chrono::NaiveDate;
use sqlx::AnyConnection;

use super::model::{BudgetMonth, Impact, Month, impact, limit_in, month_lines};
use super::store;
use crate::domain::money::Money;
use crate::error::ApiError;
use crate::household::model::Settings;
use crate::ledger::service::cash_balance;
use crate::ledger::store as ledger_store;

/// Limits, spending and remaining per category for `month`, with today's cash balance.
pub async fn month_view(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    today: NaiveDate,
    month: Month,
) -> Result<BudgetMonth, ApiError> {
    let currency = settings.currency;
    let limits = store::all_limits(conn, household_id).await?;
    let spent =
        ledger_store::expenses_by_category(conn, household_id, currency, month.first, month.last)
            .await?;
    let categories = month_lines(&limits, &spent, currency)
        .map_err(|e| ApiError::internal(format!("budget month: {e}")))?;
    Ok(BudgetMonth {
        month: month.label(),
        categories,
        cash_balance: cash_balance(conn, household_id, currency, today).await?,
        min_cash_buffer: settings.min_cash_buffer,
    })
}

/// What spending `amount` today (in `category`) would do to the cash buffer and the
/// category's budget for the current month.
pub async fn impact_of(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    today: NaiveDate,
    amount: Money,
    category: Option<&str>,
) -> Result<Impact, ApiError> {
    let currency = settings.currency;
    let balance = cash_balance(conn, household_id, currency, today).await?;
    let category_state = match category {
        None => None,
        Some(name) => {
            let month = Month::of(today);
            let limit = store::get_limit(conn, household_id, name)
                .await?
                .map(|l| limit_in(l.monthly_limit, currency));
            let spent = ledger_store::totals(
                conn,
                household_id,
                currency,
                Some(month.first),
                Some(month.last),
                Some(name),
            )
            .await?
            .expense;
            Some((limit, spent))
        }
    };
    impact(amount, balance, settings.min_cash_buffer, category_state)
}
