//! `valhalla-bench`: seeds realistic data, starts the real server in its own process, drives it
//! over HTTP on loopback for a bounded time, and prints p50/p99/throughput/RSS.
//!
//! ```sh
//! cargo run --release --bin valhalla-bench -- forecast [--postgres-url postgres://…/postgres]
//! ```

mod board;
mod crash;
mod faults;
mod load;
mod mixed;
mod seed;
mod server;

use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "valhalla-bench", about = "Benchmarks for the Valhalla server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Forecast engine: rollup and per-item latency, usage write throughput, memory.
    Forecast(ForecastArgs),
    /// Ops board: latency with 50,000 items, 2,000,000 usage events, 10,000 open shopping items.
    OpsBoard(board::BoardArgs),
    /// Crash test: kill -9 the server under concurrent writes, restart, verify nothing was lost.
    Crash(crash::CrashArgs),
    /// Fault tests: the database goes away under load and comes back.
    Faults(faults::FaultArgs),
    /// Fixed-rate mixed read/write load with p50/p99 and errors.
    Mixed(mixed::MixedArgs),
    /// Runs the server (used by the benchmark itself: `valhalla serve` in a child process).
    #[command(hide = true)]
    Serve {
        #[arg(long)]
        database_url: String,
        #[arg(long)]
        bind: String,
    },
}

#[derive(clap::Args)]
struct ForecastArgs {
    /// Inventory items in the household.
    #[arg(long, default_value_t = 50_000)]
    items: u64,
    /// Usage events for the main run.
    #[arg(long, default_value_t = 2_000_000)]
    events: u64,
    /// Usage events for the comparison run (cost must not grow with history).
    #[arg(long, default_value_t = 200_000)]
    baseline_events: u64,
    /// Seconds per measured scenario.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Only the usage-write scenarios on the main data set (for profiling).
    #[arg(long)]
    writes_only: bool,
    /// Also run on PostgreSQL: an admin URL (a fresh database is created in that cluster).
    #[arg(long, env = "VALHALLA_BENCH_POSTGRES_URL")]
    postgres_url: Option<String>,
}

/// Usage writes spread over all items.
fn writes(ids: &Arc<Vec<String>>) -> load::MakeRequest {
    let ids = ids.clone();
    Arc::new(move |client, n| {
        let i = (n as usize * 31 + client * 7919) % ids.len();
        let body = format!("{{\"inv_id\":\"{}\",\"qty_used\":\"0.25\"}}", ids[i]);
        (
            "POST",
            "/core/forecast/usage".to_string(),
            Some(body.into_bytes()),
        )
    })
}

struct Row {
    backend: &'static str,
    events: u64,
    scenario: String,
    stats: load::Stats,
}

fn main() {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    match cli.command {
        Command::Serve { database_url, bind } => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_env("VALHALLA_BENCH_SERVER_FILTER")
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
                )
                .with_ansi(false)
                .with_writer(std::io::stderr)
                .init();
            let args = [
                "valhalla",
                "--database-url",
                &database_url,
                "serve",
                "--bind",
                &bind,
            ];
            let cli = valhalla::cli::Cli::parse_from(args);
            if let Err(err) = runtime.block_on(valhalla::cli::run(cli)) {
                eprintln!("error: {err}");
                std::process::exit(1);
            }
        }
        Command::Forecast(args) => runtime.block_on(forecast(args)),
        Command::OpsBoard(args) => runtime.block_on(board::run(args)),
        Command::Crash(args) => runtime.block_on(crash::run(args)),
        Command::Faults(args) => runtime.block_on(faults::run(args)),
        Command::Mixed(args) => runtime.block_on(mixed::run(args)),
    }
}

