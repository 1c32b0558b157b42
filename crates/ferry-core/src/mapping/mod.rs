//! The mapping engine: a target model described as a tree of literals, `{{ }}` templates, typed
//! expressions, arrays built from a source array (`each` / `where` / `map`), value maps and table
//! lookups — compiled once per run and checked against the APIs' metadata, then applied per record.

mod compile;
pub mod expr;
pub mod functions;
pub mod lex;
pub mod path;
pub mod scope;

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

pub use compile::{Compiler, SrcScope};
pub use expr::Expr;
pub use scope::{Scope, Tables};

use expr::{EvalError, json_key_text, text_of};

/// A piece of a string template.
#[derive(Debug, Clone)]
pub enum Part {
    Lit(String),
    Expr(Expr),
}

/// A compiled mapping node.
#[derive(Debug, Clone)]
pub enum Plan {
    Const(Value),
    /// A value that is exactly one `{{ expr }}`: keeps the expression's type.
    Expr(Expr, Arc<str>),
    /// A string with `{{ }}` parts.
    Template(Vec<Part>, Arc<str>),
    Object(Vec<(String, Plan)>),
    List(Vec<Plan>),
    /// An array built from a source array.
    Each { from: Expr, filter: Option<Expr>, item: Box<Plan>, from_text: Arc<str>, path: Arc<str> },
    /// A static code table: the value's text → the output.
    ValueMap { value: Box<Plan>, map: Arc<HashMap<String, Value>>, default: Option<Value>, path: Arc<str> },
}

/// A mapping failure for one record: the field path and what went wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct MapError {
    pub path: String,
    pub message: String,
}

impl MapError {
    fn at(path: &str, e: EvalError) -> MapError {
        MapError { path: path.to_owned(), message: e.0 }
    }
}

impl Plan {
    /// Apply to one scope.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, MapError> {
        match self {
            Plan::Const(v) => Ok(v.clone()),
            Plan::Expr(e, path) => e.eval(scope).map_err(|e| MapError::at(path, e)),
            Plan::Template(parts, path) => {
                let mut s = String::new();
                for p in parts {
                    match p {
                        Part::Lit(l) => s.push_str(l),
                        Part::Expr(e) => s.push_str(&text_of(&e.eval(scope).map_err(|e| MapError::at(path, e))?)),
                    }
                }
                Ok(Value::String(s))
            }
            Plan::Object(fields) => {
                let mut m = Map::with_capacity(fields.len());
                for (k, p) in fields {
                    m.insert(k.clone(), p.eval(scope)?);
                }
                Ok(Value::Object(m))
            }
            Plan::List(items) => items.iter().map(|p| p.eval(scope)).collect::<Result<Vec<_>, _>>().map(Value::Array),
            Plan::Each { from, filter, item, from_text, path } => {
                let not_list = |other: &Value| MapError {
                    path: path.to_string(),
                    message: format!("each: '{from_text}' is {}, expected a list", expr::json_kind(other)),
                };
                let Expr::Path(p) = from else {
                    // A computed list: each item becomes the root of its own scope.
                    return match from.eval(scope).map_err(|e| MapError::at(path, e))? {
                        Value::Array(a) => eval_each_computed(&a, filter.as_ref(), item, scope, from_text, path),
                        Value::Null => Ok(Value::Array(Vec::new())),
                        other => Err(not_list(&other)),
                    };
                };
                let arr = match scope.get(p) {
                    Some(Value::Array(a)) => a,
                    Some(Value::Null) | None => return Ok(Value::Array(Vec::new())),
                    Some(other) => return Err(not_list(other)),
                };
                if p.up > 0 {
                    return eval_each_computed(arr, filter.as_ref(), item, scope, from_text, path);
                }
                let mut out = Vec::with_capacity(arr.len());
                for (i, v) in arr.iter().enumerate() {
                    let child = scope.child(v, &p.steps, i);
                    let keep = match filter {
                        Some(f) => f.test(&child).map_err(|e| item_err(MapError::at(path, e), i, from_text))?,
                        None => true,
                    };
                    if keep {
                        out.push(item.eval(&child).map_err(|e| item_err(e, i, from_text))?);
                    }
                }
                Ok(Value::Array(out))
            }
            Plan::ValueMap { value, map, default, path } => {
                let v = value.eval(scope)?;
                let key = json_key_text(&v).unwrap_or_default();
                match map.get(&key) {
                    Some(out) => Ok(out.clone()),
                    None => default.clone().ok_or_else(|| {
                        let mut known: Vec<&str> = map.keys().map(String::as_str).collect();
                        known.sort_unstable();
                        MapError {
                            path: path.to_string(),
                            message: format!("'{key}' is not in the value map (it knows: {})", known.join(", ")),
                        }
                    }),
                }
            }
        }
    }
}

fn item_err(e: MapError, i: usize, from: &str) -> MapError {
    MapError { path: e.path, message: format!("{} (item {} of {from})", e.message, i + 1) }
}

/// `each` over a list computed by an expression (not a plain path): each item becomes the root of
/// its own scope, with the current scope as parent.
fn eval_each_computed(
    arr: &[Value],
    filter: Option<&Expr>,
    item: &Plan,
    scope: &Scope<'_>,
    from_text: &str,
    path: &str,
) -> Result<Value, MapError> {
    let mut out = Vec::with_capacity(arr.len());
    for (i, v) in arr.iter().enumerate() {
        let root = Arc::new(v.clone());
        let child = Scope { value: &root, parent: Some(scope), root: &root, via: &[], via_index: None, tables: scope.tables };
        let keep = match filter {
            Some(f) => f.test(&child).map_err(|e| item_err(MapError::at(path, e), i, from_text))?,
            None => true,
        };
        if keep {
            out.push(item.eval(&child).map_err(|e| item_err(e, i, from_text))?);
        }
    }
    Ok(Value::Array(out))
}

/// A compiled target mapping with its `skip_when`.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub plan: Plan,
    /// Evaluated on the *output* model: true → the record produces nothing for this target.
    pub skip_when: Option<Expr>,
}

/// What mapping one record produced.
#[derive(Debug, Clone, PartialEq)]
pub enum Mapped {
    Model(Value),
    /// `skip_when` held.
    Skipped,
}

impl Mapping {
    pub fn apply(&self, record: &Arc<Value>, tables: &Arc<Tables>) -> Result<Mapped, MapError> {
        let scope = Scope::root(record, tables);
        let out = self.plan.eval(&scope)?;
        if let Some(skip) = &self.skip_when {
            let out = Arc::new(out);
            let skip = skip.test(&Scope::root(&out, tables)).map_err(|e| MapError::at("skip_when", e))?;
            if skip {
                return Ok(Mapped::Skipped);
            }
            return Ok(Mapped::Model(Arc::try_unwrap(out).unwrap_or_else(|a| (*a).clone())));
        }
        Ok(Mapped::Model(out))
    }
}

/// Compile a mapping node outside a scheme (tests, the UI's live preview). `path` prefixes the
/// field paths in diagnostics.
pub fn compile_mapping(
    node: &crate::yaml::Node,
    path: &str,
    skip_when: Option<&crate::yaml::Node>,
    tables: &std::collections::BTreeSet<String>,
    source: Option<&crate::metadata::ApiMeta>,
    target: Option<&crate::metadata::ApiMeta>,
    diags: &mut crate::diag::Diagnostics,
) -> Option<Mapping> {
    let mut c = Compiler { diags, source, target, tables };
    c.mapping(node, path, skip_when.map(|n| (n, "skip_when".to_owned())))
}
