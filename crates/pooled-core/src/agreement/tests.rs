use super::*;
use crate::diagnostic::Diagnostic;
use proptest::prelude::*;

/// A small valid agreement; each test changes one thing in it (the variations' tests too).
pub(crate) const BASE: &str = r#"format = 1

[agreement]
id = "a"
name = "Test agreement"
financial_year = "2016-17"
start = 2016-04-01

[[partner]]
id = "LA"
name = "A Council"
kind = "local-authority"

[[partner]]
id = "NHS"
name = "An ICB"
kind = "nhs-commissioner"

[[pool]]
id = "P"
name = "A pool"
host = "LA"
kind = "pooled"
income = { LA = "100" }

[[pool.line]]
id = "main"
name = "Main"
contributions = { LA = "1000", NHS = "900" }

[[pool.line]]
id = "bcf"
name = "BCF"
contributions = { NHS = "500" }
risk = { borne_by = "NHS" }
"#;

/// Every diagnostic as `line:col: severity: message`; empty when the file is clean.
pub(crate) fn diagnostics(text: &str) -> Vec<String> {
    let all: Vec<Diagnostic> = match Agreement::parse(text) {
        Ok((_, warnings)) => warnings,
        Err(errors) => errors,
    };
    all.iter().map(|d| d.render("", text).trim_start_matches(':').to_string()).collect()
}

fn check(text: &str, expected: &[&str]) {
    assert_eq!(diagnostics(text), expected, "diagnostics for:\n{text}");
}

/// BASE with `from` replaced by `to` (which must occur exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "`{from}` must occur once in BASE");
    BASE.replacen(from, to, 1)
}

#[test]
fn base_is_valid() {
    check(BASE, &[]);
    let (a, _) = Agreement::parse(BASE).unwrap();
    assert_eq!(a.total_budget(), Money::from_pence(240_000));
    assert_eq!(a.pools()[0].lines[1].risk, Risk::BorneBy(1));
    assert!(!a.pools()[0].lines[1].in_base, "a borne-by line is out of the base by default");
    assert!(a.pools()[0].lines[0].in_base);
}

#[test]
fn unknown_keys_are_errors() {
    check(
        &edit("name = \"Main\"", "name = \"Main\"\ncolour = \"red\""),
        &[
            "29:1: error: unknown field `colour`, expected one of `id`, `name`, `segment`, `lead`, `held_by`, `contributions`, `budget`, `risk`, `in_base`, `clause`, `funded_by`, `scheme`",
        ],
    );
    check(
        &edit("format = 1", "format = 1\nversion = 2"),
        &[
            "2:1: error: unknown field `version`, expected one of `format`, `agreement`, `partner`, `stream`, `pool`, `payments`, `termination`, `board`, `reporting`, `performance`, `bcf`",
        ],
    );
    check(
        &edit("risk = { borne_by = \"NHS\" }", "risk = { borne = \"NHS\" }"),
        &["35:8: error: unknown field `borne`, expected `borne_by`"],
    );
}

#[test]
fn floats_and_inexact_amounts_are_errors() {
    check(
        &edit("LA = \"1000\", NHS", "LA = 1000.5, NHS"),
        &[
            "29:24: error: amount `1000.5` is a float, which cannot hold pence exactly: write it as a string, e.g. \"1000.5\"",
        ],
    );
    check(
        &edit("LA = \"1000\", NHS", "LA = \"1000.505\", NHS"),
        &["29:24: error: invalid amount `1000.505`: more than two decimal places (amounts are exact to the penny)"],
    );
    check(
        &edit("LA = \"1000\", NHS", "LA = \"-1000\", NHS"),
        &["29:24: error: a contribution cannot be negative (got -£1,000.00)"],
    );
    check(
        &edit("income = { LA = \"100\" }", "income = { LA = \"-1\" }"),
        &["24:17: error: income cannot be negative (got -£1.00)"],
    );
}

#[test]
fn amounts_in_every_allowed_form() {
    for (written, pence) in
        [("1000", 100_000), ("\"1,000\"", 100_000), ("\"£1,000.50\"", 100_050), ("\"1000.5\"", 100_050)]
    {
        let text = edit("LA = \"1000\", NHS", &format!("LA = {written}, NHS"));
        let (a, _) = Agreement::parse(&text).unwrap_or_else(|e| panic!("{written}: {e:?}"));
        let Funding::Contributions(c) = &a.pools()[0].lines[0].funding else { panic!("contributions") };
        assert_eq!(c[0], Money::from_pence(pence), "{written}");
    }
}

