//! Reading tables: CSV streamed with `csv`, XLSX streamed cell by cell with `calamine`.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread;

use calamine::{DataRef, ExcelDateTime, Reader, Xlsx, XlsxCellReader};
use pooled_core::calendar::Date;
use pooled_core::diagnostic::{group_thousands, quote};
use pooled_core::ledger::DateFormat;
use sha2::{Digest, Sha256};

use crate::FileError;
use crate::text::{format_number, push_date};
use crate::workbook_limits::check_workbook;

/// One record of a table: its row in the file and its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// The 1-based row as the file numbers it: the line a CSV record starts on, the sheet
    /// row of an XLSX record. The header is row 1 unless blank rows come before it.
    pub row: u64,
    /// One field per header column (CSV: exactly; XLSX: at least, as cells to the right
    /// of the header's last column are kept).
    pub fields: Vec<String>,
}

/// How to open a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// The XLSX sheet to read; the first sheet when `None`. Ignored for CSV.
    pub sheet: Option<String>,
    /// How XLSX date cells are written out (CSV fields are text already). ISO by default;
    /// an importer can pass its mapping's form so date cells and dates typed as text in the
    /// same column read alike.
    pub dates: DateFormat,
    /// Also take the SHA-256 of a CSV file's bytes as they are read, for
    /// [`TableReader::sha256`]: no second pass over the file. (An XLSX file is read out of
    /// order: take its hash with [`file_sha256`].)
    pub sha256: bool,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions { sheet: None, dates: DateFormat::Iso, sha256: false }
    }
}

/// SHA-256 of a file's bytes, hex, in one pass of its own.
pub fn file_sha256(path: &Path) -> Result<String, FileError> {
    let cannot = |e: io::Error| FileError::new(path, format!("cannot read: {e}"));
    let mut file = File::open(path).map_err(cannot)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(cannot)?;
        if n == 0 {
            return Ok(hex(hasher));
        }
        hasher.update(&buffer[..n]);
    }
}

