//! The store's rules that need no database: the audit texts, the running tally of an
//! import, the check of live imports against the audit log, and the rules of saving a
//! governance document.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Display;
use std::sync::mpsc::SyncSender;

use pooled_core::ledger::{LedgerRow, Mapping, Period};
use pooled_core::money::Money;

use crate::audit::{AuditEntry, AuditProblem, RowHasher, RowParts, sha256_hex};
use crate::sql::date_key;
use crate::{
    AgreementYear, ImportHeader, ImportItem, PaymentEntry, Result, StoreError, StoredCostCentre, StoredDocument,
};

// ---- audit texts: one `key=value` a line, values escaped onto one line ----

#[derive(Default)]
pub(crate) struct Fields(String);

impl Fields {
    pub fn add(mut self, key: &str, value: impl Display) -> Fields {
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        let value = value.to_string().replace('\\', "\\\\").replace('\n', "\\n");
        self.0.push_str(&format!("{key}={value}"));
        self
    }

    pub fn text(self) -> String {
        self.0
    }
}

/// The (escaped) value of `key` in a [`Fields`] text.
fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

/// An agreement version in the log: its number, id and a hash of its text.
pub(crate) fn agreement_fields(version: u32, agreement_id: &str, toml: &str) -> Fields {
    Fields::default().add("version", version).add("agreement", agreement_id).add("toml_sha256", sha256_hex(toml))
}

/// The audit subject of what is recorded against an instalment:
/// `payment oxon-s75 2016-17 OP OCCG to OCC M1`.
pub(crate) fn payment_subject(agreement: &AgreementYear, entry: &PaymentEntry) -> String {
    let to = entry.to.as_deref().unwrap_or("-");
    format!("payment {agreement} {} {} to {to} {}", entry.pool, entry.from, entry.month)
}

/// The audit text of entries recorded against an instalment, one a line:
/// `invoice=2016-02-20 10014833.33`.
pub(crate) fn payment_text(entries: &[PaymentEntry]) -> String {
    let amount = |a: Option<Money>| a.map_or("-".to_string(), |a| a.to_plain_string());
    entries.iter().fold(Fields::default(), |f, e| f.add(e.kind.name(), format!("{} {}", e.on, amount(e.amount)))).text()
}

pub(crate) fn forecast_text(outturn: Money, confirmed_below_actual: bool) -> String {
    let fields = Fields::default().add("outturn", outturn.to_plain_string());
    // Only a confirmation is written, so the entries of other forecasts read as before.
    if confirmed_below_actual { fields.add("confirmed_below_actual", "yes").text() } else { fields.text() }
}

pub(crate) fn saving_text(amount: Money) -> String {
    Fields::default().add("amount", amount.to_plain_string()).text()
}

pub(crate) fn period_subject(agreement: &str, period: Period) -> String {
    format!("period {agreement} {period}")
}

pub(crate) fn ledger_subject(header: &ImportHeader) -> String {
    format!("ledger {} {} {}", header.agreement, header.period, header.partner)
}

/// The audit text of one import: what `verify_audit` later checks the ledger against.
pub(crate) fn import_text(import_id: i64, header: &ImportHeader, file_sha256: &str, tally: &TallyResult) -> String {
    ImportSummary {
        import_id,
        agreement: &header.agreement,
        period: header.period.to_string(),
        partner: &header.partner,
        file_name: &header.file_name,
        file_sha256,
        rows: tally.rows.into(),
        total: tally.total,
        rows_sha256: &tally.rows_sha256,
    }
    .text()
}

/// What an import's audit entry records of it: from what was imported, or from what the
/// import table holds, to be checked against the log.
pub(crate) struct ImportSummary<'a> {
    pub import_id: i64,
    pub agreement: &'a str,
    pub period: String,
    pub partner: &'a str,
    pub file_name: &'a str,
    pub file_sha256: &'a str,
    /// Wide enough for a count and for whatever the table holds.
    pub rows: i128,
    pub total: Money,
    pub rows_sha256: &'a str,
}

