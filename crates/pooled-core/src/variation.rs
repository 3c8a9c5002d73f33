//! Variations (docs/rules.md, variations): what changed from one version of a year's
//! agreement to the next, set out pool by pool (budgets, each line's contributions, lines
//! added, removed or renamed, virements between lines, the risk share before and after)
//! for a page and for JSON; and the versions of a year as they take effect.

use crate::agreement::{Agreement, Funding, Line, Pool, changed_terms};
use crate::calendar::{Date, FiscalMonth};
use crate::money::Money;
use crate::percent::Percent;
use crate::risk_share::risk_share;

/// One version of a year's agreement and the day it takes effect: `None` for the first
/// version, and for one that restates the year from its start (a correction made before
/// anything was invoiced, paid, imported or forecast).
#[derive(Clone, Copy, Debug)]
pub struct Version<'a> {
    pub agreement: &'a Agreement,
    pub effective: Option<Date>,
}

impl Version<'_> {
    /// The month from which this version sets the budgets: the month its effective day
    /// falls in, M1 when it takes effect from the start of the year.
    pub fn budgets_from(&self) -> FiscalMonth {
        match self.effective {
            Some(day) if day > self.agreement.financial_year().first_day() => FiscalMonth::containing(day),
            _ => FiscalMonth::new(1).expect("M1"),
        }
    }
}

/// A value before and after a variation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change<T> {
    pub before: T,
    pub after: T,
}

impl<T: PartialEq> Change<T> {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

impl Change<Money> {
    /// After less before.
    pub fn difference(&self) -> Money {
        self.after - self.before
    }
}

/// Whether a pool or line is in both versions, or only one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    Added,
    Removed,
    Kept,
}

impl Presence {
    fn of<T>(before: Option<T>, after: Option<T>) -> Presence {
        match (before, after) {
            (None, _) => Presence::Added,
            (_, None) => Presence::Removed,
            _ => Presence::Kept,
        }
    }
}

/// A partner's amount before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerAmount {
    pub partner: String,
    pub amount: Change<Money>,
}

/// A partner's risk share of a pool before and after; `None` where the pool shares no
/// risk in that version (aligned, or absent), or the partner is not in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerShare {
    pub partner: String,
    pub share: Change<Option<Percent>>,
}

/// What changed in one line of a pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDiff {
    pub id: String,
    /// Its name in the new version (in the old one, for a line removed).
    pub name: String,
    pub presence: Presence,
    /// The old name, when the line kept its id and changed its name.
    pub renamed_from: Option<String>,
    /// Its budget (the sum of its contributions), zero where it is absent.
    pub budget: Change<Money>,
    /// Each partner's contribution to it that changed (zero where it gave nothing).
    pub contributions: Vec<PartnerAmount>,
}

/// Budget moved between the lines of a pool whose total stays the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Virement {
    /// The budget moved: what the lines that lost budget lost, and those that gained it gained.
    pub amount: Money,
    /// The lines that lost budget (line id, amount lost), in the pool's order.
    pub from: Vec<(String, Money)>,
    /// The lines that gained budget (line id, amount gained), in the pool's order.
    pub to: Vec<(String, Money)>,
}

/// What changed in one pool. Every pool of either version has one, so that the risk share
/// before and after can be shown beside each; [`PoolDiff::changed`] says whether anything did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolDiff {
    pub id: String,
    /// Its name in the new version (in the old one, for a pool removed).
    pub name: String,
    pub presence: Presence,
    /// The pool's total budget, zero where it is absent.
    pub budget: Change<Money>,
    /// The lines that changed, in the new version's order, then those removed.
    pub lines: Vec<LineDiff>,
    /// Each partner's total contribution to the pool that changed.
    pub contributions: Vec<PartnerAmount>,
    /// Each partner's risk share before and after, in partner order; empty when the pool
    /// shares no risk in either version.
    pub shares: Vec<PartnerShare>,
    pub virement: Option<Virement>,
}

impl PoolDiff {
    pub fn changed(&self) -> bool {
        self.presence != Presence::Kept
            || self.budget.changed()
            || !self.lines.is_empty()
            || self.shares.iter().any(|s| s.share.changed())
    }

    /// Whether the partners' risk shares differ between the versions.
    pub fn shares_changed(&self) -> bool {
        self.shares.iter().any(|s| s.share.changed())
    }
}

