//! Incremental time windows (reference §6): the scheme's `source.window` settings, Beijing-time
//! civil times, and the slicing of a long window into spans the API accepts.
//!
//! Times are whole seconds since the Unix epoch internally; on the wire and in checkpoints they
//! are `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8). A slice is half-open `[start, end)`; the
//! request's end parameter is `end - 1s`, because the gateway's bounds are inclusive.

use ferry_core::connector::ConnectorError;
use serde::Deserialize;
use serde_json::Value;

use super::metadata::ApiSpec;
use super::sign::{beijing, beijing_timestamp};

/// The `source.window` settings of a scheme, checked against the API.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSpec {
    /// Request parameter taking the window start (e.g. `startPdDate`).
    pub from: String,
    /// Request parameter taking the window end (e.g. `endPdDate`).
    pub to: String,
    /// Start of the first run's window (epoch seconds).
    pub start: Option<i64>,
    /// Fixed end (a backfill); windows otherwise end at the run's start time.
    pub end: Option<i64>,
    /// Re-scan this many seconds before the last window's end on each run.
    pub lookback: i64,
    /// Keep this many seconds before now out of the window (late-arriving records).
    pub lag: i64,
    /// Slice width in seconds (`None`: one slice).
    pub span: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    from: Option<String>,
    to: Option<String>,
    start: Option<String>,
    end: Option<String>,
    lookback: Option<Value>,
    lag: Option<Value>,
    max_span: Option<Value>,
}

const KEYS: [&str; 7] = ["from", "to", "start", "end", "lookback", "lag", "max_span"];

fn err(key: &str, msg: impl std::fmt::Display) -> ConnectorError {
    if key.is_empty() {
        ConnectorError::config(format!("source.window: {msg}"))
    } else {
        ConnectorError::config(format!("source.window.{key}: {msg}"))
    }
}

/// Seconds of a span: `7d`, `24h`, `30m`, `90s`, `1d12h`, or a whole number of seconds.
pub fn parse_span(v: &Value) -> Result<i64, String> {
    match v {
        Value::Number(n) => n.as_i64().filter(|s| *s >= 0).ok_or_else(|| format!("expected a span like 7d or 12h, found {n}")),
        Value::String(s) => {
            let t = s.trim();
            if let Ok(n) = t.parse::<i64>() {
                return if n >= 0 { Ok(n) } else { Err(format!("must not be negative, found {t}")) };
            }
            let mut total: i64 = 0;
            let mut num = String::new();
            for c in t.chars() {
                if c.is_ascii_digit() {
                    num.push(c);
                    continue;
                }
                let unit = match c {
                    'd' => 86_400,
                    'h' => 3_600,
                    'm' => 60,
                    's' => 1,
                    ' ' if num.is_empty() => continue,
                    _ => return Err(format!("expected a span like 7d, 12h, 30m or 1d12h, found '{t}'")),
                };
                let n: i64 = num.parse().map_err(|_| format!("expected a span like 7d, 12h, 30m or 1d12h, found '{t}'"))?;
                total = total.saturating_add(n.saturating_mul(unit));
                num.clear();
            }
            if !num.is_empty() || t.is_empty() {
                return Err(format!("expected a span like 7d, 12h, 30m or 1d12h, found '{t}'"));
            }
            Ok(total)
        }
        other => Err(format!("expected a span like 7d or 12h, found {other}")),
    }
}

/// Parses a Beijing-time civil time: `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-ddTHH:mm:ss` or `yyyy-MM-dd`.
pub fn parse_beijing(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let dt = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", t)
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", t))
        .or_else(|_| jiff::civil::Date::strptime("%Y-%m-%d", t).map(|d| d.to_datetime(jiff::civil::Time::midnight())))
        .map_err(|_| format!("expected a Beijing time like 2024-01-01 00:00:00, found '{t}'"))?;
    beijing().to_timestamp(dt).map(|ts| ts.as_second()).map_err(|e| format!("'{t}': {e}"))
}

/// Formats epoch seconds as Beijing `yyyy-MM-dd HH:mm:ss`.
pub fn format_beijing(secs: i64) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(ts) => beijing_timestamp(ts),
        Err(_) => secs.to_string(),
    }
}

