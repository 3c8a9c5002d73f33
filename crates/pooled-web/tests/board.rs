//! The board's records through the pages (issue 5): a meeting scheduled, attendance
//! recorded until the meeting is quorate (the count changing with each attendee), a
//! decision at the lead commissioner's discretion, a late paper, confidential items
//! shown only to members, the register's nominations, and who may change what. On
//! SQLite and PostgreSQL.

#[macro_use]
mod common;

use std::sync::{Arc, Barrier};

use axum::http::{StatusCode, header};
use common::*;
use pooled_app::board::{self, Records};
use pooled_core::calendar::Date;
use pooled_core::governance::{Decision, Register, SeatChange, Vote};
use pooled_store::Store;

on_both_backends!(
    a_meeting_is_recorded_until_quorate_and_decides,
    confidential_items_are_shown_only_to_the_boards_members,
    a_nomination_changes_who_may_deputise,
    only_the_pool_manager_keeps_the_records_and_stale_forms_are_refused,
    a_seat_changes_hands_by_written_notification,
    an_urgent_decision_awaits_ratification_until_a_quorate_meeting_agrees_it,
    a_new_body_replaces_the_board_with_its_own_rules,
    a_register_change_and_a_meeting_edit_at_once_leave_the_board_readable,
);

const SEATS: [&str; 6] = ["occ-cm", "occ-dass", "occ-cfo", "occg-dcc", "occg-ddl", "occg-cfo"];

/// A register change through the board page's forms.
fn change_register(site: &Site, fields: &[(&str, &str)]) -> Page {
    let version = hidden_field(&site.get("/agreements/oxon-s75/2016-17/board").text(), "version").unwrap_or_default();
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    site.post_as("manager", "/agreements/oxon-s75/2016-17/board/register", &all)
}

/// Every voting seat's vote, `for` unless named otherwise.
fn votes<'a>(others: &[(&'a str, &'a str)]) -> Vec<(String, &'a str)> {
    SEATS
        .iter()
        .map(|seat| (format!("vote:{seat}"), others.iter().find(|(s, _)| s == seat).map_or("for", |(_, v)| *v)))
        .collect()
}

const MEETING: &str = "/agreements/oxon-s75/2016-17/board/meetings/2016-09-15";

/// The version in the page's forms, for the next change.
fn version(site: &Site) -> String {
    hidden_field(&site.get(MEETING).text(), "version").expect("a form with the version")
}

fn edit(site: &Site, fields: &[(&str, &str)]) -> Page {
    let version = version(site);
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    site.post_as("manager", MEETING, &all)
}

fn schedule(site: &Site) {
    let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/meetings", &[("date", "2016-09-15")]);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(page.headers[header::LOCATION], MEETING);
}

fn quorum(site: &Site) -> String {
    let html = site.get(MEETING).text();
    let tag = html.find("id=\"quorum\"").expect("the quorum");
    let start = tag + html[tag..].find('>').expect("the tag's end") + 1;
    strip_tags(&html[start..start + html[start..].find("</div>").expect("end")])
}

