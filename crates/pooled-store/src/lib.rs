//! Where a pool's money is kept: one [`Store`] trait, implemented once (`store.rs`) over a
//! thin layer per database (`sql.rs`): SQLite (the embedded default: one file, WAL) and
//! PostgreSQL (production), sharing one test suite. This crate is the only place that
//! knows SQL. Every change appends to a hash-chained audit log in the same transaction.

mod accounts;
mod audit;
mod common;
mod postgres;
mod schema;
mod sql;
mod sqlite;
mod store;

pub use accounts::{ApiToken, NewApiToken, NewSession, NewUser, Role, Session, User};
pub use audit::{
    AuditEntry, AuditHead, AuditProblem, now_utc, rechain, sha256_hex, utc_from_now, verify_chain, verify_published,
};
pub use common::{RowBatch, RowTally};
/// Every time in the store's API: an instant, kept to the second.
pub use jiff::Timestamp;
pub use postgres::{PostgresDb, PostgresStore};
pub use sqlite::{SqliteDb, SqliteStore};
pub use store::SqlStore;

use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Mapping, Period};
use pooled_core::metrics::{Figure, FigureKind, MetricPeriod};
use pooled_core::money::Money;
use pooled_core::payments::EntryKind;
use pooled_core::savings::SavingFigure;

/// Opens a store from a location: `postgres://...` or `postgresql://...` for PostgreSQL,
/// anything else is a SQLite file path. Migrations run on open. The store is `Send`, so
/// that a server can move it between threads (it is not `Sync`: one user at a time).
pub fn open(location: &str) -> Result<Box<dyn Store + Send>, StoreError> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        Ok(Box::new(PostgresStore::open(location)?))
    } else {
        Ok(Box::new(SqliteStore::open(std::path::Path::new(location))?))
    }
}

#[derive(Debug)]
pub enum StoreError {
    /// The period is closed: nothing may change in it.
    PeriodClosed(Period),
    /// The import was abandoned by its caller (bad rows); nothing was written.
    ImportAborted,
    /// Something the caller asked for does not exist (no agreement for a year, ...).
    NotFound(String),
    /// The name is taken (a username, whatever its case); nothing was written.
    Duplicate(String),
    /// The caller's values contradict each other or are malformed (a partner-finance
    /// account without a partner, a time before the year 1); nothing was written.
    Invalid(String),
    /// Someone else changed the record since the caller read it (a document saved in
    /// between, or one that exists already): the message names who saved which version
    /// when; nothing was written.
    Conflict(String),
    /// The database said no.
    Database(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::PeriodClosed(p) => write!(f, "period {p} is closed: nothing in it can change"),
            StoreError::ImportAborted => write!(f, "the import was abandoned: nothing was written"),
            StoreError::NotFound(what)
            | StoreError::Duplicate(what)
            | StoreError::Invalid(what)
            | StoreError::Conflict(what) => write!(f, "{what}"),
            StoreError::Database(e) => write!(f, "database error: {e}"),
        }
    }
}

impl std::error::Error for StoreError {}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What everything stored for one agreement's financial year is kept under: the
/// agreement's id (`[agreement] id` of its file) and the year. A database holds any number
/// of agreements, each for any number of years. Written `oxon-s75 2016-17`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AgreementYear {
    pub agreement: String,
    pub year: FinancialYear,
}

impl AgreementYear {
    pub fn new(agreement: impl Into<String>, year: FinancialYear) -> AgreementYear {
        AgreementYear { agreement: agreement.into(), year }
    }
}

impl std::fmt::Display for AgreementYear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.agreement, self.year)
    }
}

/// An agreement's year as listed: its current version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementSummary {
    pub agreement: AgreementYear,
    /// The current (latest) version.
    pub version: u32,
    pub loaded_at: Timestamp,
}

