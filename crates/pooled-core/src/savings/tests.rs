use super::*;
use crate::plan::Plan;
use crate::report::tests::AGREEMENT;
use crate::report::{Actuals, Forecasts, monthly_report};
use crate::settlement::settle;

/// The report tests' pool (shared 50/50, the care line's budget 2,400) with one saving
/// without an agreed strategy (the council's, clause given) and one with an agreed
/// strategy. With no cost centres, every line's forecast is its budget, so the only
/// forecast variance is nil.
const SAVINGS: &str = r#"
[[pool.saving]]
id = "review"
by = "LA"
line = "care"
amount = "600"
strategy_agreed = false
clause = "para 30"

[[pool.saving]]
id = "agreed"
by = "NHS"
line = "care"
amount = "100"
strategy_agreed = true
"#;

fn agreement() -> Agreement {
    Agreement::parse(&format!("{AGREEMENT}{SAVINGS}")).unwrap_or_else(|e| panic!("{e:?}")).0
}

fn month(n: u32) -> FiscalMonth {
    FiscalMonth::new(n).unwrap()
}

fn pounds(p: i64) -> Money {
    Money::from_pounds(p).unwrap()
}

/// (saving, figure, pounds) recorded in order.
fn records(recorded: &[(&str, SavingFigure, i64)]) -> SavingRecords {
    let mut r = SavingRecords::default();
    for (saving, figure, amount) in recorded {
        r.record(saving, *figure, pounds(*amount));
    }
    r
}

#[test]
fn the_report_takes_the_latest_forecast_the_delivered_amount_at_year_end_or_assumes_full_delivery() {
    let a = agreement();
    let recorded = records(&[
        ("review", SavingFigure::Forecast(month(3)), 400),
        ("review", SavingFigure::Forecast(month(6)), 250),
        // Recorded again in M6: the second replaces the first.
        ("review", SavingFigure::Forecast(month(6)), 200),
        ("review", SavingFigure::Delivered, 0),
    ]);
    // (report month, delivery taken, basis): before M3 nothing is recorded; a forecast holds
    // until the next; the delivered amount only in M12, the year's end.
    let cases = [
        (1, 600, DeliveryBasis::AssumedInFull),
        (2, 600, DeliveryBasis::AssumedInFull),
        (3, 400, DeliveryBasis::Forecast(month(3))),
        (5, 400, DeliveryBasis::Forecast(month(3))),
        (6, 200, DeliveryBasis::Forecast(month(6))),
        (11, 200, DeliveryBasis::Forecast(month(6))),
        (12, 0, DeliveryBasis::Delivered),
    ];
    for (m, delivery, basis) in cases {
        let taken = deliveries_in_report(&a.pools()[0], &recorded, month(m));
        // Only the saving without an agreed strategy is taken.
        assert_eq!(taken.len(), 1, "M{m}");
        let d = &taken[0];
        assert_eq!((d.saving.as_str(), d.line.as_str(), d.partner), ("review", "care", 0));
        assert_eq!((d.delivery, d.basis), (pounds(delivery), basis), "M{m}");
        assert_eq!(d.shortfall(), pounds(600 - delivery), "M{m}");
        assert_eq!(d.clause, "para 30");
    }
    // Without a forecast, M12 with no delivered amount is assumed in full too.
    let none = deliveries_in_report(&a.pools()[0], &SavingRecords::default(), month(12));
    assert_eq!(none[0].basis, DeliveryBasis::AssumedInFull);
    assert_eq!(none[0].shortfall(), Money::ZERO);
    // Over-delivery forecasts no shortfall.
    let over =
        deliveries_in_report(&a.pools()[0], &records(&[("review", SavingFigure::Forecast(month(1)), 900)]), month(4));
    assert_eq!(over[0].shortfall(), Money::ZERO);
}

