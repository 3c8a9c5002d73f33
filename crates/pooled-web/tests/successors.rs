//! A successor body through the pages and the API: the Oxfordshire 2022-23 agreement,
//! whose CCG the ICB succeeds on 1 July 2022, with the CCG's contribution to Live Well
//! given (the example gives budgets only, so it has no instalments). Each month's report
//! is headed by the body of its last day, instalments are from the body paying on their
//! due date, and the year-end settlement and its invoices name the body holding the place
//! at the end of the year. Every API answer is checked against the OpenAPI document.

#[macro_use]
mod common;
#[path = "api/described.rs"]
mod described;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use axum::http::{Request, header};
use common::*;
use described::{Api, as_json, assert_error, call, get_json, import_through_the_api};
use pooled_core::calendar::FinancialYear;
use pooled_core::ledger::{Mapping, Period};
use pooled_core::money::Money;
use pooled_core::payments::schedule;
use pooled_files::{GenOptions, Postings, Span, gen_ledger};
use pooled_store::{AgreementYear, NewUser, Role};
use serde_json::{Value, json};

on_both_backends!(
    agreement = super::agreement();
    each_months_report_is_headed_by_the_body_of_its_last_day,
    instalments_are_the_ccgs_before_july_and_the_icbs_from_it,
    the_settlement_and_its_invoices_name_the_icb,
    the_icbs_own_view_holds_oxfordshire_from_july,
    the_icbs_officer_forecasts_and_imports_in_the_ccgs_place_from_july,
    the_board_names_the_body_holding_each_place_on_the_day,
);

const CCG: &str = "OCCG";
const ICB: &str = "BOB-ICB";

/// The 2022-23 example with Live Well funded by both partners: the CCG pays its part to
/// the council, which hosts the pool, month by month. Its board is the 2016-17 example's
/// (the 2022 report describes none), seats of the council and of the CCG.
fn agreement() -> String {
    let example = include_str!("../../../examples/oxfordshire-2022-23.toml");
    let budget = "budget = \"190,585,000\"";
    assert!(example.contains(budget), "the example's Live Well budget");
    let funded = example.replacen(budget, "contributions = { OCC = \"97,198,350\", OCCG = \"93,386,650\" }", 1);
    format!("{funded}\n{}\n", board())
}

/// The 2016-17 example's `[board]`, its clauses and members.
fn board() -> String {
    let board: Vec<&str> = include_str!("../../../examples/oxfordshire-2016-17.toml")
        .lines()
        .skip_while(|l| *l != "[board]")
        .take_while(|l| !l.starts_with('[') || l.starts_with("[board") || l.starts_with("[[board"))
        .collect();
    assert!(board.len() > 10, "the 2016-17 example's board");
    board.join("\n")
}

/// The agreement's id and year, what its records are kept under.
fn oxon_2022() -> AgreementYear {
    AgreementYear::new("oxon-s75-2022", FinancialYear::parse("2022-23").expect("year"))
}

/// A finance officer of the ICB (as `occg-finance` is of the CCG), and an API token of
/// theirs.
fn icb_officer(site: &Site) -> String {
    let officer = accounts().into_iter().find(|u| u.username == "occg-finance").expect("account");
    let officer =
        NewUser { username: "icb-finance".into(), partner: Some(ICB.into()), role: Role::PartnerFinance, ..officer };
    site.store().create_user(&officer, "test").expect("account");
    token_for(site, "icb-finance")
}

/// The ids of the bodies each pool's risk impact names in an API report.
fn impact_ids(report: &Value) -> Vec<Vec<String>> {
    let id = |p: &Value| p["id"].as_str().expect("id").to_string();
    let pools = report["pools"].as_array().expect("pools");
    pools.iter().map(|pool| pool["risk_impact"].as_array().expect("impact").iter().map(id).collect()).collect()
}

