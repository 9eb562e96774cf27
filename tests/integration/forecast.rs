//! Forecasts (SPEC §3): usage logging, burn rate, days left, the "runs out soonest" rollup.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    logging_usage_validates_and_does_not_change_stock,
    item_forecast_follows_the_formulas,
    window_boundary_is_exclusive_at_the_start,
    window_days_and_limit_are_validated,
    rollup_orders_by_days_left_then_name,
    use_and_out_of_feed_the_forecast,
    rollup_follows_every_change,
    rollup_sees_writes_made_by_another_server,
    today_is_the_households_local_date,
    concurrent_usage_writes_all_land_once,
    usage_log_lists_newest_first,
);

async fn item(client: &Client, name: &str, qty: &str) -> String {
    client.create_item(json!({"name": name, "qty": qty})).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn log(client: &Client, inv_id: &str, qty: &str, used_on: &str) -> Value {
    client
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": inv_id, "qty_used": qty, "used_on": used_on}),
        )
        .await
        .expect(201)
        .clone()
}

fn names(rollup: &Value) -> Vec<String> {
    rollup["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect()
}

async fn logging_usage_validates_and_does_not_change_stock(app: TestApp) {
    let owner = app.owner();
    let id = item(&owner, "Milk", "4").await;
    let resp = owner
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": id, "qty_used": 1.5, "notes": "tea"}),
        )
        .await;
    let event = resp.expect(201);
    assert_eq!(event["inv_id"], id.as_str());
    assert_eq!(event["qty_used"], "1.5");
    assert_eq!(event["used_on"], "2026-11-25");
    assert_eq!(event["source"], "manual");
    assert_eq!(event["notes"], "tea");
    assert!(event["id"].is_string());
    assert_eq!(
        owner.get(&format!("/core/inventory/{id}")).await.body["qty"],
        "4"
    );

    let missing = owner
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": "nope", "qty_used": 1}),
        )
        .await;
    assert_eq!(missing.expect_problem(404), ["inv_id"]);
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    let foreign = theirs
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": id, "qty_used": 1}),
        )
        .await;
    assert_eq!(foreign.expect_problem(404), ["inv_id"]);
    for (body, field) in [
        (json!({"inv_id": id, "qty_used": 0}), "qty_used"),
        (json!({"inv_id": id, "qty_used": "-1"}), "qty_used"),
        (json!({"inv_id": id, "qty_used": "x"}), "qty_used"),
        (json!({"inv_id": id}), "qty_used"),
        (json!({"qty_used": 1}), "inv_id"),
        (
            json!({"inv_id": id, "qty_used": 1, "used_on": "2026-11-26"}),
            "used_on",
        ),
        (
            json!({"inv_id": id, "qty_used": 1, "used_on": "26/11/2026"}),
            "used_on",
        ),
        (
            json!({"inv_id": id, "qty_used": 1, "used_on": "2026-13-01"}),
            "used_on",
        ),
    ] {
        let resp = owner.post("/core/forecast/usage", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    let viewer = app.member("vic", Role::Viewer).await;
    viewer
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": id, "qty_used": 1}),
        )
        .await
        .expect_problem(403);
    assert_eq!(app.count("usage_events", "1 = 1").await, 1);
}

