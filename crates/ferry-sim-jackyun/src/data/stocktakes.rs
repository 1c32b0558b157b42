//! Generated stocktakes (盘点单), as served by wms.stocktake.get.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::catalog::{COMPANY_ID, COMPANY_NAME, Item, Warehouse};
use super::{money, qty};
use crate::civil::{DAY, format_compact_date, format_datetime};
use crate::prng::SplitMix64;

const SALT: u64 = 0x5354_4f43_4b54_414b; // "STOCKTAK"

const KINDS: [&str; 5] = ["月度盘点", "周盘点", "循环盘点", "抽盘", "动碰盘点"];
const DEPTS: [(&str, &str); 2] = [("1001", "仓储部"), ("1002", "物流部")];
const CREATORS: [(&str, &str); 4] = [
    ("2001", "张三"),
    ("2002", "李四"),
    ("2003", "王五"),
    ("2004", "赵六"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    /// In warehouse CK09 (no Kingdee mapping).
    ReturnsWarehouse,
    /// One line uses a Jackyun-only `X` good.
    JackyunOnlyGoods,
}

struct LineDraft<'a> {
    item: &'a Item,
    stock_t: i64,
    vari_t: i64,
    row: i64,
    col: i64,
    batch: Option<(String, String)>,
    remark: &'static str,
}

struct Draft<'a> {
    secs: i64,
    wh: &'a Warehouse,
    status: u8,
    special: Option<Special>,
    text: String,
    dept: (&'static str, &'static str),
    creator: (&'static str, &'static str),
    flag: &'static str,
    lines: Vec<LineDraft<'a>>,
}

/// Generates `count` stocktakes dated over the 56 days before `anchor_day` (Beijing), sorted by
/// `(stocktakeDate, stocktakeId)`.
pub(crate) fn generate(
    seed: u64,
    anchor_day: i64,
    count: usize,
    warehouses: &[Warehouse],
    goods: &[Item],
    x_goods: &[Item],
) -> Vec<Value> {
    let mut rng = SplitMix64::new(seed ^ SALT);
    let regular: Vec<&Warehouse> = warehouses
        .iter()
        .filter(|w| w.active && w.code != "CK09")
        .collect();
    let returns = warehouses.iter().find(|w| w.code == "CK09");
    // ≈1.5% special documents (rounded), alternating CK09 / X goods.
    let n_special = (count * 15 + 500) / 1000;
    let mut special_idx = BTreeSet::new();
    while special_idx.len() < n_special {
        special_idx.insert(rng.range(0, count as i64 - 1) as usize);
    }
    let specials: Vec<usize> = special_idx.into_iter().collect();

    let mut drafts: Vec<Draft> = Vec::with_capacity(count);
    for i in 0..count {
        let special = specials.iter().position(|s| *s == i).map(|k| {
            if k % 2 == 0 && returns.is_some() {
                Special::ReturnsWarehouse
            } else {
                Special::JackyunOnlyGoods
            }
        });
        let age = rng.range(1, 56);
        let secs = (anchor_day - age) * DAY + rng.range(8 * 3600, 19 * 3600 - 1);
        let wh = match (special, returns) {
            (Some(Special::ReturnsWarehouse), Some(r)) => r,
            _ => *rng.pick(&regular),
        };
        let status = if special.is_some() {
            5
        } else if age <= 3 {
            *rng.pick(&[2, 3, 3, 4, 4, 4, 5, 5])
        } else {
            let r = rng.next_f64();
            match r {
                _ if r < 0.80 => 5,
                _ if r < 0.87 => 6,
                _ if r < 0.91 => 1,
                _ if r < 0.94 => 2,
                _ if r < 0.97 => 3,
                _ => 4,
            }
        };
        let (_, month, _) = crate::civil::civil_from_days(secs.div_euclid(DAY));
        let text = match special {
            Some(Special::ReturnsWarehouse) => "退货仓盘点".to_string(),
            Some(Special::JackyunOnlyGoods) => "新品试样盘点".to_string(),
            None => format!("{month}月{}", rng.pick(&KINDS)),
        };
        let dept = *rng.pick(&DEPTS);
        let creator = *rng.pick(&CREATORS);
        let flag = if rng.chance(0.1) { "重点盘点" } else { "" };
        let n_lines = (rng.range(1, 12) as usize).min(goods.len()).max(1);
        let mut pool: Vec<usize> = (0..goods.len()).collect();
        let mut lines = Vec::with_capacity(n_lines);
        for k in 0..n_lines.min(pool.len()) {
            let j = rng.range(k as i64, pool.len() as i64 - 1) as usize;
            pool.swap(k, j);
            let force = special == Some(Special::JackyunOnlyGoods) && k == 0 && !x_goods.is_empty();
            let item = if force {
                rng.pick(x_goods)
            } else {
                &goods[pool[k]]
            };
            lines.push(line(&mut rng, item, secs, force));
        }
        lines.sort_by(|a, b| a.item.goods_no.cmp(&b.item.goods_no));
        drafts.push(Draft {
            secs,
            wh,
            status,
            special,
            text,
            dept,
            creator,
            flag,
            lines,
        });
    }
    drafts.sort_by_key(|d| d.secs);
    cover_every_status(&mut drafts);

    let mut out = Vec::with_capacity(count);
    let mut day = i64::MIN;
    let mut seq = 0u32;
    for (idx, d) in drafts.iter().enumerate() {
        let this_day = d.secs.div_euclid(DAY);
        if this_day != day {
            day = this_day;
            seq = 0;
        }
        seq += 1;
        let head_id = (2_201_001_234_567_000_000u64 + idx as u64 + 1).to_string();
        let number = format!("PD{}{seq:04}", format_compact_date(d.secs));
        let lines: Vec<Value> = d
            .lines
            .iter()
            .enumerate()
            .map(|(k, l)| line_json(l, d, idx, k, &head_id))
            .collect();
        out.push(json!({
            "id": head_id,
            "stocktakeId": number,
            "companyId": COMPANY_ID,
            "companyName": COMPANY_NAME,
            "warehouseId": d.wh.id,
            "warehouseCode": d.wh.code,
            "warehouseName": d.wh.name,
            "text": d.text,
            "deptId": d.dept.0,
            "deptName": d.dept.1,
            "stocktakeDate": format_datetime(d.secs),
            "createId": d.creator.0,
            "createName": d.creator.1,
            "status": d.status,
            "flagData": d.flag,
            "stockTakeDetailViews": lines,
        }));
    }
    out
}

