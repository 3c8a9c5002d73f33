//! Papers against the agenda deadline, ratification of urgent decisions, draft minutes.

use super::files::{FULL, day, register};
use super::*;
use crate::governance::deadlines::Standing;

/// (meeting, paper published, today, expected): the due day is five working days back.
#[test]
fn papers_late_on_time_and_unpublished() {
    type Case<'a> = (&'a str, Option<&'a str>, &'a str, &'a str);
    let cases: &[Case] = &[
        // The June 2022 Jubilee: a meeting on Wednesday 8 June, papers due Monday 30 May
        // (2 and 3 June are bank holidays, 30 May is not that year).
        ("2022-06-08", Some("2022-05-27"), "2022-06-08", "due 2022-05-30: on time"),
        ("2022-06-08", Some("2022-05-30"), "2022-06-08", "due 2022-05-30: on time"),
        ("2022-06-08", Some("2022-05-31"), "2022-06-08", "due 2022-05-30: late, 1 working day"),
        ("2022-06-08", Some("2022-06-06"), "2022-06-08", "due 2022-05-30: late, 3 working days"),
        ("2022-06-08", None, "2022-05-30", "due 2022-05-30: unpublished, due today"),
        ("2022-06-08", None, "2022-05-27", "due 2022-05-30: unpublished, 1 working day left"),
        ("2022-06-08", None, "2022-06-03", "due 2022-05-30: late, unpublished, 2 working days overdue"),
        // Easter 2017: a meeting on Thursday 20 April, papers due Tuesday 11 April (Good
        // Friday 14 and Easter Monday 17 April do not count).
        ("2017-04-20", Some("2017-04-11"), "2017-04-20", "due 2017-04-11: on time"),
        ("2017-04-20", Some("2017-04-12"), "2017-04-20", "due 2017-04-11: late, 1 working day"),
        ("2017-04-20", Some("2017-04-18"), "2017-04-20", "due 2017-04-11: late, 3 working days"),
        ("2017-04-20", None, "2017-04-10", "due 2017-04-11: unpublished, 1 working day left"),
        ("2017-04-20", None, "2017-04-17", "due 2017-04-11: late, unpublished, 2 working days overdue"),
        // Sent on the Saturday after a Friday deadline: no working day lost, but late.
        ("2016-09-16", Some("2016-09-10"), "2016-09-16", "due 2016-09-09: late, 0 working days"),
    ];
    for (date, published, today, expected) in cases {
        let meeting = Meeting {
            date: day(date),
            agenda_published: None,
            minutes_circulated: None,
            attendees: Vec::new(),
            items: vec![Item {
                title: "Finance report".into(),
                confidential: false,
                papers: vec![Paper { title: "M1".into(), published: published.map(day) }],
            }],
            decisions: Vec::new(),
            views: Vec::new(),
        };
        let checks = check_papers(board(), &meeting, day(today));
        assert_eq!(checks.len(), 1);
        let p = &checks[0];
        let late = if p.late { "late, " } else { "" };
        let plural = |n: u32| if n == 1 { "" } else { "s" };
        let standing = match p.standing {
            Standing::Done { working_days_late: 0, .. } if !p.late => "on time".to_string(),
            Standing::Done { working_days_late: n, .. } => format!("{late}{n} working day{}", plural(n)),
            Standing::Due { working_days_left: 0 } => format!("{late}unpublished, due today"),
            Standing::Due { working_days_left: n } => format!("{late}unpublished, {n} working day{} left", plural(n)),
            Standing::Overdue { working_days: n } => format!("{late}unpublished, {n} working days overdue"),
        };
        assert_eq!(format!("due {}: {standing}", p.due), *expected, "meeting {date}, published {published:?}, {today}");
        assert_eq!((p.item, p.title.as_str()), (1, "M1"));
    }
}

