//! What the web tests share: a site on a fresh database (SQLite file or PostgreSQL
//! schema) with the 2016-17 agreement, ledger and an account for each role, requests as
//! any of them, and readers for what the pages return.
#![allow(dead_code)] // each test binary uses its own part of this

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use pooled_core::agreement::Agreement;
use pooled_core::calendar::{FinancialYear, FiscalMonth};
use pooled_core::ledger::{Mapping, Period};
use pooled_core::money::Money;
use pooled_core::settlement::Outturn;
use pooled_files::{GenOptions, Postings, Span, gen_ledger, gen_plan, write_plan_csv};
use pooled_store::{AgreementYear, NewApiToken, NewUser, PostgresStore, Role, SqliteStore, Store, now_utc, sha256_hex};
use pooled_web::Web;
use tower::ServiceExt;

pub const AGREEMENT: &str = include_str!("../../../../examples/oxfordshire-2016-17.toml");

// ---- fixtures ----

pub enum Db {
    Sqlite(PathBuf),
    Postgres { url: String, schema: String },
}

impl Db {
    /// The web application on this database, its uploads waiting in `dir`: beside the
    /// file for SQLite (as `pooled serve` keeps them), in `dir/uploads` for PostgreSQL.
    pub fn web(&self, dir: &std::path::Path) -> Web {
        match self {
            Db::Sqlite(path) => Web::open(&path.display().to_string(), 2).expect("web"),
            Db::Postgres { url, schema } => {
                let (u, s) = (url.clone(), schema.clone());
                let open: pooled_web::Opener =
                    Box::new(move || Ok(Box::new(PostgresStore::open_in_schema(&u, &s)?) as Box<dyn Store + Send>));
                let web = Web::with_opener(open, 2).expect("web");
                web.with_upload_dir(&dir.join("uploads")).expect("upload folder")
            }
        }
    }
}

/// A database with the 2016-17 agreement, a small plan, two months of ledger and a
/// forecast, and the web application on it.
pub struct Site {
    pub router: Router,
    /// Runs the requests. The tests themselves are plain threads, so that the blocking
    /// PostgreSQL client used for the fixture and the engine's figures can run on them.
    pub runtime: tokio::runtime::Runtime,
    pub db: Db,
    /// Where the fixture's generated files go; removed with the site.
    pub dir: PathBuf,
    /// Signed-in sessions by username, made on first use.
    sessions: RefCell<HashMap<String, Session>>,
}

/// A signed-in browser: its session cookie and the CSRF token its forms carry.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf_token: String,
}

