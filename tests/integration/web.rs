//! The web pages over plain HTTP (no browser): sign-in and sessions, one-time links, CSRF and
//! origin checks, roles on form posts, the big-spend gate, attachments, HTML error pages.

use std::collections::HashMap;
use std::process::Command;

use reqwest::header::HeaderMap;
use serde_json::json;
use valhalla::domain::Role;

use crate::backend_tests;
use crate::util::{OWNER_TOKEN, TestApp};

backend_tests!(
    sign_in_sets_a_strict_http_only_cookie,
    invalid_tokens_get_one_answer,
    pages_without_a_session_redirect_to_sign_in,
    pages_accept_the_bearer_header,
    sign_out_revokes_the_session,
    revoked_tokens_sign_the_browser_out,
    one_time_link_works_once,
    expired_links_do_not_work,
    token_create_link_prints_a_working_url,
    cross_site_posts_are_refused,
    posts_without_the_csrf_token_are_refused,
    members_cannot_decide_approvals,
    viewers_cannot_change_anything,
    requesters_see_the_four_eyes_rule,
    big_spend_gate_offers_an_approval_request,
    pages_show_household_data,
    attachments_upload_and_download,
    errors_are_html_pages,
    board_shows_the_household_at_a_glance,
);

/// A browser stand-in: keeps cookies, follows nothing, sends what a browser sends on a
/// same-origin form post.
struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

/// An answer, read whole.
struct Page {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[track_caller]
    fn expect(&self, status: u16) -> &Page {
        assert_eq!(self.status, status, "{}", self.text);
        self
    }

    /// The CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.text.find(marker).expect("a form with a CSRF token") + marker.len();
        let end = self.text[start..].find('"').expect("end of the token") + start;
        self.text[start..end].to_string()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            cookies: HashMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> Page {
        let request = if self.cookies.is_empty() {
            request
        } else {
            request.header("cookie", self.cookie_header())
        };
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        assert!(status < 500, "server error {status}: {text}");
        let page = Page {
            status,
            headers,
            text,
        };
        for set in page.set_cookies() {
            let pair = set.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if value.is_empty() || set.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("sec-fetch-site", "same-origin");
        self.send(request).await
    }

    /// A same-origin form post, as a browser sends it.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .header("sec-fetch-site", "same-origin")
            .form(fields);
        self.send(request).await
    }

    /// A post of `fields` plus the CSRF token of the page at `page`.
    async fn submit(&mut self, page: &str, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.get(page).await.expect(200).csrf();
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }

    async fn sign_in(&mut self, token: &str) -> Page {
        let page = self
            .post("/signin", &[("token", token), ("next", "/shopping")])
            .await;
        page.expect(303);
        page
    }
}

async fn signed_in(app: &TestApp, token: &str) -> Browser {
    let mut browser = Browser::new(app);
    browser.sign_in(token).await;
    browser
}

async fn token_for(app: &TestApp, name: &str, role: Role) -> String {
    valhalla::household::service::create_token(
        app.db(),
        None,
        name,
        role,
        chrono::DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .to_utc(),
    )
    .await
    .expect("token")
}

async fn open_items(app: &TestApp) -> i64 {
    app.count("shopping_items", "status = 'open'").await
}

async fn sign_in_sets_a_strict_http_only_cookie(app: TestApp) {
    let mut browser = Browser::new(&app);
    let page = browser.get("/signin").await;
    page.expect(200);
    assert!(page.text.contains("API token"), "{}", page.text);
    let signed = browser.sign_in(OWNER_TOKEN).await;
    assert_eq!(signed.location(), "/shopping");
    let cookie = signed
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("valhalla_session="))
        .expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=2592000"] {
        assert!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    // The database holds only the token's hash.
    let value = browser.cookies["valhalla_session"].clone();
    assert_eq!(
        app.count("web_sessions", &format!("token_hash = '{value}'"))
            .await,
        0
    );
    assert_eq!(app.count("web_sessions", "revoked_at IS NULL").await, 1);
    let shopping = browser.get("/shopping").await;
    shopping.expect(200);
    assert!(shopping.text.contains("Shopping list"));
    assert!(shopping.text.contains("owner"));
    // Behind a TLS proxy the cookie is Secure.
    let mut proxied = Browser::new(&app);
    let page = proxied
        .send(
            proxied
                .http
                .post(format!("{}/signin", app.base))
                .header("x-forwarded-proto", "https")
                .form(&[("token", OWNER_TOKEN)]),
        )
        .await;
    page.expect(303);
    assert!(
        page.set_cookies()
            .iter()
            .any(|c| c.starts_with("valhalla_session=") && c.contains("Secure")),
        "{:?}",
        page.set_cookies()
    );
}

