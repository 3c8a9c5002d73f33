//! `/agreements/{agreement}/{year}/settlement`: the year-end settlement on the ledger: every pool's
//! variance split part by part, each with its rule, line and clause, and the invoices
//! that settle each pool with its host, net of the instalments invoiced and unpaid.
//! Clawbacks waived by recorded decision are chosen with `?waive=RULE`. Savings moved
//! into a pool without an agreed delivery strategy are listed with what is recorded of
//! them; the pool manager records their forecasts and what they delivered here (`POST
//! .../settlement/savings`, through [`actions::record_saving`]), and the settlement
//! waits, naming each, until every one has its delivered amount.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::metrics::{SeriesState, series_states};
use pooled_app::{AppError, Provisional, SavingEntry, SavingState, YearEnd};
use pooled_core::agreement::{Agreement, RuleKind};
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::money::Money;
use pooled_core::savings::SavingFigure;
use pooled_core::settlement::Invoice;
use pooled_files::{Cell, ColumnKind};
use pooled_store::{AgreementYear, AuditHead, SavingRecord};
use serde::Deserialize;

use super::pool::parts_table;
use super::{QueryPairs, get, month_label};
use crate::access::{self, Write};
use crate::actions;
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section, encode, error_summary, pounds};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

/// What the page shows, read as of one moment with the audit log's head.
struct Read {
    agreement: Arc<Agreement>,
    /// The settlement, or why it cannot be made yet (a saving without its delivered
    /// amount), each line naming what is missing.
    end: Result<YearEnd, Vec<String>>,
    waived: Vec<String>,
    /// How far the ledger falls short of the whole year, shown while the settlement
    /// cannot be made too.
    provisional: Option<Provisional>,
    savings: Vec<SavingRecord>,
    /// The metrics, for the evidence a waiver of a home support clawback cites.
    metrics: Vec<SeriesState>,
    head: AuditHead,
}

async fn read(web: &Arc<Web>, scope: &AgreementYear, asked: Vec<String>) -> Result<Read, WebError> {
    let (shared, scope) = (Arc::clone(web), scope.clone());
    // The statement, what it rests on and the audit log's head, as of one moment.
    web.stores
        .run(move |store| {
            let anchored = pooled_app::anchored(store, |store| {
                let agreement = shared.agreement(store, &scope)?;
                // Only the agreement's own rules can be waived; anything else in the query
                // is ignored rather than silently "waived".
                let waived: Vec<String> =
                    asked.into_iter().filter(|id| rule_ids(&agreement).any(|r| r == id)).collect();
                let end = match pooled_app::year_end(store, &scope, &waived) {
                    Ok(end) => Ok(end),
                    Err(AppError::Incomplete(lines)) => Err(lines),
                    Err(e) => return Err(WebError::from(e)),
                };
                let provisional = pooled_app::provisional(store, &scope)?;
                let metrics = series_states(&agreement, &store.metrics(&scope)?);
                Ok::<_, WebError>((agreement, end, waived, provisional, store.saving_records(&scope)?, metrics))
            })?;
            let (agreement, end, waived, provisional, savings, metrics) = anchored.value;
            Ok(Read { agreement, end, waived, provisional, savings, metrics, head: anchored.head })
        })
        .await
}

/// What was entered in the savings form, shown back when it cannot be recorded.
struct Rejected {
    saving: String,
    figure: String,
    amount: String,
    message: String,
}

impl Rejected {
    fn of(form: SavingForm, message: String) -> Rejected {
        Rejected { saving: form.saving, figure: form.figure, amount: form.amount, message }
    }
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    respond(&web, who, at, query, None).await
}

/// The page for `query` (or its download), or with `rejected`, the savings form shown
/// back with why it was refused.
async fn respond(
    web: &Arc<Web>,
    who: Identity,
    at: AgreementYear,
    query: QueryPairs,
    rejected: Option<Rejected>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let asked: Vec<String> = query.iter().filter(|(k, _)| k == "waive").map(|(_, v)| v.clone()).collect();
    let read = read(web, &at, asked).await?;
    blocking(move || {
        if format != Format::Html {
            let tables: Vec<Table> =
                tables(at.year, &read).into_iter().map(|t| t.with_audit_head(&read.head)).collect();
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-settlement"));
        }
        let saved = get(&query, "saved").map(str::to_string);
        let status = if rejected.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        let here = Here::new(scope::href(&at, "/settlement"), query);
        Ok((status, render(&who, &at, &read, &here, saved.as_deref(), rejected.as_ref())).into_response())
    })
    .await
}