/// A meeting of the register's board on `date` with all six voting members in person
/// (or, if `quorate` is false, only five), taking `decisions` (id, ratifies, all for).
fn meeting_on(date: &str, quorate: bool, decisions: &[(&str, &str, bool)]) -> (Meeting, MeetingCheck) {
    let mut text = format!("[meeting]\ndate = {date}\n");
    let seats = voting_seats_present(quorate);
    for seat in &seats {
        text += &format!("[[meeting.attendee]]\nperson = \"{seat}\"\n");
    }
    for (id, ratifies, unanimous) in decisions {
        let vote = |i: usize| if *unanimous || i > 0 { "for" } else { "against" };
        let votes: Vec<String> = seats.iter().enumerate().map(|(i, s)| format!("{s} = \"{}\"", vote(i))).collect();
        text += &format!(
            "[[meeting.decision]]\nid = \"{id}\"\nsubject = \"s\"\nratifies = \"{ratifies}\"\nvotes = {{ {} }}\n",
            votes.join(", ")
        );
    }
    let register = register();
    let (meeting, _) = match Meeting::parse_with_register(&text, oxfordshire(), &register) {
        Ok(read) => read,
        Err(errors) => panic!("{:#?}\nin\n{text}", render_all(&errors, &text)),
    };
    let check = check_meeting(oxfordshire(), &register.board_on(meeting.date), &meeting);
    assert_eq!(check.quorate, quorate);
    (meeting, check)
}

fn voting_seats_present(quorate: bool) -> Vec<String> {
    let all: Vec<String> = board().members.iter().filter(|m| m.voting).map(|m| m.id.clone()).collect();
    if quorate { all } else { all[1..].to_vec() }
}

