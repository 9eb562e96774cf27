//! Schedule: events (needs, chores, appointments), RRULE recurrence and occurrences.

pub mod handlers;
pub mod model;
pub mod occurrence;
pub mod service;
pub mod store;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(handlers::create_event, handlers::list_events))
        .routes(routes!(handlers::list_occurrences))
        .routes(routes!(
            handlers::get_event,
            handlers::patch_event,
            handlers::delete_event
        ))
}