/// The savings form's fields; `figure` is `delivered`, or the month a forecast is made in.
#[derive(Deserialize)]
pub struct SavingForm {
    saving: String,
    figure: String,
    amount: String,
}

/// `POST .../settlement/savings`: records a saving's forecast or delivered amount,
/// then back to the page saying so.
pub async fn record_saving(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(form): Form<SavingForm>,
) -> Result<Response, WebError> {
    let figure = match form.figure.as_str() {
        "delivered" => SavingFigure::Delivered,
        month => SavingFigure::Forecast(FiscalMonth::parse(month).map_err(WebError::BadRequest)?),
    };
    let amount = match Money::parse(&form.amount) {
        Ok(amount) => amount,
        Err(e) => {
            let message = format!("Enter the amount in pounds, like 1,234,567.89: {e}");
            return respond(&web, who, at, Vec::new(), Some(Rejected::of(form, message))).await;
        }
    };
    let entry = SavingEntry { saving: form.saving.clone(), figure, amount };
    match actions::record_saving(&web, &who, &at, entry).await {
        Ok(()) => {
            let back = format!("/settlement?saved={}#table-savings-caption", encode(&form.saving));
            Ok(Redirect::to(&scope::href(&at, &back)).into_response())
        }
        Err(WebError::Invalid(lines)) => {
            respond(&web, who, at, Vec::new(), Some(Rejected::of(form, lines.join(" ")))).await
        }
        Err(other) => Err(other),
    }
}

/// The page's tables: each pool's settlement and the invoices, when it can be made, then
/// the savings.
fn tables(year: FinancialYear, read: &Read) -> Vec<Table> {
    let a = &read.agreement;
    let mut tables = Vec::new();
    if let Ok(end) = &read.end {
        for s in &end.settlements {
            let name = a.pool(&s.pool).map_or("", |p| p.name.as_str());
            let caption = format!(
                "{name} ({}): budget {}, outturn {}, variance {}",
                s.pool,
                pounds(s.budget),
                pounds(s.outturn),
                pounds(s.variance)
            );
            tables.push(parts_table(&end.agreement, s, &s.pool, caption));
        }
        tables.push(invoices_table(&end.agreement, &end.invoices));
    }
    let states = pooled_app::saving_states(a, &read.savings);
    if !states.is_empty() {
        tables.push(savings_table(year, a, &states));
    }
    tables
}

