//! Approvals: a person's yes (or no) to something an automation or a member wants to do.

use serde::{Deserialize, Serialize};

use crate::cone::model::Band;
use crate::domain::decimal::Decimal;
use crate::domain::money::{Currency, Money};
use crate::domain::{DecimalInput, text};
use crate::error::{ApiError, FieldError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn as_str(&self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Risk> {
        match text {
            "low" => Some(Risk::Low),
            "medium" => Some(Risk::Medium),
            "high" => Some(Risk::High),
            _ => None,
        }
    }

    /// The risk that goes with a cone band when none is given.
    pub fn of_band(band: Band) -> Risk {
        match band {
            Band::Green => Risk::Low,
            Band::Yellow => Risk::Medium,
            Band::Red => Risk::High,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Denied,
}

impl ApprovalStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Denied => "denied",
        }
    }

    pub fn parse(text: &str) -> Option<ApprovalStatus> {
        match text {
            "pending" => Some(ApprovalStatus::Pending),
            "approved" => Some(ApprovalStatus::Approved),
            "denied" => Some(ApprovalStatus::Denied),
            _ => None,
        }
    }
}

/// An approval request and, once decided, its decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Approval {
    pub id: String,
    pub title: String,
    /// The action asked for, e.g. `shopping.bought`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub cone_band: Band,
    pub risk: Risk,
    /// What was asked, as the requester described it (a JSON object).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The amount this approval covers; a larger amount needs a new approval.
    #[schema(value_type = Option<String>, example = "249.00")]
    pub amount: Option<Money>,
    pub status: ApprovalStatus,
    /// The member's name, or `scheduler`.
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub note: Option<String>,
    pub created_at: String,
    pub version: i64,
}

/// `POST /core/approvals`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApproval {
    #[schema(value_type = crate::openapi::schemas::NonBlank200, example = "Buy a new vacuum cleaner")]
    pub title: String,
    #[schema(value_type = crate::openapi::schemas::NonBlank100, example = "shopping.bought")]
    pub action: String,
    #[schema(value_type = crate::openapi::schemas::NonBlank100, example = "shopping_item")]
    pub target_type: String,
    #[schema(value_type = crate::openapi::schemas::NonBlank200)]
    pub target_id: String,
    /// Details of the request (a JSON object). An `amount` or `est_total` in it is the amount
    /// covered when `amount` is not given.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Default: from the cone's band.
    pub risk: Option<Risk>,
    /// Default: the cone's verdict for executing `action` at `amount`.
    pub cone_band: Option<Band>,
    /// The amount the approval covers (household currency).
    #[schema(value_type = Option<crate::openapi::schemas::MoneyInput>)]
    pub amount: Option<DecimalInput>,
}

/// A checked approval request, ready to store.
#[derive(Debug, Clone)]
pub struct ApprovalDraft {
    pub title: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub payload: serde_json::Value,
    pub risk: Option<Risk>,
    pub cone_band: Option<Band>,
    pub amount: Option<Money>,
}

/// Largest payload stored, in bytes of JSON.
const PAYLOAD_MAX: usize = 16 * 1024;

/// Reads a decimal amount out of a payload member, if it holds one.
fn payload_amount(payload: &serde_json::Value, currency: Currency) -> Option<Money> {
    ["amount", "est_total"].iter().find_map(|key| {
        let text = match payload.get(*key)? {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s.clone(),
            _ => return None,
        };
        Money::from_decimal(Decimal::parse(&text).ok()?, currency)
            .ok()
            .filter(|m| m.minor() >= 0)
    })
}

impl NewApproval {
    pub fn validate(self, currency: Currency) -> Result<ApprovalDraft, ApiError> {
        let title = text::required("title", &self.title, 200)?;
        let action = text::required("action", &self.action, 100)?;
        let target_type = text::required("target_type", &self.target_type, 100)?;
        let target_id = text::required("target_id", &self.target_id, 200)?;
        if !self.payload.is_object() {
            return Err(FieldError::new("payload", "must be a JSON object").into());
        }
        if self.payload.to_string().len() > PAYLOAD_MAX {
            return Err(
                FieldError::new("payload", format!("must be at most {PAYLOAD_MAX} bytes")).into(),
            );
        }
        let amount = match self.amount {
            Some(a) => Some(a.money("amount", currency)?),
            None => payload_amount(&self.payload, currency),
        };
        Ok(ApprovalDraft {
            title,
            action,
            target_type,
            target_id,
            payload: self.payload,
            risk: self.risk,
            cone_band: self.cone_band,
            amount,
        })
    }
}

/// `decision` of `POST /core/approvals/{id}/decide`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    Approve,
    Deny,
}

/// Whether an approved approval of `amount` covers `asked` (both in one currency).
/// An approval without an amount covers only questions without one.
pub fn covers(approved: Option<Money>, asked: Option<Money>) -> bool {
    match (approved, asked) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a.currency() == b.currency() && a.minor() >= b.minor(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Money {
        Money::parse(s, Currency::USD).unwrap()
    }

    #[test]
    fn approvals_cover_up_to_their_amount() {
        assert!(covers(Some(usd("250")), Some(usd("250"))));
        assert!(covers(Some(usd("250")), Some(usd("100"))));
        assert!(!covers(Some(usd("250")), Some(usd("250.01"))));
        assert!(!covers(None, Some(usd("1"))));
        assert!(covers(None, None));
    }

    #[test]
    fn amount_comes_from_the_payload_when_not_given() {
        let draft = NewApproval {
            title: "TV".into(),
            action: "shopping.bought".into(),
            target_type: "shopping_item".into(),
            target_id: "x".into(),
            payload: serde_json::json!({"name": "TV", "est_total": "499.00"}),
            risk: None,
            cone_band: None,
            amount: None,
        }
        .validate(Currency::USD)
        .unwrap();
        assert_eq!(draft.amount, Some(usd("499")));
        let err = NewApproval {
            title: "TV".into(),
            action: "shopping.bought".into(),
            target_type: "shopping_item".into(),
            target_id: "x".into(),
            payload: serde_json::json!(["not", "an", "object"]),
            risk: None,
            cone_band: None,
            amount: None,
        }
        .validate(Currency::USD)
        .unwrap_err();
        assert_eq!(err.errors[0].field, "payload");
    }
}
