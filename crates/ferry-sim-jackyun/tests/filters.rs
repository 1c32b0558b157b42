//! wms.stocktake.get filters: date window (inclusive, Beijing time), warehouseCode, skuBarcode
//! comma lists, unknown params ignored, and the date formats.

mod common;

use common::{call, config, start_sim, stocktake_ids};
use ferry_sim_jackyun::{DateFormat, JackyunSimConfig};
use serde_json::{Value, json};

fn doc(id: &str, date: Value, warehouse: &str, barcodes: &[&str]) -> Value {
    let lines: Vec<Value> = barcodes
        .iter()
        .map(|b| json!({"skuBarcode": b, "goodsNo": "A0001", "stockQuan": 1, "takeQuan": 2, "variQuan": 1}))
        .collect();
    json!({"stocktakeId": id, "stocktakeDate": date, "warehouseCode": warehouse, "status": 5,
           "stockTakeDetailViews": lines})
}

/// A simulator holding only the given documents (loaded inline).
async fn sim_with(docs: Vec<Value>, cfg: JackyunSimConfig) -> ferry_sim_jackyun::JackyunSim {
    let set = ferry_sim_jackyun::DataSet::from_json(Value::Array(docs)).unwrap();
    start_sim(JackyunSimConfig {
        data: ferry_sim_jackyun::DataSource::Inline(Box::new(set)),
        ..cfg
    })
    .await
}

fn edge_docs() -> Vec<Value> {
    vec![
        doc(
            "PD-BEFORE",
            json!("2024-04-30 23:59:59"),
            "CK01",
            &["6900000000001"],
        ),
        doc(
            "PD-START",
            json!("2024-05-01 00:00:00"),
            "CK01",
            &["6900000000002"],
        ),
        doc(
            "PD-MID",
            json!("2024-05-01 12:00:00"),
            "CK02",
            &["6900000000003", "6900000000001"],
        ),
        doc(
            "PD-END",
            json!("2024-05-01 23:59:59"),
            "CK01",
            &["6900000000004"],
        ),
        doc(
            "PD-AFTER",
            json!("2024-05-02 00:00:00"),
            "CK01",
            &["6900000000005"],
        ),
        // 2024-05-01 16:30:00 UTC = 2024-05-02 00:30:00 Beijing: outside the window.
        doc(
            "PD-EPOCH-OUT",
            json!(1714581000000i64),
            "CK01",
            &["6900000000006"],
        ),
        // 2024-04-30 16:00:00 UTC = 2024-05-01 00:00:00 Beijing: inside.
        doc(
            "PD-EPOCH-IN",
            json!(1714492800000i64),
            "CK01",
            &["6900000000007"],
        ),
    ]
}

async fn query(sim: &ferry_sim_jackyun::JackyunSim, biz: Value) -> Vec<String> {
    stocktake_ids(&call(sim, "wms.stocktake.get", &biz.to_string()).await)
}

