//! What the API changes, each through the action the pages use ([`crate::actions`]),
//! which checks the role, the agreement and the plan and writes the audit entry. The
//! answer is the thing as saved, read back from the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use pooled_app::json::{self, Amount, Day, Forecast, LoadedAgreement, Month, Payment, Saving};
use pooled_core::bcf::returns::StatementField;
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::ledger::Period;
use pooled_core::metrics::{Figure, FigureKind, MetricPeriod};
use pooled_core::money::Money;
use pooled_core::savings::SavingFigure;
use pooled_store::{Approval, MetricEntry};
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{ImportJob, ReturnStatements};
use super::openapi::{BadRequest, Forbidden, Invalid, NotFound, TooLarge};
use super::{AgreementPath, ApiResult, JsonBody, ReturnPath};
use crate::actions;
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::imports;
use crate::pages::returns::{self, InReturn};
use crate::pages::{QueryPairs, get};
use crate::scope::InAgreement;
use pooled_app::PaymentRecord;

/// The body of `POST /api/agreements/{agreement}/{year}/forecasts`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForecastEntry {
    #[schema(value_type = Month)]
    month: String,
    /// The cost centre's code, as in the plan.
    cost_centre: String,
    #[schema(value_type = Amount)]
    outturn: String,
    /// Enter it although it is below the cost centre's actual to date (refunds or credits
    /// still to come); without this, such a forecast is refused. The report marks it.
    #[serde(default)]
    confirm_below_actual: bool,
}

/// Enter a cost centre's forecast outturn for a month.
///
/// Budget holders forecast their own cost centres, partner finance officers their
/// partner's, the pool manager any. A closed month refuses it, and so does a forecast
/// below the cost centre's actual to date unless `confirm_below_actual` says it is meant.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/forecasts",
    operation_id = "setForecast",
    params(AgreementPath),
    request_body = ForecastEntry,
    responses(
        (status = 200, description = "The forecast as saved.", body = Forecast),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn set_forecast(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    JsonBody(entry): JsonBody<ForecastEntry>,
) -> ApiResult<Forecast> {
    let mut problems = Problems::default();
    let month = problems.read("month", FiscalMonth::parse(&entry.month));
    let outturn = problems.read("outturn", Money::parse(&entry.outturn));
    let (Some(month), Some(outturn)) = (month, outturn) else { return Err(problems.into_error().into()) };
    let forecast = actions::Forecast {
        month,
        cost_centre: entry.cost_centre.clone(),
        outturn,
        confirm_below_actual: entry.confirm_below_actual,
    };
    actions::set_forecast(&web, &who, &at, forecast).await?;
    let code = entry.cost_centre;
    let key = at.clone();
    let saved = web
        .stores
        .run(move |store| {
            let saved = store.forecasts(&key)?.into_iter().find(|f| f.month == month && f.cost_centre == code);
            saved.ok_or_else(|| WebError::Internal("the forecast just saved cannot be read back".into()))
        })
        .await?;
    Ok(Json(json::forecast(&saved)))
}

/// The body of `POST /api/agreements/{agreement}/{year}/metrics`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricFigures {
    /// Saved all together, or none of them.
    figures: Vec<MetricFigure>,
}

/// One figure of a metric or KPI.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricFigure {
    /// The metric's or KPI's id (a home support measure's: `ID.new-hours`, `ID.total-hours`).
    metric: String,
    /// `W1`-`W52`, `M1`-`M12`, `Q1`-`Q4` or `year`, as the metric is measured.
    period: String,
    /// `plan` or `actual`.
    kind: String,
    /// A number (`"85.5"`, `"20,400"`) or `"not available"`.
    value: String,
}

