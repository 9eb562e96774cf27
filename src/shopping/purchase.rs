//! Buying: spend approvals for big items, and marking an item bought behind the big-spend gate
//! [P-APPROVALS-2, P-SAFETY-APPROVAL-1, P-RECEIPTS-3].
//!
//! [`mark_bought`] is the only code that marks an item bought. The HTTP route, the automation
//! dispatcher and the web page all call it, so the gate cannot be bypassed by a side door.

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use super::model::Status;
use super::store::{self, ShoppingRecord};
use crate::approvals::model::{Approval, ApprovalDraft, ApprovalStatus};
use crate::approvals::service as approvals;
use crate::approvals::store::{self as approval_store, Requester};
use crate::domain::day::{Day, local_today};
use crate::domain::money::{Currency, Money};
use crate::domain::{DecimalInput, Qty, text};
use crate::error::ApiError;
use crate::household::model::Settings;
use crate::inventory::store as inventory_store;
use crate::receipts::model::NewReceiptInput;
use crate::receipts::service as receipts;

/// The action name approvals for purchases carry.
pub const BOUGHT_ACTION: &str = "shopping.bought";
/// The target type approvals for purchases carry.
pub const TARGET_TYPE: &str = "shopping_item";

/// An amount in the household currency (older rows may carry another one: same value).
fn in_household(amount: Money, settings: &Settings) -> Money {
    amount.rescale_rounded(settings.currency)
}

/// What buying `item` puts at stake: the larger of `actual_total` and its `est_total`.
pub fn amount_at_stake(
    item: &ShoppingRecord,
    actual_total: Option<Money>,
    settings: &Settings,
) -> Option<Money> {
    let estimated = item.to_item().est_total.map(|m| in_household(m, settings));
    match (actual_total, estimated) {
        (Some(a), Some(e)) => Some(if a.minor() >= e.minor() { a } else { e }),
        (a, e) => a.or(e),
    }
}

/// The big-spend gate: an amount at or above the threshold needs an approved approval for this
/// item that covers it. Returns the covering approval's id, if one was needed.
pub async fn check_gate(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    item: &ShoppingRecord,
    amount: Option<Money>,
) -> Result<Option<String>, ApiError> {
    let Some(amount) = amount else {
        return Ok(None);
    };
    let threshold = settings.big_spend_threshold;
    if amount.minor() < threshold.minor() {
        return Ok(None);
    }
    let covering = approvals::covering_approval(
        conn,
        household_id,
        BOUGHT_ACTION,
        TARGET_TYPE,
        &item.id,
        Some(amount),
    )
    .await?;
    match covering {
        Some(id) => Ok(Some(id)),
        None => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "approval-required",
            format!(
                "buying {:?} for {amount} needs an approved approval (the threshold is {threshold}); \
                 request one with POST /core/shopping/request_approvals",
                item.name
            ),
        )
        .with_extra("amount", serde_json::Value::String(amount.to_string()))
        .with_extra("threshold", serde_json::Value::String(threshold.to_string()))
        .with_extra(
            "approval_id",
            item.approval_id
                .clone()
                .map_or(serde_json::Value::Null, serde_json::Value::String),
        )),
    }
}

/// `POST /core/shopping/{id}/bought` (all fields optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoughtBody {
    /// What it cost; default the item's `est_total`.
    #[schema(value_type = Option<crate::openapi::schemas::PositiveMoneyInput>)]
    pub actual_total: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::Text200>)]
    pub vendor: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub payment_method: Option<String>,
    /// Default the item's category.
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Option<String>,
    /// Default today; not after today.
    pub bought_on: Option<Day>,
}

/// A checked [`BoughtBody`].
#[derive(Debug, Clone, Default)]
pub struct Bought {
    pub actual_total: Option<Money>,
    pub vendor: Option<String>,
    pub payment_method: Option<String>,
    pub category: Option<String>,
    pub bought_on: Option<NaiveDate>,
}

