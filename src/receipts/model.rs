//! Receipts: types and pure rules.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::input::{currency_or, day_until_today};
use crate::domain::money::{Currency, Money};
use crate::domain::text::{self, normalize_name};
use crate::domain::{Day, DecimalInput};
use crate::error::{ApiError, FieldError};
use crate::ledger::model::category;

pub const VENDOR_MAX: usize = 200;
pub const PAYMENT_METHOD_MAX: usize = 100;
pub const FILE_REF_MAX: usize = 500;
pub const TAG_MAX: usize = 50;
pub const TAGS_MAX: usize = 20;

/// What happened when the receipt was to be posted to the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LedgerStatus {
    /// An expense entry records it (`ledger_entry_id`).
    Posted,
    /// Posting was attempted and failed (`ledger_error` says why); the receipt is kept.
    Failed,
    /// Created with `post_to_ledger: false`.
    Skipped,
}

impl LedgerStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            LedgerStatus::Posted => "posted",
            LedgerStatus::Failed => "failed",
            LedgerStatus::Skipped => "skipped",
        }
    }

    pub fn parse(text: &str) -> Option<LedgerStatus> {
        match text {
            "posted" => Some(LedgerStatus::Posted),
            "failed" => Some(LedgerStatus::Failed),
            "skipped" => Some(LedgerStatus::Skipped),
            _ => None,
        }
    }
}

/// The outcome of (not) posting a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerOutcome {
    Posted { entry_id: String },
    Failed { reason: String },
    Skipped,
}

impl LedgerOutcome {
    pub fn status(&self) -> LedgerStatus {
        match self {
            LedgerOutcome::Posted { .. } => LedgerStatus::Posted,
            LedgerOutcome::Failed { .. } => LedgerStatus::Failed,
            LedgerOutcome::Skipped => LedgerStatus::Skipped,
        }
    }

    pub fn entry_id(&self) -> Option<&str> {
        match self {
            LedgerOutcome::Posted { entry_id } => Some(entry_id),
            _ => None,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            LedgerOutcome::Failed { reason } => Some(reason),
            _ => None,
        }
    }
}

/// A stored attachment's description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    #[schema(example = "application/pdf")]
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
}

/// A receipt as served.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    pub id: String,
    pub vendor: Option<String>,
    #[schema(value_type = String, example = "23.80")]
    pub amount: Money,
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    pub category: Option<String>,
    pub payment_method: Option<String>,
    /// Lower-case, in the order given.
    pub tags: Vec<String>,
    /// Where the paper original is kept, or any outside reference.
    pub file_ref: Option<String>,
    /// The shopping item this receipt was created from.
    pub shopping_item_id: Option<String>,
    pub ledger_entry_id: Option<String>,
    pub ledger_status: LedgerStatus,
    /// Why posting failed (`ledger_status: failed`).
    pub ledger_error: Option<String>,
    pub attachment: Option<AttachmentInfo>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// A checked receipt, ready to be stored (and posted). Built from a request body, or by other
/// modules (a bought shopping item) directly.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReceiptInput {
    pub vendor: Option<String>,
    pub amount: Money,
    /// Default: today in the household's time zone.
    pub date: Option<NaiveDate>,
    pub category: Option<String>,
    pub payment_method: Option<String>,
    pub tags: Vec<String>,
    pub file_ref: Option<String>,
    pub shopping_item_id: Option<String>,
    pub post_to_ledger: bool,
}

/// `POST /core/receipts`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReceiptBody {
    #[schema(value_type = Option<crate::openapi::schemas::Text200>, example = "Corner Grocer")]
    pub vendor: Option<String>,
    /// More than 0.
    #[schema(value_type = crate::openapi::schemas::PositiveMoneyInput)]
    pub amount: DecimalInput,
    /// ISO 4217; default the household currency. Receipts in another currency are kept but
    /// cannot be posted to the ledger (`ledger_status: failed`).
    #[schema(value_type = Option<crate::openapi::schemas::CurrencyCode>)]
    pub currency: Option<String>,
    /// Default today; not after today.
    pub date: Option<Day>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>, example = "groceries")]
    pub category: Option<String>,
    #[schema(value_type = Option<crate::openapi::schemas::Text100>, example = "card")]
    pub payment_method: Option<String>,
    /// Up to 20 tags of up to 50 characters; compared case-insensitively.
    #[schema(value_type = Option<Vec<crate::openapi::schemas::NonBlank50>>, max_items = 20)]
    pub tags: Option<Vec<String>>,
    #[schema(value_type = Option<crate::openapi::schemas::Text500>)]
    pub file_ref: Option<String>,
    /// Default true: record the receipt as a ledger expense.
    pub post_to_ledger: Option<bool>,
}

