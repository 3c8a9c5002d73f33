use super::*;
use proptest::prelude::*;

fn check_parse(input: &str, expected: Result<i64, &str>) {
    let got = Money::parse(input).map(Money::pence);
    assert_eq!(got, expected.map_err(String::from), "parsing {input:?}");
}

#[test]
fn parses_every_form_the_file_allows() {
    check_parse("1234", Ok(123_400));
    check_parse("1234.5", Ok(123_450));
    check_parse("1234.56", Ok(123_456));
    check_parse("1,234.56", Ok(123_456));
    check_parse("£1,234.56", Ok(123_456));
    check_parse("-1234.56", Ok(-123_456));
    check_parse("-£1,234.56", Ok(-123_456));
    check_parse("344,754,924", Ok(34_475_492_400));
    check_parse("0.01", Ok(1));
    check_parse(" 12 ", Ok(1200));
    check_parse("100,000,000,000", Ok(MAX_PENCE));
}

#[test]
fn refuses_what_is_not_an_exact_amount() {
    check_parse("1.234", Err("invalid amount `1.234`: more than two decimal places (amounts are exact to the penny)"));
    check_parse("1,23,456", Err("invalid amount `1,23,456`: commas must separate groups of three digits"));
    check_parse(
        "12a",
        Err("invalid amount `12a`: expected only digits, commas, one decimal point and an optional leading `-` or `£`"),
    );
    check_parse("", Err("invalid amount ``: expected digits before the decimal point"));
    check_parse("-", Err("invalid amount `-`: expected digits before the decimal point"));
    check_parse(".5", Err("invalid amount `.5`: expected digits before the decimal point"));
    check_parse("5.", Err("invalid amount `5.`: expected digits after the decimal point"));
    check_parse(
        "1e6",
        Err("invalid amount `1e6`: expected only digits, commas, one decimal point and an optional leading `-` or `£`"),
    );
    check_parse("100,000,000,000.01", Err("invalid amount `100,000,000,000.01`: too large"));
    check_parse("99999999999999999999999", Err("invalid amount `99999999999999999999999`: too large"));
}

fn check_format(pence: i64, pounds: &str, plain: &str, report: &str, thousands: &str) {
    let m = Money::from_pence(pence);
    assert_eq!(
        (
            m.to_pounds_string().as_str(),
            m.to_plain_string().as_str(),
            m.to_report_string().as_str(),
            m.to_thousands_string().as_str()
        ),
        (pounds, plain, report, thousands),
        "formatting {pence}p"
    );
}

#[test]
fn formats_pounds_reports_and_thousands() {
    check_format(123_456_789, "£1,234,567.89", "1234567.89", "1,234,567.89", "1,235");
    check_format(-123_456, "-£1,234.56", "-1234.56", "(1,234.56)", "(1)");
    check_format(0, "£0.00", "0.00", "0.00", "0");
    check_format(5, "£0.05", "0.05", "0.05", "0");
    check_format(-49_999, "-£499.99", "-499.99", "(499.99)", "0");
    check_format(-50_000, "-£500.00", "-500.00", "(500.00)", "(1)");
    // Schedule 3 in £'000, as the 2016 report prints it (para 26).
    check_format(6_692_256_200, "£66,922,562.00", "66922562.00", "66,922,562.00", "66,923");
    check_format(1_274_554_400, "£12,745,544.00", "12745544.00", "12,745,544.00", "12,746");
}

fn check_split(amount: i64, weights: &[u64], expected: &[i64]) {
    let got: Vec<i64> = Money::from_pence(amount)
        .split_by_weights(weights)
        .expect("weights are not all zero")
        .into_iter()
        .map(Money::pence)
        .collect();
    assert_eq!(got, expected, "splitting {amount}p by {weights:?}");
}

#[test]
fn splits_by_largest_remainder() {
    check_split(100, &[5024, 4976], &[50, 50]);
    check_split(1, &[5000, 5000], &[1, 0]); // tie goes to the partner listed first
    check_split(-1, &[5000, 5000], &[-1, 0]);
    check_split(10, &[1, 1, 1], &[4, 3, 3]);
    check_split(-10, &[1, 1, 1], &[-4, -3, -3]);
    check_split(2, &[1, 1, 1], &[1, 1, 0]);
    check_split(1_000_000, &[5024, 4976], &[502_400, 497_600]);
    check_split(333, &[8510, 1490], &[283, 50]);
    check_split(7, &[0, 1], &[0, 7]);
}

#[test]
fn split_with_no_weight_only_splits_nothing() {
    assert_eq!(Money::from_pence(0).split_by_weights(&[0, 0]), Some(vec![Money::ZERO; 2]));
    assert_eq!(Money::from_pence(1).split_by_weights(&[0, 0]), None);
}