pub fn postgres_url() -> String {
    std::env::var("POOLED_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

pub fn year() -> FinancialYear {
    FinancialYear::parse("2016-17").expect("year")
}

/// The example agreement's year, as the store keeps its records.
pub fn oxon() -> AgreementYear {
    AgreementYear::new("oxon-s75", year())
}

pub fn month(n: u32) -> FiscalMonth {
    FiscalMonth::new(n).expect("month")
}

impl Site {
    pub fn sqlite(test: &str, agreement: &str) -> Site {
        let dir = scratch(&format!("sqlite-{test}"));
        let path = dir.join("pooled.sqlite");
        let mut store = SqliteStore::open(&path).expect("open SQLite");
        populate(&mut store, agreement, &dir);
        drop(store);
        let db = Db::Sqlite(path);
        let router = pooled_web::router(Arc::new(db.web(&dir)));
        Site::on_router(router, runtime(), db, dir)
    }

    pub fn on_router(router: Router, runtime: tokio::runtime::Runtime, db: Db, dir: PathBuf) -> Site {
        Site { router, runtime, db, dir, sessions: RefCell::default() }
    }

    /// `None` (after saying so) when the server is down and this is not CI.
    pub fn postgres(test: &str, agreement: &str) -> Option<Site> {
        let url = postgres_url();
        // PostgreSQL cuts names at 63 bytes: the process id first, then the test's name.
        let schema = format!("pooled_web_{}_{}", std::process::id(), &test[..test.len().min(40)]);
        let mut store = match PostgresStore::open_in_schema(&url, &schema) {
            Ok(store) => store,
            Err(e) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("PostgreSQL not reachable at {url} ({e}), and CI=true: the PostgreSQL tests must run");
                }
                // Straight to stderr, not eprintln!: the test harness would swallow that.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED: PostgreSQL not reachable at {url} ({e}): {test} did not run on PostgreSQL"
                );
                return None;
            }
        };
        let dir = scratch(&format!("postgres-{test}"));
        populate(&mut store, agreement, &dir);
        drop(store);
        let db = Db::Postgres { url, schema };
        let router = pooled_web::router(Arc::new(db.web(&dir)));
        Some(Site::on_router(router, runtime(), db, dir))
    }

    /// The application on the site's database again, with `build` making the router from
    /// it: for a test that needs other settings or a route of its own.
    pub fn rebuild(&mut self, build: impl FnOnce(Web) -> Router) {
        self.router = build(self.db.web(&self.dir));
    }

    /// A store of its own on the site's database, to ask the engine for the figures (or
    /// to work on a thread of its own).
    pub fn store(&self) -> Box<dyn Store + Send> {
        match &self.db {
            Db::Sqlite(path) => Box::new(SqliteStore::open(path).expect("open")),
            Db::Postgres { url, schema } => Box::new(PostgresStore::open_in_schema(url, schema).expect("open")),
        }
    }

    /// A page as the pool manager sees it.
    pub fn get(&self, uri: &str) -> Page {
        self.get_as("manager", uri)
    }

    pub fn get_as(&self, user: &str, uri: &str) -> Page {
        let session = self.session(user);
        self.send(Request::get(uri).header(header::COOKIE, session.cookie).body(Body::empty()).expect("request"))
    }

    /// A page with no session at all.
    pub fn get_anonymous(&self, uri: &str) -> Page {
        self.send(Request::get(uri).body(Body::empty()).expect("request"))
    }

    /// Posts a form as `user`, with the session's CSRF token added.
    pub fn post_as(&self, user: &str, uri: &str, fields: &[(&str, &str)]) -> Page {
        let session = self.session(user);
        let mut all = vec![("csrf_token", session.csrf_token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(Some(&session.cookie), uri, &all)
    }

    /// Posts exactly these fields, with the cookie if any: for the CSRF tests.
    pub fn post_raw(&self, cookie: Option<&str>, uri: &str, fields: &[(&str, &str)]) -> Page {
        let mut request = Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(request.body(Body::from(body)).expect("request"))
    }

    pub fn send(&self, request: Request<Body>) -> Page {
        self.runtime.block_on(send(&self.router, request))
    }

    /// `user`'s session, signing in through `/login` the first time.
    pub fn session(&self, user: &str) -> Session {
        if let Some(s) = self.sessions.borrow().get(user) {
            return s.clone();
        }
        let session =
            self.sign_in(user, PASSWORD).unwrap_or_else(|page| panic!("{user} cannot sign in: {}", page.text()));
        self.sessions.borrow_mut().insert(user.to_string(), session.clone());
        session
    }

    /// Signs in through the form, as a browser does: the page, then the post.
    pub fn sign_in(&self, user: &str, password: &str) -> Result<Session, Box<Page>> {
        let form = self.get_anonymous("/login");
        let login_cookie = cookie_pair(&form, "pooled_login").expect("the sign-in page sets its cookie");
        let token = hidden_field(&form.text(), "csrf_token").expect("the sign-in form's token");
        let fields = [("username", user), ("password", password), ("csrf_token", &token), ("next", "/")];
        let signed_in = self.post_raw(Some(&login_cookie), "/login", &fields);
        if signed_in.status != StatusCode::SEE_OTHER {
            return Err(Box::new(signed_in));
        }
        let cookie = cookie_pair(&signed_in, "pooled_session").expect("a session cookie");
        let page = self.send(Request::get("/").header(header::COOKIE, &cookie).body(Body::empty()).expect("request"));
        let csrf_token = hidden_field(&page.text(), "csrf_token").expect("the sign-out form's token");
        Ok(Session { cookie, csrf_token })
    }
}

/// A new API token for `username`, made in the store as `pooled token create` does.
pub fn token_for(site: &Site, username: &str) -> String {
    let mut store = site.store();
    let user = store.user_by_name(username).expect("read").expect("the fixture's account");
    let secret = pooled_app::password::secret();
    let token =
        NewApiToken { user_id: user.id, name: "test".into(), token_hash: sha256_hex(&secret), created_at: now_utc() };
    store.create_api_token(&token, "test").expect("token");
    secret
}

/// Every fixture account's password.
pub const PASSWORD: &str = "correct horse battery staple";

/// The fixture's accounts: one per role, as `pooled demo` makes them.
pub fn accounts() -> Vec<NewUser> {
    use std::sync::OnceLock;
    // One hash for them all: Argon2id is slow on purpose, and the tests make many sites.
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| pooled_app::password::hash(PASSWORD).expect("hash"));
    let user = |username: &str, role, partner: Option<&str>, cost_centres: &[&str]| NewUser {
        username: username.into(),
        display_name: format!("{username} (test)"),
        role,
        partner: partner.map(str::to_string),
        cost_centres: cost_centres.iter().map(|c| c.to_string()).collect(),
        agreements: Vec::new(),
        password_hash: hash.clone(),
        disabled: false,
    };
    vec![
        user("admin", Role::Administrator, None, &[]),
        user("manager", Role::PoolManager, None, &[]),
        user("occ-finance", Role::PartnerFinance, Some("OCC"), &[]),
        user("occg-finance", Role::PartnerFinance, Some("OCCG"), &[]),
        user("budget-holder", Role::BudgetHolder, None, &["OCC-OP01-001"]),
        user("board", Role::BoardMember, None, &[]),
        user("viewer", Role::Viewer, None, &[]),
    ]
}

