//! The `valhalla` binary: bootstrap on first start, `token create` next to a running server,
//! `migrate`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::backend_tests;
use crate::util::{Backend, TestApp, fresh_database};

backend_tests!(
    token_create_works_while_the_server_runs,
    serve_bootstraps_once_and_prints_the_token,
);

fn valhalla() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_valhalla"));
    for var in [
        "VALHALLA_DATABASE_URL",
        "VALHALLA_DATA_DIR",
        "VALHALLA_BIND",
        "VALHALLA_BOOTSTRAP_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("RUST_LOG", "info");
    cmd.env("VALHALLA_SCHEDULER", "off");
    cmd
}

/// Where the binary finds the test app's database: the data dir for SQLite (exercising the
/// default location), the URL for PostgreSQL.
fn database_args(app: &TestApp) -> Vec<String> {
    match app.backend {
        Backend::Sqlite => vec!["--data-dir".into(), app.data_dir().display().to_string()],
        Backend::Postgres => vec!["--database-url".into(), app.database_url.clone()],
    }
}

fn token_create(app: &TestApp, args: &[&str]) -> std::process::Output {
    let mut cmd = valhalla();
    // Global flags are accepted after the subcommand too.
    cmd.args(["token", "create"])
        .args(args)
        .args(database_args(app));
    cmd.output().expect("run valhalla token create")
}

async fn token_create_works_while_the_server_runs(app: TestApp) {
    let out = token_create(&app, &["--member", "bob", "--role", "adult"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the token on stdout: {stdout:?}"
    );
    let bob = app.client(Some(token));
    let me = bob.get("/core/me").await;
    assert_eq!(me.expect(200)["name"], "bob");
    assert_eq!(me.body["role"], "adult");
    assert_eq!(me.body["household_name"], "Home");
    // The token is stored only as a hash.
    assert_eq!(
        app.count("api_tokens", &format!("token_hash = '{token}'"))
            .await,
        0
    );
    // A second token for the same member works too; a different role is refused.
    let again = token_create(&app, &["--member", "bob", "--role", "adult"]);
    assert!(again.status.success());
    let clash = token_create(&app, &["--member", "bob", "--role", "viewer"]);
    assert!(!clash.status.success());
    assert!(String::from_utf8_lossy(&clash.stderr).contains("already exists"));

    // Another household is created on demand and is isolated.
    app.owner().create_item(json!({"name": "Milk"})).await;
    let out = token_create(
        &app,
        &[
            "--member",
            "olga",
            "--role",
            "owner",
            "--household",
            "Flat 2",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let olga = app.client(Some(String::from_utf8(out.stdout).unwrap().trim()));
    let me = olga.get("/core/me").await;
    assert_eq!(me.expect(200)["household_name"], "Flat 2");
    assert_eq!(olga.get("/core/inventory").await.body["items"], json!([]));
    // Bad input is a clear error.
    let bad = token_create(&app, &["--member", " ", "--role", "adult"]);
    assert!(!bad.status.success());
    let bad = valhalla()
        .args(["token", "create", "--member", "x", "--role", "king"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

/// Starts `valhalla serve` on a free port and returns the child, its address and stderr lines
/// up to the "listening" line.
fn spawn_serve(
    db_args: &[String],
    env_token: Option<&str>,
) -> (std::process::Child, String, Vec<String>) {
    let mut cmd = valhalla();
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .args(db_args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(t) = env_token {
        cmd.env("VALHALLA_BOOTSTRAP_TOKEN", t);
    }
    let mut child = cmd.spawn().expect("spawn valhalla serve");
    let stderr = child.stderr.take().unwrap();
    let mut lines = Vec::new();
    let mut reader = BufReader::new(stderr);
    let started = Instant::now();
    let addr = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "server did not start: {lines:?}"
        );
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 {
            panic!("server exited: {lines:?}");
        }
        if let Some(pos) = line.find("bind=") {
            let addr = line[pos + 5..]
                .split_whitespace()
                .next()
                .unwrap()
                .to_string();
            lines.push(line);
            break addr;
        }
        lines.push(line);
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        while reader.read_line(&mut sink).map(|n| n > 0).unwrap_or(false) {
            sink.clear();
        }
    });
    (child, addr, lines)
}

fn stop(mut child: std::process::Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}

async fn serve_bootstraps_once_and_prints_the_token(app: TestApp) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database(app.backend, &dir).await;
    let db_args = match app.backend {
        Backend::Sqlite => vec!["--data-dir".to_string(), dir.path().display().to_string()],
        Backend::Postgres => vec!["--database-url".to_string(), url],
    };
    let (child, addr, lines) = spawn_serve(&db_args, None);
    let token = lines
        .iter()
        .map(|l| l.trim())
        .find(|l| l.starts_with("vh_"))
        .unwrap_or_else(|| panic!("no token printed: {lines:?}"))
        .to_string();
    let http = reqwest::Client::new();
    let me: serde_json::Value = http
        .get(format!("http://{addr}/core/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "owner");
    assert_eq!(me["household_name"], "Home");
    stop(child);

    // Second start: nothing printed, the first token still works, and a configured
    // bootstrap token is added for the owner.
    let (child, addr, lines) = spawn_serve(&db_args, Some("configured-token"));
    assert!(!lines.iter().any(|l| l.contains("vh_")), "{lines:?}");
    for t in [token.as_str(), "configured-token"] {
        let status = http
            .get(format!("http://{addr}/core/me"))
            .bearer_auth(t)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200);
    }
    stop(child);

    // `migrate` on an up-to-date database is a no-op that succeeds.
    let out = valhalla().arg("migrate").args(&db_args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
