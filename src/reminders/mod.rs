//! Reminders and the inbox (SPEC §12): bills coming due, a daily digest of the shopping list,
//! upcoming schedule occurrences and pending approvals — each said once.

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
        .routes(routes!(handlers::push_bill_reminders))
        .routes(routes!(handlers::push_shopping_reminders))
        .routes(routes!(handlers::push_schedule_reminders))
        .routes(routes!(handlers::list_inbox))
        .routes(routes!(handlers::dismiss_reminder))
}
