//! The board's decision log (`/board/{year}/decisions`) and the deadlines view
//! (`/deadlines`), read from meetings recorded through the board's forms: the engine's
//! outcomes and the filters, a confidential decision kept from those who are not members
//! in the page and in its downloads, working days counted over Christmas, and neither
//! route writing anything. On SQLite and PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::*;
use pooled_core::calendar::{Calendar, Date};

on_both_backends!(
    decisions_are_listed_with_the_engines_outcomes_and_filtered,
    a_confidential_decision_is_shown_only_to_the_boards_members,
    deadlines_count_working_days_and_flag_the_overdue,
    a_viewer_reads_both_pages_and_neither_route_writes,
    urgent_decisions_wait_for_ratification_in_the_log_and_the_deadlines,
    a_circulated_monthly_report_is_done,
    an_action_plan_is_due_at_the_next_meeting,
    without_a_day_deadlines_stand_as_on_today_in_england,
);

const VOTING: [&str; 6] = ["occ-cm", "occ-dass", "occ-cfo", "occg-dcc", "occg-ddl", "occg-cfo"];

fn meeting_path(date: &str) -> String {
    format!("/agreements/oxon-s75/2016-17/board/meetings/{date}")
}

fn day(text: &str) -> Date {
    Date::parse_iso(text).expect("date")
}

/// A meeting on `date`, scheduled through the board page's form.
fn schedule(site: &Site, date: &str) {
    let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/meetings", &[("date", date)]);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
}

/// One change to the meeting through its page's forms, made to the version shown.
fn edit(site: &Site, date: &str, fields: &[(&str, &str)]) {
    let path = meeting_path(date);
    let version = hidden_field(&site.get(&path).text(), "version").expect("a form with the version");
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    let page = site.post_as("manager", &path, &all);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{fields:?}: {}", page.text());
}

fn attend(site: &Site, date: &str, seats: &[&str]) {
    for seat in seats {
        edit(site, date, &[("action", "attend"), ("person", seat)]);
    }
}

/// A decision with each voting seat's vote (`for` unless named in `others`).
fn decide(site: &Site, date: &str, subject: &str, lead: &str, others: &[(&str, &str)]) {
    decide_with(site, date, &[("subject", subject), ("element_lead", lead)], others);
}

/// A decision with more of the form's fields (`item`, `ratifies`).
fn decide_with(site: &Site, date: &str, fields: &[(&str, &str)], others: &[(&str, &str)]) {
    let votes = votes(others);
    let mut all = vec![("action", "decision")];
    all.extend_from_slice(fields);
    all.extend(votes.iter().map(|(k, v)| (k.as_str(), *v)));
    edit(site, date, &all);
}

fn votes<'a>(others: &[(&str, &'a str)]) -> Vec<(String, &'a str)> {
    VOTING
        .iter()
        .map(|seat| {
            let vote = others.iter().find(|(s, _)| s == seat).map_or("for", |(_, v)| *v);
            (format!("vote:{seat}"), vote)
        })
        .collect()
}

/// An urgent decision taken outside a meeting, through the board page's register form.
fn urgent(site: &Site, subject: &str, taken_on: &str) {
    let version = hidden_field(&site.get("/agreements/oxon-s75/2016-17/board").text(), "version")
        .expect("the register's version");
    let votes = votes(&[]);
    let mut fields =
        vec![("version", version.as_str()), ("action", "urgent"), ("subject", subject), ("taken_on", taken_on)];
    fields.extend(votes.iter().map(|(k, v)| (k.as_str(), *v)));
    let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/register", &fields);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
}

/// The body rows of the table `id`, each cell's text.
fn rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let table = table_html(html, id);
    let body = &table[table.find("<tbody").expect("a body")..];
    body.match_indices("<tr").map(|(at, _)| row_cells_at(body, at + 3)).collect()
}

