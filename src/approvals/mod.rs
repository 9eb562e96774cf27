//! The approvals queue [P-APPROVALS-1]: requests for a person's yes, and the decisions.

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
        .routes(routes!(handlers::create_approval, handlers::list_approvals))
        .routes(routes!(handlers::get_approval))
        .routes(routes!(handlers::decide_approval))
}
