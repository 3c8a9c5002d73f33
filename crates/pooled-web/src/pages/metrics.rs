//! `/agreements/{agreement}/{year}/metrics`: the metrics and KPI dashboard of an agreement's
//! year: each series (a national metric, a KPI, a home support measure's weekly series)
//! with its definition, direction, and plan, actual and status period by period, a chart
//! of plan against actual, and the home support measure's quarters with the spend
//! against its budget line. Figures are entered a period at a time for every series one
//! may enter (`POST .../metrics`) or uploaded as a CSV/XLSX file (`POST
//! .../metrics/import`), both through [`actions`], all or nothing.
//!
//! `/agreements/{agreement}/{year}/performance`: the monthly performance report beside
//! the monthly finance report: each series' latest figures and status up to the month's
//! end, and the home support quarters ended by then; the board's agenda pack carries it.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::metrics::{
    HomeSupportState, IMPORT_COLUMNS, SeriesState, figure_cell, home_support_states, series_states,
};
use pooled_core::agreement::Agreement;
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::metrics::{
    Decimal, Figure, FigureKind, Frequency, MetricPeriod, NOT_AVAILABLE, PeriodStanding, Series, Status, latest_by,
};
use pooled_core::money::Money;
use pooled_core::report::Figures;
use pooled_files::{Cell, ColumnKind};
use pooled_store::{AgreementYear, AuditHead, MetricEntry};

use super::{QueryPairs, get, month_chooser, month_label};
use crate::access;
use crate::actions;
use crate::auth::Identity;
use crate::charts;
use crate::data::{Web, YearData, parse_month};
use crate::error::WebError;
use crate::imports::{self, bad_row};
use crate::layout::{self, Nav, Section, error_summary};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

/// The metrics of an agreement's year as of one moment, with the audit log's head then,
/// and the year's ledger figures (for the home support budget line's spend).
pub(crate) struct Read {
    pub agreement: Arc<Agreement>,
    pub states: Vec<SeriesState>,
    pub head: AuditHead,
    pub data: Arc<YearData>,
}

pub(crate) async fn read(web: &Arc<Web>, at: &AgreementYear) -> Result<Read, WebError> {
    let (shared, scope) = (Arc::clone(web), at.clone());
    web.stores
        .run(move |store| {
            let data = shared.year(store, &scope)?;
            let anchored = pooled_app::anchored(store, |store| {
                Ok::<_, WebError>((shared.agreement(store, &scope)?, store.metrics(&scope)?))
            })?;
            let (agreement, stored) = anchored.value;
            let states = series_states(&agreement, &stored);
            Ok(Read { agreement, states, head: anchored.head, data })
        })
        .await
}

/// How the page was reached: plainly, or with what could not be saved.
enum Shown {
    Plain,
    /// An entry form's fields and why they were refused, by field id.
    Entry {
        fields: QueryPairs,
        problems: Vec<(String, String)>,
    },
    /// An upload's problems, each line as the import gave it.
    Import {
        file: String,
        lines: Vec<String>,
    },
}

/// `GET .../metrics`: the dashboard, or one of its tables as CSV/XLSX.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    respond(&web, who, at, query, Shown::Plain).await
}

