//! Budget (SPEC §6): category limits, the month view and the impact of a purchase.

use reqwest::Method;
use serde_json::{Value, json};

use crate::backend_tests;
use crate::util::{Client, Resp, TestApp};
use valhalla::domain::Role;

backend_tests!(
    month_view_shows_limit_spent_remaining,
    impact_flags_buffer_and_budget,
    limits_honor_if_match_roles_and_validation,
);

async fn put_limit(client: &Client, category: &str, body: Value) -> Resp {
    client
        .request(Method::PUT, &format!("/core/budget/categories/{category}"))
        .json(&body)
        .send()
        .await
}

async fn spend(client: &Client, amount: &str, date: &str, category: Option<&str>) {
    client
        .post(
            "/core/ledger",
            &json!({"kind": "expense", "amount": amount, "date": date, "category": category}),
        )
        .await
        .expect(201);
}

async fn earn(client: &Client, amount: &str) {
    client
        .post(
            "/core/ledger",
            &json!({"kind": "income", "amount": amount, "date": "2026-10-01"}),
        )
        .await
        .expect(201);
}

async fn month_view_shows_limit_spent_remaining(app: TestApp) {
    let owner = app.owner();
    owner
        .patch(
            "/core/household/settings",
            &json!({"min_cash_buffer": "500"}),
        )
        .await
        .expect(200);
    put_limit(&owner, "groceries", json!({"monthly_limit": 300}))
        .await
        .expect(200);
    put_limit(&owner, "fun", json!({"monthly_limit": "50.5"}))
        .await
        .expect(200);
    earn(&owner, "2000").await;
    spend(&owner, "120.25", "2026-11-01", Some("groceries")).await;
    spend(&owner, "200", "2026-11-25", Some("groceries")).await;
    spend(&owner, "40", "2026-11-10", Some("car")).await;
    spend(&owner, "99", "2026-10-31", Some("groceries")).await;
    spend(&owner, "7", "2026-11-02", None).await;
    let view = owner.get("/core/budget?month=2026-11").await;
    assert_eq!(
        view.expect(200),
        &json!({
            "month": "2026-11",
            "categories": [
                {"category": "car", "limit": null, "spent": "40.00", "remaining": null},
                {"category": "fun", "limit": "50.50", "spent": "0.00", "remaining": "50.50"},
                {"category": "groceries", "limit": "300.00", "spent": "320.25", "remaining": "-20.25"},
            ],
            "cash_balance": "1533.75",
            "min_cash_buffer": "500.00",
        })
    );
    // Without `month`: the current month.
    assert_eq!(owner.get("/core/budget").await.body, view.body);
    let october = owner.get("/core/budget?month=2026-10").await;
    assert_eq!(
        october.expect(200)["categories"],
        json!([
            {"category": "fun", "limit": "50.50", "spent": "0.00", "remaining": "50.50"},
            {"category": "groceries", "limit": "300.00", "spent": "99.00", "remaining": "201.00"},
        ])
    );
    for month in ["2026-13", "2026-1", "november", "2026-11-01"] {
        let resp = owner.get(&format!("/core/budget?month={month}")).await;
        assert_eq!(resp.expect_problem(400), ["month"], "{month}");
    }
    // Another household sees none of it.
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    let theirs = stranger.get("/core/budget?month=2026-11").await;
    assert_eq!(theirs.body["categories"], json!([]));
    assert_eq!(theirs.body["cash_balance"], "0.00");
}

