//! The records kept beside the figures: contribution payments recorded through the
//! payments page, and the audit log that names who changed what, on SQLite and
//! PostgreSQL.

#[macro_use]
mod common;

use axum::http::{StatusCode, header};
use common::*;
use pooled_core::agreement::Agreement;
use pooled_core::money::Money;
use pooled_core::payments::EntryKind;
use pooled_core::payments::{Instalment, schedule};
use pooled_store::{AuditEntry, PaymentEntry};

on_both_backends!(
    the_payments_page_shows_every_instalment_and_the_totals,
    a_finance_officer_records_an_instalment_raised_and_paid,
    payments_are_refused_to_viewers_budget_holders_and_forms_without_the_token,
    an_unscheduled_or_impossible_payment_is_shown_back,
    statuses_are_as_at_the_day_in_england,
    the_audit_log_lists_entries_newest_first_and_filters_them,
    the_audit_log_pages_a_hundred_at_a_time,
    the_audit_log_is_checked_against_a_head_published_earlier,
);

fn agreement(site: &Site) -> Agreement {
    pooled_app::agreement(site.store().as_ref(), &oxon()).expect("agreement")
}

fn partner(a: &Agreement, ix: usize) -> &str {
    &a.partners()[ix].id
}

/// The instalment's index in the schedule, which names its row on the page.
fn index_of(a: &Agreement, pool: &str, from: &str, month_number: u32) -> (usize, Instalment) {
    schedule(a)
        .into_iter()
        .enumerate()
        .find(|(_, i)| i.pool == pool && partner(a, i.from) == from && i.month == month(month_number))
        .expect("scheduled")
}

fn the_payments_page_shows_every_instalment_and_the_totals(site: Site) {
    let a = agreement(&site);
    let instalments = schedule(&a);
    let page = site.get_as("viewer", "/agreements/oxon-s75/2016-17/payments");
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let table = table_html(&html, "schedule");
    assert_eq!(table.matches("id=\"instalment-").count(), instalments.len(), "a row per instalment");
    for (ix, i) in instalments.iter().enumerate() {
        let cells = row_cells(table, &format!("id=\"instalment-{ix}\""));
        let expected = [
            i.pool.clone(),
            partner(&a, i.from).to_string(),
            partner(&a, i.to).to_string(),
            i.month.to_string(),
            i.due.to_string(),
            pounds(i.amount),
            String::new(),
            pounds(Money::ZERO),
            pounds(Money::ZERO),
            pounds(Money::ZERO),
            // Every 2016-17 instalment fell due long before today, and none is paid.
            "Overdue".to_string(),
        ];
        assert_eq!(cells, expected, "instalment {ix}");
    }
    assert!(!html.contains("name=\"raised_on\""), "a viewer records nothing");
    assert!(html.contains("today in England"), "the day statuses are reckoned from is said");
    assert!(html.contains("href=\"/agreements/oxon-s75/2016-17/settlement\""), "the year-end invoices are a link away");
    // Totals per paying partner: the CCG pays the council for OP, LD and PD; the council
    // pays the CCG, MH's host.
    let totals = table_html(&html, "totals");
    for (from, to) in [("OCCG", "OCC"), ("OCC", "OCCG")] {
        let owed: Money = instalments
            .iter()
            .filter(|i| partner(&a, i.from) == from && partner(&a, i.to) == to)
            .map(|i| i.amount)
            .sum();
        let (owed, nil) = (pounds(owed), pounds(Money::ZERO));
        // Nothing raised or paid: nothing outstanding yet, but all of it overdue.
        let expected = [from, to, &owed, &nil, &nil, &nil, &owed];
        assert_eq!(row_cells(totals, &format!(">{from}</th>")), expected, "{from} to {to}");
    }
    let all: Money = instalments.iter().map(|i| i.amount).sum();
    assert_eq!(row_cells(totals, ">All instalments<")[2], pounds(all));
    // What the page shows is what the downloads hold.
    let csv = csv_rows(&site.get_as("viewer", "/agreements/oxon-s75/2016-17/payments?format=csv&table=schedule").body);
    assert_eq!(csv[0][..6], ["Pool", "From", "To", "Month", "Due", "Amount"]);
    let amounts: Vec<String> = csv[1..].iter().map(|r| r[5].clone()).collect();
    let expected: Vec<String> = instalments.iter().map(|i| i.amount.to_plain_string()).collect();
    assert_eq!(amounts, expected);
    let xlsx = site.get_as("viewer", "/agreements/oxon-s75/2016-17/payments?format=xlsx&table=totals");
    assert_eq!(xlsx.status, StatusCode::OK);
    let cells = xlsx_cells(&site, &xlsx.body, "totals");
    assert_eq!(cells.len(), 1 + 1 + 2 + 1, "title, header, a row per paying partner and the total");
    // The balance between the two: nothing invoiced, so square.
    let balances = table_html(&html, "balances");
    assert_eq!(row_cells(balances, ">OCCG</th>"), ["OCCG", "OCC", &pounds(Money::ZERO)]);
    // One pool's instalments.
    let mh = site.get_as("viewer", "/agreements/oxon-s75/2016-17/payments?pool=MH").text();
    let rows = table_html(&mh, "schedule").matches("id=\"instalment-").count();
    assert_eq!(rows, instalments.iter().filter(|i| i.pool == "MH").count());
    let occ: Money = instalments.iter().filter(|i| i.pool == "MH").map(|i| i.amount).sum();
    assert_eq!(row_cells(table_html(&mh, "totals"), ">All instalments<")[2], pounds(occ));
    assert_eq!(site.get_as("viewer", "/agreements/oxon-s75/2016-17/payments?pool=NOPE").status, StatusCode::NOT_FOUND);
    assert_eq!(site.get_as("viewer", "/agreements/oxon-s75/2030-31/payments").status, StatusCode::NOT_FOUND);
}

