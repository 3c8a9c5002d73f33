//! `/agreements/{agreement}/{year}/variations`: the history of the agreement's year,
//! version by version: the day each takes effect, who approved it, what it changed (each
//! pool's budget, each line's contributions, lines added, removed or renamed, virements)
//! and each pool's risk share before and after. The pool manager (and administrators)
//! load a new version of this agreement's year from here, with its effective day and
//! approval, through the use case `pooled load` runs ([`actions::load_agreement`]), which
//! refuses what the command line refuses.

use std::sync::Arc;

use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_app::{Loaded, VersionRecord};
use pooled_core::calendar::Date;
use pooled_core::variation::{Diff, PoolDiff, percent};
use pooled_files::{Cell, ColumnKind};
use pooled_store::{AgreementYear, Approval, LoadOutcome};

use super::{QueryPairs, get};
use crate::access::{self, Write};
use crate::actions;
use crate::auth::Identity;
use crate::data::{Web, no_agreement};
use crate::error::WebError;
use crate::layout::{self, Nav, Section, error_summary, pounds};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let records = history(&web, &at).await?;
    if records.is_empty() {
        let key = at.clone();
        return Err(web.stores.run(move |store| Ok(no_agreement(store, &key))).await?);
    }
    blocking(move || {
        if format != Format::Html {
            let tables = tables(&records);
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-variations"));
        }
        let here = Here::new(scope::href(&at, "/variations"), query.clone());
        Ok(render(&who, &at, &records, &here, &Outcome::None).into_response())
    })
    .await
}

/// `POST .../variations`: the form's parts (the CSRF token first, then the effective day,
/// the approval and the file, within a form's body limit), loaded through
/// [`actions::load_agreement`]; the page again with what happened, or with the refusal.
pub async fn load(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| crate::edge::body_error(&e, crate::edge::FORM_BYTES);
    let (mut effective, mut approved_by, mut file) = (String::new(), String::new(), None);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name().unwrap_or("") {
            "effective" => effective = field.text().await.map_err(unreadable)?,
            "approved_by" => approved_by = field.text().await.map_err(unreadable)?,
            "file" => {
                let name = field.file_name().unwrap_or("agreement.toml").to_string();
                let bytes = field.bytes().await.map_err(unreadable)?;
                file = Some((name, bytes));
            }
            // The CSRF token, checked by the sign-in layer; anything else is ignored.
            _ => {}
        }
    }
    let mut problems = Vec::new();
    let effective = match effective.trim() {
        "" => None,
        day => Date::parse_iso(day).map(Some).unwrap_or_else(|e| {
            problems.push(("effective".to_string(), format!("Enter the day it takes effect like 2016-10-01: {e}")));
            None
        }),
    };
    let approved_by = Some(approved_by.trim().to_string()).filter(|a| !a.is_empty());
    let text = match file {
        Some((name, bytes)) if !bytes.is_empty() => match String::from_utf8(bytes.to_vec()) {
            Ok(text) => Some((name, text)),
            Err(_) => {
                problems.push(("file".into(), "The agreement file is not UTF-8 text".into()));
                None
            }
        },
        _ => {
            problems.push(("file".into(), "Choose the agreement file".into()));
            None
        }
    };
    let outcome = match text {
        Some((name, text)) if problems.is_empty() => {
            match actions::load_agreement(&web, &who, &at, name, text, Approval { effective, approved_by }).await {
                Ok(loaded) => Outcome::Loaded(loaded),
                Err(WebError::Invalid(lines)) => {
                    Outcome::Refused(lines.into_iter().map(|l| ("file".into(), l)).collect())
                }
                Err(other) => return Err(other),
            }
        }
        _ => Outcome::Refused(problems),
    };
    let records = history(&web, &at).await?;
    let status = if matches!(outcome, Outcome::Refused(_)) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    blocking(move || {
        let here = Here::new(scope::href(&at, "/variations"), Vec::new());
        Ok((status, render(&who, &at, &records, &here, &outcome)).into_response())
    })
    .await
}

