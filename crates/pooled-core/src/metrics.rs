//! Metrics and key performance indicators: the national metrics an agreement reports
//! (bundled per framework year, [`national`]), the local KPIs its `[performance]` table
//! defines, the periods they are measured over, the figures planned and achieved (a
//! figure, or "data not available"), the status of a period against its plan, and the
//! home support measure's quarterly figures computed from weekly ones.

pub mod decimal;
pub mod national;

use std::collections::BTreeMap;
use std::fmt;

use crate::agreement::PartnerIx;
use crate::calendar::{Date, FinancialYear, FiscalMonth};
pub use decimal::Decimal;
pub use national::{NationalMetric, NationalSet};

/// Whether a lower or a higher figure is the better one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Lower,
    Higher,
}

impl Direction {
    pub fn parse(text: &str) -> Result<Direction, String> {
        match text {
            "lower" => Ok(Direction::Lower),
            "higher" => Ok(Direction::Higher),
            other => Err(format!("unknown direction `{other}`: `lower` or `higher` (is better)")),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Direction::Lower => "lower",
            Direction::Higher => "higher",
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Direction::Lower => "lower is better",
            Direction::Higher => "higher is better",
        }
    }
}

/// How often a metric is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Frequency {
    Week,
    Month,
    Quarter,
    Year,
}

impl Frequency {
    pub fn parse(text: &str) -> Result<Frequency, String> {
        match text {
            "week" => Ok(Frequency::Week),
            "month" => Ok(Frequency::Month),
            "quarter" => Ok(Frequency::Quarter),
            "year" => Ok(Frequency::Year),
            other => Err(format!("unknown period `{other}`: `week`, `month`, `quarter` or `year`")),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Frequency::Week => "week",
            Frequency::Month => "month",
            Frequency::Quarter => "quarter",
            Frequency::Year => "year",
        }
    }

    /// Every period of a year at this frequency, in order.
    pub fn periods(self) -> Vec<MetricPeriod> {
        match self {
            Frequency::Week => (1..=WEEKS).map(MetricPeriod::Week).collect(),
            Frequency::Month => FiscalMonth::all().map(MetricPeriod::Month).collect(),
            Frequency::Quarter => (1..=4).map(MetricPeriod::Quarter).collect(),
            Frequency::Year => vec![MetricPeriod::Year],
        }
    }
}

/// The weeks of a financial year: week 1 starts on 1 April, each week is seven days, and
/// week 52 runs on to 31 March (eight or nine days), so that each quarter has 13 weeks.
pub const WEEKS: u8 = 52;

/// A period of a financial year a figure is for: `W1`-`W52`, `M1`-`M12`, `Q1`-`Q4` or
/// the `year`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MetricPeriod {
    Week(u8),
    Month(FiscalMonth),
    Quarter(u8),
    Year,
}

impl MetricPeriod {
    pub fn parse(text: &str) -> Result<MetricPeriod, String> {
        let t = text.trim();
        let bad = || {
            Err(format!(
                "invalid period {}: a week `W1`-`W52`, a month `M1`-`M12`, a quarter `Q1`-`Q4` or `year`",
                crate::diagnostic::quote(text)
            ))
        };
        if t.eq_ignore_ascii_case("year") {
            return Ok(MetricPeriod::Year);
        }
        let Some(first) = t.chars().next() else { return bad() };
        let number = t[first.len_utf8()..].parse::<u8>().ok();
        match (first.to_ascii_uppercase(), number) {
            ('W', Some(n @ 1..=WEEKS)) => Ok(MetricPeriod::Week(n)),
            ('Q', Some(n @ 1..=4)) => Ok(MetricPeriod::Quarter(n)),
            ('M', Some(n)) => FiscalMonth::new(n.into()).map(MetricPeriod::Month).ok_or(()).or_else(|()| bad()),
            _ => bad(),
        }
    }

    pub fn frequency(self) -> Frequency {
        match self {
            MetricPeriod::Week(_) => Frequency::Week,
            MetricPeriod::Month(_) => Frequency::Month,
            MetricPeriod::Quarter(_) => Frequency::Quarter,
            MetricPeriod::Year => Frequency::Year,
        }
    }

    /// The quarter it falls in; `None` for the year.
    pub fn quarter(self) -> Option<u8> {
        match self {
            MetricPeriod::Week(n) => Some((n - 1) / 13 + 1),
            MetricPeriod::Month(m) => Some(((m.number() - 1) / 3 + 1) as u8),
            MetricPeriod::Quarter(q) => Some(q),
            MetricPeriod::Year => None,
        }
    }

