//! Bills (SPEC §6): CRUD, recurrence, paying into the ledger, never paying a period twice.

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend_tests;
use crate::util::{Client, TestApp};
use valhalla::domain::Role;

backend_tests!(
    monthly_bill_on_the_31st_keeps_its_day,
    paying_writes_the_expense,
    one_off_bill_paid_twice_is_409,
    concurrent_payments_pay_a_period_once,
    stale_period_is_409,
    lists_filter_overdue_and_due_within,
    crud_validation_and_if_match,
    roles_and_households,
    foreign_currency_bill_needs_the_paid_amount,
);

async fn bill(client: &Client, body: Value) -> Value {
    client.post("/core/bills", &body).await.expect(201).clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn pay(client: &Client, bill_id: &str, body: Value) -> crate::util::Resp {
    client
        .post(&format!("/core/bills/{bill_id}/paid"), &body)
        .await
}

/// (kind, amount, date, category, source_type, source_id) of every ledger entry, oldest first.
async fn ledger_rows(app: &TestApp) -> Vec<(String, i64, String, Option<String>, String, String)> {
    sqlx::query(
        "SELECT kind, amount, entry_date, category, source_type, source_id FROM ledger_entries ORDER BY id",
    )
    .fetch_all(app.db().pool())
    .await
    .unwrap()
    .into_iter()
    .map(|r| {
        (
            r.try_get("kind").unwrap(),
            r.try_get("amount").unwrap(),
            r.try_get("entry_date").unwrap(),
            r.try_get("category").unwrap(),
            r.try_get("source_type").unwrap(),
            r.try_get("source_id").unwrap(),
        )
    })
    .collect()
}

async fn monthly_bill_on_the_31st_keeps_its_day(app: TestApp) {
    let owner = app.owner();
    let rent = bill(
        &owner,
        json!({"name": "Rent", "amount": 950, "due_on": "2026-10-31", "rrule": "FREQ=MONTHLY"}),
    )
    .await;
    assert_eq!(rent["overdue"], true);
    let rent_id = id(&rent);
    let mut due = Vec::new();
    let mut current = "2026-10-31".to_string();
    for _ in 0..6 {
        // Several periods paid on one day: each names the period it pays.
        let paid = pay(&owner, &rent_id, json!({"due_on": current})).await;
        let body = paid.expect(200);
        assert_eq!(body["status"], "unpaid", "a recurring bill stays unpaid");
        assert_eq!(body["last_paid_on"], "2026-11-25");
        current = body["due_on"].as_str().unwrap().to_string();
        due.push(current.clone());
    }
    assert_eq!(
        due,
        [
            "2026-11-30",
            "2026-12-31",
            "2027-01-31",
            "2027-02-28",
            "2027-03-31",
            "2027-04-30"
        ],
        "the 31st, or the month's last day when it is shorter"
    );
    assert_eq!(app.count("ledger_entries", "source_type = 'bill'").await, 6);
    assert_eq!(app.count("bill_payments", "1 = 1").await, 6);
    let periods: Vec<String> = sqlx::query("SELECT period FROM bill_payments ORDER BY period")
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get("period").unwrap())
        .collect();
    assert_eq!(
        periods,
        [
            "2026-10-31",
            "2026-11-30",
            "2026-12-31",
            "2027-01-31",
            "2027-02-28",
            "2027-03-31"
        ]
    );
    // A leap year keeps the 29th of February for a bill due on the 29th or later.
    let insurance = bill(
        &owner,
        json!({"name": "Insurance", "amount": 30, "due_on": "2028-01-30", "rrule": "FREQ=MONTHLY"}),
    )
    .await;
    let paid = pay(&owner, &id(&insurance), json!({})).await;
    assert_eq!(paid.expect(200)["due_on"], "2028-02-29");
    // A series with an end: paying its last period settles the bill.
    let loan = bill(
        &owner,
        json!({"name": "Loan", "amount": 100, "due_on": "2026-11-15", "rrule": "FREQ=MONTHLY;COUNT=2"}),
    )
    .await;
    let first = pay(&owner, &id(&loan), json!({})).await;
    assert_eq!(
        (first.body["due_on"].as_str(), first.body["status"].as_str()),
        (Some("2026-12-15"), Some("unpaid"))
    );
    // A second bare payment the same day is taken for a repeat and refused.
    pay(&owner, &id(&loan), json!({})).await.expect_problem(409);
    let last = pay(&owner, &id(&loan), json!({"due_on": "2026-12-15"})).await;
    assert_eq!(
        (last.body["due_on"].as_str(), last.body["status"].as_str()),
        (Some("2026-12-15"), Some("paid"))
    );
    pay(&owner, &id(&loan), json!({"due_on": "2026-12-15"}))
        .await
        .expect_problem(409);
}

