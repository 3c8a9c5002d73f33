//! One change to the board's records, as a person makes it: a deputy nominated, a seat
//! changed, an urgent decision, a new body ([`RegisterChange`]); a monthly report
//! circulated or an action plan raised, closed or reported ([`ReportChange`]); an
//! attendee, item, paper, decision, view or dates of a meeting ([`MeetingChange`]).
//! Each is built from what a form gave ([`Given`]: text fields, blank as absent) and
//! checked as it is built (required fields, dates, numbers, [`Id`]s), then applied to the
//! records, where the rest is checked against them (the partner, pool, line, item,
//! action plan or meeting it names; every rule of [`Register`] and the meeting file).
//! Every check a change must pass is here, worded once, whoever makes the change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::{
    ActionPlan, Attendee, Circulation, Decision, Holder, Item, Meeting, Nomination, Paper, Reconstitution, Register,
    SeatChange, UrgentDecision, View, Vote,
};
use crate::agreement::{Agreement, PartnerIx};
use crate::calendar::{Date, FinancialYear, FiscalMonth};

/// The longest id the records take.
pub const MAX_ID_LEN: usize = 64;

/// The id of a seat, a decision, an urgent decision or an action plan: 1 to
/// [`MAX_ID_LEN`] ASCII letters, digits, `-`, `_` or `.`, so that it reads the same in
/// a page, a file and a link. Only [`Id::parse`] builds one.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(String);

impl Id {
    pub fn parse(text: &str) -> Result<Id, String> {
        if text.is_empty() {
            return Err("an id cannot be empty".into());
        }
        if text.len() > MAX_ID_LEN {
            return Err(format!("an id has at most {MAX_ID_LEN} characters, not {}", text.chars().count()));
        }
        match text.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
            Some(c) => Err(format!(
                "{} is not an id: use letters, digits, `-`, `_` or `.` (not {c:?})",
                crate::diagnostic::quote(text)
            )),
            None => Ok(Id(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first of `prefix`1, `prefix`2, ... that none of `taken` is: ids given by hand
    /// in a stored file need not run in order.
    fn fresh<'a>(prefix: &str, taken: impl Iterator<Item = &'a str>) -> Id {
        let taken: BTreeSet<&str> = taken.collect();
        let id = (1..).map(|n| format!("{prefix}{n}")).find(|id| !taken.contains(id.as_str()));
        Id(id.unwrap_or_default())
    }
}

/// Read from a file, an id is checked as [`Id::parse`] checks it, at its place in the file.
impl<'de> serde::Deserialize<'de> for Id {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let text = String::deserialize(deserializer)?;
        Id::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Id> for String {
    fn from(id: Id) -> String {
        id.0
    }
}

/// A date as a person types it, or the problem with it, naming the field.
pub fn parse_date(field: &str, text: &str) -> Result<Date, String> {
    Date::parse_iso(text.trim()).map_err(|e| format!("{field}: {e}; give a date like 2016-09-15"))
}

/// An optional date as a person types it: blank is none.
pub fn parse_optional_date(field: &str, text: Option<&str>) -> Result<Option<Date>, String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(|t| parse_date(field, t)).transpose()
}

/// What a form gave for one change: its fields by name, trimmed, a blank one as absent;
/// votes as `vote:SEAT` fields (`for`, `against`, `abstain`, blank for none).
pub struct Given<'a> {
    fields: Vec<(&'a str, &'a str)>,
}

type Checked<T> = Result<T, String>;

impl<'a> Given<'a> {
    pub fn new(fields: impl IntoIterator<Item = (&'a str, &'a str)>) -> Given<'a> {
        Given { fields: fields.into_iter().collect() }
    }

    /// The version of the records the change was drawn from, if any (`version`).
    pub fn version(&self) -> Result<Option<u32>, String> {
        let version = self.text("version");
        version.map(|v| v.parse().map_err(|_| format!("version: `{v}` is not a version"))).transpose()
    }

