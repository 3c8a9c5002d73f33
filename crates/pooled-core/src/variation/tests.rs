use super::*;
use crate::payments::{ReprofileError, schedule, schedule_across};

const OXFORDSHIRE: &str = include_str!("../../../../examples/oxfordshire-2016-17.toml");

/// The agreement's tests' small agreement, the NHS paying a month ahead; each test varies it.
fn base_text() -> String {
    format!(
        "{}\n[payments]\nfrequency = \"monthly\"\nin_advance_months = {{ NHS = 1 }}\n",
        crate::agreement::tests::BASE
    )
}

fn parse(text: &str) -> Agreement {
    Agreement::parse(text).unwrap_or_else(|e| panic!("{e:?}")).0
}

/// [`base_text`] with each `(from, to)` replaced (each `from` must occur exactly once).
fn varied(edits: &[(&str, &str)]) -> Agreement {
    let mut text = base_text();
    for (from, to) in edits {
        assert_eq!(text.matches(from).count(), 1, "`{from}` must occur once");
        text = text.replacen(from, to, 1);
    }
    parse(&text)
}

fn words(old: &Agreement, new: &Agreement) -> Vec<String> {
    Diff::between(old, new).words()
}

fn day(text: &str) -> Date {
    Date::parse_iso(text).unwrap()
}

#[test]
fn each_change_is_worded_pool_by_pool() {
    let base = parse(&base_text());
    let line = "\n[[pool.line]]\nid = \"new\"\nname = \"New\"\ncontributions = { LA = 1 }\n";
    let cases: Vec<(Agreement, Vec<&str>)> = vec![
        (base.clone(), vec![]),
        // A contribution raised: the line, the partner's total, the pool and the shares.
        (
            varied(&[("NHS = \"900\"", "NHS = \"1,000.50\"")]),
            vec![
                "pool P (A pool) / budget: £2,400.00 -> £2,500.50 (+£100.50)",
                "pool P / line main / contribution NHS: £900.00 -> £1,000.50",
                "pool P / NHS's contribution: £1,400.00 -> £1,500.50 (+£100.50)",
                "pool P / risk share: LA 55.00% -> 52.37%, NHS 45.00% -> 47.63%",
            ],
        ),
        // A line added at the end, and a term that is not a line's funding.
        (
            parse(
                &base_text()
                    .replace("\n[payments]", &format!("{line}\n[payments]"))
                    .replace("income = { LA = \"100\" }", ""),
            ),
            vec![
                "pool P (A pool) / budget: £2,400.00 -> £2,401.00 (+£1.00)",
                "pool P / line new (New) added, budget £1.00",
                "pool P / line new / contribution LA: £0.00 -> £1.00",
                "pool P / LA's contribution: £1,000.00 -> £1,001.00 (+£1.00)",
                "pool P / risk share: LA 55.00% -> 52.66%, NHS 45.00% -> 47.34%",
                "pool P / income LA: £100.00 -> (removed)",
                "pool P / line new / risk: (added) -> shared, in base true",
                "pool P / line new / held by: (added) -> LA",
            ],
        ),
        // A line renamed: nothing else moves.
        (
            varied(&[("name = \"BCF\"", "name = \"Better Care Fund\"")]),
            vec!["pool P / line bcf renamed: BCF -> Better Care Fund"],
        ),
        // A line removed.
        (
            varied(&[(
                "[[pool.line]]\nid = \"bcf\"\nname = \"BCF\"\ncontributions = { NHS = \"500\" }\nrisk = { borne_by = \"NHS\" }\n",
                "",
            )]),
            vec![
                "pool P (A pool) / budget: £2,400.00 -> £1,900.00 (-£500.00)",
                "pool P / line bcf (BCF) removed, its budget was £500.00",
                "pool P / line bcf / contribution NHS: £500.00 -> £0.00",
                "pool P / NHS's contribution: £1,400.00 -> £900.00 (-£500.00)",
                "pool P / line bcf / risk: borne by NHS, in base false -> (removed)",
                "pool P / line bcf / held by: LA -> (removed)",
            ],
        ),
    ];
    for (new, expected) in cases {
        let got = words(&base, &new);
        assert_eq!(got, expected, "{new:?}");
        assert_eq!(Diff::between(&base, &new).is_empty(), expected.is_empty());
    }
}