async fn paying_writes_the_expense(app: TestApp) {
    let owner = app.owner();
    let power = bill(
        &owner,
        json!({"name": "Electricity", "payee": "City Power", "amount": "89.90",
               "due_on": "2026-11-28", "rrule": "FREQ=MONTHLY", "category": "utilities"}),
    )
    .await;
    let power_id = id(&power);
    let paid = pay(
        &owner,
        &power_id,
        json!({"paid_on": "2026-11-24", "amount": "91.15"}),
    )
    .await;
    let body = paid.expect(200);
    assert_eq!(body["due_on"], "2026-12-28");
    assert_eq!(body["amount"], "89.90", "the bill's amount is unchanged");
    assert_eq!(body["last_paid_on"], "2026-11-24");
    assert_eq!(body["version"], 2);
    assert_eq!(paid.header("etag"), Some("\"2\""));
    assert_eq!(
        ledger_rows(&app).await,
        [(
            "expense".to_string(),
            9115,
            "2026-11-24".to_string(),
            Some("utilities".to_string()),
            "bill".to_string(),
            power_id.clone()
        )]
    );
    let entries = owner.get("/core/ledger?source_type=bill").await;
    assert_eq!(
        entries.body["items"][0]["memo"],
        "Electricity (City Power), due 2026-11-28"
    );
    assert_eq!(
        owner.get("/core/ledger/balance").await.body["cash_balance"],
        "-91.15"
    );
    // The payment shows in the month's budget.
    let month = owner.get("/core/budget?month=2026-11").await;
    assert_eq!(month.body["categories"][0]["spent"], "91.15");
    for (body, field) in [
        (json!({"paid_on": "2026-11-26"}), "paid_on"),
        (json!({"amount": 0}), "amount"),
        (json!({"amount": "1.999"}), "amount"),
        (json!({"due_on": "soon"}), "due_on"),
        (json!({"note": "x"}), "note"),
    ] {
        let resp = pay(&owner, &power_id, body.clone()).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 1);
    owner
        .post_empty("/core/bills/nope/paid")
        .await
        .expect_problem(404);
}

async fn one_off_bill_paid_twice_is_409(app: TestApp) {
    let owner = app.owner();
    let fee = bill(
        &owner,
        json!({"name": "Car tax", "amount": 120, "due_on": "2026-12-01"}),
    )
    .await;
    let fee_id = id(&fee);
    let paid = owner
        .post_empty(&format!("/core/bills/{fee_id}/paid"))
        .await;
    let body = paid.expect(200);
    assert_eq!(body["status"], "paid");
    assert_eq!(body["due_on"], "2026-12-01");
    assert_eq!(body["overdue"], false);
    let again = pay(&owner, &fee_id, json!({})).await;
    again.expect_problem(409);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 1);
    assert_eq!(
        owner.get(&format!("/core/bills/{fee_id}")).await.body["version"],
        2
    );
    // Idempotent retries replay the first answer instead of failing.
    let tax = bill(
        &owner,
        json!({"name": "Dog tax", "amount": 60, "due_on": "2026-12-01"}),
    )
    .await;
    let first = owner
        .request(Method::POST, &format!("/core/bills/{}/paid", id(&tax)))
        .header("idempotency-key", "pay-dog-tax")
        .send()
        .await;
    let retry = owner
        .request(Method::POST, &format!("/core/bills/{}/paid", id(&tax)))
        .header("idempotency-key", "pay-dog-tax")
        .send()
        .await;
    assert_eq!((first.status, retry.status), (200, 200));
    assert_eq!(first.body, retry.body);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 2);
}

