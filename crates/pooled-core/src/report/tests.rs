use super::*;
use crate::agreement::Agreement;

/// Two partners sharing one pool 50/50 (the savings' tests add savings to it).
pub(crate) const AGREEMENT: &str = r#"format = 1
[agreement]
id = "t"
name = "Test"
financial_year = "2016-17"
start = 2016-04-01

[[partner]]
id = "LA"
name = "Council"
kind = "local-authority"

[[partner]]
id = "NHS"
name = "CCG"
kind = "nhs-commissioner"

[[pool]]
id = "P"
name = "Pool"
host = "LA"
kind = "pooled"
risk_share = { basis = "fixed", shares = { LA = "50", NHS = "50" } }

[[pool.line]]
id = "care"
name = "Care"
segment = "Age Well"
contributions = { LA = "1200", NHS = "1200" }

[[pool.line]]
id = "bcf"
name = "BCF"
segment = "Age Well"
contributions = { NHS = "600" }
risk = { borne_by = "NHS" }

[[pool.line]]
id = "ld"
name = "LD"
segment = "Live Well"
contributions = { LA = "120" }
"#;

/// code, partner, line, budget (pounds).
const PLAN: &[(&str, &str, &str, &str)] =
    &[("C1", "LA", "care", "1200"), ("C2", "NHS", "care", "1100"), ("B1", "NHS", "bcf", "600")];

/// The report of AGREEMENT with `reporting` (a `[reporting]` table, or nothing) added.
fn report(month: u32, actuals: &[(&str, u32, i64)], forecasts: &[(&str, u32, i64)], reporting: &str) -> MonthlyReport {
    report_of(&format!("{AGREEMENT}\n{reporting}"), month, actuals, forecasts)
}

/// The report of an agreement with PLAN's cost centres.
fn report_of(
    agreement: &str,
    month: u32,
    actuals: &[(&str, u32, i64)],
    forecasts: &[(&str, u32, i64)],
) -> MonthlyReport {
    let f: Forecasts = forecasts
        .iter()
        .map(|(c, m, p)| {
            let entered = EnteredForecast { outturn: Money::from_pence(*p), confirmed_below_actual: false };
            ((c.to_string(), FiscalMonth::new(*m).unwrap()), entered)
        })
        .collect();
    report_entered(agreement, month, actuals, &f, 1)
}

/// [`report_of`], with the forecasts as entered and the latest version's budgets in
/// force from `budgets_from`.
fn report_entered(
    agreement: &str,
    month: u32,
    actuals: &[(&str, u32, i64)],
    f: &Forecasts,
    budgets_from: u32,
) -> MonthlyReport {
    let (agreement, _) = Agreement::parse(agreement).unwrap_or_else(|e| panic!("{e:?}"));
    let header = ["code", "name", "partner", "pool", "line", "budget"];
    let records = PLAN.iter().enumerate().map(|(i, (code, partner, line, budget))| {
        Ok((i as u64 + 2, [*code, *code, *partner, "P", *line, *budget].map(String::from).to_vec()))
    });
    let (plan, _) = Plan::read(&agreement, &header, records).unwrap();
    let mut a = Actuals::new();
    for (code, m, pence) in actuals {
        a.entry(code.to_string()).or_insert([Money::ZERO; 12])[*m as usize - 1] += Money::from_pence(*pence);
    }
    let (month, from) = (FiscalMonth::new(month).unwrap(), FiscalMonth::new(budgets_from).unwrap());
    monthly_report(&agreement, &plan, &a, f, &SavingRecords::default(), month, from)
}

/// One line per row: level, name, budget, to date, actual, forecast, variance, change, basis, flag.
fn render(r: &MonthlyReport) -> Vec<String> {
    let f = |level: &str, name: &str, x: &Figures| {
        format!(
            "{level} {name}: {} {} {} {} {} {} {}{}",
            x.annual_budget.to_plain_string(),
            x.budget_to_date.to_plain_string(),
            x.actual_to_date.to_plain_string(),
            x.forecast_outturn.to_plain_string(),
            x.variance.to_plain_string(),
            x.change.map_or("-".into(), |c| c.to_plain_string()),
            x.basis.name(),
            x.action_plan.map_or(String::new(), |flag| format!(" ACTION ({})", r.cite(flag)))
        )
    };
    let mut out = Vec::new();
    for pool in &r.pools {
        out.push(f("pool", &pool.id, &pool.figures));
        for s in &pool.segments {
            out.push(f(" segment", s.name.as_deref().unwrap_or("-"), &s.figures));
            for l in &s.lines {
                out.push(f("  line", &l.id, &l.figures));
                for c in &l.cost_centres {
                    out.push(f("   cc", c.code.as_deref().unwrap_or("unallocated"), &c.figures));
                }
            }
        }
        let impact: Vec<String> = pool.risk_impact.partners.iter().map(|p| p.total.to_plain_string()).collect();
        out.push(format!("impact LA {} NHS {}", impact[0], impact[1]));
    }
    out
}

