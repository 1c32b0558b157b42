//! Shared fixtures of the connector ↔ simulator tests: a simulator on 127.0.0.1, a connection to
//! it, sources built from real scheme text, a recording call budget and a driver that retries like
//! the engine does.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_connectors::jackyun::{JackyunConnection, JackyunConnector};
use ferry_connectors::{Connection, ConnectionConfig, Connector, SourceContext};
use ferry_core::connector::{CallBudget, ConnectorError, ErrorClass, Page, Source};
use ferry_core::metadata::ApiMeta;
use ferry_core::scheme::{Catalog, Scheme, SourceSpec};
use ferry_sim_jackyun::{CivilDate, DEFAULT_APPKEY, DEFAULT_SECRET, DataSource, GenerateOptions, JackyunSim, JackyunSimConfig};
use serde_json::{Value, json};
use tokio::time::Instant;

/// The simulator's data is "as of" this Beijing date (stocktakes fall in the 56 days before it).
pub fn anchor() -> CivilDate {
    CivilDate::new(2024, 5, 1).unwrap()
}

/// Midnight of the anchor date in Beijing, as a timestamp (windows end there).
pub fn anchor_now() -> jiff::Timestamp {
    "2024-04-30T16:00:00Z".parse().unwrap()
}

/// A simulator config with `stocktakes` generated documents anchored at [`anchor`].
pub fn sim_config(stocktakes: u32) -> JackyunSimConfig {
    JackyunSimConfig {
        data: DataSource::Generate(GenerateOptions { seed: 7, anchor_date: anchor(), stocktakes, ..GenerateOptions::default() }),
        ..JackyunSimConfig::default()
    }
}

pub async fn start(cfg: JackyunSimConfig) -> JackyunSim {
    ferry_sim_jackyun::start(cfg, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// Connection settings for the simulator, fast by default; `extra` overrides.
pub fn settings(sim: &JackyunSim, extra: Value) -> Value {
    let mut s = json!({
        "gateway": sim.gateway_url(),
        "appkey": DEFAULT_APPKEY,
        "appsecret": DEFAULT_SECRET,
        "rate_limit": 1000,
        "max_concurrency": 4,
        "timeout_secs": 10,
        "connect_timeout_secs": 2,
        "retries": 3,
        "retry_base_ms": 5,
        "retry_max_ms": 50,
    });
    if let (Value::Object(m), Value::Object(e)) = (&mut s, extra) {
        m.extend(e);
    }
    s
}

pub fn connect(sim: &JackyunSim, extra: Value) -> JackyunConnection {
    let cfg = ConnectionConfig { name: "jky".into(), system: "jackyun".into(), settings: settings(sim, extra) };
    JackyunConnection::new(&cfg).unwrap()
}

struct TestCatalog;

impl Catalog for TestCatalog {
    fn connection_system(&self, connection: &str) -> Option<String> {
        match connection {
            "jky" => Some("jackyun".into()),
            "file" => Some("file".into()),
            _ => None,
        }
    }
    fn connection_names(&self) -> Vec<String> {
        vec!["jky".into(), "file".into()]
    }
    fn apis(&self, system: &str) -> Vec<String> {
        ferry_connectors::connector(system).map(|c| c.apis()).unwrap_or_default()
    }
    fn api_meta(&self, system: &str, api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        match system {
            "jackyun" => JackyunConnector.api_meta(api, form),
            other => ferry_connectors::connector(other).ok_or("no such system")?.api_meta(api, form),
        }
    }
}

/// The source of a scheme on connection `jky`, validated by the real scheme loader. `params` and
/// `window` are YAML flow mappings (`{ warehouseCode: CK01 }`), or empty.
pub fn source_spec(api: &str, key: &str, params: &str, window: &str) -> SourceSpec {
    let mut yaml = format!("name: t\nsource:\n  connection: jky\n  api: {api}\n  key: {key}\n");
    if !params.is_empty() {
        yaml.push_str(&format!("  params: {params}\n"));
    }
    if !window.is_empty() {
        yaml.push_str(&format!("  window: {window}\n"));
    }
    yaml.push_str("targets:\n  out:\n    connection: file\n    api: jsonl\n    options: { path: out.jsonl }\n    mapping:\n      k: \"{{ ");
    yaml.push_str(key);
    yaml.push_str(" }}\"\n");
    match Scheme::load("t.yaml", &yaml, &TestCatalog) {
        Ok(s) => s.source,
        Err(e) => panic!("scheme did not load: {e:?}\n{yaml}"),
    }
}

/// A call budget that records when each call was made and refuses after `limit` calls.
#[derive(Default)]
pub struct RecordingBudget {
    pub calls: Mutex<Vec<(String, Instant)>>,
    pub limit: Option<usize>,
}

impl RecordingBudget {
    pub fn limited(limit: usize) -> Arc<Self> {
        Arc::new(RecordingBudget { limit: Some(limit), ..Default::default() })
    }
    pub fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
    pub fn per_method(&self) -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for (k, _) in self.calls.lock().unwrap().iter() {
            *m.entry(k.clone()).or_default() += 1;
        }
        m
    }
    pub fn times(&self) -> Vec<Instant> {
        self.calls.lock().unwrap().iter().map(|(_, t)| *t).collect()
    }
}

#[async_trait::async_trait]
impl CallBudget for RecordingBudget {
    async fn acquire(&self, _connection: &str, method: &str) -> Result<(), ConnectorError> {
        let mut calls = self.calls.lock().unwrap();
        if self.limit.is_some_and(|l| calls.len() >= l) {
            return Err(ConnectorError::new(ErrorClass::Quota, format!("daily quota of {method} reached")));
        }
        calls.push((method.to_owned(), Instant::now()));
        Ok(())
    }
}

pub async fn open_source(
    conn: &JackyunConnection,
    spec: &SourceSpec,
    resume: Option<Value>,
    budget: Arc<dyn CallBudget>,
    now: jiff::Timestamp,
) -> Result<Box<dyn Source>, ConnectorError> {
    conn.source(SourceContext { spec, resume, budget, base_dir: std::env::temp_dir(), now }).await
}

/// What a drained source gave.
#[derive(Debug, Default)]
pub struct Drained {
    pub records: Vec<Value>,
    pub pages: Vec<Page>,
    pub warnings: Vec<String>,
    /// Errors the driver retried (as the engine does).
    pub retried: Vec<ConnectorError>,
    /// The error that stopped the source, if any.
    pub stopped_by: Option<ConnectorError>,
}

impl Drained {
    pub fn last_checkpoint(&self) -> Option<Value> {
        self.pages.last().map(|p| p.checkpoint.clone())
    }
    pub fn keys(&self, key: &str) -> Vec<String> {
        self.records.iter().map(|r| r[key].as_str().unwrap_or_default().to_owned()).collect()
    }
}

/// Pages a source to its end. Transient errors are retried up to `retries` times in a row (the
/// engine's behaviour); any other error stops the drive and is returned in `stopped_by`.
pub async fn drain(source: &mut dyn Source, retries: usize) -> Drained {
    let mut out = Drained::default();
    let mut in_a_row = 0;
    loop {
        match source.next_page().await {
            Ok(Some(page)) => {
                in_a_row = 0;
                out.records.extend(page.records.iter().cloned());
                out.warnings.extend(page.warnings.iter().cloned());
                out.pages.push(page);
            }
            Ok(None) => return out,
            Err(e) if e.class == ErrorClass::Transient && in_a_row < retries => {
                in_a_row += 1;
                out.retried.push(e);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(e) => {
                out.stopped_by = Some(e);
                return out;
            }
        }
    }
}
