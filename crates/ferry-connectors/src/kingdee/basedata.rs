//! Base-data lookup tables: all rows of a base-data form (materials, stocks, …) fetched through
//! paged ExecuteBillQuery into `key → value`, cached per connection and refreshed after a TTL.
//!
//! A scheme declares one like
//! `tables: { stocks: { from: { connection: kingdee, form: BD_STOCK, key: FNumber, value: FNumber } } }`
//! and its mapping uses it as `lookup('stocks', code)`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use ferry_core::connector::ConnectorError;
use ferry_core::mapping::expr::json_key_text;
use serde_json::Value;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::client::KingdeeClient;
use super::metadata;
use super::ops::{BillQuery, DEFAULT_LIMIT, query_all};
use super::source::row_to_record;

/// Which base data to fetch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableQuery {
    /// Form id (`BD_MATERIAL`, `BD_STOCK`, …).
    pub form: String,
    /// The field whose value is the table's key (`FNumber`, `FBARCODE`).
    pub key: String,
    /// The value: one field → that field's value; several → an object of them keyed by field
    /// (dotted keys nested, as the source does); none → the key itself (a set of known keys).
    pub value: Vec<String>,
    /// Optional FilterString (e.g. `FUseOrgId.FNumber='100' and FForbidStatus='A'`).
    pub filter: Option<String>,
}

impl TableQuery {
    /// `form`, `key`, and a value of one field or a comma-separated list.
    pub fn new(form: &str, key: &str, value: Option<&str>) -> TableQuery {
        TableQuery {
            form: form.trim().to_owned(),
            key: key.trim().to_owned(),
            value: value.map(|v| v.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()).unwrap_or_default(),
            filter: None,
        }
    }

    /// With a FilterString.
    pub fn with_filter(mut self, filter: &str) -> TableQuery {
        self.filter = Some(filter.to_owned()).filter(|f| !f.trim().is_empty());
        self
    }
}

/// A fetched table.
pub type Table = Arc<HashMap<String, Value>>;

/// Tables already fetched by one connection, with the time each was fetched.
#[derive(Default)]
pub struct TableCache {
    tables: Mutex<HashMap<TableQuery, (Instant, Table)>>,
}

impl std::fmt::Debug for TableCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableCache").finish_non_exhaustive()
    }
}

impl TableCache {
    /// The table for `q`: from the cache when younger than `ttl`, else fetched again. Concurrent
    /// callers wait for one fetch.
    pub async fn get(&self, client: &KingdeeClient, q: &TableQuery, ttl: Duration) -> Result<Table, ConnectorError> {
        let mut tables = self.tables.lock().await;
        if let Some((at, t)) = tables.get(q)
            && at.elapsed() < ttl
        {
            return Ok(t.clone());
        }
        let t = Arc::new(fetch(client, q).await?);
        tables.insert(q.clone(), (Instant::now(), t.clone()));
        Ok(t)
    }

    /// Forget every cached table (the next `get` fetches).
    pub async fn clear(&self) {
        self.tables.lock().await.clear();
    }
}

/// Fetch every row of `q` (no cache).
pub async fn fetch(client: &KingdeeClient, q: &TableQuery) -> Result<HashMap<String, Value>, ConnectorError> {
    if q.form.is_empty() || q.key.is_empty() {
        return Err(ConnectorError::config("a base-data table needs a form and a key field"));
    }
    let mut keys = vec![q.key.clone()];
    for v in &q.value {
        if !keys.iter().any(|k| k.eq_ignore_ascii_case(v)) {
            keys.push(v.clone());
        }
    }
    let order = match metadata::primary_key(&q.form) {
        Some(pk) => format!("{pk} ASC"),
        None => format!("{} ASC", q.key),
    };
    let query = BillQuery {
        form_id: q.form.clone(),
        field_keys: keys.clone(),
        filter: q.filter.clone().unwrap_or_default(),
        order,
        limit: DEFAULT_LIMIT,
        ..BillQuery::default()
    };
    let rows = query_all(client, query).await?;
    let col = |name: &str| keys.iter().position(|k| k.eq_ignore_ascii_case(name)).unwrap_or(0);
    let mut table = HashMap::with_capacity(rows.len());
    let mut clashes = 0usize;
    for row in rows {
        let Some(k) = row.first().and_then(json_key_text).filter(|k| !k.is_empty()) else { continue };
        let value = match q.value.as_slice() {
            [] => Value::String(k.clone()),
            [one] => row.get(col(one)).cloned().unwrap_or(Value::Null),
            many => {
                let cells: Vec<Value> = many.iter().map(|f| row.get(col(f)).cloned().unwrap_or(Value::Null)).collect();
                row_to_record(many, cells)
            }
        };
        // The first row wins (the same number in several organisations: filter by FUseOrgId).
        match table.entry(k) {
            std::collections::hash_map::Entry::Occupied(_) => clashes += 1,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(value);
            }
        }
    }
    if clashes > 0 {
        tracing::warn!(form = %q.form, key = %q.key, clashes, "kingdee base-data table has repeated keys; the first row of each was kept (filter by FUseOrgId to pick one organisation)");
    }
    tracing::debug!(form = %q.form, key = %q.key, rows = table.len(), "kingdee base-data table fetched");
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_lists_are_split() {
        let q = TableQuery::new("BD_MATERIAL", "FBARCODE", Some("FNumber, FName"));
        assert_eq!(q.value, ["FNumber", "FName"]);
        assert!(TableQuery::new("BD_STOCK", "FNumber", None).value.is_empty());
        assert_eq!(TableQuery::new("BD_STOCK", "FNumber", None).with_filter(" ").filter, None);
    }
}