impl ImportSummary<'_> {
    pub fn text(&self) -> String {
        Fields::default()
            .add("import", self.import_id)
            .add("agreement", self.agreement)
            .add("period", &self.period)
            .add("partner", self.partner)
            .add("file", self.file_name)
            .add("file_sha256", self.file_sha256)
            .add("rows", self.rows)
            .add("total", self.total.to_plain_string())
            .add("rows_sha256", self.rows_sha256)
            .text()
    }
}

/// Where two [`Fields`] texts differ: `key found where the log recorded value`, in the
/// recorded text's order, for each key whose value differs or is missing.
fn differences(recorded: &str, found: &str) -> Vec<String> {
    recorded
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            let now = field(found, key);
            (now != Some(value)).then(|| format!("{key} {} where the log recorded {value}", now.unwrap_or("missing")))
        })
        .collect()
}

/// The audit text of an import that a corrected extract replaces.
pub(crate) fn replaced_text(
    import_id: i64,
    file_name: &str,
    file_sha256: &str,
    rows: i64,
    total: i64,
    rows_sha256: &str,
) -> String {
    Fields::default()
        .add("import", import_id)
        .add("file", file_name)
        .add("file_sha256", file_sha256)
        .add("rows", rows)
        .add("total", Money::from_pence(total).to_plain_string())
        .add("rows_sha256", rows_sha256)
        .text()
}

/// A stored mapping, read back; it was written by [`Mapping::to_toml`], so it parses
/// unless someone edited it.
pub(crate) fn parse_mapping(partner: &str, toml: &str) -> Result<Mapping> {
    Mapping::parse(toml)
        .map_err(|d| StoreError::Database(format!("the stored mapping for {partner} does not parse: {}", d.message)))
}

/// A short account of a plan change: counts and totals, and which codes came, went or
/// changed, so that the log says what happened without holding the whole plan.
pub(crate) fn plan_texts(old: &[StoredCostCentre], new: &[StoredCostCentre]) -> (String, String) {
    let summary = |ccs: &[StoredCostCentre]| {
        Fields::default()
            .add("cost_centres", ccs.len())
            .add("budget", ccs.iter().map(|c| c.budget).sum::<Money>().to_plain_string())
    };
    let old_by_code: HashMap<&str, &StoredCostCentre> = old.iter().map(|c| (c.code.as_str(), c)).collect();
    let new_by_code: HashMap<&str, &StoredCostCentre> = new.iter().map(|c| (c.code.as_str(), c)).collect();
    let codes = |list: Vec<&str>| if list.is_empty() { "-".to_string() } else { list.join(",") };
    let added = new.iter().filter(|c| !old_by_code.contains_key(c.code.as_str())).map(|c| c.code.as_str());
    let removed = old.iter().filter(|c| !new_by_code.contains_key(c.code.as_str())).map(|c| c.code.as_str());
    let changed =
        new.iter().filter(|c| old_by_code.get(c.code.as_str()).is_some_and(|o| o != c)).map(|c| c.code.as_str());
    let after = summary(new)
        .add("added", codes(added.collect()))
        .add("removed", codes(removed.collect()))
        .add("changed", codes(changed.collect()));
    (summary(old).text(), after.text())
}

// ---- governance documents ----

/// Document kinds that would give an audit action (`save-{kind}`) the store already uses.
const TAKEN_KINDS: &[&str] = &["plan", "mapping"];

/// Refuses a kind or key that the store cannot name unambiguously: a kind is lower case
/// letters, digits and hyphens, starting with a letter (so that `save-{kind}` and
/// `{kind} {key}` read one way only); a key is not empty and has no control characters.
pub(crate) fn check_document_name(kind: &str, key: &str) -> Result<()> {
    let kind_ok = kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !kind_ok {
        return Err(StoreError::Invalid(format!(
            "a document kind is lower case letters, digits and hyphens, starting with a letter, not {kind:?}"
        )));
    }
    if TAKEN_KINDS.contains(&kind) {
        return Err(StoreError::Invalid(format!("{kind:?} cannot be a document kind: the audit log uses save-{kind}")));
    }
    if key.is_empty() {
        return Err(StoreError::Invalid(format!("a {kind} document needs a key")));
    }
    if key.chars().any(char::is_control) {
        return Err(StoreError::Invalid(format!("the key of a {kind} document has a control character: {key:?}")));
    }
    Ok(())
}

