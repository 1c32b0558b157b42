//! Ferry's store: schemes, runs, checkpoints, call counters and the per-record ledger.
//!
//! [`Store`] is the interface the engine and the CLI use; [`SqliteStore`] is the embedded default
//! (one file under the data dir, WAL mode, migrations embedded in the binary).

mod model;
mod sqlite;

pub use model::*;
pub use sqlite::SqliteStore;

/// A store failure. Messages name the operation; they never contain record payloads or secrets.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store: {op}: {source}")]
    Db {
        op: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("store: migrating {path}: {source}")]
    Migrate {
        path: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("store: cannot create the data dir {path}: {source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Corrupt(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything Ferry persists. All methods are safe to call concurrently.
#[async_trait::async_trait]
pub trait Store: Send + Sync {
    /// Record (or update) a scheme's definition; returns its id. `name` is the scheme's unique id
    /// (the file stem or the name the user gave it).
    async fn upsert_scheme(&self, name: &str, definition: &str) -> Result<i64>;

    /// Begin a run of a scheme.
    async fn start_run(&self, scheme: &str, kind: RunKind) -> Result<i64>;
    /// Finish a run with its final counts, status and (if it failed) error.
    async fn finish_run(&self, run_id: i64, status: RunStatus, counts: &RunCounts, error: Option<&str>) -> Result<()>;
    /// The most recent runs of a scheme, newest first.
    async fn list_runs(&self, scheme: &str, limit: u32) -> Result<Vec<RunRow>>;

    /// The committed source checkpoint of a scheme, if any.
    async fn load_checkpoint(&self, scheme: &str) -> Result<Option<serde_json::Value>>;
    /// Commit a checkpoint. The engine calls this only after the records it covers are in the ledger.
    async fn save_checkpoint(&self, scheme: &str, checkpoint: &serde_json::Value) -> Result<()>;

    /// The ledger rows of these keys for one target (missing keys are simply absent).
    async fn ledger_get(&self, scheme: &str, target: &str, keys: &[String]) -> Result<Vec<LedgerEntry>>;
    /// Insert or replace these rows, all in one transaction.
    async fn ledger_put(&self, entries: &[LedgerEntry]) -> Result<()>;
    /// Rows matching a filter, ordered by (target, key), paged.
    async fn ledger_list(&self, filter: &LedgerFilter) -> Result<Vec<LedgerEntry>>;
    /// Row counts per (target, state) for a scheme.
    async fn ledger_counts(&self, scheme: &str) -> Result<Vec<(String, LedgerState, u64)>>;
    /// Mark every `in_flight` row of a scheme as `in_doubt` (start of a run after a crash); returns how many.
    async fn ledger_in_flight_to_in_doubt(&self, scheme: &str) -> Result<u64>;

    /// Add one to the call counter of (connection, method, day) and return the new count.
    /// `day` is the Beijing-time civil date `YYYY-MM-DD` the caller computed.
    async fn count_call(&self, connection: &str, method: &str, day: &str) -> Result<u64>;
    /// Current value of a call counter (0 when none).
    async fn call_count(&self, connection: &str, method: &str, day: &str) -> Result<u64>;
}
