//! The JSON API under `/api/`: the same data and actions as the pages, for scripts with
//! an API token (`Authorization: Bearer ...`) or pages' scripts with a session (whose
//! unsafe requests also carry `X-CSRF-Token`; the sign-in layer checks both). Amounts,
//! percentages and dates follow docs/cli.md, shaped by `pooled_app::json` exactly as the
//! command line's `--json`. Writes go through [`crate::actions`], so they are checked
//! as the pages' are.
//!
//! [`endpoints`] is the one list of routes: the router is built from it, and so are the
//! paths of the OpenAPI document served at `/api/openapi.json`.

mod openapi;
mod reads;
mod writes;

use std::sync::Arc;

use axum::Json;
use axum::handler::Handler;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::data::Web;
use crate::error::WebError;
use crate::{Access, BodySize, Routes};
use openapi::{path_param, query_param, responses};

/// Every API route added to `routes`; inside the sign-in layer, like the pages.
pub fn routes(routes: Routes) -> Routes {
    endpoints()
        .into_iter()
        .fold(routes, |routes, e| routes.add_routed(e.method, e.path, Access::SignedIn, e.body, e.route))
}

/// One route of the API and its description.
struct Endpoint {
    method: Method,
    /// As axum and OpenAPI both write it: `/api/{year}/report`.
    path: &'static str,
    route: MethodRouter<Arc<Web>>,
    body: BodySize,
    /// Its OpenAPI operation object.
    operation: Value,
}

impl Endpoint {
    fn get<H: Handler<T, Arc<Web>>, T: 'static>(path: &'static str, handler: H, operation: Value) -> Endpoint {
        Endpoint { method: Method::GET, path, route: get(handler), body: BodySize::Form, operation }
    }

    fn post<H: Handler<T, Arc<Web>>, T: 'static>(path: &'static str, handler: H, operation: Value) -> Endpoint {
        Endpoint { method: Method::POST, path, route: post(handler), body: BodySize::Form, operation }
    }
}

