//! Detail-row document APIs (one row per document line; rows of one document can span pages):
//! erp-busiorder.goodsdocin.search / goodsdocout.search, erp.purch.search, erp.allocate.search.

use serde_json::Value;

use super::list::{ListApi, Window, serve_list};
use super::{Ctx, Served};
use crate::envelope::Failure;
use crate::params::Biz;

const GOODS_DOC_WINDOWS: &[Window] = &[
    Window {
        start: "inOutDateStart",
        end: "inOutDateEnd",
        field: "inOutDate",
    },
    Window {
        start: "gmtModifiedDateStart",
        end: "gmtModifiedDateEnd",
        field: "gmtModified",
    },
    Window {
        start: "gmtModifiedDetailDateStart",
        end: "gmtModifiedDetailDateEnd",
        field: "gmtModified",
    },
];

const GOODS_DOC_FILTERS: &[(&str, &str)] = &[
    ("inouttypes", "inouttype"),
    ("warehouseCode", "warehouseCode"),
    ("goodsdocNo", "goodsdocNo"),
];

/// `archived` absent or 0 → current rows; 1 → archived rows (none are generated).
fn archive_filter(biz: &Biz, r: &Value) -> bool {
    let want = biz.int("archived").unwrap_or(0);
    r.get("archived").and_then(Value::as_i64).unwrap_or(0) == want
}

fn goods_docs(
    ctx: &Ctx,
    biz: &Biz,
    collection: fn(&crate::data::DataSet) -> &[Value],
) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection,
            windows: GOODS_DOC_WINDOWS,
            filters: GOODS_DOC_FILTERS,
            cursor: None,
            cols: Some("cols"),
            node: None,
            key: "goodsdocNo",
            extra: Some(archive_filter),
        },
    )
}

/// erp-busiorder.goodsdocin.search: bare array of detail rows; filters `inouttypes` (list),
/// `archived`; windows on in/out date and modified time (ms-epoch fields); `cols` projection.
pub(crate) fn goods_docs_in(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    goods_docs(ctx, biz, |d| &d.goods_docs_in)
}

/// erp-busiorder.goodsdocout.search: as goodsdocin.search, for outbound documents.
pub(crate) fn goods_docs_out(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    goods_docs(ctx, biz, |d| &d.goods_docs_out)
}

/// erp.purch.search: bare array of detail rows (group by `headId`/`orderNum`); windows
/// `startDate`/`endDate` (created) and `startModifyDate`/`endModifyDate`; `cols` projection.
pub(crate) fn purchases(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection: |d| &d.purchases,
            windows: &[
                Window {
                    start: "startDate",
                    end: "endDate",
                    field: "gmtCreate",
                },
                Window {
                    start: "startModifyDate",
                    end: "endModifyDate",
                    field: "gmtModified",
                },
            ],
            filters: &[
                ("orderNum", "orderNum"),
                ("vendCode", "vendCode"),
                ("warehouseCode", "warehouseCode"),
            ],
            cursor: None,
            cols: Some("cols"),
            node: None,
            key: "orderNum",
            extra: None,
        },
    )
}

/// erp.allocate.search: `result.data.stockAllocate` detail rows; window
/// `startCreateTime`/`endCreateTime`; `cols` projection.
pub(crate) fn allocations(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection: |d| &d.allocations,
            windows: &[Window {
                start: "startCreateTime",
                end: "endCreateTime",
                field: "gmtCreate",
            }],
            filters: &[
                ("allocateNo", "allocateNo"),
                ("outWarehouseCode", "outWarehouseCode"),
                ("inWarehouseCode", "inWarehouseCode"),
            ],
            cursor: None,
            cols: Some("cols"),
            node: Some("stockAllocate"),
            key: "allocateNo",
            extra: None,
        },
    )
}
