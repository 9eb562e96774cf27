//! `/receipts`: the receipt vault, newest first, with attachments (upload and download) and a
//! form for a receipt paid outside the shopping list.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::decimal;
use crate::app::App;
use crate::domain::Day;
use crate::domain::day::{format_day, local_today, parse_day};
use crate::error::ApiError;
use crate::pagination::PageRequest;
use crate::receipts::attachment::{self, MAX_ATTACHMENT_BYTES};
use crate::receipts::model::{LedgerStatus, NewReceiptBody, Receipt};
use crate::receipts::service;
use crate::receipts::store::{self, ReceiptFilter};
use crate::web::auth::{self, CSRF_FIELD, Submitted, Viewer};
use crate::web::error::PageError;
use crate::web::flash::Flash;
use crate::web::format;
use crate::web::{Layout, Section, done, page};

const BACK: &str = "/receipts";
const PAGE_SIZE: u32 = 50;

struct ReceiptView {
    id: String,
    date: String,
    vendor: String,
    category: Option<String>,
    amount: String,
    ledger: &'static str,
    ledger_error: Option<String>,
    from_shopping: bool,
    /// Type and size of the attached file.
    attachment: Option<String>,
}

#[derive(Template)]
#[template(path = "receipts.html")]
struct ReceiptsPage {
    layout: Layout,
    receipts: Vec<ReceiptView>,
    next_cursor: Option<String>,
    first_page: bool,
    today: String,
    max_upload: String,
}

fn kind_label(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPEG",
        "image/png" => "PNG",
        "image/webp" => "WebP",
        _ => "File",
    }
}

