//! The application object shared by every request, and the server loop.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::db::Db;
use crate::domain::Clock;

/// Everything a request may need. One per server; no globals.
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

impl App {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Arc<App> {
        Arc::new(App { db, clock })
    }
}

/// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = crate::router::build(app);
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