#[test]
fn unknown_ids_are_errors() {
    check(&edit("host = \"LA\"", "host = \"XX\""), &["22:8: error: unknown partner `XX` (partners are LA, NHS)"]);
    check(
        &edit("LA = \"1000\", NHS", "LA = \"1000\", CCG"),
        &["29:32: error: unknown partner `CCG` (partners are LA, NHS)"],
    );
    check(
        &edit("borne_by = \"NHS\"", "borne_by = \"ICB\""),
        &["35:21: error: unknown partner `ICB` (partners are LA, NHS)"],
    );
    let rule =
        "\n[[pool.rule]]\nid = \"claw\"\nkind = \"underspend-clawback\"\nline = \"nope\"\nto = \"NHS\"\ncap = 10\n";
    check(&format!("{BASE}{rule}"), &["40:8: error: unknown line `nope` in pool `P`"]);
}

#[test]
fn duplicate_ids_are_errors() {
    let dup_partner = edit("[[pool]]", "[[partner]]\nid = \"LA\"\nname = \"Again\"\nkind = \"other\"\n\n[[pool]]");
    check(&dup_partner, &["20:6: error: duplicate partner id `LA` (first defined on line 10)"]);
    let dup_line = edit("id = \"bcf\"", "id = \"main\"");
    check(&dup_line, &["32:6: error: duplicate line id `main` (first defined on line 27)"]);
    let pool2 = "\n[[pool]]\nid = \"P\"\nname = \"Again\"\nhost = \"LA\"\nkind = \"pooled\"\n\n[[pool.line]]\nid = \"x\"\nname = \"X\"\ncontributions = { LA = 1 }\n";
    check(&format!("{BASE}{pool2}"), &["38:6: error: duplicate pool id `P` (first defined on line 20)"]);
}

#[test]
fn fixed_shares_must_sum_to_100() {
    let fixed = |shares: &str| {
        edit("income = { LA = \"100\" }", &format!("risk_share = {{ basis = \"fixed\", shares = {{ {shares} }} }}"))
    };
    check(&fixed("LA = \"51\", NHS = \"49\""), &[]);
    check(&fixed("LA = \"51\", NHS = \"48.99\""), &["24:14: error: risk shares of pool `P` sum to 99.99, not 100"]);
    check(&fixed("LA = \"60\", NHS = \"60\""), &["24:14: error: risk shares of pool `P` sum to 120.00, not 100"]);
    check(
        &fixed("LA = \"51.001\", NHS = \"49\""),
        &["24:49: error: invalid percentage `51.001`: more than 2 decimal places"],
    );
    check(&fixed("LA = \"100\", XX = \"0\""), &["24:56: error: unknown partner `XX` (partners are LA, NHS)"]);
    check(
        &edit("income = { LA = \"100\" }", "risk_share = { basis = \"fixed\" }"),
        &["24:14: error: a fixed risk share needs `shares`, e.g. { OCC = \"51\", OCCG = \"49\" }"],
    );
}

#[test]
fn fixed_share_needs_shared_lines_and_budgets_need_fixed_share() {
    let no_shared =
        edit("income = { LA = \"100\" }", "risk_share = { basis = \"fixed\", shares = { LA = \"50\", NHS = \"50\" } }")
            .replace(
                "contributions = { LA = \"1000\", NHS = \"900\" }",
                "contributions = { LA = \"1000\", NHS = \"900\" }\nrisk = { borne_by = \"LA\" }",
            );
    check(&no_shared, &["24:14: error: pool `P` has a fixed risk share but no shared lines"]);
    let budget_only = edit("contributions = { LA = \"1000\", NHS = \"900\" }", "budget = \"1900\"");
    check(
        &budget_only,
        &[
            "19:1: error: line `main` gives a budget without partner contributions, so pool `P` needs a fixed risk share",
        ],
    );
    check(
        &edit("contributions = { LA = \"1000\", NHS = \"900\" }", "budget = 1\ncontributions = { LA = 1 }"),
        &["30:17: error: line `main` gives both `contributions` and `budget`: give one"],
    );
}

