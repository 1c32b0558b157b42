//! Plain data the store keeps.

use serde::{Deserialize, Serialize};

/// The state of one source record for one target.
///
/// Transitions (the engine enforces them; the store just keeps them):
/// `new → filtered` (a `where` dropped it), `new/failed/changed → in_flight → written | failed`,
/// `in_flight → in_doubt` (crash or timeout) `→ written` (found in the target) `| in_flight` (resent),
/// `failed → dead` (attempts exhausted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LedgerState {
    New,
    Filtered,
    InFlight,
    Written,
    Failed,
    InDoubt,
    Dead,
}

impl LedgerState {
    pub const ALL: [LedgerState; 7] = [
        LedgerState::New,
        LedgerState::Filtered,
        LedgerState::InFlight,
        LedgerState::Written,
        LedgerState::Failed,
        LedgerState::InDoubt,
        LedgerState::Dead,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LedgerState::New => "new",
            LedgerState::Filtered => "filtered",
            LedgerState::InFlight => "in_flight",
            LedgerState::Written => "written",
            LedgerState::Failed => "failed",
            LedgerState::InDoubt => "in_doubt",
            LedgerState::Dead => "dead",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.replace('-', "_");
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl std::fmt::Display for LedgerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of the ledger: one source record (by key) for one target of one scheme.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub scheme: String,
    pub target: String,
    pub key: String,
    /// Content hash of the source record (hex).
    pub hash: String,
    pub state: LedgerState,
    /// The idempotency key the target holds (e.g. Kingdee `FBillNo`), once the record was mapped.
    pub idem_key: Option<String>,
    /// The target's internal id and document number after a write.
    pub target_id: Option<String>,
    pub target_number: Option<String>,
    pub attempts: u32,
    /// The last error, the target's own words (never a secret).
    pub last_error: Option<String>,
    /// The run that last touched this row.
    pub run_id: Option<i64>,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
    /// The source record (JSON text) while its write has not succeeded (`failed`, `in_doubt`,
    /// `dead`), so that it can be written again by hand (`ferry retry`); `None` once written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<String>,
}

/// A filter for [`crate::Store::ledger_list`].
#[derive(Debug, Clone, Default)]
pub struct LedgerFilter {
    pub scheme: String,
    pub target: Option<String>,
    pub state: Option<LedgerState>,
    pub key: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Run,
    Retry,
    Preview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    /// Finished; every record written, filtered or skipped.
    Succeeded,
    /// Finished, but some records failed (see the ledger).
    Partial,
    /// Stopped by an error (auth, config, store) before the source was exhausted.
    Failed,
    /// Stopped cleanly because a daily call quota was reached; the next run resumes.
    QuotaExhausted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::QuotaExhausted => "quota_exhausted",
        }
    }
}

/// Counters of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunCounts {
    pub fetched: u64,
    pub filtered: u64,
    pub skipped: u64,
    pub written: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i64,
    pub scheme: String,
    pub kind: RunKind,
    pub status: RunStatus,
    pub counts: RunCounts,
    pub error: Option<String>,
    /// Unix milliseconds.
    pub started_at: i64,
    pub finished_at: Option<i64>,
}
