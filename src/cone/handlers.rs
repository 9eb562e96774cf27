//! HTTP handlers for the cone: the policy, and decisions on demand.

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::model::{Mode, PolicyDoc, PolicyInput, Verdict};
use super::service::{self, Ask};
use crate::domain::{DecimalInput, text};
use crate::error::{ApiError, FieldError};
use crate::extract::{Ctx, IfMatch, Json};
use crate::heimdall::registry;
use crate::reply::Reply;

/// The policy with its version.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    #[serde(flatten)]
    pub policy: PolicyDoc,
    pub version: i64,
}

/// Read the household's policy (the default one until an owner sets it).
#[utoipa::path(get, path = "/core/cone/policy", tag = "cone",
    responses((status = 200, body = PolicyView, headers(("ETag" = String)))))]
pub async fn get_policy(ctx: Ctx) -> Result<Reply, ApiError> {
    let mut conn = ctx.app.db.read().await?;
    let (policy, version) = service::load_policy(&mut conn, ctx.household_id()).await?;
    let policy =
        policy.map_err(|why| ApiError::internal(format!("stored policy does not parse: {why}")))?;
    Ok(Reply::ok(&PolicyView { policy, version })?.versioned(version))
}

/// Replace the household's policy (owner only). Invalid → 400 and the old policy stays.
#[utoipa::path(put, path = "/core/cone/policy", tag = "cone", request_body = PolicyInput,
    params(("If-Match" = Option<String>, Header, description = "ETag from a previous read")),
    responses((status = 200, body = PolicyView, headers(("ETag" = String)))))]
pub async fn put_policy(
    ctx: Ctx,
    if_match: Option<IfMatch>,
    Json(input): Json<PolicyInput>,
) -> Result<Response, ApiError> {
    ctx.caller.require_owner("change the policy")?;
    let policy = input
        .validate(ctx.caller.settings.currency)
        .map_err(ApiError::validation)?;
    let mut tx = ctx.begin().await?;
    let (_, version) = service::load_policy(tx.conn(), ctx.household_id()).await?;
    IfMatch::check(if_match, version)?;
    if !service::save_policy(tx.conn(), ctx.household_id(), &policy, version, ctx.now()).await? {
        return Err(ApiError::precondition_failed());
    }
    let view = PolicyView {
        policy,
        version: version + 1,
    };
    tx.finish(Reply::json(StatusCode::OK, &view)?.versioned(view.version))
        .await
}

/// `POST /core/cone/decide`. `target_type` and `target_id` come together or not at all, so the
/// schema is written out by hand (below) to say so.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideRequest {
    pub action: String,
    pub mode: Mode,
    /// The amount at stake, in the household currency.
    pub amount: Option<DecimalInput>,
    pub category: Option<String>,
    /// Give both to let an approved approval for this target count.
    pub target_type: Option<String>,
    pub target_id: Option<String>,
}

impl utoipa::PartialSchema for DecideRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use crate::openapi::schemas::{ActionName, MoneyInput, NonBlank100, NonBlank200, Text100};
        use utoipa::ToSchema;
        use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Type};
        use utoipa::openapi::{Ref, RefOr};
        let null = || ObjectBuilder::new().schema_type(Type::Null);
        let nullable = |schema: RefOr<utoipa::openapi::schema::Schema>| {
            OneOfBuilder::new().item(schema).item(null())
        };
        let without_target = ObjectBuilder::new()
            .property("target_type", null())
            .property("target_id", null());
        let with_target = ObjectBuilder::new()
            .property("target_type", NonBlank100::schema())
            .property("target_id", NonBlank200::schema())
            .required("target_type")
            .required("target_id");
        let fields = ObjectBuilder::new()
            .property("action", Ref::from_schema_name(ActionName::name()))
            .required("action")
            .property("mode", Ref::from_schema_name(Mode::name()))
            .required("mode")
            .property(
                "amount",
                nullable(Ref::from_schema_name(MoneyInput::name()).into())
                    .description(Some("The amount at stake, in the household currency.")),
            )
            .property("category", nullable(Text100::schema()))
            .property("target_type", nullable(NonBlank100::schema()))
            .property("target_id", nullable(NonBlank200::schema()))
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        AllOfBuilder::new()
            .description(Some(
                "What to ask the cone. Give `target_type` and `target_id` together (to let an \
                 approved approval for that target count) or neither.",
            ))
            .item(fields)
            .item(OneOfBuilder::new().item(without_target).item(with_target))
            .into()
    }
}

impl utoipa::ToSchema for DecideRequest {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use crate::openapi::schemas::{ActionName, MoneyInput};
        use utoipa::PartialSchema;
        schemas.push((ActionName::name().into(), ActionName::schema()));
        schemas.push((MoneyInput::name().into(), MoneyInput::schema()));
        schemas.push((Mode::name().into(), Mode::schema()));
    }
}

/// What would the cone say if the caller asked to do this?
#[utoipa::path(post, path = "/core/cone/decide", tag = "cone", request_body = DecideRequest,
    responses((status = 200, body = Verdict)))]
pub async fn decide(ctx: Ctx, Json(body): Json<DecideRequest>) -> Result<Reply, ApiError> {
    let action = registry::find(&body.action)
        .ok_or_else(|| ApiError::from(FieldError::new("action", "unknown action")))?;
    let amount = body
        .amount
        .map(|a| a.money("amount", ctx.caller.settings.currency))
        .transpose()?;
    let category = text::optional("category", body.category.as_deref(), 100)?;
    let target_type = body
        .target_type
        .as_deref()
        .map(|t| text::required("target_type", t, 100))
        .transpose()?;
    let target_id = body
        .target_id
        .as_deref()
        .map(|id| text::required("target_id", id, 200))
        .transpose()?;
    let target = match (&target_type, &target_id) {
        (Some(t), Some(id)) => Some((t.as_str(), id.as_str())),
        (None, None) => None,
        (Some(_), None) => {
            return Err(FieldError::new("target_id", "is required with target_type").into());
        }
        (None, Some(_)) => {
            return Err(FieldError::new("target_type", "is required with target_id").into());
        }
    };
    let mut conn = ctx.app.db.read().await?;
    let verdict = service::decide(
        &mut conn,
        ctx.household_id(),
        &ctx.caller.settings,
        ctx.caller.role,
        &Ask {
            action,
            mode: body.mode,
            amount,
            category: category.as_deref(),
            target,
        },
    )
    .await?;
    Reply::ok(&verdict)
}
