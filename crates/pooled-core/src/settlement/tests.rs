use super::*;
use crate::agreement::Funding;
use crate::money::MAX_TOTAL_PENCE;
use crate::payments::{Entry, EntryKind, InstalmentAccount, Recording, TrackedInstalment, schedule};
use crate::percent::hundred;
use proptest::prelude::*;

const AGREEMENT: &str = r#"format = 1

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
risk_share = { basis = "fixed", shares = { LA = "60", NHS = "40" } }

[[pool.line]]
id = "care"
name = "Care"
contributions = { LA = "1000", NHS = "1000" }

[[pool.line]]
id = "home"
name = "Home support"
contributions = { LA = "300" }

[[pool.line]]
id = "bcf"
name = "BCF"
contributions = { NHS = "500" }
risk = { borne_by = "NHS" }
clause = "Sch 3 A.2"

[[pool.rule]]
id = "claw"
kind = "underspend-clawback"
line = "home"
to = "NHS"
cap = "200"

[[pool.saving]]
id = "save"
by = "LA"
line = "care"
amount = "100"
strategy_agreed = false

[[pool]]
id = "AL"
name = "Aligned"
host = "LA"
kind = "aligned"

[[pool.line]]
id = "kids"
name = "Children"
lead = "LA"
budget = "700"
"#;

/// Settles the test agreement with outturns (pounds) for care, home, bcf, kids, the saving
/// delivered, and whether the clawback is waived; renders each partner's parts.
fn check(outturns: [&str; 4], delivered: &str, waive: bool, expected: &[&str]) {
    let waive = if waive { "waive = [\"claw\"]\n" } else { "" };
    let lines = ["P care", "P home", "P bcf", "AL kids"];
    let mut text = waive.to_string();
    for (line, outturn) in lines.iter().zip(outturns) {
        let (pool, line) = line.split_once(' ').unwrap();
        text.push_str(&format!("[[line]]\npool = \"{pool}\"\nline = \"{line}\"\noutturn = \"{outturn}\"\n"));
    }
    text.push_str(&format!("[[saving]]\nid = \"save\"\ndelivered = \"{delivered}\"\n"));
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let (outturn, _) = Outturn::parse(&text, &agreement).unwrap();
    let mut got = Vec::new();
    for pool in settle(&agreement, &outturn) {
        got.push(format!("{} variance {}", pool.pool, pool.variance.to_plain_string()));
        for p in &pool.partners {
            let parts: Vec<String> = p
                .parts
                .iter()
                .map(|part| {
                    format!(
                        "{} {} [{}] {}",
                        part.rule.name(),
                        part.line.as_deref().unwrap_or("-"),
                        part.clause,
                        part.amount.to_plain_string()
                    )
                })
                .collect();
            got.push(format!(
                "  {}: {} = {}",
                agreement.partners()[p.partner].id,
                p.total.to_plain_string(),
                parts.join("; ")
            ));
        }
    }
    assert_eq!(got, expected);
}

#[test]
fn every_rule_in_one_settlement() {
    check(
        ["2150", "150", "520", "690"],
        "40",
        false,
        &[
            // care +150, home -150, bcf +20: variance 20.
            "P variance 20.00",
            // S = 150 - 150 (home) + 150 (clawback) - 60 (saving shortfall) = 90, split 60/40.
            "  LA: 114.00 = unagreed-saving care [unagreed saving] 60.00; shared - [fixed risk share] 54.00",
            "  NHS: -94.00 = borne-by bcf [Sch 3 A.2] 20.00; clawback home [underspend clawback] -150.00; shared - [fixed risk share] 36.00",
            "AL variance -10.00",
            "  LA: -10.00 = lead kids [lead commissioner] -10.00",
            "  NHS: 0.00 = ",
        ],
    );
}

