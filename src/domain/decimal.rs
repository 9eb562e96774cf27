//! Exact decimal text ⇄ scaled integers. No floating point is involved anywhere:
//! JSON numbers reach us as their original text (serde_json `arbitrary_precision`).

use std::fmt;

/// Why a decimal could not be turned into a scaled integer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecimalError {
    /// Not a decimal number at all.
    Invalid,
    /// More fractional digits than the target scale allows (after dropping trailing zeros).
    TooManyDecimals { max: u32 },
    /// Too large for the target type.
    OutOfRange,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecimalError::Invalid => write!(f, "must be a decimal number"),
            DecimalError::TooManyDecimals { max: 0 } => write!(f, "must be a whole number"),
            DecimalError::TooManyDecimals { max } => {
                write!(f, "must have at most {max} decimal places")
            }
            DecimalError::OutOfRange => write!(f, "is out of range"),
        }
    }
}

/// An exact decimal as written: `mantissa × 10^(−scale)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: i128,
    pub scale: u32,
}

/// Longest accepted text; anything longer is not a plausible amount or quantity.
const MAX_LEN: usize = 64;
/// Mantissa digits we keep exactly (i128 holds 38).
const MAX_DIGITS: usize = 36;

impl Decimal {
    /// `mantissa × 10^(−scale)`, with trailing zeros dropped.
    pub fn new(mantissa: i128, scale: u32) -> Decimal {
        Decimal { mantissa, scale }.normalized()
    }

    /// Parses `[-+]digits[.digits][(e|E)[-+]digits]`, as JSON numbers and plain strings write them.
    pub fn parse(text: &str) -> Result<Decimal, DecimalError> {
        let s = text.trim();
        if s.is_empty() || s.len() > MAX_LEN {
            return Err(DecimalError::Invalid);
        }
        let (negative, rest) = match s.as_bytes()[0] {
            b'-' => (true, &s[1..]),
            b'+' => (false, &s[1..]),
            _ => (false, s),
        };
        let (number, exponent) = match rest.find(['e', 'E']) {
            Some(pos) => {
                let exp: i32 = rest[pos + 1..].parse().map_err(|_| DecimalError::Invalid)?;
                (&rest[..pos], exp)
            }
            None => (rest, 0),
        };
        let (int_part, frac_part) = match number.split_once('.') {
            Some((i, f)) => (i, f),
            None => (number, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(DecimalError::Invalid);
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(DecimalError::Invalid);
        }
        let digits: String = format!("{int_part}{frac_part}");
        let digits = digits.trim_start_matches('0');
        if digits.len() > MAX_DIGITS {
            return Err(DecimalError::OutOfRange);
        }
        let mut mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| DecimalError::Invalid)?
        };
        let mut scale = frac_part.len() as i64 - i64::from(exponent);
        if scale < 0 {
            // A positive exponent larger than the fraction: scale the mantissa up.
            let shift = u32::try_from(-scale).map_err(|_| DecimalError::OutOfRange)?;
            mantissa = checked_pow10(shift)
                .and_then(|p| mantissa.checked_mul(p))
                .ok_or(DecimalError::OutOfRange)?;
            scale = 0;
        }
        if negative {
            mantissa = -mantissa;
        }
        let scale = u32::try_from(scale).map_err(|_| DecimalError::OutOfRange)?;
        Ok(Decimal { mantissa, scale }.normalized())
    }

    /// Drops trailing zero digits after the point: `4.50` → `4.5`.
    fn normalized(mut self) -> Decimal {
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    /// The value as an integer count of `10^(−scale)` units, e.g. cents for scale 2.
    pub fn to_scaled(self, scale: u32) -> Result<i64, DecimalError> {
        if self.scale > scale {
            // `normalized()` already removed trailing zeros, so these digits are real.
            return Err(DecimalError::TooManyDecimals { max: scale });
        }
        let factor = checked_pow10(scale - self.scale).ok_or(DecimalError::OutOfRange)?;
        let value = self
            .mantissa
            .checked_mul(factor)
            .ok_or(DecimalError::OutOfRange)?;
        i64::try_from(value).map_err(|_| DecimalError::OutOfRange)
    }
}

