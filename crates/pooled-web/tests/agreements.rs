//! Two agreements for one year in one database: Oxfordshire's and a second area's, which
//! shares a partner with it (the CCG, as an ICB is shared by its places). Each page,
//! download and API answer names its agreement and holds only its figures; a person
//! limited to one agreement is refused every page and API path of the other, in the
//! words of the role matrix; and one partner's view across both adds up to the penny.
//! On SQLite and PostgreSQL; API answers are checked against the OpenAPI document.

#[macro_use]
mod common;
#[path = "api/described.rs"]
mod described;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use described::{Api, as_json, assert_error, call, get_json};
use pooled_core::money::Money;
use pooled_core::report::consolidated;
use pooled_store::{AgreementYear, NewUser};
use pooled_web::Routes;
use serde_json::json;

on_both_backends!(
    each_agreement_shows_only_its_own_figures,
    a_person_limited_to_one_agreement_is_refused_the_other_everywhere,
    a_partners_view_adds_up_its_agreements,
    varying_one_agreement_leaves_the_others_history_and_payments,
    the_audit_log_lists_the_entries_of_ones_own_agreements,
);

const BUCKS: &str = "/agreements/bucks-bcf/2016-17";
const OXON: &str = "/agreements/oxon-s75/2016-17";

/// The second area's agreement for 2016-17: the Oxfordshire example under another id and
/// name, its council another (`BCC`), its CCG the same body as Oxfordshire's.
fn second_agreement() -> String {
    let text = AGREEMENT.replacen("id = \"oxon-s75\"", "id = \"bucks-bcf\"", 1).replacen(
        "name = \"Section 75 Agreement for All Client Groups\"",
        "name = \"Buckinghamshire Better Care Fund\"",
        1,
    );
    let council = regex_lite_replace(&text, "OCC", "BCC");
    assert!(council.contains("id = \"bucks-bcf\"") && council.contains("\"BCC\""), "the second area's agreement");
    council
}

/// `text` with every whole word `from` (not `OCCG`, not `occ-cm`) as `to`.
fn regex_lite_replace(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + from.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-');
        out.push_str(&rest[..at]);
        out.push_str(if word(before) || word(after) { from } else { to });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}

fn bucks() -> AgreementYear {
    AgreementYear::new("bucks-bcf", year())
}

/// The site with the second agreement loaded beside the first, its ledger from other
/// seeds, and a viewer who acts in Oxfordshire's agreement only.
fn with_second_area(site: &Api) {
    let mut store = site.store();
    load_figures(store.as_mut(), &second_agreement(), &site.dir, 10);
    let viewer = accounts().into_iter().find(|u| u.username == "viewer").expect("viewer");
    let limited = NewUser { username: "oxon-viewer".into(), agreements: vec!["oxon-s75".into()], ..viewer };
    store.create_user(&limited, "test").expect("account");
}

fn each_agreement_shows_only_its_own_figures(site: Api) {
    with_second_area(&site);
    let store = site.store();
    let listed = site.get("/").text();
    for (path, name) in
        [(OXON, "Section 75 Agreement for All Client Groups"), (BUCKS, "Buckinghamshire Better Care Fund")]
    {
        assert_eq!(row_cells(&listed, &format!("href=\"{path}\""))[0], name, "{listed}");
    }
    let token = token_for(&site, "viewer");
    let reports: Vec<_> = [oxon(), bucks()]
        .iter()
        .map(|key| pooled_app::report(store.as_ref(), key, month(2)).expect("report"))
        .collect();
    assert_ne!(
        reports[0].pools[0].figures.actual_to_date, reports[1].pools[0].figures.actual_to_date,
        "two ledgers, two sets of figures"
    );
    for ((path, key), report) in [(OXON, oxon()), (BUCKS, bucks())].into_iter().zip(&reports) {
        let html = site.get(path).text();
        for pool in &report.pools {
            let cells = row_cells(&html, &format!("href=\"{path}/pools/{}\"", pool.id));
            let f = &pool.figures;
            assert_eq!(cells[1..5], [f.annual_budget, f.actual_to_date, f.forecast_outturn, f.variance].map(pounds));
        }
        let council = if key == oxon() { "OCC share" } else { "BCC share" };
        assert!(table_html(&html, "pools").contains(council), "{path}: headed by its own partners");
        let pool = site.get(&format!("{path}/pools/OP")).text();
        assert!(pool.contains(&pounds(report.pools[0].figures.actual_to_date)), "{path}: the pool's own report");
        let got = get_json(&site, &format!("/api{path}/report?month=M2"), &token);
        assert_eq!(
            got["pools"][0]["rows"][0]["actual_to_date"],
            report.pools[0].figures.actual_to_date.to_plain_string()
        );
        let csv = site.get(&format!("{path}?format=csv&table=report"));
        let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().expect("ASCII").to_string();
        assert!(disposition.contains(&format!("pooled-{}-2016-17-M2-report.csv", key.agreement)), "{disposition}");
    }

    // A payment recorded in one agreement is not in the other's.
    let manager = token_for(&site, "manager");
    let entry =
        json!({ "pool": "OP", "from": "OCCG", "month": "M1", "raised_on": "2016-02-20", "paid_on": "2016-03-01" });
    let page = call(&site, Method::POST, &format!("/api{BUCKS}/payments"), Some(&manager), Some(&entry));
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert_eq!(store.payment_entries(&bucks()).expect("payments").len(), 2, "the invoice and the payment");
    assert!(store.payment_entries(&oxon()).expect("payments").is_empty(), "Oxfordshire's payments are untouched");
    let oxon_payments = get_json(&site, &format!("/api{OXON}/payments"), &manager);
    assert!(oxon_payments["payments"].as_array().expect("list").iter().all(|p| p["raised"].is_null()));
    let raised = |path: &str| {
        let page = site.get(&format!("{path}/payments")).text();
        row_cells(&page, "id=\"instalment-0\"").iter().any(|c| c == "2016-02-20")
    };
    assert_eq!((raised(BUCKS), raised(OXON)), (true, false), "shown on its own page only");
}

