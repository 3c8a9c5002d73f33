//! `/agreements/{agreement}/{year}/bcf`: the agreement's funding streams and its schemes
//! by scheme type at the report month (planned, actual to date, forecast, variance), from
//! the same figures as the monthly report, and the fund's conditions judged on them; and
//! `.../bcf/schemes/{scheme}`: one scheme's terms, its funding by stream and its cost
//! centres, each linked to the cost centre's page with its months and ledger rows. Both
//! from [`pooled_app::BcfSpending`], as the API's answers are.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_app::BcfSpending;
use pooled_core::agreement::Agreement;
use pooled_core::bcf::LedgerSpend;
use pooled_core::bcf::conditions::Requirement;
use pooled_core::calendar::FiscalMonth;
use pooled_files::{Cell, ColumnKind};
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::overview::condition_breaches;
use super::{QueryPairs, get, month_chooser, month_label};
use crate::auth::Identity;
use crate::data::{Web, YearData, parse_month};
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text, with_query};

/// The streams and schemes of the agreement's year `at` at `month` (the latest with
/// actuals if not given), from its cached figures, with them: what the pages and the API
/// all show.
pub async fn spending(
    web: &Arc<Web>,
    at: AgreementYear,
    month: Option<FiscalMonth>,
) -> Result<(Arc<YearData>, BcfSpending), WebError> {
    let shared = Arc::clone(web);
    let data = web.stores.run(move |store| shared.year(store, &at)).await?;
    blocking(move || {
        let report = data.report(data.month_or_latest(month));
        let spending = BcfSpending::of_report(Arc::clone(&data.agreement), &report);
        Ok((data, spending))
    })
    .await
}

/// The scheme `id` names in `spending`, or a page saying the agreement has none of that id.
pub fn scheme_index(spending: &BcfSpending, id: &str) -> Result<usize, WebError> {
    spending.scheme(id).ok_or_else(|| {
        let a = &spending.agreement;
        WebError::NotFound(format!("The agreement {} for {} has no scheme `{id}`.", a.id(), a.financial_year()))
    })
}

/// The BCF plan page of the agreement's year.
pub fn href(at: &AgreementYear) -> String {
    scope::href(at, "/bcf")
}

/// A scheme's page.
pub fn scheme_href(at: &AgreementYear, scheme: &str) -> String {
    scope::href(at, &format!("/bcf/schemes/{}", layout::encode(scheme)))
}

/// `GET .../bcf`: the streams and the schemes by type.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let (data, spending) = spending(&web, at, parse_month(get(&query, "month"))?).await?;
    blocking(move || {
        let a = &spending.agreement;
        let tables = match a.declares_streams_or_schemes() {
            true => vec![streams_table(&spending), schemes_table(&data.scope, &spending), conditions_table(&spending)],
            false => Vec::new(),
        };
        let table = get(&query, "table").map(str::to_string);
        let here = Here::new(href(&data.scope), query);
        if format != Format::Html {
            let tables: Vec<Table> = tables.into_iter().map(|t| t.with_audit_head(&data.head)).collect();
            let stem = scope::file_stem(&data.scope, &format!("-{}-bcf", spending.month));
            return table::export(&tables, table.as_deref(), format, &stem);
        }
        let year = data.scope.year;
        let total = spending.spend.total;
        let body = html! {
            span class="govuk-caption-l" { (a.name()) }
            h1 class="govuk-heading-l" { "Funding streams and schemes " (year) }
            @if tables.is_empty() {
                p class="govuk-body" {
                    "This agreement declares no funding streams and none of its lines is a scheme of a Better Care Fund "
                    "plan, so there is no plan by stream or scheme to show. An agreement declares them with "
                    code { "[[stream]]" } " and a line's " code { "scheme" } "; its pools are on the "
                    a class="govuk-link" href=(scope::agreement_href(&data.scope)) { "overview" } "."
                }
            } @else {
                p class="govuk-body-l" { "At " (month_label(year, spending.month)) ", from the monthly report's figures." }
                (month_chooser(&href(&data.scope), year, spending.month))
                @if data.latest.is_none() {
                    div class="govuk-inset-text" { "No ledger has been imported for " (year) " yet: actuals are nil and forecasts run at nil." }
                }
                (condition_breaches(&data, &data.report(spending.month)))
                (spend_figures(&total))
                (layout::variance_hint())
                p class="govuk-hint" {
                    "Planned is each line's budget; a line's planned, actual and forecast figures go to the streams "
                    "funding it in proportion to what it takes from each, to the penny, so the streams add up to the "
                    "total. A stream's allocation is what the agreement states for it; its planned figure is what its "
                    "lines take."
                }
                @for t in &tables { (t.render(&here)) }
                p class="govuk-hint" {
                    "A minimum is judged on the planned and forecast figures: the actual to date reaches it only by the "
                    "year's end. An allocation is judged on the actual to date too. Each condition names its source: "
                    "the agreement's clause, or the national requirement where the agreement gives none."
                }
                @if !a.streams().is_empty() { (super::returns::returns_list(&data.scope)) }
                (layout::audit_head(&data.head))
            }
        };
        let nav = Nav::new(&who, &data.scope, a, Section::Bcf);
        Ok(layout::page(&format!("Funding streams and schemes {year}"), &nav, &[], body).into_response())
    })
    .await
}

