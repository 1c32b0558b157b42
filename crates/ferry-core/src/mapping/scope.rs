//! What an expression sees: the current item, its parents, the lookup tables. Fast paths read the
//! JSON directly; the evaluator gets lazy views that convert only the fields it touches.

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::value::{Enumerator, Object, ObjectRepr, Value as JValue};
use serde_json::Value;

use super::path::{self, Step};

/// Named lookup tables: table → key → value.
pub type Tables = HashMap<String, Arc<HashMap<String, Value>>>;

/// One level of scope: the value being mapped and how it was reached from its parent level.
pub struct Scope<'a> {
    pub value: &'a Value,
    pub parent: Option<&'a Scope<'a>>,
    /// The whole document this scope lives in (the source record, or the output model).
    pub root: &'a Arc<Value>,
    /// Steps from the parent's value to this one: the `each` path, then the item index (none at
    /// the root). Borrowed, so that entering an item allocates nothing.
    pub via: &'a [Step],
    pub via_index: Option<usize>,
    pub tables: &'a Arc<Tables>,
}

impl<'a> Scope<'a> {
    pub fn root(root: &'a Arc<Value>, tables: &'a Arc<Tables>) -> Scope<'a> {
        Scope { value: root, parent: None, root, via: &[], via_index: None, tables }
    }

    /// A child scope for item `index` of the list at `via` from this one.
    pub fn child(&'a self, value: &'a Value, via: &'a [Step], index: usize) -> Scope<'a> {
        Scope { value, parent: Some(self), root: self.root, via, via_index: Some(index), tables: self.tables }
    }

    /// Climb `up` levels; `None` if there are not that many.
    pub fn climb(&self, up: usize) -> Option<&Scope<'a>> {
        let mut s = self;
        for _ in 0..up {
            s = s.parent?;
        }
        Some(s)
    }

    /// Read a path in this scope.
    pub fn get(&self, p: &path::Path) -> Option<&'a Value> {
        let s = self.climb(p.up)?;
        path::get(s.value, &p.steps)
    }

    /// Steps from this scope's root to its value (walking up while the parents share the root).
    fn abs_steps(&self) -> Vec<Step> {
        let mut levels = Vec::new();
        let mut s = Some(self);
        while let Some(sc) = s {
            if !Arc::ptr_eq(sc.root, self.root) {
                break;
            }
            levels.push(sc);
            s = sc.parent;
        }
        let mut steps = Vec::new();
        for sc in levels.into_iter().rev() {
            steps.extend(sc.via.iter().cloned());
            if let Some(i) = sc.via_index {
                steps.push(Step::Index(i));
            }
        }
        steps
    }

    /// The evaluator's view of this scope (a map whose `parent` key climbs).
    pub fn view(&self) -> JValue {
        let mut levels = Vec::new();
        let mut s = Some(self);
        while let Some(sc) = s {
            levels.push((sc.root.clone(), sc.abs_steps()));
            s = sc.parent;
        }
        JValue::from_object(ScopeView { levels: Arc::new(levels), depth: 0, tables: self.tables.clone() })
    }
}

/// Convert one JSON value for the evaluator; containers stay lazy views into the record.
pub fn to_jinja(root: &Arc<Value>, steps: Vec<Step>, v: &Value) -> JValue {
    match v {
        Value::Null => JValue::from(()),
        Value::Bool(b) => JValue::from(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                JValue::from(i)
            } else if let Some(u) = n.as_u64() {
                JValue::from(u)
            } else {
                JValue::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => JValue::from(s.as_str()),
        Value::Array(_) | Value::Object(_) => JValue::from_object(JsonView { root: root.clone(), steps }),
    }
}

/// A lazy view of a JSON container inside a record.
#[derive(Debug)]
pub struct JsonView {
    root: Arc<Value>,
    steps: Vec<Step>,
}

impl JsonView {
    fn node(&self) -> &Value {
        path::get(&self.root, &self.steps).unwrap_or(&Value::Null)
    }
    fn child(&self, step: Step) -> Option<JValue> {
        let mut steps = self.steps.clone();
        steps.push(step);
        let v = path::get(&self.root, &steps)?;
        Some(to_jinja(&self.root, steps, v))
    }
}

impl Object for JsonView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.node() {
            Value::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }
    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        match self.node() {
            Value::Array(_) => self.child(Step::Index(key.as_usize()?)),
            _ => self.child(Step::Key(key.as_str()?.to_owned())),
        }
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.node() {
            Value::Array(a) => Enumerator::Seq(a.len()),
            Value::Object(m) => {
                Enumerator::Values(m.keys().map(|k| JValue::from(k.as_str())).collect())
            }
            _ => Enumerator::Empty,
        }
    }
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.node() {
            Value::Array(a) => Some(a.len()),
            Value::Object(m) => Some(m.len()),
            _ => None,
        }
    }
}

/// The root object an expression is evaluated against.
#[derive(Debug)]
pub struct ScopeView {
    /// Each level's document and the steps to its value within it, current first.
    levels: Arc<Vec<(Arc<Value>, Vec<Step>)>>,
    depth: usize,
    tables: Arc<Tables>,
}

/// Handle through which `lookup()` reaches the tables.
#[derive(Debug)]
pub struct TablesHandle(pub Arc<Tables>);

impl Object for TablesHandle {}

pub const TABLES_VAR: &str = "__ferry_tables";

impl Object for ScopeView {
    fn get_value(self: &Arc<Self>, key: &JValue) -> Option<JValue> {
        let key = key.as_str()?;
        if key == "parent" {
            return (self.depth + 1 < self.levels.len()).then(|| {
                JValue::from_object(ScopeView {
                    levels: self.levels.clone(),
                    depth: self.depth + 1,
                    tables: self.tables.clone(),
                })
            });
        }
        if key == TABLES_VAR {
            return Some(JValue::from_object(TablesHandle(self.tables.clone())));
        }
        let (root, base) = &self.levels[self.depth];
        let mut steps = base.clone();
        steps.push(Step::Key(key.to_owned()));
        let v = path::get(root, &steps)?;
        Some(to_jinja(root, steps, v))
    }
    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let (root, base) = &self.levels[self.depth];
        match path::get(root, base) {
            Some(Value::Object(m)) => Enumerator::Values(m.keys().map(|k| JValue::from(k.as_str())).collect()),
            _ => Enumerator::Empty,
        }
    }
}
