//! Year-end settlement and in-year forecast risk impact (docs/rules.md, settlement): who
//! carries how much of each pool's over- or underspend, part by part, each part naming its
//! rule, line and clause (the agreement file's, or the rule in words where it gives none).
//! Each partner is named by the body holding its place at the end of the year (a
//! successor from its date), or for a forecast, at the end of the report's month.

mod outturn;

pub use outturn::Outturn;

use crate::agreement::{Agreement, Body, PartnerIx, Pool, Risk, RuleKind};
use crate::calendar::{Date, FiscalMonth};
use crate::money::Money;
use crate::payments::{TrackedInstalment, pair_totals};
use crate::risk_share::risk_share;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartRule {
    /// A line whose risk one partner bears.
    BorneBy,
    /// A line whose lead commissioner carries its variance (every line of an aligned pool).
    Lead,
    /// An underspend recouped by a partner, up to a cap.
    Clawback,
    /// The shortfall on a saving moved into the pool without an agreed strategy.
    UnagreedSaving,
    /// The rest, split by the risk share.
    Shared,
}

impl PartRule {
    pub fn name(self) -> &'static str {
        match self {
            PartRule::BorneBy => "borne-by",
            PartRule::Lead => "lead",
            PartRule::Clawback => "clawback",
            PartRule::UnagreedSaving => "unagreed-saving",
            PartRule::Shared => "shared",
        }
    }

    /// The rule in words, cited where the agreement file gives no clause for it.
    pub fn words(self) -> &'static str {
        match self {
            PartRule::BorneBy => "borne by",
            PartRule::Lead => "lead commissioner",
            PartRule::Clawback => "underspend clawback",
            PartRule::UnagreedSaving => "unagreed saving",
            PartRule::Shared => "risk share",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub rule: PartRule,
    /// The line the part arises from; `None` for the shared remainder.
    pub line: Option<String>,
    pub clause: String,
    pub amount: Money,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerSettlement {
    pub partner: PartnerIx,
    /// The body holding the partner's place on the day the settlement is for.
    pub body: Body,
    pub total: Money,
    pub parts: Vec<Part>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolSettlement {
    pub pool: String,
    pub budget: Money,
    pub outturn: Money,
    pub variance: Money,
    /// The shared amount `S` after clawbacks and savings, before it is split.
    pub shared: Money,
    /// Every partner of the agreement, in order; each total is the sum of its parts and
    /// the totals sum exactly to the pool's variance ([`settle`] asserts both).
    pub partners: Vec<PartnerSettlement>,
}

impl PoolSettlement {
    /// The invariant of every settlement, checked on every run (not only in tests or
    /// debug builds, as TigerBeetle checks its own): each partner's total is the sum of
    /// its parts, and the totals sum exactly to the pool's variance, so no penny of an
    /// over- or underspend is lost or made up between the steps. A failure is a bug in
    /// the steps, and stops the work rather than publish a statement that does not add up.
    fn assert_sums(&self) {
        let sum = |amounts: &mut dyn Iterator<Item = Money>| amounts.map(|m| i128::from(m.pence())).sum::<i128>();
        for p in &self.partners {
            assert_eq!(
                sum(&mut p.parts.iter().map(|part| part.amount)),
                i128::from(p.total.pence()),
                "pool {}: partner {}'s total is the sum of its parts",
                self.pool,
                p.partner
            );
        }
        assert_eq!(
            sum(&mut self.partners.iter().map(|p| p.total)),
            i128::from(self.variance.pence()),
            "pool {}: the partners' totals sum to the pool's variance",
            self.pool
        );
        assert_eq!(
            self.variance,
            self.outturn - self.budget,
            "pool {}: the variance is outturn less budget",
            self.pool
        );
    }
}

/// Settles every pool of the agreement on the given outturn at the end of its year, each
/// partner named by the body holding its place on the year's last day. Each pool's
/// settlement is asserted to add up (see [`PoolSettlement`]): a panic here is a bug, never
/// bad input.
pub fn settle(agreement: &Agreement, outturn: &Outturn) -> Vec<PoolSettlement> {
    settle_on(agreement, outturn, agreement.financial_year().last_day())
}

/// [`settle`], naming each partner by the body holding its place on `day` (the last day
/// of a report's month, for the forecast risk-share impact).
pub(crate) fn settle_on(agreement: &Agreement, outturn: &Outturn, day: Date) -> Vec<PoolSettlement> {
    agreement
        .pools()
        .iter()
        .enumerate()
        .map(|(ix, pool)| settle_pool(agreement, pool, outturn.pool_lines(ix), outturn, day))
        .collect()
}

fn settle_pool(agreement: &Agreement, pool: &Pool, outturns: &[Money], outturn: &Outturn, day: Date) -> PoolSettlement {
    let mut parts: Vec<Vec<Part>> = vec![Vec::new(); agreement.partners().len()];
    let mut give = |partner: PartnerIx, rule: PartRule, line: Option<&str>, clause: &Option<String>, amount: Money| {
        parts[partner].push(Part {
            rule,
            line: line.map(str::to_string),
            clause: clause.clone().unwrap_or_else(|| rule.words().to_string()),
            amount,
        });
    };
    let variances: Vec<Money> = pool.lines.iter().zip(outturns).map(|(l, o)| *o - l.budget()).collect();

    // Steps 1-3: lines borne by one partner, lines left to their lead, and the shared rest.
    let mut shared = Money::ZERO;
    for (line, var) in pool.lines.iter().zip(&variances) {
        match line.risk {
            Risk::BorneBy(p) => give(p, PartRule::BorneBy, Some(&line.id), &line.clause, *var),
            Risk::Lead => {
                let lead = line.lead.expect("validation requires a lead for lead-risk lines");
                give(lead, PartRule::Lead, Some(&line.id), &line.clause, *var);
            }
            Risk::Shared => shared += *var,
        }
    }
    // Step 4: underspend clawbacks, unless waived by a recorded decision.
    for rule in &pool.rules {
        let RuleKind::UnderspendClawback { line, to, cap } = rule.kind;
        let underspend = -variances[line];
        if underspend > Money::ZERO && !outturn.is_waived(&rule.id) {
            let clawed = underspend.min(cap);
            give(to, PartRule::Clawback, Some(&pool.lines[line].id), &rule.clause, -clawed);
            shared += clawed;
        }
    }
    // Step 5: savings without an agreed delivery strategy.
    for saving in pool.savings.iter().filter(|s| !s.strategy_agreed) {
        let delivered = outturn.delivered(&saving.id).unwrap_or(saving.amount);
        let shortfall = (saving.amount - delivered).max(Money::ZERO);
        if shortfall > Money::ZERO {
            give(saving.by, PartRule::UnagreedSaving, Some(&pool.lines[saving.line].id), &saving.clause, shortfall);
            shared -= shortfall;
        }
    }
    // Step 6: the rest by the risk share, as published (rounded).
    if let Some(share) = risk_share(agreement, pool) {
        let weights: Vec<u64> = share.shares.iter().map(|p| p.units()).collect();
        let split = shared.split_by_weights(&weights).expect("risk shares sum to 100");
        for (partner, amount) in split.into_iter().enumerate() {
            if share.shares[partner].units() > 0 {
                give(partner, PartRule::Shared, None, &Some(share.clause.clone()), amount);
            }
        }
    }

    let budget = pool.total_budget();
    let total_outturn: Money = outturns.iter().sum();
    let settled = PoolSettlement {
        pool: pool.id.clone(),
        budget,
        outturn: total_outturn,
        variance: total_outturn - budget,
        shared,
        partners: parts
            .into_iter()
            .enumerate()
            .map(|(partner, parts)| PartnerSettlement {
                partner,
                body: agreement.body_on(partner, day),
                total: parts.iter().map(|p| p.amount).sum(),
                parts,
            })
            .collect(),
    };
    settled.assert_sums();
    settled
}

/// Why money moves between two partners at the year end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvoicePartKind {
    /// The settlement of the pool's over- or underspend: the host holds the pool, so a
    /// partner whose share is an overspend pays the host, and the host repays a partner's
    /// share of an underspend (the host's own share stays in its accounts).
    Settlement,
    /// Instalments of the pool invoiced and not yet paid, of these months.
    UnpaidInstalments(Vec<FiscalMonth>),
}

impl InvoicePartKind {
    /// The part in words: `settlement`, `unpaid instalments M11 M12`.
    pub fn words(&self) -> String {
        match self {
            InvoicePartKind::Settlement => "settlement".into(),
            InvoicePartKind::UnpaidInstalments(months) => {
                let months: Vec<String> = months.iter().map(FiscalMonth::to_string).collect();
                format!("unpaid instalments {}", months.join(" "))
            }
        }
    }
}

/// One of the amounts an invoice nets off: `payer` owes `payee` `amount` (always positive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoicePart {
    pub kind: InvoicePartKind,
    pub payer: PartnerIx,
    pub payee: PartnerIx,
    pub amount: Money,
}

