//! Synthetic ledger extracts and cost-centre plans: deterministic, so that anyone can
//! reproduce a benchmark from its row count and seed (issue 3, item 9).

use std::fmt::Write as _;
use std::io::{self, Write};

use pooled_core::agreement::{Agreement, Funding};
use pooled_core::calendar::{Date, FinancialYear, FiscalMonth, Weekday};
use pooled_core::ledger::{AmountColumns, Mapping, Period};
use pooled_core::money::Money;

use crate::Cell;
use crate::text::push_date;

/// What [`gen_ledger`] writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenOptions {
    pub rows: u64,
    pub seed: u64,
    /// The ERP whose extract to imitate: the header is the mapping's column names, dates
    /// are in its format, amounts signed or in debit and credit columns.
    pub mapping: Mapping,
    pub negatives: Negatives,
    pub span: Span,
    /// The cost centres to post to (at least one when `rows > 0`); the first ones are the
    /// busiest, as in a real ledger.
    pub cost_centres: Vec<String>,
}

impl GenOptions {
    /// 1,000 rows, seed 1, negatives as the mapping's ERP writes them.
    pub fn new(mapping: Mapping, span: Span, cost_centres: Vec<String>) -> GenOptions {
        let negatives = Negatives::usual_for(&mapping);
        GenOptions { rows: 1000, seed: 1, mapping, negatives, span, cost_centres }
    }
}

/// How a signed amount column writes a negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Negatives {
    /// `-99.99`
    Leading,
    /// `99.99-`, as SAP writes them.
    Trailing,
}

impl Negatives {
    /// Trailing for the `sap` preset, leading for every other mapping.
    pub fn usual_for(mapping: &Mapping) -> Negatives {
        if mapping.name.eq_ignore_ascii_case("sap") { Negatives::Trailing } else { Negatives::Leading }
    }
}

/// The dates rows fall on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Span {
    /// Every row in this calendar month: one month's extract.
    Period(Period),
    /// M1 to `through` of the year, rows spread evenly over the months in date order.
    YearTo { year: FinancialYear, through: FiscalMonth },
}

impl Span {
    fn periods(self) -> Vec<Period> {
        match self {
            Span::Period(p) => vec![p],
            Span::YearTo { year, through } => {
                FiscalMonth::all().take_while(|m| *m <= through).map(|month| Period { year, month }).collect()
            }
        }
    }
}

/// SplitMix64: tiny, fast, and well mixed enough for test data; the same seed gives the
/// same sequence on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0) by multiply-and-shift; the bias is below 2^-40 for the
    /// small ranges used here.
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Expenditure subjectives: (code, name).
const EXPENSES: [(&str, &str); 12] = [
    ("5101", "Residential care"),
    ("5102", "Nursing care"),
    ("5201", "Home care"),
    ("5301", "Direct payments"),
    ("5401", "Day opportunities"),
    ("5501", "Equipment"),
    ("5601", "Supported living"),
    ("5701", "Respite care"),
    ("6101", "Salaries"),
    ("6201", "Agency staff"),
    ("6301", "Transport"),
    ("6401", "Contract payments"),
];

/// Income subjectives: credits to the pool.
const INCOME: [(&str, &str); 3] =
    [("9101", "Client contributions"), ("9201", "Health income"), ("9301", "Fees and charges")];

/// Suppliers, some with the commas and quotes that make CSV quoting matter.
const SUPPLIERS: [&str; 16] = [
    "Sunrise Care Homes Ltd",
    "Allied Healthcare",
    "Smith, J (direct payment)",
    "Oxford \"Home First\" Services",
    "Medequip Assistive Technology",
    "Age UK Oxfordshire",
    "Response Housing",
    "Guideposts Trust",
    "Carers Oxfordshire",
    "Mind, Oxfordshire",
    "Dimensions UK",
    "Thames Valley Day Services",
    "Cherwell Domiciliary Care",
    "Vale Reablement Team",
    "Oxford Health NHS FT",
    "Banbury Community Transport",
];

