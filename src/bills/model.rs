//! Bills: types and pure rules (validation, recurrence, overdue).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::input::{currency_or, day_until_today};
use crate::domain::money::{Currency, Money};
use crate::domain::recurrence::{MonthEnd, Rule, Series};
use crate::domain::{Day, DecimalInput, Patch, WholeNumber, text};
use crate::error::{ApiError, FieldError};
use crate::ledger::model::category;

pub const NAME_MAX: usize = 200;
/// How many days ahead a reminder may be asked for.
pub const REMIND_MAX_DAYS: i64 = 365;
pub const DEFAULT_REMIND_DAYS: i64 = 3;

/// Whether the bill's current period is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BillStatus {
    Unpaid,
    Paid,
}

impl BillStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            BillStatus::Unpaid => "unpaid",
            BillStatus::Paid => "paid",
        }
    }

    pub fn parse(text: &str) -> Option<BillStatus> {
        match text {
            "unpaid" => Some(BillStatus::Unpaid),
            "paid" => Some(BillStatus::Paid),
            _ => None,
        }
    }
}

/// A bill as served.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bill {
    pub id: String,
    pub name: String,
    pub payee: Option<String>,
    #[schema(value_type = String, example = "89.99")]
    pub amount: Money,
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
    /// The period to pay next (for a paid one-off bill: the period that was paid).
    #[schema(value_type = String, format = Date)]
    pub due_on: NaiveDate,
    /// RFC 5545 RRULE; `null` for a one-off bill.
    #[schema(example = "FREQ=MONTHLY")]
    pub rrule: Option<String>,
    pub category: Option<String>,
    pub autopay: bool,
    pub status: BillStatus,
    pub remind_days_before: i64,
    #[schema(value_type = Option<String>, format = Date)]
    pub last_paid_on: Option<NaiveDate>,
    /// Unpaid and due before today (household time).
    pub overdue: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The checked, stored fields of a bill.
#[derive(Debug, Clone, PartialEq)]
pub struct BillFields {
    pub name: String,
    pub payee: Option<String>,
    pub amount: Money,
    pub due_on: NaiveDate,
    pub rrule: Option<Rule>,
    pub category: Option<String>,
    pub autopay: bool,
    pub remind_days_before: i64,
}

/// Unpaid and due before `today`.
pub fn is_overdue(status: BillStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status == BillStatus::Unpaid && due_on < today
}

/// The due date after paying the period `due_on` of a series that started on `series_start`:
/// the next occurrence, keeping the day of month in short months (31 Jan → 28 Feb → 31 Mar).
/// `None` for a one-off bill or a finished series.
pub fn next_due(
    rule: Option<&Rule>,
    series_start: NaiveDate,
    due_on: NaiveDate,
) -> Option<NaiveDate> {
    let rule = rule?;
    Series {
        start: series_start,
        rule: Some(rule),
        until: None,
    }
    .first_after_with(due_on, MonthEnd::Clamp)
}

fn rule(field: &str, text: &str) -> Result<Rule, FieldError> {
    Rule::parse(text).map_err(|m| FieldError::new(field, m))
}

fn remind_days(value: i64) -> Result<i64, FieldError> {
    if (0..=REMIND_MAX_DAYS).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            "remind_days_before",
            format!("must be between 0 and {REMIND_MAX_DAYS}"),
        ))
    }
}

/// `POST /core/bills`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBill {
    #[schema(value_type = crate::openapi::schemas::NonBlank200, example = "Electricity")]
    pub name: String,
    #[schema(value_type = Option<crate::openapi::schemas::Text200>)]
    pub payee: Option<String>,
    /// More than 0.
    #[schema(value_type = crate::openapi::schemas::PositiveMoneyInput)]
    pub amount: DecimalInput,
    /// ISO 4217; default the household currency.
    #[schema(value_type = Option<crate::openapi::schemas::CurrencyCode>)]
    pub currency: Option<String>,
    /// The first period's due date.
    pub due_on: Day,
    /// RFC 5545 RRULE, e.g. `FREQ=MONTHLY`; omit for a one-off bill.
    #[schema(value_type = Option<crate::openapi::schemas::RecurrenceRule>)]
    pub rrule: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Option<String>,
    /// Default false.
    pub autopay: Option<bool>,
    /// 0–365, default 3.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 365)]
    pub remind_days_before: Option<WholeNumber>,
}

