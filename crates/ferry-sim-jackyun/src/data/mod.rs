//! The simulator's data: a [`DataSet`] of JSON records per collection, generated
//! deterministically ([`GenerateOptions`]) or loaded from a file.

mod catalog;
mod master;
mod stock_docs;
mod stocktakes;
mod trades;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::civil::{days_of, today_beijing, value_civil_secs};
use crate::error::SimError;

/// Every collection the simulator serves, as the JSON records it serves (before per-request
/// formatting such as the stocktake date format or numeric ids).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct DataSet {
    /// erp.warehouse.get rows (`warehouseInfo`).
    pub warehouses: Vec<Value>,
    /// erp.storage.goodslist rows (`goods`), one per SKU, sorted by `skuId`.
    pub goods: Vec<Value>,
    /// erp.stockquantity.get rows (`goodsStockQuantity`), sorted by `quantityId`.
    pub stock_quantities: Vec<Value>,
    /// wms.stocktake.get documents, kept sorted by (`stocktakeDate`, `stocktakeId`).
    pub stocktakes: Vec<Value>,
    /// oms.trade.fullinfoget trades, sorted by `gmtCreate`.
    pub trades: Vec<Value>,
    /// wms.order.query-info.page shipments, sorted by `gmtCreate`.
    pub shipments: Vec<Value>,
    /// erp-busiorder.goodsdocin.search detail rows.
    pub goods_docs_in: Vec<Value>,
    /// erp-busiorder.goodsdocout.search detail rows.
    pub goods_docs_out: Vec<Value>,
    /// erp.purch.search detail rows.
    pub purchases: Vec<Value>,
    /// erp.allocate.search detail rows (`stockAllocate`).
    pub allocations: Vec<Value>,
    /// erp.vend.get rows (`vendInfo`).
    pub vendors: Vec<Value>,
}

/// How to generate a data set. Same options → identical data (see the crate docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateOptions {
    /// Seed of every random choice (default 1).
    pub seed: u64,
    /// The Beijing civil date the data is "as of": stocktakes, trades and documents fall in
    /// the 8 weeks (56 days) before it (default: today in Asia/Shanghai).
    pub anchor_date: jiff::civil::Date,
    /// Number of regular goods `A0001`.. (default 200, at most 9999).
    pub goods: u32,
    /// Number of stocktakes (default 300).
    pub stocktakes: u32,
    /// Number of sales orders (default 300).
    pub trades: u32,
    /// Number of purchase orders (default 60).
    pub purchase_orders: u32,
    /// Number of transfers (default 40).
    pub allocations: u32,
    /// Number of other inbound/outbound documents (default 40).
    pub other_stock_docs: u32,
    /// Number of vendors (default 12).
    pub vendors: u32,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            anchor_date: today_beijing(),
            goods: 200,
            stocktakes: 300,
            trades: 300,
            purchase_orders: 60,
            allocations: 40,
            other_stock_docs: 40,
            vendors: 12,
        }
    }
}

impl GenerateOptions {
    /// Checks the sizes; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=9999).contains(&self.goods) {
            return Err(format!("goods: must be 1..=9999, got {}", self.goods));
        }
        for (name, n) in [
            ("stocktakes", self.stocktakes),
            ("trades", self.trades),
            ("purchase_orders", self.purchase_orders),
            ("allocations", self.allocations),
            ("other_stock_docs", self.other_stock_docs),
        ] {
            if n > 1_000_000 {
                return Err(format!("{name}: must be at most 1000000, got {n}"));
            }
        }
        if !(1..=999).contains(&self.vendors) {
            return Err(format!("vendors: must be 1..=999, got {}", self.vendors));
        }
        Ok(())
    }
}

/// A quantity held in tenths as JSON: an integer, or one decimal for decimal goods.
pub(crate) fn qty(tenths: i64, decimal: bool) -> Value {
    if decimal {
        Value::from(tenths as f64 / 10.0)
    } else {
        Value::from(tenths / 10)
    }
}

/// An amount in cents as a JSON number with at most 2 decimals.
pub(crate) fn money(cents: i64) -> Value {
    Value::from(cents as f64 / 100.0)
}

