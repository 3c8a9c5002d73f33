//! The store's rules, written once over [`Backend`]: what each method reads and writes,
//! in which transaction, under which lock, with which audit entry.

use std::cell::RefCell;

use jiff::Timestamp;
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::diagnostic::excerpt;
use pooled_core::ledger::{LedgerRow, Mapping, Period};
use pooled_core::money::Money;
use pooled_core::payments::EntryKind;
use pooled_core::savings::SavingFigure;

use crate::accounts::*;
use crate::audit::{
    Area, AuditEntry, AuditHead, AuditProblem, Change, RowParts, check_recorded_head, now_utc, verify_chain,
    verify_published,
};
use crate::common::*;
use crate::schema::migrate;
use crate::sql::{Backend, Conn, Lock, Param, Row, corrupt, params};
use crate::{
    Actual, AgreementSummary, AgreementVersion, AgreementYear, Approval, DocumentSave, Forecast, ImportHeader,
    ImportItem, ImportOutcome, ImportRecord, LoadOutcome, MetricEntry, PaymentEntry, Result, SavingRecord, Store,
    StoreError, StoredCostCentre, StoredDocument, StoredMetric, StoredStatement,
};
use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_core::metrics::{Decimal, Figure, FigureKind, MetricPeriod};

/// The store on one database connection: [`crate::SqliteStore`] or [`crate::PostgresStore`].
pub struct SqlStore<B> {
    // The trait reads through `&self`, while a connection needs `&mut` for every statement.
    conn: RefCell<Conn<B>>,
}

impl<B: Backend> SqlStore<B> {
    /// The store on an opened connection, its schema brought up to date.
    pub(crate) fn new(db: B) -> Result<SqlStore<B>> {
        let mut conn = Conn::new(db);
        migrate(&mut conn)?;
        Ok(SqlStore { conn: RefCell::new(conn) })
    }

    /// Runs `work` on the connection, outside any transaction of its own.
    fn read<T>(&self, work: impl FnOnce(&mut Conn<B>) -> Result<T>) -> Result<T> {
        work(&mut self.conn.borrow_mut())
    }

    /// Runs `work` in one transaction taking `lock` (a savepoint inside an open one).
    fn atomically<T>(&self, lock: Lock<'_>, work: impl FnOnce(&mut Conn<B>) -> Result<T>) -> Result<T> {
        self.conn.borrow_mut().transaction(lock, work)
    }
}

/// Appends the audit entry of a change inside the change's transaction (which holds
/// [`Lock::Writes`]); its sequence number. The entry follows the head kept apart from the
/// log, which it moves on: had the last entries been removed, the new one leaves a gap
/// that `verify_audit` names rather than taking their place. A change to the records
/// moves the stamp that [`Store::last_change`] reads.
fn append_audit<B: Backend>(c: &mut Conn<B>, change: Change<'_>, at: Timestamp) -> Result<i64> {
    let head = c.row("SELECT seq, hash FROM audit_head", &[], |r| Ok((r.i64(0)?, r.string(1)?)))?.ok_or_else(|| {
        StoreError::Database("the audit log's head is missing: `pooled audit verify` says more".into())
    })?;
    let area = change.area;
    let prev = (head.0 > 0).then_some((head.0, head.1.as_str()));
    let e = AuditEntry::next(prev, change, at);
    c.execute(
        "INSERT INTO audit_log (seq, at_utc, actor, action, subject, before_text, after_text, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        params![e.seq, e.at, &e.actor, &e.action, &e.subject, &e.before, &e.after, &e.prev_hash, &e.hash],
    )?;
    c.execute("UPDATE audit_head SET seq = $1, hash = $2", params![e.seq, &e.hash])?;
    if area == Area::Records {
        c.execute("UPDATE change_stamp SET seq = $1", params![e.seq])?;
    }
    Ok(e.seq)
}

fn records_change<'a>(actor: &'a str, action: &'a str, subject: String, before: String, after: String) -> Change<'a> {
    Change { area: Area::Records, actor, action, subject, before, after }
}

fn is_closed<B: Backend>(c: &mut Conn<B>, agreement: &str, period: Period) -> Result<bool> {
    let sql = "SELECT 1 FROM closed_period WHERE agreement_id = $1 AND year = $2 AND month = $3";
    Ok(c.row(sql, params![agreement, period.year, period.month], |_| Ok(()))?.is_some())
}

fn versions<B: Backend>(
    c: &mut Conn<B>,
    agreement: &AgreementYear,
    latest_only: bool,
) -> Result<Vec<AgreementVersion>> {
    let order = if latest_only { "version DESC LIMIT 1" } else { "version" };
    let sql = format!(
        "SELECT version, agreement_id, toml, loaded_at, loaded_by, changes, effective, approved_by, payments_recorded
         FROM agreement WHERE agreement_id = $1 AND year = $2 ORDER BY {order}"
    );
    c.rows(&sql, params![&agreement.agreement, agreement.year], |r| {
        Ok(AgreementVersion {
            year: agreement.year,
            version: r.version(0)?,
            agreement_id: r.string(1)?,
            text: r.string(2)?,
            loaded_at: r.time(3)?,
            loaded_by: r.string(4)?,
            changes: r.string(5)?,
            approval: Approval { effective: r.opt_date(6)?, approved_by: r.opt_string(7)? },
            payments_recorded: r.count(8)?,
        })
    })
}

/// The next version after `current`, within the schema's INTEGER.
fn next_version(current: Option<u32>, what: &str) -> Result<u32> {
    match current {
        None => Ok(1),
        Some(v) => v
            .checked_add(1)
            .filter(|v| i32::try_from(*v).is_ok())
            .ok_or_else(|| StoreError::Invalid(format!("{what} has too many versions"))),
    }
}

