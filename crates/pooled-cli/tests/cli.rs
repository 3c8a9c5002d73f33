//! The command line through its stable entry point: the `pooled` binary, run on the example
//! files, its output compared with snapshot files (`UPDATE_EXPECT=1` rewrites them) and
//! with the figures of the source documents.

use std::path::{Path, PathBuf};
use std::process::Command;

use expect_test::expect_file;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn pooled(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the pooled binary runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

fn ok(args: &[&str]) -> String {
    let run = pooled(args);
    assert_eq!(run.code, 0, "pooled {args:?} failed:\n{}", run.stderr);
    run.stdout
}

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&ok(args)).expect("valid JSON")
}

const OX16: &str = "examples/oxfordshire-2016-17.toml";
const OX22: &str = "examples/oxfordshire-2022-23.toml";

/// Schedule 3 of the 2016 report, tables A.2-D.2, in pounds: for each pool and partner,
/// contribution, excluded, income added back, risk-shared contribution, % risk share.
const SCHEDULE_3: &[(&str, &str, [&str; 5])] = &[
    ("OP", "OCC", ["66,922,562", "0", "20,196,547", "87,119,109", "50.24"]),
    ("OP", "OCCG", ["120,178,000", "33,897,000", "0", "86,281,000", "49.76"]),
    ("LD", "OCC", ["70,616,006", "0", "5,427,396", "76,043,402", "85.10"]),
    ("LD", "OCCG", ["13,318,000", "0", "0", "13,318,000", "14.90"]),
    ("MH", "OCC", ["9,081,891", "0", "53,230", "9,135,121", "16.92"]),
    ("MH", "OCCG", ["44,847,000", "0", "0", "44,847,000", "83.08"]),
    ("PD", "OCC", ["11,925,465", "0", "820,079", "12,745,544", "61.84"]),
    ("PD", "OCCG", ["7,866,000", "0", "0", "7,866,000", "38.16"]),
];

#[test]
fn risk_share_reproduces_schedule_3_to_the_pound_and_the_hundredth() {
    let out = json(&["risk-share", "--json", OX16]);
    assert_eq!(out["financial_year"], "2016-17");
    for (pool, partner, [contribution, excluded, income, base, share]) in SCHEDULE_3 {
        let pools = out["pools"].as_array().unwrap();
        let p = pools.iter().find(|p| p["id"] == *pool).unwrap_or_else(|| panic!("pool {pool}"));
        assert_eq!(p["basis"], "gross-contributions");
        let row = p["partners"].as_array().unwrap().iter().find(|r| r["id"] == *partner).unwrap();
        let pounds = |s: &str| format!("{}.00", s.replace(',', ""));
        let got = [&row["contributions"], &row["excluded"], &row["income_added_back"], &row["base"], &row["share"]];
        let want = [pounds(contribution), pounds(excluded), pounds(income), pounds(base), share.to_string()];
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.as_str(), Some(w.as_str()), "{pool} {partner}");
        }
    }
}

#[test]
fn schedule_3_figures_are_the_seed_documents_own() {
    // Guards the table above against typing slips: every figure must appear in the report.
    let seed = root().join("../shared/seeds/000_0c44cd5d6b94c456.txt");
    let Ok(text) = std::fs::read_to_string(&seed) else {
        panic!("{} is missing: CI and the README expect ../shared beside the repository", seed.display());
    };
    for (pool, partner, figures) in SCHEDULE_3 {
        for figure in figures.iter().filter(|f| **f != "0") {
            // The BCF appears only in £'000 (para 26: 33,897), so whole thousands may too.
            let in_thousands = figure.strip_suffix(",000").unwrap_or(figure);
            assert!(
                text.contains(figure) || text.contains(in_thousands),
                "{pool} {partner}: {figure} is not in the 2016 report"
            );
        }
    }
}

