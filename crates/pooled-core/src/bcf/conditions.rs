//! The Better Care Fund's conditions (docs/rules.md, "The Better Care Fund's
//! conditions"), checked against the plan (the agreement's budgets) and the ledger (the
//! monthly report's actual to date and forecast), before anyone signs:
//! - the NHS minimum contribution's spend on adult social care at least the required
//!   figure (`[bcf.social_care]`);
//! - its spend on NHS-commissioned out-of-hospital services at least the minimum, where
//!   the agreement gives one (`[bcf.out_of_hospital]`);
//! - in a two-tier area, the Disabled Facilities Grant passed on to the district councils
//!   in full, less what they agreed the council keep (`[bcf.dfg]`, `[[bcf.district]]`);
//! - each stream spent within its allocation.
//!
//! Each condition names its source: the agreement's clause where the file gives one,
//! else the national requirement in words.

use crate::agreement::Agreement;
use crate::calendar::FinancialYear;
use crate::money::Money;
use crate::report::MonthlyReport;

use super::spend::{BcfSpend, LedgerSpend, Spend, from_report, planned};
use super::{AreaOfSpend, Commissioner, StreamIx, StreamKind};

/// Which condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    SocialCare,
    OutOfHospital,
    DfgToDistricts,
    WithinAllocation { stream: StreamIx },
}

impl Rule {
    /// As the JSON writes it.
    pub fn key(self) -> &'static str {
        match self {
            Rule::SocialCare => "social-care",
            Rule::OutOfHospital => "out-of-hospital",
            Rule::DfgToDistricts => "dfg-to-districts",
            Rule::WithinAllocation { .. } => "within-allocation",
        }
    }
}

/// A minimum to reach or a maximum not to pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Requirement {
    AtLeast(Money),
    AtMost(Money),
}

impl Requirement {
    pub fn amount(self) -> Money {
        match self {
            Requirement::AtLeast(m) | Requirement::AtMost(m) => m,
        }
    }

    /// How far `figure` falls short of a minimum or passes a maximum; `None` when it meets it.
    fn missed_by(self, figure: Money) -> Option<Money> {
        match self {
            Requirement::AtLeast(min) => (figure < min).then(|| min - figure),
            Requirement::AtMost(max) => (figure > max).then(|| figure - max),
        }
    }
}

/// The figures a condition is judged on: the plan's, or with the ledger also the forecast
/// and the actual to date.
pub trait Judged: Spend {
    /// The figures that can breach `requirement`, each named. The actual to date can pass a
    /// maximum at any month, but reaches a minimum only by the year's end, when the
    /// forecast outturn is the actual: so it is judged against maxima only.
    fn judged(self, requirement: Requirement) -> Vec<(&'static str, Money)>;
}

impl Judged for Money {
    fn judged(self, _: Requirement) -> Vec<(&'static str, Money)> {
        vec![("planned", self)]
    }
}

impl Judged for LedgerSpend {
    fn judged(self, requirement: Requirement) -> Vec<(&'static str, Money)> {
        let mut figures = vec![("planned", self.planned), ("forecast", self.forecast)];
        if let Requirement::AtMost(_) = requirement {
            figures.push(("actual to date", self.actual_to_date));
        }
        figures
    }
}

/// One condition with the figures it is judged on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Condition<T> {
    pub rule: Rule,
    /// What is measured, in words: "the NHS minimum contribution's spend on adult social care".
    pub what: String,
    /// The agreement's clause, or the national requirement in words.
    pub source: String,
    pub requirement: Requirement,
    pub figures: T,
}

/// A figure that misses its condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    /// `planned`, `forecast` or `actual to date`.
    pub figure: &'static str,
    pub amount: Money,
    /// The shortfall below a minimum, or the excess over a maximum.
    pub by: Money,
}

impl<T: Judged> Condition<T> {
    pub fn breaches(&self) -> Vec<Breach> {
        (self.figures.judged(self.requirement).into_iter())
            .filter_map(|(figure, amount)| self.requirement.missed_by(amount).map(|by| Breach { figure, amount, by }))
            .collect()
    }

    pub fn met(&self) -> bool {
        self.breaches().is_empty()
    }

    /// The requirement in words: "at least £12,310,605.09".
    pub fn required_words(&self) -> String {
        match self.requirement {
            Requirement::AtLeast(m) => format!("at least {m}"),
            Requirement::AtMost(m) => format!("at most {m}"),
        }
    }

    /// Each breach in a sentence naming the condition and its source: "Breached: the NHS
    /// minimum contribution's spend on adult social care, forecast £X, is £Y below the
    /// required £Z (source)".
    pub fn breach_words(&self) -> Vec<String> {
        let (side, required) = match self.requirement {
            Requirement::AtLeast(m) => ("below the required", m),
            Requirement::AtMost(m) => ("over the allowed", m),
        };
        (self.breaches().into_iter())
            .map(|b| {
                format!(
                    "Breached: {}, {} {}, is {} {side} {required} ({})",
                    self.what, b.figure, b.amount, b.by, self.source
                )
            })
            .collect()
    }
}

/// The conditions against the plan: every line's budget.
pub fn for_plan(agreement: &Agreement) -> Vec<Condition<Money>> {
    conditions(agreement, &planned(agreement))
}

/// The conditions against the monthly report: budget, actual to date and forecast.
pub fn for_report(agreement: &Agreement, report: &MonthlyReport) -> Vec<Condition<LedgerSpend>> {
    conditions(agreement, &from_report(agreement, report))
}

