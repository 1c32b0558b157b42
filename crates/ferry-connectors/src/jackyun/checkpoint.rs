//! The checkpoint a Jackyun source hands the engine with every page: where the *next* request of
//! the run would be. Times are Beijing `yyyy-MM-dd HH:mm:ss`.
//!
//! ```json
//! {"window_start":"2024-01-01 00:00:00","window_end":"2024-04-05 12:00:00",
//!  "slice_start":"2024-03-01 00:00:00","slice_end":"2024-03-31 00:00:00",
//!  "page":3,"page_base":0,"done":false}
//! ```
//! - `done: false` (an interrupted run): the next run reads the slice `[slice_start, slice_end)`
//!   from `page` (or from `cursor`, for id-cursor APIs), then the rest of the window up to its
//!   own start time.
//! - `done: true` (the run finished): the next run's window starts at `window_end` minus the
//!   look-back.
//!
//! Sources without a window keep only `page`/`cursor`/`page_base`/`done`; a finished one starts
//! over (the ledger skips what did not change).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// See the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice_start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice_end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_base: Option<u64>,
    #[serde(default)]
    pub done: bool,
}

impl Checkpoint {
    /// Reads a stored checkpoint; `None` when it is not one of ours.
    pub fn read(v: &Value) -> Option<Checkpoint> {
        serde_json::from_value(v.clone()).ok()
    }

    /// The JSON the engine stores.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether it carries a window.
    pub fn has_window(&self) -> bool {
        self.window_end.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_tolerates_foreign_shapes() {
        let c = Checkpoint {
            window_start: Some("2024-01-01 00:00:00".into()),
            window_end: Some("2024-02-01 00:00:00".into()),
            slice_start: Some("2024-01-01 00:00:00".into()),
            slice_end: Some("2024-01-31 00:00:00".into()),
            page: Some(2),
            page_base: Some(0),
            ..Default::default()
        };
        assert_eq!(Checkpoint::read(&c.to_value()), Some(c.clone()));
        assert!(c.has_window());
        assert_eq!(Checkpoint::read(&json!({"line": 3, "done": true})).map(|c| c.done), Some(true));
        assert_eq!(Checkpoint::read(&json!("nope")), None);
        assert_eq!(Checkpoint::read(&json!({"page": "x"})), None);
    }
}
