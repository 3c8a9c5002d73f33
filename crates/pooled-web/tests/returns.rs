//! The returns to NHS England from the web: the agreement's page, the BCF plan page and the
//! metrics page link each, a reader downloads the workbook `pooled bcf-return` writes; the pool manager
//! writes the cover's fields and the assurance statements on the return's page, the other
//! roles read them; the API's download and statements. On SQLite and PostgreSQL; API
//! answers are checked against the OpenAPI document.

#[macro_use]
mod common;
#[path = "api/described.rs"]
mod described;

use axum::http::{Method, StatusCode, header};
use common::*;
use described::{Api, assert_error, call, get_json, json_of};
use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_store::{AgreementYear, StoredStatement};
use serde_json::{Value, json};

const BCF: &str = include_str!("../../../examples/oxfordshire-bcf-2021-22.toml");

on_both_backends!(
    agreement = super::BCF;
    the_returns_are_linked_and_downloaded,
    the_pool_manager_writes_the_statements_and_the_others_read_them,
    the_api_downloads_the_return_and_reads_and_writes_its_statements,
);

const RETURNS: &str = "/agreements/oxon-bcf/2021-22/bcf/returns";
const API: &str = "/api/agreements/oxon-bcf/2021-22/bcf/returns";

fn key() -> AgreementYear {
    AgreementYear::new("oxon-bcf", pooled_core::calendar::FinancialYear::parse("2021-22").unwrap())
}

/// Each stored statement of the return: (field, text).
fn stored(site: &Site, kind: ReturnKind) -> Vec<(String, String)> {
    let all: Vec<StoredStatement> = site.store().statements(&key(), kind).unwrap();
    all.into_iter().map(|s| (s.field.key(), s.text)).collect()
}

/// The text of the link with `id`, tags stripped.
fn link_text(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no link {id}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    strip_tags(&html[start..start + html[start..].find("</a>").unwrap()])
}

/// A cell of the row whose first cell is `first`, in the column headed `header`.
fn cell(rows: &[Vec<String>], first: &str, header: &str) -> String {
    let head = rows.iter().find(|r| r.iter().any(|c| c == header)).expect("the header row");
    let column = head.iter().position(|c| c == header).unwrap();
    rows.iter().find(|r| r[0] == first).map(|r| r[column].clone()).unwrap_or_else(|| panic!("no row {first}"))
}

