//! The JSON API under `/api/`: the same data and actions as the pages, for scripts with
//! an API token (`Authorization: Bearer ...`) or pages' scripts with a session (whose
//! unsafe requests also carry `X-CSRF-Token`; the sign-in layer checks both). Amounts,
//! percentages and dates follow docs/cli.md, in the types of `pooled_app::json`, the same
//! the command line's `--json` prints. Writes go through [`crate::actions`], so they are
//! checked as the pages' are.
//!
//! [`endpoints`] is the one list of the API's routes: each handler's `#[utoipa::path]`
//! gives its method, path, parameters and answers. The routes are added from it to the
//! server's [`Routes`] (the only thing the router is built from), and the OpenAPI document
//! served at `/api/openapi.json` is built from it too. Every answer and body is a type
//! deriving `ToSchema`, so the document is generated from the very types the handlers
//! serialise.

mod answers;
mod openapi;
mod reads;
mod writes;

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

pub use answers::ErrorBody;

use crate::data::Web;
use crate::error::WebError;
use crate::{Access, BodySize, Routes};

/// Every API route added to `routes`; inside the sign-in layer, like the pages.
pub fn routes(routes: Routes) -> Routes {
    endpoints().into_iter().fold(routes, |routes, endpoint| {
        let (method, path) = endpoint.method_and_path();
        let (_, _, handler) = endpoint.described;
        routes.add_routed(method, path, Access::SignedIn, endpoint.body, handler)
    })
}

/// One route of the API: its handler, routed and described by `routes!` from its
/// `#[utoipa::path]`, and how large a body it takes.
struct Endpoint {
    described: UtoipaMethodRouter<Arc<Web>>,
    body: BodySize,
}

impl Endpoint {
    /// A route taking at most a form's body (most take none).
    fn form(described: UtoipaMethodRouter<Arc<Web>>) -> Endpoint {
        Endpoint { described, body: BodySize::Form }
    }

    /// Its method and path, as its `#[utoipa::path]` gives them.
    fn method_and_path(&self) -> (Method, String) {
        let paths = &self.described.1.paths;
        let (path, item) = paths.first_key_value().filter(|_| paths.len() == 1).expect("one path per endpoint");
        let methods: Vec<Method> = [
            (Method::GET, &item.get),
            (Method::POST, &item.post),
            (Method::PUT, &item.put),
            (Method::PATCH, &item.patch),
            (Method::DELETE, &item.delete),
        ]
        .into_iter()
        .filter_map(|(method, operation)| operation.as_ref().map(|_| method))
        .collect();
        let [method] = methods.try_into().unwrap_or_else(|m| panic!("{path}: one method per endpoint, not {m:?}"));
        (method, path.clone())
    }
}

/// The API, route by route, one handler each: the routes and the document's paths both
/// come from here.
fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::form(routes!(openapi_document)),
        Endpoint::form(routes!(reads::agreements)),
        Endpoint::form(routes!(reads::partner)),
        Endpoint::form(routes!(reads::report)),
        Endpoint::form(routes!(reads::bcf)),
        Endpoint::form(routes!(reads::bcf_scheme)),
        Endpoint::form(routes!(reads::bcf_return)),
        Endpoint::form(routes!(reads::bcf_statements)),
        Endpoint::form(routes!(writes::set_bcf_statements)),
        Endpoint::form(routes!(reads::risk_share)),
        Endpoint::form(routes!(reads::settlement)),
        Endpoint::form(routes!(reads::what_if)),
        Endpoint::form(routes!(reads::payments)),
        Endpoint::form(routes!(writes::record_payment)),
        Endpoint::form(routes!(reads::variations)),
        Endpoint::form(routes!(writes::load_agreement)),
        Endpoint::form(routes!(reads::forecasts)),
        Endpoint::form(routes!(writes::set_forecast)),
        Endpoint::form(routes!(reads::savings)),
        Endpoint::form(routes!(writes::record_saving)),
        Endpoint::form(routes!(reads::metrics)),
        Endpoint::form(routes!(writes::set_metrics)),
        Endpoint::form(routes!(reads::imports)),
        // An extract may be large: it streams to disk, up to the upload limit.
        Endpoint { described: routes!(writes::import_ledger), body: BodySize::Upload },
        Endpoint::form(routes!(reads::import_job)),
        Endpoint::form(routes!(reads::meetings)),
        Endpoint::form(routes!(reads::audit)),
    ]
}

