//! `/audit`: the audit log (who changed what, when, before and after), newest
//! first, filtered by actor and action, a hundred entries a page, under the result of
//! checking its hash chain. Only the roles [`access::reads_audit_log`] names may read it,
//! and each reader only the entries [`access::reads_audit_entry`] gives them; the check
//! is of the whole chain.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_app::Anchored;
use pooled_files::{Cell, ColumnKind};
use pooled_store::{AuditEntry, AuditHead, AuditProblem};

use super::{QueryPairs, get};
use crate::access::{self, role_label};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text, with_query};

const PAGE_SIZE: usize = 100;

/// What the reader asked to see: every entry, or one actor's or one action's.
struct Filters {
    actor: Option<String>,
    action: Option<String>,
}

impl Filters {
    fn from_query(query: &QueryPairs) -> Filters {
        let chosen = |key| get(query, key).filter(|v| !v.is_empty()).map(str::to_string);
        Filters { actor: chosen("actor"), action: chosen("action") }
    }

    fn admit(&self, entry: &AuditEntry) -> bool {
        self.actor.as_ref().is_none_or(|a| *a == entry.actor) && self.action.as_ref().is_none_or(|a| *a == entry.action)
    }

    /// As a query, for the page links and downloads.
    fn query(&self) -> Vec<(String, String)> {
        [("actor", &self.actor), ("action", &self.action)]
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_string(), value.clone()?)))
            .collect()
    }
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    if !access::reads_audit_log(&who.user) {
        return Err(WebError::Forbidden(format!(
            "You are signed in as {} ({}), who cannot read the audit log: finance officers, the pool manager, \
             administrators and board members can.",
            who.user.display_name,
            role_label(who.user.role).to_lowercase()
        )));
    }
    let format = Format::parse(get(&query, "format"))?;
    let filters = Filters::from_query(&query);
    let page_number = match get(&query, "page").filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| WebError::BadRequest(format!("`{p}` is not a page number")))?,
    };
    // A head published earlier, to check the log against (a bad one is said on the page).
    let published =
        get(&query, "head").map(str::trim).filter(|h| !h.is_empty()).map(|h| (h.to_string(), AuditHead::parse(h)));
    let heads: Vec<AuditHead> = published.iter().filter_map(|(_, head)| head.clone().ok()).collect();
    // The check reads every live import's rows again (millions, for a county's year), so
    // it runs when asked for, not on every view or download.
    let check = format == Format::Html
        && get(&query, "check") == Some("chain")
        && published.as_ref().is_none_or(|(_, head)| head.is_ok());
    let check_against = heads.clone();
    let Anchored { value: (log, problem), head } = web
        .stores
        .run(move |store| {
            pooled_app::anchored(store, |store| {
                let problem = if check { store.verify_audit_against(&check_against)? } else { None };
                Ok::<_, WebError>((store.audit_log()?, problem))
            })
        })
        .await?;
    blocking(move || {
        let readable: Vec<&AuditEntry> = log.iter().filter(|e| access::reads_audit_entry(&who.user, e)).collect();
        let newest_first: Vec<&AuditEntry> = readable.iter().rev().copied().filter(|e| filters.admit(e)).collect();
        if format != Format::Html {
            let all = audit_table(&newest_first, "Audit log, newest first".into(), str::to_string);
            return table::export(&[all], get(&query, "table"), format, "pooled-audit");
        }
        let pages = newest_first.len().div_ceil(PAGE_SIZE).max(1);
        if page_number > pages {
            return Err(WebError::NotFound(format!("The audit log has {pages} pages of entries with these filters.")));
        }
        let first = (page_number - 1) * PAGE_SIZE;
        let on_page = &newest_first[first..newest_first.len().min(first + PAGE_SIZE)];
        let caption = match on_page {
            [] => "No entries".to_string(),
            _ => format!("Entries {} to {} of {}, newest first", first + 1, first + on_page.len(), newest_first.len()),
        };
        let table = audit_table(on_page, caption, compact);
        let here = Here::new("/audit".into(), filters.query());
        let body = html! {
            h1 class="govuk-heading-l" { "Audit log" }
            (chain_check(check, log.len(), problem.as_ref(), &heads))
            (head_check(&head, published.as_ref()))
            p class="govuk-body" {
                "Every change is recorded in the same transaction as the change itself: who made it, when (UTC), "
                "what it changed and its values before and after. Each entry carries a SHA-256 hash of itself and of the "
                "entry before it, so an edited or deleted entry breaks the chain. The chain is checked whole; listed "
                "are the entries of the agreements you act in, and to administrators those of accounts, sign-ins and "
                "API tokens."
            }
            (filter_form(&readable, &filters))
            p class="govuk-hint" {
                "Before and after list the fields changed. Here digests (SHA-256) are shortened to their first 12 "
                "characters and long values cut at " (LONG_LINE) "; the downloads hold them in full, and every entry "
                "that matches the filters."
            }
            (table.render(&here))
            (pagination(&filters, page_number, pages))
        };
        Ok(layout::page("Audit log", &Nav::signed_in(&who), &[], body).into_response())
    })
    .await
}

