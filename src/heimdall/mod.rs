//! Heimdall: the one dispatcher through which automations act.

pub mod registry;
