//! `/approvals`: the queue, with approve/deny for those who may decide, and recent decisions.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use sqlx::AnyConnection;

use crate::app::App;
use crate::approvals::model::{Approval, ApprovalStatus, Decision};
use crate::approvals::service;
use crate::approvals::store::{self, ApprovalFilter};
use crate::domain::day::local_today;
use crate::domain::money::{Currency, Money};
use crate::domain::text;
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::web::auth::{Submitted, Viewer};
use crate::web::error::PageError;
use crate::web::flash::Flash;
use crate::web::format;
use crate::web::pages::signin::is_local_path;
use crate::web::{Layout, Section, done, page};

/// One approval as a card shows it.
pub struct ApprovalView {
    pub id: String,
    pub title: String,
    pub amount: Option<String>,
    pub band: &'static str,
    pub risk: &'static str,
    pub status: &'static str,
    pub requested_by: String,
    pub requested_when: String,
    pub details: Vec<(String, String)>,
    pub decided_by: Option<String>,
    pub decided_when: Option<String>,
    pub note: Option<String>,
    /// The viewer may approve it.
    pub can_approve: bool,
    /// The viewer may deny it.
    pub can_deny: bool,
    /// The viewer asked for it and someone else must approve it (four eyes).
    pub own_request: bool,
}

fn detail_label(key: &str) -> String {
    match key {
        "est_total" => "Estimate".to_string(),
        "qty" => "Quantity".to_string(),
        other => crate::web::error::field_label(other),
    }
}

/// The simple members of a payload as label/value pairs, amounts as money (a name the title
/// already says is left out).
fn details(payload: &serde_json::Value, title: &str, currency: Currency) -> Vec<(String, String)> {
    let Some(object) = payload.as_object() else {
        return Vec::new();
    };
    object
        .iter()
        .filter_map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(s) if !s.is_empty() => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
                _ => return None,
            };
            if key == "name" && title.contains(text.as_str()) {
                return None;
            }
            let text = if matches!(key.as_str(), "est_total" | "amount" | "price") {
                Money::parse(&text, currency).map_or(text, |m| format::money(&m))
            } else {
                text
            };
            Some((detail_label(key), text))
        })
        .take(6)
        .collect()
}

/// Cards for `approvals`, with what the viewer may do with each.
pub async fn views(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    approvals: &[Approval],
    today: chrono::NaiveDate,
) -> Result<Vec<ApprovalView>, PageError> {
    let caller = &viewer.caller;
    let may_decide = caller.role.can_manage_money();
    let others = if may_decide
        && approvals
            .iter()
            .any(|a| a.status == ApprovalStatus::Pending)
    {
        store::other_deciders(conn, &caller.household_id, &caller.member_id).await?
    } else {
        0
    };
    let tz = caller.settings.timezone;
    let mut views = Vec::with_capacity(approvals.len());
    for a in approvals {
        let pending = a.status == ApprovalStatus::Pending;
        let own_request = pending
            && may_decide
            && others > 0
            && store::requester_member(conn, &caller.household_id, &a.id)
                .await?
                .as_deref()
                == Some(caller.member_id.as_str());
        views.push(ApprovalView {
            id: a.id.clone(),
            title: a.title.clone(),
            amount: a.amount.as_ref().map(format::money),
            band: a.cone_band.as_str(),
            risk: a.risk.as_str(),
            status: a.status.as_str(),
            requested_by: a.requested_by.clone(),
            requested_when: format::instant_day(&a.created_at, tz, today),
            details: details(&a.payload, &a.title, caller.settings.currency),
            decided_by: a.decided_by.clone(),
            decided_when: a
                .decided_at
                .as_deref()
                .map(|at| format::instant_day(at, tz, today)),
            note: a.note.clone(),
            can_approve: pending && may_decide && !own_request,
            can_deny: pending && may_decide,
            own_request,
        });
    }
    Ok(views)
}

#[derive(Template)]
#[template(path = "approvals.html")]
struct ApprovalsPage {
    layout: Layout,
    pending: Vec<ApprovalView>,
    decided: Vec<ApprovalView>,
    back: &'static str,
}

async fn list(
    conn: &mut AnyConnection,
    household_id: &str,
    status: ApprovalStatus,
    limit: u32,
) -> Result<Vec<Approval>, PageError> {
    let page = PageRequest::new(Some(limit), None)?;
    let filter = ApprovalFilter {
        status: Some(status),
        ..ApprovalFilter::default()
    };
    let rows = store::list(conn, household_id, &filter, &page).await?;
    Ok(page.page(rows, |a| vec![a.id.clone()]).items)
}

/// `GET /approvals`.
pub async fn show(State(app): State<Arc<App>>, viewer: Viewer) -> Result<Response, PageError> {
    let household_id = viewer.caller.household_id.clone();
    let today = local_today(app.clock.now(), viewer.caller.settings.timezone);
    let mut conn = app.db.read().await?;
    let pending = list(&mut conn, &household_id, ApprovalStatus::Pending, 100).await?;
    let mut decided = list(&mut conn, &household_id, ApprovalStatus::Approved, 15).await?;
    decided.extend(list(&mut conn, &household_id, ApprovalStatus::Denied, 15).await?);
    decided.sort_by(|a, b| b.decided_at.cmp(&a.decided_at).then(b.id.cmp(&a.id)));
    decided.truncate(15);
    let pending = views(&mut conn, &viewer, &pending, today).await?;
    let decided = views(&mut conn, &viewer, &decided, today).await?;
    drop(conn);
    let layout = Layout::new(&app, &viewer, Section::Approvals, "Approvals").await?;
    page(
        &viewer,
        &ApprovalsPage {
            layout,
            pending,
            decided,
            back: "/approvals",
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    decision: Decision,
    note: Option<String>,
    back: Option<String>,
}

/// `POST /approvals/{id}/decide`: the same decision as `POST /core/approvals/{id}/decide`,
/// with its role check and four-eyes rule.
pub async fn decide(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, form }: Submitted<DecideForm>,
) -> Result<Response, PageError> {
    let back = form
        .back
        .filter(|b| is_local_path(b))
        .unwrap_or_else(|| "/approvals".to_string());
    let note = text::optional("note", form.note.as_deref(), 2000).map_err(ApiError::from)?;
    let mut tx = app.db.begin().await?;
    let decided = service::decide(
        tx.conn(),
        &viewer.caller,
        &id,
        form.decision,
        note.as_deref(),
        app.clock.now(),
    )
    .await;
    match decided {
        Ok(approval) => {
            tx.commit().await?;
            let flash = match approval.status {
                ApprovalStatus::Approved => Flash::success(format!("Approved: {}", approval.title)),
                _ => Flash::info(format!("Denied: {}", approval.title)),
            };
            Ok(done(&viewer, &back, flash))
        }
        Err(err) if err.status == 409 => {
            drop(tx);
            Ok(done(&viewer, &back, Flash::warning(err.detail)))
        }
        Err(err) => Err(PageError::from(err).back_to("/approvals")),
    }
}