fn a_meeting_is_recorded_until_quorate_and_decides(site: Site) {
    assert!(
        site.get("/agreements/oxon-s75/2016-17/board")
            .text()
            .contains("Quarter 2: <strong class=\"govuk-tag govuk-tag--orange\">no meeting")
    );
    schedule(&site);
    assert!(
        site.get("/agreements/oxon-s75/2016-17/board").text().contains("Quarter 2: 1 meeting"),
        "September is in Q2"
    );
    // A bank holiday is flagged: Boxing Day 2016.
    let holiday = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/meetings", &[("date", "2016-12-26")]);
    assert_eq!(holiday.status, StatusCode::SEE_OTHER);
    assert!(site.get("/agreements/oxon-s75/2016-17/board/meetings/2016-12-26").text().contains("not a working day"));
    assert!(quorum(&site).contains("Not quorate. OCC: 0 of 3 needed, short by 3. OCCG: 0 of 3 needed, short by 3."));
    // In person, by nominated deputy, and an alternative deputy confirmed and agreed.
    for (person, deputising_for, alternative, confirmed, expected) in [
        ("occ-cm", "", false, "", "OCC: 1 of 3 needed, short by 2"),
        ("occ-dass-deputy", "occ-dass", false, "", "OCC: 2 of 3 needed, short by 1"),
        ("occ-cfo", "", false, "", "OCC: 3 of 3 needed."),
        ("occg-dcc", "", false, "", "OCCG: 1 of 3 needed, short by 2"),
        ("occg-ddl", "", false, "", "OCCG: 2 of 3 needed, short by 1"),
    ] {
        let mut fields = vec![("action", "attend"), ("person", person), ("deputising_for", deputising_for)];
        if alternative {
            fields.push(("alternative", "yes"));
        }
        fields.push(("confirmed_in_writing_by", confirmed));
        assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER, "{person}");
        assert!(quorum(&site).contains(expected), "after {person}: {}", quorum(&site));
    }
    // A non-voting member, a guest, and an alternative deputy with no written
    // confirmation attend without counting, each with the reason.
    for fields in [
        vec![("action", "attend"), ("person", "occ-sca")],
        vec![("action", "attend"), ("person", "Healthwatch representative")],
        vec![("action", "attend"), ("person", "C. Person"), ("deputising_for", "occg-cfo"), ("alternative", "yes")],
    ] {
        assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    }
    assert!(quorum(&site).starts_with("Not quorate."), "{}", quorum(&site));
    let html = site.get(MEETING).text();
    assert!(html.contains("occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)"));
    assert!(html.contains("Healthwatch representative: not a member of the board: in attendance only (Sch 4 8.4)"));
    assert!(html.contains("not confirmed in writing by a voting member of OCCG (Sch 4 1.2)"), "C. Person's reason");
    // An alternative deputy without the other partner's agreement does not count ...
    let fields = [
        ("action", "attend"),
        ("person", "A. Person"),
        ("deputising_for", "occg-cfo"),
        ("alternative", "yes"),
        ("confirmed_in_writing_by", "occg-dcc"),
    ];
    assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    assert!(quorum(&site).starts_with("Not quorate."), "{}", quorum(&site));
    assert!(site.get(MEETING).text().contains("not agreed by the other partner (Sch 4 1.2)"));
    // ... one with it does: quorate.
    let fields = [
        ("action", "attend"),
        ("person", "B. Person"),
        ("deputising_for", "occg-cfo"),
        ("alternative", "yes"),
        ("confirmed_in_writing_by", "occg-dcc"),
        ("agreed_by_other_partner", "yes"),
    ];
    assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    assert!(quorum(&site).starts_with("Quorate. OCC: 3 of 3 needed. OCCG: 3 of 3 needed."), "{}", quorum(&site));
    // A decision with one abstention on an element OCC leads: the lead's discretion.
    let mut fields = vec![("action", "decision"), ("subject", "Approve the Q2 action plan"), ("element_lead", "OCC")];
    let votes: Vec<(String, &str)> = ["occ-cm", "occ-dass", "occ-cfo", "occg-dcc", "occg-ddl", "occg-cfo"]
        .iter()
        .map(|seat| (format!("vote:{seat}"), if *seat == "occg-ddl" { "abstain" } else { "for" }))
        .collect();
    fields.extend(votes.iter().map(|(k, v)| (k.as_str(), *v)));
    assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    let html = site.get(MEETING).text();
    assert!(
        html.contains("not unanimous: at the lead commissioner&#39;s discretion (OCC) (Sch 4 6.2)")
            || html.contains("not unanimous: at the lead commissioner's discretion (OCC) (Sch 4 6.2)"),
        "{html}"
    );
    // A paper published after the deadline (8 September, five working days before).
    assert_eq!(edit(&site, &[("action", "item"), ("title", "Finance report M5")]).status, StatusCode::SEE_OTHER);
    let paper =
        [("action", "paper"), ("item", "1"), ("title", "Finance and performance M5"), ("published", "2016-09-12")];
    assert_eq!(edit(&site, &paper).status, StatusCode::SEE_OTHER);
    let html = site.get(MEETING).text();
    assert!(html.contains("Late: due by 2016-09-08 (Sch 4 5.2)"), "{html}");
    // The minutes, circulated: the page and the store agree, and the audit log has each save.
    let dates = [("action", "dates"), ("agenda_published", "2016-09-07"), ("minutes_circulated", "2016-09-28")];
    assert_eq!(edit(&site, &dates).status, StatusCode::SEE_OTHER);
    let html = site.get(MEETING).text();
    assert!(html.contains("Minutes by 2016-09-29 (Sch 4 6.3): done on 2016-09-28, on time"));
    let store = site.store();
    let stored = store.document("meeting", "oxon-s75/2016-17/2016-09-15").expect("read").expect("the meeting");
    assert!(stored.text.contains("minutes_circulated = 2016-09-28"));
    assert_eq!(stored.saved_by, "manager");
    let log = store.audit_log().expect("log");
    let saves =
        log.iter().filter(|e| e.action == "save-meeting" && e.subject == "meeting oxon-s75/2016-17/2016-09-15").count();
    assert_eq!(saves as u32, stored.version);
}

