//! The board's records: the register (seat changes, deputies, urgent
//! decisions) and one file per meeting, kept by the store as versioned documents that
//! the core reads and writes. A save names the version it edited, so two people
//! recording the same meeting cannot overwrite each other (the store refuses the later).
//! Each meeting is read against the register, so a change to either is checked against
//! the other and saved in one store transaction: two saves at once cannot leave a
//! meeting at odds with the register.

use pooled_core::agreement::{Agreement, Board};
use pooled_core::calendar::Date;
use pooled_core::governance::{
    Meeting, MeetingChange, MeetingCheck, RatificationStatus, Register, RegisterChange, ReportChange, check_meeting,
    ratification,
};
use pooled_store::{AgreementYear, DocumentSave, Store, in_snapshot, in_transaction};

use crate::{AppError, Result, agreement, agreement_year};

/// The store's kinds of governance document.
pub const REGISTER: &str = "board-register";
pub const MEETING: &str = "meeting";

/// An agreement's board for a year: the agreement, register and meetings.
pub struct Records {
    pub agreement: Agreement,
    pub register: Register,
    /// The stored register's version; `None` while the agreement's constitution is all
    /// there is.
    pub register_version: Option<u32>,
    /// In date order.
    pub meetings: Vec<MeetingRecord>,
}

pub struct MeetingRecord {
    pub version: u32,
    pub meeting: Meeting,
    /// The board as it stood on the meeting's day.
    pub board: Board,
    pub check: MeetingCheck,
}

impl Records {
    pub fn meeting(&self, date: Date) -> Option<&MeetingRecord> {
        self.meetings.iter().find(|m| m.meeting.date == date)
    }

    /// Each urgent decision of the register with its ratification by these meetings.
    pub fn ratifications(&self) -> Vec<(String, RatificationStatus)> {
        let checked: Vec<(Meeting, MeetingCheck)> =
            self.meetings.iter().map(|m| (m.meeting.clone(), m.check.clone())).collect();
        ratification(&self.register, &checked)
    }
}

/// The register's key among the documents: the agreement's id and year,
/// `oxon-s75/2016-17`.
pub fn register_key(key: &AgreementYear) -> String {
    format!("{}/{}", key.agreement, key.year)
}

/// A meeting's key among the documents: `oxon-s75/2016-17/2016-09-15`.
pub fn meeting_key(key: &AgreementYear, date: Date) -> String {
    format!("{}/{date}", register_key(key))
}

/// What the keys of an agreement's meetings for a year start with.
fn meetings_prefix(key: &AgreementYear) -> String {
    format!("{}/", register_key(key))
}

/// The board records of an agreement's year, each meeting checked against the board of
/// its day. Read as of one moment, so the register and the meetings agree.
pub fn records(store: &dyn Store, key: &AgreementYear) -> Result<Records> {
    in_snapshot(store, |store| {
        let agreement = agreement(store, key)?;
        let (register, register_version) = stored_register(store, &agreement)?;
        let mut meetings = Vec::new();
        for stored in store.documents(MEETING, &meetings_prefix(key))? {
            let (meeting, _) = Meeting::parse_with_register(&stored.text, &agreement, &register).map_err(|e| {
                AppError::Input(
                    e.iter().map(|d| d.render(&format!("stored meeting {}", stored.key), &stored.text)).collect(),
                )
            })?;
            let board = register.board_on(meeting.date);
            let check = check_meeting(&agreement, &board, &meeting);
            meetings.push(MeetingRecord { version: stored.version, meeting, board, check });
        }
        meetings.sort_by_key(|m| m.meeting.date);
        Ok(Records { agreement, register, register_version, meetings })
    })
}

/// The register of the agreement's year as stored, and its version; the agreement's
/// constitution alone (version `None`) while none is stored.
fn stored_register(store: &dyn Store, agreement: &Agreement) -> Result<(Register, Option<u32>)> {
    let key = agreement_year(agreement);
    let year = key.year;
    let board = agreement
        .board()
        .cloned()
        .ok_or_else(|| AppError::Input(vec![format!("the agreement {key} has no [board], so it has no records")]))?;
    match store.document(REGISTER, &register_key(&key))? {
        Some(stored) => {
            let (register, _) = Register::parse(&stored.text, agreement).map_err(|e| {
                AppError::Input(e.iter().map(|d| d.render(&format!("stored register {key}"), &stored.text)).collect())
            })?;
            Ok((register, Some(stored.version)))
        }
        None => Ok((Register::new(board, year.first_day(), Vec::new(), Vec::new()).map_err(AppError::Input)?, None)),
    }
}