fn hex(hasher: Sha256) -> String {
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A table file opened for streaming: the header, then records one at a time.
///
/// - `.csv`: UTF-8 (a byte-order mark is skipped), quoted fields may hold commas, quotes
///   and newlines, CRLF or LF; blank rows (empty lines, or only commas and spaces as Excel
///   writes them) are skipped. A record with a different number of fields from the header
///   is an error for that row (extra empty fields at the end are allowed), and reading goes
///   on with the next row, so a caller can list every bad row.
/// - `.xlsx` (and `.xlsm`): the first sheet or the one named; the sheet is streamed cell by
///   cell on a reader thread and handed over in batches, so memory is bounded by a few
///   batches plus the workbook's shared-string table, which `calamine` loads whole. Cells
///   become text as [`format_number`] and [`ReadOptions::dates`] say.
///
/// The first non-blank row is the header; trailing empty header cells are dropped.
pub struct TableReader {
    path: PathBuf,
    header: Vec<String>,
    total_bytes: u64,
    source: Source,
}

enum Source {
    Csv(CsvSource),
    Xlsx(XlsxSource),
}

struct CsvSource {
    reader: csv::Reader<RowLimit<File>>,
    /// Reused for every record so reading allocates nothing per row.
    record: csv::ByteRecord,
    /// Bytes of byte-order mark skipped before the reader saw the file.
    skipped: u64,
    size: u64,
    /// The file's last line has no newline, so its record has no terminator.
    unterminated: bool,
    /// After an I/O error nothing more can be read.
    done: bool,
}

struct XlsxSource {
    batches: Receiver<Message>,
    batch: std::vec::IntoIter<Record>,
    bytes_read: Arc<AtomicU64>,
}

/// From the XLSX reader thread: the header first, then batches, or a failure.
enum Message {
    Header(Vec<String>),
    Records(Vec<Record>),
    Failed(FileError),
}

/// Records per message from the XLSX thread: large enough that the channel costs little,
/// small enough that a few in flight are a few hundred kilobytes. A batch of long rows is
/// sent once it holds [`BATCH_BYTES`] of text.
const BATCH: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;
/// Batches the XLSX thread may run ahead of the caller.
const BATCHES_AHEAD: usize = 4;
/// Excel's last column is XFD, the 16,384th; a cell reference beyond it is corrupt.
const MAX_COLUMNS: u32 = 16_384;
/// The most text one row may hold, in bytes: a ledger row is a few hundred, a row of
/// Excel's longest cells a few hundred thousand; past a megabyte a row is a file without
/// line ends or with a quote left open, refused rather than read into memory whole.
pub const MAX_ROW_BYTES: u64 = 1 << 20;
/// What csv reads ahead of the record it is parsing.
const CSV_BUFFER: usize = 8 * 1024;

impl TableReader {
    /// Opens a `.csv` or `.xlsx` file (by extension, any case), reading up to and including
    /// its header.
    pub fn open(path: impl AsRef<Path>) -> Result<TableReader, FileError> {
        TableReader::open_with(path, &ReadOptions::default())
    }

    pub fn open_with(path: impl AsRef<Path>, options: &ReadOptions) -> Result<TableReader, FileError> {
        let path = path.as_ref();
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        let xlsx = match extension.as_str() {
            "csv" => false,
            "xlsx" | "xlsm" => true,
            other => {
                let what = if other.is_empty() { "no extension".to_string() } else { format!("`.{other}`") };
                return Err(FileError::new(
                    path,
                    format!(
                        "cannot read a file with {what}: expected .csv or .xlsx (save other formats as one of those)"
                    ),
                ));
            }
        };
        let file = File::open(path).map_err(|e| FileError::new(path, format!("cannot open: {e}")))?;
        let total_bytes = file.metadata().map_err(|e| FileError::new(path, format!("cannot read: {e}")))?.len();
        let (header, source) =
            if xlsx { open_xlsx(path, file, options)? } else { open_csv(path, file, total_bytes, options.sha256)? };
        Ok(TableReader { path: path.to_path_buf(), header, total_bytes, source })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The column names, trimmed.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// How far through the file reading is, for a progress bar against
    /// [`TableReader::total_bytes`]. Exact for CSV; for XLSX the compressed bytes read so
    /// far, which approaches the total but need not reach it.
    pub fn bytes_read(&self) -> u64 {
        let read = match &self.source {
            Source::Csv(csv) => csv.reader.position().byte() + csv.skipped,
            Source::Xlsx(xlsx) => xlsx.bytes_read.load(Ordering::Relaxed),
        };
        read.min(self.total_bytes)
    }

    /// The file's size in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.total_bytes
    }

    /// Whether [`TableReader::sha256`] will give the file's hash once it is read: a CSV
    /// file opened with [`ReadOptions::sha256`].
    pub fn takes_sha256(&self) -> bool {
        matches!(&self.source, Source::Csv(csv) if csv.reader.get_ref().hasher.is_some())
    }

    /// The SHA-256 of the file's bytes, hex, once a CSV file opened with
    /// [`ReadOptions::sha256`] has been read to its end; `None` before that, for an XLSX
    /// file, or if the file's size changed while it was read (it is then not the file
    /// that was read).
    pub fn sha256(&self) -> Option<String> {
        let Source::Csv(csv) = &self.source else { return None };
        let limit = csv.reader.get_ref();
        let (hasher, hashed) = limit.hasher.as_deref()?;
        (csv.done && *hashed == csv.size).then(|| hex(hasher.clone()))
    }

    /// Reads the next record into `record`, reusing its strings: the allocation-free way to
    /// read a large file. `Ok(false)` at the end. After an error for one row (a wrong field
    /// count, text that is not UTF-8) the next call reads the row after it.
    pub fn read_into(&mut self, record: &mut Record) -> Result<bool, FileError> {
        match &mut self.source {
            Source::Csv(csv) => csv.read_into(&self.path, Some(self.header.len()), record),
            Source::Xlsx(xlsx) => xlsx.read_into(record),
        }
    }
}

impl Iterator for TableReader {
    type Item = Result<Record, FileError>;

    fn next(&mut self) -> Option<Result<Record, FileError>> {
        let mut record = Record::default();
        match self.read_into(&mut record) {
            Ok(true) => Some(Ok(record)),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn open_csv(path: &Path, mut file: File, size: u64, sha256: bool) -> Result<(Vec<String>, Source), FileError> {
    let io_error = |e: io::Error| FileError::new(path, format!("cannot read: {e}"));
    let mut last = [0u8];
    if size > 0 {
        file.seek(SeekFrom::End(-1)).map_err(io_error)?;
        file.read_exact(&mut last).map_err(io_error)?;
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
    }
    // The csv crate does not skip a byte-order mark, and Excel's "CSV UTF-8" writes one.
    let mut start = Vec::with_capacity(BOM.len());
    (&mut file).take(BOM.len() as u64).read_to_end(&mut start).map_err(io_error)?;
    let skipped = if start == BOM {
        BOM.len() as u64
    } else {
        file.seek(SeekFrom::Start(0)).map_err(io_error)?;
        0
    };
    // The hash starts with the byte-order mark, which csv never sees.
    let hasher = sha256.then(|| {
        let mut hasher = Sha256::new();
        hasher.update(&start[..skipped as usize]);
        Box::new((hasher, skipped))
    });
    // Flexible, because a wrong field count is reported here per row, with the counts.
    // Records end at `\n` only: with csv's default, a CRLF's `\n` is left to start the
    // next record and every row number after the header comes out one short. The `\r`
    // this leaves on a record's last field is taken off in `read_into`.
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .terminator(csv::Terminator::Any(b'\n'))
        .buffer_capacity(CSV_BUFFER)
        .from_reader(RowLimit { inner: file, delivered: 0, row_start: 0, hasher });
    let mut csv = CsvSource {
        reader,
        record: csv::ByteRecord::new(),
        skipped,
        size,
        unterminated: size > 0 && last[0] != b'\n',
        done: false,
    };
    let mut header = Record::default();
    if !csv.read_into(path, None, &mut header)? {
        return Err(FileError::new(path, "the file is empty: expected a header row"));
    }
    Ok((trim_header(header.fields), Source::Csv(csv)))
}

fn trim_header(mut names: Vec<String>) -> Vec<String> {
    while names.last().is_some_and(|n| n.trim().is_empty()) {
        names.pop();
    }
    names.iter().map(|n| n.trim().to_string()).collect()
}

impl CsvSource {
    /// `width` is the header's column count; `None` while reading the header itself.
    fn read_into(&mut self, path: &Path, width: Option<usize>, record: &mut Record) -> Result<bool, FileError> {
        loop {
            if self.done {
                return Ok(false);
            }
            match self.reader.read_byte_record(&mut self.record) {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return Ok(false);
                }
                Err(e) => return Err(self.csv_error(path, e)),
            }
            self.reader.get_mut().row_start = self.reader.position().byte();
            let raw = &self.record;
            let row = self.row_of_last_record();
            let last = raw.len().saturating_sub(1);
            let field = |i: usize| {
                let f = &raw[i];
                if i == last { f.strip_suffix(b"\r").unwrap_or(f) } else { f }
            };
            let fields = raw.len();
            if (0..fields).all(|i| field(i).iter().all(u8::is_ascii_whitespace)) {
                continue;
            }
            let width = width.unwrap_or(fields);
            // At the first field missing, or the first extra one that is not empty.
            let wrong = if fields < width { Some(fields) } else { (width..fields).find(|i| !field(*i).is_empty()) };
            if let Some(column) = wrong {
                let hint = if fields < width { "a missing field or an unclosed quote?" } else { "an unquoted comma?" };
                return Err(FileError::at_cell(
                    path,
                    row,
                    column + 1,
                    format!("this row has {fields} fields but the header has {width} ({hint})"),
                ));
            }
            record.row = row;
            record.fields.resize_with(width, String::new);
            for (column, out) in record.fields.iter_mut().enumerate() {
                let text = std::str::from_utf8(field(column)).map_err(|_| {
                    FileError::at_cell(path, row, column + 1, "not UTF-8 text: save the file as \"CSV UTF-8\"")
                })?;
                out.clear();
                out.push_str(text);
            }
            return Ok(true);
        }
    }

    /// The line the record just read starts on. csv gives each record the position where
    /// reading it began, which is before any blank lines it skipped; so count back from
    /// where it ended instead: the newlines inside its fields, and its terminator.
    fn row_of_last_record(&self) -> u64 {
        let end = self.reader.position();
        let inside: u64 = self.record.iter().map(|f| f.iter().filter(|b| **b == b'\n').count() as u64).sum();
        let terminated = !(self.unterminated && end.byte() + self.skipped == self.size);
        end.line().saturating_sub(inside + u64::from(terminated))
    }

    fn csv_error(&mut self, path: &Path, e: csv::Error) -> FileError {
        // Byte records and flexible widths leave I/O as the only failure csv reports.
        self.done = e.is_io_error();
        if let csv::ErrorKind::Io(io) = e.kind()
            && io.get_ref().is_some_and(|inner| inner.is::<RowTooLong>())
        {
            // The record csv was reading starts where the last one ended.
            let row = self.record.position().map_or(1, csv::Position::line);
            return FileError::at_cell(
                path,
                row,
                1,
                format!(
                    "this row is longer than {} bytes, the most a row may hold (no line ends, or a quote left open?)",
                    group_thousands(MAX_ROW_BYTES)
                ),
            );
        }
        let message = format!("cannot read: {e}");
        match e.position() {
            Some(p) => FileError::at_row(path, p.line(), message),
            None => FileError::new(path, message),
        }
    }
}

/// The CSV file as csv reads it, handing over at most [`MAX_ROW_BYTES`] (and csv's
/// read-ahead) past the start of the row being read: csv holds a whole record in memory,
/// so a 100 MB line costs a megabyte before it is refused, not 100 MB.
struct RowLimit<R> {
    inner: R,
    /// Bytes handed to csv so far.
    delivered: u64,
    /// Where the row being read starts, as csv counts bytes: set after each record.
    row_start: u64,
    /// The SHA-256 of every byte read from the file so far, and how many, if asked for.
    hasher: Option<Box<(Sha256, u64)>>,
}

#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a row longer than {MAX_ROW_BYTES} bytes")
    }
}

impl std::error::Error for RowTooLong {}

impl<R: Read> Read for RowLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let allowed = (self.row_start + MAX_ROW_BYTES + CSV_BUFFER as u64).saturating_sub(self.delivered);
        if allowed == 0 && !buf.is_empty() {
            return Err(io::Error::other(RowTooLong));
        }
        let n = buf.len().min(usize::try_from(allowed).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..n])?;
        self.delivered += read as u64;
        if let Some(hashing) = &mut self.hasher {
            hashing.0.update(&buf[..read]);
            hashing.1 += read as u64;
        }
        Ok(read)
    }
}