fn a_finance_officer_records_an_instalment_raised_and_paid(site: Site) {
    let a = agreement(&site);
    // The council pays the CCG, MH's host.
    let (ix, mh_m3) = index_of(&a, "MH", "OCC", 3);
    let form = site.get_as("occ-finance", "/agreements/oxon-s75/2016-17/payments").text();
    assert!(form.contains(&format!("id=\"record-{ix}\"")), "the row has its form");
    let part = Money::from_pence(mh_m3.amount.pence() / 3);
    let rest = mh_m3.amount - part;
    // Raised, and paid in part.
    let part_text = part.to_plain_string();
    let fields = [
        ("pool", "MH"),
        ("from", "OCC"),
        ("to", "OCCG"),
        ("month", "M3"),
        ("raised_on", "2016-05-20"),
        ("paid_on", ""),
        ("amount", ""),
    ];
    assert_eq!(
        site.post_as("occ-finance", "/agreements/oxon-s75/2016-17/payments", &fields).status,
        StatusCode::SEE_OTHER
    );
    let fields = [
        ("pool", "MH"),
        ("from", "OCC"),
        ("to", "OCCG"),
        ("month", "M3"),
        ("paid_on", "2016-06-01"),
        ("amount", &part_text),
    ];
    let recorded = site.post_as("occ-finance", "/agreements/oxon-s75/2016-17/payments", &fields);
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.text());
    let page = site.follow_as("occ-finance", &recorded);
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let banner = format!(
        "The MH instalment for M3 (June 2016) from OCC to OCCG, {}: raised on 2016-05-20, invoiced {}, paid {}, outstanding {}.",
        pounds(mh_m3.amount),
        pounds(mh_m3.amount),
        pounds(part),
        pounds(rest)
    );
    assert!(html.contains(&banner), "the banner names what was recorded: {html}");
    let row = row_cells(table_html(&html, "schedule"), &format!("id=\"instalment-{ix}\""));
    assert_eq!(
        row[6..11],
        // Due in 2016 and not paid in full: overdue by the clock of today.
        ["2016-05-20".to_string(), pounds(mh_m3.amount), pounds(part), pounds(rest), "Overdue".into()]
    );
    // The other partner's finance officer may record too: the rest, the balance outstanding.
    let fields = [("pool", "MH"), ("from", "OCC"), ("to", "OCCG"), ("month", "M3"), ("paid_on", "2016-06-10")];
    let html = site
        .follow_as("occg-finance", &site.post_as("occg-finance", "/agreements/oxon-s75/2016-17/payments", &fields))
        .text();
    let row = row_cells(table_html(&html, "schedule"), &format!("id=\"instalment-{ix}\""));
    assert_eq!(row[8..11], [pounds(mh_m3.amount), pounds(Money::ZERO), "Paid".into()]);
    let occ = row_cells(table_html(&html, "totals"), ">OCC</th>");
    assert_eq!(occ[3..6], [pounds(mh_m3.amount), pounds(mh_m3.amount), pounds(Money::ZERO)]);
    let store = site.store();
    let entry = |kind, on: &str, amount| PaymentEntry {
        pool: "MH".into(),
        from: "OCC".into(),
        to: Some("OCCG".into()),
        month: month(3),
        kind,
        on: on.parse().expect("date"),
        amount: Some(amount),
    };
    assert_eq!(
        store.payment_entries(&oxon()).expect("payments"),
        [
            entry(EntryKind::Invoice, "2016-05-20", mh_m3.amount),
            entry(EntryKind::Payment, "2016-06-01", part),
            entry(EntryKind::Payment, "2016-06-10", rest),
        ]
    );
    let log = store.audit_log().expect("log");
    let recordings: Vec<(&str, &str)> =
        log.iter().filter(|e| e.action == "record-payment").map(|e| (e.actor.as_str(), e.subject.as_str())).collect();
    let subject = "payment oxon-s75 2016-17 MH OCC to OCCG M3";
    assert_eq!(recordings, [("occ-finance", subject), ("occ-finance", subject), ("occg-finance", subject)]);
}

