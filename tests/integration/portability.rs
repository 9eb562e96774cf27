//! Backups and household export/import (SPEC §14).

use serde_json::{Value, json};
use valhalla::domain::Role;
use valhalla::portability::{HOUSEHOLD_TABLES, NOT_EXPORTED};

use crate::backend_tests;
use crate::util::{Backend, TestApp, fresh_database};

backend_tests!(
    every_table_is_exported_or_left_out_on_purpose,
    export_import_export_gives_the_same_document,
    backup_is_a_consistent_copy,
    an_export_of_the_earlier_usage_layout_imports,
);

fn valhalla(args: &[&str], db_url: &str) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_valhalla"))
        .env_remove("VALHALLA_DATA_DIR")
        .env("VALHALLA_DATABASE_URL", db_url)
        .env("VALHALLA_SCHEDULER", "off")
        .args(args)
        .output()
        .expect("run valhalla")
}

async fn every_table_is_exported_or_left_out_on_purpose(app: TestApp) {
    let mut conn = app.db().read().await.unwrap();
    let tables = app.db().table_names(&mut conn).await.unwrap();
    for table in &tables {
        assert!(
            HOUSEHOLD_TABLES.contains(&table.as_str()) || NOT_EXPORTED.contains(&table.as_str()),
            "table {table} is neither exported nor listed as left out"
        );
    }
    for table in HOUSEHOLD_TABLES {
        assert!(tables.iter().any(|t| t == table), "{table} does not exist");
    }
}

