//! Fault tests: the database goes away under load (PostgreSQL stopped; SQLite's disk full) and
//! comes back. The server must answer 503 problem+json quickly while it is gone (never a 500,
//! never a hang), `/readyz` must say 503, reads must keep working where the data is still
//! readable, and everything must recover without restarting the server.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::Mutex;

use crate::load::Conn;
use crate::seed::TOKEN;
use crate::server::Server;

#[derive(clap::Args)]
pub struct FaultArgs {
    #[command(subcommand)]
    fault: Fault,
}

#[derive(clap::Subcommand)]
enum Fault {
    /// Stop PostgreSQL under load, then start it again.
    Postgres {
        /// Admin URL of the cluster (a fresh database is created in it).
        #[arg(long)]
        admin_url: String,
        /// Shell command that stops the cluster.
        #[arg(long)]
        stop: String,
        /// Shell command that starts it again.
        #[arg(long)]
        start: String,
    },
    /// Fill the disk under SQLite's data directory, then free it. The directory must be on a
    /// small filesystem of its own (e.g. a tmpfs), or this fills a real disk.
    SqliteDiskFull {
        #[arg(long)]
        data_dir: std::path::PathBuf,
    },
}

/// Longest acceptable answer while the database is away.
const QUICK: Duration = Duration::from_secs(2);
/// Longest acceptable wait for recovery once it is back.
const RECOVERY: Duration = Duration::from_secs(15);

#[derive(Default)]
struct Seen {
    /// (when since start, status, latency, path)
    answers: Vec<(Duration, u16, Duration, &'static str)>,
    bad: Vec<String>,
}

fn fail(message: String) -> ! {
    eprintln!("FAULT TEST FAILED: {message}");
    std::process::exit(1)
}

fn shell(cmd: &str) {
    let status = std::process::Command::new("sh")
        .args(["-c", cmd])
        .status()
        .unwrap_or_else(|e| fail(format!("{cmd}: {e}")));
    if !status.success() {
        fail(format!("{cmd} failed: {status}"));
    }
}

/// Mixed load: reads and writes from `clients` connections until `stop` is set.
fn spawn_load(
    addr: String,
    clients: usize,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    t0: Instant,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..clients)
        .map(|c| {
            let (addr, seen, stop) = (addr.clone(), seen.clone(), stop.clone());
            tokio::spawn(async move {
                let mut conn = None;
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    if conn.is_none() {
                        conn = Conn::open(&addr, TOKEN).await.ok();
                    }
                    let Some(c_ref) = conn.as_mut() else {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    };
                    let (method, path, body): (&str, &'static str, Option<Vec<u8>>) =
                        if (n + c as u64).is_multiple_of(2) {
                            ("GET", "/core/inventory?limit=5", None)
                        } else {
                            (
                                "POST",
                                "/core/shopping/quick_add",
                                Some(
                                    json!({"name": format!("load {c}-{n}")})
                                        .to_string()
                                        .into_bytes(),
                                ),
                            )
                        };
                    let started = Instant::now();
                    let answer = tokio::time::timeout(
                        Duration::from_secs(20),
                        c_ref.request(method, path, body.as_deref()),
                    )
                    .await;
                    let latency = started.elapsed();
                    let mut s = seen.lock().await;
                    match answer {
                        Ok(Ok((status, bytes))) => {
                            if status >= 500 && status != 503 && status != 507 {
                                s.bad.push(format!(
                                    "{method} {path} → {status}: {}",
                                    String::from_utf8_lossy(&bytes)
                                ));
                            }
                            if status == 503
                                && !String::from_utf8_lossy(&bytes).contains("\"status\":503")
                            {
                                s.bad.push(format!(
                                    "503 without a problem body: {}",
                                    String::from_utf8_lossy(&bytes)
                                ));
                            }
                            s.answers.push((t0.elapsed(), status, latency, path));
                        }
                        Ok(Err(_)) => conn = None,
                        Err(_) => {
                            s.bad.push(format!("{method} {path} hung for 20 s"));
                            conn = None;
                        }
                    }
                }
            })
        })
        .collect()
}

async fn status_of(addr: &str, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let mut conn = Conn::open(addr, TOKEN)
        .await
        .unwrap_or_else(|e| fail(format!("connect: {e}")));
    let (status, _) =
        tokio::time::timeout(Duration::from_secs(20), conn.request("GET", path, None))
            .await
            .unwrap_or_else(|_| fail(format!("GET {path} hung")))
            .unwrap_or_else(|e| fail(format!("GET {path}: {e}")));
    (status, started.elapsed())
}

/// Summarises the answers seen in `[from, to)`.
fn window(seen: &Seen, from: Duration, to: Duration) -> (usize, Vec<(u16, usize)>, Duration) {
    let mut counts: std::collections::BTreeMap<u16, usize> = Default::default();
    let mut worst = Duration::ZERO;
    let mut total = 0;
    for (at, status, latency, _) in &seen.answers {
        if *at >= from && *at < to {
            total += 1;
            *counts.entry(*status).or_default() += 1;
            worst = worst.max(*latency);
        }
    }
    (total, counts.into_iter().collect(), worst)
}

