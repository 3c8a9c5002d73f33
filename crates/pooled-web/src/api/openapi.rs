//! The OpenAPI 3.1 document of the API: the paths come from [`super::endpoints`], each
//! with its operation; the shared pieces (schemas of the JSON of docs/cli.md, the error shape,
//! the security schemes) are here.

use serde_json::{Map, Value, json};

use super::{Endpoint, schema};

/// The whole document.
pub fn document(endpoints: &[Endpoint]) -> Value {
    let mut paths = Map::new();
    for e in endpoints {
        let item = paths.entry(e.path).or_insert_with(|| json!({}));
        item[e.method.as_str().to_lowercase()] = e.operation.clone();
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "pooled: section 75 pooled budgets",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The figures and actions of the web application as JSON, for scripts. Amounts are \
                strings with two decimals (`\"1234.56\"`, negative for an underspend or a credit), percentages \
                strings with the agreement's decimals, dates ISO (`2016-04-01`), months `M1` (April) to `M12` \
                (March). Send an API token (made on the API tokens page, `/account/tokens`, or with \
                `pooled token create`) as `Authorization: Bearer <token>`. A browser's session works too; its \
                POSTs must then carry the session's CSRF token as `X-CSRF-Token`. Every error is \
                `{\"error\": \"...\", \"details\": [\"...\"]}`.",
        },
        "security": [{"bearerToken": []}, {"session": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerToken": {"type": "http", "scheme": "bearer", "description": "An API token."},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": crate::auth::SESSION_COOKIE,
                    "description": "A signed-in browser's session; unsafe requests also need `X-CSRF-Token`.",
                },
            },
            "responses": error_responses(),
            "schemas": schemas(),
        },
    })
}

/// A parameter of the path, of the named schema.
pub fn path_param(name: &str, description: &str, schema_name: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description, "schema": schema(schema_name) })
}

/// An optional parameter of the query, of the named schema.
pub fn query_param(name: &str, description: &str, schema_name: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description, "schema": schema(schema_name) })
}

/// 200 with `body`, 401 (every route needs a token or session), and the `errors` the
/// operation can also answer with.
pub fn responses(description: &str, body: Value, errors: &[u16]) -> Value {
    let mut out = json!({
        "200": { "description": description, "content": { "application/json": { "schema": body } } },
        "401": { "$ref": "#/components/responses/401" },
    });
    for status in errors {
        out[status.to_string()] = json!({ "$ref": format!("#/components/responses/{status}") });
    }
    out
}

fn error_responses() -> Value {
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": schema("Error") } } });
    json!({
        "400": error("The query or body cannot be read."),
        "401": error("No API token or session, or one that is revoked, expired or of a disabled account."),
        "403": error("Signed in, but the role may not do this, or a session's request lacks its CSRF token."),
        "404": error("No such financial year, or no agreement loaded for it."),
        "422": error("Read, but cannot be used: each detail says why (a closed month, a cost centre not in the \
            plan, an instalment not in the schedule, an amount that is not one)."),
    })
}

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn nullable(schema_name: &str) -> Value {
    json!({ "oneOf": [schema(schema_name), {"type": "null"}] })
}

fn array_of(item: Value) -> Value {
    json!({ "type": "array", "items": item })
}