async fn concurrent_payments_pay_a_period_once(app: TestApp) {
    let owner = app.owner();
    let fee = bill(
        &owner,
        json!({"name": "Licence", "amount": 40, "due_on": "2026-11-30"}),
    )
    .await;
    let path = format!("/core/bills/{}/paid", id(&fee));
    let answers = join_all((0..8).map(|_| {
        let client = owner.clone();
        let path = path.clone();
        async move { client.post_empty(&path).await }
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 1);
    assert_eq!(app.count("bill_payments", "1 = 1").await, 1);

    // A recurring bill: eight requests for the same period, one payment.
    let rent = bill(
        &owner,
        json!({"name": "Rent", "amount": 900, "due_on": "2026-12-01", "rrule": "FREQ=MONTHLY"}),
    )
    .await;
    let path = format!("/core/bills/{}/paid", id(&rent));
    let answers = join_all((0..8).map(|_| {
        let client = owner.clone();
        let path = path.clone();
        async move { client.post(&path, &json!({"due_on": "2026-12-01"})).await }
    }))
    .await;
    let winners: Vec<_> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1);
    assert_eq!(winners[0].body["due_on"], "2027-01-01");
    assert!(answers.iter().all(|r| r.status == 200 || r.status == 409));
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 2);
    assert_eq!(
        owner.get(&format!("/core/bills/{}", id(&rent))).await.body["due_on"],
        "2027-01-01"
    );

    // A recurring bill paid by eight bare requests (no body, no period named): exactly one
    // pays; the rest are refused rather than paying the following months.
    let water = bill(
        &owner,
        json!({"name": "Water", "amount": 30, "due_on": "2026-11-28", "rrule": "FREQ=MONTHLY"}),
    )
    .await;
    let path = format!("/core/bills/{}/paid", id(&water));
    let answers = join_all((0..8).map(|_| {
        let client = owner.clone();
        let path = path.clone();
        async move { client.post_empty(&path).await }
    }))
    .await;
    let mut statuses: Vec<u16> = answers.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 3);
    let after = owner.get(&format!("/core/bills/{}", id(&water))).await;
    assert_eq!(after.body["due_on"], "2026-12-28");
    assert_eq!(after.body["last_paid_on"], "2026-11-25");
    // Paying the next period on the same day is possible when it is named.
    pay(&owner, &id(&water), json!({"due_on": "2026-12-28"}))
        .await
        .expect(200);
}

async fn stale_period_is_409(app: TestApp) {
    let owner = app.owner();
    let gym = bill(
        &owner,
        json!({"name": "Gym", "amount": 25, "due_on": "2026-11-20", "rrule": "FREQ=WEEKLY"}),
    )
    .await;
    let gym_id = id(&gym);
    pay(&owner, &gym_id, json!({"due_on": "2026-11-20"}))
        .await
        .expect(200);
    // Paying "the one due on the 20th" again: that period is paid.
    let again = pay(&owner, &gym_id, json!({"due_on": "2026-11-20"})).await;
    again.expect_problem(409);
    // The next period can be paid ahead.
    let next = pay(&owner, &gym_id, json!({"due_on": "2026-11-27"})).await;
    assert_eq!(next.expect(200)["due_on"], "2026-12-04");
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 2);
}

