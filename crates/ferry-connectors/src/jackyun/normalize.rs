//! Making the gateway's loosely typed JSON dependable: big integers never lose digits, ids are
//! strings, and numeric fields that arrive as strings become numbers, as the API's metadata says.
//!
//! Jackyun documents ids as Long but usually sends them as strings; some APIs send numbers, and a
//! 19-digit id read as a float loses its last digits. So integer literals of 16 digits or more
//! (beyond what a double holds exactly) are read as strings before anything else sees them.
//! Dates are left as they come (strings or ms-epoch): the mapping's `date` function reads both.

use std::borrow::Cow;
use std::collections::HashMap;

use ferry_core::metadata::FieldType;
use serde_json::{Number, Value};

/// Integer literals with at least this many digits are read as strings.
const BIG_DIGITS: usize = 16;

/// Parses JSON text, reading integer literals of 16+ digits as strings.
pub fn parse_json_keeping_big_ints(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(&quote_big_integers(text))
}

/// Wraps integer literals of 16+ digits (outside strings) in quotes.
pub fn quote_big_integers(text: &str) -> Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0; // bytes of `text` already in `out`
    let mut i = 0;
    let mut in_string = false;
    while i < b.len() {
        let c = b[i];
        if in_string {
            match c {
                b'\\' => i += 2,
                b'"' => {
                    in_string = false;
                    i += 1;
                }
                _ => i += 1,
            }
            continue;
        }
        match c {
            b'"' => {
                in_string = true;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                if c == b'-' {
                    i += 1;
                }
                let digits_start = i;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                let digits = i - digits_start;
                let fractional = i < b.len() && matches!(b[i], b'.' | b'e' | b'E');
                if fractional {
                    while i < b.len() && matches!(b[i], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') {
                        i += 1;
                    }
                } else if digits >= BIG_DIGITS {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
                    o.push_str(&text[copied..start]);
                    o.push('"');
                    o.push_str(&text[start..i]);
                    o.push('"');
                    copied = i;
                }
            }
            _ => i += 1,
        }
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied.min(text.len())..]);
            Cow::Owned(o)
        }
    }
}

/// The declared type of each field path (`stockTakeDetailViews.variQuan` → Number).
pub type FieldTypes = HashMap<String, FieldType>;

/// Coerces a record in place: String fields that are numbers become strings; Number/Integer
/// fields that are numeric strings become numbers; an undeclared `id`/`…Id` field holding an
/// integer becomes a string. Array items are addressed through the array's name.
pub fn normalize_record(record: &mut Value, types: &FieldTypes) {
    walk(record, "", types);
}

fn walk(v: &mut Value, prefix: &str, types: &FieldTypes) {
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                coerce(child, types.get(&path).copied(), k);
                if child.is_object() || child.is_array() {
                    walk(child, &path, types);
                }
            }
        }
        Value::Array(items) => {
            for it in items {
                walk(it, prefix, types);
            }
        }
        _ => {}
    }
}

fn looks_like_id(key: &str) -> bool {
    key == "id" || key.ends_with("Id") || key.ends_with("ID")
}

fn coerce(v: &mut Value, ty: Option<FieldType>, key: &str) {
    match (ty, &*v) {
        (Some(FieldType::String), Value::Number(n)) => *v = Value::String(n.to_string()),
        (None, Value::Number(n)) if looks_like_id(key) && (n.is_i64() || n.is_u64()) => *v = Value::String(n.to_string()),
        (Some(FieldType::Number | FieldType::Integer), Value::String(s)) => {
            if let Some(n) = numeric(s) {
                *v = Value::Number(n);
            }
        }
        _ => {}
    }
}

/// A numeric string as a JSON number (integers stay integers); `None` when it is not one.
fn numeric(s: &str) -> Option<Number> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(i.into());
    }
    if let Ok(u) = t.parse::<u64>() {
        return Some(u.into());
    }
    let plain = t.bytes().all(|c| matches!(c, b'0'..=b'9' | b'.' | b'-' | b'+' | b'e' | b'E'));
    if !plain {
        return None; // "NaN", "inf", "0x10" are not numbers here
    }
    t.parse::<f64>().ok().and_then(Number::from_f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn big_integers_become_strings_and_nothing_else_changes() {
        let text = r#"{"id":2378284552512635520,"neg":-12345678901234567,"small":12345,"f":1.5e3,"s":"99999999999999999999","ms":1631020179000,"arr":[98765432109876543210,1]}"#;
        let v = parse_json_keeping_big_ints(text).unwrap();
        assert_eq!(v["id"], "2378284552512635520");
        assert_eq!(v["neg"], "-12345678901234567");
        assert_eq!(v["small"], 12345);
        assert_eq!(v["f"], 1500.0);
        assert_eq!(v["s"], "99999999999999999999");
        assert_eq!(v["ms"], 1631020179000u64);
        assert_eq!(v["arr"][0], "98765432109876543210");
        assert!(matches!(quote_big_integers(r#"{"a":"x\"1234567890123456789","b":1}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn records_follow_their_metadata() {
        let types: FieldTypes = [
            ("id", FieldType::String),
            ("status", FieldType::Integer),
            ("lines.variQuan", FieldType::Number),
            ("lines.skuId", FieldType::String),
            ("lines.price", FieldType::Number),
            ("stocktakeDate", FieldType::Datetime),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_owned(), t))
        .collect();
        let mut r = json!({
            "id": 12345, "status": "5", "stocktakeDate": 1714521600000u64, "warehouseId": 777, "note": "12",
            "lines": [{"variQuan": "-2", "skuId": 1212, "price": "12.50", "goodsId": 9}, {"variQuan": "n/a", "price": ""}]
        });
        normalize_record(&mut r, &types);
        assert_eq!(
            r,
            json!({
                "id": "12345", "status": 5, "stocktakeDate": 1714521600000u64, "warehouseId": "777", "note": "12",
                "lines": [{"variQuan": -2, "skuId": "1212", "price": 12.5, "goodsId": "9"}, {"variQuan": "n/a", "price": ""}]
            })
        );
    }
}
