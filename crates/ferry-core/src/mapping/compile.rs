//! From the located YAML tree to a [`Plan`], with every mistake collected as a diagnostic:
//! expression syntax, unknown functions/filters/tests, unknown source fields, unknown or mistyped
//! target fields, missing required fields, unknown tables.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::expr::Expr;
use super::functions::{FILTERS, FUNCTIONS, TESTS};
use super::lex::{calls, lex};
use super::path::Path;
use super::{Mapping, Part, Plan};
use crate::diag::{Diagnostics, Loc, did_you_mean};
use crate::metadata::{ApiMeta, FieldMeta, FieldType};
use crate::yaml::{Kind, Node};

/// Which source fields are visible: one entry per scope level (outermost first). `Some(prefix)` is
/// the metadata path of the level's items (`""` for the record, `stockTakeDetailViews` for its lines);
/// `None` when the fields are unknown (no metadata, or a computed list).
#[derive(Debug, Clone)]
pub struct SrcScope {
    pub levels: Vec<Option<String>>,
}

impl SrcScope {
    pub fn record(known: bool) -> Self {
        SrcScope { levels: vec![known.then(String::new)] }
    }
}

/// Compiles mapping nodes, collecting diagnostics.
pub struct Compiler<'a> {
    pub diags: &'a mut Diagnostics,
    /// Metadata of the source API's records (None: unchecked).
    pub source: Option<&'a ApiMeta>,
    /// Metadata of the target API's models (None: unchecked).
    pub target: Option<&'a ApiMeta>,
    /// Names of the tables the scheme declares.
    pub tables: &'a BTreeSet<String>,
}

/// Where in the target model a value goes.
#[derive(Clone, Copy)]
enum Tgt<'m> {
    Unknown,
    /// An object whose children are the metadata's fields under this prefix.
    Fields(&'m ApiMeta, &'m str),
    Field(&'m ApiMeta, &'m FieldMeta),
}

impl<'a> Compiler<'a> {
    /// Compile a target's mapping (a mapping object) and its `skip_when`.
    pub fn mapping(&mut self, node: &Node, path: &str, skip_when: Option<(&Node, String)>) -> Option<Mapping> {
        if node.as_map().is_none() {
            self.diags.push(node.loc, path, format!("expected a mapping of target fields, found {}", node.type_name()));
            return None;
        }
        let src = SrcScope::record(self.source.is_some());
        let tgt = match self.target {
            Some(m) => Tgt::Fields(m, ""),
            None => Tgt::Unknown,
        };
        let plan = self.value(node, path, &src, tgt);
        let skip = skip_when.and_then(|(n, p)| {
            let out_scope = SrcScope { levels: vec![self.target.map(|_| String::new())] };
            let saved = self.source;
            self.source = self.target;
            let e = self.expr(n, &p, &out_scope);
            self.source = saved;
            e
        });
        Some(Mapping { plan: plan?, skip_when: skip })
    }

    /// Compile a condition or key expression (`where`, `key`, `skip_when`): plain expression text,
    /// with or without `{{ }}`.
    pub fn expr(&mut self, node: &Node, path: &str, src: &SrcScope) -> Option<Expr> {
        let text = match &node.kind {
            Kind::Str(s) => s.trim(),
            Kind::Bool(b) => return Some(Expr::Const(Value::Bool(*b))),
            _ => {
                self.diags.push(node.loc, path, format!("expected an expression (a string), found {}", node.type_name()));
                return None;
            }
        };
        let text = text.strip_prefix("{{").and_then(|t| t.strip_suffix("}}")).unwrap_or(text).trim();
        self.compile_expr(text, node.loc, path, src)
    }

    /// Compile a template-or-expression string in a given source scope (for `key:`).
    pub fn template(&mut self, node: &Node, path: &str, src: &SrcScope) -> Option<Plan> {
        self.value(node, path, src, Tgt::Unknown)
    }

