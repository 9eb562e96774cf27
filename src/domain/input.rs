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
