//! What the API reads: open to every signed-in role, as the pages are (the partners share
//! the pooled budgets' figures), except the audit log. A what-if is here too: it is a
//! POST only to carry its outturns, and saves nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use pooled_core::calendar::FiscalMonth;
use pooled_core::payments::schedule;
use pooled_core::risk_share::risk_share as share_of;
use pooled_core::settlement::settle;
use pooled_store::ImportOutcome;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiResult, json_body};
use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::{Web, parse_month, parse_year};
use crate::error::WebError;
use crate::imports::{ImportJob, JobState, bad_row};
use crate::pages::what_if::{Target, what_if_outturn};
use crate::pages::{QueryPairs, get};
use crate::stores::blocking;

/// `GET /api/years`.
pub async fn years(State(web): State<Arc<Web>>) -> ApiResult {
    let shared = Arc::clone(&web);
    let years = web
        .stores
        .run(move |store| {
            let mut years = Vec::new();
            for year in store.financial_years()? {
                let Some(stored) = store.agreement(year)? else { continue };
                let agreement = shared.agreement(store, year)?;
                years.push(json!({
                    "financial_year": year.to_string(),
                    "agreement_id": stored.agreement_id,
                    "name": agreement.name(),
                    "version": stored.version,
                    "loaded_at": stored.loaded_at.to_string(),
                }));
            }
            Ok(years)
        })
        .await?;
    Ok(Json(json!({ "years": years })))
}

/// `GET /api/{year}/report?month=M6`.
pub async fn report(
    State(web): State<Arc<Web>>,
    Path(year): Path<String>,
    Query(query): Query<QueryPairs>,
) -> ApiResult {
    let year = parse_year(&year)?;
    let month = parse_month(get(&query, "month"))?;
    let shared = Arc::clone(&web);
    let data = web.stores.run(move |store| shared.year(store, year)).await?;
    let report = blocking(move || {
        let report = data.report(data.month_or_latest(month));
        Ok(pooled_app::json::report(&data.agreement, &report))
    })
    .await?;
    Ok(Json(report))
}

/// `GET /api/{year}/risk-share`.
pub async fn risk_share(State(web): State<Arc<Web>>, Path(year): Path<String>) -> ApiResult {
    let year = parse_year(&year)?;
    let shared = Arc::clone(&web);
    let a = web.stores.run(move |store| shared.agreement(store, year)).await?;
    let tables: Vec<_> = a.pools().iter().filter_map(|p| Some((p, share_of(&a, p)?))).collect();
    Ok(Json(pooled_app::json::risk_share(&a, &tables)))
}

/// `GET /api/{year}/settlement?waive=RULE`: the year end on the ledger. Unlike the page,
/// which ignores a rule it does not know, a script naming one is told: it would
/// otherwise take the settlement for one with that rule waived.
pub async fn settlement(
    State(web): State<Arc<Web>>,
    Path(year): Path<String>,
    Query(query): Query<QueryPairs>,
) -> ApiResult {
    let year = parse_year(&year)?;
    let waived: Vec<String> = query.into_iter().filter(|(k, _)| k == "waive").map(|(_, v)| v).collect();
    let shared = Arc::clone(&web);
    let end = web
        .stores
        .run(move |store| {
            let agreement = shared.agreement(store, year)?;
            let rules: BTreeSet<&str> =
                agreement.pools().iter().flat_map(|p| p.rules.iter().map(|r| r.id.as_str())).collect();
            if let Some(unknown) = waived.iter().find(|w| !rules.contains(w.as_str())) {
                let known =
                    if rules.is_empty() { "none".into() } else { rules.into_iter().collect::<Vec<_>>().join(", ") };
                return Err(WebError::BadRequest(format!(
                    "The {year} agreement has no rule `{unknown}` to waive; its rules are: {known}."
                )));
            }
            Ok(pooled_app::year_end(store, year, &waived)?)
        })
        .await?;
    Ok(Json(pooled_app::json::year_end(&end.agreement, &end.settlements, &end.invoices)))
}