async fn lists_filter_overdue_and_due_within(app: TestApp) {
    let owner = app.owner();
    for (name, due_on) in [
        ("late", "2026-11-20"),
        ("today", "2026-11-25"),
        ("soon", "2026-12-01"),
        ("later", "2026-12-20"),
        ("done", "2026-11-10"),
    ] {
        bill(&owner, json!({"name": name, "amount": 1, "due_on": due_on})).await;
    }
    let done = owner.get("/core/bills").await.body["items"][0].clone();
    assert_eq!(done["name"], "done");
    owner
        .post_empty(&format!("/core/bills/{}/paid", id(&done)))
        .await
        .expect(200);
    let names = |resp: &crate::util::Resp| -> Vec<String> {
        resp.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&owner.get("/core/bills").await),
        ["done", "late", "today", "soon", "later"]
    );
    assert_eq!(
        names(&owner.get("/core/bills?overdue=true").await),
        ["late"]
    );
    assert_eq!(
        names(&owner.get("/core/bills?overdue=false").await),
        ["done", "today", "soon", "later"]
    );
    assert_eq!(
        names(&owner.get("/core/bills?due_within_days=6").await),
        ["late", "today", "soon"]
    );
    assert_eq!(
        names(&owner.get("/core/bills?due_within_days=0").await),
        ["late", "today"]
    );
    assert_eq!(names(&owner.get("/core/bills?status=paid").await), ["done"]);
    assert_eq!(
        names(
            &owner
                .get("/core/bills?status=unpaid&due_within_days=30")
                .await
        ),
        ["late", "today", "soon", "later"]
    );
    let late = owner.get("/core/bills?overdue=true").await;
    assert_eq!(late.body["items"][0]["overdue"], true);
    // The clock moves on: what is overdue follows the household's today.
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        names(&owner.get("/core/bills?overdue=true").await),
        ["late", "today"]
    );
    let page = owner.get("/core/bills?limit=2").await;
    assert_eq!(names(&page), ["done", "late"]);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = owner
        .get(&format!("/core/bills?limit=10&cursor={cursor}"))
        .await;
    assert_eq!(names(&rest), ["today", "soon", "later"]);
    for (query, field) in [
        ("due_within_days=-1", "due_within_days"),
        ("due_within_days=soon", "due_within_days"),
        ("due_within_days=99999", "due_within_days"),
        ("status=late", "status"),
        ("overdue=maybe", "overdue"),
    ] {
        let resp = owner.get(&format!("/core/bills?{query}")).await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
}