fn the_returns_are_linked_and_downloaded(site: Site) {
    let key = key();
    let mut store = site.store();
    let narrative = [(StatementField::Narrative, "=on plan".to_string())];
    pooled_app::bcf_return::set_statements(store.as_mut(), &key, ReturnKind::Quarter(2), &narrative, "t", || Ok(()))
        .unwrap();
    drop(store);

    let page = site.get_as("viewer", "/agreements/oxon-bcf/2021-22").text();
    let plan = site.get_as("viewer", "/agreements/oxon-bcf/2021-22/bcf").text();
    let metrics = site.get_as("viewer", "/agreements/oxon-bcf/2021-22/metrics").text();
    for kind in ReturnKind::ALL {
        let href = format!("{RETURNS}/{kind}.xlsx");
        assert!(page.contains(&format!("href=\"{href}\"")), "{kind} linked");
        // The BCF plan page lists each return: its download, its text naming it, and its statements.
        assert!(plan.contains(&format!("id=\"return-{kind}\" href=\"{href}\"")), "{kind} on the plan page");
        assert!(
            link_text(&plan, &format!("return-{kind}")).to_lowercase().contains(&kind.words().to_lowercase()),
            "{kind}"
        );
        assert!(plan.contains(&format!("id=\"statements-{kind}\" href=\"{RETURNS}/{kind}/statements\"")), "{kind}");
        assert!(metrics.contains(&format!("href=\"{href}\"")), "{kind} linked from the metrics page");
        let download = site.get_as("viewer", &href);
        assert_eq!(download.status, StatusCode::OK, "{kind}");
        let cover = xlsx_cells(&site, &download.body, "Cover");
        let item = |name: &str| cover.iter().find(|r| r[0] == name).map(|r| r[1].clone()).unwrap_or_default();
        assert_eq!(item("Return"), kind.words());
        assert_eq!(item("Narrative"), if kind == ReturnKind::Quarter(2) { "=on plan" } else { "" });
        // The workbook is the use case's: its figures at the return's month.
        let r = pooled_app::bcf_return::bcf_return(site.store().as_ref(), &key, kind).unwrap();
        let written = site.dir.join(format!("{kind}-expected.xlsx"));
        pooled_files::write_xlsx_file(&written, &pooled_app::bcf_return::return_workbook(&r)).unwrap();
        for sheet in pooled_app::bcf_return::SHEETS {
            let expected = pooled_files::read_xlsx_cells(&written, sheet).unwrap();
            assert_eq!(xlsx_cells(&site, &download.body, sheet), expected, "{kind} {sheet}");
        }
    }
    let disposition =
        site.get("/agreements/oxon-bcf/2021-22/bcf/returns/Q1.xlsx").headers["content-disposition"].clone();
    assert!(disposition.to_str().unwrap().contains("pooled-oxon-bcf-2021-22-bcf-Q1.xlsx"), "{disposition:?}");
    assert_eq!(link_text(&plan, "return-Q2"), "Q2 return (Excel)");
    for missing in ["Q4.xlsx", "Q1.csv", "plan", "Q4/statements"] {
        let page = site.get(&format!("{RETURNS}/{missing}"));
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

fn the_pool_manager_writes_the_statements_and_the_others_read_them(site: Site) {
    let page = format!("{RETURNS}/Q2/statements");
    let form = site.get(&page).text();
    assert!(form.contains(&format!("<form method=\"post\" action=\"{page}\"")), "the pool manager's form");
    assert!(form.contains("name=\"csrf_token\""));
    for field in ["completed-by", "contact", "narrative", "condition:social-care", "condition:dfg-to-districts"] {
        assert!(form.contains(&format!("name=\"{field}\"")), "{field} in the form");
    }
    assert!(form.contains(&format!("id=\"return-Q2\" href=\"{RETURNS}/Q2.xlsx\"")), "the download beside it");

    let fields = [
        ("completed-by", "Ann Smith, BCF lead"),
        ("narrative", "<b>On plan</b>\nbut for discharge"),
        ("condition:social-care", "=SUM(A1) met"),
        ("contact", ""),
    ];
    let saved = site.post_as("manager", &page, &fields);
    assert_eq!(saved.headers[header::LOCATION], format!("{page}?saved=1"));
    assert!(site.follow_as("manager", &saved).text().contains("statements are saved"));
    let expected = vec![
        ("completed-by".to_string(), "Ann Smith, BCF lead".to_string()),
        ("narrative".into(), "<b>On plan</b>\nbut for discharge".into()),
        ("condition:social-care".into(), "=SUM(A1) met".into()),
    ];
    assert_eq!(stored(&site, ReturnKind::Quarter(2)), expected);
    assert!(stored(&site, ReturnKind::Quarter(1)).is_empty(), "only the return named");

    // Everyone acting in the agreement reads them, as text, without the form.
    for user in ["viewer", "board", "occ-finance", "admin"] {
        let read = site.get_as(user, &page);
        assert_eq!(read.status, StatusCode::OK, "{user}");
        let html = read.text();
        assert!(!html.contains("<form method=\"post\" action=\"/agreements"), "{user}: no form");
        assert!(html.contains("&lt;b&gt;On plan&lt;/b&gt;<br>but for discharge"), "{user}: as text");
        assert!(html.contains("=SUM(A1) met") && html.contains("Written by manager"), "{user}");
    }
    assert!(site.get_as("viewer", &format!("{RETURNS}/Q3/statements")).text().contains("Not written"));

    // The workbook gives them as text: a statement starting with "=" is no formula.
    let book = site.get_as("viewer", &format!("{RETURNS}/Q2.xlsx"));
    let conditions = xlsx_cells(&site, &book.body, "National conditions");
    assert_eq!(cell(&conditions, "social-care", "Assurance statement"), "=SUM(A1) met");
    let cover = xlsx_cells(&site, &book.body, "Cover");
    assert_eq!(cell(&cover, "Completed by", "Value"), "Ann Smith, BCF lead");

    // Only the pool manager writes; a form without its CSRF token is refused too.
    let changed = [("completed-by", "Someone else")];
    for user in ["viewer", "board", "occ-finance", "budget-holder", "admin"] {
        let refused = site.post_as(user, &page, &changed);
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{user}");
        assert!(refused.text().contains("cannot write the returns' statements"), "{user}");
    }
    let cookie = site.session("manager").cookie;
    assert_eq!(site.post_raw(Some(&cookie), &page, &changed).status, StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(stored(&site, ReturnKind::Quarter(2)), expected, "nothing changed");

    // Up to the stored limit, all or nothing: the form comes back with what was entered.
    let long = "x".repeat(10_001);
    let refused = site.post_as("manager", &page, &[("contact", "ann@example.org"), ("narrative", &long)]);
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text();
    assert!(html.contains("narrative: the statement has 10,001 characters: at most 10,000 may be kept"), "{html}");
    assert!(html.contains("value=\"ann@example.org\""), "what was entered, kept");
    assert_eq!(stored(&site, ReturnKind::Quarter(2)), expected, "nothing saved");
    let exactly = "y".repeat(10_000);
    let saved = site.post_as("manager", &page, &[("narrative", &exactly)]);
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    assert_eq!(stored(&site, ReturnKind::Quarter(2))[1], ("narrative".to_string(), exactly));
    let unknown = site.post_as("manager", &page, &[("signed", "x")]);
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let other = site.post_as("manager", &page, &[("condition:fairness", "x")]);
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(other.text().contains("the Q2 return has no condition `fairness`"));
}

fn the_api_downloads_the_return_and_reads_and_writes_its_statements(site: Api) {
    let (manager, viewer) = (token_for(&site, "manager"), token_for(&site, "viewer"));
    let doc = get_json(&site, "/api/openapi.json", &viewer);
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let download = &doc["paths"]["/api/agreements/{agreement}/{year}/bcf/returns/{return}"]["get"];
    assert!(download["responses"]["200"]["content"][xlsx].is_object(), "described as a workbook");
    let statements = &doc["paths"]["/api/agreements/{agreement}/{year}/bcf/returns/{return}/statements"];
    assert_eq!(statements["get"]["operationId"], "bcfStatements");
    assert_eq!(statements["post"]["operationId"], "setBcfStatements");

    let uri = format!("{API}/Q1/statements");
    let before = get_json(&site, &uri, &viewer);
    assert_eq!(before["return"], "Q1");
    let fields: Vec<&str> =
        before["statements"].as_array().unwrap().iter().map(|s| s["field"].as_str().unwrap()).collect();
    let slots = pooled_app::bcf_return::statement_slots(&pooled_app::agreement(site.store().as_ref(), &key()).unwrap());
    assert_eq!(fields, slots.iter().map(|s| s.field.key()).collect::<Vec<_>>(), "every field, in order");
    assert!(before["statements"].as_array().unwrap().iter().all(|s| s["text"].is_null()));

    let body = json!({"statements": {"completed-by": "Ann", "condition:social-care": "=1+1", "narrative": ""}});
    let posted = call(&site, Method::POST, &uri, Some(&manager), Some(&body));
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    let answer = json_of(&posted);
    let text_of = |answer: &Value, field: &str| -> Value {
        let each = answer["statements"].as_array().unwrap();
        each.iter().find(|s| s["field"] == field).map(|s| s["text"].clone()).expect(field)
    };
    assert_eq!(text_of(&answer, "completed-by"), "Ann");
    assert_eq!(text_of(&answer, "condition:social-care"), "=1+1");
    assert!(text_of(&answer, "narrative").is_null());
    let social_care = answer["statements"].as_array().unwrap().iter().find(|s| s["field"] == "condition:social-care");
    assert_eq!(social_care.unwrap()["entered_by"], "manager");
    assert_eq!(get_json(&site, &uri, &viewer)["statements"], answer["statements"], "read back as written");
    assert_eq!(stored(&site, ReturnKind::Quarter(1)).len(), 2);

    let refused = call(&site, Method::POST, &uri, Some(&viewer), Some(&json!({"statements": {"contact": "x"}})));
    assert_error(&refused, StatusCode::FORBIDDEN, "cannot write the returns' statements");
    let unknown = json!({"statements": {"signed": "x", "contact": "y"}});
    assert_error(
        &call(&site, Method::POST, &uri, Some(&manager), Some(&unknown)),
        StatusCode::UNPROCESSABLE_ENTITY,
        "statements.signed",
    );
    let too_long = json!({"statements": {"contact": "y", "narrative": "x".repeat(10_001)}});
    assert_error(
        &call(&site, Method::POST, &uri, Some(&manager), Some(&too_long)),
        StatusCode::UNPROCESSABLE_ENTITY,
        "10,001 characters",
    );
    assert_error(
        &call(&site, Method::POST, &uri, Some(&manager), Some(&json!({"statements": {}}))),
        StatusCode::UNPROCESSABLE_ENTITY,
        "at least one",
    );
    assert_eq!(stored(&site, ReturnKind::Quarter(1)).len(), 2, "nothing written by a refusal");

    // The workbook, the same as the page's download (the page's sign-in first: the
    // workbook's audit head is the log's as of its figures).
    let page = site.get_as("viewer", &format!("{RETURNS}/Q1.xlsx"));
    let got = call(&site, Method::GET, &format!("{API}/Q1"), Some(&viewer), None);
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.headers[header::CONTENT_TYPE], xlsx);
    for sheet in pooled_app::bcf_return::SHEETS {
        assert_eq!(xlsx_cells(&site, &got.body, sheet), xlsx_cells(&site, &page.body, sheet), "{sheet}");
    }
    assert_eq!(cell(&xlsx_cells(&site, &got.body, "Cover"), "Completed by", "Value"), "Ann");
    assert_error(
        &call(&site, Method::GET, &format!("{API}/Q4"), Some(&viewer), None),
        StatusCode::NOT_FOUND,
        "Q4 is the end-of-year return",
    );
}
