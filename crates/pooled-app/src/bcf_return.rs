//! The returns to NHS England (docs/rules.md, "The returns"): the year's plan, a quarter's
//! return and the end-of-year return, as figures ([`bcf_return`]) and as a workbook laid
//! out like the Better Care Fund's templates ([`return_workbook`]: Cover, Income,
//! Expenditure, Metrics, National conditions). Every figure comes from the use cases the
//! pages and `pooled bcf` / `pooled metrics` show: spend per stream and scheme from
//! [`crate::bcf`] at the return's month (the plan from the agreement's budgets), the fund's
//! conditions judged on the same figures, metrics from
//! [`crate::metrics::series_states`]; what the area writes (who completed it, the
//! narrative, assurance statements) is stored per return and entered through
//! [`set_statement`].

use pooled_core::agreement::Agreement;
use pooled_core::bcf::conditions::{Condition, Judged, Requirement, Rule};
use pooled_core::bcf::returns::{ReturnKind, StatementField, check_statement};
use pooled_core::bcf::{BcfSpend, LedgerSpend, Spend};
use pooled_core::money::Money;
use pooled_files::{Cell, Column, ColumnKind, Sheet, TotalsRow, Workbook};
use pooled_store::{AgreementYear, AuditHead, Store, StoredStatement};

use crate::metrics::{SeriesState, figure_cell};
use crate::{AppError, Result, anchored};

/// A return's figures and statements, read as of one moment with the audit log's head.
pub struct BcfReturn {
    pub kind: ReturnKind,
    pub agreement: Agreement,
    pub spend: ReturnSpend,
    pub metrics: Vec<SeriesState>,
    pub statements: Vec<StoredStatement>,
    pub head: AuditHead,
}

/// The plan's figures (each line's budget), or the ledger's at the return's month, each
/// with the fund's conditions judged on them.
pub enum ReturnSpend {
    Plan { spend: BcfSpend<Money>, conditions: Vec<Condition<Money>> },
    Ledger { spend: BcfSpend<LedgerSpend>, conditions: Vec<Condition<LedgerSpend>> },
}

/// The return of `kind` for the agreement's year, read in one snapshot.
pub fn bcf_return(store: &dyn Store, key: &AgreementYear, kind: ReturnKind) -> Result<BcfReturn> {
    let read = anchored(store, |store| -> Result<_> {
        let (agreement, spend) = match kind.month() {
            None => {
                let agreement = crate::agreement(store, key)?;
                let spend = pooled_core::bcf::planned(&agreement);
                let conditions = pooled_core::bcf::conditions::conditions(&agreement, &spend);
                (agreement, ReturnSpend::Plan { spend, conditions })
            }
            Some(month) => {
                let s = crate::bcf(store, key, month)?;
                (s.agreement, ReturnSpend::Ledger { spend: s.spend, conditions: s.conditions })
            }
        };
        let metrics = crate::metrics::series_states(&agreement, &store.metrics(key)?);
        Ok((agreement, spend, metrics, store.statements(key, kind)?))
    })?;
    let (agreement, spend, metrics, statements) = read.value;
    Ok(BcfReturn { kind, agreement, spend, metrics, statements, head: read.head })
}

/// The key an assurance statement names a condition by: its rule's, and a stream's
/// allocation with the stream's id (`within-allocation:nhs-min`).
pub fn condition_key(agreement: &Agreement, rule: Rule) -> String {
    match rule {
        Rule::WithinAllocation { stream } => format!("{}:{}", rule.key(), agreement.streams()[stream].id),
        _ => rule.key().to_string(),
    }
}

/// The keys of the agreement's conditions: which ones it is held to depends on the
/// agreement alone, not on the figures.
fn condition_keys(agreement: &Agreement) -> Vec<String> {
    (pooled_core::bcf::conditions::for_plan(agreement).iter()).map(|c| condition_key(agreement, c.rule)).collect()
}

