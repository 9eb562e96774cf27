//! Recurring dates from RFC 5545 RRULEs (schedule events, bills).
//!
//! Events and bills recur on *days*, not instants, so rules are expanded on the calendar: the
//! series starts on the object's date, and time-of-day parts of a rule are refused. Expanding on
//! dates makes the result independent of daylight-saving changes in the household's time zone.

use chrono::{Datelike, NaiveDate, TimeZone};
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
    fn walk(&self, visit: impl FnMut(NaiveDate) -> bool) {
        self.walk_with(MonthEnd::Skip, visit)
    }

    fn walk_with(&self, month_end: MonthEnd, mut visit: impl FnMut(NaiveDate) -> bool) {
        if month_end == MonthEnd::Clamp
            && let Some(plan) = self.rule.and_then(|r| r.clamp_plan(self.start))
        {
            plan.walk(self.start, self.until, visit);
            return;
        }
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

    /// Like [`between`](Self::between), with the given treatment of short months.
    pub fn between_with(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        month_end: MonthEnd,
    ) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        self.walk_with(month_end, |day| {
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

    /// Like [`first_after`](Self::first_after), with the given treatment of short months.
    pub fn first_after_with(&self, day: NaiveDate, month_end: MonthEnd) -> Option<NaiveDate> {
        let mut found = None;
        self.walk_with(month_end, |d| {
            if d > day {
                found = Some(d);
                return false;
            }
            true
        });
        found
    }
}

/// What a monthly or yearly series does in a month that lacks its day (the 31st in April,
/// 29 February in a common year).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MonthEnd {
    /// RFC 5545: such months have no occurrence.
    #[default]
    Skip,
    /// The series keeps its day of month, moved back to the month's last day where the month
    /// is shorter: 31 Jan → 28 Feb → 31 Mar → 30 Apr. What people expect of a bill "due on the
    /// 31st". Applies to plain monthly and yearly rules (no BYDAY, BYSETPOS, BYYEARDAY or
    /// BYWEEKNO; at most one BYMONTHDAY, and for yearly rules at most one BYMONTH); any other
    /// rule keeps RFC 5545 behaviour.
    Clamp,
}

/// A month-stepping series that clamps its day to each month's length.
#[derive(Debug, Clone, PartialEq)]
struct ClampPlan {
    /// First month, as `year × 12 + month0`.
    first_month: i64,
    /// Months between occurrences.
    step: i64,
    day: u32,
    count: Option<u32>,
    until: Option<NaiveDate>,
}

impl Rule {
    /// The month-end clamp for this rule from `start`, when it applies and can differ from
    /// RFC 5545 (the day is 29 or later).
    fn clamp_plan(&self, start: NaiveDate) -> Option<ClampPlan> {
        let r = &self.rrule;
        let months_per_step = match r.get_freq() {
            Frequency::Monthly if r.get_by_month().is_empty() => 1,
            Frequency::Yearly if r.get_by_month().len() <= 1 => 12,
            _ => return None,
        };
        let simple = r.get_by_weekday().is_empty()
            && r.get_by_set_pos().is_empty()
            && r.get_by_year_day().is_empty()
            && r.get_by_week_no().is_empty();
        if !simple {
            return None;
        }
        let day = match r.get_by_month_day() {
            [] => start.day(),
            [d] if *d > 0 => u32::try_from(*d).ok()?,
            _ => return None,
        };
        if day < 29 {
            return None;
        }
        let month = match r.get_by_month() {
            [m] => u32::from(*m),
            _ => start.month(),
        };
        Some(ClampPlan {
            first_month: i64::from(start.year()) * 12 + i64::from(month) - 1,
            step: months_per_step * i64::from(r.get_interval().max(1)),
            day,
            count: r.get_count(),
            until: r
                .get_until()
                .map(|u| u.with_timezone(&chrono::Utc).date_naive()),
        })
    }
}

impl ClampPlan {
    fn walk(
        &self,
        start: NaiveDate,
        series_until: Option<NaiveDate>,
        mut visit: impl FnMut(NaiveDate) -> bool,
    ) {
        let mut emitted: u32 = 0;
        for k in 0..MAX_STEPS as i64 {
            if self.count.is_some_and(|c| emitted >= c) {
                return;
            }
            let Some(day) = clamped_day(self.first_month + k * self.step, self.day) else {
                return;
            };
            if day < start {
                continue;
            }
            if self.until.is_some_and(|u| day > u) || series_until.is_some_and(|u| day > u) {
                return;
            }
            emitted += 1;
            if !visit(day) {
                return;
            }
        }
    }
}

/// Day `day` of the month `year × 12 + month0`, or that month's last day when it is shorter.
fn clamped_day(month_index: i64, day: u32) -> Option<NaiveDate> {
    let year = i32::try_from(month_index.div_euclid(12)).ok()?;
    let month = u32::try_from(month_index.rem_euclid(12)).ok()? + 1;
    (1..=day)
        .rev()
        .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
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

    fn clamped(start: &str, rule: &str, n: usize) -> Vec<NaiveDate> {
        let rule = Rule::parse(rule).unwrap();
        let series = Series {
            start: d(start),
            rule: Some(&rule),
            until: None,
        };
        let mut days = vec![];
        let mut day = d(start).pred_opt().unwrap();
        while days.len() < n {
            match series.first_after_with(day, MonthEnd::Clamp) {
                Some(next) => {
                    days.push(next);
                    day = next;
                }
                None => break,
            }
        }
        days
    }

    #[test]
    fn month_end_clamp_keeps_the_day_of_month() {
        assert_eq!(
            clamped("2026-01-31", "FREQ=MONTHLY", 5),
            [
                d("2026-01-31"),
                d("2026-02-28"),
                d("2026-03-31"),
                d("2026-04-30"),
                d("2026-05-31")
            ]
        );
        // RFC 5545 skips the short months instead.
        let rule = Rule::parse("FREQ=MONTHLY").unwrap();
        let series = Series {
            start: d("2026-01-31"),
            rule: Some(&rule),
            until: None,
        };
        assert_eq!(series.first_after(d("2026-01-31")), Some(d("2026-03-31")));
        assert_eq!(
            series.first_after_with(d("2026-01-31"), MonthEnd::Clamp),
            Some(d("2026-02-28"))
        );
        // Leap years, an explicit BYMONTHDAY, intervals, COUNT and UNTIL.
        assert_eq!(
            clamped("2027-12-30", "FREQ=MONTHLY;BYMONTHDAY=30", 3),
            [d("2027-12-30"), d("2028-01-30"), d("2028-02-29")]
        );
        assert_eq!(
            clamped("2026-01-15", "FREQ=MONTHLY;BYMONTHDAY=31;INTERVAL=3", 3),
            [d("2026-01-31"), d("2026-04-30"), d("2026-07-31")]
        );
        assert_eq!(
            clamped("2026-08-31", "FREQ=MONTHLY;COUNT=2", 5),
            [d("2026-08-31"), d("2026-09-30")]
        );
        assert_eq!(
            clamped("2026-10-31", "FREQ=MONTHLY;UNTIL=20261215T000000Z", 5),
            [d("2026-10-31"), d("2026-11-30")]
        );
        assert_eq!(
            clamped("2024-02-29", "FREQ=YEARLY", 3),
            [d("2024-02-29"), d("2025-02-28"), d("2026-02-28")]
        );
        // Days that every month has, and rules the clamp does not cover, follow RFC 5545.
        assert_eq!(
            clamped("2026-01-15", "FREQ=MONTHLY", 2),
            [d("2026-01-15"), d("2026-02-15")]
        );
        assert_eq!(
            clamped("2026-01-31", "FREQ=MONTHLY;BYMONTHDAY=-1", 2),
            [d("2026-01-31"), d("2026-02-28")]
        );
        assert_eq!(
            clamped("2026-11-28", "FREQ=WEEKLY;BYDAY=SA", 2),
            [d("2026-11-28"), d("2026-12-05")]
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