fn view(r: &Receipt, today: chrono::NaiveDate) -> ReceiptView {
    ReceiptView {
        id: r.id.clone(),
        date: format::day(r.date, today),
        vendor: r.vendor.clone().unwrap_or_else(|| "—".to_string()),
        category: r.category.clone(),
        amount: format::money(&r.amount),
        ledger: r.ledger_status.as_str(),
        ledger_error: r.ledger_error.clone(),
        from_shopping: r.shopping_item_id.is_some(),
        attachment: r
            .attachment
            .as_ref()
            .map(|a| format!("{} · {}", kind_label(&a.content_type), format::size(a.size))),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ReceiptsQuery {
    cursor: Option<String>,
}

/// `GET /receipts` (`?cursor=` continues with older receipts).
pub async fn show(
    State(app): State<Arc<App>>,
    uri: Uri,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let query: ReceiptsQuery = crate::extract::parse_query(uri.query().unwrap_or(""))?;
    let caller = &viewer.caller;
    let today = local_today(app.clock.now(), caller.settings.timezone);
    let page_req = PageRequest::new(Some(PAGE_SIZE), query.cursor.as_deref())?;
    let mut conn = app.db.read().await?;
    let rows = store::list_receipts(
        &mut conn,
        &caller.household_id,
        &ReceiptFilter::default(),
        &page_req,
    )
    .await?;
    drop(conn);
    let found = page_req.page(rows, |r| vec![format_day(r.date), r.id.clone()]);
    let layout = Layout::new(&app, &viewer, Section::Receipts, "Receipts").await?;
    page(
        &viewer,
        &ReceiptsPage {
            layout,
            receipts: found.items.iter().map(|r| view(r, today)).collect(),
            next_cursor: found.next_cursor,
            first_page: query.cursor.is_none(),
            today: format_day(today),
            max_upload: format!("{} MiB", MAX_ATTACHMENT_BYTES / (1024 * 1024)),
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    vendor: Option<String>,
    amount: Option<String>,
    date: Option<String>,
    category: Option<String>,
    payment_method: Option<String>,
}

/// `POST /receipts`: like `POST /core/receipts` (posted to the ledger).
pub async fn add(
    State(app): State<Arc<App>>,
    Submitted { viewer, form }: Submitted<AddForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let settings = &caller.settings;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let now = app.clock.now();
    let today = local_today(now, settings.timezone);
    let date = form
        .date
        .as_deref()
        .map(|d| parse_day(d.trim()).map(Day))
        .transpose()
        .map_err(|_| back(ApiError::field("date", "must be a date such as 2026-11-25")))?;
    let input = NewReceiptBody {
        vendor: form.vendor,
        amount: decimal("amount", form.amount.as_deref())
            .map_err(back)?
            .ok_or_else(|| back(ApiError::field("amount", "is required")))?,
        currency: None,
        date,
        category: form.category,
        payment_method: form.payment_method,
        tags: None,
        file_ref: None,
        post_to_ledger: None,
    }
    .validate(settings.currency, today)
    .map_err(back)?;
    let mut tx = app.db.begin().await?;
    let receipt = service::create_receipt(tx.conn(), &caller.household_id, settings, now, input)
        .await
        .map_err(back)?;
    tx.commit().await?;
    let text = format!(
        "Saved a receipt of {}{}.",
        format::money(&receipt.amount),
        receipt
            .vendor
            .as_deref()
            .map(|v| format!(" from {v}"))
            .unwrap_or_default()
    );
    let flash = if receipt.ledger_status == LedgerStatus::Failed {
        Flash::warning(format!(
            "{text} It could not be added to the ledger: {}.",
            receipt.ledger_error.unwrap_or_default()
        ))
    } else {
        Flash::success(text)
    };
    Ok(done(&viewer, BACK, flash))
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /receipts/{id}/post`: retries a failed ledger posting.
pub async fn post(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, .. }: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let mut tx = app.db.begin().await?;
    let receipt = match service::post_receipt(
        tx.conn(),
        &caller.household_id,
        &caller.settings,
        app.clock.now(),
        &id,
    )
    .await
    {
        Ok(receipt) => receipt,
        Err(err) if err.status == 409 => {
            tx.rollback().await?;
            return Ok(done(&viewer, BACK, Flash::info(err.detail)));
        }
        Err(err) => return Err(back(err)),
    };
    tx.commit().await?;
    let flash = match receipt.ledger_status {
        LedgerStatus::Posted => Flash::success("The receipt is now in the ledger."),
        _ => Flash::warning(format!(
            "Still not in the ledger: {}.",
            receipt.ledger_error.unwrap_or_default()
        )),
    };
    Ok(done(&viewer, BACK, flash))
}

fn multipart_error(err: axum::extract::multipart::MultipartError) -> PageError {
    let status = err.status();
    let error = if status == 413 {
        ApiError::payload_too_large(MAX_ATTACHMENT_BYTES)
    } else {
        let mut error = ApiError::from_status(status);
        error.detail = err.body_text();
        error
    };
    PageError::from(error).back_to(BACK)
}

/// `POST /receipts/{id}/attachment`: a multipart form with `_csrf` first, then `file`. The
/// file is read within the API's 10 MiB limit and its type recognised from its bytes by the
/// receipts module's own functions; then stored through the same service as the API's `PUT`.
pub async fn upload(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, Response> {
    let (mut parts, body) = req.into_parts();
    auth::check_origin(&parts.headers, &app).map_err(IntoResponse::into_response)?;
    let viewer = Viewer::from_request_parts(&mut parts, &app).await?;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    let fail = |e: PageError| e.into_response();
    let mut multipart = Multipart::from_request(Request::from_parts(parts, body), &app)
        .await
        .map_err(|e| fail(back(ApiError::malformed(e.body_text()))))?;
    let mut csrf: Option<String> = None;
    let mut upload: Option<(&'static str, Vec<u8>)> = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| fail(multipart_error(e)))?
    {
        match field.name() {
            Some(CSRF_FIELD) => {
                csrf = Some(field.text().await.map_err(|e| fail(multipart_error(e)))?);
            }
            Some("file") => {
                // Nothing of the file is read before the form is known to be ours.
                auth::check_csrf(&viewer, csrf.as_deref()).map_err(fail)?;
                viewer.caller.require_write().map_err(|e| fail(back(e)))?;
                if field.file_name().is_none_or(str::is_empty) {
                    return Err(fail(back(ApiError::field(
                        "file",
                        "choose a PDF, JPEG, PNG or WebP file",
                    ))));
                }
                let mut declared_headers = HeaderMap::new();
                if let Some(declared) = field
                    .content_type()
                    .and_then(|t| HeaderValue::from_str(t).ok())
                {
                    declared_headers.insert(header::CONTENT_TYPE, declared);
                }
                let declared =
                    attachment::declared_type(&declared_headers).map_err(|e| fail(back(e)))?;
                let bytes = attachment::read_stream(field, MAX_ATTACHMENT_BYTES)
                    .await
                    .map_err(|e| {
                        if e.status == 400 {
                            fail(back(ApiError::field("file", "the file is empty")))
                        } else {
                            fail(back(e))
                        }
                    })?;
                let content_type =
                    attachment::content_type(declared, &bytes).map_err(|e| fail(back(e)))?;
                upload = Some((content_type, bytes));
            }
            _ => {}
        }
    }
    auth::check_csrf(&viewer, csrf.as_deref()).map_err(fail)?;
    let caller = &viewer.caller;
    caller.require_write().map_err(|e| fail(back(e)))?;
    let Some((content_type, bytes)) = upload else {
        return Err(fail(back(ApiError::field(
            "file",
            "choose a PDF, JPEG, PNG or WebP file",
        ))));
    };
    let stored = async {
        let mut tx = app.db.begin().await?;
        let receipt = service::attach(
            tx.conn(),
            &caller.household_id,
            &id,
            None,
            content_type,
            &bytes,
            app.clock.now(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, PageError>(receipt)
    }
    .await
    .map_err(|e| fail(e.back_to(BACK)))?;
    Ok(done(
        &viewer,
        BACK,
        Flash::success(format!(
            "Attached a {} to the receipt{}.",
            kind_label(content_type),
            stored
                .vendor
                .as_deref()
                .map(|v| format!(" from {v}"))
                .unwrap_or_default()
        )),
    ))
}

/// `GET /receipts/{id}/attachment`: the file, as the API serves it (always a download).
pub async fn download(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let household_id = &viewer.caller.household_id;
    let mut conn = app.db.read().await?;
    if store::get_receipt(&mut conn, household_id, &id)
        .await?
        .is_none()
    {
        return Err(PageError::from(ApiError::not_found("receipt")).back_to(BACK));
    }
    let (content_type, bytes) = store::get_attachment(&mut conn, household_id, &id)
        .await?
        .ok_or_else(|| PageError::from(ApiError::not_found("attachment")).back_to(BACK))?;
    Ok(attachment::download(&id, &content_type, bytes))
}
