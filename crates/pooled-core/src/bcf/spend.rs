//! Spend per stream, scheme and scheme type, from each line's figures: planned (the
//! agreement's budgets) or from the monthly report (budget, actual to date and forecast,
//! the ledger's through the plan's cost centres).
//!
//! A line's figures go to its streams in proportion to what it takes from each
//! (`funded_by`), split exactly by [`Money::split_by_weights`]: the leftover pence go to
//! the largest remainders, equal remainders to the stream declared first. A line funded
//! only by amounts of zero is split equally. So the streams' figures always add up to the
//! lines', and the planned figures to exactly what `funded_by` says.

use std::collections::HashMap;

use crate::agreement::Agreement;
use crate::money::Money;
use crate::report::{Figures, MonthlyReport};

use super::StreamIx;

/// Figures that add up and split across streams exactly.
pub trait Spend: Copy + Default + PartialEq + std::fmt::Debug {
    fn plus(self, other: Self) -> Self;
    /// Split in proportion to `weights` (at least one, not all zero), summing to `self`.
    fn split(self, weights: &[u64]) -> Vec<Self>;
}

impl Spend for Money {
    fn plus(self, other: Money) -> Money {
        self + other
    }

    fn split(self, weights: &[u64]) -> Vec<Money> {
        self.split_by_weights(weights).expect("weights not all zero")
    }
}

/// A line's figures in the monthly report of a month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LedgerSpend {
    /// The annual budget.
    pub planned: Money,
    pub actual_to_date: Money,
    /// The forecast outturn.
    pub forecast: Money,
}

impl LedgerSpend {
    /// A row's figures in the monthly report: its annual budget, actual to date and
    /// forecast outturn.
    pub fn of(figures: &Figures) -> LedgerSpend {
        LedgerSpend {
            planned: figures.annual_budget,
            actual_to_date: figures.actual_to_date,
            forecast: figures.forecast_outturn,
        }
    }
}

impl Spend for LedgerSpend {
    fn plus(self, other: LedgerSpend) -> LedgerSpend {
        LedgerSpend {
            planned: self.planned + other.planned,
            actual_to_date: self.actual_to_date + other.actual_to_date,
            forecast: self.forecast + other.forecast,
        }
    }

    fn split(self, weights: &[u64]) -> Vec<LedgerSpend> {
        let (planned, actual, forecast) =
            (self.planned.split(weights), self.actual_to_date.split(weights), self.forecast.split(weights));
        (0..weights.len())
            .map(|i| LedgerSpend { planned: planned[i], actual_to_date: actual[i], forecast: forecast[i] })
            .collect()
    }
}

/// Spend per stream, scheme and scheme type. Each total adds up to the lines': the
/// streams' and [`BcfSpend::without_stream`] to [`BcfSpend::total`], and so do the types'
/// and [`BcfSpend::without_scheme`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BcfSpend<T> {
    /// One per stream, in the agreement's order.
    pub streams: Vec<StreamSpend<T>>,
    /// Each line that is a scheme, in the agreement's order of pools and lines.
    pub schemes: Vec<SchemeSpend<T>>,
    /// Each scheme type the schemes use, in the order of the year's list.
    pub types: Vec<TypeSpend<T>>,
    /// Lines that no stream funds: aligned lines without `funded_by`, or every line of an
    /// agreement without streams.
    pub without_stream: T,
    /// Lines that are not schemes.
    pub without_scheme: T,
    /// Every line of every pool.
    pub total: T,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamSpend<T> {
    pub stream: StreamIx,
    pub spend: T,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemeSpend<T> {
    pub pool: usize,
    pub line: usize,
    pub spend: T,
    /// The scheme's spend from each stream funding it, in the streams' order.
    pub by_stream: Vec<StreamSpend<T>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeSpend<T> {
    pub scheme_type: String,
    pub schemes: usize,
    pub spend: T,
}

/// The spend of every line, `line_spend(pool, line)`, per stream, scheme and type.
pub fn spend<T: Spend>(agreement: &Agreement, line_spend: impl Fn(usize, usize) -> T) -> BcfSpend<T> {
    let mut streams: Vec<StreamSpend<T>> =
        (0..agreement.streams().len()).map(|stream| StreamSpend { stream, spend: T::default() }).collect();
    let (mut schemes, mut without_stream, mut without_scheme, mut total) =
        (Vec::new(), T::default(), T::default(), T::default());
    let mut types: HashMap<&str, (usize, T)> = HashMap::new();
    for (p, pool) in agreement.pools().iter().enumerate() {
        for (l, line) in pool.lines.iter().enumerate() {
            let figures = line_spend(p, l);
            total = total.plus(figures);
            let by_stream = by_stream(&line.funded_by, figures);
            if by_stream.is_empty() {
                without_stream = without_stream.plus(figures);
            }
            for s in &by_stream {
                streams[s.stream].spend = streams[s.stream].spend.plus(s.spend);
            }
            match &line.scheme {
                None => without_scheme = without_scheme.plus(figures),
                Some(scheme) => {
                    let of_type = types.entry(scheme.scheme_type.as_str()).or_insert((0, T::default()));
                    *of_type = (of_type.0 + 1, of_type.1.plus(figures));
                    schemes.push(SchemeSpend { pool: p, line: l, spend: figures, by_stream });
                }
            }
        }
    }
    // Types in the order of the year's list, as the template lists them.
    let listed = agreement.bcf().scheme_types.map(|year| year.list().types()).unwrap_or_default();
    let types = listed
        .iter()
        .filter_map(|t| {
            types.get(t.name.as_str()).map(|(schemes, spend)| TypeSpend {
                scheme_type: t.name.clone(),
                schemes: *schemes,
                spend: *spend,
            })
        })
        .collect();
    BcfSpend { streams, schemes, types, without_stream, without_scheme, total }
}

/// A line's figures split across the streams funding it; none when none does.
fn by_stream<T: Spend>(funded_by: &[super::StreamFunding], figures: T) -> Vec<StreamSpend<T>> {
    if funded_by.is_empty() {
        return Vec::new();
    }
    let mut weights: Vec<u64> = funded_by.iter().map(|f| f.amount.pence().unsigned_abs()).collect();
    if weights.iter().all(|w| *w == 0) {
        weights.fill(1);
    }
    let shares = figures.split(&weights);
    funded_by.iter().zip(shares).map(|(f, spend)| StreamSpend { stream: f.stream, spend }).collect()
}

/// The plan: every line's budget in the agreement.
pub fn planned(agreement: &Agreement) -> BcfSpend<Money> {
    spend(agreement, |p, l| agreement.pools()[p].lines[l].budget())
}

/// From the monthly report of `agreement`: each line's annual budget, actual to date and
/// forecast outturn. A line the report does not have (none: the report covers every line)
/// counts as zero.
pub fn from_report(agreement: &Agreement, report: &MonthlyReport) -> BcfSpend<LedgerSpend> {
    let mut lines: HashMap<(&str, &str), LedgerSpend> = HashMap::new();
    for pool in &report.pools {
        for line in pool.segments.iter().flat_map(|s| &s.lines) {
            lines.insert((pool.id.as_str(), line.id.as_str()), LedgerSpend::of(&line.figures));
        }
    }
    spend(agreement, |p, l| {
        let pool = &agreement.pools()[p];
        lines.get(&(pool.id.as_str(), pool.lines[l].id.as_str())).copied().unwrap_or_default()
    })
}