async fn forecast(args: ForecastArgs) {
    let dir =
        std::env::temp_dir().join(format!("valhalla-bench-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let today = chrono::Utc::now().date_naive();
    let duration = Duration::from_secs(args.seconds);
    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut backends: Vec<(&'static str, Option<String>)> = vec![("sqlite", None)];
    if let Some(pg) = &args.postgres_url {
        backends.push(("postgres", Some(pg.clone())));
    }
    for (backend, pg) in backends {
        let mut rollup_p50 = Vec::new();
        let sizes = if args.writes_only {
            vec![("large", args.events)]
        } else {
            vec![("small", args.baseline_events), ("large", args.events)]
        };
        for (label, events) in sizes {
            eprintln!(
                "[{backend}] seeding {} items, {events} usage events …",
                args.items
            );
            let url = seed::fresh_database(pg.as_deref(), label, &dir).await;
            let seeded = seed::seed(&url, args.items, events, today).await;
            notes.push(format!(
                "{backend}: seeded {} items + {events} events in {:.1} s",
                args.items, seeded.seconds
            ));
            let sql_ms = seed::sql_rollup_ms(&url, &seeded.household_id, today, 5).await;
            notes.push(format!(
                "{backend} {events} events: baseline plain-SQL rollup (GROUP BY over raw events, on the database directly) p50 {sql_ms:.1} ms"
            ));
            let server = server::Server::start(&url);
            let addr = server.addr.clone();
            let cold = std::time::Instant::now();
            let mut conn = load::Conn::open(&addr, seed::TOKEN).await.expect("connect");
            let (status, _) = conn
                .request("GET", "/core/forecast/rollup?limit=20", None)
                .await
                .expect("first rollup");
            assert_eq!(status, 200);
            notes.push(format!(
                "{backend} {events} events: first rollup after start (loads state) {:.0} ms",
                cold.elapsed().as_secs_f64() * 1000.0
            ));
            let ids = Arc::new(seeded.item_ids.clone());
            let mut measure = |scenario: &str, stats: load::Stats| {
                eprintln!(
                    "[{backend}] {scenario}: {:.0}/s p50 {:?} p99 {:?} (CPU steal {:.0}%)",
                    stats.throughput(),
                    stats.p50,
                    stats.p99,
                    stats.steal_pct
                );
                rows.push(Row {
                    backend,
                    events,
                    scenario: scenario.to_string(),
                    stats,
                });
            };
            let rollup: load::MakeRequest =
                Arc::new(|_, _| ("GET", "/core/forecast/rollup?limit=20".to_string(), None));
            eprintln!("[{backend}] server pid {}", server.pid());
            if args.writes_only {
                for clients in [16usize, 64] {
                    measure(
                        "usage write (durable)",
                        load::run(&addr, seed::TOKEN, clients, duration, 201, writes(&ids)).await,
                    );
                }
                server.stop();
                continue;
            }
            let stats = load::run(&addr, seed::TOKEN, 1, duration, 200, rollup.clone()).await;
            rollup_p50.push(stats.p50);
            measure("rollup limit=20", stats);
            let stats = load::run(&addr, seed::TOKEN, 8, duration, 200, rollup.clone()).await;
            measure("rollup limit=20", stats);
            // Every request asks for another window, so no kept ranking can answer it: the cost
            // of building one (once per window and day in normal use).
            let cold: load::MakeRequest = Arc::new(|_, n| {
                (
                    "GET",
                    format!("/core/forecast/rollup?limit=20&window_days={}", 1 + n % 365),
                    None,
                )
            });
            measure(
                "rollup, a new window each time",
                load::run(&addr, seed::TOKEN, 1, duration, 200, cold).await,
            );
            let ids_for_item = ids.clone();
            let item: load::MakeRequest = Arc::new(move |client, n| {
                let i = (n as usize * 7919 + client * 104_729) % ids_for_item.len();
                (
                    "GET",
                    format!("/core/forecast/inventory/{}", ids_for_item[i]),
                    None,
                )
            });
            measure(
                "item forecast",
                load::run(&addr, seed::TOKEN, 1, duration, 200, item).await,
            );
            if label == "large" {
                // Ceilings of the same server on this machine, for comparison.
                let health: load::MakeRequest =
                    Arc::new(|_, _| ("GET", "/healthz".to_string(), None));
                measure(
                    "baseline: GET /healthz (no database)",
                    load::run(&addr, seed::TOKEN, 64, duration, 200, health).await,
                );
                let me: load::MakeRequest = Arc::new(|_, _| ("GET", "/core/me".to_string(), None));
                measure(
                    "baseline: GET /core/me (token check + 1 read)",
                    load::run(&addr, seed::TOKEN, 64, duration, 200, me).await,
                );
                for clients in [16usize, 64] {
                    let ids_for_write = ids.clone();
                    let write: load::MakeRequest = Arc::new(move |client, n| {
                        let i = (n as usize * 31 + client * 7919) % ids_for_write.len();
                        let body = format!(
                            "{{\"inv_id\":\"{}\",\"qty_used\":\"0.25\"}}",
                            ids_for_write[i]
                        );
                        (
                            "POST",
                            "/core/forecast/usage".to_string(),
                            Some(body.into_bytes()),
                        )
                    });
                    measure(
                        "usage write (durable)",
                        load::run(&addr, seed::TOKEN, clients, duration, 201, write).await,
                    );
                }
                measure(
                    "rollup after the writes",
                    load::run(&addr, seed::TOKEN, 1, duration, 200, rollup.clone()).await,
                );
            }
            let (rss, peak) = server.rss_mib();
            notes.push(format!(
                "{backend} {events} events: server RSS {rss:.0} MiB (peak {peak:.0} MiB)"
            ));
            server.stop();
        }
        if let [small, large] = rollup_p50[..] {
            notes.push(format!(
                "{backend}: rollup p50 at {} events / at {} events = {:.2}× (target ≤ 2×)",
                args.events,
                args.baseline_events,
                large.as_secs_f64() / small.as_secs_f64().max(1e-9)
            ));
        }
    }
    println!();
    println!(
        "| backend | events | scenario | clients | requests | errors | throughput/s | p50 ms | p99 ms | max ms | CPU steal % |"
    );
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in &rows {
        let s = &r.stats;
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} |",
            r.backend,
            r.events,
            r.scenario,
            s.clients,
            s.requests,
            s.errors,
            s.throughput(),
            s.p50.as_secs_f64() * 1000.0,
            s.p99.as_secs_f64() * 1000.0,
            s.max.as_secs_f64() * 1000.0,
            s.steal_pct
        );
    }
    println!();
    for note in notes {
        println!("- {note}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