#[test]
fn declared_totals_are_checked_not_trusted() {
    check(&edit("income = { LA = \"100\" }", "income = { LA = \"100\" }\ndeclared_total = \"2,400\""), &[]);
    check(
        &edit("income = { LA = \"100\" }", "income = { LA = \"100\" }\ndeclared_total = \"2,300.50\""),
        &[
            "25:18: warning: declared total £2,300.50 differs from the sum of the lines of pool `P`, £2,400.00, by -£99.50: the sum is used",
        ],
    );
    check(
        &edit("start = 2016-04-01", "start = 2016-04-01\ndeclared_total = 2500"),
        &[
            "8:18: warning: declared total £2,500.00 differs from the sum of the agreement's pools, £2,400.00, by £100.00: the sum is used",
        ],
    );
}

#[test]
fn clawbacks_and_savings_only_on_shared_lines() {
    let rule = |line: &str| {
        format!(
            "{BASE}\n[[pool.rule]]\nid = \"claw\"\nkind = \"underspend-clawback\"\nline = \"{line}\"\nto = \"NHS\"\ncap = 10\n"
        )
    };
    check(&rule("main"), &[]);
    check(
        &rule("bcf"),
        &["40:8: error: clawback `claw` is on line `bcf`, which is not shared (its risk is borne by NHS)"],
    );
    let saving = format!(
        "{BASE}\n[[pool.saving]]\nid = \"s\"\nby = \"LA\"\nline = \"bcf\"\namount = 5\nstrategy_agreed = false\n"
    );
    check(&saving, &["40:8: error: saving `s` is on line `bcf`, which is not shared (its risk is borne by NHS)"]);
    let twice = format!(
        "{}{}",
        rule("main"),
        "\n[[pool.rule]]\nid = \"claw\"\nkind = \"underspend-clawback\"\nline = \"main\"\nto = \"NHS\"\ncap = 10\n"
    );
    check(&twice, &["45:6: error: duplicate rule id `claw` (first defined on line 38)"]);
}

#[test]
fn structure_errors() {
    check(
        &edit("format = 1", "format = 2"),
        &["1:10: error: unsupported format 2: this version of pooled reads format 1"],
    );
    check(
        &edit("financial_year = \"2016-17\"", "financial_year = \"2016-18\""),
        &[&format!("6:18: error: {}", FinancialYear::parse("2016-18").unwrap_err())],
    );
    check(
        &edit("start = 2016-04-01", "start = 2016-04-01T09:00:00"),
        &["7:9: error: expected a date such as 2016-04-01, without a time"],
    );
    check(
        &edit("start = 2016-04-01", "start = 2016-04-01\nend = 2015-03-31"),
        &[
            "6:18: warning: financial year 2016-17 falls outside the agreement's term",
            "8:7: error: the agreement ends (2015-03-31) before it starts (2016-04-01)",
        ],
    );
    check(
        &edit("kind = \"pooled\"", "kind = \"shared\""),
        &["23:8: error: unknown variant `shared`, expected `pooled` or `aligned`"],
    );
    check(
        &edit("risk = { borne_by = \"NHS\" }", "risk = \"nobody\""),
        &["35:8: error: unknown risk `nobody`, expected \"shared\", \"lead\" or { borne_by = \"PARTNER\" }"],
    );
    check(
        &edit("risk = { borne_by = \"NHS\" }", "risk = \"lead\""),
        &["32:6: error: line `bcf` leaves its variance to the lead commissioner, but names no `lead`"],
    );
    check(&edit("name = \"A pool\"", "name = \"A pool\nx\""), &["22:3: error: key with no value, expected `=`"]);
    let one_partner = BASE.replace("[[partner]]\nid = \"NHS\"\nname = \"An ICB\"\nkind = \"nhs-commissioner\"\n", "");
    assert!(
        diagnostics(&one_partner).iter().any(|d| d.starts_with("3:1: error: an agreement needs at least two partners")),
        "{:?}",
        diagnostics(&one_partner)
    );
}

#[test]
fn aligned_pools_share_no_risk() {
    let aligned = edit("kind = \"pooled\"", "kind = \"aligned\"");
    check(&aligned, &["27:6: error: line `main` leaves its variance to the lead commissioner, but names no `lead`"]);
    let ok = aligned.replace("name = \"Main\"", "name = \"Main\"\nlead = \"LA\"");
    check(&ok, &[]);
    let (a, _) = Agreement::parse(&ok).unwrap();
    assert_eq!(a.pools()[0].risk_share, None);
    assert_eq!(a.pools()[0].lines[0].risk, Risk::Lead);
    check(
        &ok.replace("lead = \"LA\"", "lead = \"LA\"\nrisk = \"shared\""),
        &["30:8: error: line `main` is in an aligned pool, which shares no risk: use \"lead\" or borne_by"],
    );
}

