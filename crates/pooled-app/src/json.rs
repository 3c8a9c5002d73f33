//! The JSON contract of docs/cli.md, in one place for the command line (`--json`) and the
//! web application's API: amounts as strings with two decimals (`"1234.56"`),
//! percentages as strings with the agreement's decimals, dates ISO. Each answer is a type
//! here: the caller serialises it (the command line prints it, the API sends it), and the
//! API's OpenAPI document describes it from the same type ([`ToSchema`]), so the two
//! cannot differ.

use std::borrow::Cow;
use std::fmt::Display;

use pooled_core::agreement::{Agreement, Pool, RiskShareBasis};
use pooled_core::bcf::conditions::{Condition, Judged, Requirement, Rule as ConditionRule};
use pooled_core::bcf::{self, LedgerSpend};
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth};
use pooled_core::governance;
use pooled_core::ledger;
use pooled_core::money::Money;
use pooled_core::payments::{DistrictInstalment, Instalment, TrackedInstalment};
use pooled_core::percent::Percent;
use pooled_core::report::{self, MonthlyReport};
use pooled_core::risk_share::RiskShare as Shares;
use pooled_core::savings::{DeliveryBasis as Basis, SavingDelivery, SavingFigure, cite};
use pooled_core::settlement::{InvoicePartKind, PartRule, PoolSettlement};
use pooled_core::variation;
use pooled_store::{
    AgreementYear, AuditEntry as Logged, AuditHead, Forecast as Entered, ImportRecord, LoadOutcome, SavingRecord,
};

use crate::SavingState;
use serde::{Serialize, Serializer};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

// ---- values written as text ----

/// A value the JSON gives as text, never as a number (an amount as a float would not be
/// exact), with what its OpenAPI schema says of that text.
pub trait JsonText {
    /// The schema's name in the OpenAPI document.
    const NAME: &'static str;
    const DESCRIPTION: &'static str;
    /// What the text always matches.
    const PATTERN: &'static str;
    const EXAMPLE: &'static str;
    fn text(&self) -> String;
}

/// `T` as its JSON text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text<T>(pub T);

/// Pounds and pence: `"1234.56"`, `"-20.00"`.
pub type Amount = Text<Money>;
/// A percentage with the agreement's decimals: `"50.24"`.
pub type Percentage = Text<Percent>;
/// A month of the financial year: `"M1"` (April) to `"M12"` (March).
pub type Month = Text<FiscalMonth>;
/// A financial year: `"2016-17"`.
pub type Year = Text<FinancialYear>;
/// A calendar month: `"2016-07"`.
pub type Period = Text<ledger::Period>;
/// A day, ISO: `"2016-04-01"`.
pub type Day = Text<Date>;

impl<T: JsonText> Serialize for Text<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.text())
    }
}

impl<T: JsonText> PartialSchema for Text<T> {
    fn schema() -> RefOr<Schema> {
        let format = (T::NAME == "Date").then_some(SchemaFormat::KnownFormat(KnownFormat::Date));
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(format)
            .description(Some(T::DESCRIPTION))
            .pattern(Some(T::PATTERN))
            .examples([T::EXAMPLE])
            .into()
    }
}

impl<T: JsonText> ToSchema for Text<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(T::NAME)
    }
}

impl<T: JsonText> From<T> for Text<T> {
    fn from(value: T) -> Text<T> {
        Text(value)
    }
}

impl JsonText for Money {
    const NAME: &'static str = "Amount";
    const DESCRIPTION: &'static str = "Pounds with two decimals, as a string: exact, never a float; negative for an \
        underspend or a credit.";
    const PATTERN: &'static str = r"^-?[0-9]+\.[0-9]{2}$";
    const EXAMPLE: &'static str = "1234.56";
    fn text(&self) -> String {
        self.to_plain_string()
    }
}

/// Display gives each of these as the contract writes it.
fn shown(value: &impl Display) -> String {
    value.to_string()
}

impl JsonText for Percent {
    const NAME: &'static str = "Percentage";
    const DESCRIPTION: &'static str = "A percentage with the agreement's decimals, as a string.";
    const PATTERN: &'static str = r"^[0-9]+(\.[0-9]+)?$";
    const EXAMPLE: &'static str = "50.24";
    fn text(&self) -> String {
        shown(self)
    }
}

impl JsonText for FiscalMonth {
    const NAME: &'static str = "Month";
    const DESCRIPTION: &'static str = "A month of the financial year: M1 (April) to M12 (March).";
    const PATTERN: &'static str = "^M([1-9]|1[0-2])$";
    const EXAMPLE: &'static str = "M6";
    fn text(&self) -> String {
        shown(self)
    }
}

impl JsonText for FinancialYear {
    const NAME: &'static str = "FinancialYear";
    const DESCRIPTION: &'static str = "A financial year, April to March.";
    const PATTERN: &'static str = "^[0-9]{4}-[0-9]{2}$";
    const EXAMPLE: &'static str = "2016-17";
    fn text(&self) -> String {
        shown(self)
    }
}

impl JsonText for ledger::Period {
    const NAME: &'static str = "Period";
    const DESCRIPTION: &'static str = "A calendar month, as a ledger extract covers one.";
    const PATTERN: &'static str = "^[0-9]{4}-(0[1-9]|1[0-2])$";
    const EXAMPLE: &'static str = "2016-07";
    fn text(&self) -> String {
        shown(self)
    }
}

impl JsonText for Date {
    const NAME: &'static str = "Date";
    const DESCRIPTION: &'static str = "A day, ISO 8601.";
    const PATTERN: &'static str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
    const EXAMPLE: &'static str = "2016-04-01";
    fn text(&self) -> String {
        shown(self)
    }
}

/// The audit log's head as of the figures: `SEQ:HASH`.
pub type Head = Text<AuditHead>;

impl JsonText for AuditHead {
    const NAME: &'static str = "AuditHead";
    const DESCRIPTION: &'static str = "The audit log's head as of the figures: the sequence number of its latest \
        entry and that entry's SHA-256, hex. Publish it; `pooled audit verify --head` later proves the log up to it \
        unchanged.";
    const PATTERN: &'static str = "^[0-9]+:[0-9a-f]{64}$";
    const EXAMPLE: &'static str = "42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    fn text(&self) -> String {
        shown(self)
    }
}

fn partner_id(a: &Agreement, ix: usize) -> String {
    a.partners()[ix].id.clone()
}

// ---- risk share ----

/// Each pool's risk-share table: `pooled risk-share --json`, `GET /api/agreements/{agreement}/{year}/risk-share`.
#[derive(Serialize, ToSchema)]
pub struct RiskShare {
    pub financial_year: Year,
    pub pools: Vec<PoolRiskShare>,
}

#[derive(Serialize, ToSchema)]
pub struct PoolRiskShare {
    /// The pool's id.
    pub id: String,
    pub basis: ShareBasis,
    pub partners: Vec<PartnerBase>,
}

/// How the pool's shares are set: in proportion to each partner's gross contributions,
/// or fixed by the agreement.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ShareBasis {
    GrossContributions,
    Fixed,
}

impl From<&RiskShareBasis> for ShareBasis {
    fn from(basis: &RiskShareBasis) -> ShareBasis {
        match basis {
            RiskShareBasis::GrossContributions { .. } => ShareBasis::GrossContributions,
            RiskShareBasis::Fixed { .. } => ShareBasis::Fixed,
        }
    }
}

/// A partner's risk-share base in a pool and its share.
#[derive(Serialize, ToSchema)]
pub struct PartnerBase {
    /// The partner's id.
    pub id: String,
    pub contributions: Amount,
    /// Contributions to lines outside the base.
    pub excluded: Amount,
    /// The partner's income target, added back to reach a gross figure.
    pub income_added_back: Amount,
    /// `contributions - excluded + income_added_back`.
    pub base: Amount,
    pub share: Percentage,
}

