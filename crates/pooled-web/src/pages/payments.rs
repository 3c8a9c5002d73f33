//! `/agreements/{agreement}/{year}/payments`: the contribution instalments (each partner that does not host
//! a pool pays the host monthly, subject to invoice, some months in advance) with when
//! each was raised and paid, where each stands today, and totals per paying and paid
//! body. Each instalment names the bodies paying and paid on its due date (a successor
//! from its date). Finance officers of either body, and the pool manager, record it from
//! its row; [`actions::record_payment`] checks the role and the schedule again, stores it
//! and audits it.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::{PaymentState, PaymentTotals, TrackedInstalment, payment_totals, tracked_payments};
use pooled_core::agreement::{Agreement, PartnerIx};
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::money::Money;
use pooled_files::{Cell, ColumnKind};
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::{QueryPairs, get, month_label};
use crate::access::{self, Write};
use crate::actions;
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section, error_summary, pounds};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text, with_query};
use pooled_app::PaymentRecord;

/// The agreement's schedule for the year with what is recorded of it, as one request
/// reads it.
struct Payments {
    scope: AgreementYear,
    agreement: Arc<Agreement>,
    /// The whole schedule in its order; an instalment's index there names its row and
    /// form fields, so they stay the same whichever pool is shown.
    tracked: Vec<TrackedInstalment>,
    /// Instalments due before today and unpaid are overdue.
    today: Date,
}

impl Payments {
    /// The partner's own id: the key its instalments are recorded under, whoever holds its
    /// place on their due dates.
    fn partner(&self, ix: PartnerIx) -> &str {
        &self.agreement.partners()[ix].id
    }

    /// The instalments of `pool`, or all, each with its index in the schedule.
    fn shown(&self, pool: Option<&str>) -> Vec<(usize, &TrackedInstalment)> {
        self.tracked.iter().enumerate().filter(|(_, t)| pool.is_none_or(|p| t.instalment.pool == p)).collect()
    }

    /// The index of the instalment `from` a partner (by its own id, or the paying body's
    /// on the due date) to `pool` in `month`, if scheduled.
    fn position(&self, pool: &str, from: &str, month: &str) -> Option<usize> {
        self.tracked.iter().position(|t| {
            let i = &t.instalment;
            let named = self.partner(i.from) == from || i.payer.id == from;
            i.pool == pool && named && i.month.to_string() == month
        })
    }
}

async fn load(web: &Arc<Web>, scope: &AgreementYear) -> Result<Payments, WebError> {
    let shared = Arc::clone(web);
    let key = scope.clone();
    let (agreement, recorded) = web.stores.run(move |store| shared.payments(store, &key)).await?;
    let tracked = tracked_payments(&agreement, &recorded);
    Ok(Payments { scope: scope.clone(), agreement, tracked, today: web.clock.today() })
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let format = Format::parse(get(&query, "format"))?;
    let payments = load(&web, &at).await?;
    blocking(move || {
        let pool = match get(&query, "pool").filter(|p| !p.is_empty()) {
            Some(p) if payments.agreement.pool(p).is_none() => {
                return Err(WebError::NotFound(format!("The agreement {at} has no pool `{p}`.")));
            }
            chosen => chosen,
        };
        let tables = tables(&payments, pool);
        if format != Format::Html {
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-payments"));
        }
        let recorded = match (get(&query, "recorded_pool"), get(&query, "recorded_from"), get(&query, "recorded_month"))
        {
            (Some(pool), Some(from), Some(month)) => payments.position(pool, from, month),
            _ => None,
        };
        let notice = recorded.map_or(Notice::None, Notice::Recorded);
        // Downloads and the filter keep the pool chosen, not the banner.
        let here =
            Here::new(scope::href(&at, "/payments"), pool.map(|p| ("pool".into(), p.into())).into_iter().collect());
        Ok(render(&who, &payments, pool, &tables, &here, notice).into_response())
    })
    .await
}

/// The form on each row the signed-in person may record. Empty dates are none: a
/// recording replaces both dates, so clearing one corrects a mistake.
#[derive(Deserialize)]
pub struct Recording {
    pool: String,
    from: String,
    month: String,
    #[serde(default)]
    raised_on: String,
    #[serde(default)]
    paid_on: String,
}