impl DataSet {
    /// Generates the data set of `opts` (deterministic).
    pub fn generate(opts: &GenerateOptions) -> DataSet {
        let anchor_day = days_of(opts.anchor_date);
        let warehouses = catalog::warehouses();
        let goods = catalog::regular_goods(opts.goods, anchor_day);
        let x_goods = catalog::jackyun_only_goods(anchor_day);
        let all_goods: Vec<&catalog::Item> = goods.iter().chain(x_goods.iter()).collect();
        let stocktakes = stocktakes::generate(
            opts.seed,
            anchor_day,
            opts.stocktakes as usize,
            &warehouses,
            &goods,
            &x_goods,
        );
        let (trades, shipments) = trades::generate(
            opts.seed,
            anchor_day,
            opts.trades as usize,
            &warehouses,
            &goods,
        );
        let docs = stock_docs::generate(
            opts.seed,
            anchor_day,
            &stock_docs::Sizes {
                purchase_orders: opts.purchase_orders as usize,
                allocations: opts.allocations as usize,
                other_docs: opts.other_stock_docs as usize,
                vendors: opts.vendors,
            },
            &warehouses,
            &goods,
            &stocktakes,
            &shipments,
        );
        DataSet {
            warehouses: master::warehouse_rows(&warehouses, anchor_day),
            goods: master::goods_rows(&all_goods),
            stock_quantities: master::stock_quantity_rows(
                opts.seed,
                anchor_day,
                &warehouses,
                &goods,
            ),
            stocktakes,
            trades,
            shipments,
            goods_docs_in: docs.docs_in,
            goods_docs_out: docs.docs_out,
            purchases: docs.purchases,
            allocations: docs.allocations,
            vendors: master::vendor_rows(opts.vendors, opts.seed, anchor_day),
        }
    }

    /// A data set from JSON: a [`DataSet`] object, or a bare array of stocktakes. Stocktakes are
    /// validated (see [`DataSet::upsert_stocktake`]) and sorted.
    pub fn from_json(value: Value) -> Result<DataSet, SimError> {
        let mut set = match value {
            Value::Array(stocktakes) => DataSet {
                stocktakes,
                ..DataSet::default()
            },
            v @ Value::Object(_) => {
                serde_json::from_value(v).map_err(|e| SimError::InvalidRecord(e.to_string()))?
            }
            _ => {
                return Err(SimError::InvalidRecord(
                    "data must be a JSON object or an array of stocktakes".into(),
                ));
            }
        };
        let mut seen = std::collections::BTreeSet::new();
        for (i, st) in set.stocktakes.iter().enumerate() {
            validate_stocktake(st)
                .map_err(|e| SimError::InvalidRecord(format!("stocktakes[{i}]: {e}")))?;
            let id = st["stocktakeId"].as_str().unwrap_or_default();
            if !seen.insert(id.to_string()) {
                return Err(SimError::InvalidRecord(format!(
                    "stocktakes[{i}]: duplicate stocktakeId {id}"
                )));
            }
        }
        set.sort_stocktakes();
        Ok(set)
    }