/// An object with every property required (the API always sends each, null if none).
fn object(properties: Value) -> Value {
    let required: Vec<&String> = properties.as_object().map(|p| p.keys().collect()).unwrap_or_default();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn schemas() -> Value {
    let partner_amount = object(json!({ "id": string("The partner's id."), "total": schema("Amount") }));
    let settlement_pools = array_of(object(json!({
        "id": string("The pool's id."),
        "budget": schema("Amount"),
        "outturn": schema("Amount"),
        "variance": schema("Amount"),
        "partners": array_of(object(json!({
            "id": string("The partner's id."),
            "total": schema("Amount"),
            "parts": array_of(object(json!({
                "rule": { "type": "string", "enum": ["borne-by", "lead", "clawback", "unagreed-saving", "shared"] },
                "line": string("The line's id."),
                "clause": string("The clause of the agreement applied, or the rule in words where the agreement gives none."),
                "amount": schema("Amount"),
            }))),
        }))),
    })));
    json!({
        "Amount": {
            "type": "string",
            "pattern": "^-?[0-9]+\\.[0-9]{2}$",
            "description": "Pounds with two decimals, as a string: exact, never a float.",
            "examples": ["1234.56", "-20.00"],
        },
        "Percentage": { "type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$", "examples": ["50.24"] },
        "Date": { "type": "string", "format": "date" },
        "Month": { "type": "string", "pattern": "^[Mm](0?[1-9]|1[0-2])$", "description": "M1 (April) to M12 (March)." },
        "FinancialYear": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "examples": ["2016-17"] },
        "Period": { "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$", "examples": ["2016-07"] },
        "PartnerId": { "type": "string", "examples": ["OCC"] },
        "FileName": { "type": "string", "examples": ["occ-2016-07.csv"] },
        "JobId": { "type": "integer", "minimum": 1 },
        "Error": object(json!({
            "error": string("What kind of failure, in words."),
            "details": array_of(string("What went wrong, one problem each.")),
        })),
        "Years": object(json!({
            "years": array_of(object(json!({
                "financial_year": schema("FinancialYear"),
                "agreement_id": string("The agreement's id."),
                "name": string("The agreement's name."),
                "version": { "type": "integer", "description": "1, then one more for each variation." },
                "loaded_at": string("When this version was loaded (UTC, ISO 8601)."),
            }))),
        })),
        "Report": object(json!({
            "financial_year": schema("FinancialYear"),
            "month": schema("Month"),
            "threshold": schema("Amount"),
            "pools": array_of(object(json!({
                "id": string("The pool's id."),
                "name": string("The pool's name."),
                "rows": array_of(object(json!({
                    "level": { "type": "string", "enum": ["pool", "segment", "line", "cost centre"] },
                    "label": string("The row's name."),
                    "segment": string("The segment's name; empty on the pool's row."),
                    "line": string("The line's id; empty above lines."),
                    "cost_centre": string("The cost centre's code; empty above cost centres."),
                    "partner": { "type": ["string", "null"], "description": "The cost centre's partner." },
                    "annual_budget": schema("Amount"),
                    "budget_to_date": schema("Amount"),
                    "actual_to_date": schema("Amount"),
                    "forecast_outturn": schema("Amount"),
                    "variance": schema("Amount"),
                    "change": nullable("Amount"),
                    "forecast_basis": { "type": "string", "enum": ["entered", "run-rate", "unallocated", "mixed"] },
                    "needs_action_plan": { "type": "boolean" },
                }))),
                "risk_impact": array_of(partner_amount.clone()),
            }))),
            "warnings": array_of(string("A line whose cost centres' budgets do not add up to its budget.")),
        })),
        "RiskShare": object(json!({
            "financial_year": schema("FinancialYear"),
            "pools": array_of(object(json!({
                "id": string("The pool's id."),
                "basis": { "type": "string", "enum": ["gross-contributions", "fixed"] },
                "partners": array_of(object(json!({
                    "id": string("The partner's id."),
                    "contributions": schema("Amount"),
                    "excluded": schema("Amount"),
                    "income_added_back": schema("Amount"),
                    "base": schema("Amount"),
                    "share": schema("Percentage"),
                }))),
            }))),
        })),
        "YearEnd": object(json!({
            "pools": settlement_pools.clone(),
            "invoices": array_of(object(json!({
                "pool": string("The pool's id."),
                "payer": string("The paying partner's id."),
                "payee": string("The partner paid."),
                "amount": schema("Amount"),
            }))),
        })),
        "WhatIf": {
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "month": schema("Month"),
                "lines": {
                    "type": "object",
                    "description": "Outturns by `POOL:LINE`, like `{\"OP:OP01\": \"1234.56\"}`.",
                    "additionalProperties": schema("Amount"),
                },
                "pools": {
                    "type": "object",
                    "description": "Whole-pool outturns by pool id, spread over the pool's lines by budget.",
                    "additionalProperties": schema("Amount"),
                },
            },
        },
        "WhatIfSettlement": object(json!({
            "financial_year": schema("FinancialYear"),
            "month": schema("Month"),
            "pools": settlement_pools,
        })),
        "Payment": object(json!({
            "pool": string("The pool's id."),
            "from": string("The paying partner's id."),
            "to": string("The pool's host."),
            "month": schema("Month"),
            "due": schema("Date"),
            "amount": schema("Amount"),
            "raised": nullable("Date"),
            "paid": nullable("Date"),
        })),
        "Payments": object(json!({ "payments": array_of(schema("Payment")) })),
        "PaymentRecord": {
            "type": "object",
            "additionalProperties": false,
            "required": ["pool", "from", "month"],
            "properties": {
                "pool": string("The pool's id."),
                "from": string("The paying partner's id."),
                "month": schema("Month"),
                "raised_on": nullable("Date"),
                "paid_on": nullable("Date"),
            },
        },
        "Forecast": object(json!({
            "month": schema("Month"),
            "cost_centre": string("The cost centre's code."),
            "outturn": schema("Amount"),
            "entered_by": string("The username that entered it."),
            "entered_at": string("When (UTC, ISO 8601)."),
        })),
        "Forecasts": object(json!({ "forecasts": array_of(schema("Forecast")) })),
        "ForecastEntry": {
            "type": "object",
            "additionalProperties": false,
            "required": ["month", "cost_centre", "outturn"],
            "properties": {
                "month": schema("Month"),
                "cost_centre": string("The cost centre's code, as in the plan."),
                "outturn": schema("Amount"),
            },
        },
        "Imports": object(json!({
            "imports": array_of(object(json!({
                "id": { "type": "integer" },
                "period": string("The calendar month, `2016-04`."),
                "month": schema("Month"),
                "partner": string("The partner's id."),
                "file_name": string("The extract's file name."),
                "file_sha256": string("SHA-256 of the file, hex."),
                "rows": { "type": "integer" },
                "total": schema("Amount"),
                "imported_at": string("When (UTC, ISO 8601)."),
                "imported_by": string("The username."),
                "replaced": { "type": "boolean", "description": "Whether a corrected extract replaced it." },
            }))),
        })),
        "ImportJob": object(json!({
            "id": { "type": "integer", "description": "The job's number: poll `/api/imports/{id}`." },
            "partner": string("The partner's id."),
            "period": string("The calendar month, `2016-04`."),
            "file_name": string("The extract's file name, as sent (made safe for a path)."),
            "started_by": string("The username."),
            "status": {
                "type": "string",
                "enum": ["running", "imported", "unchanged", "replaced", "failed"],
                "description": "`failed` means nothing was written; `problems` says why.",
            },
            "read_bytes": { "type": "integer" },
            "total_bytes": { "type": "integer" },
            "rows": { "type": "integer", "description": "Rows imported, once done." },
            "total": schema("Amount"),
            "replaced_rows": { "type": "integer", "description": "Rows of the earlier extract replaced." },
            "problems": array_of(object(json!({
                "row": { "type": "integer", "description": "The file's row (the header is row 1), if the problem is a row's." },
                "column": string("The column's name, if the problem is a row's."),
                "message": string("What is wrong."),
            }))),
        })),
        "Meetings": meetings_schema(),
        "AuditLog": object(json!({
            "entries": array_of(object(json!({
                "seq": { "type": "integer" },
                "at": string("When (UTC, ISO 8601)."),
                "actor": string("Who made the change."),
                "action": string("What kind of change."),
                "subject": string("What was changed."),
                "before": string("The state before, as `key=value` fields."),
                "after": string("The state after."),
                "prev_hash": string("The hash of the entry before, hex."),
                "hash": string("SHA-256 of this entry and the one before: the chain `pooled audit verify` checks."),
            }))),
        })),
    })
}

