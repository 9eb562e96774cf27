//! The `valhalla` command line. Every flag also reads an environment variable.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::app::{self, App};
use crate::db::{self, Db};
use crate::domain::{Role, SystemClock};
use crate::household::service::{self, Bootstrap};

#[derive(Debug, Parser)]
#[command(
    name = "valhalla",
    version,
    about = "Self-hosted household operations server"
)]
pub struct Cli {
    /// Directory for the embedded SQLite database and other local data.
    #[arg(
        long,
        env = "VALHALLA_DATA_DIR",
        default_value = "./valhalla-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` for PostgreSQL; default SQLite in the data directory.
    #[arg(
        long,
        env = "VALHALLA_DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// The address people use to reach the server, e.g. `https://home.example` (base of
    /// sign-in links; with https, session cookies are `Secure`). Default `http://<bind address>`.
    #[arg(long, env = "VALHALLA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Run the daily tick now (every household, or one) and print what it did.
    Tick {
        /// Only this household (default: all).
        #[arg(long)]
        household: Option<String>,
    },
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write a consistent copy of the database while the server runs (SQLite: a database file;
    /// PostgreSQL: a pg_dump custom-format archive).
    Backup {
        /// Where to write it (must not exist).
        file: PathBuf,
    },
    /// Write one household as a JSON document on stdout.
    Export {
        /// The household (default: the only one).
        #[arg(long)]
        household: Option<String>,
    },
    /// Load a household exported with `valhalla export` (`-` reads stdin).
    Import { file: PathBuf },
    /// Check the Heimdall action log.
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute each household's hash chain; exits 1 if any is broken.
    Verify {
        /// Only this household (default: all).
        #[arg(long)]
        household: Option<String>,
    },
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "VALHALLA_BIND", default_value = DEFAULT_BIND)]
    pub bind: String,
    /// Token for the owner created on an empty database (else a random one is printed once).
    #[arg(long, env = "VALHALLA_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,
    /// The daily tick timer (`off`: only the tick endpoint and `valhalla tick` run it).
    #[arg(long, env = "VALHALLA_SCHEDULER", value_enum, default_value_t = Switch::On)]
    pub scheduler: Switch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Switch {
    #[default]
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a new token for a member, creating the member (and household) when missing.
    Create {
        /// Member name.
        #[arg(long)]
        member: String,
        /// Member role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Household name (default: the household created at bootstrap).
        #[arg(long)]
        household: Option<String>,
        /// Print a one-time web sign-in link (valid 15 minutes) instead of the token.
        #[arg(long)]
        link: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Owner,
    Adult,
    Member,
    Viewer,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Owner => Role::Owner,
            RoleArg::Adult => Role::Adult,
            RoleArg::Member => Role::Member,
            RoleArg::Viewer => Role::Viewer,
        }
    }
}

/// Where `serve` listens unless told otherwise.
const DEFAULT_BIND: &str = "127.0.0.1:8080";

/// How often the server looks for a due daily tick.
const TIMER_EVERY: std::time::Duration = std::time::Duration::from_secs(30);
/// How often the server looks for due webhook deliveries.
const WEBHOOKS_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

type CliResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> CliResult {
    let url = db::resolve_url(cli.database_url.as_deref(), &cli.data_dir)?;
    let command = match cli.command {
        Some(command) => command,
        // `valhalla` alone serves, with the same flags' environment variables.
        None => match Cli::try_parse_from(["valhalla", "serve"])?.command {
            Some(serve) => serve,
            None => return Err("could not read the serve defaults".into()),
        },
    };
    match command {
        Command::Serve(args) => serve(&url, args, cli.public_url).await,
        Command::Migrate => {
            let db = open(&url).await?;
            db.close().await;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Backup { file } => {
            let db = open(&url).await?;
            let result = crate::portability::backup(&db, &url, &file).await;
            db.close().await;
            result?;
            eprintln!("backup written to {}", file.display());
            Ok(())
        }
        Command::Export { household } => {
            let db = open(&url).await?;
            let (id, _) = crate::portability::household_id(&db, household.as_deref()).await?;
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let result = crate::portability::export(&db, &id, chrono::Utc::now(), &mut out).await;
            db.close().await;
            result?;
            std::io::Write::flush(&mut out)?;
            Ok(())
        }
        Command::Import { file } => {
            let document: serde_json::Value = if file.as_os_str() == "-" {
                serde_json::from_reader(std::io::BufReader::new(std::io::stdin()))?
            } else {
                serde_json::from_reader(std::io::BufReader::new(std::fs::File::open(&file)?))?
            };
            let db = open(&url).await?;
            let result = crate::portability::import(&db, &document).await;
            db.close().await;
            let (name, rows) = result?;
            eprintln!(
                "imported household {name:?} ({rows} rows); create tokens with `valhalla token create --household {name:?}`"
            );
            Ok(())
        }
        Command::Tick { household } => {
            let db = open(&url).await?;
            let result = tick(&db, household.as_deref()).await;
            db.close().await;
            result
        }
        Command::Audit(AuditCommand::Verify { household }) => {
            let db = open(&url).await?;
            let result = audit_verify(&db, household.as_deref()).await;
            db.close().await;
            result
        }
        Command::Token(TokenCommand::Create {
            member,
            role,
            household,
            link,
        }) => {
            let db = open(&url).await?;
            let result = if link {
                sign_in_link(
                    &db,
                    household.as_deref(),
                    &member,
                    role.into(),
                    cli.public_url,
                )
                .await
            } else {
                service::create_token(
                    &db,
                    household.as_deref(),
                    &member,
                    role.into(),
                    chrono::Utc::now(),
                )
                .await
                .map_err(Into::into)
            };
            db.close().await;
            println!("{}", result?);
            Ok(())
        }
    }
}

/// A new token for the member, handed out as a one-time sign-in link (the token itself is
/// never shown; the link's session carries its authority).
async fn sign_in_link(
    db: &Db,
    household: Option<&str>,
    member: &str,
    role: Role,
    public_url: Option<String>,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let issued = service::issue_token(&mut tx, household, member, role, now).await?;
    let secret = crate::web::session::insert_link(
        tx.conn(),
        &issued.household_id,
        &issued.member_id,
        &crate::household::model::hash_token(&issued.token),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(format!("{}/signin/link/{secret}", link_base(public_url)))
}

/// The base of sign-in links: the public URL, else `http://` and the address `serve` binds
/// (`VALHALLA_BIND`, default `127.0.0.1:8080`).
fn link_base(public_url: Option<String>) -> String {
    match public_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => url.trim().trim_end_matches('/').to_string(),
        None => {
            let bind = std::env::var("VALHALLA_BIND")
                .ok()
                .filter(|b| !b.is_empty())
                .unwrap_or_else(|| DEFAULT_BIND.to_string());
            format!("http://{bind}")
        }
    }
}

/// Runs the tick for every household (or one) and prints each result as JSON.
async fn tick(db: &Db, household: Option<&str>) -> CliResult {
    let app = App::new(db.clone(), Arc::new(SystemClock));
    let households = {
        let mut conn = db.read().await?;
        crate::household::store::list_households(&mut conn).await?
    };
    let mut ran = 0;
    for (id, name) in households {
        if household.is_some_and(|h| h != name) {
            continue;
        }
        let mut conn = db.read().await?;
        let Some(settings) = crate::household::store::get_settings(&mut conn, &id).await? else {
            continue;
        };
        drop(conn);
        let result = crate::scheduler::service::tick_now(&app, &id, &settings).await?;
        println!(
            "{}",
            serde_json::json!({"household": name, "ran_at": result.ran_at, "steps": result.steps})
        );
        ran += 1;
    }
    if ran == 0 {
        return Err(format!("no household named {:?}", household.unwrap_or_default()).into());
    }
    Ok(())
}

/// Prints one line per household; fails when a chain is broken or the household is unknown.
async fn audit_verify(db: &Db, household: Option<&str>) -> CliResult {
    let mut conn = db.read().await?;
    let households = crate::household::store::list_households(&mut conn).await?;
    let chosen: Vec<_> = households
        .into_iter()
        .filter(|(_, name)| household.is_none_or(|h| h == name))
        .collect();
    if chosen.is_empty() {
        return Err(format!("no household named {:?}", household.unwrap_or_default()).into());
    }
    let mut broken = 0;
    for (id, name) in chosen {
        let v = crate::heimdall::log::verify(&mut conn, &id).await?;
        if v.ok {
            println!("{name}: ok, {} entries, head {}", v.entries, v.head_hash);
        } else {
            broken += 1;
            println!(
                "{name}: BROKEN at seq {} ({}); {} entries verified before it",
                v.first_bad_seq.unwrap_or_default(),
                v.problem.unwrap_or_default(),
                v.entries
            );
        }
    }
    if broken > 0 {
        return Err(format!("{broken} household log(s) failed verification").into());
    }
    Ok(())
}

/// Connects and brings the schema up to date.
async fn open(url: &str) -> Result<Db, Box<dyn std::error::Error + Send + Sync>> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    Ok(db)
}

async fn serve(url: &str, args: ServeArgs, public_url: Option<String>) -> CliResult {
    let db = open(url).await?;
    let now = chrono::Utc::now();
    match service::bootstrap(&db, args.bootstrap_token.as_deref(), now).await? {
        Bootstrap::CreatedWithToken(token) => {
            eprintln!(
                "Created household \"Home\" with member \"owner\". Owner API token (shown once, store it now):\n\n    {token}\n"
            );
        }
        Bootstrap::CreatedWithConfiguredToken => {
            tracing::info!(
                "created household \"Home\"; the owner's token is VALHALLA_BOOTSTRAP_TOKEN"
            );
        }
        Bootstrap::AlreadyDone => {}
    }
    let mut conn = db.begin().await?;
    crate::idempotency::purge_expired(conn.conn(), now - crate::idempotency::RETENTION).await?;
    conn.commit().await?;
    let listener = tokio::net::TcpListener::bind(&args.bind).await?;
    tracing::info!(bind = %listener.local_addr()?, backend = ?db.backend(), "valhalla listening");
    let web = crate::web::WebConfig {
        public_url: public_url
            .map(|u| u.trim().trim_end_matches('/').to_string())
            .filter(|u| !u.is_empty()),
    };
    let app = App::with_web(db.clone(), Arc::new(SystemClock), web);
    let timer = (args.scheduler == Switch::On)
        .then(|| crate::scheduler::service::spawn_timer(app.clone(), TIMER_EVERY));
    if timer.is_none() {
        tracing::info!("the daily tick timer is off (VALHALLA_SCHEDULER=off)");
    }
    // Deliveries interrupted by the stop are not lost: they are sent again after a restart.
    let webhooks = crate::webhooks::spawn_worker(app.clone(), WEBHOOKS_EVERY);
    app::serve(app, listener, shutdown_signal()).await?;
    webhooks.abort();
    if let Some(timer) = timer {
        timer.abort();
    }
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
