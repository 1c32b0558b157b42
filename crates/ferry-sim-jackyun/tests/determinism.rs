//! Same seed and anchor → identical data; the shared data conventions hold in what is served.

mod common;

use std::collections::BTreeSet;

use common::{call, config, start_sim};
use ferry_sim_jackyun::{DataSet, DataSource, GenerateOptions, JackyunSimConfig};
use serde_json::Value;

fn opts(seed: u64) -> GenerateOptions {
    GenerateOptions {
        seed,
        anchor_date: jiff::civil::date(2024, 5, 1),
        ..GenerateOptions::default()
    }
}

#[tokio::test]
async fn same_seed_same_data_over_the_wire() {
    let a = start_sim(JackyunSimConfig {
        data: DataSource::Generate(opts(42)),
        ..config(0)
    })
    .await;
    let b = start_sim(JackyunSimConfig {
        data: DataSource::Generate(opts(42)),
        ..config(0)
    })
    .await;
    let c = start_sim(JackyunSimConfig {
        data: DataSource::Generate(opts(43)),
        ..config(0)
    })
    .await;
    let get = |url: String| async move {
        common::http()
            .get(url)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let da = get(format!("{}/__sim/data", a.base_url())).await;
    let db = get(format!("{}/__sim/data", b.base_url())).await;
    let dc = get(format!("{}/__sim/data", c.base_url())).await;
    assert_eq!(da, db);
    assert_ne!(da["stocktakes"], dc["stocktakes"]);
    // Goods master data does not depend on the seed.
    assert_eq!(da["goods"], dc["goods"]);
    let page_a = call(&a, "wms.stocktake.get", r#"{"pageIndex":3,"pageSize":20}"#).await;
    let page_b = call(&b, "wms.stocktake.get", r#"{"pageIndex":3,"pageSize":20}"#).await;
    assert_eq!(page_a["result"]["data"], page_b["result"]["data"]);
}

#[test]
fn the_shared_conventions_hold() {
    let set = DataSet::generate(&opts(1));
    let codes: BTreeSet<&str> = set
        .stocktakes
        .iter()
        .map(|d| d["warehouseCode"].as_str().unwrap())
        .collect();
    assert!(codes.is_subset(&BTreeSet::from(["CK01", "CK02", "CK03", "CK04", "CK09"])));
    assert!(codes.contains("CK09"));
    let mut a_goods = 0;
    for d in &set.stocktakes {
        let id = d["stocktakeId"].as_str().unwrap();
        assert!(id.len() == 14 && id.starts_with("PD"), "{id}");
        for l in d["stockTakeDetailViews"].as_array().unwrap() {
            let no = l["goodsNo"].as_str().unwrap();
            let n: u32 = no[1..].parse().unwrap();
            let barcode = l["skuBarcode"].as_str().unwrap();
            match &no[..1] {
                "A" => {
                    a_goods += 1;
                    assert!((1..=200).contains(&n));
                    assert_eq!(barcode, format!("69{n:011}"));
                }
                "X" => {
                    assert!((1..=3).contains(&n));
                    assert_eq!(barcode, format!("68{n:011}"));
                    assert_ne!(l["variQuan"].as_f64().unwrap(), 0.0);
                    assert_eq!(d["status"], 5);
                }
                other => panic!("unexpected goods prefix {other}"),
            }
            assert!(["个", "件", "箱", "瓶", "kg"].contains(&l["unitName"].as_str().unwrap()));
            let price = l["price"].as_f64().unwrap();
            assert!(
                ((price * 100.0).round() - price * 100.0).abs() < 1e-6,
                "2 decimals: {price}"
            );
        }
    }
    assert!(a_goods > 300);
    let names: Vec<(&str, &str)> = set
        .warehouses
        .iter()
        .map(|w| {
            (
                w["warehouseCode"].as_str().unwrap(),
                w["warehouseName"].as_str().unwrap(),
            )
        })
        .collect();
    for pair in [
        ("CK01", "成品仓"),
        ("CK02", "原料仓"),
        ("CK03", "半成品仓"),
        ("CK04", "电商仓"),
        ("CK09", "退货仓"),
    ] {
        assert!(names.contains(&pair), "{pair:?}");
    }
    // Sizes are configurable.
    let small = DataSet::generate(&GenerateOptions {
        goods: 20,
        stocktakes: 7,
        ..opts(1)
    });
    assert_eq!(small.stocktakes.len(), 7);
    assert_eq!(small.goods.len(), 23);
}

#[tokio::test]
async fn a_data_file_can_replace_the_generated_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stocktakes.json");
    std::fs::write(
        &path,
        r#"[{"stocktakeId":"PD202405010001","stocktakeDate":"2024-05-01 09:00:00","warehouseCode":"CK01","status":5,"stockTakeDetailViews":[]}]"#,
    )
    .unwrap();
    let sim = start_sim(JackyunSimConfig {
        data: DataSource::File(path.clone()),
        ..config(0)
    })
    .await;
    let v = call(&sim, "wms.stocktake.get", "{}").await;
    assert_eq!(common::stocktake_ids(&v), ["PD202405010001"]);
    std::fs::write(&path, "not json").unwrap();
    let err = ferry_sim_jackyun::start(
        JackyunSimConfig {
            data: DataSource::File(path),
            ..config(0)
        },
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("stocktakes.json"), "{err}");
}
