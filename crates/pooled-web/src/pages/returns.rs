//! The returns to NHS England (`plan`, `Q1`-`Q3`, `year-end`; [`pooled_app::bcf_return`]):
//! `GET /agreements/{agreement}/{year}/bcf/returns/{return}.xlsx`, the workbook `pooled
//! bcf-return` writes, for anyone who acts in the agreement; and `.../{return}/statements`,
//! what the area writes into it (the cover's fields, each condition's assurance statement),
//! which the pool manager writes there ([`Write::ReturnStatements`]) and the others read.
//! The BCF plan page lists them ([`returns_list`]).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::bcf_return::{ReturnStatements, StatementSlot};
use pooled_core::bcf::returns::{MAX_STATEMENT_CHARS, ReturnKind, StatementField};
use pooled_core::diagnostic::group_thousands;
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::{QueryPairs, get};
use crate::access::{self, Write};
use crate::actions;
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table;

/// The address of a return's download.
pub fn return_href(at: &AgreementYear, kind: ReturnKind) -> String {
    scope::href(at, &format!("/bcf/returns/{kind}.xlsx"))
}

/// The address of a return's statements.
pub fn statements_href(at: &AgreementYear, kind: ReturnKind) -> String {
    scope::href(at, &format!("/bcf/returns/{kind}/statements"))
}

/// Each return with its download (id `return-Q2`, its text naming it: "Q2 return") and its
/// statements page (id `statements-Q2`).
pub fn returns_list(at: &AgreementYear) -> Markup {
    html! {
        h2 class="govuk-heading-m" id="returns" { "Returns to NHS England" }
        p class="govuk-body" {
            "Laid out like the Better Care Fund's templates (Excel: Cover, Income, Expenditure, Metrics, National "
            "conditions), from the figures these pages show: the plan from the agreement's budgets, a quarter's "
            "return from the ledger at its last month (M3, M6, M9), the end-of-year return at M12."
        }
        ul class="govuk-list" {
            @for kind in ReturnKind::ALL {
                li {
                    a class="govuk-link" id={ "return-" (kind) } href=(return_href(at, kind)) { (capitalised(&kind.words())) " (Excel)" }
                    " · "
                    a class="govuk-link" id={ "statements-" (kind) } href=(statements_href(at, kind)) {
                        "cover and assurance statements" span class="govuk-visually-hidden" { " of the " (kind.words()) }
                    }
                }
            }
        }
    }
}

/// The links to an agreement's returns, for an agreement with funding streams (a Better
/// Care Fund); nothing for any other. The overview and the metrics page show them.
pub fn links(at: &AgreementYear, agreement: &pooled_core::agreement::Agreement) -> Markup {
    if agreement.streams().is_empty() {
        return html! {};
    }
    html! {
        p class="govuk-body" {
            "The returns to NHS England, laid out like the Better Care Fund's templates (Excel): "
            @for (i, kind) in ReturnKind::ALL.into_iter().enumerate() {
                @if i > 0 { ", " }
                a class="govuk-link" href=(return_href(at, kind)) { (kind.words()) }
            }
            "; their cover and assurance statements are written from "
            a class="govuk-link" href={ (super::bcf::href(at)) "#returns" } { "the funding streams and schemes page" }
            "."
        }
    }
}

