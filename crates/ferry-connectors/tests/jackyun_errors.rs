//! Connector ↔ simulator over 127.0.0.1: every error class, retries, throttling and the
//! connection's rate.

mod jackyun_common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ferry_connectors::jackyun::JackyunConnection;
use ferry_connectors::{Connection, SinkContext};
use ferry_core::connector::{ConnectorError, ErrorClass, Unmetered};
use ferry_sim_jackyun::{AppCredential, DEFAULT_APPKEY, DEFAULT_SECRET, Faults, Subscriptions};
use jackyun_common::*;
use serde_json::{Map, json};

/// Asserts that the requests made at `times` (sorted) never exceeded `per_sec`: any n+1 of them
/// span at least n slots, less 100 ms for a timestamp taken late on a loaded machine (it does not
/// accumulate). A client without a limiter would send them all within a few milliseconds.
fn assert_rate(times: &[tokio::time::Instant], per_sec: u64) {
    let slack = Duration::from_millis(100);
    let spacing = Duration::from_millis(1000 / per_sec);
    for i in 0..times.len() {
        for j in i + 1..times.len() {
            let span = times[j] - times[i];
            assert!(span + slack >= spacing * (j - i) as u32, "requests {i}..{j} took {span:?}");
        }
    }
}

async fn test_err(conn: &JackyunConnection) -> ConnectorError {
    conn.test().await.expect_err("the connection test should fail")
}

async fn first_page_err(conn: &JackyunConnection) -> ConnectorError {
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{}", "");
    let mut src = open_source(conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    src.next_page().await.expect_err("the first page should fail")
}

#[tokio::test]
async fn the_connection_test_proves_good_credentials() {
    let sim = start(sim_config(10)).await;
    let ok = connect(&sim, json!({})).test().await.unwrap();
    assert!(ok.contains(DEFAULT_APPKEY) && ok.contains(&sim.gateway_url()), "{ok}");
    assert!(!ok.contains(DEFAULT_SECRET));
    assert_eq!(sim.stats().methods["erp.warehouse.get"].ok, 1);
}

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error_with_the_servers_message() {
    let sim = start(sim_config(10)).await;
    let conn = connect(&sim, json!({"appsecret": "not-the-secret"}));
    let e = test_err(&conn).await;
    assert_eq!(e.class, ErrorClass::Auth);
    assert!(e.message.contains("签名错误") && e.message.contains("appsecret"), "{}", e.message);
    assert!(!e.message.contains("not-the-secret"));
    let e = first_page_err(&conn).await;
    assert_eq!((e.class, e.code.as_deref()), (ErrorClass::Auth, Some("0858030801")));
    // Auth errors are not retried.
    assert_eq!(sim.stats().requests, 2);
}

#[tokio::test]
async fn an_unknown_appkey_is_an_auth_error() {
    let sim = start(sim_config(10)).await;
    let e = test_err(&connect(&sim, json!({"appkey": "nobody"}))).await;
    assert_eq!(e.class, ErrorClass::Auth);
    assert!(e.message.contains("appkey不存在") && e.message.contains("check the connection's appkey"), "{}", e.message);
}

#[tokio::test]
async fn an_api_not_subscribed_is_an_auth_error_naming_the_api() {
    let mut cfg = sim_config(10);
    cfg.credentials = vec![AppCredential {
        subscriptions: Subscriptions::Only(BTreeSet::from(["wms.stocktake.get".to_owned()])),
        ..AppCredential::new(DEFAULT_APPKEY, DEFAULT_SECRET)
    }];
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({}));
    let e = test_err(&conn).await;
    assert_eq!((e.class, e.code.as_deref()), (ErrorClass::Auth, Some("0130020310")));
    assert!(e.message.contains("未查询到应用或应用未订阅此API") && e.message.contains("erp.warehouse.get"), "{}", e.message);
    // The subscribed API works.
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{}", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    assert_eq!(drain(src.as_mut(), 0).await.records.len(), 10);
}