async fn respond(
    web: &Arc<Web>,
    who: Identity,
    at: AgreementYear,
    query: QueryPairs,
    shown: Shown,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let read = read(web, &at).await?;
    blocking(move || {
        let tables = dashboard_tables(&read);
        if format != Format::Html {
            let tables: Vec<Table> = tables.into_iter().map(|t| t.with_audit_head(&read.head)).collect();
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-metrics"));
        }
        let status = if matches!(shown, Shown::Plain) { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        let here = Here::new(scope::href(&at, "/metrics"), query.clone());
        Ok((status, render(&who, &at, &read, &tables, &here, &query, &shown)).into_response())
    })
    .await
}

/// The page's tables: every series' latest standing, each series' periods, and each home
/// support measure's quarters.
fn dashboard_tables(read: &Read) -> Vec<Table> {
    let mut tables = vec![series_table(&read.agreement, &read.states)];
    tables.extend(read.states.iter().map(periods_table));
    tables.extend(home_support_states(&read.agreement, &read.states).iter().map(|h| home_support_table(read, h, None)));
    tables
}

/// Who enters a series' figures, in words.
fn entered_by(agreement: &Agreement, series: &Series) -> String {
    match series.partner {
        Some(ix) => format!("{}'s finance officers, or the pool manager", agreement.partners()[ix].id),
        None => "the pool manager".into(),
    }
}

/// Whether a national metric's definition is not yet checked against the guidance.
fn definition_unconfirmed(agreement: &Agreement, series: &Series) -> bool {
    let national = agreement.performance().national.map(|n| n.metrics.as_slice()).unwrap_or_default();
    national.iter().any(|m| m.id == series.id && !m.confirmed)
}

fn series_table(agreement: &Agreement, states: &[SeriesState]) -> Table {
    let rows = states
        .iter()
        .map(|state| {
            let s = &state.series;
            let latest = state.latest();
            let cells = vec![
                text(s.name.clone()),
                text(s.id.clone()),
                text(s.unit.clone()),
                text(s.direction.words()),
                text(s.frequency.key()),
                text(latest.map(|l| l.period.to_string()).unwrap_or_default()),
                figure_cell(latest.and_then(|l| l.plan)),
                figure_cell(latest.and_then(|l| l.actual)),
                text(latest.map_or(Status::NotAvailable, |l| l.status).words()),
                text(entered_by(agreement, s)),
                text(s.cited.clone()),
            ];
            let status = latest.map_or(Status::NotAvailable, |l| l.status);
            let mut row = Row::new(cells).with_status(format!("series-{}", s.id), 8, status);
            row.href = Some(format!("#metric-{}", s.id));
            row
        })
        .collect();
    Table {
        id: "metrics".into(),
        caption: "Each metric's latest period with an actual".into(),
        columns: vec![
            column("Metric", ColumnKind::Text),
            column("Id", ColumnKind::Text),
            column("Unit", ColumnKind::Text),
            column("Direction", ColumnKind::Text),
            column("Measured by", ColumnKind::Text),
            column("Latest period", ColumnKind::Text),
            column("Plan", ColumnKind::Decimal),
            column("Actual", ColumnKind::Decimal),
            column("Status", ColumnKind::Text),
            column("Entered by", ColumnKind::Text),
            column("Source", ColumnKind::Text),
        ],
        rows,
    }
}

fn periods_table(state: &SeriesState) -> Table {
    let s = &state.series;
    Table {
        id: format!("periods-{}", s.id),
        caption: format!("{}: plan and actual by {}", s.name, s.frequency.key()),
        columns: vec![
            column("Period", ColumnKind::Text),
            column("Plan", ColumnKind::Decimal),
            column("Actual", ColumnKind::Decimal),
            column("Status", ColumnKind::Text),
        ],
        rows: state.standings.iter().map(|p| period_row(s, p)).collect(),
    }
}

fn period_row(series: &Series, p: &PeriodStanding) -> Row {
    let cells = vec![text(p.period.to_string()), figure_cell(p.plan), figure_cell(p.actual), text(p.status.words())];
    Row::new(cells).with_status(format!("period-{}-{}", series.id, p.period), 3, p.status)
}

/// A home support measure's quarters (para 36's figures) with the spend against its budget
/// line at each quarter's end the ledger reaches; `by` leaves out the quarters not ended
/// by that month.
fn home_support_table(read: &Read, h: &HomeSupportState, by: Option<FiscalMonth>) -> Table {
    let terms = h.kpi.home_support.as_ref();
    let growth = terms.map(|t| t.growth_target().grouped()).unwrap_or_default();
    let new_hours = terms.map(|t| t.new_hours_a_week.grouped()).unwrap_or_default();
    let budget_line = terms.and_then(|t| t.budget_line.as_ref());
    let spend = |quarter: u8| {
        let month = FiscalMonth::new(u32::from(quarter) * 3)?;
        let (pool, line) = budget_line?;
        if read.data.latest? < month {
            return None;
        }
        let report = read.data.report(month);
        let pool = report.pools.iter().find(|p| &p.id == pool)?;
        let line = pool.segments.iter().flat_map(|s| &s.lines).find(|l| &l.id == line)?;
        Some(line.figures)
    };
    let rows = h
        .quarters
        .iter()
        .filter(|q| by.is_none_or(|m| u32::from(q.quarter) * 3 <= m.number()))
        .map(|q| {
            let decimal = |d: Option<Decimal>| d.map_or(Cell::Empty, Cell::Decimal);
            let spent = spend(q.quarter);
            let money = |pick: fn(&Figures) -> Money| spent.as_ref().map_or(Cell::Empty, |f| Cell::Money(pick(f)));
            let cells = vec![
                text(format!("Q{}", q.quarter)),
                Cell::Integer(i64::try_from(q.weeks_reported).unwrap_or(i64::MAX)),
                decimal(q.average_new_hours),
                text(q.new_hours_status.words()),
                text(q.latest_week.map(|(w, _)| format!("W{w}")).unwrap_or_default()),
                decimal(q.growth_hours),
                decimal(q.progress_percent),
                Cell::Decimal(q.progress_due_percent),
                text(q.progress_status.words()),
                money(|f| f.budget_to_date),
                money(|f| f.actual_to_date),
                money(|f| f.annual_budget),
            ];
            Row::new(cells).with_status(format!("home-support-{}-Q{}", h.kpi.id, q.quarter), 8, q.progress_status)
        })
        .collect();
    let line_name = budget_line.map_or_else(|| "no budget line named".to_string(), |(p, l)| format!("{p} {l}"));
    Table {
        id: format!("home-support-{}", h.kpi.id),
        caption: format!("{}: the quarters", h.kpi.name),
        columns: vec![
            column("Quarter", ColumnKind::Text),
            column("Weeks reported", ColumnKind::Integer),
            column("Average new hours a week", ColumnKind::Decimal),
            column(format!("Against {new_hours} a week"), ColumnKind::Text),
            column("Latest week", ColumnKind::Text),
            column("Growth in hours a week", ColumnKind::Decimal),
            column(format!("Progress to {growth} hours, %"), ColumnKind::Decimal),
            column("Progress due, %", ColumnKind::Decimal),
            column("Progress status", ColumnKind::Text),
            column(format!("Budget to date ({line_name})"), ColumnKind::Money),
            column("Spend to date", ColumnKind::Money),
            column("Budget for the year", ColumnKind::Money),
        ],
        rows,
    }
}

/// The series `who` may enter, by how often they are measured: quarters first, the main
/// case, then months, the year and weeks.
fn enterable<'a>(who: &Identity, read: &'a Read) -> Vec<(Frequency, Vec<&'a Series>)> {
    let mine: Vec<&Series> = read
        .states
        .iter()
        .map(|s| &s.series)
        .filter(|s| access::enters_series(&who.user, &read.agreement, s).is_ok())
        .collect();
    [Frequency::Quarter, Frequency::Month, Frequency::Year, Frequency::Week]
        .into_iter()
        .map(|f| (f, mine.iter().copied().filter(|s| s.frequency == f).collect::<Vec<_>>()))
        .filter(|(_, series)| !series.is_empty())
        .collect()
}

