//! The monthly finance report (docs/rules.md, monitoring): for each pool, segment, line
//! and cost centre, the annual budget, budget to date, actual to date, forecast outturn,
//! variance and change since last month, with the forecast variances that need an action
//! plan flagged (any of a pooled fund; a line's from the agreement's materiality
//! threshold), and the forecast risk-share impact on each partner (the settlement applied
//! to the forecast, with each unagreed saving's latest forecast delivery). Each partner is
//! headed by the body holding its place on the month's last day (a successor from its
//! date). A forecast entered below the cost centre's actual to date is taken only when
//! confirmed, and the report marks it.

use std::collections::HashMap;

use crate::agreement::{Agreement, BoardRule, Body, LineThreshold, PartnerIx, PoolKind};
use crate::calendar::{FinancialYear, FiscalMonth};
use crate::money::Money;
use crate::plan::Plan;
use crate::savings::{SavingDelivery, SavingRecords, deliveries_in_report, set_deliveries};
use crate::settlement::{Outturn, PoolSettlement, settle_on};

mod consolidated;
pub use consolidated::{AgreementPart, Consolidated, PartnerFigures, PoolPart, consolidated};

/// Actual net expenditure by cost centre code, M1 to M12.
pub type Actuals = HashMap<String, [Money; 12]>;

/// Forecast outturns entered by budget holders, by (cost centre code, month entered).
pub type Forecasts = HashMap<(String, FiscalMonth), EnteredForecast>;

/// A forecast outturn as a budget holder entered it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnteredForecast {
    pub outturn: Money,
    /// Entered below the actual to date, and confirmed as meant ([`check_forecast`]).
    pub confirmed_below_actual: bool,
}

/// Whether a forecast outturn may be entered for a cost centre with `actual_to_date` at
/// `month`: one below the actual to date is taken only when `confirmed` (the rest of the
/// year would have to bring refunds or credits). Whether it is below, or the refusal in
/// words naming the actual to date.
pub fn check_forecast(
    cost_centre: &str,
    month: FiscalMonth,
    outturn: Money,
    actual_to_date: Money,
    confirmed: bool,
) -> Result<bool, String> {
    let below = outturn < actual_to_date;
    if below && !confirmed {
        return Err(format!(
            "the forecast outturn {outturn} for {cost_centre} is below its actual to date at {month}, {actual_to_date}: \
             confirm that it is meant (refunds or credits still to come) to enter it"
        ));
    }
    Ok(below)
}

/// Where a forecast outturn came from; reports label it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForecastBasis {
    /// Entered by the budget holder for the report month.
    Entered,
    /// None entered: the actual to date scaled along the cost centre's budget profile
    /// ([`run_rate`]).
    RunRate,
    /// Budget not allocated to any cost centre: assumed spent exactly.
    Unallocated,
    /// A total over rows with different bases.
    Mixed,
}

