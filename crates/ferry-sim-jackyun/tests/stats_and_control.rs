//! The inspection endpoints, data mutation for tests (status changes after the stocktake date),
//! and reset.

mod common;

use common::{
    APPKEY, SECRET, call, config, http, params, post_form, signed, start_sim, stocktake_ids,
};
use serde_json::{Value, json};

#[tokio::test]
async fn stats_count_calls_per_method_and_appkey_and_what_was_served() {
    let sim = start_sim(config(12)).await;
    call(&sim, "wms.stocktake.get", r#"{"pageIndex":0,"pageSize":5}"#).await;
    call(&sim, "wms.stocktake.get", r#"{"pageIndex":2,"pageSize":5}"#).await;
    call(&sim, "erp.warehouse.get", "{}").await;
    let (_, v) = post_form(
        &sim.gateway_url(),
        &signed(params(APPKEY, "wms.stocktake.get", "{}"), "bad"),
    )
    .await;
    assert_eq!(v["code"], 0);

    let stats: Value = http()
        .get(format!("{}/__sim/stats", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 4);
    let st = &stats["methods"]["wms.stocktake.get"];
    assert_eq!(st["calls"], 3);
    assert_eq!(st["ok"], 2);
    assert_eq!(st["failed"], 1);
    assert_eq!(st["records_served"], 7);
    assert_eq!(stats["methods"]["erp.warehouse.get"]["records_served"], 5);
    assert_eq!(stats["appkeys"][APPKEY], 4);
    assert_eq!(stats["errors"]["0858030801"], 1);
    let recent = stats["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 4);
    assert_eq!(recent[1]["page_index"], 2);
    let expected: Vec<Value> = sim.stocktakes()[10..12]
        .iter()
        .map(|d| d["stocktakeId"].clone())
        .collect();
    assert_eq!(recent[1]["keys"].as_array().unwrap(), &expected);
    assert_eq!(recent[3]["outcome"], "error");
    assert_eq!(recent[3]["sub_code"], "0858030801");
    // The library handle sees the same.
    assert_eq!(sim.stats().requests, 4);
    // Nothing secret is ever exposed.
    assert!(!stats.to_string().contains(SECRET));
    sim.reset_stats();
    assert_eq!(sim.stats().requests, 0);
}

#[tokio::test]
async fn data_endpoints_and_stocktake_mutation() {
    let sim = start_sim(config(10)).await;
    let base = sim.base_url();
    let listed: Value = http()
        .get(format!("{base}/__sim/data/stocktakes"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 10);
    let all: Value = http()
        .get(format!("{base}/__sim/data"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["stocktakes"], listed);
    assert!(all["goods"].as_array().unwrap().len() >= 203);

    // A document counted earlier and audited later: the look-back case.
    let target = sim.stocktakes().iter().find(|d| d["status"] != 5).unwrap()["stocktakeId"]
        .as_str()
        .unwrap()
        .to_string();
    let r = http()
        .post(format!("{base}/__sim/stocktakes/status"))
        .json(&json!({"stocktakeId": target, "status": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v = call(&sim, "wms.stocktake.get", r#"{"pageSize":100}"#).await;
    let doc = v["result"]["data"]["stockTake"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["stocktakeId"] == target.as_str())
        .unwrap()
        .clone();
    assert_eq!(doc["status"], 5);
    let r = http()
        .post(format!("{base}/__sim/stocktakes/status"))
        .json(&json!({"stocktakeId": "PD-NOPE", "status": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Upsert a new document over HTTP and through the handle.
    let new_doc = json!({"stocktakeId": "PD202404300099", "stocktakeDate": "2024-04-30 10:00:00",
        "warehouseCode": "CK01", "status": 5, "stockTakeDetailViews": [
            {"goodsNo": "A0001", "skuBarcode": "6900000000001", "stockQuan": 3, "takeQuan": 5, "variQuan": 2}]});
    let r = http()
        .post(format!("{base}/__sim/stocktakes"))
        .json(&new_doc)
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        json!({"stocktakeId": "PD202404300099", "created": true})
    );
    let v = call(
        &sim,
        "wms.stocktake.get",
        r#"{"startPdDate":"2024-04-30 10:00:00","endPdDate":"2024-04-30 10:00:00"}"#,
    )
    .await;
    assert!(stocktake_ids(&v).contains(&"PD202404300099".to_string()));
    assert!(
        !sim.upsert_stocktake(
            json!({"stocktakeId": "PD202404300099", "stocktakeDate": "2024-04-30 11:00:00"})
        )
        .unwrap()
    );
    let r = http()
        .post(format!("{base}/__sim/stocktakes"))
        .json(&json!({"status": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // Reset restores the initial data and faults and clears the stats.
    sim.set_faults(ferry_sim_jackyun::Faults {
        throttle_rate: 1.0,
        ..Default::default()
    })
    .unwrap();
    let r = http()
        .post(format!("{base}/__sim/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.stocktakes().len(), 10);
    assert!(
        sim.stocktakes()
            .iter()
            .all(|d| d["stocktakeId"] != "PD202404300099")
    );
    assert_eq!(sim.faults(), ferry_sim_jackyun::Faults::default());
    assert_eq!(sim.stats().requests, 0);
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sim = start_sim(config(5)).await;
    let url = sim.gateway_url();
    sim.shutdown().await;
    let p = signed(params(APPKEY, "erp.warehouse.get", "{}"), SECRET);
    assert!(http().post(&url).form(&p).send().await.is_err());
    let sim = start_sim(config(5)).await;
    let url = sim.gateway_url();
    drop(sim);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(http().post(&url).form(&p).send().await.is_err());
}
