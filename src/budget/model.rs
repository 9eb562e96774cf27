//! Budget: monthly limits per category, the month view and the impact of a purchase.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::DecimalInput;
use crate::domain::money::{Currency, Money, MoneyError};
use crate::error::ApiError;

/// A category's monthly spending limit.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BudgetLimit {
    pub category: String,
    #[schema(value_type = String, example = "400.00")]
    pub monthly_limit: Money,
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
    pub version: i64,
    pub updated_at: String,
}

/// `PUT /core/budget/categories/{category}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitBody {
    /// At least 0, in the household currency.
    #[schema(value_type = crate::openapi::schemas::MoneyInput)]
    pub monthly_limit: DecimalInput,
}

/// One category in the month view.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CategoryLine {
    pub category: String,
    /// `null` for a category with spending but no limit.
    #[schema(value_type = Option<String>, example = "400.00")]
    pub limit: Option<Money>,
    /// Expenses of the month in this category.
    #[schema(value_type = String, example = "123.45")]
    pub spent: Money,
    /// `limit − spent` (negative when over budget); `null` without a limit.
    #[schema(value_type = Option<String>, example = "276.55")]
    pub remaining: Option<Money>,
}

/// `GET /core/budget?month=YYYY-MM`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BudgetMonth {
    #[schema(example = "2026-11")]
    pub month: String,
    /// Every category with a limit or with expenses this month, by name.
    pub categories: Vec<CategoryLine>,
    /// Today's cash balance.
    #[schema(value_type = String, example = "1250.00")]
    pub cash_balance: Money,
    #[schema(value_type = String, example = "500.00")]
    pub min_cash_buffer: Money,
}

/// `GET /core/budget/impact`: what spending `amount` (in `category`) would do.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Impact {
    #[schema(value_type = String, example = "80.00")]
    pub amount: Money,
    #[schema(value_type = String, example = "1250.00")]
    pub cash_balance: Money,
    /// `cash_balance − amount`.
    #[schema(value_type = String, example = "1170.00")]
    pub cash_after: Money,
    #[schema(value_type = String, example = "500.00")]
    pub min_cash_buffer: Money,
    /// `cash_after < min_cash_buffer`.
    pub below_buffer: bool,
    /// The category's monthly limit; `null` without a category or a limit.
    #[schema(value_type = Option<String>, example = "400.00")]
    pub category_limit: Option<Money>,
    /// This month's expenses in the category; `null` without a category.
    #[schema(value_type = Option<String>, example = "123.45")]
    pub category_spent: Option<Money>,
    /// `category_limit − category_spent − amount`; `null` without a limit.
    #[schema(value_type = Option<String>, example = "196.55")]
    pub category_remaining_after: Option<Money>,
    /// `category_remaining_after < 0`; false without a limit.
    pub over_budget: bool,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Month {
    /// The month containing `day`.
    pub fn of(day: NaiveDate) -> Month {
        let first = day.with_day(1).unwrap_or(day);
        let next = first
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(first);
        Month {
            first,
            last: next.pred_opt().unwrap_or(first),
        }
    }

    /// Parses `YYYY-MM`.
    pub fn parse(text: &str) -> Result<Month, String> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 7
            && bytes[4] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || b.is_ascii_digit());
        let first = shape_ok
            .then(|| NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok())
            .flatten()
            .ok_or_else(|| format!("`{text}` is not a month in YYYY-MM form"))?;
        Ok(Month::of(first))
    }

    pub fn label(&self) -> String {
        self.first.format("%Y-%m").to_string()
    }
}

/// A limit in the household's current currency. Limits set before the household changed its
/// currency keep their value (400.00 USD → 400 JPY), like the household's own thresholds.
pub fn limit_in(limit: Money, currency: Currency) -> Money {
    if limit.currency() == currency {
        limit
    } else {
        limit.rescale_rounded(currency)
    }
}

/// The month view's lines: every limited category and every category with expenses, by name.
pub fn month_lines(
    limits: &[BudgetLimit],
    spent: &[(String, Money)],
    currency: Currency,
) -> Result<Vec<CategoryLine>, MoneyError> {
    let mut names: Vec<&str> = limits
        .iter()
        .map(|l| l.category.as_str())
        .chain(spent.iter().map(|(c, _)| c.as_str()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let limit = limits
                .iter()
                .find(|l| l.category == name)
                .map(|l| limit_in(l.monthly_limit, currency));
            let spent = spent
                .iter()
                .find(|(c, _)| c == name)
                .map_or(Money::zero(currency), |(_, m)| *m);
            Ok(CategoryLine {
                category: name.to_string(),
                remaining: limit.map(|l| l.checked_sub(spent)).transpose()?,
                limit,
                spent,
            })
        })
        .collect()
}