fn capitalised(words: &str) -> String {
    let mut chars = words.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

/// The return's workbook as a download: the page's and the API's.
pub async fn workbook(web: &Arc<Web>, at: AgreementYear, kind: ReturnKind) -> Result<Response, WebError> {
    let key = at.clone();
    let r = web.stores.run(move |store| Ok(pooled_app::bcf_return::bcf_return(store, &key, kind)?)).await?;
    let stem = scope::file_stem(&at, &format!("-bcf-{kind}"));
    blocking(move || table::xlsx_response(&stem, &pooled_app::bcf_return::return_workbook(&r))).await
}

/// `GET .../bcf/returns/{return}.xlsx`.
pub async fn download(
    State(web): State<Arc<Web>>,
    InAgreement(at): InAgreement,
    Path(InReturn { named }): Path<InReturn>,
) -> Result<Response, WebError> {
    let named = named.strip_suffix(".xlsx").ok_or_else(|| WebError::NotFound(format!("no download `{named}`")))?;
    workbook(&web, at, return_kind(named)?).await
}

/// The return a path names: `Q2` (with `.xlsx` for its download).
#[derive(Deserialize)]
pub struct InReturn {
    #[serde(rename = "return")]
    pub(crate) named: String,
}

/// The return `named`, or a page saying there is none of that name.
pub fn return_kind(named: &str) -> Result<ReturnKind, WebError> {
    ReturnKind::parse(named).map_err(WebError::NotFound)
}

/// `GET .../bcf/returns/{return}/statements`: what is written into the return, with the
/// form to write it for the pool manager.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InReturn { named }): Path<InReturn>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let saved = get(&query, "saved").is_some();
    respond(&web, who, at, return_kind(&named)?, Shown::Stored { saved }).await
}

/// `POST .../bcf/returns/{return}/statements`: every field of the form (`completed-by`,
/// `contact`, `narrative`, `condition:KEY`), saved together or not at all; back to the
/// page saying so, or the form again with what was entered and why it was refused.
pub async fn save(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Path(InReturn { named }): Path<InReturn>,
    Form(fields): Form<QueryPairs>,
) -> Result<Response, WebError> {
    let kind = return_kind(&named)?;
    let mut entries = Vec::new();
    for (name, text) in fields.iter().filter(|(name, _)| name != "csrf_token") {
        entries.push((StatementField::parse(name).map_err(WebError::BadRequest)?, text.clone()));
    }
    match actions::set_statements(&web, &who, &at, kind, entries).await {
        Ok(()) => Ok(Redirect::to(&format!("{}?saved=1", statements_href(&at, kind))).into_response()),
        Err(WebError::Invalid(problems)) => respond(&web, who, at, kind, Shown::Refused { fields, problems }).await,
        Err(other) => Err(other),
    }
}

/// What the page shows besides the stored statements.
enum Shown {
    /// The stored statements; `saved` just after the form saved them.
    Stored { saved: bool },
    /// The form as entered, and why it was refused.
    Refused { fields: QueryPairs, problems: Vec<String> },
}

async fn respond(
    web: &Arc<Web>,
    who: Identity,
    at: AgreementYear,
    kind: ReturnKind,
    shown: Shown,
) -> Result<Response, WebError> {
    let key = at.clone();
    let read = web.stores.run(move |store| Ok(pooled_app::bcf_return::statements(store, &key, kind)?)).await?;
    blocking(move || {
        let status =
            if matches!(shown, Shown::Refused { .. }) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
        Ok((status, render(&who, &at, &read, &shown)).into_response())
    })
    .await
}

/// The field's id in the form: `statement-condition-social-care`.
fn field_id(field: &StatementField) -> String {
    format!("statement-{}", field.key().replace(':', "-"))
}

