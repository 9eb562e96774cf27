//! Errors on page routes, rendered as HTML pages with the right status.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::db::DbError;
use crate::error::ApiError;

/// An error answered with an HTML page.
#[derive(Debug)]
pub struct PageError {
    pub error: ApiError,
    /// Where "go back" leads.
    pub back: &'static str,
}

impl PageError {
    /// Sets where the page's "go back" link leads.
    pub fn back_to(mut self, back: &'static str) -> PageError {
        self.back = back;
        self
    }
}

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> PageError {
        PageError { error, back: "/" }
    }
}

impl From<DbError> for PageError {
    fn from(error: DbError) -> PageError {
        PageError::from(ApiError::from(error))
    }
}

/// A field at fault, with a label a person recognises.
pub struct FieldView {
    pub label: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    heading: &'a str,
    detail: &'a str,
    fields: Vec<FieldView>,
    back: &'a str,
    css: &'a str,
}

/// What a form field is called on the page.
pub fn field_label(field: &str) -> String {
    let known = match field {
        "name" => "Name",
        "qty" => "Quantity",
        "unit" => "Unit",
        "min_qty" => "Low-stock level",
        "reorder_qty" => "Reorder quantity",
        "est_total" => "Estimated total",
        "est_unit_cost" => "Estimated unit cost",
        "actual_total" => "Price paid",
        "vendor" => "Shop",
        "category" => "Category",
        "amount" => "Amount",
        "date" => "Date",
        "note" => "Note",
        "decision" => "Decision",
        "file" => "File",
        "token" => "Token",
        "bought_on" => "Date bought",
        "payment_method" => "Paid with",
        "within_days" => "Days ahead",
        _ => "",
    };
    if known.is_empty() {
        let mut label = field.replace('_', " ");
        if let Some(first) = label.get(0..1) {
            label = first.to_uppercase() + &label[1..];
        }
        label
    } else {
        known.to_string()
    }
}

fn heading(error: &ApiError) -> &'static str {
    match (error.status.as_u16(), error.slug) {
        (403, "approval-required") => "An approval is needed first",
        (400, _) => "Please check what you entered",
        (401, _) => "You are not signed in",
        (403, _) => "Not allowed",
        (404, _) => "Not found",
        (405, _) => "That does not work here",
        (409, _) => "That cannot be done right now",
        (413, _) => "That is too large",
        (415, _) => "That kind of file is not supported",
        (503, _) => "Valhalla is busy",
        (s, _) if s >= 500 => "Something went wrong",
        _ => "That did not work",
    }
}

/// `the item is already bought` → `The item is already bought.`
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

/// The error page for `error`, with its status.
pub fn render(error: &ApiError, back: &str) -> Response {
    let detail = sentence(&error.detail);
    let page = ErrorPage {
        status: error.status.as_u16(),
        heading: heading(error),
        detail: &detail,
        fields: error
            .errors
            .iter()
            .map(|f| FieldView {
                label: field_label(&f.field),
                message: f.message.clone(),
            })
            .collect(),
        back,
        css: super::assets::CSS_HREF.as_str(),
    };
    let body = match page.render() {
        Ok(html) => html,
        Err(err) => {
            tracing::error!(error = %err, "rendering the error page failed");
            format!("<!doctype html><title>Error</title><p>{}</p>", error.status)
        }
    };
    let mut response = (error.status, Html(body)).into_response();
    if error.status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        render(&self.error, self.back)
    }
}

/// The page for a path no page route has.
pub fn not_found() -> Response {
    render(&ApiError::not_found("page"), "/")
}
