//! Savings moved into a pool without an agreed delivery strategy: what the pool manager
//! records of each (a forecast of its delivery month by month, what it delivered at the
//! year's end), and each saving with its records for the pages and the API. Recording
//! ([`record_saving`]) is one use case that the command line, the web page and the API
//! all go through, so each refuses the same things in the same words.

use pooled_core::agreement::{Agreement, Pool, Saving};
use pooled_core::money::Money;
use pooled_core::savings::{SavingFigure, SavingRecords, check_record};
use pooled_store::{AgreementYear, SavingRecord, Store};

use crate::{AppError, Result};

/// An amount to record of a saving: a forecast of its delivery made in a month, or what
/// it delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavingEntry {
    /// The saving's id in the agreement.
    pub saving: String,
    pub figure: SavingFigure,
    pub amount: Money,
}

/// Records an amount of one of `agreement`'s savings without an agreed delivery strategy;
/// `allowed` is the caller's rule on who may (an `Err` says why not). A delivery cannot
/// be negative, and a forecast made in a closed month is refused. The store writes the
/// audit entry with the change.
pub fn record_saving(
    store: &mut dyn Store,
    agreement: &Agreement,
    entry: &SavingEntry,
    actor: &str,
    allowed: impl FnOnce() -> Result<(), String>,
) -> Result<()> {
    allowed().map_err(AppError::Forbidden)?;
    check_record(agreement, &entry.saving, entry.amount).map_err(|e| AppError::Input(vec![e]))?;
    store.record_saving(&crate::agreement_year(agreement), &entry.saving, entry.figure, entry.amount, actor)?;
    Ok(())
}

/// An agreement year's records of savings, as the core's report and settlement take them.
pub fn saving_records(store: &dyn Store, key: &AgreementYear) -> Result<SavingRecords> {
    Ok(records_of(&store.saving_records(key)?))
}

fn records_of(stored: &[SavingRecord]) -> SavingRecords {
    let mut records = SavingRecords::default();
    for r in stored {
        records.record(&r.saving, r.figure, r.amount);
    }
    records
}

/// One of the agreement's savings without an agreed delivery strategy, with what is
/// recorded of it.
pub struct SavingState<'a> {
    pub saving: &'a Saving,
    /// The pool it was moved into.
    pub pool: &'a Pool,
    /// Its forecasts, by the month made in.
    pub forecasts: Vec<SavingRecord>,
    pub delivered: Option<SavingRecord>,
}

/// Each of the agreement's savings without an agreed delivery strategy, in the
/// agreement's order, with its records among `stored` (records of a saving the agreement
/// no longer has, or now has a strategy for, are left out).
pub fn saving_states<'a>(agreement: &'a Agreement, stored: &[SavingRecord]) -> Vec<SavingState<'a>> {
    let mut out = Vec::new();
    for pool in agreement.pools() {
        for saving in pool.savings.iter().filter(|s| !s.strategy_agreed) {
            let own = stored.iter().filter(|r| r.saving == saving.id);
            let (forecasts, delivered): (Vec<_>, Vec<_>) =
                own.cloned().partition(|r| matches!(r.figure, SavingFigure::Forecast(_)));
            out.push(SavingState { saving, pool, forecasts, delivered: delivered.into_iter().next() });
        }
    }
    out
}