fn payments_are_refused_to_viewers_budget_holders_and_forms_without_the_token(site: Site) {
    let fields = [("pool", "OP"), ("from", "OCCG"), ("to", "OCC"), ("month", "M1"), ("raised_on", "2016-02-20")];
    for user in ["viewer", "budget-holder"] {
        let page = site.post_as(user, "/agreements/oxon-s75/2016-17/payments", &fields);
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{user}");
        assert!(page.text().contains("who cannot record payments from OCCG to OCC"), "{user}");
    }
    let session = site.session("manager");
    let page = site.post_raw(Some(&session.cookie), "/agreements/oxon-s75/2016-17/payments", &fields);
    assert_eq!(page.status, StatusCode::FORBIDDEN, "no CSRF token");
    assert!(site.store().payment_entries(&oxon()).expect("payments").is_empty(), "nothing stored");
}

fn statuses_are_as_at_the_day_in_england(mut site: Site) {
    // 00:30 on 2 April 2016 in England (BST) is still 1 April in UTC. The CCG's OP
    // instalment for M2 fell due on 1 April: overdue in England, not yet by UTC's date.
    let at: pooled_store::Timestamp = "2016-04-01T23:30:00Z".parse().expect("a time");
    site.rebuild(|web| pooled_web::router(std::sync::Arc::new(web.with_clock(pooled_app::clock::Clock::Fixed(at)))));
    let html = site.get_as("viewer", "/agreements/oxon-s75/2016-17/payments").text();
    assert!(html.contains("Statuses are as at 2016-04-02, today in England"), "{html}");
    let a = agreement(&site);
    let state = |month: u32| {
        let (ix, instalment) = index_of(&a, "OP", "OCCG", month);
        let cells = row_cells(table_html(&html, "schedule"), &format!("id=\"instalment-{ix}\""));
        (instalment.due.to_string(), cells.last().cloned().unwrap_or_default())
    };
    assert_eq!(state(2), ("2016-04-01".to_string(), "Overdue".to_string()));
    assert_eq!(state(3), ("2016-05-01".to_string(), "Not raised".to_string()));
}

