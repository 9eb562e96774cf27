//! Inventory items and locations: types and pure rules.

use serde::{Deserialize, Serialize};

use crate::domain::money::{Currency, Money};
use crate::domain::{Day, DecimalInput, Patch, Qty, text};
use crate::error::{ApiError, FieldError};
use crate::openapi::schemas::{
    MoneyInput, NonBlank100, NonBlank200, PositiveQtyInput, QtyInput, Text100, Text2000,
};

pub const NAME_MAX: usize = 200;
pub const SHORT_TEXT_MAX: usize = 100;
pub const NOTES_MAX: usize = 2000;

/// A stocked thing.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub id: String,
    pub name: String,
    /// On hand.
    #[schema(value_type = String, example = "2.5")]
    pub qty: Qty,
    pub unit: Option<String>,
    pub location_id: Option<String>,
    pub category: Option<String>,
    /// Low-stock threshold; 0 means no rule.
    #[schema(value_type = String, example = "1")]
    pub min_qty: Qty,
    /// How much to buy when low; defaults to `min_qty`.
    #[schema(value_type = String, example = "1")]
    pub reorder_qty: Qty,
    #[schema(value_type = Option<String>, example = "3.49")]
    pub est_unit_cost: Option<Money>,
    /// True when `min_qty > 0` and `qty <= min_qty`.
    pub low_stock: bool,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// Whether an item counts as low on stock.
pub fn is_low(qty: Qty, min_qty: Qty) -> bool {
    !min_qty.is_zero() && qty <= min_qty
}

/// The quantity to buy when an item is low: `reorder_qty` if set, else `min_qty`; at least 1.
pub fn effective_reorder_qty(reorder_qty: Option<Qty>, min_qty: Qty) -> Qty {
    let wanted = reorder_qty.unwrap_or(min_qty);
    wanted.max(Qty::from_milli(crate::domain::qty::MILLI))
}

/// The checked fields of an item, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFields {
    pub name: String,
    pub qty: Qty,
    pub unit: Option<String>,
    pub location_id: Option<String>,
    pub category: Option<String>,
    pub min_qty: Qty,
    /// `None`: follow `min_qty`.
    pub reorder_qty: Option<Qty>,
    pub est_unit_cost: Option<Money>,
}

/// `POST /core/inventory`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    #[schema(value_type = NonBlank200, example = "Oat milk")]
    pub name: String,
    /// Default 0.
    #[schema(value_type = Option<QtyInput>)]
    pub qty: Option<DecimalInput>,
    #[schema(value_type = Option<Text100>, example = "l")]
    pub unit: Option<String>,
    pub location_id: Option<String>,
    #[schema(value_type = Option<Text100>, example = "dairy")]
    pub category: Option<String>,
    /// Default 0 (no low-stock rule).
    #[schema(value_type = Option<QtyInput>)]
    pub min_qty: Option<DecimalInput>,
    /// Default: `min_qty`.
    #[schema(value_type = Option<QtyInput>)]
    pub reorder_qty: Option<DecimalInput>,
    #[schema(value_type = Option<MoneyInput>)]
    pub est_unit_cost: Option<DecimalInput>,
}

impl NewItem {
    pub fn validate(self, currency: Currency) -> Result<ItemFields, ApiError> {
        Ok(ItemFields {
            name: text::required("name", &self.name, NAME_MAX)?,
            qty: self
                .qty
                .map(|q| q.qty("qty"))
                .transpose()?
                .unwrap_or(Qty::ZERO),
            unit: text::optional("unit", self.unit.as_deref(), SHORT_TEXT_MAX)?,
            location_id: self.location_id,
            category: text::optional("category", self.category.as_deref(), SHORT_TEXT_MAX)?,
            min_qty: self
                .min_qty
                .map(|q| q.qty("min_qty"))
                .transpose()?
                .unwrap_or(Qty::ZERO),
            reorder_qty: self.reorder_qty.map(|q| q.qty("reorder_qty")).transpose()?,
            est_unit_cost: self
                .est_unit_cost
                .map(|c| c.money("est_unit_cost", currency))
                .transpose()?,
        })
    }
}

/// `PATCH /core/inventory/{id}`: fields absent are kept; `null` clears an optional field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    #[serde(default)]
    #[schema(value_type = NonBlank200)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = QtyInput)]
    pub qty: Patch<DecimalInput>,
    #[serde(default)]
    #[schema(value_type = Option<Text100>)]
    pub unit: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub location_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<Text100>)]
    pub category: Patch<String>,
    #[serde(default)]
    #[schema(value_type = QtyInput)]
    pub min_qty: Patch<DecimalInput>,
    /// `null` resets it to follow `min_qty`.
    #[serde(default)]
    #[schema(value_type = Option<QtyInput>)]
    pub reorder_qty: Patch<DecimalInput>,
    #[serde(default)]
    #[schema(value_type = Option<MoneyInput>)]
    pub est_unit_cost: Patch<DecimalInput>,
}

