//! What each action does: its parameters checked into domain inputs, what the cone needs to
//! know about it, and its execution through the same service functions as the direct route.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::AnyConnection;

use super::params::{
    BoughtParams, ImpactParams, NeedsParams, NoParams, OutOfParams, PaidParams,
    RequestApprovalsParams, RollupParams,
};
use crate::app::App;
use crate::approvals::store::Requester;
use crate::bills::model::{MarkPaid, PaidBody};
use crate::bills::{service as bills, store as bill_store};
use crate::budget::service as budget;
use crate::domain::money::Money;
use crate::domain::{Qty, Role, WholeNumber};
use crate::error::ApiError;
use crate::extract::parse_json;
use crate::forecast::handlers::{rollup_limit, window_days};
use crate::household::model::Settings;
use crate::inventory::model::OutOf;
use crate::inventory::service::{self as inventory, RunOut};
use crate::inventory::store as inventory_store;
use crate::ledger::model::category;
use crate::receipts::model::{NewReceiptBody, NewReceiptInput};
use crate::receipts::service as receipts;
use crate::reminders::service::{self as reminders, Source as ReminderSource};
use crate::shopping::model::{Generated, ItemFields, QuickAdd, ShoppingItem};
use crate::shopping::purchase::{self, Bought, BoughtBody};
use crate::shopping::service::{self as shopping, NeedsRun};
use crate::shopping::store as shopping_store;

/// Who acts: a member, or the scheduler.
#[derive(Debug, Clone)]
pub struct Actor {
    pub household_id: String,
    /// `None` for the scheduler.
    pub member_id: Option<String>,
    /// The member's name, or `scheduler`.
    pub name: String,
    pub role: Role,
    pub settings: Settings,
}

impl Actor {
    pub fn member(caller: &crate::extract::Caller) -> Actor {
        Actor {
            household_id: caller.household_id.clone(),
            member_id: Some(caller.member_id.clone()),
            name: caller.member_name.clone(),
            role: caller.role,
            settings: caller.settings.clone(),
        }
    }

    /// The daily tick: it may run what a member may run, and moves no money.
    pub fn scheduler(household_id: &str, settings: &Settings) -> Actor {
        Actor {
            household_id: household_id.to_string(),
            member_id: None,
            name: "scheduler".to_string(),
            role: Role::Member,
            settings: settings.clone(),
        }
    }

    fn requester(&self) -> Requester {
        Requester {
            member_id: self.member_id.clone(),
            name: self.name.clone(),
        }
    }
}

/// An action's parameters, checked.
#[derive(Debug, Clone)]
pub enum Call {
    GenerateFromInventory,
    GenerateFromNeeds(NeedsRun),
    RequestApprovals(Money),
    Impact {
        amount: Money,
        category: Option<String>,
    },
    Rollup {
        limit: u32,
        window_days: u32,
    },
    Bought {
        id: String,
        input: Bought,
    },
    Paid {
        id: String,
        input: MarkPaid,
    },
    CreateReceipt(NewReceiptInput),
    OutOf {
        id: String,
        input: RunOut,
    },
    QuickAdd(ItemFields),
    PushReminders(ReminderSource),
}

/// Params are a JSON object; `null` or absent count as `{}`.
fn typed<T: DeserializeOwned>(params: &serde_json::Value) -> Result<T, ApiError> {
    let value = match params {
        serde_json::Value::Null => serde_json::json!({}),
        serde_json::Value::Object(_) => params.clone(),
        _ => return Err(ApiError::field("params", "must be a JSON object")),
    };
    let bytes = serde_json::to_vec(&value).map_err(ApiError::internal)?;
    parse_json(&bytes).map_err(|mut err| {
        for e in &mut err.errors {
            e.field = format!("params.{}", e.field);
        }
        err.detail = format!("params: {}", err.detail);
        err
    })
}

