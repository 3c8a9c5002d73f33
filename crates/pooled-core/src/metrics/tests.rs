use super::*;

fn d(text: &str) -> Decimal {
    Decimal::parse(text).unwrap()
}

fn figure(text: &str) -> Option<Figure> {
    (!text.is_empty()).then(|| Figure::parse(text).unwrap())
}

#[test]
fn status_rule() {
    let check = |plan: &str, actual: &str, direction: Direction, expected: Status| {
        assert_eq!(
            status(figure(plan), figure(actual), direction),
            expected,
            "plan {plan:?} actual {actual:?} {direction:?}"
        );
    };
    use Direction::{Higher, Lower};
    use Status::{NotAvailable, NotOnTrack, OnTrack};
    check("100", "99.9", Lower, OnTrack);
    check("100", "100.0", Lower, OnTrack);
    check("100", "100.01", Lower, NotOnTrack);
    check("85.5", "85.50", Higher, OnTrack);
    check("85.5", "85.4", Higher, NotOnTrack);
    check("85.5", "90", Higher, OnTrack);
    check("-2", "-3", Lower, OnTrack);
    check("100", "not available", Lower, NotAvailable);
    check("not available", "90", Lower, NotAvailable);
    check("100", "", Higher, NotAvailable);
    check("", "100", Higher, NotAvailable);
}

#[test]
fn decimals_parse_exactly_or_say_why() {
    let check = |text: &str, expected: Result<(i64, u8), &str>| {
        let got = Decimal::parse(text).map(|v| (v.units(), v.scale()));
        match expected {
            Ok(units) => assert_eq!(got, Ok(units), "{text}"),
            Err(why) => assert!(got.as_ref().is_err_and(|e| e.contains(why)), "{text}: {got:?}"),
        }
    };
    check("20400", Ok((20400, 0)));
    check("20,400", Ok((20400, 0)));
    check("1,234,567.5", Ok((12_345_675, 1)));
    check("-3.25", Ok((-325, 2)));
    check("85.5%", Ok((855, 1)));
    check("0.0001", Ok((1, 4)));
    check("0.00001", Err("more than 4 decimal places"));
    check("2,04", Err("expected a number"));
    check("1e3", Err("expected a number"));
    check("12.", Err("expected a number"));
    check("", Err("expected a number"));
    check("99999999999999999", Err("more than"));
}

#[test]
fn decimal_arithmetic_rounds_half_away_from_zero() {
    let check =
        |got: Option<Decimal>, expected: &str| assert_eq!(got.map(|v| v.to_string()).as_deref(), Some(expected));
    check(Decimal::mean(&[d("1"), d("2")], 1), "1.5");
    check(Decimal::mean(&[d("1"), d("1"), d("2")], 1), "1.3");
    check(Decimal::mean(&[d("0.25"), d("0.2")], 1), "0.2"); // 0.225 -> 0.2
    check(Decimal::mean(&[d("0.25"), d("0.26")], 1), "0.3"); // 0.255 -> 0.3
    check(Decimal::mean(&[d("-0.05")], 1), "-0.1");
    check(d("20400").percent(d("10"), 2), "2040.00");
    check(d("1020").percent_of(d("2040"), 1), "50.0");
    check(d("1").percent_of(d("3"), 1), "33.3");
    check(d("2").percent_of(d("3"), 1), "66.7");
    check(d("100").times_fraction(3, 4, 1), "75.0");
    assert_eq!(d("1.50"), d("1.5"));
    assert_eq!(d("20400.5").grouped(), "20,400.5");
    assert_eq!(d("-1234567").grouped(), "-1,234,567");
    assert_eq!(Decimal::mean(&[], 1), None);
    assert_eq!(d("1").percent_of(d("0"), 1), None);
}

