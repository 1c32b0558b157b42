//! The shared machinery of list APIs: window and equality filters, numeric cursors, flat
//! 0-based paging, column projection and the data node.

use serde_json::{Map, Value};

use super::{Ctx, Served};
use crate::civil::value_civil_secs;
use crate::data::DataSet;
use crate::envelope::Failure;
use crate::paging::{Page, Paging};
use crate::params::Biz;

/// A `start`/`end` window on a record field, inclusive at both ends (Beijing time).
pub(crate) struct Window {
    pub start: &'static str,
    pub end: &'static str,
    pub field: &'static str,
}

/// Describes one list API.
pub(crate) struct ListApi {
    /// The records.
    pub collection: fn(&DataSet) -> &[Value],
    /// Window filters.
    pub windows: &'static [Window],
    /// Equality filters `(param, field)`: the param is a comma list, compared ASCII
    /// case-insensitively with the field's text.
    pub filters: &'static [(&'static str, &'static str)],
    /// A cursor `(param, field)`: only records whose numeric `field` is above the param.
    pub cursor: Option<(&'static str, &'static str)>,
    /// A column-projection param (`cols`): only these fields are served.
    pub cols: Option<&'static str>,
    /// Data node under `result.data`; `None` = a bare array.
    pub node: Option<&'static str>,
    /// The record's business key (for the stats).
    pub key: &'static str,
    /// Any other filter.
    pub extra: Option<fn(&Biz, &Value) -> bool>,
}

/// The text of a field (strings as-is, numbers stringified).
pub(crate) fn field_text(v: &Value, field: &str) -> Option<String> {
    match v.get(field)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Reads a window; errors on a malformed bound.
pub(crate) fn read_window(biz: &Biz, w: &Window) -> Result<(Option<i64>, Option<i64>), Failure> {
    Ok((biz.datetime(w.start)?, biz.datetime(w.end)?))
}

/// Whether `record.field` is within `[start, end]` (a record without the field fails any bound).
pub(crate) fn in_window(record: &Value, field: &str, bounds: (Option<i64>, Option<i64>)) -> bool {
    if bounds == (None, None) {
        return true;
    }
    let Some(t) = record.get(field).and_then(value_civil_secs) else {
        return false;
    };
    bounds.0.is_none_or(|s| t >= s) && bounds.1.is_none_or(|e| t <= e)
}

/// Whether the field's text equals one of `wanted` (ASCII case-insensitive); true when empty.
pub(crate) fn matches_any(record: &Value, field: &str, wanted: &[String]) -> bool {
    wanted.is_empty()
        || field_text(record, field)
            .is_some_and(|t| wanted.iter().any(|w| w.eq_ignore_ascii_case(&t)))
}

/// Keeps only `cols` of a record (all when `cols` is empty).
pub(crate) fn project(record: &Value, cols: &[String]) -> Value {
    if cols.is_empty() {
        return record.clone();
    }
    match record {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| cols.iter().any(|c| c == *k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The 0-based paging of a method (every flat-paged API except wms.stocktake.get).
pub(crate) fn zero_based(ctx: &Ctx) -> Paging {
    Paging {
        base: 0,
        default_size: ctx.spec.default_page_size,
        max_size: ctx.config.max_page_size_of(ctx.spec.name),
        overflow: ctx.config.page_size_overflow,
        below_base: crate::config::BelowBasePage::Empty,
        ignore_page_index: ctx.ignore_page_index,
    }
}

/// The records of `api` that pass every filter of `biz`, in collection order.
pub(crate) fn select<'d>(
    ctx: &Ctx<'d>,
    api: &ListApi,
    biz: &Biz,
) -> Result<Vec<&'d Value>, Failure> {
    let windows = api
        .windows
        .iter()
        .map(|w| read_window(biz, w).map(|b| (w.field, b)))
        .collect::<Result<Vec<_>, _>>()?;
    let filters: Vec<(&str, Vec<String>)> =
        api.filters.iter().map(|(p, f)| (*f, biz.list(p))).collect();
    let cursor = api
        .cursor
        .and_then(|(p, f)| biz.text(p).map(|v| (f, v.parse::<u128>().unwrap_or(0))));
    Ok((api.collection)(ctx.data)
        .iter()
        .filter(|r| windows.iter().all(|(f, b)| in_window(r, f, *b)))
        .filter(|r| filters.iter().all(|(f, w)| matches_any(r, f, w)))
        .filter(|r| {
            cursor.is_none_or(|(f, min)| {
                field_text(r, f)
                    .and_then(|t| t.parse::<u128>().ok())
                    .is_some_and(|id| id > min)
            })
        })
        .filter(|r| api.extra.is_none_or(|f| f(biz, r)))
        .collect())
}

/// Builds what was served from the page rows.
pub(crate) fn served(rows: Vec<Value>, node: Option<&str>, key: &str, page: &Page) -> Served {
    let keys = rows.iter().filter_map(|r| field_text(r, key)).collect();
    let records = rows.len() as u64;
    let data = match node {
        Some(n) => {
            let mut m = Map::new();
            m.insert(n.to_string(), Value::Array(rows));
            Value::Object(m)
        }
        None => Value::Array(rows),
    };
    Served {
        data,
        result_extra: Map::new(),
        records,
        keys,
        page_index: Some(page.index),
        page_index_ignored: page.index_ignored,
    }
}

/// Serves a list API with 0-based flat paging.
pub(crate) fn serve_list(ctx: &Ctx, biz: &Biz, api: &ListApi) -> Result<Served, Failure> {
    let page = zero_based(ctx).read(biz)?;
    let rows = select(ctx, api, biz)?;
    let cols = api.cols.map(|c| biz.list(c)).unwrap_or_default();
    let out: Vec<Value> = page
        .slice(&rows)
        .iter()
        .map(|r| project(r, &cols))
        .collect();
    Ok(served(out, api.node, api.key, &page))
}