impl BoughtBody {
    pub fn validate(self, settings: &Settings, today: NaiveDate) -> Result<Bought, ApiError> {
        let bought_on = match self.bought_on {
            Some(Day(day)) if day > today => {
                return Err(ApiError::field("bought_on", "must not be after today"));
            }
            other => other.map(|d| d.0),
        };
        Ok(Bought {
            actual_total: self
                .actual_total
                .map(|a| a.positive_money("actual_total", settings.currency))
                .transpose()?,
            vendor: text::optional("vendor", self.vendor.as_deref(), 200)?,
            payment_method: text::optional("payment_method", self.payment_method.as_deref(), 100)?,
            category: text::optional("category", self.category.as_deref(), 100)?,
            bought_on,
        })
    }
}

/// Marks an open item bought, in the caller's transaction: the gate first; then status
/// `bought`, a receipt for the amount paid (posted to the ledger), and a restock of the linked
/// inventory item. 404 unknown item, 409 not open, 403 `approval-required`, 400 when there is
/// no amount at all (neither `actual_total` nor an estimate).
pub async fn mark_bought(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    id: &str,
    input: Bought,
) -> Result<ShoppingRecord, ApiError> {
    let item = store::lock_item(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping item"))?;
    match item.status() {
        Status::Open => {}
        other => {
            return Err(ApiError::conflict(format!(
                "the item is already {}",
                other.as_str()
            )));
        }
    }
    let at_stake = amount_at_stake(&item, input.actual_total, settings);
    let approval_id = check_gate(conn, household_id, settings, &item, at_stake).await?;
    let paid = input
        .actual_total
        .or_else(|| item.to_item().est_total.map(|m| in_household(m, settings)))
        .filter(Money::is_positive)
        .ok_or_else(|| {
            ApiError::field(
                "actual_total",
                "is required: the item has no estimated cost to record",
            )
        })?;
    let today = local_today(now, settings.timezone);
    let receipt = receipts::create_receipt(
        conn,
        household_id,
        settings,
        now,
        NewReceiptInput {
            vendor: input.vendor,
            amount: paid,
            date: Some(input.bought_on.unwrap_or(today)),
            category: input.category.or_else(|| item.category.clone()),
            payment_method: input.payment_method,
            tags: Vec::new(),
            file_ref: None,
            shopping_item_id: Some(item.id.clone()),
            post_to_ledger: true,
        },
    )
    .await?;
    if let Some(inv_id) = &item.inv_id
        && let Some(stock) = inventory_store::lock_item(conn, household_id, inv_id).await?
    {
        let restocked = Qty::from_milli(stock.qty)
            .checked_add(Qty::from_milli(item.qty))
            .ok_or_else(|| ApiError::conflict("restocking would exceed the largest quantity"))?;
        inventory_store::set_qty(conn, household_id, inv_id, restocked, now).await?;
    }
    let item_currency = Currency::from_code(&item.currency).unwrap_or(settings.currency);
    Ok(store::mark_bought(
        conn,
        household_id,
        id,
        input
            .actual_total
            .map(|a| a.rescale_rounded(item_currency).minor()),
        &receipt.id,
        approval_id.as_deref().or(item.approval_id.as_deref()),
        now,
    )
    .await?)
}

/// `POST /core/shopping/request_approvals` answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RequestedApprovals {
    /// Approvals created by this call.
    pub created: Vec<Approval>,
    /// Items at or above the threshold that already had a pending or covering approved one.
    pub existing: u64,
}

