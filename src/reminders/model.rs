//! Reminders: what a household should be told about today, each said once. Pure rules for
//! which bills and occurrences are due a reminder, and the words of each reminder.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::approvals::model::Approval;
use crate::bills::model::Bill;
use crate::domain::money::Money;
use crate::schedule::model::Kind as EventKind;
use crate::schedule::occurrence::EventOccurrence;

/// How many open items a shopping digest names before it says "and N more".
pub const DIGEST_NAMES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReminderKind {
    Bill,
    Shopping,
    Schedule,
    Approval,
}

impl ReminderKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ReminderKind::Bill => "bill",
            ReminderKind::Shopping => "shopping",
            ReminderKind::Schedule => "schedule",
            ReminderKind::Approval => "approval",
        }
    }

    pub fn parse(text: &str) -> Option<ReminderKind> {
        match text {
            "bill" => Some(ReminderKind::Bill),
            "shopping" => Some(ReminderKind::Shopping),
            "schedule" => Some(ReminderKind::Schedule),
            "approval" => Some(ReminderKind::Approval),
            _ => None,
        }
    }
}

/// A reminder in the inbox (SPEC §12). Unique per (kind, subject, due_on).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reminder {
    pub id: String,
    pub kind: ReminderKind,
    /// The bill, schedule event, approval, or (for the shopping digest) the household.
    pub subject_id: String,
    /// The day the subject is due (bill period, occurrence date, digest day).
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    pub title: String,
    pub message: String,
    pub created_at: String,
    pub dismissed_at: Option<String>,
}

/// A reminder about to be pushed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: ReminderKind,
    pub subject_id: String,
    pub due_on: NaiveDate,
    pub title: String,
    pub message: String,
}

/// What a push did: the reminders it created and how many were already there.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Pushed {
    pub created: Vec<Reminder>,
    /// Reminders that were due but had been pushed before.
    pub skipped: u64,
}

/// Whether something due on `due_on` should be reminded of on `today`, `days_before` ahead.
/// Overdue things stay due a reminder (their reminder is made once, like any other).
pub fn reminder_due(due_on: NaiveDate, days_before: i64, today: NaiveDate) -> bool {
    (due_on - today).num_days() <= days_before
}

/// The reminder for an unpaid bill's current period, if one is due today.
pub fn bill_reminder(bill: &Bill, today: NaiveDate) -> Option<Draft> {
    if !reminder_due(bill.due_on, bill.remind_days_before, today) {
        return None;
    }
    let payee = bill
        .payee
        .as_deref()
        .map_or_else(String::new, |p| format!(" to {p}"));
    let when = if bill.due_on < today {
        format!("was due {} (overdue)", bill.due_on)
    } else if bill.due_on == today {
        "is due today".to_string()
    } else {
        format!("is due {}", bill.due_on)
    };
    let autopay = if bill.autopay { " Autopay is on." } else { "" };
    Some(Draft {
        kind: ReminderKind::Bill,
        subject_id: bill.id.clone(),
        due_on: bill.due_on,
        title: format!("Pay {}", bill.name),
        message: format!("{}{payee}: {} {when}.{autopay}", bill.name, bill.amount),
    })
}

/// The reminder for a schedule occurrence, if one is due today. Past occurrences are not
/// reminded of: they have happened.
pub fn occurrence_reminder(found: &EventOccurrence, today: NaiveDate) -> Option<Draft> {
    let event = &found.event;
    if found.date < today || !reminder_due(found.date, event.remind_days_before, today) {
        return None;
    }
    let when = if found.date == today {
        "today".to_string()
    } else {
        found.date.to_string()
    };
    let mut message = format!("{} {when}.", event.title);
    if event.kind == EventKind::Need {
        let item = event.item_name.as_deref().unwrap_or(&event.title);
        match event.qty {
            Some(qty) => message.push_str(&format!(" Needed: {item} × {qty}.")),
            None => message.push_str(&format!(" Needed: {item}.")),
        }
    }
    Some(Draft {
        kind: ReminderKind::Schedule,
        subject_id: event.id.clone(),
        due_on: found.date,
        title: event.title.clone(),
        message,
    })
}

