//! Kingdee Cloud Galaxy (金蝶云星空 / K3Cloud) WebAPI connector.
//!
//! - [`config`]: connection settings (server, acct_id, user, auth mode and its secrets, limits).
//! - [`auth`]: the login requests and signatures (LoginBySign SHA-256, X-Api-*/X-Kd-* headers).
//! - [`session`]: one session per connection; one login at a time; idle renewal.
//! - [`client`]: transport, re-login once on MsgCode 1, retries, failure classes.
//! - [`envelope`]: reading answers and classifying MsgCodes.
//! - [`ops`]: BatchSave, Save, Submit, Audit, UnAudit, Delete, View, ExecuteBillQuery, QueryBusinessInfo.
//! - [`sink`]: `api: batchSave | save`; [`source`]: `api: executeBillQuery`.
//! - [`basedata`]: cached base-data lookup tables; [`metadata`]: fields with 中文 labels.

/// Login requests and signatures.
pub mod auth;
/// Cached base-data lookup tables.
pub mod basedata;
/// Transport, sessions, retries, failure classes.
pub mod client;
/// Connection settings.
pub mod config;
/// Reading answers; MsgCode classes.
pub mod envelope;
/// API metadata with 中文 labels.
pub mod metadata;
/// The WebAPI operations.
pub mod ops;
/// The connection's session.
pub mod session;
/// `api: batchSave | save`.
pub mod sink;
/// `api: executeBillQuery`.
pub mod source;

use std::sync::Arc;
use std::time::Duration;

use ferry_core::connector::{ConnectorError, ErrorClass, Sink, Source};
use ferry_core::metadata::ApiMeta;

use crate::{BaseDataQuery, Connection, ConnectionConfig, Connector, SinkContext, SourceContext};

pub use basedata::{Table, TableQuery};
pub use client::{KingdeeClient, Safety};
pub use config::{AuthMode, BodyStyle, KingdeeConfig};
pub use ops::{BillKey, BillQuery, Bills, Pager, SaveResult};
pub use sink::{KingdeeSink, SaveOp};
pub use source::KingdeeSource;

/// The Kingdee connector (`system: kingdee`).
pub struct KingdeeConnector;

impl KingdeeConnector {
    /// Like [`Connector::connect`], but keeps the concrete type (for base-data tables and the
    /// operations that are not a source or a sink).
    pub fn open(config: &ConnectionConfig) -> Result<Arc<KingdeeConnection>, ConnectorError> {
        let cfg = config::parse(&config.name, &config.settings)?;
        Ok(Arc::new(KingdeeConnection { client: Arc::new(KingdeeClient::new(cfg)?), tables: basedata::TableCache::default() }))
    }
}

impl Connector for KingdeeConnector {
    fn system(&self) -> &'static str {
        "kingdee"
    }
    fn label(&self) -> &'static str {
        "金蝶云星空"
    }
    fn apis(&self) -> Vec<String> {
        vec![metadata::API_BATCH_SAVE.into(), metadata::API_SAVE.into(), metadata::API_QUERY.into()]
    }
    fn api_meta(&self, api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        metadata::api_meta(api, form)
    }
    fn connect(&self, config: &ConnectionConfig) -> Result<Arc<dyn Connection>, ConnectorError> {
        Ok(KingdeeConnector::open(config)?)
    }
}

/// A live Kingdee connection: one client (session, rate limit, concurrency) shared by every
/// source, sink and table of this connection.
#[derive(Debug)]
pub struct KingdeeConnection {
    client: Arc<KingdeeClient>,
    tables: basedata::TableCache,
}

impl KingdeeConnection {
    /// The client, for direct operations (Submit, Audit, View, …).
    pub fn client(&self) -> &Arc<KingdeeClient> {
        &self.client
    }

    /// A base-data lookup table, from this connection's cache when younger than `ttl`.
    pub async fn table(&self, query: &TableQuery, ttl: Duration) -> Result<Table, ConnectorError> {
        self.tables.get(&self.client, query, ttl).await
    }

    /// The [`TableQuery`] of an engine [`BaseDataQuery`]: without a value field, the value is the
    /// whole row (the form's known query fields, else `FNumber` and `FName`).
    pub fn table_query(query: &BaseDataQuery) -> TableQuery {
        let mut q = match &query.value {
            Some(v) => TableQuery::new(&query.form, &query.key, Some(v)),
            None => {
                let mut fields = metadata::whole_row_fields(&query.form);
                if !fields.iter().any(|f| f.eq_ignore_ascii_case(&query.key)) {
                    fields.insert(0, query.key.trim().to_owned());
                }
                TableQuery::new(&query.form, &query.key, Some(&fields.join(",")))
            }
        };
        if let Some(f) = &query.filter {
            q = q.with_filter(f);
        }
        q
    }

    /// Write metadata of a form Ferry has no built-in field list for, read from the server with
    /// `QueryBusinessInfo`.
    pub async fn describe_form(&self, form: &str) -> Result<ApiMeta, ConnectorError> {
        let info = self.client.query_business_info(form).await?;
        Ok(metadata::from_business_info(form, &info))
    }
}

#[async_trait::async_trait]
impl Connection for KingdeeConnection {
    async fn test(&self) -> Result<String, ConnectorError> {
        let cfg = self.client.config();
        let session = self.client.fresh_session().await?;
        if cfg.auth == AuthMode::ApiSignature {
            // No login in this mode: one cheap signed query proves the headers (the SDK's probe).
            let mut q = BillQuery::new("BD_Currency", &["FCODE"]);
            q.limit = 1;
            self.client.execute_bill_query(&q).await.map_err(|e| match e.class {
                ErrorClass::Business | ErrorClass::Auth => ConnectorError::new(
                    ErrorClass::Auth,
                    format!("signed request refused: {} — check app_id, app_secret, acct_id and user", e.message),
                )
                .with_code(e.code.unwrap_or_default()),
                _ => e,
            })?;
            return Ok(format!(
                "signature headers accepted by {} for user '{}' in data centre '{}' (app {})",
                cfg.server,
                cfg.user,
                cfg.acct_id,
                cfg.app_id_shown()
            ));
        }
        Ok(format!(
            "logged in to {} as '{}' in data centre '{}'{} with {}",
            cfg.server,
            session.user_name.as_deref().unwrap_or(&cfg.user),
            cfg.acct_id,
            session.data_center.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(),
            cfg.auth.as_str()
        ))
    }

    async fn source(&self, ctx: SourceContext<'_>) -> Result<Box<dyn Source>, ConnectorError> {
        Ok(Box::new(KingdeeSource::open(self.client.clone(), &ctx)?))
    }

    async fn sink(&self, ctx: SinkContext<'_>) -> Result<Arc<dyn Sink>, ConnectorError> {
        Ok(Arc::new(KingdeeSink::new(self.client.clone(), &ctx)?))
    }

    /// A base-data lookup table, cached for the connection's `base_data_ttl_secs`.
    async fn base_data(&self, query: &BaseDataQuery) -> Result<std::collections::HashMap<String, serde_json::Value>, ConnectorError> {
        let table = self.table(&Self::table_query(query), self.client.config().base_data_ttl).await?;
        Ok((*table).clone())
    }
}
