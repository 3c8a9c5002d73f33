//! The production backend: PostgreSQL, through the synchronous `postgres` client. Writes
//! that append to the audit log lock it against each other (readers go on); an import
//! streams its rows under a lock of its partner and period only, and takes the audit
//! log's lock for its short last step, so that sign-ins do not wait for a long COPY.

use std::error::Error;
use std::io::Write;

use std::collections::HashMap;

use bytes::BytesMut;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, NoTls, Statement};

use crate::common::{StreamEnd, write_rows};
use crate::sql::{Backend, Lock, Param, Row, RowRange, params, time_text};
use crate::store::SqlStore;
use crate::{ImportItem, Result, StoreError, schema};

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

/// The store on a PostgreSQL database.
pub type PostgresStore = SqlStore<PostgresDb>;

/// One connection to a PostgreSQL database.
pub struct PostgresDb {
    client: Client,
    /// Each statement is prepared once per connection: a statement run again (an
    /// import's 400 per cost centre sums) then costs one round trip, not two.
    statements: HashMap<String, Statement>,
}

/// More distinct statements than the store writes (drill-down's `IN` lists vary): the
/// cache starts again rather than grow without end.
const MOST_STATEMENTS: usize = 1_000;

impl SqlStore<PostgresDb> {
    /// Connects (`postgres://user@host:port/database`) and brings the schema up to date.
    pub fn open(url: &str) -> Result<PostgresStore> {
        SqlStore::new(PostgresDb::connect(url, None)?)
    }

    /// As [`PostgresStore::open`], but with every table in `schema`, created if need be:
    /// several stores (tests, areas) can share a database without seeing each other.
    pub fn open_in_schema(url: &str, schema: &str) -> Result<PostgresStore> {
        SqlStore::new(PostgresDb::connect(url, Some(schema))?)
    }
}

/// Advisory lock keys: the schema's (one 64-bit key, as every pooled version takes it),
/// and the class of [`Lock::Key`] locks (two 32-bit keys: the class and a hash of the key).
const SCHEMA_LOCK: i64 = 7575;
const KEY_LOCKS: i32 = 7576;

impl PostgresDb {
    fn connect(url: &str, schema: Option<&str>) -> Result<PostgresDb> {
        let mut client = Client::connect(url, NoTls)?;
        if let Some(schema) = schema {
            let name = format!("\"{}\"", schema.replace('"', "\"\""));
            client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {name}; SET search_path TO {name}"))?;
        }
        Ok(PostgresDb { client, statements: HashMap::new() })
    }

    fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        if self.statements.len() >= MOST_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }
}

fn refused(param: &Param<'_>, ty: &Type) -> Box<dyn Error + Sync + Send> {
    format!("a parameter {param:?} cannot be a {ty}").into()
}

/// Parameters convert to the column's own type, which PostgreSQL's protocol is strict
/// about: an integer goes as INT2, INT4 or INT8 as the statement expects (an overflow is
/// an error, never a wrap), a time as its text.
impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match *self {
            Param::Null => Ok(IsNull::Yes),
            Param::Int(v) => match *ty {
                Type::INT2 => i16::try_from(v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(v)?.to_sql(ty, out),
                Type::INT8 => v.to_sql(ty, out),
                _ => Err(refused(self, ty)),
            },
            Param::Bool(v) if *ty == Type::BOOL => v.to_sql(ty, out),
            Param::Text(v) if <&str as ToSql>::accepts(ty) => v.to_sql(ty, out),
            Param::Blob(v) if <&[u8] as ToSql>::accepts(ty) => v.to_sql(ty, out),
            Param::Time(t) if <&str as ToSql>::accepts(ty) => time_text(t)?.as_str().to_sql(ty, out),
            Param::Bool(_) | Param::Text(_) | Param::Blob(_) | Param::Time(_) => Err(refused(self, ty)),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Checked against the value in `to_sql`.
        true
    }

    to_sql_checked!();
}

struct PostgresRow<'a>(&'a postgres::Row);

