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
