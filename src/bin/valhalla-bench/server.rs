//! The server under test: this same executable re-run as `valhalla-bench serve …`, which runs
//! exactly `valhalla serve` in its own process, so its memory can be measured on its own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(database_url: &str) -> Server {
        let exe = std::env::current_exe().expect("own executable");
        let mut child = Command::new(exe)
            .args([
                "serve",
                "--database-url",
                database_url,
                "--bind",
                "127.0.0.1:0",
            ])
            .env("RUST_LOG", "info")
            .env("VALHALLA_SCHEDULER", "off")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start server");
        let stderr = child.stderr.take().expect("stderr");
        let mut reader = BufReader::new(stderr);
        let started = Instant::now();
        let addr = loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("server exited during start-up");
            }
            if let Some(pos) = line.find("bind=") {
                break line[pos + 5..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
            assert!(
                started.elapsed() < Duration::from_secs(300),
                "server start timed out"
            );
        };
        // Keep reading the server's log so it never blocks; keep it if asked to.
        let mut keep = std::env::var_os("VALHALLA_BENCH_SERVER_LOG")
            .and_then(|path| std::fs::File::create(path).ok());
        std::thread::spawn(move || {
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if let Some(file) = keep.as_mut() {
                    let _ = std::io::Write::write_all(file, line.as_bytes());
                }
                line.clear();
            }
        });
        Server { child, addr }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// (current RSS, peak RSS) in MiB, from /proc.
    pub fn rss_mib(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// Kills the server at once (SIGKILL): no shutdown, no flush beyond what is committed.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}
