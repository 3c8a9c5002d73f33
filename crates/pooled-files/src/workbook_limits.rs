//! What a workbook may unpack to, checked before calamine opens it.
//!
//! An XLSX file is a zip of XML parts. calamine reads some of them whole into memory when
//! it opens a workbook (the shared strings, the styles, the workbook part and the
//! relationships) and streams the sheet it is asked for. A few megabytes of zip can unpack
//! to gigabytes (a zip bomb), and a few kilobytes of styles can make calamine build a
//! style per cell format. So every part is unpacked here first, counting what it holds,
//! and a workbook past any limit is refused with what it exceeds before calamine sees it.
//! The count is of the bytes actually unpacked, not only those the zip declares.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use pooled_core::diagnostic::group_thousands;
use zip::ZipArchive;

use crate::FileError;

/// The parts calamine reads whole may unpack to at most 128 MB in all: the shared strings
/// of a full sheet (a million rows) with a new 60-character text on every row take about
/// 80 MB, and the parts are held in memory while the workbook is read.
pub const MAX_WHOLE_PARTS_BYTES: u64 = 128 << 20;
/// The other parts (the sheets) may unpack to at most 2 GB in all: a full sheet 32 columns
/// wide is about 1.5 GB. They are streamed, so this bounds the time a workbook takes, not
/// memory.
pub const MAX_SHEET_BYTES: u64 = 2 << 30;
/// At most this many distinct texts in the shared strings (two per row of a full sheet):
/// calamine keeps each in memory with a few dozen bytes of overhead.
pub const MAX_SHARED_STRINGS: u64 = 1 << 21;
/// At most this many cell formats: ERP extracts have tens; calamine keeps a style for each.
pub const MAX_CELL_FORMATS: u64 = 16_384;
/// At most this many cells in all sheets: a full sheet 32 columns wide.
pub const MAX_CELLS: u64 = 1 << 25;
/// One cell's XML may be at most a megabyte: Excel's longest text is 32,767 characters.
pub const MAX_CELL_BYTES: u64 = 1 << 20;
/// One piece of XML (a tag, a run of text, a comment), which the XML reader holds whole.
const MAX_TOKEN_BYTES: u64 = 1 << 20;
/// A tag of the styles, whose names and number formats calamine copies into every style.
const MAX_STYLE_TOKEN_BYTES: u64 = 4 << 10;
/// Parts in the zip: a workbook has a few per sheet.
const MAX_PARTS: usize = 10_000;

