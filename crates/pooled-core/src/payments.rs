//! The payment schedule (docs/rules.md, payments): each partner pays its contributions
//! to the partner holding each line's money (by default the pool's host) in monthly
//! instalments, some partners a month or more in advance. An instalment due on or after a partner's succession date is its
//! successor's.

use crate::agreement::{Agreement, Body, Funding, PartnerIx};
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

/// Every instalment of the agreement's year, pool by pool, paying partner by paying
/// partner (and, where a pool's lines are held by more than one partner, partner paid by
/// partner paid), M1 to M12. A partner pays each line's holder its contribution to that
/// line; nothing is paid for a contribution the holder makes itself. Each instalment is
/// the annual amount / 12 truncated to the penny, the remainder added to M12, so the
/// twelve sum exactly to the contributions; month m is due on the first day of its
/// calendar month less the paying partner's months in advance. Each names the bodies
/// paying and paid on its due date.
pub fn schedule(agreement: &Agreement) -> Vec<Instalment> {
    let year = agreement.financial_year();
    let partners = agreement.partners().len();
    let in_advance =
        |partner: PartnerIx| agreement.payments().and_then(|p| p.in_advance_months.get(partner).copied()).unwrap_or(0);
    let mut out = Vec::new();
    for pool in agreement.pools() {
        // owed[from][to]: what `from` contributes to lines that `to` holds.
        let mut owed = vec![vec![Money::ZERO; partners]; partners];
        for line in &pool.lines {
            if let Funding::Contributions(by_partner) = &line.funding {
                for (from, c) in by_partner.iter().enumerate().filter(|(from, _)| *from != line.held_by) {
                    owed[from][line.held_by] += *c;
                }
            }
        }
        for (from, to_each) in owed.iter().enumerate() {
            for (to, annual) in to_each.iter().enumerate().filter(|(_, annual)| **annual != Money::ZERO) {
                let monthly = annual.monthly();
                for month in FiscalMonth::all() {
                    let due = year
                        .month_start(month)
                        .add_months_clamped(-(in_advance(from) as i32))
                        .expect("at most 11 months before a valid financial year");
                    out.push(Instalment {
                        pool: pool.id.clone(),
                        from,
                        to,
                        month,
                        due,
                        amount: monthly[month.number() as usize - 1],
                        payer: agreement.body_on(from, due),
                        payee: agreement.body_on(to, due),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
