//! The Jackyun read APIs Ferry knows: their request parameters and record fields (中文 labels,
//! types, presets) as [`ApiMeta`], and how each one pages, where its records are, which time
//! window it takes and how wide a window may be ([`ApiSpec`], reference §5, §6.3, §8, §10).
//!
//! `wms.stocktake.get` lists every field of the spec's request and response tables plus the
//! fields the reference adds (§8.2). The other APIs list their parameters; their record fields
//! are not listed (the public sources do not give them completely), so mappings on them are not
//! checked field by field.

use std::sync::OnceLock;

use ferry_core::metadata::{ApiKind, ApiMeta, FieldMeta, FieldType};
use serde_json::json;

use super::normalize::FieldTypes;

/// How an API pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paging {
    /// Flat `pageIndex`/`pageSize`, 0-based (confirmed for ERP/WMS APIs).
    Flat,
    /// Flat, but the base is uncertain (`wms.stocktake.get`, reference §8.3): the connection's
    /// `page_base` applies, records are deduplicated by key, and one repeated page at the 0→1
    /// transition is tolerated.
    FlatUncertainBase,
    /// An id cursor: `param` carries the largest `field` of the previous page (`"0"` first);
    /// `pageIndex` stays at 0 ("不用翻页").
    MaxId { param: &'static str, field: &'static str },
    /// A scroll cursor: `param` is sent (`""` first) and `result.data.<param>` is the next one;
    /// `pageIndex` is ignored by the gateway.
    Scroll { param: &'static str },
}

/// A pair of window parameters (start, end) of an API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowParams {
    pub from: &'static str,
    pub to: &'static str,
    /// 中文 name of the time the pair filters on.
    pub label: &'static str,
}

const DAY: i64 = 86_400;

/// How one read API is called and paged.
#[derive(Debug)]
pub struct ApiSpec {
    /// The method name.
    pub method: &'static str,
    /// 中文 name.
    pub label: &'static str,
    pub paging: Paging,
    /// `pageSize` when the scheme does not give one.
    pub default_page_size: u32,
    /// Largest `pageSize` known to be accepted (a silently clamped size would end paging early).
    pub max_page_size: u32,
    /// Where the records are under `result.data` (`None`: `result.data` is the array).
    pub data_node: Option<&'static str>,
    /// Window parameter pairs; the first is the default for incremental windows.
    pub windows: &'static [WindowParams],
    /// Widest window the gateway accepts, in seconds (longer windows are sliced).
    pub max_span_secs: Option<i64>,
    /// Slice width used when the scheme gives no `max_span` (the reference's recommendation).
    pub default_span_secs: Option<i64>,
    /// A window is mandatory unless one of these params is given.
    pub window_required_unless: Option<&'static [&'static str]>,
    /// The record's business key (documents, not lines).
    pub key: Option<&'static str>,
    /// Deduplicate records by `key` within a window slice (reference §8.3).
    pub dedupe: bool,
    /// Params the scheme must give.
    pub required_params: &'static [&'static str],
    /// Type hints for records of APIs without listed fields (ids as strings, quantities as numbers).
    pub hints: &'static [(&'static str, FieldType)],
    params: fn() -> Vec<FieldMeta>,
    fields: fn() -> Vec<FieldMeta>,
}

impl ApiSpec {
    /// The metadata the scheme validator, the UI and the docs use.
    pub fn meta(&self) -> ApiMeta {
        ApiMeta {
            system: "jackyun".into(),
            api: self.method.into(),
            form: None,
            label: self.label.into(),
            kind: ApiKind::Read,
            case_insensitive: false,
            params: (self.params)(),
            fields: (self.fields)(),
        }
    }

    /// The declared type of every record field (listed fields, then hints).
    pub fn field_types(&self) -> FieldTypes {
        let mut t: FieldTypes = (self.fields)().into_iter().map(|f| (f.path, f.ty)).collect();
        for (p, ty) in self.hints {
            t.entry((*p).to_owned()).or_insert(*ty);
        }
        t
    }

    /// The window pair whose start parameter is `from`.
    pub fn window(&self, from: &str) -> Option<&WindowParams> {
        self.windows.iter().find(|w| w.from == from)
    }

