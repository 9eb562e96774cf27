//! Request-side value types: what clients may send before it is checked against the domain.

use serde::{Deserialize, Deserializer};

use super::decimal::Decimal;
use super::money::{Currency, Money};
use super::qty::Qty;
use crate::error::FieldError;

/// A decimal sent as a JSON number (`4.5`) or a string (`"4.50"`), kept exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecimalInput(pub Decimal);

const DECIMAL_EXPECTED: &str =
    "must be a decimal number (a JSON number or a string such as \"4.50\")";

impl<'de> Deserialize<'de> for DecimalInput {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DecimalInput, D::Error> {
        // With serde_json's `arbitrary_precision`, a number keeps its original text here.
        let value = serde_json::Value::deserialize(deserializer)?;
        let text = match &value {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return Err(serde::de::Error::custom(DECIMAL_EXPECTED)),
        };
        Decimal::parse(&text)
            .map(DecimalInput)
            .map_err(|_| serde::de::Error::custom(DECIMAL_EXPECTED))
    }
}

impl utoipa::PartialSchema for DecimalInput {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"))
                    .examples(["4.50"]),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .description(Some(
                "An exact decimal, as a JSON number or a decimal string.",
            ))
            .into()
    }
}
impl utoipa::ToSchema for DecimalInput {}

impl DecimalInput {
    /// A quantity ≥ 0.
    pub fn qty(self, field: &str) -> Result<Qty, FieldError> {
        Qty::from_decimal(self.0).map_err(|e| match e {
            super::decimal::DecimalError::OutOfRange if self.0.mantissa < 0 => {
                FieldError::new(field, "must not be negative")
            }
            other => FieldError::new(field, other.to_string()),
        })
    }

    /// A quantity > 0.
    pub fn positive_qty(self, field: &str) -> Result<Qty, FieldError> {
        let qty = self.qty(field)?;
        if qty.is_zero() {
            return Err(FieldError::new(field, "must be greater than 0"));
        }
        Ok(qty)
    }

    /// An amount ≥ 0 in `currency`.
    pub fn money(self, field: &str, currency: Currency) -> Result<Money, FieldError> {
        if self.0.mantissa < 0 {
            return Err(FieldError::new(field, "must not be negative"));
        }
        Money::from_decimal(self.0, currency).map_err(|e| FieldError::new(field, e.to_string()))
    }

    /// An amount > 0 in `currency`.
    pub fn positive_money(self, field: &str, currency: Currency) -> Result<Money, FieldError> {
        let money = self.money(field, currency)?;
        if !money.is_positive() {
            return Err(FieldError::new(field, "must be greater than 0"));
        }
        Ok(money)
    }
}

/// A whole number from a JSON body, written `5` or `5.0`: JSON Schema (and so the API document)
/// counts both as integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WholeNumber(pub i64);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WholeNumber, D::Error> {
        const EXPECTED: &str = "must be a whole number";
        let value = serde_json::Value::deserialize(deserializer)?;
        let serde_json::Value::Number(number) = value else {
            return Err(serde::de::Error::custom(EXPECTED));
        };
        if let Some(n) = number.as_i64() {
            return Ok(WholeNumber(n));
        }
        // `5.0`, `5e2`: exact decimal text, whole when no digits remain after the point.
        Decimal::parse(&number.to_string())
            .ok()
            .filter(|d| d.scale == 0)
            .and_then(|d| i64::try_from(d.mantissa).ok())
            .map(WholeNumber)
            .ok_or_else(|| serde::de::Error::custom(EXPECTED))
    }
}

impl WholeNumber {
    /// As a `u32` for a range check: below 0 becomes 0, above `u32::MAX` becomes `u32::MAX`.
    pub fn clamped_u32(self) -> u32 {
        u32::try_from(self.0.max(0)).unwrap_or(u32::MAX)
    }
}

/// A struct nested in a request body, taken only from a JSON object: serde would also fill it
/// from an array of its field values, which the API does not offer.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectOnly<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ObjectOnly<T>, D::Error> {
        struct ObjectVisitor<T>(std::marker::PhantomData<T>);

        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectVisitor<T> {
            type Value = ObjectOnly<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            // The fields are read through the caller's map, so errors keep their full path.
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(ObjectOnly)
            }
        }

        deserializer.deserialize_map(ObjectVisitor(std::marker::PhantomData))
    }
}

