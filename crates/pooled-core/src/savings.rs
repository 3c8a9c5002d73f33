//! Savings moved into a pool without an agreed delivery strategy (docs/rules.md,
//! settlement): the partner that moved one funds whatever it does not deliver. During the
//! year the pool manager records a forecast of each one's delivery month by month, and at
//! the year's end what it delivered. The monthly report's forecast risk-share impact
//! takes the latest forecast (saying so, or what it assumes where none is recorded); the
//! settlement from the ledger takes what was delivered, and cannot be made while a
//! saving has no delivered amount.

use std::collections::{BTreeMap, HashMap};

use crate::agreement::{Agreement, PartnerIx, Pool, Saving};
use crate::calendar::FiscalMonth;
use crate::money::Money;
use crate::settlement::{Outturn, PartRule};

/// What a recorded amount of a saving is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SavingFigure {
    /// A forecast of what the saving will deliver in the year, made in this month.
    Forecast(FiscalMonth),
    /// What the saving delivered in the year.
    Delivered,
}

/// What is recorded of a year's savings, by saving id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavingRecords {
    forecasts: HashMap<String, BTreeMap<FiscalMonth, Money>>,
    delivered: HashMap<String, Money>,
}

impl SavingRecords {
    /// Records an amount; a second one for the same saving and figure replaces the first.
    pub fn record(&mut self, saving: &str, figure: SavingFigure, amount: Money) {
        match figure {
            SavingFigure::Forecast(month) => {
                self.forecasts.entry(saving.to_string()).or_default().insert(month, amount);
            }
            SavingFigure::Delivered => {
                self.delivered.insert(saving.to_string(), amount);
            }
        }
    }

    /// What the saving delivered, if recorded.
    pub fn delivered(&self, saving: &str) -> Option<Money> {
        self.delivered.get(saving).copied()
    }

    /// The latest forecast made in `month` or before it: the month it was made in, and
    /// the amount.
    pub fn forecast_as_of(&self, saving: &str, month: FiscalMonth) -> Option<(FiscalMonth, Money)> {
        self.forecasts.get(saving)?.range(..=month).next_back().map(|(m, amount)| (*m, *amount))
    }
}

/// Where a report's figure for what a saving delivers comes from; reports label it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryBasis {
    /// What it delivered, as recorded at the year's end (the M12 report takes it).
    Delivered,
    /// The latest forecast, made in this month.
    Forecast(FiscalMonth),
    /// Nothing recorded: taken as delivered in full, so no shortfall is forecast.
    AssumedInFull,
}

impl DeliveryBasis {
    pub fn name(self) -> &'static str {
        match self {
            DeliveryBasis::Delivered => "delivered",
            DeliveryBasis::Forecast(_) => "forecast",
            DeliveryBasis::AssumedInFull => "assumed-in-full",
        }
    }

    /// The basis in words, for a report's reader.
    pub fn words(self) -> String {
        match self {
            DeliveryBasis::Delivered => "delivered, as recorded at the year's end".to_string(),
            DeliveryBasis::Forecast(month) => format!("forecast made in {month}"),
            DeliveryBasis::AssumedInFull => "none recorded: assumed delivered in full".to_string(),
        }
    }
}

/// An unagreed saving of a pool as a monthly report takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavingDelivery {
    pub saving: String,
    /// The partner that moved it into the pool, which funds any shortfall.
    pub partner: PartnerIx,
    /// The id of the line it was moved into.
    pub line: String,
    /// The saving the pool's budget counts on.
    pub amount: Money,
    /// What the report takes it to deliver.
    pub delivery: Money,
    pub basis: DeliveryBasis,
    /// What the shortfall's part cites: the agreement's clause, or the rule in words.
    pub clause: String,
}

impl SavingDelivery {
    /// What it falls short of its amount by; nothing when it delivers in full or more.
    pub fn shortfall(&self) -> Money {
        (self.amount - self.delivery).max(Money::ZERO)
    }
}

