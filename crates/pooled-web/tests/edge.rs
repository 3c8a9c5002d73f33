//! The edge of the server: request ids, compression, body limits, a handler's panic, and
//! server errors shown with a reference and no database text, each logged with its cause.
//! On SQLite and PostgreSQL.

#[macro_use]
mod common;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex, OnceLock};

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use common::*;
use pooled_web::Routes;
use serde_json::Value;

on_both_backends!(
    a_request_id_is_made_or_kept_and_echoed,
    pages_and_assets_are_compressed_when_asked,
    an_upload_over_the_limit_is_refused_and_nothing_is_written,
    an_overlong_file_name_is_refused_and_nothing_is_written,
    a_panic_is_a_500_page_with_a_reference_and_the_next_request_is_served,
    a_request_over_its_time_is_a_503_page_with_a_reference,
    a_database_error_shows_a_reference_and_no_database_message,
    health_says_unavailable_without_the_error,
    uploads_left_by_a_stopped_server_are_cleared_at_start,
);

// ---- helpers ----

/// Everything the server logged while this test binary ran, every test's lines together:
/// a test finds its own by request id.
fn logged() -> String {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    let log = LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::clone(&log);
        tracing_subscriber::fmt().with_writer(move || Lines(Arc::clone(&shared))).with_ansi(false).init();
        log
    });
    String::from_utf8_lossy(&log.lock().expect("log")).into_owned()
}

struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn request_id(page: &Page) -> String {
    page.headers["x-request-id"].to_str().expect("ASCII").to_string()
}

/// The log's line that carries `request_id` and `text`.
fn log_line(request_id: &str, text: &str) -> String {
    let log = logged();
    let line = log.lines().find(|l| l.contains(&format!("request_id=\"{request_id}\"")) && l.contains(text));
    line.unwrap_or_else(|| panic!("no line with {request_id} and {text} in\n{log}")).to_string()
}

/// A server error's page: the status, and the request id as the reference to quote.
fn assert_server_error_page(page: &Page, status: StatusCode, title: &str) {
    assert_eq!(page.status, status, "{}", page.text());
    let html = page.text();
    assert!(html.contains(title), "{html}");
    let reference = format!("quoting this reference: <strong class=\"app-reference\">{}</strong>", request_id(page));
    assert!(html.contains(&reference), "{html}");
}

/// What the database or the operating system would have said.
const LEAKS: [&str; 6] = ["no such table", "does not exist", "relation", "SQLITE", "os error", "_gone"];

fn assert_no_leak(text: &str) {
    for leak in LEAKS {
        assert!(!text.contains(leak), "`{leak}` shown: {text}");
    }
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out).expect("gzip");
    out
}

/// The page with the values of its CSRF fields left out: they differ on every page.
fn without_tokens(page: &[u8]) -> String {
    let text = String::from_utf8_lossy(page);
    let mut parts = text.split("name=\"csrf_token\" value=\"");
    let mut out = parts.next().unwrap_or("").to_string();
    for part in parts {
        out.push_str(&part[part.find('"').expect("the value's end")..]);
    }
    out
}

/// A request as the pool manager's browser makes it, with these headers.
fn get_with(site: &Site, uri: &str, headers: &[(header::HeaderName, &str)]) -> Page {
    let mut request = Request::get(uri).header(header::COOKIE, site.session("manager").cookie);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    site.send(request.body(Body::empty()).expect("request"))
}

// ---- the tests ----

