//! Problems found in an input file, located by byte span and rendered as
//! `file:line:col: error: message` so that editors and people can jump to them.

use std::fmt;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub span: Range<usize>,
    pub message: String,
}

impl Diagnostic {
    /// An error; its message is [`shorten`]ed, so quoting a huge value costs little.
    pub fn error(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, span, message: shorten(message.into()) }
    }

    pub fn warning(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, span, message: shorten(message.into()) }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col: error: message`, with 1-based line and column (in characters).
    pub fn render(&self, file: &str, text: &str) -> String {
        let (line, col) = line_col(text, self.span.start);
        format!("{file}:{line}:{col}: {}: {}", self.severity, self.message)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// 1-based line and character column of a byte offset (clamped to the text).
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Quoted input is cut to this many characters in a message: enough to recognise it.
pub const QUOTE_CHARS: usize = 80;
/// A whole message is cut to this many characters, whatever it quotes.
pub const MESSAGE_CHARS: usize = 1_000;

/// `text` in backquotes for a message, cut to [`QUOTE_CHARS`] characters with the full
/// length noted: `` `abc…` (120,000 characters) ``.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(4 * QUOTE_CHARS) + 2);
    push_quoted(&mut out, text);
    out
}

fn push_quoted(out: &mut String, text: &str) {
    out.push('`');
    match text.char_indices().nth(QUOTE_CHARS) {
        None => {
            out.push_str(text);
            out.push('`');
        }
        Some((cut, _)) => {
            out.push_str(&text[..cut]);
            out.push_str("…` (");
            out.push_str(&group_thousands(text.chars().count() as u64));
            out.push_str(" characters)");
        }
    }
}

/// A name for a message (a column header), cut to [`QUOTE_CHARS`] characters with `…`.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// A message as it may be kept and shown: every backquoted span longer than
/// [`QUOTE_CHARS`] cut as [`quote`] cuts it, then the whole cut to [`MESSAGE_CHARS`]
/// with `… [cut: N characters]`. A 100 MB value quoted in an error costs a line, not
/// 100 MB of memory and of page.
pub fn shorten(message: String) -> String {
    if message.len() <= QUOTE_CHARS {
        return message;
    }
    let mut out = String::with_capacity(message.len().min(4 * MESSAGE_CHARS));
    let mut rest = message.as_str();
    // Pairs of backquotes: outside, inside, outside, ...; an unpaired one is kept as is.
    while let Some(open) = rest.find('`') {
        let Some(close) = rest[open + 1..].find('`') else { break };
        out.push_str(&rest[..open]);
        let quoted = &rest[open + 1..open + 1 + close];
        // One character more than the cut is what `quote` leaves (its `…`): kept as is.
        if quoted.chars().nth(QUOTE_CHARS + 1).is_some() {
            push_quoted(&mut out, quoted);
        } else {
            out.push('`');
            out.push_str(quoted);
            out.push('`');
        }
        rest = &rest[open + 2 + close..];
    }
    out.push_str(rest);
    match out.char_indices().nth(MESSAGE_CHARS) {
        None => out,
        Some((cut, _)) => {
            let total = out.chars().count() as u64;
            out.truncate(cut);
            out.push_str("… [cut: ");
            out.push_str(&group_thousands(total));
            out.push_str(" characters]");
            out
        }
    }
}

/// `1234567` as `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text of a file that must be UTF-8, or an error at the line and column of its
/// first byte that is not: `file:3:7: error: not UTF-8 text (byte 0xE9): ...`.
pub fn utf8_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        // The prefix before the first bad byte is UTF-8 by definition.
        let text = std::str::from_utf8(valid).unwrap_or_default();
        let bad = bytes.get(e.valid_up_to()).copied().unwrap_or_default();
        Diagnostic::error(text.len()..text.len(), format!("not UTF-8 text (byte 0x{bad:02X}): save the file as UTF-8"))
            .render(file, text)
    })
}

/// Errors and warnings gathered while reading one file; reading fails if any is an error.
#[derive(Debug, Default)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.0.push(Diagnostic::error(span, message));
    }

    pub fn warning(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.0.push(Diagnostic::warning(span, message));
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// The value with its warnings when nothing was an error, else every diagnostic,
    /// in file order.
    pub fn finish<T>(mut self, value: T) -> Result<(T, Vec<Diagnostic>), Vec<Diagnostic>> {
        self.0.sort_by_key(|d| d.span.start);
        if self.has_errors() { Err(self.0) } else { Ok((value, self.0)) }
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_line_and_character_column() {
        let text = "a = 1\nb = \"£x\"\n";
        let check = |offset: usize, expected: &str| {
            assert_eq!(Diagnostic::error(offset..offset, "bad").render("f.toml", text), expected);
        };
        check(0, "f.toml:1:1: error: bad");
        check(6, "f.toml:2:1: error: bad");
        // The byte after `£` (two bytes) is the sixth character on its line.
        check(13, "f.toml:2:7: error: bad");
        check(10_000, "f.toml:3:1: error: bad");
    }

    #[test]
    fn quoted_input_is_cut_to_a_readable_length() {
        let check = |message: String, expected: &str| assert_eq!(shorten(message), expected);
        check("invalid amount `12x`: expected digits".into(), "invalid amount `12x`: expected digits");
        let long = "x".repeat(100_000);
        let cut = format!("`{}…` (100,000 characters)", "x".repeat(QUOTE_CHARS));
        check(format!("invalid amount `{long}`: too large"), &format!("invalid amount {cut}: too large"));
        check(format!("a `{long}` and `b` and `{long}`"), &format!("a {cut} and `b` and {cut}"));
        // What `quote` cut is not cut again.
        check(format!("at {cut}, {cut}"), &format!("at {cut}, {cut}"));
        assert_eq!(quote(&long), cut);
        assert_eq!(quote("ab"), "`ab`");
        // Characters, not bytes: a long run of `£` is cut at 80 of them.
        assert_eq!(quote(&"£".repeat(81)), format!("`{}…` (81 characters)", "£".repeat(80)));
        // Unquoted text (a serde message quoting with ") is cut as a whole.
        let unquoted = format!("invalid type: string \"{long}\", expected u32");
        let note = format!("… [cut: {} characters]", group_thousands(unquoted.chars().count() as u64));
        let shortened = shorten(unquoted);
        assert_eq!(shortened.chars().count(), MESSAGE_CHARS + note.chars().count());
        assert!(shortened.ends_with(&note), "{shortened}");
        assert_eq!(excerpt(&long), format!("{}…", "x".repeat(QUOTE_CHARS)));
        assert_eq!(Diagnostic::error(0..0, format!("`{long}`")).message, cut);
    }

    #[test]
    fn text_that_is_not_utf8_is_located_at_its_first_bad_byte() {
        let check = |bytes: &[u8], expected: Result<&str, &str>| {
            assert_eq!(utf8_text("f.toml", bytes), expected.map_err(String::from), "{bytes:?}");
        };
        check(b"a = 1\n", Ok("a = 1\n"));
        check(
            b"a = 1\nname = \"Caf\xE9\"\n",
            Err("f.toml:2:12: error: not UTF-8 text (byte 0xE9): save the file as UTF-8"),
        );
        check(b"\xFF", Err("f.toml:1:1: error: not UTF-8 text (byte 0xFF): save the file as UTF-8"));
    }
}
