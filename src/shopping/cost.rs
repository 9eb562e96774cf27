//! What the open list costs: exact sums in the household currency.

use serde::Serialize;

use crate::domain::decimal::format_fixed;
use crate::domain::money::{Currency, Money};

/// `GET /core/shopping/cost`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cost {
    /// Number of open items.
    pub open_items: u64,
    /// Sum of the open items' `est_total` in the household currency (items without a cost
    /// count as 0).
    #[schema(example = "42.50")]
    pub est_total: String,
    /// Open items whose `est_total` is at least the household's `big_spend_threshold` and whose
    /// purchase no approved approval covers yet.
    pub needs_approval: u64,
}

/// An open item as the cost sees it.
#[derive(Debug, Clone, Copy)]
pub struct OpenCost {
    pub est_total: Option<Money>,
    /// An approved approval covers buying it at `est_total`.
    pub approved: bool,
}

/// Totals of the open items. Amounts written in another currency (before the household changed
/// its currency) keep their value.
pub fn cost_of(items: &[OpenCost], currency: Currency, threshold: Money) -> Cost {
    let threshold = threshold.rescale_rounded(currency).minor();
    let mut sum: i128 = 0;
    let mut needs_approval = 0;
    for item in items {
        let Some(total) = item.est_total else {
            continue;
        };
        let minor = total.rescale_rounded(currency).minor();
        sum += i128::from(minor);
        if minor >= threshold && !item.approved {
            needs_approval += 1;
        }
    }
    Cost {
        open_items: items.len() as u64,
        est_total: format_fixed(sum, currency.digits()),
        needs_approval,
    }
}

/// The estimated total of the open list from per-currency sums (minor units of each). Amounts
/// in another currency (written before the household changed its currency) keep their value,
/// as in `GET /core/shopping/cost`; an unknown currency code counts as the household's.
pub fn open_total(groups: &[(String, i64)], currency: Currency) -> Money {
    let mut sum: i128 = 0;
    for (code, minor) in groups {
        let written = Currency::from_code(code).unwrap_or(currency);
        sum += i128::from(
            Money::from_minor(*minor, written)
                .rescale_rounded(currency)
                .minor(),
        );
    }
    Money::from_minor(
        i64::try_from(sum).unwrap_or(if sum < 0 { i64::MIN } else { i64::MAX }),
        currency,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    fn open(total: Option<&str>, approved: bool) -> OpenCost {
        OpenCost {
            est_total: total.map(usd),
            approved,
        }
    }

    #[test]
    fn cost_sums_exactly_and_counts_big_items() {
        let items = [
            open(Some("0.10"), false),
            open(Some("0.20"), false),
            open(None, false),
            open(Some("200.00"), false),
            open(Some("199.99"), false),
            open(Some("300.00"), true),
        ];
        let cost = cost_of(&items, Currency::USD, usd("200.00"));
        assert_eq!(cost.open_items, 6);
        assert_eq!(cost.est_total, "700.29");
        assert_eq!(cost.needs_approval, 1, "approved items need no approval");
        let empty = cost_of(&[], Currency::USD, usd("200"));
        assert_eq!((empty.open_items, empty.est_total.as_str()), (0, "0.00"));
    }

    #[test]
    fn amounts_from_another_currency_keep_their_value() {
        let jpy = Currency::from_code("JPY").unwrap();
        let cost = cost_of(
            &[open(Some("2.50"), false), open(Some("2.49"), false)],
            jpy,
            Money::parse("200", jpy).unwrap(),
        );
        assert_eq!(cost.est_total, "5");
    }

    #[test]
    fn open_total_sums_each_currency_in_the_households() {
        let eur = Currency::from_code("EUR").unwrap();
        let groups = vec![("EUR".to_string(), 1050), ("USD".to_string(), 250)];
        assert_eq!(open_total(&groups, eur).to_string(), "13.00");
        let jpy = Currency::from_code("JPY").unwrap();
        // 10.50 written in euros keeps its value in yen terms: 11 (rounded half up).
        assert_eq!(open_total(&groups[..1], jpy).to_string(), "11");
        assert_eq!(open_total(&[], eur).to_string(), "0.00");
    }
}
