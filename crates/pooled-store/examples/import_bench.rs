//! Times ledger imports into a store with rows generated in memory (no file parsing), then
//! the reads a monthly report makes.
//!
//! ```text
//! cargo run --release -p pooled-store --example import_bench -- sqlite /tmp/bench.db 1000000 [IMPORTS]
//! cargo run --release -p pooled-store --example import_bench -- postgres postgres://postgres@127.0.0.1:5432/test 1000000
//! ```
//!
//! IMPORTS (default 1) extracts of ROWS rows each go in as consecutive periods of
//! 2016-17 alternating between two partners. The SQLite file is deleted first; PostgreSQL
//! runs in a schema `pooled_bench`, dropped first.

use std::time::Instant;

use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Period};
use pooled_core::money::Money;
use pooled_store::{AgreementYear, ImportHeader, PostgresStore, SqliteStore, Store, import_items};

/// A deterministic stream of plausible rows: 400 cost centres, odd pence, refunds.
struct Rows {
    n: u64,
    left: u64,
    state: u64,
    period: Period,
    cost_centres: Vec<String>,
    subjectives: Vec<String>,
}

impl Rows {
    fn new(n: u64, period: Period, seed: u64) -> Rows {
        Rows {
            n,
            left: n,
            state: seed | 1,
            period,
            cost_centres: (0..400).map(|i| format!("CC{:04}", 1000 + i)).collect(),
            subjectives: (0..30).map(|i| format!("5{:03}", i * 7)).collect(),
        }
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64: fast, and the same rows on every run.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        self.state
    }
}

impl Iterator for Rows {
    type Item = LedgerRow;

    fn next(&mut self) -> Option<LedgerRow> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = self.next_random();
        let days = self.period.last_day().day();
        let date =
            Date::new(self.period.first_day().year(), self.period.first_day().month(), 1 + (r % 97) as u32 % days)?;
        let pence = (r >> 8) as i64 % 500_000;
        let refund = r.is_multiple_of(20);
        let amount = Money::from_pence(if refund { -pence } else { pence });
        let row = self.n - self.left + 1;
        Some(LedgerRow {
            row,
            cost_centre: self.cost_centres[(r >> 20) as usize % self.cost_centres.len()].clone(),
            date,
            amount,
            subjective: self.subjectives[(r >> 32) as usize % self.subjectives.len()].clone(),
            description: if refund { "Refund".to_string() } else { "Care package".to_string() },
            reference: format!("J{}", 100_000 + row),
        })
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: import_bench sqlite|postgres PATH|URL ROWS [IMPORTS]";
    let (Some(backend), Some(location), Some(rows)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let rows: u64 = rows.parse().expect("ROWS is a number");
    let imports: u32 = args.get(3).map_or(1, |n| n.parse().expect("IMPORTS is a number"));
    let mut store: Box<dyn Store> = match backend.as_str() {
        "sqlite" => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{location}{suffix}"));
            }
            Box::new(SqliteStore::open(std::path::Path::new(location)).expect("open SQLite"))
        }
        "postgres" => {
            let mut client = postgres::Client::connect(location, postgres::NoTls).expect("connect");
            client.batch_execute("DROP SCHEMA IF EXISTS pooled_bench CASCADE").expect("drop schema");
            Box::new(PostgresStore::open_in_schema(location, "pooled_bench").expect("open PostgreSQL"))
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    };
    let year = FinancialYear::parse("2016-17").expect("a year");
    let agreement = AgreementYear::new("bench", year);

    let start = Instant::now();
    let generated = Rows::new(rows, Period { year, month: FiscalMonth::new(1).expect("M1") }, 7).count();
    let generation = start.elapsed();
    println!("generating {generated} rows alone: {:.3} s", generation.as_secs_f64());

    let mut total_secs = 0.0;
    for i in 0..imports {
        let month = FiscalMonth::new(1 + (i / 2) % 12).expect("a month");
        let partner = if i % 2 == 0 { "OCC" } else { "OCCG" };
        let period = Period { year, month };
        let header = ImportHeader {
            agreement: agreement.agreement.clone(),
            period,
            partner: partner.to_string(),
            file_name: format!("bench-{period}-{partner}.csv"),
            file_sha256: Some(format!("{:064x}", u64::from(i) + 1)),
            actor: "bench".to_string(),
        };
        let start = Instant::now();
        // Tallied on this thread, as the store takes the rows (`pooled import` tallies on
        // its reading thread instead).
        let mut items = import_items(Rows::new(rows, period, 7 + u64::from(i)));
        let outcome = store.import_ledger(&header, &mut items).expect("import");
        let secs = start.elapsed().as_secs_f64();
        total_secs += secs;
        println!(
            "{} import {}/{imports} ({period} {partner}): {rows} rows in {secs:.3} s = {:.0} rows/s ({:?})",
            store.backend(),
            i + 1,
            rows as f64 / secs,
            outcome
        );
    }
    let all = rows * u64::from(imports);
    println!("{} total: {all} rows in {total_secs:.3} s = {:.0} rows/s", store.backend(), all as f64 / total_secs);

    let start = Instant::now();
    let actuals = store.actuals(&agreement).expect("actuals");
    println!("actuals(): {} cost centre months in {:.1} ms", actuals.len(), start.elapsed().as_secs_f64() * 1e3);
    let start = Instant::now();
    let drill = store.ledger_rows(&agreement, "CC1234", 100).expect("ledger rows");
    println!("ledger_rows(CC1234, 100): {} rows in {:.1} ms", drill.len(), start.elapsed().as_secs_f64() * 1e3);
    let start = Instant::now();
    let problem = store.verify_audit().expect("verify");
    println!("verify_audit(): {problem:?} in {:.3} s", start.elapsed().as_secs_f64());
}
