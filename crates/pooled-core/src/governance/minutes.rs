//! Draft minutes: the record the pool manager circulates, drafted from
//! the meeting file and its check so that attendance, quorum and outcomes are stated as
//! the rules found them, not retyped.

use std::fmt::Write as _;

use super::{FilledBy, Meeting, MeetingCheck, Outcome, filled_by_name};
use crate::agreement::{Agreement, Board, BoardRule};

/// Plain-text draft minutes: who filled each voting seat and how, who else attended and
/// why they did not count, the quorum, the agenda (confidential items marked), each
/// decision with its votes, outcome and clause, and the views recorded. The same meeting
/// always gives the same text.
pub fn draft_minutes(agreement: &Agreement, board: &Board, meeting: &Meeting, check: &MeetingCheck) -> String {
    // Each partner as the body holding its place on the meeting's date.
    let partner = |ix: usize| agreement.partners().get(ix).map_or("?".to_string(), |p| p.body_on(meeting.date).id);
    let cite = |rule| board.cite(rule);
    let mut out = String::new();
    let _ = writeln!(out, "{}", board.name);
    let _ = writeln!(out, "Draft minutes of the meeting of {} {}", meeting.date.weekday().name(), meeting.date);

    let _ = writeln!(out, "\nVoting seats ({})", cite(BoardRule::Quorum));
    for seat in &check.seats {
        let member = board.members.iter().find(|m| m.id == seat.member);
        let role = member.map_or(String::new(), |m| format!(", {}", m.role));
        let chair = if member.is_some_and(|m| m.chair) { ", chair" } else { "" };
        let filled = match &seat.filled {
            // In person, the seat's holder as the register names them, if it does.
            Some((_, FilledBy::InPerson)) if member.is_some_and(|m| m.name.is_some()) => {
                format!("{}, in person", member.and_then(|m| m.name.as_deref()).unwrap_or_default())
            }
            Some((person, how)) => format!("{person}, {}", filled_by_name(*how)),
            None => "not filled".to_string(),
        };
        let _ = writeln!(out, "  {} ({}{role}{chair}): {filled}", seat.member, partner(seat.partner));
    }
    out += "In attendance, not counted towards the quorum\n";
    if check.not_counted.is_empty() {
        out += "  none\n";
    }
    for n in &check.not_counted {
        let _ = writeln!(out, "  {}: {}", n.person, n.reason);
    }
    let filled: Vec<String> =
        check.seats_filled.iter().enumerate().map(|(ix, n)| format!("{} {n}", partner(ix))).collect();
    let _ = writeln!(
        out,
        "Quorum ({}): {}; voting seats filled: {}; {} needed from each partner",
        cite(BoardRule::Quorum),
        if check.quorate {
            "quorate".to_string()
        } else {
            format!("inquorate, so no decision is valid ({})", cite(BoardRule::Decisions))
        },
        filled.join(", "),
        board.quorum_per_partner
    );

    out += "\nAgenda\n";
    if meeting.items.is_empty() {
        out += "  none recorded\n";
    }
    for (i, item) in meeting.items.iter().enumerate() {
        let confidential = if item.confidential {
            format!(" (confidential, {})", cite(BoardRule::Confidentiality))
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}. {}{confidential}", i + 1, item.title);
    }

    let _ = writeln!(out, "\nDecisions ({})", cite(BoardRule::Decisions));
    if meeting.decisions.is_empty() {
        out += "  none\n";
    }
    for (decision, result) in meeting.decisions.iter().zip(&check.decisions) {
        let under = decision.item.map_or(String::new(), |n| format!(", item {n}"));
        let _ = writeln!(out, "  {}{under}: {}", decision.id, decision.subject);
        let votes: Vec<String> = check
            .seats
            .iter()
            .filter(|s| s.filled.is_some() || decision.votes.contains_key(&s.member))
            .map(|s| {
                let vote = decision.votes.get(&s.member).map_or("no vote recorded", |v| v.name());
                let counted = if s.filled.is_some() { "" } else { " (seat not filled, not counted)" };
                format!("{} {vote}{counted}", s.member)
            })
            .collect();
        let _ = writeln!(out, "    Votes: {}", if votes.is_empty() { "none".to_string() } else { votes.join(", ") });
        let outcome = match (result.outcome, result.lead) {
            (Outcome::LeadDiscretion, Some(lead)) => {
                format!("not unanimous; {}, as lead commissioner, has discretion", partner(lead))
            }
            (outcome, _) => outcome.name().to_string(),
        };
        let _ = writeln!(out, "    Outcome: {outcome} ({})", result.clause);
        match (&decision.ratifies, result.outcome) {
            (Some(urgent), Outcome::Agreed) => {
                let _ = writeln!(out, "    Ratifies urgent decision {urgent} ({})", cite(BoardRule::UrgentDecisions));
            }
            (Some(urgent), _) => {
                let _ = writeln!(
                    out,
                    "    Urgent decision {urgent} is not ratified: only an agreed decision ratifies ({})",
                    cite(BoardRule::UrgentDecisions)
                );
            }
            (None, _) => {}
        }
        for view in meeting.views.iter().filter(|v| v.decision.as_deref() == Some(decision.id.as_str())) {
            let _ = writeln!(out, "    View of {}: {}", view.person, view.text);
        }
    }

    let _ = writeln!(out, "\nOther views recorded ({})", cite(BoardRule::Views));
    let other: Vec<_> = meeting
        .views
        .iter()
        .filter(|v| v.decision.as_ref().is_none_or(|id| !meeting.decisions.iter().any(|d| d.id == *id)))
        .collect();
    if other.is_empty() {
        out += "  none\n";
    }
    for view in other {
        let _ = writeln!(out, "  {}: {}", view.person, view.text);
    }
    let _ = writeln!(out, "\nMinutes due to members by {} ({})", check.minutes.due, cite(BoardRule::Minutes));
    out
}
