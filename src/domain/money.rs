//! Money: integer minor units of an ISO 4217 currency. Never floating point.

use std::fmt;

use serde::{Serialize, Serializer};

use super::decimal::{Decimal, DecimalError, format_fixed};

/// An ISO 4217 currency code with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    digits: u8,
}

/// Active ISO 4217 codes whose minor unit is not two digits.
const ZERO_DIGIT: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
    "VUV", "XAF", "XOF", "XPF",
];
const THREE_DIGIT: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
const FOUR_DIGIT: &[&str] = &["CLF", "UYW"];
/// Active ISO 4217 codes with two minor digits.
pub const TWO_DIGIT: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR",
    "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF",
    "IDR", "ILS", "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP",
    "LKR", "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB", "PEN", "PGK",
    "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TOP",
    "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "UYU", "UZS", "VES", "WST", "XCD", "XCG", "YER",
    "ZAR", "ZMW", "ZWG",
];

impl Currency {
    /// The default currency of a new household.
    pub const USD: Currency = Currency {
        code: *b"USD",
        digits: 2,
    };

    /// Looks up an ISO 4217 code (upper case, three letters).
    pub fn from_code(code: &str) -> Option<Currency> {
        let digits = if TWO_DIGIT.contains(&code) {
            2
        } else if ZERO_DIGIT.contains(&code) {
            0
        } else if THREE_DIGIT.contains(&code) {
            3
        } else if FOUR_DIGIT.contains(&code) {
            4
        } else {
            return None;
        };
        let bytes = code.as_bytes();
        Some(Currency {
            code: [bytes[0], bytes[1], bytes[2]],
            digits,
        })
    }

    pub fn code(&self) -> &str {
        // Only constructed from the ASCII tables above.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Number of digits after the decimal point (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn digits(&self) -> u32 {
        u32::from(self.digits)
    }
}

/// Currencies go out as their ISO 4217 code.
impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Largest magnitude accepted in minor units: 10^15 (ten trillion in a two-digit currency).
/// Sums of many amounts stay far inside i64.
pub const MAX_MINOR: i64 = 1_000_000_000_000_000;

/// Why two amounts could not be combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Amounts in different currencies are never added (there are no exchange rates here).
    #[error("amounts in {0} and {1} cannot be combined")]
    CurrencyMismatch(Currency, Currency),
    /// The result does not fit in 64-bit minor units.
    #[error("the amount is out of range")]
    Overflow,
}

/// An exact amount of money in a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses a decimal into this currency, rejecting more decimals than it has.
    pub fn from_decimal(value: Decimal, currency: Currency) -> Result<Money, DecimalError> {
        let minor = value.to_scaled(currency.digits())?;
        if minor.abs() > MAX_MINOR {
            return Err(DecimalError::OutOfRange);
        }
        Ok(Money { minor, currency })
    }

    pub fn parse(text: &str, currency: Currency) -> Result<Money, DecimalError> {
        Money::from_decimal(Decimal::parse(text)?, currency)
    }

    pub fn zero(currency: Currency) -> Money {
        Money { minor: 0, currency }
    }

    pub fn minor(&self) -> i64 {
        self.minor
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    pub fn is_negative(&self) -> bool {
        self.minor < 0
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// `self + other`, refusing mixed currencies and overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let minor = self
            .minor
            .checked_add(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// `self − other`, refusing mixed currencies and overflow.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let minor = self
            .minor
            .checked_sub(other.minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money { minor, ..self })
    }

    /// The sum of `amounts`, all in `currency` (zero when there are none).
    pub fn sum<I: IntoIterator<Item = Money>>(
        currency: Currency,
        amounts: I,
    ) -> Result<Money, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Money::zero(currency), Money::checked_add)
    }

    /// `self × qty` where `qty` is in milli-units, rounded half-up to the minor unit.
    pub fn times_qty(&self, qty_milli: i64) -> Money {
        let product = i128::from(self.minor) * i128::from(qty_milli);
        let rounded = super::decimal::div_round_half_up(product, 1000);
        let minor = i64::try_from(rounded.clamp(i128::from(i64::MIN), i128::from(i64::MAX)))
            .unwrap_or(i64::MAX);
        Money {
            minor,
            currency: self.currency,
        }
    }

    /// Re-expresses the same value in another currency's minor units (used when a household
    /// changes its currency: 200.00 EUR → 200 JPY). Fails when the value does not fit exactly.
    pub fn rescale(&self, to: Currency) -> Result<Money, DecimalError> {
        let value = Decimal::new(i128::from(self.minor), self.currency.digits());
        Money::from_decimal(value, to)
    }

    /// Like [`rescale`](Self::rescale), but never fails: digits the target currency lacks are
    /// rounded half away from zero (10.50 EUR → 11 JPY), and the result saturates at
    /// ±[`MAX_MINOR`].
    pub fn rescale_rounded(&self, to: Currency) -> Money {
        let (from_digits, to_digits) = (self.currency.digits(), to.digits());
        let value = i128::from(self.minor);
        let scaled = if to_digits >= from_digits {
            value.saturating_mul(10i128.pow(to_digits - from_digits))
        } else {
            super::decimal::div_round_half_up(value, 10i128.pow(from_digits - to_digits))
        };
        let bound = i128::from(MAX_MINOR);
        let minor = i64::try_from(scaled.clamp(-bound, bound)).unwrap_or(0);
        Money {
            minor,
            currency: to,
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_fixed(
            i128::from(self.minor),
            self.currency.digits(),
        ))
    }
}