    fn compile_expr(&mut self, text: &str, loc: Loc, path: &str, src: &SrcScope) -> Option<Expr> {
        if text.is_empty() {
            self.diags.push(loc, path, "empty expression");
            return None;
        }
        let mut ok = true;
        let mut called: Vec<String> = Vec::new();
        if let Some(toks) = lex(text) {
            let c = calls(&toks);
            called.clone_from(&c.functions);
            for f in &c.functions {
                if !FUNCTIONS.contains(&f.as_str()) {
                    self.diags.push(loc, path, format!("unknown function '{f}'{}", did_you_mean(f, FUNCTIONS.iter().copied())));
                    ok = false;
                }
            }
            for f in &c.filters {
                if !FILTERS.contains(&f.as_str()) {
                    self.diags.push(loc, path, format!("unknown filter '{f}'{}", did_you_mean(f, FILTERS.iter().copied())));
                    ok = false;
                }
            }
            for t in &c.tests {
                if !TESTS.contains(&t.as_str()) {
                    self.diags.push(loc, path, format!("unknown test '{t}'{}", did_you_mean(t, TESTS.iter().copied())));
                    ok = false;
                }
            }
        }
        for t in Expr::tables(text) {
            if !self.tables.contains(&t) {
                let msg = format!("unknown table '{t}'{}", did_you_mean(&t, self.tables.iter().map(String::as_str)));
                self.diags.push(loc, path, if self.tables.is_empty() { format!("{msg}: declare it under 'tables:'") } else { msg });
                ok = false;
            }
        }
        let e = match Expr::compile(text) {
            Ok(e) => e,
            Err(msg) => {
                self.diags.push(loc, path, format!("in '{text}': {msg}"));
                return None;
            }
        };
        for p in e.paths() {
            // A called name is a function (already checked above), not a field.
            let is_call = p.up == 0 && p.steps.len() == 1 && p.head().is_some_and(|h| called.iter().any(|c| c == h));
            if !is_call {
                ok &= self.check_path(&p, loc, path, src);
            }
        }
        ok.then_some(e)
    }

    /// Is this path readable in this scope? Reports and returns false if not.
    fn check_path(&mut self, p: &Path, loc: Loc, path: &str, src: &SrcScope) -> bool {
        let depth = src.levels.len() - 1;
        if p.up > depth {
            let msg = if depth == 0 {
                format!("'{p}': 'parent' is only available inside 'each'")
            } else {
                format!("'{p}' climbs {} levels, but only {depth} enclosing 'each' exist", p.up)
            };
            self.diags.push(loc, path, msg);
            return false;
        }
        let (Some(meta), Some(Some(prefix))) = (self.source, src.levels.get(depth - p.up)) else { return true };
        let Some(head) = p.head() else { return true };
        let full = if prefix.is_empty() { head.to_owned() } else { format!("{prefix}.{head}") };
        let known: Vec<&str> = meta.children(prefix).map(|f| f.name()).collect();
        if meta.field(&full).is_some() || known.contains(&head) {
            return true;
        }
        let what = if prefix.is_empty() { format!("a field of {} records", meta.api) } else { format!("a field of {prefix}") };
        self.diags.push(loc, path, format!("unknown source field '{head}': not {what}{}", did_you_mean(head, known)));
        false
    }

