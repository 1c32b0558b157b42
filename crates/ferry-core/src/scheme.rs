//! The integration scheme (集成方案): one source feeding one or more targets. Parsed from YAML or
//! JSON, validated with every mistake reported at once (file:line:column and field path), and
//! compiled against the APIs' metadata into something the engine can run.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};

use crate::diag::{Diagnostics, Invalid, Loc, did_you_mean};
use crate::mapping::{Compiler, Expr, Mapping, Plan, SrcScope};
use crate::metadata::{ApiMeta, FieldType};
use crate::yaml::{self, Kind, Node};

/// What validation needs to know about the world: which connections exist, what system each is,
/// and the metadata of their APIs. Implemented over the connector registry.
pub trait Catalog {
    /// The system (`file`, `jackyun`, `kingdee`, …) of a named connection.
    fn connection_system(&self, connection: &str) -> Option<String>;
    /// All connection names (for suggestions).
    fn connection_names(&self) -> Vec<String>;
    /// The APIs a system offers (for suggestions); empty if the system takes any API name.
    fn apis(&self, system: &str) -> Vec<String>;
    /// Metadata of one API (and form, for form-based systems). `Ok(None)`: the API exists but has
    /// no field metadata (fields are then not checked). `Err(message)`: no such API.
    fn api_meta(&self, system: &str, api: &str, form: Option<&str>) -> Result<Option<ApiMeta>, String>;
}

/// A lookup table declared by the scheme.
#[derive(Debug, Clone, PartialEq)]
pub enum TableSpec {
    /// `inline: { CK01: CK001, … }`
    Inline(HashMap<String, Value>),
    /// `file: warehouses.csv` (or `.json`), `key:` column, optional `value:` column (else the whole row).
    File { path: String, key: String, value: Option<String> },
    /// `from: { connection: kingdee, form: BD_STOCK, key: FNumber, value: FName, filter: … }`:
    /// filled from a system's base data when a run starts.
    Query { connection: String, form: String, key: String, value: Option<String>, filter: Option<String> },
}

#[derive(Debug, Clone)]
pub struct SourceSpec {
    pub connection: String,
    pub system: String,
    pub api: String,
    pub params: Map<String, Value>,
    /// Incremental window settings, interpreted by the connector.
    pub window: Option<Value>,
    /// The record's identity (`stocktakeId`, or a template).
    pub key: Plan,
    pub key_text: String,
    /// Records not matching are `filtered` for every target.
    pub filter: Option<Expr>,
    pub meta: Option<ApiMeta>,
}

#[derive(Debug, Clone)]
pub struct TargetSpec {
    pub name: String,
    pub connection: String,
    pub system: String,
    pub api: String,
    pub form: Option<String>,
    /// Models per write call.
    pub batch: usize,
    /// Request-level options (Kingdee: IsAutoSubmitAndAudit, IsVerifyBaseDataField, …).
    pub options: Map<String, Value>,
    /// The output field the target keeps as its idempotency key (Kingdee: `FBillNo`).
    pub idempotency: Option<String>,
    /// Per-target filter on the source record.
    pub filter: Option<Expr>,
    pub mapping: Mapping,
    pub meta: Option<ApiMeta>,
    /// What to do when a record changes in the source after it was written.
    pub on_change: OnChange,
}

/// Policy for a source record that changed (same key, new content) after it was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnChange {
    /// Keep what the target holds; warn (the default: a posted bill is not silently altered).
    #[default]
    Skip,
    /// Send the new version; the sink updates the document it wrote before.
    Update,
    /// Record the change as a failure for a person to look at.
    Fail,
}

/// A validated, compiled scheme.
#[derive(Debug, Clone)]
pub struct Scheme {
    pub name: String,
    pub description: Option<String>,
    pub source: SourceSpec,
    pub targets: Vec<TargetSpec>,
    pub tables: BTreeMap<String, TableSpec>,
    pub schedule: Option<String>,
}

const TOP_KEYS: [&str; 6] = ["name", "description", "source", "targets", "tables", "schedule"];
const SOURCE_KEYS: [&str; 6] = ["connection", "api", "params", "window", "key", "where"];
const TARGET_KEYS: [&str; 10] =
    ["connection", "api", "form", "batch", "options", "idempotency", "on_change", "where", "mapping", "skip_when"];
const TABLE_KEYS: [&str; 5] = ["inline", "file", "from", "key", "value"];
const FROM_KEYS: [&str; 5] = ["connection", "form", "key", "value", "filter"];

