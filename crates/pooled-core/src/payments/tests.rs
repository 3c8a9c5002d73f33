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

fn date(text: &str) -> Date {
    Date::parse_iso(text).expect("date")
}

/// An account and an entry as text: `invoice 2016-04-01 100`, `payment 2016-04-20 40`.
fn entry(text: &str) -> Entry {
    let [kind, on, amount] = text.split(' ').collect::<Vec<_>>()[..] else { panic!("{text}") };
    Entry { kind: EntryKind::parse(kind).expect("kind"), on: date(on), amount: Money::parse(amount).expect("amount") }
}

fn shown(entry: &Entry) -> String {
    format!("{} {} {}", entry.kind.name(), entry.on, entry.amount.to_plain_string().trim_end_matches(".00"))
}

/// Recorded so far, raised, paid, amount, and the entries added or the refusal.
type RecordingCase<'a> =
    (&'a [&'a str], Option<&'a str>, Option<&'a str>, Option<&'a str>, Result<&'a [&'a str], &'a str>);

#[test]
fn what_may_be_recorded_against_an_instalment() {
    let instalment = Money::parse("100").unwrap();
    let cases: &[RecordingCase] = &[
        // Raised: an invoice for the instalment, or for the amount given.
        (&[], Some("2016-04-01"), None, None, Ok(&["invoice 2016-04-01 100"])),
        (&[], Some("2016-04-01"), None, Some("60"), Ok(&["invoice 2016-04-01 60"])),
        // Both at once: raised and paid in full, or the amount given invoiced and paid.
        (&[], Some("2016-04-01"), Some("2016-04-01"), None, Ok(&["invoice 2016-04-01 100", "payment 2016-04-01 100"])),
        (
            &[],
            Some("2016-04-01"),
            Some("2016-04-20"),
            Some("60"),
            Ok(&["invoice 2016-04-01 60", "payment 2016-04-20 60"]),
        ),
        // Paid: the balance outstanding, or the part given; part payments add up.
        (&["invoice 2016-04-01 100"], None, Some("2016-04-20"), None, Ok(&["payment 2016-04-20 100"])),
        (&["invoice 2016-04-01 100"], None, Some("2016-04-20"), Some("40"), Ok(&["payment 2016-04-20 40"])),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            None,
            Some("2016-05-02"),
            None,
            Ok(&["payment 2016-05-02 60"]),
        ),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            None,
            Some("2016-05-02"),
            Some("60"),
            Ok(&["payment 2016-05-02 60"]),
        ),
        // An invoice raised again: the same adds nothing; another corrects it.
        (&["invoice 2016-04-01 100"], Some("2016-04-01"), None, None, Ok(&[])),
        (&["invoice 2016-04-01 100"], Some("2016-04-03"), None, Some("90"), Ok(&["invoice 2016-04-03 90"])),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            Some("2016-04-02"),
            None,
            Some("40"),
            Ok(&["invoice 2016-04-02 40"]),
        ),
        // Refused.
        (
            &[],
            None,
            None,
            None,
            Err("give the date the instalment was raised (invoiced), the date it was paid, or both"),
        ),
        (
            &[],
            None,
            Some("2016-04-20"),
            None,
            Err("the instalment cannot be paid on 2016-04-20: it has not been raised (invoiced)"),
        ),
        (
            &["invoice 2016-04-20 100"],
            None,
            Some("2016-04-01"),
            None,
            Err("the instalment cannot be paid on 2016-04-01, before it was raised on 2016-04-20"),
        ),
        (
            &[],
            Some("2016-04-20"),
            Some("2016-04-01"),
            None,
            Err("the instalment cannot be paid on 2016-04-01, before it was raised on 2016-04-20"),
        ),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            Some("2016-04-21"),
            None,
            None,
            Err("the instalment cannot be paid on 2016-04-20, before it was raised on 2016-04-21"),
        ),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            None,
            Some("2016-05-02"),
            Some("60.01"),
            Err("a payment of £60.01 is more than the £60.00 outstanding on the instalment"),
        ),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 100"],
            None,
            Some("2016-05-02"),
            None,
            Err("nothing is outstanding on the instalment: its invoice for £100.00 is paid"),
        ),
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            Some("2016-04-01"),
            None,
            Some("39.99"),
            Err("the invoice cannot be for £39.99: £40.00 is already paid on the instalment"),
        ),
        (
            &[],
            Some("2016-04-01"),
            None,
            Some("100.01"),
            Err("an invoice for £100.01 is more than the instalment of £100.00"),
        ),
        (
            &["invoice 2016-04-01 100"],
            None,
            Some("2016-04-20"),
            Some("0"),
            Err("the amount must be more than £0.00, not £0.00"),
        ),
        (
            &["invoice 2016-04-01 100"],
            None,
            Some("2016-04-20"),
            Some("-5"),
            Err("the amount must be more than £0.00, not -£5.00"),
        ),
        // Paying with the invoice again on a partly paid instalment pays the balance.
        (
            &["invoice 2016-04-01 100", "payment 2016-04-20 40"],
            Some("2016-04-01"),
            Some("2016-05-02"),
            None,
            Ok(&["payment 2016-05-02 60"]),
        ),
    ];
    for (recorded, raised, paid, amount, expected) in cases {
        let entries: Vec<Entry> = recorded.iter().map(|e| entry(e)).collect();
        let account = InstalmentAccount::new(&entries);
        let recording = Recording {
            raised_on: raised.map(date),
            paid_on: paid.map(date),
            amount: amount.map(|a| Money::parse(a).unwrap()),
        };
        let got = account.record(instalment, recording).map(|added| added.iter().map(shown).collect::<Vec<_>>());
        let expected = expected.map(|e| e.iter().map(|s| s.to_string()).collect::<Vec<_>>()).map_err(str::to_string);
        assert_eq!(got, expected, "{recorded:?} + raised {raised:?} paid {paid:?} amount {amount:?}");
    }
}

