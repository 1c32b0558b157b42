//! What the gateway verifies before serving: system params, appkey, timestamp, signature,
//! subscription and version — each failure with its envelope and subCode.

mod common;

use std::collections::BTreeSet;

use common::{APPKEY, SECRET, call, config, params, post_form, signed, start_sim};
use ferry_sim_jackyun::{AppCredential, Subscriptions};
use serde_json::Value;

const BIZ: &str = r#"{"pageIndex":0,"pageSize":5}"#;

fn set(p: &mut [(String, String)], key: &str, value: &str) {
    p.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_string();
}

fn assert_failure(v: &Value, sub_code: &str, msg_part: &str) {
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["subCode"], sub_code, "{v}");
    assert!(v["msg"].as_str().unwrap().contains(msg_part), "{v}");
    assert!(v["result"]["data"].is_null(), "{v}");
    let ctx = v["result"]["contextId"].as_str().unwrap();
    assert_eq!(ctx.len(), 19, "{v}");
    assert!(ctx.bytes().all(|c| c.is_ascii_digit()));
}

#[tokio::test]
async fn a_good_call_succeeds_with_the_documented_envelope() {
    let sim = start_sim(config(20)).await;
    let v = call(&sim, "wms.stocktake.get", BIZ).await;
    assert_eq!(v["code"], 200);
    assert_eq!(v["msg"], "");
    assert_eq!(v["subCode"], "0000000000");
    assert_eq!(
        v["result"]["data"]["stockTake"].as_array().unwrap().len(),
        5
    );
    assert!(v["result"]["contextId"].is_string());
    let doc = &v["result"]["data"]["stockTake"][0];
    for key in ["id", "companyId", "warehouseId", "deptId", "createId"] {
        assert!(doc[key].is_string(), "{key} must be a string: {doc}");
    }
}

#[tokio::test]
async fn wrong_signature_is_rejected() {
    let sim = start_sim(config(5)).await;
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), "not-the-secret");
    let (status, v) = post_form(&sim.gateway_url(), &p).await;
    assert_eq!(status, 200);
    assert_failure(&v, "0858030801", "签名错误");
    // Tampering with a signed value after signing fails too.
    let mut p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    set(&mut p, "bizcontent", r#"{"pageIndex":1,"pageSize":5}"#);
    let (_, v) = post_form(&sim.gateway_url(), &p).await;
    assert_failure(&v, "0858030801", "签名错误");
}

