//! Clauses of the board's rules: every result of a rule cites the clause the agreement's
//! `[board] clauses` gives it, and where the file gives none, names the rule in words.
//! The same results are checked on the Oxfordshire board as its example gives it and on
//! the same board with its clauses left out.

use super::files::{REGISTER, REPORTS};
use super::*;
use crate::agreement::BoardRule;

/// The Oxfordshire example without its `[board.clauses]` table (up to the next blank line).
fn without_clauses() -> Agreement {
    let start = AGREEMENT.find("[board.clauses]\n").expect("the example gives its board's clauses");
    let end = start + AGREEMENT[start..].find("\n\n").expect("the table ends at a blank line");
    match Agreement::parse(&format!("{}{}", &AGREEMENT[..start], &AGREEMENT[end..])) {
        Ok((agreement, _)) => agreement,
        Err(errors) => panic!("{errors:?}"),
    }
}

/// A meeting of the Oxfordshire board whose attendance and decisions touch every rule a
/// meeting check cites: a deputy in a seat already filled, a non-voting member, a guest,
/// a deputy who is not the nominated one, an unconfirmed alternative, a unanimous
/// decision, one at the lead commissioner's discretion, a confidential item and a view.
const MEETING: &str = r#"[meeting]
date = 2016-09-15
attendee = [
  { person = "occ-cm" },
  { person = "occ-dass" },
  { person = "occ-cfo" },
  { person = "occ-cfo-deputy", deputising_for = "occ-cfo" },
  { person = "occg-dcc" },
  { person = "occg-ddl" },
  { person = "occg-cfo" },
  { person = "occ-sca" },
  { person = "Healthwatch Oxfordshire representative" },
  { person = "C. Person", deputising_for = "occg-cfo" },
  { person = "D. Person", deputising_for = "occg-ddl", alternative = true },
]

[[meeting.item]]
title = "Care home placements"
confidential = true

[[meeting.decision]]
id = "d1"
subject = "Approve the plan"
votes = { occ-cm = "for", occ-dass = "for", occ-cfo = "for", occg-dcc = "for", occg-ddl = "for", occg-cfo = "for" }

[[meeting.decision]]
id = "d2"
subject = "Re-procure day services"
element_lead = "OCC"
votes = { occ-cm = "for", occ-dass = "for", occ-cfo = "for", occg-dcc = "against", occg-ddl = "for", occg-cfo = "for" }

[[meeting.view]]
person = "occ-sca"
text = "The market is tight"
"#;

/// A register the rules refuse: the reports of the register tests with May's report
/// circulated a second time, and a seat changed and the board replaced before their
/// written notifications.
fn bad_register() -> String {
    let early = "[[change]]\nseat = \"occ-sca\"\nfrom = 2016-09-01\nnotified_on = 2016-09-05\n\n\
        [[body]]\nname = \"Joint Executive\"\nfrom = 2016-10-01\nnotified_on = 2016-10-05\n\
        quorum_per_partner = 2\nagenda_working_days = 5\nminutes_within_days = 14\n";
    let again = "\n[[circulation]]\nmonth = \"M5\"\ncirculated_on = 2016-10-29\n";
    format!("[register]\nconstituted_on = 2016-04-01\n\n{early}{REPORTS}{again}")
}

/// Every text a meeting check, its draft minutes, a refused register and the meeting file
/// produce for `agreement`, one a line.
fn results(agreement: &Agreement) -> String {
    let board = agreement.board().expect("a board");
    let (meeting, _) = Meeting::parse(MEETING, agreement).expect("the meeting reads");
    let check = check_meeting(agreement, board, &meeting);
    let mut out: Vec<String> = check.not_counted.iter().map(|n| format!("{}: {}", n.person, n.reason)).collect();
    out.extend(check.decisions.iter().map(|d| format!("{}: {} ({})", d.id, d.outcome.name(), d.clause)));
    out.extend(draft_minutes(agreement, board, &meeting, &check).lines().map(str::to_string));
    let refused = Register::parse(&bad_register(), agreement).expect_err("refused");
    out.extend(refused.iter().map(|d| d.message.clone()));
    let register = Register::parse(REGISTER, agreement).expect("the register reads").0;
    let ratifying = MEETING
        .replace("subject = \"Approve the plan\"", "subject = \"Approve the plan\"\nratifies = \"u9\"\nitem = 2");
    let refused = Meeting::parse_with_register(&ratifying, agreement, &register).expect_err("refused");
    out.extend(refused.iter().map(|d| d.message.clone()));
    out.push(format!("action plans: {}", agreement.cite(BoardRule::ActionPlans)));
    out.push(format!("meetings: {}", agreement.cite(BoardRule::Meetings)));
    out.join("\n")
}

