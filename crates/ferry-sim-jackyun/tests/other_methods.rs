//! The other served APIs: data nodes, cursors, window rules, projections, and response modes.

mod common;

use std::collections::BTreeMap;

use common::{call, config, start_sim};
use ferry_sim_jackyun::{JackyunSimConfig, SuccessSubCodes};
use serde_json::{Value, json};

fn rows<'a>(v: &'a Value, node: Option<&str>) -> &'a Vec<Value> {
    assert_eq!(v["code"], 200, "{v}");
    let data = &v["result"]["data"];
    match node {
        Some(n) => data[n].as_array(),
        None => data.as_array(),
    }
    .unwrap_or_else(|| panic!("no rows: {v}"))
}

#[tokio::test]
async fn goodslist_pages_by_max_sku_id() {
    let sim = start_sim(config(5)).await;
    let mut max = "0".to_string();
    let mut all = Vec::new();
    loop {
        let v = call(
            &sim,
            "erp.storage.goodslist",
            &json!({"pageIndex":0,"pageSize":200,"maxSkuId":max}).to_string(),
        )
        .await;
        assert_eq!(v["subCode"], "0030000004");
        assert_eq!(v["msg"], "操作成功");
        let page = rows(&v, Some("goods")).clone();
        if page.is_empty() {
            break;
        }
        max = page.last().unwrap()["skuId"].as_str().unwrap().to_string();
        all.extend(page);
    }
    assert_eq!(all.len(), 203);
    assert_eq!(all[0]["goodsNo"], "A0001");
    assert!(all[0]["skuGmtModified"].is_i64(), "ERP dates are ms epoch");
    assert!(
        all.iter()
            .any(|g| g["goodsNo"] == "X0003" && g["skuBarcode"] == "6800000000003")
    );
    // A 200 cap: pageSize 500 is clamped.
    let v = call(&sim, "erp.storage.goodslist", r#"{"pageSize":500}"#).await;
    assert_eq!(rows(&v, Some("goods")).len(), 200);
    // Window on SKU modification time (ms-epoch field, Beijing-time bounds).
    let v = call(&sim, "erp.storage.goodslist", r#"{"pageSize":200,"startDateModifiedSku":"2024-04-20 00:00:00","endDateModifiedSku":"2024-04-30 23:59:59"}"#).await;
    let some = rows(&v, Some("goods"));
    assert!(!some.is_empty() && some.len() < 203);
}

#[tokio::test]
async fn warehouses_hide_blocked_ones_unless_asked() {
    let sim = start_sim(config(5)).await;
    let v = call(&sim, "erp.warehouse.get", "{}").await;
    let codes: Vec<&str> = rows(&v, Some("warehouseInfo"))
        .iter()
        .map(|w| w["warehouseCode"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["CK01", "CK02", "CK03", "CK04", "CK09"]);
    let v = call(
        &sim,
        "erp.warehouse.get",
        r#"{"includeDeleteAndBlockup":1}"#,
    )
    .await;
    assert_eq!(rows(&v, Some("warehouseInfo")).len(), 6);
}

#[tokio::test]
async fn stock_quantities_page_by_max_quantity_id_and_keep_the_typos() {
    let sim = start_sim(config(5)).await;
    let total = sim.data().stock_quantities.len();
    let mut max = String::new();
    let mut seen = 0;
    loop {
        let v = call(
            &sim,
            "erp.stockquantity.get",
            &json!({"pageSize":200,"maxQuantityId":max}).to_string(),
        )
        .await;
        let page = rows(&v, Some("goodsStockQuantity"));
        if page.is_empty() {
            break;
        }
        assert!(
            page[0].get("defectiveQuanity").is_some() && page[0].get("stockOutuantity").is_some()
        );
        seen += page.len();
        max = page.last().unwrap()["quantityId"]
            .as_str()
            .unwrap()
            .to_string();
    }
    assert_eq!(seen, total);
    let v = call(
        &sim,
        "erp.stockquantity.get",
        r#"{"warehouseCode":"CK02","pageSize":200}"#,
    )
    .await;
    assert!(
        rows(&v, Some("goodsStockQuantity"))
            .iter()
            .all(|r| r["warehouseCode"] == "CK02")
    );
}

#[tokio::test]
async fn trades_require_fields_and_a_window_of_at_most_seven_days() {
    let sim = start_sim(config(5)).await;
    let v = call(
        &sim,
        "oms.trade.fullinfoget",
        r#"{"startModified":"2024-04-01 00:00:00","endModified":"2024-04-02 00:00:00"}"#,
    )
    .await;
    assert_eq!(v["subCode"], "0050030002");
    assert!(v["msg"].as_str().unwrap().contains("fields"));
    let v = call(&sim, "oms.trade.fullinfoget", r#"{"fields":"tradeNo"}"#).await;
    assert_eq!(v["subCode"], "0050030002");
    let v = call(&sim, "oms.trade.fullinfoget", r#"{"fields":"tradeNo","startCreated":"2024-04-01 00:00:00","endCreated":"2024-04-08 00:00:01"}"#).await;
    assert_eq!(v["subCode"], "0050030002");
    assert!(v["msg"].as_str().unwrap().contains("7天"));
    let v = call(&sim, "oms.trade.fullinfoget", r#"{"fields":"tradeNo","startCreated":"2024-04-01 00:00:00","endCreated":"2024-04-08 00:00:00"}"#).await;
    assert_eq!(v["code"], 200);
    assert_eq!(v["subCode"], "", "OMS success subCode is empty");
}

#[tokio::test]
async fn trades_scroll_to_the_end_and_ignore_page_index() {
    let sim = start_sim(config(5)).await;
    let window = ("2024-04-10 00:00:00", "2024-04-16 23:59:59");
    let expected: Vec<String> = sim
        .data()
        .trades
        .iter()
        .filter(|t| {
            let c = t["gmtCreate"].as_str().unwrap();
            (window.0..=window.1).contains(&c)
        })
        .map(|t| t["tradeNo"].as_str().unwrap().to_string())
        .collect();
    assert!(expected.len() > 7, "{}", expected.len());
    let mut scroll = String::new();
    let mut got = Vec::new();
    for round in 0.. {
        let biz = json!({"fields":"tradeNo,goodsDetail.goodsNo,scrollId","startCreated":window.0,"endCreated":window.1,
            "pageSize":7,"pageIndex":round * 5,"scrollId":scroll});
        let v = call(&sim, "oms.trade.fullinfoget", &biz.to_string()).await;
        let page = rows(&v, Some("trades"));
        for t in page {
            assert!(
                t.get("shopName").is_none(),
                "only the requested fields: {t}"
            );
            assert!(t["goodsDetail"][0]["goodsNo"].is_string());
            assert!(t["goodsDetail"][0].get("sellCount").is_none());
            got.push(t["tradeNo"].as_str().unwrap().to_string());
        }
        scroll = v["result"]["data"]["scrollId"]
            .as_str()
            .unwrap()
            .to_string();
        if scroll.is_empty() {
            break;
        }
        assert!(round < 50);
    }
    assert_eq!(got, expected);
    let v = call(&sim, "oms.trade.fullinfoget", r#"{"fields":"tradeNo","startCreated":"2024-04-10 00:00:00","endCreated":"2024-04-11 00:00:00","scrollId":"forged"}"#).await;
    assert_eq!(v["subCode"], "0050030002");
}

#[tokio::test]
async fn shipments_need_a_window_of_at_most_24_hours() {
    let sim = start_sim(config(5)).await;
    let v = call(&sim, "wms.order.query-info.page", r#"{"pageIndex":0}"#).await;
    assert_eq!(v["subCode"], "0050030002");
    assert_eq!(v["msg"], "创建/完成/修改时间必传其一");
    let v = call(
        &sim,
        "wms.order.query-info.page",
        r#"{"startModifyTime":"2024-04-01 00:00:00","endModifyTime":"2024-04-02 00:00:01"}"#,
    )
    .await;
    assert_eq!(v["msg"], "修改时间起止时间差不能超过24小时");
    let biz = r#"{"startGmtCreate":"2024-04-10 00:00:00","endGmtCreate":"2024-04-11 00:00:00","pageIndex":0,"pageSize":200}"#;
    let v = call(&sim, "wms.order.query-info.page", biz).await;
    assert_eq!(v["subCode"], "0000000000");
    let page = rows(&v, None);
    assert!(!page.is_empty());
    assert!(page.iter().all(|s| s["outType"] == 201));
    assert_eq!(v["result"]["pageInfo"]["total"], page.len());
    let unreliable = start_sim(JackyunSimConfig {
        unreliable_total: true,
        ..config(5)
    })
    .await;
    let v = call(&unreliable, "wms.order.query-info.page", biz).await;
    assert_eq!(v["result"]["pageInfo"]["total"], 0);
    assert!(!rows(&v, None).is_empty());
}

#[tokio::test]
async fn goods_docs_are_detail_rows_with_types_and_cols() {
    let sim = start_sim(config(300)).await;
    // Every 103 row comes from an audited stocktake; rows of one document may span pages.
    let mut docs: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for page in 0.. {
        let biz = json!({"inouttypes":"103","archived":0,"cols":["goodsdocNo","inouttype","sourceBillNo","goodsNo","quantity"],"pageIndex":page,"pageSize":7});
        let v = call(&sim, "erp-busiorder.goodsdocin.search", &biz.to_string()).await;
        let r = rows(&v, None).clone();
        for row in &r {
            assert_eq!(row["inouttype"], 103);
            assert!(row.get("price").is_none(), "cols projection: {row}");
            docs.entry(row["goodsdocNo"].as_str().unwrap().to_string())
                .or_default()
                .push(row.clone());
        }
        if r.len() < 7 {
            break;
        }
    }
    assert!(docs.len() > 20, "{}", docs.len());
    let audited: Vec<Value> = sim
        .stocktakes()
        .into_iter()
        .filter(|s| s["status"] == 5)
        .collect();
    for rows in docs.values() {
        let src = rows[0]["sourceBillNo"].as_str().unwrap();
        let st = audited
            .iter()
            .find(|s| s["stocktakeId"] == src)
            .expect("source stocktake");
        let gains = st["stockTakeDetailViews"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["variQuan"].as_f64().unwrap() > 0.0)
            .count();
        assert_eq!(rows.len(), gains);
    }
    let v = call(
        &sim,
        "erp-busiorder.goodsdocout.search",
        r#"{"inouttypes":"201,203","pageSize":200}"#,
    )
    .await;
    let r = rows(&v, None);
    assert!(r.iter().any(|x| x["inouttype"] == 203) && r.iter().any(|x| x["inouttype"] == 201));
    assert!(r[0]["inOutDate"].is_i64());
    let v = call(
        &sim,
        "erp-busiorder.goodsdocout.search",
        r#"{"archived":1}"#,
    )
    .await;
    assert!(rows(&v, None).is_empty());
}

#[tokio::test]
async fn purchases_allocations_and_vendors() {
    let sim = start_sim(config(5)).await;
    let v = call(&sim, "erp.purch.search", r#"{"startDate":"2024-03-01 00:00:00","endDate":"2024-05-01 00:00:00","cols":"orderNum,headId,goodsNo,quantity","pageSize":200}"#).await;
    let r = rows(&v, None);
    assert!(!r.is_empty());
    assert_eq!(r[0].as_object().unwrap().len(), 4);
    let v = call(&sim, "erp.allocate.search", r#"{"startCreateTime":"2024-03-01 00:00:00","endCreateTime":"2024-05-01 00:00:00","pageSize":200}"#).await;
    let r = rows(&v, Some("stockAllocate"));
    assert!(
        r.iter()
            .all(|a| a["outWarehouseCode"] != a["inWarehouseCode"])
    );
    let v = call(&sim, "erp.vend.get", r#"{"pageSize":5,"pageIndex":2}"#).await;
    let r = rows(&v, Some("vendInfo"));
    assert_eq!(r.len(), 2, "12 vendors: page 2 of 5 has 2");
    assert_eq!(r[0]["vendCode"], "V011");
}

#[tokio::test]
async fn response_modes_numeric_ids_json_string_data_and_empty_subcodes() {
    let sim = start_sim(JackyunSimConfig {
        ids_as_strings: false,
        success_sub_codes: SuccessSubCodes::Empty,
        ..config(5)
    })
    .await;
    let v = call(&sim, "wms.stocktake.get", r#"{"pageSize":1}"#).await;
    assert_eq!(v["subCode"], "");
    let d = &v["result"]["data"]["stockTake"][0];
    assert!(d["id"].is_u64() && d["warehouseId"].is_u64(), "{d}");
    assert!(d["stocktakeId"].is_string());
    let sim = start_sim(JackyunSimConfig {
        data_as_json_string: true,
        ..config(5)
    })
    .await;
    let v = call(&sim, "wms.stocktake.get", r#"{"pageSize":2}"#).await;
    let inner: Value = serde_json::from_str(v["result"]["data"].as_str().unwrap()).unwrap();
    assert_eq!(inner["stockTake"].as_array().unwrap().len(), 2);
}
