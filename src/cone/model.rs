//! The cone: a household's policy for automated actions, and its pure evaluation.
//!
//! Bands: **green** may run; **yellow** may run only with an approved approval covering the
//! target; **red** may not run (a hard limit, a denied action, a role rule, or a policy that
//! cannot be evaluated — the cone fails closed).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::money::{Currency, Money};
use crate::domain::{DecimalInput, ObjectOnly, Role};
use crate::error::FieldError;
use crate::heimdall::registry::{self, ActionClass, ActionInfo, MoneyMoving};
use crate::household::model::Settings;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Green,
    Yellow,
    Red,
}

impl Band {
    pub fn as_str(&self) -> &'static str {
        match self {
            Band::Green => "green",
            Band::Yellow => "yellow",
            Band::Red => "red",
        }
    }

    pub fn parse(text: &str) -> Option<Band> {
        match text {
            "green" => Some(Band::Green),
            "yellow" => Some(Band::Yellow),
            "red" => Some(Band::Red),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Look without changing anything.
    Explore,
    /// Act.
    Execute,
}

/// Thresholds for one spending category, overriding the policy's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRule {
    /// Amount from which an approval is needed in this category.
    #[schema(value_type = Option<String>, example = "50.00")]
    #[serde(default)]
    pub yellow_at: Option<String>,
    /// Amount from which execution is refused in this category.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub red_at: Option<String>,
}

/// The stored policy document. Amounts are decimal strings in the household currency; an
/// absent threshold follows the household settings (`big_spend_threshold`, `hard_spend_limit`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyDoc {
    /// Amount from which executing needs an approved approval; `null`: `big_spend_threshold`.
    #[schema(value_type = Option<String>, example = "200.00")]
    #[serde(default)]
    pub yellow_at: Option<String>,
    /// Amount from which executing is refused; `null`: `hard_spend_limit`.
    #[schema(value_type = Option<String>, example = "1000.00")]
    #[serde(default)]
    pub red_at: Option<String>,
    /// Lowest role that may execute money-moving actions.
    #[serde(default = "default_money_role")]
    pub money_role: Role,
    /// Actions refused in execute mode, whatever the amount.
    #[serde(default)]
    pub denied_actions: Vec<String>,
    /// Actions that always need an approved approval in execute mode.
    #[serde(default)]
    pub approval_actions: Vec<String>,
    /// Per-category thresholds.
    #[serde(default)]
    pub categories: BTreeMap<String, CategoryRule>,
}

fn default_money_role() -> Role {
    Role::Adult
}

impl Default for PolicyDoc {
    /// The default policy of SPEC §9: thresholds from the household settings, money moved by
    /// adults and owners only.
    fn default() -> PolicyDoc {
        PolicyDoc {
            yellow_at: None,
            red_at: None,
            money_role: Role::Adult,
            denied_actions: Vec::new(),
            approval_actions: Vec::new(),
            categories: BTreeMap::new(),
        }
    }
}

/// `PUT /core/cone/policy`: like [`PolicyDoc`], amounts as numbers or strings.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub yellow_at: Option<DecimalInput>,
    /// At least `yellow_at`.
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub red_at: Option<DecimalInput>,
    pub money_role: Option<Role>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::schemas::ActionName>)]
    pub denied_actions: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::openapi::schemas::ActionName>)]
    pub approval_actions: Vec<String>,
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::CategoryRules)]
    pub categories: BTreeMap<String, ObjectOnly<CategoryRuleInput>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryRuleInput {
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub yellow_at: Option<DecimalInput>,
    /// At least `yellow_at`.
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub red_at: Option<DecimalInput>,
}

fn amount(
    field: String,
    input: Option<DecimalInput>,
    currency: Currency,
) -> Result<Option<Money>, FieldError> {
    input.map(|d| d.money(&field, currency)).transpose()
}

fn check_order(
    field: &str,
    yellow: Option<Money>,
    red: Option<Money>,
    errors: &mut Vec<FieldError>,
) {
    if let (Some(y), Some(r)) = (yellow, red)
        && y.minor() > r.minor()
    {
        errors.push(FieldError::new(field, "must be at least yellow_at"));
    }
}

