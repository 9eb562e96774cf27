//! `/inventory`: what is in the house, what is low, how long it lasts; use, run out, restock
//! and add items.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;

use super::decimal;
use crate::app::App;
use crate::domain::Qty;
use crate::domain::day::local_today;
use crate::error::ApiError;
use crate::forecast::model::{DEFAULT_WINDOW_DAYS, Forecast};
use crate::inventory::model::NewItem;
use crate::inventory::service::{self, RunOut};
use crate::inventory::store::{self, ItemFilter, ItemRecord};
use crate::pagination::PageRequest;
use crate::web::auth::{Submitted, Viewer};
use crate::web::error::PageError;
use crate::web::flash::Flash;
use crate::web::format;
use crate::web::{Layout, Section, done, page};

const BACK: &str = "/inventory";
/// Items shown on one page.
const PAGE_ITEMS: u32 = 500;

struct ItemView {
    id: String,
    name: String,
    category: Option<String>,
    qty: String,
    low: bool,
    empty: bool,
    min_qty: Option<String>,
    days_left: Option<(String, &'static str)>,
    runs_out: Option<String>,
}

#[derive(Template)]
#[template(path = "inventory.html")]
struct InventoryPage {
    layout: Layout,
    items: Vec<ItemView>,
    q: String,
    low_only: bool,
    low_count: usize,
    more: bool,
    window_days: u32,
}

#[derive(Debug, Default, Deserialize)]
struct InventoryQuery {
    q: Option<String>,
    low: Option<String>,
}

fn view(record: &ItemRecord, forecast: Option<&Forecast>, today: chrono::NaiveDate) -> ItemView {
    let item = record.to_item();
    let days_left = forecast.and_then(|f| f.days_left.as_deref()).map(|d| {
        let (label, urgency) = format::days_left(d);
        (label, urgency.css())
    });
    ItemView {
        id: item.id.clone(),
        name: item.name.clone(),
        category: item.category.clone(),
        qty: format::qty(item.qty, item.unit.as_deref()),
        low: item.low_stock,
        empty: item.qty.is_zero(),
        min_qty: (!item.min_qty.is_zero()).then(|| format::qty(item.min_qty, item.unit.as_deref())),
        days_left,
        runs_out: forecast
            .and_then(|f| f.depletion_date)
            .map(|d| format::day(d, today)),
    }
}

/// `GET /inventory` (`?q=` name contains, `?low=1` low stock only).
pub async fn show(
    State(app): State<Arc<App>>,
    uri: Uri,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let query: InventoryQuery = crate::extract::parse_query(uri.query().unwrap_or(""))?;
    let q = query.q.unwrap_or_default().trim().to_string();
    let low_only = query.low.is_some_and(|l| !l.is_empty() && l != "0");
    let caller = &viewer.caller;
    let household_id = caller.household_id.as_str();
    let today = local_today(app.clock.now(), caller.settings.timezone);
    let forecasts: HashMap<String, Forecast> = app
        .forecast
        .rollup(
            &app.db,
            household_id,
            today,
            DEFAULT_WINDOW_DAYS,
            crate::forecast::model::MAX_ROLLUP_LIMIT as usize,
        )
        .await?
        .into_iter()
        .map(|f| (f.inv_id.clone(), f))
        .collect();
    let mut conn = app.db.read().await?;
    let page_req = PageRequest::new(Some(PAGE_ITEMS), None)?;
    let filter = ItemFilter {
        low_only,
        name_contains: (!q.is_empty()).then(|| q.clone()),
        ..ItemFilter::default()
    };
    let records = store::list_items(&mut conn, household_id, &filter, &page_req).await?;
    drop(conn);
    let more = records.len() > PAGE_ITEMS as usize;
    let items: Vec<ItemView> = records
        .iter()
        .take(PAGE_ITEMS as usize)
        .map(|r| view(r, forecasts.get(&r.id), today))
        .collect();
    let low_count = items.iter().filter(|i| i.low).count();
    let layout = Layout::new(&app, &viewer, Section::Inventory, "Inventory").await?;
    page(
        &viewer,
        &InventoryPage {
            layout,
            items,
            q,
            low_only,
            low_count,
            more,
            window_days: DEFAULT_WINDOW_DAYS,
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct AddForm {
    name: Option<String>,
    qty: Option<String>,
    unit: Option<String>,
    min_qty: Option<String>,
    est_unit_cost: Option<String>,
    category: Option<String>,
}

/// `POST /inventory`: like `POST /core/inventory`.
pub async fn add(
    State(app): State<Arc<App>>,
    Submitted { viewer, form }: Submitted<AddForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let currency = caller.settings.currency;
    let fields = NewItem {
        name: form.name.unwrap_or_default(),
        qty: decimal("qty", form.qty.as_deref()).map_err(back)?,
        unit: form.unit,
        location_id: None,
        category: form.category,
        min_qty: decimal("min_qty", form.min_qty.as_deref()).map_err(back)?,
        reorder_qty: None,
        est_unit_cost: decimal("est_unit_cost", form.est_unit_cost.as_deref()).map_err(back)?,
    }
    .validate(currency)
    .map_err(back)?;
    let mut tx = app.db.begin().await?;
    let record = service::create_item(
        tx.conn(),
        &caller.household_id,
        &fields,
        currency,
        app.clock.now(),
    )
    .await
    .map_err(back)?;
    tx.commit().await?;
    let item = record.to_item();
    Ok(done(
        &viewer,
        BACK,
        Flash::success(format!(
            "Added {} ({} on hand).",
            item.name,
            format::qty(item.qty, item.unit.as_deref())
        )),
    ))
}

#[derive(Debug, Deserialize)]
pub struct QtyForm {
    qty: Option<String>,
}

fn positive_qty(form: QtyForm) -> Result<Qty, ApiError> {
    let qty = decimal("qty", form.qty.as_deref())?
        .ok_or_else(|| ApiError::field("qty", "is required"))?;
    Ok(qty.positive_qty("qty")?)
}

/// `POST /inventory/{id}/use`: like `POST /core/inventory/{id}/use` (logs the usage).
pub async fn use_some(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, form }: Submitted<QtyForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let qty = positive_qty(form).map_err(back)?;
    let now = app.clock.now();
    let today = local_today(now, caller.settings.timezone);
    let mut tx = app.db.begin().await?;
    match service::use_item(tx.conn(), &caller.household_id, &id, qty, today, None, now).await {
        Ok(record) => {
            tx.commit().await?;
            let item = record.to_item();
            let unit = item.unit.as_deref();
            Ok(done(
                &viewer,
                BACK,
                Flash::success(format!(
                    "Used {} of {}: {} left.",
                    format::qty(qty, unit),
                    item.name,
                    format::qty(item.qty, unit)
                )),
            ))
        }
        Err(err) if err.status == 409 => {
            tx.rollback().await?;
            Ok(done(
                &viewer,
                BACK,
                Flash::warning(format!("Nothing changed: {}.", err.detail)),
            ))
        }
        Err(err) => Err(back(err)),
    }
}

#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// `POST /inventory/{id}/out_of`: like `POST /core/inventory/{id}/out_of`.
pub async fn out_of(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, .. }: Submitted<NoFields>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let now = app.clock.now();
    let run_out = RunOut {
        used_on: local_today(now, caller.settings.timezone),
        notes: None,
    };
    let mut tx = app.db.begin().await?;
    let record = service::out_of(tx.conn(), &caller.household_id, &id, run_out, now)
        .await
        .map_err(back)?;
    tx.commit().await?;
    Ok(done(
        &viewer,
        BACK,
        Flash::success(format!("Marked {} as run out.", record.name)),
    ))
}

/// `POST /inventory/{id}/restock`: like `POST /core/inventory/{id}/restock`.
pub async fn restock(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Submitted { viewer, form }: Submitted<QtyForm>,
) -> Result<Response, PageError> {
    let caller = &viewer.caller;
    let back = |e: ApiError| PageError::from(e).back_to(BACK);
    caller.require_write().map_err(back)?;
    let qty = positive_qty(form).map_err(back)?;
    let mut tx = app.db.begin().await?;
    let record = service::restock(tx.conn(), &caller.household_id, &id, qty, app.clock.now())
        .await
        .map_err(back)?;
    tx.commit().await?;
    let item = record.to_item();
    Ok(done(
        &viewer,
        BACK,
        Flash::success(format!(
            "Restocked {}: {} on hand.",
            item.name,
            format::qty(item.qty, item.unit.as_deref())
        )),
    ))
}
