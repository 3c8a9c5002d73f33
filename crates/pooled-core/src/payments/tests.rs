use super::*;

const OXON_2022: &str = include_str!("../../../../examples/oxfordshire-2022-23.toml");

/// The 2022-23 agreement gives budgets without a split between the partners, so it has no
/// instalments; these tests give its Better Care Fund line the CCG as its only contributor
/// (an illustration, not the report's figure), with the CCG paying `in_advance` months ahead.
fn oxon_2022_with_ccg_contribution(in_advance: u32) -> Agreement {
    let text = OXON_2022.replacen("budget = \"69,659,000\"", "contributions = { OCCG = \"69,659,000\" }", 1)
        + &format!("\n[payments]\nfrequency = \"monthly\"\nin_advance_months = {{ OCCG = {in_advance} }}\n");
    Agreement::parse(&text).unwrap_or_else(|e| panic!("{e:?}")).0
}

/// Each instalment as `month due payer -> payee amount`.
fn rendered(agreement: &Agreement) -> Vec<String> {
    schedule(agreement)
        .iter()
        .map(|i| format!("{} {} {} -> {} {}", i.month, i.due, i.payer.id, i.payee.id, i.amount.to_plain_string()))
        .collect()
}

#[test]
fn instalments_due_from_the_succession_date_are_the_successors() {
    // 69,659,000 / 12 = 5,804,916.66 a month, the remaining 8p in M12.
    let cases: &[(u32, &[&str])] = &[
        (
            0,
            &[
                "M1 2022-04-01 OCCG -> OCC 5804916.66",
                "M2 2022-05-01 OCCG -> OCC 5804916.66",
                "M3 2022-06-01 OCCG -> OCC 5804916.66",
                "M4 2022-07-01 BOB-ICB -> OCC 5804916.66",
                "M5 2022-08-01 BOB-ICB -> OCC 5804916.66",
                "M6 2022-09-01 BOB-ICB -> OCC 5804916.66",
                "M7 2022-10-01 BOB-ICB -> OCC 5804916.66",
                "M8 2022-11-01 BOB-ICB -> OCC 5804916.66",
                "M9 2022-12-01 BOB-ICB -> OCC 5804916.66",
                "M10 2023-01-01 BOB-ICB -> OCC 5804916.66",
                "M11 2023-02-01 BOB-ICB -> OCC 5804916.66",
                "M12 2023-03-01 BOB-ICB -> OCC 5804916.74",
            ],
        ),
        (
            // A month in advance: July's instalment falls due in June, so it is the CCG's.
            1,
            &[
                "M1 2022-03-01 OCCG -> OCC 5804916.66",
                "M2 2022-04-01 OCCG -> OCC 5804916.66",
                "M3 2022-05-01 OCCG -> OCC 5804916.66",
                "M4 2022-06-01 OCCG -> OCC 5804916.66",
                "M5 2022-07-01 BOB-ICB -> OCC 5804916.66",
                "M6 2022-08-01 BOB-ICB -> OCC 5804916.66",
                "M7 2022-09-01 BOB-ICB -> OCC 5804916.66",
                "M8 2022-10-01 BOB-ICB -> OCC 5804916.66",
                "M9 2022-11-01 BOB-ICB -> OCC 5804916.66",
                "M10 2022-12-01 BOB-ICB -> OCC 5804916.66",
                "M11 2023-01-01 BOB-ICB -> OCC 5804916.66",
                "M12 2023-02-01 BOB-ICB -> OCC 5804916.74",
            ],
        ),
    ];
    for (in_advance, expected) in cases {
        let agreement = oxon_2022_with_ccg_contribution(*in_advance);
        assert_eq!(rendered(&agreement), *expected, "{in_advance} months in advance");
        // The partner stays the key whatever body holds its place.
        assert!(schedule(&agreement).iter().all(|i| agreement.partners()[i.from].id == "OCCG"));
    }
}

#[test]
fn the_2022_agreement_as_written_has_no_instalments() {
    let (agreement, _) = Agreement::parse(OXON_2022).unwrap();
    assert_eq!(rendered(&agreement), Vec::<String>::new(), "budgets without contributions are not paid in");
}

/// Three partners: a council hosting a pooled pool, an ICB that keeps its continuing
/// healthcare money, a district council that passes its grant on; and an aligned pool.
const HELD: &str = r#"format = 1
[agreement]
id = "h"
name = "Held"
financial_year = "2024-25"
start = 2024-04-01

[[partner]]
id = "LA"
name = "Council"
kind = "local-authority"

[[partner]]
id = "ICB"
name = "ICB"
kind = "nhs-commissioner"

[[partner]]
id = "DC"
name = "District"
kind = "local-authority"

[[pool]]
id = "P"
name = "Pooled"
host = "LA"
kind = "pooled"

[[pool.line]]
id = "care"
name = "Care"
contributions = { LA = "1200", ICB = "2400" }