/// Refuses a workbook whose parts pass a limit above; `Ok` when calamine may open it.
pub(crate) fn check_workbook(path: &Path) -> Result<(), FileError> {
    let file = File::open(path).map_err(|e| FileError::new(path, format!("cannot open: {e}")))?;
    let unreadable = |e: &dyn std::fmt::Display| FileError::new(path, format!("not a readable .xlsx workbook: {e}"));
    let mut zip = ZipArchive::new(BufReader::new(file)).map_err(|e| unreadable(&e))?;
    if zip.len() > MAX_PARTS {
        return Err(FileError::new(
            path,
            format!(
                "the workbook has {} parts, more than the {} pooled reads: save the sheet as CSV UTF-8",
                group_thousands(zip.len() as u64),
                group_thousands(MAX_PARTS as u64)
            ),
        ));
    }
    let whole = whole_parts(&mut zip).map_err(|e| unreadable(&e))?;
    // What the zip declares first, so that an honest bomb costs nothing to refuse; then
    // what the parts unpack to, which is all that can be trusted.
    let mut declared = Totals::default();
    for i in 0..zip.len() {
        let entry = zip.by_index_data(i).map_err(|e| unreadable(&e))?;
        let name = entry.name().map_err(|e| unreadable(&e))?.to_ascii_lowercase();
        if whole.contains(&name) {
            declared.whole = declared.whole.saturating_add(entry.size());
        } else {
            declared.sheets = declared.sheets.saturating_add(entry.size());
        }
    }
    if declared.whole > MAX_WHOLE_PARTS_BYTES {
        return Err(past(path, WHOLE, "declare that they unpack to more than", MAX_WHOLE_PARTS_BYTES, "bytes"));
    }
    if declared.sheets > MAX_SHEET_BYTES {
        return Err(past(path, SHEETS, "declare that they unpack to more than", MAX_SHEET_BYTES, "bytes"));
    }
    let mut totals = Totals::default();
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(|e| unreadable(&e))?;
        if part.is_dir() {
            continue;
        }
        let name = part.name().map_err(|e| unreadable(&e))?.into_owned();
        let lower = name.to_ascii_lowercase();
        let read_whole = whole.contains(&lower);
        let xml = read_whole || lower.ends_with(".xml") || lower.ends_with(".rels");
        let token_limit = if lower.ends_with("styles.xml") { MAX_STYLE_TOKEN_BYTES } else { MAX_TOKEN_BYTES };
        let mut scanner = Scanner::new(token_limit);
        let mut buffer = vec![0u8; 64 * 1024];
        let mut unpacked = 0u64;
        loop {
            let n = part.read(&mut buffer).map_err(|e| unreadable(&format!("part `{name}`: {e}")))?;
            if n == 0 {
                break;
            }
            unpacked += n as u64;
            let (used, limit, what) = if read_whole {
                (totals.whole + unpacked, MAX_WHOLE_PARTS_BYTES, WHOLE)
            } else {
                (totals.sheets + unpacked, MAX_SHEET_BYTES, SHEETS)
            };
            if used > limit {
                return Err(past(path, what, "unpack to more than", limit, "bytes"));
            }
            if xml {
                scanner.feed(&buffer[..n]).map_err(|problem| refused(path, &name, &problem))?;
            }
        }
        if xml {
            scanner.finish().map_err(|problem| refused(path, &name, &problem))?;
        }
        if read_whole {
            totals.whole += unpacked;
        } else {
            totals.sheets += unpacked;
        }
        totals.shared_strings += scanner.counts.shared_strings;
        totals.cell_formats += scanner.counts.cell_formats;
        totals.cells += scanner.counts.cells;
        for (count, limit, what) in [
            (totals.shared_strings, MAX_SHARED_STRINGS, "shared strings"),
            (totals.cell_formats, MAX_CELL_FORMATS, "cell formats"),
            (totals.cells, MAX_CELLS, "cells"),
        ] {
            if count > limit {
                return Err(past(path, "the workbook", "has more than", limit, what));
            }
        }
        if let Some(declared) = scanner.declared_strings.filter(|n| *n > MAX_SHARED_STRINGS) {
            return Err(past(
                path,
                &format!("the workbook's shared strings say they are {}, which", group_thousands(declared)),
                "is more than",
                MAX_SHARED_STRINGS,
                "shared strings",
            ));
        }
    }
    Ok(())
}

const WHOLE: &str = "the parts of the workbook read whole (shared strings, styles)";
const SHEETS: &str = "the sheets of the workbook";

#[derive(Default)]
struct Totals {
    whole: u64,
    sheets: u64,
    shared_strings: u64,
    cell_formats: u64,
    cells: u64,
}

fn past(path: &Path, what: &str, verb: &str, limit: u64, unit: &str) -> FileError {
    FileError::new(
        path,
        format!(
            "{what} {verb} {} {unit}, the most pooled reads from a workbook: save the sheet as CSV UTF-8 and import that",
            group_thousands(limit)
        ),
    )
}

fn refused(path: &Path, part: &str, problem: &str) -> FileError {
    FileError::new(
        path,
        format!("part `{part}` of the workbook {problem}: save the sheet as CSV UTF-8 and import that"),
    )
}

/// The parts calamine reads whole, lowercased as calamine matches them: the package's
/// relationships, the workbook part each names as the document, and beside it the
/// workbook's relationships, shared strings, styles and theme.
fn whole_parts<R: Read + std::io::Seek>(zip: &mut ZipArchive<R>) -> Result<Vec<String>, String> {
    let mut whole = vec!["_rels/.rels".to_string()];
    let is_rels = |name: Option<zip::result::ZipResult<std::borrow::Cow<'_, str>>>| {
        name.and_then(Result::ok).is_some_and(|n| n.eq_ignore_ascii_case("_rels/.rels"))
    };
    let Some(index) = (0..zip.len()).find(|i| is_rels(zip.name_for_index(*i))) else {
        return Ok(whole);
    };
    let mut rels = Vec::new();
    let part = zip.by_index(index).map_err(|e| e.to_string())?;
    part.take(MAX_TOKEN_BYTES).read_to_end(&mut rels).map_err(|e| format!("part `_rels/.rels`: {e}"))?;
    let mut scanner = Scanner::new(MAX_TOKEN_BYTES);
    scanner.keep_relationships = true;
    scanner.feed(&rels).map_err(|problem| format!("part `_rels/.rels` {problem}"))?;
    for target in scanner.document_targets {
        let target = target.trim_start_matches('/').to_ascii_lowercase();
        let (dir, name) = target.rsplit_once('/').map_or(("", target.as_str()), |(d, n)| (d, n));
        let dir = if dir.is_empty() { String::new() } else { format!("{dir}/") };
        whole.extend([
            target.clone(),
            format!("{dir}_rels/{name}.rels"),
            format!("{dir}sharedstrings.xml"),
            format!("{dir}styles.xml"),
            format!("{dir}theme/theme1.xml"),
        ]);
    }
    // calamine's defaults when the relationships name no document.
    whole.extend(
        [
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/sharedstrings.xml",
            "xl/styles.xml",
            "xl/theme/theme1.xml",
        ]
        .map(String::from),
    );
    Ok(whole)
}

