//! One test suite for every backend: each `fn x(f: &mut Fixture)` below runs as
//! `sqlite::x` (a fresh file) and `postgres::x` (a fresh schema in the local server).
//!
//! PostgreSQL is at `POOLED_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`).
//! When it cannot be reached, the PostgreSQL tests fail if `CI=true`; otherwise each prints
//! `SKIPPED: PostgreSQL not reachable at ...` to stderr and passes.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Mapping, Period};
use pooled_core::metrics::{Figure, FigureKind, MetricPeriod};
use pooled_core::money::Money;
use pooled_core::payments::EntryKind;
use pooled_core::savings::SavingFigure;
use pooled_store::{
    Actual, AgreementYear, ApiToken, Approval, AuditEntry, AuditHead, DocumentSave, ImportHeader, ImportItem,
    ImportOutcome, LoadOutcome, MetricEntry, NewApiToken, NewSession, NewUser, PaymentEntry, PostgresStore, Role,
    RowTally, Session, SqliteStore, Store, StoreError, StoredCostCentre, StoredDocument, Timestamp, User, import_items,
    in_snapshot, in_transaction, sha256_hex,
};

// ---- fixtures ----

enum Db {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

/// A store on a database of its own, and a way into that database behind the store's back.
struct Fixture {
    store: Box<dyn Store>,
    db: Db,
}

fn postgres_url() -> String {
    std::env::var("POOLED_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

impl Fixture {
    fn sqlite(test: &str) -> Fixture {
        let path = std::env::temp_dir().join(format!("pooled-store-{test}-{}.db", std::process::id()));
        remove_sqlite_files(&path);
        let store = Box::new(SqliteStore::open(&path).expect("open SQLite"));
        Fixture { store, db: Db::Sqlite(path) }
    }

    /// `None` (after saying so) when the server is down and this is not CI.
    fn postgres(test: &str) -> Option<Fixture> {
        let url = postgres_url();
        let mut client = match ::postgres::Client::connect(&url, ::postgres::NoTls) {
            Ok(client) => client,
            Err(e) => {
                let why = pooled_store::StoreError::from(e);
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("PostgreSQL not reachable at {url} ({why}), and CI=true: the PostgreSQL tests must run");
                }
                // Straight to stderr, not eprintln!: the test harness would swallow that.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: PostgreSQL not reachable at {url} ({why}): {test} did not run on PostgreSQL"
                );
                return None;
            }
        };
        // PostgreSQL cuts names at 63 bytes: the process id first, then as much of the
        // test's name as fits (the first 40 bytes tell these tests apart).
        let schema = format!("pooled_test_{}_{}", std::process::id(), &test[..test.len().min(40)]);
        client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).expect("drop old schema");
        let store = Box::new(PostgresStore::open_in_schema(&url, &schema).expect("open PostgreSQL"));
        Some(Fixture { store, db: Db::Postgres { url, schema } })
    }

    /// Runs SQL on the database directly, as someone with access to it could.
    fn sql(&self, sql: &str) {
        match &self.db {
            Db::Sqlite(path) => rusqlite::Connection::open(path).and_then(|c| c.execute_batch(sql)).expect(sql),
            Db::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                client.batch_execute(&format!("SET search_path TO {schema}; {sql}")).expect(sql);
            }
        }
    }

    /// Whether the database refuses `sql`.
    fn sql_refused(&self, sql: &str) -> bool {
        match &self.db {
            Db::Sqlite(path) => rusqlite::Connection::open(path).and_then(|c| c.execute_batch(sql)).is_err(),
            Db::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                client.batch_execute(&format!("SET search_path TO {schema}; {sql}")).is_err()
            }
        }
    }

    fn count(&self, table: &str) -> i64 {
        self.number(&format!("SELECT COUNT(*) FROM {table}"))
    }

    /// The one number a query gives (a BIGINT in PostgreSQL).
    fn number(&self, sql: &str) -> i64 {
        match &self.db {
            Db::Sqlite(path) => {
                rusqlite::Connection::open(path).and_then(|c| c.query_row(sql, [], |r| r.get(0))).expect(sql)
            }
            Db::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                client.batch_execute(&format!("SET search_path TO {schema}")).expect("search path");
                client.query_one(sql, &[]).expect(sql).get(0)
            }
        }
    }

    /// Drops the triggers that keep the audit log append-only, as the database's owner can.
    fn drop_log_guards(&self) {
        self.sql(match self.db {
            Db::Sqlite(_) => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
            Db::Postgres { .. } => {
                "DROP TRIGGER audit_log_no_change ON audit_log; DROP TRIGGER audit_log_no_truncate ON audit_log;"
            }
        });
    }

    /// Edits entry `seq`'s after text and recomputes every hash from it on, and the head
    /// kept apart from the log, as someone who knows how the chain is made would.
    fn rewrite_log(&self, seq: i64, after: &str) {
        self.drop_log_guards();
        let mut log: Vec<_> = self.store.audit_log().unwrap().into_iter().filter(|e| e.seq >= seq).collect();
        log[0].after = after.to_string();
        pooled_store::rechain(&mut log);
        let mut sql = String::new();
        for e in &log {
            sql.push_str(&format!(
                "UPDATE audit_log SET after_text = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {};\n",
                e.after.replace('\'', "''"),
                e.prev_hash,
                e.hash,
                e.seq
            ));
        }
        let last = log.last().expect("an entry to rewrite");
        self.sql(&format!("{sql}UPDATE audit_head SET seq = {}, hash = '{}';", last.seq, last.hash));
    }

    /// Takes the database back to schema version 7, as migration 8 found it: no
    /// confirmation on forecasts, no records of savings (migration 9 undone first).
    fn undo_migration_8(&self) {
        self.undo_migration_9();
        self.sql(
            "ALTER TABLE forecast DROP COLUMN confirmed_below_actual;
             DROP TABLE saving_forecast; DROP TABLE saving_delivered; DELETE FROM schema_version WHERE version = 8;",
        );
    }

    /// Takes the database back to schema version 5, as migration 6 found it: one agreement
    /// a year, everything keyed by the year (the agreement's id dropped from every table;
    /// of a partner's mappings, the first agreement's kept), documents keyed by the year
    /// (`oxon/` taken off their keys), no agreements of accounts.
    fn undo_migration_6(&self) {
        let common = "
            DELETE FROM mapping WHERE EXISTS
                (SELECT 1 FROM mapping o WHERE o.partner = mapping.partner AND o.agreement_id < mapping.agreement_id);
            UPDATE document SET key = substr(key, 6) WHERE substr(key, 1, 5) = 'oxon/';
            DROP TABLE user_agreement;
            DELETE FROM schema_version WHERE version = 6;";
        let undo = match self.db {
            Db::Sqlite(_) => {
                "CREATE TABLE agreement_5 (year INTEGER NOT NULL, version INTEGER NOT NULL,
                     agreement_id TEXT NOT NULL, toml TEXT NOT NULL, loaded_at TEXT NOT NULL,
                     loaded_by TEXT NOT NULL, changes TEXT NOT NULL, PRIMARY KEY (year, version));
                 INSERT INTO agreement_5 SELECT year, version, agreement_id, toml, loaded_at, loaded_by, changes
                     FROM agreement;
                 DROP TABLE agreement; ALTER TABLE agreement_5 RENAME TO agreement;
                 CREATE TABLE cost_centre_5 (year INTEGER NOT NULL, code TEXT NOT NULL, position INTEGER NOT NULL,
                     name TEXT NOT NULL, partner TEXT NOT NULL, pool TEXT NOT NULL, line TEXT NOT NULL,
                     budget INTEGER NOT NULL, m1 INTEGER NOT NULL, m2 INTEGER NOT NULL, m3 INTEGER NOT NULL,
                     m4 INTEGER NOT NULL, m5 INTEGER NOT NULL, m6 INTEGER NOT NULL, m7 INTEGER NOT NULL,
                     m8 INTEGER NOT NULL, m9 INTEGER NOT NULL, m10 INTEGER NOT NULL, m11 INTEGER NOT NULL,
                     m12 INTEGER NOT NULL, PRIMARY KEY (year, code));
                 INSERT INTO cost_centre_5 SELECT year, code, position, name, partner, pool, line, budget,
                     m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12 FROM cost_centre;
                 DROP TABLE cost_centre; ALTER TABLE cost_centre_5 RENAME TO cost_centre;
                 CREATE TABLE mapping_5 (partner TEXT PRIMARY KEY, toml TEXT NOT NULL);
                 INSERT INTO mapping_5 SELECT partner, toml FROM mapping;
                 DROP TABLE mapping; ALTER TABLE mapping_5 RENAME TO mapping;
                 CREATE TABLE closed_period_5 (year INTEGER NOT NULL, month INTEGER NOT NULL,
                     closed_at TEXT NOT NULL, closed_by TEXT NOT NULL, PRIMARY KEY (year, month));
                 INSERT INTO closed_period_5 SELECT year, month, closed_at, closed_by FROM closed_period;
                 DROP TABLE closed_period; ALTER TABLE closed_period_5 RENAME TO closed_period;
                 CREATE TABLE forecast_5 (year INTEGER NOT NULL, month INTEGER NOT NULL, cost_centre TEXT NOT NULL,
                     outturn INTEGER NOT NULL, entered_by TEXT NOT NULL, entered_at TEXT NOT NULL,
                     PRIMARY KEY (year, month, cost_centre));
                 INSERT INTO forecast_5 SELECT year, month, cost_centre, outturn, entered_by, entered_at FROM forecast;
                 DROP TABLE forecast; ALTER TABLE forecast_5 RENAME TO forecast;
                 CREATE TABLE payment_5 (year INTEGER NOT NULL, pool TEXT NOT NULL, from_partner TEXT NOT NULL,
                     month INTEGER NOT NULL, raised_on INTEGER, paid_on INTEGER,
                     PRIMARY KEY (year, pool, from_partner, month));
                 INSERT INTO payment_5 SELECT year, pool, from_partner, month, raised_on, paid_on FROM payment;
                 DROP TABLE payment; ALTER TABLE payment_5 RENAME TO payment;
                 DROP INDEX ledger_import_period;
                 ALTER TABLE ledger_import DROP COLUMN agreement_id;
                 CREATE INDEX ledger_import_period ON ledger_import (year, month, partner);"
            }
            Db::Postgres { .. } => {
                "ALTER TABLE agreement DROP CONSTRAINT agreement_pkey;
                 ALTER TABLE agreement ADD PRIMARY KEY (year, version);
                 ALTER TABLE agreement ALTER COLUMN agreement_id TYPE TEXT COLLATE \"default\";
                 ALTER TABLE cost_centre DROP COLUMN agreement_id;
                 ALTER TABLE cost_centre ADD PRIMARY KEY (year, code);
                 ALTER TABLE mapping DROP COLUMN agreement_id;
                 ALTER TABLE mapping ADD PRIMARY KEY (partner);
                 ALTER TABLE closed_period DROP COLUMN agreement_id;
                 ALTER TABLE closed_period ADD PRIMARY KEY (year, month);
                 ALTER TABLE forecast DROP COLUMN agreement_id;
                 ALTER TABLE forecast ADD PRIMARY KEY (year, month, cost_centre);
                 ALTER TABLE payment DROP COLUMN agreement_id;
                 ALTER TABLE payment ADD PRIMARY KEY (year, pool, from_partner, month);
                 ALTER TABLE ledger_import DROP COLUMN agreement_id;
                 CREATE INDEX ledger_import_period ON ledger_import (year, month, partner);"
            }
        };
        // The mappings first: schema 5 holds one a partner.
        self.sql(&format!("{common}\n{undo}"));
    }

    /// Migration 7 undone (migration 8 first): the payment table as migration 6 left it,
    /// each instalment with the day of its latest invoice and of its latest payment.
    fn undo_migration_7(&self) {
        self.undo_migration_8();
        self.sql(
            "CREATE TABLE payment (agreement_id TEXT NOT NULL, year INTEGER NOT NULL, pool TEXT NOT NULL,
                 from_partner TEXT NOT NULL, month INTEGER NOT NULL, raised_on INTEGER, paid_on INTEGER,
                 PRIMARY KEY (agreement_id, year, pool, from_partner, month));
             INSERT INTO payment SELECT agreement_id, year, pool, from_partner, month,
                 MAX(CASE WHEN kind = 'invoice' THEN on_date END), MAX(CASE WHEN kind = 'payment' THEN on_date END)
                 FROM payment_entry GROUP BY agreement_id, year, pool, from_partner, month;
             DROP TABLE payment_entry;
             DELETE FROM schema_version WHERE version = 7;",
        );
    }

    /// Migration 9 undone: versions without their effective day and approval. Undone first
    /// by [`Fixture::undo_migration_8`], as it came after; migrations 11 (the returns'
    /// statements) and 10 (metrics' figures) are undone before it.
    fn undo_migration_9(&self) {
        self.sql("DROP TABLE bcf_statement; DELETE FROM schema_version WHERE version = 11;");
        self.sql("DROP TABLE metric_figure; DELETE FROM schema_version WHERE version = 10;");
        self.sql(
            "ALTER TABLE agreement DROP COLUMN effective; ALTER TABLE agreement DROP COLUMN approved_by;
             ALTER TABLE agreement DROP COLUMN payments_recorded; DELETE FROM schema_version WHERE version = 9;",
        );
    }

    /// Closes the store and opens the same database again (migrations run again).
    fn reopen(&mut self) {
        self.store = match &self.db {
            Db::Sqlite(path) => Box::new(SqliteStore::open(path).expect("reopen SQLite")),
            Db::Postgres { url, schema } => Box::new(PostgresStore::open_in_schema(url, schema).expect("reopen")),
        };
    }

    /// How a child process finds this database: `sqlite:PATH` or `postgres:SCHEMA`.
    fn location(&self) -> String {
        match &self.db {
            Db::Sqlite(path) => format!("sqlite:{}", path.display()),
            Db::Postgres { schema, .. } => format!("postgres:{schema}"),
        }
    }
}

fn remove_sqlite_files(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        // Absent files are the usual case.
        let _ = std::fs::remove_file(p);
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        match &self.db {
            Db::Sqlite(path) => remove_sqlite_files(path),
            Db::Postgres { url, schema } => {
                // Cleaning up is best effort: a failure here must not hide the test's own.
                if let Ok(mut client) = ::postgres::Client::connect(url, ::postgres::NoTls) {
                    let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                }
            }
        }
    }
}

/// Generates `sqlite::NAME` and `postgres::NAME` for each shared test function.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name(&mut super::Fixture::sqlite(stringify!($name))); })*
        }
        mod postgres {
            $(#[test] fn $name() {
                if let Some(mut f) = super::Fixture::postgres(stringify!($name)) { super::$name(&mut f); }
            })*
        }
    };
}

on_both_backends!(
    agreements_keep_every_version,
    plans_are_saved_and_replaced,
    mappings_are_saved_and_replaced,
    an_import_is_stored_with_its_actuals,
    the_same_file_twice_changes_nothing,
    a_corrected_extract_replaces_exactly_its_partner_and_period,
    an_aborted_import_writes_nothing,
    a_stream_whose_tally_is_not_its_rows_writes_nothing,
    the_file_hash_may_come_after_the_rows,
    an_empty_extract_is_an_import,
    closed_periods_refuse_imports_and_forecasts,
    forecasts_are_set_and_overwritten,
    payments_are_recorded,
    the_audit_chain_holds_and_names_an_edited_entry,
    an_edited_ledger_row_is_named_by_its_import,
    edited_actuals_are_named_by_their_import,
    everything_survives_reopening,
    an_import_killed_midway_leaves_nothing,
    accounts_are_created_and_found_in_any_case,
    sessions_last_until_they_expire_end_or_their_user_is_disabled,
    login_attempts_are_throttled_in_a_window,
    parallel_attempts_get_at_most_the_allowance,
    api_tokens_work_until_revoked,
    names_with_html_and_sql_are_stored_intact,
    the_audit_log_holds_no_secrets,
    documents_keep_every_version_and_refuse_stale_saves,
    documents_are_listed_by_a_literal_key_prefix,
    transactions_commit_together_or_not_at_all,
    a_snapshot_reads_as_of_one_moment,
    account_changes_do_not_move_the_stamp,
    migration_4_keeps_an_existing_database,
    a_rewritten_log_is_caught_by_a_published_head,
    removing_the_last_entries_is_detected,
    an_edited_import_record_is_named_by_its_import,
    a_ledger_row_outside_every_import_is_named,
    migration_5_takes_the_head_from_the_log,
    two_agreements_for_one_year_keep_apart,
    migration_6_keeps_each_year_under_its_agreement,
    migration_7_makes_entries_of_the_dates_recorded,
    savings_forecasts_and_delivered_amounts_are_recorded,
    migration_8_keeps_forecasts_and_adds_savings,
    migration_9_keeps_versions_from_the_start_of_their_year,
    metric_figures_are_kept_with_not_available_as_their_own_state,
    statements_are_kept_per_return_and_audited,
    every_entry_names_its_agreement_or_none,
);

// ---- helpers ----

fn fy(text: &str) -> FinancialYear {
    FinancialYear::parse(text).unwrap()
}

/// The agreement most tests keep their records under.
const OXON: &str = "oxon";

