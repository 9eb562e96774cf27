//! A small keep-alive HTTP/1.1 client and a closed-loop load runner with latency statistics.
//! Written by hand so the load generator spends as little CPU as possible on a 2-core machine.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// One keep-alive connection.
pub struct Conn {
    stream: BufReader<TcpStream>,
    host: String,
    token: String,
}

impl Conn {
    pub async fn open(addr: &str, token: &str) -> std::io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream: BufReader::new(stream),
            host: addr.to_string(),
            token: token.to_string(),
        })
    }

    /// Sends one request and reads the whole response; returns status and body.
    pub async fn request(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        self.request_with_key(method, path, body, None).await
    }

    /// Like [`Conn::request`], with an `Idempotency-Key`.
    pub async fn request_with_key(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        key: Option<&str>,
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n",
            self.host, self.token
        );
        if let Some(key) = key {
            head.push_str(&format!("Idempotency-Key: {key}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes()).await?;
        if let Some(body) = body {
            stream.write_all(body).await?;
        }
        let mut line = String::new();
        self.stream.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.stream.read_line(&mut line).await?;
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        self.stream.read_exact(&mut body).await?;
        Ok((status, body))
    }
}

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct Stats {
    pub clients: usize,
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Share of the machine's CPU time the hypervisor gave to other guests while this ran
    /// (`steal` in /proc/stat): on shared machines it explains much of the run-to-run spread.
    pub steal_pct: f64,
}

/// (steal, total) CPU ticks of the whole machine so far, from /proc/stat.
pub fn cpu_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal; guest time is already in user.
    let total = fields.iter().take(8).sum();
    (fields.get(7).copied().unwrap_or(0), total)
}

/// Percent of CPU time stolen between two `cpu_ticks` readings.
pub fn steal_since(before: (u64, u64)) -> f64 {
    let after = cpu_ticks();
    let total = after.1.saturating_sub(before.1);
    if total == 0 {
        0.0
    } else {
        after.0.saturating_sub(before.0) as f64 * 100.0 / total as f64
    }
}

impl Stats {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

/// A request maker: given a client number and a counter, the (method, path, body) to send.
pub type MakeRequest =
    Arc<dyn Fn(usize, u64) -> (&'static str, String, Option<Vec<u8>>) + Send + Sync>;

/// Runs `clients` closed-loop clients for `duration`; any status other than `expected` counts
/// as an error.
pub async fn run(
    addr: &str,
    token: &str,
    clients: usize,
    duration: Duration,
    expected: u16,
    make: MakeRequest,
) -> Stats {
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let ticks = cpu_ticks();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let make = make.clone();
        let addr = addr.to_string();
        let token = token.to_string();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let Ok(mut conn) = Conn::open(&addr, &token).await else {
                return (latencies, 1);
            };
            let mut n = 0u64;
            while Instant::now() < deadline {
                let (method, path, body) = make(client, n);
                n += 1;
                let t = Instant::now();
                match conn.request(method, &path, body.as_deref()).await {
                    Ok((status, _)) => {
                        latencies.push(t.elapsed());
                        if status != expected {
                            errors += 1;
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        match Conn::open(&addr, &token).await {
                            Ok(c) => conn = c,
                            Err(_) => break,
                        }
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let elapsed = started.elapsed();
    all.sort();
    let pick = |q: f64| {
        if all.is_empty() {
            Duration::ZERO
        } else {
            all[((all.len() as f64 * q) as usize).min(all.len() - 1)]
        }
    };
    Stats {
        clients,
        requests: all.len(),
        errors,
        elapsed,
        p50: pick(0.50),
        p99: pick(0.99),
        max: all.last().copied().unwrap_or_default(),
        steal_pct: steal_since(ticks),
    }
}
