//! The receipt vault: receipts with best-effort ledger posting, filters, and one attachment
//! per receipt whose bytes are kept in the database.

pub mod attachment;
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
        .routes(routes!(handlers::create_receipt, handlers::list_receipts))
        .routes(routes!(handlers::get_receipt))
        .routes(routes!(handlers::post_receipt))
        .routes(routes!(handlers::put_attachment, handlers::get_attachment))
}
