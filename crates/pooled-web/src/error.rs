//! What a request can fail with, and the page each failure shows. A failure of the
//! request (4xx) says what to change. A failure of the server (5xx) is logged with its
//! cause, and the user sees only what happened and a reference to quote, the request's
//! id, which finds the log's lines: never a database's or the operating system's message.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_app::AppError;
use pooled_store::StoreError;
use tower_http::request_id::RequestId;

use crate::api::ErrorBody;
use crate::data::Web;
use crate::layout;

#[derive(Debug)]
pub enum WebError {
    /// No such year, pool, cost centre or page.
    NotFound(String),
    /// A request the service cannot read: an unknown month or export format in the
    /// address, a body that is not the JSON an endpoint takes.
    BadRequest(String),
    /// No session or API token, or one that is no longer valid.
    Unauthorized(String),
    /// Signed in, but not allowed this (the role's rights, a missing CSRF token).
    Forbidden(String),
    /// What was entered cannot be saved: each line says why (a closed period, a cost
    /// centre not in the plan, an instalment not in the schedule).
    Invalid(Vec<String>),
    /// A body over the route's limit: says the limit.
    TooLarge(String),
    /// The database cannot be reached; the cause is for the log.
    Unavailable(String),
    /// A database error, for the log.
    Store(StoreError),
    /// Stored data the engine refuses (a plan naming a line the agreement no longer
    /// has): each line says what to fix, and is shown.
    Data(Vec<String>),
    /// Anything else that went wrong on the server; the cause is for the log.
    Internal(String),
    /// The request took longer than its route allows and was given up.
    TimedOut,
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        match e {
            StoreError::NotFound(what) => WebError::NotFound(what),
            StoreError::PeriodClosed(_)
            | StoreError::Duplicate(_)
            | StoreError::Invalid(_)
            | StoreError::Conflict(_) => WebError::Invalid(vec![e.to_string()]),
            other => WebError::Store(other),
        }
    }
}

impl WebError {
    /// An error of the application layer about what the user gave it (an unknown cost
    /// centre, bad rows): theirs to correct, not the stored data's.
    pub fn input(e: AppError) -> WebError {
        match e {
            AppError::Input(lines) | AppError::Incomplete(lines) => WebError::Invalid(lines),
            AppError::Forbidden(what) => WebError::Forbidden(what),
            AppError::NotFound(what) => WebError::NotFound(what),
            AppError::Store(e) => e.into(),
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        match e {
            AppError::Input(lines) => WebError::Data(lines),
            // Not the stored data's fault: what is missing is named, to be recorded.
            AppError::Incomplete(lines) => WebError::Invalid(lines),
            AppError::Forbidden(what) => WebError::Forbidden(what),
            AppError::NotFound(what) => WebError::NotFound(what),
            AppError::Store(e) => e.into(),
        }
    }
}

impl WebError {
    /// The status, a title for the page and the lines that say what went wrong. A server
    /// error's lines are only those its user can act on; the cause is logged instead.
    fn parts(self) -> (StatusCode, &'static str, Vec<String>) {
        match self {
            WebError::NotFound(what) => (StatusCode::NOT_FOUND, "Page not found", vec![what]),
            WebError::BadRequest(what) => (StatusCode::BAD_REQUEST, "There is a problem with the request", vec![what]),
            WebError::Unauthorized(why) => (StatusCode::UNAUTHORIZED, "You need to sign in", vec![why]),
            WebError::Forbidden(why) => (StatusCode::FORBIDDEN, "You cannot do this", vec![why]),
            WebError::Invalid(lines) => (StatusCode::UNPROCESSABLE_ENTITY, "This cannot be saved", lines),
            WebError::TooLarge(why) => (StatusCode::PAYLOAD_TOO_LARGE, "The file or form is too large", vec![why]),
            WebError::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "Sorry, the database cannot be reached", vec![])
            }
            WebError::Store(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the database", vec![])
            }
            WebError::Data(lines) => (StatusCode::INTERNAL_SERVER_ERROR, "The stored figures cannot be read", lines),
            WebError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service", vec![])
            }
            WebError::TimedOut => {
                (StatusCode::SERVICE_UNAVAILABLE, "Sorry, the service took too long to answer", vec![])
            }
        }
    }

    /// Logs a server error with its cause (in the request's span, so with its id); its
    /// answer is then made from the [`ServerError`]. A failure of the request comes back.
    fn server_error(self) -> Result<ServerError, WebError> {
        let server = matches!(
            self,
            WebError::Unavailable(_)
                | WebError::Store(_)
                | WebError::Data(_)
                | WebError::Internal(_)
                | WebError::TimedOut
        );
        if !server {
            return Err(self);
        }
        tracing::error!(cause = ?self, "server error");
        let (status, title, lines) = self.parts();
        Ok(ServerError { status, title, lines })
    }

    /// The error as the JSON API gives it, an [`ErrorBody`]: `{"error": "...", "details":
    /// [...]}`, and for a server error `"reference"`, the request's id.
    pub fn into_json_response(self) -> Response {
        let error = match self.server_error() {
            Ok(server) => return server.into_response(),
            Err(error) => error,
        };
        let (status, title, lines) = error.parts();
        let body = ErrorBody { error: title.to_string(), details: lines, reference: None };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let error = match self.server_error() {
            Ok(server) => return server.into_response(),
            Err(error) => error,
        };
        let (status, title, lines) = error.parts();
        error_page(status, title, &lines, None)
    }
}

