//! The returns to NHS England from the web: the agreement's page and its metrics page link
//! each, and a reader downloads the workbook `pooled bcf-return` writes, on SQLite and
//! PostgreSQL.

#[macro_use]
mod common;

use axum::http::StatusCode;
use common::*;
use pooled_core::bcf::returns::{ReturnKind, StatementField};
use pooled_store::AgreementYear;

const BCF: &str = include_str!("../../../examples/oxfordshire-bcf-2021-22.toml");

on_both_backends!(agreement = super::BCF; the_returns_are_linked_and_downloaded);

fn the_returns_are_linked_and_downloaded(site: Site) {
    let key = AgreementYear::new("oxon-bcf", pooled_core::calendar::FinancialYear::parse("2021-22").unwrap());
    let mut store = site.store();
    let field = StatementField::Narrative;
    pooled_app::bcf_return::set_statement(
        store.as_mut(),
        &key,
        ReturnKind::Quarter(2),
        &field,
        "=on plan",
        "t",
        || Ok(()),
    )
    .unwrap();
    drop(store);

    let page = site.get_as("viewer", "/agreements/oxon-bcf/2021-22").text();
    let metrics = site.get_as("viewer", "/agreements/oxon-bcf/2021-22/metrics").text();
    for kind in ReturnKind::ALL {
        let href = format!("/agreements/oxon-bcf/2021-22/bcf/returns/{kind}.xlsx");
        assert!(page.contains(&format!("href=\"{href}\"")), "{kind} linked");
        assert!(metrics.contains(&format!("href=\"{href}\"")), "{kind} linked from the metrics page");
        let download = site.get_as("viewer", &href);
        assert_eq!(download.status, StatusCode::OK, "{kind}");
        let cover = xlsx_cells(&site, &download.body, "Cover");
        let item = |name: &str| cover.iter().find(|r| r[0] == name).map(|r| r[1].clone()).unwrap_or_default();
        assert_eq!(item("Return"), kind.words());
        assert_eq!(item("Narrative"), if kind == ReturnKind::Quarter(2) { "=on plan" } else { "" });
        // The workbook is the use case's: its figures at the return's month.
        let r = pooled_app::bcf_return::bcf_return(site.store().as_ref(), &key, kind).unwrap();
        let written = site.dir.join(format!("{kind}-expected.xlsx"));
        pooled_files::write_xlsx_file(&written, &pooled_app::bcf_return::return_workbook(&r)).unwrap();
        for sheet in pooled_app::bcf_return::SHEETS {
            let expected = pooled_files::read_xlsx_cells(&written, sheet).unwrap();
            assert_eq!(xlsx_cells(&site, &download.body, sheet), expected, "{kind} {sheet}");
        }
    }
    let disposition =
        site.get("/agreements/oxon-bcf/2021-22/bcf/returns/Q1.xlsx").headers["content-disposition"].clone();
    assert!(disposition.to_str().unwrap().contains("pooled-oxon-bcf-2021-22-bcf-Q1.xlsx"), "{disposition:?}");
    for missing in ["Q4.xlsx", "Q1.csv", "plan"] {
        let page = site.get(&format!("/agreements/oxon-bcf/2021-22/bcf/returns/{missing}"));
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{missing}");
    }
}
