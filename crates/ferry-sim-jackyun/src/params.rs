//! Reading a gateway request: system parameters from the form body and the query string, and
//! business parameters from the `bizcontent` JSON.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::civil::parse_datetime_lenient;
use crate::envelope::{Failure, messages, sub_codes};

/// Merges the query string and the form body into one parameter map (the form body wins when a
/// key is in both; within one source the first occurrence wins, like a servlet's
/// `getParameter`). The body is read as a form unless the request says it is something else
/// (e.g. JSON), in which case only the query string counts.
pub(crate) fn merge_params(
    query: Option<&str>,
    body: &[u8],
    content_type: Option<&str>,
) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let body_is_form = content_type.is_none_or(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if body_is_form && let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body) {
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
    }
    if let Some(q) = query
        && let Ok(pairs) = serde_urlencoded::from_str::<Vec<(String, String)>>(q)
    {
        for (k, v) in pairs {
            map.entry(k).or_insert(v);
        }
    }
    map
}

/// The business parameters (`bizcontent`). Keys are matched exactly, then ASCII
/// case-insensitively (the old goodsdocin API is known to accept `pageindex`); unknown keys are
/// ignored, like the real gateway.
#[derive(Debug, Clone, Default)]
pub(crate) struct Biz {
    map: Map<String, Value>,
}

impl Biz {
    /// Parses `bizcontent`; it must be a JSON object.
    pub(crate) fn parse(raw: &str) -> Result<Self, Failure> {
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => Ok(Self { map }),
            _ => Err(Failure::new(sub_codes::UNKNOWN, messages::BIZCONTENT)),
        }
    }

    /// The raw value of `key` (null counts as absent).
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        let v = self.map.get(key).or_else(|| {
            self.map
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v)
        })?;
        (!v.is_null()).then_some(v)
    }

    /// `key` as trimmed text (numbers and booleans are stringified); blank counts as absent.
    pub(crate) fn text(&self, key: &str) -> Option<String> {
        let s = match self.get(key)? {
            Value::String(s) => s.trim().to_string(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => return None,
        };
        (!s.is_empty()).then_some(s)
    }

    /// `key` as an integer (a JSON integer or a numeric string).
    pub(crate) fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// `key` as a list: a comma-separated string (ASCII or full-width commas) or a JSON array.
    pub(crate) fn list(&self, key: &str) -> Vec<String> {
        let items: Vec<String> = match self.get(key) {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(_) => self
                .text(key)
                .map(|s| s.split([',', '，']).map(str::to_string).collect())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        items
            .into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// `key` as a Beijing civil date-time (`yyyy-MM-dd HH:mm:ss` or `yyyy-MM-dd`); a present but
    /// malformed value is a parameter error.
    pub(crate) fn datetime(&self, key: &str) -> Result<Option<i64>, Failure> {
        match self.text(key) {
            None => Ok(None),
            Some(s) => parse_datetime_lenient(&s)
                .map(Some)
                .ok_or_else(|| Failure::param(format!("{key}格式错误，应为yyyy-MM-dd HH:mm:ss"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_body_wins_over_the_query_string() {
        let m = merge_params(
            Some("method=from.query&appkey=q&extra=1"),
            b"method=from.form&appkey=f&appkey=second",
            Some("application/x-www-form-urlencoded;charset=UTF-8"),
        );
        assert_eq!(m["method"], "from.form");
        assert_eq!(m["appkey"], "f");
        assert_eq!(m["extra"], "1");
    }

    #[test]
    fn a_json_body_is_not_read_as_a_form() {
        let m = merge_params(Some("method=m"), br#"{"a":1}"#, Some("application/json"));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn biz_readers() {
        let b = Biz::parse(
            r#"{"pageindex":"2","pageSize":50,"skuBarcode":"a, b，c,,","arr":["x",1],"blank":" ","startPdDate":"2024-05-01"}"#,
        )
        .unwrap();
        assert_eq!(b.int("pageIndex"), Some(2));
        assert_eq!(b.int("pageSize"), Some(50));
        assert_eq!(b.list("skuBarcode"), ["a", "b", "c"]);
        assert_eq!(b.list("arr"), ["x", "1"]);
        assert_eq!(b.text("blank"), None);
        assert!(b.get("blank").is_some());
        assert!(b.datetime("startPdDate").unwrap().is_some());
        assert!(Biz::parse("[]").is_err());
        assert!(Biz::parse("{").is_err());
        let bad = Biz::parse(r#"{"endPdDate":"yesterday"}"#).unwrap();
        assert_eq!(
            bad.datetime("endPdDate").unwrap_err().sub_code,
            sub_codes::PARAM
        );
    }
}
