//! The embedded backend: one SQLite file in WAL mode.

use std::path::Path;
use std::time::Duration;

use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Mapping, Period};
use pooled_core::money::Money;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::accounts::*;
use crate::audit::{AuditEntry, AuditProblem, Change, RowParts, now_utc, verify_chain};
use crate::common::*;
use crate::schema::migrate_sqlite;
use crate::{
    Actual, AgreementVersion, DocumentSave, Forecast, ImportHeader, ImportItem, ImportOutcome, ImportRecord,
    LoadOutcome, PaymentStatus, Result, Store, StoreError, StoredCostCentre, StoredDocument,
};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if need be) a database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        SqliteStore::setup(Connection::open(path)?)
    }

    /// A private database that lives as long as the store: for tests and trials.
    pub fn open_in_memory() -> Result<SqliteStore> {
        SqliteStore::setup(Connection::open_in_memory()?)
    }

    fn setup(mut conn: Connection) -> Result<SqliteStore> {
        // Another process may hold the write lock for the length of an import.
        conn.busy_timeout(Duration::from_secs(30))?;
        // WAL: readers never wait for the writer, and a crash loses no committed import.
        // The answer is `memory` for an in-memory database, which has no journal file.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if mode != "wal" && mode != "memory" {
            return Err(StoreError::Database(format!("could not switch the database to WAL (it is in {mode} mode)")));
        }
        conn.execute_batch(
            // NORMAL is durable in WAL mode but for the last commits before a power cut;
            // 64 MiB of page cache lets a large import write its pages in bulk at commit
            // rather than spill them one by one (its import rate was steadier so); the WAL
            // is cut back to 64 MiB after a checkpoint, so that a big import leaves no
            // gigabyte-sized file behind.
            "PRAGMA foreign_keys = ON;
             PRAGMA synchronous = NORMAL;
             PRAGMA cache_size = -65536;
             PRAGMA journal_size_limit = 67108864;",
        )?;
        migrate_sqlite(&mut conn)?;
        Ok(SqliteStore { conn })
    }

    /// Runs `f` in one write transaction, committed only if it succeeds. IMMEDIATE takes
    /// the write lock first, so the audit chain's tail cannot move underneath.
    fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

/// Appends the audit entry of a change inside the change's transaction; its sequence number.
fn append_audit(conn: &Connection, change: Change<'_>, at: &str) -> Result<i64> {
    let last: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let e = AuditEntry::next(last.as_ref().map(|(s, h)| (*s, h.as_str())), change, at.to_string());
    conn.execute(
        "INSERT INTO audit_log (seq, at_utc, actor, action, subject, before_text, after_text, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![e.seq, e.at, e.actor, e.action, e.subject, e.before, e.after, e.prev_hash, e.hash],
    )?;
    Ok(e.seq)
}

fn is_closed(conn: &Connection, period: Period) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM closed_period WHERE year = ?1 AND month = ?2",
            (year_key(period.year), month_key(period.month)),
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