/// Enter figures of the metrics and KPIs: plans or actuals, for any periods.
///
/// All or nothing, as the metrics page and `pooled metric` enter them. The pool manager
/// enters any series; a partner's finance officer only those of a KPI naming their partner.
/// The answer is the year's metrics with the figures saved.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/metrics",
    operation_id = "setMetrics",
    params(AgreementPath),
    request_body = MetricFigures,
    responses(
        (status = 200, description = "The year's metrics, with the figures saved.", body = json::Metrics),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn set_metrics(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    JsonBody(body): JsonBody<MetricFigures>,
) -> ApiResult<json::Metrics> {
    let mut problems = Problems::default();
    let mut entries = Vec::new();
    for (i, f) in body.figures.iter().enumerate() {
        let period = problems.read(&format!("figures[{i}].period"), MetricPeriod::parse(&f.period));
        let kind = problems.read(&format!("figures[{i}].kind"), FigureKind::parse(&f.kind));
        let figure = problems.read(&format!("figures[{i}].value"), Figure::parse(&f.value));
        if let (Some(period), Some(kind), Some(figure)) = (period, kind, figure) {
            entries.push(MetricEntry { series: f.metric.clone(), period, kind, figure });
        }
    }
    if entries.is_empty() && !problems.any() {
        problems.0.push("figures: give at least one figure".into());
    }
    if problems.any() {
        return Err(problems.into_error().into());
    }
    actions::set_metrics(&web, &who, &at, entries).await?;
    Ok(Json(super::reads::metrics_answer(&web, &at).await?))
}

/// The body of `POST /api/agreements/{agreement}/{year}/payments`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentEntry {
    /// The pool's id.
    pool: String,
    /// The paying partner's id, or its successor's for an instalment due from the
    /// succession date (as the payments list names it).
    from: String,
    /// The id of the partner paid: needed only when the paying partner pays more than one
    /// in the pool.
    #[serde(default)]
    to: Option<String>,
    /// The instalment's month.
    #[schema(value_type = Month)]
    month: String,
    /// When it was raised (invoiced): records its invoice.
    #[serde(default)]
    #[schema(value_type = Option<Day>)]
    raised_on: Option<String>,
    /// When a payment was received: records the payment.
    #[serde(default)]
    #[schema(value_type = Option<Day>)]
    paid_on: Option<String>,
    /// The amount invoiced (by default the instalment) or paid (by default the balance
    /// outstanding); with both dates, the invoice is paid in that amount.
    #[serde(default)]
    #[schema(value_type = Option<Amount>)]
    amount: Option<String>,
}

/// Record an instalment's invoice, a payment on it, or both.
///
/// Finance officers of either body to the instalment on its due date may (a successor
/// from its date), as may the pool manager. Part payments add up; a payment before the invoice, or of more than is outstanding, is
/// refused.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/payments",
    operation_id = "recordPayment",
    params(AgreementPath),
    request_body = PaymentEntry,
    responses(
        (status = 200, description = "The instalment as now recorded.", body = Payment),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn record_payment(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    JsonBody(entry): JsonBody<PaymentEntry>,
) -> ApiResult<Payment> {
    let mut problems = Problems::default();
    let month = problems.read("month", FiscalMonth::parse(&entry.month));
    let mut date = |field: &str, text: Option<&str>| text.and_then(|t| problems.read(field, Date::parse_iso(t)));
    let (raised_on, paid_on) =
        (date("raised_on", entry.raised_on.as_deref()), date("paid_on", entry.paid_on.as_deref()));
    let amount = entry.amount.as_deref().and_then(|a| problems.read("amount", Money::parse(a)));
    let (Some(month), false) = (month, problems.any()) else { return Err(problems.into_error().into()) };
    let PaymentEntry { pool, from, to, .. } = entry;
    let record = PaymentRecord { pool, from, to, month, raised_on, paid_on, amount };
    let saved = actions::record_payment(&web, &who, &at, record).await?;
    Ok(Json(json::payment(&saved)))
}

/// The body of `POST /api/agreements/{agreement}/{year}/variations`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgreementFile {
    /// The agreement file's text (TOML, as `pooled load` reads it), of the agreement and
    /// year in the address.
    agreement_toml: String,
    /// The file's name, which refusals and warnings name; `agreement.toml` unless given.
    #[serde(default)]
    file_name: Option<String>,
    /// The day the variation takes effect, within the financial year; needed once
    /// instalments are invoiced or paid, ledgers imported or forecasts entered.
    #[serde(default)]
    #[schema(value_type = Option<Day>)]
    effective: Option<String>,
    /// Who approved it, in the approver's words (a board decision, say); needed with
    /// `effective`.
    #[serde(default)]
    approved_by: Option<String>,
}

