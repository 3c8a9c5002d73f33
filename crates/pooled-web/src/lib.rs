//! The web application of pooled: server-rendered pages (GOV.UK Design System look, no
//! JavaScript needed) over the same use cases as the command line. The only crate that
//! knows HTTP.
//!
//! - [`Web`] holds a small pool of opened stores ([`stores`]) and the parsed agreements;
//! - [`Routes`] lists every route, with who may use it and how large a body it takes;
//!   [`router`] builds them, inside the layers of the HTTP edge ([`edge`]);
//! - [`serve`] runs the router on a listener until told to stop; [`run`] does both for
//!   `pooled serve`, stopping on Ctrl-C or SIGTERM.

pub mod access;
mod actions;
mod api;
mod assets;
pub mod auth;
mod charts;
mod data;
mod edge;
mod error;
mod imports;
mod layout;
mod pages;
mod scope;
mod stores;
mod table;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};

pub use data::{DEFAULT_MAX_UPLOAD_BYTES, Web};
pub use edge::BodySize;
pub use error::WebError;
pub use stores::Opener;

/// Who may use a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: sign-in, health, assets.
    Open,
    /// A session or an API token; checked by [`auth::require_login`] before the handler.
    SignedIn,
}

/// One route: its method and path, who may use it, how large a body it takes, and its
/// handler.
pub struct Route {
    pub method: Method,
    /// As axum (and the API's OpenAPI document) writes it:
    /// `/agreements/{agreement}/{year}/pools/{pool}`.
    pub path: String,
    pub access: Access,
    pub body: BodySize,
    handler: MethodRouter<Arc<Web>>,
}

/// Every route the server answers. The router is built from this list and nothing else,
/// and the security test walks the same list, so no route can be added without its
/// access being stated and checked.
pub struct Routes(Vec<Route>);

impl Routes {
    /// The application's routes: `/health`, `/assets` and `/login` open, every other one
    /// behind the sign-in layer.
    pub fn all() -> Routes {
        use Method as M;
        use pages::*;
        let routes = Routes(Vec::new())
            .open(M::GET, "/health", health)
            .open(M::GET, "/assets/{name}", assets::serve)
            .open(M::GET, "/login", login::page)
            .open(M::POST, "/login", login::sign_in)
            .signed_in(M::POST, "/logout", login::sign_out)
            .signed_in(M::GET, "/", overview::agreements)
            .signed_in(M::GET, "/partners/{partner}/{year}", partner::page)
            .signed_in(M::GET, "/agreements/{agreement}/{year}", overview::page)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/pools/{pool}", pool::page)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/pools/{pool}/cost-centres/{code}", pool::cost_centre)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/risk-share", risk_share::page)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/settlement", settlement::page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/settlement/savings", settlement::record_saving)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/what-if", what_if::page)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/forecasts", forecasts::page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/forecasts", forecasts::save)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/metrics", metrics::page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/metrics", metrics::save)
            .upload(M::POST, "/agreements/{agreement}/{year}/metrics/import", metrics::import)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/performance", metrics::report)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/board", board::page)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/board/decisions", board_log::decisions)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/board/reports", board_reports::page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/board/reports", board_reports::change)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/board/register", board::change_register)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/board/meetings", board::schedule)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/board/meetings/{date}", board::meeting_page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/board/meetings/{date}", board::edit_meeting)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/board/meetings/{date}/pack", pack::page)
            .signed_in(M::GET, "/deadlines", board_log::deadlines)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/imports/new", imports::new)
            .upload(M::POST, "/agreements/{agreement}/{year}/imports", imports::upload)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/imports/{id}", imports::progress)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/payments", payments::page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/payments", payments::record)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/bcf/returns/{file}", returns::download)
            .signed_in(M::GET, "/agreements/{agreement}/{year}/variations", variations::page)
            .signed_in(M::POST, "/agreements/{agreement}/{year}/variations", variations::load)
            .signed_in(M::GET, "/audit", audit::page)
            .signed_in(M::GET, "/account/tokens", tokens::page)
            .signed_in(M::POST, "/account/tokens", tokens::create)
            .signed_in(M::POST, "/account/tokens/{id}/revoke", tokens::revoke);
        api::routes(routes)
    }

    /// Adds a route anyone may use.
    pub fn open<H: Handler<T, Arc<Web>>, T: 'static>(self, method: Method, path: &'static str, handler: H) -> Routes {
        self.add(method, path, Access::Open, BodySize::Form, handler)
    }

    /// Adds a route behind the sign-in layer, taking at most a form's body.
    pub fn signed_in<H: Handler<T, Arc<Web>>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        handler: H,
    ) -> Routes {
        self.add(method, path, Access::SignedIn, BodySize::Form, handler)
    }

    /// Adds a route behind the sign-in layer that takes an uploaded file (a ledger extract,
    /// a file of metrics' figures) as its body.
    pub fn upload<H: Handler<T, Arc<Web>>, T: 'static>(self, method: Method, path: &'static str, handler: H) -> Routes {
        self.add(method, path, Access::SignedIn, BodySize::Upload, handler)
    }

    pub fn add<H: Handler<T, Arc<Web>>, T: 'static>(
        self,
        method: Method,
        path: &'static str,
        access: Access,
        body: BodySize,
        handler: H,
    ) -> Routes {
        let filter = MethodFilter::try_from(method.clone()).expect("a method axum routes");
        self.add_routed(method, path.to_string(), access, body, on(filter, handler))
    }

    /// As [`Routes::add`], the handler already routed for `method` alone.
    fn add_routed(
        mut self,
        method: Method,
        path: String,
        access: Access,
        body: BodySize,
        handler: MethodRouter<Arc<Web>>,
    ) -> Routes {
        self.0.push(Route { method, path, access, body, handler });
        self
    }

    /// Every route, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.0.iter()
    }

    /// The router: each route behind the sign-in layer if it needs it, then its body
    /// limit and timeout; around them all, the layers of [`edge`].
    pub fn into_router(self, web: Arc<Web>) -> Router {
        let mut router = Router::new();
        for route in self.0 {
            let mut handler = route.handler;
            if route.access == Access::SignedIn {
                handler =
                    handler.route_layer(axum::middleware::from_fn_with_state(Arc::clone(&web), auth::require_login));
            }
            router = router.route(&route.path, edge::bounded(handler, route.body, &web));
        }
        edge::around(router.fallback(not_found), &web).with_state(web)
    }
}

