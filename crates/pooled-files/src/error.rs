use std::fmt;
use std::path::{Path, PathBuf};

use pooled_core::diagnostic::shorten;
use pooled_core::ledger::RowError;

/// A problem with a file, naming the file and, where there is one, the row (1-based, as a
/// spreadsheet or an editor numbers it) and column. The message is cut to a readable
/// length whatever it quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub row: Option<u64>,
    pub column: Option<usize>,
    pub message: String,
}

impl FileError {
    pub(crate) fn new(path: &Path, message: impl Into<String>) -> FileError {
        FileError { path: path.to_path_buf(), row: None, column: None, message: shorten(message.into()) }
    }

    pub(crate) fn at_row(path: &Path, row: u64, message: impl Into<String>) -> FileError {
        FileError { row: Some(row), ..FileError::new(path, message) }
    }

    pub(crate) fn at_cell(path: &Path, row: u64, column: usize, message: impl Into<String>) -> FileError {
        FileError { row: Some(row), column: Some(column), ..FileError::new(path, message) }
    }
}

impl FileError {
    /// A problem with one cell of a row (a field missing or extra, text that is not UTF-8,
    /// a row too long) as a bad row like those the importers find, under the `header`'s
    /// name for its column; `None` for a problem with the whole file (one that names no
    /// cell, such as a read that failed).
    pub fn row_error(&self, header: &[String]) -> Option<RowError> {
        let (row, column) = (self.row?, self.column?);
        let name = column.checked_sub(1).and_then(|c| header.get(c)).map_or("", String::as_str);
        Some(RowError::new(row, column, name, self.message.as_str()))
    }
}

/// `file:row:column: error: message`, the form editors and the core's `RowError::render`
/// use.
impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(row) = self.row {
            write!(f, ":{row}")?;
        }
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": error: {}", self.message)
    }
}

impl std::error::Error for FileError {}