/// `GET /api/{year}/payments`.
pub async fn payments(State(web): State<Arc<Web>>, Path(year): Path<String>) -> ApiResult {
    let year = parse_year(&year)?;
    let shared = Arc::clone(&web);
    let (a, recorded) =
        web.stores.run(move |store| Ok((shared.agreement(store, year)?, store.payments(year)?))).await?;
    Ok(Json(pooled_app::json::payments(&a, &schedule(&a), Some(&recorded))))
}

/// `GET /api/{year}/forecasts`.
pub async fn forecasts(State(web): State<Arc<Web>>, Path(year): Path<String>) -> ApiResult {
    let year = parse_year(&year)?;
    let shared = Arc::clone(&web);
    let forecasts = web
        .stores
        .run(move |store| {
            // A year without an agreement is a 404, not an empty list.
            shared.agreement(store, year)?;
            Ok(store.forecasts(year)?)
        })
        .await?;
    Ok(Json(pooled_app::json::forecasts(&forecasts)))
}

/// `GET /api/{year}/imports`.
pub async fn imports(State(web): State<Arc<Web>>, Path(year): Path<String>) -> ApiResult {
    let year = parse_year(&year)?;
    let shared = Arc::clone(&web);
    let imports = web
        .stores
        .run(move |store| {
            shared.agreement(store, year)?;
            Ok(store.imports(year)?)
        })
        .await?;
    Ok(Json(pooled_app::json::imports(&imports)))
}

/// `GET /api/audit`.
pub async fn audit(State(web): State<Arc<Web>>, who: Identity) -> ApiResult {
    if !access::reads_audit_log(&who.user) {
        let role = access::role_label(who.user.role).to_lowercase();
        let why = format!("You are signed in as {} (a {role}), who cannot read the audit log.", who.user.display_name);
        return Err(WebError::Forbidden(why).into());
    }
    let entries = web.stores.run(|store| Ok(store.audit_log()?)).await?;
    Ok(Json(pooled_app::json::audit_log(&entries)))
}

/// The body of `POST /api/{year}/what-if`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// The month whose forecast outturns the lines not given start from; the latest
    /// with actuals if not given.
    #[serde(default)]
    month: Option<String>,
    /// Outturns by `POOL:LINE`.
    #[serde(default)]
    lines: BTreeMap<String, String>,
    /// Whole-pool outturns by pool id.
    #[serde(default)]
    pools: BTreeMap<String, String>,
}

/// `POST /api/{year}/what-if`: every partner's settlement on the outturn given, built as
/// the what-if page builds it.
pub async fn what_if(State(web): State<Arc<Web>>, Path(year): Path<String>, body: Bytes) -> ApiResult {
    let year = parse_year(&year)?;
    let asked: WhatIf = json_body(&body)?;
    let month = asked
        .month
        .as_deref()
        .map(FiscalMonth::parse)
        .transpose()
        .map_err(|e| WebError::Invalid(vec![format!("month: {e}")]))?;
    let shared = Arc::clone(&web);
    let data = web.stores.run(move |store| shared.year(store, year)).await?;
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
            .map(|k| format!("lines.{k}: the {year} agreement has no such line (lines are named POOL:LINE)"))
            .collect();
        problems.extend(
            asked
                .pools
                .keys()
                .filter(|k| a.pool(k).is_none())
                .map(|k| format!("pools.{k}: the {year} agreement has no such pool")),
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
        let mut settled = pooled_app::json::settlement(a, &settle(a, &outturn));
        Ok(json!({ "financial_year": year.to_string(), "month": month.to_string(), "pools": settled["pools"].take() }))
    })
    .await
    .map(Json)
    .map_err(ApiError::from)
}

/// `GET /api/imports/{id}`: a job of this server's, to whoever may import its partner's
/// ledger (to anyone else it does not exist).
pub async fn import_job(State(web): State<Arc<Web>>, who: Identity, Path(id): Path<String>) -> ApiResult {
    let gone = || WebError::NotFound(format!("There is no import {id} running or recently finished."));
    let job = id.parse().ok().and_then(|n| web.imports.get(n)).ok_or_else(gone)?;
    access::check(&who.user, Write::ImportLedger { partner: &job.partner }).map_err(|_| gone())?;
    Ok(Json(job_json(&job)))
}

