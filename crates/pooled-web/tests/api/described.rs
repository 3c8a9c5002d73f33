//! Every answer the API tests get, checked against the OpenAPI document the router itself
//! serves, with a JSON Schema validator (draft 2020-12, the dialect of OpenAPI 3.1): the
//! schema of the answer's path, method and status, its `$ref`s resolved to the document's
//! components. The check is strict: an object may hold no property the document does not
//! name, so an answer cannot quietly grow a field the description lacks.
//!
//! Also the API tests' requests (a bearer token, a JSON body) and readers of the answers.
#![allow(dead_code)] // each test binary uses its own part of this

use std::ops::{Deref, DerefMut};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use jsonschema::Draft;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::common::{Page, Site};

/// A site whose API answers are each checked against its OpenAPI document.
pub struct Api {
    site: Site,
    /// The document as served, made strict ([`strict`]).
    document: Value,
}

impl From<Site> for Api {
    /// Fetches the document first, with a token of its own (made before the test measures
    /// anything, so the audit entry it makes is part of the fixture).
    fn from(site: Site) -> Api {
        let token = crate::token_for(&site, "admin");
        let request = Request::get("/api/openapi.json")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::empty())
            .expect("request");
        let page = site.send(request);
        assert_eq!(page.status, StatusCode::OK, "{}", page.text());
        let document = serde_json::from_slice(&page.body).expect("the document is JSON");
        Api { site, document: strict(document) }
    }
}

impl Deref for Api {
    type Target = Site;

    fn deref(&self) -> &Site {
        &self.site
    }
}

impl DerefMut for Api {
    /// The site, to rebuild its router: the answers are still checked against the
    /// document fetched at first.
    fn deref_mut(&mut self) -> &mut Site {
        &mut self.site
    }
}

impl Api {
    /// Sends `request`; an answer from under `/api/` must be one the document describes.
    pub fn send(&self, request: Request<Body>) -> Page {
        let (method, path) = (request.method().clone(), request.uri().path().to_string());
        let page = self.site.send(request);
        if path.starts_with("/api/")
            && let Err(why) = check(&self.document, &method, &path, &page)
        {
            panic!("{method} {path} answered {} not as /api/openapi.json says: {why}\n{}", page.status, page.text());
        }
        page
    }

    pub fn document(&self) -> &Value {
        &self.document
    }
}

// ---- requests and answers ----

/// A request with a bearer token (if any) and a JSON body (if any).
pub fn call(site: &Api, method: Method, uri: &str, token: Option<&str>, body: Option<&Value>) -> Page {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    site.send(request.body(body).expect("request"))
}

pub fn get_json(site: &Api, uri: &str, token: &str) -> Value {
    let page = call(site, Method::GET, uri, Some(token), None);
    assert_eq!(page.status, StatusCode::OK, "GET {uri}: {}", page.text());
    json_of(&page)
}

/// An answer of the JSON contract as the API would send it.
pub fn as_json(answer: impl Serialize) -> Value {
    serde_json::to_value(answer).expect("the contract's types serialise")
}

pub fn json_of(page: &Page) -> Value {
    assert_eq!(page.headers[header::CONTENT_TYPE], "application/json", "{}", page.text());
    serde_json::from_slice(&page.body).expect("JSON")
}

/// Asserts the API's error shape with `status`, and that a detail contains `detail`.
pub fn assert_error(page: &Page, status: StatusCode, detail: &str) {
    assert_eq!(page.status, status, "{}", page.text());
    let error = json_of(page);
    assert!(error["error"].is_string(), "{error}");
    let details: Vec<&str> = error["details"].as_array().expect("details").iter().filter_map(Value::as_str).collect();
    assert!(details.iter().any(|d| d.contains(detail)), "no detail containing {detail:?} in {details:?}");
}

/// Sends an extract to `started` (`POST .../imports?partner=&period=&file_name=`), then
/// polls its job until it has finished; the job's last answer.
pub fn import_through_the_api(site: &Api, token: &str, started: &str, file: &[u8]) -> Value {
    let request = Request::post(started)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(file.to_vec()))
        .expect("request");
    let answer = site.send(request);
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    let id = json_of(&answer)["id"].as_u64().expect("a job id");
    let jobs = &started[..started.find('?').unwrap_or(started.len())];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let job = get_json(site, &format!("{jobs}/{id}"), token);
        if job["status"] != "running" {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "the import finishes");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

// ---- the check ----

