//! Health, readiness, metrics, the OpenAPI document and the docs page.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(
    health_and_readiness,
    metrics_count_requests_per_route,
    openapi_documents_every_route,
    openapi_states_the_servers_rules,
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

/// A few of the rules the server enforces, as the document states them (the API fuzzer checks
/// them all; this keeps the shapes from drifting between fuzzing runs).
async fn openapi_states_the_servers_rules(app: TestApp) {
    let doc = app.anonymous().get("/openapi.json").await;
    let doc = doc.expect(200);
    let schemas = &doc["components"]["schemas"];
    let params = doc["paths"]["/core/inventory"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = |name: &str| {
        params
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["schema"].clone())
            .unwrap()
    };
    assert_eq!(
        (
            param("limit")["minimum"].clone(),
            param("limit")["maximum"].clone()
        ),
        (json!(1), json!(500))
    );
    assert!(param("cursor")["pattern"].is_string());
    // Names: not blank, at most 200 characters.
    assert_eq!(
        schemas["NewItem"]["properties"]["name"]["$ref"],
        "#/components/schemas/NonBlank200"
    );
    assert_eq!(schemas["NonBlank200"]["maxLength"], 200);
    assert!(schemas["NonBlank200"]["pattern"].is_string());
    // Amounts: a decimal string or a number on the cent grid, more than 0 where required.
    let positive = &schemas["PositiveMoneyInput"]["oneOf"];
    assert!(positive[0]["pattern"].is_string());
    assert_eq!(positive[1]["exclusiveMinimum"], 0);
    assert_eq!(positive[1]["multipleOf"], 0.01);
    // cone/decide: a target is both fields or neither.
    assert_eq!(
        schemas["DecideRequest"]["allOf"][1]["oneOf"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Heimdall: one body shape per action, each naming its parameters.
    let shapes = schemas["DoBody"]["oneOf"].as_array().unwrap();
    assert_eq!(shapes.len(), 13);
    let bought = shapes
        .iter()
        .find(|s| s["properties"]["action"]["enum"] == json!(["shopping.bought"]))
        .unwrap();
    assert_eq!(
        bought["properties"]["params"]["$ref"],
        "#/components/schemas/BoughtParams"
    );
    let required = bought["required"].as_array().unwrap();
    assert!(required.contains(&json!("params")) && required.contains(&json!("mode")));
}
