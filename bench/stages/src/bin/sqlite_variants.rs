//! What the SQLite half of `pooled import` costs, and what other layouts would cost: the
//! extract is read and parsed as the import does (TableReader, RowReader), then inserted
//! in one transaction into a fresh file, once per variant:
//!
//!   parse-only  no database: the baseline to subtract
//!   store       as pooled-store was until the import's commit left its checkpoint for
//!               later: WAL, synchronous NORMAL, 64 MiB cache, 4 KiB pages, the ledger_row
//!               table of its schema, one prepared INSERT of 8 values a row, the checkpoint
//!               at commit
//!   store-now   as pooled-store imports now: 16 KiB pages, synchronous FULL for the
//!               import's commit (the WAL is synced) and no checkpoint at commit; the
//!               checkpoint that follows is timed on its own (checkpoint_secs)
//!   page-16k    the same with 16 KiB pages
//!   rollback    the same in rollback-journal mode instead of WAL (new pages are not
//!               journalled, so the rows are written once, not to the WAL and then again
//!               to the database at the checkpoint)
//!   compact     WAL as the store, but cost centre, subjective and description stored as
//!               small integers into dictionaries (ledger extracts repeat them endlessly)
//!   deferred    WAL as the store, but no checkpoint at commit (wal_autocheckpoint = 0):
//!               the import is durable once in the WAL; the copy into the database is then
//!               timed on its own (checkpoint_secs), as a background thread could run it
//!   combo       what WAL allows together: 16 KiB pages, dictionary columns, deferred
//!               checkpoint
//!
//! Every variant runs on one thread (parse, then insert, row by row); `pooled import` reads
//! and checks on a second thread, so its writing costs about `variant - parse-only`.
//!
//! usage: [ROUNDS=3] sqlite_variants LEDGER.csv DIR [VARIANT ...]
//! Prints one `variant=... secs=... rows_per_s=... bytes=...` line per variant: the fastest
//! of ROUNDS rounds, the variants taking turns.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use pooled_core::ledger::{LedgerRow, Mapping, RowReader};
use pooled_files::{ReadOptions, Record, TableReader};
use rusqlite::{Connection, TransactionBehavior};

const LEDGER_ROW: &str = "CREATE TABLE ledger_row (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    file_row INTEGER NOT NULL,
    cost_centre TEXT NOT NULL,
    posted_on INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    subjective TEXT NOT NULL,
    description TEXT NOT NULL,
    reference TEXT NOT NULL
)";

const COMPACT: &str = "CREATE TABLE ledger_row (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    file_row INTEGER NOT NULL,
    cost_centre INTEGER NOT NULL,
    posted_on INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    subjective INTEGER NOT NULL,
    description INTEGER NOT NULL,
    reference TEXT NOT NULL
);
CREATE TABLE text_value (id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE)";

/// Every row of the extract, parsed as the import parses it, handed to `each`.
fn rows(ledger: &Path, mut each: impl FnMut(&LedgerRow)) -> u64 {
    let mapping = Mapping::preset("unit4").expect("unit4");
    let mut table =
        TableReader::open_with(ledger, &ReadOptions { sheet: None, dates: mapping.date_format, sha256: false })
            .expect("open");
    let header: Vec<&str> = table.header().iter().map(String::as_str).collect();
    let reader = RowReader::new(&mapping, &header).expect("columns");
    let mut n = 0;
    let mut record = Record::default();
    while table.read_into(&mut record).expect("a record") {
        let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
        each(&reader.read(record.row, &fields).expect("a good row"));
        n += 1;
    }
    n
}

fn date_key(row: &LedgerRow) -> i64 {
    i64::from(row.date.year()) * 10_000 + i64::from(row.date.month() * 100 + row.date.day())
}

/// How the variant's file is set up.
#[derive(Clone, Copy)]
struct Setup {
    page_size: u32,
    wal: bool,
    /// No checkpoint at commit: run it afterwards.
    deferred: bool,
    /// synchronous = FULL: the commit syncs the WAL.
    sync_commit: bool,
}

const STORE: Setup = Setup { page_size: 4096, wal: true, deferred: false, sync_commit: false };

fn open(path: &Path, setup: Setup) -> Connection {
    let Setup { page_size, wal, deferred, sync_commit } = setup;
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let conn = Connection::open(path).expect("open");
    conn.execute_batch(&format!("PRAGMA page_size = {page_size}")).expect("page size");
    let mode: String = conn
        .query_row(&format!("PRAGMA journal_mode = {}", if wal { "WAL" } else { "DELETE" }), [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, if wal { "wal" } else { "delete" });
    conn.execute_batch(
        "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536; PRAGMA journal_size_limit = 67108864;",
    )
    .expect("pragmas");
    if deferred {
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0").expect("no autocheckpoint");
    }
    if sync_commit {
        conn.execute_batch("PRAGMA synchronous = FULL").expect("synchronous");
    }
    conn
}

/// The deferred checkpoint: copies the WAL into the database and empties it.
fn checkpoint(conn: &Connection) -> f64 {
    let start = Instant::now();
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())).expect("checkpoint");
    start.elapsed().as_secs_f64()
}

