//! Webhooks (SPEC §12): registration, roles and validation; the outbox written with each
//! approval; signed delivery to a receiver on loopback, retries with backoff, restarts,
//! deletion, and one send per delivery when two servers deliver at once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use valhalla::app::App;
use valhalla::db::Db;
use valhalla::domain::Role;
use valhalla::webhooks::deliver_due;

use crate::backend_tests;
use crate::util::{Client, TestApp, test_now};

backend_tests!(
    owners_register_list_read_and_delete_webhooks,
    bad_urls_and_events_are_refused_and_nothing_is_stored,
    owners_manage_adults_read_and_other_households_see_nothing,
    every_way_of_requesting_an_approval_enqueues_a_delivery,
    a_delivery_is_signed_and_carries_the_approval,
    new_reminders_are_delivered_once_each,
    a_failing_receiver_gets_the_delivery_on_the_third_attempt,
    an_unreachable_receiver_is_given_up_after_the_last_attempt,
    an_https_receiver_without_tls_is_a_failed_attempt,
    deliveries_survive_a_restart_even_mid_send,
    deliveries_are_listed_newest_first_with_their_status,
    deleting_a_webhook_stops_its_deliveries,
    two_servers_delivering_at_once_send_each_delivery_once,
    the_webhook_routes_are_documented,
);

/// What the receiver does with a request.
#[derive(Debug, Clone, Copy)]
enum Answer {
    Status(u16),
    /// Never answers in time (the sender is expected to be stopped meanwhile).
    Hang,
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the body is JSON")
    }
}

#[derive(Default)]
struct ReceiverState {
    received: Vec<Received>,
    /// Answers for the next requests, in order; afterwards 204.
    script: VecDeque<Answer>,
    /// Time taken before answering.
    delay: Duration,
}

/// A webhook receiver on a loopback port, recording every request.
#[derive(Clone)]
struct Receiver {
    state: Arc<Mutex<ReceiverState>>,
    url: String,
}

impl Receiver {
    async fn start() -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { state, url }
    }

    fn answer_next(&self, answers: &[Answer]) {
        self.state.lock().unwrap().script.extend(answers);
    }

    fn delay(&self, delay: Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }
}

async fn receive(
    State(state): State<Arc<Mutex<ReceiverState>>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let (answer, delay) = {
        let mut state = state.lock().unwrap();
        state.received.push(Received {
            headers,
            body: body.to_vec(),
        });
        (
            state.script.pop_front().unwrap_or(Answer::Status(204)),
            state.delay,
        )
    };
    tokio::time::sleep(delay).await;
    match answer {
        Answer::Status(code) => StatusCode::from_u16(code).unwrap(),
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            StatusCode::NO_CONTENT
        }
    }
}

/// Registers a webhook for `events` at `url`; returns the created object (with `secret`).
async fn register(owner: &Client, url: &str, events: &[&str]) -> Value {
    owner
        .post("/core/webhooks", &json!({"url": url, "events": events}))
        .await
        .expect(201)
        .clone()
}

/// Asks for an approval through the API; returns it as the API answered.
async fn request_approval(owner: &Client, title: &str) -> Value {
    owner
        .post(
            "/core/approvals",
            &json!({"title": title, "action": "shopping.bought", "target_type": "shopping_item",
                    "target_id": "item-1", "payload": {"est_total": "250.00"}}),
        )
        .await
        .expect(201)
        .clone()
}

