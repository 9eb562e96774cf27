//! The scheduler (SPEC §11): the tick through Heimdall, isolation of steps, the daily timer in
//! the household's time zone, and one run per household and day across servers.

use std::sync::Arc;

use serde_json::{Value, json};
use valhalla::app::App;
use valhalla::db::Db;
use valhalla::domain::Role;
use valhalla::scheduler::service::{run_due, spawn_timer};

use crate::backend_tests;
use crate::util::{Client, TestApp};

backend_tests!(
    tick_creates_and_logs_as_the_scheduler,
    a_failing_step_does_not_stop_the_rest,
    timer_runs_once_a_day_at_tick_time_in_the_households_zone,
    two_servers_run_one_tick_per_household_and_day,
    two_server_processes_started_together_run_one_tick_per_household,
    tick_needs_a_writer_and_the_command_line_runs_it,
);

async fn seed(owner: &Client) {
    owner
        .create_item(json!({"name": "Coffee", "qty": 0, "min_qty": 1, "reorder_qty": 2, "est_unit_cost": "6"}))
        .await;
    owner
        .post("/core/schedule", &json!({"title": "Birthday", "kind": "need", "date": "2026-12-03", "item_name": "Cake", "est_unit_cost": "25"}))
        .await
        .expect(201);
    owner
        .post(
            "/core/shopping",
            &json!({"name": "Dishwasher", "est_unit_cost": "540"}),
        )
        .await
        .expect(201);
}

fn steps(result: &Value) -> Vec<(String, bool, u64)> {
    result["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["ok"].as_bool().unwrap(),
                s["created"].as_u64().unwrap(),
            )
        })
        .collect()
}

async fn tick_creates_and_logs_as_the_scheduler(app: TestApp) {
    let owner = app.owner();
    seed(&owner).await;
    let first = owner.post_empty("/core/scheduler/tick").await;
    let body = first.expect(200).clone();
    assert_eq!(body["ran_at"], "2026-11-25T12:00:00.000000Z");
    let names: Vec<String> = steps(&body).into_iter().map(|s| s.0).collect();
    assert_eq!(
        &names[..3],
        [
            "shopping.generate_from_inventory",
            "shopping.generate_from_needs",
            "shopping.request_approvals"
        ]
    );
    assert!(steps(&body).iter().all(|s| s.1), "{body}");
    assert_eq!(
        &steps(&body)[..3].iter().map(|s| s.2).collect::<Vec<_>>(),
        &[1, 1, 1]
    );
    let open = owner.get("/core/shopping?status=open").await;
    let mut names: Vec<String> = open.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["Cake", "Coffee", "Dishwasher"]);
    let approvals = owner.get("/core/approvals?status=pending").await;
    assert_eq!(approvals.body["items"][0]["requested_by"], "scheduler");
    assert_eq!(approvals.body["items"][0]["title"], "Buy Dishwasher");
    // Every step is in Heimdall's log as actor `scheduler`.
    let log = owner.get("/core/heimdall/actions").await;
    let entries = log.body["items"].as_array().unwrap();
    assert!(entries.len() >= 3);
    assert!(
        entries
            .iter()
            .all(|e| e["actor"] == "scheduler" && e["outcome"] == "ok")
    );
    assert_eq!(
        owner.get("/core/heimdall/actions/verify").await.body["ok"],
        true
    );
    // A second tick right after creates nothing new.
    let second = owner.post_empty("/core/scheduler/tick").await;
    assert!(
        steps(second.expect(200)).iter().all(|s| s.1 && s.2 == 0),
        "{}",
        second.text
    );
    assert_eq!(app.count("shopping_items", "1 = 1").await, 3);
    assert_eq!(app.count("approvals", "1 = 1").await, 1);
    let status = owner.get("/core/scheduler/status").await;
    assert_eq!(status.body["last_run"], "2026-11-25T12:00:00.000000Z");
    assert_eq!(status.body["last_trigger"], "manual");
    assert_eq!(status.body["last_ok"], true);
    assert_eq!(status.body["next_run"], "2026-11-26T06:00:00.000000Z");
}