#[test]
fn run_rate_entered_forecasts_and_unallocated_budget() {
    // M3: C1 spent 330 to date (run rate 1320), C2 entered 1000, B1 spent 150 in M2 (run rate 600).
    let r = report(
        3,
        &[("C1", 1, 10_000), ("C1", 2, 11_000), ("C1", 3, 12_000), ("B1", 2, 15_000)],
        &[("C2", 3, 100_000)],
        "",
    );
    assert_eq!(
        render(&r),
        [
            // Without a line threshold, only the pool's forecast overspend needs an action plan.
            "pool P: 3120.00 779.97 480.00 3140.00 20.00 760.00 mixed ACTION (action plans)",
            " segment Age Well: 3000.00 749.97 480.00 3020.00 20.00 760.00 mixed",
            "  line care: 2400.00 599.97 330.00 2420.00 20.00 1060.00 mixed",
            // M2 run rate 1260 (variance 60), M3 1320 (120): change 60.
            "   cc C1: 1200.00 300.00 330.00 1320.00 120.00 60.00 run-rate",
            // 1100 / 12 = 91.66 a month; nothing spent by M2 made a run rate of 0 (variance -1100).
            "   cc C2: 1100.00 274.98 0.00 1000.00 -100.00 1000.00 entered",
            "   cc unallocated: 100.00 24.99 0.00 100.00 0.00 0.00 unallocated",
            // M2 run rate 150 * 6 = 900 (variance 300), M3 600 (0): change -300.
            "  line bcf: 600.00 150.00 150.00 600.00 0.00 -300.00 run-rate",
            "   cc B1: 600.00 150.00 150.00 600.00 0.00 -300.00 run-rate",
            " segment Live Well: 120.00 30.00 0.00 120.00 0.00 0.00 unallocated",
            "  line ld: 120.00 30.00 0.00 120.00 0.00 0.00 unallocated",
            "   cc unallocated: 120.00 30.00 0.00 120.00 0.00 0.00 unallocated",
            // Shared care +20 split 50/50; the BCF is borne by the CCG.
            "impact LA 10.00 NHS 10.00",
        ]
    );
    assert_eq!(
        r.warnings,
        [
            "line `care` of pool `P`: its cost centres' budgets sum to £2,300.00, its budget is £2,400.00, a difference of -£100.00",
            "line `ld` of pool `P`: its cost centres' budgets sum to £0.00, its budget is £120.00, a difference of -£120.00",
        ]
    );
}

#[test]
fn action_plans_for_any_pool_variance_and_lines_from_the_threshold() {
    // M1 on flat profiles: C1 spends 103.33 of 100 to date (run rate 1239.96, care +39.96),
    // C2 91.66 of 91.66 (1100, on budget), B1 50 of 50 (600, bcf on budget): care's forecast
    // variance is 39.96 on a budget of 2400 (1.665%), the pool's the same.
    let actuals = [("C1", 1, 10_333), ("C2", 1, 9_166), ("B1", 1, 5_000)];
    let flags = |reporting: &str| {
        let r = report(1, &actuals, &[], reporting);
        assert_eq!(r.pools[0].segments[0].lines[0].cost_centres[0].figures.change, None, "no change in M1");
        render(&r)
            .into_iter()
            .filter_map(|row| {
                Some(row.split_once(" ACTION ")?.1.to_string())
                    .map(|f| format!("{} {f}", row.split(':').next().unwrap_or_default().trim()))
            })
            .collect::<Vec<_>>()
    };
    let threshold = |t: &str| format!("[reporting]\nline_threshold = {{ {t} }}\n");
    let cases: &[(String, &[&str])] = &[
        ("".into(), &["pool P (action plans)"]),
        (threshold("amount = \"39.96\""), &["pool P (action plans)", "line care (materiality threshold)"]),
        (threshold("amount = \"39.97\""), &["pool P (action plans)"]),
        // 39.96 / 2400 = 1.665%: reached at 1.66%, not at 1.67%.
        (threshold("percent = \"1.66\""), &["pool P (action plans)", "line care (materiality threshold)"]),
        (threshold("percent = \"1.67\""), &["pool P (action plans)"]),
        // Either is enough.
        (
            threshold("amount = \"250000\", percent = \"1\", clause = \"Sch 4 3.5 (materiality)\""),
            &["pool P (action plans)", "line care (Sch 4 3.5 (materiality))"],
        ),
        // A line on budget is never flagged, whatever the threshold.
        (threshold("amount = \"0.01\""), &["pool P (action plans)", "line care (materiality threshold)"]),
    ];
    for (reporting, expected) in cases {
        assert_eq!(flags(reporting), *expected, "{reporting}");
    }
    let r = report(1, &actuals, &[], &threshold("amount = \"250000\", percent = \"2\""));
    assert_eq!(
        r.flagging(),
        "any forecast over- or underspend of a pooled fund (action plans); a line's from £250,000.00 or 2% of its budget (materiality threshold)"
    );
    assert_eq!(
        report(1, &actuals, &[], "").flagging(),
        "any forecast over- or underspend of a pooled fund (action plans)"
    );
}

