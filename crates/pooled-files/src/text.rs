//! Numbers and dates as the text the core's parsers read.

use std::fmt::Write as _;

use pooled_core::ledger::DateFormat;

/// A spreadsheet number as plain decimal text, with no float artefacts.
///
/// The rule: round to 15 significant digits, the precision Excel itself displays (so
/// `0.1 + 0.2` is `0.3`, not `0.30000000000000004`); then
/// - a whole number is written without decimals (`1234`, and codes stored as numbers such
///   as cost centre `10450` stay codes);
/// - one or two decimals are written as exactly two (`1234.5` -> `1234.50`): whole pence,
///   the form every amount parser in pooled reads;
/// - more decimals are kept as they are (`0.125`), never rounded to pence, so an amount
///   that is not a whole number of pence is refused downstream rather than changed.
pub fn format_number(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    if x == 0.0 {
        return "0".into();
    }
    // `d.dddddddddddddde±N`: fifteen significant digits and a decimal exponent.
    let scientific = format!("{:.14e}", x.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let (whole, fraction) = if exponent >= 0 {
        let k = usize::try_from(exponent).unwrap_or(0) + 1;
        if k >= digits.len() {
            (format!("{digits:0<k$}"), String::new())
        } else {
            (digits[..k].to_string(), digits[k..].to_string())
        }
    } else {
        let zeros = usize::try_from(-exponent - 1).unwrap_or(0);
        ("0".to_string(), format!("{}{digits}", "0".repeat(zeros)))
    };
    let fraction = fraction.trim_end_matches('0');
    let sign = if x < 0.0 { "-" } else { "" };
    match fraction.len() {
        0 => format!("{sign}{whole}"),
        1 | 2 => format!("{sign}{whole}.{fraction:0<2}"),
        _ => format!("{sign}{whole}.{fraction}"),
    }
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/// Appends a date in one of the ledger date forms (`2016-05-31`, `31/05/2016`,
/// `31-MAY-2016`, `20160531`). Takes parts rather than a `Date` because Excel has a day
/// that does not exist (1900-02-29) and it is shown as Excel shows it.
pub(crate) fn push_date(out: &mut String, year: u32, month: u32, day: u32, format: DateFormat) {
    // Writing to a String cannot fail.
    let _ = match format {
        DateFormat::Iso => write!(out, "{year:04}-{month:02}-{day:02}"),
        DateFormat::DayMonthYear => write!(out, "{day:02}/{month:02}/{year:04}"),
        DateFormat::DayMonName => {
            let name = MONTHS.get(month.saturating_sub(1) as usize).copied().unwrap_or("???");
            write!(out, "{day:02}-{name}-{year:04}")
        }
        DateFormat::Compact => write!(out, "{year:04}{month:02}{day:02}"),
    };
}
