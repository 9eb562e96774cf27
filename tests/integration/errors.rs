//! Every kind of bad input is a 4xx problem+json naming the field, and changes nothing.

use serde_json::json;

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(
    malformed_json_is_400,
    wrong_types_and_missing_fields_name_the_field,
    bad_query_strings_name_the_parameter,
    unknown_enum_values_are_400,
    oversized_bodies_are_413,
    wrong_content_type_is_415,
    unknown_routes_and_methods_are_problems,
    out_of_range_values_are_400,
    bodies_are_json_objects,
    whole_numbers_may_carry_a_zero_fraction,
    made_up_cursors_start_a_page_somewhere,
);

async fn malformed_json_is_400(app: TestApp) {
    let owner = app.owner();
    for raw in [
        "{",
        "{\"name\": }",
        "not json",
        "{\"name\":\"a\"} trailing",
        "{\"name\":\"a\",}",
    ] {
        let resp = owner
            .request(reqwest::Method::POST, "/core/inventory")
            .raw("application/json", raw)
            .send()
            .await;
        resp.expect_problem(400);
        assert_eq!(resp.body["type"], "/problems/malformed-request", "{raw}");
    }
    // An empty body where one is required.
    owner
        .request(reqwest::Method::POST, "/core/inventory")
        .raw("application/json", "")
        .send()
        .await
        .expect_problem(400);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 0);
}