#[test]
fn periods_parse_and_fall_in_quarters() {
    let year = FinancialYear::parse("2016-17").unwrap();
    let check = |text: &str, quarter: Option<u8>, first: &str, last: &str| {
        let p = MetricPeriod::parse(text).unwrap();
        assert_eq!(p.quarter(), quarter, "{text}");
        let (a, b) = p.days(year);
        assert_eq!((a.to_string(), b.to_string()), (first.to_string(), last.to_string()), "{text}");
        assert_eq!(MetricPeriod::parse(&p.to_string()), Ok(p));
    };
    check("W1", Some(1), "2016-04-01", "2016-04-07");
    check("w13", Some(1), "2016-06-24", "2016-06-30");
    check("W14", Some(2), "2016-07-01", "2016-07-07");
    check("W52", Some(4), "2017-03-24", "2017-03-31");
    check("M3", Some(1), "2016-06-01", "2016-06-30");
    check("M10", Some(4), "2017-01-01", "2017-01-31");
    check("Q2", Some(2), "2016-07-01", "2016-09-30");
    check("year", None, "2016-04-01", "2017-03-31");
    for bad in ["W0", "W53", "M13", "Q5", "", "X1", "Ω"] {
        assert!(MetricPeriod::parse(bad).is_err(), "{bad}");
    }
}

/// The home support measure's terms of the 2016 agreement (paras 33 and 36).
fn oxfordshire_terms() -> HomeSupport {
    HomeSupport { baseline_hours: d("20400"), growth_percent: d("10"), new_hours_a_week: d("270"), budget_line: None }
}

/// Weekly rows: (week, new hours, hours commissioned); a blank is not entered.
fn weekly(rows: &[(u8, &str, &str)]) -> (BTreeMap<MetricPeriod, Figure>, BTreeMap<MetricPeriod, Figure>) {
    let (mut new, mut total) = (BTreeMap::new(), BTreeMap::new());
    for (week, n, t) in rows {
        if let Some(f) = figure(n) {
            new.insert(MetricPeriod::Week(*week), f);
        }
        if let Some(f) = figure(t) {
            total.insert(MetricPeriod::Week(*week), f);
        }
    }
    (new, total)
}

/// Renders a quarter as the board sees it, to compare with the table's expectation.
fn quarter_line(q: &HomeSupportQuarter) -> String {
    let show = |d: Option<Decimal>| d.map_or("-".into(), |d| d.to_string());
    format!(
        "Q{} weeks {} avg {} ({}) latest {} growth {} progress {}% of due {}% ({})",
        q.quarter,
        q.weeks_reported,
        show(q.average_new_hours),
        q.new_hours_status.words(),
        q.latest_week.map_or("-".into(), |(w, v)| format!("W{w}={v}")),
        show(q.growth_hours),
        show(q.progress_percent),
        q.progress_due_percent,
        q.progress_status.words(),
    )
}

#[test]
fn home_support_quarterly_figures_from_weekly_data() {
    let check = |rows: &[(u8, &str, &str)], expected: [&str; 4]| {
        let (new, total) = weekly(rows);
        let got: Vec<String> =
            home_support_quarters(&oxfordshire_terms(), &new, &total).iter().map(quarter_line).collect();
        assert_eq!(got, expected);
    };
    // Nothing entered: every quarter not available.
    check(
        &[],
        [
            "Q1 weeks 0 avg - (not available) latest - growth - progress -% of due 25.0% (not available)",
            "Q2 weeks 0 avg - (not available) latest - growth - progress -% of due 50.0% (not available)",
            "Q3 weeks 0 avg - (not available) latest - growth - progress -% of due 75.0% (not available)",
            "Q4 weeks 0 avg - (not available) latest - growth - progress -% of due 100.0% (not available)",
        ],
    );
    // Q1: three weeks averaging 270 exactly and growth of 510 hours: a quarter of 2,040.
    // Q2: a week not available is not counted; the average falls short; the latest week
    // with hours commissioned is the quarter's progress. Q3 reports only hours.
    check(
        &[
            (1, "260", "20500"),
            (2, "280", "20700"),
            (13, "270", "20910"),
            (14, "250", "21000"),
            (15, "not available", "not available"),
            (20, "255.5", "21300"),
            (30, "", "21930"),
        ],
        [
            "Q1 weeks 3 avg 270.0 (on track) latest W13=20910 growth 510 progress 25.0% of due 25.0% (on track)",
            "Q2 weeks 2 avg 252.8 (not on track) latest W20=21300 growth 900 progress 44.1% of due 50.0% (not on track)",
            "Q3 weeks 0 avg - (not available) latest W30=21930 growth 1530 progress 75.0% of due 75.0% (on track)",
            "Q4 weeks 0 avg - (not available) latest - growth - progress -% of due 100.0% (not available)",
        ],
    );
    // Hours below the baseline: negative growth and progress.
    check(
        &[(40, "300", "20196"), (52, "300", "22440")],
        [
            "Q1 weeks 0 avg - (not available) latest - growth - progress -% of due 25.0% (not available)",
            "Q2 weeks 0 avg - (not available) latest - growth - progress -% of due 50.0% (not available)",
            "Q3 weeks 0 avg - (not available) latest - growth - progress -% of due 75.0% (not available)",
            "Q4 weeks 2 avg 300.0 (on track) latest W52=22440 growth 2040 progress 100.0% of due 100.0% (on track)",
        ],
    );
    let (new, total) = weekly(&[(40, "300", "20196")]);
    let q4 = &home_support_quarters(&oxfordshire_terms(), &new, &total)[3];
    assert_eq!(
        quarter_line(q4),
        "Q4 weeks 1 avg 300.0 (on track) latest W40=20196 growth -204 progress -10.0% of due 100.0% (not on track)"
    );
}

