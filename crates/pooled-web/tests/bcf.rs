//! The funding streams and schemes pages and API on the demo's example, Oxfordshire's
//! Better Care Fund of 2021-22 (a generated plan of three cost centres a partner a line,
//! two months of ledger and a forecast): every figure to the penny against
//! `pooled_app::bcf`, the use case the command line prints; the downloads hold the page's
//! cells; the scheme page drills down to its cost centres and their ledger rows; who may
//! read them, and what is refused or not there. On SQLite and PostgreSQL; API answers
//! are checked against the OpenAPI document.

#[macro_use]
mod common;
#[path = "api/described.rs"]
mod described;

use axum::http::{Method, StatusCode, header};
use common::*;
use described::{Api, as_json, assert_error, call, get_json};
use pooled_app::BcfSpending;
use pooled_core::bcf::LedgerSpend;
use pooled_core::calendar::FinancialYear;
use pooled_core::money::Money;
use pooled_store::{AgreementYear, NewUser};

const BCF: &str = include_str!("../../../examples/oxfordshire-bcf-2021-22.toml");

on_both_backends!(
    agreement = super::BCF;
    the_plan_page_shows_the_use_cases_figures,
    the_downloads_hold_the_pages_tables,
    a_scheme_drills_down_to_its_cost_centres_and_ledger_rows,
    the_api_gives_the_pages_figures,
    every_role_reads_them_and_other_agreements_are_refused,
    an_agreement_without_streams_or_schemes_says_so,
);

const PAGE: &str = "/agreements/oxon-bcf/2021-22/bcf";
const API: &str = "/api/agreements/oxon-bcf/2021-22/bcf";

fn key() -> AgreementYear {
    AgreementYear::new("oxon-bcf", FinancialYear::parse("2021-22").expect("year"))
}

/// The use case's figures at `m`, read from the site's database.
fn spending(site: &Site, m: u32) -> BcfSpending {
    pooled_app::bcf(site.store().as_ref(), &key(), month(m)).expect("spend")
}

/// Planned, actual to date, forecast and variance as the pages show them.
fn shown(spend: &LedgerSpend) -> [String; 4] {
    [spend.planned, spend.actual_to_date, spend.forecast, spend.forecast - spend.planned].map(pounds)
}

fn scheme_href(id: &str) -> String {
    format!("href=\"{PAGE}/schemes/{id}\"")
}

// ---- the tests ----

