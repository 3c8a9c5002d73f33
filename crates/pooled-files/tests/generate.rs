//! Synthetic ledgers and plans: deterministic, readable by the core under their own
//! mapping, dated inside their span, and plans that match the agreement to the penny.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use pooled_core::agreement::{Agreement, Funding};
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Mapping, Period, RowReader};
use pooled_core::money::Money;
use pooled_core::plan::Plan;
use pooled_files::{GenOptions, Negatives, PlanRow, Span, TableReader, gen_ledger, gen_plan, write_plan_csv};

fn agreement() -> Agreement {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/oxfordshire-2016-17.toml");
    Agreement::parse(&std::fs::read_to_string(path).unwrap()).unwrap().0
}

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-files-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn generate(options: &GenOptions) -> Vec<u8> {
    let mut out = Vec::new();
    gen_ledger(options, &mut out).unwrap();
    out
}

fn year() -> FinancialYear {
    FinancialYear::parse("2016-17").unwrap()
}

fn options(preset: &str, span: Span, rows: u64, seed: u64) -> GenOptions {
    let codes = gen_plan(&agreement(), 20, 7).into_iter().map(|r| r.code).collect();
    GenOptions { rows, seed, ..GenOptions::new(Mapping::preset(preset).unwrap(), span, codes) }
}

/// Reads a generated file back the way an importer would: [`TableReader`], then the core's
/// [`RowReader`] under the generator's own mapping. Every row must parse.
fn read_back(dir: &std::path::Path, mapping: &Mapping, bytes: &[u8]) -> (Vec<String>, Vec<LedgerRow>) {
    let path = dir.join("ledger.csv");
    std::fs::write(&path, bytes).unwrap();
    let reader = TableReader::open(&path).unwrap();
    let header = reader.header().to_vec();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = RowReader::new(mapping, &names).unwrap();
    let parsed = reader
        .map(|record| {
            let record = record.unwrap();
            let fields: Vec<&str> = record.fields.iter().map(String::as_str).collect();
            rows.read(record.row, &fields).unwrap_or_else(|e| panic!("{}", e.render("ledger.csv")))
        })
        .collect();
    (header, parsed)
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let span = Span::Period(Period::parse("2016-05").unwrap());
    let a = generate(&options("oracle", span, 2000, 42));
    assert_eq!(a, generate(&options("oracle", span, 2000, 42)));
    assert_ne!(a, generate(&options("oracle", span, 2000, 43)));
}

#[test]
fn every_row_parses_under_its_own_mapping_inside_its_span() {
    let dir = scratch("parses");
    let may = Period::parse("2016-05").unwrap();
    let february = Period::parse("2017-02").unwrap(); // M11: 28 days, in the next calendar year
    let to_m6 = Span::YearTo { year: year(), through: FiscalMonth::new(6).unwrap() };
    // Table: (preset, span, a sample of how the ERP writes a date and a negative amount).
    let cases = [
        ("oracle", Span::Period(may), "-MAY-2016,", None),
        ("unit4", Span::Period(may), "/05/2016,", Some(",-")),
        ("sap", Span::Period(may), ",201605", Some("-\n")),
        ("unit4", Span::Period(february), "/02/2017,", Some(",-")),
        ("sap", to_m6, ",201609", Some("-\n")),
        ("oracle", to_m6, "-APR-2016,", None),
    ];
    for (preset, span, date_sample, negative_sample) in cases {
        let options = options(preset, span, 3000, 1);
        let bytes = generate(&options);
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(date_sample), "{preset}: no `{date_sample}`");
        if let Some(sample) = negative_sample {
            assert!(text.contains(sample), "{preset}: no `{sample:?}`");
        }
        let (header, rows) = read_back(&dir, &options.mapping, &bytes);
        assert_eq!(rows.len(), 3000, "{preset}");

        // The header is the mapping's columns.
        let m = &options.mapping;
        let mut want = vec![m.cost_centre.clone(), m.date.clone()];
        want.extend([&m.subjective, &m.description, &m.reference].into_iter().flatten().cloned());
        match &m.amount {
            pooled_core::ledger::AmountColumns::Signed(a) => want.push(a.clone()),
            pooled_core::ledger::AmountColumns::DebitCredit { debit, credit } => {
                want.extend([debit.clone(), credit.clone()]);
            }
        }
        assert_eq!(header, want, "{preset}");

        let periods: Vec<Period> = match span {
            Span::Period(p) => vec![p],
            Span::YearTo { year, through } => {
                FiscalMonth::all().take_while(|m| *m <= through).map(|month| Period { year, month }).collect()
            }
        };
        let known: BTreeSet<&String> = options.cost_centres.iter().collect();
        let mut months_seen = BTreeSet::new();
        let mut previous_month = periods[0];
        for row in &rows {
            let period = Period::containing(row.date);
            assert!(periods.contains(&period), "{preset}: {} outside the span", row.date);
            assert!(period >= previous_month, "{preset}: months out of order at row {}", row.row);
            previous_month = period;
            months_seen.insert(period);
            assert!(!row.date.weekday().is_weekend(), "{preset}: {} is a weekend", row.date);
            assert!(known.contains(&row.cost_centre), "{preset}: unknown {}", row.cost_centre);
            assert!(!row.subjective.is_empty() && !row.description.is_empty() && !row.reference.is_empty());
        }
        assert_eq!(months_seen.len(), periods.len(), "{preset}: every month has rows");

        // Realism: refunds, income and journals are negative; odd pence; many cost
        // centres; descriptions that needed quoting; journals that balance.
        let negatives = rows.iter().filter(|r| r.amount.is_negative()).count();
        assert!((150..900).contains(&negatives), "{preset}: {negatives} negative rows");
        assert!(rows.iter().filter(|r| r.amount.pence() % 100 != 0).count() > 2000, "{preset}: odd pence");
        assert!(rows.iter().map(|r| &r.cost_centre).collect::<BTreeSet<_>>().len() > 150, "{preset}");
        assert!(rows.iter().any(|r| r.description.contains(',')) && rows.iter().any(|r| r.description.contains('"')));
        let mut journals: HashMap<&str, Vec<Money>> = HashMap::new();
        for r in rows.iter().filter(|r| r.reference.starts_with("JNL")) {
            journals.entry(&r.reference).or_default().push(r.amount);
        }
        assert!(journals.len() > 50, "{preset}: {} journals", journals.len());
        for (reference, legs) in &journals {
            let balanced = legs.len() == 2 && legs.iter().copied().sum::<Money>() == Money::ZERO;
            // Only the last row can be a one-sided correction.
            let last = rows.last().unwrap().reference == *reference;
            assert!(balanced || (last && legs.len() == 1), "{preset}: journal {reference} is {legs:?}");
        }
    }
}

