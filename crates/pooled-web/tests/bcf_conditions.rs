//! The Better Care Fund's conditions on the pages: a breach is flagged on the overview and
//! in the board's agenda pack, naming the condition, the figure and its source, exactly
//! as the engine judges the month's report. The Oxfordshire BCF example, with the 2016-17
//! agreement's board (for the pack) and its adult social care minimum raised above what
//! the plan spends, so that the plan breaches it whatever the ledger. On SQLite and
//! PostgreSQL.

#[macro_use]
mod common;

use std::sync::LazyLock;

use axum::http::StatusCode;
use common::*;
use pooled_core::bcf::conditions;
use pooled_core::calendar::FinancialYear;
use pooled_store::AgreementYear;

const BCF: &str = include_str!("../../../examples/oxfordshire-bcf-2021-22.toml");

static BREACHING: LazyLock<String> = LazyLock::new(|| {
    // £18,000,000 x 1.053 = £18,954,000, above the plan's £18,900,000.
    let raised = BCF.replacen("previous_year = \"17,600,000\"", "previous_year = \"18,000,000\"", 1);
    assert_ne!(raised, BCF, "the example sets the previous year's figure");
    // The 2016-17 agreement's board: its tables to the end of the board's.
    let mut board = String::new();
    let mut in_board = false;
    for line in AGREEMENT.lines() {
        if line.starts_with('[') {
            in_board = line.starts_with("[board") || line.starts_with("[[board");
        }
        if in_board {
            board.push_str(line);
            board.push('\n');
        }
    }
    format!("{raised}\n{board}")
});

on_both_backends!(agreement = super::BREACHING; a_breach_is_flagged_on_the_overview_and_in_the_pack);

const OVERVIEW: &str = "/agreements/oxon-bcf/2021-22";

/// Each breach of the month as the engine words it, as the page escapes it.
fn expected_breaches(site: &Site, month: u32) -> Vec<String> {
    let store = site.store();
    let key = AgreementYear::new("oxon-bcf", FinancialYear::parse("2021-22").expect("year"));
    let spending = pooled_app::bcf(store.as_ref(), &key, common::month(month)).expect("spend");
    let report = pooled_app::report(store.as_ref(), &key, common::month(month)).expect("report");
    let from_report = conditions::for_report(&spending.agreement, &report);
    assert_eq!(from_report, spending.conditions, "the page's conditions are pooled bcf's");
    from_report.iter().flat_map(|c| c.breach_words()).map(|b| maud::html! { (b) }.into_string()).collect()
}

/// The list under the flag, item by item.
fn flagged(html: &str) -> Vec<String> {
    let at = html.find("id=\"bcf-breaches\"").unwrap_or_else(|| panic!("no flag in {html}"));
    let flag = &html[at..at + html[at..].find("</ul>").expect("the list ends")];
    flag.split("<li>").skip(1).map(|item| item.trim_end_matches("</li>").to_string()).collect()
}

fn a_breach_is_flagged_on_the_overview_and_in_the_pack(site: Site) {
    let page = site.get(OVERVIEW);
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let expected = expected_breaches(&site, 2);
    assert!(
        expected.iter().any(|b| b.contains("spend on adult social care, planned £18,900,000.00, is £54,000.00 below the required £18,954,000.00 (BCF policy framework 2021-22: NHS minimum contribution to adult social care)")),
        "{expected:?}"
    );
    assert!(html.contains("Better Care Fund conditions breached at M2 (May 2021):"), "{html}");
    assert_eq!(flagged(&html), expected);

    // The pack of a meeting in June takes May's report, and flags the same.
    let meetings = "/agreements/oxon-bcf/2021-22/board/meetings";
    let made = site.post_as("manager", meetings, &[("date", "2021-06-17")]);
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    let pack = site.get_as("board", &format!("{meetings}/2021-06-17/pack"));
    assert_eq!(pack.status, StatusCode::OK);
    let html = pack.text();
    let finance = &html[html.find("id=\"pack-finance\"").expect("the finance section")..];
    assert_eq!(flagged(finance), expected);
}