fn line<'a>(
    rng: &mut SplitMix64,
    item: &'a Item,
    secs: i64,
    force_variance: bool,
) -> LineDraft<'a> {
    let stock_t = if item.decimal_qty {
        rng.range(0, 5000)
    } else {
        rng.range(0, 500) * 10
    };
    let r = rng.next_f64();
    let gain = |rng: &mut SplitMix64| {
        if item.decimal_qty {
            rng.range(1, 100)
        } else {
            rng.range(1, 20) * 10
        }
    };
    let vari_t = if !force_variance && r < 0.45 {
        0
    } else if stock_t == 0 || r < 0.75 || (force_variance && r < 0.5) {
        gain(rng)
    } else if item.decimal_qty {
        -rng.range(1, stock_t.min(100))
    } else {
        -rng.range(1, (stock_t / 10).min(20)) * 10
    };
    let batch = item.batch.then(|| {
        let made = secs - rng.range(10, 200) * DAY;
        let no = format!("B{}{:02}", &format_compact_date(made)[2..], rng.range(1, 9));
        let id = (1_730_000_000_000_000_000u64 + rng.next_u64() % 1_000_000_000_000).to_string();
        (id, no)
    });
    LineDraft {
        item,
        stock_t,
        vari_t,
        row: rng.range(1, 20),
        col: rng.range(1, 10),
        batch,
        remark: if vari_t != 0 && rng.chance(0.1) {
            "复盘确认"
        } else {
            ""
        },
    }
}

fn line_json(l: &LineDraft, d: &Draft, doc_idx: usize, k: usize, head_id: &str) -> Value {
    let it = l.item;
    let take_t = l.stock_t + l.vari_t;
    // value = variQuan × price, rounded half away from zero to cents.
    let value_cents = div_round(it.price_cents * l.vari_t, 10);
    let wh_no = d.wh.zone as u64;
    let (batch_id, batch_no) = l.batch.clone().unwrap_or_default();
    let mut m = Map::new();
    let mut put = |key: &str, v: Value| {
        m.insert(key.to_string(), v);
    };
    put(
        "id",
        (3_301_001_234_000_000_000u64 + (doc_idx as u64 + 1) * 100 + k as u64 + 1)
            .to_string()
            .into(),
    );
    put("headId", head_id.into());
    put("wareaId", d.wh.warea_id.clone().into());
    put(
        "positionId",
        (1_720_000_000_000_000_000u64 + wh_no * 10_000 + l.row as u64 * 100 + l.col as u64)
            .to_string()
            .into(),
    );
    put(
        "positionName",
        format!("{}-{:02}-{:02}", d.wh.zone, l.row, l.col).into(),
    );
    put("goodsId", it.goods_id.clone().into());
    put("goodsNo", it.goods_no.clone().into());
    put("goodsName", it.goods_name.clone().into());
    put("skuId", it.sku_id.clone().into());
    put("skuName", it.sku_name.into());
    put("skuBarcode", it.barcode.clone().into());
    put("batchId", batch_id.into());
    put("batchNo", batch_no.into());
    put("snNo", "".into());
    put("stockQuan", qty(l.stock_t, it.decimal_qty));
    put("takeQuan", qty(take_t, it.decimal_qty));
    put("variQuan", qty(l.vari_t, it.decimal_qty));
    put("price", money(it.price_cents));
    put("value", money(value_cents));
    put("inputId", d.creator.0.into());
    put("isSerial", 0.into());
    put("isBatch", i32::from(it.batch).into());
    put("unitId", it.unit_id.into());
    put("unitName", it.unit_name.into());
    put("rowRemark", l.remark.into());
    put("isPackageInfo", 0.into());
    put("isSplitAssembly", 0.into());
    Value::Object(m)
}