    fn text(&self, name: &str) -> Option<&'a str> {
        self.fields.iter().find(|(k, _)| *k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    fn ticked(&self, name: &str) -> bool {
        self.text(name).is_some()
    }

    fn required(&self, name: &str) -> Checked<String> {
        self.text(name).map(str::to_string).ok_or_else(|| format!("{name}: required"))
    }

    fn date(&self, name: &str) -> Checked<Date> {
        parse_date(name, self.text(name).unwrap_or(""))
    }

    fn optional_date(&self, name: &str) -> Checked<Option<Date>> {
        parse_optional_date(name, self.text(name))
    }

    fn optional_id(&self, name: &str) -> Checked<Option<Id>> {
        self.text(name).map(|t| Id::parse(t).map_err(|e| format!("{name}: {e}"))).transpose()
    }

    fn id(&self, name: &str) -> Checked<Id> {
        self.optional_id(name)?.ok_or_else(|| format!("{name}: required"))
    }

    fn number(&self, name: &str) -> Checked<u32> {
        self.required(name)?.parse().map_err(|_| format!("{name}: give a whole number"))
    }

    /// An agenda item by its number, counted from 1.
    fn item(&self, name: &str) -> Checked<Option<usize>> {
        match self.text(name) {
            None => Ok(None),
            Some(n) => match n.parse() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(format!("{name}: `{n}` is not an item number")),
            },
        }
    }

    fn month(&self, name: &str) -> Checked<FiscalMonth> {
        FiscalMonth::parse(self.text(name).unwrap_or("")).map_err(|e| format!("{name}: {e}"))
    }

    fn votes(&self) -> Checked<BTreeMap<Id, Vote>> {
        let mut votes = BTreeMap::new();
        for (name, value) in &self.fields {
            let Some(seat) = name.strip_prefix("vote:") else { continue };
            let vote = match value.trim() {
                "" => continue,
                "for" => Vote::For,
                "against" => Vote::Against,
                "abstain" => Vote::Abstain,
                other => return Err(format!("{name}: `{other}` is not a vote: give for, against or abstain")),
            };
            votes.insert(Id::parse(seat).map_err(|e| format!("{name}: {e}"))?, vote);
        }
        Ok(votes)
    }
}

/// One change to the board's membership or its urgent decisions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegisterChange {
    Nominate {
        seat: Id,
        deputy: String,
        nominated_on: Date,
    },
    /// `holder` `None` leaves the seat empty; its partner is the agreement's to resolve.
    Seat {
        seat: Id,
        from: Date,
        notified_on: Date,
        holder: Option<(NewHolder, Id)>,
    },
    Urgent {
        subject: String,
        taken_on: Date,
        element_lead: Option<Id>,
        votes: BTreeMap<Id, Vote>,
    },
    Reconstitute(Reconstitution),
}

/// A seat's new holder as given, but for the partner (resolved against the agreement).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewHolder {
    pub person: String,
    pub role: String,
    pub voting: bool,
    pub chair: bool,
}

impl RegisterChange {
    /// The change `action` (`nominate`, `change`, `urgent`, `reconstitute`) from its fields.
    pub fn parse(action: &str, given: &Given) -> Result<RegisterChange, Vec<String>> {
        let change = || -> Checked<RegisterChange> {
            Ok(match action {
                "nominate" => RegisterChange::Nominate {
                    nominated_on: given.date("nominated_on")?,
                    seat: given.id("seat")?,
                    deputy: given.required("deputy")?,
                },
                "change" => {
                    let from = given.date("from")?;
                    let holder = match given.text("person") {
                        None => None,
                        Some(person) => Some((
                            NewHolder {
                                person: person.to_string(),
                                role: given.required("role")?,
                                voting: given.ticked("voting"),
                                chair: given.ticked("chair"),
                            },
                            given.id("partner")?,
                        )),
                    };
                    RegisterChange::Seat {
                        notified_on: given.date("notified_on")?,
                        seat: given.id("seat")?,
                        from,
                        holder,
                    }
                }
                "urgent" => RegisterChange::Urgent {
                    taken_on: given.date("taken_on")?,
                    subject: given.required("subject")?,
                    element_lead: given.optional_id("element_lead")?,
                    votes: given.votes()?,
                },
                "reconstitute" => RegisterChange::Reconstitute(Reconstitution {
                    from: given.date("from")?,
                    notified_on: given.date("notified_on")?,
                    name: given.required("name")?,
                    quorum_per_partner: given.number("quorum_per_partner")?,
                    agenda_working_days: given.number("agenda_working_days")?,
                    minutes_within_days: given.number("minutes_within_days")?,
                }),
                other => return Err(format!("no such change to the register: `{other}`")),
            })
        };
        change().map_err(|e| vec![e])
    }

