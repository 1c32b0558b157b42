//! Test fixtures: metadata shaped like the real APIs (the connectors own the real metadata).
#![allow(dead_code)]

use ferry_core::metadata::{ApiKind, ApiMeta, FieldMeta, FieldType as T};
use ferry_core::scheme::Catalog;

pub fn stocktake_meta() -> ApiMeta {
    let f = FieldMeta::new;
    ApiMeta {
        system: "jackyun".into(),
        api: "wms.stocktake.get".into(),
        form: None,
        label: "盘点单查询".into(),
        kind: ApiKind::Read,
        case_insensitive: false,
        params: vec![
            f("warehouseCode", "仓库编号", T::String),
            f("skuBarcode", "条码", T::String),
            f("pageSize", "条目", T::Integer).preset(50.into()),
            f("pageIndex", "页码", T::Integer),
        ],
        fields: vec![
            f("stocktakeId", "盘点单编号", T::String),
            f("warehouseCode", "仓库编号", T::String),
            f("stocktakeDate", "盘点日期", T::Datetime),
            f("status", "盘点单状态", T::Integer),
            f("text", "摘要", T::String),
            f("stockTakeDetailViews", "盘点单明细", T::Array),
            f("stockTakeDetailViews.goodsNo", "货品编号", T::String),
            f("stockTakeDetailViews.skuBarcode", "条形码", T::String),
            f("stockTakeDetailViews.variQuan", "盘点-库存", T::Number),
            f("stockTakeDetailViews.price", "单价", T::Number),
            f("stockTakeDetailViews.batchNo", "批次", T::String),
        ],
    }
}

pub fn other_inbound_meta() -> ApiMeta {
    let f = FieldMeta::new;
    ApiMeta {
        system: "kingdee".into(),
        api: "batchSave".into(),
        form: Some("STK_MISCELLANEOUS".into()),
        label: "其他入库新增".into(),
        kind: ApiKind::Write,
        case_insensitive: true,
        params: vec![
            f("IsAutoSubmitAndAudit", "提交并审核", T::Bool),
            f("IsVerifyBaseDataField", "验证基础资料", T::Bool),
        ],
        fields: vec![
            f("FBillNo", "单据编号", T::String),
            f("FBillTypeID", "单据类型", T::BaseRef),
            f("FStockOrgId", "库存组织", T::BaseRef).required(),
            f("FStockDirect", "库存方向", T::String),
            f("FDate", "日期", T::Datetime),
            f("FNOTE", "备注", T::String),
            f("FEntity", "明细信息", T::Array).required(),
            f("FEntity.FMATERIALID", "物料编码", T::BaseRef).required(),
            f("FEntity.FSTOCKID", "收货仓库", T::BaseRef),
            f("FEntity.FQty", "实收数量", T::Number).required(),
            f("FEntity.FPrice", "成本价", T::Number),
            f("FEntity.FSRCBILLNO", "源单编号", T::String),
        ],
    }
}

/// A catalog with a `file` connection (no metadata), `jackyun` and `kingdee` with the fixtures.
pub struct TestCatalog;

impl Catalog for TestCatalog {
    fn connection_system(&self, c: &str) -> Option<String> {
        ["file", "jackyun", "kingdee"].contains(&c).then(|| c.to_owned())
    }
    fn connection_names(&self) -> Vec<String> {
        vec!["file".into(), "jackyun".into(), "kingdee".into()]
    }
    fn apis(&self, system: &str) -> Vec<String> {
        match system {
            "jackyun" => vec!["wms.stocktake.get".into()],
            "kingdee" => vec!["batchSave".into()],
            _ => vec!["jsonl".into(), "csv".into()],
        }
    }
    fn api_meta(&self, system: &str, api: &str, _form: Option<&str>) -> Result<Option<ApiMeta>, String> {
        match (system, api) {
            ("jackyun", "wms.stocktake.get") => Ok(Some(stocktake_meta())),
            ("kingdee", "batchSave") => Ok(Some(other_inbound_meta())),
            ("file", "jsonl" | "csv") => Ok(None),
            _ => Err(format!("{system} has no API '{api}'")),
        }
    }
}
