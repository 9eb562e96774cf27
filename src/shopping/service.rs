//! Shopping operations. The HTTP handlers, the automation dispatcher and the daily scheduler
//! tick all call these same functions, inside their own transaction, so every path obeys the
//! same rules.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::cost::{Cost, OpenCost, cost_of, open_total};
use super::model::{Generated, ItemFields, NewShopping, ShoppingPatch, Source, Status, one};
use super::preset_store;
use super::store::{self, OnDuplicate, ShoppingRecord};
use crate::db::DbError;
use crate::domain::day::local_today;
use crate::domain::money::{Currency, Money};
use crate::error::ApiError;
use crate::extract::IfMatch;
use crate::household::model::Settings;
use crate::inventory::store::{self as inventory_store, ItemFilter, ItemRecord};
use crate::pagination::PageRequest;
use crate::schedule::model::{Kind, MAX_WINDOW_DATES};
use crate::schedule::occurrence::Window;
use crate::schedule::service as schedule_service;

/// Default and largest number of items one `generate_from_needs` run creates.
pub const NEEDS_LIMIT_DEFAULT: u32 = 50;
pub const NEEDS_LIMIT_MAX: u32 = 500;

fn duplicate(err: DbError) -> ApiError {
    if crate::db::is_unique_violation(&err) {
        ApiError::conflict("an open shopping item already stands for this inventory item or name")
    } else {
        err.into()
    }
}

async fn check_inventory_item(
    conn: &mut AnyConnection,
    household_id: &str,
    inv_id: Option<&str>,
) -> Result<(), ApiError> {
    if let Some(id) = inv_id
        && inventory_store::get_item(conn, household_id, id)
            .await?
            .is_none()
    {
        return Err(ApiError::unknown_reference("inv_id", "inventory item"));
    }
    Ok(())
}

