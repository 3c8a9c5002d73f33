//! Exact fixed-point numbers for metrics and KPIs (rates, percentages, hours, days): an
//! integer of units with a scale, `20400.5` being 204005 units at scale 1. No floats.
//! Figures are kept at the scale they were written with; arithmetic that divides rounds
//! once, half away from zero, to the scale asked for.

use std::cmp::Ordering;
use std::fmt;

use crate::diagnostic::quote;

/// The most decimal places a figure may be written with.
pub const MAX_SCALE: u8 = 4;
/// The largest magnitude a figure may have, in whole units: far beyond any rate or count
/// of a pool, and small enough that sums of thousands of figures stay inside an `i64`.
const MAX_WHOLE: i64 = 1_000_000_000_000;

#[derive(Clone, Copy, Debug, Default)]
pub struct Decimal {
    units: i64,
    scale: u8,
}

impl Decimal {
    pub const ZERO: Decimal = Decimal { units: 0, scale: 0 };

    /// `units` of `10^-scale`; `None` past [`MAX_SCALE`] or out of range.
    pub fn new(units: i64, scale: u8) -> Option<Decimal> {
        let bound = MAX_WHOLE.checked_mul(ten(scale)?)?;
        (scale <= MAX_SCALE && units.abs() <= bound).then_some(Decimal { units, scale })
    }

    pub fn from_whole(n: i64) -> Option<Decimal> {
        Decimal::new(n, 0)
    }

    pub fn units(self) -> i64 {
        self.units
    }

    pub fn scale(self) -> u8 {
        self.scale
    }

