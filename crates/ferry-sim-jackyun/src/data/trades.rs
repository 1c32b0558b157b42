//! Generated sales orders (oms.trade.fullinfoget) and their shipments (wms.order.query-info.page).

use serde_json::{Value, json};

use super::catalog::{Item, Warehouse};
use super::money;
use crate::civil::{DAY, format_compact_date, format_datetime};
use crate::prng::SplitMix64;

const SALT: u64 = 0x5452_4144_4553; // "TRADES"

const SHOPS: [(&str, &str); 4] = [
    ("3001", "天猫旗舰店"),
    ("3002", "京东自营店"),
    ("3003", "抖音小店"),
    ("3004", "线下门店"),
];
const LOGISTICS: [&str; 3] = ["顺丰速运", "中通快递", "京东物流"];

/// Status codes and names of generated trades (invented: the reference documents none).
const CANCELLED: (u32, &str) = (5010, "已取消");
const TO_AUDIT: (u32, &str) = (1010, "待审核");
const TO_SHIP: (u32, &str) = (4110, "待发货");
const SHIPPED: (u32, &str) = (6000, "已发货");
const DONE: (u32, &str) = (9090, "已完成");

struct Line<'a> {
    item: &'a Item,
    count: i64,
    price_cents: i64,
}

struct Draft<'a> {
    created: i64,
    shop: (&'static str, &'static str),
    online_no: String,
    wh: &'a Warehouse,
    logistic: &'static str,
    audit: Option<i64>,
    consign: Option<i64>,
    complete: Option<i64>,
    modified: i64,
    status: (u32, &'static str),
    post_cents: i64,
    lines: Vec<Line<'a>>,
}

