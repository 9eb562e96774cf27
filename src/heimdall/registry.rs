//! The catalog of actions automations may ask for, with their class.
//!
//! `safe` actions only read, generate suggestions or send reminders; `exec` actions spend money
//! or change household state. The cone (policy) and the dispatcher both read this one table.

use serde::Serialize;

use crate::domain::Role;

/// How dangerous an action is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActionClass {
    /// Reads, generates suggestions, sends reminders.
    Safe,
    /// Spends money or changes household state.
    Exec,
}

impl ActionClass {
    pub fn as_str(&self) -> &'static str {
        match self {
            ActionClass::Safe => "safe",
            ActionClass::Exec => "exec",
        }
    }
}

/// Whether executing an action moves money (so roles below the policy's money role may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyMoving {
    Never,
    Always,
    /// Only when the amount reaches the approval threshold (e.g. buying something big).
    AtThreshold,
}

/// One entry of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct ActionInfo {
    pub name: &'static str,
    pub class: ActionClass,
    pub money_moving: MoneyMoving,
    /// The least role that may ask for it (the same as its direct route).
    pub min_role: Role,
    pub description: &'static str,
}

const fn safe(name: &'static str, min_role: Role, description: &'static str) -> ActionInfo {
    ActionInfo {
        name,
        class: ActionClass::Safe,
        money_moving: MoneyMoving::Never,
        min_role,
        description,
    }
}

const fn exec(
    name: &'static str,
    money_moving: MoneyMoving,
    min_role: Role,
    description: &'static str,
) -> ActionInfo {
    ActionInfo {
        name,
        class: ActionClass::Exec,
        money_moving,
        min_role,
        description,
    }
}

/// Every action there is (SPEC §10).
pub const ACTIONS: &[ActionInfo] = &[
    safe(
        "shopping.generate_from_inventory",
        Role::Member,
        "Add a shopping item for each low-stock inventory item not yet on the list.",
    ),
    safe(
        "shopping.generate_from_needs",
        Role::Member,
        "Add a shopping item for each upcoming need occurrence not yet on the list.",
    ),
    safe(
        "shopping.request_approvals",
        Role::Member,
        "Ask for an approval for each open item at or above the spend threshold.",
    ),
    safe(
        "bills.push_reminders",
        Role::Member,
        "Create reminders for bills coming due.",
    ),
    safe(
        "shopping.push_reminders",
        Role::Member,
        "Create a digest reminder of the open shopping list.",
    ),
    safe(
        "schedule.push_reminders",
        Role::Member,
        "Create reminders for upcoming schedule occurrences.",
    ),
    safe(
        "budget.impact",
        Role::Viewer,
        "What spending an amount would do to the cash buffer and a category's budget.",
    ),
    safe(
        "forecast.rollup",
        Role::Viewer,
        "The inventory items that run out soonest.",
    ),
    exec(
        "shopping.bought",
        MoneyMoving::AtThreshold,
        Role::Member,
        "Mark a shopping item bought: receipt, ledger expense, restock (behind the spend gate).",
    ),
    exec(
        "bills.paid",
        MoneyMoving::Always,
        Role::Adult,
        "Pay a bill's current period: ledger expense, next due date.",
    ),
    exec(
        "receipts.create",
        MoneyMoving::Never,
        Role::Member,
        "Store a receipt and post it to the ledger.",
    ),
    exec(
        "inventory.out_of",
        MoneyMoving::Never,
        Role::Member,
        "Mark an inventory item run out, logging the remaining quantity as usage.",
    ),
    exec(
        "shopping.quick_add",
        MoneyMoving::Never,
        Role::Member,
        "Add one unit of something to the shopping list.",
    ),
];

/// Looks an action up by name.
pub fn find(name: &str) -> Option<&'static ActionInfo> {
    ACTIONS.iter().find(|a| a.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalog_has_the_specs_actions() {
        assert_eq!(ACTIONS.len(), 13);
        assert_eq!(find("bills.paid").unwrap().class, ActionClass::Exec);
        assert_eq!(find("forecast.rollup").unwrap().class, ActionClass::Safe);
        assert!(
            find("approvals.decide").is_none(),
            "deciding approvals is never an action"
        );
        let mut names: Vec<_> = ACTIONS.iter().map(|a| a.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ACTIONS.len());
    }
}