/// Asks for an approval for every open item whose `est_total` is at least `threshold` and that
/// has no pending approval and no approved one covering its current amount. Each new approval
/// (action `shopping.bought`, target the item, payload name and est_total, amount est_total) is
/// linked from the item.
pub async fn request_approvals(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    threshold: Money,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<RequestedApprovals, ApiError> {
    // One run at a time per household, so two runs never ask twice for one item.
    store::lock_list(conn, household_id).await?;
    let mut created = Vec::new();
    let mut existing = 0;
    for item in store::open_items(conn, household_id).await? {
        let Some(total) = item.to_item().est_total.map(|m| in_household(m, settings)) else {
            continue;
        };
        if total.minor() < threshold.minor() {
            continue;
        }
        if has_live_approval(conn, household_id, &item.id, total).await? {
            existing += 1;
            continue;
        }
        let approval = ask_for(conn, household_id, settings, &item, total, requester, now).await?;
        created.push(approval);
    }
    Ok(RequestedApprovals { created, existing })
}

/// Creates the approval for buying `item` at up to `amount` and links it from the item.
async fn ask_for(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    item: &ShoppingRecord,
    amount: Money,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Approval, ApiError> {
    let est_total = item
        .to_item()
        .est_total
        .map(|m| in_household(m, settings))
        .unwrap_or(amount);
    let draft = ApprovalDraft {
        title: format!("Buy {}", item.name),
        action: BOUGHT_ACTION.to_string(),
        target_type: TARGET_TYPE.to_string(),
        target_id: item.id.clone(),
        payload: serde_json::json!({
            "name": item.name,
            "qty": Qty::from_milli(item.qty).to_string(),
            "est_total": est_total.to_string(),
            "category": item.category,
        }),
        risk: None,
        cone_band: None,
        amount: Some(amount),
    };
    let approval = approvals::create(conn, household_id, settings, &draft, requester, now).await?;
    store::link_approval(conn, household_id, &item.id, &approval.id, now).await?;
    Ok(approval)
}

/// What [`request_item_approval`] found or did.
#[derive(Debug, Clone)]
pub enum ItemApproval {
    /// A new pending approval.
    Created(Approval),
    /// A pending approval covering the amount was already waiting.
    Pending(Approval),
    /// An approved approval already covers the amount: the item can be bought.
    Covered,
}

/// Asks for an approval to buy one open item for `amount` (default, and at least, its
/// estimate): the same approval [`request_approvals`] creates, for a price that may be above
/// the estimate. Nothing is created when a pending or approved approval already covers the
/// amount. An amount below the threshold needs no approval (409); an item without any price
/// needs `amount` (400).
pub async fn request_item_approval(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    item_id: &str,
    amount: Option<Money>,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<ItemApproval, ApiError> {
    // Serialised with `request_approvals`, so the two never ask twice for one item.
    store::lock_list(conn, household_id).await?;
    let item = store::lock_item(conn, household_id, item_id)
        .await?
        .ok_or_else(|| ApiError::not_found("shopping item"))?;
    if item.status() != Status::Open {
        return Err(ApiError::conflict(format!(
            "the item is already {}",
            item.status().as_str()
        )));
    }
    let at_stake = amount_at_stake(&item, amount, settings).ok_or_else(|| {
        ApiError::field(
            "amount",
            "is required: the item has no estimated cost to ask about",
        )
    })?;
    let threshold = settings.big_spend_threshold;
    if at_stake.minor() < threshold.minor() {
        return Err(ApiError::conflict(format!(
            "buying {:?} for {at_stake} needs no approval (the threshold is {threshold})",
            item.name
        )));
    }
    if approvals::covering_approval(
        conn,
        household_id,
        BOUGHT_ACTION,
        TARGET_TYPE,
        &item.id,
        Some(at_stake),
    )
    .await?
    .is_some()
    {
        return Ok(ItemApproval::Covered);
    }
    let pending = approval_store::for_target(
        conn,
        household_id,
        BOUGHT_ACTION,
        TARGET_TYPE,
        &item.id,
        ApprovalStatus::Pending,
    )
    .await?;
    if let Some(waiting) = pending
        .into_iter()
        .find(|a| crate::approvals::model::covers(a.amount, Some(at_stake)))
    {
        return Ok(ItemApproval::Pending(waiting));
    }
    let approval = ask_for(
        conn,
        household_id,
        settings,
        &item,
        at_stake,
        requester,
        now,
    )
    .await?;
    Ok(ItemApproval::Created(approval))
}

/// A pending approval for the item, or an approved one covering `amount`.
async fn has_live_approval(
    conn: &mut AnyConnection,
    household_id: &str,
    item_id: &str,
    amount: Money,
) -> Result<bool, ApiError> {
    let pending = approval_store::for_target(
        conn,
        household_id,
        BOUGHT_ACTION,
        TARGET_TYPE,
        item_id,
        ApprovalStatus::Pending,
    )
    .await?;
    if !pending.is_empty() {
        return Ok(true);
    }
    Ok(approvals::covering_approval(
        conn,
        household_id,
        BOUGHT_ACTION,
        TARGET_TYPE,
        item_id,
        Some(amount),
    )
    .await?
    .is_some())
}