proptest! {
    #[test]
    fn splits_always_sum_exactly(
        amount in -MAX_PENCE..=MAX_PENCE,
        weights in prop::collection::vec(0u64..=1_000_000_000_000_000, 1..6),
    ) {
        prop_assume!(weights.iter().any(|w| *w > 0));
        let shares = Money::from_pence(amount).split_by_weights(&weights).unwrap();
        prop_assert_eq!(shares.iter().sum::<Money>(), Money::from_pence(amount));
        for (share, weight) in shares.iter().zip(&weights) {
            // Every share has the amount's sign (or is zero), and a zero weight gets nothing.
            prop_assert!(share.pence() == 0 || (share.pence() < 0) == (amount < 0));
            if *weight == 0 { prop_assert_eq!(share.pence(), 0); }
        }
    }

    #[test]
    fn plain_strings_parse_back(pence in -MAX_PENCE..=MAX_PENCE) {
        let m = Money::from_pence(pence);
        prop_assert_eq!(Money::parse(&m.to_plain_string()), Ok(m));
        prop_assert_eq!(Money::parse(&m.to_pounds_string()), Ok(m));
    }

    #[test]
    fn parse_never_panics(text in "\\PC*") {
        let _ = Money::parse(&text);
    }
}

fn fits(sum: i128) -> Option<Money> {
    i64::try_from(sum).ok().map(Money::from_pence)
}

proptest! {
    #[test]
    fn arithmetic_is_exact_or_refused(a in any::<i64>(), b in any::<i64>()) {
        let (x, y) = (Money::from_pence(a), Money::from_pence(b));
        let sum = fits(i128::from(a) + i128::from(b));
        let difference = fits(i128::from(a) - i128::from(b));
        prop_assert_eq!(x.checked_add(y), sum);
        prop_assert_eq!(x.checked_sub(y), difference);
        // The operators give the same figure whenever there is one.
        if let Some(s) = sum { prop_assert_eq!(x + y, s); }
        if let Some(d) = difference { prop_assert_eq!(x - y, d); }
    }

    #[test]
    fn a_tally_refuses_once_past_the_limit(amounts in prop::collection::vec(-MAX_PENCE..=MAX_PENCE, 0..2000)) {
        let mut tally = Tally::default();
        let mut refusals = Vec::new();
        let mut magnitude = 0i128;
        for (i, a) in amounts.iter().enumerate() {
            magnitude += i128::from(*a).abs();
            if tally.add(Money::from_pence(*a)).is_err() {
                refusals.push((i, magnitude));
            }
        }
        let limit = i128::from(MAX_TOTAL_PENCE);
        // Refused at the first amount past the limit, and only there.
        let first_past = amounts.iter().scan(0i128, |m, a| { *m += i128::from(*a).abs(); Some(*m) }).position(|m| m > limit);
        prop_assert_eq!(refusals.iter().map(|r| r.0).collect::<Vec<_>>(), first_past.into_iter().collect::<Vec<_>>());
        prop_assert_eq!(refusals.is_empty(), magnitude <= limit);
        // Within the limit, any sum or difference of the amounts is exact.
        if refusals.is_empty() {
            let total: Money = amounts.iter().copied().map(Money::from_pence).sum();
            prop_assert_eq!(i128::from(total.pence()), amounts.iter().map(|a| i128::from(*a)).sum::<i128>());
        }
    }
}

#[test]
fn a_tally_of_maximal_amounts_passes_the_limit_after_a_thousand() {
    let mut tally = Tally::default();
    let max = Money::from_pence(MAX_PENCE);
    for _ in 0..1000 {
        assert_eq!(tally.add(max), Ok(()));
    }
    assert_eq!(
        tally.add(-max),
        Err("the amounts add up to more than £100,000,000,000,000.00 (each counted as positive), more than pooled can add up exactly; no public budget comes near it".to_string())
    );
    assert_eq!(tally.add(max), Ok(()), "refused once");
}

#[test]
#[should_panic(expected = "money overflow in +")]
fn addition_past_the_range_panics_rather_than_wraps() {
    let _ = Money::from_pence(i64::MAX) + Money::from_pence(1);
}

#[test]
#[should_panic(expected = "money overflow in -")]
fn subtraction_past_the_range_panics_rather_than_wraps() {
    let _ = Money::from_pence(i64::MIN) - Money::from_pence(1);
}

#[test]
#[should_panic(expected = "money overflow in negation")]
fn negation_past_the_range_panics_rather_than_wraps() {
    let _ = -Money::from_pence(i64::MIN);
}

#[test]
#[should_panic(expected = "money overflow in +")]
fn sums_past_the_range_panic_rather_than_wrap() {
    let _: Money = [Money::from_pence(i64::MAX), Money::from_pence(i64::MAX)].iter().sum();
}
