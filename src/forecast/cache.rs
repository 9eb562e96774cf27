//! In-memory forecast state per household, kept exact by catching up on the database's
//! change feed (`forecast_counters` / `seq` columns) before every rollup.
//!
//! A rollup must rank every item with usage in the window. Reading 50,000 items and their
//! usage from the database for each request would cost tens of milliseconds and grow with the
//! history; instead each server keeps per-item daily totals in memory and, per request, asks the
//! database one question ("what is the latest sequence number?") and fetches only what changed
//! since. Sequence order is commit order, so the state is exactly the database's as of that
//! number, also with several servers writing to one database.
//!
//! Summing each item's window on every request would still cost more the more history an item
//! has in the window. So for each recently asked window the state also keeps every item's days
//! left (a ranking), updated for just the items a catch-up touched; a rollup then scans one
//! contiguous array whose length is the number of items, whatever the number of events.

use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use tokio::sync::RwLock;

use super::model::{Forecast, WindowUsage, estimate};
use super::store;
use crate::db::{Db, DbError};
use crate::domain::Qty;

/// Households whose state is kept; the least recently used is dropped beyond this.
const MAX_HOUSEHOLDS: usize = 64;
/// Days of history kept beyond the longest window, before pruning.
const HORIZON_DAYS: i32 = 400;
/// The longest window a rollup may ask for.
const MAX_WINDOW: i32 = 365;
/// Rankings kept per household (16 bytes per item each); the oldest is dropped beyond this.
const MAX_RANKINGS: usize = 4;
/// A ranking key for an item with no usage in the window: never ranked.
const UNUSED: i128 = i128::MAX;

/// One day's usage of one item (16 bytes: millions of these may be held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayTotal {
    qty: i64,
    day: i32,
    events: u32,
}

#[derive(Debug, Default)]
struct ItemState {
    id: String,
    name: String,
    name_key: String,
    qty: i64,
    /// Sorted by day, one entry per day with usage.
    days: Vec<DayTotal>,
}

impl ItemState {
    /// Adds one usage event to its day's total.
    fn add_usage(&mut self, day: i32, qty: i64) {
        match self.days.binary_search_by_key(&day, |d| d.day) {
            Ok(i) => {
                let total = &mut self.days[i];
                total.qty += qty;
                total.events = total.events.saturating_add(1);
            }
            Err(i) => {
                // New days are rare (mostly one per item per calendar day): growing by exactly
                // one costs a copy of the item's days, where doubling would leave every item
                // written today holding up to twice the memory it needs.
                self.days.reserve_exact(1);
                self.days.insert(
                    i,
                    DayTotal {
                        qty,
                        day,
                        events: 1,
                    },
                )
            }
        }
    }

    /// Usage with day in `(start, end]`.
    fn window(&self, start: i32, end: i32) -> WindowUsage {
        let mut usage = WindowUsage {
            qty_used_milli: 0,
            events: 0,
        };
        for d in self.days.iter().rev() {
            if d.day > end {
                continue;
            }
            if d.day <= start {
                break;
            }
            usage.qty_used_milli += d.qty;
            usage.events += i64::from(d.events);
        }
        usage
    }

    /// Days left ×100 over `(end − window_days, end]`, or [`UNUSED`].
    fn ranking_key(&self, end: i32, window_days: u32) -> i128 {
        let start = end - i32::try_from(window_days).unwrap_or(MAX_WINDOW);
        let usage = self.window(start, end);
        if usage.qty_used_milli <= 0 {
            return UNUSED;
        }
        estimate(self.qty, usage.qty_used_milli, window_days)
            .days_left_e2
            .unwrap_or(UNUSED)
    }
}

/// Every item's days left for one window ending on one day, indexed like the item slots.
#[derive(Debug)]
struct Ranking {
    end: i32,
    window_days: u32,
    keys: Vec<i128>,
}