async fn invalid_tokens_get_one_answer(app: TestApp) {
    let member = token_for(&app, "kim", Role::Member).await;
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = '2026-11-25T00:00:00.000000Z' WHERE token_hash = $1",
    )
    .bind(valhalla::household::model::hash_token(&member))
    .execute(app.db().pool())
    .await
    .unwrap();
    let mut answers = Vec::new();
    for token in ["vh_unknown", "not a token at all", member.as_str()] {
        let mut browser = Browser::new(&app);
        let page = browser.post("/signin", &[("token", token)]).await;
        page.expect(401);
        assert!(page.text.contains("Invalid token."), "{}", page.text);
        assert!(browser.cookies.is_empty());
        answers.push(page.text);
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
    let mut browser = Browser::new(&app);
    browser
        .post("/signin", &[("token", "  ")])
        .await
        .expect(400);
    assert_eq!(app.count("web_sessions", "1 = 1").await, 0);
}

async fn pages_without_a_session_redirect_to_sign_in(app: TestApp) {
    let mut browser = Browser::new(&app);
    for path in ["/shopping", "/inventory", "/receipts", "/approvals"] {
        let page = browser.get(path).await;
        page.expect(303);
        assert_eq!(page.location(), format!("/signin?next=%2F{}", &path[1..]));
    }
    // A cookie that names no session is the same as none, and is forgotten at sign-in.
    browser
        .cookies
        .insert("valhalla_session".into(), "made-up".into());
    let page = browser.get("/inventory").await;
    page.expect(303);
    let signin = browser.get(page.location()).await;
    signin.expect(200);
    assert!(!browser.cookies.contains_key("valhalla_session"));
    // A link from another site arrives without the (Strict) cookie: the page goes on from our
    // own origin, where the browser sends it.
    let request = browser
        .http
        .get(format!("{}/shopping?x=1", app.base))
        .header("sec-fetch-site", "cross-site");
    let page = browser.send(request).await;
    page.expect(200);
    assert!(
        page.text
            .contains("http-equiv=\"refresh\" content=\"0;url=/shopping?x=1\""),
        "{}",
        page.text
    );
    // A form post without a session changes nothing.
    let page = browser
        .post("/shopping/quick_add", &[("name", "milk")])
        .await;
    page.expect(303);
    assert_eq!(page.location(), "/signin");
    assert_eq!(open_items(&app).await, 0);
}

async fn pages_accept_the_bearer_header(app: TestApp) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(format!("{}/inventory", app.base))
        .bearer_auth(OWNER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // A bearer post needs no CSRF token (nothing ambient to forge) …
    let page = http
        .post(format!("{}/shopping/quick_add", app.base))
        .bearer_auth(OWNER_TOKEN)
        .form(&[("name", "Coffee"), ("est_total", "7.50")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(open_items(&app).await, 1);
    // … but still may not come from another site.
    let page = http
        .post(format!("{}/shopping/quick_add", app.base))
        .bearer_auth(OWNER_TOKEN)
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "Tea")])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 403);
    assert_eq!(open_items(&app).await, 1);
    let page = http
        .get(format!("{}/inventory", app.base))
        .bearer_auth("vh_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 401);
}

async fn sign_out_revokes_the_session(app: TestApp) {
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    let old_cookie = browser.cookies["valhalla_session"].clone();
    let page = browser.submit("/shopping", "/signout", &[]).await;
    page.expect(303);
    assert_eq!(page.location(), "/signin");
    assert!(!browser.cookies.contains_key("valhalla_session"));
    let signin = browser.get("/signin").await;
    assert!(
        signin.text.contains("You are signed out."),
        "{}",
        signin.text
    );
    assert_eq!(app.count("web_sessions", "revoked_at IS NOT NULL").await, 1);
    // The old cookie no longer opens anything.
    let mut replay = Browser::new(&app);
    replay.cookies.insert("valhalla_session".into(), old_cookie);
    let page = replay.get("/shopping").await;
    page.expect(303);
    assert!(page.location().starts_with("/signin"));
}