impl Row for PostgresRow<'_> {
    fn int(&self, column: usize) -> Result<Option<i64>> {
        let r = self.0;
        let Some(ty) = r.columns().get(column).map(|c| c.type_()) else {
            return Err(StoreError::Database(format!("there is no column {column}")));
        };
        Ok(if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(column)?
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(column)?.map(i64::from)
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(column)?.map(i64::from)
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(column)?.map(i64::from)
        } else {
            return Err(StoreError::Database(format!("column {column} is a {ty}, not a number")));
        })
    }

    fn text(&self, column: usize) -> Result<Option<&str>> {
        Ok(self.0.try_get(column)?)
    }

    fn blob(&self, column: usize) -> Result<Option<&[u8]>> {
        Ok(self.0.try_get(column)?)
    }
}

impl Backend for PostgresDb {
    const NAME: &'static str = "postgres";
    const MIGRATIONS: &'static [&'static str] = schema::POSTGRES;
    // A sequence: imports of different partners and periods stream at once.
    const NEXT_IMPORT_ID: &'static str = "SELECT nextval('ledger_import_id')";

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.client.batch_execute(sql)?)
    }

    fn run(&mut self, sql: &str, params: &[Param<'_>], each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<u64> {
        let statement = self.statement(sql)?;
        let params: Vec<&(dyn ToSql + Sync)> = params.iter().map(|p| p as &(dyn ToSql + Sync)).collect();
        if statement.columns().is_empty() {
            return Ok(self.client.execute(&statement, &params)?);
        }
        // The whole result in one trip through the client's runtime, rather than one a row.
        let rows = self.client.query(&statement, &params)?;
        for r in &rows {
            each(&PostgresRow(r))?;
        }
        Ok(rows.len() as u64)
    }

    fn begin(&mut self, lock: Lock<'_>) -> Result<()> {
        match lock {
            Lock::Snapshot => self.batch("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"),
            other => {
                self.batch("BEGIN")?;
                self.lock(other)
            }
        }
    }

    fn lock(&mut self, lock: Lock<'_>) -> Result<()> {
        match lock {
            // Blocks other writers of the log (and this lock), not its readers.
            Lock::Writes => self.batch("LOCK TABLE audit_log IN EXCLUSIVE MODE"),
            Lock::Key(key) => {
                let sql = "SELECT pg_advisory_xact_lock($1, hashtext($2))";
                self.run(sql, params![KEY_LOCKS, key], &mut |_| Ok(())).map(drop)
            }
            Lock::Schema => {
                self.run("SELECT pg_advisory_xact_lock($1)", params![SCHEMA_LOCK], &mut |_| Ok(())).map(drop)
            }
            // Reads in the open transaction see what it sees.
            Lock::Snapshot => Ok(()),
        }
    }

    /// COPY in binary. The rows are numbered from `import_id` × 2^32: a block of ids of
    /// the import's own, so that imports running at once never share a range, above the
    /// ids of imports made before (numbered from 1, one after the other). A clash could
    /// only fail the COPY on the primary key, never mix two imports.
    fn insert_ledger_rows(
        &mut self,
        import_id: i64,
        rows: &mut dyn Iterator<Item = ImportItem>,
    ) -> Result<(RowRange, StreamEnd)> {
        const BLOCK: i64 = 1 << 32;
        let first_row_id = import_id
            .checked_mul(BLOCK)
            .ok_or_else(|| StoreError::Database(format!("import {import_id} is past the last block of row ids")))?;
        let mut writer = self.client.copy_in(
            "COPY ledger_row (id, import_id, file_row, cost_centre, posted_on, amount, subjective, description, \
             reference) FROM STDIN (FORMAT binary)",
        )?;
        let mut buf = CopyBuffer::new();
        let mut count: i64 = 0;
        // An error (an abort too) drops the writer, which abandons the COPY.
        let end = write_rows(rows, |p| {
            if count == BLOCK {
                return Err(StoreError::Invalid(format!("an import holds at most {} rows", BLOCK - 1)));
            }
            buf.tuple(9);
            buf.int8(first_row_id + count);
            buf.int8(import_id);
            buf.int8(p.file_row);
            buf.text(p.cost_centre)?;
            buf.int4(p.posted_on);
            buf.int8(p.pence);
            buf.text(p.subjective)?;
            buf.text(p.description)?;
            buf.text(p.reference)?;
            buf.flush_to(&mut writer, false)?;
            count += 1;
            Ok(())
        })?;
        buf.tuple(-1); // the trailer
        buf.flush_to(&mut writer, true)?;
        writer.finish()?;
        Ok(((count > 0).then(|| (first_row_id, first_row_id + count - 1)), end))
    }
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
