//! Generated purchase orders (erp.purch.search), transfers (erp.allocate.search) and stock
//! in/out documents (erp-busiorder.goodsdocin.search / goodsdocout.search).
//!
//! The in/out documents are consistent with the other collections: 101 采购入库 from completed
//! purchases, 103 盘盈入库 / 203 盘亏出库 from the gain / loss lines of audited (status 5)
//! stocktakes (the double-count pitfall of reference §9.4), 201 销售出库 from shipments,
//! 202 调拨出库 from completed transfers, plus random 104 其他入库 / 204 其他出库.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::catalog::{Item, Warehouse, vendor};
use super::{money, qty};
use crate::civil::{
    DAY, civil_to_epoch_ms, format_compact_date, format_datetime, value_civil_secs,
};
use crate::data::trades::DayNumbering;
use crate::prng::SplitMix64;

/// The generated collections of this module.
pub(crate) struct StockDocs {
    pub purchases: Vec<Value>,
    pub allocations: Vec<Value>,
    pub docs_in: Vec<Value>,
    pub docs_out: Vec<Value>,
}

/// Sizes of the generated collections.
pub(crate) struct Sizes {
    pub purchase_orders: usize,
    pub allocations: usize,
    pub other_docs: usize,
    pub vendors: u32,
}

#[derive(Clone)]
struct DocLine {
    goods_id: String,
    goods_no: String,
    goods_name: String,
    sku_id: String,
    barcode: String,
    unit_name: String,
    qty_t: i64,
    decimal: bool,
    price_cents: i64,
    batch_no: String,
}

impl DocLine {
    fn of(it: &Item, qty_t: i64, price_cents: i64) -> Self {
        Self {
            goods_id: it.goods_id.clone(),
            goods_no: it.goods_no.clone(),
            goods_name: it.goods_name.clone(),
            sku_id: it.sku_id.clone(),
            barcode: it.barcode.clone(),
            unit_name: it.unit_name.to_string(),
            qty_t,
            decimal: it.decimal_qty,
            price_cents,
            batch_no: String::new(),
        }
    }
}