/// Rounds `num / den` half away from zero.
pub(crate) fn div_round(num: i64, den: i64) -> i64 {
    let q = num / den;
    let r = num % den;
    if r.abs() * 2 >= den.abs() {
        q + num.signum() * den.signum()
    } else {
        q
    }
}

/// Makes sure every status 1..=6 occurs (when there are at least 6 documents).
fn cover_every_status(drafts: &mut [Draft]) {
    let n = drafts.len();
    if n < 12 {
        return;
    }
    for s in 1..=6u8 {
        if drafts.iter().any(|d| d.status == s) {
            continue;
        }
        let start = usize::from(s) * n / 7;
        for k in 0..n {
            let i = (start + k) % n;
            let d = &drafts[i];
            let count_same = drafts.iter().filter(|o| o.status == d.status).count();
            if d.special.is_none() && count_same > 1 {
                drafts[i].status = s;
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::catalog::{jackyun_only_goods, regular_goods, warehouses};

    fn sample(seed: u64, count: usize) -> Vec<Value> {
        let day = 19_844; // 2024-05-01
        generate(
            seed,
            day,
            count,
            &warehouses(),
            &regular_goods(200, day),
            &jackyun_only_goods(day),
        )
    }

    #[test]
    fn div_round_rounds_half_away_from_zero() {
        assert_eq!(div_round(15, 10), 2);
        assert_eq!(div_round(-15, 10), -2);
        assert_eq!(div_round(14, 10), 1);
        assert_eq!(div_round(-14, 10), -1);
    }

    #[test]
    fn stocktakes_follow_the_conventions() {
        let docs = sample(1, 300);
        assert_eq!(docs.len(), 300);
        let statuses: BTreeSet<u64> = docs.iter().map(|d| d["status"].as_u64().unwrap()).collect();
        assert_eq!(statuses, (1..=6).collect());
        let audited = docs.iter().filter(|d| d["status"] == 5).count();
        assert!(audited > 150, "{audited}");
        let mut ids = BTreeSet::new();
        let (mut gain, mut loss, mut zero, mut batches) = (0, 0, 0, 0);
        for d in &docs {
            let no = d["stocktakeId"].as_str().unwrap();
            assert!(ids.insert(no.to_string()), "duplicate {no}");
            let date = d["stocktakeDate"].as_str().unwrap();
            assert_eq!(&no[2..10], date[..10].replace('-', ""));
            assert!(date.as_bytes()[..10] < *b"2024-05-01".as_slice());
            assert!(date.as_bytes()[..10] >= *b"2024-03-06".as_slice());
            let lines = d["stockTakeDetailViews"].as_array().unwrap();
            assert!((1..=12).contains(&lines.len()));
            for l in lines {
                let (s, t, v) = (
                    l["stockQuan"].as_f64().unwrap(),
                    l["takeQuan"].as_f64().unwrap(),
                    l["variQuan"].as_f64().unwrap(),
                );
                assert!((t - s - v).abs() < 1e-9);
                assert!(t >= 0.0);
                match v {
                    _ if v > 0.0 => gain += 1,
                    _ if v < 0.0 => loss += 1,
                    _ => zero += 1,
                }
                if l["isBatch"] == 1 {
                    assert!(!l["batchNo"].as_str().unwrap().is_empty());
                    batches += 1;
                }
            }
        }
        assert!(gain > 0 && loss > 0 && zero > 0 && batches > 0);
        let ck09 = docs.iter().filter(|d| d["warehouseCode"] == "CK09").count();
        let x = docs
            .iter()
            .filter(|d| {
                d["stockTakeDetailViews"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|l| l["goodsNo"].as_str().unwrap().starts_with('X'))
            })
            .count();
        assert!(ck09 >= 1 && x >= 1, "ck09 {ck09} x {x}");
        assert!(ck09 + x <= 6, "ck09 {ck09} x {x}");
    }

    #[test]
    fn same_seed_same_documents() {
        assert_eq!(sample(9, 50), sample(9, 50));
        assert_ne!(sample(9, 50), sample(10, 50));
    }
}