/// What a part holds, as counted.
#[derive(Default)]
struct Counts {
    shared_strings: u64,
    cell_formats: u64,
    cells: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Text,
    /// After `<`.
    Open,
    /// In a start or end tag, with the quote that opened the attribute value it is in.
    Tag {
        quote: Option<u8>,
    },
    /// After `<!`: a comment, CDATA, or a document type (which a workbook never has).
    Bang,
    Comment,
    CData,
    Instruction,
}

/// A streaming reader of XML that keeps no more than one tag, enough to count elements
/// and to bound what an XML reader would hold at once: each piece (tag, text, comment,
/// CDATA) and each cell (`<c>` to `</c>`). Sizes are measured from offsets at the end of
/// each piece and of each block fed, so a piece past its limit is refused within a block
/// of reaching it, having cost no memory but the block and one tag.
struct Scanner {
    state: State,
    token_limit: u64,
    /// Bytes fed before the block being read.
    offset: u64,
    /// Where the piece being read starts.
    token_start: u64,
    tag: Vec<u8>,
    /// Where the cell being read starts (its `<c`), while in one.
    cell_start: Option<u64>,
    counts: Counts,
    /// `uniqueCount` of the shared strings, which calamine reserves room for.
    declared_strings: Option<u64>,
    keep_relationships: bool,
    document_targets: Vec<String>,
}

impl Scanner {
    fn new(token_limit: u64) -> Scanner {
        Scanner {
            state: State::Text,
            token_limit,
            offset: 0,
            token_start: 0,
            tag: Vec::new(),
            cell_start: None,
            counts: Counts::default(),
            declared_strings: None,
            keep_relationships: false,
            document_targets: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) -> Result<(), String> {
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            let here = self.offset + at as u64;
            match self.state {
                // Text runs to the next `<`.
                State::Text => match rest.iter().position(|b| *b == b'<') {
                    Some(k) => {
                        self.check_token(here + k as u64)?;
                        self.token_start = here + k as u64;
                        self.tag.clear();
                        self.state = State::Open;
                        at += k + 1;
                    }
                    None => at = bytes.len(),
                },
                State::Open => {
                    self.tag.push(rest[0]);
                    self.state = match rest[0] {
                        b'!' => State::Bang,
                        b'?' => State::Instruction,
                        _ => State::Tag { quote: None },
                    };
                    at += 1;
                }
                // A tag runs to its `>`; a quoted value may hold `>`.
                State::Tag { mut quote } => {
                    let end = rest.iter().position(|&b| match quote {
                        None if b == b'>' => true,
                        None if b == b'"' || b == b'\'' => {
                            quote = Some(b);
                            false
                        }
                        Some(q) if b == q => {
                            quote = None;
                            false
                        }
                        _ => false,
                    });
                    let Some(k) = end else {
                        self.tag.extend_from_slice(rest);
                        self.state = State::Tag { quote };
                        at = bytes.len();
                        continue;
                    };
                    at += k + 1;
                    self.tag.extend_from_slice(&rest[..k]);
                    self.check_token(here + k as u64 + 1)?;
                    self.end_tag(here + k as u64 + 1)?;
                    self.state = State::Text;
                    self.token_start = here + k as u64 + 1;
                }
                State::Bang => {
                    self.tag.push(rest[0]);
                    at += 1;
                    if self.tag == b"!--" {
                        self.state = State::Comment;
                    } else if self.tag == b"![CDATA[" {
                        self.state = State::CData;
                    } else if !(b"!--".starts_with(&self.tag) || b"![CDATA[".starts_with(&self.tag)) {
                        return Err("has a document type declaration, which a workbook never has".into());
                    }
                }
                // Comments, CDATA and instructions run to their end, which ends in `>`.
                State::Comment | State::CData | State::Instruction => {
                    let end: &[u8] = match self.state {
                        State::Comment => b"-->",
                        State::CData => b"]]>",
                        _ => b"?>",
                    };
                    let Some(k) = rest.iter().position(|b| *b == b'>') else {
                        self.keep_tail(rest);
                        at = bytes.len();
                        continue;
                    };
                    self.keep_tail(&rest[..=k]);
                    at += k + 1;
                    if self.tag.ends_with(end) {
                        self.check_token(here + k as u64 + 1)?;
                        self.state = State::Text;
                        self.token_start = here + k as u64 + 1;
                    }
                }
            }
        }
        self.offset += bytes.len() as u64;
        self.check_token(self.offset)?;
        self.check_cell(self.offset)
    }

