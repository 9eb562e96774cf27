//! Ledger (SPEC §6): append-only entries, balance, filters.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::util::{Backend, Client, TestApp};
use valhalla::domain::Role;

backend_tests!(
    balance_after_mixed_entries,
    list_filters_and_pagination,
    database_refuses_update_and_delete,
    bad_entries_are_400_and_change_nothing,
    roles_and_households,
);

async fn entry(client: &Client, body: Value) -> Value {
    client.post("/core/ledger", &body).await.expect(201).clone()
}

fn ids(resp: &crate::util::Resp) -> Vec<String> {
    resp.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["memo"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn balance_after_mixed_entries(app: TestApp) {
    let owner = app.owner();
    let empty = owner.get("/core/ledger/balance").await;
    assert_eq!(
        empty.expect(200),
        &json!({"cash_balance": "0.00", "as_of": "2026-11-25"})
    );
    let salary = entry(
        &owner,
        json!({"kind": "income", "amount": "1200", "date": "2026-11-01", "category": "salary", "memo": "Salary"}),
    )
    .await;
    assert_eq!(salary["kind"], "income");
    assert_eq!(salary["amount"], "1200.00");
    assert_eq!(salary["currency"], "USD");
    assert_eq!(salary["date"], "2026-11-01");
    assert_eq!(salary["category"], "salary");
    assert_eq!(salary["source_type"], "manual");
    assert_eq!(salary["source_id"], Value::Null);
    entry(
        &owner,
        json!({"kind": "expense", "amount": 45.5, "date": "2026-11-10", "category": "groceries"}),
    )
    .await;
    // 0.1 + 0.2 stays exact.
    entry(&owner, json!({"kind": "expense", "amount": 0.1})).await;
    entry(&owner, json!({"kind": "expense", "amount": "0.2"})).await;
    entry(
        &owner,
        json!({"kind": "income", "amount": 15, "memo": "refund"}),
    )
    .await;
    let balance = owner.get("/core/ledger/balance").await;
    assert_eq!(
        balance.expect(200),
        &json!({"cash_balance": "1169.20", "as_of": "2026-11-25"})
    );
    let earlier = owner.get("/core/ledger/balance?as_of=2026-11-09").await;
    assert_eq!(earlier.body["cash_balance"], "1200.00");
    let before = owner.get("/core/ledger/balance?as_of=2026-10-31").await;
    assert_eq!(before.body["cash_balance"], "0.00");
    // More out than in is a negative balance.
    entry(&owner, json!({"kind": "expense", "amount": "2000.01"})).await;
    let after = owner.get("/core/ledger/balance").await;
    assert_eq!(after.body["cash_balance"], "-830.81");
    let got = owner
        .get(&format!("/core/ledger/{}", salary["id"].as_str().unwrap()))
        .await;
    assert_eq!(got.expect(200), &salary);
}

async fn list_filters_and_pagination(app: TestApp) {
    let owner = app.owner();
    for (kind, amount, date, category, memo) in [
        ("income", "100", "2026-10-30", "salary", "a"),
        ("expense", "10", "2026-11-01", "groceries", "b"),
        ("expense", "20", "2026-11-15", "groceries", "c"),
        ("expense", "30", "2026-11-15", "fun", "d"),
        ("income", "5", "2026-11-20", "gifts", "e"),
    ] {
        entry(
            &owner,
            json!({"kind": kind, "amount": amount, "date": date, "category": category, "memo": memo}),
        )
        .await;
    }
    let all = owner.get("/core/ledger").await;
    assert_eq!(ids(&all), ["e", "d", "c", "b", "a"], "newest first");
    assert_eq!(all.body["next_cursor"], Value::Null);
    assert_eq!(
        ids(&owner
            .get("/core/ledger?from=2026-11-01&to=2026-11-15")
            .await),
        ["d", "c", "b"]
    );
    assert_eq!(
        ids(&owner.get("/core/ledger?category=groceries").await),
        ["c", "b"]
    );
    assert_eq!(
        ids(&owner.get("/core/ledger?kind=income").await),
        ["e", "a"]
    );
    assert_eq!(
        ids(&owner.get("/core/ledger?kind=expense&from=2026-11-02").await),
        ["d", "c"]
    );
    assert_eq!(
        ids(&owner
            .get("/core/ledger?source_type=manual&to=2026-10-31")
            .await),
        ["a"]
    );
    let mut seen = Vec::new();
    let mut path = "/core/ledger?limit=2".to_string();
    loop {
        let page = owner.get(&path).await;
        seen.extend(ids(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => path = format!("/core/ledger?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["e", "d", "c", "b", "a"]);
    for (query, field) in [
        ("from=2026-13-01", "from"),
        ("kind=refund", "kind"),
        ("from=2026-11-10&to=2026-11-01", "to"),
        ("limit=0", "limit"),
        ("colour=red", "colour"),
    ] {
        let resp = owner.get(&format!("/core/ledger?{query}")).await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
    let resp = owner.get("/core/ledger/balance?as_of=yesterday").await;
    assert_eq!(resp.expect_problem(400), ["as_of"]);
}

async fn database_refuses_update_and_delete(app: TestApp) {
    let owner = app.owner();
    let e = entry(&owner, json!({"kind": "expense", "amount": "12.34"})).await;
    let id = e["id"].as_str().unwrap();
    let pool = app.db().pool();
    let update = sqlx::query("UPDATE ledger_entries SET amount = 1 WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await;
    let err = update.expect_err("the database must refuse UPDATE on the ledger");
    assert!(err.to_string().contains("append-only"), "{err}");
    let delete = sqlx::query("DELETE FROM ledger_entries WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await;
    assert!(
        delete
            .expect_err("DELETE refused")
            .to_string()
            .contains("append-only")
    );
    let delete_all = sqlx::query("DELETE FROM ledger_entries")
        .execute(pool)
        .await;
    assert!(delete_all.is_err());
    if app.backend == Backend::Postgres {
        let truncate = sqlx::query("TRUNCATE ledger_entries").execute(pool).await;
        assert!(truncate.is_err(), "TRUNCATE refused too");
    }
    assert_eq!(app.count("ledger_entries", "amount = 1234").await, 1);
    let got = owner.get(&format!("/core/ledger/{id}")).await;
    assert_eq!(got.expect(200), &e);
    // There is no route that changes or removes an entry either.
    owner
        .patch(&format!("/core/ledger/{id}"), &json!({"amount": 1}))
        .await
        .expect_problem(405);
    owner
        .delete(&format!("/core/ledger/{id}"))
        .await
        .expect_problem(405);
}

async fn bad_entries_are_400_and_change_nothing(app: TestApp) {
    let owner = app.owner();
    for (body, field) in [
        (json!({"amount": 1}), "kind"),
        (json!({"kind": "transfer", "amount": 1}), "kind"),
        (json!({"kind": "expense"}), "amount"),
        (json!({"kind": "expense", "amount": 0}), "amount"),
        (json!({"kind": "expense", "amount": "-5"}), "amount"),
        (json!({"kind": "expense", "amount": "1.001"}), "amount"),
        (json!({"kind": "expense", "amount": "lots"}), "amount"),
        (
            json!({"kind": "expense", "amount": "99999999999999999"}),
            "amount",
        ),
        (
            json!({"kind": "expense", "amount": 1, "currency": "EUR"}),
            "currency",
        ),
        (
            json!({"kind": "expense", "amount": 1, "currency": "EURO"}),
            "currency",
        ),
        (
            json!({"kind": "expense", "amount": 1, "date": "2026-11-26"}),
            "date",
        ),
        (
            json!({"kind": "expense", "amount": 1, "category": "x".repeat(101)}),
            "category",
        ),
        (
            json!({"kind": "expense", "amount": 1, "source_type": "bill"}),
            "source_type",
        ),
    ] {
        let resp = owner.post("/core/ledger", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);
    // In the household currency (set to JPY) amounts have its digits.
    owner
        .patch("/core/household/settings", &json!({"currency": "JPY"}))
        .await
        .expect(200);
    let yen = entry(&owner, json!({"kind": "income", "amount": 5000})).await;
    assert_eq!(
        (yen["amount"].as_str(), yen["currency"].as_str()),
        (Some("5000"), Some("JPY"))
    );
    let resp = owner
        .post("/core/ledger", &json!({"kind": "income", "amount": "1.5"}))
        .await;
    assert_eq!(resp.expect_problem(400), ["amount"]);
}

async fn roles_and_households(app: TestApp) {
    let owner = app.owner();
    let e = entry(&owner, json!({"kind": "income", "amount": 10})).await;
    let id = e["id"].as_str().unwrap();
    let adult = app.member("alex", Role::Adult).await;
    entry(&adult, json!({"kind": "expense", "amount": 1})).await;
    for role in [Role::Member, Role::Viewer] {
        let client = app.member(role.as_str(), role).await;
        client
            .post("/core/ledger", &json!({"kind": "expense", "amount": 1}))
            .await
            .expect_problem(403);
        assert_eq!(
            client.get("/core/ledger").await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            client.get("/core/ledger/balance").await.body["cash_balance"],
            "9.00"
        );
    }
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    stranger
        .get(&format!("/core/ledger/{id}"))
        .await
        .expect_problem(404);
    assert_eq!(stranger.get("/core/ledger").await.body["items"], json!([]));
    assert_eq!(
        stranger.get("/core/ledger/balance").await.body["cash_balance"],
        "0.00"
    );
    app.anonymous()
        .get("/core/ledger")
        .await
        .expect_problem(401);
}
