//! The use cases of the system of record, joining the core (rules), the files (CSV and
//! XLSX) and the store (SQL): load an agreement and its plan, import a ledger extract,
//! produce the monthly report and the year-end settlement. The command line and the web
//! application call these; neither repeats them.

pub mod accounts;
mod anchored;
pub mod bcf_return;
pub mod board;
pub mod clock;
pub mod deadlines;
mod export;
mod file_name;
pub mod json;
pub mod metrics;
pub mod password;
mod payments;
mod savings;
mod variations;

pub use anchored::{Anchored, HEAD_LABEL, anchored, head_line};
pub use export::{head_row, report_table, report_workbook};
pub use file_name::{MAX_FILE_NAME_BYTES, extract_file_name};
pub use payments::{PaymentRecord, payments, record_payment, scheduled_instalment, tracked_payments};
pub use savings::{SavingEntry, SavingState, record_saving, saving_records, saving_states};
pub use variations::{Loaded, LoadedVersion, VersionRecord, budgets_from, load_agreement, variations, year_schedule};

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender};

use pooled_core::agreement::{Agreement, PartnerIx};
use pooled_core::bcf::conditions::Condition;
use pooled_core::bcf::{BcfSpend, LedgerSpend};
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::diagnostic::Diagnostic;
use pooled_core::ledger::{BadRows, DateFormat, LedgerRow, Mapping, Period, RowError, RowReader};
use pooled_core::money::{Money, Tally};
use pooled_core::plan::{CostCentre, Plan};
use pooled_core::report::{Actuals, EnteredForecast, Forecasts, MonthlyReport, check_forecast, monthly_report};
use pooled_core::savings::{SavingRecords, set_delivered};
use pooled_core::settlement::{Invoice, Outturn, PoolSettlement, invoices, settle};
use pooled_files::{FileError, ReadOptions, Record, TableReader};
use pooled_store::{
    AgreementVersion, AgreementYear, ImportHeader, ImportItem, ImportOutcome, RowBatch, RowTally, Store, StoreError,
    StoredCostCentre,
};

