//! The payment schedule (docs/rules.md, payments): each non-host partner pays its
//! contribution to the pool's host in monthly instalments, some partners a month or more
//! in advance.

use crate::agreement::{Agreement, PartnerIx};
use crate::calendar::{Date, FiscalMonth};
use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instalment {
    pub pool: String,
    pub from: PartnerIx,
    pub to: PartnerIx,
    pub month: FiscalMonth,
    pub due: Date,
    pub amount: Money,
}

/// Every instalment of the agreement's year, pool by pool, partner by partner, M1 to M12.
/// Each is the annual amount / 12 truncated to the penny, the remainder added to M12, so
/// the twelve sum exactly to the contribution; month m is due on the first day of its
/// calendar month less the partner's months in advance.
pub fn schedule(agreement: &Agreement) -> Vec<Instalment> {
    let year = agreement.financial_year();
    let in_advance =
        |partner: PartnerIx| agreement.payments().and_then(|p| p.in_advance_months.get(partner).copied()).unwrap_or(0);
    let mut out = Vec::new();
    for pool in agreement.pools() {
        for (from, annual) in pool.contributions(agreement.partners().len()).into_iter().enumerate() {
            if from == pool.host || annual == Money::ZERO {
                continue;
            }
            let monthly = annual.monthly();
            for month in FiscalMonth::all() {
                let amount = monthly[month.number() as usize - 1];
                let due = year
                    .month_start(month)
                    .add_months_clamped(-(in_advance(from) as i32))
                    .expect("at most 11 months before a valid financial year");
                out.push(Instalment { pool: pool.id.clone(), from, to: pool.host, month, due, amount });
            }
        }
    }
    out
}

/// The rule on the dates recorded against an instalment: it cannot be paid before it was
/// raised. The refusal is said once, here, in the words every caller shows.
pub fn check_recorded_dates(raised_on: Option<Date>, paid_on: Option<Date>) -> Result<(), String> {
    match (raised_on, paid_on) {
        (Some(raised), Some(paid)) if paid < raised => {
            Err(format!("the instalment cannot be paid on {paid}, before it was raised on {raised}"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raised: Option<&str>, paid: Option<&str>, expected: Result<(), &str>) {
        let date = |text: &str| Date::parse_iso(text).expect("date");
        let got = check_recorded_dates(raised.map(date), paid.map(date));
        assert_eq!(got, expected.map_err(str::to_string), "raised {raised:?}, paid {paid:?}");
    }

    #[test]
    fn an_instalment_is_never_paid_before_it_was_raised() {
        check(None, None, Ok(()));
        check(Some("2016-04-01"), None, Ok(()));
        check(None, Some("2016-04-01"), Ok(()));
        check(Some("2016-04-01"), Some("2016-04-01"), Ok(()));
        check(Some("2016-04-01"), Some("2016-04-20"), Ok(()));
        check(
            Some("2016-04-20"),
            Some("2016-04-01"),
            Err("the instalment cannot be paid on 2016-04-01, before it was raised on 2016-04-20"),
        );
    }
}
