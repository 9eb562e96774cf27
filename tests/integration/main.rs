//! Integration tests: the real server over HTTP, on SQLite and on PostgreSQL.

mod util;

mod approvals;
mod auth;
mod bills;
mod budget;
mod cli;
mod cone;
mod errors;
mod forecast;
mod heimdall;
mod idempotency;
mod inventory;
mod ledger;
mod ops;
mod ops_board;
mod persistence;
mod portability;
mod purchase;
mod receipts;
mod reminders;
mod schedule;
mod scheduler;
mod shopping;
mod shopping_generators;
mod web;
mod webhooks;