/// Each pool's risk-share table, from the tables of the pools that have one.
pub fn risk_share(a: &Agreement, tables: &[(&Pool, Shares)]) -> RiskShare {
    let pools = tables
        .iter()
        .filter_map(|(pool, share)| {
            let partners = (share.partners.iter().zip(&share.shares).enumerate())
                .map(|(ix, (row, percent))| PartnerBase {
                    id: partner_id(a, ix),
                    contributions: row.contributions.into(),
                    excluded: row.excluded.into(),
                    income_added_back: row.income_added_back.into(),
                    base: row.base.into(),
                    share: Text(*percent),
                })
                .collect();
            // A pool has a table only if it has a basis (`risk_share` works it out from it).
            Some(PoolRiskShare { id: pool.id.clone(), basis: pool.risk_share.as_ref()?.into(), partners })
        })
        .collect();
    RiskShare { financial_year: a.financial_year().into(), pools }
}

// ---- settlement ----

/// Each pool's settlement on an outturn, partner by partner and part by part:
/// `pooled settle --json`.
#[derive(Serialize, ToSchema)]
pub struct Settlement {
    pub pools: Vec<SettledPool>,
}

#[derive(Serialize, ToSchema)]
pub struct SettledPool {
    /// The pool's id.
    pub id: String,
    pub budget: Amount,
    pub outturn: Amount,
    /// `outturn - budget`: positive for an overspend.
    pub variance: Amount,
    pub partners: Vec<PartnerSettlement>,
}

/// What a partner bears of a pool's variance, and why.
#[derive(Serialize, ToSchema)]
pub struct PartnerSettlement {
    /// The id of the body holding the partner's place at the end of the year (a successor
    /// from its date).
    pub id: String,
    pub total: Amount,
    pub parts: Vec<Part>,
}

/// One part of a partner's settlement: the rule applied, to which line, under which clause.
#[derive(Serialize, ToSchema)]
pub struct Part {
    pub rule: Rule,
    /// The line the part arises from; null for the shared remainder.
    #[schema(required = true)]
    pub line: Option<String>,
    /// The clause of the agreement applied, or the rule in words where the agreement gives none.
    pub clause: String,
    pub amount: Amount,
}

/// The settlement rule a part follows.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A line's variance borne by one partner.
    BorneBy,
    /// A line's variance borne by its lead commissioner.
    Lead,
    /// An underspend clawed back to the partner that funded it.
    Clawback,
    /// The shortfall on a saving moved into the pool without an agreed strategy.
    UnagreedSaving,
    /// The rest, split by the risk share.
    Shared,
}

impl From<PartRule> for Rule {
    fn from(rule: PartRule) -> Rule {
        match rule {
            PartRule::BorneBy => Rule::BorneBy,
            PartRule::Lead => Rule::Lead,
            PartRule::Clawback => Rule::Clawback,
            PartRule::UnagreedSaving => Rule::UnagreedSaving,
            PartRule::Shared => Rule::Shared,
        }
    }
}

/// Each pool's settlement, partner by partner and part by part.
pub fn settlement(pools: &[PoolSettlement]) -> Settlement {
    let pools = pools
        .iter()
        .map(|p| {
            let partners = (p.partners.iter())
                .map(|s| {
                    let parts = (s.parts.iter())
                        .map(|part| Part {
                            rule: part.rule.into(),
                            line: part.line.clone(),
                            clause: part.clause.clone(),
                            amount: part.amount.into(),
                        })
                        .collect();
                    PartnerSettlement { id: s.body.id.clone(), total: s.total.into(), parts }
                })
                .collect();
            SettledPool {
                id: p.pool.clone(),
                budget: p.budget.into(),
                outturn: p.outturn.into(),
                variance: p.variance.into(),
                partners,
            }
        })
        .collect();
    Settlement { pools }
}

/// The year-end settlement from the ledger, with the invoices between partners:
/// `pooled settle --year --json`, `GET /api/agreements/{agreement}/{year}/settlement`.
#[derive(Serialize, ToSchema)]
pub struct YearEnd {
    /// `null` when the settlement is final: all twelve months of the ledger imported and
    /// closed.
    pub provisional: Option<Provisional>,
    pub pools: Vec<SettledPool>,
    pub invoices: Vec<Invoice>,
    pub audit_head: Head,
}

/// How much of the year the ledger holds while a settlement on it is provisional.
#[derive(Serialize, ToSchema)]
pub struct Provisional {
    /// The months of the year with a ledger imported, of 12.
    pub months_imported: usize,
    /// The months closed, of 12.
    pub months_closed: usize,
    /// The first month imported; `null` while no ledger is imported.
    pub first: Option<Month>,
    /// The last month imported; `null` while no ledger is imported.
    pub last: Option<Month>,
}

/// What one partner pays another at the year end in a pool: the settlement between
/// them net of the pool's instalments invoiced and unpaid between them, either way.
#[derive(Serialize, ToSchema)]
pub struct Invoice {
    /// The pool's id.
    pub pool: String,
    /// The id of the paying body at the end of the year.
    pub payer: String,
    /// The id of the body paid at the end of the year.
    pub payee: String,
    /// The parts netted; never negative ("0.00" when they cancel out).
    pub amount: Amount,
    /// What the invoice nets off, each part from its own payer to its payee.
    pub parts: Vec<InvoicePart>,
}

/// One amount an invoice nets off.
#[derive(Serialize, ToSchema)]
pub struct InvoicePart {
    pub kind: PartKind,
    /// The id of the body owing the part at the end of the year.
    pub payer: String,
    /// The id of the body owed it.
    pub payee: String,
    /// Always positive.
    pub amount: Amount,
    /// The months of the unpaid instalments; empty for the settlement.
    pub months: Vec<Month>,
}

/// Why an invoice's part is owed.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PartKind {
    /// The pool's over- or underspend, shared at the year end.
    Settlement,
    /// The pool's instalments invoiced and not yet paid.
    UnpaidInstalments,
}

/// The year-end settlement from the ledger: [`settlement`], plus the invoices.
pub fn year_end(end: &crate::YearEnd, head: &AuditHead) -> YearEnd {
    let body = |partner| end.agreement.body_at_year_end(partner).id;
    let provisional = end.provisional.as_ref().map(|p| Provisional {
        months_imported: p.months_imported,
        months_closed: p.months_closed,
        first: p.first.map(Text),
        last: p.last.map(Text),
    });
    let invoices = (end.invoices.iter())
        .map(|i| Invoice {
            pool: i.pool.clone(),
            payer: i.payer_body.id.clone(),
            payee: i.payee_body.id.clone(),
            amount: i.amount.into(),
            parts: (i.parts.iter())
                .map(|p| {
                    let (kind, months) = match &p.kind {
                        InvoicePartKind::Settlement => (PartKind::Settlement, Vec::new()),
                        InvoicePartKind::UnpaidInstalments(months) => {
                            (PartKind::UnpaidInstalments, months.iter().map(|m| Text(*m)).collect())
                        }
                    };
                    InvoicePart { kind, payer: body(p.payer), payee: body(p.payee), amount: p.amount.into(), months }
                })
                .collect(),
        })
        .collect();
    YearEnd { provisional, pools: settlement(&end.settlements).pools, invoices, audit_head: head.clone().into() }
}

// ---- payments ----

/// The payment schedule as the agreement file sets it: `pooled payments FILE --json`.
#[derive(Serialize)]
pub struct Schedule {
    pub payments: Vec<Scheduled>,
    /// A two-tier area's Disabled Facilities Grant paid on to its district councils.
    pub districts: Vec<DistrictScheduled>,
}

/// An instalment of a district council's Disabled Facilities Grant, paid out of the pool.
#[derive(Serialize, ToSchema)]
pub struct DistrictScheduled {
    /// The district's id (`[[bcf.district]]`).
    pub district: String,
    pub name: String,
    /// The id of the paying body on the due date.
    pub from: String,
    pub month: Month,
    pub due: Day,
    pub amount: Amount,
}