async fn impact_flags_buffer_and_budget(app: TestApp) {
    let owner = app.owner();
    owner
        .patch("/core/household/settings", &json!({"min_cash_buffer": 500}))
        .await
        .expect(200);
    earn(&owner, "1000").await;
    put_limit(&owner, "groceries", json!({"monthly_limit": 300}))
        .await
        .expect(200);
    spend(&owner, "250", "2026-11-20", Some("groceries")).await;
    spend(&owner, "80", "2026-10-20", Some("groceries")).await; // last month: not this month's budget
    // Balance 670: 100 more keeps the buffer but breaks the groceries budget.
    let over = owner
        .get("/core/budget/impact?amount=100&category=groceries")
        .await;
    assert_eq!(
        over.expect(200),
        &json!({
            "amount": "100.00",
            "cash_balance": "670.00",
            "cash_after": "570.00",
            "min_cash_buffer": "500.00",
            "below_buffer": false,
            "category_limit": "300.00",
            "category_spent": "250.00",
            "category_remaining_after": "-50.00",
            "over_budget": true,
        })
    );
    let fine = owner
        .get("/core/budget/impact?amount=50&category=groceries")
        .await;
    assert_eq!(fine.body["cash_after"], "620.00");
    assert_eq!(fine.body["below_buffer"], false);
    assert_eq!(fine.body["category_remaining_after"], "0.00");
    assert_eq!(
        fine.body["over_budget"], false,
        "exactly at the limit is not over"
    );
    let below = owner.get("/core/budget/impact?amount=170.01").await;
    assert_eq!(
        below.expect(200),
        &json!({
            "amount": "170.01",
            "cash_balance": "670.00",
            "cash_after": "499.99",
            "min_cash_buffer": "500.00",
            "below_buffer": true,
            "category_limit": null,
            "category_spent": null,
            "category_remaining_after": null,
            "over_budget": false,
        })
    );
    let at_buffer = owner.get("/core/budget/impact?amount=170").await;
    assert_eq!(
        at_buffer.body["below_buffer"], false,
        "exactly the buffer is not below it"
    );
    // A category without a limit: spent is known, nothing can be over budget.
    let unlimited = owner.get("/core/budget/impact?amount=1&category=car").await;
    assert_eq!(unlimited.body["category_limit"], Value::Null);
    assert_eq!(unlimited.body["category_spent"], "0.00");
    assert_eq!(unlimited.body["over_budget"], false);
    for (query, field) in [
        ("", "amount"),
        ("amount=0", "amount"),
        ("amount=-1", "amount"),
        ("amount=1.001", "amount"),
        ("amount=abc", "amount"),
        ("amount=1&colour=red", "colour"),
    ] {
        let resp = owner.get(&format!("/core/budget/impact?{query}")).await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
    let long = owner
        .get(&format!(
            "/core/budget/impact?amount=1&category={}",
            "c".repeat(101)
        ))
        .await;
    assert_eq!(long.expect_problem(400), ["category"]);
    // An empty category is no category.
    let blank = owner.get("/core/budget/impact?amount=1&category=").await;
    assert_eq!(blank.expect(200)["category_spent"], Value::Null);
    // A viewer may ask too: it changes nothing.
    let viewer = app.member("vic", Role::Viewer).await;
    viewer.get("/core/budget/impact?amount=1").await.expect(200);
}

async fn limits_honor_if_match_roles_and_validation(app: TestApp) {
    let owner = app.owner();
    let first = put_limit(&owner, "eating%20out", json!({"monthly_limit": "120"})).await;
    assert_eq!(first.expect(200)["category"], "eating out");
    assert_eq!(first.body["monthly_limit"], "120.00");
    assert_eq!(first.body["currency"], "USD");
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.header("etag"), Some("\"1\""));
    let second = put_limit(&owner, "eating%20out", json!({"monthly_limit": 150})).await;
    assert_eq!(second.expect(200)["version"], 2);
    // A stale If-Match changes nothing.
    let stale = owner
        .request(Method::PUT, "/core/budget/categories/eating%20out")
        .header("if-match", "\"1\"")
        .json(&json!({"monthly_limit": 1}))
        .send()
        .await;
    stale.expect_problem(412);
    let fresh = owner
        .request(Method::PUT, "/core/budget/categories/eating%20out")
        .header("if-match", "\"2\"")
        .json(&json!({"monthly_limit": 0}))
        .send()
        .await;
    assert_eq!(fresh.expect(200)["monthly_limit"], "0.00");
    let got = owner.get("/core/budget/categories/eating%20out").await;
    assert_eq!(got.expect(200)["version"], 3);
    assert_eq!(got.header("etag"), Some("\"3\""));
    // If-Match on a limit that does not exist cannot match.
    let none = owner
        .request(Method::PUT, "/core/budget/categories/new")
        .header("if-match", "\"1\"")
        .json(&json!({"monthly_limit": 1}))
        .send()
        .await;
    none.expect_problem(412);
    for (body, field) in [
        (json!({"monthly_limit": -1}), "monthly_limit"),
        (json!({"monthly_limit": "1.234"}), "monthly_limit"),
        (json!({"monthly_limit": "x"}), "monthly_limit"),
        (json!({}), "monthly_limit"),
        (json!({"monthly_limit": 1, "rollover": true}), "rollover"),
    ] {
        let resp = put_limit(&owner, "fun", body.clone()).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    let blank = put_limit(&owner, "%20%20", json!({"monthly_limit": 1})).await;
    assert_eq!(blank.expect_problem(400), ["category"]);
    let member = app.member("mia", Role::Member).await;
    put_limit(&member, "fun", json!({"monthly_limit": 1}))
        .await
        .expect_problem(403);
    member
        .delete("/core/budget/categories/eating%20out")
        .await
        .expect_problem(403);
    assert_eq!(app.count("budget_limits", "1 = 1").await, 1);
    let list = member.get("/core/budget/categories").await;
    assert_eq!(list.expect(200)["items"].as_array().unwrap().len(), 1);
    // Another household neither sees nor removes it.
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    stranger
        .get("/core/budget/categories/eating%20out")
        .await
        .expect_problem(404);
    stranger
        .delete("/core/budget/categories/eating%20out")
        .await
        .expect_problem(404);
    owner
        .request(Method::DELETE, "/core/budget/categories/eating%20out")
        .header("if-match", "\"2\"")
        .send()
        .await
        .expect_problem(412);
    owner
        .delete("/core/budget/categories/eating%20out")
        .await
        .expect(204);
    owner
        .get("/core/budget/categories/eating%20out")
        .await
        .expect_problem(404);
}
