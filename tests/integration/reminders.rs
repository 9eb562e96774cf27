//! Reminders and the inbox (SPEC §12): bills, the shopping digest and schedule occurrences are
//! each reminded of once; pending approvals sit in the inbox until decided; dismiss.

use serde_json::{Value, json};

use crate::backend_tests;
use crate::util::{Client, TestApp};
use valhalla::domain::Role;

backend_tests!(
    bills_are_reminded_once_within_their_lead_time,
    schedule_occurrences_are_reminded_once,
    shopping_digest_once_a_day,
    inbox_lists_dismisses_and_scopes,
    approvals_enter_and_leave_the_inbox,
    heimdall_and_the_tick_push_reminders,
);

fn titles(pushed: &Value) -> Vec<String> {
    let mut titles: Vec<String> = pushed["created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect();
    titles.sort();
    titles
}

async fn push(client: &Client, what: &str) -> Value {
    client
        .post_empty(&format!("/core/{what}/push_reminders"))
        .await
        .expect(200)
        .clone()
}

async fn inbox(client: &Client) -> Vec<Value> {
    client.get("/core/inbox").await.expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn bills_are_reminded_once_within_their_lead_time(app: TestApp) {
    let owner = app.owner();
    // Today is 2026-11-25.
    let soon = owner
        .post(
            "/core/bills",
            &json!({"name": "Power", "payee": "City Energy", "amount": "89.90", "due_on": "2026-11-27", "rrule": "FREQ=MONTHLY"}),
        )
        .await
        .expect(201)
        .clone();
    owner
        .post(
            "/core/bills",
            &json!({"name": "Water", "amount": "30", "due_on": "2026-11-20"}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/bills",
            &json!({"name": "Insurance", "amount": "400", "due_on": "2026-12-20", "remind_days_before": 3}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/bills",
            &json!({"name": "Phone", "amount": "20", "due_on": "2026-12-05", "remind_days_before": 10, "autopay": true}),
        )
        .await
        .expect(201);

    let first = push(&owner, "bills").await;
    assert_eq!(titles(&first), ["Pay Phone", "Pay Power", "Pay Water"]);
    assert_eq!(first["skipped"], 0);
    let power = first["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Pay Power")
        .unwrap();
    assert_eq!(power["kind"], "bill");
    assert_eq!(power["subject_id"], soon["id"]);
    assert_eq!(power["due_on"], "2026-11-27");
    assert_eq!(
        power["message"],
        "Power to City Energy: 89.90 is due 2026-11-27."
    );
    assert_eq!(power["dismissed_at"], Value::Null);
    let water = first["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Pay Water")
        .unwrap();
    assert_eq!(
        water["message"],
        "Water: 30.00 was due 2026-11-20 (overdue)."
    );

    // Pushing again adds nothing.
    let again = push(&owner, "bills").await;
    assert_eq!(again["created"], json!([]));
    assert_eq!(again["skipped"], 3);
    assert_eq!(app.count("reminders", "kind = 'bill'").await, 3);

    // Paying Power moves it to 2026-12-27: no reminder for that period until 2026-12-24.
    let bill_id = soon["id"].as_str().unwrap();
    owner
        .post(&format!("/core/bills/{bill_id}/paid"), &json!({}))
        .await
        .expect(200);
    assert_eq!(push(&owner, "bills").await["created"], json!([]));
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-24T12:00:00Z")
            .unwrap()
            .into(),
    );
    let later = push(&owner, "bills").await;
    let later_titles = titles(&later);
    assert!(later_titles.contains(&"Pay Power".to_string()), "{later}");
    assert!(
        later_titles.contains(&"Pay Insurance".to_string()),
        "{later}"
    );
    let power = later["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Pay Power")
        .unwrap();
    assert_eq!(power["due_on"], "2026-12-27");

    // Viewers may not push; unknown parameters are refused.
    let viewer = app.member("vic", Role::Viewer).await;
    viewer
        .post_empty("/core/bills/push_reminders")
        .await
        .expect_problem(403);
    let fields = owner
        .post_empty("/core/bills/push_reminders?days=3")
        .await
        .expect_problem(400);
    assert!(!fields.is_empty());
}

async fn schedule_occurrences_are_reminded_once(app: TestApp) {
    let owner = app.owner();
    // A weekly need every Saturday (2026-11-28 is a Saturday), reminded 3 days ahead.
    let weekly = owner
        .post(
            "/core/schedule",
            &json!({"title": "Market", "kind": "need", "date": "2026-11-07", "rrule": "FREQ=WEEKLY;BYDAY=SA", "item_name": "Eggs", "qty": 12, "remind_days_before": 3}),
        )
        .await
        .expect(201)
        .clone();
    // Tomorrow, with the default of one day ahead.
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Dentist", "kind": "appointment", "date": "2026-11-26"}),
        )
        .await
        .expect(201);
    // Too far ahead for its lead time, and one in the past.
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Boiler service", "kind": "chore", "date": "2026-12-10", "remind_days_before": 7}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Yesterday", "kind": "other", "date": "2026-11-24", "remind_days_before": 5}),
        )
        .await
        .expect(201);

    let first = push(&owner, "schedule").await;
    assert_eq!(titles(&first), ["Dentist", "Market"]);
    let market = first["created"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["title"] == "Market")
        .unwrap();
    assert_eq!(market["kind"], "schedule");
    assert_eq!(market["subject_id"], weekly["id"]);
    assert_eq!(market["due_on"], "2026-11-28");
    assert_eq!(market["message"], "Market 2026-11-28. Needed: Eggs × 12.");
    assert_eq!(push(&owner, "schedule").await["skipped"], 2);
    assert_eq!(push(&owner, "schedule").await["created"], json!([]));

    // A week later the next Saturday is due, and the boiler is within its seven days.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-12-03T09:00:00Z")
            .unwrap()
            .into(),
    );
    let next = push(&owner, "schedule").await;
    assert_eq!(titles(&next), ["Boiler service", "Market"]);
    assert_eq!(app.count("reminders", "kind = 'schedule'").await, 4);
}