    /// Its first and last day in `year`.
    pub fn days(self, year: FinancialYear) -> (Date, Date) {
        let first = year.first_day();
        let month_end = |m: u32| year.month_end(FiscalMonth::new(m).unwrap_or(FiscalMonth::new(12).expect("M12")));
        let month_start = |m: u32| year.month_start(FiscalMonth::new(m).unwrap_or(FiscalMonth::new(1).expect("M1")));
        match self {
            MetricPeriod::Week(n) => {
                let start = first.add_days(7 * i64::from(n - 1)).unwrap_or(first);
                let end = if n == WEEKS { year.last_day() } else { start.add_days(6).unwrap_or(start) };
                (start, end)
            }
            MetricPeriod::Month(m) => (year.month_start(m), year.month_end(m)),
            MetricPeriod::Quarter(q) => (month_start(u32::from(q) * 3 - 2), month_end(u32::from(q) * 3)),
            MetricPeriod::Year => (first, year.last_day()),
        }
    }
}

impl fmt::Display for MetricPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricPeriod::Week(n) => write!(f, "W{n}"),
            MetricPeriod::Month(m) => write!(f, "{m}"),
            MetricPeriod::Quarter(q) => write!(f, "Q{q}"),
            MetricPeriod::Year => f.write_str("year"),
        }
    }
}

/// A figure recorded for a period: a value, or "data not available", which is a state of
/// its own (the period was reported on, and there was no data), neither zero nor a
/// figure not yet entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figure {
    Value(Decimal),
    NotAvailable,
}

/// How "data not available" is written in files, forms and the API.
pub const NOT_AVAILABLE: &str = "not available";

impl Figure {
    /// A number, or `not available` (also `n/a`), in any case.
    pub fn parse(text: &str) -> Result<Figure, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case(NOT_AVAILABLE) || t.eq_ignore_ascii_case("n/a") {
            return Ok(Figure::NotAvailable);
        }
        if t.is_empty() {
            return Err(format!("no figure: give a number, or `{NOT_AVAILABLE}` when there is no data"));
        }
        Decimal::parse(t).map(Figure::Value)
    }

    pub fn value(self) -> Option<Decimal> {
        match self {
            Figure::Value(v) => Some(v),
            Figure::NotAvailable => None,
        }
    }
}

impl fmt::Display for Figure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Figure::Value(v) => write!(f, "{v}"),
            Figure::NotAvailable => f.write_str(NOT_AVAILABLE),
        }
    }
}

/// What a figure is: the plan (or trajectory) for the period, or what was achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FigureKind {
    Plan,
    Actual,
}

impl FigureKind {
    pub fn parse(text: &str) -> Result<FigureKind, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "plan" => Ok(FigureKind::Plan),
            "actual" => Ok(FigureKind::Actual),
            other => Err(format!("unknown kind of figure {}: `plan` or `actual`", crate::diagnostic::quote(other))),
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            FigureKind::Plan => "plan",
            FigureKind::Actual => "actual",
        }
    }
}

/// A period's standing against its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    OnTrack,
    NotOnTrack,
    /// No plan, or no actual, or either is "data not available".
    NotAvailable,
}

impl Status {
    pub fn words(self) -> &'static str {
        match self {
            Status::OnTrack => "on track",
            Status::NotOnTrack => "not on track",
            Status::NotAvailable => "not available",
        }
    }
}

/// The one rule on a period's status: on track when the actual is the plan or better in
/// the metric's direction (equal to the plan is on track), not on track when worse, and
/// not available unless both are figures.
pub fn status(plan: Option<Figure>, actual: Option<Figure>, direction: Direction) -> Status {
    match (plan.and_then(Figure::value), actual.and_then(Figure::value)) {
        (Some(plan), Some(actual)) => {
            let better_or_equal = match direction {
                Direction::Lower => actual <= plan,
                Direction::Higher => actual >= plan,
            };
            if better_or_equal { Status::OnTrack } else { Status::NotOnTrack }
        }
        _ => Status::NotAvailable,
    }
}

/// The `[performance]` table of an agreement: the national metrics it reports, and its
/// own KPIs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Performance {
    pub national: Option<&'static NationalSet>,
    pub kpis: Vec<Kpi>,
}

