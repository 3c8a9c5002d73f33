//! The payment schedule joined with what has been recorded of it: when each
//! instalment was raised (invoiced) and paid. The command line's `pooled payments --year`
//! and the web's payments page both show it; the web's totals and states come from here.
//! Recording what happened to an instalment ([`record_payment`]) is one use case that the
//! command line, the web page and the API all go through, so each refuses the same things
//! in the same words.

use pooled_core::agreement::{Agreement, Body, PartnerIx};
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::money::Money;
use pooled_core::payments::{Instalment, check_recorded_dates, schedule};
use pooled_store::{PaymentStatus, Store};

use crate::{AppError, Result};

/// The instalment `from` a partner to `pool` in `month` of the agreement's schedule. The
/// payer is named as files name a partner on the due date: by its own id, or by its
/// successor's from the succession date (as the schedule names the body paying).
pub fn scheduled_instalment(agreement: &Agreement, pool: &str, from: &str, month: FiscalMonth) -> Result<Instalment> {
    let mut why = String::new();
    for i in schedule(agreement).into_iter().filter(|i| i.pool == pool && i.month == month) {
        match agreement.partner_on(from, i.due) {
            Ok(payer) if payer == i.from => return Ok(i),
            Ok(_) => {}
            // A successor named before its date, or no partner at all: say which.
            Err(e) if why.is_empty() => why = format!(": {e}"),
            Err(_) => {}
        }
    }
    Err(AppError::Input(vec![format!(
        "no instalment from {from} to pool {pool} in {month} of {}{why}",
        agreement.financial_year()
    )]))
}

/// An instalment to record as raised and, when it has been, paid. Both dates replace what
/// was recorded before, so a date left out clears a mistaken one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRecord {
    pub pool: String,
    /// The paying partner's id, or the id of the body paying on the due date.
    pub from: String,
    pub month: FiscalMonth,
    pub raised_on: Option<Date>,
    pub paid_on: Option<Date>,
}

/// Records when an instalment of `agreement`'s schedule was raised and paid, and returns
/// the instalment. It must be in the schedule; `allowed` is the caller's rule on who may
/// record it, given the ids of the bodies paying and paid on its due date (a successor
/// from its date; an `Err` says why not); it cannot be paid before it was raised. It is
/// recorded under the paying partner's own id, the key that stays when a successor takes
/// its place. The store writes the audit entry with the change.
pub fn record_payment(
    store: &mut dyn Store,
    agreement: &Agreement,
    record: PaymentRecord,
    actor: &str,
    allowed: impl FnOnce(&str, &str) -> Result<(), String>,
) -> Result<Instalment> {
    let instalment = scheduled_instalment(agreement, &record.pool, &record.from, record.month)?;
    allowed(&instalment.payer.id, &instalment.payee.id).map_err(AppError::Forbidden)?;
    check_recorded_dates(record.raised_on, record.paid_on).map_err(|e| AppError::Input(vec![e]))?;
    let PaymentRecord { pool, month, raised_on, paid_on, .. } = record;
    let from = agreement.partners()[instalment.from].id.clone();
    let status = PaymentStatus { pool, from, month, raised_on, paid_on };
    store.record_payment(&crate::agreement_year(agreement), &status, actor)?;
    Ok(instalment)
}

/// What is recorded of `instalment`, if anything.
pub fn recorded_payment<'s>(
    agreement: &Agreement,
    instalment: &Instalment,
    recorded: &'s [PaymentStatus],
) -> Option<&'s PaymentStatus> {
    let from = &agreement.partners()[instalment.from].id;
    recorded.iter().find(|s| s.pool == instalment.pool && s.from == *from && s.month == instalment.month)
}

/// An instalment of the schedule with the dates recorded against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedInstalment {
    pub instalment: Instalment,
    pub raised_on: Option<Date>,
    pub paid_on: Option<Date>,
}

/// Where an instalment stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentState {
    NotRaised,
    Raised,
    Paid,
    /// Due before the day and not paid, whether raised or not.
    Overdue,
}

impl TrackedInstalment {
    pub fn state(&self, today: Date) -> PaymentState {
        match (self.raised_on, self.paid_on) {
            (_, Some(_)) => PaymentState::Paid,
            _ if self.instalment.due < today => PaymentState::Overdue,
            (Some(_), None) => PaymentState::Raised,
            (None, None) => PaymentState::NotRaised,
        }
    }
}

/// Every instalment of the agreement's schedule, in its order, with what `recorded` holds
/// of it.
pub fn tracked_payments(agreement: &Agreement, recorded: &[PaymentStatus]) -> Vec<TrackedInstalment> {
    schedule(agreement)
        .into_iter()
        .map(|instalment| {
            let status = recorded_payment(agreement, &instalment, recorded);
            TrackedInstalment {
                raised_on: status.and_then(|s| s.raised_on),
                paid_on: status.and_then(|s| s.paid_on),
                instalment,
            }
        })
        .collect()
}

/// What one body pays another over a set of instalments: the bodies paying and paid on
/// the instalments' due dates, so a successor's instalments are totalled apart from its
/// predecessor's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentTotals {
    pub from: PartnerIx,
    pub to: PartnerIx,
    pub payer: Body,
    pub payee: Body,
    pub scheduled: Money,
    /// Of instalments with a raised date.
    pub raised: Money,
    /// Of instalments with a paid date.
    pub paid: Money,
    /// Scheduled less paid.
    pub outstanding: Money,
    /// Of instalments overdue on the day.
    pub overdue: Money,
}

