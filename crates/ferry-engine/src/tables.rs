//! Loading a scheme's lookup tables: inline, or from a CSV or JSON file beside the scheme.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use ferry_core::mapping::Tables;
use ferry_core::mapping::expr::json_key_text;
use ferry_core::scheme::{Scheme, TableSpec};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("tables.{table}: {message}")]
pub struct TableError {
    pub table: String,
    pub message: String,
}

/// Load every table of a scheme. Tables `from:` a system's base data are fetched through that
/// connection (which may cache them).
pub async fn load(scheme: &Scheme, base_dir: &Path, engine: &crate::Engine) -> Result<Arc<Tables>, TableError> {
    let mut out = Tables::new();
    for (name, spec) in &scheme.tables {
        let err = |message: String| TableError { table: name.clone(), message };
        let map = match spec {
            TableSpec::Query { connection, form, key, value, filter } => {
                let conn = engine.connection(connection).await.map_err(|e| err(e.to_string()))?;
                let q = ferry_connectors::BaseDataQuery { form: form.clone(), key: key.clone(), value: value.clone(), filter: filter.clone() };
                conn.base_data(&q).await.map_err(|e| err(format!("filling it from {connection} {form}: {e}")))?
            }
            TableSpec::Inline(m) => m.clone(),
            TableSpec::File { path, key, value } => {
                let full = base_dir.join(path);
                let text = std::fs::read_to_string(&full).map_err(|e| err(format!("cannot read {}: {e}", full.display())))?;
                let rows = if path.ends_with(".json") {
                    parse_json(&text).map_err(|e| err(format!("{}: {e}", full.display())))?
                } else {
                    parse_csv(&text).map_err(|e| err(format!("{}: {e}", full.display())))?
                };
                let mut m = HashMap::with_capacity(rows.len());
                for (i, row) in rows.into_iter().enumerate() {
                    let k = row.get(key).and_then(json_key_text).ok_or_else(|| err(format!("{}: row {} has no '{key}'", full.display(), i + 1)))?;
                    let v = match value {
                        Some(col) => row.get(col).cloned().ok_or_else(|| err(format!("{}: row {} has no '{col}'", full.display(), i + 1)))?,
                        None => row,
                    };
                    m.insert(k, v);
                }
                m
            }
        };
        out.insert(name.clone(), Arc::new(map));
    }
    Ok(Arc::new(out))
}

fn parse_json(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text).map_err(|e| format!("not JSON: {e}"))? {
        Value::Array(rows) => Ok(rows),
        _ => Err("expected a JSON array of objects".into()),
    }
}

fn parse_csv(text: &str) -> Result<Vec<Value>, String> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().map_err(|e| e.to_string())?.clone();
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| e.to_string())?;
        out.push(Value::Object(headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_owned(), Value::String(v.to_owned()))).collect()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_core::scheme::Catalog;

    struct Files;
    impl Catalog for Files {
        fn connection_system(&self, _: &str) -> Option<String> {
            Some("file".into())
        }
        fn connection_names(&self) -> Vec<String> {
            vec!["file".into()]
        }
        fn apis(&self, _: &str) -> Vec<String> {
            vec!["jsonl".into()]
        }
        fn api_meta(&self, _: &str, _: &str, _: Option<&str>) -> Result<Option<ferry_core::metadata::ApiMeta>, String> {
            Ok(None)
        }
    }

    fn scheme(tables: &str) -> Scheme {
        let text = format!(
            "name: t\nsource: {{ connection: file, api: jsonl, key: id }}\ntables:\n{tables}\ntargets:\n  o: {{ connection: file, api: jsonl, mapping: {{ a: 1 }} }}\n"
        );
        Scheme::load("t.yaml", &text, &Files).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn tables_load_from_inline_csv_and_json() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("m.csv"), "barcode,number,name\n6901,A0001,螺丝\n6902,A0002,螺母\n").unwrap();
        std::fs::write(dir.path().join("s.json"), r#"[{"code": 1, "num": "CK001"}, {"code": 2, "num": "CK002"}]"#).unwrap();
        let s = scheme(
            "  inl: { inline: { a: 1 } }\n  m: { file: m.csv, key: barcode, value: number }\n  rows: { file: m.csv, key: number }\n  s: { file: s.json, key: code, value: num }",
        );
        let engine = crate::Engine::new(std::sync::Arc::new(futures_store()), crate::Connections::builtin());
        let t = rt().block_on(load(&s, dir.path(), &engine)).unwrap();
        assert_eq!(t["inl"]["a"], serde_json::json!(1));
        assert_eq!(t["m"]["6902"], serde_json::json!("A0002"));
        assert_eq!(t["rows"]["A0001"]["name"], serde_json::json!("螺丝"));
        assert_eq!(t["s"]["2"], serde_json::json!("CK002"));
        let bad = scheme("  m: { file: m.csv, key: nope }");
        let e = rt().block_on(load(&bad, dir.path(), &engine)).unwrap_err().to_string();
        assert!(e.starts_with("tables.m: ") && e.ends_with("m.csv: row 1 has no 'nope'"), "{e}");
        let missing = scheme("  m: { file: gone.csv, key: x }");
        assert!(rt().block_on(load(&missing, dir.path(), &engine)).unwrap_err().to_string().contains("cannot read"));
        let from_file_conn = scheme("  k: { from: { connection: file, form: BD_STOCK, key: FNumber } }");
        let e = rt().block_on(load(&from_file_conn, dir.path(), &engine)).unwrap_err().to_string();
        assert!(e.contains("tables.k: filling it from file BD_STOCK: this connection has no base data"), "{e}");
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    fn futures_store() -> ferry_store::SqliteStore {
        rt().block_on(ferry_store::SqliteStore::open_memory()).unwrap()
    }
}