fn decisions_are_listed_with_the_engines_outcomes_and_filtered(site: Site) {
    // A quorate meeting: unanimous, not unanimous on OCC's element, and not unanimous
    // with no element named.
    schedule(&site, "2016-09-15");
    attend(&site, "2016-09-15", &VOTING);
    decide(&site, "2016-09-15", "Approve the Q2 action plan", "", &[]);
    decide(&site, "2016-09-15", "Extend the home support contract", "OCC", &[("occg-ddl", "abstain")]);
    decide(&site, "2016-09-15", "Move the BCF budget", "", &[("occ-cfo", "against")]);
    // An inquorate one: whatever the votes, invalid.
    schedule(&site, "2016-12-15");
    attend(&site, "2016-12-15", &["occ-cm", "occg-cfo"]);
    decide(&site, "2016-12-15", "Approve the winter plan", "", &[]);

    let html = site.get("/agreements/oxon-s75/2016-17/board/decisions").text();
    let expected = [
        ("2016-09-15", "d1", "Approve the Q2 action plan", "", "agreed", "Sch 4 6.1"),
        ("2016-09-15", "d2", "Extend the home support contract", "OCC", "lead-discretion (OCC)", "Sch 4 6.2"),
        ("2016-09-15", "d3", "Move the BCF budget", "", "not-agreed", "Sch 4 6.1"),
        ("2016-12-15", "d1", "Approve the winter plan", "", "invalid", "Sch 4 6.1"),
    ];
    let got = rows(&html, "decisions");
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for (row, (date, id, subject, lead, outcome, clause)) in got.iter().zip(expected) {
        assert_eq!(row[0], date);
        assert_eq!(row[1], format!("meeting of {date}"));
        assert_eq!((row[2].as_str(), row[3].as_str(), row[5].as_str()), (id, subject, lead));
        assert_eq!((row[7].as_str(), row[8].as_str()), (outcome, clause), "{subject}");
    }
    assert!(html.contains(&format!("href=\"{}\"", meeting_path("2016-09-15"))), "the date links to the meeting");
    assert_eq!(got[1][6], "5 for; 1 abstain: occg-ddl");
    assert_eq!(got[2][6], "5 for; 1 against: occ-cfo");
    // The same outcomes as the engine gives from the stored meetings.
    let records = pooled_app::board::records(&*site.store(), &oxon()).expect("records");
    let engine: Vec<&str> =
        records.meetings.iter().flat_map(|m| m.check.decisions.iter().map(|d| d.outcome.name())).collect();
    let shown: Vec<&str> = got.iter().map(|r| r[7].split(' ').next().unwrap_or("")).collect();
    assert_eq!(shown, engine);

    // The filters: by outcome, by words of the subject (any case), and both.
    for (query, subjects) in [
        ("?outcome=lead-discretion", &["Extend the home support contract"][..]),
        ("?outcome=invalid", &["Approve the winter plan"][..]),
        ("?outcome=ratified", &[][..]),
        ("?q=APPROVE", &["Approve the Q2 action plan", "Approve the winter plan"][..]),
        ("?outcome=agreed&q=approve", &["Approve the Q2 action plan"][..]),
        (
            "?outcome=&q=",
            &[
                "Approve the Q2 action plan",
                "Extend the home support contract",
                "Move the BCF budget",
                "Approve the winter plan",
            ][..],
        ),
    ] {
        let html = site.get(&format!("/agreements/oxon-s75/2016-17/board/decisions{query}")).text();
        let got: Vec<String> = rows(&html, "decisions").into_iter().map(|r| r[3].clone()).collect();
        assert_eq!(got, subjects, "{query}");
    }
    let page = site.get("/agreements/oxon-s75/2016-17/board/decisions?outcome=maybe");
    assert_eq!(page.status, StatusCode::BAD_REQUEST);

    // The download holds what the filtered page shows.
    let csv = site.get("/agreements/oxon-s75/2016-17/board/decisions?outcome=not-agreed&format=csv&table=decisions");
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().expect("ASCII").starts_with("text/csv"));
    let csv = csv_rows(&csv.body);
    assert_eq!(csv[0][..4], ["Date", "Meeting", "Id", "Subject"]);
    assert_eq!(csv.len(), 2, "{csv:?}");
    assert_eq!(csv[1][3], "Move the BCF budget");
    assert_eq!(csv[1][7], "not-agreed");
    let xlsx = site.get("/agreements/oxon-s75/2016-17/board/decisions?format=xlsx&table=decisions");
    assert_eq!(xlsx.status, StatusCode::OK);
    let cells = xlsx_cells(&site, &xlsx.body, "decisions");
    assert!(cells.iter().any(|r| r.iter().any(|c| c == "Approve the winter plan")), "{cells:?}");
}

