//! The JSON API under `/api/`: the same data and actions as the pages, for scripts with
//! an API token (`Authorization: Bearer ...`) or pages' scripts with a session.

use std::sync::Arc;

use axum::Router;

use crate::data::Web;

/// Every API route; inside the sign-in layer, like the pages.
pub fn routes() -> Router<Arc<Web>> {
    Router::new()
}
