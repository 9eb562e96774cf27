//! Heimdall (SPEC §10): guards, the cone, plan, the same gates as the direct routes, and the
//! tamper-evident log.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    guards_and_outcomes_are_logged,
    plan_changes_nothing_for_any_action,
    plan_then_do_agree,
    bought_through_heimdall_meets_the_same_gate,
    the_log_refuses_rewrites_and_verify_finds_tampering,
    deleting_an_entry_is_found,
    concurrent_calls_keep_the_chain_gapless,
    idempotent_do_and_the_registry,
);

async fn act(client: &Client, action: &str, mode: &str, params: Value) -> crate::util::Resp {
    client
        .post(
            "/core/heimdall/do",
            &json!({"action": action, "mode": mode, "params": params}),
        )
        .await
}

async fn log(client: &Client) -> Vec<Value> {
    client.get("/core/heimdall/actions?limit=500").await.body["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn guards_and_outcomes_are_logged(app: TestApp) {
    let owner = app.owner();
    owner
        .create_item(json!({"name": "Tea", "qty": 0, "min_qty": 1, "est_unit_cost": "3"}))
        .await;
    // Unknown action: 400, logged invalid.
    let unknown = act(&owner, "launch.rocket", "execute", json!({})).await;
    assert_eq!(unknown.expect_problem(400), ["action"]);
    assert_eq!(unknown.body["outcome"], "invalid");
    // An exec action in explore mode: 403 by the guard, logged denied.
    let guard = act(
        &owner,
        "shopping.quick_add",
        "explore",
        json!({"name": "x"}),
    )
    .await;
    guard.expect_problem(403);
    assert_eq!(guard.body["outcome"], "denied");
    // Bad parameters: 400 naming the parameter.
    let bad = act(&owner, "shopping.quick_add", "execute", json!({"name": ""})).await;
    assert_eq!(bad.expect_problem(400), ["params.name"]);
    let bad = act(&owner, "forecast.rollup", "execute", json!({"limit": 0})).await;
    assert_eq!(bad.expect_problem(400), ["params.limit"]);
    let bad = act(
        &owner,
        "shopping.generate_from_inventory",
        "execute",
        json!({"x": 1}),
    )
    .await;
    assert_eq!(bad.expect_problem(400), ["params.x"]);
    let bad = act(&owner, "forecast.rollup", "sometimes", json!({})).await;
    assert_eq!(bad.expect_problem(400), ["mode"]);
    // A safe action runs, in either mode, through the direct route's code.
    let ok = act(
        &owner,
        "shopping.generate_from_inventory",
        "execute",
        json!({}),
    )
    .await;
    let body = ok.expect(200);
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["created"][0]["name"], "Tea");
    assert_eq!(
        body["effects"][0],
        "add \"Tea\" to the shopping list (qty 1, est. 3.00)"
    );
    let ok_id = body["log_id"].as_str().unwrap().to_string();
    act(&owner, "forecast.rollup", "explore", json!({}))
        .await
        .expect(200);
    // The cone refuses a member paying a bill: 403 with the verdict.
    let member = app.member("mia", Role::Member).await;
    let bill = owner
        .post(
            "/core/bills",
            &json!({"name": "Power", "amount": 60, "due_on": "2026-12-01"}),
        )
        .await
        .expect(201)
        .clone();
    let refused = act(&member, "bills.paid", "execute", json!({"id": bill["id"]})).await;
    refused.expect_problem(403);
    assert_eq!(refused.body["verdict"]["band"], "red");
    assert_eq!(refused.body["outcome"], "denied");
    // A viewer may not run what needs a member.
    let viewer = app.member("vic", Role::Viewer).await;
    act(
        &viewer,
        "shopping.generate_from_inventory",
        "execute",
        json!({}),
    )
    .await
    .expect_problem(403);
    act(&viewer, "forecast.rollup", "execute", json!({}))
        .await
        .expect(200);
    // An unknown target: 400/404 naming params.id, logged invalid.
    let missing = act(&owner, "inventory.out_of", "execute", json!({"id": "nope"})).await;
    assert_eq!(missing.expect_problem(404), ["params.id"]);
    assert_eq!(missing.body["outcome"], "invalid");

    let entries = log(&owner).await;
    let summary: Vec<(String, String, String)> = entries
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_string(),
                e["outcome"].as_str().unwrap().to_string(),
                e["actor"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let s = |a: &str, o: &str, who: &str| (a.to_string(), o.to_string(), who.to_string());
    assert_eq!(
        summary,
        [
            s("launch.rocket", "invalid", "owner"),
            s("shopping.quick_add", "denied", "owner"),
            s("shopping.quick_add", "invalid", "owner"),
            s("forecast.rollup", "invalid", "owner"),
            s("shopping.generate_from_inventory", "invalid", "owner"),
            s("forecast.rollup", "invalid", "owner"),
            s("shopping.generate_from_inventory", "ok", "owner"),
            s("forecast.rollup", "ok", "owner"),
            s("bills.paid", "denied", "mia"),
            s("shopping.generate_from_inventory", "denied", "vic"),
            s("forecast.rollup", "ok", "vic"),
            s("inventory.out_of", "invalid", "owner"),
        ]
    );
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=12).rev().collect::<Vec<_>>(),
        "newest first, gapless"
    );
    let ok_entry = entries.iter().find(|e| e["id"] == ok_id.as_str()).unwrap();
    assert_eq!(ok_entry["mode"], "execute");
    assert_eq!(ok_entry["params"], json!({}));
    assert!(ok_entry["detail"].as_str().unwrap().contains("Tea"));
    assert_eq!(entries[0]["prev_hash"], entries[1]["hash"]);
    let verify = owner.get("/core/heimdall/actions/verify").await;
    assert_eq!(verify.body["ok"], true);
    assert_eq!(verify.body["entries"], 12);
    assert_eq!(verify.body["head_hash"], entries[0]["hash"]);
    // Another household sees none of it.
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    assert!(log(&theirs).await.is_empty());
    assert_eq!(
        theirs.get("/core/heimdall/actions/verify").await.body["entries"],
        0
    );
}

