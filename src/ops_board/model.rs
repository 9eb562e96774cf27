//! The ops board [P-OPSBOARD-7]: everything a household should see at a glance, each list
//! bounded so the board costs the same with ten items or fifty thousand.

use serde::Serialize;

use crate::approvals::model::Approval;
use crate::bills::model::Bill;
use crate::budget::model::BudgetMonth;
use crate::domain::money::Money;
use crate::forecast::model::Forecast;
use crate::heimdall::log::LogEntry;
use crate::inventory::model::Item;
use crate::schedule::occurrence::Occurrence;
use crate::shopping::model::ShoppingItem;

/// Most low-stock items listed (all are counted).
pub const LOW_STOCK_LIMIT: i64 = 50;
/// Items in "runs out soonest".
pub const ROLLUP_LIMIT: usize = 10;
/// Days of usage the rollup averages.
pub const ROLLUP_WINDOW_DAYS: u32 = 30;
/// Most open shopping items listed (all are counted and summed).
pub const SHOPPING_LIMIT: u32 = 50;
/// Bills due within this many days are listed (with every overdue one).
pub const BILLS_DAYS: u64 = 14;
/// Most bills listed.
pub const BILLS_LIMIT: u32 = 50;
/// The schedule covers today and the next six days.
pub const SCHEDULE_DAYS: u64 = 6;
/// Most occurrences listed.
pub const SCHEDULE_LIMIT: usize = 100;
/// Most pending approvals listed.
pub const APPROVALS_LIMIT: u32 = 100;
/// Latest Heimdall actions listed.
pub const ACTIONS_LIMIT: u32 = 20;

/// `GET /core/ops_board`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OpsBoard {
    pub generated_at: String,
    /// The household's local date the board was made for.
    #[schema(value_type = String, format = Date)]
    pub today: chrono::NaiveDate,
    pub currency: String,
    /// Low-stock items by name (at most 50).
    pub low_stock: Vec<Item>,
    /// How many items are low on stock in all.
    pub low_stock_count: u64,
    /// The 10 items that run out soonest (30-day window).
    pub forecast_rollup: Vec<Forecast>,
    /// Open shopping items, oldest first (at most 50).
    pub shopping_open: Vec<ShoppingItem>,
    /// How many items are open in all.
    pub shopping_open_count: u64,
    /// Estimated total of every open item.
    #[schema(value_type = String, example = "86.40")]
    pub shopping_est_total: Money,
    /// Unpaid bills overdue or due within 14 days, by due date (at most 50).
    pub bills_due: Vec<Bill>,
    /// Schedule occurrences today and the next 6 days (at most 100).
    pub schedule_upcoming: Vec<Occurrence>,
    /// Pending approvals, newest first (at most 100).
    pub approvals_pending: Vec<Approval>,
    /// The latest Heimdall actions, newest first (at most 20).
    pub heimdall_actions: Vec<LogEntry>,
    /// This month's budget.
    pub budget: BudgetMonth,
    #[schema(value_type = String, example = "1250.00")]
    pub cash_balance: Money,
    /// Undismissed reminders (including pending approvals).
    pub inbox_count: u64,
}