/// Walks the table the router is built from: every page and API route that names an
/// agreement refuses the one the person does not act in, before anything is read.
fn a_person_limited_to_one_agreement_is_refused_the_other_everywhere(site: Api) {
    with_second_area(&site);
    let token = token_for(&site, "oxon-viewer");
    let named: Vec<_> = Routes::all()
        .iter()
        .filter(|r| r.path.contains("{agreement}"))
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert!(named.len() >= 30, "pages and API: {}", named.len());
    let refusal = "You are signed in as viewer (test) (a viewer), who does not act in the agreement bucks-bcf.";
    for (method, path) in &named {
        let concrete = |agreement: &str| {
            path.replace("{agreement}", agreement)
                .replace("{year}", "2016-17")
                .replace("{pool}", "OP")
                .replace("{code}", "OCC-OP01-001")
                .replace("{date}", "2016-09-15")
                .replace("{id}", "1")
        };
        let send = |uri: &str| {
            let request = Request::builder()
                .method(method.clone())
                .uri(uri)
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .header(header::CONTENT_TYPE, "application/json");
            site.send(request.body(Body::from("{}")).expect("request"))
        };
        let refused = send(&concrete("bucks-bcf"));
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{method} {path}: {}", refused.text());
        if path.starts_with("/api/") {
            assert_error(&refused, StatusCode::FORBIDDEN, refusal);
        } else {
            assert!(refused.text().contains(refusal), "{method} {path}: {}", refused.text());
        }
        if *method == Method::GET {
            let own = send(&concrete("oxon-s75"));
            assert_ne!(own.status, StatusCode::FORBIDDEN, "{method} {path}: its own agreement: {}", own.text());
        }
    }
    // Unloaded or unknown, an agreement not theirs is refused alike: nothing is told.
    assert_eq!(site.get_as("oxon-viewer", "/agreements/nowhere/2016-17").status, StatusCode::FORBIDDEN);

    // What lists agreements lists theirs only.
    let listed = site.get_as("oxon-viewer", "/").text();
    assert!(listed.contains(&format!("href=\"{OXON}\"")) && !listed.contains("bucks-bcf"), "{listed}");
    let answer = get_json(&site, "/api/agreements", &token);
    let ids: Vec<&str> =
        answer["agreements"].as_array().expect("list").iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, ["oxon-s75"]);
    let everyone = get_json(&site, "/api/agreements", &token_for(&site, "viewer"));
    assert_eq!(everyone["agreements"].as_array().expect("list").len(), 2, "an account naming none acts in all");
    let deadlines = csv_rows(&site.get_as("oxon-viewer", "/deadlines?on=2016-07-01&format=csv").body);
    assert_eq!(deadlines[0][1], "Agreement");
    assert!(deadlines.len() > 2 && deadlines[1..].iter().all(|r| r[1] == "oxon-s75"), "{deadlines:?}");
    let all = csv_rows(&site.get("/deadlines?on=2016-07-01&format=csv").body);
    assert!(all.iter().any(|r| r[1] == "bucks-bcf"), "the pool manager acts in both");
}

