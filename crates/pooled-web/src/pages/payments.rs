//! `/agreements/{agreement}/{year}/payments`: the contribution instalments (each partner
//! pays what it contributes to the lines another partner holds, monthly, subject to
//! invoice, some months in advance) with each one's invoice, payments and balance
//! outstanding, where each stands today, the totals between each paying partner and
//! partner paid, and the balance between each pair. Each instalment names the bodies
//! paying and paid on its due date (a successor from its date); totals and balances span
//! the year, so they name a succeeded partner with its successor. Finance officers of
//! either body to an instalment, and the pool manager, record its invoice and payments
//! from its row;
//! [`actions::record_payment`] checks the role, the schedule and the amounts again,
//! stores it and audits it.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::PaymentRecord;
use pooled_core::agreement::{Agreement, PartnerIx};
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::money::Money;
use pooled_core::payments::{
    PairTotals, PaymentState, TrackedInstalment, balances, overdue, pair_totals, why_no_instalments,
};
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

    /// The partner over the year, in totals and balances: `OCCG`, or `OCCG (BOB-ICB from
    /// 2022-07-01)` when a successor takes its place.
    fn over_the_year(&self, ix: PartnerIx) -> String {
        self.agreement.partners()[ix].listed()
    }

    /// The instalments of `pool`, or all, each with its index in the schedule.
    fn shown(&self, pool: Option<&str>) -> Vec<(usize, &TrackedInstalment)> {
        self.tracked.iter().enumerate().filter(|(_, t)| pool.is_none_or(|p| t.instalment.pool == p)).collect()
    }

    /// The index of the instalment `from` a partner `to` another in `pool` and `month`, if
    /// scheduled; each named by the partner's own id or the body's on the due date.
    fn position(&self, pool: &str, from: &str, to: &str, month: &str) -> Option<usize> {
        self.tracked.iter().position(|t| {
            let i = &t.instalment;
            let from = self.partner(i.from) == from || i.payer.id == from;
            let to = self.partner(i.to) == to || i.payee.id == to;
            i.pool == pool && from && to && i.month.to_string() == month
        })
    }
}