[[pool.line]]
id = "chc"
name = "Continuing healthcare"
contributions = { ICB = "1200", LA = "120" }
held_by = "ICB"

[[pool.line]]
id = "dfg"
name = "Disabled facilities"
contributions = { DC = "600" }

[[pool]]
id = "A"
name = "Aligned"
host = "LA"
kind = "aligned"

[[pool.line]]
id = "ld"
name = "Learning disability"
lead = "ICB"
contributions = { LA = "240", ICB = "360" }

[[pool.line]]
id = "ph"
name = "Public health"
lead = "LA"
contributions = { LA = "480" }

[[pool.line]]
id = "equipment"
name = "Equipment"
risk = { borne_by = "LA" }
contributions = { DC = "12" }
"#;

#[test]
fn contributions_are_paid_to_the_partner_holding_each_line() {
    let (agreement, _) = Agreement::parse(HELD).unwrap_or_else(|e| panic!("{e:?}"));
    let instalments = schedule(&agreement);
    // Per pool, payer and payee: the year's total, M1 and M12.
    let mut totals: Vec<(String, Money, Money, Money)> = Vec::new();
    for i in &instalments {
        let key = format!("{} {} -> {}", i.pool, i.payer.id, i.payee.id);
        match totals.iter_mut().find(|(k, ..)| *k == key) {
            Some((_, total, _, m12)) => {
                *total += i.amount;
                *m12 = i.amount;
            }
            None => totals.push((key, i.amount, i.amount, i.amount)),
        }
    }
    let rendered: Vec<String> = totals
        .iter()
        .map(|(k, total, m1, m12)| {
            format!("{k} {} ({} .. {})", total.to_plain_string(), m1.to_plain_string(), m12.to_plain_string())
        })
        .collect();
    assert_eq!(
        rendered,
        [
            // The council's share of the line the ICB holds; the ICB pays nothing for it.
            "P LA -> ICB 120.00 (10.00 .. 10.00)",
            // The ICB's contribution to the line the host holds.
            "P ICB -> LA 2400.00 (200.00 .. 200.00)",
            "P DC -> LA 600.00 (50.00 .. 50.00)",
            // Aligned: the council pays the lead that holds the line; the public health
            // line is the council's own, and the equipment line its only contributor's.
            "A LA -> ICB 240.00 (20.00 .. 20.00)",
        ]
    );
    assert_eq!(instalments.len(), 4 * 12);
}

/// One partner paying `annual` to the host, `in_advance` months ahead.
fn one_payer(annual: &str, in_advance: u32) -> Agreement {
    let text = format!(
        "format = 1\n[agreement]\nid = \"v\"\nname = \"V\"\nfinancial_year = \"2016-17\"\nstart = 2016-04-01\n\
         [[partner]]\nid = \"LA\"\nname = \"Council\"\nkind = \"local-authority\"\n\
         [[partner]]\nid = \"NHS\"\nname = \"CCG\"\nkind = \"nhs-commissioner\"\n\
         [[pool]]\nid = \"P\"\nname = \"Pool\"\nhost = \"LA\"\nkind = \"pooled\"\n\
         [[pool.line]]\nid = \"care\"\nname = \"Care\"\ncontributions = {{ LA = \"1\", NHS = \"{annual}\" }}\n\
         [payments]\nfrequency = \"monthly\"\nin_advance_months = {{ NHS = {in_advance} }}\n"
    );
    Agreement::parse(&text).unwrap_or_else(|e| panic!("{e:?}")).0
}

fn months(numbers: std::ops::RangeInclusive<u32>) -> Vec<FiscalMonth> {
    numbers.map(|m| FiscalMonth::new(m).unwrap()).collect()
}

