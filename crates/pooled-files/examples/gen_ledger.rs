//! Times `gen_ledger`: writes ROWS synthetic rows for May 2016 (2016-17 M2) posted to the
//! cost centres of a generated plan for the 2016-17 example agreement, in PRESET's shape
//! (oracle, unit4 or sap), to OUT, and prints the rate. Run from the workspace root:
//!
//! ```text
//! cargo run --release -p pooled-files --example gen_ledger -- 1000000 1 unit4 /tmp/ledger.csv
//! ```
//!
//! `pooled gen-ledger` is the command for users; this is for measuring the generator alone.

use std::io::BufWriter;
use std::time::Instant;

use pooled_core::agreement::Agreement;
use pooled_core::ledger::{Mapping, Period};
use pooled_files::{GenOptions, Postings, Span, gen_ledger, gen_plan};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [rows, seed, preset, out] = args.as_slice() else {
        return Err("usage: gen_ledger ROWS SEED PRESET OUT".into());
    };
    let text = std::fs::read_to_string("examples/oxfordshire-2016-17.toml")?;
    let agreement = Agreement::parse(&text).map_err(|_| "examples/oxfordshire-2016-17.toml does not parse")?.0;
    let mapping = Mapping::preset(preset).ok_or_else(|| format!("no preset `{preset}`"))?;
    let cost_centres = gen_plan(&agreement, 20, 1).into_iter().map(|r| r.code).collect();
    let rows: u64 = rows.parse()?;
    let postings = Postings::Rows { rows, cost_centres };
    let options = GenOptions {
        seed: seed.parse()?,
        ..GenOptions::new(mapping, Span::Period(Period::parse("2016-05")?), postings)
    };
    let start = Instant::now();
    gen_ledger(&options, BufWriter::new(std::fs::File::create(out)?))?;
    let seconds = start.elapsed().as_secs_f64();
    eprintln!("{rows} rows in {seconds:.3} s: {:.0} rows/s", rows as f64 / seconds);
    Ok(())
}
