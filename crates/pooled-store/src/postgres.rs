//! The production backend: PostgreSQL, through the synchronous `postgres` client.

use std::cell::RefCell;
use std::io::Write;

use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Mapping, Period};
use pooled_core::money::Money;
use postgres::types::ToSql;
use postgres::{Client, GenericClient, IsolationLevel, NoTls, Row, Transaction};

use crate::accounts::*;
use crate::audit::{AuditEntry, AuditProblem, Change, RowParts, now_utc, verify_chain};
use crate::common::*;
use crate::schema::migrate_postgres;
use crate::{
    Actual, AgreementVersion, DocumentSave, Forecast, ImportHeader, ImportItem, ImportOutcome, ImportRecord,
    LoadOutcome, PaymentStatus, Result, Store, StoreError, StoredCostCentre, StoredDocument,
};

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        // The server's own message says far more than the client's "db error".
        StoreError::Database(match e.as_db_error() {
            Some(db) => db.to_string(),
            None => {
                // "error connecting to server" alone does not say why: add the causes.
                let mut text = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    text.push_str(&format!(": {c}"));
                    cause = c.source();
                }
                text
            }
        })
    }
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Database(format!("sending ledger rows to PostgreSQL: {e}"))
}

pub struct PostgresStore {
    // The trait reads through `&self`, while the client needs `&mut` for every query.
    client: RefCell<Client>,
}

impl PostgresStore {
    /// Connects (`postgres://user@host:port/database`) and brings the schema up to date.
    pub fn open(url: &str) -> Result<PostgresStore> {
        PostgresStore::connect(url, None)
    }

    /// As [`PostgresStore::open`], but with every table in `schema`, created if need be:
    /// several stores (tests, areas) can share a database without seeing each other.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<PostgresStore> {
        PostgresStore::connect(url, Some(schema))
    }

    fn connect(url: &str, schema: Option<&str>) -> Result<PostgresStore> {
        let mut client = Client::connect(url, NoTls)?;
        if let Some(schema) = schema {
            let name = format!("\"{}\"", schema.replace('"', "\"\""));
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {name}; SET search_path TO {name}"))?;
        }
        migrate_postgres(&mut client)?;
        Ok(PostgresStore { client: RefCell::new(client) })
    }

    /// Runs `f` in one transaction, committed only if it succeeds. Every write first locks
    /// the audit log against other writers (readers go on), so that the chain's tail
    /// cannot move underneath and writes are serialised as in SQLite.
    fn write<T>(&mut self, f: impl FnOnce(&mut Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut tx = self.client.get_mut().transaction()?;
        tx.batch_execute("LOCK TABLE audit_log IN EXCLUSIVE MODE")?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }
}

fn append_audit(tx: &mut Transaction<'_>, change: Change<'_>, at: &str) -> Result<i64> {
    let last = tx.query_opt("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1", &[])?;
    let last: Option<(i64, String)> = last.map(|r| Ok::<_, StoreError>((r.try_get(0)?, r.try_get(1)?))).transpose()?;
    let e = AuditEntry::next(last.as_ref().map(|(s, h)| (*s, h.as_str())), change, at.to_string());
    tx.execute(
        "INSERT INTO audit_log (seq, at_utc, actor, action, subject, before_text, after_text, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[&e.seq, &e.at, &e.actor, &e.action, &e.subject, &e.before, &e.after, &e.prev_hash, &e.hash],
    )?;
    Ok(e.seq)
}

fn is_closed(c: &mut impl GenericClient, period: Period) -> Result<bool> {
    let found = c.query_opt(
        "SELECT 1 FROM closed_period WHERE year = $1 AND month = $2",
        &[&year_key(period.year), &month_key(period.month)],
    )?;
    Ok(found.is_some())
}

fn versions(c: &mut impl GenericClient, year: FinancialYear, latest_only: bool) -> Result<Vec<AgreementVersion>> {
    let sql = if latest_only {
        "SELECT version, agreement_id, toml, loaded_at, loaded_by, changes FROM agreement
         WHERE year = $1 ORDER BY version DESC LIMIT 1"
    } else {
        "SELECT version, agreement_id, toml, loaded_at, loaded_by, changes FROM agreement
         WHERE year = $1 ORDER BY version"
    };
    c.query(sql, &[&year_key(year)])?
        .iter()
        .map(|r| {
            Ok(AgreementVersion {
                year,
                version: version_from(r.try_get(0)?)?,
                agreement_id: r.try_get(1)?,
                text: r.try_get(2)?,
                loaded_at: r.try_get(3)?,
                loaded_by: r.try_get(4)?,
                changes: r.try_get(5)?,
            })
        })
        .collect()
}

