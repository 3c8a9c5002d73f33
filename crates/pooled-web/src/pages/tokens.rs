//! `/account/tokens`: the signed-in person's API tokens for scripts. They can make one
//! (its secret is shown once, on the page that answers the form, and only its SHA-256
//! is stored) and revoke their own. Only from a signed-in browser: a script holding a
//! token cannot make more, so a stolen token ends when it is revoked.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use pooled_store::{ApiToken, NewApiToken, now_utc, sha256_hex};
use serde::Deserialize;

use super::{QueryPairs, get};
use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, error_summary};
use pooled_app::password;

/// The longest name a token may have: a few words saying what uses it.
const NAME_LIMIT: usize = 100;

/// `GET /account/tokens`; `?revoked=ID` after a revocation.
pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let tokens = tokens_of(&web, &who).await?;
    let revoked =
        get(&query, "revoked").and_then(|id| tokens.iter().find(|t| t.id.to_string() == id && t.revoked_at.is_some()));
    let notice =
        revoked.map(|t| format!("Token {} ({}) is revoked: scripts using it are refused from now on.", t.id, t.name));
    Ok(render(&who, &tokens, Shown { notice, ..Shown::default() }).into_response())
}

#[derive(Deserialize)]
pub struct NewToken {
    #[serde(default)]
    name: String,
}

