//! How values read on a page: money with its symbol and digit groups, quantities with units,
//! days left as a coloured badge, dates as "Sat 28 Nov" or "in 3 days". Never a float.

use chrono::NaiveDate;

use crate::domain::Qty;
use crate::domain::money::{Currency, Money};

fn symbol(currency: Currency) -> Option<&'static str> {
    match currency.code() {
        "USD" => Some("$"),
        "EUR" => Some("€"),
        "GBP" => Some("£"),
        "JPY" | "CNY" => Some("¥"),
        "INR" => Some("₹"),
        "KRW" => Some("₩"),
        "AUD" => Some("A$"),
        "CAD" => Some("C$"),
        "NZD" => Some("NZ$"),
        _ => None,
    }
}

/// Groups the integer digits of a decimal string in threes: `1234567.50` → `1,234,567.50`.
fn group(digits: &str) -> String {
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// `$1,234.50`, `−€3.00`, `12.00 CHF`.
pub fn money(amount: &Money) -> String {
    let text = amount.to_string();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let grouped = group(digits);
    let sign = if negative { "−" } else { "" };
    match symbol(amount.currency()) {
        Some(sym) => format!("{sign}{sym}{grouped}"),
        None => format!("{sign}{grouped} {}", amount.currency().code()),
    }
}

/// `money` of an optional amount, or a dash.
pub fn money_or_dash(amount: Option<&Money>) -> String {
    amount.map_or_else(|| "—".to_string(), money)
}

/// `2.5 l`, `3`, `1 pack`.
pub fn qty(q: Qty, unit: Option<&str>) -> String {
    match unit {
        Some(u) if !u.is_empty() => format!("{q} {u}"),
        _ => q.to_string(),
    }
}

/// How urgent a number of days left is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    /// Under 3 days.
    Now,
    /// Under 7 days.
    Soon,
    Later,
}

impl Urgency {
    pub fn css(&self) -> &'static str {
        match self {
            Urgency::Now => "urgent",
            Urgency::Soon => "soon",
            Urgency::Later => "ok",
        }
    }
}

/// A days-left badge: "2.5 days" / "1 day" / "0 days", and how urgent it is, from the
/// forecast's decimal text (e.g. `"2.50"`).
pub fn days_left(text: &str) -> (String, Urgency) {
    let trimmed = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    };
    let whole: i64 = text
        .split('.')
        .next()
        .and_then(|w| w.parse().ok())
        .unwrap_or(0);
    let unit = if trimmed == "1" { "day" } else { "days" };
    let urgency = if whole < 3 {
        Urgency::Now
    } else if whole < 7 {
        Urgency::Soon
    } else {
        Urgency::Later
    };
    (format!("{trimmed} {unit}"), urgency)
}

/// `Sat 28 Nov` (with the year when it is not `today`'s).
pub fn day(date: NaiveDate, today: NaiveDate) -> String {
    use chrono::Datelike;
    if date.year() == today.year() {
        date.format("%a %-d %b").to_string()
    } else {
        date.format("%a %-d %b %Y").to_string()
    }
}

/// `today`, `tomorrow`, `yesterday`, `in 3 days`, `4 days ago`.
pub fn relative(date: NaiveDate, today: NaiveDate) -> String {
    match (date - today).num_days() {
        0 => "today".to_string(),
        1 => "tomorrow".to_string(),
        -1 => "yesterday".to_string(),
        n if n > 1 => format!("in {n} days"),
        n => format!("{} days ago", -n),
    }
}

/// The date part of an RFC 3339 instant, shown as [`day`] in the household's time zone.
pub fn instant_day(instant: &str, tz: chrono_tz::Tz, today: NaiveDate) -> String {
    chrono::DateTime::parse_from_rfc3339(instant)
        .map(|at| day(at.with_timezone(&tz).date_naive(), today))
        .unwrap_or_else(|_| instant.to_string())
}

/// `1.2 MB`, `340 KB`, `12 bytes` (decimal units, integer arithmetic).
pub fn size(bytes: i64) -> String {
    if bytes >= 1_000_000 {
        format!("{}.{} MB", bytes / 1_000_000, (bytes % 1_000_000) / 100_000)
    } else if bytes >= 1_000 {
        format!("{} KB", bytes / 1_000)
    } else {
        format!("{bytes} bytes")
    }
}

/// Percent-encodes a query parameter value.
pub fn url_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::from_minor(minor, Currency::USD)
    }

    #[test]
    fn money_has_symbol_and_groups() {
        assert_eq!(money(&usd(450)), "$4.50");
        assert_eq!(money(&usd(123_456_789)), "$1,234,567.89");
        assert_eq!(money(&usd(-300)), "−$3.00");
        assert_eq!(money(&usd(100_000)), "$1,000.00");
        let chf = Currency::from_code("CHF").unwrap();
        assert_eq!(money(&Money::from_minor(1200, chf)), "12.00 CHF");
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(money(&Money::from_minor(1500, jpy)), "¥1,500");
    }

    #[test]
    fn days_left_reads_naturally() {
        assert_eq!(days_left("2.50"), ("2.5 days".to_string(), Urgency::Now));
        assert_eq!(days_left("1.00"), ("1 day".to_string(), Urgency::Now));
        assert_eq!(days_left("0.00"), ("0 days".to_string(), Urgency::Now));
        assert_eq!(days_left("6.99"), ("6.99 days".to_string(), Urgency::Soon));
        assert_eq!(days_left("20.00"), ("20 days".to_string(), Urgency::Later));
        assert_eq!(
            days_left("10.10"),
            ("10.1 days".to_string(), Urgency::Later)
        );
    }

    #[test]
    fn dates_read_naturally() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let sat = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert_eq!(day(sat, today), "Sat 28 Nov");
        assert_eq!(
            day(NaiveDate::from_ymd_opt(2027, 1, 2).unwrap(), today),
            "Sat 2 Jan 2027"
        );
        assert_eq!(relative(sat, today), "in 3 days");
        assert_eq!(relative(today, today), "today");
        assert_eq!(relative(today.pred_opt().unwrap(), today), "yesterday");
        assert_eq!(
            relative(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(), today),
            "5 days ago"
        );
    }

    #[test]
    fn sizes_are_short() {
        assert_eq!(size(12), "12 bytes");
        assert_eq!(size(340_123), "340 KB");
        assert_eq!(size(1_234_567), "1.2 MB");
    }
}