#[test]
fn budget_moved_between_lines_is_a_virement() {
    let base = parse(&base_text());
    // 200 moves from main (LA's part of it) to bcf (as LA's contribution): the pool stays 2,400.
    let new = varied(&[
        ("LA = \"1000\", NHS = \"900\"", "LA = \"800\", NHS = \"900\""),
        ("{ NHS = \"500\" }", "{ LA = \"200\", NHS = \"500\" }"),
    ]);
    let diff = Diff::between(&base, &new);
    let pool = &diff.pools[0];
    assert_eq!(
        pool.virement,
        Some(Virement {
            amount: Money::from_pounds(200).unwrap(),
            from: vec![("main".into(), Money::from_pounds(200).unwrap())],
            to: vec![("bcf".into(), Money::from_pounds(200).unwrap())],
        })
    );
    assert!(pool.contributions.is_empty(), "each partner's total is unchanged");
    assert_eq!(
        diff.words(),
        [
            "pool P / virement: £200.00 moved from main (£200.00) to bcf (£200.00); the pool's budget stays £2,400.00",
            "pool P / line main / contribution LA: £1,000.00 -> £800.00",
            "pool P / line bcf / contribution LA: £0.00 -> £200.00",
            // bcf is out of the risk-share base, so LA's base falls by the 200.
            "pool P / risk share: LA 55.00% -> 50.00%, NHS 45.00% -> 50.00%",
        ]
    );
    // A change of the pool's total is not a virement, even when lines move both ways.
    let grown = varied(&[
        ("LA = \"1000\", NHS = \"900\"", "LA = \"800\", NHS = \"900\""),
        ("{ NHS = \"500\" }", "{ LA = \"201\", NHS = \"500\" }"),
    ]);
    assert_eq!(Diff::between(&base, &grown).pools[0].virement, None);
    // Contributions swapped between partners on one line move no budget between lines.
    let swapped = varied(&[("LA = \"1000\", NHS = \"900\"", "LA = \"900\", NHS = \"1000\"")]);
    assert_eq!(Diff::between(&base, &swapped).pools[0].virement, None);
}

#[test]
fn the_risk_share_before_and_after_is_given_for_every_pool() {
    let (old, new) =
        (parse(OXFORDSHIRE), parse(&OXFORDSHIRE.replace("{ OCC = \"2,100,000\" }", "{ OCC = \"2,200,000\" }")));
    let diff = Diff::between(&old, &new);
    assert_eq!(diff.pools.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["OP", "LD", "MH", "PD"]);
    assert_eq!(diff.pools.iter().filter(|p| p.changed()).count(), 1);
    let shares = |pool: &PoolDiff| -> Vec<String> {
        pool.shares
            .iter()
            .map(|s| format!("{} {} {}", s.partner, percent(s.share.before), percent(s.share.after)))
            .collect()
    };
    // The home support growth is OCC's and shared: its base grows by £100,000.
    assert_eq!(shares(&diff.pools[0]), ["OCC 50.24% 50.27%", "OCCG 49.76% 49.73%"]);
    assert_eq!(shares(&diff.pools[1]), ["OCC 85.10% 85.10%", "OCCG 14.90% 14.90%"]);
    assert!(diff.other.is_empty());
}

#[test]
fn budgets_change_from_the_month_a_version_takes_effect() {
    let a = parse(&base_text());
    let cases = [
        (None, 1),
        (Some("2016-10-01"), 7),
        (Some("2016-10-15"), 7),
        (Some("2017-03-31"), 12),
        (Some("2016-04-01"), 1),
    ];
    for (effective, month) in cases {
        assert_eq!(
            Version { agreement: &a, effective: effective.map(day) }.budgets_from().number(),
            month,
            "{effective:?}"
        );
    }
}

/// The instalments of one payer and pool, amounts in pence, M1 to M12.
fn amounts(year: &[crate::payments::Instalment], agreement: &Agreement, pool: &str, from: &str) -> Vec<i64> {
    year.iter()
        .filter(|i| i.pool == pool && agreement.partners()[i.from].id == from)
        .map(|i| i.amount.pence())
        .collect()
}

