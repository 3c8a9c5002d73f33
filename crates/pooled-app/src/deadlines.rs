//! What the board's paperwork is due by, as it stood on a given day (today by
//! [`crate::clock::Clock`], or any day asked for): each meeting's agenda and minutes, the
//! ratification of urgent decisions, action plans, and the monthly report, each with its
//! standing counted in working days of the board's calendar. Records dated after the day
//! are not yet done on it.

use std::collections::BTreeMap;

use pooled_core::agreement::BoardRule;
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::governance::RatificationStatus;
use pooled_core::governance::deadlines::{self, Standing};
use pooled_store::Store;

use crate::board::{Records, records};
use crate::{Result, agreement};

/// What is due (in the order a list of things due on one day shows them).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Duty {
    /// An action plan, reported to the meeting it is due at; closed on a day or open.
    ActionPlan { id: String, pool: String, line: Option<String>, closed_on: Option<Date>, description: String },
    /// The agenda and papers of the meeting on this day.
    Agenda { meeting: Date },
    /// The minutes of the meeting on this day.
    Minutes { meeting: Date },
    /// The month's finance and performance report.
    MonthlyReport { month: FiscalMonth },
    /// The ratification of an urgent decision at the next meeting.
    Ratification { id: String, taken_on: Date, subject: String },
}

/// One thing due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub due: Date,
    /// The agreement's id.
    pub agreement: String,
    pub year: FinancialYear,
    /// The board's name (on the day of the meeting, for a meeting's papers).
    pub body: String,
    pub duty: Duty,
    /// When it was done, if by the day.
    pub done: Option<Date>,
    /// `None` when nothing recorded can tell: a report past its day with no circulation
    /// logged (the log may not be kept yet), or a ratification or action plan with no
    /// meeting scheduled to take it.
    pub standing: Option<Standing>,
    /// The board's clause for the rule, or the rule in words.
    pub clause: String,
}

impl Due {
    pub fn is_overdue(&self) -> bool {
        matches!(self.standing, Some(Standing::Overdue { .. }))
    }
}

/// Everything due for every agreement's year whose agreement has a board, as it stood `on`
/// the day, in order of due date (then agreement and year).
pub fn deadlines_on(store: &dyn Store, on: Date) -> Result<Vec<Due>> {
    let mut out = Vec::new();
    for summary in store.agreements()? {
        if agreement(store, &summary.agreement)?.board().is_some() {
            out.extend(year_deadlines(&records(store, &summary.agreement)?, on));
        }
    }
    out.sort_by(|a, b| (a.due, &a.agreement, a.year, &a.duty).cmp(&(b.due, &b.agreement, b.year, &b.duty)));
    Ok(out)
}

/// Everything due for the board of one agreement's year, as it stood `on` the day.
pub fn year_deadlines(records: &Records, on: Date) -> Vec<Due> {
    let year = records.agreement.financial_year();
    let agreement = records.agreement.id().to_string();
    let constitution = records.register.constitution();
    let calendar = constitution.calendar;
    let by_then = |done: Option<Date>| done.filter(|d| *d <= on);
    let mut out = Vec::new();
    for record in &records.meetings {
        let meeting = record.meeting.date;
        for (due, done, duty, rule) in [
            (
                deadlines::agenda_due(&record.board, meeting),
                record.meeting.agenda_published,
                Duty::Agenda { meeting },
                BoardRule::Papers,
            ),
            (
                deadlines::minutes_due(&record.board, meeting),
                record.meeting.minutes_circulated,
                Duty::Minutes { meeting },
                BoardRule::Minutes,
            ),
        ] {
            let done = by_then(done);
            out.push(Due {
                due,
                agreement: agreement.clone(),
                year,
                body: record.board.name.clone(),
                duty,
                done,
                standing: Some(Standing::of(calendar, due, done, on)),
                clause: record.board.cite(rule).to_string(),
            });
        }
    }
    let statuses: BTreeMap<String, RatificationStatus> = records.ratifications().into_iter().collect();
    for u in records.register.urgent() {
        let Some(RatificationStatus::Awaiting { overdue_since }) = statuses.get(&u.id) else { continue };
        // Due at the next meeting: the first quorate one that let it pass, else the next
        // one scheduled, else none yet.
        let next = overdue_since
            .or_else(|| records.meetings.iter().map(|m| m.meeting.date).find(|d| *d > u.taken_on && *d >= on));
        out.push(Due {
            due: next.unwrap_or(u.taken_on),
            agreement: agreement.clone(),
            year,
            body: constitution.name.clone(),
            duty: Duty::Ratification { id: u.id.clone(), taken_on: u.taken_on, subject: u.subject.clone() },
            done: None,
            standing: next.map(|due| Standing::of(calendar, due, None, on)),
            clause: constitution.cite(BoardRule::UrgentDecisions).to_string(),
        });
    }
    // An action plan is due at the meeting it is to be reported to, done when reported.
    for plan in records.register.action_plans() {
        let next = plan.due_at(records.meetings.iter().map(|m| m.meeting.date));
        let done = by_then(plan.reported_at);
        let due = next.or(done);
        out.push(Due {
            due: due.unwrap_or(plan.raised_on),
            agreement: agreement.clone(),
            year,
            body: constitution.name.clone(),
            duty: Duty::ActionPlan {
                id: plan.id.clone(),
                pool: plan.pool.clone(),
                line: plan.line.clone(),
                closed_on: by_then(plan.closed_on),
                description: plan.description.clone(),
            },
            done,
            standing: due.map(|due| Standing::of(calendar, due, done, on)),
            clause: constitution.cite(BoardRule::ActionPlans).to_string(),
        });
    }
    for month in FiscalMonth::all().filter(|m| year.month_start(*m) <= on) {
        let due = deadlines::monthly_report_due(calendar, year, month);
        let done = by_then(records.register.circulated(month));
        // Without a circulation in the register's log, a report past its day is not known
        // to be late: the log may not be kept yet.
        let known = done.is_some() || due >= on;
        out.push(Due {
            due,
            agreement: agreement.clone(),
            year,
            body: constitution.name.clone(),
            duty: Duty::MonthlyReport { month },
            done,
            standing: known.then(|| Standing::of(calendar, due, done, on)),
            clause: constitution.cite(BoardRule::MonthlyReports).to_string(),
        });
    }
    out
}
