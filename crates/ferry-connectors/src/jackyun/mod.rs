//! Jackyun (吉客云) open-platform connector: read APIs as paging sources (writes are not
//! supported yet). The facts it follows are in `reference/jackyun-open-api.md`; the user guide is
//! `docs/connectors/jackyun.md`.
//!
//! # Connection settings
//! See [`config`]: `gateway`, `appkey`, `appsecret`, `token`, `rate_limit` (1/s), `max_concurrency`
//! (1), `timeout_secs` (90), `connect_timeout_secs` (10), `retries` (3), `retry_base_ms`,
//! `retry_max_ms`, `page_base` (0), `probe_page_base` (true), `max_pages` (10000), `daily_quota`.
//! The rate limiter and the concurrency limit belong to the connection and are shared by every
//! source made from it.
//!
//! # Source
//! `source: { connection: jackyun, api: wms.stocktake.get, params: {...}, window: {...}, key: stocktakeId }`.
//! `params` go into `bizcontent` as given, except `pageIndex` and cursors (the connector pages)
//! and the window's parameters (the window sets them). `pageSize` defaults per API and may not
//! exceed the largest size known to work.
//!
//! ## `source.window` keys
//! | key | meaning | default |
//! |---|---|---|
//! | `from` | request parameter of the window start (`startPdDate`) | the API's first window pair |
//! | `to` | request parameter of the window end (`endPdDate`) | the pair of `from` |
//! | `start` | start of the first run's window, Beijing `yyyy-MM-dd[ HH:mm:ss]` | `end − lookback` (or `end − 1d`) |
//! | `end` | fixed end for a backfill | the run's start time |
//! | `lookback` | re-scan this much before the last window's end on every run (`7d`, `12h`, …) | `0` |
//! | `lag` | leave the last moments out of the window (late-arriving records) | `0` |
//! | `max_span` | slice a window into spans of at most this; never above the API's own cap | the API's cap or recommendation, else one slice |
//!
//! Windows are half-open `[start, end)` in Beijing time; each slice is sent with inclusive bounds
//! `start` and `end − 1s`.
//!
//! ## Checkpoint
//! See [`checkpoint`]: `{window_start, window_end, slice_start, slice_end, page, cursor,
//! page_base, done}`. A finished run (`done: true`) makes the next run start at `window_end −
//! lookback`; an interrupted one (quota, error) resumes the slice at `page` and then reads on to
//! the new run's end.

pub mod checkpoint;
pub mod client;
pub mod config;
pub mod envelope;
pub mod metadata;
pub mod normalize;
pub mod paging;
pub mod sign;
pub mod source;
pub mod window;

use std::sync::Arc;

use ferry_core::connector::{ConnectorError, ErrorClass, Sink, Source, Unmetered};
use ferry_core::metadata::ApiMeta;
use serde_json::{Map, json};

use crate::{Connection, ConnectionConfig, Connector, SinkContext, SourceContext};

pub use client::JackyunClient;
pub use config::{DailyQuota, JackyunSettings, PRODUCTION_GATEWAY};
pub use source::JackyunSource;

/// The Jackyun connector.
pub struct JackyunConnector;

impl Connector for JackyunConnector {
    fn system(&self) -> &'static str {
        "jackyun"
    }
    fn label(&self) -> &'static str {
        "吉客云"
    }
    fn apis(&self) -> Vec<String> {
        metadata::specs().iter().map(|s| s.method.to_owned()).collect()
    }
    fn api_meta(&self, api: &str, _form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        match metadata::spec(api) {
            Some(s) => Ok(Some(s.meta())),
            None => Err(format!("jackyun has no API '{api}' that Ferry knows")),
        }
    }
    fn connect(&self, config: &ConnectionConfig) -> Result<Arc<dyn Connection>, ConnectorError> {
        Ok(Arc::new(JackyunConnection::new(config)?))
    }
}

/// A live Jackyun connection: its settings and one client (rate limiter, concurrency limit)
/// shared by every source made from it.
pub struct JackyunConnection {
    name: String,
    settings: JackyunSettings,
    client: Arc<JackyunClient>,
}

impl JackyunConnection {
    /// Reads the settings and builds the client.
    pub fn new(config: &ConnectionConfig) -> Result<JackyunConnection, ConnectorError> {
        let settings = JackyunSettings::from_value(&config.settings)?;
        let client = Arc::new(JackyunClient::new(&config.name, &settings)?);
        Ok(JackyunConnection { name: config.name.clone(), settings, client })
    }

    /// The connection's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its checked settings.
    pub fn settings(&self) -> &JackyunSettings {
        &self.settings
    }

    /// The shared client (for direct calls).
    pub fn client(&self) -> &Arc<JackyunClient> {
        &self.client
    }
}

/// The method the connection test calls: cheap, and subscribed by most apps.
pub const TEST_METHOD: &str = "erp.warehouse.get";

#[async_trait::async_trait]
impl Connection for JackyunConnection {
    fn daily_quota(&self, method: &str) -> Option<u64> {
        self.settings.daily_quota(method)
    }

    async fn test(&self) -> Result<String, ConnectorError> {
        let mut biz = Map::new();
        biz.insert("pageIndex".into(), json!(0));
        biz.insert("pageSize".into(), json!(1));
        match self.client.call(TEST_METHOD, &biz, &Unmetered).await {
            Ok(_) => Ok(format!(
                "connected to {} as appkey {}: the signature, the clock and the subscription to {TEST_METHOD} are fine",
                self.client.gateway(),
                self.client.appkey()
            )),
            Err(mut e) => {
                let what = match e.class {
                    ErrorClass::Auth => "the credentials were refused",
                    ErrorClass::Transient => "the gateway could not be reached reliably",
                    ErrorClass::Quota => "the call quota is used up",
                    _ => "the test call failed",
                };
                e.message = format!("connection test ({TEST_METHOD} on {}): {what}: {}", self.client.gateway(), e.message);
                Err(e)
            }
        }
    }

    async fn source(&self, ctx: SourceContext<'_>) -> Result<Box<dyn Source>, ConnectorError> {
        Ok(Box::new(JackyunSource::open(self.client.clone(), &self.settings, ctx)?))
    }

    async fn sink(&self, ctx: SinkContext<'_>) -> Result<Arc<dyn Sink>, ConnectorError> {
        Err(ConnectorError::config(format!(
            "targets.{}: writing to Jackyun ({}) is not supported yet; Jackyun can only be a source",
            ctx.spec.name, ctx.spec.api
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_knows_the_apis() {
        let c = JackyunConnector;
        assert!(c.apis().contains(&"wms.stocktake.get".to_owned()));
        assert_eq!(c.api_meta("wms.stocktake.get", None).unwrap().unwrap().label, "盘点单查询");
        assert!(c.api_meta("wms.nothing", None).unwrap_err().contains("wms.nothing"));
    }

    #[test]
    fn bad_settings_fail_to_connect_naming_the_field() {
        let cfg = ConnectionConfig { name: "jky".into(), system: "jackyun".into(), settings: json!({"appkey": "k"}) };
        let e = JackyunConnector.connect(&cfg).err().unwrap();
        assert!(e.message.contains("appsecret"), "{}", e.message);
        let cfg = ConnectionConfig { settings: json!({"appkey": "k", "appsecret": "s", "daily_quota": 9}), ..cfg };
        assert_eq!(JackyunConnector.connect(&cfg).unwrap().daily_quota("x"), Some(9));
    }
}
