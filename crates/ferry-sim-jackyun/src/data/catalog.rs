//! Master data shared by every generated collection: the company, warehouses, goods and vendors.
//!
//! Warehouses and goods follow rules that depend only on their number (not on the seed), so the
//! Kingdee simulator, built to the same convention, knows the same codes and barcodes.

use crate::civil::DAY;
use crate::prng::mix;

/// The one company of the generated tenant.
pub(crate) const COMPANY_ID: &str = "936838168287511040";
/// Its name.
pub(crate) const COMPANY_NAME: &str = "演示科技有限公司";

/// A warehouse.
#[derive(Debug, Clone)]
pub(crate) struct Warehouse {
    pub id: String,
    pub code: &'static str,
    pub name: &'static str,
    /// Letter of its bin names (`A-01-01`).
    pub zone: char,
    /// Its storage area id (`wareaId`).
    pub warea_id: String,
    /// False for the blocked warehouse only listed by `erp.warehouse.get`.
    pub active: bool,
}

/// `CK01`..`CK04`, `CK09` (active; CK09 has no Kingdee mapping) and `CK08` (blocked).
pub(crate) fn warehouses() -> Vec<Warehouse> {
    [
        ("CK01", "成品仓", 'A', true),
        ("CK02", "原料仓", 'B', true),
        ("CK03", "半成品仓", 'C', true),
        ("CK04", "电商仓", 'D', true),
        ("CK09", "退货仓", 'R', true),
        ("CK08", "旧成品仓", 'O', false),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (code, name, zone, active))| Warehouse {
        id: (1_718_178_122_057_024_600u64 + i as u64 + 1).to_string(),
        code,
        name,
        zone,
        warea_id: (3_100_000_000_000_000_000u64 + i as u64 + 1).to_string(),
        active,
    })
    .collect()
}

/// The units: (unitId, unitName, goods stems, category).
const UNITS: [(&str, &str, [&str; 4], &str); 5] = [
    (
        "101",
        "个",
        ["轴承", "螺丝刀", "保温杯", "收纳盒"],
        "五金工具",
    ),
    ("102", "件", ["T恤", "工装外套", "帆布包", "围裙"], "服装"),
    (
        "103",
        "箱",
        ["抽纸", "矿泉水", "A4打印纸", "快递纸箱"],
        "日用纸品",
    ),
    (
        "104",
        "瓶",
        ["洗发水", "沐浴露", "洗洁精", "酱油"],
        "洗护用品",
    ),
    (
        "105",
        "kg",
        ["大米", "白砂糖", "面粉", "咖啡豆"],
        "粮油食品",
    ),
];

const BRANDS: [&str; 3] = ["吉客优选", "星河", "百川"];

/// A goods item (one SKU per goods).
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub goods_id: String,
    pub sku_id: String,
    pub goods_no: String,
    pub goods_name: String,
    pub sku_name: &'static str,
    pub barcode: String,
    pub unit_id: &'static str,
    pub unit_name: &'static str,
    pub cate_name: &'static str,
    pub brand_name: &'static str,
    /// Batch-managed (`isBatch`).
    pub batch: bool,
    /// Quantities with one decimal (unit kg).
    pub decimal_qty: bool,
    /// Unit price in cents.
    pub price_cents: i64,
    /// Exists in Jackyun only (the `X` goods).
    pub jackyun_only: bool,
    /// Creation time, civil seconds.
    pub created: i64,
    /// Last modification time, civil seconds.
    pub modified: i64,
}

/// The regular goods `A0001`..: barcode `69` + 11 digits of n, unit by `(n-1) % 5`.
pub(crate) fn regular_goods(count: u32, anchor_day: i64) -> Vec<Item> {
    (1..=count).map(|n| item(n, false, anchor_day)).collect()
}

/// The Jackyun-only goods `X0001`..`X0003`: barcode `68` + 11 digits of n.
pub(crate) fn jackyun_only_goods(anchor_day: i64) -> Vec<Item> {
    (1..=3).map(|n| item(n, true, anchor_day)).collect()
}

