//! Request schemas that say exactly what the parsers in `crate::domain` accept, for
//! `#[schema(value_type = …)]` and `#[param(value_type = …)]`: the document promises no more and
//! no less than the server takes. The tests at the bottom hold each pattern to its parser.
//!
//! Amounts are described for a currency with two minor digits (USD, EUR, … — most of them): a
//! household keeping a currency with other minor units (JPY 0, KWD 3) takes that many places.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

/// Characters free text refuses (`char::is_control`, except tab and newline).
const CONTROL: &str = r"\x00-\x08\x0B-\x1F\x7F-\x9F";
/// White space as `str::trim` removes it (Unicode `White_Space`), spelled out: regex engines
/// disagree on what `\s` means.
const SPACE: &str = r"\t\n\x0B\x0C\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Text that has no control characters (other than tab and newline) once surrounding white
/// space is trimmed, as `text::optional` takes it.
pub fn text_pattern() -> String {
    format!("^[{SPACE}]*[^{CONTROL}]*[{SPACE}]*$")
}

/// The same with at least one character that is not white space, as `text::required` takes it.
pub fn non_blank_pattern() -> String {
    format!("^[{SPACE}]*[^{CONTROL}]*[^{CONTROL}{SPACE}][^{CONTROL}]*[{SPACE}]*$")
}

fn text_schema(pattern: String, max: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .max_length(Some(max))
        .description(Some(description))
        .into()
}

macro_rules! text_schemas {
    ($($(#[$doc:meta])* $name:ident = $kind:ident($max:expr);)*) => {$(
        $(#[$doc])*
        pub struct $name;

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                text_schemas!(@schema $kind, $max)
            }
        }

        impl ToSchema for $name {}
    )*};
    (@schema non_blank, $max:expr) => {
        text_schema(
            non_blank_pattern(),
            $max,
            concat!(
                "Text of up to ", stringify!($max), " characters (surrounding white space is ",
                "trimmed) that is not blank and holds no control characters but tab and newline."
            ),
        )
    };
    (@schema text, $max:expr) => {
        text_schema(
            text_pattern(),
            $max,
            concat!(
                "Text of up to ", stringify!($max), " characters (surrounding white space is ",
                "trimmed; blank means none) without control characters but tab and newline."
            ),
        )
    };
}

text_schemas! {
    /// Names and titles.
    NonBlank200 = non_blank(200);
    /// Short names: locations, presets, members, actions, target types.
    NonBlank100 = non_blank(100);
    /// Receipt tags.
    NonBlank50 = non_blank(50);
    /// Units, categories, payment methods.
    Text100 = text(100);
    /// Payees, vendors.
    Text200 = text(200);
    /// File references, reasons.
    Text500 = text(500);
    /// Notes, memos.
    Text2000 = text(2000);
}

/// A decimal as a JSON number or a string: `pattern` for the string, `number` for the number.
fn decimal(pattern: &str, number: ObjectBuilder, example: &str, what: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
                .examples([example]),
        )
        .item(number.schema_type(Type::Number))
        .description(Some(what))
        .into()
}

/// Largest amount in a two-digit currency (10^15 minor units).
const MAX_MONEY: f64 = 10_000_000_000_000.0;
/// Largest quantity (10^15 milli-units).
const MAX_QTY: f64 = 1_000_000_000_000.0;

/// An amount ≥ 0 with at most two decimal places.
pub struct MoneyInput;

impl PartialSchema for MoneyInput {
    fn schema() -> RefOr<Schema> {
        decimal(
            r"^[0-9]{1,13}(\.[0-9]{1,2})?$",
            ObjectBuilder::new()
                .minimum(Some(0))
                .maximum(Some(MAX_MONEY))
                .multiple_of(Some(0.01)),
            "12.50",
            "An amount of at least 0 in the household currency, exact: a JSON number or a \
             decimal string, with at most as many decimal places as the currency has (two for \
             most), up to 10 000 000 000 000.",
        )
    }
}

impl ToSchema for MoneyInput {}

/// An amount > 0 with at most two decimal places.
pub struct PositiveMoneyInput;

impl PartialSchema for PositiveMoneyInput {
    fn schema() -> RefOr<Schema> {
        decimal(
            r"^([1-9][0-9]{0,12}(\.[0-9]{1,2})?|0\.([1-9][0-9]?|0[1-9]))$",
            ObjectBuilder::new()
                .exclusive_minimum(Some(0))
                .maximum(Some(MAX_MONEY))
                .multiple_of(Some(0.01)),
            "12.50",
            "An amount of more than 0 in the household currency, exact: a JSON number or a \
             decimal string, with at most as many decimal places as the currency has (two for \
             most), up to 10 000 000 000 000.",
        )
    }
}

