//! Idempotency-Key replays and conflicts; If-Match preconditions.

use reqwest::Method;
use serde_json::json;
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(
    same_key_same_body_replays,
    same_key_other_body_conflicts,
    keys_are_scoped_per_member_and_path,
    concurrent_same_key_runs_once,
    keys_expire_after_a_day,
    stale_if_match_is_412_and_changes_nothing,
);

async fn same_key_same_body_replays(app: TestApp) {
    let owner = app.owner();
    let send = || {
        owner
            .request(Method::POST, "/core/inventory")
            .header("idempotency-key", "k-1")
            .json(&json!({"name": "Flour", "qty": 1}))
    };
    let first = send().send().await;
    first.expect(201);
    let second = send().send().await;
    second.expect(201);
    assert_eq!(first.body, second.body);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.header("etag"), first.header("etag"));
    assert_eq!(app.count("inventory_items", "1 = 1").await, 1);

    // Actions replay too and do not act again.
    let id = first.body["id"].as_str().unwrap();
    let restock = || {
        owner
            .request(Method::POST, &format!("/core/inventory/{id}/restock"))
            .header("idempotency-key", "r-1")
            .json(&json!({"qty": 2}))
    };
    let a = restock().send().await;
    let b = restock().send().await;
    assert_eq!(a.expect(200)["qty"], "3");
    assert_eq!(b.expect(200)["qty"], "3");
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["qty"],
        "3"
    );

    // Query-string requests are fingerprinted by their query.
    let q = |n: u32| {
        owner
            .request(Method::POST, &format!("/core/inventory/{id}/use"))
            .header("idempotency-key", "u-1")
            .json(&json!({"qty": n}))
    };
    q(1).send().await.expect(200);
    q(1).send().await.expect(200);
    assert_eq!(app.count("usage_events", "1 = 1").await, 1);
}

async fn same_key_other_body_conflicts(app: TestApp) {
    let owner = app.owner();
    owner
        .request(Method::POST, "/core/inventory")
        .header("idempotency-key", "k-2")
        .json(&json!({"name": "Sugar"}))
        .send()
        .await
        .expect(201);
    let resp = owner
        .request(Method::POST, "/core/inventory")
        .header("idempotency-key", "k-2")
        .json(&json!({"name": "Salt"}))
        .send()
        .await;
    resp.expect_problem(409);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 1);
    assert_eq!(app.count("inventory_items", "name = 'Salt'").await, 0);
    // A malformed key is refused.
    let resp = owner
        .request(Method::POST, "/core/inventory")
        .header("idempotency-key", "")
        .json(&json!({"name": "Salt"}))
        .send()
        .await;
    assert_eq!(resp.expect_problem(400), ["Idempotency-Key"]);
}

async fn keys_are_scoped_per_member_and_path(app: TestApp) {
    let owner = app.owner();
    let mia = app.member("mia", Role::Member).await;
    for client in [&owner, &mia] {
        client
            .request(Method::POST, "/core/inventory")
            .header("idempotency-key", "shared")
            .json(&json!({"name": "Eggs"}))
            .send()
            .await
            .expect(201);
    }
    assert_eq!(app.count("inventory_items", "1 = 1").await, 2);
    // Same member and key on another path is a different request.
    owner
        .request(Method::POST, "/core/inventory/locations")
        .header("idempotency-key", "shared")
        .json(&json!({"name": "Fridge"}))
        .send()
        .await
        .expect(201);
    assert_eq!(app.count("locations", "1 = 1").await, 1);
}

async fn concurrent_same_key_runs_once(app: TestApp) {
    let owner = app.owner();
    let item = owner.create_item(json!({"name": "Oil", "qty": 0})).await;
    let id = item["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let owner = owner.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            owner
                .request(Method::POST, &format!("/core/inventory/{id}/restock"))
                .header("idempotency-key", "race")
                .json(&json!({"qty": 1}))
                .send()
                .await
        }));
    }
    let mut bodies = Vec::new();
    for t in tasks {
        let resp = t.await.unwrap();
        assert!(resp.status == 200 || resp.status == 409, "{}", resp.text);
        if resp.status == 200 {
            bodies.push(resp.body);
        }
    }
    assert!(!bodies.is_empty());
    for body in &bodies {
        assert_eq!(body["qty"], "1");
    }
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["qty"],
        "1"
    );
}

async fn keys_expire_after_a_day(app: TestApp) {
    let owner = app.owner();
    let send = || {
        owner
            .request(Method::POST, "/core/inventory")
            .header("idempotency-key", "daily")
            .json(&json!({"name": "Bread"}))
    };
    send().send().await.expect(201);
    app.clock.advance(chrono::Duration::hours(23));
    send().send().await.expect(201);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 1);
    app.clock.advance(chrono::Duration::hours(2));
    send().send().await.expect(201);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 2);
}

async fn stale_if_match_is_412_and_changes_nothing(app: TestApp) {
    let owner = app.owner();
    let created = owner
        .post("/core/inventory", &json!({"name": "Tea", "qty": 1}))
        .await;
    assert_eq!(created.expect(201)["version"], 1);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let id = created.body["id"].as_str().unwrap();
    let path = format!("/core/inventory/{id}");

    let ok = owner
        .request(Method::PATCH, &path)
        .header("if-match", "\"1\"")
        .json(&json!({"name": "Green tea"}))
        .send()
        .await;
    assert_eq!(ok.expect(200)["version"], 2);
    assert_eq!(ok.header("etag"), Some("\"2\""));

    for stale in ["\"1\"", "\"99\"", "garbage"] {
        let resp = owner
            .request(Method::PATCH, &path)
            .header("if-match", stale)
            .json(&json!({"name": "Black tea", "qty": 5}))
            .send()
            .await;
        resp.expect_problem(412);
    }
    let resp = owner
        .request(Method::DELETE, &path)
        .header("if-match", "\"1\"")
        .send()
        .await;
    resp.expect_problem(412);
    let now = owner.get(&path).await;
    assert_eq!(now.body["name"], "Green tea");
    assert_eq!(now.body["qty"], "1");
    assert_eq!(now.body["version"], 2);
    assert_eq!(now.header("etag"), Some("\"2\""));

    // Settings too.
    let resp = owner
        .request(Method::PATCH, "/core/household/settings")
        .header("if-match", "\"7\"")
        .json(&json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await;
    resp.expect_problem(412);
    assert_eq!(
        owner.get("/core/household/settings").await.body["timezone"],
        "UTC"
    );
    let resp = owner
        .request(Method::PATCH, "/core/household/settings")
        .header("if-match", "\"1\"")
        .json(&json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await;
    assert_eq!(resp.expect(200)["version"], 2);

    // With the right version, delete works.
    let resp = owner
        .request(Method::DELETE, &path)
        .header("if-match", "\"2\"")
        .send()
        .await;
    resp.expect(204);
    owner.get(&path).await.expect_problem(404);
}
