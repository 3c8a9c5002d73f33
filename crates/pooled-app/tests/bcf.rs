//! Spend per stream, scheme and type from the ledger, to the penny, on SQLite and
//! PostgreSQL: the Oxfordshire BCF example loaded with its plan, a month of extracts
//! imported, and `pooled_app::bcf` read back.
//!
//! PostgreSQL is at `POOLED_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432/test`);
//! when it cannot be reached the PostgreSQL case fails if `CI=true`, otherwise it says so
//! on stderr and passes, as the store's suite does.

use std::io::Write;
use std::path::{Path, PathBuf};

use pooled_app::{ImportRequest, load_agreement, load_plan};
use pooled_core::bcf::{LedgerSpend, Spend};
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{Mapping, Period};
use pooled_core::money::Money;
use pooled_store::{AgreementYear, PostgresStore, SqliteStore, Store};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-app-bcf-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

fn pence(p: i64) -> Money {
    Money::from_pence(p)
}

const HEADER: &str = "Voucher No,Voucher Date,Cost Centre,Account,Amount,Description\n";

/// Loads the example and its plan, imports April's extracts of both partners, and checks
/// the spend per stream and scheme against figures worked by hand.
fn spend_from_the_ledger(store: &mut dyn Store, dir: &Path) {
    let file = "examples/oxfordshire-bcf-2021-22.toml";
    let text = std::fs::read_to_string(root().join(file)).expect("the example");
    load_agreement(store, file, &text, &Default::default(), "tester", |_| Ok(())).expect("loads");
    let key = AgreementYear::new("oxon-bcf", FinancialYear::parse("2021-22").unwrap());
    load_plan(store, &key, &root().join("examples/oxfordshire-bcf-2021-22-plan.csv"), "tester").expect("plan");

    // Reablement (OX-02, funded 4,100,000 : 1,000,000 by nhs-min and occ-additional):
    // £1,000.01 is 80,392.96p and 19,608.04p, the leftover penny to the larger remainder.
    // Community beds (OX-08, the NHS minimum only): £250.50 and a £0.50 credit.
    let extracts = [
        ("OCC", format!("{HEADER}V1,15/04/2021,OCC-BCF-02,5100,1000.01,Reablement\n")),
        (
            "OCCG",
            format!(
                "{HEADER}J1,20/04/2021,OCCG-BCF-08,5200,250.50,Beds\nJ2,21/04/2021,OCCG-BCF-08,5200,-0.50,Credit\n"
            ),
        ),
    ];
    let period = Period::parse("2021-04").unwrap();
    for (partner, csv) in extracts {
        let path = dir.join(format!("{partner}.csv"));
        std::fs::write(&path, csv).expect("extract");
        let request = ImportRequest {
            agreement: "oxon-bcf",
            partner,
            period,
            path: &path,
            mapping: Mapping::preset("unit4").unwrap(),
            actor: "tester",
        };
        pooled_app::import_ledger(store, &request, &mut |_, _| {}).expect("imports");
    }

    let m1 = FiscalMonth::new(1).unwrap();
    let spending = pooled_app::bcf(store, &key, m1).expect("spend");
    let a = &spending.agreement;
    let stream = |id: &str| {
        let ix = a.streams().iter().position(|s| s.id == id).unwrap();
        spending.spend.streams[ix].spend
    };
    assert_eq!(stream("nhs-min").actual_to_date, pence(80_393 + 25_000));
    assert_eq!(stream("occ-additional").actual_to_date, pence(19_608));
    assert_eq!(stream("ibcf").actual_to_date, Money::ZERO);
    assert_eq!(spending.spend.total.actual_to_date, pence(100_001 + 25_000));
    let reablement =
        spending.spend.schemes.iter().find(|s| a.pools()[s.pool].lines[s.line].id == "reablement").expect("OX-02");
    let by_stream: Vec<Money> = reablement.by_stream.iter().map(|s| s.spend.actual_to_date).collect();
    assert_eq!(by_stream, [pence(80_393), pence(19_608)]);
    // Planned per stream is each allocation; the forecast is the report's, and adds up.
    for (s, declared) in spending.spend.streams.iter().zip(a.streams()) {
        assert_eq!(s.spend.planned, declared.allocation, "{}", declared.id);
    }
    let report = pooled_app::report(store, &key, m1).expect("report");
    let forecast: Money = report.pools.iter().map(|p| p.figures.forecast_outturn).sum();
    let streams = spending.spend.streams.iter().fold(LedgerSpend::default(), |t, s| t.plus(s.spend));
    assert_eq!(streams.forecast, forecast);
    assert_eq!(streams, spending.spend.total);

    // The conditions from the same figures: of reablement's £1,000.01, the 80,393p from the
    // NHS minimum is social care (OX-02); community beds is community health.
    let condition = |rule: &str| spending.conditions.iter().find(|c| c.rule.key() == rule).expect(rule);
    assert_eq!(condition("social-care").figures.actual_to_date, pence(80_393));
    // Out of hospital: half of reablement's NHS minimum (joint, NHS 50%: 40,196.5p, the
    // odd penny to the NHS's part) and all of community beds (NHS).
    assert_eq!(condition("out-of-hospital").figures.actual_to_date, pence(40_197 + 25_000));
    // In April the run-rate forecasts of the lines with no actuals are nil, so the minimums'
    // forecasts fall short; the planned figures and the allocations are met.
    let breached: Vec<(&str, &str)> =
        (spending.conditions.iter()).flat_map(|c| c.breaches().into_iter().map(|b| (c.rule.key(), b.figure))).collect();
    assert_eq!(
        breached,
        [("social-care", "forecast"), ("out-of-hospital", "forecast"), ("dfg-to-districts", "forecast")]
    );

    // A month that takes the NHS minimum past its allocation: £45m more on community beds
    // (the NHS minimum only) is a breach of the actual to date, naming the stream and source.
    let over = format!("{HEADER}J3,30/05/2021,OCCG-BCF-08,5200,45000000.00,Beds\n");
    let path = dir.join("OCCG-05.csv");
    std::fs::write(&path, over).expect("extract");
    let request = ImportRequest {
        agreement: "oxon-bcf",
        partner: "OCCG",
        period: Period::parse("2021-05").unwrap(),
        path: &path,
        mapping: Mapping::preset("unit4").unwrap(),
        actor: "tester",
    };
    pooled_app::import_ledger(store, &request, &mut |_, _| {}).expect("imports");
    let m2 = FiscalMonth::new(2).unwrap();
    let spending = pooled_app::bcf(store, &key, m2).expect("spend");
    let nhs_min = spending.conditions.iter().find(|c| c.what.contains("`nhs-min`")).expect("nhs-min");
    let actual = pence(80_393 + 25_000 + 4_500_000_000);
    assert_eq!(nhs_min.figures.actual_to_date, actual);
    let breaches = nhs_min.breach_words();
    assert!(
        breaches.contains(&format!(
            "Breached: the spend from stream `nhs-min` (NHS minimum contribution), actual to date {actual}, is {} over the allowed £44,375,000.00 (BCF policy framework 2021-22: each funding stream spent within its allocation)",
            actual - pence(4_437_500_000)
        )),
        "{breaches:?}"
    );
}

#[test]
fn spend_per_stream_from_the_ledger_on_sqlite() {
    let dir = scratch("sqlite");
    let mut store = SqliteStore::open(&dir.join("pooled.sqlite")).expect("SQLite");
    spend_from_the_ledger(&mut store, &dir);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn spend_per_stream_from_the_ledger_on_postgres() {
    let url =
        std::env::var("POOLED_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("pooled_app_bcf_{}", std::process::id());
    let mut store = match PostgresStore::open_in_schema(&url, &schema) {
        Ok(store) => store,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("PostgreSQL not reachable at {url} ({e}), and CI=true: the PostgreSQL tests must run");
            }
            // Straight to stderr, not eprintln!: the test harness would swallow that.
            let _ = writeln!(std::io::stderr(), "SKIPPED: PostgreSQL not reachable at {url} ({e})");
            return;
        }
    };
    let dir = scratch("postgres");
    spend_from_the_ledger(&mut store, &dir);
    drop(store);
    if let Ok(mut client) = postgres::Client::connect(&url, postgres::NoTls) {
        let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
