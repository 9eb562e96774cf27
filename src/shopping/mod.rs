//! Shopping: the list, quick add, the low-stock and needs generators, presets and cost.
//! Marking items bought and spend approvals build on this module (`store::lock_item`,
//! `approval_id`, `actual_total`, `bought_at`, `receipt_id`).

pub mod actions;
pub mod cost;
pub mod handlers;
pub mod model;
pub mod preset_store;
pub mod presets;
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
        .routes(routes!(handlers::get_cost))
        .routes(routes!(actions::quick_add))
        .routes(routes!(actions::generate_from_inventory))
        .routes(routes!(actions::generate_from_needs))
        .routes(routes!(actions::create_preset, actions::list_presets))
        .routes(routes!(actions::get_preset, actions::delete_preset))
        .routes(routes!(actions::apply_preset))
}
