//! The embedded backend: one SQLite file in WAL mode. One writer at a time (BEGIN
//! IMMEDIATE takes the file's write lock), readers never wait.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, Statement};

use crate::common::{StreamEnd, write_rows};
use crate::sql::{Backend, Lock, Param, Row, RowRange, time_text};
use crate::store::SqlStore;
use crate::{ImportItem, Result, StoreError, schema};

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// The store on a SQLite file.
pub type SqliteStore = SqlStore<SqliteDb>;

/// How long a write waits for another process's: the length of an import.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// The connection's usual settings, which an import changes for its own transaction
/// ([`Backend::begin_import`]). NORMAL is durable in WAL mode but for the last commits
/// before a power cut; SQLite's automatic checkpoint copies the WAL into the database once
/// it holds 1,000 pages.
const SETTINGS: &str = "PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 1000;";

/// One connection to a SQLite file.
pub struct SqliteDb {
    conn: Connection,
}

impl SqlStore<SqliteDb> {
    /// Opens (creating if need be) a database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        SqlStore::new(SqliteDb::setup(Connection::open(path)?)?)
    }

    /// A private database that lives as long as the store: for tests and trials.
    pub fn open_in_memory() -> Result<SqliteStore> {
        SqlStore::new(SqliteDb::setup(Connection::open_in_memory()?)?)
    }
}

impl SqliteDb {
    fn setup(conn: Connection) -> Result<SqliteDb> {
        // Another process may hold the write lock for the length of an import.
        conn.busy_timeout(BUSY_TIMEOUT)?;
        // 16 KiB pages: a ledger import writes a quarter as many pages (and B-tree splits)
        // as with the default 4 KiB, and took 15% less time so. A page size only applies to
        // a new, empty file, so this must come before anything writes it (switching to WAL
        // does); an existing database keeps the page size it was made with.
        conn.execute_batch("PRAGMA page_size = 16384")?;
        // WAL: readers never wait for the writer, and a crash loses no committed import.
        // The answer is `memory` for an in-memory database, which has no journal file.
        let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if mode != "wal" && mode != "memory" {
            return Err(StoreError::Database(format!("could not switch the database to WAL (it is in {mode} mode)")));
        }
        conn.execute_batch(
            // 64 MiB of page cache lets a large import write its pages in bulk at commit
            // rather than spill them one by one (its import rate was steadier so); the WAL
            // is cut back to 64 MiB after a checkpoint, so that a big import leaves no
            // gigabyte-sized file behind.
            "PRAGMA foreign_keys = ON;
             PRAGMA cache_size = -65536;
             PRAGMA journal_size_limit = 67108864;",
        )?;
        conn.execute_batch(SETTINGS)?;
        Ok(SqliteDb { conn })
    }

    fn prepare(&self, sql: &str) -> Result<Statement<'_>> {
        Ok(self.conn.prepare(&numbered_placeholders(sql))?)
    }
}

/// `$1` becomes `?1`: SQLite would take `$1` for a name and number it by where it first
/// appears, not by its digits.
fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '$' && !quoted && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match *self {
            Param::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Param::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(v)),
            Param::Bool(v) => ToSqlOutput::Borrowed(ValueRef::Integer(v.into())),
            Param::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Param::Blob(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
            Param::Time(t) => {
                let text = time_text(t).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
                ToSqlOutput::from(text)
            }
        })
    }
}

struct SqliteRow<'a, 'r>(&'a rusqlite::Row<'r>);

fn wrong_type(column: usize, value: ValueRef<'_>) -> StoreError {
    StoreError::Database(format!("column {column} holds an unexpected {:?}", value.data_type()))
}

impl Row for SqliteRow<'_, '_> {
    fn int(&self, column: usize) -> Result<Option<i64>> {
        match self.0.get_ref(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(v) => Ok(Some(v)),
            other => Err(wrong_type(column, other)),
        }
    }

    fn text(&self, column: usize) -> Result<Option<&str>> {
        match self.0.get_ref(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .map(Some)
                .map_err(|e| StoreError::Database(format!("column {column} is not UTF-8: {e}"))),
            other => Err(wrong_type(column, other)),
        }
    }

    fn blob(&self, column: usize) -> Result<Option<&[u8]>> {
        match self.0.get_ref(column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Blob(b) => Ok(Some(b)),
            other => Err(wrong_type(column, other)),
        }
    }
}