/// What went wrong, said so that a finance officer can act on it.
#[derive(Debug)]
pub enum AppError {
    /// Bad input: each line names the file, row or line, and column.
    Input(Vec<String>),
    /// The caller's access rule refused the change: says what was not allowed.
    Forbidden(String),
    /// What the caller named (a meeting on a day) is not recorded.
    NotFound(String),
    /// The records lack what the work needs (what an unagreed saving delivered, for the
    /// year-end settlement): each line names it.
    Incomplete(Vec<String>),
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::Store(e)
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Input(lines) | AppError::Incomplete(lines) => f.write_str(&lines.join("\n")),
            AppError::Forbidden(what) | AppError::NotFound(what) => f.write_str(what),
            AppError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for AppError {}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

fn input(file: &str, diagnostics: &[Diagnostic], text: &str) -> AppError {
    AppError::Input(diagnostics.iter().map(|d| d.render(file, text)).collect())
}

/// What the store keeps an agreement's records under: its id and financial year.
pub fn agreement_year(agreement: &Agreement) -> AgreementYear {
    AgreementYear::new(agreement.id(), agreement.financial_year())
}

/// The agreement a command or page acts on in `year`: the one `agreement` names, which
/// must be loaded for the year, or, named by none, the year's only agreement. A year with
/// several needs the id: the error lists them.
pub fn resolve(store: &dyn Store, year: FinancialYear, agreement: Option<&str>) -> Result<AgreementYear> {
    let held = (store.agreements()?.into_iter()).filter(|s| s.agreement.year == year).map(|s| s.agreement.agreement);
    let id = choose(held.collect(), agreement, Some(year))?;
    Ok(AgreementYear::new(id, year))
}

/// The agreement (its id) a command on something kept for every year of an agreement (a
/// partner's mapping) acts on: as [`resolve`], among every agreement in the store.
pub fn resolve_id(store: &dyn Store, agreement: Option<&str>) -> Result<String> {
    let mut held: Vec<String> = store.agreements()?.into_iter().map(|s| s.agreement.agreement).collect();
    held.dedup();
    choose(held, agreement, None)
}

/// The one of `held` (the agreements of `year`, or of the store) that `asked` names, or
/// with none asked the only one.
fn choose(held: Vec<String>, asked: Option<&str>, year: Option<FinancialYear>) -> Result<String> {
    let listed = || held.join(", ");
    let (loaded, holder) = match year {
        Some(year) => (format!(" for {year}"), year.to_string()),
        None => (String::new(), "the database".to_string()),
    };
    match (asked, held.as_slice()) {
        (_, []) => Err(AppError::NotFound(format!("no agreement is loaded{loaded}: run `pooled load` first"))),
        (Some(id), _) if held.iter().any(|h| h == id) => Ok(id.to_string()),
        (Some(id), _) => {
            Err(AppError::NotFound(format!("no agreement {id} is loaded{loaded}: {holder} holds {}", listed())))
        }
        (None, [only]) => Ok(only.clone()),
        (None, _) => Err(AppError::Input(vec![format!(
            "{holder} holds {} agreements ({}): give --agreement ID",
            held.len(),
            listed()
        )])),
    }
}

/// The current version of an agreement's year, validated.
pub fn agreement(store: &dyn Store, key: &AgreementYear) -> Result<Agreement> {
    Ok(current(store, key)?.0)
}

/// The current version of an agreement's year, validated, with what is stored of it.
pub fn current(store: &dyn Store, key: &AgreementYear) -> Result<(Agreement, AgreementVersion)> {
    let stored = store
        .agreement(key)?
        .ok_or_else(|| AppError::NotFound(format!("no agreement {key} is loaded: run `pooled load` first")))?;
    let (agreement, _) = Agreement::parse(&stored.text)
        .map_err(|e| input(&format!("stored agreement {key} v{}", stored.version), &e, &stored.text))?;
    Ok((agreement, stored))
}

/// An agreement as listed: its id, name (as its latest year's current version gives
/// them), the years it is loaded for and its partners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementListing {
    pub id: String,
    pub name: String,
    /// Oldest first.
    pub years: Vec<FinancialYear>,
    /// The partners' ids, as the latest year's agreement lists them.
    pub partners: Vec<String>,
}

/// Every agreement in the store, by id.
pub fn agreements(store: &dyn Store) -> Result<Vec<AgreementListing>> {
    let mut out: Vec<AgreementListing> = Vec::new();
    // Summaries come by id, then year: the last of an id's years names it.
    let summaries = store.agreements()?;
    for (i, summary) in summaries.iter().enumerate() {
        let key = &summary.agreement;
        match out.last_mut() {
            Some(listed) if listed.id == key.agreement => listed.years.push(key.year),
            _ => out.push(AgreementListing {
                id: key.agreement.clone(),
                name: String::new(),
                years: vec![key.year],
                partners: Vec::new(),
            }),
        }
        let latest = summaries.get(i + 1).is_none_or(|next| next.agreement.agreement != key.agreement);
        if latest && let Some(listed) = out.last_mut() {
            let current = agreement(store, key)?;
            listed.name = current.name().to_string();
            listed.partners = current.partners().iter().map(|p| p.id.clone()).collect();
        }
    }
    Ok(out)
}

/// Opens a CSV or XLSX file; XLSX date cells come out in `dates`, the form the rest of
/// the column is typed in.
/// Opens a table; `sha256`: take the file's hash as it is read ([`ReadOptions::sha256`]).
fn open_table(path: &Path, dates: DateFormat, sha256: bool) -> Result<TableReader> {
    TableReader::open_with(path, &ReadOptions { sheet: None, dates, sha256 })
        .map_err(|e| AppError::Input(vec![e.to_string()]))
}