impl ToSchema for PositiveMoneyInput {}

/// A quantity ≥ 0 with at most three decimal places.
pub struct QtyInput;

impl PartialSchema for QtyInput {
    fn schema() -> RefOr<Schema> {
        decimal(
            r"^[0-9]{1,12}(\.[0-9]{1,3})?$",
            ObjectBuilder::new()
                .minimum(Some(0))
                .maximum(Some(MAX_QTY))
                .multiple_of(Some(0.001)),
            "1.5",
            "A quantity of at least 0, exact: a JSON number or a decimal string with at most \
             three decimal places, up to 1 000 000 000 000.",
        )
    }
}

impl ToSchema for QtyInput {}

/// A quantity > 0 with at most three decimal places.
pub struct PositiveQtyInput;

impl PartialSchema for PositiveQtyInput {
    fn schema() -> RefOr<Schema> {
        decimal(
            r"^([1-9][0-9]{0,11}(\.[0-9]{1,3})?|0\.([1-9][0-9]{0,2}|0[1-9][0-9]?|00[1-9]))$",
            ObjectBuilder::new()
                .exclusive_minimum(Some(0))
                .maximum(Some(MAX_QTY))
                .multiple_of(Some(0.001)),
            "1.5",
            "A quantity of more than 0, exact: a JSON number or a decimal string with at most \
             three decimal places, up to 1 000 000 000 000.",
        )
    }
}

impl ToSchema for PositiveQtyInput {}

/// A calendar month, `YYYY-MM`.
pub struct MonthText;

impl PartialSchema for MonthText {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(r"^[0-9]{4}-(0[1-9]|1[0-2])$"))
            .examples(["2026-11"])
            .into()
    }
}

impl ToSchema for MonthText {}

/// An ISO 4217 code. The document lists the currencies with two minor digits, which is what the
/// amount schemas describe; codes with 0, 3 or 4 minor digits (JPY, KWD, CLF, …) are taken too,
/// with amounts of that many places.
pub struct CurrencyCode;

impl PartialSchema for CurrencyCode {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(crate::domain::money::TWO_DIGIT.iter().copied()))
            .description(Some(
                "An ISO 4217 currency code, upper case. Listed: the currencies with two minor \
                 digits; codes with 0, 3 or 4 (JPY, KWD, CLF, …) are accepted too, with amounts \
                 of that many decimal places.",
            ))
            .examples(["EUR"])
            .into()
    }
}

impl ToSchema for CurrencyCode {}

/// An RFC 5545 recurrence rule. The pattern covers the day-based rules most households need;
/// the server takes any rule of frequency DAILY … YEARLY without time-of-day parts.
pub struct RecurrenceRule;

/// Weekday codes of `BYDAY`.
const WEEKDAY: &str = "(MO|TU|WE|TH|FR|SA|SU)";

pub fn rrule_pattern() -> String {
    let interval = "(;INTERVAL=[1-9][0-9]?)?";
    let by_day = format!("(;BYDAY={WEEKDAY}(,{WEEKDAY}){{0,6}})?");
    // BYMONTHDAY belongs to monthly and yearly rules only.
    let by_month_day = "(;BYMONTHDAY=([1-9]|[12][0-9]|3[01]))?";
    format!(
        "^(FREQ=(DAILY|WEEKLY){interval}{by_day}\
         |FREQ=(MONTHLY|YEARLY){interval}{by_day}{by_month_day})$"
    )
}

impl PartialSchema for RecurrenceRule {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(rrule_pattern()))
            .description(Some(
                "An RFC 5545 RRULE value without DTSTART, recurring on days: FREQ DAILY, \
                 WEEKLY, MONTHLY or YEARLY; no BYHOUR, BYMINUTE or BYSECOND. The pattern \
                 shows the common shapes; any other valid day-based rule (COUNT, UNTIL, \
                 BYMONTH, BYSETPOS, …) is accepted too.",
            ))
            .examples(["FREQ=WEEKLY;BYDAY=SA", "FREQ=MONTHLY;BYMONTHDAY=1"])
            .into()
    }
}

impl ToSchema for RecurrenceRule {}

/// A recurrence rule where blank text means "does not recur" (schedule events).
pub struct RecurrenceRuleOrBlank;

impl PartialSchema for RecurrenceRuleOrBlank {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!(r"^\s*$|{}", rrule_pattern())))
            .description(Some(
                "Like `RecurrenceRule`; blank text means the event does not recur.",
            ))
            .into()
    }
}

