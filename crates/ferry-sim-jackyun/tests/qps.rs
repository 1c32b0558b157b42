//! The per-appkey QPS limit.

mod common;

use std::time::Duration;

use common::{APPKEY, SECRET, config, params, post_form, signed, start_sim};
use ferry_sim_jackyun::{AppCredential, Faults, JackyunSimConfig};

#[tokio::test]
async fn calls_beyond_the_qps_limit_are_throttled_per_appkey() {
    // 0.5 call/s: a bucket of one token, refilled every 2 s — wide enough margins for a busy CI.
    let mut cfg = JackyunSimConfig {
        faults: Faults {
            qps_limit: Some(0.5),
            ..Faults::default()
        },
        ..config(5)
    };
    cfg.credentials
        .push(AppCredential::new("other", "other-secret"));
    let sim = start_sim(cfg).await;
    let url = sim.gateway_url();
    let mut codes = Vec::new();
    for _ in 0..4 {
        let (_, v) = post_form(
            &url,
            &signed(params(APPKEY, "erp.warehouse.get", "{}"), SECRET),
        )
        .await;
        codes.push(v["subCode"].as_str().unwrap().to_string());
    }
    assert_eq!(codes[0], "0030000004", "{codes:?}");
    assert!(codes[1..].iter().all(|c| c == "0859999999"), "{codes:?}");
    // Another appkey has its own bucket.
    let (_, v) = post_form(
        &url,
        &signed(params("other", "erp.warehouse.get", "{}"), "other-secret"),
    )
    .await;
    assert_eq!(v["code"], 200, "{v}");
    // Once the bucket has refilled, calls pass again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, v) = post_form(
        &url,
        &signed(params(APPKEY, "erp.warehouse.get", "{}"), SECRET),
    )
    .await;
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(sim.stats().faults.qps_limited, 3);
}
