//! Runs a scheme: pages from the source, the ledger check, mapping, batches to each target, the
//! per-record results into the ledger, checkpoints after the records they cover.
//!
//! The protocol that makes writes exactly-once in effect lives here (see `ARCHITECTURE.md`):
//! records are marked `in_flight` before a batch is sent; a crash leaves them `in_flight`, and the
//! next run turns them `in_doubt` and asks the target (by idempotency key) before anything is resent.

pub mod budget;
pub mod catalog;
pub mod connections;
mod decide;
mod run;
pub mod tables;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ferry_connectors::Connection;
use ferry_core::connector::ConnectorError;
use ferry_core::scheme::Scheme;
use ferry_store::{RunCounts, RunStatus, Store, StoreError};
use tokio::sync::Mutex;

pub use catalog::EngineCatalog;
pub use connections::Connections;
pub use run::{PreviewItem, RetrySelector};

/// Knobs of the engine (defaults suit production).
#[derive(Debug, Clone)]
pub struct Settings {
    /// A record that failed this many times is `dead` (re-pushed only by hand).
    pub max_attempts: u32,
    /// Retries of a transient failure (a page fetch, a batch write) before giving up.
    pub retries: u32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Idempotency keys per reconciliation query.
    pub lookup_chunk: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { max_attempts: 5, retries: 6, retry_base: Duration::from_millis(500), retry_max: Duration::from_secs(30), lookup_chunk: 100 }
    }
}

/// A run's failure as a whole (record failures are in the ledger, not here).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("connection '{connection}': {error}")]
    Connector { connection: String, error: ConnectorError },
    #[error("{0}")]
    Config(String),
}

/// What a scheme run needs: its ledger id, the compiled scheme, its text, where relative paths start.
pub struct Job<'a> {
    /// The ledger's name for this scheme: stable across renames (the CLI uses the file stem).
    pub id: &'a str,
    pub scheme: &'a Scheme,
    pub definition: &'a str,
    pub base_dir: &'a Path,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub run_id: i64,
    pub status: RunStatus,
    pub counts: RunCounts,
    pub elapsed: Duration,
    pub warnings: Vec<String>,
    /// The first failures of this run: (target, key, message).
    pub failures: Vec<(String, String, String)>,
    pub error: Option<String>,
}

/// Live feedback during a run (the CLI's progress bar).
pub trait Progress: Send + Sync {
    fn update(&self, _counts: &RunCounts) {}
    fn warn(&self, _message: &str) {}
}

/// No feedback.
pub struct Quiet;
impl Progress for Quiet {}

/// The engine: the store, the connections, and the live connections it opened (shared by runs so
/// that a connection's rate limit holds across schemes).
pub struct Engine {
    pub store: Arc<dyn Store>,
    pub connections: Connections,
    pub settings: Settings,
    live: Arc<Mutex<HashMap<String, Arc<dyn Connection>>>>,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, connections: Connections) -> Self {
        Engine { store, connections, settings: Settings::default(), live: Arc::new(Mutex::new(HashMap::new())) }
    }

    /// Use this live connection for `name` instead of opening one from its settings (tests, and
    /// embedders that build connections themselves).
    pub async fn insert_connection(&self, name: &str, conn: Arc<dyn Connection>) {
        self.live.lock().await.insert(name.to_owned(), conn);
    }

    /// The call budget of a run: counters in the store, quotas from the live connections.
    pub(crate) fn budget(&self) -> Arc<budget::StoreBudget> {
        Arc::new(budget::StoreBudget { store: self.store.clone(), live: self.live.clone() })
    }

    /// The live connection of that name (opened once, then shared).
    pub async fn connection(&self, name: &str) -> Result<Arc<dyn Connection>, EngineError> {
        let mut live = self.live.lock().await;
        if let Some(c) = live.get(name) {
            return Ok(c.clone());
        }
        let cfg = self.connections.get(name).ok_or_else(|| EngineError::Config(format!("no connection named '{name}'")))?;
        let connector = ferry_connectors::connector(&cfg.system)
            .ok_or_else(|| EngineError::Config(format!("connection '{name}': no connector for system '{}'", cfg.system)))?;
        let conn = connector.connect(cfg).map_err(|error| EngineError::Connector { connection: name.to_owned(), error })?;
        live.insert(name.to_owned(), conn.clone());
        Ok(conn)
    }
}
