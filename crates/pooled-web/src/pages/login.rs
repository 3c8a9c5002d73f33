//! `/login` and `/logout`. Signing in is `pooled_app::accounts`' (the throttle, the
//! password, the session); this page runs its slow password check on the server's
//! bounded checking threads and puts the session's secret in a cookie. The sign-in form
//! has its own CSRF token (there is no session yet to hold one): a random value in both
//! a cookie and the form, which another site cannot read to copy.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_app::accounts::{self, MAX_FAILURES, SESSION_SECONDS, SignIn, THROTTLE_SECONDS};
use pooled_app::password;
use pooled_store::sha256_hex;
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie, same, set_cookie};
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, error_summary};

const LOGIN_COOKIE: &str = "pooled_login";

#[derive(Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    next: String,
}

/// `GET /login`; on a database without accounts, it says how to make the first.
pub async fn page(State(web): State<Arc<Web>>, Query(next): Query<Next>) -> Response {
    match web.stores.run(|store| Ok(store.users()?.is_empty())).await {
        Ok(true) => {
            let body = html! {
                h1 class="govuk-heading-l" { "No accounts yet" }
                p class="govuk-body" { "This database has no accounts. An administrator makes the first on the server:" }
                pre class="govuk-body" { code { "pooled user add admin --role administrator --name \"Your Name\"" } }
                p class="govuk-body" { "It asks for the password, then you can sign in here." }
            };
            layout::page("No accounts yet", &Nav::none(), &[], body).into_response()
        }
        Ok(false) => form_page(&web, StatusCode::OK, "", &next.next, None),
        Err(e) => e.into_response(),
    }
}

/// `POST /login`.
pub async fn sign_in(State(web): State<Arc<Web>>, headers: HeaderMap, Form(form): Form<SignInForm>) -> Response {
    // An empty token matches an empty cookie, which this site never sets: refused too.
    let from_our_form =
        cookie(&headers, LOGIN_COOKIE).is_some_and(|c| !c.is_empty() && same(c.as_bytes(), form.csrf_token.as_bytes()));
    if !from_our_form {
        let why = "This sign-in form had expired. Sign in again.";
        return form_page(&web, StatusCode::FORBIDDEN, &form.username, &form.next, Some(why));
    }
    let SignInForm { username, password, next, .. } = form;
    let outcome = attempt(&web, username.clone(), password).await;
    match outcome {
        Ok(SignIn::SignedIn { secret, .. }) => {
            let mut response = Redirect::to(local_path(&next)).into_response();
            let headers = response.headers_mut();
            headers.append(header::SET_COOKIE, set_cookie(&web, SESSION_COOKIE, &secret, "/", SESSION_SECONDS));
            headers.append(header::SET_COOKIE, set_cookie(&web, LOGIN_COOKIE, "", "/login", 0));
            response
        }
        Ok(SignIn::Wrong) => {
            let why = "The username or password is not right.";
            form_page(&web, StatusCode::UNAUTHORIZED, &username, &next, Some(why))
        }
        Ok(SignIn::Throttled) => {
            let why = format!(
                "There have been {MAX_FAILURES} failed attempts to sign in as {username} in the last {} minutes. \
                 Wait {} minutes, then try again.",
                THROTTLE_SECONDS / 60,
                THROTTLE_SECONDS / 60
            );
            form_page(&web, StatusCode::TOO_MANY_REQUESTS, &username, &next, Some(&why))
        }
        Err(e) => e.into_response(),
    }
}

/// One sign-in attempt: the throttle and the session in the store, the slow password
/// check between them on the bounded checking threads, holding no store.
async fn attempt(web: &Arc<Web>, username: String, password: String) -> Result<SignIn, WebError> {
    let started = web.stores.run(move |store| Ok(accounts::start_sign_in(store, &username)?)).await?;
    let attempt = match started {
        Ok(attempt) => attempt,
        Err(refused) => return Ok(refused),
    };
    // A server that is stopping checks nothing: the attempt stays a failure.
    let Some(checked) = web.check_password(move || attempt.check(&password)).await else { return Ok(SignIn::Wrong) };
    web.stores.run(move |store| Ok(accounts::finish_sign_in(store, checked)?)).await
}

/// Where to go after signing in: a path on this site, never another site's address
/// (`//evil.example`), which would make the sign-in page an open redirect. Only
/// printable ASCII is kept: browsers drop tabs and newlines from an address, so
/// `/<tab>/evil.example` would become `//evil.example`.
fn local_path(next: &str) -> &str {
    let printable = next.bytes().all(|b| (0x21..=0x7e).contains(&b));
    let local = printable && next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local { next } else { "/" }
}

fn form_page(web: &Web, status: StatusCode, username: &str, next: &str, error: Option<&str>) -> Response {
    let token = password::secret();
    let body = form(&token, username, next, error);
    let title = if error.is_some() { "Error: Sign in" } else { "Sign in" };
    let mut response = (status, layout::page(title, &Nav::none(), &[], body)).into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(web, LOGIN_COOKIE, &token, "/login", 3600));
    response
}

fn form(token: &str, username: &str, next: &str, error: Option<&str>) -> Markup {
    html! {
        div class="govuk-grid-row" {
            div class="govuk-grid-column-two-thirds" {
                @if let Some(why) = error {
                    (error_summary(&[("username".to_string(), why.to_string())]))
                }
                h1 class="govuk-heading-l" { "Sign in" }
                p class="govuk-body" { "Sign in with the account your pool manager or administrator gave you." }
                form method="post" action="/login" novalidate {
                    input type="hidden" name="csrf_token" value=(token);
                    input type="hidden" name="next" value=(local_path(next));
                    div class={ "govuk-form-group" @if error.is_some() { " govuk-form-group--error" } } {
                        label class="govuk-label" for="username" { "Username" }
                        input class="govuk-input govuk-!-width-one-half" id="username" name="username" type="text"
                            value=(username) autocomplete="username" spellcheck="false" autocapitalize="none";
                    }
                    div class="govuk-form-group" {
                        label class="govuk-label" for="password" { "Password" }
                        input class="govuk-input govuk-!-width-one-half" id="password" name="password" type="password"
                            autocomplete="current-password";
                    }
                    button type="submit" class="govuk-button" data-module="govuk-button" { "Sign in" }
                }
            }
        }
    }
}

/// `POST /logout`, inside the sign-in layer (so its CSRF token is checked): ends the
/// session in the store, not only in the browser.
pub async fn sign_out(State(web): State<Arc<Web>>, headers: HeaderMap) -> Result<Response, WebError> {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        let hash = sha256_hex(&secret);
        web.stores.run(move |store| Ok(store.delete_session(&hash)?)).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().append(header::SET_COOKIE, set_cookie(&web, SESSION_COOKIE, "", "/", 0));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for (next, expected) in [
            ("/agreements/oxon-s75/2016-17/pools/OP", "/agreements/oxon-s75/2016-17/pools/OP"),
            ("/agreements/oxon-s75/2016-17?month=M6", "/agreements/oxon-s75/2016-17?month=M6"),
            ("", "/"),
            ("//evil.example/", "/"),
            ("/\\evil.example", "/"),
            ("https://evil.example/", "/"),
            ("javascript:alert(1)", "/"),
            ("/\t/evil.example", "/"),
            ("/\n/evil.example", "/"),
            ("/agreements/a b", "/"),
        ] {
            assert_eq!(local_path(next), expected, "{next}");
        }
    }
}