impl WindowSpec {
    /// Reads `source.window` for `api`. Every error is a `Config` error naming the key.
    pub fn parse(v: &Value, api: &ApiSpec) -> Result<WindowSpec, ConnectorError> {
        let Value::Object(obj) = v else {
            return Err(err("", format!("expected a mapping like {{ from: startPdDate, to: endPdDate, lookback: 7d }}, found {v}")));
        };
        for k in obj.keys() {
            if !KEYS.contains(&k.as_str()) {
                return Err(err(k, format!("unknown key (window keys: {})", KEYS.join(", "))));
            }
        }
        let raw: RawWindow = serde_json::from_value(v.clone()).map_err(|e| err("", e))?;
        if api.windows.is_empty() {
            return Err(err("", format!("{} takes no time window", api.method)));
        }
        let pairs = || api.windows.iter().map(|w| format!("{}/{}", w.from, w.to)).collect::<Vec<_>>().join(", ");
        let (from, to) = match (raw.from, raw.to) {
            (None, None) => (api.windows[0].from.to_owned(), api.windows[0].to.to_owned()),
            (Some(f), to) => {
                let Some(w) = api.window(&f) else {
                    return Err(err(
                        "from",
                        format!(
                            "'{f}' is not a window parameter of {} (it has {}); the gateway would silently ignore it and return everything",
                            api.method,
                            pairs()
                        ),
                    ));
                };
                match to {
                    Some(t) if t != w.to => {
                        return Err(err("to", format!("'{t}' does not pair with '{f}' on {} (expected '{}')", api.method, w.to)));
                    }
                    _ => (f, w.to.to_owned()),
                }
            }
            (None, Some(t)) => match api.windows.iter().find(|w| w.to == t) {
                Some(w) => (w.from.to_owned(), t),
                None => return Err(err("to", format!("'{t}' is not a window parameter of {} (it has {})", api.method, pairs()))),
            },
        };
        let time = |key: &str, s: Option<String>| s.map(|s| parse_beijing(&s).map_err(|m| err(key, m))).transpose();
        let span = |key: &str, v: Option<Value>| v.map(|v| parse_span(&v).map_err(|m| err(key, m))).transpose();
        let start = time("start", raw.start)?;
        let end = time("end", raw.end)?;
        if let (Some(s), Some(e)) = (start, end)
            && s >= e
        {
            return Err(err("end", "must be after start"));
        }
        let lookback = span("lookback", raw.lookback)?.unwrap_or(0);
        let lag = span("lag", raw.lag)?.unwrap_or(0);
        let max_span = span("max_span", raw.max_span)?;
        if max_span == Some(0) {
            return Err(err("max_span", "must be longer than 0"));
        }
        let span = match (max_span, api.max_span_secs) {
            (Some(s), Some(cap)) if s > cap => {
                return Err(err(
                    "max_span",
                    format!("{} accepts windows of at most {}; use max_span: {} or less", api.method, show_span(cap), show_span(cap)),
                ));
            }
            (Some(s), _) => Some(s),
            (None, Some(cap)) => Some(cap),
            (None, None) => api.default_span_secs,
        };
        Ok(WindowSpec { from, to, start, end, lookback, lag, span })
    }

    /// The end of a window computed at `now` (epoch seconds).
    pub fn end_at(&self, now: i64) -> i64 {
        let e = now - self.lag;
        self.end.map_or(e, |fixed| fixed.min(e))
    }

    /// Where the first run's window starts when the scheme gives no `start`: one look-back (or
    /// one day) before its end.
    pub fn first_start(&self, end: i64) -> i64 {
        self.start.unwrap_or(end - if self.lookback > 0 { self.lookback } else { 86_400 })
    }

    /// Where a run starts after a finished run that ended at `last_end`.
    pub fn next_start(&self, last_end: i64) -> i64 {
        let s = last_end - self.lookback;
        self.start.map_or(s, |first| s.max(first))
    }
}

/// `7d`, `24h`, `90m`, `45s` for docs and messages.
pub fn show_span(secs: i64) -> String {
    if secs % 86_400 == 0 {
        format!("{}d", secs / 86_400)
    } else if secs % 3_600 == 0 {
        format!("{}h", secs / 3_600)
    } else if secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// A half-open slice `[start, end)` of a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub start: i64,
    pub end: i64,
}

impl Slice {
    /// The request's inclusive bounds, formatted.
    pub fn bounds(&self) -> (String, String) {
        (format_beijing(self.start), format_beijing((self.end - 1).max(self.start)))
    }
}

/// The slices of one run's window, walked in order.
#[derive(Debug, Clone)]
pub struct Slicer {
    /// Start of the run's window.
    pub window_start: i64,
    /// End of the run's window (exclusive).
    pub window_end: i64,
    span: Option<i64>,
    current: Option<Slice>,
}

impl Slicer {
    /// A window `[start, end)`, first slice current. Empty when `start >= end`.
    pub fn new(start: i64, end: i64, span: Option<i64>) -> Slicer {
        let mut s = Slicer { window_start: start, window_end: end, span, current: None };
        s.current = s.slice_from(start);
        s
    }

    /// Resumes a checkpointed slice, then goes on to `end`.
    pub fn resume(window_start: i64, slice: Slice, end: i64, span: Option<i64>) -> Slicer {
        Slicer { window_start, window_end: end.max(slice.end), span, current: Some(slice) }
    }

    fn slice_from(&self, start: i64) -> Option<Slice> {
        if start >= self.window_end {
            return None;
        }
        let end = match self.span {
            Some(s) => start.saturating_add(s).min(self.window_end),
            None => self.window_end,
        };
        Some(Slice { start, end })
    }

    /// The slice being read (`None`: the window is done).
    pub fn current(&self) -> Option<Slice> {
        self.current
    }

