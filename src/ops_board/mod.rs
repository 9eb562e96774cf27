//! The ops board (SPEC §13): the household at a glance, for the API and the web page.

pub mod handlers;
pub mod model;
pub mod service;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new().routes(routes!(handlers::get_ops_board))
}
