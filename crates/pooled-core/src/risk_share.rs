//! Risk share (docs/rules.md): each partner's base and agreed percentage of a pool's
//! shared over- or underspend.

use crate::agreement::{Agreement, Funding, Pool, RiskShareBasis};
use crate::money::Money;
use crate::percent::{self, Percent};

/// One partner's row of a Schedule 3 risk-share table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerBase {
    /// Everything the partner contributes to the pool.
    pub contributions: Money,
    /// Contributions to lines kept out of the base (the BCF in the Older People pool).
    pub excluded: Money,
    /// The partner's income target, added back to reach a gross figure.
    pub income_added_back: Money,
    /// `contributions - excluded + income_added_back`.
    pub base: Money,
}

/// A pool's risk share: the basis, each partner's base and the agreed percentages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskShare {
    pub basis: &'static str,
    /// The clause cited for the shared part of a settlement: the agreement's, or the
    /// basis in words.
    pub clause: String,
    pub partners: Vec<PartnerBase>,
    pub shares: Vec<Percent>,
}

/// Each partner's risk-share base in the pool, in partner order: contributions to the
/// lines in the base, plus its income target.
pub fn bases(pool: &Pool, partners: usize) -> Vec<PartnerBase> {
    let mut rows = vec![
        PartnerBase {
            contributions: Money::ZERO,
            excluded: Money::ZERO,
            income_added_back: Money::ZERO,
            base: Money::ZERO,
        };
        partners
    ];
    for line in &pool.lines {
        if let Funding::Contributions(by_partner) = &line.funding {
            for (row, c) in rows.iter_mut().zip(by_partner) {
                row.contributions += *c;
                if !line.in_base {
                    row.excluded += *c;
                }
            }
        }
    }
    for (row, income) in rows.iter_mut().zip(&pool.income) {
        row.income_added_back = *income;
        row.base = row.contributions - row.excluded + row.income_added_back;
    }
    rows
}

/// The pool's risk share, or `None` for an aligned pool. Validation guarantees a pooled
/// pool has a basis that yields percentages summing to 100.
pub fn risk_share(agreement: &Agreement, pool: &Pool) -> Option<RiskShare> {
    let partners = bases(pool, agreement.partners().len());
    let clause = |words: &str| pool.risk_share_clause.clone().unwrap_or_else(|| words.to_string());
    match pool.risk_share.as_ref()? {
        RiskShareBasis::GrossContributions { decimals } => {
            let weights: Vec<u64> = partners.iter().map(|p| p.base.pence().unsigned_abs()).collect();
            let shares = percent::proportional_shares(&weights, *decimals)?;
            Some(RiskShare { basis: "gross-contributions", clause: clause("risk share"), partners, shares })
        }
        RiskShareBasis::Fixed { shares } => {
            Some(RiskShare { basis: "fixed", clause: clause("fixed risk share"), partners, shares: shares.clone() })
        }
    }
}