async fn a_failing_step_does_not_stop_the_rest(app: TestApp) {
    let owner = app.owner();
    seed(&owner).await;
    // Break the approvals step only: its table is gone.
    sqlx::query("ALTER TABLE approvals RENAME TO approvals_elsewhere")
        .execute(app.db().pool())
        .await
        .unwrap();
    let tick = owner.post_empty("/core/scheduler/tick").await;
    let body = tick.expect(200).clone();
    let by_name: Vec<(String, bool, u64)> = steps(&body);
    let find = |name: &str| by_name.iter().find(|s| s.0 == name).unwrap().clone();
    assert_eq!(
        find("shopping.generate_from_inventory"),
        ("shopping.generate_from_inventory".into(), true, 1)
    );
    assert_eq!(
        find("shopping.generate_from_needs"),
        ("shopping.generate_from_needs".into(), true, 1)
    );
    let failed = find("shopping.request_approvals");
    assert!(!failed.1);
    let detail = body["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "shopping.request_approvals")
        .unwrap()["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!detail.is_empty());
    // Later steps still ran after the failure.
    let position = by_name
        .iter()
        .position(|s| s.0 == "shopping.request_approvals")
        .unwrap();
    assert!(by_name[position + 1..].iter().all(|s| s.1));
    assert_eq!(
        owner.get("/core/scheduler/status").await.body["last_ok"],
        false
    );
    // The failure is in the log too.
    let log = owner.get("/core/heimdall/actions").await;
    assert!(
        log.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "shopping.request_approvals" && e["outcome"] == "error")
    );
}

async fn timer_runs_once_a_day_at_tick_time_in_the_households_zone(app: TestApp) {
    let owner = app.owner();
    // Tokyo is UTC+9: 06:00 there is 21:00 UTC the day before.
    owner
        .patch(
            "/core/household/settings",
            &json!({"timezone": "Asia/Tokyo", "tick_time": "06:00"}),
        )
        .await
        .expect(200);
    seed(&owner).await;
    let server = app.app();
    // 12:00 UTC on the 25th is 21:00 in Tokyo: the 25th's tick is due and runs once.
    assert_eq!(run_due(&server).await.unwrap(), 1);
    assert_eq!(run_due(&server).await.unwrap(), 0);
    let status = owner.get("/core/scheduler/status").await;
    assert_eq!(status.body["last_trigger"], "timer");
    assert_eq!(status.body["next_run"], "2026-11-25T21:00:00.000000Z");
    // 20:59 UTC is 05:59 on the 26th in Tokyo: not yet.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T20:59:00Z")
            .unwrap()
            .into(),
    );
    assert_eq!(run_due(&server).await.unwrap(), 0);
    // 21:00 UTC is 06:00 in Tokyo: the 26th's tick runs, once.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-25T21:00:00Z")
            .unwrap()
            .into(),
    );
    assert_eq!(run_due(&server).await.unwrap(), 1);
    assert_eq!(run_due(&server).await.unwrap(), 0);
    assert_eq!(app.count("scheduler_runs", "trigger = 'timer'").await, 2);
    // The timer loop itself does the same, without being asked.
    app.clock.set(
        chrono::DateTime::parse_from_rfc3339("2026-11-26T21:00:05Z")
            .unwrap()
            .into(),
    );
    let timer = spawn_timer(server.clone(), std::time::Duration::from_millis(20));
    let mut runs = 0;
    for _ in 0..200 {
        runs = app
            .count(
                "scheduler_runs",
                "trigger = 'timer' AND finished_at IS NOT NULL",
            )
            .await;
        if runs == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    timer.abort();
    assert_eq!(runs, 3);
    assert_eq!(app.count("scheduler_runs", "trigger = 'timer'").await, 3);
}

