//! Session carriers, idle expiry (MsgCode 1), and the signature-header mode (X-Kd-*, X-Api-*).

use std::time::Duration;

use ferry_sim_kingdee::KingdeeSimConfig;
use serde_json::{Value, json};

use crate::client::{FORM, Kd, demo, kd_headers, logged_in, vector_config};

const LOST: &str = r#"{"Result":{"ResponseStatus":{"ErrorCode":500,"IsSuccess":false,"Errors":[{"FieldName":null,"Message":"会话信息已丢失，请重新登录","DIndex":0}],"SuccessEntitys":[],"SuccessMessages":[],"MsgCode":1}}}"#;

fn probe() -> Value {
    json!({"FormId": "BD_Currency", "FieldKeys": "FCODE", "FilterString": "FNUMBER='PRE001'"})
}

fn view_body() -> String {
    json!({"formid": "STK_MISCELLANEOUS", "data": {"Number": "NOPE"}}).to_string()
}

#[tokio::test]
async fn idle_sessions_expire_after_the_ttl_with_the_real_msgcode_1() {
    let cfg = KingdeeSimConfig {
        session_ttl: Duration::from_millis(400),
        ..KingdeeSimConfig::default()
    };
    let (sim, kd) = logged_in(cfg).await;
    // Use within the TTL keeps it alive.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(kd.query(probe()).await, json!([["CNY"]]));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let view = kd
        .send(&format!("{FORM}.View"), &view_body(), &[])
        .await
        .unwrap();
    assert_eq!(view.status, 200);
    assert_eq!(
        view.text, LOST,
        "object-shaped operations get the captured body"
    );
    let q = kd.query(probe()).await;
    assert_eq!(
        q,
        serde_json::from_str::<Value>(&format!("[[{LOST}]]")).unwrap(),
        "queries wrap it in [[...]]"
    );
    let s = sim.stats();
    assert_eq!(s.sessions_expired, 1);
    assert_eq!(s.session_lost_responses, 2);
}