fn render(
    who: &Identity,
    at: &AgreementYear,
    read: &Read,
    tables: &[Table],
    here: &Here,
    query: &QueryPairs,
    shown: &Shown,
) -> Markup {
    let year = at.year;
    let agreement = &read.agreement;
    let forms = enterable(who, read);
    let performance = agreement.performance();
    let homes = home_support_states(agreement, &read.states);
    let body = html! {
        @match shown {
            Shown::Entry { problems, .. } => (error_summary(problems)),
            Shown::Import { lines, .. } => (error_summary(&[("file".to_string(), format!("The file was not imported: {} problem(s) below; nothing was saved.", lines.len()))])),
            Shown::Plain => {},
        }
        @if let Some(saved) = get(query, "saved") {
            (layout::saved_banner(&format!("Saved: {saved}")))
        }
        @if let Some(n) = get(query, "imported") {
            (layout::saved_banner(&format!("Imported {n} figures")))
        }
        span class="govuk-caption-l" { (agreement.name()) }
        h1 class="govuk-heading-l" { "Metrics and KPIs " (year) }
        @if performance.is_empty() {
            p class="govuk-body" { "This agreement defines no metrics or KPIs (its [performance] table)." }
        } @else {
            p class="govuk-body" {
                "Each period's status compares the actual with the plan in the metric's direction: on track when the "
                "actual is the plan or better, not on track when worse, and not available unless both are figures. "
                "\"Not available\" is a state of its own: the period was reported on and there was no data. It is "
                "not a zero. A KPI's target is the plan of every period with none entered."
            }
            @if let Some(set) = performance.national {
                p class="govuk-body" { "National metrics: " (set.name) " (" (set.source) ")." }
            }
            p class="govuk-body" {
                a class="govuk-link" href=(scope::href(at, "/performance")) { "The monthly performance report" }
                " shows each metric's latest figures up to a month, beside the monthly finance report."
            }
            (super::returns::links(at, agreement))
            (tables[0].render(here))
            @for (frequency, series) in &forms {
                (entry_form(who, at, *frequency, series, shown))
            }
            @if !forms.is_empty() { (import_form(who, at, shown)) }
            @for (state, table) in read.states.iter().zip(&tables[1..]) {
                (series_section(agreement, state, table, here))
            }
            @for (h, table) in homes.iter().zip(&tables[1 + read.states.len()..]) {
                section class="app-section" id={ "home-support-" (h.kpi.id) } {
                    h2 class="govuk-heading-m" { (h.kpi.name) ": the quarters" (layout::cited(h.kpi.clause.as_deref())) }
                    (home_support_words(h))
                    (table.render(here))
                }
            }
        }
        (layout::audit_head(&read.head))
    };
    layout::page(&format!("Metrics and KPIs {year}"), &Nav::new(who, at, agreement, Section::Metrics), &[], body)
}