#[test]
fn an_aligned_pool_is_not_a_pooled_fund() {
    let aligned = AGREEMENT
        .replace(
            "kind = \"pooled\"\nrisk_share = { basis = \"fixed\", shares = { LA = \"50\", NHS = \"50\" } }",
            "kind = \"aligned\"",
        )
        .replace(
            "segment = \"Age Well\"\ncontributions = { LA",
            "segment = \"Age Well\"\nlead = \"LA\"\ncontributions = { LA",
        )
        .replace("segment = \"Live Well\"", "segment = \"Live Well\"\nlead = \"LA\"");
    let r = report_of(&aligned, 1, &[("C1", 1, 10_333)], &[]);
    assert_eq!(r.pools[0].figures.variance.to_plain_string(), "-1660.04", "C2 and B1 spent nothing");
    assert_eq!(r.pools[0].figures.action_plan, None);
}

#[test]
fn run_rate_follows_the_budget_profile() {
    let max = i64::MAX;
    // actual to date, budget to date, annual budget (pence) -> forecast outturn.
    let cases: &[(&str, i64, i64, i64, i64)] = &[
        // A grant paid mostly in March: 5% profiled by M1, spent on profile less 10.00.
        ("seasonal", 49_000, 50_000, 1_000_000, 980_000),
        ("seasonal, truncated toward zero", 100, 700, 1_200, 171),
        // 1200.00 flat, M3: the straight line, 330 * 12 / 3.
        ("flat", 33_000, 30_000, 120_000, 132_000),
        // 1100.00 flat is 91.66 a month, the leftover 0.08 in M12: on profile by M1 forecasts
        // the budget, where the straight line gave 91.66 * 12 = 1099.92.
        ("flat, uneven split", 9_166, 9_166, 110_000, 110_000),
        // Nothing profiled yet: the whole budget is still to come, on top of any spending.
        ("nothing profiled, nothing spent", 0, 0, 500_000, 500_000),
        ("nothing profiled, spent early", 2_500, 0, 500_000, 502_500),
        ("nothing profiled, no budget", 100, 0, 0, 100),
        ("refunds", -500, 10_000, 120_000, -6_000),
        ("refunds, truncated toward zero", -100, 700, 1_200, -171),
        ("income line (negative budget)", -10_000, -30_000, -120_000, -40_000),
        ("beyond money's range, over", max, 1, max, max),
        ("beyond money's range, under", -max, 1, max, i64::MIN),
        ("nothing profiled, beyond money's range", max, 0, max, max),
    ];
    for (case, actual, to_date, annual, expected) in cases {
        let [actual, to_date, annual] = [*actual, *to_date, *annual].map(Money::from_pence);
        assert_eq!(run_rate(actual, to_date, annual), Money::from_pence(*expected), "{case}");
    }
}