#[test]
fn each_instalment_is_not_raised_raised_part_paid_paid_or_overdue() {
    let agreement = one_payer("1200", 0);
    let m1 = schedule(&agreement).into_iter().find(|i| i.from == 1).expect("M1");
    assert_eq!(m1.due, date("2016-04-01"));
    let tracked = |entries: &[&str]| TrackedInstalment {
        instalment: m1.clone(),
        account: InstalmentAccount::new(&entries.iter().map(|e| entry(e)).collect::<Vec<_>>()),
    };
    use PaymentState::*;
    // (recorded, state on 1 April, state on 2 April, unpaid)
    let cases: &[(&[&str], PaymentState, PaymentState, &str)] = &[
        (&[], NotRaised, Overdue, "100"),
        (&["invoice 2016-03-20 100"], Raised, Overdue, "100"),
        (&["invoice 2016-03-20 100", "payment 2016-03-25 30"], PartPaid, Overdue, "70"),
        (&["invoice 2016-03-20 100", "payment 2016-03-25 30", "payment 2016-03-26 70"], Paid, Paid, "0"),
        // Invoiced for less than the instalment and paid: paid.
        (&["invoice 2016-03-20 80", "payment 2016-03-25 80"], Paid, Paid, "0"),
    ];
    for (entries, on_due, after, unpaid) in cases {
        let t = tracked(entries);
        assert_eq!((t.state(date("2016-04-01")), t.state(date("2016-04-02"))), (*on_due, *after), "{entries:?}");
        assert_eq!(t.unpaid(), Money::parse(unpaid).unwrap(), "{entries:?}");
    }
}

