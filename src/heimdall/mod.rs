//! Heimdall [P-HEIMDALLDO-1..3, P-ACTIONS-LOG-1]: the one dispatcher through which automations
//! act. It knows every action (`registry`), checks the mode, the role and the cone, runs the
//! same service functions as the direct routes (`actions`), and writes every attempt into a
//! hash-chained, append-only log (`log`).

pub mod actions;
pub mod handlers;
pub mod log;
pub mod params;
pub mod registry;
pub mod service;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(handlers::do_action))
        .routes(routes!(handlers::plan_action))
        .routes(routes!(handlers::list_actions))
        .routes(routes!(handlers::verify_actions))
        .routes(routes!(handlers::get_registry))
}