pub async fn run(args: FaultArgs) {
    match args.fault {
        Fault::Postgres {
            admin_url,
            stop,
            start,
        } => postgres(&admin_url, &stop, &start).await,
        Fault::SqliteDiskFull { data_dir } => sqlite_disk_full(&data_dir).await,
    }
}

async fn prepare(url: &str) {
    let db = valhalla::db::Db::connect(url).await.expect("connect");
    db.migrate().await.expect("migrate");
    valhalla::household::service::bootstrap(&db, Some(TOKEN), chrono::Utc::now())
        .await
        .expect("bootstrap");
    db.close().await;
}

async fn postgres(admin_url: &str, stop_cmd: &str, start_cmd: &str) {
    let dir = std::env::temp_dir();
    let url = crate::seed::fresh_database(Some(admin_url), "faults", &dir).await;
    prepare(&url).await;
    let server = Server::start(&url);
    let addr = server.addr.clone();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop_load = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let load = spawn_load(addr.clone(), 8, seen.clone(), stop_load.clone(), t0);
    tokio::time::sleep(Duration::from_secs(2)).await;

    let down_at = t0.elapsed();
    shell(stop_cmd);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (ready, ready_took) = status_of(&addr, "/readyz").await;
    if ready != 503 || ready_took > QUICK {
        fail(format!(
            "/readyz answered {ready} in {ready_took:?} with PostgreSQL down"
        ));
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let up_at = t0.elapsed();
    shell(start_cmd);
    let recovered = wait_for_recovery(&addr).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop_load.store(true, Ordering::Relaxed);
    for task in load {
        let _ = task.await;
    }
    server.stop();
    report(
        "PostgreSQL stopped",
        &seen,
        down_at,
        up_at,
        (ready, ready_took),
        recovered,
    )
    .await;
}

async fn wait_for_recovery(addr: &str) -> Duration {
    let since = Instant::now();
    loop {
        let (status, _) = status_of(addr, "/readyz").await;
        if status == 200 {
            let (inv, _) = status_of(addr, "/core/inventory?limit=1").await;
            if inv == 200 {
                return since.elapsed();
            }
        }
        if since.elapsed() > RECOVERY {
            fail(format!(
                "no recovery {RECOVERY:?} after the database came back"
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn report(
    what: &str,
    seen: &Arc<Mutex<Seen>>,
    down_at: Duration,
    up_at: Duration,
    ready: (u16, Duration),
    recovered: Duration,
) {
    let seen = seen.lock().await;
    if !seen.bad.is_empty() {
        fail(format!(
            "{} bad answers, first: {}",
            seen.bad.len(),
            seen.bad[0]
        ));
    }
    // Leave a second for the outage to be noticed by every pooled connection.
    let (total, counts, worst) = window(&seen, down_at + Duration::from_secs(1), up_at);
    if total == 0 {
        fail("no answers during the outage".into());
    }
    if worst > QUICK {
        fail(format!("an answer during the outage took {worst:?}"));
    }
    let (after, after_counts, _) = window(&seen, up_at + recovered, Duration::MAX);
    println!(
        "{what}: during the outage {total} answers {counts:?}, slowest {:.0} ms; /readyz {} in {:.0} ms; \
         recovered {:.1} s after the database returned (no restart); afterwards {after} answers {after_counts:?}; no 500s, no hangs",
        worst.as_secs_f64() * 1000.0,
        ready.0,
        ready.1.as_secs_f64() * 1000.0,
        recovered.as_secs_f64()
    );
}

async fn sqlite_disk_full(data_dir: &std::path::Path) {
    let url = valhalla::db::resolve_url(None, data_dir).expect("data dir");
    prepare(&url).await;
    let server = Server::start(&url);
    let addr = server.addr.clone();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop_load = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let load = spawn_load(addr.clone(), 8, seen.clone(), stop_load.clone(), t0);
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Fill the filesystem to the last byte.
    let filler = data_dir.join("filler");
    let down_at = t0.elapsed();
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).expect("filler");
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let small = [0u8; 512];
        while file.write_all(&small).is_ok() {}
        let _ = file.sync_all();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (ready, ready_took) = status_of(&addr, "/readyz").await;
    // Reads still work while writes cannot.
    let (read, _) = status_of(&addr, "/core/inventory?limit=1").await;
    if read != 200 {
        fail(format!("a read answered {read} with the disk full"));
    }
    let up_at = t0.elapsed();
    std::fs::remove_file(&filler).expect("remove filler");
    let recovered = wait_for_recovery(&addr).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop_load.store(true, Ordering::Relaxed);
    for task in load {
        let _ = task.await;
    }
    server.stop();
    {
        let s = seen.lock().await;
        let (_, counts, _) = window(&s, down_at + Duration::from_secs(1), up_at);
        let refused_writes = counts
            .iter()
            .filter(|(st, _)| *st == 503 || *st == 507)
            .map(|(_, n)| n)
            .sum::<usize>();
        if refused_writes == 0 {
            fail(format!(
                "no write was refused with the disk full: {counts:?}"
            ));
        }
    }
    report(
        "SQLite disk full (reads kept answering)",
        &seen,
        down_at,
        up_at,
        (ready, ready_took),
        recovered,
    )
    .await;
}