/// Default models per write call when the scheme does not say.
pub const DEFAULT_BATCH: usize = 50;

impl Scheme {
    /// Parse, validate and compile. `file` is the name used in diagnostics.
    pub fn load(file: &str, text: &str, catalog: &dyn Catalog) -> Result<Scheme, Invalid> {
        let root = yaml::parse(file, text).map_err(Invalid)?;
        let mut d = Diagnostics::new(file);
        let scheme = build(&root, catalog, &mut d);
        match scheme {
            Some(s) if d.is_empty() => Ok(s),
            _ => {
                if d.is_empty() {
                    d.push(Loc::default(), "", "invalid scheme");
                }
                Err(Invalid(d.sorted()))
            }
        }
    }

    pub fn target(&self, name: &str) -> Option<&TargetSpec> {
        self.targets.iter().find(|t| t.name == name)
    }
}

fn unknown_keys(node: &Node, allowed: &[&str], path: &str, d: &mut Diagnostics) {
    for (k, _) in node.as_map().unwrap_or_default() {
        if !allowed.contains(&k.name.as_str()) {
            let p = if path.is_empty() { k.name.clone() } else { format!("{path}.{}", k.name) };
            d.push(k.loc, p, format!("unknown key '{}'{}", k.name, did_you_mean(&k.name, allowed.iter().copied())));
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") }
}

fn req_str<'n>(node: &'n Node, key: &str, path: &str, d: &mut Diagnostics) -> Option<&'n str> {
    let p = join(path, key);
    match node.get(key) {
        None => {
            d.push(node.loc, p, "required");
            None
        }
        Some(v) => match v.as_str() {
            Some(s) if !s.trim().is_empty() => Some(s.trim()),
            Some(_) => {
                d.push(v.loc, p, "must not be empty");
                None
            }
            None => {
                d.push(v.loc, p, format!("expected a string, found {}", v.type_name()));
                None
            }
        },
    }
}

fn opt_str<'n>(node: &'n Node, key: &str, path: &str, d: &mut Diagnostics) -> Option<&'n str> {
    let v = node.get(key)?;
    match v.as_str() {
        Some(s) => Some(s.trim()),
        None if v.is_null() => None,
        None => {
            d.push(v.loc, join(path, key), format!("expected a string, found {}", v.type_name()));
            None
        }
    }
}

fn map_of<'n>(node: &'n Node, key: &str, path: &str, d: &mut Diagnostics) -> Option<&'n Node> {
    let v = node.get(key)?;
    if v.as_map().is_some() {
        Some(v)
    } else if v.is_null() {
        None
    } else {
        d.push(v.loc, join(path, key), format!("expected a mapping, found {}", v.type_name()));
        None
    }
}

/// Resolve a connection name to its system, reporting unknown names.
fn system_of(node: &Node, path: &str, catalog: &dyn Catalog, d: &mut Diagnostics) -> Option<(String, String)> {
    let conn = req_str(node, "connection", path, d)?;
    match catalog.connection_system(conn) {
        Some(sys) => Some((conn.to_owned(), sys)),
        None => {
            let names = catalog.connection_names();
            let loc = node.get("connection").map_or(node.loc, |n| n.loc);
            d.push(loc, format!("{path}.connection"), format!(
                "unknown connection '{conn}'{} (known: {})",
                did_you_mean(conn, names.iter().map(String::as_str)),
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            ));
            None
        }
    }
}

fn resolve_api(
    node: &Node,
    path: &str,
    system: &str,
    form: Option<&str>,
    catalog: &dyn Catalog,
    d: &mut Diagnostics,
) -> Option<(String, Option<ApiMeta>)> {
    let api = req_str(node, "api", path, d)?;
    match catalog.api_meta(system, api, form) {
        Ok(meta) => Some((api.to_owned(), meta)),
        Err(msg) => {
            let loc = node.get("api").map_or(node.loc, |n| n.loc);
            let apis = catalog.apis(system);
            d.push(loc, format!("{path}.api"), format!("{msg}{}", did_you_mean(api, apis.iter().map(String::as_str))));
            None
        }
    }
}