/// One instalment of the schedule.
#[derive(Serialize, ToSchema)]
pub struct Scheduled {
    /// The pool's id.
    pub pool: String,
    /// The id of the paying body on the due date (a successor from its date).
    pub from: String,
    /// The id of the body paid on the due date.
    pub to: String,
    pub month: Month,
    pub due: Day,
    pub amount: Amount,
}

/// The payment schedule with what is recorded against each instalment:
/// `pooled payments --year --json`, `GET /api/agreements/{agreement}/{year}/payments`.
#[derive(Serialize, ToSchema)]
pub struct Payments {
    pub payments: Vec<Payment>,
    /// A two-tier area's Disabled Facilities Grant paid on to its district councils, as
    /// scheduled (payments to districts are not recorded yet).
    pub districts: Vec<DistrictScheduled>,
}

/// An instalment, its invoice and the payments on it.
#[derive(Serialize, ToSchema)]
pub struct Payment {
    #[serde(flatten)]
    pub instalment: Scheduled,
    /// When it was raised (invoiced); null until it is.
    #[schema(required = true)]
    pub raised: Option<Day>,
    /// The invoice's amount: "0.00" until it is raised.
    pub invoiced: Amount,
    /// What has been paid on it: "0.00" when nothing has.
    pub paid: Amount,
    /// Invoiced less paid.
    pub outstanding: Amount,
    /// Each payment, in the order recorded.
    pub payments: Vec<Paid>,
}

/// A payment on an instalment.
#[derive(Serialize, ToSchema)]
pub struct Paid {
    pub on: Day,
    pub amount: Amount,
}

fn scheduled(i: &Instalment) -> Scheduled {
    Scheduled {
        pool: i.pool.clone(),
        from: i.payer.id.clone(),
        to: i.payee.id.clone(),
        month: i.month.into(),
        due: i.due.into(),
        amount: i.amount.into(),
    }
}

/// The payment schedule.
pub fn schedule(schedule: &[Instalment], districts: &[DistrictInstalment]) -> Schedule {
    Schedule { payments: schedule.iter().map(scheduled).collect(), districts: district_schedule(districts) }
}

/// Each instalment of the schedule with what is recorded against it.
pub fn payments(tracked: &[TrackedInstalment], districts: &[DistrictInstalment]) -> Payments {
    Payments { payments: tracked.iter().map(payment).collect(), districts: district_schedule(districts) }
}

fn district_schedule(districts: &[DistrictInstalment]) -> Vec<DistrictScheduled> {
    (districts.iter())
        .map(|i| DistrictScheduled {
            district: i.district.clone(),
            name: i.name.clone(),
            from: i.payer.id.clone(),
            month: i.month.into(),
            due: i.due.into(),
            amount: i.amount.into(),
        })
        .collect()
}

/// One instalment with what is recorded against it.
pub fn payment(t: &TrackedInstalment) -> Payment {
    let account = &t.account;
    Payment {
        instalment: scheduled(&t.instalment),
        raised: account.raised_on().map(Text),
        invoiced: account.invoiced().into(),
        paid: account.paid().into(),
        outstanding: account.outstanding().into(),
        payments: account.payments.iter().map(|p| Paid { on: p.on.into(), amount: p.amount.into() }).collect(),
    }
}

// ---- the monthly report ----

/// The monthly finance report: every row of each pool with its figures, and each
/// partner's forecast risk-share impact: `pooled report --format json`,
/// `GET /api/agreements/{agreement}/{year}/report`.
#[derive(Serialize, ToSchema)]
pub struct Report {
    pub financial_year: Year,
    pub month: Month,
    /// When a forecast variance needs an action plan, in words with the clauses: any of a
    /// pooled fund, and a line's from the agreement's threshold if it sets one.
    pub action_plans: String,
    /// The agreement's threshold for flagging a line (`[reporting] line_threshold`); null
    /// when it sets none, and only pools are flagged.
    #[schema(required = true)]
    pub line_threshold: Option<LineThreshold>,
    pub pools: Vec<PoolReport>,
    /// Lines whose cost centres' budgets do not add up to the line's budget.
    pub warnings: Vec<String>,
    pub audit_head: Head,
}

#[derive(Serialize, ToSchema)]
pub struct PoolReport {
    /// The pool's id.
    pub id: String,
    pub name: String,
    /// The pool's row first, then each segment, its lines and their cost centres.
    pub rows: Vec<ReportRow>,
    /// Each partner's share of the forecast variance if the year ended as forecast.
    pub risk_impact: Vec<PartnerTotal>,
    /// The pool's savings without an agreed delivery strategy, with what the forecast
    /// risk impact takes each to deliver, and why.
    pub savings: Vec<ReportSaving>,
}

/// An unagreed saving as the monthly report's forecast takes it.
#[derive(Serialize, ToSchema)]
pub struct ReportSaving {
    /// The saving's id.
    pub id: String,
    /// The body, at the end of the month, of the partner that moved it into the pool and
    /// funds any shortfall.
    pub partner: String,
    /// The line's id.
    pub line: String,
    /// The saving the pool's budget counts on.
    pub amount: Amount,
    /// What the forecast takes it to deliver.
    pub delivery: Amount,
    pub basis: DeliveryBasis,
    /// The month the forecast taken was made in; null unless `basis` is `forecast`.
    #[schema(required = true)]
    pub forecast_made_in: Option<Month>,
    /// `amount - delivery`, or nothing when it delivers in full: what the partner funds.
    pub shortfall: Amount,
}

/// Where a report's figure for a saving's delivery comes from.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum DeliveryBasis {
    /// What it delivered, recorded at the year's end (the M12 report takes it).
    Delivered,
    /// The latest forecast of its delivery, made in the month or before.
    Forecast,
    /// None recorded: assumed delivered in full, so no shortfall is forecast.
    AssumedInFull,
}

fn report_saving(report: &MonthlyReport, d: &SavingDelivery) -> ReportSaving {
    let (basis, made_in) = match d.basis {
        Basis::Delivered => (DeliveryBasis::Delivered, None),
        Basis::Forecast(month) => (DeliveryBasis::Forecast, Some(Text(month))),
        Basis::AssumedInFull => (DeliveryBasis::AssumedInFull, None),
    };
    ReportSaving {
        id: d.saving.clone(),
        partner: report.bodies[d.partner].id.clone(),
        line: d.line.clone(),
        amount: d.amount.into(),
        delivery: d.delivery.into(),
        basis,
        forecast_made_in: made_in,
        shortfall: d.shortfall().into(),
    }
}

/// A line's forecast variance needs an action plan from this amount or this percentage of
/// its budget (either, where both are given).
#[derive(Serialize, ToSchema)]
pub struct LineThreshold {
    #[schema(required = true)]
    pub amount: Option<Amount>,
    #[schema(required = true)]
    pub percent: Option<Percentage>,
}

/// An amount for one partner.
#[derive(Serialize, ToSchema)]
pub struct PartnerTotal {
    /// The id of the body holding the partner's place at the end of the month.
    pub id: String,
    pub total: Amount,
}

#[derive(Serialize, ToSchema)]
pub struct ReportRow {
    pub level: Level,
    /// The row's name: the pool, segment or line name, or `code name` for a cost centre.
    pub label: String,
    /// The segment's name; empty on the pool's row.
    pub segment: String,
    /// The line's id; empty above lines.
    pub line: String,
    /// The cost centre's code; empty above cost centres.
    pub cost_centre: String,
    /// The cost centre's partner, as the body holding its place at the end of the month;
    /// null above cost centres.
    #[schema(required = true)]
    pub partner: Option<String>,
    pub annual_budget: Amount,
    pub budget_to_date: Amount,
    pub actual_to_date: Amount,
    pub forecast_outturn: Amount,
    /// `forecast_outturn - annual_budget`.
    pub variance: Amount,
    /// The change in forecast outturn since the month before; null in M1.
    #[schema(required = true)]
    pub change: Option<Amount>,
    pub forecast_basis: ForecastBasis,
    /// Whether the forecast variance needs an action plan.
    pub needs_action_plan: bool,
    /// The clause an action plan is needed under (or the rule in words); null when none is.
    #[schema(required = true)]
    pub action_plan: Option<String>,
    /// A cost centre's forecast entered below its actual to date, and confirmed as meant;
    /// false on every total.
    pub confirmed_below_actual: bool,
}

