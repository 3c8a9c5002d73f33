//! A board's membership over time: who held each seat from when, by
//! which written notification, and who was nominated in writing as each voting seat's
//! deputy. The agreement file gives the board as it was constituted; a [`Register`]
//! adds every change since, and [`Register::board_on`] gives the board as it stood on a
//! day, for [`super::check_meeting`] to judge that day's meeting against.

use super::UrgentDecision;
use crate::agreement::Agreement;
use crate::agreement::{Board, BoardRule, Member, PartnerIx};
use crate::calendar::{Date, FiscalMonth};

fn messages(problems: Vec<(Entry, String)>) -> Vec<String> {
    problems.into_iter().map(|(_, text)| text).collect()
}

/// A change to one seat of the board, effective `from`: a new holder, or (`holder` is
/// `None`) the seat left empty. Each is made "by written notification to the other
/// Partners", as Oxfordshire's agreement words it, on `notified_on`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatChange {
    /// The seat's id, as the agreement's `[[board.member]]` names it: `occ-cm`.
    pub seat: String,
    pub from: Date,
    pub notified_on: Date,
    pub holder: Option<Holder>,
}

/// Who holds a seat, and on what terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub person: String,
    pub role: String,
    pub partner: PartnerIx,
    pub voting: bool,
    pub chair: bool,
}

/// A deputy for a voting seat, nominated in writing by the seat's partner.
/// A later nomination for the seat replaces an earlier one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nomination {
    pub seat: String,
    pub deputy: String,
    /// The date of the written nomination; it has effect from then.
    pub nominated_on: Date,
}

/// The monthly finance and performance report for `month` went to members on
/// `circulated_on` (every month, whether or not a meeting is held).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Circulation {
    pub month: FiscalMonth,
    pub circulated_on: Date,
}

/// An action plan for a forecast over- or underspend flagged by the monthly report of
/// `month`, tracked from raised to closed and reported to the board at
/// the meeting held on `reported_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionPlan {
    pub id: String,
    /// The pool's id in the agreement.
    pub pool: String,
    /// The line of that pool, when the variance is on one line.
    pub line: Option<String>,
    pub month: FiscalMonth,
    pub raised_on: Date,
    pub description: String,
    pub closed_on: Option<Date>,
    /// The date of the meeting the plan was reported to.
    pub reported_at: Option<Date>,
}

impl ActionPlan {
    /// The meeting the plan is to be reported to: the first of `meetings` after it was
    /// raised (any forecast variance is reported with its action plan).
    pub fn due_at(&self, meetings: impl IntoIterator<Item = Date>) -> Option<Date> {
        meetings.into_iter().filter(|d| *d > self.raised_on).min()
    }

    /// Why the plan does not fit the agreement: its pool, or its line in that pool, does
    /// not exist.
    pub fn problem_in(&self, agreement: &Agreement) -> Option<String> {
        let Some(pool) = agreement.pool(&self.pool) else {
            return Some(format!(
                "action plan `{}` is for pool `{}`, which the agreement does not have",
                self.id, self.pool
            ));
        };
        match &self.line {
            Some(line) if !pool.lines.iter().any(|l| l.id == *line) => {
                Some(format!("action plan `{}` is for line `{line}`, which pool {} does not have", self.id, self.pool))
            }
            _ => None,
        }
    }
}

/// From `from`, the partners replace the board with another body, by written notification
/// to each other: a new name and rules. Its members carry on in their seats
/// unless a seat change says otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconstitution {
    pub from: Date,
    pub notified_on: Date,
    pub name: String,
    pub quorum_per_partner: u32,
    pub agenda_working_days: u32,
    pub minutes_within_days: u32,
}

