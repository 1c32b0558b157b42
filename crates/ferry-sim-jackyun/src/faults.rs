//! Fault injection: what can go wrong on demand, decided deterministically from a fault seed.
//!
//! Every gateway request gets a sequence number `n` (reset to 0 whenever the faults are set).
//! A fault of kind `k` with rate `r` hits request `n` when
//! `unit(mix(seed ^ mix(n ^ salt(k)))) < r`: the same seed and the same request order give the
//! same faults, run after run.

use serde::{Deserialize, Serialize};

use crate::prng::{mix, unit_f64};

/// The faults to inject. All default to off. Accepted as JSON by `POST /__sim/faults`
/// (missing fields take their defaults; unknown fields are rejected).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Seed of the fault decisions.
    pub seed: u64,
    /// Fraction (0..=1) of authenticated calls answered with the throttle envelope.
    pub throttle_rate: f64,
    /// Throttle the next N authenticated calls (a burst), before `throttle_rate` applies.
    pub throttle_burst: u32,
    /// Answer throttles (rate, burst and QPS) with HTTP 429 instead of an HTTP 200 envelope.
    pub throttle_http_429: bool,
    /// Answer every authenticated call with the quota-exhausted envelope (`额度不足`).
    pub quota_exhausted: bool,
    /// Fraction (0..=1) of requests answered with an HTTP `error_status` (before any checks).
    pub error_rate: f64,
    /// HTTP status of injected errors, 500..=599 (default 502).
    pub error_status: u16,
    /// Fixed delay added to every gateway request, in milliseconds.
    pub latency_ms: u64,
    /// Extra delay in `0..=latency_jitter_ms` milliseconds, deterministic per request.
    pub latency_jitter_ms: u64,
    /// Fraction (0..=1) of requests whose TCP connection is reset without a response.
    pub drop_rate: f64,
    /// Reset the connection of the next N requests.
    pub drop_next: u32,
    /// The "ignores pageIndex" bug: flat-paged methods always serve their first page.
    pub ignore_page_index: bool,
    /// Answer every authenticated call with `0130000609` (tenant without the open platform).
    pub tenant_disabled: bool,
    /// Fraction (0..=1) of authenticated calls answered `code 0` with the Hystrix-style message
    /// `short-circuited and fallback failed.` (a transient error).
    pub transient_error_rate: f64,
    /// Per-appkey limit in calls per second (token bucket, burst = max(1, ceil(qps))); excess
    /// calls get the throttle envelope. `None` = unlimited.
    pub qps_limit: Option<f64>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            seed: 0,
            throttle_rate: 0.0,
            throttle_burst: 0,
            throttle_http_429: false,
            quota_exhausted: false,
            error_rate: 0.0,
            error_status: 502,
            latency_ms: 0,
            latency_jitter_ms: 0,
            drop_rate: 0.0,
            drop_next: 0,
            ignore_page_index: false,
            tenant_disabled: false,
            transient_error_rate: 0.0,
            qps_limit: None,
        }
    }
}

impl Faults {
    /// Checks rates and the status; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("throttle_rate", self.throttle_rate),
            ("error_rate", self.error_rate),
            ("drop_rate", self.drop_rate),
            ("transient_error_rate", self.transient_error_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name}: must be within 0..=1, got {rate}"));
            }
        }
        if !(500..=599).contains(&self.error_status) {
            return Err(format!(
                "error_status: must be 500..=599, got {}",
                self.error_status
            ));
        }
        if let Some(q) = self.qps_limit
            && !(q.is_finite() && q > 0.0)
        {
            return Err(format!("qps_limit: must be positive, got {q}"));
        }
        Ok(())
    }
}

/// The kinds of per-request decisions (each has its own salt).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Roll {
    Latency = 1,
    Drop = 2,
    HttpError = 3,
    Throttle = 4,
    Transient = 5,
}

/// The faults in force plus the counters that make them deterministic.
#[derive(Debug, Clone)]
pub(crate) struct FaultState {
    pub faults: Faults,
    seq: u64,
    burst_left: u32,
    drop_left: u32,
}