/// A row's place in the report.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Pool,
    Segment,
    Line,
    #[serde(rename = "cost centre")]
    CostCentre,
}

impl From<report::Level> for Level {
    fn from(level: report::Level) -> Level {
        match level {
            report::Level::Pool => Level::Pool,
            report::Level::Segment => Level::Segment,
            report::Level::Line => Level::Line,
            report::Level::CostCentre => Level::CostCentre,
        }
    }
}

/// Where a forecast outturn comes from.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ForecastBasis {
    /// Entered by the budget holder.
    Entered,
    /// None entered: the run-rate on the budget profile, actual to date * annual budget /
    /// budget to date (tables say `run-rate on the budget profile`).
    RunRate,
    /// Budget not allocated to any cost centre: assumed spent exactly.
    Unallocated,
    /// A total over rows with different bases.
    Mixed,
}

impl From<report::ForecastBasis> for ForecastBasis {
    fn from(basis: report::ForecastBasis) -> ForecastBasis {
        match basis {
            report::ForecastBasis::Entered => ForecastBasis::Entered,
            report::ForecastBasis::RunRate => ForecastBasis::RunRate,
            report::ForecastBasis::Unallocated => ForecastBasis::Unallocated,
            report::ForecastBasis::Mixed => ForecastBasis::Mixed,
        }
    }
}

/// The monthly finance report: every row of each pool, and the forecast risk impact.
pub fn report(report: &MonthlyReport, head: &AuditHead) -> Report {
    let pools = (report.pools.iter())
        .map(|pool| {
            let rows = (pool.flat_rows().into_iter())
                .map(|r| {
                    let f = &r.figures;
                    ReportRow {
                        level: r.level.into(),
                        label: r.label,
                        segment: r.segment,
                        line: r.line,
                        cost_centre: r.cost_centre,
                        partner: r.partner.map(|p| report.bodies[p].id.clone()),
                        annual_budget: f.annual_budget.into(),
                        budget_to_date: f.budget_to_date.into(),
                        actual_to_date: f.actual_to_date.into(),
                        forecast_outturn: f.forecast_outturn.into(),
                        variance: f.variance.into(),
                        change: f.change.map(Text),
                        forecast_basis: f.basis.into(),
                        needs_action_plan: f.needs_action_plan(),
                        action_plan: f.action_plan.map(|flag| report.cite(flag).to_string()),
                        confirmed_below_actual: f.confirmed_below_actual,
                    }
                })
                .collect();
            let risk_impact = (pool.risk_impact.partners.iter())
                .map(|p| PartnerTotal { id: p.body.id.clone(), total: p.total.into() })
                .collect();
            let savings = pool.savings.iter().map(|d| report_saving(report, d)).collect();
            PoolReport { id: pool.id.clone(), name: pool.name.clone(), rows, risk_impact, savings }
        })
        .collect();
    Report {
        financial_year: report.year.into(),
        month: report.month.into(),
        action_plans: report.flagging(),
        line_threshold: report
            .line_threshold
            .as_ref()
            .map(|t| LineThreshold { amount: t.amount.map(Text), percent: t.percent.map(Text) }),
        pools,
        warnings: report.warnings.clone(),
        audit_head: head.clone().into(),
    }
}

// ---- funding streams and schemes ----

/// Spend per funding stream, scheme and scheme type: `pooled bcf FILE --json` (the plan:
/// `month`, `audit_head` and every `actual_to_date` and `forecast` null) and `pooled bcf
/// --year --month --json` (from the ledger, as the monthly report of that month).
#[derive(Serialize, ToSchema)]
pub struct Bcf {
    /// The agreement's id.
    pub agreement: String,
    pub financial_year: Year,
    /// The month the ledger figures are at; null for the plan.
    #[schema(required = true)]
    pub month: Option<Month>,
    /// The planning template year whose list the schemes' types come from
    /// (`[bcf] scheme_types`); null when the agreement names none.
    #[schema(required = true)]
    pub scheme_types: Option<String>,
    /// One per stream, in the agreement's order.
    pub streams: Vec<BcfStream>,
    /// Each scheme type the schemes use, in the order of the year's list.
    pub types: Vec<BcfType>,
    /// Each line that is a scheme, in the agreement's order.
    pub schemes: Vec<BcfScheme>,
    /// Lines no stream funds (aligned lines that do not say, or every line of an
    /// agreement without streams).
    pub without_stream: BcfSpend,
    /// Lines that are not schemes.
    pub without_scheme: BcfSpend,
    /// Every line: the streams' and `without_stream` add up to it, and so do the types'
    /// and `without_scheme`.
    pub total: BcfSpend,
    /// The Better Care Fund's conditions, each judged on the figures above: the minimums
    /// `[bcf]` gives, the districts' grant, and each stream within its allocation.
    pub conditions: Vec<BcfCondition>,
    /// The audit log's head as of the ledger figures; null for the plan.
    #[schema(required = true)]
    pub audit_head: Option<Head>,
}

/// A condition of the fund with the figures it is judged on.
#[derive(Serialize, ToSchema)]
pub struct BcfCondition {
    /// `social-care`, `out-of-hospital`, `dfg-to-districts` or `within-allocation`.
    pub rule: String,
    /// The stream's id for `within-allocation`; null otherwise.
    #[schema(required = true)]
    pub stream: Option<String>,
    /// What is measured, in words.
    pub what: String,
    /// The agreement's clause, or the national requirement in words.
    pub source: String,
    /// `at-least` (a minimum) or `at-most` (an allocation).
    pub requirement: String,
    pub required: Amount,
    /// Planned, and from the ledger the actual to date and forecast. A minimum is judged
    /// on the planned and forecast figures, a maximum also on the actual to date.
    pub figures: BcfSpend,
    pub met: bool,
    /// Each breach in a sentence naming the figure, the condition and its source.
    pub breaches: Vec<String>,
}

fn bcf_condition<T: Judged + Into<BcfSpend>>(a: &Agreement, c: &Condition<T>) -> BcfCondition {
    let (requirement, required) = match c.requirement {
        Requirement::AtLeast(m) => ("at-least", m),
        Requirement::AtMost(m) => ("at-most", m),
    };
    BcfCondition {
        rule: c.rule.key().to_string(),
        stream: match c.rule {
            ConditionRule::WithinAllocation { stream } => Some(a.streams()[stream].id.clone()),
            _ => None,
        },
        what: c.what.clone(),
        source: c.source.clone(),
        requirement: requirement.to_string(),
        required: required.into(),
        figures: c.figures.into(),
        met: c.met(),
        breaches: c.breach_words(),
    }
}

/// Planned (the budget), actual to date and forecast outturn; the last two null for the
/// plan.
#[derive(Serialize, ToSchema)]
pub struct BcfSpend {
    pub planned: Amount,
    #[schema(required = true)]
    pub actual_to_date: Option<Amount>,
    #[schema(required = true)]
    pub forecast: Option<Amount>,
}

impl From<Money> for BcfSpend {
    fn from(planned: Money) -> BcfSpend {
        BcfSpend { planned: planned.into(), actual_to_date: None, forecast: None }
    }
}