/// What the form did.
enum Outcome {
    None,
    Loaded(Loaded),
    /// Each (field id, problem).
    Refused(Vec<(String, String)>),
}

/// The versions of the agreement's year; none when it is not loaded.
async fn history(web: &Arc<Web>, at: &AgreementYear) -> Result<Vec<VersionRecord>, WebError> {
    let key = at.clone();
    web.stores.run(move |store| Ok::<_, WebError>(pooled_app::variations(store, &key)?)).await
}

fn render(who: &Identity, key: &AgreementYear, records: &[VersionRecord], here: &Here, outcome: &Outcome) -> Markup {
    let (name, year) = (records.last().map_or("", |r| r.version.agreement.name()), key.year);
    let body = html! {
        @if let Outcome::Refused(problems) = outcome { (error_summary(problems)) }
        @if let Outcome::Loaded(loaded) = outcome { (loaded_banner(loaded)) }
        span class="govuk-caption-l" { (name) }
        h1 class="govuk-heading-l" { "Variations " (year) }
        p class="govuk-body" {
            "Every version of agreement " (key.agreement) " for " (year) ", oldest first. A variation takes effect "
            "from a day: the instalments invoiced, paid or due before it stay as they were, each partner's "
            "instalments still to come are re-profiled so that its year adds up to its new contribution, and the "
            "budgets in reports change from that month. Budget moved between the lines of a pool whose total stays "
            "the same is a virement."
        }
        @for record in records.iter().rev() { (version(record)) }
        @if access::check(&who.user, Write::LoadAgreement { agreement: &key.agreement }).is_ok() {
            (load_form(who, key))
        }
        @for t in tables(records) { (t.render(here)) }
    };
    // A refused first load leaves the agreement's year without a version.
    let nav = match records.last() {
        Some(current) => Nav::new(who, key, &current.version.agreement, Section::Variations),
        None => Nav::not_loaded(who, key, Section::Variations),
    };
    layout::page(&format!("Variations {year}"), &nav, &[], body)
}

fn loaded_banner(loaded: &Loaded) -> Markup {
    let said = match loaded.outcome {
        LoadOutcome::Loaded { version } => format!("Loaded as version {version}"),
        LoadOutcome::Unchanged { version } => format!("The same as version {version}: nothing changed"),
        LoadOutcome::Varied { version } => format!("Variation recorded as version {version}"),
    };
    html! {
        div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
            aria-labelledby="loaded-title" data-module="govuk-notification-banner" {
            div class="govuk-notification-banner__header" {
                h2 class="govuk-notification-banner__title" id="loaded-title" { "Loaded" }
            }
            div class="govuk-notification-banner__content" {
                p class="govuk-notification-banner__heading" { (said) }
                @for w in &loaded.warnings { p class="govuk-body" { (w) } }
            }
        }
    }
}

fn version(record: &VersionRecord) -> Markup {
    let stored = &record.version.stored;
    let effective = match (stored.approval.effective, &record.diff) {
        (Some(day), _) => format!("Takes effect on {day}"),
        (None, None) => "The first version: from the start of the year".to_string(),
        (None, Some(_)) => "Restates the year from its start".to_string(),
    };
    html! {
        h2 class="govuk-heading-m" id={ "version-" (stored.version) } { "Version " (stored.version) }
        dl class="govuk-summary-list" {
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Effective" }
                dd class="govuk-summary-list__value" { (effective) }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Approved by" }
                dd class="govuk-summary-list__value" { (stored.approval.approved_by.as_deref().unwrap_or("Not recorded")) }
            }
            div class="govuk-summary-list__row" {
                dt class="govuk-summary-list__key" { "Loaded" }
                dd class="govuk-summary-list__value" { (stored.loaded_at) " by " (stored.loaded_by) }
            }
        }
        @if let Some(diff) = &record.diff { (changes(diff)) }
    }
}

