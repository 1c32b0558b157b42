//! Connector ↔ simulator over 127.0.0.1: paging, window slicing, checkpoints and resumption.

mod jackyun_common;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use ferry_connectors::jackyun::window::parse_beijing;
use ferry_core::connector::{ErrorClass, Unmetered};
use ferry_sim_jackyun::{BelowBasePage, Faults, StocktakeDataLocation};
use jackyun_common::*;
use serde_json::{Value, json};

fn sim_ids(sim: &ferry_sim_jackyun::JackyunSim) -> BTreeSet<String> {
    sim.stocktakes().iter().map(|d| d["stocktakeId"].as_str().unwrap().to_owned()).collect()
}

fn unique(keys: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(set.len(), keys.len(), "duplicate keys delivered");
    set
}

#[tokio::test]
async fn pages_137_stocktakes_to_the_last_page_under_base_0_and_1() {
    for base in [0u32, 1] {
        let sim = start(ferry_sim_jackyun::JackyunSimConfig { page_base: base, ..sim_config(137) }).await;
        let conn = connect(&sim, json!({"page_base": base}));
        let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 50 }", "");
        let budget = Arc::new(RecordingBudget::default());
        let mut src = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
        let got = drain(src.as_mut(), 0).await;
        assert!(got.stopped_by.is_none(), "{:?}", got.stopped_by);
        assert_eq!(unique(&got.keys("stocktakeId")), sim_ids(&sim), "base {base}");
        assert!(got.warnings.is_empty(), "{:?}", got.warnings);
        assert_eq!(budget.count(), 3, "137 = 50 + 50 + 37: three calls, base {base}");
        let pages: Vec<i64> = sim.stats().recent.iter().filter_map(|c| c.page_index).collect();
        let b = i64::from(base);
        assert_eq!(pages, vec![b, b + 1, b + 2]);
        assert_eq!(got.pages.iter().map(|p| p.records.len()).collect::<Vec<_>>(), vec![50, 50, 37]);
        assert_eq!(got.last_checkpoint().unwrap(), json!({"done": true}));
        // Records are typed per the metadata: ids as strings, status and quantities as numbers.
        let doc = &got.records[0];
        assert!(doc["id"].is_string() && doc["status"].is_u64(), "{doc}");
        assert!(doc["stockTakeDetailViews"][0]["variQuan"].is_number());
        assert!(doc["stockTakeDetailViews"][0]["skuId"].is_string());
        sim.shutdown().await;
    }
}