fn a_confidential_decision_is_shown_only_to_the_boards_members(site: Site) {
    let date = "2016-09-15";
    schedule(&site, date);
    attend(&site, date, &VOTING);
    edit(&site, date, &[("action", "item"), ("title", "Budget monitoring")]);
    edit(&site, date, &[("action", "item"), ("title", "Provider in difficulty"), ("confidential", "yes")]);
    decide_with(&site, date, &[("subject", "Note the budget position"), ("item", "1")], &[]);
    decide_with(
        &site,
        date,
        &[("subject", "Support the failing provider"), ("element_lead", "OCC"), ("item", "2")],
        &[],
    );

    for (user, sees) in
        [("board", true), ("manager", true), ("viewer", false), ("occ-finance", false), ("admin", false)]
    {
        let page = site.get_as(user, "/agreements/oxon-s75/2016-17/board/decisions");
        assert_eq!(page.status, StatusCode::OK, "{user}");
        let html = page.text();
        let got = rows(&html, "decisions");
        assert_eq!(got[0][3..5], ["Note the budget position", "Budget monitoring"], "{user}");
        assert_eq!(got.len(), if sees { 2 } else { 1 }, "{user}: {got:?}");
        for secret in ["Support the failing provider", "Provider in difficulty"] {
            assert_eq!(html.contains(secret), sees, "{user}: {secret} in the page");
        }
        if sees {
            assert_eq!(got[1][3..5], ["Support the failing provider", "Provider in difficulty"]);
        }
        // The downloads obey the same rule, filtered or not.
        for query in ["format=csv&table=decisions", "format=csv", "q=provider&format=csv&table=decisions"] {
            let csv = site.get_as(user, &format!("/agreements/oxon-s75/2016-17/board/decisions?{query}"));
            assert_eq!(csv.status, StatusCode::OK, "{user} {query}");
            let text = csv.text();
            assert_eq!(text.contains("Support the failing provider"), sees, "{user} {query}: {text}");
            assert_eq!(text.contains("Provider in difficulty"), sees, "{user} {query}: {text}");
        }
        let xlsx = site.get_as(user, "/agreements/oxon-s75/2016-17/board/decisions?format=xlsx&table=decisions");
        let cells = xlsx_cells(&site, &xlsx.body, "decisions");
        let secret = cells.iter().flatten().any(|c| c.contains("provider") || c.contains("Provider"));
        assert_eq!(secret, sees, "{user}: the XLSX");
    }
}

