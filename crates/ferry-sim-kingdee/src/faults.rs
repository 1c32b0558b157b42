//! Fault injection: what to break, how often, and the deterministic decisions per call.
//!
//! Faults apply to business calls (`DynamicFormService.*`); logins and the data-center list only
//! get the latency. Fractions are drawn from a splitmix64 seeded with [`Faults::seed`], a fixed number
//! of draws per call, so the same sequence of calls meets the same faults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rng::SplitMix64;

/// The faults to inject. Every field defaults to "off"; set it through the config,
/// [`crate::KingdeeSim::set_faults`] or `POST /__sim/faults` (this struct as JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Seed of the fault draws.
    pub seed: u64,
    /// Latency added to every call, in milliseconds.
    pub latency_ms: u64,
    /// Session-expiry storm: every N-th business call expires **all** sessions first (0 = off); that
    /// call then gets the MsgCode 1 "会话信息已丢失" response.
    pub session_expiry_every: u64,
    /// Fraction of business calls that expire all sessions first.
    pub session_expiry_rate: f64,
    /// Fraction answered with a `response_error:` framework fault (HTTP 200, plain text).
    pub response_error_rate: f64,
    /// Fraction answered with HTTP 500 (nothing executed).
    pub http_5xx_rate: f64,
    /// Fraction whose connection is closed without any response (nothing executed).
    pub drop_rate: f64,
    /// Fraction answered with MsgCode 14 (调用限制, call limit).
    pub call_limit_rate: f64,
    /// Fraction of Save/BatchSave models that fail with an edit-lock conflict (MsgCode 13).
    pub lock_rate: f64,
    /// Bill numbers that meet an edit-lock conflict the next N times they are saved.
    pub lock_numbers: BTreeMap<String, u32>,
    /// Fraction of Save/BatchSave calls that are applied, then the connection is dropped.
    pub commit_then_drop_rate: f64,
    /// Fraction of Save/BatchSave calls that are applied, then answered with HTTP 500.
    pub commit_then_5xx_rate: f64,
    /// Block any business request whose body contains `<` with the WAF `showConfirm` array (§1.3).
    pub waf_block_less_than: bool,
    /// One-shot faults consumed in order by the next matching calls (before any fraction applies).
    pub script: Vec<ScriptedFault>,
}

/// A one-shot fault for the next call that matches `op`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptedFault {
    /// What happens.
    pub kind: FaultKind,
    /// Operation it waits for (`BatchSave`, `ExecuteBillQuery`, ...; case-insensitive); any business
    /// call when absent. Write-only kinds (`edit_lock`, `commit_then_*`) only match Save/BatchSave.
    #[serde(default)]
    pub op: Option<String>,
}

impl ScriptedFault {
    /// A fault for the next call of `op`.
    pub fn on(op: &str, kind: FaultKind) -> Self {
        Self {
            kind,
            op: Some(op.to_string()),
        }
    }
}

/// The kinds of injectable faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Expire all sessions before the call (it then gets MsgCode 1).
    ExpireSessions,
    /// `response_error:{"Message":..}` body.
    ResponseError,
    /// HTTP 500 without executing.
    Http5xx,
    /// Close the connection without a response, without executing.
    Drop,
    /// MsgCode 14 call limit.
    CallLimit,
    /// Every model of the call meets an edit-lock conflict (MsgCode 13).
    EditLock,
    /// Execute the write, then close the connection without a response.
    CommitThenDrop,
    /// Execute the write, then answer HTTP 500.
    CommitThen5xx,
    /// The WAF interception array (content-triggered or scripted).
    Waf,
}

impl FaultKind {
    /// Stable name used in stats.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::ExpireSessions => "expire_sessions",
            FaultKind::ResponseError => "response_error",
            FaultKind::Http5xx => "http_5xx",
            FaultKind::Drop => "drop",
            FaultKind::CallLimit => "call_limit",
            FaultKind::EditLock => "edit_lock",
            FaultKind::CommitThenDrop => "commit_then_drop",
            FaultKind::CommitThen5xx => "commit_then_5xx",
            FaultKind::Waf => "waf",
        }
    }

    fn write_only(self) -> bool {
        matches!(
            self,
            FaultKind::EditLock | FaultKind::CommitThenDrop | FaultKind::CommitThen5xx
        )
    }
}

/// The faults chosen for one business call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Applied before the call executes (`Drop`, `Http5xx`, `ResponseError`, `CallLimit`,
    /// `ExpireSessions`, `Waf`).
    pub pre: Option<FaultKind>,
    /// Applied after a write executed (`CommitThenDrop`, `CommitThen5xx`).
    pub post: Option<FaultKind>,
    /// Every model of this write meets an edit lock.
    pub lock_all: bool,
}

