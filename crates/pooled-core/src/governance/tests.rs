//! Tests of the meeting check (docs/rules.md, governance) against the Oxfordshire board of
//! the 2016-17 example: six voting members (three per partner), eight non-voting, quorum three
//! per partner, agenda five working days before, minutes within fourteen days.

use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;
use crate::diagnostic::Diagnostic;

mod changes;
mod clauses;
mod files;
mod papers_and_urgent;

const AGREEMENT: &str = include_str!("../../../../examples/oxfordshire-2016-17.toml");
const MEETING: &str = include_str!("../../../../examples/oxfordshire-2016-17-meeting.toml");
const INQUORATE: &str = include_str!("../../../../examples/oxfordshire-2016-17-meeting-inquorate.toml");

fn oxfordshire() -> &'static Agreement {
    static PARSED: OnceLock<Agreement> = OnceLock::new();
    PARSED.get_or_init(|| match Agreement::parse(AGREEMENT) {
        Ok((agreement, _warnings)) => agreement,
        Err(errors) => panic!("the example agreement does not parse: {errors:?}"),
    })
}

fn board() -> &'static Board {
    oxfordshire().board().expect("the 2016-17 example has a [board]")
}

fn partner(ix: PartnerIx) -> &'static str {
    &oxfordshire().partners()[ix].id
}

fn render_all(diagnostics: &[Diagnostic], text: &str) -> Vec<String> {
    diagnostics.iter().map(|d| d.render("m.toml", text)).collect()
}

/// Parses a meeting of the Oxfordshire board that must read without errors, and checks it.
fn check_text(text: &str) -> MeetingCheck {
    match Meeting::parse(text, oxfordshire()) {
        Ok((meeting, _warnings)) => check_meeting(oxfordshire(), board(), &meeting),
        Err(errors) => panic!("{:#?}\nin\n{text}", render_all(&errors, text)),
    }
}

/// A meeting on Thursday 2016-09-15 (an ordinary working day) whose attendees are given as
/// the bodies of inline tables, one a line; `decisions` is appended as it is.
fn meeting_text(attendees: &str, decisions: &str) -> String {
    let mut text = String::from("[meeting]\ndate = 2016-09-15\nattendee = [\n");
    for line in attendees.lines().map(str::trim).filter(|l| !l.is_empty()) {
        text += &format!("  {{ {line} }},\n");
    }
    text + "]\n" + decisions
}

/// Strips the indentation and blank lines of an expected block.
fn lines(expected: &str) -> String {
    expected.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n")
}

/// The attendance part of a check: seats filled per partner and quorum, who fills each
/// seat and how, the unfilled seats, and everyone not counted with the reason.
fn render_attendance(c: &MeetingCheck) -> String {
    let per_partner: Vec<String> =
        c.seats_filled.iter().enumerate().map(|(ix, n)| format!("{} {n}", partner(ix))).collect();
    let mut out = vec![format!("{}: {}", per_partner.join(", "), if c.quorate { "quorate" } else { "inquorate" })];
    for seat in &c.seats {
        out.push(match &seat.filled {
            Some((person, how)) => format!("{} <- {person} ({})", seat.member, filled_by_name(*how)),
            None => format!("{} <- nobody", seat.member),
        });
    }
    let unfilled: Vec<&str> = c.unfilled().map(|s| s.member.as_str()).collect();
    if !unfilled.is_empty() {
        out.push(format!("unfilled: {}", unfilled.join(", ")));
    }
    for n in &c.not_counted {
        out.push(format!("not counted: {}: {}", n.person, n.reason));
    }
    out.join("\n")
}

