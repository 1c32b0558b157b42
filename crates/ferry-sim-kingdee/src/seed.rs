//! The demo account's base data: generated from a seed, or read from a JSON data file.
//!
//! Conventions shared with the Jackyun simulator (keep them exactly): organisations `100` 总公司 and
//! `101`; stocks `CK001`..`CK004` (成品仓, 原料仓, 半成品仓, 电商仓); materials `A0001`.. (`A{n:04}`,
//! barcode `69{n:011}`, units 个/件/箱/瓶/kg = `Pcs`/`Jian`/`Xiang`/`Ping`/`kg`); departments
//! `BM000001`..`BM000005` (仓储部 first); suppliers `VEN00001`..`VEN00010`; bill types `QTRKD01_SYS`,
//! `QTCKD01_SYS`..`QTCKD05_SYS`; stock status `KCZT01_SYS`; currency `PRE001`.

use std::path::Path;

use serde::Deserialize;

use crate::error::SimError;
use crate::forms::{BILL_TYPE, CURRENCY, DEPT, MATERIAL, ORG, STOCK, STOCK_STATUS, SUPPLIER, UNIT};
use crate::model::{BaseRecord, RefVal, SimData, Val};
use crate::rng::SplitMix64;

/// The units: (number, name).
pub(crate) const UNITS: &[(&str, &str)] = &[
    ("Pcs", "个"),
    ("Jian", "件"),
    ("Xiang", "箱"),
    ("Ping", "瓶"),
    ("kg", "kg"),
];

const ORGS: &[(&str, &str)] = &[("100", "总公司"), ("101", "分公司")];
const STOCKS: &[(&str, &str)] = &[
    ("CK001", "成品仓"),
    ("CK002", "原料仓"),
    ("CK003", "半成品仓"),
    ("CK004", "电商仓"),
];
const DEPTS: &[&str] = &["仓储部", "采购部", "销售部", "财务部", "生产部"];
const BILL_TYPES: &[(&str, &str, &str)] = &[
    ("QTRKD01_SYS", "标准其他入库单", "STK_MISCELLANEOUS"),
    ("QTCKD01_SYS", "标准其他出库单", "STK_MisDelivery"),
    ("QTCKD02_SYS", "资产出库", "STK_MisDelivery"),
    ("QTCKD03_SYS", "VMI出库", "STK_MisDelivery"),
    ("QTCKD04_SYS", "费用物料出库", "STK_MisDelivery"),
    ("QTCKD05_SYS", "库存调整", "STK_MisDelivery"),
    // Assumption (reference §5.3 has nothing on these forms): one standard type each.
    ("PYD01_SYS", "标准盘盈单", "STK_StockCountGain"),
    ("PKD01_SYS", "标准盘亏单", "STK_StockCountLoss"),
];
const STOCK_STATUSES: &[(&str, &str)] = &[
    ("KCZT01_SYS", "可用"),
    ("KCZT02_SYS", "待检"),
    ("KCZT03_SYS", "冻结"),
    ("KCZT04_SYS", "退回冻结"),
    ("KCZT05_SYS", "在途"),
];
const CURRENCIES: &[(&str, &str, &str)] = &[
    ("PRE001", "人民币", "CNY"),
    ("PRE002", "香港元", "HKD"),
    ("PRE003", "欧元", "EUR"),
    ("PRE004", "日本日圆", "JPY"),
    ("PRE005", "新台币元", "TWD"),
    ("PRE006", "英镑", "GBP"),
    ("PRE007", "美元", "USD"),
];
const ADJECTIVES: &[&str] = &[
    "不锈钢",
    "纯棉",
    "加厚",
    "便携",
    "经典",
    "环保",
    "家用",
    "高档",
    "迷你",
    "多功能",
];
const NOUNS: &[&str] = &[
    "保温杯",
    "毛巾",
    "收纳箱",
    "洗衣液",
    "抽纸",
    "拖鞋",
    "雨伞",
    "水杯",
    "枕头",
    "餐具套装",
    "台灯",
    "衣架",
    "垃圾袋",
    "洗发水",
    "牙刷",
];
const CITIES: &[&str] = &[
    "杭州", "上海", "宁波", "苏州", "广州", "深圳", "义乌", "温州", "南京", "厦门",
];
const BRANDS: &[&str] = &[
    "华丰", "恒达", "鑫源", "永盛", "瑞祥", "天成", "宏图", "金诚", "远航", "锦程",
];
const TRADES: &[&str] = &["贸易", "实业", "电子商务", "供应链", "日用品"];