async fn deliveries(owner: &Client, webhook: &Value) -> Vec<Value> {
    let path = format!("/core/webhooks/{}/deliveries", id(webhook));
    owner.get(&path).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn id(v: &Value) -> &str {
    v["id"].as_str().unwrap()
}

fn at(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The signature a receiver expects, computed here independently of the server's code.
fn expected_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

async fn owners_register_list_read_and_delete_webhooks(app: TestApp) {
    let owner = app.owner();
    let created = register(
        &owner,
        "https://Hooks.Example.org/valhalla?key=abc",
        &[
            "approval.requested",
            "reminder.created",
            "approval.requested",
        ],
    )
    .await;
    assert_eq!(created["url"], "https://hooks.example.org/valhalla?key=abc");
    assert_eq!(
        created["events"],
        json!(["approval.requested", "reminder.created"])
    );
    assert_eq!(created["created_by"], "owner");
    assert_eq!(created["created_at"], "2026-11-25T12:00:00.000000Z");
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    let second = register(&owner, "http://127.0.0.1:9/in", &["reminder.created"]).await;
    assert_ne!(second["secret"], created["secret"]);

    // Read back: the same fields, never the secret.
    let mut shown = created.clone();
    shown.as_object_mut().unwrap().remove("secret");
    let one = owner.get(&format!("/core/webhooks/{}", id(&created))).await;
    assert_eq!(one.expect(200), &shown);
    let list = owner.get("/core/webhooks").await;
    let items = list.expect(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0], shown, "oldest first");
    assert_eq!(items[1]["url"], "http://127.0.0.1:9/in");
    assert!(items.iter().all(|w| w.get("secret").is_none()));
    assert_eq!(list.body["next_cursor"], Value::Null);
    let page = owner.get("/core/webhooks?limit=1").await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = owner
        .get(&format!("/core/webhooks?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(rest.body["items"][0]["id"], second["id"]);

    // A retry with the same Idempotency-Key answers the first registration again.
    let body = json!({"url": "https://example.org/x", "events": ["reminder.created"]});
    let first = owner
        .request(reqwest::Method::POST, "/core/webhooks")
        .header("Idempotency-Key", "register-x")
        .json(&body)
        .send()
        .await;
    let again = owner
        .request(reqwest::Method::POST, "/core/webhooks")
        .header("Idempotency-Key", "register-x")
        .json(&body)
        .send()
        .await;
    assert_eq!(again.expect(201), first.expect(201));
    assert_eq!(app.count("webhooks", "1 = 1").await, 3);

    // Delete: 204, then it is gone.
    let path = format!("/core/webhooks/{}", id(&created));
    let deleted = owner.delete(&path).await;
    deleted.expect(204);
    assert!(deleted.text.is_empty());
    owner.get(&path).await.expect_problem(404);
    owner.delete(&path).await.expect_problem(404);
    assert_eq!(app.count("webhooks", "1 = 1").await, 2);
}

async fn bad_urls_and_events_are_refused_and_nothing_is_stored(app: TestApp) {
    let owner = app.owner();
    let long = format!("https://example.org/{}", "a".repeat(2048));
    for url in [
        "",
        "not a url",
        "example.org/hook",
        "/hook",
        "ftp://example.org/hook",
        "file:///etc/passwd",
        "https://user:secret@example.org/hook",
        "https://example.org/hook#part",
        "https://",
        long.as_str(),
    ] {
        let resp = owner
            .post(
                "/core/webhooks",
                &json!({"url": url, "events": ["approval.requested"]}),
            )
            .await;
        assert_eq!(resp.expect_problem(400), ["url"], "{url:?}: {}", resp.text);
    }
    for events in [
        json!([]),
        json!(["approval.requested", "bill.paid"]),
        json!(["Approval.Requested"]),
        json!("approval.requested"),
        json!([1]),
    ] {
        let resp = owner
            .post(
                "/core/webhooks",
                &json!({"url": "https://example.org/hook", "events": events}),
            )
            .await;
        let fields = resp.expect_problem(400);
        assert!(
            fields.len() == 1 && fields[0].starts_with("events"),
            "{events}: {}",
            resp.text
        );
    }
    // Both at fault: both named.
    let both = owner
        .post("/core/webhooks", &json!({"url": "ftp://x", "events": []}))
        .await;
    assert_eq!(both.expect_problem(400), ["url", "events"]);
    // Missing and unknown fields.
    let missing = owner
        .post("/core/webhooks", &json!({"url": "https://example.org/"}))
        .await;
    assert_eq!(missing.expect_problem(400), ["events"]);
    let unknown = owner
        .post(
            "/core/webhooks",
            &json!({"url": "https://example.org/", "events": ["reminder.created"], "secret": "mine"}),
        )
        .await;
    assert_eq!(unknown.expect_problem(400), ["secret"]);
    assert_eq!(app.count("webhooks", "1 = 1").await, 0);
}

async fn owners_manage_adults_read_and_other_households_see_nothing(app: TestApp) {
    let owner = app.owner();
    let hook = register(&owner, "https://example.org/hook", &["approval.requested"]).await;
    let path = format!("/core/webhooks/{}", id(&hook));
    let deliveries_path = format!("{path}/deliveries");
    let body = json!({"url": "https://example.org/other", "events": ["reminder.created"]});

    let adult = app.member("ada", Role::Adult).await;
    adult.get("/core/webhooks").await.expect(200);
    adult.get(&path).await.expect(200);
    adult.get(&deliveries_path).await.expect(200);
    adult
        .post("/core/webhooks", &body)
        .await
        .expect_problem(403);
    adult.delete(&path).await.expect_problem(403);

    for role in [Role::Member, Role::Viewer] {
        let client = app.member(&format!("{role:?}").to_lowercase(), role).await;
        client.get("/core/webhooks").await.expect_problem(403);
        client.get(&path).await.expect_problem(403);
        client.get(&deliveries_path).await.expect_problem(403);
        client
            .post("/core/webhooks", &body)
            .await
            .expect_problem(403);
        client.delete(&path).await.expect_problem(403);
    }
    app.anonymous()
        .get("/core/webhooks")
        .await
        .expect_problem(401);

    // Another household's owner: the webhook does not exist for them, exactly like a missing one.
    let stranger = app.member_of("Flat 2", "fay", Role::Owner).await;
    let foreign = stranger.get(&path).await;
    let missing = stranger.get("/core/webhooks/no-such-id").await;
    foreign.expect_problem(404);
    assert_eq!(foreign.body, missing.body);
    stranger.get(&deliveries_path).await.expect_problem(404);
    stranger.delete(&path).await.expect_problem(404);
    assert_eq!(
        stranger.get("/core/webhooks").await.body["items"],
        json!([])
    );
    // Their approvals never reach this household's webhook.
    request_approval(&stranger, "Their TV").await;
    assert_eq!(app.count("webhook_deliveries", "1 = 1").await, 0);
    assert_eq!(app.count("webhooks", "1 = 1").await, 1);
}

async fn every_way_of_requesting_an_approval_enqueues_a_delivery(app: TestApp) {
    let owner = app.owner();
    let approvals = register(&owner, "https://example.org/a", &["approval.requested"]).await;
    let reminders = register(&owner, "https://example.org/r", &["reminder.created"]).await;
    // 1. The approvals route.
    request_approval(&owner, "Vacuum").await;
    // 2. The shopping list's request_approvals.
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Oven", "est_unit_cost": "450"}),
        )
        .await
        .expect(201);
    let requested = owner.post_empty("/core/shopping/request_approvals").await;
    assert_eq!(
        requested.expect(200)["created"].as_array().unwrap().len(),
        1
    );
    // 3. The scheduler's tick (through Heimdall, as actor `scheduler`).
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Sofa", "est_unit_cost": "900"}),
        )
        .await
        .expect(201);
    owner.post_empty("/core/scheduler/tick").await.expect(200);
    // A plan changes nothing: no approval, no delivery.
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Piano", "est_unit_cost": "800"}),
        )
        .await
        .expect(201);
    let plan = owner
        .post(
            "/core/heimdall/plan",
            &json!({"action": "shopping.request_approvals", "params": {}}),
        )
        .await;
    assert_eq!(plan.expect(200)["outcome"], "ok");

    let list = deliveries(&owner, &approvals).await;
    assert_eq!(list.len(), 3, "{list:?}");
    assert_eq!(app.count("approvals", "1 = 1").await, 3);
    assert!(list.iter().all(|d| d["event"] == "approval.requested"
        && d["status"] == "pending"
        && d["attempts"] == 0
        && d["next_attempt_at"] == "2026-11-25T12:00:00.000000Z"));
    // The webhook subscribed to reminders got no approval, only the tick's shopping digest.
    let reminded = deliveries(&owner, &reminders).await;
    assert_eq!(reminded.len(), 1, "{reminded:?}");
    assert_eq!(reminded[0]["event"], "reminder.created");
    // The payload stored is the approval as the API shows it.
    let approvals_list = owner.get("/core/approvals").await;
    let stored: Vec<Value> = {
        use sqlx::Row;
        sqlx::query(
            "SELECT payload FROM webhook_deliveries WHERE event = 'approval.requested' ORDER BY id",
        )
        .fetch_all(app.db().pool())
        .await
        .unwrap()
        .into_iter()
        .map(|r| serde_json::from_str(&r.get::<String, _>("payload")).unwrap())
        .collect()
    };
    for approval in approvals_list.body["items"].as_array().unwrap() {
        assert!(
            stored.iter().any(|p| &p["data"] == approval),
            "no delivery carries {approval}"
        );
    }
    let by_scheduler = stored
        .iter()
        .find(|p| p["data"]["requested_by"] == "scheduler")
        .expect("the tick's approval was enqueued");
    assert_eq!(by_scheduler["data"]["title"], "Buy Sofa");
}