async fn wrong_types_and_missing_fields_name_the_field(app: TestApp) {
    let owner = app.owner();
    let cases = [
        (json!({"name": 5}), "name"),
        (json!({}), "name"),
        (json!({"name": "Milk", "qty": "lots"}), "qty"),
        (json!({"name": "Milk", "qty": true}), "qty"),
        (json!({"name": "Milk", "min_qty": [1]}), "min_qty"),
        (
            json!({"name": "Milk", "est_unit_cost": {"x": 1}}),
            "est_unit_cost",
        ),
        (json!({"name": "Milk", "unit": 7}), "unit"),
        (json!({"name": "Milk", "colour": "blue"}), "colour"),
        (json!(["Milk"]), "body"),
    ];
    for (body, field) in cases {
        let resp = owner.post("/core/inventory", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
        assert_eq!(resp.body["type"], "/problems/validation");
    }
    let item = owner.create_item(json!({"name": "Milk", "qty": 2})).await;
    let id = item["id"].as_str().unwrap();
    let resp = owner
        .post(
            &format!("/core/inventory/{id}/use"),
            &json!({"qty": 1, "used_on": "yesterday"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["used_on"]);
    let resp = owner
        .post(&format!("/core/inventory/{id}/use"), &json!({}))
        .await;
    assert_eq!(resp.expect_problem(400), ["qty"]);
    let resp = owner
        .patch(&format!("/core/inventory/{id}"), &json!({"qty": "-1"}))
        .await;
    assert_eq!(resp.expect_problem(400), ["qty"]);
    let resp = owner
        .patch(
            "/core/household/settings",
            &json!({"needs_horizon_days": "soon"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["needs_horizon_days"]);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 1);
    assert_eq!(app.count("usage_events", "1 = 1").await, 0);
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["qty"],
        "2"
    );
}

async fn bad_query_strings_name_the_parameter(app: TestApp) {
    let owner = app.owner();
    for (query, field) in [
        ("limit=abc", "limit"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("low=maybe", "low"),
        ("cursor=%%%", "cursor"),
        ("cursor=abcde", "cursor"),
        ("sort=name", "sort"),
    ] {
        let resp = owner.get(&format!("/core/inventory?{query}")).await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
}

async fn unknown_enum_values_are_400(app: TestApp) {
    let resp = app
        .owner()
        .post(
            "/core/household/members",
            &json!({"name": "sam", "role": "emperor"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["role"]);
    assert!(
        resp.body["detail"]
            .as_str()
            .unwrap()
            .contains("unknown variant")
    );
    assert_eq!(app.count("members", "name = 'sam'").await, 0);
}

async fn oversized_bodies_are_413(app: TestApp) {
    let owner = app.owner();
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    let resp = owner
        .request(reqwest::Method::POST, "/core/inventory")
        .raw("application/json", big.clone())
        .send()
        .await;
    resp.expect_problem(413);
    // Also when the body is buffered for an Idempotency-Key.
    let resp = owner
        .request(reqwest::Method::POST, "/core/inventory")
        .header("idempotency-key", "big-one")
        .raw("application/json", big)
        .send()
        .await;
    resp.expect_problem(413);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 0);
}

async fn wrong_content_type_is_415(app: TestApp) {
    let resp = app
        .owner()
        .request(reqwest::Method::POST, "/core/inventory")
        .raw("text/plain", "{\"name\": \"Milk\"}")
        .send()
        .await;
    resp.expect_problem(415);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 0);
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    app.owner()
        .get("/core/nothing-here")
        .await
        .expect_problem(404);
    app.anonymous().get("/nothing").await.expect_problem(404);
    let resp = app
        .owner()
        .request(reqwest::Method::PUT, "/core/inventory")
        .send()
        .await;
    resp.expect_problem(405);
    assert!(resp.header("allow").is_some());
}

async fn out_of_range_values_are_400(app: TestApp) {
    let owner = app.owner();
    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "Milk", "qty": -1}), "qty"),
        (json!({"name": "Milk", "qty": "1.0001"}), "qty"),
        (json!({"name": "Milk", "qty": "1e30"}), "qty"),
        (
            json!({"name": "Milk", "est_unit_cost": "2.499"}),
            "est_unit_cost",
        ),
        (
            json!({"name": "Milk", "est_unit_cost": -2}),
            "est_unit_cost",
        ),
    ] {
        let resp = owner.post("/core/inventory", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    let resp = owner
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Mars/Base", "tick_time": "6am", "currency": "ABC"}),
        )
        .await;
    let mut fields = resp.expect_problem(400);
    fields.sort();
    assert_eq!(fields, ["currency", "tick_time", "timezone"]);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 0);
    let settings = owner.get("/core/household/settings").await;
    assert_eq!(settings.body["timezone"], "UTC");
    assert_eq!(settings.body["version"], 1);
}

async fn bodies_are_json_objects(app: TestApp) {
    let owner = app.owner();
    let item = owner
        .post("/core/inventory", &json!({"name": "Milk", "qty": 2}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    // serde alone would fill the (all-optional) body from an array of its field values.
    let out_of = format!("/core/inventory/{item}/out_of");
    for raw in ["[null, null]", "[]", "7", "\"x\""] {
        let resp = owner
            .request(reqwest::Method::POST, &out_of)
            .raw("application/json", raw)
            .send()
            .await;
        assert_eq!(resp.expect_problem(400), ["body"], "{raw}");
    }
    let policy = owner
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .raw(
            "application/json",
            r#"{"categories": {"food": [null, "5"]}}"#,
        )
        .send()
        .await;
    assert_eq!(policy.expect_problem(400), ["categories.food"]);
    let preset = owner
        .post(
            "/core/shopping/presets",
            &json!({"name": "Basics", "items": [["Bread", 1]]}),
        )
        .await;
    assert_eq!(preset.expect_problem(400), ["items[0]"]);
    let plan = owner
        .post(
            "/core/heimdall/plan",
            &json!({"action": "forecast.rollup", "params": [null, null]}),
        )
        .await;
    assert_eq!(plan.expect_problem(400), ["params"]);
    assert_eq!(
        owner.get(&format!("/core/inventory/{item}")).await.body["qty"],
        "2"
    );
}

async fn whole_numbers_may_carry_a_zero_fraction(app: TestApp) {
    let owner = app.owner();
    let event = owner
        .post(
            "/core/schedule",
            &json!({"title": "Bins", "date": "2026-12-01", "remind_days_before": 2.0}),
        )
        .await;
    assert_eq!(event.expect(201)["remind_days_before"], 2);
    let fraction = owner
        .post(
            "/core/schedule",
            &json!({"title": "Bins", "date": "2026-12-01", "remind_days_before": 2.5}),
        )
        .await;
    assert_eq!(fraction.expect_problem(400), ["remind_days_before"]);
}

async fn made_up_cursors_start_a_page_somewhere(app: TestApp) {
    let owner = app.owner();
    for name in ["Apples", "Milk", "Tea"] {
        owner
            .post("/core/inventory", &json!({"name": name}))
            .await
            .expect(201);
    }
    // "bWlsaw" is base64url for "milk": the page starts after that name.
    let page = owner.get("/core/inventory?cursor=bWlsaw").await;
    let names: Vec<&str> = page.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Milk", "Tea"]);
    for bad in ["not%20base64", "abcde"] {
        let resp = owner.get(&format!("/core/inventory?cursor={bad}")).await;
        assert_eq!(resp.expect_problem(400), ["cursor"], "{bad}");
    }
}
