//! The monthly finance report in each output form: a terminal table, CSV, JSON, and an
//! Excel workbook with one sheet per pool.

use std::path::Path;

use pooled_core::money::Money;
use pooled_core::report::{Level, MonthlyReport, PoolReport};
use pooled_store::AuditHead;

use crate::db::ReportFormat;
use crate::table::Table;
use crate::{Failure, Outcome};

/// Writes the report; every form carries the audit log's head as of its figures.
pub fn write(report: &MonthlyReport, head: &AuditHead, format: ReportFormat, output: Option<&Path>) -> Outcome {
    let out = match format {
        ReportFormat::Table => table(report, head),
        ReportFormat::Json => crate::json::pretty(&pooled_app::json::report(report, head)),
        ReportFormat::Csv => {
            let (header, rows) = pooled_app::report_table(report, head);
            let mut bytes = Vec::new();
            pooled_files::write_csv(&mut bytes, &header, rows).expect("writing to memory cannot fail");
            String::from_utf8(bytes).expect("the report is UTF-8")
        }
        ReportFormat::Xlsx => {
            let path = output.ok_or_else(|| Failure::Usage("--format xlsx needs --output FILE.xlsx".into()))?;
            let workbook = pooled_app::report_workbook(report, head);
            pooled_files::write_xlsx_file(path, &workbook).map_err(|e| Failure::Input(vec![e.to_string()]))?;
            return Ok(format!("{}: monthly report for {} {} written\n", path.display(), report.year, report.month));
        }
    };
    match output {
        None => Ok(out),
        Some(path) => {
            std::fs::write(path, out)
                .map_err(|e| Failure::Input(vec![format!("{}: cannot write: {e}", path.display())]))?;
            Ok(format!("{}: written\n", path.display()))
        }
    }
}

fn table(report: &MonthlyReport, head: &AuditHead) -> String {
    let mut out = format!(
        "Monthly finance report {} {} (flagged for an action plan: {})\n\n",
        report.year,
        report.month,
        report.flagging()
    );
    for pool in &report.pools {
        out.push_str(&format!("{} ({})\n", pool.name, pool.id));
        let mut t =
            Table::new(&["", ">Budget", ">To date", ">Actual", ">Forecast", ">Variance", ">Change", "Basis", ""]);
        for r in pool.flat_rows() {
            let indent = match r.level {
                Level::Pool => 0,
                Level::Segment => 1,
                Level::Line => 2,
                Level::CostCentre => 3,
            };
            let f = &r.figures;
            t.row([
                format!("{}{}", "  ".repeat(indent), r.label),
                f.annual_budget.to_report_string(),
                f.budget_to_date.to_report_string(),
                f.actual_to_date.to_report_string(),
                f.forecast_outturn.to_report_string(),
                f.variance.to_report_string(),
                f.change.map_or("-".into(), Money::to_report_string),
                f.basis_label(),
                f.action_plan.map_or(String::new(), |flag| format!("ACTION PLAN ({})", report.cite(flag))),
            ]);
        }
        out.push_str(&t.render());
        out.push_str(&risk_impact_line(pool));
        for d in &pool.savings {
            out.push_str(&format!(
                "Unagreed saving {} ({}, {}): {}; forecast delivery {} ({}); shortfall {} to {} ({})\n",
                d.saving,
                report.bodies[d.partner].id,
                d.line,
                d.amount,
                d.delivery,
                d.basis.words(),
                d.shortfall(),
                report.bodies[d.partner].id,
                d.clause
            ));
        }
        out.push('\n');
    }
    for w in &report.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&pooled_app::head_line(head));
    out.push('\n');
    out
}

fn risk_impact_line(pool: &PoolReport) -> String {
    let parts: Vec<String> =
        pool.risk_impact.partners.iter().map(|p| format!("{} {}", p.body.id, p.total.to_report_string())).collect();
    format!("Forecast risk-share impact (the settlement on the forecast): {}\n", parts.join(", "))
}
