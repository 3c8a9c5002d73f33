use proptest::prelude::*;

use super::conditions::{Requirement, Rule};
use super::*;
use crate::agreement::Agreement;
use crate::agreement::tests::diagnostics;

/// A small BCF agreement: two partners, four streams, three schemes and a line that is not
/// one; each test changes one thing in it.
const BASE: &str = r#"format = 1

[agreement]
id = "bcf"
name = "A Better Care Fund"
financial_year = "2023-24"
start = 2023-04-01

[[partner]]
id = "LA"
name = "A Council"
kind = "local-authority"

[[partner]]
id = "NHS"
name = "A CCG"
kind = "nhs-commissioner"
succeeded_by = { id = "ICB", name = "An ICB", from = 2023-07-01 }

[bcf]
scheme_types = "2023-25"

[[stream]]
id = "nhs-min"
name = "NHS minimum contribution"
from = "ICB"
kind = "nhs-minimum"
allocation = "1000"

[[stream]]
id = "ibcf"
name = "Improved Better Care Fund"
from = "LA"
kind = "local-authority-grant"
allocation = "500"

[[stream]]
id = "dfg"
name = "Disabled Facilities Grant"
from = "LA"
kind = "disabled-facilities-grant"
allocation = "300"

[[stream]]
id = "la-extra"
name = "Council additional contribution"
from = "LA"
kind = "additional"
allocation = "100"

[[pool]]
id = "BCF"
name = "Better Care Fund"
host = "LA"
kind = "pooled"

[[pool.line]]
id = "reablement"
name = "Reablement"
contributions = { LA = "400", NHS = "600" }
funded_by = { nhs-min = "600", ibcf = "300", la-extra = "100" }

[pool.line.scheme]
id = "S-01"
type = "home-based intermediate care services"
sub_type = "Reablement at home (to support discharge)"
area_of_spend = "social care"
commissioner = "joint"
nhs_share = "60"
provider = "Council reablement service"
outputs = { amount = "1,200", unit = "packages" }
new_or_existing = "existing"

[[pool.line]]
id = "community"
name = "Community health"
contributions = { NHS = "400" }
funded_by = { nhs-min = "400" }

[pool.line.scheme]
id = "S-02"
type = "Urgent Community Response"
area_of_spend = "community health"
commissioner = "nhs"

[[pool.line]]
id = "adaptations"
name = "Adaptations"
contributions = { LA = "300" }
funded_by = { dfg = "300" }

[pool.line.scheme]
id = "S-03"
type = "DFG Related Schemes"
sub_type = "Adaptations, including statutory DFG grants"
area_of_spend = "social care"
commissioner = "local-authority"

[[pool.line]]
id = "care-homes"
name = "Care homes"
contributions = { LA = "200" }
funded_by = { ibcf = "200" }
"#;

/// BASE with `from` replaced by `to` (which must occur exactly once).
fn edit(from: &str, to: &str) -> String {
    assert_eq!(BASE.matches(from).count(), 1, "`{from}` must occur once in BASE");
    BASE.replacen(from, to, 1)
}

fn parse(text: &str) -> Agreement {
    match Agreement::parse(text) {
        Ok((agreement, _)) => agreement,
        Err(_) => panic!("{:?}", diagnostics(text)),
    }
}

fn pounds(p: i64) -> Money {
    Money::from_pounds(p).unwrap()
}

#[test]
fn the_base_reads_with_its_streams_and_schemes() {
    assert_eq!(diagnostics(BASE), Vec::<String>::new());
    let a = parse(BASE);
    assert_eq!(a.streams().len(), 4);
    assert_eq!(a.streams()[0].from, 1, "a stream may name the partner by its successor's id");
    let line = &a.pools()[0].lines[0];
    assert_eq!(
        line.funded_by,
        [
            StreamFunding { stream: 0, amount: pounds(600) },
            StreamFunding { stream: 1, amount: pounds(300) },
            StreamFunding { stream: 3, amount: pounds(100) },
        ],
        "in the streams' order, not the file's"
    );
    let scheme = line.scheme.as_ref().unwrap();
    assert_eq!(scheme.scheme_type, "Home-based intermediate care services", "as the list spells it");
    assert_eq!(scheme.commissioner, Commissioner::Joint { nhs_share: Percent::parse("60", 0).unwrap() });
    assert_eq!(scheme.outputs, Some(Outputs { amount: "1,200".into(), unit: "packages".into() }));
}

