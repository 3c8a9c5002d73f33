//! The thin layer between the store's rules (`store.rs`, written once) and a database.
//! Parameters and rows travel in a few plain types; each backend implements [`Backend`]
//! with what only it knows: its placeholders and column types, how it begins a
//! transaction and what it locks, how it numbers imports, and its fast path for ledger
//! rows (SQLite's prepared insert, PostgreSQL's binary COPY).
//!
//! SQL above this layer is written once, in the dialect both databases speak: `$1`, `$2`,
//! ... for parameters, `INSERT ... ON CONFLICT ... DO UPDATE`, `RETURNING`, `CAST`.

use jiff::Timestamp;
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::money::Money;

use crate::common::StreamEnd;
use crate::{ImportItem, Result, StoreError};

/// One statement parameter. Domain values convert into it as the schema stores them:
/// years by their start, months by number, dates as yyyymmdd, money as pence, times as
/// UTC ISO 8601 text to the second.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
    Bool(bool),
    Time(Timestamp),
}

/// `&[Param]` from values that convert into parameters.
macro_rules! params {
    ($($p:expr),* $(,)?) => { &[$($crate::sql::Param::from($p)),*] as &[$crate::sql::Param<'_>] };
}
pub(crate) use params;

impl From<i64> for Param<'_> {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<i32> for Param<'_> {
    fn from(v: i32) -> Self {
        Param::Int(v.into())
    }
}

impl From<u32> for Param<'_> {
    fn from(v: u32) -> Self {
        Param::Int(v.into())
    }
}

impl From<bool> for Param<'_> {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(v: &'a str) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(v: &'a String) -> Self {
        Param::Text(v)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(v: &'a [u8]) -> Self {
        Param::Blob(v)
    }
}

impl<'a> From<&'a Vec<u8>> for Param<'a> {
    fn from(v: &'a Vec<u8>) -> Self {
        Param::Blob(v)
    }
}

impl From<Timestamp> for Param<'_> {
    fn from(v: Timestamp) -> Self {
        Param::Time(v)
    }
}

impl From<FinancialYear> for Param<'_> {
    fn from(v: FinancialYear) -> Self {
        Param::Int(v.start_year().into())
    }
}

impl From<FiscalMonth> for Param<'_> {
    fn from(v: FiscalMonth) -> Self {
        Param::Int(v.number().into())
    }
}

impl From<Date> for Param<'_> {
    fn from(v: Date) -> Self {
        Param::Int(date_key(v).into())
    }
}

impl From<Money> for Param<'_> {
    fn from(v: Money) -> Self {
        Param::Int(v.pence())
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Param::Null, Into::into)
    }
}

/// Dates are stored as yyyymmdd integers.
pub(crate) fn date_key(date: Date) -> i32 {
    // Years are 1..=9999, so yyyymmdd fits an i32.
    date.year() * 10_000 + i32::try_from(date.month() * 100 + date.day()).unwrap_or(0)
}

/// The first second of 0001-01-01 UTC: earlier times have no four-digit year, and text
/// order would stop being time order.
const FIRST_SECOND: i64 = -62_135_596_800;

/// A time as the store writes it: `2016-05-31T17:04:05Z`, UTC, to the second (a finer
/// part is dropped). Fixed-width, so that text order is time order in SQL.
pub(crate) fn time_text(time: Timestamp) -> Result<String> {
    let second = time.as_second();
    if second < FIRST_SECOND {
        return Err(StoreError::Invalid(format!("the time {time} is before the year 1")));
    }
    // Whole seconds always make a valid timestamp when the time itself was one.
    Ok(Timestamp::from_second(second).unwrap_or(time).to_string())
}

/// A stored time read back: only the form [`time_text`] writes is taken, so that what is
/// hashed in the audit log reads back to the same text.
pub(crate) fn time_from(text: &str) -> Result<Timestamp> {
    text.parse::<Timestamp>()
        .ok()
        .filter(|t| time_text(*t).is_ok_and(|again| again == text))
        .ok_or_else(|| corrupt(format!("time {text:?}")))
}

/// A value read back that no write of this crate produces: someone edited the database.
pub(crate) fn corrupt(what: String) -> StoreError {
    StoreError::Database(format!("the database holds an impossible {what}"))
}

