//! Writing models to a JSONL file, one line each; reconciliation reads the file back.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use ferry_core::connector::{ConnectorError, OutModel, Sink, TargetRef, WriteOutcome};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;

use crate::SinkContext;

/// Appends models to a file. A write is flushed to the OS before it returns, so a crash of Ferry
/// loses nothing it reported written (a power cut may; set `fsync: true` to pay for that too).
pub struct FileSink {
    path: PathBuf,
    file: Mutex<tokio::fs::File>,
    idempotency: Option<String>,
    fsync: bool,
}

impl FileSink {
    pub async fn open(ctx: &SinkContext<'_>) -> Result<FileSink, ConnectorError> {
        if ctx.spec.api != "jsonl" {
            return Err(ConnectorError::config(format!("the file system writes only 'jsonl', not '{}'", ctx.spec.api)));
        }
        let rel = ctx.spec.options.get("path").and_then(Value::as_str).ok_or_else(|| {
            ConnectorError::config(format!("targets.{}.options.path: required (the file to write)", ctx.spec.name))
        })?;
        let path = ctx.base_dir.join(rel);
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| ConnectorError::config(format!("cannot create {}: {e}", dir.display())))?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
            .map_err(|e| ConnectorError::config(format!("cannot open {} for writing: {e}", path.display())))?;
        let fsync = ctx.spec.options.get("fsync").and_then(Value::as_bool).unwrap_or(false);
        Ok(FileSink { path, file: Mutex::new(file), idempotency: ctx.spec.idempotency.clone(), fsync })
    }
}

#[async_trait::async_trait]
impl Sink for FileSink {
    fn max_batch(&self) -> usize {
        10_000
    }

    async fn write(&self, batch: &[OutModel]) -> Result<Vec<WriteOutcome>, ConnectorError> {
        let mut buf = Vec::with_capacity(batch.len() * 256);
        for m in batch {
            serde_json::to_writer(&mut buf, &m.payload).map_err(|e| ConnectorError::business(format!("cannot encode the model: {e}")))?;
            buf.push(b'\n');
        }
        let mut f = self.file.lock().await;
        // A failure part-way through a write leaves the outcome unknown: reconcile before resending.
        let unknown = |e: std::io::Error| ConnectorError::new(ferry_core::connector::ErrorClass::Unknown, format!("writing {}: {e}", self.path.display()));
        f.write_all(&buf).await.map_err(unknown)?;
        f.flush().await.map_err(unknown)?;
        if self.fsync {
            f.sync_data().await.map_err(unknown)?;
        }
        Ok(batch.iter().map(|m| WriteOutcome::Written { target_id: None, number: m.idem.clone() }).collect())
    }

    async fn lookup(&self, idem_keys: &[String]) -> Result<HashMap<String, TargetRef>, ConnectorError> {
        let Some(field) = &self.idempotency else {
            return Err(ConnectorError::config("this target has no 'idempotency:' field, so its writes cannot be looked up"));
        };
        let wanted: HashSet<&str> = idem_keys.iter().map(String::as_str).collect();
        let mut found = HashMap::new();
        let f = tokio::fs::File::open(&self.path).await.map_err(|e| ConnectorError::transient(format!("reading {}: {e}", self.path.display())))?;
        let mut lines = BufReader::new(f).lines();
        while let Some(line) = lines.next_line().await.map_err(|e| ConnectorError::transient(format!("reading {}: {e}", self.path.display())))? {
            // A torn last line (crash mid-write) is not a written record.
            let Ok(v) = serde_json::from_str::<Value>(&line) else { continue };
            if let Some(k) = v.get(field).and_then(ferry_core::mapping::expr::json_key_text)
                && wanted.contains(k.as_str()) {
                    found.insert(k.clone(), TargetRef { target_id: None, number: Some(k) });
                }
        }
        Ok(found)
    }
}
