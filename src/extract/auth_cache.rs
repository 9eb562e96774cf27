//! A short-lived memory of resolved tokens, so a busy client does not cost a database read per
//! request. Entries live a few seconds; changes made through this server (settings) drop the
//! household's entries at once, and changes made elsewhere are seen within the lifetime.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Caller;

/// How long a resolved token is trusted without asking the database again.
pub const LIFETIME: Duration = Duration::from_secs(2);
/// Entries kept at most; beyond this the cache starts over.
const MAX_ENTRIES: usize = 10_000;

#[derive(Default)]
pub struct AuthCache {
    entries: Mutex<HashMap<String, (Caller, Instant)>>,
}

impl AuthCache {
    pub fn get(&self, token_hash: &str) -> Option<Caller> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(token_hash)
            .filter(|(_, at)| at.elapsed() < LIFETIME)
            .map(|(caller, _)| caller.clone())
    }

    pub fn put(&self, token_hash: String, caller: Caller) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token_hash, (caller, Instant::now()));
    }

    /// Drops every entry of a household (its settings or members changed).
    pub fn forget_household(&self, household_id: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, (caller, _)| caller.household_id != household_id);
    }
}