fn an_unscheduled_or_impossible_payment_is_shown_back(site: Site) {
    let a = agreement(&site);
    let (ix, m1) = index_of(&a, "OP", "OCCG", 1);
    // Raised on 2016-03-10 for the instalment.
    let raised = [("pool", "OP"), ("from", "OCCG"), ("to", "OCC"), ("month", "M1"), ("raised_on", "2016-03-10")];
    assert_eq!(site.post_as("manager", "/agreements/oxon-s75/2016-17/payments", &raised).status, StatusCode::SEE_OTHER);
    let stored = site.store().payment_entries(&oxon()).expect("payments");
    let log = site.store().audit_log().expect("log").len();
    let over = (m1.amount + Money::from_pence(1)).to_plain_string();
    let more = format!(
        "a payment of {} is more than the {} outstanding on the instalment",
        m1.amount + Money::from_pence(1),
        m1.amount
    );
    // (from, raised, paid, amount, what is said, the field it links to)
    let cases: [(&str, &str, &str, &str, &str, String); 5] = [
        (
            "OCC",
            "2016-03-01",
            "",
            "",
            "no instalment from OCC to OCC in pool OP in M1 of 2016-17",
            "table-schedule".into(),
        ),
        (
            "OCCG",
            "",
            "2016-03-01",
            "",
            "the instalment cannot be paid on 2016-03-01, before it was raised on 2016-03-10",
            format!("raised-{ix}"),
        ),
        ("OCCG", "", "2016-03-20", &over, &more, format!("raised-{ix}")),
        (
            "OCCG",
            "31/02/2016",
            "",
            "",
            "Enter the date the instalment was raised as year-month-day",
            format!("raised-{ix}"),
        ),
        ("OCCG", "", "2016-03-20", "lots", "Enter the amount in pounds and pence", format!("amount-{ix}")),
    ];
    for (from, raised, paid, amount, says, field) in cases {
        // `m01` is M1 as a person might type it: the refused row is still found.
        let fields = [
            ("pool", "OP"),
            ("from", from),
            ("to", "OCC"),
            ("month", "m01"),
            ("raised_on", raised),
            ("paid_on", paid),
            ("amount", amount),
        ];
        let page = site.post_as("manager", "/agreements/oxon-s75/2016-17/payments", &fields);
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{from} {raised} {paid} {amount}");
        let html = page.text();
        assert!(html.contains("<title>Error: "));
        let summary = &html[html.find("govuk-error-summary").expect("an error summary")..];
        assert!(summary.contains(says), "{says}: {html}");
        assert!(summary.contains(&format!("href=\"#{field}\"")), "links to {field}");
        if from == "OCCG" {
            for sent in [raised, paid, amount].into_iter().filter(|v| !v.is_empty()) {
                assert!(html.contains(&format!("value=\"{sent}\"")), "{sent} kept to correct");
            }
        }
    }
    assert_eq!(site.get("/agreements/oxon-s75/2016-17/payments").status, StatusCode::OK);
    let store = site.store();
    assert_eq!(store.payment_entries(&oxon()).expect("payments"), stored, "nothing more stored");
    assert_eq!(store.audit_log().expect("log").len(), log, "nothing audited");
}

// ---- the audit log ----

/// The log's entries as the page lists them: (seq, actor, action), in order.
fn listed(html: &str) -> Vec<(i64, String, String)> {
    let table = table_html(html, "audit");
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(found) = table[at..].find("<th scope=\"row\"") {
        at += found;
        let cells = row_cells_at(table, at);
        out.push((cells[0].replace(',', "").parse().expect("seq"), cells[2].clone(), cells[3].clone()));
        at += table[at..].find("</tr>").expect("row end");
    }
    out
}

/// Who reads the audit log in the tests of listing it: an administrator reads every entry.
const ADMIN: &str = "admin";

/// Which entries a filter lets through.
type Keep = fn(&AuditEntry) -> bool;

fn newest_first(log: &[AuditEntry], keep: Keep) -> Vec<&AuditEntry> {
    log.iter().rev().filter(|e| keep(e)).collect()
}

fn as_listed(entries: &[&AuditEntry]) -> Vec<(i64, String, String)> {
    entries.iter().map(|e| (e.seq, e.actor.clone(), e.action.clone())).collect()
}