/// `POST /account/tokens`: makes a token and shows its secret, this once.
pub async fn create(
    State(web): State<Arc<Web>>,
    who: Identity,
    Form(form): Form<NewToken>,
) -> Result<Response, WebError> {
    from_a_browser(&who)?;
    let name = form.name.trim().to_string();
    let problem = match name.chars().count() {
        0 => Some("Enter a name for the token, saying what will use it".to_string()),
        n if n > NAME_LIMIT => Some(format!("Enter a name of at most {NAME_LIMIT} characters")),
        _ => None,
    };
    if let Some(problem) = problem {
        let tokens = tokens_of(&web, &who).await?;
        let shown = Shown { name: form.name, error: Some(problem), ..Shown::default() };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&who, &tokens, shown)).into_response());
    }
    let secret = password::secret();
    let token = NewApiToken { user_id: who.user.id, name, token_hash: sha256_hex(&secret), created_at: now_utc() };
    let actor = who.actor().to_string();
    let id = web.stores.run(move |store| Ok(store.create_api_token(&token, &actor)?)).await?;
    let tokens = tokens_of(&web, &who).await?;
    let mut response = render(&who, &tokens, Shown { created: Some((id, secret)), ..Shown::default() }).into_response();
    // The secret is on this page only: no cache may keep a copy.
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /account/tokens/{id}/revoke`: revokes one of the signed-in person's tokens.
pub async fn revoke(State(web): State<Arc<Web>>, who: Identity, Path(id): Path<String>) -> Result<Response, WebError> {
    from_a_browser(&who)?;
    // Someone else's token is "not found" rather than "forbidden": the answer does not
    // tell which token ids exist.
    let not_yours = || WebError::NotFound(format!("You have no API token {id}."));
    let id: i64 = id.parse().map_err(|_| not_yours())?;
    let tokens = tokens_of(&web, &who).await?;
    if !tokens.iter().any(|t| t.id == id) {
        return Err(not_yours());
    }
    let actor = who.actor().to_string();
    web.stores.run(move |store| Ok(store.revoke_api_token(id, &actor)?)).await?;
    Ok(Redirect::to(&format!("/account/tokens?revoked={id}")).into_response())
}

/// Tokens are managed with a session, never with a token; and asked of [`access`] like
/// every other change.
fn from_a_browser(who: &Identity) -> Result<(), WebError> {
    if who.csrf_token.is_none() {
        return Err(WebError::Forbidden(
            "API tokens are made and revoked from a signed-in browser, not with a token.".into(),
        ));
    }
    access::check(&who.user, Write::OwnApiTokens).map_err(WebError::Forbidden)
}

async fn tokens_of(web: &Arc<Web>, who: &Identity) -> Result<Vec<ApiToken>, WebError> {
    let user_id = who.user.id;
    web.stores.run(move |store| Ok(store.api_tokens(user_id)?)).await
}

/// What the page shows besides the list.
#[derive(Default)]
struct Shown {
    /// A token just made: its id and secret.
    created: Option<(i64, String)>,
    /// A revocation done.
    notice: Option<String>,
    /// The name typed, and why it cannot be used.
    name: String,
    error: Option<String>,
}

fn render(who: &Identity, tokens: &[ApiToken], shown: Shown) -> Markup {
    let title = if shown.error.is_some() { "Error: API tokens" } else { "API tokens" };
    let body = html! {
        @if let Some(e) = &shown.error { (error_summary(&[("name".to_string(), e.clone())])) }
        @if let Some((id, secret)) = &shown.created { (created_banner(*id, secret)) }
        @if let Some(notice) = &shown.notice {
            div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
                aria-labelledby="revoked-title" data-module="govuk-notification-banner" {
                div class="govuk-notification-banner__header" {
                    h2 class="govuk-notification-banner__title" id="revoked-title" { "Revoked" }
                }
                div class="govuk-notification-banner__content" { p class="govuk-notification-banner__heading" { (notice) } }
            }
        }
        h1 class="govuk-heading-l" { "API tokens" }
        p class="govuk-body" {
            "A token lets a script read the figures and make changes through the JSON API, as you and with your "
            "rights. The script sends it in the header " code { "Authorization: Bearer <token>" } ". "
            a class="govuk-link" href="/api/openapi.json" { "The API's description (OpenAPI)" } " lists what it can do."
        }
        (tokens_table(who, tokens))
        h2 class="govuk-heading-m" { "Make a token" }
        form method="post" action="/account/tokens" novalidate {
            (layout::csrf_field(who))
            div class={ "govuk-form-group" @if shown.error.is_some() { " govuk-form-group--error" } } {
                label class="govuk-label" for="name" { "Name" }
                div class="govuk-hint" id="name-hint" { "What will use it, like “nightly ledger import”" }
                @if let Some(e) = &shown.error {
                    p class="govuk-error-message" id="name-error" { span class="govuk-visually-hidden" { "Error: " } (e) }
                }
                input class={ "govuk-input govuk-!-width-one-half" @if shown.error.is_some() { " govuk-input--error" } }
                    id="name" name="name" type="text" maxlength=(NAME_LIMIT) value=(shown.name)
                    aria-describedby={ "name-hint" @if shown.error.is_some() { " name-error" } };
            }
            button type="submit" class="govuk-button" data-module="govuk-button" { "Make a token" }
        }
    };
    layout::page(title, &Nav::signed_in(who), &[], body)
}

fn created_banner(id: i64, secret: &str) -> Markup {
    html! {
        div class="govuk-notification-banner govuk-notification-banner--success" role="alert"
            aria-labelledby="created-title" data-module="govuk-notification-banner" {
            div class="govuk-notification-banner__header" {
                h2 class="govuk-notification-banner__title" id="created-title" { "Token made" }
            }
            div class="govuk-notification-banner__content" {
                p class="govuk-notification-banner__heading" { "Token " (id) ":" }
                p class="govuk-body" { code id="token-secret" { (secret) } }
                div class="govuk-warning-text" {
                    span class="govuk-warning-text__icon" aria-hidden="true" { "!" }
                    strong class="govuk-warning-text__text" {
                        span class="govuk-visually-hidden" { "Warning" }
                        "Copy it now: it will not be shown again. Only a hash of it is kept, so if it is lost, "
                        "revoke it and make another."
                    }
                }
            }
        }
    }
}

fn tokens_table(who: &Identity, tokens: &[ApiToken]) -> Markup {
    html! {
        @if tokens.is_empty() {
            p class="govuk-body" { "You have no API tokens." }
        } @else {
            table class="govuk-table" id="table-tokens" {
                caption class="govuk-table__caption govuk-table__caption--m" { "Your tokens" }
                thead class="govuk-table__head" {
                    tr class="govuk-table__row" {
                        th scope="col" class="govuk-table__header" { "ID" }
                        th scope="col" class="govuk-table__header" { "Name" }
                        th scope="col" class="govuk-table__header" { "Made" }
                        th scope="col" class="govuk-table__header" { "Revoked" }
                        th scope="col" class="govuk-table__header" { span class="govuk-visually-hidden" { "Action" } }
                    }
                }
                tbody class="govuk-table__body" {
                    @for t in tokens {
                        tr class="govuk-table__row" {
                            td class="govuk-table__cell" { (t.id) }
                            td class="govuk-table__cell" { (t.name) }
                            td class="govuk-table__cell" { (t.created_at) }
                            td class="govuk-table__cell" { (t.revoked_at.map_or("No".to_string(), |at| at.to_string())) }
                            td class="govuk-table__cell" {
                                @if t.revoked_at.is_none() {
                                    form method="post" action={ "/account/tokens/" (t.id) "/revoke" } {
                                        (layout::csrf_field(who))
                                        button type="submit" class="govuk-button govuk-button--warning govuk-!-margin-bottom-0"
                                            data-module="govuk-button" { "Revoke" span class="govuk-visually-hidden" { " token " (t.name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
