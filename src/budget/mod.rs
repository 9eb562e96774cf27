//! Budget: monthly limits per category, the month view, and the impact of a purchase on the
//! cash buffer and the category's budget.

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
        .routes(routes!(handlers::get_month))
        .routes(routes!(handlers::get_impact))
        .routes(routes!(handlers::list_limits))
        .routes(routes!(
            handlers::get_limit,
            handlers::put_limit,
            handlers::delete_limit
        ))
}