    /// The day the change takes effect: the day to show the board on after it.
    pub fn on(&self) -> Date {
        match self {
            RegisterChange::Nominate { nominated_on, .. } => *nominated_on,
            RegisterChange::Seat { from, .. } | RegisterChange::Reconstitute(Reconstitution { from, .. }) => *from,
            RegisterChange::Urgent { taken_on, .. } => *taken_on,
        }
    }
}

/// One change to the reports to the board.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportChange {
    Circulate(Circulation),
    /// Its pool and line are the agreement's to check.
    Raise {
        pool: Id,
        line: Option<Id>,
        month: FiscalMonth,
        raised_on: Date,
        description: String,
    },
    Close {
        plan: Id,
        closed_on: Date,
    },
    /// Reported to the meeting of this day, which must be recorded.
    Report {
        plan: Id,
        meeting: Date,
    },
}

impl ReportChange {
    /// The change `action` (`circulate`, `raise`, `close`, `report`) from its fields.
    pub fn parse(action: &str, given: &Given) -> Result<ReportChange, Vec<String>> {
        let change = || -> Checked<ReportChange> {
            Ok(match action {
                "circulate" => ReportChange::Circulate(Circulation {
                    month: given.month("month")?,
                    circulated_on: given.date("circulated_on")?,
                }),
                "raise" => ReportChange::Raise {
                    pool: given.id("pool")?,
                    line: given.optional_id("line")?,
                    month: given.month("month")?,
                    raised_on: given.date("raised_on")?,
                    description: given.required("description")?,
                },
                "close" => ReportChange::Close { plan: given.id("id")?, closed_on: given.date("closed_on")? },
                "report" => ReportChange::Report { plan: given.id("id")?, meeting: given.date("reported_at")? },
                other => return Err(format!("no such change to the reports: `{other}`")),
            })
        };
        change().map_err(|e| vec![e])
    }
}

/// One change to a meeting's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeetingChange {
    Attend {
        person: String,
        deputising_for: Option<Id>,
        alternative: bool,
        confirmed_in_writing_by: Option<Id>,
        agreed_by_other_partner: bool,
    },
    Item(Item),
    /// A paper for the agenda item of this number (from 1).
    Paper {
        item: usize,
        paper: Paper,
    },
    Decision {
        subject: String,
        item: Option<usize>,
        ratifies: Option<Id>,
        element_lead: Option<Id>,
        votes: BTreeMap<Id, Vote>,
    },
    View {
        person: String,
        text: String,
        decision: Option<Id>,
    },
    Dates {
        agenda_published: Option<Date>,
        minutes_circulated: Option<Date>,
    },
}

impl MeetingChange {
    /// The change `action` (`attend`, `item`, `paper`, `decision`, `view`, `dates`) from
    /// its fields.
    pub fn parse(action: &str, given: &Given) -> Result<MeetingChange, Vec<String>> {
        let change = || -> Checked<MeetingChange> {
            Ok(match action {
                "attend" => MeetingChange::Attend {
                    person: given.required("person")?,
                    deputising_for: given.optional_id("deputising_for")?,
                    alternative: given.ticked("alternative"),
                    confirmed_in_writing_by: given.optional_id("confirmed_in_writing_by")?,
                    agreed_by_other_partner: given.ticked("agreed_by_other_partner"),
                },
                "item" => MeetingChange::Item(Item {
                    title: given.required("title")?,
                    confidential: given.ticked("confidential"),
                    papers: Vec::new(),
                }),
                "paper" => MeetingChange::Paper {
                    item: given.item("item")?.ok_or("item: required")?,
                    paper: Paper { title: given.required("title")?, published: given.optional_date("published")? },
                },
                "decision" => MeetingChange::Decision {
                    subject: given.required("subject")?,
                    item: given.item("item")?,
                    ratifies: given.optional_id("ratifies")?,
                    element_lead: given.optional_id("element_lead")?,
                    votes: given.votes()?,
                },
                "view" => MeetingChange::View {
                    person: given.required("person")?,
                    text: given.required("text")?,
                    decision: given.optional_id("decision")?,
                },
                "dates" => MeetingChange::Dates {
                    agenda_published: given.optional_date("agenda_published")?,
                    minutes_circulated: given.optional_date("minutes_circulated")?,
                },
                other => return Err(format!("no such change to a meeting: `{other}`")),
            })
        };
        change().map_err(|e| vec![e])
    }
}