/// How much a posting is for: a decade of pounds, then uniform pence within it. Most
/// postings are hundreds to thousands of pounds, a few tens of thousands.
const DECADES: [i64; 10] = [100, 1_000, 1_000, 10_000, 10_000, 10_000, 100_000, 100_000, 100_000, 1_000_000];

/// The kind of posting, per hundred rows.
enum Kind {
    Invoice,
    Refund,
    Income,
    Journal,
}

fn kind(roll: u64) -> Kind {
    match roll {
        0..84 => Kind::Invoice,
        84..90 => Kind::Refund,
        90..94 => Kind::Income,
        _ => Kind::Journal,
    }
}

/// One month's dates: its first day and length.
struct Month {
    first: Date,
    days: u64,
}

/// Writes a synthetic extract as CSV in the mapping's shape, streaming: memory does not
/// grow with `rows`. Realistic enough to exercise an importer: invoices (most rows),
/// refunds and income (negative), journals moving money between two cost centres (a pair
/// of rows with one reference), odd pence, weekday posting dates, descriptions with commas
/// and quotes. The same options give the same bytes.
///
/// The mean net posting is about £5,100, so `rows` of about a month's budget / £5,100 give
/// actuals near budget (a £344m year: about 5,600 rows a month).
pub fn gen_ledger<W: Write>(options: &GenOptions, writer: W) -> io::Result<()> {
    if options.rows > 0 && options.cost_centres.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no cost centres to generate postings for"));
    }
    let months: Vec<Month> = options
        .span
        .periods()
        .into_iter()
        .map(|p| Month { first: p.first_day(), days: (p.last_day().days_since(p.first_day()) + 1) as u64 })
        .collect();
    let mut rng = SplitMix64(options.seed);
    let mut out = Out::new(options, writer);
    out.header()?;
    // References count up from a seed-dependent start, as document numbers do.
    let mut reference = 100_000 + rng.below(800_000);
    let mut i = 0;
    while i < options.rows {
        let month = &months[(u128::from(i) * months.len() as u128 / u128::from(options.rows)) as usize];
        let date = posting_date(month, &mut rng);
        let cost_centre = busy_pick(&mut rng, options.cost_centres.len());
        let pence = {
            let decade = *rng.pick(&DECADES);
            // One posting in ten is whole pounds (salaries, contract instalments); the rest
            // have odd pence.
            let pence = decade + rng.below(decade as u64 * 9) as i64;
            if rng.below(10) == 0 { pence - pence % 100 } else { pence }
        };
        reference += 1;
        let supplier = rng.pick(&SUPPLIERS);
        match kind(rng.below(100)) {
            Kind::Invoice => {
                let (code, name) = rng.pick(&EXPENSES);
                out.row(cost_centre, date, pence, code, format_args!("{name} - {supplier}"), "INV", reference)?;
            }
            Kind::Refund => {
                let (code, name) = rng.pick(&EXPENSES);
                out.row(
                    cost_centre,
                    date,
                    -pence,
                    code,
                    format_args!("Credit note: {name} - {supplier}"),
                    "CRN",
                    reference,
                )?;
            }
            Kind::Income => {
                let (code, name) = rng.pick(&INCOME);
                let client = rng.below(90_000) + 10_000;
                out.row(cost_centre, date, -pence, code, format_args!("{name} - client {client}"), "INC", reference)?;
            }
            Kind::Journal if i + 1 < options.rows => {
                let (code, name) = rng.pick(&EXPENSES);
                let n = options.cost_centres.len();
                // A journal moves money between two cost centres where there are two.
                let from = match busy_pick(&mut rng, n) {
                    same if same == cost_centre => (same + 1) % n,
                    other => other,
                };
                let (to_code, from_code) = (&options.cost_centres[cost_centre], &options.cost_centres[from]);
                out.row(
                    cost_centre,
                    date,
                    pence,
                    code,
                    format_args!("Journal: {name} from {from_code}"),
                    "JNL",
                    reference,
                )?;
                out.row(from, date, -pence, code, format_args!("Journal: {name} to {to_code}"), "JNL", reference)?;
                i += 1;
            }
            // The last row has no room for a pair: a one-sided correction.
            Kind::Journal => {
                let (code, name) = rng.pick(&EXPENSES);
                out.row(cost_centre, date, -pence, code, format_args!("Journal: {name} correction"), "JNL", reference)?;
            }
        }
        i += 1;
    }
    out.csv.flush()
}

