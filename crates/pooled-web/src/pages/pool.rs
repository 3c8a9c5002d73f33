//! `/agreements/{agreement}/{year}/pools/{pool}`: one pool's monthly report (segments,
//! lines, cost centres), its charts and its forecast risk-share impact part by part; and
//! `.../pools/{pool}/cost-centres/{code}`: a cost centre's months and ledger rows.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_core::agreement::{Agreement, BoardRule};
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::LedgerRow;
use pooled_core::money::Money;
use pooled_core::report::{Level, MonthlyReport, PoolReport};
use pooled_core::settlement::PoolSettlement;
use pooled_files::{Cell, ColumnKind};
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::overview::report_export;
use super::{QueryPairs, get, month_chooser, month_label};
use crate::auth::Identity;
use crate::charts;
use crate::data::{Web, YearData, parse_month};
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope::{self, InAgreement, pool_href};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text};

/// At most this many ledger rows are shown on a cost centre's page; downloads hold up
/// to [`EXPORT_ROWS`].
const SHOWN_ROWS: u32 = 500;
const EXPORT_ROWS: u32 = 200_000;

fn pool_index(agreement: &Agreement, pool: &str) -> Result<usize, WebError> {
    agreement.pools().iter().position(|p| p.id == pool).ok_or_else(|| {
        WebError::NotFound(format!(
            "The agreement {} for {} has no pool `{pool}`.",
            agreement.id(),
            agreement.financial_year()
        ))
    })
}

/// The pool a path names.
#[derive(Deserialize)]
pub struct InPool {
    pool: String,
}

/// The pool and cost centre a path names.
#[derive(Deserialize)]
pub struct InCostCentre {
    pool: String,
    code: String,
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InPool { pool }): Path<InPool>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let shared = Arc::clone(&web);
    let data = web.stores.run(move |store| shared.year(store, &at)).await?;
    blocking(move || {
        let p = pool_index(&data.agreement, &pool)?;
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let pool_report = &report.pools[p];
        let months = MonthSeries::of_pool(&data, &report, p);
        let tables = [
            report_table(&data.scope, &report, pool_report),
            impact_table(&data.agreement, &pool_report.risk_impact, month),
            savings_table(&report, pool_report),
            months.table(year, month, &format!("{} month by month", pool_report.name)),
        ];
        let table = get(&query, "table").map(str::to_string);
        let here = Here::new(pool_href(&data.scope, &pool_report.id), query);
        let stem = scope::file_stem(&data.scope, &format!("-{month}-{}", pool_report.id));
        match format {
            Format::Html => Ok(render(&who, &data, &report, p, &months, &tables, &here).into_response()),
            _ if table.as_deref().is_none_or(|t| t == "report") => {
                let single = MonthlyReport { pools: vec![pool_report.clone()], ..(*report).clone() };
                report_export(&data, &single, format, &format!("{stem}-report"))
            }
            _ => {
                let tables = tables.map(|t| t.with_audit_head(&data.head));
                table::export(&tables, table.as_deref(), format, &stem)
            }
        }
    })
    .await
}

/// A pool's (or a cost centre's) figures month by month: the budget from the plan's
/// profiles, the actuals, and the forecast variance each month's report gave.
struct MonthSeries {
    budget: [Money; 12],
    actual: [Money; 12],
    rows: Option<[u64; 12]>,
    /// The forecast variance reported at M1 to the report month.
    variance: Vec<Money>,
    forecast_outturn: Money,
}