async fn a_delivery_is_signed_and_carries_the_approval(app: TestApp) {
    let receiver = Receiver::start().await;
    let owner = app.owner();
    let hook = register(&owner, &receiver.url, &["approval.requested"]).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    let approval = request_approval(&owner, "Vacuum cleaner").await;
    let me = owner.get("/core/me").await.expect(200).clone();

    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    let delivery = &deliveries(&owner, &hook).await[0];
    assert_eq!(request.header("content-type"), "application/json");
    assert_eq!(request.header("valhalla-event"), "approval.requested");
    assert_eq!(request.header("valhalla-delivery"), id(delivery));
    assert!(
        request
            .header("user-agent")
            .starts_with("Valhalla-Webhooks/")
    );
    // The signature verifies with the secret given at registration, over the raw body.
    let timestamp = test_now().timestamp();
    assert_eq!(
        request.header("valhalla-signature"),
        expected_signature(&secret, timestamp, &request.body)
    );
    assert_ne!(
        request.header("valhalla-signature"),
        expected_signature("whsec_wrong", timestamp, &request.body)
    );
    assert!(valhalla::webhooks::model::verify(
        &secret,
        request.header("valhalla-signature"),
        &request.body,
        timestamp + 60,
        300
    ));
    assert_eq!(
        request.json(),
        json!({
            "id": id(delivery),
            "event": "approval.requested",
            "household_id": me["household_id"],
            "created_at": "2026-11-25T12:00:00.000000Z",
            "data": approval,
        })
    );
    // Recorded as delivered; nothing is sent twice.
    assert_eq!(delivery["status"], "delivered");
    assert_eq!(delivery["attempts"], 1);
    assert_eq!(delivery["last_status_code"], 204);
    assert_eq!(delivery["last_error"], Value::Null);
    assert_eq!(delivery["next_attempt_at"], Value::Null);
    assert_eq!(delivery["last_attempt_at"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(delivery["delivered_at"], "2026-11-25T12:00:00.000000Z");
    app.clock.advance(chrono::Duration::hours(2));
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 0);
    assert_eq!(receiver.received().len(), 1);
}

async fn new_reminders_are_delivered_once_each(app: TestApp) {
    let receiver = Receiver::start().await;
    let owner = app.owner();
    let hook = register(&owner, &receiver.url, &["reminder.created"]).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    owner
        .post(
            "/core/bills",
            &json!({"name": "Rent", "amount": "900", "due_on": "2026-11-26"}),
        )
        .await
        .expect(201);
    let pushed = owner
        .post_empty("/core/bills/push_reminders")
        .await
        .expect(200)
        .clone();
    // Pushing again creates no reminder, so nothing more is queued.
    owner
        .post_empty("/core/bills/push_reminders")
        .await
        .expect(200);
    // An approval is announced as approval.requested only, which this hook does not take.
    request_approval(&owner, "Sofa").await;

    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    let request = &received[0];
    assert_eq!(request.header("valhalla-event"), "reminder.created");
    assert_eq!(
        request.header("valhalla-signature"),
        expected_signature(&secret, test_now().timestamp(), &request.body)
    );
    let body = request.json();
    assert_eq!(body["event"], "reminder.created");
    assert_eq!(body["data"], pushed["created"][0]);
    assert_eq!(body["data"]["title"], "Pay Rent");
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 0);
}

