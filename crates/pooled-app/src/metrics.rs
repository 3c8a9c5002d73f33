//! The metrics and KPIs of an agreement's year: each series with its plan, actual and
//! status period by period (the core's rule), the home support measure's quarters, and
//! entering figures, one by one or from a CSV/XLSX file. The command line, the pages and
//! the API all enter figures through [`set_metrics`] and [`import_metrics`], so each
//! refuses the same things in the same words.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use pooled_core::agreement::Agreement;
use pooled_core::ledger::{BadRows, DateFormat, RowError};
use pooled_core::metrics::{
    Figure, FigureKind, Figures, HomeSupportQuarter, Kpi, MetricPeriod, PeriodStanding, Series, home_support_quarters,
    new_hours_series, standings, total_hours_series,
};
use pooled_files::Record;
use pooled_store::{MetricEntry, Store, StoredMetric};

use crate::{AppError, Result};

/// One series of the agreement with its figures and each period's standing.
#[derive(Clone, Debug)]
pub struct SeriesState {
    pub series: Series,
    pub figures: Figures,
    pub standings: Vec<PeriodStanding>,
}

impl SeriesState {
    /// The latest period with an actual entered, which a listing shows.
    pub fn latest(&self) -> Option<&PeriodStanding> {
        pooled_core::metrics::latest(&self.standings)
    }
}

/// Each series of the agreement's `[performance]`, in its order, with the figures among
/// `stored` (figures of a series the agreement no longer has are left out).
pub fn series_states(agreement: &Agreement, stored: &[StoredMetric]) -> Vec<SeriesState> {
    let mut by_series: BTreeMap<&str, Figures> = BTreeMap::new();
    for m in stored {
        let figures = by_series.entry(m.entry.series.as_str()).or_default();
        let kept = match m.entry.kind {
            FigureKind::Plan => &mut figures.plans,
            FigureKind::Actual => &mut figures.actuals,
        };
        kept.insert(m.entry.period, m.entry.figure);
    }
    agreement
        .performance()
        .series()
        .into_iter()
        .map(|series| {
            let figures = by_series.remove(series.id.as_str()).unwrap_or_default();
            let standings = standings(&series, &figures);
            SeriesState { series, figures, standings }
        })
        .collect()
}

/// A figure as a table's cell: the value as a number, "not available" as text, nothing
/// when none is entered.
pub fn figure_cell(figure: Option<Figure>) -> pooled_files::Cell {
    match figure {
        Some(Figure::Value(v)) => pooled_files::Cell::Decimal(v),
        Some(Figure::NotAvailable) => pooled_files::Cell::Text(pooled_core::metrics::NOT_AVAILABLE.into()),
        None => pooled_files::Cell::Empty,
    }
}

/// A home support measure with its quarters computed from its weekly figures.
pub struct HomeSupportState<'a> {
    pub kpi: &'a Kpi,
    pub quarters: Vec<HomeSupportQuarter>,
}

/// The agreement's home support measures, each with its quarters.
pub fn home_support_states<'a>(agreement: &'a Agreement, states: &[SeriesState]) -> Vec<HomeSupportState<'a>> {
    let actuals =
        |id: String| states.iter().find(|s| s.series.id == id).map(|s| s.figures.actuals.clone()).unwrap_or_default();
    agreement
        .performance()
        .kpis
        .iter()
        .filter_map(|kpi| {
            let terms = kpi.home_support.as_ref()?;
            let quarters = home_support_quarters(
                terms,
                &actuals(new_hours_series(&kpi.id)),
                &actuals(total_hours_series(&kpi.id)),
            );
            Some(HomeSupportState { kpi, quarters })
        })
        .collect()
}

/// Checks a figure against the agreement: its series is one of the agreement's, and its
/// period is one of the series' frequency. The series, or why not.
fn check_entry(all: &[Series], entry: &MetricEntry) -> Result<Series, String> {
    let Some(series) = all.iter().find(|s| s.id == entry.series) else {
        let ids: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
        return Err(if ids.is_empty() {
            "the agreement defines no metrics or KPIs (its [performance] table)".into()
        } else {
            format!("unknown metric `{}` (the agreement's are {})", entry.series, ids.join(", "))
        });
    };
    if entry.period.frequency() != series.frequency {
        return Err(format!(
            "{} is measured by {}: {} is not one (e.g. {})",
            series.id,
            series.frequency.key(),
            entry.period,
            series.frequency.periods()[0]
        ));
    }
    Ok(series.clone())
}

