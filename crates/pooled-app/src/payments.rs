//! The payment schedule joined with what has been recorded against it: each instalment's
//! invoice and payments (pooled-core's `payments` module holds the rules). The command
//! line's `pooled payments --year`, the web's payments page and the year-end invoices all
//! read it through [`tracked_payments`]. Recording against an instalment
//! ([`record_payment`]) is one use case that the command line, the web page and the API
//! all go through, so each refuses the same things in the same words.

use pooled_core::agreement::{Agreement, PartnerIx};
use pooled_core::calendar::{Date, FiscalMonth};
use pooled_core::money::Money;
use pooled_core::payments::{Entry, Instalment, InstalmentAccount, Recording, TrackedInstalment};
use pooled_store::{PaymentEntry, Store, in_transaction};

use crate::{AppError, Result};

/// The instalment of `schedule` (the agreement's year's, [`crate::year_schedule`]) in
/// `pool` and `month` from the partner `from` to the partner `to`; each may be named by
/// the partner's id or, from its succession date, its successor's. `to` may be left out
/// unless `from` pays more than one partner in the pool.
pub fn scheduled_instalment(
    agreement: &Agreement,
    schedule: &[Instalment],
    pool: &str,
    from: &str,
    to: Option<&str>,
    month: FiscalMonth,
) -> Result<Instalment> {
    let names = |partner: PartnerIx, body: &str, name: &str| agreement.partners()[partner].id == name || body == name;
    let of_month: Vec<&Instalment> =
        schedule.iter().filter(|i| i.pool == pool && i.month == month && names(i.from, &i.payer.id, from)).collect();
    let year = agreement.financial_year();
    let matching: Vec<&Instalment> =
        of_month.into_iter().filter(|i| to.is_none_or(|to| names(i.to, &i.payee.id, to))).collect();
    match matching[..] {
        [one] => Ok(one.clone()),
        [] => {
            let to = to.map_or(String::new(), |to| format!(" to {to}"));
            // A successor named before its date, or no partner at all: say which.
            let due = schedule.iter().filter(|i| i.pool == pool && i.month == month).map(|i| i.due);
            let why = due.filter_map(|day| agreement.partner_on(from, day).err()).next();
            let why = why.map_or(String::new(), |e| format!(": {e}"));
            Err(AppError::Input(vec![format!(
                "no instalment from {from}{to} in pool {pool} in {month} of {year}{why}"
            )]))
        }
        _ => {
            let payees: Vec<&str> = matching.iter().map(|i| i.payee.id.as_str()).collect();
            Err(AppError::Input(vec![format!(
                "{from} pays more than one partner in pool {pool} in {month} of {year} ({}): name the partner paid",
                payees.join(", ")
            )]))
        }
    }
}

/// What to record against an instalment: the day it was raised (invoiced), a day it was
/// paid, or both, and the amount when it is not the instalment (an invoice) or the
/// balance outstanding (a payment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRecord {
    pub pool: String,
    /// The paying partner's id (or its successor's).
    pub from: String,
    /// The partner paid, needed only when `from` pays more than one in the pool.
    pub to: Option<String>,
    pub month: FiscalMonth,
    pub raised_on: Option<Date>,
    pub paid_on: Option<Date>,
    pub amount: Option<Money>,
}