/// An agreement file as stored: one version of an agreement's year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgreementVersion {
    pub year: FinancialYear,
    pub version: u32,
    pub agreement_id: String,
    /// The TOML exactly as loaded; `export-agreement` writes it back.
    pub text: String,
    pub loaded_at: Timestamp,
    pub loaded_by: String,
    /// For a variation: what changed since the previous version, one change a line.
    pub changes: String,
    /// The day and approval of the version.
    pub approval: Approval,
    /// How many payment entries the agreement's year held when this version was loaded
    /// (the first ones of [`Store::payment_entries`]): those were recorded under the
    /// versions before it, and what they record stays as it was.
    pub payments_recorded: u64,
}

/// When a version of an agreement takes effect and who approved it: a variation's board
/// decision, say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Approval {
    /// The day it takes effect; `None` for the first version, and for one that restates
    /// the year from its start.
    pub effective: Option<Date>,
    /// Who approved it, in the approver's words (`JMG 2016-09-15, item 4`); `None` when
    /// not said.
    pub approved_by: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadOutcome {
    /// The first version of the agreement for the year.
    Loaded { version: u32 },
    /// The same text as the current version: nothing changed.
    Unchanged { version: u32 },
    /// A changed file of the same agreement and year: a variation; the old version is kept.
    Varied { version: u32 },
}

/// One version of a governance document (a board register, a meeting file): TOML text
/// that the core parses and writes, kept here version by version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredDocument {
    /// What the document is: `board-register`, `meeting`, ...
    pub kind: String,
    /// Which one of its kind: `oxon-s75/2016-17` (an agreement's register for a year),
    /// `oxon-s75/2016-17/2016-09-15` (a meeting).
    pub key: String,
    /// 1 for the first save, then one more for each change.
    pub version: u32,
    /// The text exactly as saved.
    pub text: String,
    pub saved_at: Timestamp,
    pub saved_by: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DocumentSave {
    /// A new version was stored (1 for a new document).
    Saved { version: u32 },
    /// The text is the current version's: nothing was written.
    Unchanged { version: u32 },
}

/// A cost centre as stored: the plan row with ids rather than indices, so the store need
/// not know the agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCostCentre {
    pub code: String,
    pub name: String,
    pub partner: String,
    pub pool: String,
    pub line: String,
    pub budget: Money,
    pub profile: [Money; 12],
}

/// What an import is: one partner's extract for one period of an agreement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportHeader {
    /// The agreement's id; its year is the period's.
    pub agreement: String,
    pub period: Period,
    pub partner: String,
    pub file_name: String,
    /// SHA-256 of the file's bytes, hex: the same file twice changes nothing. Given here
    /// when the importer has it before the rows (an unchanged file is then found before a
    /// row is read), else at the stream's end ([`ImportItem::End`]).
    pub file_sha256: Option<String>,
    pub actor: String,
}

/// One item of an import stream: valid rows, tallied as they were bundled; the end, with
/// the tally of every row sent; or the caller's word to abandon the import (it found bad
/// rows) so that nothing is written.
pub enum ImportItem {
    Rows(RowBatch),
    /// Every row was sent: their tally, and the file's SHA-256 if the importer took it
    /// while reading rather than before ([`ImportHeader::file_sha256`]).
    End {
        tally: RowTally,
        file_sha256: Option<String>,
    },
    Abort,
}