impl Backend for SqliteDb {
    const NAME: &'static str = "sqlite";
    const MIGRATIONS: &'static [&'static str] = schema::SQLITE;
    // Writes are one at a time, so the next number is free until this one commits.
    const NEXT_IMPORT_ID: &'static str = "SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_import";

    fn batch(&mut self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn run(&mut self, sql: &str, params: &[Param<'_>], each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<u64> {
        let mut stmt = self.prepare(sql)?;
        for (i, p) in params.iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, p)?;
        }
        let reads_only = stmt.readonly();
        let mut returned = 0;
        let mut rows = stmt.raw_query();
        while let Some(r) = rows.next()? {
            returned += 1;
            each(&SqliteRow(r))?;
        }
        drop(rows);
        // A write that returns no rows says how many it changed.
        Ok(if reads_only || returned > 0 { returned } else { self.conn.changes() })
    }

    fn begin(&mut self, lock: Lock<'_>) -> Result<()> {
        self.batch(match lock {
            // The file's write lock first, so that nothing read can change underneath.
            Lock::Writes | Lock::Key(_) | Lock::Schema => "BEGIN IMMEDIATE",
            // A read transaction reads one snapshot of the WAL.
            Lock::Snapshot => "BEGIN",
        })
    }

    fn lock(&mut self, _: Lock<'_>) -> Result<()> {
        // A transaction that writes holds the file's one write lock from its start.
        Ok(())
    }

    /// An import of 10 million rows leaves about a gigabyte in the WAL. Copied into the
    /// database at its commit (SQLite's automatic checkpoint) that took a fifth of the
    /// import's time, while the import was already safe in the WAL; so the import commits
    /// with the automatic checkpoint off, and FULL synchronisation makes that commit sync
    /// the WAL, as the checkpoint would have, so that a committed import survives a power
    /// cut. Readers meanwhile read the new rows from the WAL.
    fn begin_import(&mut self) -> Result<()> {
        self.batch("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 0")
    }

    fn end_import(&mut self) -> Result<()> {
        self.batch(SETTINGS)
    }

    /// PASSIVE copies every page it can without waiting for anyone; then TRUNCATE, if it
    /// can have the file to itself at once, empties the WAL (else the next write starts it
    /// again from the beginning, and cuts it back to `journal_size_limit`). Once a WAL is
    /// copied whole, readers read the database file and no longer look pages up in it.
    fn checkpoint(&mut self) -> Result<()> {
        self.conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        self.conn.busy_timeout(Duration::ZERO)?;
        let truncated = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        match truncated {
            Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::DatabaseBusy => Ok(()),
            other => Ok(other?),
        }
    }

    /// Prepared once, bound per row. SQLite numbers the rows itself (max + 1: one
    /// contiguous range, as writes are one at a time), which lets it append to the table
    /// without searching for each row's place.
    fn insert_ledger_rows(
        &mut self,
        import_id: i64,
        rows: &mut dyn Iterator<Item = ImportItem>,
    ) -> Result<(RowRange, StreamEnd)> {
        let mut insert = self.prepare(
            "INSERT INTO ledger_row
             (import_id, file_row, cost_centre, posted_on, amount, subjective, description, reference)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )?;
        let mut first = None;
        let end = write_rows(rows, |p| {
            insert.raw_bind_parameter(1, import_id)?;
            insert.raw_bind_parameter(2, p.file_row)?;
            insert.raw_bind_parameter(3, p.cost_centre)?;
            insert.raw_bind_parameter(4, p.posted_on)?;
            insert.raw_bind_parameter(5, p.pence)?;
            insert.raw_bind_parameter(6, p.subjective)?;
            insert.raw_bind_parameter(7, p.description)?;
            insert.raw_bind_parameter(8, p.reference)?;
            insert.raw_execute()?;
            if first.is_none() {
                first = Some(self.conn.last_insert_rowid());
            }
            Ok(())
        })?;
        Ok((first.map(|first| (first, self.conn.last_insert_rowid())), end))
    }
}

#[cfg(test)]
mod tests {
    use super::numbered_placeholders;

    #[test]
    fn placeholders_are_numbered_outside_quotes() {
        assert_eq!(numbered_placeholders("a = $1 AND b = $12 AND c = '$3'"), "a = ?1 AND b = ?12 AND c = '$3'");
        assert_eq!(numbered_placeholders("$x $"), "$x $");
    }
}
