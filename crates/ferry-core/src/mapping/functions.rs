//! The functions, filters and tests mapping expressions may call, on one shared evaluator
//! environment (built once per process).

use std::sync::LazyLock;

use jiff::civil;
use jiff::tz::{self, TimeZone};
use minijinja::value::{Rest, Value as JValue, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use super::scope::{TABLES_VAR, TablesHandle};

/// Beijing time. China has had no daylight saving since 1991, so a fixed +08:00 is exact and
/// needs no time-zone database on the host.
pub fn beijing() -> TimeZone {
    TimeZone::fixed(tz::offset(8))
}

/// Jackyun's and Kingdee's common date-time format.
pub const DATETIME_FMT: &str = "%Y-%m-%d %H:%M:%S";

/// Functions defined by Ferry (besides minijinja's `range`, `dict`, `namespace`).
pub const FUNCTIONS: &[&str] = &[
    "lookup", "date", "now", "abs", "round", "sum", "number", "substr", "pad_left", "coalesce", "range", "dict",
    "namespace",
];
/// Filters: minijinja's builtins plus Ferry's `date`, `number`, `substr`, `pad_left`.
pub const FILTERS: &[&str] = &[
    "safe", "escape", "e", "lower", "upper", "title", "capitalize", "length", "count", "items", "trim", "join",
    "split", "lines", "default", "d", "round", "abs", "int", "float", "attr", "first", "last", "min", "max",
    "sort", "list", "string", "bool", "batch", "slice", "sum", "select", "reject", "selectattr", "rejectattr",
    "map", "unique", "chain", "zip", "format", "replace", "reverse", "indent", "tojson", "dictsort", "date",
    "number", "substr", "pad_left",
];
/// Tests: minijinja's builtins plus Ferry's `empty`.
pub const TESTS: &[&str] = &[
    "defined", "undefined", "none", "safe", "escaped", "boolean", "odd", "even", "divisibleby", "number",
    "integer", "int", "float", "string", "sequence", "iterable", "mapping", "startingwith", "endingwith",
    "lower", "upper", "sameas", "eq", "equalto", "ne", "lt", "lessthan", "le", "gt", "greaterthan", "ge", "in",
    "true", "false", "filter", "test", "empty",
];

pub static ENV: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    env.add_function("lookup", lookup);
    env.add_function("date", date);
    env.add_filter("date", date);
    env.add_function("now", now);
    env.add_function("abs", abs);
    env.add_function("round", round);
    env.add_function("sum", sum);
    env.add_function("number", number);
    env.add_filter("number", number);
    env.add_function("substr", substr);
    env.add_filter("substr", substr);
    env.add_function("pad_left", pad_left);
    env.add_filter("pad_left", pad_left);
    env.add_function("coalesce", coalesce);
    env.add_test("empty", is_empty);
    env
});

/// A function the compiler may call directly (without the evaluator) on plain values.
pub type NativeFn = fn(&[JValue]) -> Result<JValue, Error>;

/// Ferry's own functions, callable natively: same code as the evaluator runs, so same results.
pub fn native(name: &str) -> Option<NativeFn> {
    fn arg(a: &[JValue], i: usize) -> JValue {
        a.get(i).cloned().unwrap_or(JValue::UNDEFINED)
    }
    fn int_arg(a: &[JValue], i: usize, what: &str) -> Result<Option<i64>, Error> {
        match a.get(i) {
            None => Ok(None),
            Some(v) if v.is_undefined() || v.is_none() => Ok(None),
            Some(v) => i64::try_from(v.clone()).map(Some).map_err(|_| err(format!("{what}: expected a whole number, got {v}"))),
        }
    }
    Some(match name {
        "date" => |a| date(arg(a, 0), a.get(1).and_then(JValue::as_str)),
        "abs" => |a| abs(arg(a, 0)),
        "round" => |a| round(arg(a, 0), int_arg(a, 1, "round")?.map(|d| d as i32)),
        "number" => |a| number(arg(a, 0)),
        "substr" => |a| {
            let s = key_text(&arg(a, 0)).unwrap_or_default();
            let start = int_arg(a, 1, "substr")?.unwrap_or(0).max(0) as usize;
            let len = int_arg(a, 2, "substr")?.map(|n| n.max(0) as usize);
            Ok(substr(&s, start, len))
        },
        "pad_left" => |a| {
            let w = int_arg(a, 1, "pad_left")?.unwrap_or(0).max(0) as usize;
            pad_left(arg(a, 0), w, a.get(2).and_then(JValue::as_str))
        },
        "coalesce" => |a| Ok(coalesce(Rest(a.to_vec()))),
        "empty" => |a| Ok(JValue::from(is_empty(arg(a, 0)))),
        _ => return None,
    })
}

fn err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg.into())
}

/// Text of a scalar for table keys: strings as they are, numbers in their shortest form.
pub fn key_text(v: &JValue) -> Option<String> {
    match v.kind() {
        ValueKind::String => Some(v.as_str().unwrap_or_default().to_owned()),
        ValueKind::Number | ValueKind::Bool => Some(v.to_string()),
        _ => None,
    }
}