impl From<LedgerSpend> for BcfSpend {
    fn from(s: LedgerSpend) -> BcfSpend {
        BcfSpend {
            planned: s.planned.into(),
            actual_to_date: Some(s.actual_to_date.into()),
            forecast: Some(s.forecast.into()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BcfStream {
    /// The stream's id.
    pub id: String,
    pub name: String,
    /// `nhs-minimum`, `local-authority-grant`, `disabled-facilities-grant`, `discharge`,
    /// `additional` or `other`.
    pub kind: String,
    /// The id of the partner the money comes from.
    pub from: String,
    /// The allocation the agreement states; `spend.planned` is what its lines take.
    pub allocation: Amount,
    pub spend: BcfSpend,
}

#[derive(Serialize, ToSchema)]
pub struct BcfType {
    /// As the year's list spells it.
    #[serde(rename = "type")]
    pub scheme_type: String,
    /// How many schemes are of it.
    pub schemes: usize,
    pub spend: BcfSpend,
}

#[derive(Serialize, ToSchema)]
pub struct BcfScheme {
    /// The plan's scheme id.
    pub id: String,
    /// The pool's id.
    pub pool: String,
    /// The line's id.
    pub line: String,
    /// The line's name.
    pub name: String,
    #[serde(rename = "type")]
    pub scheme_type: String,
    #[schema(required = true)]
    pub sub_type: Option<String>,
    /// `social care`, `community health`, `mental health`, `primary care`, `acute`,
    /// `continuing care` or `other`.
    pub area_of_spend: String,
    /// `local-authority`, `nhs` or `joint`.
    pub commissioner: String,
    /// The NHS's share of a jointly commissioned scheme; null otherwise.
    #[schema(required = true)]
    pub nhs_share: Option<Percentage>,
    #[schema(required = true)]
    pub provider: Option<String>,
    /// Planned outputs; null when the agreement gives none.
    #[schema(required = true)]
    pub outputs: Option<BcfOutputs>,
    /// `new` or `existing`; null when the agreement does not say.
    #[schema(required = true)]
    pub new_or_existing: Option<String>,
    pub spend: BcfSpend,
    /// The scheme's spend from each stream funding it (split in proportion to what it
    /// takes from each, to the penny).
    pub streams: Vec<BcfSchemeStream>,
}

#[derive(Serialize, ToSchema)]
pub struct BcfOutputs {
    /// The number as the agreement writes it.
    pub amount: String,
    pub unit: String,
}

#[derive(Serialize, ToSchema)]
pub struct BcfSchemeStream {
    /// The stream's id.
    pub id: String,
    pub spend: BcfSpend,
}

/// The plan per stream, scheme and type, from the agreement alone.
pub fn bcf_plan(a: &Agreement, spend: &bcf::BcfSpend<Money>) -> Bcf {
    bcf_json(a, spend, &bcf::conditions::conditions(a, spend), None, None)
}

/// Spend per stream, scheme and type from the ledger at a month.
pub fn bcf_ledger(spending: &crate::BcfSpending, head: &AuditHead) -> Bcf {
    let a = &spending.agreement;
    bcf_json(a, &spending.spend, &spending.conditions, Some(spending.month), Some(head))
}

fn bcf_json<T: Judged + Into<BcfSpend>>(
    a: &Agreement,
    spend: &bcf::BcfSpend<T>,
    conditions: &[Condition<T>],
    month: Option<FiscalMonth>,
    head: Option<&AuditHead>,
) -> Bcf {
    let stream_id = |ix: usize| a.streams()[ix].id.clone();
    let streams = (spend.streams.iter())
        .map(|s| {
            let stream = &a.streams()[s.stream];
            BcfStream {
                id: stream.id.clone(),
                name: stream.name.clone(),
                kind: stream.kind.key().to_string(),
                from: partner_id(a, stream.from),
                allocation: stream.allocation.into(),
                spend: s.spend.into(),
            }
        })
        .collect();
    let types = (spend.types.iter())
        .map(|t| BcfType { scheme_type: t.scheme_type.clone(), schemes: t.schemes, spend: t.spend.into() })
        .collect();
    let schemes = (spend.schemes.iter())
        .filter_map(|s| {
            let pool = &a.pools()[s.pool];
            let line = &pool.lines[s.line];
            let scheme = line.scheme.as_ref()?;
            let nhs_share = match scheme.commissioner {
                bcf::Commissioner::Joint { nhs_share } => Some(Text(nhs_share)),
                _ => None,
            };
            Some(BcfScheme {
                id: scheme.id.clone(),
                pool: pool.id.clone(),
                line: line.id.clone(),
                name: line.name.clone(),
                scheme_type: scheme.scheme_type.clone(),
                sub_type: scheme.sub_type.clone(),
                area_of_spend: scheme.area_of_spend.key().to_string(),
                commissioner: scheme.commissioner.key().to_string(),
                nhs_share,
                provider: scheme.provider.clone(),
                outputs: scheme.outputs.as_ref().map(|o| BcfOutputs { amount: o.amount.clone(), unit: o.unit.clone() }),
                new_or_existing: scheme.new_or_existing.map(|n| n.key().to_string()),
                spend: s.spend.into(),
                streams: (s.by_stream.iter())
                    .map(|b| BcfSchemeStream { id: stream_id(b.stream), spend: b.spend.into() })
                    .collect(),
            })
        })
        .collect();
    Bcf {
        agreement: a.id().to_string(),
        financial_year: a.financial_year().into(),
        month: month.map(Text),
        scheme_types: a.bcf().scheme_types.map(|y| y.key().to_string()),
        streams,
        types,
        schemes,
        without_stream: spend.without_stream.into(),
        without_scheme: spend.without_scheme.into(),
        total: spend.total.into(),
        conditions: conditions.iter().map(|c| bcf_condition(a, c)).collect(),
        audit_head: head.map(|h| h.clone().into()),
    }
}

// ---- a partner's consolidated view ----

/// One body's view across the agreements it holds a partner's place in, at a month (an
/// ICB's view of its places): `GET /api/partners/{partner}/{year}`.
#[derive(Serialize, ToSchema)]
pub struct Consolidated {
    /// The body's id.
    pub partner: String,
    pub name: String,
    pub financial_year: Year,
    pub month: Month,
    /// Each agreement the body holds a place in at the month, with its pools.
    pub agreements: Vec<ConsolidatedAgreement>,
    /// Every agreement's figures added up.
    pub total: PartnerFigures,
    pub audit_head: Head,
}

/// One agreement of a body's consolidated view.
#[derive(Serialize, ToSchema)]
pub struct ConsolidatedAgreement {
    /// The agreement's id.
    pub id: String,
    pub name: String,
    /// The id of the partner whose place the body holds, as the agreement names it (the
    /// CCG's, for the ICB that succeeded it).
    pub partner: String,
    #[serde(flatten)]
    pub figures: PartnerFigures,
    pub pools: Vec<ConsolidatedPool>,
}

/// One pool of an agreement in a body's consolidated view.
#[derive(Serialize, ToSchema)]
pub struct ConsolidatedPool {
    /// The pool's id.
    pub id: String,
    pub name: String,
    #[serde(flatten)]
    pub figures: PartnerFigures,
}

/// What a body puts in and carries.
#[derive(Serialize, ToSchema)]
pub struct PartnerFigures {
    /// Its contributions for the year to the lines that split their budgets between the
    /// partners; null ("not split") where no line does: the agreement gives the budgets
    /// without partners' contributions, so its part of them is not known.
    #[schema(required = true)]
    pub contributions: Option<Amount>,
    /// Whether some budget not split between the partners is left out of `contributions`.
    pub contributions_exclude_unsplit: bool,
    /// The pools' forecast variance, every partner's: forecast outturn less budget.
    pub forecast_variance: Amount,
    /// The body's part of it by the agreement's settlement rules.
    pub risk_impact: Amount,
}

impl From<report::PartnerFigures> for PartnerFigures {
    fn from(f: report::PartnerFigures) -> PartnerFigures {
        PartnerFigures {
            contributions: f.contributions.map(Amount::from),
            contributions_exclude_unsplit: f.excludes_unsplit,
            forecast_variance: f.forecast_variance.into(),
            risk_impact: f.risk_impact.into(),
        }
    }
}

/// A body's consolidated view.
pub fn consolidated(view: &report::Consolidated, head: &AuditHead) -> Consolidated {
    let agreements = (view.agreements.iter())
        .map(|a| ConsolidatedAgreement {
            id: a.id.clone(),
            name: a.name.clone(),
            partner: a.partner_id.clone(),
            figures: a.figures.into(),
            pools: (a.pools.iter())
                .map(|p| ConsolidatedPool { id: p.id.clone(), name: p.name.clone(), figures: p.figures.into() })
                .collect(),
        })
        .collect();
    Consolidated {
        partner: view.body.id.clone(),
        name: view.body.name.clone(),
        financial_year: view.year.into(),
        month: view.month.into(),
        agreements,
        total: view.total.into(),
        audit_head: head.clone().into(),
    }
}

// ---- the agreements in a database ----

/// Every agreement in the database, by id: `pooled agreements --json`.
#[derive(Serialize, ToSchema)]
pub struct Agreements {
    pub agreements: Vec<ListedAgreement>,
}

/// One agreement: its id and name, the years it is loaded for and its partners (as its
/// latest year's agreement gives them).
#[derive(Serialize, ToSchema)]
pub struct ListedAgreement {
    /// `[agreement] id` of its file.
    pub id: String,
    pub name: String,
    /// Oldest first.
    pub years: Vec<Year>,
    /// The partners' ids.
    pub partners: Vec<String>,
}

/// The agreements as listed by [`crate::agreements`].
pub fn agreements(listed: &[crate::AgreementListing]) -> Agreements {
    let agreements = (listed.iter())
        .map(|a| ListedAgreement {
            id: a.id.clone(),
            name: a.name.clone(),
            years: a.years.iter().map(|y| (*y).into()).collect(),
            partners: a.partners.clone(),
        })
        .collect();
    Agreements { agreements }
}

// ---- variations ----

/// Every version of an agreement's year, oldest first, with the day it takes effect, who
/// approved it and what it changed: `pooled variations --json`,
/// `GET /api/agreements/{agreement}/{year}/variations`.
#[derive(Serialize, ToSchema)]
pub struct Variations {
    /// `[agreement] id` of its file.
    pub agreement: String,
    pub financial_year: Year,
    pub versions: Vec<AgreementVersion>,
}

/// One version of an agreement's year.
#[derive(Serialize, ToSchema)]
pub struct AgreementVersion {
    /// 1 for the first, then one more for each variation.
    pub version: u32,
    /// The day it takes effect; null for the first version and for one that restates the
    /// year from its start.
    #[schema(required = true)]
    pub effective: Option<Day>,
    /// Who approved it, in the approver's words; null when not said.
    #[schema(required = true)]
    pub approved_by: Option<String>,
    /// When it was loaded (UTC, ISO 8601).
    pub loaded_at: String,
    pub loaded_by: String,
    /// What changed from the version before, one change a line, as `pooled load` says it;
    /// empty for the first version.
    pub changes: Vec<String>,
    /// Each pool of this version or the one before, with what changed in it and the risk
    /// share before and after; empty for the first version.
    pub pools: Vec<PoolVariation>,
}

/// Whether a pool or line is new in a version, gone from it, or in both.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Presence {
    Added,
    Removed,
    Kept,
}

impl From<variation::Presence> for Presence {
    fn from(p: variation::Presence) -> Presence {
        match p {
            variation::Presence::Added => Presence::Added,
            variation::Presence::Removed => Presence::Removed,
            variation::Presence::Kept => Presence::Kept,
        }
    }
}

/// An amount before and after a variation.
#[derive(Serialize, ToSchema)]
pub struct AmountChange {
    pub before: Amount,
    pub after: Amount,
}

impl From<variation::Change<Money>> for AmountChange {
    fn from(c: variation::Change<Money>) -> AmountChange {
        AmountChange { before: c.before.into(), after: c.after.into() }
    }
}

/// A partner's amount before and after.
#[derive(Serialize, ToSchema)]
pub struct PartnerAmountChange {
    /// The partner's id.
    pub partner: String,
    pub before: Amount,
    pub after: Amount,
}

/// A partner's risk share of a pool before and after: null where the pool shares no risk
/// in that version, or the partner is not in it.
#[derive(Serialize, ToSchema)]
pub struct ShareChange {
    /// The partner's id.
    pub partner: String,
    #[schema(required = true)]
    pub before: Option<Percentage>,
    #[schema(required = true)]
    pub after: Option<Percentage>,
}

/// What a variation changed in a pool.
#[derive(Serialize, ToSchema)]
pub struct PoolVariation {
    /// The pool's id.
    pub id: String,
    pub name: String,
    pub presence: Presence,
    /// The pool's total budget ("0.00" where it is absent).
    pub budget: AmountChange,
    /// Whether anything in the pool changed.
    pub changed: bool,
    /// The lines that changed.
    pub lines: Vec<LineVariation>,
    /// Each partner's total contribution to the pool, where it changed.
    pub contributions: Vec<PartnerAmountChange>,
    /// Each partner's risk share before and after; empty for a pool that shares no risk.
    pub shares: Vec<ShareChange>,
    /// Budget moved between the pool's lines, its total unchanged; null when none was.
    #[schema(required = true)]
    pub virement: Option<Virement>,
}

/// What a variation changed in a line.
#[derive(Serialize, ToSchema)]
pub struct LineVariation {
    /// The line's id.
    pub id: String,
    pub name: String,
    pub presence: Presence,
    /// The line's name before, when it kept its id and changed its name; else null.
    #[schema(required = true)]
    pub renamed_from: Option<String>,
    pub budget: AmountChange,
    /// Each partner's contribution to the line that changed.
    pub contributions: Vec<PartnerAmountChange>,
}

/// Budget moved between the lines of a pool whose total stays the same.
#[derive(Serialize, ToSchema)]
pub struct Virement {
    pub amount: Amount,
    /// The lines that gave budget.
    pub from: Vec<LineAmount>,
    /// The lines that received it.
    pub to: Vec<LineAmount>,
}

/// A line and an amount.
#[derive(Serialize, ToSchema)]
pub struct LineAmount {
    /// The line's id.
    pub line: String,
    pub amount: Amount,
}

/// Every version of an agreement's year with what it changed.
pub fn variations(key: &AgreementYear, records: &[crate::VersionRecord]) -> Variations {
    let partner_amounts = |changes: &[variation::PartnerAmount]| -> Vec<PartnerAmountChange> {
        (changes.iter())
            .map(|c| PartnerAmountChange {
                partner: c.partner.clone(),
                before: c.amount.before.into(),
                after: c.amount.after.into(),
            })
            .collect()
    };
    let line_amounts = |moves: &[(String, Money)]| -> Vec<LineAmount> {
        moves.iter().map(|(line, amount)| LineAmount { line: line.clone(), amount: (*amount).into() }).collect()
    };
    let pool = |p: &variation::PoolDiff| PoolVariation {
        id: p.id.clone(),
        name: p.name.clone(),
        presence: p.presence.into(),
        budget: p.budget.into(),
        changed: p.changed(),
        lines: (p.lines.iter())
            .map(|l| LineVariation {
                id: l.id.clone(),
                name: l.name.clone(),
                presence: l.presence.into(),
                renamed_from: l.renamed_from.clone(),
                budget: l.budget.into(),
                contributions: partner_amounts(&l.contributions),
            })
            .collect(),
        contributions: partner_amounts(&p.contributions),
        shares: (p.shares.iter())
            .map(|s| ShareChange {
                partner: s.partner.clone(),
                before: s.share.before.map(Text),
                after: s.share.after.map(Text),
            })
            .collect(),
        virement: p.virement.as_ref().map(|v| Virement {
            amount: v.amount.into(),
            from: line_amounts(&v.from),
            to: line_amounts(&v.to),
        }),
    };
    let versions = (records.iter())
        .map(|r| {
            let stored = &r.version.stored;
            AgreementVersion {
                version: stored.version,
                effective: stored.approval.effective.map(Text),
                approved_by: stored.approval.approved_by.clone(),
                loaded_at: stored.loaded_at.to_string(),
                loaded_by: stored.loaded_by.clone(),
                changes: r.diff.as_ref().map_or_else(Vec::new, variation::Diff::words),
                pools: r.diff.as_ref().map_or_else(Vec::new, |d| d.pools.iter().map(pool).collect()),
            }
        })
        .collect();
    Variations { agreement: key.agreement.clone(), financial_year: key.year.into(), versions }
}

/// What loading an agreement file did: `POST /api/agreements/{agreement}/{year}/variations`,
/// as `pooled load` says it.
#[derive(Serialize, ToSchema)]
pub struct LoadedAgreement {
    /// `[agreement] id` of the file.
    pub agreement: String,
    pub financial_year: Year,
    pub outcome: LoadKind,
    /// The version the agreement's year is now at.
    pub version: u32,
    /// For a variation, what changed, one change a line; else empty.
    pub changes: Vec<String>,
    /// The file's warnings, then the stored cost-centre plan's lines that no longer add up
    /// to the agreement's budgets.
    pub warnings: Vec<String>,
}

/// `loaded`: its first version; `unchanged`: the same text as the current version;
/// `varied`: a new version, the old ones kept.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LoadKind {
    Loaded,
    Unchanged,
    Varied,
}

pub fn loaded(loaded: &crate::Loaded) -> LoadedAgreement {
    let (outcome, version) = match loaded.outcome {
        LoadOutcome::Loaded { version } => (LoadKind::Loaded, version),
        LoadOutcome::Unchanged { version } => (LoadKind::Unchanged, version),
        LoadOutcome::Varied { version } => (LoadKind::Varied, version),
    };
    LoadedAgreement {
        agreement: loaded.key.agreement.clone(),
        financial_year: loaded.key.year.into(),
        outcome,
        version,
        changes: loaded.changes.lines().map(str::to_string).collect(),
        warnings: loaded.warnings.clone(),
    }
}

// ---- forecasts, imports, the audit log ----

/// A forecast outturn for the whole year, as entered in a month.
#[derive(Serialize, ToSchema)]
pub struct Forecast {
    /// The month it was entered for (the report month it belongs to).
    pub month: Month,
    /// The cost centre's code.
    pub cost_centre: String,
    pub outturn: Amount,
    /// Entered below the cost centre's actual to date, and confirmed as meant.
    pub confirmed_below_actual: bool,
    /// The username that entered it.
    pub entered_by: String,
    /// When (UTC, ISO 8601).
    pub entered_at: String,
}

/// A year's forecasts, by month entered, then cost centre: `GET /api/agreements/{agreement}/{year}/forecasts`.
#[derive(Serialize, ToSchema)]
pub struct Forecasts {
    pub forecasts: Vec<Forecast>,
}

/// One forecast outturn as entered.
pub fn forecast(f: &Entered) -> Forecast {
    Forecast {
        month: f.month.into(),
        cost_centre: f.cost_centre.clone(),
        outturn: f.outturn.into(),
        confirmed_below_actual: f.confirmed_below_actual,
        entered_by: f.entered_by.clone(),
        entered_at: f.entered_at.to_string(),
    }
}

/// A year's forecasts.
pub fn forecasts(forecasts: &[Entered]) -> Forecasts {
    Forecasts { forecasts: forecasts.iter().map(forecast).collect() }
}

// ---- unagreed savings ----

/// The agreement's savings without an agreed delivery strategy, with what is recorded of
/// each: `GET /api/agreements/{agreement}/{year}/savings`.
#[derive(Serialize, ToSchema)]
pub struct Savings {
    pub savings: Vec<Saving>,
}

/// A saving moved into a pool without an agreed delivery strategy, with its forecasts
/// and what it delivered: `pooled saving --json`, `POST /api/agreements/{agreement}/{year}/savings`.
#[derive(Serialize, ToSchema)]
pub struct Saving {
    /// The saving's id.
    pub id: String,
    /// The pool's id.
    pub pool: String,
    /// The line's id.
    pub line: String,
    /// The id of the body, at the end of the year, of the partner that moved it into the
    /// pool and funds any shortfall.
    pub partner: String,
    pub amount: Amount,
    /// The clause of the agreement on its shortfall, or the rule in words.
    pub clause: String,
    /// Forecasts of what it delivers in the year, by the month made in.
    pub forecasts: Vec<SavingForecast>,
    /// What it delivered; null until recorded, and the year cannot be settled until then.
    #[schema(required = true)]
    pub delivered: Option<RecordedAmount>,
}

/// A forecast of what a saving delivers in the year, made in a month.
#[derive(Serialize, ToSchema)]
pub struct SavingForecast {
    /// The month it was made in.
    pub month: Month,
    #[serde(flatten)]
    pub recorded: RecordedAmount,
}

/// An amount as recorded, by whom and when.
#[derive(Serialize, ToSchema)]
pub struct RecordedAmount {
    pub amount: Amount,
    /// The username that recorded it.
    pub entered_by: String,
    /// When (UTC, ISO 8601).
    pub entered_at: String,
}

fn recorded(r: &SavingRecord) -> RecordedAmount {
    RecordedAmount { amount: r.amount.into(), entered_by: r.entered_by.clone(), entered_at: r.entered_at.to_string() }
}

/// A saving with what is recorded of it.
pub fn saving(a: &Agreement, state: &SavingState) -> Saving {
    let s = state.saving;
    let forecasts = (state.forecasts.iter())
        .filter_map(|r| match r.figure {
            SavingFigure::Forecast(month) => Some(SavingForecast { month: month.into(), recorded: recorded(r) }),
            SavingFigure::Delivered => None,
        })
        .collect();
    Saving {
        id: s.id.clone(),
        pool: state.pool.id.clone(),
        line: state.pool.lines[s.line].id.clone(),
        partner: a.body_at_year_end(s.by).id,
        amount: s.amount.into(),
        clause: cite(s),
        forecasts,
        delivered: state.delivered.as_ref().map(recorded),
    }
}

/// Every saving with what is recorded of it.
pub fn savings(a: &Agreement, states: &[SavingState]) -> Savings {
    Savings { savings: states.iter().map(|s| saving(a, s)).collect() }
}

/// A year's ledger imports, replaced ones too: `GET /api/agreements/{agreement}/{year}/imports`.
#[derive(Serialize, ToSchema)]
pub struct Imports {
    pub imports: Vec<Import>,
}

/// One ledger extract imported.
#[derive(Serialize, ToSchema)]
pub struct Import {
    pub id: i64,
    pub period: Period,
    /// The month of the financial year the period is.
    pub month: Month,
    /// The partner's id.
    pub partner: String,
    /// The extract's file name.
    pub file_name: String,
    /// SHA-256 of the file, hex.
    pub file_sha256: String,
    pub rows: u64,
    pub total: Amount,
    /// When (UTC, ISO 8601).
    pub imported_at: String,
    /// The username.
    pub imported_by: String,
    /// Whether a corrected extract replaced it.
    pub replaced: bool,
}

/// A year's ledger imports, replaced ones too (`replaced` says so).
pub fn imports(imports: &[ImportRecord]) -> Imports {
    let imports = (imports.iter())
        .map(|i| Import {
            id: i.import_id,
            period: i.period.into(),
            month: i.period.month.into(),
            partner: i.partner.clone(),
            file_name: i.file_name.clone(),
            file_sha256: i.file_sha256.clone(),
            rows: i.rows,
            total: i.total.into(),
            imported_at: i.imported_at.to_string(),
            imported_by: i.imported_by.clone(),
            replaced: i.replaced,
        })
        .collect();
    Imports { imports }
}

/// The audit log, oldest first: `GET /api/audit`.
#[derive(Serialize, ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
}

/// One change, with its place in the hash chain.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    pub seq: i64,
    /// When (UTC, ISO 8601).
    pub at: String,
    /// Who made the change.
    pub actor: String,
    /// What kind of change.
    pub action: String,
    /// What was changed.
    pub subject: String,
    /// The state before, as `key=value` fields.
    pub before: String,
    /// The state after.
    pub after: String,
    /// The hash of the entry before, hex.
    pub prev_hash: String,
    /// SHA-256 of this entry and the one before: the chain `pooled audit verify` checks.
    pub hash: String,
}

