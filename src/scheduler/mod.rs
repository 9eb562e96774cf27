//! The scheduler [P-NEEDS2SHOP-2, P-SCHED-6]: the daily tick that runs the household's
//! automations through Heimdall, its timer, and its status.

pub mod handlers;
pub mod model;
pub mod service;
pub mod store;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(handlers::tick))
        .routes(routes!(handlers::status))
}
