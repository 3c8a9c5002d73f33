//! Read-only views across the board's records: `.../board/decisions`,
//! the decision log of the year's meetings and urgent decisions, and `/deadlines`, what is
//! due, overdue or coming up for every year whose agreement has a board, counted in
//! working days of the board's calendar.
//!
//! Confidential items stay with the board's members: the decision log is built from each
//! meeting as [`board::visible`] leaves it for the reader, and its downloads are made from
//! the same table. The deadlines concern meetings, not items, so no item or paper appears.
//! Each row's clause is its board's (`[board] clauses`), or the rule in words.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_app::board::Records;
use pooled_app::deadlines::{Due, Duty};
use pooled_core::agreement::{Agreement, BoardRule};
use pooled_core::calendar::Date;
use pooled_core::governance::deadlines::Standing;
use pooled_core::governance::{RatificationStatus, Vote};
use pooled_files::{Cell, ColumnKind};

use pooled_store::AgreementYear;

use super::board::{self, visible, working_days};
use super::{QueryPairs, get, month_label};
use crate::access;
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section, cited};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

/// The outcome filter's choices: the engine's outcomes, then an urgent decision's state.
const OUTCOMES: [(&str, &str); 6] = [
    ("agreed", "agreed"),
    ("not-agreed", "not agreed"),
    ("lead-discretion", "lead commissioner's discretion"),
    ("invalid", "invalid: not quorate"),
    ("awaiting-ratification", "urgent, awaiting ratification"),
    ("ratified", "urgent, ratified"),
];

/// One line of the decision log, with what the filters look at.
struct Logged {
    date: Date,
    /// The meeting's date, or `None` for an urgent decision taken outside a meeting.
    meeting: Option<Date>,
    id: String,
    subject: String,
    item: String,
    lead: String,
    votes: String,
    /// An [`OUTCOMES`] key.
    outcome: &'static str,
    outcome_text: String,
    clause: String,
}

fn votes_summary(votes: &BTreeMap<String, Vote>) -> String {
    let mut parts = Vec::new();
    for vote in [Vote::For, Vote::Against, Vote::Abstain] {
        let seats: Vec<&str> = votes.iter().filter(|(_, v)| **v == vote).map(|(s, _)| s.as_str()).collect();
        match (vote, seats.len()) {
            (_, 0) => {}
            (Vote::For, n) => parts.push(format!("{n} for")),
            (_, n) => parts.push(format!("{n} {}: {}", vote.name(), seats.join(", "))),
        }
    }
    if parts.is_empty() { "no votes recorded".into() } else { parts.join("; ") }
}

/// The year's decisions as `who` may see them, in date order (a meeting's in its order,
/// urgent decisions before the meetings of their day).
fn log(records: &Records, who: &Identity) -> Vec<Logged> {
    let agreement: &Agreement = &records.agreement;
    let partner = |ix: usize| agreement.partners().get(ix).map(|p| p.id.clone()).unwrap_or_default();
    let ratified: BTreeMap<String, RatificationStatus> = records.ratifications().into_iter().collect();
    let urgent_clause = records.register.constitution().cite(BoardRule::UrgentDecisions);
    let mut rows = Vec::new();
    for u in records.register.urgent() {
        let (outcome, outcome_text) = match ratified.get(&u.id) {
            Some(RatificationStatus::Ratified { meeting }) => {
                ("ratified", format!("ratified at the meeting of {meeting}"))
            }
            Some(RatificationStatus::Awaiting { overdue_since: Some(d) }) => {
                ("awaiting-ratification", format!("awaiting ratification, overdue since the meeting of {d}"))
            }
            _ => ("awaiting-ratification", "awaiting ratification at the next meeting".to_string()),
        };
        rows.push(Logged {
            date: u.taken_on,
            meeting: None,
            id: u.id.clone(),
            subject: u.subject.clone(),
            item: String::new(),
            lead: u.element_lead.map(partner).unwrap_or_default(),
            votes: votes_summary(&u.votes),
            outcome,
            outcome_text,
            clause: urgent_clause.to_string(),
        });
    }
    for record in &records.meetings {
        let shown = visible(&record.meeting, who);
        for d in &shown.decisions {
            let Some(o) = record.check.decisions.iter().find(|o| o.id == d.id) else { continue };
            let mut subject = d.subject.clone();
            if let Some(urgent) = &d.ratifies {
                subject += &format!(" (ratifies urgent decision {urgent})");
            }
            let outcome_text = match o.lead {
                Some(lead) => format!("{} ({})", o.outcome.name(), partner(lead)),
                None => o.outcome.name().to_string(),
            };
            rows.push(Logged {
                date: shown.date,
                meeting: Some(shown.date),
                id: d.id.clone(),
                subject,
                item: d
                    .item
                    .and_then(|n| shown.items.get(n.wrapping_sub(1)))
                    .map(|i| i.title.clone())
                    .unwrap_or_default(),
                lead: d.element_lead.map(partner).unwrap_or_default(),
                votes: votes_summary(&d.votes),
                outcome: o.outcome.name(),
                outcome_text,
                clause: o.clause.clone(),
            });
        }
    }
    // Stable: the order above is kept within a day.
    rows.sort_by_key(|r| (r.date, r.meeting.is_some()));
    rows
}

