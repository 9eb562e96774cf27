//! Shopping (SPEC §5): items, cancel, quick add, presets and cost. The generators are in
//! `shopping_generators.rs`.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, Resp, TestApp};

backend_tests!(
    item_crud_and_est_total,
    item_validation_names_the_field,
    cancel_and_history_rules,
    items_are_household_scoped,
    quick_add_by_query_and_by_body,
    cost_totals_are_exact,
    presets_apply_only_what_is_missing,
    shopping_routes_are_documented,
);

pub(crate) fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_string()
}

pub(crate) async fn add(client: &Client, body: Value) -> Value {
    client
        .post("/core/shopping", &body)
        .await
        .expect(201)
        .clone()
}

pub(crate) async fn need(client: &Client, body: Value) -> Value {
    let mut body = body;
    body["kind"] = json!("need");
    client
        .post("/core/schedule", &body)
        .await
        .expect(201)
        .clone()
}

/// Names of the objects in `created` (generator answers) or `items` (lists).
pub(crate) fn names(resp: &Resp, key: &str) -> Vec<String> {
    resp.body[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key}: {}", resp.text))
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

pub(crate) async fn generate_needs(client: &Client, query: &str) -> Resp {
    let resp = client
        .post_empty(&format!("/core/shopping/generate_from_needs{query}"))
        .await;
    resp.expect(200);
    resp
}

pub(crate) async fn generate_inventory(client: &Client) -> Resp {
    let resp = client
        .post_empty("/core/shopping/generate_from_inventory")
        .await;
    resp.expect(200);
    resp
}

/// Marks an item bought through the API (a small purchase: no approval needed).
pub(crate) async fn mark_bought(app: &TestApp, id: &str) {
    app.owner()
        .post(
            &format!("/core/shopping/{id}/bought"),
            &json!({"actual_total": "1.00"}),
        )
        .await
        .expect(200);
}

async fn item_crud_and_est_total(app: TestApp) {
    let owner = app.owner();
    let resp = owner
        .post(
            "/core/shopping",
            &json!({"name": " Coffee  beans ", "qty": "1.5", "unit": "kg",
                    "est_unit_cost": 0.99, "category": "pantry"}),
        )
        .await;
    assert_eq!(resp.header("etag"), Some("\"1\""));
    let item = resp.expect(201).clone();
    let id = id_of(&item);
    assert_eq!(
        item,
        json!({
            "id": id, "name": "Coffee  beans", "qty": "1.5", "unit": "kg",
            "est_unit_cost": "0.99", "est_total": "1.49", "category": "pantry",
            "status": "open", "source": "manual", "inv_id": null, "schedule_event_id": null,
            "need_date": null, "approval_id": null, "actual_total": null, "bought_at": null,
            "receipt_id": null, "version": 1,
            "created_at": "2026-11-25T12:00:00.000000Z", "updated_at": "2026-11-25T12:00:00.000000Z"
        }),
        "1.5 × 0.99 = 1.485 rounds half-up to 1.49"
    );
    assert_eq!(
        owner.get(&format!("/core/shopping/{id}")).await.expect(200),
        &item
    );

    let patched = owner
        .request(reqwest::Method::PATCH, &format!("/core/shopping/{id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"qty": 3, "unit": null}))
        .send()
        .await;
    assert_eq!(patched.header("etag"), Some("\"2\""));
    let body = patched.expect(200);
    assert_eq!(body["est_total"], "2.97");
    assert_eq!(body["unit"], Value::Null);
    assert_eq!(body["category"], "pantry");
    assert_eq!(body["version"], 2);
    let stale = owner
        .request(reqwest::Method::PATCH, &format!("/core/shopping/{id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"qty": 10}))
        .send()
        .await;
    stale.expect_problem(412);
    assert_eq!(
        owner.get(&format!("/core/shopping/{id}")).await.body["qty"],
        "3"
    );
    let cleared = owner
        .patch(
            &format!("/core/shopping/{id}"),
            &json!({"est_unit_cost": null}),
        )
        .await;
    assert_eq!(cleared.expect(200)["est_total"], Value::Null);

    // Linked to an inventory item: one open item per inventory item.
    let rice = owner.create_item(json!({"name": "Rice"})).await;
    let linked = add(&owner, json!({"name": "Rice", "inv_id": rice["id"]})).await;
    assert_eq!(linked["qty"], "1", "qty defaults to 1");
    assert_eq!(linked["inv_id"], rice["id"]);
    owner
        .post(
            "/core/shopping",
            &json!({"name": "More rice", "inv_id": rice["id"]}),
        )
        .await
        .expect_problem(409);

    let list = owner.get("/core/shopping?status=open").await;
    assert_eq!(
        names(&list, "items"),
        ["Coffee  beans", "Rice"],
        "in the order added"
    );
    owner
        .request(reqwest::Method::DELETE, &format!("/core/shopping/{id}"))
        .header("if-match", "\"1\"")
        .send()
        .await
        .expect_problem(412);
    owner
        .delete(&format!("/core/shopping/{id}"))
        .await
        .expect(204);
    owner
        .get(&format!("/core/shopping/{id}"))
        .await
        .expect_problem(404);
    assert_eq!(names(&owner.get("/core/shopping").await, "items"), ["Rice"]);
}

async fn item_validation_names_the_field(app: TestApp) {
    let owner = app.owner();
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": "  "}), "name"),
        (json!({"name": "x".repeat(201)}), "name"),
        (json!({"name": "Milk", "qty": 0}), "qty"),
        (json!({"name": "Milk", "qty": "-1"}), "qty"),
        (json!({"name": "Milk", "qty": "0.0001"}), "qty"),
        (json!({"name": "Milk", "qty": "lots"}), "qty"),
        (
            json!({"name": "Milk", "est_unit_cost": "-0.01"}),
            "est_unit_cost",
        ),
        (
            json!({"name": "Milk", "est_unit_cost": "4.505"}),
            "est_unit_cost",
        ),
        (
            json!({"name": "Milk", "qty": "1000000000", "est_unit_cost": "1000000000"}),
            "est_unit_cost",
        ),
        (json!({"name": "Milk", "status": "bought"}), "status"),
        (json!({"name": "Milk", "source": "needs"}), "source"),
    ] {
        let resp = owner.post("/core/shopping", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    let resp = owner
        .post("/core/shopping", &json!({"name": "Milk", "inv_id": "nope"}))
        .await;
    assert_eq!(resp.expect_problem(404), ["inv_id"]);
    assert_eq!(app.count("shopping_items", "1 = 1").await, 0);

    let item = add(&owner, json!({"name": "Milk", "est_unit_cost": "1.00"})).await;
    let id = id_of(&item);
    for (patch, field) in [
        (json!({"name": null}), "name"),
        (json!({"qty": null}), "qty"),
        (json!({"qty": 0}), "qty"),
        (json!({"est_unit_cost": "abc"}), "est_unit_cost"),
        (json!({"status": "bought"}), "status"),
    ] {
        let resp = owner.patch(&format!("/core/shopping/{id}"), &patch).await;
        assert_eq!(resp.expect_problem(400), [field], "{patch}");
    }
    for query in ["status=done", "limit=0", "cursor=x"] {
        let resp = owner.get(&format!("/core/shopping?{query}")).await;
        assert_eq!(resp.expect_problem(400).len(), 1, "{query}");
    }
    assert_eq!(owner.get(&format!("/core/shopping/{id}")).await.body, item);
}

async fn cancel_and_history_rules(app: TestApp) {
    let owner = app.owner();
    let milk = add(&owner, json!({"name": "Milk"})).await;
    let id = id_of(&milk);
    let cancelled = owner
        .post_empty(&format!("/core/shopping/{id}/cancel"))
        .await;
    let body = cancelled.expect(200);
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["version"], 2);
    owner
        .post_empty(&format!("/core/shopping/{id}/cancel"))
        .await
        .expect_problem(409);
    owner
        .patch(
            &format!("/core/shopping/{id}"),
            &json!({"name": "Oat milk"}),
        )
        .await
        .expect_problem(409);

    let bread = add(&owner, json!({"name": "Bread"})).await;
    let bread_id = id_of(&bread);
    mark_bought(&app, &bread_id).await;
    owner
        .post_empty(&format!("/core/shopping/{bread_id}/cancel"))
        .await
        .expect_problem(409);
    owner
        .patch(&format!("/core/shopping/{bread_id}"), &json!({"qty": 2}))
        .await
        .expect_problem(409);
    owner
        .delete(&format!("/core/shopping/{bread_id}"))
        .await
        .expect_problem(409);
    let eggs = add(&owner, json!({"name": "Eggs"})).await;

    let by_status = |status: &'static str| {
        let owner = owner.clone();
        async move {
            names(
                &owner.get(&format!("/core/shopping?status={status}")).await,
                "items",
            )
        }
    };
    assert_eq!(by_status("open").await, ["Eggs"]);
    assert_eq!(by_status("cancelled").await, ["Milk"]);
    assert_eq!(by_status("bought").await, ["Bread"]);
    assert_eq!(
        names(&owner.get("/core/shopping").await, "items"),
        ["Milk", "Bread", "Eggs"]
    );
    // A cancelled item can be deleted.
    owner
        .delete(&format!("/core/shopping/{id}"))
        .await
        .expect(204);
    let viewer = app.member("vera", Role::Viewer).await;
    viewer
        .post_empty(&format!("/core/shopping/{}/cancel", id_of(&eggs)))
        .await
        .expect_problem(403);
    assert_eq!(
        viewer.get("/core/shopping?status=open").await.expect(200)["items"][0]["status"],
        "open"
    );
}

async fn items_are_household_scoped(app: TestApp) {
    let owner = app.owner();
    let item = add(&owner, json!({"name": "Milk", "est_unit_cost": "300"})).await;
    let id = id_of(&item);
    owner
        .create_item(json!({"name": "Rice", "qty": 0, "min_qty": 1}))
        .await;
    let preset = owner
        .post(
            "/core/shopping/presets",
            &json!({"name": "Basics", "items": [{"name": "Bread"}]}),
        )
        .await
        .expect(201)
        .clone();
    let stranger = app.member_of("Elsewhere", "sam", Role::Owner).await;
    let missing = stranger.get("/core/shopping/no-such-id").await;
    let theirs = stranger.get(&format!("/core/shopping/{id}")).await;
    theirs.expect_problem(404);
    assert_eq!(theirs.body, missing.body);
    stranger
        .patch(&format!("/core/shopping/{id}"), &json!({"name": "x"}))
        .await
        .expect_problem(404);
    stranger
        .post_empty(&format!("/core/shopping/{id}/cancel"))
        .await
        .expect_problem(404);
    stranger
        .delete(&format!("/core/shopping/{id}"))
        .await
        .expect_problem(404);
    stranger
        .post_empty(&format!("/core/shopping/presets/{}/apply", id_of(&preset)))
        .await
        .expect_problem(404);
    stranger
        .get(&format!("/core/shopping/presets/{}", id_of(&preset)))
        .await
        .expect_problem(404);
    assert_eq!(
        stranger.get("/core/shopping").await.body["items"],
        json!([])
    );
    assert_eq!(
        stranger.get("/core/shopping/presets").await.body["items"],
        json!([])
    );
    assert_eq!(
        stranger.get("/core/shopping/cost").await.expect(200),
        &json!({"open_items": 0, "est_total": "0.00", "needs_approval": 0})
    );
    let generated = generate_inventory(&stranger).await;
    assert_eq!(generated.body, json!({"created": [], "skipped": 0}));
    let their_item = stranger.create_item(json!({"name": "Theirs"})).await;
    let resp = owner
        .post(
            "/core/shopping",
            &json!({"name": "x", "inv_id": their_item["id"]}),
        )
        .await;
    assert_eq!(resp.expect_problem(404), ["inv_id"]);
    assert_eq!(owner.get(&format!("/core/shopping/{id}")).await.body, item);
}

async fn quick_add_by_query_and_by_body(app: TestApp) {
    let owner = app.owner();
    let resp = owner
        .post_empty("/core/shopping/quick_add?name=%20oat%20milk&est_total=4.50")
        .await;
    assert_eq!(resp.header("etag"), Some("\"1\""));
    let milk = resp.expect(201);
    assert_eq!(milk["name"], "oat milk");
    assert_eq!(milk["qty"], "1");
    assert_eq!(milk["est_unit_cost"], "4.50");
    assert_eq!(milk["est_total"], "4.50");
    assert_eq!(milk["source"], "quick_add");
    assert_eq!(milk["status"], "open");

    let bread = owner
        .post(
            "/core/shopping/quick_add",
            &json!({"name": "Bread", "est_total": 2}),
        )
        .await;
    assert_eq!(bread.expect(201)["est_total"], "2.00");
    assert_eq!(bread.body["source"], "quick_add");
    let salt = owner.post_empty("/core/shopping/quick_add?name=Salt").await;
    assert_eq!(salt.expect(201)["est_total"], Value::Null);

    for (path, body, field) in [
        ("/core/shopping/quick_add", None, "name"),
        ("/core/shopping/quick_add?est_total=1", None, "name"),
        ("/core/shopping/quick_add?name=%20", None, "name"),
        (
            "/core/shopping/quick_add?name=x&est_total=abc",
            None,
            "est_total",
        ),
        (
            "/core/shopping/quick_add?name=x&est_total=-1",
            None,
            "est_total",
        ),
        (
            "/core/shopping/quick_add?name=x&est_total=4.505",
            None,
            "est_total",
        ),
        ("/core/shopping/quick_add?name=x&qty=2", None, "qty"),
        (
            "/core/shopping/quick_add",
            Some(json!({"est_total": 1})),
            "name",
        ),
        (
            "/core/shopping/quick_add",
            Some(json!({"name": "x", "qty": 2})),
            "qty",
        ),
    ] {
        let req = owner.request(reqwest::Method::POST, path);
        let req = match &body {
            Some(body) => req.json(body),
            None => req,
        };
        let resp = req.send().await;
        assert_eq!(resp.expect_problem(400), [field], "{path} {body:?}");
    }
    // Query parameters and a body at once are ambiguous.
    owner
        .post(
            "/core/shopping/quick_add?name=Tea",
            &json!({"name": "Coffee"}),
        )
        .await
        .expect_problem(400);
    // The same Idempotency-Key replays the first answer and adds nothing.
    let first = owner
        .request(
            reqwest::Method::POST,
            "/core/shopping/quick_add?name=Jam&est_total=3",
        )
        .header("idempotency-key", "jam-1")
        .send()
        .await;
    let again = owner
        .request(
            reqwest::Method::POST,
            "/core/shopping/quick_add?name=Jam&est_total=3",
        )
        .header("idempotency-key", "jam-1")
        .send()
        .await;
    assert_eq!(first.expect(201), again.expect(201));
    assert_eq!(app.count("shopping_items", "name_key = 'jam'").await, 1);
    assert_eq!(app.count("shopping_items", "1 = 1").await, 4);
}

async fn cost_totals_are_exact(app: TestApp) {
    let owner = app.owner();
    owner
        .post_empty("/core/shopping/quick_add?name=a&est_total=0.10")
        .await
        .expect(201);
    owner
        .post_empty("/core/shopping/quick_add?name=b&est_total=0.20")
        .await
        .expect(201);
    add(
        &owner,
        json!({"name": "c", "qty": "1.5", "est_unit_cost": "0.99"}),
    )
    .await;
    add(&owner, json!({"name": "no price"})).await;
    add(&owner, json!({"name": "tv", "est_unit_cost": "200.00"})).await;
    add(
        &owner,
        json!({"name": "chair", "qty": 3, "est_unit_cost": "66.66"}),
    )
    .await;
    let gone = add(&owner, json!({"name": "gone", "est_unit_cost": "50"})).await;
    owner
        .post_empty(&format!("/core/shopping/{}/cancel", id_of(&gone)))
        .await
        .expect(200);
    let bought = add(&owner, json!({"name": "bought", "est_unit_cost": "50"})).await;
    mark_bought(&app, &id_of(&bought)).await;
    // 0.10 + 0.20 + 1.49 + 200.00 + 199.98; 200.00 reaches the 200.00 threshold, 199.98 does not.
    let cost = owner.get("/core/shopping/cost").await;
    assert_eq!(
        cost.expect(200),
        &json!({"open_items": 6, "est_total": "401.77", "needs_approval": 1})
    );
    owner
        .patch(
            "/core/household/settings",
            &json!({"big_spend_threshold": "199.98"}),
        )
        .await
        .expect(200);
    let cost = owner.get("/core/shopping/cost").await;
    assert_eq!(cost.body["needs_approval"], 2);
    assert_eq!(cost.body["est_total"], "401.77");
}

async fn presets_apply_only_what_is_missing(app: TestApp) {
    let owner = app.owner();
    let resp = owner
        .post(
            "/core/shopping/presets",
            &json!({"name": "Weekly basics", "items": [
                {"name": "Bread", "est_unit_cost": "2.49"},
                {"name": "Milk", "qty": 2, "unit": "l", "est_unit_cost": 0.95},
                {"name": "Eggs", "qty": 12, "est_unit_cost": "0.25", "category": "dairy"}
            ]}),
        )
        .await;
    let preset = resp.expect(201).clone();
    let preset_id = id_of(&preset);
    assert_eq!(preset["name"], "Weekly basics");
    assert_eq!(
        preset["items"],
        json!([
            {"name": "Bread", "qty": "1", "unit": null, "est_unit_cost": "2.49",
             "est_total": "2.49", "category": null},
            {"name": "Milk", "qty": "2", "unit": "l", "est_unit_cost": "0.95",
             "est_total": "1.90", "category": null},
            {"name": "Eggs", "qty": "12", "unit": null, "est_unit_cost": "0.25",
             "est_total": "3.00", "category": "dairy"}
        ])
    );
    assert_eq!(
        owner
            .get(&format!("/core/shopping/presets/{preset_id}"))
            .await
            .expect(200),
        &preset
    );
    assert_eq!(
        owner.get("/core/shopping/presets").await.body,
        json!({"items": [preset.clone()], "next_cursor": null})
    );

    // Milk is already open (by another spelling): only Bread and Eggs are added.
    owner
        .post_empty("/core/shopping/quick_add?name=%20%20MILK%20")
        .await
        .expect(201);
    let apply = format!("/core/shopping/presets/{preset_id}/apply");
    let first = owner.post_empty(&apply).await;
    assert_eq!(first.expect(200)["skipped"], 1);
    assert_eq!(names(&first, "created"), ["Bread", "Eggs"]);
    let eggs = &first.body["created"][1];
    assert_eq!(eggs["source"], "preset");
    assert_eq!(eggs["qty"], "12");
    assert_eq!(eggs["est_total"], "3.00");
    assert_eq!(eggs["category"], "dairy");
    let second = owner.post_empty(&apply).await;
    assert_eq!(second.expect(200), &json!({"created": [], "skipped": 3}));
    // Once Bread is off the list, applying adds it again.
    owner
        .post_empty(&format!(
            "/core/shopping/{}/cancel",
            id_of(&first.body["created"][0])
        ))
        .await
        .expect(200);
    let third = owner.post_empty(&apply).await;
    assert_eq!(names(&third, "created"), ["Bread"]);
    assert_eq!(third.body["skipped"], 2);

    // Validation, duplicates, unknown ids.
    for (body, field) in [
        (json!({"name": "x", "items": []}), "items"),
        (json!({"name": "", "items": [{"name": "a"}]}), "name"),
        (json!({"name": "x"}), "items"),
        (
            json!({"name": "x", "items": [{"name": "a"}, {"name": "b", "qty": 0}]}),
            "items[1].qty",
        ),
        (
            json!({"name": "x", "items": [{"name": "a"}, {"name": " A "}]}),
            "items[1].name",
        ),
        (
            json!({"name": "x", "items": [{"name": "a", "est_unit_cost": "x"}]}),
            "items[0].est_unit_cost",
        ),
    ] {
        let resp = owner.post("/core/shopping/presets", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    owner
        .post(
            "/core/shopping/presets",
            &json!({"name": " weekly  BASICS", "items": [{"name": "a"}]}),
        )
        .await
        .expect_problem(409);
    owner
        .post_empty("/core/shopping/presets/nope/apply")
        .await
        .expect_problem(404);
    owner
        .delete(&format!("/core/shopping/presets/{preset_id}"))
        .await
        .expect(204);
    owner.post_empty(&apply).await.expect_problem(404);
    assert_eq!(app.count("shopping_preset_items", "1 = 1").await, 0);
    assert_eq!(
        app.count("shopping_items", "source = 'preset'").await,
        3,
        "items a preset added stay"
    );
}

async fn shopping_routes_are_documented(app: TestApp) {
    let doc = app.anonymous().get("/openapi.json").await;
    let paths = &doc.expect(200)["paths"];
    for (path, methods) in [
        ("/core/shopping", vec!["get", "post"]),
        ("/core/shopping/{id}", vec!["get", "patch", "delete"]),
        ("/core/shopping/{id}/cancel", vec!["post"]),
        ("/core/shopping/cost", vec!["get"]),
        ("/core/shopping/quick_add", vec!["post"]),
        ("/core/shopping/generate_from_inventory", vec!["post"]),
        ("/core/shopping/generate_from_needs", vec!["post"]),
        ("/core/shopping/presets", vec!["get", "post"]),
        ("/core/shopping/presets/{id}", vec!["get", "delete"]),
        ("/core/shopping/presets/{id}/apply", vec!["post"]),
    ] {
        for method in methods {
            let op = &paths[path][method];
            assert_eq!(op["tags"], json!(["shopping"]), "{method} {path}");
            assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
        }
    }
    let schemas = &doc.body["components"]["schemas"];
    for name in [
        "ShoppingItem",
        "Generated",
        "Cost",
        "Preset",
        "Event",
        "Occurrence",
    ] {
        assert!(schemas[name].is_object(), "schema {name}");
    }
}
