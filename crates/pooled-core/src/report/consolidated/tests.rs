use super::*;
use crate::agreement::Agreement;
use crate::plan::Plan;
use crate::report::{Actuals, EnteredForecast, Forecasts, monthly_report};
use crate::savings::SavingRecords;

/// A place's agreement for 2022-23: its council hosts a pool `P` it shares with an NHS
/// body (`nhs`: its id, and any more of its TOML, such as a successor), each giving a
/// contribution, and `more` pools after.
fn place(id: &str, nhs: (&str, &str), shares: (u32, u32), contributions: (u32, u32), more: &str) -> Agreement {
    let ((nhs, succession), (council_share, nhs_share), (council_gives, nhs_gives)) = (nhs, shares, contributions);
    let text = format!(
        r#"format = 1
[agreement]
id = "{id}"
name = "{id} place"
financial_year = "2022-23"
start = 2022-04-01

[[partner]]
id = "LA"
name = "{id} council"
kind = "local-authority"

[[partner]]
id = "{nhs}"
name = "{nhs} of {id}"
kind = "nhs-commissioner"
{succession}

[[pool]]
id = "P"
name = "{id} pool"
host = "LA"
kind = "pooled"
risk_share = {{ basis = "fixed", shares = {{ LA = "{council_share}", {nhs} = "{nhs_share}" }} }}

[[pool.line]]
id = "care"
name = "Care"
contributions = {{ LA = "{council_gives}", {nhs} = "{nhs_gives}" }}
{more}"#
    );
    Agreement::parse(&text).unwrap_or_else(|e| panic!("{e:?}")).0
}

/// Oxfordshire: the CCG, succeeded by the ICB from 1 July 2022, shares 40% of the pool,
/// and leads an aligned pool of its own.
fn oxon() -> Agreement {
    let succession = r#"succeeded_by = { id = "ICB", name = "The ICB", from = 2022-07-01 }"#;
    let aligned = r#"
[[pool]]
id = "A"
name = "Aligned"
host = "LA"
kind = "aligned"

[[pool.line]]
id = "chc"
name = "Continuing care"
lead = "OCCG"
contributions = { OCCG = "300" }
"#;
    place("oxon", ("OCCG", succession), (60, 40), (1000, 800), aligned)
}

/// Buckinghamshire: the ICB a partner from the start, sharing half.
fn bucks() -> Agreement {
    place("bucks", ("ICB", ""), (50, 50), (500, 700), "")
}

/// A place the ICB has no part in.
fn elsewhere() -> Agreement {
    place("elsewhere", ("XB", ""), (50, 50), (100, 100), "")
}

/// The report at `month`, each line one cost centre (named after it, of the line's first
/// contributor) forecast at `forecasts` (line id, pounds).
fn report(agreement: &Agreement, month: u32, forecasts: &[(&str, i64)]) -> MonthlyReport {
    let header = ["code", "name", "partner", "pool", "line", "budget"];
    let mut rows = Vec::new();
    for pool in agreement.pools() {
        for line in &pool.lines {
            let partner = line.lead.unwrap_or(pool.host);
            let partner = agreement.partners()[partner].id.clone();
            let budget = line.budget().to_plain_string();
            rows.push([line.id.clone(), line.name.clone(), partner, pool.id.clone(), line.id.clone(), budget].to_vec());
        }
    }
    let records = rows.into_iter().enumerate().map(|(i, r)| Ok((i as u64 + 2, r)));
    let (plan, _) = Plan::read(agreement, &header, records).unwrap_or_else(|e| panic!("{e:?}"));
    let month = FiscalMonth::new(month).unwrap();
    let forecasts: Forecasts = forecasts
        .iter()
        .map(|(code, pounds)| {
            let outturn = Money::from_pounds(*pounds).unwrap();
            ((code.to_string(), month), EnteredForecast { outturn, confirmed_below_actual: false })
        })
        .collect();
    // Budgets in force from M1: the agreements here have no variations.
    let from = FiscalMonth::new(1).unwrap();
    monthly_report(agreement, &plan, &Actuals::new(), &forecasts, &SavingRecords::default(), month, from)
}