/// An import job as the API gives it: its progress, then its outcome or its problems.
pub fn job_json(job: &ImportJob) -> Value {
    let (read, total) = job.progress();
    let mut out = json!({
        "id": job.id,
        "partner": job.partner,
        "period": job.period.to_string(),
        "file_name": job.file_name,
        "started_by": job.started_by,
        "read_bytes": read,
        "total_bytes": total,
    });
    let (status, details) = match job.state() {
        JobState::Running => ("running", json!({})),
        JobState::Done(ImportOutcome::Imported { rows, total, .. }) => {
            ("imported", json!({"rows": rows, "total": total.to_plain_string()}))
        }
        JobState::Done(ImportOutcome::Unchanged { .. }) => ("unchanged", json!({})),
        JobState::Done(ImportOutcome::Replaced { rows, total, replaced_rows, .. }) => {
            ("replaced", json!({"rows": rows, "total": total.to_plain_string(), "replaced_rows": replaced_rows}))
        }
        JobState::Failed(lines) => {
            let problems: Vec<Value> = lines
                .iter()
                .map(|line| match bad_row(line, &job.file_name) {
                    Some(bad) => json!({
                        "row": bad.row.parse::<u64>().unwrap_or(0),
                        "column": bad.column,
                        "message": bad.message,
                    }),
                    None => json!({"message": line}),
                })
                .collect();
            ("failed", json!({"problems": problems}))
        }
    };
    out["status"] = json!(status);
    if let (Some(out), Value::Object(details)) = (out.as_object_mut(), details) {
        out.extend(details);
    }
    out
}

/// `GET /api/{year}/meetings`: the board's meetings as the caller may see them: without
/// confidential items, their papers and the decisions under them unless they are one of
/// the board's members, exactly as the pages show them.
pub async fn meetings(State(web): State<Arc<Web>>, who: Identity, Path(year): Path<String>) -> ApiResult {
    let year = parse_year(&year)?;
    let records = crate::pages::board::load(&web, year).await?;
    let partners = records.agreement.partners();
    let meetings: Vec<Value> = records
        .meetings
        .iter()
        .map(|record| {
            let shown = crate::pages::board::visible(&record.meeting, &who);
            let check = &record.check;
            let items: Vec<Value> = shown
                .items
                .iter()
                .map(|i| {
                    let papers: Vec<Value> = i
                        .papers
                        .iter()
                        .map(|p| json!({"title": p.title, "published": p.published.map(|d| d.to_string())}))
                        .collect();
                    json!({"title": i.title, "confidential": i.confidential, "papers": papers})
                })
                .collect();
            let decisions: Vec<Value> = shown
                .decisions
                .iter()
                .filter_map(|d| {
                    let outcome = check.decisions.iter().find(|o| o.id == d.id)?;
                    let votes: BTreeMap<&str, &str> = d.votes.iter().map(|(s, v)| (s.as_str(), v.name())).collect();
                    Some(json!({
                        "id": d.id,
                        "subject": d.subject,
                        "item": d.item,
                        "votes": votes,
                        "outcome": outcome.outcome.name(),
                        "clause": outcome.clause,
                        "lead": outcome.lead.map(|l| partners[l].id.clone()),
                    }))
                })
                .collect();
            let seats_filled: BTreeMap<&str, u32> =
                check.seats_filled.iter().enumerate().map(|(ix, n)| (partners[ix].id.as_str(), *n)).collect();
            json!({
                "date": shown.date.to_string(),
                "version": record.version,
                "quorate": check.quorate,
                "quorum_per_partner": record.board.quorum_per_partner,
                "seats_filled": seats_filled,
                "agenda_due": check.agenda.due.to_string(),
                "agenda_published": shown.agenda_published.map(|d| d.to_string()),
                "minutes_due": check.minutes.due.to_string(),
                "minutes_circulated": shown.minutes_circulated.map(|d| d.to_string()),
                "items": items,
                "decisions": decisions,
            })
        })
        .collect();
    Ok(Json(json!({"financial_year": year.to_string(), "meetings": meetings})))
}