/// One row of a result, borrowed while it is read: the backend's own row, seen through
/// three kinds of value. A boolean reads as an integer (0 or 1).
pub trait Row {
    fn int(&self, column: usize) -> Result<Option<i64>>;
    fn text(&self, column: usize) -> Result<Option<&str>>;
    fn blob(&self, column: usize) -> Result<Option<&[u8]>>;
}

fn null(column: usize) -> StoreError {
    corrupt(format!("empty value in column {column}"))
}

/// What the store reads from a row, typed as the schema stores it.
impl dyn Row + '_ {
    pub fn i64(&self, column: usize) -> Result<i64> {
        self.int(column)?.ok_or_else(|| null(column))
    }

    pub fn i32(&self, column: usize) -> Result<i32> {
        let v = self.i64(column)?;
        i32::try_from(v).map_err(|_| corrupt(format!("number {v} in column {column}")))
    }

    pub fn bool(&self, column: usize) -> Result<bool> {
        Ok(self.i64(column)? != 0)
    }

    pub fn str(&self, column: usize) -> Result<&str> {
        self.text(column)?.ok_or_else(|| null(column))
    }

    pub fn string(&self, column: usize) -> Result<String> {
        self.str(column).map(str::to_string)
    }

    pub fn opt_string(&self, column: usize) -> Result<Option<String>> {
        Ok(self.text(column)?.map(str::to_string))
    }

    pub fn bytes(&self, column: usize) -> Result<&[u8]> {
        self.blob(column)?.ok_or_else(|| null(column))
    }

    pub fn money(&self, column: usize) -> Result<Money> {
        self.i64(column).map(Money::from_pence)
    }

    /// A count or a row number: never negative.
    pub fn count(&self, column: usize) -> Result<u64> {
        let n = self.i64(column)?;
        u64::try_from(n).map_err(|_| corrupt(format!("count {n}")))
    }

    /// A version: counts from 1, and fits the schema's INTEGER.
    pub fn version(&self, column: usize) -> Result<u32> {
        let n = self.i32(column)?;
        u32::try_from(n).map_err(|_| corrupt(format!("version {n}")))
    }

    pub fn year(&self, column: usize) -> Result<FinancialYear> {
        let key = self.i32(column)?;
        FinancialYear::starting(key).ok_or_else(|| corrupt(format!("financial year {key}")))
    }

    pub fn month(&self, column: usize) -> Result<FiscalMonth> {
        let key = self.i64(column)?;
        u32::try_from(key).ok().and_then(FiscalMonth::new).ok_or_else(|| corrupt(format!("month {key}")))
    }

    pub fn date(&self, column: usize) -> Result<Date> {
        let key = self.i64(column)?;
        date_from(key)
    }

    pub fn opt_date(&self, column: usize) -> Result<Option<Date>> {
        self.int(column)?.map(date_from).transpose()
    }

    pub fn time(&self, column: usize) -> Result<Timestamp> {
        time_from(self.str(column)?)
    }

    pub fn opt_time(&self, column: usize) -> Result<Option<Timestamp>> {
        self.text(column)?.map(time_from).transpose()
    }
}

pub(crate) fn date_from(key: i64) -> Result<Date> {
    u32::try_from(key)
        .ok()
        .and_then(|k| Date::new(i32::try_from(k / 10_000).ok()?, k / 100 % 100, k % 100))
        .ok_or_else(|| corrupt(format!("date {key}")))
}

/// What a transaction locks against other connections, taken when it begins (or, inside
/// one already open, when asked for).
#[derive(Clone, Copy, Debug)]
pub enum Lock<'a> {
    /// Every change that appends to the audit log, one at a time, so that the chain's
    /// tail cannot move underneath: readers go on.
    Writes,
    /// Only transactions with the same key wait for each other (an import's partner and
    /// period, a username's sign-in attempts); [`Lock::Writes`] may be taken later, for a
    /// short last step.
    Key(&'a str),
    /// Migrating the schema: every opener waits for the first.
    Schema,
    /// Reads only, all as of one moment.
    Snapshot,
}

