//! Small pieces of TOML writing shared by the meeting and register files. Strings are
//! always written as basic strings with every control character escaped, so any text
//! reads back exactly (a multi-line string could turn `\r\n` into `\n`).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::Vote;

/// A TOML basic string: `"..."`.
pub(super) fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() && u32::from(c) <= 0x7f => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A key: bare when TOML allows it (`occ-cm`), else quoted.
pub(super) fn key(text: &str) -> String {
    let bare = !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if bare { text.to_string() } else { string(text) }
}

/// `name = "value"` and a newline.
pub(super) fn line(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{name} = {value}");
}

/// Votes as an inline table keyed by seat: `{ occ-cm = "for", occg-cfo = "against" }`.
pub(super) fn votes(votes: &BTreeMap<String, Vote>) -> String {
    if votes.is_empty() {
        return "{}".to_string();
    }
    let pairs: Vec<String> = votes.iter().map(|(seat, vote)| format!("{} = \"{}\"", key(seat), vote.name())).collect();
    format!("{{ {} }}", pairs.join(", "))
}
