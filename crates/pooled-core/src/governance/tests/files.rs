//! The meeting and register files: each new validation error, and round trips through
//! `to_toml` (table-driven, then generated).

use proptest::prelude::*;

use super::*;
use crate::calendar::{Date, FiscalMonth};

pub(super) fn day(text: &str) -> Date {
    Date::parse_iso(text).expect("date")
}

/// A meeting of 20 October 2016 with every new part: two agenda items (the second
/// confidential) with papers, a decision under each (the second ratifying `u1`), views.
pub(super) const FULL: &str = r#"[meeting]
date = 2016-10-20
agenda_published = 2016-10-12

[[meeting.attendee]]
person = "occ-cm"

[[meeting.attendee]]
person = "occ-dass"

[[meeting.attendee]]
person = "occ-cfo-deputy"
deputising_for = "occ-cfo"

[[meeting.attendee]]
person = "occg-dcc"

[[meeting.attendee]]
person = "occg-ddl"

[[meeting.attendee]]
person = "occg-cfo"

[[meeting.attendee]]
person = "occ-sca"

[[meeting.item]]
title = "Finance and performance report, month 6"

[[meeting.item.paper]]
title = "M6 finance and performance report"
published = 2016-10-12

[[meeting.item]]
title = "Care home placements: a provider in difficulty"
confidential = true

[[meeting.item.paper]]
title = "Provider risk assessment"

[[meeting.decision]]
id = "d1"
subject = "Note the M6 forecast and approve the Older People action plan"
item = 1
votes = { occ-cfo = "for", occ-cm = "for", occ-dass = "for", occg-cfo = "for", occg-dcc = "for", occg-ddl = "for" }

[[meeting.decision]]
id = "d2"
subject = "Ratify the spot purchase of nursing beds over budget"
item = 2
ratifies = "u1"
element_lead = "OCC"
votes = { occ-cfo = "for", occ-cm = "for", occ-dass = "for", occg-cfo = "abstain", occg-dcc = "for", occg-ddl = "for" }

[[meeting.view]]
person = "occg-cfo"
text = "Abstains: the CCG has not seen the provider's accounts"
decision = "d2"

[[meeting.view]]
person = "occ-sca"
text = "The home care market is tightening before winter"
"#;

/// The board's register from 1 April 2016: a new Cabinet Member, an emptied non-voting
/// seat, a deputy nominated, two urgent decisions.
pub(super) const REGISTER: &str = r#"[register]
constituted_on = 2016-04-01

[[change]]
seat = "occ-cm"
from = 2016-09-01
notified_on = 2016-08-20
person = "Cllr Eve"
role = "Cabinet Member for Adult Social Care"
partner = "OCC"
voting = true
chair = true

[[change]]
seat = "occg-acfo"
from = 2016-10-01
notified_on = 2016-09-15

[[nomination]]
seat = "occg-cfo"
deputy = "Gus"
nominated_on = 2016-06-15

[[urgent]]
id = "u1"
subject = "Spot-purchase nursing beds over budget"
taken_on = 2016-10-05
element_lead = "OCC"
votes = { occ-cm = "for", occg-cfo = "for" }

[[urgent]]
id = "u2"
subject = "Extend the reablement contract by three months"
taken_on = 2016-10-20
votes = {}
"#;

/// Reports to the board: the monthly report's circulation log and action plans.
pub(super) const REPORTS: &str = r#"
[[circulation]]
month = "M5"
circulated_on = 2016-10-28

[[circulation]]
month = "M4"
circulated_on = 2016-09-30

[[action_plan]]
id = "a1"
pool = "OP"
line = "home-support"
month = "M5"
raised_on = 2016-10-28
description = "Recover the home support overspend by reviewing packages"
closed_on = 2016-12-01
reported_at = 2016-12-15

[[action_plan]]
id = "a2"
pool = "LD"
month = "M5"
raised_on = 2016-10-31
description = "Learning disability placements"
"#;

pub(super) fn register() -> Register {
    match Register::parse(REGISTER, oxfordshire()) {
        Ok((register, _)) => register,
        Err(errors) => panic!("{:#?}", render_all(&errors, REGISTER)),
    }
}