impl PolicyInput {
    /// Validates every field and normalises amounts to the currency's digits.
    pub fn validate(self, currency: Currency) -> Result<PolicyDoc, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut money =
            |field: String, input: Option<DecimalInput>| match amount(field, input, currency) {
                Ok(m) => m,
                Err(e) => {
                    errors.push(e);
                    None
                }
            };
        let yellow = money("yellow_at".into(), self.yellow_at);
        let red = money("red_at".into(), self.red_at);
        let mut categories = BTreeMap::new();
        let mut category_amounts = Vec::new();
        for (name, ObjectOnly(rule)) in self.categories {
            let y = money(format!("categories.{name}.yellow_at"), rule.yellow_at);
            let r = money(format!("categories.{name}.red_at"), rule.red_at);
            category_amounts.push((name.clone(), y, r));
            categories.insert(
                name,
                CategoryRule {
                    yellow_at: y.map(|m| m.to_string()),
                    red_at: r.map(|m| m.to_string()),
                },
            );
        }
        check_order("red_at", yellow, red, &mut errors);
        for (name, y, r) in category_amounts {
            check_order(&format!("categories.{name}.red_at"), y, r, &mut errors);
            if name.trim().is_empty() || name.chars().count() > 100 {
                errors.push(FieldError::new(
                    format!("categories.{name}"),
                    "category names are 1 to 100 characters",
                ));
            }
        }
        for (field, list) in [
            ("denied_actions", &self.denied_actions),
            ("approval_actions", &self.approval_actions),
        ] {
            for (i, action) in list.iter().enumerate() {
                if registry::find(action).is_none() {
                    errors.push(FieldError::new(format!("{field}[{i}]"), "unknown action"));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PolicyDoc {
            yellow_at: yellow.map(|m| m.to_string()),
            red_at: red.map(|m| m.to_string()),
            money_role: self.money_role.unwrap_or(Role::Adult),
            denied_actions: self.denied_actions,
            approval_actions: self.approval_actions,
            categories,
        })
    }
}

/// What the cone is asked about.
#[derive(Debug, Clone)]
pub struct Question<'a> {
    pub action: &'a ActionInfo,
    pub mode: Mode,
    /// The amount at stake, in the household currency.
    pub amount: Option<Money>,
    pub category: Option<&'a str>,
    /// The role of whoever asks to act.
    pub role: Role,
    /// An approved approval covering the target and amount, if one exists.
    pub covering_approval: Option<&'a str>,
}

/// The cone's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Verdict {
    pub allow: bool,
    pub band: Band,
    /// True when the action may run only once an approval is approved.
    pub requires_approval: bool,
    /// Why, in words.
    pub reasons: Vec<String>,
}

impl Verdict {
    fn new(allow: bool, band: Band, requires_approval: bool, reason: String) -> Verdict {
        Verdict {
            allow,
            band,
            requires_approval,
            reasons: vec![reason],
        }
    }

    fn refuse(reason: String) -> Verdict {
        Verdict::new(false, Band::Red, false, reason)
    }
}

/// The thresholds that apply, after settings and category rules.
struct Thresholds {
    yellow: Money,
    red: Money,
}

fn thresholds(
    doc: &PolicyDoc,
    settings: &Settings,
    category: Option<&str>,
) -> Result<Thresholds, String> {
    let currency = settings.currency;
    let parse = |field: &str, text: &Option<String>| -> Result<Option<Money>, String> {
        text.as_deref()
            .map(|t| {
                Money::parse(t, currency).map_err(|e| {
                    format!("policy {field} {t:?} is not an amount in {currency}: {e}")
                })
            })
            .transpose()
    };
    let mut yellow = parse("yellow_at", &doc.yellow_at)?.unwrap_or(settings.big_spend_threshold);
    let mut red = parse("red_at", &doc.red_at)?.unwrap_or(settings.hard_spend_limit);
    if let Some(rule) = category.and_then(|c| doc.categories.get(c)) {
        if let Some(y) = parse("categories.yellow_at", &rule.yellow_at)? {
            yellow = y;
        }
        if let Some(r) = parse("categories.red_at", &rule.red_at)? {
            red = r;
        }
    }
    if yellow.currency() != currency || red.currency() != currency {
        return Err("thresholds are not in the household currency".into());
    }
    Ok(Thresholds { yellow, red })
}