/// A document version in the log: its number and a hash of its text, never the text.
pub(crate) fn document_fields(version: u32, text: &str) -> String {
    Fields::default().add("version", version).add("sha256", sha256_hex(text)).text()
}

/// What saving a document comes to, once the backend has read its current version.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DocumentWrite {
    /// The text is the current version's: write nothing.
    Unchanged { version: u32 },
    /// Store `version` and append this audit entry.
    Save { version: u32, action: String, subject: String, before: String, after: String },
}

/// The rules of [`crate::Store::save_document`], shared by both backends: refusals
/// (names, versions, NUL characters, a conflict), no change, or the next version with its
/// audit texts. `current` is the latest stored version, read in the write transaction.
pub(crate) fn document_write(
    kind: &str,
    key: &str,
    expected_version: Option<u32>,
    text: &str,
    current: Option<&StoredDocument>,
) -> Result<DocumentWrite> {
    check_document_name(kind, key)?;
    if expected_version == Some(0) {
        return Err(StoreError::Invalid(format!("{kind} {key}: document versions count from 1, not 0")));
    }
    // PostgreSQL cannot store one, so neither backend does.
    if text.contains('\0') {
        return Err(StoreError::Invalid(format!("{kind} {key}: the text has a NUL character")));
    }
    let found = current.map(|c| c.version);
    if found != expected_version {
        return Err(StoreError::Conflict(conflict_message(kind, key, expected_version, current)));
    }
    if let Some(c) = current
        && c.text == text
    {
        return Ok(DocumentWrite::Unchanged { version: c.version });
    }
    let version = match current {
        None => 1,
        Some(c) => c
            .version
            .checked_add(1)
            .filter(|v| i32::try_from(*v).is_ok())
            .ok_or_else(|| StoreError::Invalid(format!("{kind} {key} has too many versions")))?,
    };
    Ok(DocumentWrite::Save {
        version,
        action: format!("save-{kind}"),
        subject: format!("{kind} {key}"),
        before: current.map_or(String::new(), |c| document_fields(c.version, &c.text)),
        after: document_fields(version, text),
    })
}

/// Why a save was refused: who saved which version when, and what to do.
fn conflict_message(kind: &str, key: &str, expected: Option<u32>, current: Option<&StoredDocument>) -> String {
    match (expected, current) {
        (None, Some(c)) => format!(
            "{kind} {key} already exists: version {} was saved by {} at {}; open that version and save \
             your changes to it (nothing was written)",
            c.version, c.saved_by, c.saved_at
        ),
        (Some(expected), Some(c)) => format!(
            "{kind} {key} has changed since you opened version {expected}: version {} was saved by {} at {}; \
             open that version and make your changes again (nothing was written)",
            c.version, c.saved_by, c.saved_at
        ),
        (Some(expected), None) => {
            format!("{kind} {key} does not exist, so you cannot have edited version {expected} (nothing was written)")
        }
        (None, None) => format!("{kind} {key}: nothing was written"),
    }
}

/// Whether every text can be in the database: PostgreSQL refuses a NUL character even as a
/// parameter, so a read with one finds nothing, as in SQLite, rather than failing.
pub(crate) fn storable(texts: &[&str]) -> bool {
    texts.iter().all(|t| !t.contains('\0'))
}

pub(crate) const DOCUMENT_COLUMNS: &str = "kind, key, version, text, saved_at, saved_by";

// ---- the running tally of an import's rows ----

/// The parts of a row as stored, borrowed from it.
pub(crate) fn row_parts(row: &LedgerRow) -> Result<RowParts<'_>> {
    Ok(RowParts {
        file_row: i64::try_from(row.row)
            .map_err(|_| StoreError::Database(format!("row number {} is too large to store", row.row)))?,
        cost_centre: &row.cost_centre,
        posted_on: date_key(row.date),
        pence: row.amount.pence(),
        subjective: &row.subjective,
        description: &row.description,
        reference: &row.reference,
    })
}

