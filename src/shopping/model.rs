//! Shopping items: types and pure rules (derived totals, "same thing" dedupe, cost sums).

use std::collections::HashSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::money::{Currency, MAX_MINOR, Money};
use crate::domain::qty::MILLI;
use crate::domain::text::{self, normalize_name};
use crate::domain::{DecimalInput, Patch, Qty};
use crate::error::{ApiError, FieldError};

pub const NAME_MAX: usize = 200;
pub const SHORT_TEXT_MAX: usize = 100;

/// Where an item is in its life. Only `open` items are on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Bought,
    Cancelled,
}

impl Status {
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Bought => "bought",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "open" => Some(Status::Open),
            "bought" => Some(Status::Bought),
            "cancelled" => Some(Status::Cancelled),
            _ => None,
        }
    }
}

/// What put an item on the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Manual,
    QuickAdd,
    Inventory,
    Needs,
    Preset,
}

impl Source {
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::Manual => "manual",
            Source::QuickAdd => "quick_add",
            Source::Inventory => "inventory",
            Source::Needs => "needs",
            Source::Preset => "preset",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        match text {
            "manual" => Some(Source::Manual),
            "quick_add" => Some(Source::QuickAdd),
            "inventory" => Some(Source::Inventory),
            "needs" => Some(Source::Needs),
            "preset" => Some(Source::Preset),
            _ => None,
        }
    }
}

/// A thing to buy.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShoppingItem {
    pub id: String,
    pub name: String,
    #[schema(value_type = String, example = "1")]
    pub qty: Qty,
    pub unit: Option<String>,
    #[schema(value_type = Option<String>, example = "4.50")]
    pub est_unit_cost: Option<Money>,
    /// `qty × est_unit_cost`, rounded half-up to the minor unit; null without a unit cost.
    #[schema(value_type = Option<String>, example = "4.50")]
    pub est_total: Option<Money>,
    pub category: Option<String>,
    pub status: Status,
    pub source: Source,
    pub inv_id: Option<String>,
    pub schedule_event_id: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub need_date: Option<NaiveDate>,
    pub approval_id: Option<String>,
    #[schema(value_type = Option<String>)]
    pub actual_total: Option<Money>,
    pub bought_at: Option<String>,
    pub receipt_id: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The user-editable, checked fields of an item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFields {
    pub name: String,
    pub qty: Qty,
    pub unit: Option<String>,
    pub est_unit_cost: Option<Money>,
    pub category: Option<String>,
    pub inv_id: Option<String>,
}

/// `qty × unit_cost`, rounded half-up to the minor unit.
pub fn est_total(qty: Qty, unit_cost: Option<Money>) -> Option<Money> {
    unit_cost.map(|cost| cost.times_qty(qty.milli()))
}

impl ItemFields {
    pub fn est_total(&self) -> Option<Money> {
        est_total(self.qty, self.est_unit_cost)
    }

    /// For items the generators make from other records (an inventory item's reorder quantity
    /// and cost, a need's quantity and cost): an estimate whose total cannot be represented is
    /// left out rather than stored, so the list's totals stay sums of real amounts.
    pub fn with_representable_estimate(mut self) -> ItemFields {
        if self.est_total().is_some_and(|t| t.minor() > MAX_MINOR) {
            self.est_unit_cost = None;
        }
        self
    }

    /// Rules between fields: the derived total must be a representable amount.
    fn checked(self) -> Result<ItemFields, FieldError> {
        if self.est_total().is_some_and(|t| t.minor() > MAX_MINOR) {
            return Err(FieldError::new(
                "est_unit_cost",
                "qty × est_unit_cost is out of range",
            ));
        }
        Ok(self)
    }
}

/// One unit.
pub fn one() -> Qty {
    Qty::from_milli(MILLI)
}

/// A row about to be written: its fields and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct NewShopping {
    pub fields: ItemFields,
    pub source: Source,
    pub schedule_event_id: Option<String>,
    pub need_date: Option<NaiveDate>,
}

impl NewShopping {
    pub fn new(fields: ItemFields, source: Source) -> NewShopping {
        NewShopping {
            fields,
            source,
            schedule_event_id: None,
            need_date: None,
        }
    }
}

/// `POST /core/shopping`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShoppingItem {
    #[schema(value_type = crate::openapi::schemas::NonBlank200, example = "Oat milk")]
    pub name: String,
    /// More than 0; default 1.
    #[schema(value_type = Option<crate::openapi::schemas::PositiveQtyInput>)]
    pub qty: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>, example = "l")]
    pub unit: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub est_unit_cost: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Option<String>,
    /// The inventory item this restocks.
    pub inv_id: Option<String>,
}

