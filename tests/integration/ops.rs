//! Health, readiness, metrics, the OpenAPI document and the docs page.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(
    health_and_readiness,
    metrics_count_requests_per_route,
    openapi_documents_every_route,
    docs_page_is_served,
);

async fn health_and_readiness(app: TestApp) {
    let health = app.anonymous().get("/healthz").await;
    assert_eq!(health.expect(200), &json!({"status": "ok"}));
    let ready = app.anonymous().get("/readyz").await;
    assert_eq!(ready.expect(200), &json!({"status": "ok"}));
}

async fn metrics_count_requests_per_route(app: TestApp) {
    let owner = app.owner();
    let item = owner.create_item(json!({"name": "Salt"})).await;
    owner
        .get(&format!("/core/inventory/{}", item["id"].as_str().unwrap()))
        .await
        .expect(200);
    let metrics = app.anonymous().get("/metrics").await;
    metrics.expect(200);
    assert!(metrics.content_type().starts_with("text/plain"));
    let text = &metrics.text;
    assert!(
        text.lines().any(|l| l.starts_with("http_requests_total")
            && l.contains("route=\"/core/inventory/{id}\"")
            && l.contains("status=\"200\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket")
                && l.contains("route=\"/core/inventory\"")),
        "{text}"
    );
}

async fn openapi_documents_every_route(app: TestApp) {
    let doc = app.anonymous().get("/openapi.json").await;
    let doc = doc.expect(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/healthz", vec!["get"]),
        ("/readyz", vec!["get"]),
        ("/metrics", vec!["get"]),
        ("/core/me", vec!["get"]),
        ("/core/household/settings", vec!["get", "patch"]),
        ("/core/household/members", vec!["get", "post"]),
        ("/core/inventory", vec!["get", "post"]),
        ("/core/inventory/{id}", vec!["get", "patch", "delete"]),
        ("/core/inventory/{id}/use", vec!["post"]),
        ("/core/inventory/{id}/out_of", vec!["post"]),
        ("/core/inventory/{id}/restock", vec!["post"]),
        ("/core/inventory/locations", vec!["get", "post"]),
    ] {
        for method in methods {
            let op = &paths[path][method];
            assert!(op.is_object(), "{method} {path} is documented");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|k| k.starts_with('2')),
                "{method} {path} has a success response"
            );
            if path.starts_with("/core") {
                assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
                for status in ["400", "401", "403", "404"] {
                    let content = &responses[status]["content"]["application/problem+json"];
                    assert_eq!(
                        content["schema"]["$ref"], "#/components/schemas/Problem",
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    for name in ["Problem", "Item", "Settings", "NewItem", "Location"] {
        assert!(schemas[name].is_object(), "schema {name}");
    }
    assert_ne!(schemas["Item"]["properties"]["qty"], Value::Null);
}

async fn docs_page_is_served(app: TestApp) {
    let page = app.anonymous().get("/docs/").await;
    page.expect(200);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text.to_lowercase().contains("swagger"));
}