/// The conditions the agreement is held to, each with its figures from `spend`: the
/// minimums where `[bcf]` gives them, the districts' grant where it has districts, and
/// every stream's allocation.
pub fn conditions<T: Judged>(agreement: &Agreement, spend: &BcfSpend<T>) -> Vec<Condition<T>> {
    let bcf = agreement.bcf();
    let framework = framework(agreement.financial_year());
    let cited = |clause: &Option<String>, national: String| clause.clone().unwrap_or(national);
    let mut out = Vec::new();
    if let Some(min) = &bcf.social_care {
        out.push(Condition {
            rule: Rule::SocialCare,
            what: "the NHS minimum contribution's spend on adult social care".into(),
            source: cited(&min.clause, format!("{framework}: NHS minimum contribution to adult social care")),
            requirement: Requirement::AtLeast(min.required),
            figures: from_nhs_minimum(agreement, spend, social_care),
        });
    }
    if let Some(min) = &bcf.out_of_hospital {
        out.push(Condition {
            rule: Rule::OutOfHospital,
            what: "the NHS minimum contribution's spend on NHS-commissioned out-of-hospital services".into(),
            source: cited(
                &min.clause,
                format!("{framework}: NHS minimum contribution to NHS-commissioned out-of-hospital services"),
            ),
            requirement: Requirement::AtLeast(min.required),
            figures: from_nhs_minimum(agreement, spend, nhs_commissioned_out_of_hospital),
        });
    }
    if let Some(dfg) = &bcf.dfg {
        let figures = (spend.schemes.iter())
            .filter(|s| (s.pool, s.line) == (dfg.pool, dfg.line))
            .flat_map(|s| &s.by_stream)
            .filter(|b| agreement.streams()[b.stream].kind == StreamKind::DisabledFacilitiesGrant)
            .fold(T::default(), |total, b| total.plus(b.spend));
        let line = &agreement.pools()[dfg.pool].lines[dfg.line];
        let mut source = cited(
            &dfg.clause,
            format!("{framework}: the Disabled Facilities Grant passed to the district councils in full"),
        );
        let retained: Vec<String> = (dfg.districts.iter())
            .filter_map(|d| d.agreed_retained.as_ref().map(|r| format!("{} {} ({})", d.name, r.amount, r.clause)))
            .collect();
        if !retained.is_empty() {
            source.push_str(&format!("; kept by the council as agreed: {}", retained.join(", ")));
        }
        out.push(Condition {
            rule: Rule::DfgToDistricts,
            what: format!("the Disabled Facilities Grant passed to the district councils (line `{}`)", line.id),
            source,
            requirement: Requirement::AtLeast(dfg.due()),
            figures,
        });
    }
    for s in &spend.streams {
        let stream = &agreement.streams()[s.stream];
        out.push(Condition {
            rule: Rule::WithinAllocation { stream: s.stream },
            what: format!("the spend from stream `{}` ({})", stream.id, stream.name),
            source: cited(&stream.clause, format!("{framework}: each funding stream spent within its allocation")),
            requirement: Requirement::AtMost(stream.allocation),
            figures: s.spend,
        });
    }
    out
}

/// The national framework a year's conditions come from, as it is known: the 2023-25
/// framework covered two years.
fn framework(year: FinancialYear) -> String {
    let year = year.to_string();
    let covering = match year.as_str() {
        "2023-24" | "2024-25" => "2023-25",
        other => other,
    };
    format!("BCF policy framework {covering}")
}

/// Of a scheme's spend from the NHS minimum contribution, the part a condition counts.
type Counted<T> = fn(area: AreaOfSpend, commissioner: Commissioner, spend: T) -> T;

/// Adult social care: every scheme whose area of spend is social care, whoever
/// commissions it (the planning template's sum of social care spend from the minimum).
fn social_care<T: Spend>(area: AreaOfSpend, _: Commissioner, spend: T) -> T {
    if area == AreaOfSpend::SocialCare { spend } else { T::default() }
}

/// NHS-commissioned out-of-hospital: a scheme whose area of spend is not acute, wholly
/// when the NHS commissions it, its NHS share when jointly commissioned (split exactly,
/// the leftover penny to the larger part), none when the council does.
fn nhs_commissioned_out_of_hospital<T: Spend>(area: AreaOfSpend, commissioner: Commissioner, spend: T) -> T {
    if area == AreaOfSpend::Acute {
        return T::default();
    }
    match commissioner {
        Commissioner::Nhs => spend,
        Commissioner::LocalAuthority => T::default(),
        Commissioner::Joint { nhs_share } => {
            let hundred = crate::percent::hundred(nhs_share.decimals());
            spend.split(&[nhs_share.units(), hundred - nhs_share.units()])[0]
        }
    }
}

/// The schemes' spend from the NHS minimum contribution's streams, as much as `counted` counts.
fn from_nhs_minimum<T: Spend>(agreement: &Agreement, spend: &BcfSpend<T>, counted: Counted<T>) -> T {
    let mut total = T::default();
    for s in &spend.schemes {
        let Some(scheme) = &agreement.pools()[s.pool].lines[s.line].scheme else { continue };
        for b in s.by_stream.iter().filter(|b| agreement.streams()[b.stream].kind == StreamKind::NhsMinimum) {
            total = total.plus(counted(scheme.area_of_spend, scheme.commissioner, b.spend));
        }
    }
    total
}
