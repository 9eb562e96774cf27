//! The application object shared by every request, and the server loop.

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::db::Db;
use crate::domain::Clock;
use crate::extract::AuthCache;
use crate::forecast::cache::ForecastCache;
use crate::forecast::writer::UsageWriter;
use crate::web::WebConfig;

/// Everything a request may need. One per server; no globals.
pub struct App {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    /// Group-commit writer for usage logging.
    pub usage_writer: UsageWriter,
    /// In-memory forecast state, kept in step with the database.
    pub forecast: ForecastCache,
    /// Recently resolved API tokens.
    pub auth_cache: AuthCache,
    /// Settings of the web pages (public URL).
    pub web: WebConfig,
    /// Sends webhook deliveries (one HTTP client per server).
    pub webhooks: crate::webhooks::Sender,
}

impl App {
    /// Builds the application; must run inside a Tokio runtime (it starts the writer task).
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Arc<App> {
        App::with_web(db, clock, WebConfig::default())
    }

    /// [`App::new`] with settings for the web pages.
    pub fn with_web(db: Db, clock: Arc<dyn Clock>, web: WebConfig) -> Arc<App> {
        Arc::new(App {
            usage_writer: UsageWriter::spawn(db.clone()),
            db,
            clock,
            forecast: ForecastCache::new(),
            auth_cache: AuthCache::default(),
            web,
            webhooks: crate::webhooks::Sender::default(),
        })
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