fn each_months_report_is_headed_by_the_body_of_its_last_day(site: Api) {
    let token = token_for(&site, "viewer");
    let store = site.store();
    // June is the CCG's last month; July the ICB's first.
    for (m, body, not) in [(3, CCG, ICB), (4, ICB, CCG)] {
        let overview = site.get(&format!("/agreements/oxon-s75-2022/2022-23?month=M{m}")).text();
        let pools = table_html(&overview, "pools");
        assert!(pools.contains(&format!("{body} share")) && !pools.contains(&format!("{not} share")), "M{m}: {pools}");

        let pool = site.get(&format!("/agreements/oxon-s75-2022/2022-23/pools/HESC?month=M{m}")).text();
        let impact = table_html(&pool, "risk-impact");
        assert!(impact.contains(&format!("{body} total")) && !impact.contains(not), "M{m}: {impact}");
        // The CCG's cost centres, headed by the month's body.
        let ccg_cost_centre = row_cells(table_html(&pool, "report"), "OCCG-");
        assert_eq!(ccg_cost_centre[1], body, "M{m}: {ccg_cost_centre:?}");

        let got = get_json(&site, &format!("/api/agreements/oxon-s75-2022/2022-23/report?month=M{m}"), &token);
        let report = pooled_app::report(store.as_ref(), &oxon_2022(), month(m)).expect("report");
        let head = store.audit_head().expect("head");
        assert_eq!(got, as_json(pooled_app::json::report(&report, &head)), "M{m}");
        assert_eq!(impact_ids(&got), vec![vec!["OCC".to_string(), body.to_string()]; 2], "M{m}");
        let partners: Vec<&str> =
            got["pools"][0]["rows"].as_array().expect("rows").iter().filter_map(|r| r["partner"].as_str()).collect();
        assert!(partners.contains(&body) && !partners.contains(&not), "M{m}: {partners:?}");
    }
}

/// The CCG's twelve Live Well instalments to the council (rows 0 to 11 of the schedule).
fn instalments_are_the_ccgs_before_july_and_the_icbs_from_it(site: Api) {
    let store = site.store();
    let a = pooled_app::agreement(store.as_ref(), &oxon_2022()).expect("agreement");
    let instalments = schedule(&a);
    let payer = |m: u32| if m < 4 { CCG } else { ICB };
    assert_eq!(instalments.len(), 12, "the CCG's Live Well contribution, month by month");

    let page = site.get("/agreements/oxon-s75-2022/2022-23/payments").text();
    for (ix, i) in instalments.iter().enumerate() {
        let cells = row_cells(&page, &format!("id=\"instalment-{ix}\""));
        let m = i.month.number();
        let (month, due) = (format!("M{m}"), i.due.to_string());
        assert_eq!(cells[..5], ["HESC", payer(m), "OCC", month.as_str(), due.as_str()], "row {ix}");
    }
    // The totals span the year: the CCG's place, with its successor named.
    let totals = table_html(&page, "totals");
    let year: Money = instalments.iter().map(|i| i.amount).sum();
    let over_the_year = "OCCG (BOB-ICB from 2022-07-01)";
    assert_eq!(row_cells(totals, over_the_year)[..3], [over_the_year, "OCC", pounds(year).as_str()]);
    let csv = site.get("/agreements/oxon-s75-2022/2022-23/payments?format=csv&table=schedule");
    let rows = csv_rows(&csv.body);
    assert_eq!(rows.iter().filter(|r| r.get(1).map(String::as_str) == Some(ICB)).count(), 9, "{rows:?}");

    // The ICB's finance officer records July's instalment by the ICB's id; it is kept
    // under the CCG's, the partner's own.
    let icb = icb_officer(&site);
    let ccg = token_for(&site, "occg-finance");
    let entry = |from: &str, m: &str| json!({ "pool": "HESC", "from": from, "month": m, "raised_on": "2022-06-20", "paid_on": "2022-07-01" });
    let page = call(
        &site,
        Method::POST,
        "/api/agreements/oxon-s75-2022/2022-23/payments",
        Some(&icb),
        Some(&entry(ICB, "M4")),
    );
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let saved: Value = serde_json::from_slice(&page.body).expect("JSON");
    assert_eq!((saved["from"].as_str(), saved["outstanding"].as_str()), (Some(ICB), Some("0.00")));
    assert_eq!(saved["payments"][0]["on"], "2022-07-01");
    let recorded = store.payment_entries(&oxon_2022()).expect("payments");
    let keys: Vec<(&str, u32)> = recorded.iter().map(|p| (p.from.as_str(), p.month.number())).collect();
    assert_eq!(keys, [(CCG, 4), (CCG, 4)], "the invoice and the payment, under the CCG's id");
    // The CCG no longer pays from July; the ICB did not pay before it.
    let refused = call(
        &site,
        Method::POST,
        "/api/agreements/oxon-s75-2022/2022-23/payments",
        Some(&ccg),
        Some(&entry(CCG, "M5")),
    );
    assert_error(&refused, StatusCode::FORBIDDEN, "who cannot record payments from BOB-ICB to OCC");
    let early = call(
        &site,
        Method::POST,
        "/api/agreements/oxon-s75-2022/2022-23/payments",
        Some(&icb),
        Some(&entry(ICB, "M2")),
    );
    assert_error(&early, StatusCode::UNPROCESSABLE_ENTITY, "`BOB-ICB` holds OCCG's place only from 2022-07-01");
    let theirs = call(
        &site,
        Method::POST,
        "/api/agreements/oxon-s75-2022/2022-23/payments",
        Some(&icb),
        Some(&entry(CCG, "M2")),
    );
    assert_error(&theirs, StatusCode::FORBIDDEN, "who cannot record payments from OCCG to OCC");

    let listed = get_json(&site, "/api/agreements/oxon-s75-2022/2022-23/payments", &icb);
    let tracked = pooled_app::payments(store.as_ref(), &a).expect("payments");
    assert_eq!(listed, as_json(pooled_app::json::payments(&tracked, &[])));
    let from: Vec<&str> =
        listed["payments"].as_array().expect("list").iter().map(|p| p["from"].as_str().expect("from")).collect();
    assert_eq!(from, (1..=12).map(payer).collect::<Vec<_>>());

    // On the page, each officer records the instalments of its own body, by their rows.
    let forms = |user: &str| {
        let page = site.get_as(user, "/agreements/oxon-s75-2022/2022-23/payments").text();
        (0..12).filter(|ix| page.contains(&format!("id=\"record-{ix}\""))).collect::<Vec<_>>()
    };
    assert_eq!(forms("icb-finance"), (3..12).collect::<Vec<_>>());
    assert_eq!(forms("occg-finance"), (0..3).collect::<Vec<_>>());
    let recorded = site.post_as(
        "icb-finance",
        "/agreements/oxon-s75-2022/2022-23/payments",
        &[("pool", "HESC"), ("from", CCG), ("to", "OCC"), ("month", "M5"), ("raised_on", "2022-07-20")],
    );
    let page = site.follow_as("icb-finance", &recorded).text();
    assert!(page.contains("The HESC instalment for M5 (August 2022) from BOB-ICB to OCC"), "{page}");
}