/// The savings of `pool` without an agreed delivery strategy, as the report for `month`
/// takes them: in M12 what was delivered, where it is recorded; else the latest forecast
/// made in the month or before; else delivered in full, labelled as an assumption.
pub fn deliveries_in_report(pool: &Pool, records: &SavingRecords, month: FiscalMonth) -> Vec<SavingDelivery> {
    let year_end = month.number() == 12;
    unagreed(pool)
        .map(|s| {
            let delivered = records.delivered(&s.id).filter(|_| year_end);
            let (delivery, basis) = match (delivered, records.forecast_as_of(&s.id, month)) {
                (Some(amount), _) => (amount, DeliveryBasis::Delivered),
                (None, Some((made, amount))) => (amount, DeliveryBasis::Forecast(made)),
                (None, None) => (s.amount, DeliveryBasis::AssumedInFull),
            };
            SavingDelivery {
                saving: s.id.clone(),
                partner: s.by,
                line: pool.lines[s.line].id.clone(),
                amount: s.amount,
                delivery,
                basis,
                clause: cite(s),
            }
        })
        .collect()
}

/// Sets on `outturn` what each saving delivers, as the report takes it.
pub(crate) fn set_deliveries(outturn: &mut Outturn, deliveries: &[SavingDelivery]) {
    for d in deliveries {
        outturn.set_delivered(&d.saving, d.delivery);
    }
}

/// Sets on `outturn` what each unagreed saving of the agreement delivered, for the
/// year-end settlement; refused, naming each saving ([`undelivered`]), while one has no
/// delivered amount.
pub fn set_delivered(outturn: &mut Outturn, agreement: &Agreement, records: &SavingRecords) -> Result<(), Vec<String>> {
    let missing = undelivered(agreement, records);
    if !missing.is_empty() {
        return Err(missing);
    }
    for s in agreement.pools().iter().flat_map(unagreed) {
        if let Some(amount) = records.delivered(&s.id) {
            outturn.set_delivered(&s.id, amount);
        }
    }
    Ok(())
}

/// Why the year cannot be settled yet, one line per unagreed saving with no delivered
/// amount recorded, each naming it; empty when every one has its amount.
pub fn undelivered(agreement: &Agreement, records: &SavingRecords) -> Vec<String> {
    let pools = agreement.pools().iter();
    let missing = pools.flat_map(|pool| unagreed(pool).map(move |s| (pool, s)));
    missing
        .filter(|(_, s)| records.delivered(&s.id).is_none())
        .map(|(pool, s)| {
            format!(
                "the settlement of {} {} needs what saving `{}` delivered, and none is recorded: {} moved {} into \
                 pool {} without an agreed delivery strategy, and funds any shortfall ({}); record what it delivered \
                 first",
                agreement.id(),
                agreement.financial_year(),
                s.id,
                agreement.partners()[s.by].id,
                s.amount,
                pool.id,
                cite(s)
            )
        })
        .collect()
}

/// Checks an amount to record against the agreement: the saving must be one of its own
/// without an agreed delivery strategy (another's delivery does not change the
/// settlement), and a delivery cannot be negative. The saving, or why not.
pub fn check_record<'a>(agreement: &'a Agreement, saving: &str, amount: Money) -> Result<&'a Saving, String> {
    let (id, year) = (agreement.id(), agreement.financial_year());
    let all = || agreement.pools().iter().flat_map(|p| &p.savings);
    let Some(found) = all().find(|s| s.id == saving) else {
        let ids: Vec<&str> = all().filter(|s| !s.strategy_agreed).map(|s| s.id.as_str()).collect();
        let listed = if ids.is_empty() { "it has none".to_string() } else { format!("it has {}", ids.join(", ")) };
        return Err(format!("agreement {id} has no unagreed saving `{saving}` in {year} ({listed})"));
    };
    if found.strategy_agreed {
        return Err(format!(
            "saving `{saving}` has an agreed delivery strategy, so what it delivers does not change the settlement: nothing is recorded for it"
        ));
    }
    if amount.is_negative() {
        return Err(format!("what saving `{saving}` delivers cannot be negative (got {amount})"));
    }
    Ok(found)
}

fn unagreed(pool: &Pool) -> impl Iterator<Item = &Saving> {
    pool.savings.iter().filter(|s| !s.strategy_agreed)
}

/// What a saving's shortfall cites: the agreement's clause, or the rule in words.
pub fn cite(saving: &Saving) -> String {
    saving.clause.clone().unwrap_or_else(|| PartRule::UnagreedSaving.words().to_string())
}

#[cfg(test)]
mod tests;