async fn revoked_tokens_sign_the_browser_out(app: TestApp) {
    let token = token_for(&app, "sam", Role::Adult).await;
    let mut browser = signed_in(&app, &token).await;
    browser.get("/shopping").await.expect(200);
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = '2026-11-25T12:00:00.000000Z' WHERE token_hash = $1",
    )
    .bind(valhalla::household::model::hash_token(&token))
    .execute(app.db().pool())
    .await
    .unwrap();
    let page = browser.get("/shopping").await;
    page.expect(303);
    assert!(page.location().starts_with("/signin"));
    // Sessions end after 30 days.
    let mut owner = signed_in(&app, OWNER_TOKEN).await;
    app.clock
        .advance(chrono::Duration::days(30) - chrono::Duration::minutes(1));
    owner.get("/shopping").await.expect(200);
    app.clock.advance(chrono::Duration::minutes(2));
    let page = owner.get("/shopping").await;
    page.expect(303);
    assert!(page.location().starts_with("/signin"));
}

/// A sign-in link for a new member, made the way `token create --link` makes it.
async fn link_for(app: &TestApp, name: &str, role: Role) -> String {
    use valhalla::domain::Clock;
    let now = app.clock.now();
    let mut tx = app.db().begin().await.unwrap();
    let issued = valhalla::household::service::issue_token(&mut tx, None, name, role, now)
        .await
        .unwrap();
    let secret = valhalla::web::session::insert_link(
        tx.conn(),
        &issued.household_id,
        &issued.member_id,
        &valhalla::household::model::hash_token(&issued.token),
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        app.count("web_signin_links", &format!("secret_hash = '{secret}'"))
            .await,
        0,
        "the secret is stored hashed"
    );
    format!("/signin/link/{secret}")
}

async fn one_time_link_works_once(app: TestApp) {
    let link = link_for(&app, "robin", Role::Adult).await;
    let mut browser = Browser::new(&app);
    // Opening it (or a chat app's preview fetching it) does not use it up.
    for _ in 0..2 {
        let page = browser.get(&link).await;
        page.expect(200);
        assert!(page.text.contains("Sign in as robin"), "{}", page.text);
    }
    let page = browser.post(&link, &[]).await;
    page.expect(303);
    assert_eq!(page.location(), "/");
    assert!(browser.cookies.contains_key("valhalla_session"));
    let shopping = browser.get("/shopping").await;
    shopping.expect(200);
    assert!(shopping.text.contains("robin"));
    // Second use: refused, for anyone.
    let mut other = Browser::new(&app);
    let again = other.post(&link, &[]).await;
    again.expect(410);
    assert!(other.cookies.is_empty());
    other.get(&link).await.expect(410);
    // A link posted from another site is refused before it is looked at.
    let fresh = link_for(&app, "robin2", Role::Member).await;
    let page = other
        .send(
            other
                .http
                .post(format!("{}{fresh}", app.base))
                .header("sec-fetch-site", "cross-site"),
        )
        .await;
    page.expect(403);
    other.get(&fresh).await.expect(200);
}

async fn expired_links_do_not_work(app: TestApp) {
    let link = link_for(&app, "lee", Role::Member).await;
    app.clock.advance(chrono::Duration::minutes(16));
    let mut browser = Browser::new(&app);
    let page = browser.get(&link).await;
    page.expect(410);
    assert!(page.text.contains("expired"), "{}", page.text);
    browser.post(&link, &[]).await.expect(410);
    assert!(browser.cookies.is_empty());
}