fn the_settlement_and_its_invoices_name_the_icb(site: Api) {
    let token = token_for(&site, "viewer");
    let store = site.store();
    let end = pooled_app::year_end(store.as_ref(), &oxon_2022(), &[]).expect("year end");
    assert!(!end.invoices.is_empty(), "two months of ledger leave the pool underspent");

    let page = site.get("/agreements/oxon-s75-2022/2022-23/settlement").text();
    let invoices = table_html(&page, "invoices");
    for i in &end.invoices {
        let cells = row_cells(invoices, &format!(">{}<", i.pool));
        assert_eq!(cells[..4], [i.pool.clone(), i.payer_body.id.clone(), i.payee_body.id.clone(), pounds(i.amount)]);
        assert!([&i.payer_body.id, &i.payee_body.id].contains(&&ICB.to_string()), "{cells:?}");
    }
    assert!(!invoices.contains(CCG), "the CCG is gone by the year end: {invoices}");
    let hesc = table_html(&page, "HESC");
    assert!(hesc.contains("BOB-ICB total") && !hesc.contains(CCG), "{hesc}");
    let csv = csv_rows(&site.get("/agreements/oxon-s75-2022/2022-23/settlement?format=csv&table=invoices").body);
    assert!(csv.iter().skip(1).any(|r| r.contains(&ICB.to_string())), "{csv:?}");

    let got = get_json(&site, "/api/agreements/oxon-s75-2022/2022-23/settlement", &token);
    let head = store.audit_head().expect("head");
    assert_eq!(got, as_json(pooled_app::json::year_end(&end, &head)));
    let named: Vec<&str> = got["invoices"]
        .as_array()
        .expect("invoices")
        .iter()
        .flat_map(|i| [i["payer"].as_str(), i["payee"].as_str()])
        .flatten()
        .collect();
    assert!(named.contains(&ICB) && !named.contains(&CCG), "{named:?}");
    for pool in got["pools"].as_array().expect("pools") {
        let ids: Vec<&str> =
            pool["partners"].as_array().expect("partners").iter().filter_map(|p| p["id"].as_str()).collect();
        assert_eq!(ids, ["OCC", ICB], "{pool}");
    }
}

