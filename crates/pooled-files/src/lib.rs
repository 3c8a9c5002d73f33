//! Spreadsheet files for pooled: the one crate that reads and writes CSV and XLSX.
//!
//! - [`TableReader`] streams the records of a `.csv` or `.xlsx` file, header first, so a
//!   ledger extract of any size is read in bounded memory (a row holds at most
//!   [`MAX_ROW_BYTES`]; a workbook is refused past the limits of `workbook_limits.rs`
//!   before calamine opens it); cells come out as the text the core's parsers take (ISO
//!   dates, plain decimal numbers).
//! - [`write_csv`] and [`write_xlsx`] write tables of typed [`Cell`]s and formatted report
//!   workbooks ([`Workbook`]), safe to open in a spreadsheet (no text read as a formula,
//!   no text too long for a cell); [`read_xlsx_cells`] and [`read_xlsx_formulas`] open
//!   what was written.
//! - [`gen_ledger`] and [`gen_plan`] make deterministic synthetic extracts and cost-centre
//!   plans for benchmarks and demonstrations.
//!
//! No SQL and no HTTP here; no money arithmetic either, beyond writing pence as pounds at
//! the XLSX boundary.

mod error;
mod generate;
mod read;
mod text;
mod workbook_limits;
mod write;

pub use error::FileError;
pub use generate::{GenOptions, Negatives, PlanRow, Postings, Span, gen_ledger, gen_plan, write_plan_csv};
pub use read::{
    MAX_ROW_BYTES, ReadOptions, Record, TableReader, file_sha256, read_xlsx_cells, read_xlsx_formulas,
    read_xlsx_sheet_names,
};
pub use text::format_number;
pub use workbook_limits::{
    MAX_CELL_BYTES, MAX_CELL_FORMATS, MAX_CELLS, MAX_SHARED_STRINGS, MAX_SHEET_BYTES, MAX_WHOLE_PARTS_BYTES,
};
pub use write::{
    AGREES, CHECK_LABEL, Cell, Column, ColumnKind, DIFFERS, STATED_LABEL, Sheet, TotalsRow, Workbook, write_csv,
    write_csv_file, write_xlsx, write_xlsx_file,
};
