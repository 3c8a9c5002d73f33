//! Synthetic ledgers and plans: deterministic, readable by the core under their own
//! mapping, dated inside their span, and plans that match the agreement to the penny.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use pooled_core::agreement::{Agreement, Funding};
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{LedgerRow, Mapping, Period, RowReader};
use pooled_core::money::Money;
use pooled_core::plan::Plan;
use pooled_files::{GenOptions, Negatives, PlanRow, Postings, Span, TableReader, gen_ledger, gen_plan, write_plan_csv};

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
    let cost_centres = gen_plan(&agreement(), 20, 7).into_iter().map(|r| r.code).collect();
    GenOptions {
        seed,
        ..GenOptions::new(Mapping::preset(preset).unwrap(), span, Postings::Rows { rows, cost_centres })
    }
}

fn cost_centres(options: &GenOptions) -> BTreeSet<&str> {
    match &options.postings {
        Postings::Rows { cost_centres, .. } => cost_centres.iter().map(String::as_str).collect(),
        Postings::Budgets(plan) => plan.iter().map(|c| c.code.as_str()).collect(),
    }
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
        let known = cost_centres(&options);
        let mut months_seen = BTreeSet::new();
        let mut previous_month = periods[0];
        for row in &rows {
            let period = Period::containing(row.date);
            assert!(periods.contains(&period), "{preset}: {} outside the span", row.date);
            assert!(period >= previous_month, "{preset}: months out of order at row {}", row.row);
            previous_month = period;
            months_seen.insert(period);
            assert!(!row.date.weekday().is_weekend(), "{preset}: {} is a weekend", row.date);
            assert!(known.contains(row.cost_centre.as_str()), "{preset}: unknown {}", row.cost_centre);
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
    let nowhere =
        GenOptions { postings: Postings::Rows { rows: 10, cost_centres: vec![] }, ..options("sap", span, 10, 1) };
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
    // A profile that is not flat is written as M1 to M12, and read back as given.
    let mut profiled = plan.clone();
    profiled[0].profile.swap(0, 11);
    let mut csv = Vec::new();
    write_plan_csv(&mut csv, &profiled).unwrap();
    std::fs::write(&path, &csv).unwrap();
    let reader = TableReader::open(&path).unwrap();
    let header: Vec<String> = reader.header().to_vec();
    assert_eq!(header.len(), 18);
    let names: Vec<&str> = header.iter().map(String::as_str).collect();
    let records = reader.map(|r| r.unwrap()).map(|r| Ok((r.row, r.fields)));
    let (read, _) = Plan::read(&agreement, &names, records).unwrap();
    let profiles: Vec<[Money; 12]> = read.cost_centres().iter().map(|c| c.profile).collect();
    assert_eq!(profiles, profiled.iter().map(|r| r.profile).collect::<Vec<_>>());
    // The same seed, the same plan; another seed, other budgets.
    assert_eq!(gen_plan(&agreement, 20, 11), plan);
    assert_ne!(gen_plan(&agreement, 20, 12), plan);
}

fn agreement_2022() -> Agreement {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/oxfordshire-2022-23.toml");
    Agreement::parse(&std::fs::read_to_string(path).unwrap()).unwrap().0
}

fn budgeted(plan: Vec<PlanRow>, span: Span, seed: u64) -> GenOptions {
    GenOptions { seed, ..GenOptions::new(Mapping::preset("unit4").unwrap(), span, Postings::Budgets(plan)) }
}

fn first_half(agreement: &Agreement) -> Span {
    Span::YearTo { year: agreement.financial_year(), through: FiscalMonth::new(6).unwrap() }
}

/// What the rows net to, by cost centre and month.
fn nets(rows: &[LedgerRow]) -> HashMap<(&str, Period), Money> {
    let mut nets = HashMap::new();
    for row in rows {
        *nets.entry((row.cost_centre.as_str(), Period::containing(row.date))).or_insert(Money::ZERO) += row.amount;
    }
    nets
}

/// Basis points of `of` that `part` is (`of` > 0).
fn basis_points(part: Money, of: Money) -> i64 {
    i64::try_from(i128::from(part.pence()) * 10_000 / i128::from(of.pence())).unwrap()
}

#[test]
fn budgeted_postings_follow_the_plan_with_a_few_lines_over_and_a_few_under() {
    let dir = scratch("budgeted");
    // Table: the agreement, and each partner's extract as its ERP would send it.
    for agreement in [agreement(), agreement_2022()] {
        let year = agreement.financial_year();
        let plan = gen_plan(&agreement, 20, 3);
        for partner in agreement.partners() {
            let mine: Vec<PlanRow> = plan.iter().filter(|c| c.partner == partner.id).cloned().collect();
            if mine.is_empty() {
                continue; // 2022-23 gives the CCG no cost centres: its lines are the council's
            }
            let (mut over, mut under, mut lines_seen) = (0, 0, 0);
            for seed in 1..=6 {
                let options = budgeted(mine.clone(), first_half(&agreement), seed);
                let (_, rows) = read_back(&dir, &options.mapping, &generate(&options));
                let nets = nets(&rows);
                let months: Vec<Period> = FiscalMonth::all().take(6).map(|month| Period { year, month }).collect();
                let net = |c: &PlanRow, p: &Period| nets.get(&(c.code.as_str(), *p)).copied().unwrap_or_default();
                for (m, period) in months.iter().enumerate() {
                    let context = format!("{year} {} {period} seed {seed}", partner.id);
                    // Every cost centre within its line's variance, its own and the month's.
                    for c in &mine {
                        let bp = basis_points(net(c, period) - c.profile[m], c.profile[m]);
                        assert!(bp.abs() <= 3_500, "{context}: {} is {bp} bp from its budget", c.code);
                    }
                    // Every pool within 3% of its budget for the month.
                    for pool in agreement.pools() {
                        let ours: Vec<&PlanRow> = mine.iter().filter(|c| c.pool == pool.id).collect();
                        let budget: Money = ours.iter().map(|c| c.profile[m]).sum();
                        let actual: Money = ours.iter().map(|c| net(c, period)).sum();
                        if budget > Money::ZERO {
                            let bp = basis_points(actual - budget, budget);
                            assert!(bp.abs() <= 300, "{context}: pool {} is {bp} bp from its budget", pool.id);
                        }
                    }
                }
                // Lines over the half year: a few more than 3% over or under, most within.
                for pool in agreement.pools() {
                    for line in &pool.lines {
                        let ours: Vec<&PlanRow> =
                            mine.iter().filter(|c| c.pool == pool.id && c.line == line.id).collect();
                        let budget: Money = ours.iter().flat_map(|c| &c.profile[..6]).copied().sum();
                        if budget == Money::ZERO {
                            continue;
                        }
                        let actual: Money = ours.iter().flat_map(|c| months.iter().map(|p| net(c, p))).sum();
                        let bp = basis_points(actual - budget, budget);
                        lines_seen += 1;
                        over += usize::from(bp > 300);
                        under += usize::from(bp < -300);
                    }
                }
            }
            eprintln!("{year} {}: {lines_seen} lines, {over} over, {under} under", partner.id);
            assert!(over > 0 && under > 0, "{year} {}: {over} lines over, {under} under", partner.id);
            assert!(over + under < lines_seen / 2, "{year} {}: {over} over, {under} under of {lines_seen}", partner.id);
        }
    }
}

#[test]
fn a_budgeted_extract_is_the_same_for_its_seed_and_its_year_is_its_months_in_turn() {
    let agreement = agreement();
    let year = agreement.financial_year();
    let plan: Vec<PlanRow> = gen_plan(&agreement, 5, 1).into_iter().filter(|c| c.partner == "OCCG").collect();
    let half = generate(&budgeted(plan.clone(), first_half(&agreement), 9));
    assert_eq!(half, generate(&budgeted(plan.clone(), first_half(&agreement), 9)));
    assert_ne!(half, generate(&budgeted(plan.clone(), first_half(&agreement), 10)));
    let mut months =
        generate(&budgeted(plan.clone(), Span::Period(Period { year, month: FiscalMonth::new(1).unwrap() }), 9));
    for m in 2..=6 {
        let month =
            generate(&budgeted(plan.clone(), Span::Period(Period { year, month: FiscalMonth::new(m).unwrap() }), 9));
        let header_end = month.iter().position(|b| *b == b'\n').unwrap() + 1;
        months.extend_from_slice(&month[header_end..]);
    }
    assert_eq!(String::from_utf8(months).unwrap(), String::from_utf8(half).unwrap());
}

#[test]
fn budgeted_postings_have_credit_notes_and_journals_that_net_to_zero() {
    let dir = scratch("journals");
    let agreement = agreement();
    let plan: Vec<PlanRow> = gen_plan(&agreement, 20, 1).into_iter().filter(|c| c.partner == "OCC").collect();
    for preset in ["oracle", "unit4", "sap"] {
        let options = GenOptions {
            seed: 5,
            ..GenOptions::new(Mapping::preset(preset).unwrap(), first_half(&agreement), Postings::Budgets(plan.clone()))
        };
        let (_, rows) = read_back(&dir, &options.mapping, &generate(&options));
        // About twenty postings a cost centre a month, whatever its budget.
        let per_cost_centre_month = rows.len() / (plan.len() * 6);
        assert!((15..40).contains(&per_cost_centre_month), "{preset}: {per_cost_centre_month} rows a month");
        let credit_notes: Vec<&LedgerRow> = rows.iter().filter(|r| r.reference.starts_with("CRN")).collect();
        assert!(credit_notes.len() > rows.len() / 50, "{preset}: {} credit notes", credit_notes.len());
        assert!(credit_notes.iter().all(|r| r.amount.is_negative() && r.description.starts_with("Credit note")));
        let mut journals: HashMap<&str, Vec<&LedgerRow>> = HashMap::new();
        for r in rows.iter().filter(|r| r.reference.starts_with("JNL")) {
            journals.entry(&r.reference).or_default().push(r);
        }
        assert!(journals.len() > 100, "{preset}: {} journals", journals.len());
        for (reference, legs) in &journals {
            let [to, from] = legs.as_slice() else { panic!("{preset}: journal {reference} has {} legs", legs.len()) };
            assert_eq!(to.amount + from.amount, Money::ZERO, "{preset}: journal {reference}");
            assert!(to.amount > Money::ZERO && to.cost_centre != from.cost_centre, "{preset}: journal {reference}");
            assert_eq!(
                to.description.replace(" from ", " to ").replace(&from.cost_centre, &to.cost_centre),
                from.description
            );
        }
        // References are document numbers: unique, but for a journal's two legs.
        let references: BTreeSet<&str> = rows.iter().map(|r| r.reference.as_str()).collect();
        assert_eq!(references.len(), rows.len() - journals.len(), "{preset}");
        // Every other row is an invoice to a cost centre of the plan, in pence as often as not.
        assert!(rows.iter().filter(|r| r.reference.starts_with("INV")).all(|r| r.amount > Money::ZERO));
        assert!(rows.iter().filter(|r| r.amount.pence() % 100 != 0).count() > rows.len() / 2, "{preset}: odd pence");
    }
}

#[test]
fn budgeted_postings_follow_a_monthly_profile_and_income() {
    let dir = scratch("profile");
    let agreement = agreement();
    let year = agreement.financial_year();
    let pounds = |p: i64| Money::from_pounds(p).unwrap();
    let cost_centre = |code: &str, line: &str, profile: [Money; 12]| PlanRow {
        code: code.into(),
        name: code.into(),
        partner: "OCC".into(),
        pool: "OP".into(),
        line: line.into(),
        budget: profile.iter().copied().sum(),
        profile,
    };
    // Capital grants paid in two lumps, a steady service, and a line of client income.
    let mut lumps = [Money::ZERO; 12];
    lumps[2] = pounds(400_000);
    lumps[8] = pounds(350_000);
    let plan = vec![
        cost_centre("GRANTS", "equipment", lumps),
        cost_centre("STEADY", "older-people", pounds(1_200_000).monthly()),
        cost_centre("INCOME", "older-people", [pounds(-20_000); 12]),
    ];
    for seed in 1..=20 {
        let span = Span::YearTo { year, through: FiscalMonth::new(12).unwrap() };
        let options = budgeted(plan.clone(), span, seed);
        let (_, rows) = read_back(&dir, &options.mapping, &generate(&options));
        let nets = nets(&rows);
        for (m, month) in FiscalMonth::all().enumerate() {
            let period = Period { year, month };
            for c in &plan {
                let net = nets.get(&(c.code.as_str(), period)).copied().unwrap_or_default();
                let budget = c.profile[m];
                let context = format!("seed {seed} {period} {}: {net} for a budget of {budget}", c.code);
                if budget == Money::ZERO {
                    assert_eq!(net, Money::ZERO, "{context}");
                } else {
                    assert_eq!(net.is_negative(), budget.is_negative(), "{context}");
                    assert!(basis_points((net - budget).abs(), budget.abs()) <= 3_500, "{context}");
                }
            }
        }
        let income = rows.iter().filter(|r| r.cost_centre == "INCOME").collect::<Vec<_>>();
        assert!(income.iter().all(|r| r.amount.is_negative() && r.reference.starts_with("INC")), "seed {seed}");
    }
}
