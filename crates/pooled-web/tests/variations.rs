//! The variations page and API on SQLite and PostgreSQL: the history of the agreement's
//! year, and a variation loaded from the page or through the API with its effective day
//! and approval, refused as the command line refuses; the instalments after it. API
//! answers are checked against the OpenAPI document.

#[macro_use]
mod common;
#[path = "api/described.rs"]
mod described;

use axum::http::{Method, StatusCode};
use common::*;
use described::{Api, assert_error, call, get_json, json_of};
use pooled_core::money::Money;
use pooled_store::AgreementYear;
use serde_json::json;

on_both_backends!(
    the_history_shows_the_first_version_and_the_form_to_those_who_may_load,
    a_variation_loaded_from_the_page_keeps_the_instalments_invoiced,
    a_viewer_cannot_load_a_variation,
    a_file_of_another_agreement_is_refused_on_this_agreements_page,
    a_variation_loaded_through_the_api_is_refused_as_the_command_line_refuses,
);

const PAGE: &str = "/agreements/oxon-s75/2016-17/variations";
const API: &str = "/api/agreements/oxon-s75/2016-17/variations";

/// The example with the CCG's contribution to Older People raised by £1,200,000.
fn varied() -> String {
    AGREEMENT.replacen("OCCG = \"85,206,000\"", "OCCG = \"86,406,000\"", 1)
}

fn load(site: &Site, user: &str, fields: &[(&str, &str)], text: &str) -> Page {
    site.upload_as(user, PAGE, fields, ("varied.toml", text.as_bytes()), true)
}

fn the_history_shows_the_first_version_and_the_form_to_those_who_may_load(site: Site) {
    let page = site.get_as("manager", PAGE);
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("Version 1") && html.contains("The first version: from the start of the year"), "{html}");
    assert!(html.contains("Load a new version") && html.contains("name=\"effective\""));
    assert!(html.contains(&format!("href=\"{PAGE}\"")), "in the navigation");
    let viewed = site.get_as("viewer", PAGE).text();
    assert!(viewed.contains("Version 1") && !viewed.contains("name=\"effective\""), "a viewer loads nothing");
}

fn a_variation_loaded_from_the_page_keeps_the_instalments_invoiced(site: Site) {
    let store = site.store();
    let a = pooled_app::agreement(store.as_ref(), &oxon()).expect("agreement");
    drop(store);
    // The CCG's first instalment to Older People is invoiced and paid.
    let record = [
        ("pool", "OP"),
        ("from", "OCCG"),
        ("to", "OCC"),
        ("month", "M1"),
        ("raised_on", "2016-02-20"),
        ("paid_on", "2016-03-01"),
        ("amount", ""),
    ];
    assert_eq!(site.post_as("manager", "/agreements/oxon-s75/2016-17/payments", &record).status, StatusCode::SEE_OTHER);
    let before = pooled_app::payments(site.store().as_ref(), &a).expect("payments");

    // Without a day: refused, since ledgers are imported and an instalment is paid.
    let page = load(&site, "manager", &[("effective", ""), ("approved_by", "")], &varied());
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text();
    assert!(
        html.contains("There is a problem") && html.contains("a variation must say the day it takes effect"),
        "{html}"
    );
    // A day without who approved it.
    let page = load(&site, "manager", &[("effective", "2016-10-01"), ("approved_by", " ")], &varied());
    assert!(page.text().contains("2016-10-01: say who approved it"), "{}", page.text());
    assert_eq!(site.store().agreement_versions(&oxon()).expect("versions").len(), 1, "nothing loaded");

    let page =
        load(&site, "manager", &[("effective", "2016-10-01"), ("approved_by", "JMG 2016-09-15, item 4")], &varied());
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Variation recorded as version 2"), "{html}");
    assert!(html.contains("Takes effect on 2016-10-01") && html.contains("JMG 2016-09-15, item 4"), "{html}");
    assert!(
        html.contains("pool OP / line older-people / contribution OCCG: £85,206,000.00 -&gt; £86,406,000.00"),
        "{html}"
    );
    // The risk share before and after, for each pool.
    let shares = table_html(&html, "shares-v2");
    assert_eq!(row_cells(shares, "<td class=\"govuk-table__cell\">OCCG</td>")[..4], ["", "OCCG", "", ""]);
    assert!(strip_tags(shares).contains("49.76") && strip_tags(shares).contains("50.10"), "{shares}");

    // The instalment paid is as it was; the CCG's year to Older People adds up to its new
    // contribution; the history is in the API.
    let a = pooled_app::agreement(site.store().as_ref(), &oxon()).expect("agreement");
    let after = pooled_app::payments(site.store().as_ref(), &a).expect("payments");
    let op_occg = |tracked: &[pooled_core::payments::TrackedInstalment]| -> Vec<Money> {
        (tracked.iter())
            .filter(|t| t.instalment.pool == "OP" && a.partners()[t.instalment.from].id == "OCCG")
            .map(|t| t.instalment.amount)
            .collect()
    };
    assert_eq!(op_occg(&after)[0], op_occg(&before)[0]);
    assert_eq!(after[0].account.paid(), before[0].account.paid());
    assert_eq!(op_occg(&after).iter().sum::<Money>(), whole_pounds(86_406_000 + 33_897_000 + 1_075_000));
    let api = site.get_as("viewer", API);
    assert_eq!(api.status, StatusCode::OK);
    let answer: serde_json::Value = serde_json::from_str(&api.text()).expect("JSON");
    assert_eq!(answer["versions"][1]["approved_by"], "JMG 2016-09-15, item 4");
    assert_eq!(answer["versions"][1]["pools"][0]["budget"]["after"], "188300562.00");
}