/// `POST .../payments`: records one instalment's dates, then back to the page saying so.
pub async fn record(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(form): Form<Recording>,
) -> Result<Response, WebError> {
    let month = FiscalMonth::parse(&form.month).map_err(WebError::BadRequest)?;
    // As the page writes it (`m1` is M1), so that a refused recording finds its row.
    let form = Recording { month: month.to_string(), ..form };
    let (raised_on, paid_on) = match (optional_date(&form.raised_on, "raised"), optional_date(&form.paid_on, "paid")) {
        (Ok(raised_on), Ok(paid_on)) => (raised_on, paid_on),
        (raised_on, paid_on) => {
            let problems = [(DateField::RaisedOn, raised_on.err()), (DateField::PaidOn, paid_on.err())]
                .into_iter()
                .filter_map(|(field, problem)| Some((field, problem?)))
                .collect();
            return rejected(&web, &who, &at, form, problems).await;
        }
    };
    let record = PaymentRecord { pool: form.pool.clone(), from: form.from.clone(), month, raised_on, paid_on };
    match actions::record_payment(&web, &who, &at, record).await {
        Ok(()) => {
            let query =
                [("recorded_pool", form.pool), ("recorded_from", form.from), ("recorded_month", month.to_string())]
                    .map(|(k, v)| (k.to_string(), v));
            Ok(Redirect::to(&with_query(&scope::href(&at, "/payments"), &query)).into_response())
        }
        // A scheduled instalment is refused only for its dates (paid before raised); an
        // unscheduled one has no row, and its problem points at the schedule instead.
        Err(WebError::Invalid(lines)) => {
            let problems = lines.into_iter().map(|line| (DateField::PaidOn, line)).collect();
            rejected(&web, &who, &at, form, problems).await
        }
        Err(other) => Err(other),
    }
}

/// `text` as a date, or none when blank; `what` ("raised", "paid") names it in the error.
fn optional_date(text: &str, what: &str) -> Result<Option<Date>, String> {
    match text.trim() {
        "" => Ok(None),
        day => Date::parse_iso(day)
            .map(Some)
            .map_err(|_| format!("Enter the date the instalment was {what} as year-month-day, like 2016-04-01")),
    }
}

