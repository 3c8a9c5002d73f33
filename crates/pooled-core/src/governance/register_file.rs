//! The board register file: when the board was constituted (as the agreement's
//! `[board]`), each seat change by written notification, each deputy nominated in
//! writing, each urgent decision taken outside a meeting, the circulation log of the
//! monthly finance and performance report and the action plans for flagged forecast
//! variances. Read with every problem
//! located; written back so that it reads to the same register.

use super::Id;
use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;

use super::register::{Entry, Reports};
use super::write::{line, string, votes};
use super::{ActionPlan, Circulation, Holder, Nomination, Reconstitution, Register, SeatChange, UrgentDecision, Vote};
use crate::agreement::{Agreement, BoardRule};
use crate::calendar::{Date, FiscalMonth};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::file_format::{FileDate, Spanned, from_toml};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    register: RawRegister,
    #[serde(default)]
    change: Vec<RawChange>,
    #[serde(default)]
    nomination: Vec<RawNomination>,
    #[serde(default)]
    urgent: Vec<RawUrgent>,
    #[serde(default)]
    body: Vec<RawBody>,
    #[serde(default)]
    circulation: Vec<RawCirculation>,
    #[serde(default)]
    action_plan: Vec<RawActionPlan>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCirculation {
    month: Spanned<String>,
    circulated_on: FileDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawActionPlan {
    id: Spanned<Id>,
    pool: Spanned<String>,
    line: Option<Spanned<String>>,
    month: Spanned<String>,
    raised_on: FileDate,
    description: String,
    closed_on: Option<FileDate>,
    reported_at: Option<FileDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    constituted_on: FileDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChange {
    seat: Spanned<Id>,
    from: FileDate,
    notified_on: FileDate,
    person: Option<String>,
    role: Option<Spanned<String>>,
    partner: Option<Spanned<String>>,
    voting: Option<Spanned<bool>>,
    chair: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNomination {
    seat: Spanned<Id>,
    deputy: String,
    nominated_on: FileDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBody {
    name: Spanned<String>,
    from: FileDate,
    notified_on: FileDate,
    quorum_per_partner: u32,
    agenda_working_days: u32,
    minutes_within_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUrgent {
    id: Spanned<Id>,
    subject: String,
    taken_on: FileDate,
    element_lead: Option<Spanned<String>>,
    #[serde(default)]
    votes: BTreeMap<Spanned<Id>, Vote>,
}

/// Resolves a partner id on a day, reporting an error at it when it names none.
type PartnerOn<'a> = dyn Fn(&mut Diagnostics, &Spanned<String>, Date) -> Option<usize> + 'a;

impl Register {
    /// Reads a register file of the agreement's board, which is the register's
    /// constitution. Every problem is an error at the entry it is about, including those
    /// [`Register::new`] and [`Register::with_urgent`] refuse.
    pub fn parse(text: &str, agreement: &Agreement) -> Result<(Register, Vec<Diagnostic>), Vec<Diagnostic>> {
        let raw: RawFile = from_toml(text).map_err(|d| vec![d])?;
        let Some(board) = agreement.board() else {
            return Err(vec![Diagnostic::error(0..0, "the agreement has no [board], so it has no register")]);
        };
        let mut d = Diagnostics::default();
        // A partner as the entry names it on its date: a successor's id from its date on.
        let partner = |d: &mut Diagnostics, id: &Spanned<String>, day: Date| {
            agreement.partner_on(id.get_ref(), day).map_err(|e| d.error(id.span(), e)).ok()
        };
        // A change whose new holder is incomplete is left out, so that it does not also
        // read as emptying its seat; `change_at` maps each one kept to its place in the file.
        let mut changes = Vec::new();
        let mut change_at = Vec::new();
        for (at, c) in raw.change.iter().enumerate() {
            let holder = match &c.person {
                Some(person) => match holder(&mut d, c, person, &partner, board.cite(BoardRule::Changes)) {
                    Some(h) => Some(h),
                    None => continue,
                },
                None => {
                    // No person empties the seat; terms of a holder would be lost.
                    let terms = [c.role.as_ref().map(|r| ("role", r.span()))]
                        .into_iter()
                        .chain([c.partner.as_ref().map(|p| ("partner", p.span()))])
                        .chain([c.voting.as_ref().map(|v| ("voting", v.span()))])
                        .chain([c.chair.as_ref().map(|v| ("chair", v.span()))]);
                    for (name, span) in terms.flatten() {
                        d.error(
                            span,
                            format!(
                                "`{name}` is given for seat {} without a `person`: a change with no person leaves the seat empty ({})",
                                c.seat.get_ref(),
                                board.cite(BoardRule::Changes)
                            ),
                        );
                    }
                    None
                }
            };
            change_at.push(at);
            changes.push(SeatChange {
                seat: c.seat.get_ref().to_string(),
                from: c.from.0,
                notified_on: c.notified_on.0,
                holder,
            });
        }
        let nominations: Vec<Nomination> = raw
            .nomination
            .iter()
            .map(|n| Nomination {
                seat: n.seat.get_ref().to_string(),
                deputy: n.deputy.clone(),
                nominated_on: n.nominated_on.0,
            })
            .collect();
        let urgent: Vec<UrgentDecision> = raw
            .urgent
            .iter()
            .map(|u| UrgentDecision {
                id: u.id.get_ref().to_string(),
                subject: u.subject.clone(),
                taken_on: u.taken_on.0,
                element_lead: u.element_lead.as_ref().and_then(|lead| partner(&mut d, lead, u.taken_on.0)),
                votes: u.votes.iter().map(|(seat, vote)| (seat.get_ref().to_string(), *vote)).collect(),
            })
            .collect();
        let month = |d: &mut Diagnostics, text: &Spanned<String>| match FiscalMonth::parse(text.get_ref()) {
            Ok(m) => Some(m),
            Err(message) => {
                d.error(text.span(), message);
                None
            }
        };
        // Entries with an unreadable month are left out; `*_at` map the rest to the file.
        let mut circulations = Vec::new();
        let mut circulation_at = Vec::new();
        for (at, c) in raw.circulation.iter().enumerate() {
            if let Some(m) = month(&mut d, &c.month) {
                circulation_at.push(at);
                circulations.push(Circulation { month: m, circulated_on: c.circulated_on.0 });
            }
        }
        let mut action_plans = Vec::new();
        let mut plan_at = Vec::new();
        for (at, a) in raw.action_plan.iter().enumerate() {
            let Some(m) = month(&mut d, &a.month) else { continue };
            let plan = ActionPlan {
                id: a.id.get_ref().to_string(),
                pool: a.pool.get_ref().clone(),
                line: a.line.as_ref().map(|l| l.get_ref().clone()),
                month: m,
                raised_on: a.raised_on.0,
                description: a.description.clone(),
                closed_on: a.closed_on.map(|c| c.0),
                reported_at: a.reported_at.map(|r| r.0),
            };
            if let Some(problem) = plan.problem_in(agreement) {
                let span = match (&a.line, agreement.pool(&plan.pool)) {
                    (Some(line), Some(_)) => line.span(),
                    _ => a.pool.span(),
                };
                d.error(span, problem);
            }
            plan_at.push(at);
            action_plans.push(plan);
        }
        let bodies = raw
            .body
            .iter()
            .map(|b| Reconstitution {
                from: b.from.0,
                notified_on: b.notified_on.0,
                name: b.name.get_ref().clone(),
                quorum_per_partner: b.quorum_per_partner,
                agenda_working_days: b.agenda_working_days,
                minutes_within_days: b.minutes_within_days,
            })
            .collect();
        let reports = Reports { circulations, action_plans, bodies };
        match Register::build(board.clone(), raw.register.constituted_on.0, changes, nominations, urgent, reports) {
            Ok(register) => d.finish(register),
            Err(problems) => {
                for (entry, message) in problems {
                    let entry = match entry {
                        Entry::Change(i) => Entry::Change(change_at[i]),
                        Entry::Circulation(i) => Entry::Circulation(circulation_at[i]),
                        Entry::ActionPlan(i) => Entry::ActionPlan(plan_at[i]),
                        other => other,
                    };
                    d.error(span_of(&raw, &entry), message);
                }
                Err(d.finish(()).err().unwrap_or_default())
            }
        }
    }

    /// The register as a file that [`Register::parse`] reads back to an equal register;
    /// partners are written as their ids.
    pub fn to_toml(&self, agreement: &Agreement) -> String {
        let partner = |ix: usize| string(&agreement.partners()[ix].id);
        let mut out = String::from("[register]\n");
        line(&mut out, "constituted_on", self.constituted_on());
        for c in self.changes() {
            out += "\n[[change]]\n";
            line(&mut out, "seat", string(&c.seat));
            line(&mut out, "from", c.from);
            line(&mut out, "notified_on", c.notified_on);
            if let Some(h) = &c.holder {
                line(&mut out, "person", string(&h.person));
                line(&mut out, "role", string(&h.role));
                line(&mut out, "partner", partner(h.partner));
                line(&mut out, "voting", h.voting);
                if h.chair {
                    line(&mut out, "chair", true);
                }
            }
        }
        for b in self.bodies() {
            out += "\n[[body]]\n";
            line(&mut out, "name", string(&b.name));
            line(&mut out, "from", b.from);
            line(&mut out, "notified_on", b.notified_on);
            line(&mut out, "quorum_per_partner", b.quorum_per_partner);
            line(&mut out, "agenda_working_days", b.agenda_working_days);
            line(&mut out, "minutes_within_days", b.minutes_within_days);
        }
        for n in self.nominations() {
            out += "\n[[nomination]]\n";
            line(&mut out, "seat", string(&n.seat));
            line(&mut out, "deputy", string(&n.deputy));
            line(&mut out, "nominated_on", n.nominated_on);
        }
        for u in self.urgent() {
            out += "\n[[urgent]]\n";
            line(&mut out, "id", string(&u.id));
            line(&mut out, "subject", string(&u.subject));
            line(&mut out, "taken_on", u.taken_on);
            if let Some(lead) = u.element_lead {
                line(&mut out, "element_lead", partner(lead));
            }
            line(&mut out, "votes", votes(&u.votes));
        }
        for c in self.circulations() {
            out += "\n[[circulation]]\n";
            line(&mut out, "month", string(&c.month.to_string()));
            line(&mut out, "circulated_on", c.circulated_on);
        }
        for a in self.action_plans() {
            out += "\n[[action_plan]]\n";
            line(&mut out, "id", string(&a.id));
            line(&mut out, "pool", string(&a.pool));
            if let Some(l) = &a.line {
                line(&mut out, "line", string(l));
            }
            line(&mut out, "month", string(&a.month.to_string()));
            line(&mut out, "raised_on", a.raised_on);
            line(&mut out, "description", string(&a.description));
            if let Some(c) = a.closed_on {
                line(&mut out, "closed_on", c);
            }
            if let Some(r) = a.reported_at {
                line(&mut out, "reported_at", r);
            }
        }
        out
    }
}

/// A new holder needs a role, a partner and whether the seat votes; `chair` defaults to
/// false. `clause` is cited for the rule on changes.
fn holder(d: &mut Diagnostics, c: &RawChange, person: &str, partner: &PartnerOn, clause: &str) -> Option<Holder> {
    let mut missing = Vec::new();
    if c.role.is_none() {
        missing.push("`role`");
    }
    if c.partner.is_none() {
        missing.push("`partner`");
    }
    if c.voting.is_none() {
        missing.push("`voting`");
    }
    if !missing.is_empty() {
        d.error(
            c.seat.span(),
            format!(
                "the change giving seat {} to {person} has no {}: a new holder needs a role, a partner and whether they vote ({clause})",
                c.seat.get_ref(),
                missing.join(" or ")
            ),
        );
    }
    let partner_ix = c.partner.as_ref().and_then(|p| partner(d, p, c.from.0));
    Some(Holder {
        person: person.to_string(),
        role: c.role.as_ref()?.get_ref().clone(),
        partner: partner_ix?,
        voting: *c.voting.as_ref()?.get_ref(),
        chair: c.chair.as_ref().is_some_and(|v| *v.get_ref()),
    })
}

/// Where in the file a register problem is: the entry's first located field.
fn span_of(raw: &RawFile, entry: &Entry) -> Range<usize> {
    match entry {
        Entry::Constitution => 0..0,
        Entry::Change(i) => raw.change.get(*i).map_or(0..0, |c| c.seat.span()),
        Entry::Nomination(i) => raw.nomination.get(*i).map_or(0..0, |n| n.seat.span()),
        Entry::Urgent(i) => raw.urgent.get(*i).map_or(0..0, |u| u.id.span()),
        Entry::UrgentVote { urgent, seat } => raw
            .urgent
            .get(*urgent)
            .and_then(|u| u.votes.keys().find(|k| k.get_ref().as_str() == seat))
            .map_or(0..0, Spanned::span),
        Entry::Circulation(i) => raw.circulation.get(*i).map_or(0..0, |c| c.month.span()),
        Entry::ActionPlan(i) => raw.action_plan.get(*i).map_or(0..0, |a| a.id.span()),
        Entry::Body(i) => raw.body.get(*i).map_or(0..0, |b| b.name.span()),
    }
}
