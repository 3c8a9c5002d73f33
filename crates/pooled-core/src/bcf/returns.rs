//! The returns to NHS England (docs/rules.md, "The returns"): the year's plan, a quarter's
//! return and the end-of-year return, each at its month; how a metric's status is worded
//! in each; and what the area writes into them (who completed the return, its narrative,
//! an assurance statement per condition), each a bounded text.

use crate::calendar::FiscalMonth;
use crate::metrics::{MetricPeriod, Status};

/// Which return.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReturnKind {
    /// The year's plan: the agreement's budgets, no ledger.
    Plan,
    /// A quarter's return, for quarters 1 to 3 (the fourth is the end of year's).
    Quarter(u8),
    YearEnd,
}

impl ReturnKind {
    pub const ALL: [ReturnKind; 5] =
        [ReturnKind::Plan, ReturnKind::Quarter(1), ReturnKind::Quarter(2), ReturnKind::Quarter(3), ReturnKind::YearEnd];

    /// `plan`, `Q1`-`Q3` or `year-end`, in any case.
    pub fn parse(text: &str) -> Result<ReturnKind, String> {
        let t = text.trim();
        ReturnKind::ALL.into_iter().find(|k| k.key().eq_ignore_ascii_case(t)).ok_or_else(|| {
            format!(
                "unknown return {}: `plan`, `Q1`, `Q2`, `Q3` or `year-end` (Q4 is the end-of-year return)",
                crate::diagnostic::quote(text)
            )
        })
    }

    /// As the command line, the store and the web's addresses write it.
    pub fn key(self) -> &'static str {
        match self {
            ReturnKind::Plan => "plan",
            ReturnKind::Quarter(1) => "Q1",
            ReturnKind::Quarter(2) => "Q2",
            ReturnKind::Quarter(_) => "Q3",
            ReturnKind::YearEnd => "year-end",
        }
    }

    /// In a reader's words: `Q2 return`.
    pub fn words(self) -> String {
        match self {
            ReturnKind::Plan => "plan".into(),
            ReturnKind::Quarter(q) => format!("Q{q} return"),
            ReturnKind::YearEnd => "end-of-year return".into(),
        }
    }

    /// The month whose ledger figures the return gives: the quarter's last (M3, M6, M9),
    /// M12 for the end of year; `None` for the plan.
    pub fn month(self) -> Option<FiscalMonth> {
        let number = match self {
            ReturnKind::Plan => return None,
            ReturnKind::Quarter(q) => u32::from(q) * 3,
            ReturnKind::YearEnd => 12,
        };
        FiscalMonth::new(number)
    }

    /// Whether a metric's period is reported in this return: every period for the plan
    /// and the end of year, those up to the quarter's end for a quarter's.
    pub fn reports(self, period: MetricPeriod) -> bool {
        match self {
            ReturnKind::Plan | ReturnKind::YearEnd => true,
            ReturnKind::Quarter(q) => period.quarter().is_some_and(|p| p <= q),
        }
    }

    /// A metric's status as the return words it: on track / not on track / not available
    /// during the year, achieved / not achieved / data not available at its end.
    pub fn status_words(self, status: Status) -> &'static str {
        match (self, status) {
            (ReturnKind::YearEnd, Status::OnTrack) => "achieved",
            (ReturnKind::YearEnd, Status::NotOnTrack) => "not achieved",
            (ReturnKind::YearEnd, Status::NotAvailable) => "data not available",
            (_, status) => status.words(),
        }
    }
}

impl std::fmt::Display for ReturnKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// The most characters a statement may hold: well inside a spreadsheet cell's 32,767, and
/// a bound on what a form may store.
pub const MAX_STATEMENT_CHARS: usize = 10_000;

/// What the area writes into a return.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StatementField {
    /// Who completed the return (the cover's name).
    CompletedBy,
    /// Their e-mail address or telephone, as the cover asks.
    Contact,
    /// The narrative: progress, and why figures differ from the plan.
    Narrative,
    /// The assurance statement for a condition, by the condition's key.
    Condition(String),
}

impl StatementField {
    /// `completed-by`, `contact`, `narrative` or `condition:KEY`.
    pub fn parse(text: &str) -> Result<StatementField, String> {
        match text.trim() {
            "completed-by" => Ok(StatementField::CompletedBy),
            "contact" => Ok(StatementField::Contact),
            "narrative" => Ok(StatementField::Narrative),
            other => match other.strip_prefix("condition:") {
                Some(key) if !key.is_empty() && key.len() <= 100 => Ok(StatementField::Condition(key.to_string())),
                _ => Err(format!(
                    "unknown field {}: `completed-by`, `contact`, `narrative` or `condition:KEY` (a condition's key)",
                    crate::diagnostic::quote(text)
                )),
            },
        }
    }

