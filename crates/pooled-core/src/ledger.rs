//! Ledger extracts from the partners' finance systems (issue 3): the period an extract
//! covers, the saved mapping that says how to read one ERP's columns, and the reading of
//! one row into a [`LedgerRow`] with errors that name the row and column.
//!
//! Reading files is not done here: a caller streams records (`&[&str]`) in, so the same
//! rules apply to CSV and XLSX and to any size of file.

use std::fmt;

use serde::Deserialize;

use crate::calendar::{Date, FinancialYear, FiscalMonth};
use crate::diagnostic::{Diagnostic, excerpt, group_thousands, quote, shorten};
use crate::file_format::from_toml;
use crate::money::{MAX_PENCE, Money};

/// A calendar month of a financial year: the unit in which extracts are imported and
/// periods closed. Written `2016-05` (May 2016, which is 2016-17 M2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period {
    pub year: FinancialYear,
    pub month: FiscalMonth,
}

impl Period {
    pub fn containing(date: Date) -> Period {
        Period { year: FinancialYear::containing(date), month: FiscalMonth::containing(date) }
    }

    /// `2016-05`: a calendar month, year first.
    pub fn parse(text: &str) -> Result<Period, String> {
        let bad = || format!("invalid period {}: expected a calendar month such as 2016-05", quote(text));
        let t = text.trim();
        let first = Date::parse_iso(&format!("{t}-01")).map_err(|_| bad())?;
        if t.len() != 7 {
            return Err(bad());
        }
        Ok(Period::containing(first))
    }

    pub fn first_day(self) -> Date {
        self.year.month_start(self.month)
    }

    pub fn last_day(self) -> Date {
        self.year.month_end(self.month)
    }

    pub fn contains(self, date: Date) -> bool {
        self.first_day() <= date && date <= self.last_day()
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.first_day();
        write!(f, "{:04}-{:02}", first.year(), first.month())
    }
}

/// One row of a partner's ledger extract, as imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerRow {
    /// The row's number in its file (the header is row 1), for drill-down and errors.
    pub row: u64,
    pub cost_centre: String,
    pub date: Date,
    /// Net expenditure: debits positive, credits (refunds, income) negative.
    pub amount: Money,
    pub subjective: String,
    pub description: String,
    pub reference: String,
}

/// How dates are written in an extract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub enum DateFormat {
    /// `2016-05-31`
    #[serde(rename = "yyyy-mm-dd")]
    Iso,
    /// `31/05/2016`, the UK form most council systems export.
    #[serde(rename = "dd/mm/yyyy")]
    DayMonthYear,
    /// `31-MAY-2016` or `31-MAY-16`, Oracle's default.
    #[serde(rename = "dd-mon-yyyy")]
    DayMonName,
    /// `20160531`, SAP's internal form.
    #[serde(rename = "yyyymmdd")]
    Compact,
}

/// Where the amount is: one signed column, or debit and credit columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AmountColumns {
    Signed(String),
    DebitCredit { debit: String, credit: String },
}

/// A saved description of one ERP's extract: which column holds what, and how dates are
/// written. Written as TOML (see [`Mapping::parse`]); presets for common systems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub name: String,
    pub cost_centre: String,
    pub date: String,
    pub date_format: DateFormat,
    pub amount: AmountColumns,
    pub subjective: Option<String>,
    pub description: Option<String>,
    pub reference: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMappingFile {
    mapping: RawMapping,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    name: String,
    cost_centre: String,
    date: String,
    date_format: DateFormat,
    amount: Option<String>,
    debit: Option<String>,
    credit: Option<String>,
    subjective: Option<String>,
    description: Option<String>,
    reference: Option<String>,
}

impl Mapping {
    /// A mapping file:
    /// ```toml
    /// [mapping]
    /// name = "oracle-ebs"
    /// cost_centre = "COST_CENTRE"
    /// date = "ACCOUNTING_DATE"
    /// date_format = "dd-mon-yyyy"      # yyyy-mm-dd | dd/mm/yyyy | dd-mon-yyyy | yyyymmdd
    /// debit = "ENTERED_DR"             # or: amount = "AMOUNT" (signed)
    /// credit = "ENTERED_CR"
    /// subjective = "ACCOUNT"           # optional
    /// description = "LINE_DESCRIPTION" # optional
    /// reference = "JE_NUMBER"          # optional
    /// ```
    pub fn parse(text: &str) -> Result<Mapping, Diagnostic> {
        let RawMappingFile { mapping: m } = from_toml(text)?;
        let amount = match (m.amount, m.debit, m.credit) {
            (Some(amount), None, None) => AmountColumns::Signed(amount),
            (None, Some(debit), Some(credit)) => AmountColumns::DebitCredit { debit, credit },
            _ => {
                return Err(Diagnostic::error(
                    0..0,
                    "a mapping needs either `amount` (one signed column) or both `debit` and `credit`",
                ));
            }
        };
        Ok(Mapping {
            name: m.name,
            cost_centre: m.cost_centre,
            date: m.date,
            date_format: m.date_format,
            amount,
            subjective: m.subjective,
            description: m.description,
            reference: m.reference,
        })
    }