#[test]
fn bundled_national_sets_parse() {
    assert_eq!(national::ids(), ["bcf-2021-22", "bcf-2023-25", "bcf-2025-26"]);
    let ids = |set: &str| -> Vec<String> { national::set(set).unwrap().metrics.iter().map(|m| m.id.clone()).collect() };
    assert_eq!(
        ids("bcf-2021-22"),
        [
            "avoidable-admissions",
            "length-of-stay-14",
            "length-of-stay-21",
            "discharge-normal-residence",
            "residential-admissions-65",
            "reablement-91-days"
        ]
    );
    assert_eq!(
        ids("bcf-2023-25"),
        [
            "avoidable-admissions",
            "discharge-usual-residence",
            "falls-65",
            "residential-admissions-65",
            "reablement-91-days"
        ]
    );
    assert_eq!(ids("bcf-2025-26"), ["emergency-admissions-65", "discharge-delays", "care-home-admissions-65"]);
    assert!(national::set("bcf-1999").is_none());
}

#[test]
fn a_series_plan_is_the_one_entered_else_the_target() {
    let series = Series {
        id: "k".into(),
        name: "K".into(),
        unit: "%".into(),
        direction: Direction::Higher,
        frequency: Frequency::Quarter,
        target: Some(d("80")),
        partner: None,
        cited: "para 1".into(),
        definition: None,
    };
    let mut figures = Figures::default();
    figures.plans.insert(MetricPeriod::Quarter(2), Figure::Value(d("85")));
    figures.actuals.insert(MetricPeriod::Quarter(1), Figure::Value(d("81")));
    figures.actuals.insert(MetricPeriod::Quarter(2), Figure::Value(d("82")));
    figures.actuals.insert(MetricPeriod::Quarter(3), Figure::NotAvailable);
    let got: Vec<String> = standings(&series, &figures)
        .iter()
        .map(|s| {
            format!(
                "{} {:?} {:?} {}",
                s.period,
                s.plan.map(|f| f.to_string()),
                s.actual.map(|f| f.to_string()),
                s.status.words()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "Q1 Some(\"80\") Some(\"81\") on track",
            "Q2 Some(\"85\") Some(\"82\") not on track",
            "Q3 Some(\"80\") Some(\"not available\") not available",
            "Q4 Some(\"80\") None not available",
        ]
    );
    assert_eq!(latest(&standings(&series, &figures)).map(|s| s.period), Some(MetricPeriod::Quarter(3)));
    // As at a day: the latest period ended by then with an actual.
    let year = FinancialYear::parse("2016-17").unwrap();
    let by = |day: &str| {
        latest_by(&standings(&series, &figures), year, Date::parse_iso(day).unwrap()).map(|s| s.period.to_string())
    };
    for (day, expected) in [
        ("2016-06-29", None),
        ("2016-06-30", Some("Q1")),
        ("2016-11-30", Some("Q2")),
        ("2016-12-31", Some("Q3")),
        ("2017-03-31", Some("Q3")),
    ] {
        assert_eq!(by(day).as_deref(), expected, "{day}");
    }
}
