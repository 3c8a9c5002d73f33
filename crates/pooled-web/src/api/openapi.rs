//! What the OpenAPI document says beyond the routes' own `#[utoipa::path]`: its title and
//! introduction, how to sign in, and the failures, each described once. The schemas all
//! come from the types the API serialises.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use pooled_app::json::{Day, Month, Period, Year};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Ref, RefOr, Response, ResponseBuilder,
    SecurityRequirement,
};
use utoipa::{IntoResponses, PartialSchema, ToSchema};

use super::ErrorBody;

/// The document before the routes are added.
pub fn base() -> OpenApi {
    let info = InfoBuilder::new()
        .title("pooled: section 75 pooled budgets")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The figures and actions of the web application as JSON, for scripts. Amounts are strings with two \
             decimals (`\"1234.56\"`, negative for an underspend or a credit), percentages strings with the \
             agreement's decimals, dates ISO (`2016-04-01`), months `M1` (April) to `M12` (March). Send an API \
             token (made on the API tokens page, `/account/tokens`, or with `pooled token create`) as \
             `Authorization: Bearer <token>`. A browser's session works too; its POSTs must then carry the \
             session's CSRF token as `X-CSRF-Token`. Every error is `{\"error\": \"...\", \"details\": \
             [\"...\"]}`; a server error (5xx) also gives a `\"reference\"` to quote to whoever runs the \
             service.",
        ));
    let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("An API token.")).build();
    let session = ApiKeyValue::with_description(
        crate::auth::SESSION_COOKIE,
        "A signed-in browser's session; unsafe requests also need `X-CSRF-Token`.",
    );
    let mut components = ComponentsBuilder::new()
        .security_scheme("bearerToken", SecurityScheme::Http(bearer))
        .security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(session)));
    // The error shape, and the texts parameters are written in (the answers' types bring
    // their own schemas).
    for (name, schema) in [
        (ErrorBody::name(), ErrorBody::schema()),
        (Year::name(), Year::schema()),
        (Month::name(), Month::schema()),
        (Period::name(), Period::schema()),
        (Day::name(), Day::schema()),
    ] {
        components = components.schema(name, schema);
    }
    OpenApiBuilder::new()
        .info(info)
        .security(Some([
            SecurityRequirement::new("bearerToken", [""; 0]),
            SecurityRequirement::new("session", [""; 0]),
        ]))
        .components(Some(components.build()))
        .build()
}

/// `document` with what every operation can answer: no valid token or session (the
/// sign-in layer guards every route), a server error, a database out of reach or a request
/// that took too long; and every operation on an agreement's year, an agreement the caller
/// does not act in ([`crate::scope::InAgreement`] refuses it first).
pub fn complete(mut document: OpenApi) -> OpenApi {
    for (path, item) in document.paths.paths.iter_mut() {
        let named = path.contains("{agreement}");
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            for answers in [Unauthorized::responses(), ServerError::responses(), Unavailable::responses()] {
                operation.responses.responses.extend(answers);
            }
            if named {
                operation.responses.responses.extend(Forbidden::responses());
            }
        }
    }
    document
}

/// One failure: its status, what it means, and the error shape as its body.
fn failure(status: StatusCode, description: &str) -> BTreeMap<String, RefOr<Response>> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(ErrorBody::name()))).build();
    let response = ResponseBuilder::new().description(description).content("application/json", content).build();
    BTreeMap::from([(status.as_u16().to_string(), RefOr::T(response))])
}

/// 400: the query or body cannot be read.
pub struct BadRequest;
/// 401: no valid API token or session.
pub struct Unauthorized;
/// 403: signed in, but not allowed.
pub struct Forbidden;
/// 404: no such year, or thing in it.
pub struct NotFound;
/// 413: a body over the route's limit.
pub struct TooLarge;
/// 422: read, but cannot be used.
pub struct Invalid;
/// 500: the service failed.
pub struct ServerError;
/// 503: the database cannot be reached, or the request took too long.
pub struct Unavailable;

impl IntoResponses for BadRequest {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(StatusCode::BAD_REQUEST, "The query or body cannot be read.")
    }
}

impl IntoResponses for Unauthorized {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(
            StatusCode::UNAUTHORIZED,
            "No API token or session, or one that is revoked, expired or of a disabled account.",
        )
    }
}

impl IntoResponses for Forbidden {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(
            StatusCode::FORBIDDEN,
            "Signed in, but the role may not do this, the caller does not act in the agreement the address \
             names, or a session's request lacks its CSRF token.",
        )
    }
}

impl IntoResponses for NotFound {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(StatusCode::NOT_FOUND, "No such financial year, no agreement loaded for it, or no such thing in it.")
    }
}

impl IntoResponses for TooLarge {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let limits = format!(
            "The body is over the limit: a ledger extract over the server's upload limit, any other body over {} \
             MB. Nothing was saved; the detail says the limits.",
            crate::edge::FORM_BYTES >> 20
        );
        failure(StatusCode::PAYLOAD_TOO_LARGE, &limits)
    }
}

impl IntoResponses for Invalid {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Read, but cannot be used: each detail says why (a closed month, a cost centre not in the plan, an \
             instalment not in the schedule, an amount that is not one).",
        )
    }
}

impl IntoResponses for ServerError {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The service failed: a fault, or stored figures it cannot read. The `reference` finds its cause in \
             the service's log.",
        )
    }
}

impl IntoResponses for Unavailable {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failure(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database cannot be reached just now, or the request took longer than the service allows; \
             try again later. The `reference` finds what happened in the service's log.",
        )
    }
}