/// The totals of `tracked` per paying body and body paid, in the order first met.
pub fn payment_totals<'a>(tracked: impl IntoIterator<Item = &'a TrackedInstalment>, today: Date) -> Vec<PaymentTotals> {
    let mut out: Vec<PaymentTotals> = Vec::new();
    for t in tracked {
        let i = &t.instalment;
        let at = match out.iter().position(|p| p.payer == i.payer && p.payee == i.payee) {
            Some(at) => at,
            None => {
                let zero = Money::ZERO;
                out.push(PaymentTotals {
                    from: i.from,
                    to: i.to,
                    payer: i.payer.clone(),
                    payee: i.payee.clone(),
                    scheduled: zero,
                    raised: zero,
                    paid: zero,
                    outstanding: zero,
                    overdue: zero,
                });
                out.len() - 1
            }
        };
        let totals = &mut out[at];
        totals.scheduled += i.amount;
        if t.raised_on.is_some() {
            totals.raised += i.amount;
        }
        if t.paid_on.is_some() {
            totals.paid += i.amount;
        } else {
            totals.outstanding += i.amount;
        }
        if t.state(today) == PaymentState::Overdue {
            totals.overdue += i.amount;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGREEMENT: &str = include_str!("../../../examples/oxfordshire-2016-17.toml");

    fn date(text: &str) -> Date {
        Date::parse_iso(text).expect("date")
    }

    fn status(pool: &str, from: &str, month: u32, raised: Option<&str>, paid: Option<&str>) -> PaymentStatus {
        PaymentStatus {
            pool: pool.into(),
            from: from.into(),
            month: FiscalMonth::new(month).expect("month"),
            raised_on: raised.map(date),
            paid_on: paid.map(date),
        }
    }

    #[test]
    fn each_instalment_is_not_raised_raised_paid_or_overdue() {
        let (agreement, _) = Agreement::parse(AGREEMENT).expect("valid");
        let recorded = [
            status("OP", "OCCG", 1, Some("2016-02-20"), Some("2016-03-01")),
            status("OP", "OCCG", 2, Some("2016-03-20"), None),
        ];
        let tracked = tracked_payments(&agreement, &recorded);
        assert_eq!(tracked.len(), schedule(&agreement).len());
        let find = |pool: &str, month: u32| {
            tracked.iter().find(|t| t.instalment.pool == pool && t.instalment.month.number() == month).expect("due")
        };
        // OCCG pays a month in advance: OP's M2 (May) is due on 1 April 2016.
        let (m1, m2, m3) = (find("OP", 1), find("OP", 2), find("OP", 3));
        assert_eq!(m2.instalment.due, date("2016-04-01"));
        for (today, states) in [
            ("2016-04-01", [PaymentState::Paid, PaymentState::Raised, PaymentState::NotRaised]),
            ("2016-04-02", [PaymentState::Paid, PaymentState::Overdue, PaymentState::NotRaised]),
            ("2016-05-02", [PaymentState::Paid, PaymentState::Overdue, PaymentState::Overdue]),
        ] {
            assert_eq!([m1.state(date(today)), m2.state(date(today)), m3.state(date(today))], states, "{today}");
        }
    }

    #[test]
    fn totals_per_payer_and_payee_add_up() {
        let (agreement, _) = Agreement::parse(AGREEMENT).expect("valid");
        let recorded = [
            status("OP", "OCCG", 1, Some("2016-02-20"), Some("2016-03-01")),
            status("LD", "OCCG", 1, Some("2016-02-20"), None),
        ];
        let tracked = tracked_payments(&agreement, &recorded);
        let today = date("2016-03-15");
        let totals = payment_totals(&tracked, today);
        let id = |ix: PartnerIx| agreement.partners()[ix].id.as_str();
        let pairs: Vec<(&str, &str)> = totals.iter().map(|t| (id(t.from), id(t.to))).collect();
        assert_eq!(pairs, [("OCCG", "OCC"), ("OCC", "OCCG")], "MH is hosted by the CCG");
        let occg = &totals[0];
        let amount = |pool: &str| {
            tracked.iter().find(|t| t.instalment.pool == pool && t.instalment.month.number() == 1).expect("M1")
        };
        let (op, ld) = (amount("OP").instalment.amount, amount("LD").instalment.amount);
        assert_eq!(occg.raised, op + ld);
        assert_eq!(occg.paid, op);
        assert_eq!(occg.outstanding, occg.scheduled - op);
        // The CCG's M1 instalments fell due on 1 March; only OP's is paid.
        let occg_m1: Money = tracked
            .iter()
            .filter(|t| id(t.instalment.from) == "OCCG" && t.instalment.month.number() == 1)
            .map(|t| t.instalment.amount)
            .sum();
        assert_eq!(occg.overdue, occg_m1 - op);
        let all: Money = tracked.iter().map(|t| t.instalment.amount).sum();
        assert_eq!(totals.iter().map(|t| t.scheduled).sum::<Money>(), all);
    }
}