/// The board's constitution, its membership's history, the urgent decisions taken
/// outside its meetings, and the reports to it (the monthly report's circulation and
/// action plans).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    /// The board as constituted: its rules, and its members on `constituted_on`.
    constitution: Board,
    constituted_on: Date,
    /// Ordered by the date they take effect, then as given.
    changes: Vec<SeatChange>,
    nominations: Vec<Nomination>,
    /// As given.
    urgent: Vec<UrgentDecision>,
    /// As given.
    circulations: Vec<Circulation>,
    /// As given.
    action_plans: Vec<ActionPlan>,
    /// The bodies that replaced the board, ordered by the date they take effect.
    bodies: Vec<Reconstitution>,
}

/// The entry of a register a problem is about, by its position as given, so that a file
/// reader can point at it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Entry {
    Constitution,
    Change(usize),
    Nomination(usize),
    Urgent(usize),
    UrgentVote { urgent: usize, seat: String },
    Circulation(usize),
    ActionPlan(usize),
    Body(usize),
}

impl Register {
    /// The register of a board constituted on `constituted_on` as the agreement's board,
    /// with the changes and nominations made since. Refuses, naming each problem: a
    /// change before the constitution or taking effect before its notification, two
    /// changes to one seat on one day, emptying a seat the board does not have, a person
    /// holding two seats at once (one person fills at most one seat), a
    /// nomination for a seat that is not a voting seat on its date.
    pub fn new(
        constitution: Board,
        constituted_on: Date,
        changes: Vec<SeatChange>,
        nominations: Vec<Nomination>,
    ) -> Result<Register, Vec<String>> {
        let reports = Reports::default();
        Register::build(constitution, constituted_on, changes, nominations, Vec::new(), reports).map_err(messages)
    }

    /// The register with these urgent decisions taken outside meetings.
    /// Refuses an id used twice, a decision before the constitution, and a vote by a seat
    /// that is not a voting seat of the board on the day.
    pub fn with_urgent(self, urgent: Vec<UrgentDecision>) -> Result<Register, Vec<String>> {
        let Register { constitution, constituted_on, changes, nominations, circulations, action_plans, bodies, .. } =
            self;
        let reports = Reports { circulations, action_plans, bodies };
        Register::build(constitution, constituted_on, changes, nominations, urgent, reports).map_err(messages)
    }

    /// The register with this circulation log of the monthly report and these action
    /// plans. Refuses a month circulated twice, an action plan id used twice,
    /// a plan closed before it was raised or reported to a meeting before it was raised.
    /// Whether each plan's pool and line exist is the agreement's to say:
    /// [`ActionPlan::problem_in`].
    pub fn with_reports(
        self,
        circulations: Vec<Circulation>,
        action_plans: Vec<ActionPlan>,
    ) -> Result<Register, Vec<String>> {
        let Register { constitution, constituted_on, changes, nominations, urgent, bodies, .. } = self;
        let reports = Reports { circulations, action_plans, bodies };
        Register::build(constitution, constituted_on, changes, nominations, urgent, reports).map_err(messages)
    }

    /// The register with the board replaced by these bodies from their dates.
    /// Refuses one before the constitution, one taking effect before its notification,
    /// two from one day, and a quorum of none.
    pub fn with_bodies(self, bodies: Vec<Reconstitution>) -> Result<Register, Vec<String>> {
        let Register { constitution, constituted_on, changes, nominations, urgent, circulations, action_plans, .. } =
            self;
        let reports = Reports { circulations, action_plans, bodies };
        Register::build(constitution, constituted_on, changes, nominations, urgent, reports).map_err(messages)
    }

