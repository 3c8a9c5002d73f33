//! Where the time of `pooled import` goes, stage by stage, without a database: each stage
//! does what the import does for every row, up to a point, over the whole extract.
//!
//! usage: pooled-import-stages AGREEMENT.toml PLAN.csv LEDGER.csv [PARTNER] [PERIOD]
//!
//! The stages mirror `pooled_app::import_ledger` (as of commit 4de7978: a reading thread
//! checks rows and hands them in batches to the thread that writes) and the store's tally:
//!   sha256-file   the file's SHA-256 (how a repeated file is recognised), 64 KiB reads;
//!                 the import does this first, before any row is read
//!   csv-bytes     the csv crate alone: records as bytes, no UTF-8 check, no allocation
//!   read          pooled-files' TableReader::read_into, one reused Record (as the import)
//!   parse         + the Vec<&str> of fields and RowReader::read (dates, amounts, 4 Strings)
//!   check         + cost centre by HashMap, its partner, the period: the import's reading
//!                 thread, complete
//!   check-linear  the same with Plan::cost_centre (a linear search of the plan), as the
//!                 import did before 4de7978, for comparison
//!   row-hash      parse + SHA-256 over each row's stored parts, as the store's RowHasher
//!                 does on the writing thread
//! Each figure is the whole pass (the best of ROUNDS rounds, default 3, taken in turn);
//! the differences between passes are the stages' costs.

use std::collections::HashMap;
use std::io::Read;
use std::time::Instant;

use pooled_core::agreement::Agreement;
use pooled_core::ledger::{DateFormat, Mapping, Period, RowReader};
use pooled_core::plan::Plan;
use pooled_files::{ReadOptions, Record, TableReader};
use sha2::{Digest, Sha256};

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
        TableReader::open_with(plan_path, &ReadOptions { sheet: None, dates: DateFormat::Iso }).expect("open plan");
    let header: Vec<String> = plan_table.header().to_vec();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let records = plan_table.by_ref().map(|r| r.expect("a plan record")).map(|r| (r.row, r.fields));
    let (plan, _) = Plan::read(&agreement, &header, records).expect("a valid plan");
    let by_code: HashMap<&str, usize> = plan.cost_centres().iter().map(|c| (c.code.as_str(), c.partner)).collect();
    let mapping = Mapping::preset("unit4").expect("the unit4 preset");

    let open = || TableReader::open_with(ledger, &ReadOptions { sheet: None, dates: mapping.date_format }).expect("open");
    let reader = {
        let table = open();
        let header: Vec<&str> = table.header().iter().map(String::as_str).collect();
        RowReader::new(&mapping, &header).expect("the unit4 columns")
    };

    let mut stages: Vec<(&'static str, Box<dyn FnMut() -> u64 + '_>)> = Vec::new();

    stages.push(("sha256-file", Box::new(|| {
        let mut file = std::fs::File::open(ledger).expect("open");
        let mut sha = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        let mut bytes = 0u64;
        loop {
            let n = file.read(&mut buffer).expect("read");
            if n == 0 {
                break;
            }
            bytes += n as u64;
            sha.update(&buffer[..n]);
        }
        std::hint::black_box(sha.finalize());
        bytes / 86 // roughly rows, for the rate column only
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
    stages.push(("row-hash", Box::new(|| {
        // As pooled-store's RowHasher: fixed-width numbers, then each text LEB128-prefixed.
        let mut sha = Sha256::new();
        let mut b: Vec<u8> = Vec::with_capacity(256);
        let mut rows = 0;
        let mut table = open();
        let mut record = Record::default();
        while table.read_into(&mut record).expect("a record") {
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            let row = reader.read(record.row, &fields).expect("a good row");
            b.clear();
            b.extend_from_slice(&(row.row as i64).to_le_bytes());
            let date = row.date.year() * 10_000 + (row.date.month() * 100 + row.date.day()) as i32;
            b.extend_from_slice(&date.to_le_bytes());
            b.extend_from_slice(&row.amount.pence().to_le_bytes());
            for text in [&row.cost_centre, &row.subjective, &row.description, &row.reference] {
                let mut n = text.len();
                while n >= 0x80 {
                    b.push((n & 0x7f) as u8 | 0x80);
                    n >>= 7;
                }
                b.push(n as u8);
                b.extend_from_slice(text.as_bytes());
            }
            sha.update(&b);
            rows += 1;
        }
        std::hint::black_box(sha.finalize());
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
        "cost read_s={:.3} parse_s={:.3} lookup_hashmap_s={:.3} lookup_linear_s={:.3} row_hash_s={:.3} file_hash_s={:.3} reading_thread_s={:.3}",
        secs("read"),
        secs("parse") - secs("read"),
        secs("check") - secs("parse"),
        secs("check-linear") - secs("parse"),
        secs("row-hash") - secs("parse"),
        secs("sha256-file"),
        secs("check"),
    );
}
