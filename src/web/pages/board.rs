//! `/`: the ops board — the household at a glance, from `ops_board::service::board` (the same
//! data as `GET /core/ops_board`), with approve/deny on pending approvals right there.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::NaiveDate;

use super::approvals::{ApprovalView, views};
use crate::app::App;
use crate::domain::money::Money;
use crate::ops_board::model::{OpsBoard, ROLLUP_WINDOW_DAYS};
use crate::ops_board::service::board;
use crate::web::auth::Viewer;
use crate::web::error::PageError;
use crate::web::format;
use crate::web::{Layout, Section, page};

/// Open shopping items listed on the board (the rest are counted).
const SHOPPING_SHOWN: usize = 8;
/// Longest Heimdall detail shown.
const DETAIL_MAX: usize = 140;

struct Figures {
    cash: String,
    cash_low: bool,
    buffer: Option<String>,
    shopping_count: u64,
    shopping_total: String,
    approvals: usize,
    inbox: u64,
    spent: String,
}

struct RunsOut {
    name: String,
    qty: String,
    days: String,
    urgency: &'static str,
    date: Option<String>,
}

struct Low {
    name: String,
    qty: String,
    min: String,
    empty: bool,
}

struct BillView {
    name: String,
    payee: Option<String>,
    amount: String,
    due: String,
    when: String,
    overdue: bool,
    autopay: bool,
}

struct DayView {
    label: String,
    items: Vec<EventView>,
}

struct EventView {
    title: String,
    kind: &'static str,
    detail: Option<String>,
}

struct BudgetView {
    category: String,
    spent: String,
    limit: Option<String>,
    remaining: Option<String>,
    over: bool,
    /// `<meter>` figures in minor units: value, max, "getting close" (80 %) and "used up"
    /// marks (the meter turns amber, then red).
    meter: Option<(i64, i64, i64, i64)>,
}

struct ShopView {
    name: String,
    total: Option<String>,
}

struct ActionView {
    at: String,
    actor: String,
    action: String,
    mode: String,
    outcome: &'static str,
    detail: String,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    layout: Layout,
    today: String,
    figures: Figures,
    approvals: Vec<ApprovalView>,
    runs_out: Vec<RunsOut>,
    window_days: u32,
    low_stock: Vec<Low>,
    low_stock_count: u64,
    bills: Vec<BillView>,
    overdue_count: usize,
    days: Vec<DayView>,
    month: String,
    budget: Vec<BudgetView>,
    shopping: Vec<ShopView>,
    shopping_more: u64,
    actions: Vec<ActionView>,
    back: &'static str,
}

/// `2026-11` → `November 2026`.
fn month_label(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map(|d| d.format("%B %Y").to_string())
        .unwrap_or_else(|_| month.to_string())
}

fn day_heading(date: NaiveDate, today: NaiveDate) -> String {
    match (date - today).num_days() {
        0 => "Today".to_string(),
        1 => "Tomorrow".to_string(),
        _ => format::day(date, today),
    }
}

fn budget_line(line: &crate::budget::model::CategoryLine) -> BudgetView {
    let over = line.remaining.as_ref().is_some_and(Money::is_negative);
    BudgetView {
        category: line.category.clone(),
        spent: format::money(&line.spent),
        limit: line.limit.as_ref().map(format::money),
        remaining: line.remaining.as_ref().map(|r| {
            if r.is_negative() {
                let over_by = Money::from_minor(-r.minor(), r.currency());
                format!("{} over", format::money(&over_by))
            } else {
                format!("{} left", format::money(r))
            }
        }),
        over,
        meter: line.limit.filter(|l| l.minor() > 0).map(|l| {
            let max = l.minor();
            let low = max / 10 * 8;
            (line.spent.minor().min(max), max, low, (max - 1).max(low))
        }),
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    }
}

