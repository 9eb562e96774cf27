//! Crash test: writers hit the server with a mix of writes (every one with an Idempotency-Key)
//! while it is killed with SIGKILL at random moments; after each restart the writes whose answer
//! was lost are retried with the same key. At the end every acknowledged write must be there,
//! every retried write exactly once, no multi-row change half-done, the audit chain intact and
//! (SQLite) `PRAGMA integrity_check` ok.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::load::Conn;
use crate::seed::TOKEN;
use crate::server::Server;

#[derive(clap::Args)]
pub struct CrashArgs {
    /// Kill/restart rounds.
    #[arg(long, default_value_t = 20)]
    rounds: u32,
    /// Concurrent writers.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Longest time the server runs in a round before it is killed, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    max_round_ms: u64,
    /// Run against PostgreSQL (an admin URL; a fresh database is created) instead of SQLite.
    #[arg(long)]
    postgres_url: Option<String>,
    /// Seed for the random kill moments.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// One write: where, what, and under which key.
#[derive(Clone, Debug)]
struct Write {
    kind: Kind,
    path: String,
    body: Value,
    key: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    CreateItem,
    UseItem,
    LogUsage,
    QuickAddViaHeimdall,
    CreateShopping,
    Buy,
}

/// What the writers learned.
#[derive(Default)]
struct Ledger {
    /// Answered 2xx: key → (write, answer body).
    acked: HashMap<String, (Write, Value)>,
    /// Sent, answer lost (connection died): retried after the restart.
    unknown: Vec<Write>,
    /// Items created (for uses and usage logs).
    items: Vec<String>,
    /// Shopping items created and not yet bought.
    to_buy: Vec<String>,
}

/// A tiny deterministic generator (xorshift), so kill moments repeat for a seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn next_write(ledger: &Ledger, writer: usize, n: u64, rng: &mut Rng) -> Write {
    let key = format!("w{writer}-{n}-{}", rng.next() % 1_000_000);
    let pick = |v: &Vec<String>, rng: &mut Rng| v[rng.below(v.len() as u64) as usize].clone();
    let choice = rng.below(6);
    let (kind, path, body) = match choice {
        1 if !ledger.items.is_empty() => {
            let id = pick(&ledger.items, rng);
            (
                Kind::UseItem,
                format!("/core/inventory/{id}/use"),
                json!({"qty": 1}),
            )
        }
        2 if !ledger.items.is_empty() => {
            let id = pick(&ledger.items, rng);
            (
                Kind::LogUsage,
                "/core/forecast/usage".into(),
                json!({"inv_id": id, "qty_used": "0.5"}),
            )
        }
        3 => (
            Kind::QuickAddViaHeimdall,
            "/core/heimdall/do".into(),
            json!({"action": "shopping.quick_add", "mode": "execute", "params": {"name": format!("qa-{key}"), "est_total": "2.00"}}),
        ),
        4 => (
            Kind::CreateShopping,
            "/core/shopping".into(),
            json!({"name": format!("buy-{key}"), "est_unit_cost": "3.25"}),
        ),
        5 if !ledger.to_buy.is_empty() => {
            let id = pick(&ledger.to_buy, rng);
            (
                Kind::Buy,
                format!("/core/shopping/{id}/bought"),
                json!({"vendor": "crash"}),
            )
        }
        _ => (
            Kind::CreateItem,
            "/core/inventory".into(),
            json!({"name": format!("item-{key}"), "qty": 1000}),
        ),
    };
    Write {
        kind,
        path,
        body,
        key,
    }
}