#[test]
fn board_rules() {
    let board = |quorum: u32| {
        format!(
            "{BASE}\n[board]\nname = \"JMG\"\nquorum_per_partner = {quorum}\ndecisions = \"unanimous\"\nagenda_working_days = 5\nminutes_within_days = 14\ncalendar = \"england-and-wales\"\n\n[[board.member]]\nid = \"m1\"\nrole = \"Chair\"\npartner = \"LA\"\nvoting = true\n\n[[board.member]]\nid = \"m2\"\nrole = \"CFO\"\npartner = \"NHS\"\nvoting = true\n"
        )
    };
    check(&board(1), &[]);
    check(
        &board(2),
        &[
            "39:22: warning: LA has 1 voting members, fewer than the quorum of 2: no meeting can be quorate",
            "39:22: warning: NHS has 1 voting members, fewer than the quorum of 2: no meeting can be quorate",
        ],
    );
    check(
        &board(1).replace("england-and-wales", "scotland"),
        &[&format!("43:12: error: {}", crate::calendar::Calendar::parse("scotland").unwrap_err())],
    );
}

proptest! {
    #[test]
    fn parsing_never_panics_on_arbitrary_text(text in "\\PC{0,400}") {
        let result = Agreement::parse(&text);
        // Whatever the input, a failure explains itself with at least one error.
        if let Err(errors) = result {
            prop_assert!(errors.iter().any(Diagnostic::is_error));
        }
    }

    #[test]
    fn parsing_never_panics_on_mangled_agreements(cut in 0usize..BASE.len(), insert in "[ -~\n]{0,12}") {
        let mut text = BASE.as_bytes()[..cut].to_vec();
        text.extend_from_slice(insert.as_bytes());
        text.extend_from_slice(&BASE.as_bytes()[cut..]);
        let text = String::from_utf8_lossy(&text);
        if let Err(errors) = Agreement::parse(&text) {
            prop_assert!(errors.iter().any(Diagnostic::is_error));
        }
    }
}

#[test]
fn every_number_is_range_checked_where_it_is_written() {
    let board = "\n[board]\nname = \"B\"\nquorum_per_partner = 1\ndecisions = \"unanimous\"\nagenda_working_days = 5\nminutes_within_days = 14\ncalendar = \"england-and-wales\"\n";
    let with_board = |from: &str, to: &str| format!("{BASE}{}", board.replace(from, to));
    check(
        &with_board("", ""),
        &[
            "39:22: warning: LA has 0 voting members, fewer than the quorum of 1: no meeting can be quorate",
            "39:22: warning: NHS has 0 voting members, fewer than the quorum of 1: no meeting can be quorate",
        ],
    );
    let errors = |text: &str| diagnostics(text).into_iter().filter(|d| d.contains(": error: ")).collect::<Vec<_>>();
    let check_errors = |text: &str, expected: &[&str]| assert_eq!(errors(text), expected, "{text}");
    for (from, to, expected) in [
        (
            "agenda_working_days = 5",
            "agenda_working_days = 4294967295",
            "41:23: error: `agenda_working_days` must be between 1 and 30 working days (got 4,294,967,295)",
        ),
        (
            "agenda_working_days = 5",
            "agenda_working_days = 0",
            "41:23: error: `agenda_working_days` must be between 1 and 30 working days (got 0)",
        ),
        (
            "minutes_within_days = 14",
            "minutes_within_days = 91",
            "42:23: error: `minutes_within_days` must be between 1 and 90 days (got 91)",
        ),
        (
            "quorum_per_partner = 1",
            "quorum_per_partner = 0",
            "39:22: error: `quorum_per_partner` must be between 1 and 50 voting members per partner (got 0)",
        ),
        (
            "quorum_per_partner = 1",
            "quorum_per_partner = 51",
            "39:22: error: `quorum_per_partner` must be between 1 and 50 voting members per partner (got 51)",
        ),
        // Past what the file's type holds, the TOML reader refuses it, also where it is.
        (
            "minutes_within_days = 14",
            "minutes_within_days = 4294967296",
            "42:23: error: invalid value: integer `4294967296`, expected u32",
        ),
    ] {
        check_errors(&with_board(from, to), &[expected]);
    }
    let termination = "\n[termination]\nnotice_months = 12\nno_contribution_agreement_months = 6\n";
    check(&format!("{BASE}{termination}"), &[]);
    check_errors(
        &format!("{BASE}{}", termination.replace("notice_months = 12", "notice_months = 0")),
        &["38:17: error: `notice_months` must be between 1 and 120 months (got 0)"],
    );
    check_errors(
        &format!("{BASE}{}", termination.replace("= 6", "= 121")),
        &["39:36: error: `no_contribution_agreement_months` must be between 1 and 120 months (got 121)"],
    );
    check_errors(
        &format!("{BASE}\n[payments]\nfrequency = \"monthly\"\nin_advance_months = {{ LA = 12 }}\n"),
        &["39:28: error: `in_advance_months` must be between 0 and 11 months (got 12)"],
    );
}