/// The scheme a path names.
#[derive(Deserialize)]
pub struct InScheme {
    pub(crate) scheme: String,
}

/// `GET .../bcf/schemes/{scheme}`: the scheme's terms, funding and cost centres.
pub async fn scheme(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InScheme { scheme }): Path<InScheme>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let (data, spending) = spending(&web, at, parse_month(get(&query, "month"))?).await?;
    blocking(move || {
        let ix = scheme_index(&spending, &scheme)?;
        let a = &spending.agreement;
        let s = &spending.spend.schemes[ix];
        let (pool, line) = (&a.pools()[s.pool], &a.pools()[s.pool].lines[s.line]);
        let terms = line.scheme.as_ref().expect("a scheme's line");
        let tables = [
            terms_table(a, s.pool, s.line),
            funding_table(&spending, ix),
            cost_centres_table(&data.scope, &spending, ix),
        ];
        let table = get(&query, "table").map(str::to_string);
        let here = Here::new(scheme_href(&data.scope, &terms.id), query);
        if format != Format::Html {
            let tables = tables.map(|t| t.with_audit_head(&data.head));
            let stem = scope::file_stem(&data.scope, &format!("-{}-{}", spending.month, terms.id));
            return table::export(&tables, table.as_deref(), format, &stem);
        }
        let year = data.scope.year;
        let body = html! {
            span class="govuk-caption-l" { (terms.id) " · " (terms.scheme_type) " · " (year) }
            h1 class="govuk-heading-l" { (line.name) }
            p class="govuk-body" {
                "Line " (line.id) " of " a class="govuk-link" href=(scope::pool_href(&data.scope, &pool.id)) { (pool.name) }
                ", at " (month_label(year, spending.month)) "."
            }
            (month_chooser(&here.path, year, spending.month))
            (spend_figures(&s.spend))
            (layout::variance_hint())
            @for t in &tables { (t.render(&here)) }
            p class="govuk-hint" {
                "Each cost centre's page has its months and its ledger rows. The row without a code is the scheme's "
                "budget not given to any cost centre, taken as spent exactly."
            }
            (layout::audit_head(&data.head))
        };
        let mut crumbs = scope::breadcrumbs(&data.scope);
        crumbs.push(("Funding streams and schemes".into(), href(&data.scope)));
        let nav = Nav::new(&who, &data.scope, a, Section::Bcf);
        Ok(layout::page(&format!("{} {year}", terms.id), &nav, &crumbs, body).into_response())
    })
    .await
}

/// Planned, actual to date, forecast and variance at the top of a page.
fn spend_figures(spend: &LedgerSpend) -> Markup {
    layout::key_figures(&[
        ("Planned", spend.planned, false),
        ("Actual to date", spend.actual_to_date, false),
        ("Forecast", spend.forecast, false),
        ("Forecast variance", spend.forecast - spend.planned, true),
    ])
}

fn spend_columns() -> Vec<pooled_files::Column> {
    vec![
        column("Planned", ColumnKind::Money),
        column("Actual to date", ColumnKind::Money),
        column("Forecast", ColumnKind::Money),
        column("Forecast variance", ColumnKind::Money),
    ]
}

fn spend_cells(spend: &LedgerSpend) -> [Cell; 4] {
    [spend.planned, spend.actual_to_date, spend.forecast, spend.forecast - spend.planned].map(Cell::Money)
}

/// A row of `lead` cells and then the spend's.
fn spend_row(lead: Vec<Cell>, spend: &LedgerSpend) -> Row {
    Row::new(lead.into_iter().chain(spend_cells(spend)).collect())
}

