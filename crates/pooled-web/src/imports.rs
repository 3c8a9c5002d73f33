//! Ledger imports started from the browser (or the API) run in the background, so that
//! the page can show how far a large extract has got: the upload is saved to a file,
//! then [`pooled_app::import_ledger`] reads it on a store of the pool while the job
//! here records its progress and, at the end, its outcome or every bad row.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use pooled_core::ledger::Period;
use pooled_store::ImportOutcome;

use crate::data::Web;
use crate::error::WebError;

/// Jobs kept for their pages to show; older ones are forgotten (the import itself is in
/// the store, listed with the year's imports).
const KEPT: usize = 100;

#[derive(Default)]
pub struct Jobs {
    next_id: AtomicU64,
    recent: Mutex<VecDeque<Arc<ImportJob>>>,
}

pub struct ImportJob {
    pub id: u64,
    pub partner: String,
    pub period: Period,
    /// As the user's computer named it.
    pub file_name: String,
    pub started_by: String,
    read: AtomicU64,
    total: AtomicU64,
    state: Mutex<JobState>,
}

#[derive(Clone)]
pub enum JobState {
    Running,
    Done(ImportOutcome),
    /// Bad rows or another refusal; nothing was written.
    Failed(Vec<String>),
}

impl Jobs {
    pub fn start(&self, partner: String, period: Period, file_name: String, started_by: String) -> Arc<ImportJob> {
        let job = Arc::new(ImportJob {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            partner,
            period,
            file_name,
            started_by,
            read: AtomicU64::new(0),
            total: AtomicU64::new(0),
            state: Mutex::new(JobState::Running),
        });
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back(Arc::clone(&job));
        job
    }

    pub fn get(&self, id: u64) -> Option<Arc<ImportJob>> {
        self.recent.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|j| j.id == id).cloned()
    }
}

impl ImportJob {
    /// (bytes read, bytes in the file).
    pub fn progress(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }

    pub fn state(&self) -> JobState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn finish(&self, state: JobState) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = state;
    }
}

/// Imports the saved upload `file` in the background, then deletes it (and its folder,
/// which holds nothing else). The job's failure lines name the file as the user did.
pub fn run(web: &Arc<Web>, job: Arc<ImportJob>, folder: PathBuf, file: PathBuf, mapping: pooled_core::ledger::Mapping) {
    let web = Arc::clone(web);
    tokio::spawn(async move {
        let progress_job = Arc::clone(&job);
        let (partner, period, actor) = (job.partner.clone(), job.period, job.started_by.clone());
        let path = file.clone();
        let outcome = web
            .stores
            .run(move |store| {
                let request =
                    pooled_app::ImportRequest { partner: &partner, period, path: &path, mapping, actor: &actor };
                let mut progress = |read: u64, total: u64| {
                    progress_job.read.store(read, Ordering::Relaxed);
                    progress_job.total.store(total, Ordering::Relaxed);
                };
                pooled_app::import_ledger(store, &request, &mut progress).map_err(WebError::input)
            })
            .await;
        let prefix = format!("{}/", folder.display());
        job.finish(match outcome {
            Ok(done) => JobState::Done(done),
            Err(WebError::Invalid(lines)) => {
                JobState::Failed(lines.into_iter().map(|l| l.replacen(&prefix, "", 1)).collect())
            }
            Err(other) => JobState::Failed(vec![format!("{other:?}")]),
        });
        let _ = tokio::fs::remove_dir_all(&folder).await;
    });
}

/// A bad row as the import reports it, `file:row:col: error: COLUMN: message`, in its
/// parts for a table; `None` for a message about the whole file.
pub struct BadRow<'a> {
    pub row: &'a str,
    pub column: &'a str,
    pub message: &'a str,
}

pub fn bad_row<'a>(line: &'a str, file_name: &str) -> Option<BadRow<'a>> {
    let rest = line.strip_prefix(file_name)?.strip_prefix(':')?;
    let (row, rest) = rest.split_once(':')?;
    let (_column_number, rest) = rest.split_once(':')?;
    let rest = rest.strip_prefix(" error: ")?;
    let (column, message) = rest.split_once(": ")?;
    row.bytes().all(|b| b.is_ascii_digit()).then_some(BadRow { row, column, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_rows_split_into_row_column_and_message() {
        let line = "occ-2016-07.csv:12:3: error: Amount: `12.3.4` is not an amount";
        let bad = bad_row(line, "occ-2016-07.csv").expect("a row");
        assert_eq!((bad.row, bad.column, bad.message), ("12", "Amount", "`12.3.4` is not an amount"));
        assert!(bad_row("occ-2016-07.csv: cannot read: gone", "occ-2016-07.csv").is_none());
        assert!(bad_row("unknown partner `X` in the 2016-17 agreement", "occ-2016-07.csv").is_none());
    }
}