/// Row counts of every table plus a few mutable columns: equal before and after = unchanged.
async fn fingerprint(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for table in [
        "inventory_items",
        "usage_events",
        "forecast_counters",
        "shopping_items",
        "schedule_events",
        "approvals",
        "ledger_entries",
        "bills",
        "bill_payments",
        "receipts",
        "heimdall_actions",
        "heimdall_heads",
        "idempotency_keys",
        "forecast_tombstones",
    ] {
        out.push(app.count(table, "1 = 1").await);
    }
    for (table, cond) in [
        ("inventory_items", "qty = 0"),
        ("shopping_items", "status = 'open'"),
        ("bills", "status = 'unpaid' AND due_on = '2026-12-01'"),
        ("approvals", "status = 'pending'"),
    ] {
        out.push(app.count(table, cond).await);
    }
    out
}

async fn plan_changes_nothing_for_any_action(app: TestApp) {
    let owner = app.owner();
    let stock = owner
        .create_item(json!({"name": "Rice", "qty": 2, "min_qty": 5, "est_unit_cost": "2"}))
        .await;
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Party", "kind": "need", "date": "2026-11-28", "item_name": "Cake"}),
        )
        .await
        .expect(201);
    let small = owner
        .post(
            "/core/shopping",
            &json!({"name": "Soap", "est_unit_cost": "3.00"}),
        )
        .await
        .expect(201)
        .clone();
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Sofa", "est_unit_cost": "600.00"}),
        )
        .await
        .expect(201);
    let bill = owner
        .post("/core/bills", &json!({"name": "Rent", "amount": 100, "due_on": "2026-12-01", "rrule": "FREQ=MONTHLY"}))
        .await
        .expect(201)
        .clone();
    let calls = [
        ("shopping.generate_from_inventory", json!({})),
        ("shopping.generate_from_needs", json!({"within_days": 10})),
        ("shopping.request_approvals", json!({})),
        ("budget.impact", json!({"amount": "50"})),
        ("forecast.rollup", json!({"limit": 5})),
        ("shopping.bought", json!({"id": small["id"]})),
        ("bills.paid", json!({"id": bill["id"]})),
        (
            "receipts.create",
            json!({"amount": "12.50", "vendor": "Baker"}),
        ),
        ("inventory.out_of", json!({"id": stock["id"]})),
        (
            "shopping.quick_add",
            json!({"name": "Milk", "est_total": "1.20"}),
        ),
    ];
    let before = fingerprint(&app).await;
    for (action, params) in calls {
        let plan = owner
            .post(
                "/core/heimdall/plan",
                &json!({"action": action, "params": params}),
            )
            .await;
        let body = plan.expect(200);
        assert_eq!(body["action"], action);
        assert_eq!(body["outcome"], "ok", "{action}: {body}");
        assert!(!body["effects"].as_array().unwrap().is_empty(), "{action}");
        assert_ne!(body["preview"], Value::Null, "{action}");
        assert_eq!(
            fingerprint(&app).await,
            before,
            "plan of {action} changed something"
        );
    }
    // Plans of refused calls say so, and change nothing either.
    let refused = owner
        .post(
            "/core/heimdall/plan",
            &json!({"action": "bills.paid", "params": {"id": bill["id"], "amount": "5000"}}),
        )
        .await;
    assert_eq!(refused.body["cone"]["band"], "red");
    assert_eq!(refused.body["outcome"], "denied");
    assert_eq!(refused.body["preview"], Value::Null);
    owner
        .post(
            "/core/heimdall/plan",
            &json!({"action": "nope", "params": {}}),
        )
        .await
        .expect_problem(400);
    assert_eq!(fingerprint(&app).await, before);
}