fn build(root: &Node, catalog: &dyn Catalog, d: &mut Diagnostics) -> Option<Scheme> {
    if root.as_map().is_none() {
        d.push(root.loc, "", format!("a scheme is a mapping with name, source and targets; found {}", root.type_name()));
        return None;
    }
    unknown_keys(root, &TOP_KEYS, "", d);
    let name = req_str(root, "name", "", d).map(str::to_owned);
    let description = opt_str(root, "description", "", d).map(str::to_owned);
    let schedule = opt_str(root, "schedule", "", d).map(str::to_owned);

    let tables = build_tables(root, catalog, d);
    let table_names: BTreeSet<String> = tables.keys().cloned().collect();

    let source = match root.get("source") {
        None => {
            d.push(root.loc, "source", "required: where the records come from (connection, api, key)");
            None
        }
        Some(s) if s.as_map().is_none() => {
            d.push(s.loc, "source", format!("expected a mapping, found {}", s.type_name()));
            None
        }
        Some(s) => build_source(s, catalog, &table_names, d),
    };

    let mut targets = Vec::new();
    match root.get("targets") {
        None => d.push(root.loc, "targets", "required: at least one target (name → connection, api, mapping)"),
        Some(t) => match t.as_map() {
            Some(entries) if !entries.is_empty() => {
                for (k, tnode) in entries {
                    let path = format!("targets.{}", k.name);
                    if tnode.as_map().is_none() {
                        d.push(tnode.loc, path, format!("expected a mapping, found {}", tnode.type_name()));
                        continue;
                    }
                    let src_meta = source.as_ref().and_then(|s: &SourceSpec| s.meta.as_ref());
                    if let Some(t) = build_target(&k.name, tnode, &path, src_meta, catalog, &table_names, d) {
                        targets.push(t);
                    }
                }
            }
            _ => d.push(t.loc, "targets", "expected a non-empty mapping of target name → target"),
        },
    }

    Some(Scheme { name: name?, description, source: source?, targets, tables, schedule })
}

fn build_tables(root: &Node, catalog: &dyn Catalog, d: &mut Diagnostics) -> BTreeMap<String, TableSpec> {
    let mut out = BTreeMap::new();
    let Some(tables) = map_of(root, "tables", "", d) else { return out };
    for (k, t) in tables.as_map().unwrap_or_default() {
        let path = format!("tables.{}", k.name);
        if t.as_map().is_none() {
            d.push(t.loc, path, format!("expected a mapping with 'inline:' or 'file:', found {}", t.type_name()));
            continue;
        }
        unknown_keys(t, &TABLE_KEYS, &path, d);
        if let Some(from) = t.get("from") {
            if t.get("inline").is_some() || t.get("file").is_some() {
                d.push(t.loc, path, "give one of 'inline:', 'file:' or 'from:'");
                continue;
            }
            let fp = format!("{path}.from");
            if from.as_map().is_none() {
                d.push(from.loc, fp, format!("expected a mapping {{ connection, form, key, value, filter }}, found {}", from.type_name()));
                continue;
            }
            unknown_keys(from, &FROM_KEYS, &fp, d);
            let conn = req_str(from, "connection", &fp, d);
            if let Some(c) = conn
                && catalog.connection_system(c).is_none() {
                    let names = catalog.connection_names();
                    let loc = from.get("connection").map_or(from.loc, |n| n.loc);
                    d.push(loc, format!("{fp}.connection"), format!("unknown connection '{c}'{}", did_you_mean(c, names.iter().map(String::as_str))));
                }
            let form = req_str(from, "form", &fp, d);
            let key = req_str(from, "key", &fp, d);
            let value = opt_str(from, "value", &fp, d).map(str::to_owned);
            let filter = opt_str(from, "filter", &fp, d).map(str::to_owned);
            if let (Some(connection), Some(form), Some(key)) = (conn, form, key) {
                out.insert(k.name.clone(), TableSpec::Query { connection: connection.into(), form: form.into(), key: key.into(), value, filter });
            }
            continue;
        }
        let spec = match (t.get("inline"), t.get("file")) {
            (Some(inline), None) => match inline.as_map() {
                Some(entries) => Some(TableSpec::Inline(entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect())),
                None => {
                    d.push(inline.loc, format!("{path}.inline"), format!("expected a mapping of key → value, found {}", inline.type_name()));
                    None
                }
            },
            (None, Some(_)) => {
                let file = opt_str(t, "file", &path, d);
                let key = req_str(t, "key", &path, d);
                let value = opt_str(t, "value", &path, d);
                match (file, key) {
                    (Some(f), Some(key)) => Some(TableSpec::File { path: f.to_owned(), key: key.to_owned(), value: value.map(str::to_owned) }),
                    _ => None,
                }
            }
            (Some(_), Some(_)) => {
                d.push(t.loc, path, "give either 'inline:' or 'file:', not both");
                None
            }
            (None, None) => {
                d.push(t.loc, path, "a table needs 'inline:' (key → value), 'file:' (a CSV or JSON file) or 'from:' (a system's base data)");
                None
            }
        };
        if let Some(s) = spec {
            out.insert(k.name.clone(), s);
        }
    }
    out
}