/// Each problem with its line and column, as `pooled check` reports it.
#[test]
fn every_problem_is_reported_where_it_is_written() {
    let cases: [(&str, String, &[&str]); 14] = [
        (
            "funded amounts that do not sum to the line",
            edit("funded_by = { nhs-min = \"400\" }", "funded_by = { nhs-min = \"390\" }"),
            &[
                "28:14: warning: allocation £1,000.00 differs from the sum of the lines stream `nhs-min` funds, £990.00, by £10.00: the sum is used",
                "78:13: error: the streams funding line `community` sum to £390.00, not its total £400.00 (a difference of -£10.00): they must fund it exactly",
            ],
        ),
        (
            "a partner's streams that do not fund its contribution",
            edit("funded_by = { dfg = \"300\" }", "funded_by = { nhs-min = \"300\" }"),
            &[
                "28:14: warning: allocation £1,000.00 differs from the sum of the lines stream `nhs-min` funds, £1,300.00, by -£300.00: the sum is used",
                "42:14: warning: allocation £300.00 differs from the sum of the lines stream `dfg` funds, £0.00, by £300.00: the sum is used",
                "90:13: error: the streams from LA fund £0.00 of line `adaptations`, but LA contributes £300.00 to it (a difference of -£300.00): a partner's streams fund exactly its contribution",
                "90:13: error: the streams from NHS fund £300.00 of line `adaptations`, but NHS contributes £0.00 to it (a difference of £300.00): a partner's streams fund exactly its contribution",
            ],
        ),
        (
            "a line of a pooled fund that does not say",
            edit("funded_by = { ibcf = \"200\" }\n", ""),
            &[
                "35:14: warning: allocation £500.00 differs from the sum of the lines stream `ibcf` funds, £300.00, by £200.00: the sum is used",
                "100:6: error: line `care-homes` of a pooled fund needs `funded_by`: the agreement declares funding streams (nhs-min, ibcf, dfg, la-extra), so each line of a pooled fund says what it takes from which, e.g. funded_by = { nhs-min = \"...\" }",
            ],
        ),
        (
            "an unknown stream",
            edit("funded_by = { ibcf = \"200\" }", "funded_by = { ibfc = \"200\" }"),
            &[
                "35:14: warning: allocation £500.00 differs from the sum of the lines stream `ibcf` funds, £300.00, by £200.00: the sum is used",
                "103:15: error: unknown stream `ibfc` (streams are nhs-min, ibcf, dfg, la-extra)",
            ],
        ),
        (
            "a duplicate stream id",
            edit("id = \"la-extra\"", "id = \"dfg\""),
            &[
                "45:6: error: duplicate stream id `dfg` (first defined on line 38)",
                "49:14: warning: allocation £100.00 differs from the sum of the lines stream `dfg` funds, £0.00, by £100.00: the sum is used",
                "61:46: error: unknown stream `la-extra` (streams are nhs-min, ibcf, dfg, dfg)",
            ],
        ),
        (
            "a stream from an unknown partner",
            edit("from = \"ICB\"", "from = \"CCG\""),
            &["26:8: error: unknown partner `CCG` (partners are LA, NHS)"],
        ),
        (
            "an unknown kind of stream",
            edit("kind = \"additional\"", "kind = \"extra\""),
            &[
                "48:8: error: unknown variant `extra`, expected one of `nhs-minimum`, `local-authority-grant`, `disabled-facilities-grant`, `discharge`, `additional`, `other`",
            ],
        ),
        (
            "a scheme type not in the year's list",
            edit("type = \"Urgent Community Response\"", "type = \"Urgent Community Responce\""),
            &[
                "82:8: error: `Urgent Community Responce` is not a scheme type of the 2023-25 planning template: the nearest is \"Urgent Community Response\"",
            ],
        ),
        (
            "a sub-type not of the type",
            edit("sub_type = \"Reablement at home (to support discharge)\"", "sub_type = \"Reablement at home\""),
            &[
                "66:12: error: `Reablement at home` is not a sub-type of \"Home-based intermediate care services\" in the 2023-25 planning template: the nearest is \"Reablement at home (to support discharge)\"",
            ],
        ),
        (
            "a sub-type of a type without any",
            edit(
                "type = \"Urgent Community Response\"",
                "type = \"Urgent Community Response\"\nsub_type = \"Step up\"",
            ),
            &[
                "83:12: error: `Step up`: the scheme type \"Urgent Community Response\" has no sub-types in the 2023-25 planning template: leave `sub_type` out",
            ],
        ),
        (
            "a scheme id used twice",
            edit("id = \"S-03\"", "id = \"S-01\""),
            &["93:6: error: duplicate scheme id `S-01` (first defined on line 64)"],
        ),
        (
            "a joint commissioner without the NHS's share",
            edit("nhs_share = \"60\"\n", ""),
            &["68:16: error: a jointly commissioned scheme gives the NHS's share: nhs_share = \"60\" (a percentage)"],
        ),
        (
            "an unknown area of spend",
            edit("area_of_spend = \"community health\"", "area_of_spend = \"hospital\""),
            &[
                "83:17: error: unknown area of spend `hospital` (the template's are \"social care\", \"community health\", \"mental health\", \"primary care\", \"acute\", \"continuing care\", \"other\")",
            ],
        ),
        (
            "schemes without the list they come from",
            edit("[bcf]\nscheme_types = \"2023-25\"\n", ""),
            &[
                "62:6: error: scheme `S-01` needs the list its type comes from: add [bcf] scheme_types = \"2025-26\" (the planning template years pooled bundles are 2022-23, 2023-25, 2025-26)",
                "79:6: error: scheme `S-02` needs the list its type comes from: add [bcf] scheme_types = \"2025-26\" (the planning template years pooled bundles are 2022-23, 2023-25, 2025-26)",
                "91:6: error: scheme `S-03` needs the list its type comes from: add [bcf] scheme_types = \"2025-26\" (the planning template years pooled bundles are 2022-23, 2023-25, 2025-26)",
            ],
        ),
    ];
    for (what, text, expected) in cases {
        assert_eq!(diagnostics(&text), expected, "{what}");
    }
}