async fn load(web: &Arc<Web>, scope: &AgreementYear) -> Result<Payments, WebError> {
    let (shared, key) = (Arc::clone(web), scope.clone());
    let (agreement, tracked) = web.stores.run(move |store| shared.payments(store, &key)).await?;
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
        let recorded = ["recorded_pool", "recorded_from", "recorded_to", "recorded_month"].map(|k| get(&query, k));
        let recorded = match recorded {
            [Some(pool), Some(from), Some(to), Some(month)] => payments.position(pool, from, to, month),
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

/// The form on each row the signed-in person may record: a day raised records the
/// invoice (again, to correct it), a day paid a payment; blank fields are left out.
#[derive(Deserialize)]
pub struct Recording {
    pool: String,
    from: String,
    to: String,
    month: String,
    #[serde(default)]
    raised_on: String,
    #[serde(default)]
    paid_on: String,
    #[serde(default)]
    amount: String,
}

/// `POST .../payments`: records an instalment's invoice or payment, then back to the page
/// saying so.
pub async fn record(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(form): Form<Recording>,
) -> Result<Response, WebError> {
    let month = FiscalMonth::parse(&form.month).map_err(WebError::BadRequest)?;
    // As the page writes it (`m1` is M1), so that a refused recording finds its row.
    let form = Recording { month: month.to_string(), ..form };
    let raised_on = optional_date(&form.raised_on, "raised");
    let paid_on = optional_date(&form.paid_on, "paid");
    let amount = match form.amount.trim() {
        "" => Ok(None),
        text => {
            Money::parse(text).map(Some).map_err(|_| "Enter the amount in pounds and pence, like 1,234.56".to_string())
        }
    };
    let (raised_on, paid_on, amount) = match (raised_on, paid_on, amount) {
        (Ok(raised_on), Ok(paid_on), Ok(amount)) => (raised_on, paid_on, amount),
        (raised_on, paid_on, amount) => {
            let problems =
                [(Field::RaisedOn, raised_on.err()), (Field::PaidOn, paid_on.err()), (Field::Amount, amount.err())]
                    .into_iter()
                    .filter_map(|(field, problem)| Some((field, problem?)))
                    .collect();
            return rejected(&web, &who, &at, form, problems).await;
        }
    };
    let (pool, from, to) = (form.pool.clone(), form.from.clone(), form.to.clone());
    let record = PaymentRecord { pool, from, to: Some(to), month, raised_on, paid_on, amount };
    match actions::record_payment(&web, &who, &at, record).await {
        Ok(_) => {
            let query = [
                ("recorded_pool", form.pool),
                ("recorded_from", form.from),
                ("recorded_to", form.to),
                ("recorded_month", month.to_string()),
            ]
            .map(|(k, v)| (k.to_string(), v));
            Ok(Redirect::to(&with_query(&scope::href(&at, "/payments"), &query)).into_response())
        }
        // The rules on amounts and dates refuse the recording as a whole: said on its row.
        Err(WebError::Invalid(lines)) => {
            let problems = lines.into_iter().map(|line| (Field::Recording, line)).collect();
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
    problems: Vec<(Field, String)>,
}

/// A field of a row's form, or the recording as a whole.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    RaisedOn,
    PaidOn,
    Amount,
    Recording,
}

/// The page again, with the recording and why it was refused.
async fn rejected(
    web: &Arc<Web>,
    who: &Identity,
    at: &AgreementYear,
    form: Recording,
    problems: Vec<(Field, String)>,
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

/// The schedule, the totals between partners and the balances, of the instalments
/// shown, for the page and its downloads.
fn tables(payments: &Payments, pool: Option<&str>) -> [Table; 3] {
    let shown = payments.shown(pool);
    let of = pool.map_or(String::new(), |p| format!(" for pool {p}"));
    let totals = pair_totals(shown.iter().map(|(_, t)| *t));
    [
        schedule_table(payments, &shown, &of),
        totals_table(payments, &shown, &totals, &of),
        balances_table(payments, &totals, &of),
    ]
}

const SCHEDULE_COLUMNS: [(&str, ColumnKind); 11] = [
    ("Pool", ColumnKind::Text),
    ("From", ColumnKind::Text),
    ("To", ColumnKind::Text),
    ("Month", ColumnKind::Text),
    ("Due", ColumnKind::Date),
    ("Amount", ColumnKind::Money),
    ("Raised on", ColumnKind::Date),
    ("Invoiced", ColumnKind::Money),
    ("Paid", ColumnKind::Money),
    ("Outstanding", ColumnKind::Money),
    ("Status", ColumnKind::Text),
];

fn schedule_table(payments: &Payments, shown: &[(usize, &TrackedInstalment)], of: &str) -> Table {
    let rows = shown
        .iter()
        .map(|(_, t)| {
            let (i, account) = (&t.instalment, &t.account);
            Row::new(vec![
                text(i.pool.clone()),
                text(i.payer.id.clone()),
                text(i.payee.id.clone()),
                text(i.month.to_string()),
                Cell::Date(i.due),
                Cell::Money(i.amount),
                account.raised_on().map_or(Cell::Empty, Cell::Date),
                Cell::Money(account.invoiced()),
                Cell::Money(account.paid()),
                Cell::Money(account.outstanding()),
                text(state_label(t.state(payments.today))),
            ])
        })
        .collect();
    Table {
        id: "schedule".into(),
        caption: format!("Instalments{of}"),
        columns: SCHEDULE_COLUMNS.iter().map(|(header, kind)| column(*header, *kind)).collect(),
        rows,
    }
}

fn totals_table(payments: &Payments, shown: &[(usize, &TrackedInstalment)], totals: &[PairTotals], of: &str) -> Table {
    let today = payments.today;
    let amounts = |t: &PairTotals| {
        let of_pair = shown.iter().map(|(_, i)| *i).filter(|i| (i.instalment.from, i.instalment.to) == (t.from, t.to));
        [t.scheduled, t.invoiced, t.paid, t.outstanding, overdue(of_pair, today)]
    };
    let mut rows: Vec<Row> = totals
        .iter()
        .map(|t| {
            let mut cells = vec![text(payments.over_the_year(t.from)), text(payments.over_the_year(t.to))];
            cells.extend(amounts(t).map(Cell::Money));
            Row::new(cells)
        })
        .collect();
    let mut all = [Money::ZERO; 5];
    for t in totals {
        for (sum, amount) in all.iter_mut().zip(amounts(t)) {
            *sum += amount;
        }
    }
    let mut cells = vec![text("All instalments"), Cell::Empty];
    cells.extend(all.map(Cell::Money));
    rows.push(Row::new(cells).styled(RowStyle::Total));
    Table {
        id: "totals".into(),
        caption: format!("Totals by paying partner and partner paid{of}"),
        columns: vec![
            column("From", ColumnKind::Text),
            column("To", ColumnKind::Text),
            column("Scheduled", ColumnKind::Money),
            column("Invoiced", ColumnKind::Money),
            column("Paid", ColumnKind::Money),
            column("Outstanding", ColumnKind::Money),
            column("Overdue", ColumnKind::Money),
        ],
        rows,
    }
}

/// What each partner owes another once what is outstanding each way is netted.
fn balances_table(payments: &Payments, totals: &[PairTotals], of: &str) -> Table {
    let rows = balances(totals)
        .iter()
        .map(|b| {
            let (owing, owed) = (payments.over_the_year(b.owing), payments.over_the_year(b.owed));
            Row::new(vec![text(owing), text(owed), Cell::Money(b.amount)])
        })
        .collect();
    Table {
        id: "balances".into(),
        caption: format!("Balance between partners{of}"),
        columns: vec![
            column("Owing", ColumnKind::Text),
            column("Owed", ColumnKind::Text),
            column("Invoiced and unpaid, net", ColumnKind::Money),
        ],
        rows,
    }
}

fn state_label(state: PaymentState) -> &'static str {
    match state {
        PaymentState::NotRaised => "Not raised",
        PaymentState::Raised => "Raised",
        PaymentState::PartPaid => "Part paid",
        PaymentState::Paid => "Paid",
        PaymentState::Overdue => "Overdue",
    }
}

fn render(
    who: &Identity,
    payments: &Payments,
    pool: Option<&str>,
    [schedule, totals, balances]: &[Table; 3],
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
            @let ix = payments.position(&r.form.pool, &r.form.from, &r.form.to, &r.form.month);
            (error_summary(&r.problems.iter().map(|(field, problem)| (field_id(ix, *field), problem.clone())).collect::<Vec<_>>()))
        }
        @if let Notice::Recorded(ix) = notice {
            (recorded_banner(payments, ix))
        }
        span class="govuk-caption-l" { (a.name()) }
        h1 class="govuk-heading-l" { "Payments " (year) }
        p class="govuk-body" {
            "Each partner pays what it contributes to the lines another partner holds (by default the pool's host) "
            "in twelve monthly instalments, subject to invoice: a twelfth of the year's amount to the penny, the remainder in M12. "
            "An instalment is due on the first day of its month"
            @if !in_advance.is_empty() { ", " (in_advance.join(" and ")) }
            "."
        }
        p class="govuk-body" {
            "An instalment is raised by its invoice (for the instalment, or the amount entered) and paid by one payment or more: "
            "a payment is for the balance outstanding unless an amount is entered, so part payments add up. A payment cannot be "
            "recorded before the invoice, nor for more than is outstanding. Entering the day raised again corrects the invoice."
        }
        p class="govuk-body" {
            "The invoices that settle each pool's over- or underspend at the year end, net of the instalments still "
            "outstanding, are on the "
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
            "its due date has passed and it is not paid in full, whether or not it was raised."
        }
        @if let Some(why) = why_no_instalments(a).filter(|_| payments.tracked.is_empty()) {
            div class="govuk-inset-text" { (why) }
        }
        (balances.render(here))
        (totals.render(here))
        (schedule_html(who, payments, pool, schedule, here, rejected))
    };
    let title = format!("Payments {year}");
    let title = if rejected.is_some() { format!("Error: {title}") } else { title };
    layout::page(&title, &Nav::new(who, at, a, Section::Payments), &[], body)
}

/// The element a problem links to: its field in the row (the first, for the recording
/// as a whole), or the schedule when the instalment has no row.
fn field_id(ix: Option<usize>, field: Field) -> String {
    match (ix, field) {
        (Some(ix), Field::RaisedOn | Field::Recording) => format!("raised-{ix}"),
        (Some(ix), Field::PaidOn) => format!("paid-{ix}"),
        (Some(ix), Field::Amount) => format!("amount-{ix}"),
        (None, _) => "table-schedule".into(),
    }
}

fn recorded_banner(payments: &Payments, ix: usize) -> Markup {
    let t = &payments.tracked[ix];
    let (i, account) = (&t.instalment, &t.account);
    let raised = account.raised_on().map_or("not raised".to_string(), |d| format!("raised on {d}"));
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
                    (raised) ", invoiced " (pounds(account.invoiced())) ", paid " (pounds(account.paid()))
                    ", outstanding " (pounds(account.outstanding())) "."
                }
            }
        }
    }
}

