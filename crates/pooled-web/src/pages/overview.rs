//! `/`: the agreements the signed-in person acts in, each with its years and partners,
//! and links to a partner's view across them; and `/agreements/{agreement}/{year}`:
//! every pool of an agreement's year at a glance, for the report month: budget, actual to
//! date, forecast outturn and variance, each partner's forecast share of the variance,
//! and which pools need an action plan.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_core::agreement::Agreement;
use pooled_core::bcf::conditions;
use pooled_core::calendar::FinancialYear;
use pooled_core::money::Money;
use pooled_core::report::MonthlyReport;
use pooled_files::{Cell, ColumnKind};
use pooled_store::AgreementYear;

use super::{QueryPairs, get, month_chooser, month_label};
use crate::auth::Identity;
use crate::data::{Web, YearData, parse_month, visible_agreements};
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text};

/// `/`: the agreements the signed-in person acts in.
pub async fn agreements(
    State(web): State<Arc<Web>>,
    who: Identity,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let (shared, user) = (Arc::clone(&web), who.user.clone());
    let held = web
        .stores
        .run(move |store| {
            let mut held = Vec::new();
            for listed in visible_agreements(store, &user)? {
                // Newest year first.
                for year in listed.years.iter().rev() {
                    let at = AgreementYear::new(listed.id.clone(), *year);
                    held.push((shared.agreement(store, &at)?, at));
                }
            }
            Ok(held)
        })
        .await?;
    if held.is_empty() {
        return Ok(no_agreements(&who).into_response());
    }
    let tables = [agreements_table(&held)];
    if format != Format::Html {
        return table::export(&tables, get(&query, "table"), format, "pooled-agreements");
    }
    let here = Here::new("/".into(), query);
    // Each year's bodies, in the agreements' order: every partner, and its successor.
    let mut bodies: BTreeMap<FinancialYear, Vec<&str>> = BTreeMap::new();
    for (agreement, at) in &held {
        let year = bodies.entry(at.year).or_default();
        for p in agreement.partners() {
            for id in std::iter::once(p.id.as_str()).chain(p.succeeded_by.as_ref().map(|s| s.id.as_str())) {
                if !year.contains(&id) {
                    year.push(id);
                }
            }
        }
    }
    let body = html! {
        h1 class="govuk-heading-l" { "Agreements" }
        p class="govuk-body" {
            "The section 75 agreements you act in, each with the financial years it is loaded for. "
            "Open a year for its pools, monthly report, settlement, payments and board."
        }
        (tables[0].render(&here))
        h2 class="govuk-heading-m" { "A partner across its agreements" }
        p class="govuk-body" {
            "One partner's contributions, forecast variance and forecast risk-share impact in every agreement it "
            "holds a place in: an ICB's view of its places."
        }
        ul class="govuk-list" id="partners" {
            @for (year, ids) in bodies.iter().rev() {
                li {
                    (year) ": "
                    @for (i, id) in ids.iter().enumerate() {
                        @if i > 0 { ", " }
                        a class="govuk-link" href=(scope::partner_href(id, *year)) { (id) }
                    }
                }
            }
        }
    };
    Ok(layout::page("Agreements", &Nav::outside(&who, Section::Agreements), &[], body).into_response())
}

/// Each agreement's year, linked to its page, with its partners (and their successors).
fn agreements_table(held: &[(Arc<Agreement>, AgreementYear)]) -> Table {
    let columns = vec![
        column("Agreement", ColumnKind::Text),
        column("Id", ColumnKind::Text),
        column("Financial year", ColumnKind::Text),
        column("Partners", ColumnKind::Text),
    ];
    let rows = held
        .iter()
        .map(|(agreement, at)| {
            let cells = vec![
                text(agreement.name()),
                text(at.agreement.clone()),
                text(at.year.to_string()),
                text(agreement.partners_listed()),
            ];
            Row { href: Some(scope::agreement_href(at)), ..Row::new(cells) }
        })
        .collect();
    Table { id: "agreements".into(), caption: "Your agreements".into(), columns, rows }
}

