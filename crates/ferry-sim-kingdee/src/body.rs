//! Request bodies in all four shapes of reference §1.4, and lenient readers of their values.
//!
//! 1. positional `{"parameters":[..]}` (parameters may also be a JSON-encoded array);
//! 2. the legacy envelope `{"format":1,"useragent":..,"rid":..,"parameters":[..],"timestamp":..,"v":"1.0"}`;
//! 3. named `{"formid":..,"data":..}` / `{"data":..}` (keys case-insensitive);
//! 4. form-urlencoded `acctID=..&username=..` (logins).
//!
//! A bare JSON array is rejected like the real server (Newtonsoft "Additional text ..." message).

use serde_json::{Map, Value};

/// Why a body could not be read; becomes a `response_error:` framework fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyError(pub String);

/// The arguments of one call.
#[derive(Debug, Clone, Default)]
pub(crate) struct Args {
    positional: Option<Vec<Value>>,
    named: Map<String, Value>,
}

impl Args {
    /// Reads a body of any accepted shape. Content-Type is ignored, as by the real server.
    pub(crate) fn parse(body: &[u8]) -> Result<Args, BodyError> {
        let text = std::str::from_utf8(body)
            .map_err(|_| BodyError("请求内容不是有效的UTF-8文本".to_string()))?
            .trim_start_matches('\u{feff}')
            .trim();
        if text.is_empty() {
            return Ok(Args::default());
        }
        if text.starts_with('[') {
            return Err(BodyError(
                "Additional text found in JSON string after finishing deserializing object."
                    .to_string(),
            ));
        }
        if text.starts_with('{') {
            let value: Value = serde_json::from_str(text)
                .map_err(|e| BodyError(format!("请求的JSON格式不正确：{e}")))?;
            let Value::Object(mut map) = value else {
                return Err(BodyError("请求的JSON格式不正确".to_string()));
            };
            let key = map
                .keys()
                .find(|k| k.eq_ignore_ascii_case("parameters"))
                .cloned();
            if let Some(key) = key {
                let params = map.remove(&key).unwrap_or(Value::Null);
                let params = match params {
                    Value::Array(a) => a,
                    Value::String(s) => match serde_json::from_str::<Value>(&s) {
                        Ok(Value::Array(a)) => a,
                        _ => return Err(BodyError("parameters 必须是数组".to_string())),
                    },
                    Value::Null => Vec::new(),
                    _ => return Err(BodyError("parameters 必须是数组".to_string())),
                };
                return Ok(Args {
                    positional: Some(params),
                    named: map,
                });
            }
            return Ok(Args {
                positional: None,
                named: map,
            });
        }
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(text)
            .map_err(|e| BodyError(format!("无法解析请求内容：{e}")))?;
        if pairs.is_empty() {
            return Err(BodyError("无法解析请求内容".to_string()));
        }
        Ok(Args {
            positional: None,
            named: pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        })
    }

    /// Argument `idx` of the positional shape, or the first of `names` present in the named shape
    /// (case-insensitive).
    pub(crate) fn get(&self, idx: usize, names: &[&str]) -> Option<&Value> {
        match &self.positional {
            Some(p) => p.get(idx),
            None => self.named(names),
        }
    }

    /// The first of `names` present among the named keys (case-insensitive), in any shape.
    pub(crate) fn named(&self, names: &[&str]) -> Option<&Value> {
        names.iter().find_map(|n| {
            self.named
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v)
        })
    }
}

/// A value as text: strings as is, numbers and booleans printed.
pub(crate) fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean given as a JSON bool, `"true"`/`"false"`, `"1"`/`"0"` or a number.
pub(crate) fn as_bool(v: Option<&Value>, default: bool) -> bool {
    match v {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => default,
        },
        Some(Value::Number(n)) => n.as_f64().is_some_and(|x| x != 0.0),
        _ => default,
    }
}

/// An integer given as a JSON number or a numeric string.
pub(crate) fn as_i64(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A number given as a JSON number or a numeric string.
pub(crate) fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        _ => None,
    }
}

/// The `data` argument: an object, or a JSON-encoded string of one.
pub(crate) fn data_object(v: Option<&Value>) -> Result<Map<String, Value>, String> {
    match v {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m),
            Ok(_) => Err("参数data必须是JSON对象".to_string()),
            Err(e) => Err(format!("参数data不是有效的JSON：{e}")),
        },
        Some(_) => Err("参数data必须是JSON对象".to_string()),
    }
}

/// A key of a JSON object, case-insensitively.
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn four_shapes() {
        let a = Args::parse(br#"{"parameters":["STK_MISCELLANEOUS","{\"Model\":{}}"]}"#).unwrap();
        assert!(a.positional.is_some());
        assert_eq!(a.get(0, &["formid"]), Some(&json!("STK_MISCELLANEOUS")));
        let legacy = br#"{"format":1,"useragent":"ApiClient","rid":"1","parameters":["a","b"],"timestamp":"2024-05-01 00:00:00","v":"1.0"}"#;
        let a = Args::parse(legacy).unwrap();
        assert_eq!(a.get(1, &[]), Some(&json!("b")));
        let a = Args::parse(br#"{"FormId":"X","Data":{"k":1}}"#).unwrap();
        assert_eq!(a.get(0, &["formid"]), Some(&json!("X")));
        assert_eq!(a.get(1, &["data"]), Some(&json!({"k":1})));
        let a = Args::parse(b"acctID=a1&username=demo&password=p%26w&lcid=2052").unwrap();
        assert_eq!(a.get(0, &["acctid"]), Some(&json!("a1")));
        assert_eq!(a.get(2, &["password"]), Some(&json!("p&w")));
        let a = Args::parse(br#"{"parameters":"[\"x\"]"}"#).unwrap();
        assert_eq!(a.get(0, &[]), Some(&json!("x")));
    }

    #[test]
    fn bad_bodies() {
        assert!(
            Args::parse(b"[1,2]")
                .unwrap_err()
                .0
                .contains("Additional text")
        );
        assert!(Args::parse(b"{not json").is_err());
        assert!(Args::parse(b"").unwrap().get(0, &["x"]).is_none());
    }

    #[test]
    fn lenient_values() {
        assert!(as_bool(Some(&json!("true")), false));
        assert!(!as_bool(Some(&json!("False")), true));
        assert!(as_bool(None, true));
        assert_eq!(as_i64(Some(&json!("20"))), Some(20));
        assert_eq!(as_f64(&json!("1.5")), Some(1.5));
        assert_eq!(data_object(Some(&json!("{\"a\":1}"))).unwrap()["a"], 1);
        assert!(data_object(Some(&json!("[1]"))).is_err());
        let m = json!({"FNUMBER":"x"});
        assert_eq!(get_ci(m.as_object().unwrap(), "FNumber"), Some(&json!("x")));
    }
}