async fn item_forecast_follows_the_formulas(app: TestApp) {
    let owner = app.owner();
    let id = item(&owner, "Coffee", "2").await;
    let quiet = owner.get(&format!("/core/forecast/inventory/{id}")).await;
    assert_eq!(
        quiet.expect(200),
        &json!({
            "inv_id": id, "name": "Coffee", "qty": "2", "window_days": 30,
            "burn_rate_per_day": "0.0000", "days_left": null, "depletion_date": null,
            "events_in_window": 0, "method": "window_average"
        })
    );
    log(&owner, &id, "1", "2026-11-25").await;
    log(&owner, &id, "1.5", "2026-11-10").await;
    log(&owner, &id, "0.5", "2026-11-10").await;
    // 3 used in 30 days: 0.1/day; 2 on hand: 20 days, gone on 2026-12-15.
    let f = owner.get(&format!("/core/forecast/inventory/{id}")).await;
    let f = f.expect(200);
    assert_eq!(f["burn_rate_per_day"], "0.1000");
    assert_eq!(f["days_left"], "20.00");
    assert_eq!(f["depletion_date"], "2026-12-15");
    assert_eq!(f["events_in_window"], 3);
    // 7-day window: 1 used → 0.1429/day (rounded), days left 14.00 from the exact rate.
    let f = owner
        .get(&format!("/core/forecast/inventory/{id}?window_days=7"))
        .await;
    let f = f.expect(200);
    assert_eq!(f["window_days"], 7);
    assert_eq!(f["burn_rate_per_day"], "0.1429");
    assert_eq!(f["days_left"], "14.00");
    assert_eq!(f["depletion_date"], "2026-12-09");
    assert_eq!(f["events_in_window"], 1);
    // 3-day window with 2 on hand and 1 used: 1/3 per day → 6.00 days; 1 on hand → 3.00.
    owner
        .patch(&format!("/core/inventory/{id}"), &json!({"qty": "1"}))
        .await
        .expect(200);
    let f = owner
        .get(&format!("/core/forecast/inventory/{id}?window_days=3"))
        .await;
    assert_eq!(f.body["burn_rate_per_day"], "0.3333");
    assert_eq!(f.body["days_left"], "3.00");
    assert_eq!(f.body["depletion_date"], "2026-11-28");
    // Rounding half-up from the exact value: 0.1 on hand, 0.3/day (0.9 in 3 days) → 0.33.
    let id2 = item(&owner, "Sugar", "0.1").await;
    log(&owner, &id2, "0.9", "2026-11-24").await;
    let f = owner
        .get(&format!("/core/forecast/inventory/{id2}?window_days=3"))
        .await;
    assert_eq!(f.body["burn_rate_per_day"], "0.3000");
    assert_eq!(f.body["days_left"], "0.33");
    assert_eq!(f.body["depletion_date"], "2026-11-25");
    owner
        .get("/core/forecast/inventory/missing")
        .await
        .expect_problem(404);
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    theirs
        .get(&format!("/core/forecast/inventory/{id}"))
        .await
        .expect_problem(404);
}

async fn window_boundary_is_exclusive_at_the_start(app: TestApp) {
    let owner = app.owner();
    let outside = item(&owner, "Outside", "1").await;
    let inside = item(&owner, "Inside", "1").await;
    // Today 2026-11-25, 30-day window (2026-10-26, 2026-11-25].
    log(&owner, &outside, "1", "2026-10-26").await;
    log(&owner, &inside, "1", "2026-10-27").await;
    let out = owner
        .get(&format!("/core/forecast/inventory/{outside}"))
        .await;
    assert_eq!(out.body["events_in_window"], 0);
    assert_eq!(out.body["days_left"], Value::Null);
    let inn = owner
        .get(&format!("/core/forecast/inventory/{inside}"))
        .await;
    assert_eq!(inn.body["events_in_window"], 1);
    assert_eq!(inn.body["days_left"], "30.00");
    let rollup = owner.get("/core/forecast/rollup").await;
    assert_eq!(names(rollup.expect(200)), ["Inside"]);
    // A day later both have left the window.
    app.clock.advance(chrono::Duration::days(1));
    let rollup = owner.get("/core/forecast/rollup").await;
    assert_eq!(names(&rollup.body), Vec::<String>::new());
    // One day of window: only today counts.
    app.clock.advance(chrono::Duration::days(-1));
    log(&owner, &inside, "2", "2026-11-25").await;
    let one = owner
        .get(&format!("/core/forecast/inventory/{inside}?window_days=1"))
        .await;
    assert_eq!(one.body["burn_rate_per_day"], "2.0000");
    assert_eq!(one.body["days_left"], "0.50");
    assert_eq!(one.body["events_in_window"], 1);
}