/// What a home support measure's quarters show, with its terms.
fn home_support_words(h: &HomeSupportState) -> Markup {
    let Some(t) = h.kpi.home_support.as_ref() else { return html! {} };
    html! {
        p class="govuk-body" {
            "Grow the hours of home support commissioned a week by " (t.growth_percent.grouped()) "% from "
            (t.baseline_hours.grouped()) " (" (t.growth_target().grouped()) " hours a week), buying "
            (t.new_hours_a_week.grouped()) " new hours a week. Each quarter: the average new hours a week of the weeks "
            "reported against " (t.new_hours_a_week.grouped()) "; the growth at the latest week with hours commissioned, as "
            "progress to the " (t.growth_target().grouped()) " hours, against a quarter of it due each quarter; and the "
            "spend on the home support budget line at the quarter's end, where the ledger reaches it."
        }
    }
}

fn series_section(agreement: &Agreement, state: &SeriesState, table: &Table, here: &Here) -> Markup {
    let s = &state.series;
    html! {
        section class="app-section" id={ "metric-" (s.id) } {
            h2 class="govuk-heading-m" { (s.name) }
            dl class="govuk-summary-list govuk-summary-list--no-border" {
                @if let Some(definition) = &s.definition {
                    div class="govuk-summary-list__row" {
                        dt class="govuk-summary-list__key" { "Definition" }
                        dd class="govuk-summary-list__value" {
                            (definition)
                            @if definition_unconfirmed(agreement, s) {
                                " " strong class="govuk-tag govuk-tag--yellow app-unconfirmed" { "Definition not confirmed" }
                            }
                        }
                    }
                }
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { "Unit" }
                    dd class="govuk-summary-list__value" { (s.unit) }
                }
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { "Direction" }
                    dd class="govuk-summary-list__value" { (s.direction.words()) }
                }
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { "Source" }
                    dd class="govuk-summary-list__value" { (s.cited) }
                }
            }
            (charts::plan_actual(&format!("chart-{}", s.id), &format!("{}: plan against actual", s.name), &state.standings))
            details class="govuk-details" open[state.standings.len() <= 12] {
                summary class="govuk-details__summary" {
                    span class="govuk-details__summary-text" { "Every " (s.frequency.key()) "'s figures" }
                }
                div class="govuk-details__text" { (table.render(here)) }
            }
        }
    }
}