/// The OpenAPI 3.1 document of the API.
fn document() -> utoipa::openapi::OpenApi {
    let described = endpoints()
        .into_iter()
        .fold(OpenApiRouter::with_openapi(openapi::base()), |router, endpoint| router.routes(endpoint.described));
    openapi::complete(described.into_openapi())
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

/// The agreement's year in the address: `/api/agreements/{agreement}/{year}/...`. Read
/// by [`crate::scope::InAgreement`], which refuses an agreement the caller does not act
/// in; described here for the document.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // only its description is used
struct AgreementPath {
    /// The agreement's id (`[agreement] id` of its file), as `GET /api/agreements` lists it.
    agreement: String,
    /// The financial year, like `2016-17`.
    #[param(value_type = pooled_app::json::Year)]
    year: String,
}

/// A return to NHS England in the address: `.../bcf/returns/{return}`. Read by
/// [`crate::pages::returns::InReturn`]; described here for the document.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // only its description is used
struct ReturnPath {
    /// `plan`, `Q1`, `Q2`, `Q3` or `year-end` (`Q4` is the end-of-year return).
    r#return: String,
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

impl<T: DeserializeOwned> FromRequest<Arc<Web>> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, web: &Arc<Web>) -> Result<JsonBody<T>, ApiError> {
        let body = Bytes::from_request(request, web).await.map_err(|rejection| {
            ApiError(match rejection.status() {
                // Past the route's limit as it arrived (a body of no stated length).
                StatusCode::PAYLOAD_TOO_LARGE => crate::edge::too_large(web.max_upload_bytes),
                _ => WebError::BadRequest(format!("The request body cannot be read: {}.", rejection.body_text())),
            })
        })?;
        let parsed = serde_json::from_slice(&body)
            .map_err(|e| WebError::BadRequest(format!("The request body is not the JSON this endpoint takes: {e}.")))?;
        Ok(JsonBody(parsed))
    }
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

    const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    #[test]
    fn every_operation_is_named_and_answers_as_every_route_can() {
        let doc = served();
        assert_eq!(doc["openapi"], "3.1.0");
        let ops = operations(&doc);
        assert!(ops.len() >= 15, "{}", ops.len());
        let ids: BTreeSet<&str> = ops.iter().filter_map(|(_, _, op)| op["operationId"].as_str()).collect();
        assert_eq!(ids.len(), ops.len(), "each operation has an id of its own");
        let mut workbooks = Vec::new();
        for (method, path, op) in &ops {
            for status in ["200", "401", "500", "503"] {
                let content = &op["responses"][status]["content"];
                if status == "200" && content[XLSX].is_object() {
                    workbooks.push(path.as_str());
                    continue;
                }
                assert!(content["application/json"]["schema"].is_object(), "{method} {path}: no {status} answer");
            }
        }
        assert_eq!(workbooks, ["/api/agreements/{agreement}/{year}/bcf/returns/{return}"], "answered as a workbook");
    }

    #[test]
    fn the_route_table_has_every_operation_of_the_document_and_no_other_api_route() {
        let routes = Routes::all();
        let api: Vec<_> = routes.iter().filter(|r| r.path.starts_with("/api/")).collect();
        let routed: BTreeSet<(String, String)> =
            api.iter().map(|r| (r.method.as_str().to_lowercase(), r.path.clone())).collect();
        assert_eq!(routed.len(), api.len(), "no API route is added twice");
        let described: BTreeSet<(String, String)> =
            operations(&served()).into_iter().map(|(method, path, _)| (method, path)).collect();
        assert_eq!(routed, described);
        assert!(api.iter().all(|r| r.access == Access::SignedIn), "behind the sign-in layer");
        let uploads: Vec<_> = api.iter().filter(|r| r.body == BodySize::Upload).map(|r| r.path.as_str()).collect();
        assert_eq!(
            uploads,
            ["/api/agreements/{agreement}/{year}/imports"],
            "only a ledger extract may be larger than a form"
        );
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
