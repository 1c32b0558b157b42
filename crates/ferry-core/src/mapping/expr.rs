//! Compiled expressions. Most mapping values are constants, plain paths or simple comparisons:
//! those run directly on the JSON record. Everything else goes to the minijinja evaluator, compiled once.

use std::borrow::Cow;
use std::sync::Arc;

use minijinja::Expression;
use serde_json::Value;

use super::functions::{ENV, NativeFn, native};
use super::lex::{Tok, lex};
use super::path::{Path, Step};
use super::scope::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A compiled expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Const(Value),
    Path(Path),
    Cmp(Box<Expr>, CmpOp, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Abs(Box<Expr>),
    Lookup { table: String, key: Box<Expr>, default: Option<Value> },
    /// `x is empty`, on the JSON itself (no copy of a list just to look at its length).
    IsEmpty(Box<Expr>),
    /// One of Ferry's own functions, filters or tests, called without the evaluator.
    Call { name: &'static str, f: NativeFn, args: Vec<Expr> },
    /// Anything else: evaluated by minijinja.
    Jinja(Arc<Expression<'static, 'static>>),
}

/// A failure while evaluating, without the field path (the caller adds it).
#[derive(Debug, Clone, PartialEq)]
pub struct EvalError(pub String);

impl Expr {
    /// Compile expression text. The error is the evaluator's syntax message.
    pub fn compile(src: &str) -> Result<Expr, String> {
        if let Some(toks) = lex(src) {
            let mut p = FastParser { toks: &toks, pos: 0 };
            if let Some(e) = p.or_expr()
                && p.pos == toks.len() {
                    return Ok(e);
                }
        }
        let e = ENV.compile_expression_owned(src.to_owned()).map_err(|e| syntax_message(&e))?;
        Ok(Expr::Jinja(Arc::new(e)))
    }

    /// True when this expression runs without the evaluator.
    pub fn is_fast(&self) -> bool {
        match self {
            Expr::Const(_) | Expr::Path(_) => true,
            Expr::Cmp(a, _, b) | Expr::And(a, b) | Expr::Or(a, b) => a.is_fast() && b.is_fast(),
            Expr::Not(a) | Expr::Abs(a) | Expr::IsEmpty(a) => a.is_fast(),
            Expr::Lookup { key, .. } => key.is_fast(),
            Expr::Call { args, .. } => args.iter().all(Expr::is_fast),
            Expr::Jinja(_) => false,
        }
    }

    /// Every path this expression reads (for checking against metadata).
    pub fn paths(&self) -> Vec<Path> {
        let mut out = Vec::new();
        self.collect_paths(&mut out);
        out
    }

    fn collect_paths(&self, out: &mut Vec<Path>) {
        match self {
            Expr::Const(_) => {}
            Expr::Path(p) => out.push(p.clone()),
            Expr::Cmp(a, _, b) | Expr::And(a, b) | Expr::Or(a, b) => {
                a.collect_paths(out);
                b.collect_paths(out);
            }
            Expr::Not(a) | Expr::Abs(a) | Expr::IsEmpty(a) => a.collect_paths(out),
            Expr::Lookup { key, .. } => key.collect_paths(out),
            Expr::Call { args, .. } => args.iter().for_each(|a| a.collect_paths(out)),
            Expr::Jinja(e) => {
                let mut names: Vec<String> = e.undeclared_variables(true).into_iter().collect();
                names.sort();
                for n in names {
                    if let Some(p) = Path::parse(&n)
                        && !(p.up == 0 && p.steps.len() == 1 && super::functions::FUNCTIONS.contains(&p.head().unwrap_or(""))) {
                            out.push(p);
                        }
                }
            }
        }
    }

    /// Tables named by literal `lookup('name', …)` calls.
    pub fn tables(src: &str) -> Vec<String> {
        let Some(toks) = lex(src) else { return Vec::new() };
        toks.windows(3)
            .filter_map(|w| match w {
                [Tok::Ident(f), Tok::Punct("("), Tok::Str(t)] if f == "lookup" => Some(t.clone()),
                _ => None,
            })
            .collect()
    }

    /// Evaluate without copying when the value is a field of the record.
    pub fn eval_cow<'v>(&self, scope: &Scope<'v>) -> Result<Cow<'v, Value>, EvalError> {
        match self {
            Expr::Path(p) => Ok(scope.get(p).map_or(Cow::Owned(Value::Null), Cow::Borrowed)),
            other => other.eval(scope).map(Cow::Owned),
        }
    }

    /// Evaluate in a scope. A missing field reads as null.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Value, EvalError> {
        match self {
            Expr::Const(v) => Ok(v.clone()),
            Expr::Path(p) => Ok(scope.get(p).cloned().unwrap_or(Value::Null)),
            Expr::Cmp(a, op, b) => Ok(Value::Bool(compare(&*a.eval_cow(scope)?, *op, &*b.eval_cow(scope)?))),
            Expr::IsEmpty(a) => Ok(Value::Bool(match &*a.eval_cow(scope)? {
                Value::Null => true,
                Value::String(s) => s.is_empty(),
                Value::Array(v) => v.is_empty(),
                Value::Object(m) => m.is_empty(),
                _ => false,
            })),
            // As in Jinja (and Python): the deciding operand itself, not a bool.
            Expr::And(a, b) => {
                let l = a.eval(scope)?;
                if truthy(&l) { b.eval(scope) } else { Ok(l) }
            }
            Expr::Or(a, b) => {
                let l = a.eval(scope)?;
                if truthy(&l) { Ok(l) } else { b.eval(scope) }
            }
            Expr::Not(a) => Ok(Value::Bool(!truthy(&*a.eval_cow(scope)?))),
            Expr::Abs(a) => abs(a.eval(scope)?),
            Expr::Lookup { table, key, default } => {
                let k = key.eval_cow(scope)?;
                let t = scope.tables.get(table).ok_or_else(|| EvalError(format!("no table named '{table}'")))?;
                let kt = json_key_text(&k).ok_or_else(|| {
                    EvalError(format!("lookup('{table}', …): the key is {}, expected a string or number", json_kind(&k)))
                })?;
                match t.get(&kt) {
                    Some(v) => Ok(v.clone()),
                    None => default.clone().ok_or_else(|| EvalError(format!("'{kt}' is not in table '{table}'"))),
                }
            }
            Expr::Call { name, f, args } => {
                let vals: Vec<minijinja::Value> =
                    args.iter().map(|a| a.eval_cow(scope).map(|v| json_to_jinja(&v))).collect::<Result<_, _>>()?;
                let out = f(&vals).map_err(|e| EvalError(runtime_message(&e)))?;
                if out.is_undefined() {
                    return Ok(Value::Null);
                }
                serde_json::to_value(&out).map_err(|e| EvalError(format!("{name}: cannot turn the result into JSON: {e}")))
            }
            Expr::Jinja(e) => {
                let v = e.eval(scope.view()).map_err(|e| EvalError(runtime_message(&e)))?;
                if v.is_undefined() {
                    return Ok(Value::Null);
                }
                serde_json::to_value(&v).map_err(|e| EvalError(format!("cannot turn the result into JSON: {e}")))
            }
        }
    }

    /// Evaluate as a condition (jinja truthiness).
    pub fn test(&self, scope: &Scope<'_>) -> Result<bool, EvalError> {
        Ok(truthy(&*self.eval_cow(scope)?))
    }
}