impl MonthSeries {
    fn of_pool(data: &YearData, report: &MonthlyReport, p: usize) -> MonthSeries {
        let pool = &data.agreement.pools()[p];
        let mut budget = [Money::ZERO; 12];
        let mut actual = [Money::ZERO; 12];
        for (l, line) in pool.lines.iter().enumerate() {
            let mut allocated = Money::ZERO;
            for cc in data.plan.cost_centres().iter().filter(|c| c.pool == p && c.line == l) {
                allocated += cc.budget;
                add(&mut budget, &cc.profile);
                if let Some(a) = data.actuals.get(&cc.code) {
                    add(&mut actual, a);
                }
            }
            // As the report does: a line's budget not given to any cost centre is spent
            // evenly over the year.
            add(&mut budget, &(line.budget() - allocated).monthly());
        }
        // Each earlier month's report as it stood then, and this month's.
        let now = &report.pools[p].figures;
        let mut variance: Vec<Money> = FiscalMonth::all()
            .take_while(|m| *m < report.month)
            .map(|m| data.report(m).pools[p].figures.variance)
            .collect();
        variance.push(now.variance);
        MonthSeries { budget, actual, rows: None, variance, forecast_outturn: now.forecast_outturn }
    }

    fn cumulative(values: &[Money]) -> Vec<Money> {
        values
            .iter()
            .scan(Money::ZERO, |sum, v| {
                *sum += *v;
                Some(*sum)
            })
            .collect()
    }

    /// From the actual to date at the report month, evenly to the forecast outturn at M12.
    fn forecast_path(&self, month: FiscalMonth) -> Vec<(u32, Money)> {
        let m = month.number();
        let start = Self::cumulative(&self.actual[..m as usize]).last().copied().unwrap_or_default();
        let gap = i128::from((self.forecast_outturn - start).pence());
        (m..=12)
            .map(|k| {
                let step = if m == 12 { 0 } else { gap * i128::from(k - m) / i128::from(12 - m) };
                (k, start + Money::from_pence(i64::try_from(step).unwrap_or(0)))
            })
            .collect()
    }

    fn charts(&self, id: &str, name: &str, month: FiscalMonth) -> Markup {
        let budget: [Money; 12] = Self::cumulative(&self.budget).try_into().expect("twelve months");
        let actual = Self::cumulative(&self.actual[..month.number() as usize]);
        let variance: Vec<(u32, Money)> = self.variance.iter().copied().zip(1u32..).map(|(v, k)| (k, v)).collect();
        html! {
            div class="govuk-grid-row" {
                div class="govuk-grid-column-one-half-from-desktop" {
                    (charts::cumulative(&format!("{id}-cumulative"), &format!("{name}: budget, actual and forecast, cumulative"), &budget, &actual, &self.forecast_path(month)))
                }
                div class="govuk-grid-column-one-half-from-desktop" {
                    @if self.variance.is_empty() {
                        p class="govuk-body" { "No forecast variance has been reported yet." }
                    } @else {
                        (charts::variance(&format!("{id}-variance"), &format!("{name}: forecast variance as reported each month"), &variance))
                    }
                }
            }
        }
    }

    /// The charts' figures as a table: for readers who cannot see them, and to download.
    fn table(&self, year: FinancialYear, month: FiscalMonth, caption: &str) -> Table {
        let mut columns = vec![
            column("Month", ColumnKind::Text),
            column("Budget in month", ColumnKind::Money),
            column("Cumulative budget", ColumnKind::Money),
            column("Actual in month", ColumnKind::Money),
            column("Cumulative actual", ColumnKind::Money),
        ];
        if self.rows.is_some() {
            columns.push(column("Ledger rows", ColumnKind::Integer));
        } else {
            columns.push(column("Forecast variance reported", ColumnKind::Money));
        }
        let budget = Self::cumulative(&self.budget);
        let actual = Self::cumulative(&self.actual);
        let rows = FiscalMonth::all()
            .map(|m| {
                let i = m.number() as usize - 1;
                let reported = m <= month;
                let mut cells = vec![
                    text(month_label(year, m)),
                    Cell::Money(self.budget[i]),
                    Cell::Money(budget[i]),
                    if reported { Cell::Money(self.actual[i]) } else { Cell::Empty },
                    if reported { Cell::Money(actual[i]) } else { Cell::Empty },
                ];
                cells.push(match (&self.rows, self.variance.get(i)) {
                    (Some(rows), _) => Cell::Integer(i64::try_from(rows[i]).unwrap_or(i64::MAX)),
                    (None, Some(v)) => Cell::Money(*v),
                    (None, None) => Cell::Empty,
                });
                Row::new(cells)
            })
            .collect();
        Table { id: "months".into(), caption: caption.to_string(), columns, rows }
    }
}

