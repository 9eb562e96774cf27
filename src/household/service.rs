//! Household set-up shared by `valhalla serve` (bootstrap) and `valhalla token create`.

use chrono::{DateTime, Utc};

use super::model::{check_name, generate_token, hash_token};
use super::store;
use crate::db::{Db, DbError, Tx};
use crate::domain::Role;

const BOOTSTRAP_KEY: &str = "bootstrap_household_id";
const BOOTSTRAP_HOUSEHOLD: &str = "Home";
const BOOTSTRAP_OWNER: &str = "owner";

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("{0}")]
    Invalid(String),
    #[error("no random source: {0}")]
    Random(String),
}

/// What bootstrapping did.
#[derive(Debug, PartialEq, Eq)]
pub enum Bootstrap {
    /// The database already had households.
    AlreadyDone,
    /// Created household "Home" with an owner whose token is the configured one.
    CreatedWithConfiguredToken,
    /// Created household "Home" with an owner and this random token (print it once).
    CreatedWithToken(String),
}

/// On an empty database: creates household "Home" with an owner member and a token, which is
/// `configured_token` (`VALHALLA_BOOTSTRAP_TOKEN`) when given. On a database that already has
/// households, a configured token that is not yet known is added to the bootstrap owner, so
/// the configured value always works.
pub async fn bootstrap(
    db: &Db,
    configured_token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Bootstrap, SetupError> {
    match try_bootstrap(db, configured_token, now).await {
        // Another server process bootstrapped the same empty database at the same moment.
        Err(SetupError::Db(DbError::Unique(_))) => try_bootstrap(db, configured_token, now).await,
        other => other,
    }
}

async fn try_bootstrap(
    db: &Db,
    configured_token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Bootstrap, SetupError> {
    let mut tx = db.begin().await?;
    let outcome = if store::count_households(tx.conn()).await? == 0 {
        let household_id = create_bootstrap_household(&mut tx, now).await?;
        let owner =
            store::create_member(tx.conn(), &household_id, BOOTSTRAP_OWNER, Role::Owner, now)
                .await?;
        let (token, outcome) = match configured_token {
            Some(t) => (t.to_string(), Bootstrap::CreatedWithConfiguredToken),
            None => {
                let t = generate_token().map_err(|e| SetupError::Random(e.to_string()))?;
                (t.clone(), Bootstrap::CreatedWithToken(t))
            }
        };
        store::insert_token(
            tx.conn(),
            &hash_token(&token),
            &household_id,
            &owner.id,
            now,
        )
        .await?;
        outcome
    } else {
        if let Some(token) = configured_token {
            ensure_configured_token(&mut tx, token, now).await?;
        }
        Bootstrap::AlreadyDone
    };
    tx.commit().await?;
    Ok(outcome)
}

async fn create_bootstrap_household(tx: &mut Tx, now: DateTime<Utc>) -> Result<String, SetupError> {
    let id = store::create_household(tx.conn(), BOOTSTRAP_HOUSEHOLD, now).await?;
    store::set_meta(tx.conn(), BOOTSTRAP_KEY, &id).await?;
    Ok(id)
}

async fn ensure_configured_token(
    tx: &mut Tx,
    token: &str,
    now: DateTime<Utc>,
) -> Result<(), SetupError> {
    let hash = hash_token(token);
    if store::token_exists(tx.conn(), &hash).await? {
        return Ok(());
    }
    let Some(household_id) = store::get_meta(tx.conn(), BOOTSTRAP_KEY).await? else {
        return Ok(());
    };
    let owner = match store::find_member(tx.conn(), &household_id, BOOTSTRAP_OWNER).await? {
        Some(m) => m,
        None => {
            store::create_member(tx.conn(), &household_id, BOOTSTRAP_OWNER, Role::Owner, now)
                .await?
        }
    };
    store::insert_token(tx.conn(), &hash, &household_id, &owner.id, now).await?;
    Ok(())
}

/// A token just issued, with whom it belongs to.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The token itself (shown once, stored only hashed).
    pub token: String,
    pub household_id: String,
    pub member_id: String,
}

/// `valhalla token create`: a new token for member `member` with `role` in household
/// `household` (default: the bootstrap household), creating household and member as needed.
/// An existing member keeps their role; asking for a different one is an error.
pub async fn create_token(
    db: &Db,
    household: Option<&str>,
    member: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<String, SetupError> {
    let mut tx = db.begin().await?;
    let issued = issue_token(&mut tx, household, member, role, now).await?;
    tx.commit().await?;
    Ok(issued.token)
}

/// [`create_token`] inside the caller's transaction, so more can be written with it (a
/// sign-in link for the new token).
pub async fn issue_token(
    tx: &mut Tx,
    household: Option<&str>,
    member: &str,
    role: Role,
    now: DateTime<Utc>,
) -> Result<IssuedToken, SetupError> {
    let member = check_name("member", member).map_err(|e| SetupError::Invalid(e.to_string()))?;
    let household = household
        .map(|h| check_name("household", h))
        .transpose()
        .map_err(|e| SetupError::Invalid(e.to_string()))?;
    let token = generate_token().map_err(|e| SetupError::Random(e.to_string()))?;
    let household_id = match household {
        Some(name) => match store::find_household_by_name(tx.conn(), &name).await? {
            Some(id) => id,
            None => store::create_household(tx.conn(), &name, now).await?,
        },
        None => match store::get_meta(tx.conn(), BOOTSTRAP_KEY).await? {
            Some(id) => id,
            None => create_bootstrap_household(tx, now).await?,
        },
    };
    let member = match store::find_member(tx.conn(), &household_id, &member).await? {
        Some(existing) if existing.role != role => {
            return Err(SetupError::Invalid(format!(
                "member {:?} already exists with role {}",
                existing.name,
                existing.role.as_str()
            )));
        }
        Some(existing) => existing,
        None => store::create_member(tx.conn(), &household_id, &member, role, now).await?,
    };
    store::insert_token(
        tx.conn(),
        &hash_token(&token),
        &household_id,
        &member.id,
        now,
    )
    .await?;
    Ok(IssuedToken {
        token,
        household_id,
        member_id: member.id,
    })
}
