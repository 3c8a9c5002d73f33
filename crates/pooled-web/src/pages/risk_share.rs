//! `/agreements/{agreement}/{year}/risk-share`: each pool's risk-share table as the agreement's schedule lays it
//! out: contributions, lines excluded from the base, income added back, the risk-shared
//! contributions and the agreed percentages.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_core::agreement::{Agreement, Pool, PoolKind};
use pooled_core::money::Money;
use pooled_core::risk_share::{RiskShare, risk_share};
use pooled_files::{Cell, ColumnKind};

use super::{QueryPairs, get};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope::{self, InAgreement};
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text};

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    InAgreement(at): InAgreement,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = at.year;
    let format = Format::parse(get(&query, "format"))?;
    let (shared, key) = (Arc::clone(&web), at.clone());
    let agreement = web.stores.run(move |store| shared.agreement(store, &key)).await?;
    blocking(move || {
        let tables: Vec<Table> = agreement
            .pools()
            .iter()
            .filter_map(|p| Some(share_table(&agreement, p, &risk_share(&agreement, p)?)))
            .collect();
        let here = Here::new(scope::href(&at, "/risk-share"), query.clone());
        if format != Format::Html {
            return table::export(&tables, get(&query, "table"), format, &scope::file_stem(&at, "-risk-share"));
        }
        let aligned: Vec<&Pool> = agreement.pools().iter().filter(|p| p.kind == PoolKind::Aligned).collect();
        let body = html! {
            span class="govuk-caption-l" { (agreement.name()) }
            h1 class="govuk-heading-l" { "Risk share " (year) }
            p class="govuk-body" {
                "Each partner's share of a pool's shared over- or underspend. The base is the partner's contributions to "
            "the pool, less lines whose risk is kept out of it, plus its income target added back; the percentage "
            "is its base over the total, published rounded so that the shares sum to exactly 100. A fixed share is "
            "the one the agreement states."
            }
            @for t in &tables { (t.render(&here)) }
            @for pool in aligned {
                h2 class="govuk-heading-m" { (pool.name) " (" (pool.id) ")" }
                p class="govuk-body" {
                "An aligned budget: it shares no risk. Each line's variance stays with its lead commissioner."
                }
            }
        };
        Ok(layout::page(&format!("Risk share {year}"), &Nav::new(&who, &at, &agreement, Section::RiskShare), &[], body)
            .into_response())
    })
    .await
}

/// The rows of `pooled risk-share`, in the same order and words.
pub(crate) fn share_table(a: &Agreement, pool: &Pool, share: &RiskShare) -> Table {
    let mut columns = vec![column("£", ColumnKind::Text)];
    columns.extend(a.partners().iter().map(|p| column(p.id.clone(), ColumnKind::Money)));
    // Published risk-share tables leave a nil exclusion or income blank; the contributions and bases
    // are always shown.
    let money_row = |label: String, amounts: Vec<Money>, blank_nil: bool| {
        let mut cells = vec![text(label)];
        cells.extend(
            amounts.into_iter().map(|m| if blank_nil && m == Money::ZERO { Cell::Empty } else { Cell::Money(m) }),
        );
        Row::new(cells)
    };
    let percent_row = |label: &str| {
        let mut cells = vec![text(label)];
        cells.extend(share.shares.iter().map(|p| Cell::Percent(*p)));
        Row::new(cells).styled(RowStyle::Total)
    };
    let mut rows = Vec::new();
    if share.basis == "fixed" {
        rows.push(percent_row("% risk share (agreed)"));
    } else {
        let column = |f: fn(&pooled_core::risk_share::PartnerBase) -> Money| share.partners.iter().map(f).collect();
        rows.push(money_row(format!("Contribution to {} pool", pool.id), column(|r| r.contributions), false));
        if share.partners.iter().any(|r| r.excluded != Money::ZERO) {
            let excluded: Vec<&str> = pool.lines.iter().filter(|l| !l.in_base).map(|l| l.name.as_str()).collect();
            rows.push(money_row(format!("Exclude {}", excluded.join(", ")), column(|r| r.excluded), true));
        }
        if share.partners.iter().any(|r| r.income_added_back != Money::ZERO) {
            rows.push(money_row("Add back income".into(), column(|r| r.income_added_back), true));
        }
        rows.push(money_row("Risk Shared Contributions".into(), column(|r| r.base), false));
        rows.push(percent_row("% risk share"));
    }
    Table {
        id: pool.id.clone(),
        caption: format!(
            "{} ({}) risk share {}, {} ({})",
            pool.name,
            pool.id,
            a.financial_year(),
            share.basis.replace('-', " "),
            share.clause
        ),
        columns,
        rows,
    }
}