fn the_plan_page_shows_the_use_cases_figures(site: Api) {
    for (uri, m) in [(PAGE.to_string(), 2), (format!("{PAGE}?month=M1"), 1)] {
        let spending = spending(&site, m);
        let a = &spending.agreement;
        let html = site.get(&uri).text();
        assert!(html.contains(&format!("At M{m} (")), "{uri}: the month shown");
        assert!(html.contains(&format!("<option value=\"M{m}\" selected")), "{uri}: the month chooser");
        assert!(html.contains(&format!("href=\"{PAGE}\" aria-current=\"page\"")), "in the agreement's navigation");
        let streams = table_html(&html, "streams");
        for s in &spending.spend.streams {
            let stream = &a.streams()[s.stream];
            let cells = row_cells(streams, &format!("{} ({})", stream.name, stream.id));
            let clause = stream.clause.clone().unwrap_or_default();
            assert_eq!(cells[1..4], [stream.kind.words(), &a.partners()[stream.from].id, &clause], "{}", stream.id);
            assert_eq!(cells[4], pounds(stream.allocation));
            assert_eq!(cells[5..], shown(&s.spend), "{uri}: {}", stream.id);
        }
        // Every line of the example is funded by a stream and is a scheme: the totals are
        // the streams', and the types'.
        assert_eq!(spending.spend.without_stream, LedgerSpend::default());
        assert!(!streams.contains("Lines no stream funds"));
        let allocated: Money = a.streams().iter().map(|s| s.allocation).sum();
        let total = row_cells(streams, ">Total<");
        assert_eq!(total[4], pounds(allocated));
        assert_eq!(total[5..], shown(&spending.spend.total));

        let schemes = table_html(&html, "schemes");
        assert_eq!(spending.spend.schemes.len(), 23);
        for t in &spending.spend.types {
            let cells = row_cells(schemes, &format!(">{} (", t.scheme_type));
            assert!(cells[0].ends_with(&format!("{} scheme{})", t.schemes, if t.schemes == 1 { "" } else { "s" })));
            assert_eq!(cells[4..], shown(&t.spend), "{uri}: {}", t.scheme_type);
        }
        for s in &spending.spend.schemes {
            let line = &a.pools()[s.pool].lines[s.line];
            let scheme = line.scheme.as_ref().expect("a scheme");
            let cells = row_cells(schemes, &scheme_href(&scheme.id));
            assert_eq!(cells[0], format!("{} {}", scheme.id, line.name));
            assert_eq!(cells[3], scheme.commissioner.words());
            assert_eq!(cells[4..], shown(&s.spend), "{uri}: {}", scheme.id);
        }
        // Each scheme sits under its type's subtotal, which adds up its schemes.
        let position = |marker: &str| schemes.find(marker).expect("in the table");
        for t in &spending.spend.types {
            let of_type: Vec<_> = (spending.spend.schemes.iter())
                .filter(|s| a.pools()[s.pool].lines[s.line].scheme.as_ref().unwrap().scheme_type == t.scheme_type)
                .collect();
            let sum = of_type.iter().fold(Money::ZERO, |sum, s| sum + s.spend.actual_to_date);
            assert_eq!(sum, t.spend.actual_to_date, "{}", t.scheme_type);
            let heading = position(&format!(">{} (", t.scheme_type));
            for s in of_type {
                let id = &a.pools()[s.pool].lines[s.line].scheme.as_ref().unwrap().id;
                assert!(position(&scheme_href(id)) > heading, "{id} under {}", t.scheme_type);
            }
        }
        assert_eq!(row_cells(schemes, ">Total<")[4..], shown(&spending.spend.total));
        assert_eq!(spending.spend.without_scheme, LedgerSpend::default());

        // The conditions, each with its source, requirement and figures.
        let conditions = table_html(&html, "conditions");
        assert_eq!(conditions.matches("<tr class=\"govuk-table__row").count(), 1 + spending.conditions.len());
        for c in &spending.conditions {
            let cells = row_cells(conditions, &format!(">{}<", maud::html! { (c.what) }.into_string()));
            assert_eq!(cells[1], maud::html! { (c.source) }.into_string());
            assert_eq!(cells[3], pounds(c.requirement.amount()));
            let f = &c.figures;
            assert_eq!(cells[4..7], [f.planned, f.actual_to_date, f.forecast].map(pounds));
            assert_eq!(cells[7], if c.met() { "met" } else { "breached" }, "{}", c.what);
        }
        assert!(spending.conditions.iter().any(|c| c.what.contains("adult social care")), "the minimums are checked");
        // Flagged above the tables when any is breached (the generated ledger may breach one).
        let breached = spending.conditions.iter().any(|c| !c.met());
        assert_eq!(html.contains("id=\"bcf-breaches\""), breached, "{uri}");
    }
    // The ledger's actuals, not nil: two months are imported.
    assert!(spending(&site, 2).spend.total.actual_to_date > Money::ZERO);
    // The overview links the page too.
    let overview = site.get("/agreements/oxon-bcf/2021-22").text();
    assert!(overview.contains(&format!("href=\"{PAGE}\"")), "the navigation links it");
    let page = site.get(&format!("{PAGE}?month=M13"));
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
}