fn render_view(
    b: &OpsBoard,
    viewer: &Viewer,
    layout: Layout,
    approvals: Vec<ApprovalView>,
) -> BoardPage {
    let today = b.today;
    let tz = viewer.caller.settings.timezone;
    let settings = &viewer.caller.settings;
    let buffer = settings.min_cash_buffer;
    let spent = b
        .budget
        .categories
        .iter()
        .map(|c| c.spent.minor())
        .sum::<i64>();
    let figures = Figures {
        cash: format::money(&b.cash_balance),
        cash_low: b.cash_balance.minor() < buffer.minor(),
        buffer: (buffer.minor() > 0).then(|| format::money(&buffer)),
        shopping_count: b.shopping_open_count,
        shopping_total: format::money(&b.shopping_est_total),
        approvals: b.approvals_pending.len(),
        inbox: b.inbox_count,
        spent: format::money(&Money::from_minor(spent, b.cash_balance.currency())),
    };
    let runs_out = b
        .forecast_rollup
        .iter()
        .filter_map(|f| {
            let (days, urgency) = format::days_left(f.days_left.as_deref()?);
            Some(RunsOut {
                name: f.name.clone(),
                qty: f.qty.to_string(),
                days,
                urgency: urgency.css(),
                date: f.depletion_date.map(|d| format::day(d, today)),
            })
        })
        .collect();
    let low_stock = b
        .low_stock
        .iter()
        .map(|i| Low {
            name: i.name.clone(),
            qty: format::qty(i.qty, i.unit.as_deref()),
            min: format::qty(i.min_qty, i.unit.as_deref()),
            empty: i.qty.is_zero(),
        })
        .collect();
    let bills: Vec<BillView> = b
        .bills_due
        .iter()
        .map(|bill| BillView {
            name: bill.name.clone(),
            payee: bill.payee.clone(),
            amount: format::money(&bill.amount),
            due: format::day(bill.due_on, today),
            when: if bill.overdue {
                format!(
                    "overdue {}",
                    format::relative(bill.due_on, today).replace(" ago", "")
                )
            } else {
                format!("due {}", format::relative(bill.due_on, today))
            },
            overdue: bill.overdue,
            autopay: bill.autopay,
        })
        .collect();
    let overdue_count = bills.iter().filter(|b| b.overdue).count();
    let mut days: Vec<DayView> = Vec::new();
    for o in &b.schedule_upcoming {
        let label = day_heading(o.date, today);
        let detail = match (&o.item_name, &o.qty) {
            (Some(name), Some(qty)) if name != &o.title => Some(format!("{qty} × {name}")),
            (Some(name), None) if name != &o.title => Some(name.clone()),
            (_, Some(qty)) => Some(format!("qty {qty}")),
            _ => None,
        };
        let event = EventView {
            title: o.title.clone(),
            kind: o.kind.as_str(),
            detail,
        };
        match days.last_mut() {
            Some(day) if day.label == label => day.items.push(event),
            _ => days.push(DayView {
                label,
                items: vec![event],
            }),
        }
    }
    let shopping = b
        .shopping_open
        .iter()
        .take(SHOPPING_SHOWN)
        .map(|i| ShopView {
            name: i.name.clone(),
            total: i.est_total.as_ref().map(format::money),
        })
        .collect::<Vec<_>>();
    let shopping_more = b.shopping_open_count.saturating_sub(shopping.len() as u64);
    let actions = b
        .heimdall_actions
        .iter()
        .map(|a| ActionView {
            at: chrono::DateTime::parse_from_rfc3339(&a.at)
                .map(|at| {
                    let local = at.with_timezone(&tz);
                    format!(
                        "{} {}",
                        format::day(local.date_naive(), today),
                        local.format("%H:%M")
                    )
                })
                .unwrap_or_else(|_| a.at.clone()),
            actor: a.actor.clone(),
            action: a.action.replace('.', " · ").replace('_', " "),
            mode: a.mode.clone(),
            outcome: a.outcome.as_str(),
            detail: shorten(&a.detail, DETAIL_MAX),
        })
        .collect();
    BoardPage {
        layout,
        today: format::day(today, today),
        figures,
        approvals,
        runs_out,
        window_days: ROLLUP_WINDOW_DAYS,
        low_stock,
        low_stock_count: b.low_stock_count,
        bills,
        overdue_count,
        days,
        month: month_label(&b.budget.month),
        budget: b.budget.categories.iter().map(budget_line).collect(),
        shopping,
        shopping_more,
        actions,
        back: "/",
    }
}

/// `GET /`.
pub async fn show(State(app): State<Arc<App>>, viewer: Viewer) -> Result<Response, PageError> {
    let data = board(&app, &viewer.caller).await?;
    let approvals = {
        let mut conn = app.db.read().await?;
        views(&mut conn, &viewer, &data.approvals_pending, data.today).await?
    };
    let layout = Layout::new(&app, &viewer, Section::Board, "Ops board").await?;
    page(&viewer, &render_view(&data, &viewer, layout, approvals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_naturally() {
        assert_eq!(month_label("2026-11"), "November 2026");
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(day_heading(today, today), "Today");
        assert_eq!(day_heading(today.succ_opt().unwrap(), today), "Tomorrow");
        assert_eq!(
            day_heading(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(), today),
            "Sat 28 Nov"
        );
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
