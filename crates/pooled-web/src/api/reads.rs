//! What the API reads: open to every signed-in role, as the pages are (the partners share
//! the pooled budgets' figures), except the audit log. A what-if is here too: it is a
//! POST only to carry its outturns, and saves nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use pooled_app::Anchored;
use pooled_app::json::{
    self, AuditLog, Forecasts, Imports, Month, Payments, Report, RiskShare, Savings, Text, Variations, YearEnd,
};
use pooled_core::calendar::FiscalMonth;
use pooled_core::risk_share::risk_share as share_of;
use pooled_core::settlement::settle;
use pooled_store::{AgreementYear, ImportOutcome};
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{
    AgendaItem, Decision, ImportJob as JobAnswer, JobState as Progress, Meeting, Meetings, Paper, Problem,
    WhatIfSettlement,
};
use super::openapi::{BadRequest, Forbidden, Invalid, NotFound, TooLarge};
use super::{AgreementPath, ApiError, ApiResult, JsonBody};
use crate::access;
use crate::auth::Identity;
use crate::data::{Web, consolidated_view, parse_month, parse_year, visible_agreements, years_naming};
use crate::error::WebError;
use crate::imports::{ImportJob, JobState, bad_row};
use crate::pages::imports::{InJob, job_of};
use crate::pages::what_if::{Target, what_if_outturn};
use crate::pages::{QueryPairs, get};
use crate::scope::InAgreement;
use crate::stores::blocking;

/// The agreements the caller acts in, each with the years it is loaded for.
#[utoipa::path(
    get,
    path = "/api/agreements",
    operation_id = "agreements",
    responses((status = 200, description = "Each agreement, by id.", body = json::Agreements)),
)]
pub async fn agreements(State(web): State<Arc<Web>>, who: Identity) -> ApiResult<json::Agreements> {
    let listed = web.stores.run(move |store| visible_agreements(store, &who.user)).await?;
    Ok(Json(json::agreements(&listed)))
}

/// A partner's consolidated view: its contributions, forecast variance and forecast
/// risk-share impact across the agreements of a year.
///
/// Every agreement the caller acts in where the partner (a body: an ICB, whether a
/// partner from the start or a successor from its date) holds a partner's place at the
/// end of the month, pool by pool, with the totals. The same figures as the partner's
/// page.
#[utoipa::path(
    get,
    path = "/api/partners/{partner}/{year}",
    operation_id = "partner",
    params(
        ("partner" = String, Path, description = "The body's id, like `BOB-ICB`."),
        ("year" = json::Year, Path, description = "The financial year, like `2022-23`."),
        ("month" = Option<Month>, Query, description = "The report month; the latest with actuals in any of the agreements if not given."),
    ),
    responses((status = 200, description = "The partner's view.", body = json::Consolidated), BadRequest, NotFound),
)]
pub async fn partner(
    State(web): State<Arc<Web>>,
    who: Identity,
    Path((partner, year)): Path<(String, String)>,
    Query(query): Query<QueryPairs>,
) -> ApiResult<json::Consolidated> {
    let year = parse_year(&year)?;
    let month = parse_month(get(&query, "month"))?;
    let shared = Arc::clone(&web);
    let body = partner.clone();
    let years = web.stores.run(move |store| years_naming(&shared, store, &who.user, &body, year)).await?;
    let answer = blocking(move || {
        let (view, head) = consolidated_view(&partner, year, &years, month)?;
        Ok(json::consolidated(&view, &head))
    })
    .await?;
    Ok(Json(answer))
}