/// Reads a plan file (CSV or XLSX) against an agreement's year and saves it. Returns the
/// budget mismatch warnings. When the current version is a variation taking effect after
/// the first month and a plan was stored, each cost centre keeps its budgets for the
/// months before the variation as they were ([`Plan::taking_over`]), and a note says so.
pub fn load_plan(store: &mut dyn Store, key: &AgreementYear, path: &Path, actor: &str) -> Result<Vec<String>> {
    let (agreement, version) = current(store, key)?;
    let file = path.display().to_string();
    let mut table = open_table(path, DateFormat::Iso, false)?;
    let names: Vec<String> = table.header().to_vec();
    let header: Vec<&str> = names.iter().map(String::as_str).collect();
    // A row the reader refuses is a bad row like the others; a problem with the whole
    // file ends the reading.
    let mut unreadable = None;
    let records = table.by_ref().map_while(|r| match r {
        Ok(record) => Some(Ok((record.row, record.fields))),
        Err(e) => match e.row_error(&names) {
            Some(bad) => Some(Err(bad)),
            None => {
                unreadable = Some(e.to_string());
                None
            }
        },
    });
    let result = Plan::read(&agreement, &header, records);
    let (plan, warnings) = match (result, unreadable) {
        (Ok(read), None) => read,
        (result, unreadable) => {
            let mut lines = result.err().map_or_else(Vec::new, |bad| bad.render(&file));
            lines.extend(unreadable);
            return Err(AppError::Input(lines));
        }
    };
    let (plan, warnings) = taking_over(store, key, plan, warnings, &agreement, &version)?;
    let stored: Vec<StoredCostCentre> = plan.cost_centres().iter().map(|c| to_stored(&agreement, c)).collect();
    store.save_plan(key, &stored, actor)?;
    Ok(warnings)
}

/// `plan` taking over from the stored one in the month the current version's budgets are
/// in force from, if that is after the first and a plan is stored.
fn taking_over(
    store: &dyn Store,
    key: &AgreementYear,
    plan: Plan,
    mut warnings: Vec<String>,
    agreement: &Agreement,
    version: &AgreementVersion,
) -> Result<(Plan, Vec<String>)> {
    let from = budgets_from(agreement, version);
    let before: HashMap<String, [Money; 12]> = store.plan(key)?.into_iter().map(|c| (c.code, c.profile)).collect();
    if from.number() == 1 || before.is_empty() {
        return Ok((plan, warnings));
    }
    let last = FiscalMonth::new(from.number() - 1).expect("after M1");
    let day = version.approval.effective.map_or(String::new(), |d| format!(" on {d}"));
    warnings.push(format!(
        "note: version {} of agreement {key} took effect{day}: each cost centre keeps its budgets for M1 to {last} as they were, and the rest of its budget is spread over {from} to M12",
        version.version
    ));
    Ok((plan.taking_over(&|code| before.get(code).copied(), from), warnings))
}

fn to_stored(agreement: &Agreement, c: &CostCentre) -> StoredCostCentre {
    let pool = &agreement.pools()[c.pool];
    StoredCostCentre {
        code: c.code.clone(),
        name: c.name.clone(),
        partner: agreement.partners()[c.partner].id.clone(),
        pool: pool.id.clone(),
        line: pool.lines[c.line].id.clone(),
        budget: c.budget,
        profile: c.profile,
    }
}

/// The agreement's plan for its year from the store. A stored cost centre whose partner,
/// pool or line the current agreement no longer has is an error naming it.
pub fn plan(store: &dyn Store, agreement: &Agreement) -> Result<Plan> {
    let mut cost_centres = Vec::new();
    let mut problems = Vec::new();
    let key = agreement_year(agreement);
    for s in store.plan(&key)? {
        let pool = agreement.pools().iter().position(|p| p.id == s.pool);
        let line = pool.and_then(|p| agreement.pools()[p].line_ix(&s.line));
        match (agreement.partner_ix(&s.partner), pool, line) {
            (Some(partner), Some(pool), Some(line)) => cost_centres.push(CostCentre {
                code: s.code,
                name: s.name,
                partner,
                pool,
                line,
                budget: s.budget,
                profile: s.profile,
            }),
            _ => problems.push(format!(
                "cost centre {} maps to partner {}, pool {}, line {}, which the current agreement {key} does not have: reload the plan",
                s.code, s.partner, s.pool, s.line
            )),
        }
    }
    if problems.is_empty() { Ok(Plan::from_cost_centres(cost_centres)) } else { Err(AppError::Input(problems)) }
}

