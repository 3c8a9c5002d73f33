//! Percentages as fixed-point integers: `50.24` is 5024 units at two decimals. Risk shares are
//! published rounded, and the rounded figures are the agreed ones, so they are kept
//! exactly as published rather than as the ratio they came from.

use std::fmt;

use crate::diagnostic::quote;
use crate::money::largest_remainder;

/// The most decimals a percentage may be published to; keeps `100 * 10^decimals` small.
pub const MAX_DECIMALS: u8 = 6;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent {
    units: u64,
    decimals: u8,
}

impl Percent {
    pub fn from_units(units: u64, decimals: u8) -> Option<Percent> {
        (decimals <= MAX_DECIMALS && units <= hundred(decimals)).then_some(Percent { units, decimals })
    }

    /// Units of `10^-decimals` percent: 5024 for 50.24%.
    pub fn units(self) -> u64 {
        self.units
    }

    pub fn decimals(self) -> u8 {
        self.decimals
    }

    /// Parses `51`, `51.5` or `51.50` at the given decimals; more places than that, or a
    /// value over 100, is an error.
    /// A percentage at the places it is written with (at most [`MAX_DECIMALS`]), so that
    /// "2" shows as 2% and "2.5" as 2.5%.
    pub fn parse_as_written(text: &str) -> Result<Percent, String> {
        let text = text.trim();
        let places = text.trim_end_matches('%').split_once('.').map_or(0, |(_, f)| f.len());
        Percent::parse(text, u8::try_from(places).unwrap_or(u8::MAX).min(MAX_DECIMALS))
    }

    pub fn parse(text: &str, decimals: u8) -> Result<Percent, String> {
        let bad = |why: String| Err(format!("invalid percentage {}: {why}", quote(text)));
        let s = text.trim().strip_suffix('%').unwrap_or(text.trim());
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let digits_only = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_only(whole) || !digits_only(fraction) || (s.contains('.') && fraction.is_empty())
        {
            return bad("expected a number such as `51` or `50.24`".into());
        }
        if fraction.len() > usize::from(decimals) {
            return bad(format!("more than {decimals} decimal places"));
        }
        let scale = 10u64.pow(u32::from(decimals));
        let fraction_units = if fraction.is_empty() {
            0
        } else {
            fraction.parse::<u64>().unwrap_or(0) * 10u64.pow(u32::from(decimals) - fraction.len() as u32)
        };
        match whole.parse::<u64>().ok().filter(|w| *w <= 100).map(|w| w * scale + fraction_units) {
            Some(units) if units <= hundred(decimals) => Ok(Percent { units, decimals }),
            _ => bad("more than 100".into()),
        }
    }
}

/// 100% in units at the given decimals.
pub fn hundred(decimals: u8) -> u64 {
    100 * 10u64.pow(u32::from(decimals))
}

/// Percentages proportional to `bases`, rounded to `decimals` and summing to exactly 100
/// (largest remainder, ties to the partner listed first). `None` when every base is zero.
pub fn proportional_shares(bases: &[u64], decimals: u8) -> Option<Vec<Percent>> {
    let total: u128 = bases.iter().map(|b| u128::from(*b)).sum();
    if total == 0 || decimals > MAX_DECIMALS {
        return None;
    }
    let units = largest_remainder(u128::from(hundred(decimals)), bases, total);
    Some(units.into_iter().map(|u| Percent { units: u as u64, decimals }).collect())
}

/// `units` of `10^-decimals` percent as text: `format_units(5024, 2)` is `50.24`.
pub fn format_units(units: u64, decimals: u8) -> String {
    if decimals == 0 {
        return units.to_string();
    }
    let scale = 10u64.pow(u32::from(decimals));
    format!("{}.{:0width$}", units / scale, units % scale, width = usize::from(decimals))
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_units(self.units, self.decimals))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_shares(bases: &[u64], decimals: u8, expected: &[&str]) {
        let got: Vec<String> = proportional_shares(bases, decimals).unwrap().iter().map(Percent::to_string).collect();
        assert_eq!(got, expected, "shares of {bases:?}");
    }

    #[test]
    fn schedule_3_risk_shares_to_the_hundredth() {
        // Risk Shared Contributions in pounds, Schedule 3 tables A.2, B.2, C.2, D.2.
        check_shares(&[87_119_109, 86_281_000], 2, &["50.24", "49.76"]);
        check_shares(&[76_043_402, 13_318_000], 2, &["85.10", "14.90"]);
        check_shares(&[9_135_121, 44_847_000], 2, &["16.92", "83.08"]);
        check_shares(&[12_745_544, 7_866_000], 2, &["61.84", "38.16"]);
    }

    #[test]
    fn ties_and_decimals() {
        check_shares(&[1, 1, 1], 2, &["33.34", "33.33", "33.33"]);
        check_shares(&[1, 1, 1], 0, &["34", "33", "33"]);
        check_shares(&[0, 5], 2, &["0.00", "100.00"]);
        check_shares(&[2, 1], 3, &["66.667", "33.333"]);
        assert_eq!(proportional_shares(&[0, 0], 2), None);
    }

    fn check_parse(text: &str, decimals: u8, expected: Result<&str, &str>) {
        let got = Percent::parse(text, decimals).map(|p| p.to_string());
        assert_eq!(got, expected.map(String::from).map_err(String::from), "parsing {text:?}");
    }

    #[test]
    fn parses_published_percentages() {
        check_parse("51", 2, Ok("51.00"));
        check_parse("49.5", 2, Ok("49.50"));
        check_parse("50.24%", 2, Ok("50.24"));
        check_parse("100", 0, Ok("100"));
        check_parse("50.245", 2, Err("invalid percentage `50.245`: more than 2 decimal places"));
        check_parse("100.01", 2, Err("invalid percentage `100.01`: more than 100"));
        check_parse("-5", 2, Err("invalid percentage `-5`: expected a number such as `51` or `50.24`"));
        check_parse("5.", 2, Err("invalid percentage `5.`: expected a number such as `51` or `50.24`"));
    }

    proptest! {
        #[test]
        fn shares_sum_to_exactly_100(
            bases in prop::collection::vec(0u64..=10_000_000_000_000, 2..6),
            decimals in 0u8..=MAX_DECIMALS,
        ) {
            prop_assume!(bases.iter().any(|b| *b > 0));
            let shares = proportional_shares(&bases, decimals).unwrap();
            prop_assert_eq!(shares.iter().map(|p| p.units()).sum::<u64>(), hundred(decimals));
        }
    }
}
