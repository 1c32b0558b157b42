//! Field paths (`goodsNo`, `parent.stocktakeId`, `lines[0].qty`) and how they are read from a
//! record without converting it.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// A path as written: how many `parent.` levels it climbs, then the steps from that scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    pub up: usize,
    pub steps: Vec<Step>,
}

/// Words that are never field names in an expression.
pub const KEYWORDS: [&str; 11] = ["true", "false", "none", "null", "and", "or", "not", "in", "is", "if", "else"];

impl Path {
    /// Parse a plain path; `None` if `src` is anything more than a path.
    pub fn parse(src: &str) -> Option<Path> {
        let src = src.trim();
        let mut steps = Vec::new();
        let mut rest = src;
        let mut first = true;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let end = r.find(']')?;
                steps.push(Step::Index(r[..end].trim().parse().ok()?));
                rest = &r[end + 1..];
                continue;
            }
            if !first {
                rest = rest.strip_prefix('.')?;
            }
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let name = &rest[..end];
            let mut chars = name.chars();
            let ok_start = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
            if !ok_start || !chars.all(|c| c.is_alphanumeric() || c == '_') {
                return None;
            }
            steps.push(Step::Key(name.to_owned()));
            rest = &rest[end..];
            first = false;
        }
        if let Some(Step::Key(k)) = steps.first()
            && KEYWORDS.contains(&k.as_str()) {
                return None;
            }
        let up = steps.iter().take_while(|s| matches!(s, Step::Key(k) if k == "parent")).count();
        steps.drain(..up);
        if steps.is_empty() && up == 0 {
            return None;
        }
        Some(Path { up, steps })
    }

    /// The first field name after the `parent.` climbs, if any.
    pub fn head(&self) -> Option<&str> {
        match self.steps.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// The field path without indices, for metadata (`stockTakeDetailViews.goodsNo`).
    pub fn meta_path(&self) -> String {
        let mut s = String::new();
        for st in &self.steps {
            if let Step::Key(k) = st {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
        }
        s
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = std::iter::repeat_n("parent".to_string(), self.up).collect();
        for st in &self.steps {
            match st {
                Step::Key(k) => parts.push(k.clone()),
                Step::Index(i) => {
                    let last = parts.pop().unwrap_or_default();
                    parts.push(format!("{last}[{i}]"));
                }
            }
        }
        f.write_str(&parts.join("."))
    }
}

/// Read steps from a value; a missing key, an out-of-range index or a step into a scalar is `None`.
pub fn get<'v>(mut v: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    for st in steps {
        v = match (st, v) {
            (Step::Key(k), Value::Object(m)) => m.get(k)?,
            (Step::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_paths() {
        let p = Path::parse("parent.parent.lines[2].qty").unwrap();
        assert_eq!(p.up, 2);
        assert_eq!(p.steps, vec![Step::Key("lines".into()), Step::Index(2), Step::Key("qty".into())]);
        assert_eq!(p.to_string(), "parent.parent.lines[2].qty");
        assert_eq!(p.meta_path(), "lines.qty");
        assert_eq!(Path::parse("parent").unwrap(), Path { up: 1, steps: vec![] });
        assert!(Path::parse("a + b").is_none());
        assert!(Path::parse("true").is_none());
        assert!(Path::parse("abs(x)").is_none());
        assert!(Path::parse("'s'").is_none());
        assert!(Path::parse("1a").is_none());
        assert_eq!(Path::parse("仓库").unwrap().head(), Some("仓库"));
    }

    #[test]
    fn reads_values() {
        let v = json!({"a": {"b": [10, {"c": "x"}]}});
        let p = Path::parse("a.b[1].c").unwrap();
        assert_eq!(get(&v, &p.steps), Some(&json!("x")));
        assert_eq!(get(&v, &Path::parse("a.nope").unwrap().steps), None);
        assert_eq!(get(&v, &Path::parse("a.b[9]").unwrap().steps), None);
    }
}