/// The ICB's view across its agreements: Oxfordshire's from July, where the CCG's was
/// before; the list of agreements links both.
fn the_icbs_own_view_holds_oxfordshire_from_july(site: Api) {
    let listed = site.get("/").text();
    let partners = &listed[listed.find("id=\"partners\"").expect("the partners")..];
    for body in ["OCC", CCG, ICB] {
        assert!(partners.contains(&format!("href=\"/partners/{body}/2022-23\"")), "{body}: {partners}");
    }
    let token = token_for(&site, "viewer");
    let july = get_json(&site, "/api/partners/BOB-ICB/2022-23?month=M4", &token);
    assert_eq!((july["partner"].as_str(), july["agreements"][0]["partner"].as_str()), (Some(ICB), Some(CCG)));
    let store = site.store();
    let report = pooled_app::report(store.as_ref(), &oxon_2022(), month(4)).expect("report");
    let impact: Money = report.pools.iter().map(|p| p.risk_impact.partners[1].total).sum();
    assert_eq!(july["total"]["risk_impact"], impact.to_plain_string());
    let page = site.get("/partners/BOB-ICB/2022-23?month=M4").text();
    assert!(
        page.contains("Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board"),
        "headed by its name"
    );
    assert_eq!(row_cells(&page, "All agreements")[4], pounds(impact));
    // In June the place was the CCG's.
    assert_error(
        &call(&site, Method::GET, "/api/partners/BOB-ICB/2022-23?month=M3", Some(&token), None),
        StatusCode::NOT_FOUND,
        "BOB-ICB holds no partner's place at M3 of 2022-23",
    );
    let june = get_json(&site, "/api/partners/OCCG/2022-23?month=M3", &token);
    assert_eq!(june["name"], "Oxfordshire Clinical Commissioning Group");
}