#[test]
fn human_outputs_match_their_snapshots() {
    let outturn16 = "examples/oxfordshire-2016-17-outturn.toml";
    let outturn22 = "examples/oxfordshire-2022-23-outturn.toml";
    let meeting = "examples/oxfordshire-2016-17-meeting.toml";
    let inquorate = "examples/oxfordshire-2016-17-meeting-inquorate.toml";
    expect_file!["snapshots/check-2016-17.txt"].assert_eq(&ok(&["check", OX16]));
    expect_file!["snapshots/risk-share-2016-17.txt"].assert_eq(&ok(&["risk-share", OX16]));
    expect_file!["snapshots/risk-share-2016-17-thousands.txt"].assert_eq(&ok(&["risk-share", "--thousands", OX16]));
    expect_file!["snapshots/risk-share-2022-23.txt"].assert_eq(&ok(&["risk-share", OX22]));
    expect_file!["snapshots/settle-2016-17.txt"].assert_eq(&ok(&["settle", OX16, outturn16]));
    expect_file!["snapshots/settle-2022-23.txt"].assert_eq(&ok(&["settle", OX22, outturn22]));
    expect_file!["snapshots/payments-2016-17.txt"].assert_eq(&ok(&["payments", OX16]));
    expect_file!["snapshots/meeting-2016-17.txt"].assert_eq(&ok(&["meeting", OX16, meeting]));
    expect_file!["snapshots/meeting-2016-17-inquorate.txt"].assert_eq(&ok(&["meeting", OX16, inquorate]));
    expect_file!["snapshots/bank-holidays-2022.txt"].assert_eq(&ok(&["bank-holidays", "--year", "2022"]));
}

#[test]
fn json_outputs_match_their_snapshots() {
    let outturn16 = "examples/oxfordshire-2016-17-outturn.toml";
    let meeting = "examples/oxfordshire-2016-17-meeting.toml";
    expect_file!["snapshots/settle-2016-17.json"].assert_eq(&ok(&["settle", "--json", OX16, outturn16]));
    expect_file!["snapshots/meeting-2016-17.json"].assert_eq(&ok(&["meeting", "--json", OX16, meeting]));
}

#[test]
fn settlement_json_follows_the_contract_and_sums_exactly() {
    let out = json(&["settle", "--json", OX16, "examples/oxfordshire-2016-17-outturn.toml"]);
    let pence = |v: &Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
    for pool in out["pools"].as_array().unwrap() {
        let keys: Vec<&str> = pool.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "budget", "outturn", "variance", "partners"]);
        let mut total = 0;
        for partner in pool["partners"].as_array().unwrap() {
            let parts: i64 = partner["parts"].as_array().unwrap().iter().map(|p| pence(&p["amount"])).sum();
            assert_eq!(parts, pence(&partner["total"]));
            for part in partner["parts"].as_array().unwrap() {
                let keys: Vec<&str> = part.as_object().unwrap().keys().map(String::as_str).collect();
                assert_eq!(keys, ["rule", "line", "clause", "amount"]);
            }
            total += parts;
        }
        assert_eq!(total, pence(&pool["variance"]), "pool {}", pool["id"]);
    }
}

#[test]
fn payments_follow_r8() {
    let out = json(&["payments", "--json", OX16]);
    let payments = out["payments"].as_array().unwrap();
    // OCCG pays OCC for OP, LD and PD; OCC pays OCCG, the MH host; 12 instalments each.
    assert_eq!(payments.len(), 48);
    let first = &payments[0];
    assert_eq!(
        first,
        &serde_json::json!({
            "pool": "OP", "from": "OCCG", "to": "OCC", "month": "M1", "due": "2016-03-01", "amount": "10014833.33"
        })
    );
    let mh: Vec<&Value> = payments.iter().filter(|p| p["pool"] == "MH").collect();
    assert_eq!(
        (mh[0]["from"].as_str(), mh[0]["to"].as_str(), mh[0]["due"].as_str()),
        (Some("OCC"), Some("OCCG"), Some("2016-04-01"))
    );
    // 9,081,891 / 12 = 756,824.25 exactly; 120,178,000 / 12 leaves 4p for M12.
    assert_eq!(mh[11]["amount"], "756824.25");
    assert_eq!(payments[11]["amount"], "10014833.37");
    assert_eq!(payments[11]["due"], "2017-02-01");
}

#[test]
fn notice_dates() {
    let check = |args: &[&str], expected: Value| {
        let mut all = vec!["notice", OX16, "--json"];
        all.extend_from_slice(args);
        assert_eq!(json(&all), expected, "{args:?}");
    };
    check(
        &["--given", "2016-08-31"],
        serde_json::json!({"given": "2016-08-31", "months": 6, "effective": "2017-02-28"}),
    );
    check(
        &["--given", "2019-11-30", "--reason", "no-contribution-agreement"],
        serde_json::json!({"given": "2019-11-30", "months": 3, "effective": "2020-02-29"}),
    );
    check(
        &["--given", "2017-01-31", "--reason", "default", "--months", "1"],
        serde_json::json!({"given": "2017-01-31", "months": 1, "effective": "2017-02-28"}),
    );
    assert_eq!(
        ok(&["notice", OX16, "--given", "2016-08-31"]),
        "Notice given 2016-08-31 takes effect 2017-02-28 (6 months; R9)\n"
    );
}

