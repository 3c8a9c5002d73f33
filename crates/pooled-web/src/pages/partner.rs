//! `/partners/{partner}/{year}`: one partner's consolidated view (an ICB's view of its
//! places): across every agreement the signed-in person acts in where the partner (a
//! body, such as the ICB, whether a partner from the start or a successor) holds a place
//! at the report month, its contributions, each pool's forecast variance and its forecast
//! risk-share impact, pool by pool, agreement by agreement, and in total. The figures are
//! [`pooled_core::report::consolidated`]'s, from each agreement's monthly report.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use maud::html;
use pooled_core::calendar::FinancialYear;
use pooled_core::report::{Consolidated, PartnerFigures};
use pooled_files::{Cell, ColumnKind};
use pooled_store::AgreementYear;
use serde::Deserialize;

use super::{QueryPairs, get, month_chooser, month_label};
use crate::auth::Identity;
use crate::data::{Web, consolidated_view, parse_month, parse_year, years_naming};
use crate::error::WebError;
use crate::layout::{self, Nav, Section};
use crate::scope;
use crate::stores::blocking;
use crate::table::{self, Format, Here, Row, RowStyle, Table, column, text};

/// The partner and year a path names.
#[derive(Deserialize)]
pub struct InPartner {
    partner: String,
    year: String,
}

pub async fn page(
    State(web): State<Arc<Web>>,
    who: Identity,
    Path(InPartner { partner, year }): Path<InPartner>,
    Query(query): Query<QueryPairs>,
) -> Result<Response, WebError> {
    let year = parse_year(&year)?;
    let month = parse_month(get(&query, "month"))?;
    let format = Format::parse(get(&query, "format"))?;
    let (shared, user) = (Arc::clone(&web), who.user.clone());
    let body = partner.clone();
    let years = web.stores.run(move |store| years_naming(&shared, store, &user, &body, year)).await?;
    blocking(move || {
        let (view, head) = consolidated_view(&partner, year, &years, month)?;
        let table = view_table(&view);
        let stem = format!("pooled-{partner}-{year}-{}", view.month);
        if format != Format::Html {
            return table::export(&[table.with_audit_head(&head)], get(&query, "table"), format, &stem);
        }
        let href = scope::partner_href(&partner, year);
        let here = Here::new(href.clone(), query);
        let t = &view.total;
        let body = html! {
            span class="govuk-caption-l" { (view.body.name) }
            h1 class="govuk-heading-l" { (view.body.id) " across its agreements " (year) }
            p class="govuk-body-l" { "At " (month_label(year, view.month)) "." }
            (month_chooser(&href, year, view.month))
            (layout::key_figures(&[
                t.contributions.map(|c| ("Contributions", c, false)),
                Some(("Pools' forecast variance", t.forecast_variance, true)),
                Some(("Its forecast risk-share impact", t.risk_impact, true)),
            ].into_iter().flatten().collect::<Vec<_>>()))
            @if t.excludes_unsplit {
                p class="govuk-inset-text" { (UNSPLIT) }
            }
            p class="govuk-body" {
                "Each agreement you act in where " (view.body.id) " holds a partner's place at the end of the month: "
                "its contributions for the year, each pool's forecast variance (every partner's), and its part of that "
                "variance by the agreement's settlement rules. A successor holds its predecessor's place from its "
                "date, so an agreement it succeeded in counts from that month; before it, under its predecessor."
            }
            (layout::variance_hint())
            (table.render(&here))
            (layout::audit_head(&head))
        };
        let title = format!("{} {year}", view.body.id);
        Ok(layout::page(&title, &Nav::outside(&who, Section::Agreements), &[("Agreements".into(), "/".into())], body)
            .into_response())
    })
    .await
}

/// A partner's contributions where the agreement gives the budgets without splitting them
/// between the partners.
const NOT_SPLIT: &str = "not split";

/// What the totals leave out when some agreement gives budgets without a split.
const UNSPLIT: &str = "Where an agreement gives a budget without splitting it between the partners, the partner's \
contributions to it are not known: they show as \"not split\", and the contributions of the agreement and of all \
agreements exclude them.";

fn view_table(view: &Consolidated) -> Table {
    let columns = vec![
        column("Agreement or pool", ColumnKind::Text),
        column("As partner", ColumnKind::Text),
        column("Contributions", ColumnKind::Money),
        column("Forecast variance", ColumnKind::Money),
        column("Risk-share impact", ColumnKind::Money),
    ];
    let month = format!("?month={}", view.month);
    let row = |label: String, partner: &str, f: &PartnerFigures| {
        // A total that leaves some budgets out says so beside its name, in every format.
        let label = match (f.contributions, f.excludes_unsplit) {
            (Some(_), true) => format!("{label} (contributions exclude budgets not split)"),
            _ => label,
        };
        let contributions = f.contributions.map_or_else(|| text(NOT_SPLIT), Cell::Money);
        Row::new(vec![
            text(label),
            text(partner),
            contributions,
            Cell::Money(f.forecast_variance),
            Cell::Money(f.risk_impact),
        ])
    };
    let mut rows = Vec::new();
    for a in &view.agreements {
        let at = AgreementYear::new(a.id.clone(), view.year);
        let href = format!("{}{month}", scope::agreement_href(&at));
        rows.push(
            Row { href: Some(href), ..row(format!("{} ({})", a.name, a.id), &a.partner_id, &a.figures) }
                .styled(RowStyle::Segment),
        );
        for p in &a.pools {
            let href = format!("{}{month}", scope::pool_href(&at, &p.id));
            rows.push(Row { href: Some(href), indent: 1, ..row(format!("{} ({})", p.name, p.id), "", &p.figures) });
        }
    }
    rows.push(row("All agreements".into(), "", &view.total).styled(RowStyle::Total));
    Table { id: "agreements".into(), caption: caption(view.year, view), columns, rows }
}

fn caption(year: FinancialYear, view: &Consolidated) -> String {
    format!("{} at {}, agreement by agreement", view.body.id, month_label(year, view.month))
}
