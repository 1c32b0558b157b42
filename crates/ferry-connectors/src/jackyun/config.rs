//! Connection settings of a Jackyun connection, read from `ConnectionConfig.settings`.
//!
//! ```yaml
//! system: jackyun
//! gateway: https://open.jackyun.com/open/openapi/do   # default
//! appkey: "10000001"
//! appsecret: ${JACKYUN_SECRET}
//! token: ...                 # optional ISV token, sent unsigned
//! rate_limit: 1              # requests per second for the whole connection (default 1)
//! max_concurrency: 1         # requests in flight (default 1)
//! timeout_secs: 90           # whole-request timeout (default 90)
//! connect_timeout_secs: 10   # TCP/TLS connect timeout (default 10)
//! retries: 3                 # transient retries inside the client (default 3)
//! retry_base_ms: 400         # first backoff (default 400 ms, doubling, full jitter)
//! retry_max_ms: 30000        # backoff cap (default 30 s)
//! page_base: 0               # first pageIndex of APIs whose base is uncertain (wms.stocktake.get)
//! probe_page_base: true      # page 0 empty → try page 1 once (see the module docs)
//! max_pages: 10000           # safety cap on pages per window slice (default 10000)
//! daily_quota:               # calls per method per Beijing day (enforced by the engine)
//!   default: 1000
//!   wms.stocktake.get: 800
//! ```
//! `daily_quota` may also be a bare number (the quota of every method); `"*"` is accepted as a
//! synonym of `default` (the engine's budget reads that key).

use std::collections::BTreeMap;
use std::time::Duration;

use ferry_core::connector::ConnectorError;
use serde::Deserialize;
use serde_json::Value;

use crate::Secret;

/// The production gateway (reference §1).
pub const PRODUCTION_GATEWAY: &str = "https://open.jackyun.com/open/openapi/do";

/// Validated settings of one Jackyun connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JackyunSettings {
    /// Gateway URL (default [`PRODUCTION_GATEWAY`]).
    #[serde(default = "default_gateway")]
    pub gateway: String,
    /// App key (`appkey`).
    pub appkey: String,
    /// App secret (signs every request; never logged).
    pub appsecret: Secret,
    /// Optional ISV authorization token (sent, not signed; never logged).
    #[serde(default)]
    pub token: Option<Secret>,
    /// Requests per second for the whole connection (default 1; reference §7.2).
    #[serde(default = "default_rate")]
    pub rate_limit: f64,
    /// Requests in flight for the whole connection (default 1).
    #[serde(default = "default_one")]
    pub max_concurrency: usize,
    /// Whole-request timeout in seconds (default 90, as production integrations use).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Connect timeout in seconds (default 10).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_secs: u64,
    /// Transient failures (network, 5xx, throttle) retried inside the client (default 3).
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// First retry backoff in milliseconds (default 400; doubles per attempt, with jitter).
    #[serde(default = "default_retry_base")]
    pub retry_base_ms: u64,
    /// Largest retry backoff in milliseconds (default 30000).
    #[serde(default = "default_retry_max")]
    pub retry_max_ms: u64,
    /// First `pageIndex` of the APIs whose base is uncertain (only `wms.stocktake.get`; every
    /// other flat-paged API is 0-based, as confirmed). 0 (default) or 1.
    #[serde(default)]
    pub page_base: u32,
    /// When `page_base` is 0 and page 0 of an uncertain-base API comes back empty, ask page 1 once
    /// (the API may be 1-based). Default true.
    #[serde(default = "default_true")]
    pub probe_page_base: bool,
    /// Safety cap on pages fetched per window slice (default 10000).
    #[serde(default = "default_max_pages")]
    pub max_pages: u64,
    /// Daily call quotas (per method, per Beijing day), enforced by the engine's call budget.
    #[serde(default)]
    pub daily_quota: Option<DailyQuota>,
}

/// Daily call quotas: one number for every method, or per method with an optional `default`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum DailyQuota {
    /// The same quota for every method.
    All(u64),
    /// Per method name; the key `default` (or `"*"`) applies to methods not listed.
    PerMethod(BTreeMap<String, u64>),
}

impl DailyQuota {
    /// The quota of `method`, if one is configured.
    pub fn of(&self, method: &str) -> Option<u64> {
        match self {
            DailyQuota::All(n) => Some(*n),
            DailyQuota::PerMethod(m) => m.get(method).or_else(|| m.get("default")).or_else(|| m.get("*")).copied(),
        }
    }
}

fn default_gateway() -> String {
    PRODUCTION_GATEWAY.into()
}
fn default_rate() -> f64 {
    1.0
}
fn default_one() -> usize {
    1
}
fn default_timeout() -> u64 {
    90
}
fn default_connect_timeout() -> u64 {
    10
}
fn default_retries() -> u32 {
    3
}
fn default_retry_base() -> u64 {
    400
}
fn default_retry_max() -> u64 {
    30_000
}
fn default_true() -> bool {
    true
}
fn default_max_pages() -> u64 {
    10_000
}