fn changes(diff: &Diff) -> Markup {
    let words = diff.words();
    html! {
        h3 class="govuk-heading-s" { "What changed" }
        @if words.is_empty() {
            p class="govuk-body" { "Nothing in the terms: only comments or layout." }
        } @else {
            ul class="govuk-list govuk-list--bullet" { @for w in &words { li { (w) } } }
        }
        @for pool in diff.pools.iter().filter(|p| p.changed()) {
            @if let Some(v) = &pool.virement {
                p class="govuk-body" {
                    strong class="govuk-tag govuk-tag--blue" { "Virement" } " "
                    (pounds(v.amount)) " moved between the lines of " (pool.name) "; its budget stays " (pounds(pool.budget.after)) "."
                }
            }
        }
    }
}

/// One table per version after the first: each pool's budget and each partner's risk
/// share before and after, for every pool (changed or not).
fn tables(records: &[VersionRecord]) -> Vec<Table> {
    records
        .iter()
        .filter_map(|r| Some((r.version.stored.version, r.diff.as_ref()?)))
        .map(|(version, diff)| Table {
            id: format!("shares-v{version}"),
            caption: format!("Version {version}: budgets and risk shares before and after"),
            columns: vec![
                column("Pool", ColumnKind::Text),
                column("Partner", ColumnKind::Text),
                column("Budget before", ColumnKind::Money),
                column("Budget after", ColumnKind::Money),
                column("Risk share before (%)", ColumnKind::Text),
                column("Risk share after (%)", ColumnKind::Text),
                column("Changed", ColumnKind::Text),
            ],
            rows: diff.pools.iter().flat_map(pool_rows).collect(),
        })
        .collect()
}

fn pool_rows(pool: &PoolDiff) -> Vec<Row> {
    let changed = text(if pool.changed() { "changed" } else { "" });
    let mut rows = vec![Row::new(vec![
        text(format!("{} ({})", pool.name, pool.id)),
        text(""),
        Cell::Money(pool.budget.before),
        Cell::Money(pool.budget.after),
        text(""),
        text(""),
        changed,
    ])];
    for s in &pool.shares {
        let share = |p| percent(p).trim_end_matches('%').to_string();
        rows.push(Row::new(vec![
            text(""),
            text(s.partner.clone()),
            Cell::Empty,
            Cell::Empty,
            text(share(s.share.before)),
            text(share(s.share.after)),
            text(if s.share.changed() { "changed" } else { "" }),
        ]));
    }
    rows
}

fn load_form(who: &Identity, key: &AgreementYear) -> Markup {
    let year = key.year;
    html! {
        h2 class="govuk-heading-m" { "Load a new version" }
        p class="govuk-body" {
            "Upload the agreement file as varied. Once instalments are invoiced or paid, ledgers imported or "
            "forecasts entered, a variation must say the day it takes effect (within the financial year) and who "
            "approved it. The same file again changes nothing."
        }
        // The CSRF token must be the first part: the sign-in layer reads it before the rest.
        form method="post" action=(scope::href(key, "/variations")) enctype="multipart/form-data" novalidate {
            (layout::csrf_field(who))
            div class="govuk-form-group" {
                label class="govuk-label" for="effective" { "Takes effect on" }
                div class="govuk-hint" id="effective-hint" { "Like " (year.first_day().add_months_clamped(6).unwrap_or(year.first_day())) "; leave blank for a first version or a correction before anything happened" }
                input class="govuk-input govuk-input--width-10" id="effective" name="effective" type="text"
                    aria-describedby="effective-hint" spellcheck="false";
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="approved_by" { "Approved by" }
                div class="govuk-hint" id="approved_by-hint" { "The decision, like: JMG 15 September 2016, item 4" }
                input class="govuk-input" id="approved_by" name="approved_by" type="text" aria-describedby="approved_by-hint";
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="file" { "Agreement file (TOML)" }
                input class="govuk-file-upload" id="file" name="file" type="file" accept=".toml";
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Load" }
        }
    }
}
