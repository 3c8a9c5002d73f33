//! The payment schedule (docs/rules.md, payments): each non-host partner pays its
//! contribution to the pool's host in monthly instalments, some partners a month or more
//! in advance. An instalment due on or after a partner's succession date is its
//! successor's.

use crate::agreement::{Agreement, Body, PartnerIx};
use crate::calendar::{Date, FiscalMonth};
use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub pool: String,
    /// The paying partner: the key payments are recorded under, whoever holds its place.
    pub from: PartnerIx,
    /// The partner paid.
    pub to: PartnerIx,
    pub month: FiscalMonth,
    pub due: Date,
    pub amount: Money,
    /// The body paying on the due date: the partner, or its successor from its date.
    pub payer: Body,
    /// The body paid on the due date.
    pub payee: Body,
}

/// Every instalment of the agreement's year, pool by pool, partner by partner, M1 to M12.
/// Each is the annual amount / 12 truncated to the penny, the remainder added to M12, so
/// the twelve sum exactly to the contribution; month m is due on the first day of its
/// calendar month less the partner's months in advance. Each names the bodies paying and
/// paid on its due date.
pub fn schedule(agreement: &Agreement) -> Vec<Instalment> {
    let year = agreement.financial_year();
    let in_advance =
        |partner: PartnerIx| agreement.payments().and_then(|p| p.in_advance_months.get(partner).copied()).unwrap_or(0);
    let mut out = Vec::new();
    for pool in agreement.pools() {
        for (from, annual) in pool.contributions(agreement.partners().len()).into_iter().enumerate() {
            if from == pool.host || annual == Money::ZERO {
                continue;
            }
            let monthly = annual.monthly();
            for month in FiscalMonth::all() {
                let amount = monthly[month.number() as usize - 1];
                let due = year
                    .month_start(month)
                    .add_months_clamped(-(in_advance(from) as i32))
                    .expect("at most 11 months before a valid financial year");
                out.push(Instalment {
                    pool: pool.id.clone(),
                    from,
                    to: pool.host,
                    month,
                    due,
                    amount,
                    payer: agreement.body_on(from, due),
                    payee: agreement.body_on(pool.host, due),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
