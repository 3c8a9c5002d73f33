//! What signed-in people change through the pages: forecasts and ledger imports, each
//! checked against the role, the engine's figures and the audit log, on SQLite and
//! PostgreSQL.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use axum::http::{StatusCode, header};
use common::*;
use pooled_core::money::Money;
use pooled_core::settlement::{Outturn, settle};
use pooled_store::Store;

on_both_backends!(
    a_budget_holder_enters_a_forecast_for_their_cost_centre,
    forecasts_are_refused_to_roles_without_the_cost_centre,
    a_malformed_forecast_is_shown_back_and_nothing_changes,
    an_import_with_a_bad_row_lists_it_then_the_corrected_file_imports,
    imports_are_refused_to_other_partners_and_without_the_token,
    a_huge_header_or_many_bad_rows_make_a_short_page,
    exports_carry_no_formulas_and_cut_text_too_long_for_a_cell,
    a_forecast_below_the_actual_to_date_is_confirmed_and_marked,
    the_pool_manager_records_a_saving_and_the_settlement_takes_it,
);

fn forecast_for(store: &dyn Store, code: &str) -> Option<Money> {
    let forecasts = store.forecasts(&oxon()).expect("forecasts");
    forecasts.iter().filter(|f| f.cost_centre == code && f.month == month(2)).map(|f| f.outturn).next_back()
}

fn a_budget_holder_enters_a_forecast_for_their_cost_centre(site: Site) {
    let page = site.get_as("budget-holder", "/agreements/oxon-s75/2016-17/forecasts");
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("<option value=\"OCC-OP01-001\""), "their cost centre");
    assert!(!html.contains("<option value=\"OCC-OP01-002\""), "no one else's");
    let saved = site.post_as(
        "budget-holder",
        "/agreements/oxon-s75/2016-17/forecasts",
        &[("month", "M2"), ("cost_centre", "OCC-OP01-001"), ("outturn", "1,234,567.89")],
    );
    let after = site.follow_as("budget-holder", &saved);
    assert_eq!(after.status, StatusCode::OK);
    assert!(after.text().contains("Forecast outturn for OCC-OP01-001 at M2: £1,234,567.89"), "the banner");
    let store = site.store();
    assert_eq!(forecast_for(store.as_ref(), "OCC-OP01-001"), Some(Money::parse("1234567.89").expect("amount")));
    let entry = store.audit_log().expect("log").pop().expect("an entry");
    assert_eq!((entry.actor.as_str(), entry.action.as_str()), ("budget-holder", "set-forecast"));
    // The report now forecasts the cost centre from the entry.
    let report = pooled_app::report(store.as_ref(), &oxon(), month(2)).expect("report");
    let row = report.pools[0]
        .segments
        .iter()
        .flat_map(|s| &s.lines)
        .flat_map(|l| &l.cost_centres)
        .find(|c| c.code.as_deref() == Some("OCC-OP01-001"))
        .expect("row");
    assert_eq!(row.figures.forecast_outturn, Money::parse("1234567.89").expect("amount"));
}

fn forecasts_are_refused_to_roles_without_the_cost_centre(site: Site) {
    // (user, cost centre, allowed)
    for (user, code, allowed) in [
        ("occ-finance", "OCCG-OP01-001", false),
        ("budget-holder", "OCC-OP01-002", false),
        ("viewer", "OCC-OP01-001", false),
        ("board", "OCC-OP01-001", false),
        ("occg-finance", "OCCG-OP01-001", true),
        ("occ-finance", "OCC-OP01-002", true),
        ("manager", "OCCG-OP01-002", true),
    ] {
        let page =
            // Confirmed, as 100.00 may be below the actual to date.
            site.post_as(
                user,
                "/agreements/oxon-s75/2016-17/forecasts",
                &[("month", "M2"), ("cost_centre", code), ("outturn", "100.00"), ("confirm_below_actual", "yes")],
            );
        let expected = if allowed { StatusCode::SEE_OTHER } else { StatusCode::FORBIDDEN };
        assert_eq!(page.status, expected, "{user} forecasting {code}: {}", page.text());
    }
    let store = site.store();
    assert_eq!(forecast_for(store.as_ref(), "OCC-OP01-002"), Some(Money::parse("100.00").expect("amount")));
    let viewer = site.get_as("viewer", "/agreements/oxon-s75/2016-17/forecasts").text();
    assert!(viewer.contains("You have no cost centres to forecast."));
}

