//! The shopping list's generators (SPEC §5): from low stock and from upcoming needs, their
//! horizons and limits, and the dedupe that the database enforces even under concurrency.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::shopping::{add, generate_inventory, generate_needs, id_of, mark_bought, names, need};
use crate::util::{Client, Resp, TestApp};

backend_tests!(
    generate_from_inventory_once_per_low_item,
    generate_from_needs_horizon_boundary,
    generate_from_needs_dedupes_by_occurrence_and_name,
    generate_from_needs_honours_limit_and_checks_parameters,
    bought_or_cancelled_items_do_not_block,
    concurrent_generate_from_needs_creates_each_item_once,
    concurrent_generate_from_inventory_creates_each_item_once,
    database_refuses_a_second_open_item_for_the_same_thing,
    deleting_linked_records_keeps_items,
);

async fn generate_from_inventory_once_per_low_item(app: TestApp) {
    let owner = app.owner();
    let coffee = owner
        .create_item(
            json!({"name": "Coffee", "qty": 0, "min_qty": 1, "reorder_qty": 3,
                            "unit": "bag", "category": "pantry", "est_unit_cost": "7.99"}),
        )
        .await;
    let tea = owner
        .create_item(json!({"name": "Tea", "qty": "0.5", "min_qty": "0.5"}))
        .await;
    owner
        .create_item(json!({"name": "Sugar", "qty": 2, "min_qty": 1}))
        .await;
    owner.create_item(json!({"name": "Salt", "qty": 0})).await;

    let first = generate_inventory(&owner).await;
    assert_eq!(first.body["skipped"], 0);
    assert_eq!(
        names(&first, "created"),
        ["Coffee", "Tea"],
        "low items, by name"
    );
    let created = &first.body["created"][0];
    assert_eq!(created["source"], "inventory");
    assert_eq!(created["inv_id"], coffee["id"]);
    assert_eq!(created["qty"], "3", "reorder_qty");
    assert_eq!(created["unit"], "bag");
    assert_eq!(created["category"], "pantry");
    assert_eq!(created["est_unit_cost"], "7.99");
    assert_eq!(created["est_total"], "23.97");
    assert_eq!(created["status"], "open");
    let tea_item = &first.body["created"][1];
    assert_eq!(tea_item["qty"], "1", "at least one unit is bought");
    assert_eq!(tea_item["inv_id"], tea["id"]);
    assert_eq!(tea_item["est_total"], Value::Null);

    let second = generate_inventory(&owner).await;
    assert_eq!(second.body, json!({"created": [], "skipped": 2}));

    // An open item of the same name (added by hand) stands for it too.
    owner
        .create_item(json!({"name": "Flour", "qty": 0, "min_qty": 1}))
        .await;
    add(&owner, json!({"name": "  FLOUR"})).await;
    let third = generate_inventory(&owner).await;
    assert_eq!(third.body, json!({"created": [], "skipped": 3}));
    let viewer = app.member("vera", Role::Viewer).await;
    viewer
        .post_empty("/core/shopping/generate_from_inventory")
        .await
        .expect_problem(403);
    owner
        .post_empty("/core/shopping/generate_from_inventory?limit=5")
        .await
        .expect_problem(400);
    assert_eq!(app.count("shopping_items", "source = 'inventory'").await, 2);
}

async fn generate_from_needs_horizon_boundary(app: TestApp) {
    let owner = app.owner();
    // Today is 2026-11-25.
    need(&owner, json!({"title": "Yesterday", "date": "2026-11-24"})).await;
    need(&owner, json!({"title": "Today", "date": "2026-11-25"})).await;
    need(&owner, json!({"title": "Edge", "date": "2026-12-02"})).await;
    need(&owner, json!({"title": "Beyond", "date": "2026-12-03"})).await;
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Chore", "kind": "chore", "date": "2026-11-26"}),
        )
        .await
        .expect(201);
    let week = generate_needs(&owner, "?within_days=7").await;
    assert_eq!(names(&week, "created"), ["Today", "Edge"]);
    assert_eq!(week.body["skipped"], 0);
    assert_eq!(week.body["created"][1]["need_date"], "2026-12-02");
    // Default horizon: the household's needs_horizon_days (30).
    let month = generate_needs(&owner, "").await;
    assert_eq!(names(&month, "created"), ["Beyond"]);
    assert_eq!(month.body["skipped"], 2);
    // A day later, "Today" is in the past, and a shorter horizon is a setting away.
    owner
        .patch(
            "/core/household/settings",
            &json!({"needs_horizon_days": 1}),
        )
        .await
        .expect(200);
    need(&owner, json!({"title": "Soon", "date": "2026-11-27"})).await;
    need(&owner, json!({"title": "Later", "date": "2026-11-28"})).await;
    app.clock.advance(chrono::Duration::days(1));
    let next_day = generate_needs(&owner, "").await;
    assert_eq!(names(&next_day, "created"), ["Soon"]);
    // within_days=0 means today only.
    let today_only = generate_needs(&owner, "?within_days=0").await;
    assert_eq!(today_only.body, json!({"created": [], "skipped": 0}));
}