#[test]
fn a_variation_effective_1_october_keeps_the_six_paid_and_adds_up_to_the_new_contribution() {
    let old = parse(OXFORDSHIRE);
    // The CCG's contribution to Older People rises by £1,200,000.
    let new = parse(&OXFORDSHIRE.replace("OCCG = \"85,206,000\"", "OCCG = \"86,406,000\""));
    let paid =
        |_: usize, pool: &str, from: &str, month: FiscalMonth| pool == "OP" && from == "OCCG" && month.number() <= 6;
    let versions =
        [Version { agreement: &old, effective: None }, Version { agreement: &new, effective: Some(day("2016-10-01")) }];
    let year = schedule_across(&versions, &paid).unwrap();
    let before = amounts(&schedule(&old), &old, "OP", "OCCG");
    let after = amounts(&year, &new, "OP", "OCCG");
    // The six paid and October's (due on 1 September, a month ahead) stay as they were.
    assert_eq!(after[..7], before[..7]);
    let contribution = new.pool("OP").unwrap().contributions(2)[1];
    assert_eq!(after.iter().sum::<i64>(), contribution.pence());
    // The five left share what remains equally; the pence left over go to March.
    let left = contribution.pence() - before[..7].iter().sum::<i64>();
    assert_eq!(after[7..11], [left / 5; 4]);
    assert_eq!(after[11], left - left / 5 * 4);
    // Every other instalment is as the schedule of either version has it (they agree).
    for (pool, from) in [("LD", "OCCG"), ("PD", "OCCG"), ("MH", "OCC")] {
        assert_eq!(amounts(&year, &new, pool, from), amounts(&schedule(&new), &new, pool, from), "{pool} {from}");
    }
    assert_eq!(year.len(), schedule(&new).len());
}

#[test]
fn versions_apply_in_turn_and_a_restated_year_starts_again() {
    let one = parse(&base_text());
    let two = varied(&[("NHS = \"900\"", "NHS = \"1,500\"")]);
    let three = varied(&[("NHS = \"900\"", "NHS = \"1,200\"")]);
    let nothing = |_: usize, _: &str, _: &str, _: FiscalMonth| false;
    let year = |versions: &[Version], agreement: &Agreement| {
        amounts(&schedule_across(versions, &nothing).unwrap(), agreement, "P", "NHS")
    };
    let v = |a, effective: Option<&str>| Version { agreement: a, effective: effective.map(day) };
    // NHS pays 1,400 a year a month ahead: 116.66 a month, 116.74 in March.
    assert_eq!(year(&[v(&one, None)], &one), [[11666; 11].as_slice(), &[11674]].concat());
    // From 1 July (M1 to M4 fell due by 1 June: kept), then from 1 January (M5 to M10,
    // due by 1 December, kept at the second version's amounts).
    let twice = year(&[v(&one, None), v(&two, Some("2016-07-01")), v(&three, Some("2017-01-01"))], &three);
    let after_july = (200_000 - 4 * 11666) / 8;
    let kept = 4 * 11666 + 6 * after_july;
    assert_eq!(twice[..4], [11666; 4]);
    assert_eq!(twice[4..10], [after_july; 6]);
    assert_eq!(twice[10], (170_000 - kept) / 2);
    assert_eq!(twice.iter().sum::<i64>(), 170_000);
    // A version with no effective day restates the year: its own schedule.
    assert_eq!(
        year(&[v(&one, None), v(&two, Some("2016-07-01")), v(&three, None)], &three),
        year(&[v(&three, None)], &three)
    );
}

#[test]
fn partners_who_start_or_stop_paying_with_a_variation() {
    // A third partner joins from 1 October, paying 600 to the host.
    let joined = parse(
        &base_text()
            .replace(
                "[[pool]]",
                "[[partner]]\nid = \"DC\"\nname = \"A District\"\nkind = \"local-authority\"\n\n[[pool]]",
            )
            .replace("LA = \"1000\", NHS = \"900\"", "LA = \"1000\", NHS = \"900\", DC = \"600\""),
    );
    let base = parse(&base_text());
    let nothing = |_: usize, _: &str, _: &str, _: FiscalMonth| false;
    let october = Some(day("2016-10-01"));
    let year = schedule_across(
        &[Version { agreement: &base, effective: None }, Version { agreement: &joined, effective: october }],
        &nothing,
    )
    .unwrap();
    assert_eq!(amounts(&year, &joined, "P", "DC"), [[0; 6].as_slice(), &[10_000; 6]].concat());
    // NHS stops contributing from 1 October: what it paid before is more than nothing.
    let stopped =
        varied(&[("LA = \"1000\", NHS = \"900\"", "LA = \"1000\""), ("{ NHS = \"500\" }", "{ LA = \"500\" }")]);
    let got = schedule_across(
        &[Version { agreement: &base, effective: None }, Version { agreement: &stopped, effective: october }],
        &nothing,
    );
    assert!(matches!(got, Err(ReprofileError::Overpaid { ref payer, .. }) if payer == "NHS"), "{got:?}");
}