/// A household with something in every module.
async fn fill(app: &TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    // A webhook, so the approvals below leave deliveries in the outbox.
    owner
        .post(
            "/core/webhooks",
            &json!({"url": "https://example.org/hook", "events": ["approval.requested"]}),
        )
        .await
        .expect(201);
    let loc = owner
        .post("/core/inventory/locations", &json!({"name": "Pantry"}))
        .await
        .expect(201)
        .clone();
    let item = owner
        .create_item(json!({"name": "Flour", "qty": "2.5", "min_qty": 3, "location_id": loc["id"], "est_unit_cost": "1.99"}))
        .await;
    let id = item["id"].as_str().unwrap();
    owner
        .post(&format!("/core/inventory/{id}/use"), &json!({"qty": "0.5"}))
        .await
        .expect(200);
    owner.post("/core/schedule", &json!({"title": "Bake", "kind": "need", "date": "2026-11-30", "rrule": "FREQ=WEEKLY", "item_name": "Yeast"})).await.expect(201);
    owner.post_empty("/core/scheduler/tick").await.expect(200);
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Oven", "est_unit_cost": "450"}),
        )
        .await
        .expect(201);
    let requested = owner.post_empty("/core/shopping/request_approvals").await;
    let approval = requested.body["created"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    adult
        .post_empty(&format!(
            "/core/approvals/{approval}/decide?decision=approve&note=ok"
        ))
        .await
        .expect(200);
    owner
        .post(
            "/core/ledger",
            &json!({"kind": "income", "amount": "1000", "category": "salary", "memo": "pay"}),
        )
        .await
        .expect(201);
    owner
        .request(reqwest::Method::PUT, "/core/budget/categories/food")
        .json(&json!({"monthly_limit": "300"}))
        .send()
        .await
        .expect(200);
    let bill = owner.post("/core/bills", &json!({"name": "Rent", "amount": 500, "due_on": "2026-11-30", "rrule": "FREQ=MONTHLY"})).await.expect(201).clone();
    owner
        .post_empty(&format!(
            "/core/bills/{}/paid",
            bill["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let receipt = owner
        .post(
            "/core/receipts",
            &json!({"amount": "12.40", "vendor": "Baker", "tags": ["bread"]}),
        )
        .await
        .expect(201)
        .clone();
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend((0..3000u32).map(|i| (i % 251) as u8));
    owner
        .request(
            reqwest::Method::PUT,
            &format!(
                "/core/receipts/{}/attachment",
                receipt["id"].as_str().unwrap()
            ),
        )
        .raw("image/png", png)
        .send()
        .await
        .expect(200);
    owner
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .json(&json!({"approval_actions": ["shopping.quick_add"]}))
        .send()
        .await
        .expect(200);
    owner.post("/core/shopping/presets", &json!({"name": "Weekly", "items": [{"name": "Milk", "qty": 2, "est_unit_cost": "1.10"}]})).await.expect(201);
}

fn without_exported_at(mut doc: Value) -> Value {
    doc.as_object_mut().unwrap().remove("exported_at");
    doc
}

async fn export_import_export_gives_the_same_document(app: TestApp) {
    fill(&app).await;
    let first = valhalla(&["export", "--household", "Home"], &app.database_url);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let doc: Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(doc["format"], "valhalla-household-export");
    let tables = doc["tables"].as_object().unwrap();
    for table in [
        "households",
        "members",
        "inventory_items",
        "usage_events",
        "approvals",
        "heimdall_actions",
        "receipt_attachments",
        "ledger_entries",
        "bill_payments",
        "cone_policies",
        "shopping_preset_items",
        "scheduler_runs",
        "webhooks",
        "webhook_deliveries",
    ] {
        assert!(
            !tables[table].as_array().unwrap().is_empty(),
            "{table} is empty"
        );
    }
    assert!(
        !first.stdout.windows(9).any(|w| w == b"token_has"),
        "no token hashes"
    );
    assert_eq!(tables["members"].as_array().unwrap().len(), 2);

    // Import into an empty database, export again: the same document.
    let dir = tempfile::tempdir().unwrap();
    let other = fresh_database(app.backend, &dir).await;
    let path = dir.path().join("home.json");
    std::fs::write(&path, &first.stdout).unwrap();
    let imported = valhalla(&["import", &path.display().to_string()], &other);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let second = valhalla(&["export", "--household", "Home"], &other);
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let again: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(without_exported_at(again), without_exported_at(doc.clone()));
    // The copy works: its audit chain verifies, and a new token opens it.
    let verify = valhalla(&["audit", "verify"], &other);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    // A second import into the same database is refused, changing nothing.
    let twice = valhalla(&["import", &path.display().to_string()], &other);
    assert!(!twice.status.success());
    assert!(String::from_utf8_lossy(&twice.stderr).contains("already holds"));
    // Garbage is refused too.
    std::fs::write(&path, b"{\"format\": \"something else\"}").unwrap();
    assert!(
        !valhalla(&["import", &path.display().to_string()], &other)
            .status
            .success()
    );
}

/// An export from before usage events carried a change sequence (it holds the daily totals
/// table of that layout, and events without `seq`) still imports, and the forecast of the
/// imported household sees its usage.
async fn an_export_of_the_earlier_usage_layout_imports(app: TestApp) {
    let owner = app.owner();
    let milk = owner.create_item(json!({"name": "Milk", "qty": "6"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    for (qty, day) in [
        ("1", "2026-11-20"),
        ("2", "2026-11-24"),
        ("3", "2026-11-24"),
    ] {
        owner
            .post(
                "/core/forecast/usage",
                &json!({"inv_id": milk, "qty_used": qty, "used_on": day}),
            )
            .await
            .expect(201);
    }
    let expected = owner.get(&format!("/core/forecast/inventory/{milk}")).await;
    assert_eq!(expected.body["burn_rate_per_day"], "0.2000");
    assert_eq!(expected.body["events_in_window"], 3);
    assert_eq!(expected.body["days_left"], "30.00");

    let export = valhalla(&["export", "--household", "Home"], &app.database_url);
    assert!(export.status.success());
    let doc: Value = serde_json::from_slice(&export.stdout).unwrap();
    // The same household under another id and name, in the earlier layout.
    let old_id = doc["tables"]["households"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let new_id = uuid::Uuid::now_v7().to_string();
    let mut doc: Value = serde_json::from_str(
        &serde_json::to_string(&doc)
            .unwrap()
            .replace(&old_id, &new_id),
    )
    .unwrap();
    doc["tables"]["households"][0]["name"] = json!("Cabin");
    for event in doc["tables"]["usage_events"].as_array_mut().unwrap() {
        assert!(event.as_object_mut().unwrap().remove("seq").is_some());
    }
    doc["tables"]["usage_daily"] = json!([
        {"household_id": new_id, "inv_id": milk, "day": "2026-11-20", "qty_used": 1000, "events": 1, "seq": 2},
        {"household_id": new_id, "inv_id": milk, "day": "2026-11-24", "qty_used": 5000, "events": 2, "seq": 4},
    ]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cabin.json");
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    let imported = valhalla(&["import", &path.display().to_string()], &app.database_url);
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );

    let cabin = app.member_of("Cabin", "carl", Role::Owner).await;
    let forecast = cabin.get(&format!("/core/forecast/inventory/{milk}")).await;
    assert_eq!(forecast.body["burn_rate_per_day"], "0.2000");
    assert_eq!(forecast.body["events_in_window"], 3);
    assert_eq!(forecast.body["days_left"], "30.00");
    let rollup = cabin.get("/core/forecast/rollup").await;
    assert_eq!(rollup.body["items"][0]["inv_id"], milk.as_str());
    assert_eq!(rollup.body["items"][0]["days_left"], "30.00");
    // New usage on the copy is seen on top of the imported history.
    cabin
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": milk, "qty_used": "6", "used_on": "2026-11-25"}),
        )
        .await
        .expect(201);
    let rollup = cabin.get("/core/forecast/rollup").await;
    assert_eq!(rollup.body["items"][0]["days_left"], "15.00");
    assert_eq!(rollup.body["items"][0]["events_in_window"], 4);
}

async fn backup_is_a_consistent_copy(app: TestApp) {
    fill(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup");
    let out = valhalla(&["backup", &file.display().to_string()], &app.database_url);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(file.metadata().unwrap().len() > 0);
    // Not over an existing file.
    assert!(
        !valhalla(&["backup", &file.display().to_string()], &app.database_url)
            .status
            .success()
    );
    let restored_url = match app.backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rw", file.display()),
        Backend::Postgres => {
            let url = fresh_database(Backend::Postgres, &dir).await;
            let status = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &url])
                .arg(&file)
                .status()
                .unwrap();
            assert!(status.success());
            url
        }
    };
    let restored = valhalla::db::Db::connect(&restored_url).await.unwrap();
    for table in [
        "inventory_items",
        "usage_events",
        "heimdall_actions",
        "ledger_entries",
        "receipt_attachments",
    ] {
        use sqlx::Row;
        let count = |pool: sqlx::AnyPool| async move {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) AS n FROM {table}"
            )))
            .fetch_one(&pool)
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
        };
        assert_eq!(
            count(restored.pool().clone()).await,
            count(app.db().pool().clone()).await,
            "{table}"
        );
    }
    restored.close().await;
}