fn pounds(n: i64) -> Money {
    Money::from_pounds(n).unwrap()
}

fn figures(contributions: i64, forecast_variance: i64, risk_impact: i64) -> PartnerFigures {
    PartnerFigures {
        contributions: pounds(contributions),
        forecast_variance: pounds(forecast_variance),
        risk_impact: pounds(risk_impact),
    }
}

/// (agreement id, partner id, the agreement's figures, each pool's (id, figures)).
type Expected<'a> = (&'a str, &'a str, PartnerFigures, Vec<(&'a str, PartnerFigures)>);

fn shown(view: &Consolidated) -> Vec<Expected<'_>> {
    view.agreements
        .iter()
        .map(|a| {
            let pools = a.pools.iter().map(|p| (p.id.as_str(), p.figures)).collect();
            (a.id.as_str(), a.partner_id.as_str(), a.figures, pools)
        })
        .collect()
}

#[test]
fn the_icb_across_its_places_from_the_month_it_succeeded() {
    let (oxon, bucks, elsewhere) = (oxon(), bucks(), elsewhere());
    // Oxfordshire's pool £100 over (the ICB bears 40%), its aligned pool £30 under (the
    // ICB leads it, and bears it all); Buckinghamshire's pool £100 under (the ICB half).
    let oxon_forecasts = [("care", 1_900), ("chc", 270)];
    let bucks_forecasts = [("care", 1_100)];
    let at = |month: u32| {
        [
            report(&oxon, month, &oxon_forecasts),
            report(&bucks, month, &bucks_forecasts),
            report(&elsewhere, month, &[("care", 250)]),
        ]
    };
    let [ox4, bu4, el4] = at(4);
    let reports = [(&oxon, &ox4), (&bucks, &bu4), (&elsewhere, &el4)];
    let view = consolidated("ICB", &reports).expect("the ICB is in two places");
    assert_eq!((view.body.name.as_str(), view.year, view.month), ("The ICB", oxon.financial_year(), ox4.month));
    let expected: Vec<Expected> = vec![
        ("oxon", "OCCG", figures(1_100, 70, 10), vec![("P", figures(800, 100, 40)), ("A", figures(300, -30, -30))]),
        ("bucks", "ICB", figures(700, -100, -50), vec![("P", figures(700, -100, -50))]),
    ];
    assert_eq!(shown(&view), expected);
    assert_eq!(view.total, figures(1_800, -30, -40));
    // Each place's impact is the one its report shows for the partner.
    for (part, (_, report)) in view.agreements.iter().zip(&reports) {
        for (pool, reported) in part.pools.iter().zip(&report.pools) {
            let total = reported.risk_impact.partners[part.partner].total;
            assert_eq!(pool.figures.risk_impact, total, "{} {}", part.id, pool.id);
        }
    }

    // In June the CCG still heads Oxfordshire's report: the ICB's view is of Buckinghamshire
    // alone, and the CCG's of Oxfordshire.
    let [ox3, bu3, el3] = at(3);
    let june = [(&oxon, &ox3), (&bucks, &bu3), (&elsewhere, &el3)];
    let icb = consolidated("ICB", &june).expect("the ICB is in Buckinghamshire");
    assert_eq!(icb.agreements.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), ["bucks"]);
    assert_eq!(icb.total, figures(700, -100, -50));
    let ccg = consolidated("OCCG", &june).expect("the CCG is in Oxfordshire");
    assert_eq!((ccg.body.name.as_str(), ccg.agreements.len()), ("OCCG of oxon", 1));
    assert_eq!(ccg.total, figures(1_100, 70, 10));
    assert_eq!(consolidated("OCCG", &reports), None, "the CCG holds no place in July");
    assert_eq!(consolidated("NOBODY", &reports), None);
    assert_eq!(consolidated("ICB", &[]), None);
}

#[test]
#[should_panic(expected = "a consolidated view is of one month")]
fn reports_of_different_months_are_refused() {
    let (oxon, bucks) = (oxon(), bucks());
    let (m3, m4) = (report(&oxon, 3, &[]), report(&bucks, 4, &[]));
    consolidated("ICB", &[(&oxon, &m3), (&bucks, &m4)]);
}