/// `name=value` of the cookie `name` the response sets, ready for a `Cookie` header.
pub fn cookie_pair(page: &Page, name: &str) -> Option<String> {
    page.headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

/// The value of the first hidden input `name` of a page.
pub fn hidden_field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\" value=\""))?;
    let value = &html[at + name.len() + 15..];
    Some(value[..value.find('"')?].to_string())
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Db::Postgres { url, schema } = &self.db {
            // Best effort: a failure here must not hide the test's own.
            if let Ok(mut client) = ::postgres::Client::connect(url, ::postgres::NoTls) {
                let _ = client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
            }
        }
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-web-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The agreement, its figures (as [`load_figures`] makes them, seed 0) and an account
/// for each role.
pub fn populate(store: &mut dyn Store, text: &str, dir: &std::path::Path) {
    load_figures(store, text, dir, 0);
    for account in accounts() {
        store.create_user(&account, "test").expect("account");
    }
}

/// The agreement, a plan of three cost centres per partner per line, M1 and M2 of ledger
/// for each partner with cost centres (the first partner's ledger laid out as unit4
/// writes it, the second's as oracle does), generated from `seed`, and one forecast
/// entered at M2.
pub fn load_figures(store: &mut dyn Store, text: &str, dir: &std::path::Path, seed: u64) {
    pooled_app::load_agreement(store, "agreement.toml", text, &Default::default(), "test", |_| Ok(()))
        .expect("load agreement");
    let (agreement, _) = Agreement::parse(text).expect("valid");
    let year = agreement.financial_year();
    let key = pooled_app::agreement_year(&agreement);
    let plan = gen_plan(&agreement, 3, 1);
    let plan_file = dir.join(format!("{}-plan.csv", agreement.id()));
    write_plan_csv(std::fs::File::create(&plan_file).expect("create"), &plan).expect("write plan");
    pooled_app::load_plan(store, &key, &plan_file, "test").expect("load plan");
    for (partner, preset) in agreement.partners().iter().map(|p| p.id.as_str()).zip(["unit4", "oracle"]) {
        let mapping = Mapping::preset(preset).expect("preset");
        store.save_mapping(agreement.id(), partner, &mapping, "test").expect("mapping");
        let codes: Vec<String> = plan.iter().filter(|c| c.partner == partner).map(|c| c.code.clone()).collect();
        if codes.is_empty() {
            continue; // a partner with no cost centres in this year's plan posts nothing
        }
        for m in 1..=2 {
            let period = Period { year, month: month(m) };
            let postings = Postings::Rows { rows: 300, cost_centres: codes.clone() };
            let mut options = GenOptions::new(mapping.clone(), Span::Period(period), postings);
            options.seed = seed + u64::from(m);
            let file = dir.join(format!("{}-{partner}-{m}.csv", agreement.id()));
            gen_ledger(&options, std::fs::File::create(&file).expect("create")).expect("generate");
            let request = pooled_app::ImportRequest {
                agreement: agreement.id(),
                partner,
                period,
                path: &file,
                mapping: mapping.clone(),
                actor: "test",
            };
            pooled_app::import_ledger(store, &request, &mut |_, _| {}).expect("import");
        }
    }
    let first = &plan[0];
    store
        .set_forecast(&key, month(2), &first.code, first.budget + whole_pounds(150_000), false, "test")
        .expect("forecast");
}