/// A PATCH field: absent (keep), `null` (clear) or a value (set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Patch<T>, D::Error> {
        // Only reached when the key is present (fields use `#[serde(default)]`).
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(v) => Patch::Set(v),
            None => Patch::Clear,
        })
    }
}

impl<T: utoipa::PartialSchema> utoipa::PartialSchema for Patch<T> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(T::schema())
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .into()
    }
}
impl<T: utoipa::PartialSchema> utoipa::ToSchema for Patch<T> {}

impl<T> Patch<T> {
    /// Applies the patch to an optional current value.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(v) => Some(v),
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)),
        }
    }

    /// Converts the value, keeping Keep/Clear as they are.
    pub fn try_map<U, E>(self, f: impl FnOnce(T) -> Result<U, E>) -> Result<Patch<U>, E> {
        Ok(match self {
            Patch::Keep => Patch::Keep,
            Patch::Clear => Patch::Clear,
            Patch::Set(v) => Patch::Set(f(v)?),
        })
    }
}

/// A currency code from a request (ISO 4217, upper case); absent means `default`.
pub fn currency_or(
    field: &str,
    code: Option<&str>,
    default: Currency,
) -> Result<Currency, FieldError> {
    match code {
        None => Ok(default),
        Some(code) => Currency::from_code(code.trim())
            .ok_or_else(|| FieldError::new(field, "must be an ISO 4217 currency code such as EUR")),
    }
}

/// A day from a request that may not lie after `today`; absent means `today`.
pub fn day_until_today(
    field: &str,
    day: Option<super::Day>,
    today: chrono::NaiveDate,
) -> Result<chrono::NaiveDate, FieldError> {
    match day {
        None => Ok(today),
        Some(super::Day(day)) if day <= today => Ok(day),
        Some(_) => Err(FieldError::new(field, "must not be after today")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn nested_structs_come_only_from_objects() {
        #[derive(Deserialize, Debug, PartialEq)]
        #[serde(deny_unknown_fields)]
        struct Pair {
            a: Option<u8>,
            b: Option<u8>,
        }
        let pair = serde_json::from_str::<ObjectOnly<Pair>>(r#"{"a": 1}"#).unwrap();
        assert_eq!(
            pair.0,
            Pair {
                a: Some(1),
                b: None
            }
        );
        assert!(serde_json::from_str::<ObjectOnly<Pair>>("[1, 2]").is_err());
        assert!(
            serde_json::from_str::<Pair>("[1, 2]").is_ok(),
            "what serde alone would take"
        );
    }

    #[test]
    fn whole_numbers_may_carry_a_zero_fraction() {
        let whole = |json: &str| serde_json::from_str::<WholeNumber>(json).map(|w| w.0).ok();
        assert_eq!(whole("101"), Some(101));
        assert_eq!(whole("101.0"), Some(101));
        assert_eq!(whole("1e2"), Some(100));
        assert_eq!(whole("-3.000"), Some(-3));
        assert_eq!(whole("1.5"), None);
        assert_eq!(whole("\"5\""), None);
        assert_eq!(whole("1e40"), None);
    }

    #[test]
    fn currencies_and_days_from_requests() {
        assert_eq!(
            currency_or("currency", None, Currency::USD),
            Ok(Currency::USD)
        );
        assert_eq!(
            currency_or("currency", Some("JPY"), Currency::USD)
                .unwrap()
                .code(),
            "JPY"
        );
        assert_eq!(
            currency_or("currency", Some("usd"), Currency::USD)
                .unwrap_err()
                .field,
            "currency"
        );
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(day_until_today("date", None, today), Ok(today));
        assert_eq!(
            day_until_today("date", Some(super::super::Day(today)), today),
            Ok(today)
        );
        assert_eq!(
            day_until_today("date", Some(super::super::Day(tomorrow)), today)
                .unwrap_err()
                .field,
            "date"
        );
    }
}
