//! Schedule events: types and pure rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::money::{Currency, Money};
use crate::domain::recurrence::{Rule, Series};
use crate::domain::{Day, DecimalInput, Patch, Qty, WholeNumber, text};
use crate::error::{ApiError, FieldError};

pub const TITLE_MAX: usize = 200;
pub const ITEM_NAME_MAX: usize = 200;
pub const NOTES_MAX: usize = 2000;
/// Largest `remind_days_before`.
pub const REMIND_MAX: i64 = 365;
/// Default `remind_days_before` (SPEC §4).
pub const REMIND_DEFAULT: i64 = 1;
/// An occurrence window holds at most this many dates (SPEC §4).
pub const MAX_WINDOW_DATES: i64 = 366;

/// What an event is about. Only `need` events feed the shopping list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Need,
    Chore,
    Appointment,
    Other,
}

impl Kind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Kind::Need => "need",
            Kind::Chore => "chore",
            Kind::Appointment => "appointment",
            Kind::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "need" => Some(Kind::Need),
            "chore" => Some(Kind::Chore),
            "appointment" => Some(Kind::Appointment),
            "other" => Some(Kind::Other),
            _ => None,
        }
    }
}

/// A scheduled event, once or recurring.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    pub title: String,
    pub kind: Kind,
    /// The first (or only) date.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// RFC 5545 RRULE, e.g. `FREQ=WEEKLY;BYDAY=SA`; the series starts on `date`.
    #[schema(example = "FREQ=WEEKLY;BYDAY=SA")]
    pub rrule: Option<String>,
    /// Last day the event may occur on (inclusive).
    #[schema(value_type = Option<String>, format = Date)]
    pub until: Option<NaiveDate>,
    /// For needs: what to buy (default: the title).
    pub item_name: Option<String>,
    /// For needs: how much to buy (default 1).
    #[schema(value_type = Option<String>, example = "2")]
    pub qty: Option<Qty>,
    #[schema(value_type = Option<String>, example = "3.49")]
    pub est_unit_cost: Option<Money>,
    pub inv_id: Option<String>,
    pub notes: Option<String>,
    pub remind_days_before: i64,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// The checked fields of an event, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EventFields {
    pub title: String,
    pub kind: Kind,
    pub date: NaiveDate,
    pub rule: Option<Rule>,
    pub until: Option<NaiveDate>,
    pub item_name: Option<String>,
    pub qty: Option<Qty>,
    pub est_unit_cost: Option<Money>,
    pub inv_id: Option<String>,
    pub notes: Option<String>,
    pub remind_days_before: i64,
}

impl EventFields {
    /// The dates this event falls on.
    pub fn series(&self) -> Series<'_> {
        Series {
            start: self.date,
            rule: self.rule.as_ref(),
            until: self.until,
        }
    }

    /// Rules between fields.
    fn checked(self) -> Result<EventFields, FieldError> {
        if self.until.is_some_and(|until| until < self.date) {
            return Err(FieldError::new("until", "must not be before date"));
        }
        Ok(self)
    }
}

fn rule(text: &str) -> Result<Option<Rule>, FieldError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Rule::parse(text)
        .map(Some)
        .map_err(|message| FieldError::new("rrule", message))
}

fn remind_days(value: i64) -> Result<i64, FieldError> {
    if (0..=REMIND_MAX).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::new(
            "remind_days_before",
            format!("must be between 0 and {REMIND_MAX}"),
        ))
    }
}

/// `POST /core/schedule`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEvent {
    #[schema(value_type = crate::openapi::schemas::NonBlank200, example = "Weekly groceries")]
    pub title: String,
    /// Default `other`.
    pub kind: Option<Kind>,
    pub date: Day,
    #[schema(value_type = Option<crate::openapi::schemas::RecurrenceRuleOrBlank>)]
    pub rrule: Option<String>,
    /// The last day of the series; not before `date`.
    pub until: Option<Day>,
    #[schema(value_type = Option<crate::openapi::schemas::Text200>, example = "Milk")]
    pub item_name: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::PositiveQtyInput>)]
    pub qty: Option<DecimalInput>,
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub est_unit_cost: Option<DecimalInput>,
    pub inv_id: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text2000>)]
    pub notes: Option<String>,
    /// 0–365, default 1.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 365)]
    pub remind_days_before: Option<WholeNumber>,
}

impl NewEvent {
    pub fn validate(self, currency: Currency) -> Result<EventFields, ApiError> {
        let fields = EventFields {
            title: text::required("title", &self.title, TITLE_MAX)?,
            kind: self.kind.unwrap_or(Kind::Other),
            date: self.date.0,
            rule: self.rrule.as_deref().map(rule).transpose()?.flatten(),
            until: self.until.map(|d| d.0),
            item_name: text::optional("item_name", self.item_name.as_deref(), ITEM_NAME_MAX)?,
            qty: self.qty.map(|q| q.positive_qty("qty")).transpose()?,
            est_unit_cost: self
                .est_unit_cost
                .map(|c| c.money("est_unit_cost", currency))
                .transpose()?,
            inv_id: self.inv_id,
            notes: text::optional("notes", self.notes.as_deref(), NOTES_MAX)?,
            remind_days_before: remind_days(
                self.remind_days_before.map_or(REMIND_DEFAULT, |d| d.0),
            )?,
        };
        Ok(fields.checked()?)
    }
}

