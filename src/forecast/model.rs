//! Usage events and forecast math.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::Qty;
use crate::domain::decimal::{div_round_half_up, format_fixed};
use crate::domain::qty::MILLI;

/// What wrote a usage event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageSource {
    /// Logged directly with `POST /core/forecast/usage`.
    Manual,
    /// `POST /core/inventory/{id}/use`.
    Use,
    /// `POST /core/inventory/{id}/out_of`.
    OutOf,
}

impl UsageSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            UsageSource::Manual => "manual",
            UsageSource::Use => "use",
            UsageSource::OutOf => "out_of",
        }
    }

    pub fn parse(text: &str) -> Option<UsageSource> {
        match text {
            "manual" => Some(UsageSource::Manual),
            "use" => Some(UsageSource::Use),
            "out_of" => Some(UsageSource::OutOf),
            _ => None,
        }
    }
}

/// One recorded use of an inventory item.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageEvent {
    pub id: String,
    pub inv_id: String,
    #[schema(value_type = String, example = "0.5")]
    pub qty_used: Qty,
    #[schema(value_type = String, format = Date)]
    pub used_on: NaiveDate,
    pub notes: Option<String>,
    pub source: UsageSource,
    pub created_at: String,
}

/// How forecasts are computed: average daily use over the window.
pub const METHOD: &str = "window_average";
pub const DEFAULT_WINDOW_DAYS: u32 = 30;
pub const MAX_WINDOW_DAYS: u32 = 365;
pub const DEFAULT_ROLLUP_LIMIT: u32 = 20;
pub const MAX_ROLLUP_LIMIT: u32 = 500;

/// The exact figures behind a forecast, before formatting.
///
/// With `q` = quantity on hand and `u` = usage in the window (both in milli-units) and `w` the
/// window in days: burn rate = u / (1000·w) per day, days left = q / burn = q·w / u.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    /// Burn rate per day × 10⁴, rounded half-up (shown with 4 places).
    pub burn_rate_e4: i128,
    /// Days left × 10², rounded half-up (shown with 2 places); `None` when nothing was used.
    pub days_left_e2: Option<i128>,
    /// ⌊days left⌋, for the depletion date; `None` when nothing was used.
    pub whole_days_left: Option<i64>,
}

/// Computes the forecast figures. Inputs are non-negative; `window_days` ≥ 1.
pub fn estimate(qty_milli: i64, used_milli: i64, window_days: u32) -> Estimate {
    let q = i128::from(qty_milli.max(0));
    let u = i128::from(used_milli.max(0));
    let w = i128::from(window_days.max(1));
    // u / (1000·w) × 10⁴ = 10·u / w
    let burn_rate_e4 = div_round_half_up(10 * u, w);
    if u == 0 {
        return Estimate {
            burn_rate_e4,
            days_left_e2: None,
            whole_days_left: None,
        };
    }
    let exact_numerator = q * w; // days left = exact_numerator / u
    Estimate {
        burn_rate_e4,
        days_left_e2: Some(div_round_half_up(exact_numerator * 100, u)),
        whole_days_left: Some(i64::try_from(exact_numerator / u).unwrap_or(i64::MAX)),
    }
}

/// A forecast for one inventory item (`GET /core/forecast/inventory/{inv_id}` and rollup rows).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Forecast {
    pub inv_id: String,
    pub name: String,
    #[schema(value_type = String, example = "3")]
    pub qty: Qty,
    pub window_days: u32,
    /// Average use per day over the window, 4 decimal places.
    #[schema(example = "0.1000")]
    pub burn_rate_per_day: String,
    /// `qty / burn_rate_per_day`, 2 decimal places; `null` when nothing was used in the window.
    #[schema(example = "30.00")]
    pub days_left: Option<String>,
    /// Today + ⌊days_left⌋; `null` when nothing was used in the window (or beyond year 9999).
    #[schema(value_type = Option<String>, format = Date)]
    pub depletion_date: Option<NaiveDate>,
    /// Usage events counted in the window.
    pub events_in_window: i64,
    /// Always `window_average`.
    #[schema(example = "window_average")]
    pub method: String,
}

/// What is known about one item for a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowUsage {
    pub qty_used_milli: i64,
    pub events: i64,
}

impl Forecast {
    pub fn build(
        inv_id: &str,
        name: &str,
        qty: Qty,
        usage: WindowUsage,
        window_days: u32,
        today: NaiveDate,
    ) -> Forecast {
        let e = estimate(qty.milli(), usage.qty_used_milli, window_days);
        Forecast {
            inv_id: inv_id.to_string(),
            name: name.to_string(),
            qty,
            window_days,
            burn_rate_per_day: format_fixed(e.burn_rate_e4, 4),
            days_left: e.days_left_e2.map(|d| format_fixed(d, 2)),
            // Beyond year 9999 a date has no YYYY-MM-DD form: "not in any foreseeable time".
            depletion_date: e
                .whole_days_left
                .and_then(|d| today.checked_add_days(chrono::Days::new(d.max(0) as u64)))
                .filter(|d| chrono::Datelike::year(d) <= 9999),
            events_in_window: usage.events,
            method: METHOD.to_string(),
        }
    }
}