/// Sends a write with its key; `None` when the connection died (outcome unknown).
async fn send(conn: &mut Conn, write: &Write) -> Option<(u16, Value)> {
    let body = write.body.to_string();
    let (status, bytes) = conn
        .request_with_key("POST", &write.path, Some(body.as_bytes()), Some(&write.key))
        .await
        .ok()?;
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

fn record(ledger: &mut Ledger, write: Write, status: u16, answer: Value) {
    if !(200..300).contains(&status) {
        // Refused (e.g. 409 buying twice): changed nothing; nothing to check.
        return;
    }
    match write.kind {
        Kind::CreateItem => ledger
            .items
            .push(answer["id"].as_str().unwrap_or_default().into()),
        Kind::CreateShopping => ledger
            .to_buy
            .push(answer["id"].as_str().unwrap_or_default().into()),
        Kind::Buy => {
            let id = answer["id"].as_str().unwrap_or_default().to_string();
            ledger.to_buy.retain(|x| *x != id);
        }
        _ => {}
    }
    ledger.acked.insert(write.key.clone(), (write, answer));
}

async fn writer(
    addr: String,
    index: usize,
    ledger: Arc<Mutex<Ledger>>,
    deadline: Instant,
    seed: u64,
) {
    let Ok(mut conn) = Conn::open(&addr, TOKEN).await else {
        return;
    };
    let mut rng = Rng(seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut n = 0;
    while Instant::now() < deadline {
        n += 1;
        let write = {
            let ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
            next_write(&ledger, index, n, &mut rng)
        };
        match send(&mut conn, &write).await {
            Some((status, answer)) => {
                let mut ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
                record(&mut ledger, write, status, answer);
            }
            None => {
                ledger
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .unknown
                    .push(write);
                return;
            }
        }
    }
}

fn fail(message: String) -> ! {
    eprintln!("CRASH TEST FAILED: {message}");
    std::process::exit(1)
}

pub async fn run(args: CrashArgs) {
    let started = Instant::now();
    let dir =
        std::env::temp_dir().join(format!("valhalla-crash-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = crate::seed::fresh_database(args.postgres_url.as_deref(), "crash", &dir).await;
    let db = valhalla::db::Db::connect(&url).await.expect("connect");
    db.migrate().await.expect("migrate");
    valhalla::household::service::bootstrap(&db, Some(TOKEN), chrono::Utc::now())
        .await
        .expect("bootstrap");
    db.close().await;

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut rng = Rng(args.seed | 1);
    let mut retried = 0usize;
    for round in 1..=args.rounds {
        let server = Server::start(&url);
        // Writes whose answer was lost: the same key and body again. Each must now succeed
        // (replayed, or done for the first time) — and take effect once.
        let pending = std::mem::take(&mut ledger.lock().unwrap_or_else(|e| e.into_inner()).unknown);
        let mut conn = Conn::open(&server.addr, TOKEN)
            .await
            .expect("connect after restart");
        for write in pending {
            match send(&mut conn, &write).await {
                Some((status, answer)) => {
                    if !(200..300).contains(&status) && status != 409 {
                        fail(format!("retry of {write:?} answered {status}: {answer}"));
                    }
                    retried += 1;
                    record(
                        &mut ledger.lock().unwrap_or_else(|e| e.into_inner()),
                        write,
                        status,
                        answer,
                    );
                }
                None => fail(format!("retry of {write:?} got no answer")),
            }
        }
        let run_for = Duration::from_millis(200 + rng.below(args.max_round_ms.max(201) - 200));
        let deadline = Instant::now() + run_for + Duration::from_secs(5);
        let writers: Vec<_> = (0..args.writers)
            .map(|i| {
                tokio::spawn(writer(
                    server.addr.clone(),
                    i,
                    ledger.clone(),
                    deadline,
                    args.seed + u64::from(round),
                ))
            })
            .collect();
        tokio::time::sleep(run_for).await;
        server.kill();
        for w in writers {
            // A writer that died is a broken test, not a pass with fewer writers.
            w.await.expect("a writer task failed");
        }
        let l = ledger.lock().unwrap_or_else(|e| e.into_inner());
        eprintln!(
            "round {round:2}: killed after {:4} ms; acknowledged so far {}, answers lost this round {}",
            run_for.as_millis(),
            l.acked.len(),
            l.unknown.len()
        );
    }

    // The last restart: retry what is still unknown, then check everything.
    let server = Server::start(&url);
    let mut conn = Conn::open(&server.addr, TOKEN).await.expect("connect");
    let pending = std::mem::take(&mut ledger.lock().unwrap_or_else(|e| e.into_inner()).unknown);
    for write in pending {
        let Some((status, answer)) = send(&mut conn, &write).await else {
            fail(format!("retry of {write:?} got no answer"));
        };
        if !(200..300).contains(&status) && status != 409 {
            fail(format!("retry of {write:?} answered {status}: {answer}"));
        }
        retried += 1;
        record(
            &mut ledger.lock().unwrap_or_else(|e| e.into_inner()),
            write,
            status,
            answer,
        );
    }
    let ledger = Arc::try_unwrap(ledger)
        .map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unwrap_or_else(|_| fail("writers still running".into()));
    let checked = verify(&mut conn, &ledger).await;
    server.stop();
    if args.postgres_url.is_none() {
        integrity_check(&url).await;
    }
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "crash test passed: {} rounds, {} acknowledged writes all present, {} lost answers retried \
         exactly once, {checked}; {:.1} s",
        args.rounds,
        ledger.acked.len(),
        retried,
        started.elapsed().as_secs_f64()
    );
}

async fn get(conn: &mut Conn, path: &str) -> Value {
    match conn.request("GET", path, None).await {
        Ok((200, bytes)) => serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        Ok((status, bytes)) => fail(format!(
            "GET {path} answered {status}: {}",
            String::from_utf8_lossy(&bytes)
        )),
        Err(e) => fail(format!("GET {path}: {e}")),
    }
}

/// Every item of a paginated list.
async fn all(conn: &mut Conn, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut next = format!("{path}{sep}limit=500");
    loop {
        let page = get(conn, &next).await;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => next = format!("{path}{sep}limit=500&cursor={c}"),
            None => return items,
        }
    }
}

async fn verify(conn: &mut Conn, ledger: &Ledger) -> String {
    let items = all(conn, "/core/inventory").await;
    let shopping = all(conn, "/core/shopping").await;
    let usage = all(conn, "/core/forecast/usage").await;
    let by_id = |list: &[Value], id: &str| list.iter().any(|v| v["id"] == id);
    let count_named =
        |list: &[Value], name: &str| list.iter().filter(|v| v["name"] == name).count();
    for (key, (write, answer)) in &ledger.acked {
        let id = answer["id"].as_str().unwrap_or_default();
        let ok = match write.kind {
            Kind::CreateItem => {
                by_id(&items, id) && count_named(&items, &format!("item-{key}")) == 1
            }
            Kind::CreateShopping => count_named(&shopping, &format!("buy-{key}")) == 1,
            Kind::QuickAddViaHeimdall => count_named(&shopping, &format!("qa-{key}")) == 1,
            Kind::LogUsage => by_id(&usage, id),
            Kind::Buy => shopping
                .iter()
                .any(|s| s["id"] == id && s["status"] == "bought"),
            Kind::UseItem => true,
        };
        if !ok {
            fail(format!(
                "acknowledged write {key} ({:?}) is missing or duplicated",
                write.kind
            ));
        }
    }
    // Every use and usage log that was acknowledged (lost answers included, once retried) is
    // there exactly once.
    let acked_uses = ledger
        .acked
        .values()
        .filter(|(w, _)| w.kind == Kind::UseItem)
        .count();
    let acked_logs = ledger
        .acked
        .values()
        .filter(|(w, _)| w.kind == Kind::LogUsage)
        .count();
    let uses = usage.iter().filter(|u| u["source"] == "use").count();
    let logs = usage.iter().filter(|u| u["source"] == "manual").count();
    if uses != acked_uses || logs != acked_logs {
        fail(format!(
            "{uses} use events for {acked_uses} acknowledged uses, {logs} usage logs for {acked_logs}"
        ));
    }
    // `use` is two rows (quantity and usage event): for every item, what is left plus what was
    // used is what it started with.
    for item in &items {
        let id = item["id"].as_str().unwrap_or_default();
        let used = usage
            .iter()
            .filter(|u| u["inv_id"] == id && u["source"] == "use")
            .count();
        let qty: f64 = item["qty"].as_str().unwrap_or("0").parse().unwrap_or(-1.0);
        if (qty + used as f64 - 1000.0).abs() > f64::EPSILON {
            fail(format!(
                "item {id}: qty {qty} + {used} uses is not 1000: a half-done use"
            ));
        }
    }
    // Buying is four rows (status, receipt, ledger entry, no restock here): every bought item
    // has its posted receipt, and the ledger holds exactly one expense per receipt.
    let bought: Vec<&Value> = shopping
        .iter()
        .filter(|s| s["status"] == "bought")
        .collect();
    let receipts = all(conn, "/core/receipts").await;
    let entries = all(conn, "/core/ledger").await;
    for item in &bought {
        let rid = item["receipt_id"].as_str().unwrap_or_default();
        let Some(receipt) = receipts.iter().find(|r| r["id"] == rid) else {
            fail(format!("bought item {} has no receipt", item["id"]));
        };
        if receipt["ledger_status"] != "posted" {
            fail(format!("receipt {rid} is not posted"));
        }
    }
    if entries.len() != receipts.len() || receipts.len() != bought.len() {
        fail(format!(
            "{} bought items, {} receipts, {} ledger entries: a half-done purchase",
            bought.len(),
            receipts.len(),
            entries.len()
        ));
    }
    let verify = get(conn, "/core/heimdall/actions/verify").await;
    if verify["ok"] != true {
        fail(format!("the audit chain is broken: {verify}"));
    }
    format!(
        "{} items, {} usage events, {} bought with receipts and ledger entries, audit chain of {} entries intact",
        items.len(),
        usage.len(),
        bought.len(),
        verify["entries"]
    )
}

async fn integrity_check(url: &str) {
    use sqlx::Row;
    let db = valhalla::db::Db::connect(url).await.expect("connect");
    let row = sqlx::query("PRAGMA integrity_check")
        .fetch_one(db.pool())
        .await
        .expect("integrity_check");
    let result: String = row.try_get(0).unwrap_or_default();
    db.close().await;
    if result != "ok" {
        fail(format!("PRAGMA integrity_check: {result}"));
    }
    println!("PRAGMA integrity_check: ok");
}
