//! `/agreements/{agreement}/{year}/what-if`: change any line's outturn, or a whole pool's, and see every
//! partner's settlement beside the forecast's (the settlement on the outturn given), without
//! saving anything. A GET form, so a what-if is a link that can be shared or exported.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_core::agreement::{Agreement, Line};
use pooled_core::money::Money;
use pooled_core::report::{LineReport, MonthlyReport};
use pooled_core::settlement::{Outturn, PoolSettlement, settle};
use pooled_files::{Cell, ColumnKind};

use super::pool::parts_table;
use super::{QueryPairs, get, month_chooser, month_label};
use crate::auth::Identity;
use crate::data::{Web, parse_month};
use crate::error::WebError;
use crate::layout::{self, Nav, Section, pounds};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text};

/// One amount field of the form.
struct Field {
    /// The query name: `line:POOL:LINE` or `pool:POOL`, ids as the agreement has them.
    name: String,
    /// The HTML id, from indices, so that any id in the agreement makes a valid one.
    id: String,
    label: String,
    hint: String,
    value: String,
    error: Option<String>,
}

/// `-1,234,567.89`: what a reader types, and what [`Money::parse`] reads back.
fn amount_text(m: Money) -> String {
    m.to_pounds_string().replacen('£', "", 1)
}

fn line_report<'a>(report: &'a MonthlyReport, p: usize, line: &str) -> Option<&'a LineReport> {
    report.pools[p].segments.iter().flat_map(|s| &s.lines).find(|l| l.id == line)
}

/// A line's forecast outturn at the report's month: where a what-if starts.
fn forecast_of(report: &MonthlyReport, p: usize, line: &Line) -> Money {
    line_report(report, p, &line.id).map_or(line.budget(), |r| r.figures.forecast_outturn)
}

/// Where a what-if amount goes, by index into the agreement: one line of a pool, or
/// the whole pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Line { pool: usize, line: usize },
    Pool(usize),
}

/// The outturn of a what-if, shared by the page and the API: each line at the amount
/// `given` for it, else at its forecast outturn at the report's month; then each pool
/// given a whole outturn has it spread over its lines in proportion to their budgets,
/// in place of theirs. Every amount that cannot be used is an error for its target.
pub fn what_if_outturn<'g>(
    a: &Agreement,
    report: &MonthlyReport,
    given: impl Fn(Target) -> Option<&'g str>,
) -> Result<Outturn, Vec<(Target, String)>> {
    let mut outturn = Outturn::on_budget(a);
    let mut errors = Vec::new();
    // Each unagreed saving delivers what the report takes it to, as its forecast
    // risk-share impact does: the what-if starts from the forecast's settlement.
    for delivery in report.pools.iter().flat_map(|p| &p.savings) {
        outturn.set_delivered(&delivery.saving, delivery.delivery);
    }
    for (p, pool) in a.pools().iter().enumerate() {
        for (l, line) in pool.lines.iter().enumerate() {
            let amount = match given(Target::Line { pool: p, line: l }) {
                None => Ok(forecast_of(report, p, line)),
                Some(text) => Money::parse(text).map_err(|e| {
                    format!("Enter the outturn of {} ({}) in pounds, like 1,234,567.89: {e}", line.name, pool.id)
                }),
            };
            match amount {
                Ok(m) => {
                    outturn.set_line(a, &pool.id, &line.id, m);
                }
                Err(e) => errors.push((Target::Line { pool: p, line: l }, e)),
            }
        }
        let Some(whole) = given(Target::Pool(p)) else { continue };
        let weights: Vec<u64> = pool.lines.iter().map(|l| l.budget().pence().unsigned_abs()).collect();
        let spread = Money::parse(whole).map_err(|e| {
            format!("Enter the whole outturn of {} in pounds, like 1,234,567.89, or leave it blank: {e}", pool.name)
        });
        match spread.and_then(|m| {
            m.split_by_weights(&weights)
                .ok_or_else(|| format!("The lines of {} have no budget to spread a whole outturn over", pool.name))
        }) {
            Ok(shares) => {
                for (line, share) in pool.lines.iter().zip(shares) {
                    outturn.set_line(a, &pool.id, &line.id, share);
                }
            }
            Err(e) => errors.push((Target::Pool(p), e)),
        }
    }
    if errors.is_empty() { Ok(outturn) } else { Err(errors) }
}