#[test]
fn clawback_is_capped() {
    // Home support underspent by 250, cap 200: the CCG recoups 200; the rest is shared.
    check(
        ["2000", "50", "500", "700"],
        "100",
        false,
        &[
            "P variance -250.00",
            "  LA: -30.00 = shared - [fixed risk share] -30.00",
            "  NHS: -220.00 = borne-by bcf [Sch 3 A.2] 0.00; clawback home [underspend clawback] -200.00; shared - [fixed risk share] -20.00",
            "AL variance 0.00",
            "  LA: 0.00 = lead kids [lead commissioner] 0.00",
            "  NHS: 0.00 = ",
        ],
    );
}

#[test]
fn waived_clawback_and_delivered_saving_leave_everything_shared() {
    check(
        ["2000", "200", "500", "700"],
        "100",
        true,
        &[
            "P variance -100.00",
            "  LA: -60.00 = shared - [fixed risk share] -60.00",
            "  NHS: -40.00 = borne-by bcf [Sch 3 A.2] 0.00; shared - [fixed risk share] -40.00",
            "AL variance 0.00",
            "  LA: 0.00 = lead kids [lead commissioner] 0.00",
            "  NHS: 0.00 = ",
        ],
    );
}

#[test]
fn overdelivered_saving_and_overspent_home_support() {
    // No clawback on an overspend; a saving delivered beyond its amount has no shortfall.
    check(
        ["2000.01", "300.02", "499.99", "700.01"],
        "150",
        false,
        &[
            "P variance 0.02",
            "  LA: 0.02 = shared - [fixed risk share] 0.02",
            "  NHS: 0.00 = borne-by bcf [Sch 3 A.2] -0.01; shared - [fixed risk share] 0.01",
            "AL variance 0.01",
            "  LA: 0.01 = lead kids [lead commissioner] 0.01",
            "  NHS: 0.00 = ",
        ],
    );
}

#[test]
fn invoices_settle_each_pool_with_its_host() {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let render = |outturns: [&str; 4]| {
        let mut outturn = Outturn::on_budget(&agreement);
        for ((pool, line), value) in [("P", "care"), ("P", "home"), ("P", "bcf"), ("AL", "kids")].iter().zip(outturns) {
            outturn.set_line(&agreement, pool, line, Money::parse(value).unwrap());
        }
        outturn.set_delivered("save", Money::from_pence(10_000));
        invoices(&agreement, &settle(&agreement, &outturn), &[])
            .iter()
            .map(|i| {
                let id = |ix: usize| agreement.partners()[ix].id.as_str();
                format!("{}: {} pays {} {}", i.pool, id(i.payer), id(i.payee), i.amount.to_plain_string())
            })
            .collect::<Vec<_>>()
    };
    // Care overspent by 100, shared 60/40: the CCG pays the council, the host, its 40.
    assert_eq!(render(["2100", "300", "500", "700"]), ["P: NHS pays LA 40.00"]);
    // BCF underspent by 50 (borne by the CCG) and care by 100: the host repays 40 + 50.
    assert_eq!(render(["1900", "300", "450", "700"]), ["P: LA pays NHS 90.00"]);
    // On budget: nothing to settle; the aligned pool's variance is the host's own.
    assert_eq!(render(["2000", "300", "500", "800"]), Vec::<String>::new());
}

/// Months by number: `1..=12`.
type Months = std::ops::RangeInclusive<u32>;

/// The schedule with each instalment of `months` from the CCG invoiced on its due date
/// and, of those in `paid`, paid in full.
fn tracked_ccg(agreement: &Agreement, months: Months, paid: Months) -> Vec<TrackedInstalment> {
    schedule(agreement)
        .into_iter()
        .map(|instalment| {
            let m = instalment.month.number();
            let mut entries = Vec::new();
            if months.contains(&m) {
                entries.push(Entry { kind: EntryKind::Invoice, on: instalment.due, amount: instalment.amount });
                if paid.contains(&m) {
                    entries.push(Entry { kind: EntryKind::Payment, on: instalment.due, amount: instalment.amount });
                }
            }
            TrackedInstalment { account: InstalmentAccount::new(&entries), instalment }
        })
        .collect()
}

