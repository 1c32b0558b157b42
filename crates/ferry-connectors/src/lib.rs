//! Ferry's connectors: one folder per system. Each folder holds the system's configuration, client
//! (auth, signing, transport), source, sink and metadata. Adding a system means adding a folder and
//! one line in [`registry`].
//!
//! A [`Connector`] knows a system's APIs (their metadata) and turns a named connection's settings
//! into a live [`Connection`], which owns the system's limits (rate, concurrency, session) and is
//! shared by every scheme that uses it.

pub mod file;
pub mod jackyun;
pub mod kingdee;
pub mod limit;
mod secret;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ferry_core::connector::{CallBudget, ConnectorError, Sink, Source};
use ferry_core::metadata::ApiMeta;
use ferry_core::scheme::{SourceSpec, TargetSpec};
use serde_json::Value;

pub use secret::Secret;

/// A named connection as configured: its system and its settings (secrets already resolved).
#[derive(Clone)]
pub struct ConnectionConfig {
    pub name: String,
    pub system: String,
    /// The connection's own settings (everything but `system`), interpreted by its connector.
    pub settings: Value,
}

impl std::fmt::Debug for ConnectionConfig {
    // Settings hold secrets: never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionConfig").field("name", &self.name).field("system", &self.system).finish_non_exhaustive()
    }
}

/// What a source needs besides its spec.
pub struct SourceContext<'a> {
    pub spec: &'a SourceSpec,
    /// The checkpoint committed by the last run, if any.
    pub resume: Option<Value>,
    /// Counts billed calls and enforces daily quotas.
    pub budget: Arc<dyn CallBudget>,
    /// Directory that relative file paths are resolved against (the scheme file's directory).
    pub base_dir: PathBuf,
    /// The run's start time (windows end here).
    pub now: jiff::Timestamp,
}

/// What a sink needs besides its spec.
pub struct SinkContext<'a> {
    pub spec: &'a TargetSpec,
    pub budget: Arc<dyn CallBudget>,
    pub base_dir: PathBuf,
}

/// A system Ferry can talk to.
pub trait Connector: Send + Sync {
    /// The system's id as schemes and connections name it (`file`, `jackyun`, `kingdee`).
    fn system(&self) -> &'static str;
    /// Its name for people (吉客云, 金蝶云星空, …).
    fn label(&self) -> &'static str;
    /// Names of the APIs it offers.
    fn apis(&self) -> Vec<String>;
    /// Metadata of one API (`Ok(None)`: exists, fields unchecked; `Err`: no such API — the message
    /// says so plainly).
    fn api_meta(&self, api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String>;
    /// Turn a connection's settings into a live connection. Bad settings are a `Config` error
    /// naming the field.
    fn connect(&self, config: &ConnectionConfig) -> Result<Arc<dyn Connection>, ConnectorError>;
}

/// A lookup table to fill from a system's base data, e.g. Kingdee `BD_STOCK`: `FNumber` → `FName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseDataQuery {
    /// The form (or API) holding the base data.
    pub form: String,
    /// The field whose value is the table's key.
    pub key: String,
    /// The field whose value is the table's value (`None`: the whole row).
    pub value: Option<String>,
    /// The system's own filter syntax (Kingdee FilterString), if any.
    pub filter: Option<String>,
}

/// A live connection: shared limits and sessions; makes sources and sinks.
#[async_trait::async_trait]
pub trait Connection: Send + Sync {
    /// One cheap call that proves the settings and credentials; `Ok` carries a human summary.
    async fn test(&self) -> Result<String, ConnectorError>;
    async fn source(&self, ctx: SourceContext<'_>) -> Result<Box<dyn Source>, ConnectorError>;
    async fn sink(&self, ctx: SinkContext<'_>) -> Result<Arc<dyn Sink>, ConnectorError>;
    /// The daily call quota configured for `method` on this connection, if any (the engine's call
    /// budget enforces it; only the connector knows its settings).
    fn daily_quota(&self, _method: &str) -> Option<u64> {
        None
    }
    /// A lookup table from the system's base data (cached by the connection as it sees fit).
    async fn base_data(&self, query: &BaseDataQuery) -> Result<HashMap<String, Value>, ConnectorError> {
        Err(ConnectorError::config(format!("this connection has no base data to fill a table from '{}'", query.form)))
    }
}

/// Every connector Ferry has. Add a system here.
pub fn registry() -> Vec<Arc<dyn Connector>> {
    vec![Arc::new(file::FileConnector), Arc::new(jackyun::JackyunConnector), Arc::new(kingdee::KingdeeConnector)]
}

/// The connector of a system.
pub fn connector(system: &str) -> Option<Arc<dyn Connector>> {
    registry().into_iter().find(|c| c.system() == system)
}