/// The partner `id` names on `day`: its own id, or its successor's from the succession
/// date on, as the board's files read it.
fn partner(agreement: &Agreement, field: &str, id: &Id, day: Date) -> Result<PartnerIx, Vec<String>> {
    agreement.partner_on(id.as_str(), day).map_err(|e| vec![format!("{field}: {e}")])
}

fn lead(agreement: &Agreement, id: Option<Id>, day: Date) -> Result<Option<PartnerIx>, Vec<String>> {
    id.map(|id| partner(agreement, "element_lead", &id, day)).transpose()
}

fn by_seat(votes: BTreeMap<Id, Vote>) -> BTreeMap<String, Vote> {
    votes.into_iter().map(|(seat, vote)| (seat.into(), vote)).collect()
}

impl Register {
    /// The register with `change` made, checked as [`Register::new`] and its kin check
    /// a whole register, and against the agreement (the partners it names).
    pub fn apply(&self, agreement: &Agreement, change: RegisterChange) -> Result<Register, Vec<String>> {
        let (mut changes, mut nominations, mut urgent, mut bodies) =
            (self.changes().to_vec(), self.nominations().to_vec(), self.urgent().to_vec(), self.bodies().to_vec());
        match change {
            RegisterChange::Nominate { seat, deputy, nominated_on } => {
                nominations.push(Nomination { seat: seat.into(), deputy, nominated_on })
            }
            RegisterChange::Seat { seat, from, notified_on, holder } => {
                let holder = match holder {
                    None => None,
                    Some((h, id)) => Some(Holder {
                        person: h.person,
                        role: h.role,
                        partner: partner(agreement, "partner", &id, from)?,
                        voting: h.voting,
                        chair: h.chair,
                    }),
                };
                changes.push(SeatChange { seat: seat.into(), from, notified_on, holder });
            }
            RegisterChange::Urgent { subject, taken_on, element_lead, votes } => {
                let id = Id::fresh("u", urgent.iter().map(|u| u.id.as_str()));
                let element_lead = lead(agreement, element_lead, taken_on)?;
                urgent.push(UrgentDecision { id: id.into(), subject, taken_on, element_lead, votes: by_seat(votes) });
            }
            RegisterChange::Reconstitute(body) => bodies.push(body),
        }
        let reports = (self.circulations().to_vec(), self.action_plans().to_vec());
        self.rebuilt(changes, nominations, urgent, reports, bodies)
    }