/// Records what the area writes into a return: `text` checked (bounded, no control
/// characters; empty clears it), a condition's statement only for a condition the return
/// has; `allowed` is the caller's rule on who may write it.
pub fn set_statement(
    store: &mut dyn Store,
    key: &AgreementYear,
    kind: ReturnKind,
    field: &StatementField,
    text: &str,
    actor: &str,
    allowed: impl FnOnce() -> Result<(), String>,
) -> Result<()> {
    allowed().map_err(AppError::Forbidden)?;
    let text = check_statement(text).map_err(|e| AppError::Input(vec![format!("{}: {e}", field.key())]))?;
    if let StatementField::Condition(condition) = field {
        let keys = condition_keys(&crate::agreement(store, key)?);
        if !keys.contains(condition) {
            let listed = if keys.is_empty() { "none".to_string() } else { keys.join(", ") };
            return Err(AppError::Input(vec![format!(
                "{}: the {} has no condition `{condition}` (its conditions: {listed})",
                field.key(),
                kind.words()
            )]));
        }
    }
    store.set_statement(key, kind, field, &text, actor)?;
    Ok(())
}

/// The sheets' names, as the templates call them.
pub const SHEETS: [&str; 5] = ["Cover", "Income", "Expenditure", "Metrics", "National conditions"];

/// Figures a return's money columns show: the plan's one, the ledger's three.
trait ReturnFigures: Spend {
    const HEADERS: &'static [&'static str];
    fn amounts(self) -> Vec<Money>;
}

impl ReturnFigures for Money {
    const HEADERS: &'static [&'static str] = &["Planned"];
    fn amounts(self) -> Vec<Money> {
        vec![self]
    }
}

impl ReturnFigures for LedgerSpend {
    const HEADERS: &'static [&'static str] = &["Planned", "Actual to date", "Forecast outturn"];
    fn amounts(self) -> Vec<Money> {
        vec![self.planned, self.actual_to_date, self.forecast]
    }
}

/// The return as a workbook of the templates' sheets. Income and Expenditure end with
/// totals of SUBTOTAL formulas, checked in the workbook against the totals pooled
/// computes (the streams' total, the schemes' total).
pub fn return_workbook(r: &BcfReturn) -> Workbook {
    let (income, expenditure, conditions) = match &r.spend {
        ReturnSpend::Plan { spend, conditions: c } => (income(r, spend), expenditure(r, spend), conditions(r, c)),
        ReturnSpend::Ledger { spend, conditions: c } => (income(r, spend), expenditure(r, spend), conditions(r, c)),
    };
    Workbook { sheets: vec![cover(r), income, expenditure, metrics(r), conditions] }
}

fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() { Cell::Empty } else { Cell::Text(s) }
}

fn column(header: &str, kind: ColumnKind) -> Column {
    Column { header: header.into(), kind, width: None }
}

fn title(r: &BcfReturn, what: &str) -> Option<String> {
    Some(format!("{}: {what}, {} {}", r.agreement.name(), r.kind.words(), r.agreement.financial_year()))
}

fn statement(r: &BcfReturn, field: &StatementField) -> Cell {
    r.statements.iter().find(|s| &s.field == field).map_or(Cell::Empty, |s| text(s.text.clone()))
}

