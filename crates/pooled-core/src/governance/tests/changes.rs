//! Changes to the board's records as a form gives them: each is built from its fields
//! ([`Given`]) and applied to the Oxfordshire register of 2016-17, or to the example
//! meeting of 2016-09-15; the result is read back from the file the records are saved as.

use super::*;
use crate::calendar::FinancialYear;

fn year() -> FinancialYear {
    oxfordshire().financial_year()
}

fn constituted() -> Register {
    match Register::new(board().clone(), year().first_day(), Vec::new(), Vec::new()) {
        Ok(register) => register,
        Err(e) => panic!("{e:?}"),
    }
}

/// `seat=occ-cm; deputy=Jo` as a form's fields.
fn given(fields: &str) -> Given<'_> {
    Given::new(fields.split(';').filter(|f| !f.trim().is_empty()).map(|f| {
        let (name, value) = f.split_once('=').unwrap_or((f, ""));
        (name.trim(), value)
    }))
}

/// The outcome of a change: the saved file's text, or the problems joined by lines.
fn outcome(made: Result<String, Vec<String>>, expected: Result<&str, &str>, what: &str) {
    match (made, expected) {
        (Ok(text), Ok(expected)) => assert!(text.contains(expected), "{what}: no `{expected}` in\n{text}"),
        (Err(problems), Err(expected)) => {
            let problems = problems.join("\n");
            assert!(problems.contains(expected), "{what}: no `{expected}` in\n{problems}");
        }
        (made, expected) => panic!("{what}: {made:?}, expected {expected:?}"),
    }
}

#[test]
fn ids() {
    fn check(text: &str, expected: Result<(), &str>) {
        match (Id::parse(text), expected) {
            (Ok(id), Ok(())) => assert_eq!(id.as_str(), text),
            (Err(e), Err(expected)) => assert_eq!(e, expected, "{text:?}"),
            (got, expected) => panic!("{text:?}: {got:?}, expected {expected:?}"),
        }
    }
    check("occ-cm", Ok(()));
    check("d1", Ok(()));
    check("BOB-ICB", Ok(()));
    check("a_1.2", Ok(()));
    check(&"x".repeat(MAX_ID_LEN), Ok(()));
    check("", Err("an id cannot be empty"));
    check(&"x".repeat(MAX_ID_LEN + 1), Err("an id has at most 64 characters, not 65"));
    check("occ cm", Err("`occ cm` is not an id: use letters, digits, `-`, `_` or `.` (not ' ')"));
    check("d\"1", Err("`d\"1` is not an id: use letters, digits, `-`, `_` or `.` (not '\"')"));
    check("sé", Err("`sé` is not an id: use letters, digits, `-`, `_` or `.` (not 'é')"));
}

