//! What is recorded against each instalment (docs/rules.md, payments): the invoice that
//! raises it and the payments made on it, part payments adding up; where each instalment
//! stands on a day; and what each partner's instalments to another come to. The rules on
//! what may be recorded ([`InstalmentAccount::record`]) are said once, here, in the words
//! the command line, the web and the API all show.

use crate::agreement::PartnerIx;
use crate::calendar::{Date, FiscalMonth};
use crate::money::Money;

use super::Instalment;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// The instalment raised: its invoice. A later invoice corrects an earlier one.
    Invoice,
    /// Money received on it.
    Payment,
}

impl EntryKind {
    pub fn name(self) -> &'static str {
        match self {
            EntryKind::Invoice => "invoice",
            EntryKind::Payment => "payment",
        }
    }

    pub fn parse(name: &str) -> Option<EntryKind> {
        [EntryKind::Invoice, EntryKind::Payment].into_iter().find(|k| k.name() == name)
    }
}

/// One thing recorded against an instalment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry {
    pub kind: EntryKind,
    pub on: Date,
    pub amount: Money,
}

/// An amount on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dated {
    pub on: Date,
    pub amount: Money,
}

/// An instalment's account: its invoice (the latest recorded, since a later one corrects
/// it) and the payments made on it, in the order recorded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstalmentAccount {
    pub invoice: Option<Dated>,
    pub payments: Vec<Dated>,
}

/// What is to be recorded against an instalment: the day it was raised (invoiced), the
/// day a payment was received, or both; and the amount, when it is not the default (an
/// invoice is for the instalment, a payment for the balance outstanding).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    pub raised_on: Option<Date>,
    pub paid_on: Option<Date>,
    pub amount: Option<Money>,
}

impl InstalmentAccount {
    /// The account that `entries`, in the order recorded, make.
    pub fn new<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> InstalmentAccount {
        let mut account = InstalmentAccount::default();
        for entry in entries {
            account.apply(*entry);
        }
        account
    }

    /// The account once `added` is recorded too.
    pub fn with(&self, added: &[Entry]) -> InstalmentAccount {
        let mut account = self.clone();
        for entry in added {
            account.apply(*entry);
        }
        account
    }

    fn apply(&mut self, entry: Entry) {
        let dated = Dated { on: entry.on, amount: entry.amount };
        match entry.kind {
            EntryKind::Invoice => self.invoice = Some(dated),
            EntryKind::Payment => self.payments.push(dated),
        }
    }

    /// The invoice's amount; nothing until it is raised.
    pub fn invoiced(&self) -> Money {
        self.invoice.map_or(Money::ZERO, |i| i.amount)
    }

    pub fn paid(&self) -> Money {
        self.payments.iter().map(|p| p.amount).sum()
    }

    /// Invoiced less paid: never negative, as [`InstalmentAccount::record`] refuses to
    /// pay more.
    pub fn outstanding(&self) -> Money {
        self.invoiced() - self.paid()
    }

    pub fn raised_on(&self) -> Option<Date> {
        self.invoice.map(|i| i.on)
    }

    /// The day of the latest payment.
    pub fn last_paid_on(&self) -> Option<Date> {
        self.payments.iter().map(|p| p.on).max()
    }

    /// The entries that record `recording` against an instalment of `instalment` (its
    /// scheduled amount), in order, or why it is refused. An invoice is for the instalment
    /// unless an amount is given, never more, nor less than is already paid on it; raising
    /// it again on the same day for the same amount adds nothing. A payment is for the
    /// balance outstanding unless an amount is given, never more than is outstanding, and
    /// never dated before the invoice: so one cannot be recorded before the invoice is.
    /// Both at once raise the invoice and pay it (the same amount, on a new instalment).
    pub fn record(&self, instalment: Money, recording: Recording) -> Result<Vec<Entry>, String> {
        let Recording { raised_on, paid_on, amount } = recording;
        if raised_on.is_none() && paid_on.is_none() {
            return Err("give the date the instalment was raised (invoiced), the date it was paid, or both".into());
        }
        if let Some(amount) = amount.filter(|a| *a <= Money::ZERO) {
            return Err(format!("the amount must be more than £0.00, not {amount}"));
        }
        let mut after = self.clone();
        let mut entries = Vec::new();
        if let Some(on) = raised_on {
            let invoiced = amount.unwrap_or(instalment);
            if invoiced > instalment {
                return Err(format!("an invoice for {invoiced} is more than the instalment of {instalment}"));
            }
            if invoiced < self.paid() {
                return Err(format!(
                    "the invoice cannot be for {invoiced}: {} is already paid on the instalment",
                    self.paid()
                ));
            }
            if let Some(paid) = self.payments.iter().map(|p| p.on).min().filter(|paid| *paid < on) {
                return Err(paid_before_raised(paid, on));
            }
            let invoice = Entry { kind: EntryKind::Invoice, on, amount: invoiced };
            if self.invoice != Some(Dated { on, amount: invoiced }) {
                after.apply(invoice);
                entries.push(invoice);
            }
        }
        if let Some(on) = paid_on {
            let Some(invoice) = after.invoice else {
                return Err(format!("the instalment cannot be paid on {on}: it has not been raised (invoiced)"));
            };
            if on < invoice.on {
                return Err(paid_before_raised(on, invoice.on));
            }
            let outstanding = after.outstanding();
            let paid = match amount {
                Some(paid) if paid > outstanding => {
                    return Err(format!(
                        "a payment of {paid} is more than the {outstanding} outstanding on the instalment"
                    ));
                }
                Some(paid) => paid,
                None if outstanding == Money::ZERO => {
                    return Err(format!(
                        "nothing is outstanding on the instalment: its invoice for {} is paid",
                        invoice.amount
                    ));
                }
                None => outstanding,
            };
            entries.push(Entry { kind: EntryKind::Payment, on, amount: paid });
        }
        Ok(entries)
    }
}