/// The application's router: [`Routes::all`], built.
pub fn router(web: Arc<Web>) -> Router {
    Routes::all().into_router(web)
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
/// monitoring. 200 when it can, 503 when it cannot; why it cannot goes to the log only.
async fn health(State(web): State<Arc<Web>>) -> Response {
    let reached = web.stores.run(|store| Ok(crate::data::loaded_years(store)?.len())).await;
    let (status, body) = match reached {
        Ok(years) => (
            StatusCode::OK,
            serde_json::json!({"status": "ok", "backend": web.backend, "database": "reachable", "financial_years": years}),
        ),
        Err(e) => {
            tracing::error!(error = ?e, "health check: the database cannot be reached");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"status": "unavailable", "backend": web.backend, "database": "unreachable"}),
            )
        }
    };
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// Serves the application on `listener` until `shutdown` completes; then finishes the
/// requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    web: Arc<Web>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(web)).with_graceful_shutdown(shutdown).await
}

/// How `pooled serve` runs the application.
pub struct Settings {
    /// host:port; port 0 picks a free one.
    pub address: String,
    /// As `pooled_store::open` takes it: a SQLite file or a `postgres://` URL.
    pub database: String,
    /// See [`Web::with_secure_cookies`].
    pub secure_cookies: bool,
    /// The largest ledger extract an upload may bring, in bytes.
    pub max_upload_bytes: usize,
    /// Where uploads wait while they are imported; [`default_upload_dir`] if not given.
    pub upload_dir: Option<PathBuf>,
}

/// Where uploads wait unless told otherwise: beside a SQLite file (`FILE-uploads`, as its
/// `-wal` is), or `pooled-uploads` in the working directory for PostgreSQL, which has no
/// file of its own to sit beside.
pub fn default_upload_dir(database: &str, backend: &str) -> PathBuf {
    match backend {
        "sqlite" => PathBuf::from(format!("{database}-uploads")),
        _ => PathBuf::from("pooled-uploads"),
    }
}

/// Opens the store, prepares the upload folder (clearing what a server stopped mid-import
/// left there), binds the address, calls `ready` with the address bound, and serves until
/// Ctrl-C or SIGTERM. Imports still running then are finished before it returns; the
/// upload folder is removed if that leaves it empty.
pub fn run(settings: &Settings, ready: impl FnOnce(SocketAddr)) -> std::io::Result<()> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let database = &settings.database;
    let web = Web::open(database, threads.max(2) * 2).map_err(|e| std::io::Error::other(format!("{database}: {e}")))?;
    let upload_dir = settings.upload_dir.clone().unwrap_or_else(|| default_upload_dir(database, web.backend));
    let web = web
        .with_secure_cookies(settings.secure_cookies)
        .with_max_upload(settings.max_upload_bytes)
        .with_upload_dir(&upload_dir)
        .map_err(|e| std::io::Error::other(format!("the upload folder {}: {e}", upload_dir.display())))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&settings.address).await?;
        let stop = stop_signal();
        ready(listener.local_addr()?);
        serve(listener, Arc::new(web), stop).await
    });
    // Waits for the blocking work still running: an import finishes and removes its file.
    drop(runtime);
    let _ = std::fs::remove_dir(&upload_dir);
    served
}

/// Listens from now on for Ctrl-C, and SIGTERM (what `systemctl stop` and `docker stop`
/// send): the future completes on the first. Listening before the address is announced
/// means a signal sent as soon as it is (by a script that read it) stops the server
/// cleanly rather than killing it. Called within the runtime.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (signal(SignalKind::interrupt()).ok(), signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        {
            // Without a handler, that signal cannot stop the server cleanly: wait for the other.
            let received = |listener: Option<tokio::signal::unix::Signal>| async move {
                match listener {
                    Some(mut listener) => {
                        listener.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = received(interrupt) => {},
                () = received(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("stopping: finishing the requests in flight");
    }
}
