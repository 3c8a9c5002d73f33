//! Reports to the board through the pages (issue 5): the monthly finance and
//! performance report's circulation log, each month on time or late in working days, and
//! an action plan for a flagged forecast variance raised, closed and reported to a
//! meeting; who may record them, an unknown pool refused, stale forms refused, and the
//! months' table exported as shown. On SQLite and PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::*;
use pooled_core::calendar::{Calendar, Date};
use pooled_core::governance::deadlines::monthly_report_due;

on_both_backends!(
    the_monthly_report_is_circulated_on_time_or_late,
    an_action_plan_is_raised_closed_and_reported_to_a_meeting,
    only_the_pool_manager_records_reports_and_bad_forms_are_refused,
    the_months_export_as_shown,
);

const PAGE: &str = "/agreements/oxon-s75/2016-17/board/reports";

fn day(text: &str) -> Date {
    Date::parse_iso(text).expect("date")
}

/// A change through the reports page's forms, with the register's version they carry.
fn change(site: &Site, fields: &[(&str, &str)]) -> Page {
    let version = hidden_field(&site.get(PAGE).text(), "version").unwrap_or_default();
    let mut all = vec![("version", version.as_str())];
    all.extend_from_slice(fields);
    site.post_as("manager", PAGE, &all)
}

fn done(page: &Page) {
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(page.headers[header::LOCATION], PAGE);
}

fn circulate(site: &Site, month: &str, on: &str) -> Page {
    change(site, &[("action", "circulate"), ("month", month), ("circulated_on", on)])
}

fn raise(site: &Site, pool: &str, line: &str) -> Page {
    change(
        site,
        &[
            ("action", "raise"),
            ("pool", pool),
            ("line", line),
            ("month", "M5"),
            ("raised_on", "2016-10-28"),
            ("description", "Review home support packages to recover the forecast overspend"),
        ],
    )
}

fn the_monthly_report_is_circulated_on_time_or_late(site: Site) {
    let html = site.get(PAGE).text();
    assert!(html.contains("Monthly finance and performance report 2016-17"));
    let cells = row_cells(&html, "M1 (April 2016)");
    assert_eq!(cells[1..3], ["2016-05-31", ""]);
    assert!(cells[3].starts_with("not circulated: overdue by "), "{cells:?}");
    // April's report by Tuesday 31 May 2016: sent on the 20th, on time.
    done(&circulate(&site, "M1", "2016-05-20"));
    // May's by Thursday 30 June 2016: sent on Tuesday 5 July, late.
    done(&circulate(&site, "M2", "2016-07-05"));
    let cal = Calendar::EnglandAndWales;
    let year = year();
    assert_eq!(monthly_report_due(cal, year, month(1)), day("2016-05-31"));
    let due = monthly_report_due(cal, year, month(2));
    let late = cal.working_days_between(due.add_days(1).expect("day"), day("2016-07-05"));
    assert_eq!(late, 3, "Friday 1, Monday 4 and Tuesday 5 July");
    let html = site.get(PAGE).text();
    assert_eq!(
        row_cells(&html, "M1 (April 2016)"),
        ["M1 (April 2016)", "2016-05-31", "2016-05-20", "circulated on time"]
    );
    assert_eq!(
        row_cells(&html, "M2 (May 2016)"),
        [
            "M2 (May 2016)".to_string(),
            due.to_string(),
            "2016-07-05".into(),
            format!("circulated late by {late} working days")
        ]
    );
    // A month not circulated is overdue, meeting or not (Sch 4 5.4).
    assert!(row_cells(&html, "M3 (June 2016)")[3].starts_with("not circulated: overdue by "));
    // A month appears once in the log.
    let twice = circulate(&site, "M1", "2016-05-25");
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(twice.text().contains("the monthly report for M1 is circulated twice"), "{}", twice.text());
    // The register file holds the log.
    let stored = site.store().document("board-register", "oxon-s75/2016-17").expect("read").expect("stored");
    assert!(stored.text.contains("[[circulation]]\nmonth = \"M2\"\ncirculated_on = 2016-07-05\n"), "{}", stored.text);
}