    /// The mapping as TOML, the form [`Mapping::parse`] reads.
    pub fn to_toml(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let format = match self.date_format {
            DateFormat::Iso => "yyyy-mm-dd",
            DateFormat::DayMonthYear => "dd/mm/yyyy",
            DateFormat::DayMonName => "dd-mon-yyyy",
            DateFormat::Compact => "yyyymmdd",
        };
        let mut out = format!(
            "[mapping]\nname = {}\ncost_centre = {}\ndate = {}\ndate_format = {}\n",
            q(&self.name),
            q(&self.cost_centre),
            q(&self.date),
            q(format)
        );
        match &self.amount {
            AmountColumns::Signed(a) => out.push_str(&format!("amount = {}\n", q(a))),
            AmountColumns::DebitCredit { debit, credit } => {
                out.push_str(&format!("debit = {}\ncredit = {}\n", q(debit), q(credit)));
            }
        }
        for (key, value) in
            [("subjective", &self.subjective), ("description", &self.description), ("reference", &self.reference)]
        {
            if let Some(v) = value {
                out.push_str(&format!("{key} = {}\n", q(v)));
            }
        }
        out
    }

    /// The mappings pooled knows out of the box, by name: extracts as Oracle E-Business
    /// Suite (NHS shared services), Unit4 ERP (many councils) and SAP produce them.
    pub fn presets() -> Vec<Mapping> {
        let s = |v: &str| v.to_string();
        vec![
            Mapping {
                name: s("oracle"),
                cost_centre: s("COST_CENTRE"),
                date: s("ACCOUNTING_DATE"),
                date_format: DateFormat::DayMonName,
                amount: AmountColumns::DebitCredit { debit: s("ENTERED_DR"), credit: s("ENTERED_CR") },
                subjective: Some(s("ACCOUNT")),
                description: Some(s("LINE_DESCRIPTION")),
                reference: Some(s("JE_NUMBER")),
            },
            Mapping {
                name: s("unit4"),
                cost_centre: s("Cost Centre"),
                date: s("Voucher Date"),
                date_format: DateFormat::DayMonthYear,
                amount: AmountColumns::Signed(s("Amount")),
                subjective: Some(s("Account")),
                description: Some(s("Description")),
                reference: Some(s("Voucher No")),
            },
            Mapping {
                name: s("sap"),
                cost_centre: s("Cost Center"),
                date: s("Posting Date"),
                date_format: DateFormat::Compact,
                amount: AmountColumns::Signed(s("Amount in LC")),
                subjective: Some(s("G/L Account")),
                description: Some(s("Text")),
                reference: Some(s("Document Number")),
            },
        ]
    }

    pub fn preset(name: &str) -> Option<Mapping> {
        Mapping::presets().into_iter().find(|m| m.name == name)
    }
}

/// A problem with one row of an extract, naming its row and column (1-based; the header
/// is row 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub column: usize,
    pub column_name: String,
    pub message: String,
}

impl RowError {
    /// The error at `row` and `column` (1-based) under the header's `column_name`
    /// (`column 7` past the header or under a blank name); the name and any input the
    /// message quotes are cut to a readable length.
    pub fn new(row: u64, column: usize, column_name: &str, message: impl Into<String>) -> RowError {
        let name = column_name.trim();
        let column_name = if name.is_empty() { format!("column {column}") } else { excerpt(name) };
        RowError { row, column, column_name, message: shorten(message.into()) }
    }

    /// `file:row:column: error: COLUMN: message`.
    pub fn render(&self, file: &str) -> String {
        format!("{file}:{}:{}: error: {}: {}", self.row, self.column, self.column_name, self.message)
    }
}

/// The bad rows of a file as a report shows them: the first [`BadRows::KEPT`] in full and
/// a count of the rest, so checking a file of millions of bad rows costs the memory of
/// fifty.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BadRows {
    first: Vec<RowError>,
    more: u64,
}