/// Adds an item by hand (`source` manual or quick_add). A second open item for the same
/// inventory item is a 409.
pub async fn add_item(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: ItemFields,
    source: Source,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<ShoppingRecord, ApiError> {
    check_inventory_item(conn, household_id, fields.inv_id.as_deref()).await?;
    let new = NewShopping::new(fields, source);
    store::insert_item(conn, household_id, &new, currency, now, OnDuplicate::Fail)
        .await
        .map_err(duplicate)?
        .ok_or_else(|| ApiError::internal("insert without ON CONFLICT returned no row"))
}

/// `quick_add`: one unit of a named thing at an estimated total (already checked by
/// [`super::model::QuickAdd::validate`]).
pub async fn quick_add(
    conn: &mut AnyConnection,
    household_id: &str,
    fields: ItemFields,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<ShoppingRecord, ApiError> {
    add_item(conn, household_id, fields, Source::QuickAdd, currency, now).await
}

async fn lock_open(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    if_match: Option<IfMatch>,
) -> Result<ShoppingRecord, ApiError> {
    let current = store::lock_item(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping item"))?;
    IfMatch::check(if_match, current.version)?;
    if current.status() != Status::Open {
        return Err(ApiError::conflict(format!(
            "the item is already {}",
            current.status().as_str()
        )));
    }
    Ok(current)
}

/// Edits an open item under `If-Match`; bought and cancelled items are history (409).
pub async fn update_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    if_match: Option<IfMatch>,
    patch: ShoppingPatch,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<ShoppingRecord, ApiError> {
    let current = lock_open(conn, household_id, id, if_match).await?;
    let fields = patch.apply(current.fields(), currency)?;
    if fields.inv_id != current.inv_id {
        check_inventory_item(conn, household_id, fields.inv_id.as_deref()).await?;
    }
    store::update_item(
        conn,
        household_id,
        id,
        &fields,
        currency,
        current.version,
        now,
    )
    .await
    .map_err(duplicate)?
    .ok_or_else(ApiError::precondition_failed)
}

/// Takes an open item off the list (409 when it is not open).
pub async fn cancel_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ShoppingRecord, ApiError> {
    lock_open(conn, household_id, id, None).await?;
    Ok(store::set_status(conn, household_id, id, Status::Cancelled, now).await?)
}

/// Deletes an open or cancelled item under `If-Match`. A bought item is part of the money
/// trail (receipt, ledger) and cannot be deleted (409).
pub async fn delete_item(
    conn: &mut AnyConnection,
    household_id: &str,
    id: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ApiError> {
    let current = store::lock_item(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping item"))?;
    IfMatch::check(if_match, current.version)?;
    if current.status() == Status::Bought {
        return Err(ApiError::conflict("a bought item cannot be deleted"));
    }
    store::delete_item(conn, household_id, id).await?;
    Ok(())
}

/// Inserts candidates in order, leaving out those an open item already stands for (checked
/// first against the list, then enforced by the database's unique indexes), up to `limit`.
async fn add_missing(
    conn: &mut AnyConnection,
    household_id: &str,
    candidates: Vec<NewShopping>,
    limit: Option<usize>,
    currency: Currency,
    now: DateTime<Utc>,
) -> Result<Generated, ApiError> {
    store::lock_list(conn, household_id).await?;
    let mut open = store::open_keys(conn, household_id).await?;
    let mut result = Generated::default();
    for candidate in candidates {
        if limit.is_some_and(|limit| result.created.len() >= limit) {
            break;
        }
        if open.covers(&candidate) {
            result.skipped += 1;
            continue;
        }
        let inserted = store::insert_item(
            conn,
            household_id,
            &candidate,
            currency,
            now,
            OnDuplicate::Skip,
        )
        .await?;
        match inserted {
            Some(record) => {
                open.add(&candidate);
                result.created.push(record.to_item());
            }
            None => result.skipped += 1,
        }
    }
    Ok(result)
}

/// Every low-stock inventory item (`min_qty > 0 and qty <= min_qty`), by name.
async fn low_stock(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<Vec<ItemRecord>, ApiError> {
    let filter = ItemFilter {
        low_only: true,
        ..ItemFilter::default()
    };
    let mut page = PageRequest::new(Some(crate::pagination::MAX_LIMIT), None)?;
    let mut low = Vec::new();
    loop {
        let rows = inventory_store::list_items(conn, household_id, &filter, &page).await?;
        let batch = page.page(rows, |r| vec![r.name_key.clone(), r.id.clone()]);
        low.extend(batch.items);
        match batch.next_cursor {
            Some(cursor) => page = PageRequest::new(Some(page.limit), Some(&cursor))?,
            None => return Ok(low),
        }
    }
}

/// One open item (source `inventory`, qty = the item's reorder quantity, its unit, category and
/// unit cost) for each low-stock inventory item the list does not already hold.
pub async fn generate_from_inventory(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Generated, ApiError> {
    let low = low_stock(conn, household_id).await?;
    let candidates = low
        .iter()
        .map(|item| {
            let stocked = item.fields();
            NewShopping::new(
                ItemFields {
                    name: stocked.name,
                    qty: item.reorder_qty(),
                    unit: stocked.unit,
                    est_unit_cost: stocked.est_unit_cost,
                    category: stocked.category,
                    inv_id: Some(item.id.clone()),
                }
                .with_representable_estimate(),
                Source::Inventory,
            )
        })
        .collect();
    add_missing(conn, household_id, candidates, None, settings.currency, now).await
}

/// Checked parameters of `generate_from_needs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedsRun {
    /// Look at need occurrences dated today … today + `within_days` (0–365).
    pub within_days: i64,
    /// Create at most this many items (1–500).
    pub limit: u32,
}

impl NeedsRun {
    /// Checks the parameters; `within_days` defaults to the household's `needs_horizon_days`.
    pub fn new(
        within_days: Option<i64>,
        limit: Option<u32>,
        settings: &Settings,
    ) -> Result<NeedsRun, ApiError> {
        let within_days = within_days.unwrap_or(settings.needs_horizon_days);
        let max = MAX_WINDOW_DATES - 1;
        if !(0..=max).contains(&within_days) {
            return Err(ApiError::field(
                "within_days",
                format!("must be between 0 and {max}"),
            ));
        }
        let limit = limit.unwrap_or(NEEDS_LIMIT_DEFAULT);
        if !(1..=NEEDS_LIMIT_MAX).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {NEEDS_LIMIT_MAX}"),
            ));
        }
        Ok(NeedsRun { within_days, limit })
    }
}

/// For each `need` occurrence dated today … today + `within_days` (household time zone), in
/// date order, an open item (source `needs`, name = `item_name` or the title, qty default 1)
/// unless an open item already exists for the same occurrence, inventory item or name.
/// At most `limit` are created.
pub async fn generate_from_needs(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    run: NeedsRun,
) -> Result<Generated, ApiError> {
    let today = local_today(now, settings.timezone);
    let window = Window::ahead(today, run.within_days, "within_days")?;
    let due = schedule_service::occurrences(conn, household_id, window, Some(Kind::Need)).await?;
    let candidates = due
        .into_iter()
        .map(|due| {
            let event = due.event;
            NewShopping {
                fields: ItemFields {
                    name: event.item_name.unwrap_or(event.title),
                    qty: event.qty.unwrap_or_else(one),
                    unit: None,
                    est_unit_cost: event.est_unit_cost,
                    category: None,
                    inv_id: event.inv_id,
                }
                .with_representable_estimate(),
                source: Source::Needs,
                schedule_event_id: Some(event.id),
                need_date: Some(due.date),
            }
        })
        .collect();
    add_missing(
        conn,
        household_id,
        candidates,
        Some(run.limit as usize),
        settings.currency,
        now,
    )
    .await
}

/// Adds a preset's items that are not already open (source `preset`).
pub async fn apply_preset(
    conn: &mut AnyConnection,
    household_id: &str,
    preset_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Generated, ApiError> {
    let preset = preset_store::get_preset(conn, household_id, preset_id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping preset"))?;
    let candidates = preset
        .items
        .iter()
        .map(|item| NewShopping::new(item.fields(), Source::Preset))
        .collect();
    add_missing(conn, household_id, candidates, None, settings.currency, now).await
}

/// What the open list is estimated to cost.
pub async fn cost(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
) -> Result<Cost, ApiError> {
    let threshold = settings.big_spend_threshold;
    let mut items = Vec::new();
    for item in store::open_items(conn, household_id).await? {
        let est_total = item.to_item().est_total;
        let at_stake = est_total.map(|t| t.rescale_rounded(settings.currency));
        let approved = match at_stake {
            Some(amount) if amount.minor() >= threshold.minor() => {
                crate::approvals::service::covering_approval(
                    conn,
                    household_id,
                    super::purchase::BOUGHT_ACTION,
                    super::purchase::TARGET_TYPE,
                    &item.id,
                    Some(amount),
                )
                .await?
                .is_some()
            }
            _ => false,
        };
        items.push(OpenCost {
            est_total,
            approved,
        });
    }
    Ok(cost_of(&items, settings.currency, threshold))
}

/// How many items are open and what they are estimated to cost, summed in the database (for
/// the ops board and the daily digest, which need no per-item approval state).
pub async fn open_summary(
    conn: &mut AnyConnection,
    household_id: &str,
    currency: Currency,
) -> Result<(u64, Money), ApiError> {
    let totals = store::open_totals(conn, household_id).await?;
    let count = totals.iter().map(|(_, n, _)| n).sum();
    let groups: Vec<(String, i64)> = totals.into_iter().map(|(c, _, t)| (c, t)).collect();
    Ok((count, open_total(&groups, currency)))
}