fn deadlines_count_working_days_and_flag_the_overdue(site: Site) {
    // September: agenda two working days late (due the 8th, out Monday the 12th), minutes
    // on time. December: agenda a week early, minutes never circulated.
    schedule(&site, "2016-09-15");
    edit(
        &site,
        "2016-09-15",
        &[("action", "dates"), ("agenda_published", "2016-09-12"), ("minutes_circulated", "2016-09-28")],
    );
    schedule(&site, "2016-12-15");
    edit(&site, "2016-12-15", &[("action", "dates"), ("agenda_published", "2016-12-01")]);

    // As on 5 January 2017: the minutes were due on 29 December.
    let html = site.get("/deadlines?on=2017-01-05").text();
    let cal = Calendar::EnglandAndWales;
    let late = cal.working_days_between(day("2016-12-30"), day("2017-01-05"));
    assert_eq!(late, 4, "30 December and 3-5 January: Boxing Day, the 27th and 2 January are holidays");
    let minutes = row_cells(&html, "Minutes of the meeting of 2016-12-15");
    assert_eq!(minutes[0], "2016-12-29");
    assert_eq!(minutes[6], format!("overdue by {late} working days"));
    let row_start = html.find("Minutes of the meeting of 2016-12-15").expect("row");
    let row = &html[html[..row_start].rfind("<tr").expect("row")..];
    let row = &row[..row.find("</tr>").expect("end")];
    assert!(row.contains("govuk-tag--red"), "the overdue row is flagged: {row}");

    let agenda = row_cells(&html, "Agenda and papers for the meeting of 2016-12-15");
    assert_eq!((agenda[0].as_str(), agenda[5].as_str()), ("2016-12-08", "2016-12-01"));
    assert_eq!(agenda[6], "done on time");
    let september = row_cells(&html, "Agenda and papers for the meeting of 2016-09-15");
    let days = cal.working_days_between(day("2016-09-09"), day("2016-09-12"));
    assert_eq!(september[6], format!("{days} working days late"));
    assert_eq!(row_cells(&html, "Minutes of the meeting of 2016-09-15")[6], "done on time");

    // The monthly reports: no circulation log, so due dates only, for the months begun.
    let april = row_cells(&html, "report, M1 (April 2016)");
    assert_eq!((april[0].as_str(), april[6].as_str()), ("2016-05-31", "no circulation recorded"));
    let december = row_cells(&html, "report, M9 (December 2016)");
    let left = cal.working_days_between(day("2017-01-06"), day("2017-01-31"));
    assert_eq!((december[0].as_str(), december[6].clone()), ("2017-01-31", format!("due in {left} working days")));
    assert!(html.contains("report, M10 (January 2017)"));
    assert!(!html.contains("report, M11"), "February has not begun");
    assert!(html.contains("is not counted as overdue, since the log may not be kept yet"), "the hint says so");

    // Sorted by due date.
    let all = rows(&html, "deadlines");
    let due: Vec<Date> = all.iter().map(|r| day(&r[0])).collect();
    let mut sorted = due.clone();
    sorted.sort();
    assert_eq!(due, sorted);
    assert_eq!(all.len(), 4 + 10, "two meetings' agenda and minutes, ten monthly reports");

    // Overdue only: the December minutes, on the page and in the download.
    let html = site.get("/deadlines?on=2017-01-05&overdue=yes").text();
    let overdue = rows(&html, "deadlines");
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert_eq!(overdue[0][4], "Minutes of the meeting of 2016-12-15");
    let csv = csv_rows(&site.get("/deadlines?on=2017-01-05&overdue=yes&format=csv&table=deadlines").body);
    assert_eq!(csv[0], ["Due", "Agreement", "Year", "Board", "What", "Done", "Standing", "Clause"]);
    assert_eq!(csv.len(), 2);
    assert_eq!(csv[1][6], "overdue by 4 working days");
    let xlsx = site.get("/deadlines?on=2017-01-05&format=xlsx&table=deadlines");
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx_cells(&site, &xlsx.body, "deadlines").len() > 10);

    // Before the December meeting its minutes are still to come: on Friday 2 December,
    // the working days to the 29th, Christmas Day's and Boxing Day's holidays not counted.
    let html = site.get("/deadlines?on=2016-12-02").text();
    let ahead = cal.working_days_between(day("2016-12-03"), day("2016-12-29"));
    assert_eq!(ahead, 17);
    assert_eq!(row_cells(&html, "Minutes of the meeting of 2016-12-15")[6], format!("due in {ahead} working days"));
    // On 10 September the September agenda, sent on the 12th, was not out yet.
    let html = site.get("/deadlines?on=2016-09-10").text();
    let sept = row_cells(&html, "Agenda and papers for the meeting of 2016-09-15");
    assert_eq!(cal.working_days_between(day("2016-09-09"), day("2016-09-10")), 1, "Friday the 9th");
    assert_eq!((sept[5].as_str(), sept[6].as_str()), ("", "overdue by 1 working day"));
    assert_eq!(site.get("/deadlines?on=yesterday").status, StatusCode::UNPROCESSABLE_ENTITY);
}