/// The material number of index `n` (1-based): `A0001`.
pub fn material_number(n: usize) -> String {
    format!("A{n:04}")
}

/// The barcode of material `n` (1-based): `69` + 11 digits.
pub fn material_barcode(n: usize) -> String {
    format!("69{n:011}")
}

fn org_ref(number: &str) -> Val {
    let id = ORGS
        .iter()
        .position(|(n, _)| *n == number)
        .map_or(1, |i| i as i64 + 1);
    Val::Ref(RefVal {
        form: ORG.to_string(),
        id,
        number: number.to_string(),
    })
}

fn unit_ref(number: &str) -> Val {
    let id = UNITS
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case(number))
        .map_or(0, |i| 10101 + i as i64);
    let number = UNITS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(number))
        .map_or(number, |(n, _)| n);
    Val::Ref(RefVal {
        form: UNIT.to_string(),
        id,
        number: number.to_string(),
    })
}

fn record(id: i64, number: &str, name: &str, fields: &[(&str, Val)]) -> BaseRecord {
    BaseRecord {
        id,
        number: number.to_string(),
        name: name.to_string(),
        document_status: "C".to_string(),
        forbid_status: "A".to_string(),
        fields: fields
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    }
}

fn org_scoped() -> [(&'static str, Val); 2] {
    [
        ("FUseOrgId", org_ref("100")),
        ("FCreateOrgId", org_ref("100")),
    ]
}

/// Fixed reference tables every account has: organisations, units, currencies, bill types, stock statuses.
fn reference_tables(data: &mut SimData) {
    let orgs = ORGS
        .iter()
        .enumerate()
        .map(|(i, (n, name))| {
            record(
                i as i64 + 1,
                n,
                name,
                &[("FDescription", Val::Text(String::new()))],
            )
        })
        .collect();
    data.base.insert(ORG.to_string(), orgs);
    let units = UNITS
        .iter()
        .enumerate()
        .map(|(i, (n, name))| record(10101 + i as i64, n, name, &[]))
        .collect();
    data.base.insert(UNIT.to_string(), units);
    let currencies = CURRENCIES
        .iter()
        .enumerate()
        .map(|(i, (n, name, code))| {
            record(
                i as i64 + 1,
                n,
                name,
                &[("FCODE", Val::Text((*code).to_string()))],
            )
        })
        .collect();
    data.base.insert(CURRENCY.to_string(), currencies);
    let bill_types = BILL_TYPES
        .iter()
        .enumerate()
        .map(|(i, (n, name, form))| {
            record(
                10001 + i as i64,
                n,
                name,
                &[("FBillFormID", Val::Text((*form).to_string()))],
            )
        })
        .collect();
    data.base.insert(BILL_TYPE.to_string(), bill_types);
    let statuses = STOCK_STATUSES
        .iter()
        .enumerate()
        .map(|(i, (n, name))| record(10001 + i as i64, n, name, &[]))
        .collect();
    data.base.insert(STOCK_STATUS.to_string(), statuses);
}

/// The seeded demo account: deterministic for a given `seed` and `materials` count.
pub(crate) fn generate(seed: u64, materials: usize) -> SimData {
    let mut rng = SplitMix64::new(seed);
    let mut data = SimData::default();
    reference_tables(&mut data);

    let stocks = STOCKS
        .iter()
        .map(|(n, name)| {
            let mut fields = org_scoped().to_vec();
            fields.push(("FStockProperty", Val::Text("1".to_string())));
            record(data.take_id(), n, name, &fields)
        })
        .collect();
    data.base.insert(STOCK.to_string(), stocks);

    let mut mats = Vec::with_capacity(materials);
    for n in 1..=materials {
        let (unit, _) = *rng.pick(UNITS);
        let name = format!("{}{}", rng.pick(ADJECTIVES), rng.pick(NOUNS));
        let spec = format!("规格{}", 1 + rng.below(20) * 50);
        mats.push(material_record(
            data.take_id(),
            &material_number(n),
            &name,
            &material_barcode(n),
            unit,
            &spec,
        ));
    }
    data.base.insert(MATERIAL.to_string(), mats);

    let depts = DEPTS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            record(
                data.take_id(),
                &format!("BM{:06}", i + 1),
                name,
                &org_scoped(),
            )
        })
        .collect();
    data.base.insert(DEPT.to_string(), depts);

    let suppliers = (1..=10)
        .map(|i| {
            let brand = *rng.pick(BRANDS);
            let name = format!("{}{}{}有限公司", rng.pick(CITIES), brand, rng.pick(TRADES));
            let mut fields = org_scoped().to_vec();
            fields.push(("FShortName", Val::Text(brand.to_string())));
            record(data.take_id(), &format!("VEN{i:05}"), &name, &fields)
        })
        .collect();
    data.base.insert(SUPPLIER.to_string(), suppliers);
    data
}

