//! The ledger: append-only income and expense entries, and the cash balance.
//!
//! Nothing rewrites the books: there is no update or delete route, and the database itself
//! refuses `UPDATE` and `DELETE` on `ledger_entries` (triggers in migration 0004).

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
        .routes(routes!(handlers::create_entry, handlers::list_entries))
        .routes(routes!(handlers::get_balance))
        .routes(routes!(handlers::get_entry))
}
