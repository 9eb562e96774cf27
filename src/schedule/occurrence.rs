//! Occurrences: the dates on which events fall inside a window of at most 366 dates.

use chrono::NaiveDate;
use serde::Serialize;

use super::model::{Event, Kind, MAX_WINDOW_DATES};
use crate::domain::Qty;
use crate::domain::recurrence::Series;
use crate::error::FieldError;

/// One date on which an event falls (`GET /core/schedule/occurrences`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Occurrence {
    pub event_id: String,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub title: String,
    pub kind: Kind,
    pub item_name: Option<String>,
    #[schema(value_type = Option<String>, example = "2")]
    pub qty: Option<Qty>,
}

/// An occurrence together with its whole event, for callers that need more than the
/// public occurrence (the needs generator, reminders).
#[derive(Debug, Clone, PartialEq)]
pub struct EventOccurrence {
    pub event: Event,
    pub date: NaiveDate,
}

impl EventOccurrence {
    pub fn occurrence(&self) -> Occurrence {
        Occurrence {
            event_id: self.event.id.clone(),
            date: self.date,
            title: self.event.title.clone(),
            kind: self.event.kind,
            item_name: self.event.item_name.clone(),
            qty: self.event.qty,
        }
    }
}

/// An inclusive range of dates, at most [`MAX_WINDOW_DATES`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Window {
    /// `from..=to`; errors name `to`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Window, FieldError> {
        if to < from {
            return Err(FieldError::new("to", "must not be before from"));
        }
        if (to - from).num_days() + 1 > MAX_WINDOW_DATES {
            return Err(FieldError::new(
                "to",
                format!("from..to may span at most {MAX_WINDOW_DATES} dates"),
            ));
        }
        Ok(Window { from, to })
    }

    /// `today..=today + days`; errors name `field`.
    pub fn ahead(today: NaiveDate, days: i64, field: &str) -> Result<Window, FieldError> {
        let max = MAX_WINDOW_DATES - 1;
        let out_of_range = || FieldError::new(field, format!("must be between 0 and {max}"));
        if !(0..=max).contains(&days) {
            return Err(out_of_range());
        }
        let to = today
            .checked_add_days(chrono::Days::new(days.unsigned_abs()))
            .ok_or_else(out_of_range)?;
        Window::new(today, to).map_err(|_| out_of_range())
    }
}

/// The dates of `events` inside `window`, ordered by date, then event id.
pub fn expand<'a, T>(
    events: &'a [T],
    series: impl Fn(&'a T) -> (Series<'a>, &'a str),
    window: Window,
) -> Vec<(&'a T, NaiveDate)> {
    let mut found: Vec<(&'a T, &'a str, NaiveDate)> = Vec::new();
    for event in events {
        let (dates, id) = series(event);
        for date in dates.between(window.from, window.to) {
            found.push((event, id, date));
        }
    }
    found.sort_by(|a, b| (a.2, a.1).cmp(&(b.2, b.1)));
    found
        .into_iter()
        .map(|(event, _, date)| (event, date))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::recurrence::Rule;

    fn d(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    #[test]
    fn windows_hold_at_most_366_dates() {
        assert!(
            Window::new(d("2028-01-01"), d("2028-12-31")).is_ok(),
            "leap year"
        );
        assert_eq!(
            Window::new(d("2027-01-01"), d("2028-01-02"))
                .unwrap_err()
                .field,
            "to"
        );
        assert_eq!(
            Window::new(d("2027-01-02"), d("2027-01-01"))
                .unwrap_err()
                .field,
            "to"
        );
        let w = Window::ahead(d("2026-11-25"), 30, "within_days").unwrap();
        assert_eq!((w.from, w.to), (d("2026-11-25"), d("2026-12-25")));
        assert!(Window::ahead(d("2026-11-25"), 365, "within_days").is_ok());
        assert_eq!(
            Window::ahead(d("2026-11-25"), 366, "within_days")
                .unwrap_err()
                .field,
            "within_days"
        );
        assert!(Window::ahead(d("2026-11-25"), -1, "within_days").is_err());
    }

    #[test]
    fn expansion_orders_by_date_then_event() {
        let weekly = Rule::parse("FREQ=WEEKLY;BYDAY=SA").unwrap();
        let monthly = Rule::parse("FREQ=MONTHLY;BYMONTHDAY=5").unwrap();
        let events = [
            ("b", d("2026-11-28"), Some(&weekly), None),
            ("a", d("2026-12-05"), Some(&monthly), None),
            ("c", d("2026-12-01"), None, None),
            ("d", d("2026-11-01"), Some(&weekly), Some(d("2026-11-30"))),
        ];
        let window = Window::new(d("2026-11-29"), d("2026-12-12")).unwrap();
        let found = expand(
            &events,
            |(id, start, rule, until)| {
                (
                    Series {
                        start: *start,
                        rule: *rule,
                        until: *until,
                    },
                    *id,
                )
            },
            window,
        );
        let found: Vec<(&str, NaiveDate)> = found.iter().map(|(e, day)| (e.0, *day)).collect();
        assert_eq!(
            found,
            [
                ("c", d("2026-12-01")),
                ("a", d("2026-12-05")),
                ("b", d("2026-12-05")),
                ("b", d("2026-12-12")),
            ]
        );
    }
}