    /// The slice after the current one.
    pub fn peek_next(&self) -> Option<Slice> {
        self.current.and_then(|c| self.slice_from(c.end))
    }

    /// Moves to the next slice; false when the window is done.
    pub fn advance(&mut self) -> bool {
        self.current = self.peek_next();
        self.current.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jackyun::metadata::spec;
    use serde_json::json;

    fn stocktake() -> &'static ApiSpec {
        spec("wms.stocktake.get").unwrap()
    }

    #[test]
    fn spans_and_times() {
        assert_eq!(parse_span(&json!("7d")), Ok(7 * 86_400));
        assert_eq!(parse_span(&json!("1d12h")), Ok(36 * 3_600));
        assert_eq!(parse_span(&json!("30m")), Ok(1_800));
        assert_eq!(parse_span(&json!(90)), Ok(90));
        assert!(parse_span(&json!("7 days")).is_err());
        assert!(parse_span(&json!("d")).is_err());
        assert!(parse_span(&json!(-1)).is_err());
        let t = parse_beijing("2024-05-01 08:00:00").unwrap();
        assert_eq!(t, "2024-05-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second());
        assert_eq!(parse_beijing("2024-05-01").unwrap(), t - 8 * 3600);
        assert_eq!(format_beijing(t), "2024-05-01 08:00:00");
        assert!(parse_beijing("05/01/2024").is_err());
    }

    #[test]
    fn window_keys_default_from_the_api_and_are_checked() {
        let w = WindowSpec::parse(&json!({"lookback": "7d"}), stocktake()).unwrap();
        assert_eq!((w.from.as_str(), w.to.as_str(), w.lookback, w.span), ("startPdDate", "endPdDate", 7 * 86_400, None));
        let w = WindowSpec::parse(&json!({"from": "startPdDate", "to": "endPdDate", "start": "2024-01-01 00:00:00", "max_span": "30d"}), stocktake()).unwrap();
        assert_eq!(w.span, Some(30 * 86_400));
        let cases = [
            (json!({"from": "startDate"}), "source.window.from", "silently ignore"),
            (json!({"from": "startPdDate", "to": "endDate"}), "source.window.to", "pair"),
            (json!({"lookbak": "7d"}), "source.window.lookbak", "unknown key"),
            (json!({"start": "yesterday"}), "source.window.start", "Beijing time"),
            (json!({"lookback": "a week"}), "source.window.lookback", "7d"),
            (json!("7d"), "source.window", "mapping"),
        ];
        for (v, path, text) in cases {
            let e = WindowSpec::parse(&v, stocktake()).unwrap_err();
            assert!(e.message.starts_with(path) && e.message.contains(text), "{v}: {}", e.message);
        }
        let orders = spec("wms.order.query-info.page").unwrap();
        let e = WindowSpec::parse(&json!({"max_span": "2d"}), orders).unwrap_err();
        assert!(e.message.contains("at most 1d"), "{}", e.message);
        assert_eq!(WindowSpec::parse(&json!({}), orders).unwrap().span, Some(86_400));
        let e = WindowSpec::parse(&json!({}), spec("erp.warehouse.get").unwrap()).unwrap_err();
        assert!(e.message.contains("takes no time window"));
    }

    #[test]
    fn ninety_five_days_in_thirty_day_slices_is_four_slices() {
        let start = parse_beijing("2024-01-01 00:00:00").unwrap();
        let end = start + 95 * 86_400;
        let mut s = Slicer::new(start, end, Some(30 * 86_400));
        let mut slices = vec![s.current().unwrap()];
        while s.advance() {
            slices.push(s.current().unwrap());
        }
        assert_eq!(slices.len(), 4);
        assert_eq!(slices[0].bounds(), ("2024-01-01 00:00:00".into(), "2024-01-30 23:59:59".into()));
        assert_eq!(slices[1].start, slices[0].end);
        assert_eq!(slices[3].end, end);
        assert_eq!(slices[3].bounds().1, "2024-04-04 23:59:59");
        assert!(Slicer::new(end, end, None).current().is_none());
    }

    #[test]
    fn run_windows_follow_lookback_lag_and_start() {
        let w = WindowSpec::parse(&json!({"start": "2024-01-01", "lookback": "7d", "lag": "5m"}), stocktake()).unwrap();
        let now = parse_beijing("2024-03-01 12:00:00").unwrap();
        assert_eq!(format_beijing(w.end_at(now)), "2024-03-01 11:55:00");
        assert_eq!(format_beijing(w.first_start(w.end_at(now))), "2024-01-01 00:00:00");
        assert_eq!(format_beijing(w.next_start(now)), "2024-02-23 12:00:00");
        // Never before the configured start.
        assert_eq!(format_beijing(w.next_start(parse_beijing("2024-01-03").unwrap())), "2024-01-01 00:00:00");
        let no_start = WindowSpec::parse(&json!({"lookback": "7d"}), stocktake()).unwrap();
        assert_eq!(no_start.first_start(now), now - 7 * 86_400);
    }
}