fn paid_before_raised(paid: Date, raised: Date) -> String {
    format!("the instalment cannot be paid on {paid}, before it was raised on {raised}")
}

/// An instalment of the schedule with what is recorded against it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedInstalment {
    pub instalment: Instalment,
    pub account: InstalmentAccount,
}

/// Where an instalment stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentState {
    NotRaised,
    Raised,
    /// Raised, and paid in part.
    PartPaid,
    /// Raised, and paid in full.
    Paid,
    /// Due before the day and not paid in full, whether raised or not.
    Overdue,
}

impl TrackedInstalment {
    pub fn state(&self, today: Date) -> PaymentState {
        let account = &self.account;
        match account.invoice {
            Some(_) if account.outstanding() == Money::ZERO => PaymentState::Paid,
            _ if self.instalment.due < today => PaymentState::Overdue,
            Some(_) if account.paid() > Money::ZERO => PaymentState::PartPaid,
            Some(_) => PaymentState::Raised,
            None => PaymentState::NotRaised,
        }
    }

    /// What is owed on it and unpaid: the balance outstanding once it is raised, the
    /// instalment until then.
    pub fn unpaid(&self) -> Money {
        match self.account.invoice {
            Some(_) => self.account.outstanding(),
            None => self.instalment.amount,
        }
    }
}

/// What one partner's instalments to another come to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairTotals {
    pub from: PartnerIx,
    pub to: PartnerIx,
    pub scheduled: Money,
    pub invoiced: Money,
    pub paid: Money,
    /// Invoiced less paid.
    pub outstanding: Money,
    /// The months of the instalments with a balance outstanding.
    pub outstanding_months: Vec<FiscalMonth>,
}

/// What is unpaid on those of `tracked` overdue on `today`.
pub fn overdue<'a>(tracked: impl IntoIterator<Item = &'a TrackedInstalment>, today: Date) -> Money {
    tracked.into_iter().filter(|t| t.state(today) == PaymentState::Overdue).map(TrackedInstalment::unpaid).sum()
}

/// The totals of `tracked` per paying partner and partner paid, in the order first met.
pub fn pair_totals<'a>(tracked: impl IntoIterator<Item = &'a TrackedInstalment>) -> Vec<PairTotals> {
    let mut out: Vec<PairTotals> = Vec::new();
    for t in tracked {
        let i = &t.instalment;
        let at = match out.iter().position(|p| p.from == i.from && p.to == i.to) {
            Some(at) => at,
            None => {
                let zero = Money::ZERO;
                out.push(PairTotals {
                    from: i.from,
                    to: i.to,
                    scheduled: zero,
                    invoiced: zero,
                    paid: zero,
                    outstanding: zero,
                    outstanding_months: Vec::new(),
                });
                out.len() - 1
            }
        };
        let totals = &mut out[at];
        totals.scheduled += i.amount;
        totals.invoiced += t.account.invoiced();
        totals.paid += t.account.paid();
        totals.outstanding += t.account.outstanding();
        if t.account.outstanding() != Money::ZERO && !totals.outstanding_months.contains(&i.month) {
            totals.outstanding_months.push(i.month);
        }
    }
    out
}

/// The balance between two partners over their instalments both ways: what `owing` owes
/// `owed`, net of what is outstanding each way (zero when they are square).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub owing: PartnerIx,
    pub owed: PartnerIx,
    pub amount: Money,
}

/// The balance between each pair of partners in `totals`, in the order first met. The
/// partner owing is the one with more outstanding to the other (the first met when they
/// are square).
pub fn balances(totals: &[PairTotals]) -> Vec<Balance> {
    let mut out: Vec<Balance> = Vec::new();
    for t in totals {
        match out.iter_mut().find(|b| (b.owing, b.owed) == (t.to, t.from) || (b.owing, b.owed) == (t.from, t.to)) {
            Some(b) if b.owing == t.from => b.amount += t.outstanding,
            Some(b) => {
                b.amount -= t.outstanding;
                if b.amount < Money::ZERO {
                    *b = Balance { owing: b.owed, owed: b.owing, amount: -b.amount };
                }
            }
            None => out.push(Balance { owing: t.from, owed: t.to, amount: t.outstanding }),
        }
    }
    out
}
