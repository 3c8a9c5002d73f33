//! Ledger import from the browser, into an agreement's year:
//! `/agreements/{agreement}/{year}/imports/new` (the upload form and the year's imports),
//! `POST .../imports` (saves the upload and starts the import in the background) and
//! `.../imports/{id}` (progress, refreshing itself each second, then the summary or every
//! bad row with its row and column). The import is all or nothing.

use std::sync::Arc;

use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_core::agreement::Agreement;
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::Period;
use pooled_files::{Cell, ColumnKind};
use pooled_store::{AgreementYear, ImportOutcome, ImportRecord};
use serde::Deserialize;

use super::{QueryPairs, get};
use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::imports::{self, ImportJob, JobState, bad_row};
use crate::layout::{self, Nav, Section, pounds};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

/// The partners a finance officer (or anyone allowed) may import for in `agreement`, by
/// the ids they may name: each partner's own, and its successor's where that is the body
/// the person acts for (the ICB's officer imports the CCG's ledger from July by the ICB's
/// id).
fn importable<'a>(who: &Identity, agreement: &'a Agreement) -> Vec<(&'a str, &'a str)> {
    let may = |id: &str| access::check(&who.user, Write::ImportLedger { partner: id }).is_ok();
    let mut out = Vec::new();
    for p in agreement.partners() {
        if may(&p.id) {
            out.push((p.id.as_str(), p.name.as_str()));
        }
        if let Some(s) = p.succeeded_by.as_ref().filter(|s| may(&s.id)) {
            out.push((s.id.as_str(), s.name.as_str()));
        }
    }
    out
}

/// `GET .../imports/new`: the form, for the partners the user may import, and the
/// agreement's imports of the year.
pub async fn new(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let (shared, key) = (Arc::clone(&web), at.clone());
    let (agreement, records) =
        web.stores.run(move |store| Ok((shared.agreement(store, &key)?, store.imports(&key)?))).await?;
    blocking(move || {
        let table = imports_table(at.year, &records);
        if format != Format::Html {
            return table::export(&[table], get(&query, "table"), format, &scope::file_stem(&at, "-imports"));
        }
        let here = Here::new(scope::href(&at, "/imports/new"), query.clone());
        let partners = importable(&who, &agreement);
        let body = html! {
            span class="govuk-caption-l" { (agreement.name()) }
            h1 class="govuk-heading-l" { "Import a ledger extract" }
            p class="govuk-body" {
                "Upload one partner's extract for one month of " (at.year) ", as its finance system writes it (CSV or XLSX, laid out as "
                "that partner's saved mapping says). Every row is checked first: if any is wrong, nothing is imported and "
                "each bad row is listed with its row and column. A corrected extract for the same partner and month "
                "replaces the earlier one; the same file twice changes nothing."
            }
            @if partners.is_empty() {
                p class="govuk-body" { "Your account cannot import ledger extracts." }
            } @else {
                (form(&who, &at, &partners))
            }
            (table.render(&here))
        };
        Ok(layout::page("Import a ledger extract", &Nav::new(&who, &at, &agreement, Section::Imports), &[], body).into_response())
    })
    .await
}

