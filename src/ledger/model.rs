//! Ledger entries: types and pure rules. The ledger is append-only; corrections are new entries.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::input::{currency_or, day_until_today};
use crate::domain::money::{Currency, Money};
use crate::domain::{Day, DecimalInput, text};
use crate::error::{ApiError, FieldError};

pub const CATEGORY_MAX: usize = 100;
pub const MEMO_MAX: usize = 2000;

/// Money out or money in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    Expense,
    Income,
}

impl EntryKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EntryKind::Expense => "expense",
            EntryKind::Income => "income",
        }
    }

    pub fn parse(text: &str) -> Option<EntryKind> {
        match text {
            "expense" => Some(EntryKind::Expense),
            "income" => Some(EntryKind::Income),
            _ => None,
        }
    }
}

/// What wrote an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SourceType {
    Receipt,
    Bill,
    Manual,
}

impl SourceType {
    pub fn as_str(&self) -> &'static str {
        match self {
            SourceType::Receipt => "receipt",
            SourceType::Bill => "bill",
            SourceType::Manual => "manual",
        }
    }

    pub fn parse(text: &str) -> Option<SourceType> {
        match text {
            "receipt" => Some(SourceType::Receipt),
            "bill" => Some(SourceType::Bill),
            "manual" => Some(SourceType::Manual),
            _ => None,
        }
    }
}

/// The origin of a new entry: a manual booking, or the receipt or bill it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Manual,
    Receipt(String),
    Bill(String),
}

impl Source {
    pub fn source_type(&self) -> SourceType {
        match self {
            Source::Manual => SourceType::Manual,
            Source::Receipt(_) => SourceType::Receipt,
            Source::Bill(_) => SourceType::Bill,
        }
    }

    pub fn source_id(&self) -> Option<&str> {
        match self {
            Source::Manual => None,
            Source::Receipt(id) | Source::Bill(id) => Some(id),
        }
    }
}

/// One line of the books.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    pub kind: EntryKind,
    /// Always greater than 0; `kind` gives the direction.
    #[schema(value_type = String, example = "42.50")]
    pub amount: Money,
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub category: Option<String>,
    pub memo: Option<String>,
    pub source_type: SourceType,
    /// The receipt or bill this entry records; `null` for manual entries.
    pub source_id: Option<String>,
    pub created_at: String,
}

/// A checked entry, ready to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub amount: Money,
    pub date: NaiveDate,
    pub category: Option<String>,
    pub memo: Option<String>,
    pub source: Source,
}

/// `POST /core/ledger`: a manual entry.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEntryBody {
    pub kind: EntryKind,
    /// More than 0.
    #[schema(value_type = crate::openapi::schemas::PositiveMoneyInput)]
    pub amount: DecimalInput,
    /// Must be the household currency (the default); another one is a conflict (409).
    #[schema(value_type = Option<crate::openapi::schemas::CurrencyCode>)]
    pub currency: Option<String>,
    /// Default today; not after today.
    pub date: Option<Day>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>, example = "groceries")]
    pub category: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text2000>)]
    pub memo: Option<String>,
}

impl NewEntryBody {
    pub fn validate(
        self,
        ledger_currency: Currency,
        today: NaiveDate,
    ) -> Result<NewEntry, ApiError> {
        let currency = currency_or("currency", self.currency.as_deref(), ledger_currency)?;
        check_ledger_currency(currency, ledger_currency)?;
        Ok(NewEntry {
            kind: self.kind,
            amount: self.amount.positive_money("amount", currency)?,
            date: day_until_today("date", self.date, today)?,
            category: category("category", self.category.as_deref())?,
            memo: text::optional("memo", self.memo.as_deref(), MEMO_MAX)?,
            source: Source::Manual,
        })
    }
}

/// A category as written on entries, receipts, bills and budget limits: trimmed, 1–100
/// characters, compared exactly.
pub fn category(field: &str, value: Option<&str>) -> Result<Option<String>, FieldError> {
    text::optional(field, value, CATEGORY_MAX)
}

/// The ledger is kept in one currency, the household's: sums never mix currencies.
pub fn check_ledger_currency(
    currency: Currency,
    ledger_currency: Currency,
) -> Result<(), FieldError> {
    if currency == ledger_currency {
        Ok(())
    } else {
        Err(FieldError::new(
            "currency",
            format!(
                "ledger entries are kept in the household currency ({ledger_currency}), not {currency}"
            ),
        ))
    }
}

/// `GET /core/ledger/balance`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Balance {
    /// Income minus expenses of every entry dated on or before `as_of`.
    #[schema(value_type = String, example = "1250.00")]
    pub cash_balance: Money,
    #[schema(value_type = String, format = Date)]
    pub as_of: NaiveDate,
}

/// Income and expense totals, in the ledger currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub income: Money,
    pub expense: Money,
}

impl Totals {
    /// Income − expense.
    pub fn cash(&self) -> Result<Money, crate::domain::money::MoneyError> {
        self.income.checked_sub(self.expense)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decimal::Decimal;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn body(json: &str) -> NewEntryBody {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn manual_entries_are_checked() {
        let entry = body(r#"{"kind":"income","amount":"1200","category":" salary "}"#)
            .validate(Currency::USD, today())
            .unwrap();
        assert_eq!(entry.amount.to_string(), "1200.00");
        assert_eq!(entry.date, today());
        assert_eq!(entry.category.as_deref(), Some("salary"));
        assert_eq!(entry.source, Source::Manual);
        for (json, field) in [
            (r#"{"kind":"expense","amount":0}"#, "amount"),
            (r#"{"kind":"expense","amount":"-3"}"#, "amount"),
            (r#"{"kind":"expense","amount":"1.001"}"#, "amount"),
            (
                r#"{"kind":"expense","amount":1,"currency":"EUR"}"#,
                "currency",
            ),
            (
                r#"{"kind":"expense","amount":1,"currency":"XYZ"}"#,
                "currency",
            ),
            (
                r#"{"kind":"expense","amount":1,"date":"2026-11-26"}"#,
                "date",
            ),
        ] {
            let err = body(json).validate(Currency::USD, today()).unwrap_err();
            assert_eq!(err.errors[0].field, field, "{json}");
        }
    }

    #[test]
    fn cash_is_income_minus_expense() {
        let m = |s: &str| Money::from_decimal(Decimal::parse(s).unwrap(), Currency::USD).unwrap();
        let totals = Totals {
            income: m("100.10"),
            expense: m("100.20"),
        };
        assert_eq!(totals.cash().unwrap().to_string(), "-0.10");
    }
}
