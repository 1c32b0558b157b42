//! oms.trade.fullinfoget (sales orders): `result.data.trades`.
//!
//! Requires `fields` (the fields to return; `goodsDetail.goodsNo`-style entries pick fields of
//! the detail lines) and one of `tradeNo`, `onlineTradeNo` or a time window (both bounds), each
//! window at most 7 days. Paging: with a `scrollId` key present (send `""` first) the call pages
//! by cursor and `pageIndex` is ignored; `result.data.scrollId` carries the next cursor and is
//! `""` after the last page. Without `scrollId`, 0-based `pageIndex` paging.

use serde_json::{Map, Value};

use super::list::{Window, in_window, matches_any, read_window, served, zero_based};
use super::{Ctx, Served};
use crate::civil::DAY;
use crate::envelope::Failure;
use crate::paging::Page;
use crate::params::Biz;
use crate::prng::mix;

const WINDOWS: &[Window] = &[
    Window {
        start: "startModified",
        end: "endModified",
        field: "gmtModified",
    },
    Window {
        start: "startCreated",
        end: "endCreated",
        field: "gmtCreate",
    },
    Window {
        start: "startAuditTime",
        end: "endAuditTime",
        field: "auditTime",
    },
    Window {
        start: "startConsignTime",
        end: "endConsignTime",
        field: "consignTime",
    },
    Window {
        start: "startTradeTime",
        end: "endTradeTime",
        field: "tradeTime",
    },
    Window {
        start: "startCompleteTime",
        end: "endCompleteTime",
        field: "completeTime",
    },
];

const FILTERS: &[(&str, &str)] = &[
    ("tradeNo", "tradeNo"),
    ("onlineTradeNo", "onlineTradeNo"),
    ("shopName", "shopName"),
    ("warehouseCode", "warehouseCode"),
    ("tradeStatus", "tradeStatus"),
];

const SCROLL_SALT: u64 = 0x5343_524f_4c4c; // "SCROLL"

/// An opaque scroll id for the row offset `offset`.
fn scroll_id(offset: usize) -> String {
    format!("{:016x}{offset:x}", mix(offset as u64 ^ SCROLL_SALT))
}

/// The offset of a scroll id made by [`scroll_id`].
fn scroll_offset(id: &str) -> Option<usize> {
    if id.len() <= 16 || !id.is_ascii() {
        return None;
    }
    let offset = usize::from_str_radix(&id[16..], 16).ok()?;
    (scroll_id(offset) == id).then_some(offset)
}

/// Keeps the requested fields of a trade; `a.b` keeps field `b` of each element of array `a`.
fn project_trade(trade: &Value, fields: &[String]) -> Value {
    let Value::Object(m) = trade else {
        return trade.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        if fields.iter().any(|f| f == k) {
            out.insert(k.clone(), v.clone());
            continue;
        }
        let sub: Vec<&str> = fields
            .iter()
            .filter_map(|f| f.strip_prefix(k.as_str())?.strip_prefix('.'))
            .collect();
        if sub.is_empty() {
            continue;
        }
        let pick = |e: &Value| match e {
            Value::Object(em) => Value::Object(
                em.iter()
                    .filter(|(ek, _)| sub.contains(&ek.as_str()))
                    .map(|(ek, ev)| (ek.clone(), ev.clone()))
                    .collect(),
            ),
            other => other.clone(),
        };
        let projected = match v {
            Value::Array(a) => Value::Array(a.iter().map(pick).collect()),
            other => pick(other),
        };
        out.insert(k.clone(), projected);
    }
    Value::Object(out)
}

/// Serves oms.trade.fullinfoget.
pub(crate) fn serve(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    let fields = biz.list("fields");
    if fields.is_empty() {
        return Err(Failure::param("fields不能为空"));
    }
    let mut windows = Vec::new();
    for w in WINDOWS {
        let b = read_window(biz, w)?;
        if let (Some(s), Some(e)) = b {
            if e - s > 7 * DAY {
                return Err(Failure::param("查询时间跨度不能超过7天"));
            }
            windows.push((w.field, b));
        } else if b != (None, None) {
            windows.push((w.field, b));
        }
    }
    let keyed = biz.text("tradeNo").is_some() || biz.text("onlineTradeNo").is_some();
    let complete_window = windows.iter().any(|(_, b)| b.0.is_some() && b.1.is_some());
    if !keyed && !complete_window {
        return Err(Failure::param("订单号、网店订单号或时间条件必传其一"));
    }
    let filters: Vec<(&str, Vec<String>)> =
        FILTERS.iter().map(|(p, f)| (*f, biz.list(p))).collect();
    let rows: Vec<&Value> = ctx
        .data
        .trades
        .iter()
        .filter(|t| windows.iter().all(|(f, b)| in_window(t, f, *b)))
        .filter(|t| filters.iter().all(|(f, w)| matches_any(t, f, w)))
        .collect();

    let scroll = biz
        .get("scrollId")
        .map(|v| v.as_str().unwrap_or_default().trim().to_string());
    let mut page = zero_based(ctx).read(biz)?;
    if let Some(id) = &scroll {
        let offset = if id.is_empty() {
            0
        } else {
            scroll_offset(id).ok_or_else(|| Failure::param("scrollId无效或已过期"))?
        };
        page = Page {
            offset: Some(offset),
            index_ignored: false,
            ..page
        };
    }
    let slice = page.slice(&rows);
    let out: Vec<Value> = slice.iter().map(|t| project_trade(t, &fields)).collect();
    let mut s = served(out, Some("trades"), "tradeNo", &page);
    if scroll.is_some() {
        let next = page.offset.unwrap_or(0) + slice.len();
        let next_id = if slice.is_empty() || next >= rows.len() {
            String::new()
        } else {
            scroll_id(next)
        };
        if let Value::Object(m) = &mut s.data {
            m.insert("scrollId".into(), Value::from(next_id));
        }
        s.page_index = None;
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scroll_ids_round_trip_and_reject_forgeries() {
        for o in [1, 50, 12345] {
            assert_eq!(scroll_offset(&scroll_id(o)), Some(o));
        }
        assert_eq!(scroll_offset("0000000000000000ff"), None);
        assert_eq!(scroll_offset("abc"), None);
    }

    #[test]
    fn projection_keeps_top_level_and_dotted_fields() {
        let t = serde_json::json!({"tradeNo":"T","shopName":"S","goodsDetail":[{"goodsNo":"A","sellCount":1}]});
        let p = project_trade(&t, &["tradeNo".into(), "goodsDetail.goodsNo".into()]);
        assert_eq!(
            p,
            serde_json::json!({"tradeNo":"T","goodsDetail":[{"goodsNo":"A"}]})
        );
    }
}