/// What changed from one version of an agreement to the next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diff {
    /// Every pool of either version: the new version's in its order, then those removed.
    pub pools: Vec<PoolDiff>,
    /// Every other term that changed (names, rules, savings, payments, the board), one a
    /// line: `pool OP / line bcf / risk: shared, in base true -> borne by OCCG, in base true`.
    pub other: Vec<String>,
}

impl Diff {
    /// What changed between `old` and `new`. Pools, lines and partners are matched by id.
    pub fn between(old: &Agreement, new: &Agreement) -> Diff {
        let mut pools: Vec<PoolDiff> =
            new.pools().iter().map(|p| pool_diff(old, new, old.pool(&p.id), Some(p))).collect();
        for p in old.pools().iter().filter(|p| new.pool(&p.id).is_none()) {
            pools.push(pool_diff(old, new, Some(p), None));
        }
        Diff { pools, other: changed_terms(old, new) }
    }

    pub fn is_empty(&self) -> bool {
        self.other.is_empty() && !self.pools.iter().any(PoolDiff::changed)
    }

    /// The changes in words, one a line, pool by pool and then the other terms: what the
    /// record of a variation and its page show.
    pub fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        for pool in self.pools.iter().filter(|p| p.changed()) {
            pool_words(pool, &mut out);
        }
        out.extend(self.other.iter().cloned());
        out
    }
}

fn pool_words(pool: &PoolDiff, out: &mut Vec<String>) {
    let at = format!("pool {}", pool.id);
    let budget = pool.budget;
    match pool.presence {
        Presence::Added => out.push(format!("{at} ({}) added, budget {}", pool.name, budget.after)),
        Presence::Removed => out.push(format!("{at} ({}) removed, its budget was {}", pool.name, budget.before)),
        Presence::Kept if budget.changed() => out.push(format!(
            "{at} ({}) / budget: {} -> {} ({})",
            pool.name,
            budget.before,
            budget.after,
            signed(budget.difference())
        )),
        Presence::Kept => {}
    }
    if let Some(v) = &pool.virement {
        let lines = |moves: &[(String, Money)]| {
            moves.iter().map(|(line, amount)| format!("{line} ({amount})")).collect::<Vec<_>>().join(", ")
        };
        out.push(format!(
            "{at} / virement: {} moved from {} to {}; the pool's budget stays {}",
            v.amount,
            lines(&v.from),
            lines(&v.to),
            budget.after
        ));
    }
    for line in &pool.lines {
        let at = format!("{at} / line {}", line.id);
        match line.presence {
            Presence::Added => out.push(format!("{at} ({}) added, budget {}", line.name, line.budget.after)),
            Presence::Removed => {
                out.push(format!("{at} ({}) removed, its budget was {}", line.name, line.budget.before));
            }
            Presence::Kept => {
                if let Some(old) = &line.renamed_from {
                    out.push(format!("{at} renamed: {old} -> {}", line.name));
                }
            }
        }
        for c in &line.contributions {
            out.push(format!("{at} / contribution {}: {} -> {}", c.partner, c.amount.before, c.amount.after));
        }
        if line.contributions.is_empty() && line.presence == Presence::Kept && line.budget.changed() {
            out.push(format!("{at} / budget: {} -> {}", line.budget.before, line.budget.after));
        }
    }
    for c in &pool.contributions {
        out.push(format!(
            "{at} / {}'s contribution: {} -> {} ({})",
            c.partner,
            c.amount.before,
            c.amount.after,
            signed(c.amount.difference())
        ));
    }
    if pool.shares_changed() {
        let shares: Vec<String> = pool
            .shares
            .iter()
            .map(|s| format!("{} {} -> {}", s.partner, percent(s.share.before), percent(s.share.after)))
            .collect();
        out.push(format!("{at} / risk share: {}", shares.join(", ")));
    }
}

/// `+£100.00` or `-£100.00`.
fn signed(amount: Money) -> String {
    if amount.is_negative() { amount.to_string() } else { format!("+{amount}") }
}

/// `50.24%`, or `none`.
pub fn percent(share: Option<Percent>) -> String {
    share.map_or_else(|| "none".to_string(), |p| format!("{p}%"))
}

/// The partners of both versions by id: the old version's in its order, then the new ones.
fn partner_ids(old: &Agreement, new: &Agreement) -> Vec<String> {
    let mut ids: Vec<String> = old.partners().iter().map(|p| p.id.clone()).collect();
    for p in new.partners() {
        if !ids.contains(&p.id) {
            ids.push(p.id.clone());
        }
    }
    ids
}