/// The monthly finance report.
///
/// Every row of each pool (pool, segments, lines, cost centres) with budget, budget and
/// actual to date, forecast outturn, variance and change since the month before, and each
/// partner's forecast risk-share impact. The same shape as `pooled report --format json`.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/report",
    operation_id = "report",
    params(
        AgreementPath,
        ("month" = Option<Month>, Query, description = "The report month, `M1` (April) to `M12`; the latest with actuals if not given."),
    ),
    responses((status = 200, description = "The report.", body = Report), BadRequest, NotFound),
)]
pub async fn report(
    State(web): State<Arc<Web>>,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> ApiResult<Report> {
    let month = parse_month(get(&query, "month"))?;
    let (shared, key) = (Arc::clone(&web), at.clone());
    let data = web.stores.run(move |store| shared.year(store, &key)).await?;
    let report = blocking(move || {
        let report = data.report(data.month_or_latest(month));
        Ok(json::report(&report, &data.head))
    })
    .await?;
    Ok(Json(report))
}

/// Each pool's risk share: each partner's base and share.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/risk-share",
    operation_id = "riskShare",
    params(AgreementPath),
    responses((status = 200, description = "The risk-share tables.", body = RiskShare), NotFound),
)]
pub async fn risk_share(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<RiskShare> {
    let (shared, key) = (Arc::clone(&web), at.clone());
    let a = web.stores.run(move |store| shared.agreement(store, &key)).await?;
    let tables: Vec<_> = a.pools().iter().filter_map(|p| Some((p, share_of(&a, p)?))).collect();
    Ok(Json(json::risk_share(&a, &tables)))
}

/// The year-end settlement on the ledger, with invoices.
///
/// Each line's outturn is the sum of its cost centres' ledger actuals for the year, and
/// each saving moved into a pool without an agreed delivery strategy delivered what is
/// recorded of it (`POST /api/agreements/{agreement}/{year}/savings`); while one has no delivered amount, the
/// settlement is refused naming it. The same shape as `pooled settle --year YEAR --json`.
/// Unlike the page, which ignores a rule it does not know, a script naming one is told: it
/// would otherwise take the settlement for one with that rule waived.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/settlement",
    operation_id = "settlement",
    params(
        AgreementPath,
        ("waive" = Option<Vec<String>>, Query, style = Form, explode,
            description = "A rule of the agreement the partners waived by recorded decision; repeat for more."),
    ),
    responses((status = 200, description = "The settlement.", body = YearEnd), BadRequest, NotFound, Invalid),
)]
pub async fn settlement(
    State(web): State<Arc<Web>>,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> ApiResult<YearEnd> {
    let waived: Vec<String> = query.into_iter().filter(|(k, _)| k == "waive").map(|(_, v)| v).collect();
    let (shared, key) = (Arc::clone(&web), at.clone());
    let end = web
        .stores
        .run(move |store| {
            let agreement = shared.agreement(store, &key)?;
            let rules: BTreeSet<&str> =
                agreement.pools().iter().flat_map(|p| p.rules.iter().map(|r| r.id.as_str())).collect();
            if let Some(unknown) = waived.iter().find(|w| !rules.contains(w.as_str())) {
                let known =
                    if rules.is_empty() { "none".into() } else { rules.into_iter().collect::<Vec<_>>().join(", ") };
                return Err(WebError::BadRequest(format!(
                    "The agreement {key} has no rule `{unknown}` to waive; its rules are: {known}."
                )));
            }
            pooled_app::anchored(store, |store| pooled_app::year_end(store, &key, &waived)).map_err(WebError::from)
        })
        .await?;
    let Anchored { value: end, head } = end;
    Ok(Json(json::year_end(&end, &head)))
}

/// The payment schedule, with what is invoiced, paid and outstanding on each instalment.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/payments",
    operation_id = "payments",
    params(AgreementPath),
    responses((status = 200, description = "The schedule.", body = Payments), NotFound),
)]
pub async fn payments(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<Payments> {
    let (shared, key) = (Arc::clone(&web), at.clone());
    let (agreement, tracked) = web.stores.run(move |store| shared.payments(store, &key)).await?;
    Ok(Json(json::payments(&tracked, &pooled_core::payments::to_districts(&agreement))))
}

/// Every version of the agreement's year, oldest first: the day it takes effect, who
/// approved it, what it changed and each pool's risk share before and after.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/variations",
    operation_id = "variations",
    params(AgreementPath),
    responses((status = 200, description = "The agreement's versions.", body = Variations), NotFound),
)]
pub async fn variations(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<Variations> {
    let (shared, key) = (Arc::clone(&web), at.clone());
    let answer = web
        .stores
        .run(move |store| {
            // An agreement not loaded for the year is a 404, not an empty history.
            shared.agreement(store, &key)?;
            Ok::<_, WebError>(json::variations(&key, &pooled_app::variations(store, &key)?))
        })
        .await?;
    Ok(Json(answer))
}

/// The metrics and KPIs of the year: each series with its definition, direction, and
/// plan, actual and status period by period, and each home support measure's quarters.
///
/// The same figures as the metrics page. A figure is exact decimal text or
/// `"not available"`, a state of its own (reported, without data); null where none is
/// entered.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/metrics",
    operation_id = "metrics",
    params(AgreementPath),
    responses((status = 200, description = "Every series, in the agreement's order.", body = json::Metrics), NotFound),
)]
pub async fn metrics(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<json::Metrics> {
    Ok(Json(metrics_answer(&web, &at).await?))
}

/// The metrics of the agreement's year as the API gives them.
pub(super) async fn metrics_answer(web: &Arc<Web>, at: &AgreementYear) -> Result<json::Metrics, WebError> {
    let read = crate::pages::metrics::read(web, at).await?;
    Ok(json::metrics(&read.agreement, &read.states))
}

/// The forecasts entered for the year.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/forecasts",
    operation_id = "forecasts",
    params(AgreementPath),
    responses((status = 200, description = "Every forecast, by month entered, then cost centre.", body = Forecasts), NotFound),
)]
pub async fn forecasts(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<Forecasts> {
    let (shared, key) = (Arc::clone(&web), at.clone());
    let forecasts = web
        .stores
        .run(move |store| {
            // An agreement not loaded for the year is a 404, not an empty list.
            shared.agreement(store, &key)?;
            Ok(store.forecasts(&key)?)
        })
        .await?;
    Ok(Json(json::forecasts(&forecasts)))
}

/// The savings moved into a pool without an agreed delivery strategy, with what is
/// recorded of each: its forecasts by the month made in, and what it delivered.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/savings",
    operation_id = "savings",
    params(AgreementPath),
    responses((status = 200, description = "Each saving in the agreement's order.", body = Savings), NotFound),
)]
pub async fn savings(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<Savings> {
    let (shared, key) = (Arc::clone(&web), at.clone());
    let (a, stored) = web.stores.run(move |store| shared.savings(store, &key)).await?;
    Ok(Json(json::savings(&a, &pooled_app::saving_states(&a, &stored))))
}

/// The ledger extracts imported for the year.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/imports",
    operation_id = "imports",
    params(AgreementPath),
    responses((status = 200, description = "Every import, replaced ones too.", body = Imports), NotFound),
)]
pub async fn imports(State(web): State<Arc<Web>>, InAgreement(at): InAgreement) -> ApiResult<Imports> {
    let (shared, key) = (Arc::clone(&web), at.clone());
    let imports = web
        .stores
        .run(move |store| {
            shared.agreement(store, &key)?;
            Ok(store.imports(&key)?)
        })
        .await?;
    Ok(Json(json::imports(&imports)))
}