/// A forecast outturn for an agreement's year, entered in `month` against a cost centre of
/// its plan.
pub struct ForecastEntry<'a> {
    pub agreement: &'a AgreementYear,
    pub month: FiscalMonth,
    pub cost_centre: &'a str,
    pub outturn: Money,
    /// The person confirms a forecast below the cost centre's actual to date as meant.
    pub confirm_below_actual: bool,
}

/// Enters a forecast: the cost centre must be in the year's plan, `allowed` (the
/// caller's rule on who may, given the cost centre with its partner) must let it, and a
/// forecast below the cost centre's actual to date at the month is taken only when
/// confirmed, and stored as confirmed. The store refuses a closed month and writes the
/// audit entry with the change.
pub fn set_forecast(
    store: &mut dyn Store,
    entry: &ForecastEntry,
    actor: &str,
    allowed: impl FnOnce(&StoredCostCentre) -> Result<(), String>,
) -> Result<()> {
    let ForecastEntry { agreement, month, cost_centre, outturn, confirm_below_actual } = *entry;
    let planned = store.plan(agreement)?.into_iter().find(|c| c.code == cost_centre).ok_or_else(|| {
        AppError::Input(vec![format!(
            "cost centre `{cost_centre}` is not in the {} plan of {}",
            agreement.year, agreement.agreement
        )])
    })?;
    allowed(&planned).map_err(AppError::Forbidden)?;
    // A closed month refuses any forecast, below the actual to date or not (the store
    // checks again as it writes).
    let period = Period { year: agreement.year, month };
    if store.closed_periods(agreement)?.contains(&period) {
        return Err(StoreError::PeriodClosed(period).into());
    }
    let actuals = store.actuals(agreement)?.into_iter();
    let actual_to_date: Money =
        actuals.filter(|a| a.cost_centre == cost_centre && a.month <= month).map(|a| a.amount).sum();
    let below = check_forecast(cost_centre, month, outturn, actual_to_date, confirm_below_actual)
        .map_err(|e| AppError::Input(vec![e]))?;
    Ok(store.set_forecast(agreement, month, cost_centre, outturn, below, actor)?)
}

/// How an import went, for the caller to show; `progress` is called now and then with
/// (bytes read, total bytes).
pub struct ImportRequest<'a> {
    /// The agreement's id; its year is the period's.
    pub agreement: &'a str,
    pub partner: &'a str,
    pub period: Period,
    pub path: &'a Path,
    pub mapping: Mapping,
    pub actor: &'a str,
}