fn the_downloads_hold_the_pages_tables(site: Api) {
    let spending = spending(&site, 2);
    let a = &spending.agreement;
    let csv = site.get(&format!("{PAGE}?month=M2&format=csv&table=streams"));
    let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().expect("ASCII");
    assert!(disposition.contains("pooled-oxon-bcf-2021-22-M2-bcf-streams.csv"), "{disposition}");
    let rows = csv_rows(&csv.body);
    assert_eq!(
        rows[0],
        [
            "Stream",
            "Kind",
            "From",
            "Clause",
            "Allocation",
            "Planned",
            "Actual to date",
            "Forecast",
            "Forecast variance"
        ]
    );
    for (row, s) in rows[1..].iter().zip(&spending.spend.streams) {
        let f = &s.spend;
        let expected =
            [a.streams()[s.stream].allocation, f.planned, f.actual_to_date, f.forecast, f.forecast - f.planned];
        assert_eq!(row[4..], expected.map(|m| m.to_plain_string()));
    }
    let last = rows.last().expect("rows");
    assert!(last[0].starts_with(pooled_app::HEAD_LABEL), "the audit log's head last: {last:?}");

    let xlsx = site.get(&format!("{PAGE}?month=M2&format=xlsx&table=schemes"));
    assert_eq!(xlsx.status, StatusCode::OK);
    let cells = xlsx_cells(&site, &xlsx.body, "schemes");
    let ox02 = cells.iter().find(|r| r[0] == "OX-02 Reablement service").expect("the scheme's row");
    let scheme = &spending.spend.schemes[spending.scheme("OX-02").expect("OX-02")];
    let read: Vec<Money> = ox02[4..8].iter().map(|c| Money::parse(c).expect("an amount")).collect();
    let f = &scheme.spend;
    assert_eq!(read, [f.planned, f.actual_to_date, f.forecast, f.forecast - f.planned]);
    let total = cells.iter().find(|r| r[0] == "Total").expect("total row");
    assert_eq!(Money::parse(&total[6]), Ok(spending.spend.total.forecast));
    assert_eq!(site.get(&format!("{PAGE}?format=csv&table=nope")).status, StatusCode::NOT_FOUND);
    assert_eq!(site.get(&format!("{PAGE}?format=pdf")).status, StatusCode::BAD_REQUEST);
}

