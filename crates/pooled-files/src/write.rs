//! Writing tables: CSV with `csv`, formatted report workbooks with `rust_xlsxwriter`.

use std::borrow::{Borrow, Cow};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use pooled_core::calendar::Date;
use pooled_core::diagnostic::group_thousands;
use pooled_core::metrics::Decimal;
use pooled_core::money::Money;
use pooled_core::percent::Percent;
use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{Color, ExcelDateTime, Format, FormatBorder, Formula, Worksheet, XlsxError};

use crate::FileError;

/// Writes a header and rows of cells as CSV, streaming: rows may be an iterator over
/// millions of records. Every export of pooled goes through here, so every one is safe to
/// open in a spreadsheet:
/// - numbers (money as `-1234.56`, percentages, counts) are written plain and unquoted, so
///   a spreadsheet reads them as numbers, negative ones included;
/// - text is quoted, so no separator in it (`,` or a `;` in a European locale) can split a
///   cell; and text a spreadsheet would take for a formula (starting `=`, `+`, `-`, `@`, a
///   tab or a carriage return, such as `=HYPERLINK(...)` in a ledger description) gets a
///   leading `'`, as OWASP advises against CSV injection. The header is text too.
pub fn write_csv<W, H, R>(writer: W, header: &[H], rows: R) -> io::Result<()>
where
    W: Write,
    H: AsRef<str>,
    R: IntoIterator,
    R::Item: IntoIterator,
    <R::Item as IntoIterator>::Item: Borrow<Cell>,
{
    let mut csv = csv::WriterBuilder::new().quote_style(csv::QuoteStyle::NonNumeric).from_writer(writer);
    let header: Vec<Cow<'_, str>> = header.iter().map(|h| neutralised(h.as_ref())).collect();
    csv.write_record(header.iter().map(|h| h.as_bytes()))?;
    for row in rows {
        for cell in row {
            csv.write_field(csv_text(cell.borrow()).as_ref())?;
        }
        // An empty record ends the one the fields were written to.
        csv.write_record(None::<&[u8]>)?;
    }
    csv.flush()
}

/// A cell as CSV holds it: see [`write_csv`].
fn csv_text(cell: &Cell) -> Cow<'_, str> {
    match cell {
        Cell::Empty => Cow::Borrowed(""),
        Cell::Text(text) => neutralised(text),
        Cell::Money(m) => Cow::Owned(m.to_plain_string()),
        Cell::Percent(p) => Cow::Owned(p.to_string()),
        Cell::Integer(n) => Cow::Owned(n.to_string()),
        Cell::Date(d) => Cow::Owned(d.to_string()),
        Cell::Decimal(d) => Cow::Owned(d.to_string()),
    }
}

/// Text that a spreadsheet would read as a formula, with a `'` before it (OWASP's advice):
/// the spreadsheet shows it as text.
fn neutralised(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// [`write_csv`] to a file, created or replaced.
pub fn write_csv_file<H, R>(path: impl AsRef<Path>, header: &[H], rows: R) -> Result<(), FileError>
where
    H: AsRef<str>,
    R: IntoIterator,
    R::Item: IntoIterator,
    <R::Item as IntoIterator>::Item: Borrow<Cell>,
{
    let path = path.as_ref();
    let file = File::create(path).map_err(|e| FileError::new(path, format!("cannot create: {e}")))?;
    write_csv(BufWriter::new(file), header, rows).map_err(|e| FileError::new(path, format!("cannot write: {e}")))
}

/// A report workbook: generic tables, one per sheet, knowing nothing of what they mean.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

/// One sheet: an optional title row, a header row (frozen, with an autofilter), the rows,
/// and optionally a totals row.
#[derive(Clone, Debug, PartialEq)]
pub struct Sheet {
    /// At most 31 characters, none of `[]:*?/\` (Excel's rules).
    pub name: String,
    pub title: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub totals: Option<TotalsRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub header: String,
    pub kind: ColumnKind,
    /// In characters; `None` fits the header and the cells (within 8 to 60).
    pub width: Option<f64>,
}

/// What a column holds: sets the column's number format and whether it is totalled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    /// Pounds with pence, negatives red in brackets; totalled.
    Money,
    /// A percentage, at the cell's published decimals.
    Percent,
    /// A whole number with thousands separators; totalled.
    Integer,
    /// `dd/mm/yyyy`.
    Date,
    /// An exact figure (a metric's), with its own decimals; not totalled.
    Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Empty,
    Text(String),
    Money(Money),
    Percent(Percent),
    Integer(i64),
    Date(Date),
    Decimal(Decimal),
}