#[tokio::test]
async fn a_one_based_gateway_is_found_when_the_connection_says_0() {
    let sim = start(ferry_sim_jackyun::JackyunSimConfig { page_base: 1, ..sim_config(137) }).await;
    let conn = connect(&sim, json!({}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 50 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert_eq!(unique(&got.keys("stocktakeId")), sim_ids(&sim));
    assert_eq!(got.warnings.len(), 1);
    assert!(got.warnings[0].contains("1-based"), "{:?}", got.warnings);
    let pages: Vec<i64> = sim.stats().recent.iter().filter_map(|c| c.page_index).collect();
    assert_eq!(pages, vec![0, 1, 2, 3]);
}

#[tokio::test]
async fn a_lenient_one_based_gateway_serving_page_0_twice_loses_nothing() {
    let cfg = ferry_sim_jackyun::JackyunSimConfig { page_base: 1, below_base_page: BelowBasePage::FirstPage, ..sim_config(137) };
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 50 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert_eq!(unique(&got.keys("stocktakeId")), sim_ids(&sim));
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
}

#[tokio::test]
async fn a_gateway_that_ignores_page_index_stops_with_a_warning_instead_of_looping() {
    let mut cfg = sim_config(137);
    cfg.faults = Faults { ignore_page_index: true, ..Faults::default() };
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({}));
    for api_params in ["{ pageSize: 50 }", "{ pageSize: 20, warehouseCode: CK01 }"] {
        sim.reset_stats();
        let spec = source_spec("wms.stocktake.get", "stocktakeId", api_params, "");
        let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
        let got = drain(src.as_mut(), 0).await;
        assert!(got.stopped_by.is_none());
        unique(&got.keys("stocktakeId"));
        assert_eq!(got.warnings.len(), 1, "{:?}", got.warnings);
        assert!(got.warnings[0].contains("ignore pageIndex"), "{}", got.warnings[0]);
        // Page 0, page 1 (tolerated: 0 and 1 may be the same first page), page 2: stop.
        assert_eq!(sim.stats().methods["wms.stocktake.get"].calls, 3);
    }
    // A confirmed 0-based API stops at the first repeat.
    sim.reset_stats();
    let spec = source_spec("erp.warehouse.get", "warehouseCode", "{ pageSize: 2 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert_eq!((got.records.len(), got.warnings.len()), (2, 1));
    assert_eq!(sim.stats().methods["erp.warehouse.get"].calls, 2);
}

fn date_of(doc: &Value) -> i64 {
    parse_beijing(doc["stocktakeDate"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn a_95_day_window_in_30_day_slices_reads_4_slices_with_records_from_each() {
    let sim = start(sim_config(300)).await;
    // The generated data covers the 56 days before the anchor; add documents to the first slice.
    let template = sim.stocktakes()[0].clone();
    for (i, date) in ["2024-01-27 09:00:00", "2024-02-10 10:30:00", "2024-02-25 23:59:59"].iter().enumerate() {
        let mut doc = template.clone();
        doc["stocktakeId"] = json!(format!("PDOLD{i}"));
        doc["stocktakeDate"] = json!(date);
        doc["id"] = Value::Null;
        sim.upsert_stocktake(doc).unwrap();
    }
    let conn = connect(&sim, json!({}));
    let spec = source_spec(
        "wms.stocktake.get",
        "stocktakeId",
        "{ pageSize: 100 }",
        r#"{ from: startPdDate, to: endPdDate, start: "2024-01-27 00:00:00", max_span: 30d }"#,
    );
    let budget = Arc::new(RecordingBudget::default());
    let mut src = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert!(got.stopped_by.is_none() && got.warnings.is_empty(), "{:?} {:?}", got.stopped_by, got.warnings);
    assert_eq!(unique(&got.keys("stocktakeId")), sim_ids(&sim));
    let bounds = ["2024-01-27 00:00:00", "2024-02-26 00:00:00", "2024-03-27 00:00:00", "2024-04-26 00:00:00", "2024-05-01 00:00:00"]
        .map(|s| parse_beijing(s).unwrap());
    let mut per_slice = [0usize; 4];
    for r in &got.records {
        let d = date_of(r);
        let i = (0..4).find(|&i| d >= bounds[i] && d < bounds[i + 1]).expect("a record outside the window");
        per_slice[i] += 1;
    }
    assert!(per_slice.iter().all(|&n| n > 0), "{per_slice:?}");
    assert_eq!(per_slice[0], 3);
    // Slice 1 (3 records) needs one call; each slice ends on a short page.
    let expected_calls: usize = per_slice.iter().map(|n| n / 100 + 1).sum();
    assert_eq!(budget.count(), expected_calls);
    let last = got.last_checkpoint().unwrap();
    assert_eq!(last, json!({"window_start": "2024-01-27 00:00:00", "window_end": "2024-05-01 00:00:00", "done": true}));
    // Every intermediate checkpoint names the slice still to read.
    let cp = &got.pages[0].checkpoint;
    assert_eq!(cp["slice_start"], "2024-02-26 00:00:00");
    assert_eq!(cp["slice_end"], "2024-03-27 00:00:00");
    assert_eq!(cp["done"], false);
}

#[tokio::test]
async fn a_run_stopped_by_the_quota_resumes_from_its_checkpoint_exactly_once() {
    let sim = start(sim_config(137)).await;
    let conn = connect(&sim, json!({}));
    let window = r#"{ start: "2024-03-01", max_span: 7d }"#;
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 10 }", window);
    let mut keys = Vec::new();
    let mut resume = None;
    let mut runs = 0;
    loop {
        runs += 1;
        assert!(runs < 20, "never finished");
        let budget = RecordingBudget::limited(4);
        let mut src = open_source(&conn, &spec, resume.clone(), budget, anchor_now()).await.unwrap();
        let got = drain(src.as_mut(), 0).await;
        keys.extend(got.keys("stocktakeId"));
        if let Some(cp) = got.last_checkpoint() {
            resume = Some(cp);
        }
        match got.stopped_by {
            Some(e) => assert_eq!(e.class, ErrorClass::Quota),
            None => break,
        }
    }
    assert!(runs > 3, "{runs}");
    assert_eq!(unique(&keys), sim_ids(&sim));
    assert_eq!(resume.unwrap()["done"], true);
}

#[tokio::test]
async fn the_next_run_rescans_the_look_back_and_sees_late_status_changes() {
    let sim = start(sim_config(300)).await;
    let conn = connect(&sim, json!({}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{}", r#"{ start: "2024-03-01", lookback: 7d }"#);
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let first = drain(src.as_mut(), 0).await;
    assert_eq!(first.records.len(), 300);
    let cp = first.last_checkpoint().unwrap();
    assert_eq!(cp["window_end"], "2024-05-01 00:00:00");

    // A document 5 days old gets audited after the first run; a new one appears.
    let since = parse_beijing("2024-04-24 00:00:00").unwrap();
    let old = sim
        .stocktakes()
        .into_iter()
        .find(|d| date_of(d) >= since && d["status"] != 5)
        .expect("a recent unaudited stocktake");
    let old_id = old["stocktakeId"].as_str().unwrap().to_owned();
    sim.set_stocktake_status(&old_id, 5).unwrap();
    let mut fresh = old.clone();
    fresh["stocktakeId"] = json!("PDNEW0001");
    fresh["stocktakeDate"] = json!("2024-05-01 09:00:00");
    fresh["id"] = Value::Null;
    sim.upsert_stocktake(fresh).unwrap();

    let next_day: jiff::Timestamp = "2024-05-01T16:00:00Z".parse().unwrap();
    let mut src = open_source(&conn, &spec, Some(cp), Arc::new(Unmetered), next_day).await.unwrap();
    let second = drain(src.as_mut(), 0).await;
    let expected: BTreeSet<String> = sim
        .stocktakes()
        .iter()
        .filter(|d| date_of(d) >= since)
        .map(|d| d["stocktakeId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(unique(&second.keys("stocktakeId")), expected);
    let again = second.records.iter().find(|d| d["stocktakeId"] == old_id.as_str()).unwrap();
    assert_eq!(again["status"], 5);
    assert_eq!(
        second.last_checkpoint().unwrap(),
        json!({"window_start": "2024-04-24 00:00:00", "window_end": "2024-05-02 00:00:00", "done": true})
    );
}

#[tokio::test]
async fn a_bare_array_and_numeric_ids_are_read_too() {
    let cfg = ferry_sim_jackyun::JackyunSimConfig {
        stocktake_data_location: StocktakeDataLocation::BareArray,
        ids_as_strings: false,
        data_as_json_string: true,
        ..sim_config(60)
    };
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 50 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert_eq!(unique(&got.keys("stocktakeId")), sim_ids(&sim));
    let served: std::collections::HashMap<String, String> = sim
        .stocktakes()
        .iter()
        .map(|d| (d["stocktakeId"].as_str().unwrap().to_owned(), d["id"].as_str().unwrap().to_owned()))
        .collect();
    for r in &got.records {
        // 19-digit ids served as JSON numbers arrive as the exact same digits, as strings.
        assert_eq!(r["id"].as_str().unwrap(), served[r["stocktakeId"].as_str().unwrap()]);
        assert!(r["warehouseId"].is_string() && r["stockTakeDetailViews"][0]["goodsId"].is_string());
    }
}

#[tokio::test]
async fn cursor_scroll_and_bare_array_apis_read_everything() {
    let sim = start(sim_config(50)).await;
    let data = sim.data();
    let conn = connect(&sim, json!({}));

    // maxSkuId cursor.
    let spec = source_spec("erp.storage.goodslist", "skuId", "{ pageSize: 50 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let want: HashSet<String> = data.goods.iter().map(|g| g["skuId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(got.records.len(), want.len());
    assert_eq!(got.keys("skuId").into_iter().collect::<HashSet<_>>(), want);

    // scrollId cursor, 7-day slices (the API's cap) over the 56 days of trades.
    let spec = source_spec(
        "oms.trade.fullinfoget",
        "tradeNo",
        "{ fields: \"tradeNo,gmtModified,goodsDetail.goodsNo\", pageSize: 20 }",
        r#"{ start: "2024-03-01" }"#,
    );
    let budget = Arc::new(RecordingBudget::default());
    let mut src = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert!(got.stopped_by.is_none() && got.warnings.is_empty(), "{:?} {:?}", got.stopped_by, got.warnings);
    let (from, to) = (parse_beijing("2024-03-01").unwrap(), parse_beijing("2024-05-01").unwrap());
    let within = |v: &Value| (from..to).contains(&parse_beijing(v.as_str().unwrap()).unwrap());
    let want: BTreeSet<String> = data
        .trades
        .iter()
        .filter(|t| within(&t["gmtModified"]))
        .map(|t| t["tradeNo"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(unique(&got.keys("tradeNo")), want);
    assert!(budget.count() > 9, "{}", budget.count());

    // A bare array in result.data, 24-hour slices.
    let spec = source_spec("wms.order.query-info.page", "orderNo", "{}", r#"{ start: "2024-04-25" }"#);
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert!(got.stopped_by.is_none(), "{:?}", got.stopped_by);
    let from = parse_beijing("2024-04-25").unwrap();
    let want = data.shipments.iter().filter(|s| (from..to).contains(&parse_beijing(s["gmtModified"].as_str().unwrap()).unwrap())).count();
    assert!(want > 0);
    assert_eq!(got.records.len(), want);
    assert_eq!(got.pages.len(), 6, "one call per day");

    // Flat paging with a data node.
    let spec = source_spec("erp.warehouse.get", "warehouseCode", "{ includeDeleteAndBlockup: 1, pageSize: 2 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert_eq!(got.records.len(), data.warehouses.len());
}