fn render(who: &Identity, at: &AgreementYear, read: &ReturnStatements, shown: &Shown) -> Markup {
    let a = &read.agreement;
    let words = capitalised(&read.kind.words());
    let writes = access::check(&who.user, Write::ReturnStatements);
    let body = html! {
        span class="govuk-caption-l" { (a.name()) }
        h1 class="govuk-heading-l" { (words) " " (at.year) ": cover and assurance statements" }
        @match shown {
            Shown::Stored { saved: true } => (layout::saved_banner(&format!("The {}'s statements are saved.", read.kind.words()))),
            Shown::Refused { problems, .. } => {
                (layout::error_summary(&problems.iter().map(|p| ("statements".to_string(), p.clone())).collect::<Vec<_>>()))
            }
            Shown::Stored { saved: false } => {}
        }
        p class="govuk-body" {
            "What the area writes into the return: who completed it, the narrative, and an assurance statement for "
            "each of the fund's conditions the agreement holds it to. The workbook gives them as written, as text. "
            a class="govuk-link" id={ "return-" (read.kind) } href=(return_href(at, read.kind)) { "Download the " (read.kind.words()) " (Excel)" }
        }
        @match writes {
            Ok(()) => (statements_form(who, at, read, shown)),
            Err(_) => {
                (written(read))
                p class="govuk-hint" { "The pool manager writes them." }
            }
        }
        (layout::audit_head(&read.head))
    };
    let mut crumbs = scope::breadcrumbs(at);
    crumbs.push(("Funding streams and schemes".into(), format!("{}#returns", super::bcf::href(at))));
    let nav = Nav::new(who, at, a, Section::Bcf);
    layout::page(&format!("{words} {}: statements", at.year), &nav, &crumbs, body)
}

/// Who wrote a statement and when.
fn provenance(stored: &pooled_store::StoredStatement) -> String {
    format!("Written by {} at {}", stored.entered_by, stored.entered_at.strftime("%Y-%m-%d %H:%M UTC"))
}

/// The slot's words, and a condition's source.
fn slot_label(slot: &StatementSlot) -> Markup {
    html! {
        (capitalised(&slot.what))
        @if let Some(source) = &slot.source { span class="govuk-hint" { (source) } }
    }
}

/// The statements as written, for those who read them.
fn written(read: &ReturnStatements) -> Markup {
    html! {
        dl class="govuk-summary-list" id="statements" {
            @for (slot, stored) in &read.slots {
                div class="govuk-summary-list__row" {
                    dt class="govuk-summary-list__key" { (slot_label(slot)) }
                    dd class="govuk-summary-list__value" id=(field_id(&slot.field)) {
                        @match stored {
                            Some(s) => {
                                @for (i, line) in s.text.lines().enumerate() { @if i > 0 { br; } (line) }
                                p class="govuk-hint" { (provenance(s)) }
                            }
                            None => span class="govuk-hint" { "Not written" },
                        }
                    }
                }
            }
        }
    }
}

/// The pool manager's form: every slot, with what is stored or what was just entered.
fn statements_form(who: &Identity, at: &AgreementYear, read: &ReturnStatements, shown: &Shown) -> Markup {
    let value = |field: &StatementField, stored: Option<&pooled_store::StoredStatement>| match shown {
        Shown::Refused { fields, .. } => get(fields, &field.key()).unwrap_or("").to_string(),
        Shown::Stored { .. } => stored.map(|s| s.text.clone()).unwrap_or_default(),
    };
    html! {
        form method="post" action=(statements_href(at, read.kind)) id="statements" novalidate {
            (layout::csrf_field(who))
            @for (slot, stored) in &read.slots {
                @let id = field_id(&slot.field);
                @let text = value(&slot.field, stored.as_ref());
                div class="govuk-form-group" {
                    label class="govuk-label govuk-label--s" for=(id) { (slot_label(slot)) }
                    @if let Some(s) = stored { div class="govuk-hint" { (provenance(s)) } }
                    @match slot.field {
                        StatementField::CompletedBy | StatementField::Contact => {
                            input class="govuk-input" id=(id) name=(slot.field.key()) type="text" spellcheck="false"
                                maxlength=(MAX_STATEMENT_CHARS) value=(text);
                        }
                        _ => {
                            textarea class="govuk-textarea" id=(id) name=(slot.field.key()) rows="4"
                                maxlength=(MAX_STATEMENT_CHARS) { (text) }
                        }
                    }
                }
            }
            p class="govuk-hint" {
                "At most " (group_thousands(MAX_STATEMENT_CHARS as u64)) " characters each; an empty field clears its statement. "
                "Everything is saved together, or nothing is."
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Save the statements" }
        }
    }
}