fn build_source(s: &Node, catalog: &dyn Catalog, tables: &BTreeSet<String>, d: &mut Diagnostics) -> Option<SourceSpec> {
    unknown_keys(s, &SOURCE_KEYS, "source", d);
    let sys = system_of(s, "source", catalog, d);
    let api = sys.as_ref().and_then(|(_, sys)| resolve_api(s, "source", sys, None, catalog, d));
    if let Some((api, Some(meta))) = &api
        && !meta.kind.reads() {
            let loc = s.get("api").map_or(s.loc, |n| n.loc);
            d.push(loc, "source.api", format!("'{api}' ({}) writes data; a source needs a query API", meta.label));
        }
    let meta = api.as_ref().and_then(|(_, m)| m.clone());
    let params = match map_of(s, "params", "source", d) {
        Some(p) => {
            if let Some(m) = &meta {
                for (k, v) in p.as_map().unwrap_or_default() {
                    match m.param(&k.name) {
                        None => d.push(k.loc, format!("source.params.{}", k.name), format!(
                            "unknown parameter '{}' of {}{} (the gateway would silently ignore it)",
                            k.name,
                            m.api,
                            did_you_mean(&k.name, m.params.iter().map(|p| p.path.as_str()))
                        )),
                        Some(f) => check_scalar_type(v, f.ty, &format!("source.params.{}", k.name), &f.label, d),
                    }
                }
            }
            match p.to_json() {
                Value::Object(m) => m,
                _ => Map::new(),
            }
        }
        None => Map::new(),
    };
    let window = s.get("window").map(Node::to_json);
    let fields_meta = with_fields(meta.as_ref());
    let mut compiler = Compiler { diags: d, source: fields_meta, target: None, tables };
    let scope = SrcScope::record(fields_meta.is_some());
    let key_node = s.get("key");
    let key = match key_node {
        None => {
            compiler.diags.push(s.loc, "source.key", "required: the field (or template) that identifies a record, e.g. key: stocktakeId");
            None
        }
        Some(k) => match k.as_str() {
            Some(text) if !text.contains("{{") => {
                let e = compiler.expr(k, "source.key", &scope);
                e.map(|e| Plan::Expr(e, "source.key".into()))
            }
            Some(_) => compiler.template(k, "source.key", &scope),
            None => {
                compiler.diags.push(k.loc, "source.key", format!("expected a field name or template, found {}", k.type_name()));
                None
            }
        },
    };
    let filter = s.get("where").and_then(|w| compiler.expr(w, "source.where", &scope));
    let (connection, system) = sys?;
    Some(SourceSpec {
        connection,
        system,
        api: api?.0,
        params,
        window,
        key: key?,
        key_text: key_node.and_then(Node::as_str).unwrap_or_default().to_owned(),
        filter,
        meta,
    })
}

/// Metadata that lists fields (an API without field metadata — a file — is not checked field by field).
fn with_fields(m: Option<&ApiMeta>) -> Option<&ApiMeta> {
    m.filter(|m| !m.fields.is_empty())
}

fn check_scalar_type(v: &Node, ty: FieldType, path: &str, label: &str, d: &mut Diagnostics) {
    let ok = match (ty, &v.kind) {
        (FieldType::Number | FieldType::Integer, Kind::Int(_) | Kind::UInt(_)) => true,
        (FieldType::Number, Kind::Float(_)) => true,
        (FieldType::Number | FieldType::Integer, Kind::Str(s)) => s.trim().parse::<f64>().is_ok() || s.contains("{{"),
        (FieldType::Number | FieldType::Integer, _) => false,
        (FieldType::Bool, Kind::Bool(_)) => true,
        (FieldType::Bool, Kind::Str(s)) => matches!(s.as_str(), "true" | "false"),
        (FieldType::Bool, _) => false,
        (FieldType::String | FieldType::Datetime, Kind::Map(_) | Kind::Seq(_)) => false,
        _ => true,
    };
    if !ok {
        d.push(v.loc, path, format!("expected {} ({label}), found {}", ty.as_str(), v.type_name()));
    }
}