#[test]
fn an_aligned_line_may_say_which_streams_fund_it_and_is_checked_when_it_does() {
    let aligned = "\n[[pool]]\nid = \"AL\"\nname = \"Aligned\"\nhost = \"LA\"\nkind = \"aligned\"\n\n[[pool.line]]\nid = \"own\"\nname = \"Own\"\nlead = \"LA\"\ncontributions = { LA = \"50\" }\n";
    assert_eq!(diagnostics(&format!("{BASE}{aligned}")), Vec::<String>::new(), "without funded_by");
    let funded = format!("{BASE}{aligned}funded_by = {{ la-extra = \"40\" }}\n");
    assert_eq!(
        diagnostics(&funded),
        [
            "49:14: warning: allocation £100.00 differs from the sum of the lines stream `la-extra` funds, £140.00, by -£40.00: the sum is used",
            "116:13: error: the streams funding line `own` sum to £40.00, not its total £50.00 (a difference of -£10.00): they must fund it exactly",
        ]
    );
}

#[test]
fn every_bundled_list_reads_and_names_its_year() {
    for year in SchemeTypeYear::ALL {
        let list = year.list();
        assert_eq!(list.year(), year.key());
        assert!(list.types().iter().any(|t| t.name == "Other"), "{} lists Other", year.key());
        let mut names: Vec<String> = list.types().iter().map(|t| t.name.to_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), list.types().len(), "{} names each type once", year.key());
    }
}

