//! `GET /agreements/{agreement}/{year}/bcf/returns/{return}.xlsx`: a return to NHS England
//! (`plan`, `Q1`-`Q3`, `year-end`) as the workbook `pooled bcf-return` writes, for anyone
//! who acts in the agreement ([`pooled_app::bcf_return`]).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};
use pooled_core::agreement::Agreement;
use pooled_core::bcf::returns::ReturnKind;

use crate::data::Web;
use crate::error::WebError;
use crate::scope::{self, InAgreement};
use crate::table;

/// The address of a return's download.
pub fn return_href(at: &pooled_store::AgreementYear, kind: ReturnKind) -> String {
    scope::href(at, &format!("/bcf/returns/{kind}.xlsx"))
}

/// The links to an agreement's returns, for an agreement with funding streams (a Better
/// Care Fund); nothing for any other. The overview and the metrics page show them.
pub fn links(at: &pooled_store::AgreementYear, agreement: &Agreement) -> Markup {
    if agreement.streams().is_empty() {
        return html! {};
    }
    html! {
        p class="govuk-body" id="returns" {
            "The returns to NHS England, laid out like the Better Care Fund's templates (Excel): "
            @for (i, kind) in ReturnKind::ALL.into_iter().enumerate() {
                @if i > 0 { ", " }
                a class="govuk-link" href=(return_href(at, kind)) { (kind.words()) }
            }
            "."
        }
    }
}

pub async fn download(
    State(web): State<Arc<Web>>,
    InAgreement(at): InAgreement,
    Path((_, _, file)): Path<(String, String, String)>,
) -> Result<Response, WebError> {
    let named = file.strip_suffix(".xlsx").ok_or_else(|| WebError::NotFound(format!("no download `{file}`")))?;
    let kind = ReturnKind::parse(named).map_err(WebError::NotFound)?;
    let key = at.clone();
    let r = web.stores.run(move |store| Ok(pooled_app::bcf_return::bcf_return(store, &key, kind)?)).await?;
    let stem = scope::file_stem(&at, &format!("-bcf-{kind}"));
    crate::stores::blocking(move || table::xlsx_response(&stem, &pooled_app::bcf_return::return_workbook(&r))).await
}
