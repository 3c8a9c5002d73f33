//! Reports to the board: `.../board/reports` shows the circulation log of the monthly
//! finance and performance report, which goes to members every month whether or not a
//! meeting is held, each month with the day it is due by and where it stands in working
//! days; and the action plans for forecast variances the monthly report flagged, tracked
//! from raised to closed and reported to the next meeting. The pool manager keeps both;
//! everyone signed in reads them.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::board::Records;
use pooled_core::agreement::BoardRule;
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::governance::deadlines::{self, Standing};
use pooled_core::governance::{ActionPlan, ReportChange};
use pooled_files::{Cell, ColumnKind};

use pooled_store::AgreementYear;

use super::board::{self, Fields, working_days};
use super::{QueryPairs, get, month_label};
use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section, cited};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

/// Where a month's report stands on `today`, in words: upcoming while the month has not
/// ended, else as [`Standing::of`] counts it.
fn month_standing(records: &Records, year: FinancialYear, month: FiscalMonth, today: Date) -> (String, bool) {
    let calendar = records.register.constitution().calendar;
    let due = deadlines::monthly_report_due(calendar, year, month);
    let circulated = records.register.circulated(month);
    if circulated.is_none() && today <= year.month_end(month) {
        return (format!("upcoming: due by {due}"), false);
    }
    let standing = Standing::of(calendar, due, circulated, today);
    let words = match standing {
        Standing::Done { working_days_late: 0, .. } => "circulated on time".into(),
        Standing::Done { working_days_late, .. } => format!("circulated late by {}", working_days(working_days_late)),
        Standing::Overdue { working_days: n } => format!("not circulated: overdue by {}", working_days(n)),
        Standing::Due { working_days_left: 0 } => "due today".into(),
        Standing::Due { working_days_left } => format!("due in {}", working_days(working_days_left)),
    };
    (words, standing.is_late())
}

fn months_table(records: &Records, year: FinancialYear, today: Date) -> Table {
    let calendar = records.register.constitution().calendar;
    Table {
        id: "circulation".into(),
        caption: format!("Monthly finance and performance report {year}"),
        columns: vec![
            column("Month", ColumnKind::Text),
            column("Due by", ColumnKind::Date),
            column("Circulated", ColumnKind::Date),
            column("Standing", ColumnKind::Text),
        ],
        rows: FiscalMonth::all()
            .map(|month| {
                let (words, _) = month_standing(records, year, month, today);
                Row::new(vec![
                    text(month_label(year, month)),
                    Cell::Date(deadlines::monthly_report_due(calendar, year, month)),
                    records.register.circulated(month).map_or(Cell::Empty, Cell::Date),
                    text(words),
                ])
            })
            .collect(),
    }
}

/// An action plan's status in words, and whether it is flagged: not reported although a
/// meeting has been held since it was raised (reported to the next meeting).
fn plan_status(plan: &ActionPlan, records: &Records, today: Date) -> (String, String, bool) {
    let state = match plan.closed_on {
        Some(closed) => format!("closed on {closed}"),
        None => "open".to_string(),
    };
    let missed = plan.due_at(records.meetings.iter().map(|m| m.meeting.date)).filter(|d| *d <= today);
    let (report, flagged) = match (plan.reported_at, missed) {
        (Some(at), _) => (format!("reported to the meeting of {at}"), false),
        (None, Some(meeting)) => (format!("not reported to the meeting of {meeting}"), true),
        (None, None) => ("to report at the next meeting".to_string(), false),
    };
    (state, report, flagged)
}

fn plans_table(records: &Records, year: FinancialYear, today: Date) -> Table {
    Table {
        id: "action-plans".into(),
        caption: format!("Action plans for forecast variances {year}"),
        columns: vec![
            column("Id", ColumnKind::Text),
            column("Pool", ColumnKind::Text),
            column("Line", ColumnKind::Text),
            column("Flagged by", ColumnKind::Text),
            column("Raised", ColumnKind::Date),
            column("Action plan", ColumnKind::Text),
            column("Status", ColumnKind::Text),
            column("Reported", ColumnKind::Text),
        ],
        rows: records
            .register
            .action_plans()
            .iter()
            .map(|p| {
                let (state, report, _) = plan_status(p, records, today);
                Row::new(vec![
                    text(p.id.clone()),
                    text(p.pool.clone()),
                    text(p.line.clone().unwrap_or_default()),
                    text(month_label(year, p.month)),
                    Cell::Date(p.raised_on),
                    text(p.description.clone()),
                    text(state),
                    text(report),
                ])
            })
            .collect(),
    }
}