async fn two_servers_run_one_tick_per_household_and_day(app: TestApp) {
    let owner = app.owner();
    seed(&owner).await;
    let other_owner = app.member_of("Flat 2", "fay", Role::Owner).await;
    seed(&other_owner).await;
    // A second server on the same database, with the same clock.
    let db2 = Db::connect(&app.database_url).await.unwrap();
    let second = App::new(db2.clone(), app.clock.clone());
    let first = app.app();
    let (a, b) = tokio::join!(run_due(&first), run_due(&second));
    assert_eq!(
        a.unwrap() + b.unwrap(),
        2,
        "one run for each of the two households"
    );
    let (a, b) = tokio::join!(run_due(&first), run_due(&second));
    assert_eq!(a.unwrap() + b.unwrap(), 0);
    assert_eq!(app.count("scheduler_runs", "trigger = 'timer'").await, 2);
    assert_eq!(app.count("shopping_items", "source = 'inventory'").await, 2);
    assert_eq!(app.count("approvals", "1 = 1").await, 2);
    db2.close().await;
    drop(Arc::clone(&second));
}

async fn tick_needs_a_writer_and_the_command_line_runs_it(app: TestApp) {
    let viewer = app.member("vic", Role::Viewer).await;
    viewer
        .post_empty("/core/scheduler/tick")
        .await
        .expect_problem(403);
    viewer.get("/core/scheduler/status").await.expect(200);
    seed(&app.owner()).await;
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_valhalla"));
    cmd.env_remove("VALHALLA_DATABASE_URL")
        .env_remove("VALHALLA_DATA_DIR");
    match app.backend {
        crate::util::Backend::Sqlite => {
            cmd.args(["--data-dir", &app.data_dir().display().to_string()])
        }
        crate::util::Backend::Postgres => cmd.args(["--database-url", &app.database_url]),
    };
    let out = cmd.args(["tick", "--household", "Home"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(line["household"], "Home");
    assert_eq!(line["steps"][0]["name"], "shopping.generate_from_inventory");
    assert_eq!(line["steps"][0]["created"], 1);
    assert_eq!(app.count("shopping_items", "source = 'inventory'").await, 1);
}

/// A `valhalla serve` process on `database_url` with its timer on; killed on drop.
struct ServeProcess(std::process::Child);

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_serve(database_url: &str, data_dir: &std::path::Path) -> (ServeProcess, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_valhalla"))
        .env_remove("VALHALLA_DATABASE_URL")
        .env_remove("VALHALLA_DATA_DIR")
        .env("VALHALLA_SCHEDULER", "on")
        .args(["--database-url", database_url])
        .args(["--data-dir", &data_dir.display().to_string()])
        .args(["serve", "--bind", &bind])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    (ServeProcess(child), format!("http://{bind}"))
}

async fn two_server_processes_started_together_run_one_tick_per_household(app: TestApp) {
    seed(&app.owner()).await;
    seed(&app.member_of("Flat 2", "fay", Role::Owner).await).await;
    // Both households' tick time has passed today (real time), so each server's timer finds
    // both ticks due the moment it starts: the two race for the same (household, day) claims.
    for client in [
        app.owner(),
        app.member_of("Flat 2", "fay", Role::Owner).await,
    ] {
        client
            .patch("/core/household/settings", &json!({"tick_time": "00:00"}))
            .await
            .expect(200);
    }
    let first = spawn_serve(&app.database_url, app.data_dir());
    let second = spawn_serve(&app.database_url, app.data_dir());
    let http = reqwest::Client::new();
    for (_, base) in [&first, &second] {
        let mut up = false;
        for _ in 0..200 {
            if http.get(format!("{base}/healthz")).send().await.is_ok() {
                up = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(up, "server at {base} did not start");
    }
    // Wait until both households' runs have finished (or give up after 20 s).
    for _ in 0..200 {
        if app
            .count(
                "scheduler_runs",
                "trigger = 'timer' AND finished_at IS NOT NULL",
            )
            .await
            >= 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Give a losing server time to (wrongly) run a second time before checking.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    drop((first, second));
    assert_eq!(app.count("scheduler_runs", "trigger = 'timer'").await, 2);
    assert_eq!(
        app.count("scheduler_runs", "trigger = 'timer' AND ok = 1")
            .await,
        2
    );
    assert_eq!(
        app.count("shopping_items", "source = 'inventory'").await,
        2,
        "each household's low-stock item was added once"
    );
    assert_eq!(app.count("approvals", "1 = 1").await, 2);
    // Each household's six steps ran once: one Heimdall entry per step and household.
    assert_eq!(
        app.count("heimdall_actions", "actor = 'scheduler'").await,
        2 * 6
    );
}
