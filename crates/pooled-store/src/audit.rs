//! The audit log: an append-only chain of entries, each carrying the SHA-256 of its own
//! contents and of the entry before it, so that editing, inserting or removing an entry
//! anywhere but at the very end breaks the chain at that entry.

use std::time::{SystemTime, UNIX_EPOCH};

use pooled_core::calendar::Date;
use sha2::{Digest, Sha256};

/// One change: who, when (UTC, ISO 8601), what, and the state before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first entry that does not check out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditProblem {
    pub seq: i64,
    pub reason: String,
}

/// The `prev_hash` of the first entry.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// The entry that follows `prev` (`None` for the first), hashed.
    pub(crate) fn next(prev: Option<(i64, &str)>, change: Change, at: String) -> AuditEntry {
        let (seq, prev_hash) = match prev {
            Some((seq, hash)) => (seq + 1, hash.to_string()),
            None => (1, GENESIS.to_string()),
        };
        let mut entry = AuditEntry {
            seq,
            at,
            actor: change.actor.to_string(),
            action: change.action.to_string(),
            subject: change.subject,
            before: change.before,
            after: change.after,
            prev_hash,
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }

    /// SHA-256 over every field but the hash itself, each length-prefixed so that no two
    /// different entries serialise alike (moving text from one field to the next changes it).
    fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"pooled-audit-1\n");
        for field in [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.at,
            &self.actor,
            &self.action,
            &self.subject,
            &self.before,
            &self.after,
        ] {
            h.update((field.len() as u64).to_le_bytes());
            h.update(field.as_bytes());
        }
        hex(&h.finalize())
    }
}

/// What a mutating method appends to the log, besides the sequence, time and hashes.
pub(crate) struct Change<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: String,
    pub before: String,
    pub after: String,
}

/// Checks a whole log, oldest first: sequence numbers run 1, 2, 3, ... without gaps, each
/// entry's `prev_hash` is the hash of the entry before, and each hash matches its contents.
pub fn verify_chain(entries: &[AuditEntry]) -> Option<AuditProblem> {
    let mut prev: Option<&AuditEntry> = None;
    for e in entries {
        let problem = |reason: String| Some(AuditProblem { seq: e.seq, reason });
        let (expected_seq, expected_prev) = match prev {
            Some(p) => (p.seq + 1, p.hash.as_str()),
            None => (1, GENESIS),
        };
        if e.seq != expected_seq {
            return problem(format!(
                "expected entry {expected_seq} here, found {}: entries are missing or were inserted",
                e.seq
            ));
        }
        if e.prev_hash != expected_prev {
            return problem(match prev {
                Some(p) => format!("its previous hash is not the hash of entry {}: the chain is broken", p.seq),
                None => "the first entry does not start the chain".to_string(),
            });
        }
        if e.hash != e.compute_hash() {
            return problem("its contents do not match its hash: the entry was edited".to_string());
        }
        prev = Some(e);
    }
    None
}

/// SHA-256 of a ledger import's rows in row order, fed as they stream in (and again, from
/// the table, by `verify_audit`). Numbers are fixed-width and texts length-prefixed, so
/// the serialisation is unambiguous; each row is assembled in one reused buffer and
/// hashed in one call, so there is no allocation and little overhead per row.
pub(crate) struct RowHasher {
    sha: Sha256,
    buf: Vec<u8>,
}

/// A ledger row as stored: the parts the row hash covers, borrowed.
pub(crate) struct RowParts<'a> {
    pub file_row: i64,
    pub cost_centre: &'a str,
    /// `yyyymmdd`.
    pub posted_on: i32,
    pub pence: i64,
    pub subjective: &'a str,
    pub description: &'a str,
    pub reference: &'a str,
}

impl RowHasher {
    pub fn new() -> RowHasher {
        let mut sha = Sha256::new();
        sha.update(b"pooled-ledger-rows-1\n");
        RowHasher { sha, buf: Vec::with_capacity(256) }
    }