fn a_malformed_forecast_is_shown_back_and_nothing_changes(site: Site) {
    site.session("manager"); // signing in is itself in the log
    let log = site.store().audit_log().expect("log").len();
    for (code, outturn, says) in [
        ("OCC-OP01-001", "12.345", "Enter the forecast outturn in pounds"),
        ("NOT-A-CENTRE", "100.00", "cost centre `NOT-A-CENTRE` is not in the 2016-17 plan"),
    ] {
        let page = site.post_as(
            "manager",
            "/agreements/oxon-s75/2016-17/forecasts",
            &[("month", "M2"), ("cost_centre", code), ("outturn", outturn)],
        );
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{code} {outturn}");
        let html = page.text();
        assert!(html.contains(says), "{says}: {html}");
        assert!(html.contains("govuk-error-summary"));
        assert!(html.contains(&format!("value=\"{outturn}\"")), "kept to correct");
    }
    assert_eq!(site.store().audit_log().expect("log").len(), log, "nothing changed");
}

/// Polls an import's page until it has finished.
fn finished(site: &Site, user: &str, location: &str) -> String {
    let started = Instant::now();
    loop {
        let page = site.get_as(user, location);
        assert_eq!(page.status, StatusCode::OK, "{location}");
        if !page.headers.contains_key(header::REFRESH) {
            return page.text();
        }
        assert!(page.text().contains("% </strong>") || page.text().contains("%</strong>"), "progress shown");
        assert!(started.elapsed() < Duration::from_secs(60), "the import finishes");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn an_import_with_a_bad_row_lists_it_then_the_corrected_file_imports(site: Site) {
    let good = occ_m3_extract(&site);
    let text = String::from_utf8(good.clone()).expect("UTF-8");
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    // Row 5 of the file (the header is row 1): its amount spoiled.
    let fields: Vec<String> = lines[4].split(',').map(str::to_string).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    let amount_at = header.iter().position(|h| h.to_ascii_lowercase().contains("amount")).expect("an amount column");
    let spoiled: Vec<String> =
        fields.iter().enumerate().map(|(i, f)| if i == amount_at { "12.3.4".into() } else { f.to_string() }).collect();
    lines[4] = spoiled.join(",");
    let bad = lines.join("\n") + "\n";
    let store = site.store();
    let imports_before = store.imports(&oxon()).expect("imports").len();
    let fields = [("partner", "OCC"), ("period", "2016-06")];
    let started = site.upload_as(
        "occ-finance",
        "/agreements/oxon-s75/2016-17/imports",
        &fields,
        ("occ-june.csv", bad.as_bytes()),
        true,
    );
    let location = started.headers[header::LOCATION].to_str().expect("ASCII").to_string();
    let html = finished(&site, "occ-finance", &location);
    assert!(html.contains("Nothing was imported"), "{html}");
    let cells = row_cells(table_html(&html, "bad-rows"), ">5<");
    assert_eq!(cells[..2], ["5", header[amount_at].as_str()], "row and column of the bad amount");
    assert_eq!(store.imports(&oxon()).expect("imports").len(), imports_before, "nothing written");
    // The bad rows download as CSV too.
    let csv = csv_rows(&site.get_as("occ-finance", &format!("{location}?format=csv&table=bad-rows")).body);
    assert_eq!(csv[1][0], "5");
    // The corrected extract.
    let started =
        site.upload_as("occ-finance", "/agreements/oxon-s75/2016-17/imports", &fields, ("occ-june.csv", &good), true);
    let location = started.headers[header::LOCATION].to_str().expect("ASCII").to_string();
    let html = finished(&site, "occ-finance", &location);
    assert!(html.contains("Import complete"), "{html}");
    let imports = store.imports(&oxon()).expect("imports");
    let latest = imports.last().expect("an import");
    assert_eq!((latest.partner.as_str(), latest.period.to_string(), latest.rows), ("OCC", "2016-06".into(), 200));
    assert_eq!(latest.imported_by, "occ-finance");
    assert!(html.contains(&format!("Imported 200 rows, net {}.", pounds(latest.total))));
    let listed = site.get_as("manager", "/agreements/oxon-s75/2016-17/imports/new").text();
    assert!(table_html(&listed, "imports").contains("occ-june.csv"));
}

fn imports_are_refused_to_other_partners_and_without_the_token(site: Site) {
    let extract = occ_m3_extract(&site);
    let fields = [("partner", "OCC"), ("period", "2016-06")];
    for (user, csrf, expected) in [
        ("occg-finance", true, StatusCode::FORBIDDEN),
        ("viewer", true, StatusCode::FORBIDDEN),
        ("budget-holder", true, StatusCode::FORBIDDEN),
        ("manager", false, StatusCode::FORBIDDEN),
    ] {
        let page = site.upload_as(user, "/agreements/oxon-s75/2016-17/imports", &fields, ("occ.csv", &extract), csrf);
        assert_eq!(page.status, expected, "{user} csrf={csrf}");
    }
    assert!(site.store().imports(&oxon()).expect("imports").iter().all(|i| i.period.to_string() != "2016-06"));
    let form = site.get_as("occg-finance", "/agreements/oxon-s75/2016-17/imports/new").text();
    assert!(form.contains("<option value=\"OCCG\"") && !form.contains("<option value=\"OCC\""));
}

fn a_huge_header_or_many_bad_rows_make_a_short_page(site: Site) {
    let fields = [("partner", "OCC"), ("period", "2016-06")];
    let import = |name: &str, body: &[u8]| {
        let started =
            site.upload_as("occ-finance", "/agreements/oxon-s75/2016-17/imports", &fields, (name, body), true);
        let location = started.headers[header::LOCATION].to_str().expect("ASCII").to_string();
        finished(&site, "occ-finance", &location)
    };
    // A 3 MB header line: refused after a megabyte, in a sentence, not quoted back.
    let mut huge = vec![b'h'; 3 << 20];
    huge.extend(b"\nOCC-OP01-001,05/06/2016,5101,Care,V1,1\n");
    let html = import("huge.csv", &huge);
    assert!(html.contains("Nothing was imported"), "{html}");
    assert!(html.contains("this row is longer than 1,048,576 bytes"), "{html}");
    assert!(html.len() < 64 << 10, "a page of {} bytes", html.len());
    // Many bad rows: the first fifty and a count of the rest.
    let header = String::from_utf8(occ_m3_extract(&site)).expect("UTF-8").lines().next().expect("header").to_string();
    let columns: Vec<&str> = header.split(',').collect();
    let bad_row: Vec<&str> = columns.iter().map(|c| if c.contains("Amount") { "1.001" } else { "x" }).collect();
    let body = format!("{header}\n{}", format!("{}\n", bad_row.join(",")).repeat(1000));
    let html = import("bad.csv", body.as_bytes());
    let table = table_html(&html, "bad-rows");
    assert_eq!(table.matches("<tr").count(), 1 + 50 + 1, "the header, fifty bad rows and the count");
    assert!(table.contains("and 950 more bad rows"), "{table}");
}

fn exports_carry_no_formulas_and_cut_text_too_long_for_a_cell(site: Site) {
    let extract = String::from_utf8(occ_m3_extract(&site)).expect("UTF-8");
    let mut lines: Vec<String> = extract.lines().map(str::to_string).collect();
    let header: Vec<String> = lines[0].split(',').map(str::to_string).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name}"));
    let (code_at, description_at) = (at("Cost Centre"), at("Description"));
    // Row 2 describes itself with a formula, row 3 with 40,000 characters.
    let mut spoil = |row: usize, description: &str| {
        let mut fields: Vec<String> = lines[row - 1].split(',').map(str::to_string).collect();
        fields[description_at] = description.to_string();
        lines[row - 1] = fields.join(",");
        fields[code_at].clone()
    };
    let formula_code = spoil(2, "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"Click\"\")\"");
    let long_code = spoil(3, &"d".repeat(40_000));
    let body = lines.join("\n") + "\n";
    let fields = [("partner", "OCC"), ("period", "2016-06")];
    let started = site.upload_as(
        "occ-finance",
        "/agreements/oxon-s75/2016-17/imports",
        &fields,
        ("occ-june.csv", body.as_bytes()),
        true,
    );
    let location = started.headers[header::LOCATION].to_str().expect("ASCII").to_string();
    assert!(finished(&site, "occ-finance", &location).contains("Import complete"));
    let plan = site.store().plan(&oxon()).expect("plan");
    let page = |code: &str, format: &str| {
        let pool = &plan.iter().find(|c| c.code == code).expect("planned").pool;
        site.get_as(
            "occg-finance",
            &format!("/agreements/oxon-s75/2016-17/pools/{pool}/cost-centres/{code}?format={format}&table=ledger"),
        )
    };
    // The other partner's download shows the formula as text, and amounts as numbers.
    let csv = page(&formula_code, "csv");
    assert_eq!(csv.status, StatusCode::OK);
    let raw = String::from_utf8(csv.body.clone()).expect("UTF-8");
    assert!(raw.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Click\"\")\""), "{raw}");
    let rows = csv_rows(&csv.body);
    let amount = rows[0].iter().position(|h| h == "Amount").expect("an amount column");
    assert!(rows[1..].iter().all(|r| Money::parse(&r[amount]).is_ok()), "{rows:?}");
    assert!(raw.lines().skip(1).all(|l| !l.contains(",\"-")), "no amount quoted as text: {raw}");
    // The workbook holds the long description cut, where it was a 500 for everyone.
    let xlsx = page(&long_code, "xlsx");
    assert_eq!(xlsx.status, StatusCode::OK);
    let cells = xlsx_cells(&site, &xlsx.body, "ledger");
    assert!(cells.iter().flatten().any(|c| c.ends_with("… [cut: 40,000 characters]")), "the cut is said");
}