/// Count, total, row hash and per-cost-centre sums and row lists of an import, kept while
/// rows stream past. Memory grows with the number of cost centres, and by a byte or two a
/// row for the row lists; rows themselves are never kept.
///
/// An importer keeps it on the thread that reads the file: [`RowTally::batch`] tallies
/// rows as it bundles them for the store, and the stream ends with the tally
/// ([`ImportItem::End`]), so that the thread writing to the database only binds and
/// inserts. The store checks that the tally counts exactly the rows it was sent.
pub struct RowTally {
    // Boxed: the hash's state is most of a tally's size, and the tally travels by value
    // in `ImportItem::End`.
    hasher: Box<RowHasher>,
    rows: u64,
    // i128 so that no file can overflow the running sums; `finish` checks they fit.
    total: i128,
    by_cost_centre: HashMap<String, Running>,
    /// A row that cannot be stored (its row number is too large): the store refuses it
    /// when it comes to write it, and the tally's end says so again.
    unstorable: Option<StoreError>,
}

/// Rows of an import in the file's order, tallied by the [`RowTally`] that made them.
pub struct RowBatch {
    /// How many rows the tally had counted before these: where they go in the import.
    first: u64,
    rows: Vec<LedgerRow>,
    /// Where the rows go once written, for the reader to fill again: rows made on one thread
    /// and freed on another cost glibc's allocator a third of an import's time.
    recycle: Option<SyncSender<Vec<LedgerRow>>>,
}

impl RowBatch {
    /// The batch, whose rows are sent back on `recycle` when it is dropped (if there is room).
    pub fn recycled_to(mut self, recycle: SyncSender<Vec<LedgerRow>>) -> RowBatch {
        self.recycle = Some(recycle);
        self
    }
}

impl Drop for RowBatch {
    fn drop(&mut self) {
        if let Some(recycle) = &self.recycle {
            // Never waits: with no room, or no reader left, the rows are simply freed here.
            let _ = recycle.try_send(std::mem::take(&mut self.rows));
        }
    }
}

struct Running {
    sum: i128,
    rows: u64,
    last_offset: u64,
    row_list: Vec<u8>,
}

/// One cost centre's part of an import: what `actuals()` and drill-down read.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct CostCentreSum {
    pub cost_centre: String,
    pub amount: Money,
    pub rows: u64,
    /// Its rows' offsets from the import's first row id, ascending, each as the LEB128
    /// varint of its difference from the one before: drill-down reads this short list
    /// instead of an index on the ledger, which would halve the import rate.
    pub row_list: Vec<u8>,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TallyResult {
    pub rows: u64,
    pub total: Money,
    pub rows_sha256: String,
    /// Sorted by cost centre.
    pub by_cost_centre: Vec<CostCentreSum>,
}

fn push_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The row offsets of a [`CostCentreSum::row_list`], ascending. A damaged list (only an
/// edit of the database makes one) ends early rather than failing: verification names it.
pub(crate) fn row_offsets(list: &[u8]) -> impl Iterator<Item = u64> + '_ {
    let mut at = 0;
    let mut offset: Option<u64> = None;
    std::iter::from_fn(move || {
        let mut delta: u64 = 0;
        let mut shift = 0;
        loop {
            let byte = *list.get(at)?;
            at += 1;
            delta |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                break;
            }
            shift += 7;
        }
        let next = offset.map_or(Some(delta), |o| o.checked_add(delta))?;
        offset = Some(next);
        Some(next)
    })
}

impl Default for RowTally {
    fn default() -> RowTally {
        RowTally::new()
    }
}

impl RowTally {
    pub fn new() -> RowTally {
        RowTally {
            hasher: Box::new(RowHasher::new()),
            rows: 0,
            total: 0,
            by_cost_centre: HashMap::new(),
            unstorable: None,
        }
    }

    /// Tallies the next rows of the import, in the file's order, and bundles them for the
    /// store ([`ImportItem::Rows`]).
    pub fn batch(&mut self, rows: Vec<LedgerRow>) -> RowBatch {
        let first = self.rows;
        for row in &rows {
            match row_parts(row) {
                Ok(parts) => self.add(&parts),
                Err(e) => {
                    self.unstorable.get_or_insert(e);
                }
            }
        }
        RowBatch { first, rows, recycle: None }
    }