/// What the transport layer must do to one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TransportPlan {
    /// Request sequence number within the current fault setting.
    pub seq: u64,
    /// Delay before answering, in ms.
    pub delay_ms: u64,
    /// Reset the connection.
    pub drop: bool,
    /// Answer this HTTP status instead.
    pub http_error: Option<u16>,
}

impl FaultState {
    /// Fresh counters for `faults`.
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            burst_left: faults.throttle_burst,
            drop_left: faults.drop_next,
            faults,
            seq: 0,
        }
    }

    fn roll(&self, kind: Roll, seq: u64) -> u64 {
        mix(self.faults.seed ^ mix(seq ^ ((kind as u64) << 56)))
    }

    fn hits(&self, kind: Roll, seq: u64, rate: f64) -> bool {
        rate > 0.0 && (rate >= 1.0 || unit_f64(self.roll(kind, seq)) < rate)
    }

    /// Decides the transport faults of the next request.
    pub(crate) fn next_request(&mut self) -> TransportPlan {
        let seq = self.seq;
        self.seq += 1;
        let f = &self.faults;
        let jitter = if f.latency_jitter_ms > 0 {
            self.roll(Roll::Latency, seq) % (f.latency_jitter_ms + 1)
        } else {
            0
        };
        let mut drop = self.hits(Roll::Drop, seq, f.drop_rate);
        if self.drop_left > 0 {
            self.drop_left -= 1;
            drop = true;
        }
        let http_error =
            (!drop && self.hits(Roll::HttpError, seq, f.error_rate)).then_some(f.error_status);
        TransportPlan {
            seq,
            delay_ms: f.latency_ms + jitter,
            drop,
            http_error,
        }
    }

    /// Whether an authenticated call (request `seq`) is throttled by the burst or the rate.
    pub(crate) fn throttle(&mut self, seq: u64) -> bool {
        if self.burst_left > 0 {
            self.burst_left -= 1;
            return true;
        }
        self.hits(Roll::Throttle, seq, self.faults.throttle_rate)
    }

    /// Whether an authenticated call (request `seq`) gets the Hystrix-style transient error.
    pub(crate) fn transient(&self, seq: u64) -> bool {
        self.hits(Roll::Transient, seq, self.faults.transient_error_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(faults: Faults, n: usize) -> Vec<TransportPlan> {
        let mut s = FaultState::new(faults);
        (0..n).map(|_| s.next_request()).collect()
    }

    #[test]
    fn decisions_are_deterministic_for_a_seed() {
        let f = Faults {
            seed: 42,
            drop_rate: 0.3,
            error_rate: 0.3,
            latency_jitter_ms: 50,
            ..Faults::default()
        };
        assert_eq!(run(f.clone(), 200), run(f.clone(), 200));
        let other = Faults {
            seed: 43,
            ..f.clone()
        };
        assert_ne!(run(f, 200), run(other, 200));
    }

    #[test]
    fn rates_are_roughly_honoured() {
        let f = Faults {
            seed: 7,
            drop_rate: 0.25,
            ..Faults::default()
        };
        let drops = run(f, 4000).iter().filter(|p| p.drop).count();
        assert!((800..1200).contains(&drops), "{drops}");
    }

    #[test]
    fn bursts_come_first_and_end() {
        let mut s = FaultState::new(Faults {
            throttle_burst: 2,
            drop_next: 1,
            ..Faults::default()
        });
        let plans: Vec<_> = (0..3).map(|_| s.next_request()).collect();
        assert_eq!(
            plans.iter().map(|p| p.drop).collect::<Vec<_>>(),
            [true, false, false]
        );
        assert!(s.throttle(0));
        assert!(s.throttle(1));
        assert!(!s.throttle(2));
    }

    #[test]
    fn validate_names_the_bad_field() {
        let f = Faults {
            drop_rate: 1.5,
            ..Faults::default()
        };
        assert!(f.validate().unwrap_err().starts_with("drop_rate"));
        let f = Faults {
            error_status: 404,
            ..Faults::default()
        };
        assert!(f.validate().unwrap_err().starts_with("error_status"));
        let f = Faults {
            qps_limit: Some(0.0),
            ..Faults::default()
        };
        assert!(f.validate().unwrap_err().starts_with("qps_limit"));
    }
}