fn a_viewer_cannot_load_a_variation(site: Site) {
    let page = load(&site, "viewer", &[("effective", "2016-10-01"), ("approved_by", "JMG")], &varied());
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text().contains("cannot load or vary agreement oxon-s75"), "{}", page.text());
    assert_eq!(site.store().agreement_versions(&oxon()).expect("versions").len(), 1);
}

fn a_file_of_another_agreement_is_refused_on_this_agreements_page(site: Site) {
    let bucks = AGREEMENT.replacen("id = \"oxon-s75\"", "id = \"bucks-bcf\"", 1);
    let page = load(&site, "manager", &[("effective", ""), ("approved_by", "JMG 2016-03-20")], &bucks);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text());
    let html = page.text();
    assert!(html.contains("the file is agreement bucks-bcf 2016-17, not oxon-s75 2016-17"), "{html}");
    assert!(site.store().agreement(&AgreementYear::new("bucks-bcf", year())).expect("read").is_none(), "not loaded");
}

fn a_variation_loaded_through_the_api_is_refused_as_the_command_line_refuses(site: Api) {
    let (manager, viewer) = (token_for(&site, "manager"), token_for(&site, "viewer"));
    let body = |effective: Option<&str>, approved_by: Option<&str>, text: &str| json!({ "agreement_toml": text, "file_name": "varied.toml", "effective": effective, "approved_by": approved_by });
    let post = |token: &str, body: &serde_json::Value| call(&site, Method::POST, API, Some(token), Some(body));
    let approved = body(Some("2016-10-01"), Some("JMG 2016-09-15, item 4"), &varied());
    assert_error(&post(&viewer, &approved), StatusCode::FORBIDDEN, "cannot load or vary agreement oxon-s75");
    assert_error(
        &post(&manager, &body(None, None, &varied())),
        StatusCode::UNPROCESSABLE_ENTITY,
        "varied.toml: agreement oxon-s75 2016-17 already has ledger imports",
    );
    assert_error(
        &post(&manager, &body(Some("2016-10-01"), Some(" "), &varied())),
        StatusCode::UNPROCESSABLE_ENTITY,
        "varied.toml: the variation takes effect on 2016-10-01: say who approved it",
    );
    assert_error(
        &post(&manager, &body(Some("2017-04-01"), Some("JMG"), &varied())),
        StatusCode::UNPROCESSABLE_ENTITY,
        "outside the agreement's financial year 2016-17",
    );
    let bucks = AGREEMENT.replacen("id = \"oxon-s75\"", "id = \"bucks-bcf\"", 1);
    assert_error(
        &post(&manager, &body(None, None, &bucks)),
        StatusCode::UNPROCESSABLE_ENTITY,
        "the file is agreement bucks-bcf 2016-17, not oxon-s75 2016-17",
    );
    assert_eq!(site.store().agreement_versions(&oxon()).expect("versions").len(), 1, "nothing loaded");

    let page = post(&manager, &approved);
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let answer = json_of(&page);
    assert_eq!((answer["outcome"].as_str(), answer["version"].as_u64()), (Some("varied"), Some(2)));
    let change = "pool OP / line older-people / contribution OCCG: £85,206,000.00 -> £86,406,000.00";
    assert!(answer["changes"].as_array().expect("changes").iter().any(|c| c == change), "{answer}");
    let history = get_json(&site, API, &viewer);
    assert_eq!(history["versions"][1]["effective"], "2016-10-01");
    assert_eq!(history["versions"][1]["approved_by"], "JMG 2016-09-15, item 4");
    // The same file again changes nothing.
    let again = json_of(&post(&manager, &approved));
    assert_eq!((again["outcome"].as_str(), again["version"].as_u64()), (Some("unchanged"), Some(2)));
    assert_eq!(site.store().agreement_versions(&oxon()).expect("versions").len(), 2);
}
