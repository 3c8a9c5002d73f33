//! `/agreements/{agreement}/{year}/board/meetings/{date}/pack`: a meeting's agenda pack as one printable
//! document: the agenda with its papers (late ones marked), the monthly finance report's
//! pool table as it stood before the meeting, the monthly performance report of the same
//! month and the risk-share tables. Confidential
//! items and their papers are in the members' version only ([`board::visible`]). The
//! print stylesheet (app.css, `@media print`) leaves out the header, navigation, footer
//! and forms and starts each section on a new page.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_core::agreement::{BoardRule, PoolKind};
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::governance::check_papers;
use pooled_core::risk_share::risk_share;

use super::board::InMeeting;
use super::{board, metrics, month_label, overview, risk_share};
use crate::access;
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{Here, Table};

/// The month whose report goes to a meeting: the fiscal month before the meeting's, or
/// the latest with actuals if that is earlier (a report cannot be ahead of its ledger).
/// A meeting in April (M1) gets the latest with actuals, or M1 before any import.
pub(crate) fn report_month(meeting: Date, latest: Option<FiscalMonth>) -> FiscalMonth {
    let before = FiscalMonth::containing(meeting).number().checked_sub(1).and_then(FiscalMonth::new);
    match (before, latest) {
        (Some(b), Some(l)) => b.min(l),
        (Some(b), None) => b,
        (None, l) => l.unwrap_or(FiscalMonth::new(1).expect("M1")),
    }
}

