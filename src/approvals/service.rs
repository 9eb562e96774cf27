//! Creating and deciding approvals; finding the approval that covers an action.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{Approval, ApprovalDraft, ApprovalStatus, Decision, Risk, covers};
use super::store::{self, Requester};
use crate::cone::model::Mode;
use crate::cone::service::{self as cone, Ask};
use crate::domain::Role;
use crate::domain::day::local_today;
use crate::domain::money::Money;
use crate::error::ApiError;
use crate::extract::Caller;
use crate::heimdall::registry::{self, ActionClass, ActionInfo, MoneyMoving};
use crate::household::model::Settings;
use crate::reminders::service as reminders;
use crate::webhooks;

/// How the cone classifies an action it does not know: as one that changes things.
const UNKNOWN_ACTION: ActionInfo = ActionInfo {
    name: "unlisted",
    class: ActionClass::Exec,
    money_moving: MoneyMoving::Never,
    min_role: Role::Member,
    description: "an action outside the catalog",
};

/// Stores a new pending approval. A missing band is the cone's verdict for executing the action
/// at the approval's amount (judged on the amount alone, not on the requester's role); a
/// missing risk follows the band. Webhooks subscribed to `approval.requested` get a delivery,
/// written in the caller's transaction.
pub async fn create(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    draft: &ApprovalDraft,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Approval, ApiError> {
    let band = match draft.cone_band {
        Some(band) => band,
        None => {
            let action = registry::find(&draft.action).unwrap_or(&UNKNOWN_ACTION);
            let ask = Ask {
                action,
                mode: Mode::Execute,
                amount: draft.amount,
                category: draft.payload.get("category").and_then(|c| c.as_str()),
                target: None,
            };
            cone::decide(conn, household_id, settings, Role::Owner, &ask)
                .await?
                .band
        }
    };
    let risk = draft.risk.unwrap_or(Risk::of_band(band));
    let approval = store::insert(conn, household_id, draft, band, risk, requester, now).await?;
    let today = local_today(now, settings.timezone);
    reminders::remind_approval(conn, household_id, &approval, today, now).await?;
    // Announced to the household's webhooks in this same transaction (the outbox).
    let data = serde_json::to_value(&approval).map_err(ApiError::internal)?;
    webhooks::enqueue(conn, household_id, webhooks::APPROVAL_REQUESTED, &data, now).await?;
    Ok(approval)
}

/// Decides a pending approval. Only owners and adults decide; the requester may not approve
/// their own request while another owner or adult could; a decided approval is a 409, and of
/// concurrent decisions exactly one wins (the update is conditional on `pending`).
pub async fn decide(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
    decision: Decision,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Approval, ApiError> {
    caller.require_adult("decide approvals")?;
    let household_id = &caller.household_id;
    let current = store::get(conn, household_id, id)
        .await?
        .ok_or_else(|| ApiError::not_found("approval"))?;
    if current.status != ApprovalStatus::Pending {
        return Err(ApiError::conflict(format!(
            "the approval is already {}",
            current.status.as_str()
        )));
    }
    if decision == Decision::Approve {
        let requester = store::requester_member(conn, household_id, id).await?;
        if requester.as_deref() == Some(caller.member_id.as_str())
            && store::other_deciders(conn, household_id, &caller.member_id).await? > 0
        {
            return Err(ApiError::forbidden(
                "you requested this approval; another owner or adult must approve it (you may deny it)",
            ));
        }
    }
    let status = match decision {
        Decision::Approve => ApprovalStatus::Approved,
        Decision::Deny => ApprovalStatus::Denied,
    };
    let decided = store::decide(
        conn,
        household_id,
        id,
        status,
        &caller.member_name,
        &caller.member_id,
        note,
        now,
    )
    .await?
    .ok_or_else(|| ApiError::conflict("the approval was decided meanwhile"))?;
    reminders::approval_decided(conn, household_id, id, now).await?;
    Ok(decided)
}

/// The newest approved approval for `action` on the target that covers `amount`.
pub async fn covering_approval(
    conn: &mut AnyConnection,
    household_id: &str,
    action: &str,
    target_type: &str,
    target_id: &str,
    amount: Option<Money>,
) -> Result<Option<String>, crate::db::DbError> {
    let approved = store::for_target(
        conn,
        household_id,
        action,
        target_type,
        target_id,
        ApprovalStatus::Approved,
    )
    .await?;
    Ok(approved
        .into_iter()
        .find(|a| covers(a.amount, amount))
        .map(|a| a.id))
}