    pub fn add(&mut self, row: &RowParts<'_>) {
        let b = &mut self.buf;
        b.clear();
        b.extend_from_slice(&row.file_row.to_le_bytes());
        b.extend_from_slice(&row.posted_on.to_le_bytes());
        b.extend_from_slice(&row.pence.to_le_bytes());
        for text in [row.cost_centre, row.subjective, row.description, row.reference] {
            // LEB128 length: one byte for any text under 128 bytes.
            let mut n = text.len();
            while n >= 0x80 {
                b.push((n & 0x7f) as u8 | 0x80);
                n >>= 7;
            }
            b.push(n as u8);
            b.extend_from_slice(text.as_bytes());
        }
        self.sha.update(&self.buf);
    }

    pub fn finish(self) -> String {
        hex(&self.sha.finalize())
    }
}

/// SHA-256 of a text, hex: how the log names a large text (an agreement) it does not hold,
/// and the form in which session and API token secrets reach the store.
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    s
}

/// Now, UTC, to the second: `2016-05-31T17:04:05Z`, the form of every time in the store.
pub fn now_utc() -> String {
    utc_from_now(0)
}

/// The time `seconds` from now (before now when negative), in the store's form: when a
/// session expires, or where a throttling window starts.
pub fn utc_from_now(seconds: i64) -> String {
    // A clock before 1970 is a broken clock; the epoch is as good a time as any for it.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format_utc(now.saturating_add_signed(seconds))
}

fn format_utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let epoch = Date::new(1970, 1, 1).unwrap_or(Date::MIN);
    // Beyond 9999-12-31 the clock is broken too; say so in the year rather than panic.
    let date = epoch.add_days(days).unwrap_or(Date::MAX);
    let s = secs % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            let change = Change {
                actor: "ann",
                action: "set-forecast",
                subject: format!("forecast {i}"),
                before: String::new(),
                after: format!("outturn={i}.00"),
            };
            let e = AuditEntry::next(prev, change, "2016-05-31T17:04:05Z".into());
            out.push(e);
        }
        out
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(4)), None);
        assert_eq!(verify_chain(&[]), None);
    }

    #[test]
    fn an_edited_entry_is_named() {
        let mut log = chain(4);
        log[2].after = "outturn=9.00".into();
        let p = verify_chain(&log).unwrap();
        assert_eq!(p.seq, 3);
        assert!(p.reason.contains("edited"), "{}", p.reason);
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let mut log = chain(1);
        log[0].subject = "forecast 0o".into();
        log[0].after = "utturn=0.00".into();
        assert_eq!(verify_chain(&log).map(|p| p.seq), Some(1));
    }

    #[test]
    fn a_removed_or_rehashed_entry_is_named() {
        let mut log = chain(4);
        log.remove(1);
        let p = verify_chain(&log).unwrap();
        assert_eq!((p.seq, p.reason.contains("missing")), (3, true));

        // Rewriting an entry and its own hash still breaks the link from the next one.
        let mut log = chain(4);
        log[1].after = "outturn=9.00".into();
        log[1].hash = log[1].compute_hash();
        let p = verify_chain(&log).unwrap();
        assert_eq!((p.seq, p.reason.contains("chain is broken")), (3, true));
    }

    #[test]
    fn timestamps_are_utc_iso_8601() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        // 2016-02-29 23:59:59 UTC.
        assert_eq!(format_utc(1_456_790_399), "2016-02-29T23:59:59Z");
        assert_eq!(format_utc(1_456_790_400), "2016-03-01T00:00:00Z");
        assert_eq!(now_utc().len(), 20);
    }

    #[test]
    fn the_row_hash_depends_on_every_field_and_the_order() {
        let row = |file_row, cost_centre| RowParts {
            file_row,
            cost_centre,
            posted_on: 20160531,
            pence: -1,
            subjective: "5100",
            description: "refund",
            reference: "J1",
        };
        let hash = |rows: &[RowParts<'_>]| {
            let mut h = RowHasher::new();
            rows.iter().for_each(|r| h.add(r));
            h.finish()
        };
        let a = hash(&[row(2, "CC1"), row(3, "CC2")]);
        assert_eq!(a.len(), 64);
        assert_ne!(a, hash(&[row(3, "CC2"), row(2, "CC1")]));
        assert_ne!(a, hash(&[row(2, "CC1"), row(3, "CC3")]));
        assert_eq!(a, hash(&[row(2, "CC1"), row(3, "CC2")]));
    }
}
