//! Who gets in and what they may do: every route refuses a request without a session,
//! forms without the session's CSRF token are refused, sessions end when they should,
//! sign-in is throttled, cookies and headers are set safely, and names holding HTML and
//! SQL are shown escaped and stored intact. On SQLite and PostgreSQL.

#[macro_use]
mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use common::*;
use pooled_store::{NewSession, NewUser, Role, sha256_hex, utc_from_now};
use pooled_web::{Access, Routes};

on_both_backends!(
    every_route_refuses_a_request_without_a_session,
    forms_without_the_sessions_csrf_token_are_refused,
    signing_out_ends_the_session_in_the_store,
    expired_sessions_and_disabled_accounts_are_refused,
    sign_in_is_throttled_per_username,
    parallel_wrong_passwords_get_at_most_the_allowance_of_checks,
    cookies_and_headers_are_set_safely,
    names_with_html_and_sql_are_shown_escaped_and_stored_intact,
);

/// A path with its `{parameters}` filled in with values that exist in the fixture.
fn concrete(path: &str) -> String {
    path.replace("{agreement}", "oxon-s75")
        .replace("{partner}", "OCCG")
        .replace("{year}", "2016-17")
        .replace("{pool}", "OP")
        .replace("{code}", "OCC-OP01-001")
        .replace("{id}", "1")
        .replace("{name}", "x")
        .replace("{date}", "2016-09-15")
        .replace("{return}", "Q1")
}

/// Walks the list the router is built from, so a route added later is covered without
/// anyone remembering to list it here.
fn every_route_refuses_a_request_without_a_session(site: Site) {
    let routes = Routes::all();
    let open: Vec<(String, &str)> =
        routes.iter().filter(|r| r.access == Access::Open).map(|r| (r.method.to_string(), r.path.as_str())).collect();
    let expected = [("GET", "/health"), ("GET", "/assets/{name}"), ("GET", "/login"), ("POST", "/login")];
    assert_eq!(open, expected.map(|(m, p)| (m.to_string(), p)), "only these are open to all");
    let signed_in: Vec<_> = routes.iter().filter(|r| r.access == Access::SignedIn).collect();
    assert!(signed_in.len() >= 40, "pages and API: {}", signed_in.len());
    for route in signed_in {
        let uri = concrete(&route.path);
        let request = Request::builder().method(route.method.clone()).uri(&uri);
        let page = if route.method == Method::GET {
            site.send(request.body(Body::empty()).expect("request"))
        } else {
            let form = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            site.send(form.body(Body::from("csrf_token=x")).expect("request"))
        };
        let what = format!("{} {uri}", route.method);
        match (route.method == Method::GET, uri.starts_with("/api/")) {
            // A page sends the browser to sign in, and back after.
            (true, false) => {
                assert_eq!(page.status, StatusCode::SEE_OTHER, "{what}");
                let location = page.headers[header::LOCATION].to_str().expect("ASCII");
                assert!(location.starts_with("/login?next="), "{what} -> {location}");
            }
            _ => assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{what}"),
        }
    }
    // A cookie that is no session is no better than none.
    let forged =
        Request::get("/").header(header::COOKIE, "pooled_session=forged").body(Body::empty()).expect("request");
    assert_eq!(site.send(forged).status, StatusCode::SEE_OTHER);
    // Open to all: sign-in, health, assets.
    for uri in ["/login", "/health", "/assets/app.css"] {
        assert_eq!(site.get_anonymous(uri).status, StatusCode::OK, "{uri}");
    }
}

