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
    pub seed: u64,
    /// The ERP whose extract to imitate: the header is the mapping's column names, dates
    /// are in its format, amounts signed or in debit and credit columns.
    pub mapping: Mapping,
    pub negatives: Negatives,
    pub span: Span,
    pub postings: Postings,
}

impl GenOptions {
    /// Seed 1, negatives as the mapping's ERP writes them.
    pub fn new(mapping: Mapping, span: Span, postings: Postings) -> GenOptions {
        let negatives = Negatives::usual_for(&mapping);
        GenOptions { seed: 1, mapping, negatives, span, postings }
    }
}

/// How many postings an extract holds, and to which cost centres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Postings {
    /// So many rows, spread evenly over the span's months, posted to these cost centres
    /// (at least one when `rows > 0`), the first ones busiest; sized with no regard to any
    /// budget. The import benchmarks' extracts: their size is what is measured.
    Rows { rows: u64, cost_centres: Vec<String> },
    /// Each cost centre of the plan posts, each month, what its budget profile gives for
    /// the month, give or take a variance drawn from the seed: what a month of a real pool
    /// looks like (see [`gen_ledger`]).
    Budgets(Vec<PlanRow>),
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
    /// M1 to `through` of the year, in date order.
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

/// Suppliers, some with the commas and quotes that make CSV quoting matter; none named
/// after one area, as the demo posts them in several (each name as long as the one it
/// replaced, so that the benchmarks' extracts keep their size).
const SUPPLIERS: [&str; 16] = [
    "Sunrise Care Homes Ltd",
    "Allied Healthcare",
    "Smith, J (direct payment)",
    "Valley \"Home First\" Services",
    "Medequip Assistive Technology",
    "Age UK Thames Vale",
    "Response Housing",
    "Guideposts Trust",
    "Carers Support Hub",
    "Mind, Thames Vale",
    "Dimensions UK",
    "Thames Valley Day Services",
    "Chiltern Domiciliary Care",
    "Vale Reablement Team",
    "Valley Health NHS FT",
    "Central Community Transport",
];

/// One month's dates: its first day and length.
struct Month {
    first: Date,
    days: u64,
}

impl Month {
    fn of(period: Period) -> Month {
        Month { first: period.first_day(), days: (period.last_day().days_since(period.first_day()) + 1) as u64 }
    }
}

/// Writes a synthetic extract as CSV in the mapping's shape, streaming: memory grows with
/// the cost centres, never with the rows. Realistic enough to exercise an importer and to
/// read as a real month: invoices (most rows), credit notes (negative), journals moving
/// cost between two cost centres (a pair of rows with one reference that nets to zero),
/// odd pence, weekday posting dates, descriptions with commas and quotes. The same
/// options give the same bytes.
///
/// With [`Postings::Budgets`], each cost centre's month nets exactly to its budget for
/// the month (the plan's profile) plus a variance drawn from the seed, the same in every
/// month and every extract made with that seed: one line in three runs 4% to 12% over or
/// under, the others within 1.5%, and when a pool's lines drift more than 2% from its
/// budget its largest line takes the difference back; in a line of four cost centres or
/// more, one in four runs 5% to 15% off its line, the others (and those of smaller lines)
/// within 3%, and each month adds up to 3% more, all balanced within the line. So each
/// pool's month stays within about 2% of its budget while a few lines, and more cost
/// centres, are visibly over or under.
/// Journals move cost only into a cost centre from one of the next few that spends that
/// month, and that one's other postings make it good. A year's extract is its months'
/// extracts one after another.
pub fn gen_ledger<W: Write>(options: &GenOptions, writer: W) -> io::Result<()> {
    let mut out = Out::new(options, writer);
    out.header()?;
    match &options.postings {
        Postings::Rows { rows, cost_centres } => write_rows(&mut out, options, *rows, cost_centres)?,
        Postings::Budgets(plan) => write_budgets(&mut out, options, plan)?,
    }
    out.csv.flush()
}

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