/// The import stream of `rows`, tallied on the caller's thread as the store takes them, a
/// row a batch: for a caller with no reading thread of its own.
pub fn import_items(rows: impl IntoIterator<Item = LedgerRow>) -> impl Iterator<Item = ImportItem> {
    let mut tally = Some(RowTally::new());
    let mut rows = rows.into_iter();
    std::iter::from_fn(move || match rows.next() {
        Some(row) => tally.as_mut().map(|t| ImportItem::Rows(t.batch(vec![row]))),
        None => tally.take().map(|tally| ImportItem::End { tally, file_sha256: None }),
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportOutcome {
    Imported {
        import_id: i64,
        rows: u64,
        total: Money,
    },
    /// The latest import for this partner and period had the same file hash.
    Unchanged {
        import_id: i64,
    },
    /// A corrected extract replaced the earlier one for this partner and period.
    Replaced {
        import_id: i64,
        rows: u64,
        total: Money,
        replaced_import_id: i64,
        replaced_rows: u64,
    },
}

/// A summary of one import, for listings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRecord {
    pub import_id: i64,
    pub period: Period,
    pub partner: String,
    pub file_name: String,
    pub file_sha256: String,
    pub rows: u64,
    pub total: Money,
    pub imported_at: Timestamp,
    pub imported_by: String,
    /// Whether a later corrected extract has replaced it.
    pub replaced: bool,
}

/// Actual net expenditure of one cost centre in one month (sum of its ledger rows).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actual {
    pub cost_centre: String,
    pub month: FiscalMonth,
    pub amount: Money,
    pub rows: u64,
}

/// A forecast outturn for the whole year, as a budget holder entered it in a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forecast {
    pub cost_centre: String,
    /// The month the forecast was made in (the report month it belongs to).
    pub month: FiscalMonth,
    pub outturn: Money,
    /// Entered below the cost centre's actual to date, and confirmed as meant.
    pub confirmed_below_actual: bool,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// An amount recorded of a saving moved into a pool without an agreed delivery strategy:
/// a forecast of its delivery made in a month, or what it delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavingRecord {
    /// The saving's id in the agreement.
    pub saving: String,
    pub figure: SavingFigure,
    pub amount: Money,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// One thing recorded against an instalment of the payment schedule: the invoice that
/// raised it, or a payment on it. Partners are named by their own ids (the key whoever
/// holds their place).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentEntry {
    pub pool: String,
    /// The paying partner.
    pub from: String,
    /// The partner paid; `None` on an entry recorded before the payee was kept, when it
    /// was always the pool's host.
    pub to: Option<String>,
    pub month: FiscalMonth,
    pub kind: EntryKind,
    pub on: Date,
    /// More than zero; `None` on an entry recorded before amounts were kept, which was
    /// for the instalment in full.
    pub amount: Option<Money>,
}

/// A figure of a metric or KPI for a period: planned or achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricEntry {
    /// The series: a national metric's or a KPI's id (`home-support.new-hours` for one of
    /// a home support measure's two).
    pub series: String,
    pub period: MetricPeriod,
    pub kind: FigureKind,
    pub figure: Figure,
}

/// A [`MetricEntry`] as stored, with who entered it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMetric {
    pub entry: MetricEntry,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// A statement the area wrote into a return, with who wrote it when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredStatement {
    pub field: StatementField,
    /// At most [`pooled_core::bcf::returns::MAX_STATEMENT_CHARS`] characters.
    pub text: String,
    pub entered_by: String,
    pub entered_at: Timestamp,
}

/// The store. Every method that changes anything does so in one transaction together with
/// its audit entry, or not at all. `actor` is who made the change. Times are kept to the
/// second (a finer part is dropped), as UTC ISO 8601 text.
///
/// Changes are serialised: each takes a lock against the others (SQLite's write lock,
/// PostgreSQL's lock on the audit log) for the whole of its transaction, so that what it
/// reads and checks cannot change before it commits. Two exceptions keep long work from
/// holding others up: an import streams its rows under a lock of its agreement, partner and
/// period only (on PostgreSQL; SQLite has one writer), and sign-in attempts lock their
/// username only.
///
/// Everything an agreement holds for a year (versions, plan, imports, closed periods,
/// forecasts, payments) is kept under its [`AgreementYear`]: one agreement's records never
/// touch another's.
pub trait Store {
    /// `sqlite` or `postgres`, for messages.
    fn backend(&self) -> &'static str;