/// The audit log: who changed what, when, before and after.
///
/// Not for viewers or budget holders. The entries of the agreements you act in; those of
/// accounts, sign-ins and API tokens to administrators alone.
#[utoipa::path(
    get,
    path = "/api/audit",
    operation_id = "audit",
    responses((status = 200, description = "The entries you may read, oldest first.", body = AuditLog), Forbidden),
)]
pub async fn audit(State(web): State<Arc<Web>>, who: Identity) -> ApiResult<AuditLog> {
    if !access::reads_audit_log(&who.user) {
        let role = access::role_label(who.user.role).to_lowercase();
        let why = format!("You are signed in as {} (a {role}), who cannot read the audit log.", who.user.display_name);
        return Err(WebError::Forbidden(why).into());
    }
    let mut entries = web.stores.run(|store| Ok(store.audit_log()?)).await?;
    entries.retain(|e| access::reads_audit_entry(&who.user, e));
    Ok(Json(json::audit_log(&entries)))
}

/// The body of `POST /api/agreements/{agreement}/{year}/what-if`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// The month whose forecast outturns the lines not given start from; the latest
    /// with actuals if not given.
    #[serde(default)]
    #[schema(value_type = Option<Month>)]
    month: Option<String>,
    /// Outturns by `POOL:LINE`, like `{"OP:OP01": "1234.56"}`.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, json::Amount>)]
    lines: BTreeMap<String, String>,
    /// Whole-pool outturns by pool id, spread over the pool's lines by budget.
    #[serde(default)]
    #[schema(value_type = BTreeMap<String, json::Amount>)]
    pools: BTreeMap<String, String>,
}