/// A KPI the agreement defines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kpi {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub frequency: Frequency,
    pub baseline: Option<Decimal>,
    /// The plan of every period for which no plan is entered.
    pub target: Option<Decimal>,
    /// The partner whose figures these are, whose finance officers enter them.
    pub partner: Option<PartnerIx>,
    pub clause: Option<String>,
    /// The home support measure's terms, for a KPI of that kind.
    pub home_support: Option<HomeSupport>,
}

/// The terms of a home support measure: commissioned hours a week grown by a percentage
/// from a baseline, by purchasing so many new hours a week; tracked weekly and monitored
/// quarterly by the average new hours a week in the quarter, the cumulative progress to
/// the growth, and the spend against the home support budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeSupport {
    /// Hours of home support commissioned a week at the start.
    pub baseline_hours: Decimal,
    /// The growth in weekly hours to reach, as a percentage of the baseline.
    pub growth_percent: Decimal,
    /// New hours to purchase each week.
    pub new_hours_a_week: Decimal,
    /// The pool and line of the home support budget.
    pub budget_line: Option<(String, String)>,
}

impl HomeSupport {
    /// The growth in weekly hours the measure aims at: `baseline × growth%` (to two
    /// decimal places, half away from zero; `2040`, not `2040.00`, when whole).
    pub fn growth_target(&self) -> Decimal {
        self.baseline_hours.percent(self.growth_percent, 2).unwrap_or(Decimal::ZERO).normalized()
    }
}

/// The two weekly series of a home support measure, named after its KPI.
pub fn new_hours_series(kpi: &str) -> String {
    format!("{kpi}.new-hours")
}

pub fn total_hours_series(kpi: &str) -> String {
    format!("{kpi}.total-hours")
}

/// A series of figures one enters: a national metric, a KPI, or one of a home support
/// measure's two weekly series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub id: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    pub frequency: Frequency,
    pub target: Option<Decimal>,
    pub partner: Option<PartnerIx>,
    /// Where it comes from, in the user's words: the agreement's clause, or the national
    /// set and the metric's source.
    pub cited: String,
    /// The metric's definition, for a national one (with whether it was checked).
    pub definition: Option<String>,
}

