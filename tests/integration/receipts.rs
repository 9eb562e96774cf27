//! Receipts (SPEC §7): metadata, filters, best-effort ledger posting, attachments.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Row;

use crate::backend_tests;
use crate::util::{Backend, Client, Resp, TestApp};
use valhalla::domain::Role;

backend_tests!(
    receipt_is_posted_to_the_ledger_once,
    failed_posting_keeps_the_receipt,
    skipped_receipts_can_be_posted_later,
    list_filters,
    bad_receipts_are_400_and_roles_apply,
    attachments_round_trip_byte_for_byte,
    attachment_size_limit_is_413,
    attachment_types_are_recognised_or_415,
);

const MIB: usize = 1024 * 1024;

async fn receipt(client: &Client, body: Value) -> Value {
    client
        .post("/core/receipts", &body)
        .await
        .expect(201)
        .clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn put_file(client: &Client, receipt_id: &str, content_type: &str, bytes: Vec<u8>) -> Resp {
    client
        .request(
            Method::PUT,
            &format!("/core/receipts/{receipt_id}/attachment"),
        )
        .raw(content_type, bytes)
        .send()
        .await
}

/// GETs an attachment: (status, bytes, headers). Bytes are compared as bytes, never as text.
async fn download(client: &Client, receipt_id: &str) -> (u16, Vec<u8>, reqwest::header::HeaderMap) {
    let url = format!("{}/core/receipts/{receipt_id}/attachment", client.base);
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = &client.token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("download");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, bytes, headers)
}

/// Deterministic, incompressible-looking bytes behind a file signature.
fn file(signature: &[u8], len: usize) -> Vec<u8> {
    let mut bytes = signature.to_vec();
    let mut x: u32 = 0x9E37_79B9;
    while bytes.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push((x & 0xFF) as u8);
    }
    bytes.truncate(len);
    bytes
}

const PDF: &[u8] = b"%PDF-1.7\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n";
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0];
const WEBP: &[u8] = b"RIFF\x00\x10\x00\x00WEBPVP8 ";