/// Imports one partner's ledger extract for one period: all of it or none. Every row must
/// parse under the mapping, be dated in the period and name a cost centre of that partner
/// in the year's plan; otherwise every bad row is reported (row and column) and nothing is
/// written.
///
/// Reading and checking the file runs on its own thread, which also tallies the rows for
/// the audit entry (count, total, row hash, per cost centre sums) and hands them over in
/// batches, while this thread only writes them: the two halves take about as long as each
/// other, and the machine has two cores.
pub fn import_ledger(
    store: &mut dyn Store,
    request: &ImportRequest<'_>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ImportOutcome> {
    let key = AgreementYear::new(request.agreement, request.period.year);
    let agreement = agreement(store, &key)?;
    // A partner's extract may be named by its successor from the succession date; it is
    // recorded under the partner's own id, the stable key.
    let partner = agreement
        .partner_on(request.partner, request.period.last_day())
        .map_err(|e| AppError::Input(vec![format!("{e}, in the agreement {key}")]))?;
    if store.closed_periods(&key)?.contains(&request.period) {
        return Err(StoreError::PeriodClosed(request.period).into());
    }
    let plan = plan(store, &agreement)?;
    let file = request.path.display().to_string();
    let given = request.path.file_name().map_or(file.clone(), |n| n.to_string_lossy().into_owned());
    let file_name = extract_file_name(&given).map_err(|e| AppError::Input(vec![format!("{file}: {e}")]))?;
    // The file's hash tells the store whether the same file came again. When the partner
    // has an import for the period already, it is taken first, so that an unchanged file is
    // found before a row is read; otherwise the reading thread takes it as it reads (a
    // workbook, read out of order, is hashed first too).
    let again = store.imports(&key)?.iter().any(|i| i.partner == request.partner && i.period == request.period);
    let table = open_table(request.path, request.mapping.date_format, !again)?;
    let hashing = table.takes_sha256();
    let file_sha256 = if hashing {
        None
    } else {
        Some(pooled_files::file_sha256(request.path).map_err(|e| AppError::Input(vec![e.to_string()]))?)
    };
    let header: Vec<String> = table.header().to_vec();
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let reader = RowReader::new(&request.mapping, &header_refs).map_err(|e| AppError::Input(vec![e.render(&file)]))?;
    let checker = RowChecker {
        reader,
        cost_centres: plan.cost_centres().iter().map(|c| (c.code.clone(), c.partner)).collect(),
        partner,
        partner_ids: agreement.partners().iter().map(|p| p.id.clone()).collect(),
        period: request.period,
        first_day: request.period.first_day(),
        last_day: request.period.last_day(),
        cost_centre_column: column_of(&header, &request.mapping.cost_centre),
        date_column: column_of(&header, &request.mapping.date),
        header,
    };
    let total_bytes = table.total_bytes();
    let (batches, receiver) = std::sync::mpsc::sync_channel::<Batch>(4);
    let (recycle, recycled) = std::sync::mpsc::sync_channel::<Vec<LedgerRow>>(8);
    let worker = std::thread::spawn(move || checker.check_all(table, &batches, &recycle, &recycled));

    let mut ended = false;
    let mut changed = false;
    let mut rows = std::iter::from_fn(|| {
        if ended {
            return None;
        }
        Some(match receiver.recv() {
            Ok(Batch::Rows { rows, bytes_read }) => {
                progress(bytes_read, total_bytes);
                ImportItem::Rows(rows)
            }
            // The reader took no hash of what it read: the file's size changed meanwhile.
            Ok(Batch::Done { file_sha256: None, .. }) if hashing => {
                (ended, changed) = (true, true);
                ImportItem::Abort
            }
            Ok(Batch::Done { tally, file_sha256 }) => {
                ended = true;
                ImportItem::End { tally, file_sha256 }
            }
            // The worker found a bad row, or it stopped: nothing may be written.
            Ok(Batch::Abort) | Err(_) => {
                ended = true;
                ImportItem::Abort
            }
        })
    });
    let header = ImportHeader {
        agreement: key.agreement,
        period: request.period,
        partner: agreement.partners()[partner].id.clone(),
        file_name,
        file_sha256,
        actor: request.actor.to_string(),
    };
    let outcome = store.import_ledger(&header, &mut rows);
    // The receiver goes before the join so that a worker still sending (after an early
    // store error) stops instead of waiting for room.
    drop(receiver);
    progress(total_bytes, total_bytes);
    let checked = worker.join().map_err(|_| AppError::Input(vec![format!("{file}: reading the file failed")]))?;
    if changed {
        return Err(AppError::Input(vec![format!(
            "{file}: the file changed while it was being read, so nothing was imported: import it again"
        )]));
    }
    match (outcome, checked) {
        (Err(StoreError::ImportAborted), Checked::Refused { bad, unreadable }) => {
            let mut lines = bad.render(&file);
            lines.extend(unreadable);
            Err(AppError::Input(lines))
        }
        (other, _) => Ok(other?),
    }
}

fn column_of(header: &[String], name: &str) -> usize {
    header.iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim())).expect("RowReader found every column")
}

/// What the reading thread hands over.
enum Batch {
    Rows {
        rows: RowBatch,
        bytes_read: u64,
    },
    Abort,
    /// Every row was sent: their tally, and the file's hash if the reader took it.
    Done {
        tally: RowTally,
        file_sha256: Option<String>,
    },
}