fn form(who: &Identity, at: &AgreementYear, partners: &[(&str, &str)]) -> Markup {
    let year = at.year;
    html! {
        // The CSRF token must be the first part: the sign-in layer reads it before the file.
        form method="post" action=(scope::href(at, "/imports")) enctype="multipart/form-data" novalidate {
            (layout::csrf_field(who))
            div class="govuk-form-group" {
                label class="govuk-label" for="partner" { "Partner" }
                select class="govuk-select" id="partner" name="partner" {
                    @for (id, name) in partners { option value=(id) { (name) " (" (id) ")" } }
                }
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="period" { "Month of the extract" }
                div class="govuk-hint" id="period-hint" {
                    "Year and month, like " (Period { year, month: FiscalMonth::new(4).expect("M4") })
                }
                input class="govuk-input govuk-input--width-10" id="period" name="period" type="text"
                    aria-describedby="period-hint" spellcheck="false";
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="file" { "Extract file" }
                input class="govuk-file-upload" id="file" name="file" type="file" accept=".csv,.xlsx";
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Import" }
        }
    }
}

fn imports_table(year: FinancialYear, records: &[ImportRecord]) -> Table {
    Table {
        id: "imports".into(),
        caption: format!("Imports into {year}"),
        columns: vec![
            column("Month", ColumnKind::Text),
            column("Partner", ColumnKind::Text),
            column("File", ColumnKind::Text),
            column("Rows", ColumnKind::Integer),
            column("Net total", ColumnKind::Money),
            column("Imported at", ColumnKind::Text),
            column("By", ColumnKind::Text),
            column("Status", ColumnKind::Text),
        ],
        rows: records
            .iter()
            .rev()
            .map(|r| {
                Row::new(vec![
                    text(r.period.to_string()),
                    text(r.partner.clone()),
                    text(r.file_name.clone()),
                    Cell::Integer(i64::try_from(r.rows).unwrap_or(i64::MAX)),
                    Cell::Money(r.total),
                    text(r.imported_at.to_string()),
                    text(r.imported_by.clone()),
                    text(if r.replaced { "replaced by a later extract" } else { "current" }),
                ])
            })
            .collect(),
    }
}

/// `POST .../imports`: the parts in the form's order (partner and month before the file,
/// so the role is checked before a byte of the file is written), the file saved to disk,
/// then the import started; on to its progress page.
pub async fn upload(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let max_upload_bytes = web.max_upload_bytes;
    let unreadable = |e: axum::extract::multipart::MultipartError| crate::edge::body_error(&e, max_upload_bytes);
    let (mut partner, mut period) = (None, None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or("") {
            "partner" => partner = Some(field.text().await.map_err(unreadable)?),
            "period" => period = Some(field.text().await.map_err(unreadable)?),
            "file" => {
                let partner = partner.ok_or_else(|| WebError::Invalid(vec!["Choose the partner.".into()]))?;
                let period = Period::parse(period.as_deref().unwrap_or("").trim()).map_err(|e| {
                    WebError::Invalid(vec![format!("Enter the month of the extract, like 2016-07: {e}")])
                })?;
                let file_name = field.file_name().unwrap_or("").to_string();
                let job = imports::start(&web, &who, &at, partner, period, &file_name, field).await?;
                return Ok(Redirect::to(&scope::href(&at, &format!("/imports/{}", job.id))).into_response());
            }
            // The CSRF token, checked by the sign-in layer; anything else is ignored.
            _ => {}
        }
    }
    Err(WebError::Invalid(vec!["Choose the extract file to import.".into()]))
}

/// The import job a path names.
#[derive(Deserialize)]
pub struct InJob {
    pub(crate) id: String,
}

/// The job `id` of the agreement's year `at`, if `who` may see it: a job of another
/// agreement, or one its body's officers only may see, is as good as gone.
pub(crate) fn job_of(web: &Web, who: &Identity, at: &AgreementYear, id: &str) -> Result<Arc<ImportJob>, WebError> {
    let gone = || WebError::NotFound(format!("There is no import {id} running or recently finished."));
    let job = id.parse().ok().and_then(|n| web.imports.get(n)).filter(|job| job.scope == *at).ok_or_else(gone)?;
    access::check(&who.user, Write::ImportLedger { partner: &job.body }).map_err(|_| gone())?;
    Ok(job)
}

/// `GET .../imports/{id}`: the job's progress; the summary; or the bad rows.
pub async fn progress(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InJob { id }): Path<InJob>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let job = job_of(&web, &who, &at, &id)?;
    let format = Format::parse(get(&query, "format"))?;
    // For the navigation, which shows the pages this agreement has.
    let (shared, key) = (Arc::clone(&web), at.clone());
    let agreement = web.stores.run(move |store| shared.agreement(store, &key)).await?;
    blocking(move || {
        let state = job.state();
        let title = format!("Import of {} for {} {}", job.file_name, job.partner, job.period);
        let nav = Nav::new(&who, &at, &agreement, Section::Imports);
        let body = match &state {
            JobState::Running => {
                let (read, total) = job.progress();
                let percent = read.saturating_mul(100).checked_div(total).unwrap_or(0);
                let body = html! {
                    h1 class="govuk-heading-l" { (title) }
                    p class="govuk-body" { "Checking and importing: " strong { (percent) "%" } " of the file read." }
                    progress class="app-progress" max="100" value=(percent) { (percent) "%" }
                    p class="govuk-body" { "This page updates itself every second." }
                };
                let page = layout::page(&title, &nav, &[], body);
                // A browser reloads on this header without any script.
                return Ok(([(header::REFRESH, "1")], page).into_response());
            }
            JobState::Done(outcome) => done(&job, outcome),
            JobState::Failed(lines) => {
                let table = bad_rows_table(&job, lines);
                if format != Format::Html {
                    return table::export(
                        &[table],
                        get(&query, "table"),
                        format,
                        &format!("pooled-import-{}-bad-rows", job.id),
                    );
                }
                let here = Here::new(scope::href(&at, &format!("/imports/{}", job.id)), query.clone());
                html! {
                    div class="govuk-error-summary" data-module="govuk-error-summary" {
                        div role="alert" {
                            h2 class="govuk-error-summary__title" { "Nothing was imported" }
                            div class="govuk-error-summary__body" {
                                p class="govuk-body" { (lines.len()) " problem" @if lines.len() != 1 { "s" } " with " (job.file_name) ". Correct the extract and import it again." }
                            }
                        }
                    }
                    h1 class="govuk-heading-l" { (title) }
                    (table.render(&here))
                    p class="govuk-body" { a class="govuk-link" href=(scope::href(&at, "/imports/new")) { "Import another file" } }
                }
            }
        };
        Ok(layout::page(&title, &nav, &[], body).into_response())
    })
    .await
}