#[tokio::test]
async fn the_window_is_inclusive_and_read_in_beijing_time() {
    let sim = sim_with(edge_docs(), config(0)).await;
    let ids = query(
        &sim,
        json!({"startPdDate": "2024-05-01 00:00:00", "endPdDate": "2024-05-01 23:59:59"}),
    )
    .await;
    assert_eq!(ids, ["PD-EPOCH-IN", "PD-START", "PD-MID", "PD-END"]);
    let ids = query(&sim, json!({"startPdDate": "2024-05-02 00:00:00"})).await;
    assert_eq!(ids, ["PD-AFTER", "PD-EPOCH-OUT"]);
    let ids = query(&sim, json!({"endPdDate": "2024-04-30 23:59:59"})).await;
    assert_eq!(ids, ["PD-BEFORE"]);
    // A bare date is midnight.
    let ids = query(
        &sim,
        json!({"startPdDate": "2024-05-01", "endPdDate": "2024-05-01"}),
    )
    .await;
    assert_eq!(ids, ["PD-EPOCH-IN", "PD-START"]);
    // A malformed bound is a parameter error.
    let v = call(&sim, "wms.stocktake.get", r#"{"startPdDate":"01/05/2024"}"#).await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["subCode"], "0050030002");
}

#[tokio::test]
async fn warehouse_and_barcode_filters() {
    let sim = sim_with(edge_docs(), config(0)).await;
    assert_eq!(
        query(&sim, json!({"warehouseCode": "CK02"})).await,
        ["PD-MID"]
    );
    assert_eq!(
        query(&sim, json!({"warehouseCode": "ck02"})).await,
        ["PD-MID"]
    );
    // Any line matching; the document comes back whole.
    let v = call(
        &sim,
        "wms.stocktake.get",
        r#"{"skuBarcode":"6900000000001"}"#,
    )
    .await;
    assert_eq!(stocktake_ids(&v), ["PD-BEFORE", "PD-MID"]);
    assert_eq!(
        v["result"]["data"]["stockTake"][1]["stockTakeDetailViews"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Comma lists (with spaces and a full-width comma) and combination with the warehouse.
    let ids = query(
        &sim,
        json!({"skuBarcode": "6900000000002, 6900000000004，6900000000003"}),
    )
    .await;
    assert_eq!(ids, ["PD-START", "PD-MID", "PD-END"]);
    let ids = query(
        &sim,
        json!({"skuBarcode": "6900000000002,6900000000003", "warehouseCode": "CK01"}),
    )
    .await;
    assert_eq!(ids, ["PD-START"]);
    assert!(query(&sim, json!({"skuBarcode": "0000"})).await.is_empty());
}

#[tokio::test]
async fn unknown_params_are_silently_ignored() {
    let sim = sim_with(edge_docs(), config(0)).await;
    let all = query(&sim, json!({})).await;
    assert_eq!(all.len(), 7);
    // A wrong window name returns unfiltered data, as the real gateway does.
    let ids = query(
        &sim,
        json!({"startDate": "2024-05-01 00:00:00", "endDate": "2024-05-01 23:59:59", "foo": [1]}),
    )
    .await;
    assert_eq!(ids, all);
}

#[tokio::test]
async fn generated_data_filters_agree_with_the_data_set() {
    let sim = start_sim(config(300)).await;
    let docs = sim.stocktakes();
    let expect: Vec<String> = docs
        .iter()
        .filter(|d| d["warehouseCode"] == "CK03")
        .filter(|d| {
            let t = d["stocktakeDate"].as_str().unwrap();
            ("2024-04-01 00:00:00"..="2024-04-14 23:59:59").contains(&t)
        })
        .map(|d| d["stocktakeId"].as_str().unwrap().to_string())
        .collect();
    assert!(!expect.is_empty());
    let mut got = Vec::new();
    for page in 0.. {
        let ids = query(
            &sim,
            json!({"warehouseCode":"CK03","startPdDate":"2024-04-01 00:00:00","endPdDate":"2024-04-14 23:59:59","pageIndex":page,"pageSize":4}),
        )
        .await;
        let done = ids.len() < 4;
        got.extend(ids);
        if done {
            break;
        }
    }
    assert_eq!(got, expect);
}

#[tokio::test]
async fn stocktake_dates_can_be_served_as_epoch_millis() {
    for (format, expect) in [
        (DateFormat::EpochMillis, json!(1714492800000i64)),
        (DateFormat::EpochMillisString, json!("1714492800000")),
        (DateFormat::DateTimeString, json!("2024-05-01 00:00:00")),
    ] {
        let sim = sim_with(
            vec![doc("PD-1", json!("2024-05-01 00:00:00"), "CK01", &["1"])],
            JackyunSimConfig {
                stocktake_date_format: format,
                ..config(0)
            },
        )
        .await;
        let v = call(&sim, "wms.stocktake.get", "{}").await;
        assert_eq!(v["result"]["data"]["stockTake"][0]["stocktakeDate"], expect);
    }
}

#[tokio::test]
async fn an_optional_window_cap_rejects_wide_windows() {
    let sim = start_sim(JackyunSimConfig {
        stocktake_window_cap_secs: Some(7 * 86_400),
        ..config(10)
    })
    .await;
    let v = call(
        &sim,
        "wms.stocktake.get",
        r#"{"startPdDate":"2024-04-01 00:00:00","endPdDate":"2024-04-09 00:00:00"}"#,
    )
    .await;
    assert_eq!(v["subCode"], "0050030002");
    let v = call(
        &sim,
        "wms.stocktake.get",
        r#"{"startPdDate":"2024-04-01 00:00:00","endPdDate":"2024-04-08 00:00:00"}"#,
    )
    .await;
    assert_eq!(v["code"], 200);
}