fn meeting(text: &str) -> Meeting {
    match Meeting::parse(text, oxfordshire()) {
        Ok((m, _)) => m,
        Err(errors) => panic!("{:#?}\nin\n{text}", render_all(&errors, text)),
    }
}

/// Rendered diagnostics from reading `text` as a meeting, against the register when given.
fn meeting_diagnostics(text: &str, register: Option<&Register>) -> Vec<String> {
    let result = match register {
        Some(r) => Meeting::parse_with_register(text, oxfordshire(), r),
        None => Meeting::parse(text, oxfordshire()),
    };
    let (failed, diagnostics) = match result {
        Ok((_, warnings)) => (false, warnings),
        Err(errors) => (true, errors),
    };
    let rendered = render_all(&diagnostics, text);
    assert_eq!(failed, rendered.iter().any(|e| e.contains(": error: ")), "in\n{text}");
    rendered
}

#[test]
fn new_meeting_file_errors() {
    let header = "[meeting]\ndate = 2016-10-20\n";
    let one_item = "[[meeting.item]]\ntitle = \"Finance\"\n";
    let at = |name: &str| format!("{header}[[meeting.attendee]]\nperson = \"{name}\"\n");
    // (file, against the register, expected)
    let cases: Vec<(String, bool, Vec<&str>)> = vec![
        (FULL.to_string(), false, vec![]),
        (FULL.to_string(), true, vec![]),
        // An item number the agenda does not have: past the end, zero, negative.
        (
            format!("{header}{one_item}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nitem = 2\n"),
            false,
            vec![
                "m.toml:8:8: error: decision `d1` is taken under agenda item 2, but the agenda has 1 item: decisions are taken on the agenda sent to members (Sch 4 5.2)",
            ],
        ),
        (
            format!("{header}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nitem = 0\n"),
            false,
            vec![
                "m.toml:6:8: error: decision `d1` is taken under agenda item 0, but the agenda has 0 items: decisions are taken on the agenda sent to members (Sch 4 5.2)",
            ],
        ),
        (
            format!("{header}{one_item}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nitem = -1\n"),
            false,
            vec![
                "m.toml:8:8: error: decision `d1` is taken under agenda item -1, but the agenda has 1 item: decisions are taken on the agenda sent to members (Sch 4 5.2)",
            ],
        ),
        // Ratifying an urgent decision the register does not have, or one not taken
        // before the meeting; without a register, `ratifies` cannot be checked.
        (
            format!("{header}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nratifies = \"u9\"\n"),
            true,
            vec![
                "m.toml:6:12: error: decision `d1` ratifies `u9`, which is not an urgent decision in the register (Sch 4 2(l))",
            ],
        ),
        (format!("{header}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nratifies = \"u9\"\n"), false, vec![]),
        (
            format!("{header}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nratifies = \"u2\"\n"),
            true,
            vec![
                "m.toml:6:12: error: decision `d1` ratifies urgent decision `u2` taken on 2016-10-20, not before this meeting of 2016-10-20: urgent decisions are ratified at a later meeting (Sch 4 2(l))",
            ],
        ),
        // A view on a decision this meeting did not take; a view of someone not attending.
        (
            format!("{}[[meeting.view]]\nperson = \"occ-cm\"\ntext = \"t\"\ndecision = \"d7\"\n", at("occ-cm")),
            false,
            vec![
                "m.toml:8:12: error: the view of occ-cm is on decision `d7`, which this meeting did not take (Sch 4 6.4)",
            ],
        ),
        (
            format!("{}[[meeting.view]]\nperson = \"occ-dass\"\ntext = \"t\"\n", at("occ-cm")),
            false,
            vec![
                "m.toml:6:10: warning: occ-dass is not recorded as attending: the minutes record the views of those in attendance (Sch 4 6.4)",
            ],
        ),
        // Votes are by the voting seats of the board on the day, as the register has it:
        // `occg-acfo` is not a seat at all from 1 October 2016.
        (
            format!("{header}[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nvotes = {{ occ-cm = \"for\" }}\n"),
            true,
            vec![],
        ),
        // Ids are letters, digits, `-`, `_` or `.`, wherever they are given.
        (
            format!("{header}[[meeting.attendee]]\nperson = \"Jo\"\ndeputising_for = \"occ cm\"\n"),
            false,
            vec!["m.toml:5:18: error: `occ cm` is not an id: use letters, digits, `-`, `_` or `.` (not ' ')"],
        ),
        // A paper is always inside an item: one before any item is not an item's paper
        // but makes `item` a table, which the file refuses.
        (
            format!("{header}[[meeting.item.paper]]\ntitle = \"p\"\n"),
            false,
            vec!["m.toml:3:11: error: invalid type: map, expected a sequence"],
        ),
        (
            format!("{header}{one_item}[[meeting.item.paper]]\ntitle = \"p\"\ndate = 2016-10-12\n"),
            false,
            vec!["m.toml:7:1: error: unknown field `date`, expected `title` or `published`"],
        ),
        (
            format!("{header}[[meeting.item]]\ntitle = \"t\"\nprivate = true\n"),
            false,
            vec!["m.toml:5:1: error: unknown field `private`, expected one of `title`, `confidential`, `paper`"],
        ),
        (
            format!("{header}[[meeting.view]]\nperson = \"occ-cm\"\n"),
            false,
            vec!["m.toml:3:1: error: missing field `text`"],
        ),
    ];
    let register = register();
    for (text, with_register, expected) in &cases {
        let got = meeting_diagnostics(text, with_register.then_some(&register));
        assert_eq!(got, *expected, "register: {with_register}, in\n{text}");
    }
}

