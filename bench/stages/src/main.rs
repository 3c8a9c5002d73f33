//! Where the time of `pooled import` goes, stage by stage, without a database: each stage
//! does what the import does for every row, up to a point, over the whole extract.
//!
//! usage: pooled-import-stages AGREEMENT.toml PLAN.csv LEDGER.csv [PARTNER] [PERIOD]
//!
//! The stages mirror `pooled_app::import_ledger`: a reading thread reads, checks and
//! tallies the rows (pooled-store's RowTally: count, total, row hash, per cost centre sums
//! and row lists) and takes the file's SHA-256 as it reads, handing rows in batches to the
//! thread that writes them:
//!   sha256-file   the file's SHA-256 in a pass of its own (pooled_files::file_sha256): the
//!                 import takes it so only when the partner has an import for the period
//!   csv-bytes     the csv crate alone: records as bytes, no UTF-8 check, no allocation
//!   read          pooled-files' TableReader::read_into, one reused Record (as the import)
//!   read-hashing  the same, taking the file's SHA-256 as it reads (ReadOptions::sha256)
//!   parse         + the Vec<&str> of fields and RowReader::read (dates, amounts, 4 Strings)
//!   check         + cost centre by HashMap, its partner, the period
//!   check-linear  the same with Plan::cost_centre (a linear search of the plan), as the
//!                 import did before 4de7978, for comparison
//!   tally         parse + RowTally::batch over batches of 4,096 rows: the row hash and the
//!                 tally, which the writing thread did until the reading thread took them
//!   reading-thread  read-hashing + parse + check + tally: the import's reading thread
//! Each figure is the whole pass (the best of ROUNDS rounds, default 3, taken in turn);
//! the differences between passes are the stages' costs.

use std::collections::HashMap;
use std::time::Instant;

