//! The system of record through the `pooled` binary on a SQLite file: the README's worked
//! example, imports that must be all or nothing (bad rows, a SIGKILL mid-way, the same file
//! twice, a corrected extract, a closed period), the monthly report in every form, the
//! year-end settlement and the audit log. The store's own suite covers PostgreSQL too.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use expect_test::expect_file;
use pooled_core::money::Money;
use serde_json::{Value, json};

const AGREEMENT: &str = "examples/oxfordshire-2016-17.toml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A scratch directory with its own database, removed when dropped.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("pooled-db-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch { dir }
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).display().to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_pooled"));
        c.args(args).current_dir(root()).env("POOLED_DATABASE", self.path("pooled.sqlite")).env("USER", "tester");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("pooled runs")
    }

    /// Runs and expects success; standard output.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "pooled {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs and expects exit code 1; standard error.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(out.status.code(), Some(1), "pooled {args:?}: {}", String::from_utf8_lossy(&out.stdout));
        String::from_utf8(out.stderr).unwrap()
    }

    /// Loads the 2016-17 agreement, a generated plan and both partners' mappings.
    fn set_up(&self) {
        self.ok(&["load", AGREEMENT]);
        self.ok(&["gen-plan", AGREEMENT, "-o", &self.path("plan.csv")]);
        self.ok(&["load-plan", "--year", "2016-17", &self.path("plan.csv")]);
        self.ok(&["save-mapping", "--partner", "OCC", "--preset", "unit4"]);
        self.ok(&["save-mapping", "--partner", "OCCG", "--preset", "oracle"]);
    }

    /// Generates one partner's extract for a month; returns its path.
    fn extract(&self, partner: &str, period: &str, rows: u64, seed: u64) -> String {
        let preset = if partner == "OCC" { "unit4" } else { "oracle" };
        let file = self.path(&format!("{partner}-{period}-{seed}.csv"));
        let (rows, seed) = (rows.to_string(), seed.to_string());
        self.ok(&[
            "gen-ledger",
            "--agreement",
            AGREEMENT,
            "--partner",
            partner,
            "--period",
            period,
            "--rows",
            &rows,
            "--seed",
            &seed,
            "--preset",
            preset,
            "-o",
            &file,
        ]);
        file
    }

    fn report_json(&self, month: &str) -> Value {
        serde_json::from_str(&self.ok(&["report", "--year", "2016-17", "--month", month, "--format", "json"])).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn pence(v: &Value) -> i64 {
    v.as_str().unwrap_or_else(|| panic!("{v} is not an amount")).replace('.', "").parse().unwrap()
}

/// The pool-level actual to date of every pool, in pence.
fn actuals_to_date(report: &Value) -> i64 {
    report["pools"].as_array().unwrap().iter().map(|p| pence(&p["rows"][0]["actual_to_date"])).sum()
}

#[test]
fn worked_example_from_load_to_settlement() {
    let s = Scratch::new("worked");
    s.set_up();
    for period in ["2016-04", "2016-05", "2016-06"] {
        for (partner, rows) in [("OCC", 3000), ("OCCG", 2500)] {
            let file = s.extract(partner, period, rows, 7);
            let out = s.ok(&["import", "--partner", partner, "--period", period, &file]);
            assert!(out.contains(&format!("imported {rows} rows for {partner} {period}")), "{out}");
        }
    }
    s.ok(&[
        "forecast",
        "--year",
        "2016-17",
        "--month",
        "M3",
        "--cost-centre",
        "OCC-OP01-001",
        "--outturn",
        "3,100,000",
    ]);

    let report = s.report_json("M3");
    let op = &report["pools"][0];
    let row = op["rows"].as_array().unwrap().iter().find(|r| r["cost_centre"] == "OCC-OP01-001").unwrap();
    assert_eq!(
        (row["forecast_outturn"].as_str(), row["forecast_basis"].as_str()),
        (Some("3100000.00"), Some("entered"))
    );
    // Every pool's forecast risk impact sums exactly to its forecast variance.
    for pool in report["pools"].as_array().unwrap() {
        let impact: i64 = pool["risk_impact"].as_array().unwrap().iter().map(|p| pence(&p["total"])).sum();
        assert_eq!(impact, pence(&pool["rows"][0]["variance"]), "pool {}", pool["id"]);
    }

    // The xlsx opens, has a sheet per pool after the summary, and its totals are formulas.
    let xlsx = s.path("m3.xlsx");
    s.ok(&["report", "--year", "2016-17", "--month", "M3", "--format", "xlsx", "-o", &xlsx]);
    let sheets = pooled_files::read_xlsx_sheet_names(&xlsx).unwrap();
    assert_eq!(sheets, ["Summary", "OP", "LD", "MH", "PD"]);
    let formulas = pooled_files::read_xlsx_formulas(&xlsx, "OP").unwrap();
    assert!(
        formulas.iter().flatten().any(|f| f.starts_with("SUBTOTAL(9,") || f.starts_with("=SUBTOTAL(9,")),
        "{formulas:?}"
    );
    let cells = pooled_files::read_xlsx_cells(&xlsx, "OP").unwrap();
    let total_row = cells.iter().find(|r| r.first().is_some_and(|c| c == "Total OP")).expect("a totals row");
    let header = cells.iter().find(|r| r.iter().any(|c| c == "Actual to date")).unwrap();
    let actual_col = header.iter().position(|c| c == "Actual to date").unwrap();
    assert_eq!(
        total_row[actual_col].replace('.', "").parse::<i64>().unwrap(),
        pence(&op["rows"][0]["actual_to_date"]),
        "the workbook's total is the report's"
    );
    let csv = s.ok(&["report", "--year", "2016-17", "--month", "M3", "--format", "csv"]);
    // Text quoted, amounts plain numbers (negative ones too).
    assert!(
        csv.starts_with(
            "\"Pool\",\"Level\",\"Row\",\"Segment\",\"Line\",\"Cost centre\",\"Partner\",\"Annual budget\","
        ),
        "{csv}"
    );
    assert!(csv.lines().nth(2).unwrap().contains(",\"\",\"\",\"\",151003711.00,"), "{csv}");

    // The year cannot be settled until the unagreed saving's delivered amount is recorded.
    let refused = s.fails(&["settle", "--year", "2016-17"]);
    assert!(refused.contains("saving `op-2016-review` delivered, and none is recorded"), "{refused}");
    s.ok(&["saving", "--year", "2016-17", "--id", "op-2016-review", "--delivered", "1,500,000"]);

    // Year end on the ledger: parts sum to each pool's variance; invoices settle with hosts.
    let settled: Value = serde_json::from_str(&s.ok(&["settle", "--year", "2016-17", "--json"])).unwrap();
    for pool in settled["pools"].as_array().unwrap() {
        let total: i64 = pool["partners"].as_array().unwrap().iter().map(|p| pence(&p["total"])).sum();
        assert_eq!(total, pence(&pool["variance"]));
    }
    assert!(settled["invoices"].as_array().is_some_and(|i| !i.is_empty()));

    assert!(s.ok(&["audit", "verify"]).starts_with("audit log intact:"));
    let log = s.ok(&["audit", "log"]);
    assert!(log.lines().any(|l| l.contains("tester")), "the audit log names who: {log}");
}

/// Extracts that follow the budgets read as a real quarter: every pool's actual to date
/// within 3% of its budget to date, while some cost centres run well over or under.
#[test]
fn extracts_that_follow_the_budgets_make_a_credible_report() {
    let s = Scratch::new("budgets");
    s.set_up();
    for period in ["2016-04", "2016-05", "2016-06"] {
        for (partner, preset) in [("OCC", "unit4"), ("OCCG", "oracle")] {
            let file = s.path(&format!("{partner}-{period}.csv"));
            let args = ["--partner", partner, "--period", period, "--budgets", "--preset", preset, "-o", &file];
            s.ok(&[&["gen-ledger", "--agreement", AGREEMENT][..], &args].concat());
            s.ok(&["import", "--partner", partner, "--period", period, &file]);
        }
    }
    let report = s.report_json("M3");
    let mut off_by_over_5_percent = 0;
    for pool in report["pools"].as_array().unwrap() {
        let rows = pool["rows"].as_array().unwrap();
        let (budget, actual) = (pence(&rows[0]["budget_to_date"]), pence(&rows[0]["actual_to_date"]));
        assert!((actual - budget).abs() * 100 <= budget * 3, "{}: {actual} to date for {budget}", pool["id"]);
        let cost_centres = rows.iter().filter(|r| r["level"] == "cost centre");
        off_by_over_5_percent += cost_centres
            .filter(|r| {
                (pence(&r["actual_to_date"]) - pence(&r["budget_to_date"])).abs() * 20 > pence(&r["budget_to_date"])
            })
            .count();
    }
    assert!(off_by_over_5_percent > 5, "{off_by_over_5_percent} cost centres more than 5% off");
}

#[test]
fn the_council_funds_an_undelivered_saving_as_the_file_mode_settles_it() {
    let s = Scratch::new("saving");
    s.set_up();
    for (partner, rows) in [("OCC", 400), ("OCCG", 300)] {
        let file = s.extract(partner, "2016-04", rows, 11);
        s.ok(&["import", "--partner", partner, "--period", "2016-04", &file]);
    }
    let saving = ["saving", "--year", "2016-17", "--id", "op-2016-review"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> { saving.iter().chain(extra).copied().collect() };

    // Until what the saving delivered is recorded, the year cannot be settled.
    let refused = s.fails(&["settle", "--year", "2016-17", "--json"]);
    assert!(refused.contains("saving `op-2016-review` delivered, and none is recorded"), "{refused}");
    assert!(refused.contains("funds any shortfall (para 30)"), "{refused}");
    // A forecast needs its month; it and a delivered amount are one or the other.
    for args in
        [&["--forecast", "1"][..], &["--month", "M1"], &["--delivered", "1", "--forecast", "1", "--month", "M1"], &[]]
    {
        assert_eq!(s.run(&with(args)).status.code(), Some(2), "{args:?}");
    }
    let err = s.fails(&["saving", "--year", "2016-17", "--id", "nope", "--delivered", "0"]);
    assert!(
        err.contains("agreement oxon-s75 has no unagreed saving `nope` in 2016-17 (it has op-2016-review)"),
        "{err}"
    );

    // The report's forecast takes the latest forecast, or says it assumes full delivery.
    let report = |m: &str| s.ok(&["report", "--year", "2016-17", "--month", m]);
    assert!(report("M1").contains(
        "Unagreed saving op-2016-review (OCC, older-people): £1,500,000.00; forecast delivery £1,500,000.00 \
         (none recorded: assumed delivered in full); shortfall £0.00 to OCC (para 30)"
    ));
    let out = s.ok(&with(&["--forecast", "1,000,000", "--month", "M1"]));
    assert_eq!(out, "saving op-2016-review of oxon-s75 2016-17: forecast delivery £1,000,000.00, made in M1\n");
    assert!(
        report("M1").contains("forecast delivery £1,000,000.00 (forecast made in M1); shortfall £500,000.00 to OCC")
    );
    let json = s.report_json("M3");
    let taken = &json["pools"][0]["savings"][0];
    assert_eq!(
        (&taken["basis"], &taken["forecast_made_in"], &taken["shortfall"]),
        (&json!("forecast"), &json!("M1"), &json!("500000.00"))
    );

    // Delivered in full, then nothing: only the second leaves a shortfall, all of it the
    // council's (para 30).
    s.ok(&with(&["--delivered", "1,500,000"]));
    let full: Value = serde_json::from_str(&s.ok(&["settle", "--year", "2016-17", "--json"])).unwrap();
    let recorded: Value = serde_json::from_str(&s.ok(&with(&["--delivered", "0", "--json"]))).unwrap();
    assert_eq!((&recorded["delivered"]["amount"], &recorded["forecasts"][0]["month"]), (&json!("0.00"), &json!("M1")));
    let none: Value = serde_json::from_str(&s.ok(&["settle", "--year", "2016-17", "--json"])).unwrap();
    let part = |settled: &Value| -> Option<Value> {
        let occ = &settled["pools"][0]["partners"][0];
        assert_eq!(occ["id"], "OCC");
        occ["parts"].as_array().unwrap().iter().find(|p| p["rule"] == "unagreed-saving").cloned()
    };
    assert_eq!(part(&full), None);
    assert_eq!(
        part(&none),
        Some(json!({"rule": "unagreed-saving", "line": "older-people", "clause": "para 30", "amount": "1500000.00"}))
    );

    // The file mode, on the same outturns (each line's actual for the year, as the M12
    // report has them) with `delivered = "0"`, settles exactly the same.
    let m12 = s.report_json("M12");
    let mut outturn = String::new();
    for pool in m12["pools"].as_array().unwrap() {
        for row in pool["rows"].as_array().unwrap().iter().filter(|r| r["level"] == "line") {
            outturn.push_str(&format!(
                "[[line]]\npool = {}\nline = {}\noutturn = {}\n",
                pool["id"], row["line"], row["actual_to_date"]
            ));
        }
    }
    outturn.push_str("[[saving]]\nid = \"op-2016-review\"\ndelivered = \"0\"\n");
    let file = s.path("outturn.toml");
    std::fs::write(&file, outturn).unwrap();
    let file_mode: Value = serde_json::from_str(&s.ok(&["settle", AGREEMENT, &file, "--json"])).unwrap();
    assert_eq!(none["pools"], file_mode["pools"]);

    // So the council carries the shortfall less its own share of the shared amount's fall:
    // 1,500,000 x (1 - its published OP share), £746,400.00 at 50.24%. Exactly: the saving
    // times the share is a whole number of pence, and the shared amount keeps its sign.
    let shares: Value = serde_json::from_str(&s.ok(&["risk-share", AGREEMENT, "--json"])).unwrap();
    let share = &shares["pools"][0]["partners"][0];
    assert_eq!((&shares["pools"][0]["id"], &share["id"]), (&json!("OP"), &json!("OCC")));
    let basis_points: i64 = share["share"].as_str().unwrap().replace('.', "").parse().unwrap();
    let saving_pence = 150_000_000;
    let occ_total = |settled: &Value| pence(&settled["pools"][0]["partners"][0]["total"]);
    assert_eq!(occ_total(&none) - occ_total(&full), saving_pence - saving_pence * basis_points / 10_000);
    assert!(
        s.ok(&["audit", "log"])
            .lines()
            .filter(|l| l.contains(" record-saving saving oxon-s75 2016-17 op-2016-review "))
            .count()
            == 3
    );
}

#[test]
fn bad_rows_are_all_reported_and_nothing_is_written() {
    let s = Scratch::new("badrows");
    s.set_up();
    let file = s.path("bad.csv");
    std::fs::write(
        &file,
        "Cost Centre,Voucher Date,Account,Description,Voucher No,Amount\n\
         OCC-OP01-001,05/05/2016,5101,Care,V1,100.00\n\
         NOPE-1,05/05/2016,5101,Care,V2,100.00\n\
         OCC-OP01-001,05/06/2016,5101,Care,V3,100.00\n\
         OCC-OP01-001,05/05/2016,5101,Care,V4,1.005\n\
         OCCG-OP01-001,05/05/2016,5101,Care,V5,1\n\
         OCC-OP01-001,2016-05-05,5101,Care,V6,1\n\
         OCC-OP01-001,05/05/2016,5101,Care\n\
         OCC-OP01-001,05/05/2016,5101,Care, Smith,V8,1\n\
         NOPE-2,05/05/2016,5101,Care,V9,1\n",
    )
    .unwrap();
    let err = s.fails(&["import", "--partner", "OCC", "--period", "2016-05", &file]);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines,
        [
            format!("{file}:3:1: error: Cost Centre: cost centre `NOPE-1` is not in the 2016-17 plan (unmapped)"),
            format!("{file}:4:2: error: Voucher Date: 2016-06-05 is outside the period 2016-05 being imported"),
            format!(
                "{file}:5:6: error: Amount: invalid amount `1.005`: more than two decimal places (amounts are exact to the penny)"
            ),
            format!("{file}:6:1: error: Cost Centre: cost centre `OCCG-OP01-001` belongs to OCCG, not OCC"),
            format!("{file}:7:2: error: Voucher Date: invalid date `2016-05-05`: expected dd/mm/yyyy, e.g. 31/05/2016"),
            // A row with the wrong number of fields is a bad row like the others, at the
            // first field missing or extra, and the rows after it are still checked.
            format!(
                "{file}:8:5: error: Voucher No: this row has 4 fields but the header has 6 (a missing field or an unclosed quote?)"
            ),
            format!("{file}:9:7: error: column 7: this row has 7 fields but the header has 6 (an unquoted comma?)"),
            format!("{file}:10:1: error: Cost Centre: cost centre `NOPE-2` is not in the 2016-17 plan (unmapped)"),
        ]
    );
    assert_eq!(actuals_to_date(&s.report_json("M2")), 0, "nothing was imported");
    // Past fifty bad rows, the first fifty and a count of the rest.
    let many = s.path("many.csv");
    let rows: String = (0..120).map(|i| format!("NOPE-{i},05/05/2016,5101,Care,V{i},1\n")).collect();
    std::fs::write(&many, format!("Cost Centre,Voucher Date,Account,Description,Voucher No,Amount\n{rows}")).unwrap();
    let err = s.fails(&["import", "--partner", "OCC", "--period", "2016-05", &many]);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 51, "{err}");
    assert_eq!(
        lines[49],
        format!("{many}:51:1: error: Cost Centre: cost centre `NOPE-49` is not in the 2016-17 plan (unmapped)")
    );
    assert_eq!(lines[50], format!("{many}: and 70 more bad rows"));
    // The good file then goes in.
    let good = s.extract("OCC", "2016-05", 500, 3);
    assert!(s.ok(&["import", "--partner", "OCC", "--period", "2016-05", &good]).contains("imported 500 rows"));
}