/// `GET .../board/reports`, and its tables as CSV or XLSX (`?format=csv&table=`).
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let format = Format::parse(get(&query, "format"))?;
    let records = board::load(&web, &at).await?;
    let today = web.clock.today();
    blocking(move || {
        let tables = vec![months_table(&records, year, today), plans_table(&records, year, today)];
        if format != Format::Html {
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-reports"));
        }
        let here = Here::new(scope::href(&at, "/board/reports"), query.clone());
        let keeps = access::check(&who.user, Write::BoardRecords).is_ok();
    let constitution = records.register.constitution();
        let plans = records.register.action_plans();
        let body = html! {
        span class="govuk-caption-l" { (constitution.name) }
            h1 class="govuk-heading-l" { "Reports to the board " (year) }
            p class="govuk-body" {
                "The monthly finance and performance report goes to members every month, whether or not a meeting is "
            "held" (cited(constitution.clause(BoardRule::MonthlyReports))) ", by the last working day of the next month. "
            "A forecast over- or underspend it flags needs an action plan" (cited(constitution.clause(BoardRule::ActionPlans)))
            ", reported to the next meeting."
            }
            (tables[0].render(&here))
            h2 class="govuk-heading-m app-table-caption" id="table-action-plans-caption" { (tables[1].caption) }
            @if plans.is_empty() {
                p class="govuk-body" id="no-action-plans" { "No action plan is recorded for " (year) "." }
            } @else {
                div class="app-table-wrapper" {
                    table class="govuk-table app-table" id="table-action-plans" aria-labelledby="table-action-plans-caption" {
                        thead class="govuk-table__head" { tr class="govuk-table__row" {
                            @for c in &tables[1].columns { th scope="col" class="govuk-table__header" { (c.header) } }
                        } }
                        tbody class="govuk-table__body" {
                            @for p in plans {
                                @let (state, report, flagged) = plan_status(p, &records, today);
                                tr class="govuk-table__row" id={ "plan-" (p.id) } {
                                    th scope="row" class="govuk-table__header" { (p.id) }
                                    td class="govuk-table__cell" { (p.pool) }
                                    td class="govuk-table__cell" { (p.line.as_deref().unwrap_or("")) }
                                    td class="govuk-table__cell" { (month_label(year, p.month)) }
                                    td class="govuk-table__cell" { (p.raised_on) }
                                    td class="govuk-table__cell" { (p.description) }
                                    td class="govuk-table__cell" {
                                        @if p.closed_on.is_some() { strong class="govuk-tag govuk-tag--green" { (state) } }
                                        @else { strong class="govuk-tag govuk-tag--blue" { (state) } }
                                    }
                                    td class="govuk-table__cell" {
                                        @if flagged { strong class="govuk-tag govuk-tag--red" { (report) } } @else { (report) }
                                    }
                                }
                            }
                        }
                    }
                }
                (table::downloads(&here, "action-plans", "the action plans"))
            }
            @if keeps { (forms(&who, &at, &records)) }
            p class="govuk-body" { a class="govuk-link" href=(scope::href(&at, "/board")) { "The board and its meetings" } " · "
                a class="govuk-link" href="/deadlines" { "Deadlines" } }
        };
        Ok(layout::page(&format!("Reports to the board {year}"), &Nav::new(&who, &at, &records.agreement, Section::Board), &[], body)
            .into_response())
    })
    .await
}

fn month_select(id: &str, year: FinancialYear) -> Markup {
    html! {
        select class="govuk-select" id=(id) name="month" {
            @for m in FiscalMonth::all() { option value=(m) { (month_label(year, m)) } }
        }
    }
}

