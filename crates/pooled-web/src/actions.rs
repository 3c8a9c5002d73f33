//! The changes a signed-in person can make, shared by the pages and the JSON API: each
//! runs the use case of `pooled-app` that the command line runs too (which checks the
//! change against the agreement and the plan, and makes it through the store, which
//! writes the audit entry in the same transaction), giving it [`access`]'s rule on
//! whether the role may.

use std::path::PathBuf;
use std::sync::Arc;

use pooled_app::metrics::MetricsImported;
use pooled_app::{AppError, ForecastEntry, Loaded, PaymentRecord, SavingEntry};
use pooled_core::agreement::Agreement;
use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_core::calendar::FiscalMonth;
use pooled_core::money::Money;
use pooled_core::payments::TrackedInstalment;
use pooled_store::{AgreementYear, Approval, MetricEntry, Store, User};

use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;

/// A forecast outturn as a page or the API takes it.
pub struct Forecast {
    pub month: FiscalMonth,
    pub cost_centre: String,
    pub outturn: Money,
    /// Confirmed as meant although below the cost centre's actual to date.
    pub confirm_below_actual: bool,
}

/// Enters a forecast outturn for a cost centre at its month (budget holders forecast
/// their cost centres; partner finance those of the body holding the cost centre's
/// partner's place at the end of the month, a successor from its date).
pub async fn set_forecast(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    forecast: Forecast,
) -> Result<(), WebError> {
    on_agreement(web, who, scope, move |store, agreement, user, actor| {
        let Forecast { month, cost_centre, outturn, confirm_below_actual } = forecast;
        let key = pooled_app::agreement_year(agreement);
        let month_end = key.year.month_end(month);
        let entry = ForecastEntry { agreement: &key, month, cost_centre: &cost_centre, outturn, confirm_below_actual };
        pooled_app::set_forecast(store, &entry, actor, |planned| {
            let body = agreement.partner_ix(&planned.partner).map(|ix| agreement.body_on(ix, month_end));
            let partner = body.as_ref().map_or(planned.partner.as_str(), |b| b.id.as_str());
            access::check(user, Write::SetForecast { partner, cost_centre: &planned.code })
        })
    })
    .await
}

/// Records an instalment's invoice, a payment on it, or both, and gives the instalment
/// with all that is recorded against it. Finance officers of either body to it on its due
/// date may, as may the pool manager.
pub async fn record_payment(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    record: PaymentRecord,
) -> Result<TrackedInstalment, WebError> {
    on_agreement(web, who, scope, move |store, agreement, user, actor| {
        pooled_app::record_payment(store, agreement, record, actor, |from, to| {
            access::check(user, Write::RecordPayment { from, to })
        })
    })
    .await
}

/// Records what an unagreed saving will deliver or delivered: the pool manager's alone.
pub async fn record_saving(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    entry: SavingEntry,
) -> Result<(), WebError> {
    on_agreement(web, who, scope, move |store, agreement, user, actor| {
        pooled_app::record_saving(store, agreement, &entry, actor, || access::check(user, Write::RecordSaving))
    })
    .await
}

/// Records figures of the agreement's metrics and KPIs, all or none: the pool manager any,
/// a partner's finance officer those of the KPIs naming their partner
/// ([`access::enters_series`]).
pub async fn set_metrics(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    entries: Vec<MetricEntry>,
) -> Result<(), WebError> {
    on_agreement(web, who, scope, move |store, agreement, user, actor| {
        pooled_app::metrics::set_metrics(store, agreement, &entries, actor, |series| {
            access::enters_series(user, agreement, series)
        })
    })
    .await
}

/// Imports a saved CSV or XLSX file of figures of the agreement's metrics and KPIs, all
/// or nothing, allowed as [`set_metrics`] is.
pub async fn import_metrics(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    path: PathBuf,
) -> Result<MetricsImported, WebError> {
    on_agreement(web, who, scope, move |store, agreement, user, actor| {
        pooled_app::metrics::import_metrics(store, agreement, &path, actor, |series| {
            access::enters_series(user, agreement, series)
        })
    })
    .await
}

/// Records what the area writes into a return to NHS England, every entry checked before
/// any is written: the pool manager's alone ([`Write::ReturnStatements`]).
pub async fn set_statements(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    kind: ReturnKind,
    entries: Vec<(StatementField, String)>,
) -> Result<(), WebError> {
    on_agreement(web, who, scope, move |store, agreement, user, actor| {
        let key = pooled_app::agreement_year(agreement);
        pooled_app::bcf_return::set_statements(store, &key, kind, &entries, actor, || {
            access::check(user, Write::ReturnStatements)
        })
    })
    .await
}

/// Runs a use case on a store, given the agreement's year, the signed-in user (for
/// [`access::check`]) and who the audit log names; what it refuses is the user's to
/// correct.
async fn on_agreement<T: Send + 'static>(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    work: impl FnOnce(&mut dyn Store, &Agreement, &User, &str) -> pooled_app::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    let (shared, scope) = (Arc::clone(web), scope.clone());
    web.stores
        .run(move |store| {
            let agreement = shared.agreement(store, &scope)?;
            work(store, &agreement, &user, &actor).map_err(WebError::input)
        })
        .await
}

/// Loads an agreement file, or a variation of one with the day it takes effect and who
/// approved it, from the pages or API of the agreement's year `scope`: the file must be of
/// that agreement and year. The pool manager and administrators may, for the agreements
/// they act in.
pub async fn load_agreement(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    file: String,
    text: String,
    approval: Approval,
) -> Result<Loaded, WebError> {
    let (user, actor, scope) = (who.user.clone(), who.actor().to_string(), scope.clone());
    web.stores
        .run(move |store| {
            pooled_app::load_agreement(store, &file, &text, &approval, &actor, |key| {
                access::check(&user, Write::LoadAgreement { agreement: &scope.agreement })
                    .map_err(AppError::Forbidden)?;
                if *key != scope {
                    return Err(AppError::Input(vec![format!(
                        "{file}: the file is agreement {key}, not {scope}: load it under its own agreement and year"
                    )]));
                }
                Ok(())
            })
            .map_err(WebError::input)
        })
        .await
}
