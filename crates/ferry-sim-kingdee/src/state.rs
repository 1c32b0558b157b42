//! The mutable state behind one lock, and the per-call context handed to operations.

use std::collections::{HashSet, VecDeque};

use serde_json::Value;

use crate::clock;
use crate::config::KingdeeSimConfig;
use crate::faults::FaultState;
use crate::model::SimData;
use crate::sessions::Sessions;
use crate::stats::SimStats;

/// How many async-mode results `QueryAsyncResult` can still find.
const MAX_TASKS: usize = 1000;

/// Everything that changes while the simulator runs.
#[derive(Debug)]
pub(crate) struct State {
    /// The account's data.
    pub data: SimData,
    /// Sessions.
    pub sessions: Sessions,
    /// Faults and their draws.
    pub faults: FaultState,
    /// Counters.
    pub stats: SimStats,
    /// Results of async-mode calls by task id.
    pub tasks: VecDeque<(String, Value)>,
    /// Hashes of packages seen with `ValidateRepeatJson`.
    pub seen_packages: HashSet<u64>,
    /// Set by operations that changed `data` (persistence picks it up).
    pub dirty: bool,
}

impl State {
    pub(crate) fn new(cfg: &KingdeeSimConfig, data: SimData) -> Self {
        Self {
            data,
            sessions: Sessions::new(cfg.session_ttl),
            faults: FaultState::new(cfg.faults.clone()),
            stats: SimStats::default(),
            tasks: VecDeque::new(),
            seen_packages: HashSet::new(),
            dirty: false,
        }
    }

    /// Keeps an async-mode result for `QueryAsyncResult`.
    pub(crate) fn keep_task(&mut self, id: String, result: Value) {
        if self.tasks.len() >= MAX_TASKS {
            self.tasks.pop_front();
        }
        self.tasks.push_back((id, result));
    }

    /// Stats with the live gauges filled in.
    pub(crate) fn stats_snapshot(&self) -> SimStats {
        let mut s = self.stats.clone();
        s.live_sessions = self.sessions.len();
        s.bills = self
            .data
            .bills
            .iter()
            .map(|(k, v)| (k.clone(), v.len()))
            .collect();
        s
    }
}

/// Per-call context of an operation.
#[derive(Debug)]
pub(crate) struct OpCtx<'a> {
    /// Configuration.
    pub cfg: &'a KingdeeSimConfig,
    /// Now, `yyyy-MM-ddTHH:mm:ss` (UTC+8).
    pub now: String,
    /// Today at midnight.
    pub today: String,
}

impl<'a> OpCtx<'a> {
    pub(crate) fn new(cfg: &'a KingdeeSimConfig) -> Self {
        Self {
            cfg,
            now: clock::now(),
            today: clock::today(),
        }
    }
}
