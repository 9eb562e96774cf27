//! Inventory: items, locations, and the stock actions `use`, `out_of` and `restock`.

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
        .routes(routes!(handlers::create_item, handlers::list_items))
        .routes(routes!(handlers::create_location, handlers::list_locations))
        .routes(routes!(
            handlers::get_item,
            handlers::patch_item,
            handlers::delete_item
        ))
        .routes(routes!(handlers::use_item))
        .routes(routes!(handlers::out_of_item))
        .routes(routes!(handlers::restock_item))
}
