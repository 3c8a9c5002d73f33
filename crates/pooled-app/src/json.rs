//! The JSON contract of docs/cli.md, in one place for the command line (`--json`) and the
//! web application's API: amounts as strings with two decimals (`"1234.56"`),
//! percentages as strings with the agreement's decimals, dates ISO. Each function gives
//! a [`Value`]; the caller prints or sends it.

use pooled_core::agreement::{Agreement, Pool};
use pooled_core::money::Money;
use pooled_core::payments::Instalment;
use pooled_core::report::MonthlyReport;
use pooled_core::risk_share::RiskShare;
use pooled_core::settlement::{Invoice, PoolSettlement};
use pooled_store::{AuditEntry, Forecast, ImportRecord, PaymentStatus};
use serde_json::{Value, json};

fn partner_id(a: &Agreement, ix: usize) -> &str {
    &a.partners()[ix].id
}

/// Each pool's risk-share table.
pub fn risk_share(a: &Agreement, tables: &[(&Pool, RiskShare)]) -> Value {
    let pools: Vec<Value> = tables
        .iter()
        .map(|(pool, share)| {
            let partners: Vec<Value> = share
                .partners
                .iter()
                .zip(&share.shares)
                .enumerate()
                .map(|(ix, (row, percent))| {
                    json!({
                        "id": partner_id(a, ix),
                        "contributions": row.contributions.to_plain_string(),
                        "excluded": row.excluded.to_plain_string(),
                        "income_added_back": row.income_added_back.to_plain_string(),
                        "base": row.base.to_plain_string(),
                        "share": percent.to_string(),
                    })
                })
                .collect();
            json!({ "id": pool.id, "basis": share.basis, "partners": partners })
        })
        .collect();
    json!({ "financial_year": a.financial_year().to_string(), "pools": pools })
}

/// Each pool's settlement, partner by partner and part by part.
pub fn settlement(a: &Agreement, pools: &[PoolSettlement]) -> Value {
    let pools: Vec<Value> = pools
        .iter()
        .map(|p| {
            let partners: Vec<Value> = p
                .partners
                .iter()
                .map(|s| {
                    let parts: Vec<Value> = s
                        .parts
                        .iter()
                        .map(|part| {
                            json!({
                                "rule": part.rule.name(),
                                "line": part.line,
                                "clause": part.clause,
                                "amount": part.amount.to_plain_string(),
                            })
                        })
                        .collect();
                    json!({ "id": partner_id(a, s.partner), "total": s.total.to_plain_string(), "parts": parts })
                })
                .collect();
            json!({
                "id": p.pool,
                "budget": p.budget.to_plain_string(),
                "outturn": p.outturn.to_plain_string(),
                "variance": p.variance.to_plain_string(),
                "partners": partners,
            })
        })
        .collect();
    json!({ "pools": pools })
}

/// The year-end settlement from the ledger: [`settlement`], plus the invoices between
/// partners.
pub fn year_end(a: &Agreement, pools: &[PoolSettlement], invoices: &[Invoice]) -> Value {
    let mut value = settlement(a, pools);
    value["invoices"] = invoices
        .iter()
        .map(|i| {
            json!({
                "pool": i.pool,
                "payer": partner_id(a, i.payer),
                "payee": partner_id(a, i.payee),
                "amount": i.amount.to_plain_string(),
            })
        })
        .collect();
    value
}

/// The payment schedule; with `tracked` (from the database) each instalment also
/// has its `raised` and `paid` dates (null until recorded).
pub fn payments(a: &Agreement, schedule: &[Instalment], tracked: Option<&[PaymentStatus]>) -> Value {
    let payments: Vec<Value> = schedule
        .iter()
        .map(|i| {
            let mut v = json!({
                "pool": i.pool,
                "from": partner_id(a, i.from),
                "to": partner_id(a, i.to),
                "month": i.month.to_string(),
                "due": i.due.to_string(),
                "amount": i.amount.to_plain_string(),
            });
            if let Some(tracked) = tracked {
                let status = crate::recorded_payment(a, i, tracked);
                v["raised"] = json!(status.and_then(|s| s.raised_on).map(|d| d.to_string()));
                v["paid"] = json!(status.and_then(|s| s.paid_on).map(|d| d.to_string()));
            }
            v
        })
        .collect();
    json!({ "payments": payments })
}

/// The monthly finance report: every row of each pool (pool, segments, lines, cost
/// centres) with its figures, and the forecast risk-share impact.
pub fn report(a: &Agreement, report: &MonthlyReport) -> Value {
    let pools: Vec<Value> = report
        .pools
        .iter()
        .map(|pool| {
            let rows: Vec<Value> = pool
                .flat_rows()
                .iter()
                .map(|r| {
                    let f = &r.figures;
                    json!({
                        "level": r.level.name(),
                        "label": r.label,
                        "segment": r.segment,
                        "line": r.line,
                        "cost_centre": r.cost_centre,
                        "partner": r.partner.map(|p| partner_id(a, p)),
                        "annual_budget": f.annual_budget.to_plain_string(),
                        "budget_to_date": f.budget_to_date.to_plain_string(),
                        "actual_to_date": f.actual_to_date.to_plain_string(),
                        "forecast_outturn": f.forecast_outturn.to_plain_string(),
                        "variance": f.variance.to_plain_string(),
                        "change": f.change.map(Money::to_plain_string),
                        "forecast_basis": f.basis.name(),
                        "needs_action_plan": f.needs_action_plan,
                    })
                })
                .collect();
            let impact: Vec<Value> = pool
                .risk_impact
                .partners
                .iter()
                .map(|p| json!({"id": partner_id(a, p.partner), "total": p.total.to_plain_string()}))
                .collect();
            json!({ "id": pool.id, "name": pool.name, "rows": rows, "risk_impact": impact })
        })
        .collect();
    json!({
        "financial_year": report.year.to_string(),
        "month": report.month.to_string(),
        "threshold": report.threshold.to_plain_string(),
        "pools": pools,
        "warnings": report.warnings,
    })
}

/// One forecast outturn as entered.
pub fn forecast(f: &Forecast) -> Value {
    json!({
        "month": f.month.to_string(),
        "cost_centre": f.cost_centre,
        "outturn": f.outturn.to_plain_string(),
        "entered_by": f.entered_by,
        "entered_at": f.entered_at.to_string(),
    })
}

/// A year's forecasts, by month entered, then cost centre.
pub fn forecasts(forecasts: &[Forecast]) -> Value {
    json!({ "forecasts": forecasts.iter().map(forecast).collect::<Vec<_>>() })
}

/// A year's ledger imports, replaced ones too (`replaced` says so).
pub fn imports(imports: &[ImportRecord]) -> Value {
    let imports: Vec<Value> = imports
        .iter()
        .map(|i| {
            json!({
                "id": i.import_id,
                "period": i.period.to_string(),
                "month": i.period.month.to_string(),
                "partner": i.partner,
                "file_name": i.file_name,
                "file_sha256": i.file_sha256,
                "rows": i.rows,
                "total": i.total.to_plain_string(),
                "imported_at": i.imported_at.to_string(),
                "imported_by": i.imported_by,
                "replaced": i.replaced,
            })
        })
        .collect();
    json!({ "imports": imports })
}

/// The audit log, oldest first, with each entry's place in the hash chain.
pub fn audit_log(entries: &[AuditEntry]) -> Value {
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq,
                "at": e.at.to_string(),
                "actor": e.actor,
                "action": e.action,
                "subject": e.subject,
                "before": e.before,
                "after": e.after,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            })
        })
        .collect();
    json!({ "entries": entries })
}
