//! Households, members, tokens and settings: types and pure rules.

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::domain::money::{Currency, Money};
use crate::domain::{DecimalInput, Role, WholeNumber};
use crate::error::FieldError;

/// A household's settings (`GET|PATCH /core/household/settings`).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Settings {
    /// IANA time zone that defines the household's "today".
    #[serde(serialize_with = "serialize_tz")]
    #[schema(value_type = String, example = "Europe/Berlin")]
    pub timezone: Tz,
    /// ISO 4217 code used when a request names no currency.
    #[serde(serialize_with = "serialize_currency")]
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
    /// Purchases at or above this amount need an approved approval.
    #[schema(value_type = String, example = "200.00")]
    pub big_spend_threshold: Money,
    /// Amounts at or above this are refused outright by the default policy.
    #[schema(value_type = String, example = "1000.00")]
    pub hard_spend_limit: Money,
    /// Cash the household wants to keep; `budget/impact` warns below it.
    #[schema(value_type = String, example = "0.00")]
    pub min_cash_buffer: Money,
    /// How far ahead the daily tick looks for scheduled needs.
    pub needs_horizon_days: i64,
    /// Local time of the daily tick, `HH:MM`.
    #[serde(serialize_with = "serialize_time")]
    #[schema(value_type = String, example = "06:00")]
    pub tick_time: NaiveTime,
    pub version: i64,
}

fn serialize_tz<S: Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

fn serialize_currency<S: Serializer>(c: &Currency, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.code())
}

fn serialize_time<S: Serializer>(t: &NaiveTime, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(&t.format("%H:%M"))
}

impl Settings {
    /// The settings of a new household (SPEC §14 defaults).
    pub fn defaults() -> Settings {
        let currency = Currency::USD;
        Settings {
            timezone: chrono_tz::UTC,
            currency,
            big_spend_threshold: Money::from_minor(20_000, currency),
            hard_spend_limit: Money::from_minor(100_000, currency),
            min_cash_buffer: Money::zero(currency),
            needs_horizon_days: 30,
            tick_time: NaiveTime::from_hms_opt(6, 0, 0).unwrap_or_default(),
            version: 1,
        }
    }
}

/// `PATCH /core/household/settings`: every field optional.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[schema(value_type = Option<crate::openapi::schemas::TimeZoneName>)]
    pub timezone: Option<String>,
    /// Amounts kept in the settings keep their value in the new currency.
    #[schema(value_type = Option<crate::openapi::schemas::CurrencyCode>)]
    pub currency: Option<String>,
    /// More than 0.
    #[schema(value_type = Option<crate::openapi::schemas::PositiveMoneyInput>)]
    pub big_spend_threshold: Option<DecimalInput>,
    /// At least `big_spend_threshold`.
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub hard_spend_limit: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub min_cash_buffer: Option<DecimalInput>,
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365)]
    pub needs_horizon_days: Option<WholeNumber>,
    /// `HH:MM`, household time.
    #[schema(example = "06:00", pattern = "^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub tick_time: Option<String>,
}