fn a_viewer_reads_both_pages_and_neither_route_writes(site: Site) {
    schedule(&site, "2016-09-15");
    attend(&site, "2016-09-15", &VOTING);
    decide(&site, "2016-09-15", "Approve the Q2 action plan", "", &[]);
    // Signed in first: a sign-in is audited.
    for user in ["viewer", "budget-holder", "board"] {
        site.session(user);
    }
    let store = site.store();
    let before = store.audit_log().expect("log").len();
    for path in [
        "/agreements/oxon-s75/2016-17/board/decisions",
        "/deadlines",
        "/agreements/oxon-s75/2016-17/board/decisions?format=csv",
        "/deadlines?format=xlsx",
    ] {
        for user in ["viewer", "budget-holder", "board"] {
            assert_eq!(site.get_as(user, path).status, StatusCode::OK, "{user} {path}");
        }
    }
    assert!(
        site.get_as("viewer", "/agreements/oxon-s75/2016-17/board/decisions")
            .text()
            .contains("Approve the Q2 action plan")
    );
    for path in ["/agreements/oxon-s75/2016-17/board/decisions", "/deadlines"] {
        let page = site.post_as("manager", path, &[("subject", "x")]);
        assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED, "POST {path}");
    }
    assert_eq!(store.audit_log().expect("log").len(), before, "nothing was written");
}

fn urgent_decisions_wait_for_ratification_in_the_log_and_the_deadlines(site: Site) {
    urgent(&site, "Emergency placement funding", "2016-08-01");
    // A quorate meeting that does not ratify it: the next meeting has passed.
    schedule(&site, "2016-09-15");
    attend(&site, "2016-09-15", &VOTING);
    decide(&site, "2016-09-15", "Approve the Q2 action plan", "", &[]);
    let html = site.get("/agreements/oxon-s75/2016-17/board/decisions?outcome=awaiting-ratification").text();
    let got = rows(&html, "decisions");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0][..4], ["2016-08-01", "urgent, outside a meeting", "u1", "Emergency placement funding"]);
    assert_eq!(got[0][6], "6 for");
    assert_eq!(got[0][7], "awaiting ratification, overdue since the meeting of 2016-09-15");
    assert_eq!(got[0][8], "Sch 4 2(l)");
    let html = site.get("/deadlines?on=2016-09-20&overdue=yes").text();
    let row = row_cells(&html, "Ratification of urgent decision u1");
    let late = Calendar::EnglandAndWales.working_days_between(day("2016-09-16"), day("2016-09-20"));
    assert_eq!(row[0], "2016-09-15");
    assert_eq!(row[6], format!("overdue by {late} working days: not ratified at the meeting of 2016-09-15"));

    // Ratified at the next quorate meeting; a second urgent decision has no meeting after it.
    schedule(&site, "2016-12-15");
    attend(&site, "2016-12-15", &VOTING);
    decide_with(&site, "2016-12-15", &[("subject", "Ratify the emergency funding"), ("ratifies", "u1")], &[]);
    urgent(&site, "Winter pressures", "2016-12-20");
    let html = site.get("/agreements/oxon-s75/2016-17/board/decisions").text();
    let got = rows(&html, "decisions");
    let subjects: Vec<&str> = got.iter().map(|r| r[3].as_str()).collect();
    assert_eq!(
        subjects,
        [
            "Emergency placement funding",
            "Approve the Q2 action plan",
            "Ratify the emergency funding (ratifies urgent decision u1)",
            "Winter pressures"
        ]
    );
    assert_eq!(got[0][7], "ratified at the meeting of 2016-12-15");
    assert_eq!(got[2][7], "agreed");
    assert_eq!(got[3][7], "awaiting ratification at the next meeting");
    let html = site.get("/agreements/oxon-s75/2016-17/board/decisions?outcome=ratified").text();
    assert_eq!(rows(&html, "decisions").len(), 1);
    let html = site.get("/deadlines?on=2017-01-05").text();
    assert!(!html.contains("Ratification of urgent decision u1"), "ratified: no longer due");
    let row = row_cells(&html, "Ratification of urgent decision u2");
    assert_eq!(row[6], "at the next meeting: none is scheduled yet");
}