async fn window_days_and_limit_are_validated(app: TestApp) {
    let owner = app.owner();
    let id = item(&owner, "Tea", "1").await;
    for query in [
        "window_days=0",
        "window_days=366",
        "window_days=abc",
        "window_days=-1",
    ] {
        let resp = owner
            .get(&format!("/core/forecast/inventory/{id}?{query}"))
            .await;
        assert_eq!(resp.expect_problem(400), ["window_days"], "{query}");
        let resp = owner.get(&format!("/core/forecast/rollup?{query}")).await;
        assert_eq!(resp.expect_problem(400), ["window_days"], "{query}");
    }
    for query in ["limit=0", "limit=501", "limit=x"] {
        let resp = owner.get(&format!("/core/forecast/rollup?{query}")).await;
        assert_eq!(resp.expect_problem(400), ["limit"], "{query}");
    }
    owner
        .get(&format!("/core/forecast/inventory/{id}?window_days=365"))
        .await
        .expect(200);
    let resp = owner
        .get("/core/forecast/rollup?limit=500&window_days=1")
        .await;
    assert_eq!(resp.expect(200)["window_days"], 1);
}

async fn rollup_orders_by_days_left_then_name(app: TestApp) {
    let owner = app.owner();
    // days left = qty × 30 / used
    for (name, qty, used) in [
        ("Rice", "10", "3"),   // 100.00
        ("beans", "1", "3"),   // 10.00
        ("Apples", "1", "3"),  // 10.00 (tie with beans → by name)
        ("Bread", "0.5", "3"), // 5.00
        ("Salt", "5", ""),     // no usage: left out
        ("Oil", "1", "0.9"),   // 33.33
    ] {
        let id = item(&owner, name, qty).await;
        if !used.is_empty() {
            log(&owner, &id, used, "2026-11-20").await;
        }
    }
    let rollup = owner.get("/core/forecast/rollup").await;
    let body = rollup.expect(200);
    assert_eq!(body["window_days"], 30);
    assert_eq!(names(body), ["Bread", "Apples", "beans", "Oil", "Rice"]);
    let days: Vec<_> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["days_left"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(days, ["5.00", "10.00", "10.00", "33.33", "100.00"]);
    assert_eq!(body["items"][0]["burn_rate_per_day"], "0.1000");
    assert_eq!(body["items"][0]["depletion_date"], "2026-11-30");
    assert_eq!(body["items"][0]["method"], "window_average");
    let top = owner.get("/core/forecast/rollup?limit=2").await;
    assert_eq!(names(&top.body), ["Bread", "Apples"]);
    // Same usage in a 10-day window: days left = qty × 10 / used.
    let ten = owner
        .get("/core/forecast/rollup?window_days=10&limit=1")
        .await;
    assert_eq!(ten.body["items"][0]["days_left"], "1.67");
    assert_eq!(ten.body["window_days"], 10);
}

async fn use_and_out_of_feed_the_forecast(app: TestApp) {
    let owner = app.owner();
    let milk = item(&owner, "Milk", "3").await;
    let eggs = item(&owner, "Eggs", "12").await;
    owner
        .post(&format!("/core/inventory/{milk}/use"), &json!({"qty": 1}))
        .await
        .expect(200);
    owner
        .post(
            &format!("/core/inventory/{eggs}/use"),
            &json!({"qty": 6, "used_on": "2026-11-01"}),
        )
        .await
        .expect(200);
    // Milk: 2 left, 1 used in 30 days → 60 days. Eggs: 6 left, 6 used → 30 days.
    let rollup = owner.get("/core/forecast/rollup").await;
    assert_eq!(names(&rollup.body), ["Eggs", "Milk"]);
    assert_eq!(rollup.body["items"][1]["days_left"], "60.00");
    // Running out logs the remaining 2 → 3 used, 0 left: 0 days, runs out today.
    owner
        .post_empty(&format!("/core/inventory/{milk}/out_of"))
        .await
        .expect(200);
    let f = owner.get(&format!("/core/forecast/inventory/{milk}")).await;
    assert_eq!(f.body["qty"], "0");
    assert_eq!(f.body["burn_rate_per_day"], "0.1000");
    assert_eq!(f.body["days_left"], "0.00");
    assert_eq!(f.body["depletion_date"], "2026-11-25");
    assert_eq!(f.body["events_in_window"], 2);
    let rollup = owner.get("/core/forecast/rollup").await;
    assert_eq!(names(&rollup.body), ["Milk", "Eggs"]);
}

async fn rollup_follows_every_change(app: TestApp) {
    let owner = app.owner();
    let a = item(&owner, "Alpha", "1").await;
    let b = item(&owner, "Beta", "2").await;
    log(&owner, &a, "3", "2026-11-24").await;
    log(&owner, &b, "3", "2026-11-24").await;
    assert_eq!(
        names(&owner.get("/core/forecast/rollup").await.body),
        ["Alpha", "Beta"]
    );
    // Restock changes the order.
    owner
        .post(&format!("/core/inventory/{a}/restock"), &json!({"qty": 5}))
        .await
        .expect(200);
    assert_eq!(
        names(&owner.get("/core/forecast/rollup").await.body),
        ["Beta", "Alpha"]
    );
    // Renames show up.
    owner
        .patch(&format!("/core/inventory/{b}"), &json!({"name": "Gamma"}))
        .await
        .expect(200);
    assert_eq!(
        names(&owner.get("/core/forecast/rollup").await.body),
        ["Gamma", "Alpha"]
    );
    // More usage (backdated) counts.
    log(&owner, &a, "30", "2026-11-01").await;
    let rollup = owner.get("/core/forecast/rollup").await;
    assert_eq!(names(&rollup.body), ["Alpha", "Gamma"]);
    assert_eq!(rollup.body["items"][0]["days_left"], "5.45");
    // Deleted items leave.
    owner
        .delete(&format!("/core/inventory/{a}"))
        .await
        .expect(204);
    assert_eq!(
        names(&owner.get("/core/forecast/rollup").await.body),
        ["Gamma"]
    );
    // Time passing moves the window: 40 days later nothing is in it.
    app.clock.advance(chrono::Duration::days(40));
    assert!(names(&owner.get("/core/forecast/rollup").await.body).is_empty());
    // Other households see nothing of ours.
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    app.clock.advance(chrono::Duration::days(-40));
    assert!(names(&theirs.get("/core/forecast/rollup").await.body).is_empty());
}

async fn rollup_sees_writes_made_by_another_server(app: TestApp) {
    use valhalla::forecast::model::{UsageEvent, UsageSource};
    let owner = app.owner();
    let id = item(&owner, "Flour", "2").await;
    assert!(names(&owner.get("/core/forecast/rollup").await.body).is_empty());
    // Another process writes straight to the database (as a second server node would).
    let household: String = {
        use sqlx::Row;
        sqlx::query("SELECT household_id FROM inventory_items WHERE id = $1")
            .bind(&id)
            .fetch_one(app.db().pool())
            .await
            .unwrap()
            .try_get("household_id")
            .unwrap()
    };
    let mut tx = app.db().begin().await.unwrap();
    valhalla::forecast::store::insert_usage(
        tx.conn(),
        &household,
        &UsageEvent {
            id: valhalla::domain::new_id(),
            inv_id: id.clone(),
            qty_used: valhalla::domain::Qty::parse("6").unwrap(),
            used_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            notes: None,
            source: UsageSource::Manual,
            created_at: "2026-11-25T12:00:00.000000Z".into(),
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let rollup = owner.get("/core/forecast/rollup").await;
    assert_eq!(names(&rollup.body), ["Flour"]);
    assert_eq!(rollup.body["items"][0]["days_left"], "10.00");
}

async fn today_is_the_households_local_date(app: TestApp) {
    let owner = app.owner();
    // 12:00 UTC on 2026-11-25 is already 2026-11-26 in Kiritimati (UTC+14).
    owner
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Pacific/Kiritimati"}),
        )
        .await
        .expect(200);
    let id = item(&owner, "Kava", "1").await;
    let event = log(&owner, &id, "1", "2026-11-26").await;
    assert_eq!(event["used_on"], "2026-11-26");
    let resp = owner
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": id, "qty_used": 1, "used_on": "2026-11-27"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["used_on"]);
    let default_day = owner
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": id, "qty_used": 1}),
        )
        .await;
    assert_eq!(default_day.expect(201)["used_on"], "2026-11-26");
    let f = owner
        .get(&format!("/core/forecast/inventory/{id}?window_days=1"))
        .await;
    assert_eq!(f.body["events_in_window"], 2);
    assert_eq!(f.body["depletion_date"], "2026-11-26");
}

async fn concurrent_usage_writes_all_land_once(app: TestApp) {
    let owner = app.owner();
    let id = item(&owner, "Water", "100").await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let owner = owner.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            // Every fourth request is retried with its key: it must take effect once.
            let key = format!("k-{}", i / 2);
            let mut req = owner.request(reqwest::Method::POST, "/core/forecast/usage");
            if i % 4 < 2 {
                req = req.header("idempotency-key", &key);
            }
            req.json(&json!({"inv_id": id, "qty_used": "0.5"}))
                .send()
                .await
        }));
    }
    let mut created = 0;
    for t in tasks {
        let resp = t.await.unwrap();
        assert!(resp.status == 201 || resp.status == 409, "{}", resp.text);
        if resp.status == 201 {
            created += 1;
        }
    }
    assert!(created >= 48);
    // 32 requests without keys + 16 distinct keys = 48 events.
    assert_eq!(app.count("usage_events", "1 = 1").await, 48);
    let f = owner
        .get(&format!("/core/forecast/inventory/{id}?window_days=1"))
        .await;
    assert_eq!(f.body["events_in_window"], 48);
    assert_eq!(f.body["burn_rate_per_day"], "24.0000");
    // A bad item in the middle of a batch fails alone.
    let mut tasks = Vec::new();
    for i in 0..16 {
        let owner = owner.clone();
        let target = if i == 7 {
            "missing".to_string()
        } else {
            id.clone()
        };
        tasks.push(tokio::spawn(async move {
            owner
                .post(
                    "/core/forecast/usage",
                    &json!({"inv_id": target, "qty_used": 1}),
                )
                .await
                .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 15);
    assert_eq!(app.count("usage_events", "1 = 1").await, 63);
}

async fn usage_log_lists_newest_first(app: TestApp) {
    let owner = app.owner();
    let a = item(&owner, "A", "1").await;
    let b = item(&owner, "B", "1").await;
    log(&owner, &a, "1", "2026-11-01").await;
    log(&owner, &b, "2", "2026-11-20").await;
    log(&owner, &a, "3", "2026-11-10").await;
    let all = owner.get("/core/forecast/usage").await;
    let qtys: Vec<_> = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["qty_used"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(qtys, ["2", "3", "1"]);
    let only_a = owner
        .get(&format!("/core/forecast/usage?inv_id={a}&limit=1"))
        .await;
    assert_eq!(only_a.body["items"][0]["qty_used"], "3");
    let cursor = only_a.body["next_cursor"].as_str().unwrap();
    let next = owner
        .get(&format!(
            "/core/forecast/usage?inv_id={a}&limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(next.body["items"][0]["qty_used"], "1");
    assert_eq!(next.body["next_cursor"], Value::Null);
}
