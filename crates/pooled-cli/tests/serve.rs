//! `pooled demo` and `pooled serve` as a user runs them: the demo builds its database from
//! any directory and serves it; both print the address, answer over HTTP, and stop cleanly
//! on SIGTERM. The pages themselves are tested in crates/pooled-web.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pooled-serve-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

/// A server started by a test, killed if the test fails before stopping it.
struct Server(Option<Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `pooled ARGS` in `dir` and reads standard output up to the address it serves
/// and on to "Press Ctrl-C"; the address and what it printed.
fn start(dir: &PathBuf, args: &[&str]) -> (Server, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(args)
        .current_dir(dir)
        .env_remove("POOLED_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pooled starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut printed = String::new();
    let mut address = None;
    while !printed.contains("Press Ctrl-C") {
        let line = lines.next().expect("pooled printed its address").expect("a line");
        if let Some(at) = line.find("http://") {
            address = Some(line[at + "http://".len()..].trim_end_matches('/').to_string());
        }
        printed.push_str(&line);
        printed.push('\n');
    }
    // Keep reading, as a terminal would, until pooled exits.
    std::thread::spawn(move || lines.for_each(drop));
    (Server(Some(child)), address.expect("an address"), printed)
}

/// A request over a plain TCP connection: the status line, the head and the body.
fn request(address: &str, head: &str, body: &str) -> (String, String, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(stream, "{head}Host: {address}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())
        .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().next().unwrap_or("").to_string(), head.to_string(), body.to_string())
}

/// GET with a session cookie (or none): the status line and the body.
fn get(address: &str, path: &str, cookie: &str) -> (String, String) {
    let (status, _, body) = request(address, &format!("GET {path} HTTP/1.1\r\nCookie: {cookie}\r\n"), "");
    (status, body)
}

/// Signs in through the form as a browser does; the session cookie.
fn sign_in(address: &str, username: &str, password: &str) -> String {
    let (_, head, form) = request(address, "GET /login HTTP/1.1\r\n", "");
    let login_cookie = set_cookie(&head, "pooled_login");
    let marker = "name=\"csrf_token\" value=\"";
    let token_at = form.find(marker).expect("a token") + marker.len();
    let token = &form[token_at..token_at + 64];
    let body = format!("username={username}&password={password}&csrf_token={token}&next=%2F");
    let post = format!(
        "POST /login HTTP/1.1\r\nCookie: {login_cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    );
    let (status, head, _) = request(address, &post, &body);
    assert_eq!(status, "HTTP/1.1 303 See Other", "{username} signs in");
    set_cookie(&head, "pooled_session")
}

fn set_cookie(head: &str, name: &str) -> String {
    let line = head.lines().find(|l| l.to_ascii_lowercase().starts_with(&format!("set-cookie: {name}=")));
    line.expect("the cookie is set")["set-cookie: ".len()..].split(';').next().unwrap_or("").to_string()
}

/// Sends SIGTERM and expects a clean exit, with the request log on standard error.
fn stop(mut server: Server) -> String {
    let mut child = server.0.take().expect("running");
    let status = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status().expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("pooled exits");
    assert!(exit.success(), "pooled stopped with {exit}");
    let mut stderr = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut stderr).expect("stderr");
    stderr
}

#[test]
fn demo_builds_its_database_and_serves_it() {
    let dir = scratch("demo");
    let (child, address, printed) = start(&dir, &["demo", "--address", "127.0.0.1:0"]);
    let (status, body) = get(&address, "/health", "");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(
        body.contains("\"financial_years\":3"),
        "the example agreements' years, 2016-17, 2021-22 and 2022-23: {body}"
    );
    // Every page needs a session; the demo prints an account for each role.
    assert_eq!(get(&address, "/agreements/oxon-s75/2016-17", "").0, "HTTP/1.1 303 See Other");
    let users = ["admin", "manager", "occ-finance", "occg-finance", "bc-finance", "icb-finance", "budget-holder"];
    for user in users.into_iter().chain(["board", "viewer"]) {
        assert!(printed.contains(&format!("  {user} ")), "{user} in {printed}");
    }
    let password = printed.split("password ").nth(1).and_then(|s| s.split(':').next()).expect("the password");
    let cookie = sign_in(&address, "board", password);
    let (status, body) = get(&address, "/agreements/oxon-s75/2016-17", &cookie);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("M6 (September 2016)"), "six months of ledger");
    // The board's two example meetings, one quorate and one not.
    let (status, body) = get(&address, "/agreements/oxon-s75/2016-17/board", &cookie);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("2016-09-15</a> — quorate") && body.contains("2017-01-05</a> — not quorate"), "{body}");
    let (status, body) = get(&address, "/agreements/oxon-s75-2022/2022-23/pools/HESC", &cookie);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("entered"), "some forecasts entered by budget holders");
    // The Better Care Fund's metrics: plans for the year, actuals for the quarters the
    // ledger's months cover, some periods on track, some not, some without data.
    let (status, body) = get(&address, "/agreements/oxon-bcf/2021-22/metrics", &cookie);
    assert_eq!(status, "HTTP/1.1 200 OK");
    for shown in ["on track", "not on track", "not available"] {
        assert!(body.contains(&format!("-status\">{shown}</strong>")), "a status tag `{shown}`: {body}");
    }
    // The ICB's finance officer opens on the two agreements of 2022-23 it acts in, and
    // sees its two places side by side.
    let icb = sign_in(&address, "icb-finance", password);
    let (status, body) = get(&address, "/", &icb);
    assert_eq!(status, "HTTP/1.1 200 OK");
    for agreement in ["bucks-bcf-2022", "oxon-s75-2022"] {
        assert!(body.contains(&format!("/agreements/{agreement}/2022-23")), "{agreement} on the first screen: {body}");
    }
    assert!(!body.contains("/agreements/oxon-s75/2016-17"), "only the agreements it acts in");
    let (status, body) = get(&address, "/partners/BOB-ICB/2022-23", &icb);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("(bucks-bcf-2022)") && body.contains("(oxon-s75-2022)"), "both places: {body}");
    assert!(dir.join("demo.sqlite-uploads").is_dir(), "uploads wait beside the database");
    let log = stop(child);
    // One line per request: its status, how long it took, and its method, path and id.
    let health = log.lines().find(|l| l.contains("path=/health")).unwrap_or_else(|| panic!("{log}"));
    for field in ["INFO", "answered status=200 latency=", "method=GET", "request_id=\""] {
        assert!(health.contains(field), "{field} in {health}");
    }
    assert!(dir.join("demo.sqlite").exists(), "demo.sqlite in the directory it ran in");
    assert!(!dir.join("demo.sqlite-uploads").exists(), "the empty upload folder goes when the server stops");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn serve_answers_on_the_database_given_and_demo_keeps_off_real_data() {
    let dir = scratch("serve");
    let real = dir.join("real.sqlite").display().to_string();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/oxfordshire-2016-17.toml");
    let loaded = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(["load", example, "--database", &real, "--as", "finance"])
        .output()
        .expect("pooled runs");
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    // The first account is made on the server, its password read from standard input.
    let mut add = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(["user", "add", "ann", "--role", "viewer", "--name", "Ann Smith", "--database", &real])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("pooled runs");
    add.stdin.take().expect("stdin").write_all(b"a long enough password\n").expect("password");
    let added = add.wait_with_output().expect("pooled exits");
    assert!(added.status.success());
    assert_eq!(String::from_utf8_lossy(&added.stdout), "added ann (viewer)\n");
    let (child, address, _) = start(&dir, &["serve", "--address", "127.0.0.1:0", "--database", &real]);
    let cookie = sign_in(&address, "ann", "a+long+enough+password");
    let (status, body) = get(&address, "/agreements/oxon-s75/2016-17/risk-share", &cookie);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("50.24%"));
    assert!(body.contains("Ann Smith (Viewer)"), "the header says who is signed in");
    stop(child);
    // A database with someone's changes in it is never replaced by the demo.
    let refused = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(["demo", "--address", "127.0.0.1:0", "--database", &real])
        .output()
        .expect("pooled runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("will not be replaced"));
    // Nor is the demo, with its printed password, served beyond this machine.
    let exposed = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(["demo", "--address", "0.0.0.0:0", "--database", &dir.join("demo.sqlite").display().to_string()])
        .output()
        .expect("pooled runs");
    assert_eq!(exposed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&exposed.stderr).contains("loopback"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs `pooled ARGS` with `input` on standard input; its output.
fn pooled(args: &[&str], input: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(args)
        .env_remove("POOLED_DATABASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pooled runs");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("input");
    child.wait_with_output().expect("pooled exits")
}

#[test]
fn a_payment_paid_before_it_was_raised_is_refused_by_the_command_line_and_the_web_alike() {
    let dir = scratch("payment");
    let db = dir.join("real.sqlite").display().to_string();
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/oxfordshire-2016-17.toml");
    assert!(pooled(&["load", example, "--database", &db], "").status.success());
    let added =
        pooled(&["user", "add", "pat", "--role", "pool-manager", "--database", &db], "a long enough password\n");
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let token = pooled(&["token", "create", "pat", "--name", "script", "--database", &db], "");
    let token = String::from_utf8(token.stdout).expect("text").trim().to_string();
    // The rule says its refusal once; both edges must show exactly that.
    let day = |text: &str| pooled_core::calendar::Date::parse_iso(text).expect("a date");
    let recording = pooled_core::payments::Recording {
        raised_on: Some(day("2016-03-10")),
        paid_on: Some(day("2016-03-01")),
        amount: None,
    };
    let refusal = pooled_core::payments::InstalmentAccount::default()
        .record(pooled_core::money::Money::from_pence(100), recording)
        .expect_err("paid before raised");

    let recording =
        "record-payment --year 2016-17 --pool OP --from OCCG --month M1 --raised 2016-03-10 --paid 2016-03-01";
    let args: Vec<&str> = recording.split(' ').chain(["--database", &db]).collect();
    let cli = pooled(&args, "");
    assert_eq!(cli.status.code(), Some(1), "the command line refuses it");
    assert_eq!(String::from_utf8_lossy(&cli.stderr), format!("{refusal}\n"));

    let (child, address, _) = start(&dir, &["serve", "--address", "127.0.0.1:0", "--database", &db]);
    let body = r#"{"pool":"OP","from":"OCCG","month":"M1","raised_on":"2016-03-10","paid_on":"2016-03-01"}"#;
    let head = format!(
        "POST /api/agreements/oxon-s75/2016-17/payments HTTP/1.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    );
    let (status, _, answer) = request(&address, &head, body);
    assert_eq!(status, "HTTP/1.1 422 Unprocessable Entity", "the web refuses it: {answer}");
    let answer: serde_json::Value = serde_json::from_str(&answer).expect("a JSON error");
    assert_eq!(answer["details"], serde_json::json!([refusal]));
    let (status, _, answer) = request(
        &address,
        &format!("GET /api/agreements/oxon-s75/2016-17/payments HTTP/1.1\r\nAuthorization: Bearer {token}\r\n"),
        "",
    );
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(!answer.contains("2016-03-10"), "nothing was recorded: {answer}");
    stop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_account_acts_in_the_agreements_it_is_given_or_in_every_one() {
    let dir = scratch("user-agreements");
    let db = dir.join("accounts.sqlite").display().to_string();
    let add = |args: &[&str]| {
        let args = [&["user", "add"][..], args, &["--database", &db]].concat();
        let added = pooled(&args, "a long enough password\n");
        assert!(added.status.success(), "{args:?}: {}", String::from_utf8_lossy(&added.stderr));
    };
    add(&[
        "icb",
        "--role",
        "partner-finance",
        "--partner",
        "OCCG",
        "--agreement",
        "oxon-s75",
        "--agreement",
        "bucks-bcf",
    ]);
    add(&["ann", "--role", "viewer"]);
    let listed = pooled(&["user", "list", "--database", &db], "");
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "icb partner-finance \"icb\" partner=OCCG agreements=oxon-s75,bucks-bcf\nann viewer \"ann\"\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// An amount of the report's JSON in pence.
fn pence(value: &serde_json::Value) -> i64 {
    value.as_str().unwrap_or_else(|| panic!("{value} is not an amount")).replace('.', "").parse().expect("pence")
}

/// The demo holds two agreements for 2022-23 (Oxfordshire's and Buckinghamshire's, whose
/// NHS partners the same ICB succeeds, with an account for the ICB's finance officer in
/// both) beside Oxfordshire's 2016-17, and each one's months
/// read as real ones: every pool's actual within 3% of its budget, to date and in M6
/// alone, and its forecast within 5%.
#[test]
fn the_demo_holds_two_agreements_for_a_year_each_with_credible_months() {
    let dir = scratch("demo-agreements");
    let (child, _, printed) = start(&dir, &["demo", "--address", "127.0.0.1:0"]);
    stop(child);
    // The ICB's finance officer acts in both places' agreements of 2022-23.
    let icb = printed.lines().find(|l| l.contains(" icb-finance ")).unwrap_or_else(|| panic!("{printed}"));
    assert!(icb.ends_with("(partner finance, BOB-ICB; in oxon-s75-2022 and bucks-bcf-2022)"), "{icb}");
    let database = dir.join("demo.sqlite").display().to_string();
    let json = |args: &[&str]| -> serde_json::Value {
        let out = pooled(&[&["--database", &database][..], args].concat(), "");
        assert!(out.status.success(), "pooled {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).expect("JSON")
    };
    let listed = json(&["agreements", "--json"]);
    let mut agreements: Vec<(String, String)> = Vec::new();
    for agreement in listed["agreements"].as_array().expect("agreements") {
        for year in agreement["years"].as_array().expect("years") {
            agreements.push((agreement["id"].as_str().expect("id").into(), year.as_str().expect("year").into()));
        }
    }
    let in_2022: Vec<&str> = agreements.iter().filter(|(_, y)| y == "2022-23").map(|(a, _)| a.as_str()).collect();
    assert_eq!(in_2022, ["bucks-bcf-2022", "oxon-s75-2022"], "{agreements:?}");
    assert!(agreements.contains(&("oxon-s75".into(), "2016-17".into())), "{agreements:?}");
    for (agreement, year) in &agreements {
        let report = |month: &str| {
            json(&["report", "--year", year, "--agreement", agreement, "--month", month, "--format", "json"])
        };
        let (m5, m6) = (report("M5"), report("M6"));
        for (pool, before) in m6["pools"].as_array().expect("pools").iter().zip(m5["pools"].as_array().expect("pools"))
        {
            let (now, then) = (&pool["rows"][0], &before["rows"][0]);
            let context = format!("{agreement} {year} {}", pool["id"]);
            let within = |actual: i64, budget: i64, percent: i64, what: &str| {
                assert!(
                    (actual - budget).abs() * 100 <= budget * percent,
                    "{context}: {what} {actual} for a budget of {budget}"
                );
            };
            within(pence(&now["actual_to_date"]), pence(&now["budget_to_date"]), 3, "to date");
            let month = |row: &serde_json::Value, column: &str| pence(&row[column]);
            within(
                month(now, "actual_to_date") - month(then, "actual_to_date"),
                month(now, "budget_to_date") - month(then, "budget_to_date"),
                3,
                "in M6",
            );
            within(pence(&now["forecast_outturn"]), pence(&now["annual_budget"]), 5, "forecast");
        }
    }
    // Buckinghamshire's Better Care Fund is seasonal (winter peaks, the Disabled Facilities
    // Grant paid mostly in March): in M1, with nothing entered and the ledger on profile, the
    // run-rate follows the budget profile and forecasts each pool within 3% of its budget,
    // where a straight line over the months elapsed forecast a 9.6% underspend.
    let m1 =
        json(&["report", "--year", "2022-23", "--agreement", "bucks-bcf-2022", "--month", "M1", "--format", "json"]);
    for pool in m1["pools"].as_array().expect("pools") {
        let total = &pool["rows"][0];
        let (forecast, budget) = (pence(&total["forecast_outturn"]), pence(&total["annual_budget"]));
        assert_eq!(total["forecast_basis"], "run-rate", "{}: nothing entered in M1", pool["id"]);
        assert!((forecast - budget).abs() * 100 <= budget * 3, "{}: M1 forecast {forecast} for {budget}", pool["id"]);
    }
    let out = pooled(
        &["--database", &database, "report", "--year", "2022-23", "--agreement", "bucks-bcf-2022", "--month", "M1"],
        "",
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("run-rate on the budget profile"), "{text}");
    // Buckinghamshire's instalments: the CCG's to June, the ICB's from July, M1 to M5 paid
    // and M6 half paid.
    let payments = json(&["payments", "--year", "2022-23", "--agreement", "bucks-bcf-2022", "--json"]);
    let payers: Vec<(&str, &str, i64)> = (payments["payments"].as_array().expect("payments").iter())
        .map(|p| (p["month"].as_str().expect("month"), p["from"].as_str().expect("from"), pence(&p["outstanding"])))
        .collect();
    let instalment = pence(&payments["payments"][0]["amount"]);
    assert_eq!(
        &payers[2..6],
        [("M3", "BCCG", 0), ("M4", "BOB-ICB", 0), ("M5", "BOB-ICB", 0), ("M6", "BOB-ICB", instalment - instalment / 2)]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