/// Each stream with its allocation and spend, what no stream funds, and the total.
fn streams_table(spending: &BcfSpending) -> Table {
    let a = &spending.agreement;
    let mut columns = vec![
        column("Stream", ColumnKind::Text),
        column("Kind", ColumnKind::Text),
        column("From", ColumnKind::Text),
        column("Clause", ColumnKind::Text),
        column("Allocation", ColumnKind::Money),
    ];
    columns.extend(spend_columns());
    let mut rows: Vec<Row> = (spending.spend.streams.iter())
        .map(|s| {
            let stream = &a.streams()[s.stream];
            let lead = vec![
                text(format!("{} ({})", stream.name, stream.id)),
                text(stream.kind.words()),
                text(a.partners()[stream.from].id.clone()),
                text(stream.clause.clone().unwrap_or_default()),
                Cell::Money(stream.allocation),
            ];
            spend_row(lead, &s.spend)
        })
        .collect();
    let blank = |label: &str, allocation: Cell| vec![text(label), Cell::Empty, Cell::Empty, Cell::Empty, allocation];
    if spending.spend.streams.is_empty() || spending.spend.without_stream != LedgerSpend::default() {
        rows.push(spend_row(blank("Lines no stream funds", Cell::Empty), &spending.spend.without_stream));
    }
    let allocated = a.streams().iter().map(|s| s.allocation).sum();
    rows.push(spend_row(blank("Total", Cell::Money(allocated)), &spending.spend.total).styled(RowStyle::Total));
    let caption = format!("Funding streams at {}", spending.month);
    Table { id: "streams".into(), caption, columns, rows }
}

/// Each scheme type with its subtotal and its schemes under it, the lines that are not
/// schemes, and the total.
fn schemes_table(at: &AgreementYear, spending: &BcfSpending) -> Table {
    let a = &spending.agreement;
    let mut columns = vec![
        column("Scheme type / scheme", ColumnKind::Text),
        column("Sub-type", ColumnKind::Text),
        column("Area of spend", ColumnKind::Text),
        column("Commissioner", ColumnKind::Text),
    ];
    columns.extend(spend_columns());
    let blank = |label: String| vec![text(label), Cell::Empty, Cell::Empty, Cell::Empty];
    let mut rows = Vec::new();
    for of_type in &spending.spend.types {
        let count = if of_type.schemes == 1 { "1 scheme".to_string() } else { format!("{} schemes", of_type.schemes) };
        let label = format!("{} ({count})", of_type.scheme_type);
        rows.push(spend_row(blank(label), &of_type.spend).styled(RowStyle::Segment));
        for s in &spending.spend.schemes {
            let line = &a.pools()[s.pool].lines[s.line];
            let Some(scheme) = line.scheme.as_ref().filter(|scheme| scheme.scheme_type == of_type.scheme_type) else {
                continue;
            };
            let lead = vec![
                text(format!("{} {}", scheme.id, line.name)),
                text(scheme.sub_type.clone().unwrap_or_default()),
                text(scheme.area_of_spend.key()),
                text(scheme.commissioner.words()),
            ];
            rows.push(Row { href: Some(scheme_href(at, &scheme.id)), indent: 1, ..spend_row(lead, &s.spend) });
        }
    }
    if spending.spend.without_scheme != LedgerSpend::default() {
        rows.push(spend_row(blank("Lines that are not schemes".into()), &spending.spend.without_scheme));
    }
    rows.push(spend_row(blank("Total".into()), &spending.spend.total).styled(RowStyle::Total));
    let caption = match a.bcf().scheme_types {
        Some(list) => format!("Schemes by type ({} planning template) at {}", list.key(), spending.month),
        None => format!("Schemes by type at {}", spending.month),
    };
    Table { id: "schemes".into(), caption, columns, rows }
}

/// The fund's conditions, each with its source, what it requires, the figures it is judged
/// on and whether they meet it.
fn conditions_table(spending: &BcfSpending) -> Table {
    let mut columns = vec![
        column("Condition", ColumnKind::Text),
        column("Source", ColumnKind::Text),
        column("Requirement", ColumnKind::Text),
        column("Required", ColumnKind::Money),
    ];
    columns.extend(spend_columns().into_iter().take(3));
    columns.push(column("Status", ColumnKind::Text));
    let rows = (spending.conditions.iter())
        .map(|c| {
            let requirement = match c.requirement {
                Requirement::AtLeast(_) => "at least",
                Requirement::AtMost(_) => "at most",
            };
            let f = &c.figures;
            Row::new(vec![
                text(c.what.clone()),
                text(c.source.clone()),
                text(requirement),
                Cell::Money(c.requirement.amount()),
                Cell::Money(f.planned),
                Cell::Money(f.actual_to_date),
                Cell::Money(f.forecast),
                text(if c.met() { "met" } else { "breached" }),
            ])
        })
        .collect();
    let caption = format!("Conditions at {}", spending.month);
    Table { id: "conditions".into(), caption, columns, rows }
}