/// The form's fields, `[pool] -> (whole-pool field, line fields)`, and the outturn they
/// give, or the errors.
fn read_form(a: &Agreement, report: &MonthlyReport, query: &QueryPairs) -> (Vec<(Field, Vec<Field>)>, Option<Outturn>) {
    let mut pools = Vec::new();
    for (p, pool) in a.pools().iter().enumerate() {
        let mut lines = Vec::new();
        for (l, line) in pool.lines.iter().enumerate() {
            let forecast = forecast_of(report, p, line);
            let name = format!("line:{}:{}", pool.id, line.id);
            let value = get(query, &name).map_or_else(|| amount_text(forecast), str::to_string);
            lines.push(Field {
                id: format!("line-{p}-{l}"),
                label: line.name.clone(),
                hint: format!("Budget {}; forecast outturn {}", pounds(line.budget()), pounds(forecast)),
                value,
                error: None,
                name,
            });
        }
        let name = format!("pool:{}", pool.id);
        let value = get(query, &name).unwrap_or("").trim().to_string();
        let whole = Field {
            id: format!("pool-{p}"),
            label: format!("Whole {} outturn (optional)", pool.id),
            hint: format!(
                "Budget {}. If given, it is spread over the pool's lines in proportion to their budgets, in place of the lines above.",
                pounds(pool.total_budget())
            ),
            value,
            error: None,
            name,
        };
        pools.push((whole, lines));
    }
    let outturn = what_if_outturn(a, report, |target| match target {
        Target::Line { pool, line } => Some(pools[pool].1[line].value.as_str()),
        Target::Pool(pool) => Some(pools[pool].0.value.as_str()).filter(|v| !v.is_empty()),
    });
    match outturn {
        Ok(outturn) => (pools, Some(outturn)),
        Err(errors) => {
            for (target, error) in errors {
                let field = match target {
                    Target::Line { pool, line } => &mut pools[pool].1[line],
                    Target::Pool(pool) => &mut pools[pool].0,
                };
                field.error = Some(error);
            }
            (pools, None)
        }
    }
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let (shared, key) = (Arc::clone(&web), at.clone());
    let data = web.stores.run(move |store| shared.year(store, &key)).await?;
    blocking(move || {
        let a = &data.agreement;
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let (fields, outturn) = read_form(a, &report, &query);
        let settled = outturn.as_ref().map(|o| settle(a, o));
        let tables: Vec<Table> = match &settled {
            None => Vec::new(),
            Some(settled) => {
                let mut t = vec![comparison_table(a, &report, settled)];
                t.extend(settled.iter().map(|s| {
                    let name = a.pool(&s.pool).map_or("", |p| p.name.as_str());
                    parts_table(
                        a,
                        s,
                        &format!("parts-{}", s.pool),
                        format!("{name} ({}): the what-if settlement part by part", s.pool),
                    )
                }));
                t
            }
        };
        if format != Format::Html {
            if settled.is_none() {
                return Err(WebError::BadRequest("Some amounts are not valid: open the page to correct them.".into()));
            }
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-what-if"));
        }
        let errors: Vec<(String, String)> = fields
            .iter()
            .flat_map(|(whole, lines)| lines.iter().chain(std::iter::once(whole)))
            .filter_map(|f| f.error.clone().map(|e| (f.id.clone(), e)))
            .collect();
        let here = Here::new(scope::href(&at, "/what-if"), query);
        let title = format!("What if {year}");
        let body = html! {
            @if !errors.is_empty() { (layout::error_summary(&errors)) }
            span class="govuk-caption-l" { (a.name()) }
            h1 class="govuk-heading-l" { "What if: the settlement on other outturns" }
            p class="govuk-body" {
                "Change any line's outturn, or a whole pool's, to see how every partner's share of the variance would change. "
                "Each line starts at its forecast outturn at " (month_label(year, month)) ". Nothing is saved."
            }
            (month_chooser(&scope::href(&at, "/what-if"), year, month))
            @if let Some(comparison) = tables.first() {
                h2 class="govuk-heading-l" { "Settlement: forecast and what if" }
                (layout::variance_hint())
                (comparison.render(&here))
            }
            h2 class="govuk-heading-l" { "Change the outturns" }
            form method="get" action=(scope::href(&at, "/what-if")) novalidate {
                input type="hidden" name="month" value=(month);
                @for (p, (whole, lines)) in fields.iter().enumerate() {
                    fieldset class="govuk-fieldset" {
                        legend class="govuk-fieldset__legend govuk-fieldset__legend--m" {
                            (a.pools()[p].name) " (" (a.pools()[p].id) ")"
                        }
                        @for f in lines { (amount_field(f)) }
                        // A one-line pool's whole outturn is its line's: asked only when given.
                        @if lines.len() > 1 || !whole.value.is_empty() { (amount_field(whole)) }
                    }
                }
                button type="submit" class="govuk-button" data-module="govuk-button" { "Show the settlement" }
                " "
                a class="govuk-link govuk-body" href=(scope::href(&at, &format!("/what-if?month={month}"))) { "Start again from the forecast" }
            }
            @if tables.len() > 1 {
                h2 class="govuk-heading-l" { "The what-if settlement part by part" }
                @for t in &tables[1..] { (t.render(&here)) }
            }
        };
        let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
        let title = if errors.is_empty() { title } else { format!("Error: {title}") };
        Ok((status, layout::page(&title, &Nav::new(&who, &at, a, Section::WhatIf), &[], body)).into_response())
    })
    .await
}