    fn value(&mut self, node: &Node, path: &str, src: &SrcScope, tgt: Tgt<'_>) -> Option<Plan> {
        match &node.kind {
            Kind::Str(s) => {
                let plan = self.string(s, node.loc, path, src)?;
                self.check_type(&plan, node, path, tgt);
                Some(plan)
            }
            Kind::Seq(items) => {
                let item_tgt = match tgt {
                    Tgt::Field(m, f) if f.ty == FieldType::Array => Tgt::Fields(m, &f.path),
                    Tgt::Field(_, f) if !matches!(f.ty, FieldType::Any) => {
                        self.diags.push(node.loc, path, format!("expected {}, found a list", f.ty.as_str()));
                        return None;
                    }
                    _ => Tgt::Unknown,
                };
                let mut out = Vec::new();
                let mut ok = true;
                for (i, it) in items.iter().enumerate() {
                    match self.value(it, &format!("{path}[{i}]"), src, item_tgt) {
                        Some(p) => out.push(p),
                        None => ok = false,
                    }
                }
                ok.then_some(Plan::List(out))
            }
            Kind::Map(entries) => {
                if node.get("each").is_some() {
                    return self.each(node, path, src, tgt);
                }
                if node.get("value").is_some() && node.get("map").is_some() {
                    let plan = self.value_map(node, path, src)?;
                    return Some(plan);
                }
                let fields_of = match tgt {
                    Tgt::Fields(m, prefix) => Some((m, prefix)),
                    Tgt::Field(_, f) if matches!(f.ty, FieldType::String | FieldType::Number | FieldType::Integer | FieldType::Bool | FieldType::Datetime | FieldType::Array) => {
                        self.diags.push(node.loc, path, format!("expected {}, found a mapping", f.ty.as_str()));
                        return None;
                    }
                    _ => None,
                };
                let mut out = Vec::with_capacity(entries.len());
                let mut ok = true;
                for (k, v) in entries {
                    let p = format!("{path}.{}", k.name);
                    let t = match fields_of {
                        Some((m, prefix)) => match self.target_field(m, prefix, &k.name, k.loc, &p) {
                            Some(f) => Tgt::Field(m, f),
                            None => {
                                ok = false;
                                continue;
                            }
                        },
                        None => Tgt::Unknown,
                    };
                    match self.value(v, &p, src, t) {
                        Some(plan) => out.push((k.name.clone(), plan)),
                        None => ok = false,
                    }
                }
                if let Some((m, prefix)) = fields_of {
                    for f in m.children(prefix).filter(|f| f.required) {
                        let name = f.name();
                        let present = entries.iter().any(|(k, _)| {
                            if m.case_insensitive { k.name.eq_ignore_ascii_case(name) } else { k.name == name }
                        });
                        if !present {
                            self.diags.push(node.loc, path, format!("missing required field '{name}' ({})", f.label));
                            ok = false;
                        }
                    }
                }
                ok.then_some(Plan::Object(out))
            }
            _ => {
                let v = node.to_json();
                let plan = Plan::Const(v);
                self.check_type(&plan, node, path, tgt);
                Some(plan)
            }
        }
    }

    /// Resolve an output key against the target's fields under `prefix`.
    fn target_field<'m>(&mut self, m: &'m ApiMeta, prefix: &'m str, key: &str, loc: Loc, path: &str) -> Option<&'m FieldMeta> {
        let found = m.children(prefix).find(|f| {
            let n = f.name();
            if m.case_insensitive { n.eq_ignore_ascii_case(key) } else { n == key }
        });
        if found.is_none() {
            if let Some(opt) = m.params.iter().find(|p| p.name().eq_ignore_ascii_case(key)) {
                self.diags.push(loc, path, format!(
                    "'{key}' ({}) is a request option, not a model field: set it under the target's 'options:'",
                    opt.label
                ));
                return None;
            }
            let known: Vec<&str> = m.children(prefix).map(|f| f.name()).collect();
            let whose = match (&m.form, prefix) {
                (Some(form), "") => format!("{form} ({})", m.label),
                (Some(form), p) => format!("{form}.{p}"),
                (None, "") => format!("{} ({})", m.api, m.label),
                (None, p) => format!("{}.{p}", m.api),
            };
            self.diags.push(loc, path, format!("unknown target field '{key}' of {whose}{}", did_you_mean(key, known)));
        }
        found
    }

