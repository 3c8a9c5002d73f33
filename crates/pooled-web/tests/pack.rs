//! The agenda pack (issue 5): `/board/{year}/meetings/{date}/pack` holds the agenda with
//! its papers (late ones marked), the monthly finance report's pool table as the engine
//! makes it for the month before the meeting (or the latest with actuals), and the
//! risk-share tables; confidential items and their papers are in the members' version
//! only. On SQLite and PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::*;

on_both_backends!(
    the_pack_holds_the_agenda_the_finance_report_and_the_risk_shares,
    confidential_items_are_only_in_the_members_pack,
    a_pack_for_no_meeting_is_not_found,
);

const MEETING: &str = "/agreements/oxon-s75/2016-17/board/meetings/2016-09-15";
const PACK: &str = "/agreements/oxon-s75/2016-17/board/meetings/2016-09-15/pack";

fn edit(site: &Site, fields: &[(&str, &str)]) {
    let version = hidden_field(&site.get(MEETING).text(), "version").expect("a form with the version");
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    let page = site.post_as("manager", MEETING, &all);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{fields:?}: {}", page.text());
}

/// A meeting on 15 September 2016 with a public item (a paper on time and one late) and
/// a confidential one (with a paper), through the meeting page's forms.
fn meeting(site: &Site) {
    let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/meetings", &[("date", "2016-09-15")]);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(page.headers[header::LOCATION], MEETING);
    edit(site, &[("action", "item"), ("title", "Budget monitoring M5")]);
    edit(site, &[("action", "item"), ("title", "Provider in difficulty"), ("confidential", "yes")]);
    edit(site, &[("action", "item"), ("title", "Any other business")]);
    for (item, title, published) in [
        ("1", "Finance and performance report", "2016-09-07"),
        ("1", "Action plan for OP", "2016-09-12"),
        ("2", "Provider risk assessment", "2016-09-01"),
    ] {
        edit(site, &[("action", "paper"), ("item", item), ("title", title), ("published", published)]);
    }
}

fn the_pack_holds_the_agenda_the_finance_report_and_the_risk_shares(site: Site) {
    meeting(&site);
    let page = site.get_as("board", PACK);
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Meeting of Thursday 2016-09-15"), "the date");
    assert!(html.contains("Single Joint Management Group"), "the board");
    assert!(html.contains("Print"), "a print hint");
    // The agenda, in order, each paper with its date; the late one marked.
    let agenda = &html[html.find("id=\"agenda\"").expect("the agenda")..];
    let at = |text: &str| agenda.find(text).unwrap_or_else(|| panic!("no `{text}` in the agenda"));
    assert!(at("Budget monitoring M5") < at("Provider in difficulty"));
    assert!(at("Provider in difficulty") < at("Any other business"));
    assert!(agenda.contains("Finance and performance report — published 2016-09-07"));
    let late = at("Action plan for OP");
    let late_row = &agenda[late..late + agenda[late..].find("</li>").expect("end")];
    assert!(late_row.contains("published 2016-09-12"), "{late_row}");
    assert!(late_row.contains("Late: due by 2016-09-08 (Sch 4 5.2)"), "{late_row}");
    let on_time = at("Finance and performance report");
    assert!(!agenda[on_time..late].contains("Late"), "the paper on time is not marked");
    // The finance report: M5 is before the meeting, but the ledger stops at M2.
    assert!(html.contains("M2 (May 2016)"), "the report month");
    let store = site.store();
    let report = pooled_app::report(store.as_ref(), &oxon(), month(2)).expect("report");
    let pools = table_html(&html, "pools");
    for pool in &report.pools {
        let cells = row_cells(pools, &format!("href=\"/agreements/oxon-s75/2016-17/pools/{}\"", pool.id));
        let f = &pool.figures;
        let expected = [
            format!("{} ({})", pool.name, pool.id),
            pounds(f.annual_budget),
            pounds(f.actual_to_date),
            pounds(f.forecast_outturn),
            pounds(f.variance),
        ];
        assert_eq!(cells[..expected.len()], expected[..], "pool {}", pool.id);
    }
    // The risk shares, as Schedule 3 publishes them.
    assert_eq!(row_cells(table_html(&html, "OP"), ">% risk share<")[1..], ["50.24%", "49.76%"]);
    assert_eq!(row_cells(table_html(&html, "LD"), ">% risk share<")[1..], ["85.10%", "14.90%"]);
    // The audit log's head as of those figures.
    let head = store.audit_head().expect("head");
    let finance = &html[html.find("id=\"pack-finance\"").expect("the finance section")..];
    assert!(finance.contains(&format!("Audit log head as of these figures: <code>{head}</code>")), "{finance}");
    // Sections that the print stylesheet starts on a new page.
    for id in ["pack-agenda", "pack-finance", "pack-risk-share"] {
        assert!(html.contains(&format!("<section class=\"app-pack__section\" id=\"{id}\"")), "{id}");
    }
}

fn confidential_items_are_only_in_the_members_pack(site: Site) {
    meeting(&site);
    for (user, sees) in
        [("board", true), ("manager", true), ("viewer", false), ("occ-finance", false), ("admin", false)]
    {
        let page = site.get_as(user, PACK);
        assert_eq!(page.status, StatusCode::OK, "{user}");
        let html = page.text();
        assert!(html.contains("Budget monitoring M5"), "{user}: the public item");
        assert!(html.contains("Action plan for OP"), "{user}: its paper");
        assert_eq!(html.contains("Provider in difficulty"), sees, "{user}: the confidential item");
        assert_eq!(html.contains("Provider risk assessment"), sees, "{user}: its paper");
        assert_eq!(html.contains("Members' version"), sees, "{user}");
        assert!(html.contains("50.24%"), "{user}: the risk shares");
    }
}

fn a_pack_for_no_meeting_is_not_found(site: Site) {
    assert_eq!(site.get(PACK).status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/agreements/oxon-s75/2016-17/board/meetings/not-a-date/pack").status, StatusCode::NOT_FOUND);
    assert_eq!(site.get_anonymous(PACK).status, StatusCode::SEE_OTHER, "signed in only");
}