impl NewReceiptBody {
    pub fn validate(
        self,
        household_currency: Currency,
        today: NaiveDate,
    ) -> Result<NewReceiptInput, ApiError> {
        let currency = currency_or("currency", self.currency.as_deref(), household_currency)?;
        Ok(NewReceiptInput {
            vendor: text::optional("vendor", self.vendor.as_deref(), VENDOR_MAX)?,
            amount: self.amount.positive_money("amount", currency)?,
            date: Some(day_until_today("date", self.date, today)?),
            category: category("category", self.category.as_deref())?,
            payment_method: text::optional(
                "payment_method",
                self.payment_method.as_deref(),
                PAYMENT_METHOD_MAX,
            )?,
            tags: tags(self.tags.unwrap_or_default())?,
            file_ref: text::optional("file_ref", self.file_ref.as_deref(), FILE_REF_MAX)?,
            shopping_item_id: None,
            post_to_ledger: self.post_to_ledger.unwrap_or(true),
        })
    }
}

/// Normalises tags: trimmed, whitespace collapsed, lower-case, duplicates dropped.
pub fn tags(raw: Vec<String>) -> Result<Vec<String>, FieldError> {
    if raw.len() > TAGS_MAX {
        return Err(FieldError::new(
            "tags",
            format!("must hold at most {TAGS_MAX} tags"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for (i, tag) in raw.iter().enumerate() {
        let field = format!("tags[{i}]");
        let checked = text::required(&field, tag, TAG_MAX)?;
        let tag = normalize_name(&checked);
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    Ok(out)
}

/// A tag from a query string, in the stored form.
pub fn tag_filter(raw: &str) -> Result<String, FieldError> {
    text::required("tag", raw, TAG_MAX).map(|t| normalize_name(&t))
}

/// The ledger memo of a receipt.
pub fn ledger_memo(vendor: Option<&str>) -> String {
    match vendor {
        Some(vendor) => format!("Receipt: {vendor}"),
        None => "Receipt".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn validate(json: &str) -> Result<NewReceiptInput, ApiError> {
        serde_json::from_str::<NewReceiptBody>(json)
            .unwrap()
            .validate(Currency::USD, today())
    }

    #[test]
    fn receipts_get_defaults() {
        let r =
            validate(r#"{"amount": 12.3, "tags": [" Food ", "food", "Weekly  Shop"]}"#).unwrap();
        assert_eq!(r.amount.to_string(), "12.30");
        assert_eq!(r.date, Some(today()));
        assert_eq!(r.tags, ["food", "weekly shop"]);
        assert!(r.post_to_ledger);
        assert_eq!(r.shopping_item_id, None);
        let r = validate(r#"{"amount": 500, "currency": "JPY", "post_to_ledger": false}"#).unwrap();
        assert_eq!(r.amount.to_string(), "500");
        assert!(!r.post_to_ledger);
    }

    #[test]
    fn bad_fields_are_named() {
        let long_tag = format!(r#"{{"amount": 1, "tags": ["ok", "{}"]}}"#, "x".repeat(51));
        let many = format!(r#"{{"amount": 1, "tags": {:?}}}"#, vec!["t"; 21]);
        for (json, field) in [
            (r#"{"amount": 0}"#.to_string(), "amount"),
            (r#"{"amount": "1.234"}"#.to_string(), "amount"),
            (
                r#"{"amount": 1, "currency": "EURO"}"#.to_string(),
                "currency",
            ),
            (r#"{"amount": 1, "date": "2026-11-26"}"#.to_string(), "date"),
            (
                r#"{"amount": 1, "tags": ["a", " "]}"#.to_string(),
                "tags[1]",
            ),
            (long_tag, "tags[1]"),
            (many, "tags"),
            (
                format!(r#"{{"amount": 1, "vendor": "{}"}}"#, "v".repeat(201)),
                "vendor",
            ),
        ] {
            let err = validate(&json).unwrap_err();
            assert_eq!(err.errors[0].field, field, "{json}");
        }
    }

    #[test]
    fn outcomes_map_to_statuses() {
        let posted = LedgerOutcome::Posted {
            entry_id: "e1".into(),
        };
        assert_eq!(posted.status(), LedgerStatus::Posted);
        assert_eq!(posted.entry_id(), Some("e1"));
        let failed = LedgerOutcome::Failed {
            reason: "no".into(),
        };
        assert_eq!(
            (failed.status(), failed.reason()),
            (LedgerStatus::Failed, Some("no"))
        );
        assert_eq!(LedgerOutcome::Skipped.status(), LedgerStatus::Skipped);
        for s in [
            LedgerStatus::Posted,
            LedgerStatus::Failed,
            LedgerStatus::Skipped,
        ] {
            assert_eq!(LedgerStatus::parse(s.as_str()), Some(s));
        }
    }
}
