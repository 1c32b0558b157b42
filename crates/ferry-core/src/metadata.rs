//! API metadata: the fields of a source API's records and of a target API's models, with their
//! 中文 labels, types and presets. Metadata drives validation, the UI's mapping editor and the docs.

use serde::{Deserialize, Serialize};

/// The JSON type a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    String,
    Number,
    Integer,
    Bool,
    /// A date or date-time (string in the system's format, or ms-epoch).
    Datetime,
    Object,
    Array,
    /// Kingdee base-data reference: `{"FNumber": "..."}` (a plain string is accepted and wrapped).
    BaseRef,
    /// Anything: not checked.
    Any,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Integer => "integer",
            FieldType::Bool => "bool",
            FieldType::Datetime => "datetime",
            FieldType::Object => "object",
            FieldType::Array => "array",
            FieldType::BaseRef => "base-data reference {FNumber}",
            FieldType::Any => "any",
        }
    }
}

/// One field. `path` is dotted from the record (or model) root; array items are addressed through
/// the array's name: `stockTakeDetailViews.goodsNo`, `FEntity.FQty`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FieldMeta {
    pub path: String,
    /// 中文 label as the vendor's docs give it (e.g. 盘点单编号).
    pub label: String,
    #[serde(rename = "type")]
    pub ty: FieldType,
    #[serde(default)]
    pub required: bool,
    /// The vendor's preset / default value, if any (e.g. pageSize 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

impl FieldMeta {
    /// The field's own key: the last segment of its path (`FEntity.FQty` → `FQty`).
    pub fn name(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }
    pub fn new(path: &str, label: &str, ty: FieldType) -> Self {
        FieldMeta { path: path.into(), label: label.into(), ty, required: false, preset: None, note: String::new() }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn preset(mut self, v: serde_json::Value) -> Self {
        self.preset = Some(v);
        self
    }
    pub fn note(mut self, n: &str) -> Self {
        self.note = n.into();
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiKind {
    Read,
    Write,
    /// Both (a file format, say).
    ReadWrite,
}

impl ApiKind {
    pub fn reads(self) -> bool {
        matches!(self, ApiKind::Read | ApiKind::ReadWrite)
    }
    pub fn writes(self) -> bool {
        matches!(self, ApiKind::Write | ApiKind::ReadWrite)
    }
}

/// Metadata of one API of one system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiMeta {
    pub system: String,
    /// The API's name as the system knows it (`wms.stocktake.get`, `batchSave`).
    pub api: String,
    /// For form-based targets (Kingdee), the form id this metadata describes (`STK_MISCELLANEOUS`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    /// 中文 name (盘点单查询, 其他入库新增).
    pub label: String,
    pub kind: ApiKind,
    /// Field keys compare case-insensitively (Kingdee).
    #[serde(default)]
    pub case_insensitive: bool,
    /// Request parameters (for reads: the query params; for writes: request-level options).
    pub params: Vec<FieldMeta>,
    /// For reads: the fields of one returned record. For writes: the fields of one model.
    pub fields: Vec<FieldMeta>,
}

impl ApiMeta {
    pub fn field(&self, path: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|f| f.path == path)
    }
    /// Case-insensitive lookup (Kingdee field keys are case-insensitive).
    pub fn field_ci(&self, path: &str) -> Option<&FieldMeta> {
        self.fields.iter().find(|f| f.path.eq_ignore_ascii_case(path))
    }
    pub fn param(&self, name: &str) -> Option<&FieldMeta> {
        self.params.iter().find(|f| f.path == name)
    }
    /// Direct children of `prefix` ("" for the root): `FEntity` → `FEntity.FQty`, ...
    pub fn children<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a FieldMeta> + 'a {
        self.fields.iter().filter(move |f| match prefix {
            "" => !f.path.contains('.'),
            p => f.path.strip_prefix(p).and_then(|r| r.strip_prefix('.')).is_some_and(|r| !r.contains('.')),
        })
    }
}