async fn token_create_link_prints_a_working_url(app: TestApp) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_valhalla"));
    for var in [
        "VALHALLA_DATABASE_URL",
        "VALHALLA_DATA_DIR",
        "VALHALLA_BIND",
        "VALHALLA_PUBLIC_URL",
    ] {
        cmd.env_remove(var);
    }
    match app.backend {
        crate::util::Backend::Sqlite => {
            cmd.args(["--data-dir", &app.data_dir().display().to_string()])
        }
        crate::util::Backend::Postgres => cmd.args(["--database-url", &app.database_url]),
    };
    let out = cmd
        .args([
            "token", "create", "--member", "ada", "--role", "adult", "--link",
        ])
        .args(["--public-url", &format!("{}/", app.base)])
        .output()
        .expect("run valhalla");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let url = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let prefix = format!("{}/signin/link/", app.base);
    assert!(url.starts_with(&prefix), "{url}");
    assert!(
        !url.contains("vh_"),
        "the token itself is not printed: {url}"
    );
    let path = &url[app.base.len()..];
    let mut browser = Browser::new(&app);
    browser.get(path).await.expect(200);
    browser.post(path, &[]).await.expect(303);
    let page = browser.get("/approvals").await;
    page.expect(200);
    assert!(page.text.contains("ada"));
    // Without a public URL the base is the bind address.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_valhalla"));
    cmd.env_remove("VALHALLA_PUBLIC_URL")
        .env_remove("VALHALLA_DATABASE_URL")
        .env("VALHALLA_BIND", "192.168.1.20:8080");
    match app.backend {
        crate::util::Backend::Sqlite => {
            cmd.args(["--data-dir", &app.data_dir().display().to_string()])
        }
        crate::util::Backend::Postgres => cmd.args(["--database-url", &app.database_url]),
    };
    let out = cmd
        .args([
            "token", "create", "--member", "ada", "--role", "adult", "--link",
        ])
        .output()
        .expect("run valhalla");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("http://192.168.1.20:8080/signin/link/")
    );
}

async fn cross_site_posts_are_refused(app: TestApp) {
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    let csrf = browser.get("/shopping").await.csrf();
    let fields = [("_csrf", csrf.as_str()), ("name", "Milk")];
    // A page on another site posting the form: the browser says so.
    let request = browser
        .http
        .post(format!("{}/shopping/quick_add", app.base))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&fields);
    let page = browser.send(request).await;
    page.expect(403);
    assert!(page.text.contains("another site"), "{}", page.text);
    // An Origin that is not ours, even without Sec-Fetch-Site.
    let request = browser
        .http
        .post(format!("{}/shopping/quick_add", app.base))
        .header("origin", "https://evil.example")
        .form(&fields);
    browser.send(request).await.expect(403);
    // Same site is not same origin.
    let request = browser
        .http
        .post(format!("{}/shopping/quick_add", app.base))
        .header("sec-fetch-site", "same-site")
        .form(&fields);
    browser.send(request).await.expect(403);
    assert_eq!(open_items(&app).await, 0);
    // The same post from our own page works.
    browser
        .post("/shopping/quick_add", &fields)
        .await
        .expect(303);
    assert_eq!(open_items(&app).await, 1);
}

async fn posts_without_the_csrf_token_are_refused(app: TestApp) {
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    let page = browser
        .post("/shopping/quick_add", &[("name", "Milk")])
        .await;
    page.expect(403);
    assert!(page.text.contains("reload the page"), "{}", page.text);
    browser
        .post(
            "/shopping/quick_add",
            &[("_csrf", "forged"), ("name", "Milk")],
        )
        .await
        .expect(403);
    // Another session's token is no good either.
    let other = signed_in(&app, OWNER_TOKEN).await;
    let mut other = other;
    let foreign = other.get("/shopping").await.csrf();
    browser
        .post(
            "/shopping/quick_add",
            &[("_csrf", &foreign), ("name", "Milk")],
        )
        .await
        .expect(403);
    browser.post("/signout", &[]).await.expect(403);
    assert_eq!(open_items(&app).await, 0);
    assert_eq!(app.count("web_sessions", "revoked_at IS NOT NULL").await, 0);
}

/// An approval requested by the owner for a 250.00 item; returns its id.
async fn pending_approval(app: &TestApp) -> String {
    let owner = app.owner();
    owner
        .post_empty("/core/shopping/quick_add?name=Sofa&est_total=250")
        .await
        .expect(201);
    let created = owner
        .post_empty("/core/shopping/request_approvals")
        .await
        .expect(200)
        .clone();
    created["created"][0]["id"].as_str().unwrap().to_string()
}