/// The documents that `condition` (on `document d`, `$1` the kind) picks, ordered by `order`.
fn find_documents<B: Backend>(
    c: &mut Conn<B>,
    condition: &str,
    order: &str,
    params: &[Param<'_>],
) -> Result<Vec<StoredDocument>> {
    let sql = format!("SELECT {DOCUMENT_COLUMNS} FROM document d WHERE {condition} ORDER BY {order}");
    c.rows(&sql, params, |r| {
        Ok(StoredDocument {
            kind: r.string(0)?,
            key: r.string(1)?,
            version: r.version(2)?,
            text: r.string(3)?,
            saved_at: r.time(4)?,
            saved_by: r.string(5)?,
        })
    })
}

/// The latest version of a document, if any.
fn current_document<B: Backend>(c: &mut Conn<B>, kind: &str, key: &str) -> Result<Option<StoredDocument>> {
    Ok(find_documents(c, "kind = $1 AND key = $2", "version DESC LIMIT 1", params![kind, key])?.pop())
}

const MAPPING_TOML: &str = "SELECT toml FROM mapping WHERE agreement_id = $1 AND partner = $2";

const COST_CENTRE_COLUMNS: &str =
    "code, name, partner, pool, line, budget, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12";

fn read_plan<B: Backend>(c: &mut Conn<B>, agreement: &AgreementYear) -> Result<Vec<StoredCostCentre>> {
    let sql = format!(
        "SELECT {COST_CENTRE_COLUMNS} FROM cost_centre WHERE agreement_id = $1 AND year = $2 ORDER BY position"
    );
    c.rows(&sql, params![&agreement.agreement, agreement.year], |r| {
        let mut profile = [Money::ZERO; 12];
        for (i, m) in profile.iter_mut().enumerate() {
            *m = r.money(6 + i)?;
        }
        Ok(StoredCostCentre {
            code: r.string(0)?,
            name: r.string(1)?,
            partner: r.string(2)?,
            pool: r.string(3)?,
            line: r.string(4)?,
            budget: r.money(5)?,
            profile,
        })
    })
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

fn live_import<B: Backend>(c: &mut Conn<B>, header: &ImportHeader) -> Result<Option<LiveImport>> {
    c.row(
        "SELECT id, file_name, file_sha256, row_count, total, rows_sha256, first_row_id, last_row_id
         FROM ledger_import
         WHERE agreement_id = $1 AND year = $2 AND month = $3 AND partner = $4 AND replaced_by IS NULL
         ORDER BY id DESC LIMIT 1",
        params![&header.agreement, header.period.year, header.period.month, &header.partner],
        |r| {
            Ok(LiveImport {
                id: r.i64(0)?,
                file_name: r.string(1)?,
                file_sha256: r.string(2)?,
                rows: r.i64(3)?,
                total: r.i64(4)?,
                rows_sha256: r.string(5)?,
                first_row_id: r.i64(6)?,
                last_row_id: r.i64(7)?,
            })
        },
    )
}

const LEDGER_ROW_COLUMNS: &str = "file_row, cost_centre, posted_on, amount, subjective, description, reference";

fn ledger_row(r: &dyn Row) -> Result<LedgerRow> {
    Ok(LedgerRow {
        row: r.count(0)?,
        cost_centre: r.string(1)?,
        date: r.date(2)?,
        amount: r.money(3)?,
        subjective: r.string(4)?,
        description: r.string(5)?,
        reference: r.string(6)?,
    })
}

/// Ids asked for at once with `id IN (...)`: well within both databases' limits.
const IDS_AT_ONCE: usize = 500;

/// Ledger row ids read by one statement when an import is read back whole.
const ROW_IDS_AT_ONCE: i64 = 50_000;

/// An import's rows, re-read in order and re-tallied, its stored summary and its record in
/// the import table. The rows are read a range of ids at a time: memory does not grow
/// with the import.
fn stored_import<B: Backend>(c: &mut Conn<B>, import_id: i64) -> Result<Option<StoredImport>> {
    let sql = "SELECT first_row_id, last_row_id, replaced_by IS NOT NULL, year, month, partner, file_name,
               file_sha256, row_count, total, rows_sha256, imported_at, imported_by, audit_seq, agreement_id
               FROM ledger_import WHERE id = $1";
    let found = c.row(sql, params![import_id], |r| {
        let record = ImportTableRecord {
            text: ImportSummary {
                import_id,
                agreement: r.str(14)?,
                period: period_text(r.i64(3)?, r.i64(4)?),
                partner: r.str(5)?,
                file_name: r.str(6)?,
                file_sha256: r.str(7)?,
                rows: r.i64(8)?.into(),
                total: Money::from_pence(r.i64(9)?),
                rows_sha256: r.str(10)?,
            }
            .text(),
            imported_at: r.string(11)?,
            imported_by: r.string(12)?,
            audit_seq: r.i64(13)?,
        };
        Ok((r.i64(0)?, r.i64(1)?, r.bool(2)?, record))
    })?;
    let Some((first, last, replaced, record)) = found else {
        return Ok(None);
    };
    let mut tally = RowTally::new();
    let sql = format!("SELECT {LEDGER_ROW_COLUMNS} FROM ledger_row WHERE id BETWEEN $1 AND $2 ORDER BY id");
    let mut from = first;
    while from <= last {
        let to = from.saturating_add(ROW_IDS_AT_ONCE - 1).min(last);
        c.run(&sql, params![from, to], &mut |r| {
            tally.add(&RowParts {
                file_row: r.i64(0)?,
                cost_centre: r.str(1)?,
                posted_on: r.i32(2)?,
                pence: r.i64(3)?,
                subjective: r.str(4)?,
                description: r.str(5)?,
                reference: r.str(6)?,
            });
            Ok(())
        })?;
        match to.checked_add(1) {
            Some(next) => from = next,
            None => break,
        }
    }
    let sql = "SELECT cost_centre, amount, row_count, row_list FROM actual WHERE import_id = $1";
    let mut summary = c.rows(sql, params![import_id], |r| {
        Ok(CostCentreSum {
            cost_centre: r.string(0)?,
            amount: r.money(1)?,
            rows: r.count(2)?,
            row_list: r.bytes(3)?.to_vec(),
        })
    })?;
    // Sorted here, not in SQL: PostgreSQL's collation need not be byte order.
    summary.sort();
    Ok(Some(StoredImport { replaced, from_rows: tally.finish()?, summary, record }))
}

/// An import's period as its audit text names it (`2016-05`), or as found when the table
/// holds no such period.
fn period_text(year: i64, month: i64) -> String {
    let financial_year = i32::try_from(year).ok().and_then(FinancialYear::starting);
    let fiscal_month = u32::try_from(month).ok().and_then(FiscalMonth::new);
    match (financial_year, fiscal_month) {
        (Some(year), Some(month)) => Period { year, month }.to_string(),
        _ => format!("year {year} month {month}"),
    }
}

/// The first ledger row that no live import holds (its id in none of their ranges): one
/// added outside an import, or left in the range of an import since replaced. Each gap
/// between the live ranges is probed by the primary key, so this costs a lookup per import.
fn stray_ledger_row<B: Backend>(c: &mut Conn<B>, head: i64) -> Result<Option<AuditProblem>> {
    let sql = "SELECT first_row_id, last_row_id FROM ledger_import
               WHERE replaced_by IS NULL AND first_row_id <= last_row_id ORDER BY first_row_id";
    let ranges = c.rows(sql, &[], |r| Ok((r.i64(0)?, r.i64(1)?)))?;
    // Gaps as inclusive ranges of ids; `next` is the lowest id no range so far holds.
    let mut gaps = Vec::with_capacity(ranges.len() + 1);
    let mut next = Some(i64::MIN);
    for (first, last) in ranges {
        let Some(lowest) = next else { break };
        if first > lowest {
            gaps.push((lowest, first - 1));
        }
        if last >= lowest {
            next = last.checked_add(1);
        }
    }
    gaps.extend(next.map(|lowest| (lowest, i64::MAX)));
    let probe = "SELECT id, cost_centre, amount FROM ledger_row WHERE id BETWEEN $1 AND $2 ORDER BY id LIMIT 1";
    for (from, to) in gaps {
        let Some((id, cost_centre, amount)) =
            c.row(probe, params![from, to], |r| Ok((r.i64(0)?, r.string(1)?, r.money(2)?)))?
        else {
            continue;
        };
        let replaced = c.row(
            "SELECT id, replaced_by FROM ledger_import WHERE first_row_id <= $1 AND last_row_id >= $1
             AND replaced_by IS NOT NULL",
            params![id],
            |r| Ok((r.i64(0)?, r.i64(1)?)),
        )?;
        let row = format!("ledger row {id} (cost centre {}, {})", excerpt(&cost_centre), amount.to_plain_string());
        let reason = match replaced {
            Some((old, new)) => format!(
                "{row} is among the rows of import {old}, which import {new} replaced, deleting them: it was \
                 added since, outside an import"
            ),
            None => format!("{row} belongs to no import: it was added outside an import"),
        };
        return Ok(Some(AuditProblem { seq: head, reason }));
    }
    Ok(None)
}

fn audit_entries<B: Backend>(c: &mut Conn<B>) -> Result<Vec<AuditEntry>> {
    c.rows(
        "SELECT seq, at_utc, actor, action, subject, before_text, after_text, prev_hash, hash
         FROM audit_log ORDER BY seq",
        &[],
        |r| {
            let seq = r.i64(0)?;
            let at = r.time(1).map_err(|e| StoreError::Database(format!("audit entry {seq}: {e}")))?;
            Ok(AuditEntry {
                seq,
                at,
                actor: r.string(2)?,
                action: r.string(3)?,
                subject: r.string(4)?,
                before: r.string(5)?,
                after: r.string(6)?,
                prev_hash: r.string(7)?,
                hash: r.string(8)?,
            })
        },
    )
}

// ---- accounts ----

fn user_row(r: &dyn Row, at: usize) -> Result<UserRow> {
    Ok(UserRow {
        id: r.i64(at)?,
        username: r.string(at + 1)?,
        display_name: r.string(at + 2)?,
        role: r.string(at + 3)?,
        partner: r.opt_string(at + 4)?,
        password_hash: r.string(at + 5)?,
        disabled: r.bool(at + 6)?,
    })
}

/// Adds an account's cost centres and agreements to its row.
fn complete_user<B: Backend>(c: &mut Conn<B>, row: UserRow) -> Result<User> {
    let sql = "SELECT code FROM user_cost_centre WHERE user_id = $1 ORDER BY position";
    let codes = c.rows(sql, params![row.id], |r| r.string(0))?;
    let sql = "SELECT agreement_id FROM user_agreement WHERE user_id = $1 ORDER BY position";
    let agreements = c.rows(sql, params![row.id], |r| r.string(0))?;
    row.into_user(codes, agreements)
}

/// The accounts that `condition` (on `app_user u`) picks, in the order they were created.
fn find_users<B: Backend>(c: &mut Conn<B>, condition: &str, params: &[Param<'_>]) -> Result<Vec<User>> {
    let sql = format!("SELECT {USER_COLUMNS} FROM app_user u WHERE {condition} ORDER BY u.id");
    let rows = c.rows(&sql, params, |r| user_row(r, 0))?;
    rows.into_iter().map(|row| complete_user(c, row)).collect()
}

fn find_user<B: Backend>(c: &mut Conn<B>, id: i64) -> Result<Option<User>> {
    Ok(find_users(c, "u.id = $1", params![id])?.pop())
}

/// An account that a change is about: it must exist.
fn existing_user<B: Backend>(c: &mut Conn<B>, id: i64) -> Result<User> {
    find_user(c, id)?.ok_or_else(|| StoreError::NotFound(format!("there is no user {id}")))
}

fn session_row(r: &dyn Row) -> Result<Session> {
    Ok(Session {
        id: r.i64(0)?,
        user_id: r.i64(1)?,
        csrf_token: r.string(2)?,
        created_at: r.time(3)?,
        expires_at: r.time(4)?,
    })
}

fn api_token_row(r: &dyn Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.i64(0)?,
        user_id: r.i64(1)?,
        name: r.string(2)?,
        created_at: r.time(3)?,
        revoked_at: r.opt_time(4)?,
    })
}

impl<B: Backend> Store for SqlStore<B> {
    fn backend(&self) -> &'static str {
        B::NAME
    }

    fn transaction(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()> {
        self.conn.get_mut().start(Lock::Writes)?;
        let out = work(self);
        self.conn.get_mut().finish(out)
    }

    fn snapshot(&self, work: &mut dyn FnMut(&dyn Store) -> Result<()>) -> Result<()> {
        self.conn.borrow_mut().start(Lock::Snapshot)?;
        let out = work(self);
        self.conn.borrow_mut().finish(out)
    }

    fn load_agreement(
        &mut self,
        agreement: &AgreementYear,
        text: &str,
        changes: &str,
        approval: &Approval,
        actor: &str,
    ) -> Result<LoadOutcome> {
        let AgreementYear { agreement: agreement_id, year } = agreement;
        self.atomically(Lock::Writes, |c| {
            let current = versions(c, agreement, true)?.pop();
            if let Some(cur) = &current
                && cur.text == text
            {
                return Ok(LoadOutcome::Unchanged { version: cur.version });
            }
            let version = next_version(current.as_ref().map(|c| c.version), &format!("agreement {agreement}"))?;
            let at = now_utc();
            let Approval { effective, approved_by } = approval;
            let recorded = c.one(
                "SELECT COUNT(*) FROM payment_entry WHERE agreement_id = $1 AND year = $2",
                params![agreement_id, *year],
                |r| r.i64(0),
            )?;
            c.execute(
                "INSERT INTO agreement (year, version, agreement_id, toml, loaded_at, loaded_by, changes, effective,
                     approved_by, payments_recorded)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                params![
                    *year,
                    version,
                    agreement_id,
                    text,
                    at,
                    actor,
                    changes,
                    *effective,
                    approved_by.as_deref(),
                    recorded
                ],
            )?;
            let before = current
                .as_ref()
                .map_or(String::new(), |c| agreement_fields(c.version, &c.agreement_id, &c.text).text());
            let after = agreement_fields(version, agreement_id, text)
                .add("changes", changes)
                .add("effective", effective.map_or(String::new(), |d| d.to_string()))
                .add("approved by", approved_by.as_deref().unwrap_or(""))
                .text();
            let action = if current.is_some() { "vary-agreement" } else { "load-agreement" };
            append_audit(c, records_change(actor, action, format!("agreement {agreement}"), before, after), at)?;
            Ok(if current.is_some() { LoadOutcome::Varied { version } } else { LoadOutcome::Loaded { version } })
        })
    }

    fn agreement(&self, agreement: &AgreementYear) -> Result<Option<AgreementVersion>> {
        self.read(|c| Ok(versions(c, agreement, true)?.pop()))
    }

    fn agreement_versions(&self, agreement: &AgreementYear) -> Result<Vec<AgreementVersion>> {
        self.read(|c| versions(c, agreement, false))
    }

    fn agreements(&self) -> Result<Vec<AgreementSummary>> {
        // Ids order bytewise (PostgreSQL's column is COLLATE "C").
        let sql = "SELECT a.agreement_id, a.year, a.version, a.loaded_at FROM agreement a
                   WHERE a.version = (SELECT MAX(version) FROM agreement m
                                      WHERE m.agreement_id = a.agreement_id AND m.year = a.year)
                   ORDER BY a.agreement_id, a.year";
        self.read(|c| {
            c.rows(sql, &[], |r| {
                Ok(AgreementSummary {
                    agreement: AgreementYear::new(r.string(0)?, r.year(1)?),
                    version: r.version(2)?,
                    loaded_at: r.time(3)?,
                })
            })
        })
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
        self.atomically(Lock::Writes, |c| {
            let current = current_document(c, kind, key)?;
            match document_write(kind, key, expected_version, text, current.as_ref())? {
                DocumentWrite::Unchanged { version } => Ok(DocumentSave::Unchanged { version }),
                DocumentWrite::Save { version, action, subject, before, after } => {
                    let at = now_utc();
                    c.execute(
                        "INSERT INTO document (kind, key, version, text, saved_at, saved_by)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        params![kind, key, version, text, at, actor],
                    )?;
                    append_audit(c, records_change(actor, &action, subject, before, after), at)?;
                    Ok(DocumentSave::Saved { version })
                }
            }
        })
    }

    fn document(&self, kind: &str, key: &str) -> Result<Option<StoredDocument>> {
        if !storable(&[kind, key]) {
            return Ok(None);
        }
        self.read(|c| current_document(c, kind, key))
    }

    fn document_versions(&self, kind: &str, key: &str) -> Result<Vec<StoredDocument>> {
        if !storable(&[kind, key]) {
            return Ok(Vec::new());
        }
        self.read(|c| find_documents(c, "kind = $1 AND key = $2", "version", params![kind, key]))
    }

    fn documents(&self, kind: &str, key_prefix: &str) -> Result<Vec<StoredDocument>> {
        if !storable(&[kind, key_prefix]) {
            return Ok(Vec::new());
        }
        // substr and length count characters alike in both databases; no LIKE, so `%`
        // and `_` are literal. Keys order bytewise (PostgreSQL's are COLLATE "C").
        self.read(|c| {
            find_documents(
                c,
                "kind = $1 AND substr(key, 1, length(CAST($2 AS TEXT))) = $2
                 AND version = (SELECT MAX(version) FROM document m WHERE m.kind = d.kind AND m.key = d.key)",
                "key",
                params![kind, key_prefix],
            )
        })
    }

    fn save_plan(&mut self, agreement: &AgreementYear, cost_centres: &[StoredCostCentre], actor: &str) -> Result<()> {
        let AgreementYear { agreement: agreement_id, year } = agreement;
        self.atomically(Lock::Writes, |c| {
            let old = read_plan(c, agreement)?;
            c.execute("DELETE FROM cost_centre WHERE agreement_id = $1 AND year = $2", params![agreement_id, *year])?;
            let insert = format!(
                "INSERT INTO cost_centre (agreement_id, year, position, {COST_CENTRE_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                 $21)"
            );
            for (position, cc) in (0_i64..).zip(cost_centres) {
                let p = cc.profile;
                c.execute(
                    &insert,
                    params![
                        agreement_id,
                        *year,
                        position,
                        &cc.code,
                        &cc.name,
                        &cc.partner,
                        &cc.pool,
                        &cc.line,
                        cc.budget,
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
                    ],
                )?;
            }
            let (before, after) = plan_texts(&old, cost_centres);
            let subject = format!("plan {agreement}");
            append_audit(c, records_change(actor, "save-plan", subject, before, after), now_utc())?;
            Ok(())
        })
    }

    fn plan(&self, agreement: &AgreementYear) -> Result<Vec<StoredCostCentre>> {
        self.read(|c| read_plan(c, agreement))
    }

    fn save_mapping(&mut self, agreement: &str, partner: &str, mapping: &Mapping, actor: &str) -> Result<()> {
        self.atomically(Lock::Writes, |c| {
            let before = c.row(MAPPING_TOML, params![agreement, partner], |r| r.string(0))?;
            let after = mapping.to_toml();
            c.execute(
                "INSERT INTO mapping (agreement_id, partner, toml) VALUES ($1, $2, $3)
                 ON CONFLICT (agreement_id, partner) DO UPDATE SET toml = excluded.toml",
                params![agreement, partner, &after],
            )?;
            let subject = format!("mapping {agreement} {partner}");
            let change = records_change(actor, "save-mapping", subject, before.unwrap_or_default(), after);
            append_audit(c, change, now_utc())?;
            Ok(())
        })
    }

    fn mapping(&self, agreement: &str, partner: &str) -> Result<Option<Mapping>> {
        let toml = self.read(|c| c.row(MAPPING_TOML, params![agreement, partner], |r| r.string(0)))?;
        toml.map(|t| parse_mapping(partner, &t)).transpose()
    }

    fn import_ledger(
        &mut self,
        header: &ImportHeader,
        rows: &mut dyn Iterator<Item = ImportItem>,
    ) -> Result<ImportOutcome> {
        // Imports of one partner and period wait for each other; the rows stream in under
        // that lock only, and the audit log is locked for the last, short step.
        let key = format!("import {} {} {}", header.agreement, header.period, header.partner);
        // A file found unchanged only once its rows are in (its hash came at the end):
        // they are rolled back.
        let mut unchanged_after_rows = None;
        let own_transaction = !self.conn.borrow().in_transaction();
        if own_transaction {
            self.conn.borrow_mut().db.begin_import()?;
        }
        let imported = self.atomically(Lock::Key(&key), |c| {
            if is_closed(c, &header.agreement, header.period)? {
                return Err(StoreError::PeriodClosed(header.period));
            }
            let previous = live_import(c, header)?;
            if let Some(p) = &previous
                && header.file_sha256.as_ref() == Some(&p.file_sha256)
            {
                return Ok(ImportOutcome::Unchanged { import_id: p.id });
            }
            let import_id = c.one(B::NEXT_IMPORT_ID, &[], |r| r.i64(0))?;
            let (range, (tally, file_sha256)) = c.db.insert_ledger_rows(import_id, rows)?;
            let file_sha256 = match (&header.file_sha256, file_sha256) {
                (Some(given), None) => given.clone(),
                (None, Some(taken)) => taken,
                (Some(_), Some(_)) | (None, None) => {
                    return Err(StoreError::Invalid(
                        "an import's file hash is given once: before its rows or after them".into(),
                    ));
                }
            };
            if let Some(p) = &previous
                && p.file_sha256 == file_sha256
            {
                unchanged_after_rows = Some(p.id);
                return Err(StoreError::ImportAborted);
            }
            // An empty import has the empty range (0, -1).
            let (first_row_id, last_row_id) = range.unwrap_or((0, -1));
            let tally = tally.finish()?;
            let before = match &previous {
                Some(p) => {
                    let sql = "DELETE FROM ledger_row WHERE id BETWEEN $1 AND $2";
                    c.execute(sql, params![p.first_row_id, p.last_row_id])?;
                    c.execute("DELETE FROM actual WHERE import_id = $1", params![p.id])?;
                    replaced_text(p.id, &p.file_name, &p.file_sha256, p.rows, p.total, &p.rows_sha256)
                }
                None => String::new(),
            };

            c.db.lock(Lock::Writes)?;
            // The period may have been closed while the rows streamed in.
            if is_closed(c, &header.agreement, header.period)? {
                return Err(StoreError::PeriodClosed(header.period));
            }
            let at = now_utc();
            let change = Change {
                area: Area::Records,
                actor: &header.actor,
                action: if previous.is_some() { "replace-import" } else { "import" },
                subject: ledger_subject(header),
                before,
                after: import_text(import_id, header, &file_sha256, &tally),
            };
            let seq = append_audit(c, change, at)?;
            let rows = i64::try_from(tally.rows).map_err(|_| StoreError::Invalid("too many rows".into()))?;
            c.execute(
                "INSERT INTO ledger_import (id, agreement_id, year, month, partner, file_name, file_sha256,
                 row_count, total, rows_sha256, first_row_id, last_row_id, imported_at, imported_by, audit_seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                params![
                    import_id,
                    &header.agreement,
                    header.period.year,
                    header.period.month,
                    &header.partner,
                    &header.file_name,
                    &file_sha256,
                    rows,
                    tally.total,
                    &tally.rows_sha256,
                    first_row_id,
                    last_row_id,
                    at,
                    &header.actor,
                    seq
                ],
            )?;
            for cc in &tally.by_cost_centre {
                let rows = i64::try_from(cc.rows).map_err(|_| StoreError::Invalid("too many rows".into()))?;
                c.execute(
                    "INSERT INTO actual (import_id, cost_centre, amount, row_count, row_list)
                     VALUES ($1, $2, $3, $4, $5)",
                    params![import_id, &cc.cost_centre, cc.amount, rows, &cc.row_list],
                )?;
            }
            Ok(match previous {
                Some(p) => {
                    c.execute("UPDATE ledger_import SET replaced_by = $1 WHERE id = $2", params![import_id, p.id])?;
                    ImportOutcome::Replaced {
                        import_id,
                        rows: tally.rows,
                        total: tally.total,
                        replaced_import_id: p.id,
                        replaced_rows: u64::try_from(p.rows).unwrap_or(0),
                    }
                }
                None => ImportOutcome::Imported { import_id, rows: tally.rows, total: tally.total },
            })
        });
        if own_transaction {
            // The import has committed or rolled back whatever this says: a connection
            // left with the import's settings (more syncing, no automatic checkpoint) is
            // still correct, and SQLite checkpoints when it closes.
            let _ = self.conn.borrow_mut().db.end_import();
        }
        match (imported, unchanged_after_rows) {
            (Err(StoreError::ImportAborted), Some(import_id)) => Ok(ImportOutcome::Unchanged { import_id }),
            (imported, _) => imported,
        }
    }

    fn checkpoint(&mut self) -> Result<()> {
        self.read(|c| c.db.checkpoint())
    }

    fn imports(&self, agreement: &AgreementYear) -> Result<Vec<ImportRecord>> {
        let year = agreement.year;
        self.read(|c| {
            c.rows(
                "SELECT id, month, partner, file_name, file_sha256, row_count, total, imported_at, imported_by
                 FROM ledger_import WHERE agreement_id = $1 AND year = $2 AND replaced_by IS NULL
                 ORDER BY month, partner, id",
                params![&agreement.agreement, year],
                |r| {
                    Ok(ImportRecord {
                        import_id: r.i64(0)?,
                        period: Period { year, month: r.month(1)? },
                        partner: r.string(2)?,
                        file_name: r.string(3)?,
                        file_sha256: r.string(4)?,
                        rows: r.count(5)?,
                        total: r.money(6)?,
                        imported_at: r.time(7)?,
                        imported_by: r.string(8)?,
                        replaced: false,
                    })
                },
            )
        })
    }

    fn actuals(&self, agreement: &AgreementYear) -> Result<Vec<Actual>> {
        // PostgreSQL's SUM of BIGINT is NUMERIC: back to BIGINT (an overflow is an error).
        self.read(|c| {
            c.rows(
                "SELECT a.cost_centre, i.month, CAST(SUM(a.amount) AS BIGINT), CAST(SUM(a.row_count) AS BIGINT)
                 FROM ledger_import i JOIN actual a ON a.import_id = i.id
                 WHERE i.agreement_id = $1 AND i.year = $2 AND i.replaced_by IS NULL
                 GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month",
                params![&agreement.agreement, agreement.year],
                |r| {
                    Ok(Actual { cost_centre: r.string(0)?, month: r.month(1)?, amount: r.money(2)?, rows: r.count(3)? })
                },
            )
        })
    }

    fn ledger_rows(&self, agreement: &AgreementYear, cost_centre: &str, limit: u32) -> Result<Vec<LedgerRow>> {
        self.read(|c| {
            let lists = c.rows(
                "SELECT i.first_row_id, a.row_list FROM ledger_import i JOIN actual a ON a.import_id = i.id
                 WHERE i.agreement_id = $1 AND i.year = $2 AND i.replaced_by IS NULL AND a.cost_centre = $3
                 ORDER BY i.month, i.partner, i.id",
                params![&agreement.agreement, agreement.year, cost_centre],
                |r| Ok((r.i64(0)?, r.bytes(1)?.to_vec())),
            )?;
            let mut out = Vec::new();
            for (first, list) in lists {
                let wanted = (limit as usize).saturating_sub(out.len());
                if wanted == 0 {
                    break;
                }
                let ids: Vec<Param<'_>> = row_offsets(&list)
                    .take(wanted)
                    .filter_map(|o| i64::try_from(o).ok().and_then(|o| first.checked_add(o)))
                    .map(Param::Int)
                    .collect();
                // A listed row that is gone means an edited database; verify_audit names it.
                for chunk in ids.chunks(IDS_AT_ONCE) {
                    let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
                    let sql = format!(
                        "SELECT {LEDGER_ROW_COLUMNS} FROM ledger_row WHERE id IN ({}) ORDER BY id",
                        placeholders.join(", ")
                    );
                    out.extend(c.rows(&sql, chunk, ledger_row)?);
                }
            }
            Ok(out)
        })
    }

    fn close_period(&mut self, agreement: &str, period: Period, actor: &str) -> Result<()> {
        self.atomically(Lock::Writes, |c| {
            if is_closed(c, agreement, period)? {
                return Ok(());
            }
            let at = now_utc();
            c.execute(
                "INSERT INTO closed_period (agreement_id, year, month, closed_at, closed_by) VALUES ($1, $2, $3, $4, $5)",
                params![agreement, period.year, period.month, at, actor],
            )?;
            let before = Fields::default().add("status", "open").text();
            let after = Fields::default().add("status", "closed").text();
            let subject = period_subject(agreement, period);
            append_audit(c, records_change(actor, "close-period", subject, before, after), at)?;
            Ok(())
        })
    }

    fn closed_periods(&self, agreement: &AgreementYear) -> Result<Vec<Period>> {
        let year = agreement.year;
        let sql = "SELECT month FROM closed_period WHERE agreement_id = $1 AND year = $2 ORDER BY month";
        self.read(|c| c.rows(sql, params![&agreement.agreement, year], |r| Ok(Period { year, month: r.month(0)? })))
    }

    fn set_forecast(
        &mut self,
        agreement: &AgreementYear,
        month: FiscalMonth,
        cost_centre: &str,
        outturn: Money,
        confirmed_below_actual: bool,
        actor: &str,
    ) -> Result<()> {
        let AgreementYear { agreement: agreement_id, year } = agreement;
        self.atomically(Lock::Writes, |c| {
            let period = Period { year: *year, month };
            if is_closed(c, agreement_id, period)? {
                return Err(StoreError::PeriodClosed(period));
            }
            let before = c.row(
                "SELECT outturn, confirmed_below_actual FROM forecast
                 WHERE agreement_id = $1 AND year = $2 AND month = $3 AND cost_centre = $4",
                params![agreement_id, *year, month, cost_centre],
                |r| Ok(forecast_text(r.money(0)?, r.bool(1)?)),
            )?;
            let at = now_utc();
            c.execute(
                "INSERT INTO forecast
                 (agreement_id, year, month, cost_centre, outturn, confirmed_below_actual, entered_by, entered_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (agreement_id, year, month, cost_centre) DO UPDATE
                 SET outturn = excluded.outturn, confirmed_below_actual = excluded.confirmed_below_actual,
                     entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                params![agreement_id, *year, month, cost_centre, outturn, confirmed_below_actual, actor, at],
            )?;
            let subject = format!("forecast {agreement} {month} {cost_centre}");
            let after = forecast_text(outturn, confirmed_below_actual);
            append_audit(c, records_change(actor, "set-forecast", subject, before.unwrap_or_default(), after), at)?;
            Ok(())
        })
    }

    fn forecasts(&self, agreement: &AgreementYear) -> Result<Vec<Forecast>> {
        self.read(|c| {
            c.rows(
                "SELECT cost_centre, month, outturn, confirmed_below_actual, entered_by, entered_at FROM forecast
                 WHERE agreement_id = $1 AND year = $2 ORDER BY month, cost_centre",
                params![&agreement.agreement, agreement.year],
                |r| {
                    Ok(Forecast {
                        cost_centre: r.string(0)?,
                        month: r.month(1)?,
                        outturn: r.money(2)?,
                        confirmed_below_actual: r.bool(3)?,
                        entered_by: r.string(4)?,
                        entered_at: r.time(5)?,
                    })
                },
            )
        })
    }

    fn record_saving(
        &mut self,
        agreement: &AgreementYear,
        saving: &str,
        figure: SavingFigure,
        amount: Money,
        actor: &str,
    ) -> Result<()> {
        if amount.is_negative() {
            return Err(StoreError::Invalid(format!(
                "saving {saving}: an amount it delivers cannot be negative ({amount})"
            )));
        }
        let AgreementYear { agreement: agreement_id, year } = agreement;
        self.atomically(Lock::Writes, |c| {
            let at = now_utc();
            // A forecast is kept by the month it was made in; what was delivered, once.
            let (subject, before) = match figure {
                SavingFigure::Forecast(month) => {
                    let period = Period { year: *year, month };
                    if is_closed(c, agreement_id, period)? {
                        return Err(StoreError::PeriodClosed(period));
                    }
                    let before = c.row(
                        "SELECT amount FROM saving_forecast
                         WHERE agreement_id = $1 AND year = $2 AND saving = $3 AND month = $4",
                        params![agreement_id, *year, saving, month],
                        |r| r.money(0),
                    )?;
                    c.execute(
                        "INSERT INTO saving_forecast (agreement_id, year, saving, month, amount, entered_by, entered_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (agreement_id, year, saving, month) DO UPDATE
                         SET amount = excluded.amount, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                        params![agreement_id, *year, saving, month, amount, actor, at],
                    )?;
                    (format!("saving {agreement} {saving} forecast {month}"), before)
                }
                SavingFigure::Delivered => {
                    let before = c.row(
                        "SELECT amount FROM saving_delivered WHERE agreement_id = $1 AND year = $2 AND saving = $3",
                        params![agreement_id, *year, saving],
                        |r| r.money(0),
                    )?;
                    c.execute(
                        "INSERT INTO saving_delivered (agreement_id, year, saving, amount, entered_by, entered_at)
                         VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (agreement_id, year, saving) DO UPDATE
                         SET amount = excluded.amount, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                        params![agreement_id, *year, saving, amount, actor, at],
                    )?;
                    (format!("saving {agreement} {saving} delivered"), before)
                }
            };
            let before = before.map_or(String::new(), saving_text);
            append_audit(c, records_change(actor, "record-saving", subject, before, saving_text(amount)), at)?;
            Ok(())
        })
    }

    fn saving_records(&self, agreement: &AgreementYear) -> Result<Vec<SavingRecord>> {
        self.read(|c| {
            // Month 13 orders what was delivered after the forecasts of the year.
            c.rows(
                "SELECT saving, month, amount, entered_by, entered_at FROM saving_forecast
                 WHERE agreement_id = $1 AND year = $2
                 UNION ALL
                 SELECT saving, 13, amount, entered_by, entered_at FROM saving_delivered
                 WHERE agreement_id = $1 AND year = $2
                 ORDER BY 1, 2",
                params![&agreement.agreement, agreement.year],
                |r| {
                    let figure = match r.i64(1)? {
                        13 => SavingFigure::Delivered,
                        _ => SavingFigure::Forecast(r.month(1)?),
                    };
                    Ok(SavingRecord {
                        saving: r.string(0)?,
                        figure,
                        amount: r.money(2)?,
                        entered_by: r.string(3)?,
                        entered_at: r.time(4)?,
                    })
                },
            )
        })
    }

    fn set_metrics(&mut self, agreement: &AgreementYear, entries: &[MetricEntry], actor: &str) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let AgreementYear { agreement: agreement_id, year } = agreement;
        self.atomically(Lock::Writes, |c| {
            let at = now_utc();
            let (mut before, mut after) = (Vec::new(), Vec::new());
            for e in entries {
                let (period, kind) = (e.period.to_string(), e.kind.key());
                let value = e.figure.value().map(|v| v.to_string());
                let was = c.row(
                    "SELECT value FROM metric_figure
                     WHERE agreement_id = $1 AND year = $2 AND series = $3 AND period = $4 AND kind = $5",
                    params![agreement_id, *year, &e.series, &period, kind],
                    |r| r.opt_string(0),
                )?;
                c.execute(
                    "INSERT INTO metric_figure (agreement_id, year, series, period, kind, value, entered_by, entered_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (agreement_id, year, series, period, kind) DO UPDATE
                     SET value = excluded.value, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                    params![agreement_id, *year, &e.series, &period, kind, value.as_deref(), actor, at],
                )?;
                let line = |value: Option<&str>| {
                    format!("{} {period} {kind}: {}", e.series, value.unwrap_or(pooled_core::metrics::NOT_AVAILABLE))
                };
                if let Some(was) = was {
                    before.push(line(was.as_deref()));
                }
                after.push(line(value.as_deref()));
            }
            let subject = format!("metrics {agreement}");
            append_audit(c, records_change(actor, "set-metrics", subject, before.join("\n"), after.join("\n")), at)?;
            Ok(())
        })
    }

    fn metrics(&self, agreement: &AgreementYear) -> Result<Vec<StoredMetric>> {
        let mut figures = self.read(|c| {
            c.rows(
                "SELECT series, period, kind, value, entered_by, entered_at FROM metric_figure
                 WHERE agreement_id = $1 AND year = $2",
                params![&agreement.agreement, agreement.year],
                |r| {
                    let bad = |what: &str| corrupt(format!("metric {what}"));
                    let period = MetricPeriod::parse(&r.string(1)?).map_err(|_| bad("period"))?;
                    let kind = FigureKind::parse(&r.string(2)?).map_err(|_| bad("kind"))?;
                    let figure = match r.opt_string(3)? {
                        Some(v) => Figure::Value(Decimal::parse(&v).map_err(|_| bad("figure"))?),
                        None => Figure::NotAvailable,
                    };
                    Ok(StoredMetric {
                        entry: MetricEntry { series: r.string(0)?, period, kind, figure },
                        entered_by: r.string(4)?,
                        entered_at: r.time(5)?,
                    })
                },
            )
        })?;
        // Periods in the year's order (text would put M10 before M2).
        figures.sort_by(|a, b| {
            let key = |m: &StoredMetric| (m.entry.series.clone(), m.entry.period, m.entry.kind);
            key(a).cmp(&key(b))
        });
        Ok(figures)
    }

    fn set_statement(
        &mut self,
        agreement: &AgreementYear,
        kind: ReturnKind,
        field: &StatementField,
        text: &str,
        actor: &str,
    ) -> Result<()> {
        let AgreementYear { agreement: agreement_id, year } = agreement;
        let (kind, field) = (kind.key(), field.key());
        self.atomically(Lock::Writes, |c| {
            let was = c
                .row(
                    "SELECT text FROM bcf_statement
                     WHERE agreement_id = $1 AND year = $2 AND return_kind = $3 AND field = $4",
                    params![agreement_id, *year, kind, &field],
                    |r| r.string(0),
                )?
                .unwrap_or_default();
            if was == text {
                return Ok(());
            }
            let at = now_utc();
            if text.is_empty() {
                c.execute(
                    "DELETE FROM bcf_statement WHERE agreement_id = $1 AND year = $2 AND return_kind = $3 AND field = $4",
                    params![agreement_id, *year, kind, &field],
                )?;
            } else {
                c.execute(
                    "INSERT INTO bcf_statement (agreement_id, year, return_kind, field, text, entered_by, entered_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (agreement_id, year, return_kind, field) DO UPDATE
                     SET text = excluded.text, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                    params![agreement_id, *year, kind, &field, text, actor, at],
                )?;
            }
            let subject = format!("bcf-statement {agreement} {kind} {field}");
            append_audit(c, records_change(actor, "set-statement", subject, was, text.to_string()), at)?;
            Ok(())
        })
    }

    fn statements(&self, agreement: &AgreementYear, kind: ReturnKind) -> Result<Vec<StoredStatement>> {
        let mut statements = self.read(|c| {
            c.rows(
                "SELECT field, text, entered_by, entered_at FROM bcf_statement
                 WHERE agreement_id = $1 AND year = $2 AND return_kind = $3",
                params![&agreement.agreement, agreement.year, kind.key()],
                |r| {
                    Ok(StoredStatement {
                        field: StatementField::parse(&r.string(0)?).map_err(|_| corrupt("statement field".into()))?,
                        text: r.string(1)?,
                        entered_by: r.string(2)?,
                        entered_at: r.time(3)?,
                    })
                },
            )
        })?;
        statements.sort_by(|a, b| a.field.cmp(&b.field));
        Ok(statements)
    }

    fn record_payment(&mut self, agreement: &AgreementYear, entries: &[PaymentEntry], actor: &str) -> Result<()> {
        let Some(first) = entries.first() else { return Ok(()) };
        let key = |e: &PaymentEntry| (e.pool.clone(), e.from.clone(), e.to.clone(), e.month);
        if let Some(other) = entries.iter().find(|e| key(e) != key(first)) {
            return Err(StoreError::Invalid(format!(
                "the entries recorded at once are for one instalment: {} and {}",
                payment_subject(agreement, first),
                payment_subject(agreement, other)
            )));
        }
        if first.to.is_none() {
            return Err(StoreError::Invalid(format!("{} names no partner paid", payment_subject(agreement, first))));
        }
        if let Some(bad) = entries.iter().find(|e| e.amount.is_none_or(|a| a <= Money::ZERO)) {
            let amount = bad.amount.map_or("none".to_string(), |a| a.to_plain_string());
            return Err(StoreError::Invalid(format!("a payment entry's amount must be more than zero, not {amount}")));
        }
        self.atomically(Lock::Writes, |c| {
            for e in entries {
                c.execute(
                    "INSERT INTO payment_entry (agreement_id, year, pool, from_partner, to_partner, month, kind, on_date,
                         amount)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    params![
                        &agreement.agreement,
                        agreement.year,
                        &e.pool,
                        &e.from,
                        e.to.as_deref(),
                        e.month,
                        e.kind.name(),
                        e.on,
                        e.amount
                    ],
                )?;
            }
            let change = records_change(
                actor,
                "record-payment",
                payment_subject(agreement, first),
                String::new(),
                payment_text(entries),
            );
            append_audit(c, change, now_utc())?;
            Ok(())
        })
    }

    fn payment_entries(&self, agreement: &AgreementYear) -> Result<Vec<PaymentEntry>> {
        self.read(|c| {
            c.rows(
                "SELECT pool, from_partner, to_partner, month, kind, on_date, amount FROM payment_entry
                 WHERE agreement_id = $1 AND year = $2 ORDER BY id",
                params![&agreement.agreement, agreement.year],
                |r| {
                    let kind = r.string(4)?;
                    Ok(PaymentEntry {
                        pool: r.string(0)?,
                        from: r.string(1)?,
                        to: r.opt_string(2)?,
                        month: r.month(3)?,
                        kind: EntryKind::parse(&kind).ok_or_else(|| corrupt(format!("payment entry kind {kind}")))?,
                        on: r.date(5)?,
                        amount: r.int(6)?.map(Money::from_pence),
                    })
                },
            )
        })
    }

    fn create_user(&mut self, user: &NewUser, actor: &str) -> Result<i64> {
        check_new_user(user)?;
        self.atomically(Lock::Writes, |c| {
            let key = username_key(&user.username);
            // The write lock is held: nobody can take the name between this check and the
            // insert (the unique index would refuse it anyway, less clearly).
            if !find_users(c, "u.username_key = $1", params![&key])?.is_empty() {
                return Err(duplicate_user(&user.username));
            }
            let at = now_utc();
            let id = c.one(
                "INSERT INTO app_user
                 (username, username_key, display_name, role, partner, password_hash, disabled, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                params![
                    &user.username,
                    &key,
                    &user.display_name,
                    user.role.name(),
                    user.partner.as_ref(),
                    &user.password_hash,
                    user.disabled,
                    at
                ],
                |r| r.i64(0),
            )?;
            for (position, code) in (0_i64..).zip(&user.cost_centres) {
                let sql = "INSERT INTO user_cost_centre (user_id, position, code) VALUES ($1, $2, $3)";
                c.execute(sql, params![id, position, code])?;
            }
            for (position, agreement) in (0_i64..).zip(&user.agreements) {
                let sql = "INSERT INTO user_agreement (user_id, position, agreement_id) VALUES ($1, $2, $3)";
                c.execute(sql, params![id, position, agreement])?;
            }
            append_audit(c, new_user_change(actor, user), at)?;
            Ok(id)
        })
    }

    fn user(&self, id: i64) -> Result<Option<User>> {
        self.read(|c| find_user(c, id))
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        self.read(|c| Ok(find_users(c, "u.username_key = $1", params![&username_key(username)])?.pop()))
    }

    fn users(&self) -> Result<Vec<User>> {
        self.read(|c| find_users(c, "1 = 1", &[]))
    }

    fn set_password_hash(&mut self, user_id: i64, password_hash: &str, actor: &str) -> Result<()> {
        check_password_hash(password_hash)?;
        self.atomically(Lock::Writes, |c| {
            let user = existing_user(c, user_id)?;
            c.execute("UPDATE app_user SET password_hash = $1 WHERE id = $2", params![password_hash, user_id])?;
            // Whoever knew the old password is signed out everywhere.
            c.execute("DELETE FROM session WHERE user_id = $1", params![user_id])?;
            append_audit(c, password_change(actor, &user.username), now_utc())?;
            Ok(())
        })
    }

    fn set_user_disabled(&mut self, user_id: i64, disabled: bool, actor: &str) -> Result<()> {
        self.atomically(Lock::Writes, |c| {
            let user = existing_user(c, user_id)?;
            if user.disabled == disabled {
                return Ok(());
            }
            let at = now_utc();
            c.execute("UPDATE app_user SET disabled = $1 WHERE id = $2", params![disabled, user_id])?;
            // Disabling ends the account's sessions and tokens for good: re-enabling it
            // later revives neither.
            let ended = if disabled {
                let sessions = c.execute("DELETE FROM session WHERE user_id = $1", params![user_id])?;
                let tokens = c.execute(
                    "UPDATE api_token SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
                    params![at, user_id],
                )?;
                (sessions, tokens)
            } else {
                (0, 0)
            };
            append_audit(c, disabled_change(actor, &user.username, disabled, ended), at)?;
            Ok(())
        })
    }

    fn create_session(&mut self, session: &NewSession) -> Result<()> {
        check_time("the session's creation time", session.created_at)?;
        check_time("the session's expiry time", session.expires_at)?;
        self.atomically(Lock::Writes, |c| {
            let user = enabled_user(existing_user(c, session.user_id)?)?;
            let id = c.one(
                "INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
                params![
                    &session.token_hash,
                    session.user_id,
                    &session.csrf_token,
                    session.created_at,
                    session.expires_at
                ],
                |r| r.i64(0),
            )?;
            append_audit(c, login_change(id, &user.username, session)?, now_utc())?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        self.read(|c| {
            let found = c.row(
                &format!(
                    "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM session s JOIN app_user u ON u.id = s.user_id
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
                ),
                params![token_hash, now_utc()],
                |r| Ok((session_row(r)?, user_row(r, 5)?)),
            )?;
            found.map(|(session, user)| Ok((session, complete_user(c, user)?))).transpose()
        })
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.atomically(Lock::Writes, |c| {
            let found = c.row(
                "SELECT s.id, u.username FROM session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = $1",
                params![token_hash],
                |r| Ok((r.i64(0)?, r.string(1)?)),
            )?;
            let Some((id, username)) = found else { return Ok(()) };
            c.execute("DELETE FROM session WHERE id = $1", params![id])?;
            append_audit(c, logout_change(id, &username), now_utc())?;
            Ok(())
        })
    }

    fn delete_expired_sessions(&mut self, now: Timestamp) -> Result<u64> {
        check_time("now", now)?;
        self.atomically(Lock::Writes, |c| {
            let deleted = c.execute("DELETE FROM session WHERE expires_at <= $1", params![now])?;
            if deleted > 0 {
                append_audit(c, expired_sessions_change(now, deleted)?, now_utc())?;
            }
            Ok(deleted)
        })
    }

    fn start_login_attempt(
        &mut self,
        username: &str,
        since: Timestamp,
        allowed: u32,
        at: Timestamp,
    ) -> Result<Option<i64>> {
        check_time("the window's start", since)?;
        check_time("the attempt's time", at)?;
        let key = username_key(username);
        // Attempts on one username wait for each other (not for anything else): the count
        // and the reservation are one step, so parallel guesses cannot all pass.
        self.atomically(Lock::Key(&format!("login {key}")), |c| {
            let failures = c.one(
                "SELECT COUNT(*) FROM login_attempt
                 WHERE username_key = $1 AND NOT succeeded AND at_utc >= $2
                 AND id > COALESCE((SELECT MAX(id) FROM login_attempt WHERE username_key = $1 AND succeeded), 0)",
                params![&key, since],
                |r| r.i64(0),
            )?;
            if failures >= i64::from(allowed) {
                return Ok(None);
            }
            let sql = "INSERT INTO login_attempt (username_key, succeeded, at_utc) VALUES ($1, $2, $3) RETURNING id";
            Ok(Some(c.one(sql, params![&key, false, at], |r| r.i64(0))?))
        })
    }

    fn login_succeeded(&mut self, attempt: i64) -> Result<()> {
        let sql = "UPDATE login_attempt SET succeeded = $1 WHERE id = $2";
        match self.conn.get_mut().execute(sql, params![true, attempt])? {
            0 => Err(StoreError::NotFound(format!("there is no login attempt {attempt}"))),
            _ => Ok(()),
        }
    }

    fn create_api_token(&mut self, token: &NewApiToken, actor: &str) -> Result<i64> {
        check_time("the token's creation time", token.created_at)?;
        self.atomically(Lock::Writes, |c| {
            let user = enabled_user(existing_user(c, token.user_id)?)?;
            let id = c.one(
                "INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                params![token.user_id, &token.name, &token.token_hash, token.created_at],
                |r| r.i64(0),
            )?;
            append_audit(c, api_token_change(actor, id, &user.username, &token.name), now_utc())?;
            Ok(id)
        })
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>> {
        self.read(|c| {
            let found = c.row(
                &format!(
                    "SELECT {API_TOKEN_COLUMNS}, {USER_COLUMNS} FROM api_token t JOIN app_user u ON u.id = t.user_id
                     WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled"
                ),
                params![token_hash],
                |r| Ok((api_token_row(r)?, user_row(r, 5)?)),
            )?;
            found.map(|(token, user)| Ok((token, complete_user(c, user)?))).transpose()
        })
    }

    fn revoke_api_token(&mut self, id: i64, actor: &str) -> Result<()> {
        self.atomically(Lock::Writes, |c| {
            let found = c.row(
                "SELECT t.revoked_at IS NOT NULL, u.username FROM api_token t JOIN app_user u ON u.id = t.user_id
                 WHERE t.id = $1",
                params![id],
                |r| Ok((r.bool(0)?, r.string(1)?)),
            )?;
            let Some((revoked, username)) = found else { return Err(no_api_token(id)) };
            if revoked {
                return Ok(());
            }
            let at = now_utc();
            c.execute("UPDATE api_token SET revoked_at = $1 WHERE id = $2", params![at, id])?;
            append_audit(c, revoke_change(actor, id, &username), at)?;
            Ok(())
        })
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let sql = format!("SELECT {API_TOKEN_COLUMNS} FROM api_token t WHERE t.user_id = $1 ORDER BY t.id");
        self.read(|c| c.rows(&sql, params![user_id], api_token_row))
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.read(audit_entries)
    }

    fn verify_audit(&self) -> Result<Option<AuditProblem>> {
        self.verify_audit_against(&[])
    }

    fn verify_audit_against(&self, published: &[AuditHead]) -> Result<Option<AuditProblem>> {
        // One snapshot: the log and the ledger are checked as of one moment.
        self.atomically(Lock::Snapshot, |c| {
            let log = audit_entries(c)?;
            let recorded = c.row("SELECT seq, hash FROM audit_head", &[], |r| {
                Ok(AuditHead { seq: r.i64(0)?, hash: r.string(1)? })
            })?;
            let problem = verify_chain(&log)
                .or_else(|| verify_published(&log, published))
                .or_else(|| check_recorded_head(&log, recorded.as_ref()));
            if problem.is_some() {
                return Ok(problem);
            }
            let sql = "SELECT id, audit_seq FROM ledger_import WHERE replaced_by IS NULL ORDER BY id";
            let live = c.rows(sql, &[], |r| Ok((r.i64(0)?, r.i64(1)?)))?;
            if let Some(problem) = check_imports(&log, &live, |id| stored_import(c, id))? {
                return Ok(Some(problem));
            }
            stray_ledger_row(c, log.last().map_or(0, |e| e.seq))
        })
    }

    fn audit_head(&self) -> Result<AuditHead> {
        let sql = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
        let last = self.read(|c| c.row(sql, &[], |r| Ok(AuditHead { seq: r.i64(0)?, hash: r.string(1)? })))?;
        Ok(last.unwrap_or_else(AuditHead::empty))
    }

    fn last_change(&self) -> Result<i64> {
        self.read(|c| c.one("SELECT seq FROM change_stamp", &[], |r| r.i64(0)))
    }
}