impl SettingsPatch {
    /// Applies the patch, validating every field; on error nothing is applied.
    pub fn apply(self, current: &Settings) -> Result<Settings, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut next = current.clone();
        if let Some(tz) = self.timezone {
            match tz.parse::<Tz>() {
                Ok(tz) => next.timezone = tz,
                Err(_) => errors.push(FieldError::new("timezone", "unknown IANA time zone")),
            }
        }
        let currency = match self.currency {
            None => current.currency,
            Some(code) => Currency::from_code(&code).unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "currency",
                    "unknown ISO 4217 currency code",
                ));
                current.currency
            }),
        };
        next.currency = currency;
        for (field, input, target) in [
            (
                "big_spend_threshold",
                self.big_spend_threshold,
                &mut next.big_spend_threshold,
            ),
            (
                "hard_spend_limit",
                self.hard_spend_limit,
                &mut next.hard_spend_limit,
            ),
            (
                "min_cash_buffer",
                self.min_cash_buffer,
                &mut next.min_cash_buffer,
            ),
        ] {
            // A new value is read in the (new) currency; an unchanged one keeps its value
            // in the new currency's minor units (200.00 USD → 200 JPY).
            let result = match input {
                Some(input) => input.money(field, currency),
                None => target.rescale(currency).map_err(|_| {
                    FieldError::new(
                        field,
                        format!("{target} cannot be expressed in {currency}; set it too"),
                    )
                }),
            };
            match result {
                Ok(money) => *target = money,
                Err(e) => errors.push(e),
            }
        }
        if next.big_spend_threshold.minor() <= 0 {
            errors.push(FieldError::new(
                "big_spend_threshold",
                "must be greater than 0",
            ));
        }
        if next.hard_spend_limit.minor() < next.big_spend_threshold.minor() {
            errors.push(FieldError::new(
                "hard_spend_limit",
                "must be at least big_spend_threshold",
            ));
        }
        if let Some(WholeNumber(days)) = self.needs_horizon_days {
            if (1..=365).contains(&days) {
                next.needs_horizon_days = days;
            } else {
                errors.push(FieldError::new(
                    "needs_horizon_days",
                    "must be between 1 and 365",
                ));
            }
        }
        if let Some(time) = self.tick_time {
            match parse_hh_mm(&time) {
                Some(t) => next.tick_time = t,
                None => errors.push(FieldError::new(
                    "tick_time",
                    "must be a time HH:MM, 00:00 to 23:59",
                )),
            }
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(errors)
        }
    }
}

/// Parses `HH:MM` (24-hour).
pub fn parse_hh_mm(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// A member of a household.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub id: String,
    pub name: String,
    pub role: Role,
    pub created_at: String,
}

/// `GET /core/me`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub member_id: String,
    pub name: String,
    pub role: Role,
    pub household_id: String,
    pub household_name: String,
}

/// A fresh API token: `vh_` + 32 random bytes, base64url.
pub fn generate_token() -> Result<String, getrandom::Error> {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "vh_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    ))
}

/// Tokens are stored only as their SHA-256 (they carry 256 random bits, so a fast hash is
/// enough: there is nothing to brute-force).
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a household or member name given on the command line.
pub fn check_name(field: &str, name: &str) -> Result<String, FieldError> {
    crate::domain::text::required(field, name, 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decimal::Decimal;

    fn dec(s: &str) -> Option<DecimalInput> {
        Some(DecimalInput(Decimal::parse(s).unwrap()))
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = generate_token().unwrap();
        let b = generate_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("vh_") && a.len() > 40);
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn patch_validates_every_field() {
        let current = Settings::defaults();
        let patch = SettingsPatch {
            timezone: Some("Mars/Olympus".into()),
            tick_time: Some("25:00".into()),
            needs_horizon_days: Some(WholeNumber(0)),
            hard_spend_limit: dec("10"),
            ..Default::default()
        };
        let fields: Vec<_> = patch
            .apply(&current)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "timezone",
                "hard_spend_limit",
                "needs_horizon_days",
                "tick_time"
            ]
        );
    }

    #[test]
    fn currency_change_keeps_values() {
        let current = Settings::defaults();
        let next = SettingsPatch {
            currency: Some("JPY".into()),
            ..Default::default()
        }
        .apply(&current)
        .unwrap();
        assert_eq!(next.big_spend_threshold.to_string(), "200");
        let mut odd = current.clone();
        odd.min_cash_buffer = Money::from_minor(1050, current.currency);
        let err = SettingsPatch {
            currency: Some("JPY".into()),
            ..Default::default()
        }
        .apply(&odd)
        .unwrap_err();
        assert_eq!(err[0].field, "min_cash_buffer");
        let ok = SettingsPatch {
            currency: Some("JPY".into()),
            min_cash_buffer: dec("10"),
            ..Default::default()
        }
        .apply(&odd)
        .unwrap();
        assert_eq!(ok.min_cash_buffer.to_string(), "10");
    }

    #[test]
    fn parses_tick_time() {
        assert_eq!(parse_hh_mm("06:00"), NaiveTime::from_hms_opt(6, 0, 0));
        assert_eq!(parse_hh_mm("6:00"), None);
        assert_eq!(parse_hh_mm("23:60"), None);
    }
}