impl JackyunSettings {
    /// Reads and checks the settings. Every error is a `Config` error that names the field.
    pub fn from_value(settings: &Value) -> Result<Self, ConnectorError> {
        let s: JackyunSettings = serde_path_to_error::deserialize(settings).map_err(|e| {
            let path = e.path().to_string();
            // A mistyped secret must not be echoed back (serde quotes the offending value).
            let inner = if path == "appsecret" || path == "token" {
                "expected a string".to_owned()
            } else {
                e.into_inner().to_string()
            };
            if path.is_empty() || path == "." {
                ConnectorError::config(format!("jackyun connection settings: {inner}"))
            } else {
                ConnectorError::config(format!("jackyun connection setting '{path}': {inner}"))
            }
        })?;
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), ConnectorError> {
        let bad = |field: &str, msg: String| Err(ConnectorError::config(format!("jackyun connection setting '{field}': {msg}")));
        if !(self.gateway.starts_with("https://") || self.gateway.starts_with("http://")) {
            return bad("gateway", format!("expected an http(s) URL, found '{}'", self.gateway));
        }
        if self.gateway.contains("openapi.jackyun.com") {
            return bad("gateway", "openapi.jackyun.com does not exist; the gateway is https://open.jackyun.com/open/openapi/do".into());
        }
        if self.appkey.trim().is_empty() {
            return bad("appkey", "must not be empty".into());
        }
        if self.appsecret.expose().is_empty() {
            return bad("appsecret", "must not be empty".into());
        }
        if !(self.rate_limit.is_finite() && self.rate_limit > 0.0) {
            return bad("rate_limit", format!("expected requests per second above 0, found {}", self.rate_limit));
        }
        if self.max_concurrency == 0 {
            return bad("max_concurrency", "must be at least 1".into());
        }
        if self.timeout_secs == 0 {
            return bad("timeout_secs", "must be at least 1".into());
        }
        if self.connect_timeout_secs == 0 {
            return bad("connect_timeout_secs", "must be at least 1".into());
        }
        if self.page_base > 1 {
            return bad("page_base", format!("must be 0 or 1, found {}", self.page_base));
        }
        if self.max_pages == 0 {
            return bad("max_pages", "must be at least 1".into());
        }
        if self.retry_base_ms > self.retry_max_ms {
            return bad("retry_base_ms", format!("{} is above retry_max_ms ({})", self.retry_base_ms, self.retry_max_ms));
        }
        Ok(())
    }

    /// The configured daily quota of `method`, if any.
    pub fn daily_quota(&self, method: &str) -> Option<u64> {
        self.daily_quota.as_ref().and_then(|q| q.of(method))
    }

    /// Whole-request timeout.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// Connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_follow_the_reference() {
        let s = JackyunSettings::from_value(&json!({"appkey": "k", "appsecret": "s"})).unwrap();
        assert_eq!(s.gateway, PRODUCTION_GATEWAY);
        assert_eq!((s.rate_limit, s.max_concurrency, s.timeout_secs, s.page_base, s.retries), (1.0, 1, 90, 0, 3));
        assert_eq!(s.daily_quota("wms.stocktake.get"), None);
        assert!(!format!("{s:?}").contains("\"s\""));
    }

    #[test]
    fn quotas_per_method_with_a_default_or_one_number() {
        let s = JackyunSettings::from_value(&json!({
            "appkey": "k", "appsecret": "s",
            "daily_quota": {"default": 1000, "wms.stocktake.get": 800}
        }))
        .unwrap();
        assert_eq!(s.daily_quota("wms.stocktake.get"), Some(800));
        assert_eq!(s.daily_quota("erp.warehouse.get"), Some(1000));
        let all = JackyunSettings::from_value(&json!({"appkey": "k", "appsecret": "s", "daily_quota": 5})).unwrap();
        assert_eq!(all.daily_quota("x"), Some(5));
        let star = JackyunSettings::from_value(&json!({"appkey": "k", "appsecret": "s", "daily_quota": {"*": 7}})).unwrap();
        assert_eq!(star.daily_quota("x"), Some(7));
        let only = JackyunSettings::from_value(&json!({"appkey": "k", "appsecret": "s", "daily_quota": {"a.b": 1}})).unwrap();
        assert_eq!(only.daily_quota("c.d"), None);
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            (json!({"appsecret": "s"}), "appkey"),
            (json!({"appkey": "k", "appsecret": "s", "rate": 2}), "rate"),
            (json!({"appkey": "k", "appsecret": "s", "rate_limit": "fast"}), "'rate_limit'"),
            (json!({"appkey": "k", "appsecret": "s", "rate_limit": 0}), "'rate_limit'"),
            (json!({"appkey": "k", "appsecret": "s", "page_base": 2}), "'page_base'"),
            (json!({"appkey": "k", "appsecret": "s", "gateway": "open.jackyun.com"}), "'gateway'"),
            (json!({"appkey": "k", "appsecret": "s", "gateway": "https://openapi.jackyun.com/x"}), "does not exist"),
            (json!({"appkey": "", "appsecret": "s"}), "'appkey'"),
            (json!({"appkey": "k", "appsecret": "s", "max_concurrency": 0}), "'max_concurrency'"),
            (json!({"appkey": "k", "appsecret": "s", "daily_quota": "lots"}), "'daily_quota'"),
            (json!("not an object"), "settings"),
        ];
        for (v, want) in cases {
            let e = JackyunSettings::from_value(&v).unwrap_err();
            assert_eq!(e.class, ferry_core::connector::ErrorClass::Config);
            assert!(e.message.contains(want), "{v}: {}", e.message);
        }
    }

    #[test]
    fn the_secret_never_appears_in_errors() {
        let e = JackyunSettings::from_value(&json!({"appkey": "k", "appsecret": "hunter2", "nope": 1})).unwrap_err();
        assert!(!e.message.contains("hunter2"), "{}", e.message);
        let e = JackyunSettings::from_value(&json!({"appkey": "k", "appsecret": 8675309})).unwrap_err();
        assert!(e.message.contains("'appsecret'") && !e.message.contains("8675309"), "{}", e.message);
    }
}