    fn string(&mut self, s: &str, loc: Loc, path: &str, src: &SrcScope) -> Option<Plan> {
        if s.contains("{%") {
            self.diags.push(loc, path, "blocks ({% … %}) are not supported in mappings: use one {{ expression }}, 'each' or a value map");
            return None;
        }
        if !s.contains("{{") {
            if s.contains("}}") {
                self.diags.push(loc, path, "'}}' without a matching '{{'");
                return None;
            }
            return Some(Plan::Const(Value::String(s.to_owned())));
        }
        let pathr: Arc<str> = Arc::from(path);
        let trimmed = s.trim();
        if trimmed.starts_with("{{") && trimmed.ends_with("}}") && trimmed.matches("{{").count() == 1 {
            let inner = &trimmed[2..trimmed.len() - 2];
            let e = self.compile_expr(inner.trim(), loc, path, src)?;
            return Some(match e {
                Expr::Const(v) => Plan::Const(v),
                e => Plan::Expr(e, pathr),
            });
        }
        let mut parts = Vec::new();
        let mut rest = s;
        let mut ok = true;
        while let Some(i) = rest.find("{{") {
            if i > 0 {
                parts.push(Part::Lit(rest[..i].to_owned()));
            }
            let after = &rest[i + 2..];
            let Some(j) = after.find("}}") else {
                self.diags.push(loc, path, "'{{' without a matching '}}'");
                return None;
            };
            match self.compile_expr(after[..j].trim(), loc, path, src) {
                Some(e) => parts.push(Part::Expr(e)),
                None => ok = false,
            }
            rest = &after[j + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_owned()));
        }
        ok.then_some(Plan::Template(parts, pathr))
    }

    fn each(&mut self, node: &Node, path: &str, src: &SrcScope, tgt: Tgt<'_>) -> Option<Plan> {
        let mut ok = true;
        for (k, _) in node.as_map().unwrap_or_default() {
            if !["each", "where", "map"].contains(&k.name.as_str()) {
                self.diags.push(k.loc, format!("{path}.{}", k.name), format!(
                    "unknown key '{}' in an 'each' block (it takes each, where, map){}",
                    k.name,
                    did_you_mean(&k.name, ["each", "where", "map"])
                ));
                ok = false;
            }
        }
        let item_tgt = match tgt {
            Tgt::Field(m, f) if f.ty == FieldType::Array => Tgt::Fields(m, f.path.as_str()),
            Tgt::Field(_, f) if f.ty != FieldType::Any => {
                self.diags.push(node.loc, path, format!("'each' builds a list, but this field expects {}", f.ty.as_str()));
                return None;
            }
            _ => Tgt::Unknown,
        };
        let each_node = node.get("each")?;
        let each_path = format!("{path}.each");
        let from = self.expr(each_node, &each_path, src);
        // The items' scope: known fields when `each` is a plain path from the current level.
        let mut inner = src.clone();
        let item_prefix = match (&from, src.levels.last()) {
            (Some(Expr::Path(p)), _) => src.levels.get(src.levels.len() - 1 - p.up.min(src.levels.len() - 1)).cloned().flatten().map(|pre| {
                let mp = p.meta_path();
                if pre.is_empty() { mp } else { format!("{pre}.{mp}") }
            }),
            _ => None,
        };
        inner.levels.push(item_prefix);
        let filter = match node.get("where") {
            Some(w) => {
                let f = self.expr(w, &format!("{path}.where"), &inner);
                ok &= f.is_some();
                f
            }
            None => None,
        };
        let Some(map_node) = node.get("map") else {
            self.diags.push(node.loc, path, "an 'each' block needs 'map:' (the fields of each item)");
            return None;
        };
        let item = self.value(map_node, &format!("{path}.map"), &inner, item_tgt);
        let from_text = each_node.as_str().unwrap_or_default().trim().to_owned();
        match (from, item, ok) {
            (Some(from), Some(item), true) => Some(Plan::Each {
                from,
                filter,
                item: Box::new(item),
                from_text: Arc::from(from_text.as_str()),
                path: Arc::from(path),
            }),
            _ => None,
        }
    }

    fn value_map(&mut self, node: &Node, path: &str, src: &SrcScope) -> Option<Plan> {
        let mut ok = true;
        for (k, _) in node.as_map().unwrap_or_default() {
            if !["value", "map", "default"].contains(&k.name.as_str()) {
                self.diags.push(k.loc, format!("{path}.{}", k.name), format!(
                    "unknown key '{}' in a value map (it takes value, map, default){}",
                    k.name,
                    did_you_mean(&k.name, ["value", "map", "default"])
                ));
                ok = false;
            }
        }
        let value = self.value(node.get("value")?, &format!("{path}.value"), src, Tgt::Unknown);
        let map_node = node.get("map")?;
        let mut map = HashMap::new();
        match map_node.as_map() {
            Some(entries) if !entries.is_empty() => {
                for (k, v) in entries {
                    map.insert(k.name.clone(), v.to_json());
                }
            }
            _ => {
                self.diags.push(map_node.loc, format!("{path}.map"), "expected a non-empty mapping of source value → target value");
                ok = false;
            }
        }
        let default = node.get("default").map(Node::to_json);
        (ok && value.is_some()).then(|| Plan::ValueMap {
            value: Box::new(value.unwrap_or(Plan::Const(Value::Null))),
            map: Arc::new(map),
            default,
            path: Arc::from(path),
        })
    }

    /// Check a scalar plan against the target field's type.
    fn check_type(&mut self, plan: &Plan, node: &Node, path: &str, tgt: Tgt<'_>) {
        let Tgt::Field(_, f) = tgt else { return };
        let problem = match (f.ty, plan) {
            (FieldType::Any, _) => None,
            (FieldType::BaseRef, Plan::Const(Value::Object(_))) | (FieldType::Object, Plan::Const(Value::Object(_))) => None,
            (FieldType::BaseRef, Plan::Const(_) | Plan::Template(..)) => Some(format!(
                "expected a base-data reference like {{FNumber: …}} for '{}' ({}), found {}",
                f.name(),
                f.label,
                describe(plan)
            )),
            (FieldType::Number | FieldType::Integer, Plan::Const(Value::Number(_))) => None,
            (FieldType::Number | FieldType::Integer, Plan::Const(Value::String(s))) if s.trim().parse::<f64>().is_ok() => None,
            (FieldType::Number | FieldType::Integer, Plan::Const(_) | Plan::Template(..)) => Some(format!(
                "expected a number for '{}' ({}), found {}{}",
                f.name(),
                f.label,
                describe(plan),
                if matches!(plan, Plan::Template(..)) { ": use a single {{ expression }} to keep the number's type" } else { "" }
            )),
            (FieldType::Bool, Plan::Const(Value::Bool(_))) => None,
            (FieldType::Bool, Plan::Const(_) | Plan::Template(..)) => {
                Some(format!("expected true or false for '{}' ({}), found {}", f.name(), f.label, describe(plan)))
            }
            (FieldType::String | FieldType::Datetime, Plan::Const(Value::Object(_) | Value::Array(_) | Value::Bool(_))) => {
                Some(format!("expected {} for '{}' ({}), found {}", f.ty.as_str(), f.name(), f.label, describe(plan)))
            }
            (FieldType::Datetime, Plan::Const(Value::String(s))) if super::functions::parse_time(&minijinja::Value::from(s.as_str())).is_err() => {
                Some(format!("'{s}' is not a date for '{}' ({}): expected yyyy-MM-dd[ HH:mm:ss]", f.name(), f.label))
            }
            (FieldType::Array, Plan::Const(_) | Plan::Template(..)) => {
                Some(format!("expected a list for '{}' ({}), found {}: build it with 'each'", f.name(), f.label, describe(plan)))
            }
            _ => None,
        };
        if let Some(p) = problem {
            self.diags.push(node.loc, path, p);
        }
    }
}

fn describe(plan: &Plan) -> String {
    match plan {
        Plan::Const(Value::String(s)) => format!("the text '{s}'"),
        Plan::Const(v) => super::expr::json_kind(v).to_owned(),
        Plan::Template(..) => "a text template".to_owned(),
        _ => "an expression".to_owned(),
    }
}