fn an_action_plan_is_raised_closed_and_reported_to_a_meeting(site: Site) {
    assert!(site.get(PAGE).text().contains("No action plan is recorded for 2016-17."));
    done(&raise(&site, "OP", "home-support"));
    let html = site.get(PAGE).text();
    let cells = row_cells(&html, "id=\"plan-a1\"");
    assert_eq!(cells[..5], ["a1", "OP", "home-support", "M5 (August 2016)", "2016-10-28"]);
    assert_eq!(cells[6..], ["open", "to report at the next meeting"]);
    // A meeting is held after the plan was raised: not reported to it, flagged red.
    let meeting = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/meetings", &[("date", "2016-12-15")]);
    assert_eq!(meeting.status, StatusCode::SEE_OTHER, "{}", meeting.text());
    let html = site.get(PAGE).text();
    assert_eq!(row_cells(&html, "id=\"plan-a1\"")[7], "not reported to the meeting of 2016-12-15");
    let row = &html[html.find("id=\"plan-a1\"").expect("row")..];
    assert!(row[..row.find("</tr>").expect("end")].contains("govuk-tag--red"));
    // Closed, then reported to the meeting.
    done(&change(&site, &[("action", "close"), ("id", "a1"), ("closed_on", "2016-12-01")]));
    assert_eq!(row_cells(&site.get(PAGE).text(), "id=\"plan-a1\"")[6], "closed on 2016-12-01");
    done(&change(&site, &[("action", "report"), ("id", "a1"), ("reported_at", "2016-12-15")]));
    let html = site.get(PAGE).text();
    let cells = row_cells(&html, "id=\"plan-a1\"");
    assert_eq!(cells[6..], ["closed on 2016-12-01", "reported to the meeting of 2016-12-15"]);
    let row = &html[html.find("id=\"plan-a1\"").expect("row")..];
    assert!(!row[..row.find("</tr>").expect("end")].contains("govuk-tag--red"));
    // Only a meeting the board holds; and not closed before it was raised.
    let refused = change(&site, &[("action", "report"), ("id", "a1"), ("reported_at", "2016-12-16")]);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    done(&raise(&site, "LD", ""));
    let refused = change(&site, &[("action", "close"), ("id", "a2"), ("closed_on", "2016-10-01")]);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().contains("action plan `a2` is closed on 2016-10-01, before it was raised on 2016-10-28"));
    // The action plans export as well.
    let csv = csv_rows(&site.get(&format!("{PAGE}?format=csv&table=action-plans")).body);
    assert_eq!(csv.len(), 3, "{csv:?}");
    assert_eq!(csv[1][..3], ["a1", "OP", "home-support"]);
    assert_eq!(csv[2][..3], ["a2", "LD", ""]);
}

fn only_the_pool_manager_records_reports_and_bad_forms_are_refused(site: Site) {
    for user in ["viewer", "board", "occ-finance", "budget-holder"] {
        assert!(!site.get_as(user, PAGE).text().contains("Record circulation"), "{user} sees no forms");
        let page =
            site.post_as(user, PAGE, &[("action", "circulate"), ("month", "M1"), ("circulated_on", "2016-05-20")]);
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
    }
    assert!(site.get(PAGE).text().contains("Record circulation"));
    // An unknown pool, and a line of another pool.
    let unknown = raise(&site, "XX", "");
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.text().contains("action plan `a1` is for pool `XX`, which the agreement does not have"));
    let wrong_line = raise(&site, "LD", "home-support");
    assert_eq!(wrong_line.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong_line.text().contains("which pool LD does not have"), "{}", wrong_line.text());
    // A stale form: the version it carries was overtaken.
    let version = hidden_field(&site.get(PAGE).text(), "version").unwrap_or_default();
    done(&circulate(&site, "M1", "2016-05-20"));
    let stale = site.post_as(
        "manager",
        PAGE,
        &[("version", &version), ("action", "circulate"), ("month", "M2"), ("circulated_on", "2016-06-20")],
    );
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", stale.text());
    assert_eq!(site.get(PAGE).text().matches("circulated on time").count(), 1, "only M1");
}

fn the_months_export_as_shown(site: Site) {
    done(&circulate(&site, "M1", "2016-05-20"));
    let html = site.get(PAGE).text();
    let csv = site.get(&format!("{PAGE}?format=csv&table=circulation"));
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().expect("ASCII").starts_with("text/csv"));
    let csv = csv_rows(&csv.body);
    assert_eq!(csv[0], ["Month", "Due by", "Circulated", "Standing"]);
    assert_eq!(csv.len(), 13, "twelve months");
    let cal = Calendar::EnglandAndWales;
    for (n, row) in (1..=12).zip(&csv[1..]) {
        assert_eq!(row[1], monthly_report_due(cal, year(), month(n)).to_string(), "M{n}");
        assert_eq!(row_cells(&html, &format!(">M{n} (")), *row, "M{n} as shown");
    }
    assert_eq!(csv[1][2..], ["2016-05-20", "circulated on time"]);
    let xlsx = site.get(&format!("{PAGE}?format=xlsx&table=circulation"));
    assert_eq!(xlsx.status, StatusCode::OK);
}
