//! Approvals (SPEC §8): create with the cone's band, list, decide, separation of duties, races.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    creating_fills_band_and_risk_from_the_cone,
    creating_validates_and_needs_a_writer,
    lists_are_newest_first_and_household_scoped,
    only_owners_and_adults_decide_once,
    requesters_may_not_approve_their_own_request,
    concurrent_decisions_have_one_winner,
);

async fn request(client: &Client, title: &str, amount: Option<&str>) -> Value {
    let mut body = json!({
        "title": title, "action": "shopping.bought", "target_type": "shopping_item",
        "target_id": format!("item-{title}"), "payload": {"name": title}
    });
    if let Some(a) = amount {
        body["amount"] = json!(a);
    }
    client
        .post("/core/approvals", &body)
        .await
        .expect(201)
        .clone()
}

async fn creating_fills_band_and_risk_from_the_cone(app: TestApp) {
    let owner = app.owner();
    let small = request(&owner, "Socks", Some("20")).await;
    assert_eq!(
        (small["cone_band"].as_str(), small["risk"].as_str()),
        (Some("green"), Some("low"))
    );
    let big = request(&owner, "Sofa", Some("250")).await;
    assert_eq!(
        (big["cone_band"].as_str(), big["risk"].as_str()),
        (Some("yellow"), Some("medium"))
    );
    assert_eq!(big["amount"], "250.00");
    assert_eq!(big["status"], "pending");
    assert_eq!(big["requested_by"], "owner");
    assert_eq!(big["decided_by"], Value::Null);
    assert_eq!(big["payload"], json!({"name": "Sofa"}));
    let huge = request(&owner, "Car", Some("15000")).await;
    assert_eq!(
        (huge["cone_band"].as_str(), huge["risk"].as_str()),
        (Some("red"), Some("high"))
    );
    // Amount from the payload; explicit band and risk are kept.
    let given = owner
        .post(
            "/core/approvals",
            &json!({"title": "TV", "action": "shopping.bought", "target_type": "shopping_item",
                    "target_id": "tv", "payload": {"est_total": 300}, "risk": "high",
                    "cone_band": "green"}),
        )
        .await;
    let given = given.expect(201);
    assert_eq!(given["amount"], "300.00");
    assert_eq!(
        (given["cone_band"].as_str(), given["risk"].as_str()),
        (Some("green"), Some("high"))
    );
    // Custom actions are judged as state-changing ones by amount.
    let custom = owner
        .post(
            "/core/approvals",
            &json!({"title": "Holiday", "action": "travel.book", "target_type": "trip",
                    "target_id": "t1", "payload": {"amount": "800"}}),
        )
        .await;
    assert_eq!(custom.expect(201)["cone_band"], "yellow");
}

