//! Served rows of the master-data APIs: warehouses (erp.warehouse.get), goods
//! (erp.storage.goodslist), vendors (erp.vend.get) and stock quantities (erp.stockquantity.get).

use serde_json::{Value, json};

use super::catalog::{COMPANY_ID, COMPANY_NAME, Item, Warehouse, vendor};
use super::{money, qty};
use crate::civil::{DAY, civil_to_epoch_ms, format_datetime};
use crate::prng::{SplitMix64, mix};

/// Rows of erp.warehouse.get (`warehouseInfo`), in code order.
pub(crate) fn warehouse_rows(warehouses: &[Warehouse], anchor_day: i64) -> Vec<Value> {
    let mut rows: Vec<Value> = warehouses
        .iter()
        .enumerate()
        .map(|(i, w)| {
            json!({
                "warehouseId": w.id,
                "warehouseCode": w.code,
                "warehouseName": w.name,
                "warehouseTypeName": "普通仓",
                "companyId": COMPANY_ID,
                "companyName": COMPANY_NAME,
                "isBlockup": i32::from(!w.active),
                "isDelete": 0,
                "gmtCreate": format_datetime((anchor_day - 400 + i as i64) * DAY + 10 * 3600),
                "gmtModified": format_datetime((anchor_day - 60 + i as i64) * DAY + 10 * 3600),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        a["warehouseCode"]
            .as_str()
            .cmp(&b["warehouseCode"].as_str())
    });
    rows
}

/// Rows of erp.storage.goodslist (`goods`): one per SKU, dates as ms-epoch numbers, sorted by skuId.
pub(crate) fn goods_rows(items: &[&Item]) -> Vec<Value> {
    let mut rows: Vec<(u64, Value)> = items
        .iter()
        .map(|it| {
            (
                it.sku_id.parse::<u64>().unwrap_or_default(),
                json!({
                    "goodsId": it.goods_id,
                    "goodsNo": it.goods_no,
                    "goodsName": it.goods_name,
                    "goodsAlias": "",
                    "skuId": it.sku_id,
                    "skuName": it.sku_name,
                    "skuBarcode": it.barcode,
                    "unitId": it.unit_id,
                    "unitName": it.unit_name,
                    "cateName": it.cate_name,
                    "brandName": it.brand_name,
                    "isBatchManagement": i32::from(it.batch),
                    "isSerialManagement": 0,
                    "isPackageGood": 0,
                    "isBlockup": 0,
                    "retailPrice": money(it.price_cents),
                    "costPrice": money(it.price_cents * 6 / 10),
                    "flagData": if it.jackyun_only { "新品" } else { "" },
                    "gmtCreate": civil_to_epoch_ms(it.created),
                    "goodsGmtModified": civil_to_epoch_ms(it.modified),
                    "skuGmtModified": civil_to_epoch_ms(it.modified),
                }),
            )
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    rows.into_iter().map(|r| r.1).collect()
}

/// Rows of erp.vend.get (`vendInfo`), in code order.
pub(crate) fn vendor_rows(count: u32, seed: u64, anchor_day: i64) -> Vec<Value> {
    let mut rng = SplitMix64::new(seed ^ 0x56454e44); // "VEND"
    (1..=count)
        .map(|n| {
            let (id, code, name) = vendor(n);
            let created = (anchor_day - rng.range(200, 700)) * DAY + rng.range(9 * 3600, 18 * 3600);
            let modified = (anchor_day - rng.range(1, 56)) * DAY + rng.range(9 * 3600, 18 * 3600);
            json!({
                "vendId": id,
                "vendCode": code,
                "vendName": name,
                "contactName": rng.pick(&["陈经理", "刘经理", "周经理", "吴经理"]),
                "isBlockup": 0,
                "gmtCreate": format_datetime(created),
                "gmtModified": format_datetime(modified.max(created)),
            })
        })
        .collect()
}

/// Rows of erp.stockquantity.get (`goodsStockQuantity`): about two thirds of (warehouse, goods)
/// pairs of the active warehouses, sorted by `quantityId`. Keeps the real field typos
/// `defectiveQuanity` and `stockOutuantity`.
pub(crate) fn stock_quantity_rows(
    seed: u64,
    anchor_day: i64,
    warehouses: &[Warehouse],
    goods: &[Item],
) -> Vec<Value> {
    let mut rng = SplitMix64::new(seed ^ 0x5354_4f43_4b51); // "STOCKQ"
    let mut rows = Vec::new();
    for w in warehouses.iter().filter(|w| w.active) {
        for it in goods {
            let sku = it.sku_id.parse::<u64>().unwrap_or_default();
            let h = mix(seed ^ mix((u64::from(u32::from(w.zone)) << 40) ^ sku));
            let keep = if w.code == "CK09" {
                h.is_multiple_of(10)
            } else {
                !h.is_multiple_of(3)
            };
            if !keep {
                continue;
            }
            let current = if it.decimal_qty {
                rng.range(0, 20_000)
            } else {
                rng.range(0, 2_000) * 10
            };
            let locking = (current / 10).min(rng.range(0, 50) * 10);
            let modified = (anchor_day - rng.range(1, 56)) * DAY + rng.range(0, DAY - 1);
            rows.push(json!({
                "quantityId": (1_600_000_000_000_000_000u64 + rows.len() as u64 + 1).to_string(),
                "warehouseId": w.id,
                "warehouseCode": w.code,
                "warehouseName": w.name,
                "goodsId": it.goods_id,
                "goodsNo": it.goods_no,
                "goodsName": it.goods_name,
                "skuId": it.sku_id,
                "skuName": it.sku_name,
                "skuBarcode": it.barcode,
                "unitName": it.unit_name,
                "currentQuantity": qty(current, it.decimal_qty),
                "lockingQuantity": qty(locking, it.decimal_qty),
                "useQuantity": qty(current - locking, it.decimal_qty),
                "defectiveQuanity": qty(0, it.decimal_qty),
                "stockOutuantity": qty(0, it.decimal_qty),
                "costPrice": money(it.price_cents * 6 / 10),
                "gmtCreate": civil_to_epoch_ms(it.created),
                "gmtModified": civil_to_epoch_ms(modified),
            }));
        }
    }
    rows
}