/// The records of the agreement `oxon` for a year.
fn oxon(year: &str) -> AgreementYear {
    AgreementYear::new(OXON, fy(year))
}

fn month(n: u32) -> FiscalMonth {
    FiscalMonth::new(n).unwrap()
}

fn period(text: &str) -> Period {
    Period::parse(text).unwrap()
}

fn date(text: &str) -> Date {
    Date::parse_iso(text).unwrap()
}

fn row(n: u64, cost_centre: &str, day: &str, pence: i64) -> LedgerRow {
    LedgerRow {
        row: n,
        cost_centre: cost_centre.to_string(),
        date: date(day),
        amount: Money::from_pence(pence),
        subjective: "5100".to_string(),
        description: format!("line {n}"),
        reference: format!("J{n}"),
    }
}

fn header(p: &str, partner: &str, file_sha256: &str) -> ImportHeader {
    ImportHeader {
        agreement: OXON.to_string(),
        period: period(p),
        partner: partner.to_string(),
        file_name: format!("{partner}-{p}.csv"),
        file_sha256: Some(file_sha256.to_string()),
        actor: "finance.officer".to_string(),
    }
}

fn import(store: &mut dyn Store, p: &str, partner: &str, sha: &str, rows: &[LedgerRow]) -> ImportOutcome {
    import_into(store, OXON, p, partner, sha, rows)
}

/// [`import`] into another agreement than `oxon`.
fn import_into(
    store: &mut dyn Store,
    agreement: &str,
    p: &str,
    partner: &str,
    sha: &str,
    rows: &[LedgerRow],
) -> ImportOutcome {
    let mut items = import_items(rows.iter().cloned());
    let header = ImportHeader { agreement: agreement.to_string(), ..header(p, partner, sha) };
    store.import_ledger(&header, &mut items).unwrap()
}

/// A stream of `rows` that ends with the importer's word to abandon it.
fn abandoned(rows: Vec<LedgerRow>) -> impl Iterator<Item = ImportItem> {
    [ImportItem::Rows(RowTally::new().batch(rows)), ImportItem::Abort].into_iter()
}

fn actual(cost_centre: &str, m: u32, pence: i64, rows: u64) -> Actual {
    Actual { cost_centre: cost_centre.to_string(), month: month(m), amount: Money::from_pence(pence), rows }
}

fn cost_centre(code: &str, budget: i64) -> StoredCostCentre {
    StoredCostCentre {
        code: code.to_string(),
        name: format!("Cost centre {code}"),
        partner: "OCC".to_string(),
        pool: "OP".to_string(),
        line: "care-homes".to_string(),
        budget: Money::from_pence(budget),
        profile: Money::from_pence(budget).monthly(),
    }
}

fn actions(store: &dyn Store) -> Vec<String> {
    store.audit_log().unwrap().into_iter().map(|e| e.action).collect()
}

/// May 2016 (M2) for OCC: two cost centres, a refund, odd pence.
fn may_rows() -> Vec<LedgerRow> {
    vec![
        row(2, "CC100", "2016-05-03", 123_457),
        row(3, "CC200", "2016-05-04", 99),
        row(4, "CC100", "2016-05-10", -20_001),
        row(5, "CC100", "2016-05-31", 1),
    ]
}

// ---- agreements ----