/// Installs a trigger that makes every insert into the ledger fail: the ledger is "down".
async fn break_the_ledger(app: &TestApp) {
    let pool = app.db().pool();
    match app.backend {
        Backend::Sqlite => {
            sqlx::query(
                "CREATE TRIGGER ledger_down BEFORE INSERT ON ledger_entries
                 BEGIN SELECT RAISE(ABORT, 'ledger is down'); END",
            )
            .execute(pool)
            .await
            .unwrap();
        }
        Backend::Postgres => {
            sqlx::query(
                "CREATE FUNCTION ledger_down() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'ledger is down'; END; $$",
            )
            .execute(pool)
            .await
            .unwrap();
            sqlx::query(
                "CREATE TRIGGER ledger_down BEFORE INSERT ON ledger_entries
                 FOR EACH ROW EXECUTE FUNCTION ledger_down()",
            )
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

async fn repair_the_ledger(app: &TestApp) {
    let sql = match app.backend {
        Backend::Sqlite => "DROP TRIGGER ledger_down",
        Backend::Postgres => "DROP TRIGGER ledger_down ON ledger_entries",
    };
    sqlx::query(sql).execute(app.db().pool()).await.unwrap();
}

async fn receipt_is_posted_to_the_ledger_once(app: TestApp) {
    let member = app.member("mia", Role::Member).await;
    let created = member
        .request(Method::POST, "/core/receipts")
        .header("idempotency-key", "grocer-1")
        .json(
            &json!({"vendor": "Corner Grocer", "amount": "23.80", "date": "2026-11-24",
                      "category": "groceries", "payment_method": "card", "tags": ["Food"]}),
        )
        .send()
        .await;
    let r = created.expect(201).clone();
    assert_eq!(created.header("etag"), Some("\"1\""));
    let entry_id = r["ledger_entry_id"].as_str().unwrap().to_string();
    assert_eq!(
        r,
        json!({
            "id": r["id"], "vendor": "Corner Grocer", "amount": "23.80", "currency": "USD",
            "date": "2026-11-24", "category": "groceries", "payment_method": "card",
            "tags": ["food"], "file_ref": null, "shopping_item_id": null,
            "ledger_entry_id": entry_id, "ledger_status": "posted", "ledger_error": null,
            "attachment": null, "version": 1,
            "created_at": r["created_at"], "updated_at": r["updated_at"],
        })
    );
    let entry = member.get(&format!("/core/ledger/{entry_id}")).await;
    let entry = entry.expect(200);
    assert_eq!(entry["kind"], "expense");
    assert_eq!(entry["amount"], "23.80");
    assert_eq!(entry["date"], "2026-11-24");
    assert_eq!(entry["category"], "groceries");
    assert_eq!(entry["memo"], "Receipt: Corner Grocer");
    assert_eq!(entry["source_type"], "receipt");
    assert_eq!(entry["source_id"], r["id"]);
    // A retry with the same key replays; nothing is posted again.
    let replay = member
        .request(Method::POST, "/core/receipts")
        .header("idempotency-key", "grocer-1")
        .json(
            &json!({"vendor": "Corner Grocer", "amount": "23.80", "date": "2026-11-24",
                      "category": "groceries", "payment_method": "card", "tags": ["Food"]}),
        )
        .send()
        .await;
    assert_eq!(replay.expect(201), &r);
    let again = member
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await;
    again.expect_problem(409);
    assert_eq!(app.count("receipts", "1 = 1").await, 1);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 1);
    // Beneath the API too: a second entry for the same receipt is refused by the database.
    let dup = sqlx::query(
        "INSERT INTO ledger_entries (household_id, id, kind, amount, currency, entry_date,
           source_type, source_id, created_at)
         SELECT household_id, 'dup', kind, amount, currency, entry_date, source_type, source_id,
           created_at FROM ledger_entries",
    )
    .execute(app.db().pool())
    .await;
    assert!(dup.is_err(), "one ledger entry per receipt");
    assert_eq!(
        member.get("/core/ledger/balance").await.body["cash_balance"],
        "-23.80"
    );
    let got = member.get(&format!("/core/receipts/{}", id(&r))).await;
    assert_eq!(got.expect(200), &r);
}

async fn failed_posting_keeps_the_receipt(app: TestApp) {
    let owner = app.owner();
    break_the_ledger(&app).await;
    let r = receipt(
        &owner,
        json!({"vendor": "Hardware Hut", "amount": 59, "category": "house"}),
    )
    .await;
    assert_eq!(r["ledger_status"], "failed");
    assert_eq!(r["ledger_error"], "the ledger could not record the entry");
    assert_eq!(r["ledger_entry_id"], Value::Null);
    assert_eq!(app.count("receipts", "1 = 1").await, 1);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);
    let got = owner.get(&format!("/core/receipts/{}", id(&r))).await;
    assert_eq!(got.expect(200), &r);
    // Still down: retrying fails again, and says so.
    let retry = owner
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await;
    assert_eq!(retry.expect(200)["ledger_status"], "failed");
    repair_the_ledger(&app).await;
    let posted = owner
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await;
    let posted = posted.expect(200);
    assert_eq!(posted["ledger_status"], "posted");
    assert_eq!(posted["ledger_error"], Value::Null);
    assert_eq!(posted["version"], 3);
    owner
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await
        .expect_problem(409);
    assert_eq!(
        app.count("ledger_entries", "source_type = 'receipt'").await,
        1
    );
    // A receipt in another currency is kept, but the ledger (in USD) cannot take it.
    let abroad = receipt(
        &owner,
        json!({"vendor": "Café", "amount": "4.20", "currency": "EUR"}),
    )
    .await;
    assert_eq!(abroad["currency"], "EUR");
    assert_eq!(abroad["ledger_status"], "failed");
    assert_eq!(
        abroad["ledger_error"],
        "ledger entries are kept in the household currency (USD), not EUR"
    );
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 1);
}

