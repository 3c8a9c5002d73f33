//! Exact money: integer pence, parsing of every amount form the agreement file allows,
//! £ formatting, and the exact largest-remainder split.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};

use crate::diagnostic::{group_thousands, quote};

/// An amount of money in whole pence. Never a float.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(i64);

/// Amounts beyond £100 billion are refused at parse time; no public budget comes near it.
pub const MAX_PENCE: i64 = 10_000_000_000_000;

/// The most the amounts of one input may add up to, each counted as positive: £100
/// trillion. Every input is refused past it where it enters ([`Tally`]: an agreement
/// file, a plan, an outturn file, a year's ledger and forecasts), so any figure worked
/// out from a few inputs (sums, differences, a run rate times twelve) stays hundreds of
/// times inside an `i64` (±£92 quadrillion). The operators check all the same: an
/// overflow panics as the bug it would be, never wraps.
pub const MAX_TOTAL_PENCE: i64 = 10_000_000_000_000_000;

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_pence(pence: i64) -> Money {
        Money(pence)
    }

    pub fn from_pounds(pounds: i64) -> Option<Money> {
        pounds.checked_mul(100).filter(|p| p.abs() <= MAX_PENCE).map(Money)
    }

    pub const fn pence(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn abs(self) -> Money {
        Money(self.0.checked_abs().unwrap_or_else(|| overflow("abs")))
    }

    /// Parses the string forms of the agreement file (docs/agreement-file.md): `1234`,
    /// `1234.5`, `1234.56`, `1,234.56`, `£1,234.56`, `-1234.56`, `-£1,234.56`. More than two
    /// decimal places is an error, never a silent rounding.
    pub fn parse(text: &str) -> Result<Money, String> {
        let bad = |why: &str| Err(format!("invalid amount {}: {why}", quote(text)));
        let s = text.trim();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let s = s.strip_prefix('£').unwrap_or(s);
        let (whole, fraction) = match s.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (s, None),
        };
        if whole.is_empty() {
            return bad("expected digits before the decimal point");
        }
        let digits = match ungroup(whole) {
            Ok(d) => d,
            Err(why) => return bad(&why),
        };
        let fraction_pence = match fraction {
            None => 0,
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return bad("expected digits after the decimal point");
            }
            Some(f) if f.len() > 2 => {
                return bad("more than two decimal places (amounts are exact to the penny)");
            }
            Some(f) if f.len() == 1 => i64::from(f.as_bytes()[0] - b'0') * 10,
            Some(f) => f.parse::<i64>().unwrap_or(0),
        };
        let pence = digits
            .parse::<i64>()
            .ok()
            .and_then(|p| p.checked_mul(100))
            .and_then(|p| p.checked_add(fraction_pence))
            .filter(|p| *p <= MAX_PENCE);
        match pence {
            Some(p) if negative => Ok(Money(-p)),
            Some(p) => Ok(Money(p)),
            None => bad("too large"),
        }
    }

    /// `£1,234,567.89`, or `-£1,234.56`.
    pub fn to_pounds_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}£{}", self.abs_grouped())
    }

    /// `1234567.89` or `-1234.56`: the JSON contract's form (docs/cli.md).
    pub fn to_plain_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let p = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", p / 100, p % 100)
    }

    /// `1,234,567.89`, negatives in brackets: `(1,234.56)`; the report form.
    pub fn to_report_string(self) -> String {
        bracket(self.0 < 0, self.abs_grouped())
    }

    /// Whole thousands of pounds, rounded half away from zero, grouped, negatives in
    /// brackets: `66,923` for £66,922,562; the £'000 report form.
    pub fn to_thousands_string(self) -> String {
        let p = self.0.unsigned_abs();
        let thousands = (p + 50_000) / 100_000;
        bracket(self.0 < 0 && thousands != 0, group_thousands(thousands))
    }

    fn abs_grouped(self) -> String {
        let p = self.0.unsigned_abs();
        format!("{}.{:02}", group_thousands(p / 100), p % 100)
    }

    /// Twelve monthly amounts: the annual amount / 12 truncated to the penny, the remainder
    /// added to the twelfth, so they sum exactly to the annual amount (instalments; flat profiles).
    pub fn monthly(self) -> [Money; 12] {
        self.over_last_months(12)
    }

    /// Twelve monthly amounts, the last `months` (1 to 12) sharing the amount as
    /// [`Money::monthly`] shares it over twelve, the months before them nothing: a budget
    /// in force from a month after the first.
    pub fn over_last_months(self, months: usize) -> [Money; 12] {
        assert!((1..=12).contains(&months), "a year has twelve months");
        let mut out = [Money::ZERO; 12];
        out[12 - months..].copy_from_slice(&self.in_equal_parts(months));
        out
    }

    /// `parts` (at least one) equal amounts, truncated to the penny, the remainder added
    /// to the last, so they sum exactly to this amount.
    pub fn in_equal_parts(self, parts: usize) -> Vec<Money> {
        let count = i64::try_from(parts).ok().filter(|c| *c > 0).expect("at least one part");
        let each = Money(self.0 / count);
        let mut out = vec![each; parts];
        out[parts - 1] = Money(self.0 - each.0 * (count - 1));
        out
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// Splits this amount exactly by integer weights: each share is truncated
    /// toward zero to the penny, then the leftover pence go one each to the largest
    /// remainders, ties to the earliest weight. A negative amount is split on its absolute
    /// value and the sign applied. The shares always sum to the amount. All weights zero
    /// gives all-zero shares only when the amount is zero; otherwise `None`.
    pub fn split_by_weights(self, weights: &[u64]) -> Option<Vec<Money>> {
        let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        let amount = u128::from(self.0.unsigned_abs());
        if total == 0 {
            return (amount == 0).then(|| vec![Money::ZERO; weights.len()]);
        }
        let shares: Vec<u128> = largest_remainder(amount, weights, total);
        let sign = if self.0 < 0 { -1 } else { 1 };
        Some(
            shares
                .into_iter()
                .map(|s| Money(sign * i64::try_from(s).expect("a share never exceeds the amount")))
                .collect(),
        )
    }
}