    /// The params the connector manages itself (the scheme may not set them).
    pub fn managed_params(&self) -> Vec<&'static str> {
        let mut v = vec!["pageIndex"];
        match self.paging {
            Paging::MaxId { param, .. } | Paging::Scroll { param } => v.push(param),
            Paging::Flat | Paging::FlatUncertainBase => {}
        }
        v
    }
}

fn f(path: &str, label: &str, ty: FieldType) -> FieldMeta {
    FieldMeta::new(path, label, ty)
}

fn page_params(default_size: u32, max: u32) -> [FieldMeta; 2] {
    [
        f("pageIndex", "页码", FieldType::Integer).preset(json!(0)).note("0 为第 1 页; managed by the connector"),
        f("pageSize", "每页条数", FieldType::Integer).preset(json!(default_size)).note(&format!("at most {max}")),
    ]
}

fn window_params(ws: &[WindowParams]) -> Vec<FieldMeta> {
    ws.iter()
        .flat_map(|w| {
            [
                f(w.from, &format!("{}-开始", w.label), FieldType::Datetime).note("yyyy-MM-dd HH:mm:ss, Beijing time"),
                f(w.to, &format!("{}-结束", w.label), FieldType::Datetime).note("yyyy-MM-dd HH:mm:ss, Beijing time"),
            ]
        })
        .collect()
}

// ---- wms.stocktake.get -------------------------------------------------------------------------

const STOCKTAKE_WINDOWS: &[WindowParams] = &[WindowParams { from: "startPdDate", to: "endPdDate", label: "盘点时间" }];

fn stocktake_params() -> Vec<FieldMeta> {
    vec![
        f("warehouseCode", "仓库编号", FieldType::String),
        f("skuBarcode", "条码 支持批量查询", FieldType::String).note("several barcodes separated by commas"),
        f("pageSize", "条目", FieldType::Integer).preset(json!(50)).note("at most 100 (the largest size known to work)"),
        f("pageIndex", "页码", FieldType::Integer)
            .preset(json!(1))
            .note("managed by the connector: the first page is the connection's page_base (0 by default)"),
        f("startPdDate", "盘点时间-开始", FieldType::Datetime).note("yyyy-MM-dd HH:mm:ss, Beijing time"),
        f("endPdDate", "盘点时间-结束", FieldType::Datetime).note("yyyy-MM-dd HH:mm:ss, Beijing time"),
    ]
}

fn stocktake_fields() -> Vec<FieldMeta> {
    use FieldType::*;
    let d = |p: &str| format!("stockTakeDetailViews.{p}");
    vec![
        f("id", "盘点id", String),
        f("stocktakeId", "盘点单编号", String).note("the document number (PD…) and business key"),
        f("companyId", "公司id", String),
        f("warehouseId", "仓库", String),
        f("text", "摘要", String),
        f("deptId", "发起部门", String),
        f("stocktakeDate", "盘点日期", Datetime).note("a yyyy-MM-dd HH:mm:ss string or ms-epoch"),
        f("createId", "创建人", String),
        f("status", "盘点单状态1=初始2=待盘点3=盘点中4=已盘点5=已审核6=已关闭", Integer),
        f("companyName", "公司名称", String),
        f("warehouseName", "仓库名称", String),
        f("deptName", "部门名称", String),
        f("createName", "创建人名称", String),
        f("flagData", "标记Id集合", Any).note("a comma string, or an array"),
        f("warehouseCode", "仓库编号", String).note("read from the header by production integrations (reference §8.2)"),
        f("stockTakeDetailViews", "盘点单明细", Array),
        f(&d("id"), "盘点明细id", String),
        f(&d("headId"), "盘点主表id", String),
        f(&d("wareaId"), "库区", String),
        f(&d("positionId"), "货位", String),
        f(&d("goodsId"), "货品id", String),
        f(&d("skuId"), "规格id", String),
        f(&d("batchId"), "批次", String),
        f(&d("snNo"), "序列号", String),
        f(&d("stockQuan"), "库存量", Number).note("账面数量 (book quantity)"),
        f(&d("takeQuan"), "盘点量", Number).note("盘点数量 (counted quantity)"),
        f(&d("variQuan"), "盘点-库存", Number).note("> 0 盘盈 (gain), < 0 盘亏 (loss)"),
        f(&d("price"), "单价", Number),
        f(&d("value"), "金额", Number),
        f(&d("inputId"), "录入人", String),
        f(&d("isSerial"), "是否序列号货品 1为是", Integer),
        f(&d("isBatch"), "是否批次管理1为是", Integer),
        f(&d("unitId"), "计量单位Id", String),
        f(&d("unitName"), "单位名称", String),
        f(&d("rowRemark"), "备注", String),
        f(&d("goodsNo"), "货品编号", String),
        f(&d("goodsName"), "货品名称", String),
        f(&d("skuBarcode"), "条形码", String),
        f(&d("isPackageInfo"), "是否为组合装 1为是", Integer),
        f(&d("isSplitAssembly"), "是否拆分", Integer),
        f(&d("batchNo"), "批次号", String).note("reference §8.2"),
        f(&d("positionName"), "货位名称", String).note("reference §8.2"),
        f(&d("skuName"), "规格名称", String).note("probably present, as in sibling APIs (reference §8.2)"),
    ]
}