fn error_page(status: StatusCode, title: &str, lines: &[String], reference: Option<&str>) -> Response {
    let body = html! {
        h1 class="govuk-heading-l" { (title) }
        @for line in lines { p class="govuk-body" { (line) } }
        @if let Some(reference) = reference {
            p class="govuk-body" {
                "Try again later. If it happens again, tell whoever runs this service, quoting this reference: "
                strong class="app-reference" { (reference) }
            }
        }
        p class="govuk-body" { a class="govuk-link" href="/" { "Go to the overview of all pools" } }
    };
    (status, layout::page(title, &layout::Nav::none(), &[], body)).into_response()
}

/// A server error's answer before its request id is known: an empty body carrying this,
/// which [`server_error_pages`] turns into the page or the JSON with the reference.
#[derive(Clone, Debug)]
pub(crate) struct ServerError {
    status: StatusCode,
    title: &'static str,
    lines: Vec<String>,
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

impl ServerError {
    fn answer(self, reference: &str, api: bool) -> Response {
        if api {
            let body =
                ErrorBody { error: self.title.to_string(), details: self.lines, reference: Some(reference.into()) };
            (self.status, Json(body)).into_response()
        } else {
            error_page(self.status, self.title, &self.lines, Some(reference))
        }
    }
}

/// The answer to a handler that panicked: logged, then a 500 like any server error.
pub(crate) fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    WebError::Internal(format!("the handler panicked: {message}")).into_response()
}

/// Gives each server error its page (or the API's JSON) with the request's id as the
/// reference to quote. Answers that layers below make without a page get one too: a body
/// over the limit (413) and a request that took too long (503, logged here).
pub(crate) async fn server_error_pages(State(web): State<Arc<Web>>, request: Request, next: Next) -> Response {
    let reference = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or("")
        .to_string();
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if let Some(server) = response.extensions().get::<ServerError>() {
        return server.clone().answer(&reference, api);
    }
    let bare = response.headers().get(header::CONTENT_TYPE).is_none_or(|t| t.as_bytes().starts_with(b"text/plain"));
    let error = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE if bare => crate::edge::too_large(web.max_upload_bytes),
        StatusCode::SERVICE_UNAVAILABLE if bare => WebError::TimedOut,
        _ => return response,
    };
    match error.server_error() {
        Ok(server) => server.answer(&reference, api),
        Err(error) if api => error.into_json_response(),
        Err(error) => error.into_response(),
    }
}