/// The form entering one period's figures for every series of a frequency one may enter.
fn entry_form(who: &Identity, at: &AgreementYear, frequency: Frequency, series: &[&Series], shown: &Shown) -> Markup {
    let f = frequency.key();
    // What was typed, shown back when this form was refused.
    let typed = match shown {
        Shown::Entry { fields, .. } if get(fields, "frequency") == Some(f) => Some(fields),
        _ => None,
    };
    let problems: &[(String, String)] = match shown {
        Shown::Entry { problems, .. } if typed.is_some() => problems,
        _ => &[],
    };
    let problem = |field: &str| problems.iter().find(|(id, _)| id == field).map(|(_, m)| m.clone());
    let value = |name: &str| typed.and_then(|t| get(t, name)).unwrap_or("").to_string();
    let kind = typed.and_then(|t| get(t, "kind")).unwrap_or("actual").to_string();
    let chosen = value("period");
    let heading = match frequency {
        Frequency::Quarter => "Enter a quarter's figures",
        Frequency::Month => "Enter a month's figures",
        Frequency::Year => "Enter the year's figures",
        Frequency::Week => "Enter a week's figures",
    };
    let period_id = format!("period-{f}");
    html! {
        form method="post" action=(scope::href(at, "/metrics")) id={ "entry-" (f) } class="app-section" novalidate {
            (layout::csrf_field(who))
            input type="hidden" name="frequency" value=(f);
            h2 class="govuk-heading-m" { (heading) }
            p class="govuk-body" {
                "Give a number, or \"" (NOT_AVAILABLE) "\" where the period was reported on without data. "
                "A field left blank changes nothing; a figure entered again replaces the one before."
            }
            @let period_problem = problem(&period_id);
            div class={ "govuk-form-group" @if period_problem.is_some() { " govuk-form-group--error" } } {
                label class="govuk-label" for=(period_id) { "Period" }
                @if let Some(m) = &period_problem { p class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (m) } }
                select class="govuk-select" id=(period_id) name="period" {
                    @for p in frequency.periods() {
                        @let label = period_label(at.year, p);
                        option value=(p) selected[p.to_string() == chosen] { (label) }
                    }
                }
            }
            div class="govuk-form-group" {
                fieldset class="govuk-fieldset" {
                    legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { "The figures are" }
                    div class="govuk-radios govuk-radios--small govuk-radios--inline" data-module="govuk-radios" {
                        @for (key, words) in [("actual", "Actuals"), ("plan", "Plans")] {
                            div class="govuk-radios__item" {
                                input class="govuk-radios__input" id={ "kind-" (f) "-" (key) } name="kind" type="radio" value=(key) checked[kind == key];
                                label class="govuk-label govuk-radios__label" for={ "kind-" (f) "-" (key) } { (words) }
                            }
                        }
                    }
                }
            }
            @for s in series {
                @let id = format!("figure-{}", s.id);
                @let name = format!("figure.{}", s.id);
                @let field_problem = problem(&id);
                div class={ "govuk-form-group" @if field_problem.is_some() { " govuk-form-group--error" } } {
                    label class="govuk-label" for=(id) { (s.name) }
                    div class="govuk-hint" id={ (id) "-hint" } { (s.unit) ", " (s.direction.words()) " (" (s.id) ")" }
                    @if let Some(m) = &field_problem { p class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (m) } }
                    input class="govuk-input govuk-input--width-10" id=(id) name=(name) type="text"
                        spellcheck="false" aria-describedby={ (id) "-hint" } value=(value(&name));
                }
            }
            button type="submit" class="govuk-button" data-module="govuk-button" id={ "save-" (f) } { "Save figures" }
        }
    }
}

/// `Q2 (July to September 2016)`, `W1 (from 1 April 2016)`, `M6 (September 2016)`.
fn period_label(year: FinancialYear, period: MetricPeriod) -> String {
    let (first, last) = period.days(year);
    match period {
        MetricPeriod::Month(m) => month_label(year, m),
        MetricPeriod::Year => format!("the year {year}"),
        _ => format!("{period} ({first} to {last})"),
    }
}