    /// [`Register::new`] and [`Register::with_urgent`] at once, each problem with the entry
    /// it is about, sorted by message.
    pub(super) fn build(
        constitution: Board,
        constituted_on: Date,
        changes: Vec<SeatChange>,
        nominations: Vec<Nomination>,
        urgent: Vec<UrgentDecision>,
        reports: Reports,
    ) -> Result<Register, Vec<(Entry, String)>> {
        // Sorted by effect, remembering where each change was given.
        let mut order: Vec<usize> = (0..changes.len()).collect();
        order.sort_by_key(|&i| changes[i].from);
        let mut given: Vec<Option<SeatChange>> = changes.into_iter().map(Some).collect();
        let changes = order.iter().filter_map(|&i| given[i].take()).collect();
        let Reports { circulations, action_plans, bodies } = reports;
        // Bodies too, sorted by date, remembering where each was given.
        let mut body_order: Vec<usize> = (0..bodies.len()).collect();
        body_order.sort_by_key(|&i| bodies[i].from);
        let mut given_bodies: Vec<Option<Reconstitution>> = bodies.into_iter().map(Some).collect();
        let bodies = body_order.iter().filter_map(|&i| given_bodies[i].take()).collect();
        let register =
            Register { constitution, constituted_on, changes, nominations, urgent, circulations, action_plans, bodies };
        let mut problems = register.problems();
        for (entry, _) in &mut problems {
            match entry {
                Entry::Change(sorted) => *entry = Entry::Change(order[*sorted]),
                Entry::Body(sorted) => *entry = Entry::Body(body_order[*sorted]),
                _ => {}
            }
        }
        if problems.is_empty() { Ok(register) } else { Err(problems) }
    }