#[test]
fn invoices_net_off_instalments_still_outstanding() {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    // The CCG contributes 1,000 + 500 to pool P held by the council: 125 a month.
    let render = |care: &str, tracked: &[TrackedInstalment]| {
        let mut outturn = Outturn::on_budget(&agreement);
        outturn.set_line(&agreement, "P", "care", Money::parse(care).unwrap());
        outturn.set_delivered("save", Money::from_pence(10_000));
        let id = |ix: usize| agreement.partners()[ix].id.as_str();
        invoices(&agreement, &settle(&agreement, &outturn), tracked)
            .iter()
            .map(|i| {
                let parts: Vec<String> = i
                    .parts
                    .iter()
                    .map(|p| {
                        format!("{}: {} to {} {}", p.kind.words(), id(p.payer), id(p.payee), p.amount.to_plain_string())
                    })
                    .collect();
                format!(
                    "{}: {} pays {} {} ({})",
                    i.pool,
                    id(i.payer),
                    id(i.payee),
                    i.amount.to_plain_string(),
                    parts.join("; ")
                )
            })
            .collect::<Vec<_>>()
    };
    // (care's outturn, months invoiced, months paid, the invoices)
    let cases: [(&str, Months, Months, &[&str]); 6] = [
        // Every instalment paid: the settlement alone.
        ("2100", 1..=12, 1..=12, &["P: NHS pays LA 40.00 (settlement: NHS to LA 40.00)"]),
        // M11 and M12 invoiced and unpaid: the CCG owes them and its overspend share.
        (
            "2100",
            1..=12,
            1..=10,
            &["P: NHS pays LA 290.00 (settlement: NHS to LA 40.00; unpaid instalments M11 M12: NHS to LA 250.00)"],
        ),
        // An underspend: the council repays the CCG its 40 share, net of the 250 unpaid.
        (
            "1900",
            1..=12,
            1..=10,
            &["P: NHS pays LA 210.00 (settlement: LA to NHS 40.00; unpaid instalments M11 M12: NHS to LA 250.00)"],
        ),
        // More repaid than is unpaid: the council pays the difference.
        (
            "1000",
            1..=12,
            1..=11,
            &["P: LA pays NHS 275.00 (settlement: LA to NHS 400.00; unpaid instalments M12: NHS to LA 125.00)"],
        ),
        // On budget, M12 unpaid.
        ("2000", 1..=12, 1..=11, &["P: NHS pays LA 125.00 (unpaid instalments M12: NHS to LA 125.00)"]),
        // M12 not yet invoiced is not netted: it is owed once invoiced.
        ("2000", 1..=11, 1..=11, &[]),
    ];
    for (care, invoiced, paid, expected) in cases {
        let tracked = tracked_ccg(&agreement, invoiced.clone(), paid.clone());
        assert_eq!(render(care, &tracked), expected, "{care} {invoiced:?} {paid:?}");
    }
}

