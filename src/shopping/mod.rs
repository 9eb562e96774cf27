//! Shopping: the list, quick add, the low-stock and needs generators, presets and cost.
//! Buying (the big-spend gate, receipts, restock) and spend approvals are in `purchase`.

pub mod actions;
pub mod cost;
pub mod handlers;
pub mod model;
pub mod preset_store;
pub mod presets;
pub mod purchase;
pub mod purchase_handlers;
pub mod service;
pub mod store;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(handlers::create_item, handlers::list_items))
        .routes(routes!(
            handlers::get_item,
            handlers::patch_item,
            handlers::delete_item
        ))
        .routes(routes!(handlers::cancel_item))
        .routes(routes!(purchase_handlers::mark_bought))
        .routes(routes!(purchase_handlers::request_approvals))
        .routes(routes!(handlers::get_cost))
        .routes(routes!(actions::quick_add))
        .routes(routes!(actions::generate_from_inventory))
        .routes(routes!(actions::generate_from_needs))
        .routes(routes!(actions::create_preset, actions::list_presets))
        .routes(routes!(actions::get_preset, actions::delete_preset))
        .routes(routes!(actions::apply_preset))
}
