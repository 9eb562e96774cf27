//! What the open list costs: exact sums in the household currency.

use serde::Serialize;

use crate::domain::decimal::{div_round_half_up, format_fixed};
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
    /// Open items whose `est_total` is at least the household's `big_spend_threshold`.
    /// Approvals are not part of the system yet; once they are, items whose purchase is
    /// already approved can be left out of this count.
    pub needs_approval: u64,
}

/// An amount re-expressed in `to`'s minor units, keeping its value (200.00 EUR → 200 JPY),
/// rounded half-up when `to` has fewer digits. Used for rows written before a currency change.
pub fn minor_in(amount: Money, to: Currency) -> i128 {
    let from_digits = amount.currency().digits();
    let to_digits = to.digits();
    let minor = i128::from(amount.minor());
    if to_digits >= from_digits {
        minor * 10_i128.pow(to_digits - from_digits)
    } else {
        div_round_half_up(minor, 10_i128.pow(from_digits - to_digits))
    }
}

/// Totals of the open items' `est_total`s.
pub fn cost_of(open_totals: &[Option<Money>], currency: Currency, threshold: Money) -> Cost {
    let threshold = minor_in(threshold, currency);
    let mut sum: i128 = 0;
    let mut needs_approval = 0;
    for total in open_totals.iter().flatten() {
        let minor = minor_in(*total, currency);
        sum += minor;
        if minor >= threshold {
            needs_approval += 1;
        }
    }
    Cost {
        open_items: open_totals.len() as u64,
        est_total: format_fixed(sum, currency.digits()),
        needs_approval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    #[test]
    fn cost_sums_exactly_and_counts_big_items() {
        let totals = [
            Some(usd("0.10")),
            Some(usd("0.20")),
            None,
            Some(usd("200.00")),
            Some(usd("199.99")),
        ];
        let cost = cost_of(&totals, Currency::USD, usd("200.00"));
        assert_eq!(cost.open_items, 5);
        assert_eq!(cost.est_total, "400.29");
        assert_eq!(cost.needs_approval, 1);
        let empty = cost_of(&[], Currency::USD, usd("200"));
        assert_eq!((empty.open_items, empty.est_total.as_str()), (0, "0.00"));
    }

    #[test]
    fn amounts_from_another_currency_keep_their_value() {
        let jpy = Currency::from_code("JPY").unwrap();
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(minor_in(usd("200.00"), jpy), 200);
        assert_eq!(minor_in(usd("2.50"), jpy), 3);
        assert_eq!(minor_in(usd("2.49"), jpy), 2);
        assert_eq!(minor_in(usd("2.49"), kwd), 2490);
        assert_eq!(
            minor_in(Money::parse("7", jpy).unwrap(), Currency::USD),
            700
        );
    }
}