fn cover(r: &BcfReturn) -> Sheet {
    let a = &r.agreement;
    let figures_at = match r.kind.month() {
        None => "the agreement's budgets".to_string(),
        Some(month) => format!("the ledger to {} ({month})", a.financial_year().month_end(month)),
    };
    let partners: Vec<String> = a.partners().iter().map(|p| format!("{} ({})", p.name, p.id)).collect();
    let rows = vec![
        vec![text("Health and Wellbeing Board area"), text(a.name())],
        vec![text("Agreement"), text(a.id())],
        vec![text("Partners"), text(partners.join(", "))],
        vec![text("Financial year"), text(a.financial_year().to_string())],
        vec![text("Return"), text(r.kind.words())],
        vec![text("Figures"), text(figures_at)],
        vec![text("Completed by"), statement(r, &StatementField::CompletedBy)],
        vec![text("Contact"), statement(r, &StatementField::Contact)],
        vec![text("Narrative"), statement(r, &StatementField::Narrative)],
        vec![text(crate::HEAD_LABEL), text(r.head.to_string())],
    ];
    Sheet {
        name: SHEETS[0].into(),
        title: title(r, "Better Care Fund return"),
        columns: vec![
            Column { width: Some(34.0), ..column("Item", ColumnKind::Text) },
            Column { width: Some(80.0), ..column("Value", ColumnKind::Text) },
        ],
        rows,
        totals: None,
    }
}

/// The money columns of `T` after the others.
fn money_columns<T: ReturnFigures>(columns: &mut Vec<Column>) {
    columns.extend(T::HEADERS.iter().map(|h| column(h, ColumnKind::Money)));
}

/// `total` less `part`, figure by figure: what the rows of a sheet add up to.
fn minus<T: ReturnFigures>(total: T, part: T) -> Vec<Money> {
    total.amounts().into_iter().zip(part.amounts()).map(|(t, p)| t - p).collect()
}

fn income<T: ReturnFigures>(r: &BcfReturn, spend: &BcfSpend<T>) -> Sheet {
    let a = &r.agreement;
    let mut columns = vec![
        column("Stream", ColumnKind::Text),
        column("Funding", ColumnKind::Text),
        column("Partner", ColumnKind::Text),
        column("Allocation", ColumnKind::Money),
    ];
    money_columns::<T>(&mut columns);
    let rows = (spend.streams.iter())
        .map(|s| {
            let stream = &a.streams()[s.stream];
            let mut row = vec![
                text(stream.name.clone()),
                text(stream.kind.words()),
                text(a.partners()[stream.from].name.clone()),
                Cell::Money(stream.allocation),
            ];
            row.extend(s.spend.amounts().into_iter().map(Cell::Money));
            row
        })
        .collect();
    let allocations: Money = a.streams().iter().map(|s| s.allocation).sum();
    let mut stated = vec![Cell::Empty, Cell::Empty, Cell::Empty, Cell::Money(allocations)];
    stated.extend(minus(spend.total, spend.without_stream).into_iter().map(Cell::Money));
    Sheet {
        name: SHEETS[1].into(),
        title: title(r, "income by funding stream"),
        columns,
        rows,
        totals: Some(TotalsRow { label: "Total".into(), stated }),
    }
}

fn expenditure<T: ReturnFigures>(r: &BcfReturn, spend: &BcfSpend<T>) -> Sheet {
    let a = &r.agreement;
    let mut columns: Vec<Column> = [
        "Scheme ID",
        "Scheme name",
        "Scheme type",
        "Sub type",
        "Area of spend",
        "Commissioner",
        "Provider",
        "Planned outputs",
        "Units",
        "New or existing",
        "Source of funding",
    ]
    .iter()
    .map(|h| column(h, ColumnKind::Text))
    .collect();
    let described = columns.len();
    money_columns::<T>(&mut columns);
    let mut rows = Vec::new();
    for s in &spend.schemes {
        let line = &a.pools()[s.pool].lines[s.line];
        let Some(scheme) = &line.scheme else { continue };
        let describe = |source: String| {
            vec![
                text(scheme.id.clone()),
                text(line.name.clone()),
                text(scheme.scheme_type.clone()),
                text(scheme.sub_type.clone().unwrap_or_default()),
                text(scheme.area_of_spend.key()),
                text(scheme.commissioner.words()),
                text(scheme.provider.clone().unwrap_or_default()),
                text(scheme.outputs.as_ref().map(|o| o.amount.clone()).unwrap_or_default()),
                text(scheme.outputs.as_ref().map(|o| o.unit.clone()).unwrap_or_default()),
                text(scheme.new_or_existing.map(|n| n.key()).unwrap_or_default()),
                text(source),
            ]
        };
        if s.by_stream.is_empty() {
            let mut row = describe("no stream".into());
            row.extend(s.spend.amounts().into_iter().map(Cell::Money));
            rows.push(row);
        }
        for b in &s.by_stream {
            let mut row = describe(a.streams()[b.stream].name.clone());
            row.extend(b.spend.amounts().into_iter().map(Cell::Money));
            rows.push(row);
        }
    }
    let mut stated = vec![Cell::Empty; described];
    stated.extend(minus(spend.total, spend.without_scheme).into_iter().map(Cell::Money));
    Sheet {
        name: SHEETS[2].into(),
        title: title(r, "expenditure by scheme and source of funding"),
        columns,
        rows,
        totals: Some(TotalsRow { label: "Total".into(), stated }),
    }
}