    /// Adds the next row: rows come in id order, so the count so far is its offset.
    pub(crate) fn add(&mut self, row: &RowParts<'_>) {
        self.hasher.add(row);
        let offset = self.rows;
        self.rows += 1;
        self.total += i128::from(row.pence);
        // Looking up by &str first: a String is allocated only for a new cost centre.
        match self.by_cost_centre.get_mut(row.cost_centre) {
            Some(cc) => {
                cc.sum += i128::from(row.pence);
                cc.rows += 1;
                push_varint(&mut cc.row_list, offset - cc.last_offset);
                cc.last_offset = offset;
            }
            None => {
                let mut row_list = Vec::new();
                push_varint(&mut row_list, offset);
                let cc = Running { sum: i128::from(row.pence), rows: 1, last_offset: offset, row_list };
                self.by_cost_centre.insert(row.cost_centre.to_string(), cc);
            }
        }
    }

    pub(crate) fn finish(self) -> Result<TallyResult> {
        if let Some(e) = self.unstorable {
            return Err(e);
        }
        let money = |sum: i128| {
            i64::try_from(sum)
                .map(Money::from_pence)
                .map_err(|_| StoreError::Database("the import's amounts add up to more than 64 bits hold".into()))
        };
        let mut by_cost_centre = self
            .by_cost_centre
            .into_iter()
            .map(|(cost_centre, cc)| {
                Ok(CostCentreSum { cost_centre, amount: money(cc.sum)?, rows: cc.rows, row_list: cc.row_list })
            })
            .collect::<Result<Vec<_>>>()?;
        by_cost_centre.sort();
        Ok(TallyResult {
            rows: self.rows,
            total: money(self.total)?,
            rows_sha256: self.hasher.finish(),
            by_cost_centre,
        })
    }
}

/// The end of an import's stream: the rows' tally, and the file's hash if the importer
/// took it while reading.
pub(crate) type StreamEnd = (RowTally, Option<String>);

