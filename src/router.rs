//! The one route table. Routes are registered through utoipa so `/openapi.json` cannot drift
//! from what is served.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::app::App;
use crate::error::{ApiError, PROBLEM_CONTENT_TYPE};
use crate::extract::authenticate;
use crate::idempotency::idempotency;
use crate::{
    approvals, bills, budget, cone, forecast, heimdall, household, inventory, ledger, openapi, ops,
    ops_board, receipts, reminders, schedule, scheduler, shopping, web, webhooks,
};

/// The `/core` API: authenticated, household-scoped, idempotent POSTs.
fn core_routes(app: &Arc<App>) -> OpenApiRouter<Arc<App>> {
    OpenApiRouter::new()
        .merge(household::routes())
        .merge(inventory::routes())
        .merge(forecast::routes())
        .merge(schedule::routes())
        .merge(shopping::routes())
        .merge(approvals::routes())
        .merge(cone::routes())
        .merge(heimdall::routes())
        .merge(scheduler::routes())
        .merge(ledger::routes())
        .merge(budget::routes())
        .merge(bills::routes())
        .merge(receipts::routes())
        .merge(reminders::routes())
        .merge(ops_board::routes())
        .merge(webhooks::routes())
        // Outermost last: authenticate, then idempotency, then the handler.
        .route_layer(middleware::from_fn_with_state(app.clone(), idempotency))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate))
}

/// The OpenAPI document and the routes it describes.
pub fn api(app: &Arc<App>) -> (Router<Arc<App>>, OpenApi) {
    let (router, api) = OpenApiRouter::with_openapi(openapi::base())
        .merge(ops::routes())
        .merge(core_routes(app))
        .split_for_parts();
    (router, openapi::finish(api))
}

/// The complete HTTP service.
pub fn build(app: Arc<App>) -> Router {
    // Install the recorder before the first request is counted.
    ops::metrics_handle();
    let (router, api) = api(&app);
    router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", api))
        // The web pages: HTML for people, not part of the JSON API or its document.
        .merge(web::routes())
        .fallback(|req: Request| async move {
            if web::wants_html(&req) {
                web::error::not_found()
            } else {
                ApiError::not_found("route").into_response()
            }
        })
        .route_layer(middleware::from_fn(record_metrics))
        .layer(TraceLayer::new_for_http())
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::internal("a request handler panicked").into_response()
        }))
        .layer(middleware::map_response(problem_for_bare_errors))
        .with_state(app)
}

/// Errors made outside our handlers (405 from the router, 413/408 from layers …) arrive with
/// plain or empty bodies; give every error the problem+json shape.
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // Problems, and the error pages of the web pages, already say what went wrong.
    let is_explained = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes())
                || v.as_bytes().starts_with(b"text/html")
        });
    if is_explained {
        return response;
    }
    let mut replacement = ApiError::from_status(status).into_response();
    if let Some(allow) = response.headers().get(header::ALLOW) {
        replacement
            .headers_mut()
            .insert(header::ALLOW, allow.clone());
    }
    replacement
}

/// Request count and latency per route, for `/metrics`.
async fn record_metrics(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status)
    .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