async fn a_failing_receiver_gets_the_delivery_on_the_third_attempt(app: TestApp) {
    let receiver = Receiver::start().await;
    receiver.answer_next(&[Answer::Status(500), Answer::Status(503)]);
    let owner = app.owner();
    let hook = register(&owner, &receiver.url, &["approval.requested"]).await;
    let secret = hook["secret"].as_str().unwrap().to_string();
    request_approval(&owner, "Vacuum").await;
    let server = app.app();

    // Attempt 1 at 12:00:00 → 500; next try 30 s later.
    assert_eq!(deliver_due(&server).await.unwrap(), 1);
    let d = &deliveries(&owner, &hook).await[0];
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], 500);
    assert!(d["last_error"].as_str().unwrap().contains("500"), "{d}");
    assert_eq!(d["last_attempt_at"], at("2026-11-25T12:00:00Z"));
    assert_eq!(d["next_attempt_at"], at("2026-11-25T12:00:30Z"));
    assert_eq!(d["delivered_at"], Value::Null);
    // Not before its time.
    assert_eq!(deliver_due(&server).await.unwrap(), 0);
    app.clock.advance(chrono::Duration::seconds(29));
    assert_eq!(deliver_due(&server).await.unwrap(), 0);
    assert_eq!(receiver.received().len(), 1);

    // Attempt 2 at 12:00:30 → 503; the wait doubles to 60 s.
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(deliver_due(&server).await.unwrap(), 1);
    let d = &deliveries(&owner, &hook).await[0];
    assert_eq!(
        (d["status"].clone(), d["attempts"].clone()),
        (json!("pending"), json!(2))
    );
    assert_eq!(d["last_status_code"], 503);
    assert_eq!(d["next_attempt_at"], at("2026-11-25T12:01:30Z"));
    app.clock.advance(chrono::Duration::seconds(59));
    assert_eq!(deliver_due(&server).await.unwrap(), 0);
    assert_eq!(receiver.received().len(), 2);

    // Attempt 3 at 12:01:30 → 204: delivered.
    app.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(deliver_due(&server).await.unwrap(), 1);
    let d = &deliveries(&owner, &hook).await[0];
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    assert_eq!(d["last_status_code"], 204);
    assert_eq!(d["last_error"], Value::Null);
    assert_eq!(d["next_attempt_at"], Value::Null);
    assert_eq!(d["delivered_at"], at("2026-11-25T12:01:30Z"));

    // Three requests: the same delivery and body each time, each signed at its own time.
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    let start = test_now().timestamp();
    for (request, t) in received.iter().zip([start, start + 30, start + 90]) {
        assert_eq!(request.header("valhalla-delivery"), id(d));
        assert_eq!(request.body, received[0].body);
        assert_eq!(
            request.header("valhalla-signature"),
            expected_signature(&secret, t, &request.body)
        );
    }
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(deliver_due(&server).await.unwrap(), 0);
}