/// The API, route by route.
fn endpoints() -> Vec<Endpoint> {
    let year = || path_param("year", "The financial year, like `2016-17`.", "FinancialYear");
    vec![
        Endpoint::get(
            "/api/openapi.json",
            openapi_document,
            json!({
                "operationId": "openapi",
                "summary": "This document",
                "responses": responses("the OpenAPI 3.1 description of the API", json!({"type": "object"}), &[]),
            }),
        ),
        Endpoint::get(
            "/api/years",
            reads::years,
            json!({
                "operationId": "years",
                "summary": "The financial years with an agreement loaded",
                "responses": responses("each year and its current agreement", schema("Years"), &[]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/report",
            reads::report,
            json!({
                "operationId": "report",
                "summary": "The monthly finance report",
                "description": "Every row of each pool (pool, segments, lines, cost centres) with budget, budget and \
                    actual to date, forecast outturn, variance and change since the month before, and each \
                    partner's forecast risk-share impact. The same shape as `pooled report --format json`.",
                "parameters": [
                    year(),
                    query_param("month", "The report month, `M1` (April) to `M12`; the latest with actuals if not given.", "Month"),
                ],
                "responses": responses("the report", schema("Report"), &[400, 404]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/risk-share",
            reads::risk_share,
            json!({
                "operationId": "riskShare",
                "summary": "Each pool's risk share",
                "parameters": [year()],
                "responses": responses("the risk-share tables", schema("RiskShare"), &[404]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/settlement",
            reads::settlement,
            json!({
                "operationId": "settlement",
                "summary": "The year-end settlement on the ledger, with invoices",
                "description": "Each line's outturn is the sum of its cost centres' ledger actuals for the year. \
                    The same shape as `pooled settle --year YEAR --json`.",
                "parameters": [
                    year(),
                    {
                        "name": "waive",
                        "in": "query",
                        "description": "A clawback rule of the agreement waived by recorded decision; repeat for more.",
                        "schema": {"type": "array", "items": {"type": "string"}},
                        "style": "form",
                        "explode": true,
                    },
                ],
                "responses": responses("the settlement", schema("YearEnd"), &[400, 404]),
            }),
        ),
        Endpoint::post(
            "/api/{year}/what-if",
            reads::what_if,
            json!({
                "operationId": "whatIf",
                "summary": "The settlement on another outturn, saving nothing",
                "description": "Each line not given starts at its forecast outturn at `month`; a pool's whole \
                    outturn, if given, is spread over its lines in proportion to their budgets in place of theirs.",
                "parameters": [year()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": schema("WhatIf")}}},
                "responses": responses("every partner's settlement on that outturn", schema("WhatIfSettlement"), &[400, 403, 404, 422]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/payments",
            reads::payments,
            json!({
                "operationId": "payments",
                "summary": "The payment schedule, with when each instalment was raised and paid",
                "parameters": [year()],
                "responses": responses("the schedule", schema("Payments"), &[404]),
            }),
        ),
        Endpoint::post(
            "/api/{year}/payments",
            writes::record_payment,
            json!({
                "operationId": "recordPayment",
                "summary": "Record when an instalment was raised and paid",
                "description": "Finance officers of either partner to the instalment may, as may the pool manager.",
                "parameters": [year()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": schema("PaymentRecord")}}},
                "responses": responses("the instalment as now recorded", schema("Payment"), &[400, 403, 404, 422]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/forecasts",
            reads::forecasts,
            json!({
                "operationId": "forecasts",
                "summary": "The forecasts entered for the year",
                "parameters": [year()],
                "responses": responses("every forecast, by month entered, then cost centre", schema("Forecasts"), &[404]),
            }),
        ),
        Endpoint::post(
            "/api/{year}/forecasts",
            writes::set_forecast,
            json!({
                "operationId": "setForecast",
                "summary": "Enter a cost centre's forecast outturn for a month",
                "description": "Budget holders forecast their own cost centres, partner finance officers their \
                    partner's, the pool manager any. A closed month refuses it.",
                "parameters": [year()],
                "requestBody": {"required": true, "content": {"application/json": {"schema": schema("ForecastEntry")}}},
                "responses": responses("the forecast as saved", schema("Forecast"), &[400, 403, 422]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/imports",
            reads::imports,
            json!({
                "operationId": "imports",
                "summary": "The ledger extracts imported for the year",
                "parameters": [year()],
                "responses": responses("every import, replaced ones too", schema("Imports"), &[404]),
            }),
        ),
        Endpoint {
            method: Method::POST,
            path: "/api/imports",
            route: post(writes::import_ledger),
            // An extract may be large: it streams to disk, up to the upload limit.
            body: BodySize::Upload,
            operation: json!({
                "operationId": "importLedger",
                "summary": "Import a partner's ledger extract for a month: all of it or none",
                "description": "The body is the file itself (CSV or XLSX, as the partner's saved mapping lays it \
                    out). The import runs in the background: poll `/api/imports/{id}` until its status is no \
                    longer `running`. Partner finance officers import their own partner's extracts, the pool \
                    manager any.",
                "parameters": [
                    query_param("partner", "The partner's id in the agreement, like `OCC`.", "PartnerId"),
                    query_param("period", "The calendar month of the extract, like `2016-07`.", "Period"),
                    query_param("file_name", "The file's name; its extension (`.csv`, `.xlsx`) says how to read it.", "FileName"),
                ],
                "requestBody": {"required": true, "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "responses": responses("the import, started", schema("ImportJob"), &[400, 403, 422]),
            }),
        },
        Endpoint::get(
            "/api/imports/{id}",
            reads::import_job,
            json!({
                "operationId": "importJob",
                "summary": "How an import started through the API or the browser is going, or how it went",
                "parameters": [path_param("id", "The job's number, as `POST /api/imports` gave it.", "JobId")],
                "responses": responses("the import", schema("ImportJob"), &[404]),
            }),
        ),
        Endpoint::get(
            "/api/{year}/meetings",
            reads::meetings,
            json!({
                "operationId": "meetings",
                "summary": "The board's meetings: quorum, agenda, papers and decisions with their outcomes",
                "description": "Confidential agenda items, their papers and the decisions taken under them are \
                    left out unless the caller is one of the board's members (a board member or the pool \
                    manager).",
                "parameters": [year()],
                "responses": responses("the year's meetings, in date order", schema("Meetings"), &[404, 422]),
            }),
        ),
        Endpoint::get(
            "/api/audit",
            reads::audit,
            json!({
                "operationId": "audit",
                "summary": "The audit log: who changed what, when, before and after",
                "description": "Not for viewers or budget holders.",
                "responses": responses("the log, oldest first", schema("AuditLog"), &[403]),
            }),
        ),
    ]
}

/// A reference to a schema of the document's components.
fn schema(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

async fn openapi_document() -> Json<Value> {
    Json(openapi::document(&endpoints()))
}

/// What a handler fails with, sent in the API's one error shape,
/// `{"error": "...", "details": [...]}` ([`WebError::into_json_response`]).
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

type ApiResult = Result<Json<Value>, ApiError>;

/// The request body as `T`. Read from bytes rather than with axum's `Json` so that a
/// body that is not that JSON gets the API's error shape too.
fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, WebError> {
    serde_json::from_slice(body)
        .map_err(|e| WebError::BadRequest(format!("The request body is not the JSON this endpoint takes: {e}.")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_document_describes_every_route_and_no_other() {
        let doc = openapi::document(&endpoints());
        assert_eq!(doc["openapi"], "3.1.0");
        let routes: BTreeSet<(String, String)> =
            endpoints().iter().map(|e| (e.method.as_str().to_lowercase(), e.path.to_string())).collect();
        let described: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .flat_map(|(path, item)| item.as_object().expect("path item").keys().map(|m| (m.clone(), path.clone())))
            .collect();
        assert_eq!(routes, described);
        assert_eq!(routes.len(), endpoints().len(), "no route is listed twice");
    }

    #[test]
    fn every_path_parameter_is_described_and_every_reference_resolves() {
        let doc = openapi::document(&endpoints());
        for e in endpoints() {
            let op = &e.operation;
            let in_path: BTreeSet<&str> =
                e.path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
            let described: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            assert_eq!(in_path, described, "{} {}", e.method, e.path);
            assert!(op["operationId"].is_string() && op["responses"]["200"].is_object(), "{} {}", e.method, e.path);
        }
        let mut refs = Vec::new();
        collect_refs(&doc, &mut refs);
        assert!(!refs.is_empty());
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
