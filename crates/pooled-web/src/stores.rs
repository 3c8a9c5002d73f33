//! A small pool of opened stores. The store is synchronous (rusqlite, the blocking
//! postgres client) and not `Sync`, so each request borrows one whole store on a blocking
//! thread and gives it back afterwards; at most `size` requests use the database at once,
//! the rest wait their turn without holding a thread.

use std::sync::{Arc, Mutex};

use pooled_store::{Store, StoreError};
use tokio::sync::Semaphore;

use crate::error::WebError;

/// Opens one more store on the same database: `pooled_store::open` on the location the
/// server was given, or (in tests) a store in a schema of its own.
pub type Opener = Box<dyn Fn() -> Result<Box<dyn Store + Send>, StoreError> + Send + Sync>;

pub struct StorePool {
    open: Opener,
    idle: Mutex<Vec<Box<dyn Store + Send>>>,
    permits: Arc<Semaphore>,
}

impl StorePool {
    /// A pool of at most `size` stores, starting with `first` (opened by the caller to
    /// check the database is there before the server starts); the others are opened when
    /// first needed.
    pub fn new(open: Opener, first: Box<dyn Store + Send>, size: usize) -> StorePool {
        StorePool { open, idle: Mutex::new(vec![first]), permits: Arc::new(Semaphore::new(size.max(1))) }
    }

    /// Runs `work` on a store, on a blocking thread. A store whose work failed with a
    /// database error is closed rather than reused: after a PostgreSQL restart its
    /// connection is dead, and a fresh one is opened for the next request.
    pub async fn run<T, F>(self: &Arc<Self>, work: F) -> Result<T, WebError>
    where
        T: Send + 'static,
        F: FnOnce(&mut dyn Store) -> Result<T, WebError> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| WebError::Unavailable("the server is stopping".into()))?;
        let pool = Arc::clone(self);
        blocking(move || {
            // Held until the work ends, even if the request was given up before then. A
            // panic in `work` drops its store with it.
            let _permit = permit;
            let idle = pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let mut store = match idle {
                Some(store) => store,
                None => (pool.open)().map_err(|e| WebError::Unavailable(e.to_string()))?,
            };
            let out = work(store.as_mut());
            if !matches!(out, Err(WebError::Store(StoreError::Database(_)))) {
                pool.idle.lock().unwrap_or_else(|e| e.into_inner()).push(store);
            }
            out
        })
        .await
    }
}

/// Runs `work` on a blocking thread: what takes the processor for long (a report, a
/// settlement, a page of thousands of rows, a workbook) is done there, so the async
/// threads stay free to answer other requests. A panic in `work` is a server error.
pub async fn blocking<T, F>(work: F) -> Result<T, WebError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, WebError> + Send + 'static,
{
    let joined = tokio::task::spawn_blocking(work).await;
    joined.map_err(|e| WebError::Internal(format!("the request's work stopped: {e}")))?
}
