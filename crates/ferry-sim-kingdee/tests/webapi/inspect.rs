//! Inspection endpoints, mutators, reset, persistence across restarts, data determinism, shutdown.

use ferry_sim_kingdee::{KingdeeSimConfig, SimData};
use serde_json::{Value, json};

use crate::client::{Kd, demo, http, inbound, logged_in, rs};

const MISC: &str = "STK_MISCELLANEOUS";

fn root(kd: &Kd) -> String {
    kd.base.trim_end_matches("k3cloud/").to_string()
}

#[tokio::test]
async fn stats_and_bills_endpoints() {
    let (sim, kd) = demo().await;
    kd.form("BatchSave", MISC, json!({"Model": [inbound("S1", "A0001", "CK001", 2.0), inbound("S2", "NOPE", "CK001", 2.0)]})).await;
    let stats: Value = kd
        .http
        .get(format!("{}__sim/stats", root(&kd)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["calls"]["ValidateUser"], 1);
    assert_eq!(stats["calls"]["BatchSave"], 1);
    assert_eq!(stats["logins_ok"], 1);
    assert_eq!(stats["models_saved"], 1);
    assert_eq!(stats["models_failed"], 1);
    assert_eq!(stats["bills"][MISC], 1);
    assert_eq!(stats["live_sessions"], 1);
    let bills: Value = kd
        .http
        .get(format!("{}__sim/bills?form=stk_miscellaneous", root(&kd)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bills[0]["number"], "S1");
    assert_eq!(bills[0]["status"], "A");
    assert_eq!(bills[0]["raw_model"], inbound("S1", "A0001", "CK001", 2.0));
    assert!(bills[0]["id"].as_i64().unwrap() > 0);
    let unknown = kd
        .http
        .get(format!("{}__sim/bills?form=NOPE", root(&kd)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(sim.stats().requests, 2);
}

#[tokio::test]
async fn adding_materials_makes_them_usable() {
    let (sim, kd) = demo().await;
    let v = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("N1", "X0001", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(
        rs(&v)["IsSuccess"],
        false,
        "Jackyun's X0001 does not exist here"
    );
    let r = kd
        .http
        .post(format!("{}__sim/materials", root(&kd)))
        .json(&json!({"number": "X0001", "name": "测试货品", "barcode": "6999999999999", "unit": "Xiang"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let dup = kd
        .http
        .post(format!("{}__sim/materials", root(&kd)))
        .json(&json!({"number": "x0001", "name": "again"}))
        .send()
        .await
        .unwrap();
    assert_eq!(dup.status(), 409);
    sim.add_material("X0002", "另一个", "6999999999998", "kg")
        .unwrap();
    assert!(sim.add_material("X0003", "bad unit", "", "ton").is_err());
    sim.add_stock("CK09", "退货仓").unwrap();
    let v = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("N1", "X0001", "CK09", 1.0)}),
        )
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    let rows = kd.query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber,FBaseUnitId.FNumber,FBARCODE", "FilterString": "FNumber like 'X%'", "OrderString": "FNumber"})).await;
    assert_eq!(
        rows,
        json!([
            ["X0001", "Xiang", "6999999999999"],
            ["X0002", "kg", "6999999999998"]
        ])
    );
}

#[tokio::test]
async fn reset_restores_the_initial_state() {
    let (sim, kd) = demo().await;
    kd.form(
        "Save",
        MISC,
        json!({"Model": inbound("R1", "A0001", "CK001", 1.0)}),
    )
    .await;
    sim.add_material("X0009", "x", "", "Pcs").unwrap();
    let r = kd
        .http
        .post(format!("{}__sim/reset", root(&kd)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(sim.bills(MISC).is_empty());
    assert!(sim.data().find_base("BD_MATERIAL", "X0009").is_none());
    assert_eq!(sim.stats().requests, 0);
    // Sessions are gone too.
    let v = kd
        .query(json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber"}))
        .await;
    assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
}

#[tokio::test]
async fn the_data_is_deterministic_from_the_seed() {
    let get = |seed: u64| async move {
        let cfg = KingdeeSimConfig {
            seed,
            materials: 50,
            ..KingdeeSimConfig::default()
        };
        let sim = ferry_sim_kingdee::start(cfg, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let url = format!("http://{}/__sim/data", sim.local_addr());
        let data: SimData = http().get(url).send().await.unwrap().json().await.unwrap();
        data
    };
    let (a, b, c) = (get(7).await, get(7).await, get(8).await);
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mats = &a.base["BD_MATERIAL"];
    assert_eq!(mats.len(), 50);
    assert_eq!(mats[49].number, "A0050");
    assert_eq!(
        c.base["BD_STOCK"], a.base["BD_STOCK"],
        "the conventions do not depend on the seed"
    );
}

#[tokio::test]
async fn persisted_bills_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = KingdeeSimConfig {
        persist_file: Some(dir.path().join("kingdee.json")),
        ..KingdeeSimConfig::default()
    };
    let (sim, kd) = logged_in(cfg.clone()).await;
    kd.form(
        "BatchSave",
        MISC,
        json!({"IsAutoSubmitAndAudit": true, "Model": [inbound("", "A0001", "CK001", 1.0)]}),
    )
    .await;
    sim.shutdown().await.unwrap();
    let (sim, kd) = logged_in(cfg).await;
    let kept = sim.bills(MISC);
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].number, "QTRK000001");
    assert_eq!(kept[0].status, "C");
    let v = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("", "A0001", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(v["Result"]["Number"], "QTRK000002", "numbering continues");
    assert!(v["Result"]["Id"].as_i64().unwrap() > kept[0].id);
}

#[tokio::test]
async fn shutdown_and_drop_free_the_port() {
    let sim = ferry_sim_kingdee::start(KingdeeSimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sim.local_addr();
    assert!(sim.base_url().ends_with("/k3cloud/"));
    let client = http();
    let url = format!("http://{addr}/__sim/stats");
    assert!(client.get(&url).send().await.is_ok());
    sim.shutdown().await.unwrap();
    assert!(http().get(&url).send().await.is_err());
    let sim = ferry_sim_kingdee::start(KingdeeSimConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let url = format!("http://{}/__sim/stats", sim.local_addr());
    drop(sim);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(http().get(&url).send().await.is_err());
}

#[tokio::test]
async fn a_data_file_replaces_the_seeded_lists() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.json");
    std::fs::write(
        &path,
        r#"{"stocks":[{"number":"WH1","name":"一号仓"}],"materials":[{"number":"M-1","name":"螺丝","barcode":"690","unit":"kg","spec":"M3*8"}]}"#,
    )
    .unwrap();
    let cfg = KingdeeSimConfig {
        data_file: Some(path),
        ..KingdeeSimConfig::default()
    };
    let (_sim, kd) = logged_in(cfg).await;
    let v = kd.query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber,FName,FSpecification,FBaseUnitId.FNumber"})).await;
    assert_eq!(v, json!([["M-1", "螺丝", "M3*8", "kg"]]));
    let v = kd
        .query(json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber"}))
        .await;
    assert_eq!(v, json!([["WH1"]]));
    let bad = KingdeeSimConfig {
        data_file: Some(dir.path().join("missing.json")),
        ..KingdeeSimConfig::default()
    };
    let err = ferry_sim_kingdee::start(bad, "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert!(err.to_string().contains("missing.json"));
}
