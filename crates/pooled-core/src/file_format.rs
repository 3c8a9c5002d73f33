//! Field types shared by the three TOML files pooled reads (agreement, outturn, meeting):
//! exact amounts, dates, and the conversion of `toml` errors into located diagnostics.

use std::fmt;
use std::ops::RangeInclusive;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::calendar::Date;
use crate::diagnostic::Diagnostic;
use crate::money::{MAX_PENCE, Money};

pub use toml::Spanned;

/// Parses a whole TOML file into `T`, turning a syntax or shape error into one diagnostic.
pub fn from_toml<T: de::DeserializeOwned>(text: &str) -> Result<T, Diagnostic> {
    toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        Diagnostic::error(span, e.message().trim_end().to_string())
    })
}

/// An amount as the file gives it: a TOML integer (whole pounds) or a string with pence.
/// Floats are refused because they cannot hold pence exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Amount(pub Money);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Amount, D::Error> {
        struct AmountVisitor;
        impl Visitor<'_> for AmountVisitor {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount: whole pounds as an integer, or a string such as \"1234.56\"")
            }
            fn visit_i64<E: de::Error>(self, pounds: i64) -> Result<Amount, E> {
                Money::from_pounds(pounds)
                    .filter(|m| m.pence().abs() <= MAX_PENCE)
                    .map(Amount)
                    .ok_or_else(|| E::custom(format!("invalid amount `{pounds}`: too large")))
            }
            fn visit_u64<E: de::Error>(self, pounds: u64) -> Result<Amount, E> {
                i64::try_from(pounds)
                    .map_err(|_| E::custom(format!("invalid amount `{pounds}`: too large")))
                    .and_then(|p| self.visit_i64(p))
            }
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Amount, E> {
                Err(E::custom(format!(
                    "amount `{value:?}` is a float, which cannot hold pence exactly: write it as a string, e.g. \"{value:?}\""
                )))
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Amount, E> {
                Money::parse(text).map(Amount).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(AmountVisitor)
    }
}

/// A calendar date written as a bare TOML date (`2016-04-01`) or an ISO string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileDate(pub Date);

impl<'de> Deserialize<'de> for FileDate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FileDate, D::Error> {
        let expecting = "expected a date such as 2016-04-01, without a time";
        let value = toml::Value::deserialize(deserializer)?;
        let text = match value {
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            toml::Value::String(s) => s,
            _ => return Err(de::Error::custom(expecting)),
        };
        Date::parse_iso(&text).map(FileDate).map_err(de::Error::custom)
    }
}

/// What to say when the whole number `value`, called `what`, is outside `range`:
/// `` `notice_months` must be between 1 and 120 months (got 0) ``. `None` within it.
pub fn out_of_range(what: &str, value: u32, range: RangeInclusive<u32>, unit: &str) -> Option<String> {
    (!range.contains(&value)).then(|| {
        format!(
            "{what} must be between {} and {} {unit} (got {})",
            range.start(),
            range.end(),
            crate::diagnostic::group_thousands(u64::from(value))
        )
    })
}

/// Amounts that must not be negative (contributions, budgets, income, caps).
pub fn non_negative(amount: &Spanned<Amount>, what: &str) -> Result<Money, Diagnostic> {
    let money = amount.get_ref().0;
    if money.is_negative() {
        Err(Diagnostic::error(amount.span(), format!("{what} cannot be negative (got {money})")))
    } else {
        Ok(money)
    }
}