async fn members_cannot_decide_approvals(app: TestApp) {
    let approval = pending_approval(&app).await;
    let member = token_for(&app, "kid", Role::Member).await;
    let mut browser = signed_in(&app, &member).await;
    let page = browser.get("/approvals").await;
    page.expect(200);
    assert!(page.text.contains("Buy Sofa"));
    assert!(
        !page.text.contains("value=\"approve\""),
        "no approve button"
    );
    assert!(!page.text.contains("value=\"deny\""), "no deny button");
    // A forged decision with a valid session and token: the service refuses it.
    let csrf = page.csrf();
    let path = format!("/approvals/{approval}/decide");
    let forged = browser
        .post(&path, &[("_csrf", &csrf), ("decision", "approve")])
        .await;
    forged.expect(403);
    assert!(
        forged.text.contains("may not decide approvals"),
        "{}",
        forged.text
    );
    let after = app
        .owner()
        .get(&format!("/core/approvals/{approval}"))
        .await;
    assert_eq!(after.expect(200)["status"], "pending");
}

async fn viewers_cannot_change_anything(app: TestApp) {
    let viewer = token_for(&app, "gran", Role::Viewer).await;
    let mut browser = signed_in(&app, &viewer).await;
    let page = browser.get("/shopping").await;
    page.expect(200);
    assert!(!page.text.contains("action=\"/shopping/quick_add\""));
    let csrf = page.csrf();
    let forged = browser
        .post("/shopping/quick_add", &[("_csrf", &csrf), ("name", "Cake")])
        .await;
    forged.expect(403);
    assert_eq!(open_items(&app).await, 0);
    let inventory = browser.get("/inventory").await;
    assert!(
        !inventory
            .text
            .contains("method=\"post\" action=\"/inventory\"")
    );
    browser
        .post("/inventory", &[("_csrf", &csrf), ("name", "Flour")])
        .await
        .expect(403);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 0);
}

async fn requesters_see_the_four_eyes_rule(app: TestApp) {
    let approval = pending_approval(&app).await; // requested by the owner
    let adult = token_for(&app, "pat", Role::Adult).await;
    let mut owner = signed_in(&app, OWNER_TOKEN).await;
    let page = owner.get("/approvals").await;
    assert!(
        page.text
            .contains("You requested this — another adult must approve it."),
        "{}",
        page.text
    );
    assert!(!page.text.contains("value=\"approve\""));
    assert!(page.text.contains("value=\"deny\""));
    let csrf = page.csrf();
    let path = format!("/approvals/{approval}/decide");
    owner
        .post(&path, &[("_csrf", &csrf), ("decision", "approve")])
        .await
        .expect(403);
    let mut other = signed_in(&app, &adult).await;
    let page = other.get("/approvals").await;
    assert!(page.text.contains("value=\"approve\""));
    let decided = other
        .post(
            &path,
            &[
                ("_csrf", &page.csrf()),
                ("decision", "approve"),
                ("note", "Go for it"),
                ("back", "/approvals"),
            ],
        )
        .await;
    decided.expect(303);
    assert_eq!(decided.location(), "/approvals");
    let page = other.get("/approvals").await;
    assert!(page.text.contains("Approved: Buy Sofa"), "{}", page.text);
    assert!(page.text.contains("Go for it"));
    let after = app
        .owner()
        .get(&format!("/core/approvals/{approval}"))
        .await;
    assert_eq!(after.expect(200)["status"], "approved");
    assert_eq!(after.body["decided_by"], "pat");
    // Deciding again: a message, not an error page.
    let again = other
        .post(&path, &[("_csrf", &page.csrf()), ("decision", "deny")])
        .await;
    again.expect(303);
    let page = other.get("/approvals").await;
    assert!(page.text.contains("already approved"), "{}", page.text);
}