/// [`Postings::Rows`]: the mean net posting is about £5,100.
fn write_rows<W: Write>(out: &mut Out<'_, W>, options: &GenOptions, rows: u64, codes: &[String]) -> io::Result<()> {
    if rows > 0 && codes.is_empty() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "no cost centres to generate postings for"));
    }
    let months: Vec<Month> = options.span.periods().into_iter().map(Month::of).collect();
    let mut rng = SplitMix64(options.seed);
    // References count up from a seed-dependent start, as document numbers do.
    let mut reference = 100_000 + rng.below(800_000);
    let mut i = 0;
    while i < rows {
        let month = &months[(u128::from(i) * months.len() as u128 / u128::from(rows)) as usize];
        let date = posting_date(month, &mut rng);
        let cost_centre = busy_pick(&mut rng, codes.len());
        let code = &codes[cost_centre];
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
                let (subjective, name) = rng.pick(&EXPENSES);
                out.row(code, date, pence, subjective, format_args!("{name} - {supplier}"), "INV", reference)?;
            }
            Kind::Refund => {
                let (subjective, name) = rng.pick(&EXPENSES);
                let text = format_args!("Credit note: {name} - {supplier}");
                out.row(code, date, -pence, subjective, text, "CRN", reference)?;
            }
            Kind::Income => {
                let (subjective, name) = rng.pick(&INCOME);
                let client = rng.below(90_000) + 10_000;
                out.row(code, date, -pence, subjective, format_args!("{name} - client {client}"), "INC", reference)?;
            }
            Kind::Journal if i + 1 < rows => {
                let (subjective, name) = rng.pick(&EXPENSES);
                // A journal moves money between two cost centres where there are two.
                let from = match busy_pick(&mut rng, codes.len()) {
                    same if same == cost_centre => (same + 1) % codes.len(),
                    other => other,
                };
                let from = &codes[from];
                out.row(code, date, pence, subjective, format_args!("Journal: {name} from {from}"), "JNL", reference)?;
                out.row(from, date, -pence, subjective, format_args!("Journal: {name} to {code}"), "JNL", reference)?;
                i += 1;
            }
            // The last row has no room for a pair: a one-sided correction.
            Kind::Journal => {
                let (subjective, name) = rng.pick(&EXPENSES);
                let text = format_args!("Journal: {name} correction");
                out.row(code, date, -pence, subjective, text, "JNL", reference)?;
            }
        }
        i += 1;
    }
    Ok(())
}

/// Basis points: 10,000 make the whole budget.
const WHOLE: i128 = 10_000;

/// [`Postings::Budgets`]: each month in turn, each cost centre in the plan's order.
fn write_budgets<W: Write>(out: &mut Out<'_, W>, options: &GenOptions, plan: &[PlanRow]) -> io::Result<()> {
    let variances = Variances::draw(plan, options.seed);
    for period in options.span.periods() {
        let m = period.month.number() as usize - 1;
        // Each month has its own sequence, so that a month's extract is the same alone or
        // within the year's.
        let calendar_month = u64::from(period.first_day().year().unsigned_abs()) * 12 + m as u64;
        let mut rng = SplitMix64(SplitMix64(options.seed ^ calendar_month.rotate_right(16)).next());
        // Document numbers are unique in the year: each month's count from its own million.
        let reference = (m as u64 + 1) * 1_000_000 + rng.below(500_000);
        let mut postings = Posting { out: &mut *out, rng, month: Month::of(period), reference };
        // How far each line's cost centres have drifted from it this month, in pence times
        // basis points.
        let mut drift = vec![0i128; variances.lines];
        // What journals earlier in the month moved out of a cost centre: its other postings
        // make it good, so that it still nets to its month.
        let mut journalled_out = vec![0i64; plan.len()];
        for (i, cost_centre) in plan.iter().enumerate() {
            let budget = i128::from(cost_centre.profile[m].pence());
            let line = variances.line[i];
            let noise = balanced(&mut postings.rng, drift[line], 300);
            drift[line] += noise * budget;
            let variance = i128::from(variances.cost_centre[i]) + noise;
            let month = i64::try_from(budget + budget * variance / WHOLE).expect("a plan's amounts fit in i64");
            let mut net = month + journalled_out[i];
            // One cost centre in four has cost moved in from one of the next few, if that
            // one spends this month.
            if net >= JOURNAL_FROM && i + 1 < plan.len() && postings.rng.below(4) == 0 {
                let later = i + 1 + postings.rng.below((plan.len() - i - 1).min(8) as u64) as usize;
                if plan[later].profile[m] > Money::ZERO {
                    let moved = posting_size(&mut postings.rng, net).min(net / 2);
                    postings.journal(&cost_centre.code, &plan[later].code, moved)?;
                    net -= moved;
                    journalled_out[later] += moved;
                }
            }
            postings.netting_to(&cost_centre.code, net)?;
        }
    }
    Ok(())
}

/// The smallest month of a cost centre that journals move cost into: £100.
const JOURNAL_FROM: i64 = 10_000;

/// +1 or -1: against `drift`, so that what has been drawn so far balances out (at random
/// when there is nothing to balance).
fn against(rng: &mut SplitMix64, drift: i128) -> i128 {
    match drift.signum() {
        0 if rng.below(2) == 0 => 1,
        0 => -1,
        sign => -sign,
    }
}