/// `/agreements/{agreement}/{year}`: the agreement's pools at the report month.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let shared = Arc::clone(&web);
    let scope = at.clone();
    let (years, data) = web
        .stores
        .run(move |store| {
            let data = shared.year(store, &scope)?;
            let years = (store.agreements()?.into_iter())
                .filter(|s| s.agreement.agreement == scope.agreement)
                .map(|s| s.agreement.year)
                .collect::<Vec<_>>();
            Ok((years, data))
        })
        .await?;
    blocking(move || {
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let pools = pools_table(&data, &report);
        let table = get(&query, "table").map(str::to_string);
        let here = Here::new(scope::agreement_href(&at), query);
        let stem = scope::file_stem(&at, &format!("-{month}"));
        match format {
            Format::Html => Ok(render(&who, &years, &data, &report, &pools, &here).into_response()),
            _ if table.as_deref() == Some("report") => report_export(&data, &report, format, &format!("{stem}-report")),
            _ => table::export(&[pools.with_audit_head(&data.head)], table.as_deref(), format, &stem),
        }
    })
    .await
}

/// The whole monthly report, every pool's every row, as the command line writes it (the
/// audit log's head as of the year's figures last).
pub fn report_export(
    data: &YearData,
    report: &MonthlyReport,
    format: Format,
    stem: &str,
) -> Result<Response, WebError> {
    let head = &data.head;
    match format {
        Format::Csv => {
            let (header, rows) = pooled_app::report_table(report, head);
            Ok(table::csv_response(stem, &header, rows))
        }
        _ => table::xlsx_response(stem, &pooled_app::report_workbook(report, head)),
    }
}

pub(crate) fn pools_table(data: &YearData, report: &MonthlyReport) -> Table {
    let partners = data.agreement.partners();
    let mut columns = vec![
        column("Pool", ColumnKind::Text),
        column("Budget", ColumnKind::Money),
        column("Actual to date", ColumnKind::Money),
        column("Forecast outturn", ColumnKind::Money),
        column("Forecast variance", ColumnKind::Money),
    ];
    // Each partner headed by the body holding its place at the end of the month.
    columns.extend(report.bodies.iter().map(|b| column(format!("{} share", b.id), ColumnKind::Money)));
    columns.push(column("Action plans", ColumnKind::Text));
    let year = data.scope.year;
    let mut rows = Vec::new();
    let mut totals = vec![Money::ZERO; 4 + partners.len()];
    for pool in &report.pools {
        let f = &pool.figures;
        let mut amounts = vec![f.annual_budget, f.actual_to_date, f.forecast_outturn, f.variance];
        amounts.extend(partners.iter().enumerate().map(|(ix, _)| {
            pool.risk_impact.partners.iter().find(|p| p.partner == ix).map_or(Money::ZERO, |p| p.total)
        }));
        for (t, a) in totals.iter_mut().zip(&amounts) {
            *t += *a;
        }
        let lines: Vec<_> = pool.segments.iter().flat_map(|s| &s.lines).collect();
        let flagged = lines.iter().filter(|l| l.figures.needs_action_plan()).count();
        let flag = match (f.needs_action_plan(), flagged) {
            (false, 0) => String::new(),
            (_, 0) => "the pool".to_string(),
            (_, n) => format!("{n} of {} lines", lines.len()),
        };
        let mut cells = vec![text(format!("{} ({})", pool.name, pool.id))];
        cells.extend(amounts.into_iter().map(Cell::Money));
        cells.push(text(flag));
        rows.push(Row { href: Some(scope::pool_href(&data.scope, &pool.id)), ..Row::new(cells) });
    }
    let mut cells = vec![text("All pools")];
    cells.extend(totals.into_iter().map(Cell::Money));
    cells.push(Cell::Empty);
    rows.push(Row::new(cells).styled(RowStyle::Total));
    Table { id: "pools".into(), caption: format!("Pools at {}", month_label(year, report.month)), columns, rows }
}

/// The Better Care Fund's conditions the month's figures breach, each naming the figure,
/// the condition and its source; nothing when none is breached (or the agreement has none).
pub(crate) fn condition_breaches(data: &YearData, report: &MonthlyReport) -> maud::Markup {
    let breaches: Vec<String> =
        conditions::for_report(&data.agreement, report).iter().flat_map(|c| c.breach_words()).collect();
    html! {
        @if !breaches.is_empty() {
            div class="govuk-warning-text" id="bcf-breaches" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                div class="govuk-warning-text__text" {
                    span class="govuk-visually-hidden" { "Warning" }
                    "Better Care Fund conditions breached at " (month_label(data.scope.year, report.month)) ":"
                    ul class="govuk-list govuk-list--bullet" { @for b in &breaches { li { (b) } } }
                }
            }
        }
    }
}