fn confidential_items_are_shown_only_to_the_boards_members(site: Site) {
    schedule(&site);
    for (title, confidential) in [("Budget monitoring", false), ("Provider in difficulty", true)] {
        let mut fields = vec![("action", "item"), ("title", title)];
        if confidential {
            fields.push(("confidential", "yes"));
        }
        assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    }
    let paper =
        [("action", "paper"), ("item", "2"), ("title", "Provider risk assessment"), ("published", "2016-09-01")];
    assert_eq!(edit(&site, &paper).status, StatusCode::SEE_OTHER);
    for (user, sees) in
        [("board", true), ("manager", true), ("viewer", false), ("occ-finance", false), ("admin", false)]
    {
        let html = site.get_as(user, MEETING).text();
        assert!(html.contains("Budget monitoring"), "{user}");
        assert_eq!(html.contains("Provider in difficulty"), sees, "{user}: the confidential item");
        assert_eq!(html.contains("Provider risk assessment"), sees, "{user}: its paper");
    }
}

fn a_nomination_changes_who_may_deputise(site: Site) {
    // The report circulation log, kept in the same register, survives the change.
    let version =
        hidden_field(&site.get("/agreements/oxon-s75/2016-17/board/reports").text(), "version").unwrap_or_default();
    let circulate =
        [("version", version.as_str()), ("action", "circulate"), ("month", "M1"), ("circulated_on", "2016-05-20")];
    assert_eq!(
        site.post_as("manager", "/agreements/oxon-s75/2016-17/board/reports", &circulate).status,
        StatusCode::SEE_OTHER
    );
    let page = site.get("/agreements/oxon-s75/2016-17/board?on=2016-06-01").text();
    assert!(row_cells(&page, ">occg-cfo<").contains(&"occg-cfo-deputy".to_string()));
    let fields =
        [("action", "nominate"), ("seat", "occg-cfo"), ("deputy", "Gus Green"), ("nominated_on", "2016-06-15")];
    let saved = change_register(&site, &fields);
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let before = site.get("/agreements/oxon-s75/2016-17/board?on=2016-06-14").text();
    assert!(row_cells(&before, ">occg-cfo<").contains(&"occg-cfo-deputy".to_string()), "not before it was made");
    let after = site.get("/agreements/oxon-s75/2016-17/board?on=2016-06-15").text();
    assert!(row_cells(&after, ">occg-cfo<").contains(&"Gus Green".to_string()));
    let register = site.store().document("board-register", "oxon-s75/2016-17").expect("read").expect("stored").text;
    assert!(register.contains("circulated_on = 2016-05-20"), "{register}");
    // A nomination for a non-voting seat is refused, naming the rule.
    let fields = [("action", "nominate"), ("seat", "occ-sca"), ("deputy", "Jo"), ("nominated_on", "2016-07-01")];
    let version = hidden_field(&site.get("/agreements/oxon-s75/2016-17/board").text(), "version").expect("version");
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(&fields);
    let refused = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/register", &all);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("not a voting seat"), "{}", refused.text());
}

fn only_the_pool_manager_keeps_the_records_and_stale_forms_are_refused(site: Site) {
    for user in ["viewer", "board", "occ-finance", "budget-holder"] {
        let page = site.post_as(user, "/agreements/oxon-s75/2016-17/board/meetings", &[("date", "2016-09-15")]);
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        assert!(
            !site.get_as(user, "/agreements/oxon-s75/2016-17/board").text().contains("Schedule meeting"),
            "{user}: no forms"
        );
    }
    schedule(&site);
    let stale = version(&site);
    assert_eq!(edit(&site, &[("action", "item"), ("title", "First")]).status, StatusCode::SEE_OTHER);
    // A form drawn before that change is refused, and says who changed what.
    let page = site.post_as("manager", MEETING, &[("version", &stale), ("action", "item"), ("title", "Second")]);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("has changed since you opened version"), "{}", page.text());
    assert!(!site.get(MEETING).text().contains("Second"));
}