/// `lookup('table', key)` or `lookup('table', key, default)`: a missing key is an error naming the
/// table and the key, unless a default is given.
fn lookup(state: &State, table: &str, key: JValue, default: Option<JValue>) -> Result<JValue, Error> {
    let tables = state.lookup(TABLES_VAR).ok_or_else(|| err("lookup tables are not available here"))?;
    let handle = tables.downcast_object_ref::<TablesHandle>().ok_or_else(|| err("lookup tables are not available here"))?;
    let t = handle.0.get(table).ok_or_else(|| err(format!("no table named '{table}'")))?;
    let k = key_text(&key).ok_or_else(|| err(format!("lookup('{table}', …): the key is {}, expected a string or number", key.kind())))?;
    match t.get(&k) {
        Some(v) => Ok(JValue::from(minijinja::value::Serde(v))),
        None => default.ok_or_else(|| err(format!("'{k}' is not in table '{table}'"))),
    }
}

/// Parse what Jackyun and Kingdee send as a time: ms-epoch (number or digits), `yyyy-MM-dd HH:mm:ss`,
/// `yyyy-MM-dd`, `yyyy/MM/dd HH:mm:ss`, RFC 3339 with an offset. Civil times are Beijing time.
pub fn parse_time(v: &JValue) -> Result<civil::DateTime, Error> {
    let bj = beijing();
    let from_ms = |ms: i64| -> Result<civil::DateTime, Error> {
        let ts = jiff::Timestamp::from_millisecond(ms).map_err(|e| err(format!("{ms} is not a ms-epoch time: {e}")))?;
        Ok(ts.to_zoned(bj.clone()).datetime())
    };
    match v.kind() {
        ValueKind::Number => {
            let ms = i64::try_from(v.clone()).map_err(|_| err(format!("{v} is not a ms-epoch time")))?;
            from_ms(ms)
        }
        ValueKind::String => {
            let s = v.as_str().unwrap_or_default().trim();
            if s.len() >= 10 && s.bytes().all(|b| b.is_ascii_digit()) {
                return from_ms(s.parse().map_err(|_| err(format!("'{s}' is not a ms-epoch time")))?);
            }
            if let Ok(ts) = s.parse::<jiff::Timestamp>() {
                return Ok(ts.to_zoned(bj).datetime());
            }
            let norm = s.replace('/', "-");
            if let Ok(dt) = norm.parse::<civil::DateTime>() {
                return Ok(dt);
            }
            if let Ok(d) = norm.parse::<civil::Date>() {
                return Ok(d.to_datetime(civil::Time::midnight()));
            }
            Err(err(format!("'{s}' is not a date: expected yyyy-MM-dd[ HH:mm:ss], RFC 3339 or ms-epoch")))
        }
        _ => Err(err(format!("cannot read a date from {}", v.kind()))),
    }
}

/// `date(v)` / `v | date` → `yyyy-MM-dd HH:mm:ss` in Beijing time; `date(v, '%Y-%m-%d')` for another
/// format (strftime). An empty or missing value stays empty.
fn date(v: JValue, fmt: Option<&str>) -> Result<JValue, Error> {
    if v.is_undefined() || v.is_none() || v.as_str() == Some("") {
        return Ok(JValue::from(()));
    }
    let dt = parse_time(&v)?;
    Ok(JValue::from(dt.strftime(fmt.unwrap_or(DATETIME_FMT)).to_string()))
}

/// `now()` / `now('%Y-%m-%d')`: the current Beijing time.
fn now(fmt: Option<&str>) -> JValue {
    let dt = jiff::Timestamp::now().to_zoned(beijing()).datetime();
    JValue::from(dt.strftime(fmt.unwrap_or(DATETIME_FMT)).to_string())
}

fn as_f64(v: &JValue, what: &str) -> Result<f64, Error> {
    if let Some(s) = v.as_str() {
        return s.trim().parse::<f64>().map_err(|_| err(format!("{what}: '{s}' is not a number")));
    }
    f64::try_from(v.clone()).map_err(|_| err(format!("{what}: expected a number, got {}", v.kind())))
}

/// `abs(x)`: integers stay integers.
fn abs(v: JValue) -> Result<JValue, Error> {
    if let Ok(i) = i64::try_from(v.clone())
        && v.is_integer() {
            return Ok(JValue::from(i.abs()));
        }
    Ok(JValue::from(as_f64(&v, "abs")?.abs()))
}

/// Round half away from zero to `digits` decimals, without binary noise (`0.1 + 0.2` → `0.3`).
pub fn round_f64(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    let r = (x * p).round() / p;
    // Re-parse the shortest decimal text so that the stored f64 is the one closest to it.
    format!("{r:.*}", digits.max(0) as usize).parse().unwrap_or(r)
}

/// `round(x)` → integer; `round(x, n)` → n decimals.
fn round(v: JValue, digits: Option<i32>) -> Result<JValue, Error> {
    let x = as_f64(&v, "round")?;
    match digits.unwrap_or(0) {
        0 => Ok(JValue::from(x.round() as i64)),
        d => Ok(JValue::from(round_f64(x, d))),
    }
}