#[test]
fn each_month_is_headed_by_the_bodies_of_its_last_day() {
    let (agreement, _) = Agreement::parse(include_str!("../../../../examples/oxfordshire-2022-23.toml")).unwrap();
    let header = ["code", "name", "partner", "pool", "line", "budget"];
    let (plan, _) = Plan::read(&agreement, &header, std::iter::empty()).unwrap();
    let headed = |month: u32| {
        let none = (Actuals::new(), Forecasts::new(), SavingRecords::default());
        let (month, m1) = (FiscalMonth::new(month).unwrap(), FiscalMonth::new(1).unwrap());
        let r = monthly_report(&agreement, &plan, &none.0, &none.1, &none.2, month, m1);
        let impact: Vec<&str> = r.pools[0].risk_impact.partners.iter().map(|p| p.body.id.as_str()).collect();
        (r.bodies.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(" "), impact.join(" "))
    };
    // The ICB holds the CCG's place from 1 July 2022 (2022 para 31): June is the CCG's month,
    // July the ICB's.
    let cases = [(1, "OCC OCCG"), (3, "OCC OCCG"), (4, "OCC BOB-ICB"), (12, "OCC BOB-ICB")];
    for (month, expected) in cases {
        assert_eq!(headed(month), (expected.to_string(), expected.to_string()), "M{month}");
    }
}

#[test]
fn budget_a_variation_adds_to_a_line_is_spread_from_the_month_it_takes_effect() {
    // Care grows by 600 from October (M7), before the plan is reloaded: the budget not
    // allocated to a cost centre (the 100 care had, and the 600 more) falls in the six
    // months from October; the cost centres' months before it are as they were.
    let varied = AGREEMENT.replace(
        "contributions = { LA = \"1200\", NHS = \"1200\" }",
        "contributions = { LA = \"1200\", NHS = \"1800\" }",
    );
    let line = |r: &MonthlyReport| {
        let care = &r.pools[0].segments[0].lines[0];
        let unallocated = care.cost_centres.last().unwrap();
        assert_eq!(unallocated.code, None);
        (
            care.figures.annual_budget.pence(),
            care.figures.budget_to_date.pence(),
            unallocated.figures.budget_to_date.pence(),
        )
    };
    // (month, budgets from, annual budget, to date, unallocated to date)
    let cases = [
        // The plan allocates 2,300 of care's 2,400 evenly: 191.66 a month, 191.74 in March.
        (6, 1, 240_000, 6 * 19_166 + 6 * 833, 6 * 833),
        (6, 7, 300_000, 6 * 19_166, 0),
        (7, 7, 300_000, 7 * 19_166 + 11_666, 11_666),
        (12, 7, 300_000, 300_000, 70_000),
    ];
    for (month, from, annual, to_date, unallocated) in cases {
        let r = report_entered(
            &varied.replace("1800", if from == 1 { "1200" } else { "1800" }),
            month,
            &[],
            &Forecasts::new(),
            from,
        );
        assert_eq!(line(&r), (annual, to_date, unallocated), "M{month}, budgets from M{from}");
    }
}

#[test]
fn a_forecast_below_the_actual_to_date_needs_a_confirmation_and_is_marked() {
    let m5 = FiscalMonth::new(5).unwrap();
    // (forecast, actual to date, confirmed) in pence -> below, or the refusal.
    let refusal = |f: &str, a: &str| {
        format!(
            "the forecast outturn {f} for C1 is below its actual to date at M5, {a}: confirm that it is meant \
             (refunds or credits still to come) to enter it"
        )
    };
    let cases = [
        (100, 200, false, Err(refusal("£1.00", "£2.00"))),
        (100, 200, true, Ok(true)),
        (200, 200, false, Ok(false)),
        (300, 200, true, Ok(false)),
        (-50, -10, false, Err(refusal("-£0.50", "-£0.10"))),
    ];
    for (outturn, actual, confirmed, expected) in cases {
        let got = check_forecast("C1", m5, Money::from_pence(outturn), Money::from_pence(actual), confirmed);
        assert_eq!(got, expected, "{outturn} {actual} {confirmed}");
    }

    // The report marks the confirmed forecast on its cost centre only, never on a total.
    let key = |code: &str| (code.to_string(), m5);
    let f: Forecasts = [
        (key("C1"), EnteredForecast { outturn: Money::from_pence(100), confirmed_below_actual: true }),
        (key("C2"), EnteredForecast { outturn: Money::from_pence(50_000), confirmed_below_actual: false }),
    ]
    .into_iter()
    .collect();
    let r = report_entered(AGREEMENT, 5, &[("C1", 1, 200)], &f, 1);
    let marked: Vec<String> = r.pools[0]
        .flat_rows()
        .into_iter()
        .filter(|row| row.figures.confirmed_below_actual)
        .map(|row| row.label)
        .collect();
    assert_eq!(marked, ["C1 C1"]);
}