#[test]
fn register_changes() {
    fn check(action: &str, fields: &str, expected: Result<&str, &str>) {
        let register = constituted();
        let made = RegisterChange::parse(action, &given(fields))
            .and_then(|change| register.apply(oxfordshire(), change))
            .map(|changed| changed.to_toml(oxfordshire()));
        outcome(made, expected, &format!("{action} {fields}"));
    }
    let nominate = "seat=occ-cm; deputy=Jo Bloggs; nominated_on=2016-05-03";
    check("nominate", nominate, Ok("deputy = \"Jo Bloggs\""));
    check("nominate", "seat=occ-cm; deputy=Jo; nominated_on=3 May", Err("nominated_on: "));
    check("nominate", "seat=occ-cm; nominated_on=2016-05-03", Err("deputy: required"));
    check("nominate", "seat=occ cm; deputy=Jo; nominated_on=2016-05-03", Err("seat: `occ cm` is not an id"));
    check("nominate", "seat=occ-ddjc; deputy=Jo; nominated_on=2016-05-03", Err("not a voting seat"));
    let seat = "seat=occ-cm; person=Ann; role=Director; partner=OCC; voting=yes; notified_on=2016-06-01";
    check("change", &format!("{seat}; from=2016-06-02"), Ok("person = \"Ann\""));
    check("change", &format!("{seat}; from=2016-05-31"), Err("before its written notification"));
    check("change", "seat=occ-cm; notified_on=2016-06-01; from=2016-06-02", Ok("seat = \"occ-cm\""));
    check(
        "change",
        "seat=occ-cm; person=Ann; partner=OCC; notified_on=2016-06-01; from=2016-06-02",
        Err("role: required"),
    );
    let nobody = "seat=new; person=Ann; role=Director; partner=NHS; notified_on=2016-06-01; from=2016-06-02";
    check("change", nobody, Err("partner: unknown partner `NHS` (partners are OCC, OCCG)"));
    check("change", "seat=; notified_on=2016-06-01; from=2016-06-02", Err("seat: required"));
    check("urgent", "subject=Winter beds; taken_on=2016-12-20; vote:occ-cm=for; vote:occg-ddl=", Ok("id = \"u1\""));
    check(
        "urgent",
        "subject=Winter beds; taken_on=2016-12-20; vote:occ-cm=maybe",
        Err("vote:occ-cm: `maybe` is not a vote"),
    );
    check(
        "urgent",
        "subject=Winter beds; taken_on=2016-12-20; element_lead=LA",
        Err("element_lead: unknown partner `LA` (partners are OCC, OCCG)"),
    );
    check("urgent", "subject=Winter beds; taken_on=2016-12-20; vote:occ-ddjc=for", Err("occ-ddjc"));
    let body =
        "name=Joint Board; notified_on=2016-10-01; from=2016-10-03; agenda_working_days=5; minutes_within_days=14";
    check("reconstitute", &format!("{body}; quorum_per_partner=2"), Ok("name = \"Joint Board\""));
    check("reconstitute", &format!("{body}; quorum_per_partner=two"), Err("quorum_per_partner: give a whole number"));
    check("reconstitute", &format!("{body}; quorum_per_partner=0"), Err("quorum"));
    check("resign", "", Err("no such change to the register: `resign`"));
}

#[test]
fn report_changes() {
    fn check(action: &str, fields: &str, expected: Result<&str, &str>) {
        let register = constituted();
        let meetings = [Date::parse_iso("2016-09-15").expect("a date")];
        let raised = register
            .apply_report(
                oxfordshire(),
                ReportChange::parse("raise", &given("pool=LD; month=M5; raised_on=2016-09-01; description=Plan"))
                    .expect("a plan"),
                &meetings,
            )
            .expect("raised");
        let made = ReportChange::parse(action, &given(fields))
            .and_then(|change| raised.apply_report(oxfordshire(), change, &meetings))
            .map(|changed| changed.to_toml(oxfordshire()));
        outcome(made, expected, &format!("{action} {fields}"));
    }
    check("circulate", "month=M5; circulated_on=2016-09-10", Ok("circulated_on = 2016-09-10"));
    check("circulate", "month=M13; circulated_on=2016-09-10", Err("month: "));
    check("raise", "pool=OP; line=home-support; month=M6; raised_on=2016-10-01; description=Beds", Ok("id = \"a2\""));
    check(
        "raise",
        "pool=XX; month=M6; raised_on=2016-10-01; description=Beds",
        Err("pool `XX`, which the agreement does not have"),
    );
    check(
        "raise",
        "pool=OP; line=bedz; month=M6; raised_on=2016-10-01; description=Beds",
        Err("line `bedz`, which pool OP does not have"),
    );
    check("raise", "pool=OP; month=M6; raised_on=2016-10-01", Err("description: required"));
    check("close", "id=a1; closed_on=2016-10-01", Ok("closed_on = 2016-10-01"));
    check("close", "id=a1; closed_on=2016-08-01", Err("before"));
    check("close", "id=a9; closed_on=2016-10-01", Err("id: there is no action plan `a9`"));
    check("report", "id=a1; reported_at=2016-09-15", Ok("reported_at = 2016-09-15"));
    check(
        "report",
        "id=a1; reported_at=2016-09-16",
        Err("reported_at: there is no meeting of the board on 2016-09-16 in 2016-17"),
    );
    check("report", "reported_at=2016-09-15", Err("id: required"));
    check("forget", "", Err("no such change to the reports: `forget`"));
}