/// A weekday of the month: weekends move to the Friday before, or the Monday after when
/// the month starts on a weekend.
fn posting_date(month: &Month, rng: &mut SplitMix64) -> Date {
    let day = rng.below(month.days) as i64;
    let date = month.first.add_days(day).unwrap_or(month.first);
    let back = match date.weekday() {
        Weekday::Saturday => 1,
        Weekday::Sunday => 2,
        _ => return date,
    };
    if day >= back { date.add_days(-back).unwrap_or(date) } else { date.add_days(3 - back).unwrap_or(date) }
}

/// An index into `n` cost centres, two thirds of the time the smaller of two draws, so the
/// first cost centres get more postings than the last.
fn busy_pick(rng: &mut SplitMix64, n: usize) -> usize {
    let n = n as u64;
    let a = rng.below(n);
    (if rng.below(3) == 0 { a } else { a.min(rng.below(n)) }) as usize
}

/// The CSV writer and the buffers reused for every row.
struct Out<'a, W: Write> {
    options: &'a GenOptions,
    csv: csv::Writer<W>,
    date: String,
    text: String,
    amount: String,
}

impl<'a, W: Write> Out<'a, W> {
    fn new(options: &'a GenOptions, writer: W) -> Out<'a, W> {
        let csv = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(writer);
        Out { options, csv, date: String::new(), text: String::new(), amount: String::new() }
    }

    fn header(&mut self) -> io::Result<()> {
        let m = &self.options.mapping;
        let mut names = vec![&m.cost_centre, &m.date];
        names.extend([&m.subjective, &m.description, &m.reference].into_iter().flatten());
        match &m.amount {
            AmountColumns::Signed(a) => names.push(a),
            AmountColumns::DebitCredit { debit, credit } => names.extend([debit, credit]),
        }
        Ok(self.csv.write_record(names)?)
    }

    /// Columns in the header's order: cost centre, date, subjective, description,
    /// reference, amount (or debit, credit).
    #[allow(clippy::too_many_arguments)] // one posting's fields, written once each
    fn row(
        &mut self,
        cost_centre: usize,
        date: Date,
        pence: i64,
        subjective: &str,
        description: std::fmt::Arguments<'_>,
        prefix: &str,
        reference: u64,
    ) -> io::Result<()> {
        let options: &'a GenOptions = self.options;
        let m = &options.mapping;
        self.csv.write_field(&options.cost_centres[cost_centre])?;
        self.date.clear();
        push_date(&mut self.date, date.year().unsigned_abs(), date.month(), date.day(), m.date_format);
        self.csv.write_field(&self.date)?;
        if m.subjective.is_some() {
            self.csv.write_field(subjective)?;
        }
        if m.description.is_some() {
            self.text.clear();
            let _ = self.text.write_fmt(description);
            self.csv.write_field(&self.text)?;
        }
        if m.reference.is_some() {
            self.text.clear();
            let _ = write!(self.text, "{prefix}{reference:07}");
            self.csv.write_field(&self.text)?;
        }
        self.amount.clear();
        let (pounds, pence_part) = (pence.unsigned_abs() / 100, pence.unsigned_abs() % 100);
        // Writing to a String cannot fail.
        let _ = write!(self.amount, "{pounds}.{pence_part:02}");
        match (&m.amount, options.negatives) {
            (AmountColumns::DebitCredit { .. }, _) if pence < 0 => {
                self.csv.write_field("")?;
                self.csv.write_field(&self.amount)?;
            }
            (AmountColumns::DebitCredit { .. }, _) => {
                self.csv.write_field(&self.amount)?;
                self.csv.write_field("")?;
            }
            (AmountColumns::Signed(_), Negatives::Leading) if pence < 0 => {
                self.amount.insert(0, '-');
                self.csv.write_field(&self.amount)?;
            }
            (AmountColumns::Signed(_), Negatives::Trailing) if pence < 0 => {
                self.amount.push('-');
                self.csv.write_field(&self.amount)?;
            }
            (AmountColumns::Signed(_), _) => self.csv.write_field(&self.amount)?,
        }
        Ok(self.csv.write_record(None::<&[u8]>)?)
    }
}

/// A cost centre of a generated plan: the columns `Plan::read` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRow {
    pub code: String,
    pub name: String,
    pub partner: String,
    pub pool: String,
    pub line: String,
    pub budget: Money,
}

