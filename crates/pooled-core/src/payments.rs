//! The payment schedule (docs/rules.md, payments): each partner pays its contributions
//! to the partner holding each line's money (by default the pool's host) in monthly
//! instalments, some partners a month or more in advance. An instalment due on or after a partner's succession date is its
//! successor's.

use crate::agreement::{Agreement, Body, Funding, PartnerIx};
use crate::calendar::{Date, FiscalMonth};
use crate::money::Money;
use crate::variation::Version;

mod recorded;

pub use recorded::{
    Balance, Dated, Entry, EntryKind, InstalmentAccount, PairTotals, PaymentState, Recording, TrackedInstalment,
    balances, overdue, pair_totals,
};

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

/// An instalment of a district council's Disabled Facilities Grant, paid on out of the
/// pool by the partner holding the line that pays it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistrictInstalment {
    /// The district's id.
    pub district: String,
    pub name: String,
    pub month: FiscalMonth,
    pub due: Date,
    pub amount: Money,
    /// The body paying on the due date.
    pub payer: Body,
}

/// Each district's grant, less what it agreed the council keep, in equal instalments in
/// the months `[bcf.dfg] paid_in` names (every month when it does not), truncated to the
/// penny with the remainder in the last; each due on the first day of its month, paid by
/// the body holding the paying line's place then. None when the agreement has no districts.
pub fn to_districts(agreement: &Agreement) -> Vec<DistrictInstalment> {
    let Some(dfg) = &agreement.bcf().dfg else { return Vec::new() };
    let holder = agreement.pools()[dfg.pool].lines[dfg.line].held_by;
    let year = agreement.financial_year();
    let mut out = Vec::new();
    for district in &dfg.districts {
        for (month, amount) in dfg.paid_in.iter().zip(district.due().in_equal_parts(dfg.paid_in.len())) {
            let due = year.month_start(*month);
            out.push(DistrictInstalment {
                district: district.id.clone(),
                name: district.name.clone(),
                month: *month,
                due,
                amount,
                payer: agreement.body_on(holder, due),
            });
        }
    }
    out
}

/// Why the agreement's lines schedule no instalment at all, in words for the payments
/// table and page: no line has a contribution from a partner other than the one holding
/// it, because each gives a budget without partners' contributions or is held by its
/// only contributor. `None` when some line has one to pay.
pub fn why_no_instalments(agreement: &Agreement) -> Option<&'static str> {
    let lines = || agreement.pools().iter().flat_map(|p| &p.lines);
    let paid_between = |line: &crate::agreement::Line| match &line.funding {
        Funding::Contributions(by_partner) => {
            by_partner.iter().enumerate().any(|(from, c)| from != line.held_by && *c != Money::ZERO)
        }
        Funding::Budget(_) => false,
    };
    if lines().any(paid_between) {
        return None;
    }
    let budgets_only = lines().all(|l| matches!(l.funding, Funding::Budget(_)));
    let held_by_contributors = lines().all(|l| matches!(l.funding, Funding::Contributions(_)));
    Some(if budgets_only {
        "No instalments: every line of this agreement gives a budget without partners' contributions, so nothing is paid between the partners."
    } else if held_by_contributors {
        "No instalments: every line of this agreement is held by the partner contributing to it, so nothing is paid between the partners."
    } else {
        "No instalments: each line of this agreement either gives a budget without partners' contributions or is held by the partner contributing to it, so nothing is paid between the partners."
    })
}

/// Why a partner's remaining instalments cannot be re-profiled to a new contribution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReprofileError {
    /// What is already invoiced, paid or due under the old terms is more than the new
    /// contribution for the whole year.
    Overpaid { payer: String, kept: Money, contribution: Money, effective: Date },
    /// Nothing is left to re-profile, and what is kept differs from the new contribution.
    NothingLeft { payer: String, kept: Money, contribution: Money, effective: Date },
}

impl std::fmt::Display for ReprofileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReprofileError::Overpaid { payer, kept, contribution, effective } => write!(
                f,
                "{payer}'s instalments already invoiced or paid, or due before the variation takes effect on {effective}, total {kept}, more than its new contribution of {contribution} for the year: invoiced and paid instalments never change, so raise a credit note to {payer} for the {} overpaid, or check the new contribution",
                *kept - *contribution
            ),
            ReprofileError::NothingLeft { payer, kept, contribution, effective } => write!(
                f,
                "every one of {payer}'s instalments is already invoiced or paid, or due before the variation takes effect on {effective}, totalling {kept}, and no instalment is left to take the difference from its new contribution of {contribution}: raise {} for the {} separately",
                if contribution > kept {
                    format!("an invoice to {payer}")
                } else {
                    format!("a credit note to {payer}")
                },
                (*contribution - *kept).abs()
            ),
        }
    }
}