async fn skipped_receipts_can_be_posted_later(app: TestApp) {
    let owner = app.owner();
    let r = receipt(&owner, json!({"amount": 10, "post_to_ledger": false})).await;
    assert_eq!(r["ledger_status"], "skipped");
    assert_eq!(r["ledger_entry_id"], Value::Null);
    assert_eq!(r["date"], "2026-11-25");
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);
    let posted = owner
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await;
    assert_eq!(posted.expect(200)["ledger_status"], "posted");
    assert_eq!(posted.body["version"], 2);
    owner
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await
        .expect_problem(409);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 1);
    let viewer = app.member("vi", Role::Viewer).await;
    viewer
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await
        .expect_problem(403);
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    stranger
        .post_empty(&format!("/core/receipts/{}/post_to_ledger", id(&r)))
        .await
        .expect_problem(404);
}

async fn list_filters(app: TestApp) {
    let owner = app.owner();
    for (vendor, date, category, tags) in [
        ("ALDI Süd", "2026-11-01", "groceries", json!(["weekly"])),
        (
            "Corner Grocer",
            "2026-11-10",
            "groceries",
            json!(["weekly", "Treats"]),
        ),
        ("Hardware Hut", "2026-11-10", "house", json!([])),
        ("Aldi Nord", "2026-11-20", "groceries", json!(["treats"])),
        ("50%_off store", "2026-10-15", "clothes", json!([])),
    ] {
        receipt(
            &owner,
            json!({"vendor": vendor, "amount": 1, "date": date, "category": category,
                   "tags": tags, "post_to_ledger": false}),
        )
        .await;
    }
    let vendors = |resp: &Resp| -> Vec<String> {
        resp.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["vendor"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        vendors(&owner.get("/core/receipts").await),
        [
            "Aldi Nord",
            "Hardware Hut",
            "Corner Grocer",
            "ALDI Süd",
            "50%_off store"
        ],
        "newest first"
    );
    assert_eq!(
        vendors(&owner.get("/core/receipts?category=groceries").await),
        ["Aldi Nord", "Corner Grocer", "ALDI Süd"]
    );
    assert_eq!(
        vendors(
            &owner
                .get("/core/receipts?date_from=2026-11-01&date_to=2026-11-10")
                .await
        ),
        ["Hardware Hut", "Corner Grocer", "ALDI Süd"]
    );
    assert_eq!(
        vendors(&owner.get("/core/receipts?vendor=aldi").await),
        ["Aldi Nord", "ALDI Süd"]
    );
    assert_eq!(
        vendors(&owner.get("/core/receipts?vendor=%25_").await),
        ["50%_off store"]
    );
    assert_eq!(
        vendors(&owner.get("/core/receipts?tag=TREATS").await),
        ["Aldi Nord", "Corner Grocer"]
    );
    assert_eq!(
        vendors(
            &owner
                .get(
                    "/core/receipts?tag=weekly&vendor=grocer&category=groceries&date_to=2026-11-30"
                )
                .await
        ),
        ["Corner Grocer"]
    );
    let page = owner.get("/core/receipts?limit=2").await;
    assert_eq!(vendors(&page), ["Aldi Nord", "Hardware Hut"]);
    let cursor = page.body["next_cursor"].as_str().unwrap();
    let rest = owner
        .get(&format!("/core/receipts?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(
        vendors(&rest),
        ["Corner Grocer", "ALDI Süd", "50%_off store"]
    );
    assert_eq!(rest.body["next_cursor"], Value::Null);
    for (query, field) in [
        ("date_from=2026-11-10&date_to=2026-11-01", "date_to"),
        ("date_from=10.11.2026", "date_from"),
        ("tag=%20", "tag"),
        ("limit=9999", "limit"),
        ("vendr=aldi", "vendr"),
    ] {
        let resp = owner.get(&format!("/core/receipts?{query}")).await;
        assert_eq!(resp.expect_problem(400), [field], "{query}");
    }
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    assert_eq!(
        stranger.get("/core/receipts").await.body["items"],
        json!([])
    );
}

async fn bad_receipts_are_400_and_roles_apply(app: TestApp) {
    let owner = app.owner();
    for (body, field) in [
        (json!({}), "amount"),
        (json!({"amount": 0}), "amount"),
        (json!({"amount": "-2"}), "amount"),
        (json!({"amount": "2.555"}), "amount"),
        (json!({"amount": 2, "currency": "eur"}), "currency"),
        (json!({"amount": 2, "date": "2026-11-26"}), "date"),
        (json!({"amount": 2, "tags": "food"}), "tags"),
        (json!({"amount": 2, "tags": ["ok", ""]}), "tags[1]"),
        (
            json!({"amount": 2, "post_to_ledger": "no"}),
            "post_to_ledger",
        ),
        (
            json!({"amount": 2, "shopping_item_id": "s1"}),
            "shopping_item_id",
        ),
        (
            json!({"amount": 2, "ledger_status": "posted"}),
            "ledger_status",
        ),
    ] {
        let resp = owner.post("/core/receipts", &body).await;
        assert_eq!(resp.expect_problem(400), [field], "{body}");
    }
    assert_eq!(app.count("receipts", "1 = 1").await, 0);
    assert_eq!(app.count("ledger_entries", "1 = 1").await, 0);
    let viewer = app.member("vi", Role::Viewer).await;
    viewer
        .post("/core/receipts", &json!({"amount": 1}))
        .await
        .expect_problem(403);
    let member = app.member("mo", Role::Member).await;
    let r = receipt(
        &member,
        json!({"amount": 1, "file_ref": "binder 3, page 12"}),
    )
    .await;
    assert_eq!(r["file_ref"], "binder 3, page 12");
    assert_eq!(
        viewer
            .get(&format!("/core/receipts/{}", id(&r)))
            .await
            .expect(200),
        &r
    );
    let stranger = app.member_of("Elsewhere", "eve", Role::Owner).await;
    stranger
        .get(&format!("/core/receipts/{}", id(&r)))
        .await
        .expect_problem(404);
    stranger
        .get(&format!("/core/receipts/{}/attachment", id(&r)))
        .await
        .expect_problem(404);
    let resp = put_file(&stranger, &id(&r), "application/pdf", file(PDF, 100)).await;
    resp.expect_problem(404);
    assert_eq!(app.count("receipt_attachments", "1 = 1").await, 0);
}

async fn attachments_round_trip_byte_for_byte(app: TestApp) {
    let member = app.member("mia", Role::Member).await;
    let r = receipt(&member, json!({"vendor": "Pharmacy", "amount": "8.15"})).await;
    let rid = id(&r);
    member
        .get(&format!("/core/receipts/{rid}/attachment"))
        .await
        .expect_problem(404);
    let pdf = file(PDF, 3 * MIB / 2);
    let stored = put_file(&member, &rid, "application/pdf", pdf.clone()).await;
    let body = stored.expect(200);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&pdf))
    };
    assert_eq!(
        body["attachment"],
        json!({"content_type": "application/pdf", "size": pdf.len(), "sha256": sha})
    );
    assert_eq!(body["version"], 2);
    assert_eq!(stored.header("etag"), Some("\"2\""));
    let fetched = download(&member, &rid).await;
    assert_eq!(fetched.0, 200);
    assert!(fetched.1 == pdf, "the bytes come back unchanged");
    let headers = &fetched.2;
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(h("content-type"), "application/pdf");
    assert_eq!(
        h("content-disposition"),
        format!("attachment; filename=\"receipt-{rid}.pdf\"")
    );
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(h("content-security-policy"), "sandbox");
    assert_eq!(h("content-length"), pdf.len().to_string());
    // The bytes are in the database (so every node and every backup has them).
    let row = sqlx::query("SELECT data FROM receipt_attachments WHERE receipt_id = $1")
        .bind(&rid)
        .fetch_one(app.db().pool())
        .await
        .unwrap();
    assert!(row.try_get::<Vec<u8>, _>("data").unwrap() == pdf);
    // Replacing it: a stale If-Match is refused, a current one accepted. No type declared:
    // the bytes decide.
    let png = file(PNG, 2048);
    member
        .request(Method::PUT, &format!("/core/receipts/{rid}/attachment"))
        .header("if-match", "\"1\"")
        .raw("image/png", png.clone())
        .send()
        .await
        .expect_problem(412);
    let replaced = member
        .request(Method::PUT, &format!("/core/receipts/{rid}/attachment"))
        .header("if-match", "\"2\"")
        .raw("application/octet-stream", png.clone())
        .send()
        .await;
    assert_eq!(
        replaced.expect(200)["attachment"]["content_type"],
        "image/png"
    );
    assert_eq!(replaced.body["attachment"]["size"], 2048);
    let again = download(&member, &rid).await;
    assert!(again.1 == png);
    assert_eq!(again.2.get("content-type").unwrap(), "image/png");
    assert_eq!(app.count("receipt_attachments", "1 = 1").await, 1);
    for (signature, content_type) in [(JPEG, "image/jpeg"), (WEBP, "image/webp")] {
        let bytes = file(signature, 1000);
        let resp = put_file(&member, &rid, content_type, bytes.clone()).await;
        assert_eq!(resp.expect(200)["attachment"]["content_type"], content_type);
        let got = download(&member, &rid).await;
        assert!(got.1 == bytes);
    }
    let viewer = app.member("vi", Role::Viewer).await;
    put_file(&viewer, &rid, "image/png", png)
        .await
        .expect_problem(403);
    let seen = download(&viewer, &rid).await;
    assert_eq!(seen.0, 200);
}