/// Ids of the first and last ledger row of an import; `None` for an empty one.
pub type RowRange = Option<(i64, i64)>;

/// One database connection, as the store's rules need it. Statements use `$1`, `$2`, ...
/// (Public only so that [`crate::SqlStore`] can name it: this module is private, so no
/// other crate can implement it.)
pub trait Backend {
    /// `sqlite` or `postgres`, for messages.
    const NAME: &'static str;
    /// The schema, one migration an entry (see schema.rs).
    const MIGRATIONS: &'static [&'static str];
    /// The query that gives a new ledger import its id, unique even among imports that
    /// run at once.
    const NEXT_IMPORT_ID: &'static str;

    /// Runs statements that take no parameters and return nothing (DDL, SAVEPOINT, COMMIT).
    fn batch(&mut self, sql: &str) -> Result<()>;
    /// Runs one statement, calling `each` with every row it returns; how many rows it
    /// changed or returned. SQLite streams the rows; PostgreSQL's client holds the whole
    /// result, so a caller that may read very many rows reads them in ranges.
    fn run(&mut self, sql: &str, params: &[Param<'_>], each: &mut dyn FnMut(&dyn Row) -> Result<()>) -> Result<u64>;
    /// Begins a transaction, taking `lock`.
    fn begin(&mut self, lock: Lock<'_>) -> Result<()>;
    /// Takes `lock` inside the open transaction (a no-op where `begin` took enough).
    fn lock(&mut self, lock: Lock<'_>) -> Result<()>;
    /// Before a ledger import's transaction, when no other is open: SQLite makes the
    /// import's commit sync its write-ahead log, so that the import is durable once
    /// committed, and leaves the copy of its pages into the database file to
    /// [`Backend::checkpoint`] rather than doing it in the commit.
    fn begin_import(&mut self) -> Result<()> {
        Ok(())
    }
    /// After that transaction, committed or not: the connection's usual settings again.
    fn end_import(&mut self) -> Result<()> {
        Ok(())
    }
    /// Copies what the write-ahead log holds into the database file without making
    /// readers or writers wait (SQLite); PostgreSQL's server does this itself.
    fn checkpoint(&mut self) -> Result<()> {
        Ok(())
    }
    /// Streams an import's rows into `ledger_row` as one contiguous range of ids (through
    /// [`write_rows`](crate::common::write_rows)); the range and the stream's end.
    /// [`ImportItem::Abort`] is [`StoreError::ImportAborted`].
    fn insert_ledger_rows(
        &mut self,
        import_id: i64,
        rows: &mut dyn Iterator<Item = ImportItem>,
    ) -> Result<(RowRange, StreamEnd)>;
}

/// A connection and the transactions open on it. A transaction begun inside another is
/// a savepoint: it commits or rolls back on its own, and the outer one goes on.
pub(crate) struct Conn<B> {
    pub db: B,
    depth: u32,
    /// A statement failed inside the open transaction (PostgreSQL then refuses the rest,
    /// and would turn COMMIT into a silent rollback): it is rolled back, never committed.
    failed: bool,
}

impl<B: Backend> Conn<B> {
    pub fn new(db: B) -> Conn<B> {
        Conn { db, depth: 0, failed: false }
    }

    /// Whether a transaction is open.
    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    pub fn run(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<()>,
    ) -> Result<u64> {
        let out = self.db.run(sql, params, each);
        if out.is_err() && self.depth > 0 {
            self.failed = true;
        }
        out
    }

    /// Runs a statement that returns no rows; how many it changed.
    pub fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        self.run(sql, params, &mut |_| Ok(()))
    }

    /// Every row of a query, each read by `read`.
    pub fn rows<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        mut read: impl FnMut(&dyn Row) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.run(sql, params, &mut |r| {
            out.push(read(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of a query, if any.
    pub fn row<T>(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        read: impl FnOnce(&dyn Row) -> Result<T>,
    ) -> Result<Option<T>> {
        let mut read = Some(read);
        let mut out = None;
        self.run(sql, params, &mut |r| {
            if let Some(read) = read.take() {
                out = Some(read(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The one row a query always returns (an aggregate, `RETURNING`).
    pub fn one<T>(&mut self, sql: &str, params: &[Param<'_>], read: impl FnOnce(&dyn Row) -> Result<T>) -> Result<T> {
        self.row(sql, params, read)?.ok_or_else(|| StoreError::Database(format!("no row from: {sql}")))
    }

    /// Begins a transaction taking `lock`, or inside an open one a savepoint that also
    /// takes it. Each `start` is matched by one [`Conn::finish`].
    pub fn start(&mut self, lock: Lock<'_>) -> Result<()> {
        if self.depth == 0 {
            self.db.begin(lock)?;
            self.failed = false;
        } else {
            self.db.batch(&format!("SAVEPOINT nested_{}", self.depth))?;
            if let Err(e) = self.db.lock(lock) {
                self.db
                    .batch(&format!("ROLLBACK TO SAVEPOINT nested_{0}; RELEASE SAVEPOINT nested_{0}", self.depth))?;
                return Err(e);
            }
        }
        self.depth += 1;
        Ok(())
    }

    /// Ends what [`Conn::start`] began: commits on success (or releases the savepoint),
    /// else rolls back (to the savepoint), and gives back `out` (or the commit's failure).
    pub fn finish<T>(&mut self, out: Result<T>) -> Result<T> {
        self.depth -= 1;
        if self.depth > 0 {
            let name = format!("nested_{}", self.depth);
            return match out {
                Ok(v) => {
                    self.db.batch(&format!("RELEASE SAVEPOINT {name}"))?;
                    Ok(v)
                }
                Err(e) => {
                    // Rolling back to the savepoint undoes the failed statement too, so the
                    // outer transaction may go on.
                    let failed_before = self.failed;
                    self.db.batch(&format!("ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}"))?;
                    self.failed = failed_before;
                    Err(e)
                }
            };
        }
        match out {
            Ok(_) if self.failed => {
                self.failed = false;
                self.db.batch("ROLLBACK")?;
                Err(StoreError::Database(
                    "a statement failed inside the transaction, so nothing of it was written".into(),
                ))
            }
            Ok(v) => match self.db.batch("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    // A failed COMMIT can leave the transaction open (SQLite): end it.
                    let _ = self.db.batch("ROLLBACK");
                    Err(e)
                }
            },
            Err(e) => {
                self.failed = false;
                // A rollback that fails (the connection is gone) ends the transaction too.
                let _ = self.db.batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Runs `work` in a transaction (see [`Conn::start`]).
    pub fn transaction<T>(&mut self, lock: Lock<'_>, work: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.start(lock)?;
        let out = work(self);
        self.finish(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_and_read_in_one_form() {
        let t = |s: i64| Timestamp::from_second(s).unwrap();
        assert_eq!(time_text(t(0)).unwrap(), "1970-01-01T00:00:00Z");
        // 2016-02-29 23:59:59 UTC.
        assert_eq!(time_text(t(1_456_790_399)).unwrap(), "2016-02-29T23:59:59Z");
        assert_eq!(time_text(t(FIRST_SECOND)).unwrap(), "0001-01-01T00:00:00Z");
        assert!(matches!(time_text(t(FIRST_SECOND - 1)), Err(StoreError::Invalid(_))));
        // A finer part is dropped.
        let fine = Timestamp::new(1_456_790_399, 999_999_999).unwrap();
        assert_eq!(time_text(fine).unwrap(), "2016-02-29T23:59:59Z");

        assert_eq!(time_from("2016-02-29T23:59:59Z").unwrap(), t(1_456_790_399));
        for other in [
            "2016-02-29 23:59:59Z",
            "2016-02-29T23:59:59",
            "2016-02-29T23:59:59.5Z",
            "2016-02-29T23:59:59+00:00",
            "2016-02-29t23:59:59z",
            "2023-02-29T00:00:00Z",
            "",
        ] {
            assert!(time_from(other).is_err(), "{other}");
        }
    }

    #[test]
    fn dates_round_trip_as_keys() {
        let d = Date::new(2016, 5, 31).unwrap();
        assert_eq!(date_key(d), 20160531);
        assert_eq!(date_from(20160531).unwrap(), d);
        assert!(date_from(20160532).is_err());
        assert!(date_from(-1).is_err());
    }
}
