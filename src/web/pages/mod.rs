//! One module per page: what it shows and the form posts it accepts.

pub mod approvals;
pub mod board;
pub mod inventory;
pub mod receipts;
pub mod shopping;
pub mod signin;

use crate::approvals::store::Requester;
use crate::domain::DecimalInput;
use crate::domain::decimal::Decimal;
use crate::error::ApiError;
use crate::extract::Caller;

/// A decimal typed into a form field (blank fields never arrive here), with a message a person
/// understands when it is not one.
pub fn decimal(field: &str, text: Option<&str>) -> Result<Option<DecimalInput>, ApiError> {
    text.map(|t| {
        Decimal::parse(t.trim())
            .map(DecimalInput)
            .map_err(|_| ApiError::field(field, "must be a number such as 4.50"))
    })
    .transpose()
}

/// The viewer as the requester of an approval.
pub fn requester(caller: &Caller) -> Requester {
    Requester {
        member_id: Some(caller.member_id.clone()),
        name: caller.member_name.clone(),
    }
}