fn a_request_id_is_made_or_kept_and_echoed(site: Site) {
    logged(); // from here on
    let made = request_id(&site.get_anonymous("/health"));
    let dashes: Vec<usize> = made.match_indices('-').map(|(i, _)| i).collect();
    assert_eq!((made.len(), dashes), (36, vec![8, 13, 18, 23]), "a UUID: {made}");
    assert_ne!(made, request_id(&site.get_anonymous("/health")), "one per request");
    let kept = get_with(&site, "/", &[(header::HeaderName::from_static("x-request-id"), "proxy-7f3a")]);
    assert_eq!((kept.status, request_id(&kept)), (StatusCode::OK, "proxy-7f3a".to_string()));
    // The request's log line: method, path (without its query), status, latency.
    let page = site.get("/agreements/oxon-s75/2016-17?month=M2");
    let line = log_line(&request_id(&page), "answered");
    for field in ["status=200", "latency=", "method=GET", "path=/agreements/oxon-s75/2016-17 "] {
        assert!(line.contains(field), "{field} in {line}");
    }
    assert!(!line.contains("M2"), "never the query: {line}");
}

fn pages_and_assets_are_compressed_when_asked(site: Site) {
    for uri in
        ["/agreements/oxon-s75/2016-17", "/assets/govuk-frontend.min.css", "/api/agreements/oxon-s75/2016-17/report"]
    {
        let plain = get_with(&site, uri, &[]);
        assert_eq!(plain.status, StatusCode::OK, "{uri}");
        assert!(plain.headers.get(header::CONTENT_ENCODING).is_none(), "{uri} not compressed unless asked");
        let zipped = get_with(&site, uri, &[(header::ACCEPT_ENCODING, "gzip")]);
        assert_eq!(zipped.headers[header::CONTENT_ENCODING], "gzip", "{uri}");
        assert!(zipped.body.len() * 3 < plain.body.len(), "{uri}: {} of {} bytes", zipped.body.len(), plain.body.len());
        assert_eq!(without_tokens(&gunzip(&zipped.body)), without_tokens(&plain.body), "{uri}");
    }
    // The page's CSRF token, beside whatever a link put in the page, is masked afresh on
    // each page, so compressed sizes give nothing of it away; each still works.
    let tokens: Vec<String> =
        (0..2).map(|_| hidden_field(&site.get("/").text(), "csrf_token").expect("a token")).collect();
    assert_ne!(tokens[0], tokens[1]);
    for token in tokens {
        let fields = [
            ("csrf_token", token.as_str()),
            ("month", "M2"),
            ("cost_centre", "OCC-OP01-001"),
            ("outturn", "1.00"),
            ("confirm_below_actual", "yes"),
        ];
        let saved =
            site.post_raw(Some(&site.session("manager").cookie), "/agreements/oxon-s75/2016-17/forecasts", &fields);
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text());
    }
    // A workbook is zipped already.
    let xlsx = get_with(&site, "/agreements/oxon-s75/2016-17?format=xlsx", &[(header::ACCEPT_ENCODING, "gzip")]);
    assert_eq!(xlsx.status, StatusCode::OK);
    assert!(xlsx.headers.get(header::CONTENT_ENCODING).is_none());
}

/// What an import writes: the store's imports and audit entries, the upload folder's files.
fn written(site: &Site) -> (usize, usize, usize) {
    let store = site.store();
    let files = std::fs::read_dir(site.upload_dir()).map_or(0, |d| d.count());
    (store.imports(&oxon()).expect("imports").len(), store.audit_log().expect("log").len(), files)
}

fn with_content_length(mut request: Request<Body>) -> Request<Body> {
    let length = request.body().size_hint().exact().expect("a known length");
    request.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    request
}

/// The request's body in 64 KB pieces, as a network delivers a large one.
fn in_pieces(site: &Site, request: Request<Body>) -> Request<Body> {
    let (parts, body) = request.into_parts();
    let bytes = site.runtime.block_on(axum::body::to_bytes(body, usize::MAX)).expect("body");
    let pieces: Vec<Result<Bytes, std::io::Error>> =
        bytes.chunks(64 << 10).map(|piece| Ok(Bytes::copy_from_slice(piece))).collect();
    Request::from_parts(parts, Body::from_stream(futures_util::stream::iter(pieces)))
}

