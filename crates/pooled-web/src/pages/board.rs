//! The board: `.../board` lists its members as they stood on a day, the register's
//! history and the meetings; `.../board/meetings/{date}` records one meeting, with
//! the quorum recomputed from the attendance each time it changes. The pool manager
//! keeps the records; everyone signed in reads them, but confidential agenda items, their
//! papers and the decisions under them are shown only to the board's members
//! ([`access::sees_confidential`]). Each rule cites the clause the agreement's
//! `[board] clauses` gives it ([`layout::cited`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::board::{MeetingRecord, Records};
use pooled_core::agreement::{Agreement, Board, BoardRule};
use pooled_core::calendar::{Date, FinancialYear};
use pooled_core::governance::deadlines::{self, Standing};
use pooled_core::governance::{
    self, Decision, Given, Item, Meeting, MeetingChange, RatificationStatus, RegisterChange, UrgentDecision, View,
    check_papers, draft_minutes, filled_by_name,
};
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::{QueryPairs, get};
use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section, cited, csrf_field};
use crate::scope::{self, InAgreement};

/// The meeting a path names, by its date.
#[derive(Deserialize)]
pub struct InMeeting {
    pub(crate) date: String,
}

/// A form's fields in order, as the browser sent them (a vote per seat, checkboxes).
pub(crate) type Fields = Vec<(String, String)>;

pub(crate) async fn load(web: &Arc<Web>, at: &AgreementYear) -> Result<Records, WebError> {
    // Reading: a stored record the core refuses is the server's problem (500), not the reader's.
    let key = at.clone();
    web.stores.run(move |store| Ok(pooled_app::board::records(store, &key)?)).await
}

/// `1 working day`, `3 working days`.
pub(crate) fn working_days(n: u32) -> String {
    if n == 1 { "1 working day".into() } else { format!("{n} working days") }
}

fn optional_date(field: &str, text: Option<&str>) -> Result<Option<Date>, WebError> {
    governance::parse_optional_date(field, text).map_err(|e| WebError::Invalid(vec![e]))
}