#[test]
fn totals_and_balances_between_partners() {
    let (agreement, _) = Agreement::parse(HELD).unwrap_or_else(|e| panic!("{e:?}"));
    let id = |ix: PartnerIx| agreement.partners()[ix].id.as_str();
    // In pool P, the ICB owes the council 200 a month and the council the ICB 10.
    let tracked: Vec<TrackedInstalment> = schedule(&agreement)
        .into_iter()
        .filter(|i| i.pool == "P" && i.month.number() <= 2)
        .map(|instalment| {
            let entries: Vec<Entry> = match (id(instalment.from), instalment.month.number()) {
                ("ICB", 1) => vec![entry("invoice 2024-04-01 200"), entry("payment 2024-04-10 50")],
                ("ICB", 2) => vec![entry("invoice 2024-05-01 200")],
                ("LA", 1) => vec![entry("invoice 2024-04-01 10")],
                _ => Vec::new(),
            };
            TrackedInstalment { instalment, account: InstalmentAccount::new(&entries) }
        })
        .collect();
    let totals = pair_totals(&tracked);
    let today = date("2024-05-15");
    let rendered: Vec<String> = totals
        .iter()
        .map(|t| {
            let of_pair = tracked.iter().filter(|i| (i.instalment.from, i.instalment.to) == (t.from, t.to));
            let amounts =
                [t.scheduled, t.invoiced, t.paid, t.outstanding, overdue(of_pair, today)].map(|a| a.to_plain_string());
            let months: Vec<String> = t.outstanding_months.iter().map(|m| m.to_string()).collect();
            format!("{} -> {}: {} [{}]", id(t.from), id(t.to), amounts.join(" "), months.join(" "))
        })
        .collect();
    assert_eq!(
        rendered,
        [
            // M2 was due on 1 May: the council's M2 (not raised) and the district's M1 and M2 are overdue.
            "LA -> ICB: 20.00 10.00 0.00 10.00 20.00 [M1]",
            "ICB -> LA: 400.00 400.00 50.00 350.00 350.00 [M1 M2]",
            "DC -> LA: 100.00 0.00 0.00 0.00 100.00 []",
        ]
    );
    let balances: Vec<String> = balances(&totals)
        .iter()
        .map(|b| format!("{} owes {} {}", id(b.owing), id(b.owed), b.amount.to_plain_string()))
        .collect();
    assert_eq!(balances, ["ICB owes LA 340.00", "DC owes LA 0.00"]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Whatever is recorded, and whatever is refused, every account stays exact: invoiced
    /// is paid plus outstanding, nothing is paid past the invoice, the invoice is never
    /// more than the instalment, and a refusal adds nothing.
    #[test]
    fn invoiced_is_paid_plus_outstanding(
        instalment in 1i64..=10_000_000,
        steps in proptest::collection::vec((0u8..4, 0i64..40, proptest::option::of(-5i64..=12_000_000)), 0..12),
    ) {
        let instalment = Money::from_pence(instalment);
        let mut entries: Vec<Entry> = Vec::new();
        for (what, day, amount) in steps {
            let on = Date::new(2016, 4, 1).unwrap().add_days(day).unwrap();
            let (raised_on, paid_on) = match what {
                0 => (Some(on), None),
                1 => (None, Some(on)),
                2 => (Some(on), Some(on)),
                _ => (None, None),
            };
            let before = InstalmentAccount::new(&entries);
            let recording = Recording { raised_on, paid_on, amount: amount.map(Money::from_pence) };
            if let Ok(added) = before.record(instalment, recording) {
                entries.extend(added);
            }
            let account = InstalmentAccount::new(&entries);
            proptest::prop_assert_eq!(account.invoiced(), account.paid() + account.outstanding());
            proptest::prop_assert!(account.outstanding() >= Money::ZERO);
            proptest::prop_assert!(account.invoiced() <= instalment);
            proptest::prop_assert!(account.payments.iter().all(|p| p.amount > Money::ZERO));
            if let (Some(raised), Some(paid)) = (account.raised_on(), account.payments.iter().map(|p| p.on).min()) {
                proptest::prop_assert!(raised <= paid);
            }
        }
    }
}