/// A year-end payment between two partners of a pool: what the settlement moves between
/// them, net of the pool's instalments still outstanding between them either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invoice {
    pub pool: String,
    pub payer: PartnerIx,
    pub payee: PartnerIx,
    /// The parts netted, each signed from `payer` to `payee`, summed; never negative (zero
    /// when the parts cancel out, payer and payee then those of the first part).
    pub amount: Money,
    /// The bodies invoiced and invoicing: those holding the places at the year's end.
    pub payer_body: Body,
    pub payee_body: Body,
    pub parts: Vec<InvoicePart>,
}

/// The invoices that settle each pool at the year end: per pool and pair of partners, the
/// settlement between the host and each other partner (every step applied) netted with the
/// pool's instalments invoiced and unpaid between them (`tracked`), so that each pair
/// settles with one payment, its parts shown. A pair with nothing to net has no invoice.
pub fn invoices(agreement: &Agreement, settlements: &[PoolSettlement], tracked: &[TrackedInstalment]) -> Vec<Invoice> {
    let mut out = Vec::new();
    for (pool, settled) in agreement.pools().iter().zip(settlements) {
        let mut parts = Vec::new();
        for p in settled.partners.iter().filter(|p| p.partner != pool.host && p.total != Money::ZERO) {
            let (payer, payee) = if p.total > Money::ZERO { (p.partner, pool.host) } else { (pool.host, p.partner) };
            parts.push(InvoicePart { kind: InvoicePartKind::Settlement, payer, payee, amount: p.total.abs() });
        }
        let of_pool = tracked.iter().filter(|t| t.instalment.pool == pool.id);
        for owed in pair_totals(of_pool).into_iter().filter(|t| t.outstanding != Money::ZERO) {
            parts.push(InvoicePart {
                kind: InvoicePartKind::UnpaidInstalments(owed.outstanding_months),
                payer: owed.from,
                payee: owed.to,
                amount: owed.outstanding,
            });
        }
        let mut pairs: Vec<Vec<InvoicePart>> = Vec::new();
        for part in parts {
            let same_pair = |p: &InvoicePart| {
                (p.payer, p.payee) == (part.payer, part.payee) || (p.payer, p.payee) == (part.payee, part.payer)
            };
            match pairs.iter_mut().find(|pair| same_pair(&pair[0])) {
                Some(pair) => pair.push(part),
                None => pairs.push(vec![part]),
            }
        }
        for parts in pairs {
            let (first_payer, first_payee) = (parts[0].payer, parts[0].payee);
            let net: Money = parts.iter().map(|p| if p.payer == first_payer { p.amount } else { -p.amount }).sum();
            let (payer, payee) =
                if net < Money::ZERO { (first_payee, first_payer) } else { (first_payer, first_payee) };
            out.push(Invoice {
                pool: pool.id.clone(),
                payer,
                payee,
                amount: net.abs(),
                payer_body: agreement.body_at_year_end(payer),
                payee_body: agreement.body_at_year_end(payee),
                parts,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