async fn an_unreachable_receiver_is_given_up_after_the_last_attempt(app: TestApp) {
    // A port nobody listens on: take one, then close it.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let owner = app.owner();
    let hook = register(
        &owner,
        &format!("http://{closed}/hook"),
        &["approval.requested"],
    )
    .await;
    request_approval(&owner, "Vacuum").await;
    let server = app.app();
    let mut waits = Vec::new();
    for attempt in 1..=12 {
        assert_eq!(deliver_due(&server).await.unwrap(), 1, "attempt {attempt}");
        let d = &deliveries(&owner, &hook).await[0];
        assert_eq!(d["attempts"], attempt);
        assert_eq!(d["last_status_code"], Value::Null);
        assert!(d["last_error"].as_str().unwrap().contains("connect"), "{d}");
        match d["next_attempt_at"].as_str() {
            Some(next) => {
                assert_eq!(d["status"], "pending");
                let next = chrono::DateTime::parse_from_rfc3339(next).unwrap();
                let now = {
                    use valhalla::domain::Clock;
                    app.clock.now()
                };
                let wait = next.with_timezone(&chrono::Utc) - now;
                waits.push(wait.num_seconds());
                app.clock.advance(wait);
            }
            None => {
                assert_eq!(attempt, 12);
                assert_eq!(d["status"], "failed");
            }
        }
    }
    assert_eq!(
        waits,
        [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600, 3600]
    );
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(deliver_due(&server).await.unwrap(), 0);
    let failed = owner
        .get(&format!(
            "/core/webhooks/{}/deliveries?status=failed",
            id(&hook)
        ))
        .await;
    assert_eq!(failed.body["items"].as_array().unwrap().len(), 1);
}

async fn an_https_receiver_without_tls_is_a_failed_attempt(app: TestApp) {
    // A plain-HTTP receiver behind an https URL: the TLS handshake fails, and that is recorded
    // like any other failed attempt (the TLS stack runs, nothing panics, nothing is received).
    let receiver = Receiver::start().await;
    let url = receiver.url.replace("http://", "https://");
    let owner = app.owner();
    let hook = register(&owner, &url, &["approval.requested"]).await;
    request_approval(&owner, "Vacuum").await;
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    let d = &deliveries(&owner, &hook).await[0];
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], Value::Null);
    let error = d["last_error"].as_str().unwrap();
    assert!(!error.is_empty() && !error.contains(&url), "{error}");
    assert!(receiver.received().is_empty());
}

