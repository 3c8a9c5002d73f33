//! Notice of termination: 6 months' notice, 3 where no annual contribution is agreed,
//! shorter where the other party is in default.

use crate::agreement::Termination;
use crate::calendar::Date;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeReason {
    Standard,
    NoContributionAgreement,
    /// The other party is in default: the notice given, shorter than the standard.
    Default {
        months: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Notice {
    pub given: Date,
    pub months: u32,
    pub effective: Date,
}

/// When notice given on `given` takes effect: calendar months later, clamped to the end of
/// the month (2016-08-31 + 6 months = 2017-02-28).
pub fn notice(terms: Termination, given: Date, reason: NoticeReason) -> Result<Notice, String> {
    let months = match reason {
        NoticeReason::Standard => terms.notice_months,
        NoticeReason::NoContributionAgreement => terms.no_contribution_agreement_months,
        NoticeReason::Default { months } if months < terms.notice_months => months,
        NoticeReason::Default { months } => {
            return Err(format!(
                "notice for default must be shorter than the standard {} months (got {months})",
                terms.notice_months
            ));
        }
    };
    let effective = i32::try_from(months)
        .ok()
        .and_then(|m| given.add_months_clamped(m))
        .ok_or_else(|| format!("{given} + {months} months is past the year 9999"))?;
    Ok(Notice { given, months, effective })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: Termination = Termination { notice_months: 6, no_contribution_agreement_months: 3 };

    fn check(given: &str, reason: NoticeReason, expected: Result<&str, &str>) {
        let given = Date::parse_iso(given).unwrap();
        let got = notice(TERMS, given, reason).map(|n| n.effective.to_string());
        assert_eq!(got, expected.map(String::from).map_err(String::from), "{given} {reason:?}");
    }

    #[test]
    fn notice_dates_at_month_ends_and_in_leap_years() {
        use NoticeReason::*;
        check("2016-08-31", Standard, Ok("2017-02-28"));
        check("2019-08-31", Standard, Ok("2020-02-29"));
        check("2023-08-30", Standard, Ok("2024-02-29"));
        check("2016-04-01", Standard, Ok("2016-10-01"));
        check("2015-11-30", NoContributionAgreement, Ok("2016-02-29"));
        check("2016-11-30", NoContributionAgreement, Ok("2017-02-28"));
        check("2016-12-31", NoContributionAgreement, Ok("2017-03-31"));
        check("2017-01-31", Default { months: 1 }, Ok("2017-02-28"));
        check("2017-01-31", Default { months: 0 }, Ok("2017-01-31"));
        check(
            "2017-01-31",
            Default { months: 6 },
            Err("notice for default must be shorter than the standard 6 months (got 6)"),
        );
        check("9999-10-01", Standard, Err("9999-10-01 + 6 months is past the year 9999"));
    }
}