fn decision_table(at: &AgreementYear, rows: &[Logged]) -> Table {
    let year = at.year;
    Table {
        id: "decisions".into(),
        caption: format!("Decision log {year}"),
        columns: vec![
            column("Date", ColumnKind::Date),
            column("Meeting", ColumnKind::Text),
            column("Id", ColumnKind::Text),
            column("Subject", ColumnKind::Text),
            column("Agenda item", ColumnKind::Text),
            column("Element lead", ColumnKind::Text),
            column("Votes", ColumnKind::Text),
            column("Outcome", ColumnKind::Text),
            column("Clause", ColumnKind::Text),
        ],
        rows: rows
            .iter()
            .map(|r| {
                let mut row = Row::new(vec![
                    Cell::Date(r.date),
                    text(match r.meeting {
                        Some(d) => format!("meeting of {d}"),
                        None => "urgent, outside a meeting".to_string(),
                    }),
                    text(r.id.clone()),
                    text(r.subject.clone()),
                    text(r.item.clone()),
                    text(r.lead.clone()),
                    text(r.votes.clone()),
                    text(r.outcome_text.clone()),
                    text(r.clause.clone()),
                ]);
                row.href = r.meeting.map(|d| scope::href(at, &format!("/board/meetings/{d}")));
                row
            })
            .collect(),
    }
}

/// `GET .../board/decisions?outcome=agreed&q=plan`, and its table as CSV or XLSX.
pub async fn decisions(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let format = Format::parse(get(&query, "format"))?;
    let outcome = get(&query, "outcome").map(str::trim).filter(|o| !o.is_empty()).map(str::to_string);
    if let Some(o) = outcome.as_deref()
        && !OUTCOMES.iter().any(|(key, _)| *key == o)
    {
        return Err(WebError::BadRequest(format!("no outcome `{o}`: choose one of the list")));
    }
    let search = get(&query, "q").map(str::trim).unwrap_or("").to_string();
    let records = board::load(&web, &at).await?;
    blocking(move || {
        let needle = search.to_lowercase();
        let rows: Vec<Logged> = log(&records, &who)
            .into_iter()
            .filter(|r| outcome.as_deref().is_none_or(|o| r.outcome == o))
            .filter(|r| needle.is_empty() || r.subject.to_lowercase().contains(&needle))
            .collect();
        let tables = vec![decision_table(&at, &rows)];
        if format != Format::Html {
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-decisions"));
        }
        let here = Here::new(scope::href(&at, "/board/decisions"), query.clone());
    let constitution = records.register.constitution();
    let clause = |rule| cited(constitution.clause(rule));
        let body = html! {
        span class="govuk-caption-l" { (constitution.name) }
            h1 class="govuk-heading-l" { "Decision log " (year) }
            p class="govuk-body" {
                "Every decision of the year's meetings, with the outcome the rules give it: agreed only when every "
            "filled voting seat votes for at a quorate meeting" (clause(BoardRule::Decisions)) "; otherwise at the "
            "discretion of the element's lead commissioner" (clause(BoardRule::LeadDiscretion)) ", or not agreed; "
            "invalid at an inquorate meeting. Urgent decisions taken outside a meeting wait for ratification at the "
            "next one" (clause(BoardRule::UrgentDecisions)) "."
            }
            form method="get" action=(scope::href(&at, "/board/decisions")) class="app-inline-form" {
                div class="govuk-form-group" {
                    label class="govuk-label" for="outcome" { "Outcome" }
                    select class="govuk-select" id="outcome" name="outcome" {
                        option value="" { "any" }
                        @for (key, label) in OUTCOMES { option value=(key) selected[outcome.as_deref() == Some(key)] { (label) } }
                    }
                }
                div class="govuk-form-group" {
                    label class="govuk-label" for="q" { "Subject contains" }
                    input class="govuk-input govuk-input--width-20" id="q" name="q" type="search" value=(search);
                }
                button type="submit" class="govuk-button govuk-button--secondary" { "Filter" }
            }
            @if rows.is_empty() {
                p class="govuk-body" id="no-decisions" { "No decision matches." }
            }
            @for t in &tables { (t.render(&here)) }
            p class="govuk-body" { a class="govuk-link" href=(scope::href(&at, "/board")) { "The board and its meetings" } " · "
                a class="govuk-link" href="/deadlines" { "Deadlines" } }
        };
        Ok(layout::page(&format!("Decision log {year}"), &Nav::new(&who, &at, &records.agreement, Section::Board), &[], body).into_response())
    })
    .await
}