impl ForecastBasis {
    pub fn name(self) -> &'static str {
        match self {
            ForecastBasis::Entered => "entered",
            ForecastBasis::RunRate => "run-rate",
            ForecastBasis::Unallocated => "unallocated",
            ForecastBasis::Mixed => "mixed",
        }
    }

    /// The basis in a reader's words, for tables and pages; [`ForecastBasis::name`] is the
    /// id the JSON keeps.
    pub fn words(self) -> &'static str {
        match self {
            ForecastBasis::RunRate => "run-rate on the budget profile",
            other => other.name(),
        }
    }

    fn combine(self, other: ForecastBasis) -> ForecastBasis {
        if self == other { self } else { ForecastBasis::Mixed }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figures {
    pub annual_budget: Money,
    pub budget_to_date: Money,
    pub actual_to_date: Money,
    pub forecast_outturn: Money,
    /// Forecast outturn less annual budget; positive is an overspend.
    pub variance: Money,
    /// This month's forecast variance less last month's; `None` in M1.
    pub change: Option<Money>,
    pub basis: ForecastBasis,
    /// Why the forecast variance needs an action plan, if it does.
    pub action_plan: Option<ActionPlan>,
    /// A cost centre's entered forecast, confirmed although below its actual to date;
    /// never on a total.
    pub confirmed_below_actual: bool,
}

impl Figures {
    pub fn needs_action_plan(&self) -> bool {
        self.action_plan.is_some()
    }

    /// The forecast's basis as a table shows it, marking a forecast confirmed although
    /// below the actual to date.
    pub fn basis_label(&self) -> String {
        let basis = self.basis.words();
        if self.confirmed_below_actual {
            format!("{basis}, below actual to date (confirmed)")
        } else {
            basis.to_string()
        }
    }
}

/// Why a forecast variance needs an action plan; [`MonthlyReport::cite`] says under which
/// clause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionPlan {
    /// Any forecast over- or underspend of a pooled fund.
    Pool,
    /// A line's forecast variance reaches the agreement's materiality threshold.
    Line,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostCentreRow {
    /// `None` for a line's budget not allocated to any cost centre.
    pub code: Option<String>,
    pub name: String,
    pub partner: Option<PartnerIx>,
    pub figures: Figures,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineReport {
    pub id: String,
    pub name: String,
    pub figures: Figures,
    pub cost_centres: Vec<CostCentreRow>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentReport {
    /// `None` for lines without a segment.
    pub name: Option<String>,
    pub figures: Figures,
    pub lines: Vec<LineReport>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolReport {
    pub id: String,
    pub name: String,
    pub figures: Figures,
    pub segments: Vec<SegmentReport>,
    /// The forecast risk-share impact: the settlement on forecast outturns.
    pub risk_impact: PoolSettlement,
    /// The pool's savings without an agreed delivery strategy, with what the forecast
    /// takes each to deliver and why.
    pub savings: Vec<SavingDelivery>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthlyReport {
    pub year: FinancialYear,
    pub month: FiscalMonth,
    /// What a pool's flag cites: the board's clause for action plans, or the rule in words.
    pub pool_clause: String,
    /// The agreement's threshold for flagging a line; without one, only pools are flagged.
    pub line_threshold: Option<LineThreshold>,
    /// Each partner's heading, in the agreement's order: the body holding its place on the
    /// month's last day.
    pub bodies: Vec<Body>,
    pub pools: Vec<PoolReport>,
    /// Cost centre budgets that do not sum to their line's budget.
    pub warnings: Vec<String>,
}

/// The level of a row in the flattened report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Pool,
    Segment,
    Line,
    CostCentre,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Pool => "pool",
            Level::Segment => "segment",
            Level::Line => "line",
            Level::CostCentre => "cost centre",
        }
    }
}

/// One row of a pool's report laid flat, for tables, CSV and spreadsheets: the pool total
/// first, then each segment, its lines and their cost centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlatRow {
    pub level: Level,
    /// What the row is: the pool, segment or line name, or `code name` for a cost centre.
    pub label: String,
    pub segment: String,
    pub line: String,
    pub cost_centre: String,
    pub partner: Option<PartnerIx>,
    pub figures: Figures,
}

impl PoolReport {
    pub fn flat_rows(&self) -> Vec<FlatRow> {
        let row = |level, label: String, segment: &str, line: &str, cost_centre: &str, partner, figures| FlatRow {
            level,
            label,
            segment: segment.to_string(),
            line: line.to_string(),
            cost_centre: cost_centre.to_string(),
            partner,
            figures,
        };
        let mut out = vec![row(Level::Pool, self.name.clone(), "", "", "", None, self.figures)];
        for s in &self.segments {
            let segment = s.name.as_deref().unwrap_or("(no segment)");
            out.push(row(Level::Segment, segment.to_string(), segment, "", "", None, s.figures));
            for l in &s.lines {
                out.push(row(Level::Line, l.name.clone(), segment, &l.id, "", None, l.figures));
                for c in &l.cost_centres {
                    let code = c.code.as_deref().unwrap_or("");
                    let label = if code.is_empty() { c.name.clone() } else { format!("{code} {}", c.name) };
                    out.push(row(Level::CostCentre, label, segment, &l.id, code, c.partner, c.figures));
                }
            }
        }
        out
    }
}

impl MonthlyReport {
    /// What to cite beside a flag: the clause it is raised under, or the rule in words.
    pub fn cite(&self, flag: ActionPlan) -> &str {
        match (flag, &self.line_threshold) {
            (ActionPlan::Line, Some(t)) => t.cite(),
            _ => &self.pool_clause,
        }
    }

    /// When the report flags a forecast variance, in words with the clauses: for the
    /// heading of a report.
    pub fn flagging(&self) -> String {
        let pools = format!("any forecast over- or underspend of a pooled fund ({})", self.pool_clause);
        match &self.line_threshold {
            None => pools,
            Some(t) => format!("{pools}; a line's from {} ({})", t.words(), t.cite()),
        }
    }
}

/// Builds the report for `month`. Any forecast over- or underspend of a pooled fund needs
/// an action plan (an aligned pool is not a pooled fund, and is not flagged as one); a
/// line's, only when it reaches the agreement's `[reporting] line_threshold`. The
/// forecast risk-share impact takes each unagreed saving's delivery as
/// [`deliveries_in_report`] says.
///
/// The budgets are the agreement's (its latest version) and the plan's: a cost centre's
/// budget to date follows its profile, and a line's budget not allocated to any cost
/// centre is spread over the months from `budgets_from`, the month the agreement's latest
/// variation took effect ([`crate::variation::Version::budgets_from`]; M1 when none did),
/// so that the budget to date of a month before it stays as it was.
pub fn monthly_report(
    agreement: &Agreement,
    plan: &Plan,
    actuals: &Actuals,
    forecasts: &Forecasts,
    savings: &SavingRecords,
    month: FiscalMonth,
    budgets_from: FiscalMonth,
) -> MonthlyReport {
    let inputs = Inputs { agreement, plan, actuals, forecasts, budgets_from };
    let now = inputs.month_figures(month);
    let before = FiscalMonth::new(month.number() - 1).map(|m| inputs.month_figures(m));
    let line_threshold = agreement.reporting().line_threshold.clone();
    let flag_line = |mut f: Figures| {
        let reached = line_threshold.as_ref().is_some_and(|t| t.reached(f.variance, f.annual_budget));
        f.action_plan = reached.then_some(ActionPlan::Line);
        f
    };

    let mut outturn = Outturn::on_budget(agreement);
    let mut pools = Vec::new();
    for (p, pool) in agreement.pools().iter().enumerate() {
        let mut segments: Vec<SegmentReport> = Vec::new();
        for (l, line) in pool.lines.iter().enumerate() {
            let rows: Vec<CostCentreRow> = now[p][l]
                .iter()
                .enumerate()
                .map(|(i, (row, figures))| {
                    let previous = before.as_ref().map(|b| b[p][l][i].1.variance);
                    CostCentreRow { figures: with_change(*figures, previous), ..row.clone() }
                })
                .collect();
            let figures = flag_line(total(rows.iter().map(|r| r.figures)));
            outturn.set_line(agreement, &pool.id, &line.id, figures.forecast_outturn);
            let line_report = LineReport { id: line.id.clone(), name: line.name.clone(), figures, cost_centres: rows };
            match segments.iter_mut().find(|s| s.name == line.segment) {
                Some(segment) => segment.lines.push(line_report),
                None => segments.push(SegmentReport {
                    name: line.segment.clone(),
                    figures: line_report.figures,
                    lines: vec![line_report],
                }),
            }
        }
        for segment in &mut segments {
            segment.figures = total(segment.lines.iter().map(|l| l.figures));
        }
        let mut figures = total(segments.iter().map(|s| s.figures));
        if pool.kind == PoolKind::Pooled && figures.variance != Money::ZERO {
            figures.action_plan = Some(ActionPlan::Pool);
        }
        let deliveries = deliveries_in_report(pool, savings, month);
        set_deliveries(&mut outturn, &deliveries);
        pools.push(PoolReport {
            id: pool.id.clone(),
            name: pool.name.clone(),
            figures,
            segments,
            risk_impact: PoolSettlement::default(),
            savings: deliveries,
        });
    }
    let last_day = agreement.financial_year().month_end(month);
    for (report, settlement) in pools.iter_mut().zip(settle_on(agreement, &outturn, last_day)) {
        report.risk_impact = settlement;
    }
    MonthlyReport {
        year: agreement.financial_year(),
        month,
        pool_clause: agreement.cite(BoardRule::ActionPlans).to_string(),
        line_threshold,
        bodies: (0..agreement.partners().len()).map(|p| agreement.body_on(p, last_day)).collect(),
        pools,
        warnings: plan.budget_mismatches(agreement),
    }
}

/// `[pool][line]` -> each row of the line (its cost centres, then any unallocated budget)
/// with its figures at `month`, change not yet known.
type MonthFigures = Vec<Vec<Vec<(CostCentreRow, Figures)>>>;

/// What a report is built from.
struct Inputs<'a> {
    agreement: &'a Agreement,
    plan: &'a Plan,
    actuals: &'a Actuals,
    forecasts: &'a Forecasts,
    budgets_from: FiscalMonth,
}