impl XlsxSource {
    fn read_into(&mut self, record: &mut Record) -> Result<bool, FileError> {
        loop {
            if let Some(next) = self.batch.next() {
                *record = next;
                return Ok(true);
            }
            // A closed channel is the end: the thread has sent everything it had.
            match self.batches.recv() {
                Ok(Message::Records(batch)) => self.batch = batch.into_iter(),
                Ok(Message::Failed(e)) => return Err(e),
                Ok(Message::Header(_)) | Err(_) => return Ok(false),
            }
        }
    }
}

fn open_xlsx(path: &Path, file: File, options: &ReadOptions) -> Result<(Vec<String>, Source), FileError> {
    let (sender, batches) = sync_channel(BATCHES_AHEAD);
    let bytes_read = Arc::new(AtomicU64::new(0));
    let counting = CountingReader { file, bytes_read: Arc::clone(&bytes_read) };
    let (thread_path, options) = (path.to_path_buf(), options.clone());
    // calamine's streaming cell reader borrows the workbook, so reader and workbook live
    // on a thread of their own and records cross over a bounded channel.
    thread::Builder::new()
        .name("pooled-xlsx-reader".into())
        .spawn(move || {
            if let Err(e) = stream_xlsx(&thread_path, counting, &options, &sender) {
                // The receiver may be gone already; then nobody needs the error.
                let _ = sender.send(Message::Failed(e));
            }
        })
        .map_err(|e| FileError::new(path, format!("cannot start the reader thread: {e}")))?;
    let header = match batches.recv() {
        Ok(Message::Header(header)) => header,
        Ok(Message::Failed(e)) => return Err(e),
        Ok(Message::Records(_)) | Err(_) => {
            return Err(FileError::new(path, "the XLSX reader stopped before the header"));
        }
    };
    Ok((header, Source::Xlsx(XlsxSource { batches, batch: Vec::new().into_iter(), bytes_read })))
}