#[test]
fn register_file_errors() {
    let header = "[register]\nconstituted_on = 2016-04-01\n";
    let cases: Vec<(String, Vec<&str>)> = vec![
        (REGISTER.to_string(), vec![]),
        (header.to_string(), vec![]),
        // A new holder needs role, partner and voting; no person empties the seat, so a
        // holder's terms without one are refused.
        (
            format!(
                "{header}[[change]]\nseat = \"occ-cm\"\nfrom = 2016-09-01\nnotified_on = 2016-09-01\nperson = \"Eve\"\nrole = \"r\"\n"
            ),
            vec![
                "r.toml:4:8: error: the change giving seat occ-cm to Eve has no `partner` or `voting`: a new holder needs a role, a partner and whether they vote (Sch 4 1.4)",
            ],
        ),
        (
            format!(
                "{header}[[change]]\nseat = \"occ-sca\"\nfrom = 2016-09-01\nnotified_on = 2016-09-01\nrole = \"r\"\nvoting = false\n"
            ),
            vec![
                "r.toml:7:8: error: `role` is given for seat occ-sca without a `person`: a change with no person leaves the seat empty (Sch 4 1.4)",
                "r.toml:8:10: error: `voting` is given for seat occ-sca without a `person`: a change with no person leaves the seat empty (Sch 4 1.4)",
            ],
        ),
        (
            format!(
                "{header}[[change]]\nseat = \"occ-cm\"\nfrom = 2016-09-01\nnotified_on = 2016-09-01\nperson = \"Eve\"\nrole = \"r\"\npartner = \"NHS\"\nvoting = true\n"
            ),
            vec!["r.toml:9:11: error: unknown partner `NHS` (partners are OCC, OCCG)"],
        ),
        // Register::new's refusals, each at its entry: taking effect before notification,
        // emptying a seat the board does not have, a nomination for a non-voting seat.
        (
            format!("{header}[[change]]\nseat = \"occ-sca\"\nfrom = 2016-09-01\nnotified_on = 2016-09-05\n"),
            vec![
                "r.toml:4:8: error: the change to seat occ-sca takes effect on 2016-09-01, before its written notification on 2016-09-05 (Sch 4 1.4)",
            ],
        ),
        (
            format!("{header}[[change]]\nseat = \"nobody\"\nfrom = 2016-09-01\nnotified_on = 2016-09-01\n"),
            vec!["r.toml:4:8: error: the change empties seat nobody on 2016-09-01, which the board does not have then"],
        ),
        (
            format!("{header}[[nomination]]\nseat = \"occ-sca\"\ndeputy = \"Jo\"\nnominated_on = 2016-05-01\n"),
            vec![
                "r.toml:4:8: error: Jo is nominated as deputy for occ-sca on 2016-05-01, which is not a voting seat of the board then (Sch 4 1.2)",
            ],
        ),
        // The later change in the file is sorted first, and still pointed at.
        (
            format!(
                "{header}[[change]]\nseat = \"occ-sca\"\nfrom = 2016-11-01\nnotified_on = 2016-11-01\n\
                 [[change]]\nseat = \"occ-ddjc\"\nfrom = 2016-03-01\nnotified_on = 2016-03-01\n"
            ),
            vec![
                "r.toml:8:8: error: the change to seat occ-ddjc from 2016-03-01 is before the board was constituted on 2016-04-01",
            ],
        ),
        // Urgent decisions: an id twice, a vote by a seat that is not voting that day.
        (
            format!(
                "{header}[[urgent]]\nid = \"u1\"\nsubject = \"s\"\ntaken_on = 2016-10-05\n\
                 [[urgent]]\nid = \"u1\"\nsubject = \"t\"\ntaken_on = 2016-10-06\nvotes = {{ occ-sca = \"for\" }}\n"
            ),
            vec![
                "r.toml:8:6: error: urgent decision id `u1` is used twice",
                "r.toml:11:11: error: `occ-sca` is not a voting seat of the board on 2016-10-06, so it cannot vote on urgent decision `u1` (Sch 4 6.1)",
            ],
        ),
        (
            format!(
                "{header}[[urgent]]\nid = \"u1\"\nsubject = \"s\"\ntaken_on = 2016-10-05\nelement_lead = \"NHS\"\n"
            ),
            vec!["r.toml:7:16: error: unknown partner `NHS` (partners are OCC, OCCG)"],
        ),
        (
            format!(
                "{header}[[urgent]]\nid = \"u1\"\nsubject = \"s\"\ntaken_on = 2016-10-05\nvotes = {{ occ-cm = \"maybe\" }}\n"
            ),
            vec!["r.toml:7:20: error: unknown variant `maybe`, expected one of `for`, `against`, `abstain`"],
        ),
        (
            format!(
                "{header}[[change]]\nseat = \"occ-cm\"\nfrom = 2016-09-01\nnotified_on = 2016-09-01\nname = \"Eve\"\n"
            ),
            vec![
                "r.toml:7:1: error: unknown field `name`, expected one of `seat`, `from`, `notified_on`, `person`, `role`, `partner`, `voting`, `chair`",
            ],
        ),
        // Reports to the board: a month circulated twice, an unreadable month, an unknown
        // pool or line, an id twice, closed or reported before raised.
        (format!("{header}{REPORTS}"), vec![]),
        (
            format!(
                "{header}[[circulation]]\nmonth = \"M5\"\ncirculated_on = 2016-10-28\n\
                 [[circulation]]\nmonth = \"m5\"\ncirculated_on = 2016-10-29\n\
                 [[circulation]]\nmonth = \"M13\"\ncirculated_on = 2016-10-29\n"
            ),
            vec![
                "r.toml:7:9: error: the monthly report for M5 is circulated twice: a month appears once (Sch 4 5.4)",
                "r.toml:10:9: error: invalid month `M13`: expected M1 (April) to M12 (March)",
            ],
        ),
        (
            format!(
                "{header}[[action_plan]]\nid = \"a1\"\npool = \"XX\"\nmonth = \"M5\"\nraised_on = 2016-10-28\ndescription = \"d\"\n\
                 [[action_plan]]\nid = \"a1\"\npool = \"OP\"\nline = \"nope\"\nmonth = \"M5\"\nraised_on = 2016-10-28\ndescription = \"d\"\nclosed_on = 2016-10-01\nreported_at = 2016-10-02\n"
            ),
            vec![
                "r.toml:5:8: error: action plan `a1` is for pool `XX`, which the agreement does not have",
                "r.toml:10:6: error: action plan `a1` is closed on 2016-10-01, before it was raised on 2016-10-28",
                "r.toml:10:6: error: action plan `a1` is reported to the meeting of 2016-10-02, before it was raised on 2016-10-28",
                "r.toml:10:6: error: action plan id `a1` is used twice",
                "r.toml:12:8: error: action plan `a1` is for line `nope`, which pool OP does not have",
            ],
        ),
        // A body replacing the board: before its notification, before the constitution,
        // two on one day, a quorum of none.
        (
            format!(
                "{header}[[body]]\nname = \"Joint Executive\"\nfrom = 2016-10-01\nnotified_on = 2016-10-05\nquorum_per_partner = 2\nagenda_working_days = 5\nminutes_within_days = 14\n\
                 [[body]]\nname = \"Early\"\nfrom = 2016-03-01\nnotified_on = 2016-03-01\nquorum_per_partner = 0\nagenda_working_days = 5\nminutes_within_days = 14\n\
                 [[body]]\nname = \"Same day\"\nfrom = 2016-10-01\nnotified_on = 2016-09-01\nquorum_per_partner = 2\nagenda_working_days = 5\nminutes_within_days = 14\n\
                 [[body]]\nname = \"Typo\"\nfrom = 2016-11-01\nnotified_on = 2016-11-01\nquorum_per_partner = 2\nagenda_working_days = 4294967295\nminutes_within_days = 0\n"
            ),
            vec![
                "r.toml:4:8: error: Joint Executive replaces the board on 2016-10-01, before the written notification of 2016-10-05 (replacement of the board)",
                "r.toml:11:8: error: Early replaces the board on 2016-03-01, before it was constituted on 2016-04-01",
                "r.toml:11:8: error: Early: `quorum_per_partner` must be between 1 and 50 voting members per partner (got 0)",
                "r.toml:18:8: error: two bodies replace the board on 2016-10-01",
                "r.toml:25:8: error: Typo: `agenda_working_days` must be between 1 and 30 working days (got 4,294,967,295)",
                "r.toml:25:8: error: Typo: `minutes_within_days` must be between 1 and 90 days (got 0)",
            ],
        ),
        (
            format!("{header}[[nomination]]\nseat = \"\"\ndeputy = \"Jo\"\nnominated_on = 2016-05-03\n"),
            vec!["r.toml:4:8: error: an id cannot be empty"],
        ),
        ("[register]\n".to_string(), vec!["r.toml:1:1: error: missing field `constituted_on`"]),
        ("".to_string(), vec!["r.toml:1:1: error: missing field `register`"]),
    ];
    for (text, expected) in &cases {
        let (failed, diagnostics) = match Register::parse(text, oxfordshire()) {
            Ok((_, warnings)) => (false, warnings),
            Err(errors) => (true, errors),
        };
        let got: Vec<String> = diagnostics.iter().map(|d| d.render("r.toml", text)).collect();
        assert_eq!(got, *expected, "in\n{text}");
        assert_eq!(failed, expected.iter().any(|e| e.contains(": error: ")), "in\n{text}");
    }
    let without_board = include_str!("../../../../../examples/oxfordshire-2022-23.toml");
    let (agreement, _) = Agreement::parse(without_board).expect("the 2022-23 example parses");
    let errors = Register::parse(REGISTER, &agreement).expect_err("no board");
    assert_eq!(errors[0].message, "the agreement has no [board], so it has no register");
}

