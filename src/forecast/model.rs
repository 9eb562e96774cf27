//! Usage events and forecast math.

use chrono::NaiveDate;
use serde::Serialize;

use crate::domain::Qty;

/// What wrote a usage event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UsageSource {
    /// Logged directly with `POST /core/forecast/usage`.
    Manual,
    /// `POST /core/inventory/{id}/use`.
    Use,
    /// `POST /core/inventory/{id}/out_of`.
    OutOf,
}

impl UsageSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            UsageSource::Manual => "manual",
            UsageSource::Use => "use",
            UsageSource::OutOf => "out_of",
        }
    }

    pub fn parse(text: &str) -> Option<UsageSource> {
        match text {
            "manual" => Some(UsageSource::Manual),
            "use" => Some(UsageSource::Use),
            "out_of" => Some(UsageSource::OutOf),
            _ => None,
        }
    }
}

/// One recorded use of an inventory item.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UsageEvent {
    pub id: String,
    pub inv_id: String,
    #[schema(value_type = String, example = "0.5")]
    pub qty_used: Qty,
    #[schema(value_type = String, format = Date)]
    pub used_on: NaiveDate,
    pub notes: Option<String>,
    pub source: UsageSource,
    pub created_at: String,
}