/// The audit log, oldest first, with each entry's place in the hash chain.
pub fn audit_log(entries: &[Logged]) -> AuditLog {
    let entries = (entries.iter())
        .map(|e| AuditEntry {
            seq: e.seq,
            at: e.at.to_string(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            subject: e.subject.clone(),
            before: e.before.clone(),
            after: e.after.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        })
        .collect();
    AuditLog { entries }
}

// ---- the board ----

/// A decision's outcome under the board's rules.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Every filled seat voted for.
    Agreed,
    NotAgreed,
    /// Not unanimous: the lead commissioner of the element decides.
    LeadDiscretion,
    /// Taken at a meeting without its quorum.
    Invalid,
}

impl From<governance::Outcome> for Outcome {
    fn from(outcome: governance::Outcome) -> Outcome {
        match outcome {
            governance::Outcome::Agreed => Outcome::Agreed,
            governance::Outcome::NotAgreed => Outcome::NotAgreed,
            governance::Outcome::LeadDiscretion => Outcome::LeadDiscretion,
            governance::Outcome::Invalid => Outcome::Invalid,
        }
    }
}

/// A board member's vote.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Vote {
    For,
    Against,
    Abstain,
}

impl From<governance::Vote> for Vote {
    fn from(vote: governance::Vote) -> Vote {
        match vote {
            governance::Vote::For => Vote::For,
            governance::Vote::Against => Vote::Against,
            governance::Vote::Abstain => Vote::Abstain,
        }
    }
}

