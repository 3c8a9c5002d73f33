use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with a file, naming the file and, where there is one, the row (1-based, as a
/// spreadsheet or an editor numbers it) and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub row: Option<u64>,
    pub column: Option<usize>,
    pub message: String,
}

impl FileError {
    pub(crate) fn new(path: &Path, message: impl Into<String>) -> FileError {
        FileError { path: path.to_path_buf(), row: None, column: None, message: message.into() }
    }

    pub(crate) fn at_row(path: &Path, row: u64, message: impl Into<String>) -> FileError {
        FileError { row: Some(row), ..FileError::new(path, message) }
    }

    pub(crate) fn at_cell(path: &Path, row: u64, column: usize, message: impl Into<String>) -> FileError {
        FileError { row: Some(row), column: Some(column), ..FileError::new(path, message) }
    }
}

/// `file:row:column: message`, the form editors and the core's `RowError::render` use.
impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(row) = self.row {
            write!(f, ":{row}")?;
        }
        if let Some(column) = self.column {
            write!(f, ":{column}")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for FileError {}
