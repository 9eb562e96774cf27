//! Integration tests: the real server over HTTP, on SQLite and on PostgreSQL.

mod util;

mod auth;
mod bills;
mod budget;
mod cli;
mod errors;
mod forecast;
mod idempotency;
mod inventory;
mod ledger;
mod ops;
mod persistence;
mod receipts;
mod schedule;
mod shopping;
mod shopping_generators;