/// `GET .../board/meetings/{date}/pack`.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InMeeting { date }): Path<InMeeting>,
) -> Result<Response, WebError> {
    let date = Date::parse_iso(&date).map_err(|e| WebError::NotFound(format!("There is no meeting on {date}: {e}")))?;
    let records = board::load(&web, &at).await?;
    let performance = metrics::read(&web, &at).await?;
    let data = Arc::clone(&performance.data);
    let today = web.clock.today();
    blocking(move || {
        let record =
            records.meeting(date).ok_or_else(|| WebError::NotFound(format!("No meeting is recorded on {date}.")))?;
        let agreement = &data.agreement;
        let month = report_month(date, data.latest);
        let report = data.report(month);
        let pools = overview::pools_table(&data, &report);
        let performance_tables = metrics::performance_tables(&performance, month);
        let performance_here = Here::new(scope::href(&at, "/performance"), vec![("month".into(), month.to_string())]);
        let shares: Vec<Table> = agreement
            .pools()
            .iter()
            .filter_map(|p| Some(risk_share::share_table(agreement, p, &risk_share(agreement, p)?)))
            .collect();
        let aligned: Vec<_> = agreement.pools().iter().filter(|p| p.kind == PoolKind::Aligned).collect();

        let members = access::sees_confidential(&who.user);
        let shown = board::visible(&record.meeting, &who);
        let board = &record.board;
        let papers = check_papers(board, &shown, today);
        let agenda_due = record.check.agenda.due;
    let confidential = layout::cited(board.clause(BoardRule::Confidentiality));
    let papers_clause = layout::cited(board.clause(BoardRule::Papers));
        let report_here = Here::new(scope::agreement_href(&at), vec![("month".into(), month.to_string())]);
        let share_here = Here::new(scope::href(&at, "/risk-share"), Vec::new());
        let meeting_href = scope::href(&at, &format!("/board/meetings/{date}"));

        let body = html! {
            div class="app-pack" {
                section class="app-pack__section" id="pack-cover" {
                    span class="govuk-caption-l" { (agreement.name()) }
                    h1 class="govuk-heading-l" { (board.name) ": agenda pack" }
                    p class="govuk-body-l" { "Meeting of " (date.weekday().name()) " " (date) }
                    p class="govuk-body" id="pack-version" {
                        @if members {
                        strong { "Members' version" } ": confidential items and their papers are included" (confidential) ". Do not circulate beyond the board."
                        } @else {
                        strong { "Public version" } ": any item the board takes in confidence is left out" (confidential) "."
                        }
                    }
                    p class="govuk-body" {
                    "Agenda and papers due by " (agenda_due) ", " (board.agenda_working_days) " working days before the meeting" (papers_clause)
                        @match record.meeting.agenda_published { Some(d) => { "; agenda published " (d) "." }, None => "." }
                    }
                    div class="govuk-inset-text app-no-print" id="print-hint" {
                        "To print this pack or save it as a PDF, use your browser's Print command (Ctrl+P, or ⌘P on a Mac). "
                        "The printed pack leaves out the page's header, navigation and footer, and starts each section on a new page. "
                        a class="govuk-link" href=(meeting_href) { "Back to the meeting" }
                    }
                }
                section class="app-pack__section" id="pack-agenda" {
                    h2 class="govuk-heading-l" { "1. Agenda" }
                    @if shown.items.is_empty() { p class="govuk-body" { "No agenda items have been recorded." } }
                    ol class="govuk-list govuk-list--number app-pack-agenda" id="agenda" {
                        @for (n, item) in shown.items.iter().enumerate() {
                            li {
                                strong { (item.title) }
                                @if item.confidential { " " strong class="govuk-tag govuk-tag--red" { "Confidential" } }
                                @let item_papers: Vec<_> = papers.iter().filter(|p| p.item == n + 1).collect();
                                @if item_papers.is_empty() {
                                    p class="govuk-body-s" { "No papers." }
                                } @else {
                                    ul class="govuk-list govuk-list--bullet" {
                                        @for p in item_papers {
                                            li class="app-pack-paper" {
                                                (p.title) " — "
                                                @match p.published { Some(d) => { "published " (d) }, None => "not yet published" }
                                            @if p.late { " " strong class="govuk-tag govuk-tag--orange app-late" { "Late: due by " (p.due) (papers_clause) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                section class="app-pack__section" id="pack-finance" {
                    h2 class="govuk-heading-l" { "2. Monthly finance report" }
                    p class="govuk-body" {
                    "The pools at " (month_label(at.year, month)) ", the latest report before the meeting"
                        @if data.latest.is_none() { "; no ledger has been imported for " (at.year) " yet, so actuals are nil" }
                        "."
                    }
                    (overview::condition_breaches(&data, &report))
                    (layout::variance_hint())
                    (pools.render(&report_here))
                    (layout::audit_head(&data.head))
                }
                section class="app-pack__section" id="pack-performance" {
                    h2 class="govuk-heading-l" { "3. Monthly performance report" }
                    p class="govuk-body" { "The metrics and KPIs at " (month_label(at.year, month)) ", beside the finance report." }
                    (metrics::performance_body(&performance, month, &performance_tables, &performance_here))
                    (layout::audit_head(&performance.head))
                }
                section class="app-pack__section" id="pack-risk-share" {
                    h2 class="govuk-heading-l" { "4. Risk share" }
                    p class="govuk-body" {
                        "Each partner's share of a pool's shared over- or underspend: its contributions less lines kept out "
                    "of the base, plus income added back, over the total, published rounded to sum to 100; "
                    "a fixed share is the agreement's."
                    }
                    @for t in &shares { (t.render(&share_here)) }
                    @for pool in &aligned {
                        h3 class="govuk-heading-m" { (pool.name) " (" (pool.id) ")" }
                    p class="govuk-body" { "An aligned budget: it shares no risk. Each line's variance stays with its lead commissioner." }
                    }
                }
            }
        };
        let title = format!("Agenda pack, meeting of {date}");
        Ok(layout::page(&title, &Nav::new(&who, &at, Section::Board), &[], body).into_response())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_the_month_before_the_meeting_or_the_latest_with_actuals() {
        let m = |n| FiscalMonth::new(n).expect("month");
        let d = |s| Date::parse_iso(s).expect("date");
        for (meeting, latest, expected) in [
            ("2016-10-13", Some(6), 6),
            ("2016-10-13", Some(9), 6),
            ("2016-10-13", Some(2), 2),
            ("2016-10-13", None, 6),
            ("2016-04-20", Some(1), 1),
            ("2016-04-20", None, 1),
            ("2017-03-16", Some(11), 11),
        ] {
            assert_eq!(report_month(d(meeting), latest.map(m)), m(expected), "{meeting} {latest:?}");
        }
    }
}