/// A row under the table's rows with the label in the first column and, under every
/// Money and Integer column, `=SUBTOTAL(9,<the column's rows>)`: a real formula (it
/// follows the autofilter, summing only the rows shown) with its value, computed exactly
/// from the cells, stored too so readers without a calculation engine see it.
///
/// With `stated` figures (aligned with the columns, [`Cell::Empty`] where none), the
/// workbook checks itself: a row `Figure in pooled` gives them, and a row `Check` says
/// under each `agrees` or `DIFFERS` by a formula comparing it with the total above, so a
/// workbook whose rows were edited, or that lost one, shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotalsRow {
    pub label: String,
    pub stated: Vec<Cell>,
}

impl TotalsRow {
    /// Totals with no stated figures to check them against.
    pub fn new(label: impl Into<String>) -> TotalsRow {
        TotalsRow { label: label.into(), stated: Vec::new() }
    }
}

/// The words of a [`TotalsRow`]'s checks.
pub const CHECK_LABEL: &str = "Check";
pub const STATED_LABEL: &str = "Figure in pooled";
pub const AGREES: &str = "agrees";
pub const DIFFERS: &str = "DIFFERS";

const MONEY_FORMAT: &str = "#,##0.00;[Red](#,##0.00)";
/// Excel's most characters in a cell (counted as UTF-16 units, as Excel counts them).
const MAX_CELL_CHARS: usize = 32_767;
const INTEGER_FORMAT: &str = "#,##0";
const DATE_FORMAT: &str = "dd/mm/yyyy";

/// Writes the workbook as XLSX. Text longer than a cell may hold (32,767 characters) is
/// cut, and says so at its end, rather than failing the whole workbook. An invalid model
/// (a bad sheet name, a date before 1900, more rows than Excel allows) is an
/// `InvalidInput` error that says which.
pub fn write_xlsx<W: Write + Send>(writer: W, book: &Workbook) -> io::Result<()> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    for sheet in &book.sheets {
        let worksheet = workbook.add_worksheet();
        write_sheet(worksheet, sheet)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("sheet `{}`: {e}", sheet.name)))?;
    }
    workbook.save_to_writer(writer).map_err(|e| match e {
        XlsxError::IoError(io) => io,
        other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
    })
}

/// [`write_xlsx`] to a file, created or replaced.
pub fn write_xlsx_file(path: impl AsRef<Path>, book: &Workbook) -> Result<(), FileError> {
    let path = path.as_ref();
    let file = File::create(path).map_err(|e| FileError::new(path, format!("cannot create: {e}")))?;
    let mut out = BufWriter::new(file);
    write_xlsx(&mut out, book)
        .and_then(|()| out.flush())
        .map_err(|e| FileError::new(path, format!("cannot write: {e}")))
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    ws.set_name(&sheet.name)?;
    let bold = Format::new().set_bold();
    let mut row: u32 = 0;
    if let Some(title) = &sheet.title {
        ws.write_string_with_format(row, 0, fit(title), &bold.clone().set_font_size(14))?;
        row += 1;
    }
    let header_row = row;
    let header_format = bold.clone().set_background_color(Color::RGB(0xD9D9D9)).set_border_bottom(FormatBorder::Thin);
    for (c, column) in sheet.columns.iter().enumerate() {
        ws.write_string_with_format(header_row, col(c)?, fit(&column.header), &header_format)?;
    }
    for cells in &sheet.rows {
        row += 1;
        for (c, cell) in cells.iter().enumerate() {
            write_cell(ws, row, col(c)?, cell)?;
        }
    }
    let last_data_row = row;
    let last_column = col(sheet.columns.len().max(1) - 1)?;
    ws.set_freeze_panes(header_row + 1, 0)?;
    ws.autofilter(header_row, 0, last_data_row, last_column)?;
    if let Some(totals) = &sheet.totals {
        write_totals(ws, sheet, totals, header_row, last_data_row)?;
    }
    for (c, column) in sheet.columns.iter().enumerate() {
        let width = column.width.unwrap_or_else(|| fitted_width(sheet, c));
        ws.set_column_width(col(c)?, width)?;
    }
    Ok(())
}

