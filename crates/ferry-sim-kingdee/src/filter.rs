//! A small `FilterString` language (the SQL-like WHERE of ExecuteBillQuery, reference §3.3):
//! `=`, `<>`/`!=`, `>`, `<`, `>=`, `<=`, `[NOT] IN (..)`, `[NOT] LIKE`, `IS [NOT] NULL`,
//! `[NOT] BETWEEN a AND b`, `AND`/`OR`/`NOT`, parentheses, quoted strings (`''` escapes, `N'..'`),
//! numbers. Text compares case-insensitively, like the server's SQL collation. Also the array form
//! `[{"Left","FieldName","Compare","Value","Right","Logic"}]`.

use std::cmp::Ordering;

use serde_json::Value;

/// An operand: a field (index into [`Filter::fields`]) or a literal.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    Field(usize),
    Lit(Value),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cmp {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Compare(Operand, Cmp, Operand),
    In(Operand, Vec<Operand>),
    Like(Operand, Operand),
    IsNull(Operand),
    Between(Operand, Operand, Operand),
}

/// A parsed filter: the expression and the field keys it names, in order of appearance.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Filter {
    pub expr: Expr,
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(f64),
    LParen,
    RParen,
    Comma,
    Op(&'static str),
}

impl Tok {
    fn shown(&self) -> String {
        match self {
            Tok::Ident(s) => s.clone(),
            Tok::Str(s) => format!("'{s}'"),
            Tok::Num(n) => n.to_string(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::Comma => ",".into(),
            Tok::Op(o) => (*o).into(),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// The SQL Server style syntax error text.
fn near(t: &str) -> String {
    format!("'{t}' 附近有语法错误。")
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let operand_before = matches!(
            out.last(),
            Some(Tok::Ident(_) | Tok::Str(_) | Tok::Num(_) | Tok::RParen)
        ) && !out.last().is_some_and(|t: &Tok| {
            ["and", "or", "not", "in", "like", "is", "between"]
                .iter()
                .any(|k| t.is_kw(k))
        });
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || ((c == 'N' || c == 'n') && chars.get(i + 1) == Some(&'\'')) {
            if c != '\'' {
                i += 1;
            }
            i += 1;
            let mut lit = String::new();
            loop {
                match chars.get(i) {
                    None => return Err(format!("字符串 '{lit}' 后的引号不完整。")),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        lit.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        lit.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(lit));
        } else if c.is_ascii_digit()
            || (c == '-'
                && !operand_before
                && chars
                    .get(i + 1)
                    .is_some_and(|d| d.is_ascii_digit() || *d == '.'))
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(Tok::Num(text.parse().map_err(|_| near(&text))?));
        } else if c.is_alphabetic() || c == '_' || c == '[' {
            let bracketed = c == '[';
            let start = if bracketed { i + 1 } else { i };
            i = start;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            if bracketed {
                if chars.get(i) != Some(&']') {
                    return Err(near(&text));
                }
                i += 1;
            }
            out.push(Tok::Ident(text));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let op = match two.as_str() {
                "<>" => Some("<>"),
                "!=" => Some("<>"),
                ">=" => Some(">="),
                "<=" => Some("<="),
                _ => None,
            };
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
                continue;
            }
            out.push(match c {
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                '=' => Tok::Op("="),
                '>' => Tok::Op(">"),
                '<' => Tok::Op("<"),
                _ => return Err(near(&c.to_string())),
            });
            i += 1;
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    fields: Vec<String>,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_kw(kw)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn unexpected(&self) -> String {
        match self.peek() {
            Some(t) => near(&t.shown()),
            None => match self.toks.last() {
                Some(t) => near(&t.shown()),
                None => "筛选条件为空".to_string(),
            },
        }
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut e = self.and()?;
        while self.eat_kw("or") {
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut e = self.unary()?;
        while self.eat_kw("and") {
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat_kw("not") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.peek() == Some(&Tok::LParen) {
            self.pos += 1;
            let e = self.or()?;
            if self.next() != Some(Tok::RParen) {
                self.pos -= 1;
                return Err(self.unexpected());
            }
            return Ok(e);
        }
        self.predicate()
    }

    fn operand(&mut self) -> Result<Operand, String> {
        match self.next() {
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("null") => Ok(Operand::Lit(Value::Null)),
            Some(Tok::Ident(s))
                if !["and", "or", "not", "in", "like", "is", "between"]
                    .iter()
                    .any(|k| s.eq_ignore_ascii_case(k)) =>
            {
                let idx = match self.fields.iter().position(|f| f == &s) {
                    Some(i) => i,
                    None => {
                        self.fields.push(s);
                        self.fields.len() - 1
                    }
                };
                Ok(Operand::Field(idx))
            }
            Some(Tok::Str(s)) => Ok(Operand::Lit(Value::String(s))),
            Some(Tok::Num(n)) => Ok(Operand::Lit(
                serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number),
            )),
            _ => {
                self.pos -= 1;
                Err(self.unexpected())
            }
        }
    }

    fn predicate(&mut self) -> Result<Expr, String> {
        let left = self.operand()?;
        let negated = self.eat_kw("not");
        let e = if self.eat_kw("in") {
            if self.next() != Some(Tok::LParen) {
                self.pos -= 1;
                return Err(self.unexpected());
            }
            let mut items = vec![self.operand()?];
            loop {
                match self.next() {
                    Some(Tok::Comma) => items.push(self.operand()?),
                    Some(Tok::RParen) => break,
                    _ => {
                        self.pos -= 1;
                        return Err(self.unexpected());
                    }
                }
            }
            Expr::In(left, items)
        } else if self.eat_kw("like") {
            Expr::Like(left, self.operand()?)
        } else if self.eat_kw("between") {
            let lo = self.operand()?;
            if !self.eat_kw("and") {
                return Err(self.unexpected());
            }
            Expr::Between(left, lo, self.operand()?)
        } else if !negated && self.eat_kw("is") {
            let not = self.eat_kw("not");
            if !self.eat_kw("null") {
                return Err(self.unexpected());
            }
            let e = Expr::IsNull(left);
            return Ok(if not { Expr::Not(Box::new(e)) } else { e });
        } else if negated {
            return Err(self.unexpected());
        } else {
            let op = match self.next() {
                Some(Tok::Op("=")) => Cmp::Eq,
                Some(Tok::Op("<>")) => Cmp::Ne,
                Some(Tok::Op(">")) => Cmp::Gt,
                Some(Tok::Op("<")) => Cmp::Lt,
                Some(Tok::Op(">=")) => Cmp::Ge,
                Some(Tok::Op("<=")) => Cmp::Le,
                _ => {
                    self.pos -= 1;
                    return Err(self.unexpected());
                }
            };
            Expr::Compare(left, op, self.operand()?)
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }
}

/// Parses a FilterString; `Ok(None)` for an empty one. Errors are SQL Server style texts.
pub(crate) fn parse(s: &str) -> Result<Option<Filter>, String> {
    let toks = tokenize(s)?;
    if toks.is_empty() {
        return Ok(None);
    }
    let mut p = Parser {
        toks,
        pos: 0,
        fields: Vec::new(),
    };
    let expr = p.or()?;
    if p.pos < p.toks.len() {
        return Err(p.unexpected());
    }
    Ok(Some(Filter {
        expr,
        fields: p.fields,
    }))
}

/// The array form `[{"Left":"(","FieldName":"F1","Compare":"=","Value":"x","Right":")","Logic":"0"}]`
/// as a FilterString. `Logic` 0/`AND` = and, 1/`OR` = or. `Compare` takes operator symbols, `like`,
/// `in` (comma-separated `Value`); numeric codes (the doc's `"67"`) and other unknown values are
/// read as `=` — the code table is unknown (reference §9).
pub(crate) fn from_array(items: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let get = |k: &str| {
            item.as_object()
                .and_then(|o| crate::body::get_ci(o, k))
                .and_then(crate::body::as_text)
                .unwrap_or_default()
        };
        let field = get("FieldName");
        if field.trim().is_empty() {
            return Err("筛选条件的FieldName不能为空".to_string());
        }
        let value = get("Value");
        let quote = |v: &str| format!("'{}'", v.replace('\'', "''"));
        let compare = get("Compare").trim().to_ascii_lowercase();
        let cond = match compare.as_str() {
            op @ ("<>" | "!=" | ">" | "<" | ">=" | "<=") => {
                format!("{field} {op} {}", quote(&value))
            }
            "like" => format!("{field} like {}", quote(&value)),
            "in" => {
                let list: Vec<String> = value.split(',').map(|v| quote(v.trim())).collect();
                format!("{field} in ({})", list.join(","))
            }
            _ => format!("{field} = {}", quote(&value)),
        };
        if i > 0 {
            let logic = items[i - 1]
                .as_object()
                .and_then(|o| crate::body::get_ci(o, "Logic"))
                .and_then(crate::body::as_text)
                .unwrap_or_default();
            let or = matches!(logic.trim().to_ascii_lowercase().as_str(), "1" | "or");
            out.push_str(if or { " or " } else { " and " });
        }
        out.push_str(&get("Left"));
        out.push_str(&cond);
        out.push_str(&get("Right"));
    }
    Ok(out)
}

/// Orders two values the way the query sorts and compares: nulls first, numbers numerically,
/// text case-insensitively; a number against numeric text compares as numbers.
pub(crate) fn order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) if is_numeric(a) || is_numeric(b) => {
                x.partial_cmp(&y).unwrap_or(Ordering::Equal)
            }
            _ => text(a).to_lowercase().cmp(&text(b).to_lowercase()),
        },
    }
}

fn is_numeric(v: &Value) -> bool {
    matches!(v, Value::Number(_) | Value::Bool(_))
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// SQL LIKE with `%` and `_`, case-insensitive.
fn like(value: &str, pattern: &str) -> bool {
    let v: Vec<char> = value.to_lowercase().chars().collect();
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let (mut vi, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while vi < v.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == v[vi]) {
            vi += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = vi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            vi = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

impl Filter {
    /// Rewrites string literals compared with date fields to `yyyy-MM-ddTHH:mm:ss`.
    pub(crate) fn normalize_dates(&mut self, is_date: &[bool]) {
        fn fix(o: &mut Operand) {
            if let Operand::Lit(Value::String(s)) = o
                && let Some(d) = crate::clock::normalize_date(s)
            {
                *s = d;
            }
        }
        fn walk(e: &mut Expr, is_date: &[bool]) {
            let date_field =
                |o: &Operand| matches!(o, Operand::Field(i) if is_date.get(*i) == Some(&true));
            match e {
                Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, is_date);
                    walk(b, is_date);
                }
                Expr::Not(a) => walk(a, is_date),
                Expr::Compare(l, _, r) => {
                    if date_field(l) {
                        fix(r);
                    }
                    if date_field(r) {
                        fix(l);
                    }
                }
                Expr::In(l, items) => {
                    if date_field(l) {
                        items.iter_mut().for_each(fix);
                    }
                }
                Expr::Between(x, lo, hi) => {
                    if date_field(x) {
                        fix(lo);
                        fix(hi);
                    }
                }
                Expr::Like(..) | Expr::IsNull(_) => {}
            }
        }
        walk(&mut self.expr, is_date);
    }

    /// Evaluates the filter; `field(i)` gives the value of field `i` for the row.
    pub(crate) fn matches(&self, field: &dyn Fn(usize) -> Value) -> bool {
        eval(&self.expr, field) == Some(true)
    }
}

fn value(o: &Operand, field: &dyn Fn(usize) -> Value) -> Value {
    match o {
        Operand::Field(i) => field(*i),
        Operand::Lit(v) => v.clone(),
    }
}

/// Three-valued logic: `None` = unknown (a comparison with NULL).
fn eval(e: &Expr, field: &dyn Fn(usize) -> Value) -> Option<bool> {
    match e {
        Expr::And(a, b) => match (eval(a, field), eval(b, field)) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        },
        Expr::Or(a, b) => match (eval(a, field), eval(b, field)) {
            (Some(true), _) | (_, Some(true)) => Some(true),
            (Some(false), Some(false)) => Some(false),
            _ => None,
        },
        Expr::Not(a) => eval(a, field).map(|x| !x),
        Expr::Compare(l, op, r) => {
            let (a, b) = (value(l, field), value(r, field));
            if a.is_null() || b.is_null() {
                return None;
            }
            let o = order(&a, &b);
            Some(match op {
                Cmp::Eq => o == Ordering::Equal,
                Cmp::Ne => o != Ordering::Equal,
                Cmp::Gt => o == Ordering::Greater,
                Cmp::Lt => o == Ordering::Less,
                Cmp::Ge => o != Ordering::Less,
                Cmp::Le => o != Ordering::Greater,
            })
        }
        Expr::In(l, items) => {
            let a = value(l, field);
            if a.is_null() {
                return None;
            }
            Some(items.iter().any(|i| {
                let b = value(i, field);
                !b.is_null() && order(&a, &b) == Ordering::Equal
            }))
        }
        Expr::Like(l, p) => {
            let (a, p) = (value(l, field), value(p, field));
            if a.is_null() || p.is_null() {
                return None;
            }
            Some(like(&text(&a), &text(&p)))
        }
        Expr::IsNull(o) => Some(value(o, field).is_null()),
        Expr::Between(x, lo, hi) => {
            let (v, lo, hi) = (value(x, field), value(lo, field), value(hi, field));
            if v.is_null() || lo.is_null() || hi.is_null() {
                return None;
            }
            Some(order(&v, &lo) != Ordering::Less && order(&v, &hi) != Ordering::Greater)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(filter: &str, row: &[(&str, Value)], expect: bool) {
        let f = parse(filter).unwrap().unwrap();
        let get = |i: usize| {
            let name = &f.fields[i];
            row.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map_or(Value::Null, |(_, v)| v.clone())
        };
        assert_eq!(f.matches(&get), expect, "{filter}");
    }

    #[test]
    fn operators_and_logic() {
        let row = [
            ("FNumber", json!("A0001")),
            ("FQty", json!(10)),
            ("FNote", Value::Null),
            ("FDocumentStatus", json!("C")),
        ];
        for (f, e) in [
            ("FNumber='A0001'", true),
            ("FNumber='a0001'", true),
            ("FNumber <> 'A0001'", false),
            ("FNumber != 'A0002'", true),
            ("FQty > 5 and FQty < 11", true),
            ("FQty >= 10 AND FQty <= 10", true),
            ("FQty > '9'", true),
            ("FQty = 10.0", true),
            ("FNumber in ('A0002','A0001')", true),
            ("FNumber not in ('A0001')", false),
            ("FNumber like 'A00%'", true),
            ("FNumber like '_0001'", true),
            ("FNumber not like '%9'", true),
            ("FNote is null", true),
            ("FNote is not null", false),
            ("FNote = 'x'", false),
            ("not FNote = 'x'", false),
            (
                "(FNumber='X' or FDocumentStatus='C') and FQty between 1 and 10",
                true,
            ),
            ("FNumber='X' or (FQty=10 and not FDocumentStatus='A')", true),
            ("FQty > -1", true),
            ("FNumber = N'A0001'", true),
            ("[FNumber] = 'A0001'", true),
            ("FNumber = 'it''s'", false),
        ] {
            check(f, &row, e);
        }
    }

    #[test]
    fn syntax_errors_name_the_token() {
        assert_eq!(parse("FNumber = ").unwrap_err(), "'=' 附近有语法错误。");
        assert!(parse("FNumber = 'x").unwrap_err().contains("引号不完整"));
        assert_eq!(parse("FNumber 'x'").unwrap_err(), "''x'' 附近有语法错误。");
        assert!(parse("(FQty > 1").is_err());
        assert!(parse("FQty > 1 )").is_err());
        assert_eq!(parse("   ").unwrap(), None);
    }

    #[test]
    fn array_form_becomes_a_string() {
        let items = json!([
            {"Left":"(","FieldName":"FNumber","Compare":"67","Value":"A0001","Right":"","Logic":"1"},
            {"Left":"","FieldName":"FNumber","Compare":"like","Value":"B%","Right":")","Logic":"0"},
            {"Left":"","FieldName":"FQty","Compare":">=","Value":"2","Right":"","Logic":"0"}
        ]);
        let s = from_array(items.as_array().unwrap()).unwrap();
        assert_eq!(
            s,
            "(FNumber = 'A0001' or FNumber like 'B%') and FQty >= '2'"
        );
        assert!(parse(&s).unwrap().is_some());
    }

    #[test]
    fn dates_are_normalized_against_date_fields() {
        let mut f = parse("FDate >= '2024-05-01' and FNote = '2024-05-01'")
            .unwrap()
            .unwrap();
        f.normalize_dates(&[true, false]);
        let get = |i: usize| {
            if i == 0 {
                json!("2024-05-01T00:00:00")
            } else {
                json!("2024-05-01")
            }
        };
        assert!(f.matches(&get));
    }
}