/// A standing in words.
fn words(standing: Standing) -> String {
    match standing {
        Standing::Done { working_days_late: 0, .. } => "done on time".into(),
        Standing::Done { working_days_late, .. } => format!("{} late", working_days(working_days_late)),
        Standing::Overdue { working_days: n } => format!("overdue by {}", working_days(n)),
        Standing::Due { working_days_left: 0 } => "due today".into(),
        Standing::Due { working_days_left } => format!("due in {}", working_days(working_days_left)),
    }
}

/// What is due, in words.
fn what(due: &Due) -> String {
    match &due.duty {
        Duty::Agenda { meeting } => format!("Agenda and papers for the meeting of {meeting}"),
        Duty::Minutes { meeting } => format!("Minutes of the meeting of {meeting}"),
        Duty::Ratification { id, taken_on, subject } => {
            format!("Ratification of urgent decision {id} of {taken_on}: {subject}")
        }
        Duty::ActionPlan { id, pool, line, closed_on, description } => {
            let line = line.as_deref().map_or(String::new(), |l| format!(", line {l}"));
            let state = closed_on.map_or("open".to_string(), |d| format!("closed {d}"));
            format!("Action plan {id} for pool {pool}{line} ({state}): {description}")
        }
        Duty::MonthlyReport { month } => {
            format!("Monthly finance and performance report, {}", month_label(due.year, *month))
        }
    }
}

/// Where it stands, in words.
fn standing_words(due: &Due) -> String {
    match (&due.duty, due.standing) {
        (Duty::MonthlyReport { .. }, None) => "no circulation recorded".into(),
        (_, None) => "at the next meeting: none is scheduled yet".into(),
        (Duty::Ratification { .. }, Some(standing @ Standing::Overdue { .. })) => {
            format!("{}: not ratified at the meeting of {}", words(standing), due.due)
        }
        (Duty::Ratification { .. }, Some(standing)) => format!("{} (the next meeting)", words(standing)),
        (Duty::ActionPlan { .. }, Some(standing)) => match due.done {
            Some(on) => format!("{}: reported to the meeting of {on}", words(standing)),
            None => format!("{}: to be reported to the meeting of {}", words(standing), due.due),
        },
        (_, Some(standing)) => words(standing),
    }
}

/// The page it links to, of its agreement's year.
fn href(due: &Due) -> Option<String> {
    let at = AgreementYear::new(due.agreement.clone(), due.year);
    match &due.duty {
        Duty::Agenda { meeting } | Duty::Minutes { meeting } => {
            Some(scope::href(&at, &format!("/board/meetings/{meeting}")))
        }
        Duty::Ratification { .. } => Some(scope::href(&at, "/board")),
        Duty::ActionPlan { .. } => Some(scope::href(&at, "/board/reports")),
        Duty::MonthlyReport { .. } => None,
    }
}

fn deadline_table(rows: &[Due]) -> Table {
    Table {
        id: "deadlines".into(),
        caption: "Deadlines".into(),
        columns: vec![
            column("Due", ColumnKind::Date),
            column("Agreement", ColumnKind::Text),
            column("Year", ColumnKind::Text),
            column("Board", ColumnKind::Text),
            column("What", ColumnKind::Text),
            column("Done", ColumnKind::Date),
            column("Standing", ColumnKind::Text),
            column("Clause", ColumnKind::Text),
        ],
        rows: rows
            .iter()
            .map(|d| {
                let mut row = Row::new(vec![
                    Cell::Date(d.due),
                    text(d.agreement.clone()),
                    text(d.year.to_string()),
                    text(d.body.clone()),
                    text(what(d)),
                    d.done.map_or(Cell::Empty, Cell::Date),
                    text(standing_words(d)),
                    text(d.clause.clone()),
                ]);
                row.href = href(d);
                row
            })
            .collect(),
    }
}

fn cell(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Date(d) => d.to_string(),
        Cell::Integer(n) => n.to_string(),
        Cell::Money(m) => layout::pounds(*m),
        Cell::Percent(p) => format!("{p}%"),
        Cell::Decimal(d) => d.grouped(),
    }
}

