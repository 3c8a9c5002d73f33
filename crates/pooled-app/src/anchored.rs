//! What is published carries the audit log's head (`SEQ:HASH`) as of its figures: a
//! reader who keeps it can later prove the log up to it unchanged with `pooled audit
//! verify --head`, even if someone who can write to the database recomputed the chain
//! after an edit.

use pooled_store::{AuditHead, Store, StoreError, in_snapshot};

/// Figures and the audit log's head, read as of one moment.
pub struct Anchored<T> {
    pub value: T,
    pub head: AuditHead,
}

/// Runs `read` and reads the head in one [`Store::snapshot`]: the head is the log's as of
/// the figures read, not a later one (an entry made meanwhile, a sign-in say, is not in
/// them).
pub fn anchored<T, E: From<StoreError>>(
    store: &dyn Store,
    read: impl FnOnce(&dyn Store) -> Result<T, E>,
) -> Result<Anchored<T>, E> {
    in_snapshot(store, |store| Ok(Anchored { value: read(store)?, head: store.audit_head()? }))
}

/// The line that publishes a head, the same on every report, pack and statement.
pub fn head_line(head: &AuditHead) -> String {
    format!("{HEAD_LABEL}: {head}")
}

/// What the head is called where it is printed.
pub const HEAD_LABEL: &str = "Audit log head";