fn amount_field(f: &Field) -> Markup {
    let hint_id = format!("{}-hint", f.id);
    let error_id = format!("{}-error", f.id);
    let described = if f.error.is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() };
    html! {
        div class={ "govuk-form-group" @if f.error.is_some() { " govuk-form-group--error" } } {
            label class="govuk-label" for=(f.id) { (f.label) }
            div class="govuk-hint" id=(hint_id) { (f.hint) }
            @if let Some(e) = &f.error {
                p class="govuk-error-message" id=(error_id) { span class="govuk-visually-hidden" { "Error: " } (e) }
            }
            div class="govuk-input__wrapper" {
                div class="govuk-input__prefix" aria-hidden="true" { "£" }
                input class={ "govuk-input govuk-input--width-10" @if f.error.is_some() { " govuk-input--error" } }
                    id=(f.id) name=(f.name) type="text" inputmode="decimal" spellcheck="false" value=(f.value)
                    aria-describedby=(described);
            }
        }
    }
}

/// Each pool's variance and each partner's share of it: forecast, what if, and the change.
fn comparison_table(a: &Agreement, report: &MonthlyReport, settled: &[PoolSettlement]) -> Table {
    let columns = vec![
        column("Pool", ColumnKind::Text),
        column("Partner", ColumnKind::Text),
        column(format!("Forecast ({})", report.month), ColumnKind::Money),
        column("What if", ColumnKind::Money),
        column("Change", ColumnKind::Money),
    ];
    let row = |pool: &str, partner: &str, before: Money, after: Money| {
        Row::new(vec![text(pool), text(partner), Cell::Money(before), Cell::Money(after), Cell::Money(after - before)])
    };
    let mut rows = Vec::new();
    // Each partner as the settlement names it: the body holding its place at the year end.
    let bodies: Vec<_> = (0..a.partners().len()).map(|ix| a.body_at_year_end(ix)).collect();
    let mut totals = vec![(Money::ZERO, Money::ZERO); bodies.len()];
    for (pool, after) in report.pools.iter().zip(settled) {
        let before = &pool.risk_impact;
        rows.push(row(&pool.id, "Pool variance", before.variance, after.variance).styled(RowStyle::Segment));
        for (ix, body) in bodies.iter().enumerate() {
            let share =
                |s: &PoolSettlement| s.partners.iter().find(|p| p.partner == ix).map_or(Money::ZERO, |p| p.total);
            let (b, w) = (share(before), share(after));
            totals[ix].0 += b;
            totals[ix].1 += w;
            rows.push(row(&pool.id, &body.id, b, w));
        }
    }
    for (body, (b, w)) in bodies.iter().zip(totals) {
        rows.push(row("All pools", &body.id, b, w).styled(RowStyle::Total));
    }
    Table { id: "comparison".into(), caption: "Each partner's share of each pool's variance".into(), columns, rows }
}
