//! Shopping presets: named lists of items to add in one go ("weekly basics").

use serde::{Deserialize, Serialize};

use super::model::{ItemFields, NewShoppingItem, SHORT_TEXT_MAX, est_total};
use crate::domain::money::{Currency, Money};
use crate::domain::text::{self, normalize_name};
use crate::domain::{DecimalInput, ObjectOnly, Qty};
use crate::error::{ApiError, FieldError};

/// Most items one preset may hold.
pub const MAX_PRESET_ITEMS: usize = 200;

/// A named list of items.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preset {
    pub id: String,
    pub name: String,
    pub items: Vec<PresetItem>,
    pub created_at: String,
}

/// One line of a preset.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PresetItem {
    pub name: String,
    #[schema(value_type = String, example = "1")]
    pub qty: Qty,
    pub unit: Option<String>,
    #[schema(value_type = Option<String>, example = "2.49")]
    pub est_unit_cost: Option<Money>,
    #[schema(value_type = Option<String>, example = "2.49")]
    pub est_total: Option<Money>,
    pub category: Option<String>,
}

impl PresetItem {
    pub fn from_fields(fields: &ItemFields) -> PresetItem {
        PresetItem {
            name: fields.name.clone(),
            qty: fields.qty,
            unit: fields.unit.clone(),
            est_unit_cost: fields.est_unit_cost,
            est_total: est_total(fields.qty, fields.est_unit_cost),
            category: fields.category.clone(),
        }
    }

    pub fn fields(&self) -> ItemFields {
        ItemFields {
            name: self.name.clone(),
            qty: self.qty,
            unit: self.unit.clone(),
            est_unit_cost: self.est_unit_cost,
            category: self.category.clone(),
            inv_id: None,
        }
    }
}

/// `POST /core/shopping/presets`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPreset {
    #[schema(value_type = crate::openapi::schemas::NonBlank100, example = "Weekly basics")]
    pub name: String,
    /// 1–200 items with distinct names.
    #[schema(value_type = Vec<NewPresetItem>, min_items = 1, max_items = 200)]
    pub items: Vec<ObjectOnly<NewPresetItem>>,
}

/// One line of a new preset.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPresetItem {
    #[schema(value_type = crate::openapi::schemas::NonBlank200, example = "Bread")]
    pub name: String,
    /// More than 0; default 1.
    #[schema(value_type = Option<crate::openapi::schemas::PositiveQtyInput>)]
    pub qty: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub unit: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub est_unit_cost: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Option<String>,
}

/// A checked preset.
#[derive(Debug, Clone, PartialEq)]
pub struct PresetFields {
    pub name: String,
    pub items: Vec<ItemFields>,
}

/// Prefixes a field error with the item's position, e.g. `items[2].qty`.
fn at(index: usize, err: ApiError) -> ApiError {
    let errors = err
        .errors
        .into_iter()
        .map(|e| FieldError::new(format!("items[{index}].{}", e.field), e.message))
        .collect();
    ApiError::validation(errors)
}

impl NewPreset {
    pub fn validate(self, currency: Currency) -> Result<PresetFields, ApiError> {
        let name = text::required("name", &self.name, SHORT_TEXT_MAX)?;
        if self.items.is_empty() || self.items.len() > MAX_PRESET_ITEMS {
            return Err(ApiError::field(
                "items",
                format!("must hold 1 to {MAX_PRESET_ITEMS} items"),
            ));
        }
        let mut items: Vec<ItemFields> = Vec::with_capacity(self.items.len());
        for (index, ObjectOnly(item)) in self.items.into_iter().enumerate() {
            let fields = NewShoppingItem {
                name: item.name,
                qty: item.qty,
                unit: item.unit,
                est_unit_cost: item.est_unit_cost,
                category: item.category,
                inv_id: None,
            }
            .validate(currency)
            .map_err(|err| at(index, err))?;
            let key = normalize_name(&fields.name);
            if let Some(first) = items.iter().position(|f| normalize_name(&f.name) == key) {
                return Err(ApiError::field(
                    format!("items[{index}].name"),
                    format!("names the same item as items[{first}]"),
                ));
            }
            items.push(fields);
        }
        Ok(PresetFields { name, items })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(json: &str) -> Result<PresetFields, ApiError> {
        serde_json::from_str::<NewPreset>(json)
            .unwrap()
            .validate(Currency::USD)
    }

    #[test]
    fn presets_check_each_item_and_name_its_position() {
        let preset = validate(
            r#"{"name": "Basics", "items": [{"name": "Bread", "est_unit_cost": "2.49"},
                {"name": "Milk", "qty": 2, "unit": "l"}]}"#,
        )
        .unwrap();
        assert_eq!(preset.items.len(), 2);
        assert_eq!(preset.items[1].qty, Qty::parse("2").unwrap());
        let field = |json: &str| validate(json).unwrap_err().errors[0].field.clone();
        assert_eq!(field(r#"{"name": "B", "items": []}"#), "items");
        assert_eq!(field(r#"{"name": " ", "items": [{"name": "x"}]}"#), "name");
        assert_eq!(
            field(r#"{"name": "B", "items": [{"name": "x"}, {"name": "y", "qty": 0}]}"#),
            "items[1].qty"
        );
        assert_eq!(
            field(r#"{"name": "B", "items": [{"name": "Milk"}, {"name": " MILK "}]}"#),
            "items[1].name"
        );
    }
}