    /// The register with `change` made to its reports, checked as
    /// [`Register::with_reports`] checks them, and against the agreement (a plan's pool
    /// and line) and the year's `meetings` (the one a plan is reported to).
    pub fn apply_report(
        &self,
        agreement: &Agreement,
        change: ReportChange,
        meetings: &[Date],
    ) -> Result<Register, Vec<String>> {
        let mut circulations = self.circulations().to_vec();
        let mut plans = self.action_plans().to_vec();
        let plan = |plans: &[ActionPlan], id: &Id| {
            plans
                .iter()
                .position(|p| p.id == id.as_str())
                .ok_or_else(|| vec![format!("id: there is no action plan `{id}`")])
        };
        match change {
            ReportChange::Circulate(circulation) => circulations.push(circulation),
            ReportChange::Raise { pool, line, month, raised_on, description } => {
                let new = ActionPlan {
                    id: Id::fresh("a", plans.iter().map(|p| p.id.as_str())).into(),
                    pool: pool.into(),
                    line: line.map(String::from),
                    month,
                    raised_on,
                    description,
                    closed_on: None,
                    reported_at: None,
                };
                if let Some(problem) = new.problem_in(agreement) {
                    return Err(vec![problem]);
                }
                plans.push(new);
            }
            ReportChange::Close { plan: id, closed_on } => {
                let at = plan(&plans, &id)?;
                plans[at].closed_on = Some(closed_on);
            }
            ReportChange::Report { plan: id, meeting } => {
                let at = plan(&plans, &id)?;
                if !meetings.contains(&meeting) {
                    let year = agreement.financial_year();
                    return Err(vec![format!("reported_at: there is no meeting of the board on {meeting} in {year}")]);
                }
                plans[at].reported_at = Some(meeting);
            }
        }
        let (changes, nominations, urgent) =
            (self.changes().to_vec(), self.nominations().to_vec(), self.urgent().to_vec());
        self.rebuilt(changes, nominations, urgent, (circulations, plans), self.bodies().to_vec())
    }

    /// A register of this one's constitution with these entries, checked whole.
    fn rebuilt(
        &self,
        changes: Vec<SeatChange>,
        nominations: Vec<Nomination>,
        urgent: Vec<UrgentDecision>,
        (circulations, plans): (Vec<Circulation>, Vec<ActionPlan>),
        bodies: Vec<Reconstitution>,
    ) -> Result<Register, Vec<String>> {
        Register::new(self.constitution().clone(), self.constituted_on(), changes, nominations)
            .and_then(|r| r.with_urgent(urgent))
            .and_then(|r| r.with_reports(circulations, plans))
            .and_then(|r| r.with_bodies(bodies))
    }
}

impl Meeting {
    /// A meeting on `date`, with nothing recorded yet; refused outside the year.
    pub fn scheduled(year: FinancialYear, date: Date) -> Result<Meeting, Vec<String>> {
        if !year.contains(date) {
            return Err(vec![format!("{date} is not in the financial year {year}")]);
        }
        Ok(Meeting {
            date,
            agenda_published: None,
            minutes_circulated: None,
            attendees: Vec::new(),
            items: Vec::new(),
            decisions: Vec::new(),
            views: Vec::new(),
        })
    }

    /// The meeting with `change` made. What the change names within the meeting (its
    /// item, decision) and on the board (seats, votes) is checked when the meeting is
    /// read back against the board of its day, as every meeting file is.
    pub fn apply(&self, agreement: &Agreement, change: MeetingChange) -> Result<Meeting, Vec<String>> {
        let mut meeting = self.clone();
        match change {
            MeetingChange::Attend {
                person,
                deputising_for,
                alternative,
                confirmed_in_writing_by,
                agreed_by_other_partner,
            } => meeting.attendees.push(Attendee {
                person,
                deputising_for: deputising_for.map(String::from),
                alternative,
                confirmed_in_writing_by: confirmed_in_writing_by.map(String::from),
                agreed_by_other_partner,
            }),
            MeetingChange::Item(item) => meeting.items.push(item),
            MeetingChange::Paper { item, paper } => meeting
                .items
                .get_mut(item.wrapping_sub(1))
                .ok_or_else(|| vec![format!("item: there is no item {item}")])?
                .papers
                .push(paper),
            MeetingChange::Decision { subject, item, ratifies, element_lead, votes } => {
                let id = Id::fresh("d", meeting.decisions.iter().map(|d| d.id.as_str()));
                meeting.decisions.push(Decision {
                    id: id.into(),
                    subject,
                    item,
                    ratifies: ratifies.map(String::from),
                    element_lead: lead(agreement, element_lead, meeting.date)?,
                    votes: by_seat(votes),
                });
            }
            MeetingChange::View { person, text, decision } => {
                meeting.views.push(View { person, text, decision: decision.map(String::from) })
            }
            MeetingChange::Dates { agenda_published, minutes_circulated } => {
                meeting.agenda_published = agenda_published;
                meeting.minutes_circulated = minutes_circulated;
            }
        }
        Ok(meeting)
    }
}
