//! Every fault kind, on demand (config, `set_faults`, `POST /__sim/faults`), reproducible from
//! the fault seed.

mod common;

use std::time::{Duration, Instant};

use common::{APPKEY, SECRET, call, config, http, params, signed, start_sim, stocktake_ids};
use ferry_sim_jackyun::{Faults, JackyunSimConfig};
use serde_json::{Value, json};

const BIZ: &str = r#"{"pageIndex":0,"pageSize":5}"#;

async fn outcomes(faults: Faults, n: usize) -> Vec<String> {
    let sim = start_sim(JackyunSimConfig {
        faults,
        ..config(10)
    })
    .await;
    let mut out = Vec::new();
    for _ in 0..n {
        let v = call(&sim, "wms.stocktake.get", BIZ).await;
        out.push(v["subCode"].as_str().unwrap().to_string());
    }
    out
}

#[tokio::test]
async fn throttling_a_fraction_is_reproducible_from_the_seed() {
    let f = Faults {
        seed: 11,
        throttle_rate: 0.4,
        ..Faults::default()
    };
    let a = outcomes(f.clone(), 30).await;
    let b = outcomes(f.clone(), 30).await;
    assert_eq!(a, b);
    let throttled = a.iter().filter(|c| *c == "0859999999").count();
    assert!((3..=27).contains(&throttled), "{a:?}");
    assert!(a.iter().any(|c| c == "0000000000"));
    let c = outcomes(Faults { seed: 12, ..f }, 30).await;
    assert_ne!(a, c);
}

#[tokio::test]
async fn a_throttle_burst_then_normal_service() {
    let sim = start_sim(config(10)).await;
    sim.set_faults(Faults {
        throttle_burst: 3,
        ..Faults::default()
    })
    .unwrap();
    for _ in 0..3 {
        let v = call(&sim, "wms.stocktake.get", BIZ).await;
        assert_eq!(v["code"], 0);
        assert_eq!(v["subCode"], "0859999999");
        assert!(v["msg"].as_str().unwrap().contains("限流"));
    }
    assert_eq!(call(&sim, "wms.stocktake.get", BIZ).await["code"], 200);
    assert_eq!(sim.stats().faults.throttled, 3);
}

#[tokio::test]
async fn throttles_can_be_http_429() {
    let sim = start_sim(config(5)).await;
    sim.set_faults(Faults {
        throttle_rate: 1.0,
        throttle_http_429: true,
        ..Faults::default()
    })
    .unwrap();
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    let (status, v) = common::post_form(&sim.gateway_url(), &p).await;
    assert_eq!(status, 429);
    assert_eq!(v["subCode"], "0859999999");
}

#[tokio::test]
async fn quota_exhausted_by_fault_or_by_the_daily_quota() {
    let sim = start_sim(config(5)).await;
    sim.set_faults(Faults {
        quota_exhausted: true,
        ..Faults::default()
    })
    .unwrap();
    let v = call(&sim, "wms.stocktake.get", BIZ).await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["subCode"], "0130000609");
    assert!(v["msg"].as_str().unwrap().contains("额度不足"));

    let sim = start_sim(JackyunSimConfig {
        daily_quota: Some(2),
        ..config(5)
    })
    .await;
    // A call failing authentication does not count.
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), "wrong");
    let (_, v) = common::post_form(&sim.gateway_url(), &p).await;
    assert_eq!(v["subCode"], "0858030801");
    assert_eq!(call(&sim, "wms.stocktake.get", BIZ).await["code"], 200);
    assert_eq!(call(&sim, "wms.stocktake.get", BIZ).await["code"], 200);
    let v = call(&sim, "wms.stocktake.get", BIZ).await;
    assert!(v["msg"].as_str().unwrap().contains("额度不足"), "{v}");
    assert_eq!(
        call(&sim, "erp.warehouse.get", "{}").await["code"],
        200,
        "quota is per method"
    );
    assert_eq!(sim.stats().faults.quota_exhausted, 1);
}

#[tokio::test]
async fn http_5xx_for_a_fraction_of_calls() {
    let sim = start_sim(config(5)).await;
    sim.set_faults(Faults {
        error_rate: 1.0,
        error_status: 503,
        ..Faults::default()
    })
    .unwrap();
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    let r = http()
        .post(sim.gateway_url())
        .form(&p)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.text().await.unwrap().contains("503"));
    sim.set_faults(Faults {
        seed: 5,
        error_rate: 0.5,
        ..Faults::default()
    })
    .unwrap();
    let mut statuses = Vec::new();
    for _ in 0..20 {
        let r = http()
            .post(sim.gateway_url())
            .form(&p)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert!(
        statuses.contains(&502) && statuses.contains(&200),
        "{statuses:?}"
    );
    // Same seed again → same sequence.
    sim.set_faults(Faults {
        seed: 5,
        error_rate: 0.5,
        ..Faults::default()
    })
    .unwrap();
    let mut again = Vec::new();
    for _ in 0..20 {
        let r = http()
            .post(sim.gateway_url())
            .form(&p)
            .send()
            .await
            .unwrap();
        again.push(r.status().as_u16());
    }
    assert_eq!(statuses, again);
}

