//! The agreement a page, download or API call is about: every one of them names it in its
//! path, `/agreements/{agreement}/{year}/...` (the API's `/api/agreements/{agreement}/{year}/...`),
//! and [`InAgreement`] takes it from there for a handler, having checked that the
//! signed-in person acts in that agreement ([`access::sees`]). The addresses of an
//! agreement's pages are made here too, so that each is written once.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use pooled_core::calendar::FinancialYear;
use pooled_store::AgreementYear;

use crate::access;
use crate::auth::Identity;
use crate::data::{Web, parse_year};
use crate::error::WebError;
use crate::layout::encode;

/// The agreement's year named by the path, for someone who acts in that agreement.
pub struct InAgreement(pub AgreementYear);

impl FromRequestParts<Arc<Web>> for InAgreement {
    /// A page's error page, or under `/api/` the API's error shape.
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Arc<Web>) -> Result<InAgreement, Response> {
        let api = parts.uri.path().starts_with("/api/");
        let refuse = |e: WebError| if api { e.into_json_response() } else { e.into_response() };
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, web)
            .await
            .map_err(|e| refuse(WebError::BadRequest(e.body_text())))?;
        let who = Identity::from_request_parts(parts, web).await.map_err(refuse)?;
        let (Some(agreement), Some(year)) = (params.get("agreement"), params.get("year")) else {
            return Err(refuse(WebError::Internal("this route names no agreement and year".into())));
        };
        // Whether the person acts in the agreement is asked before anything is read, so
        // that an agreement they may not see is refused alike whether or not it is loaded.
        access::sees(&who.user, agreement).map_err(|why| refuse(WebError::Forbidden(why)))?;
        let year = parse_year(year).map_err(refuse)?;
        Ok(InAgreement(AgreementYear::new(agreement.clone(), year)))
    }
}

/// `/agreements/{agreement}/{year}`: the agreement's pools for the year, and the start of
/// every address of its pages.
pub fn agreement_href(scope: &AgreementYear) -> String {
    format!("/agreements/{}/{}", encode(&scope.agreement), scope.year)
}

/// The address of one of the agreement's pages: `rest` is what follows its
/// [`agreement_href`], starting with `/`.
pub fn href(scope: &AgreementYear, rest: &str) -> String {
    format!("{}{rest}", agreement_href(scope))
}

/// The way from the list of agreements to the agreement's year: the breadcrumbs of its
/// pages, each page adding its own below.
pub fn breadcrumbs(scope: &AgreementYear) -> Vec<(String, String)> {
    vec![("Agreements".to_string(), "/".to_string()), (scope.to_string(), agreement_href(scope))]
}

/// A pool's page.
pub fn pool_href(scope: &AgreementYear, pool: &str) -> String {
    href(scope, &format!("/pools/{}", encode(pool)))
}

/// A cost centre's page, under its pool's: its months and ledger rows.
pub fn cost_centre_href(scope: &AgreementYear, pool: &str, code: &str) -> String {
    format!("{}/cost-centres/{}", pool_href(scope, pool), encode(code))
}

/// A partner's consolidated view across the agreements of a year: `/partners/{partner}/{year}`.
pub fn partner_href(partner: &str, year: FinancialYear) -> String {
    format!("/partners/{}/{year}", encode(partner))
}

/// What a download of the agreement's year is named, before its table and extension:
/// `pooled-oxon-s75-2016-17` and then `rest` (`-M6`, `-payments`).
pub fn file_stem(scope: &AgreementYear, rest: &str) -> String {
    format!("pooled-{}-{}{rest}", scope.agreement, scope.year)
}
