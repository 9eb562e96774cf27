//! Inventory (SPEC §2): items, locations, low stock, use / out_of / restock.

use serde_json::{Value, json};
use sqlx::Row;

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(
    create_get_patch_delete,
    defaults_and_reorder_qty,
    list_filters_and_pagination,
    low_stock_rule,
    use_lowers_qty_and_logs_usage,
    use_more_than_on_hand_is_409_and_changes_nothing,
    out_of_logs_exactly_the_remaining_quantity,
    restock_raises_qty,
    locations_nest_and_list,
    money_and_quantities_are_exact,
);

async fn usage_rows(app: &TestApp, inv_id: &str) -> Vec<(i64, String, String, Option<String>)> {
    sqlx::query(
        "SELECT qty_used, source, used_on, notes FROM usage_events WHERE inv_id = $1 ORDER BY id",
    )
    .bind(inv_id)
    .fetch_all(app.db().pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.try_get("qty_used").unwrap(),
            r.try_get("source").unwrap(),
            r.try_get("used_on").unwrap(),
            r.try_get("notes").unwrap(),
        )
    })
    .collect()
}

fn id_of(item: &Value) -> String {
    item["id"].as_str().unwrap().to_string()
}

async fn create_get_patch_delete(app: TestApp) {
    let owner = app.owner();
    let pantry = owner
        .post("/core/inventory/locations", &json!({"name": "Pantry"}))
        .await
        .expect(201)
        .clone();
    let item = owner
        .create_item(json!({
            "name": "  Basmati rice ", "qty": "2.5", "unit": "kg",
            "location_id": pantry["id"], "category": "grains",
            "min_qty": 1, "reorder_qty": "5", "est_unit_cost": "3.20"
        }))
        .await;
    let id = id_of(&item);
    assert_eq!(item["name"], "Basmati rice");
    assert_eq!(item["qty"], "2.5");
    assert_eq!(item["unit"], "kg");
    assert_eq!(item["location_id"], pantry["id"]);
    assert_eq!(item["category"], "grains");
    assert_eq!(item["min_qty"], "1");
    assert_eq!(item["reorder_qty"], "5");
    assert_eq!(item["est_unit_cost"], "3.20");
    assert_eq!(item["low_stock"], false);
    assert_eq!(item["version"], 1);
    assert!(
        item["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-25T12:00:00")
    );

    let got = owner.get(&format!("/core/inventory/{id}")).await;
    assert_eq!(got.expect(200), &item);

    let patched = owner
        .patch(
            &format!("/core/inventory/{id}"),
            &json!({"name": "Rice", "category": null, "qty": 0.5, "est_unit_cost": 4}),
        )
        .await;
    let body = patched.expect(200);
    assert_eq!(body["name"], "Rice");
    assert_eq!(body["category"], Value::Null);
    assert_eq!(body["qty"], "0.5");
    assert_eq!(body["est_unit_cost"], "4.00");
    assert_eq!(body["unit"], "kg", "absent fields are kept");
    assert_eq!(body["low_stock"], true);
    assert_eq!(body["version"], 2);
    // Setting qty by PATCH is a correction, not usage.
    assert!(usage_rows(&app, &id).await.is_empty());

    // Unknown location on patch is refused and nothing changes.
    let resp = owner
        .patch(
            &format!("/core/inventory/{id}"),
            &json!({"location_id": "nope", "name": "X"}),
        )
        .await;
    assert_eq!(resp.expect_problem(404), ["location_id"]);
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["name"],
        "Rice"
    );

    owner
        .delete(&format!("/core/inventory/{id}"))
        .await
        .expect(204);
    owner
        .get(&format!("/core/inventory/{id}"))
        .await
        .expect_problem(404);
    owner
        .delete(&format!("/core/inventory/{id}"))
        .await
        .expect_problem(404);
}