/// Generates `count` trades created over the 56 days before `anchor_day` (events after the
/// anchor day's midnight are not reached yet) and a shipment for each consigned trade.
/// Returns (trades sorted by `gmtCreate`, shipments sorted by `gmtCreate`).
pub(crate) fn generate(
    seed: u64,
    anchor_day: i64,
    count: usize,
    warehouses: &[Warehouse],
    goods: &[Item],
) -> (Vec<Value>, Vec<Value>) {
    let mut rng = SplitMix64::new(seed ^ SALT);
    let limit = anchor_day * DAY;
    let start = limit - 56 * DAY;
    let ecommerce = warehouses.iter().find(|w| w.code == "CK04");
    let finished = warehouses.iter().find(|w| w.code == "CK01");
    let mut drafts = Vec::with_capacity(count);
    for _ in 0..count {
        let created = start + rng.range(0, 56 * DAY - 1);
        let wh = match (rng.chance(0.8), ecommerce, finished) {
            (true, Some(w), _) | (false, _, Some(w)) | (_, Some(w), None) => w,
            _ => &warehouses[0],
        };
        let n_lines = rng.range(1, 4) as usize;
        let lines: Vec<Line> = (0..n_lines)
            .map(|_| {
                let item = rng.pick(goods);
                Line {
                    item,
                    count: rng.range(1, 5),
                    price_cents: item.price_cents * (100 + rng.range(0, 50)) / 100,
                }
            })
            .collect();
        let audit = created + rng.range(600, 7200);
        let consign = audit + rng.range(3600, 48 * 3600);
        let complete = consign + rng.range(3, 7) * DAY;
        let cancelled = rng.chance(0.03);
        let reached = |t: i64| (t <= limit).then_some(t);
        let (audit, consign, complete) = if cancelled {
            (None, None, None)
        } else {
            let a = reached(audit);
            let c = a.and(reached(consign));
            (a, c, c.and(reached(complete)))
        };
        let status = match (cancelled, audit, consign, complete) {
            (true, ..) => CANCELLED,
            (_, None, ..) => TO_AUDIT,
            (_, _, None, _) => TO_SHIP,
            (_, _, _, None) => SHIPPED,
            _ => DONE,
        };
        let last = complete.or(consign).or(audit).unwrap_or(created);
        let modified = (last + rng.range(0, 300)).min(limit.max(last));
        drafts.push(Draft {
            created,
            shop: *rng.pick(&SHOPS),
            online_no: format!(
                "{}",
                3_000_000_000_000_000u64 + rng.next_u64() % 999_999_999_999_999
            ),
            wh,
            logistic: LOGISTICS[rng.range(0, LOGISTICS.len() as i64 - 1) as usize],
            audit,
            consign,
            complete,
            modified,
            status,
            post_cents: *rng.pick(&[0, 0, 600, 1000]),
            lines,
        });
    }
    drafts.sort_by_key(|d| d.created);

    let mut trades = Vec::with_capacity(count);
    let mut shipments = Vec::new();
    let mut numbering = DayNumbering::default();
    for (idx, d) in drafts.iter().enumerate() {
        let trade_no = format!(
            "JY{}{:04}",
            format_compact_date(d.created),
            numbering.next(d.created)
        );
        let trade_id = (1_800_000_000_000_000_000u64 + idx as u64 + 1).to_string();
        let goods_total: i64 = d.lines.iter().map(|l| l.price_cents * l.count).sum();
        let tracking = d
            .consign
            .map(|_| format!("SF{:012}", 100_000_000_000u64 + idx as u64 * 7919))
            .unwrap_or_default();
        let detail: Vec<Value> = d
            .lines
            .iter()
            .enumerate()
            .map(|(k, l)| {
                json!({
                    "subTradeId": (1_810_000_000_000_000_000u64 + idx as u64 * 10 + k as u64 + 1).to_string(),
                    "goodsId": l.item.goods_id,
                    "goodsNo": l.item.goods_no,
                    "goodsName": l.item.goods_name,
                    "skuId": l.item.sku_id,
                    "skuBarcode": l.item.barcode,
                    "unit": l.item.unit_name,
                    "sellCount": l.count,
                    "sellPrice": money(l.price_cents),
                    "sellTotal": money(l.price_cents * l.count),
                })
            })
            .collect();
        let opt_time = |t: Option<i64>| t.map(format_datetime).map_or(Value::Null, Value::from);
        trades.push(json!({
            "tradeId": trade_id,
            "tradeNo": trade_no,
            "onlineTradeNo": d.online_no,
            "shopId": d.shop.0,
            "shopName": d.shop.1,
            "tradeStatus": d.status.0,
            "tradeStatusExplain": d.status.1,
            "warehouseCode": d.wh.code,
            "warehouseName": d.wh.name,
            "logisticName": d.logistic,
            "mainPostid": tracking,
            "tradeTime": format_datetime(d.created),
            "gmtCreate": format_datetime(d.created),
            "gmtModified": format_datetime(d.modified),
            "auditTime": opt_time(d.audit),
            "consignTime": opt_time(d.consign),
            "completeTime": opt_time(d.complete),
            "goodsFee": money(goods_total),
            "postFee": money(d.post_cents),
            "discountFee": money(0),
            "totalFee": money(goods_total + d.post_cents),
            "payment": money(goods_total + d.post_cents),
            "goodsDetail": detail,
        }));
        if let (Some(audit), Some(consign)) = (d.audit, d.consign) {
            shipments.push((audit, consign, d.modified, trade_no, tracking, d));
        }
    }

    shipments.sort_by_key(|s| s.0);
    let mut numbering = DayNumbering::default();
    let shipments = shipments
        .into_iter()
        .enumerate()
        .map(|(k, (audit, consign, modified, trade_no, tracking, d))| {
            let goods: Vec<Value> = d
                .lines
                .iter()
                .map(|l| {
                    json!({
                        "goodsNo": l.item.goods_no,
                        "goodsName": l.item.goods_name,
                        "skuBarcode": l.item.barcode,
                        "unitName": l.item.unit_name,
                        "quantity": l.count,
                    })
                })
                .collect();
            json!({
                "orderId": (1_900_000_000_000_000_000u64 + k as u64 + 1).to_string(),
                "orderNo": format!("WO{}{:05}", format_compact_date(audit), numbering.next(audit)),
                "erporderNo": trade_no,
                "outType": 201,
                "outTypeName": "销售出库",
                "warehouseCode": d.wh.code,
                "warehouseName": d.wh.name,
                "logisticName": d.logistic,
                "logisticNo": tracking,
                "orderStatus": 99,
                "orderStatusName": "已出库",
                "gmtCreate": format_datetime(audit),
                "finishTime": format_datetime(consign),
                "gmtModified": format_datetime(modified.max(consign)),
                "goodsList": goods,
            })
        })
        .collect();
    (trades, shipments)
}

/// Per-day sequence numbers (1, 2, … restarting each civil day); feed times in ascending order.
#[derive(Default)]
pub(crate) struct DayNumbering {
    day: Option<i64>,
    seq: u32,
}

impl DayNumbering {
    /// The next number for a document at civil time `secs`.
    pub(crate) fn next(&mut self, secs: i64) -> u32 {
        let day = secs.div_euclid(DAY);
        if self.day != Some(day) {
            self.day = Some(day);
            self.seq = 0;
        }
        self.seq += 1;
        self.seq
    }
}