/// The documents that `condition` picks, ordered by `order` (or with `DISTINCT ON`, which
/// `select` may add before the columns).
fn find_documents(
    c: &mut impl GenericClient,
    select: &str,
    condition: &str,
    order: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<StoredDocument>> {
    let sql = format!("SELECT {select} {DOCUMENT_COLUMNS} FROM document WHERE {condition} ORDER BY {order}");
    c.query(&sql, params)?
        .iter()
        .map(|r| {
            document_from((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?, r.try_get(3)?, r.try_get(4)?, r.try_get(5)?))
        })
        .collect()
}

/// The latest version of a document, if any.
fn current_document(c: &mut impl GenericClient, kind: &str, key: &str) -> Result<Option<StoredDocument>> {
    Ok(find_documents(c, "", "kind = $1 AND key = $2", "version DESC LIMIT 1", &[&kind, &key])?.pop())
}

const COST_CENTRE_COLUMNS: &str =
    "code, name, partner, pool, line, budget, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12";

fn read_plan(c: &mut impl GenericClient, year: FinancialYear) -> Result<Vec<StoredCostCentre>> {
    let sql = format!("SELECT {COST_CENTRE_COLUMNS} FROM cost_centre WHERE year = $1 ORDER BY position");
    c.query(&sql, &[&year_key(year)])?
        .iter()
        .map(|r| {
            let mut profile = [Money::ZERO; 12];
            for (i, m) in profile.iter_mut().enumerate() {
                *m = Money::from_pence(r.try_get(6 + i)?);
            }
            Ok(StoredCostCentre {
                code: r.try_get(0)?,
                name: r.try_get(1)?,
                partner: r.try_get(2)?,
                pool: r.try_get(3)?,
                line: r.try_get(4)?,
                budget: Money::from_pence(r.try_get(5)?),
                profile,
            })
        })
        .collect()
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

fn live_import(tx: &mut Transaction<'_>, header: &ImportHeader) -> Result<Option<LiveImport>> {
    let row = tx.query_opt(
        "SELECT id, file_name, file_sha256, row_count, total, rows_sha256, first_row_id, last_row_id
         FROM ledger_import
         WHERE year = $1 AND month = $2 AND partner = $3 AND replaced_by IS NULL
         ORDER BY id DESC LIMIT 1",
        &[&year_key(header.period.year), &month_key(header.period.month), &header.partner],
    )?;
    row.map(|r| {
        Ok(LiveImport {
            id: r.try_get(0)?,
            file_name: r.try_get(1)?,
            file_sha256: r.try_get(2)?,
            rows: r.try_get(3)?,
            total: r.try_get(4)?,
            rows_sha256: r.try_get(5)?,
            first_row_id: r.try_get(6)?,
            last_row_id: r.try_get(7)?,
        })
    })
    .transpose()
}

/// COPY's binary format, written by hand: big-endian, each field length-prefixed, so no
/// text needs escaping and nothing is parsed twice.
struct CopyBuffer(Vec<u8>);

impl CopyBuffer {
    const FLUSH_AT: usize = 256 * 1024;

    fn new() -> CopyBuffer {
        let mut b = Vec::with_capacity(CopyBuffer::FLUSH_AT + 4096);
        b.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        b.extend_from_slice(&0i32.to_be_bytes()); // flags
        b.extend_from_slice(&0i32.to_be_bytes()); // header extension length
        CopyBuffer(b)
    }

    fn tuple(&mut self, fields: i16) {
        self.0.extend_from_slice(&fields.to_be_bytes());
    }

    fn int4(&mut self, v: i32) {
        self.0.extend_from_slice(&4i32.to_be_bytes());
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn int8(&mut self, v: i64) {
        self.0.extend_from_slice(&8i32.to_be_bytes());
        self.0.extend_from_slice(&v.to_be_bytes());
    }

    fn text(&mut self, s: &str) -> Result<()> {
        let len = i32::try_from(s.len()).map_err(|_| StoreError::Database("a ledger field over 2 GB".into()))?;
        self.0.extend_from_slice(&len.to_be_bytes());
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }

    /// Sends what is buffered once there is enough of it (or all of it, at the end).
    fn flush_to(&mut self, w: &mut impl Write, all: bool) -> Result<()> {
        if all || self.0.len() >= CopyBuffer::FLUSH_AT {
            w.write_all(&self.0).map_err(io_error)?;
            self.0.clear();
        }
        Ok(())
    }
}

/// Streams the rows into the ledger with COPY, numbering them from `first_row_id`, and
/// tallies them. On [`ImportItem::Abort`] the COPY is abandoned by dropping its writer.
fn copy_rows(
    tx: &mut Transaction<'_>,
    import_id: i64,
    first_row_id: i64,
    rows: &mut dyn Iterator<Item = ImportItem>,
) -> Result<TallyResult> {
    let mut writer = tx.copy_in(
        "COPY ledger_row (id, import_id, file_row, cost_centre, posted_on, amount, subjective, description, reference)
         FROM STDIN (FORMAT binary)",
    )?;
    let mut buf = CopyBuffer::new();
    let mut tally = Tally::new();
    for (id, item) in (first_row_id..).zip(rows) {
        let row: LedgerRow = match item {
            ImportItem::Row(row) => row,
            ImportItem::Abort => return Err(StoreError::ImportAborted),
        };
        let p = row_parts(&row)?;
        buf.tuple(9);
        buf.int8(id);
        buf.int8(import_id);
        buf.int8(p.file_row);
        buf.text(p.cost_centre)?;
        buf.int4(p.posted_on);
        buf.int8(p.pence);
        buf.text(p.subjective)?;
        buf.text(p.description)?;
        buf.text(p.reference)?;
        buf.flush_to(&mut writer, false)?;
        tally.add(&p);
    }
    buf.tuple(-1); // the trailer
    buf.flush_to(&mut writer, true)?;
    writer.finish()?;
    tally.finish()
}

fn audit_entries(c: &mut impl GenericClient) -> Result<Vec<AuditEntry>> {
    c.query(
        "SELECT seq, at_utc, actor, action, subject, before_text, after_text, prev_hash, hash
         FROM audit_log ORDER BY seq",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(AuditEntry {
            seq: r.try_get(0)?,
            at: r.try_get(1)?,
            actor: r.try_get(2)?,
            action: r.try_get(3)?,
            subject: r.try_get(4)?,
            before: r.try_get(5)?,
            after: r.try_get(6)?,
            prev_hash: r.try_get(7)?,
            hash: r.try_get(8)?,
        })
    })
    .collect()
}

