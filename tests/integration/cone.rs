//! The cone (SPEC §9): default bands, role rules, approvals, the policy document.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    default_policy_bands,
    roles_below_adult_do_not_move_money,
    an_approved_approval_opens_yellow,
    policy_is_owner_only_validated_and_versioned,
    policy_rules_change_the_verdicts,
);

async fn ask(client: &Client, body: Value) -> Value {
    client
        .post("/core/cone/decide", &body)
        .await
        .expect(200)
        .clone()
}

fn verdict(v: &Value) -> (bool, &str, bool) {
    (
        v["allow"].as_bool().unwrap(),
        v["band"].as_str().unwrap(),
        v["requires_approval"].as_bool().unwrap(),
    )
}

async fn default_policy_bands(app: TestApp) {
    let owner = app.owner();
    let policy = owner.get("/core/cone/policy").await;
    let body = policy.expect(200);
    assert_eq!(body["version"], 1);
    assert_eq!(body["yellow_at"], Value::Null);
    assert_eq!(body["money_role"], "adult");
    assert_eq!(policy.header("etag"), Some("\"1\""));

    let cases = [
        (
            json!({"action": "shopping.bought", "mode": "explore", "amount": 5000}),
            (true, "green", false),
        ),
        (
            json!({"action": "forecast.rollup", "mode": "execute"}),
            (true, "green", false),
        ),
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": "199.99"}),
            (true, "green", false),
        ),
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": "200.00"}),
            (false, "yellow", true),
        ),
        (
            json!({"action": "bills.paid", "mode": "execute", "amount": "999.99"}),
            (false, "yellow", true),
        ),
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": "1000.00"}),
            (false, "red", false),
        ),
        (
            json!({"action": "receipts.create", "mode": "execute", "amount": 5}),
            (true, "green", false),
        ),
    ];
    for (body, expected) in cases {
        let v = ask(&owner, body.clone()).await;
        assert_eq!(verdict(&v), expected, "{body}");
        assert!(!v["reasons"].as_array().unwrap().is_empty());
    }
    // The hard limit follows the household settings.
    owner
        .patch(
            "/core/household/settings",
            &json!({"hard_spend_limit": "500"}),
        )
        .await
        .expect(200);
    let v = ask(
        &owner,
        json!({"action": "shopping.bought", "mode": "execute", "amount": 500}),
    )
    .await;
    assert_eq!(verdict(&v), (false, "red", false));
    for (body, field) in [
        (
            json!({"action": "launch.rocket", "mode": "execute"}),
            "action",
        ),
        (json!({"action": "bills.paid", "mode": "sometimes"}), "mode"),
        (
            json!({"action": "bills.paid", "mode": "execute", "amount": "1.001"}),
            "amount",
        ),
        (
            json!({"action": "bills.paid", "mode": "execute", "target_type": "bill"}),
            "target_id",
        ),
        (json!({"mode": "execute"}), "action"),
    ] {
        let resp = owner.post("/core/cone/decide", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
}

async fn roles_below_adult_do_not_move_money(app: TestApp) {
    let member = app.member("mia", Role::Member).await;
    let viewer = app.member("vic", Role::Viewer).await;
    let adult = app.member("ada", Role::Adult).await;
    for who in [&member, &viewer] {
        let v = ask(
            who,
            json!({"action": "bills.paid", "mode": "execute", "amount": 10}),
        )
        .await;
        assert_eq!(verdict(&v), (false, "red", false));
        let v = ask(
            who,
            json!({"action": "shopping.bought", "mode": "execute", "amount": 250}),
        )
        .await;
        assert_eq!(verdict(&v), (false, "red", false));
        let v = ask(
            who,
            json!({"action": "shopping.bought", "mode": "execute", "amount": 20}),
        )
        .await;
        assert_eq!(verdict(&v), (true, "green", false));
        let v = ask(who, json!({"action": "bills.paid", "mode": "explore"})).await;
        assert_eq!(verdict(&v), (true, "green", false));
    }
    let v = ask(
        &adult,
        json!({"action": "bills.paid", "mode": "execute", "amount": 10}),
    )
    .await;
    assert_eq!(verdict(&v), (true, "green", false));
}

async fn an_approved_approval_opens_yellow(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    let approval = owner
        .post(
            "/core/approvals",
            &json!({"title": "Sofa", "action": "shopping.bought", "target_type": "shopping_item",
                    "target_id": "sofa", "payload": {}, "amount": "450"}),
        )
        .await
        .expect(201)
        .clone();
    let question = json!({"action": "shopping.bought", "mode": "execute", "amount": "450",
                          "target_type": "shopping_item", "target_id": "sofa"});
    assert_eq!(
        verdict(&ask(&owner, question.clone()).await),
        (false, "yellow", true)
    );
    adult
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=approve",
            approval["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let v = ask(&owner, question.clone()).await;
    assert_eq!(verdict(&v), (true, "yellow", false));
    assert!(
        v["reasons"]
            .to_string()
            .contains(approval["id"].as_str().unwrap())
    );
    // It covers what was approved, not more; nor another target.
    let mut more = question.clone();
    more["amount"] = json!("450.01");
    assert_eq!(verdict(&ask(&owner, more).await), (false, "yellow", true));
    let mut other = question.clone();
    other["target_id"] = json!("chair");
    assert_eq!(verdict(&ask(&owner, other).await), (false, "yellow", true));
    // Approvals never lift red.
    let mut red = question;
    red["amount"] = json!("2000");
    assert_eq!(verdict(&ask(&owner, red).await).1, "red");
}

async fn policy_is_owner_only_validated_and_versioned(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    let policy = json!({"yellow_at": "50", "denied_actions": ["receipts.create"]});
    adult
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .json(&policy)
        .send()
        .await
        .expect_problem(403);
    for (body, field) in [
        (json!({"yellow_at": "300", "red_at": "100"}), "red_at"),
        (json!({"denied_actions": ["nope"]}), "denied_actions[0]"),
        (json!({"money_role": "king"}), "money_role"),
        (json!({"yellow_at": "1.001"}), "yellow_at"),
        (json!({"surprise": true}), "surprise"),
    ] {
        let resp = owner
            .request(reqwest::Method::PUT, "/core/cone/policy")
            .json(&body)
            .send()
            .await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    assert_eq!(
        owner.get("/core/cone/policy").await.body["version"],
        1,
        "old policy kept"
    );
    let put = owner
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .header("if-match", "\"1\"")
        .json(&policy)
        .send()
        .await;
    let body = put.expect(200);
    assert_eq!(body["version"], 2);
    assert_eq!(body["yellow_at"], "50.00");
    assert_eq!(body["denied_actions"], json!(["receipts.create"]));
    let stale = owner
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .header("if-match", "\"1\"")
        .json(&json!({}))
        .send()
        .await;
    stale.expect_problem(412);
    let now = owner.get("/core/cone/policy").await;
    assert_eq!(now.body["yellow_at"], "50.00");
    assert_eq!(now.header("etag"), Some("\"2\""));
    // Policies are per household.
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    assert_eq!(
        theirs.get("/core/cone/policy").await.body["yellow_at"],
        Value::Null
    );
}

async fn policy_rules_change_the_verdicts(app: TestApp) {
    let owner = app.owner();
    owner
        .request(reqwest::Method::PUT, "/core/cone/policy")
        .json(&json!({
            "yellow_at": 50, "red_at": "700", "money_role": "owner",
            "denied_actions": ["inventory.out_of"], "approval_actions": ["shopping.quick_add"],
            "categories": {"electronics": {"yellow_at": "10"}}
        }))
        .send()
        .await
        .expect(200);
    let adult = app.member("ada", Role::Adult).await;
    let cases = [
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": 49}),
            (true, "green", false),
        ),
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": 50}),
            (false, "yellow", true),
        ),
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": 700}),
            (false, "red", false),
        ),
        (
            json!({"action": "shopping.bought", "mode": "execute", "amount": 20, "category": "electronics"}),
            (false, "yellow", true),
        ),
        (
            json!({"action": "inventory.out_of", "mode": "execute"}),
            (false, "red", false),
        ),
        (
            json!({"action": "shopping.quick_add", "mode": "execute", "amount": 1}),
            (false, "yellow", true),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(
            verdict(&ask(&owner, body.clone()).await),
            expected,
            "{body}"
        );
    }
    // Money now moves only for owners.
    let v = ask(
        &adult,
        json!({"action": "bills.paid", "mode": "execute", "amount": 5}),
    )
    .await;
    assert_eq!(verdict(&v), (false, "red", false));
    let v = ask(
        &owner,
        json!({"action": "bills.paid", "mode": "execute", "amount": 5}),
    )
    .await;
    assert_eq!(verdict(&v), (true, "green", false));
    // A stored policy that no longer parses fails closed.
    sqlx::query("UPDATE cone_policies SET document = 'not json'")
        .execute(app.db().pool())
        .await
        .unwrap();
    let v = ask(
        &owner,
        json!({"action": "bills.paid", "mode": "execute", "amount": 5}),
    )
    .await;
    assert_eq!(verdict(&v), (false, "red", false));
    assert!(
        v["reasons"][0]
            .as_str()
            .unwrap()
            .contains("cannot be evaluated")
    );
}