/// Records an invoice or payment (or both) against an instalment of the year's schedule
/// (across the agreement's versions), and returns the instalment with all that is
/// recorded against it. It must be in the schedule; `allowed` is the caller's rule on who
/// may record it, given the ids of the bodies paying and paid on its due date (a successor
/// from its date; an `Err` says why not); the core's rules on amounts and dates refuse the
/// rest. It is recorded under the partners' own ids, the keys that stay when a successor
/// takes a place. What is recorded is read and added to in one transaction, so two
/// payments at once cannot together pay more than is outstanding. The store writes the
/// audit entry with the change.
pub fn record_payment(
    store: &mut dyn Store,
    agreement: &Agreement,
    record: PaymentRecord,
    actor: &str,
    allowed: impl FnOnce(&str, &str) -> Result<(), String>,
) -> Result<TrackedInstalment> {
    let recording = Recording { raised_on: record.raised_on, paid_on: record.paid_on, amount: record.amount };
    let key = crate::agreement_year(agreement);
    in_transaction(store, |store| {
        let recorded = store.payment_entries(&key)?;
        let schedule = crate::year_schedule(store, &key, &recorded)?;
        let instalment =
            scheduled_instalment(agreement, &schedule, &record.pool, &record.from, record.to.as_deref(), record.month)?;
        allowed(&instalment.payer.id, &instalment.payee.id).map_err(AppError::Forbidden)?;
        let (from, to) = (&agreement.partners()[instalment.from].id, &agreement.partners()[instalment.to].id);
        let account = account_of(agreement, &instalment, &recorded);
        let added = account.record(instalment.amount, recording).map_err(|e| AppError::Input(vec![e]))?;
        let entries: Vec<PaymentEntry> = added
            .iter()
            .map(|e| PaymentEntry {
                pool: instalment.pool.clone(),
                from: from.clone(),
                to: Some(to.clone()),
                month: instalment.month,
                kind: e.kind,
                on: e.on,
                amount: Some(e.amount),
            })
            .collect();
        store.record_payment(&key, &entries, actor)?;
        Ok(TrackedInstalment { account: account.with(&added), instalment: instalment.clone() })
    })
}

/// What `recorded` holds against `instalment`. Entries recorded before payees were kept
/// were for the pool's host (every instalment's payee then), and those recorded before
/// amounts were kept were for the instalment in full.
fn account_of(agreement: &Agreement, instalment: &Instalment, recorded: &[PaymentEntry]) -> InstalmentAccount {
    let (from, to) = (&agreement.partners()[instalment.from].id, &agreement.partners()[instalment.to].id);
    let to_host = agreement.pool(&instalment.pool).is_some_and(|p| p.host == instalment.to);
    let entries: Vec<Entry> = recorded
        .iter()
        .filter(|e| e.pool == instalment.pool && e.from == *from && e.month == instalment.month)
        .filter(|e| e.to.as_ref().map_or(to_host, |t| t == to))
        .map(|e| Entry { kind: e.kind, on: e.on, amount: e.amount.unwrap_or(instalment.amount) })
        .collect();
    InstalmentAccount::new(&entries)
}

/// Every instalment of `schedule` (the agreement's year's), in its order, with what
/// `recorded` holds against it.
pub fn tracked_payments(
    agreement: &Agreement,
    schedule: Vec<Instalment>,
    recorded: &[PaymentEntry],
) -> Vec<TrackedInstalment> {
    schedule
        .into_iter()
        .map(|instalment| TrackedInstalment { account: account_of(agreement, &instalment, recorded), instalment })
        .collect()
}

