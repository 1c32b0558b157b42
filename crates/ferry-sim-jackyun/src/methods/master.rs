//! Master-data APIs: erp.storage.goodslist, erp.warehouse.get, erp.stockquantity.get, erp.vend.get.

use serde_json::Value;

use super::list::{ListApi, Window, serve_list};
use super::{Ctx, Served};
use crate::envelope::Failure;
use crate::params::Biz;

/// erp.storage.goodslist: `result.data.goods`, cursor `maxSkuId` (skuId greater than it) plus
/// 0-based `pageIndex`; windows on SKU modified, goods modified and created (ms-epoch fields).
pub(crate) fn goods_list(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection: |d| &d.goods,
            windows: &[
                Window {
                    start: "startDateModifiedSku",
                    end: "endDateModifiedSku",
                    field: "skuGmtModified",
                },
                Window {
                    start: "startDateModifiedGoods",
                    end: "endDateModifiedGoods",
                    field: "goodsGmtModified",
                },
                Window {
                    start: "startDate",
                    end: "endDate",
                    field: "gmtCreate",
                },
            ],
            filters: &[("goodsNo", "goodsNo"), ("skuBarcode", "skuBarcode")],
            cursor: Some(("maxSkuId", "skuId")),
            cols: None,
            node: Some("goods"),
            key: "goodsNo",
            extra: None,
        },
    )
}

fn active_unless_asked(biz: &Biz, r: &Value) -> bool {
    biz.int("includeDeleteAndBlockup") == Some(1) || (r["isBlockup"] == 0 && r["isDelete"] == 0)
}

/// erp.warehouse.get: `result.data.warehouseInfo`; blocked/deleted warehouses only with
/// `includeDeleteAndBlockup=1`.
pub(crate) fn warehouses(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection: |d| &d.warehouses,
            windows: &[],
            filters: &[("warehouseCode", "warehouseCode")],
            cursor: None,
            cols: None,
            node: Some("warehouseInfo"),
            key: "warehouseCode",
            extra: Some(active_unless_asked),
        },
    )
}

/// erp.stockquantity.get: `result.data.goodsStockQuantity`, cursor `maxQuantityId`, window
/// `gmtModifiedStart`/`gmtModifiedEnd`.
pub(crate) fn stock_quantities(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection: |d| &d.stock_quantities,
            windows: &[Window {
                start: "gmtModifiedStart",
                end: "gmtModifiedEnd",
                field: "gmtModified",
            }],
            filters: &[
                ("warehouseCode", "warehouseCode"),
                ("goodsNo", "goodsNo"),
                ("skuBarcode", "skuBarcode"),
            ],
            cursor: Some(("maxQuantityId", "quantityId")),
            cols: None,
            node: Some("goodsStockQuantity"),
            key: "quantityId",
            extra: None,
        },
    )
}

/// erp.vend.get: `result.data.vendInfo`, window `gmtModifiedStart`/`gmtModifiedEnd`.
pub(crate) fn vendors(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    serve_list(
        ctx,
        biz,
        &ListApi {
            collection: |d| &d.vendors,
            windows: &[Window {
                start: "gmtModifiedStart",
                end: "gmtModifiedEnd",
                field: "gmtModified",
            }],
            filters: &[("vendCode", "vendCode")],
            cursor: None,
            cols: None,
            node: Some("vendInfo"),
            key: "vendCode",
            extra: None,
        },
    )
}