/// A recording that could not be saved, shown back in its row to correct.
struct Rejected {
    form: Recording,
    problems: Vec<(DateField, String)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DateField {
    RaisedOn,
    PaidOn,
}

/// The page again, with the recording and why it was refused.
async fn rejected(
    web: &Arc<Web>,
    who: &Identity,
    at: &AgreementYear,
    form: Recording,
    problems: Vec<(DateField, String)>,
) -> Result<Response, WebError> {
    let payments = load(web, at).await?;
    let tables = tables(&payments, None);
    let here = Here::new(scope::href(at, "/payments"), vec![]);
    let rejected = Rejected { form, problems };
    let page = render(who, &payments, None, &tables, &here, Notice::Rejected(&rejected));
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// What the page says above the schedule after a form was sent.
#[derive(Clone, Copy)]
enum Notice<'a> {
    None,
    /// The instalment at this index was recorded.
    Recorded(usize),
    Rejected(&'a Rejected),
}

/// The schedule and the totals of the instalments shown, for the page and its downloads.
fn tables(payments: &Payments, pool: Option<&str>) -> [Table; 2] {
    let shown = payments.shown(pool);
    let of = pool.map_or(String::new(), |p| format!(" for pool {p}"));
    [schedule_table(payments, &shown, &of), totals_table(payments, &shown, &of)]
}

fn schedule_table(payments: &Payments, shown: &[(usize, &TrackedInstalment)], of: &str) -> Table {
    let date = |d: Option<Date>| d.map_or(Cell::Empty, Cell::Date);
    let rows = shown
        .iter()
        .map(|(_, t)| {
            let i = &t.instalment;
            Row::new(vec![
                text(i.pool.clone()),
                text(i.payer.id.clone()),
                text(i.payee.id.clone()),
                text(i.month.to_string()),
                Cell::Date(i.due),
                Cell::Money(i.amount),
                date(t.raised_on),
                date(t.paid_on),
                text(state_label(t.state(payments.today))),
            ])
        })
        .collect();
    Table {
        id: "schedule".into(),
        caption: format!("Instalments{of}"),
        columns: vec![
            column("Pool", ColumnKind::Text),
            column("From", ColumnKind::Text),
            column("To", ColumnKind::Text),
            column("Month", ColumnKind::Text),
            column("Due", ColumnKind::Date),
            column("Amount", ColumnKind::Money),
            column("Raised on", ColumnKind::Date),
            column("Paid on", ColumnKind::Date),
            column("Status", ColumnKind::Text),
        ],
        rows,
    }
}

fn totals_table(payments: &Payments, shown: &[(usize, &TrackedInstalment)], of: &str) -> Table {
    let totals = payment_totals(shown.iter().map(|(_, t)| *t), payments.today);
    let amounts = |t: &PaymentTotals| [t.scheduled, t.raised, t.paid, t.outstanding, t.overdue];
    let mut rows: Vec<Row> = totals
        .iter()
        .map(|t| {
            let mut cells = vec![text(t.payer.id.clone()), text(t.payee.id.clone())];
            cells.extend(amounts(t).map(Cell::Money));
            Row::new(cells)
        })
        .collect();
    let mut all = [Money::ZERO; 5];
    for t in &totals {
        for (sum, amount) in all.iter_mut().zip(amounts(t)) {
            *sum += amount;
        }
    }
    let mut cells = vec![text("All instalments"), Cell::Empty];
    cells.extend(all.map(Cell::Money));
    rows.push(Row::new(cells).styled(RowStyle::Total));
    Table {
        id: "totals".into(),
        caption: format!("Totals by paying partner{of}"),
        columns: vec![
            column("From", ColumnKind::Text),
            column("To", ColumnKind::Text),
            column("Scheduled", ColumnKind::Money),
            column("Raised", ColumnKind::Money),
            column("Paid", ColumnKind::Money),
            column("Outstanding", ColumnKind::Money),
            column("Overdue", ColumnKind::Money),
        ],
        rows,
    }
}

fn state_label(state: PaymentState) -> &'static str {
    match state {
        PaymentState::NotRaised => "Not raised",
        PaymentState::Raised => "Raised",
        PaymentState::Paid => "Paid",
        PaymentState::Overdue => "Overdue",
    }
}

fn render(
    who: &Identity,
    payments: &Payments,
    pool: Option<&str>,
    [schedule, totals]: &[Table; 2],
    here: &Here,
    notice: Notice,
) -> Markup {
    let (at, a) = (&payments.scope, &payments.agreement);
    let year = at.year;
    let in_advance: Vec<String> = a
        .payments()
        .map(|p| &p.in_advance_months)
        .into_iter()
        .flatten()
        .enumerate()
        .filter(|(_, months)| **months > 0)
        .map(|(ix, months)| {
            format!("{}'s {months} month{} in advance", payments.partner(ix), if *months == 1 { "" } else { "s" })
        })
        .collect();
    let rejected = match notice {
        Notice::Rejected(r) => Some(r),
        _ => None,
    };
    let body = html! {
        @if let Some(r) = rejected {
            @let ix = payments.position(&r.form.pool, &r.form.from, &r.form.month);
            (error_summary(&r.problems.iter().map(|(field, problem)| (field_id(ix, *field), problem.clone())).collect::<Vec<_>>()))
        }
        @if let Notice::Recorded(ix) = notice {
            (recorded_banner(payments, ix))
        }
        span class="govuk-caption-l" { (a.name()) }
        h1 class="govuk-heading-l" { "Payments " (year) }
        p class="govuk-body" {
            "Each partner that does not host a pool pays its contribution to the host in twelve monthly instalments, "
            "subject to invoice: a twelfth of the year's amount to the penny, the remainder in M12. "
            "An instalment is due on the first day of its month"
            @if !in_advance.is_empty() { ", " (in_advance.join(" and ")) }
            "."
        }
        p class="govuk-body" {
            "The invoices that settle each pool's over- or underspend at the year end are on the "
            a class="govuk-link" href=(scope::href(at, "/settlement")) { "settlement page" } "."
        }
        form method="get" action=(scope::href(at, "/payments")) class="app-inline-form" {
            div class="govuk-form-group" {
                label class="govuk-label" for="pool" { "Pool" }
                select class="govuk-select" id="pool" name="pool" {
                    option value="" selected[pool.is_none()] { "All pools" }
                    @for p in a.pools() {
                        option value=(p.id) selected[pool == Some(p.id.as_str())] { (p.name) " (" (p.id) ")" }
                    }
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Show" }
        }
        p class="govuk-hint" {
            "Statuses are as at " (payments.today) ", today in England by the server's clock: an instalment is overdue once "
            "its due date has passed and no payment is recorded, whether or not it was raised."
        }
        (totals.render(here))
        (schedule_html(who, payments, pool, schedule, here, rejected))
    };
    let title = format!("Payments {year}");
    let title = if rejected.is_some() { format!("Error: {title}") } else { title };
    layout::page(&title, &Nav::new(who, at, Section::Payments), &[], body)
}

/// The element a problem links to: the date in its row, or the schedule when the
/// instalment has no row.
fn field_id(ix: Option<usize>, field: DateField) -> String {
    match (ix, field) {
        (Some(ix), DateField::RaisedOn) => format!("raised-{ix}"),
        (Some(ix), DateField::PaidOn) => format!("paid-{ix}"),
        (None, _) => "table-schedule".into(),
    }
}

fn recorded_banner(payments: &Payments, ix: usize) -> Markup {
    let t = &payments.tracked[ix];
    let i = &t.instalment;
    let on = |what: &str, day: Option<Date>| day.map_or(format!("not {what}"), |d| format!("{what} on {d}"));
    html! {
        div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
            aria-labelledby="recorded-title" data-module="govuk-notification-banner" {
            div class="govuk-notification-banner__header" {
                h2 class="govuk-notification-banner__title" id="recorded-title" { "Recorded" }
            }
            div class="govuk-notification-banner__content" {
                p class="govuk-notification-banner__heading" {
                    "The " (i.pool) " instalment for " (month_label(payments.scope.year, i.month)) " from "
                    (i.payer.id) " to " (i.payee.id) ", " (pounds(i.amount)) ": "
                    (on("raised", t.raised_on)) ", " (on("paid", t.paid_on)) "."
                }
            }
        }
    }
}

/// The schedule with a form on each row the signed-in person may record: its date
/// inputs sit in the Raised and Paid columns and belong to the row's form (in the last
/// column) by the `form` attribute, since a form cannot span table cells. Drawn here
/// rather than by [`Table::render`], whose cells are text; the download is the same
/// table's cells.
fn schedule_html(
    who: &Identity,
    payments: &Payments,
    pool: Option<&str>,
    schedule: &Table,
    here: &Here,
    rejected: Option<&Rejected>,
) -> Markup {
    let shown: Vec<(usize, &TrackedInstalment, bool)> = payments
        .shown(pool)
        .into_iter()
        .map(|(ix, t)| {
            let i = &t.instalment;
            let write = Write::RecordPayment { from: &i.payer.id, to: &i.payee.id };
            (ix, t, access::check(&who.user, write).is_ok())
        })
        .collect();
    let records = shown.iter().any(|(_, _, may)| *may);
    let rejected_ix = rejected.and_then(|r| payments.position(&r.form.pool, &r.form.from, &r.form.month));
    let action = scope::href(&payments.scope, "/payments");
    html! {
        h2 class="govuk-heading-m app-table-caption" id="table-schedule-caption" { (schedule.caption) }
        @if !records {
            p class="govuk-body" { "Finance officers of the partners and the pool manager record when instalments are raised and paid." }
        }
        div class="app-table-wrapper" {
            table class="govuk-table app-table" id="table-schedule" aria-labelledby="table-schedule-caption" {
                thead class="govuk-table__head" {
                    tr class="govuk-table__row" {
                        @for (header, numeric) in [("Pool", false), ("From", false), ("To", false), ("Month", false), ("Due", false), ("Amount", true), ("Raised on", false), ("Paid on", false), ("Status", false)] {
                            th scope="col" class={ "govuk-table__header" @if numeric { " govuk-table__header--numeric" } } { (header) }
                        }
                        @if records { th scope="col" class="govuk-table__header" { span class="govuk-visually-hidden" { "Record" } } }
                    }
                }
                tbody class="govuk-table__body" {
                    @for (ix, t, may_record) in &shown {
                        @let i = &t.instalment;
                        @let (from, to) = (&i.payer.id, &i.payee.id);
                        @let what = format!("{} {} from {from}", i.pool, i.month);
                        @let rejected = rejected.filter(|_| rejected_ix == Some(*ix));
                        tr class="govuk-table__row" id={ "instalment-" (ix) } {
                            th scope="row" class="govuk-table__header" { (i.pool) }
                            td class="govuk-table__cell" { (from) }
                            td class="govuk-table__cell" { (to) }
                            td class="govuk-table__cell" { (i.month) }
                            td class="govuk-table__cell app-nowrap" { (i.due) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (pounds(i.amount)) }
                            @for (field, recorded) in [(DateField::RaisedOn, t.raised_on), (DateField::PaidOn, t.paid_on)] {
                                td class="govuk-table__cell" {
                                    @if *may_record {
                                        (date_input(*ix, field, recorded, &what, rejected))
                                    } @else if let Some(day) = recorded {
                                        (day)
                                    }
                                }
                            }
                            td class="govuk-table__cell" { (state_tag(t.state(payments.today))) }
                            @if records {
                                td class="govuk-table__cell" {
                                    @if *may_record {
                                        form method="post" action=(action) id={ "record-" (ix) } {
                                            (layout::csrf_field(who))
                                            input type="hidden" name="pool" value=(i.pool);
                                            input type="hidden" name="from" value=(payments.partner(i.from));
                                            input type="hidden" name="month" value=(i.month);
                                            button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button" {
                                                "Record" span class="govuk-visually-hidden" { " " (what) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            (table::downloads(here, &schedule.id, &schedule.caption))
        }
    }
}

/// A row's raised or paid date, showing back what was sent when it was refused.
fn date_input(ix: usize, field: DateField, recorded: Option<Date>, what: &str, rejected: Option<&Rejected>) -> Markup {
    let (name, label) = match field {
        DateField::RaisedOn => ("raised_on", "Raised on"),
        DateField::PaidOn => ("paid_on", "Paid on"),
    };
    let id = field_id(Some(ix), field);
    let value = match (rejected, field) {
        (Some(r), DateField::RaisedOn) => r.form.raised_on.clone(),
        (Some(r), DateField::PaidOn) => r.form.paid_on.clone(),
        (None, _) => recorded.map(|d| d.to_string()).unwrap_or_default(),
    };
    let problems: Vec<&str> =
        rejected.into_iter().flat_map(|r| &r.problems).filter(|(f, _)| *f == field).map(|(_, p)| p.as_str()).collect();
    html! {
        div class={ "govuk-form-group govuk-!-margin-bottom-0" @if !problems.is_empty() { " govuk-form-group--error" } } {
            label class="govuk-label govuk-visually-hidden" for=(id) { (label) ", " (what) }
            @for problem in &problems {
                p class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (problem) }
            }
            input class={ "govuk-input govuk-input--width-10" @if !problems.is_empty() { " govuk-input--error" } }
                type="date" id=(id) name=(name) form={ "record-" (ix) } value=(value);
        }
    }
}

fn state_tag(state: PaymentState) -> Markup {
    let colour = match state {
        PaymentState::NotRaised => " govuk-tag--grey",
        PaymentState::Raised => "",
        PaymentState::Paid => " govuk-tag--green",
        PaymentState::Overdue => " govuk-tag--red",
    };
    html! { strong class={ "govuk-tag" (colour) } { (state_label(state)) } }
}
