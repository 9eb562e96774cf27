//! Integration tests: the real server over HTTP, on SQLite and on PostgreSQL.

mod util;

mod auth;
mod bills;
mod budget;
mod cli;
mod errors;
mod idempotency;
mod inventory;
mod ledger;
mod ops;
mod persistence;
mod receipts;
