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

/// Starts `pooled ARGS` in `dir` and reads standard output up to the address it serves.
fn start(dir: &PathBuf, args: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(args)
        .current_dir(dir)
        .env_remove("POOLED_DATABASE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pooled starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let address = loop {
        let line = lines.next().expect("pooled printed its address").expect("a line");
        if let Some(at) = line.find("http://") {
            break line[at + "http://".len()..].trim_end_matches('/').to_string();
        }
    };
    // Keep reading, as a terminal would, until pooled exits.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address)
}

/// GET over a plain TCP connection: the status line and the body.
fn get(address: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(address).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    (head.lines().next().unwrap_or("").to_string(), body.to_string())
}

/// Sends SIGTERM and expects a clean exit, with the request log on standard error.
fn stop(mut child: Child) -> String {
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
    let (child, address) = start(&dir, &["demo", "--address", "127.0.0.1:0"]);
    let (status, body) = get(&address, "/health");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("\"financial_years\":2"), "both example agreements: {body}");
    let (status, body) = get(&address, "/?year=2016-17");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("M6 (September 2016)"), "six months of ledger");
    let (status, body) = get(&address, "/pools/2022-23/HESC");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("entered"), "some forecasts entered by budget holders");
    let log = stop(child);
    assert!(log.contains("method=GET path=\"/health\" status=200 duration_ms="), "{log}");
    assert!(dir.join("demo.sqlite").exists(), "demo.sqlite in the directory it ran in");
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
    let (child, address) = start(&dir, &["serve", "--address", "127.0.0.1:0", "--database", &real]);
    let (status, body) = get(&address, "/risk-share/2016-17");
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert!(body.contains("50.24%"));
    stop(child);
    // A database with someone's changes in it is never replaced by the demo.
    let refused = Command::new(env!("CARGO_BIN_EXE_pooled"))
        .args(["demo", "--address", "127.0.0.1:0", "--database", &real])
        .output()
        .expect("pooled runs");
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("will not be replaced"));
    let _ = std::fs::remove_dir_all(&dir);
}