/// The plan per stream, scheme and type, to the penny from the file.
#[test]
fn the_plan_per_stream_scheme_and_type() {
    let a = parse(BASE);
    let plan = planned(&a);
    let streams: Vec<Money> = plan.streams.iter().map(|s| s.spend).collect();
    assert_eq!(streams, [pounds(1000), pounds(500), pounds(300), pounds(100)]);
    let types: Vec<(&str, usize, Money)> =
        plan.types.iter().map(|t| (t.scheme_type.as_str(), t.schemes, t.spend)).collect();
    assert_eq!(
        types,
        [
            ("DFG Related Schemes", 1, pounds(300)),
            ("Home-based intermediate care services", 1, pounds(1000)),
            ("Urgent Community Response", 1, pounds(400)),
        ],
        "in the list's order"
    );
    assert_eq!(plan.without_scheme, pounds(200));
    assert_eq!(plan.without_stream, Money::ZERO);
    assert_eq!(plan.total, pounds(1900));
}

/// A line's actual and forecast split across its streams by the largest remainder: £100.01
/// over weights 6:3:1 is £60.006, £30.003, £10.001, so £60.00, £30.00 and £10.00 with the
/// leftover penny to the largest remainder (the first stream's .6).
#[test]
fn a_lines_spend_splits_across_its_streams_to_the_penny() {
    let a = parse(BASE);
    let actual = Money::from_pence(10_001);
    let spend = spend(&a, |_, l| LedgerSpend {
        planned: a.pools()[0].lines[l].budget(),
        actual_to_date: if l == 0 { actual } else { Money::ZERO },
        forecast: if l == 0 { Money::from_pence(-3) } else { Money::ZERO },
    });
    let reablement = &spend.schemes[0];
    let actuals: Vec<i64> = reablement.by_stream.iter().map(|s| s.spend.actual_to_date.pence()).collect();
    assert_eq!(actuals, [6_001, 3_000, 1_000]);
    let forecasts: Vec<i64> = reablement.by_stream.iter().map(|s| s.spend.forecast.pence()).collect();
    assert_eq!(forecasts, [-2, -1, 0], "a credit splits on its size, the sign kept");
}

#[test]
fn a_line_funded_only_by_zero_amounts_splits_equally() {
    let text = edit(
        "contributions = { LA = \"200\" }\nfunded_by = { ibcf = \"200\" }",
        "contributions = { LA = \"0\" }\nfunded_by = { ibcf = \"0\", dfg = \"0\" }",
    );
    let a = parse(&text);
    let spend = spend(&a, |_, l| if l == 3 { Money::from_pence(3) } else { Money::ZERO });
    assert_eq!(spend.streams[1].spend, Money::from_pence(2), "the odd penny to the stream declared first");
    assert_eq!(spend.streams[2].spend, Money::from_pence(1));
}