fn add(to: &mut [Money; 12], months: &[Money; 12]) {
    for (t, m) in to.iter_mut().zip(months) {
        *t += *m;
    }
}

fn report_table(at: &AgreementYear, report: &MonthlyReport, pool: &PoolReport) -> Table {
    let columns = vec![
        column("", ColumnKind::Text),
        column("Partner", ColumnKind::Text),
        column("Annual budget", ColumnKind::Money),
        column("Budget to date", ColumnKind::Money),
        column("Actual to date", ColumnKind::Money),
        column("Forecast outturn", ColumnKind::Money),
        column("Forecast variance", ColumnKind::Money),
        column("Change since last month", ColumnKind::Money),
        column("Forecast basis", ColumnKind::Text),
        column("Action plan", ColumnKind::Text),
    ];
    let rows = pool
        .flat_rows()
        .into_iter()
        .map(|r| {
            let f = &r.figures;
            let cells = vec![
                text(r.label.clone()),
                r.partner.map_or(Cell::Empty, |p| text(report.bodies[p].id.clone())),
                Cell::Money(f.annual_budget),
                Cell::Money(f.budget_to_date),
                Cell::Money(f.actual_to_date),
                Cell::Money(f.forecast_outturn),
                Cell::Money(f.variance),
                f.change.map_or(Cell::Empty, Cell::Money),
                text(f.basis_label()),
                if f.needs_action_plan() { text("needed") } else { Cell::Empty },
            ];
            let (style, indent) = match r.level {
                Level::Pool => (RowStyle::Pool, 0),
                Level::Segment => (RowStyle::Segment, 1),
                Level::Line => (RowStyle::Plain, 2),
                Level::CostCentre => (RowStyle::Plain, 3),
            };
            let href = (r.level == Level::CostCentre && !r.cost_centre.is_empty())
                .then(|| scope::cost_centre_href(at, &pool.id, &r.cost_centre));
            Row { href, style, indent, ..Row::new(cells) }
        })
        .collect();
    Table { id: "report".into(), caption: format!("{}: monthly finance report", pool.name), columns, rows }
}

/// Each partner's parts of the settlement on the forecast, with rule, line and clause.
pub fn impact_table(agreement: &Agreement, settled: &PoolSettlement, month: FiscalMonth) -> Table {
    parts_table(
        agreement,
        settled,
        "risk-impact",
        format!("Forecast risk-share impact at {month}: who carries the forecast variance"),
    )
}

/// The pool's unagreed savings as the forecast risk impact takes them: what each is
/// taken to deliver, on what basis, and the shortfall its partner funds.
fn savings_table(report: &MonthlyReport, pool: &PoolReport) -> Table {
    let columns = vec![
        column("Saving", ColumnKind::Text),
        column("Funded by", ColumnKind::Text),
        column("Line", ColumnKind::Text),
        column("Amount", ColumnKind::Money),
        column("Delivery in the forecast", ColumnKind::Money),
        column("Basis", ColumnKind::Text),
        column("Shortfall", ColumnKind::Money),
        column("Clause", ColumnKind::Text),
    ];
    let rows = (pool.savings.iter())
        .map(|d| {
            Row::new(vec![
                text(d.saving.clone()),
                text(report.bodies[d.partner].id.clone()),
                text(d.line.clone()),
                Cell::Money(d.amount),
                Cell::Money(d.delivery),
                text(d.basis.words()),
                Cell::Money(d.shortfall()),
                text(d.clause.clone()),
            ])
        })
        .collect();
    let caption =
        format!("Unagreed savings in the forecast at {}: the partner that moved one funds its shortfall", report.month);
    Table { id: "savings".into(), caption, columns, rows }
}

