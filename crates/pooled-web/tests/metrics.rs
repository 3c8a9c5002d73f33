//! The metrics and KPI dashboard: a quarter's figures entered for every series at once,
//! each period's status as the app's use case gives it (`pooled_app::metrics`), the
//! charts, the CSV/XLSX of every table, the file upload (all or nothing, bad rows by row
//! and column), who may enter what, the monthly performance report beside the finance
//! report and in the agenda pack, and the home support clawback's evidence. The 2016-17
//! agreement with the national BCF metrics of 2023-25 and a KPI of the pool manager's
//! added. On SQLite and PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::*;
use pooled_app::metrics::{SeriesState, series_states};
use pooled_core::agreement::Agreement;
use pooled_core::metrics::{MetricPeriod, latest_by};

/// The example agreement with national metrics and a quarterly KPI of the pool manager's.
fn with_metrics() -> String {
    let national = "[performance]\nnational = \"bcf-2023-25\"\n\n[[performance.kpi]]\nid = \"delayed-days\"\n\
                    name = \"Delayed discharge days\"\nunit = \"days\"\ndirection = \"lower\"\nperiod = \"quarter\"\n\
                    target = \"12.5\"\nclause = \"Sch 4 3.1\"\n";
    AGREEMENT.replacen("[performance]\n", national, 1)
}

on_both_backends!(
    agreement = super::with_metrics();
    a_quarters_actuals_change_the_status_as_the_app_says,
    every_table_downloads_as_csv_and_xlsx,
    each_role_enters_only_its_series,
    an_upload_with_bad_rows_saves_nothing_and_names_them,
    the_monthly_performance_report_is_beside_the_finance_report_and_in_the_pack,
    the_home_support_clawback_cites_the_measures_evidence,
);

const METRICS: &str = "/agreements/oxon-s75/2016-17/metrics";

fn states(site: &Site) -> (Agreement, Vec<SeriesState>) {
    let store = site.store();
    let agreement = pooled_app::agreement(store.as_ref(), &oxon()).expect("agreement");
    let stored = store.metrics(&oxon()).expect("metrics");
    let states = series_states(&agreement, &stored);
    (agreement, states)
}

/// The text of the status tag `id` on the page.
fn status(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}-status\"")).unwrap_or_else(|| panic!("no status {id}"));
    let from = at + html[at..].find('>').expect("tag end") + 1;
    html[from..from + html[from..].find('<').expect("tag close")].trim().to_string()
}

/// Every period's status on the page is the app's.
fn statuses_are_the_apps(site: &Site, html: &str) {
    let (_, states) = states(site);
    assert!(!states.is_empty());
    for state in &states {
        for p in &state.standings {
            let id = format!("period-{}-{}", state.series.id, p.period);
            assert_eq!(status(html, &id), p.status.words(), "{id}");
        }
    }
}