fn col(index: usize) -> Result<u16, XlsxError> {
    u16::try_from(index).map_err(|_| XlsxError::RowColumnLimitError)
}

fn percent_format(decimals: u8) -> Format {
    let places = if decimals == 0 { String::new() } else { format!(".{}", "0".repeat(usize::from(decimals))) };
    Format::new().set_num_format(format!("0{places}%"))
}

// Money and percentages become f64 here and only here, at the output boundary: an XLSX
// number cell is an IEEE double. The double nearest pence / 100 reads back as the same
// pence for any amount under 2^53 pence, far beyond the core's limit of £100bn.
fn write_cell(ws: &mut Worksheet, row: u32, column: u16, cell: &Cell) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(text) => {
            ws.write_string(row, column, fit(text))?;
        }
        Cell::Money(m) => {
            ws.write_number_with_format(
                row,
                column,
                m.pence() as f64 / 100.0,
                &Format::new().set_num_format(MONEY_FORMAT),
            )?;
        }
        Cell::Percent(p) => {
            let hundred = 100.0 * 10f64.powi(i32::from(p.decimals()));
            ws.write_number_with_format(row, column, p.units() as f64 / hundred, &percent_format(p.decimals()))?;
        }
        Cell::Integer(i) => {
            ws.write_number_with_format(row, column, *i as f64, &Format::new().set_num_format(INTEGER_FORMAT))?;
        }
        Cell::Date(d) => {
            let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
            // Month and day always fit: 1-12 and 1-31.
            let date = ExcelDateTime::from_ymd(year, d.month() as u8, d.day() as u8)?;
            ws.write_date_with_format(row, column, &date, &Format::new().set_num_format(DATE_FORMAT))?;
        }
        Cell::Decimal(d) => {
            // At most four decimals of a figure far under 2^53 units: the nearest double
            // reads back as the same figure.
            let places =
                if d.scale() == 0 { String::new() } else { format!(".{}", "0".repeat(usize::from(d.scale()))) };
            let format = Format::new().set_num_format(format!("#,##0{places}"));
            ws.write_number_with_format(row, column, d.units() as f64 / 10f64.powi(i32::from(d.scale())), &format)?;
        }
    }
    Ok(())
}