/// The deadlines table as [`Table::render`] draws one, with the overdue flagged by a red
/// tag, which a plain table cell cannot carry.
fn render_deadlines(t: &Table, rows: &[Due], here: &Here) -> Markup {
    let standing_col = 5;
    html! {
        h2 class="govuk-heading-m app-table-caption" id={ "table-" (t.id) "-caption" } { (t.caption) }
        div class="app-table-wrapper" {
            table class="govuk-table app-table" id={ "table-" (t.id) } aria-labelledby={ "table-" (t.id) "-caption" } {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    @for c in &t.columns { th scope="col" class="govuk-table__header" { (c.header) } }
                } }
                tbody class="govuk-table__body" {
                    @for (row, due) in t.rows.iter().zip(rows) {
                        tr class={ "govuk-table__row" @if due.is_overdue() { " app-overdue" } } {
                            @for (i, c) in row.cells.iter().enumerate() {
                                @if i == 0 {
                                    th scope="row" class="govuk-table__header" {
                                        @match &row.href {
                                            Some(href) => a class="govuk-link" href=(href) { (cell(c)) },
                                            None => (cell(c)),
                                        }
                                    }
                                } @else if i == standing_col && due.is_overdue() {
                                    td class="govuk-table__cell" { strong class="govuk-tag govuk-tag--red" { (cell(c)) } }
                                } @else {
                                    td class="govuk-table__cell" { (cell(c)) }
                                }
                            }
                        }
                    }
                }
            }
            (table::downloads(here, &t.id, &t.caption))
        }
    }
}

/// `GET /deadlines?overdue=yes&on=2017-01-05`, and its table as CSV or XLSX.
pub async fn deadlines(
    State(web): State<Arc<Web>>,
    who: Identity,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let overdue_only = get(&query, "overdue").is_some_and(|v| !v.is_empty());
    let on = match get(&query, "on").map(str::trim).filter(|t| !t.is_empty()) {
        None => web.clock.today(),
        Some(t) => {
            Date::parse_iso(t).map_err(|e| WebError::Invalid(vec![format!("on: {e}; give a date like 2016-09-15")]))?
        }
    };
    let mut rows = web.stores.run(move |store| Ok(pooled_app::deadlines::deadlines_on(store, on)?)).await?;
    blocking(move || {
        // Only the agreements the person acts in.
        rows.retain(|d| access::acts_in(&who.user, &d.agreement) && (!overdue_only || d.is_overdue()));
        let tables = vec![deadline_table(&rows)];
        if format != Format::Html {
            return table::export(&tables, get(&query, "table"), format, "pooled-deadlines");
        }
        let here = Here::new("/deadlines".into(), query.clone());
        let overdue = rows.iter().filter(|d| d.is_overdue()).count();
        let body = html! {
            h1 class="govuk-heading-l" { "Deadlines" }
            p class="govuk-body" {
                "What the board's paperwork is due by, for every agreement you act in that has a board, each year, as it stands on "
                (on) ", counted in working days (Monday to Friday, less the board calendar's bank holidays): the agenda "
            "and papers the board's working days before each meeting, the minutes within the board's days of it, "
            "the ratification of urgent decisions at the next meeting, action plans at the next meeting, and the "
            "monthly finance and performance report by the last working day of the next month. Each row cites its "
            "agreement's clause, or names the rule where the agreement gives none."
            }
            p class="govuk-hint" id="monthly-hint" {
                "Each month that has begun is listed with its monthly report's due date. A report is shown as done "
                "when the register's circulation log records it; one past its due date with no circulation recorded "
                "says \"no circulation recorded\" and is not counted as overdue, since the log may not be kept yet."
            }
            form method="get" action="/deadlines" class="app-inline-form" {
                div class="govuk-form-group" {
                    label class="govuk-label" for="on" { "As on" }
                    input class="govuk-input govuk-input--width-10" id="on" name="on" type="date" value=(on);
                }
                div class="govuk-checkboxes govuk-checkboxes--small govuk-form-group" {
                    div class="govuk-checkboxes__item" {
                        input class="govuk-checkboxes__input" id="overdue" name="overdue" type="checkbox" value="yes" checked[overdue_only];
                        label class="govuk-label govuk-checkboxes__label" for="overdue" { "Overdue only" }
                    }
                }
                button type="submit" class="govuk-button govuk-button--secondary" { "Show" }
            }
            p class="govuk-body" id="overdue-count" {
                @if overdue == 0 { "Nothing shown is overdue." }
                @else { strong class="govuk-tag govuk-tag--red" { (overdue) " overdue" } }
            }
            @if rows.is_empty() { p class="govuk-body" { "Nothing is due." } }
            @for t in &tables { (render_deadlines(t, &rows, &here)) }
        };
        Ok(layout::page("Deadlines", &Nav::outside(&who, Section::Deadlines), &[], body).into_response())
    })
    .await
}
