//! `/agreements/{agreement}/{year}/forecasts`: forecast entry. A budget holder sees the cost
//! centres they hold, a partner's finance officer those of the body they act for, the pool manager all;
//! each with its budget, actual to date and the forecast outturn now used (entered, or
//! the run-rate on the budget profile where none is), and one form to enter a forecast outturn for any of them.
//! Saving goes through [`actions::set_forecast`], which checks the role again.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_core::calendar::FiscalMonth;
use pooled_core::money::Money;
use pooled_core::report::{CostCentreRow, MonthlyReport};
use pooled_files::{Cell, ColumnKind};
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::{QueryPairs, get, month_chooser, month_label};
use crate::access::{self, Write};
use crate::actions;
use crate::auth::Identity;
use crate::data::{Web, YearData, parse_month};
use crate::error::WebError;
use crate::layout::{self, Nav, Section, encode, error_summary, pounds};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

/// A cost centre the signed-in person may forecast, with its report row.
struct Forecastable<'a> {
    pool: &'a str,
    line: &'a str,
    row: &'a CostCentreRow,
}

/// The cost centres of the report `who` may forecast, pool by pool, line by line.
fn forecastable<'a>(report: &'a MonthlyReport, who: &Identity) -> Vec<Forecastable<'a>> {
    let mut out = Vec::new();
    for pool in &report.pools {
        for line in pool.segments.iter().flat_map(|s| &s.lines) {
            for row in &line.cost_centres {
                let (Some(code), Some(partner)) = (&row.code, row.partner) else { continue };
                // The body holding the partner's place at the end of the month forecasts.
                let write = Write::SetForecast { partner: &report.bodies[partner].id, cost_centre: code };
                if access::check(&who.user, write).is_ok() {
                    out.push(Forecastable { pool: &pool.id, line: &line.name, row });
                }
            }
        }
    }
    out
}

/// What the reader typed that could not be saved, shown back to correct.
struct Rejected {
    cost_centre: String,
    outturn: String,
    confirm_below_actual: bool,
    message: String,
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let data = load(&web, &at).await?;
    blocking(move || {
        let month = data.month_or_latest(month);
        let report = data.report(month);
        let rows = forecastable(&report, &who);
        let table = forecasts_table(&at, month, &rows);
        if format != Format::Html {
            let stem = scope::file_stem(&at, &format!("-{month}-forecasts"));
            return table::export(&[table], get(&query, "table"), format, &stem);
        }
        let here = Here::new(scope::href(&at, "/forecasts"), query.clone());
        let chosen = get(&query, "cost_centre").unwrap_or("");
        let saved = get(&query, "saved");
        Ok(render(&who, &data, month, &rows, &table, &here, chosen, saved, None).into_response())
    })
    .await
}

#[derive(Deserialize)]
pub struct Entry {
    month: String,
    cost_centre: String,
    outturn: String,
    /// The checkbox: present (`yes`) when ticked.
    #[serde(default)]
    confirm_below_actual: Option<String>,
}

/// `POST .../forecasts`: saves one forecast, then back to the page saying so.
pub async fn save(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Form(entry): Form<Entry>,
) -> Result<Response, WebError> {
    let month = FiscalMonth::parse(&entry.month).map_err(WebError::BadRequest)?;
    let outturn = match Money::parse(&entry.outturn) {
        Ok(m) => m,
        Err(e) => {
            let message = format!("Enter the forecast outturn in pounds, like 1,234,567.89: {e}");
            return rejected(&web, &who, &at, month, entry, message).await;
        }
    };
    let forecast = actions::Forecast {
        month,
        cost_centre: entry.cost_centre.clone(),
        outturn,
        confirm_below_actual: entry.confirm_below_actual.is_some(),
    };
    match actions::set_forecast(&web, &who, &at, forecast).await {
        Ok(()) => {
            let back = scope::href(
                &at,
                &format!(
                    "/forecasts?month={month}&cost_centre={code}&saved={code}#forecast-form",
                    code = encode(&entry.cost_centre)
                ),
            );
            Ok(Redirect::to(&back).into_response())
        }
        Err(WebError::Invalid(lines)) => rejected(&web, &who, &at, month, entry, lines.join(" ")).await,
        Err(other) => Err(other),
    }
}

/// The page again, with the entry and why it was refused.
async fn rejected(
    web: &Arc<Web>,
    who: &Identity,
    at: &AgreementYear,
    month: FiscalMonth,
    entry: Entry,
    message: String,
) -> Result<Response, WebError> {
    let data = load(web, at).await?;
    let (who, at) = (who.clone(), at.clone());
    blocking(move || {
        let report = data.report(month);
        let rows = forecastable(&report, &who);
        let table = forecasts_table(&at, month, &rows);
        let here = Here::new(scope::href(&at, "/forecasts"), vec![("month".into(), month.to_string())]);
        let rejected = Rejected {
            cost_centre: entry.cost_centre,
            outturn: entry.outturn,
            confirm_below_actual: entry.confirm_below_actual.is_some(),
            message,
        };
        let page = render(&who, &data, month, &rows, &table, &here, &rejected.cost_centre, None, Some(&rejected));
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    })
    .await
}

async fn load(web: &Arc<Web>, at: &AgreementYear) -> Result<Arc<YearData>, WebError> {
    let (shared, key) = (Arc::clone(web), at.clone());
    web.stores.run(move |store| shared.year(store, &key)).await
}