/// Counts the bytes the zip reader takes from the file, for progress.
struct CountingReader {
    file: File,
    bytes_read: Arc<AtomicU64>,
}

impl Read for CountingReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        self.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Seek for CountingReader {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

type Workbook<R> = Xlsx<BufReader<R>>;

/// Opens a workbook for calamine, once [`check_workbook`] has found its parts within the
/// limits: every way in to an XLSX file goes through here.
fn open_workbook<R: Read + Seek>(path: &Path, reader: R) -> Result<Workbook<R>, FileError> {
    check_workbook(path)?;
    Xlsx::new(BufReader::new(reader)).map_err(|e| FileError::new(path, format!("not a readable .xlsx workbook: {e}")))
}

fn choose_sheet<R: Read + Seek>(path: &Path, book: &Workbook<R>, wanted: Option<&str>) -> Result<String, FileError> {
    let names = book.sheet_names();
    match wanted {
        Some(name) => names.iter().find(|n| *n == name).cloned().ok_or_else(|| {
            let known: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            FileError::new(path, format!("no sheet `{name}` (sheets are {})", known.join(", ")))
        }),
        None => names.first().cloned().ok_or_else(|| FileError::new(path, "the workbook has no sheets")),
    }
}

/// The reader thread: sends the header, then batches of records, until the sheet ends or
/// the receiving [`TableReader`] is dropped.
fn stream_xlsx(
    path: &Path,
    reader: CountingReader,
    options: &ReadOptions,
    sender: &SyncSender<Message>,
) -> Result<(), FileError> {
    let mut book = open_workbook(path, reader)?;
    let sheet = choose_sheet(path, &book, options.sheet.as_deref())?;
    let mut rows = SheetRows::open(path, &mut book, &sheet, options.dates)?;
    let header = loop {
        match rows.next_row()? {
            Some((_, fields)) if !is_blank(&fields) => break trim_header(fields),
            Some(_) => {}
            None => return Err(FileError::new(path, format!("sheet `{sheet}` is empty: expected a header row"))),
        }
    };
    let width = header.len();
    if sender.send(Message::Header(header)).is_err() {
        return Ok(());
    }
    let mut batch = Vec::with_capacity(BATCH);
    let mut batch_bytes = 0;
    while let Some((row, mut fields)) = rows.next_row()? {
        if is_blank(&fields) {
            continue;
        }
        if fields.len() < width {
            fields.resize_with(width, String::new);
        }
        batch_bytes += fields.iter().map(String::len).sum::<usize>();
        batch.push(Record { row, fields });
        if batch.len() == BATCH || batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if sender.send(Message::Records(full)).is_err() {
                return Ok(());
            }
        }
    }
    if !batch.is_empty() {
        // The receiver may have been dropped; then the records are not wanted.
        let _ = sender.send(Message::Records(batch));
    }
    Ok(())
}

