//! The meeting file (docs/agreement-file.md): reading it, with every problem located, and writing a
//! [`Meeting`] back as a file that reads to the same meeting.

use super::Id;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::write::{line, string, votes};
use super::{Attendee, Decision, Item, Meeting, Paper, Register, View, Vote};
use crate::agreement::{Agreement, Board, BoardRule};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::file_format::{FileDate, Spanned, from_toml};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    meeting: RawMeeting,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeeting {
    date: FileDate,
    agenda_published: Option<FileDate>,
    minutes_circulated: Option<FileDate>,
    #[serde(default)]
    attendee: Vec<RawAttendee>,
    #[serde(default)]
    item: Vec<RawItem>,
    #[serde(default)]
    decision: Vec<RawDecision>,
    #[serde(default)]
    view: Vec<RawView>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttendee {
    person: String,
    deputising_for: Option<Id>,
    #[serde(default)]
    alternative: bool,
    confirmed_in_writing_by: Option<Id>,
    #[serde(default)]
    agreed_by_other_partner: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    title: String,
    #[serde(default)]
    confidential: bool,
    #[serde(default)]
    paper: Vec<RawPaper>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPaper {
    title: String,
    published: Option<FileDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecision {
    id: Spanned<Id>,
    subject: String,
    item: Option<Spanned<i64>>,
    ratifies: Option<Spanned<Id>>,
    element_lead: Option<Spanned<String>>,
    #[serde(default)]
    votes: BTreeMap<Spanned<Id>, Vote>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawView {
    person: Spanned<String>,
    text: String,
    decision: Option<Spanned<Id>>,
}

impl Meeting {
    /// Reads a meeting file of the agreement's board. Votes must be cast by voting seats;
    /// a decision's `item` must be on the agenda; a view's `decision` must be one of this
    /// meeting's. `ratifies` is not checked: see [`Meeting::parse_with_register`].
    pub fn parse(text: &str, agreement: &Agreement) -> Result<(Meeting, Vec<Diagnostic>), Vec<Diagnostic>> {
        parse(text, agreement, None)
    }

    /// As [`Meeting::parse`], against the board as the register has it on the meeting's
    /// date, and each `ratifies` must name an urgent decision of the register taken before
    /// the meeting.
    pub fn parse_with_register(
        text: &str,
        agreement: &Agreement,
        register: &Register,
    ) -> Result<(Meeting, Vec<Diagnostic>), Vec<Diagnostic>> {
        parse(text, agreement, Some(register))
    }

    /// The meeting as a file that [`Meeting::parse`] reads back to an equal meeting;
    /// partners are written as their ids.
    pub fn to_toml(&self, agreement: &Agreement) -> String {
        let mut out = String::from("[meeting]\n");
        line(&mut out, "date", self.date);
        if let Some(d) = self.agenda_published {
            line(&mut out, "agenda_published", d);
        }
        if let Some(d) = self.minutes_circulated {
            line(&mut out, "minutes_circulated", d);
        }
        for a in &self.attendees {
            out += "\n[[meeting.attendee]]\n";
            line(&mut out, "person", string(&a.person));
            if let Some(seat) = &a.deputising_for {
                line(&mut out, "deputising_for", string(seat));
            }
            if a.alternative {
                line(&mut out, "alternative", true);
            }
            if let Some(by) = &a.confirmed_in_writing_by {
                line(&mut out, "confirmed_in_writing_by", string(by));
            }
            if a.agreed_by_other_partner {
                line(&mut out, "agreed_by_other_partner", true);
            }
        }
        for item in &self.items {
            out += "\n[[meeting.item]]\n";
            line(&mut out, "title", string(&item.title));
            if item.confidential {
                line(&mut out, "confidential", true);
            }
            for paper in &item.papers {
                out += "\n[[meeting.item.paper]]\n";
                line(&mut out, "title", string(&paper.title));
                if let Some(d) = paper.published {
                    line(&mut out, "published", d);
                }
            }
        }
        for d in &self.decisions {
            out += "\n[[meeting.decision]]\n";
            line(&mut out, "id", string(&d.id));
            line(&mut out, "subject", string(&d.subject));
            if let Some(item) = d.item {
                line(&mut out, "item", item);
            }
            if let Some(urgent) = &d.ratifies {
                line(&mut out, "ratifies", string(urgent));
            }
            if let Some(lead) = d.element_lead {
                line(&mut out, "element_lead", string(&agreement.partners()[lead].id));
            }
            line(&mut out, "votes", votes(&d.votes));
        }
        for v in &self.views {
            out += "\n[[meeting.view]]\n";
            line(&mut out, "person", string(&v.person));
            line(&mut out, "text", string(&v.text));
            if let Some(decision) = &v.decision {
                line(&mut out, "decision", string(decision));
            }
        }
        out
    }
}

fn parse(
    text: &str,
    agreement: &Agreement,
    register: Option<&Register>,
) -> Result<(Meeting, Vec<Diagnostic>), Vec<Diagnostic>> {
    let raw: RawFile = from_toml(text).map_err(|d| vec![d])?;
    let mut d = Diagnostics::default();
    let Some(constitution) = agreement.board() else {
        return Err(vec![Diagnostic::error(0..0, "the agreement has no [board], so it has no meetings to check")]);
    };
    let m = raw.meeting;
    let date = m.date.0;
    let board: Board = register.map_or_else(|| constitution.clone(), |r| r.board_on(date));
    let items: Vec<Item> = m
        .item
        .into_iter()
        .map(|i| Item {
            title: i.title,
            confidential: i.confidential,
            papers: i
                .paper
                .into_iter()
                .map(|p| Paper { title: p.title, published: p.published.map(|f| f.0) })
                .collect(),
        })
        .collect();
    let mut ids = BTreeSet::new();
    let mut decisions = Vec::new();
    for dec in m.decision {
        if !ids.insert(dec.id.get_ref().clone()) {
            d.error(dec.id.span(), format!("duplicate decision id `{}`", dec.id.get_ref()));
        }
        let item = dec.item.as_ref().and_then(|n| {
            let number = *n.get_ref();
            let found = usize::try_from(number).ok().filter(|k| (1..=items.len()).contains(k));
            if found.is_none() {
                d.error(
                    n.span(),
                    format!(
                        "decision `{}` is taken under agenda item {number}, but the agenda has {} item{}: decisions are taken on the agenda sent to members ({})",
                        dec.id.get_ref(),
                        items.len(),
                        if items.len() == 1 { "" } else { "s" },
                        board.cite(BoardRule::Papers)
                    ),
                );
            }
            found
        });
        if let (Some(register), Some(urgent)) = (register, &dec.ratifies) {
            match register.urgent().iter().find(|u| u.id == urgent.get_ref().as_str()) {
                None => d.error(
                    urgent.span(),
                    format!(
                        "decision `{}` ratifies `{}`, which is not an urgent decision in the register ({})",
                        dec.id.get_ref(),
                        urgent.get_ref(),
                        board.cite(BoardRule::UrgentDecisions)
                    ),
                ),
                Some(u) if u.taken_on >= date => d.error(
                    urgent.span(),
                    format!(
                        "decision `{}` ratifies urgent decision `{}` taken on {}, not before this meeting of {date}: urgent decisions are ratified at a later meeting ({})",
                        dec.id.get_ref(),
                        u.id,
                        u.taken_on,
                        board.cite(BoardRule::UrgentDecisions)
                    ),
                ),
                Some(_) => {}
            }
        }
        let element_lead = dec
            .element_lead
            .as_ref()
            .and_then(|lead| agreement.partner_on(lead.get_ref(), date).map_err(|e| d.error(lead.span(), e)).ok());
        let mut votes = BTreeMap::new();
        for (seat, vote) in dec.votes {
            if !board.members.iter().any(|m| m.voting && m.id == seat.get_ref().as_str()) {
                d.error(
                    seat.span(),
                    format!("`{}` is not a voting seat of the board, so it cannot vote", seat.get_ref()),
                );
            }
            votes.insert(seat.into_inner().into(), vote);
        }
        decisions.push(Decision {
            id: dec.id.into_inner().into(),
            subject: dec.subject,
            item,
            ratifies: dec.ratifies.map(|r| r.into_inner().into()),
            element_lead,
            votes,
        });
    }
    let attendees: Vec<Attendee> = m
        .attendee
        .into_iter()
        .map(|a| Attendee {
            person: a.person,
            deputising_for: a.deputising_for.map(String::from),
            alternative: a.alternative,
            confirmed_in_writing_by: a.confirmed_in_writing_by.map(String::from),
            agreed_by_other_partner: a.agreed_by_other_partner,
        })
        .collect();
    let mut views = Vec::new();
    for v in m.view {
        if let Some(decision) = v.decision.as_ref().filter(|id| !ids.contains(id.get_ref())) {
            d.error(
                decision.span(),
                format!(
                    "the view of {} is on decision `{}`, which this meeting did not take ({})",
                    v.person.get_ref(),
                    decision.get_ref(),
                    board.cite(BoardRule::Views)
                ),
            );
        }
        if !attendees.iter().any(|a| a.person == *v.person.get_ref()) {
            d.warning(
                v.person.span(),
                format!(
                    "{} is not recorded as attending: the minutes record the views of those in attendance ({})",
                    v.person.get_ref(),
                    board.cite(BoardRule::Views)
                ),
            );
        }
        views.push(View {
            person: v.person.into_inner(),
            text: v.text,
            decision: v.decision.map(|d| d.into_inner().into()),
        });
    }
    let meeting = Meeting {
        date,
        agenda_published: m.agenda_published.map(|f| f.0),
        minutes_circulated: m.minutes_circulated.map(|f| f.0),
        attendees,
        items,
        decisions,
        views,
    };
    if !board.calendar.is_working_day(meeting.date) {
        d.warning(
            0..0,
            format!("the meeting date {} is not a working day in the {} calendar", meeting.date, board.calendar.name()),
        );
    }
    d.finish(meeting)
}