fn forms(who: &Identity, at: &AgreementYear, records: &Records) -> Markup {
    let year = at.year;
    let constitution = records.register.constitution();
    let version = records.register_version.map(|v| v.to_string()).unwrap_or_default();
    let action = scope::href(at, "/board/reports");
    let plans = records.register.action_plans();
    let open: Vec<&ActionPlan> = plans.iter().filter(|p| p.closed_on.is_none()).collect();
    let unreported: Vec<&ActionPlan> = plans.iter().filter(|p| p.reported_at.is_none()).collect();
    let plan_select = |id: &str, choices: &[&ActionPlan]| {
        html! {
            select class="govuk-select" id=(id) name="id" {
                @for p in choices { option value=(p.id) { (p.id) ": " (p.pool) " " (p.description) } }
            }
        }
    };
    html! {
        h2 class="govuk-heading-m" { "Record the monthly report's circulation" (cited(constitution.clause(BoardRule::MonthlyReports))) }
        form method="post" action=(action) class="app-inline-form" {
            (board::hidden_fields(who, &version, "circulate"))
            div class="govuk-form-group" {
                label class="govuk-label" for="circulate-month" { "Month" }
                (month_select("circulate-month", year))
            }
            (board::date_field("circulated_on", "circulated_on", "Circulated to members on", None))
            button type="submit" class="govuk-button govuk-button--secondary" { "Record circulation" }
        }
        h2 class="govuk-heading-m" { "Raise an action plan for a forecast variance" (cited(constitution.clause(BoardRule::ActionPlans))) }
        form method="post" action=(action) {
            (board::hidden_fields(who, &version, "raise"))
            div class="app-inline-form" {
                div class="govuk-form-group" {
                    label class="govuk-label" for="raise-pool" { "Pool" }
                    select class="govuk-select" id="raise-pool" name="pool" {
                        @for p in records.agreement.pools() { option value=(p.id) { (p.id) ": " (p.name) } }
                    }
                }
                div class="govuk-form-group" {
                    label class="govuk-label" for="raise-line" { "Line (if the variance is on one)" }
                    select class="govuk-select" id="raise-line" name="line" {
                        option value="" { "the whole pool" }
                        @for p in records.agreement.pools() { @for l in &p.lines { option value=(l.id) { (p.id) ": " (l.name) } } }
                    }
                }
                div class="govuk-form-group" {
                    label class="govuk-label" for="raise-month" { "Flagged by the report for" }
                    (month_select("raise-month", year))
                }
                (board::date_field("raised_on", "raised_on", "Raised on", None))
            }
            (board::text_field("description", "description", "Action plan", ""))
            button type="submit" class="govuk-button govuk-button--secondary" { "Raise action plan" }
        }
        @if !open.is_empty() {
            h2 class="govuk-heading-m" { "Close an action plan" }
            form method="post" action=(action) class="app-inline-form" {
                (board::hidden_fields(who, &version, "close"))
                div class="govuk-form-group" {
                    label class="govuk-label" for="close-id" { "Action plan" }
                    (plan_select("close-id", &open))
                }
                (board::date_field("closed_on", "closed_on", "Closed on", None))
                button type="submit" class="govuk-button govuk-button--secondary" { "Close action plan" }
            }
        }
        @if !unreported.is_empty() {
            h2 class="govuk-heading-m" { "Record an action plan reported to a meeting" }
            form method="post" action=(action) class="app-inline-form" {
                (board::hidden_fields(who, &version, "report"))
                div class="govuk-form-group" {
                    label class="govuk-label" for="report-id" { "Action plan" }
                    (plan_select("report-id", &unreported))
                }
                div class="govuk-form-group" {
                    label class="govuk-label" for="reported_at" { "Meeting" }
                    select class="govuk-select" id="reported_at" name="reported_at" {
                        @for m in &records.meetings { option value=(m.meeting.date) { (m.meeting.date) } }
                    }
                }
                button type="submit" class="govuk-button govuk-button--secondary" { "Record report" }
            }
        }
    }
}

/// `POST .../board/reports`: one change (`action`): a month's report circulated, an
/// action plan raised, closed, or reported to a meeting.
pub async fn change(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(fields): Form<Fields>,
) -> Result<Response, WebError> {
    access::check(&who.user, Write::BoardRecords).map_err(WebError::Forbidden)?;
    let (given, expected) = board::given(&fields)?;
    let change = ReportChange::parse(get(&fields, "action").unwrap_or(""), &given).map_err(WebError::Invalid)?;
    let (actor, key) = (who.actor().to_string(), at.clone());
    web.stores
        .run(move |store| {
            pooled_app::board::change_reports(store, &key, expected, change, &actor).map_err(WebError::input)
        })
        .await?;
    Ok(Redirect::to(&scope::href(&at, "/board/reports")).into_response())
}