/// (rule, what a result citing it says with Oxfordshire's clauses, and without any)
type Case = (BoardRule, &'static str, &'static str);

#[test]
fn results_cite_the_boards_clause_or_name_the_rule() {
    let cases: &[Case] = &[
        (
            BoardRule::Quorum,
            "occ-cfo-deputy: the seat of `occ-cfo` is already filled by occ-cfo (in person); a seat counts once (Sch 4 1.3)",
            "occ-cfo-deputy: the seat of `occ-cfo` is already filled by occ-cfo (in person); a seat counts once (quorum)",
        ),
        (
            BoardRule::Members,
            "occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)",
            "occ-sca: non-voting member: attends but does not count towards the quorum (voting and non-voting members)",
        ),
        (
            BoardRule::Guests,
            "Healthwatch Oxfordshire representative: not a member of the board: in attendance only (Sch 4 8.4)",
            "Healthwatch Oxfordshire representative: not a member of the board: in attendance only (invited representatives)",
        ),
        (
            BoardRule::Deputies,
            "C. Person: not the deputy nominated in writing for `occg-cfo` (who is `occg-cfo-deputy`); an alternative deputy needs `alternative = true` (Sch 4 1.2)",
            "C. Person: not the deputy nominated in writing for `occg-cfo` (who is `occg-cfo-deputy`); an alternative deputy needs `alternative = true` (deputies nominated in writing)",
        ),
        (
            BoardRule::AlternativeDeputies,
            "D. Person: alternative deputy for `occg-ddl` not confirmed in writing by a voting member of OCCG (Sch 4 1.2)",
            "D. Person: alternative deputy for `occg-ddl` not confirmed in writing by a voting member of OCCG (alternative deputies)",
        ),
        (BoardRule::Decisions, "d1: agreed (Sch 4 6.1)", "d1: agreed (decision making)"),
        (
            BoardRule::LeadDiscretion,
            "d2: lead-discretion (Sch 4 6.2)",
            "d2: lead-discretion (lead commissioner's discretion)",
        ),
        (
            BoardRule::Quorum,
            "Quorum (Sch 4 1.3): quorate; voting seats filled: OCC 3, OCCG 3; 3 needed from each partner",
            "Quorum (quorum): quorate; voting seats filled: OCC 3, OCCG 3; 3 needed from each partner",
        ),
        (
            BoardRule::Confidentiality,
            "  1. Care home placements (confidential, Sch 4 7.1)",
            "  1. Care home placements (confidential, confidentiality)",
        ),
        (BoardRule::Views, "Other views recorded (Sch 4 6.4)", "Other views recorded (views in the minutes)"),
        (
            BoardRule::Minutes,
            "Minutes due to members by 2016-09-29 (Sch 4 6.3)",
            "Minutes due to members by 2016-09-29 (minutes)",
        ),
        (
            BoardRule::Changes,
            "the change to seat occ-sca takes effect on 2016-09-01, before its written notification on 2016-09-05 (Sch 4 1.4)",
            "the change to seat occ-sca takes effect on 2016-09-01, before its written notification on 2016-09-05 (changes by written notification)",
        ),
        (
            BoardRule::Replacement,
            "Joint Executive replaces the board on 2016-10-01, before the written notification of 2016-10-05 (replacement of the board)",
            "Joint Executive replaces the board on 2016-10-01, before the written notification of 2016-10-05 (replacement of the board)",
        ),
        (
            BoardRule::MonthlyReports,
            "the monthly report for M5 is circulated twice: a month appears once (Sch 4 5.4)",
            "the monthly report for M5 is circulated twice: a month appears once (monthly reports)",
        ),
        (
            BoardRule::UrgentDecisions,
            "decision `d1` ratifies `u9`, which is not an urgent decision in the register (Sch 4 2(l))",
            "decision `d1` ratifies `u9`, which is not an urgent decision in the register (urgent decisions)",
        ),
        (
            BoardRule::Papers,
            "decision `d1` is taken under agenda item 2, but the agenda has 1 item: decisions are taken on the agenda sent to members (Sch 4 5.2)",
            "decision `d1` is taken under agenda item 2, but the agenda has 1 item: decisions are taken on the agenda sent to members (agenda and papers)",
        ),
        (BoardRule::ActionPlans, "action plans: Sch 4 3.5", "action plans: action plans"),
        (BoardRule::Meetings, "meetings: Sch 4 5.1", "meetings: quarterly meetings"),
    ];
    let (with, without) = (results(oxfordshire()), results(&without_clauses()));
    for (rule, cited, named) in cases {
        assert!(with.lines().any(|l| l == *cited), "{rule:?}: `{cited}` not among\n{with}");
        assert!(without.lines().any(|l| l == *named), "{rule:?}: `{named}` not among\n{without}");
    }
    assert!(!without.contains("Sch 4"), "no Oxfordshire clause without its clauses:\n{without}");
}