impl Inputs<'_> {
    fn month_figures(&self, month: FiscalMonth) -> MonthFigures {
        let Inputs { agreement, plan, actuals, forecasts, budgets_from } = *self;
        let elapsed = month.number() as usize;
        let unallocated_months = 13 - budgets_from.number() as usize;
        agreement
            .pools()
            .iter()
            .enumerate()
            .map(|(p, pool)| {
                pool.lines
                    .iter()
                    .enumerate()
                    .map(|(l, line)| {
                        let mut rows = Vec::new();
                        let mut allocated = Money::ZERO;
                        for cc in plan.cost_centres().iter().filter(|c| c.pool == p && c.line == l) {
                            allocated += cc.budget;
                            let actual = actuals.get(&cc.code).copied().unwrap_or([Money::ZERO; 12]);
                            let actual_to_date: Money = actual[..elapsed].iter().sum();
                            let budget_to_date = cc.profile[..elapsed].iter().sum();
                            let entered = forecasts.get(&(cc.code.clone(), month));
                            let (forecast, basis) = match entered {
                                Some(f) => (f.outturn, ForecastBasis::Entered),
                                None => (run_rate(actual_to_date, budget_to_date, cc.budget), ForecastBasis::RunRate),
                            };
                            let figures = Figures {
                                confirmed_below_actual: entered.is_some_and(|f| f.confirmed_below_actual),
                                ..figures(cc.budget, budget_to_date, actual_to_date, forecast, basis)
                            };
                            let row = CostCentreRow {
                                code: Some(cc.code.clone()),
                                name: cc.name.clone(),
                                partner: Some(cc.partner),
                                figures,
                            };
                            rows.push((row, figures));
                        }
                        let unallocated = line.budget() - allocated;
                        if unallocated != Money::ZERO || rows.is_empty() {
                            let to_date: Money =
                                unallocated.over_last_months(unallocated_months)[..elapsed].iter().sum();
                            let figures =
                                figures(unallocated, to_date, Money::ZERO, unallocated, ForecastBasis::Unallocated);
                            let row =
                                CostCentreRow { code: None, name: "Unallocated budget".into(), partner: None, figures };
                            rows.push((row, figures));
                        }
                        rows
                    })
                    .collect()
            })
            .collect()
    }
}

