//! Calendar days (`YYYY-MM-DD`) and instants (RFC 3339 UTC).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

/// Parses a day written exactly as `YYYY-MM-DD`.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shape_ok {
        return Err(format!("`{text}` is not a date in YYYY-MM-DD form"));
    }
    // The shape is checked, so the fields are plain digits (no format-string parser: forecast
    // state loads parse millions of these).
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    i32::try_from(number(0..4))
        .ok()
        .and_then(|year| NaiveDate::from_ymd_opt(year, number(5..7), number(8..10)))
        .ok_or_else(|| format!("`{text}` is not a valid date"))
}

/// A day from a request. Deserializes from `YYYY-MM-DD` only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub NaiveDate);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_day(&text).map(Day).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Day {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .examples(["2026-11-25"])
            .into()
    }
}
impl utoipa::ToSchema for Day {}

/// The household's local date at `now` in time zone `tz`.
pub fn local_today(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// Instants are stored and served as fixed-width RFC 3339 UTC text, so they sort as text.
pub fn format_instant(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Days are stored as `YYYY-MM-DD` text, which sorts chronologically.
pub fn format_day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_iso_days() {
        assert_eq!(
            parse_day("2026-02-28").unwrap(),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
        for bad in [
            "2026-2-28",
            "2026-02-30",
            "28.02.2026",
            "2026-02-28T00:00:00Z",
            "",
            "abcd-ef-gh",
        ] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// The digit parser accepts exactly the days chrono's `%Y-%m-%d` accepts.
        #[test]
        fn parse_day_agrees_with_chrono(year in 0u32..10_000, month in 0u32..100, day in 0u32..100) {
            let text = format!("{year:04}-{month:02}-{day:02}");
            proptest::prop_assert_eq!(
                parse_day(&text).ok(),
                NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok()
            );
        }
    }

    #[test]
    fn today_follows_the_time_zone() {
        let now = DateTime::parse_from_rfc3339("2026-11-25T23:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_day(local_today(now, chrono_tz::UTC)), "2026-11-25");
        assert_eq!(
            format_day(local_today(now, chrono_tz::Europe::Berlin)),
            "2026-11-26"
        );
        assert_eq!(
            format_day(local_today(now, chrono_tz::America::New_York)),
            "2026-11-25"
        );
    }

    #[test]
    fn instants_are_fixed_width() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_instant(at), "2026-11-25T06:00:00.000000Z");
    }
}