    /// Each problem with its entry (changes by sorted position), sorted by message.
    fn problems(&self) -> Vec<(Entry, String)> {
        let cite = |rule| self.constitution.cite(rule);
        let mut problems = Vec::new();
        for (i, c) in self.changes.iter().enumerate() {
            let mut problem = |text: String| problems.push((Entry::Change(i), text));
            if c.from < self.constituted_on {
                problem(format!(
                    "the change to seat {} from {} is before the board was constituted on {}",
                    c.seat, c.from, self.constituted_on
                ));
            }
            if c.notified_on > c.from {
                problem(format!(
                    "the change to seat {} takes effect on {}, before its written notification on {} ({})",
                    c.seat,
                    c.from,
                    c.notified_on,
                    cite(BoardRule::Changes)
                ));
            }
            if self.changes[..i].iter().any(|e| e.seat == c.seat && e.from == c.from) {
                problem(format!("seat {} is changed twice on {}", c.seat, c.from));
            } else if c.holder.is_none() && c.from.add_days(-1).is_some_and(|eve| !self.has_seat(&c.seat, eve)) {
                problem(format!(
                    "the change empties seat {} on {}, which the board does not have then",
                    c.seat, c.from
                ));
            }
        }
        // Each day something changes, everyone then seated holds one seat only; a double
        // is reported on the first day it arises, against the change that made it.
        let mut doubles = std::collections::BTreeSet::new();
        let days = std::iter::once(self.constituted_on).chain(self.changes.iter().map(|c| c.from));
        for day in days {
            let board = self.board_on(day);
            for (i, m) in board.members.iter().enumerate() {
                let person = m.name.as_deref().unwrap_or(&m.id);
                let twice = board.members[..i].iter().find(|o| o.name.as_deref().unwrap_or(&o.id) == person);
                if let Some(other) = twice.filter(|o| doubles.insert((person.to_string(), o.id.clone(), m.id.clone())))
                {
                    let cause = self
                        .changes
                        .iter()
                        .rposition(|c| c.from == day && (c.seat == m.id || c.seat == other.id))
                        .map_or(Entry::Constitution, Entry::Change);
                    problems.push((
                        cause,
                        format!(
                            "on {day} {person} would hold two seats, {} and {}: one person fills one seat",
                            other.id, m.id
                        ),
                    ));
                }
            }
        }
        for (i, n) in self.nominations.iter().enumerate() {
            let board = self.board_on(n.nominated_on);
            if !board.members.iter().any(|m| m.id == n.seat && m.voting) {
                problems.push((
                    Entry::Nomination(i),
                    format!(
                        "{} is nominated as deputy for {} on {}, which is not a voting seat of the board then ({})",
                        n.deputy,
                        n.seat,
                        n.nominated_on,
                        cite(BoardRule::Deputies)
                    ),
                ));
            }
        }
        for (i, u) in self.urgent.iter().enumerate() {
            if self.urgent[..i].iter().any(|e| e.id == u.id) {
                problems.push((Entry::Urgent(i), format!("urgent decision id `{}` is used twice", u.id)));
            }
            if u.taken_on < self.constituted_on {
                problems.push((
                    Entry::Urgent(i),
                    format!(
                        "urgent decision `{}` is taken on {}, before the board was constituted on {}",
                        u.id, u.taken_on, self.constituted_on
                    ),
                ));
            }
            let board = self.board_on(u.taken_on);
            for seat in u.votes.keys().filter(|s| !board.members.iter().any(|m| m.voting && m.id == **s)) {
                problems.push((
                    Entry::UrgentVote { urgent: i, seat: seat.clone() },
                    format!(
                        "`{seat}` is not a voting seat of the board on {}, so it cannot vote on urgent decision `{}` ({})",
                        u.taken_on,
                        u.id,
                        cite(BoardRule::Decisions)
                    ),
                ));
            }
        }
        for (i, c) in self.circulations.iter().enumerate() {
            if self.circulations[..i].iter().any(|e| e.month == c.month) {
                problems.push((
                    Entry::Circulation(i),
                    format!(
                        "the monthly report for {} is circulated twice: a month appears once ({})",
                        c.month,
                        cite(BoardRule::MonthlyReports)
                    ),
                ));
            }
        }
        for (i, a) in self.action_plans.iter().enumerate() {
            if self.action_plans[..i].iter().any(|e| e.id == a.id) {
                problems.push((Entry::ActionPlan(i), format!("action plan id `{}` is used twice", a.id)));
            }
            if let Some(closed) = a.closed_on.filter(|c| *c < a.raised_on) {
                problems.push((
                    Entry::ActionPlan(i),
                    format!("action plan `{}` is closed on {closed}, before it was raised on {}", a.id, a.raised_on),
                ));
            }
            if let Some(reported) = a.reported_at.filter(|r| *r < a.raised_on) {
                problems.push((
                    Entry::ActionPlan(i),
                    format!(
                        "action plan `{}` is reported to the meeting of {reported}, before it was raised on {}",
                        a.id, a.raised_on
                    ),
                ));
            }
        }
        for (i, b) in self.bodies.iter().enumerate() {
            let mut problem = |text: String| problems.push((Entry::Body(i), text));
            if b.from < self.constituted_on {
                problem(format!(
                    "{} replaces the board on {}, before it was constituted on {}",
                    b.name, b.from, self.constituted_on
                ));
            }
            if b.notified_on > b.from {
                problem(format!(
                    "{} replaces the board on {}, before the written notification of {} ({})",
                    b.name,
                    b.from,
                    b.notified_on,
                    cite(BoardRule::Replacement)
                ));
            }
            if self.bodies[..i].iter().any(|e| e.from == b.from) {
                problem(format!("two bodies replace the board on {}", b.from));
            }
            for (_, out_of_range) in
                Board::terms_out_of_range(b.quorum_per_partner, b.agenda_working_days, b.minutes_within_days)
            {
                problem(format!("{}: {out_of_range}", b.name));
            }
        }
        problems.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        problems.dedup_by(|a, b| a.1 == b.1);
        problems
    }

    fn has_seat(&self, seat: &str, date: Date) -> bool {
        self.board_on(date).members.iter().any(|m| m.id == seat)
    }

    pub fn constituted_on(&self) -> Date {
        self.constituted_on
    }

    pub fn changes(&self) -> &[SeatChange] {
        &self.changes
    }

    pub fn nominations(&self) -> &[Nomination] {
        &self.nominations
    }

    /// The urgent decisions taken outside meetings, as given.
    pub fn urgent(&self) -> &[UrgentDecision] {
        &self.urgent
    }

    /// The circulation log of the monthly finance and performance report, as given.
    pub fn circulations(&self) -> &[Circulation] {
        &self.circulations
    }

