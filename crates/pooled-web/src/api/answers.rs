//! The answers only the API gives (the rest are `pooled_app::json`'s, shared with the
//! command line), and its one error shape.

use std::collections::BTreeMap;

use pooled_app::json::{Amount, Day, Head, Month, Outcome, SettledPool, Vote, Year};
use serde::Serialize;
use utoipa::ToSchema;

/// Every error the API answers with.
#[derive(Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What kind of failure, in words.
    pub error: String,
    /// What went wrong, one problem each.
    pub details: Vec<String>,
    /// A server error's reference to quote to whoever runs the service (the request's id,
    /// which finds its lines in the log); only on a server error (5xx).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Every partner's settlement on an outturn given: `POST /api/agreements/{agreement}/{year}/what-if`.
#[derive(Serialize, ToSchema)]
pub struct WhatIfSettlement {
    pub financial_year: Year,
    /// The month whose forecasts the lines not given start from.
    pub month: Month,
    pub pools: Vec<SettledPool>,
}

/// An import started through the API or the browser: its progress, then its outcome.
#[derive(Serialize, ToSchema)]
pub struct ImportJob {
    /// The job's number: poll `/api/agreements/{agreement}/{year}/imports/{id}`.
    pub id: u64,
    /// The partner's id.
    pub partner: String,
    pub period: pooled_app::json::Period,
    /// The extract's file name, as sent.
    pub file_name: String,
    /// The username.
    pub started_by: String,
    pub read_bytes: u64,
    pub total_bytes: u64,
    #[serde(flatten)]
    pub state: JobState,
}

/// How an import stands; `failed` means nothing was written and `problems` says why.
#[derive(Serialize, ToSchema)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum JobState {
    Running,
    Imported {
        /// Rows imported.
        rows: u64,
        total: Amount,
    },
    /// The same file as the latest import for the partner and month: nothing changed.
    Unchanged,
    /// A corrected extract replaced the earlier one.
    Replaced {
        rows: u64,
        total: Amount,
        /// Rows of the earlier extract replaced.
        replaced_rows: u64,
    },
    Failed {
        problems: Vec<Problem>,
    },
}

/// Why an import failed: a bad row (its row and column named), or another reason.
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// The file's row (the header is row 1), if the problem is a row's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<u64>,
    /// The column's name, if the problem is a row's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The board's meetings in a year: `GET /api/agreements/{agreement}/{year}/meetings`.
#[derive(Serialize, ToSchema)]
pub struct Meetings {
    pub financial_year: Year,
    /// In date order.
    pub meetings: Vec<Meeting>,
}

/// A meeting as the caller may see it, checked against the board's rules.
#[derive(Serialize, ToSchema)]
pub struct Meeting {
    pub date: Day,
    /// The stored version of its record.
    pub version: u32,
    /// Every partner has its quorum of voting seats filled.
    pub quorate: bool,
    pub quorum_per_partner: u32,
    /// Voting seats filled, by partner id.
    pub seats_filled: BTreeMap<String, u32>,
    /// The latest day for the agenda and papers to go out.
    pub agenda_due: Day,
    /// When the agenda went out; null until it has.
    #[schema(required = true)]
    pub agenda_published: Option<Day>,
    /// When the minutes are due.
    pub minutes_due: Day,
    /// When they went out; null until they have.
    #[schema(required = true)]
    pub minutes_circulated: Option<Day>,
    pub items: Vec<AgendaItem>,
    pub decisions: Vec<Decision>,
}

#[derive(Serialize, ToSchema)]
pub struct AgendaItem {
    pub title: String,
    /// Shown only to the board's members.
    pub confidential: bool,
    pub papers: Vec<Paper>,
}

#[derive(Serialize, ToSchema)]
pub struct Paper {
    pub title: String,
    /// When it went out; null until it has.
    #[schema(required = true)]
    pub published: Option<Day>,
}

#[derive(Serialize, ToSchema)]
pub struct Decision {
    /// The decision's id in the meeting.
    pub id: String,
    /// What was decided.
    pub subject: String,
    /// The agenda item (1-based, as shown) it was taken under, if any.
    #[schema(required = true)]
    pub item: Option<usize>,
    /// Each voting seat's vote, by member id.
    pub votes: BTreeMap<String, Vote>,
    pub outcome: Outcome,
    /// The clause of the agreement's board rules the outcome follows (`[board] clauses`),
    /// or the rule in words.
    pub clause: String,
    /// The id of the lead commissioner with discretion; null unless `lead-discretion`.
    #[schema(required = true)]
    pub lead: Option<String>,
}

/// What the area writes into a return to NHS England:
/// `GET /api/agreements/{agreement}/{year}/bcf/returns/{return}/statements`.
#[derive(Serialize, ToSchema)]
pub struct ReturnStatements {
    /// `plan`, `Q1`, `Q2`, `Q3` or `year-end`.
    #[serde(rename = "return")]
    pub kind: String,
    /// Every field the return has, written or not: the cover's (`completed-by`, `contact`,
    /// `narrative`), then an assurance statement per condition the agreement holds it to.
    pub statements: Vec<Statement>,
    pub audit_head: Head,
}

/// One field of a return.
#[derive(Serialize, ToSchema)]
pub struct Statement {
    /// `completed-by`, `contact`, `narrative` or `condition:KEY`: the key the POST takes.
    pub field: String,
    /// What it is, in words (a condition's: what it measures).
    pub what: String,
    /// A condition's source: the agreement's clause, or the national requirement; null
    /// for the cover's fields.
    #[schema(required = true)]
    pub source: Option<String>,
    /// As written (text, even when it starts with `=`); null when not written.
    #[schema(required = true)]
    pub text: Option<String>,
    /// Who wrote it last; null when not written.
    #[schema(required = true)]
    pub entered_by: Option<String>,
    /// When, as an RFC 3339 timestamp; null when not written.
    #[schema(required = true)]
    pub entered_at: Option<String>,
}

impl ReturnStatements {
    pub fn of(read: &pooled_app::bcf_return::ReturnStatements) -> ReturnStatements {
        let statements = (read.slots.iter())
            .map(|(slot, stored)| Statement {
                field: slot.field.key(),
                what: slot.what.clone(),
                source: slot.source.clone(),
                text: stored.as_ref().map(|s| s.text.clone()),
                entered_by: stored.as_ref().map(|s| s.entered_by.clone()),
                entered_at: stored.as_ref().map(|s| s.entered_at.to_string()),
            })
            .collect();
        ReturnStatements { kind: read.kind.key().into(), statements, audit_head: read.head.clone().into() }
    }
}
