//! Ledger imports started from the browser or the API run in the background, so that
//! the page can show how far a large extract has got: [`start`] checks the role, saves
//! the upload to a file and starts the job; [`pooled_app::import_ledger`] then reads it
//! on a store of the pool while the job records its progress and, at the end, its
//! outcome or every bad row.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use pooled_core::ledger::{Mapping, Period};
use pooled_store::{AgreementYear, ImportOutcome};
use tokio::io::AsyncWriteExt;

use crate::access::{self, Write};
use crate::auth::Identity;
use crate::data::Web;
use crate::error::WebError;
use pooled_app::password;

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
    /// The agreement's year it imports into.
    pub scope: AgreementYear,
    /// The partner as the upload named it (its own id, or its successor's from its date).
    pub partner: String,
    /// The body holding the partner's place at the end of the period: whose finance
    /// officers may import it and see how it went.
    pub body: String,
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
    pub fn start(&self, named: Named, period: Period, file_name: String, started_by: String) -> Arc<ImportJob> {
        let Named { scope, partner, body } = named;
        let job = Arc::new(ImportJob {
            id: self.next_id.fetch_add(1, Ordering::Relaxed) + 1,
            scope,
            partner,
            body,
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

/// Who an import is for: the agreement's year, the partner as named and the body holding
/// its place at the end of the period.
pub struct Named {
    scope: AgreementYear,
    partner: String,
    body: String,
}

/// Starts importing `partner`'s extract for `period` into the agreement's year `scope`,
/// named `file_name` by its sender, whose bytes arrive as `body`: checks the month, the
/// role (a finance officer imports for the body holding the partner's place at the end
/// of the month, a successor from its date) and the name before reading a byte of it,
/// saves it to disk, and starts the job with the partner's saved mapping.
pub async fn start<E: std::error::Error + 'static>(
    web: &Arc<Web>,
    who: &Identity,
    scope: &AgreementYear,
    partner: String,
    period: Period,
    file_name: &str,
    body: impl Stream<Item = Result<Bytes, E>> + Unpin,
) -> Result<Arc<ImportJob>, WebError> {
    if period.year != scope.year {
        return Err(WebError::Invalid(vec![format!(
            "period: {period} is not a month of {}: import it into that year of the agreement",
            scope.year
        )]));
    }
    let name =
        pooled_app::extract_file_name(file_name).map_err(|e| WebError::Invalid(vec![format!("file_name: {e}")]))?;
    // The partner and the layout first: an extract that cannot be read is not written to
    // disk at all.
    let (mapped, shared, key) = (partner.clone(), Arc::clone(web), scope.clone());
    let (acting, mapping) = web
        .stores
        .run(move |store| {
            let agreement = shared.agreement(store, &key)?;
            let last_day = period.last_day();
            let partner = agreement
                .partner_on(&mapped, last_day)
                .map_err(|e| WebError::Invalid(vec![format!("partner: {e}, in the agreement {key}")]))?;
            Ok((agreement.body_on(partner, last_day).id, store.mapping(&key.agreement, &mapped)?))
        })
        .await?;
    access::check(&who.user, Write::ImportLedger { partner: &acting }).map_err(WebError::Forbidden)?;
    let agreement = scope.agreement.clone();
    let mapping = mapping.ok_or_else(|| {
        WebError::Invalid(vec![format!(
            "No ledger layout is saved for {partner} in {agreement}: save one with \
             `pooled save-mapping --agreement {agreement} --partner {partner} --preset oracle|unit4|sap`."
        )])
    })?;
    let Upload { folder, path } = save_upload(web, &name, body).await?;
    let named = Named { scope: scope.clone(), partner, body: acting };
    let job = web.imports.start(named, period, name, who.actor().to_string());
    run(web, Arc::clone(&job), folder, path, agreement, mapping);
    Ok(job)
}

/// An upload saved to disk: `path`, the only file in its private `folder`, which its
/// user removes when done.
pub struct Upload {
    pub folder: PathBuf,
    pub path: PathBuf,
}

/// Saves `body` as `name` (checked with `pooled_app::extract_file_name`) in a private
/// folder of its own under the upload folder; nothing is left behind if it cannot.
pub async fn save_upload<E: std::error::Error + 'static>(
    web: &Web,
    name: &str,
    body: impl Stream<Item = Result<Bytes, E>> + Unpin,
) -> Result<Upload, WebError> {
    let folder = web.upload_dir.join(&password::secret()[..UPLOAD_FOLDER_NAME]);
    let path = folder.join(name);
    if let Err(e) = save(body, &folder, &path, web.max_upload_bytes).await {
        let _ = tokio::fs::remove_dir_all(&folder).await;
        return Err(e);
    }
    Ok(Upload { folder, path })
}

/// The length of an upload's folder name: hex digits, at random.
const UPLOAD_FOLDER_NAME: usize = 16;

/// Makes `dir`, where uploads wait while they are imported, and removes what a server
/// stopped in mid-import left there: the folders named as [`start`] names them, and
/// nothing else, whatever folder the server was given.
pub fn prepare_upload_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new().recursive(true).create(dir)?;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let ours = name.len() == UPLOAD_FOLDER_NAME
            && name.to_str().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        if ours && entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
            tracing::info!(folder = %entry.path().display(), "removed an upload left by a server stopped mid-import");
        }
    }
    Ok(())
}

