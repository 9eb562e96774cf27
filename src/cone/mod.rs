//! The cone [P-HEIMDALLDO-2]: each household's policy for automated actions.

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
        .routes(routes!(handlers::get_policy, handlers::put_policy))
        .routes(routes!(handlers::decide))
}