#[test]
fn the_forecast_risk_impact_puts_the_forecast_shortfall_on_the_partner_that_moved_the_saving() {
    let a = agreement();
    let (plan, _) = Plan::read(&a, &["code", "name", "partner", "pool", "line", "budget"], std::iter::empty()).unwrap();
    let recorded = records(&[("review", SavingFigure::Forecast(month(4)), 200)]);
    let impact = |m: u32| {
        let r = monthly_report(&a, &plan, &Actuals::new(), &Forecasts::new(), &recorded, month(m), month(1));
        let pool = &r.pools[0];
        assert_eq!(pool.savings, deliveries_in_report(&a.pools()[0], &recorded, month(m)));
        pool.risk_impact.partners.iter().map(|p| (p.total, p.parts.clone())).collect::<Vec<_>>()
    };
    // No line varies: the shortfall of 600 - 200 = 400 goes to the council under para 30 and
    // out of the shared amount, which the fixed 50/50 share splits: -200 each.
    let shortfall = pounds(400);
    let half = Money::from_pence(-shortfall.pence() / 2);
    let m4 = impact(4);
    assert_eq!(m4[0].0, shortfall + half);
    assert_eq!(m4[1].0, half);
    assert_eq!(
        (m4[0].1[0].rule, m4[0].1[0].clause.as_str(), m4[0].1[0].amount),
        (PartRule::UnagreedSaving, "para 30", shortfall)
    );
    // Before the forecast, delivery in full is assumed: nothing to carry.
    assert!(impact(3).iter().all(|(total, _)| *total == Money::ZERO));
}

#[test]
fn the_settlement_takes_what_was_delivered_and_names_each_saving_without_it() {
    let a = agreement();
    let mut outturn = Outturn::on_budget(&a);
    let forecast_only = records(&[("review", SavingFigure::Forecast(month(11)), 300)]);
    let refused = set_delivered(&mut outturn, &a, &forecast_only).unwrap_err();
    assert_eq!(
        refused,
        [
            "the settlement of t 2016-17 needs what saving `review` delivered, and none is recorded: LA moved £600.00 into \
          pool P without an agreed delivery strategy, and funds any shortfall (para 30); record what it delivered first"
        ]
    );

    // Delivered 0 is the file mode's `delivered = "0"`: the same settlement, part by part.
    set_delivered(&mut outturn, &a, &records(&[("review", SavingFigure::Delivered, 0)])).unwrap();
    // Every line on budget, as `outturn` has them.
    let mut file: String = (a.pools()[0].lines.iter())
        .map(|l| {
            format!("[[line]]\npool = \"P\"\nline = \"{}\"\noutturn = \"{}\"\n", l.id, l.budget().to_plain_string())
        })
        .collect();
    file.push_str("[[saving]]\nid = \"review\"\ndelivered = \"0\"\n");
    let (from_file, _) = Outturn::parse(&file, &a).unwrap();
    let settled = settle(&a, &outturn);
    assert_eq!(settled, settle(&a, &from_file));
    let la = &settled[0].partners[0];
    assert_eq!((la.parts[0].rule, la.parts[0].amount), (PartRule::UnagreedSaving, pounds(600)));
}

#[test]
fn only_an_unagreed_saving_of_the_agreement_takes_a_delivery_and_never_a_negative_one() {
    let a = agreement();
    let cases: &[(&str, i64, Result<&str, &str>)] = &[
        ("review", 0, Ok("review")),
        ("review", 900, Ok("review")),
        ("review", -1, Err("what saving `review` delivers cannot be negative (got -£1.00)")),
        ("nope", 10, Err("agreement t has no unagreed saving `nope` in 2016-17 (it has review)")),
        (
            "agreed",
            10,
            Err(
                "saving `agreed` has an agreed delivery strategy, so what it delivers does not change the settlement: nothing is recorded for it",
            ),
        ),
    ];
    for (saving, amount, expected) in cases {
        let got = check_record(&a, saving, pounds(*amount)).map(|s| s.id.as_str());
        assert_eq!(got, expected.map_err(str::to_string), "{saving} {amount}");
    }
}
