//! The JSON contract of DESIGN 8: amounts as strings with two decimals, percentages as
//! strings with the agreement's decimals, dates ISO.

use pooled_core::agreement::{Agreement, Pool};
use pooled_core::governance::MeetingCheck;
use pooled_core::payments::Instalment;
use pooled_core::risk_share::RiskShare;
use pooled_core::settlement::{Invoice, PoolSettlement};
use pooled_core::termination::Notice;
use pooled_store::PaymentStatus;
use serde_json::{Map, Value, json};

fn pretty(value: Value) -> String {
    let mut out = serde_json::to_string_pretty(&value).expect("JSON values always serialise");
    out.push('\n');
    out
}

fn partner_id(a: &Agreement, ix: usize) -> &str {
    &a.partners()[ix].id
}

pub fn risk_share(a: &Agreement, tables: &[(&Pool, RiskShare)]) -> String {
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
    pretty(json!({ "financial_year": a.financial_year().to_string(), "pools": pools }))
}

pub fn settlement(a: &Agreement, pools: &[PoolSettlement]) -> String {
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
    pretty(json!({ "pools": pools }))
}

/// DESIGN 8's shape; with `tracked` (from the database) each instalment also has its
/// `raised` and `paid` dates (null until recorded).
pub fn payments(a: &Agreement, schedule: &[Instalment], tracked: Option<&[PaymentStatus]>) -> String {
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
                let status = pooled_app::recorded_payment(a, i, tracked);
                v["raised"] = json!(status.and_then(|s| s.raised_on).map(|d| d.to_string()));
                v["paid"] = json!(status.and_then(|s| s.paid_on).map(|d| d.to_string()));
            }
            v
        })
        .collect();
    pretty(json!({ "payments": payments }))
}

/// The year-end settlement from the ledger: the settlement in DESIGN 8's shape, plus the
/// invoices between partners.
pub fn year_end(a: &Agreement, pools: &[PoolSettlement], invoices: &[Invoice]) -> String {
    let mut value: Value = serde_json::from_str(&settlement(a, pools)).expect("our own JSON");
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
    pretty(value)
}

pub fn meeting(a: &Agreement, m: &MeetingCheck) -> String {
    let seats: Map<String, Value> =
        a.partners().iter().zip(&m.seats_filled).map(|(p, n)| (p.id.clone(), json!(n))).collect();
    let unfilled: Vec<&str> = m.unfilled().map(|s| s.member.as_str()).collect();
    let not_counted: Vec<Value> =
        m.not_counted.iter().map(|n| json!({ "person": n.person, "reason": n.reason })).collect();
    let decisions: Vec<Value> = m
        .decisions
        .iter()
        .map(|d| json!({ "id": d.id, "outcome": d.outcome.name(), "lead": d.lead.map(|l| partner_id(a, l)) }))
        .collect();
    pretty(json!({
        "quorate": m.quorate,
        "seats": seats,
        "unfilled": unfilled,
        "not_counted": not_counted,
        "agenda": {
            "latest": m.agenda.due.to_string(),
            "published": m.agenda.done.map(|d| d.to_string()),
            "on_time": m.agenda.on_time,
        },
        "minutes": {
            "due": m.minutes.due.to_string(),
            "circulated": m.minutes.done.map(|d| d.to_string()),
            "on_time": m.minutes.on_time,
        },
        "decisions": decisions,
    }))
}

pub fn notice(n: &Notice) -> String {
    pretty(json!({ "given": n.given.to_string(), "months": n.months, "effective": n.effective.to_string() }))
}
