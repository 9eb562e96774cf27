//! Ledger operations shared by the routes, receipts, bills and (later) Heimdall.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::AnyConnection;

use super::model::{Balance, LedgerEntry, NewEntry, check_ledger_currency};
use super::store;
use crate::db::DbError;
use crate::domain::money::{Currency, Money};
use crate::error::{ApiError, FieldError};
use crate::household::model::Settings;

/// Why an entry could not be appended.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The entry is refused as given (e.g. not in the household currency).
    #[error("{0}")]
    Invalid(FieldError),
    /// The database did not take it.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl PostError {
    /// A short reason to show a user (kept with a receipt whose posting failed). Database
    /// details are logged, never shown.
    pub fn reason(&self) -> String {
        match self {
            PostError::Invalid(err) => err.message.clone(),
            PostError::Db(DbError::Unavailable(_)) => "the ledger was unavailable".to_string(),
            PostError::Db(_) => "the ledger could not record the entry".to_string(),
        }
    }
}

impl From<PostError> for ApiError {
    fn from(err: PostError) -> ApiError {
        match err {
            PostError::Invalid(field) => ApiError::from(field),
            PostError::Db(db) => ApiError::from(db),
        }
    }
}

/// Appends `entry` to the household's ledger. The ledger is kept in the household currency;
/// an entry in another currency is refused, as is an amount that is not positive.
pub async fn post_entry(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    now: DateTime<Utc>,
    entry: &NewEntry,
) -> Result<LedgerEntry, PostError> {
    check_ledger_currency(entry.amount.currency(), settings.currency)
        .map_err(PostError::Invalid)?;
    if !entry.amount.is_positive() {
        return Err(PostError::Invalid(FieldError::new(
            "amount",
            "must be greater than 0",
        )));
    }
    Ok(store::insert_entry(conn, household_id, entry, now).await?)
}

/// Income − expense of every entry in `currency` dated on or before `as_of`.
pub async fn cash_balance(
    conn: &mut AnyConnection,
    household_id: &str,
    currency: Currency,
    as_of: NaiveDate,
) -> Result<Money, ApiError> {
    let totals = store::totals_as_of(conn, household_id, currency, as_of).await?;
    totals
        .cash()
        .map_err(|e| ApiError::internal(format!("ledger balance: {e}")))
}

/// The household's balance as of `as_of`, in its currency.
pub async fn balance(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    as_of: NaiveDate,
) -> Result<Balance, ApiError> {
    Ok(Balance {
        cash_balance: cash_balance(conn, household_id, settings.currency, as_of).await?,
        as_of,
    })
}
