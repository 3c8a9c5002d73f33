//! `/`: every pool of a year at a glance, for the report month: budget, actual to date,
//! forecast outturn and variance, each partner's forecast share of the variance, and which
//! pools need an action plan.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_core::agreement::Agreement;
use pooled_core::money::Money;
use pooled_core::report::MonthlyReport;
use pooled_files::{Cell, ColumnKind};

use super::{QueryPairs, get, month_chooser, month_label};
use crate::auth::Identity;
use crate::data::{Web, YearData, loaded_years, parse_month, parse_year};
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text};

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = get(&query, "year").filter(|y| !y.is_empty()).map(parse_year).transpose()?;
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let shared = Arc::clone(&web);
    let (years, data) = web
        .stores
        .run(move |store| {
            let years = loaded_years(store)?;
            let Some(year) = year.or_else(|| years.last().copied()) else { return Ok((years, None)) };
            Ok((years, Some(shared.year(store, year)?)))
        })
        .await?;
    blocking(move || {
        let Some(data) = data else { return Ok(no_agreements(&who).into_response()) };
        let year = data.agreement.financial_year();
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let pools = pools_table(&data.agreement, &report);
        let table = get(&query, "table").map(str::to_string);
        let here = Here::new("/".into(), query);
        match format {
            Format::Html => Ok(render(&who, &years, &data, &report, &pools, &here).into_response()),
            _ if table.as_deref() == Some("report") => {
                report_export(&data, &report, format, &format!("pooled-{year}-{month}-report"))
            }
            _ => table::export(
                &[pools.with_audit_head(&data.head)],
                table.as_deref(),
                format,
                &format!("pooled-{year}-{month}"),
            ),
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

pub(crate) fn pools_table(agreement: &Agreement, report: &MonthlyReport) -> Table {
    let partners = agreement.partners();
    let mut columns = vec![
        column("Pool", ColumnKind::Text),
        column("Budget", ColumnKind::Money),
        column("Actual to date", ColumnKind::Money),
        column("Forecast outturn", ColumnKind::Money),
        column("Forecast variance", ColumnKind::Money),
    ];
    columns.extend(partners.iter().map(|p| column(format!("{} share", p.id), ColumnKind::Money)));
    columns.push(column("Action plans", ColumnKind::Text));
    let year = agreement.financial_year();
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
        rows.push(Row { href: Some(layout::pool_href(year, &pool.id)), ..Row::new(cells) });
    }
    let mut cells = vec![text("All pools")];
    cells.extend(totals.into_iter().map(Cell::Money));
    cells.push(Cell::Empty);
    rows.push(Row::new(cells).styled(RowStyle::Total));
    Table { id: "pools".into(), caption: format!("Pools at {}", month_label(year, report.month)), columns, rows }
}

fn render(
    who: &Identity,
    years: &[pooled_core::calendar::FinancialYear],
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
        (month_chooser("/", years, year, report.month))
        @if data.latest.is_none() {
            div class="govuk-inset-text" { "No ledger has been imported for " (year) " yet: actuals are nil and forecasts run at nil." }
        }
        (layout::key_figures(&[
            ("Budget, all pools", total(|f| f.annual_budget), false),
            ("Actual to date", total(|f| f.actual_to_date), false),
            ("Forecast outturn", total(|f| f.forecast_outturn), false),
            ("Forecast variance", total(|f| f.variance), true),
        ]))
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
    layout::page(&format!("Pooled budgets {year}"), &Nav::new(who, year, Section::Overview), &[], body)
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