fn build_target(
    name: &str,
    t: &Node,
    path: &str,
    src_meta: Option<&ApiMeta>,
    catalog: &dyn Catalog,
    tables: &BTreeSet<String>,
    d: &mut Diagnostics,
) -> Option<TargetSpec> {
    unknown_keys(t, &TARGET_KEYS, path, d);
    let sys = system_of(t, path, catalog, d);
    let form = opt_str(t, "form", path, d).map(str::to_owned);
    let api = sys.as_ref().and_then(|(_, sys)| resolve_api(t, path, sys, form.as_deref(), catalog, d));
    let meta = api.as_ref().and_then(|(_, m)| m.clone());
    if let (Some((api, _)), Some(m)) = (&api, &meta)
        && !m.kind.writes() {
            let loc = t.get("api").map_or(t.loc, |n| n.loc);
            d.push(loc, format!("{path}.api"), format!("'{api}' ({}) only reads data; a target needs a write API", m.label));
        }
    let batch = match t.get("batch") {
        None => DEFAULT_BATCH,
        Some(b) => match b.kind {
            Kind::Int(n) if (1..=10_000).contains(&n) => n as usize,
            _ => {
                d.push(b.loc, format!("{path}.batch"), format!("expected a whole number from 1 to 10000, found {}", b.scalar_text().unwrap_or_else(|| b.type_name().into())));
                DEFAULT_BATCH
            }
        },
    };
    let options = match map_of(t, "options", path, d) {
        Some(o) => {
            if let Some(m) = &meta {
                for (k, v) in o.as_map().unwrap_or_default() {
                    let p = format!("{path}.options.{}", k.name);
                    // `IsAutoSubmitAndAudit` or the spec's own spelling `FEntity.IsAutoSubmitAndAudit`.
                    match m.params.iter().find(|f| f.name().eq_ignore_ascii_case(&k.name) || f.path.eq_ignore_ascii_case(&k.name)) {
                        None => d.push(k.loc, p, format!(
                            "unknown option '{}' of {}{}",
                            k.name,
                            m.api,
                            did_you_mean(&k.name, m.params.iter().map(|f| f.name()))
                        )),
                        Some(f) => check_scalar_type(v, f.ty, &p, &f.label, d),
                    }
                }
            }
            match o.to_json() {
                Value::Object(m) => m,
                _ => Map::new(),
            }
        }
        None => Map::new(),
    };
    let idempotency = opt_str(t, "idempotency", path, d).map(str::to_owned);
    let on_change = match opt_str(t, "on_change", path, d) {
        None | Some("skip") => OnChange::Skip,
        Some("update") => OnChange::Update,
        Some("fail") => OnChange::Fail,
        Some(other) => {
            let loc = t.get("on_change").map_or(t.loc, |n| n.loc);
            d.push(loc, format!("{path}.on_change"), format!(
                "expected skip, update or fail, found '{other}'{}",
                did_you_mean(other, ["skip", "update", "fail"])
            ));
            OnChange::Skip
        }
    };
    let src_meta = with_fields(src_meta);
    let mut compiler = Compiler { diags: d, source: src_meta, target: with_fields(meta.as_ref()), tables };
    let filter = t.get("where").and_then(|w| compiler.expr(w, &format!("{path}.where"), &SrcScope::record(src_meta.is_some())));
    let mapping = match t.get("mapping") {
        None => {
            compiler.diags.push(t.loc, format!("{path}.mapping"), "required: the target fields and how each is made");
            None
        }
        Some(m) => compiler.mapping(m, &format!("{path}.mapping"), t.get("skip_when").map(|n| (n, format!("{path}.skip_when")))),
    };
    if let (Some(idem), Some(m)) = (&idempotency, &mapping) {
        let present = match &m.plan {
            Plan::Object(fields) => fields.iter().any(|(k, _)| k == idem),
            _ => false,
        };
        if !present {
            let loc = t.get("idempotency").map_or(t.loc, |n| n.loc);
            d.push(loc, format!("{path}.idempotency"), format!("'{idem}' is not a field of this mapping: the idempotency key must be one of the model's top-level fields"));
        }
    }
    let (connection, system) = sys?;
    Some(TargetSpec {
        name: name.to_owned(),
        connection,
        system,
        api: api?.0,
        form,
        batch,
        options,
        idempotency,
        filter,
        mapping: mapping?,
        meta,
        on_change,
    })
}