#[tokio::test]
async fn slow_responses() {
    let sim = start_sim(config(5)).await;
    sim.set_faults(Faults {
        latency_ms: 300,
        latency_jitter_ms: 100,
        ..Faults::default()
    })
    .unwrap();
    let t = Instant::now();
    assert_eq!(call(&sim, "wms.stocktake.get", BIZ).await["code"], 200);
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(300), "{took:?}");
    // A client timeout shorter than the latency surfaces as a timeout.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(100))
        .build()
        .unwrap();
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    let err = client
        .post(sim.gateway_url())
        .form(&p)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(sim.stats().faults.delayed >= 1);
}

#[tokio::test]
async fn dropped_connections_surface_as_connection_errors() {
    let sim = start_sim(config(5)).await;
    sim.set_faults(Faults {
        drop_next: 1,
        ..Faults::default()
    })
    .unwrap();
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    let client = http();
    let err = client
        .post(sim.gateway_url())
        .form(&p)
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && err.status().is_none(), "{err:?}");
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    let chain = format!("{err:?}").to_lowercase();
    // A real TCP reset (SO_LINGER 0), not a clean close.
    assert!(chain.contains("connection reset"), "{chain}");
    // The next call, on a fresh connection, is served.
    let r = client
        .post(sim.gateway_url())
        .form(&p)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.stats().faults.dropped, 1);

    // A fraction of drops, reproducible from the seed.
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.set_faults(Faults {
            seed: 3,
            drop_rate: 0.5,
            ..Faults::default()
        })
        .unwrap();
        let mut oks = Vec::new();
        for _ in 0..16 {
            oks.push(http().post(sim.gateway_url()).form(&p).send().await.is_ok());
        }
        runs.push(oks);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&true) && runs[0].contains(&false),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn the_ignores_page_index_bug_serves_the_first_page_forever() {
    let sim = start_sim(config(30)).await;
    sim.set_faults(Faults {
        ignore_page_index: true,
        ..Faults::default()
    })
    .unwrap();
    let p0 =
        stocktake_ids(&call(&sim, "wms.stocktake.get", r#"{"pageIndex":0,"pageSize":5}"#).await);
    let p3 =
        stocktake_ids(&call(&sim, "wms.stocktake.get", r#"{"pageIndex":3,"pageSize":5}"#).await);
    assert_eq!(p0.len(), 5);
    assert_eq!(p0, p3);
    let g0 = call(&sim, "erp.warehouse.get", r#"{"pageIndex":0,"pageSize":2}"#).await;
    let g1 = call(&sim, "erp.warehouse.get", r#"{"pageIndex":1,"pageSize":2}"#).await;
    assert_eq!(g0["result"]["data"], g1["result"]["data"]);
    assert_eq!(sim.stats().faults.page_index_ignored, 2);
}

#[tokio::test]
async fn tenant_disabled_and_transient_errors() {
    let sim = start_sim(config(5)).await;
    sim.set_faults(Faults {
        tenant_disabled: true,
        ..Faults::default()
    })
    .unwrap();
    let v = call(&sim, "wms.stocktake.get", BIZ).await;
    assert_eq!(v["subCode"], "0130000609");
    assert_eq!(
        v["msg"],
        "该应用未开通开放平台，无法调用接口，请联系客户经理处理"
    );
    sim.set_faults(Faults {
        transient_error_rate: 1.0,
        ..Faults::default()
    })
    .unwrap();
    let v = call(&sim, "wms.stocktake.get", BIZ).await;
    assert_eq!(v["code"], 0);
    assert!(v["msg"].as_str().unwrap().contains("short-circuited"));
}

#[tokio::test]
async fn faults_from_the_config_and_the_control_endpoint() {
    let sim = start_sim(JackyunSimConfig {
        faults: Faults {
            throttle_burst: 1,
            ..Faults::default()
        },
        ..config(5)
    })
    .await;
    assert_eq!(
        call(&sim, "wms.stocktake.get", BIZ).await["subCode"],
        "0859999999"
    );
    let url = format!("{}/__sim/faults", sim.base_url());
    let r = http()
        .post(&url)
        .json(&json!({"throttle_burst": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got: Value = http().get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(got["throttle_burst"], 2);
    assert_eq!(got["error_status"], 502);
    assert_eq!(sim.faults().throttle_burst, 2);
    assert_eq!(
        call(&sim, "wms.stocktake.get", BIZ).await["subCode"],
        "0859999999"
    );
    assert_eq!(
        call(&sim, "wms.stocktake.get", BIZ).await["subCode"],
        "0859999999"
    );
    assert_eq!(call(&sim, "wms.stocktake.get", BIZ).await["code"], 200);
    for bad in [
        json!({"nope": 1}),
        json!({"drop_rate": 2.0}),
        json!({"error_status": 200}),
    ] {
        let r = http().post(&url).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].is_string());
    }
    let r = http().post(&url).body("{").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(
        sim.set_faults(Faults {
            throttle_rate: -0.1,
            ..Faults::default()
        })
        .is_err()
    );
}
