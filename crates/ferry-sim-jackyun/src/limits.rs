//! Per-appkey QPS limiting (token bucket) and per-appkey-and-method daily quotas.

use std::collections::HashMap;
use std::time::Instant;

/// Token buckets per appkey: capacity `max(1, ceil(qps))`, refilled at `qps` tokens per second.
#[derive(Debug, Default)]
pub(crate) struct QpsLimiter {
    buckets: HashMap<String, (f64, Instant)>,
}

impl QpsLimiter {
    /// Takes a token for `appkey`; false when the limit is exceeded.
    pub(crate) fn allow(&mut self, appkey: &str, qps: f64, now: Instant) -> bool {
        let cap = qps.ceil().max(1.0);
        let (tokens, last) = self.buckets.entry(appkey.to_string()).or_insert((cap, now));
        let elapsed = now.saturating_duration_since(*last).as_secs_f64();
        *tokens = (*tokens + elapsed * qps).min(cap);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Forgets every bucket.
    pub(crate) fn clear(&mut self) {
        self.buckets.clear();
    }
}

/// Calls per (appkey, method) on the current Beijing day.
#[derive(Debug, Default)]
pub(crate) struct QuotaCounter {
    counts: HashMap<(String, String), (i64, u64)>,
}

impl QuotaCounter {
    /// Counts one call on `day`; false when it goes beyond `limit`.
    pub(crate) fn take(&mut self, appkey: &str, method: &str, day: i64, limit: u64) -> bool {
        let (d, n) = self
            .counts
            .entry((appkey.to_string(), method.to_string()))
            .or_insert((day, 0));
        if *d != day {
            *d = day;
            *n = 0;
        }
        *n += 1;
        *n <= limit
    }

    /// Forgets every counter.
    pub(crate) fn clear(&mut self) {
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn token_bucket_allows_the_rate_and_refills() {
        let mut q = QpsLimiter::default();
        let t0 = Instant::now();
        assert!(q.allow("a", 2.0, t0));
        assert!(q.allow("a", 2.0, t0));
        assert!(!q.allow("a", 2.0, t0));
        assert!(q.allow("b", 2.0, t0), "buckets are per appkey");
        assert!(q.allow("a", 2.0, t0 + Duration::from_millis(500)));
        assert!(!q.allow("a", 2.0, t0 + Duration::from_millis(500)));
        let mut slow = QpsLimiter::default();
        assert!(slow.allow("a", 0.5, t0));
        assert!(!slow.allow("a", 0.5, t0 + Duration::from_secs(1)));
        assert!(slow.allow("a", 0.5, t0 + Duration::from_secs(2)));
    }

    #[test]
    fn quota_counts_per_day() {
        let mut c = QuotaCounter::default();
        assert!(c.take("a", "m", 1, 2));
        assert!(c.take("a", "m", 1, 2));
        assert!(!c.take("a", "m", 1, 2));
        assert!(c.take("a", "other", 1, 2));
        assert!(c.take("a", "m", 2, 2), "a new day starts afresh");
    }
}
