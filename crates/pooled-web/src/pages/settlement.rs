//! `/settlement/{year}`: the year-end settlement on the ledger: every pool's
//! variance split part by part, each with its rule, line and clause, and the invoices
//! that settle each pool with its host, net of the instalments invoiced and unpaid. Clawbacks waived by recorded decision are
//! chosen with `?waive=RULE`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_app::Anchored;
use pooled_core::agreement::{Agreement, RuleKind};
use pooled_core::calendar::FiscalMonth;
use pooled_core::settlement::Invoice;
use pooled_files::{Cell, ColumnKind};

use super::pool::parts_table;
use super::{QueryPairs, get, month_label};
use crate::auth::Identity;
use crate::data::{Web, parse_year};
use crate::error::WebError;
use crate::layout::{self, Nav, Section, pounds};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, Table, column, text};

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    Path(year): Path<String>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = parse_year(&year)?;
    let format = Format::parse(get(&query, "format"))?;
    let asked: Vec<String> = query.iter().filter(|(k, _)| k == "waive").map(|(_, v)| v.clone()).collect();
    let shared = Arc::clone(&web);
    // The statement, what it rests on and the audit log's head, as of one moment.
    let Anchored { value: (end, imported, closed), head } = web
        .stores
        .run(move |store| {
            pooled_app::anchored(store, |store| {
                let scope = shared.scope(store, year)?;
                let agreement = shared.agreement_of(store, &scope)?;
                // Only the agreement's own rules can be waived; anything else in the query
                // is ignored rather than silently "waived".
                let waived: Vec<String> =
                    asked.into_iter().filter(|id| rule_ids(&agreement).any(|r| r == id)).collect();
                let end = pooled_app::year_end(store, &scope, &waived)?;
                let mut imported: Vec<FiscalMonth> = store.imports(&scope)?.iter().map(|i| i.period.month).collect();
                imported.dedup();
                let closed = store.closed_periods(&scope)?.len();
                Ok::<_, WebError>((end, imported, closed))
            })
        })
        .await?;
    blocking(move || {
        let a = &end.agreement;
        let mut tables: Vec<Table> = end
            .settlements
            .iter()
            .map(|s| {
                let name = a.pool(&s.pool).map_or("", |p| p.name.as_str());
                let caption = format!(
                    "{name} ({}): budget {}, outturn {}, variance {}",
                    s.pool,
                    pounds(s.budget),
                    pounds(s.outturn),
                    pounds(s.variance)
                );
                parts_table(a, s, &s.pool, caption)
            })
            .collect();
        tables.push(invoices_table(a, &end.invoices));
        if format != Format::Html {
            let tables: Vec<Table> = tables.into_iter().map(|t| t.with_audit_head(&head)).collect();
            return table::export(&tables, get(&query, "table"), format, &format!("pooled-{year}-settlement"));
        }
        let here = Here::new(format!("/settlement/{year}"), query);
        let rules: Vec<_> = a.pools().iter().flat_map(|p| p.rules.iter().map(move |r| (p, r))).collect();
        let body = html! {
            span class="govuk-caption-l" { (a.name()) }
            h1 class="govuk-heading-l" { "Year-end settlement " (year) }
            p class="govuk-body" {
                "Each line's outturn is the sum of its cost centres' ledger actuals. Lines borne by one partner go to that "
            "partner, lead and aligned lines to their lead commissioner, underspend clawbacks and unagreed savings "
            "are taken out, and the rest is shared by the risk share. Each part below cites its clause of the "
            "agreement, or names its rule where the agreement gives none."
            }
            p class="govuk-body" {
                "Each invoice settles a pool between two partners in one payment: the settlement between them, net of "
                "the pool's instalments invoiced and not yet paid between them either way (see the "
                a class="govuk-link" href={ "/payments/" (year) } { "payments page" } ")."
            }
            @match (imported.first(), imported.last()) {
                (Some(first), Some(last)) if imported.len() < 12 || closed < 12 => {
                    div class="govuk-warning-text" {
                        span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                        strong class="govuk-warning-text__text" {
                            span class="govuk-visually-hidden" { "Warning" }
                            "Provisional: the ledger holds " (month_label(year, *first)) " to " (month_label(year, *last))
                            " (" (imported.len()) " of 12 months, " (closed) " closed). The settlement is final once all twelve are imported and closed."
                        }
                    }
                }
                (None, _) => {
                    div class="govuk-warning-text" {
                        span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                        strong class="govuk-warning-text__text" {
                            span class="govuk-visually-hidden" { "Warning" }
                            "No ledger is imported for " (year) ": every line's outturn is nil."
                        }
                    }
                }
                _ => {}
            }
            @if !rules.is_empty() {
                form method="get" action={ "/settlement/" (year) } {
                    div class="govuk-form-group" {
                        fieldset class="govuk-fieldset" {
                        legend class="govuk-fieldset__legend govuk-fieldset__legend--s" { "Clawbacks waived by recorded decision" }
                            div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes" {
                                @for (i, (pool, rule)) in rules.iter().enumerate() {
                                    @let RuleKind::UnderspendClawback { line, to, cap } = rule.kind;
                                    @let waived = end.outturn.is_waived(&rule.id);
                                    div class="govuk-checkboxes__item" {
                                        input class="govuk-checkboxes__input" id={ "waive-" (i) } name="waive" type="checkbox" value=(rule.id) checked[waived];
                                        label class="govuk-label govuk-checkboxes__label" for={ "waive-" (i) } {
                                            "Waive " (rule.id) ": the clawback of any " (pool.lines[line].name) " underspend by "
                                            (a.partners()[to].id) ", up to " (pounds(cap))
                                            @if let Some(c) = &rule.clause { " (" (c) ")" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    button type="submit" class="govuk-button govuk-button--secondary" data-module="govuk-button" { "Recalculate" }
                }
            }
            (layout::variance_hint())
            @for t in &tables { (t.render(&here)) }
            (layout::audit_head(&head))
        };
        Ok(layout::page(&format!("Settlement {year}"), &Nav::new(&who, year, Section::Settlement), &[], body)
            .into_response())
    })
    .await
}

fn rule_ids(a: &Agreement) -> impl Iterator<Item = &str> {
    a.pools().iter().flat_map(|p| p.rules.iter().map(|r| r.id.as_str()))
}

/// Each invoice with what it nets off: the settlement between the pair, and the pool's
/// instalments invoiced and unpaid between them.
fn invoices_table(a: &Agreement, invoices: &[Invoice]) -> Table {
    let columns = vec![
        column("Pool", ColumnKind::Text),
        column("Payer", ColumnKind::Text),
        column("Payee", ColumnKind::Text),
        column("Amount", ColumnKind::Money),
        column("Nets off", ColumnKind::Text),
    ];
    let body = |ix| a.body_at_year_end(ix).id;
    let rows = invoices
        .iter()
        .map(|i| {
            let parts: Vec<String> = (i.parts.iter())
                .map(|p| format!("{}: {} owes {} {}", p.kind.words(), body(p.payer), body(p.payee), pounds(p.amount)))
                .collect();
            Row::new(vec![
                text(i.pool.clone()),
                text(i.payer_body.id.clone()),
                text(i.payee_body.id.clone()),
                Cell::Money(i.amount),
                text(parts.join("; ")),
            ])
        })
        .collect();
    let caption = "Invoices to settle each pool, net of instalments invoiced and unpaid".into();
    Table { id: "invoices".into(), caption, columns, rows }
}