/// Checks `params` for `action` (whose name is in the catalog).
pub fn parse(
    action: &str,
    params: &serde_json::Value,
    settings: &Settings,
    today: NaiveDate,
) -> Result<Call, ApiError> {
    let currency = settings.currency;
    let in_params = |mut err: ApiError| {
        for e in &mut err.errors {
            e.field = format!("params.{}", e.field);
        }
        err
    };
    let call = match action {
        "shopping.generate_from_inventory" => {
            typed::<NoParams>(params)?;
            Call::GenerateFromInventory
        }
        "shopping.generate_from_needs" => {
            let p: NeedsParams = typed(params)?;
            Call::GenerateFromNeeds(
                NeedsRun::new(
                    p.within_days.map(|w| w.0),
                    p.limit.map(WholeNumber::clamped_u32),
                    settings,
                )
                .map_err(in_params)?,
            )
        }
        "shopping.request_approvals" => {
            let p: RequestApprovalsParams = typed(params)?;
            Call::RequestApprovals(match p.threshold {
                Some(t) => t.money("params.threshold", currency)?,
                None => settings.big_spend_threshold,
            })
        }
        "bills.push_reminders" | "shopping.push_reminders" | "schedule.push_reminders" => {
            typed::<NoParams>(params)?;
            Call::PushReminders(match action {
                "bills.push_reminders" => ReminderSource::Bills,
                "shopping.push_reminders" => ReminderSource::Shopping,
                _ => ReminderSource::Schedule,
            })
        }
        "budget.impact" => {
            let p: ImpactParams = typed(params)?;
            Call::Impact {
                amount: p.amount.positive_money("params.amount", currency)?,
                category: category("params.category", p.category.as_deref())?,
            }
        }
        "forecast.rollup" => {
            let p: RollupParams = typed(params)?;
            Call::Rollup {
                limit: rollup_limit(p.limit.map(WholeNumber::clamped_u32)).map_err(in_params)?,
                window_days: window_days(p.window_days.map(WholeNumber::clamped_u32))
                    .map_err(in_params)?,
            }
        }
        "shopping.bought" => {
            let p: BoughtParams = typed(params)?;
            let body = BoughtBody {
                actual_total: p.actual_total,
                vendor: p.vendor,
                payment_method: p.payment_method,
                category: p.category,
                bought_on: p.bought_on,
            };
            Call::Bought {
                id: p.id,
                input: body.validate(settings, today).map_err(in_params)?,
            }
        }
        "bills.paid" => {
            let p: PaidParams = typed(params)?;
            let body = PaidBody {
                paid_on: p.paid_on,
                amount: p.amount,
                due_on: p.due_on,
            };
            Call::Paid {
                id: p.id,
                input: body.validate(currency, today).map_err(in_params)?,
            }
        }
        "receipts.create" => {
            let body: NewReceiptBody = typed(params)?;
            Call::CreateReceipt(body.validate(currency, today).map_err(in_params)?)
        }
        "inventory.out_of" => {
            let p: OutOfParams = typed(params)?;
            let body = OutOf {
                used_on: p.used_on,
                notes: p.notes,
            };
            Call::OutOf {
                id: p.id,
                input: body.validate(today).map_err(in_params)?,
            }
        }
        "shopping.quick_add" => {
            let body: QuickAdd = typed(params)?;
            Call::QuickAdd(body.validate(currency).map_err(in_params)?)
        }
        other => {
            return Err(ApiError::field(
                "action",
                format!("{other} cannot be dispatched"),
            ));
        }
    };
    Ok(call)
}

/// What the cone needs to judge a call: the amount at stake, its category and its target.
#[derive(Debug, Clone, Default)]
pub struct Stakes {
    pub amount: Option<Money>,
    pub category: Option<String>,
    pub target: Option<(String, String)>,
}

