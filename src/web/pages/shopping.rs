//! `/shopping`: the open list with its cost, quick add, the generators, buying (behind the
//! big-spend gate, with "request approval" when it blocks) and cancelling.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;

use super::{decimal, requester};
use crate::app::App;
use crate::approvals::model::ApprovalStatus;
use crate::approvals::service::covering_approval;
use crate::approvals::store as approval_store;
use crate::domain::day::local_today;
use crate::domain::money::Money;
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::shopping::model::{QuickAdd, Source, Status};
use crate::shopping::purchase::{self, BOUGHT_ACTION, BoughtBody, ItemApproval, TARGET_TYPE};
use crate::shopping::service::{self, NeedsRun};
use crate::shopping::store;
use crate::web::auth::{Submitted, Viewer};
use crate::web::error::PageError;
use crate::web::flash::{ApprovalOffer, Flash};
use crate::web::format;
use crate::web::{Layout, Section, done, page};

const BACK: &str = "/shopping";

/// Where an item stands with the big-spend gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gate {
    /// Below the threshold (or no price): buy freely.
    Free,
    /// At or above it, nothing asked yet.
    Needed,
    Pending,
    Approved,
}

impl Gate {
    fn as_str(&self) -> &'static str {
        match self {
            Gate::Free => "free",
            Gate::Needed => "needed",
            Gate::Pending => "pending",
            Gate::Approved => "approved",
        }
    }
}

struct ItemView {
    id: String,
    name: String,
    qty: String,
    category: Option<String>,
    source: Option<String>,
    est_total: Option<String>,
    /// The estimate as plain decimal text (the hint shown in an empty price field).
    est_plain: String,
    gate: &'static str,
}

impl ItemView {
    /// The category field's starting value.
    fn category_value(&self) -> &str {
        self.category.as_deref().unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "shopping.html")]
struct ShoppingPage {
    layout: Layout,
    items: Vec<ItemView>,
    open_items: u64,
    est_total: String,
    needs_approval: u64,
    threshold: String,
    horizon_days: i64,
}

