//! What the simulator saw and served (`GET /__sim/stats`, [`crate::JackyunSim::stats`]).

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

/// How many recent calls [`SimStats::recent`] keeps.
pub const RECENT_CALLS: usize = 1000;

/// Counters and a log of recent calls. Never contains a secret.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SimStats {
    /// Gateway requests received (including dropped and failed ones).
    pub requests: u64,
    /// Per method named in a request.
    pub methods: BTreeMap<String, MethodStats>,
    /// Requests per appkey as sent (known or not).
    pub appkeys: BTreeMap<String, u64>,
    /// Failure envelopes per subCode.
    pub errors: BTreeMap<String, u64>,
    /// Injected faults and limits that fired.
    pub faults: FaultStats,
    /// The last [`RECENT_CALLS`] requests, oldest first.
    pub recent: VecDeque<CallRecord>,
}

/// Counters of one method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MethodStats {
    /// Requests naming this method.
    pub calls: u64,
    /// Answered with `code: 200`.
    pub ok: u64,
    /// Answered with `code: 0` (or HTTP 429 for throttles).
    pub failed: u64,
    /// Top-level records served (documents, rows).
    pub records_served: u64,
}

/// Counters of injected faults and limits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FaultStats {
    /// Requests delayed by the latency fault.
    pub delayed: u64,
    /// Connections reset without a response.
    pub dropped: u64,
    /// HTTP 5xx answers.
    pub http_errors: u64,
    /// Throttled by the burst or rate fault.
    pub throttled: u64,
    /// Throttled by the per-appkey QPS limit.
    pub qps_limited: u64,
    /// Quota-exhausted answers (fault or daily quota).
    pub quota_exhausted: u64,
    /// Tenant-disabled answers.
    pub tenant_disabled: u64,
    /// Hystrix-style transient errors.
    pub transient_errors: u64,
    /// Pages where the "ignores pageIndex" fault served the first page instead.
    pub page_index_ignored: u64,
}

/// One request as the simulator handled it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CallRecord {
    /// Request sequence number within the current fault setting.
    pub seq: u64,
    /// `method` as sent.
    pub method: Option<String>,
    /// `appkey` as sent.
    pub appkey: Option<String>,
    /// `ok`, `error`, `dropped` or `http_error`.
    pub outcome: String,
    /// subCode of a failure.
    pub sub_code: Option<String>,
    /// HTTP status answered (none for a dropped connection).
    pub http_status: Option<u16>,
    /// Page index requested, for flat-paged methods.
    pub page_index: Option<i64>,
    /// Records served.
    pub records: u64,
    /// Business keys served (e.g. `stocktakeId`s), at most 200.
    pub keys: Vec<String>,
}

impl SimStats {
    /// Adds one finished request.
    pub(crate) fn record(&mut self, rec: CallRecord) {
        self.requests += 1;
        if let Some(a) = &rec.appkey {
            *self.appkeys.entry(truncate(a)).or_default() += 1;
        }
        if let Some(m) = &rec.method {
            let s = self.methods.entry(truncate(m)).or_default();
            s.calls += 1;
            match rec.outcome.as_str() {
                "ok" => s.ok += 1,
                "error" => s.failed += 1,
                _ => {}
            }
            s.records_served += rec.records;
        }
        if let Some(c) = &rec.sub_code {
            *self.errors.entry(c.clone()).or_default() += 1;
        }
        if self.recent.len() == RECENT_CALLS {
            self.recent.pop_front();
        }
        self.recent.push_back(rec);
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_count_per_method_and_keep_a_bounded_log() {
        let mut s = SimStats::default();
        for i in 0..(RECENT_CALLS as u64 + 5) {
            s.record(CallRecord {
                seq: i,
                method: Some("wms.stocktake.get".into()),
                appkey: Some("k".into()),
                outcome: if i % 2 == 0 { "ok" } else { "error" }.into(),
                sub_code: (i % 2 == 1).then(|| "0858030801".to_string()),
                records: 2,
                ..CallRecord::default()
            });
        }
        let m = &s.methods["wms.stocktake.get"];
        assert_eq!(m.calls, RECENT_CALLS as u64 + 5);
        assert_eq!(m.ok + m.failed, m.calls);
        assert_eq!(s.recent.len(), RECENT_CALLS);
        assert_eq!(s.recent[0].seq, 5);
        assert_eq!(s.errors["0858030801"], m.failed);
    }
}
