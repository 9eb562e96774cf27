//! The catalog of actions automations may ask for, with their class.
//!
//! `safe` actions only read, generate suggestions or send reminders; `exec` actions spend money
//! or change household state. The cone (policy) and the dispatcher both read this one table.

use serde::Serialize;

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
}

const fn safe(name: &'static str) -> ActionInfo {
    ActionInfo {
        name,
        class: ActionClass::Safe,
        money_moving: MoneyMoving::Never,
    }
}

const fn exec(name: &'static str, money_moving: MoneyMoving) -> ActionInfo {
    ActionInfo {
        name,
        class: ActionClass::Exec,
        money_moving,
    }
}

/// Every action there is (SPEC §10).
pub const ACTIONS: &[ActionInfo] = &[
    safe("shopping.generate_from_inventory"),
    safe("shopping.generate_from_needs"),
    safe("shopping.request_approvals"),
    safe("bills.push_reminders"),
    safe("shopping.push_reminders"),
    safe("schedule.push_reminders"),
    safe("budget.impact"),
    safe("forecast.rollup"),
    exec("shopping.bought", MoneyMoving::AtThreshold),
    exec("bills.paid", MoneyMoving::Always),
    exec("receipts.create", MoneyMoving::Never),
    exec("inventory.out_of", MoneyMoving::Never),
    exec("shopping.quick_add", MoneyMoving::Never),
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