fn a_forecast_below_the_actual_to_date_is_confirmed_and_marked(site: Site) {
    let code = "OCC-OP01-001";
    let store = site.store();
    let report = pooled_app::report(store.as_ref(), &oxon(), month(2)).expect("report");
    let rows = report.pools[0].flat_rows();
    let actual = rows.iter().find(|r| r.cost_centre == code).expect("the cost centre").figures.actual_to_date;
    let below = (actual - Money::from_pence(1)).to_plain_string();
    let fields = |confirm: bool| {
        let mut f = vec![("month", "M2"), ("cost_centre", code), ("outturn", below.as_str())];
        if confirm {
            f.push(("confirm_below_actual", "yes"));
        }
        f
    };
    // Unconfirmed: the form again, saying why, with the box to tick.
    let page = site.post_as("budget-holder", "/agreements/oxon-s75/2016-17/forecasts", &fields(false));
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = page.text();
    assert!(html.contains(&format!("is below its actual to date at M2, {actual}")), "{html}");
    assert!(html.contains("name=\"confirm_below_actual\""), "the box to confirm it");
    assert_ne!(forecast_for(store.as_ref(), code), Money::parse(&below).ok());
    // Confirmed: saved, and marked where the forecast is shown.
    let page = site.post_as("budget-holder", "/agreements/oxon-s75/2016-17/forecasts", &fields(true));
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.text());
    assert_eq!(forecast_for(store.as_ref(), code), Money::parse(&below).ok());
    let mark = "entered, below actual to date (confirmed)";
    let forecasts = site.get_as("budget-holder", "/agreements/oxon-s75/2016-17/forecasts?month=M2").text();
    assert!(row_cells(table_html(&forecasts, "forecasts"), code).iter().any(|c| c == mark), "{forecasts}");
    let pool = site.get("/agreements/oxon-s75/2016-17/pools/OP?month=M2").text();
    assert!(row_cells(table_html(&pool, "report"), code).iter().any(|c| c == mark));
    assert_eq!(pool.matches(mark).count(), 1, "on its cost centre only");
}