pub fn parts_table(agreement: &Agreement, settled: &PoolSettlement, id: &str, caption: String) -> Table {
    let columns = vec![
        column("Partner", ColumnKind::Text),
        column("Rule", ColumnKind::Text),
        column("Line", ColumnKind::Text),
        column("Clause", ColumnKind::Text),
        column("Amount", ColumnKind::Money),
    ];
    let pool = agreement.pool(&settled.pool);
    let line_name = |id: &Option<String>| match id {
        None => "(shared remainder)".to_string(),
        Some(id) => pool.and_then(|p| p.lines.iter().find(|l| l.id == *id)).map_or(id.clone(), |l| l.name.clone()),
    };
    let mut rows = Vec::new();
    for s in &settled.partners {
        // The body the settlement names: of the month's last day on the forecast, of the
        // year's on the ledger at its end.
        let partner = &s.body.id;
        for part in &s.parts {
            rows.push(Row::new(vec![
                text(partner.clone()),
                text(part.rule.name()),
                text(line_name(&part.line)),
                text(part.clause.clone()),
                Cell::Money(part.amount),
            ]));
        }
        rows.push(
            Row::new(vec![
                text(format!("{partner} total")),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Money(s.total),
            ])
            .styled(RowStyle::Total),
        );
    }
    Table { id: id.to_string(), caption, columns, rows }
}

fn render(
    who: &Identity,
    data: &YearData,
    report: &MonthlyReport,
    p: usize,
    months: &MonthSeries,
    tables: &[Table; 4],
    here: &Here,
) -> Markup {
    let a = &data.agreement;
    let year = a.financial_year();
    let pool = &report.pools[p];
    let f = &pool.figures;
    let [report_table, impact, savings, month_table] = tables;
    let body = html! {
        span class="govuk-caption-l" { (pool.id) " · " (year) }
        h1 class="govuk-heading-l" { (pool.name) }
        p class="govuk-body" { "Monthly finance report at " (month_label(year, report.month)) "." }
        (month_chooser(&pool_href(&data.scope, &pool.id), year, report.month))
        (layout::key_figures(&[
            ("Annual budget", f.annual_budget, false),
            ("Actual to date", f.actual_to_date, false),
            ("Forecast outturn", f.forecast_outturn, false),
            ("Forecast variance", f.variance, true),
        ]))
        (months.charts("pool", &pool.name, report.month))
        (layout::variance_hint())
        p class="govuk-hint" {
            "Forecast basis: entered by the budget holder for the month, or run-rate on the budget profile (actual to date "
            "scaled as the cost centre's monthly budget profile runs); "
            "an entered forecast below the actual to date is marked as confirmed. "
            "Every forecast over- or underspend needs an action plan"
            (layout::cited(a.clause(BoardRule::ActionPlans)))
            "."
        }
        (report_table.render(here))
        (impact.render(here))
        @if !pool.savings.is_empty() {
            (savings.render(here))
            p class="govuk-hint" {
                "A saving moved into the pool without an agreed delivery strategy is taken to deliver its latest "
                "forecast (the pool manager records them on the settlement page); where none is recorded it is "
                "assumed delivered in full, and the M12 report takes what it delivered once recorded."
            }
        }
        (month_table.render(here))
        (layout::audit_head(&data.head))
    };
    let nav = Nav::new(who, &data.scope, &data.agreement, Section::Overview);
    layout::page(&format!("{} {year}", pool.name), &nav, &scope::breadcrumbs(&data.scope), body)
}