// ---- metrics and KPIs ----

/// The agreement year's metrics and KPIs (`pooled metrics --json`).
#[derive(Serialize, ToSchema)]
pub struct Metrics {
    pub agreement: String,
    pub year: Year,
    /// The bundled set of national metrics the agreement reports; null for none.
    #[schema(required = true)]
    pub national: Option<String>,
    pub series: Vec<MetricSeries>,
    pub home_support: Vec<HomeSupportMeasure>,
}

/// One series of figures: a national metric, a KPI, or one of a home support measure's.
#[derive(Serialize, ToSchema)]
pub struct MetricSeries {
    pub id: String,
    pub name: String,
    pub unit: String,
    /// `lower` or `higher` (is better).
    pub direction: String,
    /// `week`, `month`, `quarter` or `year`.
    pub period: String,
    /// The partner whose figures they are, who enters them; null for the pool manager's.
    #[schema(required = true)]
    pub partner: Option<String>,
    /// Its clause, or the national set and the metric's source.
    pub cited: String,
    /// A national metric's definition; null for a KPI.
    #[schema(required = true)]
    pub definition: Option<String>,
    /// The status of the latest period with an actual: `on track`, `not on track` or
    /// `not available`; null when no actual is entered.
    #[schema(required = true)]
    pub latest: Option<MetricPeriodStanding>,
    pub periods: Vec<MetricPeriodStanding>,
}