fn checked_pow10(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// Formats `value × 10^(−scale)` with exactly `scale` fractional digits: (450, 2) → "4.50".
pub fn format_fixed(value: i128, scale: u32) -> String {
    let negative = value < 0;
    let abs = value.unsigned_abs();
    let mut out = if scale == 0 {
        abs.to_string()
    } else {
        let factor = 10u128.pow(scale);
        format!(
            "{}.{:0width$}",
            abs / factor,
            abs % factor,
            width = scale as usize
        )
    };
    if negative {
        out.insert(0, '-');
    }
    out
}

/// Like [`format_fixed`] but without trailing zeros: (1500, 3) → "1.5", (2000, 3) → "2".
pub fn format_trimmed(value: i128, scale: u32) -> String {
    let fixed = format_fixed(value, scale);
    if scale == 0 {
        return fixed;
    }
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    trimmed.to_string()
}

/// `numerator / denominator` rounded half away from zero to an integer.
/// Panics never: callers guarantee `denominator != 0`; a zero denominator yields 0.
pub fn div_round_half_up(numerator: i128, denominator: i128) -> i128 {
    if denominator == 0 {
        return 0;
    }
    let q = numerator / denominator;
    let r = numerator % denominator;
    if 2 * r.abs() >= denominator.abs() {
        if (numerator < 0) != (denominator < 0) {
            q - 1
        } else {
            q + 1
        }
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_plain_and_exponent_forms() {
        assert_eq!(Decimal::parse("4.50").unwrap().to_scaled(2), Ok(450));
        assert_eq!(Decimal::parse("4.5").unwrap().to_scaled(2), Ok(450));
        assert_eq!(Decimal::parse("4").unwrap().to_scaled(2), Ok(400));
        assert_eq!(Decimal::parse("-0.01").unwrap().to_scaled(2), Ok(-1));
        assert_eq!(Decimal::parse("1e2").unwrap().to_scaled(2), Ok(10000));
        assert_eq!(Decimal::parse("1.5E-1").unwrap().to_scaled(3), Ok(150));
        assert_eq!(Decimal::parse(".5").unwrap().to_scaled(1), Ok(5));
        assert_eq!(Decimal::parse("5.").unwrap().to_scaled(1), Ok(50));
        assert_eq!(Decimal::parse("200.000").unwrap().to_scaled(2), Ok(20000));
    }

    #[test]
    fn rejects_garbage_and_extra_precision() {
        for bad in [
            "", "abc", "1.2.3", "--1", "1e", "NaN", "inf", "0x10", "1 2", ".",
        ] {
            assert_eq!(Decimal::parse(bad), Err(DecimalError::Invalid), "{bad:?}");
        }
        assert_eq!(
            Decimal::parse("4.505").unwrap().to_scaled(2),
            Err(DecimalError::TooManyDecimals { max: 2 })
        );
        assert_eq!(
            Decimal::parse("99999999999999999999").unwrap().to_scaled(2),
            Err(DecimalError::OutOfRange)
        );
        assert_eq!(
            Decimal::parse("1e400").map(|d| d.to_scaled(2)),
            Err(DecimalError::OutOfRange)
        );
    }

    #[test]
    fn formats() {
        assert_eq!(format_fixed(450, 2), "4.50");
        assert_eq!(format_fixed(-5, 2), "-0.05");
        assert_eq!(format_fixed(7, 0), "7");
        assert_eq!(format_trimmed(1500, 3), "1.5");
        assert_eq!(format_trimmed(2000, 3), "2");
        assert_eq!(format_trimmed(0, 3), "0");
        assert_eq!(format_trimmed(125, 3), "0.125");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(div_round_half_up(5, 2), 3);
        assert_eq!(div_round_half_up(4, 3), 1);
        assert_eq!(div_round_half_up(-5, 2), -3);
        assert_eq!(div_round_half_up(1, 3), 0);
        assert_eq!(div_round_half_up(2, 3), 1);
    }

    proptest! {
        #[test]
        fn fixed_format_round_trips(value in -1_000_000_000_000i64..1_000_000_000_000, scale in 0u32..5) {
            let text = format_fixed(i128::from(value), scale);
            prop_assert_eq!(Decimal::parse(&text).unwrap().to_scaled(scale), Ok(value));
        }

        #[test]
        fn trimmed_format_round_trips(value in -1_000_000_000_000i64..1_000_000_000_000) {
            let text = format_trimmed(i128::from(value), 3);
            prop_assert_eq!(Decimal::parse(&text).unwrap().to_scaled(3), Ok(value));
        }

        #[test]
        fn rounding_is_within_half(n in -1_000_000i128..1_000_000, d in 1i128..10_000) {
            let q = div_round_half_up(n, d);
            // |q·d − n| ≤ d/2
            prop_assert!(2 * (q * d - n).abs() <= d);
        }
    }
}
