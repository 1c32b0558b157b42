//! Daily call quotas, counted in the store per (connection, method, Beijing day). A connection's
//! `daily_quota` setting is either one number for every method or a map method → number, with
//! `default` for the methods not named.

use std::sync::Arc;

use ferry_connectors::ConnectionConfig;
use ferry_core::connector::{CallBudget, ConnectorError, ErrorClass};
use ferry_core::mapping::functions::beijing;
use ferry_store::Store;
use serde_json::Value;

pub struct StoreBudget {
    pub store: Arc<dyn Store>,
    pub connections: Vec<ConnectionConfig>,
}

impl StoreBudget {
    fn quota(&self, connection: &str, method: &str) -> Option<u64> {
        let c = self.connections.iter().find(|c| c.name == connection)?;
        match c.settings.get("daily_quota")? {
            Value::Number(n) => n.as_u64(),
            Value::Object(m) => m.get(method).or_else(|| m.get("default")).or_else(|| m.get("*")).and_then(|v| {
                // `${ENV}` values arrive as strings.
                v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            }),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Today's Beijing civil date, `YYYY-MM-DD`.
pub fn beijing_day() -> String {
    jiff::Timestamp::now().to_zoned(beijing()).date().to_string()
}

#[async_trait::async_trait]
impl CallBudget for StoreBudget {
    async fn acquire(&self, connection: &str, method: &str) -> Result<(), ConnectorError> {
        let day = beijing_day();
        let store_err = |e: ferry_store::StoreError| ConnectorError::transient(format!("call counter: {e}"));
        if let Some(q) = self.quota(connection, method) {
            let used = self.store.call_count(connection, method, &day).await.map_err(store_err)?;
            if used >= q {
                return Err(ConnectorError::new(
                    ErrorClass::Quota,
                    format!("the daily quota of {q} calls to {method} on connection '{connection}' is used up for {day} (Beijing time); the next run resumes from the checkpoint"),
                ));
            }
        }
        self.store.count_call(connection, method, &day).await.map_err(store_err)?;
        Ok(())
    }
}