fn is_blank(fields: &[String]) -> bool {
    fields.iter().all(|f| f.trim().is_empty())
}

/// A sheet's cells regrouped into rows.
struct SheetRows<'a, R: Read + Seek> {
    path: &'a Path,
    sheet: String,
    cells: XlsxCellReader<'a, BufReader<R>>,
    dates: DateFormat,
    /// The first cell of the next row, read while finishing the previous one.
    pending: Option<(u32, u32, String)>,
    last_row: u64,
    /// The sheet's data has ended; calamine must not be asked again (it would read on
    /// past the end of the sheet and fail).
    finished: bool,
}

impl<'a, R: Read + Seek> SheetRows<'a, R> {
    fn open(
        path: &'a Path,
        book: &'a mut Workbook<R>,
        sheet: &str,
        dates: DateFormat,
    ) -> Result<SheetRows<'a, R>, FileError> {
        let cells = book
            .worksheet_cells_reader(sheet)
            .map_err(|e| FileError::new(path, format!("cannot read sheet `{sheet}`: {e}")))?;
        Ok(SheetRows { path, sheet: sheet.to_string(), cells, dates, pending: None, last_row: 0, finished: false })
    }

    /// The next non-empty cell as (row, column, text), 0-based.
    fn next_cell(&mut self) -> Result<Option<(u32, u32, String)>, FileError> {
        while !self.finished {
            let cell = self.cells.next_cell().map_err(|e| {
                FileError::new(
                    self.path,
                    format!("sheet `{}` is unreadable after row {}: {e}", self.sheet, self.last_row),
                )
            })?;
            let Some(cell) = cell else {
                self.finished = true;
                break;
            };
            let (row, column) = cell.get_position();
            if column >= MAX_COLUMNS {
                return Err(FileError::at_row(
                    self.path,
                    u64::from(row) + 1,
                    format!("sheet `{}` has a cell beyond Excel's last column", self.sheet),
                ));
            }
            let text = cell_text(cell.get_value(), self.dates);
            if !text.is_empty() {
                return Ok(Some((row, column, text)));
            }
        }
        Ok(None)
    }

    /// The next row with any cell in it, as its 1-based row number and its fields up to its
    /// last cell.
    fn next_row(&mut self) -> Result<Option<(u64, Vec<String>)>, FileError> {
        let first = match self.pending.take() {
            Some(cell) => cell,
            None => match self.next_cell()? {
                Some(cell) => cell,
                None => return Ok(None),
            },
        };
        let row = first.0;
        let mut fields = Vec::new();
        let mut bytes = 0u64;
        let mut cell = Some(first);
        while let Some((r, column, text)) = cell {
            if r != row {
                self.pending = Some((r, column, text));
                break;
            }
            bytes += text.len() as u64;
            if bytes > MAX_ROW_BYTES {
                return Err(FileError::at_cell(
                    self.path,
                    u64::from(row) + 1,
                    column as usize + 1,
                    format!(
                        "sheet {} has a row of more than {} bytes of text, the most a row may hold",
                        quote(&self.sheet),
                        group_thousands(MAX_ROW_BYTES)
                    ),
                ));
            }
            let column = column as usize;
            if fields.len() <= column {
                fields.resize_with(column + 1, String::new);
            }
            fields[column] = text;
            cell = self.next_cell()?;
        }
        self.last_row = u64::from(row) + 1;
        Ok(Some((self.last_row, fields)))
    }
}