/// The impact of spending `amount`, given the balance, the buffer and the category's state.
pub fn impact(
    amount: Money,
    cash_balance: Money,
    min_cash_buffer: Money,
    category: Option<(Option<Money>, Money)>,
) -> Result<Impact, ApiError> {
    let out_of_range = |_| ApiError::field("amount", "is out of range");
    let cash_after = cash_balance.checked_sub(amount).map_err(out_of_range)?;
    let (category_limit, category_spent) = match category {
        Some((limit, spent)) => (limit, Some(spent)),
        None => (None, None),
    };
    let category_remaining_after = match (category_limit, category_spent) {
        (Some(limit), Some(spent)) => Some(
            limit
                .checked_sub(spent)
                .and_then(|left| left.checked_sub(amount))
                .map_err(out_of_range)?,
        ),
        _ => None,
    };
    Ok(Impact {
        amount,
        cash_balance,
        cash_after,
        min_cash_buffer,
        below_buffer: cash_after.minor() < min_cash_buffer.minor(),
        category_limit,
        category_spent,
        category_remaining_after,
        over_budget: category_remaining_after.is_some_and(|r| r.is_negative()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    #[test]
    fn months_parse_and_span() {
        let feb = Month::parse("2028-02").unwrap();
        assert_eq!(
            (feb.first, feb.last),
            (day("2028-02-01"), day("2028-02-29"))
        );
        assert_eq!(Month::of(day("2026-12-31")).last, day("2026-12-31"));
        assert_eq!(Month::of(day("2026-12-31")).label(), "2026-12");
        for bad in ["2026-13", "2026-1", "26-11", "2026-11-01", "", "abcd-ef"] {
            assert!(Month::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lines_merge_limits_and_spending() {
        let limit = |c: &str, m: &str| BudgetLimit {
            category: c.into(),
            monthly_limit: usd(m),
            currency: Currency::USD,
            version: 1,
            updated_at: String::new(),
        };
        let lines = month_lines(
            &[limit("groceries", "300"), limit("fun", "50")],
            &[
                ("groceries".into(), usd("320.50")),
                ("car".into(), usd("40")),
            ],
            Currency::USD,
        )
        .unwrap();
        let shown: Vec<_> = lines
            .iter()
            .map(|l| {
                (
                    l.category.as_str(),
                    l.limit.map(|m| m.to_string()),
                    l.spent.to_string(),
                    l.remaining.map(|m| m.to_string()),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                ("car", None, "40.00".into(), None),
                (
                    "fun",
                    Some("50.00".into()),
                    "0.00".into(),
                    Some("50.00".into())
                ),
                (
                    "groceries",
                    Some("300.00".into()),
                    "320.50".into(),
                    Some("-20.50".into())
                ),
            ]
        );
    }

    #[test]
    fn impact_flags_buffer_and_budget() {
        let i = impact(
            usd("100"),
            usd("600"),
            usd("500"),
            Some((Some(usd("200")), usd("100"))),
        )
        .unwrap();
        assert_eq!(i.cash_after, usd("500"));
        assert!(!i.below_buffer, "exactly at the buffer is not below it");
        assert_eq!(i.category_remaining_after, Some(usd("0")));
        assert!(!i.over_budget);
        let i = impact(
            usd("100.01"),
            usd("600"),
            usd("500"),
            Some((Some(usd("200")), usd("100"))),
        )
        .unwrap();
        assert!(i.below_buffer);
        assert!(i.over_budget);
        let i = impact(usd("10"), usd("5"), usd("0"), Some((None, usd("3")))).unwrap();
        assert_eq!(i.cash_after.to_string(), "-5.00");
        assert_eq!(i.category_spent, Some(usd("3")));
        assert_eq!(i.category_remaining_after, None);
        assert!(!i.over_budget);
        let i = impact(usd("10"), usd("5"), usd("0"), None).unwrap();
        assert_eq!((i.category_limit, i.category_spent), (None, None));
    }
}