/// The settlement on another outturn, saving nothing.
///
/// Each line not given starts at its forecast outturn at `month`; a pool's whole outturn,
/// if given, is spread over its lines in proportion to their budgets in place of theirs.
/// Built as the what-if page builds it.
#[utoipa::path(
    post,
    path = "/api/agreements/{agreement}/{year}/what-if",
    operation_id = "whatIf",
    params(AgreementPath),
    request_body = WhatIf,
    responses(
        (status = 200, description = "Every partner's settlement on that outturn.", body = WhatIfSettlement),
        BadRequest, Forbidden, NotFound, TooLarge, Invalid,
    ),
)]
pub async fn what_if(
    State(web): State<Arc<Web>>,
    InAgreement(at): InAgreement,
    JsonBody(asked): JsonBody<WhatIf>,
) -> ApiResult<WhatIfSettlement> {
    let year = at.year;
    let month = asked
        .month
        .as_deref()
        .map(FiscalMonth::parse)
        .transpose()
        .map_err(|e| WebError::Invalid(vec![format!("month: {e}")]))?;
    let (shared, key) = (Arc::clone(&web), at.clone());
    let data = web.stores.run(move |store| shared.year(store, &key)).await?;
    blocking(move || {
        let a = &data.agreement;
        let line_key = |pool: usize, line: usize| format!("{}:{}", a.pools()[pool].id, a.pools()[pool].lines[line].id);
        let known_lines: BTreeSet<String> = a
            .pools()
            .iter()
            .enumerate()
            .flat_map(|(p, pool)| (0..pool.lines.len()).map(move |l| (p, l)))
            .map(|(p, l)| line_key(p, l))
            .collect();
        let mut problems: Vec<String> = asked
            .lines
            .keys()
            .filter(|k| !known_lines.contains(*k))
            .map(|k| format!("lines.{k}: the agreement {at} has no such line (lines are named POOL:LINE)"))
            .collect();
        problems.extend(
            asked
                .pools
                .keys()
                .filter(|k| a.pool(k).is_none())
                .map(|k| format!("pools.{k}: the agreement {at} has no such pool")),
        );
        if !problems.is_empty() {
            return Err(WebError::Invalid(problems));
        }
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let outturn = what_if_outturn(a, &report, |target| match target {
            Target::Line { pool, line } => asked.lines.get(&line_key(pool, line)).map(String::as_str),
            Target::Pool(pool) => asked.pools.get(&a.pools()[pool].id).map(String::as_str),
        })
        .map_err(|errors| {
            let name = |target| match target {
                Target::Line { pool, line } => format!("lines.{}", line_key(pool, line)),
                Target::Pool(pool) => format!("pools.{}", a.pools()[pool].id),
            };
            WebError::Invalid(errors.into_iter().map(|(target, e)| format!("{}: {e}", name(target))).collect())
        })?;
        let pools = json::settlement(&settle(a, &outturn)).pools;
        Ok(WhatIfSettlement { financial_year: Text(year), month: Text(month), pools })
    })
    .await
    .map(Json)
    .map_err(ApiError::from)
}

/// How an import started through the API or the browser is going, or how it went.
///
/// A job of this server's into the agreement's year, to whoever may import its
/// partner's ledger (to anyone else it does not exist).
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/imports/{id}",
    operation_id = "importJob",
    params(
        AgreementPath,
        ("id" = u64, Path, description = "The job's number, as starting the import gave it."),
    ),
    responses((status = 200, description = "The import.", body = JobAnswer), Forbidden, NotFound),
)]
pub async fn import_job(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InJob { id }): Path<InJob>,
) -> ApiResult<JobAnswer> {
    let job = job_of(&web, &who, &at, &id)?;
    Ok(Json(job_answer(&job)))
}