/// Enters a quarter's figures through the form, as `user`.
fn enter(site: &Site, user: &str, period: &str, kind: &str, figures: &[(&str, &str)]) -> Page {
    let named: Vec<(String, String)> = figures.iter().map(|(id, v)| (format!("figure.{id}"), v.to_string())).collect();
    let mut fields = vec![("frequency", "quarter"), ("period", period), ("kind", kind)];
    fields.extend(named.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    site.post_as(user, METRICS, &fields)
}

fn a_quarters_actuals_change_the_status_as_the_app_says(site: Site) {
    let page = site.get(METRICS);
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for field in ["entry-quarter", "period-quarter", "figure-avoidable-admissions", "figure-delayed-days", "import"] {
        assert!(html.contains(&format!("id=\"{field}\"")), "no {field}");
    }
    assert!(html.contains("Definition not confirmed"), "the bundled definitions are not yet checked");
    assert_eq!(status(&html, "period-delayed-days-Q2"), "not available", "a target and no actual");
    statuses_are_the_apps(&site, &html);

    let plans =
        enter(&site, "manager", "Q2", "plan", &[("avoidable-admissions", "200"), ("discharge-usual-residence", "90")]);
    assert_eq!(plans.status, StatusCode::SEE_OTHER, "{}", plans.text());
    let actuals = enter(
        &site,
        "manager",
        "Q2",
        "actual",
        &[("avoidable-admissions", "190.5"), ("discharge-usual-residence", "not available"), ("delayed-days", "13")],
    );
    assert_eq!(actuals.status, StatusCode::SEE_OTHER, "{}", actuals.text());
    let html = site.get(actuals.headers[header::LOCATION].to_str().expect("location")).text();
    assert!(html.contains("Saved: 3 actuals of Q2"), "the banner");
    assert_ne!(status(&html, "period-delayed-days-Q2"), "not available", "the status changed");
    statuses_are_the_apps(&site, &html);
    // Each series' latest period in the summary, as the app gives it.
    let (_, states) = states(&site);
    for state in &states {
        let latest = state.latest().map_or("not available", |l| l.status.words());
        assert_eq!(status(&html, &format!("series-{}", state.series.id)), latest, "{}", state.series.id);
    }
    // The chart of each series; "not available" marked apart from zero.
    let chart = &html[html.find("id=\"chart-discharge-usual-residence\"").expect("a chart")..];
    let chart = &chart[..chart.find("</figure>").expect("its end")];
    assert!(chart.contains("<svg") && chart.contains("class=\"not-available\""), "{chart}");
    assert!(chart.contains("Q2: plan 90, actual not available (not available)."), "{chart}");
    // A figure that cannot be read is named on its field; nothing is saved.
    let before = site.store().metrics(&oxon()).expect("metrics");
    let page = enter(&site, "manager", "Q3", "actual", &[("delayed-days", "twelve"), ("avoidable-admissions", "1")]);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("href=\"#figure-delayed-days\""), "the error links to its field");
    let page = enter(&site, "manager", "Q3", "actual", &[("no-such-metric", "1")]);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("unknown metric `no-such-metric`"), "{}", page.text());
    assert_eq!(site.store().metrics(&oxon()).expect("metrics"), before);
}

fn every_table_downloads_as_csv_and_xlsx(site: Site) {
    let page = enter(&site, "manager", "Q1", "actual", &[("delayed-days", "=1+1"), ("falls-65", "1")]);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "a formula is no figure; falls are measured by year");
    let page = enter(
        &site,
        "manager",
        "Q1",
        "actual",
        &[("delayed-days", "11.25"), ("avoidable-admissions", "not available")],
    );
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let (_, states) = states(&site);
    let html = site.get(METRICS).text();
    for state in &states {
        let id = format!("periods-{}", state.series.id);
        assert!(html.contains(&format!("format=csv&amp;table={id}")), "a download of {id}");
    }
    let csv = site.get(&format!("{METRICS}?format=csv&table=periods-delayed-days"));
    assert_eq!(csv.status, StatusCode::OK);
    let rows = csv_rows(&csv.body);
    assert_eq!(rows[0], ["Period", "Plan", "Actual", "Status"]);
    let delayed = states.iter().find(|s| s.series.id == "delayed-days").expect("the KPI");
    for (row, p) in rows[1..].iter().zip(&delayed.standings) {
        let shown = |f: Option<pooled_core::metrics::Figure>| f.map(|f| f.to_string()).unwrap_or_default();
        assert_eq!(row, &[p.period.to_string(), shown(p.plan), shown(p.actual), p.status.words().to_string()]);
    }
    assert!(rows.last().expect("a row")[0].starts_with("Audit log head: "), "published with its head");
    // Numbers as numbers, text as text: "not available" is no zero.
    let raw = String::from_utf8(csv.body.clone()).expect("UTF-8");
    assert!(raw.contains("\"Q1\",12.5,11.25,\"on track\""), "{raw}");
    let summary = csv_rows(&site.get(&format!("{METRICS}?format=csv&table=metrics")).body);
    let admissions = summary.iter().find(|r| r[1] == "avoidable-admissions").expect("its row");
    assert_eq!((admissions[7].as_str(), admissions[8].as_str()), ("not available", "not available"));
    let xlsx = site.get(&format!("{METRICS}?format=xlsx&table=periods-delayed-days"));
    assert_eq!(xlsx.status, StatusCode::OK);
    let cells = xlsx_cells(&site, &xlsx.body, "periods-delayed-days");
    let q1 = cells.iter().find(|r| r.first().map(String::as_str) == Some("Q1")).expect("Q1");
    // Numbers in the workbook (the reader shows them to two places).
    let number = |text: &str| text.parse::<f64>().unwrap_or_else(|_| panic!("`{text}` is not a number"));
    assert_eq!((number(&q1[1]), number(&q1[2]), q1[3].as_str()), (12.5, 11.25, "on track"));
}

