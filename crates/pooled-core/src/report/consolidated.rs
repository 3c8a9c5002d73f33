//! A partner's consolidated view (an ICB's view of its places): for one body, across the
//! agreements it holds a partner's place in, each agreement's contributions from it, its
//! pools' forecast variance and the body's forecast risk-share impact, pool by pool, with
//! the totals. Made from each agreement's monthly report for the same month, so the body
//! is the one heading that month's report (a successor from its date on, the predecessor
//! before).

use crate::agreement::{Agreement, Body, PartnerIx};
use crate::calendar::{FinancialYear, FiscalMonth};
use crate::money::Money;

use super::MonthlyReport;

/// What one body puts in and carries: of a pool, an agreement, or all of them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartnerFigures {
    /// The partner's contributions for the year (nil where the agreement gives a pool's
    /// budget without splitting it between the partners).
    pub contributions: Money,
    /// The forecast variance of the pools, every partner's: forecast outturn less budget,
    /// positive an overspend.
    pub forecast_variance: Money,
    /// The body's part of that variance by the agreement's settlement rules (its forecast
    /// risk-share impact).
    pub risk_impact: Money,
}

impl PartnerFigures {
    fn add(&mut self, other: PartnerFigures) {
        self.contributions += other.contributions;
        self.forecast_variance += other.forecast_variance;
        self.risk_impact += other.risk_impact;
    }
}

/// One pool of an agreement, for the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolPart {
    pub id: String,
    pub name: String,
    pub figures: PartnerFigures,
}

/// One agreement the body holds a partner's place in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementPart {
    /// The agreement's id.
    pub id: String,
    pub name: String,
    /// The partner whose place the body holds (the CCG's, for the ICB after it succeeded).
    pub partner: PartnerIx,
    /// That partner's own id in the agreement, the key its records are kept under.
    pub partner_id: String,
    pub pools: Vec<PoolPart>,
    /// The pools' figures added up.
    pub figures: PartnerFigures,
}

/// A body's consolidated view at a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consolidated {
    /// The body as the first agreement it is found in names it (its id is the one asked for).
    pub body: Body,
    pub year: FinancialYear,
    pub month: FiscalMonth,
    /// In the order the reports were given; only those the body holds a place in.
    pub agreements: Vec<AgreementPart>,
    /// Every agreement's figures added up.
    pub total: PartnerFigures,
}

/// The consolidated view of the body `id` from each agreement's monthly report (with the
/// agreement it was made from). Agreements in which no partner's place is held by `id` at
/// the report month are left out; `None` if that leaves none. Every report must be of one
/// financial year and month (the first one's): a report of another is a caller's error.
pub fn consolidated(id: &str, reports: &[(&Agreement, &MonthlyReport)]) -> Option<Consolidated> {
    let (year, month) = reports.first().map(|(_, r)| (r.year, r.month))?;
    let mut body = None;
    let mut agreements = Vec::new();
    let mut total = PartnerFigures::default();
    for (agreement, report) in reports {
        assert!(
            report.year == year && report.month == month,
            "a consolidated view is of one month: {} {} given with {year} {month}",
            report.year,
            report.month
        );
        let Some(partner) = report.bodies.iter().position(|b| b.id == id) else { continue };
        body.get_or_insert_with(|| report.bodies[partner].clone());
        let part = agreement_part(agreement, report, partner);
        total.add(part.figures);
        agreements.push(part);
    }
    Some(Consolidated { body: body?, year, month, agreements, total })
}

fn agreement_part(agreement: &Agreement, report: &MonthlyReport, partner: PartnerIx) -> AgreementPart {
    let partners = agreement.partners().len();
    let mut figures = PartnerFigures::default();
    let pools: Vec<PoolPart> = agreement
        .pools()
        .iter()
        .zip(&report.pools)
        .map(|(pool, reported)| {
            let risk_impact = reported.risk_impact.partners.iter().find(|p| p.partner == partner).map(|p| p.total);
            let part = PartnerFigures {
                contributions: pool.contributions(partners)[partner],
                forecast_variance: reported.figures.variance,
                risk_impact: risk_impact.unwrap_or(Money::ZERO),
            };
            figures.add(part);
            PoolPart { id: pool.id.clone(), name: pool.name.clone(), figures: part }
        })
        .collect();
    AgreementPart {
        id: agreement.id().to_string(),
        name: agreement.name().to_string(),
        partner,
        partner_id: agreement.partners()[partner].id.clone(),
        pools,
        figures,
    }
}

#[cfg(test)]
mod tests;
