//! The gateway client of one connection: signs and POSTs calls, keeps to the connection's rate and
//! concurrency, counts every billed request against the call budget, and retries transient
//! failures (network, 5xx, throttles, Hystrix-style errors) with exponential backoff and jitter.
//! A throttle also pushes back the connection's rate limiter, so every source sharing the
//! connection slows down together.

use std::time::Duration;

use ferry_core::connector::{CallBudget, ConnectorError, ErrorClass};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::config::JackyunSettings;
use super::envelope::{Answer, Refusal, parse_answer};
use super::sign::{beijing_timestamp, signed_request};
use crate::Secret;
use crate::limit::{ConcurrencyLimit, RateLimiter, backoff};

/// A signed-request client shared by every source of one connection.
pub struct JackyunClient {
    http: reqwest::Client,
    gateway: String,
    appkey: String,
    secret: Secret,
    token: Option<Secret>,
    connection: String,
    limiter: RateLimiter,
    concurrency: ConcurrencyLimit,
    retries: u32,
    retry_base: Duration,
    retry_max: Duration,
}

impl std::fmt::Debug for JackyunClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JackyunClient")
            .field("connection", &self.connection)
            .field("gateway", &self.gateway)
            .field("appkey", &self.appkey)
            .finish_non_exhaustive()
    }
}

/// The chain of an error's causes, without the URL (the gateway is named separately).
fn describe(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        parts.push(s.to_string());
        src = s.source();
    }
    format!("{kind}: {}", parts.join(": "))
}

impl JackyunClient {
    /// A client for the connection `connection` with these settings.
    pub fn new(connection: &str, s: &JackyunSettings) -> Result<JackyunClient, ConnectorError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(s.timeout())
            .connect_timeout(s.connect_timeout())
            .build()
            .map_err(|e| ConnectorError::config(format!("cannot build the HTTP client: {}", describe(e))))?;
        Ok(JackyunClient {
            http,
            gateway: s.gateway.clone(),
            appkey: s.appkey.clone(),
            secret: s.appsecret.clone(),
            token: s.token.clone(),
            connection: connection.to_owned(),
            limiter: RateLimiter::new(s.rate_limit, 1),
            concurrency: ConcurrencyLimit::new(s.max_concurrency),
            retries: s.retries,
            retry_base: Duration::from_millis(s.retry_base_ms),
            retry_max: Duration::from_millis(s.retry_max_ms),
        })
    }

    /// The gateway URL.
    pub fn gateway(&self) -> &str {
        &self.gateway
    }

    /// The app key.
    pub fn appkey(&self) -> &str {
        &self.appkey
    }

    /// Calls `method` with these business parameters, retrying transient failures up to the
    /// connection's `retries`. Every request (first or retried) is counted by `budget` first; a
    /// `Quota` refusal from the budget or the gateway ends the call at once.
    pub async fn call(&self, method: &str, biz: &Map<String, Value>, budget: &dyn CallBudget) -> Result<Answer, ConnectorError> {
        // Serialized once: these exact bytes are signed and sent.
        let bizcontent = serde_json::to_string(biz).unwrap_or_else(|_| "{}".into());
        let mut attempt: u32 = 0;
        loop {
            match self.attempt(method, &bizcontent, budget, jiff::Timestamp::now()).await {
                Ok(a) => return Ok(a),
                Err(r) => {
                    let wait = backoff(attempt, self.retry_base, self.retry_max);
                    if r.error.class != ErrorClass::Transient || attempt >= self.retries {
                        let e = if r.throttled { r.error.with_retry_after(wait) } else { r.error };
                        return Err(e);
                    }
                    tracing::warn!(
                        connection = %self.connection,
                        method,
                        attempt = attempt + 1,
                        wait_ms = wait.as_millis() as u64,
                        throttled = r.throttled,
                        error = %r.error.message,
                        "jackyun call failed; retrying"
                    );
                    if r.throttled {
                        // Slow the whole connection down, not just this call.
                        self.limiter.penalize(wait).await;
                    } else {
                        tokio::time::sleep(wait).await;
                    }
                    attempt += 1;
                }
            }
        }
    }

    /// One request stamped with `at` (no retries): for diagnosing clock problems, and tests.
    pub async fn call_once_at(
        &self,
        method: &str,
        biz: &Map<String, Value>,
        budget: &dyn CallBudget,
        at: jiff::Timestamp,
    ) -> Result<Answer, ConnectorError> {
        let bizcontent = serde_json::to_string(biz).unwrap_or_else(|_| "{}".into());
        self.attempt(method, &bizcontent, budget, at).await.map_err(|r| r.error)
    }

    async fn attempt(&self, method: &str, bizcontent: &str, budget: &dyn CallBudget, at: jiff::Timestamp) -> Result<Answer, Refusal> {
        let _permit = self.concurrency.acquire().await;
        self.limiter.acquire().await;
        budget.acquire(&self.connection, method).await.map_err(|error| Refusal { error, throttled: false })?;
        let req = signed_request(
            method,
            &self.appkey,
            self.secret.expose(),
            self.token.as_ref().map(Secret::expose),
            bizcontent,
            &beijing_timestamp(at),
        );
        let started = Instant::now();
        let sent = self
            .http
            .post(&self.gateway)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(req.body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                let error = ConnectorError::transient(format!("{method}: {} ({})", describe(e), self.gateway));
                tracing::debug!(connection = %self.connection, method, elapsed_ms = started.elapsed().as_millis() as u64, "jackyun request failed");
                return Err(Refusal { error, throttled: false });
            }
        };
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| Refusal {
            error: ConnectorError::transient(format!("{method}: reading the answer failed: {}", describe(e))),
            throttled: false,
        })?;
        tracing::debug!(
            connection = %self.connection,
            method,
            status,
            bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "jackyun call"
        );
        parse_answer(method, status, &body)
    }
}