/// The CCG is a partner in both: its view adds up each agreement's report, and the
/// person limited to one sees that one only.
fn a_partners_view_adds_up_its_agreements(site: Api) {
    with_second_area(&site);
    let store = site.store();
    let keys = [bucks(), oxon()]; // by id, as the view lists them
    let agreements: Vec<_> =
        keys.iter().map(|k| pooled_app::agreement(store.as_ref(), k).expect("agreement")).collect();
    let reports: Vec<_> =
        keys.iter().map(|k| pooled_app::report(store.as_ref(), k, month(2)).expect("report")).collect();
    let both: Vec<_> = agreements.iter().zip(&reports).collect();
    let view = consolidated("OCCG", &both).expect("the CCG is in both");
    assert_eq!(view.agreements.len(), 2);
    assert_eq!(view.total.risk_impact, view.agreements.iter().map(|a| a.figures.risk_impact).sum());

    let html = site.get("/partners/OCCG/2016-17").text();
    assert!(html.contains("M2 (May 2016)"), "the latest month with actuals");
    for a in &view.agreements {
        let cells = row_cells(&html, &format!("href=\"/agreements/{}/2016-17?month=M2\"", a.id));
        let f = &a.figures;
        assert_eq!(
            cells[1..],
            ["OCCG".to_string(), pounds(f.contributions), pounds(f.forecast_variance), pounds(f.risk_impact)]
        );
        for p in &a.pools {
            let cells = row_cells(&html, &format!("href=\"/agreements/{}/2016-17/pools/{}?month=M2\"", a.id, p.id));
            assert_eq!(cells[4], pounds(p.figures.risk_impact), "{} {}", a.id, p.id);
        }
    }
    let total = row_cells(&html, "All agreements");
    assert_eq!(
        total[2..],
        [view.total.contributions, view.total.forecast_variance, view.total.risk_impact].map(pounds)
    );
    let csv = csv_rows(&site.get("/partners/OCCG/2016-17?format=csv").body);
    assert_eq!(csv[0], ["Agreement or pool", "As partner", "Contributions", "Forecast variance", "Risk-share impact"]);
    let csv_total = csv.iter().find(|r| r[0] == "All agreements").expect("the total row");
    assert_eq!(csv_total[4], view.total.risk_impact.to_plain_string());
    assert!(csv.last().expect("rows")[0].starts_with("Audit log head: "), "the head last");

    let token = token_for(&site, "manager");
    let got = get_json(&site, "/api/partners/OCCG/2016-17?month=M2", &token);
    let head = pooled_store::AuditHead::parse(got["audit_head"].as_str().expect("head")).expect("a head");
    assert!(head.seq <= store.audit_head().expect("head").seq);
    assert_eq!(got, as_json(pooled_app::json::consolidated(&view, &head)));

    // Limited to Oxfordshire, the view is of Oxfordshire's agreement alone.
    let limited = token_for(&site, "oxon-viewer");
    let theirs = get_json(&site, "/api/partners/OCCG/2016-17", &limited);
    let ids: Vec<&str> =
        theirs["agreements"].as_array().expect("list").iter().filter_map(|a| a["id"].as_str()).collect();
    assert_eq!(ids, ["oxon-s75"]);
    assert_eq!(theirs["total"]["risk_impact"], view.agreements[1].figures.risk_impact.to_plain_string());
    // A body in none of them, and a year with no agreement, are not found.
    assert_error(
        &call(&site, Method::GET, "/api/partners/NOBODY/2016-17", Some(&token), None),
        StatusCode::NOT_FOUND,
        "NOBODY holds no partner's place",
    );
    assert_eq!(site.get("/partners/OCCG/2030-31").status, StatusCode::NOT_FOUND);
    let bad_month = call(&site, Method::GET, "/api/partners/OCCG/2016-17?month=M13", Some(&token), None);
    assert_error(&bad_month, StatusCode::BAD_REQUEST, "M13");
}

