//! The audit log: an append-only chain of entries, each carrying the SHA-256 of its own
//! contents and of the entry before it, so that editing, inserting or removing an entry
//! anywhere but at the very end breaks the chain at that entry.

use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

/// One change: who, when, what, and the state before and after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub seq: i64,
    /// To the second; hashed as its text, `2016-05-31T17:04:05Z`.
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: String,
    pub after: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first entry that does not check out, and why. A problem that no one entry explains
/// (a ledger row that belongs to no import) is found at the latest entry: the log as it
/// stands does not account for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditProblem {
    pub seq: i64,
    pub reason: String,
}

/// The chain's head: its latest entry's sequence number and hash, written `SEQ:HASH`
/// (`1234:9f86d081...`, all 64 hex digits). Printed on every monthly report, agenda pack
/// and settlement statement, so that whoever keeps a copy can later prove that the log up
/// to it is unchanged ([`verify_published`]), even if every hash after an edit was
/// recomputed. The whole hash is printed: a shortened one could be matched by trying
/// edits until its first digits agree. An empty log's head is `0:` and 64 zeros.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl AuditHead {
    /// The head of an empty log.
    pub fn empty() -> AuditHead {
        AuditHead { seq: 0, hash: GENESIS.to_string() }
    }

    /// Reads `SEQ:HASH` as [`AuditHead`]'s `Display` writes it (the hash in either case).
    pub fn parse(text: &str) -> Result<AuditHead, String> {
        let text = text.trim();
        let bad = |why: &str| {
            Err(format!(
                "{} is not an audit log head: {why} (a head is SEQ:HASH, the entry's number and its 64 \
                 hexadecimal digit hash, as `pooled audit head` prints it)",
                pooled_core::diagnostic::quote(text)
            ))
        };
        let Some((seq, hash)) = text.split_once(':') else { return bad("there is no `:`") };
        let Ok(seq) = seq.parse::<i64>() else { return bad("the part before `:` is not an entry number") };
        if seq < 0 {
            return bad("entry numbers are not negative");
        }
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return bad("the hash is not 64 hexadecimal digits");
        }
        Ok(AuditHead { seq, hash: hash.to_ascii_lowercase() })
    }
}

impl std::fmt::Display for AuditHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

/// The `prev_hash` of the first entry.
pub(crate) const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

impl AuditEntry {
    /// The entry that follows `prev` (`None` for the first), hashed.
    pub(crate) fn next(prev: Option<(i64, &str)>, change: Change, at: Timestamp) -> AuditEntry {
        // Stored to the second, so hashed to the second.
        let at = Timestamp::from_second(at.as_second()).unwrap_or(at);
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

    /// The hash of the entry's contents: SHA-256 over every field but the hash itself,
    /// each length-prefixed so that no two different entries serialise alike (moving text
    /// from one field to the next changes it). The time is hashed as stored: for a whole
    /// second (and every stored time is one, see `sql::time_text`) its display is that
    /// text. Public so that anyone can recompute a chain (as a test of tampering does).
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(b"pooled-audit-1\n");
        for field in [
            self.prev_hash.as_str(),
            &self.seq.to_string(),
            &self.at.to_string(),
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

    /// The id of the agreement the entry's change belongs to, read back from the subject
    /// the store wrote: its second word for what is kept under an agreement
    /// (`plan oxon-s75 2016-17`, `mapping oxon-s75 OCC`, `ledger oxon-s75 2016-05 OCC`,
    /// `payment oxon-s75 2016-17 OP OCCG to OCC M1`, ...), and a document's key up to its
    /// first `/` (`board-register oxon-s75/2016-17`). `None` for accounts, sign-ins and
    /// tokens, and for entries written before a database held many agreements, whose
    /// subjects name a year or month there (`plan 2016-17`) or a partner (`mapping OCC`).
    pub fn agreement(&self) -> Option<&str> {
        let (kind, rest) = self.subject.split_once(' ')?;
        let named = match self.action.as_str() {
            "load-agreement" | "vary-agreement" | "save-plan" | "save-mapping" | "import" | "replace-import"
            | "close-period" | "set-forecast" | "record-payment" | "record-saving" | "set-metrics"
            | "set-statement" => {
                // Something follows the agreement in every subject of these.
                rest.split_once(' ')?.0
            }
            action if action.strip_prefix("save-") == Some(kind) => rest.split_once('/')?.0,
            _ => return None,
        };
        (!named.is_empty() && !names_a_year_or_month(named)).then_some(named)
    }
}

/// `2016-17` or `2016-05`: what the subjects of the log's entries named before a database
/// held many agreements, where they name the agreement now.
fn names_a_year_or_month(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 7 && b[4] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || c.is_ascii_digit())
}

/// What a mutating method appends to the log, besides the sequence, time and hashes.
pub(crate) struct Change<'a> {
    /// Whether it changes the pool's records or only who may sign in.
    pub area: Area,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: String,
    pub before: String,
    pub after: String,
}