/// Up to `most` basis points, signed [`against`] the drift.
fn balanced(rng: &mut SplitMix64, drift: i128, most: u64) -> i128 {
    against(rng, drift) * i128::from(rng.below(most + 1))
}

/// Each cost centre's variance for the year, in basis points of its budget, and the line
/// it reports to (an index of the plan's distinct pool and line pairs).
struct Variances {
    cost_centre: Vec<i64>,
    line: Vec<usize>,
    lines: usize,
}

impl Variances {
    fn draw(plan: &[PlanRow], seed: u64) -> Variances {
        let mut rng = SplitMix64(seed);
        let budgets: Vec<i128> = plan.iter().map(|c| c.profile.iter().map(|m| i128::from(m.pence())).sum()).collect();
        // The lines in the order the plan first names them: (pool, line, budget).
        let mut lines: Vec<(&str, &str, i128)> = Vec::new();
        let mut line = Vec::with_capacity(plan.len());
        for (cost_centre, budget) in plan.iter().zip(&budgets) {
            let key = (cost_centre.pool.as_str(), cost_centre.line.as_str());
            let ix = lines.iter().position(|(pool, l, _)| (*pool, *l) == key).unwrap_or_else(|| {
                lines.push((key.0, key.1, 0));
                lines.len() - 1
            });
            lines[ix].2 += budget;
            line.push(ix);
        }
        let mut by_line = vec![0i128; lines.len()];
        let mut pools: Vec<&str> = Vec::new();
        for (pool, ..) in &lines {
            if !pools.contains(pool) {
                pools.push(pool);
            }
        }
        for pool in pools {
            let members: Vec<usize> = (0..lines.len()).filter(|l| lines[*l].0 == pool).collect();
            let mut drift = 0i128;
            for &l in &members {
                // One line in three is under pressure, or has vacancies: 4% to 12% out.
                by_line[l] = if rng.below(3) == 0 {
                    against(&mut rng, drift) * i128::from(400 + rng.below(801))
                } else {
                    balanced(&mut rng, drift, 150)
                };
                drift += by_line[l] * lines[l].2;
            }
            // The pool's largest line takes up what is left over 2% of the pool.
            let pool_budget: i128 = members.iter().map(|l| lines[*l].2).sum();
            let largest = members.iter().copied().max_by_key(|l| (lines[*l].2, std::cmp::Reverse(*l)));
            if let Some(largest) = largest
                && lines[largest].2 > 0
                && drift.abs() > 200 * pool_budget
            {
                let target = drift.signum() * i128::from(rng.below(151)) * pool_budget;
                by_line[largest] -= (drift - target) / lines[largest].2;
            }
        }
        let mut drift = vec![0i128; lines.len()];
        let mut sizes = vec![0usize; lines.len()];
        for &l in &line {
            sizes[l] += 1;
        }
        let cost_centre = line
            .iter()
            .zip(&budgets)
            .map(|(&l, budget)| {
                // In a line of four or more, which can balance it, one cost centre in four
                // runs 5% to 15% off its line; the others within 3%.
                let own = if sizes[l] >= 4 && rng.below(4) == 0 {
                    against(&mut rng, drift[l]) * i128::from(500 + rng.below(1001))
                } else {
                    balanced(&mut rng, drift[l], 300)
                };
                drift[l] += own * budget;
                i64::try_from(by_line[l] + own).expect("a few thousand basis points")
            })
            .collect();
        Variances { cost_centre, line, lines: lines.len() }
    }
}

/// How much one posting to a cost centre whose month nets to `net` pence is for: half of
/// them between a tenth of a sixth of the month and a sixth, a quarter a decade below, a
/// quarter two decades below; so about twenty postings make the month, whatever its size.
fn posting_size(rng: &mut SplitMix64, net: i64) -> i64 {
    let most = (net / 6).max(10_000);
    let top = match rng.below(4) {
        0 | 1 => most,
        2 => most / 10,
        _ => most / 100,
    };
    let least = (top / 10).max(100);
    let pence = least + rng.below((top - least).max(1) as u64) as i64;
    // One posting in ten is whole pounds (salaries, contract instalments).
    if rng.below(10) == 0 { pence - pence % 100 } else { pence }
}

/// Writes one month's postings of [`Postings::Budgets`].
struct Posting<'o, 'a, W: Write> {
    out: &'o mut Out<'a, W>,
    rng: SplitMix64,
    month: Month,
    reference: u64,
}

impl<W: Write> Posting<'_, '_, W> {
    fn next_reference(&mut self) -> u64 {
        self.reference += 1;
        self.reference
    }