/// An agreement of `lines` lines in one pool, each with its budget split over the streams
/// by `splits` (pence per stream; the line's budget is their sum); every other line a
/// scheme of a type chosen by `types`.
fn generated(lines: &[(Vec<u32>, usize)]) -> String {
    let streams = ["s0", "s1", "s2"];
    let mut text = String::from(
        "format = 1\n[agreement]\nid = \"g\"\nname = \"G\"\nfinancial_year = \"2023-24\"\nstart = 2023-04-01\n\
         [[partner]]\nid = \"LA\"\nname = \"L\"\nkind = \"local-authority\"\n\
         [[partner]]\nid = \"NHS\"\nname = \"N\"\nkind = \"nhs-commissioner\"\n[bcf]\nscheme_types = \"2022-23\"\n",
    );
    for s in streams {
        text.push_str(&format!(
            "[[stream]]\nid = \"{s}\"\nname = \"{s}\"\nfrom = \"LA\"\nkind = \"other\"\nallocation = 0\n"
        ));
    }
    text.push_str("[[pool]]\nid = \"P\"\nname = \"P\"\nhost = \"LA\"\nkind = \"pooled\"\n");
    let types = ["Carers Services", "Residential Placements", "Other"];
    for (i, (split, scheme_type)) in lines.iter().enumerate() {
        let total: u64 = split.iter().map(|p| u64::from(*p)).sum();
        let funded: Vec<String> = split
            .iter()
            .zip(streams)
            .map(|(p, s)| format!("{s} = \"{}\"", Money::from_pence(i64::from(*p)).to_plain_string()))
            .collect();
        text.push_str(&format!(
            "[[pool.line]]\nid = \"l{i}\"\nname = \"L\"\ncontributions = {{ LA = \"{}\" }}\nfunded_by = {{ {} }}\n",
            Money::from_pence(total as i64).to_plain_string(),
            funded.join(", ")
        ));
        if i % 2 == 0 {
            text.push_str(&format!(
                "[pool.line.scheme]\nid = \"S{i}\"\ntype = \"{}\"\narea_of_spend = \"other\"\ncommissioner = \"nhs\"\n",
                types[scheme_type % types.len()]
            ));
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the lines' funding and figures, the streams' totals and the types' totals
    /// add up to the lines' total, each scheme's streams to the scheme, and the planned
    /// figures per stream are exactly what `funded_by` says.
    #[test]
    fn streams_and_types_always_add_up_to_the_lines(
        lines in prop::collection::vec((prop::collection::vec(0u32..5_000_000, 1..=3), 0usize..3), 1..8),
        figures in prop::collection::vec((-10_000_000i64..100_000_000, -10_000_000i64..100_000_000), 8),
    ) {
        let text = generated(&lines);
        let a = match Agreement::parse(&text) {
            Ok((a, _)) => a,
            Err(e) => return Err(TestCaseError::fail(format!("{e:?}\n{text}"))),
        };
        let spent = spend(&a, |_, l| LedgerSpend {
            planned: a.pools()[0].lines[l].budget(),
            actual_to_date: Money::from_pence(figures[l].0),
            forecast: Money::from_pence(figures[l].1),
        });
        let lines_total = (0..lines.len()).fold(LedgerSpend::default(), |t, l| t.plus(LedgerSpend {
            planned: a.pools()[0].lines[l].budget(),
            actual_to_date: Money::from_pence(figures[l].0),
            forecast: Money::from_pence(figures[l].1),
        }));
        prop_assert_eq!(spent.total, lines_total);
        let streams = spent.streams.iter().fold(spent.without_stream, |t, s| t.plus(s.spend));
        prop_assert_eq!(streams, lines_total);
        let types = spent.types.iter().fold(spent.without_scheme, |t, s| t.plus(s.spend));
        prop_assert_eq!(types, lines_total);
        for scheme in &spent.schemes {
            let by_stream = scheme.by_stream.iter().fold(LedgerSpend::default(), |t, s| t.plus(s.spend));
            prop_assert_eq!(by_stream, scheme.spend);
        }
        let mut funded = [Money::ZERO; 3];
        for (split, _) in &lines {
            for (s, p) in split.iter().enumerate() {
                funded[s] += Money::from_pence(i64::from(*p));
            }
        }
        let planned: Vec<Money> = planned(&a).streams.iter().map(|s| s.spend).collect();
        prop_assert_eq!(planned, funded.to_vec());
    }
}

// ---- the conditions ----

/// The previous year's figure with its uplift, to the penny, a fraction of a penny
/// rounded up.
#[test]
fn a_minimum_uplifted_is_exact_to_the_penny() {
    let cases = [
        // North Tyneside's published 2024-25 figure: £11,651,150 x 1.0566 = £12,310,605.09
        // exactly (printed as £12,310,605).
        ("11,651,150", "5.66", 1_231_060_509),
        ("1,000,000", "5.3", 105_300_000),
        ("100", "3.9", 10_390),
        // £12,345.67 x 1.039 = £12,827.151... : the fraction of a penny goes up.
        ("12,345.67", "3.9", 1_282_716),
        ("0.01", "5.66", 2),
        ("0.00", "3.9", 0),
        ("250", "0", 25_000),
    ];
    for (previous, uplift, expected) in cases {
        let previous = Money::parse(previous).unwrap();
        let uplift = Percent::parse_as_written(uplift).unwrap();
        assert_eq!(uplifted(previous, uplift), Some(Money::from_pence(expected)), "{previous} + {uplift}%");
    }
}

/// BASE with the conditions' tables after `[bcf]`.
fn with_conditions(tables: &str) -> String {
    edit("scheme_types = \"2023-25\"\n", &format!("scheme_types = \"2023-25\"\n{tables}"))
}

/// Two districts sharing the £300 grant; `adaptations` pays it on.
const DISTRICTS: &str = r#"
[bcf.dfg]
line = "adaptations"
paid_in = ["M7", "M1"]
clause = "Schedule 2 para 5"

[[bcf.district]]
id = "north"
name = "North District Council"
dfg = "200.01"

[[bcf.district]]
id = "south"
name = "South District Council"
dfg = "99.99"
"#;

/// Each condition against the plan: what it measures from the file, the requirement and
/// whether it is met. BASE's NHS minimum funds reablement (£600, social care, joint with
/// the NHS's share 60%) and community (£400, community health, NHS).
#[test]
fn each_condition_against_the_plan() {
    let social_care = |tables: &str| format!("\n[bcf.social_care]\n{tables}\n");
    let cases: [(&str, String, Rule, Requirement, i64); 8] = [
        (
            "adult social care: reablement's £600, met",
            social_care("required = \"600\""),
            Rule::SocialCare,
            Requirement::AtLeast(pounds(600)),
            60_000,
        ),
        (
            "adult social care a penny short",
            social_care("required = \"600.01\""),
            Rule::SocialCare,
            Requirement::AtLeast(Money::from_pence(60_001)),
            60_000,
        ),
        (
            "adult social care by an uplift: £577.50 + 3.9% = £600.0225, up to £600.03",
            social_care("previous_year = \"577.50\"\nuplift = \"3.9\""),
            Rule::SocialCare,
            Requirement::AtLeast(Money::from_pence(60_003)),
            60_000,
        ),
        (
            "out of hospital: community's £400 and 60% of reablement's £600",
            "\n[bcf.out_of_hospital]\nrequired = \"760\"\n".into(),
            Rule::OutOfHospital,
            Requirement::AtLeast(pounds(760)),
            76_000,
        ),
        (
            "the districts' grant passed in full by `adaptations`",
            DISTRICTS.into(),
            Rule::DfgToDistricts,
            Requirement::AtLeast(pounds(300)),
            30_000,
        ),
        (
            "a district agreeing the council keep some: less is due",
            DISTRICTS.replace(
                "dfg = \"99.99\"",
                "dfg = \"99.99\"\nagreed_retained = { amount = \"50\", clause = \"letter of 1 March 2023\" }",
            ),
            Rule::DfgToDistricts,
            Requirement::AtLeast(Money::from_pence(25_000)),
            30_000,
        ),
        (
            "a stream within its allocation",
            String::new(),
            Rule::WithinAllocation { stream: 1 },
            Requirement::AtMost(pounds(500)),
            50_000,
        ),
        (
            "every stream is checked",
            String::new(),
            Rule::WithinAllocation { stream: 3 },
            Requirement::AtMost(pounds(100)),
            10_000,
        ),
    ];
    for (what, tables, rule, requirement, figure) in cases {
        let a = parse(&with_conditions(&tables));
        let all = conditions::for_plan(&a);
        assert_eq!(all.len(), a.streams().len() + usize::from(!tables.is_empty()), "{what}");
        let c = all.iter().find(|c| c.rule == rule).unwrap_or_else(|| panic!("{what}: {all:?}"));
        assert_eq!(c.requirement, requirement, "{what}");
        assert_eq!(c.figures, Money::from_pence(figure), "{what}");
        assert_eq!(c.met(), Money::from_pence(figure) >= requirement.amount(), "{what}");
    }
}

/// Each source in the user's words: the agreement's clause where the file gives one, else
/// the national framework of the year.
#[test]
fn each_condition_names_its_source() {
    let text = with_conditions(&format!(
        "\n[bcf.social_care]\nrequired = \"1\"\n\n[bcf.out_of_hospital]\nrequired = \"1\"\nclause = \"Schedule 3 para 2\"\n{DISTRICTS}"
    ));
    let a = parse(&text);
    let all = conditions::for_plan(&a);
    let sources: Vec<(&str, &str)> = all.iter().map(|c| (c.rule.key(), c.source.as_str())).collect();
    let mut expected = vec![
        ("social-care", "BCF policy framework 2023-25: NHS minimum contribution to adult social care"),
        ("out-of-hospital", "Schedule 3 para 2"),
        ("dfg-to-districts", "Schedule 2 para 5"),
    ];
    expected.extend(std::iter::repeat_n(
        ("within-allocation", "BCF policy framework 2023-25: each funding stream spent within its allocation"),
        4,
    ));
    assert_eq!(sources, expected);
}

/// A plan that already breaches a condition is a warning at the table that sets it,
/// naming the condition, the figure and the source; the file still loads.
#[test]
fn a_plan_breaching_a_condition_is_a_warning_where_it_is_set() {
    let cases: [(&str, String, &[&str]); 4] = [
        (
            "adult social care short by a penny",
            with_conditions("\n[bcf.social_care]\nrequired = \"600.01\"\nclause = \"Schedule 2 para 4\"\n"),
            &[
                "23:1: warning: the plan breaches a Better Care Fund condition. Breached: the NHS minimum contribution's spend on adult social care, planned £600.00, is £0.01 below the required £600.01 (Schedule 2 para 4)",
            ],
        ),
        (
            "out of hospital short",
            with_conditions("\n[bcf.out_of_hospital]\nprevious_year = \"750\"\nuplift = \"5.66\"\n"),
            &[
                "23:1: warning: the plan breaches a Better Care Fund condition. Breached: the NHS minimum contribution's spend on NHS-commissioned out-of-hospital services, planned £760.00, is £32.45 below the required £792.45 (BCF policy framework 2023-25: NHS minimum contribution to NHS-commissioned out-of-hospital services)",
            ],
        ),
        (
            "the districts due more than the line pays on",
            with_conditions(&DISTRICTS.replace("dfg = \"99.99\"", "dfg = \"100.99\"")),
            &[
                "23:1: warning: the districts' grants sum to £301.00, but the Disabled Facilities Grant streams' allocations to £300.00 (a difference of £1.00): in a two-tier area the grant is the districts'",
                "23:1: warning: the plan breaches a Better Care Fund condition. Breached: the Disabled Facilities Grant passed to the district councils (line `adaptations`), planned £300.00, is £1.00 below the required £301.00 (Schedule 2 para 5)",
            ],
        ),
        ("every condition met", with_conditions(&format!("\n[bcf.social_care]\nrequired = \"600\"\n{DISTRICTS}")), &[]),
    ];
    for (what, text, expected) in cases {
        assert_eq!(diagnostics(&text), expected, "{what}");
    }
}

#[test]
fn the_conditions_tables_are_checked() {
    let cases: [(&str, String, &[&str]); 6] = [
        (
            "both a figure and an uplift",
            with_conditions("\n[bcf.social_care]\nrequired = \"600\"\nuplift = \"3.9\"\n"),
            &[
                "23:1: error: a minimum gives either `required` (the figure) or `previous_year` with `uplift` (a percentage), e.g. previous_year = \"11,651,150\" and uplift = \"5.66\"",
            ],
        ),
        (
            "an uplift that is not a percentage",
            with_conditions("\n[bcf.social_care]\nprevious_year = \"600\"\nuplift = \"3.9 %\"\n"),
            &[
                "25:10: error: invalid percentage `3.9 %`: expected a number such as `51` or `50.24` (the uplift, e.g. uplift = \"5.66\")",
            ],
        ),
        (
            "districts without the line paying them",
            with_conditions("\n[[bcf.district]]\nid = \"north\"\nname = \"North\"\ndfg = \"300\"\n"),
            &[
                "23:1: error: district councils need [bcf.dfg]: the line paying the Disabled Facilities Grant on to them, e.g. line = \"dfg-districts\"",
            ],
        ),
        (
            "a line not funded by the grant",
            with_conditions(&DISTRICTS.replace("line = \"adaptations\"", "line = \"community\"")),
            &[
                "24:8: error: line `community` pays the Disabled Facilities Grant on, so it is a scheme ([pool.line.scheme]) funded by a stream of kind \"disabled-facilities-grant\"",
            ],
        ),
        (
            "a month twice",
            with_conditions(&DISTRICTS.replace("[\"M7\", \"M1\"]", "[\"M7\", \"M7\"]")),
            &["25:18: error: M7 is listed twice"],
        ),
        (
            "keeping more than the grant",
            with_conditions(&DISTRICTS.replace(
                "dfg = \"99.99\"",
                "dfg = \"99.99\"\nagreed_retained = { amount = \"100\", clause = \"none\" }",
            )),
            &[
                "37:19: error: district `south` cannot agree to the council keeping £100.00, more than its grant of £99.99",
            ],
        ),
    ];
    for (what, text, expected) in cases {
        assert_eq!(diagnostics(&text), expected, "{what}");
    }
}

/// Each district's grant less what it keeps, in equal instalments in the months named,
/// the remainder in the last: £200.01 over two is £100.00 and £100.01; £99.99 less £50 is
/// £24.99 and £25.00.
#[test]
fn the_districts_are_paid_in_the_months_named() {
    let text = with_conditions(&DISTRICTS.replace(
        "dfg = \"99.99\"",
        "dfg = \"99.99\"\nagreed_retained = { amount = \"50\", clause = \"letter of 1 March 2023\" }",
    ));
    let a = parse(&text);
    let paid: Vec<(String, u32, String, i64, String)> = crate::payments::to_districts(&a)
        .into_iter()
        .map(|i| (i.district, i.month.number(), i.due.to_string(), i.amount.pence(), i.payer.id))
        .collect();
    let row = |d: &str, m, due: &str, p| (d.to_string(), m, due.to_string(), p, "LA".to_string());
    assert_eq!(
        paid,
        [
            row("north", 1, "2023-04-01", 10_000),
            row("north", 7, "2023-10-01", 10_001),
            row("south", 1, "2023-04-01", 2_499),
            row("south", 7, "2023-10-01", 2_500),
        ]
    );
    let without = parse(BASE);
    assert!(crate::payments::to_districts(&without).is_empty());
}

/// From the ledger: a minimum is judged on the planned and forecast figures, a maximum
/// also on the actual to date; each breach names its figure, the condition and its source.
#[test]
fn from_the_ledger_each_figure_is_judged() {
    let a = parse(&with_conditions("\n[bcf.social_care]\nrequired = \"600\"\n"));
    // Reablement (£1,000 planned, 6:3:1 from nhs-min, ibcf and la-extra) has spent £2,000
    // to date and forecasts £999.99; every other line is to plan with nothing spent.
    let spend = spend(&a, |_, l| {
        let planned = a.pools()[0].lines[l].budget();
        match l {
            0 => LedgerSpend { planned, actual_to_date: pounds(2000), forecast: Money::from_pence(99_999) },
            _ => LedgerSpend { planned, actual_to_date: Money::ZERO, forecast: planned },
        }
    });
    let all = conditions::conditions(&a, &spend);
    let breaches = |rule: Rule| -> Vec<(&str, i64, i64)> {
        let c = all.iter().find(|c| c.rule == rule).unwrap();
        c.breaches().into_iter().map(|b| (b.figure, b.amount.pence(), b.by.pence())).collect()
    };
    // £999.99 in 6:3:1 is £599.994, £299.997, £99.999: £599.99, £300.00, £100.00 with the
    // leftover pence to the larger remainders. The actual to date of £2,000 never breaches
    // a minimum.
    assert_eq!(breaches(Rule::SocialCare), [("forecast", 59_999, 1)]);
    // nhs-min: forecast £599.99 + £400 is within £1,000; £1,200 to date is over it.
    assert_eq!(breaches(Rule::WithinAllocation { stream: 0 }), [("actual to date", 120_000, 20_000)]);
    assert_eq!(breaches(Rule::WithinAllocation { stream: 1 }), [("actual to date", 60_000, 10_000)]);
    assert_eq!(breaches(Rule::WithinAllocation { stream: 2 }), []);
    let social_care = all.iter().find(|c| c.rule == Rule::SocialCare).unwrap();
    assert_eq!(
        social_care.breach_words(),
        [
            "Breached: the NHS minimum contribution's spend on adult social care, forecast £599.99, is £0.01 below the required £600.00 (BCF policy framework 2023-25: NHS minimum contribution to adult social care)"
        ]
    );
}