impl ToSchema for RecurrenceRuleOrBlank {}

/// The name of an action in Heimdall's registry.
pub struct ActionName;

impl PartialSchema for ActionName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(
                crate::heimdall::registry::ACTIONS.iter().map(|a| a.name),
            ))
            .examples(["shopping.bought"])
            .into()
    }
}

impl ToSchema for ActionName {}

/// Per-category thresholds of a policy, by category name (1–100 characters, not blank).
pub struct CategoryRules;

impl PartialSchema for CategoryRules {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(format!("[^{SPACE}]")))
                    .max_length(Some(100)),
            ))
            .additional_properties(Some(utoipa::openapi::Ref::from_schema_name(
                "CategoryRuleInput",
            )))
            .into()
    }
}

impl ToSchema for CategoryRules {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        use crate::cone::model::CategoryRuleInput;
        schemas.push((
            CategoryRuleInput::name().into_owned(),
            CategoryRuleInput::schema(),
        ));
        <CategoryRuleInput as ToSchema>::schemas(schemas);
    }
}

/// A webhook's URL, in the one grammar `webhooks::model::url_pattern` gives the server too.
pub struct WebhookUrl;

impl PartialSchema for WebhookUrl {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(crate::webhooks::model::url_pattern()))
            .max_length(Some(crate::webhooks::model::URL_MAX))
            .into()
    }
}

impl ToSchema for WebhookUrl {}

/// An event a webhook can subscribe to.
pub struct WebhookEvent;

impl PartialSchema for WebhookEvent {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(crate::webhooks::model::EVENTS.iter().copied()))
            .into()
    }
}

impl ToSchema for WebhookEvent {}

/// An IANA time zone name, as the tz database spells it.
pub struct TimeZoneName;

impl PartialSchema for TimeZoneName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())))
            .examples(["Europe/Berlin"])
            .into()
    }
}

impl ToSchema for TimeZoneName {}

/// A page cursor: base64url text without padding, as `next_cursor` gives it.
pub struct Cursor;

/// Base64url without padding: any length but one more than a multiple of four.
pub const CURSOR_PATTERN: &str = r"^([A-Za-z0-9_-]{4})*([A-Za-z0-9_-]{2,3})?$";

impl PartialSchema for Cursor {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(CURSOR_PATTERN))
            .description(Some(
                "`next_cursor` of the previous page. A cursor is a position in the list's \
                 order; one the server did not issue starts the page at whatever position it \
                 names.",
            ))
            .into()
    }
}

impl ToSchema for Cursor {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;
    use crate::domain::{Qty, text};
    use crate::domain::{decimal::Decimal, input::DecimalInput};
    use proptest::prelude::*;
    use regex::Regex;

    fn pattern_of(schema: RefOr<Schema>, index: usize) -> Regex {
        let json = serde_json::to_value(schema).unwrap();
        let pattern = json["oneOf"][index]["pattern"]
            .as_str()
            .or(json["pattern"].as_str())
            .unwrap()
            .to_string();
        Regex::new(&pattern).unwrap()
    }

    fn money(text: &str) -> Result<(), String> {
        DecimalInput(Decimal::parse(text).map_err(|e| e.to_string())?)
            .money("m", Currency::USD)
            .map(|_| ())
            .map_err(|e| e.message)
    }

    fn positive_money(text: &str) -> Result<(), String> {
        DecimalInput(Decimal::parse(text).map_err(|e| e.to_string())?)
            .positive_money("m", Currency::USD)
            .map(|_| ())
            .map_err(|e| e.message)
    }

    fn qty(text: &str) -> bool {
        Qty::parse(text).is_ok()
    }

    fn positive_qty(text: &str) -> bool {
        Qty::parse(text).is_ok_and(|q| !q.is_zero())
    }

