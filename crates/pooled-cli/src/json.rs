//! The JSON contract (docs/cli.md) as the command line prints it: the shapes shared with
//! the web's API come from `pooled_app::json`; the meeting and notice checks, only the
//! command line's, are shaped here.

use pooled_core::agreement::Agreement;
use pooled_core::governance::MeetingCheck;
use pooled_core::termination::Notice;
use serde_json::{Map, Value, json};

/// `value` as printed: indented, with a final newline.
pub fn pretty(value: &Value) -> String {
    let mut out = serde_json::to_string_pretty(value).expect("JSON values always serialise");
    out.push('\n');
    out
}

fn partner_id(a: &Agreement, ix: usize) -> &str {
    &a.partners()[ix].id
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
    pretty(&json!({
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
    pretty(&json!({ "given": n.given.to_string(), "months": n.months, "effective": n.effective.to_string() }))
}
