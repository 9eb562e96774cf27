//! In-memory forecast state per household, kept exact by catching up on the database's
//! change feed (`forecast_counters` / `seq` columns) before every rollup.
//!
//! A rollup must rank every item with usage in the window. Reading 50,000 items and their
//! usage from the database for each request would cost tens of milliseconds and grow with the
//! history; instead each server keeps per-item daily totals in memory and, per request, asks the
//! database one question ("what is the latest sequence number?") and fetches only what changed
//! since. Sequence order is commit order, so the state is exactly the database's as of that
//! number, also with several servers writing to one database.

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

/// One day's usage of one item (16 bytes: millions of these may be held).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DayTotal {
    qty: i64,
    day: i32,
    events: u32,
}

#[derive(Debug, Default)]
struct ItemState {
    name: String,
    name_key: String,
    qty: i64,
    /// Sorted by day, one entry per day with usage.
    days: Vec<DayTotal>,
}

impl ItemState {
    fn set_day(&mut self, total: DayTotal) {
        match self.days.binary_search_by_key(&total.day, |d| d.day) {
            Ok(i) => self.days[i] = total,
            Err(i) => self.days.insert(i, total),
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
}

#[derive(Debug, Default)]
struct HouseholdState {
    loaded: bool,
    /// The change sequence this state reflects.
    seq: i64,
    /// Days at or before this are not held.
    horizon: i32,
    items: HashMap<String, ItemState>,
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
            if state.loaded && state.seq == latest && state.horizon < today_n - MAX_WINDOW {
                return Ok(rank(&state, today, window_days, limit));
            }
        }
        let mut state = slot.write().await;
        refresh(&mut state, &mut conn, household_id, latest, today).await?;
        Ok(rank(&state, today, window_days, limit))
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
        // Forget days no window can reach any more.
        let keep_after = today_n - MAX_WINDOW - 1;
        for item in state.items.values_mut() {
            item.days.retain(|d| d.day > keep_after);
        }
        state.horizon = keep_after;
    }
    // Items first, then their daily totals, then deletions: a row newer than `latest` may be
    // read now and again next time; both are overwrites, so that is harmless.
    for row in store::items_changed_since(conn, household_id, since).await? {
        let item = state.items.entry(row.id).or_default();
        item.name = row.name;
        item.name_key = row.name_key;
        item.qty = row.qty;
    }
    let from = NaiveDate::from_num_days_from_ce_opt(state.horizon).unwrap_or(NaiveDate::MIN);
    let items = &mut state.items;
    store::each_daily_changed_since(conn, household_id, since, from, |row| {
        if let Some(item) = items.get_mut(&row.inv_id) {
            item.set_day(DayTotal {
                day: day_number(row.day),
                qty: row.qty_used,
                events: u32::try_from(row.events).unwrap_or(u32::MAX),
            });
        }
    })
    .await?;
    if full {
        for item in state.items.values_mut() {
            item.days.shrink_to_fit();
        }
        state.items.shrink_to_fit();
    }
    for id in store::tombstones_since(conn, household_id, since).await? {
        state.items.remove(&id);
    }
    state.seq = latest;
    state.loaded = true;
    Ok(())
}

/// Ranks items by days left; keeps the best `limit` with a bounded heap.
fn rank(state: &HouseholdState, today: NaiveDate, window_days: u32, limit: usize) -> Vec<Forecast> {
    let end = day_number(today);
    let start = end - i32::try_from(window_days).unwrap_or(MAX_WINDOW);
    // Max-heap on (days left ×100, name key, id): the worst kept candidate is on top.
    let mut heap: BinaryHeap<(i128, &str, &str)> = BinaryHeap::new();
    for (id, item) in &state.items {
        let usage = item.window(start, end);
        if usage.qty_used_milli <= 0 {
            continue;
        }
        let Some(days_left) = estimate(item.qty, usage.qty_used_milli, window_days).days_left_e2
        else {
            continue;
        };
        let candidate = (days_left, item.name_key.as_str(), id.as_str());
        if heap.len() < limit {
            heap.push(candidate);
        } else if heap.peek().is_some_and(|worst| candidate < *worst) {
            heap.pop();
            heap.push(candidate);
        }
    }
    heap.into_sorted_vec()
        .into_iter()
        .filter_map(|(_, _, id)| {
            let item = state.items.get(id)?;
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

    fn d(s: &str) -> NaiveDate {
        crate::domain::day::parse_day(s).unwrap()
    }

    fn item(name: &str, qty: i64, days: &[(&str, i64)]) -> ItemState {
        let mut item = ItemState {
            name: name.into(),
            name_key: name.to_lowercase(),
            qty,
            days: Vec::new(),
        };
        for (day, used) in days {
            item.set_day(DayTotal {
                day: day_number(d(day)),
                qty: *used,
                events: 1,
            });
        }
        item
    }

    #[test]
    fn window_sums_exclude_the_start_day() {
        let it = item(
            "a",
            0,
            &[("2026-10-26", 5), ("2026-10-27", 7), ("2026-11-25", 11)],
        );
        let end = day_number(d("2026-11-25"));
        let usage = it.window(end - 30, end);
        assert_eq!(usage.qty_used_milli, 18);
        assert_eq!(usage.events, 2);
    }

    #[test]
    fn ranks_by_days_left_then_name_and_skips_unused() {
        let mut state = HouseholdState {
            loaded: true,
            ..HouseholdState::default()
        };
        // 30-day window; days left = qty·30/used.
        state
            .items
            .insert("1".into(), item("Zucchini", 1000, &[("2026-11-20", 3000)])); // 10
        state
            .items
            .insert("2".into(), item("apple", 1000, &[("2026-11-20", 3000)])); // 10
        state
            .items
            .insert("3".into(), item("Bread", 100, &[("2026-11-24", 3000)])); // 1
        state.items.insert("4".into(), item("Salt", 5000, &[])); // no usage
        state
            .items
            .insert("5".into(), item("Old", 1000, &[("2026-01-01", 3000)])); // outside
        let ranked = rank(&state, d("2026-11-25"), 30, 10);
        let names: Vec<_> = ranked.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Bread", "apple", "Zucchini"]);
        assert_eq!(ranked[0].days_left.as_deref(), Some("1.00"));
        let top = rank(&state, d("2026-11-25"), 30, 2);
        assert_eq!(top.len(), 2);
        assert_eq!(top[1].name, "apple");
    }
}