fn forecasts_table(at: &AgreementYear, month: FiscalMonth, rows: &[Forecastable]) -> Table {
    let year = at.year;
    Table {
        id: "forecasts".into(),
        caption: format!("Your cost centres at {}", month_label(year, month)),
        columns: vec![
            column("Cost centre", ColumnKind::Text),
            column("Name", ColumnKind::Text),
            column("Pool", ColumnKind::Text),
            column("Line", ColumnKind::Text),
            column("Budget", ColumnKind::Money),
            column("Actual to date", ColumnKind::Money),
            column("Forecast outturn", ColumnKind::Money),
            column("Forecast from", ColumnKind::Text),
            column("Variance", ColumnKind::Money),
        ],
        rows: rows
            .iter()
            .map(|f| {
                let figures = &f.row.figures;
                let code = f.row.code.clone().unwrap_or_default();
                let mut row = Row::new(vec![
                    text(code.clone()),
                    text(f.row.name.clone()),
                    text(f.pool),
                    text(f.line),
                    Cell::Money(figures.annual_budget),
                    Cell::Money(figures.actual_to_date),
                    Cell::Money(figures.forecast_outturn),
                    text(figures.basis_label()),
                    Cell::Money(figures.variance),
                ]);
                let query = format!("/forecasts?month={month}&cost_centre={}#forecast-form", encode(&code));
                row.href = Some(scope::href(at, &query));
                row
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)] // the page's parts, each needed once
fn render(
    who: &Identity,
    data: &YearData,
    month: FiscalMonth,
    rows: &[Forecastable],
    table: &Table,
    here: &Here,
    chosen: &str,
    saved: Option<&str>,
    rejected: Option<&Rejected>,
) -> Markup {
    let (at, year) = (&data.scope, data.scope.year);
    let saved_row = saved.and_then(|code| rows.iter().find(|f| f.row.code.as_deref() == Some(code)));
    let body = html! {
        @if let Some(r) = rejected {
            (error_summary(&[("outturn".to_string(), r.message.clone())]))
        }
        @if let Some(f) = saved_row {
            div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
                aria-labelledby="saved-title" data-module="govuk-notification-banner" {
                div class="govuk-notification-banner__header" {
                    h2 class="govuk-notification-banner__title" id="saved-title" { "Saved" }
                }
                div class="govuk-notification-banner__content" {
                    p class="govuk-notification-banner__heading" {
                        "Forecast outturn for " (f.row.code.as_deref().unwrap_or("")) " at " (month) ": "
                        (pounds(f.row.figures.forecast_outturn))
                    }
                }
            }
        }
        h1 class="govuk-heading-l" { "Forecasts " (year) }
        p class="govuk-body" {
            "Budget holders deliver within their cost centres' budgets and forecast each month; the pool "
            "manager reports any forecast over- or underspend to the board with an action plan. Where no forecast "
            "is entered, the report uses the run-rate on the budget profile: actual to date scaled as the cost "
            "centre's monthly budget profile runs (the whole budget where nothing is profiled yet). "
            "A forecast below the actual to date is taken only when you confirm it is meant, and the report marks it."
        }
        (month_chooser(&scope::href(at, "/forecasts"), year, month))
        @if rows.is_empty() {
            p class="govuk-body" { "You have no cost centres to forecast." }
        } @else {
            (entry_form(who, at, month, rows, chosen, rejected))
            (table.render(here))
        }
    };
    layout::page(&format!("Forecasts {year}"), &Nav::new(who, at, &data.agreement, Section::Forecasts), &[], body)
}

fn entry_form(
    who: &Identity,
    at: &AgreementYear,
    month: FiscalMonth,
    rows: &[Forecastable],
    chosen: &str,
    rejected: Option<&Rejected>,
) -> Markup {
    let value = rejected.map(|r| r.outturn.clone()).unwrap_or_default();
    let confirmed = rejected.is_some_and(|r| r.confirm_below_actual);
    html! {
        form method="post" action=(scope::href(at, "/forecasts")) id="forecast-form" novalidate {
            (layout::csrf_field(who))
            input type="hidden" name="month" value=(month);
            h2 class="govuk-heading-m" { "Enter a forecast at " (month_label(at.year, month)) }
            div class="govuk-form-group" {
                label class="govuk-label" for="cost_centre" { "Cost centre" }
                select class="govuk-select" id="cost_centre" name="cost_centre" {
                    @for f in rows {
                        @let code = f.row.code.as_deref().unwrap_or("");
                        option value=(code) selected[code == chosen] {
                            (code) " " (f.row.name) " (forecast " (pounds(f.row.figures.forecast_outturn)) ")"
                        }
                    }
                }
            }
            div class={ "govuk-form-group" @if rejected.is_some() { " govuk-form-group--error" } } {
                label class="govuk-label" for="outturn" { "Forecast outturn for the year, in pounds" }
                div class="govuk-hint" id="outturn-hint" { "What the cost centre will have spent by 31 March, like 1,234,567.89" }
                @if let Some(r) = rejected {
                    p class="govuk-error-message" id="outturn-error" { span class="govuk-visually-hidden" { "Error: " } (r.message) }
                }
                div class="govuk-input__wrapper" {
                    div class="govuk-input__prefix" aria-hidden="true" { "£" }
                    input class="govuk-input govuk-input--width-10" id="outturn" name="outturn" type="text"
                        inputmode="decimal" spellcheck="false" aria-describedby="outturn-hint" value=(value);
                }
            }
            div class="govuk-form-group" {
                div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes" {
                    div class="govuk-checkboxes__item" {
                        input class="govuk-checkboxes__input" id="confirm_below_actual" name="confirm_below_actual"
                            type="checkbox" value="yes" checked[confirmed];
                        label class="govuk-label govuk-checkboxes__label" for="confirm_below_actual" {
                            "I confirm a forecast below the actual to date is meant (refunds or credits still to come)"
                        }
                    }
                }
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Save forecast" }
        }
    }
}