fn render_decisions(c: &MeetingCheck) -> String {
    c.decisions
        .iter()
        .map(|d| {
            let lead = d.lead.map_or("-", partner);
            format!("{}: {} lead {lead} ({})", d.id, d.outcome.name(), d.clause)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn render_deadline(what: &str, d: &Deadline) -> String {
    let done = d.done.map_or("-".to_string(), |d| d.to_string());
    let on_time = match d.on_time {
        Some(true) => "on time",
        Some(false) => "late",
        None => "not yet",
    };
    format!("{what} due {} done {done}: {on_time}", d.due)
}

const ALL_SIX: &str = r#"
    person = "occ-cm"
    person = "occ-dass"
    person = "occ-cfo"
    person = "occg-dcc"
    person = "occg-ddl"
    person = "occg-cfo"
"#;

/// The five voting members other than `occg-ddl`, in person.
const FIVE: &str = r#"
    person = "occ-cm"
    person = "occ-dass"
    person = "occ-cfo"
    person = "occg-dcc"
    person = "occg-cfo"
"#;

#[test]
fn quorum_seats_and_who_is_not_counted() {
    #[track_caller]
    fn check(attendees: &str, expected: &str) {
        let c = check_text(&meeting_text(attendees, ""));
        assert_eq!(render_attendance(&c), lines(expected), "attendees:{attendees}");
    }

    // All six voting members in person.
    check(
        ALL_SIX,
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl (in person)
        occg-cfo <- occg-cfo (in person)
        ",
    );

    // One person cannot make up two of the three: occg-dcc in person and as an alternative.
    check(
        r#"
        person = "occg-dcc"
        person = "occg-cfo"
        person = "occg-dcc", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-cfo", agreed_by_other_partner = true
        "#,
        "
        OCC 0, OCCG 2: inquorate
        occ-cm <- nobody
        occ-dass <- nobody
        occ-cfo <- nobody
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occ-cm, occ-dass, occ-cfo, occg-ddl
        not counted: occg-dcc: already fills the seat of `occg-dcc`; one person fills one seat (Sch 4 1.3)
        ",
    );

    // Every seat filled by the deputy nominated in writing (Sch 4 1.2).
    check(
        r#"
        person = "occ-cm-deputy", deputising_for = "occ-cm"
        person = "occ-dass-deputy", deputising_for = "occ-dass"
        person = "occ-cfo-deputy", deputising_for = "occ-cfo"
        person = "occg-dcc-deputy", deputising_for = "occg-dcc"
        person = "occg-ddl-deputy", deputising_for = "occg-ddl"
        person = "occg-cfo-deputy", deputising_for = "occg-cfo"
        "#,
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm-deputy (nominated deputy)
        occ-dass <- occ-dass-deputy (nominated deputy)
        occ-cfo <- occ-cfo-deputy (nominated deputy)
        occg-dcc <- occg-dcc-deputy (nominated deputy)
        occg-ddl <- occg-ddl-deputy (nominated deputy)
        occg-cfo <- occg-cfo-deputy (nominated deputy)
        ",
    );

    // nobody at all
    check(
        "",
        "
        OCC 0, OCCG 0: inquorate
        occ-cm <- nobody
        occ-dass <- nobody
        occ-cfo <- nobody
        occg-dcc <- nobody
        occg-ddl <- nobody
        occg-cfo <- nobody
        unfilled: occ-cm, occ-dass, occ-cfo, occg-dcc, occg-ddl, occg-cfo
        ",
    );

    // Only two council seats filled: inquorate, although the CCG has all three (Sch 4 1.3).
    check(
        r#"
        person = "occ-cm"
        person = "occ-dass"
        person = "occg-dcc"
        person = "occg-ddl"
        person = "occg-cfo"
        "#,
        "
        OCC 2, OCCG 3: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- nobody
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl (in person)
        occg-cfo <- occg-cfo (in person)
        unfilled: occ-cfo
        ",
    );

    // Non-voting members never count, even when they make up the numbers of their partner.
    check(
        r#"
        person = "occ-cm"
        person = "occ-sca"
        person = "occ-dass"
        person = "occ-ddjc"
        person = "occg-dcc"
        person = "occg-ddl"
        person = "occg-cfo"
        person = "occg-acfo"
        "#,
        "
        OCC 2, OCCG 3: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- nobody
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl (in person)
        occg-cfo <- occg-cfo (in person)
        unfilled: occ-cfo
        not counted: occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)
        not counted: occ-ddjc: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)
        not counted: occg-acfo: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)
        ",
    );

    // A valid alternative deputy: confirmed in writing by a voting member of the same
    // partner and agreed by the other partner (Sch 4 1.2).
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-dcc", agreed_by_other_partner = true
            "#
        ),
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- A. Person (alternative deputy)
        occg-cfo <- occg-cfo (in person)
        ",
    );

    // The absent member may confirm their own alternative: they are a voting member too.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-ddl", agreed_by_other_partner = true
            "#
        ),
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- A. Person (alternative deputy)
        occg-cfo <- occg-cfo (in person)
        ",
    );

    // An alternative without written confirmation.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, agreed_by_other_partner = true
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: A. Person: alternative deputy for `occg-ddl` not confirmed in writing by a voting member of OCCG (Sch 4 1.2)
        ",
    );

    // Confirmed by a non-voting member of the same partner.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-acfo", agreed_by_other_partner = true
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: A. Person: alternative deputy for `occg-ddl` confirmed by `occg-acfo`, who is not a voting member of OCCG (Sch 4 1.2)
        ",
    );

    // Confirmed by a voting member of the other partner.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occ-cm", agreed_by_other_partner = true
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: A. Person: alternative deputy for `occg-ddl` confirmed by `occ-cm`, who is not a voting member of OCCG (Sch 4 1.2)
        ",
    );

    // Confirmed by a nominated deputy, who is not a voting member.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-ddl-deputy", agreed_by_other_partner = true
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: A. Person: alternative deputy for `occg-ddl` confirmed by `occg-ddl-deputy`, who is not a voting member of OCCG (Sch 4 1.2)
        ",
    );

    // Confirmed, but not agreed by the other partner.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-dcc"
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: A. Person: alternative deputy for `occg-ddl` not agreed by the other partner (Sch 4 1.2)
        ",
    );

    // A non-voting member at an otherwise full meeting.
    check(
        &format!(
            r#"{ALL_SIX}
            person = "occ-sca"
            "#
        ),
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl (in person)
        occg-cfo <- occg-cfo (in person)
        not counted: occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)
        ",
    );

    // A member and their nominated deputy both present: the seat counts once, whoever is
    // listed first (Sch 4 1.3).
    check(
        r#"
        person = "occ-cfo-deputy", deputising_for = "occ-cfo"
        person = "occ-cm"
        person = "occ-dass"
        person = "occ-cfo"
        person = "occg-dcc"
        person = "occg-ddl"
        person = "occg-cfo"
        "#,
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl (in person)
        occg-cfo <- occg-cfo (in person)
        not counted: occ-cfo-deputy: the seat of `occ-cfo` is already filled by occ-cfo (in person); a seat counts once (Sch 4 1.3)
        ",
    );

    // The same member listed twice still fills one seat.
    check(
        r#"
        person = "occ-cm"
        person = "occ-cm"
        person = "occg-dcc"
        "#,
        "
        OCC 1, OCCG 1: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- nobody
        occ-cfo <- nobody
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- nobody
        unfilled: occ-dass, occ-cfo, occg-ddl, occg-cfo
        not counted: occ-cm: the seat of `occ-cm` is already filled by occ-cm (in person); a seat counts once (Sch 4 1.3)
        ",
    );

    // The nominated deputy and a valid alternative for the same seat: the nominated deputy
    // fills it, whoever is listed first.
    check(
        &format!(
            r#"{FIVE}
            person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-dcc", agreed_by_other_partner = true
            person = "occg-ddl-deputy", deputising_for = "occg-ddl"
            "#
        ),
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl-deputy (nominated deputy)
        occg-cfo <- occg-cfo (in person)
        not counted: A. Person: the seat of `occg-ddl` is already filled by occg-ddl-deputy (nominated deputy); a seat counts once (Sch 4 1.3)
        ",
    );

    // The nominated deputy needs no confirmation, even if marked as an alternative.
    check(
        &format!(
            r#"{FIVE}
            person = "occg-ddl-deputy", deputising_for = "occg-ddl", alternative = true
            "#
        ),
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl-deputy (nominated deputy)
        occg-cfo <- occg-cfo (in person)
        ",
    );

    // Someone deputising who is neither the nominated deputy nor marked as an alternative.
    check(
        &format!(
            r#"{FIVE}
            person = "C. Person", deputising_for = "occg-ddl"
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: C. Person: not the deputy nominated in writing for `occg-ddl` (who is `occg-ddl-deputy`); an alternative deputy needs `alternative = true` (Sch 4 1.2)
        ",
    );

    // Deputising for a non-voting member (alternative or not), and for someone who is not
    // on the board; an invited guest (Sch 4 8.4).
    check(
        &format!(
            r#"{ALL_SIX}
            person = "D. Person", deputising_for = "occ-sca"
            person = "E. Person", deputising_for = "occg-acfo", alternative = true, confirmed_in_writing_by = "occg-dcc", agreed_by_other_partner = true
            person = "F. Person", deputising_for = "occ-ceo"
            person = "Healthwatch Oxfordshire representative"
            "#
        ),
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- occg-ddl (in person)
        occg-cfo <- occg-cfo (in person)
        not counted: D. Person: deputising for `occ-sca`, a non-voting member: only voting members have deputies (Sch 4 1.2)
        not counted: E. Person: deputising for `occg-acfo`, a non-voting member: only voting members have deputies (Sch 4 1.2)
        not counted: F. Person: deputising for `occ-ceo`, who is not a member of the board
        not counted: Healthwatch Oxfordshire representative: not a member of the board: in attendance only (Sch 4 8.4)
        ",
    );

    // A nominated deputy who turns up for the wrong member.
    check(
        &format!(
            r#"{FIVE}
            person = "occg-cfo-deputy", deputising_for = "occg-ddl"
            "#
        ),
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: occg-cfo-deputy: not the deputy nominated in writing for `occg-ddl` (who is `occg-ddl-deputy`); an alternative deputy needs `alternative = true` (Sch 4 1.2)
        ",
    );
}