impl NewShoppingItem {
    pub fn validate(self, currency: Currency) -> Result<ItemFields, ApiError> {
        let fields = ItemFields {
            name: text::required("name", &self.name, NAME_MAX)?,
            qty: self
                .qty
                .map(|q| q.positive_qty("qty"))
                .transpose()?
                .unwrap_or_else(one),
            unit: text::optional("unit", self.unit.as_deref(), SHORT_TEXT_MAX)?,
            est_unit_cost: self
                .est_unit_cost
                .map(|c| c.money("est_unit_cost", currency))
                .transpose()?,
            category: text::optional("category", self.category.as_deref(), SHORT_TEXT_MAX)?,
            inv_id: self.inv_id,
        };
        Ok(fields.checked()?)
    }
}

/// `PATCH /core/shopping/{id}`: fields absent are kept; `null` clears an optional field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShoppingPatch {
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::NonBlank200)]
    pub name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::PositiveQtyInput)]
    pub qty: Patch<DecimalInput>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub unit: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub est_unit_cost: Patch<DecimalInput>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub inv_id: Patch<String>,
}

fn optional_text(
    field: &str,
    patch: Patch<String>,
    current: Option<String>,
) -> Result<Option<String>, FieldError> {
    match patch {
        Patch::Keep => Ok(current),
        Patch::Clear => Ok(None),
        Patch::Set(v) => text::optional(field, Some(&v), SHORT_TEXT_MAX),
    }
}

impl ShoppingPatch {
    /// The fields after applying this patch to `current`; nothing is applied on error.
    pub fn apply(self, current: ItemFields, currency: Currency) -> Result<ItemFields, ApiError> {
        let name = match self.name {
            Patch::Keep => current.name,
            Patch::Clear => return Err(FieldError::new("name", "must not be null").into()),
            Patch::Set(name) => text::required("name", &name, NAME_MAX)?,
        };
        let qty = match self.qty {
            Patch::Keep => current.qty,
            Patch::Clear => return Err(FieldError::new("qty", "must not be null").into()),
            Patch::Set(q) => q.positive_qty("qty")?,
        };
        let fields = ItemFields {
            name,
            qty,
            unit: optional_text("unit", self.unit, current.unit)?,
            est_unit_cost: self
                .est_unit_cost
                .try_map(|c| c.money("est_unit_cost", currency))?
                .apply(current.est_unit_cost),
            category: optional_text("category", self.category, current.category)?,
            inv_id: self.inv_id.apply(current.inv_id),
        };
        Ok(fields.checked()?)
    }
}

/// `POST /core/shopping/quick_add` as a JSON body (the same fields as the query parameters).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickAdd {
    #[schema(value_type = crate::openapi::schemas::NonBlank200, example = "milk")]
    pub name: String,
    /// Becomes the unit cost of the one unit added.
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>, example = "4.50")]
    pub est_total: Option<DecimalInput>,
}

impl QuickAdd {
    /// One unit of `name`, costing `est_total`.
    pub fn validate(self, currency: Currency) -> Result<ItemFields, ApiError> {
        let fields = ItemFields {
            name: text::required("name", &self.name, NAME_MAX)?,
            qty: one(),
            unit: None,
            est_unit_cost: self
                .est_total
                .map(|t| t.money("est_total", currency))
                .transpose()?,
            category: None,
            inv_id: None,
        };
        Ok(fields.checked()?)
    }
}

/// What a generator (or a preset) did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, utoipa::ToSchema)]
pub struct Generated {
    /// The items created, in full.
    pub created: Vec<ShoppingItem>,
    /// Candidates left out because the list already holds an open item for the same thing.
    pub skipped: u64,
}

/// The open items' identities that make a candidate "the same thing": its inventory item,
/// its need occurrence, or its normalised name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenKeys {
    pub names: HashSet<String>,
    pub inv_ids: HashSet<String>,
    pub needs: HashSet<(String, NaiveDate)>,
}

impl OpenKeys {
    /// Whether an open item already stands for `candidate`.
    pub fn covers(&self, candidate: &NewShopping) -> bool {
        let need = candidate.schedule_event_id.clone().zip(candidate.need_date);
        self.names.contains(&normalize_name(&candidate.fields.name))
            || candidate
                .fields
                .inv_id
                .as_ref()
                .is_some_and(|id| self.inv_ids.contains(id))
            || need.is_some_and(|n| self.needs.contains(&n))
    }