impl BadRows {
    /// How many bad rows are kept in full.
    pub const KEPT: usize = 50;

    pub fn push(&mut self, error: RowError) {
        if self.first.len() < BadRows::KEPT {
            self.first.push(error);
        } else {
            self.more += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_empty()
    }

    /// The first bad rows, in the order found.
    pub fn first(&self) -> &[RowError] {
        &self.first
    }

    /// How many bad rows came after the first [`BadRows::KEPT`].
    pub fn more(&self) -> u64 {
        self.more
    }

    /// One line per kept row, then `file: and N more bad rows` if there were more.
    pub fn render(&self, file: &str) -> Vec<String> {
        let mut lines: Vec<String> = self.first.iter().map(|e| e.render(file)).collect();
        if self.more > 0 {
            let s = if self.more == 1 { "" } else { "s" };
            lines.push(format!("{file}: and {} more bad row{s}", group_thousands(self.more)));
        }
        lines
    }
}

impl From<RowError> for BadRows {
    fn from(error: RowError) -> BadRows {
        BadRows { first: vec![error], more: 0 }
    }
}

/// Reads records of one extract under a mapping, once the header is known.
#[derive(Clone, Debug)]
pub struct RowReader {
    mapping: Mapping,
    header: Vec<String>,
    cost_centre: usize,
    date: usize,
    amount: AmountAt,
    subjective: Option<usize>,
    description: Option<usize>,
    reference: Option<usize>,
}

#[derive(Clone, Copy, Debug)]
enum AmountAt {
    Signed(usize),
    DebitCredit { debit: usize, credit: usize },
}

impl RowReader {
    /// Finds the mapping's columns in the header (case and surrounding space ignored).
    /// A missing column is an error on row 1.
    pub fn new(mapping: &Mapping, header: &[&str]) -> Result<RowReader, RowError> {
        let find = |name: &str| -> Result<usize, RowError> {
            header.iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim())).ok_or_else(|| {
                RowError::new(
                    1,
                    1,
                    name,
                    format!(
                        "the header has no column {} that mapping {} needs (columns are {})",
                        quote(name),
                        quote(&mapping.name),
                        listed(header.iter().map(|h| quote(h.trim())))
                    ),
                )
            })
        };
        let optional = |name: &Option<String>| name.as_deref().map(find).transpose();
        Ok(RowReader {
            mapping: mapping.clone(),
            header: header.iter().map(|h| h.trim().to_string()).collect(),
            cost_centre: find(&mapping.cost_centre)?,
            date: find(&mapping.date)?,
            amount: match &mapping.amount {
                AmountColumns::Signed(a) => AmountAt::Signed(find(a)?),
                AmountColumns::DebitCredit { debit, credit } => {
                    AmountAt::DebitCredit { debit: find(debit)?, credit: find(credit)? }
                }
            },
            subjective: optional(&mapping.subjective)?,
            description: optional(&mapping.description)?,
            reference: optional(&mapping.reference)?,
        })
    }

    pub fn mapping(&self) -> &Mapping {
        &self.mapping
    }

    /// Reads record number `row` (1-based, counting the header as row 1).
    pub fn read(&self, row: u64, fields: &[&str]) -> Result<LedgerRow, RowError> {
        let mut into = LedgerRow::blank();
        self.read_into(row, fields, &mut into)?;
        Ok(into)
    }

    /// [`RowReader::read`] into a row read before, reusing its text's room: an import reads
    /// millions of rows, and allocating each one's text was a third of its time.
    pub fn read_into(&self, row: u64, fields: &[&str], into: &mut LedgerRow) -> Result<(), RowError> {
        let error = |column: usize, message: String| {
            RowError::new(row, column + 1, self.header.get(column).map_or("", String::as_str), message)
        };
        let field = |column: usize| fields.get(column).map_or("", |f| f.trim());
        let cost_centre = field(self.cost_centre);
        if cost_centre.is_empty() {
            return Err(error(self.cost_centre, "no cost centre".into()));
        }
        let date = parse_date(field(self.date), self.mapping.date_format).map_err(|m| error(self.date, m))?;
        let amount = match self.amount {
            AmountAt::Signed(c) => parse_ledger_amount(field(c)).map_err(|m| error(c, m))?,
            AmountAt::DebitCredit { debit, credit } => {
                let dr = parse_ledger_amount(field(debit)).map_err(|m| error(debit, m))?;
                let cr = parse_ledger_amount(field(credit)).map_err(|m| error(credit, m))?;
                dr - cr
            }
        };
        let set = |text: &mut String, column: Option<usize>| {
            text.clear();
            text.push_str(column.map_or("", field));
        };
        into.row = row;
        into.date = date;
        into.amount = amount;
        set(&mut into.cost_centre, Some(self.cost_centre));
        set(&mut into.subjective, self.subjective);
        set(&mut into.description, self.description);
        set(&mut into.reference, self.reference);
        Ok(())
    }
}