fn render(
    who: &Identity,
    at: &AgreementYear,
    read: &Read,
    here: &Here,
    saved: Option<&str>,
    rejected: Option<&Rejected>,
) -> Markup {
    let (a, year) = (&read.agreement, at.year);
    let tables = tables(year, read);
    let rules: Vec<_> = a.pools().iter().flat_map(|p| p.rules.iter().map(move |r| (p, r))).collect();
    let states = pooled_app::saving_states(a, &read.savings);
    let records_savings = access::check(&who.user, Write::RecordSaving).is_ok();
    let body = html! {
        @if let Some(r) = rejected {
            (error_summary(&[("amount".to_string(), r.message.clone())]))
        }
        @if let Some(saving) = saved.filter(|s| states.iter().any(|st| st.saving.id == *s)) {
            div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
                aria-labelledby="saved-title" data-module="govuk-notification-banner" {
                div class="govuk-notification-banner__header" {
                    h2 class="govuk-notification-banner__title" id="saved-title" { "Recorded" }
                }
                div class="govuk-notification-banner__content" {
                    p class="govuk-notification-banner__heading" { "Saving " (saving) " recorded." }
                }
            }
        }
        span class="govuk-caption-l" { (a.name()) }
        h1 class="govuk-heading-l" { "Year-end settlement " (year) }
        p class="govuk-body" {
            "Each line's outturn is the sum of its cost centres' ledger actuals. Lines borne by one partner go to that "
            "partner, lead and aligned lines to their lead commissioner, underspend clawbacks and unagreed savings "
            "are taken out, and the rest is shared by the risk share. Each part below cites its clause of the "
            "agreement, or names its rule where the agreement gives none."
        }
        @if let Err(missing) = &read.end {
            div class="govuk-warning-text" id="unsettled" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                strong class="govuk-warning-text__text" {
                    span class="govuk-visually-hidden" { "Warning" }
                    "The settlement cannot be made yet."
                }
            }
            ul class="govuk-list govuk-list--bullet" {
                @for line in missing { li { (line) } }
            }
        }
        p class="govuk-body" {
            "Each invoice settles a pool between two partners in one payment: the settlement between them, net of "
            "the pool's instalments invoiced and not yet paid between them either way (see the "
            a class="govuk-link" href=(scope::href(at, "/payments")) { "payments page" } ")."
        }
        @match &read.provisional {
            Some(Provisional { first: Some(first), last: Some(last), months_imported, months_closed }) => {
                div class="govuk-warning-text" {
                    span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                    strong class="govuk-warning-text__text" {
                        span class="govuk-visually-hidden" { "Warning" }
                        "Provisional: the ledger holds " (month_label(year, *first)) " to " (month_label(year, *last))
                        " (" (months_imported) " of 12 months, " (months_closed) " closed). The settlement is final once all twelve are imported and closed."
                    }
                }
            }
            Some(_) => {
                div class="govuk-warning-text" {
                    span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                    strong class="govuk-warning-text__text" {
                        span class="govuk-visually-hidden" { "Warning" }
                        "No ledger is imported for " (year) ": every line's outturn is nil."
                    }
                }
            }
            None => {}
        }
        @if !rules.is_empty() {
            form method="get" action=(scope::href(at, "/settlement")) {
                div class="govuk-form-group" {
                    fieldset class="govuk-fieldset" {
                    legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { "Clawbacks waived by recorded decision" }
                        div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes" {
                            @for (i, (pool, rule)) in rules.iter().enumerate() {
                                @let RuleKind::UnderspendClawback { line, to, cap } = rule.kind;
                                @let waived = read.waived.contains(&rule.id);
                                div class="govuk-checkboxes__item" {
                                    input class="govuk-checkboxes__input" id={ "waive-" (i) } name="waive" type="checkbox" value=(rule.id) checked[waived];
                                    label class="govuk-label govuk-checkboxes__label" for={ "waive-" (i) } {
                                        "Waive " (rule.id) ": the clawback of any " (pool.lines[line].name) " underspend by "
                                        (a.body_at_year_end(to).id) ", up to " (pounds(cap))
                                        @if let Some(c) = &rule.clause { " (" (c) ")" }
                                    }
                                    @if let Some(evidence) = super::metrics::clawback_evidence(at, a, &read.metrics, &pool.id, &pool.lines[line].id) {
                                        (evidence)
                                    }
                                }
                            }
                        }
                    }
                }
                button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Recalculate" }
            }
        }
        (layout::variance_hint())
        @for t in &tables { (t.render(here)) }
        @if records_savings && !states.is_empty() {
            (saving_form(who, at, &states, rejected))
        }
        (layout::audit_head(&read.head))
    };
    layout::page(&format!("Settlement {year}"), &Nav::new(who, at, a, Section::Settlement), &[], body)
}

/// Each unagreed saving with its latest forecast and what it delivered.
fn savings_table(year: FinancialYear, a: &Agreement, states: &[SavingState]) -> Table {
    let columns = vec![
        column("Saving", ColumnKind::Text),
        column("Pool", ColumnKind::Text),
        column("Line", ColumnKind::Text),
        column("Funded by", ColumnKind::Text),
        column("Amount", ColumnKind::Money),
        column("Latest forecast", ColumnKind::Money),
        column("Forecast made in", ColumnKind::Text),
        column("Delivered", ColumnKind::Money),
        column("Shortfall", ColumnKind::Money),
        column("Clause", ColumnKind::Text),
    ];
    let rows = states
        .iter()
        .map(|state| {
            let s = state.saving;
            let latest = state.forecasts.last();
            let made_in = latest.and_then(|r| match r.figure {
                SavingFigure::Forecast(month) => Some(month_label(year, month)),
                SavingFigure::Delivered => None,
            });
            let delivered = state.delivered.as_ref().map(|r| r.amount);
            Row::new(vec![
                text(s.id.clone()),
                text(state.pool.id.clone()),
                text(state.pool.lines[s.line].id.clone()),
                text(a.body_at_year_end(s.by).id),
                Cell::Money(s.amount),
                latest.map_or(Cell::Empty, |r| Cell::Money(r.amount)),
                made_in.map_or(Cell::Empty, text),
                delivered.map_or(Cell::Empty, Cell::Money),
                delivered.map_or(Cell::Empty, |d| Cell::Money((s.amount - d).max(Money::ZERO))),
                text(pooled_core::savings::cite(s)),
            ])
        })
        .collect();
    Table {
        id: "savings".into(),
        caption: "Savings moved into a pool without an agreed delivery strategy: the partner that moved one funds \
                  what it does not deliver"
            .into(),
        columns,
        rows,
    }
}