fn import_form(who: &Identity, at: &AgreementYear, shown: &Shown) -> Markup {
    html! {
        // The CSRF token must be the first part: the sign-in layer reads it before the file.
        form method="post" action=(scope::href(at, "/metrics/import")) enctype="multipart/form-data" id="import" class="app-section" novalidate {
            (layout::csrf_field(who))
            h2 class="govuk-heading-m" { "Import figures from a file" }
            p class="govuk-body" {
                "A CSV or XLSX file with the columns " (IMPORT_COLUMNS.join(", ")) ": the metric's id, its period (W1-W52, "
                "M1-M12, Q1-Q4 or year, as the metric is measured), plan or actual, and the figure or \"" (NOT_AVAILABLE) "\". "
                "Every row is checked first: if any is wrong, nothing is saved and each is listed with its row and column."
            }
            @if let Shown::Import { file, lines } = shown {
                (import_problems(file, lines))
            }
            div class={ "govuk-form-group" @if matches!(shown, Shown::Import { .. }) { " govuk-form-group--error" } } {
                label class="govuk-label" for="file" { "Figures file" }
                input class="govuk-file-upload" id="file" name="file" type="file" accept=".csv,.xlsx";
            }
            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" id="import-button" { "Import figures" }
        }
    }
}

/// An import's problems: the bad rows as a table (row, column, what is wrong), anything
/// else as a list.
fn import_problems(file: &str, lines: &[String]) -> Markup {
    let rows: Vec<_> = lines.iter().filter_map(|l| bad_row(l, file)).collect();
    let other: Vec<&String> = lines.iter().filter(|l| bad_row(l, file).is_none()).collect();
    html! {
        div class="govuk-error-message" id="import-problems" {
            @if !other.is_empty() {
                ul class="govuk-list" { @for l in &other { li { (l) } } }
            }
            @if !rows.is_empty() {
                table class="govuk-table" id="bad-rows" {
                    caption class="govuk-table__caption govuk-table__caption--s" { "Rows of " (file) " not imported" }
                    thead class="govuk-table__head" {
                        tr class="govuk-table__row" {
                            th scope="col" class="govuk-table__header" { "Row" }
                            th scope="col" class="govuk-table__header" { "Column" }
                            th scope="col" class="govuk-table__header" { "What is wrong" }
                        }
                    }
                    tbody class="govuk-table__body" {
                        @for r in &rows {
                            tr class="govuk-table__row" {
                                td class="govuk-table__cell" { (r.row) }
                                td class="govuk-table__cell" { (r.column) }
                                td class="govuk-table__cell" { (r.message) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `POST .../metrics`: one period's figures of the series the form names (`figure.ID`),
/// blank ones left out; back to the page saying what was saved, or the form again with
/// why not.
pub async fn save(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(fields): Form<QueryPairs>,
) -> Result<Response, WebError> {
    let frequency = get(&fields, "frequency").unwrap_or("").to_string();
    let period_field = format!("period-{frequency}");
    let mut problems = Vec::new();
    let period = MetricPeriod::parse(get(&fields, "period").unwrap_or(""))
        .map_err(|e| problems.push((period_field.clone(), format!("Choose the period: {e}"))))
        .ok();
    let kind = FigureKind::parse(get(&fields, "kind").unwrap_or("actual"))
        .map_err(|e| problems.push((period_field.clone(), e)))
        .ok();
    let mut entries = Vec::new();
    for (name, value) in &fields {
        let Some(series) = name.strip_prefix("figure.") else { continue };
        if value.trim().is_empty() {
            continue;
        }
        match (Figure::parse(value), period, kind) {
            (Ok(figure), Some(period), Some(kind)) => {
                entries.push(MetricEntry { series: series.to_string(), period, kind, figure })
            }
            (Ok(_), _, _) => {}
            (Err(e), _, _) => problems.push((format!("figure-{series}"), format!("{series}: {e}"))),
        }
    }
    if entries.is_empty() && problems.is_empty() {
        problems.push((period_field.clone(), format!("Enter at least one figure, or \"{NOT_AVAILABLE}\".")));
    }
    if !problems.is_empty() {
        return respond(&web, who, at, Vec::new(), Shown::Entry { fields, problems }).await;
    }
    let count = entries.len();
    match actions::set_metrics(&web, &who, &at, entries).await {
        Ok(()) => {
            let (period, kind) = (period.map(|p| p.to_string()), kind.map(FigureKind::key));
            let saved = format!(
                "{count} {} of {}",
                if kind == Some("plan") { "plans" } else { "actuals" },
                period.unwrap_or_default()
            );
            let back = table::with_query(&scope::href(&at, "/metrics"), &[("saved".into(), saved)]);
            Ok(Redirect::to(&format!("{back}#metrics")).into_response())
        }
        Err(WebError::Invalid(lines)) => {
            let problems = lines.into_iter().map(|l| (period_field.clone(), l)).collect();
            respond(&web, who, at, Vec::new(), Shown::Entry { fields, problems }).await
        }
        Err(other) => Err(other),
    }
}

/// `POST .../metrics/import`: a CSV or XLSX file of figures, saved to disk for the app's
/// import, which takes all of it or nothing; back to the page saying how many, or with
/// every bad row.
pub async fn import(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let max_upload_bytes = web.max_upload_bytes;
    let unreadable = |e: axum::extract::multipart::MultipartError| crate::edge::body_error(&e, max_upload_bytes);
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        if field.name() != Some("file") {
            // The CSRF token, checked by the sign-in layer; anything else is ignored.
            continue;
        }
        let given = field.file_name().unwrap_or("").to_string();
        let name = pooled_app::extract_file_name(&given).map_err(|e| WebError::Invalid(vec![format!("file: {e}")]))?;
        let upload = imports::save_upload(&web, &name, field).await?;
        let imported = actions::import_metrics(&web, &who, &at, upload.path.clone()).await;
        let _ = tokio::fs::remove_dir_all(&upload.folder).await;
        return match imported {
            Ok(done) => {
                let back =
                    table::with_query(&scope::href(&at, "/metrics"), &[("imported".into(), done.figures.to_string())]);
                Ok(Redirect::to(&back).into_response())
            }
            Err(WebError::Invalid(lines)) => {
                // Named as the user named the file, not by the folder it waited in.
                let prefix = format!("{}/", upload.folder.display());
                let lines = lines.into_iter().map(|l| l.replacen(&prefix, "", 1)).collect();
                respond(&web, who, at, Vec::new(), Shown::Import { file: name, lines }).await
            }
            Err(other) => Err(other),
        };
    }
    Err(WebError::Invalid(vec!["Choose the file of figures to import.".into()]))
}

/// The monthly performance report's table: each series' latest period ended by the
/// month's end with an actual, its figures and status.
pub(crate) fn performance_table(year: FinancialYear, month: FiscalMonth, states: &[SeriesState]) -> Table {
    let day = year.month_end(month);
    let rows = states
        .iter()
        .map(|state| {
            let s = &state.series;
            let latest = latest_by(&state.standings, year, day);
            let status = latest.map_or(Status::NotAvailable, |l| l.status);
            let cells = vec![
                text(s.name.clone()),
                text(s.unit.clone()),
                text(s.direction.words()),
                text(latest.map_or_else(|| "none reported".to_string(), |l| l.period.to_string())),
                figure_cell(latest.and_then(|l| l.plan)),
                figure_cell(latest.and_then(|l| l.actual)),
                text(status.words()),
                text(s.cited.clone()),
            ];
            Row::new(cells).with_status(format!("performance-{}", s.id), 6, status)
        })
        .collect();
    Table {
        id: "performance".into(),
        caption: format!("Performance at {}", month_label(year, month)),
        columns: vec![
            column("Metric", ColumnKind::Text),
            column("Unit", ColumnKind::Text),
            column("Direction", ColumnKind::Text),
            column("Latest period", ColumnKind::Text),
            column("Plan", ColumnKind::Decimal),
            column("Actual", ColumnKind::Decimal),
            column("Status", ColumnKind::Text),
            column("Source", ColumnKind::Text),
        ],
        rows,
    }
}

/// The monthly performance report's tables at `month`: the series, then each home support
/// measure's quarters ended by then.
pub(crate) fn performance_tables(read: &Read, month: FiscalMonth) -> Vec<Table> {
    let mut tables = vec![performance_table(read.agreement.financial_year(), month, &read.states)];
    let homes = home_support_states(&read.agreement, &read.states);
    tables.extend(homes.iter().map(|h| home_support_table(read, h, Some(month))));
    tables
}

/// The report's words and tables, on its page and in the agenda pack.
pub(crate) fn performance_body(read: &Read, month: FiscalMonth, tables: &[Table], here: &Here) -> Markup {
    let year = read.agreement.financial_year();
    html! {
        @if read.agreement.performance().is_empty() {
            p class="govuk-body" { "This agreement defines no metrics or KPIs (its [performance] table)." }
        } @else {
            p class="govuk-body" {
                "Each metric's latest period ended by " (year.month_end(month)) " with an actual entered, its plan and its status; "
                "\"not available\" where the period was reported without data, or no plan or actual is a figure."
            }
            @for t in tables { (t.render(here)) }
        }
    }
}

/// `GET .../performance`: the monthly performance report for a month (the latest with
/// ledger actuals unless chosen), or one of its tables as CSV/XLSX.
pub async fn report(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let read = read(&web, &at).await?;
    blocking(move || {
        let month = read.data.month_or_latest(month);
        let tables = performance_tables(&read, month);
        if format != Format::Html {
            let tables: Vec<Table> = tables.into_iter().map(|t| t.with_audit_head(&read.head)).collect();
            let stem = scope::file_stem(&at, &format!("-{month}-performance"));
            return table::export(&tables, get(&query, "table"), format, &stem);
        }
        let year = at.year;
        let here = Here::new(scope::href(&at, "/performance"), query.clone());
        let finance = table::with_query(&scope::agreement_href(&at), &[("month".into(), month.to_string())]);
        let body = html! {
            span class="govuk-caption-l" { (read.agreement.name()) }
            h1 class="govuk-heading-l" { "Monthly performance report " (year) }
            p class="govuk-body-l" { "At " (month_label(year, month)) ", beside "
                a class="govuk-link" href=(finance) id="finance-report" { "the monthly finance report" } "." }
            (month_chooser(&scope::href(&at, "/performance"), year, month))
            (performance_body(&read, month, &tables, &here))
            p class="govuk-body" { a class="govuk-link" href=(scope::href(&at, "/metrics")) { "Every metric's figures, and entering them" } }
            (layout::audit_head(&read.head))
        };
        let title = format!("Monthly performance report {year}");
        Ok(layout::page(&title, &Nav::new(&who, &at, &read.agreement, Section::Metrics), &[], body).into_response())
    })
    .await
}

/// The evidence a waiver of the clawback of a home support budget line can cite: the
/// measure's latest quarter with weeks reported, its average new hours a week and its
/// progress, each with its status. `None` when no home support measure names the line.
pub(crate) fn clawback_evidence(
    at: &AgreementYear,
    agreement: &Agreement,
    states: &[SeriesState],
    pool: &str,
    line: &str,
) -> Option<Markup> {
    let homes = home_support_states(agreement, states);
    let h = homes.iter().find(|h| {
        let named = h.kpi.home_support.as_ref().and_then(|t| t.budget_line.as_ref());
        named.is_some_and(|(p, l)| p == pool && l == line)
    })?;
    let terms = h.kpi.home_support.as_ref()?;
    let shown = |d: Option<Decimal>| d.map_or_else(|| "none".to_string(), |d| d.grouped());
    let latest = h.quarters.iter().rev().find(|q| q.weeks_reported > 0 || q.latest_week.is_some());
    Some(html! {
        div class="govuk-hint app-evidence" id={ "evidence-" (h.kpi.id) } {
            "Evidence: " (h.kpi.name) (layout::cited(h.kpi.clause.as_deref())) ", "
            @match latest {
                None => "no weekly figures entered yet.",
                Some(q) => {
                    "Q" (q.quarter) ": average new hours a week " (shown(q.average_new_hours)) " against "
                    (terms.new_hours_a_week.grouped()) " (" (q.new_hours_status.words()) "); progress "
                    (shown(q.progress_percent)) "% of the " (terms.growth_target().grouped()) " hours, "
                    (q.progress_due_percent.grouped()) "% due (" (q.progress_status.words()) "). "
                }
            }
            a class="govuk-link" href={ (scope::href(at, "/metrics")) "#home-support-" (h.kpi.id) } { "The quarters" }
        }
    })
}
