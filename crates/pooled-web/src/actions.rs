//! The changes a signed-in person can make, shared by the pages and the JSON API: each
//! runs the use case of `pooled-app` that the command line runs too (which checks the
//! change against the agreement and the plan, and makes it through the store, which
//! writes the audit entry in the same transaction), giving it [`access`]'s rule on
//! whether the role may.

use std::sync::Arc;

use pooled_app::{ForecastEntry, PaymentRecord};
use pooled_core::calendar::FiscalMonth;
use pooled_core::money::Money;
use pooled_store::AgreementYear;

use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;

/// Enters `outturn` as the forecast for a cost centre at `month` (budget holders
/// forecast their cost centres; partner finance those of the body holding the cost
/// centre's partner's place at the end of the month, a successor from its date).
pub async fn set_forecast(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    month: FiscalMonth,
    cost_centre: String,
    outturn: Money,
) -> Result<(), WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    let (shared, scope) = (Arc::clone(web), scope.clone());
    web.stores
        .run(move |store| {
            let agreement = shared.agreement(store, &scope)?;
            let month_end = scope.year.month_end(month);
            let entry = ForecastEntry { agreement: &scope, month, cost_centre: &cost_centre, outturn };
            pooled_app::set_forecast(store, &entry, &actor, |planned| {
                let body = agreement.partner_ix(&planned.partner).map(|ix| agreement.body_on(ix, month_end));
                let partner = body.as_ref().map_or(planned.partner.as_str(), |b| b.id.as_str());
                access::check(&user, Write::SetForecast { partner, cost_centre: &planned.code })
            })
            .map_err(WebError::input)
        })
        .await
}

/// Records when an instalment of the schedule was raised and paid. Finance officers of
/// either body to it on its due date may, as may the pool manager.
pub async fn record_payment(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    record: PaymentRecord,
) -> Result<(), WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    let (shared, scope) = (Arc::clone(web), scope.clone());
    web.stores
        .run(move |store| {
            let agreement = shared.agreement(store, &scope)?;
            pooled_app::record_payment(store, &agreement, record, &actor, |from, to| {
                access::check(&user, Write::RecordPayment { from, to })
            })
            .map_err(WebError::input)?;
            Ok(())
        })
        .await
}