fn each_role_enters_only_its_series(site: Site) {
    // A council finance officer enters the council's home support figures only.
    let html = site.get_as("occ-finance", METRICS).text();
    assert!(html.contains("id=\"figure-home-support.new-hours\""), "the council's KPI");
    assert!(!html.contains("id=\"figure-delayed-days\""), "not the pool manager's");
    let weekly =
        [("frequency", "week"), ("period", "W1"), ("kind", "actual"), ("figure.home-support.new-hours", "280")];
    let page = site.post_as("occ-finance", METRICS, &weekly);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let before = site.store().metrics(&oxon()).expect("metrics");
    let page = enter(&site, "occ-finance", "Q1", "actual", &[("delayed-days", "10")]);
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.text().contains("cannot enter figures of delayed-days"), "{}", page.text());
    for user in ["occg-finance", "viewer", "board", "budget-holder"] {
        let page = site.post_as(user, METRICS, &weekly);
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        let html = site.get_as(user, METRICS).text();
        assert!(!html.contains("id=\"entry-week\"") && !html.contains("id=\"import\""), "{user} has no forms");
        assert!(html.contains("id=\"series-home-support.new-hours-status\""), "{user} reads");
    }
    assert_eq!(site.store().metrics(&oxon()).expect("metrics"), before, "nothing changed");
}

fn an_upload_with_bad_rows_saves_nothing_and_names_them(site: Site) {
    let upload = |user: &str, name: &str, body: &str| {
        site.upload_as(user, &format!("{METRICS}/import"), &[], (name, body.as_bytes()), true)
    };
    let bad = "metric,period,kind,value\ndelayed-days,Q5,actual,3\ndelayed-days,Q1,actual,lots\nfalls-65,Q1,plan,2\n";
    let page = upload("manager", "figures.csv", bad);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text());
    let html = page.text();
    assert!(html.contains("id=\"bad-rows\""), "a table of the bad rows");
    let rows: Vec<Vec<String>> =
        ["invalid period", "lots", "falls-65 is measured by year"].iter().map(|m| row_cells(&html, m)).collect();
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), ("2", "period"));
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("3", "value"));
    assert_eq!((rows[2][0].as_str(), rows[2][1].as_str()), ("4", "period"));
    assert!(site.store().metrics(&oxon()).expect("metrics").is_empty(), "nothing saved");
    let good = "metric,period,kind,value\ndelayed-days,Q1,actual,3\navoidable-admissions,Q1,plan,not available\n";
    assert_eq!(upload("viewer", "figures.csv", good).status, StatusCode::FORBIDDEN);
    assert_eq!(upload("occ-finance", "figures.csv", good).status, StatusCode::FORBIDDEN, "not the council's");
    assert!(site.store().metrics(&oxon()).expect("metrics").is_empty(), "nothing saved");
    let page = upload("manager", "figures.csv", good);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert!(page.headers[header::LOCATION].to_str().expect("location").ends_with("imported=2"));
    let (_, states) = states(&site);
    let delayed = states.iter().find(|s| s.series.id == "delayed-days").expect("the KPI");
    assert_eq!(delayed.figures.actuals[&MetricPeriod::Quarter(1)].to_string(), "3");
}