    /// Keeps the last few bytes of a comment, CDATA or instruction: enough to see its end.
    fn keep_tail(&mut self, bytes: &[u8]) {
        self.tag.extend_from_slice(&bytes[bytes.len().saturating_sub(8)..]);
        let excess = self.tag.len().saturating_sub(8);
        self.tag.drain(..excess);
    }

    /// The piece being read, up to `end`, is within its limit.
    fn check_token(&self, end: u64) -> Result<(), String> {
        if end - self.token_start > self.token_limit {
            return Err(format!(
                "has a piece of XML (a tag, a text or a comment) of more than {} bytes",
                group_thousands(self.token_limit)
            ));
        }
        Ok(())
    }

    /// The cell being read, up to `end`, is within its limit.
    fn check_cell(&self, end: u64) -> Result<(), String> {
        match self.cell_start {
            Some(start) if end - start > MAX_CELL_BYTES => {
                Err(format!("has a cell of more than {} bytes", group_thousands(MAX_CELL_BYTES)))
            }
            _ => Ok(()),
        }
    }

    /// A part ends outside any tag, comment or cell.
    fn finish(&self) -> Result<(), String> {
        if self.state != State::Text {
            return Err("ends in the middle of a tag".into());
        }
        Ok(())
    }

    /// A tag has been read (between `<` and `>`, quotes included), ending at `end`.
    fn end_tag(&mut self, end: u64) -> Result<(), String> {
        let tag = &self.tag;
        let closing = tag.first() == Some(&b'/');
        let name_start = usize::from(closing);
        let name_end = tag[name_start..]
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/')
            .map_or(tag.len(), |i| i + name_start);
        let name = &tag[name_start..name_end];
        let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
        let self_closing = tag.last() == Some(&b'/');
        if closing {
            if local == b"c" {
                self.check_cell(end)?;
                self.cell_start = None;
            }
            return Ok(());
        }
        match local {
            b"c" => {
                self.counts.cells += 1;
                // A cell starts at its `<`; one inside another (broken XML) does not restart it.
                if self.cell_start.is_none() && !self_closing {
                    self.cell_start = Some(self.token_start);
                }
            }
            b"si" => self.counts.shared_strings += 1,
            b"xf" => self.counts.cell_formats += 1,
            b"sst" => {
                if let Some(count) = attribute(&self.tag[name_end..], b"uniqueCount") {
                    let count = std::str::from_utf8(count).ok().and_then(|c| c.trim().parse::<u64>().ok());
                    // A count calamine might read but this cannot is refused, not trusted.
                    self.declared_strings = Some(count.unwrap_or(u64::MAX));
                }
            }
            b"Relationship" if self.keep_relationships => {
                let attributes = &self.tag[name_end..];
                let document =
                    attribute(attributes, b"Type").is_some_and(|t| t.ends_with(b"/relationships/officeDocument"));
                if let Some(target) = attribute(attributes, b"Target").filter(|_| document) {
                    if target.contains(&b'&') {
                        return Err("names its workbook with an escaped path".into());
                    }
                    self.document_targets.push(String::from_utf8_lossy(target).into_owned());
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// The value of attribute `key` in a tag's bytes after its name, without its quotes.
fn attribute<'a>(attributes: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let mut rest = attributes;
    loop {
        rest = rest.trim_ascii_start();
        let name_end = rest.iter().position(|b| *b == b'=' || b.is_ascii_whitespace())?;
        let name = &rest[..name_end];
        let after = rest[name_end..].trim_ascii_start().strip_prefix(b"=")?.trim_ascii_start();
        let quote = *after.first()?;
        if quote != b'"' && quote != b'\'' {
            return None;
        }
        let value_end = after[1..].iter().position(|b| *b == quote)? + 1;
        if name == key {
            return Some(&after[1..value_end]);
        }
        rest = &after[value_end + 1..];
    }
}