fn done(job: &ImportJob, outcome: &ImportOutcome) -> Markup {
    let what = match outcome {
        ImportOutcome::Imported { rows, total, .. } => format!("Imported {rows} rows, net {}.", pounds(*total)),
        ImportOutcome::Unchanged { .. } => "The same file was imported before: nothing changed.".to_string(),
        ImportOutcome::Replaced { rows, total, replaced_rows, .. } => {
            format!("Replaced the earlier extract ({replaced_rows} rows) with {rows} rows, net {}.", pounds(*total))
        }
    };
    let at = &job.scope;
    html! {
        div class="govuk-panel govuk-panel--confirmation" {
            h1 class="govuk-panel__title" { "Import complete" }
            div class="govuk-panel__body" { (job.partner) " " (job.period) }
        }
        p class="govuk-body" id="import-summary" { (what) }
        p class="govuk-body" {
            a class="govuk-link" href=(scope::agreement_href(at)) { "See the overview for " (at.year) }
            " or "
            a class="govuk-link" href=(scope::href(at, "/imports/new")) { "import another file" } "."
        }
    }
}

fn bad_rows_table(job: &ImportJob, lines: &[String]) -> Table {
    Table {
        id: "bad-rows".into(),
        caption: format!("Problems with {}", job.file_name),
        columns: vec![
            column("Row", ColumnKind::Text),
            column("Column", ColumnKind::Text),
            column("Problem", ColumnKind::Text),
        ],
        rows: lines
            .iter()
            .map(|line| match bad_row(line, &job.file_name) {
                Some(bad) => Row::new(vec![text(bad.row), text(bad.column), text(bad.message)]),
                None => Row::new(vec![text("-"), text("-"), text(line.clone())]),
            })
            .collect(),
    }
}