#[test]
fn meeting_files_round_trip() {
    let odd = "[meeting]\ndate = 2016-10-20\n[[meeting.item]]\ntitle = \"Quotes \\\" and \\\\ and\\nlines\\r\\n\\ttabs \\u0001 £ é\"\n\
               [[meeting.decision]]\nid = \"A.b_-1\"\nsubject = \"\"\n[[meeting.view]]\nperson = \"\"\ntext = \"'''\\\"\\\"\\\"\"\n";
    for text in [MEETING, INQUORATE, FULL, "[meeting]\ndate = 2016-09-15\n", odd] {
        let m = meeting(text);
        let written = m.to_toml(oxfordshire());
        let again = meeting(&written);
        assert_eq!(again, m, "written as\n{written}");
        assert_eq!(again.to_toml(oxfordshire()), written, "writing is stable");
    }
}

#[test]
fn register_files_round_trip() {
    let header = "[register]\nconstituted_on = 2016-04-01\n";
    // Changes given out of date order come back sorted; the register is the same.
    let unsorted = format!(
        "{header}[[change]]\nseat = \"occ-sca\"\nfrom = 2016-11-01\nnotified_on = 2016-11-01\n\
         [[change]]\nseat = \"occ-ddjc\"\nfrom = 2016-05-01\nnotified_on = 2016-04-20\nperson = \"Di \\\"Q\\\"\"\nrole = \"r\"\npartner = \"OCCG\"\nvoting = false\n"
    );
    let reports = format!("{REGISTER}{REPORTS}");
    let body = format!(
        "{header}[[body]]\nname = \"Joint Commissioning Executive\"\nfrom = 2016-10-01\nnotified_on = 2016-09-15\n\
         quorum_per_partner = 2\nagenda_working_days = 7\nminutes_within_days = 10\n"
    );
    for text in [REGISTER, header, &unsorted, &reports, &body] {
        let (register, _) = Register::parse(text, oxfordshire()).expect("reads");
        let written = register.to_toml(oxfordshire());
        let (again, _) = Register::parse(&written, oxfordshire()).expect("reads back");
        assert_eq!(again, register, "written as\n{written}");
        assert_eq!(again.to_toml(oxfordshire()), written, "writing is stable");
    }
}

