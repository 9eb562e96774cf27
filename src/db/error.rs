//! Database errors, classified once so callers can map them to HTTP answers.

use sqlx::error::ErrorKind;

/// A storage failure, split into what the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database could not be reached, is busy beyond the timeout, or is out of space:
    /// retrying later may work (answered 503).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A unique constraint refused the write.
    #[error("unique constraint violated: {0}")]
    Unique(String),
    /// A foreign key refused the write.
    #[error("foreign key violated: {0}")]
    ForeignKey(String),
    /// Anything else: a bug or a broken database.
    #[error("database error: {0}")]
    Other(#[from] Box<sqlx::Error>),
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => DbError::Unavailable(err.to_string()),
            sqlx::Error::Database(db) => {
                if matches!(db.kind(), ErrorKind::UniqueViolation) {
                    return DbError::Unique(db.message().to_string());
                }
                if matches!(db.kind(), ErrorKind::ForeignKeyViolation) {
                    return DbError::ForeignKey(db.message().to_string());
                }
                let code = db.code().map(|c| c.to_string()).unwrap_or_default();
                if is_transient_code(&code) {
                    DbError::Unavailable(db.message().to_string())
                } else {
                    DbError::Other(Box::new(err))
                }
            }
            _ => DbError::Other(Box::new(err)),
        }
    }
}

/// SQLite: BUSY (5), LOCKED (6), FULL (13), IOERR (10) and their extended codes.
/// PostgreSQL: class 08 (connection), 53 (resources), 57P0x (shutdown), 40001/40P01 (retry).
fn is_transient_code(code: &str) -> bool {
    // PostgreSQL SQLSTATEs are always five characters; SQLite codes are shorter numbers.
    if code.len() != 5 {
        return code
            .parse::<i64>()
            .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13));
    }
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code == "40001"
        || code == "40P01"
}

impl DbError {
    /// A stored value the code cannot read back (a bug or a hand-edited database).
    pub fn corrupt(table: &str, what: &str, value: &str) -> DbError {
        DbError::Other(Box::new(sqlx::Error::Decode(
            format!("unexpected {what} in {table}: {value:?}").into(),
        )))
    }
}

/// True when `err` is a unique-constraint violation.
pub fn is_unique_violation(err: &DbError) -> bool {
    matches!(err, DbError::Unique(_))
}