fn item(n: u32, x: bool, anchor_day: i64) -> Item {
    let n64 = u64::from(n);
    let h = mix(n64 ^ if x { 0x5800 } else { 0x4100 });
    let (unit_id, unit_name, stems, cate) = if x {
        UNITS[0]
    } else {
        UNITS[((n - 1) % 5) as usize]
    };
    let goods_no = if x {
        format!("X{n:04}")
    } else {
        format!("A{n:04}")
    };
    let goods_name = if x {
        format!("新品试样-{goods_no}")
    } else {
        format!("{}-{goods_no}", stems[(((n - 1) / 5) % 4) as usize])
    };
    let base = if x { 100_000 } else { 0 };
    let created_day = anchor_day - 120 - (h % 240) as i64;
    let modified_day = anchor_day - 1 - ((h >> 16) % 55) as i64;
    Item {
        goods_id: (1_710_000_000_000_000_000u64 + base + n64).to_string(),
        sku_id: (1_711_000_000_000_000_000u64 + base + n64).to_string(),
        barcode: if x {
            format!("68{n:011}")
        } else {
            format!("69{n:011}")
        },
        goods_no,
        goods_name,
        sku_name: "标准规格",
        unit_id,
        unit_name,
        cate_name: cate,
        brand_name: BRANDS[(n64 % 3) as usize],
        batch: !x && matches!(unit_name, "瓶" | "kg"),
        decimal_qty: !x && unit_name == "kg",
        price_cents: 100 + ((h >> 8) % 49_900) as i64,
        jackyun_only: x,
        created: created_day * DAY + 9 * 3600 + ((h >> 24) % 28_800) as i64,
        modified: modified_day * DAY + 9 * 3600 + ((h >> 40) % 28_800) as i64,
    }
}

/// Vendor names.
const VENDORS: [&str; 12] = [
    "华东包装材料有限公司",
    "宁波五金制品厂",
    "杭州纺织服饰有限公司",
    "苏州日化用品有限公司",
    "东北粮油贸易公司",
    "广州纸业有限公司",
    "青岛饮品有限公司",
    "义乌小商品供应链",
    "上海咖啡原料进口公司",
    "佛山家居用品厂",
    "温州鞋服辅料公司",
    "成都调味品有限公司",
];

/// Vendor n (1-based): (vendId, vendCode, vendName).
pub(crate) fn vendor(n: u32) -> (String, String, String) {
    let base = VENDORS[((n - 1) as usize) % VENDORS.len()];
    let round = (n - 1) as usize / VENDORS.len();
    let name = if round == 0 {
        base.to_string()
    } else {
        format!("{base}{}分公司", round + 1)
    };
    (
        (1_740_000_000_000_000_000u64 + u64::from(n)).to_string(),
        format!("V{n:03}"),
        name,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goods_follow_the_shared_convention() {
        let goods = regular_goods(200, 20_000);
        assert_eq!(goods.len(), 200);
        assert_eq!(goods[0].goods_no, "A0001");
        assert_eq!(goods[0].barcode, "6900000000001");
        assert_eq!(goods[199].goods_no, "A0200");
        assert_eq!(goods[199].barcode, "6900000000200");
        assert_eq!(goods[0].unit_name, "个");
        assert_eq!(goods[4].unit_name, "kg");
        assert!(goods[4].batch && goods[4].decimal_qty);
        assert!(goods.iter().all(|g| (100..50_000).contains(&g.price_cents)));
        let x = jackyun_only_goods(20_000);
        assert_eq!(
            x.iter().map(|g| g.barcode.as_str()).collect::<Vec<_>>(),
            ["6800000000001", "6800000000002", "6800000000003"]
        );
        assert_eq!(x[2].goods_no, "X0003");
        assert!(x.iter().all(|g| g.jackyun_only));
    }

    #[test]
    fn warehouses_follow_the_shared_convention() {
        let w = warehouses();
        let active: Vec<_> = w
            .iter()
            .filter(|w| w.active)
            .map(|w| (w.code, w.name))
            .collect();
        assert_eq!(
            active,
            [
                ("CK01", "成品仓"),
                ("CK02", "原料仓"),
                ("CK03", "半成品仓"),
                ("CK04", "电商仓"),
                ("CK09", "退货仓")
            ]
        );
    }
}