#[test]
fn calendar_commands() {
    assert_eq!(
        ok(&["working-days", "--calendar", "england-and-wales", "--from", "2016-12-20", "--to", "2017-01-05"]),
        "10\n"
    );
    assert_eq!(ok(&["working-days", "--from", "2022-05-30", "--to", "2022-06-10"]), "8\n");
    assert_eq!(ok(&["working-days", "--from", "2022-06-10", "--to", "2022-05-30"]), "0\n");
}

#[test]
fn declared_total_slip_is_flagged_but_not_an_error() {
    let run = pooled(&["check", OX22]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with(
        "examples/oxfordshire-2022-23.toml:21:18: warning: declared total £489,136,000.00 differs from the sum of the agreement's pools, £489,435,000.00, by -£299,000.00 (R13)\n"
    ), "{}", run.stdout);
}

fn check_failure(args: &[&str], code: i32, stderr: &str) {
    let run = pooled(args);
    assert_eq!((run.code, run.stdout.as_str()), (code, ""), "pooled {args:?}: {}", run.stderr);
    assert!(run.stderr.contains(stderr), "pooled {args:?}: stderr was\n{}", run.stderr);
}

#[test]
fn exit_codes_and_located_errors() {
    let dir = std::env::temp_dir().join(format!("pooled-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.toml");
    let text = std::fs::read_to_string(root().join(OX16)).unwrap().replace("\"20,196,547\"", "20196547.0");
    std::fs::write(&bad, text).unwrap();
    let bad = bad.to_str().unwrap();

    check_failure(&["check", bad], 1, &format!("{bad}:45:18: error: amount `20196547.0` is a float"));
    check_failure(&["risk-share", bad], 1, ":45:18: error:");
    check_failure(&["check", "no/such/file.toml"], 1, "no/such/file.toml: cannot read:");
    check_failure(
        &["settle", OX16, OX16],
        1,
        "examples/oxfordshire-2016-17.toml:14:2: error: unknown field `agreement`",
    );
    check_failure(&["meeting", OX22, "examples/oxfordshire-2016-17-meeting.toml"], 1, "the agreement has no [board]");
    check_failure(
        &["notice", OX16, "--given", "2016-08-31", "--reason", "default"],
        2,
        "--reason default needs --months N",
    );
    check_failure(
        &["notice", OX16, "--given", "2016-08-31", "--months", "2"],
        2,
        "--months goes only with --reason default",
    );
    check_failure(&["notice", OX16, "--given", "2016-02-30"], 2, "February 2016 has 29 days");
    // Every error of an agreement file has its place: a byte that is not UTF-8 at its line
    // and column, a missing table at the end of the file, where it would be added.
    let latin1 = dir.join("latin1.toml");
    let mut bytes = std::fs::read(root().join(OX16)).unwrap();
    let at = bytes.windows(7).position(|w| w == b"Schedul").unwrap();
    bytes[at + 7] = 0xE9;
    std::fs::write(&latin1, bytes).unwrap();
    let latin1 = latin1.to_str().unwrap();
    check_failure(
        &["check", latin1],
        1,
        &format!("{latin1}:2:10: error: not UTF-8 text (byte 0xE9): save the file as UTF-8"),
    );
    let no_terms = dir.join("no-terms.toml");
    let text = std::fs::read_to_string(root().join(OX16)).unwrap();
    let text = text.replace("[termination]\nnotice_months = 6\nno_contribution_agreement_months = 3\n", "");
    let last_line = text.lines().count() + 1;
    std::fs::write(&no_terms, text).unwrap();
    let no_terms = no_terms.to_str().unwrap();
    check_failure(
        &["notice", no_terms, "--given", "2016-08-31"],
        1,
        &format!(
            "{no_terms}:{last_line}:1: error: the agreement has no [termination] table: add one with notice_months and no_contribution_agreement_months"
        ),
    );
    check_failure(&["no-such-command"], 2, "unrecognized subcommand");
    check_failure(&["risk-share"], 2, "required");
    check_failure(&["bank-holidays", "--year", "0"], 2, "--year");
    std::fs::remove_dir_all(&dir).unwrap();
}