fn render(
    who: &Identity,
    years: &[FinancialYear],
    data: &YearData,
    report: &MonthlyReport,
    pools: &Table,
    here: &Here,
) -> maud::Markup {
    let a = &data.agreement;
    let year = a.financial_year();
    let total =
        |f: fn(&pooled_core::report::Figures) -> Money| report.pools.iter().map(|p| f(&p.figures)).sum::<Money>();
    let body = html! {
        span class="govuk-caption-l" { (a.name()) }
        h1 class="govuk-heading-l" { "Pooled budgets " (year) }
        p class="govuk-body-l" { "Monthly finance report at " (month_label(year, report.month)) "." }
        @if years.len() > 1 {
            p class="govuk-body" {
                "This agreement's years: "
                @for (i, y) in years.iter().rev().enumerate() {
                    @if i > 0 { ", " }
                    @if *y == year { strong { (y) } } @else {
                        a class="govuk-link" href=(scope::agreement_href(&AgreementYear::new(data.scope.agreement.clone(), *y))) { (y) }
                    }
                }
                "."
            }
        }
        (month_chooser(&scope::agreement_href(&data.scope), year, report.month))
        @if data.latest.is_none() {
            div class="govuk-inset-text" { "No ledger has been imported for " (year) " yet: actuals are nil and forecasts run at nil." }
        }
        (layout::key_figures(&[
            ("Budget, all pools", total(|f| f.annual_budget), false),
            ("Actual to date", total(|f| f.actual_to_date), false),
            ("Forecast outturn", total(|f| f.forecast_outturn), false),
            ("Forecast variance", total(|f| f.variance), true),
        ]))
        (condition_breaches(data, report))
        (layout::variance_hint())
        p class="govuk-hint" {
            "A partner's share is its forecast risk-share impact: the year-end settlement rules "
            "applied to the forecast outturn. The rule and clause of each part are on the pool's page."
        }
        (pools.render(here))
        p class="govuk-body" {
            "The full monthly report of every pool, segment, line and cost centre: "
            a class="govuk-link" href=(here.export("report", "csv")) { "CSV" }
            " or "
            a class="govuk-link" href=(here.export("report", "xlsx")) { "Excel (XLSX), a sheet per pool" }
            "."
        }
        p class="govuk-body" {
            "Beside it, "
            a class="govuk-link" id="performance-report"
                href=(table::with_query(&scope::href(&data.scope, "/performance"), &[("month".into(), report.month.to_string())])) {
                "the monthly performance report at " (report.month)
            }
            ": each metric's and KPI's latest figures and status."
        }
        (super::returns::links(&data.scope, a))
        (layout::audit_head(&data.head))
        @if !report.warnings.is_empty() {
            div class="govuk-warning-text" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                div class="govuk-warning-text__text" {
                    span class="govuk-visually-hidden" { "Warning" }
                    "The plan's cost centre budgets do not add up to the agreement's budgets:"
                    ul class="govuk-list govuk-list--bullet" { @for w in &report.warnings { li { (w) } } }
                }
            }
        }
    };
    let crumbs = [("Agreements".to_string(), "/".to_string())];
    layout::page(
        &format!("{} {year}", a.name()),
        &Nav::new(who, &data.scope, &data.agreement, Section::Overview),
        &crumbs,
        body,
    )
}

/// The page for a database with nothing in it yet.
fn no_agreements(who: &Identity) -> maud::Markup {
    let body = html! {
        h1 class="govuk-heading-l" { "No agreements yet" }
        p class="govuk-body" { "No section 75 agreement has been loaded into this database." }
        p class="govuk-body" { "Load one from its file with the command line, then come back:" }
        pre class="govuk-body" { code { "pooled load examples/oxfordshire-2016-17.toml" } }
        p class="govuk-body" { "Or start the demonstration, which loads both Oxfordshire agreements with six months of figures:" }
        pre class="govuk-body" { code { "pooled demo" } }
    };
    layout::page("No agreements yet", &Nav::signed_in(who), &[], body)
}