/// Amounts go out as decimal strings with the currency's digits: `"4.50"`.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::from_code("EUR").unwrap()
    }

    #[test]
    fn currencies_know_their_digits() {
        assert_eq!(Currency::from_code("USD").unwrap().digits(), 2);
        assert_eq!(Currency::from_code("JPY").unwrap().digits(), 0);
        assert_eq!(Currency::from_code("KWD").unwrap().digits(), 3);
        assert!(Currency::from_code("usd").is_none());
        assert!(Currency::from_code("ABC").is_none());
    }

    #[test]
    fn parses_and_formats_exactly() {
        let m = Money::parse("4.5", eur()).unwrap();
        assert_eq!(m.minor(), 450);
        assert_eq!(m.to_string(), "4.50");
        assert_eq!(
            Money::parse("0.1", eur()).unwrap().minor()
                + Money::parse("0.2", eur()).unwrap().minor(),
            30
        );
        assert_eq!(
            Money::parse("1.005", eur()),
            Err(DecimalError::TooManyDecimals { max: 2 })
        );
        let jpy = Currency::from_code("JPY").unwrap();
        assert_eq!(Money::parse("1500", jpy).unwrap().to_string(), "1500");
        assert!(Money::parse("1500.5", jpy).is_err());
        assert_eq!(
            Money::parse("10000000000000.01", eur()),
            Err(DecimalError::OutOfRange)
        );
    }

    #[test]
    fn multiplies_by_quantity_half_up() {
        let m = Money::parse("0.99", eur()).unwrap();
        assert_eq!(m.times_qty(3000).to_string(), "2.97");
        assert_eq!(m.times_qty(1500).to_string(), "1.49"); // 1.485 → 1.49
        assert_eq!(
            Money::parse("0.01", eur()).unwrap().times_qty(500).minor(),
            1
        );
    }

    #[test]
    fn rescales_between_currencies() {
        let jpy = Currency::from_code("JPY").unwrap();
        let m = Money::parse("200.00", eur()).unwrap();
        assert_eq!(m.rescale(jpy).unwrap().minor(), 200);
        assert!(Money::parse("199.99", eur()).unwrap().rescale(jpy).is_err());
        assert_eq!(
            Money::parse("199.99", eur())
                .unwrap()
                .rescale_rounded(jpy)
                .to_string(),
            "200"
        );
        assert_eq!(
            Money::parse("10.49", eur())
                .unwrap()
                .rescale_rounded(jpy)
                .to_string(),
            "10"
        );
        let kwd = Currency::from_code("KWD").unwrap();
        assert_eq!(
            Money::parse("1.5", eur())
                .unwrap()
                .rescale_rounded(kwd)
                .to_string(),
            "1.500"
        );
        assert_eq!(
            Money::from_minor(MAX_MINOR, jpy)
                .rescale_rounded(kwd)
                .minor(),
            MAX_MINOR
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        let usd = Currency::USD;
        let a = Money::parse("10.25", usd).unwrap();
        let b = Money::parse("0.30", usd).unwrap();
        assert_eq!(a.checked_add(b).unwrap().to_string(), "10.55");
        assert_eq!(b.checked_sub(a).unwrap().to_string(), "-9.95");
        assert!(b.checked_sub(a).unwrap().is_negative());
        assert_eq!(
            a.checked_add(Money::parse("1", eur()).unwrap()),
            Err(MoneyError::CurrencyMismatch(usd, eur()))
        );
        let max = Money::from_minor(i64::MAX, usd);
        assert_eq!(
            max.checked_add(Money::from_minor(1, usd)),
            Err(MoneyError::Overflow)
        );
        let min = Money::from_minor(i64::MIN, usd);
        assert_eq!(
            min.checked_sub(Money::from_minor(1, usd)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Money::sum(usd, []).unwrap(), Money::zero(usd));
        assert_eq!(Money::sum(usd, [a, b, b]).unwrap().to_string(), "10.85");
        assert_eq!(
            Money::sum(usd, [a, Money::zero(eur())]),
            Err(MoneyError::CurrencyMismatch(usd, eur()))
        );
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(minor in -MAX_MINOR..=MAX_MINOR) {
            let m = Money::from_minor(minor, eur());
            prop_assert_eq!(Money::parse(&m.to_string(), eur()), Ok(m));
        }

        #[test]
        fn checked_add_and_sub_agree_with_wide_arithmetic(a in any::<i64>(), b in any::<i64>()) {
            let (ma, mb) = (Money::from_minor(a, eur()), Money::from_minor(b, eur()));
            let wide_sum = i128::from(a) + i128::from(b);
            match ma.checked_add(mb) {
                Ok(sum) => prop_assert_eq!(i128::from(sum.minor()), wide_sum),
                Err(e) => {
                    prop_assert_eq!(e, MoneyError::Overflow);
                    prop_assert!(i64::try_from(wide_sum).is_err());
                }
            }
            let wide_diff = i128::from(a) - i128::from(b);
            match ma.checked_sub(mb) {
                Ok(diff) => prop_assert_eq!(i128::from(diff.minor()), wide_diff),
                Err(e) => {
                    prop_assert_eq!(e, MoneyError::Overflow);
                    prop_assert!(i64::try_from(wide_diff).is_err());
                }
            }
        }

        #[test]
        fn rounded_rescale_agrees_with_exact_rescale(minor in -MAX_MINOR..=MAX_MINOR) {
            let m = Money::from_minor(minor, eur());
            let jpy = Currency::from_code("JPY").unwrap();
            let rounded = m.rescale_rounded(jpy);
            if let Ok(exact) = m.rescale(jpy) {
                prop_assert_eq!(rounded, exact);
            }
            // Never more than half a yen away from the value.
            prop_assert!((i128::from(rounded.minor()) * 100 - i128::from(minor)).abs() <= 50);
        }

        #[test]
        fn sub_undoes_add(a in -MAX_MINOR..=MAX_MINOR, b in -MAX_MINOR..=MAX_MINOR) {
            let (ma, mb) = (Money::from_minor(a, eur()), Money::from_minor(b, eur()));
            prop_assert_eq!(ma.checked_add(mb).unwrap().checked_sub(mb), Ok(ma));
        }

        #[test]
        fn sum_is_exact_and_order_free(values in proptest::collection::vec(-MAX_MINOR..=MAX_MINOR, 0..50)) {
            let amounts: Vec<Money> = values.iter().map(|v| Money::from_minor(*v, eur())).collect();
            let total = Money::sum(eur(), amounts.iter().copied()).unwrap();
            prop_assert_eq!(i128::from(total.minor()), values.iter().map(|v| i128::from(*v)).sum::<i128>());
            let reversed = Money::sum(eur(), amounts.iter().rev().copied()).unwrap();
            prop_assert_eq!(total, reversed);
        }
    }
}
