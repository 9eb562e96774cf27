//! End to end in headless Chromium: the real server (SQLite), Debian's chromium driven through
//! chromedriver (started here on a free port, stopped by pid), two adults and a member in
//! separate browser sessions. Screenshots of every page at phone and desktop widths go to
//! `target/screenshots/`.
//!
//! Without chromium and chromedriver the test fails under `CI=true` and otherwise warns loudly.

#[path = "../integration/util/mod.rs"]
mod util;

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use valhalla::domain::Role;

use util::{Backend, TestApp};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const PHONE: (u32, u32) = (390, 844);
const DESKTOP: (u32, u32) = (1280, 900);

/// chromedriver, stopped (by its pid) when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = http.get(format!("{}/status", driver.url)).send().await
            && r.status().is_success()
        {
            return driver;
        }
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A browser session of its own (own profile directory, so its own cookies).
async fn browser(driver: &Driver, profile: &Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--hide-scrollbars",
                format!("--user-data-dir={}", profile.display()),
                format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
            ]
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session");
    client
        .set_window_size(DESKTOP.0, DESKTOP.1)
        .await
        .expect("window size");
    client
}

fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Sets the viewport to `width` × `height` exactly (the window may have borders).
async fn viewport(c: &Client, width: u32, height: u32) {
    c.set_window_size(width, height).await.expect("resize");
    let inner = c
        .execute("return [window.innerWidth, window.innerHeight];", vec![])
        .await
        .expect("inner size");
    let w = inner[0].as_u64().unwrap_or(u64::from(width)) as u32;
    let h = inner[1].as_u64().unwrap_or(u64::from(height)) as u32;
    if (w, h) != (width, height) {
        c.set_window_size(
            width + (width - w.min(width)),
            height + (height - h.min(height)),
        )
        .await
        .expect("resize");
    }
}

/// Full-page screenshots of the current page at phone and desktop widths.
async fn shoot(c: &Client, name: &str) {
    let dir = screenshot_dir();
    for (label, (width, height)) in [("phone", PHONE), ("desktop", DESKTOP)] {
        viewport(c, width, height).await;
        let full = c
            .execute(
                "return Math.ceil(document.documentElement.scrollHeight);",
                vec![],
            )
            .await
            .expect("page height")
            .as_u64()
            .unwrap_or(u64::from(height)) as u32;
        viewport(c, width, full.max(height)).await;
        let png = c.screenshot().await.expect("screenshot");
        std::fs::write(dir.join(format!("{name}-{label}.png")), png).expect("write screenshot");
    }
    viewport(c, DESKTOP.0, DESKTOP.1).await;
}

async fn source(c: &Client) -> String {
    c.source().await.expect("page source")
}

