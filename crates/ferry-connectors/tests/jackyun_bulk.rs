//! Connector ↔ simulator over 127.0.0.1: 10,000 stocktakes, each delivered exactly once, also
//! while the simulator throttles, fails and drops calls.

mod jackyun_common;

use std::collections::BTreeSet;
use std::sync::Arc;

use ferry_sim_jackyun::Faults;
use jackyun_common::*;
use serde_json::json;

async fn fetch_all(faults: Faults) -> (usize, Drained, ferry_sim_jackyun::SimStats) {
    let sim = start(sim_config(10_000)).await;
    sim.set_faults(faults).unwrap();
    let want: BTreeSet<String> = sim.stocktakes().iter().map(|d| d["stocktakeId"].as_str().unwrap().to_owned()).collect();
    assert_eq!(want.len(), 10_000);
    let conn = connect(&sim, json!({"rate_limit": 5000, "max_concurrency": 1, "retries": 4, "retry_base_ms": 2, "retry_max_ms": 20}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 100 }", r#"{ start: "2024-03-01", max_span: 7d }"#);
    let budget = Arc::new(RecordingBudget::default());
    let mut src = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
    // The engine retries a failed page; so does this driver (up to 10 times in a row).
    let got = drain(src.as_mut(), 10).await;
    assert!(got.stopped_by.is_none(), "{:?}", got.stopped_by);
    assert!(got.warnings.is_empty(), "{:?}", got.warnings);
    let keys = got.keys("stocktakeId");
    let set: BTreeSet<String> = keys.iter().cloned().collect();
    assert_eq!(keys.len(), 10_000, "every stocktake exactly once");
    assert_eq!(set, want);
    assert_eq!(got.last_checkpoint().unwrap()["done"], true);
    let stats = sim.stats();
    assert_eq!(budget.count() as u64, stats.requests, "every request went through the call budget");
    (budget.count(), got, stats)
}

#[tokio::test]
async fn ten_thousand_stocktakes_each_exactly_once() {
    let (calls, got, _) = fetch_all(Faults::default()).await;
    // 10,000 documents in pages of 100, sliced by week: about 100 full pages plus one short page per slice.
    assert!((100..=112).contains(&calls), "{calls}");
    assert!(got.retried.is_empty());
}

#[tokio::test]
async fn ten_thousand_stocktakes_each_exactly_once_while_the_gateway_throttles_and_fails_10_percent() {
    let faults = Faults { seed: 99, throttle_rate: 0.1, error_rate: 0.05, transient_error_rate: 0.03, drop_rate: 0.02, ..Faults::default() };
    let (calls, _, stats) = fetch_all(faults).await;
    let f = &stats.faults;
    assert!(f.throttled > 0 && f.http_errors > 0 && f.transient_errors > 0 && f.dropped > 0, "{f:?}");
    assert!(calls > 112, "retries happened: {calls}");
}
