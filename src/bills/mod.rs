//! Bills: one-off and recurring (RFC 5545 RRULE), paying a period into the ledger, overdue
//! and due-soon lists.

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
        .routes(routes!(handlers::create_bill, handlers::list_bills))
        .routes(routes!(
            handlers::get_bill,
            handlers::patch_bill,
            handlers::delete_bill
        ))
        .routes(routes!(handlers::pay_bill))
}