    /// The day the monthly report for `month` was circulated, if it was.
    pub fn circulated(&self, month: FiscalMonth) -> Option<Date> {
        self.circulations.iter().find(|c| c.month == month).map(|c| c.circulated_on)
    }

    /// The action plans for flagged forecast variances, as given.
    pub fn action_plans(&self) -> &[ActionPlan] {
        &self.action_plans
    }

    /// The bodies that replaced the board, by the date they took effect.
    pub fn bodies(&self) -> &[Reconstitution] {
        &self.bodies
    }

    /// The board as constituted (the agreement's `[board]`).
    pub fn constitution(&self) -> &Board {
        &self.constitution
    }

    /// The board as it stood on `date`: the body then (the latest to replace the board by
    /// then, or the constitution), each seat's holder after every change effective by then, and its deputy by the latest nomination made by then (a new holder keeps
    /// the seat's nominated deputy until the partner nominates another). Before the
    /// constitution, the board as constituted.
    pub fn board_on(&self, date: Date) -> Board {
        let mut members: Vec<Member> = self.constitution.members.clone();
        for change in self.changes.iter().filter(|c| c.from <= date) {
            let at = members.iter().position(|m| m.id == change.seat);
            match (&change.holder, at) {
                (Some(h), Some(i)) => members[i] = member(&change.seat, h, members[i].deputy.clone()),
                (Some(h), None) => members.push(member(&change.seat, h, None)),
                (None, Some(i)) => {
                    members.remove(i);
                }
                (None, None) => {}
            }
        }
        for m in &mut members {
            let latest = self
                .nominations
                .iter()
                .filter(|n| n.seat == m.id && n.nominated_on <= date)
                .max_by_key(|n| n.nominated_on);
            if let Some(n) = latest {
                m.deputy = Some(n.deputy.clone());
            }
            if !m.voting {
                m.deputy = None;
            }
        }
        let mut board = Board { members, ..self.constitution.clone() };
        if let Some(body) = self.bodies.iter().rfind(|b| b.from <= date) {
            board.name = body.name.clone();
            board.quorum_per_partner = body.quorum_per_partner;
            board.agenda_working_days = body.agenda_working_days;
            board.minutes_within_days = body.minutes_within_days;
        }
        board
    }
}

/// The reports part of a register, for [`Register::build`].
#[derive(Default)]
pub(super) struct Reports {
    pub(super) circulations: Vec<Circulation>,
    pub(super) action_plans: Vec<ActionPlan>,
    pub(super) bodies: Vec<Reconstitution>,
}