/// The scheme's terms as the agreement gives them.
fn terms_table(a: &Agreement, pool: usize, line: usize) -> Table {
    let line = &a.pools()[pool].lines[line];
    let scheme = line.scheme.as_ref().expect("a scheme's line");
    let not_given = || "not given".to_string();
    let terms = [
        ("Scheme id", scheme.id.clone()),
        ("Name", line.name.clone()),
        ("Scheme type", scheme.scheme_type.clone()),
        ("Sub-type", scheme.sub_type.clone().unwrap_or_else(not_given)),
        ("Area of spend", scheme.area_of_spend.key().to_string()),
        ("Commissioner", scheme.commissioner.words()),
        ("Provider", scheme.provider.clone().unwrap_or_else(not_given)),
        ("Planned outputs", scheme.outputs.as_ref().map_or_else(not_given, |o| format!("{} {}", o.amount, o.unit))),
        ("New or existing", scheme.new_or_existing.map_or_else(not_given, |n| n.key().to_string())),
    ];
    let columns = vec![column("Term", ColumnKind::Text), column("As agreed", ColumnKind::Text)];
    let rows = terms.into_iter().map(|(term, value)| Row::new(vec![text(term), text(value)])).collect();
    Table { id: "terms".into(), caption: format!("Scheme {}", scheme.id), columns, rows }
}

/// The scheme's spend from each stream funding it.
fn funding_table(spending: &BcfSpending, ix: usize) -> Table {
    let a = &spending.agreement;
    let s = &spending.spend.schemes[ix];
    let line = &a.pools()[s.pool].lines[s.line];
    let mut columns = vec![column("Stream", ColumnKind::Text), column("Takes", ColumnKind::Money)];
    columns.extend(spend_columns());
    let mut rows: Vec<Row> = (line.funded_by.iter().zip(&s.by_stream))
        .map(|(funding, share)| {
            let stream = &a.streams()[share.stream];
            spend_row(vec![text(format!("{} ({})", stream.name, stream.id)), Cell::Money(funding.amount)], &share.spend)
        })
        .collect();
    if s.by_stream.is_empty() {
        rows.push(spend_row(vec![text("No stream funds it"), Cell::Empty], &s.spend));
    }
    let takes = match line.funded_by.is_empty() {
        true => Cell::Empty,
        false => Cell::Money(line.funded_by.iter().map(|f| f.amount).sum()),
    };
    rows.push(spend_row(vec![text("Total"), takes], &s.spend).styled(RowStyle::Total));
    let caption = format!("Funding by stream at {}", spending.month);
    Table { id: "funding".into(), caption, columns, rows }
}

/// The scheme's cost centres at the month, each linked to its page.
fn cost_centres_table(at: &AgreementYear, spending: &BcfSpending, ix: usize) -> Table {
    let a = &spending.agreement;
    let s = &spending.spend.schemes[ix];
    let pool = &a.pools()[s.pool].id;
    let mut columns = vec![column("Cost centre", ColumnKind::Text), column("Partner", ColumnKind::Text)];
    columns.extend(spend_columns());
    columns.push(column("Forecast basis", ColumnKind::Text));
    let month = [("month".to_string(), spending.month.to_string())];
    let mut rows: Vec<Row> = (spending.cost_centres[ix].iter())
        .map(|cc| {
            let label = match &cc.code {
                Some(code) => format!("{code} {}", cc.name),
                None => cc.name.clone(),
            };
            let partner = cc.partner.map_or(Cell::Empty, |p| text(a.partners()[p].id.clone()));
            let mut row = spend_row(vec![text(label), partner], &LedgerSpend::of(&cc.figures));
            row.cells.push(text(cc.figures.basis_label()));
            let href = cc.code.as_ref().map(|code| with_query(&scope::cost_centre_href(at, pool, code), &month));
            Row { href, ..row }
        })
        .collect();
    let mut total = spend_row(vec![text("Total"), Cell::Empty], &s.spend).styled(RowStyle::Total);
    total.cells.push(Cell::Empty);
    rows.push(total);
    let caption = format!("Cost centres at {}", spending.month);
    Table { id: "cost-centres".into(), caption, columns, rows }
}