/// An import's rows, re-read in order and re-tallied, and its stored summary. Rows come
/// through a portal in batches, so memory stays bounded for an import of any size.
fn stored_import(tx: &mut Transaction<'_>, import_id: i64) -> Result<Option<StoredImport>> {
    let Some(found) = tx.query_opt(
        "SELECT first_row_id, last_row_id, replaced_by IS NOT NULL FROM ledger_import WHERE id = $1",
        &[&import_id],
    )?
    else {
        return Ok(None);
    };
    let (first, last, replaced): (i64, i64, bool) = (found.try_get(0)?, found.try_get(1)?, found.try_get(2)?);
    let portal = tx.bind(
        "SELECT file_row, cost_centre, posted_on, amount, subjective, description, reference
         FROM ledger_row WHERE id BETWEEN $1 AND $2 ORDER BY id",
        &[&first, &last],
    )?;
    let mut tally = Tally::new();
    loop {
        let batch = tx.query_portal(&portal, 50_000)?;
        if batch.is_empty() {
            break;
        }
        for r in &batch {
            tally.add(&RowParts {
                file_row: r.try_get(0)?,
                cost_centre: r.try_get(1)?,
                posted_on: r.try_get(2)?,
                pence: r.try_get(3)?,
                subjective: r.try_get(4)?,
                description: r.try_get(5)?,
                reference: r.try_get(6)?,
            });
        }
    }
    let mut summary = tx
        .query("SELECT cost_centre, amount, row_count, row_list FROM actual WHERE import_id = $1", &[&import_id])?
        .iter()
        .map(|r| {
            Ok(CostCentreSum {
                cost_centre: r.try_get(0)?,
                amount: Money::from_pence(r.try_get(1)?),
                rows: count_from(r.try_get(2)?)?,
                row_list: r.try_get(3)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    // Sorted here, not in SQL: the server's collation need not be byte order.
    summary.sort();
    Ok(Some(StoredImport { replaced, from_rows: tally.finish()?, summary }))
}

fn ledger_row(r: &Row) -> Result<LedgerRow> {
    Ok(LedgerRow {
        row: count_from(r.try_get(0)?)?,
        cost_centre: r.try_get(1)?,
        date: date_from(r.try_get(2)?)?,
        amount: Money::from_pence(r.try_get(3)?),
        subjective: r.try_get(4)?,
        description: r.try_get(5)?,
        reference: r.try_get(6)?,
    })
}

// ---- accounts ----

fn user_row(r: &Row, at: usize) -> Result<UserRow> {
    Ok(UserRow {
        id: r.try_get(at)?,
        username: r.try_get(at + 1)?,
        display_name: r.try_get(at + 2)?,
        role: r.try_get(at + 3)?,
        partner: r.try_get(at + 4)?,
        password_hash: r.try_get(at + 5)?,
        disabled: r.try_get(at + 6)?,
    })
}

/// Adds an account's cost centres to its row.
fn complete_user(c: &mut impl GenericClient, row: UserRow) -> Result<User> {
    let codes = c
        .query("SELECT code FROM user_cost_centre WHERE user_id = $1 ORDER BY position", &[&row.id])?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()?;
    row.into_user(codes)
}

/// The accounts that `condition` (on `app_user u`) picks, in the order they were created.
fn find_users(c: &mut impl GenericClient, condition: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<User>> {
    let rows = c.query(&format!("SELECT {USER_COLUMNS} FROM app_user u WHERE {condition} ORDER BY u.id"), params)?;
    let rows = rows.iter().map(|r| user_row(r, 0)).collect::<Result<Vec<_>>>()?;
    rows.into_iter().map(|row| complete_user(c, row)).collect()
}

fn find_user(c: &mut impl GenericClient, id: i64) -> Result<Option<User>> {
    Ok(find_users(c, "u.id = $1", &[&id])?.pop())
}

/// An account that a change is about: it must exist.
fn existing_user(c: &mut impl GenericClient, id: i64) -> Result<User> {
    find_user(c, id)?.ok_or_else(|| StoreError::NotFound(format!("there is no user {id}")))
}

fn session_row(r: &Row) -> Result<Session> {
    Ok(Session {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        csrf_token: r.try_get(2)?,
        created_at: r.try_get(3)?,
        expires_at: r.try_get(4)?,
    })
}

fn api_token_row(r: &Row) -> Result<ApiToken> {
    Ok(ApiToken {
        id: r.try_get(0)?,
        user_id: r.try_get(1)?,
        name: r.try_get(2)?,
        created_at: r.try_get(3)?,
        revoked_at: r.try_get(4)?,
    })
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
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
            let version_key = i32::try_from(version).map_err(|_| StoreError::Database("too many versions".into()))?;
            tx.execute(
                "INSERT INTO agreement (year, version, agreement_id, toml, loaded_at, loaded_by, changes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[&year_key(year), &version_key, &agreement_id, &text, &at, &actor, &changes],
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
        Ok(versions(&mut *self.client.borrow_mut(), year, true)?.pop())
    }

    fn agreement_versions(&self, year: FinancialYear) -> Result<Vec<AgreementVersion>> {
        versions(&mut *self.client.borrow_mut(), year, false)
    }

    fn financial_years(&self) -> Result<Vec<FinancialYear>> {
        let rows = self.client.borrow_mut().query("SELECT DISTINCT year FROM agreement ORDER BY year", &[])?;
        rows.iter().map(|r| year_from(r.try_get(0)?)).collect()
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
                    // document_write keeps versions within an i32.
                    let version_key =
                        i32::try_from(version).map_err(|_| StoreError::Database("too many versions".into()))?;
                    tx.execute(
                        "INSERT INTO document (kind, key, version, text, saved_at, saved_by)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                        &[&kind, &key, &version_key, &text, &at, &actor],
                    )?;
                    append_audit(tx, Change { actor, action: &action, subject, before, after }, &at)?;
                    Ok(DocumentSave::Saved { version })
                }
            }
        })
    }

    fn document(&self, kind: &str, key: &str) -> Result<Option<StoredDocument>> {
        if !storable(&[kind, key]) {
            return Ok(None);
        }
        current_document(&mut *self.client.borrow_mut(), kind, key)
    }

    fn document_versions(&self, kind: &str, key: &str) -> Result<Vec<StoredDocument>> {
        if !storable(&[kind, key]) {
            return Ok(Vec::new());
        }
        find_documents(&mut *self.client.borrow_mut(), "", "kind = $1 AND key = $2", "version", &[&kind, &key])
    }

    fn documents(&self, kind: &str, key_prefix: &str) -> Result<Vec<StoredDocument>> {
        if !storable(&[kind, key_prefix]) {
            return Ok(Vec::new());
        }
        // left and char_length count characters alike; no LIKE, so `%` and `_` are literal.
        find_documents(
            &mut *self.client.borrow_mut(),
            "DISTINCT ON (key)",
            "kind = $1 AND left(key, char_length($2)) = $2",
            "key, version DESC",
            &[&kind, &key_prefix],
        )
    }

    fn save_plan(&mut self, year: FinancialYear, cost_centres: &[StoredCostCentre], actor: &str) -> Result<()> {
        self.write(|tx| {
            let old = read_plan(tx, year)?;
            tx.execute("DELETE FROM cost_centre WHERE year = $1", &[&year_key(year)])?;
            let insert = tx.prepare(&format!(
                "INSERT INTO cost_centre (year, position, {COST_CENTRE_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
            ))?;
            for (position, c) in cost_centres.iter().enumerate() {
                let position =
                    i32::try_from(position).map_err(|_| StoreError::Database("too many cost centres".into()))?;
                let p = c.profile.map(Money::pence);
                tx.execute(
                    &insert,
                    &[
                        &year_key(year),
                        &position,
                        &c.code,
                        &c.name,
                        &c.partner,
                        &c.pool,
                        &c.line,
                        &c.budget.pence(),
                        &p[0],
                        &p[1],
                        &p[2],
                        &p[3],
                        &p[4],
                        &p[5],
                        &p[6],
                        &p[7],
                        &p[8],
                        &p[9],
                        &p[10],
                        &p[11],
                    ],
                )?;
            }
            let (before, after) = plan_texts(&old, cost_centres);
            let change = Change { actor, action: "save-plan", subject: format!("plan {year}"), before, after };
            append_audit(tx, change, &now_utc())?;
            Ok(())
        })
    }

    fn plan(&self, year: FinancialYear) -> Result<Vec<StoredCostCentre>> {
        read_plan(&mut *self.client.borrow_mut(), year)
    }

    fn save_mapping(&mut self, partner: &str, mapping: &Mapping, actor: &str) -> Result<()> {
        self.write(|tx| {
            let before = tx.query_opt("SELECT toml FROM mapping WHERE partner = $1", &[&partner])?;
            let before: Option<String> = before.map(|r| r.try_get(0)).transpose()?;
            let after = mapping.to_toml();
            tx.execute(
                "INSERT INTO mapping (partner, toml) VALUES ($1, $2)
                 ON CONFLICT (partner) DO UPDATE SET toml = excluded.toml",
                &[&partner, &after],
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
        let row = self.client.borrow_mut().query_opt("SELECT toml FROM mapping WHERE partner = $1", &[&partner])?;
        row.map(|r| parse_mapping(partner, r.try_get(0)?)).transpose()
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
            let ids = tx.query_one(
                "SELECT COALESCE(MAX(id), 0) + 1, COALESCE(MAX(last_row_id), 0) + 1 FROM ledger_import",
                &[],
            )?;
            let (import_id, first_row_id): (i64, i64) = (ids.try_get(0)?, ids.try_get(1)?);
            let tally = copy_rows(tx, import_id, first_row_id, rows)?;
            let at = now_utc();
            let before = match &previous {
                Some(p) => {
                    tx.execute(
                        "DELETE FROM ledger_row WHERE id BETWEEN $1 AND $2",
                        &[&p.first_row_id, &p.last_row_id],
                    )?;
                    tx.execute("DELETE FROM actual WHERE import_id = $1", &[&p.id])?;
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
            let rows = tally.rows as i64;
            tx.execute(
                "INSERT INTO ledger_import (id, year, month, partner, file_name, file_sha256, row_count, total,
                 rows_sha256, first_row_id, last_row_id, imported_at, imported_by, audit_seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                &[
                    &import_id,
                    &year_key(header.period.year),
                    &month_key(header.period.month),
                    &header.partner,
                    &header.file_name,
                    &header.file_sha256,
                    &rows,
                    &tally.total.pence(),
                    &tally.rows_sha256,
                    &first_row_id,
                    &(first_row_id + rows - 1),
                    &at,
                    &header.actor,
                    &seq,
                ],
            )?;
            let summary = tx.prepare(
                "INSERT INTO actual (import_id, cost_centre, amount, row_count, row_list) VALUES ($1, $2, $3, $4, $5)",
            )?;
            for cc in &tally.by_cost_centre {
                tx.execute(
                    &summary,
                    &[&import_id, &cc.cost_centre, &cc.amount.pence(), &(cc.rows as i64), &cc.row_list],
                )?;
            }
            Ok(match previous {
                Some(p) => {
                    tx.execute("UPDATE ledger_import SET replaced_by = $1 WHERE id = $2", &[&import_id, &p.id])?;
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
        let rows = self.client.borrow_mut().query(
            "SELECT id, month, partner, file_name, file_sha256, row_count, total, imported_at, imported_by
             FROM ledger_import WHERE year = $1 AND replaced_by IS NULL ORDER BY month, partner, id",
            &[&year_key(year)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(ImportRecord {
                    import_id: r.try_get(0)?,
                    period: Period { year, month: month_from(r.try_get(1)?)? },
                    partner: r.try_get(2)?,
                    file_name: r.try_get(3)?,
                    file_sha256: r.try_get(4)?,
                    rows: count_from(r.try_get(5)?)?,
                    total: Money::from_pence(r.try_get(6)?),
                    imported_at: r.try_get(7)?,
                    imported_by: r.try_get(8)?,
                    replaced: false,
                })
            })
            .collect()
    }

    fn actuals(&self, year: FinancialYear) -> Result<Vec<Actual>> {
        // SUM of BIGINT is NUMERIC in PostgreSQL: back to BIGINT (an overflow is an error).
        let rows = self.client.borrow_mut().query(
            "SELECT a.cost_centre, i.month, SUM(a.amount)::BIGINT, SUM(a.row_count)::BIGINT
             FROM ledger_import i JOIN actual a ON a.import_id = i.id
             WHERE i.year = $1 AND i.replaced_by IS NULL
             GROUP BY a.cost_centre, i.month ORDER BY a.cost_centre, i.month",
            &[&year_key(year)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Actual {
                    cost_centre: r.try_get(0)?,
                    month: month_from(r.try_get(1)?)?,
                    amount: Money::from_pence(r.try_get(2)?),
                    rows: count_from(r.try_get(3)?)?,
                })
            })
            .collect()
    }

    fn ledger_rows(&self, year: FinancialYear, cost_centre: &str, limit: u32) -> Result<Vec<LedgerRow>> {
        let mut client = self.client.borrow_mut();
        let lists = client.query(
            "SELECT i.first_row_id, a.row_list FROM ledger_import i JOIN actual a ON a.import_id = i.id
             WHERE i.year = $1 AND i.replaced_by IS NULL AND a.cost_centre = $2
             ORDER BY i.month, i.partner, i.id",
            &[&year_key(year), &cost_centre],
        )?;
        let mut out = Vec::new();
        for list in &lists {
            let wanted = (limit as usize).saturating_sub(out.len());
            if wanted == 0 {
                break;
            }
            let first: i64 = list.try_get(0)?;
            let ids: Vec<i64> = row_offsets(list.try_get(1)?)
                .take(wanted)
                .filter_map(|o| i64::try_from(o).ok().and_then(|o| first.checked_add(o)))
                .collect();
            let rows = client.query(
                "SELECT file_row, cost_centre, posted_on, amount, subjective, description, reference
                 FROM ledger_row WHERE id = ANY($1) ORDER BY id",
                &[&ids],
            )?;
            for r in &rows {
                out.push(ledger_row(r)?);
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
                "INSERT INTO closed_period (year, month, closed_at, closed_by) VALUES ($1, $2, $3, $4)",
                &[&year_key(period.year), &month_key(period.month), &at, &actor],
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
        let rows = self
            .client
            .borrow_mut()
            .query("SELECT month FROM closed_period WHERE year = $1 ORDER BY month", &[&year_key(year)])?;
        rows.iter().map(|r| Ok(Period { year, month: month_from(r.try_get(0)?)? })).collect()
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
            let (y, m) = (year_key(year), month_key(month));
            let before = tx.query_opt(
                "SELECT outturn FROM forecast WHERE year = $1 AND month = $2 AND cost_centre = $3",
                &[&y, &m, &cost_centre],
            )?;
            let before: Option<i64> = before.map(|r| r.try_get(0)).transpose()?;
            let at = now_utc();
            tx.execute(
                "INSERT INTO forecast (year, month, cost_centre, outturn, entered_by, entered_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (year, month, cost_centre) DO UPDATE
                 SET outturn = excluded.outturn, entered_by = excluded.entered_by, entered_at = excluded.entered_at",
                &[&y, &m, &cost_centre, &outturn.pence(), &actor, &at],
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
        let rows = self.client.borrow_mut().query(
            "SELECT cost_centre, month, outturn, entered_by, entered_at FROM forecast
             WHERE year = $1 ORDER BY month, cost_centre",
            &[&year_key(year)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Forecast {
                    cost_centre: r.try_get(0)?,
                    month: month_from(r.try_get(1)?)?,
                    outturn: Money::from_pence(r.try_get(2)?),
                    entered_by: r.try_get(3)?,
                    entered_at: r.try_get(4)?,
                })
            })
            .collect()
    }

    fn record_payment(&mut self, year: FinancialYear, status: &PaymentStatus, actor: &str) -> Result<()> {
        self.write(|tx| {
            let (y, m) = (year_key(year), month_key(status.month));
            let before = tx.query_opt(
                "SELECT raised_on, paid_on FROM payment
                 WHERE year = $1 AND pool = $2 AND from_partner = $3 AND month = $4",
                &[&y, &status.pool, &status.from, &m],
            )?;
            let before = match before {
                Some(r) => {
                    let (raised, paid): (Option<i32>, Option<i32>) = (r.try_get(0)?, r.try_get(1)?);
                    payment_text(raised.map(date_from).transpose()?, paid.map(date_from).transpose()?)
                }
                None => String::new(),
            };
            tx.execute(
                "INSERT INTO payment (year, pool, from_partner, month, raised_on, paid_on)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (year, pool, from_partner, month) DO UPDATE
                 SET raised_on = excluded.raised_on, paid_on = excluded.paid_on",
                &[&y, &status.pool, &status.from, &m, &status.raised_on.map(date_key), &status.paid_on.map(date_key)],
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
        let rows = self.client.borrow_mut().query(
            "SELECT pool, from_partner, month, raised_on, paid_on FROM payment
             WHERE year = $1 ORDER BY pool, from_partner, month",
            &[&year_key(year)],
        )?;
        rows.iter()
            .map(|r| {
                let (raised, paid): (Option<i32>, Option<i32>) = (r.try_get(3)?, r.try_get(4)?);
                Ok(PaymentStatus {
                    pool: r.try_get(0)?,
                    from: r.try_get(1)?,
                    month: month_from(r.try_get(2)?)?,
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
            // The audit log's lock is held: nobody can take the name between this check
            // and the insert (the unique index would refuse it anyway, less clearly).
            if !find_users(tx, "u.username_key = $1", &[&key])?.is_empty() {
                return Err(duplicate_user(&user.username));
            }
            let at = now_utc();
            let id: i64 = tx
                .query_one(
                    "INSERT INTO app_user
                     (username, username_key, display_name, role, partner, password_hash, disabled, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                    &[
                        &user.username,
                        &key,
                        &user.display_name,
                        &user.role.name(),
                        &user.partner,
                        &user.password_hash,
                        &user.disabled,
                        &at,
                    ],
                )?
                .try_get(0)?;
            let insert = tx.prepare("INSERT INTO user_cost_centre (user_id, position, code) VALUES ($1, $2, $3)")?;
            for (position, code) in (0i32..).zip(&user.cost_centres) {
                tx.execute(&insert, &[&id, &position, code])?;
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
        find_user(&mut *self.client.borrow_mut(), id)
    }

    fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        Ok(find_users(&mut *self.client.borrow_mut(), "u.username_key = $1", &[&username_key(username)])?.pop())
    }

    fn users(&self) -> Result<Vec<User>> {
        find_users(&mut *self.client.borrow_mut(), "TRUE", &[])
    }

    fn set_password_hash(&mut self, user_id: i64, password_hash: &str, actor: &str) -> Result<()> {
        check_password_hash(password_hash)?;
        self.write(|tx| {
            let user = existing_user(tx, user_id)?;
            tx.execute("UPDATE app_user SET password_hash = $1 WHERE id = $2", &[&password_hash, &user_id])?;
            // Whoever knew the old password is signed out everywhere.
            tx.execute("DELETE FROM session WHERE user_id = $1", &[&user_id])?;
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
            tx.execute("UPDATE app_user SET disabled = $1 WHERE id = $2", &[&disabled, &user_id])?;
            append_audit(tx, disabled_change(actor, &user.username, disabled), &now_utc())?;
            Ok(())
        })
    }

    fn create_session(&mut self, session: &NewSession) -> Result<()> {
        check_time("the session's creation time", &session.created_at)?;
        check_time("the session's expiry time", &session.expires_at)?;
        self.write(|tx| {
            let user = enabled_user(existing_user(tx, session.user_id)?)?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO session (token_hash, user_id, csrf_token, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                    &[
                        &session.token_hash,
                        &session.user_id,
                        &session.csrf_token,
                        &session.created_at,
                        &session.expires_at,
                    ],
                )?
                .try_get(0)?;
            append_audit(tx, login_change(id, &user.username, session), &now_utc())?;
            Ok(())
        })
    }

    fn session(&self, token_hash: &str) -> Result<Option<(Session, User)>> {
        let mut client = self.client.borrow_mut();
        let found = client.query_opt(
            &format!(
                "SELECT {SESSION_COLUMNS}, {USER_COLUMNS} FROM session s JOIN app_user u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled"
            ),
            &[&token_hash, &now_utc()],
        )?;
        found.map(|r| Ok((session_row(&r)?, complete_user(&mut *client, user_row(&r, 5)?)?))).transpose()
    }

    fn delete_session(&mut self, token_hash: &str) -> Result<()> {
        self.write(|tx| {
            let found = tx.query_opt(
                "SELECT s.id, u.username FROM session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = $1",
                &[&token_hash],
            )?;
            let Some(found) = found else { return Ok(()) };
            let (id, username): (i64, String) = (found.try_get(0)?, found.try_get(1)?);
            tx.execute("DELETE FROM session WHERE id = $1", &[&id])?;
            append_audit(tx, logout_change(id, &username), &now_utc())?;
            Ok(())
        })
    }

    fn delete_expired_sessions(&mut self, now: &str) -> Result<u64> {
        check_time("now", now)?;
        self.write(|tx| {
            let deleted = tx.execute("DELETE FROM session WHERE expires_at <= $1", &[&now])?;
            if deleted > 0 {
                append_audit(tx, expired_sessions_change(now, deleted), &now_utc())?;
            }
            Ok(deleted)
        })
    }

    fn record_login_attempt(&mut self, username: &str, succeeded: bool, at: &str) -> Result<()> {
        check_time("the attempt's time", at)?;
        // Not through `write`: with no audit entry it need not wait for the audit log's
        // lock, so failures are recorded even while a long import holds it.
        self.client.get_mut().execute(
            "INSERT INTO login_attempt (username_key, succeeded, at_utc) VALUES ($1, $2, $3)",
            &[&username_key(username), &succeeded, &at],
        )?;
        Ok(())
    }

    fn recent_login_failures(&self, username: &str, since: &str) -> Result<u32> {
        check_time("the window's start", since)?;
        let failures: i64 = self
            .client
            .borrow_mut()
            .query_one(
                "SELECT COUNT(*) FROM login_attempt
                 WHERE username_key = $1 AND NOT succeeded AND at_utc >= $2
                 AND id > COALESCE((SELECT MAX(id) FROM login_attempt WHERE username_key = $1 AND succeeded), 0)",
                &[&username_key(username), &since],
            )?
            .try_get(0)?;
        Ok(failure_count(failures))
    }

    fn create_api_token(&mut self, token: &NewApiToken, actor: &str) -> Result<i64> {
        check_time("the token's creation time", &token.created_at)?;
        self.write(|tx| {
            let user = enabled_user(existing_user(tx, token.user_id)?)?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO api_token (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    &[&token.user_id, &token.name, &token.token_hash, &token.created_at],
                )?
                .try_get(0)?;
            append_audit(tx, api_token_change(actor, id, &user.username, &token.name), &now_utc())?;
            Ok(id)
        })
    }

    fn api_token(&self, token_hash: &str) -> Result<Option<(ApiToken, User)>> {
        let mut client = self.client.borrow_mut();
        let found = client.query_opt(
            &format!(
                "SELECT {API_TOKEN_COLUMNS}, {USER_COLUMNS} FROM api_token t JOIN app_user u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled"
            ),
            &[&token_hash],
        )?;
        found.map(|r| Ok((api_token_row(&r)?, complete_user(&mut *client, user_row(&r, 5)?)?))).transpose()
    }

    fn revoke_api_token(&mut self, id: i64, actor: &str) -> Result<()> {
        self.write(|tx| {
            let found = tx.query_opt(
                "SELECT t.revoked_at IS NOT NULL, u.username FROM api_token t JOIN app_user u ON u.id = t.user_id
                 WHERE t.id = $1",
                &[&id],
            )?;
            let Some(found) = found else { return Err(no_api_token(id)) };
            let (revoked, username): (bool, String) = (found.try_get(0)?, found.try_get(1)?);
            if revoked {
                return Ok(());
            }
            let at = now_utc();
            tx.execute("UPDATE api_token SET revoked_at = $1 WHERE id = $2", &[&at, &id])?;
            append_audit(tx, revoke_change(actor, id, &username), &at)?;
            Ok(())
        })
    }

    fn api_tokens(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows = self.client.borrow_mut().query(
            &format!("SELECT {API_TOKEN_COLUMNS} FROM api_token t WHERE t.user_id = $1 ORDER BY t.id"),
            &[&user_id],
        )?;
        rows.iter().map(api_token_row).collect()
    }

    fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        audit_entries(&mut *self.client.borrow_mut())
    }

    fn last_change(&self) -> Result<i64> {
        let row = self.client.borrow_mut().query_one("SELECT COALESCE(MAX(seq), 0)::BIGINT FROM audit_log", &[])?;
        Ok(row.try_get(0)?)
    }

    fn verify_audit(&self) -> Result<Option<AuditProblem>> {
        let mut client = self.client.borrow_mut();
        // One snapshot: the log and the ledger are checked as of one moment.
        let mut tx =
            client.build_transaction().isolation_level(IsolationLevel::RepeatableRead).read_only(true).start()?;
        let log = audit_entries(&mut tx)?;
        if let Some(problem) = verify_chain(&log) {
            return Ok(Some(problem));
        }
        let live = tx
            .query("SELECT id, audit_seq FROM ledger_import WHERE replaced_by IS NULL ORDER BY id", &[])?
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<Result<Vec<(i64, i64)>>>()?;
        check_imports(&log, &live, |id| stored_import(&mut tx, id))
    }
}