// ---- the other read APIs -----------------------------------------------------------------------

const GOODSLIST_WINDOWS: &[WindowParams] = &[
    WindowParams { from: "startDateModifiedSku", to: "endDateModifiedSku", label: "规格修改时间" },
    WindowParams { from: "startDateModifiedGoods", to: "endDateModifiedGoods", label: "货品修改时间" },
    WindowParams { from: "startDate", to: "endDate", label: "创建时间" },
];

fn goodslist_params() -> Vec<FieldMeta> {
    let mut v = page_params(200, 200).to_vec();
    v.push(f("maxSkuId", "最大规格id (游标)", FieldType::String).preset(json!("0")).note("managed by the connector"));
    v.push(f("goodsNo", "货品编号", FieldType::String));
    v.push(f("skuBarcode", "条码", FieldType::String));
    v.extend(window_params(GOODSLIST_WINDOWS));
    v
}

const NO_WINDOWS: &[WindowParams] = &[];

fn warehouse_params() -> Vec<FieldMeta> {
    let mut v = page_params(50, 200).to_vec();
    v.push(f("includeDeleteAndBlockup", "包含已删除和停用 (1=是)", FieldType::Integer));
    v
}

const STOCKQUANTITY_WINDOWS: &[WindowParams] = &[WindowParams { from: "gmtModifiedStart", to: "gmtModifiedEnd", label: "修改时间" }];

fn stockquantity_params() -> Vec<FieldMeta> {
    let mut v = page_params(50, 200).to_vec();
    v.push(f("maxQuantityId", "最大库存id (游标)", FieldType::String).preset(json!("0")).note("managed by the connector"));
    v.push(f("warehouseCode", "仓库编号", FieldType::String));
    v.push(f("goodsNo", "货品编号", FieldType::String));
    v.push(f("skuBarcode", "条码", FieldType::String));
    v.extend(window_params(STOCKQUANTITY_WINDOWS));
    v
}

const TRADE_WINDOWS: &[WindowParams] = &[
    WindowParams { from: "startModified", to: "endModified", label: "修改时间" },
    WindowParams { from: "startCreated", to: "endCreated", label: "创建时间" },
    WindowParams { from: "startAuditTime", to: "endAuditTime", label: "审核时间" },
    WindowParams { from: "startConsignTime", to: "endConsignTime", label: "发货时间" },
    WindowParams { from: "startTradeTime", to: "endTradeTime", label: "下单时间" },
    WindowParams { from: "startCompleteTime", to: "endCompleteTime", label: "完成时间" },
];

fn trade_params() -> Vec<FieldMeta> {
    let mut v = page_params(200, 200).to_vec();
    v.push(f("scrollId", "游标", FieldType::String).note("managed by the connector (\"\" first)"));
    v.push(f("fields", "返回字段 (逗号分隔)", FieldType::String).required().note("the connector adds scrollId"));
    v.push(f("tradeNo", "订单编号", FieldType::String));
    v.push(f("onlineTradeNo", "网店订单号", FieldType::String));
    v.push(f("hasTotal", "是否返回总数", FieldType::Integer));
    v.extend(window_params(TRADE_WINDOWS));
    v
}

