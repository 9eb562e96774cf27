//! The ops board (SPEC §13): every key, with values, and every list bounded.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::util::{Client, TestApp};
use valhalla::domain::Role;

backend_tests!(
    board_shows_the_household_at_a_glance,
    board_lists_are_bounded
);

fn names(list: &Value, key: &str) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v[key].as_str().unwrap().to_string())
        .collect()
}

async fn board(client: &Client) -> Value {
    client.get("/core/ops_board").await.expect(200).clone()
}

async fn board_shows_the_household_at_a_glance(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("alex", Role::Adult).await;
    owner
        .patch(
            "/core/household/settings",
            &json!({"min_cash_buffer": "100"}),
        )
        .await
        .expect(200);
    // Stock: two low items, one fine; usage makes a forecast.
    let coffee = owner
        .create_item(json!({"name": "Coffee", "qty": 1, "min_qty": 2}))
        .await;
    owner
        .create_item(json!({"name": "Apples", "qty": 0, "min_qty": 1}))
        .await;
    let rice = owner
        .create_item(json!({"name": "Rice", "qty": 10, "min_qty": 1}))
        .await;
    for (item, qty) in [(&coffee, "0.5"), (&rice, "2")] {
        owner
            .post(
                "/core/forecast/usage",
                &json!({"inv_id": item["id"], "qty_used": qty, "used_on": "2026-11-20"}),
            )
            .await
            .expect(201);
    }
    // Shopping: two open items, one cancelled.
    owner
        .post_empty("/core/shopping/quick_add?name=Milk&est_total=1.20")
        .await
        .expect(201);
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Eggs", "qty": 2, "est_unit_cost": "2.15"}),
        )
        .await
        .expect(201);
    let gone = owner
        .post_empty("/core/shopping/quick_add?name=Gone&est_total=9")
        .await
        .expect(201)
        .clone();
    owner
        .post_empty(&format!(
            "/core/shopping/{}/cancel",
            gone["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    // Bills: overdue, due within 14 days, later, and paid.
    for (name, due) in [
        ("Water", "2026-11-20"),
        ("Power", "2026-12-09"),
        ("Insurance", "2026-12-10"),
    ] {
        owner
            .post(
                "/core/bills",
                &json!({"name": name, "amount": "50", "due_on": due}),
            )
            .await
            .expect(201);
    }
    let paid = owner
        .post(
            "/core/bills",
            &json!({"name": "Paid one", "amount": "5", "due_on": "2026-11-30"}),
        )
        .await
        .expect(201)
        .clone();
    owner
        .post(
            &format!("/core/bills/{}/paid", paid["id"].as_str().unwrap()),
            &json!({}),
        )
        .await
        .expect(200);
    // Schedule: within the week and after it.
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Dentist", "kind": "appointment", "date": "2026-11-27"}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Bins", "kind": "chore", "date": "2026-11-23", "rrule": "FREQ=WEEKLY"}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Far away", "kind": "other", "date": "2026-12-02"}),
        )
        .await
        .expect(201);
    // Money: income, a receipt in a budgeted category.
    owner
        .post(
            "/core/ledger",
            &json!({"kind": "income", "amount": "1000", "date": "2026-11-01", "category": "salary"}),
        )
        .await
        .expect(201);
    owner
        .request(reqwest::Method::PUT, "/core/budget/categories/groceries")
        .json(&json!({"monthly_limit": "300"}))
        .send()
        .await
        .expect(200);
    owner
        .post(
            "/core/receipts",
            &json!({"vendor": "Market", "amount": "42.10", "date": "2026-11-24", "category": "groceries"}),
        )
        .await
        .expect(201);
    // Approvals: one pending, one decided.
    let pending = adult
        .post(
            "/core/approvals",
            &json!({"title": "New sofa", "action": "shopping.bought", "target_type": "shopping_item", "target_id": "s1", "payload": {}}),
        )
        .await
        .expect(201)
        .clone();
    let decided = adult
        .post(
            "/core/approvals",
            &json!({"title": "Old lamp", "action": "shopping.bought", "target_type": "shopping_item", "target_id": "s2", "payload": {}}),
        )
        .await
        .expect(201)
        .clone();
    owner
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=deny",
            decided["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    // Heimdall: one action in the log.
    owner
        .post(
            "/core/heimdall/do",
            &json!({"action": "bills.push_reminders", "mode": "explore", "params": {}}),
        )
        .await
        .expect(200);

    let viewer = app.member("vic", Role::Viewer).await;
    let b = board(&viewer).await;
    let keys: Vec<&String> = b.as_object().unwrap().keys().collect();
    for key in [
        "generated_at",
        "low_stock",
        "forecast_rollup",
        "shopping_open",
        "shopping_est_total",
        "bills_due",
        "schedule_upcoming",
        "approvals_pending",
        "heimdall_actions",
        "budget",
        "cash_balance",
        "inbox_count",
    ] {
        assert!(b.get(key).is_some(), "missing {key}: {keys:?}");
    }
    assert_eq!(b["generated_at"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(b["today"], "2026-11-25");
    assert_eq!(names(&b["low_stock"], "name"), ["Apples", "Coffee"]);
    assert_eq!(b["low_stock_count"], 2);
    let rollup = b["forecast_rollup"].as_array().unwrap();
    assert_eq!(names(&b["forecast_rollup"], "name"), ["Coffee", "Rice"]);
    // Coffee: 1 left, 0.5 used in 30 days → 60 days.
    assert_eq!(rollup[0]["days_left"], "60.00");
    assert_eq!(rollup[1]["days_left"], "150.00");
    assert_eq!(names(&b["shopping_open"], "name"), ["Milk", "Eggs"]);
    assert_eq!(b["shopping_open_count"], 2);
    assert_eq!(b["shopping_est_total"], "5.50");
    assert_eq!(names(&b["bills_due"], "name"), ["Water", "Power"]);
    assert_eq!(b["bills_due"][0]["overdue"], true);
    let upcoming: Vec<(String, String)> = b["schedule_upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["date"].as_str().unwrap().to_string(),
                o["title"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        upcoming,
        [
            ("2026-11-27".to_string(), "Dentist".to_string()),
            ("2026-11-30".to_string(), "Bins".to_string())
        ]
    );
    assert_eq!(
        names(&b["approvals_pending"], "id"),
        [pending["id"].as_str().unwrap()]
    );
    assert_eq!(b["heimdall_actions"][0]["action"], "bills.push_reminders");
    assert_eq!(b["heimdall_actions"].as_array().unwrap().len(), 1);
    assert_eq!(b["budget"]["month"], "2026-11");
    let groceries = b["budget"]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "groceries")
        .unwrap()
        .clone();
    assert_eq!(groceries["spent"], "42.10");
    assert_eq!(groceries["remaining"], "257.90");
    assert_eq!(b["budget"]["min_cash_buffer"], "100.00");
    // 1000 in, 42.10 (receipt) and 5 (paid bill) out.
    assert_eq!(b["cash_balance"], "952.90");
    // The pending approval and the pushed reminder of the overdue bill.
    assert_eq!(b["inbox_count"], 2);

    // Another household's board holds none of it; no token, no board.
    let stranger = app.member_of("Elsewhere", "sam", Role::Owner).await;
    let theirs = board(&stranger).await;
    assert_eq!(theirs["low_stock"], json!([]));
    assert_eq!(theirs["shopping_est_total"], "0.00");
    assert_eq!(theirs["inbox_count"], 0);
    assert_eq!(theirs["cash_balance"], "0.00");
    app.anonymous()
        .get("/core/ops_board")
        .await
        .expect_problem(401);
}

async fn board_lists_are_bounded(app: TestApp) {
    let owner = app.owner();
    for n in 0..55 {
        owner
            .create_item(json!({"name": format!("Item {n:02}"), "qty": 0, "min_qty": 1}))
            .await;
    }
    for n in 0..52 {
        owner
            .post_empty(&format!(
                "/core/shopping/quick_add?name=thing{n}&est_total=0.10"
            ))
            .await
            .expect(201);
    }
    for n in 0..22 {
        owner
            .post(
                "/core/heimdall/do",
                &json!({"action": "budget.impact", "mode": "explore", "params": {"amount": n + 1}}),
            )
            .await
            .expect(200);
    }
    let b = board(&owner).await;
    assert_eq!(b["low_stock"].as_array().unwrap().len(), 50);
    assert_eq!(b["low_stock_count"], 55);
    assert_eq!(b["low_stock"][0]["name"], "Item 00");
    assert_eq!(b["shopping_open"].as_array().unwrap().len(), 50);
    assert_eq!(b["shopping_open_count"], 52);
    assert_eq!(b["shopping_est_total"], "5.20");
    let actions = b["heimdall_actions"].as_array().unwrap();
    assert_eq!(actions.len(), 20);
    assert_eq!(actions[0]["seq"], 22, "newest first");
}