/// A form's fields as the core's [`Given`] reads them, with the version it was drawn from.
pub(crate) fn given(fields: &Fields) -> Result<(Given<'_>, Option<u32>), WebError> {
    let given = Given::new(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let version = given.version().map_err(WebError::BadRequest)?;
    Ok((given, version))
}

/// `GET .../board?on=2016-09-15`.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let records = load(&web, &at).await?;
    let on = optional_date("on", get(&query, "on"))?
        .unwrap_or_else(|| web.clock.today().clamp(year.first_day(), year.last_day()));
    let board = records.register.board_on(on);
    let agreement = &records.agreement;
    // The body holding the partner's place on the day shown (a successor from its date).
    let partner = |ix: usize| agreement.body_on(ix, on).id;
    let keeps = access::check(&who.user, Write::BoardRecords).is_ok();
    let ratified: BTreeMap<String, RatificationStatus> = records.ratifications().into_iter().collect();
    let body = html! {
        span class="govuk-caption-l" { (agreement.name()) }
        h1 class="govuk-heading-l" { (board.name) " " (year) }
        p class="govuk-body" {
            "Quorate with " (board.quorum_per_partner) " voting members or deputies from each partner"
            (cited(board.clause(BoardRule::Quorum))) "; agenda and papers at least " (board.agenda_working_days)
            " working days before a meeting" (cited(board.clause(BoardRule::Papers))) "; minutes within "
            (board.minutes_within_days) " days" (cited(board.clause(BoardRule::Minutes)))
            "; decisions unanimous at quorate meetings" (cited(board.clause(BoardRule::Decisions))) "."
        }
        p class="govuk-body" {
            a class="govuk-link" href=(scope::href(&at, "/board/decisions")) { "Decision log" } " · "
            a class="govuk-link" href=(scope::href(&at, "/board/reports")) { "Reports to the board" } " · "
            a class="govuk-link" href="/deadlines" { "What is due" }
        }
        form method="get" action=(scope::href(&at, "/board")) class="app-inline-form" {
            div class="govuk-form-group" {
                label class="govuk-label" for="on" { "Members on" }
                input class="govuk-input govuk-input--width-10" id="on" name="on" type="date" value=(on);
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Show" }
        }
        h2 class="govuk-heading-m" { "Members on " (on) }
        div class="app-table-wrapper" {
            table class="govuk-table app-table" id="table-members" {
                thead class="govuk-table__head" { tr class="govuk-table__row" {
                    @for h in ["Seat", "Member", "Partner", "Role", "Votes", "Deputy nominated in writing"] { th scope="col" class="govuk-table__header" { (h) } }
                } }
                tbody class="govuk-table__body" {
                    @for m in &board.members {
                        tr class="govuk-table__row" {
                            th scope="row" class="govuk-table__header" { (m.id) @if m.chair { " (chair)" } }
                            td class="govuk-table__cell" { (m.name.as_deref().unwrap_or("")) }
                            td class="govuk-table__cell" { (partner(m.partner)) }
                            td class="govuk-table__cell" { (m.role) }
                            td class="govuk-table__cell" { @if m.voting { "voting" } @else { "non-voting" } }
                            td class="govuk-table__cell" { (m.deputy.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @if !records.register.changes().is_empty() {
            h2 class="govuk-heading-m" { "Changes by written notification" (cited(board.clause(BoardRule::Changes))) }
            ul class="govuk-list govuk-list--bullet" {
                @for c in records.register.changes() {
                    li { (c.seat) " from " (c.from) " (notified " (c.notified_on) "): "
                        @match &c.holder { Some(h) => { (h.person) ", " (h.role) }, None => "left empty" } }
                }
            }
        }
        @if !records.register.bodies().is_empty() {
            h2 class="govuk-heading-m" { "Bodies" (cited(board.clause(BoardRule::Replacement))) }
            ul class="govuk-list govuk-list--bullet" id="bodies" {
                li { (records.register.constitution().name) ", as the agreement constituted it, from " (records.register.constituted_on()) }
                @for b in records.register.bodies() {
                    li { (b.name) " from " (b.from) " (notified " (b.notified_on) "): quorum " (b.quorum_per_partner)
                        " a partner, papers " (b.agenda_working_days) " working days before, minutes within "
                        (b.minutes_within_days) " days" }
                }
            }
        }
        @if !records.register.urgent().is_empty() {
            h2 class="govuk-heading-m" { "Urgent decisions taken outside meetings" }
            ul class="govuk-list govuk-list--bullet" {
                @for u in records.register.urgent() {
                    li { (u.id) ": " (u.subject) " (" (u.taken_on) "): "
                        @match ratified.get(&u.id) {
                            Some(RatificationStatus::Ratified { meeting }) => { "ratified at the meeting of " (meeting) }
                            Some(RatificationStatus::Awaiting { overdue_since: Some(d) }) => { strong { "awaiting ratification, overdue since the meeting of " (d) } }
                            _ => "awaiting ratification at the next meeting",
                        }
                    }
                }
            }
        }
        h2 class="govuk-heading-m" { "Meetings" }
        @if records.meetings.is_empty() { p class="govuk-body" { "No meeting is recorded for " (year) " yet." } }
        ul class="govuk-list" id="quarters" {
            @for (quarter, held) in quarters(year, &records) {
                li { "Quarter " (quarter) ": "
                    @if held == 0 {
                        strong class="govuk-tag govuk-tag--orange" { "no meeting" }
                        " (the board meets quarterly" @if let Some(c) = board.clause(BoardRule::Meetings) { ", " (c) } ")"
                    }
                    @else { (held) " meeting" @if held > 1 { "s" } }
                }
            }
        }
        ul class="govuk-list" {
            @for m in &records.meetings {
                li { a class="govuk-link" href={ (scope::href(&at, "/board")) "/meetings/" (m.meeting.date) } { (m.meeting.date) }
                    " — " @if m.check.quorate { "quorate" } @else { "not quorate" } }
            }
        }
        @if keeps { (register_forms(&who, &at, &records, &board)) }
    };
    Ok(layout::page(
        &format!("{} {year}", board.name),
        &Nav::new(&who, &at, &records.agreement, Section::Board),
        &[],
        body,
    )
    .into_response())
}

/// Meetings held in each quarter of the financial year, numbered from 1.
fn quarters(year: FinancialYear, records: &Records) -> impl Iterator<Item = (usize, usize)> {
    let held = deadlines::meetings_per_quarter(year, records.meetings.iter().map(|m| m.meeting.date));
    held.into_iter().enumerate().map(|(q, n)| (q + 1, n))
}

fn register_forms(who: &Identity, at: &AgreementYear, records: &Records, board: &Board) -> Markup {
    let version = records.register_version.map(|v| v.to_string()).unwrap_or_default();
    html! {
        h2 class="govuk-heading-m" { "Schedule a meeting" }
        form method="post" action=(scope::href(at, "/board/meetings")) class="app-inline-form" {
            (csrf_field(who))
            (date_field("date", "date", "Date", None))
            button type="submit" class="govuk-button" { "Schedule meeting" }
        }
        h2 class="govuk-heading-m" { "Nominate a deputy" (cited(board.clause(BoardRule::Deputies))) }
        form method="post" action=(scope::href(at, "/board/register")) class="app-inline-form" {
            (hidden_fields(who, &version, "nominate"))
            div class="govuk-form-group" {
                label class="govuk-label" for="nominate-seat" { "Voting seat" }
                select class="govuk-select" id="nominate-seat" name="seat" {
                    @for m in board.members.iter().filter(|m| m.voting) { option value=(m.id) { (m.id) } }
                }
            }
            (text_field("deputy", "deputy", "Deputy", "govuk-input--width-20"))
            (date_field("nominated_on", "nominated_on", "Nominated in writing on", None))
            button type="submit" class="govuk-button govuk-button--secondary" { "Record nomination" }
        }
        h2 class="govuk-heading-m" { "Change a seat by written notification" (cited(board.clause(BoardRule::Changes))) }
        form method="post" action=(scope::href(at, "/board/register")) {
            (hidden_fields(who, &version, "change"))
            div class="govuk-form-group" {
                label class="govuk-label" for="change-seat" { "Seat (an existing seat, or a new one's id)" }
                input class="govuk-input govuk-input--width-20" id="change-seat" name="seat" type="text" list="seats";
                datalist id="seats" { @for m in &board.members { option value=(m.id) {} } }
            }
            (text_field("change-person", "person", "New holder (leave blank to leave the seat empty)", "govuk-input--width-20"))
            (text_field("change-role", "role", "Role", ""))
            div class="govuk-form-group" {
                label class="govuk-label" for="change-partner" { "Partner" }
                (partner_select("change-partner", "partner", &records.agreement, ""))
            }
            div class="govuk-checkboxes govuk-checkboxes--small govuk-form-group" {
                (checkbox("change-voting", "voting", "Voting member"))
                (checkbox("change-chair", "chair", "Chair"))
            }
            div class="app-inline-form" {
                (date_field("change-notified", "notified_on", "Notified in writing on", None))
                (date_field("change-from", "from", "With effect from", None))
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Record change" }
        }
        h2 class="govuk-heading-m" { "Record an urgent decision taken outside a meeting" (cited(board.clause(BoardRule::UrgentDecisions))) }
        form method="post" action=(scope::href(at, "/board/register")) {
            (hidden_fields(who, &version, "urgent"))
            (text_field("urgent-subject", "subject", "Subject", ""))
            (date_field("taken_on", "taken_on", "Taken on", None))
            div class="govuk-form-group" {
                label class="govuk-label" for="urgent-lead" { "Lead commissioner of the service element, if it concerns one" }
                (partner_select("urgent-lead", "element_lead", &records.agreement, "none"))
            }
            (vote_fields("urgent", &board.members.iter().filter(|m| m.voting).map(|m| m.id.as_str()).collect::<Vec<_>>()))
            button type="submit" class="govuk-button govuk-button--secondary" { "Record urgent decision" }
        }
        h2 class="govuk-heading-m" { "Replace the board with another body" (cited(board.clause(BoardRule::Replacement))) }
        form method="post" action=(scope::href(at, "/board/register")) {
            (hidden_fields(who, &version, "reconstitute"))
            (text_field("body-name", "name", "Name of the body", ""))
            div class="app-inline-form" {
                @for (id, label, value) in [
                    ("quorum_per_partner", "Quorum from each partner", board.quorum_per_partner),
                    ("agenda_working_days", "Papers, working days before", board.agenda_working_days),
                    ("minutes_within_days", "Minutes within, days", board.minutes_within_days),
                ] {
                    div class="govuk-form-group" {
                        label class="govuk-label" for={ "body-" (id) } { (label) }
                        input class="govuk-input govuk-input--width-3" id={ "body-" (id) } name=(id) type="text" inputmode="numeric" value=(value);
                    }
                }
            }
            div class="app-inline-form" {
                (date_field("body-notified", "notified_on", "Notified in writing on", None))
                (date_field("body-from", "from", "With effect from", None))
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Record the new body" }
        }
    }
}

/// `POST .../board/meetings`: a new meeting on a date, with nothing recorded yet.
pub async fn schedule(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    access::check(&who.user, Write::BoardRecords).map_err(WebError::Forbidden)?;
    let date =
        governance::parse_date("date", get(&fields, "date").unwrap_or("")).map_err(|e| WebError::Invalid(vec![e]))?;
    let (actor, key) = (who.actor().to_string(), at.clone());
    web.stores
        .run(move |store| pooled_app::board::schedule_meeting(store, &key, date, &actor).map_err(WebError::input))
        .await?;
    Ok(Redirect::to(&scope::href(&at, &format!("/board/meetings/{date}"))).into_response())
}

/// `POST .../board/register`: one change to the register (`action`): a deputy
/// nominated, a seat's holder changed by written notification, or an urgent decision
/// taken outside a meeting.
pub async fn change_register(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    access::check(&who.user, Write::BoardRecords).map_err(WebError::Forbidden)?;
    let (given, expected) = given(&fields)?;
    let change = RegisterChange::parse(get(&fields, "action").unwrap_or(""), &given).map_err(WebError::Invalid)?;
    let (actor, key) = (who.actor().to_string(), at.clone());
    let on = web
        .stores
        .run(move |store| {
            pooled_app::board::change_register(store, &key, expected, change, &actor).map_err(WebError::input)
        })
        .await?;
    Ok(Redirect::to(&scope::href(&at, &format!("/board?on={on}"))).into_response())
}

/// The meeting as `who` may see it: without confidential items (and their papers, and
/// the decisions taken under them, and views on those) unless they are a member.
pub(crate) fn visible(meeting: &Meeting, who: &Identity) -> Meeting {
    if access::sees_confidential(&who.user) {
        return meeting.clone();
    }
    // Items keep their order; decisions are renumbered to the items shown.
    let mut number = BTreeMap::new();
    let items: Vec<Item> = meeting
        .items
        .iter()
        .enumerate()
        .filter(|(_, i)| !i.confidential)
        .map(|(n, i)| {
            number.insert(n + 1, number.len() + 1);
            i.clone()
        })
        .collect();
    let decisions: Vec<Decision> = meeting
        .decisions
        .iter()
        .filter(|d| d.item.is_none_or(|n| number.contains_key(&n)))
        .map(|d| Decision { item: d.item.and_then(|n| number.get(&n).copied()), ..d.clone() })
        .collect();
    let views: Vec<View> = meeting
        .views
        .iter()
        .filter(|v| v.decision.as_ref().is_none_or(|id| decisions.iter().any(|d| &d.id == id)))
        .cloned()
        .collect();
    Meeting { items, decisions, views, ..meeting.clone() }
}

/// `GET .../board/meetings/{date}`.
pub async fn meeting_page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InMeeting { date }): Path<InMeeting>,
) -> Result<Response, WebError> {
    let date = Date::parse_iso(&date).map_err(|e| WebError::NotFound(format!("There is no meeting on {date}: {e}")))?;
    let records = load(&web, &at).await?;
    let record =
        records.meeting(date).ok_or_else(|| WebError::NotFound(format!("No meeting is recorded on {date}.")))?;
    let keeps = access::check(&who.user, Write::BoardRecords).is_ok();
    let today = web.clock.today();
    let body = meeting_body(&who, &at, &records.agreement, record, records.register.urgent(), keeps, today);
    let title = format!("Meeting of {date}");
    Ok(layout::page(&title, &Nav::new(&who, &at, &records.agreement, Section::Board), &[], body).into_response())
}

fn meeting_body(
    who: &Identity,
    at: &AgreementYear,
    agreement: &Agreement,
    record: &MeetingRecord,
    urgent: &[UrgentDecision],
    keeps: bool,
    today: Date,
) -> Markup {
    let shown = visible(&record.meeting, who);
    let check = &record.check;
    let board = &record.board;
    // Each partner as the body holding its place on the meeting's date.
    let body = |ix: usize| agreement.body_on(ix, record.meeting.date).id;
    let papers = check_papers(board, &shown, today);
    let minutes =
        draft_minutes(agreement, board, &shown, &pooled_core::governance::check_meeting(agreement, board, &shown));
    let standing = |due: Date, done: Option<Date>| match Standing::of(board.calendar, due, done, today) {
        Standing::Done { on, working_days_late: 0 } => format!("done on {on}, on time"),
        Standing::Done { on, working_days_late } => format!("done on {on}, {working_days_late} working days late"),
        Standing::Overdue { working_days } => format!("overdue by {working_days} working days"),
        Standing::Due { working_days_left } => format!("due in {working_days_left} working days"),
    };
    html! {
        span class="govuk-caption-l" { (board.name) }
        h1 class="govuk-heading-l" { "Meeting of " (record.meeting.date.weekday().name()) " " (record.meeting.date) }
        p class="govuk-body" {
            a class="govuk-link" href={ (scope::href(at, "/board")) "/meetings/" (record.meeting.date) "/pack" } { "Agenda pack" }
            " (printable; confidential items only in the members' version) · "
            a class="govuk-link" href=(scope::href(at, "/board")) { "The board" }
        }
        @if !board.calendar.is_working_day(record.meeting.date) {
            div class="govuk-warning-text" {
                span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                strong class="govuk-warning-text__text" {
                    "This date is not a working day in the " (board.calendar.name()) " calendar."
                }
            }
        }
        div id="quorum" class={ "govuk-inset-text" @if check.quorate { " app-quorate" } } {
            @if check.quorate { strong { "Quorate. " } } @else { strong { "Not quorate. " } }
            @for (ix, filled) in check.seats_filled.iter().enumerate() {
                @let short = board.quorum_per_partner.saturating_sub(*filled);
                span class="app-quorum-partner" {
                    (body(ix)) ": " (filled) " of " (board.quorum_per_partner) " needed"
                    @if short > 0 { ", short by " (short) }
                    ". "
                }
            }
            (cited(board.clause(BoardRule::Quorum)))
        }
        ul class="govuk-list" {
            li { "Agenda and papers by " (check.agenda.due) (cited(board.clause(BoardRule::Papers))) ": " (standing(check.agenda.due, record.meeting.agenda_published)) }
            li { "Minutes by " (check.minutes.due) (cited(board.clause(BoardRule::Minutes))) ": " (standing(check.minutes.due, record.meeting.minutes_circulated)) }
        }
        h2 class="govuk-heading-m" { "Attendance" }
        table class="govuk-table" id="table-seats" {
            thead class="govuk-table__head" { tr class="govuk-table__row" {
                th scope="col" class="govuk-table__header" { "Voting seat" }
                th scope="col" class="govuk-table__header" { "Partner" }
                th scope="col" class="govuk-table__header" { "Filled by" }
            } }
            tbody class="govuk-table__body" {
                @for seat in &check.seats {
                    tr class="govuk-table__row" {
                        th scope="row" class="govuk-table__header" { (seat.member) }
                        td class="govuk-table__cell" { (body(seat.partner)) }
                        td class="govuk-table__cell" { @match &seat.filled {
                            Some((person, how)) => { (person) " (" (filled_by_name(*how)) ")" },
                            None => "empty",
                        } }
                    }
                }
            }
        }
        @if !check.not_counted.is_empty() {
            p class="govuk-body" { "Also attending, not counted for the quorum:" }
            ul class="govuk-list govuk-list--bullet" { @for n in &check.not_counted { li { (n.person) ": " (n.reason) } } }
        }
        h2 class="govuk-heading-m" { "Agenda" }
        @if shown.items.is_empty() { p class="govuk-body" { "No agenda items yet." } }
        ol class="govuk-list govuk-list--number" {
            @for item in &shown.items {
                li { (item.title) @if item.confidential { " " strong class="govuk-tag govuk-tag--red" { "Confidential" } } }
            }
        }
        @if !papers.is_empty() {
            h3 class="govuk-heading-s" { "Papers" }
            ul class="govuk-list govuk-list--bullet" id="papers" {
                @for p in &papers {
                    li { "Item " (p.item) ": " (p.title) " — "
                        @match p.published { Some(d) => { "published " (d) }, None => "not published" }
                        @if p.late { " " strong class="govuk-tag govuk-tag--orange app-late" { "Late: due by " (p.due) (cited(board.clause(BoardRule::Papers))) } }
                    }
                }
            }
        }
        h2 class="govuk-heading-m" { "Decisions" }
        @if shown.decisions.is_empty() { p class="govuk-body" { "No decisions recorded." } }
        ul class="govuk-list govuk-list--bullet" id="decisions" {
            @for d in &shown.decisions {
                @let outcome = check.decisions.iter().find(|o| o.id == d.id);
                li {
                    strong { (d.id) } ": " (d.subject) " — "
                    @if let Some(o) = outcome {
                        span class="app-outcome" { (outcome_label(o.outcome, o.lead.map(body).as_deref())) " (" (o.clause) ")" }
                    }
                    " Votes: " (d.votes.iter().map(|(seat, v)| format!("{seat} {}", v.name())).collect::<Vec<_>>().join(", "))
                }
            }
        }
        h2 class="govuk-heading-m" { "Draft minutes" }
        pre class="app-minutes" id="minutes" { (minutes) }
        @if keeps { (meeting_forms(who, at, agreement, record, urgent)) }
    }
}

/// The hidden fields every form that changes the records carries: the CSRF token, the
/// version it was drawn from (refused if another save came between) and what it does.
pub(crate) fn hidden_fields(who: &Identity, version: &str, action: &str) -> Markup {
    html! {
        (csrf_field(who))
        input type="hidden" name="version" value=(version);
        input type="hidden" name="action" value=(action);
    }
}

/// A labelled text input; `width` is a GOV.UK width class or empty for the full width.
pub(crate) fn text_field(id: &str, name: &str, label: &str, width: &str) -> Markup {
    html! {
        div class="govuk-form-group" {
            label class="govuk-label" for=(id) { (label) }
            input class={ "govuk-input" @if !width.is_empty() { " " (width) } } id=(id) name=(name) type="text";
        }
    }
}

/// A labelled date input, empty or showing `value`.
pub(crate) fn date_field(id: &str, name: &str, label: &str, value: Option<Date>) -> Markup {
    html! {
        div class="govuk-form-group" {
            label class="govuk-label" for=(id) { (label) }
            input class="govuk-input govuk-input--width-10" id=(id) name=(name) type="date"
                value=(value.map(|d| d.to_string()).unwrap_or_default());
        }
    }
}

/// One ticked-or-not choice, sent as `yes` when ticked.
fn checkbox(id: &str, name: &str, label: &str) -> Markup {
    html! {
        div class="govuk-checkboxes__item" {
            input class="govuk-checkboxes__input" id=(id) name=(name) type="checkbox" value="yes";
            label class="govuk-label govuk-checkboxes__label" for=(id) { (label) }
        }
    }
}

/// A vote select for each voting seat, named `vote:SEAT`.
fn vote_fields(prefix: &str, seats: &[&str]) -> Markup {
    html! {
        @for seat in seats {
            div class="govuk-form-group" {
                label class="govuk-label" for={ (prefix) "-vote-" (seat) } { "Vote of " (seat) }
                select class="govuk-select" id={ (prefix) "-vote-" (seat) } name={ "vote:" (seat) } {
                    option value="" { "not voting (seat empty)" }
                    option value="for" { "for" }
                    option value="against" { "against" }
                    option value="abstain" { "abstain" }
                }
            }
        }
    }
}

/// A choice of partner, or none.
fn partner_select(id: &str, name: &str, agreement: &Agreement, none: &str) -> Markup {
    html! {
        select class="govuk-select" id=(id) name=(name) {
            @if !none.is_empty() { option value="" { (none) } }
            @for p in agreement.partners() { option value=(p.id) { (p.name) " (" (p.id) ")" } }
        }
    }
}

fn outcome_label(outcome: pooled_core::governance::Outcome, lead: Option<&str>) -> String {
    use pooled_core::governance::Outcome;
    match outcome {
        Outcome::Agreed => "agreed".into(),
        Outcome::NotAgreed => "not agreed".into(),
        Outcome::LeadDiscretion => {
            format!("not unanimous: at the lead commissioner's discretion ({})", lead.unwrap_or("?"))
        }
        Outcome::Invalid => "invalid: the meeting was not quorate".into(),
    }
}

fn meeting_forms(
    who: &Identity,
    at: &AgreementYear,
    agreement: &Agreement,
    record: &MeetingRecord,
    urgent: &[UrgentDecision],
) -> Markup {
    let action = scope::href(at, &format!("/board/meetings/{}", record.meeting.date));
    let board = &record.board;
    let voting: Vec<&str> = board.members.iter().filter(|m| m.voting).map(|m| m.id.as_str()).collect();
    let with_clause =
        |label: &str, rule| format!("{label}{}", board.clause(rule).map_or(String::new(), |c| format!(" ({c})")));
    let version = record.version.to_string();
    let hidden = |what: &str| hidden_fields(who, &version, what);
    html! {
        h2 class="govuk-heading-m" { "Record attendance" }
        form method="post" action=(action) id="attend-form" {
            (hidden("attend"))
            (text_field("person", "person", "Person, or the seat of a member attending in person", "govuk-input--width-20"))
            div class="govuk-form-group" {
                label class="govuk-label" for="deputising_for" { "Deputising for" }
                select class="govuk-select" id="deputising_for" name="deputising_for" {
                    option value="" { "nobody: attending in their own right" }
                    @for seat in &voting { option value=(seat) { (seat) } }
                }
            }
            div class="govuk-checkboxes govuk-checkboxes--small govuk-form-group" {
                (checkbox("alternative", "alternative", &with_clause("An alternative deputy", BoardRule::AlternativeDeputies)))
                (checkbox("agreed_by_other_partner", "agreed_by_other_partner", "Agreed by the other partner"))
            }
            div class="govuk-form-group" {
                label class="govuk-label" for="confirmed_in_writing_by" { "Confirmed in writing by (a voting seat of the same partner)" }
                select class="govuk-select" id="confirmed_in_writing_by" name="confirmed_in_writing_by" {
                    option value="" { "nobody" }
                    @for seat in &voting { option value=(seat) { (seat) } }
                }
            }
            button type="submit" class="govuk-button" { "Record attendance" }
        }
        h2 class="govuk-heading-m" { "Add an agenda item" }
        form method="post" action=(action) {
            (hidden("item"))
            (text_field("title", "title", "Title", ""))
            div class="govuk-checkboxes govuk-checkboxes--small govuk-form-group" {
                (checkbox("confidential", "confidential", &with_clause("Confidential", BoardRule::Confidentiality)))
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Add item" }
        }
        @if !record.meeting.items.is_empty() {
            h2 class="govuk-heading-m" { "Add a paper" }
            form method="post" action=(action) {
                (hidden("paper"))
                div class="govuk-form-group" {
                    label class="govuk-label" for="paper-item" { "Item" }
                    select class="govuk-select" id="paper-item" name="item" {
                        @for (n, item) in record.meeting.items.iter().enumerate() { option value=(n + 1) { (n + 1) ". " (item.title) } }
                    }
                }
                (text_field("paper-title", "title", "Paper", ""))
                (date_field("published", "published", "Published to members on", None))
                button type="submit" class="govuk-button govuk-button--secondary" { "Add paper" }
            }
        }
        h2 class="govuk-heading-m" { "Record a decision" }
        form method="post" action=(action) id="decision-form" {
            (hidden("decision"))
            (text_field("subject", "subject", "Subject", ""))
            div class="govuk-form-group" {
                label class="govuk-label" for="element_lead" { "Lead commissioner of the service element, if it concerns one" (cited(board.clause(BoardRule::LeadDiscretion))) }
                (partner_select("element_lead", "element_lead", agreement, "none"))
            }
            @if !record.meeting.items.is_empty() {
                div class="govuk-form-group" {
                    label class="govuk-label" for="decision-item" { "Taken under agenda item" }
                    select class="govuk-select" id="decision-item" name="item" {
                        option value="" { "none" }
                        @for (n, item) in record.meeting.items.iter().enumerate() { option value=(n + 1) { (n + 1) ". " (item.title) } }
                    }
                }
            }
            @if !urgent.is_empty() {
                div class="govuk-form-group" {
                    label class="govuk-label" for="ratifies" { "Ratifies the urgent decision" }
                    select class="govuk-select" id="ratifies" name="ratifies" {
                        option value="" { "none" }
                        @for u in urgent.iter().filter(|u| u.taken_on < record.meeting.date) { option value=(u.id) { (u.id) ": " (u.subject) } }
                    }
                }
            }
            (vote_fields("decision", &voting))
            button type="submit" class="govuk-button" { "Record decision" }
        }
        h2 class="govuk-heading-m" { "Record a view for the minutes" (cited(board.clause(BoardRule::Views))) }
        form method="post" action=(action) {
            (hidden("view"))
            (text_field("view-person", "person", "Who", "govuk-input--width-20"))
            div class="govuk-form-group" {
                label class="govuk-label" for="view-text" { "Their view, including agreement or disagreement with a decision" }
                textarea class="govuk-textarea" id="view-text" name="text" rows="3" {}
            }
            @if !record.meeting.decisions.is_empty() {
                div class="govuk-form-group" {
                    label class="govuk-label" for="view-decision" { "About the decision" }
                    select class="govuk-select" id="view-decision" name="decision" {
                        option value="" { "none" }
                        @for d in &record.meeting.decisions { option value=(d.id) { (d.id) ": " (d.subject) } }
                    }
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary" { "Record view" }
        }
        h2 class="govuk-heading-m" { "Dates" }
        form method="post" action=(action) class="app-inline-form" {
            (hidden("dates"))
            (date_field("agenda_published", "agenda_published", "Agenda published", record.meeting.agenda_published))
            (date_field("minutes_circulated", "minutes_circulated", "Minutes circulated", record.meeting.minutes_circulated))
            button type="submit" class="govuk-button govuk-button--secondary" { "Save dates" }
        }
    }
}

/// `POST .../board/meetings/{date}`: one change to the meeting (`action`), made to
/// the version the form was drawn from.
pub async fn edit_meeting(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InMeeting { date }): Path<InMeeting>,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    access::check(&who.user, Write::BoardRecords).map_err(WebError::Forbidden)?;
    let date = Date::parse_iso(&date).map_err(|e| WebError::NotFound(format!("There is no meeting on {date}: {e}")))?;
    let (given, expected) = given(&fields)?;
    let change = MeetingChange::parse(get(&fields, "action").unwrap_or(""), &given).map_err(WebError::Invalid)?;
    let (actor, key) = (who.actor().to_string(), at.clone());
    web.stores
        .run(move |store| {
            pooled_app::board::change_meeting(store, &key, date, expected, change, &actor).map_err(WebError::input)
        })
        .await?;
    Ok(Redirect::to(&scope::href(&at, &format!("/board/meetings/{date}"))).into_response())
}
