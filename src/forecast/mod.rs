//! Usage log and run-out forecasts.

pub mod model;
pub mod store;
