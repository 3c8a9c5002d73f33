//! Every table a page shows is built once as a [`Table`] and then rendered as HTML or
//! exported as CSV or XLSX from the same cells, so that a download holds exactly what
//! the page showed.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use pooled_core::metrics::Status;
use pooled_files::{Cell, Column, ColumnKind, Sheet, Workbook};
use pooled_store::AuditHead;

use crate::error::WebError;
use crate::layout::{encode, pounds};

/// How a row looks: totals and headings stand out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RowStyle {
    Plain,
    Total,
    /// The pool row at the top of a monthly report.
    Pool,
    Segment,
}

pub struct Row {
    pub cells: Vec<Cell>,
    /// A link for the first cell (a pool or cost centre's own page).
    pub href: Option<String>,
    pub style: RowStyle,
    /// Steps of indentation of the first cell (0 to 3): line and cost centre rows of a
    /// report sit under their segment.
    pub indent: u8,
    /// The row's `id` in the page, for links and scripts to find it by.
    pub id: Option<String>,
    /// A cell (by column) holding a metric's status, shown as a coloured tag whose `id`
    /// is the row's with `-status` after it.
    pub status: Option<(usize, Status)>,
}

impl Row {
    pub fn new(cells: Vec<Cell>) -> Row {
        Row { cells, href: None, style: RowStyle::Plain, indent: 0, id: None, status: None }
    }

    /// The row named `id`, its cell in `column` the status `status`.
    pub fn with_status(mut self, id: String, column: usize, status: Status) -> Row {
        self.id = Some(id);
        self.status = Some((column, status));
        self
    }

    pub fn styled(mut self, style: RowStyle) -> Row {
        self.style = style;
        self
    }
}

pub struct Table {
    /// Names the table in download links (`?table=`): unique on its page.
    pub id: String,
    pub caption: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

pub fn column(header: impl Into<String>, kind: ColumnKind) -> Column {
    Column { header: header.into(), kind, width: None }
}

pub fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() { Cell::Empty } else { Cell::Text(s) }
}

fn cell_html(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => s.clone(),
        Cell::Money(m) => pounds(*m),
        Cell::Percent(p) => format!("{p}%"),
        Cell::Integer(n) => group_digits(*n),
        Cell::Date(d) => d.to_string(),
        Cell::Decimal(d) => d.grouped(),
    }
}

fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn numeric(kind: ColumnKind) -> bool {
    matches!(kind, ColumnKind::Money | ColumnKind::Percent | ColumnKind::Integer | ColumnKind::Decimal)
}

impl Table {
    /// The table, then links to download it. `here` is the page's address with its query
    /// (as [`with_query`] builds it), to which the download links add theirs.
    pub fn render(&self, here: &Here) -> Markup {
        // The caption is a heading above the scrolling box, not a <caption> inside it,
        // so that it stays in view and wraps on a narrow screen while the table scrolls.
        html! {
            h2 class="govuk-heading-m app-table-caption" id={ "table-" (self.id) "-caption" } { (self.caption) }
            div class="app-table-wrapper" {
                table class="govuk-table app-table" id={ "table-" (self.id) } aria-labelledby={ "table-" (self.id) "-caption" } {
                    thead class="govuk-table__head" {
                        tr class="govuk-table__row" {
                            @for c in &self.columns {
                                th scope="col" class={ "govuk-table__header" @if numeric(c.kind) { " govuk-table__header--numeric" } } { (c.header) }
                            }
                        }
                    }
                    tbody class="govuk-table__body" {
                        @for row in &self.rows {
                            @let row_class = match row.style {
                                RowStyle::Plain => "",
                                RowStyle::Total => " app-row--total",
                                RowStyle::Pool => " app-row--pool",
                                RowStyle::Segment => " app-row--segment",
                            };
                            tr class={ "govuk-table__row" (row_class) } id=[row.id.as_deref()] {
                                @for (i, (cell, c)) in row.cells.iter().zip(&self.columns).enumerate() {
                                    @if let Some((_, status)) = row.status.filter(|(column, _)| *column == i) {
                                        td class="govuk-table__cell" {
                                            strong class={ "govuk-tag app-status " (status_class(status)) }
                                                id=[row.id.as_ref().map(|id| format!("{id}-status"))] { (status.words()) }
                                        }
                                    } @else if i == 0 {
                                        th scope="row" class={ "govuk-table__header" @if row.indent > 0 { " app-indent-" (row.indent.min(3)) } @if numeric(c.kind) { " govuk-table__header--numeric" } } {
                                            @match &row.href {
                                                Some(href) => a class="govuk-link" href=(href) { (cell_html(cell)) },
                                                None => (cell_html(cell)),
                                            }
                                        }
                                    } @else {
                                        td class={ "govuk-table__cell" @if numeric(c.kind) { " govuk-table__cell--numeric" } } { (cell_html(cell)) }
                                    }
                                }
                            }
                        }
                    }
                }
                (downloads(here, &self.id, &self.caption))
            }
        }
    }