#[test]
fn the_register_file_is_written_as_documented() {
    expect_test::expect![[r#"
        [register]
        constituted_on = 2016-04-01

        [[change]]
        seat = "occ-cm"
        from = 2016-09-01
        notified_on = 2016-08-20
        person = "Cllr Eve"
        role = "Cabinet Member for Adult Social Care"
        partner = "OCC"
        voting = true
        chair = true

        [[change]]
        seat = "occg-acfo"
        from = 2016-10-01
        notified_on = 2016-09-15

        [[nomination]]
        seat = "occg-cfo"
        deputy = "Gus"
        nominated_on = 2016-06-15

        [[urgent]]
        id = "u1"
        subject = "Spot-purchase nursing beds over budget"
        taken_on = 2016-10-05
        element_lead = "OCC"
        votes = { occ-cm = "for", occg-cfo = "for" }

        [[urgent]]
        id = "u2"
        subject = "Extend the reablement contract by three months"
        taken_on = 2016-10-20
        votes = {}
    "#]]
    .assert_eq(&register().to_toml(oxfordshire()));
}

// ---- generated round trips ----

fn date_between(from: &str, days: i64) -> impl Strategy<Value = Date> {
    let start = day(from);
    (0..days).prop_map(move |n| start.add_days(n).expect("in range"))
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-z0-9 \"'\\\\\n\r\t-]{0,12}"]
}

/// Any id the records take ([`Id::parse`]).
fn id() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._-]{1,12}"
}