async fn creating_validates_and_needs_a_writer(app: TestApp) {
    let owner = app.owner();
    let base = json!({"title": "X", "action": "shopping.bought", "target_type": "shopping_item",
                      "target_id": "i", "payload": {}});
    for (field, value) in [
        ("payload", json!([1, 2])),
        ("payload", json!("text")),
        ("title", json!("")),
        ("action", json!("   ")),
        ("risk", json!("extreme")),
        ("cone_band", json!("blue")),
        ("amount", json!("-5")),
        ("amount", json!("1.001")),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let resp = owner.post("/core/approvals", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    let mut missing = base.clone();
    missing.as_object_mut().unwrap().remove("target_id");
    assert_eq!(
        owner
            .post("/core/approvals", &missing)
            .await
            .expect_problem(400),
        ["target_id"]
    );
    let viewer = app.member("vic", Role::Viewer).await;
    viewer
        .post("/core/approvals", &base)
        .await
        .expect_problem(403);
    // Members may ask.
    let member = app.member("mia", Role::Member).await;
    assert_eq!(
        member.post("/core/approvals", &base).await.expect(201)["requested_by"],
        "mia"
    );
    assert_eq!(app.count("approvals", "1 = 1").await, 1);
}

async fn lists_are_newest_first_and_household_scoped(app: TestApp) {
    let owner = app.owner();
    let mut ids = Vec::new();
    for title in ["A", "B", "C"] {
        ids.push(
            request(&owner, title, None).await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        app.clock.advance(chrono::Duration::seconds(1));
    }
    let adult = app.member("ada", Role::Adult).await;
    adult
        .post(
            &format!("/core/approvals/{}/decide?decision=deny", ids[1]),
            &json!({}),
        )
        .await
        .expect(200);
    let titles = |resp: &crate::util::Resp| -> Vec<String> {
        resp.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["title"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(titles(&owner.get("/core/approvals").await), ["C", "B", "A"]);
    assert_eq!(
        titles(&owner.get("/core/approvals?status=pending").await),
        ["C", "A"]
    );
    assert_eq!(
        titles(&owner.get("/core/approvals?status=denied").await),
        ["B"]
    );
    assert_eq!(
        titles(
            &owner
                .get("/core/approvals?target_type=shopping_item&target_id=item-A")
                .await
        ),
        ["A"]
    );
    let page = owner.get("/core/approvals?limit=2").await;
    assert_eq!(titles(&page), ["C", "B"]);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    assert_eq!(
        titles(
            &owner
                .get(&format!("/core/approvals?limit=2&cursor={cursor}"))
                .await
        ),
        ["A"]
    );
    owner
        .get("/core/approvals?status=maybe")
        .await
        .expect_problem(400);
    let got = owner.get(&format!("/core/approvals/{}", ids[0])).await;
    assert_eq!(got.expect(200)["title"], "A");
    let theirs = app.member_of("Elsewhere", "eve", Role::Owner).await;
    theirs
        .get(&format!("/core/approvals/{}", ids[0]))
        .await
        .expect_problem(404);
    theirs
        .post(
            &format!("/core/approvals/{}/decide?decision=approve", ids[0]),
            &json!({}),
        )
        .await
        .expect_problem(404);
    assert_eq!(theirs.get("/core/approvals").await.body["items"], json!([]));
}

async fn only_owners_and_adults_decide_once(app: TestApp) {
    let owner = app.owner();
    let member = app.member("mia", Role::Member).await;
    let viewer = app.member("vic", Role::Viewer).await;
    let adult = app.member("ada", Role::Adult).await;
    let a = request(&member, "Bike", Some("400")).await;
    let path = format!("/core/approvals/{}/decide", a["id"].as_str().unwrap());
    for who in [&member, &viewer] {
        who.post(&format!("{path}?decision=approve"), &json!({}))
            .await
            .expect_problem(403);
    }
    owner.post_empty(&path).await.expect_problem(400);
    assert_eq!(
        owner
            .post_empty(&format!("{path}?decision=maybe"))
            .await
            .expect_problem(400),
        ["decision"]
    );
    let approved = adult
        .post(
            &format!("{path}?decision=approve&note=query+note"),
            &json!({"note": "go ahead"}),
        )
        .await;
    let body = approved.expect(200);
    assert_eq!(body["status"], "approved");
    assert_eq!(body["decided_by"], "ada");
    assert_eq!(body["note"], "go ahead");
    assert_eq!(body["decided_at"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(body["version"], 2);
    // Decided: no second decision either way.
    owner
        .post_empty(&format!("{path}?decision=deny"))
        .await
        .expect_problem(409);
    adult
        .post_empty(&format!("{path}?decision=approve"))
        .await
        .expect_problem(409);
    let now = owner
        .get(&format!("/core/approvals/{}", a["id"].as_str().unwrap()))
        .await;
    assert_eq!(now.body["status"], "approved");
    assert_eq!(now.body["decided_by"], "ada");
    // The note may come as a query parameter alone.
    let b = request(&member, "Lamp", Some("10")).await;
    let denied = owner
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=deny&note=not+now",
            b["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(denied.expect(200)["note"], "not now");
    assert_eq!(denied.body["status"], "denied");
}

async fn requesters_may_not_approve_their_own_request(app: TestApp) {
    let owner = app.owner();
    // Alone, the owner may approve their own request: nobody else could.
    let solo = request(&owner, "Solo", Some("300")).await;
    owner
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=approve",
            solo["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    let adult = app.member("ada", Role::Adult).await;
    let mine = request(&adult, "Mine", Some("300")).await;
    let path = format!("/core/approvals/{}/decide", mine["id"].as_str().unwrap());
    let refused = adult.post_empty(&format!("{path}?decision=approve")).await;
    refused.expect_problem(403);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .contains("another owner or adult")
    );
    assert_eq!(
        owner
            .get(&format!("/core/approvals/{}", mine["id"].as_str().unwrap()))
            .await
            .body["status"],
        "pending"
    );
    // Another adult or owner may; the requester may deny.
    let theirs = request(&adult, "Theirs", Some("300")).await;
    adult
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=deny",
            theirs["id"].as_str().unwrap()
        ))
        .await
        .expect(200);
    owner
        .post_empty(&format!("{path}?decision=approve"))
        .await
        .expect(200);
    // Now a second owner exists for the first owner's requests too.
    let again = request(&owner, "Again", Some("300")).await;
    owner
        .post_empty(&format!(
            "/core/approvals/{}/decide?decision=approve",
            again["id"].as_str().unwrap()
        ))
        .await
        .expect_problem(403);
}

async fn concurrent_decisions_have_one_winner(app: TestApp) {
    let owner = app.owner();
    let adult = app.member("ada", Role::Adult).await;
    let a = request(&owner, "Race", Some("250")).await;
    let path = format!("/core/approvals/{}/decide", a["id"].as_str().unwrap());
    let mut tasks = Vec::new();
    for i in 0..16 {
        let client = if i % 2 == 0 {
            adult.clone()
        } else {
            owner.clone()
        };
        let decision = if i % 3 == 0 { "deny" } else { "approve" };
        let path = format!("{path}?decision={decision}");
        tasks.push(tokio::spawn(async move { client.post_empty(&path).await }));
    }
    let mut wins = 0;
    for t in tasks {
        let resp = t.await.unwrap();
        match resp.status {
            200 => wins += 1,
            403 | 409 => {}
            other => panic!("unexpected {other}: {}", resp.text),
        }
    }
    assert_eq!(wins, 1);
    let final_state = owner
        .get(&format!("/core/approvals/{}", a["id"].as_str().unwrap()))
        .await;
    assert_ne!(final_state.body["status"], "pending");
    assert_eq!(final_state.body["version"], 2);
}