#[test]
fn same_file_twice_corrected_extract_and_closed_period() {
    let s = Scratch::new("replace");
    s.set_up();
    let occ = s.extract("OCC", "2016-05", 800, 1);
    let occg = s.extract("OCCG", "2016-05", 600, 1);
    let occ_june = s.extract("OCC", "2016-06", 700, 1);
    s.ok(&["import", "--partner", "OCC", "--period", "2016-05", &occ]);
    s.ok(&["import", "--partner", "OCCG", "--period", "2016-05", &occg]);
    s.ok(&["import", "--partner", "OCC", "--period", "2016-06", &occ_june]);
    let before = actuals_to_date(&s.report_json("M3"));
    let log_before = s.ok(&["audit", "log"]).lines().count();

    assert!(s.ok(&["import", "--partner", "OCC", "--period", "2016-05", &occ]).contains("nothing changed"));
    assert_eq!(actuals_to_date(&s.report_json("M3")), before);
    assert_eq!(s.ok(&["audit", "log"]).lines().count(), log_before, "the same file twice writes nothing");

    // A corrected OCC May extract replaces exactly OCC's May: OCCG's May and OCC's June stay.
    let corrected = s.extract("OCC", "2016-05", 900, 2);
    let out = s.ok(&["import", "--partner", "OCC", "--period", "2016-05", &corrected]);
    assert!(out.contains("replaced the earlier extract for OCC 2016-05 (800 rows) with 900 rows"), "{out}");
    let sum_of = |files: &[&str]| -> i64 {
        files
            .iter()
            .map(|f| {
                let text = std::fs::read_to_string(f).unwrap();
                let mut reader = pooled_files::TableReader::open(f).unwrap();
                let header: Vec<String> = reader.header().to_vec();
                let header: Vec<&str> = header.iter().map(String::as_str).collect();
                let preset = if text.starts_with("COST_CENTRE") { "oracle" } else { "unit4" };
                let rows = pooled_core::ledger::RowReader::new(
                    &pooled_core::ledger::Mapping::preset(preset).unwrap(),
                    &header,
                )
                .unwrap();
                reader
                    .by_ref()
                    .map(|r| {
                        let r = r.unwrap();
                        let fields: Vec<&str> = r.fields.iter().map(String::as_str).collect();
                        rows.read(r.row, &fields).unwrap().amount.pence()
                    })
                    .sum::<i64>()
            })
            .sum()
    };
    assert_eq!(actuals_to_date(&s.report_json("M3")), sum_of(&[&corrected, &occg, &occ_june]));

    s.ok(&["close-period", "2016-05"]);
    let err = s.fails(&["import", "--partner", "OCCG", "--period", "2016-05", &occg]);
    assert!(err.contains("period 2016-05 is closed"), "{err}");
    let err =
        s.fails(&["forecast", "--year", "2016-17", "--month", "M2", "--cost-centre", "OCC-OP01-001", "--outturn", "1"]);
    assert!(err.contains("period 2016-05 is closed"), "{err}");
    // A forecast below the actual to date is taken only when confirmed.
    let below = ["forecast", "--year", "2016-17", "--month", "M3", "--cost-centre", "OCC-OP01-001", "--outturn", "1"];
    let err = s.fails(&below);
    assert!(err.contains("is below its actual to date at M3"), "{err}");
    s.ok(&[&below[..], &["--confirm-below-actual"]].concat());
}