/// `sum(lines, 'attr')` or `sum(numbers)`: integers stay integers; decimals are rounded to 9
/// places to drop binary noise.
fn sum(seq: JValue, attr: Option<&str>) -> Result<JValue, Error> {
    let mut int_total: i64 = 0;
    let mut f_total: f64 = 0.0;
    let mut all_int = true;
    for item in seq.try_iter()? {
        let v = match attr {
            Some(a) => item.get_attr(a)?,
            None => item,
        };
        if v.is_undefined() || v.is_none() {
            continue;
        }
        if v.is_integer() {
            let i = i64::try_from(v.clone())?;
            int_total = int_total.checked_add(i).ok_or_else(|| err("sum: integer overflow"))?;
            f_total += i as f64;
        } else {
            all_int = false;
            f_total += as_f64(&v, "sum")?;
        }
    }
    Ok(if all_int { JValue::from(int_total) } else { JValue::from(round_f64(f_total, 9)) })
}

/// `number(x)`: a numeric string → number (integer when it has no fraction); numbers pass through.
fn number(v: JValue) -> Result<JValue, Error> {
    if v.kind() == ValueKind::Number {
        return Ok(v);
    }
    let s = v.as_str().ok_or_else(|| err(format!("number: expected a string or number, got {}", v.kind())))?.trim();
    if let Ok(i) = s.parse::<i64>() {
        return Ok(JValue::from(i));
    }
    s.parse::<f64>().map(JValue::from).map_err(|_| err(format!("number: '{s}' is not a number")))
}

/// `substr(s, start, len?)` on characters (not bytes), so Chinese text is cut correctly.
fn substr(s: &str, start: usize, len: Option<usize>) -> JValue {
    let it = s.chars().skip(start);
    JValue::from(match len {
        Some(n) => it.take(n).collect::<String>(),
        None => it.collect::<String>(),
    })
}

/// `pad_left(s, width, fill='0')`.
fn pad_left(v: JValue, width: usize, fill: Option<&str>) -> Result<JValue, Error> {
    let s = key_text(&v).unwrap_or_default();
    let fill = fill.and_then(|f| f.chars().next()).unwrap_or('0');
    let n = s.chars().count();
    let pad: String = std::iter::repeat_n(fill, width.saturating_sub(n)).collect();
    Ok(JValue::from(pad + &s))
}

/// `coalesce(a, b, ...)`: the first argument that is neither missing, none nor an empty string.
fn coalesce(args: Rest<JValue>) -> JValue {
    args.0
        .into_iter()
        .find(|v| !(v.is_undefined() || v.is_none() || v.as_str() == Some("")))
        .unwrap_or(JValue::from(()))
}

/// `x is empty`: missing, none, an empty string, list or map.
fn is_empty(v: JValue) -> bool {
    v.is_undefined() || v.is_none() || v.as_str() == Some("") || v.len() == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(expr: &str) -> String {
        ENV.compile_expression(expr).unwrap().eval(()).map(|v| v.to_string()).unwrap_or_else(|e| format!("error: {e}"))
    }

    #[test]
    fn functions_behave() {
        assert_eq!(eval("date('2024-05-01 10:00:00')"), "2024-05-01 10:00:00");
        assert_eq!(eval("date(1714528800000)"), "2024-05-01 10:00:00");
        assert_eq!(eval("date('1714528800000', '%Y-%m-%d')"), "2024-05-01");
        assert_eq!(eval("date('2024-05-01T02:00:00Z')"), "2024-05-01 10:00:00");
        assert_eq!(eval("'2024/05/01' | date('%Y-%m-%d')"), "2024-05-01");
        assert!(eval("date('yesterday')").starts_with("error: invalid operation: 'yesterday' is not a date"));
        assert_eq!(eval("abs(-3)"), "3");
        assert_eq!(eval("abs(-2.5)"), "2.5");
        assert_eq!(eval("round(0.1 + 0.2, 2)"), "0.3");
        assert_eq!(eval("round(2.5)"), "3");
        assert_eq!(eval("sum([1, 2, 3])"), "6");
        assert_eq!(eval("sum([0.1, 0.2])"), "0.3");
        assert_eq!(eval("sum([{'q': 1}, {'q': -4}], 'q')"), "-3");
        assert_eq!(eval("number('12.50')"), "12.5");
        assert_eq!(eval("number('12')"), "12");
        assert_eq!(eval("substr('盘点单编号', 0, 3)"), "盘点单");
        assert_eq!(eval("pad_left(7, 4)"), "0007");
        assert_eq!(eval("pad_left(42, 5)"), "00042");
        assert_eq!(eval("42 | pad_left(5)"), "00042");
        assert_eq!(eval("coalesce(none, '', 'x')"), "x");
        assert_eq!(eval("[] is empty"), "True");
        assert_eq!(eval("[1] is empty"), "False");
        assert!(eval("lookup('t', 'k')").contains("lookup tables are not available here"));
    }
}