/// Whether `page`, the answer to `method` `path`, is as `document` describes it; if not,
/// each way it is not. An address no path of the document matches (the router's own
/// 404) must still answer in the API's error shape.
pub fn check(document: &Value, method: &Method, path: &str, page: &Page) -> Result<(), String> {
    let content_type = page.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let status = page.status.as_u16().to_string();
    if content_type != Some("application/json") {
        // A file (a return's workbook): its media type must be the one described.
        let described = operation(document, method, path)
            .and_then(|(_, operation)| operation["responses"].get(&status)?["content"].get(content_type?));
        return match described {
            Some(_) => Ok(()),
            None => Err(format!("its content type is {content_type:?}, not application/json nor one described")),
        };
    }
    let body: Value = serde_json::from_slice(&page.body).map_err(|e| format!("its body is not JSON: {e}"))?;
    let schema = match operation(document, method, path) {
        Some((template, operation)) => {
            let described = operation["responses"].get(&status).ok_or_else(|| {
                format!("{method} {template} describes no {status} answer, only {:?}", keys(&operation["responses"]))
            })?;
            described["content"]["application/json"]["schema"].clone()
        }
        None => json!({ "$ref": "#/components/schemas/Error" }),
    };
    // The schema at the root of a document that also holds the components, so that its
    // `#/components/schemas/...` references resolve as they do in the OpenAPI document.
    let mut root = match schema {
        Value::Object(map) => map,
        other => return Err(format!("the answer's schema is not an object: {other}")),
    };
    root.insert("components".into(), document["components"].clone());
    let validator = jsonschema::options()
        .with_draft(Draft::Draft202012)
        .should_validate_formats(true)
        .build(&Value::Object(root))
        .map_err(|e| format!("the document's schema does not compile: {e}"))?;
    let errors: Vec<String> =
        validator.iter_errors(&body).map(|e| format!("at `{}`: {e}", e.instance_path())).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

/// The document's operation for `method` on `path`: the path template that matches it
/// with the most fixed segments.
fn operation<'d>(document: &'d Value, method: &Method, path: &str) -> Option<(&'d str, &'d Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    let paths = document["paths"].as_object()?;
    paths
        .iter()
        .filter_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            let matches = parts.len() == segments.len()
                && parts.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && t.ends_with('}')));
            let operation = item.get(method.as_str().to_lowercase())?;
            matches.then(|| (parts.iter().filter(|t| !t.starts_with('{')).count(), template.as_str(), operation))
        })
        .max_by_key(|(fixed, _, _)| *fixed)
        .map(|(_, template, operation)| (template, operation))
}

fn keys(value: &Value) -> Vec<&String> {
    value.as_object().map(|m| m.keys().collect()).unwrap_or_default()
}

/// `document` with every object schema closed (`unevaluatedProperties: false`): an answer
/// may hold only what the schema names. A schema that composes others with `allOf` (a
/// flattened part) is closed where it composes them, and the parts it composes are left
/// open, since each part names only its own properties.
pub fn strict(mut document: Value) -> Value {
    let Some(schemas) = document.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else {
        return document;
    };
    let parts: Vec<String> = schemas.values().flat_map(composed_parts).collect();
    for (name, schema) in schemas.iter_mut() {
        if !parts.contains(&format!("#/components/schemas/{name}")) {
            close(schema);
        }
    }
    document
}

/// The references an `allOf` composes.
fn composed_parts(schema: &Value) -> Vec<String> {
    let all_of = schema.get("allOf").and_then(Value::as_array).into_iter().flatten();
    all_of.filter_map(|part| part.get("$ref").and_then(Value::as_str)).map(str::to_string).collect()
}

fn close(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else { return };
    if map.contains_key("allOf") {
        map.insert("unevaluatedProperties".into(), Value::Bool(false));
        return;
    }
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        properties.values_mut().for_each(close);
        map.insert("unevaluatedProperties".into(), Value::Bool(false));
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = map.get_mut(key) {
            close(inner);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = map.get_mut(key) {
            variants.iter_mut().for_each(close);
        }
    }
}

/// `document` with `edit` applied to the named schema of its components: for the tests
/// that show a mismatch is caught.
pub fn with_schema(document: &Value, name: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let mut copy = document.clone();
    let schema = copy
        .pointer_mut(&format!("/components/schemas/{name}"))
        .and_then(Value::as_object_mut)
        .unwrap_or_else(|| panic!("no schema {name}"));
    edit(schema);
    copy
}