/// What a change is to: [`crate::Store::last_change`] moves with changes to the records only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Area {
    /// Agreements, plans, mappings, the ledger, periods, forecasts, payments, documents.
    Records,
    /// Users, sessions, API tokens.
    Accounts,
}

/// Recomputes each entry's hash, and each `prev_hash` from the entry before (the first
/// keeps its own): what anyone who can write to the database can do after editing an
/// entry, so that the chain alone verifies again. This is why heads are published.
pub fn rechain(entries: &mut [AuditEntry]) {
    let mut prev: Option<String> = None;
    for e in entries {
        if let Some(hash) = prev.take() {
            e.prev_hash = hash;
        }
        e.hash = e.compute_hash();
        prev = Some(e.hash.clone());
    }
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

/// Checks a log whose chain verifies ([`verify_chain`]) against heads published earlier:
/// each head's entry must be in the log with the head's hash. An entry's hash covers the
/// one before it, so a match proves every entry up to it unchanged, and a mismatch that
/// one of them was changed and the hashes after it recomputed. With several heads, the
/// change lies after the last one that still matches.
pub fn verify_published(log: &[AuditEntry], published: &[AuditHead]) -> Option<AuditProblem> {
    let mut heads: Vec<&AuditHead> = published.iter().collect();
    heads.sort_by_key(|h| h.seq);
    let mut matched: Option<&AuditHead> = None;
    for head in heads {
        let found = match head.seq {
            0 => Some(GENESIS),
            seq => log.binary_search_by_key(&seq, |e| e.seq).ok().map(|i| log[i].hash.as_str()),
        };
        let problem = |reason: String| Some(AuditProblem { seq: head.seq, reason });
        match found {
            None => {
                let end = log.last().map_or(0, |e| e.seq);
                return problem(format!(
                    "the published head {head} names entry {}, but the log ends at entry {end}: entries were removed",
                    head.seq
                ));
            }
            Some(hash) if hash != head.hash => {
                let after = matched.map_or(String::new(), |m| {
                    format!(" (after entry {}, whose published head {m} still matches)", m.seq)
                });
                return problem(format!(
                    "entry {} has the hash {hash}, not {} as published: an entry up to it{after} was changed \
                     since that head was published, and the hashes after it recomputed",
                    head.seq, head.hash
                ));
            }
            Some(_) => matched = Some(head),
        }
    }
    None
}

/// Checks the head kept apart from the log (written with every entry, in the same
/// transaction) against the log's last entry: removing the last entries leaves nothing
/// after them to break the chain, but leaves this head behind. (Whoever rewrites both is
/// caught by a published head.) `None` for `recorded`: its row is gone.
pub(crate) fn check_recorded_head(log: &[AuditEntry], recorded: Option<&AuditHead>) -> Option<AuditProblem> {
    let last = log.last().map_or_else(AuditHead::empty, |e| AuditHead { seq: e.seq, hash: e.hash.clone() });
    let Some(recorded) = recorded else {
        return Some(AuditProblem {
            seq: last.seq,
            reason: "the log's head, kept apart from the log, is missing: it was deleted".into(),
        });
    };
    let (seq, reason) = match last.seq.cmp(&recorded.seq) {
        std::cmp::Ordering::Equal if last.hash == recorded.hash => return None,
        std::cmp::Ordering::Equal => (
            last.seq,
            format!(
                "the last entry's hash is {}, but the log's head, kept apart from it, is {recorded}: \
                 the entry was changed and its hash recomputed",
                last.hash
            ),
        ),
        std::cmp::Ordering::Less => (
            last.seq + 1,
            format!(
                "the log ends at entry {}, but its head, kept apart from it, is entry {}: the entries after {} \
                 were removed",
                last.seq, recorded.seq, last.seq
            ),
        ),
        std::cmp::Ordering::Greater => (
            recorded.seq + 1,
            format!(
                "the log goes on to entry {}, past its head, kept apart from it, at entry {}: the entries after \
                 {} were added without pooled",
                last.seq, recorded.seq, recorded.seq
            ),
        ),
    };
    Some(AuditProblem { seq, reason })
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

/// Now, to the second: the time the store stamps changes with.
pub fn now_utc() -> Timestamp {
    utc_from_now(0)
}

/// The time `seconds` from now (before now when negative), to the second: when a session
/// expires, or where a throttling window starts. Past the clock's range it stops there.
pub fn utc_from_now(seconds: i64) -> Timestamp {
    let now = Timestamp::now();
    let then = now.saturating_add(SignedDuration::from_secs(seconds)).unwrap_or(now);
    Timestamp::from_second(then.as_second()).unwrap_or(then)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(i: usize) -> Change<'static> {
        Change {
            area: Area::Records,
            actor: "ann",
            action: "set-forecast",
            subject: format!("forecast {i}"),
            before: String::new(),
            after: format!("outturn={i}.00"),
        }
    }

    fn chain(n: usize) -> Vec<AuditEntry> {
        let mut out: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let prev = out.last().map(|e| (e.seq, e.hash.as_str()));
            out.push(AuditEntry::next(prev, change(i), "2016-05-31T17:04:05Z".parse().unwrap()));
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
        // Recomputing every hash after it hides the edit from the chain alone.
        rechain(&mut log[1..]);
        assert_eq!(verify_chain(&log), None);
        assert_ne!(log[3].hash, chain(4)[3].hash);
    }

    #[test]
    fn heads_are_read_as_they_are_written() {
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let check = |text: &str, expected: Result<(i64, &str), &str>| {
            let got = AuditHead::parse(text);
            match expected {
                Ok((seq, hash)) => {
                    let head = got.unwrap_or_else(|e| panic!("{text}: {e}"));
                    assert_eq!((head.seq, head.hash.as_str()), (seq, hash), "{text}");
                    assert_eq!(head.to_string(), format!("{seq}:{hash}"));
                }
                Err(why) => {
                    let e = got.expect_err(text);
                    assert!(e.contains(why) && e.contains("`pooled audit head`"), "{text}: {e}");
                }
            }
        };
        check(&format!("1234:{hash}"), Ok((1234, hash)));
        check(&format!(" 7:{} ", hash.to_uppercase()), Ok((7, hash)));
        check(&format!("0:{GENESIS}"), Ok((0, GENESIS)));
        check(hash, Err("there is no `:`"));
        check(&format!("x:{hash}"), Err("not an entry number"));
        check(&format!("-1:{hash}"), Err("not negative"));
        check(&format!("12:{}", &hash[..12]), Err("not 64 hexadecimal digits"));
        check(&format!("12:{}g", &hash[..63]), Err("not 64 hexadecimal digits"));
        assert!(AuditHead::parse(&"9".repeat(500)).unwrap_err().contains("(500 characters)"));
    }

    fn head(e: &AuditEntry) -> AuditHead {
        AuditHead { seq: e.seq, hash: e.hash.clone() }
    }

    #[test]
    fn published_heads_are_found_in_the_log() {
        let log = chain(5);
        assert_eq!(verify_published(&log, &[head(&log[4]), head(&log[1]), AuditHead::empty()]), None);
        let mut wrong = head(&log[3]);
        wrong.hash = log[2].hash.clone();
        let p = verify_published(&log, &[head(&log[1]), wrong.clone()]).unwrap();
        assert_eq!(p.seq, 4);
        assert!(p.reason.contains("after entry 2, whose published head 2:"), "{}", p.reason);
        // The earliest bad head is the one named.
        let p = verify_published(&log, &[wrong, AuditHead { seq: 2, hash: GENESIS.into() }]).unwrap();
        assert_eq!(p.seq, 2);
        let p = verify_published(&log[..3], &[head(&log[4])]).unwrap();
        assert_eq!((p.seq, p.reason.contains("the log ends at entry 3")), (5, true), "{}", p.reason);
    }

    #[test]
    fn the_recorded_head_is_the_last_entry() {
        let log = chain(3);
        assert_eq!(check_recorded_head(&log, Some(&head(&log[2]))), None);
        assert_eq!(check_recorded_head(&[], Some(&AuditHead::empty())), None);
        let seqs = |recorded: Option<&AuditHead>, log: &[AuditEntry]| check_recorded_head(log, recorded).map(|p| p.seq);
        assert_eq!(seqs(Some(&head(&log[2])), &log[..2]), Some(3), "the last entry removed");
        assert_eq!(seqs(Some(&head(&log[0])), &log), Some(2), "entries added after the head");
        assert_eq!(seqs(Some(&AuditHead { seq: 3, hash: GENESIS.into() }), &log), Some(3), "the last entry replaced");
        assert_eq!(seqs(None, &log), Some(3), "the head removed");
    }

    #[test]
    fn migration_5_starts_an_empty_log_at_the_genesis_hash() {
        for migrations in [crate::schema::SQLITE, crate::schema::POSTGRES] {
            assert!(migrations[4].contains(GENESIS));
        }
    }

    #[test]
    fn the_clock_is_read_to_the_second() {
        let (now, later) = (now_utc(), utc_from_now(3600));
        assert_eq!(now.subsec_nanosecond(), 0);
        assert!((3599..=3601).contains(&(later.as_second() - now.as_second())), "{now} {later}");
        assert_eq!(utc_from_now(i64::MAX).as_second(), Timestamp::MAX.as_second());
    }

    #[test]
    fn the_time_is_hashed_as_stored() {
        // The hash that pooled made when it kept times as text: logs written then verify.
        let e = &chain(1)[0];
        assert_eq!(e.hash, "28eecaa8e3562354c0409f087732fae3a02fe5c816e5b08b349b9848b9a60adf");
        // A finer time is kept, and hashed, to the second.
        let fine = AuditEntry::next(None, change(0), Timestamp::new(e.at.as_second(), 5).unwrap());
        assert_eq!((fine.at, fine.hash.as_str()), (e.at, e.hash.as_str()));
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
