//! Fixed-rate mixed load: requests are started on a fixed schedule whatever the server's speed
//! (open loop), and each latency is measured from when the request was due, so a slow server
//! cannot hide its queueing (no coordinated omission).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::{Mutex, mpsc};

use crate::load::{self, Conn, Stats};
use crate::seed::TOKEN;
use crate::server::Server;

#[derive(clap::Args)]
pub struct MixedArgs {
    /// Requests per second.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Inventory items seeded before the run.
    #[arg(long, default_value_t = 2000)]
    items: u64,
    /// Usage events seeded before the run.
    #[arg(long, default_value_t = 50_000)]
    events: u64,
    /// Also run on PostgreSQL (an admin URL; a fresh database is created).
    #[arg(long, env = "VALHALLA_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Fail unless p99 is at most this many milliseconds (on SQLite).
    #[arg(long)]
    max_p99_ms: Option<f64>,
}

/// The request mix: 70 % reads, 30 % writes.
fn request(n: u64, ids: &[String]) -> (&'static str, String, Option<Vec<u8>>, u16) {
    let id = &ids[(n as usize * 7919) % ids.len()];
    match n % 10 {
        0..=2 => ("GET", "/core/inventory?limit=20".into(), None, 200),
        3 => ("GET", "/core/forecast/rollup?limit=20".into(), None, 200),
        4 => ("GET", format!("/core/forecast/inventory/{id}"), None, 200),
        5 => (
            "GET",
            "/core/shopping?status=open&limit=50".into(),
            None,
            200,
        ),
        6 => ("GET", "/core/approvals?status=pending".into(), None, 200),
        7 => (
            "POST",
            "/core/forecast/usage".into(),
            Some(
                json!({"inv_id": id, "qty_used": "0.1"})
                    .to_string()
                    .into_bytes(),
            ),
            201,
        ),
        8 => (
            "POST",
            "/core/shopping/quick_add".into(),
            Some(
                json!({"name": format!("mixed {n}"), "est_total": "1.50"})
                    .to_string()
                    .into_bytes(),
            ),
            201,
        ),
        _ => (
            "POST",
            format!("/core/inventory/{id}/restock"),
            Some(json!({"qty": 1}).to_string().into_bytes()),
            200,
        ),
    }
}

async fn run_one(addr: &str, rate: u64, seconds: u64, ids: Arc<Vec<String>>) -> Stats {
    let connections = 64;
    let (tx, rx) = mpsc::channel::<Conn>(connections);
    for _ in 0..connections {
        tx.send(Conn::open(addr, TOKEN).await.expect("connect"))
            .await
            .ok();
    }
    let pool = Arc::new(Mutex::new(rx));
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let period = Duration::from_nanos(1_000_000_000 / rate.max(1));
    let start = Instant::now();
    let ticks = load::cpu_ticks();
    let total = rate * seconds;
    let mut tasks = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = start + period * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let (pool, tx, latencies, errors, ids) = (
            pool.clone(),
            tx.clone(),
            latencies.clone(),
            errors.clone(),
            ids.clone(),
        );
        let addr = addr.to_string();
        tasks.push(tokio::spawn(async move {
            let mut conn = match pool.lock().await.recv().await {
                Some(c) => c,
                None => return,
            };
            let (method, path, body, expected) = request(n, &ids);
            match conn.request(method, &path, body.as_deref()).await {
                Ok((status, _)) => {
                    if status != expected {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                Err(_) => {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Ok(fresh) = Conn::open(&addr, TOKEN).await {
                        conn = fresh;
                    }
                }
            }
            latencies.lock().await.push(due.elapsed());
            let _ = tx.send(conn).await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let mut all = std::mem::take(&mut *latencies.lock().await);
    all.sort();
    let pick = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Stats {
        clients: connections,
        requests: all.len(),
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
        elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        max: all.last().copied().unwrap_or_default(),
        steal_pct: load::steal_since(ticks),
    }
}

pub async fn run(args: MixedArgs) {
    let dir =
        std::env::temp_dir().join(format!("valhalla-mixed-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let today = chrono::Utc::now().date_naive();
    let mut backends: Vec<(&str, Option<String>)> = vec![("sqlite", None)];
    if let Some(pg) = &args.postgres_url {
        backends.push(("postgres", Some(pg.clone())));
    }
    let mut failed = false;
    println!(
        "| backend | rate/s | seconds | requests | errors | p50 ms | p99 ms | max ms | CPU steal % |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (backend, pg) in backends {
        let url = crate::seed::fresh_database(pg.as_deref(), "mixed", &dir).await;
        let seeded = crate::seed::seed(&url, args.items, args.events, today).await;
        let server = Server::start(&url);
        let stats = run_one(
            &server.addr,
            args.rate,
            args.seconds,
            Arc::new(seeded.item_ids),
        )
        .await;
        server.stop();
        println!(
            "| {backend} | {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.0} |",
            args.rate,
            args.seconds,
            stats.requests,
            stats.errors,
            stats.p50.as_secs_f64() * 1000.0,
            stats.p99.as_secs_f64() * 1000.0,
            stats.max.as_secs_f64() * 1000.0,
            stats.steal_pct
        );
        if backend == "sqlite" {
            if stats.errors > 0 {
                eprintln!("FAILED: {} errors on SQLite", stats.errors);
                failed = true;
            }
            if let Some(max) = args.max_p99_ms
                && stats.p99.as_secs_f64() * 1000.0 > max
            {
                eprintln!("FAILED: p99 above {max} ms on SQLite");
                failed = true;
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if failed {
        std::process::exit(1);
    }
}