fn forms_without_the_sessions_csrf_token_are_refused(site: Site) {
    let manager = site.session("manager");
    let viewer = site.session("viewer");
    let fields = [("month", "M2"), ("cost_centre", "OCC-OP01-001"), ("outturn", "1.00")];
    for (what, token) in [
        ("no token", None),
        ("a wrong token", Some("0".repeat(64))),
        ("another session's", Some(viewer.csrf_token.clone())),
    ] {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        if let Some(t) = &token {
            all.insert(0, ("csrf_token", t));
        }
        let page = site.post_raw(Some(&manager.cookie), "/agreements/oxon-s75/2016-17/forecasts", &all);
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{what}");
        assert!(page.text().contains("This form has expired or did not come from this service"), "{what}");
    }
    // A script sends the token as a header instead.
    let request = Request::post("/logout")
        .header(header::COOKIE, &manager.cookie)
        .header("x-csrf-token", &manager.csrf_token)
        .body(Body::empty())
        .expect("request");
    assert_eq!(site.send(request).status, StatusCode::SEE_OTHER);
    // The sign-in form has its own token, tied to its cookie.
    let login = site.get_anonymous("/login");
    let token = hidden_field(&login.text(), "csrf_token").expect("token");
    let signed_in =
        site.post_raw(None, "/login", &[("username", "viewer"), ("password", PASSWORD), ("csrf_token", &token)]);
    assert_eq!(signed_in.status, StatusCode::FORBIDDEN, "a sign-in post without the form's cookie");
    let empty = [("username", "viewer"), ("password", PASSWORD), ("csrf_token", "")];
    let signed_in = site.post_raw(Some("pooled_login="), "/login", &empty);
    assert_eq!(signed_in.status, StatusCode::FORBIDDEN, "an empty token with an empty cookie");
}

fn signing_out_ends_the_session_in_the_store(site: Site) {
    let session = site.session("board");
    assert_eq!(site.get_as("board", "/").status, StatusCode::OK);
    let out = site.post_as("board", "/logout", &[]);
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(cookie_pair(&out, "pooled_session").is_some_and(|c| c == "pooled_session="), "the cookie is cleared");
    // The old cookie, replayed, is refused: the session is gone from the store.
    let replay = Request::get("/").header(header::COOKIE, &session.cookie).body(Body::empty()).expect("request");
    assert_eq!(site.send(replay).status, StatusCode::SEE_OTHER);
    let log = site.store().audit_log().expect("log");
    assert!(log.iter().any(|e| e.actor == "board" && e.action == "logout"));
}

fn expired_sessions_and_disabled_accounts_are_refused(site: Site) {
    let mut store = site.store();
    let viewer = store.user_by_name("viewer").expect("user").expect("viewer");
    let secret = "an-expired-session-secret";
    store
        .create_session(&NewSession {
            token_hash: sha256_hex(secret),
            user_id: viewer.id,
            csrf_token: "t".into(),
            created_at: utc_from_now(-13 * 3600),
            expires_at: utc_from_now(-3600),
        })
        .expect("session");
    let expired = Request::get("/").header(header::COOKIE, format!("pooled_session={secret}")).body(Body::empty());
    assert_eq!(site.send(expired.expect("request")).status, StatusCode::SEE_OTHER);
    // A disabled account's live session stops working at once.
    assert_eq!(site.get_as("viewer", "/").status, StatusCode::OK);
    store.set_user_disabled(viewer.id, true, "admin").expect("disable");
    assert_eq!(site.get_as("viewer", "/").status, StatusCode::SEE_OTHER);
    assert!(site.sign_in("viewer", PASSWORD).is_err(), "nor can it sign in");
}

fn sign_in_is_throttled_per_username(site: Site) {
    for attempt in 1..=5 {
        let refused = site.sign_in("occ-finance", "not the password").err().expect("refused");
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
        assert!(refused.text().contains("The username or password is not right."));
    }
    // Now even the right password is refused for a while, with a reason.
    let throttled = site.sign_in("occ-finance", PASSWORD).err().expect("throttled");
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.text().contains("Wait 15 minutes"));
    // Another account is not affected.
    assert!(site.sign_in("occg-finance", PASSWORD).is_ok());
    // An unknown username gets the same answer as a wrong password.
    let unknown = site.sign_in("nobody", PASSWORD).err().expect("refused");
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(unknown.text().contains("The username or password is not right."));
}