/// The live fault configuration and its draws.
#[derive(Debug, Clone)]
pub(crate) struct FaultState {
    pub faults: Faults,
    rng: SplitMix64,
    calls: u64,
}

impl FaultState {
    pub(crate) fn new(faults: Faults) -> Self {
        Self {
            rng: SplitMix64::new(faults.seed),
            faults,
            calls: 0,
        }
    }

    /// Decides the faults of one business call `op`; `is_write` for Save/BatchSave.
    pub(crate) fn decide(&mut self, op: &str, is_write: bool) -> Decision {
        let mut d = Decision::default();
        let hit = self.faults.script.iter().position(|s| {
            s.op.as_deref().is_none_or(|o| o.eq_ignore_ascii_case(op))
                && (is_write || !s.kind.write_only())
        });
        if let Some(i) = hit {
            match self.faults.script.remove(i).kind {
                FaultKind::EditLock => d.lock_all = true,
                k @ (FaultKind::CommitThenDrop | FaultKind::CommitThen5xx) => d.post = Some(k),
                k => d.pre = Some(k),
            }
            return d;
        }
        self.calls += 1;
        let f = &self.faults;
        let draws: [f64; 7] = std::array::from_fn(|_| self.rng.next_f64());
        let every = f.session_expiry_every > 0 && self.calls.is_multiple_of(f.session_expiry_every);
        d.pre = if draws[0] < f.drop_rate {
            Some(FaultKind::Drop)
        } else if draws[1] < f.http_5xx_rate {
            Some(FaultKind::Http5xx)
        } else if draws[2] < f.response_error_rate {
            Some(FaultKind::ResponseError)
        } else if draws[3] < f.call_limit_rate {
            Some(FaultKind::CallLimit)
        } else if every || draws[4] < f.session_expiry_rate {
            Some(FaultKind::ExpireSessions)
        } else {
            None
        };
        if is_write && d.pre.is_none() {
            d.post = if draws[5] < f.commit_then_drop_rate {
                Some(FaultKind::CommitThenDrop)
            } else if draws[6] < f.commit_then_5xx_rate {
                Some(FaultKind::CommitThen5xx)
            } else {
                None
            };
        }
        d
    }

    /// Whether saving bill `number` meets an edit-lock conflict now.
    pub(crate) fn lock_model(&mut self, number: &str) -> bool {
        let key = self
            .faults
            .lock_numbers
            .keys()
            .find(|k| k.eq_ignore_ascii_case(number))
            .cloned();
        if let Some(key) = key {
            let left = self.faults.lock_numbers.get_mut(&key).map_or(0, |n| {
                *n = n.saturating_sub(1);
                *n
            });
            if left == 0 {
                self.faults.lock_numbers.remove(&key);
            }
            return true;
        }
        self.faults.lock_rate > 0.0 && self.rng.next_f64() < self.faults.lock_rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_faults_are_consumed_in_order_and_respect_op() {
        let mut s = FaultState::new(Faults {
            script: vec![
                ScriptedFault::on("BatchSave", FaultKind::CommitThenDrop),
                ScriptedFault {
                    kind: FaultKind::Drop,
                    op: None,
                },
            ],
            ..Faults::default()
        });
        // A query does not consume the BatchSave fault but takes the generic drop.
        assert_eq!(
            s.decide("ExecuteBillQuery", false).pre,
            Some(FaultKind::Drop)
        );
        let d = s.decide("batchsave", true);
        assert_eq!(d.post, Some(FaultKind::CommitThenDrop));
        assert_eq!(s.decide("BatchSave", true), Decision::default());
    }

    #[test]
    fn fractions_are_deterministic_and_roughly_right() {
        let faults = Faults {
            seed: 9,
            drop_rate: 0.2,
            ..Faults::default()
        };
        let run = || {
            let mut s = FaultState::new(faults.clone());
            (0..1000)
                .map(|_| s.decide("Save", true).pre == Some(FaultKind::Drop))
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let n = a.iter().filter(|x| **x).count();
        assert!((150..250).contains(&n), "{n}");
    }

    #[test]
    fn expiry_every_n_calls_and_lock_numbers_count_down() {
        let mut s = FaultState::new(Faults {
            session_expiry_every: 3,
            lock_numbers: [("QTRK1".to_string(), 2)].into(),
            ..Faults::default()
        });
        let hits: Vec<bool> = (0..6)
            .map(|_| s.decide("View", false).pre == Some(FaultKind::ExpireSessions))
            .collect();
        assert_eq!(hits, [false, false, true, false, false, true]);
        assert!(s.lock_model("qtrk1"));
        assert!(s.lock_model("QTRK1"));
        assert!(!s.lock_model("QTRK1"));
    }
}
