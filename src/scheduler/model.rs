//! The daily tick's steps and schedule: pure parts.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// One step's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StepResult {
    /// The Heimdall action the step dispatched.
    pub name: String,
    pub ok: bool,
    /// How many things it created (items, approvals, reminders).
    pub created: u64,
    /// What it did, or why it failed.
    pub detail: String,
}

/// `POST /core/scheduler/tick` answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TickResult {
    pub ran_at: String,
    pub steps: Vec<StepResult>,
}

/// Counts what a step's result says it created: the length of `created` (a list), or a
/// number under `created`.
pub fn created_count(result: &serde_json::Value) -> u64 {
    match result.get("created") {
        Some(serde_json::Value::Array(items)) => items.len() as u64,
        Some(serde_json::Value::Number(n)) => n.as_u64().unwrap_or(0),
        _ => 0,
    }
}

/// The instant of `day` at `time` in `tz`. A local time that does not exist (skipped by a
/// daylight-saving change) moves forward to the next valid minute; an ambiguous one takes the
/// earlier instant.
pub fn local_instant(day: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut local = day.and_time(time);
    for _ in 0..180 {
        match tz.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => return t.with_timezone(&Utc),
            chrono::LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            chrono::LocalResult::None => local += Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&day.and_time(time))
}

/// The household-local day whose tick is due at `now`: today once today's `tick_time` has
/// passed, else yesterday (so a run missed while the server was down is caught up).
pub fn due_day(now: DateTime<Utc>, time: NaiveTime, tz: Tz) -> NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    if now >= local_instant(today, time, tz) {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    }
}

/// The next scheduled tick strictly after `now`.
pub fn next_run(now: DateTime<Utc>, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let today = now.with_timezone(&tz).date_naive();
    let at = local_instant(today, time, tz);
    if at > now {
        at
    } else {
        local_instant(today.succ_opt().unwrap_or(today), time, tz)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn six() -> NaiveTime {
        NaiveTime::from_hms_opt(6, 0, 0).unwrap()
    }

    #[test]
    fn due_day_follows_the_local_clock() {
        let berlin = chrono_tz::Europe::Berlin;
        // 04:30 UTC is 05:30 in Berlin (winter): today's tick not yet due.
        assert_eq!(
            due_day(at("2026-11-25T04:30:00Z"), six(), berlin).to_string(),
            "2026-11-24"
        );
        // 05:00 UTC is 06:00 in Berlin: due.
        assert_eq!(
            due_day(at("2026-11-25T05:00:00Z"), six(), berlin).to_string(),
            "2026-11-25"
        );
        assert_eq!(
            next_run(at("2026-11-25T05:00:00Z"), six(), berlin),
            at("2026-11-26T05:00:00Z")
        );
        assert_eq!(
            next_run(at("2026-11-25T04:59:59Z"), six(), berlin),
            at("2026-11-25T05:00:00Z")
        );
    }

    #[test]
    fn daylight_saving_days_are_handled() {
        let berlin = chrono_tz::Europe::Berlin;
        // 2026-03-29: 02:00 → 03:00. A 02:30 tick happens at 03:00 local (01:00 UTC).
        let t = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
        assert_eq!(local_instant(day, t, berlin), at("2026-03-29T01:00:00Z"));
        // Summer time: 06:00 local is 04:00 UTC.
        assert_eq!(
            local_instant(NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(), six(), berlin),
            at("2026-07-01T04:00:00Z")
        );
    }

    #[test]
    fn counts_what_was_created() {
        assert_eq!(
            created_count(&serde_json::json!({"created": [1, 2], "skipped": 4})),
            2
        );
        assert_eq!(created_count(&serde_json::json!({"created": 3})), 3);
        assert_eq!(created_count(&serde_json::json!({"items": []})), 0);
    }
}