/// A cell as text: numbers by [`format_number`], dates in `dates`, booleans `TRUE`/`FALSE`,
/// errors as Excel shows them (`#DIV/0!`), so a bad cell is reported by whoever parses it.
fn cell_text(value: &DataRef<'_>, dates: DateFormat) -> String {
    match value {
        DataRef::Empty => String::new(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => format_number(*f),
        DataRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        DataRef::DateTime(dt) if dt.is_datetime() => datetime_text(dt, dates),
        // A duration (`[h]:mm`) is a number of days, not a date.
        DataRef::DateTime(dt) => format_number(dt.as_f64()),
        DataRef::DateTimeIso(s) => iso_datetime_text(s, dates),
        DataRef::String(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => e.to_string(),
    }
}

fn datetime_text(dt: &ExcelDateTime, dates: DateFormat) -> String {
    let (year, month, day, hour, minute, second, milli) = dt.to_ymd_hms_milli();
    let mut out = String::new();
    let midnight = (hour, minute, second, milli) == (0, 0, 0, 0);
    if dt.as_f64() >= 1.0 || midnight {
        push_date(&mut out, year.into(), month.into(), day.into(), dates);
    }
    if !midnight {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&format!("{hour:02}:{minute:02}:{second:02}"));
    }
    out
}

/// Cells of type `d` hold ISO text: `2016-05-31T00:00:00` is a date, shown in `dates`;
/// anything with a time of day is kept as written.
fn iso_datetime_text(text: &str, dates: DateFormat) -> String {
    let date = text.get(..10).and_then(|d| Date::parse_iso(d).ok());
    let rest = text.get(10..).unwrap_or("");
    match date {
        // `T00:00:00`, `T00:00:00.000Z` and the like: midnight, so a plain date.
        Some(d) if rest.trim_start_matches('T').trim_end_matches('Z').trim_matches(['0', ':', '.']).is_empty() => {
            let mut out = String::new();
            push_date(&mut out, d.year().unsigned_abs(), d.month(), d.day(), dates);
            out
        }
        _ => text.to_string(),
    }
}

/// Every cell of a sheet as text (the rules of [`TableReader`], ISO dates), as a grid
/// from A1: `cells[0][0]` is A1, rows padded to the widest. Loads the sheet whole: for
/// tests and small files, to open what [`crate::write_xlsx`] wrote.
pub fn read_xlsx_cells(path: impl AsRef<Path>, sheet: &str) -> Result<Vec<Vec<String>>, FileError> {
    let path = path.as_ref();
    let mut book = open_workbook(path, open_file(path)?)?;
    let sheet = choose_sheet(path, &book, Some(sheet))?;
    let mut rows = SheetRows::open(path, &mut book, &sheet, DateFormat::Iso)?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    while let Some((row, fields)) = rows.next_row()? {
        let row = usize::try_from(row - 1).unwrap_or(usize::MAX);
        if grid.len() <= row {
            grid.resize_with(row + 1, Vec::new);
        }
        grid[row] = fields;
    }
    Ok(rectangular(grid))
}

/// The formulas of a sheet as a grid from A1 (empty where a cell has none), as stored:
/// without the leading `=`.
pub fn read_xlsx_formulas(path: impl AsRef<Path>, sheet: &str) -> Result<Vec<Vec<String>>, FileError> {
    let path = path.as_ref();
    let mut book = open_workbook(path, open_file(path)?)?;
    let sheet = choose_sheet(path, &book, Some(sheet))?;
    let range = book
        .worksheet_formula(&sheet)
        .map_err(|e| FileError::new(path, format!("cannot read the formulas of sheet `{sheet}`: {e}")))?;
    let mut grid: Vec<Vec<String>> = Vec::new();
    for (row, column, formula) in range.used_cells() {
        let (start_row, start_column) = range.start().unwrap_or((0, 0));
        let (r, c) = (row + start_row as usize, column + start_column as usize);
        if grid.len() <= r {
            grid.resize_with(r + 1, Vec::new);
        }
        if grid[r].len() <= c {
            grid[r].resize_with(c + 1, String::new);
        }
        grid[r][c] = formula.clone();
    }
    Ok(rectangular(grid))
}

/// The names of a workbook's sheets, in order.
pub fn read_xlsx_sheet_names(path: impl AsRef<Path>) -> Result<Vec<String>, FileError> {
    let path = path.as_ref();
    Ok(open_workbook(path, open_file(path)?)?.sheet_names())
}

fn open_file(path: &Path) -> Result<File, FileError> {
    File::open(path).map_err(|e| FileError::new(path, format!("cannot open: {e}")))
}

fn rectangular(mut grid: Vec<Vec<String>>) -> Vec<Vec<String>> {
    let width = grid.iter().map(Vec::len).max().unwrap_or(0);
    for row in &mut grid {
        row.resize_with(width, String::new);
    }
    grid
}