#[test]
fn outturn_amounts_may_add_up_to_at_most_100_trillion() {
    // An aligned pool of 1,001 lines on no budget, each with an outturn of £100bn, the most
    // one amount may be: the 1,001st passes £100tn and is refused where it is written.
    let lines: String =
        (0..1001).map(|i| format!("[[pool.line]]\nid = \"l{i}\"\nname = \"L\"\nlead = \"LA\"\nbudget = 0\n")).collect();
    let agreement = format!(
        "format = 1\n[agreement]\nid = \"a\"\nname = \"A\"\nfinancial_year = \"2016-17\"\nstart = 2016-04-01\n\
         [[partner]]\nid = \"LA\"\nname = \"L\"\nkind = \"local-authority\"\n\
         [[partner]]\nid = \"NHS\"\nname = \"N\"\nkind = \"nhs-commissioner\"\n\
         [[pool]]\nid = \"P\"\nname = \"P\"\nhost = \"LA\"\nkind = \"aligned\"\n{lines}"
    );
    let (agreement, _) = Agreement::parse(&agreement).unwrap();
    let outturn: String =
        (0..1001).map(|i| format!("[[line]]\npool = \"P\"\nline = \"l{i}\"\noutturn = 100_000_000_000\n")).collect();
    let errors: Vec<String> =
        Outturn::parse(&outturn, &agreement).unwrap_err().iter().map(|d| d.render("o.toml", &outturn)).collect();
    assert_eq!(
        errors,
        [
            "o.toml:4004:11: error: the amounts add up to more than £100,000,000,000,000.00 (each counted as positive), more than pooled can add up exactly; no public budget comes near it"
        ]
    );
    // With one of them nil they come to exactly £100tn, which settles.
    let within = outturn.replacen("outturn = 100_000_000_000", "outturn = 0", 1);
    let (o, _) = Outturn::parse(&within, &agreement).unwrap();
    assert_eq!(settle(&agreement, &o)[0].variance, Money::from_pence(MAX_TOTAL_PENCE));
}

#[test]
#[should_panic(expected = "the partners' totals sum to the pool's variance")]
fn a_settlement_that_does_not_add_up_is_refused_as_a_bug() {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let mut settled = settle(&agreement, &Outturn::on_budget(&agreement)).remove(0);
    settled.variance += Money::from_pence(1);
    settled.outturn += Money::from_pence(1);
    settled.assert_sums();
}

#[test]
#[should_panic(expected = "total is the sum of its parts")]
fn a_partner_total_that_is_not_its_parts_is_refused_as_a_bug() {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    let mut settled = settle(&agreement, &Outturn::on_budget(&agreement)).remove(0);
    settled.partners[0].total += Money::from_pence(1);
    settled.assert_sums();
}

fn outturn_errors(text: &str) -> Vec<String> {
    let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
    match Outturn::parse(text, &agreement) {
        Ok((_, warnings)) => warnings,
        Err(errors) => errors,
    }
    .iter()
    .map(|d| d.render("o.toml", text))
    .collect()
}

#[test]
fn outturn_file_errors() {
    let all = "[[line]]\npool = \"P\"\nline = \"care\"\noutturn = 1\n[[line]]\npool = \"P\"\nline = \"home\"\noutturn = 1\n[[line]]\npool = \"P\"\nline = \"bcf\"\noutturn = 1\n[[line]]\npool = \"AL\"\nline = \"kids\"\noutturn = \"-5\"\n[[saving]]\nid = \"save\"\ndelivered = 1\n";
    assert_eq!(outturn_errors(all), Vec::<String>::new());
    let check = |text: &str, expected: &[&str]| assert_eq!(outturn_errors(text), expected, "{text}");
    check(
        &all.replace("pool = \"AL\"", "pool = \"XX\""),
        &[
            "o.toml:14:8: error: unknown pool `XX` (pools are P, AL)",
            // A missing entry is pointed at the end of the file, where it would be added.
            "o.toml:20:1: error: no outturn for line `kids` of pool `AL`: every line needs one",
        ],
    );
    check(
        &all.replace("line = \"bcf\"", "line = \"care\""),
        &[
            "o.toml:11:8: error: line `care` of pool `P` is given twice (first on line 3)",
            "o.toml:20:1: error: no outturn for line `bcf` of pool `P`: every line needs one",
        ],
    );
    check(
        &all.replace("line = \"bcf\"", "line = \"nope\""),
        &[
            "o.toml:11:8: error: unknown line `nope` in pool `P`",
            "o.toml:20:1: error: no outturn for line `bcf` of pool `P`: every line needs one",
        ],
    );
    check(&format!("waive = [\"nope\"]\n{all}"), &["o.toml:1:10: error: unknown rule `nope` in `waive`"]);
    check(
        &all.replace("outturn = \"-5\"", "outturn = 5.5"),
        &[
            "o.toml:16:11: error: amount `5.5` is a float, which cannot hold pence exactly: write it as a string, e.g. \"5.5\"",
        ],
    );
    check(
        &all.replace("[[saving]]\nid = \"save\"\ndelivered = 1\n", ""),
        &[
            "o.toml:17:1: error: no `delivered` for saving `save`, which has no agreed strategy: its shortfall falls to the partner that moved it into the pool",
        ],
    );
    check(
        &all.replace("delivered = 1", "delivered = \"-1\""),
        &["o.toml:19:13: error: a delivered saving cannot be negative (got -£1.00)"],
    );
    check(
        &all.replace("id = \"save\"", "id = \"other\""),
        &[
            "o.toml:18:6: error: unknown saving `other`",
            "o.toml:20:1: error: no `delivered` for saving `save`, which has no agreed strategy: its shortfall falls to the partner that moved it into the pool",
        ],
    );
    check(
        &format!("budget = 1\n{all}"),
        &["o.toml:1:1: error: unknown field `budget`, expected one of `waive`, `line`, `saving`"],
    );
}

