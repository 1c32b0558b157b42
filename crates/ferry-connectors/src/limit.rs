//! Limits that belong to a connection and are shared by every scheme using it: a request rate
//! (token bucket) and a cap on concurrent requests.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Requests per second with a small burst, shared by clones.
#[derive(Clone, Debug)]
pub struct RateLimiter {
    inner: Arc<Mutex<Bucket>>,
    per_request: Duration,
    burst: f64,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// `rate` requests per second (≤ 0 means unlimited), at most `burst` back to back.
    pub fn new(rate: f64, burst: u32) -> Self {
        let per_request = if rate > 0.0 { Duration::from_secs_f64(1.0 / rate) } else { Duration::ZERO };
        let burst = f64::from(burst.max(1));
        RateLimiter { inner: Arc::new(Mutex::new(Bucket { tokens: burst, last: Instant::now() })), per_request, burst }
    }

    /// Wait until one request may be sent.
    pub async fn acquire(&self) {
        if self.per_request.is_zero() {
            return;
        }
        let wait = {
            let mut b = self.inner.lock().await;
            let now = Instant::now();
            let refill = now.duration_since(b.last).as_secs_f64() / self.per_request.as_secs_f64();
            b.tokens = (b.tokens + refill).min(self.burst);
            b.last = now;
            b.tokens -= 1.0;
            if b.tokens >= 0.0 { Duration::ZERO } else { self.per_request.mul_f64(-b.tokens) }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Push the next request back (the server said to slow down).
    pub async fn penalize(&self, pause: Duration) {
        let mut b = self.inner.lock().await;
        let tokens_owed = pause.as_secs_f64() / self.per_request.as_secs_f64().max(1e-9);
        b.tokens = (b.tokens - tokens_owed).max(-self.burst - tokens_owed);
    }
}

/// At most `n` requests in flight.
#[derive(Clone, Debug)]
pub struct ConcurrencyLimit(Arc<Semaphore>);

impl ConcurrencyLimit {
    pub fn new(n: usize) -> Self {
        ConcurrencyLimit(Arc::new(Semaphore::new(n.max(1))))
    }
    pub async fn acquire(&self) -> OwnedSemaphorePermit {
        // The semaphore is never closed, so acquiring cannot fail.
        self.0.clone().acquire_owned().await.expect("connection semaphore closed")
    }
}

/// Exponential backoff with full jitter: attempt 0 → up to `base`, doubling, capped at `max`.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16)).min(max);
    // Jitter from the clock's sub-microsecond noise: no RNG dependency, different per call.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let frac = f64::from(nanos % 1000) / 1000.0;
    exp.mul_f64(0.5 + frac / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn rate_is_kept() {
        let l = RateLimiter::new(10.0, 1);
        let start = Instant::now();
        for _ in 0..21 {
            l.acquire().await;
        }
        let el = start.elapsed();
        assert!(el >= Duration::from_millis(1990) && el < Duration::from_millis(2100), "{el:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn penalty_delays_the_next_request() {
        let l = RateLimiter::new(10.0, 1);
        l.acquire().await;
        l.penalize(Duration::from_secs(1)).await;
        let start = Instant::now();
        l.acquire().await;
        assert!(start.elapsed() >= Duration::from_millis(1000), "{:?}", start.elapsed());
    }

    #[test]
    fn backoff_grows_and_caps() {
        let b = |n| backoff(n, Duration::from_millis(100), Duration::from_secs(5));
        assert!(b(0) <= Duration::from_millis(100) && b(0) >= Duration::from_millis(50));
        assert!(b(3) <= Duration::from_millis(800) && b(3) >= Duration::from_millis(400));
        assert!(b(20) <= Duration::from_secs(5));
    }
}