    /// The table as downloaded with published figures: a last row whose first cell gives
    /// the audit log's head as of them (`Audit log head: SEQ:HASH`).
    pub fn with_audit_head(mut self, head: &AuditHead) -> Table {
        self.rows.push(Row::new(pooled_app::head_row(head, self.columns.len())));
        self
    }

    fn header(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.header.clone()).collect()
    }

    pub fn csv(&self, file_stem: &str) -> Response {
        csv_response(file_stem, &self.header(), self.rows.iter().map(|r| &r.cells))
    }

    pub fn xlsx(&self, file_stem: &str) -> Result<Response, WebError> {
        let sheet = Sheet {
            name: sheet_name(&self.id),
            title: Some(self.caption.clone()),
            columns: self.columns.clone(),
            rows: self.rows.iter().map(|r| r.cells.clone()).collect(),
            totals: None,
        };
        xlsx_response(file_stem, &Workbook { sheets: vec![sheet] })
    }
}

/// A status's tag colour: green on track, red not on track, grey not available.
pub fn status_class(status: Status) -> &'static str {
    match status {
        Status::OnTrack => "govuk-tag--green",
        Status::NotOnTrack => "govuk-tag--red",
        Status::NotAvailable => "govuk-tag--grey",
    }
}

/// Links to a table's CSV and XLSX forms.
pub fn downloads(here: &Here, table: &str, what: &str) -> Markup {
    html! {
        p class="govuk-body-s app-downloads" {
            "Download " span class="govuk-visually-hidden" { (what) " " } "as "
            a class="govuk-link" href=(here.export(table, "csv")) { "CSV" }
            " or "
            a class="govuk-link" href=(here.export(table, "xlsx")) { "Excel (XLSX)" }
        }
    }
}

/// Excel's sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(id: &str) -> String {
    id.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

/// A page's address and the query it was asked with (less any export), from which its
/// links to other months and to downloads are made.
#[derive(Clone)]
pub struct Here {
    pub path: String,
    pub query: Vec<(String, String)>,
}

impl Here {
    pub fn new(path: String, query: Vec<(String, String)>) -> Here {
        let query = query.into_iter().filter(|(k, _)| k != "format" && k != "table").collect();
        Here { path, query }
    }

    pub fn export(&self, table: &str, format: &str) -> String {
        let mut query = self.query.clone();
        query.push(("format".into(), format.into()));
        query.push(("table".into(), table.into()));
        with_query(&self.path, &query)
    }
}

/// `path?k=v&...`, each key and value percent-encoded.
pub fn with_query(path: &str, query: &[(String, String)]) -> String {
    if query.is_empty() {
        return path.to_string();
    }
    let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    format!("{path}?{}", pairs.join("&"))
}

/// What a page was asked for: the HTML page, or one of its tables as a file.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(format: Option<&str>) -> Result<Format, WebError> {
        match format {
            None | Some("" | "html") => Ok(Format::Html),
            Some("csv") => Ok(Format::Csv),
            Some("xlsx") => Ok(Format::Xlsx),
            Some(other) => {
                Err(WebError::BadRequest(format!("unknown format `{other}`: a table downloads as csv or xlsx")))
            }
        }
    }
}

/// Answers an export request from one of a page's tables (the one named by `table`, or
/// the first).
pub fn export(tables: &[Table], table: Option<&str>, format: Format, file_stem: &str) -> Result<Response, WebError> {
    let chosen = match table {
        None => tables.first(),
        Some(id) => tables.iter().find(|t| t.id == id),
    };
    let chosen =
        chosen.ok_or_else(|| WebError::NotFound(format!("this page has no table `{}`", table.unwrap_or(""))))?;
    let stem = format!("{file_stem}-{}", chosen.id);
    match format {
        Format::Csv => Ok(chosen.csv(&stem)),
        Format::Xlsx => chosen.xlsx(&stem),
        Format::Html => Err(WebError::Internal("export called for an HTML page".into())),
    }
}

/// A file name safe in a header on every platform: letters, digits, `-`, `_` and `.`.
fn file_name(stem: &str, extension: &str) -> String {
    let safe: String =
        stem.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{safe}.{extension}")
}

fn attachment(name: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CONTENT_DISPOSITION, disposition)], body)
        .into_response()
}

/// A CSV download, written by `pooled_files::write_csv` (numbers as numbers, text that a
/// spreadsheet would run as a formula made safe).
pub fn csv_response<R>(file_stem: &str, header: &[String], rows: R) -> Response
where
    R: IntoIterator,
    R::Item: IntoIterator,
    <R::Item as IntoIterator>::Item: std::borrow::Borrow<Cell>,
{
    let mut body = Vec::new();
    pooled_files::write_csv(&mut body, header, rows).expect("writing CSV to memory cannot fail");
    attachment(&file_name(file_stem, "csv"), "text/csv; charset=utf-8", body)
}

pub fn xlsx_response(file_stem: &str, workbook: &Workbook) -> Result<Response, WebError> {
    let mut body = std::io::Cursor::new(Vec::new());
    pooled_files::write_xlsx(&mut body, workbook)
        .map_err(|e| WebError::Internal(format!("writing the workbook: {e}")))?;
    Ok(attachment(
        &file_name(file_stem, "xlsx"),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body.into_inner(),
    ))
}