impl NewBill {
    pub fn validate(self, household_currency: Currency) -> Result<BillFields, ApiError> {
        let currency = currency_or("currency", self.currency.as_deref(), household_currency)?;
        Ok(BillFields {
            name: text::required("name", &self.name, NAME_MAX)?,
            payee: text::optional("payee", self.payee.as_deref(), NAME_MAX)?,
            amount: self.amount.positive_money("amount", currency)?,
            due_on: self.due_on.0,
            rrule: self
                .rrule
                .as_deref()
                .map(|r| rule("rrule", r))
                .transpose()?,
            category: category("category", self.category.as_deref())?,
            autopay: self.autopay.unwrap_or(false),
            remind_days_before: remind_days(
                self.remind_days_before.map_or(DEFAULT_REMIND_DAYS, |d| d.0),
            )?,
        })
    }
}

/// `PATCH /core/bills/{id}`: fields absent are kept; `null` clears an optional field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BillPatch {
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::NonBlank200)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::Text200>)]
    pub payee: Patch<String>,
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::PositiveMoneyInput)]
    pub amount: Patch<DecimalInput>,
    /// Changing it keeps the amount's value (12.00 EUR → 12.00 USD).
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::CurrencyCode)]
    pub currency: Patch<String>,
    /// A new due date starts a new series there (and reopens a paid bill).
    #[serde(default)]
    #[schema(value_type = Day)]
    pub due_on: Patch<Day>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::RecurrenceRule>)]
    pub rrule: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Patch<String>,
    #[serde(default)]
    #[schema(value_type = bool)]
    pub autopay: Patch<bool>,
    /// 0–365.
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0, maximum = 365)]
    pub remind_days_before: Patch<WholeNumber>,
}

fn required<T>(field: &str, patch: Patch<T>, current: T) -> Result<T, FieldError> {
    match patch {
        Patch::Keep => Ok(current),
        Patch::Clear => Err(FieldError::new(field, "must not be null")),
        Patch::Set(v) => Ok(v),
    }
}

impl BillPatch {
    /// The fields after applying this patch to `current`; nothing is applied on error.
    pub fn apply(self, current: BillFields) -> Result<BillFields, ApiError> {
        let currency = match self.currency {
            Patch::Keep => current.amount.currency(),
            Patch::Clear => return Err(FieldError::new("currency", "must not be null").into()),
            Patch::Set(code) => currency_or("currency", Some(&code), current.amount.currency())?,
        };
        let amount = match self.amount {
            Patch::Set(a) => a.positive_money("amount", currency)?,
            Patch::Clear => return Err(FieldError::new("amount", "must not be null").into()),
            Patch::Keep => current.amount.rescale(currency).map_err(|_| {
                FieldError::new(
                    "amount",
                    format!(
                        "{} cannot be expressed in {currency}; set it too",
                        current.amount
                    ),
                )
            })?,
        };
        let name = match self.name {
            Patch::Set(name) => text::required("name", &name, NAME_MAX)?,
            other => required("name", other, current.name)?,
        };
        Ok(BillFields {
            name,
            payee: optional_text(self.payee, current.payee, |v| {
                text::optional("payee", Some(v), NAME_MAX)
            })?,
            amount,
            due_on: required("due_on", self.due_on, Day(current.due_on))?.0,
            rrule: match self.rrule {
                Patch::Keep => current.rrule,
                Patch::Clear => None,
                Patch::Set(text) => Some(rule("rrule", &text)?),
            },
            category: optional_text(self.category, current.category, |v| {
                category("category", Some(v))
            })?,
            autopay: required("autopay", self.autopay, current.autopay)?,
            remind_days_before: match self.remind_days_before {
                Patch::Set(days) => remind_days(days.0)?,
                other => required(
                    "remind_days_before",
                    other.map(|d| d.0),
                    current.remind_days_before,
                )?,
            },
        })
    }
}

/// An optional text field under a patch; an empty string clears it like `null`.
fn optional_text(
    patch: Patch<String>,
    current: Option<String>,
    check: impl FnOnce(&str) -> Result<Option<String>, FieldError>,
) -> Result<Option<String>, FieldError> {
    Ok(match patch {
        Patch::Keep => current,
        Patch::Clear => None,
        Patch::Set(v) => check(&v)?,
    })
}

/// `POST /core/bills/{id}/paid` (body optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidBody {
    /// Default today; not after today.
    pub paid_on: Option<Day>,
    /// What was paid, in the household currency; default the bill's amount.
    #[schema(value_type = Option<crate::openapi::schemas::PositiveMoneyInput>)]
    pub amount: Option<DecimalInput>,
    /// The period being paid (the bill's `due_on` as the caller saw it). When the bill has
    /// moved on since, nothing is paid and the answer is 409.
    pub due_on: Option<Day>,
}

/// A checked payment request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarkPaid {
    pub paid_on: Option<NaiveDate>,
    pub amount: Option<Money>,
    pub period: Option<NaiveDate>,
}

impl PaidBody {
    pub fn validate(
        self,
        ledger_currency: Currency,
        today: NaiveDate,
    ) -> Result<MarkPaid, ApiError> {
        Ok(MarkPaid {
            paid_on: Some(day_until_today("paid_on", self.paid_on, today)?),
            amount: self
                .amount
                .map(|a| a.positive_money("amount", ledger_currency))
                .transpose()?,
            period: self.due_on.map(|d| d.0),
        })
    }
}

