//! Recurring dates from RFC 5545 RRULEs (schedule events, bills).
//!
//! Events and bills recur on *days*, not instants, so rules are expanded on the calendar: the
//! series starts on the object's date, and time-of-day parts of a rule are refused. Expanding on
//! dates makes the result independent of daylight-saving changes in the household's time zone.

use chrono::{NaiveDate, TimeZone};
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

/// Longest rule text accepted.
const MAX_RULE_LEN: usize = 500;
/// Upper bound on occurrences walked in one expansion (a daily rule for ~270 years).
const MAX_STEPS: usize = 100_000;

/// A parsed, checked recurrence rule such as `FREQ=WEEKLY;BYDAY=SA`.
#[derive(Debug, Clone)]
pub struct Rule {
    text: String,
    rrule: RRule<Unvalidated>,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Rule) -> bool {
        self.text == other.text
    }
}

impl Rule {
    /// Parses an RRULE value (without `DTSTART`). Errors are messages for the `rrule` field.
    pub fn parse(text: &str) -> Result<Rule, String> {
        let text = text.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text).trim();
        if text.is_empty() {
            return Err("must not be empty".into());
        }
        if text.len() > MAX_RULE_LEN {
            return Err(format!("must be at most {MAX_RULE_LEN} characters"));
        }
        if text.contains(['\n', '\r']) || text.to_ascii_uppercase().contains("DTSTART") {
            return Err("must be a single RRULE value without DTSTART".into());
        }
        let rrule: RRule<Unvalidated> = text
            .parse()
            .map_err(|e| format!("is not a valid RFC 5545 RRULE: {e}"))?;
        if !matches!(
            rrule.get_freq(),
            Frequency::Daily | Frequency::Weekly | Frequency::Monthly | Frequency::Yearly
        ) {
            return Err(
                "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (events recur on days)".into(),
            );
        }
        if !rrule.get_by_hour().is_empty()
            || !rrule.get_by_minute().is_empty()
            || !rrule.get_by_second().is_empty()
        {
            return Err(
                "BYHOUR, BYMINUTE and BYSECOND are not supported (events recur on days)".into(),
            );
        }
        let rule = Rule {
            text: text.to_string(),
            rrule,
        };
        // Semantic checks (e.g. BYMONTHDAY=32) happen when the rule meets a start date.
        let probe = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
        rule.set(probe)
            .map_err(|e| format!("is not a valid RFC 5545 RRULE: {e}"))?;
        Ok(rule)
    }

    /// The rule as given (normalised: no `RRULE:` prefix, trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    fn set(&self, start: NaiveDate) -> Result<RRuleSet, rrule::RRuleError> {
        let dt_start = rrule::Tz::UTC
            .with_ymd_and_hms(
                chrono::Datelike::year(&start),
                chrono::Datelike::month(&start),
                chrono::Datelike::day(&start),
                0,
                0,
                0,
            )
            .single()
            .unwrap_or_else(|| rrule::Tz::UTC.timestamp_opt(0, 0).unwrap());
        let validated = self.rrule.clone().validate(dt_start)?;
        Ok(RRuleSet::new(dt_start).rrule(validated))
    }
}

/// A date series: a start day, an optional rule and an optional last day.
#[derive(Debug, Clone, PartialEq)]
pub struct Series<'a> {
    pub start: NaiveDate,
    pub rule: Option<&'a Rule>,
    pub until: Option<NaiveDate>,
}

impl Series<'_> {
    /// Walks the series in order, calling `visit` until it returns false.
    fn walk(&self, mut visit: impl FnMut(NaiveDate) -> bool) {
        let Some(rule) = self.rule else {
            if self.until.is_none_or(|u| self.start <= u) {
                visit(self.start);
            }
            return;
        };
        let Ok(set) = rule.set(self.start) else {
            return;
        };
        for occurrence in set.into_iter().take(MAX_STEPS) {
            let day = occurrence.date_naive();
            if self.until.is_some_and(|u| day > u) || !visit(day) {
                return;
            }
        }
    }

    /// The occurrences in `from..=to`, in order.
    pub fn between(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        self.walk(|day| {
            if day > to {
                return false;
            }
            if day >= from {
                days.push(day);
            }
            true
        });
        days
    }

    /// The first occurrence on or after `day`.
    pub fn first_on_or_after(&self, day: NaiveDate) -> Option<NaiveDate> {
        let mut found = None;
        self.walk(|d| {
            if d >= day {
                found = Some(d);
                return false;
            }
            true
        });
        found
    }

    /// The first occurrence strictly after `day`.
    pub fn first_after(&self, day: NaiveDate) -> Option<NaiveDate> {
        day.succ_opt().and_then(|next| self.first_on_or_after(next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    #[test]
    fn refuses_bad_rules() {
        for bad in [
            "",
            "FREQ=SOMETIMES",
            "FREQ=WEEKLY;BYDAY=XX",
            "FREQ=MONTHLY;BYMONTHDAY=32",
            "FREQ=HOURLY",
            "FREQ=DAILY;BYHOUR=9",
            "DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY",
            "hello",
        ] {
            assert!(Rule::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Rule::parse("RRULE:FREQ=WEEKLY;BYDAY=SA").unwrap().as_str(),
            "FREQ=WEEKLY;BYDAY=SA"
        );
    }

    #[test]
    fn weekly_on_saturdays() {
        let rule = Rule::parse("FREQ=WEEKLY;BYDAY=SA").unwrap();
        let series = Series {
            start: d("2026-11-25"),
            rule: Some(&rule),
            until: None,
        };
        assert_eq!(
            series.between(d("2026-11-01"), d("2026-12-12")),
            [d("2026-11-28"), d("2026-12-05"), d("2026-12-12")]
        );
    }

    #[test]
    fn monthly_on_a_day_with_until() {
        let rule = Rule::parse("FREQ=MONTHLY;BYMONTHDAY=1").unwrap();
        let series = Series {
            start: d("2026-01-01"),
            rule: Some(&rule),
            until: Some(d("2026-03-31")),
        };
        assert_eq!(
            series.between(d("2025-01-01"), d("2027-01-01")),
            [d("2026-01-01"), d("2026-02-01"), d("2026-03-01")]
        );
        assert_eq!(series.first_after(d("2026-01-01")), Some(d("2026-02-01")));
        assert_eq!(series.first_after(d("2026-03-01")), None);
    }

    #[test]
    fn crossing_daylight_saving_keeps_days() {
        // Europe's clocks change on 2026-03-29 and 2026-10-25 (Sundays).
        let rule = Rule::parse("FREQ=WEEKLY;BYDAY=SU").unwrap();
        let series = Series {
            start: d("2026-03-15"),
            rule: Some(&rule),
            until: None,
        };
        assert_eq!(
            series.between(d("2026-03-20"), d("2026-04-06")),
            [d("2026-03-22"), d("2026-03-29"), d("2026-04-05")]
        );
    }

    #[test]
    fn single_dates_and_counts() {
        let single = Series {
            start: d("2026-05-05"),
            rule: None,
            until: None,
        };
        assert_eq!(
            single.between(d("2026-05-01"), d("2026-05-31")),
            [d("2026-05-05")]
        );
        assert!(single.between(d("2026-06-01"), d("2026-06-30")).is_empty());
        let rule = Rule::parse("FREQ=DAILY;COUNT=3").unwrap();
        let series = Series {
            start: d("2026-05-05"),
            rule: Some(&rule),
            until: None,
        };
        assert_eq!(series.between(d("2026-01-01"), d("2026-12-31")).len(), 3);
    }
}