fn the_audit_log_lists_entries_newest_first_and_filters_them(site: Site) {
    let fields = [("pool", "OP"), ("from", "OCCG"), ("to", "OCC"), ("month", "M1"), ("raised_on", "2016-02-20")];
    assert_eq!(
        site.post_as("occg-finance", "/agreements/oxon-s75/2016-17/payments", &fields).status,
        StatusCode::SEE_OTHER
    );
    site.session(ADMIN);
    let page = site.get_as(ADMIN, "/audit");
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let log = site.store().audit_log().expect("log");
    assert!(html.contains("href=\"/audit?check=chain\""), "the chain is checked when asked");
    let checked = site.get_as(ADMIN, "/audit?check=chain").text();
    assert!(checked.contains(&format!("The audit log is intact: {} entries verified", log.len())));
    assert_eq!(listed(&html), as_listed(&newest_first(&log, |_| true)));
    let payment = table_html(&html, "audit");
    let (_, m1) = index_of(&agreement(&site), "OP", "OCCG", 1);
    assert!(payment.contains(&format!("invoice=2016-02-20 {}", m1.amount.to_plain_string())), "what was recorded");
    // Filters, one at a time and together.
    let filters: [(&str, Keep); 4] = [
        ("?actor=occg-finance", |e| e.actor == "occg-finance"),
        ("?action=login", |e| e.action == "login"),
        ("?actor=admin&action=login", |e| e.actor == "admin" && e.action == "login"),
        ("?actor=&action=", |_| true),
    ];
    for (query, keep) in filters {
        let page = site.get_as(ADMIN, &format!("/audit{query}"));
        assert_eq!(page.status, StatusCode::OK, "{query}");
        let expected = newest_first(&log, keep);
        assert!(!expected.is_empty(), "{query} finds something");
        assert_eq!(listed(&page.text()), as_listed(&expected), "{query}");
        // The download holds every entry the filters let through, exactly as stored.
        let csv = csv_rows(&site.get_as(ADMIN, &format!("/audit{query}&format=csv&table=audit")).body);
        assert_eq!(csv[0], ["Entry", "At (UTC)", "Actor", "Action", "Subject", "Before", "After"]);
        let stored: Vec<Vec<String>> = expected
            .iter()
            .map(|e| {
                let e = (*e).clone();
                vec![e.seq.to_string(), e.at.to_string(), e.actor, e.action, e.subject, e.before, e.after]
            })
            .collect();
        assert_eq!(csv[1..], stored[..], "{query}");
    }
    let xlsx = site.get_as(ADMIN, "/audit?format=xlsx");
    assert_eq!(xlsx.status, StatusCode::OK);
    assert_eq!(xlsx_cells(&site, &xlsx.body, "audit").len(), 1 + 1 + log.len(), "title, header and every entry");
    // Who may read it.
    for (user, status) in [
        ("viewer", StatusCode::FORBIDDEN),
        ("budget-holder", StatusCode::FORBIDDEN),
        ("board", StatusCode::OK),
        ("occ-finance", StatusCode::OK),
        ("admin", StatusCode::OK),
    ] {
        assert_eq!(site.get_as(user, "/audit").status, status, "{user}");
    }
    assert_eq!(site.get_as("viewer", "/audit?format=csv").status, StatusCode::FORBIDDEN, "nor download it");
}