/// An import job as the API gives it: its progress, then its outcome or its problems.
pub fn job_answer(job: &ImportJob) -> JobAnswer {
    let (read_bytes, total_bytes) = job.progress();
    let state = match job.state() {
        JobState::Running => Progress::Running,
        JobState::Done(ImportOutcome::Imported { rows, total, .. }) => Progress::Imported { rows, total: Text(total) },
        JobState::Done(ImportOutcome::Unchanged { .. }) => Progress::Unchanged,
        JobState::Done(ImportOutcome::Replaced { rows, total, replaced_rows, .. }) => {
            Progress::Replaced { rows, total: Text(total), replaced_rows }
        }
        JobState::Failed(lines) => {
            let problems = (lines.iter())
                .map(|line| match bad_row(line, &job.file_name) {
                    Some(bad) => Problem {
                        row: Some(bad.row.parse::<u64>().unwrap_or(0)),
                        column: Some(bad.column.to_string()),
                        message: bad.message.to_string(),
                    },
                    None => Problem { row: None, column: None, message: line.clone() },
                })
                .collect();
            Progress::Failed { problems }
        }
    };
    JobAnswer {
        id: job.id,
        partner: job.partner.clone(),
        period: Text(job.period),
        file_name: job.file_name.clone(),
        started_by: job.started_by.clone(),
        read_bytes,
        total_bytes,
        state,
    }
}

/// The board's meetings: quorum, agenda, papers and decisions with their outcomes.
///
/// Confidential agenda items, their papers and the decisions taken under them are left
/// out unless the caller is one of the board's members (a board member or the pool
/// manager), exactly as the pages show them.
#[utoipa::path(
    get,
    path = "/api/agreements/{agreement}/{year}/meetings",
    operation_id = "meetings",
    params(AgreementPath),
    responses((status = 200, description = "The year's meetings, in date order.", body = Meetings), NotFound, Invalid),
)]
pub async fn meetings(State(web): State<Arc<Web>>, who: Identity, InAgreement(at): InAgreement) -> ApiResult<Meetings> {
    let year = at.year;
    let records = crate::pages::board::load(&web, &at).await?;
    let partners = records.agreement.partners();
    let meetings = (records.meetings.iter())
        .map(|record| {
            let shown = crate::pages::board::visible(&record.meeting, &who);
            let check = &record.check;
            let items = (shown.items.iter())
                .map(|i| AgendaItem {
                    title: i.title.clone(),
                    confidential: i.confidential,
                    papers: (i.papers.iter())
                        .map(|p| Paper { title: p.title.clone(), published: p.published.map(Text) })
                        .collect(),
                })
                .collect();
            let decisions = (shown.decisions.iter())
                .filter_map(|d| {
                    let outcome = check.decisions.iter().find(|o| o.id == d.id)?;
                    Some(Decision {
                        id: d.id.clone(),
                        subject: d.subject.clone(),
                        item: d.item,
                        votes: d.votes.iter().map(|(seat, vote)| (seat.clone(), (*vote).into())).collect(),
                        outcome: outcome.outcome.into(),
                        clause: outcome.clause.clone(),
                        lead: outcome.lead.map(|l| partners[l].id.clone()),
                    })
                })
                .collect();
            Meeting {
                date: Text(shown.date),
                version: record.version,
                quorate: check.quorate,
                quorum_per_partner: record.board.quorum_per_partner,
                seats_filled: (check.seats_filled.iter().enumerate())
                    .map(|(ix, n)| (partners[ix].id.clone(), *n))
                    .collect(),
                agenda_due: Text(check.agenda.due),
                agenda_published: shown.agenda_published.map(Text),
                minutes_due: Text(check.minutes.due),
                minutes_circulated: shown.minutes_circulated.map(Text),
                items,
                decisions,
            }
        })
        .collect();
    Ok(Json(Meetings { financial_year: Text(year), meetings }))
}