async fn path_of(c: &Client) -> String {
    let url = c.current_url().await.expect("url");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

#[track_caller]
fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "page does not show {needle:?}:\n{haystack}"
    );
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Clicks a submit button and waits until the next page has loaded (a click may return
/// before the navigation it starts has finished).
async fn submit(c: &Client, css: &str) {
    c.execute("window.__valhallaOldPage = true;", vec![])
        .await
        .expect("mark the page");
    click(c, css).await;
    wait_for_new_page(c).await;
}

async fn wait_for_new_page(c: &Client) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let loaded = c
            .execute(
                "return window.__valhallaOldPage === undefined && document.readyState === 'complete';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if loaded {
            return;
        }
        assert!(Instant::now() < deadline, "the next page did not load");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn type_into(c: &Client, css: &str, text: &str) {
    let field = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"));
    field.clear().await.expect("clear");
    field.send_keys(text).await.expect("type");
}

async fn sign_in(c: &Client, base: &str, token: &str) {
    c.goto(&format!("{base}/signin"))
        .await
        .expect("open sign-in");
    type_into(c, "#token", token).await;
    submit(c, "form[action='/signin'] button[type=submit]").await;
    assert_eq!(path_of(c).await, "/", "signed in lands on the board");
}

async fn api_items(app: &TestApp) -> Vec<Value> {
    app.owner()
        .get("/core/shopping?status=open")
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn item_id(app: &TestApp, name: &str) -> String {
    api_items(app)
        .await
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no open item {name}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A household that looks lived in: stock with usage, bills, a week's schedule, income,
/// budgets, receipts, a list, and one run of the daily tick.
async fn seed(app: &TestApp) {
    let owner = app.owner();
    owner
        .patch(
            "/core/household/settings",
            &json!({"min_cash_buffer": "200"}),
        )
        .await
        .expect(200);
    owner
        .post(
            "/core/ledger",
            &json!({"kind": "income", "amount": "2400", "date": "2026-11-01", "category": "salary"}),
        )
        .await
        .expect(201);
    for (category, limit) in [
        ("groceries", "400"),
        ("household", "150"),
        ("eating out", "120"),
    ] {
        owner
            .request(
                reqwest::Method::PUT,
                &format!("/core/budget/categories/{}", category.replace(' ', "%20")),
            )
            .json(&json!({ "monthly_limit": limit }))
            .send()
            .await
            .expect(200);
    }
    let stock = [
        (
            "Oat milk",
            "2",
            "l",
            "1",
            "2.49",
            "dairy",
            Some(("6", "2026-11-20")),
        ),
        (
            "Coffee beans",
            "0.4",
            "kg",
            "0.5",
            "14.90",
            "pantry",
            Some(("0.6", "2026-11-18")),
        ),
        (
            "Dish soap",
            "1",
            "bottle",
            "1",
            "3.20",
            "cleaning",
            Some(("1", "2026-11-10")),
        ),
        (
            "Rice",
            "4",
            "kg",
            "1",
            "2.10",
            "pantry",
            Some(("1", "2026-11-15")),
        ),
        (
            "Laundry detergent",
            "0",
            "pack",
            "1",
            "11.50",
            "cleaning",
            None,
        ),
        (
            "Eggs",
            "10",
            "",
            "6",
            "0.35",
            "dairy",
            Some(("8", "2026-11-22")),
        ),
    ];
    for (name, qty, unit, min, cost, category, usage) in stock {
        let mut body = json!({"name": name, "qty": qty, "min_qty": min, "est_unit_cost": cost, "category": category});
        if !unit.is_empty() {
            body["unit"] = json!(unit);
        }
        let item = owner.create_item(body).await;
        if let Some((used, on)) = usage {
            owner
                .post(
                    "/core/forecast/usage",
                    &json!({"inv_id": item["id"], "qty_used": used, "used_on": on}),
                )
                .await
                .expect(201);
        }
    }
    for (vendor, amount, date, category) in [
        ("Market Hall", "86.40", "2026-11-22", "groceries"),
        ("Luigi's", "32.00", "2026-11-18", "eating out"),
        ("Corner Shop", "12.75", "2026-11-24", "groceries"),
    ] {
        owner
            .post(
                "/core/receipts",
                &json!({"vendor": vendor, "amount": amount, "date": date, "category": category}),
            )
            .await
            .expect(201);
    }
    for (name, payee, amount, due, rrule, autopay) in [
        (
            "Electricity",
            "City Power",
            "94.20",
            "2026-11-23",
            None,
            false,
        ),
        (
            "Internet",
            "FiberNet",
            "45.00",
            "2026-11-29",
            Some("FREQ=MONTHLY"),
            true,
        ),
        (
            "Rent",
            "Oak Lane Homes",
            "1250.00",
            "2026-12-01",
            Some("FREQ=MONTHLY"),
            false,
        ),
    ] {
        let mut body = json!({"name": name, "payee": payee, "amount": amount, "due_on": due, "autopay": autopay});
        if let Some(rule) = rrule {
            body["rrule"] = json!(rule);
        }
        owner.post("/core/bills", &body).await.expect(201);
    }
    for body in [
        json!({"title": "Bins out", "kind": "chore", "date": "2026-11-23", "rrule": "FREQ=WEEKLY"}),
        json!({"title": "Dentist (Mia)", "kind": "appointment", "date": "2026-11-27"}),
        json!({"title": "Coffee for the week", "kind": "need", "date": "2026-11-28", "item_name": "Coffee beans", "qty": 1}),
        json!({"title": "Water the plants", "kind": "chore", "date": "2026-11-25", "rrule": "FREQ=WEEKLY"}),
    ] {
        owner.post("/core/schedule", &body).await.expect(201);
    }
    owner
        .post_empty("/core/shopping/quick_add?name=Bread&est_total=3.80")
        .await
        .expect(201);
    owner.post_empty("/core/scheduler/tick").await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn households_use_the_pages_in_a_real_browser() {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|p| !Path::new(p).exists())
        .collect();
    if !missing.is_empty() {
        let message = format!(
            "the browser test needs {} (Debian: apt-get install -y chromium chromium-driver)",
            missing.join(" and ")
        );
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{message}");
        }
        eprintln!("{}", "#".repeat(90));
        eprintln!("# WARNING: browser test NOT RUN: {message}");
        eprintln!("{}", "#".repeat(90));
        return;
    }

    let app = TestApp::start(Backend::Sqlite).await;
    let base = app.base.clone();
    seed(&app).await;
    let alex = app_token(&app, "alex", Role::Adult).await;
    let blair = app_token(&app, "blair", Role::Adult).await;
    let casey = app_token(&app, "casey", Role::Member).await;

    let driver = start_driver().await;
    let profiles = tempfile::tempdir().expect("profiles");
    let a = browser(&driver, &profiles.path().join("alex")).await;
    let b = browser(&driver, &profiles.path().join("blair")).await;
    let m = browser(&driver, &profiles.path().join("casey")).await;

    // Sign-in page, then in as the first adult.
    a.goto(&format!("{base}/signin")).await.unwrap();
    shoot(&a, "signin").await;
    a.goto(&format!("{base}/")).await.unwrap();
    assert!(
        path_of(&a).await.starts_with("/signin"),
        "no session: sign in first"
    );
    sign_in(&a, &base, &alex).await;
    let board = source(&a).await;
    assert_contains(&board, "Home today");
    assert_contains(&board, "Runs out soonest");
    shoot(&a, "board").await;

    // Quick-add something above the big-spend threshold (200.00).
    a.goto(&format!("{base}/shopping")).await.unwrap();
    type_into(&a, "#qa-name", "Espresso machine").await;
    type_into(&a, "#qa-total", "349.00").await;
    submit(&a, "form[action='/shopping/quick_add'] button[type=submit]").await;
    let page = source(&a).await;
    assert_contains(&page, "Added Espresso machine ($349.00)");
    let espresso = item_id(&app, "Espresso machine").await;

    // Trying to mark it bought: the gate says an approval is needed; nothing changes.
    click(&a, &format!("#item-{espresso} details.buy summary")).await;
    shoot(&a, "shopping").await;
    submit(
        &a,
        &format!("#item-{espresso} details.buy button[type=submit]"),
    )
    .await;
    let page = source(&a).await;
    assert_contains(&page, "Approval needed");
    assert_eq!(
        app.count(
            "shopping_items",
            "name = 'Espresso machine' AND status = 'open'"
        )
        .await,
        1
    );
    shoot(&a, "shopping-approval-needed").await;

    // Request it from the message.
    submit(&a, ".flash form button[type=submit]").await;
    assert_contains(
        &source(&a).await,
        "Approval requested: Buy Espresso machine",
    );
    let approval = app
        .owner()
        .get("/core/approvals?status=pending")
        .await
        .expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["target_id"] == espresso.as_str())
        .expect("the approval")["id"]
        .as_str()
        .unwrap()
        .to_string();

    // The requester sees the four-eyes rule and no approve button.
    a.goto(&format!("{base}/approvals")).await.unwrap();
    let page = source(&a).await;
    assert_contains(&page, "You requested this — another adult must approve it.");
    let own_card = format!("article[aria-labelledby='approval-{approval}']");
    assert!(
        a.find_all(Locator::Css(&format!("{own_card} button[value=approve]")))
            .await
            .unwrap()
            .is_empty()
    );
    shoot(&a, "approvals-requester").await;

    // The other adult, in their own browser session, approves with a note.
    sign_in(&b, &base, &blair).await;
    assert_contains(&source(&b).await, "Waiting for approval");
    shoot(&b, "board-approval-waiting").await;
    b.goto(&format!("{base}/approvals")).await.unwrap();
    shoot(&b, "approvals").await;
    type_into(&b, &format!("#note-{approval}"), "Fine, the old one broke").await;
    submit(&b, &format!("{own_card} button[value=approve]")).await;
    assert_contains(&source(&b).await, "Approved: Buy Espresso machine");

    // The first adult buys it now, into the household budget.
    a.goto(&format!("{base}/shopping")).await.unwrap();
    assert_contains(&source(&a).await, "approved");
    click(&a, &format!("#item-{espresso} details.buy summary")).await;
    type_into(&a, &format!("#paid-{espresso}"), "349.00").await;
    type_into(&a, &format!("#shop-{espresso}"), "Kitchen Store").await;
    type_into(&a, &format!("#cat-{espresso}"), "household").await;
    submit(
        &a,
        &format!("#item-{espresso} details.buy button[type=submit]"),
    )
    .await;
    assert_contains(&source(&a).await, "Bought Espresso machine for $349.00");

    // The board shows the spend (cash and budget) and no approval waiting.
    a.goto(&format!("{base}/")).await.unwrap();
    let board = source(&a).await;
    // 2400 − 86.40 − 32.00 − 12.75 − 349.00
    let cash = a
        .find(Locator::Id("cash-balance"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(cash, "$1,919.85");
    assert_contains(&board, "$349.00");
    assert_contains(&board, "$199.00 over");
    let waiting = a
        .find(Locator::Id("approvals-waiting"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(waiting, "0");
    assert!(!board.contains("Buy Espresso machine"));
    shoot(&a, "board-after").await;

    // The other pages, as a household sees them.
    a.goto(&format!("{base}/inventory")).await.unwrap();
    assert_contains(&source(&a).await, "Coffee beans");
    shoot(&a, "inventory").await;
    a.goto(&format!("{base}/receipts")).await.unwrap();
    assert_contains(&source(&a).await, "Kitchen Store");
    shoot(&a, "receipts").await;
    a.goto(&format!("{base}/no-such-page")).await.unwrap();
    assert_contains(&source(&a).await, "Not found");
    shoot(&a, "error-404").await;

    // A member sees the queue without decide buttons, and a forged decision is refused.
    app.owner()
        .post_empty("/core/shopping/quick_add?name=Cargo%20bike&est_total=1450")
        .await
        .expect(201);
    app.owner()
        .post_empty("/core/shopping/request_approvals")
        .await
        .expect(200);
    let bike = app
        .owner()
        .get("/core/approvals?status=pending")
        .await
        .expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    sign_in(&m, &base, &casey).await;
    m.goto(&format!("{base}/approvals")).await.unwrap();
    let page = source(&m).await;
    assert_contains(&page, "Buy Cargo bike");
    assert!(
        m.find_all(Locator::Css("button[value=approve], button[value=deny]"))
            .await
            .unwrap()
            .is_empty(),
        "a member gets no decide buttons"
    );
    shoot(&m, "approvals-member").await;
    m.execute("window.__valhallaOldPage = true;", vec![])
        .await
        .expect("mark the page");
    m.execute(
        "const f = document.createElement('form');
         f.method = 'post';
         f.action = '/approvals/' + arguments[0] + '/decide';
         for (const [k, v] of [['_csrf', document.querySelector('input[name=_csrf]').value],
                               ['decision', 'approve']]) {
           const i = document.createElement('input');
           i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
         }
         document.body.appendChild(f);
         f.submit();",
        vec![json!(bike)],
    )
    .await
    .expect("forge a post");
    wait_for_new_page(&m).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !source(&m).await.contains("Not allowed") {
        assert!(Instant::now() < deadline, "the forged post was not refused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_contains(&source(&m).await, "may not decide approvals");
    shoot(&m, "error-403").await;
    assert_eq!(
        app.owner()
            .get(&format!("/core/approvals/{bike}"))
            .await
            .expect(200)["status"],
        "pending"
    );

    // A page on another site posting to Valhalla: refused, nothing added.
    let evil = evil_site(&base).await;
    a.goto(&evil).await.unwrap();
    submit(&a, "#go").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !source(&a).await.contains("another site") {
        assert!(
            Instant::now() < deadline,
            "the cross-site post was not refused"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("shopping_items", "name = 'Free TV'").await, 0);

    // A plain link from that site opens the page, still signed in (the Strict cookie is sent
    // once the page goes on from our own origin).
    a.goto(&evil).await.unwrap();
    click(&a, "#link").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while path_of(&a).await != "/shopping" || !source(&a).await.contains("Shopping list") {
        assert!(
            Instant::now() < deadline,
            "the link from another site did not open the list: {}",
            source(&a).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    for c in [a, b, m] {
        c.close().await.expect("close the browser");
    }
    drop(driver);
}

async fn app_token(app: &TestApp, name: &str, role: Role) -> String {
    valhalla::household::service::create_token(app.db(), None, name, role, util::test_now())
        .await
        .expect("token")
}

/// Serves a page at `http://localhost:<port>/` (another site than `127.0.0.1`) with a form
/// that posts to Valhalla.
async fn evil_site(target: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let html = format!(
        "<!doctype html><title>Win a TV</title>\
         <form method=post action='{target}/shopping/quick_add'>\
         <input type=hidden name=name value='Free TV'><input type=hidden name=est_total value=1>\
         <button id=go type=submit>Claim</button></form>\
         <p><a id=link href='{target}/shopping'>Our shopping list</a></p>"
    );
    let router = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let html = html.clone();
            async move { axum::response::Html(html) }
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://localhost:{port}/")
}