/// A material record used by org `100`.
pub(crate) fn material_record(
    id: i64,
    number: &str,
    name: &str,
    barcode: &str,
    unit: &str,
    spec: &str,
) -> BaseRecord {
    let mut fields = org_scoped().to_vec();
    fields.push(("FSpecification", Val::Text(spec.to_string())));
    fields.push(("FBaseUnitId", unit_ref(unit)));
    fields.push(("FBARCODE", Val::Text(barcode.to_string())));
    fields.push(("FErpClsID", Val::Text("1".to_string())));
    record(id, number, name, &fields)
}

/// A simple base-data record (stock, department, supplier) used by org `100`.
pub(crate) fn scoped_record(id: i64, number: &str, name: &str) -> BaseRecord {
    record(id, number, name, &org_scoped())
}

/// The friendly data-file format: lists of base data; a missing list keeps the seeded default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DataFile {
    #[serde(default)]
    stocks: Option<Vec<Simple>>,
    #[serde(default)]
    materials: Option<Vec<MaterialSpec>>,
    #[serde(default)]
    departments: Option<Vec<Simple>>,
    #[serde(default)]
    suppliers: Option<Vec<Simple>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Simple {
    number: String,
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialSpec {
    number: String,
    name: String,
    #[serde(default)]
    barcode: String,
    #[serde(default = "default_unit")]
    unit: String,
    #[serde(default)]
    spec: String,
}

fn default_unit() -> String {
    "Pcs".to_string()
}

/// Reads a data file: either a full data set (as `GET /__sim/data` or `--persist` write it, with a
/// `base` key) or the friendly format `{"stocks":[{number,name}], "materials":[{number,name,barcode,
/// unit,spec}], "departments":[..], "suppliers":[..]}` on top of the seeded account.
pub(crate) fn load_data_file(
    path: &Path,
    seed: u64,
    materials: usize,
) -> Result<SimData, SimError> {
    let text = std::fs::read_to_string(path).map_err(|source| SimError::DataFile {
        path: path.to_path_buf(),
        reason: source.to_string(),
    })?;
    parse_data(&text, seed, materials).map_err(|reason| SimError::DataFile {
        path: path.to_path_buf(),
        reason,
    })
}

fn parse_data(text: &str, seed: u64, materials: usize) -> Result<SimData, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if value.get("base").is_some() {
        let mut data: SimData = serde_json::from_value(value).map_err(|e| e.to_string())?;
        data.reindex();
        return Ok(data);
    }
    let file: DataFile = serde_json::from_value(value).map_err(|e| e.to_string())?;
    let mut data = generate(seed, materials);
    let replace = |data: &mut SimData, form: &str, list: Vec<Simple>| {
        let records = list
            .into_iter()
            .map(|s| scoped_record(data.take_id(), &s.number, &s.name))
            .collect();
        data.base.insert(form.to_string(), records);
    };
    if let Some(list) = file.stocks {
        replace(&mut data, STOCK, list);
    }
    if let Some(list) = file.departments {
        replace(&mut data, DEPT, list);
    }
    if let Some(list) = file.suppliers {
        replace(&mut data, SUPPLIER, list);
    }
    if let Some(list) = file.materials {
        let mut mats = Vec::with_capacity(list.len());
        for m in list {
            if !UNITS.iter().any(|(n, _)| n.eq_ignore_ascii_case(&m.unit)) {
                return Err(format!("material {}: unknown unit {:?}", m.number, m.unit));
            }
            mats.push(material_record(
                data.take_id(),
                &m.number,
                &m.name,
                &m.barcode,
                &m.unit,
                &m.spec,
            ));
        }
        data.base.insert(MATERIAL.to_string(), mats);
    }
    Ok(data)
}