#[test]
fn the_amounts_of_a_file_add_up_to_at_most_100_trillion() {
    // BASE's £2,500, 999 lines of £100bn (the most one amount may be) and one of £2,500
    // less come to £100tn, the limit; one penny more is refused at the amount that passes.
    let line = |i: usize, pounds: &str| {
        format!("\n[[pool.line]]\nid = \"l{i}\"\nname = \"L\"\ncontributions = {{ LA = {pounds} }}\n")
    };
    let lines: String = (0..999).map(|i| line(i, "100_000_000_000")).chain([line(999, "99_999_997_500")]).collect();
    check(&format!("{BASE}{lines}"), &[]);
    check(
        &format!("{BASE}{lines}\n[[pool.line]]\nid = \"penny\"\nname = \"P\"\ncontributions = {{ LA = \"0.01\" }}\n"),
        &[
            "5040:24: error: the amounts add up to more than £100,000,000,000,000.00 (each counted as positive), more than pooled can add up exactly; no public budget comes near it",
        ],
    );
}

/// The numbered keys of the file, their value in [`numbered`], and the range accepted.
const NUMBERED: [(&str, &str, u64, u64); 6] = [
    ("quorum_per_partner", "1", 1, 50),
    ("agenda_working_days", "5", 1, 30),
    ("minutes_within_days", "14", 1, 90),
    ("notice_months", "12", 1, 120),
    ("no_contribution_agreement_months", "6", 1, 120),
    ("in_advance_months", "{ LA = 1 }", 0, 11),
];