/// Each rule's citation on both boards: the example's clause where it gives one (every rule
/// but the replacement of the board, for which Schedule 4 has no clause), else the words.
#[test]
fn every_rule_cites_the_file_or_its_words() {
    let (with, without) = (oxfordshire().board().unwrap(), without_clauses());
    let without = without.board().unwrap();
    for rule in BoardRule::ALL {
        assert_eq!(without.cite(rule), rule.words(), "{rule:?}");
        assert_eq!(without.clause(rule), None, "{rule:?}");
        match rule {
            BoardRule::Replacement => assert_eq!(with.cite(rule), "replacement of the board"),
            _ => assert!(with.cite(rule).starts_with("Sch 4 "), "{rule:?}: {}", with.cite(rule)),
        }
        assert_eq!(BoardRule::from_key(rule.key()), Some(rule));
    }
}

/// Errors in `[board] clauses`, each located: an unknown rule, a blank clause, a clause
/// that is not a string.
#[test]
fn board_clause_errors() {
    let with = |table: &str| AGREEMENT.replacen("[board.clauses]\n", &format!("[board.clauses]\n{table}\n"), 1);
    let keys = BoardRule::ALL.map(BoardRule::key).join(", ");
    let cases: Vec<(String, Vec<String>)> = vec![
        (
            with("quorate = \"Sch 4 1.3\""),
            vec![format!("error: unknown board clause `quorate` (the rules are {keys})")],
        ),
        (
            with("replacement = \"  \""),
            vec!["error: the clause for `replacement` is blank: give it, or leave the key out".into()],
        ),
        (with("replacement = 14"), vec!["error: invalid type: integer `14`, expected a string".into()]),
    ];
    for (text, expected) in &cases {
        let got: Vec<String> = match Agreement::parse(text) {
            Ok((_, warnings)) => warnings,
            Err(errors) => errors,
        }
        .iter()
        .map(|d| d.render("a.toml", text).split_once(": ").map_or(String::new(), |(_, m)| m.to_string()))
        .collect();
        assert_eq!(&got, expected);
    }
}

/// The clauses as an inline table under `[board]`, as the agreement file also allows.
#[test]
fn board_clauses_inline() {
    let board = without_clauses().board().cloned().expect("a board");
    let start = AGREEMENT.find("[board.clauses]\n").expect("the table");
    let end = start + AGREEMENT[start..].find("\n\n").expect("its end");
    let inline = format!(
        "{}clauses = {{ quorum = \"para 1.3\", replacement = \"2022 para 5\" }}{}",
        &AGREEMENT[..start],
        &AGREEMENT[end..]
    );
    let (agreement, _) = Agreement::parse(&inline).expect("valid");
    let inline = agreement.board().expect("a board");
    assert_eq!(inline.cite(BoardRule::Quorum), "para 1.3");
    assert_eq!(inline.cite(BoardRule::Replacement), "2022 para 5");
    assert_eq!(inline.cite(BoardRule::Papers), "agenda and papers");
    assert_eq!(inline.members, board.members);
}