fn an_upload_over_the_limit_is_refused_and_nothing_is_written(mut site: Site) {
    site.rebuild(|web| pooled_web::router(Arc::new(web.with_max_upload(1 << 20))));
    site.session("occ-finance"); // signing in is audited
    let before = written(&site);
    let mut extract = occ_m3_extract(&site);
    let fits = extract.clone();
    while extract.len() <= 1 << 20 {
        extract.extend_from_within(extract.iter().position(|b| *b == b'\n').expect("a header") + 1..);
    }
    let fields = [("partner", "OCC"), ("period", "2016-06")];
    let browser = || {
        site.upload_request(
            "occ-finance",
            "/agreements/oxon-s75/2016-17/imports",
            &fields,
            ("occ-june.csv", &extract),
            true,
        )
    };
    let api = |extract: &[u8]| {
        let session = site.session("occ-finance");
        Request::post("/api/agreements/oxon-s75/2016-17/imports?partner=OCC&period=2016-06&file_name=occ-june.csv")
            .header(header::COOKIE, &session.cookie)
            .header("x-csrf-token", &session.csrf_token)
            .body(Body::from(extract.to_vec()))
            .expect("request")
    };
    // Without a length given, the limit is met as the body arrives: in one piece, or in
    // many while the file is being saved. With its length given, before a byte is read.
    let sent = |how: &str, request: Request<Body>| match how {
        "in one piece" => site.send(request),
        "in pieces" => site.send(in_pieces(&site, request)),
        _ => site.send(with_content_length(request)),
    };
    for how in ["in one piece", "in pieces", "with its length"] {
        let page = sent(how, browser());
        assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "{how}: {}", page.text());
        assert!(page.text().contains("ledger extracts of up to 1 MB"), "{how}: {}", page.text());
        let page = sent(how, api(&extract));
        assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE, "API {how}: {}", page.text());
        let json: Value = serde_json::from_slice(&page.body).expect("JSON");
        assert!(json["details"][0].as_str().expect("a reason").contains("up to 1 MB"), "{json}");
    }
    assert_eq!(written(&site), before, "no import, no audit entry, no file left");
    assert_eq!(site.get_as("occ-finance", "/imports/1").status, StatusCode::NOT_FOUND, "no job");
    // An extract within the limit is taken as before.
    let taken = site.send(api(&fits));
    assert_eq!(taken.status, StatusCode::OK, "{}", taken.text());
}

fn an_overlong_file_name_is_refused_and_nothing_is_written(site: Site) {
    site.session("occ-finance"); // signing in is audited
    let before = written(&site);
    let name = format!("{}.csv", "x".repeat(4996));
    let extract = occ_m3_extract(&site);
    let session = site.session("occ-finance");
    let request =
        Request::post(format!("/api/agreements/oxon-s75/2016-17/imports?partner=OCC&period=2016-06&file_name={name}"))
            .header(header::COOKIE, &session.cookie)
            .header("x-csrf-token", &session.csrf_token)
            .body(Body::from(extract.clone()))
            .expect("request");
    let api = site.send(request);
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", api.text());
    let json: Value = serde_json::from_slice(&api.body).expect("JSON");
    let reason = "file_name: the file name is 5000 characters long; at most 255 are accepted: rename the file";
    assert_eq!(json["details"], serde_json::json!([reason]));
    let fields = [("partner", "OCC"), ("period", "2016-06")];
    let page = site.upload_as("occ-finance", "/agreements/oxon-s75/2016-17/imports", &fields, (&name, &extract), true);
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text().contains(reason), "{}", page.text());
    assert_eq!(written(&site), before);
}

async fn panics() -> &'static str {
    panic!("a test's deliberate panic")
}

