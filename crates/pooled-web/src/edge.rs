//! The HTTP edge, all of it tower-http's: each request gets an id (kept if the client
//! sent one) that its log lines, its response and any error page carry; one log line per
//! request (method, path, status, latency, never the query, which may hold figures);
//! gzip; the headers that keep pages from being framed or sniffed; a handler's panic
//! answered as a server error; and on each route a body limit and a timeout.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use axum::routing::MethodRouter;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::response::SetMultipleResponseHeadersLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::data::Web;
use crate::error::{self, WebError};

/// How large a body a route takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodySize {
    /// A form or an API call: at most [`FORM_BYTES`].
    Form,
    /// A ledger extract: at most the server's `--max-upload-mb`.
    Upload,
}

/// The largest form or API body: the what-if form, the largest, is a few kilobytes.
pub const FORM_BYTES: usize = 1 << 20;

/// A page, form or API call is given up after this, unless the server is told otherwise. The slowest (a 200,000-row export
/// as XLSX, the audit chain checked on a long log) take seconds; a minute leaves room on
/// a busy two-core server and still frees a request that is stuck.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// An upload lasts as long as the sender's line takes: 200 MB at 1 Mbit/s is 27 minutes.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(60 * 60);
/// ...but a sender who stops sending is let go after a minute of silence.
const UPLOAD_IDLE: Duration = Duration::from_secs(60);

/// XLSX is zipped already: compressing it again costs time and saves nothing.
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `handler` with its body limit and timeout.
pub fn bounded(handler: MethodRouter<Arc<Web>>, size: BodySize, web: &Web) -> MethodRouter<Arc<Web>> {
    let timeout = |limit| TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, limit);
    match size {
        BodySize::Form => {
            handler.route_layer(RequestBodyLimitLayer::new(FORM_BYTES)).route_layer(timeout(web.request_timeout))
        }
        // axum's own limit for extractors is lifted; tower-http's is the one that holds.
        BodySize::Upload => handler
            .layer(DefaultBodyLimit::disable())
            .route_layer(RequestBodyTimeoutLayer::new(UPLOAD_IDLE))
            .route_layer(RequestBodyLimitLayer::new(web.max_upload_bytes))
            .route_layer(timeout(UPLOAD_TIMEOUT)),
    }
}

/// What a body over its limit is told.
pub fn too_large(max_upload_bytes: usize) -> WebError {
    WebError::TooLarge(format!(
        "This service takes ledger extracts of up to {} MB, and forms and API requests of up to {} MB. \
         Nothing was saved. Split the extract by month or partner, or ask whoever runs the service to \
         raise the limit.",
        max_upload_bytes >> 20,
        FORM_BYTES >> 20
    ))
}

/// Why a body stopped arriving: it went over its limit, or the sender stopped sending.
pub fn body_error(e: &(dyn std::error::Error + 'static), max_upload_bytes: usize) -> WebError {
    let mut causes = std::iter::successors(Some(e), |e| e.source());
    if causes.any(|e| e.is::<http_body_util::LengthLimitError>()) {
        too_large(max_upload_bytes)
    } else {
        WebError::BadRequest(format!("The upload was interrupted: {e}"))
    }
}

/// The layers around every route, outermost first.
pub fn around(router: Router<Arc<Web>>, web: &Arc<Web>) -> Router<Arc<Web>> {
    let security_headers = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(|response: &Response<_>, latency: Duration, span: &Span| {
                    tracing::info!(parent: span, status = response.status().as_u16(), ?latency, "answered");
                })
                // Server errors are logged where they happen, with their cause.
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(NotForContentType::const_new(XLSX))))
        .layer(SetMultipleResponseHeadersLayer::if_not_present(
            security_headers
                .into_iter()
                .map(|(name, value): (HeaderName, &'static str)| (name, HeaderValue::from_static(value)).into())
                .collect(),
        ))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(web), error::server_error_pages))
        .layer(CatchPanicLayer::custom(error::panicked));
    router.layer(layers)
}

/// The span of a request, which every line logged while answering it carries.
fn request_span(request: &Request<Body>) -> Span {
    let id = request.extensions().get::<RequestId>().and_then(|id| id.header_value().to_str().ok()).unwrap_or("");
    // The path only: a query may hold figures. The id is quoted: a client may send its own.
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = ?id)
}