/// The register's urgent decisions: u1 taken 5 October 2016, u2 on 20 October 2016.
#[test]
fn urgent_decisions_awaiting_ratified_and_overdue() {
    let status = |meetings: &[(Meeting, MeetingCheck)]| -> Vec<String> {
        ratification(&register(), meetings)
            .into_iter()
            .map(|(id, s)| match s {
                RatificationStatus::Ratified { meeting } => format!("{id} ratified {meeting}"),
                RatificationStatus::Awaiting { overdue_since: None } => format!("{id} awaiting"),
                RatificationStatus::Awaiting { overdue_since: Some(d) } => format!("{id} awaiting, overdue since {d}"),
            })
            .collect()
    };
    /// (what, meetings, each urgent decision's status)
    type Case<'a> = (&'a str, Vec<(Meeting, MeetingCheck)>, [&'a str; 2]);
    let cases: Vec<Case> = vec![
        ("no meetings yet", vec![], ["u1 awaiting", "u2 awaiting"]),
        (
            "ratified at the next quorate meeting; u2 is taken that day, so that meeting is not after it",
            vec![meeting_on("2016-10-20", true, &[("d1", "u1", true)])],
            ["u1 ratified 2016-10-20", "u2 awaiting"],
        ),
        (
            "an inquorate meeting cannot ratify (Sch 4 6.1.1) and is not the next meeting",
            vec![meeting_on("2016-10-13", false, &[("d1", "u1", true)])],
            ["u1 awaiting", "u2 awaiting"],
        ),
        (
            "not unanimous, so not agreed: overdue from that meeting",
            vec![meeting_on("2016-10-13", true, &[("d1", "u1", false)])],
            ["u1 awaiting, overdue since 2016-10-13", "u2 awaiting"],
        ),
        (
            "a quorate meeting passed without it, then a later one ratified it; meetings in any order",
            vec![
                meeting_on("2016-12-15", true, &[("d1", "u1", true), ("d2", "u2", true)]),
                meeting_on("2016-10-20", true, &[]),
            ],
            ["u1 ratified 2016-12-15", "u2 ratified 2016-12-15"],
        ),
        (
            "two quorate meetings passed: overdue since the first",
            vec![meeting_on("2016-11-17", true, &[]), meeting_on("2016-12-15", true, &[])],
            ["u1 awaiting, overdue since 2016-11-17", "u2 awaiting, overdue since 2016-11-17"],
        ),
    ];
    for (what, meetings, expected) in &cases {
        assert_eq!(status(meetings), *expected, "{what}");
    }
}

#[test]
fn draft_minutes_of_a_meeting() {
    let register = register();
    let (meeting, _) = Meeting::parse_with_register(FULL, oxfordshire(), &register).expect("reads");
    let board = register.board_on(meeting.date);
    let check = check_meeting(oxfordshire(), &board, &meeting);
    expect_test::expect![[r#"
        Single Joint Management Group for Adults
        Draft minutes of the meeting of Thursday 2016-10-20

        Voting seats (Sch 4 1.3)
          occ-cm (OCC, Cabinet Member for Adult Social Care, chair): Cllr Eve, in person
          occ-dass (OCC, Director of Adult Social Services): occ-dass, in person
          occ-cfo (OCC, Chief Finance Officer): occ-cfo-deputy, nominated deputy
          occg-dcc (OCCG, Deputy Clinical Chair): occg-dcc, in person
          occg-ddl (OCCG, Director of Delivery and Localities): occg-ddl, in person
          occg-cfo (OCCG, Chief Finance Officer): occg-cfo, in person
        In attendance, not counted towards the quorum
          occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)
        Quorum (Sch 4 1.3): quorate; voting seats filled: OCC 3, OCCG 3; 3 needed from each partner

        Agenda
          1. Finance and performance report, month 6
          2. Care home placements: a provider in difficulty (confidential, Sch 4 7.1)

        Decisions (Sch 4 6.1)
          d1, item 1: Note the M6 forecast and approve the Older People action plan
            Votes: occ-cm for, occ-dass for, occ-cfo for, occg-dcc for, occg-ddl for, occg-cfo for
            Outcome: agreed (Sch 4 6.1)
          d2, item 2: Ratify the spot purchase of nursing beds over budget
            Votes: occ-cm for, occ-dass for, occ-cfo for, occg-dcc for, occg-ddl for, occg-cfo abstain
            Outcome: not unanimous; OCC, as lead commissioner, has discretion (Sch 4 6.2)
            Urgent decision u1 is not ratified: only an agreed decision ratifies (Sch 4 2(l))
            View of occg-cfo: Abstains: the CCG has not seen the provider's accounts

        Other views recorded (Sch 4 6.4)
          occ-sca: The home care market is tightening before winter

        Minutes due to members by 2016-11-03 (Sch 4 6.3)
    "#]]
    .assert_eq(&draft_minutes(oxfordshire(), &board, &meeting, &check));
}

#[test]
fn draft_minutes_of_an_inquorate_meeting() {
    let (meeting, _) = Meeting::parse(INQUORATE, oxfordshire()).expect("reads");
    let check = check_meeting(oxfordshire(), board(), &meeting);
    expect_test::expect![[r#"
        Single Joint Management Group for Adults
        Draft minutes of the meeting of Thursday 2017-01-05

        Voting seats (Sch 4 1.3)
          occ-cm (OCC, Cabinet Member for Adult Social Care, chair): occ-cm, in person
          occ-dass (OCC, Director of Adult Social Services): occ-dass, in person
          occ-cfo (OCC, Chief Finance Officer): occ-cfo-deputy, nominated deputy
          occg-dcc (OCCG, Deputy Clinical Chair): occg-dcc, in person
          occg-ddl (OCCG, Director of Delivery and Localities): not filled
          occg-cfo (OCCG, Chief Finance Officer): occg-cfo, in person
        In attendance, not counted towards the quorum
          C. Person: not the deputy nominated in writing for `occg-ddl` (who is `occg-ddl-deputy`); an alternative deputy needs `alternative = true` (Sch 4 1.2)
        Quorum (Sch 4 1.3): inquorate, so no decision is valid (Sch 4 6.1); voting seats filled: OCC 3, OCCG 2; 3 needed from each partner

        Agenda
          none recorded

        Decisions (Sch 4 6.1)
          d1: Agree the winter pressures budget (Sch 4 2.m)
            Votes: occ-cm for, occ-dass for, occ-cfo for, occg-dcc for, occg-cfo for
            Outcome: invalid (Sch 4 6.1)

        Other views recorded (Sch 4 6.4)
          none

        Minutes due to members by 2017-01-19 (Sch 4 6.3)
    "#]].assert_eq(&draft_minutes(oxfordshire(), board(), &meeting, &check));
}