    proptest! {
        #[test]
        fn money_strings_the_document_allows_are_accepted(s in r"[0-9]{1,13}(\.[0-9]{1,2})?") {
            prop_assert!(pattern_of(MoneyInput::schema(), 0).is_match(&s));
            prop_assert_eq!(money(&s), Ok(()));
        }

        #[test]
        fn positive_money_matches_the_parser(s in r"(0|[1-9][0-9]{0,12})(\.[0-9]{1,3})?") {
            // Canonical spellings (no leading zeros): documented exactly when accepted.
            let documented = pattern_of(PositiveMoneyInput::schema(), 0).is_match(&s);
            let trailing_zero = s.contains('.') && s.ends_with('0');
            if !trailing_zero {
                prop_assert_eq!(documented, positive_money(&s).is_ok(), "{}", s);
            } else if documented {
                prop_assert_eq!(positive_money(&s), Ok(()));
            }
        }

        #[test]
        fn quantities_match_the_parser(s in r"[0-9]{1,13}(\.[0-9]{0,4})?") {
            if pattern_of(QtyInput::schema(), 0).is_match(&s) {
                prop_assert!(qty(&s));
            }
            if pattern_of(PositiveQtyInput::schema(), 0).is_match(&s) {
                prop_assert!(positive_qty(&s));
            }
        }

        #[test]
        fn text_matches_the_parser(s in "[\\PC\\p{Cc}]{0,12}") {
            prop_assert_eq!(
                Regex::new(&text_pattern()).unwrap().is_match(&s),
                text::optional("t", Some(&s), 100).is_ok(),
                "{:?}", s
            );
            prop_assert_eq!(
                Regex::new(&non_blank_pattern()).unwrap().is_match(&s),
                text::required("t", &s, 100).is_ok(),
                "{:?}", s
            );
        }

        #[test]
        fn text_the_document_allows_is_accepted(s in "[^\\p{Cc}]{0,30}") {
            prop_assert!(pattern_of(Text100::schema(), 0).is_match(&s));
            prop_assert!(text::optional("t", Some(&s), 100).is_ok());
            if pattern_of(NonBlank100::schema(), 0).is_match(&s) {
                prop_assert!(text::required("t", &s, 100).is_ok());
            } else {
                prop_assert!(text::required("t", &s, 100).is_err());
            }
        }

        #[test]
        fn cursors_the_document_allows_decode(s in "([A-Za-z0-9_-]{4}){0,8}([A-Za-z0-9_-]{2,3})?") {
            prop_assert!(Regex::new(CURSOR_PATTERN).unwrap().is_match(&s));
            prop_assert!(crate::pagination::PageRequest::new(None, Some(&s)).is_ok());
        }
    }

    proptest! {
        #[test]
        fn rules_the_document_allows_are_accepted(
            s in "FREQ=(DAILY|WEEKLY|MONTHLY|YEARLY)(;INTERVAL=[1-9][0-9]?)?(;BYDAY=(MO|TU|WE|TH|FR|SA|SU)(,(MO|TU|WE|TH|FR|SA|SU)){0,6})?(;BYMONTHDAY=([1-9]|[12][0-9]|3[01]))?"
        ) {
            if Regex::new(&rrule_pattern()).unwrap().is_match(&s) {
                prop_assert!(crate::domain::recurrence::Rule::parse(&s).is_ok(), "{}", s);
            } else {
                prop_assert!(s.contains("BYMONTHDAY") && (s.contains("DAILY") || s.contains("WEEKLY")));
            }
        }
    }

    #[test]
    fn listed_currencies_have_two_minor_digits() {
        for code in crate::domain::money::TWO_DIGIT {
            assert_eq!(Currency::from_code(code).unwrap().digits(), 2, "{code}");
        }
    }

    #[test]
    fn edges_of_the_decimal_patterns() {
        let positive = pattern_of(PositiveMoneyInput::schema(), 0);
        for ok in ["0.01", "0.1", "0.10", "1", "9999999999999.99"] {
            assert!(positive.is_match(ok), "{ok}");
            assert_eq!(positive_money(ok), Ok(()), "{ok}");
        }
        for refused in ["0", "0.0", "0.00", "1.234", "-1", "", "1e2"] {
            assert!(!positive.is_match(refused), "{refused}");
        }
        let positive_qty_pattern = pattern_of(PositiveQtyInput::schema(), 0);
        for ok in [
            "0.001",
            "0.01",
            "0.1",
            "0.100",
            "0.010",
            "1.5",
            "999999999999.999",
        ] {
            assert!(positive_qty_pattern.is_match(ok), "{ok}");
            assert!(positive_qty(ok), "{ok}");
        }
        for refused in ["0", "0.000", "1.2345", "-1"] {
            assert!(!positive_qty_pattern.is_match(refused), "{refused}");
        }
        let blank = pattern_of(NonBlank200::schema(), 0);
        for refused in ["", " ", "\t\n", "a\u{7f}", "a\u{0}b", "\u{85}"] {
            assert!(!blank.is_match(refused), "{refused:?}");
            assert!(text::required("t", refused, 200).is_err(), "{refused:?}");
        }
        assert!(blank.is_match(" a\tb\n "));
    }
}
