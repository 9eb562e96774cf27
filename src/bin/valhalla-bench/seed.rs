//! Seeds a benchmark household straight into the database: items, usage events spread over the
//! last year (stamped with a change sequence), and the change counter the server keeps.

use std::time::Instant;

use chrono::NaiveDate;
use sqlx::Row;
use valhalla::db::{Backend, Db};
use valhalla::household::service;

pub const TOKEN: &str = "bench-owner-token";

pub struct Seeded {
    pub household_id: String,
    pub item_ids: Vec<String>,
    pub seconds: f64,
}

/// A fresh database: a temp SQLite file, or a new database in the PostgreSQL cluster at `pg`.
pub async fn fresh_database(pg: Option<&str>, label: &str, dir: &std::path::Path) -> String {
    match pg {
        None => format!(
            "sqlite://{}?mode=rwc",
            dir.join(format!("{label}.db")).display()
        ),
        Some(admin) => {
            let name = format!("bench_{label}_{}", uuid::Uuid::now_v7().simple());
            let db = Db::connect(admin).await.expect("connect to PostgreSQL");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(db.pool())
                .await
                .expect("create database");
            db.close().await;
            let (base, _) = admin.rsplit_once('/').expect("URL with a database name");
            format!("{base}/{name}")
        }
    }
}

pub async fn seed(database_url: &str, items: u64, events: u64, today: NaiveDate) -> Seeded {
    let started = Instant::now();
    let db = Db::connect(database_url).await.expect("connect");
    db.migrate().await.expect("migrate");
    service::bootstrap(&db, Some(TOKEN), chrono::Utc::now())
        .await
        .expect("bootstrap");
    let household_id: String = sqlx::query("SELECT id FROM households LIMIT 1")
        .fetch_one(db.pool())
        .await
        .expect("household")
        .try_get("id")
        .expect("id");
    let now = valhalla::domain::day::format_instant(chrono::Utc::now());
    let today_text = valhalla::domain::day::format_day(today);
    let day_expr = match db.backend() {
        Backend::Sqlite => "date($4, '-' || ((n * 104729) % 365) || ' days')",
        Backend::Postgres => {
            "to_char(CAST($4 AS date) - CAST((n * 104729) % 365 AS integer), 'YYYY-MM-DD')"
        }
    };
    let mut tx = db.begin().await.expect("begin");
    sqlx::query(
        "WITH RECURSIVE s(n) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2)
         INSERT INTO inventory_items (household_id, id, name, name_key, qty, unit, location_id,
           category, min_qty, reorder_qty, est_unit_cost, currency, version, created_at, updated_at, seq)
         SELECT $1, 'item-' || n, 'Item ' || n, 'item ' || n, 1000 * (1 + (n * 37) % 100), NULL, NULL,
           'bench', 0, NULL, NULL, 'USD', 1, $3, $3, 1 FROM s",
    )
    .bind(&household_id)
    .bind(items as i64)
    .bind(&now)
    .execute(tx.conn())
    .await
    .expect("seed items");
    let events_sql = format!(
        "WITH RECURSIVE s(n) AS (SELECT CAST(0 AS BIGINT) UNION ALL SELECT n + 1 FROM s WHERE n + 1 < $2)
         INSERT INTO usage_events (household_id, id, inv_id, qty_used, used_on, notes, source, created_at, seq)
         SELECT $1, 'ev-' || n, 'item-' || ((n * 7919) % $5), 100 + (n * 31) % 900, {day_expr},
           NULL, 'manual', $3, 1 FROM s"
    );
    sqlx::query(sqlx::AssertSqlSafe(events_sql))
        .bind(&household_id)
        .bind(events as i64)
        .bind(&now)
        .bind(&today_text)
        .bind(items as i64)
        .execute(tx.conn())
        .await
        .expect("seed events");
    sqlx::query(
        "INSERT INTO forecast_counters (household_id, seq) VALUES ($1, 1)
         ON CONFLICT (household_id) DO UPDATE SET seq = 1",
    )
    .bind(&household_id)
    .execute(tx.conn())
    .await
    .expect("seed counter");
    tx.commit().await.expect("commit seed");
    if db.backend() == Backend::Postgres {
        sqlx::query("ANALYZE")
            .execute(db.pool())
            .await
            .expect("analyze");
    }
    db.close().await;
    Seeded {
        household_id,
        item_ids: (0..items).map(|n| format!("item-{n}")).collect(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// The obvious SQL rollup over the raw events, timed directly on the database: the baseline
/// the server's rollup is compared with.
pub async fn sql_rollup_ms(
    database_url: &str,
    household_id: &str,
    today: NaiveDate,
    runs: usize,
) -> f64 {
    let db = Db::connect(database_url).await.expect("connect");
    let start = valhalla::domain::day::format_day(today - chrono::Days::new(30));
    let end = valhalla::domain::day::format_day(today);
    let mut times = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let rows = sqlx::query(
            "SELECT i.id, i.name, i.qty, w.used FROM inventory_items i
             JOIN (SELECT inv_id, CAST(SUM(qty_used) AS BIGINT) AS used FROM usage_events
                   WHERE household_id = $1 AND used_on > $2 AND used_on <= $3 GROUP BY inv_id) w
               ON w.inv_id = i.id AND i.household_id = $1
             ORDER BY (i.qty * 30.0) / w.used, i.name_key LIMIT 20",
        )
        .bind(household_id)
        .bind(&start)
        .bind(&end)
        .fetch_all(db.pool())
        .await
        .expect("baseline rollup");
        assert!(!rows.is_empty());
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    db.close().await;
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
