//! The JSON API under `/api/`: the same data and actions as the pages, for scripts with
//! an API token (`Authorization: Bearer ...`) or pages' scripts with a session (whose
//! unsafe requests also carry `X-CSRF-Token`; the sign-in layer checks both). Amounts,
//! percentages and dates follow DESIGN 8, in the types of `pooled_app::json`, the same
//! the command line's `--json` prints. Writes go through [`crate::actions`], so they are
//! checked as the pages' are.
//!
//! [`endpoints`] is the one list of routes: each handler's `#[utoipa::path]` gives its
//! method, path, parameters and answers, and `utoipa_axum` builds both the router and the
//! OpenAPI document served at `/api/openapi.json` from that list. Every answer and body is
//! a type deriving `ToSchema`, so the document is generated from the very types the
//! handlers serialise.

mod answers;
mod openapi;
mod reads;
mod writes;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use answers::ErrorBody;

use crate::data::Web;
use crate::error::WebError;

/// Every API route; inside the sign-in layer, like the pages.
pub fn routes() -> Router<Arc<Web>> {
    endpoints().split_for_parts().0
}

/// The API, route by route: the router and the document's paths both come from here.
fn endpoints() -> OpenApiRouter<Arc<Web>> {
    let (schemas, paths, import) = routes!(writes::import_ledger);
    OpenApiRouter::with_openapi(openapi::base())
        .routes(routes!(openapi_document))
        .routes(routes!(reads::years))
        .routes(routes!(reads::report))
        .routes(routes!(reads::risk_share))
        .routes(routes!(reads::settlement))
        .routes(routes!(reads::what_if))
        .routes(routes!(reads::payments, writes::record_payment))
        .routes(routes!(reads::forecasts, writes::set_forecast))
        .routes(routes!(reads::imports))
        // An extract may be large: it streams to disk, so no body limit here.
        .routes((schemas, paths, import.layer(DefaultBodyLimit::disable())))
        .routes(routes!(reads::import_job))
        .routes(routes!(reads::meetings))
        .routes(routes!(reads::audit))
}

/// The OpenAPI 3.1 document of the API.
fn document() -> utoipa::openapi::OpenApi {
    openapi::complete(endpoints().into_openapi())
}

/// This document: the OpenAPI 3.1 description of the API.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 description of the API.", body = Object)),
)]
async fn openapi_document() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// The year in the address: `/api/{year}/...`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
struct InYear {
    /// The financial year, like `2016-17`.
    #[param(value_type = pooled_app::json::Year)]
    year: String,
}

/// What a handler fails with, sent in the API's one error shape, [`ErrorBody`]
/// ([`WebError::into_json_response`]).
pub struct ApiError(WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// The request body as `T`. Read from bytes rather than with axum's `Json` so that a
/// body that is not that JSON, or is too large, gets the API's error shape too.
pub struct JsonBody<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<JsonBody<T>, ApiError> {
        let body = Bytes::from_request(request, state).await.map_err(unread)?;
        let parsed = serde_json::from_slice(&body)
            .map_err(|e| WebError::BadRequest(format!("The request body is not the JSON this endpoint takes: {e}.")))?;
        Ok(JsonBody(parsed))
    }
}

/// A body that could not be read: too large, or cut off.
fn unread(rejection: BytesRejection) -> ApiError {
    ApiError(match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            WebError::TooLarge("The request body is larger than this endpoint takes.".into())
        }
        _ => WebError::BadRequest(format!("The request body cannot be read: {}.", rejection.body_text())),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    /// The document as served.
    fn served() -> Value {
        serde_json::to_value(document()).expect("the document serialises")
    }

    /// Each operation: its method, path and object.
    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let paths = doc["paths"].as_object().expect("paths");
        let each = paths.iter().flat_map(|(path, item)| {
            let item = item.as_object().expect("path item");
            item.iter().map(move |(method, operation)| (method.clone(), path.clone(), operation.clone()))
        });
        each.collect()
    }

    #[test]
    fn every_operation_is_named_and_answers_as_every_route_can() {
        let doc = served();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops = operations(&doc);
        assert!(ops.len() >= 15, "{}", ops.len());
        let ids: BTreeSet<&str> = ops.iter().filter_map(|(_, _, op)| op["operationId"].as_str()).collect();
        assert_eq!(ids.len(), ops.len(), "each operation has an id of its own");
        for (method, path, op) in &ops {
            for status in ["200", "401", "500", "503"] {
                let schema = &op["responses"][status]["content"]["application/json"]["schema"];
                assert!(schema.is_object(), "{method} {path}: no {status} answer");
            }
        }
    }

    #[test]
    fn every_path_parameter_is_described_and_every_reference_resolves() {
        let doc = served();
        for (method, path, op) in operations(&doc) {
            let in_path: BTreeSet<&str> =
                path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
            let described: BTreeSet<&str> = (op["parameters"].as_array().into_iter().flatten())
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(in_path, described, "{method} {path}");
        }
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(refs.len() > 50, "{}", refs.len());
        for r in refs {
            let pointer = r.strip_prefix('#').expect("a local reference");
            assert!(doc.pointer(pointer).is_some(), "{r} resolves to nothing");
        }
    }

    fn collect_refs(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| collect_refs(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
            _ => {}
        }
    }
}
