//! Meetings of the joint board (docs/rules.md, governance): who fills which voting seat,
//! whether the meeting was quorate, what its decisions came to, and whether the agenda and
//! minutes met their deadlines. Every result cites the board's clause for its rule
//! ([`Board::cite`]).

mod change;
pub mod deadlines;
mod meeting_file;
mod minutes;
mod register;
mod register_file;
mod urgent;
mod write;

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::agreement::{Agreement, Board, BoardRule, Member, PartnerIx};
use crate::calendar::Date;
use deadlines::Standing;

pub use change::{
    Given, Id, MAX_ID_LEN, MeetingChange, NewHolder, RegisterChange, ReportChange, parse_date, parse_optional_date,
};
pub use minutes::draft_minutes;
pub use register::{ActionPlan, Circulation, Holder, Nomination, Reconstitution, Register, SeatChange};
pub use urgent::{RatificationStatus, UrgentDecision, ratification};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meeting {
    pub date: Date,
    pub agenda_published: Option<Date>,
    pub minutes_circulated: Option<Date>,
    pub attendees: Vec<Attendee>,
    /// The agenda, in order; decisions name items by their 1-based number.
    pub items: Vec<Item>,
    pub decisions: Vec<Decision>,
    /// Views of those attending, for the minutes.
    pub views: Vec<View>,
}

/// An agenda item and the papers sent with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Item {
    pub title: String,
    /// Discussed in confidence: only members may see it.
    pub confidential: bool,
    pub papers: Vec<Paper>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paper {
    pub title: String,
    /// When it went to members; `None` while unpublished.
    pub published: Option<Date>,
}

/// A view recorded for the minutes, including agreement or disagreement with a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct View {
    pub person: String,
    pub text: String,
    /// The id of the decision of this meeting it is about, if any.
    pub decision: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attendee {
    pub person: String,
    /// The voting member whose seat this person means to fill.
    pub deputising_for: Option<String>,
    /// An alternative deputy in exceptional circumstances.
    pub alternative: bool,
    pub confirmed_in_writing_by: Option<String>,
    pub agreed_by_other_partner: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub id: String,
    pub subject: String,
    /// The 1-based number of the agenda item it was taken under.
    pub item: Option<usize>,
    /// The id of the urgent decision (in the register) this decision ratifies.
    pub ratifies: Option<String>,
    /// Lead commissioner of the service element, who has discretion on disagreement.
    pub element_lead: Option<PartnerIx>,
    /// Votes keyed by voting seat (member id).
    pub votes: BTreeMap<String, Vote>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    For,
    Against,
    Abstain,
}

