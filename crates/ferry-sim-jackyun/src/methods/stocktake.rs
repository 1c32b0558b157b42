//! wms.stocktake.get (盘点单查询).
//!
//! Filters: `warehouseCode` (one code, ASCII case-insensitive, on the header), `skuBarcode`
//! (comma list; a document matches when any of its lines has one of the barcodes, and it is
//! then served **whole**, with all its lines), `startPdDate`/`endPdDate` (inclusive, Beijing
//! time, on `stocktakeDate`; no bound = no date filter). Pages over documents in the order
//! (`stocktakeDate`, `stocktakeId`), with the configured page base (0 by default).

use serde_json::Value;

use super::list::{field_text, in_window, served};
use super::{Ctx, Served};
use crate::civil::{civil_to_epoch_ms, format_datetime, value_civil_secs};
use crate::config::{DateFormat, StocktakeDataLocation};
use crate::envelope::Failure;
use crate::paging::Paging;
use crate::params::Biz;

fn has_barcode(doc: &Value, wanted: &[String]) -> bool {
    wanted.is_empty()
        || doc["stockTakeDetailViews"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| field_text(l, "skuBarcode").is_some_and(|b| wanted.contains(&b)))
}

/// The document as served: `stocktakeDate` in the configured format.
fn format_doc(doc: &Value, fmt: DateFormat) -> Value {
    let mut d = doc.clone();
    if let Some(secs) = value_civil_secs(&d["stocktakeDate"]) {
        let ms = civil_to_epoch_ms(secs);
        d["stocktakeDate"] = match fmt {
            DateFormat::DateTimeString => Value::from(format_datetime(secs)),
            DateFormat::EpochMillis => Value::from(ms),
            DateFormat::EpochMillisString => Value::from(ms.to_string()),
        };
    }
    d
}

/// Serves wms.stocktake.get.
pub(crate) fn serve(ctx: &Ctx, biz: &Biz) -> Result<Served, Failure> {
    let cfg = ctx.config;
    let page = Paging {
        base: cfg.page_base,
        default_size: ctx.spec.default_page_size,
        max_size: cfg.max_page_size_of(ctx.spec.name),
        overflow: cfg.page_size_overflow,
        below_base: cfg.below_base_page,
        ignore_page_index: ctx.ignore_page_index,
    }
    .read(biz)?;
    let warehouse = biz.text("warehouseCode");
    let barcodes = biz.list("skuBarcode");
    let window = (biz.datetime("startPdDate")?, biz.datetime("endPdDate")?);
    if let (Some(cap), (Some(s), Some(e))) = (cfg.stocktake_window_cap_secs, window)
        && e - s > cap as i64
    {
        return Err(Failure::param(format!(
            "盘点时间起止时间差不能超过{}小时",
            cap.div_ceil(3600)
        )));
    }
    let rows: Vec<&Value> = ctx
        .data
        .stocktakes
        .iter()
        .filter(|d| {
            warehouse.as_ref().is_none_or(|w| {
                field_text(d, "warehouseCode").is_some_and(|c| c.eq_ignore_ascii_case(w))
            })
        })
        .filter(|d| in_window(d, "stocktakeDate", window))
        .filter(|d| has_barcode(d, &barcodes))
        .collect();
    let out: Vec<Value> = page
        .slice(&rows)
        .iter()
        .map(|d| format_doc(d, cfg.stocktake_date_format))
        .collect();
    let node = match cfg.stocktake_data_location {
        StocktakeDataLocation::StockTakeKey => Some("stockTake"),
        StocktakeDataLocation::BareArray => None,
    };
    Ok(served(out, node, "stocktakeId", &page))
}
