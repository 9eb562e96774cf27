//! Quantities (`qty`, `qty_used`, `min_qty` …): exact decimals with up to three places,
//! stored as integer milli-units.

use std::fmt;

use serde::{Serialize, Serializer};

use super::decimal::{Decimal, DecimalError, format_trimmed};

/// Fractional digits a quantity may have (1.125 kg is fine, 1.1255 kg is not).
pub const QTY_SCALE: u32 = 3;
/// Milli-units in one unit.
pub const MILLI: i64 = 1000;
/// Largest accepted quantity: one trillion units.
pub const MAX_QTY_MILLI: i64 = 1_000_000_000_000_000;

/// A non-negative exact quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Qty(i64);

impl Qty {
    pub const ZERO: Qty = Qty(0);

    /// From stored milli-units (trusted: written by this program).
    pub fn from_milli(milli: i64) -> Qty {
        Qty(milli)
    }

    /// Parses a non-negative quantity.
    pub fn from_decimal(value: Decimal) -> Result<Qty, DecimalError> {
        let milli = value.to_scaled(QTY_SCALE)?;
        if !(0..=MAX_QTY_MILLI).contains(&milli) {
            return Err(DecimalError::OutOfRange);
        }
        Ok(Qty(milli))
    }

    pub fn parse(text: &str) -> Result<Qty, DecimalError> {
        Qty::from_decimal(Decimal::parse(text)?)
    }

    pub fn milli(&self) -> i64 {
        self.0
    }

    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Qty) -> Option<Qty> {
        let sum = self.0.checked_add(other.0)?;
        (sum <= MAX_QTY_MILLI).then_some(Qty(sum))
    }

    pub fn checked_sub(self, other: Qty) -> Option<Qty> {
        let diff = self.0.checked_sub(other.0)?;
        (diff >= 0).then_some(Qty(diff))
    }
}

impl fmt::Display for Qty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_trimmed(i128::from(self.0), QTY_SCALE))
    }
}

/// Quantities go out as decimal strings without trailing zeros: `"1.5"`, `"2"`.
impl Serialize for Qty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(Qty::parse("1.5").unwrap().milli(), 1500);
        assert_eq!(Qty::parse("1.5").unwrap().to_string(), "1.5");
        assert_eq!(Qty::parse("2.000").unwrap().to_string(), "2");
        assert_eq!(Qty::parse("0").unwrap(), Qty::ZERO);
        assert_eq!(
            Qty::parse("0.0001"),
            Err(DecimalError::TooManyDecimals { max: 3 })
        );
        assert_eq!(Qty::parse("-1"), Err(DecimalError::OutOfRange));
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Qty::parse("1.5").unwrap();
        let b = Qty::parse("2").unwrap();
        assert_eq!(a.checked_sub(b), None);
        assert_eq!(b.checked_sub(a).unwrap().to_string(), "0.5");
        assert_eq!(Qty::from_milli(MAX_QTY_MILLI).checked_add(a), None);
    }

    proptest! {
        #[test]
        fn round_trips(milli in 0..=MAX_QTY_MILLI) {
            let q = Qty::from_milli(milli);
            prop_assert_eq!(Qty::parse(&q.to_string()), Ok(q));
        }
    }
}