fn a_seat_changes_hands_by_written_notification(site: Site) {
    let fields = [
        ("action", "change"),
        ("seat", "occ-cm"),
        ("person", "Cllr Eve Adams"),
        ("role", "Cabinet Member for Adult Social Care"),
        ("partner", "OCC"),
        ("voting", "yes"),
        ("chair", "yes"),
        ("notified_on", "2016-08-20"),
        ("from", "2016-09-01"),
    ];
    let saved = change_register(&site, &fields);
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    let before = site.get("/agreements/oxon-s75/2016-17/board?on=2016-08-31").text();
    assert!(!row_cells(&before, ">occ-cm (chair)<").contains(&"Cllr Eve Adams".to_string()));
    let after = site.get("/agreements/oxon-s75/2016-17/board?on=2016-09-01").text();
    assert!(row_cells(&after, ">occ-cm (chair)<").contains(&"Cllr Eve Adams".to_string()), "{after}");
    assert!(after.contains("occ-cm from 2016-09-01 (notified 2016-08-20): Cllr Eve Adams"));
    // Taking effect before its notification is refused (Sch 4 1.4).
    let mut early = fields.to_vec();
    early.retain(|(k, _)| *k != "notified_on" && *k != "from");
    early.extend([("notified_on", "2016-10-10"), ("from", "2016-10-01")]);
    let refused = change_register(&site, &early);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("before its written notification"), "{}", refused.text());
    // A change that would leave a recorded meeting at odds with the register (a vote by a
    // seat it empties) is refused, and the meeting stays readable.
    schedule(&site);
    let mut fields = vec![("action", "decision"), ("subject", "Approve")];
    let all_for = votes(&[]);
    fields.extend(all_for.iter().map(|(k, v)| (k.as_str(), *v)));
    assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    let empty = [("action", "change"), ("seat", "occg-ddl"), ("notified_on", "2016-08-01"), ("from", "2016-08-01")];
    let refused = change_register(&site, &empty);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().contains("would leave the recorded meeting oxon-s75/2016-17/2016-09-15"),
        "{}",
        refused.text()
    );
    assert_eq!(site.get(MEETING).status, StatusCode::OK);
}

fn an_urgent_decision_awaits_ratification_until_a_quorate_meeting_agrees_it(site: Site) {
    let mut fields = vec![("action", "urgent"), ("subject", "Spot-purchase nursing beds"), ("taken_on", "2016-09-01")];
    let urgent_votes = votes(&[]);
    fields.extend(urgent_votes.iter().map(|(k, v)| (k.as_str(), *v)));
    assert_eq!(change_register(&site, &fields).status, StatusCode::SEE_OTHER);
    assert!(
        site.get("/agreements/oxon-s75/2016-17/board")
            .text()
            .contains("u1: Spot-purchase nursing beds (2016-09-01): awaiting ratification at the next meeting")
    );
    // The next meeting is quorate and agrees the ratification.
    schedule(&site);
    for seat in SEATS {
        assert_eq!(edit(&site, &[("action", "attend"), ("person", seat)]).status, StatusCode::SEE_OTHER);
    }
    let mut fields = vec![("action", "decision"), ("subject", "Ratify u1"), ("ratifies", "u1")];
    let decision_votes = votes(&[]);
    fields.extend(decision_votes.iter().map(|(k, v)| (k.as_str(), *v)));
    assert_eq!(edit(&site, &fields).status, StatusCode::SEE_OTHER);
    let meeting = site.store().document("meeting", "oxon-s75/2016-17/2016-09-15").expect("read").expect("stored").text;
    assert!(quorum(&site).starts_with("Quorate."), "{}", quorum(&site));
    let page = site.get("/agreements/oxon-s75/2016-17/board").text();
    assert!(page.contains("ratified at the meeting of 2016-09-15"), "{page}\n{meeting}");
}

/// The 2022-23 agreement with the 2016 board's constitution but not its clauses (the 2022
/// report gives neither membership nor clauses for its board), so that deadlines fall
/// around Easter and the Jubilee of 2022 and each rule is named in words.
fn agreement_2022_with_a_board() -> String {
    let board = &AGREEMENT[AGREEMENT.find("[board]").expect("the 2016 board")..];
    let clauses = board.find("[board.clauses]").expect("the board's clauses");
    let end = clauses + board[clauses..].find("\n\n").expect("the table's end");
    let board = format!("{}{}", &board[..clauses], &board[end..]);
    format!("{}\n{board}", include_str!("../../../examples/oxfordshire-2022-23.toml"))
}