#[derive(Debug, Default)]
struct HouseholdState {
    loaded: bool,
    /// The change sequence this state reflects.
    seq: i64,
    /// Days at or before this are not held.
    horizon: i32,
    /// Items by slot; a deleted item leaves its slot empty for the next new item.
    slots: Vec<Option<ItemState>>,
    slot_of: HashMap<String, usize>,
    free: Vec<usize>,
    /// Kept current with the slots; oldest first.
    rankings: Vec<Ranking>,
}

impl HouseholdState {
    /// The slot of item `id`, creating an empty item when it is new.
    fn slot_for(&mut self, id: String) -> usize {
        if let Some(&slot) = self.slot_of.get(&id) {
            return slot;
        }
        let item = ItemState {
            id: id.clone(),
            ..ItemState::default()
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(item);
                slot
            }
            None => {
                self.slots.push(Some(item));
                self.slots.len() - 1
            }
        };
        self.slot_of.insert(id, slot);
        slot
    }

    fn remove(&mut self, id: &str) -> Option<usize> {
        let slot = self.slot_of.remove(id)?;
        self.slots[slot] = None;
        self.free.push(slot);
        Some(slot)
    }

    fn ranking(&self, end: i32, window_days: u32) -> Option<&Ranking> {
        self.rankings
            .iter()
            .find(|r| r.end == end && r.window_days == window_days)
    }

    /// Computes the ranking for a window (all items), keeping at most [`MAX_RANKINGS`].
    fn add_ranking(&mut self, end: i32, window_days: u32) {
        if self.ranking(end, window_days).is_some() {
            return;
        }
        if self.rankings.len() >= MAX_RANKINGS {
            self.rankings.remove(0);
        }
        let keys = self
            .slots
            .iter()
            .map(|slot| {
                slot.as_ref()
                    .map_or(UNUSED, |item| item.ranking_key(end, window_days))
            })
            .collect();
        self.rankings.push(Ranking {
            end,
            window_days,
            keys,
        });
    }

    /// Brings every ranking up to date for the slots in `touched`.
    fn update_rankings(&mut self, touched: &[usize]) {
        let slots = &self.slots;
        for ranking in &mut self.rankings {
            ranking.keys.resize(slots.len(), UNUSED);
            for &slot in touched {
                ranking.keys[slot] = slots[slot].as_ref().map_or(UNUSED, |item| {
                    item.ranking_key(ranking.end, ranking.window_days)
                });
            }
        }
    }
}

fn day_number(day: NaiveDate) -> i32 {
    day.num_days_from_ce()
}

struct Slot {
    state: Arc<RwLock<HouseholdState>>,
    last_used: Instant,
}

/// Forecast state for the households this server has served.
#[derive(Default)]
pub struct ForecastCache {
    households: Mutex<HashMap<String, Slot>>,
}

impl ForecastCache {
    pub fn new() -> ForecastCache {
        ForecastCache::default()
    }

    fn slot(&self, household_id: &str) -> Arc<RwLock<HouseholdState>> {
        let mut map = self.households.lock().unwrap_or_else(|e| e.into_inner());
        if !map.contains_key(household_id)
            && map.len() >= MAX_HOUSEHOLDS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        let slot = map.entry(household_id.to_string()).or_insert_with(|| Slot {
            state: Arc::new(RwLock::new(HouseholdState::default())),
            last_used: Instant::now(),
        });
        slot.last_used = Instant::now();
        slot.state.clone()
    }

