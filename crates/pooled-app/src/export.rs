//! The monthly report as a table of cells (for CSV) and as a workbook (for Excel): one
//! shape, shared by the command line and the web application.

use pooled_core::report::{FlatRow, Level, MonthlyReport};
use pooled_files::{Cell, Column, ColumnKind, Sheet, TotalsRow, Workbook};
use pooled_store::AuditHead;

use crate::head_line;

/// The columns after the pool, in order, with their kind in a workbook.
const COLUMNS: [(&str, ColumnKind); 14] = [
    ("Level", ColumnKind::Text),
    ("Row", ColumnKind::Text),
    ("Segment", ColumnKind::Text),
    ("Line", ColumnKind::Text),
    ("Cost centre", ColumnKind::Text),
    ("Partner", ColumnKind::Text),
    ("Annual budget", ColumnKind::Money),
    ("Budget to date", ColumnKind::Money),
    ("Actual to date", ColumnKind::Money),
    ("Forecast outturn", ColumnKind::Money),
    ("Forecast variance", ColumnKind::Money),
    ("Change since last month", ColumnKind::Money),
    ("Forecast basis", ColumnKind::Text),
    ("Action plan", ColumnKind::Text),
];

fn cells(report: &MonthlyReport, r: &FlatRow) -> Vec<Cell> {
    let f = &r.figures;
    let text = |s: &str| if s.is_empty() { Cell::Empty } else { Cell::Text(s.to_string()) };
    vec![
        text(r.level.name()),
        text(&r.label),
        text(&r.segment),
        text(&r.line),
        text(&r.cost_centre),
        r.partner.map_or(Cell::Empty, |p| text(&report.bodies[p].id)),
        Cell::Money(f.annual_budget),
        Cell::Money(f.budget_to_date),
        Cell::Money(f.actual_to_date),
        Cell::Money(f.forecast_outturn),
        Cell::Money(f.variance),
        f.change.map_or(Cell::Empty, Cell::Money),
        text(&f.basis_label()),
        f.action_plan.map_or(Cell::Empty, |flag| text(report.cite(flag))),
    ]
}

/// The last row of a report's table or summary sheet: its first cell gives the audit
/// log's head as of the figures (`Audit log head: SEQ:HASH`), as every download of
/// published figures ends.
pub fn head_row(head: &AuditHead, width: usize) -> Vec<Cell> {
    let mut row = vec![Cell::Empty; width.max(1)];
    row[0] = Cell::Text(head_line(head));
    row
}

/// Header and rows of every pool, with the pool id first, as cells: the CSV form
/// (written by `pooled_files::write_csv`, numbers as numbers, text made safe); the last
/// row gives the audit log's head as of the figures.
pub fn report_table(report: &MonthlyReport, head: &AuditHead) -> (Vec<String>, Vec<Vec<Cell>>) {
    let mut header = vec!["Pool".to_string()];
    header.extend(COLUMNS.iter().map(|(h, _)| h.to_string()));
    let mut rows = Vec::new();
    for pool in &report.pools {
        for r in pool.flat_rows() {
            let mut row = vec![Cell::Text(pool.id.clone())];
            row.extend(cells(report, &r));
            rows.push(row);
        }
    }
    rows.push(head_row(head, header.len()));
    (header, rows)
}

/// One sheet per pool, cost centre rows only under a totals row of real SUBTOTAL formulas
/// (so the totals are the sums of what is shown, checked by Excel itself), after a summary
/// sheet with the pool, segment and line rows, the forecast risk-share impact and, last,
/// the audit log's head as of the figures.
pub fn report_workbook(report: &MonthlyReport, head: &AuditHead) -> Workbook {
    let columns: Vec<Column> =
        COLUMNS.iter().map(|(h, kind)| Column { header: h.to_string(), kind: *kind, width: None }).collect();
    let title = |what: &str| format!("{what}: monthly finance report {} {}", report.year, report.month);
    let mut summary = Sheet {
        name: "Summary".into(),
        title: Some(title("All pools")),
        columns: columns.clone(),
        rows: Vec::new(),
        totals: None,
    };
    let mut sheets = Vec::new();
    for pool in &report.pools {
        let rows = pool.flat_rows();
        summary.rows.extend(rows.iter().filter(|r| r.level != Level::CostCentre).map(|r| cells(report, r)));
        for p in &pool.risk_impact.partners {
            let mut row = vec![Cell::Empty; COLUMNS.len()];
            row[0] = Cell::Text("risk impact".into());
            row[1] = Cell::Text(format!("{}: forecast risk-share impact", pool.id));
            row[5] = Cell::Text(p.body.id.clone());
            row[10] = Cell::Money(p.total);
            summary.rows.push(row);
        }
        // Each unagreed saving: its shortfall as forecast, and what the forecast rests on.
        for d in &pool.savings {
            let mut row = vec![Cell::Empty; COLUMNS.len()];
            row[0] = Cell::Text("unagreed saving".into());
            row[1] = Cell::Text(format!(
                "{}: saving {} of {}, delivery {} ({}): shortfall",
                pool.id,
                d.saving,
                d.amount,
                d.delivery,
                d.basis.words()
            ));
            row[3] = Cell::Text(d.line.clone());
            row[5] = Cell::Text(report.bodies[d.partner].id.clone());
            row[10] = Cell::Money(d.shortfall());
            row[12] = Cell::Text(d.basis.name().into());
            summary.rows.push(row);
        }
        sheets.push(Sheet {
            name: sheet_name(&pool.id),
            title: Some(title(&pool.name)),
            columns: columns.clone(),
            rows: rows.iter().filter(|r| r.level == Level::CostCentre).map(|r| cells(report, r)).collect(),
            totals: Some(TotalsRow::new(format!("Total {}", pool.id))),
        });
    }
    summary.rows.push(head_row(head, COLUMNS.len()));
    let mut all = vec![summary];
    all.extend(sheets);
    Workbook { sheets: all }
}

/// Excel's sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(id: &str) -> String {
    id.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}