async fn generate_from_needs_dedupes_by_occurrence_and_name(app: TestApp) {
    let owner = app.owner();
    let shop = need(
        &owner,
        json!({"title": "Weekly shop", "date": "2026-11-28", "rrule": "FREQ=WEEKLY;BYDAY=SA",
               "item_name": "Oat milk", "qty": 2, "est_unit_cost": "1.10"}),
    )
    .await;
    add(&owner, json!({"name": "  BREAD   rolls "})).await;
    need(
        &owner,
        json!({"title": "bread rolls", "date": "2026-12-01"}),
    )
    .await;
    let first = generate_needs(&owner, "?within_days=30").await;
    // Four Saturdays in the horizon, one open item for the name; bread is already open.
    assert_eq!(first.body["skipped"], 4);
    let created = first.body["created"].as_array().unwrap();
    assert_eq!(created.len(), 1);
    let milk = &created[0];
    assert_eq!(
        milk,
        &json!({
            "id": milk["id"], "name": "Oat milk", "qty": "2", "unit": null,
            "est_unit_cost": "1.10", "est_total": "2.20", "category": null, "status": "open",
            "source": "needs", "inv_id": null, "schedule_event_id": shop["id"],
            "need_date": "2026-11-28", "approval_id": null, "actual_total": null,
            "bought_at": null, "receipt_id": null, "version": 1,
            "created_at": "2026-11-25T12:00:00.000000Z", "updated_at": "2026-11-25T12:00:00.000000Z"
        })
    );
    let second = generate_needs(&owner, "?within_days=30").await;
    assert_eq!(second.body, json!({"created": [], "skipped": 5}));
    assert_eq!(app.count("shopping_items", "source = 'needs'").await, 1);
    // A need linked to an inventory item that already has an open item is skipped too.
    let soap = owner
        .create_item(json!({"name": "Soap", "qty": 0, "min_qty": 1}))
        .await;
    generate_inventory(&owner).await;
    need(
        &owner,
        json!({"title": "Hand soap", "date": "2026-11-30", "inv_id": soap["id"]}),
    )
    .await;
    let third = generate_needs(&owner, "?within_days=30").await;
    assert_eq!(third.body, json!({"created": [], "skipped": 6}));
}

async fn generate_from_needs_honours_limit_and_checks_parameters(app: TestApp) {
    let owner = app.owner();
    for (name, date) in [
        ("E", "2026-11-30"),
        ("A", "2026-11-26"),
        ("D", "2026-11-29"),
        ("B", "2026-11-27"),
        ("C", "2026-11-28"),
    ] {
        need(&owner, json!({"title": name, "date": date})).await;
    }
    let first = generate_needs(&owner, "?limit=2").await;
    assert_eq!(names(&first, "created"), ["A", "B"], "earliest first");
    let second = generate_needs(&owner, "?limit=2").await;
    assert_eq!(names(&second, "created"), ["C", "D"]);
    assert_eq!(second.body["skipped"], 2);
    let third = generate_needs(&owner, "?limit=2").await;
    assert_eq!(names(&third, "created"), ["E"]);
    let fourth = generate_needs(&owner, "?limit=500&within_days=365").await;
    assert_eq!(fourth.body, json!({"created": [], "skipped": 5}));
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-1", "limit"),
        ("within_days=366", "within_days"),
        ("within_days=-1", "within_days"),
        ("within_days=soon", "within_days"),
        ("horizon=3", "horizon"),
    ] {
        let resp = owner
            .post_empty(&format!("/core/shopping/generate_from_needs?{query}"))
            .await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
    assert_eq!(app.count("shopping_items", "1 = 1").await, 5);
}

