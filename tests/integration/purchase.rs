//! Buying behind the big-spend gate (SPEC §5 bought, request_approvals; issue pipeline).

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    low_stock_to_receipt_through_an_approval,
    threshold_boundary_is_exact,
    raising_the_amount_after_approval_closes_the_gate,
    bought_and_cancelled_items_cannot_be_bought,
    request_approvals_runs_once_per_item,
    bought_needs_an_amount_and_a_writer,
);

async fn shopping_item(client: &Client, name: &str, unit_cost: &str, qty: &str) -> Value {
    client
        .post(
            "/core/shopping",
            &json!({"name": name, "qty": qty, "est_unit_cost": unit_cost}),
        )
        .await
        .expect(201)
        .clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn low_stock_to_receipt_through_an_approval(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    // A low-stock item with a price: the generator puts 2 × 125.00 on the list.
    let stock = owner
        .create_item(
            json!({"name": "Printer ink", "qty": 0, "min_qty": 1, "reorder_qty": 2,
                            "est_unit_cost": "125.00", "category": "office"}),
        )
        .await;
    let generated = owner
        .post_empty("/core/shopping/generate_from_inventory")
        .await;
    let created = generated.expect(200)["created"].as_array().unwrap().clone();
    assert_eq!(created.len(), 1);
    let item = &created[0];
    assert_eq!(item["est_total"], "250.00");
    let item_id = id(item);
    assert_eq!(
        owner.get("/core/shopping/cost").await.body["needs_approval"],
        1
    );

    // Ask for approvals: one is created, linked from the item.
    let requested = owner.post_empty("/core/shopping/request_approvals").await;
    let body = requested.expect(200);
    assert_eq!(body["existing"], 0);
    let approval = body["created"][0].clone();
    assert_eq!(approval["action"], "shopping.bought");
    assert_eq!(approval["target_type"], "shopping_item");
    assert_eq!(approval["target_id"], item_id.as_str());
    assert_eq!(approval["payload"]["name"], "Printer ink");
    assert_eq!(approval["payload"]["est_total"], "250.00");
    assert_eq!(approval["amount"], "250.00");
    assert_eq!(approval["cone_band"], "yellow");
    assert_eq!(approval["status"], "pending");
    let linked = owner.get(&format!("/core/shopping/{item_id}")).await;
    assert_eq!(linked.body["approval_id"], approval["id"]);

    // Without the approval the gate holds: 403 approval-required, nothing changes.
    let refused = owner
        .post_empty(&format!("/core/shopping/{item_id}/bought"))
        .await;
    refused.expect_problem(403);
    assert!(
        refused.body["type"]
            .as_str()
            .unwrap()
            .ends_with("approval-required")
    );
    assert_eq!(refused.body["amount"], "250.00");
    assert_eq!(refused.body["threshold"], "200.00");
    assert_eq!(
        owner.get(&format!("/core/shopping/{item_id}")).await.body["status"],
        "open"
    );
    assert_eq!(app.count("receipts", "1 = 1").await, 0);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);

    // The requester may not approve; a second adult does.
    let path = format!(
        "/core/approvals/{}/decide",
        approval["id"].as_str().unwrap()
    );
    owner
        .post_empty(&format!("{path}?decision=approve"))
        .await
        .expect_problem(403);
    adult
        .post_empty(&format!("{path}?decision=approve"))
        .await
        .expect(200);
    assert_eq!(
        owner.get("/core/shopping/cost").await.body["needs_approval"],
        0
    );

    // Now it can be bought: receipt, ledger expense, restock, all at once.
    let bought = owner
        .post(
            &format!("/core/shopping/{item_id}/bought"),
            &json!({"vendor": "Office World", "payment_method": "card"}),
        )
        .await;
    let item = bought.expect(200);
    assert_eq!(item["status"], "bought");
    assert_eq!(item["bought_at"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(item["approval_id"], approval["id"]);
    let receipt_id = item["receipt_id"].as_str().unwrap();
    let receipt = owner.get(&format!("/core/receipts/{receipt_id}")).await;
    let receipt = receipt.expect(200);
    assert_eq!(receipt["amount"], "250.00");
    assert_eq!(receipt["vendor"], "Office World");
    assert_eq!(receipt["category"], "office");
    assert_eq!(receipt["payment_method"], "card");
    assert_eq!(receipt["shopping_item_id"], item_id.as_str());
    assert_eq!(receipt["ledger_status"], "posted");
    let balance = owner.get("/core/ledger/balance").await;
    assert_eq!(balance.body["cash_balance"], "-250.00");
    let stock_now = owner.get(&format!("/core/inventory/{}", id(&stock))).await;
    assert_eq!(stock_now.body["qty"], "2");
    assert_eq!(stock_now.body["low_stock"], false);
}

async fn threshold_boundary_is_exact(app: TestApp) {
    let owner = app.owner();
    let under = shopping_item(&owner, "Chair", "199.99", "1").await;
    owner
        .post_empty(&format!("/core/shopping/{}/bought", id(&under)))
        .await
        .expect(200);
    let at = shopping_item(&owner, "Desk", "200.00", "1").await;
    let resp = owner
        .post_empty(&format!("/core/shopping/{}/bought", id(&at)))
        .await;
    resp.expect_problem(403);
    assert!(
        resp.body["type"]
            .as_str()
            .unwrap()
            .ends_with("approval-required")
    );
    // An actual total above the estimate counts too.
    let cheap = shopping_item(&owner, "Rug", "50.00", "1").await;
    let resp = owner
        .post(
            &format!("/core/shopping/{}/bought", id(&cheap)),
            &json!({"actual_total": "200"}),
        )
        .await;
    resp.expect_problem(403);
    // qty × unit cost is what counts: 2 × 100.00.
    let pair = shopping_item(&owner, "Speakers", "100.00", "2").await;
    owner
        .post_empty(&format!("/core/shopping/{}/bought", id(&pair)))
        .await
        .expect_problem(403);
    assert_eq!(app.count("receipts", "1 = 1").await, 1);
    assert_eq!(
        owner.get("/core/ledger/balance").await.body["cash_balance"],
        "-199.99"
    );
    // The household threshold is the boundary.
    owner
        .patch(
            "/core/household/settings",
            &json!({"big_spend_threshold": "500"}),
        )
        .await
        .expect(200);
    owner
        .post_empty(&format!("/core/shopping/{}/bought", id(&at)))
        .await
        .expect(200);
}

async fn raising_the_amount_after_approval_closes_the_gate(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    let tv = shopping_item(&owner, "TV", "400.00", "1").await;
    let tv_id = id(&tv);
    let created = owner.post_empty("/core/shopping/request_approvals").await;
    let approval_id = created.body["created"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    adult
        .post_empty(&format!(
            "/core/approvals/{approval_id}/decide?decision=approve"
        ))
        .await
        .expect(200);
    // Paying more than approved needs a new approval.
    owner
        .post(
            &format!("/core/shopping/{tv_id}/bought"),
            &json!({"actual_total": "450.00"}),
        )
        .await
        .expect_problem(403);
    // So does raising the estimate.
    owner
        .patch(
            &format!("/core/shopping/{tv_id}"),
            &json!({"est_unit_cost": "420.00"}),
        )
        .await
        .expect(200);
    owner
        .post_empty(&format!("/core/shopping/{tv_id}/bought"))
        .await
        .expect_problem(403);
    // request_approvals sees the approval no longer covers the item and asks again.
    let again = owner.post_empty("/core/shopping/request_approvals").await;
    assert_eq!(again.body["existing"], 0);
    let second = again.body["created"][0].clone();
    assert_eq!(second["amount"], "420.00");
    adult
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=approve",
            second["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    // Paying less than approved is fine.
    let bought = owner
        .post(
            &format!("/core/shopping/{tv_id}/bought"),
            &json!({"actual_total": "399.00"}),
        )
        .await;
    assert_eq!(bought.expect(200)["actual_total"], "399.00");
    assert_eq!(bought.body["approval_id"], second["id"]);
    assert_eq!(
        owner.get("/core/ledger/balance").await.body["cash_balance"],
        "-399.00"
    );
}

async fn bought_and_cancelled_items_cannot_be_bought(app: TestApp) {
    let owner = app.owner();
    let milk = shopping_item(&owner, "Milk", "1.20", "2").await;
    let path = format!("/core/shopping/{}/bought", id(&milk));
    owner.post_empty(&path).await.expect(200);
    owner.post_empty(&path).await.expect_problem(409);
    let bread = shopping_item(&owner, "Bread", "2.00", "1").await;
    owner
        .post_empty(&format!("/core/shopping/{}/cancel", id(&bread)))
        .await
        .expect(200);
    owner
        .post_empty(&format!("/core/shopping/{}/bought", id(&bread)))
        .await
        .expect_problem(409);
    owner
        .post_empty("/core/shopping/missing/bought")
        .await
        .expect_problem(404);
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    theirs
        .post_empty(&format!("/core/shopping/{}/bought", id(&bread)))
        .await
        .expect_problem(404);
    assert_eq!(app.count("receipts", "1 = 1").await, 1);
    assert_eq!(
        owner.get("/core/ledger/balance").await.body["cash_balance"],
        "-2.40"
    );
}

async fn request_approvals_runs_once_per_item(app: TestApp) {
    let owner = app.owner();
    shopping_item(&owner, "Sofa", "900.00", "1").await;
    shopping_item(&owner, "Lamp", "30.00", "1").await;
    shopping_item(&owner, "Bed", "600.00", "1").await;
    let first = owner.post_empty("/core/shopping/request_approvals").await;
    assert_eq!(first.expect(200)["created"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["existing"], 0);
    let second = owner.post_empty("/core/shopping/request_approvals").await;
    assert_eq!(second.body["created"], json!([]));
    assert_eq!(second.body["existing"], 2);
    // A lower threshold reaches the lamp; the others already have theirs.
    let lower = owner
        .post_empty("/core/shopping/request_approvals?threshold=25")
        .await;
    assert_eq!(lower.body["created"].as_array().unwrap().len(), 1);
    assert_eq!(lower.body["created"][0]["payload"]["name"], "Lamp");
    assert_eq!(lower.body["existing"], 2);
    assert_eq!(
        owner
            .post_empty("/core/shopping/request_approvals?threshold=abc")
            .await
            .expect_problem(400),
        ["threshold"]
    );
    // Concurrent runs never ask twice for one item.
    shopping_item(&owner, "Boat", "700.00", "1").await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let owner = owner.clone();
        tasks.push(tokio::spawn(async move {
            owner
                .post_empty("/core/shopping/request_approvals")
                .await
                .status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(app.count("approvals", "1 = 1").await, 4);
}

async fn bought_needs_an_amount_and_a_writer(app: TestApp) {
    let owner = app.owner();
    let free = owner
        .post("/core/shopping", &json!({"name": "Flyer"}))
        .await
        .expect(201)
        .clone();
    let path = format!("/core/shopping/{}/bought", id(&free));
    assert_eq!(
        owner.post_empty(&path).await.expect_problem(400),
        ["actual_total"]
    );
    for (body, field) in [
        (json!({"actual_total": 0}), "actual_total"),
        (json!({"actual_total": "1.001"}), "actual_total"),
        (json!({"bought_on": "2026-11-26"}), "bought_on"),
        (json!({"colour": "red"}), "colour"),
    ] {
        assert_eq!(
            owner.post(&path, &body).await.expect_problem(400),
            [field],
            "{body}"
        );
    }
    let viewer = app.member("vic", Role::Viewer).await;
    viewer
        .post(&path, &json!({"actual_total": 1}))
        .await
        .expect_problem(403);
    let member = app.member("mia", Role::Member).await;
    let bought = member
        .post(
            &path,
            &json!({"actual_total": "3.50", "bought_on": "2026-11-20"}),
        )
        .await;
    assert_eq!(bought.expect(200)["actual_total"], "3.50");
    let receipt = owner
        .get(&format!(
            "/core/receipts/{}",
            bought.body["receipt_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(receipt.body["date"], "2026-11-20");
}