/// How reading the file ended.
enum Checked {
    AllGood,
    /// Bad rows (the first ones and how many more), and a problem with the whole file
    /// that ended the reading, if there was one.
    Refused {
        bad: BadRows,
        unreadable: Option<String>,
    },
}

/// Where the checker's records come from: a [`TableReader`], or in tests a stream made up
/// as it is read.
trait Records: Send {
    fn read_into(&mut self, record: &mut Record) -> Result<bool, FileError>;
    fn bytes_read(&self) -> u64;
    /// The file's hash, once read to the end, if the reader took it.
    fn sha256(&self) -> Option<String>;
}

impl Records for TableReader {
    fn read_into(&mut self, record: &mut Record) -> Result<bool, FileError> {
        TableReader::read_into(self, record)
    }

    fn bytes_read(&self) -> u64 {
        TableReader::bytes_read(self)
    }

    fn sha256(&self) -> Option<String> {
        TableReader::sha256(self)
    }
}

/// Checks each row of an extract: the mapping reads it, its cost centre is the partner's
/// in the plan, its date is in the period.
struct RowChecker {
    reader: RowReader,
    header: Vec<String>,
    /// Cost centre code -> its partner, for a lookup per row.
    cost_centres: HashMap<String, PartnerIx>,
    partner: PartnerIx,
    partner_ids: Vec<String>,
    period: Period,
    first_day: Date,
    last_day: Date,
    cost_centre_column: usize,
    date_column: usize,
}

/// Rows per batch handed to the writing thread, and the most text a batch may hold (rows
/// can be up to a megabyte each): four batches in flight are at most a few megabytes.
const BATCH: usize = 4096;
const BATCH_BYTES: usize = 4 << 20;
/// The most text room (bytes) a row may hold to be read into again.
const RECYCLED_TEXT: usize = 1024;

impl RowChecker {
    /// Reads, checks and tallies every row, sending them in batches. The rows of written
    /// batches come back on `recycled` and are read into again, so that the rows are made
    /// and freed on this thread, a few batches' worth in all.
    fn check_all(
        self,
        mut table: impl Records,
        batches: &SyncSender<Batch>,
        recycle: &SyncSender<Vec<LedgerRow>>,
        recycled: &Receiver<Vec<LedgerRow>>,
    ) -> Checked {
        let mut bad = BadRows::default();
        let mut unreadable = None;
        let mut tally = RowTally::new();
        let mut batch = Vec::with_capacity(BATCH);
        let mut batch_bytes = 0;
        let mut record = Record::default();
        let mut blanks: Vec<LedgerRow> = Vec::new();
        let mut row = LedgerRow::blank();
        loop {
            let checked = match table.read_into(&mut record) {
                Ok(true) => self.check(&record, &mut row),
                Ok(false) => break,
                Err(e) => match e.row_error(&self.header) {
                    // A row the reader refused (its fields, its text) is a bad row like
                    // the others, and reading goes on.
                    Some(row) => Err(row),
                    None => {
                        unreadable = Some(e.to_string());
                        break;
                    }
                },
            };
            match checked {
                Ok(()) if bad.is_empty() => {
                    batch_bytes += row.description.len() + row.reference.len() + row.subjective.len();
                    let next = blanks.pop().unwrap_or_else(LedgerRow::blank);
                    batch.push(std::mem::replace(&mut row, next));
                }
                // Once a row is bad nothing will be written; keep reading only to report.
                Ok(_) => {}
                Err(e) => {
                    if bad.is_empty() {
                        batch.clear();
                        if batches.send(Batch::Abort).is_err() {
                            return Checked::Refused { bad: e.into(), unreadable };
                        }
                    }
                    bad.push(e);
                }
            }
            if batch.len() == BATCH || batch_bytes >= BATCH_BYTES {
                batch_bytes = 0;
                let mut next = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(BATCH));
                // A row that once held a long text keeps its room: such rows are freed rather
                // than kept, so what is kept stays a few batches of ordinary rows.
                blanks.extend(next.drain(..).filter(|r| r.text_capacity() <= RECYCLED_TEXT));
                let rows = tally.batch(std::mem::replace(&mut batch, next)).recycled_to(recycle.clone());
                if batches.send(Batch::Rows { rows, bytes_read: table.bytes_read() }).is_err() {
                    return Checked::AllGood;
                }
            }
        }
        if !bad.is_empty() || unreadable.is_some() {
            if bad.is_empty() {
                let _ = batches.send(Batch::Abort);
            }
            return Checked::Refused { bad, unreadable };
        }
        let _ = batches.send(Batch::Rows { rows: tally.batch(batch), bytes_read: table.bytes_read() });
        let _ = batches.send(Batch::Done { tally, file_sha256: table.sha256() });
        Checked::AllGood
    }

    fn check(&self, record: &Record, row: &mut LedgerRow) -> Result<(), RowError> {
        let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
        self.reader.read_into(record.row, &fields, row)?;
        let bad = |column: usize, message: String| RowError::new(record.row, column + 1, &self.header[column], message);
        match self.cost_centres.get(&row.cost_centre) {
            None => Err(bad(
                self.cost_centre_column,
                format!("cost centre `{}` is not in the {} plan (unmapped)", row.cost_centre, self.period.year),
            )),
            Some(owner) if *owner != self.partner => Err(bad(
                self.cost_centre_column,
                format!(
                    "cost centre `{}` belongs to {}, not {}",
                    row.cost_centre, self.partner_ids[*owner], self.partner_ids[self.partner]
                ),
            )),
            Some(_) if row.date < self.first_day || row.date > self.last_day => {
                Err(bad(self.date_column, format!("{} is outside the period {} being imported", row.date, self.period)))
            }
            Some(_) => Ok(()),
        }
    }
}