#[tokio::test]
async fn every_session_carrier_works_alone() {
    let (sim, kd) = demo().await;
    let cookie = kd.cookie.clone().unwrap();
    let (kd_part, asp_part) = cookie.split_once(';').unwrap();
    let kd_id = kd_part.split_once('=').unwrap().1.to_string();
    let carriers: Vec<(&str, String)> = vec![
        ("Cookie", kd_part.to_string()),
        ("Cookie", format!("Theme=standard; {asp_part}")),
        ("kdservice-sessionid", kd_id.clone()),
        ("SID", kd_id.clone()),
    ];
    let bare = Kd::new(&sim.base_url());
    let url = format!("{FORM}.ExecuteBillQuery");
    let body = json!({"data": probe()}).to_string();
    for (h, v) in &carriers {
        let a = bare.send(&url, &body, &[(h, v.as_str())]).await.unwrap();
        assert_eq!(a.json(), json!([["CNY"]]), "carrier {h}: {v}");
    }
    let none = bare.send(&url, &body, &[]).await.unwrap().json();
    assert_eq!(none[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
    let unknown = bare
        .send(&url, &body, &[("kdservice-sessionid", "no-such-session")])
        .await
        .unwrap()
        .json();
    assert_eq!(unknown[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
}

#[tokio::test]
async fn expire_all_sessions_hook() {
    let (sim, kd) = demo().await;
    assert_eq!(kd.query(probe()).await, json!([["CNY"]]));
    assert_eq!(sim.expire_all_sessions(), 1);
    assert_eq!(
        kd.query(probe()).await[0][0]["Result"]["ResponseStatus"]["MsgCode"],
        1
    );
}

#[tokio::test]
async fn view_without_session_can_answer_an_empty_result() {
    let cfg = KingdeeSimConfig {
        view_without_session_returns_empty: true,
        ..KingdeeSimConfig::default()
    };
    let sim = ferry_sim_kingdee::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let v = Kd::new(&sim.base_url())
        .send(&format!("{FORM}.View"), &view_body(), &[])
        .await
        .unwrap()
        .json();
    assert_eq!(v["Result"]["Result"], json!({}));
}

fn hdrs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect()
}

#[tokio::test]
async fn x_kd_signature_reference_vector_opens_a_session() {
    let sim = ferry_sim_kingdee::start(vector_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // The published header values of reference §2.6 (they do not depend on time).
    let headers = [
        ("X-Kd-Appkey", "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"),
        ("X-Kd-Appdata", "NWYwMDAwMDAwMDAwYWEsZGVtbywyMDUyLDA="),
        (
            "X-Kd-Signature",
            "YTQzMmUyMzMzZWQ1M2Q4Nzk3ZTU5OGU2OGI0NWYzMWQ4NjE1MWJiMTUyMTk0ZTJmODVhOTVkY2E5NmRlZWZkNQ==",
        ),
    ];
    let own = kd_headers(
        "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        "0123456789abcdef0123456789abcdef",
        "5f0000000000aa",
        "demo",
        2052,
    );
    assert_eq!(hdrs(&own), headers, "the test client reproduces the vector");
    let mut kd = Kd::new(&sim.base_url());
    let url = format!("{FORM}.ExecuteBillQuery");
    let body = json!({"data": probe()}).to_string();
    let first = kd.send(&url, &body, &headers).await.unwrap();
    assert_eq!(first.json(), json!([["CNY"]]));
    let sid = first
        .cookie("kdservice-sessionid")
        .expect("a session cookie is issued");
    assert_eq!(
        first.headers.get("kdservice-sessionid").unwrap(),
        sid.as_str()
    );
    assert_eq!(sim.stats().sessions_created, 1);
    // Later calls ride the session (no new one per call).
    kd.cookie = Some(format!("Theme=standard;kdservice-sessionid={sid}"));
    let again = kd.send(&url, &body, &headers).await.unwrap();
    assert_eq!(again.json(), json!([["CNY"]]));
    assert!(again.set_cookies().is_empty());
    assert_eq!(sim.stats().sessions_created, 1);
    // A stale session is lost even with valid headers: the client must drop its cookie.
    sim.expire_all_sessions();
    let stale = kd.send(&url, &body, &headers).await.unwrap().json();
    assert_eq!(stale[0][0]["Result"]["ResponseStatus"]["MsgCode"], 1);
    kd.cookie = None;
    assert_eq!(
        kd.send(&url, &body, &headers).await.unwrap().json(),
        json!([["CNY"]])
    );
}

#[tokio::test]
async fn bad_signatures_are_refused() {
    let sim = ferry_sim_kingdee::start(vector_config(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let kd = Kd::new(&sim.base_url());
    let url = format!("{FORM}.View");
    let app = "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
    let wrong_secret = kd_headers(
        app,
        "ffffffffffffffffffffffffffffffff",
        "5f0000000000aa",
        "demo",
        2052,
    );
    let v = kd
        .send(&url, &view_body(), &hdrs(&wrong_secret))
        .await
        .unwrap()
        .json();
    assert_eq!(v["Result"]["ResponseStatus"]["MsgCode"], 11);
    assert!(
        v["Result"]["ResponseStatus"]["Errors"][0]["Message"]
            .as_str()
            .unwrap()
            .contains("X-Kd-Signature")
    );
    let wrong_acct = kd_headers(
        app,
        "0123456789abcdef0123456789abcdef",
        "other",
        "demo",
        2052,
    );
    let v = kd
        .send(&url, &view_body(), &hdrs(&wrong_acct))
        .await
        .unwrap()
        .json();
    assert_eq!(v["Result"]["ResponseStatus"]["MsgCode"], 1);
    let partial = [("X-Kd-Appkey", app)];
    let v = kd.send(&url, &view_body(), &partial).await.unwrap().json();
    assert_eq!(v["Result"]["ResponseStatus"]["IsSuccess"], false);
    assert_eq!(sim.stats().sessions_created, 0);
}

#[tokio::test]
async fn x_api_signature_is_checked_when_enabled_with_the_reference_vector() {
    let cfg = KingdeeSimConfig {
        verify_api_signature: true,
        ..vector_config()
    };
    let sim = ferry_sim_kingdee::start(cfg, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let kd = Kd::new(&sim.base_url());
    let url = format!("{FORM}.ExecuteBillQuery");
    let body = json!({"data": probe()}).to_string();
    let own = kd_headers(
        "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
        "0123456789abcdef0123456789abcdef",
        "5f0000000000aa",
        "demo",
        2052,
    );
    let mut headers = hdrs(&own);
    // Reference §2.6 step 5: path .../ExecuteBillQuery.common.kdsvc, ts = nonce = 1700000000.
    headers.extend([
        ("X-Api-ClientID", "123456"),
        ("X-Api-Auth-Version", "2.0"),
        ("x-api-timestamp", "1700000000"),
        ("x-api-nonce", "1700000000"),
        ("x-api-signheaders", "x-api-timestamp,x-api-nonce"),
        ("X-Api-Signature", "MDMzZTM1N2RiY2NkODE1NDg0ZTNmMjY3MzA3Y2FmNGJkMDZhMzEwZjUwNzFiNjE3MmEwNDM4ZWI1YjBjYTA3Ng=="),
    ]);
    assert_eq!(
        kd.send(&url, &body, &headers).await.unwrap().json(),
        json!([["CNY"]])
    );
    let last = headers.len() - 1;
    headers[last].1 = "bm90IHRoZSBzaWduYXR1cmU=";
    let v = kd.send(&url, &body, &headers).await.unwrap().json();
    assert_eq!(
        v[0][0]["Result"]["ResponseStatus"]["Errors"][0]["Message"],
        "授权密钥校验失败，请获取最新密钥加密"
    );
}
