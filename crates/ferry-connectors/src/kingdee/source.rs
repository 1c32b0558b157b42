//! ExecuteBillQuery as a paged Source (`api: executeBillQuery`), so Kingdee can be read too.
//!
//! ```yaml
//! source:
//!   connection: kingdee
//!   api: executeBillQuery
//!   params:
//!     FormId: BD_MATERIAL
//!     FieldKeys: FMATERIALID,FNumber,FName,FBaseUnitId.FNumber
//!     FilterString: "FForbidStatus='A'"
//!     OrderString: FNumber ASC
//!     Limit: 2000
//!   key: FNumber
//! ```
//!
//! Each row becomes a record keyed by its FieldKeys; a dotted key nests (`FBaseUnitId.FNumber` →
//! `{"FBaseUnitId": {"FNumber": …}}`) unless that clashes with a plain key of the same name.

use std::sync::Arc;

use ferry_core::connector::{CallBudget, ConnectorError, Page, Source};
use serde_json::{Map, Value, json};

use super::client::KingdeeClient;
use super::metadata;
use super::ops::{BillQuery, MAX_LIMIT, Pager};
use crate::SourceContext;

/// Pages of an ExecuteBillQuery.
pub struct KingdeeSource {
    client: Arc<KingdeeClient>,
    connection: String,
    keys: Vec<String>,
    pager: Pager,
    budget: Arc<dyn CallBudget>,
}

impl std::fmt::Debug for KingdeeSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KingdeeSource").field("connection", &self.connection).field("keys", &self.keys).finish_non_exhaustive()
    }
}

const PARAMS: [&str; 8] = ["FormId", "FieldKeys", "FilterString", "OrderString", "TopRowCount", "StartRow", "Limit", "SubSystemId"];

fn param<'a>(params: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    params.get(key).or_else(|| params.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn param_text(params: &Map<String, Value>, key: &str) -> Result<Option<String>, ConnectorError> {
    match param(params, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned()).filter(|s| !s.is_empty())),
        Some(other) => Err(ConnectorError::config(format!("source.params.{key}: expected text, found {other}"))),
    }
}

fn param_u64(params: &Map<String, Value>, key: &str) -> Result<Option<u64>, ConnectorError> {
    match param(params, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_u64().is_some() => Ok(n.as_u64()),
        Some(Value::String(s)) if s.trim().parse::<u64>().is_ok() => Ok(s.trim().parse().ok()),
        Some(other) => Err(ConnectorError::config(format!("source.params.{key}: expected a whole number ≥ 0, found {other}"))),
    }
}

impl KingdeeSource {
    /// Open the query described by the source's params, resuming an interrupted run.
    pub fn open(client: Arc<KingdeeClient>, ctx: &SourceContext<'_>) -> Result<KingdeeSource, ConnectorError> {
        let spec = ctx.spec;
        if !spec.api.eq_ignore_ascii_case(metadata::API_QUERY) {
            return Err(ConnectorError::config(format!("source.api: the kingdee system reads with '{}', not '{}'", metadata::API_QUERY, spec.api)));
        }
        if spec.window.is_some() {
            return Err(ConnectorError::config(
                "source.window: a kingdee query has no incremental window yet; put the condition in params.FilterString (e.g. FModifyDate >= '2024-05-01')",
            ));
        }
        let p = &spec.params;
        for k in p.keys() {
            if !PARAMS.iter().any(|known| known.eq_ignore_ascii_case(k)) {
                return Err(ConnectorError::config(format!(
                    "source.params.{k}: unknown parameter of executeBillQuery{} (known: {})",
                    ferry_core::diag::did_you_mean(k, PARAMS),
                    PARAMS.join(", ")
                )));
            }
        }
        let form = param_text(p, "FormId")?.ok_or_else(|| ConnectorError::config("source.params.FormId: required (e.g. BD_MATERIAL)"))?;
        let keys: Vec<String> = match param(p, "FieldKeys") {
            Some(Value::String(s)) => s.split(',').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect(),
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect(),
            _ => Vec::new(),
        };
        if keys.is_empty() {
            return Err(ConnectorError::config("source.params.FieldKeys: required: the fields to read, e.g. \"FNumber,FName\""));
        }
        let limit = param_u64(p, "Limit")?.unwrap_or(super::ops::DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(ConnectorError::config(format!("source.params.Limit: expected 1 to {MAX_LIMIT} rows per page, found {limit}")));
        }
        let order = match param_text(p, "OrderString")? {
            Some(o) => o,
            // Paging needs an order (reference §7.1): the primary key when Ferry knows it.
            None => metadata::primary_key(&form).map(|pk| format!("{pk} ASC")).unwrap_or_default(),
        };
        let mut start = param_u64(p, "StartRow")?.unwrap_or(0);
        if let Some(cp) = &ctx.resume {
            // Resume an interrupted run where it stopped; a finished run starts over (the ledger
            // skips what was already written).
            let finished = cp.get("done").and_then(Value::as_bool).unwrap_or(true);
            if !finished {
                start = cp.get("start_row").and_then(Value::as_u64).unwrap_or(start);
            }
        }
        let query = BillQuery {
            form_id: form,
            field_keys: keys.clone(),
            filter: param_text(p, "FilterString")?.unwrap_or_default(),
            order,
            top_row_count: param_u64(p, "TopRowCount")?.unwrap_or(0),
            start_row: start,
            limit,
            sub_system_id: param_text(p, "SubSystemId")?,
        };
        Ok(KingdeeSource { client, connection: spec.connection.clone(), keys, pager: Pager::new(query), budget: ctx.budget.clone() })
    }
}