/// Re-profiles one partner's instalments for a variation that takes effect on `effective`
/// with a new annual `contribution`. `old` is its year under the old agreement (one
/// payer, payee and pool, in month order); `fixed` the months already invoiced or paid.
/// Those, and any instalment due before `effective` (owed under the old terms), keep
/// their amounts; the rest share what remains of the contribution, divided equally,
/// truncated to the penny, the remainder in the last of them (M12, unless it is fixed),
/// so the year adds up to the new contribution exactly. Returns the whole year.
pub fn reprofile(
    old: &[Instalment],
    fixed: &[FiscalMonth],
    contribution: Money,
    effective: Date,
) -> Result<Vec<Instalment>, ReprofileError> {
    let kept: Money = old.iter().filter(|i| is_kept(i, fixed, effective)).map(|i| i.amount).sum();
    let remaining: Vec<usize> = (0..old.len()).filter(|ix| !is_kept(&old[*ix], fixed, effective)).collect();
    let payer = || old.last().map_or_else(String::new, |i| i.payer.id.clone());
    if kept > contribution {
        return Err(ReprofileError::Overpaid { payer: payer(), kept, contribution, effective });
    }
    let Some((&last, _)) = remaining.split_last() else {
        return if kept == contribution {
            Ok(old.to_vec())
        } else {
            Err(ReprofileError::NothingLeft { payer: payer(), kept, contribution, effective })
        };
    };
    let rest = (contribution - kept).pence();
    let count = i64::try_from(remaining.len()).expect("at most twelve instalments");
    let each = Money::from_pence(rest / count);
    let mut year = old.to_vec();
    for &ix in &remaining {
        year[ix].amount = each;
    }
    year[last].amount = Money::from_pence(rest - each.pence() * (count - 1));
    Ok(year)
}

/// Whether a variation taking effect on `effective` leaves the instalment as it was: it is
/// invoiced or paid (its month is `fixed`), or it fell due before, under the old terms.
fn is_kept(instalment: &Instalment, fixed: &[FiscalMonth], effective: Date) -> bool {
    fixed.contains(&instalment.month) || instalment.due < effective
}

/// The year's instalments across the versions of its agreement, in the latest version's
/// order, under its partners' indices. Each version with an effective day re-profiles the
/// instalments of the one before ([`reprofile`]): those fixed when it was made (invoiced
/// or paid: `fixed(v, pool, paying partner's id, month)` for `versions[v]`) or due before
/// the day stay exactly as they were, and the rest, with the due dates and bodies of the
/// new version, share what is left of each partner's new contribution; a contribution
/// left as it was keeps its amounts. A partner that starts paying with the variation owed
/// nothing before it; one that stops has a new contribution of nothing. A version without
/// an effective day restates the year from its start.
pub fn schedule_across(
    versions: &[Version],
    fixed: &dyn Fn(usize, &str, &str, FiscalMonth) -> bool,
) -> Result<Vec<Instalment>, ReprofileError> {
    let Some((first, later)) = versions.split_first() else {
        return Ok(Vec::new());
    };
    let mut year = schedule(first.agreement);
    let mut current = first.agreement;
    for (v, version) in (1..).zip(later) {
        year = match version.effective {
            None => schedule(version.agreement),
            Some(effective) => {
                vary(current, &year, version.agreement, effective, &|pool, from, month| fixed(v, pool, from, month))?
            }
        };
        current = version.agreement;
    }
    Ok(year)
}

/// `year` (under `old`) re-profiled to `new` from `effective`.
fn vary(
    old: &Agreement,
    year: &[Instalment],
    new: &Agreement,
    effective: Date,
    fixed: &dyn Fn(&str, &str, FiscalMonth) -> bool,
) -> Result<Vec<Instalment>, ReprofileError> {
    let id = |a: &Agreement, ix: PartnerIx| a.partners()[ix].id.clone();
    let key = |a: &Agreement, i: &Instalment| (i.pool.clone(), id(a, i.from), id(a, i.to));
    let group_of = |k: &(String, String, String)| -> Vec<Instalment> {
        year.iter().filter(|i| key(old, i) == *k).cloned().collect()
    };
    let months_fixed = |(pool, from, _): &(String, String, String)| -> Vec<FiscalMonth> {
        FiscalMonth::all().filter(|m| fixed(pool, from, *m)).collect()
    };
    let terms = schedule(new);
    let mut out = Vec::with_capacity(terms.len());
    for group in terms.chunk_by(|a, b| (&a.pool, a.from, a.to) == (&b.pool, b.from, b.to)) {
        let k = key(new, &group[0]);
        let mut before = group_of(&k);
        if before.is_empty() {
            // Nothing was owed between these partners under the old terms.
            before = group.iter().map(|i| Instalment { amount: Money::ZERO, ..i.clone() }).collect();
        }
        let fixed = months_fixed(&k);
        let contribution: Money = group.iter().map(|i| i.amount).sum();
        // A contribution the variation leaves as it was keeps its instalments as they were.
        let unchanged = before.iter().map(|i| i.amount).sum::<Money>() == contribution;
        let varied = if unchanged { before.clone() } else { reprofile(&before, &fixed, contribution, effective)? };
        for ((was, now), terms) in before.iter().zip(&varied).zip(group) {
            debug_assert_eq!(was.month, terms.month);
            out.push(if is_kept(was, &fixed, effective) {
                Instalment { from: terms.from, to: terms.to, ..was.clone() }
            } else {
                Instalment { amount: now.amount, ..terms.clone() }
            });
        }
    }
    // Partners no longer paying each other: whatever was kept must come to nothing.
    let mut gone: Vec<(String, String, String)> = Vec::new();
    for i in year {
        let k = key(old, i);
        if !gone.contains(&k) && !terms.iter().any(|t| key(new, t) == k) {
            reprofile(&group_of(&k), &months_fixed(&k), Money::ZERO, effective)?;
            gone.push(k);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