/// `PATCH /core/schedule/{id}`: fields absent are kept; `null` clears an optional field.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventPatch {
    #[serde(default)]
    #[schema(value_type = crate::openapi::schemas::NonBlank200)]
    pub title: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Kind)]
    pub kind: Patch<Kind>,
    #[serde(default)]
    #[schema(value_type = Day)]
    pub date: Patch<Day>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::RecurrenceRuleOrBlank>)]
    pub rrule: Patch<String>,
    /// Not before `date`.
    #[serde(default)]
    #[schema(value_type = Option<Day>)]
    pub until: Patch<Day>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::Text200>)]
    pub item_name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::PositiveQtyInput>)]
    pub qty: Patch<DecimalInput>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub est_unit_cost: Patch<DecimalInput>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub inv_id: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::schemas::Text2000>)]
    pub notes: Patch<String>,
    /// 0–365.
    #[serde(default)]
    #[schema(value_type = i64, minimum = 0, maximum = 365)]
    pub remind_days_before: Patch<WholeNumber>,
}

fn required<T>(field: &str, patch: Patch<T>, current: T) -> Result<T, FieldError> {
    match patch {
        Patch::Keep => Ok(current),
        Patch::Clear => Err(FieldError::new(field, "must not be null")),
        Patch::Set(v) => Ok(v),
    }
}

/// A patch of an optional text whose value may itself normalise to "none".
fn optional_text(
    field: &str,
    patch: Patch<String>,
    current: Option<String>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match patch {
        Patch::Keep => Ok(current),
        Patch::Clear => Ok(None),
        Patch::Set(v) => text::optional(field, Some(&v), max),
    }
}

impl EventPatch {
    /// The fields after applying this patch to `current`; nothing is applied on error.
    pub fn apply(self, current: EventFields, currency: Currency) -> Result<EventFields, ApiError> {
        let title = match self.title {
            Patch::Set(title) => text::required("title", &title, TITLE_MAX)?,
            other => required("title", other, current.title)?,
        };
        let rule = match self.rrule {
            Patch::Keep => current.rule,
            Patch::Clear => None,
            Patch::Set(text) => rule(&text)?,
        };
        let fields = EventFields {
            title,
            kind: required("kind", self.kind, current.kind)?,
            date: required("date", self.date.map(|d| d.0), current.date)?,
            rule,
            until: self.until.map(|d| d.0).apply(current.until),
            item_name: optional_text(
                "item_name",
                self.item_name,
                current.item_name,
                ITEM_NAME_MAX,
            )?,
            qty: self
                .qty
                .try_map(|q| q.positive_qty("qty"))?
                .apply(current.qty),
            est_unit_cost: self
                .est_unit_cost
                .try_map(|c| c.money("est_unit_cost", currency))?
                .apply(current.est_unit_cost),
            inv_id: self.inv_id.apply(current.inv_id),
            notes: optional_text("notes", self.notes, current.notes, NOTES_MAX)?,
            remind_days_before: match self.remind_days_before {
                Patch::Set(days) => remind_days(days.0)?,
                other => required(
                    "remind_days_before",
                    other.map(|d| d.0),
                    current.remind_days_before,
                )?,
            },
        };
        Ok(fields.checked()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_event(json: &str) -> Result<EventFields, ApiError> {
        serde_json::from_str::<NewEvent>(json)
            .unwrap()
            .validate(Currency::USD)
    }

    fn field_of(err: ApiError) -> String {
        err.errors[0].field.clone()
    }

    #[test]
    fn new_events_take_defaults_and_check_fields() {
        let fields = new_event(r#"{"title": " Groceries ", "date": "2026-11-28"}"#).unwrap();
        assert_eq!(fields.title, "Groceries");
        assert_eq!(fields.kind, Kind::Other);
        assert_eq!(fields.remind_days_before, 1);
        assert_eq!(fields.rule, None);
        let fields = new_event(r#"{"title": "x", "date": "2026-11-28", "rrule": " "}"#).unwrap();
        assert_eq!(fields.rule, None, "a blank rule means no recurrence");
        for (json, field) in [
            (r#"{"title": "", "date": "2026-11-28"}"#, "title"),
            (
                r#"{"title": "x", "date": "2026-11-28", "rrule": "FREQ=NEVER"}"#,
                "rrule",
            ),
            (
                r#"{"title": "x", "date": "2026-11-28", "until": "2026-11-27"}"#,
                "until",
            ),
            (r#"{"title": "x", "date": "2026-11-28", "qty": 0}"#, "qty"),
            (
                r#"{"title": "x", "date": "2026-11-28", "remind_days_before": 366}"#,
                "remind_days_before",
            ),
            (
                r#"{"title": "x", "date": "2026-11-28", "est_unit_cost": "-1"}"#,
                "est_unit_cost",
            ),
        ] {
            assert_eq!(field_of(new_event(json).unwrap_err()), field, "{json}");
        }
    }

    #[test]
    fn patches_keep_clear_and_recheck() {
        let current = new_event(
            r#"{"title": "Milk run", "kind": "need", "date": "2026-11-28",
                "rrule": "FREQ=WEEKLY", "until": "2026-12-31", "item_name": "Milk"}"#,
        )
        .unwrap();
        let patch: EventPatch =
            serde_json::from_str(r#"{"rrule": null, "item_name": "  ", "qty": "2"}"#).unwrap();
        let next = patch.apply(current.clone(), Currency::USD).unwrap();
        assert_eq!(next.rule, None);
        assert_eq!(next.item_name, None);
        assert_eq!(next.qty, Some(Qty::parse("2").unwrap()));
        assert_eq!(next.until, current.until);
        let patch: EventPatch = serde_json::from_str(r#"{"date": "2027-01-01"}"#).unwrap();
        let err = patch.apply(current.clone(), Currency::USD).unwrap_err();
        assert_eq!(
            field_of(err),
            "until",
            "until must still follow the new date"
        );
        let patch: EventPatch = serde_json::from_str(r#"{"kind": null}"#).unwrap();
        let err = patch.apply(current, Currency::USD).unwrap_err();
        assert_eq!(field_of(err), "kind");
    }
}