async fn big_spend_gate_offers_an_approval_request(app: TestApp) {
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    browser
        .submit(
            "/shopping",
            "/shopping/quick_add",
            &[("name", "Washer"), ("est_total", "480")],
        )
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(
        page.text.contains("needs an adult&#39;s approval")
            || page.text.contains("needs an adult's approval"),
        "{}",
        page.text
    );
    assert!(page.text.contains("needs approval"));
    let id: String = {
        let list = app.owner().get("/core/shopping?status=open").await;
        list.expect(200)["items"][0]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let blocked = browser
        .post(
            &format!("/shopping/{id}/bought"),
            &[("_csrf", &page.csrf()), ("vendor", "Appliance Co")],
        )
        .await;
    blocked.expect(303);
    let page = browser.get("/shopping").await;
    assert!(page.text.contains("Approval needed"), "{}", page.text);
    assert!(page.text.contains("Request approval for Washer"));
    assert_eq!(open_items(&app).await, 1);
    assert_eq!(app.count("receipts", "1 = 1").await, 0);
    // Paying more than the estimate asks for the larger amount.
    browser
        .post(
            &format!("/shopping/{id}/request_approval"),
            &[("_csrf", &page.csrf()), ("amount", "510")],
        )
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(
        page.text
            .contains("Approval requested: Buy Washer ($510.00)"),
        "{}",
        page.text
    );
    assert!(page.text.contains("waiting for approval"));
    let approvals = app.owner().get("/core/approvals?status=pending").await;
    let approvals = approvals.expect(200)["items"].as_array().unwrap().clone();
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["amount"], "510.00");
    assert_eq!(approvals[0]["target_id"], id.as_str());
    // Asking again creates nothing new.
    browser
        .post(
            &format!("/shopping/{id}/request_approval"),
            &[("_csrf", &page.csrf())],
        )
        .await
        .expect(303);
    assert_eq!(app.count("approvals", "1 = 1").await, 1);
    // An adult approves; the purchase goes through and is recorded.
    let adult = token_for(&app, "pat", Role::Adult).await;
    let mut other = signed_in(&app, &adult).await;
    let approval = approvals[0]["id"].as_str().unwrap();
    other
        .submit(
            "/approvals",
            &format!("/approvals/{approval}/decide"),
            &[("decision", "approve")],
        )
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(page.text.contains("approved"));
    browser
        .post(
            &format!("/shopping/{id}/bought"),
            &[
                ("_csrf", &page.csrf()),
                ("actual_total", "505.00"),
                ("vendor", "Appliance Co"),
            ],
        )
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(
        page.text.contains("Bought Washer for $505.00"),
        "{}",
        page.text
    );
    assert_eq!(open_items(&app).await, 0);
    let receipts = browser.get("/receipts").await;
    assert!(receipts.text.contains("Appliance Co"));
    assert!(receipts.text.contains("$505.00"));
}

async fn pages_show_household_data(app: TestApp) {
    let owner = app.owner();
    let oat = owner
        .create_item(json!({"name": "Oat milk", "qty": 3, "unit": "l", "min_qty": 1, "est_unit_cost": "2.49"}))
        .await;
    let oat_id = oat["id"].as_str().unwrap();
    owner
        .post(&format!("/core/inventory/{oat_id}/use"), &json!({"qty": 2}))
        .await
        .expect(200);
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    let page = browser.get("/inventory").await;
    page.expect(200);
    assert!(page.text.contains("Oat milk"));
    assert!(page.text.contains("1 l"));
    assert!(page.text.contains("chip-warn\">low"), "{}", page.text);
    // 2 used in 30 days, 1 left: 15 days.
    assert!(page.text.contains("15 days"), "{}", page.text);
    // Use, restock and run out through the forms.
    let csrf = page.csrf();
    browser
        .post(
            &format!("/inventory/{oat_id}/restock"),
            &[("_csrf", &csrf), ("qty", "4")],
        )
        .await
        .expect(303);
    let page = browser.get("/inventory").await;
    assert!(
        page.text.contains("Restocked Oat milk: 5 l on hand."),
        "{}",
        page.text
    );
    browser
        .post(
            &format!("/inventory/{oat_id}/use"),
            &[("_csrf", &csrf), ("qty", "9")],
        )
        .await
        .expect(303);
    let page = browser.get("/inventory").await;
    assert!(page.text.contains("Nothing changed"), "{}", page.text);
    browser
        .post(&format!("/inventory/{oat_id}/out_of"), &[("_csrf", &csrf)])
        .await
        .expect(303);
    let item = owner.get(&format!("/core/inventory/{oat_id}")).await;
    assert_eq!(item.expect(200)["qty"], "0");
    browser
        .post(
            "/inventory",
            &[
                ("_csrf", &csrf),
                ("name", "Rice"),
                ("qty", "2"),
                ("unit", "kg"),
                ("min_qty", "1"),
            ],
        )
        .await
        .expect(303);
    assert_eq!(app.count("inventory_items", "1 = 1").await, 2);
    // The low-stock generator fills the list from the page.
    browser
        .post("/shopping/generate_from_inventory", &[("_csrf", &csrf)])
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(
        page.text.contains("Added 1 item from low stock."),
        "{}",
        page.text
    );
    assert!(page.text.contains("Oat milk"));
    browser
        .post("/shopping/generate_from_needs", &[("_csrf", &csrf)])
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(
        page.text
            .contains("Nothing new to add from upcoming needs."),
        "{}",
        page.text
    );
    // Text from the household is escaped.
    browser
        .post(
            "/shopping/quick_add",
            &[("_csrf", &csrf), ("name", "<script>alert(1)</script>")],
        )
        .await
        .expect(303);
    let page = browser.get("/shopping").await;
    assert!(!page.text.contains("<script>alert(1)</script>"));
    assert!(page.text.contains("&#60;script&#62;"), "escaped");
    // Cancel takes it off.
    let items = owner.get("/core/shopping?status=open").await;
    let script = items.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "<script>alert(1)</script>")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    browser
        .post(&format!("/shopping/{script}/cancel"), &[("_csrf", &csrf)])
        .await
        .expect(303);
    assert_eq!(open_items(&app).await, 1);
    // Pages say no-store and carry a strict content policy.
    let page = browser.get("/shopping").await;
    assert_eq!(page.headers["cache-control"], "no-store");
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("form-action 'self'"));
    assert_eq!(page.headers["x-frame-options"], "DENY");
}