fn write_totals(
    ws: &mut Worksheet,
    sheet: &Sheet,
    totals: &TotalsRow,
    header_row: u32,
    last_data_row: u32,
) -> Result<(), XlsxError> {
    let row = last_data_row + 1;
    let bold = Format::new().set_bold().set_border_top(FormatBorder::Thin);
    for (c, column) in sheet.columns.iter().enumerate() {
        let cells = sheet.rows.iter().filter_map(|r| r.get(c));
        let (total, number_format) = match column.kind {
            ColumnKind::Money => {
                let pence: i128 = cells
                    .filter_map(|cell| match cell {
                        Cell::Money(m) => Some(i128::from(m.pence())),
                        _ => None,
                    })
                    .sum();
                let sign = if pence < 0 { "-" } else { "" };
                (format!("{sign}{}.{:02}", pence.unsigned_abs() / 100, pence.unsigned_abs() % 100), MONEY_FORMAT)
            }
            ColumnKind::Integer => {
                let sum: i128 = cells
                    .filter_map(|cell| match cell {
                        Cell::Integer(i) => Some(i128::from(*i)),
                        _ => None,
                    })
                    .sum();
                (sum.to_string(), INTEGER_FORMAT)
            }
            ColumnKind::Text | ColumnKind::Percent | ColumnKind::Date | ColumnKind::Decimal => {
                if c == 0 {
                    ws.write_string_with_format(row, 0, fit(&totals.label), &bold)?;
                } else {
                    ws.write_blank(row, col(c)?, &bold)?;
                }
                continue;
            }
        };
        let format = bold.clone().set_num_format(number_format);
        let column = col(c)?;
        if last_data_row == header_row {
            // No rows: a range would be empty (and `C3:C2` runs backwards), so a plain zero.
            ws.write_number_with_format(row, column, 0.0, &format)?;
        } else {
            let range =
                format!("{}:{}", row_col_to_cell(header_row + 1, column), row_col_to_cell(last_data_row, column));
            ws.write_formula_with_format(
                row,
                column,
                Formula::new(format!("=SUBTOTAL(9,{range})")).set_result(&total),
                &format,
            )?;
        }
        if let Some(stated) = totals.stated.get(c).filter(|cell| **cell != Cell::Empty) {
            let stated_text = match stated {
                Cell::Money(m) => m.to_plain_string(),
                Cell::Integer(i) => i.to_string(),
                _ => continue,
            };
            write_cell(ws, row + 1, column, stated)?;
            let (total_cell, stated_cell) = (row_col_to_cell(row, column), row_col_to_cell(row + 1, column));
            let agrees = stated_text == total;
            ws.write_formula(
                row + 2,
                column,
                Formula::new(format!("=IF(ROUND({total_cell}-{stated_cell},2)=0,\"{AGREES}\",\"{DIFFERS}\")"))
                    .set_result(if agrees { AGREES } else { DIFFERS }),
            )?;
        }
    }
    if totals.stated.iter().any(|cell| *cell != Cell::Empty) {
        ws.write_string_with_format(row + 1, 0, STATED_LABEL, &Format::new().set_italic())?;
        ws.write_string_with_format(row + 2, 0, CHECK_LABEL, &Format::new().set_bold())?;
    }
    Ok(())
}

/// Text as a cell can hold it: whole up to [`MAX_CELL_CHARS`], else cut to end with
/// `… [cut: 40,000 characters]`, so one long description cannot make a workbook fail.
fn fit(text: &str) -> Cow<'_, str> {
    let units = text.encode_utf16().count();
    if units <= MAX_CELL_CHARS {
        return Cow::Borrowed(text);
    }
    let note = format!("… [cut: {} characters]", group_thousands(text.chars().count() as u64));
    let room = MAX_CELL_CHARS - note.encode_utf16().count();
    let mut kept = 0;
    let end = text
        .char_indices()
        .find(|(_, c)| {
            kept += c.len_utf16();
            kept > room
        })
        .map_or(text.len(), |(i, _)| i);
    Cow::Owned(format!("{}{note}", &text[..end]))
}

/// A width that shows the header and the widest cell as formatted, within 8 to 60.
fn fitted_width(sheet: &Sheet, c: usize) -> f64 {
    let header = sheet.columns[c].header.chars().count();
    let widest = sheet
        .rows
        .iter()
        .filter_map(|r| r.get(c))
        .map(|cell| match cell {
            Cell::Empty => 0,
            Cell::Text(t) => t.chars().count(),
            Cell::Money(m) => m.to_report_string().len(),
            Cell::Percent(p) => pooled_core::percent::format_units(p.units(), p.decimals()).len() + 1,
            Cell::Integer(i) => i.to_string().len() + i.to_string().len() / 3,
            Cell::Date(_) => DATE_FORMAT.len(),
            Cell::Decimal(d) => d.grouped().len(),
        })
        .max()
        .unwrap_or(0);
    // Two characters of padding, and room for the autofilter's drop-down button.
    (header.max(widest) + 3).clamp(8, 60) as f64
}
