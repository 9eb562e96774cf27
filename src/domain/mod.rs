//! Domain value types shared by every module: parsed, exact, and free of I/O.

pub mod clock;
pub mod day;
pub mod decimal;
pub mod input;
pub mod money;
pub mod qty;
pub mod recurrence;
pub mod role;
pub mod text;

pub use clock::{Clock, ManualClock, SystemClock};
pub use day::Day;
pub use input::{DecimalInput, ObjectOnly, Patch, WholeNumber};
pub use money::{Currency, Money};
pub use qty::Qty;
pub use role::Role;

/// A new opaque id: a UUIDv7 (time-ordered, so ids sort by creation).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