/// A row as a record keyed by the FieldKeys (dotted keys nested when they do not clash).
pub fn row_to_record(keys: &[String], row: Vec<Value>) -> Value {
    let mut obj = Map::new();
    for (key, value) in keys.iter().zip(row) {
        match key.split_once('.') {
            Some((head, rest)) if !keys.iter().any(|k| k == head) => {
                let slot = obj.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
                insert_path(slot, rest, value);
            }
            _ => {
                obj.insert(key.clone(), value);
            }
        }
    }
    Value::Object(obj)
}

fn insert_path(slot: &mut Value, path: &str, value: Value) {
    let Value::Object(map) = slot else { return };
    match path.split_once('.') {
        None => {
            map.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let next = map.entry(head.to_owned()).or_insert_with(|| Value::Object(Map::new()));
            insert_path(next, rest, value);
        }
    }
}

#[async_trait::async_trait]
impl Source for KingdeeSource {
    async fn next_page(&mut self) -> Result<Option<Page>, ConnectorError> {
        if self.pager.is_done() {
            return Ok(None);
        }
        self.budget.acquire(&self.connection, "ExecuteBillQuery").await?;
        let Some(rows) = self.pager.next(&self.client).await? else { return Ok(None) };
        let records: Vec<Value> = rows.into_iter().map(|r| row_to_record(&self.keys, r)).collect();
        tracing::debug!(connection = %self.connection, rows = records.len(), next = self.pager.position(), "kingdee query page");
        Ok(Some(Page {
            records,
            checkpoint: json!({ "start_row": self.pager.position(), "done": self.pager.is_done() }),
            warnings: Vec::new(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_nested_records() {
        let keys: Vec<String> = ["FMATERIALID", "FNumber", "FBaseUnitId.FNumber", "FStockLocId.FF100001.FNumber"].map(String::from).to_vec();
        let r = row_to_record(&keys, vec![json!(100501), json!("1.01.001"), json!("Pcs"), json!("A-01")]);
        assert_eq!(r, json!({"FMATERIALID":100501,"FNumber":"1.01.001","FBaseUnitId":{"FNumber":"Pcs"},"FStockLocId":{"FF100001":{"FNumber":"A-01"}}}));
    }

    #[test]
    fn a_dotted_key_clashing_with_a_plain_one_stays_flat() {
        let keys: Vec<String> = ["FUseOrgId", "FUseOrgId.FNumber"].map(String::from).to_vec();
        let r = row_to_record(&keys, vec![json!(1), json!("100")]);
        assert_eq!(r, json!({"FUseOrgId": 1, "FUseOrgId.FNumber": "100"}));
    }
}