/// (meeting, paper published, latest day for the agenda, paper late): five working days
/// back over Easter 2022 (Good Friday 15, Easter Monday 18 April) and the Platinum Jubilee
/// (2 and 3 June 2022), shown on the meeting page the pool manager records.
fn deadlines_fall_around_easter_and_the_jubilee_of_2022(site: Site) {
    for (date, published, due, late) in [
        ("2022-04-21", "2022-04-12", "2022-04-12", false),
        ("2022-04-21", "2022-04-13", "2022-04-12", true),
        ("2022-06-08", "2022-05-30", "2022-05-30", false),
        ("2022-06-08", "2022-06-01", "2022-05-30", true),
    ] {
        let path = format!("/agreements/oxon-s75-2022/2022-23/board/meetings/{date}");
        if site.get(&path).status == StatusCode::NOT_FOUND {
            let page = site.post_as("manager", "/agreements/oxon-s75-2022/2022-23/board/meetings", &[("date", date)]);
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
            let version = hidden_field(&site.get(&path).text(), "version").expect("version");
            let item = [("version", version.as_str()), ("action", "item"), ("title", "Finance report")];
            assert_eq!(site.post_as("manager", &path, &item).status, StatusCode::SEE_OTHER);
        }
        let version = hidden_field(&site.get(&path).text(), "version").expect("version");
        let paper = [
            ("version", version.as_str()),
            ("action", "paper"),
            ("item", "1"),
            ("title", published),
            ("published", published),
        ];
        assert_eq!(site.post_as("manager", &path, &paper).status, StatusCode::SEE_OTHER);
        let html = site.get(&path).text();
        assert!(html.contains(&format!("Agenda and papers by {due}: ")), "{date}: {html}");
        let line = &html[html.find(&format!(": {published} — published {published}")).expect("the paper")..];
        let line = &line[..line.find("</li>").expect("end")];
        assert_eq!(line.contains("Late: due by"), late, "{date}, paper of {published}: {line}");
    }
}

#[test]
fn sqlite_deadlines_fall_around_easter_and_the_jubilee_of_2022() {
    deadlines_fall_around_easter_and_the_jubilee_of_2022(Site::sqlite("jubilee", &agreement_2022_with_a_board()));
}

#[test]
fn postgres_deadlines_fall_around_easter_and_the_jubilee_of_2022() {
    if let Some(site) = Site::postgres("jubilee", &agreement_2022_with_a_board()) {
        deadlines_fall_around_easter_and_the_jubilee_of_2022(site);
    }
}

fn a_new_body_replaces_the_board_with_its_own_rules(site: Site) {
    let fields = [
        ("action", "reconstitute"),
        ("name", "Joint Commissioning Executive"),
        ("quorum_per_partner", "2"),
        ("agenda_working_days", "5"),
        ("minutes_within_days", "10"),
        ("notified_on", "2016-08-15"),
        ("from", "2016-09-01"),
    ];
    let saved = change_register(&site, &fields);
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert!(
        site.get("/agreements/oxon-s75/2016-17/board?on=2016-08-31")
            .text()
            .contains("<h1 class=\"govuk-heading-l\">Single Joint Management Group for Adults 2016-17")
    );
    let after = site.get("/agreements/oxon-s75/2016-17/board?on=2016-09-01").text();
    assert!(after.contains("<h1 class=\"govuk-heading-l\">Joint Commissioning Executive 2016-17"), "{after}");
    // Its meetings follow its rules: two seats a partner make a quorum, minutes in 10 days.
    schedule(&site);
    for seat in ["occ-cm", "occ-dass", "occg-dcc", "occg-ddl"] {
        assert_eq!(edit(&site, &[("action", "attend"), ("person", seat)]).status, StatusCode::SEE_OTHER);
    }
    assert!(quorum(&site).starts_with("Quorate. OCC: 2 of 2 needed. OCCG: 2 of 2 needed."), "{}", quorum(&site));
    assert!(site.get(MEETING).text().contains("Minutes by 2016-09-25 (Sch 4 6.3)"));
    // The members' history carries on under the new body: a nomination still works.
    let nominate = [("action", "nominate"), ("seat", "occg-cfo"), ("deputy", "Gus"), ("nominated_on", "2016-10-01")];
    assert_eq!(change_register(&site, &nominate).status, StatusCode::SEE_OTHER);
    let register = site.store().document("board-register", "oxon-s75/2016-17").expect("read").expect("stored").text;
    assert!(
        register.contains("name = \"Joint Commissioning Executive\"") && register.contains("deputy = \"Gus\""),
        "{register}"
    );
}

