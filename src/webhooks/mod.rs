//! Webhooks (SPEC §12): signed JSON POSTs of new reminders and approvals to URLs an owner
//! registered, written to an outbox in the same transaction as the event and sent by a
//! background worker with retries — at least once, never lost across restarts.

pub mod handlers;
pub mod model;
pub mod sender;
pub mod service;
pub mod store;

use std::sync::Arc;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::app::App;

pub use model::{APPROVAL_REQUESTED, EVENTS, REMINDER_CREATED};
pub use sender::Sender;
pub use service::{deliver_due, enqueue, spawn_worker};

pub fn routes() -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .routes(routes!(handlers::create_webhook, handlers::list_webhooks))
        .routes(routes!(handlers::get_webhook, handlers::delete_webhook))
        .routes(routes!(handlers::list_deliveries))
}
