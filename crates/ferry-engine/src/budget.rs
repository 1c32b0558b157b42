//! Daily call quotas, counted in the store per (connection, method, Beijing day). The quota itself
//! is a connection setting (e.g. Jackyun's `daily_quota`), which only the connection reads.

use std::collections::HashMap;
use std::sync::Arc;

use ferry_connectors::Connection;
use ferry_core::connector::{CallBudget, ConnectorError, ErrorClass};
use ferry_core::mapping::functions::beijing;
use ferry_store::Store;
use tokio::sync::Mutex;

pub struct StoreBudget {
    pub store: Arc<dyn Store>,
    /// The engine's live connections (a connection asks for budget only once it is open).
    pub live: Arc<Mutex<HashMap<String, Arc<dyn Connection>>>>,
}

impl StoreBudget {
    async fn quota(&self, connection: &str, method: &str) -> Option<u64> {
        let conn = self.live.lock().await.get(connection).cloned()?;
        conn.daily_quota(method)
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
        if let Some(q) = self.quota(connection, method).await {
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