/// (page, what it shows with the 2016 board's clauses, and for a board whose agreement
/// gives none): each rule applied cites the agreement's clause, or is named in words.
type Cited = (&'static str, &'static str, &'static str);

/// A meeting with a non-voting member attending and a decision at an inquorate meeting,
/// then every board page as the board's clauses make it: the clause of the agreement file
/// where it gives one, the rule in words (or, in a sentence that names it, nothing) where
/// not, and no Oxfordshire clause on a board that does not give them.
fn pages_cite_the_board_clauses(with: Site, without: Site) {
    let cases: &[Cited] = &[
        (
            "board",
            "voting members or deputies from each partner (Sch 4 1.3); agenda",
            "voting members or deputies from each partner; agenda",
        ),
        (
            "meeting",
            "occ-sca: non-voting member: attends but does not count towards the quorum (Sch 4 1.1)",
            "occ-sca: non-voting member: attends but does not count towards the quorum (voting and non-voting members)",
        ),
        (
            "meeting",
            "invalid: the meeting was not quorate (Sch 4 6.1)",
            "invalid: the meeting was not quorate (decision making)",
        ),
        ("meeting", "-09-29 (Sch 4 6.3)", "-09-29 (minutes)"),
        ("decisions", "Sch 4 6.1", "decision making"),
        ("deadlines", "Sch 4 5.2", "agenda and papers"),
        ("deadlines", "Sch 4 6.3", "minutes"),
        ("reports", "whether or not a meeting is held (Sch 4 5.4), by", "whether or not a meeting is held, by"),
    ];
    for (site, agreement, year, date, clauses) in [
        (&with, "oxon-s75", "2016-17", "2016-09-15", true),
        (&without, "oxon-s75-2022", "2022-23", "2022-09-15", false),
    ] {
        let meeting = format!("/agreements/{agreement}/{year}/board/meetings/{date}");
        let page =
            site.post_as("manager", &format!("/agreements/{agreement}/{year}/board/meetings"), &[("date", date)]);
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
        for fields in [
            vec![("action", "attend"), ("person", "occ-sca")],
            vec![("action", "decision"), ("subject", "Approve the plan"), ("vote:occ-cm", "for")],
        ] {
            let version = hidden_field(&site.get(&meeting).text(), "version").expect("the version");
            let mut all = vec![("version", version.as_str())];
            all.extend_from_slice(&fields);
            assert_eq!(site.post_as("manager", &meeting, &all).status, StatusCode::SEE_OTHER, "{fields:?}");
        }
        let text = |page: &str| match page {
            "board" => site.get(&format!("/agreements/{agreement}/{year}/board")).text(),
            "meeting" => site.get(&meeting).text(),
            "decisions" => {
                csv_rows(&site.get(&format!("/agreements/{agreement}/{year}/board/decisions?format=csv")).body)
                    .iter()
                    .map(|row| row.join("|"))
                    .collect::<Vec<_>>()
                    .join("\n")
            }
            "deadlines" => csv_rows(&site.get(&format!("/deadlines?on={date}&format=csv")).body)
                .iter()
                .filter(|row| row.get(2).is_some_and(|y| y == year))
                .map(|row| row.join("|"))
                .collect::<Vec<_>>()
                .join("\n"),
            "reports" => site.get(&format!("/agreements/{agreement}/{year}/board/reports")).text(),
            other => panic!("no page {other}"),
        };
        for (page, cited, named) in cases {
            let shown = text(page);
            let expected = if clauses { cited } else { named };
            assert!(shown.contains(expected), "{year} {page}: `{expected}` not in\n{shown}");
            if !clauses {
                assert!(!shown.contains("Sch 4"), "{year} {page} cites a clause its agreement does not give:\n{shown}");
            }
        }
    }
}

#[test]
fn sqlite_pages_cite_the_board_clauses() {
    pages_cite_the_board_clauses(
        Site::sqlite("cited", AGREEMENT),
        Site::sqlite("named", &agreement_2022_with_a_board()),
    );
}

#[test]
fn postgres_pages_cite_the_board_clauses() {
    if let (Some(with), Some(without)) =
        (Site::postgres("cited", AGREEMENT), Site::postgres("named", &agreement_2022_with_a_board()))
    {
        pages_cite_the_board_clauses(with, without);
    }
}

/// The register with occg-ddl empty from 2016-08-01: a meeting after that with a vote by
/// that seat cannot be read against it.
fn without_occg_ddl(records: &Records) -> Register {
    let register = &records.register;
    let mut changes = register.changes().to_vec();
    let august = Date::new(2016, 8, 1).expect("a date");
    changes.push(SeatChange { seat: "occg-ddl".into(), from: august, notified_on: august, holder: None });
    Register::new(register.constitution().clone(), register.constituted_on(), changes, register.nominations().to_vec())
        .and_then(|r| r.with_urgent(register.urgent().to_vec()))
        .and_then(|r| r.with_reports(register.circulations().to_vec(), register.action_plans().to_vec()))
        .and_then(|r| r.with_bodies(register.bodies().to_vec()))
        .expect("a valid register")
}

/// Saves `text` as the current version of a document, whatever that is.
fn reset(store: &mut dyn Store, kind: &str, key: &str, text: &str) {
    let current = store.document(kind, key).expect("read").map(|d| d.version);
    store.save_document(kind, key, current, text, "test").expect("reset");
}

/// Two stores on one database, each on its own thread, read the board at once; one
/// empties a seat in the register while the other records a vote by that seat at a
/// meeting. Each save checks against the other document in its own transaction, so the
/// later of the two is refused and the year's board stays readable, round after round.
fn a_register_change_and_a_meeting_edit_at_once_leave_the_board_readable(site: Site) {
    const ROUNDS: usize = 20;
    schedule(&site);
    let mut store = site.store();
    let start = board::records(store.as_ref(), &oxon()).expect("the board");
    let register_text = start.register.to_toml(&start.agreement);
    let meeting_text = start.meetings[0].meeting.to_toml(&start.agreement);
    let meeting_key = board::meeting_key(&oxon(), start.meetings[0].meeting.date);
    let mut saved = [0; 2];
    for round in 0..ROUNDS {
        let barrier = Arc::new(Barrier::new(2));
        let (mut registrar, gate) = (site.store(), Arc::clone(&barrier));
        let empties_seat = std::thread::spawn(move || {
            gate.wait();
            let records = board::records(registrar.as_ref(), &oxon()).expect("the board");
            let register = without_occg_ddl(&records);
            board::save_register(registrar.as_mut(), &records.agreement, records.register_version, &register, "ann")
                .is_ok()
        });
        let (mut clerk, gate) = (site.store(), Arc::clone(&barrier));
        let votes = std::thread::spawn(move || {
            gate.wait();
            let records = board::records(clerk.as_ref(), &oxon()).expect("the board");
            let record = &records.meetings[0];
            let mut meeting = record.meeting.clone();
            meeting.decisions.push(Decision {
                id: "d1".into(),
                subject: "Approve the plan".into(),
                item: None,
                ratifies: None,
                element_lead: None,
                votes: SEATS.iter().map(|seat| (seat.to_string(), Vote::For)).collect(),
            });
            board::save_meeting(clerk.as_mut(), &records.agreement, Some(record.version), &meeting, "bob").is_ok()
        });
        let outcome = [empties_seat.join().expect("register thread"), votes.join().expect("meeting thread")];
        if let Err(e) = board::records(store.as_ref(), &oxon()) {
            panic!("round {round}: the board is unreadable after saves {outcome:?}: {e}");
        }
        assert_ne!(outcome, [true, true], "round {round}: both saves went through");
        for (count, went) in saved.iter_mut().zip(outcome) {
            *count += usize::from(went);
        }
        // Back to the start: the register first, so that the meeting stays readable.
        reset(store.as_mut(), board::REGISTER, &board::register_key(&oxon()), &register_text);
        reset(store.as_mut(), board::MEETING, &meeting_key, &meeting_text);
    }
    assert_eq!(saved.iter().sum::<usize>(), ROUNDS, "one of the two saves in each round: {saved:?}");
}