#[test]
fn decision_outcomes() {
    #[track_caller]
    fn check(attendees: &str, element_lead: Option<&str>, votes: [&str; 6], expected: &str) {
        let seats = ["occ-cm", "occ-dass", "occ-cfo", "occg-dcc", "occg-ddl", "occg-cfo"];
        let votes: Vec<String> = seats
            .iter()
            .zip(votes)
            .filter(|(_, vote)| !vote.is_empty())
            .map(|(seat, vote)| format!("{seat} = \"{vote}\""))
            .collect();
        let lead = element_lead.map_or(String::new(), |l| format!("element_lead = \"{l}\"\n"));
        let decision =
            format!("[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\n{lead}votes = {{ {} }}\n", votes.join(", "));
        let c = check_text(&meeting_text(attendees, &decision));
        assert_eq!(render_decisions(&c), expected, "{attendees}\n{decision}");
    }
    const FOR: &str = "for";
    const AGAINST: &str = "against";
    const ABSTAIN: &str = "abstain";
    const NONE: &str = "";
    const DEPUTIES: &str = r#"
        person = "occ-cm-deputy", deputising_for = "occ-cm"
        person = "occ-dass"
        person = "occ-cfo"
        person = "occg-dcc"
        person = "A. Person", deputising_for = "occg-ddl", alternative = true, confirmed_in_writing_by = "occg-dcc", agreed_by_other_partner = true
        person = "occg-cfo-deputy", deputising_for = "occg-cfo"
    "#;

    // Unanimous at a quorate meeting (Sch 4 6.1.3); a seat filled by a deputy votes as the
    // seat.
    check(ALL_SIX, None, [FOR; 6], "d1: agreed lead - (Sch 4 6.1)");
    check(DEPUTIES, None, [FOR; 6], "d1: agreed lead - (Sch 4 6.1)");
    check(ALL_SIX, Some("OCCG"), [FOR; 6], "d1: agreed lead - (Sch 4 6.1)"); // no discretion when all agree

    // An abstention or a vote against is not unanimity: not agreed, or the lead
    // commissioner's discretion when the decision is about a service element (Sch 4 6.2).
    let abstain = [FOR, FOR, FOR, FOR, ABSTAIN, FOR];
    check(ALL_SIX, None, abstain, "d1: not-agreed lead - (Sch 4 6.1)");
    check(ALL_SIX, Some("OCC"), abstain, "d1: lead-discretion lead OCC (Sch 4 6.2)");
    let against = [FOR, FOR, FOR, AGAINST, FOR, FOR];
    check(ALL_SIX, None, against, "d1: not-agreed lead - (Sch 4 6.1)");
    check(ALL_SIX, Some("OCCG"), against, "d1: lead-discretion lead OCCG (Sch 4 6.2)");
    check(DEPUTIES, None, [AGAINST; 6], "d1: not-agreed lead - (Sch 4 6.1)");

    // A filled seat that casts no vote has not agreed.
    let silent = [FOR, FOR, NONE, FOR, FOR, FOR];
    check(ALL_SIX, None, silent, "d1: not-agreed lead - (Sch 4 6.1)");
    check(ALL_SIX, Some("OCC"), silent, "d1: lead-discretion lead OCC (Sch 4 6.2)");
    check(ALL_SIX, None, [NONE; 6], "d1: not-agreed lead - (Sch 4 6.1)");

    // At an inquorate meeting every decision is invalid, whatever the votes (Sch 4 6.1.1);
    // the vote of a seat nobody filled is not counted either way.
    check(FIVE, None, [FOR; 6], "d1: invalid lead - (Sch 4 6.1)");
    check(FIVE, Some("OCC"), against, "d1: invalid lead - (Sch 4 6.1)");
    check(FIVE, None, [NONE; 6], "d1: invalid lead - (Sch 4 6.1)");
    check("", None, [FOR; 6], "d1: invalid lead - (Sch 4 6.1)");
}