    pub fn key(&self) -> String {
        match self {
            StatementField::CompletedBy => "completed-by".into(),
            StatementField::Contact => "contact".into(),
            StatementField::Narrative => "narrative".into(),
            StatementField::Condition(key) => format!("condition:{key}"),
        }
    }
}

/// A statement's text, or why it cannot be kept: at most [`MAX_STATEMENT_CHARS`]
/// characters, and no control characters but line breaks and tabs. Surrounding spaces are
/// dropped; an empty text clears the statement.
pub fn check_statement(text: &str) -> Result<String, String> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars > MAX_STATEMENT_CHARS {
        return Err(format!(
            "the statement has {} characters: at most {} may be kept",
            crate::diagnostic::group_thousands(chars as u64),
            crate::diagnostic::group_thousands(MAX_STATEMENT_CHARS as u64)
        ));
    }
    if let Some(c) = text.chars().find(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(format!("the statement holds a control character (U+{:04X})", u32::from(c)));
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_and_name_their_month() {
        let check = |text: &str, expected: Result<(&str, Option<u32>), &str>| {
            let got = ReturnKind::parse(text).map(|k| (k.key(), k.month().map(FiscalMonth::number)));
            match expected {
                Ok(e) => assert_eq!(got, Ok(e), "{text}"),
                Err(part) => assert!(got.unwrap_err().contains(part), "{text}"),
            }
        };
        check("plan", Ok(("plan", None)));
        check("q1", Ok(("Q1", Some(3))));
        check("Q2", Ok(("Q2", Some(6))));
        check(" Q3 ", Ok(("Q3", Some(9))));
        check("Year-End", Ok(("year-end", Some(12))));
        check("Q4", Err("Q4 is the end-of-year return"));
        check("", Err("unknown return"));
    }

    #[test]
    fn a_quarter_reports_the_periods_up_to_its_end() {
        let check = |kind: ReturnKind, period: &str, expected: bool| {
            assert_eq!(kind.reports(MetricPeriod::parse(period).unwrap()), expected, "{kind} {period}");
        };
        check(ReturnKind::Quarter(1), "M3", true);
        check(ReturnKind::Quarter(1), "M4", false);
        check(ReturnKind::Quarter(2), "W26", true);
        check(ReturnKind::Quarter(2), "W27", false);
        check(ReturnKind::Quarter(3), "Q3", true);
        check(ReturnKind::Quarter(3), "year", false);
        check(ReturnKind::YearEnd, "year", true);
        check(ReturnKind::Plan, "Q4", true);
    }

    #[test]
    fn the_end_of_year_words_a_status_as_achieved_or_not() {
        let check = |kind: ReturnKind, status: Status, expected: &str| assert_eq!(kind.status_words(status), expected);
        check(ReturnKind::Quarter(2), Status::OnTrack, "on track");
        check(ReturnKind::Quarter(2), Status::NotAvailable, "not available");
        check(ReturnKind::YearEnd, Status::OnTrack, "achieved");
        check(ReturnKind::YearEnd, Status::NotOnTrack, "not achieved");
        check(ReturnKind::YearEnd, Status::NotAvailable, "data not available");
    }

    #[test]
    fn statements_are_bounded_text() {
        let check = |text: &str, expected: Result<&str, &str>| match expected {
            Ok(kept) => assert_eq!(check_statement(text).as_deref(), Ok(kept)),
            Err(part) => assert!(check_statement(text).unwrap_err().contains(part), "{text:?}"),
        };
        check("  =HYPERLINK(\"x\")\n", Ok("=HYPERLINK(\"x\")"));
        check("line one\nline two", Ok("line one\nline two"));
        check(&"x".repeat(MAX_STATEMENT_CHARS), Ok(&"x".repeat(MAX_STATEMENT_CHARS)));
        check(&"x".repeat(MAX_STATEMENT_CHARS + 1), Err("10,001 characters"));
        check("bell\u{7}", Err("U+0007"));
    }

    #[test]
    fn fields_parse() {
        let check = |text: &str, expected: Option<StatementField>| {
            assert_eq!(StatementField::parse(text).ok(), expected, "{text}");
        };
        check("completed-by", Some(StatementField::CompletedBy));
        check("contact", Some(StatementField::Contact));
        check("narrative", Some(StatementField::Narrative));
        check("condition:social-care", Some(StatementField::Condition("social-care".into())));
        check("condition:", None);
        check("signed", None);
        for field in [StatementField::Narrative, StatementField::Condition("dfg".into())] {
            assert_eq!(StatementField::parse(&field.key()), Ok(field));
        }
    }
}