/// The day's digest of the open shopping list, when it has anything on it. `first_names` are
/// the names of the first open items in list order (at most [`DIGEST_NAMES`] are said);
/// `count` how many are open; `est_total` what they are estimated to cost.
pub fn shopping_digest(
    household_id: &str,
    first_names: &[String],
    count: u64,
    est_total: &str,
    today: NaiveDate,
) -> Option<Draft> {
    if count == 0 {
        return None;
    }
    let named = first_names.len().min(DIGEST_NAMES);
    let mut listed = first_names[..named].join(", ");
    let rest = count.saturating_sub(named as u64);
    if rest > 0 {
        listed.push_str(&format!(" and {rest} more"));
    }
    let noun = if count == 1 { "item" } else { "items" };
    Some(Draft {
        kind: ReminderKind::Shopping,
        subject_id: household_id.to_string(),
        due_on: today,
        title: format!("Shopping list: {count} open {noun}"),
        message: format!("{listed}. Estimated total {est_total}."),
    })
}

/// The inbox entry for a new pending approval.
pub fn approval_reminder(approval: &Approval, today: NaiveDate) -> Draft {
    let amount = approval
        .amount
        .map_or_else(String::new, |a: Money| format!(" ({a})"));
    Draft {
        kind: ReminderKind::Approval,
        subject_id: approval.id.clone(),
        due_on: today,
        title: format!("Approval needed: {}", approval.title),
        message: format!(
            "{} asks for a yes on {}{amount}.",
            approval.requested_by, approval.action
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn due_when_within_the_lead_time_or_overdue() {
        let today = day("2026-11-25");
        assert!(reminder_due(day("2026-11-28"), 3, today));
        assert!(!reminder_due(day("2026-11-29"), 3, today));
        assert!(reminder_due(day("2026-11-25"), 0, today));
        assert!(!reminder_due(day("2026-11-26"), 0, today));
        assert!(reminder_due(day("2026-11-01"), 0, today));
    }

    proptest! {
        #[test]
        fn a_longer_lead_time_never_reminds_less(offset in -400i64..400, lead in 0i64..365) {
            let today = day("2026-06-15");
            let due = today + chrono::Duration::days(offset);
            if reminder_due(due, lead, today) {
                prop_assert!(reminder_due(due, lead + 1, today));
            }
            prop_assert_eq!(reminder_due(due, lead, today), offset <= lead);
        }
    }

    #[test]
    fn digest_names_the_first_items_and_counts_the_rest() {
        let names: Vec<String> = (1..=10).map(|n| format!("thing {n}")).collect();
        let d = shopping_digest("hh", &names, 10, "12.50", day("2026-11-25")).unwrap();
        assert_eq!(d.title, "Shopping list: 10 open items");
        assert!(d.message.starts_with("thing 1, thing 2,"), "{}", d.message);
        assert!(d.message.contains("thing 8 and 2 more."), "{}", d.message);
        assert!(
            d.message.ends_with("Estimated total 12.50."),
            "{}",
            d.message
        );
        assert_eq!(d.subject_id, "hh");
        assert!(shopping_digest("hh", &[], 0, "0.00", day("2026-11-25")).is_none());
        let one = shopping_digest("hh", &["Milk".into()], 1, "1.00", day("2026-11-25")).unwrap();
        assert_eq!(one.title, "Shopping list: 1 open item");
    }

    #[test]
    fn kinds_round_trip() {
        for kind in [
            ReminderKind::Bill,
            ReminderKind::Shopping,
            ReminderKind::Schedule,
            ReminderKind::Approval,
        ] {
            assert_eq!(ReminderKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ReminderKind::parse("other"), None);
    }
}