#[test]
fn agenda_deadline() {
    #[track_caller]
    fn check(meeting: &str, published: Option<&str>, expected: &str) {
        let published = published.map_or(String::new(), |p| format!("agenda_published = {p}\n"));
        let c = check_text(&format!("[meeting]\ndate = {meeting}\n{published}"));
        assert_eq!(render_deadline("agenda", &c.agenda), expected, "meeting {meeting}");
    }

    // An ordinary week: Thursday to the Thursday before.
    check("2016-09-15", Some("2016-09-07"), "agenda due 2016-09-08 done 2016-09-07: on time");
    check("2016-09-15", Some("2016-09-08"), "agenda due 2016-09-08 done 2016-09-08: on time");
    check("2016-09-15", Some("2016-09-09"), "agenda due 2016-09-08 done 2016-09-09: late");
    check("2016-09-15", None, "agenda due 2016-09-08 done -: not yet");
    // Published after the meeting is late too.
    check("2016-09-15", Some("2016-09-16"), "agenda due 2016-09-08 done 2016-09-16: late");
    // Monday: the five working days are the whole week before.
    check("2016-09-19", None, "agenda due 2016-09-12 done -: not yet");

    // Easter 2016: Good Friday 25 March and Easter Monday 28 March are not working days.
    check("2016-03-31", Some("2016-03-22"), "agenda due 2016-03-22 done 2016-03-22: on time");
    check("2016-03-31", Some("2016-03-23"), "agenda due 2016-03-22 done 2016-03-23: late");
    check("2016-04-01", Some("2016-03-23"), "agenda due 2016-03-23 done 2016-03-23: on time");
    check("2016-04-01", Some("2016-03-24"), "agenda due 2016-03-23 done 2016-03-24: late");

    // Christmas 2016: Christmas Day on a Sunday moves to Tuesday 27 December; Boxing Day
    // Monday 26; New Year's Day on a Sunday moves to Monday 2 January 2017.
    check("2017-01-05", Some("2016-12-28"), "agenda due 2016-12-28 done 2016-12-28: on time");
    check("2017-01-05", Some("2016-12-29"), "agenda due 2016-12-28 done 2016-12-29: late");
    check("2017-01-03", None, "agenda due 2016-12-22 done -: not yet");
    check("2016-12-30", None, "agenda due 2016-12-21 done -: not yet");

    // The Platinum Jubilee: the spring holiday moved from Monday 30 May 2022 to Thursday 2
    // June, and Friday 3 June was an extra holiday; 30 May was a working day.
    check("2022-06-07", Some("2022-05-27"), "agenda due 2022-05-27 done 2022-05-27: on time");
    check("2022-06-07", Some("2022-05-30"), "agenda due 2022-05-27 done 2022-05-30: late");
    check("2022-06-09", Some("2022-05-31"), "agenda due 2022-05-31 done 2022-05-31: on time");
    check("2022-06-09", Some("2022-06-01"), "agenda due 2022-05-31 done 2022-06-01: late");

    // VE Day 2020: the early May holiday moved from Monday 4 May to Friday 8 May.
    check("2020-05-14", None, "agenda due 2020-05-06 done -: not yet");
    check("2020-05-11", None, "agenda due 2020-05-01 done -: not yet");
}

