//! What the API changes, each through the action the pages use ([`crate::actions`]),
//! which checks the role, the agreement and the plan and writes the audit entry. The
//! answer is the thing as saved, read back from the store.

use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::ledger::Period;
use pooled_core::money::Money;
use serde::Deserialize;

use super::{ApiResult, json_body};
use crate::actions::{self, PaymentRecord};
use crate::auth::Identity;
use crate::data::{Web, parse_year};
use crate::error::WebError;
use crate::imports;
use crate::pages::{QueryPairs, get};

/// The body of `POST /api/{year}/forecasts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastEntry {
    month: String,
    cost_centre: String,
    outturn: String,
}

/// `POST /api/{year}/forecasts`.
pub async fn set_forecast(
    State(web): State<Arc<Web>>,
    who: Identity,
    Path(year): Path<String>,
    body: Bytes,
) -> ApiResult {
    let year = parse_year(&year)?;
    let entry: ForecastEntry = json_body(&body)?;
    let mut problems = Problems::default();
    let month = problems.read("month", FiscalMonth::parse(&entry.month));
    let outturn = problems.read("outturn", Money::parse(&entry.outturn));
    let (Some(month), Some(outturn)) = (month, outturn) else { return Err(problems.into_error().into()) };
    actions::set_forecast(&web, &who, year, month, entry.cost_centre.clone(), outturn).await?;
    let code = entry.cost_centre;
    let saved = web
        .stores
        .run(move |store| {
            let saved = store.forecasts(year)?.into_iter().find(|f| f.month == month && f.cost_centre == code);
            saved.ok_or_else(|| WebError::Internal("the forecast just saved cannot be read back".into()))
        })
        .await?;
    Ok(Json(pooled_app::json::forecast(&saved)))
}

/// The body of `POST /api/{year}/payments`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentEntry {
    pool: String,
    from: String,
    month: String,
    #[serde(default)]
    raised_on: Option<String>,
    #[serde(default)]
    paid_on: Option<String>,
}

/// `POST /api/{year}/payments`.
pub async fn record_payment(
    State(web): State<Arc<Web>>,
    who: Identity,
    Path(year): Path<String>,
    body: Bytes,
) -> ApiResult {
    let year = parse_year(&year)?;
    let entry: PaymentEntry = json_body(&body)?;
    let mut problems = Problems::default();
    let month = problems.read("month", FiscalMonth::parse(&entry.month));
    let mut date = |field: &str, text: Option<&str>| text.and_then(|t| problems.read(field, Date::parse_iso(t)));
    let (raised_on, paid_on) =
        (date("raised_on", entry.raised_on.as_deref()), date("paid_on", entry.paid_on.as_deref()));
    let (Some(month), false) = (month, problems.any()) else { return Err(problems.into_error().into()) };
    let (pool, from) = (entry.pool.clone(), entry.from.clone());
    actions::record_payment(&web, &who, year, PaymentRecord { pool, from, month, raised_on, paid_on }).await?;
    let shared = Arc::clone(&web);
    let saved = web
        .stores
        .run(move |store| {
            let agreement = shared.agreement(store, year)?;
            let instalment = pooled_app::scheduled_instalment(&agreement, &entry.pool, &entry.from, month)?;
            let mut one = pooled_app::json::payments(&agreement, &[instalment], Some(&store.payments(year)?));
            Ok(one["payments"][0].take())
        })
        .await?;
    Ok(Json(saved))
}

/// The fields of a body that cannot be read, each named.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn read<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        parsed.map_err(|e| self.0.push(format!("{field}: {e}"))).ok()
    }

    fn any(&self) -> bool {
        !self.0.is_empty()
    }

    fn into_error(self) -> WebError {
        WebError::Invalid(self.0)
    }
}

/// `POST /api/imports?partner=OCC&period=2016-07&file_name=occ.csv`, the file as the body:
/// started as the upload page starts it ([`imports::start`]); the job as it stands.
pub async fn import_ledger(
    State(web): State<Arc<Web>>,
    who: Identity,
    Query(query): Query<QueryPairs>,
    body: Body,
) -> ApiResult {
    let mut problems = Problems::default();
    let given = |name: &str| get(&query, name).map(str::to_string).ok_or_else(|| "missing from the query".to_string());
    let partner = problems.read("partner", given("partner"));
    let period = problems.read("period", given("period").and_then(|p| Period::parse(p.trim())));
    let file_name = problems.read("file_name", given("file_name"));
    let (Some(partner), Some(period), Some(file_name)) = (partner, period, file_name) else {
        return Err(problems.into_error().into());
    };
    let job = imports::start(&web, &who, partner, period, &file_name, body.into_data_stream()).await?;
    Ok(Json(super::reads::job_json(&job)))
}