fn agreements_keep_every_version(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    assert_eq!(s.agreement(year).unwrap(), None);
    let v1 = "[agreement]\nid = \"oxon\"\n";
    let v2 = "[agreement]\nid = \"oxon\"\n# varied\n";
    let approved = Approval { effective: Some(date("2016-10-01")), approved_by: Some("JMG 2016-09-15, item 4".into()) };
    assert_eq!(
        s.load_agreement(year, v1, "", &Approval::default(), "ann").unwrap(),
        LoadOutcome::Loaded { version: 1 }
    );
    assert_eq!(
        s.load_agreement(year, v1, "", &Approval::default(), "ann").unwrap(),
        LoadOutcome::Unchanged { version: 1 }
    );
    assert_eq!(
        s.load_agreement(year, v2, "pool OP: budget 100.00 -> 120.00", &approved, "bob").unwrap(),
        LoadOutcome::Varied { version: 2 }
    );
    let later = AgreementYear::new("oxon-2022", fy("2022-23"));
    s.load_agreement(&later, "[agreement]\n", "", &Approval::default(), "ann").unwrap();
    // Another agreement for the same year is an agreement of its own, not a variation.
    let bucks = AgreementYear::new("bucks", fy("2016-17"));
    assert_eq!(
        s.load_agreement(&bucks, v1, "", &Approval::default(), "cat").unwrap(),
        LoadOutcome::Loaded { version: 1 }
    );

    let current = s.agreement(year).unwrap().unwrap();
    assert_eq!((current.version, current.text.as_str(), current.loaded_by.as_str()), (2, v2, "bob"));
    assert_eq!(current.changes, "pool OP: budget 100.00 -> 120.00");
    assert_eq!(current.approval, approved);
    let versions = s.agreement_versions(year).unwrap();
    assert_eq!(versions[0].approval, Approval::default(), "the first version: from the start, approval not said");
    assert_eq!(versions.iter().map(|v| (v.version, v.text.as_str())).collect::<Vec<_>>(), [(1, v1), (2, v2)]);
    assert!(
        versions.iter().all(|v| v.year == year.year && v.agreement_id == OXON && v.loaded_at.subsec_nanosecond() == 0)
    );
    assert_eq!(s.agreement_versions(&bucks).unwrap().len(), 1);
    let listed: Vec<(String, u32, &str)> = (s.agreements().unwrap().iter())
        .map(|a| {
            (
                a.agreement.to_string(),
                a.version,
                if a.loaded_at.subsec_nanosecond() == 0 { "to the second" } else { "finer" },
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("bucks 2016-17".to_string(), 1, "to the second"),
            ("oxon 2016-17".to_string(), 2, "to the second"),
            ("oxon-2022 2022-23".to_string(), 1, "to the second")
        ]
    );

    // The unchanged load wrote nothing; the variation says what changed.
    assert_eq!(actions(s), ["load-agreement", "vary-agreement", "load-agreement", "load-agreement"]);
    let subjects: Vec<String> = s.audit_log().unwrap().into_iter().map(|e| e.subject).collect();
    assert_eq!(
        subjects,
        ["agreement oxon 2016-17", "agreement oxon 2016-17", "agreement oxon-2022 2022-23", "agreement bucks 2016-17"]
    );
    let log = s.audit_log().unwrap();
    assert_eq!((log[1].actor.as_str(), log[1].subject.as_str()), ("bob", "agreement oxon 2016-17"));
    assert!(log[1].before.contains("version=1"), "{}", log[1].before);
    assert!(log[1].after.contains("version=2") && log[1].after.contains("changes=pool OP"), "{}", log[1].after);
    assert!(
        log[1].after.contains("effective=2016-10-01") && log[1].after.contains("approved by=JMG 2016-09-15, item 4"),
        "{}",
        log[1].after
    );
}

// ---- governance documents ----

const REGISTER: &str = "board-register";

fn saved(version: u32) -> DocumentSave {
    DocumentSave::Saved { version }
}

/// The conflict's message, or a panic naming what came instead.
fn conflict(result: Result<DocumentSave, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

fn invalid(result: Result<DocumentSave, StoreError>) -> String {
    match result {
        Err(StoreError::Invalid(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn keys(documents: &[StoredDocument]) -> Vec<&str> {
    documents.iter().map(|d| d.key.as_str()).collect()
}

fn documents_keep_every_version_and_refuse_stale_saves(f: &mut Fixture) {
    let s = f.store.as_mut();
    let v1 = "[board]\nchair = \"Ann Smith\"\n";
    let v2 = "[board]\nchair = \"Bob Jones\"\n";
    let v3 = "[board]\nchair = \"Cat Brown\"\n";
    assert_eq!(s.document(REGISTER, "2016-17").unwrap(), None);
    assert_eq!(s.document_versions(REGISTER, "2016-17").unwrap(), []);

    assert_eq!(s.save_document(REGISTER, "2016-17", None, v1, "ann").unwrap(), saved(1));
    // The same text again writes nothing, whoever saves it.
    assert_eq!(s.last_change().unwrap(), 1);
    assert_eq!(
        s.save_document(REGISTER, "2016-17", Some(1), v1, "bob").unwrap(),
        DocumentSave::Unchanged { version: 1 }
    );
    assert_eq!(s.last_change().unwrap(), 1, "no audit entry for an unchanged save");
    assert_eq!(s.save_document(REGISTER, "2016-17", Some(1), v2, "bob").unwrap(), saved(2));

    // Cat edited version 1 while Bob saved version 2: refused, naming Bob's save.
    let bobs = s.document(REGISTER, "2016-17").unwrap().unwrap();
    let message = conflict(s.save_document(REGISTER, "2016-17", Some(1), v3, "cat"));
    let saved_at = bobs.saved_at.to_string();
    for part in ["board-register 2016-17", "version 1", "version 2", "bob", &saved_at, "nothing was written"] {
        assert!(message.contains(part), "{part:?} missing from {message}");
    }
    // A stale save is refused even when its text is the current one.
    conflict(s.save_document(REGISTER, "2016-17", Some(1), v2, "cat"));
    // A new document where one exists, a version from the future, an edit of nothing.
    let message = conflict(s.save_document(REGISTER, "2016-17", None, v3, "cat"));
    assert!(message.contains("already exists") && message.contains("version 2"), "{message}");
    conflict(s.save_document(REGISTER, "2016-17", Some(3), v3, "cat"));
    conflict(s.save_document(REGISTER, "2017-18", Some(1), v3, "cat"));
    // What cannot be named or stored.
    invalid(s.save_document("", "2016-17", None, v1, "cat"));
    invalid(s.save_document(REGISTER, "", None, v1, "cat"));
    invalid(s.save_document("Board Register", "2016-17", None, v1, "cat"));
    invalid(s.save_document("plan", "2016-17", None, v1, "cat"));
    invalid(s.save_document(REGISTER, "2016-17\nx", None, v1, "cat"));
    invalid(s.save_document(REGISTER, "2016-17", Some(0), v1, "cat"));
    invalid(s.save_document(REGISTER, "2016-17", Some(2), "chair = \"\0\"", "cat"));
    assert_eq!(s.last_change().unwrap(), 2, "nothing refused was written");

    let versions = s.document_versions(REGISTER, "2016-17").unwrap();
    let summary: Vec<_> = versions.iter().map(|d| (d.version, d.text.as_str(), d.saved_by.as_str())).collect();
    assert_eq!(summary, [(1, v1, "ann"), (2, v2, "bob")], "oldest first");
    assert!(versions.iter().all(|d| d.kind == REGISTER && d.key == "2016-17"));
    assert!(versions.iter().all(|d| d.saved_at.to_string().len() == 20));
    assert_eq!(s.document(REGISTER, "2016-17").unwrap().as_ref(), versions.last());
    // Bob's edit was made on the version he read; with the current version Cat can save.
    assert_eq!(s.save_document(REGISTER, "2016-17", Some(2), v3, "cat").unwrap(), saved(3));

    // The log names each version by its number and a hash of its text, never the text.
    let log = s.audit_log().unwrap();
    assert_eq!(actions(s), ["save-board-register"; 3]);
    let fields = |version: u32, text: &str| format!("version={version}\nsha256={}", sha256_hex(text));
    assert_eq!(
        log.iter()
            .map(|e| (e.actor.as_str(), e.subject.as_str(), e.before.clone(), e.after.clone()))
            .collect::<Vec<_>>(),
        [
            ("ann", "board-register 2016-17", String::new(), fields(1, v1)),
            ("bob", "board-register 2016-17", fields(1, v1), fields(2, v2)),
            ("cat", "board-register 2016-17", fields(2, v2), fields(3, v3)),
        ]
    );
    assert!(log.iter().all(|e| !e.before.contains("chair") && !e.after.contains("chair")));
    assert_eq!(s.verify_audit().unwrap(), None);
    assert_eq!(f.count("document"), 3);
}

fn documents_are_listed_by_a_literal_key_prefix(f: &mut Fixture) {
    let s = f.store.as_mut();
    let meeting =
        |s: &mut dyn Store, key: &str, text: &str| s.save_document("meeting", key, None, text, "ann").unwrap();
    // Keys whose prefixes LIKE would take for wildcards (`_`, `%`), and keys that a
    // locale's order would sort otherwise (upper before lower case, bytewise).
    for key in [
        "2016-17/2016-09-15",
        "2016-17/2016-06-02",
        "2017-18/2017-06-01",
        "2016_17/typo",
        "50%/odd",
        "a/x",
        "B/x",
        "Ü/x",
    ] {
        meeting(s, key, &format!("# {key}\n"));
    }
    s.save_document("meeting", "2016-17/2016-09-15", Some(1), "# minutes agreed\n", "bob").unwrap();
    s.save_document(REGISTER, "2016-17", None, "[board]\n", "ann").unwrap();

    let year = s.documents("meeting", "2016-17/").unwrap();
    assert_eq!(keys(&year), ["2016-17/2016-06-02", "2016-17/2016-09-15"]);
    // The latest version of each.
    assert_eq!((year[1].version, year[1].text.as_str(), year[1].saved_by.as_str()), (2, "# minutes agreed\n", "bob"));
    assert_eq!(year[0].version, 1);
    assert_eq!(keys(&s.documents("meeting", "2016_17/").unwrap()), ["2016_17/typo"]);
    assert_eq!(keys(&s.documents("meeting", "2016_").unwrap()), ["2016_17/typo"]);
    assert_eq!(keys(&s.documents("meeting", "%").unwrap()), Vec::<&str>::new());
    assert_eq!(keys(&s.documents("meeting", "_").unwrap()), Vec::<&str>::new());
    assert_eq!(keys(&s.documents("meeting", "50%").unwrap()), ["50%/odd"]);
    assert_eq!(keys(&s.documents("meeting", "Ü").unwrap()), ["Ü/x"]);
    assert_eq!(keys(&s.documents("meeting", "2016-17/2016-09-15").unwrap()), ["2016-17/2016-09-15"]);
    assert_eq!(keys(&s.documents("meeting", "2016-17/2016-09-15/").unwrap()), Vec::<&str>::new());
    assert_eq!(keys(&s.documents("meeting", "2016-17/\0").unwrap()), Vec::<&str>::new());
    assert_eq!(
        keys(&s.documents("meeting", "").unwrap()),
        [
            "2016-17/2016-06-02",
            "2016-17/2016-09-15",
            "2016_17/typo",
            "2017-18/2017-06-01",
            "50%/odd",
            "B/x",
            "a/x",
            "Ü/x"
        ],
        "every meeting, in bytewise key order"
    );
    // Other kinds stay apart.
    assert_eq!(keys(&s.documents(REGISTER, "").unwrap()), ["2016-17"]);
    assert_eq!(keys(&s.documents(REGISTER, "2016-17/").unwrap()), Vec::<&str>::new());
    assert_eq!(keys(&s.documents("agenda", "").unwrap()), Vec::<&str>::new());
    assert_eq!(s.document("meeting", "2016-17").unwrap(), None);
    assert_eq!(s.verify_audit().unwrap(), None);
}

// ---- plan ----

fn plans_are_saved_and_replaced(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    assert_eq!(s.plan(year).unwrap(), []);
    let mut profiled = cost_centre("CC200", 1_200_001);
    profiled.profile =
        [100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_000, 100_001]
            .map(Money::from_pence);
    // Not in code order: the plan reads back in the order it was saved.
    let first = vec![cost_centre("CC300", 500), profiled.clone(), cost_centre("CC100", 0)];
    s.save_plan(year, &first, "ann").unwrap();
    assert_eq!(s.plan(year).unwrap(), first);

    let mut changed = profiled;
    changed.budget = Money::from_pence(1_300_001);
    changed.profile = changed.budget.monthly();
    let second = vec![changed, cost_centre("CC400", 7)];
    s.save_plan(year, &second, "bob").unwrap();
    s.save_plan(&oxon("2017-18"), &first, "ann").unwrap();
    assert_eq!(s.plan(year).unwrap(), second);
    assert_eq!(s.plan(&oxon("2017-18")).unwrap(), first);

    let log = s.audit_log().unwrap();
    assert_eq!(log[1].action, "save-plan");
    assert_eq!(log[1].before, "cost_centres=3\nbudget=12005.01");
    assert_eq!(log[1].after, "cost_centres=2\nbudget=13000.08\nadded=CC400\nremoved=CC300,CC100\nchanged=CC200");
}

// ---- mappings ----

fn mappings_are_saved_and_replaced(f: &mut Fixture) {
    let s = f.store.as_mut();
    assert_eq!(s.mapping(OXON, "OCC").unwrap(), None);
    let unit4 = Mapping::preset("unit4").unwrap();
    let oracle = Mapping::preset("oracle").unwrap();
    s.save_mapping(OXON, "OCC", &unit4, "ann").unwrap();
    s.save_mapping(OXON, "OCCG", &oracle, "ann").unwrap();
    assert_eq!(s.mapping(OXON, "OCC").unwrap(), Some(unit4.clone()));
    s.save_mapping(OXON, "OCC", &oracle, "bob").unwrap();
    assert_eq!(s.mapping(OXON, "OCC").unwrap(), Some(oracle.clone()));
    assert_eq!(s.mapping(OXON, "OCCG").unwrap(), Some(oracle.clone()));
    assert_eq!(s.mapping(OXON, "ICB").unwrap(), None);
    let last = s.audit_log().unwrap().pop().unwrap();
    assert_eq!((last.before, last.after), (unit4.to_toml(), oracle.to_toml()));
}

// ---- ledger ----

fn an_import_is_stored_with_its_actuals(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let outcome = import(s, "2016-05", "OCC", "sha-may", &may_rows());
    let ImportOutcome::Imported { import_id, rows, total } = outcome else { panic!("{outcome:?}") };
    assert_eq!((rows, total), (4, Money::from_pence(123_457 + 99 - 20_001 + 1)));
    let june = [row(2, "CC100", "2016-06-01", -5), row(3, "CC300", "2016-06-30", 10_000_000_000)];
    import(s, "2016-06", "OCC", "sha-june", &june);
    import(s, "2016-05", "OCCG", "sha-may-nhs", &[row(2, "CC100", "2016-05-20", 50)]);

    assert_eq!(
        s.actuals(year).unwrap(),
        [
            actual("CC100", 2, 123_457 - 20_001 + 1 + 50, 4),
            actual("CC100", 3, -5, 1),
            actual("CC200", 2, 99, 1),
            actual("CC300", 3, 10_000_000_000, 1),
        ]
    );
    assert_eq!(s.actuals(&oxon("2017-18")).unwrap(), []);

    let imports = s.imports(year).unwrap();
    let listed: Vec<_> = imports.iter().map(|i| (i.period.to_string(), i.partner.as_str(), i.rows)).collect();
    assert_eq!(listed, [("2016-05".into(), "OCC", 4), ("2016-05".into(), "OCCG", 1), ("2016-06".into(), "OCC", 2)]);
    let first = &imports[0];
    assert_eq!(first.import_id, import_id);
    assert_eq!((first.file_name.as_str(), first.file_sha256.as_str()), ("OCC-2016-05.csv", "sha-may"));
    assert_eq!((first.imported_by.as_str(), first.replaced), ("finance.officer", false));
    assert_eq!(first.imported_at.subsec_nanosecond(), 0);

    // Drill-down: oldest period first, in file order within it, the rows as imported.
    let cc100 = s.ledger_rows(year, "CC100", 100).unwrap();
    let mut expected: Vec<LedgerRow> = may_rows().into_iter().filter(|r| r.cost_centre == "CC100").collect();
    expected.push(row(2, "CC100", "2016-05-20", 50));
    expected.push(june[0].clone());
    assert_eq!(cc100, expected);
    assert_eq!(s.ledger_rows(year, "CC100", 2).unwrap(), expected[..2]);
    assert_eq!(s.ledger_rows(year, "CC999", 10).unwrap(), []);
    assert_eq!(s.ledger_rows(&oxon("2017-18"), "CC100", 10).unwrap(), []);

    let log = s.audit_log().unwrap();
    assert_eq!((log[0].action.as_str(), log[0].subject.as_str()), ("import", "ledger oxon 2016-05 OCC"));
    for key in ["rows=4", "total=1035.56", "file_sha256=sha-may", "rows_sha256="] {
        assert!(log[0].after.contains(key), "{key} in {}", log[0].after);
    }
    assert_eq!(s.verify_audit().unwrap(), None);
}

fn the_same_file_twice_changes_nothing(f: &mut Fixture) {
    let s = f.store.as_mut();
    let first = import(s, "2016-05", "OCC", "sha-may", &may_rows());
    let ImportOutcome::Imported { import_id, .. } = first else { panic!("{first:?}") };
    let log = s.audit_log().unwrap();
    let actuals = s.actuals(&oxon("2016-17")).unwrap();

    // The rows are not even read.
    let mut read = 0;
    let mut rows = import_items(may_rows().into_iter().inspect(|_| read += 1));
    let again = s.import_ledger(&header("2016-05", "OCC", "sha-may"), &mut rows).unwrap();
    drop(rows);
    assert_eq!(again, ImportOutcome::Unchanged { import_id });
    assert_eq!(read, 0);
    assert_eq!(s.audit_log().unwrap(), log);
    assert_eq!(s.actuals(&oxon("2016-17")).unwrap(), actuals);
    assert_eq!(s.imports(&oxon("2016-17")).unwrap().len(), 1);
}

fn a_corrected_extract_replaces_exactly_its_partner_and_period(f: &mut Fixture) {
    let year = &oxon("2016-17");
    let s = f.store.as_mut();
    let occ_may = import(s, "2016-05", "OCC", "sha-1", &may_rows());
    import(s, "2016-05", "OCCG", "sha-2", &[row(2, "CC100", "2016-05-20", 50)]);
    import(s, "2016-06", "OCC", "sha-3", &[row(2, "CC100", "2016-06-01", 7)]);
    import(s, "2017-05", "OCC", "sha-4", &[row(2, "CC100", "2017-05-01", 9)]);
    let ImportOutcome::Imported { import_id: old_id, .. } = occ_may else { panic!("{occ_may:?}") };

    let corrected = [row(2, "CC100", "2016-05-03", 100), row(3, "CC200", "2016-05-04", 200)];
    let outcome = import(s, "2016-05", "OCC", "sha-1-corrected", &corrected);
    let ImportOutcome::Replaced { import_id, rows, total, replaced_import_id, replaced_rows } = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!((rows, total, replaced_import_id, replaced_rows), (2, Money::from_pence(300), old_id, 4));
    assert_ne!(import_id, old_id);

    // May's OCC figures are the corrected ones; OCCG's May and OCC's June are untouched.
    assert_eq!(
        s.actuals(year).unwrap(),
        [actual("CC100", 2, 100 + 50, 2), actual("CC100", 3, 7, 1), actual("CC200", 2, 200, 1)]
    );
    assert_eq!(s.actuals(&oxon("2017-18")).unwrap(), [actual("CC100", 2, 9, 1)]);
    let live: Vec<_> = s.imports(year).unwrap().iter().map(|i| (i.period.to_string(), i.partner.clone())).collect();
    assert_eq!(live.len(), 3);
    assert!(s.imports(year).unwrap().iter().all(|i| i.import_id != old_id));
    assert_eq!(s.ledger_rows(year, "CC200", 10).unwrap(), [corrected[1].clone()]);
    // The old rows are gone from the ledger: 2 + 1 + 1 + 1 rows remain.
    assert_eq!(f.count("ledger_row"), 5);

    let s = f.store.as_mut();
    let last = s.audit_log().unwrap().pop().unwrap();
    assert_eq!(last.action, "replace-import");
    assert!(last.before.contains(&format!("import={old_id}")) && last.before.contains("rows=4"), "{}", last.before);
    assert!(last.after.contains(&format!("import={import_id}")) && last.after.contains("rows=2"), "{}", last.after);
    assert_eq!(s.verify_audit().unwrap(), None);

    // The corrected extract is now the one "the same file" is compared with.
    let again = import(s, "2016-05", "OCC", "sha-1-corrected", &corrected);
    assert_eq!(again, ImportOutcome::Unchanged { import_id });
}

fn an_aborted_import_writes_nothing(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let mut items = abandoned(may_rows());
    let err = s.import_ledger(&header("2016-05", "OCC", "sha-1"), &mut items).unwrap_err();
    assert!(matches!(err, StoreError::ImportAborted), "{err:?}");
    assert_eq!(s.imports(year).unwrap(), []);
    assert_eq!(s.actuals(year).unwrap(), []);
    assert_eq!(s.audit_log().unwrap(), []);
    assert_eq!(f.count("ledger_row"), 0);

    // The next import succeeds, and an aborted correction leaves it as it was.
    let s = f.store.as_mut();
    let ok = import(s, "2016-05", "OCC", "sha-1", &may_rows());
    let actuals = s.actuals(year).unwrap();
    let mut items = abandoned(vec![row(2, "CC100", "2016-05-01", 1)]);
    let err = s.import_ledger(&header("2016-05", "OCC", "sha-2"), &mut items).unwrap_err();
    assert!(matches!(err, StoreError::ImportAborted), "{err:?}");
    assert_eq!(s.actuals(year).unwrap(), actuals);
    let ImportOutcome::Imported { import_id, .. } = ok else { panic!("{ok:?}") };
    assert_eq!(s.imports(year).unwrap().iter().map(|i| i.import_id).collect::<Vec<_>>(), [import_id]);
    assert_eq!(actions(s), ["import"]);
    assert_eq!(f.count("ledger_row"), 4);
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

fn a_stream_whose_tally_is_not_its_rows_writes_nothing(f: &mut Fixture) {
    fn check(f: &mut Fixture, items: Vec<ImportItem>, expected: &str) {
        let s = f.store.as_mut();
        let err = s.import_ledger(&header("2016-05", "OCC", "sha-1"), &mut items.into_iter()).unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(m) if m == expected), "{err:?}");
        assert_eq!(s.imports(&oxon("2016-17")).unwrap(), []);
        assert_eq!(s.audit_log().unwrap(), []);
        assert_eq!(f.count("ledger_row"), 0);
    }
    let rows = may_rows();
    let (first, rest) = rows.split_at(1);
    // Batches out of order.
    let mut tally = RowTally::new();
    let (a, b) = (tally.batch(first.to_vec()), tally.batch(rest.to_vec()));
    check(
        f,
        vec![ImportItem::Rows(b), ImportItem::Rows(a)],
        "rows 2 to 4 of the import came after 0 rows: batches must come in order",
    );
    // A tally of other rows than those sent.
    let mut tally = RowTally::new();
    let a = tally.batch(first.to_vec());
    tally.batch(rest.to_vec());
    let end = ImportItem::End { tally, file_sha256: None };
    check(f, vec![ImportItem::Rows(a), end], "the import's tally counts 4 rows, but the store was sent 1");
    // No tally at the end.
    let mut tally = RowTally::new();
    check(
        f,
        vec![ImportItem::Rows(tally.batch(rows.clone()))],
        "the import's rows ended after 4 rows without their tally",
    );
}

/// `rows` as an importer with a reading thread sends them: in one batch, the file's hash
/// at the end.
fn hashed_after(rows: Vec<LedgerRow>, sha: Option<&str>) -> std::vec::IntoIter<ImportItem> {
    let mut tally = RowTally::new();
    let batch = tally.batch(rows);
    vec![ImportItem::Rows(batch), ImportItem::End { tally, file_sha256: sha.map(String::from) }].into_iter()
}

fn the_file_hash_may_come_after_the_rows(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let mut no_hash_yet = header("2016-05", "OCC", "");
    no_hash_yet.file_sha256 = None;
    let first = s.import_ledger(&no_hash_yet, &mut hashed_after(may_rows(), Some("sha-may"))).unwrap();
    let ImportOutcome::Imported { import_id, rows: 4, .. } = first else { panic!("{first:?}") };
    assert_eq!(s.imports(year).unwrap()[0].file_sha256, "sha-may");
    let log = s.audit_log().unwrap();

    // The same file again, found only at the end: its rows are rolled back.
    let again = s.import_ledger(&no_hash_yet, &mut hashed_after(may_rows(), Some("sha-may"))).unwrap();
    assert_eq!(again, ImportOutcome::Unchanged { import_id });
    assert_eq!(s.audit_log().unwrap(), log);
    assert_eq!(f.count("ledger_row"), 4);

    // The hash is given once: before the rows or after them, not both, not neither.
    for (before, after) in [(None, None), (Some("sha-other"), Some("sha-other"))] {
        let s = f.store.as_mut();
        let mut h = header("2016-05", "OCC", "");
        h.file_sha256 = before.map(String::from);
        let err = s.import_ledger(&h, &mut hashed_after(may_rows(), after)).unwrap_err();
        assert!(matches!(&err, StoreError::Invalid(m) if m.contains("given once")), "{err:?}");
        assert_eq!(s.audit_log().unwrap(), log);
        assert_eq!(f.count("ledger_row"), 4);
    }
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

fn an_empty_extract_is_an_import(f: &mut Fixture) {
    let s = f.store.as_mut();
    let outcome = import(s, "2016-05", "OCC", "sha-empty", &[]);
    assert!(matches!(outcome, ImportOutcome::Imported { rows: 0, total: Money::ZERO, .. }), "{outcome:?}");
    assert_eq!(s.actuals(&oxon("2016-17")).unwrap(), []);
    let replaced = import(s, "2016-05", "OCC", "sha-full", &may_rows());
    assert!(matches!(replaced, ImportOutcome::Replaced { rows: 4, replaced_rows: 0, .. }), "{replaced:?}");
    let emptied = import(s, "2016-05", "OCC", "sha-empty-again", &[]);
    assert!(matches!(emptied, ImportOutcome::Replaced { rows: 0, replaced_rows: 4, .. }), "{emptied:?}");
    assert_eq!(s.actuals(&oxon("2016-17")).unwrap(), []);
    assert_eq!(s.verify_audit().unwrap(), None);
}

fn closed_periods_refuse_imports_and_forecasts(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    import(s, "2016-05", "OCC", "sha-1", &may_rows());
    s.close_period(OXON, period("2016-05"), "controller").unwrap();
    s.close_period(OXON, period("2016-04"), "controller").unwrap();
    // Closing a closed period changes nothing.
    s.close_period(OXON, period("2016-05"), "controller").unwrap();
    assert_eq!(s.closed_periods(year).unwrap(), [period("2016-04"), period("2016-05")]);
    assert_eq!(s.closed_periods(&oxon("2017-18")).unwrap(), []);
    let log = s.audit_log().unwrap();
    assert_eq!(actions(s), ["import", "close-period", "close-period"]);
    assert_eq!((log[1].subject.as_str(), log[1].after.as_str()), ("period oxon 2016-05", "status=closed"));

    let mut items = import_items(may_rows());
    let err = s.import_ledger(&header("2016-05", "OCC", "sha-corrected"), &mut items).unwrap_err();
    assert!(matches!(err, StoreError::PeriodClosed(p) if p == period("2016-05")), "{err:?}");
    let err = s.import_ledger(&header("2016-05", "OCCG", "sha-new"), &mut items).unwrap_err();
    assert!(matches!(err, StoreError::PeriodClosed(_)), "{err:?}");
    let err = s.set_forecast(year, month(2), "CC100", Money::from_pence(1), false, "ann").unwrap_err();
    assert!(matches!(err, StoreError::PeriodClosed(p) if p == period("2016-05")), "{err:?}");
    assert_eq!(s.forecasts(year).unwrap(), []);
    assert_eq!(s.audit_log().unwrap(), log);
    assert_eq!(s.imports(year).unwrap().len(), 1);

    // Open periods still take changes.
    import(s, "2016-06", "OCC", "sha-june", &[row(2, "CC100", "2016-06-01", 5)]);
    s.set_forecast(year, month(3), "CC100", Money::from_pence(5), false, "ann").unwrap();
}

// ---- forecasts ----

fn forecasts_are_set_and_overwritten(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    s.set_forecast(year, month(6), "CC200", Money::from_pence(1_000_001), false, "ann").unwrap();
    s.set_forecast(year, month(6), "CC100", Money::from_pence(-50), false, "ann").unwrap();
    s.set_forecast(year, month(5), "CC100", Money::from_pence(7), false, "ann").unwrap();
    s.set_forecast(year, month(6), "CC200", Money::from_pence(999_999), false, "bob").unwrap();
    s.set_forecast(&oxon("2017-18"), month(6), "CC200", Money::from_pence(1), false, "bob").unwrap();

    let got: Vec<_> = s
        .forecasts(year)
        .unwrap()
        .into_iter()
        .map(|f| (f.month.number(), f.cost_centre, f.outturn.pence(), f.entered_by))
        .collect();
    let expected = [(5, "CC100", 7, "ann"), (6, "CC100", -50, "ann"), (6, "CC200", 999_999, "bob")]
        .map(|(m, cc, p, by)| (m, cc.to_string(), p, by.to_string()));
    assert_eq!(got, expected);
    assert!(s.forecasts(year).unwrap().iter().all(|f| f.entered_at.subsec_nanosecond() == 0));

    let overwrite = &s.audit_log().unwrap()[3];
    assert_eq!(overwrite.subject, "forecast oxon 2016-17 M6 CC200");
    assert_eq!((overwrite.before.as_str(), overwrite.after.as_str()), ("outturn=10000.01", "outturn=9999.99"));

    // A forecast confirmed below the actual to date keeps its confirmation, which its audit
    // entry names; entered again without one, it is cleared.
    let confirmed = |s: &dyn Store| -> Vec<(u32, String)> {
        let forecasts = s.forecasts(year).unwrap().into_iter();
        forecasts.filter(|f| f.confirmed_below_actual).map(|f| (f.month.number(), f.cost_centre)).collect()
    };
    s.set_forecast(year, month(7), "CC100", Money::from_pence(3), true, "ann").unwrap();
    assert_eq!(confirmed(s), [(7, "CC100".to_string())]);
    s.set_forecast(year, month(7), "CC100", Money::from_pence(300), false, "ann").unwrap();
    assert_eq!(confirmed(s), []);
    let log = s.audit_log().unwrap();
    let entries: Vec<(&str, &str)> =
        log[log.len() - 2..].iter().map(|e| (e.before.as_str(), e.after.as_str())).collect();
    let confirmation = "outturn=0.03\nconfirmed_below_actual=yes";
    assert_eq!(entries, [("", confirmation), (confirmation, "outturn=3.00")]);
}

// ---- metrics and KPIs ----

fn metric_figures_are_kept_with_not_available_as_their_own_state(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let entry = |series: &str, period: &str, kind: FigureKind, figure: &str| MetricEntry {
        series: series.into(),
        period: MetricPeriod::parse(period).unwrap(),
        kind,
        figure: Figure::parse(figure).unwrap(),
    };
    use FigureKind::{Actual, Plan};
    s.set_metrics(
        year,
        &[
            entry("hs.new-hours", "W2", Actual, "280.5"),
            entry("hs.new-hours", "W1", Actual, "0"),
            entry("dtoc", "M10", Actual, "not available"),
            entry("dtoc", "M2", Plan, "12.25"),
            entry("dtoc", "M2", Actual, "13"),
        ],
        "pm",
    )
    .unwrap();
    s.set_metrics(year, &[], "pm").unwrap();
    // Another agreement's of the same year is kept apart; the same figure again replaces it.
    s.set_metrics(&AgreementYear::new("bucks", fy("2016-17")), &[entry("dtoc", "M2", Actual, "1")], "pm").unwrap();
    s.set_metrics(year, &[entry("dtoc", "M2", Actual, "not available")], "bob").unwrap();
    let got: Vec<String> = s
        .metrics(year)
        .unwrap()
        .iter()
        .map(|m| {
            format!("{} {} {} {} {}", m.entry.series, m.entry.period, m.entry.kind.key(), m.entry.figure, m.entered_by)
        })
        .collect();
    assert_eq!(
        got,
        [
            "dtoc M2 plan 12.25 pm",
            "dtoc M2 actual not available bob",
            "dtoc M10 actual not available pm",
            "hs.new-hours W1 actual 0 pm",
            "hs.new-hours W2 actual 280.5 pm",
        ]
    );
    let log = s.audit_log().unwrap();
    assert_eq!(log.len(), 3, "one entry a change, none for nothing");
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.subject.as_str(), last.before.as_str(), last.after.as_str(), last.agreement()),
        ("set-metrics", "metrics oxon 2016-17", "dtoc M2 actual: 13", "dtoc M2 actual: not available", Some(OXON))
    );
    assert!(log[0].after.contains("hs.new-hours W2 actual: 280.5\n"), "{}", log[0].after);
    assert_eq!(s.last_change().unwrap(), last.seq);
    assert_eq!(s.verify_audit().unwrap(), None);
}

fn statements_are_kept_per_return_and_audited(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let condition = StatementField::Condition("social-care".into());
    s.set_statement(year, ReturnKind::Quarter(2), &condition, "=SUM(A1) met", "pm").unwrap();
    s.set_statement(year, ReturnKind::Quarter(2), &StatementField::CompletedBy, "Ann O'Neil", "pm").unwrap();
    s.set_statement(year, ReturnKind::Quarter(2), &StatementField::CompletedBy, "Ann O'Neil", "pm").unwrap();
    s.set_statement(year, ReturnKind::Quarter(1), &StatementField::Narrative, "first", "pm").unwrap();
    s.set_statement(year, ReturnKind::Quarter(1), &StatementField::Narrative, "", "bob").unwrap();
    s.set_statement(&AgreementYear::new("bucks", fy("2016-17")), ReturnKind::Quarter(2), &condition, "x", "pm")
        .unwrap();
    let listed = |kind| -> Vec<String> {
        (s.statements(year, kind).unwrap().iter())
            .map(|st| format!("{} {} {}", st.field.key(), st.text, st.entered_by))
            .collect()
    };
    assert_eq!(listed(ReturnKind::Quarter(2)), ["completed-by Ann O'Neil pm", "condition:social-care =SUM(A1) met pm"]);
    assert_eq!(listed(ReturnKind::Quarter(1)), Vec::<String>::new(), "an empty text removes it");
    let log = s.audit_log().unwrap();
    assert_eq!(log.len(), 5, "the same text again writes nothing");
    let q1 = &log[3];
    assert_eq!(
        (q1.action.as_str(), q1.subject.as_str(), q1.before.as_str(), q1.after.as_str(), q1.agreement()),
        ("set-statement", "bcf-statement oxon 2016-17 Q1 narrative", "first", "", Some(OXON))
    );
    assert_eq!(s.verify_audit().unwrap(), None);
}

// ---- unagreed savings ----

fn savings_forecasts_and_delivered_amounts_are_recorded(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let pounds = |p: i64| Money::from_pounds(p).unwrap();
    let forecast = |m: u32| SavingFigure::Forecast(month(m));
    s.record_saving(year, "review", forecast(5), pounds(900_000), "pm").unwrap();
    s.record_saving(year, "review", forecast(3), pounds(1_200_000), "pm").unwrap();
    s.record_saving(year, "review", SavingFigure::Delivered, pounds(0), "pm").unwrap();
    s.record_saving(year, "other", forecast(5), pounds(1), "pm").unwrap();
    // The same figure again replaces the first.
    s.record_saving(year, "review", forecast(5), pounds(800_000), "bob").unwrap();
    // Another year's, and another agreement's of the same year, are kept apart.
    s.record_saving(&oxon("2017-18"), "review", SavingFigure::Delivered, pounds(5), "pm").unwrap();
    let bucks = &AgreementYear::new("bucks", fy("2016-17"));
    s.record_saving(bucks, "review", forecast(5), pounds(7), "pm").unwrap();
    let recorded = |s: &dyn Store| -> Vec<(String, SavingFigure, Money, String)> {
        let records = s.saving_records(year).unwrap().into_iter();
        records.map(|r| (r.saving, r.figure, r.amount, r.entered_by)).collect()
    };
    let expected = [
        ("other", forecast(5), 1, "pm"),
        ("review", forecast(3), 1_200_000, "pm"),
        ("review", forecast(5), 800_000, "bob"),
        ("review", SavingFigure::Delivered, 0, "pm"),
    ]
    .map(|(saving, figure, amount, by)| (saving.to_string(), figure, pounds(amount), by.to_string()));
    assert_eq!(recorded(s), expected);
    let log = s.audit_log().unwrap();
    let replaced = &log[4];
    assert_eq!(
        (replaced.action.as_str(), replaced.subject.as_str(), replaced.before.as_str(), replaced.after.as_str()),
        ("record-saving", "saving oxon 2016-17 review forecast M5", "amount=900000.00", "amount=800000.00")
    );
    assert_eq!(log[2].subject, "saving oxon 2016-17 review delivered");
    assert_eq!(s.last_change().unwrap(), log.last().unwrap().seq, "a record of a saving is a change to the records");

    // A closed month refuses a forecast made in it, not what was delivered; a negative
    // amount is refused. Neither writes anything.
    s.close_period(OXON, period("2016-07"), "controller").unwrap();
    let log = s.audit_log().unwrap();
    let err = s.record_saving(year, "review", forecast(4), pounds(1), "pm").unwrap_err();
    assert!(matches!(err, StoreError::PeriodClosed(p) if p == period("2016-07")), "{err:?}");
    let err = s.record_saving(year, "review", SavingFigure::Delivered, Money::from_pence(-1), "pm").unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(m) if m.contains("cannot be negative")), "{err:?}");
    assert_eq!(s.audit_log().unwrap(), log);
    assert_eq!(recorded(s), expected);
    s.record_saving(year, "review", SavingFigure::Delivered, pounds(250_000), "pm").unwrap();
    assert_eq!(recorded(s)[3].2, pounds(250_000));
    assert_eq!(s.saving_records(bucks).unwrap().len(), 1, "the other agreement's own");
    assert_eq!(s.verify_audit().unwrap(), None);
}

// ---- payments ----

/// An entry against OCCG's instalment to OCC in pool `pool` and month `m`: `invoice
/// 2016-03-01 100.00`.
fn payment_entry(pool: &str, m: u32, text: &str) -> PaymentEntry {
    let [kind, on, amount] = text.split(' ').collect::<Vec<_>>()[..] else { panic!("{text}") };
    PaymentEntry {
        pool: pool.to_string(),
        from: "OCCG".to_string(),
        to: Some("OCC".to_string()),
        month: month(m),
        kind: EntryKind::parse(kind).unwrap(),
        on: date(on),
        amount: Some(Money::parse(amount).unwrap()),
    }
}

fn payments_are_recorded(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let recorded = [
        payment_entry("OP", 2, "invoice 2016-04-01 100.00"),
        payment_entry("OP", 1, "invoice 2016-03-01 100.00"),
        payment_entry("OP", 1, "payment 2016-03-15 100.00"),
        payment_entry("OP", 2, "payment 2016-04-20 40.50"),
        payment_entry("OP", 2, "payment 2016-04-21 59.50"),
    ];
    s.record_payment(year, &recorded[..1], "ann").unwrap();
    s.record_payment(year, &recorded[1..3], "ann").unwrap();
    s.record_payment(year, &recorded[3..4], "bob").unwrap();
    s.record_payment(year, &recorded[4..], "bob").unwrap();
    s.record_payment(year, &[], "bob").unwrap();
    assert_eq!(s.payment_entries(year).unwrap(), recorded, "in the order recorded");
    assert_eq!(s.payment_entries(&oxon("2017-18")).unwrap(), []);
    let log = s.audit_log().unwrap();
    assert_eq!(log.len(), 4, "one entry a recording, none for nothing");
    assert_eq!(log[1].subject, "payment oxon 2016-17 OP OCCG to OCC M1");
    assert_eq!(
        (log[1].before.as_str(), log[1].after.as_str()),
        ("", "invoice=2016-03-01 100.00\npayment=2016-03-15 100.00")
    );
    // Refused, writing nothing: entries for two instalments at once, no payee, no amount.
    let refusals = [
        (
            vec![payment_entry("OP", 3, "invoice 2016-05-01 1.00"), payment_entry("LD", 3, "invoice 2016-05-01 1.00")],
            "the entries recorded at once are for one instalment: payment oxon 2016-17 OP OCCG to OCC M3 and payment oxon 2016-17 LD OCCG to OCC M3",
        ),
        (
            vec![PaymentEntry { to: None, ..payment_entry("OP", 3, "invoice 2016-05-01 1.00") }],
            "payment oxon 2016-17 OP OCCG to - M3 names no partner paid",
        ),
        (
            vec![PaymentEntry { amount: None, ..payment_entry("OP", 3, "invoice 2016-05-01 1.00") }],
            "a payment entry's amount must be more than zero, not none",
        ),
        (
            vec![payment_entry("OP", 3, "payment 2016-05-01 0")],
            "a payment entry's amount must be more than zero, not 0.00",
        ),
    ];
    for (entries, expected) in refusals {
        match s.record_payment(year, &entries, "ann") {
            Err(StoreError::Invalid(message)) => assert_eq!(message, expected),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(s.payment_entries(year).unwrap(), recorded);
    assert_eq!(s.audit_log().unwrap().len(), 4);
    // A version loaded now counts what its year holds, not another agreement's or year's.
    s.record_payment(&oxon("2017-18"), &recorded[..1], "ann").unwrap();
    s.load_agreement(year, "[agreement]\n", "", &Approval::default(), "ann").unwrap();
    assert_eq!(s.agreement(year).unwrap().map(|v| v.payments_recorded), Some(5));
}

// ---- audit ----

/// A little of everything, so that the log has every kind of entry.
fn a_sequence_of_changes(s: &mut dyn Store) {
    let year = &oxon("2016-17");
    s.load_agreement(year, "[agreement]\n", "", &Approval::default(), "ann").unwrap();
    s.save_plan(year, &[cost_centre("CC100", 1_200)], "ann").unwrap();
    s.save_mapping(OXON, "OCC", &Mapping::preset("unit4").unwrap(), "ann").unwrap();
    import(s, "2016-05", "OCC", "sha-1", &may_rows());
    import(s, "2016-05", "OCC", "sha-2", &may_rows()[1..]);
    s.set_forecast(year, month(2), "CC100", Money::from_pence(1_300), false, "bob").unwrap();
    s.close_period(OXON, period("2016-05"), "controller").unwrap();
    s.record_payment(year, &[payment_entry("OP", 1, "invoice 2016-03-01 100.00")], "ann").unwrap();
}

fn the_audit_chain_holds_and_names_an_edited_entry(f: &mut Fixture) {
    assert_eq!(f.store.last_change().unwrap(), 0, "no change yet");
    a_sequence_of_changes(f.store.as_mut());
    assert_eq!(f.store.last_change().unwrap(), 8, "the latest entry's number");
    let log = f.store.audit_log().unwrap();
    assert_eq!(
        log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "load-agreement",
            "save-plan",
            "save-mapping",
            "import",
            "replace-import",
            "set-forecast",
            "close-period",
            "record-payment"
        ]
    );
    assert_eq!(log.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
    assert!(log.windows(2).all(|w| w[1].prev_hash == w[0].hash));
    assert!(log.iter().all(|e| e.hash.len() == 64 && e.at.to_string().len() == 20));
    assert_eq!(pooled_store::verify_chain(&log), None);
    assert_eq!(f.store.verify_audit().unwrap(), None);

    // The log refuses edits through SQL; someone who drops the guard is still caught.
    assert!(f.sql_refused("UPDATE audit_log SET after_text = 'outturn=0.00' WHERE seq = 6"));
    assert!(f.sql_refused("DELETE FROM audit_log WHERE seq = 8"));
    let drop_guard = match f.db {
        Db::Sqlite(_) => "DROP TRIGGER audit_log_no_update;",
        Db::Postgres { .. } => "DROP TRIGGER audit_log_no_change ON audit_log;",
    };
    f.sql(&format!("{drop_guard} UPDATE audit_log SET after_text = 'outturn=0.00' WHERE seq = 6"));
    let problem = f.store.verify_audit().unwrap().expect("the edit is detected");
    assert_eq!(problem.seq, 6);
    assert!(problem.reason.contains("edited"), "{}", problem.reason);
}

fn an_edited_ledger_row_is_named_by_its_import(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    import(f.store.as_mut(), "2016-06", "OCCG", "sha-3", &[row(2, "CC100", "2016-06-01", 5)]);
    assert_eq!(f.store.verify_audit().unwrap(), None);
    let entry = f.store.audit_log().unwrap().into_iter().find(|e| e.action == "replace-import").unwrap();
    let import_id = f.store.imports(&oxon("2016-17")).unwrap()[0].import_id;

    f.sql(&format!(
        "UPDATE ledger_row SET amount = amount + 1
         WHERE id = (SELECT first_row_id + 1 FROM ledger_import WHERE id = {import_id})"
    ));
    let problem = f.store.verify_audit().unwrap().expect("the edit is detected");
    assert_eq!(problem.seq, entry.seq);
    assert!(problem.reason.contains(&format!("import {import_id} (ledger oxon 2016-05 OCC)")), "{}", problem.reason);
    assert!(problem.reason.contains("rows have changed"), "{}", problem.reason);

    // Put the amount back: intact again. An edit that leaves count and total alone is
    // caught by the row hash.
    f.sql(&format!(
        "UPDATE ledger_row SET amount = amount - 1
         WHERE id = (SELECT first_row_id + 1 FROM ledger_import WHERE id = {import_id})"
    ));
    assert_eq!(f.store.verify_audit().unwrap(), None);
    f.sql(&format!(
        "UPDATE ledger_row SET description = 'nothing to see'
         WHERE id = (SELECT last_row_id FROM ledger_import WHERE id = {import_id})"
    ));
    let problem = f.store.verify_audit().unwrap().expect("the edit is detected");
    assert_eq!(problem.seq, entry.seq);
    assert!(problem.reason.contains("rows have changed"), "{}", problem.reason);
}

fn edited_actuals_are_named_by_their_import(f: &mut Fixture) {
    import(f.store.as_mut(), "2016-05", "OCC", "sha-1", &may_rows());
    import(f.store.as_mut(), "2016-06", "OCC", "sha-2", &[row(2, "CC100", "2016-06-01", 5)]);
    let june = f.store.imports(&oxon("2016-17")).unwrap()[1].import_id;
    f.sql(&format!("UPDATE actual SET amount = amount - 5 WHERE import_id = {june}"));
    let problem = f.store.verify_audit().unwrap().expect("the edit is detected");
    assert_eq!(problem.seq, 2);
    assert!(problem.reason.contains("actuals"), "{}", problem.reason);
}

/// A head published after entry 8 (on a report, say) catches an edit of entry 6 even
/// when every hash after it was recomputed, which the chain alone cannot.
fn a_rewritten_log_is_caught_by_a_published_head(f: &mut Fixture) {
    assert_eq!(f.store.audit_head().unwrap(), AuditHead::empty());
    assert_eq!(f.store.audit_head().unwrap().to_string(), format!("0:{}", "0".repeat(64)));
    a_sequence_of_changes(f.store.as_mut());
    let log = f.store.audit_log().unwrap();
    let early = AuditHead { seq: 3, hash: log[2].hash.clone() };
    let published = f.store.audit_head().unwrap();
    assert_eq!(published, AuditHead { seq: 8, hash: log[7].hash.clone() });
    assert_eq!(AuditHead::parse(&published.to_string()), Ok(published.clone()));
    // Every change moves the head, a sign-in too (which leaves the records' stamp alone).
    f.store.create_user(&new_user("ann", Role::Viewer), "admin").unwrap();
    assert_eq!((f.store.audit_head().unwrap().seq, f.store.last_change().unwrap()), (9, 8));
    assert_eq!(f.store.verify_audit_against(&[published.clone(), early.clone()]).unwrap(), None);

    f.rewrite_log(6, "outturn=0.00");
    assert_eq!(f.store.audit_log().unwrap()[5].after, "outturn=0.00");
    assert_eq!(f.store.verify_audit().unwrap(), None, "the chain alone cannot tell");
    let problem =
        f.store.verify_audit_against(std::slice::from_ref(&published)).unwrap().expect("the published head tells");
    assert_eq!(problem.seq, 8);
    let reason = &problem.reason;
    assert!(reason.contains(&format!("not {} as published", published.hash)), "{reason}");
    assert!(reason.contains("was changed since that head was published"), "{reason}");
    // An earlier head that still matches places the change after it.
    let problem = f.store.verify_audit_against(&[published.clone(), early]).unwrap().expect("caught");
    assert_eq!(problem.seq, 8);
    assert!(problem.reason.contains("after entry 3, whose published head 3:"), "{}", problem.reason);
    // A head the log does not reach.
    let ahead = AuditHead { seq: 12, hash: published.hash.clone() };
    let problem = f.store.verify_audit_against(&[ahead]).unwrap().expect("caught");
    assert_eq!(problem.seq, 12);
    assert!(problem.reason.contains("the log ends at entry 9: entries were removed"), "{}", problem.reason);
}

fn removing_the_last_entries_is_detected(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let published = f.store.audit_head().unwrap();
    f.drop_log_guards();
    // Whoever removes the last entry and moves the head back passes the plain check...
    let seven = f.store.audit_log().unwrap()[6].hash.clone();
    f.sql(&format!("DELETE FROM audit_log WHERE seq = 8; UPDATE audit_head SET seq = 7, hash = '{seven}';"));
    assert_eq!(f.store.verify_audit().unwrap(), None);
    // ... but not a head published before.
    let problem = f.store.verify_audit_against(&[published]).unwrap().expect("caught");
    assert_eq!(problem.seq, 8);
    assert!(problem.reason.contains("names entry 8, but the log ends at entry 7"), "{}", problem.reason);

    // Removing an entry and leaving the head is caught by the head.
    f.sql("DELETE FROM audit_log WHERE seq = 7");
    let problem = f.store.verify_audit().unwrap().expect("caught");
    assert_eq!(problem.seq, 7);
    assert!(
        problem.reason.contains("the log ends at entry 6, but its head, kept apart from it, is entry 7"),
        "{}",
        problem.reason
    );
    // A change made since follows the head, so the gap stays in view.
    f.store.set_forecast(&oxon("2016-17"), month(3), "CC100", Money::from_pence(7), false, "bob").unwrap();
    assert_eq!(f.store.audit_log().unwrap().pop().unwrap().seq, 8);
    let problem = f.store.verify_audit().unwrap().expect("caught");
    assert_eq!(problem.seq, 8);
    assert!(problem.reason.contains("expected entry 7 here, found 8"), "{}", problem.reason);
}

/// The import table's own columns (what the imports page lists) are checked against the
/// entry that made the import, not only the rows.
fn an_edited_import_record_is_named_by_its_import(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let entry = f.store.audit_log().unwrap().into_iter().find(|e| e.action == "replace-import").unwrap();
    let id = f.store.imports(&oxon("2016-17")).unwrap()[0].import_id;
    let check = |edit: &str, undo: &str, expected: &str| {
        f.sql(&format!("UPDATE ledger_import SET {edit} WHERE id = {id}"));
        let problem = f.store.verify_audit().unwrap().unwrap_or_else(|| panic!("{edit} is detected"));
        assert_eq!(problem.seq, entry.seq, "{edit}");
        assert!(
            problem
                .reason
                .starts_with(&format!("import {id} (ledger oxon 2016-05 OCC): its record in the import table")),
            "{edit}: {}",
            problem.reason
        );
        assert!(problem.reason.contains(expected), "{edit}: {}", problem.reason);
        f.sql(&format!("UPDATE ledger_import SET {undo} WHERE id = {id}"));
        assert_eq!(f.store.verify_audit().unwrap(), None, "{undo}");
    };
    check("total = total + 100", "total = total - 100", "total -198.01 where the log recorded -199.01");
    check("row_count = 4", "row_count = 3", "rows 4 where the log recorded 3");
    check("file_name = 'other.csv'", "file_name = 'OCC-2016-05.csv'", "file other.csv where the log recorded OCC");
    check("month = 3", "month = 2", "period 2016-06 where the log recorded 2016-05");
    check("agreement_id = 'bucks'", "agreement_id = 'oxon'", "agreement bucks where the log recorded oxon");
    check("imported_by = 'mallory'", "imported_by = 'finance.officer'", "imported_by mallory where");
    check(
        "file_sha256 = 'x', row_count = 9",
        "file_sha256 = 'sha-2', row_count = 3",
        "file_sha256 x where the log recorded sha-2; rows 9 where the log recorded 3",
    );
}

/// A row slipped into the ledger outside every live import: after them all, before them,
/// or among the rows of an import since replaced (which were deleted then).
fn a_ledger_row_outside_every_import_is_named(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    import(f.store.as_mut(), "2016-06", "OCCG", "sha-3", &[row(2, "CC100", "2016-06-01", 5)]);
    assert_eq!(f.store.verify_audit().unwrap(), None);
    let head = f.store.audit_head().unwrap().seq;
    let replaced = f.number("SELECT id FROM ledger_import WHERE replaced_by IS NOT NULL");
    let replacing = f.number("SELECT replaced_by FROM ledger_import WHERE replaced_by IS NOT NULL");
    for (id_sql, expected) in [
        ("SELECT MAX(id) + 1 FROM ledger_row", "belongs to no import".to_string()),
        ("SELECT CAST(-5 AS BIGINT)", "belongs to no import".to_string()),
        (
            "SELECT first_row_id + 1 FROM ledger_import WHERE replaced_by IS NOT NULL",
            format!("is among the rows of import {replaced}, which import {replacing} replaced"),
        ),
    ] {
        let id = f.number(id_sql);
        f.sql(&format!(
            "INSERT INTO ledger_row (id, import_id, file_row, cost_centre, posted_on, amount, subjective,
             description, reference) VALUES ({id}, {replacing}, 9, 'CC100', 20160501, 100000, '5100', 'extra', 'X')"
        ));
        let problem = f.store.verify_audit().unwrap().unwrap_or_else(|| panic!("row {id} is detected"));
        assert_eq!(problem.seq, head);
        assert!(
            problem.reason.starts_with(&format!("ledger row {id} (cost centre CC100, 1000.00) {expected}")),
            "{}",
            problem.reason
        );
        f.sql(&format!("DELETE FROM ledger_row WHERE id = {id}"));
        assert_eq!(f.store.verify_audit().unwrap(), None);
    }
}

// ---- durability ----

fn everything_survives_reopening(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let year = &oxon("2016-17");
    let ann = f.store.create_user(&new_user("ann", Role::BudgetHolder), "admin").unwrap();
    f.store.create_session(&new_session(ann, "a-session", LATER)).unwrap();
    let state =
        |s: &dyn Store| (s.audit_log().unwrap(), s.actuals(year).unwrap(), s.plan(year).unwrap(), s.users().unwrap());
    f.store.save_document(REGISTER, "2016-17", None, "[board]\n", "ann").unwrap();
    f.store.save_document(REGISTER, "2016-17", Some(1), "[board]\nchair = \"bob\"\n", "bob").unwrap();
    f.store.save_document("meeting", "2016-17/2016-09-15", None, "# minutes\n", "ann").unwrap();
    let documents = |s: &dyn Store| {
        (s.document_versions(REGISTER, "2016-17").unwrap(), s.documents("meeting", "2016-17/").unwrap())
    };
    let before = state(f.store.as_ref());
    let documents_before = documents(f.store.as_ref());
    f.reopen();
    assert_eq!(state(f.store.as_ref()), before);
    assert_eq!(documents(f.store.as_ref()), documents_before);
    assert!(f.store.session(&token_hash("a-session")).unwrap().is_some());
    assert_eq!(f.store.verify_audit().unwrap(), None);
    assert_eq!(f.count("schema_version"), 11);
    // The versions go on from where they were; a stale save is still refused.
    conflict(f.store.save_document(REGISTER, "2016-17", Some(1), "[board]\n# late\n", "cat"));
    assert_eq!(f.store.save_document(REGISTER, "2016-17", Some(2), "[board]\n# late\n", "cat").unwrap(), saved(3));
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

/// Rows that a killed child had streamed into an import: the child says it is ready after
/// this many and then waits for ever in the middle of its import.
const ROWS_BEFORE_KILL: u64 = 20_000;

fn an_import_killed_midway_leaves_nothing(f: &mut Fixture) {
    import(f.store.as_mut(), "2016-04", "OCC", "sha-april", &[row(2, "CC100", "2016-04-01", 5)]);
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["killed_import_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env("POOLED_KILLED_IMPORT", f.location())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    // libtest's own "test killed_import_child ... " may start the same line.
    let ready = stdout.lines().map_while(|l| l.ok()).any(|line| line.ends_with("POOLED-CHILD-READY"));
    // SIGKILL on Unix: no destructor, no rollback from the child's side.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(ready, "the child never reached the middle of its import");

    let year = &oxon("2016-17");
    assert_eq!(f.store.imports(year).unwrap().len(), 1);
    assert_eq!(f.store.actuals(year).unwrap(), [actual("CC100", 1, 5, 1)]);
    assert_eq!(actions(f.store.as_ref()), ["import"]);
    assert_eq!(f.count("ledger_row"), 1);
    // The next import of the same period succeeds (for PostgreSQL it first waits for the
    // server to notice the dead connection and release its lock).
    let outcome = import(f.store.as_mut(), "2016-05", "OCC", "sha-may", &may_rows());
    assert!(matches!(outcome, ImportOutcome::Imported { rows: 4, .. }), "{outcome:?}");
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

/// The child half of `an_import_killed_midway_leaves_nothing`; does nothing unless run by it.
#[test]
#[ignore = "run as a child process by an_import_killed_midway_leaves_nothing"]
fn killed_import_child() {
    let Ok(location) = std::env::var("POOLED_KILLED_IMPORT") else { return };
    let mut store: Box<dyn Store> = match location.split_once(':') {
        Some(("sqlite", path)) => Box::new(SqliteStore::open(std::path::Path::new(path)).unwrap()),
        Some(("postgres", schema)) => Box::new(PostgresStore::open_in_schema(&postgres_url(), schema).unwrap()),
        _ => panic!("bad POOLED_KILLED_IMPORT {location}"),
    };
    let mut n = 0;
    let mut rows = import_items(std::iter::from_fn(|| {
        n += 1;
        if n > ROWS_BEFORE_KILL {
            println!("POOLED-CHILD-READY");
            std::io::stdout().flush().unwrap();
            // Blocks until killed: the parent never writes to our stdin.
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).unwrap();
        }
        Some(row(n + 1, "CC100", "2016-05-02", 1))
    }));
    store.import_ledger(&header("2016-05", "OCC", "sha-killed"), &mut rows).unwrap();
    panic!("the import finished: the parent did not kill this process");
}

// ---- accounts ----

/// A far future and a long past: sessions that are live, or expired, by any clock.
const LATER: &str = "2999-01-01T00:00:00Z";
const EARLIER: &str = "2000-01-01T01:00:00Z";
const NOW: &str = "2024-06-01T09:00:00Z";

fn t(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// A PHC string that names its user, so that the tests can look for it in the audit log.
fn password_hash(username: &str) -> String {
    format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${}-hash", username.len())
}

/// A user of the role, scoped as the role needs.
fn new_user(username: &str, role: Role) -> NewUser {
    NewUser {
        username: username.to_string(),
        display_name: format!("{username} (display)"),
        role,
        partner: (role == Role::PartnerFinance).then(|| "OCC".to_string()),
        cost_centres: if role == Role::BudgetHolder { vec!["CC200".into(), "CC100".into()] } else { vec![] },
        // A partner's finance officer may act for it in the agreements of several places.
        agreements: if role == Role::PartnerFinance { vec![OXON.into(), "bucks".into()] } else { vec![] },
        password_hash: password_hash(username),
        disabled: false,
    }
}

fn stored(id: i64, user: &NewUser) -> User {
    User {
        id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role,
        partner: user.partner.clone(),
        cost_centres: user.cost_centres.clone(),
        agreements: user.agreements.clone(),
        password_hash: user.password_hash.clone(),
        disabled: user.disabled,
    }
}

/// What the web application would store for a cookie secret: a stand-in for its SHA-256.
fn token_hash(secret: &str) -> String {
    format!("sha256-of-{secret}")
}

fn new_session(user_id: i64, secret: &str, expires_at: &str) -> NewSession {
    NewSession {
        token_hash: token_hash(secret),
        user_id,
        csrf_token: format!("csrf-of-{secret}"),
        created_at: t(NOW),
        expires_at: t(expires_at),
    }
}

fn new_token(user_id: i64, name: &str, secret: &str) -> NewApiToken {
    NewApiToken { user_id, name: name.to_string(), token_hash: token_hash(secret), created_at: t(NOW) }
}

fn accounts_are_created_and_found_in_any_case(f: &mut Fixture) {
    let s = f.store.as_mut();
    let ann = new_user("Ann", Role::Administrator);
    let bob = new_user("bob.occ", Role::PartnerFinance);
    let cara = new_user("cara", Role::BudgetHolder);
    let dan = NewUser { disabled: true, ..new_user("dan", Role::Viewer) };
    let ids: Vec<i64> = [&ann, &bob, &cara, &dan].iter().map(|u| s.create_user(u, "setup").unwrap()).collect();
    let expected: Vec<User> = [&ann, &bob, &cara, &dan].iter().zip(&ids).map(|(u, &id)| stored(id, u)).collect();
    assert_eq!(s.users().unwrap(), expected);
    assert_eq!(s.user(ids[2]).unwrap().as_ref(), Some(&expected[2]));
    assert_eq!(s.user(ids[3]).unwrap().map(|u| u.disabled), Some(true));
    assert_eq!(s.user(-1).unwrap(), None);
    // Any case finds the account, which keeps the case it was created with.
    for name in ["ann", "ANN", "Ann", "aNn"] {
        assert_eq!(s.user_by_name(name).unwrap().as_ref(), Some(&expected[0]), "{name}");
    }
    assert_eq!(s.user_by_name("BOB.OCC").unwrap().map(|u| u.partner), Some(Some("OCC".to_string())));
    assert_eq!(s.user_by_name("nobody").unwrap(), None);
    assert_eq!(s.user_by_name("").unwrap(), None);

    // A username taken in any case is refused and writes nothing.
    let log = s.audit_log().unwrap();
    for taken in ["Ann", "ANN", "Bob.Occ"] {
        let err = s.create_user(&new_user(taken, Role::Viewer), "setup").unwrap_err();
        assert!(matches!(&err, StoreError::Duplicate(m) if m.contains(taken) && m.contains("taken")), "{err:?}");
    }
    // Roles and scopes that contradict each other are refused.
    let no_partner = NewUser { partner: None, ..new_user("eve", Role::PartnerFinance) };
    let viewer_with_scope = NewUser { cost_centres: vec!["CC100".into()], ..new_user("eve", Role::Viewer) };
    let blank = new_user(" ", Role::Viewer);
    let blank_agreement = NewUser { agreements: vec![String::new()], ..new_user("eve", Role::Viewer) };
    for bad in [no_partner, viewer_with_scope, blank, blank_agreement] {
        let err = s.create_user(&bad, "setup").unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }
    assert_eq!(s.audit_log().unwrap(), log);
    assert_eq!(s.users().unwrap().len(), 4);

    // Passwords change, accounts are disabled and enabled; each change is audited once.
    s.set_password_hash(ids[0], "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3", "Ann").unwrap();
    assert_eq!(s.user(ids[0]).unwrap().unwrap().password_hash, "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3");
    assert!(matches!(s.set_password_hash(ids[0], "", "Ann"), Err(StoreError::Invalid(_))));
    assert!(matches!(s.set_password_hash(-1, "$argon2id$x", "Ann"), Err(StoreError::NotFound(_))));
    s.set_user_disabled(ids[3], false, "Ann").unwrap();
    s.set_user_disabled(ids[3], false, "Ann").unwrap();
    s.set_user_disabled(ids[1], true, "Ann").unwrap();
    assert_eq!(s.users().unwrap().iter().map(|u| u.disabled).collect::<Vec<_>>(), [false, true, false, false]);
    assert!(matches!(s.set_user_disabled(-1, true, "Ann"), Err(StoreError::NotFound(_))));

    let log = s.audit_log().unwrap();
    assert_eq!(
        actions(s),
        ["create-user", "create-user", "create-user", "create-user", "set-password", "enable-user", "disable-user"]
    );
    assert_eq!((log[2].actor.as_str(), log[2].subject.as_str()), ("setup", "user cara"));
    assert_eq!(
        log[2].after,
        "username=cara\ndisplay_name=cara (display)\nrole=budget-holder\npartner=-\ncost_centres=CC200,CC100\n\
         agreements=all\ndisabled=false"
    );
    assert!(
        log[1].after.contains("role=partner-finance\npartner=OCC\ncost_centres=-\nagreements=oxon,bucks\n"),
        "{}",
        log[1].after
    );
    assert_eq!((log[4].subject.as_str(), log[4].after.as_str()), ("user Ann", "password=changed"));
    assert_eq!(
        (log[6].before.as_str(), log[6].after.as_str()),
        ("disabled=false", "disabled=true\nsessions_ended=0\napi_tokens_revoked=0")
    );
    assert_eq!(s.verify_audit().unwrap(), None);
}

fn sessions_last_until_they_expire_end_or_their_user_is_disabled(f: &mut Fixture) {
    let s = f.store.as_mut();
    let ann_user = new_user("ann", Role::BudgetHolder);
    let ann = s.create_user(&ann_user, "setup").unwrap();
    let bob = s.create_user(&new_user("bob", Role::Viewer), "setup").unwrap();
    s.create_session(&new_session(ann, "live", LATER)).unwrap();
    s.create_session(&new_session(ann, "expired", EARLIER)).unwrap();
    s.create_session(&new_session(bob, "bob's", LATER)).unwrap();

    let (session, user) = s.session(&token_hash("live")).unwrap().expect("a live session");
    assert_eq!(user, stored(ann, &ann_user));
    assert_eq!(
        session,
        Session {
            id: session.id,
            user_id: ann,
            csrf_token: "csrf-of-live".into(),
            created_at: t(NOW),
            expires_at: t(LATER)
        }
    );
    assert_eq!(s.session(&token_hash("expired")).unwrap(), None);
    assert_eq!(s.session(&token_hash("unknown")).unwrap(), None);
    assert_eq!(s.session("").unwrap(), None);

    // Disabling ends a user's sessions for good: re-enabling does not revive them.
    s.set_user_disabled(bob, true, "admin").unwrap();
    assert_eq!(s.session(&token_hash("bob's")).unwrap(), None);
    let err = s.create_session(&new_session(bob, "another", LATER)).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    s.set_user_disabled(bob, false, "admin").unwrap();
    assert_eq!(s.session(&token_hash("bob's")).unwrap(), None);
    s.create_session(&new_session(bob, "bob's again", LATER)).unwrap();

    // Times the store cannot keep and unknown users are refused, writing nothing.
    let log = s.audit_log().unwrap();
    let odd = NewSession { expires_at: Timestamp::MIN, ..new_session(ann, "odd", LATER) };
    let err = s.create_session(&odd).unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(m) if m.contains("expiry")), "{err:?}");
    assert!(matches!(s.create_session(&new_session(-1, "nobody's", LATER)), Err(StoreError::NotFound(_))));
    assert!(matches!(s.delete_expired_sessions(Timestamp::MIN), Err(StoreError::Invalid(_))));
    assert_eq!(s.audit_log().unwrap(), log);

    // Logging out ends the session; an unknown or ended session changes nothing.
    s.delete_session(&token_hash("live")).unwrap();
    assert_eq!(s.session(&token_hash("live")).unwrap(), None);
    s.delete_session(&token_hash("live")).unwrap();
    s.delete_session(&token_hash("unknown")).unwrap();

    // Clearing out removes expired sessions only; once is enough.
    assert_eq!(f.count("session"), 2);
    let s = f.store.as_mut();
    assert_eq!(s.delete_expired_sessions(t(NOW)).unwrap(), 1);
    assert_eq!(s.delete_expired_sessions(t(NOW)).unwrap(), 0);
    assert!(s.session(&token_hash("bob's again")).unwrap().is_some());
    // Expiry is exclusive: a session expiring at `now` has expired.
    assert_eq!(s.delete_expired_sessions(t(LATER)).unwrap(), 1);
    assert_eq!(f.count("session"), 0);

    let log = f.store.audit_log().unwrap();
    let sessions: Vec<_> = log[2..].iter().map(|e| (e.actor.as_str(), e.action.as_str())).collect();
    assert_eq!(
        sessions,
        [
            ("ann", "login"),
            ("ann", "login"),
            ("bob", "login"),
            ("admin", "disable-user"),
            ("admin", "enable-user"),
            ("bob", "login"),
            ("ann", "logout"),
            ("system", "delete-expired-sessions"),
            ("system", "delete-expired-sessions"),
        ]
    );
    assert_eq!(log[5].after, "disabled=true\nsessions_ended=1\napi_tokens_revoked=0");
    assert_eq!(
        (log[2].subject.clone(), log[2].after.as_str()),
        (format!("session {}", session.id), "expires_at=2999-01-01T00:00:00Z")
    );
    assert_eq!(log[8].subject, format!("session {}", session.id));
    assert_eq!(log[9].after, format!("expired_by={NOW}\ndeleted=1"));
    assert_eq!(f.store.verify_audit().unwrap(), None);

    // A new password signs its user out everywhere.
    let s = f.store.as_mut();
    s.create_session(&new_session(bob, "bob's second", LATER)).unwrap();
    s.set_password_hash(bob, "$argon2id$v=19$m=19456,t=2,p=1$bmV3$bmV3", "bob").unwrap();
    assert_eq!(s.session(&token_hash("bob's second")).unwrap(), None);
}

fn login_attempts_are_throttled_in_a_window(f: &mut Fixture) {
    let s = f.store.as_mut();
    let at = |hhmm: &str| t(&format!("2024-06-01T{hhmm}:00Z"));
    // An attempt is a failure until it is marked good.
    for (name, time) in [("Ann", "10:00"), ("Ann", "10:05"), ("ann", "10:10"), ("ANN", "10:12"), ("bob", "10:11")] {
        assert!(s.start_login_attempt(name, at("09:00"), 100, at(time)).unwrap().is_some(), "{name} {time}");
    }
    let mut start = |name: &str, since: &str, allowed: u32, time: &str| {
        s.start_login_attempt(name, at(since), allowed, at(time)).unwrap().is_some()
    };
    // Any case counts for the same username; the window's start is inclusive; a refused
    // attempt is not recorded.
    assert!(!start("ann", "10:00", 4, "10:13"));
    assert!(!start("ann", "10:01", 3, "10:13"));
    assert!(start("aNN", "10:12", 2, "10:13"));
    assert!(!start("Ann", "10:12", 2, "10:13"), "10:12 and 10:13 failed");
    assert!(start("ann", "10:14", 1, "10:14"), "nothing failed since 10:14");
    assert!(start("bob", "10:00", 2, "10:14"));
    // Usernames without an account are counted too: guessing names is throttled alike.
    assert!(start("mallory", "10:00", 1, "10:20"));
    assert!(!start("mallory", "10:00", 1, "10:21"));

    // A successful attempt clears the count; failures after it count again.
    let good = s.start_login_attempt("ann", at("10:00"), 100, at("10:15")).unwrap().unwrap();
    s.login_succeeded(good).unwrap();
    let mut start = |name: &str, since: &str, allowed: u32, time: &str| {
        s.start_login_attempt(name, at(since), allowed, at(time)).unwrap().is_some()
    };
    assert!(start("ann", "10:00", 1, "10:16"));
    assert!(!start("ann", "10:00", 1, "10:17"));
    assert!(!start("bob", "10:00", 2, "10:17"), "bob's two failures stand");

    assert!(matches!(s.login_succeeded(-1), Err(StoreError::NotFound(_))));
    let err = s.start_login_attempt("ann", Timestamp::MIN, 5, at("10:18")).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    // Every attempt let through is kept, none is audited, and none moves the stamp.
    assert_eq!(s.audit_log().unwrap(), []);
    assert_eq!(s.last_change().unwrap(), 0);
    assert_eq!(f.count("login_attempt"), 11);
}

/// Another store on the fixture's database, for a thread of its own.
fn another_store(f: &Fixture) -> Box<dyn Store + Send> {
    match &f.db {
        Db::Sqlite(path) => Box::new(SqliteStore::open(path).expect("open SQLite")),
        Db::Postgres { url, schema } => Box::new(PostgresStore::open_in_schema(url, schema).expect("open")),
    }
}

/// The throttle's allowance holds however many attempts come at once: each is counted and
/// reserved in one step.
fn parallel_attempts_get_at_most_the_allowance(f: &mut Fixture) {
    const ALLOWED: u32 = 5;
    let stores: Vec<_> = (0..20).map(|_| another_store(f)).collect();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(stores.len()));
    let threads: Vec<_> = stores
        .into_iter()
        .map(|mut store| {
            let barrier = std::sync::Arc::clone(&barrier);
            std::thread::spawn(move || {
                barrier.wait();
                store.start_login_attempt("ann", t(EARLIER), ALLOWED, t(NOW)).unwrap().is_some()
            })
        })
        .collect();
    let let_through = threads.into_iter().map(|t| t.join().unwrap()).filter(|&through| through).count();
    assert_eq!(let_through, ALLOWED as usize);
    assert_eq!(f.count("login_attempt"), i64::from(ALLOWED));
}

fn api_tokens_work_until_revoked(f: &mut Fixture) {
    let s = f.store.as_mut();
    let ann_user = new_user("ann", Role::PartnerFinance);
    let ann = s.create_user(&ann_user, "admin").unwrap();
    let bob = s.create_user(&new_user("bob", Role::Viewer), "admin").unwrap();
    let nightly = s.create_api_token(&new_token(ann, "nightly import", "secret-1"), "ann").unwrap();
    let report = s.create_api_token(&new_token(ann, "month-end report", "secret-2"), "admin").unwrap();
    assert_ne!(nightly, report);

    let listed = |id, name: &str, revoked_at: Option<Timestamp>| ApiToken {
        id,
        user_id: ann,
        name: name.to_string(),
        created_at: t(NOW),
        revoked_at,
    };
    assert_eq!(
        s.api_token(&token_hash("secret-1")).unwrap(),
        Some((listed(nightly, "nightly import", None), stored(ann, &ann_user)))
    );
    assert_eq!(s.api_token(&token_hash("secret-3")).unwrap(), None);
    assert_eq!(
        s.api_tokens(ann).unwrap(),
        [listed(nightly, "nightly import", None), listed(report, "month-end report", None)]
    );
    assert_eq!(s.api_tokens(bob).unwrap(), []);

    // Revoked for good; revoking again changes nothing; unknown tokens are named.
    s.revoke_api_token(nightly, "admin").unwrap();
    assert_eq!(s.api_token(&token_hash("secret-1")).unwrap(), None);
    let log = s.audit_log().unwrap();
    s.revoke_api_token(nightly, "admin").unwrap();
    assert_eq!(s.audit_log().unwrap(), log);
    let err = s.revoke_api_token(-1, "admin").unwrap_err();
    assert!(matches!(&err, StoreError::NotFound(m) if m.contains("API token -1")), "{err:?}");
    let tokens = s.api_tokens(ann).unwrap();
    assert!(tokens[0].revoked_at.is_some_and(|t| t.subsec_nanosecond() == 0), "{tokens:?}");
    assert_eq!(tokens[1].revoked_at, None);

    // Disabling a user revokes its tokens for good, and none can be made for it.
    assert!(s.api_token(&token_hash("secret-2")).unwrap().is_some());
    s.set_user_disabled(ann, true, "admin").unwrap();
    assert_eq!(s.api_token(&token_hash("secret-2")).unwrap(), None);
    let err = s.create_api_token(&new_token(ann, "another", "secret-4"), "admin").unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert!(matches!(s.create_api_token(&new_token(-1, "x", "secret-5"), "admin"), Err(StoreError::NotFound(_))));
    let bad_time = NewApiToken { created_at: Timestamp::MIN, ..new_token(bob, "x", "secret-6") };
    assert!(matches!(s.create_api_token(&bad_time, "admin"), Err(StoreError::Invalid(_))));
    // Re-enabled, the user's old tokens stay revoked; a new one works.
    s.set_user_disabled(ann, false, "admin").unwrap();
    assert_eq!(s.api_token(&token_hash("secret-2")).unwrap(), None);
    assert!(s.api_tokens(ann).unwrap().iter().all(|t| t.revoked_at.is_some()));
    s.create_api_token(&new_token(ann, "after", "secret-7"), "admin").unwrap();
    assert!(s.api_token(&token_hash("secret-7")).unwrap().is_some());

    let log = s.audit_log().unwrap();
    assert_eq!(
        log[2..].iter().map(|e| (e.actor.as_str(), e.action.as_str())).collect::<Vec<_>>(),
        [
            ("ann", "create-api-token"),
            ("admin", "create-api-token"),
            ("admin", "revoke-api-token"),
            ("admin", "disable-user"),
            ("admin", "enable-user"),
            ("admin", "create-api-token"),
        ]
    );
    assert_eq!(log[5].after, "disabled=true\nsessions_ended=0\napi_tokens_revoked=1");
    assert_eq!(log[2].subject, format!("api token {nightly} of user ann"));
    assert_eq!(log[2].after, "name=nightly import\nstatus=live");
    assert_eq!((log[4].before.as_str(), log[4].after.as_str()), ("status=live", "status=revoked"));
    assert_eq!(s.verify_audit().unwrap(), None);
}

const HTML: &str = "<script>alert(1)</script>";
const SQL: &str = "Robert'); DROP TABLE users;--";

fn names_with_html_and_sql_are_stored_intact(f: &mut Fixture) {
    let s = f.store.as_mut();
    let sql_user = NewUser {
        display_name: HTML.to_string(),
        partner: Some(format!("{SQL} & \"{HTML}\"")),
        ..new_user(SQL, Role::PartnerFinance)
    };
    let html_user = NewUser {
        display_name: format!("{SQL}\n{HTML}"),
        cost_centres: vec![SQL.to_string(), HTML.to_string(), "CC\\100".to_string()],
        ..new_user(HTML, Role::BudgetHolder)
    };
    let sql_id = s.create_user(&sql_user, SQL).unwrap();
    let html_id = s.create_user(&html_user, HTML).unwrap();
    assert_eq!(s.user_by_name(SQL).unwrap(), Some(stored(sql_id, &sql_user)));
    assert_eq!(s.user_by_name(&SQL.to_uppercase()).unwrap(), Some(stored(sql_id, &sql_user)));
    assert_eq!(s.user(html_id).unwrap(), Some(stored(html_id, &html_user)));
    assert_eq!(s.users().unwrap(), [stored(sql_id, &sql_user), stored(html_id, &html_user)]);
    let err = s.create_user(&new_user(&SQL.to_lowercase(), Role::Viewer), "admin").unwrap_err();
    assert!(matches!(err, StoreError::Duplicate(_)), "{err:?}");

    s.create_session(&NewSession { csrf_token: SQL.into(), ..new_session(sql_id, SQL, LATER) }).unwrap();
    let (session, user) = s.session(&token_hash(SQL)).unwrap().unwrap();
    assert_eq!((session.csrf_token.as_str(), user.username.as_str()), (SQL, SQL));
    s.create_api_token(&new_token(html_id, HTML, HTML), SQL).unwrap();
    let (token, user) = s.api_token(&token_hash(HTML)).unwrap().unwrap();
    assert_eq!((token.name.as_str(), user.display_name.as_str()), (HTML, html_user.display_name.as_str()));
    assert!(s.start_login_attempt(SQL, t(NOW), 1, t(NOW)).unwrap().is_some());
    assert_eq!(s.start_login_attempt(&SQL.to_uppercase(), t(NOW), 1, t(NOW)).unwrap(), None);

    // The log holds the names as given (its texts stay one field a line).
    let log = s.audit_log().unwrap();
    assert_eq!((log[0].actor.as_str(), log[0].subject.clone()), (SQL, format!("user {SQL}")));
    assert!(log[0].after.contains(&format!("display_name={HTML}\n")), "{}", log[0].after);
    assert!(log[1].after.contains(&format!("display_name={SQL}\\n{HTML}\n")), "{}", log[1].after);
    assert!(log[1].after.contains(&format!("cost_centres={SQL},{HTML},CC\\\\100\n")), "{}", log[1].after);
    assert_eq!(log[2].actor, SQL);
    assert_eq!((log[3].actor.as_str(), log[3].after.clone()), (SQL, format!("name={HTML}\nstatus=live")));
    assert_eq!(s.verify_audit().unwrap(), None);
    assert_eq!(f.count("app_user"), 2);
}

fn the_audit_log_holds_no_secrets(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let s = f.store.as_mut();
    let ann = s.create_user(&new_user("ann", Role::PoolManager), "admin").unwrap();
    let bob = s.create_user(&new_user("bob", Role::BudgetHolder), "admin").unwrap();
    let new_hash = "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$changed-hash";
    s.set_password_hash(ann, new_hash, "ann").unwrap();
    s.start_login_attempt("ann", t(NOW), 5, t(NOW)).unwrap();
    let good = s.start_login_attempt("ann", t(NOW), 5, t(NOW)).unwrap().unwrap();
    s.login_succeeded(good).unwrap();
    s.create_session(&new_session(ann, "cookie-1", LATER)).unwrap();
    s.create_session(&new_session(bob, "cookie-2", EARLIER)).unwrap();
    s.delete_session(&token_hash("cookie-1")).unwrap();
    s.delete_expired_sessions(t(NOW)).unwrap();
    let token = s.create_api_token(&new_token(bob, "script", "api-secret"), "bob").unwrap();
    s.revoke_api_token(token, "ann").unwrap();
    s.set_user_disabled(bob, true, "ann").unwrap();
    s.set_forecast(&oxon("2016-17"), month(3), "CC100", Money::from_pence(5), false, "bob").unwrap();

    let log = s.audit_log().unwrap();
    assert_eq!(
        log[8..].iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "create-user",
            "create-user",
            "set-password",
            "login",
            "login",
            "logout",
            "delete-expired-sessions",
            "create-api-token",
            "revoke-api-token",
            "disable-user",
            "set-forecast"
        ]
    );
    assert_eq!(pooled_store::verify_chain(&log), None);
    assert_eq!(s.verify_audit().unwrap(), None);
    let secrets = [
        password_hash("ann"),
        password_hash("bob"),
        new_hash.to_string(),
        "argon2".to_string(),
        "cookie-1".to_string(),
        "cookie-2".to_string(),
        "csrf-of".to_string(),
        "api-secret".to_string(),
        "sha256-of".to_string(),
    ];
    for e in &log {
        for text in [&e.actor, &e.action, &e.subject, &e.before, &e.after] {
            for secret in &secrets {
                assert!(!text.contains(secret.as_str()), "entry {} holds {secret}: {text}", e.seq);
            }
        }
    }
}

/// Every action the store writes reads back the agreement it belongs to, or none for
/// accounts, sign-ins and tokens; as do entries written before a database held many
/// agreements (their subjects name a year, a month or a partner where the id is now).
fn every_entry_names_its_agreement_or_none(f: &mut Fixture) {
    let s = f.store.as_mut();
    records_of_bucks(s, &AgreementYear::new("bucks", fy("2016-17")));
    let bucks_entries = s.audit_log().unwrap().len();
    a_sequence_of_changes(s);
    let oxon = &oxon("2016-17");
    s.load_agreement(oxon, "[agreement]\n# varied\n", "a variation", &Approval::default(), "ann").unwrap();
    s.record_saving(oxon, "review", SavingFigure::Forecast(month(4)), Money::from_pence(9), "ann").unwrap();
    s.set_statement(oxon, ReturnKind::YearEnd, &StatementField::Narrative, "done", "ann").unwrap();
    let ann = s.create_user(&new_user("ann", Role::PoolManager), "admin").unwrap();
    s.set_password_hash(ann, "$argon2id$v=19$m=19456,t=2,p=1$bmV3c2FsdA$other", "ann").unwrap();
    let attempt = s.start_login_attempt("ann", t(NOW), 5, t(NOW)).unwrap().unwrap();
    s.login_succeeded(attempt).unwrap();
    s.create_session(&new_session(ann, "cookie-1", EARLIER)).unwrap();
    s.delete_expired_sessions(t(NOW)).unwrap();
    let token = s.create_api_token(&new_token(ann, "script", "api-secret"), "ann").unwrap();
    s.revoke_api_token(token, "ann").unwrap();
    s.set_user_disabled(ann, true, "admin").unwrap();

    let log = s.audit_log().unwrap();
    let read: Vec<(&str, Option<&str>)> = log.iter().map(|e| (e.action.as_str(), e.agreement())).collect();
    let bucks = Some("bucks");
    let ox = Some(OXON);
    let mut expected = vec![
        ("load-agreement", bucks),
        ("save-plan", bucks),
        ("save-mapping", bucks),
        ("import", bucks),
        ("import", bucks),
        ("close-period", bucks),
        ("set-forecast", bucks),
        ("record-payment", bucks),
        ("record-saving", bucks),
        ("save-board-register", bucks),
        ("save-meeting", bucks),
    ];
    assert_eq!(expected.len(), bucks_entries);
    expected.extend([
        ("load-agreement", ox),
        ("save-plan", ox),
        ("save-mapping", ox),
        ("import", ox),
        ("replace-import", ox),
        ("set-forecast", ox),
        ("close-period", ox),
        ("record-payment", ox),
        ("vary-agreement", ox),
        ("record-saving", ox),
        ("set-statement", ox),
        ("create-user", None),
        ("set-password", None),
        ("login", None),
        ("delete-expired-sessions", None),
        ("create-api-token", None),
        ("revoke-api-token", None),
        ("disable-user", None),
    ]);
    assert_eq!(read, expected);

    // Subjects as the log wrote them before (the chain forbids rewriting them).
    for (action, subject) in [
        ("load-agreement", "agreement 2016-17"),
        ("save-plan", "plan 2016-17"),
        ("save-mapping", "mapping OCC"),
        ("import", "ledger 2016-05 OCC"),
        ("close-period", "period 2016-05"),
        ("set-forecast", "forecast 2016-17 M2 CC100"),
        ("record-payment", "payment 2016-17 OP from OCCG M1"),
        ("save-board-register", "board-register 2016-17"),
        ("save-meeting", "meeting 2016-17/2016-06-02"),
    ] {
        let entry = AuditEntry { action: action.into(), subject: subject.into(), ..log[0].clone() };
        assert_eq!(entry.agreement(), None, "{subject}");
    }
}

// ---- transactions ----

fn transactions_commit_together_or_not_at_all(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    let pence = Money::from_pence;
    // Writes and reads in one transaction: it sees its own changes, and each is audited.
    let seen = in_transaction(s, |s| {
        s.set_forecast(year, month(2), "CC100", pence(5), false, "ann")?;
        s.save_document(REGISTER, "2016-17", None, "[board]\n", "ann")?;
        s.forecasts(year)
    })
    .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(actions(s), ["set-forecast", "save-board-register"]);

    // A failure undoes everything before it, audit entries too.
    let err = in_transaction(s, |s| {
        s.set_forecast(year, month(3), "CC100", pence(7), false, "bob")?;
        s.close_period(OXON, period("2016-06"), "bob")?;
        s.set_forecast(year, month(3), "CC200", pence(9), false, "bob")
    })
    .unwrap_err();
    assert!(matches!(err, StoreError::PeriodClosed(p) if p == period("2016-06")), "{err:?}");
    assert_eq!(s.forecasts(year).unwrap().len(), 1);
    assert_eq!(s.closed_periods(year).unwrap(), []);
    // The caller's own failure, too, and it comes back as it was.
    let err = in_transaction(s, |s| {
        s.set_forecast(year, month(4), "CC100", pence(1), false, "bob")?;
        Err::<(), _>(StoreError::Invalid("changed my mind".into()))
    })
    .unwrap_err();
    assert!(matches!(&err, StoreError::Invalid(m) if m == "changed my mind"), "{err:?}");
    assert_eq!(actions(s).len(), 2);

    // A change refused inside a transaction is undone alone, and the work goes on; a
    // transaction inside another is undone alone too.
    in_transaction(s, |s| {
        assert!(matches!(s.save_document(REGISTER, "2016-17", None, "x", "cat"), Err(StoreError::Conflict(_))));
        s.save_document(REGISTER, "2016-17", Some(1), "[board]\n# 2\n", "cat")?;
        let inner = in_transaction(s, |s| {
            s.set_forecast(year, month(5), "CC100", pence(3), false, "cat")?;
            Err::<(), _>(StoreError::Invalid("not this one".into()))
        });
        assert!(inner.is_err());
        s.set_forecast(year, month(6), "CC100", pence(4), false, "cat")
    })
    .unwrap();
    let months: Vec<u32> = s.forecasts(year).unwrap().iter().map(|f| f.month.number()).collect();
    assert_eq!(months, [2, 6]);
    assert_eq!(actions(s), ["set-forecast", "save-board-register", "save-board-register", "set-forecast"]);
    assert_eq!(s.audit_log().unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3, 4]);
    assert_eq!(s.last_change().unwrap(), 4);
    assert_eq!(s.verify_audit().unwrap(), None);
}

fn a_snapshot_reads_as_of_one_moment(f: &mut Fixture) {
    let year = &oxon("2016-17");
    f.store.set_forecast(year, month(2), "CC100", Money::from_pence(5), false, "ann").unwrap();
    let mut other = another_store(f);
    let (first, second) = in_snapshot(f.store.as_ref(), |s| {
        let first = s.forecasts(year)?;
        // Committed by another connection between the two reads.
        other.set_forecast(year, month(3), "CC100", Money::from_pence(6), false, "bob")?;
        Ok::<_, StoreError>((first, s.forecasts(year)?))
    })
    .unwrap();
    assert_eq!((first.len(), second.len()), (1, 1));
    assert_eq!(f.store.forecasts(year).unwrap().len(), 2, "seen once the snapshot is over");
}

fn account_changes_do_not_move_the_stamp(f: &mut Fixture) {
    let s = f.store.as_mut();
    let year = &oxon("2016-17");
    s.set_forecast(year, month(2), "CC100", Money::from_pence(5), false, "ann").unwrap();
    assert_eq!(s.last_change().unwrap(), 1);
    let ann = s.create_user(&new_user("ann", Role::PoolManager), "admin").unwrap();
    let attempt = s.start_login_attempt("ann", t(EARLIER), 5, t(NOW)).unwrap().unwrap();
    s.login_succeeded(attempt).unwrap();
    s.create_session(&new_session(ann, "cookie", LATER)).unwrap();
    s.create_session(&new_session(ann, "old cookie", EARLIER)).unwrap();
    s.delete_session(&token_hash("cookie")).unwrap();
    s.delete_expired_sessions(t(NOW)).unwrap();
    let token = s.create_api_token(&new_token(ann, "script", "secret"), "ann").unwrap();
    s.revoke_api_token(token, "ann").unwrap();
    s.set_password_hash(ann, &password_hash("ann2"), "ann").unwrap();
    s.set_user_disabled(ann, true, "admin").unwrap();
    s.set_user_disabled(ann, false, "admin").unwrap();
    // All audited, none moving the stamp that the web's caches key on.
    assert_eq!(s.audit_log().unwrap().len(), 11);
    assert_eq!(s.last_change().unwrap(), 1);
    s.set_forecast(year, month(2), "CC100", Money::from_pence(6), false, "ann").unwrap();
    assert_eq!(s.last_change().unwrap(), 12);
    s.save_document(REGISTER, "2016-17", None, "[board]\n", "ann").unwrap();
    assert_eq!(s.last_change().unwrap(), 13);
    assert_eq!(s.verify_audit().unwrap(), None);
}

/// A database made before migration 4 (undone here by hand) gets its stamp from its log,
/// and its imports go on.
fn migration_4_keeps_an_existing_database(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let ann = f.store.create_user(&new_user("ann", Role::Viewer), "admin").unwrap();
    f.store.create_session(&new_session(ann, "cookie", LATER)).unwrap();
    // Migrations 5 and 6 are undone too, as they came after.
    f.undo_migration_7();
    f.undo_migration_6();
    let undo = match f.db {
        Db::Sqlite(_) => {
            "DROP TABLE change_stamp; DROP TABLE audit_head; DELETE FROM schema_version WHERE version >= 4;"
        }
        Db::Postgres { .. } => {
            "DROP TABLE change_stamp; DROP SEQUENCE ledger_import_id; DROP TABLE audit_head;
             DELETE FROM schema_version WHERE version >= 4;"
        }
    };
    f.sql(undo);
    f.reopen();
    assert_eq!(f.count("schema_version"), 11);
    assert_eq!(f.store.last_change().unwrap(), 8, "the last change to the records, not the sign-in");
    let before = f.store.imports(&oxon("2016-17")).unwrap();
    let outcome = import(f.store.as_mut(), "2016-06", "OCCG", "sha-june", &[row(2, "CC100", "2016-06-01", 5)]);
    let ImportOutcome::Imported { import_id, .. } = outcome else { panic!("{outcome:?}") };
    assert!(before.iter().all(|i| i.import_id < import_id), "{before:?} {import_id}");
    assert_eq!(f.store.last_change().unwrap(), 11);
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

/// A database made before migration 5 (undone here by hand) gets its head from its log:
/// it verifies, against a head published before too, and its changes go on.
fn migration_5_takes_the_head_from_the_log(f: &mut Fixture) {
    // Migration 6 is undone too, as it came after.
    f.undo_migration_7();
    f.undo_migration_6();
    f.sql("DROP TABLE audit_head; DELETE FROM schema_version WHERE version = 5;");
    f.reopen();
    assert_eq!(f.number("SELECT seq FROM audit_head"), 0, "an empty log's head");
    a_sequence_of_changes(f.store.as_mut());
    let published = f.store.audit_head().unwrap();
    f.undo_migration_7();
    f.undo_migration_6();
    f.sql("DROP TABLE audit_head; DELETE FROM schema_version WHERE version = 5;");
    f.reopen();
    assert_eq!(f.count("schema_version"), 11);
    assert_eq!(f.store.audit_head().unwrap(), published);
    assert_eq!(f.store.verify_audit_against(std::slice::from_ref(&published)).unwrap(), None);
    f.store.set_forecast(&oxon("2016-17"), month(3), "CC100", Money::from_pence(7), false, "bob").unwrap();
    assert_eq!(f.store.audit_head().unwrap().seq, 9);
    assert_eq!(f.store.verify_audit_against(&[published]).unwrap(), None);
}

/// Everything an agreement's year holds, as read through the store: to compare before and
/// after a change to another agreement, or a migration.
#[derive(Debug, PartialEq)]
struct Holdings {
    versions: Vec<pooled_store::AgreementVersion>,
    plan: Vec<StoredCostCentre>,
    mappings: Vec<Option<Mapping>>,
    imports: Vec<pooled_store::ImportRecord>,
    actuals: Vec<Actual>,
    ledger: Vec<Vec<LedgerRow>>,
    closed: Vec<Period>,
    forecasts: Vec<pooled_store::Forecast>,
    savings: Vec<pooled_store::SavingRecord>,
    payments: Vec<PaymentEntry>,
    documents: Vec<Vec<StoredDocument>>,
}

fn holdings(s: &dyn Store, key: &AgreementYear) -> Holdings {
    let prefix = format!("{}/{}", key.agreement, key.year);
    Holdings {
        versions: s.agreement_versions(key).unwrap(),
        plan: s.plan(key).unwrap(),
        mappings: ["OCC", "OCCG"].iter().map(|p| s.mapping(&key.agreement, p).unwrap()).collect(),
        imports: s.imports(key).unwrap(),
        actuals: s.actuals(key).unwrap(),
        ledger: ["CC100", "CC200"].iter().map(|c| s.ledger_rows(key, c, 100).unwrap()).collect(),
        closed: s.closed_periods(key).unwrap(),
        forecasts: s.forecasts(key).unwrap(),
        savings: s.saving_records(key).unwrap(),
        payments: s.payment_entries(key).unwrap(),
        documents: vec![
            s.document_versions(REGISTER, &prefix).unwrap(),
            s.documents("meeting", &format!("{prefix}/")).unwrap(),
        ],
    }
}

/// Records of every kind for an agreement's year, as an agreement of its own would have
/// them: not `oxon`'s.
fn records_of_bucks(s: &mut dyn Store, key: &AgreementYear) {
    let agreement = key.agreement.as_str();
    s.load_agreement(key, "[agreement]\nid = \"bucks\"\n", "", &Approval::default(), "bea").unwrap();
    s.save_plan(key, &[cost_centre("CC100", 5_000), cost_centre("CC200", 7_000)], "bea").unwrap();
    s.save_mapping(agreement, "OCC", &Mapping::preset("sap").unwrap(), "bea").unwrap();
    // The same file as `oxon`'s, for the same partner and period: an import of its own.
    import_into(s, agreement, "2016-05", "OCC", "sha-1", &may_rows());
    import_into(s, agreement, "2016-04", "OCC", "sha-april", &[row(2, "CC200", "2016-04-02", 77)]);
    s.close_period(agreement, period("2016-04"), "bea").unwrap();
    s.set_forecast(key, month(2), "CC100", Money::from_pence(4_999), false, "bea").unwrap();
    let invoice =
        PaymentEntry { pool: "BCF".into(), from: "ICB".into(), ..payment_entry("BCF", 1, "invoice 2016-03-01 1.00") };
    s.record_payment(key, &[invoice], "bea").unwrap();
    s.record_saving(key, "review", SavingFigure::Delivered, Money::from_pence(3), "bea").unwrap();
    s.save_document(REGISTER, &format!("{agreement}/2016-17"), None, "[board]\n", "bea").unwrap();
    s.save_document("meeting", &format!("{agreement}/2016-17/2016-06-02"), None, "# bucks\n", "bea").unwrap();
}

/// Two agreements for one year live side by side: loading, varying, importing into,
/// replacing an import of, closing a period of, forecasting and paying in one leave every
/// record of the other as it was, and each reads only its own.
fn two_agreements_for_one_year_keep_apart(f: &mut Fixture) {
    let s = f.store.as_mut();
    let bucks = &AgreementYear::new("bucks", fy("2016-17"));
    records_of_bucks(s, bucks);
    let before = holdings(s, bucks);
    assert_eq!((before.imports.len(), before.closed.len(), before.documents[1].len()), (2, 1, 1), "{before:?}");

    let oxon = &oxon("2016-17");
    a_sequence_of_changes(s);
    s.load_agreement(oxon, "[agreement]\n# varied\n", "a variation", &Approval::default(), "ann").unwrap();
    s.save_plan(oxon, &[cost_centre("CC100", 1_500)], "ann").unwrap();
    s.close_period(OXON, period("2016-06"), "controller").unwrap();
    s.save_document(REGISTER, "oxon/2016-17", None, "[board]\n# oxon\n", "ann").unwrap();
    s.save_document("meeting", "oxon/2016-17/2016-06-02", None, "# oxon\n", "ann").unwrap();
    s.record_saving(oxon, "review", SavingFigure::Forecast(month(4)), Money::from_pence(9), "ann").unwrap();
    s.record_saving(oxon, "review", SavingFigure::Delivered, Money::from_pence(8), "ann").unwrap();
    assert_eq!(holdings(s, bucks), before, "nothing of bucks changed");

    // And oxon's records are its own.
    let mine = holdings(s, oxon);
    assert_eq!(mine.versions.len(), 2);
    assert_eq!(mine.imports.iter().map(|i| i.period.to_string()).collect::<Vec<_>>(), ["2016-05"]);
    assert_eq!(mine.actuals, [actual("CC100", 2, -20_001 + 1, 2), actual("CC200", 2, 99, 1)]);
    assert_eq!(mine.closed, [period("2016-05"), period("2016-06")]);
    assert_eq!(mine.forecasts.iter().map(|f| f.outturn.pence()).collect::<Vec<_>>(), [1_300]);
    assert_eq!(mine.savings.iter().map(|r| r.amount.pence()).collect::<Vec<_>>(), [9, 8]);
    assert_eq!(mine.mappings, [Some(Mapping::preset("unit4").unwrap()), None]);
    assert_eq!(mine.documents[1].iter().map(|d| d.text.as_str()).collect::<Vec<_>>(), ["# oxon\n"]);
    // A period closed in one agreement is open in the other.
    let outcome = import_into(s, "bucks", "2016-06", "OCC", "sha-june", &[row(2, "CC100", "2016-06-01", 5)]);
    assert!(matches!(outcome, ImportOutcome::Imported { rows: 1, .. }), "{outcome:?}");
    assert_eq!(s.verify_audit().unwrap(), None);
}

/// A database made before migration 6 (undone here by hand) holds one agreement a year:
/// each year's records, its mappings and its board's documents come under that
/// agreement's id, unchanged; every version of a year takes its latest id (a file loaded
/// with another id was a variation); records of a year that had no agreement take the
/// empty id. The log still verifies, and imports go on.
fn migration_6_keeps_each_year_under_its_agreement(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let s = f.store.as_mut();
    let first = &oxon("2016-17");
    s.load_agreement(first, "[agreement]\n# varied\n", "a variation", &Approval::default(), "ann").unwrap();
    s.save_mapping(OXON, "OCCG", &Mapping::preset("oracle").unwrap(), "ann").unwrap();
    s.save_document(REGISTER, "oxon/2016-17", None, "[board]\n", "ann").unwrap();
    s.save_document("meeting", "oxon/2016-17/2016-09-15", None, "# minutes\n", "ann").unwrap();
    s.save_document("note", "general", None, "# not a year's\n", "ann").unwrap();
    let later = &oxon("2017-18");
    s.load_agreement(later, "[agreement]\n", "", &Approval::default(), "ann").unwrap();
    s.set_forecast(later, month(1), "CC100", Money::from_pence(1), false, "ann").unwrap();
    // A year with records but no agreement, which pooled itself never writes.
    s.set_forecast(&oxon("2018-19"), month(1), "CC100", Money::from_pence(2), false, "ann").unwrap();
    let ann = s.create_user(&new_user("ann", Role::Viewer), "admin").unwrap();
    // Payments as migration 7 makes them of the dates before it, so that they come back
    // the same through migrations 6 and 7 again.
    f.undo_migration_7();
    f.reopen();
    let s = f.store.as_mut();
    let before = (holdings(s, first), holdings(s, later), s.agreements().unwrap(), s.audit_log().unwrap());
    assert_eq!(before.0.payments.len(), 1, "the sequence's payment");
    let orphan = s.forecasts(&oxon("2018-19")).unwrap();

    f.undo_migration_7();
    f.undo_migration_6();
    assert_eq!(f.count("schema_version"), 5);
    // Version 1 was loaded with another id, and taken as a variation then.
    f.sql("UPDATE agreement SET agreement_id = 'oxford' WHERE year = 2016 AND version = 1");
    f.reopen();
    assert_eq!(f.count("schema_version"), 11);
    let s = f.store.as_ref();
    assert_eq!((holdings(s, first), holdings(s, later), s.agreements().unwrap(), s.audit_log().unwrap()), before);
    assert_eq!(s.forecasts(&AgreementYear::new("", fy("2018-19"))).unwrap(), orphan);
    assert_eq!(s.document("note", "general").unwrap().map(|d| d.text), Some("# not a year's\n".into()));
    assert_eq!(s.user(ann).unwrap().map(|u| u.agreements), Some(vec![]), "an account made before acts in every one");
    assert_eq!(s.verify_audit().unwrap(), None);
    let outcome = import(f.store.as_mut(), "2016-06", "OCC", "sha-june", &[row(2, "CC100", "2016-06-01", 5)]);
    assert!(matches!(outcome, ImportOutcome::Imported { .. }), "{outcome:?}");
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

/// A database made before migration 8 (undone here by hand) keeps its forecasts, none of
/// them confirmed below the actual to date, and records savings after.
fn migration_8_keeps_forecasts_and_adds_savings(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let year = &oxon("2016-17");
    let before = f.store.forecasts(year).unwrap();
    assert!(!before.is_empty());
    f.undo_migration_8();
    f.reopen();
    assert_eq!(f.count("schema_version"), 11);
    assert_eq!(f.store.forecasts(year).unwrap(), before);
    assert!(before.iter().all(|f| !f.confirmed_below_actual));
    f.store.record_saving(year, "review", SavingFigure::Delivered, Money::ZERO, "pm").unwrap();
    assert_eq!(f.store.saving_records(year).unwrap().len(), 1);
    assert_eq!(f.store.verify_audit().unwrap(), None);
}

/// A database made before migration 7 (undone here by hand, with the dates it held)
/// gets an entry for each date: the instalment in full, to the pool's host; paid with no
/// date raised is raised the day it was paid.
fn migration_7_makes_entries_of_the_dates_recorded(f: &mut Fixture) {
    f.undo_migration_7();
    f.sql(
        "INSERT INTO payment VALUES ('oxon', 2016, 'OP', 'OCCG', 2, 20160320, NULL),
             ('oxon', 2016, 'OP', 'OCCG', 1, 20160220, 20160301), ('oxon', 2016, 'LD', 'OCCG', 1, NULL, 20160305),
             ('oxon', 2016, 'LD', 'OCCG', 2, NULL, NULL), ('oxon', 2017, 'OP', 'OCCG', 1, 20170301, NULL),
             ('bucks', 2016, 'OP', 'OCCG', 1, 20160221, NULL);",
    );
    f.reopen();
    assert_eq!(f.count("schema_version"), 11);
    let legacy = |pool: &str, m: u32, kind: EntryKind, on: &str| PaymentEntry {
        pool: pool.to_string(),
        from: "OCCG".to_string(),
        to: None,
        month: month(m),
        kind,
        on: date(on),
        amount: None,
    };
    assert_eq!(
        f.store.payment_entries(&oxon("2016-17")).unwrap(),
        [
            legacy("LD", 1, EntryKind::Invoice, "2016-03-05"),
            legacy("OP", 1, EntryKind::Invoice, "2016-02-20"),
            legacy("OP", 2, EntryKind::Invoice, "2016-03-20"),
            legacy("LD", 1, EntryKind::Payment, "2016-03-05"),
            legacy("OP", 1, EntryKind::Payment, "2016-03-01"),
        ]
    );
    assert_eq!(f.store.payment_entries(&oxon("2017-18")).unwrap(), [legacy("OP", 1, EntryKind::Invoice, "2017-03-01")]);
    let bucks = &AgreementYear::new("bucks", fy("2016-17"));
    assert_eq!(
        f.store.payment_entries(bucks).unwrap(),
        [legacy("OP", 1, EntryKind::Invoice, "2016-02-21")],
        "each its own"
    );
    // Recording goes on after them.
    let next = payment_entry("OP", 2, "payment 2016-04-01 10.00");
    f.store.record_payment(&oxon("2016-17"), std::slice::from_ref(&next), "ann").unwrap();
    assert_eq!(f.store.payment_entries(&oxon("2016-17")).unwrap().last(), Some(&next));
}

/// A database made before migration 9 (undone here by hand) keeps every version, each
/// taking effect from the start of its year with its approval not said; the log still
/// verifies, and variations go on with their day and approval.
fn migration_9_keeps_versions_from_the_start_of_their_year(f: &mut Fixture) {
    a_sequence_of_changes(f.store.as_mut());
    let year = &oxon("2016-17");
    let varied = "[agreement]\n# varied\n";
    f.store.load_agreement(year, varied, "a variation", &Approval::default(), "ann").unwrap();
    let before = f.store.agreement_versions(year).unwrap();
    f.undo_migration_9();
    f.reopen();
    assert_eq!(f.count("schema_version"), 11);
    let after = f.store.agreement_versions(year).unwrap();
    assert_eq!(
        after.iter().map(|v| (v.version, v.text.as_str(), v.loaded_at)).collect::<Vec<_>>(),
        before.iter().map(|v| (v.version, v.text.as_str(), v.loaded_at)).collect::<Vec<_>>()
    );
    assert!(after.iter().all(|v| v.approval == Approval::default() && v.payments_recorded == 0));
    assert_eq!(f.store.verify_audit().unwrap(), None);
    let approval = Approval { effective: Some(date("2016-10-01")), approved_by: Some("JMG".into()) };
    f.store.load_agreement(year, "[agreement]\n# again\n", "another", &approval, "ann").unwrap();
    let varied = f.store.agreement(year).unwrap().unwrap();
    assert_eq!((varied.approval, varied.payments_recorded), (approval, 1), "the sequence's payment came before");
}

// ---- not per backend ----

#[test]
fn open_tells_the_backends_apart() {
    let path = std::env::temp_dir().join(format!("pooled-store-open-{}.db", std::process::id()));
    remove_sqlite_files(&path);
    let store = pooled_store::open(path.to_str().unwrap()).unwrap();
    assert_eq!(store.backend(), "sqlite");
    drop(store);
    remove_sqlite_files(&path);
    // Nothing listens on port 1: a connection error, not a file called "postgres:...".
    for url in ["postgres://nobody@127.0.0.1:1/none", "postgresql://nobody@127.0.0.1:1/none"] {
        let err = pooled_store::open(url).err().expect("no server there");
        assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    }
}

#[test]
fn an_in_memory_store_works_too() {
    let mut store = SqliteStore::open_in_memory().unwrap();
    import(&mut store, "2016-05", "OCC", "sha-1", &may_rows());
    assert_eq!(store.actuals(&oxon("2016-17")).unwrap().len(), 2);
    assert_eq!(store.verify_audit().unwrap(), None);
}

#[test]
fn an_opened_store_moves_between_threads() {
    let path = std::env::temp_dir().join(format!("pooled-store-threads-{}.db", std::process::id()));
    remove_sqlite_files(&path);
    let mut store = pooled_store::open(path.to_str().unwrap()).unwrap();
    // A server hands a store from thread to thread: it must be Send.
    let store_back = std::thread::spawn(move || {
        store.create_user(&new_user("ann", Role::Viewer), "admin").unwrap();
        store
    });
    let store = store_back.join().unwrap();
    assert_eq!(store.user_by_name("ann").unwrap().map(|u| u.role), Some(Role::Viewer));
    drop(store);
    remove_sqlite_files(&path);
}

// ---- PostgreSQL: imports stream without holding up other changes ----

/// An import on a store of its own that streams `rows` rows, stops halfway until told to
/// go on (saying so on `halfway`), then finishes.
fn paused_import(
    f: &Fixture,
    partner: &'static str,
    sha: &'static str,
    rows: u64,
) -> (
    std::sync::mpsc::Receiver<()>,
    std::sync::mpsc::SyncSender<()>,
    std::thread::JoinHandle<Result<ImportOutcome, StoreError>>,
) {
    let (halfway_tx, halfway) = std::sync::mpsc::sync_channel(1);
    let (go_on, go_on_rx) = std::sync::mpsc::sync_channel::<()>(1);
    let mut store = another_store(f);
    let import = std::thread::spawn(move || {
        let mut n = 0;
        let mut items = import_items(std::iter::from_fn(|| {
            n += 1;
            if n == rows / 2 {
                halfway_tx.send(()).unwrap();
                go_on_rx.recv().unwrap();
            }
            (n <= rows).then(|| row(n + 1, "CC100", "2016-05-02", 1))
        }));
        store.import_ledger(&header("2016-05", partner, sha), &mut items)
    });
    (halfway, go_on, import)
}

/// Runs `work` on a thread and waits at most 20 s for it: a change that waited for the
/// import would never finish while the import is paused.
fn finishes<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || done.send(work()));
    finished.recv_timeout(std::time::Duration::from_secs(20)).expect("it waited for the import")
}

mod sqlite_only {
    use super::*;

    /// A new file has 16 KiB pages. An import's pages wait in the WAL, where other
    /// connections read them, until `checkpoint` copies them into the file and empties it.
    #[test]
    fn an_import_waits_in_the_wal_until_the_checkpoint() {
        let mut f = Fixture::sqlite("checkpoint");
        assert_eq!(f.number("PRAGMA page_size"), 16_384);
        let Db::Sqlite(path) = &f.db else { unreachable!() };
        let wal = std::path::PathBuf::from(format!("{}-wal", path.display()));
        let wal_bytes = || std::fs::metadata(&wal).map_or(0, |m| m.len());
        let rows: Vec<_> = (0..2_000).map(|n| row(n + 2, "CC100", "2016-05-02", 1)).collect();
        import(f.store.as_mut(), "2016-05", "OCC", "sha-1", &rows);
        assert!(wal_bytes() > 0);
        assert_eq!(f.count("ledger_row"), 2_000);
        f.store.checkpoint().unwrap();
        assert_eq!(wal_bytes(), 0);
        assert_eq!(f.count("ledger_row"), 2_000);
        assert_eq!(f.store.verify_audit().unwrap(), None);
    }
}

mod postgres_only {
    use super::*;

    #[test]
    fn a_running_import_holds_up_neither_sign_ins_nor_other_imports() {
        let Some(mut f) = Fixture::postgres("a_running_import_holds_up") else { return };
        let ann = f.store.create_user(&new_user("ann", Role::Viewer), "admin").unwrap();
        let (halfway, go_on, occ) = paused_import(&f, "OCC", "sha-occ", 20_000);
        halfway.recv().unwrap();

        // Halfway through OCC's import: a sign-in, a forecast and OCCG's import go through.
        let mut other = another_store(&f);
        let other = finishes(move || {
            other.create_session(&new_session(ann, "cookie", LATER)).unwrap();
            other.set_forecast(&oxon("2016-17"), month(3), "CC100", Money::from_pence(1), false, "ann").unwrap();
            import(other.as_mut(), "2016-05", "OCCG", "sha-occg", &may_rows());
            other
        });
        assert!(other.session(&token_hash("cookie")).unwrap().is_some());
        // A second import of OCC's May waits for the first.
        let (second_halfway, second_go_on, second) = paused_import(&f, "OCC", "sha-occ-corrected", 10);
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(second_halfway.try_recv().is_err() && !second.is_finished(), "it did not wait");

        go_on.send(()).unwrap();
        let first = occ.join().unwrap().unwrap();
        let ImportOutcome::Imported { import_id, rows: 20_000, .. } = first else { panic!("{first:?}") };
        second_halfway.recv().unwrap();
        second_go_on.send(()).unwrap();
        let second = second.join().unwrap().unwrap();
        assert!(
            matches!(second, ImportOutcome::Replaced { replaced_import_id, rows: 10, .. } if replaced_import_id == import_id),
            "{second:?}"
        );
        let actions = actions(f.store.as_ref());
        assert_eq!(actions, ["create-user", "login", "set-forecast", "import", "import", "replace-import"]);
        assert_eq!(f.store.imports(&oxon("2016-17")).unwrap().len(), 2);
        assert_eq!(f.store.verify_audit().unwrap(), None);
    }

    #[test]
    fn a_period_closed_while_rows_stream_in_refuses_the_import() {
        let Some(f) = Fixture::postgres("a_period_closed_while_rows") else { return };
        let (halfway, go_on, occ) = paused_import(&f, "OCC", "sha-occ", 1_000);
        halfway.recv().unwrap();
        let mut other = another_store(&f);
        finishes(move || other.close_period(OXON, period("2016-05"), "controller").unwrap());
        go_on.send(()).unwrap();
        let refused = occ.join().unwrap().unwrap_err();
        assert!(matches!(refused, StoreError::PeriodClosed(p) if p == period("2016-05")), "{refused:?}");
        assert_eq!(f.count("ledger_row"), 0);
        assert_eq!(actions(f.store.as_ref()), ["close-period"]);
    }
}