/// A variation of the second area's agreement, through the API, with an instalment of
/// Oxfordshire's paid: Oxfordshire's history, instalments and payments page stay as they
/// were, and the second area's year adds up to its new contribution.
fn varying_one_agreement_leaves_the_others_history_and_payments(site: Api) {
    with_second_area(&site);
    let manager = token_for(&site, "manager");
    let entry =
        json!({ "pool": "OP", "from": "OCCG", "month": "M1", "raised_on": "2016-02-20", "paid_on": "2016-03-01" });
    let paid = call(&site, Method::POST, &format!("/api{OXON}/payments"), Some(&manager), Some(&entry));
    assert_eq!(paid.status, StatusCode::OK, "{}", paid.text());
    let oxon_of = || {
        let page = site.get(&format!("{OXON}/variations")).text();
        let payments = site.get(&format!("{OXON}/payments")).text();
        (
            get_json(&site, &format!("/api{OXON}/variations"), &manager),
            get_json(&site, &format!("/api{OXON}/payments"), &manager),
            strip_tags(&page[page.find("<h1").expect("heading")..page.find("Load a new version").expect("form")]),
            strip_tags(table_html(&payments, "schedule")),
        )
    };
    let before = oxon_of();

    let varied = second_agreement().replacen("OCCG = \"85,206,000\"", "OCCG = \"86,406,000\"", 1);
    let body = json!({ "agreement_toml": varied, "effective": "2016-10-01", "approved_by": "Bucks JMG 2016-09-20" });
    let page = call(&site, Method::POST, &format!("/api{BUCKS}/variations"), Some(&manager), Some(&body));
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    // Through the other agreement's address, the same file is refused and changes nothing.
    let elsewhere = call(&site, Method::POST, &format!("/api{OXON}/variations"), Some(&manager), Some(&body));
    assert_error(&elsewhere, StatusCode::UNPROCESSABLE_ENTITY, "the file is agreement bucks-bcf 2016-17, not oxon-s75");

    let after = oxon_of();
    assert_eq!(after.0, before.0, "Oxfordshire's history");
    assert_eq!(after.1, before.1, "Oxfordshire's instalments and what is recorded of them");
    assert_eq!(after.2, before.2, "Oxfordshire's variations page");
    assert_eq!(after.3, before.3, "Oxfordshire's payments page");
    assert_eq!(before.0["versions"].as_array().expect("versions").len(), 1);
    let bucks_history = get_json(&site, &format!("/api{BUCKS}/variations"), &manager);
    assert_eq!(bucks_history["versions"][1]["approved_by"], "Bucks JMG 2016-09-20");
    let bucks_page = site.get(&format!("{BUCKS}/variations")).text();
    assert!(bucks_page.contains("Version 2") && bucks_page.contains("Takes effect on 2016-10-01"), "{bucks_page}");
    let store = site.store();
    let a = pooled_app::agreement(store.as_ref(), &bucks()).expect("agreement");
    let occg_to_op: Money = (pooled_app::payments(store.as_ref(), &a).expect("payments").iter())
        .filter(|t| t.instalment.pool == "OP" && a.partners()[t.instalment.from].id == "OCCG")
        .map(|t| t.instalment.amount)
        .sum();
    // The CCG's contributions to Older People's lines, the first one raised by the variation.
    assert_eq!(
        occg_to_op,
        whole_pounds(86_406_000 + 33_897_000 + 1_075_000),
        "the year adds up to the new contribution"
    );
}

/// A finance officer acting in Oxfordshire's agreement reads its entries of the audit log
/// only, on the page, in its download and through the API; entries of no agreement
/// (accounts) are an administrator's. The chain is still checked whole.
fn the_audit_log_lists_the_entries_of_ones_own_agreements(site: Api) {
    with_second_area(&site);
    let mut store = site.store();
    let finance = accounts().into_iter().find(|u| u.username == "occg-finance").expect("finance officer");
    let limited = NewUser { username: "oxon-finance".into(), agreements: vec!["oxon-s75".into()], ..finance };
    store.create_user(&limited, "test").expect("account");
    let log = store.audit_log().expect("log");
    let seqs_of = |keep: &dyn Fn(&pooled_store::AuditEntry) -> bool| -> Vec<i64> {
        log.iter().filter(|e| keep(e)).map(|e| e.seq).collect()
    };
    let oxon_only = seqs_of(&|e| e.agreement() == Some("oxon-s75"));
    let of_agreements = seqs_of(&|e| e.agreement().is_some());
    assert!(!oxon_only.is_empty() && oxon_only.len() < of_agreements.len(), "entries of both agreements");
    assert!(of_agreements.len() < log.len(), "and of accounts");

    let api_seqs = |username: &str| -> Vec<i64> {
        let got = get_json(&site, "/api/audit", &token_for(&site, username));
        got["entries"].as_array().expect("entries").iter().map(|e| e["seq"].as_i64().expect("seq")).collect()
    };
    assert_eq!(api_seqs("oxon-finance"), oxon_only);
    assert_eq!(api_seqs("manager"), of_agreements, "every agreement, no accounts");
    let every_seq: Vec<i64> = log.iter().map(|e| e.seq).collect();
    assert!(api_seqs("admin").starts_with(&every_seq), "an administrator reads every entry");

    let csv = csv_rows(&site.get_as("oxon-finance", "/audit?format=csv").body);
    let mut listed: Vec<i64> = csv.iter().filter_map(|r| r[0].parse().ok()).collect();
    listed.reverse();
    assert_eq!(listed, oxon_only, "the download, newest first");
    let page = site.get_as("oxon-finance", "/audit?check=chain").text();
    assert!(page.contains("oxon-s75") && !page.contains("bucks-bcf"), "{page}");
    assert!(!page.contains("create-user"), "no account's entries, nor among the actions to filter by");
    let entries = store.audit_log().expect("log").len();
    assert!(page.contains(&format!("The audit log is intact: {entries} entries verified")), "{page}");
}