    /// The `limit` items that run out soonest: items with usage in `(today − window, today]`,
    /// ascending by days left (as served, 2 places), then by name.
    pub async fn rollup(
        &self,
        db: &Db,
        household_id: &str,
        today: NaiveDate,
        window_days: u32,
        limit: usize,
    ) -> Result<Vec<Forecast>, DbError> {
        let mut conn = db.read().await?;
        let latest = store::current_seq(&mut conn, household_id).await?;
        let slot = self.slot(household_id);
        let today_n = day_number(today);
        {
            let state = slot.read().await;
            if state.loaded
                && state.seq == latest
                && state.horizon < today_n - MAX_WINDOW
                && let Some(ranking) = state.ranking(today_n, window_days)
            {
                return Ok(rank(&state, ranking, today, limit));
            }
        }
        let mut state = slot.write().await;
        refresh(&mut state, &mut conn, household_id, latest, today).await?;
        state.add_ranking(today_n, window_days);
        let ranking = state
            .ranking(today_n, window_days)
            .expect("the ranking was just added");
        Ok(rank(&state, ranking, today, limit))
    }
}

/// Brings `state` up to sequence `latest` (at least).
async fn refresh(
    state: &mut HouseholdState,
    conn: &mut sqlx::AnyConnection,
    household_id: &str,
    latest: i64,
    today: NaiveDate,
) -> Result<(), DbError> {
    let today_n = day_number(today);
    // Rankings for another day are of no further use.
    state.rankings.retain(|r| r.end == today_n);
    let full = !state.loaded || state.horizon >= today_n - MAX_WINDOW;
    if !full && state.seq == latest {
        return Ok(());
    }
    let since = if full { -1 } else { state.seq };
    if full {
        *state = HouseholdState {
            horizon: today_n - HORIZON_DAYS,
            ..HouseholdState::default()
        };
    } else if state.horizon < today_n - HORIZON_DAYS - 60 {
        // Forget days no window can reach any more (no ranking changes: they are all older).
        let keep_after = today_n - MAX_WINDOW - 1;
        for item in state.slots.iter_mut().flatten() {
            item.days.retain(|d| d.day > keep_after);
        }
        state.horizon = keep_after;
    }
    let mut touched = Vec::new();
    // Items first, then usage, then deletions. An item row newer than `latest` may be read now
    // and again next time, which is harmless (both are overwrites); usage is added, so exactly
    // the events of `(since, latest]` are read, each once.
    for row in store::items_changed_since(conn, household_id, since).await? {
        let slot = state.slot_for(row.id);
        let item = state.slots[slot].as_mut().expect("slot_for fills the slot");
        item.name = row.name;
        item.name_key = row.name_key;
        item.qty = row.qty;
        touched.push(slot);
    }
    let from = NaiveDate::from_num_days_from_ce_opt(state.horizon).unwrap_or(NaiveDate::MIN);
    let (slots, slot_of) = (&mut state.slots, &state.slot_of);
    if full {
        // Each item's days are gathered in one reused buffer and then copied out at their
        // exact size: one allocation per item, none grown and shrunk, so loading millions of
        // events leaves no scattered freed blocks behind in the heap.
        let mut scratch = ItemState::default();
        store::each_item_usage_upto(conn, household_id, latest, from, |inv_id, events| {
            if let Some(&slot) = slot_of.get(inv_id)
                && let Some(item) = slots[slot].as_mut()
            {
                scratch.days.clear();
                for (day, qty) in events {
                    scratch.add_usage(day_number(day), qty);
                }
                item.days = scratch.days.as_slice().to_vec();
            }
        })
        .await?;
    } else {
        store::each_usage_between(conn, household_id, since, latest, from, |row| {
            if let Some(&slot) = slot_of.get(&row.inv_id)
                && let Some(item) = slots[slot].as_mut()
            {
                item.add_usage(day_number(row.day), row.qty_used);
                touched.push(slot);
            }
        })
        .await?;
    }
    if full {
        state.slots.shrink_to_fit();
        state.slot_of.shrink_to_fit();
    }
    for id in store::tombstones_since(conn, household_id, since).await? {
        if let Some(slot) = state.remove(&id) {
            touched.push(slot);
        }
    }
    touched.sort_unstable();
    touched.dedup();
    state.update_rankings(&touched);
    state.seq = latest;
    state.loaded = true;
    Ok(())
}