fn the_audit_log_pages_a_hundred_at_a_time(site: Site) {
    // A year of recordings by the pool manager's clerk: well over a hundred entries.
    let mut store = site.store();
    let a = agreement(&site);
    for i in schedule(&a) {
        let invoice = PaymentEntry {
            pool: i.pool.clone(),
            from: partner(&a, i.from).to_string(),
            to: Some(partner(&a, i.to).to_string()),
            month: i.month,
            kind: EntryKind::Invoice,
            on: i.due,
            amount: Some(i.amount),
        };
        for _ in 0..5 {
            store.record_payment(&oxon(), std::slice::from_ref(&invoice), "clerk").expect("record");
        }
    }
    site.session(ADMIN);
    let log = store.audit_log().expect("log");
    let all = newest_first(&log, |_| true);
    assert!(all.len() > 200 && all.len() <= 300, "three pages: {}", all.len());
    let first = site.get_as(ADMIN, "/audit").text();
    assert_eq!(listed(&first), as_listed(&all[..100]));
    assert!(first.contains(&format!("Entries 1 to 100 of {}, newest first", all.len())));
    assert!(first.contains("href=\"/audit?page=2\" rel=\"next\""));
    let last = site.get_as(ADMIN, "/audit?page=3").text();
    assert_eq!(listed(&last), as_listed(&all[200..]));
    assert!(last.contains("href=\"/audit?page=2\" rel=\"prev\""));
    // The pages keep the filters.
    let clerk = newest_first(&log, |e| e.actor == "clerk");
    let second = site.get_as(ADMIN, "/audit?actor=clerk&page=2").text();
    assert_eq!(listed(&second), as_listed(&clerk[100..200.min(clerk.len())]));
    assert!(second.contains("href=\"/audit?actor=clerk\" rel=\"prev\""));
    assert_eq!(site.get_as(ADMIN, "/audit?page=4").status, StatusCode::NOT_FOUND);
    assert_eq!(site.get_as(ADMIN, "/audit?page=0").status, StatusCode::BAD_REQUEST);
    // A download holds every page.
    let csv = csv_rows(&site.get_as(ADMIN, "/audit?format=csv").body);
    assert_eq!(csv.len() - 1, site.store().audit_log().expect("log").len());
    assert_eq!(site.get_as(ADMIN, "/audit?format=csv").headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
}

fn the_audit_log_is_checked_against_a_head_published_earlier(site: Site) {
    site.session("manager");
    let store = site.store();
    let published = store.audit_head().expect("head");
    let html = site.get("/audit").text();
    assert!(html.contains(&format!("Audit log head: <code>{published}</code>")), "the head as the page read it");
    assert!(html.contains("id=\"check-head\""), "a form to check it against one given");
    let checked = site.get(&format!("/audit?check=chain&head={published}")).text();
    assert!(
        checked.contains(&format!(
            "The audit log is intact: {} entries verified, and unchanged up to the published head <code>{published}</code>.",
            store.audit_log().expect("log").len()
        )),
        "{checked}"
    );
    // A head whose hash is not its entry's: as after an edit and every hash recomputed
    // (the store's own tests make that edit).
    let earlier = store.audit_log().expect("log")[2].hash.clone();
    let wrong = format!("{}:{earlier}", published.seq);
    let checked = site.get(&format!("/audit?check=chain&head={wrong}")).text();
    assert!(
        checked.contains(&format!(
            "The audit log does not check out at entry {0}: entry {0} has the hash {1}, not {earlier} as published",
            published.seq, published.hash
        )),
        "{checked}"
    );
    // A head mistyped is said at the field, and nothing is checked.
    let mistyped = site.get("/audit?check=chain&head=12%3Aabc");
    assert_eq!(mistyped.status, StatusCode::OK);
    let html = mistyped.text();
    assert!(html.contains("govuk-error-message") && html.contains("the hash is not 64 hexadecimal digits"), "{html}");
    assert!(html.contains("value=\"12:abc\""), "kept to correct");
    assert!(!html.contains("id=\"check-result\""), "no check ran");
}

// ---- PostgreSQL only: an edited entry ----

/// An entry edited behind pooled's back (its guard dropped first) is named at the top of
/// the page. PostgreSQL only: the test reaches its tables through the client it already
/// has; the store's own tests check the same detection on both backends.
#[test]
fn an_edited_audit_entry_is_named_at_the_top() {
    let Some(site) = Site::postgres("an_edited_audit_entry_is_named", AGREEMENT) else { return };
    let Db::Postgres { url, schema } = &site.db else { unreachable!() };
    let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
    client
        .batch_execute(&format!(
            "SET search_path TO {schema}; DROP TRIGGER audit_log_no_change ON audit_log; \
             UPDATE audit_log SET actor = 'mallory' WHERE seq = 3"
        ))
        .expect("edit");
    let html = site.get("/audit?check=chain").text();
    assert!(!html.contains("The audit log is intact"));
    assert!(html.contains("The audit log does not check out at entry 3: its contents do not match"), "{html}");
}