fn the_pool_manager_records_a_saving_and_the_settlement_takes_it(site: Site) {
    let record = |user: &str, figure: &str, amount: &str| {
        let fields = [("saving", "op-2016-review"), ("figure", figure), ("amount", amount)];
        site.post_as(user, "/agreements/oxon-s75/2016-17/settlement/savings", &fields)
    };
    // Before anything is recorded, the settlement waits, naming the saving; the pool
    // manager alone has the form, and anyone else is refused.
    let html = site.get("/agreements/oxon-s75/2016-17/settlement").text();
    assert!(html.contains("The settlement cannot be made yet."));
    assert!(html.contains("saving `op-2016-review` delivered, and none is recorded"), "{html}");
    assert!(!html.contains("id=\"table-invoices\""), "no statement");
    assert!(html.contains("id=\"saving-form\""));
    for user in ["occ-finance", "admin", "viewer"] {
        assert!(
            !site.get_as(user, "/agreements/oxon-s75/2016-17/settlement").text().contains("id=\"saving-form\""),
            "{user}"
        );
        assert_eq!(record(user, "delivered", "0").status, StatusCode::FORBIDDEN, "{user}");
    }
    // What cannot be recorded is shown back.
    let page = record("manager", "delivered", "-1");
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains("cannot be negative"));
    assert!(page.text().contains("value=\"-1\""), "kept to correct");
    let store = site.store();
    assert!(store.saving_records(&oxon()).expect("records").is_empty());

    // A forecast made in M2: the M2 report's impact takes it, M1 assumes full delivery.
    let page = record("manager", "M2", "900,000");
    assert!(site.follow_as("manager", &page).text().contains("Saving op-2016-review recorded."));
    for (m, delivery, basis, shortfall) in [
        (1, "£1,500,000.00", "none recorded: assumed delivered in full", "£0.00"),
        (2, "£900,000.00", "forecast made in M2", "£600,000.00"),
    ] {
        let pool = site.get(&format!("/agreements/oxon-s75/2016-17/pools/OP?month=M{m}")).text();
        let row = row_cells(table_html(&pool, "savings"), "op-2016-review");
        assert_eq!(
            row,
            ["op-2016-review", "OCC", "older-people", "£1,500,000.00", delivery, basis, shortfall, "para 30"]
        );
        let report = pooled_app::report(store.as_ref(), &oxon(), month(m)).expect("report");
        let impact = table_html(&pool, "risk-impact");
        for p in &report.pools[0].risk_impact.partners {
            assert_eq!(row_cells(impact, &format!(">{} total<", p.body.id))[4], pounds(p.total), "M{m}");
        }
    }

    // Delivered nothing: the council (OCC) funds the whole saving under para 30, as the
    // file mode settles the same outturn with `delivered = "0"`.
    record("manager", "delivered", "0");
    let html = site.get("/agreements/oxon-s75/2016-17/settlement").text();
    assert!(!html.contains("The settlement cannot be made yet."));
    let end = pooled_app::year_end(store.as_ref(), &oxon(), &[]).expect("year end");
    let a = &end.agreement;
    let (from_file, _) =
        Outturn::parse(&outturn_file(a, &end.outturn, &[("op-2016-review", Money::ZERO)]), a).expect("outturn");
    assert_eq!(end.settlements, settle(a, &from_file));
    let op = table_html(&html, "OP");
    assert_eq!(
        row_cells(op, ">unagreed-saving<"),
        ["OCC", "unagreed-saving", "Older People", "para 30", "£1,500,000.00"]
    );
    for p in &end.settlements[0].partners {
        assert_eq!(row_cells(op, &format!(">{} total<", p.body.id))[4], pounds(p.total));
    }
    let savings = row_cells(table_html(&html, "savings"), "op-2016-review");
    assert_eq!(savings[5..9], ["£900,000.00", "M2 (May 2016)", "£0.00", "£1,500,000.00"]);
    let log = store.audit_log().expect("log");
    let last = log.last().expect("an entry");
    assert_eq!((last.actor.as_str(), last.action.as_str()), ("manager", "record-saving"));
}
