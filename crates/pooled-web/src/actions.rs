//! The changes a signed-in person can make, shared by the pages and the JSON API so that
//! both check the same things: each asks [`access`] whether the role may, checks the
//! change against the agreement and the plan, then makes it through the store, which
//! writes the audit entry (who, when, before and after) in the same transaction.

use std::sync::Arc;

use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::money::Money;
use pooled_store::PaymentStatus;

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
    web.stores
        .run(move |store| {
            let planned = pooled_app::planned_cost_centre(store, year, &cost_centre).map_err(WebError::input)?;
            let write = Write::SetForecast { partner: &planned.partner, cost_centre: &planned.code };
            access::check(&user, write).map_err(WebError::Forbidden)?;
            store.set_forecast(year, month, &cost_centre, outturn, &actor)?;
            Ok(())
        })
        .await
}

/// An instalment to record as raised and, when it has been, paid.
pub struct PaymentRecord {
    pub pool: String,
    /// The paying partner's id.
    pub from: String,
    pub month: FiscalMonth,
    pub raised_on: Option<Date>,
    pub paid_on: Option<Date>,
}

/// Records when an instalment of the schedule was raised and paid. Finance officers of
/// either partner to it may, as may the pool manager.
pub async fn record_payment(
    web: &Arc<Web>,
    who: &Identity,
    year: FinancialYear,
    record: PaymentRecord,
) -> Result<(), WebError> {
    let (user, actor) = (who.user.clone(), who.actor().to_string());
    let shared = Arc::clone(web);
    web.stores
        .run(move |store| {
            let agreement = shared.agreement(store, year)?;
            let instalment = pooled_app::scheduled_instalment(&agreement, &record.pool, &record.from, record.month)
                .map_err(WebError::input)?;
            let to = &agreement.partners()[instalment.to].id;
            access::check(&user, Write::RecordPayment { from: &record.from, to }).map_err(WebError::Forbidden)?;
            if let (Some(raised), Some(paid)) = (record.raised_on, record.paid_on)
                && paid < raised
            {
                return Err(WebError::Invalid(vec![format!(
                    "the instalment cannot be paid on {paid}, before it was raised on {raised}"
                )]));
            }
            let status = PaymentStatus {
                pool: record.pool,
                from: record.from,
                month: record.month,
                raised_on: record.raised_on,
                paid_on: record.paid_on,
            };
            store.record_payment(year, &status, &actor)?;
            Ok(())
        })
        .await
}