/// The year's schedule, across the agreement's versions, with what is recorded against
/// it, read from the store.
pub fn payments(store: &dyn Store, agreement: &Agreement) -> Result<Vec<TrackedInstalment>> {
    let key = crate::agreement_year(agreement);
    let recorded = store.payment_entries(&key)?;
    Ok(tracked_payments(agreement, crate::year_schedule(store, &key, &recorded)?, &recorded))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pooled_core::payments::EntryKind;
    use pooled_store::SqliteStore;

    /// A district council paying into one pool both the council, which holds the care
    /// line, and the ICB, which holds its continuing healthcare line.
    const TWO_HOLDERS: &str = r#"format = 1
agreement = { id = "two", name = "Two holders", financial_year = "2024-25", start = 2024-04-01 }
partner = [
    { id = "LA", name = "Council", kind = "local-authority" },
    { id = "ICB", name = "ICB", kind = "nhs-commissioner" },
    { id = "DC", name = "District", kind = "local-authority" },
]
pool = [{ id = "P", name = "Pooled", host = "LA", kind = "pooled", line = [
    { id = "care", name = "Care", contributions = { LA = "1200", DC = "1200" } },
    { id = "chc", name = "Continuing healthcare", contributions = { ICB = "1200", DC = "2400" }, held_by = "ICB" },
] }]
"#;

    fn record(pool: &str, from: &str, to: Option<&str>, raised: Option<&str>, paid: Option<&str>) -> PaymentRecord {
        let day = |d: &str| Date::parse_iso(d).expect("date");
        PaymentRecord {
            pool: pool.into(),
            from: from.into(),
            to: to.map(str::to_string),
            month: FiscalMonth::new(1).expect("M1"),
            raised_on: raised.map(day),
            paid_on: paid.map(day),
            amount: None,
        }
    }

    #[test]
    fn an_instalment_is_keyed_by_its_payee_when_a_partner_pays_two_holders() {
        let (agreement, _) = Agreement::parse(TWO_HOLDERS).expect("valid");
        let mut store = SqliteStore::open_in_memory().expect("store");
        crate::load_agreement(&mut store, "two.toml", TWO_HOLDERS, &Default::default(), "ann", |_| Ok(()))
            .expect("loaded");
        let ambiguous =
            record_payment(&mut store, &agreement, record("P", "DC", None, Some("2024-04-01"), None), "ann", |_, _| {
                Ok(())
            });
        let Err(AppError::Input(said)) = ambiguous else { panic!("{ambiguous:?}") };
        assert_eq!(said, ["DC pays more than one partner in pool P in M1 of 2024-25 (LA, ICB): name the partner paid"]);
        // Each payee's instalment keeps its own account.
        let to_icb = record("P", "DC", Some("ICB"), Some("2024-04-01"), Some("2024-04-02"));
        let paid = record_payment(&mut store, &agreement, to_icb, "ann", |_, _| Ok(())).expect("recorded");
        assert_eq!(paid.account.paid(), Money::from_pence(20_000), "2,400 a year to the ICB");
        let to_la = record("P", "DC", Some("LA"), Some("2024-04-01"), None);
        let raised = record_payment(&mut store, &agreement, to_la, "ann", |_, _| Ok(())).expect("recorded");
        assert_eq!((raised.account.invoiced(), raised.account.paid()), (Money::from_pence(10_000), Money::ZERO));
        let tracked = payments(&store, &agreement).expect("read");
        let m1 = |to: &str| {
            let t =
                tracked.iter().find(|t| t.instalment.payee.id == to && t.instalment.month.number() == 1).expect("M1");
            (t.account.invoiced(), t.account.paid())
        };
        assert_eq!(m1("ICB"), (Money::from_pence(20_000), Money::from_pence(20_000)));
        assert_eq!(m1("LA"), (Money::from_pence(10_000), Money::ZERO));
        // The caller's rule is asked about the payer and the payee.
        let refused = record_payment(
            &mut store,
            &agreement,
            record("P", "DC", Some("LA"), None, Some("2024-04-03")),
            "bob",
            |from, to| Err(format!("bob may not record {from} to {to}")),
        );
        assert!(
            matches!(refused, Err(AppError::Forbidden(ref why)) if why == "bob may not record DC to LA"),
            "{refused:?}"
        );
    }

    #[test]
    fn entries_recorded_before_amounts_and_payees_were_kept_are_the_instalment_in_full() {
        let (agreement, _) = Agreement::parse(TWO_HOLDERS).expect("valid");
        let legacy = |kind| PaymentEntry {
            pool: "P".into(),
            from: "DC".into(),
            to: None,
            month: FiscalMonth::new(1).expect("M1"),
            kind,
            on: Date::parse_iso("2024-04-01").expect("date"),
            amount: None,
        };
        let recorded = [legacy(EntryKind::Invoice), legacy(EntryKind::Payment)];
        let tracked = tracked_payments(&agreement, pooled_core::payments::schedule(&agreement), &recorded);
        // The district's M1 to the host, not the one to the ICB.
        let recorded: Vec<String> =
            tracked.iter().filter(|t| t.account.invoice.is_some()).map(|t| t.instalment.payee.id.clone()).collect();
        assert_eq!(recorded, ["LA"]);
        let m1 = tracked.iter().find(|t| t.account.invoice.is_some()).expect("recorded");
        assert_eq!((m1.account.invoiced(), m1.account.outstanding()), (m1.instalment.amount, Money::ZERO));
    }
}