/// A JSON value as the evaluator's value (scalars directly, containers through serde).
fn json_to_jinja(v: &Value) -> minijinja::Value {
    match v {
        Value::Null => minijinja::Value::from(()),
        Value::Bool(b) => minijinja::Value::from(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => minijinja::Value::from(i),
            (None, Some(u)) => minijinja::Value::from(u),
            _ => minijinja::Value::from(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => minijinja::Value::from(s.as_str()),
        other => minijinja::Value::from(minijinja::value::Serde(other)),
    }
}

/// A scalar's text for table and value-map keys.
pub fn json_key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "none",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Jinja truthiness on JSON.
pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(m) => !m.is_empty(),
    }
}

fn abs(v: Value) -> Result<Value, EvalError> {
    match &v {
        Value::Number(n) => Ok(match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i.unsigned_abs()),
            (None, Some(f)) => Value::from(f.abs()),
            _ => v,
        }),
        Value::Null => Ok(Value::Null),
        other => Err(EvalError(format!("abs: expected a number, got {}", json_kind(other)))),
    }
}

/// Comparison with the evaluator's semantics: numbers numerically, strings by text, `==` on
/// anything; ordering between different kinds is false.
pub fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => Some(i.cmp(&j)),
            _ => x.as_f64().zip(y.as_f64()).and_then(|(f, g)| f.partial_cmp(&g)),
        },
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        _ => None,
    };
    match op {
        CmpOp::Eq => ord == Some(Ordering::Equal) || (ord.is_none() && a == b),
        CmpOp::Ne => !(ord == Some(Ordering::Equal) || (ord.is_none() && a == b)),
        CmpOp::Lt => ord == Some(Ordering::Less),
        CmpOp::Le => matches!(ord, Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => ord == Some(Ordering::Greater),
        CmpOp::Ge => matches!(ord, Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn syntax_message(e: &minijinja::Error) -> String {
    let mut m = e.detail().map(str::to_owned).unwrap_or_else(|| e.kind().to_string());
    if e.kind() == minijinja::ErrorKind::SyntaxError {
        m = format!("syntax error: {m}");
    }
    m
}

fn runtime_message(e: &minijinja::Error) -> String {
    e.detail().map(str::to_owned).unwrap_or_else(|| e.to_string())
}

/// Recursive descent over tokens for the subset that runs without the evaluator.
struct FastParser<'t> {
    toks: &'t [Tok],
    pos: usize,
}

impl FastParser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn eat_ident(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Ident(w)) if w == word) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_punct(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(q)) if *q == p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn or_expr(&mut self) -> Option<Expr> {
        let mut e = self.and_expr()?;
        while self.eat_ident("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and_expr()?));
        }
        Some(e)
    }
    fn and_expr(&mut self) -> Option<Expr> {
        let mut e = self.not_expr()?;
        while self.eat_ident("and") {
            e = Expr::And(Box::new(e), Box::new(self.not_expr()?));
        }
        Some(e)
    }
    fn not_expr(&mut self) -> Option<Expr> {
        if self.eat_ident("not") {
            return Some(Expr::Not(Box::new(self.not_expr()?)));
        }
        self.cmp()
    }
    fn native_call(&self, name: &str, args: Vec<Expr>) -> Option<Expr> {
        let f = native(name)?;
        let name: &'static str = super::functions::FUNCTIONS.iter().chain(["empty"].iter()).find(|n| **n == name)?;
        Some(Expr::Call { name, f, args })
    }
    /// `(a, b, …)` after a function or filter name; the `(` is already eaten.
    fn call_args(&mut self) -> Option<Vec<Expr>> {
        let mut args = Vec::new();
        if self.eat_punct(")") {
            return Some(args);
        }
        loop {
            args.push(self.or_expr()?);
            if self.eat_punct(")") {
                return Some(args);
            }
            if !self.eat_punct(",") {
                return None;
            }
        }
    }
    /// `atom (| filter(args)?)* (is [not] test)?` for Ferry's own filters and tests.
    fn filtered(&mut self) -> Option<Expr> {
        let mut e = self.atom()?;
        while self.eat_punct("|") {
            let Some(Tok::Ident(name)) = self.peek().cloned() else { return None };
            self.pos += 1;
            let mut args = vec![e];
            if self.eat_punct("(") {
                args.extend(self.call_args()?);
            }
            // Only Ferry's own filters run natively (`abs` and `round` as filters are minijinja's).
            if !["date", "number", "substr", "pad_left"].contains(&name.as_str()) {
                return None;
            }
            e = self.native_call(&name, args)?;
        }
        if self.eat_ident("is") {
            let negate = self.eat_ident("not");
            let Some(Tok::Ident(name)) = self.peek().cloned() else { return None };
            if name != "empty" {
                return None;
            }
            self.pos += 1;
            e = Expr::IsEmpty(Box::new(e));
            if negate {
                e = Expr::Not(Box::new(e));
            }
        }
        Some(e)
    }
    fn cmp(&mut self) -> Option<Expr> {
        let a = self.filtered()?;
        let op = match self.peek() {
            Some(Tok::Punct("==")) => CmpOp::Eq,
            Some(Tok::Punct("!=")) => CmpOp::Ne,
            Some(Tok::Punct("<")) => CmpOp::Lt,
            Some(Tok::Punct("<=")) => CmpOp::Le,
            Some(Tok::Punct(">")) => CmpOp::Gt,
            Some(Tok::Punct(">=")) => CmpOp::Ge,
            _ => return Some(a),
        };
        self.pos += 1;
        let b = self.filtered()?;
        Some(Expr::Cmp(Box::new(a), op, Box::new(b)))
    }
    fn literal(&mut self) -> Option<Value> {
        let neg = self.eat_punct("-");
        let v = match self.peek()? {
            Tok::Int(i) => Value::from(if neg { -*i } else { *i }),
            Tok::Float(f) => serde_json::Number::from_f64(if neg { -*f } else { *f }).map(Value::Number)?,
            Tok::Str(s) if !neg => Value::String(s.clone()),
            Tok::Ident(w) if !neg && (w == "true" || w == "false") => Value::Bool(w == "true"),
            Tok::Ident(w) if !neg && (w == "none" || w == "null") => Value::Null,
            _ => return None,
        };
        self.pos += 1;
        Some(v)
    }
    fn atom(&mut self) -> Option<Expr> {
        let start = self.pos;
        if let Some(v) = self.literal() {
            return Some(Expr::Const(v));
        }
        self.pos = start;
        if self.eat_punct("(") {
            let e = self.or_expr()?;
            return self.eat_punct(")").then_some(e);
        }
        let Tok::Ident(first) = self.peek()?.clone() else { return None };
        if matches!(self.toks.get(self.pos + 1), Some(Tok::Punct("("))) {
            self.pos += 2;
            return match first.as_str() {
                "abs" => {
                    let a = self.atom()?;
                    self.eat_punct(")").then(|| Expr::Abs(Box::new(a)))
                }
                "lookup" => {
                    let Some(Tok::Str(table)) = self.peek().cloned() else { return None };
                    self.pos += 1;
                    if !self.eat_punct(",") {
                        return None;
                    }
                    let key = self.atom()?;
                    let default = if self.eat_punct(",") { Some(self.literal()?) } else { None };
                    self.eat_punct(")").then(|| Expr::Lookup { table, key: Box::new(key), default })
                }
                name => {
                    let args = self.call_args()?;
                    self.native_call(name, args)
                }
            };
        }
        if super::path::KEYWORDS.contains(&first.as_str()) {
            return None;
        }
        self.pos += 1;
        let mut steps = vec![Step::Key(first)];
        loop {
            if self.eat_punct(".") {
                let Some(Tok::Ident(k)) = self.peek().cloned() else { return None };
                self.pos += 1;
                steps.push(Step::Key(k));
            } else if self.eat_punct("[") {
                let Some(Tok::Int(i)) = self.peek().cloned() else { return None };
                self.pos += 1;
                if !self.eat_punct("]") || i < 0 {
                    return None;
                }
                steps.push(Step::Index(i as usize));
            } else {
                break;
            }
        }
        let up = steps.iter().take_while(|s| matches!(s, Step::Key(k) if k == "parent")).count();
        steps.drain(..up);
        Some(Expr::Path(Path { up, steps }))
    }
}