async fn bought_or_cancelled_items_do_not_block(app: TestApp) {
    let owner = app.owner();
    let eggs = need(&owner, json!({"title": "Eggs", "date": "2026-11-30"})).await;
    let first = generate_needs(&owner, "").await;
    let item = id_of(&first.body["created"][0]);
    owner
        .post_empty(&format!("/core/shopping/{item}/cancel"))
        .await
        .expect(200);
    let again = generate_needs(&owner, "").await;
    assert_eq!(names(&again, "created"), ["Eggs"]);
    assert_eq!(again.body["created"][0]["schedule_event_id"], eggs["id"]);
    mark_bought(&app, &id_of(&again.body["created"][0])).await;
    let third = generate_needs(&owner, "").await;
    assert_eq!(names(&third, "created"), ["Eggs"]);
    assert_eq!(
        app.count("shopping_items", "need_date = '2026-11-30'")
            .await,
        3
    );
    assert_eq!(app.count("shopping_items", "status = 'open'").await, 1);

    let flour = owner
        .create_item(json!({"name": "Flour", "qty": 0, "min_qty": 1}))
        .await;
    let first = generate_inventory(&owner).await;
    let item = id_of(&first.body["created"][0]);
    owner
        .post_empty(&format!("/core/shopping/{item}/cancel"))
        .await
        .expect(200);
    let again = generate_inventory(&owner).await;
    assert_eq!(again.body["created"][0]["inv_id"], flour["id"]);
    mark_bought(&app, &id_of(&again.body["created"][0])).await;
    let third = generate_inventory(&owner).await;
    assert_eq!(names(&third, "created"), ["Flour"]);
    assert_eq!(
        app.count("shopping_items", &format!("inv_id = '{}'", id_of(&flour)))
            .await,
        3
    );
}