#[test]
fn minutes_deadline() {
    #[track_caller]
    fn check(meeting: &str, circulated: Option<&str>, expected: &str) {
        let circulated = circulated.map_or(String::new(), |p| format!("minutes_circulated = {p}\n"));
        let c = check_text(&format!("[meeting]\ndate = {meeting}\n{circulated}"));
        assert_eq!(render_deadline("minutes", &c.minutes), expected, "meeting {meeting}");
    }

    check("2016-09-15", Some("2016-09-28"), "minutes due 2016-09-29 done 2016-09-28: on time");
    check("2016-09-15", Some("2016-09-29"), "minutes due 2016-09-29 done 2016-09-29: on time");
    check("2016-09-15", Some("2016-09-30"), "minutes due 2016-09-29 done 2016-09-30: late");
    check("2016-09-15", None, "minutes due 2016-09-29 done -: not yet");
    // Calendar days, across the end of a month and of a year.
    check("2016-09-20", Some("2016-10-04"), "minutes due 2016-10-04 done 2016-10-04: on time");
    check("2016-12-22", Some("2017-01-06"), "minutes due 2017-01-05 done 2017-01-06: late");
    // February in a leap year and in a common year (2016-02-20 is a Saturday: a warning,
    // but the deadline still stands).
    check("2016-02-20", Some("2016-03-05"), "minutes due 2016-03-05 done 2016-03-05: on time");
    check("2017-02-20", Some("2017-03-06"), "minutes due 2017-03-06 done 2017-03-06: on time");
    check("2017-02-20", Some("2017-03-07"), "minutes due 2017-03-06 done 2017-03-07: late");
    check("2017-02-20", None, "minutes due 2017-03-06 done -: not yet");
}

#[test]
fn the_example_meetings() {
    #[track_caller]
    fn check(text: &str, expected: &str) {
        let c = check_text(text);
        let got = [
            render_attendance(&c),
            render_decisions(&c),
            render_deadline("agenda", &c.agenda),
            render_deadline("minutes", &c.minutes),
        ];
        assert_eq!(got.join("\n"), lines(expected));
    }

    check(
        MEETING,
        "
        OCC 3, OCCG 3: quorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass-deputy (nominated deputy)
        occ-cfo <- occ-cfo (in person)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- A. Person (alternative deputy)
        occg-cfo <- occg-cfo-deputy (nominated deputy)
        not counted: occ-cfo-deputy: the seat of `occ-cfo` is already filled by occ-cfo (in person); a seat counts once (Sch 4 1.3)
        not counted: B. Person: alternative deputy for `occ-dass` not agreed by the other partner (Sch 4 1.2)
        not counted: occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)
        not counted: Healthwatch Oxfordshire representative: not a member of the board: in attendance only (Sch 4 8.4)
        d1: agreed lead - (Sch 4 6.1)
        d2: lead-discretion lead OCC (Sch 4 6.2)
        d3: not-agreed lead - (Sch 4 6.1)
        agenda due 2016-09-08 done 2016-09-07: on time
        minutes due 2016-09-29 done 2016-09-28: on time
        ",
    );
    check(
        INQUORATE,
        "
        OCC 3, OCCG 2: inquorate
        occ-cm <- occ-cm (in person)
        occ-dass <- occ-dass (in person)
        occ-cfo <- occ-cfo-deputy (nominated deputy)
        occg-dcc <- occg-dcc (in person)
        occg-ddl <- nobody
        occg-cfo <- occg-cfo (in person)
        unfilled: occg-ddl
        not counted: C. Person: not the deputy nominated in writing for `occg-ddl` (who is `occg-ddl-deputy`); an alternative deputy needs `alternative = true` (Sch 4 1.2)
        d1: invalid lead - (Sch 4 6.1)
        agenda due 2016-12-28 done 2016-12-29: late
        minutes due 2017-01-19 done 2017-01-20: late
        ",
    );
}

