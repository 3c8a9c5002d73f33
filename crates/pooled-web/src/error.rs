//! What a request can fail with, and the page each failure shows.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_app::AppError;
use pooled_store::StoreError;

use crate::layout;

#[derive(Debug)]
pub enum WebError {
    /// No such year, pool, cost centre or page.
    NotFound(String),
    /// A query the page cannot use (an unknown month or export format).
    BadRequest(String),
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
            other => WebError::Store(other),
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

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, title, lines) = match self {
            WebError::NotFound(what) => (StatusCode::NOT_FOUND, "Page not found", vec![what]),
            WebError::BadRequest(what) => (StatusCode::BAD_REQUEST, "There is a problem with the address", vec![what]),
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
        };
        let body = html! {
            h1 class="govuk-heading-l" { (title) }
            @for line in &lines { p class="govuk-body" { (line) } }
            p class="govuk-body" { a class="govuk-link" href="/" { "Go to the overview of all pools" } }
        };
        (status, layout::page(title, &layout::Nav::none(), &[], body)).into_response()
    }
}