/// Load the agreement's year from its file: its first version, or a variation that takes
/// effect from a day, with who approved it.
///
/// As `pooled load FILE --effective DATE --approved-by TEXT`, refused alike: a day outside
/// the year or before the current version's, a variation without a day once anything has
/// happened under the agreement, instalments that could not add up to a partner's new
/// contribution. Instalments invoiced, paid or due before the day stay as they were. The
/// file must be of the agreement and year in the address. The pool manager and
/// administrators only.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/variations",
    operation_id = "loadAgreement",
    params(AgreementPath),
    request_body = AgreementFile,
    responses(
        (status = 200, description = "What loading the file did.", body = LoadedAgreement),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn load_agreement(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    JsonBody(file): JsonBody<AgreementFile>,
) -> ApiResult<LoadedAgreement> {
    let mut problems = Problems::default();
    let effective = file.effective.as_deref().and_then(|day| problems.read("effective", Date::parse_iso(day)));
    let approved_by = file.approved_by.map(|a| a.trim().to_string()).filter(|a| !a.is_empty());
    if problems.any() {
        return Err(problems.into_error().into());
    }
    let name = file.file_name.unwrap_or_else(|| "agreement.toml".into());
    let approval = Approval { effective, approved_by };
    let loaded = actions::load_agreement(&web, &who, &at, name, file.agreement_toml, approval).await?;
    Ok(Json(json::loaded(&loaded)))
}

/// The body of `POST /api/agreements/{agreement}/{year}/savings`: a forecast of a saving's delivery made in a
/// month (`forecast` with `month`), or what it delivered (`delivered`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavingEntry {
    /// The saving's id in the agreement.
    saving: String,
    /// What it will deliver in the year, as forecast in `month`.
    #[serde(default)]
    #[schema(value_type = Option<Amount>)]
    forecast: Option<String>,
    /// The month the forecast is made in; only with `forecast`.
    #[serde(default)]
    #[schema(value_type = Option<Month>)]
    month: Option<String>,
    /// What it delivered in the year; not with `forecast`.
    #[serde(default)]
    #[schema(value_type = Option<Amount>)]
    delivered: Option<String>,
}

/// Record what a saving moved into a pool without an agreed delivery strategy will
/// deliver, or delivered.
///
/// A forecast is made in a month (a closed month refuses it); the monthly report's
/// forecast risk-share impact takes the latest. What it delivered is recorded at the
/// year's end, and the settlement needs it. The pool manager's alone.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/savings",
    operation_id = "recordSaving",
    params(AgreementPath),
    request_body = SavingEntry,
    responses(
        (status = 200, description = "The saving with everything now recorded of it.", body = Saving),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn record_saving(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    JsonBody(entry): JsonBody<SavingEntry>,
) -> ApiResult<Saving> {
    let mut problems = Problems::default();
    let mut amount = |field: &str, text: &str| problems.read(field, Money::parse(text));
    let figure = match (entry.forecast.as_deref(), entry.month.as_deref(), entry.delivered.as_deref()) {
        (Some(forecast), Some(month), None) => {
            let amount = amount("forecast", forecast);
            let month = problems.read("month", FiscalMonth::parse(month));
            amount.zip(month).map(|(amount, month)| (SavingFigure::Forecast(month), amount))
        }
        (None, None, Some(delivered)) => amount("delivered", delivered).map(|amount| (SavingFigure::Delivered, amount)),
        _ => {
            problems.0.push("give `forecast` with `month`, or `delivered` alone".into());
            None
        }
    };
    let Some((figure, amount)) = figure else { return Err(problems.into_error().into()) };
    let saving = entry.saving;
    actions::record_saving(&web, &who, &at, pooled_app::SavingEntry { saving: saving.clone(), figure, amount }).await?;
    let (shared, key) = (Arc::clone(&web), at.clone());
    let saved = web
        .stores
        .run(move |store| {
            let (agreement, stored) = shared.savings(store, &key)?;
            let states = pooled_app::saving_states(&agreement, &stored);
            let state = states.iter().find(|s| s.saving.id == saving);
            let state =
                state.ok_or_else(|| WebError::Internal("the saving just recorded cannot be read back".into()))?;
            Ok(json::saving(&agreement, state))
        })
        .await?;
    Ok(Json(saved))
}

/// The body of `POST /api/agreements/{agreement}/{year}/bcf/returns/{return}/statements`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatementEntries {
    /// Each field's text, by field: `completed-by`, `contact`, `narrative` or
    /// `condition:KEY` (as the GET lists them). At most 10,000 characters each; an empty
    /// text clears it; the fields not given stay as they are.
    statements: BTreeMap<String, String>,
}