const WMS_ORDER_WINDOWS: &[WindowParams] = &[
    WindowParams { from: "startModifyTime", to: "endModifyTime", label: "修改时间" },
    WindowParams { from: "startFinishTime", to: "endFinishTime", label: "完成时间" },
    WindowParams { from: "startGmtCreate", to: "endGmtCreate", label: "创建时间" },
];

fn wms_order_params() -> Vec<FieldMeta> {
    let mut v = page_params(200, 200).to_vec();
    v.push(f("outTypeList", "出库类型 (201 销售出库 … 203 盘亏出库 …)", FieldType::Any));
    v.push(f("warehouseCode", "仓库编号", FieldType::String));
    v.extend(window_params(WMS_ORDER_WINDOWS));
    v
}

const GOODSDOC_WINDOWS: &[WindowParams] = &[
    WindowParams { from: "gmtModifiedDateStart", to: "gmtModifiedDateEnd", label: "修改时间(主表)" },
    WindowParams { from: "inOutDateStart", to: "inOutDateEnd", label: "出入库日期" },
    WindowParams { from: "gmtModifiedDetailDateStart", to: "gmtModifiedDetailDateEnd", label: "修改时间(明细)" },
];

fn goodsdoc_params() -> Vec<FieldMeta> {
    let mut v = page_params(50, 200).to_vec();
    v.push(f("inouttypes", "出入库类型 (逗号分隔)", FieldType::String).note("exclude 103 盘盈入库 / 203 盘亏出库 when stocktakes are synced too"));
    v.push(f("archived", "是否归档 (0=否)", FieldType::Integer).preset(json!(0)));
    v.push(f("cols", "返回字段 (逗号分隔)", FieldType::String));
    v.push(f("warehouseCode", "仓库编号", FieldType::String));
    v.push(f("goodsdocNo", "出入库单号", FieldType::String));
    v.extend(window_params(GOODSDOC_WINDOWS));
    v
}

const PURCH_WINDOWS: &[WindowParams] = &[
    WindowParams { from: "startModifyDate", to: "endModifyDate", label: "修改时间" },
    WindowParams { from: "startDate", to: "endDate", label: "创建时间" },
];

fn purch_params() -> Vec<FieldMeta> {
    let mut v = page_params(50, 200).to_vec();
    v.push(f("cols", "返回字段 (逗号分隔)", FieldType::String));
    v.push(f("orderNum", "采购单号", FieldType::String));
    v.extend(window_params(PURCH_WINDOWS));
    v
}

const ALLOCATE_WINDOWS: &[WindowParams] = &[WindowParams { from: "startCreateTime", to: "endCreateTime", label: "创建时间" }];

fn allocate_params() -> Vec<FieldMeta> {
    let mut v = page_params(50, 200).to_vec();
    v.push(f("cols", "返回字段 (逗号分隔)", FieldType::String));
    v.push(f("allocateNo", "调拨单号", FieldType::String));
    v.extend(window_params(ALLOCATE_WINDOWS));
    v
}

const VEND_WINDOWS: &[WindowParams] = &[WindowParams { from: "gmtModifiedStart", to: "gmtModifiedEnd", label: "修改时间" }];

fn vend_params() -> Vec<FieldMeta> {
    let mut v = page_params(50, 200).to_vec();
    v.push(f("vendCode", "供应商编号", FieldType::String));
    v.extend(window_params(VEND_WINDOWS));
    v
}

fn no_fields() -> Vec<FieldMeta> {
    Vec::new()
}

use FieldType::{Number as N, String as S};

const ID_HINTS: &[(&str, FieldType)] = &[("goodsId", S), ("skuId", S), ("warehouseId", S), ("companyId", S)];