/// Twenty wrong passwords for one user at once: each attempt is counted as it is let
/// through, so only the throttle's allowance reach the password check (401); the rest
/// are refused unchecked (429).
fn parallel_wrong_passwords_get_at_most_the_allowance_of_checks(site: Site) {
    let login = site.get_anonymous("/login");
    let login_cookie = cookie_pair(&login, "pooled_login").expect("cookie");
    let token = hidden_field(&login.text(), "csrf_token").expect("token");
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let password = format!("guess number {i}");
            let fields = [("username", "occ-finance"), ("password", &password), ("csrf_token", &token)];
            let request = Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, &login_cookie)
                .body(Body::from(serde_urlencoded::to_string(fields).expect("form")))
                .expect("request");
            let router = site.router.clone();
            site.runtime.spawn(async move { send(&router, request).await.status })
        })
        .collect();
    let statuses: Vec<StatusCode> =
        guesses.into_iter().map(|g| site.runtime.block_on(g).expect("a response")).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((checked, refused), (5, 15), "{statuses:?}");
    assert_eq!(site.sign_in("occ-finance", PASSWORD).err().expect("throttled").status, StatusCode::TOO_MANY_REQUESTS);
}

fn cookies_and_headers_are_set_safely(site: Site) {
    let login = site.get_anonymous("/login");
    let form = hidden_field(&login.text(), "csrf_token").expect("token");
    let login_cookie = cookie_pair(&login, "pooled_login").expect("cookie");
    let fields =
        [("username", "manager"), ("password", PASSWORD), ("csrf_token", form.as_str()), ("next", "//evil.example/")];
    let signed_in = site.post_raw(Some(&login_cookie), "/login", &fields);
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers[header::LOCATION], "/", "never sent to another site after signing in");
    let set = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("ASCII").to_string())
        .find(|v| v.starts_with("pooled_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=43200"] {
        assert!(set.contains(flag), "{flag} in {set}");
    }
    let secret = set["pooled_session=".len()..set.find(';').expect("attributes")].to_string();
    assert_eq!(secret.len(), 64, "256 random bits");
    let stored = site.store().session(&sha256_hex(&secret)).expect("lookup");
    assert!(stored.is_some(), "the store keeps the secret's hash");
    assert!(site.store().session(&secret).expect("lookup").is_none(), "and not the secret");
    let page = site.get("/");
    assert!(page.headers[header::CONTENT_SECURITY_POLICY].to_str().expect("ASCII").contains("frame-ancestors 'none'"));
    assert_eq!(page.headers[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(page.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "figures are not kept by browsers or proxies");
}

fn names_with_html_and_sql_are_shown_escaped_and_stored_intact(site: Site) {
    let display_name = "<b>Bobby</b>'); DROP TABLE app_user;--";
    let username = "o'brien\"<x>";
    let mut store = site.store();
    let hash = store.user_by_name("viewer").expect("user").expect("viewer").password_hash;
    let user = NewUser {
        username: username.into(),
        display_name: display_name.into(),
        role: Role::Viewer,
        partner: None,
        cost_centres: Vec::new(),
        agreements: Vec::new(),
        password_hash: hash,
        disabled: false,
    };
    store.create_user(&user, "admin").expect("create");
    let html = site.get_as(username, "/").text();
    assert!(!html.contains("<b>Bobby</b>"), "a name is never markup");
    assert!(html.contains("&lt;b&gt;Bobby&lt;/b&gt;'); DROP TABLE app_user;--"), "shown as typed");
    let stored = store.user_by_name(username).expect("lookup").expect("the user");
    assert_eq!((stored.username.as_str(), stored.display_name.as_str()), (username, display_name));
    assert!(store.users().expect("users").len() >= 8, "the table is still there");
    // The wrong-password page shows the typed username escaped, too.
    let refused = site.sign_in("<script>alert(1)</script>", "wrong password").err().expect("refused");
    assert!(!refused.text().contains("<script>alert(1)"));
    assert!(refused.text().contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\""));
}