    /// Records `item` as open.
    pub fn add(&mut self, item: &NewShopping) {
        self.names.insert(normalize_name(&item.fields.name));
        if let Some(id) = &item.fields.inv_id {
            self.inv_ids.insert(id.clone());
        }
        if let Some(need) = item.schedule_event_id.clone().zip(item.need_date) {
            self.needs.insert(need);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    fn q(s: &str) -> Qty {
        Qty::parse(s).unwrap()
    }

    fn fields(name: &str) -> ItemFields {
        ItemFields {
            name: name.into(),
            qty: one(),
            unit: None,
            est_unit_cost: None,
            category: None,
            inv_id: None,
        }
    }

    #[test]
    fn generated_items_keep_only_representable_estimates() {
        let huge = ItemFields {
            qty: q("1000000000000"),
            est_unit_cost: Some(usd("10000000000000")),
            ..fields("Flour")
        };
        assert_eq!(huge.with_representable_estimate().est_unit_cost, None);
        let fine = ItemFields {
            qty: q("2"),
            est_unit_cost: Some(usd("3.50")),
            ..fields("Flour")
        };
        let kept = fine.clone().with_representable_estimate();
        assert_eq!(kept, fine);
    }

    #[test]
    fn est_total_is_qty_times_unit_cost_half_up() {
        assert_eq!(est_total(q("3"), Some(usd("0.99"))), Some(usd("2.97")));
        assert_eq!(est_total(q("1.5"), Some(usd("0.99"))), Some(usd("1.49")));
        assert_eq!(est_total(q("0.333"), Some(usd("0.03"))), Some(usd("0.01")));
        assert_eq!(est_total(q("2"), None), None);
        let jpy = Currency::from_code("JPY").unwrap();
        let yen = Money::parse("105", jpy).unwrap();
        assert_eq!(est_total(q("0.5"), Some(yen)).unwrap().to_string(), "53");
    }

    #[test]
    fn new_items_default_to_one_and_check_fields() {
        let body: NewShoppingItem = serde_json::from_str(r#"{"name": "  Eggs "}"#).unwrap();
        let f = body.validate(Currency::USD).unwrap();
        assert_eq!((f.name.as_str(), f.qty), ("Eggs", one()));
        for (json, field) in [
            (r#"{"name": " "}"#, "name"),
            (r#"{"name": "x", "qty": 0}"#, "qty"),
            (
                r#"{"name": "x", "est_unit_cost": "0.001"}"#,
                "est_unit_cost",
            ),
            (
                r#"{"name": "x", "unit": "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789x"}"#,
                "unit",
            ),
            (
                r#"{"name": "x", "qty": "1000000000", "est_unit_cost": "1000000000"}"#,
                "est_unit_cost",
            ),
        ] {
            let body: NewShoppingItem = serde_json::from_str(json).unwrap();
            let err = body.validate(Currency::USD).unwrap_err();
            assert_eq!(err.errors[0].field, field, "{json}");
        }
    }

    #[test]
    fn quick_add_is_one_unit_at_the_total() {
        let body: QuickAdd = serde_json::from_str(r#"{"name": "milk", "est_total": 4.5}"#).unwrap();
        let f = body.validate(Currency::USD).unwrap();
        assert_eq!(f.qty, one());
        assert_eq!(f.est_total(), Some(usd("4.50")));
        let body: QuickAdd = serde_json::from_str(r#"{"name": "m", "est_total": "-1"}"#).unwrap();
        assert_eq!(
            body.validate(Currency::USD).unwrap_err().errors[0].field,
            "est_total"
        );
    }

    #[test]
    fn patches_keep_clear_and_refuse_nulls() {
        let mut current = fields("Milk");
        current.unit = Some("l".into());
        let patch: ShoppingPatch =
            serde_json::from_str(r#"{"unit": null, "qty": "2", "est_unit_cost": 1.25}"#).unwrap();
        let next = patch.apply(current.clone(), Currency::USD).unwrap();
        assert_eq!(next.unit, None);
        assert_eq!(next.est_total(), Some(usd("2.50")));
        assert_eq!(next.name, "Milk");
        for json in [r#"{"name": null}"#, r#"{"qty": null}"#, r#"{"qty": 0}"#] {
            let patch: ShoppingPatch = serde_json::from_str(json).unwrap();
            assert!(
                patch.apply(current.clone(), Currency::USD).is_err(),
                "{json}"
            );
        }
    }

    #[test]
    fn open_keys_match_by_normalised_name_inventory_item_or_need() {
        let mut open = OpenKeys::default();
        let mut milk = NewShopping::new(fields("  Oat   MILK "), Source::Needs);
        milk.schedule_event_id = Some("e1".into());
        milk.need_date = NaiveDate::from_ymd_opt(2026, 11, 28);
        open.add(&milk);
        assert!(open.covers(&NewShopping::new(fields("oat milk"), Source::Preset)));
        assert!(!open.covers(&NewShopping::new(fields("oat milks"), Source::Preset)));
        let mut same_need = NewShopping::new(fields("Something else"), Source::Needs);
        same_need.schedule_event_id = Some("e1".into());
        same_need.need_date = NaiveDate::from_ymd_opt(2026, 11, 28);
        assert!(open.covers(&same_need));
        same_need.need_date = NaiveDate::from_ymd_opt(2026, 12, 5);
        assert!(!open.covers(&same_need));
        let mut linked = fields("Rice");
        linked.inv_id = Some("inv-1".into());
        open.add(&NewShopping::new(linked, Source::Inventory));
        let mut renamed = fields("Basmati");
        renamed.inv_id = Some("inv-1".into());
        assert!(open.covers(&NewShopping::new(renamed, Source::Inventory)));
    }
}
