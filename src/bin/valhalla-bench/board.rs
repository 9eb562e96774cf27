//! Ops board benchmark: a household with 50,000 items, 2,000,000 usage events and 10,000 open
//! shopping items (plus as many bought ones, a year of ledger entries, bills, schedule events,
//! approvals and Heimdall actions), and `GET /core/ops_board` measured over HTTP against the
//! real server in its own process, next to `GET /core/me` as the floor of any `/core` read.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Row;
use valhalla::db::Db;

use crate::{load, seed, server};

#[derive(clap::Args)]
pub struct BoardArgs {
    /// Inventory items (every 20th is low on stock).
    #[arg(long, default_value_t = 50_000)]
    items: u64,
    /// Usage events.
    #[arg(long, default_value_t = 2_000_000)]
    events: u64,
    /// Open shopping items (as many bought ones are added).
    #[arg(long, default_value_t = 10_000)]
    open_items: u64,
    /// Seconds per measured scenario.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Also run on PostgreSQL: an admin URL (a fresh database is created in that cluster).
    #[arg(long, env = "VALHALLA_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
}

/// The board's other tables, straight into the database.
async fn seed_board(url: &str, household_id: &str, open_items: u64) {
    let db = Db::connect(url).await.expect("connect");
    let now = valhalla::domain::day::format_instant(chrono::Utc::now());
    let today = chrono::Utc::now().date_naive();
    let mut tx = db.begin().await.expect("begin");
    sqlx::query(
        "UPDATE inventory_items SET min_qty = qty
         WHERE household_id = $1 AND CAST(substr(id, 6) AS BIGINT) % 20 = 0",
    )
    .bind(household_id)
    .execute(tx.conn())
    .await
    .expect("low stock");
    sqlx::query(
        "WITH RECURSIVE s(n) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2)
         INSERT INTO shopping_items (household_id, id, name, name_key, qty, unit, est_unit_cost,
           est_total, currency, category, status, source, inv_id, schedule_event_id, need_date,
           approval_id, actual_total, bought_at, receipt_id, version, created_at, updated_at)
         SELECT $1, 'shop-' || n, 'Thing ' || n, 'thing ' || n, 1000, NULL, 100 + n % 5000,
           100 + n % 5000, 'USD', NULL, CASE WHEN n % 2 = 0 THEN 'open' ELSE 'bought' END,
           'manual', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, $3, $3 FROM s",
    )
    .bind(household_id)
    .bind((open_items * 2) as i64)
    .bind(&now)
    .execute(tx.conn())
    .await
    .expect("shopping items");
    let day_expr = match db.backend() {
        valhalla::db::Backend::Sqlite => "date($4, '-' || (n % 365) || ' days')",
        valhalla::db::Backend::Postgres => {
            "to_char(CAST($4 AS date) - CAST(n % 365 AS integer), 'YYYY-MM-DD')"
        }
    };
    let ledger_sql = format!(
        "WITH RECURSIVE s(n) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2)
         INSERT INTO ledger_entries (household_id, id, kind, amount, currency, entry_date,
           category, memo, source_type, source_id, created_at)
         SELECT $1, 'entry-' || n, CASE WHEN n % 10 = 0 THEN 'income' ELSE 'expense' END,
           500 + n % 20000, 'USD', {day_expr}, 'cat' || (n % 12), NULL, 'manual', NULL, $3 FROM s"
    );
    sqlx::query(sqlx::AssertSqlSafe(ledger_sql))
        .bind(household_id)
        .bind(20_000i64)
        .bind(&now)
        .bind(valhalla::domain::day::format_day(today))
        .execute(tx.conn())
        .await
        .expect("ledger entries");
    tx.commit().await.expect("commit");
    if db.backend() == valhalla::db::Backend::Postgres {
        sqlx::query("ANALYZE")
            .execute(db.pool())
            .await
            .expect("analyze");
    }
    let open: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM shopping_items WHERE household_id = $1 AND status = 'open'",
    )
    .bind(household_id)
    .fetch_one(db.pool())
    .await
    .expect("count")
    .try_get("n")
    .expect("n");
    assert_eq!(open as u64, open_items);
    db.close().await;
}