    /// Loads a data set from a JSON file (see [`DataSet::from_json`]).
    pub fn load(path: &Path) -> Result<DataSet, SimError> {
        let err = |message: String| SimError::DataFile {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
        DataSet::from_json(value).map_err(|e| err(e.to_string()))
    }

    /// Sorts stocktakes stably by (`stocktakeDate`, `stocktakeId`).
    pub(crate) fn sort_stocktakes(&mut self) {
        self.stocktakes.sort_by(|a, b| {
            let ka = value_civil_secs(&a["stocktakeDate"]);
            let kb = value_civil_secs(&b["stocktakeDate"]);
            ka.cmp(&kb)
                .then_with(|| a["stocktakeId"].as_str().cmp(&b["stocktakeId"].as_str()))
        });
    }

    /// Inserts a stocktake, or replaces the one with the same `stocktakeId`; returns true when
    /// it was new. The document must be an object with a non-empty string `stocktakeId`, a
    /// `stocktakeDate` (`yyyy-MM-dd HH:mm:ss` or ms epoch) and, if present, an array
    /// `stockTakeDetailViews`. A missing `id` is assigned.
    pub fn upsert_stocktake(&mut self, mut doc: Value) -> Result<bool, SimError> {
        validate_stocktake(&doc).map_err(SimError::InvalidRecord)?;
        let id = doc["stocktakeId"].as_str().unwrap_or_default().to_string();
        let pos = self
            .stocktakes
            .iter()
            .position(|s| s["stocktakeId"].as_str() == Some(id.as_str()));
        if doc.get("id").is_none_or(Value::is_null) {
            let internal = pos
                .and_then(|p| self.stocktakes[p].get("id").cloned())
                .unwrap_or_else(|| {
                    Value::from(
                        (2_299_000_000_000_000_000u64 + self.stocktakes.len() as u64 + 1)
                            .to_string(),
                    )
                });
            doc["id"] = internal;
        }
        let created = match pos {
            Some(p) => {
                self.stocktakes[p] = doc;
                false
            }
            None => {
                self.stocktakes.push(doc);
                true
            }
        };
        self.sort_stocktakes();
        Ok(created)
    }

    /// Sets the `status` (1..=6) of a stocktake.
    pub fn set_stocktake_status(&mut self, stocktake_id: &str, status: u8) -> Result<(), SimError> {
        if !(1..=6).contains(&status) {
            return Err(SimError::InvalidRecord(format!(
                "status must be 1..=6, got {status}"
            )));
        }
        let doc = self
            .stocktakes
            .iter_mut()
            .find(|s| s["stocktakeId"].as_str() == Some(stocktake_id))
            .ok_or_else(|| SimError::StocktakeNotFound(stocktake_id.to_string()))?;
        doc["status"] = Value::from(status);
        Ok(())
    }
}

fn validate_stocktake(doc: &Value) -> Result<(), String> {
    let obj = doc.as_object().ok_or("a stocktake must be a JSON object")?;
    match obj.get("stocktakeId") {
        Some(Value::String(s)) if !s.is_empty() => {}
        _ => return Err("stocktakeId must be a non-empty string".into()),
    }
    match obj.get("stocktakeDate") {
        Some(v) if value_civil_secs(v).is_some() => {}
        _ => {
            return Err(
                "stocktakeDate must be \"yyyy-MM-dd HH:mm:ss\" or a ms-epoch number".into(),
            );
        }
    }
    if let Some(lines) = obj.get("stockTakeDetailViews")
        && !lines.is_array()
    {
        return Err("stockTakeDetailViews must be an array".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts(seed: u64) -> GenerateOptions {
        GenerateOptions {
            seed,
            anchor_date: jiff::civil::date(2024, 5, 1),
            ..GenerateOptions::default()
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let a = DataSet::generate(&opts(5));
        assert_eq!(a, DataSet::generate(&opts(5)));
        assert_ne!(a.stocktakes, DataSet::generate(&opts(6)).stocktakes);
        assert_eq!(a.goods.len(), 203);
        assert_eq!(a.stocktakes.len(), 300);
        assert_eq!(a.trades.len(), 300);
        assert!(!a.shipments.is_empty());
        assert!(!a.stock_quantities.is_empty());
        assert!(!a.purchases.is_empty() && !a.allocations.is_empty());
        assert_eq!(a.vendors.len(), 12);
        for t in [103, 101, 104] {
            assert!(a.goods_docs_in.iter().any(|r| r["inouttype"] == t), "{t}");
        }
        for t in [201, 202, 203, 204] {
            assert!(a.goods_docs_out.iter().any(|r| r["inouttype"] == t), "{t}");
        }
    }

    #[test]
    fn upsert_and_status_change() {
        let mut set = DataSet::generate(&GenerateOptions {
            stocktakes: 5,
            ..opts(1)
        });
        let created = set
            .upsert_stocktake(json!({"stocktakeId": "PD202401010001", "stocktakeDate": "2024-01-01 09:00:00", "status": 2}))
            .unwrap();
        assert!(created);
        assert_eq!(set.stocktakes[0]["stocktakeId"], "PD202401010001");
        assert!(set.stocktakes[0]["id"].is_string());
        set.set_stocktake_status("PD202401010001", 5).unwrap();
        assert_eq!(set.stocktakes[0]["status"], 5);
        let again = set
            .upsert_stocktake(json!({"stocktakeId": "PD202401010001", "stocktakeDate": "2024-01-01 09:00:00", "status": 6}))
            .unwrap();
        assert!(!again);
        assert_eq!(set.stocktakes.len(), 6);
        assert!(matches!(
            set.set_stocktake_status("nope", 5),
            Err(SimError::StocktakeNotFound(_))
        ));
        assert!(set.set_stocktake_status("PD202401010001", 7).is_err());
        assert!(set.upsert_stocktake(json!({"stocktakeId": "x"})).is_err());
        assert!(
            set.upsert_stocktake(json!({"stocktakeDate": "2024-01-01 09:00:00"}))
                .is_err()
        );
    }

    #[test]
    fn from_json_accepts_a_bare_array_and_rejects_duplicates() {
        let set = DataSet::from_json(json!([
            {"stocktakeId": "B", "stocktakeDate": "2024-01-02 00:00:00"},
            {"stocktakeId": "A", "stocktakeDate": 1704067200000i64}
        ]))
        .unwrap();
        assert_eq!(set.stocktakes[0]["stocktakeId"], "A");
        let dup = DataSet::from_json(json!([
            {"stocktakeId": "A", "stocktakeDate": "2024-01-02 00:00:00"},
            {"stocktakeId": "A", "stocktakeDate": "2024-01-02 00:00:00"}
        ]));
        assert!(dup.unwrap_err().to_string().contains("duplicate"));
    }
}