async fn shopping_digest_once_a_day(app: TestApp) {
    let owner = app.owner();
    // Nothing on the list: nothing to say.
    let empty = push(&owner, "shopping").await;
    assert_eq!(empty, json!({"created": [], "skipped": 0}));
    for (name, cost) in [("Milk", "1.20"), ("Bread", "2.35")] {
        owner
            .post_empty(&format!(
                "/core/shopping/quick_add?name={name}&est_total={cost}"
            ))
            .await
            .expect(201);
    }
    let first = push(&owner, "shopping").await;
    let created = first["created"].as_array().unwrap();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["kind"], "shopping");
    assert_eq!(created[0]["due_on"], "2026-11-25");
    assert_eq!(created[0]["title"], "Shopping list: 2 open items");
    assert_eq!(created[0]["message"], "Milk, Bread. Estimated total 3.55.");
    assert_eq!(push(&owner, "shopping").await["skipped"], 1);
    // The next day brings the next digest.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-26T08:00:00Z")
            .unwrap()
            .into(),
    );
    let next = push(&owner, "shopping").await;
    assert_eq!(next["created"][0]["due_on"], "2026-11-26");
    assert_eq!(app.count("reminders", "kind = 'shopping'").await, 2);
}

async fn inbox_lists_dismisses_and_scopes(app: TestApp) {
    let owner = app.owner();
    owner
        .post(
            "/core/bills",
            &json!({"name": "Rent", "amount": "900", "due_on": "2026-11-26"}),
        )
        .await
        .expect(201);
    owner
        .post_empty("/core/shopping/quick_add?name=Milk&est_total=1")
        .await
        .expect(201);
    push(&owner, "bills").await;
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:01Z")
            .unwrap()
            .into(),
    );
    push(&owner, "shopping").await;

    let items = inbox(&owner).await;
    let kinds: Vec<&str> = items.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["shopping", "bill"], "newest first");
    // Paging.
    let page = owner.get("/core/inbox?limit=1").await.expect(200).clone();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = owner
        .get(&format!("/core/inbox?limit=1&cursor={cursor}"))
        .await
        .expect(200)
        .clone();
    assert_eq!(rest["items"][0]["kind"], "bill");
    assert_eq!(rest["next_cursor"], Value::Null);

    // Dismiss: gone from the inbox; a second dismissal changes nothing.
    let bill_reminder = items[1]["id"].as_str().unwrap().to_string();
    let dismissed = owner
        .post_empty(&format!("/core/inbox/{bill_reminder}/dismiss"))
        .await
        .expect(200)
        .clone();
    assert_eq!(dismissed["dismissed_at"], "2026-11-25T12:00:01.000000Z");
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T13:00:00Z")
            .unwrap()
            .into(),
    );
    let again = owner
        .post_empty(&format!("/core/inbox/{bill_reminder}/dismiss"))
        .await
        .expect(200)
        .clone();
    assert_eq!(again["dismissed_at"], "2026-11-25T12:00:01.000000Z");
    let left: Vec<Value> = inbox(&owner).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["kind"], "shopping");
    // Pushing again does not bring a dismissed reminder back.
    assert_eq!(push(&owner, "bills").await["skipped"], 1);
    assert_eq!(inbox(&owner).await.len(), 1);

    // Viewers read but may not dismiss; another household sees none of it.
    let viewer = app.member("vic", Role::Viewer).await;
    assert_eq!(inbox(&viewer).await.len(), 1);
    let shopping_reminder = left[0]["id"].as_str().unwrap();
    viewer
        .post_empty(&format!("/core/inbox/{shopping_reminder}/dismiss"))
        .await
        .expect_problem(403);
    let stranger = app.member_of("Elsewhere", "sam", Role::Owner).await;
    assert!(inbox(&stranger).await.is_empty());
    stranger
        .post_empty(&format!("/core/inbox/{shopping_reminder}/dismiss"))
        .await
        .expect_problem(404);
    owner
        .post_empty("/core/inbox/no-such-id/dismiss")
        .await
        .expect_problem(404);
    assert_eq!(inbox(&owner).await.len(), 1);
}