/// A value with the ids and instants that differ between two runs taken out.
fn without_ids(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            for key in [
                "id",
                "created_at",
                "updated_at",
                "receipt_id",
                "ledger_entry_id",
                "version",
            ] {
                map.remove(key);
            }
            for (_, value) in map.iter_mut() {
                *value = without_ids(value.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = without_ids(item.take());
            }
        }
        _ => {}
    }
    v
}

async fn plan_then_do_agree(app: TestApp) {
    let owner = app.owner();
    owner
        .create_item(json!({"name": "Oil", "qty": 0, "min_qty": 1, "est_unit_cost": "4"}))
        .await;
    owner
        .create_item(json!({"name": "Salt", "qty": 1, "min_qty": 1}))
        .await;
    let stock = owner.create_item(json!({"name": "Beans", "qty": 3})).await;
    let item = owner
        .post(
            "/core/shopping",
            &json!({"name": "Cheese", "est_unit_cost": "6.50", "inv_id": stock["id"]}),
        )
        .await
        .expect(201)
        .clone();
    let calls = [
        ("shopping.generate_from_inventory", json!({})),
        (
            "shopping.bought",
            json!({"id": item["id"], "vendor": "Market"}),
        ),
        ("inventory.out_of", json!({"id": stock["id"]})),
        (
            "shopping.quick_add",
            json!({"name": "Eggs", "est_total": 2}),
        ),
    ];
    for (action, params) in calls {
        let plan = owner
            .post(
                "/core/heimdall/plan",
                &json!({"action": action, "params": params.clone()}),
            )
            .await
            .expect(200)
            .clone();
        let done = act(&owner, action, "execute", params).await;
        let done = done.expect(200);
        assert_eq!(plan["effects"], done["effects"], "{action}");
        assert_eq!(
            without_ids(plan["preview"].clone()),
            without_ids(done["result"].clone()),
            "{action}"
        );
    }
}

async fn bought_through_heimdall_meets_the_same_gate(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    let tv = owner
        .post(
            "/core/shopping",
            &json!({"name": "TV", "est_unit_cost": "450.00"}),
        )
        .await
        .expect(201)
        .clone();
    // Default policy: the cone sees 450 ≥ 200 and wants an approval.
    let refused = act(
        &owner,
        "shopping.bought",
        "execute",
        json!({"id": tv["id"]}),
    )
    .await;
    refused.expect_problem(403);
    assert_eq!(refused.body["verdict"]["requires_approval"], true);
    // A lax policy lets the cone pass; the purchase gate still holds.
    owner
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .json(&json!({"yellow_at": "5000", "red_at": "9000"}))
        .send()
        .await
        .expect(200);
    let gated = act(
        &owner,
        "shopping.bought",
        "execute",
        json!({"id": tv["id"]}),
    )
    .await;
    gated.expect_problem(403);
    assert!(
        gated.body["type"]
            .as_str()
            .unwrap()
            .ends_with("approval-required")
    );
    assert_eq!(gated.body["outcome"], "denied");
    assert_eq!(
        owner
            .get(&format!("/core/shopping/{}", tv["id"].as_str().unwrap()))
            .await
            .body["status"],
        "open"
    );
    // With an approved approval it goes through, with receipt and ledger entry.
    let requested = act(&owner, "shopping.request_approvals", "execute", json!({})).await;
    let approval = requested.expect(200)["result"]["created"][0].clone();
    adult
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=approve",
            approval["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let bought = act(
        &owner,
        "shopping.bought",
        "execute",
        json!({"id": tv["id"]}),
    )
    .await;
    assert_eq!(bought.expect(200)["result"]["status"], "bought");
    assert_eq!(
        owner.get("/core/ledger/balance").await.body["cash_balance"],
        "-450.00"
    );
    let outcomes: Vec<String> = log(&owner)
        .await
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes, ["ok", "ok", "denied", "denied"]);
}

async fn make_entries(owner: &Client, n: usize) {
    for i in 0..n {
        act(
            owner,
            "shopping.quick_add",
            "execute",
            json!({"name": format!("item {i}")}),
        )
        .await
        .expect(200);
    }
}

async fn drop_log_triggers(app: &TestApp) {
    let statements: &[&str] = match app.backend {
        crate::util::Backend::Sqlite => &[
            "DROP TRIGGER heimdall_actions_no_update",
            "DROP TRIGGER heimdall_actions_no_delete",
        ],
        crate::util::Backend::Postgres => {
            &["DROP TRIGGER heimdall_actions_no_rewrite ON heimdall_actions"]
        }
    };
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(*sql))
            .execute(app.db().pool())
            .await
            .unwrap();
    }
}