/// The board's meetings, apart from the rest: one `json!` of every schema would pass the
/// macro's recursion limit.
fn meetings_schema() -> Value {
    object(json!({
        "financial_year": schema("FinancialYear"),
        "meetings": array_of(object(json!({
            "date": string("The meeting's date."),
            "version": { "type": "integer", "description": "The stored version of its record." },
            "quorate": { "type": "boolean", "description": "Every partner has its quorum of voting seats filled." },
            "quorum_per_partner": { "type": "integer" },
            "seats_filled": { "type": "object", "additionalProperties": { "type": "integer" }, "description": "Voting seats filled, by partner id." },
            "agenda_due": string("The latest day for the agenda and papers."),
            "agenda_published": string("When the agenda went out, if it has."),
            "minutes_due": string("When the minutes are due."),
            "minutes_circulated": string("When they went out, if they have."),
            "items": array_of(object(json!({
                "title": string("The item's title."),
                "confidential": { "type": "boolean" },
                "papers": array_of(object(json!({ "title": string("The paper."), "published": string("When, if it has been.") }))),
            }))),
            "decisions": array_of(object(json!({
                "id": string("The decision's id in the meeting."),
                "subject": string("What was decided."),
                "item": { "type": "integer", "description": "The agenda item (1-based, as shown) it was taken under." },
                "votes": { "type": "object", "additionalProperties": { "type": "string", "enum": ["for", "against", "abstain"] } },
                "outcome": { "type": "string", "enum": ["agreed", "not-agreed", "lead-discretion", "invalid"] },
                "clause": string("The clause of the agreement's board rules the outcome follows (`[board] clauses`), or the rule in words."),
                "lead": string("The lead commissioner with discretion, for lead-discretion."),
            }))),
        }))),
    }))
}