/// A finance officer acts for the body holding the partner's place at the end of the
/// month: the ICB's forecasts the CCG's cost centres and imports its ledger from July (by
/// either id), the CCG's before.
fn the_icbs_officer_forecasts_and_imports_in_the_ccgs_place_from_july(site: Api) {
    let icb = icb_officer(&site);
    let ccg = token_for(&site, "occg-finance");
    let store = site.store();
    let plan = store.plan(&oxon_2022()).expect("plan");
    let code = plan.iter().find(|c| c.partner == CCG).expect("a CCG cost centre").code.clone();
    let forecast = |token: &str, m: &str| {
        let entry = json!({ "month": m, "cost_centre": code, "outturn": "1000.00", "confirm_below_actual": true });
        call(&site, Method::POST, "/api/agreements/oxon-s75-2022/2022-23/forecasts", Some(token), Some(&entry))
    };
    assert_eq!(forecast(&icb, "M4").status, StatusCode::OK);
    assert_error(
        &forecast(&icb, "M3"),
        StatusCode::FORBIDDEN,
        &format!("who cannot enter forecasts for {code} (OCCG)"),
    );
    assert_eq!(forecast(&ccg, "M3").status, StatusCode::OK);
    assert_error(
        &forecast(&ccg, "M4"),
        StatusCode::FORBIDDEN,
        &format!("who cannot enter forecasts for {code} (BOB-ICB)"),
    );
    // The forecasts page offers each its own month's.
    let offered = |user: &str, m: &str| {
        let page = site.get_as(user, &format!("/agreements/oxon-s75-2022/2022-23/forecasts?month={m}")).text();
        page.contains(&format!("<option value=\"{code}\""))
    };
    assert_eq!([offered("icb-finance", "M3"), offered("icb-finance", "M4")], [false, true]);
    assert_eq!([offered("occg-finance", "M3"), offered("occg-finance", "M4")], [true, false]);

    // July's ledger, from the ICB's finance system, under the ICB's id.
    let mapping = Mapping::preset("oracle").expect("preset");
    site.store().save_mapping("oxon-s75-2022", ICB, &mapping, "test").expect("mapping");
    let codes: Vec<String> = plan.iter().filter(|c| c.partner == CCG).map(|c| c.code.clone()).collect();
    let period = Period { year: oxon_2022().year, month: month(4) };
    let options = GenOptions::new(mapping, Span::Period(period), Postings::Rows { rows: 50, cost_centres: codes });
    let mut file = Vec::new();
    gen_ledger(&options, &mut file).expect("generate");
    let july = "/api/agreements/oxon-s75-2022/2022-23/imports?partner=BOB-ICB&period=2022-07&file_name=icb-july.csv";
    let done = import_through_the_api(&site, &icb, july, &file);
    assert_eq!((done["status"].as_str(), done["rows"].as_u64()), (Some("imported"), Some(50)), "{done}");
    let imports = store.imports(&oxon_2022()).expect("imports");
    assert_eq!(imports.last().map(|i| (i.partner.as_str(), i.period)), Some((CCG, period)), "kept under the CCG's id");
    // The CCG's officer may no longer import July, by either id; the ICB's not June.
    let refused = |token: &str, query: &str| {
        let request = Request::post(format!("/api/agreements/oxon-s75-2022/2022-23/imports?{query}&file_name=x.csv"))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(file.clone()))
            .expect("request");
        site.send(request)
    };
    assert_error(
        &refused(&ccg, "partner=OCCG&period=2022-07"),
        StatusCode::FORBIDDEN,
        "who cannot import BOB-ICB's ledger",
    );
    assert_error(
        &refused(&icb, "partner=OCCG&period=2022-06"),
        StatusCode::FORBIDDEN,
        "who cannot import OCCG's ledger",
    );
    assert_error(
        &refused(&icb, "partner=BOB-ICB&period=2022-06"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "holds OCCG's place only from 2022-07-01",
    );
    assert_error(
        &refused(&icb, "partner=BOB-ICB&period=2016-07"),
        StatusCode::UNPROCESSABLE_ENTITY,
        "2016-07 is not a month of 2022-23",
    );
    // The upload form names the ICB for its officer.
    let form = site.get_as("icb-finance", "/agreements/oxon-s75-2022/2022-23/imports/new").text();
    assert!(form.contains("<option value=\"BOB-ICB\"") && !form.contains("<option value=\"OCCG\""), "{form}");
}

/// The board's pages name each partner by the body holding its place: on a meeting's date
/// (its seats, attendance and quorum), and on the board's page on the day shown (by
/// default today, here after the year: its end).
fn the_board_names_the_body_holding_each_place_on_the_day(site: Api) {
    let board_page = "/agreements/oxon-s75-2022/2022-23/board";
    for (date, body, not) in [("2022-06-16", CCG, ICB), ("2022-09-15", ICB, CCG)] {
        let scheduled = site.post_as("manager", &format!("{board_page}/meetings"), &[("date", date)]);
        assert_eq!(scheduled.status, StatusCode::SEE_OTHER, "{}", scheduled.text());
        let page = site.get(&format!("{board_page}/meetings/{date}")).text();
        let quorum =
            &page[page.find("id=\"quorum\"").expect("the quorum")..page.find("id=\"table-seats\"").expect("seats")];
        assert!(quorum.contains(&format!("{body}: 0 of 3 needed")) && !quorum.contains(not), "{date}: {quorum}");
        let seats = table_html(&page, "seats");
        assert_eq!(seats.matches(&format!(">{body}<")).count(), 3, "{date}: {seats}");
        assert!(!seats.contains(not), "{date}: {seats}");
        let minutes = &page[page.find("id=\"minutes\"").expect("the minutes")..];
        assert!(minutes.contains(&format!("occg-dcc ({body}, Deputy Clinical Chair)")), "{date}: {minutes}");
    }
    let of_the_ccg = board().matches(&format!("partner = \"{CCG}\"")).count();
    for (query, body, not) in [("?on=2022-06-30", CCG, ICB), ("?on=2022-07-01", ICB, CCG), ("", ICB, CCG)] {
        let members = site.get(&format!("{board_page}{query}")).text();
        let members = table_html(&members, "members");
        assert_eq!(members.matches(&format!(">{body}<")).count(), of_the_ccg, "{query}: {members}");
        assert!(!members.contains(&format!(">{not}<")), "{query}: {members}");
    }
}
