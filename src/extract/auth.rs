//! Who is calling: bearer token → member → household. Every `/core` route sits behind
//! [`authenticate`]; handlers take a [`Ctx`] (or a [`Caller`]) to learn who it is.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};

use crate::app::App;
use crate::db::Tx;
use crate::domain::Role;
use crate::error::ApiError;
use crate::household::model::{Settings, hash_token};
use crate::household::store as household_store;
use crate::idempotency::{IdempotencyKey, RequestTx};

/// The authenticated member and their household's settings.
#[derive(Debug, Clone)]
pub struct Caller {
    pub household_id: String,
    pub member_id: String,
    pub member_name: String,
    pub role: Role,
    pub settings: Settings,
}

impl Caller {
    fn require(&self, allowed: bool, what: &str) -> Result<(), ApiError> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "the {} role may not {what}",
                self.role.as_str()
            )))
        }
    }

    /// Members and above: everyday records.
    pub fn require_write(&self) -> Result<(), ApiError> {
        self.require(self.role.can_write(), "change records")
    }

    /// Adults and owners: money and approvals.
    pub fn require_adult(&self, what: &str) -> Result<(), ApiError> {
        self.require(self.role.can_manage_money(), what)
    }

    /// Owners only: settings, members, policy.
    pub fn require_owner(&self, what: &str) -> Result<(), ApiError> {
        self.require(self.role.can_administer(), what)
    }
}

/// Middleware: resolves the bearer token or answers 401.
pub async fn authenticate(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let Some(token) = bearer_token(req.headers()) else {
        return ApiError::unauthorized().into_response();
    };
    let caller = match caller_for_token(&app, token).await {
        Ok(Some(caller)) => caller,
        Ok(None) => return ApiError::unauthorized().into_response(),
        Err(err) => return err.into_response(),
    };
    tracing::Span::current().record("member.id", caller.member_id.as_str());
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// The token of an `Authorization: Bearer …` header, if there is one.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty())
}

/// The member an API token belongs to (`None`: unknown or revoked), through the short-lived
/// cache of resolved tokens.
pub async fn caller_for_token(app: &App, token: &str) -> Result<Option<Caller>, ApiError> {
    let token_hash = hash_token(token);
    if let Some(caller) = app.auth_cache.get(&token_hash) {
        return Ok(Some(caller));
    }
    let mut conn = app.db.read().await?;
    let caller = household_store::caller_for_token(&mut conn, &token_hash).await?;
    if let Some(caller) = &caller {
        app.auth_cache.put(token_hash, caller.clone());
    }
    Ok(caller)
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// Everything a `/core` handler needs: the app, the caller, and the request's
/// `Idempotency-Key` (if any), which [`Ctx::begin`] threads into the write transaction.
pub struct Ctx {
    pub app: Arc<App>,
    pub caller: Caller,
    /// The request's `Idempotency-Key`, when it has one.
    pub idempotency: Option<IdempotencyKey>,
}

impl FromRequestParts<Arc<App>> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, app).await?;
        Ok(Ctx {
            app: app.clone(),
            caller,
            idempotency: parts.extensions.get::<IdempotencyKey>().cloned(),
        })
    }
}

impl Ctx {
    /// Starts the request's write transaction. Finish it with [`RequestTx::finish`], which
    /// records the idempotency key in the same transaction as the effect.
    pub async fn begin(&self) -> Result<RequestTx, ApiError> {
        let tx: Tx = self.app.db.begin().await?;
        Ok(RequestTx::new(
            tx,
            self.app.db.clone(),
            self.caller.household_id.clone(),
            self.caller.member_id.clone(),
            self.idempotency.clone(),
            self.app.clock.now(),
        ))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.app.clock.now()
    }

    /// Today in the household's time zone.
    pub fn today(&self) -> NaiveDate {
        crate::domain::day::local_today(self.now(), self.caller.settings.timezone)
    }

    pub fn household_id(&self) -> &str {
        &self.caller.household_id
    }
}
