//! wms.order.query-info.page (shipments): a bare array in `result.data` plus `result.pageInfo`.
//!
//! One of the create / finish / modify windows (both bounds) is required, and each given window
//! may span at most 24 hours (`0050030002`, reference §4.2).

use serde_json::{Value, json};

use super::list::{ListApi, Window, read_window, select, served, zero_based};
use super::{Ctx, Served};
use crate::civil::DAY;
use crate::envelope::Failure;
use crate::params::Biz;

const WINDOWS: &[(Window, &str)] = &[
    (
        Window {
            start: "startGmtCreate",
            end: "endGmtCreate",
            field: "gmtCreate",
        },
        "创建",
    ),
    (
        Window {
            start: "startFinishTime",
            end: "endFinishTime",
            field: "finishTime",
        },
        "完成",
    ),
    (
        Window {
            start: "startModifyTime",
            end: "endModifyTime",
            field: "gmtModified",
        },
        "修改",
    ),
];

const API: ListApi = ListApi {
    collection: |d| &d.shipments,
    windows: &[
        Window {
            start: "startGmtCreate",
            end: "endGmtCreate",
            field: "gmtCreate",
        },
        Window {
            start: "startFinishTime",
            end: "endFinishTime",
            field: "finishTime",
        },
        Window {
            start: "startModifyTime",
            end: "endModifyTime",
            field: "gmtModified",
        },
    ],
    filters: &[
        ("outTypeList", "outType"),
        ("warehouseCode", "warehouseCode"),
        ("orderNo", "orderNo"),
        ("erporderNo", "erporderNo"),
    ],
    cursor: None,
    cols: None,
    node: None,
    key: "orderNo",
    extra: None,
};

/// Serves wms.order.query-info.page.
pub(crate) fn serve(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    let mut any = false;
    for (w, label) in WINDOWS {
        if let (Some(s), Some(e)) = read_window(biz, w)? {
            any = true;
            if e - s > DAY {
                return Err(Failure::param(format!(
                    "{label}时间起止时间差不能超过24小时"
                )));
            }
        }
    }
    if !any {
        return Err(Failure::param("创建/完成/修改时间必传其一"));
    }
    let page = zero_based(ctx).read(biz)?;
    let rows = select(ctx, &API, biz)?;
    let total = if ctx.config.unreliable_total {
        0
    } else {
        rows.len()
    };
    let out: Vec<Value> = page.slice(&rows).iter().map(|r| (*r).clone()).collect();
    let mut s = served(out, None, API.key, &page);
    s.result_extra.insert(
        "pageInfo".into(),
        json!({"pageIndex": page.index, "pageSize": page.size, "total": total}),
    );
    Ok(s)
}