/// Runs `path` from `n` tasks at once and returns every answer.
async fn concurrently(client: &Client, path: &str, n: usize) -> Vec<Resp> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            let path = path.to_string();
            tokio::spawn(async move { client.post_empty(&path).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

fn created_ids(answers: &[Resp]) -> Vec<String> {
    answers
        .iter()
        .flat_map(|r| {
            r.expect(200)["created"]
                .as_array()
                .unwrap()
                .iter()
                .map(id_of)
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn concurrent_generate_from_needs_creates_each_item_once(app: TestApp) {
    let owner = app.owner();
    for (name, date) in [
        ("Milk", "2026-11-26"),
        ("Bread", "2026-11-27"),
        ("Eggs", "2026-11-28"),
        ("Rice", "2026-12-01"),
        ("Soap", "2026-12-05"),
        ("Tea", "2026-12-20"),
    ] {
        need(&owner, json!({"title": name, "date": date})).await;
    }
    need(
        &owner,
        json!({"title": "Coffee", "date": "2026-11-28", "rrule": "FREQ=WEEKLY"}),
    )
    .await;
    let answers = concurrently(&owner, "/core/shopping/generate_from_needs", 8).await;
    let ids = created_ids(&answers);
    assert_eq!(ids.len(), 7, "each item created by exactly one call");
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 7);
    let skipped: u64 = answers
        .iter()
        .map(|r| r.body["skipped"].as_u64().unwrap())
        .sum();
    // 10 occurrences per call: 80 in all, 7 created.
    assert_eq!(skipped, 80 - 7);
    assert_eq!(app.count("shopping_items", "1 = 1").await, 7);
    assert_eq!(app.count("shopping_items", "name_key = 'coffee'").await, 1);
}

async fn concurrent_generate_from_inventory_creates_each_item_once(app: TestApp) {
    let owner = app.owner();
    for name in ["Coffee", "Tea", "Sugar", "Flour", "Oil"] {
        owner
            .create_item(json!({"name": name, "qty": 0, "min_qty": 1}))
            .await;
    }
    let answers = concurrently(&owner, "/core/shopping/generate_from_inventory", 8).await;
    assert_eq!(created_ids(&answers).len(), 5);
    assert_eq!(app.count("shopping_items", "1 = 1").await, 5);
    let mixed = {
        let needs = owner.clone();
        need(&owner, json!({"title": "Coffee", "date": "2026-11-26"})).await;
        need(&owner, json!({"title": "Honey", "date": "2026-11-26"})).await;
        let a =
            tokio::spawn(
                async move { needs.post_empty("/core/shopping/generate_from_needs").await },
            );
        let b = generate_inventory(&owner).await;
        (a.await.unwrap(), b)
    };
    assert_eq!(
        created_ids(&[mixed.0, mixed.1]).len(),
        1,
        "only Honey is new; Coffee is already open"
    );
    assert_eq!(app.count("shopping_items", "status = 'open'").await, 6);
}

async fn database_refuses_a_second_open_item_for_the_same_thing(app: TestApp) {
    let owner = app.owner();
    let oil = owner
        .create_item(json!({"name": "Oil", "qty": 0, "min_qty": 1}))
        .await;
    let event = need(&owner, json!({"title": "Candles", "date": "2026-11-30"})).await;
    generate_inventory(&owner).await;
    generate_needs(&owner, "").await;
    let household: String = {
        use sqlx::Row;
        sqlx::query("SELECT household_id FROM shopping_items LIMIT 1")
            .fetch_one(app.db().pool())
            .await
            .unwrap()
            .try_get("household_id")
            .unwrap()
    };
    let insert = |name: &str, source: &str, inv_id: Option<String>, event: Option<String>| {
        sqlx::query(
            "INSERT INTO shopping_items (household_id, id, name, name_key, qty, currency, status,
               source, inv_id, schedule_event_id, need_date, version, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 1000, 'USD', 'open', $5, $6, $7, $8, 1, 'x', 'x')",
        )
        .bind(household.clone())
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(name.to_string())
        .bind(name.to_lowercase())
        .bind(source.to_string())
        .bind(inv_id)
        .bind(event.clone())
        .bind(event.map(|_| "2026-11-30".to_string()))
        .execute(app.db().pool())
    };
    let is_unique = |result: Result<sqlx::any::AnyQueryResult, sqlx::Error>| {
        result
            .err()
            .and_then(|e| e.as_database_error().map(|d| d.is_unique_violation()))
            .unwrap_or(false)
    };
    assert!(is_unique(
        insert("Other oil", "manual", Some(id_of(&oil)), None).await
    ));
    assert!(is_unique(
        insert("Other", "needs", None, Some(id_of(&event))).await
    ));
    assert!(is_unique(insert("Candles", "preset", None, None).await));
    // Manual items may repeat a name on purpose; closed items never block.
    assert!(insert("Candles", "manual", None, None).await.is_ok());
    sqlx::query("UPDATE shopping_items SET status = 'cancelled' WHERE source = 'inventory'")
        .execute(app.db().pool())
        .await
        .unwrap();
    assert!(
        insert("Oil again", "inventory", Some(id_of(&oil)), None)
            .await
            .is_ok()
    );

    // The store's skip-on-duplicate insert, as a concurrent generator would reach it.
    use valhalla::domain::Qty;
    use valhalla::shopping::model::{ItemFields, NewShopping, Source};
    use valhalla::shopping::store::{OnDuplicate, insert_item};
    let mut tx = app.db().begin().await.unwrap();
    let candidate = NewShopping::new(
        ItemFields {
            name: "Oil".into(),
            qty: Qty::parse("1").unwrap(),
            unit: None,
            est_unit_cost: None,
            category: None,
            inv_id: Some(id_of(&oil)),
        },
        Source::Inventory,
    );
    let now = chrono::Utc::now();
    let usd = valhalla::domain::Currency::USD;
    let skipped = insert_item(
        tx.conn(),
        &household,
        &candidate,
        usd,
        now,
        OnDuplicate::Skip,
    )
    .await
    .unwrap();
    assert!(skipped.is_none());
    let failed = insert_item(
        tx.conn(),
        &household,
        &candidate,
        usd,
        now,
        OnDuplicate::Fail,
    )
    .await;
    assert!(valhalla::db::is_unique_violation(&failed.unwrap_err()));
    tx.rollback().await.unwrap();
}

async fn deleting_linked_records_keeps_items(app: TestApp) {
    let owner = app.owner();
    let rice = owner
        .create_item(json!({"name": "Rice", "qty": 0, "min_qty": 1}))
        .await;
    let event = need(&owner, json!({"title": "Cake", "date": "2026-11-30"})).await;
    let from_inventory = generate_inventory(&owner).await.body["created"][0].clone();
    let from_needs = generate_needs(&owner, "").await.body["created"][0].clone();
    owner
        .delete(&format!("/core/inventory/{}", id_of(&rice)))
        .await
        .expect(204);
    let kept = owner
        .get(&format!("/core/shopping/{}", id_of(&from_inventory)))
        .await;
    assert_eq!(kept.expect(200)["inv_id"], Value::Null);
    assert_eq!(kept.body["name"], "Rice");
    assert_eq!(kept.body["version"], 2);
    owner
        .delete(&format!("/core/schedule/{}", id_of(&event)))
        .await
        .expect(204);
    let kept = owner
        .get(&format!("/core/shopping/{}", id_of(&from_needs)))
        .await;
    assert_eq!(kept.expect(200)["schedule_event_id"], Value::Null);
    assert_eq!(kept.body["need_date"], "2026-11-30");
    assert_eq!(kept.body["status"], "open");
}