#[tokio::test]
async fn the_signature_ignores_letter_case_of_values() {
    let sim = start_sim(config(5)).await;
    // Sign a lower-case bizcontent, send it upper-cased: same signature.
    let mut p = signed(
        params(APPKEY, "wms.stocktake.get", r#"{"warehousecode":"ck01"}"#),
        SECRET,
    );
    set(&mut p, "bizcontent", r#"{"warehouseCode":"CK01"}"#);
    let (_, v) = post_form(&sim.gateway_url(), &p).await;
    assert_eq!(v["code"], 200, "{v}");
    // Mixed-case method name in the signed string but exact name sent.
    let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
    set(&mut p, "method", "WMS.STOCKTAKE.GET");
    let mut p = signed(p, SECRET);
    set(&mut p, "method", "wms.stocktake.get");
    let (_, v) = post_form(&sim.gateway_url(), &p).await;
    assert_eq!(v["code"], 200, "{v}");
}

#[tokio::test]
async fn unknown_appkey_is_rejected() {
    let sim = start_sim(config(5)).await;
    let p = signed(params("nobody", "wms.stocktake.get", BIZ), SECRET);
    let (_, v) = post_form(&sim.gateway_url(), &p).await;
    assert_failure(&v, "0858030802", "appkey");
}

#[tokio::test]
async fn stale_and_malformed_timestamps_are_rejected() {
    let sim = start_sim(config(5)).await;
    let url = sim.gateway_url();
    for offset in [-620, 620, -3600 * 8] {
        let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
        set(&mut p, "timestamp", &common::beijing_now(offset));
        let (_, v) = post_form(&url, &signed(p, SECRET)).await;
        assert_failure(&v, "0858030801", "时间戳");
        assert!(!v["msg"].as_str().unwrap().contains("签名错误"));
    }
    // Inside the window (and the UTC+8 reading, not the host's zone, is what counts).
    for offset in [-580, 580] {
        let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
        set(&mut p, "timestamp", &common::beijing_now(offset));
        let (_, v) = post_form(&url, &signed(p, SECRET)).await;
        assert_eq!(v["code"], 200, "{v}");
    }
    for bad in [
        "2024-05-02T10:00:00",
        "1714615200000",
        "2024/05/02 10:00:00",
        "2024-05-02 10:00",
    ] {
        let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
        set(&mut p, "timestamp", bad);
        let (_, v) = post_form(&url, &signed(p, SECRET)).await;
        assert_failure(&v, "0858030801", "时间戳");
    }
}

#[tokio::test]
async fn a_configured_timestamp_window_and_subcode_apply() {
    let sim = start_sim(ferry_sim_jackyun::JackyunSimConfig {
        timestamp_window_secs: 30,
        timestamp_sub_code: "0858039999".into(),
        ..config(5)
    })
    .await;
    let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
    set(&mut p, "timestamp", &common::beijing_now(-120));
    let (_, v) = post_form(&sim.gateway_url(), &signed(p, SECRET)).await;
    assert_failure(&v, "0858039999", "时间戳");
}

#[tokio::test]
async fn each_missing_system_param_is_named() {
    let sim = start_sim(config(5)).await;
    for missing in [
        "method",
        "appkey",
        "version",
        "contenttype",
        "timestamp",
        "bizcontent",
        "sign",
    ] {
        let p: Vec<_> = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET)
            .into_iter()
            .filter(|(k, _)| k != missing)
            .collect();
        let (status, v) = post_form(&sim.gateway_url(), &p).await;
        assert_eq!(status, 200);
        assert_failure(&v, "0130020001", &format!("{missing}不能为空"));
    }
    // Blank counts as missing.
    let mut p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    set(&mut p, "bizcontent", "");
    let (_, v) = post_form(&sim.gateway_url(), &p).await;
    assert_failure(&v, "0130020001", "bizcontent不能为空");
}

#[tokio::test]
async fn unknown_and_unsubscribed_methods_are_not_found() {
    let mut cfg = config(5);
    cfg.credentials.push(AppCredential {
        appkey: "limited".into(),
        secret: "limited-secret".into(),
        subscriptions: Subscriptions::Only(BTreeSet::from(["erp.warehouse.get".to_string()])),
    });
    let sim = start_sim(cfg).await;
    let url = sim.gateway_url();
    let (_, v) = post_form(
        &url,
        &signed(params(APPKEY, "erp.no.such.api", "{}"), SECRET),
    )
    .await;
    assert_failure(&v, "0130020310", "未查询到应用或应用未订阅此API");
    let (_, v) = post_form(
        &url,
        &signed(
            params("limited", "wms.stocktake.get", BIZ),
            "limited-secret",
        ),
    )
    .await;
    assert_failure(&v, "0130020310", "未订阅");
    let (_, v) = post_form(
        &url,
        &signed(
            params("limited", "erp.warehouse.get", "{}"),
            "limited-secret",
        ),
    )
    .await;
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(v["subCode"], "0030000004");
    assert_eq!(v["msg"], "操作成功");
}

#[tokio::test]
async fn version_variants() {
    let sim = start_sim(config(5)).await;
    for (version, ok) in [
        ("v1.0", true),
        ("V1.0", true),
        ("1.0", true),
        ("v2.0", false),
        ("1", false),
    ] {
        let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
        set(&mut p, "version", version);
        let (_, v) = post_form(&sim.gateway_url(), &signed(p, SECRET)).await;
        if ok {
            assert_eq!(v["code"], 200, "{version}: {v}");
        } else {
            assert_failure(&v, "0130020310", "未查询到应用");
        }
    }
}

#[tokio::test]
async fn contextid_and_token_are_not_signed_and_contextid_is_echoed() {
    let sim = start_sim(config(5)).await;
    let mut p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    p.push(("contextid".into(), "1234567890123456789".into()));
    p.push(("token".into(), "some-isv-token".into()));
    let (_, v) = post_form(&sim.gateway_url(), &p).await;
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(v["result"]["contextId"], "1234567890123456789");
    // An extra, unknown system param *is* signed (every param but sign/contextid/token is).
    let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
    p.push(("format".into(), "json".into()));
    let (_, v) = post_form(&sim.gateway_url(), &signed(p.clone(), SECRET)).await;
    assert_eq!(v["code"], 200, "{v}");
    let mut unsigned_extra = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    unsigned_extra.push(("format".into(), "json".into()));
    let (_, v) = post_form(&sim.gateway_url(), &unsigned_extra).await;
    assert_failure(&v, "0858030801", "签名错误");
}

#[tokio::test]
async fn params_in_the_query_string_are_read_and_the_form_wins() {
    let sim = start_sim(config(5)).await;
    let p = signed(params(APPKEY, "wms.stocktake.get", BIZ), SECRET);
    // Everything in the query string, nothing in the body.
    let q = serde_urlencoded::to_string(&p).unwrap();
    let (_, v) = post_form(&format!("{}?{q}", sim.gateway_url()), &[]).await;
    assert_eq!(v["code"], 200, "{v}");
    // A wrong sign in the query, the right one in the form: the form wins.
    let url = format!(
        "{}?sign=00000000000000000000000000000000&method=erp.vend.get",
        sim.gateway_url()
    );
    let (_, v) = post_form(&url, &p).await;
    assert_eq!(v["code"], 200, "{v}");
    assert!(v["result"]["data"]["stockTake"].is_array());
}

#[tokio::test]
async fn contenttype_must_be_json_and_bizcontent_an_object() {
    let sim = start_sim(config(5)).await;
    let mut p = params(APPKEY, "wms.stocktake.get", BIZ);
    set(&mut p, "contenttype", "xml");
    let (_, v) = post_form(&sim.gateway_url(), &signed(p, SECRET)).await;
    assert_failure(&v, "0130020001", "contenttype");
    let p = params(APPKEY, "wms.stocktake.get", "[1,2]");
    let (_, v) = post_form(&sim.gateway_url(), &signed(p, SECRET)).await;
    assert_failure(&v, "0130020001", "bizcontent");
}