fn multipart(csrf: &str, file_name: &str, content_type: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "valhallaBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn attachments_upload_and_download(app: TestApp) {
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    browser
        .submit(
            "/receipts",
            "/receipts",
            &[
                ("vendor", "Bakery"),
                ("amount", "12.40"),
                ("date", "2026-11-24"),
                ("category", "food"),
            ],
        )
        .await
        .expect(303);
    let page = browser.get("/receipts").await;
    assert!(
        page.text.contains("Saved a receipt of $12.40 from Bakery."),
        "{}",
        page.text
    );
    assert!(page.text.contains("posted"));
    let receipts = app.owner().get("/core/receipts").await;
    let id = receipts.expect(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let csrf = page.csrf();
    let path = format!("/receipts/{id}/attachment");
    let upload = |content_type: String, body: Vec<u8>, browser: &Browser| {
        browser
            .http
            .post(format!("{}{path}", app.base))
            .header("origin", app.base.clone())
            .header("sec-fetch-site", "same-origin")
            .header("content-type", content_type)
            .body(body)
    };
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(std::iter::repeat_n(7u8, 5000));
    // Without the token first: refused before the file is read.
    let (ct, body) = multipart("wrong", "scan.png", "image/png", &png);
    let req = upload(ct, body, &browser);
    browser.send(req).await.expect(403);
    // A file that is not what it claims: the receipts module's sniffing says 415.
    let (ct, body) = multipart(&csrf, "scan.png", "image/png", b"<html>not an image</html>");
    let req = upload(ct, body, &browser);
    let page = browser.send(req).await;
    page.expect(415);
    assert!(
        page.text.contains("PDF, JPEG, PNG or WebP"),
        "{}",
        page.text
    );
    // Over 10 MiB: 413.
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'x');
    let (ct, body) = multipart(&csrf, "big.pdf", "application/pdf", &big);
    let req = upload(ct, body, &browser);
    browser.send(req).await.expect(413);
    assert_eq!(app.count("receipt_attachments", "1 = 1").await, 0);
    // A real PNG (the browser's declared type may be generic).
    let (ct, body) = multipart(&csrf, "scan.png", "application/octet-stream", &png);
    let req = upload(ct, body, &browser);
    browser.send(req).await.expect(303);
    let page = browser.get("/receipts").await;
    assert!(
        page.text
            .contains("Attached a PNG to the receipt from Bakery."),
        "{}",
        page.text
    );
    assert!(page.text.contains("PNG · 5 KB"), "{}", page.text);
    let download = browser
        .http
        .get(format!("{}{path}", app.base))
        .header("cookie", browser.cookie_header())
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.bytes().await.unwrap().as_ref(), png.as_slice());
    // A viewer may download but not upload.
    let viewer = token_for(&app, "gran", Role::Viewer).await;
    let mut gran = signed_in(&app, &viewer).await;
    let csrf = gran.get("/receipts").await.csrf();
    let (ct, body) = multipart(&csrf, "scan.png", "image/png", &png);
    let req = upload(ct, body, &gran);
    gran.send(req).await.expect(403);
}

