//! Counters shown by `GET /__sim/stats` and [`crate::KingdeeSim::stats`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the simulator has seen since start (or the last reset).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    /// HTTP requests to kdsvc services (all services, including failed ones).
    pub requests: u64,
    /// Calls per operation (`ValidateUser`, `BatchSave`, `ExecuteBillQuery`, ...).
    pub calls: BTreeMap<String, u64>,
    /// Successful logins (any login service).
    pub logins_ok: u64,
    /// Refused logins.
    pub logins_failed: u64,
    /// Sessions opened (logins and first signed calls).
    pub sessions_created: u64,
    /// Sessions found idle past the TTL or expired by a fault or the hook.
    pub sessions_expired: u64,
    /// Business calls answered with MsgCode 1 (session lost).
    pub session_lost_responses: u64,
    /// Live sessions right now.
    pub live_sessions: usize,
    /// Injected faults by kind (`drop`, `http_5xx`, `response_error`, `call_limit`, `edit_lock`,
    /// `expire_sessions`, `commit_then_drop`, `commit_then_5xx`, `waf`).
    pub faults: BTreeMap<String, u64>,
    /// Save/BatchSave models saved.
    pub models_saved: u64,
    /// Save/BatchSave models refused.
    pub models_failed: u64,
    /// Bills stored per form right now.
    pub bills: BTreeMap<String, usize>,
}

impl SimStats {
    /// Counts one call of `op`.
    pub(crate) fn call(&mut self, op: &str) {
        self.requests += 1;
        *self.calls.entry(op.to_string()).or_default() += 1;
    }

    /// Counts one injected fault.
    pub(crate) fn fault(&mut self, kind: &str) {
        *self.faults.entry(kind.to_string()).or_default() += 1;
    }
}
