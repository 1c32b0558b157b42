//! Reading JSONL or CSV files page by page, in bounded memory.

use std::path::PathBuf;

use ferry_core::connector::{ConnectorError, Page, Source};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};

use crate::SourceContext;

const DEFAULT_PAGE: usize = 200;
const READ_BUFFER: usize = 256 * 1024;

enum Reader {
    Jsonl(Lines<BufReader<tokio::fs::File>>),
    /// CSV is parsed synchronously from a buffered std reader; pages are small.
    Csv(Box<csv::Reader<std::io::BufReader<std::fs::File>>>, csv::StringRecord),
}

/// A file read as pages of records.
pub struct FileSource {
    path: PathBuf,
    reader: Reader,
    page_size: usize,
    /// Records delivered so far (the checkpoint).
    line: u64,
    done: bool,
    end_reported: bool,
}

fn param_str<'a>(ctx: &'a SourceContext<'_>, key: &str) -> Option<&'a str> {
    ctx.spec.params.get(key).and_then(Value::as_str)
}

impl FileSource {
    pub async fn open(ctx: &SourceContext<'_>) -> Result<FileSource, ConnectorError> {
        let rel = param_str(ctx, "path").ok_or_else(|| ConnectorError::config("source.params.path: required (the file to read)"))?;
        let path = ctx.base_dir.join(rel);
        let page_size = match ctx.spec.params.get("page_size") {
            None => DEFAULT_PAGE,
            Some(v) => v.as_u64().filter(|n| *n > 0).map(|n| n as usize).ok_or_else(|| {
                ConnectorError::config(format!("source.params.page_size: expected a positive whole number, found {v}"))
            })?,
        };
        let open_err = |e: std::io::Error| ConnectorError::config(format!("cannot open {}: {e}", path.display()));
        let reader = match ctx.spec.api.as_str() {
            // A large buffer: each refill is a trip to tokio's blocking pool.
            "jsonl" => Reader::Jsonl(BufReader::with_capacity(READ_BUFFER, tokio::fs::File::open(&path).await.map_err(open_err)?).lines()),
            "csv" => {
                let f = std::fs::File::open(&path).map_err(open_err)?;
                let mut r = csv::ReaderBuilder::new().flexible(false).from_reader(std::io::BufReader::new(f));
                let headers = r
                    .headers()
                    .map_err(|e| ConnectorError::config(format!("{}: cannot read the CSV header: {e}", path.display())))?
                    .clone();
                Reader::Csv(Box::new(r), headers)
            }
            other => return Err(ConnectorError::config(format!("the file system cannot read '{other}'"))),
        };
        let mut src = FileSource { path, reader, page_size, line: 0, done: false, end_reported: false };
        // Resume an interrupted run where it stopped; a finished run starts over (the ledger skips
        // what was written).
        if let Some(cp) = &ctx.resume {
            let finished = cp.get("done").and_then(Value::as_bool).unwrap_or(true);
            let at = cp.get("line").and_then(Value::as_u64).unwrap_or(0);
            if !finished && at > 0 {
                src.skip(at).await?;
            }
        }
        Ok(src)
    }

    async fn skip(&mut self, n: u64) -> Result<(), ConnectorError> {
        while self.line < n {
            if self.read_one().await?.is_none() {
                break;
            }
        }
        Ok(())
    }

    async fn read_one(&mut self) -> Result<Option<Value>, ConnectorError> {
        let where_ = |line: u64| format!("{}:{}", self.path.display(), line);
        match &mut self.reader {
            Reader::Jsonl(lines) => loop {
                let next = lines.next_line().await.map_err(|e| ConnectorError::transient(format!("{}: {e}", where_(self.line + 1))))?;
                let Some(text) = next else { return Ok(None) };
                self.line += 1;
                if text.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(&text)
                    .map_err(|e| ConnectorError::config(format!("{}: not a JSON record: {e}", where_(self.line))))?;
                if !v.is_object() {
                    return Err(ConnectorError::config(format!("{}: expected a JSON object per line", where_(self.line))));
                }
                return Ok(Some(v));
            },
            Reader::Csv(r, headers) => {
                let mut rec = csv::StringRecord::new();
                let more = r.read_record(&mut rec).map_err(|e| ConnectorError::config(format!("{}: {e}", where_(self.line + 2))))?;
                if !more {
                    return Ok(None);
                }
                self.line += 1;
                let obj: Map<String, Value> =
                    headers.iter().zip(rec.iter()).map(|(h, v)| (h.to_owned(), Value::String(v.to_owned()))).collect();
                Ok(Some(Value::Object(obj)))
            }
        }
    }
}

#[async_trait::async_trait]
impl Source for FileSource {
    async fn next_page(&mut self) -> Result<Option<Page>, ConnectorError> {
        if self.end_reported {
            return Ok(None);
        }
        let mut records = Vec::with_capacity(self.page_size.min(4096));
        while records.len() < self.page_size {
            match self.read_one().await? {
                Some(v) => records.push(v),
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        // At the end, one last (possibly empty) page carries the checkpoint that says "finished",
        // so that the next run starts over instead of resuming past the end.
        if records.is_empty() && self.end_reported {
            return Ok(None);
        }
        self.end_reported = self.done;
        Ok(Some(Page { records, checkpoint: json!({ "line": self.line, "done": self.done }), warnings: Vec::new() }))
    }
}