    /// Invoices and credit notes netting exactly to `net` (income when it is negative).
    fn netting_to(&mut self, code: &str, net: i64) -> io::Result<()> {
        let mut left = net;
        while left > 0 {
            let pence = posting_size(&mut self.rng, net).min(left);
            left -= pence;
            let (subjective, name) = self.rng.pick(&EXPENSES);
            let supplier = self.rng.pick(&SUPPLIERS);
            let date = posting_date(&self.month, &mut self.rng);
            let reference = self.next_reference();
            self.out.row(code, date, pence, subjective, format_args!("{name} - {supplier}"), "INV", reference)?;
            // One invoice in sixteen is partly credited (10% to 90% of it), so every credit
            // still leaves the month closer to its net.
            if left > 0 && self.rng.below(16) == 0 {
                let credit = pence * (10 + self.rng.below(81) as i64) / 100;
                left += credit;
                let reference = self.next_reference();
                let text = format_args!("Credit note: {name} - {supplier}");
                self.out.row(code, date, -credit, subjective, text, "CRN", reference)?;
            }
        }
        while left < 0 {
            let pence = posting_size(&mut self.rng, -net).min(-left);
            left += pence;
            let (subjective, name) = self.rng.pick(&INCOME);
            let client = self.rng.below(90_000) + 10_000;
            let date = posting_date(&self.month, &mut self.rng);
            let reference = self.next_reference();
            self.out.row(code, date, -pence, subjective, format_args!("{name} - client {client}"), "INC", reference)?;
        }
        Ok(())
    }

    /// A journal moving `pence` of cost from `from` to `to`: two rows, one reference.
    fn journal(&mut self, to: &str, from: &str, pence: i64) -> io::Result<()> {
        let (subjective, name) = self.rng.pick(&EXPENSES);
        let date = posting_date(&self.month, &mut self.rng);
        let reference = self.next_reference();
        self.out.row(to, date, pence, subjective, format_args!("Journal: {name} from {from}"), "JNL", reference)?;
        self.out.row(from, date, -pence, subjective, format_args!("Journal: {name} to {to}"), "JNL", reference)
    }
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
    mapping: &'a Mapping,
    negatives: Negatives,
    csv: csv::Writer<W>,
    date: String,
    text: String,
    amount: String,
}

impl<'a, W: Write> Out<'a, W> {
    fn new(options: &'a GenOptions, writer: W) -> Out<'a, W> {
        let csv = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(writer);
        Out {
            mapping: &options.mapping,
            negatives: options.negatives,
            csv,
            date: String::new(),
            text: String::new(),
            amount: String::new(),
        }
    }

    fn header(&mut self) -> io::Result<()> {
        let m = self.mapping;
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
        cost_centre: &str,
        date: Date,
        pence: i64,
        subjective: &str,
        description: std::fmt::Arguments<'_>,
        prefix: &str,
        reference: u64,
    ) -> io::Result<()> {
        let m = self.mapping;
        self.csv.write_field(cost_centre)?;
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
        match (&m.amount, self.negatives) {
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

/// A cost centre of a plan: the columns `Plan::read` takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanRow {
    pub code: String,
    pub name: String,
    pub partner: String,
    pub pool: String,
    pub line: String,
    pub budget: Money,
    /// The budget by month, M1 to M12, summing to it: flat (`Money::monthly`) unless the
    /// plan gives a profile.
    pub profile: [Money; 12],
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
                        profile: budget.monthly(),
                    });
                }
            }
        }
    }
    rows
}

/// Writes a plan as CSV with the columns `code,name,partner,pool,line,budget`, and `M1` to
/// `M12` when some cost centre's profile is not flat.
pub fn write_plan_csv<W: Write>(writer: W, rows: &[PlanRow]) -> io::Result<()> {
    const MONTHS: [&str; 12] = ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10", "M11", "M12"];
    let profiled = rows.iter().any(|r| r.profile != r.budget.monthly());
    let mut header = vec!["code", "name", "partner", "pool", "line", "budget"];
    if profiled {
        header.extend(MONTHS);
    }
    crate::write_csv(
        writer,
        &header,
        rows.iter().map(|r| {
            let mut cells = vec![
                Cell::Text(r.code.clone()),
                Cell::Text(r.name.clone()),
                Cell::Text(r.partner.clone()),
                Cell::Text(r.pool.clone()),
                Cell::Text(r.line.clone()),
                Cell::Money(r.budget),
            ];
            if profiled {
                cells.extend(r.profile.iter().map(|m| Cell::Money(*m)));
            }
            cells
        }),
    )
}
