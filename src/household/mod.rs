//! Households, members, API tokens and household settings.

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
        .routes(routes!(handlers::get_me))
        .routes(routes!(handlers::list_members, handlers::create_member))
        .routes(routes!(handlers::get_settings, handlers::patch_settings))
}
