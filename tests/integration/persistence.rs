//! A 2xx is durable: stop the server, start it on the same data, everything is there.

use serde_json::json;
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(data_survives_a_restart);

async fn data_survives_a_restart(mut app: TestApp) {
    let owner = app.owner();
    let loc = owner
        .post("/core/inventory/locations", &json!({"name": "Cellar"}))
        .await
        .expect(201)
        .clone();
    let item = owner
        .create_item(
            json!({"name": "Wine", "qty": 6, "location_id": loc["id"], "est_unit_cost": "9.90"}),
        )
        .await;
    let id = item["id"].as_str().unwrap().to_string();
    owner
        .post(&format!("/core/inventory/{id}/use"), &json!({"qty": 2}))
        .await
        .expect(200);
    owner
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Europe/Berlin", "big_spend_threshold": "150"}),
        )
        .await
        .expect(200);
    let mia = app.member("mia", Role::Member).await;
    let mia_token = mia.token.clone().unwrap();
    owner
        .request(reqwest::Method::POST, "/core/inventory")
        .header("idempotency-key", "persisted")
        .json(&json!({"name": "Cheese"}))
        .send()
        .await
        .expect(201);
    let before = owner
        .get(&format!("/core/inventory/{id}"))
        .await
        .body
        .clone();

    app.restart().await;

    let owner = app.owner();
    let after = owner.get(&format!("/core/inventory/{id}")).await;
    assert_eq!(after.expect(200), &before);
    assert_eq!(after.body["qty"], "4");
    assert_eq!(
        owner.get("/core/inventory/locations").await.body["items"],
        json!([loc])
    );
    let settings = owner.get("/core/household/settings").await;
    assert_eq!(settings.body["timezone"], "Europe/Berlin");
    assert_eq!(settings.body["big_spend_threshold"], "150.00");
    assert_eq!(app.count("usage_events", "1 = 1").await, 1);
    // Tokens still work; idempotency keys are still remembered.
    app.client(Some(&mia_token))
        .get("/core/me")
        .await
        .expect(200);
    let replay = owner
        .request(reqwest::Method::POST, "/core/inventory")
        .header("idempotency-key", "persisted")
        .json(&json!({"name": "Cheese"}))
        .send()
        .await;
    assert_eq!(replay.expect(201)["name"], "Cheese");
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("inventory_items", "name = 'Cheese'").await, 1);
}