/// The best `limit` items of a ranking, with a bounded heap.
fn rank(
    state: &HouseholdState,
    ranking: &Ranking,
    today: NaiveDate,
    limit: usize,
) -> Vec<Forecast> {
    let end = ranking.end;
    let window_days = ranking.window_days;
    let start = end - i32::try_from(window_days).unwrap_or(MAX_WINDOW);
    // Max-heap on (days left ×100, name key, id; then the slot, which ids already decide):
    // the worst kept candidate is on top.
    let mut heap: BinaryHeap<(i128, &str, &str, usize)> = BinaryHeap::with_capacity(limit + 1);
    for (slot, &key) in ranking.keys.iter().enumerate() {
        if key == UNUSED {
            continue;
        }
        // Only a key no worse than the worst kept one needs the item itself (for its name).
        if heap.len() >= limit && heap.peek().is_some_and(|worst| key > worst.0) {
            continue;
        }
        let Some(item) = state.slots[slot].as_ref() else {
            continue;
        };
        let candidate = (key, item.name_key.as_str(), item.id.as_str(), slot);
        if heap.len() < limit {
            heap.push(candidate);
        } else if heap.peek().is_some_and(|worst| candidate < *worst) {
            heap.pop();
            heap.push(candidate);
        }
    }
    heap.into_sorted_vec()
        .into_iter()
        .filter_map(|(_, _, id, slot)| {
            let item = state.slots[slot].as_ref()?;
            Some(Forecast::build(
                id,
                &item.name,
                Qty::from_milli(item.qty),
                item.window(start, end),
                window_days,
                today,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    fn put(state: &mut HouseholdState, id: &str, name: &str, qty: i64, days: &[(&str, i64)]) {
        let slot = state.slot_for(id.into());
        let item = state.slots[slot].as_mut().unwrap();
        item.name = name.into();
        item.name_key = name.to_lowercase();
        item.qty = qty;
        for (day, used) in days {
            item.add_usage(day_number(d(day)), *used);
        }
    }

    fn names(ranked: &[Forecast]) -> Vec<&str> {
        ranked.iter().map(|f| f.name.as_str()).collect()
    }

    fn top(
        state: &mut HouseholdState,
        today: &str,
        window_days: u32,
        limit: usize,
    ) -> Vec<Forecast> {
        let end = day_number(d(today));
        state.add_ranking(end, window_days);
        rank(
            state,
            state.ranking(end, window_days).unwrap(),
            d(today),
            limit,
        )
    }

    #[test]
    fn window_sums_exclude_the_start_day() {
        let mut state = HouseholdState::default();
        put(
            &mut state,
            "1",
            "a",
            0,
            &[("2026-10-26", 5), ("2026-10-27", 7), ("2026-11-25", 11)],
        );
        let end = day_number(d("2026-11-25"));
        let usage = state.slots[0].as_ref().unwrap().window(end - 30, end);
        assert_eq!(usage.qty_used_milli, 18);
        assert_eq!(usage.events, 2);
    }

    #[test]
    fn ranks_by_days_left_then_name_and_skips_unused() {
        let mut state = HouseholdState::default();
        // 30-day window; days left = qty·30/used.
        put(&mut state, "1", "Zucchini", 1000, &[("2026-11-20", 3000)]); // 10
        put(&mut state, "2", "apple", 1000, &[("2026-11-20", 3000)]); // 10
        put(&mut state, "3", "Bread", 100, &[("2026-11-24", 3000)]); // 1
        put(&mut state, "4", "Salt", 5000, &[]); // no usage
        put(&mut state, "5", "Old", 1000, &[("2026-01-01", 3000)]); // outside
        let ranked = top(&mut state, "2026-11-25", 30, 10);
        assert_eq!(names(&ranked), ["Bread", "apple", "Zucchini"]);
        assert_eq!(ranked[0].days_left.as_deref(), Some("1.00"));
        let two = top(&mut state, "2026-11-25", 30, 2);
        assert_eq!(names(&two), ["Bread", "apple"]);
    }

    #[test]
    fn rankings_follow_changes_and_deleted_slots_are_reused() {
        let mut state = HouseholdState::default();
        put(&mut state, "1", "Milk", 1000, &[("2026-11-20", 3000)]); // 10
        put(&mut state, "2", "Eggs", 1000, &[("2026-11-20", 1000)]); // 30
        assert_eq!(
            names(&top(&mut state, "2026-11-25", 30, 5)),
            ["Milk", "Eggs"]
        );
        // More eggs used: they now run out first.
        put(&mut state, "2", "Eggs", 1000, &[("2026-11-21", 30_000)]);
        let slot = state.remove("1").unwrap();
        put(&mut state, "3", "Rice", 1000, &[("2026-11-22", 1500)]); // 20, reuses slot 0
        assert_eq!(state.slot_of["3"], slot);
        state.update_rankings(&[0, 1]);
        let ranked = top(&mut state, "2026-11-25", 30, 5);
        assert_eq!(names(&ranked), ["Eggs", "Rice"]);
        assert_eq!(ranked[0].days_left.as_deref(), Some("0.97"));
    }

    #[test]
    fn only_recent_rankings_are_kept() {
        let mut state = HouseholdState::default();
        put(&mut state, "1", "Milk", 1000, &[("2026-11-20", 3000)]);
        let end = day_number(d("2026-11-25"));
        for w in 1..=(MAX_RANKINGS as u32 + 2) {
            state.add_ranking(end, w);
        }
        assert_eq!(state.rankings.len(), MAX_RANKINGS);
        assert!(state.ranking(end, 1).is_none());
        assert!(state.ranking(end, MAX_RANKINGS as u32 + 2).is_some());
    }

    #[derive(Debug, Clone)]
    enum Change {
        Use { item: u8, day: u8, qty: i64 },
        Stock { item: u8, qty: i64 },
        Delete { item: u8 },
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            (0u8..12, 0u8..60, 1i64..5000).prop_map(|(item, day, qty)| Change::Use {
                item,
                day,
                qty
            }),
            (0u8..12, 0i64..100_000).prop_map(|(item, qty)| Change::Stock { item, qty }),
            (0u8..12).prop_map(|item| Change::Delete { item }),
        ]
    }

    proptest! {
        /// A ranking kept current change by change ranks exactly like one computed afresh.
        #[test]
        fn kept_rankings_match_fresh_ones(
            batches in prop::collection::vec(prop::collection::vec(change(), 1..8), 1..8),
            window_days in 1u32..45,
            limit in 1usize..8,
        ) {
            let today = d("2026-11-25");
            let end = day_number(today);
            let mut kept = HouseholdState::default();
            kept.add_ranking(end, window_days);
            for batch in &batches {
                let mut touched = Vec::new();
                for c in batch {
                    match *c {
                        Change::Use { item, day, qty } => {
                            let slot = kept.slot_for(format!("i{item}"));
                            let it = kept.slots[slot].as_mut().unwrap();
                            it.name = format!("Item {}", item % 5);
                            it.name_key = it.name.to_lowercase();
                            it.add_usage(end - i32::from(day), qty);
                            touched.push(slot);
                        }
                        Change::Stock { item, qty } => {
                            let slot = kept.slot_for(format!("i{item}"));
                            kept.slots[slot].as_mut().unwrap().qty = qty;
                            touched.push(slot);
                        }
                        Change::Delete { item } => {
                            if let Some(slot) = kept.remove(&format!("i{item}")) {
                                touched.push(slot);
                            }
                        }
                    }
                }
                kept.update_rankings(&touched);
            }
            let from_kept = rank(&kept, kept.ranking(end, window_days).unwrap(), today, limit);
            kept.rankings.clear();
            kept.add_ranking(end, window_days);
            let fresh = rank(&kept, kept.ranking(end, window_days).unwrap(), today, limit);
            prop_assert_eq!(from_kept, fresh);
        }
    }
}