fn source_label(
    source: Source,
    need_date: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> Option<String> {
    match source {
        Source::Manual => None,
        Source::QuickAdd => Some("quick add".to_string()),
        Source::Inventory => Some("low stock".to_string()),
        Source::Preset => Some("preset".to_string()),
        Source::Needs => Some(match need_date {
            Some(date) => format!("needed {}", format::day(date, today)),
            None => "planned need".to_string(),
        }),
    }
}

/// `GET /shopping`.
pub async fn show(State(app): State<Arc<App>>, viewer: Viewer) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let settings = &caller.settings;
    let household_id = caller.household_id.as_str();
    let today = local_today(app.clock.now(), settings.timezone);
    let mut conn = app.db.read().await?;
    let page_req = PageRequest::new(Some(500), None)?;
    let records = store::list_items(&mut conn, household_id, Some(Status::Open), &page_req).await?;
    let records = page_req.page(records, |r| vec![r.id.clone()]).items;
    let cost = service::cost(&mut conn, household_id, settings).await?;
    let threshold = settings.big_spend_threshold;
    let mut items = Vec::with_capacity(records.len());
    for record in &records {
        let item = record.to_item();
        let est = item.est_total.map(|m| m.rescale_rounded(settings.currency));
        let gate = match est {
            Some(amount) if amount.minor() >= threshold.minor() => {
                let covered = covering_approval(
                    &mut conn,
                    household_id,
                    BOUGHT_ACTION,
                    TARGET_TYPE,
                    &item.id,
                    Some(amount),
                )
                .await?
                .is_some();
                let pending = !approval_store::for_target(
                    &mut conn,
                    household_id,
                    BOUGHT_ACTION,
                    TARGET_TYPE,
                    &item.id,
                    ApprovalStatus::Pending,
                )
                .await?
                .is_empty();
                if covered {
                    Gate::Approved
                } else if pending {
                    Gate::Pending
                } else {
                    Gate::Needed
                }
            }
            _ => Gate::Free,
        };
        let one = item.qty.milli() == crate::domain::qty::MILLI && item.unit.is_none();
        items.push(ItemView {
            id: item.id.clone(),
            name: item.name.clone(),
            qty: if one {
                String::new()
            } else {
                format::qty(item.qty, item.unit.as_deref())
            },
            category: item.category.clone(),
            source: source_label(item.source, item.need_date, today),
            est_total: est.as_ref().map(format::money),
            est_plain: est.map(|m| m.to_string()).unwrap_or_default(),
            gate: gate.as_str(),
        });
    }
    drop(conn);
    let est_total = Money::parse(&cost.est_total, settings.currency)
        .map(|m| format::money(&m))
        .unwrap_or(cost.est_total);
    let layout = Layout::new(&app, &viewer, Section::Shopping, "Shopping").await?;
    page(
        &viewer,
        &ShoppingPage {
            layout,
            items,
            open_items: cost.open_items,
            est_total,
            needs_approval: cost.needs_approval,
            threshold: format::money(&threshold),
            horizon_days: settings.needs_horizon_days,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct QuickAddForm {
    name: Option<String>,
    est_total: Option<String>,
}

/// `POST /shopping/quick_add`: like `POST /core/shopping/quick_add`.
pub async fn quick_add(
    State(app): State<Arc<App>>,
    Submitted { viewer, form }: Submitted<QuickAddForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let currency = caller.settings.currency;
    let input = QuickAdd {
        name: form.name.unwrap_or_default(),
        est_total: decimal("est_total", form.est_total.as_deref()).map_err(back)?,
    };
    let fields = input.validate(currency).map_err(back)?;
    let mut tx = app.db.begin().await?;
    let record = service::quick_add(
        tx.conn(),
        &caller.household_id,
        fields,
        currency,
        app.clock.now(),
    )
    .await
    .map_err(back)?;
    tx.commit().await?;
    let item = record.to_item();
    let threshold = caller.settings.big_spend_threshold;
    let text = match item.est_total {
        Some(total) if total.minor() >= threshold.minor() => format!(
            "Added {} ({}). At {} or more it needs an adult's approval before it is bought.",
            item.name,
            format::money(&total),
            format::money(&threshold)
        ),
        Some(total) => format!("Added {} ({}).", item.name, format::money(&total)),
        None => format!("Added {}.", item.name),
    };
    Ok(done(&viewer, BACK, Flash::success(text)))
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

fn generated_text(created: usize, skipped: u64, what: &str) -> Flash {
    let already = match skipped {
        0 => String::new(),
        1 => " (1 was already on the list)".to_string(),
        n => format!(" ({n} were already on the list)"),
    };
    match created {
        0 => Flash::info(format!("Nothing new to add from {what}{already}.")),
        1 => Flash::success(format!("Added 1 item from {what}{already}.")),
        n => Flash::success(format!("Added {n} items from {what}{already}.")),
    }
}

/// `POST /shopping/generate_from_inventory`.
pub async fn generate_from_inventory(
    State(app): State<Arc<App>>,
    Submitted { viewer, .. }: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    caller
        .require_write()
        .map_err(|e| PageError::from(e).back_to(BACK))?;
    let mut tx = app.db.begin().await?;
    let generated = service::generate_from_inventory(
        tx.conn(),
        &caller.household_id,
        &caller.settings,
        app.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(done(
        &viewer,
        BACK,
        generated_text(generated.created.len(), generated.skipped, "low stock"),
    ))
}

/// `POST /shopping/generate_from_needs` (the household's horizon, as the daily tick uses).
pub async fn generate_from_needs(
    State(app): State<Arc<App>>,
    Submitted { viewer, .. }: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    caller
        .require_write()
        .map_err(|e| PageError::from(e).back_to(BACK))?;
    let run = NeedsRun::new(None, None, &caller.settings)?;
    let mut tx = app.db.begin().await?;
    let generated = service::generate_from_needs(
        tx.conn(),
        &caller.household_id,
        &caller.settings,
        app.clock.now(),
        run,
    )
    .await?;
    tx.commit().await?;
    Ok(done(
        &viewer,
        BACK,
        generated_text(generated.created.len(), generated.skipped, "upcoming needs"),
    ))
}

#[derive(Debug, Deserialize)]
pub struct BoughtForm {
    actual_total: Option<String>,
    vendor: Option<String>,
    category: Option<String>,
}

/// `POST /shopping/{id}/bought`: through `purchase::mark_bought`, the one path that marks an
/// item bought, so the big-spend gate holds here as on the API.
pub async fn bought(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, form }: Submitted<BoughtForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let settings = &caller.settings;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let today = local_today(app.clock.now(), settings.timezone);
    let asked = form.actual_total.clone();
    let input = BoughtBody {
        actual_total: decimal("actual_total", form.actual_total.as_deref()).map_err(back)?,
        vendor: form.vendor,
        category: form.category,
        ..BoughtBody::default()
    }
    .validate(settings, today)
    .map_err(back)?;
    let mut tx = app.db.begin().await?;
    let name = store::get_item(tx.conn(), &caller.household_id, &id)
        .await?
        .map(|r| r.name)
        .ok_or_else(|| back(ApiError::not_found("shopping item")))?;
    match purchase::mark_bought(
        tx.conn(),
        &caller.household_id,
        settings,
        app.clock.now(),
        &id,
        input,
    )
    .await
    {
        Ok(record) => {
            tx.commit().await?;
            let item = record.to_item();
            let paid = item.actual_total.or(item.est_total);
            let text = match paid {
                Some(paid) => format!(
                    "Bought {} for {}. The receipt is saved and counted in the budget.",
                    item.name,
                    format::money(&paid)
                ),
                None => format!("Bought {}.", item.name),
            };
            Ok(done(&viewer, BACK, Flash::success(text)))
        }
        Err(err) if err.slug == "approval-required" => {
            tx.rollback().await?;
            let amount = err
                .extra
                .get("amount")
                .and_then(|a| a.as_str())
                .and_then(|a| Money::parse(a, settings.currency).ok());
            let text = format!(
                "Approval needed: buying {name} for {} needs an adult's approval first (purchases of {} or more). Nothing was changed.",
                amount
                    .as_ref()
                    .map_or_else(|| "this much".to_string(), format::money),
                format::money(&settings.big_spend_threshold),
            );
            let offer = ApprovalOffer {
                item_id: id,
                item_name: name,
                amount: asked,
            };
            Ok(done(&viewer, BACK, Flash::warning(text).with_offer(offer)))
        }
        Err(err) if err.status == 409 => {
            tx.rollback().await?;
            Ok(done(
                &viewer,
                BACK,
                Flash::warning(format!("{name}: {}", err.detail)),
            ))
        }
        Err(err) => Err(back(err)),
    }
}

/// `POST /shopping/{id}/cancel`: takes an item off the list.
pub async fn cancel(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, .. }: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let mut tx = app.db.begin().await?;
    match service::cancel_item(tx.conn(), &caller.household_id, &id, app.clock.now()).await {
        Ok(record) => {
            tx.commit().await?;
            Ok(done(
                &viewer,
                BACK,
                Flash::success(format!("Took {} off the list.", record.name)),
            ))
        }
        Err(err) if err.status == 409 => {
            tx.rollback().await?;
            Ok(done(&viewer, BACK, Flash::warning(err.detail)))
        }
        Err(err) => Err(back(err)),
    }
}

#[derive(Debug, Deserialize)]
pub struct RequestApprovalForm {
    amount: Option<String>,
}

/// `POST /shopping/{id}/request_approval`: asks for the approval buying the item needs (the
/// same approval `POST /core/shopping/request_approvals` creates), for the price tried when it
/// was above the estimate.
pub async fn request_approval(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, form }: Submitted<RequestApprovalForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let settings = &caller.settings;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let amount = decimal("amount", form.amount.as_deref())
        .map_err(back)?
        .map(|a| a.positive_money("amount", settings.currency))
        .transpose()
        .map_err(|e| back(e.into()))?;
    let mut tx = app.db.begin().await?;
    let asked = purchase::request_item_approval(
        tx.conn(),
        &caller.household_id,
        settings,
        &id,
        amount,
        &requester(caller),
        app.clock.now(),
    )
    .await;
    let flash = match asked {
        Ok(ItemApproval::Created(approval)) => {
            tx.commit().await?;
            Flash::success(format!(
                "Approval requested: {}{}. Another adult can approve it under Approvals.",
                approval.title,
                approval
                    .amount
                    .map(|a| format!(" ({})", format::money(&a)))
                    .unwrap_or_default()
            ))
        }
        Ok(ItemApproval::Pending(approval)) => {
            tx.rollback().await?;
            Flash::info(format!(
                "{} is already waiting for approval.",
                approval.title
            ))
        }
        Ok(ItemApproval::Covered) => {
            tx.rollback().await?;
            Flash::info("That purchase is already approved: mark it bought when you have it.")
        }
        Err(err) if err.status == 409 => {
            tx.rollback().await?;
            Flash::info(err.detail)
        }
        Err(err) => return Err(back(err)),
    };
    Ok(done(&viewer, BACK, flash))
}
