//! The changes a signed-in person can make, shared by the pages and the JSON API: each
//! runs the use case of `pooled-app` that the command line runs too (which checks the
//! change against the agreement and the plan, and makes it through the store, which
//! writes the audit entry in the same transaction), giving it [`access`]'s rule on
//! whether the role may.

use std::sync::Arc;

use pooled_app::{ForecastEntry, Loaded, PaymentRecord};
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::money::Money;
use pooled_core::payments::TrackedInstalment;
use pooled_store::Approval;

use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;

/// Enters `outturn` as the forecast for a cost centre at `month` (budget holders
/// forecast their cost centres; partner finance their partner's).
pub async fn set_forecast(
    web: &Arc<Web>,
    who: &Identity,
    year: FinancialYear,
    month: FiscalMonth,
    cost_centre: String,
    outturn: Money,
) -> Result<(), WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    let shared = Arc::clone(web);
    web.stores
        .run(move |store| {
            let scope = shared.scope(store, year)?;
            let entry = ForecastEntry { agreement: &scope, month, cost_centre: &cost_centre, outturn };
            pooled_app::set_forecast(store, &entry, &actor, |planned| {
                access::check(&user, Write::SetForecast { partner: &planned.partner, cost_centre: &planned.code })
            })
            .map_err(WebError::input)
        })
        .await
}

/// Records an instalment's invoice, a payment on it, or both, and gives the instalment
/// with all that is recorded against it. Finance officers of either partner to it may,
/// as may the pool manager.
pub async fn record_payment(
    web: &Arc<Web>,
    who: &Identity,
    year: FinancialYear,
    record: PaymentRecord,
) -> Result<TrackedInstalment, WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    let shared = Arc::clone(web);
    web.stores
        .run(move |store| {
            let agreement = shared.agreement(store, year)?;
            pooled_app::record_payment(store, &agreement, record, &actor, |from, to| {
                access::check(&user, Write::RecordPayment { from, to })
            })
            .map_err(WebError::input)
        })
        .await
}

/// Loads an agreement file, or a variation of one with the day it takes effect and who
/// approved it; the pool manager and administrators may, for the agreements they act in.
pub async fn load_agreement(
    web: &Arc<Web>,
    who: &Identity,
    file: String,
    text: String,
    approval: Approval,
) -> Result<Loaded, WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    web.stores
        .run(move |store| {
            pooled_app::load_agreement(store, &file, &text, &approval, &actor, |key| {
                access::check(&user, Write::LoadAgreement { agreement: &key.agreement })
            })
            .map_err(WebError::input)
        })
        .await
}