/// BASE with a board (whose members make every meeting quorate), termination and
/// payments: a file with every numbered key.
fn numbered() -> String {
    format!(
        "{BASE}\n[payments]\nfrequency = \"monthly\"\nin_advance_months = {{ LA = 1 }}\n\
         \n[termination]\nnotice_months = 12\nno_contribution_agreement_months = 6\n\
         \n[board]\nname = \"B\"\nquorum_per_partner = 1\ndecisions = \"unanimous\"\nagenda_working_days = 5\n\
         minutes_within_days = 14\ncalendar = \"england-and-wales\"\n\
         [[board.member]]\nid = \"a\"\nrole = \"r\"\npartner = \"LA\"\nvoting = true\n\
         [[board.member]]\nid = \"b\"\nrole = \"r\"\npartner = \"NHS\"\nvoting = true\n"
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_number_is_accepted_in_range_or_refused_where_written(
        key in 0..NUMBERED.len(),
        value in prop_oneof![
            0i128..200,
            any::<i64>().prop_map(i128::from),
            any::<u64>().prop_map(i128::from),
            Just(i128::from(u64::MAX) + 1),
        ],
    ) {
        let (name, default, low, high) = NUMBERED[key];
        let written = if name == "in_advance_months" { format!("{{ LA = {value} }}") } else { value.to_string() };
        let text = numbered().replacen(&format!("{name} = {default}"), &format!("{name} = {written}"), 1);
        let line = text.lines().position(|l| l.starts_with(&format!("{name} = "))).unwrap() + 1;
        match Agreement::parse(&text) {
            Ok(_) => prop_assert!((i128::from(low)..=i128::from(high)).contains(&value), "{name} = {value} accepted"),
            Err(errors) => {
                prop_assert!(!(i128::from(low)..=i128::from(high)).contains(&value), "{name} = {value} refused");
                let rendered: Vec<String> = errors.iter().filter(|d| d.is_error()).map(|d| d.render("", &text)).collect();
                prop_assert_eq!(rendered.len(), 1, "{:?}", rendered);
                prop_assert!(rendered[0].starts_with(&format!(":{line}:")), "{:?} not on line {}", rendered, line);
            }
        }
    }
}

/// BASE with the NHS partner succeeded by `successor` (the inside of `succeeded_by = {...}`)
/// and the agreement given `end` (`end = ...`, or nothing).
fn succeeded(successor: &str, end: &str) -> String {
    edit("kind = \"nhs-commissioner\"", &format!("kind = \"nhs-commissioner\"\nsucceeded_by = {{ {successor} }}"))
        .replacen("start = 2016-04-01", &format!("start = 2016-04-01\n{end}"), 1)
}

#[test]
fn a_successor_takes_a_place_within_the_agreement_under_an_id_of_its_own() {
    let icb = "id = \"ICB\", name = \"The ICB\"";
    let cases: &[(&str, &str, &[&str])] = &[
        ("id = \"ICB\", name = \"The ICB\", from = 2016-07-01", "end = 2019-03-31", &[]),
        ("id = \"ICB\", name = \"The ICB\", from = 2016-07-01", "", &[]),
        (
            "id = \"ICB\", name = \"The ICB\", from = 2016-04-01",
            "",
            &[
                "19:55: error: NHS is succeeded by ICB from 2016-04-01, which is not after the agreement's start (2016-04-01): from its start, make the successor the partner",
            ],
        ),
        (
            "id = \"ICB\", name = \"The ICB\", from = 2015-01-01",
            "",
            &[
                "19:55: error: NHS is succeeded by ICB from 2015-01-01, which is not after the agreement's start (2016-04-01): from its start, make the successor the partner",
            ],
        ),
        (
            "id = \"ICB\", name = \"The ICB\", from = 2019-03-31",
            "end = 2019-03-31",
            &[
                "19:55: error: NHS is succeeded by ICB from 2019-03-31, which is not before the agreement's end (2019-03-31)",
            ],
        ),
        (
            "id = \"LA\", name = \"The ICB\", from = 2016-07-01",
            "",
            &["19:23: error: the successor `LA` of NHS has the id of partner LA: a successor needs an id of its own"],
        ),
    ];
    for (successor, end, expected) in cases {
        check(&succeeded(successor, end), expected);
    }
    // Two partners cannot hand their places to one body under one id.
    let both = succeeded(&format!("{icb}, from = 2016-07-01"), "").replacen(
        "kind = \"local-authority\"",
        "kind = \"local-authority\"\nsucceeded_by = { id = \"ICB\", name = \"Another\", from = 2016-10-01 }",
        1,
    );
    check(&both, &["20:23: error: duplicate successor id `ICB` (first defined on line 14)"]);
    // The agreement file names the partner by its own id, the stable key.
    let by_successor =
        succeeded(&format!("{icb}, from = 2016-07-01"), "").replacen("borne_by = \"NHS\"", "borne_by = \"ICB\"", 1);
    check(
        &by_successor,
        &["37:21: error: `ICB` is the successor of NHS: the agreement file names the partner by its own id, `NHS`"],
    );
}

#[test]
fn files_name_a_partner_by_its_id_or_its_successors_from_the_date() {
    let (a, _) = Agreement::parse(&succeeded("id = \"ICB\", name = \"The ICB\", from = 2016-07-01", "")).unwrap();
    let day = |d: &str| Date::parse_iso(d).unwrap();
    let cases: &[(&str, &str, Result<PartnerIx, &str>)] = &[
        ("LA", "2016-04-01", Ok(0)),
        ("NHS", "2016-06-30", Ok(1)),
        // The predecessor's id stays valid after the date: history keeps its names.
        ("NHS", "2016-07-01", Ok(1)),
        ("ICB", "2016-07-01", Ok(1)),
        ("ICB", "2017-03-31", Ok(1)),
        ("ICB", "2016-06-30", Err("`ICB` holds NHS's place only from 2016-07-01: on 2016-06-30 it is `NHS`")),
        ("CCG", "2016-07-01", Err("unknown partner `CCG` (partners are LA, NHS (ICB from 2016-07-01))")),
    ];
    for (id, on, expected) in cases {
        assert_eq!(a.partner_on(id, day(on)), expected.map_err(str::to_string), "{id} on {on}");
    }
    let body = |partner, on| {
        let b = a.body_on(partner, day(on));
        format!("{} {}", b.id, b.name)
    };
    assert_eq!(body(1, "2016-06-30"), "NHS An ICB");
    assert_eq!(body(1, "2016-07-01"), "ICB The ICB");
    assert_eq!(body(0, "2016-07-01"), "LA A Council");
    assert_eq!(a.body_at_year_end(1).id, "ICB");
}

#[test]
fn who_holds_a_lines_money() {
    let holder = |text: &str| {
        let (a, _) = Agreement::parse(text).unwrap_or_else(|e| panic!("{e:?}\n{text}"));
        a.pools()[0].lines.iter().map(|l| a.partners()[l.held_by].id.clone()).collect::<Vec<_>>()
    };
    let aligned =
        edit("kind = \"pooled\"", "kind = \"aligned\"").replace("name = \"Main\"", "name = \"Main\"\nlead = \"NHS\"");
    let cases: &[(String, [&str; 2])] = &[
        // Pooled: the host, unless the line says.
        (BASE.to_string(), ["LA", "LA"]),
        (edit("name = \"BCF\"", "name = \"BCF\"\nheld_by = \"NHS\""), ["LA", "NHS"]),
        // Aligned: the lead, else the only contributor.
        (aligned.clone(), ["NHS", "NHS"]),
        (aligned.replace("name = \"BCF\"", "name = \"BCF\"\nheld_by = \"LA\""), ["NHS", "LA"]),
    ];
    for (text, expected) in cases {
        assert_eq!(holder(text), expected, "{text}");
    }
    check(
        &edit("name = \"BCF\"", "name = \"BCF\"\nheld_by = \"ICB\""),
        &["34:11: error: unknown partner `ICB` (partners are LA, NHS)"],
    );
    // An aligned line with several contributors, no lead (its risk borne by one partner)
    // must say who holds its money.
    let several = edit("kind = \"pooled\"", "kind = \"aligned\"")
        .replace("name = \"Main\"", "name = \"Main\"\nrisk = { borne_by = \"LA\" }");
    check(
        &several,
        &[
            "27:6: error: line `main` is in an aligned pool, has several contributors and no `lead`: say which partner holds its money with `held_by`",
        ],
    );
    check(&several.replace("risk = { borne_by", "held_by = \"LA\"\nrisk = { borne_by"), &[]);
}

#[test]
fn the_line_threshold_is_range_checked_where_it_is_written() {
    let reporting = |threshold: &str| format!("{BASE}\n[reporting]\nline_threshold = {{ {threshold} }}\n");
    let cases: &[(&str, &[&str])] = &[
        ("amount = \"250000\", percent = \"2\"", &[]),
        ("amount = 250000", &[]),
        ("percent = \"2.5\", clause = \"Sch 4 3.5\"", &[]),
        ("percent = \"100\"", &[]),
        (
            "",
            &[
                "38:18: error: `line_threshold` needs an `amount`, a `percent` or both, e.g. { amount = \"250000\", percent = \"2\" }: without one, leave it out and only pools are flagged",
            ],
        ),
        (
            "amount = \"0\"",
            &[
                "38:29: error: a line threshold of £0.00 would flag every line with any variance: give a positive amount, or leave `amount` out",
            ],
        ),
        ("amount = \"-1\"", &["38:29: error: a line threshold cannot be negative (got -£1.00)"]),
        (
            "percent = \"0\"",
            &[
                "38:30: error: a line threshold of 0% would flag every line with any variance: give a percentage above 0, or leave `percent` out",
            ],
        ),
        ("percent = \"100.01\"", &["38:30: error: invalid percentage `100.01`: more than 100"]),
        ("percent = \"-2\"", &["38:30: error: invalid percentage `-2`: expected a number such as `51` or `50.24`"]),
        (
            "amount = \"1\", colour = \"red\"",
            &["38:34: error: unknown field `colour`, expected one of `amount`, `percent`, `clause`"],
        ),
    ];
    for (threshold, expected) in cases {
        check(&reporting(threshold), expected);
    }
    let (a, _) = Agreement::parse(&reporting("amount = \"250000\", percent = \"2\"")).unwrap();
    let t = a.reporting().line_threshold.as_ref().unwrap();
    assert_eq!(t.words(), "£250,000.00 or 2% of its budget");
    assert_eq!(t.cite(), "materiality threshold");
    let (a, _) = Agreement::parse(BASE).unwrap();
    assert_eq!(a.reporting().line_threshold, None, "without [reporting], lines are not flagged");
}

#[test]
fn a_line_threshold_is_reached_by_amount_or_percent_exactly() {
    let threshold = |amount: Option<i64>, percent: Option<&str>| LineThreshold {
        amount: amount.map(Money::from_pence),
        percent: percent.map(|p| Percent::parse(p, 2).unwrap()),
        clause: None,
    };
    // (threshold amount, percent, variance, budget, reached)
    let cases = [
        (Some(100), None, 100, 1_000_000, true),
        (Some(100), None, -100, 1_000_000, true),
        (Some(100), None, 99, 1_000_000, false),
        (None, Some("2"), 2_000, 100_000, true),
        (None, Some("2"), -2_000, 100_000, true),
        (None, Some("2"), 1_999, 100_000, false),
        (None, Some("0.01"), 1, 10_000, true),
        (None, Some("0.01"), 1, 10_001, false),
        (Some(1_000_000), Some("2"), 2_000, 100_000, true),
        (Some(1_000), Some("50"), 1_000, 100_000_000, true),
        // A zero variance never; any other against a zero budget by percent.
        (Some(1), Some("1"), 0, 100, false),
        (None, Some("1"), 1, 0, true),
        (Some(i64::MAX), Some("100"), i64::MIN + 1, i64::MAX, true),
    ];
    for (amount, percent, variance, budget, reached) in cases {
        assert_eq!(
            threshold(amount, percent).reached(Money::from_pence(variance), Money::from_pence(budget)),
            reached,
            "{amount:?} {percent:?} {variance} {budget}"
        );
    }
}

#[test]
fn performance_table() {
    let with = |table: &str| format!("{BASE}\n{table}");
    let home = "[performance]\n[[performance.kpi]]\nid = \"hs\"\nname = \"Home support\"\nkind = \"home-support\"\n";
    let valid = with(&format!(
        "{home}baseline = 20400\ngrowth_percent = 10\nnew_hours_a_week = \"270\"\nbudget = {{ pool = \"P\", line = \"main\" }}\npartner = \"LA\"\nclause = \"para 36\"\n\
         [[performance.kpi]]\nid = \"dtoc\"\nname = \"Delayed days\"\nunit = \"days\"\ndirection = \"lower\"\nperiod = \"month\"\ntarget = \"12.5\"\n"
    ));
    let (a, _) = Agreement::parse(&valid).unwrap();
    let ids: Vec<String> =
        a.performance().series().iter().map(|s| format!("{} {:?}", s.id, s.target.map(|t| t.to_string()))).collect();
    assert_eq!(ids, ["hs.new-hours Some(\"270\")", "hs.total-hours Some(\"22440\")", "dtoc Some(\"12.5\")"]);
    let (a, _) = Agreement::parse(&with("[performance]\nnational = \"bcf-2025-26\"\n")).unwrap();
    assert_eq!(a.performance().series().len(), 3);

    check(
        &with("[performance]\nnational = \"bcf-1999\"\n"),
        &["38:12: error: unknown national metrics `bcf-1999` (pooled has bcf-2021-22, bcf-2023-25, bcf-2025-26)"],
    );
    check(
        &with(&format!("{home}baseline = 20400\n")),
        &["38:1: error: KPI `hs`: a home support measure needs baseline, growth_percent and new_hours_a_week"],
    );
    check(
        &with(&format!(
            "{home}baseline = 20400.5\ngrowth_percent = 10\nnew_hours_a_week = 270\ndirection = \"lower\"\n"
        )),
        &[
            "38:1: error: KPI `hs`: a home support measure is weekly hours a week, higher is better, its target its terms: leave `direction` out",
            "38:1: error: KPI `hs`: a home support measure needs baseline, growth_percent and new_hours_a_week",
            "42:12: error: write a figure with decimals as a string, like \"85.5\"",
        ],
    );
    check(
        &with(
            "[performance]\nnational = \"bcf-2025-26\"\n[[performance.kpi]]\nid = \"discharge-delays\"\nname = \"x\"\nunit = \"d\"\ndirection = \"up\"\nperiod = \"fortnight\"\n",
        ),
        &[
            "40:6: error: KPI id `discharge-delays` is a national metric's",
            "43:13: error: unknown direction `up`: `lower` or `higher` (is better)",
            "44:10: error: unknown period `fortnight`: `week`, `month`, `quarter` or `year`",
        ],
    );
    check(
        &with("[performance]\n[[performance.kpi]]\nid = \"k\"\nname = \"K\"\npartner = \"XX\"\n"),
        &[
            "38:1: error: KPI `k` needs unit, direction, period",
            "41:11: error: unknown partner `XX` (partners are LA, NHS)",
        ],
    );
}