fn the_monthly_performance_report_is_beside_the_finance_report_and_in_the_pack(site: Site) {
    let page = enter(&site, "manager", "Q1", "actual", &[("delayed-days", "14"), ("avoidable-admissions", "180")]);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let page = enter(&site, "manager", "Q3", "actual", &[("delayed-days", "10")]);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    // Linked from the finance report of the month.
    let overview = site.get("/agreements/oxon-s75/2016-17?month=M6").text();
    assert!(overview.contains("/agreements/oxon-s75/2016-17/performance?month=M6"), "linked");
    let html = site.get("/agreements/oxon-s75/2016-17/performance?month=M6").text();
    assert!(html.contains("id=\"finance-report\""), "and back");
    let (agreement, states) = states(&site);
    let year = agreement.financial_year();
    for state in &states {
        let latest = latest_by(&state.standings, year, year.month_end(month(6)));
        let cells = row_cells(&html, &format!("id=\"performance-{}-status\"", state.series.id));
        assert_eq!(
            cells[3],
            latest.map_or("none reported".to_string(), |l| l.period.to_string()),
            "{}",
            state.series.id
        );
        assert_eq!(cells[6], latest.map_or("not available", |l| l.status.words()), "{}", state.series.id);
    }
    let delayed = row_cells(&html, "id=\"performance-delayed-days-status\"");
    assert_eq!(delayed[3], "Q1", "Q3 is not ended by M6");
    let csv = site.get("/agreements/oxon-s75/2016-17/performance?month=M6&format=csv&table=performance");
    assert_eq!(csv_rows(&csv.body).len(), states.len() + 2, "a row a series, the header and the head");
    // In the agenda pack, after the finance report.
    let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/board/meetings", &[("date", "2016-10-13")]);
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    let pack = site.get("/agreements/oxon-s75/2016-17/board/meetings/2016-10-13/pack").text();
    let at = |id: &str| pack.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no {id}"));
    assert!(at("pack-finance") < at("pack-performance") && at("pack-performance") < at("pack-risk-share"));
    assert!(pack.contains("id=\"performance-delayed-days-status\""), "the report's table");
}

fn the_home_support_clawback_cites_the_measures_evidence(site: Site) {
    let html = site.get("/agreements/oxon-s75/2016-17/settlement").text();
    assert!(html.contains("id=\"evidence-home-support\""), "beside the waiver");
    assert!(html.contains("no weekly figures entered yet"), "none yet");
    for (week, hours) in [("W1", "250"), ("W2", "300")] {
        let fields =
            [("frequency", "week"), ("period", week), ("kind", "actual"), ("figure.home-support.new-hours", hours)];
        assert_eq!(site.post_as("occ-finance", METRICS, &fields).status, StatusCode::SEE_OTHER);
    }
    let (agreement, states) = states(&site);
    let homes = pooled_app::metrics::home_support_states(&agreement, &states);
    let q1 = &homes[0].quarters[0];
    let html = site.get("/agreements/oxon-s75/2016-17/settlement").text();
    let average = q1.average_new_hours.expect("an average").grouped();
    assert!(
        html.contains(&format!("Q1: average new hours a week {average} against 270 ({})", q1.new_hours_status.words())),
        "the quarter's figures"
    );
    // And on the dashboard, the quarter's row.
    let dashboard = site.get(METRICS).text();
    let cells = row_cells(&dashboard, "id=\"home-support-home-support-Q1-status\"");
    assert_eq!((cells[1].as_str(), cells[2].as_str()), ("2", average.as_str()));
}