/// Apportions `amount` units by `weights` (summing to `total > 0`): truncation, then the
/// leftover units one each to the largest remainders, ties to the earliest weight. The
/// shares always sum to `amount`, and this asserts it.
/// Shared by money splits and by risk-share percentages.
pub(crate) fn largest_remainder(amount: u128, weights: &[u64], total: u128) -> Vec<u128> {
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = amount * u128::from(*w);
        shares.push(exact / total);
        remainders.push((exact % total, i));
    }
    let given: u128 = shares.iter().sum();
    let leftover = usize::try_from(amount - given).expect("leftover is below the weight count");
    // Largest remainder first; on equal remainders the earlier index first.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take(leftover) {
        shares[i] += 1;
    }
    // Always on, like every check of a published figure: shares that do not add up to
    // the amount are a bug, never something to print.
    assert_eq!(shares.iter().sum::<u128>(), amount, "the shares of a split sum to the amount split");
    shares
}

/// Adds up the amounts of one input, each counted as positive, to refuse the input once
/// they pass [`MAX_TOTAL_PENCE`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pence: i128,
    passed: bool,
}

impl Tally {
    /// Counts `amount`; `Err` with what to tell the user for the amount that passes the
    /// limit (once: the amounts after it are counted silently).
    pub fn add(&mut self, amount: Money) -> Result<(), String> {
        self.pence = self.pence.saturating_add(i128::from(amount.0).abs());
        if self.passed || self.pence <= i128::from(MAX_TOTAL_PENCE) {
            return Ok(());
        }
        self.passed = true;
        Err(format!(
            "the amounts add up to more than {} (each counted as positive), more than pooled can add up exactly; no public budget comes near it",
            Money(MAX_TOTAL_PENCE)
        ))
    }
}

/// Removes thousands separators from the whole-pounds part, insisting they are in the right
/// places: `1,234,567` is fine, `1,23,4567` is a typo worth refusing in a finance file.
fn ungroup(whole: &str) -> Result<String, String> {
    if !whole.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        return Err("expected only digits, commas, one decimal point and an optional leading `-` or `£`".into());
    }
    if whole.contains(',') {
        let groups: Vec<&str> = whole.split(',').collect();
        let first_ok = (1..=3).contains(&groups[0].len());
        if !first_ok || groups[1..].iter().any(|g| g.len() != 3) {
            return Err("commas must separate groups of three digits".into());
        }
    }
    Ok(whole.replace(',', ""))
}

fn bracket(negative: bool, text: String) -> String {
    if negative { format!("({text})") } else { text }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_pounds_string())
    }
}

/// An overflow of money arithmetic: a bug, since every input is bounded where it enters
/// ([`MAX_TOTAL_PENCE`]); it stops the work rather than publish a wrapped figure.
#[cold]
#[track_caller]
fn overflow(operation: &str) -> ! {
    panic!("money overflow in {operation}: amounts are bounded where they enter, so this is a bug")
}

impl Add for Money {
    type Output = Money;
    #[track_caller]
    fn add(self, other: Money) -> Money {
        self.checked_add(other).unwrap_or_else(|| overflow("+"))
    }
}

impl AddAssign for Money {
    #[track_caller]
    fn add_assign(&mut self, other: Money) {
        *self = *self + other;
    }
}

impl Sub for Money {
    type Output = Money;
    #[track_caller]
    fn sub(self, other: Money) -> Money {
        self.checked_sub(other).unwrap_or_else(|| overflow("-"))
    }
}

impl SubAssign for Money {
    #[track_caller]
    fn sub_assign(&mut self, other: Money) {
        *self = *self - other;
    }
}

impl Neg for Money {
    type Output = Money;
    #[track_caller]
    fn neg(self) -> Money {
        Money(self.0.checked_neg().unwrap_or_else(|| overflow("negation")))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests;
