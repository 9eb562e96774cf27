//! Authentication, roles and household isolation.

use serde_json::json;
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::TestApp;

backend_tests!(
    missing_or_unknown_token_is_401,
    roles_are_enforced,
    other_households_ids_are_404,
    me_names_the_caller,
);

async fn missing_or_unknown_token_is_401(app: TestApp) {
    for path in ["/core/inventory", "/core/household/settings", "/core/me"] {
        let resp = app.anonymous().get(path).await;
        resp.expect_problem(401);
        assert_eq!(resp.header("www-authenticate"), Some("Bearer"));
        app.client(Some("not-a-token"))
            .get(path)
            .await
            .expect_problem(401);
    }
    // Writes too, and nothing is created.
    app.anonymous()
        .post("/core/inventory", &json!({"name": "Milk"}))
        .await
        .expect_problem(401);
    let other = app.client(Some("wrong"));
    other
        .request(reqwest::Method::POST, "/core/inventory")
        .header("authorization", "Basic b3duZXI6c2VjcmV0")
        .json(&json!({"name": "Milk"}))
        .send()
        .await
        .expect_problem(401);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 0);
}

async fn roles_are_enforced(app: TestApp) {
    let viewer = app.member("vic", Role::Viewer).await;
    let member = app.member("mia", Role::Member).await;
    let adult = app.member("ada", Role::Adult).await;

    // A viewer reads but may not write.
    let item = app
        .owner()
        .create_item(json!({"name": "Rice", "qty": 2}))
        .await;
    let id = item["id"].as_str().unwrap();
    viewer.get("/core/inventory").await.expect(200);
    viewer
        .get(&format!("/core/inventory/{id}"))
        .await
        .expect(200);
    viewer
        .post("/core/inventory", &json!({"name": "Beans"}))
        .await
        .expect_problem(403);
    viewer
        .post(&format!("/core/inventory/{id}/use"), &json!({"qty": 1}))
        .await
        .expect_problem(403);
    viewer
        .patch(&format!("/core/inventory/{id}"), &json!({"name": "X"}))
        .await
        .expect_problem(403);
    viewer
        .delete(&format!("/core/inventory/{id}"))
        .await
        .expect_problem(403);
    viewer
        .post("/core/inventory/locations", &json!({"name": "Attic"}))
        .await
        .expect_problem(403);
    let after = app.owner().get(&format!("/core/inventory/{id}")).await;
    assert_eq!(after.body["qty"], "2");
    assert_eq!(after.body["name"], "Rice");

    // A member writes inventory but may not touch settings.
    member
        .post(&format!("/core/inventory/{id}/use"), &json!({"qty": 1}))
        .await
        .expect(200);
    member
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Europe/Berlin"}),
        )
        .await
        .expect_problem(403);
    member
        .get("/core/household/settings")
        .await
        .expect_problem(403);
    // Adults may not change settings either; only the owner may.
    adult
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Europe/Berlin"}),
        )
        .await
        .expect_problem(403);
    let settings = app.owner().get("/core/household/settings").await;
    assert_eq!(settings.expect(200)["timezone"], "UTC");
    app.owner()
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Europe/Berlin"}),
        )
        .await
        .expect(200);
    assert_eq!(
        app.owner().get("/core/household/settings").await.body["timezone"],
        "Europe/Berlin"
    );
}

async fn other_households_ids_are_404(app: TestApp) {
    let mine = app.owner();
    let theirs = app.member_of("Neighbours", "nora", Role::Owner).await;
    let item = mine
        .create_item(json!({"name": "Coffee", "qty": 1, "min_qty": 2}))
        .await;
    let id = item["id"].as_str().unwrap();
    let location = mine
        .post("/core/inventory/locations", &json!({"name": "Pantry"}))
        .await
        .expect(201)
        .clone();
    let missing = "01930000-0000-7000-8000-000000000000";

    for target in [id, missing] {
        let resp = theirs.get(&format!("/core/inventory/{target}")).await;
        resp.expect_problem(404);
        let patch = theirs
            .patch(
                &format!("/core/inventory/{target}"),
                &json!({"name": "Tea"}),
            )
            .await;
        patch.expect_problem(404);
        theirs
            .delete(&format!("/core/inventory/{target}"))
            .await
            .expect_problem(404);
        for action in ["use", "restock"] {
            theirs
                .post(
                    &format!("/core/inventory/{target}/{action}"),
                    &json!({"qty": 1}),
                )
                .await
                .expect_problem(404);
        }
        theirs
            .post_empty(&format!("/core/inventory/{target}/out_of"))
            .await
            .expect_problem(404);
    }
    // A foreign 404 reads exactly like a missing one.
    let foreign = theirs.get(&format!("/core/inventory/{id}")).await;
    let absent = theirs.get(&format!("/core/inventory/{missing}")).await;
    assert_eq!(foreign.text, absent.text);

    // Absent from the other household's lists, including filtered ones.
    for path in [
        "/core/inventory",
        "/core/inventory?low=true",
        "/core/inventory?q=coffee",
        "/core/inventory/locations",
    ] {
        let list = theirs.get(path).await;
        assert_eq!(list.expect(200)["items"], json!([]), "{path}");
    }
    // A foreign location cannot be referenced either.
    let loc_id = location["id"].as_str().unwrap();
    let resp = theirs
        .post(
            "/core/inventory",
            &json!({"name": "Tea", "location_id": loc_id}),
        )
        .await;
    assert_eq!(resp.expect_problem(404), ["location_id"]);

    // Untouched.
    let again = mine.get(&format!("/core/inventory/{id}")).await;
    assert_eq!(again.expect(200)["name"], "Coffee");
    assert_eq!(again.body["version"], 1);
    assert_eq!(
        mine.get("/core/inventory").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn me_names_the_caller(app: TestApp) {
    let me = app.owner().get("/core/me").await;
    let body = me.expect(200);
    assert_eq!(body["name"], "owner");
    assert_eq!(body["role"], "owner");
    assert_eq!(body["household_name"], "Home");
    let ada = app.member("ada", Role::Adult).await;
    let me = ada.get("/core/me").await;
    assert_eq!(me.body["name"], "ada");
    assert_eq!(me.body["role"], "adult");
    let members = app.owner().get("/core/household/members").await;
    let names: Vec<_> = members.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["owner", "ada"]);
}