// ---- properties over generated agreements ----

/// A generated agreement: `partners` partners; pools of lines with awkward contributions
/// (pence), some lines borne by one partner, some with a clawback, a saving, income.
#[derive(Debug, Clone)]
struct Generated {
    text: String,
    outturn: String,
}

fn generated() -> impl Strategy<Value = Generated> {
    (2usize..=5).prop_flat_map(|partners| {
        let line = (
            prop::collection::vec(0i64..=5_000_000_000, partners), // contributions in pence
            prop::option::weighted(0.3, 0..partners),              // borne by
            -2_000_000_000i64..=2_000_000_000,                     // variance in pence
            prop::option::weighted(0.3, 0..partners),              // held by
        );
        let pool = (
            prop::collection::vec(line, 1..5),
            prop::collection::vec(0i64..=1_000_000_000, partners), // income
            any::<bool>(),                                         // fixed shares?
            prop::collection::vec(1u64..=1000, partners),          // weights for fixed shares
            prop::option::of((0..partners, 0i64..=500_000_000)),   // clawback to, cap
            prop::option::of((0..partners, 0i64..=300_000_000, 0i64..=300_000_000)), // saving by, amount, delivered
            0..partners,                                           // host
            any::<bool>(),                                         // waive the clawback
        );
        (prop::collection::vec(pool, 1..4), 0u32..=3)
            .prop_map(move |(pools, advance)| render(partners, &pools, advance))
    })
}

type GenLine = (Vec<i64>, Option<usize>, i64, Option<usize>);
type GenPool = (Vec<GenLine>, Vec<i64>, bool, Vec<u64>, Option<(usize, i64)>, Option<(usize, i64, i64)>, usize, bool);

fn pounds(pence: i64) -> String {
    Money::from_pence(pence).to_plain_string()
}

