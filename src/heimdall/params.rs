//! Typed parameters of every action. They use the direct routes' names: `{id, …body fields}`
//! for actions on one object, the body for creations, the query parameters for generators.

use serde::Deserialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{Day, DecimalInput, WholeNumber};
use crate::receipts::model::NewReceiptBody;
use crate::shopping::model::QuickAdd;

/// Actions without parameters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// `shopping.generate_from_needs`: like the route's query parameters.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedsParams {
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 365)]
    pub within_days: Option<WholeNumber>,
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<WholeNumber>,
}

/// `shopping.request_approvals`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestApprovalsParams {
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub threshold: Option<DecimalInput>,
}

/// `budget.impact`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpactParams {
    #[schema(value_type = crate::openapi::schemas::PositiveMoneyInput)]
    pub amount: DecimalInput,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Option<String>,
}

/// `forecast.rollup`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollupParams {
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 500)]
    pub limit: Option<WholeNumber>,
    #[schema(value_type = Option<u32>, minimum = 1, maximum = 365)]
    pub window_days: Option<WholeNumber>,
}

/// `shopping.bought`: the item and the route's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoughtParams {
    pub id: String,
    #[schema(value_type = Option<crate::openapi::schemas::PositiveMoneyInput>)]
    pub actual_total: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::Text200>)]
    pub vendor: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub payment_method: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>)]
    pub category: Option<String>,
    pub bought_on: Option<Day>,
}

/// `bills.paid`: the bill and the route's body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaidParams {
    pub id: String,
    pub paid_on: Option<Day>,
    #[schema(value_type = Option<crate::openapi::schemas::PositiveMoneyInput>)]
    pub amount: Option<DecimalInput>,
    pub due_on: Option<Day>,
}

/// `inventory.out_of`: the item and the route's optional body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutOfParams {
    pub id: String,
    pub used_on: Option<Day>,
    #[schema(value_type = Option<crate::openapi::schemas::Text2000>)]
    pub notes: Option<String>,
}

/// The schema of an action's parameters, by action name.
pub fn schema_of(action: &str) -> Option<(String, RefOr<Schema>)> {
    let (name, schema) = match action {
        "shopping.generate_from_inventory"
        | "bills.push_reminders"
        | "shopping.push_reminders"
        | "schedule.push_reminders" => (NoParams::name(), NoParams::schema()),
        "shopping.generate_from_needs" => (NeedsParams::name(), NeedsParams::schema()),
        "shopping.request_approvals" => (
            RequestApprovalsParams::name(),
            RequestApprovalsParams::schema(),
        ),
        "budget.impact" => (ImpactParams::name(), ImpactParams::schema()),
        "forecast.rollup" => (RollupParams::name(), RollupParams::schema()),
        "shopping.bought" => (BoughtParams::name(), BoughtParams::schema()),
        "bills.paid" => (PaidParams::name(), PaidParams::schema()),
        "receipts.create" => (NewReceiptBody::name(), NewReceiptBody::schema()),
        "inventory.out_of" => (OutOfParams::name(), OutOfParams::schema()),
        "shopping.quick_add" => (QuickAdd::name(), QuickAdd::schema()),
        _ => return None,
    };
    Some((name.into_owned(), schema))
}

/// The body of `POST /core/heimdall/do` (`with_mode`) or `/plan`: one shape per action, so the
/// document says which parameters each action takes. Parameters that are all optional may be
/// left out or `null`.
pub fn request_schema(with_mode: bool, description: &str) -> RefOr<Schema> {
    use crate::openapi::schemas::Text500;
    use utoipa::openapi::Ref;
    use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
    let mut shapes = OneOfBuilder::new().description(Some(description));
    for action in crate::heimdall::registry::ACTIONS {
        let Some((name, schema)) = schema_of(action.name) else {
            continue;
        };
        let needs_params = matches!(&schema, RefOr::T(Schema::Object(o)) if !o.required.is_empty());
        let params: RefOr<Schema> = if needs_params {
            Ref::from_schema_name(name).into()
        } else {
            OneOfBuilder::new()
                .item(Ref::from_schema_name(name))
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .into()
        };
        let mut shape = ObjectBuilder::new()
            .property(
                "action",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some([action.name])),
            )
            .required("action")
            .property("params", params)
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        if needs_params {
            shape = shape.required("params");
        }
        if with_mode {
            shape = shape
                .property(
                    "mode",
                    Ref::from_schema_name(crate::cone::model::Mode::name()),
                )
                .required("mode")
                .property(
                    "reason",
                    OneOfBuilder::new()
                        .item(Text500::schema())
                        .item(ObjectBuilder::new().schema_type(Type::Null))
                        .description(Some("Why, for the log.")),
                );
        }
        shapes = shapes.item(shape);
    }
    shapes.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heimdall::registry::ACTIONS;

    #[test]
    fn every_action_has_a_parameter_schema() {
        for action in ACTIONS {
            assert!(schema_of(action.name).is_some(), "{}", action.name);
        }
    }
}
