//! Schedule (SPEC §4): events, RRULE recurrence, `until`, occurrences.

use serde_json::{Value, json};
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    event_crud_with_if_match,
    event_validation_names_the_field,
    invalid_rules_are_400_naming_rrule,
    weekly_occurrences,
    monthly_on_a_day_and_until,
    range_across_daylight_saving_in_berlin,
    occurrence_range_limits_filters_and_pages,
    events_are_household_scoped,
    schedule_routes_are_documented,
);

async fn create_event(client: &Client, body: Value) -> Value {
    client
        .post("/core/schedule", &body)
        .await
        .expect(201)
        .clone()
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap().to_string()
}

/// `(date, title)` of each occurrence in a list answer.
fn dates(resp: &crate::util::Resp) -> Vec<(String, String)> {
    resp.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {}", resp.text))
        .iter()
        .map(|o| {
            (
                o["date"].as_str().unwrap().to_string(),
                o["title"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn days(resp: &crate::util::Resp) -> Vec<String> {
    dates(resp).into_iter().map(|(d, _)| d).collect()
}

async fn event_crud_with_if_match(app: TestApp) {
    let owner = app.owner();
    let rent = create_event(&owner, json!({"title": " Pay rent ", "date": "2026-12-01"})).await;
    assert_eq!(rent["title"], "Pay rent");
    assert_eq!(rent["kind"], "other");
    assert_eq!(rent["date"], "2026-12-01");
    assert_eq!(rent["rrule"], Value::Null);
    assert_eq!(rent["until"], Value::Null);
    assert_eq!(rent["remind_days_before"], 1);
    assert_eq!(rent["version"], 1);

    let milk = owner.create_item(json!({"name": "Milk"})).await;
    let resp = owner
        .post(
            "/core/schedule",
            &json!({
                "title": "Weekly shop", "kind": "need", "date": "2026-11-28",
                "rrule": "RRULE:FREQ=WEEKLY;BYDAY=SA", "until": "2027-02-27",
                "item_name": "Milk", "qty": 2, "est_unit_cost": "1.20",
                "inv_id": milk["id"], "notes": "the oat one", "remind_days_before": 2
            }),
        )
        .await;
    assert_eq!(resp.header("etag"), Some("\"1\""));
    let shop = resp.expect(201).clone();
    let id = id_of(&shop);
    assert_eq!(
        shop["rrule"], "FREQ=WEEKLY;BYDAY=SA",
        "stored without the prefix"
    );
    assert_eq!(shop["until"], "2027-02-27");
    assert_eq!(shop["qty"], "2");
    assert_eq!(shop["est_unit_cost"], "1.20");
    assert_eq!(shop["inv_id"], milk["id"]);
    assert_eq!(shop["remind_days_before"], 2);
    assert_eq!(
        owner.get(&format!("/core/schedule/{id}")).await.expect(200),
        &shop
    );

    let list = owner.get("/core/schedule").await;
    let titles: Vec<&str> = list.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Weekly shop", "Pay rent"], "ordered by date");
    let needs = owner.get("/core/schedule?kind=need").await;
    assert_eq!(needs.body["items"], json!([shop.clone()]));

    let patched = owner
        .request(reqwest::Method::PATCH, &format!("/core/schedule/{id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"rrule": null, "qty": "1.5", "notes": null}))
        .send()
        .await;
    let body = patched.expect(200).clone();
    assert_eq!(body["rrule"], Value::Null);
    assert_eq!(body["qty"], "1.5");
    assert_eq!(body["notes"], Value::Null);
    assert_eq!(body["item_name"], "Milk", "absent fields are kept");
    assert_eq!(body["version"], 2);

    let stale = owner
        .request(reqwest::Method::PATCH, &format!("/core/schedule/{id}"))
        .header("if-match", "\"1\"")
        .json(&json!({"title": "Lost update"}))
        .send()
        .await;
    stale.expect_problem(412);
    assert_eq!(
        owner.get(&format!("/core/schedule/{id}")).await.body["title"],
        "Weekly shop"
    );
    owner
        .request(reqwest::Method::DELETE, &format!("/core/schedule/{id}"))
        .header("if-match", "\"1\"")
        .send()
        .await
        .expect_problem(412);
    owner
        .delete(&format!("/core/schedule/{id}"))
        .await
        .expect(204);
    owner
        .get(&format!("/core/schedule/{id}"))
        .await
        .expect_problem(404);
    owner
        .delete(&format!("/core/schedule/{id}"))
        .await
        .expect_problem(404);
}

async fn event_validation_names_the_field(app: TestApp) {
    let owner = app.owner();
    for (body, field) in [
        (json!({"date": "2026-12-01"}), "title"),
        (json!({"title": " ", "date": "2026-12-01"}), "title"),
        (
            json!({"title": "x".repeat(201), "date": "2026-12-01"}),
            "title",
        ),
        (json!({"title": "x"}), "date"),
        (json!({"title": "x", "date": "2026-02-30"}), "date"),
        (json!({"title": "x", "date": "01.12.2026"}), "date"),
        (
            json!({"title": "x", "date": "2026-12-01", "kind": "party"}),
            "kind",
        ),
        (
            json!({"title": "x", "date": "2026-12-01", "until": "2026-11-30"}),
            "until",
        ),
        (json!({"title": "x", "date": "2026-12-01", "qty": 0}), "qty"),
        (
            json!({"title": "x", "date": "2026-12-01", "qty": "-2"}),
            "qty",
        ),
        (
            json!({"title": "x", "date": "2026-12-01", "est_unit_cost": "1.001"}),
            "est_unit_cost",
        ),
        (
            json!({"title": "x", "date": "2026-12-01", "remind_days_before": -1}),
            "remind_days_before",
        ),
        (
            json!({"title": "x", "date": "2026-12-01", "remind_days_before": 1.5}),
            "remind_days_before",
        ),
        (
            json!({"title": "x", "date": "2026-12-01", "colour": "red"}),
            "colour",
        ),
    ] {
        let resp = owner.post("/core/schedule", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    let resp = owner
        .post(
            "/core/schedule",
            &json!({"title": "x", "date": "2026-12-01", "inv_id": "nope"}),
        )
        .await;
    assert_eq!(resp.expect_problem(404), ["inv_id"]);
    let viewer = app.member("vera", Role::Viewer).await;
    viewer
        .post(
            "/core/schedule",
            &json!({"title": "x", "date": "2026-12-01"}),
        )
        .await
        .expect_problem(403);
    assert_eq!(app.count("schedule_events", "1 = 1").await, 0);

    let event = create_event(&owner, json!({"title": "Bins", "date": "2026-12-01"})).await;
    let id = id_of(&event);
    for (patch, field) in [
        (json!({"title": null}), "title"),
        (json!({"date": null}), "date"),
        (json!({"kind": null}), "kind"),
        (json!({"until": "2026-11-01"}), "until"),
        (json!({"remind_days_before": null}), "remind_days_before"),
    ] {
        let resp = owner.patch(&format!("/core/schedule/{id}"), &patch).await;
        assert_eq!(resp.expect_problem(400), [field], "{patch}");
    }
    let resp = owner
        .patch(&format!("/core/schedule/{id}"), &json!({"inv_id": "nope"}))
        .await;
    assert_eq!(resp.expect_problem(404), ["inv_id"]);
    assert_eq!(
        owner.get(&format!("/core/schedule/{id}")).await.body,
        event,
        "refused patches change nothing"
    );
}

async fn invalid_rules_are_400_naming_rrule(app: TestApp) {
    let owner = app.owner();
    for rule in [
        json!("FREQ=SOMETIMES"),
        json!("FREQ=WEEKLY;BYDAY=XX"),
        json!("FREQ=MONTHLY;BYMONTHDAY=32"),
        json!("FREQ=HOURLY"),
        json!("FREQ=DAILY;BYHOUR=9"),
        json!("DTSTART:20261201T000000Z\nRRULE:FREQ=DAILY"),
        json!("every saturday"),
        json!(7),
    ] {
        let resp = owner
            .post(
                "/core/schedule",
                &json!({"title": "x", "date": "2026-12-01", "rrule": rule}),
            )
            .await;
        assert_eq!(resp.expect_problem(400), ["rrule"], "{rule}");
    }
    assert_eq!(app.count("schedule_events", "1 = 1").await, 0);
    let event = create_event(
        &owner,
        json!({"title": "Bins", "date": "2026-12-01", "rrule": "FREQ=WEEKLY"}),
    )
    .await;
    let resp = owner
        .patch(
            &format!("/core/schedule/{}", id_of(&event)),
            &json!({"rrule": "FREQ=MONTHLY;BYMONTHDAY=32"}),
        )
        .await;
    assert_eq!(resp.expect_problem(400), ["rrule"]);
    assert_eq!(
        owner
            .get(&format!("/core/schedule/{}", id_of(&event)))
            .await
            .body["rrule"],
        "FREQ=WEEKLY"
    );
}

async fn weekly_occurrences(app: TestApp) {
    let owner = app.owner();
    let shop = create_event(
        &owner,
        json!({"title": "Weekly shop", "kind": "need", "date": "2026-11-28",
               "rrule": "FREQ=WEEKLY;BYDAY=SA", "item_name": "Milk", "qty": 2}),
    )
    .await;
    let resp = owner
        .get("/core/schedule/occurrences?from=2026-11-25&to=2026-12-19")
        .await;
    let occ = |date: &str| {
        json!({"event_id": shop["id"], "date": date, "title": "Weekly shop", "kind": "need",
               "item_name": "Milk", "qty": "2"})
    };
    assert_eq!(
        resp.expect(200),
        &json!({"items": [occ("2026-11-28"), occ("2026-12-05"), occ("2026-12-12"),
                          occ("2026-12-19")], "next_cursor": null})
    );
    // Without a range: today (2026-11-25) … today + 30 days.
    let default = owner.get("/core/schedule/occurrences").await;
    assert_eq!(
        days(&default),
        ["2026-11-28", "2026-12-05", "2026-12-12", "2026-12-19"]
    );
    // Every other Tuesday and Thursday.
    create_event(
        &owner,
        json!({"title": "Gym", "kind": "appointment", "date": "2026-12-01",
               "rrule": "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH"}),
    )
    .await;
    let gym = owner
        .get("/core/schedule/occurrences?from=2026-12-01&to=2026-12-31&kind=appointment")
        .await;
    assert_eq!(
        days(&gym),
        [
            "2026-12-01",
            "2026-12-03",
            "2026-12-15",
            "2026-12-17",
            "2026-12-29",
            "2026-12-31"
        ]
    );
}

async fn monthly_on_a_day_and_until(app: TestApp) {
    let owner = app.owner();
    create_event(
        &owner,
        json!({"title": "Water filter", "kind": "chore", "date": "2026-12-15",
               "rrule": "FREQ=MONTHLY;BYMONTHDAY=15", "until": "2027-03-20"}),
    )
    .await;
    let resp = owner
        .get("/core/schedule/occurrences?from=2026-12-01&to=2027-06-30")
        .await;
    assert_eq!(
        days(&resp),
        ["2026-12-15", "2027-01-15", "2027-02-15", "2027-03-15"],
        "nothing after until"
    );
    // Until exactly on an occurrence includes it; a range starting after until is empty.
    create_event(
        &owner,
        json!({"title": "Rent", "date": "2027-01-01", "rrule": "FREQ=MONTHLY;BYMONTHDAY=1",
               "until": "2027-04-01"}),
    )
    .await;
    let resp = owner
        .get("/core/schedule/occurrences?from=2027-03-01&to=2027-12-31")
        .await;
    assert_eq!(
        dates(&resp),
        [
            ("2027-03-01".to_string(), "Rent".to_string()),
            ("2027-03-15".to_string(), "Water filter".to_string()),
            ("2027-04-01".to_string(), "Rent".to_string()),
        ]
    );
    // Day 31 only exists in some months: the others are skipped, not moved.
    create_event(
        &owner,
        json!({"title": "Backup", "date": "2027-01-31", "rrule": "FREQ=MONTHLY;BYMONTHDAY=31"}),
    )
    .await;
    let resp = owner
        .get("/core/schedule/occurrences?from=2027-01-01&to=2027-06-30&kind=other")
        .await;
    let backups: Vec<String> = dates(&resp)
        .into_iter()
        .filter(|(_, t)| t == "Backup")
        .map(|(d, _)| d)
        .collect();
    assert_eq!(backups, ["2027-01-31", "2027-03-31", "2027-05-31"]);
    // A one-off event appears once, on its date.
    create_event(&owner, json!({"title": "Dentist", "date": "2027-02-10"})).await;
    let resp = owner
        .get("/core/schedule/occurrences?from=2027-02-10&to=2027-02-10")
        .await;
    assert_eq!(
        dates(&resp),
        [("2027-02-10".to_string(), "Dentist".to_string())]
    );
}

async fn range_across_daylight_saving_in_berlin(app: TestApp) {
    let owner = app.owner();
    owner
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Europe/Berlin"}),
        )
        .await
        .expect(200);
    // Berlin's clocks go forward on Sunday 2027-03-28 and back on Sunday 2027-10-31.
    create_event(
        &owner,
        json!({"title": "Market", "date": "2027-03-14", "rrule": "FREQ=WEEKLY;BYDAY=SU"}),
    )
    .await;
    create_event(
        &owner,
        json!({"title": "Plants", "date": "2027-03-27", "rrule": "FREQ=DAILY;COUNT=3"}),
    )
    .await;
    let spring = owner
        .get("/core/schedule/occurrences?from=2027-03-20&to=2027-04-05")
        .await;
    assert_eq!(
        dates(&spring),
        [
            ("2027-03-21", "Market"),
            ("2027-03-27", "Plants"),
            ("2027-03-28", "Market"),
            ("2027-03-28", "Plants"),
            ("2027-03-29", "Plants"),
            ("2027-04-04", "Market"),
        ]
        .map(|(d, t)| (d.to_string(), t.to_string()))
    );
    let autumn = owner
        .get("/core/schedule/occurrences?from=2027-10-24&to=2027-11-07&kind=other")
        .await;
    assert_eq!(days(&autumn), ["2027-10-24", "2027-10-31", "2027-11-07"]);
    // "Today" is Berlin's date: at 23:30 UTC on the 25th it is already the 26th there.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T23:30:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    );
    create_event(
        &owner,
        json!({"title": "Vitamins", "date": "2026-11-20", "rrule": "FREQ=DAILY"}),
    )
    .await;
    let resp = owner.get("/core/schedule/occurrences?limit=1").await;
    assert_eq!(
        dates(&resp),
        [("2026-11-26".to_string(), "Vitamins".to_string())]
    );
}

async fn occurrence_range_limits_filters_and_pages(app: TestApp) {
    let owner = app.owner();
    create_event(
        &owner,
        json!({"title": "Daily", "kind": "chore", "date": "2026-01-01", "rrule": "FREQ=DAILY"}),
    )
    .await;
    let leap = owner
        .get("/core/schedule/occurrences?from=2028-01-01&to=2028-12-31&limit=500")
        .await;
    assert_eq!(leap.expect(200)["items"].as_array().unwrap().len(), 366);
    let year = owner
        .get("/core/schedule/occurrences?from=2027-01-01&to=2028-01-01&limit=500")
        .await;
    assert_eq!(year.expect(200)["items"].as_array().unwrap().len(), 366);
    for (query, field) in [
        ("from=2027-01-01&to=2028-01-02", "to"),
        ("from=2027-01-01&to=2026-12-31", "to"),
        ("from=2027-1-1", "from"),
        ("to=tomorrow", "to"),
        ("kind=party", "kind"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("cursor=bogus", "cursor"),
        ("days=3", "days"),
    ] {
        let resp = owner
            .get(&format!("/core/schedule/occurrences?{query}"))
            .await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
    // Kind filter.
    create_event(
        &owner,
        json!({"title": "Coffee", "kind": "need", "date": "2026-11-30"}),
    )
    .await;
    let needs = owner
        .get("/core/schedule/occurrences?from=2026-11-25&to=2026-12-31&kind=need")
        .await;
    assert_eq!(
        dates(&needs),
        [("2026-11-30".to_string(), "Coffee".to_string())]
    );
    // Pages of three follow each other without gaps or repeats, sorted by date.
    let mut seen = Vec::new();
    let mut path = "/core/schedule/occurrences?from=2026-11-29&to=2026-12-02&limit=3".to_string();
    loop {
        let page = owner.get(&path).await;
        seen.extend(dates(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => {
                path = format!(
                    "/core/schedule/occurrences?from=2026-11-29&to=2026-12-02&limit=3&cursor={c}"
                )
            }
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            ("2026-11-29", "Daily"),
            ("2026-11-30", "Daily"),
            ("2026-11-30", "Coffee"),
            ("2026-12-01", "Daily"),
            ("2026-12-02", "Daily"),
        ]
        .map(|(d, t)| (d.to_string(), t.to_string())),
        "same-day occurrences are ordered by event id (creation)"
    );
}

async fn events_are_household_scoped(app: TestApp) {
    let owner = app.owner();
    let event = create_event(
        &owner,
        json!({"title": "Ours", "kind": "need", "date": "2026-11-30"}),
    )
    .await;
    let id = id_of(&event);
    let stranger = app.member_of("Elsewhere", "sam", Role::Owner).await;
    let ours = owner.get(&format!("/core/schedule/{id}")).await;
    let theirs = stranger.get(&format!("/core/schedule/{id}")).await;
    theirs.expect_problem(404);
    let missing = owner.get("/core/schedule/no-such-id").await;
    assert_eq!(
        theirs.body, missing.body,
        "answered exactly like a missing id"
    );
    ours.expect(200);
    stranger
        .patch(&format!("/core/schedule/{id}"), &json!({"title": "Mine"}))
        .await
        .expect_problem(404);
    stranger
        .delete(&format!("/core/schedule/{id}"))
        .await
        .expect_problem(404);
    assert_eq!(
        stranger.get("/core/schedule").await.expect(200)["items"],
        json!([])
    );
    assert_eq!(
        stranger
            .get("/core/schedule/occurrences?from=2026-11-25&to=2026-12-31")
            .await
            .expect(200)["items"],
        json!([])
    );
    // An inventory item of another household cannot be linked.
    let their_item = stranger.create_item(json!({"name": "Theirs"})).await;
    let resp = owner
        .post(
            "/core/schedule",
            &json!({"title": "x", "date": "2026-12-01", "inv_id": their_item["id"]}),
        )
        .await;
    assert_eq!(resp.expect_problem(404), ["inv_id"]);
    assert_eq!(owner.get(&format!("/core/schedule/{id}")).await.body, event);
}

async fn schedule_routes_are_documented(app: TestApp) {
    let doc = app.anonymous().get("/openapi.json").await;
    let paths = &doc.expect(200)["paths"];
    for (path, methods) in [
        ("/core/schedule", vec!["get", "post"]),
        ("/core/schedule/{id}", vec!["get", "patch", "delete"]),
        ("/core/schedule/occurrences", vec!["get"]),
    ] {
        for method in methods {
            let op = &paths[path][method];
            assert_eq!(op["tags"], json!(["schedule"]), "{method} {path}");
            assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
        }
    }
}