impl LedgerRow {
    /// A row with nothing in it, to be read into.
    pub fn blank() -> LedgerRow {
        LedgerRow {
            row: 0,
            cost_centre: String::new(),
            date: Date::MIN,
            amount: Money::ZERO,
            subjective: String::new(),
            description: String::new(),
            reference: String::new(),
        }
    }

    /// The room its text holds, in bytes.
    pub fn text_capacity(&self) -> usize {
        self.cost_centre.capacity()
            + self.subjective.capacity()
            + self.description.capacity()
            + self.reference.capacity()
    }
}

/// Items joined with `, `, at most twenty of them and then how many more: a header of a
/// million columns makes a line of a message, not a megabyte.
pub(crate) fn listed(items: impl ExactSizeIterator<Item = String>) -> String {
    const LISTED: usize = 20;
    let count = items.len();
    let mut out: Vec<String> = items.take(LISTED).collect();
    if count > LISTED {
        out.push(format!("and {} more", group_thousands((count - LISTED) as u64)));
    }
    out.join(", ")
}

/// Amounts as ERPs write them: `1234.56`, `1,234.56`, `-1234.56`, `(1,234.56)`,
/// `1234.56-` (SAP), `£1,234.56`; an empty cell is zero.
pub fn parse_ledger_amount(text: &str) -> Result<Money, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(Money::ZERO);
    }
    let (negative, body) = if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        (true, inner)
    } else if let Some(body) = t.strip_suffix('-') {
        (true, body)
    } else {
        (false, t)
    };
    let m = Money::parse(body).map_err(|e| e.replacen(&quote(body), &quote(t), 1))?;
    if negative && m.is_negative() {
        return Err(format!("invalid amount {}: negative twice", quote(t)));
    }
    let m = if negative { -m } else { m };
    if m.pence().abs() > MAX_PENCE {
        return Err(format!("invalid amount {}: too large", quote(t)));
    }
    Ok(m)
}

const MONTHS: [&str; 12] = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

fn parse_date(text: &str, format: DateFormat) -> Result<Date, String> {
    let bad = |expected: &str| format!("invalid date {}: expected {expected}", quote(text));
    let number = |s: &str| s.parse::<u32>().ok().filter(|_| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let (y, m, d, expected) = match format {
        DateFormat::Iso => return Date::parse_iso(text),
        DateFormat::DayMonthYear => {
            let parts: Vec<&str> = text.split('/').collect();
            let expected = "dd/mm/yyyy, e.g. 31/05/2016";
            match parts.as_slice() {
                [d, m, y] if y.len() == 4 => (number(y), number(m), number(d), expected),
                _ => return Err(bad(expected)),
            }
        }
        DateFormat::DayMonName => {
            let parts: Vec<&str> = text.split('-').collect();
            let expected = "dd-mon-yyyy, e.g. 31-MAY-2016";
            match parts.as_slice() {
                [d, mon, y] if y.len() == 4 || y.len() == 2 => {
                    let month = MONTHS.iter().position(|n| n.eq_ignore_ascii_case(mon)).map(|i| i as u32 + 1);
                    // Two-digit years are this century: ledgers hold no 20th-century rows.
                    let year = number(y).map(|y| if y < 100 { 2000 + y } else { y });
                    (year, month, number(d), expected)
                }
                _ => return Err(bad(expected)),
            }
        }
        DateFormat::Compact => {
            let expected = "yyyymmdd, e.g. 20160531";
            if text.len() != 8 || !text.is_char_boundary(4) || !text.is_char_boundary(6) {
                return Err(bad(expected));
            }
            (number(&text[..4]), number(&text[4..6]), number(&text[6..]), expected)
        }
    };
    match (y, m, d) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y)
            .ok()
            .and_then(|y| Date::new(y, m, d))
            .ok_or_else(|| format!("invalid date {}: no such day", quote(text))),
        _ => Err(bad(expected)),
    }
}

#[cfg(test)]
mod tests;
