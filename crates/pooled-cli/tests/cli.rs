//! The command line through its stable entry point: the `pooled` binary, run on the example
//! files, its output compared with snapshot files (`UPDATE_EXPECT=1` rewrites them) and
//! with the figures of the source documents, kept as fixtures in tests/fixtures/.

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
const BUCKS22: &str = "examples/buckinghamshire-2022-23.toml";
const OXBCF21: &str = "examples/oxfordshire-bcf-2021-22.toml";

/// A fixture of the source documents' figures (tests/fixtures/; each cites its report,
/// paragraphs and tables): its lines other than comments and blanks.
fn fixture(name: &str) -> Vec<String> {
    let path = root().join("crates/pooled-cli/tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

/// `66,922,562` as 66922562; `50.24%` as 5024 (hundredths); `None` for a word.
fn figure(token: &str) -> Option<i64> {
    let digits = token.trim_end_matches('%').replace(',', "");
    let hundredths = token.ends_with('%') || digits.contains('.');
    let whole = digits.replace('.', "");
    (!whole.is_empty() && whole.bytes().all(|b| b.is_ascii_digit()))
        .then(|| whole.parse::<i64>().ok())
        .flatten()
        .map(|n| if hundredths && !digits.contains('.') { n * 100 } else { n })
}

/// One partner's row of a Schedule 3 risk-share table, as `pooled risk-share --json`
/// writes it: contribution, excluded from the base, income added back, risk-shared
/// contribution (pounds) and % risk share (hundredths).
type ShareRow = (String, &'static str, [i64; 5]);

/// A fixture row: its label and its figures.
type Row = (String, Vec<i64>);

/// The risk-share rows of Schedule 3 of the 2016 report, from its fixture: the
/// contribution is table 1's total, the exclusion what table 2 leaves out of it, the income
/// and the base table 2's. The fixture's own sums are checked on the way: each table 1
/// total is its partners' contributions added up, each base its contribution in the base
/// plus income, and the shares sum to 100.
fn schedule_3() -> Vec<ShareRow> {
    let pools = [("A", "OP"), ("B", "LD"), ("C", "MH"), ("D", "PD")];
    // Each pool's rows: (label, figures).
    let mut tables: Vec<(String, Vec<Row>)> = Vec::new();
    for line in fixture("schedule-3-2016.txt") {
        if let Some(section) = line.strip_prefix('[') {
            let letter = &section[..1];
            let pool = pools.iter().find(|(l, _)| *l == letter).expect("a pool of Schedule 3").1;
            tables.push((pool.to_string(), Vec::new()));
            continue;
        }
        let tokens: Vec<&str> = line.split_whitespace().skip(1).collect();
        let label: Vec<&str> = tokens.iter().copied().filter(|t| figure(t).is_none()).collect();
        let figures: Vec<i64> = tokens.iter().filter_map(|t| figure(t)).collect();
        tables.last_mut().expect("rows follow a pool").1.push((label.join(" "), figures));
    }
    let mut rows = Vec::new();
    for (pool, table) in &tables {
        let row = |prefix: &str| -> &Vec<i64> {
            &table.iter().find(|(label, _)| label.starts_with(prefix)).unwrap_or_else(|| panic!("{pool}: {prefix}")).1
        };
        let (total, in_base, income, base, share) = (
            row("Total"),
            row("Contribution to"),
            row("Add back income"),
            row("Risk Shared Contributions"),
            row("% risk share"),
        );
        assert_eq!(total[0] + total[1], total[2], "{pool}: table 1's total");
        assert_eq!(share[0] + share[1], 10_000, "{pool}: the shares add up to 100.00");
        for (ix, partner) in ["OCC", "OCCG"].into_iter().enumerate() {
            let income = if ix == 0 { income[0] } else { 0 };
            assert_eq!(in_base[ix] + income, base[ix], "{pool} {partner}: table 2's base");
            rows.push((pool.clone(), partner, [total[ix], total[ix] - in_base[ix], income, base[ix], share[ix]]));
        }
    }
    assert_eq!(rows.len(), 8, "four pools, two partners");
    rows
}

#[test]
fn risk_share_reproduces_schedule_3_to_the_pound_and_the_hundredth() {
    let out = json(&["risk-share", "--json", OX16]);
    assert_eq!(out["financial_year"], "2016-17");
    for (pool, partner, [contribution, excluded, income, base, share]) in schedule_3() {
        let pools = out["pools"].as_array().unwrap();
        let p = pools.iter().find(|p| p["id"] == pool.as_str()).unwrap_or_else(|| panic!("pool {pool}"));
        assert_eq!(p["basis"], "gross-contributions");
        let row = p["partners"].as_array().unwrap().iter().find(|r| r["id"] == partner).unwrap();
        let got = [&row["contributions"], &row["excluded"], &row["income_added_back"], &row["base"], &row["share"]];
        let pounds = |n: i64| format!("{n}.00");
        let want = [
            pounds(contribution),
            pounds(excluded),
            pounds(income),
            pounds(base),
            format!("{}.{:02}", share / 100, share % 100),
        ];
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(g.as_str(), Some(w.as_str()), "{pool} {partner}");
        }
    }
}

/// `£489.136m` as pounds.
fn millions(text: &str) -> i64 {
    let at = text.find('£').expect("an amount in £m");
    let amount: String = text[at + '£'.len_utf8()..].chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let (whole, thousandths) = amount.split_once('.').expect("£m to three decimals");
    whole.parse::<i64>().unwrap() * 1_000_000 + thousandths.parse::<i64>().unwrap() * 1_000
}

/// `£489,435,000.00`, as the command line writes whole pounds (the core's own format,
/// tested with the core).
fn pounds_text(pounds: i64) -> String {
    pooled_core::money::Money::from_pounds(pounds).expect("in range").to_pounds_string()
}

/// The 2022 report's budgets (fixture) against the 2022-23 example: the pool and the
/// aligned budgets are the report's, and the combined total it states (para 3) is flagged
/// as differing from its parts (paras 1-2) by what they make it, not trusted.
#[test]
fn the_2022_totals_are_the_reports_and_its_stated_total_is_flagged() {
    let lines = fixture("totals-2022.txt");
    let figure = |para: &str, words: &str| {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{para}:")) && l.contains(words))
            .unwrap_or_else(|| panic!("{para}: {words}"));
        millions(line)
    };
    let (live_well, age_well) = (figure("para 1", "Live Well"), figure("para 1", "Age Well"));
    let (start_well, public_health) = (figure("para 2", "Start Well"), figure("para 2", "Public Health"));
    let (pool, aligned) = (figure("para 1", "total budget"), figure("para 2", "totalling"));
    assert_eq!((live_well + age_well, start_well + public_health), (pool, aligned), "paras 1 and 2 add up");
    let stated = figure("para 3", "combined");

    let settled = json(&["settle", "--json", OX22, "examples/oxfordshire-2022-23-outturn.toml"]);
    let budget =
        |pool: &str| settled["pools"].as_array().unwrap().iter().find(|p| p["id"] == pool).unwrap()["budget"].clone();
    assert_eq!(budget("HESC"), format!("{pool}.00"));
    assert_eq!(budget("ALIGNED"), format!("{aligned}.00"));
    let run = pooled(&["check", OX22]);
    assert_eq!(run.code, 0, "a stated total that differs is a warning, not an error");
    let sum = pool + aligned;
    assert_eq!(sum - stated, 299_000, "the report's slip");
    let warning = format!(
        "examples/oxfordshire-2022-23.toml:21:18: warning: declared total {} differs from the sum of the agreement's pools, {}, by {}: the sum is used\n",
        pounds_text(stated),
        pounds_text(sum),
        pounds_text(stated - sum)
    );
    assert!(run.stdout.starts_with(&warning), "{}", run.stdout);
}

/// The Oxfordshire BCF example's streams and schemes sum exactly to the report's total of
/// the fund for 2021-22 (para 9(a)), its only figure from the source; it has the shape of
/// a real plan: five streams from both partners, 20+ schemes across a dozen types.
#[test]
fn the_bcf_example_sums_to_the_reports_total_of_the_fund() {
    let lines = fixture("totals-2022.txt");
    let line = lines.iter().find(|l| l.starts_with("para 9(a):")).expect("para 9(a)");
    let total = format!("{}.00", millions(line));
    let plan = json(&["bcf", "--json", OXBCF21]);
    let pence = |v: &Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
    assert_eq!(plan["total"]["planned"], total.as_str());
    let streams: Vec<&Value> = plan["streams"].as_array().unwrap().iter().collect();
    let sum = |rows: &[&Value]| -> i64 { rows.iter().map(|r| pence(&r["spend"]["planned"])).sum() };
    assert_eq!(sum(&streams), pence(&plan["total"]["planned"]), "the streams fund every line");
    for s in &streams {
        assert_eq!(s["allocation"], s["spend"]["planned"], "stream {} is allocated what its lines take", s["id"]);
    }
    let from: std::collections::BTreeSet<&str> = streams.iter().map(|s| s["from"].as_str().unwrap()).collect();
    assert_eq!(from.into_iter().collect::<Vec<_>>(), ["OCC", "OCCG"]);
    let schemes: Vec<&Value> = plan["schemes"].as_array().unwrap().iter().collect();
    let types: Vec<&Value> = plan["types"].as_array().unwrap().iter().collect();
    assert!(schemes.len() >= 20 && types.len() >= 12, "{} schemes of {} types", schemes.len(), types.len());
    assert_eq!(sum(&schemes), sum(&types));
    assert_eq!(sum(&types), pence(&plan["total"]["planned"]), "every line is a scheme");
    assert!(ok(&["check", OXBCF21]).contains("; no problems found"));
}

/// The BCF example's conditions reproduced to the penny from its schemes as the JSON gives
/// them: the NHS minimum's spend on social care, and its NHS-commissioned out-of-hospital
/// spend (the NHS's schemes not in acute care, and the NHS's share of the joint ones); and
/// 2021-22's uplift of 5.3% on the previous year's figure. Every condition is met.
#[test]
fn the_bcf_examples_conditions_reproduce_from_its_schemes() {
    let plan = json(&["bcf", "--json", OXBCF21]);
    let pence = |v: &Value| -> i64 { v.as_str().unwrap().replace('.', "").parse().unwrap() };
    let from_nhs_minimum = |s: &Value| -> i64 {
        s["streams"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "nhs-min")
            .map(|f| pence(&f["spend"]["planned"]))
            .sum()
    };
    let schemes = plan["schemes"].as_array().unwrap();
    let social_care: i64 = schemes.iter().filter(|s| s["area_of_spend"] == "social care").map(from_nhs_minimum).sum();
    // The joint schemes' NHS shares in the example are whole percentages of whole pounds.
    let out_of_hospital: i64 = (schemes.iter())
        .filter(|s| s["area_of_spend"] != "acute")
        .map(|s| match s["commissioner"].as_str().unwrap() {
            "nhs" => from_nhs_minimum(s),
            "joint" => from_nhs_minimum(s) * s["nhs_share"].as_str().unwrap().parse::<i64>().unwrap() / 100,
            _ => 0,
        })
        .sum();
    let conditions = plan["conditions"].as_array().unwrap();
    let condition = |rule: &str| conditions.iter().find(|c| c["rule"] == rule).unwrap();
    assert_eq!(pence(&condition("social-care")["figures"]["planned"]), social_care);
    assert_eq!(pence(&condition("out-of-hospital")["figures"]["planned"]), out_of_hospital);
    // £17,600,000 x 1.053.
    assert_eq!(pence(&condition("social-care")["required"]), 1_760_000_000 * 1053 / 1000);
    let dfg = condition("dfg-to-districts");
    assert_eq!(
        dfg["figures"]["planned"], dfg["required"],
        "the districts get their grant less what they agreed be kept"
    );
    assert_eq!(conditions.len(), 3 + plan["streams"].as_array().unwrap().len());
    assert!(conditions.iter().all(|c| c["met"] == true && c["breaches"] == Value::Array(vec![])), "{conditions:?}");
}

/// A plan that already breaches a condition: `pooled check` warns, naming the condition,
/// the figure and its source, where the file sets it; the file still loads.
#[test]
fn check_warns_of_a_plan_breaching_a_condition() {
    let dir = std::env::temp_dir().join(format!("pooled-cli-conditions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join(OXBCF21)).unwrap();
    // £18,000,000 x 1.053 = £18,954,000, £54,000 more than the plan's £18,900,000.
    let varied = text.replacen("previous_year = \"17,600,000\"", "previous_year = \"18,000,000\"", 1);
    assert_ne!(varied, text);
    let file = dir.join("breach.toml");
    std::fs::write(&file, varied).unwrap();
    let out = ok(&["check", file.to_str().unwrap()]);
    let line = out.lines().find(|l| l.contains("breaches")).unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.ends_with(": warning: the plan breaches a Better Care Fund condition. Breached: the NHS minimum contribution's spend on adult social care, planned £18,900,000.00, is £54,000.00 below the required £18,954,000.00 (BCF policy framework 2021-22: NHS minimum contribution to adult social care)"),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Whether `example` is `actual` with arrays cut short: the same keys in the same order,
/// the same values, and each array's first elements.
fn cut_short(example: &Value, actual: &Value) -> bool {
    match (example, actual) {
        (Value::Object(e), Value::Object(a)) => e.keys().eq(a.keys()) && e.iter().all(|(k, v)| cut_short(v, &a[k])),
        (Value::Array(e), Value::Array(a)) => e.len() <= a.len() && e.iter().zip(a).all(|(e, a)| cut_short(e, a)),
        _ => example == actual,
    }
}

/// The examples of docs/cli.md marked `<!-- check: pooled ARGS -->` are the command's real
/// output: a JSON example is it with arrays cut short; a text example's lines (less the
/// `$` prompt and `...` cuts) come in it in the same order.
#[test]
fn the_documented_examples_are_real_output() {
    let doc = std::fs::read_to_string(root().join("docs/cli.md")).expect("docs/cli.md");
    let marker = "<!-- check: pooled ";
    let mut checked = 0;
    let mut rest = doc.as_str();
    while let Some(at) = rest.find(marker) {
        let (command, after) = rest[at + marker.len()..].split_once(" -->\n").expect("a marker ends with -->");
        let (fence, after) = after.split_once('\n').expect("a fenced block after the marker");
        let (block, after) = after.split_once("\n```\n").expect("the block is closed");
        let args: Vec<&str> = command.split_whitespace().collect();
        let output = ok(&args);
        if fence == "```json" {
            let example: Value = serde_json::from_str(block).unwrap_or_else(|e| panic!("{command}: {e}"));
            let actual: Value = serde_json::from_str(&output).expect("JSON");
            assert!(cut_short(&example, &actual), "pooled {command}: the example is not its output:\n{output}");
        } else {
            let mut lines = output.lines();
            for line in block.lines().filter(|l| !l.starts_with("$ ") && *l != "...") {
                assert!(
                    lines.any(|l| l == line),
                    "pooled {command}: `{line}` is not in its output, in order:\n{output}"
                );
            }
        }
        checked += 1;
        rest = after;
    }
    assert!(checked >= 13, "only {checked} examples are checked");
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
    expect_file!["snapshots/check-buckinghamshire-2022-23.txt"].assert_eq(&ok(&["check", BUCKS22]));
    expect_file!["snapshots/risk-share-buckinghamshire-2022-23.txt"].assert_eq(&ok(&["risk-share", BUCKS22]));
    expect_file!["snapshots/payments-buckinghamshire-2022-23.txt"].assert_eq(&ok(&["payments", BUCKS22]));
    expect_file!["snapshots/bcf-oxfordshire-2021-22.txt"].assert_eq(&ok(&["bcf", OXBCF21]));
    expect_file!["snapshots/payments-oxfordshire-bcf-2021-22.txt"].assert_eq(&ok(&["payments", OXBCF21]));
}

/// Every agreement in examples/ passes `pooled check` (warnings allowed), so an example
/// added there is checked without being listed.
#[test]
fn every_example_agreement_passes_check() {
    let mut agreements = Vec::new();
    for entry in std::fs::read_dir(root().join("examples")).expect("examples/") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        if path.extension().is_some_and(|e| e == "toml") && text.lines().any(|l| l == "[agreement]") {
            agreements.push(format!("examples/{}", path.file_name().expect("a name").to_string_lossy()));
        }
    }
    agreements.sort();
    assert!(agreements.len() >= 3 && agreements.contains(&BUCKS22.to_string()), "{agreements:?}");
    for agreement in &agreements {
        assert!(ok(&["check", agreement]).contains("; no problems found") || agreement == OX22, "{agreement}");
    }
}

#[test]
fn json_outputs_match_their_snapshots() {
    let outturn16 = "examples/oxfordshire-2016-17-outturn.toml";
    let meeting = "examples/oxfordshire-2016-17-meeting.toml";
    expect_file!["snapshots/settle-2016-17.json"].assert_eq(&ok(&["settle", "--json", OX16, outturn16]));
    expect_file!["snapshots/meeting-2016-17.json"].assert_eq(&ok(&["meeting", "--json", OX16, meeting]));
    expect_file!["snapshots/bcf-oxfordshire-2021-22.json"].assert_eq(&ok(&["bcf", "--json", OXBCF21]));
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
fn payments_are_monthly_and_the_ccg_pays_a_month_ahead() {
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
        "Notice given 2016-08-31 takes effect 2017-02-28 (6 months' notice)\n"
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