fn voting_seats() -> Vec<String> {
    board().members.iter().filter(|m| m.voting).map(|m| m.id.clone()).collect()
}

fn votes() -> impl Strategy<Value = BTreeMap<String, Vote>> {
    let vote = prop::sample::select(vec![Vote::For, Vote::Against, Vote::Abstain]);
    prop::collection::btree_map(prop::sample::select(voting_seats()), vote, 0..=6)
}

fn attendee() -> impl Strategy<Value = Attendee> {
    (text(), prop::option::of(id()), any::<bool>(), prop::option::of(id()), any::<bool>()).prop_map(
        |(person, deputising_for, alternative, confirmed_in_writing_by, agreed_by_other_partner)| Attendee {
            person,
            deputising_for,
            alternative,
            confirmed_in_writing_by,
            agreed_by_other_partner,
        },
    )
}

fn item() -> impl Strategy<Value = Item> {
    let paper = (text(), prop::option::of(date_between("2016-01-01", 1000)))
        .prop_map(|(title, published)| Paper { title, published });
    (text(), any::<bool>(), prop::collection::vec(paper, 0..3)).prop_map(|(title, confidential, papers)| Item {
        title,
        confidential,
        papers,
    })
}

/// A meeting that reads: decisions have distinct ids and name existing items; views name
/// existing decisions. Views' people need not attend (that is a warning only).
fn any_meeting() -> impl Strategy<Value = Meeting> {
    let dates = (
        date_between("2016-01-01", 3000),
        prop::option::of(date_between("2016-01-01", 3000)),
        prop::option::of(date_between("2016-01-01", 3000)),
    );
    (dates, prop::collection::vec(attendee(), 0..4), prop::collection::vec(item(), 0..4), 0usize..4).prop_flat_map(
        |((date, agenda_published, minutes_circulated), attendees, items, decision_count)| {
            let item_count = items.len();
            let decision = (
                text(),
                prop::option::of(1..=item_count.max(1)),
                prop::option::of(id()),
                prop::option::of(0usize..2),
                votes(),
            );
            let decisions = prop::collection::vec(decision, decision_count);
            let view = (text(), text(), prop::option::of(0..decision_count.max(1)));
            let views = prop::collection::vec(view, 0..3);
            (decisions, views).prop_map(move |(decisions, views)| {
                let decisions: Vec<Decision> = decisions
                    .into_iter()
                    .enumerate()
                    .map(|(i, (subject, item, ratifies, element_lead, votes))| Decision {
                        id: format!("d{i}"),
                        subject,
                        item: item.filter(|_| item_count > 0),
                        ratifies,
                        element_lead,
                        votes,
                    })
                    .collect();
                let views = views
                    .into_iter()
                    .map(|(person, text, decision)| View {
                        person,
                        text,
                        decision: decision.filter(|_| decision_count > 0).map(|i| format!("d{i}")),
                    })
                    .collect();
                Meeting {
                    date,
                    agenda_published,
                    minutes_circulated,
                    attendees: attendees.clone(),
                    items: items.clone(),
                    decisions,
                    views,
                }
            })
        },
    )
}