async fn attachment_size_limit_is_413(app: TestApp) {
    let owner = app.owner();
    let r = receipt(&owner, json!({"amount": 1})).await;
    let rid = id(&r);
    let exact = file(PDF, 10 * MIB);
    let ok = put_file(&owner, &rid, "application/pdf", exact.clone()).await;
    assert_eq!(ok.expect(200)["attachment"]["size"], 10 * MIB);
    let too_big = put_file(&owner, &rid, "image/png", file(PNG, 10 * MIB + 1)).await;
    too_big.expect_problem(413);
    let far_too_big = put_file(&owner, &rid, "application/pdf", file(PDF, 12 * MIB)).await;
    far_too_big.expect_problem(413);
    // Nothing of the refused uploads was stored.
    let still = owner.get(&format!("/core/receipts/{rid}")).await;
    assert_eq!(still.body["attachment"]["content_type"], "application/pdf");
    assert_eq!(still.body["version"], 2);
    let got = download(&owner, &rid).await;
    assert!(got.1 == exact);
    let fresh = receipt(&owner, json!({"amount": 2})).await;
    put_file(&owner, &id(&fresh), "image/png", file(PNG, 11 * MIB))
        .await
        .expect_problem(413);
    assert_eq!(app.count("receipt_attachments", "1 = 1").await, 1);
}