/// The outturn file, as `pooled settle AGREEMENT OUTTURN` reads it, of every line's
/// outturn in `outturn` (the settlement from the ledger's), with what each saving
/// delivered: the file mode's way to the same settlement.
pub fn outturn_file(agreement: &Agreement, outturn: &Outturn, delivered: &[(&str, Money)]) -> String {
    let mut text = String::new();
    for (p, pool) in agreement.pools().iter().enumerate() {
        for (line, amount) in pool.lines.iter().zip(outturn.pool_lines(p)) {
            let amount = amount.to_plain_string();
            text.push_str(&format!(
                "[[line]]\npool = \"{}\"\nline = \"{}\"\noutturn = \"{amount}\"\n",
                pool.id, line.id
            ));
        }
    }
    for (saving, amount) in delivered {
        text.push_str(&format!("[[saving]]\nid = \"{saving}\"\ndelivered = \"{}\"\n", amount.to_plain_string()));
    }
    text
}

/// A response, its body as text.
pub struct Page {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Page {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8")
    }
}

pub async fn get_from(router: &Router, uri: &str) -> Page {
    send(router, Request::get(uri).body(Body::empty()).expect("request")).await
}

pub async fn send(router: &Router, request: Request<Body>) -> Page {
    let response = router.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body").to_vec();
    Page { status, headers, body }
}

pub fn whole_pounds(n: i64) -> Money {
    Money::from_pounds(n).expect("in range")
}

/// As the pages show money.
pub fn pounds(m: Money) -> String {
    let grouped = m.abs().to_report_string();
    if m.is_negative() { format!("(£{grouped})") } else { format!("£{grouped}") }
}

/// The text of each cell (`<th>` or `<td>`, tags stripped, entities as HTML writes them)
/// of the table row containing `marker`.
pub fn row_cells(html: &str, marker: &str) -> Vec<String> {
    row_cells_at(html, html.find(marker).unwrap_or_else(|| panic!("no `{marker}` in the page")))
}

/// The cells of the row around byte `at`.
pub fn row_cells_at(html: &str, at: usize) -> Vec<String> {
    let start = html[..at].rfind("<tr").expect("a row");
    let end = at + html[at..].find("</tr>").expect("row end");
    let row = &html[start..end];
    let mut cells = Vec::new();
    let mut rest = &row[row.find('>').expect("row tag end") + 1..];
    while let Some(open) = rest.find("<td").into_iter().chain(rest.find("<th")).min() {
        let body_start = open + rest[open..].find('>').expect("tag end") + 1;
        let close = body_start + rest[body_start..].find("</t").expect("cell end");
        cells.push(strip_tags(&rest[body_start..close]));
        rest = &rest[close + 3..];
    }
    cells
}

pub fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The part of the page from the table with `id` to its end.
pub fn table_html<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html.find(&format!("id=\"table-{id}\"")).unwrap_or_else(|| panic!("no table {id}"));
    let end = start + html[start..].find("</table>").expect("table end");
    &html[start..end]
}

pub fn csv_rows(body: &[u8]) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    reader.records().map(|r| r.expect("CSV record").iter().map(str::to_string).collect()).collect()
}