async fn save<E: std::error::Error + 'static>(
    mut body: impl Stream<Item = Result<Bytes, E>> + Unpin,
    folder: &Path,
    path: &Path,
    max_upload_bytes: usize,
) -> Result<(), WebError> {
    let failed = |e: std::io::Error| WebError::Internal(format!("saving the upload {}: {e}", path.display()));
    let mut private = tokio::fs::DirBuilder::new();
    private.recursive(true);
    // Ledgers name people and payments: only the server's own user may read the uploads.
    #[cfg(unix)]
    private.mode(0o700);
    private.create(folder).await.map_err(failed)?;
    let mut file = tokio::fs::File::create(path).await.map_err(failed)?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| crate::edge::body_error(&e, max_upload_bytes))?;
        file.write_all(&chunk).await.map_err(failed)?;
    }
    file.flush().await.map_err(failed)
}

/// Imports the saved upload `file` in the background, then deletes it (and its folder,
/// which holds nothing else). The job's failure lines name the file as the user did.
fn run(web: &Arc<Web>, job: Arc<ImportJob>, folder: PathBuf, file: PathBuf, agreement: String, mapping: Mapping) {
    let web = Arc::clone(web);
    let prefix = format!("{}/", folder.display());
    let upload = folder.clone();
    let imported = async move {
        let progress_job = Arc::clone(&job);
        let (partner, period, actor) = (job.partner.clone(), job.period, job.started_by.clone());
        let outcome = web
            .stores
            .run(move |store| {
                let request = pooled_app::ImportRequest {
                    agreement: &agreement,
                    partner: &partner,
                    period,
                    path: &file,
                    mapping,
                    actor: &actor,
                };
                let mut progress = |read: u64, total: u64| {
                    progress_job.read.store(read, Ordering::Relaxed);
                    progress_job.total.store(total, Ordering::Relaxed);
                };
                let outcome = pooled_app::import_ledger(store, &request, &mut progress).map_err(WebError::input);
                // Here rather than after: a server stopping waits for this blocking work
                // to end, but not for the task awaiting it.
                let _ = std::fs::remove_dir_all(&folder);
                outcome
            })
            .await;
        // In case the work never ran (the database could not be reached).
        let _ = tokio::fs::remove_dir_all(&upload).await;
        job.finish(match outcome {
            Ok(done) => JobState::Done(done),
            Err(WebError::Invalid(lines)) => {
                JobState::Failed(lines.into_iter().map(|l| l.replacen(&prefix, "", 1)).collect())
            }
            Err(other) => {
                // The details (a database error, a path) are for the server's log, not the page.
                tracing::error!(cause = ?other, job = job.id, file = %job.file_name, partner = %job.partner, "import failed");
                let why = "The import could not be finished because of a problem on the server; nothing was \
                           written. Try again, and if it happens again tell whoever runs the service.";
                JobState::Failed(vec![why.to_string()])
            }
        });
        // Now that the job is done: copying a large import out of SQLite's write-ahead log
        // takes seconds, which nobody should wait for (left to it, the next sign-in would).
        if let Err(e) = web.stores.run(|store| Ok(store.checkpoint()?)).await {
            tracing::warn!(cause = ?e, job = job.id, "checkpoint after the import failed");
        }
    };
    // Its log lines carry the id of the request that started it.
    tokio::spawn(tracing::Instrument::in_current_span(imported));
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