async fn deliveries_survive_a_restart_even_mid_send(mut app: TestApp) {
    let receiver = Receiver::start().await;
    let owner = app.owner();
    let hook = register(&owner, &receiver.url, &["approval.requested"]).await;
    request_approval(&owner, "Pending at shutdown").await;

    // Pending when the server stops: sent after the restart.
    app.restart().await;
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    assert_eq!(receiver.received().len(), 1);
    let owner = app.owner();
    assert_eq!(deliveries(&owner, &hook).await[0]["status"], "delivered");

    // Stopped while sending (the receiver never answers): the claim lapses after the restart
    // and the delivery is sent again — at least once, with the same id.
    receiver.answer_next(&[Answer::Hang]);
    request_approval(&owner, "In flight at shutdown").await;
    let server = app.app();
    let sending = tokio::spawn(async move { deliver_due(&server).await });
    for _ in 0..200 {
        if receiver.received().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        receiver.received().len(),
        2,
        "the second delivery is in flight"
    );
    sending.abort();
    let _ = sending.await;
    app.restart().await;
    let owner = app.owner();
    let in_flight = deliveries(&owner, &hook).await[0].clone();
    assert_eq!(in_flight["status"], "pending");
    assert_eq!(in_flight["attempts"], 1);
    assert_eq!(
        deliver_due(&app.app()).await.unwrap(),
        0,
        "claim still held"
    );
    app.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    let received = receiver.received();
    assert_eq!(received.len(), 3);
    assert_eq!(received[2].header("valhalla-delivery"), id(&in_flight));
    assert_eq!(received[2].body, received[1].body);
    let done = deliveries(&owner, &hook).await[0].clone();
    assert_eq!(done["status"], "delivered");
    assert_eq!(done["attempts"], 2);
}

async fn deliveries_are_listed_newest_first_with_their_status(app: TestApp) {
    let receiver = Receiver::start().await;
    let owner = app.owner();
    let hook = register(&owner, &receiver.url, &["approval.requested"]).await;
    request_approval(&owner, "First").await;
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    app.clock.advance(chrono::Duration::minutes(1));
    receiver.answer_next(&[Answer::Status(410)]);
    request_approval(&owner, "Second").await;
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    app.clock.advance(chrono::Duration::seconds(1));
    request_approval(&owner, "Third").await;

    let list = deliveries(&owner, &hook).await;
    let shown: Vec<(String, String, i64, Value)> = list
        .iter()
        .map(|d| {
            (
                d["created_at"].as_str().unwrap().to_string(),
                d["status"].as_str().unwrap().to_string(),
                d["attempts"].as_i64().unwrap(),
                d["last_status_code"].clone(),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            (at("2026-11-25T12:01:01Z"), "pending".into(), 0, Value::Null),
            (at("2026-11-25T12:01:00Z"), "pending".into(), 1, json!(410)),
            (
                at("2026-11-25T12:00:00Z"),
                "delivered".into(),
                1,
                json!(204)
            ),
        ]
    );
    for d in &list {
        let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "attempts",
                "created_at",
                "delivered_at",
                "event",
                "id",
                "last_attempt_at",
                "last_error",
                "last_status_code",
                "next_attempt_at",
                "status"
            ]
        );
    }
    // Paging and the status filter.
    let base = format!("/core/webhooks/{}/deliveries", id(&hook));
    let page = owner.get(&format!("{base}?limit=2")).await;
    assert_eq!(page.body["items"][0]["id"], list[0]["id"]);
    assert_eq!(page.body["items"][1]["id"], list[1]["id"]);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = owner.get(&format!("{base}?limit=2&cursor={cursor}")).await;
    assert_eq!(rest.body["items"], json!([list[2]]));
    assert_eq!(rest.body["next_cursor"], Value::Null);
    let pending = owner.get(&format!("{base}?status=pending")).await;
    assert_eq!(pending.body["items"].as_array().unwrap().len(), 2);
    owner
        .get(&format!("{base}?status=lost"))
        .await
        .expect_problem(400);
}

