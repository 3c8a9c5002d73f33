//! The JSON contract (docs/cli.md) as the command line prints it: the answers shared with
//! the web's API are `pooled_app::json`'s types; the meeting and notice checks, only the
//! command line's, are typed here.

use pooled_app::json::{Day, Outcome, Text};
use pooled_core::agreement::Agreement;
use pooled_core::governance::{Deadline, MeetingCheck};
use pooled_core::termination::Notice;
use serde::{Serialize, Serializer};

/// `value` as printed: indented, with a final newline.
pub fn pretty(value: &impl Serialize) -> String {
    let mut out = serde_json::to_string_pretty(value).expect("the JSON contract's types always serialise");
    out.push('\n');
    out
}

/// `pooled meeting --json`: whether a meeting was quorate, its deadlines and decisions.
#[derive(Serialize)]
struct MeetingJson {
    quorate: bool,
    /// Voting seats filled, by partner id.
    seats: InPartnerOrder,
    /// The voting seats no one filled.
    unfilled: Vec<String>,
    not_counted: Vec<NotCounted>,
    agenda: Agenda,
    minutes: Minutes,
    decisions: Vec<Decision>,
}

/// Seats filled by partner id, as an object in the agreement's partner order.
struct InPartnerOrder(Vec<(String, u32)>);

impl Serialize for InPartnerOrder {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(id, n)| (id, n)))
    }
}

#[derive(Serialize)]
struct NotCounted {
    person: String,
    reason: String,
}

#[derive(Serialize)]
struct Agenda {
    latest: Day,
    published: Option<Day>,
    on_time: Option<bool>,
}

#[derive(Serialize)]
struct Minutes {
    due: Day,
    circulated: Option<Day>,
    on_time: Option<bool>,
}

#[derive(Serialize)]
struct Decision {
    id: String,
    outcome: Outcome,
    lead: Option<String>,
}

pub fn meeting(a: &Agreement, m: &MeetingCheck) -> String {
    let partners = a.partners();
    let deadline = |d: &Deadline| (Text(d.due), d.done.map(Text), d.on_time);
    let (latest, published, on_time) = deadline(&m.agenda);
    let (due, circulated, minutes_on_time) = deadline(&m.minutes);
    pretty(&MeetingJson {
        quorate: m.quorate,
        seats: InPartnerOrder(partners.iter().zip(&m.seats_filled).map(|(p, n)| (p.id.clone(), *n)).collect()),
        unfilled: m.unfilled().map(|s| s.member.clone()).collect(),
        not_counted: (m.not_counted.iter())
            .map(|n| NotCounted { person: n.person.clone(), reason: n.reason.clone() })
            .collect(),
        agenda: Agenda { latest, published, on_time },
        minutes: Minutes { due, circulated, on_time: minutes_on_time },
        decisions: (m.decisions.iter())
            .map(|d| Decision {
                id: d.id.clone(),
                outcome: d.outcome.into(),
                lead: d.lead.map(|l| partners[l].id.clone()),
            })
            .collect(),
    })
}

/// `pooled notice --json`: when notice given takes effect.
#[derive(Serialize)]
struct NoticeJson {
    given: Day,
    months: u32,
    effective: Day,
}

pub fn notice(n: &Notice) -> String {
    pretty(&NoticeJson { given: Text(n.given), months: n.months, effective: Text(n.effective) })
}