#[test]
fn a_variation_reprofiles_only_the_instalments_still_to_come() {
    let october = Date::new(2016, 10, 1).unwrap();
    // (months ahead, months invoiced or paid, new contribution, the year's instalments or the error)
    let cases = [
        // Six paid at 100; the other six share the 900 left of 1,500.
        (0, months(1..=6), "1500", Ok("100 100 100 100 100 100 150 150 150 150 150 150")),
        // 400 left over six: 66.66 each, the 4p left over in M12.
        (0, months(1..=6), "1000", Ok("100 100 100 100 100 100 66.66 66.66 66.66 66.66 66.66 66.70")),
        (0, months(1..=6), "600", Ok("100 100 100 100 100 100 0 0 0 0 0 0")),
        // A month ahead, October's instalment fell due on 1 September, under the old
        // terms: it keeps its amount though not yet invoiced; five share the 800 left.
        (1, months(1..=6), "1500", Ok("100 100 100 100 100 100 100 160 160 160 160 160")),
        // An instalment raised early is fixed too; the remainder goes to the last left.
        (0, [months(1..=6), months(12..=12)].concat(), "1000", Ok("100 100 100 100 100 100 60 60 60 60 60 100")),
        (0, months(1..=12), "1200", Ok("100 100 100 100 100 100 100 100 100 100 100 100")),
        (
            0,
            months(1..=6),
            "599.99",
            Err(
                "NHS's instalments already invoiced or paid, or due before the variation takes effect on 2016-10-01, total £600.00, more than its new contribution of £599.99 for the year: invoiced and paid instalments never change, so raise a credit note to NHS for the £0.01 overpaid, or check the new contribution",
            ),
        ),
        (
            0,
            months(1..=12),
            "1300",
            Err(
                "every one of NHS's instalments is already invoiced or paid, or due before the variation takes effect on 2016-10-01, totalling £1,200.00, and no instalment is left to take the difference from its new contribution of £1,300.00: raise an invoice to NHS for the £100.00 separately",
            ),
        ),
    ];
    for (in_advance, fixed, contribution, expected) in cases {
        let old = schedule(&one_payer("1200", in_advance));
        let old: Vec<Instalment> = old.into_iter().filter(|i| i.from == 1).collect();
        let got = reprofile(&old, &fixed, Money::parse(contribution).unwrap(), october)
            .map(|year| {
                year.iter()
                    .map(|i| i.amount.to_plain_string().trim_end_matches(".00").to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .map_err(|e| e.to_string());
        assert_eq!(got, expected.map(str::to_string).map_err(str::to_string), "{in_advance} ahead, {contribution}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn a_reprofiled_year_adds_up_exactly_and_keeps_what_is_fixed(
        old_pence in 12i64..=10_000_000_000,
        new_pence in 0i64..=10_000_000_000,
        in_advance in 0u32..=3,
        fixed_mask in 0u16..4096,
        effective_day in 0i64..365,
    ) {
        let agreement = one_payer(&Money::from_pence(old_pence).to_plain_string(), in_advance);
        let old: Vec<Instalment> = schedule(&agreement).into_iter().filter(|i| i.from == 1).collect();
        let fixed: Vec<FiscalMonth> = FiscalMonth::all().filter(|m| fixed_mask & (1 << (m.number() - 1)) != 0).collect();
        let effective = Date::new(2016, 4, 1).unwrap().add_days(effective_day).unwrap();
        let contribution = Money::from_pence(new_pence);
        let is_kept = |i: &Instalment| fixed.contains(&i.month) || i.due < effective;
        let kept: Money = old.iter().filter(|i| is_kept(i)).map(|i| i.amount).sum();
        let left = old.iter().filter(|i| !is_kept(i)).count();
        match reprofile(&old, &fixed, contribution, effective) {
            Ok(year) => {
                proptest::prop_assert_eq!(year.iter().map(|i| i.amount).sum::<Money>(), contribution);
                proptest::prop_assert_eq!(year.len(), old.len());
                let mut left_amounts = Vec::new();
                for (new, old) in year.iter().zip(&old) {
                    proptest::prop_assert_eq!((new.month, new.due, new.from, new.to), (old.month, old.due, old.from, old.to));
                    if is_kept(old) {
                        proptest::prop_assert_eq!(new.amount, old.amount, "{} is kept", old.month);
                    } else {
                        proptest::prop_assert!(new.amount >= Money::ZERO);
                        left_amounts.push(new.amount.pence());
                    }
                }
                // Equal shares, the last taking the pence left over (fewer than the count).
                if let Some((last, rest)) = left_amounts.split_last() {
                    proptest::prop_assert!(rest.iter().all(|a| *a == left_amounts[0]));
                    proptest::prop_assert!((0..left_amounts.len() as i64).contains(&(last - left_amounts[0])));
                }
            }
            Err(ReprofileError::Overpaid { kept: k, .. }) => {
                proptest::prop_assert!(kept > contribution);
                proptest::prop_assert_eq!(k, kept);
            }
            Err(ReprofileError::NothingLeft { .. }) => {
                proptest::prop_assert!(left == 0 && kept < contribution);
            }
        }
    }
}

fn check_recorded(raised: Option<&str>, paid: Option<&str>, expected: Result<(), &str>) {
    let date = |text: &str| Date::parse_iso(text).expect("date");
    let got = check_recorded_dates(raised.map(date), paid.map(date));
    assert_eq!(got, expected.map_err(str::to_string), "raised {raised:?}, paid {paid:?}");
}

#[test]
fn an_instalment_is_never_paid_before_it_was_raised() {
    check_recorded(None, None, Ok(()));
    check_recorded(Some("2016-04-01"), None, Ok(()));
    check_recorded(None, Some("2016-04-01"), Ok(()));
    check_recorded(Some("2016-04-01"), Some("2016-04-01"), Ok(()));
    check_recorded(Some("2016-04-01"), Some("2016-04-20"), Ok(()));
    check_recorded(
        Some("2016-04-20"),
        Some("2016-04-01"),
        Err("the instalment cannot be paid on 2016-04-01, before it was raised on 2016-04-20"),
    );
}
