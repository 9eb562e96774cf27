//! Valhalla: a self-hosted household-operations server.
//!
//! Layout: `router` (the route table) → `extract` (auth, JSON/query wrappers) → per-domain
//! modules (`inventory`, `household`, …, each with `handlers`, `model`, `store`) → `db`.
//! See `docs/ARCHITECTURE.md`.

pub mod app;
pub mod approvals;
pub mod bills;
pub mod budget;
pub mod cli;
pub mod cone;
pub mod db;
pub mod domain;
pub mod error;
pub mod extract;
pub mod forecast;
pub mod heimdall;
pub mod household;
pub mod idempotency;
pub mod inventory;
pub mod ledger;
pub mod openapi;
pub mod ops;
pub mod ops_board;
pub mod pagination;
pub mod portability;
pub mod receipts;
pub mod reminders;
pub mod reply;
pub mod router;
pub mod schedule;
pub mod scheduler;
pub mod shopping;
pub mod web;
pub mod webhooks;
