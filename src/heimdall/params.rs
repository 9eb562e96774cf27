//! Typed parameters of every action. They use the direct routes' names: `{id, …body fields}`
//! for actions on one object, the body for creations, the query parameters for generators.

use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{Day, DecimalInput};
use crate::receipts::model::NewReceiptBody;
use crate::shopping::model::QuickAdd;

/// Actions without parameters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `shopping.generate_from_needs`: like the route's query parameters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsParams {
    pub within_days: Option<i64>,
    pub limit: Option<u32>,
}

/// `shopping.request_approvals`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestApprovalsParams {
    pub threshold: Option<DecimalInput>,
}

/// `budget.impact`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactParams {
    pub amount: DecimalInput,
    pub category: Option<String>,
}

/// `forecast.rollup`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollupParams {
    pub limit: Option<u32>,
    pub window_days: Option<u32>,
}

/// `shopping.bought`: the item and the route's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoughtParams {
    pub id: String,
    pub actual_total: Option<DecimalInput>,
    pub vendor: Option<String>,
    pub payment_method: Option<String>,
    pub category: Option<String>,
    pub bought_on: Option<Day>,
}

/// `bills.paid`: the bill and the route's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidParams {
    pub id: String,
    pub paid_on: Option<Day>,
    pub amount: Option<DecimalInput>,
    pub due_on: Option<Day>,
}

/// `inventory.out_of`: the item and the route's optional body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutOfParams {
    pub id: String,
    pub used_on: Option<Day>,
    pub notes: Option<String>,
}

/// The schema of an action's parameters, by action name.
pub fn schema_of(action: &str) -> Option<(String, RefOr<Schema>)> {
    let (name, schema) = match action {
        "shopping.generate_from_inventory"
        | "bills.push_reminders"
        | "shopping.push_reminders"
        | "schedule.push_reminders" => (NoParams::name(), NoParams::schema()),
        "shopping.generate_from_needs" => (NeedsParams::name(), NeedsParams::schema()),
        "shopping.request_approvals" => (
            RequestApprovalsParams::name(),
            RequestApprovalsParams::schema(),
        ),
        "budget.impact" => (ImpactParams::name(), ImpactParams::schema()),
        "forecast.rollup" => (RollupParams::name(), RollupParams::schema()),
        "shopping.bought" => (BoughtParams::name(), BoughtParams::schema()),
        "bills.paid" => (PaidParams::name(), PaidParams::schema()),
        "receipts.create" => (NewReceiptBody::name(), NewReceiptBody::schema()),
        "inventory.out_of" => (OutOfParams::name(), OutOfParams::schema()),
        "shopping.quick_add" => (QuickAdd::name(), QuickAdd::schema()),
        _ => return None,
    };
    Some((name.into_owned(), schema))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heimdall::registry::ACTIONS;

    #[test]
    fn every_action_has_a_parameter_schema() {
        for action in ACTIONS {
            assert!(schema_of(action.name).is_some(), "{}", action.name);
        }
    }
}