/// Records figures of the agreement's metrics and KPIs, all or none; `allowed` is the
/// caller's rule on who may enter a series' figures (an `Err` says why not). The store
/// writes one audit entry with them.
pub fn set_metrics(
    store: &mut dyn Store,
    agreement: &Agreement,
    entries: &[MetricEntry],
    actor: &str,
    allowed: impl Fn(&Series) -> Result<(), String>,
) -> Result<()> {
    let all = agreement.performance().series();
    let mut problems = Vec::new();
    for e in entries {
        match check_entry(&all, e) {
            Ok(series) => {
                if let Err(why) = allowed(&series) {
                    return Err(AppError::Forbidden(why));
                }
            }
            Err(why) => problems.push(why),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::Input(problems));
    }
    store.set_metrics(&crate::agreement_year(agreement), entries, actor)?;
    Ok(())
}

/// The most figures one file may bring: a year of weekly figures of hundreds of series,
/// planned and achieved, and a bound on what an import holds in memory.
pub const MAX_IMPORT_FIGURES: usize = 100_000;

/// The columns of a metrics file, in any order and case.
pub const IMPORT_COLUMNS: [&str; 4] = ["metric", "period", "kind", "value"];

/// What an import recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsImported {
    pub figures: usize,
}

/// Imports a CSV or XLSX file of figures (columns `metric`, `period`, `kind` and
/// `value`; a value is a number or `not available`) into the agreement's year: all of it
/// or nothing. Every bad cell is named by file, row and column (the first 50, and a count
/// of the rest); a figure given twice is refused on its second row; past
/// [`MAX_IMPORT_FIGURES`] the file is refused.
pub fn import_metrics(
    store: &mut dyn Store,
    agreement: &Agreement,
    path: &Path,
    actor: &str,
    allowed: impl Fn(&Series) -> Result<(), String>,
) -> Result<MetricsImported> {
    let file = path.display().to_string();
    let mut table = crate::open_table(path, DateFormat::Iso, false)?;
    let header: Vec<String> = table.header().to_vec();
    let mut columns = [0usize; 4];
    let mut missing = Vec::new();
    for (slot, name) in columns.iter_mut().zip(IMPORT_COLUMNS) {
        match header.iter().position(|h| h.trim().eq_ignore_ascii_case(name)) {
            Some(ix) => *slot = ix,
            None => missing.push(format!("`{name}`")),
        }
    }
    if !missing.is_empty() {
        return Err(AppError::Input(vec![format!(
            "{file}:1: error: the header has no column {} (a metrics file has the columns {})",
            missing.join(", "),
            IMPORT_COLUMNS.join(", ")
        )]));
    }
    let all = agreement.performance().series();
    let mut bad = BadRows::default();
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut record = Record::default();
    while table.read_into(&mut record).map_err(|e| AppError::Input(vec![format!("{file}: {e}")]))? {
        if record.fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if entries.len() == MAX_IMPORT_FIGURES {
            return Err(AppError::Input(vec![format!(
                "{file}:{}: error: more than {MAX_IMPORT_FIGURES} figures: split the file",
                record.row
            )]));
        }
        match read_entry(&record, &header, columns, &all, &allowed) {
            Ok(entry) => {
                if !seen.insert((entry.series.clone(), entry.period, entry.kind)) {
                    let message = format!("{} {} {} is given twice", entry.series, entry.period, entry.kind.key());
                    bad.push(RowError::new(record.row, columns[0] + 1, &header[columns[0]], message));
                } else if bad.is_empty() {
                    entries.push(entry);
                }
            }
            Err(Refusal::Bad(e)) => bad.push(e),
            Err(Refusal::Forbidden(why)) => return Err(AppError::Forbidden(why)),
        }
    }
    if !bad.is_empty() {
        return Err(AppError::Input(bad.render(&file)));
    }
    store.set_metrics(&crate::agreement_year(agreement), &entries, actor)?;
    Ok(MetricsImported { figures: entries.len() })
}

enum Refusal {
    Bad(RowError),
    Forbidden(String),
}

/// A row of a metrics file as a figure, or its first bad cell.
fn read_entry(
    record: &Record,
    header: &[String],
    [metric, period, kind, value]: [usize; 4],
    all: &[Series],
    allowed: &impl Fn(&Series) -> Result<(), String>,
) -> Result<MetricEntry, Refusal> {
    let cell = |ix: usize| record.fields.get(ix).map_or("", |f| f.trim());
    let bad = |ix: usize, message: String| Refusal::Bad(RowError::new(record.row, ix + 1, &header[ix], message));
    let period_of = MetricPeriod::parse(cell(period)).map_err(|e| bad(period, e))?;
    let kind_of = FigureKind::parse(cell(kind)).map_err(|e| bad(kind, e))?;
    let figure = Figure::parse(cell(value)).map_err(|e| bad(value, e))?;
    let entry = MetricEntry { series: cell(metric).to_string(), period: period_of, kind: kind_of, figure };
    let series = check_entry(all, &entry).map_err(|e| {
        let column = if all.iter().any(|s| s.id == entry.series) { period } else { metric };
        bad(column, e)
    })?;
    allowed(&series).map_err(Refusal::Forbidden)?;
    Ok(entry)
}