const SERVICES: [&str; 8] = [
    "Home care",
    "Residential care",
    "Nursing care",
    "Day opportunities",
    "Direct payments",
    "Reablement",
    "Supported living",
    "Community team",
];
const AREAS: [&str; 5] = ["City", "North", "South", "West", "Vale"];

/// A plan matching the agreement: for every line, `per_partner` cost centres (at least
/// one) for each partner that contributes to it, whose budgets sum exactly to that
/// partner's contribution; for a line with a budget but no partner split, cost centres of
/// its lead (or its pool's host) summing to the budget. Budgets are uneven, by weights
/// drawn from `seed`. Codes are `PARTNER-POOLnn-kkk`, unique in the plan.
pub fn gen_plan(agreement: &Agreement, per_partner: usize, seed: u64) -> Vec<PlanRow> {
    let mut rng = SplitMix64(seed);
    let per_partner = per_partner.max(1);
    let mut rows = Vec::new();
    for pool in agreement.pools() {
        for (l, line) in pool.lines.iter().enumerate() {
            let funders: Vec<(usize, Money)> = match &line.funding {
                Funding::Contributions(by_partner) => {
                    by_partner.iter().copied().enumerate().filter(|(_, c)| *c != Money::ZERO).collect()
                }
                Funding::Budget(budget) => vec![(line.lead.unwrap_or(pool.host), *budget)],
            };
            for (partner, amount) in funders {
                let weights: Vec<u64> = (0..per_partner).map(|_| 50 + rng.below(101)).collect();
                // The weights are at least 50 each, so never all zero.
                let budgets = amount.split_by_weights(&weights).unwrap_or_default();
                let partner_id = &agreement.partners()[partner].id;
                for (k, budget) in budgets.into_iter().enumerate() {
                    rows.push(PlanRow {
                        code: format!("{partner_id}-{}{:02}-{:03}", pool.id, l + 1, k + 1),
                        name: format!(
                            "{}: {}, {}",
                            line.name,
                            SERVICES[k % SERVICES.len()],
                            AREAS[(k / SERVICES.len()) % AREAS.len()]
                        ),
                        partner: partner_id.clone(),
                        pool: pool.id.clone(),
                        line: line.id.clone(),
                        budget,
                    });
                }
            }
        }
    }
    rows
}

/// Writes a plan as CSV with the columns `code,name,partner,pool,line,budget`.
pub fn write_plan_csv<W: Write>(writer: W, rows: &[PlanRow]) -> io::Result<()> {
    crate::write_csv(
        writer,
        &["code", "name", "partner", "pool", "line", "budget"],
        rows.iter().map(|r| {
            [
                Cell::Text(r.code.clone()),
                Cell::Text(r.name.clone()),
                Cell::Text(r.partner.clone()),
                Cell::Text(r.pool.clone()),
                Cell::Text(r.line.clone()),
                Cell::Money(r.budget),
            ]
        }),
    )
}