async fn deleting_a_webhook_stops_its_deliveries(app: TestApp) {
    let kept_receiver = Receiver::start().await;
    let dropped_receiver = Receiver::start().await;
    dropped_receiver.answer_next(&[Answer::Status(500)]);
    let owner = app.owner();
    let kept = register(&owner, &kept_receiver.url, &["approval.requested"]).await;
    let dropped = register(&owner, &dropped_receiver.url, &["approval.requested"]).await;
    request_approval(&owner, "One").await;
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 2);
    request_approval(&owner, "Two").await;
    // The dropped webhook now has a retry waiting and a fresh delivery.
    let waiting: Vec<(Value, Value)> = deliveries(&owner, &dropped)
        .await
        .iter()
        .map(|d| (d["status"].clone(), d["attempts"].clone()))
        .collect();
    assert_eq!(
        waiting,
        [(json!("pending"), json!(0)), (json!("pending"), json!(1))]
    );
    owner
        .delete(&format!("/core/webhooks/{}", id(&dropped)))
        .await
        .expect(204);
    let of_dropped = format!("webhook_id = '{}'", id(&dropped));
    assert_eq!(app.count("webhook_deliveries", &of_dropped).await, 0);
    owner
        .get(&format!("/core/webhooks/{}/deliveries", id(&dropped)))
        .await
        .expect_problem(404);
    // Long after every retry would have been due, only the kept webhook hears anything.
    app.clock.advance(chrono::Duration::hours(1));
    assert_eq!(deliver_due(&app.app()).await.unwrap(), 1);
    assert_eq!(dropped_receiver.received().len(), 1);
    assert_eq!(kept_receiver.received().len(), 2);
    assert!(
        deliveries(&owner, &kept)
            .await
            .iter()
            .all(|d| d["status"] == "delivered")
    );
    // A new approval reaches only the kept webhook.
    request_approval(&owner, "Three").await;
    assert_eq!(
        app.count("webhook_deliveries", "status = 'pending'").await,
        1
    );
}

fn deliveries_of(requests: &[Received]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.header("valhalla-delivery").to_string())
        .collect()
}

async fn two_servers_delivering_at_once_send_each_delivery_once(app: TestApp) {
    let receiver = Receiver::start().await;
    // Slow answers keep both rounds overlapping.
    receiver.delay(Duration::from_millis(150));
    let owner = app.owner();
    let hook = register(&owner, &receiver.url, &["approval.requested"]).await;
    for n in 0..5 {
        request_approval(&owner, &format!("Thing {n}")).await;
    }
    // A second server on the same database, with the same clock.
    let db2 = Db::connect(&app.database_url).await.unwrap();
    let second = App::new(db2.clone(), app.clock.clone());
    let first = app.app();
    let (a, b) = tokio::join!(deliver_due(&first), deliver_due(&second));
    assert_eq!(a.unwrap() + b.unwrap(), 5);
    let (c, d, e) = tokio::join!(
        deliver_due(&first),
        deliver_due(&second),
        deliver_due(&first)
    );
    assert_eq!(c.unwrap() + d.unwrap() + e.unwrap(), 0);
    let mut sent = deliveries_of(&receiver.received());
    assert_eq!(sent.len(), 5, "every delivery sent exactly once");
    sent.sort();
    sent.dedup();
    assert_eq!(sent.len(), 5);
    assert!(
        deliveries(&owner, &hook)
            .await
            .iter()
            .all(|d| d["status"] == "delivered" && d["attempts"] == 1)
    );
    db2.close().await;
}

async fn the_webhook_routes_are_documented(app: TestApp) {
    let doc = app.anonymous().get("/openapi.json").await;
    let paths = &doc.expect(200)["paths"];
    for (path, methods) in [
        ("/core/webhooks", vec!["get", "post"]),
        ("/core/webhooks/{id}", vec!["get", "delete"]),
        ("/core/webhooks/{id}/deliveries", vec!["get"]),
    ] {
        for method in methods {
            let op = &paths[path][method];
            assert!(op.is_object(), "{method} {path}");
            assert_eq!(op["security"], json!([{"bearer": []}]), "{method} {path}");
            assert_eq!(op["tags"], json!(["webhooks"]));
        }
    }
    let schemas = &doc.body["components"]["schemas"];
    assert!(schemas["CreatedWebhook"].is_object());
    assert!(schemas["Delivery"]["properties"]["next_attempt_at"].is_object());
}