/// Every diagnostic from reading `text` as a meeting of the Oxfordshire board, rendered;
/// reading fails exactly when one of them is an error.
#[track_caller]
fn check_diagnostics(agreement: &Agreement, text: &str, expected: &[&str]) {
    let (failed, diagnostics) = match Meeting::parse(text, agreement) {
        Ok((_, warnings)) => (false, warnings),
        Err(errors) => (true, errors),
    };
    assert_eq!(render_all(&diagnostics, text), expected, "in\n{text}");
    assert_eq!(failed, expected.iter().any(|e| e.contains(": error: ")), "in\n{text}");
}

#[test]
fn meeting_file_errors() {
    #[track_caller]
    fn check(text: &str, expected: &[&str]) {
        check_diagnostics(oxfordshire(), text, expected);
    }

    check("[meeting]\ndate = 2016-09-15\n", &[]);
    check(&meeting_text(ALL_SIX, ""), &[]);

    // Votes by a seat that is not a voting seat: a non-voting member, a deputy (votes are
    // keyed by the seat), and someone unknown.
    check(
        "[meeting]
date = 2016-09-15
[[meeting.decision]]
id = \"d1\"
subject = \"s\"
votes = { occ-cm = \"for\", occ-sca = \"for\", occ-cm-deputy = \"for\", nobody = \"against\" }
",
        &[
            "m.toml:6:27: error: `occ-sca` is not a voting seat of the board, so it cannot vote",
            "m.toml:6:44: error: `occ-cm-deputy` is not a voting seat of the board, so it cannot vote",
            "m.toml:6:67: error: `nobody` is not a voting seat of the board, so it cannot vote",
        ],
    );

    // A vote that is not for, against or abstain.
    check(
        "[meeting]
date = 2016-09-15
[[meeting.decision]]
id = \"d1\"
subject = \"s\"
votes = { occ-cm = \"yes\" }
",
        &["m.toml:6:20: error: unknown variant `yes`, expected one of `for`, `against`, `abstain`"],
    );

    // An element lead that is not a partner.
    check(
        "[meeting]
date = 2016-09-15
[[meeting.decision]]
id = \"d1\"
subject = \"s\"
element_lead = \"NHS\"
votes = { occ-cm = \"for\" }
",
        &["m.toml:6:16: error: unknown partner `NHS` (partners are OCC, OCCG)"],
    );

    // A decision id used twice: the second is the error.
    check(
        "[meeting]
date = 2016-09-15
[[meeting.decision]]
id = \"d1\"
subject = \"s\"
[[meeting.decision]]
id = \"d1\"
subject = \"t\"
",
        &["m.toml:7:6: error: duplicate decision id `d1`"],
    );

    // Several problems at once come in file order.
    check(
        "[meeting]
date = 2016-09-15
[[meeting.decision]]
id = \"d1\"
subject = \"s\"
element_lead = \"NHS\"
votes = { occ-sca = \"for\" }
[[meeting.decision]]
id = \"d1\"
subject = \"t\"
",
        &[
            "m.toml:6:16: error: unknown partner `NHS` (partners are OCC, OCCG)",
            "m.toml:7:11: error: `occ-sca` is not a voting seat of the board, so it cannot vote",
            "m.toml:9:6: error: duplicate decision id `d1`",
        ],
    );

    // Unknown keys (serde's message), a missing date, a date with a time or that does not
    // exist.
    check(
        "[meeting]\ndate = 2016-09-15\nchair = \"occ-cm\"\n",
        &[
            "m.toml:3:1: error: unknown field `chair`, expected one of `date`, `agenda_published`, `minutes_circulated`, `attendee`, `item`, `decision`, `view`",
        ],
    );
    check(
        "[meeting]\ndate = 2016-09-15\n[[meeting.attendee]]\nperson = \"occ-cm\"\ndeputy_for = \"occ-cfo\"\n",
        &[
            "m.toml:5:1: error: unknown field `deputy_for`, expected one of `person`, `deputising_for`, `alternative`, `confirmed_in_writing_by`, `agreed_by_other_partner`",
        ],
    );
    check(
        "[meeting]\ndate = 2016-09-15\n[[meeting.decision]]\nid = \"d1\"\nsubject = \"s\"\nvote = { occ-cm = \"for\" }\n",
        &[
            "m.toml:6:1: error: unknown field `vote`, expected one of `id`, `subject`, `item`, `ratifies`, `element_lead`, `votes`",
        ],
    );
    check("[meeting]\nagenda_published = 2016-09-07\n", &["m.toml:1:1: error: missing field `date`"]);
    check(
        "[meeting]\ndate = 2016-09-15T10:00:00\n",
        &["m.toml:2:8: error: expected a date such as 2016-04-01, without a time"],
    );
    check(
        "[meeting]\ndate = 2016-09-15\nminutes_circulated = \"29 September\"\n",
        &["m.toml:3:22: error: invalid date `29 September`: expected YYYY-MM-DD, e.g. 2016-09-15"],
    );
    check(
        "[meeting]\ndate = \"2017-02-29\"\n",
        &["m.toml:2:8: error: invalid date `2017-02-29`: February 2017 has 28 days"],
    );
    check("", &["m.toml:1:1: error: missing field `meeting`"]);
    check("date = 2016-09-15\n", &["m.toml:1:1: error: unknown field `date`, expected `meeting`"]);
    check("[meeting\ndate = 2016-09-15\n", &["m.toml:1:9: error: unclosed table, expected `]`"]);
}

#[test]
fn meeting_date_warnings() {
    #[track_caller]
    fn check(date: &str, expected: &[&str]) {
        check_diagnostics(oxfordshire(), &format!("[meeting]\ndate = {date}\n"), expected);
    }

    check("2016-09-15", &[]);
    check(
        "2016-09-17",
        &["m.toml:1:1: warning: the meeting date 2016-09-17 is not a working day in the england-and-wales calendar"],
    );
    check(
        "2016-09-18",
        &["m.toml:1:1: warning: the meeting date 2016-09-18 is not a working day in the england-and-wales calendar"],
    );
    check(
        "2016-03-25",
        &["m.toml:1:1: warning: the meeting date 2016-03-25 is not a working day in the england-and-wales calendar"],
    );
    check(
        "2016-12-27",
        &["m.toml:1:1: warning: the meeting date 2016-12-27 is not a working day in the england-and-wales calendar"],
    );
    check(
        "2022-06-03",
        &["m.toml:1:1: warning: the meeting date 2022-06-03 is not a working day in the england-and-wales calendar"],
    );
    // The spring holiday of 2022 moved away from Monday 30 May.
    check("2022-05-30", &[]);
}

#[test]
fn an_agreement_without_a_board_has_no_meetings() {
    let text = include_str!("../../../../examples/oxfordshire-2022-23.toml");
    let (agreement, _) = Agreement::parse(text).expect("the 2022-23 example parses");
    check_diagnostics(
        &agreement,
        "[meeting]\ndate = 2022-09-15\n",
        &["m.toml:1:1: error: the agreement has no [board], so it has no meetings to check"],
    );
}

// ---- properties ----

/// Fragments of meeting files, so that generated text often gets past the TOML parser.
#[rustfmt::skip]
const FRAGMENTS: &[&str] = &[
    "[meeting]\n", "[[meeting.attendee]]\n", "[[meeting.decision]]\n", "\n", " = ", ", ", "{ ", " }",
    "[", "]", "\"", "date", "agenda_published", "minutes_circulated", "person", "deputising_for",
    "alternative", "confirmed_in_writing_by", "agreed_by_other_partner", "id", "subject",
    "element_lead", "votes", "true", "false", "2016-09-15", "2016-03-25", "2016-09-15T10:00:00",
    "\"2017-02-29\"", "\"OCC\"", "\"OCCG\"", "\"d1\"", "\"for\"", "\"against\"", "\"abstain\"",
    "occ-cm", "occg-dcc", "occ-sca", "\"occ-cm\"", "\"occg-ddl\"", "\"occg-ddl-deputy\"", "0", "£",
    "[[meeting.item]]\n", "[[meeting.item.paper]]\n", "[[meeting.view]]\n", "item", "ratifies", "title",
    "confidential", "published", "text", "decision", "1", "-1", "\"u1\"",
];

fn member_ids() -> Vec<String> {
    board().members.iter().map(|m| m.id.clone()).collect()
}

/// Parsing never panics, and every diagnostic points into the text and renders.
fn parse_is_total(text: &str) -> Result<(), TestCaseError> {
    let diagnostics = match Meeting::parse(text, oxfordshire()) {
        Ok((meeting, warnings)) => {
            // A meeting that reads can always be checked.
            let c = check_meeting(oxfordshire(), board(), &meeting);
            prop_assert_eq!(c.decisions.len(), meeting.decisions.len());
            warnings
        }
        Err(errors) => {
            prop_assert!(errors.iter().any(Diagnostic::is_error));
            errors
        }
    };
    for d in &diagnostics {
        prop_assert!(d.span.start <= d.span.end && d.span.end <= text.len(), "{d:?}");
        prop_assert!(d.render("m.toml", text).starts_with("m.toml:"));
    }
    Ok(())
}

proptest! {
    #[test]
    fn parse_never_panics_on_any_text(text in any::<String>()) {
        parse_is_total(&text)?;
    }

    #[test]
    fn parse_never_panics_on_meeting_like_text(
        parts in prop::collection::vec(prop::sample::select(FRAGMENTS), 0..60),
    ) {
        parse_is_total(&parts.concat())?;
    }

    /// With members attending in person in any order, a partner's seats filled are its
    /// voting members present, quorate iff both partners have at least three, and exactly
    /// the non-voting members present are not counted.
    #[test]
    fn seats_filled_are_the_voting_members_present(
        present in prop::sample::subsequence(member_ids(), 0..=14).prop_shuffle(),
    ) {
        let attendees: String = present.iter().map(|p| format!("person = \"{p}\"\n")).collect();
        let c = check_text(&meeting_text(&attendees, ""));
        let members = &board().members;
        let voting_present = |ix: PartnerIx| {
            members.iter().filter(|m| m.voting && m.partner == ix && present.contains(&m.id)).count()
        };
        let expected: Vec<u32> =
            [0, 1].map(|ix| u32::try_from(voting_present(ix)).expect("at most 14")).to_vec();
        prop_assert_eq!(&c.seats_filled, &expected);
        prop_assert_eq!(c.quorate, expected[0] >= 3 && expected[1] >= 3);
        let unfilled: Vec<&str> = c.unfilled().map(|s| s.member.as_str()).collect();
        let absent: Vec<&str> =
            members.iter().filter(|m| m.voting && !present.contains(&m.id)).map(|m| m.id.as_str()).collect();
        prop_assert_eq!(unfilled, absent);
        let not_counted: Vec<&str> = c.not_counted.iter().map(|n| n.person.as_str()).collect();
        let non_voting: Vec<&str> = present
            .iter()
            .filter(|p| members.iter().any(|m| !m.voting && m.id == **p))
            .map(String::as_str)
            .collect();
        prop_assert_eq!(not_counted, non_voting);
    }

    /// Each voting seat is absent, taken in person, by the nominated deputy, by both, by a
    /// valid alternative, or by an invalid one, listed in any order: a seat is filled unless
    /// it is absent or has only the invalid alternative, and it counts once.
    #[test]
    fn each_seat_counts_once_whoever_comes((ways, lines) in seats_taken()) {
        let c = check_text(&meeting_text(&lines.join("\n"), ""));
        let mut expected = vec![0u32; 2];
        for (seat, way) in board().members.iter().filter(|m| m.voting).zip(&ways) {
            let filled = !matches!(way, Way::Absent | Way::InvalidAlternative);
            expected[seat.partner] += u32::from(filled);
        }
        prop_assert_eq!(&c.seats_filled, &expected);
        prop_assert_eq!(c.quorate, expected.iter().all(|n| *n >= 3));
        let extra = ways.iter().filter(|w| matches!(w, Way::Both | Way::InvalidAlternative)).count();
        prop_assert_eq!(c.not_counted.len(), extra);
    }
}

#[derive(Clone, Copy, Debug)]
enum Way {
    Absent,
    InPerson,
    Nominated,
    Both,
    ValidAlternative,
    InvalidAlternative,
}

/// How each of the six voting seats is taken, and the attendee lines that say so, shuffled.
fn seats_taken() -> impl Strategy<Value = (Vec<Way>, Vec<String>)> {
    use Way::*;
    let way = prop::sample::select(vec![Absent, InPerson, Nominated, Both, ValidAlternative, InvalidAlternative]);
    prop::collection::vec(way, 6).prop_flat_map(|ways| {
        let seats: Vec<&Member> = board().members.iter().filter(|m| m.voting).collect();
        let mut lines = Vec::new();
        for (seat, way) in seats.iter().zip(&ways) {
            let id = &seat.id;
            let in_person = format!("person = \"{id}\"");
            let deputy = seat.deputy.as_deref().expect("every voting member has a deputy");
            let nominated = format!("person = \"{deputy}\", deputising_for = \"{id}\"");
            let confirmer = seats.iter().find(|m| m.partner == seat.partner && m.id != *id).expect("three a partner");
            let alternative = |agreed: bool| {
                format!(
                    "person = \"alternative for {id}\", deputising_for = \"{id}\", alternative = true, \
                     confirmed_in_writing_by = \"{}\", agreed_by_other_partner = {agreed}",
                    confirmer.id
                )
            };
            match way {
                Absent => {}
                InPerson => lines.push(in_person),
                Nominated => lines.push(nominated),
                Both => lines.extend([nominated, in_person]),
                ValidAlternative => lines.push(alternative(true)),
                InvalidAlternative => lines.push(alternative(false)),
            }
        }
        (Just(ways), Just(lines).prop_shuffle())
    })
}