/// Every read API the connector knows, in the order the docs list them.
pub fn specs() -> &'static [ApiSpec] {
    static SPECS: OnceLock<Vec<ApiSpec>> = OnceLock::new();
    SPECS.get_or_init(|| {
        vec![
            ApiSpec {
                method: "wms.stocktake.get",
                label: "盘点单查询",
                paging: Paging::FlatUncertainBase,
                default_page_size: 50,
                max_page_size: 100,
                data_node: Some("stockTake"),
                windows: STOCKTAKE_WINDOWS,
                max_span_secs: None,
                default_span_secs: None,
                window_required_unless: None,
                key: Some("stocktakeId"),
                dedupe: true,
                required_params: &[],
                hints: &[],
                params: stocktake_params,
                fields: stocktake_fields,
            },
            ApiSpec {
                method: "erp.storage.goodslist",
                label: "货品列表查询",
                paging: Paging::MaxId { param: "maxSkuId", field: "skuId" },
                default_page_size: 200,
                max_page_size: 200,
                data_node: Some("goods"),
                windows: GOODSLIST_WINDOWS,
                max_span_secs: None,
                default_span_secs: Some(30 * DAY),
                window_required_unless: None,
                key: Some("skuId"),
                dedupe: false,
                required_params: &[],
                hints: &[("goodsId", S), ("skuId", S), ("retailPrice", N), ("costPrice", N)],
                params: goodslist_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp.warehouse.get",
                label: "仓库查询",
                paging: Paging::Flat,
                default_page_size: 50,
                max_page_size: 200,
                data_node: Some("warehouseInfo"),
                windows: NO_WINDOWS,
                max_span_secs: None,
                default_span_secs: None,
                window_required_unless: None,
                key: Some("warehouseCode"),
                dedupe: false,
                required_params: &[],
                hints: &[("warehouseId", S), ("companyId", S)],
                params: warehouse_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp.stockquantity.get",
                label: "库存查询",
                paging: Paging::MaxId { param: "maxQuantityId", field: "quantityId" },
                default_page_size: 50,
                max_page_size: 200,
                data_node: Some("goodsStockQuantity"),
                windows: STOCKQUANTITY_WINDOWS,
                max_span_secs: None,
                default_span_secs: Some(DAY),
                window_required_unless: None,
                key: Some("quantityId"),
                dedupe: false,
                required_params: &[],
                hints: &[
                    ("quantityId", S),
                    ("goodsId", S),
                    ("skuId", S),
                    ("warehouseId", S),
                    ("currentQuantity", N),
                    ("useQuantity", N),
                    ("lockingQuantity", N),
                    ("defectiveQuanity", N),
                    ("stockOutuantity", N),
                ],
                params: stockquantity_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "oms.trade.fullinfoget",
                label: "销售单查询",
                paging: Paging::Scroll { param: "scrollId" },
                default_page_size: 200,
                max_page_size: 200,
                data_node: Some("trades"),
                windows: TRADE_WINDOWS,
                max_span_secs: Some(7 * DAY),
                default_span_secs: None,
                window_required_unless: Some(&["tradeNo", "onlineTradeNo"]),
                key: Some("tradeNo"),
                dedupe: false,
                required_params: &["fields"],
                hints: &[("tradeId", S), ("shopId", S)],
                params: trade_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "wms.order.query-info.page",
                label: "出库单分页查询",
                paging: Paging::Flat,
                default_page_size: 200,
                max_page_size: 200,
                data_node: None,
                windows: WMS_ORDER_WINDOWS,
                max_span_secs: Some(DAY),
                default_span_secs: None,
                window_required_unless: Some(&[]),
                key: Some("orderNo"),
                dedupe: false,
                required_params: &[],
                hints: ID_HINTS,
                params: wms_order_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp-busiorder.goodsdocin.search",
                label: "入库单查询 (明细行)",
                paging: Paging::Flat,
                default_page_size: 50,
                max_page_size: 200,
                data_node: None,
                windows: GOODSDOC_WINDOWS,
                max_span_secs: None,
                default_span_secs: Some(7 * DAY),
                window_required_unless: None,
                key: None,
                dedupe: false,
                required_params: &[],
                hints: &[("docId", S), ("goodsId", S), ("skuId", S), ("warehouseId", S), ("quantity", N), ("price", N), ("amount", N)],
                params: goodsdoc_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp-busiorder.goodsdocout.search",
                label: "出库单查询 (明细行)",
                paging: Paging::Flat,
                default_page_size: 50,
                max_page_size: 200,
                data_node: None,
                windows: GOODSDOC_WINDOWS,
                max_span_secs: None,
                default_span_secs: Some(DAY),
                window_required_unless: None,
                key: None,
                dedupe: false,
                required_params: &[],
                hints: &[("docId", S), ("goodsId", S), ("skuId", S), ("warehouseId", S), ("quantity", N), ("price", N), ("amount", N)],
                params: goodsdoc_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp.purch.search",
                label: "采购单查询 (明细行)",
                paging: Paging::Flat,
                default_page_size: 50,
                max_page_size: 200,
                data_node: None,
                windows: PURCH_WINDOWS,
                max_span_secs: None,
                default_span_secs: Some(7 * DAY),
                window_required_unless: None,
                key: None,
                dedupe: false,
                required_params: &[],
                hints: &[("headId", S), ("goodsId", S), ("skuId", S), ("quantity", N), ("price", N), ("amount", N)],
                params: purch_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp.allocate.search",
                label: "调拨单查询 (明细行)",
                paging: Paging::Flat,
                default_page_size: 50,
                max_page_size: 200,
                data_node: Some("stockAllocate"),
                windows: ALLOCATE_WINDOWS,
                max_span_secs: None,
                default_span_secs: None,
                window_required_unless: None,
                key: None,
                dedupe: false,
                required_params: &[],
                hints: &[("allocateId", S), ("goodsId", S), ("skuId", S), ("quantity", N)],
                params: allocate_params,
                fields: no_fields,
            },
            ApiSpec {
                method: "erp.vend.get",
                label: "供应商查询",
                paging: Paging::Flat,
                default_page_size: 50,
                max_page_size: 200,
                data_node: Some("vendInfo"),
                windows: VEND_WINDOWS,
                max_span_secs: None,
                default_span_secs: None,
                window_required_unless: None,
                key: Some("vendCode"),
                dedupe: false,
                required_params: &[],
                hints: &[("vendId", S), ("companyId", S)],
                params: vend_params,
                fields: no_fields,
            },
        ]
    })
}