/// The result of the chain check (against the heads given, if any), first on the page,
/// or the link that runs it.
fn chain_check(checked: bool, entries: usize, problem: Option<&AuditProblem>, heads: &[AuditHead]) -> Markup {
    html! {
        @match problem {
            None if !checked => {
                p class="govuk-body" {
                    a class="govuk-link" href="/audit?check=chain" id="check-chain" { "Check the hash chain" }
                    " of all " (entries) " entries and the ledger rows they recorded (this reads every imported row)."
                }
            }
            None => {
                div class="govuk-inset-text" id="check-result" {
                    "The audit log is intact: " (entries) " entries verified"
                    @for head in heads { ", and unchanged up to the published head " code { (head) } }
                    "."
                }
            }
            Some(problem) => {
                div class="govuk-warning-text" id="check-result" {
                    span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                    strong class="govuk-warning-text__text" {
                        span class="govuk-visually-hidden" { "Warning" }
                        "The audit log does not check out at entry " (problem.seq) ": " (problem.reason) ". "
                        "The log, or the records it vouches for, has been changed outside pooled since."
                    }
                }
            }
        }
    }
}

/// The log's head as this page read it, and a form to check the log against a head
/// published earlier (on a report, pack or statement); `published` is the one given, as
/// typed and as read.
fn head_check(head: &AuditHead, published: Option<&(String, Result<AuditHead, String>)>) -> Markup {
    let error = published.and_then(|(_, head)| head.as_ref().err());
    html! {
        p class="govuk-body app-audit-head" id="audit-head" {
            (pooled_app::HEAD_LABEL) ": " code { (head) }
            ". Reports, agenda packs and settlement statements print the head as of their figures."
        }
        form method="get" action="/audit" id="check-head" {
            input type="hidden" name="check" value="chain";
            div class={ "govuk-form-group" @if error.is_some() { " govuk-form-group--error" } } {
                label class="govuk-label" for="head" { "Check the log against a head published earlier" }
                div class="govuk-hint" id="head-hint" {
                    "As a report, pack or statement prints it: the entry's number, a colon and its 64-digit hash."
                }
                @if let Some(error) = error {
                    p class="govuk-error-message" id="head-error" {
                        span class="govuk-visually-hidden" { "Error:" } " " (error)
                    }
                }
                input class={ "govuk-input" @if error.is_some() { " govuk-input--error" } } id="head" name="head"
                    type="text" spellcheck="false" autocomplete="off" aria-describedby="head-hint"
                    value=(published.map_or("", |(typed, _)| typed.as_str()));
            }
            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Check" }
        }
    }
}

/// Lines of before and after longer than this are cut short on the page: a plan's list
/// of cost centres can run to thousands of characters.
const LONG_LINE: usize = 100;

/// Before and after on one line, digests and long values cut short:
/// `raised_on=2016-02-20; paid_on=-`.
fn compact(fields: &str) -> String {
    let shorten = |line: &str| match line.split_once('=') {
        Some((key, value)) if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) => {
            format!("{key}={}…", &value[..12])
        }
        _ if line.chars().count() > LONG_LINE => format!("{}…", line.chars().take(LONG_LINE).collect::<String>()),
        _ => line.to_string(),
    };
    fields.lines().map(shorten).collect::<Vec<_>>().join("; ")
}

/// The entries as a table; `fields` shows each before and after.
fn audit_table(entries: &[&AuditEntry], caption: String, fields: fn(&str) -> String) -> Table {
    let rows = entries
        .iter()
        .map(|e| {
            Row::new(vec![
                Cell::Integer(e.seq),
                text(e.at.to_string()),
                text(e.actor.clone()),
                text(e.action.clone()),
                text(e.subject.clone()),
                text(fields(&e.before)),
                text(fields(&e.after)),
            ])
        })
        .collect();
    Table {
        id: "audit".into(),
        caption,
        columns: vec![
            column("Entry", ColumnKind::Integer),
            column("At (UTC)", ColumnKind::Text),
            column("Actor", ColumnKind::Text),
            column("Action", ColumnKind::Text),
            column("Subject", ColumnKind::Text),
            column("Before", ColumnKind::Text),
            column("After", ColumnKind::Text),
        ],
        rows,
    }
}