/// The schedule with a form in the last column of each row the signed-in person may
/// record (the day raised, the day paid, the amount). Drawn here rather than by
/// [`Table::render`], whose cells are text; the download is the same table's cells.
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
    let rejected_ix = rejected.and_then(|r| payments.position(&r.form.pool, &r.form.from, &r.form.to, &r.form.month));
    html! {
        h2 class="govuk-heading-m app-table-caption" id="table-schedule-caption" { (schedule.caption) }
        @if !records {
            p class="govuk-body" { "Finance officers of the partners and the pool manager record the instalments' invoices and payments." }
        }
        div class="app-table-wrapper" {
            table class="govuk-table app-table" id="table-schedule" aria-labelledby="table-schedule-caption" {
                thead class="govuk-table__head" {
                    tr class="govuk-table__row" {
                        @for (header, kind) in SCHEDULE_COLUMNS {
                            th scope="col" class={ "govuk-table__header" @if kind == ColumnKind::Money { " govuk-table__header--numeric" } } { (header) }
                        }
                        @if records { th scope="col" class="govuk-table__header" { "Record" } }
                    }
                }
                tbody class="govuk-table__body" {
                    @for (ix, t, may_record) in &shown {
                        @let (i, account) = (&t.instalment, &t.account);
                        @let (from, to) = (&i.payer.id, &i.payee.id);
                        tr class="govuk-table__row" id={ "instalment-" (ix) } {
                            th scope="row" class="govuk-table__header" { (i.pool) }
                            td class="govuk-table__cell" { (from) }
                            td class="govuk-table__cell" { (to) }
                            td class="govuk-table__cell" { (i.month) }
                            td class="govuk-table__cell app-nowrap" { (i.due) }
                            td class="govuk-table__cell govuk-table__cell--numeric" { (pounds(i.amount)) }
                            td class="govuk-table__cell app-nowrap" { @if let Some(day) = account.raised_on() { (day) } }
                            @for amount in [account.invoiced(), account.paid(), account.outstanding()] {
                                td class="govuk-table__cell govuk-table__cell--numeric" { (pounds(amount)) }
                            }
                            td class="govuk-table__cell" { (state_tag(t.state(payments.today))) }
                            @if records {
                                td class="govuk-table__cell" {
                                    @if *may_record {
                                        (record_form(who, payments, *ix, t, rejected.filter(|_| rejected_ix == Some(*ix))))
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

/// A row's form: the day raised, the day paid and the amount, showing back what was sent
/// when it was refused, with why.
fn record_form(
    who: &Identity,
    payments: &Payments,
    ix: usize,
    t: &TrackedInstalment,
    rejected: Option<&Rejected>,
) -> Markup {
    let i = &t.instalment;
    let what = format!("{} {} from {} to {}", i.pool, i.month, i.payer.id, i.payee.id);
    let problems = |field: Field| -> Vec<&str> {
        rejected.into_iter().flat_map(|r| &r.problems).filter(|(f, _)| *f == field).map(|(_, p)| p.as_str()).collect()
    };
    let fields = [
        (Field::RaisedOn, "raised", "raised_on", "Raised on", "date", rejected.map(|r| r.form.raised_on.clone())),
        (Field::PaidOn, "paid", "paid_on", "Paid on", "date", rejected.map(|r| r.form.paid_on.clone())),
        (Field::Amount, "amount", "amount", "Amount (optional)", "text", rejected.map(|r| r.form.amount.clone())),
    ];
    html! {
        form method="post" action=(scope::href(&payments.scope, "/payments")) id={ "record-" (ix) } {
            (layout::csrf_field(who))
            input type="hidden" name="pool" value=(i.pool);
            input type="hidden" name="from" value=(payments.partner(i.from));
            input type="hidden" name="to" value=(payments.partner(i.to));
            input type="hidden" name="month" value=(i.month);
            @for problem in problems(Field::Recording) {
                p class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (problem) }
            }
            @for (field, id, name, label, kind, value) in fields {
                @let problems = problems(field);
                @let id = format!("{id}-{ix}");
                div class={ "govuk-form-group govuk-!-margin-bottom-1" @if !problems.is_empty() { " govuk-form-group--error" } } {
                    label class="govuk-label govuk-!-font-size-16" for=(id) { (label) span class="govuk-visually-hidden" { ", " (what) } }
                    @for problem in &problems {
                        p class="govuk-error-message" { span class="govuk-visually-hidden" { "Error: " } (problem) }
                    }
                    input class={ "govuk-input govuk-input--width-10" @if !problems.is_empty() { " govuk-input--error" } }
                        type=(kind) id=(id) name=(name) value=(value.unwrap_or_default())
                        inputmode=[(kind == "text").then_some("decimal")];
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0" data-module="govuk-button" {
                "Record" span class="govuk-visually-hidden" { " " (what) }
            }
        }
    }
}

fn state_tag(state: PaymentState) -> Markup {
    let colour = match state {
        PaymentState::NotRaised => " govuk-tag--grey",
        PaymentState::Raised => "",
        PaymentState::PartPaid => " govuk-tag--yellow",
        PaymentState::Paid => " govuk-tag--green",
        PaymentState::Overdue => " govuk-tag--red",
    };
    html! { strong class={ "govuk-tag" (colour) } { (state_label(state)) } }
}