fn render(partners: usize, pools: &[GenPool], advance: u32) -> Generated {
    let pid = |i: usize| format!("P{i}");
    let mut t = String::from(
        "format = 1\n[agreement]\nid = \"g\"\nname = \"Generated\"\nfinancial_year = \"2024-25\"\nstart = 2024-04-01\n",
    );
    for i in 0..partners {
        t.push_str(&format!("[[partner]]\nid = \"{}\"\nname = \"Partner {i}\"\nkind = \"other\"\n", pid(i)));
    }
    let mut o = String::new();
    for (k, (lines, income, fixed, weights, clawback, saving, host, waive)) in pools.iter().enumerate() {
        t.push_str(&format!(
            "[[pool]]\nid = \"pool{k}\"\nname = \"Pool {k}\"\nhost = \"{}\"\nkind = \"pooled\"\n",
            pid(*host)
        ));
        if *fixed {
            // Fixed shares from weights, made to sum to exactly 100.00.
            let shares = crate::percent::proportional_shares(weights, 2).unwrap();
            let cells: Vec<String> = shares.iter().enumerate().map(|(i, s)| format!("{} = \"{s}\"", pid(i))).collect();
            t.push_str(&format!("risk_share = {{ basis = \"fixed\", shares = {{ {} }} }}\n", cells.join(", ")));
        }
        let cells: Vec<String> =
            income.iter().enumerate().map(|(i, c)| format!("{} = \"{}\"", pid(i), pounds(*c))).collect();
        t.push_str(&format!("income = {{ {} }}\n", cells.join(", ")));
        for (l, (contributions, borne_by, variance, held_by)) in lines.iter().enumerate() {
            let cells: Vec<String> =
                contributions.iter().enumerate().map(|(i, c)| format!("{} = \"{}\"", pid(i), pounds(*c))).collect();
            // Line 0 is always shared so that rules have a shared line to sit on.
            let risk = match borne_by {
                Some(p) if l > 0 => format!("risk = {{ borne_by = \"{}\" }}\n", pid(*p)),
                _ => String::new(),
            };
            let held = held_by.map_or(String::new(), |p| format!("held_by = \"{}\"\n", pid(p)));
            t.push_str(&format!(
                "[[pool.line]]\nid = \"l{l}\"\nname = \"Line {l}\"\ncontributions = {{ {} }}\n{risk}{held}",
                cells.join(", ")
            ));
            let budget: i64 = contributions.iter().sum();
            o.push_str(&format!(
                "[[line]]\npool = \"pool{k}\"\nline = \"l{l}\"\noutturn = \"{}\"\n",
                pounds(budget + variance)
            ));
        }
        if let Some((to, cap)) = clawback {
            t.push_str(&format!(
                "[[pool.rule]]\nid = \"claw{k}\"\nkind = \"underspend-clawback\"\nline = \"l0\"\nto = \"{}\"\ncap = \"{}\"\n",
                pid(*to),
                pounds(*cap)
            ));
            if *waive {
                o.insert_str(0, &format!("waive = [\"claw{k}\"]\n"));
            }
        }
        if let Some((by, amount, delivered)) = saving {
            t.push_str(&format!(
                "[[pool.saving]]\nid = \"save{k}\"\nby = \"{}\"\nline = \"l0\"\namount = \"{}\"\nstrategy_agreed = false\n",
                pid(*by),
                pounds(*amount)
            ));
            o.push_str(&format!("[[saving]]\nid = \"save{k}\"\ndelivered = \"{}\"\n", pounds(*delivered)));
        }
    }
    // `waive` must come before any table in TOML; move it to the top.
    let (waives, rest): (Vec<&str>, Vec<&str>) = o.lines().partition(|l| l.starts_with("waive"));
    let waived: Vec<String> =
        waives.iter().map(|w| w.trim_start_matches("waive = [").trim_end_matches(']').to_string()).collect();
    let mut outturn = if waived.is_empty() { String::new() } else { format!("waive = [{}]\n", waived.join(", ")) };
    outturn.push_str(&rest.join("\n"));
    outturn.push('\n');
    t.push_str(&format!("[payments]\nfrequency = \"monthly\"\nin_advance_months = {{ {} = {advance} }}\n", pid(0)));
    Generated { text: t, outturn }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn outturn_parsing_never_panics(text in "\\PC{0,300}", cut in 0usize..400) {
        let (agreement, _) = Agreement::parse(AGREEMENT).unwrap();
        let mangled: String = format!("[[line]]\npool = \"P\"\nline = \"care\"\noutturn = \"1\"\n{text}").chars().take(cut).collect();
        for input in [&text, &mangled] {
            if let Err(errors) = Outturn::parse(input, &agreement) {
                prop_assert!(errors.iter().any(|e| e.is_error()));
            }
        }
    }

    #[test]
    fn settlements_shares_and_payments_are_exact(g in generated()) {
        // A pool whose every partner contributes nothing and has no income has no base;
        // the parser refuses it, which is right, so such cases are skipped.
        let Ok((agreement, _)) = Agreement::parse(&g.text) else {
            let errors = Agreement::parse(&g.text).unwrap_err();
            prop_assert!(errors.iter().all(|e| e.message.contains("no risk-share base")), "{:?}\n{}", errors, g.text);
            return Ok(());
        };
        let (outturn, _) = Outturn::parse(&g.outturn, &agreement).map_err(|e| TestCaseError::fail(format!("{e:?}\n{}", g.outturn)))?;

        for pool in agreement.pools() {
            let share = crate::risk_share::risk_share(&agreement, pool).unwrap();
            prop_assert_eq!(share.shares.iter().map(|p| p.units()).sum::<u64>(), hundred(2));
        }
        for pool in settle(&agreement, &outturn) {
            let mut sum = Money::ZERO;
            for p in &pool.partners {
                prop_assert_eq!(p.total, p.parts.iter().map(|part| part.amount).sum::<Money>());
                sum += p.total;
            }
            prop_assert_eq!(sum, pool.variance, "pool {}", pool.pool);
        }
        // Every partner pays, in all, exactly its contributions to lines another partner
        // holds, and each holder is paid exactly what the others contribute to its lines.
        let instalments = schedule(&agreement);
        for pool in agreement.pools() {
            for partner in 0..agreement.partners().len() {
                let (mut owes, mut owed) = (Money::ZERO, Money::ZERO);
                for line in &pool.lines {
                    let Funding::Contributions(c) = &line.funding else { continue };
                    if line.held_by != partner {
                        owes += c[partner];
                    } else {
                        owed += c.iter().enumerate().filter(|(p, _)| *p != partner).map(|(_, c)| *c).sum::<Money>();
                    }
                }
                let of_pool = || instalments.iter().filter(|i| i.pool == pool.id);
                prop_assert_eq!(of_pool().filter(|i| i.from == partner).map(|i| i.amount).sum::<Money>(), owes);
                prop_assert_eq!(of_pool().filter(|i| i.to == partner).map(|i| i.amount).sum::<Money>(), owed);
                prop_assert!(of_pool().all(|i| i.from != i.to));
            }
        }

        // Netting keeps every partner's position: per pool, what each receives less what it
        // pays over the invoices is what the settlement moves to it less what it owes on
        // unpaid instalments; and each invoice's amount is its parts netted.
        let settled = settle(&agreement, &outturn);
        let tracked: Vec<TrackedInstalment> = instalments
            .iter()
            .enumerate()
            .map(|(n, instalment)| {
                let on = instalment.due;
                let recording = match n % 4 {
                    0 => Recording { raised_on: Some(on), ..Recording::default() },
                    1 => Recording { raised_on: Some(on), paid_on: Some(on), amount: None },
                    2 => Recording { raised_on: Some(on), paid_on: Some(on), amount: Some(Money::from_pence(instalment.amount.pence() / 3)) },
                    _ => Recording::default(),
                };
                let account = InstalmentAccount::new(&InstalmentAccount::default().record(instalment.amount, recording).unwrap_or_default());
                TrackedInstalment { instalment: instalment.clone(), account }
            })
            .collect();
        let netted = invoices(&agreement, &settled, &tracked);
        for (pool, settlement) in agreement.pools().iter().zip(&settled) {
            for partner in 0..agreement.partners().len() {
                let of_pool = || netted.iter().filter(|i| i.pool == pool.id);
                let position = |payer: usize, payee: usize, amount: Money| {
                    if payee == partner { amount } else if payer == partner { -amount } else { Money::ZERO }
                };
                let net: Money = of_pool().map(|i| position(i.payer, i.payee, i.amount)).sum();
                let settles = if partner == pool.host {
                    settlement.partners.iter().filter(|p| p.partner != pool.host).map(|p| p.total).sum::<Money>()
                } else {
                    -settlement.partners[partner].total
                };
                let unpaid = |t: &&TrackedInstalment| t.instalment.pool == pool.id;
                let owed_to: Money = tracked.iter().filter(unpaid).filter(|t| t.instalment.to == partner).map(|t| t.account.outstanding()).sum();
                let owes: Money = tracked.iter().filter(unpaid).filter(|t| t.instalment.from == partner).map(|t| t.account.outstanding()).sum();
                prop_assert_eq!(net, settles + owed_to - owes, "pool {} partner {}", pool.id, partner);
                for invoice in of_pool() {
                    let parts: Money = invoice.parts.iter().map(|p| if (p.payer, p.payee) == (invoice.payer, invoice.payee) { p.amount } else { -p.amount }).sum();
                    prop_assert_eq!(parts, invoice.amount);
                    prop_assert!(invoice.amount >= Money::ZERO);
                }
            }
        }
    }
}