impl Performance {
    /// Every series figures are entered for: the national metrics, then the KPIs (a home
    /// support measure as its new hours and its total hours a week).
    pub fn series(&self) -> Vec<Series> {
        let mut out = Vec::new();
        if let Some(set) = self.national {
            for m in &set.metrics {
                let checked =
                    if m.confirmed { "" } else { " (definition not yet checked against NHS England's guidance)" };
                out.push(Series {
                    id: m.id.clone(),
                    name: m.name.clone(),
                    unit: m.rate_base.clone(),
                    direction: m.direction,
                    frequency: m.frequency,
                    target: None,
                    partner: None,
                    cited: format!("{}; {}", set.source, m.source),
                    definition: Some(format!("{}{checked}", m.definition)),
                });
            }
        }
        for k in &self.kpis {
            let cited = k.clause.clone().unwrap_or_else(|| "the agreement's KPI".into());
            match &k.home_support {
                None => out.push(Series {
                    id: k.id.clone(),
                    name: k.name.clone(),
                    unit: k.unit.clone(),
                    direction: k.direction,
                    frequency: k.frequency,
                    target: k.target,
                    partner: k.partner,
                    cited,
                    definition: None,
                }),
                Some(h) => {
                    let hours = |id: String, name: String, target: Decimal| Series {
                        id,
                        name,
                        unit: "hours a week".into(),
                        direction: Direction::Higher,
                        frequency: Frequency::Week,
                        target: Some(target),
                        partner: k.partner,
                        cited: cited.clone(),
                        definition: None,
                    };
                    let total = h.baseline_hours.plus(h.growth_target());
                    out.push(hours(
                        new_hours_series(&k.id),
                        format!("{}: new hours a week", k.name),
                        h.new_hours_a_week,
                    ));
                    out.push(hours(total_hours_series(&k.id), format!("{}: hours commissioned a week", k.name), total));
                }
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.national.is_none() && self.kpis.is_empty()
    }
}

/// A series' figures for the year: plans and actuals by period.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub plans: BTreeMap<MetricPeriod, Figure>,
    pub actuals: BTreeMap<MetricPeriod, Figure>,
}

impl Figures {
    /// The plan of a period: the one entered, else the series' target.
    pub fn plan(&self, series: &Series, period: MetricPeriod) -> Option<Figure> {
        self.plans.get(&period).copied().or(series.target.map(Figure::Value))
    }
}

/// One period of a series with its status.
#[derive(Clone, Debug, PartialEq)]
pub struct PeriodStanding {
    pub period: MetricPeriod,
    pub plan: Option<Figure>,
    pub actual: Option<Figure>,
    pub status: Status,
}

/// Each period of the series' year with its plan, actual and status.
pub fn standings(series: &Series, figures: &Figures) -> Vec<PeriodStanding> {
    series
        .frequency
        .periods()
        .into_iter()
        .map(|period| {
            let plan = figures.plan(series, period);
            let actual = figures.actuals.get(&period).copied();
            PeriodStanding { period, plan, actual, status: status(plan, actual, series.direction) }
        })
        .collect()
}

/// The latest period with an actual entered (a figure or "not available"), the one a
/// listing shows a series' status by.
pub fn latest(standings: &[PeriodStanding]) -> Option<&PeriodStanding> {
    standings.iter().rev().find(|s| s.actual.is_some())
}

/// As [`latest`], among the periods of `year` ended by `day`: what a monthly performance
/// report as at that day shows.
pub fn latest_by(standings: &[PeriodStanding], year: FinancialYear, day: Date) -> Option<&PeriodStanding> {
    standings.iter().rev().find(|s| s.actual.is_some() && s.period.days(year).1 <= day)
}

/// A quarter of a home support measure, from its weekly figures.
#[derive(Clone, Debug, PartialEq)]
pub struct HomeSupportQuarter {
    pub quarter: u8,
    /// Weeks of the quarter with a figure of new hours.
    pub weeks_reported: usize,
    /// The average of the weekly new hours of the weeks reported, to one decimal place.
    pub average_new_hours: Option<Decimal>,
    /// Against the new hours to purchase each week.
    pub new_hours_status: Status,
    /// The latest week of the quarter with a figure of hours commissioned, and that figure.
    pub latest_week: Option<(u8, Decimal)>,
    /// Its growth over the baseline, in hours a week.
    pub growth_hours: Option<Decimal>,
    /// That growth as a percentage of the growth aimed at, to one decimal place.
    pub progress_percent: Option<Decimal>,
    /// The progress due by the quarter's end on a straight line to the year's end: a
    /// quarter of it each quarter.
    pub progress_due_percent: Decimal,
    pub progress_status: Status,
}

/// The quarterly figures of a home support measure from its weekly figures: new hours
/// purchased and hours commissioned, each by week. A week whose figure is "data not
/// available" counts as not reported.
pub fn home_support_quarters(
    terms: &HomeSupport,
    new_hours: &BTreeMap<MetricPeriod, Figure>,
    total_hours: &BTreeMap<MetricPeriod, Figure>,
) -> Vec<HomeSupportQuarter> {
    let growth_target = terms.growth_target();
    (1..=4u8)
        .map(|quarter| {
            let weeks = (quarter - 1) * 13 + 1..=quarter * 13;
            let values = |of: &BTreeMap<MetricPeriod, Figure>| -> Vec<(u8, Decimal)> {
                weeks.clone().filter_map(|w| Some((w, of.get(&MetricPeriod::Week(w))?.value()?))).collect()
            };
            let new: Vec<Decimal> = values(new_hours).into_iter().map(|(_, v)| v).collect();
            let average_new_hours = Decimal::mean(&new, 1);
            let latest_week = values(total_hours).last().copied();
            let growth_hours = latest_week.map(|(_, total)| total.minus(terms.baseline_hours));
            let progress_percent = growth_hours.and_then(|g| g.percent_of(growth_target, 1));
            let progress_due_percent =
                Decimal::from_whole(100).and_then(|h| h.times_fraction(quarter.into(), 4, 1)).unwrap_or(Decimal::ZERO);
            let as_figure = |d: Option<Decimal>| d.map(Figure::Value);
            HomeSupportQuarter {
                quarter,
                weeks_reported: new.len(),
                average_new_hours,
                new_hours_status: status(
                    Some(Figure::Value(terms.new_hours_a_week)),
                    as_figure(average_new_hours),
                    Direction::Higher,
                ),
                latest_week,
                growth_hours,
                progress_percent,
                progress_due_percent,
                progress_status: status(
                    Some(Figure::Value(progress_due_percent)),
                    as_figure(progress_percent),
                    Direction::Higher,
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
