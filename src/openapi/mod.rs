//! The OpenAPI document: generated from the route table, then completed with what every
//! operation shares (bearer auth, problem+json errors).

use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

use crate::error::{PROBLEM_CONTENT_TYPE, Problem};

pub mod schemas;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Valhalla",
        description = "Household operations: inventory, forecasts, shopping, schedule, money, and an audited automation dispatcher. Every `/core` route needs `Authorization: Bearer <token>`. Errors are RFC 9457 `application/problem+json`.",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "ops", description = "Health, readiness and metrics"),
        (name = "household", description = "The caller, members and household settings"),
        (name = "inventory", description = "Items, locations and stock actions"),
        (name = "forecast", description = "Usage log, burn rates and run-out forecasts"),
        (name = "schedule", description = "Events, recurrence and occurrences"),
        (name = "shopping", description = "The shopping list, its generators, presets and cost"),
        (name = "approvals", description = "Requests for a person's yes, and the decisions"),
        (name = "cone", description = "The household's policy for automated actions"),
        (name = "heimdall", description = "The audited dispatcher for automated actions, and its log"),
        (name = "scheduler", description = "The daily tick and its status"),
        (name = "ledger", description = "Append-only income and expense entries, and the cash balance"),
        (name = "budget", description = "Monthly category limits, the month view and the impact of a purchase"),
        (name = "bills", description = "Bills, their recurrence and paying them"),
        (name = "receipts", description = "The receipt vault: receipts, ledger posting and attachments"),
        (name = "inbox", description = "Reminders and pending approvals waiting for someone"),
        (name = "ops_board", description = "The household at a glance"),
        (name = "webhooks", description = "Signed POSTs of new reminders and approvals to registered URLs, and their deliveries"),
    )
)]
struct BaseDoc;

pub fn base() -> OpenApi {
    BaseDoc::openapi()
}

/// The error statuses any operation may answer, with when.
const COMMON_ERRORS: &[(&str, &str)] = &[
    (
        "400",
        "Invalid input: malformed JSON, wrong types, missing or out-of-range fields",
    ),
    ("401", "Missing or unknown bearer token"),
    ("403", "The caller's role may not do this"),
    ("404", "No such object in the caller's household"),
    (
        "409",
        "Conflicts with the current state, or an Idempotency-Key reused with another request",
    ),
    ("412", "If-Match does not match the current version"),
    ("413", "Request body too large"),
    ("415", "Unsupported request content type"),
    ("503", "The database is unavailable; retry later"),
];

/// Adds bearer security and problem+json error responses to every `/core` operation, and
/// the shared schemas to the components.
pub fn finish(mut api: OpenApi) -> OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
    );
    components
        .schemas
        .insert(Problem::name().into_owned(), Problem::schema());
    components.schemas.insert(
        crate::error::FieldError::name().into_owned(),
        crate::error::FieldError::schema(),
    );
    // Each Heimdall action's parameter schema, so `params` of `/core/heimdall/do` is typed.
    for action in crate::heimdall::registry::ACTIONS {
        if let Some((name, schema)) = crate::heimdall::params::schema_of(action.name) {
            components.schemas.entry(name).or_insert(schema);
        }
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let is_core = path.starts_with("/core");
        for op in [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            complete_operation(op, is_core);
        }
    }
    api
}

fn complete_operation(op: &mut Operation, is_core: bool) {
    if is_core {
        op.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
    for (status, description) in COMMON_ERRORS {
        let applies = is_core || matches!(*status, "400" | "404" | "503");
        if !applies {
            continue;
        }
        op.responses
            .responses
            .entry((*status).to_string())
            .or_insert_with(|| RefOr::T(problem_response(description)));
    }
}

fn problem_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            PROBLEM_CONTENT_TYPE,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(Problem::name())))
                .build(),
        )
        .build()
}