/// What `partner` contributes to `line` (zero if nothing, or if the line has only a budget).
fn contribution(agreement: &Agreement, line: Option<&Line>, partner: &str) -> Money {
    match (line.map(|l| &l.funding), agreement.partner_ix(partner)) {
        (Some(Funding::Contributions(by_partner)), Some(ix)) => by_partner[ix],
        _ => Money::ZERO,
    }
}

/// What `partner` contributes to the whole pool.
fn pool_contribution(agreement: &Agreement, pool: Option<&Pool>, partner: &str) -> Money {
    pool.map_or(Money::ZERO, |p| p.lines.iter().map(|l| contribution(agreement, Some(l), partner)).sum())
}

/// The partner's risk share of the pool, if the pool shares risk.
fn share(agreement: &Agreement, pool: Option<&Pool>, partner: &str) -> Option<Percent> {
    let shares = risk_share(agreement, pool?)?.shares;
    shares.get(agreement.partner_ix(partner)?).copied()
}

fn line_in<'a>(pool: Option<&'a Pool>, id: &str) -> Option<&'a Line> {
    pool.and_then(|p| p.lines.iter().find(|l| l.id == id))
}

fn pool_diff(old: &Agreement, new: &Agreement, before: Option<&Pool>, after: Option<&Pool>) -> PoolDiff {
    let either = after.or(before).expect("a pool of one version or the other");
    let partners = partner_ids(old, new);
    let budget = Change {
        before: before.map_or(Money::ZERO, Pool::total_budget),
        after: after.map_or(Money::ZERO, Pool::total_budget),
    };
    let mut ids: Vec<&str> = after.map_or_else(Vec::new, |p| p.lines.iter().map(|l| l.id.as_str()).collect());
    for l in before.map_or(&[][..], |p| &p.lines[..]) {
        if line_in(after, &l.id).is_none() {
            ids.push(&l.id);
        }
    }
    let lines: Vec<LineDiff> = ids
        .into_iter()
        .map(|id| {
            let (was, now) = (line_in(before, id), line_in(after, id));
            let contributions = partners
                .iter()
                .map(|p| PartnerAmount {
                    partner: p.clone(),
                    amount: Change { before: contribution(old, was, p), after: contribution(new, now, p) },
                })
                .filter(|c| c.amount.changed())
                .collect();
            LineDiff {
                id: id.to_string(),
                name: now.or(was).map(|l| l.name.clone()).unwrap_or_default(),
                presence: Presence::of(was, now),
                renamed_from: was.zip(now).filter(|(w, n)| w.name != n.name).map(|(w, _)| w.name.clone()),
                budget: Change {
                    before: was.map_or(Money::ZERO, Line::budget),
                    after: now.map_or(Money::ZERO, Line::budget),
                },
                contributions,
            }
        })
        .filter(|l| {
            l.presence != Presence::Kept
                || l.renamed_from.is_some()
                || l.budget.changed()
                || !l.contributions.is_empty()
        })
        .collect();
    let contributions = partners
        .iter()
        .map(|p| PartnerAmount {
            partner: p.clone(),
            amount: Change { before: pool_contribution(old, before, p), after: pool_contribution(new, after, p) },
        })
        .filter(|c| c.amount.changed())
        .collect();
    let shares: Vec<PartnerShare> = partners
        .iter()
        .map(|p| PartnerShare {
            partner: p.clone(),
            share: Change { before: share(old, before, p), after: share(new, after, p) },
        })
        .collect();
    let shares =
        if shares.iter().all(|s| s.share.before.is_none() && s.share.after.is_none()) { Vec::new() } else { shares };
    let virement = (before.is_some() && after.is_some() && !budget.changed()).then(|| virement(&lines)).flatten();
    PoolDiff {
        id: either.id.clone(),
        name: either.name.clone(),
        presence: Presence::of(before, after),
        budget,
        lines,
        contributions,
        shares,
        virement,
    }
}

/// The budget moved between `lines` (of a pool whose total is unchanged), if any was.
fn virement(lines: &[LineDiff]) -> Option<Virement> {
    let moves = |lost: bool| -> Vec<(String, Money)> {
        lines
            .iter()
            .map(|l| (l.id.clone(), l.budget.difference()))
            .filter(|(_, d)| if lost { d.is_negative() } else { *d > Money::ZERO })
            .map(|(id, d)| (id, d.abs()))
            .collect()
    };
    let (from, to) = (moves(true), moves(false));
    let amount: Money = to.iter().map(|(_, m)| *m).sum();
    (amount > Money::ZERO).then_some(Virement { amount, from, to })
}

#[cfg(test)]
mod tests;