async fn errors_are_html_pages(app: TestApp) {
    let mut browser = signed_in(&app, OWNER_TOKEN).await;
    let page = browser.get("/no-such-page").await;
    page.expect(404);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text.contains("Not found"));
    // The API keeps its problem+json.
    let api = app.owner().get("/core/no-such-route").await;
    api.expect_problem(404);
    // A field message, on a page, with a way back.
    let page = browser
        .submit(
            "/shopping",
            "/shopping/quick_add",
            &[("name", "Milk"), ("est_total", "lots")],
        )
        .await;
    page.expect(400);
    assert!(page.text.contains("Estimated total"), "{}", page.text);
    assert!(page.text.contains("must be a number such as 4.50"));
    assert!(page.text.contains("href=\"/shopping\""));
    let page = browser
        .submit("/shopping", "/shopping/quick_add", &[("name", "   ")])
        .await;
    page.expect(400);
    assert!(page.text.contains("Name"), "{}", page.text);
    let page = browser
        .submit("/shopping", "/shopping/nope/cancel", &[])
        .await;
    page.expect(404);
    assert!(
        page.text.contains("Shopping item not found."),
        "{}",
        page.text
    );
    let page = browser.get("/signout").await;
    page.expect(405);
    assert!(
        page.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

async fn board_shows_the_household_at_a_glance(app: TestApp) {
    let owner = app.owner();
    owner
        .patch(
            "/core/household/settings",
            &json!({"min_cash_buffer": "100"}),
        )
        .await
        .expect(200);
    let coffee = owner
        .create_item(json!({"name": "Coffee", "qty": 1, "min_qty": 2, "unit": "kg"}))
        .await;
    owner
        .post(
            "/core/forecast/usage",
            &json!({"inv_id": coffee["id"], "qty_used": "0.5", "used_on": "2026-11-20"}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/bills",
            &json!({"name": "Water", "payee": "City", "amount": "50", "due_on": "2026-11-20"}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/schedule",
            &json!({"title": "Dentist", "kind": "appointment", "date": "2026-11-27"}),
        )
        .await
        .expect(201);
    owner
        .post(
            "/core/ledger",
            &json!({"kind": "income", "amount": "1000", "date": "2026-11-01", "category": "salary"}),
        )
        .await
        .expect(201);
    owner
        .request(reqwest::Method::PUT, "/core/budget/categories/groceries")
        .json(&json!({"monthly_limit": "300"}))
        .send()
        .await
        .expect(200);
    owner
        .post(
            "/core/receipts",
            &json!({"vendor": "Market", "amount": "42.10", "date": "2026-11-24", "category": "groceries"}),
        )
        .await
        .expect(201);
    let approval = pending_approval(&app).await;
    let adult = token_for(&app, "pat", Role::Adult).await;
    let mut browser = signed_in(&app, &adult).await;
    let page = browser.get("/").await;
    page.expect(200);
    for expected in [
        "Home today",
        "Wed 25 Nov",
        "$957.90", // cash: 1000 − 42.10
        "Coffee",  // low stock and runs out soonest
        "60 days", // 1 kg at 0.5 kg in 30 days
        "Water",   // the overdue bill
        "overdue 5 days",
        "Dentist",
        "Fri 27 Nov",
        "Budget · November 2026",
        "$42.10",
        "$257.90 left",
        "Buy Sofa", // the pending approval, decidable here
        "value=\"approve\"",
        "$250.00", // the open list's estimate
    ] {
        assert!(
            page.text.contains(expected),
            "{expected} missing: {}",
            page.text
        );
    }
    // Approve right on the board; it comes back to the board.
    let decided = browser
        .post(
            &format!("/approvals/{approval}/decide"),
            &[
                ("_csrf", &page.csrf()),
                ("decision", "approve"),
                ("back", "/"),
            ],
        )
        .await;
    decided.expect(303);
    assert_eq!(decided.location(), "/");
    let page = browser.get("/").await;
    assert!(page.text.contains("Approved: Buy Sofa"), "{}", page.text);
    assert!(!page.text.contains("Waiting for approval"));
    assert!(
        page.text.contains("id=\"approvals-waiting\">0<"),
        "{}",
        page.text
    );
}