async fn approvals_enter_and_leave_the_inbox(app: TestApp) {
    let owner = app.owner();
    let alex = app.member("alex", Role::Adult).await;
    let approval = alex
        .post(
            "/core/approvals",
            &json!({"title": "New fridge", "action": "shopping.bought", "target_type": "shopping_item", "target_id": "x", "payload": {"est_total": "650.00"}}),
        )
        .await
        .expect(201)
        .clone();
    let items = inbox(&owner).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "approval");
    assert_eq!(items[0]["subject_id"], approval["id"]);
    assert_eq!(items[0]["title"], "Approval needed: New fridge");
    assert_eq!(
        items[0]["message"],
        "alex asks for a yes on shopping.bought (650.00)."
    );
    // Deciding it takes it out of the inbox.
    let id = approval["id"].as_str().unwrap();
    owner
        .post_empty(&format!("/core/approvals/{id}/decide?decision=approve"))
        .await
        .expect(200);
    assert!(inbox(&owner).await.is_empty());
    assert_eq!(
        app.count(
            "reminders",
            "kind = 'approval' AND dismissed_at IS NOT NULL"
        )
        .await,
        1
    );
}

async fn heimdall_and_the_tick_push_reminders(app: TestApp) {
    let owner = app.owner();
    owner
        .post(
            "/core/bills",
            &json!({"name": "Rent", "amount": "900", "due_on": "2026-11-26"}),
        )
        .await
        .expect(201);
    // The plan says what would be reminded of, and changes nothing.
    let plan = owner
        .post(
            "/core/heimdall/plan",
            &json!({"action": "bills.push_reminders", "params": {}}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(plan["outcome"], "ok");
    assert_eq!(plan["effects"], json!(["remind: Pay Rent"]));
    assert_eq!(app.count("reminders", "1 = 1").await, 0);
    // `do` does it, in explore mode too (a safe action), and logs it.
    let done = owner
        .post(
            "/core/heimdall/do",
            &json!({"action": "bills.push_reminders", "mode": "explore", "params": {}}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(done["result"]["created"][0]["title"], "Pay Rent");
    assert_eq!(done["effects"], json!(["remind: Pay Rent"]));
    assert_eq!(app.count("reminders", "kind = 'bill'").await, 1);

    // The tick pushes every kind, through Heimdall as the scheduler; a second tick adds nothing.
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Dentist", "kind": "appointment", "date": "2026-11-26"}),
        )
        .await
        .expect(201);
    owner
        .post_empty("/core/shopping/quick_add?name=Milk&est_total=1")
        .await
        .expect(201);
    let tick = owner
        .post_empty("/core/scheduler/tick")
        .await
        .expect(200)
        .clone();
    let step = |name: &str| {
        tick["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {tick}"))
            .clone()
    };
    assert_eq!(step("bills.push_reminders")["created"], 0);
    assert_eq!(step("bills.push_reminders")["ok"], true);
    assert_eq!(step("shopping.push_reminders")["created"], 1);
    assert_eq!(step("schedule.push_reminders")["created"], 1);
    let log = owner
        .get("/core/heimdall/actions")
        .await
        .expect(200)
        .clone();
    let by_scheduler: Vec<&str> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["actor"] == "scheduler")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(by_scheduler.contains(&"schedule.push_reminders"), "{log}");
    let second = owner
        .post_empty("/core/scheduler/tick")
        .await
        .expect(200)
        .clone();
    assert!(
        second["steps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["ok"] == true && s["created"] == 0),
        "{second}"
    );
    assert_eq!(inbox(&owner).await.len(), 3);
}