pub async fn cost_centre(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InCostCentre { pool, code }): Path<InCostCentre>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let limit = if format == Format::Html { SHOWN_ROWS } else { EXPORT_ROWS };
    let shared = Arc::clone(&web);
    let wanted = code.clone();
    let (data, ledger) = web
        .stores
        .run(move |store| {
            let data = shared.year(store, &at)?;
            let ledger = store.ledger_rows(&at, &wanted, limit)?;
            Ok((data, ledger))
        })
        .await?;
    blocking(move || {
        let p = pool_index(&data.agreement, &pool)?;
        let cc = data.plan.cost_centre(&code).filter(|c| c.pool == p).ok_or_else(|| {
            WebError::NotFound(format!("Pool {pool} has no cost centre `{code}` in the plan of {}.", data.scope))
        })?;
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let figures = report.pools[p]
            .segments
            .iter()
            .flat_map(|s| &s.lines)
            .flat_map(|l| &l.cost_centres)
            .find(|r| r.code.as_deref() == Some(code.as_str()))
            .map(|r| r.figures)
            .expect("the report has a row for every cost centre of the plan");
        let rows = data.rows.get(&code).copied().unwrap_or([0; 12]);
        let series = MonthSeries {
            budget: cc.profile,
            actual: data.actuals.get(&code).copied().unwrap_or([Money::ZERO; 12]),
            rows: Some(rows),
            variance: Vec::new(),
            forecast_outturn: figures.forecast_outturn,
        };
        let total_rows: u64 = rows.iter().sum();
        let tables = [series.table(year, month, &format!("{code} month by month")), ledger_table(&code, &ledger)];
        let table = get(&query, "table").map(str::to_string);
        let href = scope::cost_centre_href(&data.scope, &pool, &code);
        let here = Here::new(href, query);
        if format != Format::Html {
            return table::export(
                &tables,
                table.as_deref(),
                format,
                &scope::file_stem(&data.scope, &format!("-{code}")),
            );
        }
        let pool_name = &data.agreement.pools()[p].name;
        let line_name = &data.agreement.pools()[p].lines[cc.line].name;
        let [month_table, ledger_table] = &tables;
        let body = html! {
            span class="govuk-caption-l" { (pool_name) " · " (line_name) " · " (report.bodies[cc.partner].id) }
            h1 class="govuk-heading-l" { (code) " " (cc.name) }
            p class="govuk-body" { "At " (month_label(year, month)) ", forecast basis: " (figures.basis.words()) "." }
            (layout::key_figures(&[
                ("Annual budget", figures.annual_budget, false),
                ("Actual to date", figures.actual_to_date, false),
                ("Forecast outturn", figures.forecast_outturn, false),
                ("Forecast variance", figures.variance, true),
            ]))
            (month_table.render(&here))
            @if total_rows > u64::from(SHOWN_ROWS) {
                p class="govuk-body" {
                    "Showing the first " (SHOWN_ROWS) " of " (total_rows) " ledger rows, oldest first. "
                    "The downloads hold up to " (EXPORT_ROWS) "."
                }
            }
            (ledger_table.render(&here))
        };
        let mut crumbs = scope::breadcrumbs(&data.scope);
        crumbs.push((pool_name.clone(), pool_href(&data.scope, &pool)));
        let nav = Nav::new(&who, &data.scope, &data.agreement, Section::Overview);
        Ok(layout::page(&format!("{code} {year}"), &nav, &crumbs, body).into_response())
    })
    .await
}

fn ledger_table(code: &str, ledger: &[LedgerRow]) -> Table {
    let columns = vec![
        column("Date", ColumnKind::Date),
        column("Subjective", ColumnKind::Text),
        column("Description", ColumnKind::Text),
        column("Reference", ColumnKind::Text),
        column("Amount", ColumnKind::Money),
        column("Row in extract", ColumnKind::Integer),
    ];
    let rows = ledger
        .iter()
        .map(|r| {
            Row::new(vec![
                Cell::Date(r.date),
                text(r.subjective.clone()),
                text(r.description.clone()),
                text(r.reference.clone()),
                Cell::Money(r.amount),
                Cell::Integer(i64::try_from(r.row).unwrap_or(i64::MAX)),
            ])
        })
        .collect();
    Table { id: "ledger".into(), caption: format!("Ledger rows of {code}"), columns, rows }
}
