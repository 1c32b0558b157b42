//! A YAML (or JSON) document parsed into a tree whose every node knows its line and column, so
//! that validation can point at the exact place of each mistake.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::diag::{Diagnostics, Loc};

/// A node of the document with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub loc: Loc,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    /// Integers beyond i64 (kept exact).
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in document order, each with its own position.
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub loc: Loc,
}

impl Node {
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a bool",
            Kind::Int(_) | Kind::UInt(_) => "an integer",
            Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a list",
            Kind::Map(_) => "a mapping",
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(m) => Some(m),
            _ => None,
        }
    }
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }
    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }
    /// The plain JSON value of this subtree (positions dropped).
    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::UInt(u) => Value::from(*u),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect())
            }
        }
    }
    /// A scalar's text form (for value-map keys and the like).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Null => Some(String::new()),
            Kind::Bool(b) => Some(b.to_string()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::UInt(u) => Some(u.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Str(s) => Some(s.clone()),
            _ => None,
        }
    }
}

/// Parse YAML (JSON is accepted too: it is YAML flow style). A syntax error becomes one diagnostic
/// with the parser's position.
pub fn parse(file: &str, text: &str) -> Result<Node, Diagnostics> {
    let mut diags = Diagnostics::new(file);
    if text.trim().is_empty() {
        diags.push(Loc::default(), "", "the file is empty");
        return Err(diags);
    }
    // YAML 1.2 booleans only (`n`, `no`, `off` stay text: `FStockDirect: NO` must not become false),
    // and codes with leading zeros (`007`) stay text.
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.leading_zero_numbers_as_strings = true;
    match serde_saphyr::from_str_with_options::<Node>(text, options) {
        Ok(node) => Ok(node),
        Err(e) => {
            let loc = e
                .location()
                .map(|l| Loc { line: l.line() as u32, col: l.column() as u32 })
                .unwrap_or_default();
            // The crate's Display renders a snippet; keep the first line only: we give the position.
            let msg = e.to_string();
            let first = msg.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid YAML").trim();
            diags.push(loc, "", format!("invalid YAML: {}", tidy_parser_message(first)));
            Err(diags)
        }
    }
}

/// The parser's message without its own "error: line N column M:" prefix (we print the position)
/// and without advice about parser options the user cannot set.
fn tidy_parser_message(msg: &str) -> &str {
    let mut m = msg.strip_prefix("error: ").unwrap_or(msg);
    if let Some(rest) = m.strip_prefix("line ")
        && let Some(i) = rest.find(": ")
            && rest[..i].split(' ').count() == 3 {
                m = &rest[i + 2..];
            }
    m.split(", set DuplicateKeyPolicy").next().unwrap_or(m)
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s: Spanned<Kind> = Spanned::deserialize(d)?;
        Ok(Node { loc: Loc { line: s.referenced.line() as u32, col: s.referenced.column() as u32 }, kind: s.value })
    }
}

/// A mapping key: any scalar, kept as text.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Kind::deserialize(d)? {
            Kind::Str(s) => Ok(KeyText(s)),
            Kind::Int(i) => Ok(KeyText(i.to_string())),
            Kind::UInt(u) => Ok(KeyText(u.to_string())),
            Kind::Float(f) => Ok(KeyText(f.to_string())),
            Kind::Bool(b) => Ok(KeyText(b.to_string())),
            Kind::Null => Ok(KeyText("null".into())),
            _ => Err(de::Error::custom("a mapping key must be a scalar")),
        }
    }
}

impl<'de> Deserialize<'de> for Kind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = Kind;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Kind, E> {
        Ok(Kind::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Kind, E> {
        Ok(Kind::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Kind, E> {
        Ok(i64::try_from(v).map_or(Kind::UInt(v), Kind::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Kind, E> {
        Ok(Kind::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Kind, E> {
        Ok(Kind::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Kind, E> {
        Ok(Kind::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_none<E>(self) -> Result<Kind, E> {
        Ok(Kind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        Kind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Kind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Kind, A::Error> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        while let Some(k) = map.next_key::<Spanned<KeyText>>()? {
            let key = Key {
                name: k.value.0,
                loc: Loc { line: k.referenced.line() as u32, col: k.referenced.column() as u32 },
            };
            let v = map.next_value::<Node>()?;
            if entries.iter().any(|(e, _)| e.name == key.name) {
                return Err(de::Error::custom(format!(
                    "duplicate key '{}' at line {}",
                    key.name, key.loc.line
                )));
            }
            entries.push((key, v));
        }
        Ok(Kind::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_kept() {
        let n = parse("t.yaml", "a: 1\nb:\n  c: hello\n  d: [1, 2.5, x]\n").unwrap();
        let b = n.get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!(c.as_str(), Some("hello"));
        assert_eq!(c.loc, Loc { line: 3, col: 6 });
        let (k, _) = &b.as_map().unwrap()[1];
        assert_eq!((k.name.as_str(), k.loc.line, k.loc.col), ("d", 4, 3));
        assert_eq!(b.get("d").unwrap().to_json(), serde_json::json!([1, 2.5, "x"]));
    }

    #[test]
    fn yaml_1_1_booleans_and_leading_zeros_stay_text() {
        let n = parse("t.yaml", "n: 1\ny: no\nz: off\nc: 007\nt: true\n").unwrap();
        assert_eq!(n.to_json(), serde_json::json!({"n": 1, "y": "no", "z": "off", "c": "007", "t": true}));
    }

    #[test]
    fn json_is_accepted() {
        let n = parse("t.json", "{\"name\": \"x\",\n \"n\": 12345678901234567890}").unwrap();
        assert_eq!(n.get("n").unwrap().kind, Kind::UInt(12345678901234567890));
        assert_eq!(n.get("n").unwrap().loc.line, 2);
    }

    #[test]
    fn numeric_keys_and_syntax_errors() {
        let n = parse("t.yaml", "map:\n  5: GENERAL\n  6: RETURN\n").unwrap();
        let keys: Vec<_> = n.get("map").unwrap().as_map().unwrap().iter().map(|(k, _)| k.name.clone()).collect();
        assert_eq!(keys, ["5", "6"]);
        let e = parse("t.yaml", "a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e.items[0].loc.line >= 1, "{e}");
        let e = parse("t.yaml", "a: 1\na: 2\n").unwrap_err();
        assert_eq!(e.to_string().trim(), "t.yaml:2:1 invalid YAML: duplicate mapping key: a");
    }
}