#[test]
fn meeting_changes() {
    fn check(action: &str, fields: &str, expected: Result<&str, &str>) {
        let (meeting, _) = Meeting::parse(MEETING, oxfordshire()).expect("the example meeting");
        let with_item = meeting
            .apply(oxfordshire(), MeetingChange::parse("item", &given("title=Finance")).expect("an item"))
            .expect("an item added");
        let made = MeetingChange::parse(action, &given(fields))
            .and_then(|change| with_item.apply(oxfordshire(), change))
            .map(|changed| changed.to_toml(oxfordshire()));
        outcome(made, expected, &format!("{action} {fields}"));
    }
    check("attend", "person=Sam; deputising_for=occ-cm; alternative=yes", Ok("person = \"Sam\""));
    check("attend", "deputising_for=occ-cm", Err("person: required"));
    check("attend", "person=Sam; deputising_for=occ cm", Err("deputising_for: `occ cm` is not an id"));
    check("item", "title=Risks; confidential=yes", Ok("confidential = true"));
    check("item", "title= ", Err("title: required"));
    check("paper", "item=1; title=M5 report; published=2016-09-07", Ok("published = 2016-09-07"));
    check("paper", "item=2; title=M5 report", Err("item: there is no item 2"));
    check("paper", "item=0; title=M5 report", Err("item: `0` is not an item number"));
    check("paper", "item=one; title=M5 report", Err("item: `one` is not an item number"));
    check("paper", "title=M5 report", Err("item: required"));
    check("decision", "subject=Approve; item=1; vote:occ-cm=for", Ok("id = \"d4\""));
    check(
        "decision",
        "subject=Approve; element_lead=XX",
        Err("element_lead: unknown partner `XX` (partners are OCC, OCCG)"),
    );
    check("decision", "item=1", Err("subject: required"));
    check("view", "person=Sam; text=Agrees; decision=d1", Ok("text = \"Agrees\""));
    check("view", "person=Sam; text=Agrees; decision=d 1", Err("decision: `d 1` is not an id"));
    check("dates", "agenda_published=2016-09-01", Ok("agenda_published = 2016-09-01"));
    check("dates", "agenda_published=1 Sept", Err("agenda_published: "));
    check("minute", "", Err("no such change to a meeting: `minute`"));
}

#[test]
fn meetings_are_scheduled_in_their_year() {
    fn check(date: &str, expected: Result<(), &str>) {
        let date = Date::parse_iso(date).expect("a date");
        match (Meeting::scheduled(year(), date), expected) {
            (Ok(meeting), Ok(())) => assert_eq!((meeting.date, meeting.attendees.len()), (date, 0)),
            (Err(e), Err(expected)) => assert_eq!(e, vec![expected.to_string()]),
            (got, expected) => panic!("{date}: {got:?}, expected {expected:?}"),
        }
    }
    check("2016-04-01", Ok(()));
    check("2017-03-31", Ok(()));
    check("2017-04-01", Err("2017-04-01 is not in the financial year 2016-17"));
    check("2016-03-31", Err("2016-03-31 is not in the financial year 2016-17"));
}

#[test]
fn the_version_a_form_was_drawn_from() {
    fn check(fields: &str, expected: Result<Option<u32>, &str>) {
        assert_eq!(given(fields).version(), expected.map_err(str::to_string), "{fields}");
    }
    check("", Ok(None));
    check("version= ", Ok(None));
    check("version=7", Ok(Some(7)));
    check("version=seven", Err("version: `seven` is not a version"));
}
