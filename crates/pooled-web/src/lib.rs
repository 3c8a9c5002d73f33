//! The web application of pooled: server-rendered pages (GOV.UK Design System look, no
//! JavaScript needed) over the same use cases as the command line. The only crate that
//! knows HTTP.
//!
//! - [`Web`] holds a small pool of opened stores ([`stores`]) and the parsed agreements;
//! - [`router`] answers every route; [`serve`] runs it on a listener until told to stop;
//!   [`run`] does both for `pooled serve`, stopping on Ctrl-C or SIGTERM.

pub mod access;
mod actions;
mod api;
mod assets;
pub mod auth;
mod charts;
mod data;
mod error;
mod imports;
mod layout;
mod pages;
mod stores;
mod table;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

pub use data::Web;
pub use error::WebError;
pub use stores::Opener;

/// Every route. `/health`, `/assets` and `/login` are open; every other route is built
/// in [`signed_in`] and wrapped there, in one place, by the sign-in layer.
pub fn router(web: Arc<Web>) -> Router {
    let open = Router::new()
        .route("/health", get(health))
        .route("/assets/{name}", get(assets::serve))
        .route("/login", get(pages::login::page).post(pages::login::sign_in));
    let signed_in = signed_in().route_layer(middleware::from_fn_with_state(Arc::clone(&web), auth::require_login));
    open.merge(signed_in).fallback(not_found).layer(middleware::from_fn(security_headers)).with_state(web)
}

/// The routes that need a session or an API token.
fn signed_in() -> Router<Arc<Web>> {
    Router::new()
        .route("/logout", post(pages::login::sign_out))
        .merge(api::routes())
        .route("/", get(pages::overview::page))
        .route("/pools/{year}/{pool}", get(pages::pool::page))
        .route("/pools/{year}/{pool}/cost-centres/{code}", get(pages::pool::cost_centre))
        .route("/risk-share/{year}", get(pages::risk_share::page))
        .route("/settlement/{year}", get(pages::settlement::page))
        .route("/what-if/{year}", get(pages::what_if::page))
        .route("/forecasts/{year}", get(pages::forecasts::page).post(pages::forecasts::save))
        .route("/board/{year}", get(pages::board::page))
        .route("/board/{year}/decisions", get(pages::board_log::decisions))
        .route("/board/{year}/reports", get(pages::board_reports::page).post(pages::board_reports::change))
        .route("/deadlines", get(pages::board_log::deadlines))
        .route("/board/{year}/register", post(pages::board::change_register))
        .route("/board/{year}/meetings", post(pages::board::schedule))
        .route("/board/{year}/meetings/{date}", get(pages::board::meeting_page).post(pages::board::edit_meeting))
        .route("/board/{year}/meetings/{date}/pack", get(pages::pack::page))
        .route("/imports/new", get(pages::imports::new))
        // An extract may be large: the upload streams to disk, so no body limit here.
        .route("/imports", post(pages::imports::upload).layer(DefaultBodyLimit::disable()))
        .route("/imports/{id}", get(pages::imports::progress))
        .route("/payments/{year}", get(pages::payments::page).post(pages::payments::record))
        .route("/audit", get(pages::audit::page))
        .route("/account/tokens", get(pages::tokens::page).post(pages::tokens::create))
        .route("/account/tokens/{id}/revoke", post(pages::tokens::revoke))
}

/// No route: a page for a browser, the API's error shape under `/api/`.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        WebError::NotFound("There is no API endpoint at this address: see /api/openapi.json.".into())
            .into_json_response()
    } else {
        WebError::NotFound("There is no page at this address.".into()).into_response()
    }
}

/// `GET /health`: whether the service can reach its database, for load balancers and
/// monitoring. 200 when it can, 503 when it cannot.
async fn health(State(web): State<Arc<Web>>) -> Response {
    let reached = web.stores.run(|store| Ok(store.financial_years()?.len())).await;
    let (status, body) = match reached {
        Ok(years) => (
            StatusCode::OK,
            serde_json::json!({"status": "ok", "backend": web.backend, "database": "reachable", "financial_years": years}),
        ),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({"status": "unavailable", "backend": web.backend, "database": "unreachable", "error": format!("{e:?}")}),
        ),
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Headers on every response that keep the pages from being framed, sniffed or fed
/// scripts from elsewhere: the pages load only their own styles and scripts.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
             frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.entry(name).or_insert(header::HeaderValue::from_static(value));
    }
    response
}

/// One line per request on standard error, as `key=value` pairs that log tools parse:
/// method, path (never the query, which may hold figures), status and milliseconds.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let micros = started.elapsed().as_micros();
    eprintln!(
        "method={method} path={path:?} status={} duration_ms={}.{:03}",
        response.status().as_u16(),
        micros / 1000,
        micros % 1000
    );
    response
}

/// Serves the application on `listener`, logging each request, until `shutdown`
/// completes; then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Arc<Web>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(web).layer(middleware::from_fn(log_request));
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Opens the store at `database`, binds `address`, calls `ready` with the address bound
/// (port 0 picks a free one), and serves until Ctrl-C or SIGTERM.
pub fn run(address: &str, database: &str, secure_cookies: bool, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let web = Web::open(database, threads.max(2) * 2)
        .map_err(|e| std::io::Error::other(format!("{database}: {e}")))?
        .with_secure_cookies(secure_cookies);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_io().build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address).await?;
        ready(listener.local_addr()?);
        serve(listener, Arc::new(web), stop_signal()).await
    })
}

/// Completes on Ctrl-C, or on SIGTERM (what `systemctl stop` and `docker stop` send).
async fn stop_signal() {
    let ctrl_c = async {
        // Without a handler the server cannot be stopped cleanly; keep running.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    eprintln!("stopping: finishing the requests in flight");
}