    /// Runs `work` in one transaction: its reads see the database as of the transaction
    /// (with its own changes), and its changes, each audited as when made alone, commit
    /// together when it returns `Ok`, or not at all. The lock of a change is taken when
    /// the transaction begins and held to its end, so a rule checked by reading several
    /// records stays true until the change that depends on it is written. A change that
    /// fails inside it is undone on its own (the others stand unless `work` fails too).
    /// Transactions nest (a savepoint). Long work does not belong in one: it holds up
    /// every other change. [`in_transaction`] is the typed way to call it.
    fn transaction(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()>;
    /// Runs `work`'s reads as of one moment: a change committed meanwhile is not seen,
    /// so records read one after the other agree with each other. Takes no lock; inside a
    /// [`Store::transaction`] it reads what that transaction sees. [`in_snapshot`] is the
    /// typed way to call it.
    fn snapshot(&self, work: &mut dyn FnMut(&dyn Store) -> Result<()>) -> Result<()>;

    // ---- agreements ----

    /// Stores an agreement file's text (given, already validated) as the next version of
    /// its agreement's year: the first for a new id or year, a variation for the same,
    /// with the day it takes effect and who approved it. Text equal to the current
    /// version's writes nothing.
    fn load_agreement(
        &mut self,
        agreement: &AgreementYear,
        text: &str,
        changes: &str,
        approval: &Approval,
        actor: &str,
    ) -> Result<LoadOutcome>;
    /// The current (latest) version of an agreement's year.
    fn agreement(&self, agreement: &AgreementYear) -> Result<Option<AgreementVersion>>;
    /// Every version of an agreement's year, oldest first.
    fn agreement_versions(&self, agreement: &AgreementYear) -> Result<Vec<AgreementVersion>>;
    /// Every agreement's years, by id, then year.
    fn agreements(&self) -> Result<Vec<AgreementSummary>>;

    // ---- governance documents ----

    /// Saves a new version of a document. `expected_version` is the version the caller
    /// read and edited (`None` for a new document): if the document's current version is
    /// another (someone saved in between, or the document exists although `None` was
    /// given), it is [`StoreError::Conflict`] naming who saved which version when, and
    /// nothing is written. Text equal to the current version's writes nothing (no version,
    /// no audit entry): [`DocumentSave::Unchanged`]. Otherwise the next version is stored
    /// with its audit entry (action `save-{kind}`, subject `{kind} {key}`, before and after
    /// naming the version and the SHA-256 of its text, never the text). A kind is lower
    /// case letters, digits and hyphens (`plan` and `mapping` are taken by the store's own
    /// audit actions); a key is not empty and has no control characters; a text has no NUL
    /// character: else [`StoreError::Invalid`]. A rule that spans documents (a meeting
    /// against the register) is checked and saved in one [`Store::transaction`].
    fn save_document(
        &mut self,
        kind: &str,
        key: &str,
        expected_version: Option<u32>,
        text: &str,
        actor: &str,
    ) -> Result<DocumentSave>;
    /// The current (latest) version of a document.
    fn document(&self, kind: &str, key: &str) -> Result<Option<StoredDocument>>;
    /// Every version of a document, oldest first.
    fn document_versions(&self, kind: &str, key: &str) -> Result<Vec<StoredDocument>>;
    /// The current version of every document of a kind whose key starts with `key_prefix`
    /// (taken literally: no wildcards), ordered by key, bytewise: `meeting` and
    /// `oxon-s75/2016-17/` give every meeting of that agreement's 2016-17; an empty prefix
    /// gives every document of the kind.
    fn documents(&self, kind: &str, key_prefix: &str) -> Result<Vec<StoredDocument>>;

    // ---- plan: cost centres and budgets ----

    /// Replaces the cost centres and budgets of an agreement's year.
    fn save_plan(&mut self, agreement: &AgreementYear, cost_centres: &[StoredCostCentre], actor: &str) -> Result<()>;
    fn plan(&self, agreement: &AgreementYear) -> Result<Vec<StoredCostCentre>>;

    // ---- mappings of partners' extracts, per agreement (its id) and partner ----

    fn save_mapping(&mut self, agreement: &str, partner: &str, mapping: &Mapping, actor: &str) -> Result<()>;
    fn mapping(&self, agreement: &str, partner: &str) -> Result<Option<Mapping>>;

    // ---- ledger ----

    /// Imports one extract in one transaction: all of it or none. Refuses a closed period
    /// (also one closed while the rows streamed in). If the partner's latest import for
    /// the agreement's period has the same file hash, nothing changes (and `rows` is not read, when the
    /// header gives the hash); otherwise the new rows replace the earlier import's
    /// atomically. The file's hash is given once: in the header or at the stream's end. On
    /// [`ImportItem::Abort`] it rolls back and returns [`StoreError::ImportAborted`]. Rows
    /// are streamed, never held: memory does not grow with the extract (but for a byte or
    /// two a row of per cost centre row lists). The stream ends with [`ImportItem::End`]:
    /// the [`RowTally`] of the rows, which must count exactly the rows sent, else nothing
    /// is written. Every row counts in the import's period, whatever its date: callers
    /// refuse rows dated outside it. The audit entry records the rows' count, total and a
    /// hash of the rows (from the tally), so that `verify_audit` detects an edited ledger
    /// row. Imports of one agreement's partner and period wait for each other; on
    /// PostgreSQL other changes (a sign-in) wait only for the import's last step, which
    /// appends its audit entry and makes it the live one.
    fn import_ledger(
        &mut self,
        header: &ImportHeader,
        rows: &mut dyn Iterator<Item = ImportItem>,
    ) -> Result<ImportOutcome>;
    /// Copies what recent writes left in SQLite's write-ahead log into the database file,
    /// without making readers or writers wait; nothing on PostgreSQL, whose server does
    /// its own. An import leaves this to its caller, since after a large one it takes
    /// seconds: it belongs where nobody waits for it (after the web's import job is done).
    /// Left undone, SQLite does it when the next change commits or the last connection
    /// closes.
    fn checkpoint(&mut self) -> Result<()>;
    /// Live (not replaced) imports of an agreement's year, in period then partner order.
    fn imports(&self, agreement: &AgreementYear) -> Result<Vec<ImportRecord>>;
    /// Actuals per cost centre per month from the live imports of an agreement's year.
    fn actuals(&self, agreement: &AgreementYear) -> Result<Vec<Actual>>;
    /// The ledger rows of one cost centre in an agreement's year, for drill-down, oldest
    /// first: by period, then partner, then in the extract's order; at most `limit` of them.
    fn ledger_rows(&self, agreement: &AgreementYear, cost_centre: &str, limit: u32) -> Result<Vec<LedgerRow>>;

    // ---- periods ----

    /// Closes an agreement's period for good; closing a closed period changes nothing.
    fn close_period(&mut self, agreement: &str, period: Period, actor: &str) -> Result<()>;
    fn closed_periods(&self, agreement: &AgreementYear) -> Result<Vec<Period>>;

    // ---- forecasts ----

    /// Records a budget holder's forecast, and whether it was confirmed although below the
    /// actual to date (the caller checks when it must be); refused when the month's period
    /// is closed.
    fn set_forecast(
        &mut self,
        agreement: &AgreementYear,
        month: FiscalMonth,
        cost_centre: &str,
        outturn: Money,
        confirmed_below_actual: bool,
        actor: &str,
    ) -> Result<()>;
    /// An agreement's forecasts for the year, by month entered, then cost centre.
    fn forecasts(&self, agreement: &AgreementYear) -> Result<Vec<Forecast>>;

    // ---- unagreed savings ----

    /// Records an amount of an unagreed saving (the caller checks the saving against the
    /// agreement): a forecast of its delivery made in a month, refused when that month's
    /// period is closed, or what it delivered. It replaces the same figure recorded
    /// before; a negative amount is [`StoreError::Invalid`].
    fn record_saving(
        &mut self,
        agreement: &AgreementYear,
        saving: &str,
        figure: SavingFigure,
        amount: Money,
        actor: &str,
    ) -> Result<()>;
    /// The agreement year's records of savings, by saving: its forecasts by the month made in, then
    /// what it delivered.
    fn saving_records(&self, agreement: &AgreementYear) -> Result<Vec<SavingRecord>>;

    // ---- payments ----

    /// Appends what is recorded against one instalment of an agreement's year (its
    /// invoice, a payment, or both, in order), with one audit entry. Nothing recorded is
    /// ever changed: a later invoice corrects an earlier one. Amounts must be more than zero.
    fn record_payment(&mut self, agreement: &AgreementYear, entries: &[PaymentEntry], actor: &str) -> Result<()>;
    /// Everything recorded against an agreement's instalments for the year, in the order
    /// recorded.
    fn payment_entries(&self, agreement: &AgreementYear) -> Result<Vec<PaymentEntry>>;

    // ---- metrics and KPIs ----

    /// Records figures of an agreement year's metrics and KPIs (the caller checks them
    /// against the agreement), each replacing the same series, period and kind's figure,
    /// in one transaction with one audit entry listing each figure before and after.
    /// Nothing given writes nothing.
    fn set_metrics(&mut self, agreement: &AgreementYear, entries: &[MetricEntry], actor: &str) -> Result<()>;
    /// An agreement year's figures, by series, then period, then kind (plan first).
    fn metrics(&self, agreement: &AgreementYear) -> Result<Vec<StoredMetric>>;

    // ---- the returns to NHS England ----

    /// Records what the area writes into a return (the caller checks the text with
    /// `pooled_core::bcf::returns::check_statement`), replacing the field's text; an empty
    /// text removes it. One transaction with one audit entry of the text before and after;
    /// the same text again writes nothing.
    fn set_statement(
        &mut self,
        agreement: &AgreementYear,
        kind: ReturnKind,
        field: &StatementField,
        text: &str,
        actor: &str,
    ) -> Result<()>;
    /// A return's statements, by field.
    fn statements(&self, agreement: &AgreementYear, kind: ReturnKind) -> Result<Vec<StoredStatement>>;

    // ---- accounts ----

    /// Creates an account; its id. A username already taken in any case is
    /// [`StoreError::Duplicate`]; a role with the wrong scope (a partner for anyone but
    /// partner finance, cost centres for anyone but a budget holder) or an empty agreement
    /// id is [`StoreError::Invalid`]. The audit entry holds everything but the password
    /// hash.
    fn create_user(&mut self, user: &NewUser, actor: &str) -> Result<i64>;
    fn user(&self, id: i64) -> Result<Option<User>>;
    /// The account of a username, in any case.
    fn user_by_name(&self, username: &str) -> Result<Option<User>>;
    /// Every account, disabled ones too, in the order they were created.
    fn users(&self) -> Result<Vec<User>>;
    /// Replaces an account's password hash (a PHC string) and ends its sessions; audited
    /// without the hash.
    fn set_password_hash(&mut self, user_id: i64, password_hash: &str, actor: &str) -> Result<()>;
    /// Disables or re-enables an account. Disabling ends its sessions (deleted) and API
    /// tokens (revoked) for good, in the same transaction, and its audit entry counts
    /// them; re-enabling revives neither: its user signs in again and makes new tokens.
    fn set_user_disabled(&mut self, user_id: i64, disabled: bool, actor: &str) -> Result<()>;

    // ---- sessions ----

    /// Stores a new session of an enabled account, audited as a login by that user.
    fn create_session(&mut self, session: &NewSession) -> Result<()>;
    /// The live session with this token hash and its user; `None` when there is none,
    /// it has expired (by the store's clock) or its user is disabled.
    fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>>;
    /// Ends a session, audited as a logout by its user; an unknown one changes nothing.
    fn delete_session(&mut self, token_hash: &str) -> Result<()>;
    /// Deletes every session expired at `now`; how many. One audit entry for them all,
    /// by `system`, and none when there were none.
    fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64>;

    // ---- login throttling ----

    /// Reserves a sign-in attempt for a username (in any case, existing or not) at `at`,
    /// unless it has `allowed` failed attempts or more at or after `since` (not counting
    /// those before its latest successful one: a good sign-in clears the count): then
    /// `None`, and nothing is recorded. The count and the reservation are one atomic step,
    /// so of any number of attempts made at once at most `allowed` get through. The
    /// attempt is recorded as failed until [`Store::login_succeeded`] says otherwise, so
    /// an attempt whose check never finishes counts as a failure. Its id. Attempts are
    /// kept, not audited: failures cost little and cannot flood the log.
    fn start_login_attempt(
        &mut self,
        username: &str,
        since: Timestamp,
        allowed: u32,
        at: Timestamp,
    ) -> Result<Option<i64>>;
    /// Records that a reserved attempt had the right password.
    fn login_succeeded(&mut self, attempt: i64) -> Result<()>;

    // ---- API tokens ----

    /// Stores a token for a script; its id. The audit entry names it, never its hash.
    fn create_api_token(&mut self, token: &NewApiToken, actor: &str) -> Result<i64>;
    /// The unrevoked token with this hash and its user; `None` when there is none, it was
    /// revoked or its user is disabled.
    fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>>;
    /// Revokes a token for good; revoking a revoked token changes nothing.
    fn revoke_api_token(&mut self, id: i64, actor: &str) -> Result<()>;
    /// A user's tokens, revoked ones too, oldest first.
    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>>;

    // ---- audit ----

    /// The whole log, oldest first.
    fn audit_log(&self) -> Result<Vec<AuditEntry>>;
    /// Recomputes the chain and checks its last entry against the head kept apart from
    /// it (so that removing the last entries shows), then each live import's rows, count,
    /// total, actuals and record in the import table against its audit entry, then that
    /// no ledger row lies outside the live imports; the first problem, if any. An
    /// import's problem is named by the seq of the entry that recorded it; a ledger row
    /// that no import holds, by the latest entry's.
    fn verify_audit(&self) -> Result<Option<AuditProblem>>;
    /// [`Store::verify_audit`], and first that the log is unchanged up to each of heads
    /// published earlier ([`verify_published`]): this catches an edit even when every
    /// hash after it was recomputed.
    fn verify_audit_against(&self, published: &[AuditHead]) -> Result<Option<AuditProblem>>;
    /// The log's head: its latest entry's sequence number and hash (`0:` and the genesis
    /// hash for an empty log), which reports, agenda packs and settlement statements print.
    /// Read it in the [`Store::snapshot`] that reads their figures, so that it is the head
    /// as of those figures. Every change moves it, account changes (sign-ins) too.
    fn audit_head(&self) -> Result<AuditHead>;
    /// The sequence number of the latest audit entry that changed the pool's records
    /// (agreements, plans, mappings, the ledger, periods, forecasts, savings, payments,
    /// metrics, documents); 0 for none. Account changes (users, passwords, sign-ins, sign-outs,
    /// expired sessions, API tokens) are audited but do not move it. Anything read from the
    /// records after reading this stays fresh while it is unchanged: the web
    /// application's caches key on it.
    fn last_change(&self) -> Result<i64>;
}

/// Runs `work` in one [`Store::transaction`], giving back what it returns: its value
/// once committed, or its own error (everything rolled back), or the store's if the
/// commit failed.
pub fn in_transaction<T, E: From<StoreError>>(
    store: &mut dyn Store,
    work: impl FnOnce(&mut dyn Store) -> Result<T, E>,
) -> Result<T, E> {
    let mut work = Some(work);
    let mut out = None;
    let ended = store.transaction(&mut |store| once(&mut work, &mut out, store));
    outcome(ended, out)
}

/// Runs `work` in one [`Store::snapshot`], giving back what it returns.
pub fn in_snapshot<T, E: From<StoreError>>(
    store: &dyn Store,
    work: impl FnOnce(&dyn Store) -> Result<T, E>,
) -> Result<T, E> {
    let mut work = Some(work);
    let mut out = None;
    let ended = store.snapshot(&mut |store| once(&mut work, &mut out, store));
    outcome(ended, out)
}

/// Runs the caller's work, once, keeping what it returns for [`outcome`]; a failure of
/// its own rolls the transaction back.
fn once<S, T, E>(
    work: &mut Option<impl FnOnce(S) -> Result<T, E>>,
    out: &mut Option<Result<T, E>>,
    store: S,
) -> Result<()> {
    let Some(work) = work.take() else { return Ok(()) };
    let result = work(store);
    let failed = result.is_err();
    *out = Some(result);
    // The error itself is given back by `outcome`; this one only ends the transaction.
    if failed { Err(StoreError::Invalid("the transaction's work failed".into())) } else { Ok(()) }
}

fn outcome<T, E: From<StoreError>>(ended: Result<()>, out: Option<Result<T, E>>) -> Result<T, E> {
    match (ended, out) {
        (Ok(()), Some(Ok(value))) => Ok(value),
        (_, Some(Err(e))) => Err(e),
        (Err(e), _) => Err(e.into()),
        (Ok(()), None) => Err(StoreError::Database("the transaction's work did not run".into()).into()),
    }
}