/// The register's circulation log has no form yet: written through the app, as a
/// register file would be.
fn a_circulated_monthly_report_is_done(site: Site) {
    use pooled_core::governance::Circulation;
    let mut store = site.store();
    let records = pooled_app::board::records(&*store, &oxon()).expect("records");
    let log = vec![
        Circulation { month: month(1), circulated_on: day("2016-05-27") },
        Circulation { month: month(2), circulated_on: day("2016-07-04") },
    ];
    let register = records.register.clone().with_reports(log, Vec::new()).expect("valid");
    pooled_app::board::save_register(&mut *store, &records.agreement, records.register_version, &register, "manager")
        .expect("saved");
    let html = site.get("/deadlines?on=2016-07-28").text();
    let april = row_cells(&html, "report, M1 (April 2016)");
    assert_eq!((april[0].as_str(), april[5].as_str(), april[6].as_str()), ("2016-05-31", "2016-05-27", "done on time"));
    // May's was due on 30 June; 1 and 4 July are working days.
    let may = row_cells(&html, "report, M2 (May 2016)");
    assert_eq!((may[0].as_str(), may[6].as_str()), ("2016-06-30", "2 working days late"));
    assert_eq!(
        row_cells(&html, "report, M3 (June 2016)")[6],
        "due in 1 working day",
        "on Thursday 28 July, due Friday 29 July"
    );
}

fn an_action_plan_is_due_at_the_next_meeting(site: Site) {
    let raise = |site: &Site| {
        let version =
            hidden_field(&site.get("/agreements/oxon-s75/2016-17/board/reports").text(), "version").unwrap_or_default();
        let fields = [
            ("version", version.as_str()),
            ("action", "raise"),
            ("pool", "OP"),
            ("line", ""),
            ("month", "M5"),
            ("raised_on", "2016-10-03"),
            ("description", "Recover the home support underspend"),
        ];
        let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/reports", &fields);
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    };
    raise(&site);
    let none = site.get("/deadlines?on=2016-10-05").text();
    assert_eq!(row_cells(&none, "Action plan a1")[6], "at the next meeting: none is scheduled yet");
    schedule(&site, "2016-10-13");
    // On the 12th the meeting is tomorrow; on the 14th it has passed without the plan.
    let before = site.get("/deadlines?on=2016-10-12").text();
    assert_eq!(row_cells(&before, "Action plan a1")[0], "2016-10-13");
    assert_eq!(
        row_cells(&before, "Action plan a1")[6],
        "due in 1 working day: to be reported to the meeting of 2016-10-13"
    );
    let after = site.get("/deadlines?on=2016-10-14&overdue=yes").text();
    assert_eq!(
        row_cells(&after, "Action plan a1")[6],
        "overdue by 1 working day: to be reported to the meeting of 2016-10-13"
    );
}

fn without_a_day_deadlines_stand_as_on_today_in_england(mut site: Site) {
    schedule(&site, "2016-09-15");
    // 00:30 on Thursday 22 September 2016 in England (BST) is still the 21st in UTC.
    let at: pooled_store::Timestamp = "2016-09-21T23:30:00Z".parse().expect("a time");
    site.rebuild(|web| pooled_web::router(std::sync::Arc::new(web.with_clock(pooled_app::clock::Clock::Fixed(at)))));
    let html = site.get("/deadlines").text();
    assert!(html.contains("as it stands on 2016-09-22"), "{html}");
    // The minutes are due on the 29th: Friday 23rd and Monday to Thursday are left.
    let minutes = row_cells(&html, "Minutes of the meeting of 2016-09-15");
    assert_eq!((minutes[0].as_str(), minutes[6].as_str()), ("2016-09-29", "due in 5 working days"));
}