/// The example of docs/rules.md: the CCG's March instalment to the Older People pool
/// invoiced and unpaid at the year end, netted with its share of the overspend.
#[test]
fn the_worked_example_nets_an_unpaid_march_instalment() {
    let (agreement, _) = Agreement::parse(include_str!("../../../../examples/oxfordshire-2016-17.toml")).unwrap();
    let (outturn, _) =
        Outturn::parse(include_str!("../../../../examples/oxfordshire-2016-17-outturn.toml"), &agreement).unwrap();
    let tracked: Vec<TrackedInstalment> = schedule(&agreement)
        .into_iter()
        .map(|instalment| {
            let m12 = instalment.pool == "OP" && instalment.month.number() == 12;
            let invoice = Entry { kind: EntryKind::Invoice, on: instalment.due, amount: instalment.amount };
            let entries = if m12 { vec![invoice] } else { Vec::new() };
            TrackedInstalment { account: InstalmentAccount::new(&entries), instalment }
        })
        .collect();
    let op =
        invoices(&agreement, &settle(&agreement, &outturn), &tracked).into_iter().find(|i| i.pool == "OP").unwrap();
    let parts: Vec<String> = op
        .parts
        .iter()
        .map(|p| format!("{}: {} owes {} {}", p.kind.words(), p.payer, p.payee, p.amount.to_plain_string()))
        .collect();
    assert_eq!(
        (op.payer_body.id.as_str(), op.payee_body.id.as_str(), op.amount.to_plain_string()),
        ("OCCG", "OCC", "10131839.52".to_string())
    );
    assert_eq!(parts, ["settlement: 1 owes 0 117006.15", "unpaid instalments M12: 1 owes 0 10014833.37"]);
}

#[test]
fn the_year_end_settlement_names_the_body_holding_the_place_at_the_year_end() {
    let (agreement, _) = Agreement::parse(include_str!("../../../../examples/oxfordshire-2022-23.toml")).unwrap();
    let (outturn, _) =
        Outturn::parse(include_str!("../../../../examples/oxfordshire-2022-23-outturn.toml"), &agreement).unwrap();
    let settled = settle(&agreement, &outturn);
    let named: Vec<String> = settled
        .iter()
        .flat_map(|pool| {
            pool.partners.iter().map(move |p| format!("{} {} {}", pool.pool, p.body.id, p.total.to_plain_string()))
        })
        .collect();
    assert_eq!(
        named,
        ["HESC OCC 967020.23", "HESC BOB-ICB 929097.86", "ALIGNED OCC 804551.37", "ALIGNED BOB-ICB 0.00"]
    );
    let invoices: Vec<String> = invoices(&agreement, &settled, &[])
        .iter()
        .map(|i| format!("{}: {} pays {} {}", i.pool, i.payer_body.id, i.payee_body.id, i.amount.to_plain_string()))
        .collect();
    assert_eq!(invoices, ["HESC: BOB-ICB pays OCC 929097.86"]);
}