#[test]
fn what_was_invoiced_under_a_variation_stays_through_the_next() {
    let one = parse(&base_text());
    let two = varied(&[("NHS = \"900\"", "NHS = \"1,500\"")]);
    let three = varied(&[("NHS = \"900\"", "NHS = \"1,200\"")]);
    // M6 (due 1 August) was invoiced after the second version, at its amount; the third,
    // from 1 August, keeps it though it is not due before its day.
    let invoiced = |v: usize, _: &str, from: &str, month: FiscalMonth| v == 2 && from == "NHS" && month.number() == 6;
    let v = |a, effective: &str| Version { agreement: a, effective: Some(day(effective)) };
    let versions = [Version { agreement: &one, effective: None }, v(&two, "2016-07-01"), v(&three, "2016-08-01")];
    let year = amounts(&schedule_across(&versions, &invoiced).unwrap(), &three, "P", "NHS");
    let second = amounts(&schedule_across(&versions[..2], &invoiced).unwrap(), &two, "P", "NHS");
    assert_eq!(year[..6], second[..6]);
    assert_eq!(year.iter().sum::<i64>(), 170_000);
    // A version that leaves a contribution as it was leaves its instalments alone, the
    // pence over in March included.
    let renamed = varied(&[("name = \"BCF\"", "name = \"Better Care Fund\"")]);
    let same = [Version { agreement: &one, effective: None }, v(&renamed, "2016-11-01")];
    assert_eq!(
        amounts(&schedule_across(&same, &invoiced).unwrap(), &renamed, "P", "NHS"),
        amounts(&schedule(&one), &one, "P", "NHS")
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Two variations in turn: whenever the year can be re-profiled, each partner's year adds
    /// up to its latest contribution, and what was fixed or due before a variation keeps the
    /// amount it had then.
    #[test]
    fn a_year_varied_twice_adds_up_and_keeps_what_was_fixed(
        second in 0i64..=5_000_000,
        third in 0i64..=5_000_000,
        days in (0i64..365, 0i64..365),
        fixed_mask in 0u16..4096,
    ) {
        let pounds = |pence: i64| crate::money::Money::from_pence(pence).to_plain_string();
        let one = parse(&base_text());
        let two = varied(&[("NHS = \"900\"", &format!("NHS = \"{}\"", pounds(second)))]);
        let three = varied(&[("NHS = \"900\"", &format!("NHS = \"{}\"", pounds(third)))]);
        let start = Date::new(2016, 4, 1).unwrap();
        let (early, late) = (days.0.min(days.1), days.0.max(days.1));
        let v = |a, d: i64| Version { agreement: a, effective: Some(start.add_days(d).unwrap()) };
        let fixed = |v: usize, _: &str, from: &str, month: FiscalMonth| {
            from == "NHS" && fixed_mask & (1 << (month.number() - 1)) != 0 && v >= 2
        };
        let versions = [Version { agreement: &one, effective: None }, v(&two, early), v(&three, late)];
        if let (Ok(before), Ok(year)) = (schedule_across(&versions[..2], &fixed), schedule_across(&versions, &fixed)) {
            let nhs = |a: &Agreement, y: &[crate::payments::Instalment]| -> Vec<crate::payments::Instalment> {
                y.iter().filter(|i| a.partners()[i.from].id == "NHS" && i.pool == "P").cloned().collect()
            };
            let (before, year) = (nhs(&two, &before), nhs(&three, &year));
            let contribution = three.pool("P").unwrap().contributions(2)[1];
            proptest::prop_assert_eq!(year.iter().map(|i| i.amount).sum::<crate::money::Money>(), contribution);
            for (was, now) in before.iter().zip(&year) {
                if fixed(2, "P", "NHS", was.month) || was.due < versions[2].effective.unwrap() {
                    proptest::prop_assert_eq!(was.amount, now.amount, "{} kept", was.month);
                }
            }
        }
    }
}