/// Write what the area states in a return: its cover's fields and each condition's
/// assurance statement.
///
/// All of them or none: a field the return does not have, a text too long or holding
/// control characters refuses them all. A text starting with `=` is kept as text, and the
/// workbook gives it as text. The pool manager's alone. The answer is the return's
/// statements as now written.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/bcf/returns/{return}/statements",
    operation_id = "setBcfStatements",
    params(AgreementPath, ReturnPath),
    request_body = StatementEntries,
    responses(
        (status = 200, description = "The return's statements, as now written.", body = ReturnStatements),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn set_bcf_statements(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InReturn { named }): Path<InReturn>,
    JsonBody(body): JsonBody<StatementEntries>,
) -> ApiResult<ReturnStatements> {
    let kind = returns::return_kind(&named)?;
    let mut problems = Problems::default();
    let mut entries = Vec::new();
    for (field, text) in body.statements {
        if let Some(field) = problems.read(&format!("statements.{field}"), StatementField::parse(&field)) {
            entries.push((field, text));
        }
    }
    if entries.is_empty() && !problems.any() {
        problems.0.push("statements: give at least one field".into());
    }
    if problems.any() {
        return Err(problems.into_error().into());
    }
    actions::set_statements(&web, &who, &at, kind, entries).await?;
    Ok(Json(super::reads::statements_answer(&web, &at, kind).await?))
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

/// Import a partner's ledger extract for a month: all of it or none.
///
/// The body is the file itself (CSV or XLSX, as the partner's saved mapping lays it out).
/// The import runs in the background, started as the upload page starts it: poll
/// `/api/agreements/{agreement}/{year}/imports/{id}` until its status is no longer
/// `running`. Partner finance officers import for the body they act for (a successor's
/// from its date), the pool manager any.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/imports",
    operation_id = "importLedger",
    params(
        AgreementPath,
        ("partner" = String, Query, description = "The partner's id in the agreement, like `OCC`, or its successor's for a month from the succession date."),
        ("period" = json::Period, Query, description = "The calendar month of the extract, like `2016-07`: a month of the year in the address."),
        ("file_name" = String, Query, description = "The file's name; its extension (`.csv`, `.xlsx`) says how to read it."),
    ),
    request_body(
        description = "The extract, as exported from the ledger.",
        content(("text/csv"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("application/octet-stream")),
    ),
    responses(
        (status = 200, description = "The import, started.", body = ImportJob),
        BadRequest, Forbidden, TooLarge, Invalid,
    ),
)]
pub async fn import_ledger(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
    body: Body,
) -> ApiResult<ImportJob> {
    let mut problems = Problems::default();
    let given = |name: &str| get(&query, name).map(str::to_string).ok_or_else(|| "missing from the query".to_string());
    let partner = problems.read("partner", given("partner"));
    let period = problems.read("period", given("period").and_then(|p| Period::parse(p.trim())));
    let file_name = problems.read("file_name", given("file_name"));
    let (Some(partner), Some(period), Some(file_name)) = (partner, period, file_name) else {
        return Err(problems.into_error().into());
    };
    let job = imports::start(&web, &who, &at, partner, period, &file_name, body.into_data_stream()).await?;
    Ok(Json(super::reads::job_answer(&job)))
}