fn a_scheme_drills_down_to_its_cost_centres_and_ledger_rows(site: Api) {
    let spending = spending(&site, 2);
    let a = &spending.agreement;
    let ix = spending.scheme("OX-02").expect("OX-02");
    let s = &spending.spend.schemes[ix];
    let uri = format!("{PAGE}/schemes/OX-02?month=M2");
    let html = site.get(&uri).text();
    assert!(html.contains("<h1 class=\"govuk-heading-l\">Reablement service</h1>"), "{html}");
    let terms = table_html(&html, "terms");
    for (term, value) in [
        ("Scheme id", "OX-02"),
        ("Scheme type", "Reablement in a persons own home"),
        ("Area of spend", "social care"),
        ("Commissioner", "joint (NHS 50%)"),
        ("Provider", "Oxford Health NHS Foundation Trust"),
        ("Planned outputs", "2,400 packages"),
        ("New or existing", "existing"),
    ] {
        assert_eq!(row_cells(terms, &format!(">{term}<"))[1], value, "{term}");
    }
    assert!(row_cells(terms, ">Sub-type<")[1].starts_with("Reablement to support discharge"));
    let funding = table_html(&html, "funding");
    let line = &a.pools()[s.pool].lines[s.line];
    for (funded, share) in line.funded_by.iter().zip(&s.by_stream) {
        let stream = &a.streams()[share.stream];
        let cells = row_cells(funding, &format!("{} ({})", stream.name, stream.id));
        assert_eq!(cells[1], pounds(funded.amount));
        assert_eq!(cells[2..], shown(&share.spend), "{}", stream.id);
    }
    assert_eq!(row_cells(funding, ">Total<")[2..], shown(&s.spend));

    // The cost centres add up to the scheme, and each opens its months and ledger rows.
    let cost_centres = table_html(&html, "cost-centres");
    let rows = &spending.cost_centres[ix];
    assert_eq!(rows.len(), 6, "three a partner");
    let mut sum = Money::ZERO;
    for cc in rows {
        let code = cc.code.as_deref().expect("all the budget is in cost centres");
        let href = format!("/agreements/oxon-bcf/2021-22/pools/BCF/cost-centres/{code}?month=M2");
        let cells = row_cells(cost_centres, &format!("href=\"{href}\""));
        assert_eq!(cells[2..6], shown(&LedgerSpend::of(&cc.figures)), "{code}");
        sum += cc.figures.actual_to_date;
        let page = site.get(&href);
        assert_eq!(page.status, StatusCode::OK, "{href}");
        let ledger = store_rows(&site, code);
        assert!(!ledger.is_empty(), "{code} has ledger rows");
        let drilled = page.text();
        assert!(drilled.contains(&format!("Ledger rows of {code}")));
        assert_eq!(table_html(&drilled, "ledger").matches("<tr class=\"govuk-table__row").count(), ledger.len() + 1);
    }
    assert_eq!(sum, s.spend.actual_to_date);
    assert_eq!(row_cells(cost_centres, ">Total<")[2..6], shown(&s.spend));

    let csv = site.get(&format!("{PAGE}/schemes/OX-02?month=M2&format=csv&table=cost-centres"));
    let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().expect("ASCII");
    assert!(disposition.contains("pooled-oxon-bcf-2021-22-M2-OX-02-cost-centres.csv"), "{disposition}");
    let parsed = csv_rows(&csv.body);
    assert_eq!(parsed.len(), 1 + rows.len() + 1 + 1, "header, cost centres, total and the audit log's head");
    assert_eq!(parsed[1 + rows.len()][3], s.spend.actual_to_date.to_plain_string());
    let terms = csv_rows(&site.get(&format!("{PAGE}/schemes/OX-02?format=csv&table=terms")).body);
    assert_eq!(terms[1], ["Scheme id", "OX-02"]);

    let missing = site.get(&format!("{PAGE}/schemes/OX-99"));
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.text().contains("The agreement oxon-bcf for 2021-22 has no scheme `OX-99`."));
}

fn store_rows(site: &Site, code: &str) -> Vec<pooled_core::ledger::LedgerRow> {
    site.store().ledger_rows(&key(), code, 500).expect("ledger rows")
}

fn the_api_gives_the_pages_figures(site: Api) {
    let token = token_for(&site, "viewer");
    for (uri, m) in [(format!("{API}?month=M1"), 1), (API.to_string(), 2)] {
        let got = get_json(&site, &uri, &token);
        let head = site.store().audit_head().expect("head");
        assert_eq!(got, as_json(pooled_app::json::bcf_ledger(&spending(&site, m), &head)), "{uri}");
    }
    let spending = spending(&site, 2);
    let got = get_json(&site, API, &token);
    let total = &spending.spend.total;
    assert_eq!(got["month"], "M2");
    assert_eq!(got["total"]["actual_to_date"], total.actual_to_date.to_plain_string());
    assert_eq!(got["total"]["forecast"], total.forecast.to_plain_string());
    assert_eq!(got["schemes"].as_array().expect("schemes").len(), 23);
    let scheme = get_json(&site, &format!("{API}/schemes/OX-02"), &token);
    let head = site.store().audit_head().expect("head");
    let ix = spending.scheme("OX-02").expect("OX-02");
    assert_eq!(scheme, as_json(pooled_app::json::bcf_scheme_at(&spending, ix, &head)));
    assert_eq!(scheme["scheme"]["provider"], "Oxford Health NHS Foundation Trust");
    let cost_centres = scheme["cost_centres"].as_array().expect("cost centres");
    assert_eq!(cost_centres.len(), 6);
    let sum = cost_centres.iter().map(|c| Money::parse(c["spend"]["actual_to_date"].as_str().unwrap()).unwrap()).sum();
    assert_eq!(spending.spend.schemes[ix].spend.actual_to_date, sum);

    let page = call(&site, Method::GET, &format!("{API}/schemes/OX-99"), Some(&token), None);
    assert_error(&page, StatusCode::NOT_FOUND, "has no scheme `OX-99`");
    let page = call(&site, Method::GET, &format!("{API}?month=M13"), Some(&token), None);
    assert_error(&page, StatusCode::BAD_REQUEST, "M13");
    let page = call(&site, Method::GET, "/api/agreements/oxon-bcf/2030-31/bcf", Some(&token), None);
    assert_error(&page, StatusCode::NOT_FOUND, "oxon-bcf is loaded for 2021-22, not 2030-31.");
    // The page shows the same figures (signing in for it is an entry of the audit log
    // after the head the answers were compared with).
    let html = site.get(PAGE).text();
    assert_eq!(row_cells(table_html(&html, "streams"), ">Total<")[5..], shown(total));
}