/// Reads what is at stake (e.g. the item's price for `shopping.bought`). An unknown target is a
/// 404 naming `params.id`.
pub async fn stakes(
    conn: &mut AnyConnection,
    actor: &Actor,
    call: &Call,
) -> Result<Stakes, ApiError> {
    let hh = &actor.household_id;
    let unknown = |what: &str| ApiError::unknown_reference("params.id", what);
    Ok(match call {
        Call::Bought { id, input } => {
            let item = shopping_store::get_item(conn, hh, id)
                .await?
                .ok_or_else(|| unknown("shopping item"))?;
            Stakes {
                amount: purchase::amount_at_stake(&item, input.actual_total, &actor.settings),
                category: input.category.clone().or(item.category.clone()),
                target: Some((purchase::TARGET_TYPE.into(), id.clone())),
            }
        }
        Call::Paid { id, input } => {
            let bill = bill_store::get_bill(conn, hh, id)
                .await?
                .ok_or_else(|| unknown("bill"))?;
            let fields = bill.fields()?;
            Stakes {
                amount: Some(input.amount.unwrap_or(fields.amount)),
                category: fields.category,
                target: Some(("bill".into(), id.clone())),
            }
        }
        Call::CreateReceipt(input) => Stakes {
            amount: Some(input.amount),
            category: input.category.clone(),
            target: None,
        },
        Call::OutOf { id, .. } => {
            inventory_store::get_item(conn, hh, id)
                .await?
                .ok_or_else(|| unknown("inventory item"))?;
            Stakes {
                target: Some(("inventory_item".into(), id.clone())),
                ..Stakes::default()
            }
        }
        Call::QuickAdd(fields) => Stakes {
            amount: fields.est_unit_cost,
            category: fields.category.clone(),
            target: None,
        },
        Call::Impact { amount, category } => Stakes {
            amount: Some(*amount),
            category: category.clone(),
            target: None,
        },
        _ => Stakes::default(),
    })
}

/// What a call did: its result (what the direct route answers) and its effects in words.
pub struct Done {
    pub result: serde_json::Value,
    pub effects: Vec<String>,
}

fn done<T: Serialize>(result: &T, effects: Vec<String>) -> Result<Done, ApiError> {
    Ok(Done {
        result: serde_json::to_value(result).map_err(ApiError::internal)?,
        effects,
    })
}

fn price(amount: Option<Money>) -> String {
    amount.map_or_else(String::new, |a| format!(", est. {a}"))
}

fn generated_effects(generated: &Generated) -> Vec<String> {
    let mut effects: Vec<String> = generated
        .created
        .iter()
        .map(|i| {
            format!(
                "add {:?} to the shopping list (qty {}{})",
                i.name,
                i.qty,
                price(i.est_total)
            )
        })
        .collect();
    if generated.skipped > 0 {
        effects.push(format!("skip {} already on the list", generated.skipped));
    }
    if effects.is_empty() {
        effects.push("nothing to add".into());
    }
    effects
}

fn item_bought_effects(item: &ShoppingItem, restocked: Option<&str>) -> Vec<String> {
    let paid = item.actual_total.or(item.est_total);
    let mut effects = vec![
        format!(
            "mark {:?} bought{}",
            item.name,
            paid.map_or_else(String::new, |p| format!(" for {p}"))
        ),
        "store a receipt and post it to the ledger as an expense".to_string(),
    ];
    if let Some(name) = restocked {
        effects.push(format!("restock {name:?} by {}", item.qty));
    }
    effects
}