fn versions(conn: &Connection, year: FinancialYear, latest_only: bool) -> Result<Vec<AgreementVersion>> {
    let sql = if latest_only {
        "SELECT version, agreement_id, toml, loaded_at, loaded_by, changes FROM agreement
         WHERE year = ?1 ORDER BY version DESC LIMIT 1"
    } else {
        "SELECT version, agreement_id, toml, loaded_at, loaded_by, changes FROM agreement
         WHERE year = ?1 ORDER BY version"
    };
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([year_key(year)], |r| {
        Ok((r.get::<_, i32>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
    })?;
    rows.map(|row| {
        let (version, agreement_id, text, loaded_at, loaded_by, changes) = row?;
        Ok(AgreementVersion {
            year,
            version: version_from(version)?,
            agreement_id,
            text,
            loaded_at,
            loaded_by,
            changes,
        })
    })
    .collect()
}

/// The documents that `condition` picks (`?1` is the kind), ordered by `order`.
fn find_documents(
    conn: &Connection,
    condition: &str,
    order: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredDocument>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {DOCUMENT_COLUMNS} FROM document d WHERE {condition} ORDER BY {order}"))?;
    let rows = stmt.query_map(params, |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?;
    rows.map(|row| document_from(row?)).collect()
}

/// The latest version of a document, if any.
fn current_document(conn: &Connection, kind: &str, key: &str) -> Result<Option<StoredDocument>> {
    Ok(find_documents(conn, "kind = ?1 AND key = ?2", "version DESC LIMIT 1", (kind, key))?.pop())
}

const COST_CENTRE_COLUMNS: &str =
    "code, name, partner, pool, line, budget, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12";

fn read_plan(conn: &Connection, year: FinancialYear) -> Result<Vec<StoredCostCentre>> {
    let mut stmt =
        conn.prepare(&format!("SELECT {COST_CENTRE_COLUMNS} FROM cost_centre WHERE year = ?1 ORDER BY position"))?;
    let rows = stmt.query_map([year_key(year)], |r| {
        let mut profile = [Money::ZERO; 12];
        for (i, m) in profile.iter_mut().enumerate() {
            *m = Money::from_pence(r.get(6 + i)?);
        }
        Ok(StoredCostCentre {
            code: r.get(0)?,
            name: r.get(1)?,
            partner: r.get(2)?,
            pool: r.get(3)?,
            line: r.get(4)?,
            budget: Money::from_pence(r.get(5)?),
            profile,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The partner's live import for a period, if any.
struct LiveImport {
    id: i64,
    file_name: String,
    file_sha256: String,
    rows: i64,
    total: i64,
    rows_sha256: String,
    first_row_id: i64,
    last_row_id: i64,
}

fn live_import(conn: &Connection, header: &ImportHeader) -> Result<Option<LiveImport>> {
    Ok(conn
        .query_row(
            "SELECT id, file_name, file_sha256, row_count, total, rows_sha256, first_row_id, last_row_id
             FROM ledger_import
             WHERE year = ?1 AND month = ?2 AND partner = ?3 AND replaced_by IS NULL
             ORDER BY id DESC LIMIT 1",
            (year_key(header.period.year), month_key(header.period.month), &header.partner),
            |r| {
                Ok(LiveImport {
                    id: r.get(0)?,
                    file_name: r.get(1)?,
                    file_sha256: r.get(2)?,
                    rows: r.get(3)?,
                    total: r.get(4)?,
                    rows_sha256: r.get(5)?,
                    first_row_id: r.get(6)?,
                    last_row_id: r.get(7)?,
                })
            },
        )
        .optional()?)
}

/// Streams the rows into the ledger and tallies them; the range of ids they were given.
/// SQLite numbers them itself (max + 1, so one contiguous range in this transaction),
/// which lets it append to the table without searching for each row's place.
fn insert_rows(
    tx: &Transaction<'_>,
    import_id: i64,
    rows: &mut dyn Iterator<Item = ImportItem>,
) -> Result<(TallyResult, Option<(i64, i64)>)> {
    let mut insert = tx.prepare(
        "INSERT INTO ledger_row
         (import_id, file_row, cost_centre, posted_on, amount, subjective, description, reference)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut tally = Tally::new();
    let mut first = None;
    for item in rows {
        let row: LedgerRow = match item {
            ImportItem::Row(row) => row,
            ImportItem::Abort => return Err(StoreError::ImportAborted),
        };
        let p = row_parts(&row)?;
        insert.raw_bind_parameter(1, import_id)?;
        insert.raw_bind_parameter(2, p.file_row)?;
        insert.raw_bind_parameter(3, p.cost_centre)?;
        insert.raw_bind_parameter(4, p.posted_on)?;
        insert.raw_bind_parameter(5, p.pence)?;
        insert.raw_bind_parameter(6, p.subjective)?;
        insert.raw_bind_parameter(7, p.description)?;
        insert.raw_bind_parameter(8, p.reference)?;
        insert.raw_execute()?;
        tally.add(&p);
        if first.is_none() {
            first = Some(tx.last_insert_rowid());
        }
    }
    let range = first.map(|first| (first, tx.last_insert_rowid()));
    Ok((tally.finish()?, range))
}

// ---- accounts ----

fn user_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        id: r.get(at)?,
        username: r.get(at + 1)?,
        display_name: r.get(at + 2)?,
        role: r.get(at + 3)?,
        partner: r.get(at + 4)?,
        password_hash: r.get(at + 5)?,
        disabled: r.get(at + 6)?,
    })
}

/// Adds an account's cost centres to its row.
fn complete_user(conn: &Connection, row: UserRow) -> Result<User> {
    let mut stmt = conn.prepare("SELECT code FROM user_cost_centre WHERE user_id = ?1 ORDER BY position")?;
    let codes = stmt.query_map([row.id], |r| r.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    row.into_user(codes)
}

/// The accounts that `condition` (on `app_user u`) picks, in the order they were created.
fn find_users(conn: &Connection, condition: &str, params: impl rusqlite::Params) -> Result<Vec<User>> {
    let mut stmt = conn.prepare(&format!("SELECT {USER_COLUMNS} FROM app_user u WHERE {condition} ORDER BY u.id"))?;
    let rows = stmt.query_map(params, |r| user_row(r, 0))?.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|row| complete_user(conn, row)).collect()
}

fn find_user(conn: &Connection, id: i64) -> Result<Option<User>> {
    Ok(find_users(conn, "u.id = ?1", [id])?.pop())
}

/// An account that a change is about: it must exist.
fn existing_user(conn: &Connection, id: i64) -> Result<User> {
    find_user(conn, id)?.ok_or_else(|| StoreError::NotFound(format!("there is no user {id}")))
}

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Session> {
    Ok(Session {
        id: r.get(0)?,
        user_id: r.get(1)?,
        csrf_token: r.get(2)?,
        created_at: r.get(3)?,
        expires_at: r.get(4)?,
    })
}

fn api_token_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ApiToken> {
    Ok(ApiToken { id: r.get(0)?, user_id: r.get(1)?, name: r.get(2)?, created_at: r.get(3)?, revoked_at: r.get(4)? })
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn load_agreement(
        &mut self,
        year: FinancialYear,
        agreement_id: &str,
        text: &str,
        changes: &str,
        actor: &str,
    ) -> Result<LoadOutcome> {
        self.write(|tx| {
            let current = versions(tx, year, true)?.pop();
            if let Some(c) = &current
                && c.text == text
            {
                return Ok(LoadOutcome::Unchanged { version: c.version });
            }
            let version = current.as_ref().map_or(1, |c| c.version + 1);
            let at = now_utc();
            tx.execute(
                "INSERT INTO agreement (year, version, agreement_id, toml, loaded_at, loaded_by, changes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![year_key(year), version, agreement_id, text, at, actor, changes],
            )?;
            let before = current
                .as_ref()
                .map_or(String::new(), |c| agreement_fields(c.version, &c.agreement_id, &c.text).text());
            let after = agreement_fields(version, agreement_id, text).add("changes", changes).text();
            let action = if current.is_some() { "vary-agreement" } else { "load-agreement" };
            let subject = format!("agreement {year}");
            append_audit(tx, Change { actor, action, subject, before, after }, &at)?;
            Ok(if current.is_some() { LoadOutcome::Varied { version } } else { LoadOutcome::Loaded { version } })
        })
    }

    fn agreement(&self, year: FinancialYear) -> Result<Option<AgreementVersion>> {
        Ok(versions(&self.conn, year, true)?.pop())
    }

    fn agreement_versions(&self, year: FinancialYear) -> Result<Vec<AgreementVersion>> {
        versions(&self.conn, year, false)
    }

    fn financial_years(&self) -> Result<Vec<FinancialYear>> {
        let mut stmt = self.conn.prepare("SELECT DISTINCT year FROM agreement ORDER BY year")?;
        let years = stmt.query_map([], |r| r.get::<_, i32>(0))?;
        years.map(|y| year_from(y?)).collect()
    }

    fn save_document(
        &mut self,
        kind: &str,
        key: &str,
        expected_version: Option<u32>,
        text: &str,
        actor: &str,
    ) -> Result<DocumentSave> {
        check_document_name(kind, key)?;
        self.write(|tx| {
            let current = current_document(tx, kind, key)?;
            match document_write(kind, key, expected_version, text, current.as_ref())? {
                DocumentWrite::Unchanged { version } => Ok(DocumentSave::Unchanged { version }),
                DocumentWrite::Save { version, action, subject, before, after } => {
                    let at = now_utc();
                    tx.execute(
                        "INSERT INTO document (kind, key, version, text, saved_at, saved_by)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                        params![kind, key, version, text, at, actor],
                    )?;
                    append_audit(tx, Change { actor, action: &action, subject, before, after }, &at)?;
                    Ok(DocumentSave::Saved { version })
                }
            }
        })
    }

    fn document(&self, kind: &str, key: &str) -> Result<Option<StoredDocument>> {
        current_document(&self.conn, kind, key)
    }

    fn document_versions(&self, kind: &str, key: &str) -> Result<Vec<StoredDocument>> {
        find_documents(&self.conn, "kind = ?1 AND key = ?2", "version", (kind, key))
    }

    fn documents(&self, kind: &str, key_prefix: &str) -> Result<Vec<StoredDocument>> {
        // substr and length count characters alike; no LIKE, so `%` and `_` are literal.
        find_documents(
            &self.conn,
            "kind = ?1 AND substr(key, 1, length(?2)) = ?2
             AND version = (SELECT MAX(version) FROM document m WHERE m.kind = d.kind AND m.key = d.key)",
            "key",
            (kind, key_prefix),
        )
    }

    fn save_plan(&mut self, year: FinancialYear, cost_centres: &[StoredCostCentre], actor: &str) -> Result<()> {
        self.write(|tx| {
            let old = read_plan(tx, year)?;
            tx.execute("DELETE FROM cost_centre WHERE year = ?1", [year_key(year)])?;
            let mut insert = tx.prepare(&format!(
                "INSERT INTO cost_centre (year, position, {COST_CENTRE_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)"
            ))?;
            for (position, c) in cost_centres.iter().enumerate() {
                let p = c.profile.map(Money::pence);
                insert.execute(params![
                    year_key(year),
                    position as i64,
                    c.code,
                    c.name,
                    c.partner,
                    c.pool,
                    c.line,
                    c.budget.pence(),
                    p[0],
                    p[1],
                    p[2],
                    p[3],
                    p[4],
                    p[5],
                    p[6],
                    p[7],
                    p[8],
                    p[9],
                    p[10],
                    p[11]
                ])?;
            }
            let (before, after) = plan_texts(&old, cost_centres);
            let change = Change { actor, action: "save-plan", subject: format!("plan {year}"), before, after };
            append_audit(tx, change, &now_utc())?;
            Ok(())
        })
    }

    fn plan(&self, year: FinancialYear) -> Result<Vec<StoredCostCentre>> {
        read_plan(&self.conn, year)
    }

    fn save_mapping(&mut self, partner: &str, mapping: &Mapping, actor: &str) -> Result<()> {
        self.write(|tx| {
            let before: Option<String> =
                tx.query_row("SELECT toml FROM mapping WHERE partner = ?1", [partner], |r| r.get(0)).optional()?;
            let after = mapping.to_toml();
            tx.execute(
                "INSERT INTO mapping (partner, toml) VALUES (?1, ?2)
                 ON CONFLICT (partner) DO UPDATE SET toml = excluded.toml",
                (partner, &after),
            )?;
            let change = Change {
                actor,
                action: "save-mapping",
                subject: format!("mapping {partner}"),
                before: before.unwrap_or_default(),
                after,
            };
            append_audit(tx, change, &now_utc())?;
            Ok(())
        })
    }

    fn mapping(&self, partner: &str) -> Result<Option<Mapping>> {
        let toml: Option<String> =
            self.conn.query_row("SELECT toml FROM mapping WHERE partner = ?1", [partner], |r| r.get(0)).optional()?;
        toml.map(|t| parse_mapping(partner, &t)).transpose()
    }

    fn import_ledger(
        &mut self,
        header: &ImportHeader,
        rows: &mut dyn Iterator<Item = ImportItem>,
    ) -> Result<ImportOutcome> {
        self.write(|tx| {
            if is_closed(tx, header.period)? {
                return Err(StoreError::PeriodClosed(header.period));
            }
            let previous = live_import(tx, header)?;
            if let Some(p) = &previous
                && p.file_sha256 == header.file_sha256
            {
                return Ok(ImportOutcome::Unchanged { import_id: p.id });
            }
            let import_id: i64 =
                tx.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_import", [], |r| r.get(0))?;
            let (tally, range) = insert_rows(tx, import_id, rows)?;
            // An empty import has the empty range (0, -1).
            let (first_row_id, last_row_id) = range.unwrap_or((0, -1));
            let at = now_utc();
            let before = match &previous {
                Some(p) => {
                    tx.execute("DELETE FROM ledger_row WHERE id BETWEEN ?1 AND ?2", (p.first_row_id, p.last_row_id))?;
                    tx.execute("DELETE FROM actual WHERE import_id = ?1", [p.id])?;
                    replaced_text(p.id, &p.file_name, &p.file_sha256, p.rows, p.total, &p.rows_sha256)
                }
                None => String::new(),
            };
            let change = Change {
                actor: &header.actor,
                action: if previous.is_some() { "replace-import" } else { "import" },
                subject: ledger_subject(header),
                before,
                after: import_text(import_id, header, &tally),
            };
            let seq = append_audit(tx, change, &at)?;
            tx.execute(
                "INSERT INTO ledger_import (id, year, month, partner, file_name, file_sha256, row_count, total,
                 rows_sha256, first_row_id, last_row_id, imported_at, imported_by, audit_seq)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params![
                    import_id,
                    year_key(header.period.year),
                    month_key(header.period.month),
                    header.partner,
                    header.file_name,
                    header.file_sha256,
                    tally.rows as i64,
                    tally.total.pence(),
                    tally.rows_sha256,
                    first_row_id,
                    last_row_id,
                    at,
                    header.actor,
                    seq
                ],
            )?;
            let mut summary = tx.prepare(
                "INSERT INTO actual (import_id, cost_centre, amount, row_count, row_list)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for cc in &tally.by_cost_centre {
                summary.execute(params![import_id, cc.cost_centre, cc.amount.pence(), cc.rows as i64, cc.row_list])?;
            }
            Ok(match previous {
                Some(p) => {
                    tx.execute("UPDATE ledger_import SET replaced_by = ?1 WHERE id = ?2", (import_id, p.id))?;
                    ImportOutcome::Replaced {
                        import_id,
                        rows: tally.rows,
                        total: tally.total,
                        replaced_import_id: p.id,
                        replaced_rows: count_from(p.rows)?,
                    }
                }
                None => ImportOutcome::Imported { import_id, rows: tally.rows, total: tally.total },
            })
        })
    }

    fn imports(&self, year: FinancialYear) -> Result<Vec<ImportRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, month, partner, file_name, file_sha256, row_count, total, imported_at, imported_by
             FROM ledger_import WHERE year = ?1 AND replaced_by IS NULL ORDER BY month, partner, id",
        )?;
        let rows = stmt.query_map([year_key(year)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, i64>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
            ))
        })?;
        rows.map(|row| {
            let (import_id, month, partner, file_name, file_sha256, rows, total, imported_at, imported_by) = row?;
            Ok(ImportRecord {
                import_id,
                period: Period { year, month: month_from(month)? },
                partner,
                file_name,
                file_sha256,
                rows: count_from(rows)?,
                total: Money::from_pence(total),
                imported_at,
                imported_by,
                replaced: false,
            })
        })
        .collect()
    }

    fn actuals(&self, year: FinancialYear) -> Result<Vec<Actual>> {
        let mut stmt = self.conn.prepare(
            "SELECT a.cost_centre, i.month, SUM(a.amount), SUM(a.row_count)
             FROM ledger_import i JOIN actual a ON a.import_id = i.id
             WHERE i.year = ?1 AND i.replaced_by IS NULL
             GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month",
        )?;
        let rows = stmt.query_map([year_key(year)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?, r.get::<_, i64>(2)?, r.get::<_, i64>(3)?))
        })?;
        rows.map(|row| {
            let (cost_centre, month, amount, n) = row?;
            Ok(Actual {
                cost_centre,
                month: month_from(month)?,
                amount: Money::from_pence(amount),
                rows: count_from(n)?,
            })
        })
        .collect()
    }

    fn ledger_rows(&self, year: FinancialYear, cost_centre: &str, limit: u32) -> Result<Vec<LedgerRow>> {
        let mut lists = self.conn.prepare(
            "SELECT i.first_row_id, a.row_list FROM ledger_import i JOIN actual a ON a.import_id = i.id
             WHERE i.year = ?1 AND i.replaced_by IS NULL AND a.cost_centre = ?2
             ORDER BY i.month, i.partner, i.id",
        )?;
        let mut lists = lists.query((year_key(year), cost_centre))?;
        let mut fetch = self.conn.prepare(
            "SELECT file_row, cost_centre, posted_on, amount, subjective, description, reference
             FROM ledger_row WHERE id = ?1",
        )?;
        let mut out = Vec::new();
        while let Some(list) = lists.next()? {
            let first: i64 = list.get(0)?;
            for offset in row_offsets(list.get_ref(1)?.as_blob().map_err(|e| StoreError::Database(e.to_string()))?) {
                if out.len() >= limit as usize {
                    return Ok(out);
                }
                let id = i64::try_from(offset).ok().and_then(|o| first.checked_add(o));
                let row = fetch
                    .query_row([id], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, i32>(2)?,
                            r.get::<_, i64>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, String>(6)?,
                        ))
                    })
                    .optional()?;
                // A listed row that is gone means an edited database; verify_audit names it.
                let Some((file_row, cost_centre, posted_on, amount, subjective, description, reference)) = row else {
                    continue;
                };
                out.push(LedgerRow {
                    row: count_from(file_row)?,
                    cost_centre,
                    date: date_from(posted_on)?,
                    amount: Money::from_pence(amount),
                    subjective,
                    description,
                    reference,
                });
            }
        }
        Ok(out)
    }

    fn close_period(&mut self, period: Period, actor: &str) -> Result<()> {
        self.write(|tx| {
            if is_closed(tx, period)? {
                return Ok(());
            }
            let at = now_utc();
            tx.execute(
                "INSERT INTO closed_period (year, month, closed_at, closed_by) VALUES (?1, ?2, ?3, ?4)",
                params![year_key(period.year), month_key(period.month), at, actor],
            )?;
            let change = Change {
                actor,
                action: "close-period",
                subject: period_subject(period),
                before: Fields::default().add("status", "open").text(),
                after: Fields::default().add("status", "closed").text(),
            };
            append_audit(tx, change, &at)?;
            Ok(())
        })
    }

    fn closed_periods(&self, year: FinancialYear) -> Result<Vec<Period>> {
        let mut stmt = self.conn.prepare("SELECT month FROM closed_period WHERE year = ?1 ORDER BY month")?;
        let months = stmt.query_map([year_key(year)], |r| r.get::<_, i32>(0))?;
        months.map(|m| Ok(Period { year, month: month_from(m?)? })).collect()
    }

    fn set_forecast(
        &mut self,
        year: FinancialYear,
        month: FiscalMonth,
        cost_centre: &str,
        outturn: Money,
        actor: &str,
    ) -> Result<()> {
        self.write(|tx| {
            let period = Period { year, month };
            if is_closed(tx, period)? {
                return Err(StoreError::PeriodClosed(period));
            }
            let key = (year_key(year), month_key(month), cost_centre);
            let before: Option<i64> = tx
                .query_row(
                    "SELECT outturn FROM forecast WHERE year = ?1 AND month = ?2 AND cost_centre = ?3",
                    key,
                    |r| r.get(0),
                )
                .optional()?;
            let at = now_utc();
            tx.execute(
                "INSERT INTO forecast (year, month, cost_centre, outturn, entered_by, entered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (year, month, cost_centre) DO UPDATE
                 SET outturn = excluded.outturn, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                params![key.0, key.1, key.2, outturn.pence(), actor, at],
            )?;
            let change = Change {
                actor,
                action: "set-forecast",
                subject: format!("forecast {year} {month} {cost_centre}"),
                before: before.map_or(String::new(), |p| forecast_text(Money::from_pence(p))),
                after: forecast_text(outturn),
            };
            append_audit(tx, change, &at)?;
            Ok(())
        })
    }

    fn forecasts(&self, year: FinancialYear) -> Result<Vec<Forecast>> {
        let mut stmt = self.conn.prepare(
            "SELECT cost_centre, month, outturn, entered_by, entered_at FROM forecast
             WHERE year = ?1 ORDER BY month, cost_centre",
        )?;
        let rows = stmt.query_map([year_key(year)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?, r.get::<_, i64>(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.map(|row| {
            let (cost_centre, month, outturn, entered_by, entered_at) = row?;
            Ok(Forecast {
                cost_centre,
                month: month_from(month)?,
                outturn: Money::from_pence(outturn),
                entered_by,
                entered_at,
            })
        })
        .collect()
    }

    fn record_payment(&mut self, year: FinancialYear, status: &PaymentStatus, actor: &str) -> Result<()> {
        self.write(|tx| {
            let key = (year_key(year), &status.pool, &status.from, month_key(status.month));
            let before: Option<(Option<i32>, Option<i32>)> = tx
                .query_row(
                    "SELECT raised_on, paid_on FROM payment
                     WHERE year = ?1 AND pool = ?2 AND from_partner = ?3 AND month = ?4",
                    key,
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let before = match before {
                Some((raised, paid)) => {
                    payment_text(raised.map(date_from).transpose()?, paid.map(date_from).transpose()?)
                }
                None => String::new(),
            };
            tx.execute(
                "INSERT INTO payment (year, pool, from_partner, month, raised_on, paid_on)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (year, pool, from_partner, month) DO UPDATE
                 SET raised_on = excluded.raised_on, paid_on = excluded.paid_on",
                params![key.0, key.1, key.2, key.3, status.raised_on.map(date_key), status.paid_on.map(date_key)],
            )?;
            let change = Change {
                actor,
                action: "record-payment",
                subject: format!("payment {year} {} from {} {}", status.pool, status.from, status.month),
                before,
                after: payment_text(status.raised_on, status.paid_on),
            };
            append_audit(tx, change, &now_utc())?;
            Ok(())
        })
    }

    fn payments(&self, year: FinancialYear) -> Result<Vec<PaymentStatus>> {
        let mut stmt = self.conn.prepare(
            "SELECT pool, from_partner, month, raised_on, paid_on FROM payment
             WHERE year = ?1 ORDER BY pool, from_partner, month",
        )?;
        let rows = stmt.query_map([year_key(year)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, i32>(2)?, r.get(3)?, r.get(4)?))
        })?;
        rows.map(|row| {
            let (pool, from, month, raised, paid): (String, String, i32, Option<i32>, Option<i32>) = row?;
            Ok(PaymentStatus {
                pool,
                from,
                month: month_from(month)?,
                raised_on: raised.map(date_from).transpose()?,
                paid_on: paid.map(date_from).transpose()?,
            })
        })
        .collect()
    }

    fn create_user(&mut self, user: &NewUser, actor: &str) -> Result<i64> {
        check_new_user(user)?;
        self.write(|tx| {
            let key = username_key(&user.username);
            // The write lock is held: nobody can take the name between this check and the insert.
            if !find_users(tx, "u.username_key = ?1", [&key])?.is_empty() {
                return Err(duplicate_user(&user.username));
            }
            let at = now_utc();
            tx.execute(
                "INSERT INTO app_user
                 (username, username_key, display_name, role, partner, password_hash, disabled, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    user.username,
                    key,
                    user.display_name,
                    user.role.name(),
                    user.partner,
                    user.password_hash,
                    user.disabled,
                    at
                ],
            )?;
            let id = tx.last_insert_rowid();
            let mut insert =
                tx.prepare("INSERT INTO user_cost_centre (user_id, position, code) VALUES (?1, ?2, ?3)")?;
            for (position, code) in user.cost_centres.iter().enumerate() {
                insert.execute(params![id, position as i64, code])?;
            }
            let change = Change {
                actor,
                action: "create-user",
                subject: user_subject(&user.username),
                before: String::new(),
                after: user_text(user),
            };
            append_audit(tx, change, &at)?;
            Ok(id)
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        find_user(&self.conn, id)
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        Ok(find_users(&self.conn, "u.username_key = ?1", [username_key(username)])?.pop())
    }

    fn users(&self) -> Result<Vec<User>> {
        find_users(&self.conn, "1 = 1", [])
    }

    fn set_password_hash(&mut self, user_id: i64, password_hash: &str, actor: &str) -> Result<()> {
        check_password_hash(password_hash)?;
        self.write(|tx| {
            let user = existing_user(tx, user_id)?;
            tx.execute("UPDATE app_user SET password_hash = ?1 WHERE id = ?2", params![password_hash, user_id])?;
            // Whoever knew the old password is signed out everywhere.
            tx.execute("DELETE FROM session WHERE user_id = ?1", [user_id])?;
            append_audit(tx, password_change(actor, &user.username), &now_utc())?;
            Ok(())
        })
    }

    fn set_user_disabled(&mut self, user_id: i64, disabled: bool, actor: &str) -> Result<()> {
        self.write(|tx| {
            let user = existing_user(tx, user_id)?;
            if user.disabled == disabled {
                return Ok(());
            }
            tx.execute("UPDATE app_user SET disabled = ?1 WHERE id = ?2", params![disabled, user_id])?;
            append_audit(tx, disabled_change(actor, &user.username, disabled), &now_utc())?;
            Ok(())
        })
    }

    fn create_session(&mut self, session: &NewSession) -> Result<()> {
        check_time("the session's creation time", &session.created_at)?;
        check_time("the session's expiry time", &session.expires_at)?;
        self.write(|tx| {
            let user = enabled_user(existing_user(tx, session.user_id)?)?;
            tx.execute(
                "INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session.token_hash,
                    session.user_id,
                    session.csrf_token,
                    session.created_at,
                    session.expires_at
                ],
            )?;
            append_audit(tx, login_change(tx.last_insert_rowid(), &user.username, session), &now_utc())?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM session s JOIN app_user u ON u.id = s.user_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND NOT u.disabled"
                ),
                params![token_hash, now_utc()],
                |r| Ok((session_row(r)?, user_row(r, 5)?)),
            )
            .optional()?;
        found.map(|(session, user)| Ok((session, complete_user(&self.conn, user)?))).transpose()
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.write(|tx| {
            let found: Option<(i64, String)> = tx
                .query_row(
                    "SELECT s.id, u.username FROM session s JOIN app_user u ON u.id = s.user_id
                     WHERE s.token_hash = ?1",
                    [token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((id, username)) = found else { return Ok(()) };
            tx.execute("DELETE FROM session WHERE id = ?1", [id])?;
            append_audit(tx, logout_change(id, &username), &now_utc())?;
            Ok(())
        })
    }

    fn delete_expired_sessions(&mut self, now: &str) -> Result<u64> {
        check_time("now", now)?;
        self.write(|tx| {
            let deleted = tx.execute("DELETE FROM session WHERE expires_at <= ?1", [now])? as u64;
            if deleted > 0 {
                append_audit(tx, expired_sessions_change(now, deleted), &now_utc())?;
            }
            Ok(deleted)
        })
    }

    fn record_login_attempt(&mut self, username: &str, succeeded: bool, at: &str) -> Result<()> {
        check_time("the attempt's time", at)?;
        // One statement is its own transaction; there is no audit entry to go with it.
        self.conn.execute(
            "INSERT INTO login_attempt (username_key, succeeded, at_utc) VALUES (?1, ?2, ?3)",
            params![username_key(username), succeeded, at],
        )?;
        Ok(())
    }

    fn recent_login_failures(&self, username: &str, since: &str) -> Result<u32> {
        check_time("the window's start", since)?;
        let failures: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM login_attempt
             WHERE username_key = ?1 AND NOT succeeded AND at_utc >= ?2
             AND id > COALESCE((SELECT MAX(id) FROM login_attempt WHERE username_key = ?1 AND succeeded), 0)",
            params![username_key(username), since],
            |r| r.get(0),
        )?;
        Ok(failure_count(failures))
    }

    fn create_api_token(&mut self, token: &NewApiToken, actor: &str) -> Result<i64> {
        check_time("the token's creation time", &token.created_at)?;
        self.write(|tx| {
            let user = enabled_user(existing_user(tx, token.user_id)?)?;
            tx.execute(
                "INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![token.user_id, token.name, token.token_hash, token.created_at],
            )?;
            let id = tx.last_insert_rowid();
            append_audit(tx, api_token_change(actor, id, &user.username, &token.name), &now_utc())?;
            Ok(id)
        })
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>> {
        let found = self
            .conn
            .query_row(
                &format!(
                    "SELECT {API_TOKEN_COLUMNS}, {USER_COLUMNS} FROM api_token t JOIN app_user u ON u.id = t.user_id
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND NOT u.disabled"
                ),
                [token_hash],
                |r| Ok((api_token_row(r)?, user_row(r, 5)?)),
            )
            .optional()?;
        found.map(|(token, user)| Ok((token, complete_user(&self.conn, user)?))).transpose()
    }

    fn revoke_api_token(&mut self, id: i64, actor: &str) -> Result<()> {
        self.write(|tx| {
            let found: Option<(bool, String)> = tx
                .query_row(
                    "SELECT t.revoked_at IS NOT NULL, u.username FROM api_token t JOIN app_user u ON u.id = t.user_id
                     WHERE t.id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let Some((revoked, username)) = found else { return Err(no_api_token(id)) };
            if revoked {
                return Ok(());
            }
            let at = now_utc();
            tx.execute("UPDATE api_token SET revoked_at = ?1 WHERE id = ?2", params![at, id])?;
            append_audit(tx, revoke_change(actor, id, &username), &at)?;
            Ok(())
        })
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let mut stmt = self
            .conn
            .prepare(&format!("SELECT {API_TOKEN_COLUMNS} FROM api_token t WHERE t.user_id = ?1 ORDER BY t.id"))?;
        Ok(stmt.query_map([user_id], api_token_row)?.collect::<rusqlite::Result<_>>()?)
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at_utc, actor, action, subject, before_text, after_text, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                subject: r.get(4)?,
                before: r.get(5)?,
                after: r.get(6)?,
                prev_hash: r.get(7)?,
                hash: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn last_change(&self) -> Result<i64> {
        Ok(self.conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM audit_log", [], |r| r.get(0))?)
    }

    fn verify_audit(&self) -> Result<Option<AuditProblem>> {
        // One read transaction: the log and the ledger are checked as of one moment.
        let tx = self.conn.unchecked_transaction()?;
        let log = self.audit_log()?;
        if let Some(problem) = verify_chain(&log) {
            return Ok(Some(problem));
        }
        let mut stmt = tx.prepare("SELECT id, audit_seq FROM ledger_import WHERE replaced_by IS NULL ORDER BY id")?;
        let live = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<Vec<_>>>()?;
        check_imports(&log, &live, |id| stored_import(&tx, id))
    }
}

fn text<'r>(r: &'r rusqlite::Row<'_>, column: usize) -> Result<&'r str> {
    r.get_ref(column)?.as_str().map_err(|e| StoreError::Database(format!("ledger_row column {column}: {e}")))
}

/// An import's rows, re-read in order and re-tallied, and its stored summary.
fn stored_import(conn: &Connection, import_id: i64) -> Result<Option<StoredImport>> {
    let found: Option<(i64, i64, bool)> = conn
        .query_row(
            "SELECT first_row_id, last_row_id, replaced_by IS NOT NULL FROM ledger_import WHERE id = ?1",
            [import_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((first, last, replaced)) = found else { return Ok(None) };
    let mut tally = Tally::new();
    let mut stmt = conn.prepare(
        "SELECT file_row, cost_centre, posted_on, amount, subjective, description, reference
         FROM ledger_row WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
    )?;
    let mut rows = stmt.query((first, last))?;
    while let Some(r) = rows.next()? {
        // Borrowed text: re-reading ten million rows allocates nothing per row.
        tally.add(&RowParts {
            file_row: r.get(0)?,
            cost_centre: text(r, 1)?,
            posted_on: r.get(2)?,
            pence: r.get(3)?,
            subjective: text(r, 4)?,
            description: text(r, 5)?,
            reference: text(r, 6)?,
        });
    }
    let mut stmt = conn.prepare("SELECT cost_centre, amount, row_count, row_list FROM actual WHERE import_id = ?1")?;
    let summary = stmt.query_map([import_id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?, r.get::<_, Vec<u8>>(3)?))
    })?;
    let mut summary = summary
        .map(|s| {
            let (cost_centre, amount, rows, row_list) = s?;
            Ok(CostCentreSum { cost_centre, amount: Money::from_pence(amount), rows: count_from(rows)?, row_list })
        })
        .collect::<Result<Vec<_>>>()?;
    summary.sort();
    Ok(Some(StoredImport { replaced, from_rows: tally.finish()?, summary }))
}