fn plain(ledger: &Path, db: &Path, setup: Setup, secs: &mut f64) -> (u64, Option<f64>) {
    let start = Instant::now();
    let mut conn = open(db, setup);
    conn.execute_batch(LEDGER_ROW).expect("schema");
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    let n = {
        let mut insert = tx
            .prepare(
                "INSERT INTO ledger_row (import_id, file_row, cost_centre, posted_on, amount, subjective, description, reference)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .expect("prepare");
        rows(ledger, |r| {
            insert.raw_bind_parameter(1, 1i64).unwrap();
            insert.raw_bind_parameter(2, r.row as i64).unwrap();
            insert.raw_bind_parameter(3, r.cost_centre.as_str()).unwrap();
            insert.raw_bind_parameter(4, date_key(r)).unwrap();
            insert.raw_bind_parameter(5, r.amount.pence()).unwrap();
            insert.raw_bind_parameter(6, r.subjective.as_str()).unwrap();
            insert.raw_bind_parameter(7, r.description.as_str()).unwrap();
            insert.raw_bind_parameter(8, r.reference.as_str()).unwrap();
            insert.raw_execute().unwrap();
        })
    };
    tx.commit().expect("commit");
    *secs = start.elapsed().as_secs_f64();
    (n, setup.deferred.then(|| checkpoint(&conn)))
}

fn compact(ledger: &Path, db: &Path, setup: Setup, secs: &mut f64) -> (u64, Option<f64>) {
    let start = Instant::now();
    let mut conn = open(db, setup);
    conn.execute_batch(COMPACT).expect("schema");
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
    let n = {
        let mut insert = tx
            .prepare(
                "INSERT INTO ledger_row (import_id, file_row, cost_centre, posted_on, amount, subjective, description, reference)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .expect("prepare");
        let mut add_text = tx.prepare("INSERT INTO text_value (id, value) VALUES (?1, ?2)").expect("prepare");
        let mut ids: HashMap<String, i64> = HashMap::new();
        let mut id = |text: &str| -> i64 {
            if let Some(&i) = ids.get(text) {
                return i;
            }
            let i = ids.len() as i64 + 1;
            add_text.execute((i, text)).unwrap();
            ids.insert(text.to_string(), i);
            i
        };
        rows(ledger, |r| {
            let (cc, sub, desc) = (id(&r.cost_centre), id(&r.subjective), id(&r.description));
            insert.raw_bind_parameter(1, 1i64).unwrap();
            insert.raw_bind_parameter(2, r.row as i64).unwrap();
            insert.raw_bind_parameter(3, cc).unwrap();
            insert.raw_bind_parameter(4, date_key(r)).unwrap();
            insert.raw_bind_parameter(5, r.amount.pence()).unwrap();
            insert.raw_bind_parameter(6, sub).unwrap();
            insert.raw_bind_parameter(7, desc).unwrap();
            insert.raw_bind_parameter(8, r.reference.as_str()).unwrap();
            insert.raw_execute().unwrap();
        })
    };
    tx.commit().expect("commit");
    *secs = start.elapsed().as_secs_f64();
    (n, setup.deferred.then(|| checkpoint(&conn)))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: sqlite_variants LEDGER.csv DIR [VARIANT ...]");
        std::process::exit(2);
    }
    let ledger = Path::new(&args[0]);
    let dir = Path::new(&args[1]);
    let all = ["parse-only", "store", "store-now", "page-16k", "rollback", "compact", "deferred", "combo"];
    let chosen: Vec<&str> = if args.len() > 2 { args[2..].iter().map(String::as_str).collect() } else { all.to_vec() };
    // Rounds of every variant in turn, the fastest of each counting: a burst of other work
    // on the machine spoils one round of one variant at most.
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut best: Vec<Option<(f64, u64, u64, Option<f64>)>> = vec![None; chosen.len()];
    for (i, variant) in (0..rounds).flat_map(|_| chosen.iter().copied().enumerate()) {
        let db = dir.join(format!("variant-{variant}.sqlite"));
        let mut secs = 0.0;
        let (n, checkpoint_secs) = match variant {
            "parse-only" => {
                let start = Instant::now();
                let n = rows(ledger, |r| {
                    std::hint::black_box(r);
                });
                secs = start.elapsed().as_secs_f64();
                (n, None)
            }
            "store" => plain(ledger, &db, STORE, &mut secs),
            "store-now" => {
                plain(ledger, &db, Setup { page_size: 16384, deferred: true, sync_commit: true, ..STORE }, &mut secs)
            }
            "page-16k" => plain(ledger, &db, Setup { page_size: 16384, ..STORE }, &mut secs),
            "rollback" => plain(ledger, &db, Setup { wal: false, ..STORE }, &mut secs),
            "compact" => compact(ledger, &db, STORE, &mut secs),
            "deferred" => plain(ledger, &db, Setup { deferred: true, ..STORE }, &mut secs),
            "combo" => compact(ledger, &db, Setup { page_size: 16384, deferred: true, ..STORE }, &mut secs),
            other => {
                eprintln!("unknown variant `{other}` (variants: {})", all.join(", "));
                std::process::exit(2);
            }
        };
        let bytes: u64 = ["", "-wal", "-journal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
            .map(|m| m.len())
            .sum();
        if best[i].is_none_or(|b| secs < b.0) {
            best[i] = Some((secs, n, bytes, checkpoint_secs));
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
        }
    }
    for (variant, b) in chosen.iter().zip(best) {
        let (secs, n, bytes, checkpoint_secs) = b.expect("ran");
        let checkpoint = checkpoint_secs.map_or(String::new(), |c| format!(" checkpoint_secs={c:.3}"));
        println!(
            "variant={variant} secs={secs:.3} rows={n} rows_per_s={:.0} bytes={bytes}{checkpoint}",
            n as f64 / secs
        );
    }
}