/// A year's ledger figures as the core's report wants them (with what is recorded of
/// unagreed savings), with how many ledger rows each cost centre has by month and the
/// latest month with any.
pub struct LedgerFigures {
    pub actuals: Actuals,
    pub forecasts: Forecasts,
    pub savings: SavingRecords,
    pub rows: HashMap<String, [u64; 12]>,
    pub latest: Option<FiscalMonth>,
}

/// One read of the store's per-cost-centre sums, forecasts and savings for an agreement's
/// year.
pub fn ledger_figures(store: &dyn Store, key: &AgreementYear) -> Result<LedgerFigures> {
    let mut figures = LedgerFigures {
        actuals: Actuals::new(),
        forecasts: Forecasts::new(),
        savings: saving_records(store, key)?,
        rows: HashMap::new(),
        latest: None,
    };
    // The year's figures are one input: bounded, so every sum the report makes is exact.
    let mut tally = Tally::default();
    let mut count = |amount: Money| {
        tally
            .add(amount)
            .map_err(|e| AppError::Input(vec![format!("the ledger and forecasts of {key} cannot be reported: {e}")]))
    };
    for a in store.actuals(key)? {
        count(a.amount)?;
        let m = a.month.number() as usize - 1;
        figures.rows.entry(a.cost_centre.clone()).or_insert([0; 12])[m] += a.rows;
        figures.actuals.entry(a.cost_centre).or_insert([Money::ZERO; 12])[m] += a.amount;
        if a.rows > 0 {
            figures.latest = figures.latest.max(Some(a.month));
        }
    }
    for f in store.forecasts(key)? {
        count(f.outturn)?;
        let entered = EnteredForecast { outturn: f.outturn, confirmed_below_actual: f.confirmed_below_actual };
        figures.forecasts.insert((f.cost_centre, f.month), entered);
    }
    Ok(figures)
}

/// The monthly finance report of an agreement for a month of its year.
pub fn report(store: &dyn Store, key: &AgreementYear, month: FiscalMonth) -> Result<MonthlyReport> {
    Ok(agreement_and_report(store, key, month)?.1)
}

/// The agreement's current version and its monthly report for `month`.
fn agreement_and_report(
    store: &dyn Store,
    key: &AgreementYear,
    month: FiscalMonth,
) -> Result<(Agreement, MonthlyReport)> {
    let (agreement, stored) = current(store, key)?;
    let plan = plan(store, &agreement)?;
    let f = ledger_figures(store, key)?;
    let from = budgets_from(&agreement, &stored);
    let report = monthly_report(&agreement, &plan, &f.actuals, &f.forecasts, &f.savings, month, from);
    Ok((agreement, report))
}

