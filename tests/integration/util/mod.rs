//! Test harness: a real server (real router, real database) on a loopback port, per test.
//!
//! Every test runs on both backends through [`backend_tests!`]: SQLite in a temp directory,
//! and PostgreSQL in a fresh database of the cluster named by `VALHALLA_TEST_POSTGRES_URL`
//! (`./scripts/test` starts a throwaway cluster and sets it).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use valhalla::app::{self, App};
use valhalla::db::Db;
use valhalla::domain::{ManualClock, Role};
use valhalla::household::service;

pub const OWNER_TOKEN: &str = "test-owner-token";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once per backend, as `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::util::TestApp::start($crate::util::Backend::Sqlite).await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::util::TestApp::start($crate::util::Backend::Postgres).await).await
                }
            )*
        }
    };
}

struct Running {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    db: Db,
    app: Arc<App>,
}

/// One server and its database.
pub struct TestApp {
    pub backend: Backend,
    pub database_url: String,
    pub base: String,
    pub clock: Arc<ManualClock>,
    http: reqwest::Client,
    running: Option<Running>,
    _dir: tempfile::TempDir,
}

/// The fixed "now" of every test unless it moves the clock.
pub fn test_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A new, empty database for `backend` (SQLite inside `dir`).
pub async fn fresh_database(backend: Backend, dir: &tempfile::TempDir) -> String {
    match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("valhalla.db").display()
        ),
        Backend::Postgres => {
            let admin = std::env::var("VALHALLA_TEST_POSTGRES_URL").expect(
                "PostgreSQL tests need VALHALLA_TEST_POSTGRES_URL (run ./scripts/test, which starts a throwaway cluster)",
            );
            let name = format!("vt_{}", uuid::Uuid::now_v7().simple());
            let db = Db::connect(&admin)
                .await
                .expect("connect to the test PostgreSQL cluster");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(db.pool())
                .await
                .expect("create test database");
            db.close().await;
            let (base, _) = admin.rsplit_once('/').expect("admin URL has a database");
            format!("{base}/{name}")
        }
    }
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let database_url = fresh_database(backend, &dir).await;
        let mut app = TestApp {
            backend,
            database_url,
            base: String::new(),
            clock: Arc::new(ManualClock::new(test_now())),
            http: reqwest::Client::new(),
            running: None,
            _dir: dir,
        };
        app.boot().await;
        app
    }

    /// The data directory (SQLite lives here).
    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    async fn boot(&mut self) {
        let db = Db::connect(&self.database_url).await.expect("connect");
        db.migrate().await.expect("migrate");
        service::bootstrap(&db, Some(OWNER_TOKEN), self.clock_now())
            .await
            .expect("bootstrap");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr: SocketAddr = listener.local_addr().unwrap();
        self.base = format!("http://{addr}");
        let app = App::new(db.clone(), self.clock.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(app::serve(app.clone(), listener, async move {
            let _ = rx.await;
        }));
        self.running = Some(Running {
            shutdown: tx,
            task,
            db,
            app,
        });
    }

    /// Stops the server gracefully and closes its database.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            running.task.await.expect("server task").expect("server");
            running.db.close().await;
        }
    }

    /// Stops and starts the server on the same data.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.boot().await;
    }

    fn clock_now(&self) -> DateTime<Utc> {
        use valhalla::domain::Clock;
        self.clock.now()
    }

    /// The running server's application object (for driving its background work directly).
    pub fn app(&self) -> Arc<App> {
        self.running.as_ref().expect("server running").app.clone()
    }

    /// The server's database handle, for checks the API does not expose.
    pub fn db(&self) -> &Db {
        &self.running.as_ref().expect("server running").db
    }

    /// A client with the bootstrap owner's token.
    pub fn owner(&self) -> Client {
        self.client(Some(OWNER_TOKEN))
    }

    /// A client without a token.
    pub fn anonymous(&self) -> Client {
        self.client(None)
    }

    pub fn client(&self, token: Option<&str>) -> Client {
        Client {
            base: self.base.clone(),
            token: token.map(str::to_string),
            http: self.http.clone(),
        }
    }

    /// A client for a new member with `role` in the bootstrap household.
    pub async fn member(&self, name: &str, role: Role) -> Client {
        let token = service::create_token(self.db(), None, name, role, self.clock_now())
            .await
            .expect("create token");
        self.client(Some(&token))
    }

    /// A client for a member of another household (created when missing).
    pub async fn member_of(&self, household: &str, name: &str, role: Role) -> Client {
        let token = service::create_token(self.db(), Some(household), name, role, self.clock_now())
            .await
            .expect("create token");
        self.client(Some(&token))
    }

    /// Counts rows of `table` matching `where_sql` (for checks beneath the API).
    pub async fn count(&self, table: &str, where_sql: &str) -> i64 {
        use sqlx::Row;
        let sql = format!("SELECT COUNT(*) AS n FROM {table} WHERE {where_sql}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.db().pool())
            .await
            .expect("count")
            .try_get::<i64, _>("n")
            .expect("count column")
    }
}

/// An HTTP client acting as one member.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub token: Option<String>,
    http: reqwest::Client,
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON (`Null` when empty or not JSON).
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or("")
    }

    /// Asserts status `expected`, printing the body on failure.
    #[track_caller]
    pub fn expect(&self, expected: u16) -> &Value {
        assert_eq!(
            self.status, expected,
            "expected {expected}, got {}: {}",
            self.status, self.text
        );
        &self.body
    }

    /// Asserts an RFC 9457 problem with `status`, returning the fields named in `errors`.
    #[track_caller]
    pub fn expect_problem(&self, status: u16) -> Vec<String> {
        self.expect(status);
        assert_eq!(
            self.content_type(),
            "application/problem+json",
            "problem content type: {}",
            self.text
        );
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert!(self.body["type"].is_string(), "{}", self.text);
        assert!(self.body["title"].is_string(), "{}", self.text);
        assert!(self.body["detail"].is_string(), "{}", self.text);
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A request being built.
pub struct Req {
    builder: reqwest::RequestBuilder,
}

impl Req {
    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.builder = self.builder.header(name, value);
        self
    }

    pub fn json(mut self, body: &Value) -> Req {
        self.builder = self.builder.json(body);
        self
    }

    /// A raw body with a content type.
    pub fn raw(mut self, content_type: &str, body: impl Into<reqwest::Body>) -> Req {
        self.builder = self.builder.header("content-type", content_type).body(body);
        self
    }

    /// Sends the request. No request in the suite may get a 5xx: that fails the test here.
    pub async fn send(self) -> Resp {
        let resp = self.send_any().await;
        assert!(
            resp.status < 500,
            "server error {}: {}",
            resp.status,
            resp.text
        );
        resp
    }

    /// Sends the request, allowing any status (for fault tests).
    pub async fn send_any(self) -> Resp {
        let response = self.builder.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }
}

impl Client {
    pub fn request(&self, method: Method, path: &str) -> Req {
        let mut builder = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(token) = &self.token {
            builder = builder.bearer_auth(token);
        }
        Req { builder }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.request(Method::GET, path).send().await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.request(Method::POST, path).json(body).send().await
    }

    /// POST without a body.
    pub async fn post_empty(&self, path: &str) -> Resp {
        self.request(Method::POST, path).send().await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.request(Method::PATCH, path).json(body).send().await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.request(Method::DELETE, path).send().await
    }

    /// Creates an inventory item and returns it.
    pub async fn create_item(&self, body: Value) -> Value {
        self.post("/core/inventory", &body)
            .await
            .expect(201)
            .clone()
    }
}
