//! The `file` system: JSONL and CSV files as a source, a JSONL file as a sink. It proves the engine
//! without any ERP, and serves imports and exports.
//!
//! Source: `api: jsonl | csv`, `params: { path: in.jsonl, page_size: 1000 }` (the path is relative to
//! the scheme file). Sink: `api: jsonl`, `options: { path: out.jsonl }`; each written model is one line.

mod sink;
mod source;

use std::sync::Arc;

use ferry_core::connector::{ConnectorError, Sink, Source};
use ferry_core::metadata::{ApiKind, ApiMeta, FieldMeta, FieldType};

use crate::{Connection, ConnectionConfig, Connector, SinkContext, SourceContext};

pub use sink::FileSink;
pub use source::FileSource;

/// The file connector. The connection named `file` always exists and needs no settings.
pub struct FileConnector;

fn meta(api: &str, label: &str, kind: ApiKind) -> ApiMeta {
    let params = vec![
        FieldMeta::new("path", "文件路径 (relative to the scheme file)", FieldType::String).required(),
        FieldMeta::new("page_size", "每页条数 (source only)", FieldType::Integer).preset(200.into()),
    ];
    ApiMeta {
        system: "file".into(),
        api: api.into(),
        form: None,
        label: label.into(),
        kind,
        case_insensitive: false,
        params,
        // Records of a file have whatever fields the file has: not checked.
        fields: Vec::new(),
    }
}

impl Connector for FileConnector {
    fn system(&self) -> &'static str {
        "file"
    }
    fn label(&self) -> &'static str {
        "文件 (file)"
    }
    fn apis(&self) -> Vec<String> {
        vec!["jsonl".into(), "csv".into()]
    }
    fn api_meta(&self, api: &str, _form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        match api {
            "jsonl" => Ok(Some(meta("jsonl", "JSON Lines 文件", ApiKind::ReadWrite))),
            "csv" => Ok(Some(meta("csv", "CSV 文件", ApiKind::Read))),
            other => Err(format!("the file system has no API '{other}' (it has jsonl and csv)")),
        }
    }
    fn connect(&self, _config: &ConnectionConfig) -> Result<Arc<dyn Connection>, ConnectorError> {
        Ok(Arc::new(FileConnection))
    }
}

struct FileConnection;

#[async_trait::async_trait]
impl Connection for FileConnection {
    async fn test(&self) -> Result<String, ConnectorError> {
        Ok("files are read and written on this machine".into())
    }
    async fn source(&self, ctx: SourceContext<'_>) -> Result<Box<dyn Source>, ConnectorError> {
        Ok(Box::new(FileSource::open(&ctx).await?))
    }
    async fn sink(&self, ctx: SinkContext<'_>) -> Result<Arc<dyn Sink>, ConnectorError> {
        Ok(Arc::new(FileSink::open(&ctx).await?))
    }
}