/// The window `(today − window_days, today]` as day numbers, exclusive start, inclusive end.
pub fn window_bounds(today: NaiveDate, window_days: u32) -> (NaiveDate, NaiveDate) {
    let start = today
        .checked_sub_days(chrono::Days::new(u64::from(window_days)))
        .unwrap_or(NaiveDate::MIN);
    (start, today)
}

/// One unit in milli-units (for tests and callers that think in whole units).
pub const ONE: i64 = MILLI;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    #[test]
    fn figures_follow_the_spec() {
        // 3 units used in 30 days, 2 on hand: 0.1/day, 20 days.
        let e = estimate(2 * ONE, 3 * ONE, 30);
        assert_eq!(e.burn_rate_e4, 1000);
        assert_eq!(e.days_left_e2, Some(2000));
        assert_eq!(e.whole_days_left, Some(20));
        // 1 used in 3 days, 1 on hand: 0.3333/day, 3.00 days.
        let e = estimate(ONE, ONE, 3);
        assert_eq!(e.burn_rate_e4, 3333);
        assert_eq!(e.days_left_e2, Some(300));
        // Days left is computed from the exact rate, not the rounded one: 1 / (2/3) = 1.5.
        let e = estimate(ONE, 2 * ONE, 3);
        assert_eq!(e.burn_rate_e4, 6667);
        assert_eq!(e.days_left_e2, Some(150));
        // Half-up: 0.125 → 0.13 days; 1/8 day.
        let e = estimate(125, 1000, 1);
        assert_eq!(e.days_left_e2, Some(13));
        assert_eq!(e.whole_days_left, Some(0));
        // Nothing used: no days left, rate 0.
        let e = estimate(5 * ONE, 0, 30);
        assert_eq!(e.burn_rate_e4, 0);
        assert_eq!(e.days_left_e2, None);
    }

    #[test]
    fn forecast_formats_and_dates() {
        let f = Forecast::build(
            "i",
            "Milk",
            Qty::from_milli(2 * ONE),
            WindowUsage {
                qty_used_milli: 3 * ONE,
                events: 3,
            },
            30,
            day("2026-11-25"),
        );
        assert_eq!(f.burn_rate_per_day, "0.1000");
        assert_eq!(f.days_left.as_deref(), Some("20.00"));
        assert_eq!(f.depletion_date, Some(day("2026-12-15")));
        let empty = Forecast::build(
            "i",
            "Milk",
            Qty::from_milli(ONE),
            WindowUsage {
                qty_used_milli: 0,
                events: 0,
            },
            30,
            day("2026-11-25"),
        );
        assert_eq!(empty.days_left, None);
        assert_eq!(empty.depletion_date, None);
        assert_eq!(empty.burn_rate_per_day, "0.0000");
    }

    #[test]
    fn window_excludes_its_start() {
        let (start, end) = window_bounds(day("2026-11-25"), 30);
        assert_eq!(start, day("2026-10-26"));
        assert_eq!(end, day("2026-11-25"));
    }

    proptest! {
        #[test]
        fn days_left_is_never_negative(q in 0i64..1_000_000_000, u in 1i64..1_000_000_000, w in 1u32..=365) {
            let e = estimate(q, u, w);
            prop_assert!(e.days_left_e2.unwrap() >= 0);
            prop_assert!(e.whole_days_left.unwrap() >= 0);
        }

        #[test]
        fn more_stock_never_means_fewer_days(q in 0i64..1_000_000_000, extra in 0i64..1_000_000, u in 1i64..1_000_000_000, w in 1u32..=365) {
            let a = estimate(q, u, w).days_left_e2.unwrap();
            let b = estimate(q + extra, u, w).days_left_e2.unwrap();
            prop_assert!(b >= a);
        }

        #[test]
        fn higher_burn_never_means_more_days(q in 0i64..1_000_000_000, u in 1i64..1_000_000_000, extra in 0i64..1_000_000, w in 1u32..=365) {
            let a = estimate(q, u, w).days_left_e2.unwrap();
            let b = estimate(q, u + extra, w).days_left_e2.unwrap();
            prop_assert!(b <= a);
        }

        #[test]
        fn results_are_exact(q in 0i64..1_000_000_000_000, u in 1i64..1_000_000_000_000, w in 1u32..=365) {
            let e = estimate(q, u, w);
            let exact_num = i128::from(q) * i128::from(w) * 100; // days×100 = exact_num / u
            let d = e.days_left_e2.unwrap();
            // |d·u − exact_num| ≤ u/2: d is the correctly rounded value.
            prop_assert!(2 * (d * i128::from(u) - exact_num).abs() <= i128::from(u));
            // ⌊days⌋ ≤ exact < ⌊days⌋ + 1
            let whole = i128::from(e.whole_days_left.unwrap());
            prop_assert!(whole * i128::from(u) <= i128::from(q) * i128::from(w));
            prop_assert!((whole + 1) * i128::from(u) > i128::from(q) * i128::from(w));
            let r = e.burn_rate_e4;
            prop_assert!(2 * (r * i128::from(w) - 10 * i128::from(u)).abs() <= i128::from(w));
        }
    }
}