/// The pool manager's form: a forecast of a saving's delivery made in a month, or what it
/// delivered.
fn saving_form(who: &Identity, at: &AgreementYear, states: &[SavingState], rejected: Option<&Rejected>) -> Markup {
    let year = at.year;
    let chosen_saving = rejected.map(|r| r.saving.as_str());
    let chosen_figure = rejected.map_or("delivered", |r| r.figure.as_str());
    let amount = rejected.map(|r| r.amount.clone()).unwrap_or_default();
    html! {
        form method="post" action=(scope::href(at, "/settlement/savings")) id="saving-form" novalidate {
            (layout::csrf_field(who))
            h2 class="govuk-heading-m" { "Record a saving's delivery" }
            div class="govuk-form-group" {
                label class="govuk-label" for="saving" { "Saving" }
                select class="govuk-select" id="saving" name="saving" {
                    @for state in states {
                        @let id = state.saving.id.as_str();
                        option value=(id) selected[chosen_saving == Some(id)] {
                            (id) ": " (pounds(state.saving.amount)) " in " (state.pool.id)
                        }
                    }
                }
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="figure" { "What you record" }
                select class="govuk-select" id="figure" name="figure" {
                    option value="delivered" selected[chosen_figure == "delivered"] { "What it delivered in the year" }
                    @for month in FiscalMonth::all() {
                        @let value = month.to_string();
                        option value=(value) selected[chosen_figure == value] {
                            "Forecast of its delivery, made in " (month_label(year, month))
                        }
                    }
                }
            }
            div class={ "govuk-form-group" @if rejected.is_some() { " govuk-form-group--error" } } {
                label class="govuk-label" for="amount" { "Amount for the year, in pounds" }
                @if let Some(r) = rejected {
                    p class="govuk-error-message" id="amount-error" { span class="govuk-visually-hidden" { "Error: " } (r.message) }
                }
                div class="govuk-input__wrapper" {
                    div class="govuk-input__prefix" aria-hidden="true" { "£" }
                    input class="govuk-input govuk-input--width-10" id="amount" name="amount" type="text"
                        inputmode="decimal" spellcheck="false" value=(amount);
                }
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Record" }
        }
    }
}

fn rule_ids(a: &Agreement) -> impl Iterator<Item = &str> {
    a.pools().iter().flat_map(|p| p.rules.iter().map(|r| r.id.as_str()))
}

/// Each invoice with what it nets off: the settlement between the pair, and the pool's
/// instalments invoiced and unpaid between them.
fn invoices_table(a: &Agreement, invoices: &[Invoice]) -> Table {
    let columns = vec![
        column("Pool", ColumnKind::Text),
        column("Payer", ColumnKind::Text),
        column("Payee", ColumnKind::Text),
        column("Amount", ColumnKind::Money),
        column("Nets off", ColumnKind::Text),
    ];
    let body = |ix| a.body_at_year_end(ix).id;
    let rows = invoices
        .iter()
        .map(|i| {
            let parts: Vec<String> = (i.parts.iter())
                .map(|p| format!("{}: {} owes {} {}", p.kind.words(), body(p.payer), body(p.payee), pounds(p.amount)))
                .collect();
            Row::new(vec![
                text(i.pool.clone()),
                text(i.payer_body.id.clone()),
                text(i.payee_body.id.clone()),
                Cell::Money(i.amount),
                text(parts.join("; ")),
            ])
        })
        .collect();
    let caption = "Invoices to settle each pool, net of instalments invoiced and unpaid".into();
    Table { id: "invoices".into(), caption, columns, rows }
}
