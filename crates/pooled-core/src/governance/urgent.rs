//! Urgent decisions taken outside meetings, "with decisions ... then to be taken at the
//! next Joint Management Group meeting" (Oxfordshire's words): which have been ratified,
//! and which still wait, overdue once a quorate meeting has passed without ratifying them.

use std::collections::BTreeMap;

use super::{Meeting, MeetingCheck, Outcome, Register, Vote};
use crate::agreement::PartnerIx;
use crate::calendar::Date;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrgentDecision {
    pub id: String,
    pub subject: String,
    pub taken_on: Date,
    /// Lead commissioner of the service element, if the decision concerns one.
    pub element_lead: Option<PartnerIx>,
    /// Votes keyed by voting seat (member id), as at `taken_on`.
    pub votes: BTreeMap<String, Vote>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RatificationStatus {
    /// Not yet ratified. `overdue_since` is the first quorate meeting after the decision
    /// that did not ratify it: the "next meeting" has passed.
    Awaiting { overdue_since: Option<Date> },
    /// Agreed by a decision with `ratifies` at a quorate meeting after it was taken.
    Ratified { meeting: Date },
}

/// Each urgent decision of the register, in its order, with its ratification by the
/// meetings given (in any order, each with its check). Only an agreed decision at a
/// quorate meeting after the urgent decision ratifies it; an inquorate meeting's
/// decisions are invalid and it is not a meeting that could have.
pub fn ratification(register: &Register, meetings: &[(Meeting, MeetingCheck)]) -> Vec<(String, RatificationStatus)> {
    let mut quorate_in_order: Vec<&(Meeting, MeetingCheck)> = meetings.iter().filter(|(_, c)| c.quorate).collect();
    quorate_in_order.sort_by_key(|(m, _)| m.date);
    register
        .urgent()
        .iter()
        .map(|urgent| {
            let mut overdue_since = None;
            for (meeting, check) in quorate_in_order.iter().filter(|(m, _)| m.date > urgent.taken_on) {
                let ratified = meeting.decisions.iter().zip(&check.decisions).any(|(decision, outcome)| {
                    decision.ratifies.as_deref() == Some(urgent.id.as_str()) && outcome.outcome == Outcome::Agreed
                });
                if ratified {
                    return (urgent.id.clone(), RatificationStatus::Ratified { meeting: meeting.date });
                }
                overdue_since.get_or_insert(meeting.date);
            }
            (urgent.id.clone(), RatificationStatus::Awaiting { overdue_since })
        })
        .collect()
}