async fn defaults_and_reorder_qty(app: TestApp) {
    let owner = app.owner();
    let item = owner.create_item(json!({"name": "Soap"})).await;
    assert_eq!(item["qty"], "0");
    assert_eq!(item["min_qty"], "0");
    assert_eq!(item["reorder_qty"], "0");
    assert_eq!(item["unit"], Value::Null);
    assert_eq!(item["est_unit_cost"], Value::Null);
    assert_eq!(item["low_stock"], false, "min_qty 0 means no rule");
    let id = id_of(&item);
    // reorder_qty follows min_qty until set; null resets it.
    let body = owner
        .patch(&format!("/core/inventory/{id}"), &json!({"min_qty": 3}))
        .await
        .expect(200)
        .clone();
    assert_eq!(body["reorder_qty"], "3");
    let body = owner
        .patch(
            &format!("/core/inventory/{id}"),
            &json!({"reorder_qty": 10}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(body["reorder_qty"], "10");
    let body = owner
        .patch(&format!("/core/inventory/{id}"), &json!({"min_qty": 4}))
        .await
        .expect(200)
        .clone();
    assert_eq!(body["reorder_qty"], "10");
    let body = owner
        .patch(
            &format!("/core/inventory/{id}"),
            &json!({"reorder_qty": null}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(body["reorder_qty"], "4");
}

async fn list_filters_and_pagination(app: TestApp) {
    let owner = app.owner();
    let fridge = owner
        .post("/core/inventory/locations", &json!({"name": "Fridge"}))
        .await
        .expect(201)["id"]
        .clone();
    let specs = [
        ("Milk", "dairy", true, 1, 2),
        ("butter", "dairy", true, 5, 2),
        ("Apples", "fruit", false, 0, 0),
        ("Oat Milk", "dairy", false, 1, 1),
        ("Coffee_beans 100%", "pantry", false, 3, 1),
    ];
    for (name, category, in_fridge, qty, min_qty) in specs {
        let mut body = json!({"name": name, "category": category, "qty": qty, "min_qty": min_qty});
        if in_fridge {
            body["location_id"] = fridge.clone();
        }
        owner.create_item(body).await;
    }
    let names = |resp: &crate::util::Resp| -> Vec<String> {
        resp.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = owner.get("/core/inventory").await;
    assert_eq!(
        names(&all),
        ["Apples", "butter", "Coffee_beans 100%", "Milk", "Oat Milk"],
        "ordered by name, case-insensitively"
    );
    assert_eq!(all.body["next_cursor"], Value::Null);
    let fridge_id = fridge.as_str().unwrap();
    assert_eq!(
        names(
            &owner
                .get(&format!("/core/inventory?location_id={fridge_id}"))
                .await
        ),
        ["butter", "Milk"]
    );
    assert_eq!(
        names(&owner.get("/core/inventory?category=dairy").await),
        ["butter", "Milk", "Oat Milk"]
    );
    assert_eq!(
        names(&owner.get("/core/inventory?low=true").await),
        ["Milk", "Oat Milk"]
    );
    assert_eq!(
        names(&owner.get("/core/inventory?low=false").await).len(),
        5
    );
    assert_eq!(
        names(&owner.get("/core/inventory?q=MILK").await),
        ["Milk", "Oat Milk"]
    );
    assert_eq!(
        names(&owner.get("/core/inventory?q=_beans%20100%25").await),
        ["Coffee_beans 100%"],
        "wildcards in q match literally"
    );
    assert_eq!(
        names(&owner.get("/core/inventory?q=%25").await),
        ["Coffee_beans 100%"]
    );
    assert_eq!(
        names(
            &owner
                .get("/core/inventory?category=dairy&low=true&q=oat")
                .await
        ),
        ["Oat Milk"]
    );

    // Pages of two, following cursors, visit every item once in order.
    let mut seen = Vec::new();
    let mut path = "/core/inventory?limit=2".to_string();
    loop {
        let page = owner.get(&path).await;
        let batch = names(&page);
        assert!(batch.len() <= 2);
        seen.extend(batch);
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/core/inventory?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["Apples", "butter", "Coffee_beans 100%", "Milk", "Oat Milk"]
    );
}

async fn low_stock_rule(app: TestApp) {
    let owner = app.owner();
    let item = owner
        .create_item(json!({"name": "Tea", "qty": 3, "min_qty": 2}))
        .await;
    let id = id_of(&item);
    assert_eq!(item["low_stock"], false);
    let low = |resp: &crate::util::Resp| resp.body["items"].as_array().unwrap().len();
    assert_eq!(low(&owner.get("/core/inventory?low=true").await), 0);
    let used = owner
        .post(&format!("/core/inventory/{id}/use"), &json!({"qty": 1}))
        .await;
    assert_eq!(used.expect(200)["low_stock"], true, "qty == min_qty is low");
    assert_eq!(low(&owner.get("/core/inventory?low=true").await), 1);
    owner
        .post(
            &format!("/core/inventory/{id}/restock"),
            &json!({"qty": "0.001"}),
        )
        .await
        .expect(200);
    assert_eq!(low(&owner.get("/core/inventory?low=true").await), 0);
}

async fn use_lowers_qty_and_logs_usage(app: TestApp) {
    let owner = app.owner();
    let item = owner.create_item(json!({"name": "Milk", "qty": "2"})).await;
    let id = id_of(&item);
    let resp = owner
        .post(
            &format!("/core/inventory/{id}/use"),
            &json!({"qty": "0.75", "notes": "pancakes"}),
        )
        .await;
    let body = resp.expect(200);
    assert_eq!(body["qty"], "1.25");
    assert_eq!(body["version"], 2);
    owner
        .post(
            &format!("/core/inventory/{id}/use"),
            &json!({"qty": 0.25, "used_on": "2026-11-20"}),
        )
        .await
        .expect(200);
    assert_eq!(
        usage_rows(&app, &id).await,
        [
            (
                750,
                "use".to_string(),
                "2026-11-25".to_string(),
                Some("pancakes".to_string())
            ),
            (250, "use".to_string(), "2026-11-20".to_string(), None),
        ]
    );
    // Zero, negative, future dates are refused and change nothing.
    for (body, field) in [
        (json!({"qty": 0}), "qty"),
        (json!({"qty": -1}), "qty"),
        (json!({"qty": 1, "used_on": "2026-11-26"}), "used_on"),
        (json!({"qty": 1, "used_on": "2026-02-30"}), "used_on"),
    ] {
        let resp = owner
            .post(&format!("/core/inventory/{id}/use"), &body)
            .await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["qty"],
        "1"
    );
    assert_eq!(usage_rows(&app, &id).await.len(), 2);
}

async fn use_more_than_on_hand_is_409_and_changes_nothing(app: TestApp) {
    let owner = app.owner();
    let item = owner.create_item(json!({"name": "Eggs", "qty": 6})).await;
    let id = id_of(&item);
    let resp = owner
        .post(
            &format!("/core/inventory/{id}/use"),
            &json!({"qty": "6.001"}),
        )
        .await;
    resp.expect_problem(409);
    let after = owner.get(&format!("/core/inventory/{id}")).await;
    assert_eq!(after.body["qty"], "6");
    assert_eq!(after.body["version"], 1);
    assert!(usage_rows(&app, &id).await.is_empty());
    // Exactly all of it is fine.
    let resp = owner
        .post(&format!("/core/inventory/{id}/use"), &json!({"qty": 6}))
        .await;
    assert_eq!(resp.expect(200)["qty"], "0");
}

async fn out_of_logs_exactly_the_remaining_quantity(app: TestApp) {
    let owner = app.owner();
    let item = owner
        .create_item(json!({"name": "Butter", "qty": "1.375"}))
        .await;
    let id = id_of(&item);
    let resp = owner
        .post_empty(&format!("/core/inventory/{id}/out_of"))
        .await;
    let body = resp.expect(200);
    assert_eq!(body["qty"], "0");
    assert_eq!(body["version"], 2);
    assert_eq!(
        usage_rows(&app, &id).await,
        [(1375, "out_of".to_string(), "2026-11-25".to_string(), None)]
    );
    // Already at 0: 200, nothing logged, nothing changed.
    let again = owner
        .post(&format!("/core/inventory/{id}/out_of"), &json!({}))
        .await;
    assert_eq!(again.expect(200)["qty"], "0");
    assert_eq!(again.body["version"], 2);
    assert_eq!(usage_rows(&app, &id).await.len(), 1);
    // A body with a date and notes is accepted.
    owner
        .post(&format!("/core/inventory/{id}/restock"), &json!({"qty": 2}))
        .await
        .expect(200);
    owner
        .post(
            &format!("/core/inventory/{id}/out_of"),
            &json!({"used_on": "2026-11-24", "notes": "spilled"}),
        )
        .await
        .expect(200);
    assert_eq!(
        usage_rows(&app, &id).await[1],
        (
            2000,
            "out_of".to_string(),
            "2026-11-24".to_string(),
            Some("spilled".to_string())
        )
    );
}

async fn restock_raises_qty(app: TestApp) {
    let owner = app.owner();
    let item = owner.create_item(json!({"name": "Pasta", "qty": 1})).await;
    let id = id_of(&item);
    let resp = owner
        .post(
            &format!("/core/inventory/{id}/restock"),
            &json!({"qty": "2.5"}),
        )
        .await;
    assert_eq!(resp.expect(200)["qty"], "3.5");
    for body in [json!({"qty": 0}), json!({"qty": -2}), json!({})] {
        let resp = owner
            .post(&format!("/core/inventory/{id}/restock"), &body)
            .await;
        assert_eq!(resp.expect_problem(400), ["qty"]);
    }
    let resp = owner
        .post(
            &format!("/core/inventory/{id}/restock"),
            &json!({"qty": "999999999999.999"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["qty"]);
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["qty"],
        "3.5"
    );
    assert!(
        usage_rows(&app, &id).await.is_empty(),
        "restock is not usage"
    );
}

async fn locations_nest_and_list(app: TestApp) {
    let owner = app.owner();
    let kitchen = owner
        .post("/core/inventory/locations", &json!({"name": "Kitchen"}))
        .await
        .expect(201)
        .clone();
    assert_eq!(kitchen["parent_id"], Value::Null);
    let shelf = owner
        .post(
            "/core/inventory/locations",
            &json!({"name": "Top shelf", "parent_id": kitchen["id"]}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(shelf["parent_id"], kitchen["id"]);
    let resp = owner
        .post(
            "/core/inventory/locations",
            &json!({"name": "Ghost", "parent_id": "missing"}),
        )
        .await;
    assert_eq!(resp.expect_problem(404), ["parent_id"]);
    let resp = owner
        .post("/core/inventory/locations", &json!({"name": ""}))
        .await;
    assert_eq!(resp.expect_problem(400), ["name"]);
    let list = owner.get("/core/inventory/locations").await;
    assert_eq!(list.expect(200)["items"], json!([kitchen, shelf]));
    let page = owner.get("/core/inventory/locations?limit=1").await;
    assert_eq!(page.body["items"], json!([kitchen]));
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let next = owner
        .get(&format!(
            "/core/inventory/locations?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(next.body["items"], json!([shelf]));
    assert_eq!(next.body["next_cursor"], Value::Null);
}

async fn money_and_quantities_are_exact(app: TestApp) {
    let owner = app.owner();
    // 0.1 + 0.2 style sums stay exact; numbers and strings are both accepted.
    let item = owner
        .create_item(json!({"name": "Juice", "qty": 0.1, "est_unit_cost": 0.1}))
        .await;
    let id = id_of(&item);
    assert_eq!(item["est_unit_cost"], "0.10");
    let resp = owner
        .post(
            &format!("/core/inventory/{id}/restock"),
            &json!({"qty": 0.2}),
        )
        .await;
    assert_eq!(resp.expect(200)["qty"], "0.3");
    let resp = owner
        .patch(
            &format!("/core/inventory/{id}"),
            &json!({"est_unit_cost": "1234567890.99"}),
        )
        .await;
    assert_eq!(resp.expect(200)["est_unit_cost"], "1234567890.99");
    // In a zero-decimal currency amounts have no cents.
    owner
        .patch("/core/household/settings", &json!({"currency": "JPY"}))
        .await
        .expect(200);
    let yen = owner
        .create_item(json!({"name": "Miso", "est_unit_cost": 450}))
        .await;
    assert_eq!(yen["est_unit_cost"], "450");
    let resp = owner
        .post(
            "/core/inventory",
            &json!({"name": "Nori", "est_unit_cost": "4.5"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["est_unit_cost"]);
    // Items priced earlier keep their own currency's format.
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["est_unit_cost"],
        "1234567890.99"
    );
}