struct DocDraft {
    secs: i64,
    kind: (u32, &'static str),
    wh: (String, String, String),
    source_no: String,
    lines: Vec<DocLine>,
}

fn wh_key(w: &Warehouse) -> (String, String, String) {
    (w.id.clone(), w.code.to_string(), w.name.to_string())
}

fn str_of(v: &Value, key: &str) -> String {
    match &v[key] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

fn tenths(v: &Value) -> i64 {
    (v.as_f64().unwrap_or(0.0) * 10.0).round() as i64
}

/// Generates the collections; `stocktakes` and `shipments` are the already generated ones.
pub(crate) fn generate(
    seed: u64,
    anchor_day: i64,
    sizes: &Sizes,
    warehouses: &[Warehouse],
    goods: &[Item],
    stocktakes: &[Value],
    shipments: &[Value],
) -> StockDocs {
    let mut rng = SplitMix64::new(seed ^ 0x53_544f_434b_444f); // "STOCKDO"
    let limit = anchor_day * DAY;
    let start = limit - 56 * DAY;
    let active: Vec<&Warehouse> = warehouses
        .iter()
        .filter(|w| w.active && w.code != "CK09")
        .collect();
    let by_code: HashMap<&str, &Warehouse> = warehouses.iter().map(|w| (w.code, w)).collect();
    let by_no: HashMap<&str, &Item> = goods.iter().map(|g| (g.goods_no.as_str(), g)).collect();
    let mut ins: Vec<DocDraft> = Vec::new();
    let mut outs: Vec<DocDraft> = Vec::new();

    // Purchase orders: one row per line.
    let mut purchases = Vec::new();
    let mut p_drafts: Vec<(i64, usize)> = (0..sizes.purchase_orders)
        .map(|i| (start + rng.range(0, 56 * DAY - 1), i))
        .collect();
    p_drafts.sort();
    let mut numbering = DayNumbering::default();
    for (k, (created, _)) in p_drafts.iter().enumerate() {
        let created = *created;
        let order_num = format!(
            "CG{}{:04}",
            format_compact_date(created),
            numbering.next(created)
        );
        let head_id = (1_400_000_000_000_000_000u64 + k as u64 + 1).to_string();
        let (_, vcode, vname) = vendor(rng.range(1, i64::from(sizes.vendors.max(1))) as u32);
        let wh = if rng.chance(0.7) {
            by_code.get("CK02").copied()
        } else {
            by_code.get("CK01").copied()
        }
        .unwrap_or(active[0]);
        let received = created + 2 * DAY;
        let (status, status_name) = if received <= limit && created < limit - 7 * DAY {
            (3, "已完成")
        } else {
            *rng.pick(&[(1, "已审核"), (2, "部分入库")])
        };
        let modified = if status == 3 {
            received
        } else {
            created + rng.range(0, 3600)
        };
        let n_lines = rng.range(1, 6) as usize;
        let mut lines = Vec::new();
        for j in 0..n_lines {
            let it = rng.pick(goods);
            let q = if it.decimal_qty {
                rng.range(100, 5000)
            } else {
                rng.range(10, 500) * 10
            };
            let price = it.price_cents * 6 / 10;
            lines.push(DocLine::of(it, q, price));
            purchases.push(json!({
                "headId": head_id,
                "orderNum": order_num,
                "vendCode": vcode,
                "vendName": vname,
                "warehouseCode": wh.code,
                "warehouseName": wh.name,
                "status": status,
                "statusName": status_name,
                "orderDate": format_datetime(created),
                "gmtCreate": format_datetime(created),
                "gmtModified": format_datetime(modified),
                "detailId": (1_410_000_000_000_000_000u64 + k as u64 * 10 + j as u64 + 1).to_string(),
                "goodsId": it.goods_id,
                "goodsNo": it.goods_no,
                "goodsName": it.goods_name,
                "skuId": it.sku_id,
                "skuBarcode": it.barcode,
                "unitName": it.unit_name,
                "quantity": qty(q, it.decimal_qty),
                "price": money(price),
                "amount": money(super::stocktakes::div_round(price * q, 10)),
            }));
        }
        if status == 3 {
            ins.push(DocDraft {
                secs: received,
                kind: (101, "采购入库"),
                wh: wh_key(wh),
                source_no: order_num,
                lines,
            });
        }
    }

    // Transfers: one row per line, under `stockAllocate`.
    let mut allocations = Vec::new();
    let mut a_drafts: Vec<i64> = (0..sizes.allocations)
        .map(|_| start + rng.range(0, 56 * DAY - 1))
        .collect();
    a_drafts.sort();
    let mut numbering = DayNumbering::default();
    for (k, created) in a_drafts.iter().enumerate() {
        let created = *created;
        let no = format!(
            "DB{}{:04}",
            format_compact_date(created),
            numbering.next(created)
        );
        let from = *rng.pick(&active);
        let to = loop {
            let w = *rng.pick(&active);
            if w.code != from.code || active.len() < 2 {
                break w;
            }
        };
        let done = created + DAY <= limit;
        let n_lines = rng.range(1, 5) as usize;
        let mut lines = Vec::new();
        for j in 0..n_lines {
            let it = rng.pick(goods);
            let q = if it.decimal_qty {
                rng.range(10, 1000)
            } else {
                rng.range(1, 100) * 10
            };
            lines.push(DocLine::of(it, q, it.price_cents * 6 / 10));
            allocations.push(json!({
                "allocateId": (1_420_000_000_000_000_000u64 + k as u64 + 1).to_string(),
                "allocateNo": no,
                "outWarehouseCode": from.code,
                "outWarehouseName": from.name,
                "inWarehouseCode": to.code,
                "inWarehouseName": to.name,
                "status": if done { 3 } else { 1 },
                "statusName": if done { "已完成" } else { "已审核" },
                "gmtCreate": format_datetime(created),
                "gmtModified": format_datetime(if done { created + DAY } else { created }),
                "detailId": (1_430_000_000_000_000_000u64 + k as u64 * 10 + j as u64 + 1).to_string(),
                "goodsId": it.goods_id,
                "goodsNo": it.goods_no,
                "goodsName": it.goods_name,
                "skuId": it.sku_id,
                "skuBarcode": it.barcode,
                "unitName": it.unit_name,
                "skuCount": qty(q, it.decimal_qty),
            }));
        }
        if done {
            outs.push(DocDraft {
                secs: created + DAY,
                kind: (202, "调拨出库"),
                wh: wh_key(from),
                source_no: no,
                lines,
            });
        }
    }

    // Stocktake gains and losses of audited stocktakes.
    for st in stocktakes.iter().filter(|s| s["status"] == 5) {
        let Some(secs) = value_civil_secs(&st["stocktakeDate"]) else {
            continue;
        };
        let wh = (
            str_of(st, "warehouseId"),
            str_of(st, "warehouseCode"),
            str_of(st, "warehouseName"),
        );
        let mut gain = Vec::new();
        let mut loss = Vec::new();
        for l in st["stockTakeDetailViews"].as_array().into_iter().flatten() {
            let v = tenths(&l["variQuan"]);
            if v == 0 {
                continue;
            }
            let line = DocLine {
                goods_id: str_of(l, "goodsId"),
                goods_no: str_of(l, "goodsNo"),
                goods_name: str_of(l, "goodsName"),
                sku_id: str_of(l, "skuId"),
                barcode: str_of(l, "skuBarcode"),
                unit_name: str_of(l, "unitName"),
                qty_t: v.abs(),
                decimal: l["variQuan"].is_f64(),
                price_cents: (l["price"].as_f64().unwrap_or(0.0) * 100.0).round() as i64,
                batch_no: str_of(l, "batchNo"),
            };
            if v > 0 {
                gain.push(line)
            } else {
                loss.push(line)
            }
        }
        let source = str_of(st, "stocktakeId");
        if !gain.is_empty() {
            ins.push(DocDraft {
                secs: secs + 7200,
                kind: (103, "盘盈入库"),
                wh: wh.clone(),
                source_no: source.clone(),
                lines: gain,
            });
        }
        if !loss.is_empty() {
            outs.push(DocDraft {
                secs: secs + 7200,
                kind: (203, "盘亏出库"),
                wh,
                source_no: source,
                lines: loss,
            });
        }
    }

    // Sales outbound from shipments.
    for s in shipments {
        let Some(secs) = value_civil_secs(&s["finishTime"]) else {
            continue;
        };
        let Some(wh) = by_code.get(str_of(s, "warehouseCode").as_str()) else {
            continue;
        };
        let lines: Vec<DocLine> = s["goodsList"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| {
                let it = by_no.get(str_of(g, "goodsNo").as_str())?;
                Some(DocLine::of(
                    it,
                    tenths(&g["quantity"]),
                    it.price_cents * 6 / 10,
                ))
            })
            .collect();
        if !lines.is_empty() {
            outs.push(DocDraft {
                secs,
                kind: (201, "销售出库"),
                wh: wh_key(wh),
                source_no: str_of(s, "orderNo"),
                lines,
            });
        }
    }

    // Other inbound / outbound.
    for k in 0..sizes.other_docs {
        let secs = start + rng.range(0, 56 * DAY - 1);
        let wh = *rng.pick(&active);
        let n_lines = rng.range(1, 3) as usize;
        let lines: Vec<DocLine> = (0..n_lines)
            .map(|_| {
                let it = rng.pick(goods);
                let q = if it.decimal_qty {
                    rng.range(10, 500)
                } else {
                    rng.range(1, 50) * 10
                };
                DocLine::of(it, q, it.price_cents * 6 / 10)
            })
            .collect();
        let draft = DocDraft {
            secs,
            kind: (104, "其他入库"),
            wh: wh_key(wh),
            source_no: String::new(),
            lines,
        };
        if k % 2 == 0 {
            ins.push(draft);
        } else {
            outs.push(DocDraft {
                kind: (204, "其他出库"),
                ..draft
            });
        }
    }

    StockDocs {
        purchases,
        allocations,
        docs_in: doc_rows(&mut rng, ins, "RK", 1_500_000_000_000_000_000),
        docs_out: doc_rows(&mut rng, outs, "CK", 1_550_000_000_000_000_000),
    }
}

/// Flattens documents into detail rows (sorted by `inOutDate`, then number), dates as ms epoch.
fn doc_rows(
    rng: &mut SplitMix64,
    mut docs: Vec<DocDraft>,
    prefix: &str,
    id_base: u64,
) -> Vec<Value> {
    docs.sort_by(|a, b| a.secs.cmp(&b.secs).then(a.source_no.cmp(&b.source_no)));
    let mut numbering = DayNumbering::default();
    let mut rows = Vec::new();
    for (k, d) in docs.iter().enumerate() {
        let no = format!(
            "{prefix}{}{:05}",
            format_compact_date(d.secs),
            numbering.next(d.secs)
        );
        let doc_id = (id_base + k as u64 + 1).to_string();
        let modified = d.secs + rng.range(0, 600);
        for (j, l) in d.lines.iter().enumerate() {
            rows.push(json!({
                "docId": doc_id,
                "goodsdocNo": no,
                "inouttype": d.kind.0,
                "inouttypeName": d.kind.1,
                "inOutDate": civil_to_epoch_ms(d.secs),
                "warehouseId": d.wh.0,
                "warehouseCode": d.wh.1,
                "warehouseName": d.wh.2,
                "sourceBillNo": d.source_no,
                "redStatus": 1,
                "archived": 0,
                "gmtCreate": civil_to_epoch_ms(d.secs),
                "gmtModified": civil_to_epoch_ms(modified),
                "detailId": (id_base + 10_000_000 + (k as u64) * 100 + j as u64 + 1).to_string(),
                "goodsId": l.goods_id,
                "goodsNo": l.goods_no,
                "goodsName": l.goods_name,
                "skuId": l.sku_id,
                "skuBarcode": l.barcode,
                "unitName": l.unit_name,
                "batchNo": l.batch_no,
                "quantity": qty(l.qty_t, l.decimal),
                "price": money(l.price_cents),
                "amount": money(super::stocktakes::div_round(l.price_cents * l.qty_t, 10)),
            }));
        }
    }
    rows
}