/// Text of a value inside a template: strings as they are, none as nothing, numbers and bools as
/// text, lists and maps as JSON.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    fn run(src: &str, rec: Value) -> Result<Value, EvalError> {
        let root = Arc::new(rec);
        let mut t = HashMap::new();
        t.insert("wh".to_string(), Arc::new(HashMap::from([("CK01".to_string(), json!("CK001"))])));
        let tables = Arc::new(t);
        let scope = Scope::root(&root, &tables);
        Expr::compile(src).unwrap().eval(&scope)
    }

    #[test]
    fn fast_paths_are_taken() {
        for src in ["goodsNo", "a.b[0]", "variQuan > 0", "status == 5 and not x", "abs(variQuan)", "lookup('wh', code)", "lookup('wh', code, 'X')", "-1.5", "'s'", "(a or b) and c"] {
            assert!(Expr::compile(src).unwrap().is_fast(), "{src}");
        }
        for src in ["date(x)", "x | date", "x | date('%Y')", "x is empty", "x is not empty", "round(a * 1, 2)" ] {
            let e = Expr::compile(src).unwrap();
            assert!(matches!(e, Expr::Call { .. } | Expr::Not(_) | Expr::IsEmpty(_)) || !e.is_fast(), "{src}");
        }
        for src in ["a | upper", "a + 1", "a in [1, 2]", "a ~ b", "x | abs", "x is defined"] {
            assert!(!Expr::compile(src).unwrap().is_fast(), "{src}");
        }
    }

    #[test]
    fn fast_and_evaluator_agree() {
        let rec = json!({"q": -2, "f": 2.5, "s": "CK01", "n": null, "code": "CK01", "lines": [{"q": 1}]});
        for src in ["q > 0", "q < 0", "q == -2", "q != -2", "f >= 2.5", "s == 'CK01'", "s > 'CK00'", "n == none", "q > 'a'", "abs(q)", "abs(f)", "not q", "q < 0 and f > 2", "n or s"] {
            let fast = run(src, rec.clone()).unwrap();
            let slow = run(&format!("({src}) | default(none)"), rec.clone()).unwrap();
            assert_eq!(fast, slow, "{src}");
        }
        assert_eq!(run("lookup('wh', code)", rec.clone()).unwrap(), json!("CK001"));
        assert_eq!(run("lookup('wh', s | lower, 'none')", rec.clone()).unwrap(), json!("none"));
        assert_eq!(run("lookup('wh', 'CK09')", rec.clone()).unwrap_err().0, "'CK09' is not in table 'wh'");
        assert_eq!(run("lines[0].q + 1", rec.clone()).unwrap(), json!(2));
        assert_eq!(run("lines | length", rec.clone()).unwrap(), json!(1));
        // Native calls give what the evaluator gives.
        let rec = json!({"d": "2024-05-01 10:00:00", "ms": 1714528800000_i64, "q": -2, "s": "盘点单编号", "n": 7, "e": [], "x": ""});
        for src in ["d | date", "date(ms)", "date(ms, '%Y-%m-%d')", "abs(q)", "round(q / 3, 2)", "number('12.5')", "substr(s, 1, 2)", "s | substr(2)", "pad_left(n, 3)", "n | pad_left(4, '#')", "coalesce(x, none, s)", "e is empty", "s is not empty", "q < 0 and e is empty"] {
            let fast = Expr::compile(src).unwrap();
            let slow = Expr::Jinja(Arc::new(ENV.compile_expression_owned(src.to_owned()).unwrap()));
            let root = Arc::new(rec.clone());
            let tables = Arc::new(HashMap::new());
            let scope = Scope::root(&root, &tables);
            assert_eq!(fast.eval(&scope), slow.eval(&scope), "{src}");
        }
    }

    #[test]
    fn syntax_errors_are_reported() {
        let e = Expr::compile("a +").unwrap_err();
        assert!(e.starts_with("syntax error"), "{e}");
    }
}