fn figures(budget: Money, budget_to_date: Money, actual: Money, forecast: Money, basis: ForecastBasis) -> Figures {
    Figures {
        annual_budget: budget,
        budget_to_date,
        actual_to_date: actual,
        forecast_outturn: forecast,
        variance: forecast - budget,
        change: None,
        basis,
        action_plan: None,
        confirmed_below_actual: false,
    }
}

fn with_change(mut f: Figures, previous_variance: Option<Money>) -> Figures {
    f.change = previous_variance.map(|v| f.variance - v);
    f
}

/// The forecast outturn where none is entered: the actual to date scaled as the cost
/// centre's budget profile runs, actual to date * annual budget / budget to date, truncated
/// toward zero to the penny (on a flat profile, the actual to date over the months elapsed
/// for twelve months, give or take the pence of a budget twelve does not divide). Where the profile has nothing to date, nothing was due yet, so the
/// whole budget is still to come: annual budget + actual to date. Beyond the range of money
/// the result stops at its bound.
pub fn run_rate(actual_to_date: Money, budget_to_date: Money, annual_budget: Money) -> Money {
    let (actual, annual) = (i128::from(actual_to_date.pence()), i128::from(annual_budget.pence()));
    // Two i64 factors always fit in an i128.
    let forecast = match i128::from(budget_to_date.pence()) {
        0 => actual + annual,
        to_date => actual * annual / to_date,
    };
    Money::from_pence(i64::try_from(forecast).unwrap_or(if forecast < 0 { i64::MIN } else { i64::MAX }))
}

fn total(parts: impl Iterator<Item = Figures>) -> Figures {
    let mut sum: Option<Figures> = None;
    for f in parts {
        sum = Some(match sum {
            None => f,
            Some(s) => Figures {
                annual_budget: s.annual_budget + f.annual_budget,
                budget_to_date: s.budget_to_date + f.budget_to_date,
                actual_to_date: s.actual_to_date + f.actual_to_date,
                forecast_outturn: s.forecast_outturn + f.forecast_outturn,
                variance: s.variance + f.variance,
                change: s.change.zip(f.change).map(|(a, b)| a + b),
                basis: s.basis.combine(f.basis),
                action_plan: None,
                confirmed_below_actual: false,
            },
        });
    }
    sum.unwrap_or_else(|| figures(Money::ZERO, Money::ZERO, Money::ZERO, Money::ZERO, ForecastBasis::Unallocated))
}

#[cfg(test)]
pub(crate) mod tests;