fn metrics(r: &BcfReturn) -> Sheet {
    let plan_only = r.kind == ReturnKind::Plan;
    let mut columns = vec![
        column("Metric", ColumnKind::Text),
        column("Name", ColumnKind::Text),
        column("Unit", ColumnKind::Text),
        column("Better", ColumnKind::Text),
        column("Source", ColumnKind::Text),
        column("Period", ColumnKind::Text),
        column("Plan", ColumnKind::Decimal),
    ];
    if !plan_only {
        columns.extend([column("Actual", ColumnKind::Decimal), column("Status", ColumnKind::Text)]);
    }
    let mut rows = Vec::new();
    for state in &r.metrics {
        let s = &state.series;
        for standing in state.standings.iter().filter(|st| r.kind.reports(st.period)) {
            let mut row = vec![
                text(s.id.clone()),
                text(s.name.clone()),
                text(s.unit.clone()),
                text(s.direction.words()),
                text(s.cited.clone()),
                text(standing.period.to_string()),
                figure_cell(standing.plan),
            ];
            if !plan_only {
                row.extend([figure_cell(standing.actual), text(r.kind.status_words(standing.status))]);
            }
            rows.push(row);
        }
    }
    Sheet { name: SHEETS[3].into(), title: title(r, "metrics: plan and actual"), columns, rows, totals: None }
}

fn conditions<T: ReturnFigures + Judged>(r: &BcfReturn, judged: &[Condition<T>]) -> Sheet {
    let mut columns = vec![
        column("Condition", ColumnKind::Text),
        Column { width: Some(40.0), ..column("What is measured", ColumnKind::Text) },
        Column { width: Some(40.0), ..column("Source", ColumnKind::Text) },
        column("Requirement", ColumnKind::Text),
        column("Required", ColumnKind::Money),
    ];
    money_columns::<T>(&mut columns);
    columns.extend([
        column("Met", ColumnKind::Text),
        Column { width: Some(60.0), ..column("Breaches", ColumnKind::Text) },
        Column { width: Some(80.0), ..column("Assurance statement", ColumnKind::Text) },
    ]);
    let rows = (judged.iter())
        .map(|c| {
            let key = condition_key(&r.agreement, c.rule);
            let requirement = match c.requirement {
                Requirement::AtLeast(_) => "at least",
                Requirement::AtMost(_) => "at most",
            };
            let mut row = vec![
                text(key.clone()),
                text(c.what.clone()),
                text(c.source.clone()),
                text(requirement),
                Cell::Money(c.requirement.amount()),
            ];
            row.extend(c.figures.amounts().into_iter().map(Cell::Money));
            row.extend([
                text(if c.met() { "met" } else { "not met" }),
                text(c.breach_words().join("\n")),
                statement(r, &StatementField::Condition(key)),
            ]);
            row
        })
        .collect();
    Sheet { name: SHEETS[4].into(), title: title(r, "national conditions"), columns, rows, totals: None }
}