/// Spend per funding stream, scheme and scheme type at a month, from the ledger: each
/// line's budget, actual to date and forecast outturn as the monthly report has them.
pub struct BcfSpending {
    pub agreement: Agreement,
    pub month: FiscalMonth,
    pub spend: BcfSpend<LedgerSpend>,
    /// The fund's conditions judged on these figures.
    pub conditions: Vec<Condition<LedgerSpend>>,
}

/// The Better Care Fund's (or any agreement's) spend per stream, scheme and type at
/// `month`, from the same figures as the monthly report.
pub fn bcf(store: &dyn Store, key: &AgreementYear, month: FiscalMonth) -> Result<BcfSpending> {
    let (agreement, report) = agreement_and_report(store, key, month)?;
    let spend = pooled_core::bcf::from_report(&agreement, &report);
    let conditions = pooled_core::bcf::conditions::conditions(&agreement, &spend);
    Ok(BcfSpending { agreement, month, spend, conditions })
}

/// The year-end settlement from the ledger: each line's outturn is the sum of its cost
/// centres' actuals for the year, and each unagreed saving delivered what is recorded; its
/// invoices net off the instalments invoiced and unpaid between the partners.
pub struct YearEnd {
    pub agreement: Agreement,
    pub outturn: Outturn,
    pub settlements: Vec<PoolSettlement>,
    pub invoices: Vec<Invoice>,
    /// How far the ledger falls short of the whole year; `None` when the settlement is final.
    pub provisional: Option<Provisional>,
}

/// How much of the year the ledger holds while it falls short of all twelve months
/// imported and closed: a settlement on it is provisional, not final.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provisional {
    pub months_imported: usize,
    pub months_closed: usize,
    /// The first and last months imported; `None` while no ledger is imported.
    pub first: Option<FiscalMonth>,
    pub last: Option<FiscalMonth>,
}

/// Whether a settlement of the agreement's year on its ledger is provisional: `None` once
/// all twelve months are imported and closed.
pub fn provisional(store: &dyn Store, key: &AgreementYear) -> Result<Option<Provisional>> {
    // Imports come in month order, a month once per partner.
    let mut imported: Vec<FiscalMonth> = store.imports(key)?.iter().map(|i| i.period.month).collect();
    imported.dedup();
    let months_closed = store.closed_periods(key)?.len();
    Ok((imported.len() < 12 || months_closed < 12).then(|| Provisional {
        months_imported: imported.len(),
        months_closed,
        first: imported.first().copied(),
        last: imported.last().copied(),
    }))
}

/// Settles the agreement's year on the ledger; refused, naming each, while an unagreed
/// saving has no delivered amount recorded.
pub fn year_end(store: &dyn Store, key: &AgreementYear, waived: &[String]) -> Result<YearEnd> {
    let agreement = agreement(store, key)?;
    let plan = plan(store, &agreement)?;
    let LedgerFigures { actuals, savings, .. } = ledger_figures(store, key)?;
    let mut outturn = Outturn::on_budget(&agreement);
    for (p, pool) in agreement.pools().iter().enumerate() {
        for (l, line) in pool.lines.iter().enumerate() {
            let spent: Money = plan
                .cost_centres()
                .iter()
                .filter(|c| c.pool == p && c.line == l)
                .filter_map(|c| actuals.get(&c.code))
                .flat_map(|months| months.iter())
                .sum();
            outturn.set_line(&agreement, &pool.id, &line.id, spent);
        }
    }
    for rule in waived {
        outturn.waive(rule);
    }
    set_delivered(&mut outturn, &agreement, &savings).map_err(AppError::Incomplete)?;
    let settlements = settle(&agreement, &outturn);
    let invoices = invoices(&agreement, &settlements, &payments(store, &agreement)?);
    let provisional = provisional(store, key)?;
    Ok(YearEnd { agreement, outturn, settlements, invoices, provisional })
}

#[cfg(test)]
mod tests;