/// The ledger memo of a bill payment: the bill's name and payee.
pub fn payment_memo(name: &str, payee: Option<&str>, period: NaiveDate) -> String {
    match payee {
        Some(payee) => format!("{name} ({payee}), due {period}"),
        None => format!("{name}, due {period}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    fn fields() -> BillFields {
        serde_json::from_str::<NewBill>(
            r#"{"name":"Rent","amount":"950","due_on":"2026-01-31","rrule":"FREQ=MONTHLY"}"#,
        )
        .unwrap()
        .validate(Currency::USD)
        .unwrap()
    }

    #[test]
    fn new_bills_get_defaults_and_are_checked() {
        let f = fields();
        assert_eq!(f.amount.to_string(), "950.00");
        assert_eq!(f.remind_days_before, 3);
        assert!(!f.autopay);
        for (json, field) in [
            (r#"{"name":"","amount":1,"due_on":"2026-01-01"}"#, "name"),
            (r#"{"name":"x","amount":0,"due_on":"2026-01-01"}"#, "amount"),
            (
                r#"{"name":"x","amount":1,"due_on":"2026-01-01","rrule":"FREQ=NEVER"}"#,
                "rrule",
            ),
            (
                r#"{"name":"x","amount":1,"due_on":"2026-01-01","currency":"EURO"}"#,
                "currency",
            ),
            (
                r#"{"name":"x","amount":"1.5","due_on":"2026-01-01","currency":"JPY"}"#,
                "amount",
            ),
            (
                r#"{"name":"x","amount":1,"due_on":"2026-01-01","remind_days_before":-1}"#,
                "remind_days_before",
            ),
        ] {
            let err = serde_json::from_str::<NewBill>(json)
                .unwrap()
                .validate(Currency::USD)
                .unwrap_err();
            assert_eq!(err.errors[0].field, field, "{json}");
        }
    }

    #[test]
    fn monthly_bills_keep_their_day() {
        let f = fields();
        let rule = f.rrule.as_ref();
        let start = f.due_on;
        assert_eq!(
            next_due(rule, start, d("2026-01-31")),
            Some(d("2026-02-28"))
        );
        assert_eq!(
            next_due(rule, start, d("2026-02-28")),
            Some(d("2026-03-31"))
        );
        assert_eq!(
            next_due(rule, start, d("2026-03-31")),
            Some(d("2026-04-30"))
        );
        assert_eq!(next_due(None, start, d("2026-01-31")), None);
    }

    #[test]
    fn patches_keep_clear_and_convert() {
        let patch: BillPatch =
            serde_json::from_str(r#"{"rrule":null,"payee":"ACME","currency":"EUR"}"#).unwrap();
        let next = patch.apply(fields()).unwrap();
        assert_eq!(next.rrule, None);
        assert_eq!(next.payee.as_deref(), Some("ACME"));
        assert_eq!(next.amount.currency().code(), "EUR");
        assert_eq!(next.amount.to_string(), "950.00");
        let patch: BillPatch = serde_json::from_str(r#"{"due_on":null}"#).unwrap();
        assert_eq!(patch.apply(fields()).unwrap_err().errors[0].field, "due_on");
        let mut cents = fields();
        cents.amount = Money::parse("9.99", Currency::USD).unwrap();
        let patch: BillPatch = serde_json::from_str(r#"{"currency":"JPY"}"#).unwrap();
        assert_eq!(patch.apply(cents).unwrap_err().errors[0].field, "amount");
    }

    #[test]
    fn overdue_means_unpaid_and_past_due() {
        let today = d("2026-11-25");
        assert!(is_overdue(BillStatus::Unpaid, d("2026-11-24"), today));
        assert!(!is_overdue(BillStatus::Unpaid, today, today));
        assert!(!is_overdue(BillStatus::Paid, d("2026-11-01"), today));
    }

    #[test]
    fn payments_are_checked() {
        let today = d("2026-11-25");
        let paid: PaidBody =
            serde_json::from_str(r#"{"amount":"12.5","due_on":"2026-12-01"}"#).unwrap();
        let paid = paid.validate(Currency::USD, today).unwrap();
        assert_eq!(paid.paid_on, Some(today));
        assert_eq!(paid.amount.unwrap().to_string(), "12.50");
        assert_eq!(paid.period, Some(d("2026-12-01")));
        let late: PaidBody = serde_json::from_str(r#"{"paid_on":"2026-11-26"}"#).unwrap();
        assert_eq!(
            late.validate(Currency::USD, today).unwrap_err().errors[0].field,
            "paid_on"
        );
    }
}
