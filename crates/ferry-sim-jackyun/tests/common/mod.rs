//! Test-only helpers: a small Jackyun client with its own signer, written from the reference
//! (§3.1), independent of the simulator's code.
#![allow(dead_code)]

use std::net::SocketAddr;

use ferry_sim_jackyun::{GenerateOptions, JackyunSim, JackyunSimConfig, start};
use md5::{Digest, Md5};
use serde_json::Value;

pub const APPKEY: &str = "test-appkey";
pub const SECRET: &str = "test-secret";

/// md5 hex of lowercase(secret + sorted k+v + secret), skipping sign/contextid/token.
pub fn sign(params: &[(String, String)], secret: &str) -> String {
    let mut sorted: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "sign" | "contextid" | "token"))
        .collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s = String::from(secret);
    for (k, v) in sorted {
        s.push_str(k);
        s.push_str(v);
    }
    s.push_str(secret);
    let digest = Md5::digest(s.to_lowercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Now in Beijing time, `yyyy-MM-dd HH:mm:ss`, shifted by `offset_secs`.
pub fn beijing_now(offset_secs: i64) -> String {
    let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
    let ts = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(offset_secs);
    ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// The system params of a call, unsigned.
pub fn params(appkey: &str, method: &str, biz: &str) -> Vec<(String, String)> {
    vec![
        ("method".into(), method.into()),
        ("appkey".into(), appkey.into()),
        ("version".into(), "v1.0".into()),
        ("contenttype".into(), "json".into()),
        ("timestamp".into(), beijing_now(0)),
        ("bizcontent".into(), biz.into()),
    ]
}

/// Adds the signature.
pub fn signed(mut p: Vec<(String, String)>, secret: &str) -> Vec<(String, String)> {
    let s = sign(&p, secret);
    p.push(("sign".into(), s));
    p
}

pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .unwrap()
}

/// The config used by most tests: one app, data anchored on 2024-05-01 with `stocktakes` docs.
pub fn config(stocktakes: u32) -> JackyunSimConfig {
    JackyunSimConfig {
        credentials: vec![ferry_sim_jackyun::AppCredential::new(APPKEY, SECRET)],
        data: ferry_sim_jackyun::DataSource::Generate(GenerateOptions {
            seed: 7,
            anchor_date: jiff::civil::date(2024, 5, 1),
            stocktakes,
            ..GenerateOptions::default()
        }),
        ..JackyunSimConfig::default()
    }
}

pub async fn start_sim(config: JackyunSimConfig) -> JackyunSim {
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    start(config, addr).await.unwrap()
}

/// Posts a form and returns the HTTP status and the JSON body.
pub async fn post_form(url: &str, form: &[(String, String)]) -> (u16, Value) {
    let r = http().post(url).form(form).send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// A signed call with the test app; returns the JSON envelope.
pub async fn call(sim: &JackyunSim, method: &str, biz: &str) -> Value {
    let (status, v) = post_form(
        &sim.gateway_url(),
        &signed(params(APPKEY, method, biz), SECRET),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// The `stocktakeId`s of a wms.stocktake.get envelope.
pub fn stocktake_ids(env: &Value) -> Vec<String> {
    assert_eq!(env["code"], 200, "{env}");
    env["result"]["data"]["stockTake"]
        .as_array()
        .unwrap_or_else(|| panic!("no stockTake array: {env}"))
        .iter()
        .map(|d| d["stocktakeId"].as_str().unwrap().to_string())
        .collect()
}