#[tokio::test]
async fn a_stale_timestamp_is_an_auth_error_about_the_clock() {
    let sim = start(sim_config(10)).await;
    let conn = connect(&sim, json!({}));
    let mut biz = Map::new();
    biz.insert("pageSize".into(), json!(1));
    let an_hour_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    let e = conn.client().call_once_at("erp.warehouse.get", &biz, &Unmetered, an_hour_ago).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Auth);
    assert!(e.message.contains("时间戳") && e.message.contains("clock"), "{}", e.message);
    // Stamped now (in Beijing time, whatever this host's zone), the same call passes.
    conn.client().call_once_at("erp.warehouse.get", &biz, &Unmetered, jiff::Timestamp::now()).await.unwrap();
}

#[tokio::test]
async fn a_tenant_without_the_open_platform_is_an_auth_error() {
    let mut cfg = sim_config(10);
    cfg.faults = Faults { tenant_disabled: true, ..Faults::default() };
    let sim = start(cfg).await;
    let e = test_err(&connect(&sim, json!({}))).await;
    assert_eq!(e.class, ErrorClass::Auth);
    assert!(e.message.contains("未开通开放平台"), "{}", e.message);
}

#[tokio::test]
async fn throttles_are_retried_and_then_succeed() {
    let mut cfg = sim_config(10);
    cfg.faults = Faults { throttle_burst: 2, ..Faults::default() };
    let sim = start(cfg).await;
    connect(&sim, json!({})).test().await.unwrap();
    let s = sim.stats();
    assert_eq!((s.requests, s.faults.throttled), (3, 2));
    // Throttles answered with HTTP 429 are retried too.
    sim.set_faults(Faults { throttle_burst: 1, throttle_http_429: true, ..Faults::default() }).unwrap();
    sim.reset_stats();
    connect(&sim, json!({})).test().await.unwrap();
    assert_eq!(sim.stats().requests, 2);
}

#[tokio::test]
async fn server_errors_and_dropped_connections_are_retried() {
    let mut cfg = sim_config(10);
    cfg.faults = Faults { error_rate: 1.0, ..Faults::default() };
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({"retries": 2}));
    let e = test_err(&conn).await;
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("HTTP 502"), "{}", e.message);
    assert_eq!(sim.stats().requests, 3, "first try + 2 retries");

    sim.set_faults(Faults { drop_next: 2, ..Faults::default() }).unwrap();
    sim.reset_stats();
    conn.test().await.unwrap();
    let s = sim.stats();
    assert_eq!((s.requests, s.faults.dropped), (3, 2));

    sim.set_faults(Faults { transient_error_rate: 1.0, ..Faults::default() }).unwrap();
    let e = first_page_err(&conn).await;
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("short-circuited"), "{}", e.message);
}

#[tokio::test]
async fn a_source_is_callable_again_after_an_error_and_loses_nothing() {
    let sim = start(sim_config(137)).await;
    let conn = connect(&sim, json!({"retries": 0}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 50 }", "");
    let mut src = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.unwrap();
    let first = src.next_page().await.unwrap().unwrap();
    sim.set_faults(Faults { error_rate: 1.0, ..Faults::default() }).unwrap();
    for _ in 0..3 {
        assert_eq!(src.next_page().await.unwrap_err().class, ErrorClass::Transient);
    }
    sim.set_faults(Faults::default()).unwrap();
    let rest = drain(src.as_mut(), 0).await;
    let mut keys: Vec<String> = first.records.iter().map(|r| r["stocktakeId"].as_str().unwrap().to_owned()).collect();
    keys.extend(rest.keys("stocktakeId"));
    let set: BTreeSet<_> = keys.iter().cloned().collect();
    assert_eq!((keys.len(), set.len()), (137, 137));
}

#[tokio::test]
async fn quota_stops_the_source_without_retrying() {
    let mut cfg = sim_config(10);
    cfg.faults = Faults { quota_exhausted: true, ..Faults::default() };
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({}));
    let e = first_page_err(&conn).await;
    assert_eq!(e.class, ErrorClass::Quota);
    assert!(e.message.contains("额度不足"), "{}", e.message);
    assert_eq!(sim.stats().requests, 1);

    // The engine's budget says no: nothing is sent at all.
    sim.set_faults(Faults::default()).unwrap();
    sim.reset_stats();
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{}", "");
    let mut src = open_source(&conn, &spec, None, RecordingBudget::limited(0), anchor_now()).await.unwrap();
    assert_eq!(src.next_page().await.unwrap_err().class, ErrorClass::Quota);
    assert_eq!(sim.stats().requests, 0);
    // The connection exposes its configured quotas to the engine.
    let limited = connect(&sim, json!({"daily_quota": {"default": 1000, "wms.stocktake.get": 3}}));
    assert_eq!(limited.daily_quota("wms.stocktake.get"), Some(3));
    assert_eq!(limited.daily_quota("erp.vend.get"), Some(1000));
}