impl Vote {
    pub fn name(self) -> &'static str {
        match self {
            Vote::For => "for",
            Vote::Against => "against",
            Vote::Abstain => "abstain",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilledBy {
    InPerson,
    NominatedDeputy,
    AlternativeDeputy,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seat {
    pub member: String,
    pub partner: PartnerIx,
    /// Who filled the seat and how; `None` when unfilled.
    pub filled: Option<(String, FilledBy)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotCounted {
    pub person: String,
    pub reason: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every filled seat voted for.
    Agreed,
    NotAgreed,
    /// Not unanimous; the element's lead commissioner has discretion.
    LeadDiscretion,
    /// Taken at an inquorate meeting.
    Invalid,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Agreed => "agreed",
            Outcome::NotAgreed => "not-agreed",
            Outcome::LeadDiscretion => "lead-discretion",
            Outcome::Invalid => "invalid",
        }
    }

    /// The board's rule that gives this outcome.
    pub fn rule(self) -> BoardRule {
        match self {
            Outcome::Agreed | Outcome::NotAgreed | Outcome::Invalid => BoardRule::Decisions,
            Outcome::LeadDiscretion => BoardRule::LeadDiscretion,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionOutcome {
    pub id: String,
    pub outcome: Outcome,
    /// The lead commissioner who has discretion; only for [`Outcome::LeadDiscretion`].
    pub lead: Option<PartnerIx>,
    /// The board's clause for the outcome's rule, or the rule in words.
    pub clause: String,
}

/// A deadline and whether it was met; `on_time` is `None` until the thing is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadline {
    pub due: Date,
    pub done: Option<Date>,
    pub on_time: Option<bool>,
}

impl Deadline {
    fn new(due: Date, done: Option<Date>) -> Deadline {
        Deadline { due, done, on_time: done.map(|d| d <= due) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MeetingCheck {
    pub quorate: bool,
    /// Seats filled per partner, in partner order.
    pub seats_filled: Vec<u32>,
    pub seats: Vec<Seat>,
    pub not_counted: Vec<NotCounted>,
    /// Latest date the agenda and papers could go out.
    pub agenda: Deadline,
    /// Minutes to members within the board's days.
    pub minutes: Deadline,
    pub decisions: Vec<DecisionOutcome>,
}

impl MeetingCheck {
    pub fn unfilled(&self) -> impl Iterator<Item = &Seat> {
        self.seats.iter().filter(|s| s.filled.is_none())
    }
}

/// Checks a meeting against the board's rules.
pub fn check_meeting(agreement: &Agreement, board: &Board, meeting: &Meeting) -> MeetingCheck {
    let (seats, not_counted) = fill_seats(agreement, board, &meeting.attendees);
    let mut seats_filled = vec![0u32; agreement.partners().len()];
    for seat in seats.iter().filter(|s| s.filled.is_some()) {
        seats_filled[seat.partner] += 1;
    }
    let quorate = seats_filled.iter().all(|n| *n >= board.quorum_per_partner);
    let decisions = meeting
        .decisions
        .iter()
        .map(|d| {
            let unanimous =
                seats.iter().filter(|s| s.filled.is_some()).all(|s| d.votes.get(&s.member) == Some(&Vote::For));
            let outcome = match (quorate, unanimous, d.element_lead) {
                (false, _, _) => Outcome::Invalid,
                (true, true, _) => Outcome::Agreed,
                (true, false, Some(_)) => Outcome::LeadDiscretion,
                (true, false, None) => Outcome::NotAgreed,
            };
            let lead = if outcome == Outcome::LeadDiscretion { d.element_lead } else { None };
            DecisionOutcome { id: d.id.clone(), outcome, lead, clause: board.cite(outcome.rule()).to_string() }
        })
        .collect();
    let agenda_latest = deadlines::agenda_due(board, meeting.date);
    let minutes_due = deadlines::minutes_due(board, meeting.date);
    MeetingCheck {
        quorate,
        seats_filled,
        seats,
        not_counted,
        agenda: Deadline::new(agenda_latest, meeting.agenda_published),
        minutes: Deadline::new(minutes_due, meeting.minutes_circulated),
        decisions,
    }
}

/// A seat is filled by the member in person, else the nominated deputy, else a valid
/// alternative deputy; a seat counts once; non-voting members never count.
fn fill_seats(agreement: &Agreement, board: &Board, attendees: &[Attendee]) -> (Vec<Seat>, Vec<NotCounted>) {
    let mut seats: Vec<Seat> = board
        .members
        .iter()
        .filter(|m| m.voting)
        .map(|m| Seat { member: m.id.clone(), partner: m.partner, filled: None })
        .collect();
    let member = |id: &str| board.members.iter().find(|m| m.id == id);
    let partner_name = |ix: PartnerIx| agreement.partners()[ix].id.clone();
    let mut not_counted = Vec::new();
    // Who may fill each seat, in order of precedence; the first valid claim wins.
    for pass in [FilledBy::InPerson, FilledBy::NominatedDeputy, FilledBy::AlternativeDeputy] {
        for a in attendees {
            if claim_kind(a, member) != Some(pass) {
                continue;
            }
            let seat_id = a.deputising_for.as_deref().unwrap_or(&a.person);
            let m = member(seat_id).expect("claim_kind found the member");
            if pass == FilledBy::AlternativeDeputy
                && let Err(reason) = alternative_is_valid(a, m, board, &partner_name)
            {
                not_counted.push(NotCounted { person: a.person.clone(), reason });
                continue;
            }
            let held = seats.iter().find(|s| s.filled.as_ref().is_some_and(|(by, _)| *by == a.person));
            let seat = seats.iter().find(|s| s.member == m.id).expect("voting members have seats");
            let reason = match (&seat.filled, held) {
                (Some((by, how)), _) => format!(
                    "the seat of `{}` is already filled by {} ({}); a seat counts once ({})",
                    m.id,
                    by,
                    filled_by_name(*how),
                    board.cite(BoardRule::Quorum)
                ),
                // A person counts once towards the quorum however many seats they could
                // claim ("3 Voting Members/deputies attending", in Oxfordshire's words).
                (None, Some(held)) => format!(
                    "already fills the seat of `{}`; one person fills one seat ({})",
                    held.member,
                    board.cite(BoardRule::Quorum)
                ),
                (None, None) => {
                    let seat = seats.iter_mut().find(|s| s.member == m.id).expect("found above");
                    seat.filled = Some((a.person.clone(), pass));
                    continue;
                }
            };
            not_counted.push(NotCounted { person: a.person.clone(), reason });
        }
    }
    for a in attendees.iter().filter(|a| claim_kind(a, member).is_none()) {
        not_counted.push(NotCounted { person: a.person.clone(), reason: why_no_claim(a, board) });
    }
    // Report in the order people were listed.
    let position = |person: &str| attendees.iter().position(|a| a.person == person);
    not_counted.sort_by_key(|n| position(&n.person));
    (seats, not_counted)
}

/// Which kind of seat the attendee claims, if the claim is on a voting member's seat.
fn claim_kind<'b>(a: &Attendee, member: impl Fn(&str) -> Option<&'b Member>) -> Option<FilledBy> {
    match &a.deputising_for {
        None => member(&a.person).filter(|m| m.voting).map(|_| FilledBy::InPerson),
        Some(seat) => {
            let m = member(seat).filter(|m| m.voting)?;
            // The nominated deputy needs no confirmation, even if also marked alternative.
            if m.deputy.as_deref() == Some(a.person.as_str()) {
                Some(FilledBy::NominatedDeputy)
            } else if a.alternative {
                Some(FilledBy::AlternativeDeputy)
            } else {
                None
            }
        }
    }
}

fn why_no_claim(a: &Attendee, board: &Board) -> String {
    let member = |id: &str| board.members.iter().find(|m| m.id == id);
    match &a.deputising_for {
        None => match member(&a.person) {
            Some(_) => format!(
                "non-voting member: attends but does not count towards the quorum ({})",
                board.cite(BoardRule::Members)
            ),
            None => format!("not a member of the board: in attendance only ({})", board.cite(BoardRule::Guests)),
        },
        Some(seat) => match member(seat) {
            None => format!("deputising for `{seat}`, who is not a member of the board"),
            Some(m) if !m.voting => format!(
                "deputising for `{seat}`, a non-voting member: only voting members have deputies ({})",
                board.cite(BoardRule::Deputies)
            ),
            Some(m) => format!(
                "not the deputy nominated in writing for `{}`{}; an alternative deputy needs `alternative = true` ({})",
                m.id,
                m.deputy.as_deref().map(|d| format!(" (who is `{d}`)")).unwrap_or_default(),
                board.cite(BoardRule::Deputies)
            ),
        },
    }
}

/// An alternative deputy is confirmed in writing by a voting member of the same partner,
/// and agreed by the other partner.
fn alternative_is_valid(
    a: &Attendee,
    seat: &Member,
    board: &Board,
    partner_name: &dyn Fn(PartnerIx) -> String,
) -> Result<(), String> {
    let partner = partner_name(seat.partner);
    let clause = board.cite(BoardRule::AlternativeDeputies);
    let confirmer = a.confirmed_in_writing_by.as_deref().ok_or_else(|| {
        format!(
            "alternative deputy for `{}` not confirmed in writing by a voting member of {partner} ({clause})",
            seat.id
        )
    })?;
    let confirmer_ok = board.members.iter().any(|m| m.id == confirmer && m.voting && m.partner == seat.partner);
    if !confirmer_ok {
        return Err(format!(
            "alternative deputy for `{}` confirmed by `{confirmer}`, who is not a voting member of {partner} ({clause})",
            seat.id
        ));
    }
    if !a.agreed_by_other_partner {
        return Err(format!("alternative deputy for `{}` not agreed by the other partner ({clause})", seat.id));
    }
    Ok(())
}

/// A paper against the agenda deadline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperCheck {
    /// The 1-based number of its agenda item.
    pub item: usize,
    pub title: String,
    /// The latest day it could go to members, when it did, and where it stands today.
    pub due: Date,
    pub published: Option<Date>,
    pub standing: Standing,
    /// Published after the due day, or unpublished once that day has passed. By date,
    /// not working days: a paper sent on the Saturday after a Friday deadline is late.
    pub late: bool,
}

/// Every paper of the meeting, in agenda order, against the agenda deadline as it stands
/// on `today`. An agreement may accept late financial reports (Oxfordshire's does, "as far
/// in advance of the meeting as possible"); they are still marked late.
pub fn check_papers(board: &Board, meeting: &Meeting, today: Date) -> Vec<PaperCheck> {
    let due = deadlines::agenda_due(board, meeting.date);
    let mut checks = Vec::new();
    for (i, item) in meeting.items.iter().enumerate() {
        for paper in &item.papers {
            let late = match paper.published {
                Some(on) => on > due,
                None => today > due,
            };
            checks.push(PaperCheck {
                item: i + 1,
                title: paper.title.clone(),
                due,
                published: paper.published,
                standing: Standing::of(board.calendar, due, paper.published, today),
                late,
            });
        }
    }
    checks
}

pub fn filled_by_name(how: FilledBy) -> &'static str {
    match how {
        FilledBy::InPerson => "in person",
        FilledBy::NominatedDeputy => "nominated deputy",
        FilledBy::AlternativeDeputy => "alternative deputy",
    }
}

#[cfg(test)]
mod tests;