use pooled_core::agreement::Agreement;
use pooled_core::ledger::{DateFormat, LedgerRow, Mapping, Period, RowReader};
use pooled_core::plan::Plan;
use pooled_files::{ReadOptions, Record, TableReader, file_sha256};
use pooled_store::RowTally;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: pooled-import-stages AGREEMENT.toml PLAN.csv LEDGER.csv [PARTNER] [PERIOD]");
        std::process::exit(2);
    }
    let (agreement_path, plan_path, ledger) = (&args[0], &args[1], &args[2]);
    let partner_id = args.get(3).map_or("OCC", String::as_str);
    let period = Period::parse(args.get(4).map_or("2016-05", String::as_str)).expect("a period");

    let text = std::fs::read_to_string(agreement_path).expect("read the agreement");
    let (agreement, _) = Agreement::parse(&text).expect("a valid agreement");
    let partner = agreement.partner_ix(partner_id).expect("a partner of the agreement");
    let mut plan_table =
        TableReader::open_with(plan_path, &ReadOptions { sheet: None, dates: DateFormat::Iso, sha256: false }).expect("open plan");
    let header: Vec<String> = plan_table.header().to_vec();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let records = plan_table.by_ref().map(|r| r.expect("a plan record")).map(|r| Ok((r.row, r.fields)));
    let (plan, _) = Plan::read(&agreement, &header, records).expect("a valid plan");
    let by_code: HashMap<&str, usize> = plan.cost_centres().iter().map(|c| (c.code.as_str(), c.partner)).collect();
    let mapping = Mapping::preset("unit4").expect("the unit4 preset");

    let open_hashing = |sha256| {
        TableReader::open_with(ledger, &ReadOptions { sheet: None, dates: mapping.date_format, sha256 }).expect("open")
    };
    let open = || open_hashing(false);
    let reader = {
        let table = open();
        let header: Vec<&str> = table.header().iter().map(String::as_str).collect();
        RowReader::new(&mapping, &header).expect("the unit4 columns")
    };

    let mut stages: Vec<(&'static str, Box<dyn FnMut() -> u64 + '_>)> = Vec::new();

    stages.push(("sha256-file", Box::new(|| {
        std::hint::black_box(file_sha256(std::path::Path::new(ledger)).expect("the file's hash"));
        std::fs::metadata(ledger).expect("its size").len() / 86 // roughly rows, for the rate column only
    })));
    stages.push(("csv-bytes", Box::new(|| {
        let mut csv = csv::ReaderBuilder::new().has_headers(true).from_path(ledger).expect("open");
        let mut record = csv::ByteRecord::new();
        let mut rows = 0;
        while csv.read_byte_record(&mut record).expect("a record") {
            rows += 1;
            std::hint::black_box(&record);
        }
        rows
    })));
    stages.push(("read", Box::new(|| {
        let mut rows = 0;
        let mut table = open();
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            std::hint::black_box(&record);
            rows += 1;
        }
        rows
    })));
    stages.push(("read-hashing", Box::new(|| {
        let mut rows = 0;
        let mut table = open_hashing(true);
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            std::hint::black_box(&record);
            rows += 1;
        }
        assert!(table.sha256().is_some(), "the hash of the file read");
        rows
    })));
    stages.push(("parse", Box::new(|| {
        let mut rows = 0;
        let mut table = open();
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            std::hint::black_box(reader.read(record.row, &fields).expect("a good row"));
            rows += 1;
        }
        rows
    })));
    stages.push(("check-linear", Box::new(|| {
        let mut rows = 0;
        let mut table = open();
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            let row = reader.read(record.row, &fields).expect("a good row");
            let cc = plan.cost_centre(&row.cost_centre).expect("in the plan");
            assert!(cc.partner == partner && period.contains(row.date));
            std::hint::black_box(row);
            rows += 1;
        }
        rows
    })));
    stages.push(("check", Box::new(|| {
        let mut rows = 0;
        let mut table = open();
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            let row = reader.read(record.row, &fields).expect("a good row");
            let cc_partner = *by_code.get(row.cost_centre.as_str()).expect("in the plan");
            assert!(cc_partner == partner && period.contains(row.date));
            std::hint::black_box(row);
            rows += 1;
        }
        rows
    })));
    // Batches as the import hands them to the writing thread, which drops them here.
    const BATCH: usize = 4096;
    stages.push(("tally", Box::new(|| {
        let mut tally = RowTally::new();
        let mut batch: Vec<LedgerRow> = Vec::with_capacity(BATCH);
        let mut rows = 0;
        let mut table = open();
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            batch.push(reader.read(record.row, &fields).expect("a good row"));
            if batch.len() == BATCH {
                drop(tally.batch(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))));
            }
            rows += 1;
        }
        drop(tally.batch(batch));
        std::hint::black_box(tally);
        rows
    })));
    stages.push(("reading-thread", Box::new(|| {
        let mut tally = RowTally::new();
        let mut batch: Vec<LedgerRow> = Vec::with_capacity(BATCH);
        let mut rows = 0;
        let mut table = open_hashing(true);
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            let row = reader.read(record.row, &fields).expect("a good row");
            let cc_partner = *by_code.get(row.cost_centre.as_str()).expect("in the plan");
            assert!(cc_partner == partner && period.contains(row.date));
            batch.push(row);
            if batch.len() == BATCH {
                drop(tally.batch(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))));
            }
            rows += 1;
        }
        drop(tally.batch(batch));
        std::hint::black_box((tally, table.sha256().expect("the file's hash")));
        rows
    })));

    // Rounds of every pass in turn; each pass's fastest round counts, so that a burst of
    // other work on the machine spoils one round of one pass at most.
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let mut results: Vec<(&str, f64, u64)> = stages.iter().map(|(name, _)| (*name, f64::INFINITY, 0)).collect();
    for _ in 0..rounds {
        for (i, (_, f)) in stages.iter_mut().enumerate() {
            let start = Instant::now();
            let rows = f();
            let secs = start.elapsed().as_secs_f64();
            results[i].1 = results[i].1.min(secs);
            results[i].2 = rows;
        }
    }
    for (name, secs, rows) in &results {
        println!("stage={name} secs={secs:.3} rows={rows} rows_per_s={:.0}", *rows as f64 / secs);
    }
    let secs = |name: &str| results.iter().find(|r| r.0 == name).map_or(0.0, |r| r.1);
    println!(
        "cost read_s={:.3} parse_s={:.3} lookup_hashmap_s={:.3} lookup_linear_s={:.3} row_hash_s={:.3} file_hash_s={:.3} file_hash_alone_s={:.3} reading_thread_s={:.3}",
        secs("read"),
        secs("parse") - secs("read"),
        secs("check") - secs("parse"),
        secs("check-linear") - secs("parse"),
        secs("tally") - secs("parse"),
        secs("read-hashing") - secs("read"),
        secs("sha256-file"),
        secs("reading-thread"),
    );
}