async fn attachment_types_are_recognised_or_415(app: TestApp) {
    let owner = app.owner();
    let r = receipt(&owner, json!({"amount": 1})).await;
    let rid = id(&r);
    for (content_type, bytes) in [
        ("image/png", file(PDF, 500)),
        ("application/pdf", file(JPEG, 500)),
        ("image/jpeg", file(PNG, 500)),
        (
            "text/html",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        (
            "application/octet-stream",
            b"<html><script>alert(1)</script></html>".to_vec(),
        ),
        ("image/gif", b"GIF89a\x01\x00\x01\x00".to_vec()),
        ("image/webp", b"RIFF\x00\x00\x00\x00WAVEfmt ".to_vec()),
        ("text/plain", b"hello".to_vec()),
    ] {
        let resp = put_file(&owner, &rid, content_type, bytes).await;
        resp.expect_problem(415);
        assert_eq!(resp.body["type"], "/problems/unsupported-media-type");
    }
    let empty = put_file(&owner, &rid, "application/pdf", Vec::new()).await;
    empty.expect_problem(400);
    assert_eq!(app.count("receipt_attachments", "1 = 1").await, 0);
    assert_eq!(
        owner.get(&format!("/core/receipts/{rid}")).await.body["version"],
        1
    );
    put_file(&owner, "missing", "application/pdf", file(PDF, 10))
        .await
        .expect_problem(404);
}
