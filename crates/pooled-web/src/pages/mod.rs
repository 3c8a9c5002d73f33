//! The pages, one module each, and what they share: query values, month names, the
//! year and month chooser.

pub mod audit;
pub mod board;
pub mod board_log;
pub mod board_reports;
pub mod forecasts;
pub mod imports;
pub mod login;
pub mod metrics;
pub mod overview;
pub mod pack;
pub mod partner;
pub mod payments;
pub mod pool;
pub mod returns;
pub mod risk_share;
pub mod settlement;
pub mod tokens;
pub mod variations;
pub mod what_if;

use maud::{Markup, html};
use pooled_core::calendar::{FinancialYear, FiscalMonth};

/// A page's query as the browser sent it: pairs in order, since a form may repeat a
/// name (`waive`) and the what-if form's names depend on the agreement.
pub type QueryPairs = Vec<(String, String)>;

/// The first value of `key`, if any.
pub fn get<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `M6 (September 2016)`.
pub fn month_label(year: FinancialYear, month: FiscalMonth) -> String {
    let first = year.month_start(month);
    format!("{month} ({} {})", MONTHS[first.month() as usize - 1], first.year())
}

/// A GET form choosing the report month, for pages that work without JavaScript: the
/// reader picks and presses the button.
pub fn month_chooser(action: &str, year: FinancialYear, month: FiscalMonth) -> Markup {
    html! {
        form method="get" action=(action) class="app-inline-form" {
            div class="govuk-form-group" {
                label class="govuk-label" for="month" { "Report month" }
                select class="govuk-select" id="month" name="month" {
                    @for m in FiscalMonth::all() {
                        option value=(m) selected[m == month] { (month_label(year, m)) }
                    }
                }
            }
            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Show" }
        }
    }
}