#[test]
fn negatives_follow_the_option() {
    let span = Span::Period(Period::parse("2016-05").unwrap());
    let cases = [(Negatives::Leading, ",-"), (Negatives::Trailing, "-\n")];
    for (negatives, sample) in cases {
        let options = GenOptions { negatives, ..options("unit4", span, 500, 3) };
        let text = String::from_utf8(generate(&options)).unwrap();
        assert!(text.contains(sample), "{negatives:?}");
    }
    assert_eq!(Negatives::usual_for(&Mapping::preset("sap").unwrap()), Negatives::Trailing);
    assert_eq!(Negatives::usual_for(&Mapping::preset("unit4").unwrap()), Negatives::Leading);
}

#[test]
fn small_and_impossible_requests() {
    let span = Span::Period(Period::parse("2016-05").unwrap());
    // No rows: the header alone.
    let text = String::from_utf8(generate(&options("unit4", span, 0, 1))).unwrap();
    assert_eq!(text, "Cost Centre,Voucher Date,Account,Description,Voucher No,Amount\n");
    // One row: a journal has no room for its pair, so it is one-sided; always parses.
    for seed in 0..50 {
        let dir = scratch("one-row");
        let options = options("oracle", span, 1, seed);
        assert_eq!(read_back(&dir, &options.mapping, &generate(&options)).1.len(), 1);
    }
    let nowhere = GenOptions { cost_centres: vec![], ..options("sap", span, 10, 1) };
    let err = gen_ledger(&nowhere, Vec::new()).unwrap_err();
    assert_eq!(err.to_string(), "no cost centres to generate postings for");
}

#[test]
fn a_generated_plan_matches_the_agreement_exactly() {
    let agreement = agreement();
    for per_partner in [1, 3, 20] {
        let plan = gen_plan(&agreement, per_partner, 11);
        // Codes are unique.
        assert_eq!(plan.iter().map(|r| &r.code).collect::<BTreeSet<_>>().len(), plan.len());
        // For every line, each partner's cost centres sum to its contribution.
        for pool in agreement.pools() {
            for line in &pool.lines {
                let Funding::Contributions(by_partner) = &line.funding else { panic!("2016-17 splits every line") };
                for (p, contribution) in by_partner.iter().enumerate() {
                    let partner = &agreement.partners()[p].id;
                    let mine: Vec<&PlanRow> = plan
                        .iter()
                        .filter(|r| r.pool == pool.id && r.line == line.id && r.partner == *partner)
                        .collect();
                    let sum: Money = mine.iter().map(|r| r.budget).sum();
                    assert_eq!(sum, *contribution, "{} {} {partner}", pool.id, line.id);
                    let expected = if *contribution == Money::ZERO { 0 } else { per_partner };
                    assert_eq!(mine.len(), expected, "{} {} {partner}", pool.id, line.id);
                }
            }
        }
    }
    // Through the CSV and the core's plan reader: valid, with no budget mismatches.
    let plan = gen_plan(&agreement, 20, 11);
    assert!(plan.len() >= 200, "hundreds of cost centres: {}", plan.len());
    let mut csv = Vec::new();
    write_plan_csv(&mut csv, &plan).unwrap();
    let dir = scratch("plan");
    let path = dir.join("plan.csv");
    std::fs::write(&path, &csv).unwrap();
    let reader = TableReader::open(&path).unwrap();
    assert_eq!(reader.header(), ["code", "name", "partner", "pool", "line", "budget"]);
    let header: Vec<String> = reader.header().to_vec();
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let records = reader.map(|r| r.unwrap()).map(|r| Ok((r.row, r.fields)));
    let (read, warnings) = Plan::read(&agreement, &names, records).unwrap();
    assert_eq!(warnings, Vec::<String>::new());
    assert_eq!(read.cost_centres().len(), plan.len());
    // The same seed, the same plan; another seed, other budgets.
    assert_eq!(gen_plan(&agreement, 20, 11), plan);
    assert_ne!(gen_plan(&agreement, 20, 12), plan);
}