#[tokio::test]
async fn throttling_with_backoff_keeps_to_the_connections_rate() {
    let mut cfg = sim_config(137);
    cfg.faults = Faults { seed: 3, throttle_rate: 0.25, qps_limit: Some(25.0), ..Faults::default() };
    let sim = start(cfg).await;
    let conn = connect(&sim, json!({"rate_limit": 20, "max_concurrency": 1, "retries": 8, "retry_base_ms": 100, "retry_max_ms": 400}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 10 }", "");
    let budget = Arc::new(RecordingBudget::default());
    let mut src = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
    let got = drain(src.as_mut(), 0).await;
    assert!(got.stopped_by.is_none(), "{:?}", got.stopped_by);
    assert_eq!(got.records.len(), 137);

    let stats = sim.stats();
    let times = budget.times();
    assert_eq!(times.len() as u64, stats.requests);
    assert!(stats.faults.throttled >= 3, "{:?}", stats.faults);
    // The server allows 25/s (a margin for scheduling jitter on a loaded machine); the connection sends 20/s.
    assert_eq!(stats.faults.qps_limited, 0, "the connection kept under the server's QPS limit");
    // Never faster than 20/s: any n+1 consecutive requests span at least n × 50 ms (less a
    // little scheduling slack, which does not accumulate).
    assert_rate(&times, 20);
    let gaps: Vec<Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // After a throttle the connection slows down further: the limiter's penalty (≥ 50 ms) adds
    // to its 50 ms spacing (checked with 25 ms of scheduling slack). After throttles in a row the
    // limiter caps the accumulated debt, so only throttles after a successful call are checked.
    let throttled: Vec<bool> = stats.recent.iter().map(|r| r.sub_code.as_deref() == Some("0859999999")).collect();
    // Averaged over those throttles, so that one timestamp taken late on a loaded machine cannot
    // fail the test.
    let after: Vec<Duration> = (1..gaps.len()).filter(|&i| throttled[i] && !throttled[i - 1]).map(|i| gaps[i]).collect();
    assert!(after.len() >= 2, "{throttled:?}");
    let mean = after.iter().sum::<Duration>() / after.len() as u32;
    assert!(mean >= Duration::from_millis(75), "mean gap after a throttled call: {mean:?} ({after:?})");
}

#[tokio::test]
async fn bad_source_settings_are_config_errors_naming_the_key() {
    let sim = start(sim_config(10)).await;
    let conn = connect(&sim, json!({}));
    let cases = [
        ("wms.stocktake.get", "{ pageIndex: 1 }", "", "source.params.pageIndex"),
        ("wms.stocktake.get", "{ pageSize: 500 }", "", "source.params.pageSize"),
        ("wms.stocktake.get", "{}", "{ from: startDate }", "source.window.from"),
        ("wms.stocktake.get", "{ startPdDate: \"2024-01-01\" }", "{ lookback: 7d }", "source.params.startPdDate"),
        ("wms.order.query-info.page", "{}", "", "source.window"),
        ("oms.trade.fullinfoget", "{}", "{ lookback: 1d }", "source.params.fields"),
        ("erp.storage.goodslist", "{ maxSkuId: \"5\" }", "", "source.params.maxSkuId"),
    ];
    for (api, params, window, path) in cases {
        let key = if api == "wms.stocktake.get" { "stocktakeId" } else { "x" };
        let spec = source_spec(api, key, params, window);
        let e = open_source(&conn, &spec, None, Arc::new(Unmetered), anchor_now()).await.err().expect(path);
        assert_eq!(e.class, ErrorClass::Config, "{path}");
        assert!(e.message.starts_with(path), "{path}: {}", e.message);
    }
    assert_eq!(sim.stats().requests, 0);
}

#[tokio::test]
async fn jackyun_is_not_a_target_yet() {
    let sim = start(sim_config(10)).await;
    let conn = connect(&sim, json!({}));
    let scheme_target = {
        let yaml = "name: t\nsource: { connection: file, api: jsonl, key: id }\ntargets:\n  back:\n    connection: file\n    api: jsonl\n    mapping: { a: \"{{ id }}\" }\n";
        struct Files;
        impl ferry_core::scheme::Catalog for Files {
            fn connection_system(&self, c: &str) -> Option<String> {
                (c == "file").then(|| "file".into())
            }
            fn connection_names(&self) -> Vec<String> {
                vec!["file".into()]
            }
            fn apis(&self, _: &str) -> Vec<String> {
                vec!["jsonl".into()]
            }
            fn api_meta(&self, _: &str, api: &str, form: Option<&str>) -> Result<Option<ferry_core::metadata::ApiMeta>, String> {
                ferry_connectors::connector("file").unwrap().api_meta(api, form)
            }
        }
        let s = ferry_core::scheme::Scheme::load("t.yaml", yaml, &Files).unwrap();
        let mut t = s.targets[0].clone();
        t.connection = "jky".into();
        t.system = "jackyun".into();
        t.api = "wms.order.create".into();
        t
    };
    let ctx = SinkContext { spec: &scheme_target, budget: Arc::new(Unmetered), base_dir: std::env::temp_dir() };
    let e = conn.sink(ctx).await.err().unwrap();
    assert_eq!(e.class, ErrorClass::Config);
    assert!(e.message.contains("not supported yet"), "{}", e.message);
}

#[tokio::test]
async fn sources_of_one_connection_share_its_rate() {
    let sim = start(sim_config(40)).await;
    let conn = connect(&sim, json!({"rate_limit": 20, "max_concurrency": 2}));
    let spec = source_spec("wms.stocktake.get", "stocktakeId", "{ pageSize: 10 }", "");
    let budget = Arc::new(RecordingBudget::default());
    let mut a = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
    let mut b = open_source(&conn, &spec, None, budget.clone(), anchor_now()).await.unwrap();
    let (ra, rb) = tokio::join!(drain(a.as_mut(), 0), drain(b.as_mut(), 0));
    assert_eq!((ra.records.len(), rb.records.len()), (40, 40));
    let mut times = budget.times();
    times.sort();
    assert_eq!(times.len(), 10);
    assert_rate(&times, 20);
}

#[tokio::test]
async fn network_failures_are_transient_with_a_clear_message() {
    // Nothing listens on this port once the listener is dropped.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let sim = start(sim_config(1)).await;
    let closed = connect(&sim, json!({"gateway": format!("http://127.0.0.1:{port}/open/openapi/do"), "retries": 0}));
    let e = test_err(&closed).await;
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("could not connect"), "{}", e.message);

    sim.set_faults(Faults { latency_ms: 1500, ..Faults::default() }).unwrap();
    let slow = connect(&sim, json!({"timeout_secs": 1, "retries": 0}));
    let e = test_err(&slow).await;
    assert_eq!(e.class, ErrorClass::Transient);
    assert!(e.message.contains("timed out"), "{}", e.message);
}