async fn crud_validation_and_if_match(app: TestApp) {
    let owner = app.owner();
    let created = owner
        .post(
            "/core/bills",
            &json!({"name": " Internet ", "amount": "39.99", "due_on": "2026-12-05",
                    "rrule": "RRULE:FREQ=MONTHLY;BYMONTHDAY=5", "autopay": true}),
        )
        .await;
    let b = created.expect(201).clone();
    assert_eq!(created.header("etag"), Some("\"1\""));
    let bill_id = id(&b);
    assert_eq!(
        b,
        json!({
            "id": bill_id, "name": "Internet", "payee": null, "amount": "39.99",
            "currency": "USD", "due_on": "2026-12-05", "rrule": "FREQ=MONTHLY;BYMONTHDAY=5",
            "category": null, "autopay": true, "status": "unpaid", "remind_days_before": 3,
            "last_paid_on": null, "overdue": false, "version": 1,
            "created_at": b["created_at"], "updated_at": b["updated_at"],
        })
    );
    let path = format!("/core/bills/{bill_id}");
    assert_eq!(owner.get(&path).await.expect(200), &b);
    let stale = owner
        .request(Method::PATCH, &path)
        .header("if-match", "\"7\"")
        .json(&json!({"amount": 1}))
        .send()
        .await;
    stale.expect_problem(412);
    let patched = owner
        .request(Method::PATCH, &path)
        .header("if-match", "\"1\"")
        .json(&json!({"amount": 44, "payee": "FiberCo", "rrule": null, "category": "utilities"}))
        .send()
        .await;
    let body = patched.expect(200);
    assert_eq!(body["amount"], "44.00");
    assert_eq!(body["payee"], "FiberCo");
    assert_eq!(body["rrule"], Value::Null);
    assert_eq!(body["version"], 2);
    assert_eq!(body["name"], "Internet", "absent fields are kept");
    for (patch, field) in [
        (json!({"rrule": "FREQ=SOMETIMES"}), "rrule"),
        (json!({"name": ""}), "name"),
        (json!({"amount": -1}), "amount"),
        (json!({"due_on": null}), "due_on"),
        (json!({"remind_days_before": 400}), "remind_days_before"),
        (json!({"status": "paid"}), "status"),
    ] {
        let resp = owner.patch(&path, &patch).await;
        assert_eq!(resp.expect_problem(400), [field], "{patch}");
    }
    assert_eq!(owner.get(&path).await.body["version"], 2, "nothing changed");
    for (body, field) in [
        (json!({"amount": 1, "due_on": "2026-12-01"}), "name"),
        (json!({"name": "x", "due_on": "2026-12-01"}), "amount"),
        (json!({"name": "x", "amount": 1}), "due_on"),
        (
            json!({"name": "x", "amount": 1, "due_on": "2026-02-30"}),
            "due_on",
        ),
        (
            json!({"name": "x", "amount": 1, "due_on": "2026-12-01", "rrule": "FREQ=HOURLY"}),
            "rrule",
        ),
        (
            json!({"name": "x", "amount": 1, "due_on": "2026-12-01", "autopay": "yes"}),
            "autopay",
        ),
        (
            json!({"name": "x", "amount": 1, "due_on": "2026-12-01", "currency": "XXX"}),
            "currency",
        ),
    ] {
        let resp = owner.post("/core/bills", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    assert_eq!(app.count("bills", "1 = 1").await, 1);
    // A new due date reopens a paid one-off bill: it is a new period.
    owner.post_empty(&format!("{path}/paid")).await.expect(200);
    let reopened = owner.patch(&path, &json!({"due_on": "2027-01-05"})).await;
    assert_eq!(reopened.expect(200)["status"], "unpaid");
    owner
        .request(Method::DELETE, &path)
        .header("if-match", "\"1\"")
        .send()
        .await
        .expect_problem(412);
    owner.delete(&path).await.expect(204);
    owner.get(&path).await.expect_problem(404);
    // Its ledger entry stays: the books are not rewritten.
    assert_eq!(app.count("ledger_entries", "source_type = 'bill'").await, 1);
}

async fn roles_and_households(app: TestApp) {
    let owner = app.owner();
    let b = bill(
        &owner,
        json!({"name": "Water", "amount": 20, "due_on": "2026-12-01"}),
    )
    .await;
    let path = format!("/core/bills/{}", id(&b));
    let adult = app.member("ada", Role::Adult).await;
    let member = app.member("mo", Role::Member).await;
    let viewer = app.member("vi", Role::Viewer).await;
    for client in [&member, &viewer] {
        client
            .post_empty(&format!("{path}/paid"))
            .await
            .expect_problem(403);
        client
            .post(
                "/core/bills",
                &json!({"name": "x", "amount": 1, "due_on": "2026-12-01"}),
            )
            .await
            .expect_problem(403);
        client
            .patch(&path, &json!({"amount": 1}))
            .await
            .expect_problem(403);
        client.delete(&path).await.expect_problem(403);
        assert_eq!(client.get(&path).await.expect(200)["amount"], "20.00");
        assert_eq!(
            client.get("/core/bills").await.body["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);
    adult.post_empty(&format!("{path}/paid")).await.expect(200);
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    stranger.get(&path).await.expect_problem(404);
    stranger
        .patch(&path, &json!({"amount": 1}))
        .await
        .expect_problem(404);
    stranger
        .post_empty(&format!("{path}/paid"))
        .await
        .expect_problem(404);
    stranger.delete(&path).await.expect_problem(404);
    assert_eq!(stranger.get("/core/bills").await.body["items"], json!([]));
}

async fn foreign_currency_bill_needs_the_paid_amount(app: TestApp) {
    let owner = app.owner();
    let b = bill(
        &owner,
        json!({"name": "Software", "amount": "12.00", "currency": "EUR", "due_on": "2026-11-30"}),
    )
    .await;
    assert_eq!(b["currency"], "EUR");
    let path = format!("/core/bills/{}/paid", id(&b));
    let resp = owner.post_empty(&path).await;
    assert_eq!(resp.expect_problem(400), ["amount"]);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);
    owner
        .post(&path, &json!({"amount": "13.07"}))
        .await
        .expect(200);
    let entry = &owner.get("/core/ledger").await.body["items"][0];
    assert_eq!(
        (entry["amount"].as_str(), entry["currency"].as_str()),
        (Some("13.07"), Some("USD"))
    );
}