fn required<T>(field: &str, patch: Patch<T>, current: T) -> Result<T, FieldError> {
    match patch {
        Patch::Keep => Ok(current),
        Patch::Clear => Err(FieldError::new(field, "must not be null")),
        Patch::Set(v) => Ok(v),
    }
}

impl ItemPatch {
    /// The fields after applying this patch to `current`; nothing is applied on error.
    pub fn apply(self, current: ItemFields, currency: Currency) -> Result<ItemFields, ApiError> {
        let name = match self.name {
            Patch::Set(name) => text::required("name", &name, NAME_MAX)?,
            other => required("name", other, current.name)?,
        };
        let qty = match self.qty {
            Patch::Set(q) => q.qty("qty")?,
            other => required("qty", other.map(|_| Qty::ZERO), current.qty)?,
        };
        let min_qty = match self.min_qty {
            Patch::Set(q) => q.qty("min_qty")?,
            other => required("min_qty", other.map(|_| Qty::ZERO), current.min_qty)?,
        };
        let unit = self
            .unit
            .try_map(|u| text::optional("unit", Some(&u), SHORT_TEXT_MAX))?;
        let category = self
            .category
            .try_map(|c| text::optional("category", Some(&c), SHORT_TEXT_MAX))?;
        Ok(ItemFields {
            name,
            qty,
            unit: flatten(unit, current.unit),
            location_id: self.location_id.apply(current.location_id),
            category: flatten(category, current.category),
            min_qty,
            reorder_qty: self
                .reorder_qty
                .try_map(|q| q.qty("reorder_qty"))?
                .apply(current.reorder_qty),
            est_unit_cost: self
                .est_unit_cost
                .try_map(|c| c.money("est_unit_cost", currency))?
                .apply(current.est_unit_cost),
        })
    }
}

/// A patch whose value may itself normalise to "none" (an empty string clears).
fn flatten(patch: Patch<Option<String>>, current: Option<String>) -> Option<String> {
    match patch {
        Patch::Keep => current,
        Patch::Clear => None,
        Patch::Set(v) => v,
    }
}

/// `POST /core/inventory/{id}/use`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UseItem {
    /// How much was used; more than 0 and at most what is on hand.
    #[schema(value_type = PositiveQtyInput)]
    pub qty: DecimalInput,
    /// Default today; not after today.
    pub used_on: Option<Day>,
    #[schema(value_type = Option<Text2000>)]
    pub notes: Option<String>,
}

/// `POST /core/inventory/{id}/out_of` (body optional).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutOf {
    /// Default today; not after today.
    pub used_on: Option<Day>,
    #[schema(value_type = Option<Text2000>)]
    pub notes: Option<String>,
}

/// `POST /core/inventory/{id}/restock`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Restock {
    /// How much was added; more than 0.
    #[schema(value_type = PositiveQtyInput)]
    pub qty: DecimalInput,
}

/// A place where things are kept; locations may nest.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Location {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
}

/// `POST /core/inventory/locations`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLocation {
    #[schema(value_type = NonBlank100, example = "Pantry")]
    pub name: String,
    pub parent_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::decimal::Decimal;

    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap()
    }

    #[test]
    fn low_stock_rule() {
        assert!(!is_low(q("0"), q("0")), "min 0 means no rule");
        assert!(is_low(q("1"), q("1")));
        assert!(is_low(q("0.5"), q("1")));
        assert!(!is_low(q("1.001"), q("1")));
    }

    #[test]
    fn reorder_defaults_to_min_and_is_at_least_one() {
        assert_eq!(effective_reorder_qty(None, q("3")), q("3"));
        assert_eq!(effective_reorder_qty(None, q("0.5")), q("1"));
        assert_eq!(effective_reorder_qty(Some(q("6")), q("3")), q("6"));
        assert_eq!(effective_reorder_qty(None, q("0")), q("1"));
    }

    fn fields() -> ItemFields {
        ItemFields {
            name: "Milk".into(),
            qty: q("2"),
            unit: Some("l".into()),
            location_id: None,
            category: Some("dairy".into()),
            min_qty: q("1"),
            reorder_qty: None,
            est_unit_cost: None,
        }
    }

    #[test]
    fn patch_keeps_clears_and_sets() {
        let patch: ItemPatch =
            serde_json::from_str(r#"{"unit": null, "qty": "3.5", "category": "  "}"#).unwrap();
        let next = patch.apply(fields(), Currency::USD).unwrap();
        assert_eq!(next.unit, None);
        assert_eq!(next.qty, q("3.5"));
        assert_eq!(next.category, None);
        assert_eq!(next.name, "Milk");
        let patch: ItemPatch = serde_json::from_str(r#"{"name": null}"#).unwrap();
        let err = patch.apply(fields(), Currency::USD).unwrap_err();
        assert_eq!(err.errors[0].field, "name");
        let patch = ItemPatch {
            est_unit_cost: Patch::Set(DecimalInput(Decimal::parse("1.234").unwrap())),
            ..Default::default()
        };
        let err = patch.apply(fields(), Currency::USD).unwrap_err();
        assert_eq!(err.errors[0].field, "est_unit_cost");
    }
}