/// A register that holds together: changes to existing seats on distinct days after the
/// constitution, each to a new person, notified on or before; nominations of voting seats
/// on the day of constitution; urgent decisions with distinct ids voted by the voting
/// seats as constituted.
fn any_register() -> impl Strategy<Value = Register> {
    let seat_ids: Vec<String> = member_ids();
    let change = (prop::sample::select(seat_ids), text(), text(), 0usize..2, any::<bool>(), any::<bool>(), 0i64..30);
    let nomination = (prop::sample::select(voting_seats()), text());
    let urgent = (text(), prop::option::of(0usize..2), votes());
    let circulation = prop::collection::btree_map(1u32..=12, date_between("2016-04-01", 500), 0..12);
    let plan = (
        prop::sample::select(vec![("OP", Some("home-support")), ("OP", None), ("LD", None)]),
        1u32..=12,
        date_between("2016-04-01", 500),
        text(),
        prop::option::of(0i64..100),
        prop::option::of(0i64..100),
    );
    (
        prop::collection::vec(change, 0..5),
        prop::collection::vec(nomination, 0..3),
        prop::collection::vec(urgent, 0..3),
        any::<bool>(),
        (circulation, prop::collection::vec(plan, 0..3)),
    )
        .prop_map(|(changes, nominations, urgent, with_holders, (circulation, plans))| {
            let constituted_on = day("2016-04-01");
            let mut emptied = std::collections::BTreeSet::new();
            let changes = changes
                .into_iter()
                .enumerate()
                .map(|(i, (seat, person, role, partner, voting, chair, notice))| {
                    let step = i64::try_from(i).expect("small") * 40 + 40;
                    let from = constituted_on.add_days(step).expect("in range");
                    // Only non-voting seats are emptied, so nominations and votes stay
                    // valid, and each once, so that the seat exists when it is.
                    let is_voting = board().members.iter().any(|m| m.id == seat && m.voting);
                    let keep = with_holders || is_voting || !emptied.insert(seat.clone());
                    let holder = keep.then(|| Holder {
                        person: format!("p{i} {person}"),
                        role,
                        partner,
                        voting: voting || is_voting,
                        chair,
                    });
                    SeatChange { seat, from, notified_on: from.add_days(-notice).expect("in range"), holder }
                })
                .collect();
            let nominations = nominations
                .into_iter()
                .map(|(seat, deputy)| Nomination { seat, deputy, nominated_on: constituted_on })
                .collect();
            let urgent = urgent
                .into_iter()
                .enumerate()
                .map(|(i, (subject, element_lead, votes))| UrgentDecision {
                    id: format!("u{i}"),
                    subject,
                    taken_on: constituted_on,
                    element_lead,
                    votes,
                })
                .collect();
            let month = |n| FiscalMonth::new(n).expect("month");
            let circulations = circulation
                .into_iter()
                .map(|(m, circulated_on)| Circulation { month: month(m), circulated_on })
                .collect();
            let action_plans = plans
                .into_iter()
                .enumerate()
                .map(|(i, ((pool, line), m, raised_on, description, closed, reported))| ActionPlan {
                    id: format!("a{i}"),
                    pool: pool.to_string(),
                    line: line.map(str::to_string),
                    month: month(m),
                    raised_on,
                    description,
                    closed_on: closed.map(|n| raised_on.add_days(n).expect("in range")),
                    reported_at: reported.map(|n| raised_on.add_days(n).expect("in range")),
                })
                .collect();
            Register::new(board().clone(), constituted_on, changes, nominations)
                .and_then(|r| r.with_urgent(urgent))
                .and_then(|r| r.with_reports(circulations, action_plans))
                .expect("generated registers hold together")
        })
}