/// The spec of `method`, if the connector knows it.
pub fn spec(method: &str) -> Option<&'static ApiSpec> {
    specs().iter().find(|s| s.method == method)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_is_a_read_with_consistent_paging_and_windows() {
        assert!(specs().len() >= 11);
        for s in specs() {
            let m = s.meta();
            assert_eq!(m.kind, ApiKind::Read, "{}", s.method);
            assert!(s.default_page_size <= s.max_page_size, "{}", s.method);
            for w in s.windows {
                assert!(m.param(w.from).is_some() && m.param(w.to).is_some(), "{}: {}", s.method, w.from);
            }
            assert!(m.param("pageSize").is_some(), "{}", s.method);
            for p in s.managed_params() {
                assert!(m.param(p).is_some(), "{}: {p}", s.method);
            }
            if s.dedupe {
                assert!(s.key.is_some());
            }
        }
    }

    #[test]
    fn stocktake_has_every_field_of_the_spec() {
        let m = spec("wms.stocktake.get").unwrap().meta();
        for p in ["warehouseCode", "skuBarcode", "pageSize", "pageIndex", "startPdDate", "endPdDate"] {
            assert!(m.param(p).is_some(), "{p}");
        }
        assert_eq!(m.param("pageSize").unwrap().preset, Some(json!(50)));
        let header = [
            "id", "stocktakeId", "companyId", "warehouseId", "text", "deptId", "stocktakeDate", "createId", "status",
            "companyName", "warehouseName", "deptName", "createName", "flagData", "stockTakeDetailViews", "warehouseCode",
        ];
        let lines = [
            "id", "headId", "wareaId", "positionId", "goodsId", "skuId", "batchId", "snNo", "stockQuan", "takeQuan",
            "variQuan", "price", "value", "inputId", "isSerial", "isBatch", "unitId", "unitName", "rowRemark", "goodsNo",
            "goodsName", "skuBarcode", "isPackageInfo", "isSplitAssembly", "batchNo", "positionName",
        ];
        for h in header {
            assert!(m.field(h).is_some(), "{h}");
        }
        for l in lines {
            assert!(m.field(&format!("stockTakeDetailViews.{l}")).is_some(), "{l}");
        }
        assert_eq!(m.field("stockTakeDetailViews.variQuan").unwrap().label, "盘点-库存");
        assert_eq!(m.field("stockTakeDetailViews.variQuan").unwrap().ty, FieldType::Number);
        assert_eq!(m.field("status").unwrap().ty, FieldType::Integer);
        assert_eq!(m.field("stocktakeId").unwrap().ty, FieldType::String);
    }
}