async fn the_log_refuses_rewrites_and_verify_finds_tampering(app: TestApp) {
    let owner = app.owner();
    make_entries(&owner, 5).await;
    // The database refuses UPDATE and DELETE on the log.
    for sql in [
        "UPDATE heimdall_actions SET detail = 'nothing happened' WHERE seq = 2",
        "DELETE FROM heimdall_actions WHERE seq = 2",
    ] {
        let refused = sqlx::query(sql).execute(app.db().pool()).await;
        assert!(refused.is_err(), "{sql} must be refused");
    }
    assert_eq!(
        owner.get("/core/heimdall/actions/verify").await.body["ok"],
        true
    );
    // Someone with database rights drops the trigger and edits entry 3's params.
    drop_log_triggers(&app).await;
    sqlx::query("UPDATE heimdall_actions SET params = '{\"name\":\"a yacht\"}' WHERE seq = 3")
        .execute(app.db().pool())
        .await
        .unwrap();
    let verify = owner.get("/core/heimdall/actions/verify").await;
    let body = verify.expect(200);
    assert_eq!(body["ok"], false);
    assert_eq!(body["first_bad_seq"], 3);
    assert_eq!(body["entries"], 2);
    // The command line says the same and fails.
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_valhalla"));
    cmd.env_remove("VALHALLA_DATABASE_URL")
        .env_remove("VALHALLA_DATA_DIR");
    match app.backend {
        crate::util::Backend::Sqlite => {
            cmd.args(["--data-dir", &app.data_dir().display().to_string()])
        }
        crate::util::Backend::Postgres => cmd.args(["--database-url", &app.database_url]),
    };
    let out = cmd.args(["audit", "verify"]).output().unwrap();
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Home: BROKEN at seq 3"), "{stdout}");
}

async fn deleting_an_entry_is_found(app: TestApp) {
    let owner = app.owner();
    make_entries(&owner, 6).await;
    drop_log_triggers(&app).await;
    sqlx::query("DELETE FROM heimdall_actions WHERE seq = 4")
        .execute(app.db().pool())
        .await
        .unwrap();
    let verify = owner.get("/core/heimdall/actions/verify").await;
    assert_eq!(verify.body["ok"], false);
    assert_eq!(verify.body["first_bad_seq"], 4);
    // Cutting the tail is found too.
    sqlx::query("DELETE FROM heimdall_actions WHERE seq >= 4")
        .execute(app.db().pool())
        .await
        .unwrap();
    let verify = owner.get("/core/heimdall/actions/verify").await;
    assert_eq!(verify.body["ok"], false);
    assert_eq!(verify.body["first_bad_seq"], 4);
}

async fn concurrent_calls_keep_the_chain_gapless(app: TestApp) {
    let owner = app.owner();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            let (action, params) = if i % 2 == 0 {
                ("shopping.quick_add", json!({"name": format!("thing {i}")}))
            } else {
                ("forecast.rollup", json!({}))
            };
            act(&owner, action, "execute", params).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    let entries = log(&owner).await;
    let mut seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=16).collect::<Vec<_>>());
    let verify = owner.get("/core/heimdall/actions/verify").await;
    assert_eq!(verify.body["ok"], true);
    assert_eq!(verify.body["entries"], 16);
    assert_eq!(app.count("shopping_items", "1 = 1").await, 8);
}

async fn idempotent_do_and_the_registry(app: TestApp) {
    let owner = app.owner();
    let send = || {
        owner
            .request(reqwest::Method::POST, "/core/heimdall/do")
            .header("idempotency-key", "once")
            .json(&json!({"action": "shopping.quick_add", "mode": "execute", "params": {"name": "Jam"}}))
    };
    let first = send().send().await;
    let second = send().send().await;
    assert_eq!(first.expect(200), second.expect(200));
    assert_eq!(app.count("shopping_items", "1 = 1").await, 1);
    assert_eq!(app.count("heimdall_actions", "1 = 1").await, 1);
    let registry = owner.get("/core/heimdall/registry").await;
    let actions = registry.expect(200)["actions"].as_array().unwrap().clone();
    assert_eq!(actions.len(), 13);
    let bought = actions
        .iter()
        .find(|a| a["name"] == "shopping.bought")
        .unwrap();
    assert_eq!(bought["class"], "exec");
    assert!(bought["params_schema"]["properties"]["id"].is_object());
    let doc = owner.get("/openapi.json").await;
    let name = bought["params_schema_name"].as_str().unwrap();
    assert!(doc.body["components"]["schemas"][name].is_object());
}