    /// Parses `20400`, `20,400`, `-3.5`, `12.25%` (a trailing `%` is the unit's, and
    /// dropped). More than [`MAX_SCALE`] decimal places is an error, never a rounding.
    pub fn parse(text: &str) -> Result<Decimal, String> {
        let bad = |why: &str| Err(format!("invalid figure {}: {why}", quote(text)));
        let s = text.trim();
        let s = s.strip_suffix('%').unwrap_or(s).trim_end();
        let (negative, s) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
        let grouped_ok = whole
            .split(',')
            .enumerate()
            .all(|(i, g)| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()) && (i == 0 || g.len() == 3));
        if !grouped_ok || !fraction.bytes().all(|b| b.is_ascii_digit()) || (s.contains('.') && fraction.is_empty()) {
            return bad("expected a number such as `20400`, `20,400` or `85.5`");
        }
        if fraction.len() > usize::from(MAX_SCALE) {
            return bad(&format!("more than {MAX_SCALE} decimal places"));
        }
        let digits: String = whole.chars().filter(|c| *c != ',').chain(fraction.chars()).collect();
        let scale = fraction.len() as u8;
        let units = digits.parse::<i64>().ok().map(|u| if negative { -u } else { u });
        match units.and_then(|u| Decimal::new(u, scale)) {
            Some(d) => Ok(d),
            None => bad(&format!("more than {MAX_WHOLE}")),
        }
    }

    /// The units at a finer scale (exact); `None` for a coarser one.
    fn at_scale(self, scale: u8) -> Option<i128> {
        let factor = ten(scale.checked_sub(self.scale)?)?;
        Some(i128::from(self.units) * i128::from(factor))
    }

    /// The difference `self - other`, at the finer of the two scales.
    pub fn minus(self, other: Decimal) -> Decimal {
        self.combined(other, |a, b| a - b)
    }

    /// The sum `self + other`, at the finer of the two scales.
    pub fn plus(self, other: Decimal) -> Decimal {
        self.combined(other, |a, b| a + b)
    }

    fn combined(self, other: Decimal, op: impl Fn(i128, i128) -> i128) -> Decimal {
        let scale = self.scale.max(other.scale);
        let (a, b) = (self.at_scale(scale).unwrap_or(0), other.at_scale(scale).unwrap_or(0));
        // Both are bounded by MAX_WHOLE at MAX_SCALE, so their sum and difference fit.
        Decimal { units: op(a, b) as i64, scale }
    }

    /// `numerator / denominator` of `scale`d units, rounded half away from zero;
    /// `None` when the denominator is zero.
    fn rounded(numerator: i128, denominator: i128, scale: u8) -> Option<Decimal> {
        if denominator == 0 {
            return None;
        }
        let (q, r) = (numerator / denominator, numerator % denominator);
        let away = if (2 * r.abs()) >= denominator.abs() { numerator.signum() * denominator.signum() } else { 0 };
        Decimal::new(i64::try_from(q + away).ok()?, scale)
    }

    /// The mean of `values`, rounded half away from zero to `scale` places; `None` for no
    /// values.
    pub fn mean(values: &[Decimal], scale: u8) -> Option<Decimal> {
        let finest = values.iter().map(|v| v.scale).max()?.max(scale);
        let sum: i128 = values.iter().map(|v| v.at_scale(finest).unwrap_or(0)).sum();
        let count = i128::try_from(values.len()).ok()?;
        // sum / 10^finest / count at 10^-scale: sum * 10^scale / (count * 10^finest).
        Decimal::rounded(sum * i128::from(ten(scale)?), count * i128::from(ten(finest)?), scale)
    }

    /// `self` as a percentage of `whole`, rounded half away from zero to `scale` places;
    /// `None` when `whole` is zero.
    pub fn percent_of(self, whole: Decimal, scale: u8) -> Option<Decimal> {
        let finest = self.scale.max(whole.scale);
        let (part, whole) = (self.at_scale(finest)?, whole.at_scale(finest)?);
        Decimal::rounded(part * 100 * i128::from(ten(scale)?), whole, scale)
    }

    /// `self × percent / 100`, rounded half away from zero to `scale` places.
    pub fn percent(self, percent: Decimal, scale: u8) -> Option<Decimal> {
        let product = i128::from(self.units) * i128::from(percent.units);
        let divisor = 100 * i128::from(ten(self.scale + percent.scale)?);
        Decimal::rounded(product * i128::from(ten(scale)?), divisor, scale)
    }

    /// `self × n / d`, rounded half away from zero to `scale` places (a share of a
    /// target: a quarter's part of a year's growth).
    pub fn times_fraction(self, n: i64, d: i64, scale: u8) -> Option<Decimal> {
        let numerator = i128::from(self.units) * i128::from(n) * i128::from(ten(scale)?);
        Decimal::rounded(numerator, i128::from(d) * i128::from(ten(self.scale)?), scale)
    }

    /// The same value at the smallest scale that holds it exactly: `2040.00` is `2040`.
    pub fn normalized(self) -> Decimal {
        let mut d = self;
        while d.scale > 0 && d.units % 10 == 0 {
            d = Decimal { units: d.units / 10, scale: d.scale - 1 };
        }
        d
    }

    /// With thousands separators, for pages: `20,400.5`.
    pub fn grouped(self) -> String {
        let plain = self.to_string();
        let (sign, rest) = plain.strip_prefix('-').map_or(("", plain.as_str()), |r| ("-", r));
        let (whole, fraction) = rest.split_once('.').map_or((rest, None), |(w, f)| (w, Some(f)));
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        match fraction {
            Some(f) => format!("{sign}{grouped}.{f}"),
            None => format!("{sign}{grouped}"),
        }
    }
}

fn ten(power: u8) -> Option<i64> {
    10i64.checked_pow(u32::from(power))
}

/// Equal in value, whatever the scales: `1.50` is `1.5`.
impl PartialEq for Decimal {
    fn eq(&self, other: &Decimal) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.at_scale(scale).cmp(&other.at_scale(scale))
    }
}

/// Plain, at its scale: `20400`, `85.50`, `-3.5`.
impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.scale == 0 {
            return write!(f, "{}", self.units);
        }
        let factor = ten(self.scale).unwrap_or(1);
        let sign = if self.units < 0 { "-" } else { "" };
        let (whole, fraction) = (self.units.abs() / factor, self.units.abs() % factor);
        write!(f, "{sign}{whole}.{fraction:0width$}", width = usize::from(self.scale))
    }
}