proptest! {
    #[test]
    fn any_meeting_round_trips(m in any_meeting()) {
        let written = m.to_toml(oxfordshire());
        match Meeting::parse(&written, oxfordshire()) {
            Ok((again, _)) => prop_assert_eq!(again, m, "written as\n{}", written),
            Err(errors) => prop_assert!(false, "{:#?}\nin\n{}", render_all(&errors, &written), written),
        }
    }

    #[test]
    fn any_register_round_trips(r in any_register()) {
        let written = r.to_toml(oxfordshire());
        match Register::parse(&written, oxfordshire()) {
            Ok((again, _)) => prop_assert_eq!(again, r, "written as\n{}", written),
            Err(errors) => prop_assert!(false, "{:#?}\nin\n{}", render_all(&errors, &written), written),
        }
    }

    #[test]
    fn register_parse_never_panics(parts in prop::collection::vec(prop::sample::select(REGISTER_FRAGMENTS), 0..60)) {
        let text = parts.concat();
        if let Err(errors) = Register::parse(&text, oxfordshire()) {
            prop_assert!(errors.iter().any(Diagnostic::is_error));
            for d in &errors {
                prop_assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{:?}", d);
            }
        }
    }
}

#[rustfmt::skip]
const REGISTER_FRAGMENTS: &[&str] = &[
    "[register]\n", "[[change]]\n", "[[nomination]]\n", "[[urgent]]\n", "\n", " = ", "{ ", " }", "\"",
    "constituted_on", "seat", "from", "notified_on", "person", "role", "partner", "voting", "chair",
    "deputy", "nominated_on", "id", "subject", "taken_on", "element_lead", "votes", "true", "false",
    "2016-04-01", "2016-09-01", "2016-03-01", "\"OCC\"", "\"NHS\"", "\"occ-cm\"", "\"occ-sca\"",
    "\"u1\"", "\"for\"", "occ-cm", "occ-sca", "[[circulation]]\n", "[[action_plan]]\n", "month",
    "circulated_on", "pool", "line", "raised_on", "description", "closed_on", "reported_at", "\"M5\"",
    "\"OP\"", "\"home-support\"", "\"X\"",
];

/// (day, the body's name, its quorum, agenda days, minutes days): the board as
/// constituted until another body replaces it, then that body, its members carrying on.
#[test]
fn a_body_replaces_the_board_from_its_date() {
    let text = "[register]\nconstituted_on = 2016-04-01\n[[body]]\nname = \"Joint Commissioning Executive\"\nfrom = 2016-10-01\n\
                notified_on = 2016-09-15\nquorum_per_partner = 2\nagenda_working_days = 7\nminutes_within_days = 10\n";
    let (register, _) = Register::parse(text, oxfordshire()).expect("reads");
    for (date, name, quorum, agenda, minutes) in [
        ("2016-09-30", "Single Joint Management Group for Adults", 3, 5, 14),
        ("2016-10-01", "Joint Commissioning Executive", 2, 7, 10),
        ("2017-03-31", "Joint Commissioning Executive", 2, 7, 10),
    ] {
        let board = register.board_on(day(date));
        assert_eq!(
            (board.name.as_str(), board.quorum_per_partner, board.agenda_working_days, board.minutes_within_days),
            (name, quorum, agenda, minutes),
            "{date}"
        );
        assert_eq!(board.members.len(), register.constitution().members.len(), "{date}: the members carry on");
    }
}