/// Saves the register as edited from `expected` (its version when read; `None` for the
/// first). It is written out and read back first, and every meeting of its year is read
/// against it, so a register the core refuses, or one that would leave a recorded
/// meeting unreadable (a vote by a seat it empties or makes non-voting), is never stored.
/// The meetings are read and the register saved in one transaction: a meeting saved
/// meanwhile is checked too.
pub fn save_register(
    store: &mut dyn Store,
    agreement: &Agreement,
    expected: Option<u32>,
    register: &Register,
    actor: &str,
) -> Result<DocumentSave> {
    let text = register.to_toml(agreement);
    Register::parse(&text, agreement).map_err(|e| rendered("register", &text, &e))?;
    let key = agreement_year(agreement);
    in_transaction(store, |store| {
        for stored in store.documents(MEETING, &meetings_prefix(&key))? {
            Meeting::parse_with_register(&stored.text, agreement, register).map_err(|e| {
                let mut lines = vec![format!(
                    "this change to the register would leave the recorded meeting {} at odds with it; nothing was \
                     saved:",
                    stored.key
                )];
                lines.extend(e.iter().map(|d| d.render(&format!("meeting {}", stored.key), &stored.text)));
                AppError::Input(lines)
            })?;
        }
        Ok(store.save_document(REGISTER, &register_key(&key), expected, &text, actor)?)
    })
}

/// Saves a meeting as edited from `expected`, checked first against the register as
/// stored when it is saved (read in the same transaction, so a register change saved
/// meanwhile is checked too).
pub fn save_meeting(
    store: &mut dyn Store,
    agreement: &Agreement,
    expected: Option<u32>,
    meeting: &Meeting,
    actor: &str,
) -> Result<DocumentSave> {
    let text = meeting.to_toml(agreement);
    let key = meeting_key(&agreement_year(agreement), meeting.date);
    in_transaction(store, |store| {
        let (register, _) = stored_register(store, agreement)?;
        Meeting::parse_with_register(&text, agreement, &register).map_err(|e| rendered("meeting", &text, &e))?;
        Ok(store.save_document(MEETING, &key, expected, &text, actor)?)
    })
}

/// Makes `change` to the register of an agreement's year as edited from `expected` (its version when
/// read; `None` for the first), checked by the core against the register and the
/// agreement, and saved as [`save_register`] saves. The records are read and the change
/// saved in one transaction. Gives the day the change takes effect.
pub fn change_register(
    store: &mut dyn Store,
    key: &AgreementYear,
    expected: Option<u32>,
    change: RegisterChange,
    actor: &str,
) -> Result<Date> {
    let on = change.on();
    in_transaction(store, |store| {
        let records = records(store, key)?;
        let changed = records.register.apply(&records.agreement, change).map_err(AppError::Input)?;
        save_register(store, &records.agreement, expected, &changed, actor)
    })?;
    Ok(on)
}

/// Makes `change` to the reports in the register of an agreement's year (a plan is
/// reported to a meeting recorded that year), as [`change_register`] makes a change.
pub fn change_reports(
    store: &mut dyn Store,
    key: &AgreementYear,
    expected: Option<u32>,
    change: ReportChange,
    actor: &str,
) -> Result<DocumentSave> {
    in_transaction(store, |store| {
        let records = records(store, key)?;
        let meetings: Vec<Date> = records.meetings.iter().map(|m| m.meeting.date).collect();
        let changed = records.register.apply_report(&records.agreement, change, &meetings).map_err(AppError::Input)?;
        save_register(store, &records.agreement, expected, &changed, actor)
    })
}

/// Records a meeting of the board of an agreement's year on `date`, with nothing recorded
/// yet.
pub fn schedule_meeting(store: &mut dyn Store, key: &AgreementYear, date: Date, actor: &str) -> Result<DocumentSave> {
    let meeting = Meeting::scheduled(key.year, date).map_err(AppError::Input)?;
    in_transaction(store, |store| {
        let agreement = agreement(store, key)?;
        save_meeting(store, &agreement, None, &meeting, actor)
    })
}

/// Makes `change` to the meeting of `date` as edited from `expected`, checked by the core
/// and saved as [`save_meeting`] saves, in one transaction with reading it.
pub fn change_meeting(
    store: &mut dyn Store,
    key: &AgreementYear,
    date: Date,
    expected: Option<u32>,
    change: MeetingChange,
    actor: &str,
) -> Result<DocumentSave> {
    in_transaction(store, |store| {
        let records = records(store, key)?;
        let record = records.meeting(date).ok_or_else(|| AppError::NotFound(format!("No meeting on {date}.")))?;
        let changed = record.meeting.apply(&records.agreement, change).map_err(AppError::Input)?;
        save_meeting(store, &records.agreement, expected, &changed, actor)
    })
}

fn rendered(what: &str, text: &str, diagnostics: &[pooled_core::diagnostic::Diagnostic]) -> AppError {
    AppError::Input(diagnostics.iter().map(|d| d.render(what, text)).collect())
}