/// A period's plan, actual and status. A figure is exact decimal text (`"20400"`,
/// `"85.5"`) or `"not available"`; null when none is entered (a plan falls back to the
/// KPI's target).
#[derive(Serialize, ToSchema)]
pub struct MetricPeriodStanding {
    /// `W1`-`W52`, `M1`-`M12`, `Q1`-`Q4` or `year`.
    pub period: String,
    #[schema(required = true)]
    pub plan: Option<String>,
    #[schema(required = true)]
    pub actual: Option<String>,
    pub status: String,
}

/// A home support measure's quarters, computed from its weekly figures.
#[derive(Serialize, ToSchema)]
pub struct HomeSupportMeasure {
    pub kpi: String,
    pub baseline_hours: String,
    pub growth_hours_aimed_at: String,
    pub new_hours_a_week: String,
    pub quarters: Vec<HomeSupportQuarter>,
}

#[derive(Serialize, ToSchema)]
pub struct HomeSupportQuarter {
    pub quarter: String,
    pub weeks_reported: usize,
    /// The average new hours a week of the weeks reported, to one decimal place.
    #[schema(required = true)]
    pub average_new_hours: Option<String>,
    pub new_hours_status: String,
    /// The latest week with hours commissioned, and its growth over the baseline.
    #[schema(required = true)]
    pub latest_week: Option<String>,
    #[schema(required = true)]
    pub growth_hours: Option<String>,
    /// Progress to the growth aimed at, a percentage to one decimal place.
    #[schema(required = true)]
    pub progress_percent: Option<String>,
    pub progress_due_percent: String,
    pub progress_status: String,
}

/// The metrics of an agreement's year as the JSON gives them.
pub fn metrics(a: &Agreement, states: &[crate::metrics::SeriesState]) -> Metrics {
    let text = |f: Option<pooled_core::metrics::Figure>| f.map(|f| f.to_string());
    let standing = |s: &pooled_core::metrics::PeriodStanding| MetricPeriodStanding {
        period: s.period.to_string(),
        plan: text(s.plan),
        actual: text(s.actual),
        status: s.status.words().into(),
    };
    let series = states
        .iter()
        .map(|state| {
            let s = &state.series;
            MetricSeries {
                id: s.id.clone(),
                name: s.name.clone(),
                unit: s.unit.clone(),
                direction: s.direction.key().into(),
                period: s.frequency.key().into(),
                partner: s.partner.map(|p| a.partners()[p].id.clone()),
                cited: s.cited.clone(),
                definition: s.definition.clone(),
                latest: state.latest().map(standing),
                periods: state.standings.iter().map(standing).collect(),
            }
        })
        .collect();
    let home_support = crate::metrics::home_support_states(a, states)
        .iter()
        .filter_map(|h| {
            let terms = h.kpi.home_support.as_ref()?;
            let shown = |d: Option<pooled_core::metrics::Decimal>| d.map(|d| d.to_string());
            let quarters = h
                .quarters
                .iter()
                .map(|q| HomeSupportQuarter {
                    quarter: format!("Q{}", q.quarter),
                    weeks_reported: q.weeks_reported,
                    average_new_hours: shown(q.average_new_hours),
                    new_hours_status: q.new_hours_status.words().into(),
                    latest_week: q.latest_week.map(|(w, _)| format!("W{w}")),
                    growth_hours: shown(q.growth_hours),
                    progress_percent: shown(q.progress_percent),
                    progress_due_percent: q.progress_due_percent.to_string(),
                    progress_status: q.progress_status.words().into(),
                })
                .collect();
            Some(HomeSupportMeasure {
                kpi: h.kpi.id.clone(),
                baseline_hours: terms.baseline_hours.to_string(),
                growth_hours_aimed_at: terms.growth_target().to_string(),
                new_hours_a_week: terms.new_hours_a_week.to_string(),
                quarters,
            })
        })
        .collect();
    Metrics {
        agreement: a.id().to_string(),
        year: a.financial_year().into(),
        national: a.performance().national.map(|n| n.id.clone()),
        series,
        home_support,
    }
}
