//! What a request can fail with, and the page each failure shows.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_app::AppError;
use pooled_store::StoreError;

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
    /// A request body larger than the route takes.
    TooLarge(String),
    /// What was entered cannot be saved: each line says why (a closed period, a cost
    /// centre not in the plan, an instalment not in the schedule).
    Invalid(Vec<String>),
    /// The database cannot be reached.
    Unavailable(String),
    Store(StoreError),
    /// Stored data the engine refuses (a plan naming a line the agreement no longer
    /// has): each line says what to fix.
    Data(Vec<String>),
    Internal(String),
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
            AppError::Input(lines) => WebError::Invalid(lines),
            AppError::Store(e) => e.into(),
        }
    }
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> WebError {
        match e {
            AppError::Input(lines) => WebError::Data(lines),
            AppError::Store(e) => e.into(),
        }
    }
}

impl WebError {
    /// The status, a title for the page and the lines that say what went wrong.
    fn parts(self) -> (StatusCode, &'static str, Vec<String>) {
        match self {
            WebError::NotFound(what) => (StatusCode::NOT_FOUND, "Page not found", vec![what]),
            WebError::BadRequest(what) => (StatusCode::BAD_REQUEST, "There is a problem with the request", vec![what]),
            WebError::Unauthorized(why) => (StatusCode::UNAUTHORIZED, "You need to sign in", vec![why]),
            WebError::Forbidden(why) => (StatusCode::FORBIDDEN, "You cannot do this", vec![why]),
            WebError::TooLarge(why) => (StatusCode::PAYLOAD_TOO_LARGE, "The request is too large", vec![why]),
            WebError::Invalid(lines) => (StatusCode::UNPROCESSABLE_ENTITY, "This cannot be saved", lines),
            WebError::Unavailable(why) => {
                (StatusCode::SERVICE_UNAVAILABLE, "Sorry, the database cannot be reached", vec![why])
            }
            WebError::Store(e) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the database", vec![e.to_string()])
            }
            WebError::Data(lines) => (StatusCode::INTERNAL_SERVER_ERROR, "The stored figures cannot be read", lines),
            WebError::Internal(why) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Sorry, there is a problem with the service", vec![why])
            }
        }
    }

    /// The error as the JSON API gives it: `{"error": "...", "details": [...]}`.
    pub fn into_json_response(self) -> Response {
        let (status, title, lines) = self.parts();
        let body = crate::api::ErrorBody { error: title.to_string(), details: lines };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, lines) = self.parts();
        let body = html! {
            h1 class="govuk-heading-l" { (title) }
            @for line in &lines { p class="govuk-body" { (line) } }
            p class="govuk-body" { a class="govuk-link" href="/" { "Go to the overview of all pools" } }
        };
        (status, layout::page(title, &layout::Nav::none(), &[], body)).into_response()
    }
}