/// Runs a call in the caller's transaction, through the same service functions as the direct
/// routes (so every gate holds).
pub async fn run(
    app: &App,
    conn: &mut AnyConnection,
    actor: &Actor,
    call: Call,
    now: DateTime<Utc>,
) -> Result<Done, ApiError> {
    let hh = actor.household_id.as_str();
    let settings = &actor.settings;
    let today = crate::domain::day::local_today(now, settings.timezone);
    match call {
        Call::GenerateFromInventory => {
            let generated = shopping::generate_from_inventory(conn, hh, settings, now).await?;
            done(&generated, generated_effects(&generated))
        }
        Call::GenerateFromNeeds(run) => {
            let generated = shopping::generate_from_needs(conn, hh, settings, now, run).await?;
            done(&generated, generated_effects(&generated))
        }
        Call::RequestApprovals(threshold) => {
            let answer =
                purchase::request_approvals(conn, hh, settings, threshold, &actor.requester(), now)
                    .await?;
            let mut effects: Vec<String> = answer
                .created
                .iter()
                .map(|a| {
                    format!(
                        "ask for approval: {:?}{}",
                        a.title,
                        a.amount.map_or_else(String::new, |m| format!(" ({m})"))
                    )
                })
                .collect();
            if answer.existing > 0 {
                effects.push(format!(
                    "{} items already have a live approval",
                    answer.existing
                ));
            }
            if effects.is_empty() {
                effects.push("no item needs an approval".into());
            }
            done(&answer, effects)
        }
        Call::PushReminders(source) => {
            let pushed = reminders::push_due(conn, hh, settings, now, source).await?;
            let mut effects: Vec<String> = pushed
                .created
                .iter()
                .map(|r| format!("remind: {}", r.title))
                .collect();
            if pushed.skipped > 0 {
                effects.push(format!("{} already reminded of", pushed.skipped));
            }
            if effects.is_empty() {
                effects.push("nothing to remind of".into());
            }
            done(&pushed, effects)
        }
        Call::Impact { amount, category } => {
            let impact =
                budget::impact_of(conn, hh, settings, today, amount, category.as_deref()).await?;
            done(&impact, vec!["read only: nothing changes".into()])
        }
        Call::Rollup { limit, window_days } => {
            let items = app
                .forecast
                .rollup(&app.db, hh, today, window_days, limit as usize)
                .await?;
            let rollup = crate::forecast::handlers::Rollup { window_days, items };
            done(&rollup, vec!["read only: nothing changes".into()])
        }
        Call::Bought { id, input } => {
            let before = shopping_store::get_item(conn, hh, &id).await?;
            let stock_name = match before.as_ref().and_then(|i| i.inv_id.clone()) {
                Some(inv_id) => inventory_store::get_item(conn, hh, &inv_id)
                    .await?
                    .map(|stock| stock.name),
                None => None,
            };
            let record = purchase::mark_bought(conn, hh, settings, now, &id, input).await?;
            let item = record.to_item();
            let effects = item_bought_effects(&item, stock_name.as_deref());
            done(&item, effects)
        }
        Call::Paid { id, input } => {
            let bill = bills::mark_paid(conn, hh, settings, now, &id, input).await?;
            let next = if bill.status == crate::bills::model::BillStatus::Paid {
                "mark the bill paid".to_string()
            } else {
                format!("move the bill to its next due date, {}", bill.due_on)
            };
            let effects = vec![format!("post a ledger expense for {:?}", bill.name), next];
            done(&bill, effects)
        }
        Call::CreateReceipt(input) => {
            let post = input.post_to_ledger;
            let receipt = receipts::create_receipt(conn, hh, settings, now, input).await?;
            let mut effects = vec![format!(
                "store a receipt of {}{}",
                receipt.amount,
                receipt
                    .vendor
                    .as_ref()
                    .map_or_else(String::new, |v| format!(" from {v:?}"))
            )];
            if post {
                effects.push(format!(
                    "post it to the ledger ({})",
                    serde_json::to_value(receipt.ledger_status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                ));
            }
            done(&receipt, effects)
        }
        Call::OutOf { id, input } => {
            let before = inventory_store::get_item(conn, hh, &id)
                .await?
                .ok_or_else(|| ApiError::unknown_reference("params.id", "inventory item"))?;
            let record = inventory::out_of(conn, hh, &id, input, now).await?;
            let remaining = Qty::from_milli(before.qty);
            let effects = if remaining.is_zero() {
                vec![format!(
                    "{:?} is already at 0: nothing changes",
                    before.name
                )]
            } else {
                vec![
                    format!("set {:?} to 0", before.name),
                    format!("log usage of {remaining}"),
                ]
            };
            done(&record.to_item(), effects)
        }
        Call::QuickAdd(fields) => {
            let record = shopping::quick_add(conn, hh, fields, settings.currency, now).await?;
            let item = record.to_item();
            let effects = vec![format!(
                "add {:?} to the shopping list (qty {}{})",
                item.name,
                item.qty,
                price(item.est_total)
            )];
            done(&item, effects)
        }
    }
}