/// The route that panics is the test's own, added to the application's table: it exists
/// in no build of the server.
fn a_panic_is_a_500_page_with_a_reference_and_the_next_request_is_served(mut site: Site) {
    logged(); // from here on
    site.rebuild(|web| Routes::all().signed_in(Method::GET, "/test/panic", panics).into_router(Arc::new(web)));
    let page = site.get("/test/panic");
    assert_server_error_page(&page, StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service");
    assert!(!page.text().contains("deliberate"), "the panic's message is for the log");
    assert!(log_line(&request_id(&page), "server error").contains("the handler panicked: a test's deliberate panic"));
    let zipped = site.send(
        Request::get("/test/panic")
            .header(header::COOKIE, site.session("manager").cookie)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .expect("request"),
    );
    assert_eq!(zipped.headers[header::CONTENT_ENCODING], "gzip", "the error page goes through every layer");
    assert_eq!(site.get("/agreements/oxon-s75/2016-17").status, StatusCode::OK, "and the next request is answered");
}

async fn dawdles() -> &'static str {
    tokio::time::sleep(std::time::Duration::from_secs(600)).await;
    "too late"
}

fn a_request_over_its_time_is_a_503_page_with_a_reference(mut site: Site) {
    logged(); // from here on
    site.session("manager");
    site.rebuild(|web| {
        // Long enough for any other request on a busy machine, far short of the dawdle.
        let web = web.with_request_timeout(std::time::Duration::from_secs(2));
        Routes::all().signed_in(Method::GET, "/test/dawdle", dawdles).into_router(Arc::new(web))
    });
    let page = site.get("/test/dawdle");
    assert_server_error_page(&page, StatusCode::SERVICE_UNAVAILABLE, "Sorry, the service took too long to answer");
    assert!(log_line(&request_id(&page), "server error").contains("TimedOut"));
    let api = site.send(
        Request::get("/api/agreements")
            .header(header::COOKIE, site.session("manager").cookie)
            .body(Body::empty())
            .expect("request"),
    );
    assert_eq!(api.status, StatusCode::OK, "other requests are answered in time");
}

fn a_database_error_shows_a_reference_and_no_database_message(site: Site) {
    logged(); // from here on
    site.session("manager");
    site.sql("ALTER TABLE payment_entry RENAME TO payment_gone");
    let page = site.get("/agreements/oxon-s75/2016-17/payments");
    assert_server_error_page(&page, StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the database");
    assert_no_leak(&page.text());
    let cause = log_line(&request_id(&page), "server error");
    assert!(cause.contains("payment"), "the log has the database's message: {cause}");
    // The API's error shape, with the same reference.
    let api = site.send(
        Request::get("/api/agreements/oxon-s75/2016-17/payments")
            .header(header::COOKIE, site.session("manager").cookie)
            .body(Body::empty())
            .expect("request"),
    );
    assert_eq!(api.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_no_leak(&api.text());
    let json: Value = serde_json::from_slice(&api.body).expect("JSON");
    let expected = serde_json::json!({
        "error": "Sorry, there is a problem with the database",
        "details": [],
        "reference": request_id(&api),
    });
    assert_eq!(json, expected);
}

fn health_says_unavailable_without_the_error(site: Site) {
    logged(); // from here on
    site.sql("ALTER TABLE agreement RENAME TO agreement_gone");
    let page = site.get_anonymous("/health");
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    let json: Value = serde_json::from_slice(&page.body).expect("JSON");
    let backend = site.store().backend();
    assert_eq!(json, serde_json::json!({"status": "unavailable", "backend": backend, "database": "unreachable"}));
    assert!(log_line(&request_id(&page), "health check").contains("agreement"), "the cause is logged");
}

fn uploads_left_by_a_stopped_server_are_cleared_at_start(site: Site) {
    let dir = site.dir.join("left");
    let leftover = dir.join("0123456789abcdef");
    std::fs::create_dir_all(&leftover).expect("mkdir");
    std::fs::write(leftover.join("occ-june.csv"), "half an extract").expect("write");
    // Only the server's own folders go, whatever folder it is given.
    std::fs::create_dir_all(dir.join("keep-me")).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "not an upload").expect("write");
    let _web = site.db.web(&site.dir).with_upload_dir(&dir).expect("prepared");
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .collect();
    left.sort();
    assert_eq!(left, ["keep-me", "notes.txt"]);
}
