//! Usage log and run-out forecasts [P-FORECAST-1..3].

pub mod cache;
pub mod handlers;
pub mod model;
pub mod store;
pub mod writer;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(handlers::log_usage, handlers::list_usage))
        .routes(routes!(handlers::item_forecast))
        .routes(routes!(handlers::rollup))
}