/// Evaluates `question` under the policy document `doc`. Pure: everything it needs is passed in.
pub fn evaluate(doc: &PolicyDoc, settings: &Settings, question: &Question<'_>) -> Verdict {
    let action = question.action;
    if question.mode == Mode::Explore {
        return Verdict::new(
            true,
            Band::Green,
            false,
            "explore mode changes nothing".into(),
        );
    }
    if doc.denied_actions.iter().any(|a| a == action.name) {
        return Verdict::refuse(format!("the policy denies {} in execute mode", action.name));
    }
    let always_approval = doc.approval_actions.iter().any(|a| a == action.name);
    if action.class == ActionClass::Safe && !always_approval {
        return Verdict::new(
            true,
            Band::Green,
            false,
            format!("{} is a safe action", action.name),
        );
    }
    let limits = match thresholds(doc, settings, question.category) {
        Ok(t) => t,
        Err(why) => return Verdict::refuse(format!("the policy cannot be evaluated: {why}")),
    };
    let amount = question.amount.map_or(0, |a| a.minor());
    if question
        .amount
        .is_some_and(|a| a.currency() != settings.currency)
    {
        return Verdict::refuse(
            "the policy cannot be evaluated: amount in another currency".into(),
        );
    }
    let moves_money = match action.money_moving {
        MoneyMoving::Never => false,
        MoneyMoving::Always => true,
        MoneyMoving::AtThreshold => amount >= limits.yellow.minor(),
    };
    if moves_money && !question.role.at_least(doc.money_role) {
        return Verdict::refuse(format!(
            "the {} role may not execute {} (money-moving actions need {} or above)",
            question.role.as_str(),
            action.name,
            doc.money_role.as_str()
        ));
    }
    if amount >= limits.red.minor() {
        return Verdict::refuse(format!(
            "{} is at or above the hard limit {}",
            Money::from_minor(amount, settings.currency),
            limits.red
        ));
    }
    let yellow_reason = if amount >= limits.yellow.minor() {
        Some(format!(
            "{} is at or above the approval threshold {}",
            Money::from_minor(amount, settings.currency),
            limits.yellow
        ))
    } else if always_approval {
        Some(format!(
            "the policy requires an approval for {}",
            action.name
        ))
    } else {
        None
    };
    match (yellow_reason, question.covering_approval) {
        (None, _) => Verdict::new(
            true,
            Band::Green,
            false,
            format!(
                "{} is below the approval threshold {}",
                Money::from_minor(amount, settings.currency),
                limits.yellow
            ),
        ),
        (Some(why), Some(approval)) => Verdict {
            allow: true,
            band: Band::Yellow,
            requires_approval: false,
            reasons: vec![why, format!("approved approval {approval} covers it")],
        },
        (Some(why), None) => Verdict {
            allow: false,
            band: Band::Yellow,
            requires_approval: true,
            reasons: vec![why, "no approved approval covers it".into()],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn settings() -> Settings {
        Settings::defaults()
    }

    fn usd(text: &str) -> Money {
        Money::parse(text, Currency::USD).unwrap()
    }

    fn ask(action: &str, mode: Mode, amount: Option<&str>, role: Role, covered: bool) -> Verdict {
        let q = Question {
            action: registry::find(action).unwrap(),
            mode,
            amount: amount.map(usd),
            category: None,
            role,
            covering_approval: covered.then_some("a1"),
        };
        evaluate(&PolicyDoc::default(), &settings(), &q)
    }

    #[test]
    fn default_bands_follow_the_spec() {
        let v = ask(
            "shopping.bought",
            Mode::Explore,
            Some("5000"),
            Role::Viewer,
            false,
        );
        assert!(v.allow && v.band == Band::Green);
        let v = ask("forecast.rollup", Mode::Execute, None, Role::Viewer, false);
        assert!(v.allow && v.band == Band::Green);
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("199.99"),
            Role::Adult,
            false,
        );
        assert!(v.allow && v.band == Band::Green && !v.requires_approval);
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("200.00"),
            Role::Adult,
            false,
        );
        assert!(!v.allow && v.band == Band::Yellow && v.requires_approval);
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("200.00"),
            Role::Adult,
            true,
        );
        assert!(v.allow && v.band == Band::Yellow && !v.requires_approval);
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("1000.00"),
            Role::Owner,
            true,
        );
        assert!(!v.allow && v.band == Band::Red);
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("999.99"),
            Role::Owner,
            true,
        );
        assert!(v.allow);
    }

    #[test]
    fn roles_below_adult_do_not_move_money() {
        let v = ask("bills.paid", Mode::Execute, Some("10"), Role::Member, false);
        assert!(!v.allow && v.band == Band::Red);
        let v = ask("bills.paid", Mode::Execute, Some("10"), Role::Adult, false);
        assert!(v.allow);
        // Buying small things is not money-moving; big ones are.
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("10"),
            Role::Member,
            false,
        );
        assert!(v.allow);
        let v = ask(
            "shopping.bought",
            Mode::Execute,
            Some("250"),
            Role::Member,
            true,
        );
        assert!(!v.allow && v.band == Band::Red);
    }

    #[test]
    fn policy_rules_apply_and_bad_policies_fail_closed() {
        let doc = PolicyDoc {
            yellow_at: Some("50.00".into()),
            denied_actions: vec!["receipts.create".into()],
            approval_actions: vec!["inventory.out_of".into()],
            categories: BTreeMap::from([(
                "electronics".to_string(),
                CategoryRule {
                    yellow_at: Some("10.00".into()),
                    red_at: Some("300.00".into()),
                },
            )]),
            ..PolicyDoc::default()
        };
        let q = |action: &str, amount: &str, category: Option<&'static str>| Question {
            action: registry::find(action).unwrap(),
            mode: Mode::Execute,
            amount: Some(usd(amount)),
            category,
            role: Role::Owner,
            covering_approval: None,
        };
        let s = settings();
        assert_eq!(
            evaluate(&doc, &s, &q("shopping.bought", "60", None)).band,
            Band::Yellow
        );
        assert_eq!(
            evaluate(&doc, &s, &q("shopping.bought", "40", None)).band,
            Band::Green
        );
        assert_eq!(
            evaluate(&doc, &s, &q("shopping.bought", "20", Some("electronics"))).band,
            Band::Yellow
        );
        assert_eq!(
            evaluate(&doc, &s, &q("shopping.bought", "300", Some("electronics"))).band,
            Band::Red
        );
        assert_eq!(
            evaluate(&doc, &s, &q("receipts.create", "1", None)).band,
            Band::Red
        );
        let v = evaluate(&doc, &s, &q("inventory.out_of", "0", None));
        assert!(!v.allow && v.requires_approval);
        let broken = PolicyDoc {
            red_at: Some("ten".into()),
            ..PolicyDoc::default()
        };
        let v = evaluate(&broken, &s, &q("shopping.bought", "1", None));
        assert!(!v.allow && v.band == Band::Red);
        assert!(v.reasons[0].contains("cannot be evaluated"));
    }

    #[test]
    fn input_is_validated() {
        let input: PolicyInput = serde_json::from_str(
            r#"{"yellow_at": "300", "red_at": 100, "denied_actions": ["nope"],
                "categories": {"toys": {"yellow_at": "1.005"}}}"#,
        )
        .unwrap();
        let mut fields: Vec<_> = input
            .validate(Currency::USD)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        fields.sort();
        assert_eq!(
            fields,
            ["categories.toys.yellow_at", "denied_actions[0]", "red_at"]
        );
    }

    fn any_role() -> impl Strategy<Value = Role> {
        prop_oneof![
            Just(Role::Owner),
            Just(Role::Adult),
            Just(Role::Member),
            Just(Role::Viewer)
        ]
    }

    proptest! {
        #[test]
        fn more_money_never_means_a_milder_band(a in 0i64..500_000, b in 0i64..500_000, role in any_role(), covered: bool, i in 0usize..13) {
            let action = &registry::ACTIONS[i];
            let (lo, hi) = (a.min(b), a.max(b));
            let q = |amount: i64| Question {
                action,
                mode: Mode::Execute,
                amount: Some(Money::from_minor(amount, Currency::USD)),
                category: None,
                role,
                covering_approval: covered.then_some("x"),
            };
            let low = evaluate(&PolicyDoc::default(), &settings(), &q(lo));
            let high = evaluate(&PolicyDoc::default(), &settings(), &q(hi));
            prop_assert!(high.band >= low.band);
            prop_assert!(!high.allow || low.allow);
        }

        #[test]
        fn red_never_allows_and_explore_always_does(amount in 0i64..500_000, role in any_role(), covered: bool, i in 0usize..13) {
            let action = &registry::ACTIONS[i];
            for mode in [Mode::Explore, Mode::Execute] {
                let v = evaluate(&PolicyDoc::default(), &settings(), &Question {
                    action,
                    mode,
                    amount: Some(Money::from_minor(amount, Currency::USD)),
                    category: None,
                    role,
                    covering_approval: covered.then_some("x"),
                });
                if v.band == Band::Red { prop_assert!(!v.allow); }
                if mode == Mode::Explore { prop_assert!(v.allow); }
                if v.allow && mode == Mode::Execute && action.money_moving == MoneyMoving::Always {
                    prop_assert!(role.at_least(Role::Adult));
                }
            }
        }
    }
}