/// Small tables through the API, as a household would fill them.
async fn fill_through_the_api(addr: &str) {
    let mut conn = load::Conn::open(addr, seed::TOKEN).await.expect("connect");
    let today = chrono::Utc::now().date_naive();
    let mut post = async |path: &str, body: String| {
        let (status, text) = conn
            .request("POST", path, Some(body.as_bytes()))
            .await
            .expect("request");
        assert!(
            status < 300,
            "{path}: {status} {}",
            String::from_utf8_lossy(&text)
        );
        serde_json::from_slice::<serde_json::Value>(&text).unwrap_or_default()
    };
    for n in 0..200u64 {
        let due = today + chrono::Days::new(n % 60) - chrono::Days::new(10);
        post(
            "/core/bills",
            format!(
                r#"{{"name":"Bill {n}","amount":"{}.50","due_on":"{due}","rrule":"FREQ=MONTHLY"}}"#,
                10 + n
            ),
        )
        .await;
    }
    for n in 0..100u64 {
        let date = today + chrono::Days::new(n % 30);
        let rule = if n % 3 == 0 {
            r#","rrule":"FREQ=WEEKLY""#
        } else {
            ""
        };
        post(
            "/core/schedule",
            format!(r#"{{"title":"Event {n}","kind":"chore","date":"{date}"{rule}}}"#),
        )
        .await;
    }
    for n in 0..150u64 {
        post(
            "/core/approvals",
            format!(r#"{{"title":"Approval {n}","action":"shopping.bought","target_type":"shopping_item","target_id":"shop-{n}","payload":{{"est_total":"{}"}}}}"#, 200 + n),
        )
        .await;
    }
    for n in 0..50u64 {
        post(
            "/core/heimdall/do",
            format!(
                r#"{{"action":"budget.impact","mode":"explore","params":{{"amount":"{}"}}}}"#,
                n + 1
            ),
        )
        .await;
    }
    post("/core/bills/push_reminders", String::new()).await;
}

pub async fn run(args: BoardArgs) {
    let dir =
        std::env::temp_dir().join(format!("valhalla-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let today = chrono::Utc::now().date_naive();
    let duration = Duration::from_secs(args.seconds);
    let mut backends: Vec<(&'static str, Option<String>)> = vec![("sqlite", None)];
    if let Some(pg) = &args.postgres_url {
        backends.push(("postgres", Some(pg.clone())));
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (backend, pg) in backends {
        eprintln!(
            "[{backend}] seeding {} items, {} usage events, {} open shopping items …",
            args.items, args.events, args.open_items
        );
        let url = seed::fresh_database(pg.as_deref(), "board", &dir).await;
        let seeded = seed::seed(&url, args.items, args.events, today).await;
        seed_board(&url, &seeded.household_id, args.open_items).await;
        let server = server::Server::start(&url);
        let addr = server.addr.clone();
        fill_through_the_api(&addr).await;
        let mut conn = load::Conn::open(&addr, seed::TOKEN).await.expect("connect");
        let cold = Instant::now();
        let (status, body) = conn
            .request("GET", "/core/ops_board", None)
            .await
            .expect("first board");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let board: serde_json::Value = serde_json::from_slice(&body).expect("board JSON");
        notes.push(format!(
            "{backend}: first board after start (loads forecast state) {:.0} ms; {} low-stock items, {} open items totalling {}, {} bills due, {} pending approvals, {} bytes",
            cold.elapsed().as_secs_f64() * 1000.0,
            board["low_stock_count"],
            board["shopping_open_count"],
            board["shopping_est_total"],
            board["bills_due"].as_array().map_or(0, Vec::len),
            board["approvals_pending"].as_array().map_or(0, Vec::len),
            body.len()
        ));
        let board_req: load::MakeRequest =
            Arc::new(|_, _| ("GET", "/core/ops_board".to_string(), None));
        let me: load::MakeRequest = Arc::new(|_, _| ("GET", "/core/me".to_string(), None));
        for (scenario, make, clients) in [
            ("baseline: GET /core/me", me.clone(), 1usize),
            ("GET /core/ops_board", board_req.clone(), 1),
            ("GET /core/ops_board", board_req, 4),
        ] {
            let stats = load::run(&addr, seed::TOKEN, clients, duration, 200, make).await;
            eprintln!(
                "[{backend}] {scenario} ×{clients}: p50 {:?} p99 {:?}",
                stats.p50, stats.p99
            );
            rows.push((backend, scenario, stats));
        }
        let (rss, peak) = server.rss_mib();
        notes.push(format!(
            "{backend}: server RSS {rss:.0} MiB (peak {peak:.0} MiB)"
        ));
        server.stop();
    }
    println!();
    println!(
        "| backend | scenario | clients | requests | errors | throughput/s | p50 ms | p99 ms | max ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for (backend, scenario, s) in &rows {
        println!(
            "| {backend} | {scenario} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
            s.clients,
            s.requests,
            s.errors,
            s.throughput(),
            s.p50.as_secs_f64() * 1000.0,
            s.p99.as_secs_f64() * 1000.0,
            s.max.as_secs_f64() * 1000.0
        );
    }
    println!();
    for note in notes {
        println!("- {note}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