/// Whether `number` is one of the units (`Pcs`, `Jian`, `Xiang`, `Ping`, `kg`).
pub(crate) fn is_known_unit(number: &str) -> bool {
    UNITS.iter().any(|(n, _)| n.eq_ignore_ascii_case(number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_and_conventions_hold() {
        let a = generate(7, 200);
        let b = generate(7, 200);
        let c = generate(8, 200);
        assert_eq!(a, b);
        assert_ne!(a.base[MATERIAL], c.base[MATERIAL]);
        let mats = &a.base[MATERIAL];
        assert_eq!(mats.len(), 200);
        assert_eq!(mats[0].number, "A0001");
        assert_eq!(mats[199].number, "A0200");
        assert_eq!(
            mats[0].fields["FBARCODE"],
            Val::Text("6900000000001".to_string())
        );
        let stocks: Vec<&str> = a.base[STOCK].iter().map(|s| s.number.as_str()).collect();
        assert_eq!(stocks, ["CK001", "CK002", "CK003", "CK004"]);
        assert_eq!(a.base[DEPT][0].name, "仓储部");
        assert_eq!(a.base[DEPT][4].number, "BM000005");
        assert_eq!(a.base[SUPPLIER][9].number, "VEN00010");
        assert!(a.find_base(ORG, "101").is_some());
        assert!(a.find_base(STOCK, "CK09").is_none());
        assert!(a.find_base(MATERIAL, "X0001").is_none());
        assert!(a.find_base(BILL_TYPE, "QTCKD05_SYS").is_some());
        assert!(a.find_base(CURRENCY, "PRE001").is_some());
        assert!(a.find_base(STOCK_STATUS, "KCZT01_SYS").is_some());
    }

    #[test]
    fn friendly_data_file_replaces_lists_and_checks_units() {
        let data = parse_data(
            r#"{"stocks":[{"number":"S1","name":"一号仓"}],"materials":[{"number":"M1","name":"螺丝","unit":"kg"}]}"#,
            1,
            5,
        )
        .unwrap();
        assert_eq!(data.base[STOCK].len(), 1);
        assert_eq!(data.base[MATERIAL][0].number, "M1");
        assert_eq!(data.base[DEPT].len(), 5);
        assert!(
            parse_data(
                r#"{"materials":[{"number":"M1","name":"x","unit":"ton"}]}"#,
                1,
                5
            )
            .is_err()
        );
        assert!(parse_data(r#"{"nonsense":1}"#, 1, 5).is_err());
    }

    #[test]
    fn full_data_set_round_trips() {
        let data = generate(3, 10);
        let text = serde_json::to_string(&data).unwrap();
        assert_eq!(parse_data(&text, 0, 0).unwrap(), data);
    }
}
