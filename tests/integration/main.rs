//! Integration tests: the real server over HTTP, on SQLite and on PostgreSQL.

mod util;

mod auth;
mod cli;
mod errors;
mod forecast;
mod idempotency;
mod inventory;
mod ops;
mod persistence;
mod schedule;
mod shopping;
mod shopping_generators;