/// Choices of actor and action among those in the log, sent as a GET form.
fn filter_form(log: &[&AuditEntry], filters: &Filters) -> Markup {
    let actors: BTreeSet<&str> = log.iter().map(|e| e.actor.as_str()).collect();
    let actions: BTreeSet<&str> = log.iter().map(|e| e.action.as_str()).collect();
    let select = |name: &str, label: &str, all: &str, values: &BTreeSet<&str>, chosen: &Option<String>| {
        html! {
            div class="govuk-form-group" {
                label class="govuk-label" for=(name) { (label) }
                select class="govuk-select" id=(name) name=(name) {
                    option value="" selected[chosen.is_none()] { (all) }
                    @for v in values {
                        option value=(v) selected[chosen.as_deref() == Some(*v)] { (v) }
                    }
                }
            }
        }
    };
    html! {
        form method="get" action="/audit" class="app-inline-form" {
            (select("actor", "Actor", "Everyone", &actors, &filters.actor))
            (select("action", "Action", "Every action", &actions, &filters.action))
            button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Filter" }
            @if filters.actor.is_some() || filters.action.is_some() {
                p class="govuk-body" { a class="govuk-link" href="/audit" { "Clear filters" } }
            }
        }
    }
}

/// The pages to link to: the first, the last, and the current with its neighbours;
/// `None` where pages are left out.
fn pages_shown(current: usize, pages: usize) -> Vec<Option<usize>> {
    let mut out = Vec::new();
    for n in 1..=pages {
        if n == 1 || n == pages || n.abs_diff(current) <= 1 {
            out.push(Some(n));
        } else if out.last() != Some(&None) {
            out.push(None);
        }
    }
    out
}

/// GOV.UK pagination: previous, the page numbers, next. Nothing for a single page.
fn pagination(filters: &Filters, current: usize, pages: usize) -> Markup {
    let href = |n: usize| {
        let mut query = filters.query();
        if n > 1 {
            query.push(("page".into(), n.to_string()));
        }
        with_query("/audit", &query)
    };
    html! {
        @if pages > 1 {
            nav class="govuk-pagination" aria-label="Pages of the audit log" {
                @if current > 1 {
                    div class="govuk-pagination__prev" {
                        a class="govuk-link govuk-pagination__link" href=(href(current - 1)) rel="prev" {
                            span class="govuk-pagination__link-title" { "Previous" span class="govuk-visually-hidden" { " page" } }
                        }
                    }
                }
                ul class="govuk-pagination__list" {
                    @for shown in pages_shown(current, pages) {
                        @match shown {
                            Some(n) if n == current => {
                                li class="govuk-pagination__item govuk-pagination__item--current" {
                                    a class="govuk-link govuk-pagination__link" href=(href(n)) aria-label={ "Page " (n) } aria-current="page" { (n) }
                                }
                            }
                            Some(n) => {
                                li class="govuk-pagination__item" {
                                    a class="govuk-link govuk-pagination__link" href=(href(n)) aria-label={ "Page " (n) } { (n) }
                                }
                            }
                            None => { li class="govuk-pagination__item govuk-pagination__item--ellipsis" { "⋯" } }
                        }
                    }
                }
                @if current < pages {
                    div class="govuk-pagination__next" {
                        a class="govuk-link govuk-pagination__link" href=(href(current + 1)) rel="next" {
                            span class="govuk-pagination__link-title" { "Next" span class="govuk-visually-hidden" { " page" } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_around_the_current_one_are_linked_the_rest_elided() {
        assert_eq!(pages_shown(1, 1), [Some(1)]);
        assert_eq!(pages_shown(1, 3), [Some(1), Some(2), Some(3)]);
        assert_eq!(pages_shown(1, 9), [Some(1), Some(2), None, Some(9)]);
        assert_eq!(pages_shown(5, 9), [Some(1), None, Some(4), Some(5), Some(6), None, Some(9)]);
        assert_eq!(pages_shown(9, 9), [Some(1), None, Some(8), Some(9)]);
    }

    #[test]
    fn before_and_after_are_one_line_with_short_digests() {
        let digest = "ab".repeat(32);
        assert_eq!(
            compact(&format!("file=a.csv\nfile_sha256={digest}\nrows=3")),
            "file=a.csv; file_sha256=abababababab…; rows=3"
        );
        assert_eq!(compact("raised_on=2016-02-20\npaid_on=-"), "raised_on=2016-02-20; paid_on=-");
        let codes = (1..=100).map(|n| format!("OCC-{n:03}")).collect::<Vec<_>>().join(",");
        let shown = compact(&format!("added={codes}"));
        assert_eq!(shown.chars().count(), LONG_LINE + 1);
        assert!(shown.starts_with("added=OCC-001,OCC-002,") && shown.ends_with('…'));
        assert_eq!(compact(""), "");
    }
}