#[test]
fn an_import_killed_mid_way_leaves_nothing_and_the_next_succeeds() {
    let s = Scratch::new("kill");
    s.set_up();
    let big = s.extract("OCC", "2016-07", 1_000_000, 5);
    let mut child = s
        .command(&["import", "--partner", "OCC", "--period", "2016-07", &big])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it while rows are being written: SQLite spills the open transaction's pages to
    // the write-ahead log, so a growing WAL shows the import is part-way through.
    let wal = s.path("pooled.sqlite-wal");
    let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    let before = wal_size();
    let started = Instant::now();
    while wal_size() < before + 8 * 1024 * 1024 {
        assert!(child.try_wait().unwrap().is_none(), "the import finished before it could be killed");
        assert!(started.elapsed() < Duration::from_secs(120), "the import never started writing");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed after {:?}", started.elapsed());

    assert_eq!(actuals_to_date(&s.report_json("M4")), 0, "no partial rows");
    assert!(s.ok(&["audit", "verify"]).starts_with("audit log intact:"));
    let out = s.ok(&["import", "--partner", "OCC", "--period", "2016-07", &big]);
    assert!(out.contains("imported 1000000 rows"), "{out}");
}

#[test]
fn tampering_with_the_ledger_is_detected() {
    let s = Scratch::new("tamper");
    s.set_up();
    let file = s.extract("OCCG", "2016-08", 300, 9);
    s.ok(&["import", "--partner", "OCCG", "--period", "2016-08", &file]);
    assert!(s.ok(&["audit", "verify"]).starts_with("audit log intact:"));
    let db = rusqlite::Connection::open(s.path("pooled.sqlite")).unwrap();
    let changed = db
        .execute("UPDATE ledger_row SET amount = amount + 1 WHERE rowid = (SELECT min(rowid) FROM ledger_row)", [])
        .unwrap();
    assert_eq!(changed, 1);
    drop(db);
    let err = s.fails(&["audit", "verify"]);
    assert!(
        err.starts_with("the audit log does not check out at entry 5: import 1 (ledger oxon-s75 2016-08 OCCG)"),
        "{err}"
    );
    assert!(err.contains("its ledger rows have changed"), "{err}");
    // The row put back, the total the imports list shows edited instead.
    let db = rusqlite::Connection::open(s.path("pooled.sqlite")).unwrap();
    db.execute_batch(
        "UPDATE ledger_row SET amount = amount - 1 WHERE rowid = (SELECT min(rowid) FROM ledger_row);
         UPDATE ledger_import SET total = total + 100",
    )
    .unwrap();
    drop(db);
    let err = s.fails(&["audit", "verify"]);
    assert!(err.contains("its record in the import table was edited: total "), "{err}");
}

/// The head every report and statement prints proves the log unchanged up to it, even
/// after someone who can write to the database edits an entry and recomputes every hash
/// after it, which the chain alone cannot show.
#[test]
fn a_head_printed_on_the_reports_catches_a_rewritten_log() {
    let s = Scratch::new("head");
    s.set_up();
    // The year-end statement needs what the unagreed saving delivered.
    s.ok(&["saving", "--year", "2016-17", "--id", "op-2016-review", "--delivered", "1,500,000"]);
    let file = s.extract("OCC", "2016-05", 200, 4);
    s.ok(&["import", "--partner", "OCC", "--period", "2016-05", &file]);
    let forecast = [
        "forecast",
        "--year",
        "2016-17",
        "--month",
        "M2",
        "--cost-centre",
        "OCC-OP01-001",
        "--outturn",
        "5",
        "--confirm-below-actual",
    ];
    s.ok(&forecast);
    let head = s.ok(&["audit", "head"]).trim_end().to_string();
    let last = s.ok(&["audit", "log"]).lines().last().unwrap().to_string();
    assert_eq!(head.split_once(':').map(|(seq, hash)| (seq, hash.len())), Some(("7", 64)), "{last}");
    assert!(last.starts_with("7 ") && last.contains(" set-forecast "), "{last}");

    // Every form of the monthly report prints it, and so does the year-end statement.
    let line = format!("Audit log head: {head}");
    let report = ["report", "--year", "2016-17", "--month", "M2"];
    assert!(s.ok(&report).ends_with(&format!("\n{line}\n")));
    let csv = s.ok(&[&report[..], &["--format", "csv"]].concat());
    assert!(csv.lines().last().unwrap().starts_with(&format!("\"{line}\",")), "{csv}");
    let xlsx = s.path("m2.xlsx");
    s.ok(&[&report[..], &["--format", "xlsx", "-o", &xlsx]].concat());
    let summary = pooled_files::read_xlsx_cells(&xlsx, "Summary").unwrap();
    assert_eq!(summary.last().unwrap()[0], line);
    assert!(s.ok(&["settle", "--year", "2016-17"]).ends_with(&format!("\n\n{line}\n")));

    let verified = s.ok(&["audit", "verify", "--head", &head]);
    assert_eq!(
        verified,
        format!("audit log intact: 7 entries verified, head {head}\nunchanged up to the published head {head}\n")
    );
    s.ok(&["close-period", "2016-04"]);

    // Who set the forecast is rewritten, and every hash from there recomputed.
    let path = s.path("pooled.sqlite");
    let store = pooled_store::open(&path).unwrap();
    let mut log = store.audit_log().unwrap().split_off(6);
    drop(store);
    log[0].actor = "someone-else".into();
    pooled_store::rechain(&mut log);
    let mut sql = String::from("DROP TRIGGER audit_log_no_update;");
    for e in &log {
        sql.push_str(&format!(
            "UPDATE audit_log SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {};",
            e.actor, e.prev_hash, e.hash, e.seq
        ));
    }
    let end = log.last().unwrap();
    sql.push_str(&format!("UPDATE audit_head SET seq = {}, hash = '{}';", end.seq, end.hash));
    rusqlite::Connection::open(&path).unwrap().execute_batch(&sql).unwrap();
    assert!(s.ok(&["audit", "log"]).contains("someone-else set-forecast"));

    assert!(
        s.ok(&["audit", "verify"]).starts_with("audit log intact: 8 entries verified"),
        "the chain alone cannot tell"
    );
    let err = s.fails(&["audit", "verify", "--head", &head]);
    let hash = head.split_once(':').unwrap().1;
    assert!(
        err.starts_with(&format!("the audit log does not check out at entry 7: entry 7 has the hash {}", log[0].hash)),
        "{err}"
    );
    assert!(err.contains(&format!("not {hash} as published: an entry up to it was changed")), "{err}");

    // A head that is not one is a usage error.
    let out = s.run(&["audit", "verify", "--head", "6:abc"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the hash is not 64 hexadecimal digits"));
}

#[test]
fn agreement_variations_are_recorded_and_exported() {
    let s = Scratch::new("vary");
    assert_eq!(s.ok(&["load", AGREEMENT]), format!("{AGREEMENT}: loaded as version 1\n"));
    let varied = s.path("varied.toml");
    let text = std::fs::read_to_string(root().join(AGREEMENT)).unwrap();
    std::fs::write(&varied, text.replace("{ OCC = \"2,100,000\" }", "{ OCC = \"2,200,000\" }")).unwrap();
    let out = s.ok(&["load", &varied]);
    expect_file!["snapshots/load-variation.txt"].assert_eq(&out.replace(&varied, "varied.toml"));
    assert_eq!(s.ok(&["export-agreement", "--year", "2016-17", "--version", "1"]), text);
    assert!(s.ok(&["export-agreement", "--year", "2016-17"]).contains("\"2,200,000\""));
}

#[test]
fn xlsx_extracts_import_like_csv() {
    use pooled_core::calendar::Date;
    use pooled_files::{Cell, Column, ColumnKind, Sheet, Workbook};
    let s = Scratch::new("xlsx");
    s.set_up();
    let column = |header: &str, kind| Column { header: header.into(), kind, width: None };
    let row = |cc: &str, day: u32, pence: i64| {
        vec![
            Cell::Text(cc.into()),
            Cell::Date(Date::new(2016, 9, day).unwrap()),
            Cell::Text("5101".into()),
            Cell::Text("Care, \"home\"".into()),
            Cell::Text(format!("V{day}")),
            Cell::Money(Money::from_pence(pence)),
        ]
    };
    let book = Workbook {
        sheets: vec![Sheet {
            name: "Extract".into(),
            title: None,
            columns: vec![
                column("Cost Centre", ColumnKind::Text),
                column("Voucher Date", ColumnKind::Date),
                column("Account", ColumnKind::Text),
                column("Description", ColumnKind::Text),
                column("Voucher No", ColumnKind::Text),
                column("Amount", ColumnKind::Money),
            ],
            rows: vec![row("OCC-OP01-001", 1, 123_456), row("OCC-LD01-002", 30, -5_001)],
            totals: None,
        }],
    };
    let file = s.path("september.xlsx");
    pooled_files::write_xlsx_file(&file, &book).unwrap();
    let out = s.ok(&["import", "--partner", "OCC", "--period", "2016-09", &file]);
    assert!(out.contains("imported 2 rows for OCC 2016-09, net £1,184.55"), "{out}");
    assert_eq!(actuals_to_date(&s.report_json("M6")), 118_455);
}

/// `pooled record-payment --year 2016-17` with `args`.
fn record_payment(pool: &str, month: &str, args: &[&str]) -> Vec<String> {
    let mut all = ["record-payment", "--year", "2016-17", "--pool", pool, "--from", "OCCG", "--month", month]
        .map(String::from)
        .to_vec();
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// The 2022-23 example gives budgets without partners' contributions: its payments say
/// why there are no instalments rather than showing empty tables alone.
#[test]
fn an_agreement_of_budgets_says_why_it_has_no_instalments() {
    let s = Scratch::new("no-instalments");
    s.ok(&["load", "examples/oxfordshire-2022-23.toml"]);
    let table = s.ok(&["payments", "--year", "2022-23", "--agreement", "oxon-s75-2022"]);
    let (agreement, _) = pooled_core::agreement::Agreement::parse(
        &std::fs::read_to_string(root().join("examples/oxfordshire-2022-23.toml")).unwrap(),
    )
    .unwrap();
    let why = pooled_core::payments::why_no_instalments(&agreement).expect("no instalments");
    assert!(why.contains("every line of this agreement gives a budget without partners' contributions"), "{why}");
    assert!(table.contains(&format!("{why}\n")), "{table}");
    let file = s.ok(&["payments", "examples/oxfordshire-2022-23.toml"]);
    assert!(file.ends_with(&format!("{why}\n")), "the file's schedule says so too: {file}");
    // An agreement with instalments says nothing of the kind.
    s.ok(&["load", AGREEMENT]);
    let table = s.ok(&["payments", "--year", "2016-17"]);
    assert!(!table.contains("No instalments"), "{table}");
}

#[test]
fn payments_are_invoiced_paid_in_parts_and_outstanding() {
    let s = Scratch::new("payments");
    s.ok(&["load", AGREEMENT]);
    let json = || -> Vec<Value> {
        let out: Value = serde_json::from_str(&s.ok(&["payments", "--year", "2016-17", "--json"])).unwrap();
        out["payments"].as_array().unwrap().clone()
    };
    let find = |payments: &[Value], pool: &str, month: &str| {
        payments.iter().find(|p| p["pool"] == pool && p["month"] == month).unwrap().clone()
    };
    let op_m1 = pence(&find(&json(), "OP", "M1")["amount"]);
    let ld_m1 = pence(&find(&json(), "LD", "M1")["amount"]);
    let pounds = |p: i64| Money::from_pence(p).to_plain_string();
    // OP M1: raised, paid a million, then the balance.
    let said = s.ok(&refs(&record_payment("OP", "M1", &["--raised", "2016-02-20"])));
    assert_eq!(
        said,
        format!(
            "recorded OP M1 from OCCG to OCC: invoiced {}, paid £0.00, outstanding {}\n",
            Money::from_pence(op_m1),
            Money::from_pence(op_m1)
        )
    );
    s.ok(&refs(&record_payment("OP", "M1", &["--paid", "2016-03-01", "--amount", "1,000,000"])));
    let said = s.ok(&refs(&record_payment("OP", "M1", &["--paid", "2016-03-15"])));
    assert!(said.ends_with(&format!("paid {}, outstanding £0.00\n", Money::from_pence(op_m1))), "{said}");
    // LD M1: raised and paid in part at once (the same amount invoiced and paid), then the
    // invoice corrected to the instalment.
    s.ok(&refs(&record_payment("LD", "M1", &["--raised", "2016-02-20", "--paid", "2016-02-25", "--amount", "500"])));
    s.ok(&refs(&record_payment("LD", "M1", &["--raised", "2016-02-20"])));
    let payments = json();
    let fields = |p: &Value| ["raised", "invoiced", "paid", "outstanding"].map(|f| p[f].as_str().map(str::to_string));
    let some = |text: String| Some(text);
    assert_eq!(
        fields(&find(&payments, "OP", "M1")),
        [some("2016-02-20".into()), some(pounds(op_m1)), some(pounds(op_m1)), some("0.00".into())]
    );
    assert_eq!(
        find(&payments, "OP", "M1")["payments"],
        serde_json::json!([
            {"on": "2016-03-01", "amount": "1000000.00"},
            {"on": "2016-03-15", "amount": pounds(op_m1 - 100_000_000)},
        ])
    );
    assert_eq!(
        fields(&find(&payments, "LD", "M1")),
        [some("2016-02-20".into()), some(pounds(ld_m1)), some("500.00".into()), some(pounds(ld_m1 - 50_000))]
    );
    assert_eq!(
        fields(&find(&payments, "OP", "M2")),
        [None, some("0.00".into()), some("0.00".into()), some("0.00".into())]
    );
    // The table: each instalment, the totals each way between partners, and who owes whom
    // net (the council's instalments to the CCG, for MH, none raised).
    let table = s.ok(&["payments", "--year", "2016-17"]);
    let owed = Money::from_pence(ld_m1 - 50_000);
    assert!(table.ends_with(&format!("OCCG owes OCC {owed} invoiced and unpaid\n")), "{table}");
    // Refused, each in the words the web and the API use, with nothing recorded.
    let over = Money::from_pence(ld_m1 - 50_000 + 1);
    let over_text = over.to_plain_string();
    let refusals: [(&str, &str, Vec<&str>, String); 6] = [
        (
            "LD",
            "M1",
            vec!["--paid", "2016-03-01", "--amount", &over_text],
            format!("a payment of {over} is more than the {owed} outstanding on the instalment"),
        ),
        (
            "OP",
            "M1",
            vec!["--paid", "2016-03-20"],
            format!("nothing is outstanding on the instalment: its invoice for {} is paid", Money::from_pence(op_m1)),
        ),
        (
            "OP",
            "M2",
            vec!["--paid", "2016-04-01"],
            "the instalment cannot be paid on 2016-04-01: it has not been raised (invoiced)".into(),
        ),
        (
            "OP",
            "M3",
            vec!["--raised", "2016-04-20", "--paid", "2016-04-01"],
            "the instalment cannot be paid on 2016-04-01, before it was raised on 2016-04-20".into(),
        ),
        ("MH", "M1", vec!["--paid", "2016-04-01"], "no instalment from OCCG in pool MH in M1 of 2016-17".into()),
        (
            "HESC",
            "M1",
            vec!["--raised", "2016-04-01"],
            "the agreement oxon-s75 has no pool HESC (its pools: OP, LD, MH, PD)".into(),
        ),
    ];
    for (pool, month, args, says) in refusals {
        assert_eq!(s.fails(&refs(&record_payment(pool, month, &args))), format!("{says}\n"));
    }
    assert_eq!(json(), payments, "nothing changed");
    // Neither date: a usage error.
    let usage = s.run(&refs(&record_payment("OP", "M2", &["--amount", "1"])));
    assert_eq!(usage.status.code(), Some(2));
}

#[test]
fn year_end_invoices_net_off_instalments_unpaid() {
    let s = Scratch::new("netting");
    s.set_up();
    // The settlement needs what the unagreed saving delivered: in full here.
    s.ok(&["saving", "--year", "2016-17", "--id", "op-2016-review", "--delivered", "1,500,000"]);
    let settle = || -> Value { serde_json::from_str(&s.ok(&["settle", "--year", "2016-17", "--json"])).unwrap() };
    let op = |end: &Value| end["invoices"].as_array().unwrap().iter().find(|i| i["pool"] == "OP").unwrap().clone();
    // No ledger: every line underspent, so the council repays the CCG its share.
    let before = op(&settle());
    assert_eq!((before["payer"].as_str(), before["payee"].as_str()), (Some("OCC"), Some("OCCG")));
    assert_eq!(before["parts"].as_array().unwrap().len(), 1);
    assert_eq!(before["parts"][0]["kind"], "settlement");
    let repaid = pence(&before["amount"]);
    // The CCG's M12 instalment invoiced and not paid: netted off what the council repays.
    s.ok(&refs(&record_payment("OP", "M12", &["--raised", "2017-02-01"])));
    let payments: Value = serde_json::from_str(&s.ok(&["payments", "--year", "2016-17", "--json"])).unwrap();
    let m12 =
        payments["payments"].as_array().unwrap().iter().find(|p| p["pool"] == "OP" && p["month"] == "M12").unwrap();
    let unpaid = pence(&m12["outstanding"]);
    let after = op(&settle());
    assert_eq!(
        after["parts"][1],
        serde_json::json!({"kind": "unpaid-instalments", "payer": "OCCG", "payee": "OCC", "amount": m12["amount"], "months": ["M12"]})
    );
    assert_eq!(after["parts"][0], before["parts"][0], "the settlement's part unchanged");
    let net = repaid - unpaid;
    let (payer, payee) = if net >= 0 { ("OCC", "OCCG") } else { ("OCCG", "OCC") };
    assert_eq!((after["payer"].as_str(), after["payee"].as_str()), (Some(payer), Some(payee)));
    assert_eq!(pence(&after["amount"]), net.abs());
    let table = s.ok(&["settle", "--year", "2016-17"]);
    assert!(
        table.contains(&format!("    unpaid instalments M12: OCCG owes OCC {}\n", Money::from_pence(unpaid))),
        "{table}"
    );
}

/// The Oxfordshire 2022-23 agreement, whose CCG the ICB succeeds on 1 July 2022, with the
/// CCG's contribution to Live Well given so that it pays instalments: each month's report
/// is headed by the body of its last day, instalments are the CCG's before July and the
/// ICB's from it (recorded by either id from then, under the CCG's), and the year-end
/// settlement and its invoices name the ICB.
#[test]
fn the_icb_takes_the_ccgs_place_from_1_july_2022() {
    let s = Scratch::new("successor");
    let example = std::fs::read_to_string(root().join("examples/oxfordshire-2022-23.toml")).unwrap();
    let budget = "budget = \"190,585,000\"";
    assert!(example.contains(budget), "the example's Live Well budget");
    let agreement = s.path("oxfordshire-2022-23.toml");
    let funded = example.replacen(budget, "contributions = { OCC = \"97,198,350\", OCCG = \"93,386,650\" }", 1);
    std::fs::write(&agreement, funded).unwrap();
    s.ok(&["load", &agreement]);
    s.ok(&["gen-plan", &agreement, "-o", &s.path("plan.csv")]);
    s.ok(&["load-plan", "--year", "2022-23", &s.path("plan.csv")]);

    let ids = |list: &Value, field: &str| -> Vec<String> {
        list.as_array().unwrap().iter().map(|v| v[field].as_str().unwrap().to_string()).collect()
    };
    for (month, body) in [("M3", "OCCG"), ("M4", "BOB-ICB")] {
        let args = ["report", "--year", "2022-23", "--month", month, "--format", "json"];
        let report: Value = serde_json::from_str(&s.ok(&args)).unwrap();
        assert_eq!(ids(&report["pools"][0]["risk_impact"], "id"), ["OCC", body], "{month}");
        let table = s.ok(&["report", "--year", "2022-23", "--month", month]);
        assert!(table.contains("(the settlement on the forecast): OCC "), "{table}");
        assert!(table.contains(&format!(", {body} ")), "{month}: {table}");
    }

    let payments =
        |s: &Scratch| -> Value { serde_json::from_str(&s.ok(&["payments", "--year", "2022-23", "--json"])).unwrap() };
    let from = ids(&payments(&s)["payments"], "from");
    let expected: Vec<&str> = (1..=12).map(|m| if m < 4 { "OCCG" } else { "BOB-ICB" }).collect();
    assert_eq!(from, expected);
    let record = |from: &str, month: &str| {
        [
            "record-payment",
            "--year",
            "2022-23",
            "--pool",
            "HESC",
            "--from",
            from,
            "--month",
            month,
            "--raised",
            "2022-06-20",
            "--paid",
            "2022-07-01",
        ]
        .map(str::to_string)
    };
    let args = record("BOB-ICB", "M4");
    s.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let listed = payments(&s);
    let july = listed["payments"].as_array().unwrap().iter().find(|p| p["month"] == "M4").unwrap();
    assert_eq!((july["from"].as_str(), july["outstanding"].as_str()), (Some("BOB-ICB"), Some("0.00")));
    assert_eq!(july["payments"][0]["on"], "2022-07-01");
    let args = record("BOB-ICB", "M2");
    let err = s.fails(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        err,
        "no instalment from BOB-ICB in pool HESC in M2 of 2022-23: `BOB-ICB` holds OCCG's place only from 2022-07-01: on 2022-05-01 it is `OCCG`\n"
    );

    // No ledger: every pool underspends by its budget, and the council pays back the
    // ICB's share of the pooled budget's.
    let settled: Value = serde_json::from_str(&s.ok(&["settle", "--year", "2022-23", "--json"])).unwrap();
    for pool in settled["pools"].as_array().unwrap() {
        assert_eq!(ids(&pool["partners"], "id"), ["OCC", "BOB-ICB"], "{pool}");
    }
    let invoices = &settled["invoices"];
    assert_eq!(
        (ids(invoices, "pool"), ids(invoices, "payer"), ids(invoices, "payee")),
        (vec!["HESC".to_string()], vec!["OCC".to_string()], vec!["BOB-ICB".to_string()])
    );
    let text = s.ok(&["settle", "--year", "2022-23"]);
    assert!(text.contains("HESC: OCC pays BOB-ICB ") && !text.contains("OCCG"), "{text}");

    // The balances between partners span the year: the CCG is named with the ICB and its
    // day, as the web names it.
    let table = s.ok(&["payments", "--year", "2022-23"]);
    let balances: Vec<&str> = table.lines().filter(|l| l.ends_with(" are square") || l.contains(" owes ")).collect();
    assert_eq!(balances, ["OCCG (BOB-ICB from 2022-07-01) and OCC are square"], "{table}");
}

/// A settlement on the ledger says it is provisional, in the table and the JSON, until all
/// twelve months are imported and closed.
#[test]
fn the_settlement_is_provisional_until_all_twelve_months_are_imported_and_closed() {
    let s = Scratch::new("provisional");
    s.set_up();
    s.ok(&["saving", "--year", "2016-17", "--id", "op-2016-review", "--delivered", "1,500,000"]);
    let provisional = || {
        serde_json::from_str::<Value>(&s.ok(&["settle", "--year", "2016-17", "--json"])).unwrap()["provisional"].clone()
    };
    let heading = || s.ok(&["settle", "--year", "2016-17"]).split("\n\n").next().unwrap().to_string();
    let json = json!({ "months_imported": 0, "months_closed": 0, "first": null, "last": null });
    assert_eq!(provisional(), json);
    assert_eq!(
        heading(),
        "Provisional settlement of oxon-s75 2016-17 on the ledger outturn\nProvisional: no ledger is imported, so every line's outturn is nil (0 of 12 months closed). The settlement is final once all twelve months are imported and closed."
    );
    for m in 1..=12u64 {
        let period = if m <= 9 { format!("2016-{:02}", m + 3) } else { format!("2017-{:02}", m - 9) };
        let file = s.extract("OCC", &period, 10, m);
        s.ok(&["import", "--partner", "OCC", "--period", &period, &file]);
        if m == 6 {
            let json = json!({ "months_imported": 6, "months_closed": 5, "first": "M1", "last": "M6" });
            assert_eq!(provisional(), json);
            assert_eq!(
                heading(),
                "Provisional settlement of oxon-s75 2016-17 on the ledger outturn\nProvisional: the ledger holds M1 to M6 (6 of 12 months imported, 5 closed). The settlement is final once all twelve months are imported and closed."
            );
        }
        s.ok(&["close-period", &period]);
    }
    assert_eq!(provisional(), Value::Null);
    assert_eq!(heading(), "Year-end settlement of oxon-s75 2016-17 on the ledger outturn");
}

/// Another area's agreement for the same year: the example with another id and name.
fn second_agreement(s: &Scratch) -> String {
    let text = std::fs::read_to_string(root().join(AGREEMENT)).unwrap();
    let text = text.replacen("id = \"oxon-s75\"", "id = \"bucks-bcf\"", 1).replacen(
        "name = \"Section 75 Agreement for All Client Groups\"",
        "name = \"Better Care Fund\"",
        1,
    );
    assert!(text.contains("bucks-bcf") && text.contains("Better Care Fund"), "the example's id and name");
    let file = s.path("bucks-bcf-2016-17.toml");
    std::fs::write(&file, text).unwrap();
    file
}

/// The report's JSON without the audit log's head, which every change moves.
fn figures(report: &str) -> Value {
    let mut value: Value = serde_json::from_str(report).unwrap();
    value.as_object_mut().unwrap().remove("audit_head");
    value
}

#[test]
fn two_agreements_for_one_year_are_kept_apart_and_named() {
    let s = Scratch::new("two-agreements");
    s.set_up();
    let bucks = second_agreement(&s);
    assert!(s.ok(&["load", &bucks]).ends_with(": loaded as version 1\n"), "a new agreement, not a variation");
    let listed: Value = serde_json::from_str(&s.ok(&["agreements", "--json"])).unwrap();
    assert_eq!(
        listed,
        serde_json::json!({"agreements": [
            {"id": "bucks-bcf", "name": "Better Care Fund", "years": ["2016-17"], "partners": ["OCC", "OCCG"]},
            {"id": "oxon-s75", "name": "Section 75 Agreement for All Client Groups", "years": ["2016-17"],
             "partners": ["OCC", "OCCG"]},
        ]})
    );
    let table = s.ok(&["agreements"]);
    assert!(table.lines().any(|l| l.starts_with("bucks-bcf ") && l.contains("Better Care Fund")), "{table}");

    // Without --agreement, a command on the year cannot tell which: exit 1, naming both.
    let ambiguous = "2016-17 holds 2 agreements (bucks-bcf, oxon-s75): give --agreement ID\n";
    for command in [
        &["report", "--year", "2016-17", "--month", "M1"][..],
        &["load-plan", "--year", "2016-17", &s.path("plan.csv")],
        &["close-period", "2016-04"],
        &["payments", "--year", "2016-17"],
        &["settle", "--year", "2016-17"],
    ] {
        assert_eq!(s.fails(command), ambiguous, "{command:?}");
    }
    let unknown = s.fails(&["report", "--year", "2016-17", "--month", "M1", "--agreement", "berks-bcf"]);
    assert_eq!(unknown, "no agreement berks-bcf is loaded for 2016-17: 2016-17 holds bucks-bcf, oxon-s75\n");
    let mapping = s.fails(&["save-mapping", "--partner", "OCC", "--preset", "unit4"]);
    assert!(mapping.starts_with("the database holds 2 agreements (bucks-bcf, oxon-s75)"), "{mapping}");

    // Everything of oxon-s75 as it stands, then all sorts of changes to bucks-bcf.
    let file = s.extract("OCC", "2016-04", 200, 3);
    s.ok(&["import", "--agreement", "oxon-s75", "--partner", "OCC", "--period", "2016-04", &file]);
    let oxon = |what: &[&str]| {
        let mut args = what.to_vec();
        args.extend(["--agreement", "oxon-s75"]);
        s.ok(&args)
    };
    let report = || figures(&oxon(&["report", "--year", "2016-17", "--month", "M12", "--format", "json"]));
    let before = (
        report(),
        oxon(&["payments", "--year", "2016-17", "--json"]),
        oxon(&["export-agreement", "--year", "2016-17"]),
    );

    let b = ["--agreement", "bucks-bcf"];
    s.ok(&[&["load-plan", "--year", "2016-17", &s.path("plan.csv")][..], &b].concat());
    s.ok(&[&["save-mapping", "--partner", "OCC", "--preset", "unit4"][..], &b].concat());
    // The same file into the other agreement is an import of its own.
    let imported = s.ok(&[&["import", "--partner", "OCC", "--period", "2016-04", &file][..], &b].concat());
    assert!(imported.contains("imported 200 rows for OCC 2016-04"), "{imported}");
    s.ok(&[&["close-period", "2016-04"][..], &b].concat());
    let forecast =
        ["forecast", "--year", "2016-17", "--month", "M2", "--cost-centre", "OCC-OP01-001", "--outturn", "9"];
    s.ok(&[&forecast[..], &["--confirm-below-actual"], &b].concat());
    // The same saving's forecast and delivery in the other agreement are its own.
    let saving = ["saving", "--year", "2016-17", "--id", "op-2016-review"];
    s.ok(&[&saving[..], &["--forecast", "100", "--month", "M12"], &b].concat());
    s.ok(&[&saving[..], &["--delivered", "0"], &b].concat());
    let payment = ["record-payment", "--year", "2016-17", "--pool", "OP", "--from", "OCCG", "--month", "M1"];
    s.ok(&[&payment[..], &["--raised", "2016-02-20"], &b].concat());
    let varied = std::fs::read_to_string(&bucks).unwrap().replacen("Better Care Fund", "Better Care Fund (varied)", 1);
    std::fs::write(&bucks, varied).unwrap();
    let vary = ["load", &bucks, "--effective", "2016-10-01", "--approved-by", "the board"];
    assert!(s.ok(&vary).contains("variation recorded as version 2"));
    s.ok(&[&["settle", "--year", "2016-17"][..], &b].concat());

    let after = (
        report(),
        oxon(&["payments", "--year", "2016-17", "--json"]),
        oxon(&["export-agreement", "--year", "2016-17"]),
    );
    assert_eq!(after, before, "nothing of oxon-s75 changed");
    // oxon-s75's period is still open, and bucks-bcf's report holds its own import.
    oxon(&[
        "forecast",
        "--year",
        "2016-17",
        "--month",
        "M1",
        "--cost-centre",
        "OCC-OP01-001",
        "--outturn",
        "1",
        "--confirm-below-actual",
    ]);
    // oxon-s75's settlement still waits for its own saving's delivered amount.
    let waits = s.fails(&["settle", "--year", "2016-17", "--agreement", "oxon-s75"]);
    assert!(waits.contains("saving `op-2016-review` delivered, and none is recorded"), "{waits}");
    let theirs = s.ok(&[&["report", "--year", "2016-17", "--month", "M1", "--format", "json"][..], &b].concat());
    assert_eq!(
        actuals_to_date(&figures(&theirs)),
        actuals_to_date(&figures(&oxon(&["report", "--year", "2016-17", "--month", "M1", "--format", "json"])))
    );
    assert!(s.ok(&["audit", "verify"]).starts_with("audit log intact:"));
}

/// The Oxfordshire file with the CCG's contribution to Older People raised by £1,200,000,
/// written to the scratch directory; its path.
fn varied_agreement(s: &Scratch, name: &str, edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(root().join(AGREEMENT)).unwrap();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "`{from}` once in the agreement");
        text = text.replace(from, to);
    }
    let path = s.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

const RAISED: (&str, &str) = ("OCCG = \"85,206,000\"", "OCCG = \"86,406,000\"");

/// An instalment of `payments --year --json`: (pool, from, month) and (amount, invoiced,
/// paid) in pence.
type Listed = ((String, String, String), [i64; 3]);

/// The payments of `--year 2016-17 --json`.
fn instalments(s: &Scratch) -> Vec<Listed> {
    let out: Value = serde_json::from_str(&s.ok(&["payments", "--year", "2016-17", "--json"])).unwrap();
    let text = |v: &Value| v.as_str().unwrap().to_string();
    (out["payments"].as_array().unwrap().iter())
        .map(|p| {
            (
                (text(&p["pool"]), text(&p["from"]), text(&p["month"])),
                [&p["amount"], &p["invoiced"], &p["paid"]].map(pence),
            )
        })
        .collect()
}

/// The pool-level row of every pool of a month's report: (annual budget, to date, variance), pence.
fn pool_budgets(s: &Scratch, month: &str) -> Vec<[i64; 3]> {
    let report = s.report_json(month);
    let rows = |p: &Value| p["rows"][0].clone();
    (report["pools"].as_array().unwrap().iter())
        .map(|p| [&rows(p)["annual_budget"], &rows(p)["budget_to_date"], &rows(p)["variance"]].map(pence))
        .collect()
}

#[test]
fn a_variation_effective_1_october_keeps_the_six_paid_and_the_report_agrees_with_the_settlement() {
    let s = Scratch::new("variation");
    s.set_up();
    for (partner, period) in [("OCC", "2016-05"), ("OCCG", "2016-05"), ("OCC", "2016-11")] {
        let file = s.extract(partner, period, 400, 5);
        s.ok(&["import", "--partner", partner, "--period", period, &file]);
    }
    // The CCG's first six instalments to Older People, invoiced and paid (a month ahead).
    for m in 1..=6 {
        let (month, raised, paid) = (format!("M{m}"), format!("2016-{:02}-01", m + 1), format!("2016-{:02}-10", m + 1));
        s.ok(&refs(&record_payment("OP", &month, &["--raised", &raised, "--paid", &paid])));
    }
    let before = instalments(&s);
    let m6_before = pool_budgets(&s, "M6");
    let varied = varied_agreement(&s, "varied.toml", &[RAISED]);

    // Refused, and nothing changes: no day, a day outside the year, a day without approval.
    let err = s.fails(&["load", &varied]);
    assert_eq!(
        err.trim_end(),
        format!(
            "{varied}: agreement oxon-s75 2016-17 already has instalments invoiced or paid (12 entries), ledger imports (3): a variation must say the day it takes effect (`--effective DATE`, with who approved it, `--approved-by TEXT`), so that what happened before it stays as it was"
        )
    );
    let err = s.fails(&["load", &varied, "--effective", "2017-04-01", "--approved-by", "JMG"]);
    assert!(err.contains("cannot take effect on 2017-04-01, outside the agreement's financial year 2016-17 (2016-04-01 to 2017-03-31)"), "{err}");
    assert_eq!(s.run(&["load", &varied, "--effective", "2016-10-01"]).status.code(), Some(2), "--approved-by too");
    assert!(s.ok(&["variations", "--year", "2016-17"]).starts_with("Agreement oxon-s75 2016-17: 1 versions\n"));

    let out = s.run(&["load", &varied, "--effective", "2016-10-01", "--approved-by", "JMG 2016-09-15, item 4"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.starts_with(&format!("{varied}: variation recorded as version 2:\n")), "{said}");
    assert!(
        said.contains("pool OP / line older-people / contribution OCCG: £85,206,000.00 -> £86,406,000.00"),
        "{said}"
    );
    let warned = String::from_utf8(out.stderr).unwrap();
    assert!(
        warned.contains("the stored cost-centre plan of oxon-s75 2016-17 no longer adds up to the agreement: line `older-people` of pool `OP`"),
        "{warned}"
    );

    // The six paid, and October's (due on 1 September), are exactly as they were; the
    // CCG's year to Older People adds up to its new contribution.
    let after = instalments(&s);
    assert_eq!(after.len(), before.len());
    let op_occg = |list: &[Listed]| -> Vec<[i64; 3]> {
        list.iter().filter(|((pool, from, _), _)| pool == "OP" && from == "OCCG").map(|(_, v)| *v).collect()
    };
    assert_eq!(op_occg(&after)[..7], op_occg(&before)[..7]);
    assert!(op_occg(&after)[..6].iter().all(|[amount, invoiced, paid]| amount == invoiced && invoiced == paid));
    let contribution = (85_206_000 + 1_200_000 + 33_897_000 + 1_075_000) * 100;
    assert_eq!(op_occg(&after).iter().map(|[amount, ..]| amount).sum::<i64>(), contribution);
    let others = |list: &[Listed]| -> Vec<Listed> {
        list.iter().filter(|((pool, from, _), _)| !(pool == "OP" && from == "OCCG")).cloned().collect()
    };
    assert_eq!(others(&after), others(&before), "nothing else changes");

    // The plan again, for the new budgets: its months before October stay as they were.
    s.ok(&["gen-plan", &varied, "-o", &s.path("varied-plan.csv")]);
    let out = s.run(&["load-plan", "--year", "2016-17", &s.path("varied-plan.csv")]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("each cost centre keeps its budgets for M1 to M6 as they were"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The budgets to date of September are as they were; March's annual budgets are the
    // new ones and its budget to date the year's; the report and the settlement agree.
    let m6 = pool_budgets(&s, "M6");
    assert_eq!(
        m6.iter().map(|[_, to_date, _]| *to_date).collect::<Vec<_>>(),
        m6_before.iter().map(|[_, to_date, _]| *to_date).collect::<Vec<_>>()
    );
    assert_eq!(m6[0][0] - m6_before[0][0], 120_000_000, "OP's annual budget is the new one");
    let m12 = pool_budgets(&s, "M12");
    // The review saving delivered in full, so the report's forecast and the settlement
    // take the same delivery.
    s.ok(&["saving", "--year", "2016-17", "--id", "op-2016-review", "--delivered", "1,500,000"]);
    let settled: Value = serde_json::from_str(&s.ok(&["settle", "--year", "2016-17", "--json"])).unwrap();
    let settled: Vec<[i64; 2]> =
        settled["pools"].as_array().unwrap().iter().map(|p| [pence(&p["budget"]), pence(&p["variance"])]).collect();
    assert_eq!(m12.iter().map(|[budget, _, variance]| [*budget, *variance]).collect::<Vec<_>>(), settled);
    assert!(m12.iter().all(|[budget, to_date, _]| budget == to_date), "{m12:?}");

    // The history: the variation's day, approval and what it changed, the risk share
    // before and after.
    let history: Value = serde_json::from_str(&s.ok(&["variations", "--year", "2016-17", "--json"])).unwrap();
    let v2 = &history["versions"][1];
    assert_eq!(
        (v2["version"].as_u64(), v2["effective"].as_str(), v2["approved_by"].as_str()),
        (Some(2), Some("2016-10-01"), Some("JMG 2016-09-15, item 4"))
    );
    assert_eq!(history["versions"][0]["effective"], Value::Null);
    let op = &v2["pools"][0];
    assert_eq!(
        (op["id"].as_str(), op["changed"].as_bool(), op["budget"]["after"].as_str()),
        (Some("OP"), Some(true), Some("188300562.00"))
    );
    assert_eq!(op["shares"][1], serde_json::json!({"partner": "OCCG", "before": "49.76", "after": "50.10"}));
    assert_eq!(v2["pools"][1]["changed"], false);

    // An agreement not loaded yet takes no effective day: its first version is from the start.
    let berks = varied_agreement(&s, "berks.toml", &[("id = \"oxon-s75\"", "id = \"berks-bcf\"")]);
    let err = s.fails(&["load", &berks, "--effective", "2016-10-01", "--approved-by", "JMG"]);
    assert!(err.contains("agreement berks-bcf 2016-17 is not loaded yet: its first version takes effect from the start of the year, not 2016-10-01"), "{err}");
    // A variation cannot take effect before the current one did.
    let again = varied_agreement(&s, "again.toml", &[("OCCG = \"85,206,000\"", "OCCG = \"86,406,001\"")]);
    let err = s.fails(&["load", &again, "--effective", "2016-09-30", "--approved-by", "JMG"]);
    assert!(err.contains("before the current version 2 took effect on 2016-10-01"), "{err}");
}

#[test]
fn a_virement_is_named_and_leaves_the_instalments_alone() {
    let s = Scratch::new("virement");
    s.ok(&["load", AGREEMENT]);
    s.ok(&refs(&record_payment("OP", "M1", &["--raised", "2016-02-20", "--paid", "2016-03-01"])));
    let before = instalments(&s);
    // £100,000 of the CCG's Older People budget moves to Equipment: the pool's total, and
    // the CCG's contribution to the host, are unchanged.
    let moved = varied_agreement(
        &s,
        "virement.toml",
        &[("OCCG = \"85,206,000\"", "OCCG = \"85,106,000\""), ("OCCG = \"1,075,000\"", "OCCG = \"1,175,000\"")],
    );
    let said = s.ok(&["load", &moved, "--effective", "2016-11-01", "--approved-by", "JMG 2016-10-20, item 2"]);
    assert!(
        said.contains("pool OP / virement: £100,000.00 moved from older-people (£100,000.00) to equipment (£100,000.00); the pool's budget stays £187,100,562.00"),
        "{said}"
    );
    assert_eq!(instalments(&s), before);
    let text = s.ok(&["variations", "--year", "2016-17"]);
    assert!(text.contains("Version 2, loaded "), "{text}");
    assert!(
        text.contains(
            "by tester: takes effect on 2016-11-01; approved by JMG 2016-10-20, item 2\n  pool OP / virement:"
        ),
        "{text}"
    );
}

/// Metrics through the command line: a figure entered, a file imported all or nothing
/// (each bad cell named by file, row and column, nothing written), and the listing with
/// the home support measure's quarter computed from the weekly figures.
#[test]
fn metrics_are_entered_imported_all_or_nothing_and_listed() {
    let s = Scratch::new("metrics");
    s.ok(&["load", AGREEMENT]);
    let set = s.ok(&["metric", "set", "--year", "2016-17", "home-support.new-hours", "W1", "actual", "260"]);
    assert_eq!(set, "home-support.new-hours W1 actual of oxon-s75 2016-17: 260\n");
    let bad = s.path("bad.csv");
    std::fs::write(
        &bad,
        "metric,period,kind,value\n\
         home-support.new-hours,W2,actual,280\n\
         nope,W2,actual,1\n\
         home-support.new-hours,M2,actual,1\n\
         home-support.new-hours,W4,actual,\n\
         home-support.new-hours,W2,actual,5\n",
    )
    .unwrap();
    let errors = s.fails(&["metric", "import", "--year", "2016-17", &bad]);
    assert_eq!(
        errors.lines().collect::<Vec<_>>(),
        [
            format!(
                "{bad}:3:1: error: metric: unknown metric `nope` (the agreement's are home-support.new-hours, home-support.total-hours)"
            ),
            format!("{bad}:4:2: error: period: home-support.new-hours is measured by week: M2 is not one (e.g. W1)"),
            format!("{bad}:5:4: error: value: no figure: give a number, or `not available` when there is no data"),
            format!("{bad}:6:1: error: metric: home-support.new-hours W2 actual is given twice"),
        ]
    );
    let good = s.path("good.csv");
    std::fs::write(
        &good,
        "Metric,Period,Kind,Value\n\
         home-support.new-hours,W2,actual,280\n\
         home-support.new-hours,W3,actual,not available\n\
         home-support.total-hours,W3,actual,\"20,910\"\n",
    )
    .unwrap();
    assert_eq!(
        s.ok(&["metric", "import", "--year", "2016-17", &good]),
        format!("{good}: 3 figures recorded for oxon-s75 2016-17\n")
    );
    let listed: Value = serde_json::from_str(&s.ok(&["metrics", "--year", "2016-17", "--json"])).unwrap();
    let new_hours = &listed["series"][0];
    assert_eq!(
        new_hours["latest"],
        json!({"period": "W3", "plan": "270", "actual": "not available", "status": "not available"})
    );
    assert_eq!(new_hours["periods"][0]["status"], "not on track");
    assert_eq!(
        listed["home_support"][0]["quarters"][0],
        json!({
            "quarter": "Q1", "weeks_reported": 2, "average_new_hours": "270.0", "new_hours_status": "on track",
            "latest_week": "W3", "growth_hours": "510", "progress_percent": "25.0", "progress_due_percent": "25.0",
            "progress_status": "on track"
        })
    );
    assert!(s.ok(&["audit", "log"]).contains("set-metrics"));
}

/// The BCF example's metrics file imports into the example, and the listing holds each of
/// its figures as the file gives it, every series of the example (the national set of
/// 2021-22 and the two KPIs), and statuses of each kind: what the demo shows.
#[test]
fn the_bcf_examples_metrics_import_and_list_as_the_file_gives_them() {
    let s = Scratch::new("bcf-metrics");
    s.ok(&["load", "examples/oxfordshire-bcf-2021-22.toml"]);
    let file = root().join("examples/oxfordshire-bcf-2021-22-metrics.csv");
    let file = file.to_str().unwrap();
    let text = std::fs::read_to_string(file).unwrap();
    let rows: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(
        s.ok(&["metric", "import", "--year", "2021-22", file]),
        format!("{file}: {} figures recorded for oxon-bcf 2021-22\n", rows.len())
    );
    let listed: Value = serde_json::from_str(&s.ok(&["metrics", "--year", "2021-22", "--json"])).unwrap();
    assert_eq!(listed["national"], "bcf-2021-22");
    let series = listed["series"].as_array().unwrap();
    let ids: Vec<&str> = series.iter().map(|m| m["id"].as_str().unwrap()).collect();
    let national = pooled_core::metrics::national::set("bcf-2021-22").unwrap();
    let expected: Vec<&str> =
        national.metrics.iter().map(|m| m.id.as_str()).chain(["urgent-response-2-hours", "carers-supported"]).collect();
    assert_eq!(ids, expected);
    for row in &rows {
        let [metric, period, kind, value] = row[..] else { panic!("a row of four: {row:?}") };
        let listed = series.iter().find(|m| m["id"] == metric).unwrap();
        let at = listed["periods"].as_array().unwrap().iter().find(|p| p["period"] == period).unwrap();
        assert_eq!(at[kind], value, "{metric} {period} {kind}");
    }
    let statuses: Vec<&str> =
        series.iter().flat_map(|m| m["periods"].as_array().unwrap()).map(|p| p["status"].as_str().unwrap()).collect();
    for status in ["on track", "not on track", "not available"] {
        assert!(statuses.contains(&status), "a period {status}: {statuses:?}");
    }
}

/// The Oxfordshire BCF example loaded with its plan and £5,000 of the Disabled Facilities
/// Grant (OX-19) spent in April.
fn bcf_with_april_ledger(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.ok(&["load", "examples/oxfordshire-bcf-2021-22.toml"]);
    s.ok(&["load-plan", "--year", "2021-22", "examples/oxfordshire-bcf-2021-22-plan.csv"]);
    let extract = s.path("occ.csv");
    std::fs::write(
        &extract,
        "Voucher No,Voucher Date,Cost Centre,Account,Amount,Description\nV1,15/04/2021,OCC-BCF-19,5100,5000.00,DFG\n",
    )
    .unwrap();
    s.ok(&["import", "--partner", "OCC", "--period", "2021-04", "--preset", "unit4", &extract]);
    s
}

/// `pooled bcf --year --month` on the database: the JSON contract of docs/cli.md, with the
/// ledger's figures and the audit log's head (the plan's `pooled bcf FILE` has neither).
#[test]
fn bcf_from_the_ledger_gives_planned_actual_and_forecast_with_the_head() {
    let s = bcf_with_april_ledger("bcf");
    let out: Value = serde_json::from_str(&s.ok(&["bcf", "--year", "2021-22", "--month", "M1", "--json"])).unwrap();
    let keys: Vec<&str> = out.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "agreement",
            "financial_year",
            "month",
            "scheme_types",
            "streams",
            "types",
            "schemes",
            "without_stream",
            "without_scheme",
            "total",
            "conditions",
            "audit_head"
        ]
    );
    assert_eq!(out["month"], "M1");
    // The DFG passed on to the districts from the ledger: OX-19's £5,000 to date.
    let passed = out["conditions"].as_array().unwrap().iter().find(|c| c["rule"] == "dfg-to-districts").unwrap();
    assert_eq!(passed["figures"]["actual_to_date"], "5000.00");
    assert_eq!(passed["required"], "6162000.00");
    let dfg = out["streams"].as_array().unwrap().iter().find(|s| s["id"] == "dfg").unwrap();
    assert_eq!(
        dfg["spend"],
        json!({ "planned": "6662000.00", "actual_to_date": "5000.00", "forecast": dfg["spend"]["forecast"] })
    );
    assert_eq!(out["total"]["actual_to_date"], "5000.00");
    assert!(out["audit_head"].as_str().unwrap().contains(':'));
    let text = s.ok(&["bcf", "--year", "2021-22", "--month", "M1"]);
    assert!(text.starts_with("Funding streams and schemes of oxon-bcf 2021-22 at M1, from the ledger\n"), "{text}");
    assert!(text.contains("\nConditions\n") && text.contains("Breached: "), "{text}");
}

/// `pooled bcf-statement` and `pooled bcf-return`: a statement recorded (from an argument
/// and from standard input), the Q1 return written and read back with the ledger's figures
/// of `pooled bcf --month M3`, the statement as text; bad input refused, naming what.
#[test]
fn a_quarters_return_is_written_with_the_statements_and_the_ledgers_figures() {
    let s = bcf_with_april_ledger("bcf-return");
    let year = ["--year", "2021-22", "--return", "Q1"];
    let recorded = s.ok(&[&["bcf-statement"][..], &year, &["completed-by", "=1+1 Ann"]].concat());
    assert_eq!(recorded, "completed-by of the Q1 return of oxon-bcf 2021-22 recorded\n");
    let mut piped = s.command(&[&["bcf-statement"][..], &year, &["narrative", "-"]].concat());
    piped.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    let mut child = piped.spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"On plan.\nDFG passed on.\n").unwrap();
    assert!(child.wait_with_output().unwrap().status.success());

    let out = s.path("q1.xlsx");
    let written = s.ok(&[&["bcf-return"][..], &year, &["--out", &out]].concat());
    assert!(written.starts_with(&format!("{out}: the Q1 return of oxon-bcf 2021-22\nAudit log head: ")), "{written}");
    let cover = pooled_files::read_xlsx_cells(&out, "Cover").unwrap();
    let item = |name: &str| cover.iter().find(|r| r[0] == name).unwrap()[1].clone();
    assert_eq!(item("Completed by"), "=1+1 Ann");
    assert_eq!(item("Narrative"), "On plan.\nDFG passed on.");
    assert_eq!(item("Figures"), "the ledger to 2021-06-30 (M3)");
    let bcf: Value = serde_json::from_str(&s.ok(&["bcf", "--year", "2021-22", "--month", "M3", "--json"])).unwrap();
    let dfg = bcf["streams"].as_array().unwrap().iter().find(|s| s["id"] == "dfg").unwrap();
    let income = pooled_files::read_xlsx_cells(&out, "Income").unwrap();
    let row = income.iter().find(|r| r[0] == dfg["name"]).expect("the DFG's row");
    let pounds = |cell: &str| format!("{:.2}", cell.parse::<f64>().unwrap());
    assert_eq!(
        [pounds(&row[4]), pounds(&row[5]), pounds(&row[6])],
        [&dfg["spend"]["planned"], &dfg["spend"]["actual_to_date"], &dfg["spend"]["forecast"]]
            .map(|v| v.as_str().unwrap().to_string())
    );

    s.ok(&[&["bcf-statement"][..], &year, &["condition:social-care", "Met: see the plan."]].concat());
    let conditions = pooled_files::read_xlsx_cells(&out, "National conditions").unwrap();
    assert!(conditions.iter().any(|r| r[0] == "social-care" && r.last().unwrap().is_empty()), "written before it");
    let refused = s.fails(&[&["bcf-statement"][..], &year, &["condition:fairness", "met"]].concat());
    assert!(refused.contains("the Q1 return has no condition `fairness`"), "{refused}");
    let usage = s.run(&["bcf-return", "--year", "2021-22", "--return", "Q4", "--out", &out]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("Q4 is the end-of-year return"));
    assert!(s.ok(&["audit", "log"]).contains("set-statement"));
}
