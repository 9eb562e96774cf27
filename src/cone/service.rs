//! Asking the cone: loads the household's policy, finds a covering approval, evaluates.

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;

use super::model::{Mode, PolicyDoc, Question, Verdict, evaluate};
use super::store;
use crate::approvals::service as approvals;
use crate::db::DbError;
use crate::domain::Role;
use crate::domain::money::Money;
use crate::heimdall::registry::ActionInfo;
use crate::household::model::Settings;

/// The household's policy and its version. A stored document that no longer parses is
/// returned as an error message, so evaluation can fail closed instead of falling back.
pub async fn load_policy(
    conn: &mut AnyConnection,
    household_id: &str,
) -> Result<(Result<PolicyDoc, String>, i64), DbError> {
    Ok(match store::get_policy(conn, household_id).await? {
        None => (Ok(PolicyDoc::default()), 1),
        Some(stored) => (
            serde_json::from_str(&stored.document).map_err(|e| e.to_string()),
            stored.version,
        ),
    })
}

/// Stores a validated policy if the version is still `expected`.
pub async fn save_policy(
    conn: &mut AnyConnection,
    household_id: &str,
    doc: &PolicyDoc,
    expected: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let document = serde_json::to_string(doc).unwrap_or_default();
    store::put_policy(conn, household_id, &document, expected, now).await
}

/// What to ask about, beyond the household and the asker.
pub struct Ask<'a> {
    pub action: &'a ActionInfo,
    pub mode: Mode,
    pub amount: Option<Money>,
    pub category: Option<&'a str>,
    /// The target, when the question is about a concrete object (needed for approvals).
    pub target: Option<(&'a str, &'a str)>,
}

/// The cone's verdict for `role` asking `ask` in this household.
pub async fn decide(
    conn: &mut AnyConnection,
    household_id: &str,
    settings: &Settings,
    role: Role,
    ask: &Ask<'_>,
) -> Result<Verdict, DbError> {
    let (policy, _) = load_policy(conn, household_id).await?;
    let covering = match ask.target {
        Some((target_type, target_id)) => {
            approvals::covering_approval(
                conn,
                household_id,
                ask.action.name,
                target_type,
                target_id,
                ask.amount,
            )
            .await?
        }
        None => None,
    };
    let policy = match policy {
        Ok(doc) => doc,
        Err(why) => {
            return Ok(Verdict {
                allow: false,
                band: super::model::Band::Red,
                requires_approval: false,
                reasons: vec![format!("the policy cannot be evaluated: {why}")],
            });
        }
    };
    Ok(evaluate(
        &policy,
        settings,
        &Question {
            action: ask.action,
            mode: ask.mode,
            amount: ask.amount,
            category: ask.category,
            role,
            covering_approval: covering.as_deref(),
        },
    ))
}