pub fn xlsx_cells(site: &Site, body: &[u8], sheet: &str) -> Vec<Vec<String>> {
    let path = site.dir.join(format!("{sheet}.xlsx"));
    std::fs::write(&path, body).expect("write xlsx");
    pooled_files::read_xlsx_cells(&path, sheet).expect("read xlsx")
}

// ---- the tests, once per backend ----

/// Each test takes the site, or what the test file makes of one (`From<Site>`: the API's
/// tests check every answer against the site's OpenAPI document).
/// The agreement is the 2016-17 one unless given first (`agreement = EXPR;`).
macro_rules! on_both_backends {
    (agreement = $agreement:expr; $($test:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $test() {
                super::$test(From::from(super::Site::sqlite(stringify!($test), &$agreement)));
            })*
        }
        mod postgres {
            $(#[test]
            fn $test() {
                if let Some(site) = super::Site::postgres(stringify!($test), &$agreement) {
                    super::$test(From::from(site));
                }
            })*
        }
    };
    ($($test:ident),* $(,)?) => {
        on_both_backends!(agreement = super::AGREEMENT; $($test),*);
    };
}

impl Site {
    /// Uploads a file as a browser posts a multipart form: the session's CSRF token first
    /// (unless `csrf` is false), then `fields`, then the file.
    pub fn upload_as(&self, user: &str, uri: &str, fields: &[(&str, &str)], file: (&str, &[u8]), csrf: bool) -> Page {
        self.send(self.upload_request(user, uri, fields, file, csrf))
    }

    /// The request [`Site::upload_as`] sends, streamed as a browser may (no Content-Length).
    pub fn upload_request(
        &self,
        user: &str,
        uri: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
        csrf: bool,
    ) -> Request<Body> {
        let session = self.session(user);
        let boundary = "----pooledtestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        let mut part = |name: &str, file_name: Option<&str>, value: &[u8]| {
            let disposition = match file_name {
                Some(f) => format!("form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv"),
                None => format!("form-data; name=\"{name}\""),
            };
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n").as_bytes());
            body.extend_from_slice(value);
            body.extend_from_slice(b"\r\n");
        };
        if csrf {
            part("csrf_token", None, session.csrf_token.as_bytes());
        }
        for (name, value) in fields {
            part(name, None, value.as_bytes());
        }
        part("file", Some(file.0), file.1);
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Request::post(uri)
            .header(header::COOKIE, &session.cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .expect("request")
    }

    /// Where the site's server keeps uploads while they are imported.
    pub fn upload_dir(&self) -> PathBuf {
        match &self.db {
            Db::Sqlite(path) => PathBuf::from(format!("{}-uploads", path.display())),
            Db::Postgres { .. } => self.dir.join("uploads"),
        }
    }

    /// Runs SQL on the site's database behind the server's back: to break it on purpose.
    pub fn sql(&self, statement: &str) {
        match &self.db {
            Db::Sqlite(path) => {
                rusqlite::Connection::open(path).expect("open").execute_batch(statement).expect("SQL");
            }
            Db::Postgres { url, schema } => {
                let mut client = ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                client.batch_execute(&format!("SET search_path TO {schema}; {statement}")).expect("SQL");
            }
        }
    }

    /// Follows a 303 as `user`.
    pub fn follow_as(&self, user: &str, page: &Page) -> Page {
        assert_eq!(page.status, StatusCode::SEE_OTHER, "a redirect: {}", page.text());
        let location = page.headers[header::LOCATION].to_str().expect("ASCII").to_string();
        self.get_as(user, &location)
    }
}

/// A generated extract of OCC's M3, as its ERP (unit4) writes it.
pub fn occ_m3_extract(site: &Site) -> Vec<u8> {
    let plan = site.store().plan(&oxon()).expect("plan");
    let codes: Vec<String> = plan.iter().filter(|c| c.partner == "OCC").map(|c| c.code.clone()).collect();
    let period = Period { year: year(), month: month(3) };
    let postings = Postings::Rows { rows: 200, cost_centres: codes };
    let mut options = GenOptions::new(Mapping::preset("unit4").expect("preset"), Span::Period(period), postings);
    options.seed = 3;
    let mut out = Vec::new();
    gen_ledger(&options, &mut out).expect("generate");
    out
}