fn member(seat: &str, holder: &Holder, deputy: Option<String>) -> Member {
    Member {
        id: seat.to_string(),
        role: holder.role.clone(),
        name: Some(holder.person.clone()),
        partner: holder.partner,
        voting: holder.voting,
        chair: holder.chair,
        deputy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    fn day(text: &str) -> Date {
        Date::parse_iso(text).expect("date")
    }

    fn seat(id: &str, person: &str, partner: PartnerIx, voting: bool, deputy: Option<&str>) -> Member {
        Member {
            id: id.into(),
            role: format!("role of {id}"),
            name: Some(person.into()),
            partner,
            voting,
            chair: false,
            deputy: deputy.map(str::to_string),
        }
    }

    fn constitution() -> Board {
        Board {
            name: "Joint Management Group".into(),
            quorum_per_partner: 1,
            agenda_working_days: 5,
            minutes_within_days: 14,
            calendar: Calendar::EnglandAndWales,
            members: vec![
                seat("occ-cm", "Cllr Ann", 0, true, Some("Bob")),
                seat("occg-cfo", "Cath", 1, true, None),
                seat("occ-officer", "Dev", 0, false, None),
            ],
            clauses: Default::default(),
        }
    }

    fn holder(person: &str, partner: PartnerIx, voting: bool) -> Holder {
        Holder { person: person.into(), role: "Cabinet Member".into(), partner, voting, chair: false }
    }

    fn change(seat: &str, from: &str, holder: Option<Holder>) -> SeatChange {
        SeatChange { seat: seat.into(), from: day(from), notified_on: day(from), holder }
    }

    /// (date, seat, expected holder and deputy; `None` for no such seat on that day)
    type Case<'a> = (&'a str, &'a str, Option<(&'a str, Option<&'a str>)>);

    #[test]
    fn the_board_on_each_day_follows_the_changes_and_nominations() {
        let register = Register::new(
            constitution(),
            day("2016-04-01"),
            vec![
                change("occ-cm", "2016-09-01", Some(holder("Cllr Eve", 0, true))),
                change("occ-officer", "2016-10-01", None),
                change("occg-dcc", "2016-11-01", Some(holder("Dr Fay", 1, true))),
            ],
            vec![
                Nomination { seat: "occg-cfo".into(), deputy: "Gus".into(), nominated_on: day("2016-06-15") },
                Nomination { seat: "occ-cm".into(), deputy: "Hal".into(), nominated_on: day("2016-12-01") },
            ],
        )
        .expect("valid");
        let cases: &[Case] = &[
            ("2016-04-01", "occ-cm", Some(("Cllr Ann", Some("Bob")))),
            ("2016-06-14", "occg-cfo", Some(("Cath", None))),
            ("2016-06-15", "occg-cfo", Some(("Cath", Some("Gus")))),
            ("2016-08-31", "occ-cm", Some(("Cllr Ann", Some("Bob")))),
            ("2016-09-01", "occ-cm", Some(("Cllr Eve", Some("Bob")))),
            ("2016-09-30", "occ-officer", Some(("Dev", None))),
            ("2016-10-01", "occ-officer", None),
            ("2016-10-31", "occg-dcc", None),
            ("2016-11-01", "occg-dcc", Some(("Dr Fay", None))),
            ("2016-12-01", "occ-cm", Some(("Cllr Eve", Some("Hal")))),
        ];
        for (date, id, expected) in cases {
            let board = register.board_on(day(date));
            let got = board
                .members
                .iter()
                .find(|m| m.id == *id)
                .map(|m| (m.name.as_deref().unwrap_or(""), m.deputy.as_deref()));
            assert_eq!(got, *expected, "{id} on {date}");
            assert_eq!(board.quorum_per_partner, 1, "the rules are the constitution's");
        }
    }

    #[test]
    fn a_register_that_contradicts_itself_is_refused_with_each_problem() {
        let mut late = change("occ-cm", "2016-09-01", Some(holder("Cllr Eve", 0, true)));
        late.notified_on = day("2016-09-05");
        let problems = Register::new(
            constitution(),
            day("2016-04-01"),
            vec![
                late,
                change("occ-cm", "2016-03-01", Some(holder("Cllr Zed", 0, true))),
                change("occg-cfo", "2016-10-01", Some(holder("Dev", 1, true))),
                change("occg-dcc", "2016-11-01", Some(holder("Ida", 1, true))),
                change("occg-dcc", "2016-11-01", Some(holder("Kit", 1, true))),
            ],
            vec![Nomination { seat: "occ-officer".into(), deputy: "Jo".into(), nominated_on: day("2016-05-01") }],
        )
        .expect_err("invalid");
        let expected = [
            "Jo is nominated as deputy for occ-officer on 2016-05-01, which is not a voting seat of the board then (deputies nominated in writing)",
            "on 2016-10-01 Dev would hold two seats, occg-cfo and occ-officer: one person fills one seat",
            "seat occg-dcc is changed twice on 2016-11-01",
            "the change to seat occ-cm from 2016-03-01 is before the board was constituted on 2016-04-01",
            "the change to seat occ-cm takes effect on 2016-09-01, before its written notification on 2016-09-05 (changes by written notification)",
        ];
        assert_eq!(problems, expected);
    }
}