/// Walks an import's stream: hands each row of each batch to `write`, in order, and gives
/// back the stream's end. Refuses batches out of order and a tally that does not count
/// exactly the rows written; [`ImportItem::Abort`] is [`StoreError::ImportAborted`].
pub(crate) fn write_rows(
    items: &mut dyn Iterator<Item = ImportItem>,
    mut write: impl FnMut(&RowParts<'_>) -> Result<()>,
) -> Result<StreamEnd> {
    let mut written: u64 = 0;
    for item in items {
        match item {
            ImportItem::Rows(batch) => {
                if batch.first != written {
                    return Err(StoreError::Invalid(format!(
                        "rows {} to {} of the import came after {written} rows: batches must come in order",
                        batch.first + 1,
                        batch.first + batch.rows.len() as u64
                    )));
                }
                for row in &batch.rows {
                    write(&row_parts(row)?)?;
                    written += 1;
                }
            }
            ImportItem::End { tally, file_sha256 } if tally.rows == written => return Ok((tally, file_sha256)),
            ImportItem::End { tally, .. } => {
                return Err(StoreError::Invalid(format!(
                    "the import's tally counts {} rows, but the store was sent {written}",
                    tally.rows
                )));
            }
            ImportItem::Abort => return Err(StoreError::ImportAborted),
        }
    }
    Err(StoreError::Invalid(format!("the import's rows ended after {written} rows without their tally")))
}

// ---- checking live imports against the log ----

/// An import as the ledger tables hold it now, recomputed from its rows.
pub(crate) struct StoredImport {
    pub replaced: bool,
    pub from_rows: TallyResult,
    /// The rows of the `actual` table, sorted by cost centre.
    pub summary: Vec<CostCentreSum>,
    pub record: ImportTableRecord,
}

/// An import's row of the import table (what the imports page lists), as its audit entry
/// should have it.
pub(crate) struct ImportTableRecord {
    /// Its columns as [`ImportSummary::text`] writes them.
    pub text: String,
    /// As stored: compared as text, so that any edit shows.
    pub imported_at: String,
    pub imported_by: String,
    pub audit_seq: i64,
}

impl ImportTableRecord {
    /// Where the record differs from the entry that made the import.
    fn differences(&self, entry: &AuditEntry) -> Vec<String> {
        let mut out = differences(&entry.after, &self.text);
        let mut compare = |what: &str, found: &str, recorded: &str| {
            if found != recorded {
                out.push(format!("{what} {found} where the log recorded {recorded}"));
            }
        };
        compare("imported_at", &self.imported_at, &entry.at.to_string());
        compare("imported_by", &self.imported_by, &entry.actor);
        compare("audit entry", &self.audit_seq.to_string(), &entry.seq.to_string());
        out
    }
}

/// Finds the first import whose stored state differs from what the (already verified)
/// log says was imported. The log decides which imports are live, so that an import
/// hidden by marking it replaced in the table is caught too. `load` gives an import's
/// stored state (`None`: no such import); `live_in_table` lists `(import, audit seq)` of
/// the imports the tables say are live.
pub(crate) fn check_imports(
    log: &[AuditEntry],
    live_in_table: &[(i64, i64)],
    mut load: impl FnMut(i64) -> Result<Option<StoredImport>>,
) -> Result<Option<AuditProblem>> {
    let mut live: BTreeMap<i64, &AuditEntry> = BTreeMap::new();
    for e in log {
        let id = |text: &str| field(text, "import").and_then(|v| v.parse::<i64>().ok());
        match e.action.as_str() {
            "import" | "replace-import" => {
                if let Some(old) = id(&e.before) {
                    live.remove(&old);
                }
                if let Some(new) = id(&e.after) {
                    live.insert(new, e);
                }
            }
            _ => {}
        }
    }
    let mut problems: Vec<AuditProblem> = Vec::new();
    for (&import_id, e) in &live {
        let name = format!("import {import_id} ({})", e.subject);
        let problem = |why: String| AuditProblem { seq: e.seq, reason: format!("{name}: {why}") };
        let Some(stored) = load(import_id)? else {
            problems.push(problem("the import is missing from the ledger".into()));
            continue;
        };
        let recorded = |key: &str| field(&e.after, key).unwrap_or("");
        let t = &stored.from_rows;
        if stored.replaced {
            problems.push(problem("the ledger marks it replaced, but the log never replaced it".into()));
        } else if recorded("rows_sha256") != t.rows_sha256
            || recorded("rows") != t.rows.to_string()
            || recorded("total") != t.total.to_plain_string()
        {
            problems.push(problem(format!(
                "its ledger rows have changed since they were imported (recorded {} rows, total {}; \
                 the ledger now holds {} rows, total {}, with a different row hash)",
                recorded("rows"),
                recorded("total"),
                t.rows,
                t.total.to_plain_string()
            )));
        } else if stored.summary != t.by_cost_centre {
            problems.push(problem(
                "its actuals (the per cost centre sums and row lists that reports read) no longer match its rows"
                    .into(),
            ));
        } else {
            let edited = stored.record.differences(e);
            if !edited.is_empty() {
                problems.push(problem(format!("its record in the import table was edited: {}", edited.join("; "))));
            }
        }
    }
    for &(import_id, seq) in live_in_table {
        if !live.contains_key(&import_id) {
            problems.push(AuditProblem {
                seq,
                reason: format!("import {import_id} is live in the ledger, but the log has it replaced or not at all"),
            });
        }
    }
    Ok(problems.into_iter().min_by_key(|p| p.seq))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_lists_round_trip() {
        let offsets = [3u64, 4, 200, 20_000, 5_000_000_000];
        let mut list = Vec::new();
        let mut last = 0;
        for o in offsets {
            push_varint(&mut list, o - last);
            last = o;
        }
        assert_eq!(row_offsets(&list).collect::<Vec<_>>(), offsets);
        // A damaged list ends where the damage is.
        assert_eq!(row_offsets(&list[..list.len() - 1]).collect::<Vec<_>>(), offsets[..4]);
        assert_eq!(row_offsets(&[0xff; 12]).count(), 0);
    }

    #[test]
    fn fields_stay_one_a_line() {
        let text = Fields::default().add("file", "a\nb\\c").add("rows", 3).text();
        assert_eq!(text, "file=a\\nb\\\\c\nrows=3");
        assert_eq!(field(&text, "rows"), Some("3"));
        assert_eq!(field(&text, "row"), None);
    }
}