/// Whoever may read the pool's figures may read these: every role of an agreement it
/// acts in; an account limited to another agreement is refused, pages and API alike.
fn every_role_reads_them_and_other_agreements_are_refused(site: Api) {
    let scheme = format!("{PAGE}/schemes/OX-19");
    for user in ["admin", "manager", "occ-finance", "occg-finance", "budget-holder", "board", "viewer"] {
        for uri in [PAGE, scheme.as_str()] {
            assert_eq!(site.get_as(user, uri).status, StatusCode::OK, "{user} {uri}");
        }
        let token = token_for(&site, user);
        get_json(&site, API, &token);
        get_json(&site, &format!("{API}/schemes/OX-19"), &token);
    }
    let viewer = accounts().into_iter().find(|u| u.username == "viewer").expect("viewer");
    let elsewhere = NewUser { username: "elsewhere".into(), agreements: vec!["oxon-s75".into()], ..viewer };
    site.store().create_user(&elsewhere, "test").expect("account");
    let refusal = "who does not act in the agreement oxon-bcf";
    for uri in [PAGE, scheme.as_str()] {
        let page = site.get_as("elsewhere", uri);
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{uri}");
        assert!(page.text().contains(refusal), "{uri}: {}", page.text());
    }
    let token = token_for(&site, "elsewhere");
    for uri in [API.to_string(), format!("{API}/schemes/OX-19")] {
        assert_error(&call(&site, Method::GET, &uri, Some(&token), None), StatusCode::FORBIDDEN, refusal);
    }
}

fn an_agreement_without_streams_or_schemes_says_so(site: Api) {
    load_figures(site.store().as_mut(), AGREEMENT, &site.dir, 5);
    let html = site.get("/agreements/oxon-s75/2016-17/bcf").text();
    assert!(html.contains("This agreement declares no funding streams and none of its lines is a scheme"), "{html}");
    assert!(!html.contains("id=\"table-"), "no tables");
    let overview = site.get("/agreements/oxon-s75/2016-17").text();
    assert!(!overview.contains("href=\"/agreements/oxon-s75/2016-17/bcf\""), "not in its navigation");
    assert_eq!(site.get("/agreements/oxon-s75/2016-17/bcf?format=csv").status, StatusCode::NOT_FOUND);
    assert_eq!(site.get("/agreements/oxon-s75/2016-17/bcf/schemes/OX-01").status, StatusCode::NOT_FOUND);
    // The API answers with every line outside the streams and the schemes, adding up.
    let token = token_for(&site, "viewer");
    let got = get_json(&site, "/api/agreements/oxon-s75/2016-17/bcf", &token);
    assert_eq!(got["streams"], serde_json::json!([]));
    assert_eq!(got["without_stream"], got["total"]);
    assert_eq!(got["without_scheme"], got["total"]);
}
