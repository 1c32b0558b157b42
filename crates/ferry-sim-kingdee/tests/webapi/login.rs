//! Every login mode: success with the right credentials, the real failure shape otherwise.

use ferry_sim_kingdee::KingdeeSimConfig;
use serde_json::{Value, json};

use crate::client::{AUTH, Kd, sign, vector_config};

async fn sim(cfg: &KingdeeSimConfig) -> (ferry_sim_kingdee::KingdeeSim, Kd) {
    let sim = ferry_sim_kingdee::start(cfg.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let kd = Kd::new(&sim.base_url());
    (sim, kd)
}

async fn login(kd: &Kd, op: &str, params: Value) -> crate::client::Answer {
    kd.send(
        &format!("{AUTH}.{op}"),
        &json!({"parameters": params}).to_string(),
        &[],
    )
    .await
    .unwrap()
}

fn assert_refused(v: &Value, result_type: i64, message: &str) {
    assert_eq!(v["LoginResultType"], result_type, "{v}");
    assert_eq!(v["Message"], message, "{v}");
    assert_eq!(v["KDSVCSessionId"], Value::Null);
    assert_eq!(v["IsSuccessByAPI"], false);
}

#[tokio::test]
async fn validate_user_success_has_the_real_shape_and_both_cookies() {
    let cfg = KingdeeSimConfig::default();
    let (_sim, kd) = sim(&cfg).await;
    let a = login(
        &kd,
        "ValidateUser",
        json!(["ferry-demo-acct", "demo", "demo123", 2052]),
    )
    .await;
    let v = a.json();
    assert_eq!(v["LoginResultType"], 1);
    assert_eq!(v["IsSuccessByAPI"], true);
    let kd_id = v["KDSVCSessionId"].as_str().unwrap();
    assert!(!kd_id.is_empty());
    assert_eq!(v["Context"]["DBid"], "ferry-demo-acct");
    assert_eq!(v["Context"]["UserName"], "demo");
    let asp = v["Context"]["SessionId"].as_str().unwrap();
    assert_eq!(a.cookie("kdservice-sessionid").as_deref(), Some(kd_id));
    assert_eq!(a.cookie("ASP.NET_SessionId").as_deref(), Some(asp));
    assert_eq!(a.headers.get("kdservice-sessionid").unwrap(), kd_id);
    for key in [
        "Message",
        "MessageCode",
        "FormId",
        "ErrorStackTrace",
        "AccessToken",
        "CustomParam",
        "KdAccessResult",
    ] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert!(
        !a.text.contains("demo123"),
        "the password must not be echoed"
    );
}

#[tokio::test]
async fn validate_user_refusals() {
    let cfg = KingdeeSimConfig::default();
    let (sim, kd) = sim(&cfg).await;
    let a = login(
        &kd,
        "ValidateUser",
        json!(["ferry-demo-acct", "demo", "wrong", 2052]),
    )
    .await;
    assert_eq!(a.status, 200);
    assert!(a.set_cookies().is_empty());
    assert_refused(&a.json(), 0, "用户名或密码错误！");
    let v = login(
        &kd,
        "ValidateUser",
        json!(["ferry-demo-acct", "nobody", "demo123", 2052]),
    )
    .await
    .json();
    assert_refused(&v, 0, "用户名或密码错误！");
    let v = login(
        &kd,
        "ValidateUser",
        json!(["other-acct", "demo", "demo123", 2052]),
    )
    .await
    .json();
    assert_refused(&v, -1, "会话信息已丢失，请重新登录");
    let s = sim.stats();
    assert_eq!((s.logins_ok, s.logins_failed), (0, 3));
}

#[tokio::test]
async fn login_by_app_secret_and_its_2_variant() {
    let cfg = KingdeeSimConfig::default();
    let (sim, kd) = sim(&cfg).await;
    let ok = login(
        &kd,
        "LoginByAppSecret",
        json!([
            "ferry-demo-acct",
            "demo",
            "ferry-demo-app",
            "ferry-demo-secret",
            2052
        ]),
    )
    .await;
    assert_eq!(ok.json()["LoginResultType"], 1);
    let ok2 = login(
        &kd,
        "loginbyappsecret2",
        json!([
            "ferry-demo-acct",
            "demo",
            "ferry-demo-app",
            "ferry-demo-secret",
            true,
            1033
        ]),
    )
    .await;
    assert_eq!(ok2.json()["LoginResultType"], 1);
    assert_eq!(ok2.json()["Context"]["UserLocale"], "en-US");
    let bad = login(
        &kd,
        "LoginByAppSecret",
        json!(["ferry-demo-acct", "demo", "ferry-demo-app", "nope", 2052]),
    )
    .await
    .json();
    assert_eq!(bad["LoginResultType"], -1);
    assert!(
        bad["Message"]
            .as_str()
            .unwrap()
            .contains("第三方系统登录授权")
    );
    let unknown_app = login(
        &kd,
        "LoginByAppSecret",
        json!([
            "ferry-demo-acct",
            "demo",
            "other-app",
            "ferry-demo-secret",
            2052
        ]),
    )
    .await
    .json();
    assert_refused(&unknown_app, -1, "会话信息已丢失，请重新登录");
    assert_eq!(sim.stats().logins_ok, 2);
}

#[tokio::test]
async fn login_by_sign_checks_the_sha256_signature_and_the_timestamp() {
    let cfg = KingdeeSimConfig::default();
    let (_sim, kd) = sim(&cfg).await;
    let ts = jiff::Timestamp::now().as_second().to_string();
    let s = sign(
        "ferry-demo-acct",
        "demo",
        "ferry-demo-app",
        "ferry-demo-secret",
        &ts,
    );
    let ok = login(
        &kd,
        "LoginBySign",
        json!(["ferry-demo-acct", "demo", "ferry-demo-app", ts, s, 2052]),
    )
    .await;
    assert_eq!(ok.json()["LoginResultType"], 1, "{}", ok.text);
    assert!(ok.cookie("kdservice-sessionid").is_some());
    // Timestamp as a number, and the ...2 variant with isKickOff.
    let ts_num: i64 = ts.parse().unwrap();
    let ok2 = login(
        &kd,
        "LoginBySign2",
        json!([
            "ferry-demo-acct",
            "demo",
            "ferry-demo-app",
            ts_num,
            s,
            "true",
            2052
        ]),
    )
    .await;
    assert_eq!(ok2.json()["LoginResultType"], 1);
    let wrong = sign(
        "ferry-demo-acct",
        "demo",
        "ferry-demo-app",
        "not-the-secret",
        &ts,
    );
    let bad = login(
        &kd,
        "LoginBySign",
        json!(["ferry-demo-acct", "demo", "ferry-demo-app", ts, wrong, 2052]),
    )
    .await
    .json();
    assert_eq!(bad["LoginResultType"], -1);
    let old = (ts_num - 3600).to_string();
    let s_old = sign(
        "ferry-demo-acct",
        "demo",
        "ferry-demo-app",
        "ferry-demo-secret",
        &old,
    );
    let stale = login(
        &kd,
        "LoginBySign",
        json!([
            "ferry-demo-acct",
            "demo",
            "ferry-demo-app",
            old,
            s_old,
            2052
        ]),
    )
    .await
    .json();
    assert_eq!(stale["LoginResultType"], -1);
    assert!(stale["Message"].as_str().unwrap().contains("时间戳"));
}

#[tokio::test]
async fn login_by_sign_accepts_the_reference_test_vector() {
    // Reference §2.5: the synthetic credentials and their published sign.
    assert_eq!(
        sign(
            "5f0000000000aa",
            "demo",
            "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
            "0123456789abcdef0123456789abcdef",
            "1700000000"
        ),
        "e970ed7caa63b051905aed710b90b009395b93ca0703b7605ab1457d1fc377c5"
    );
    let cfg = KingdeeSimConfig {
        sign_max_skew: None,
        ..vector_config()
    };
    let (_sim, kd) = sim(&cfg).await;
    let v = login(
        &kd,
        "LoginBySign",
        json!([
            "5f0000000000aa",
            "demo",
            "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
            "1700000000",
            "e970ed7caa63b051905aed710b90b009395b93ca0703b7605ab1457d1fc377c5",
            2052
        ]),
    )
    .await
    .json();
    assert_eq!(v["LoginResultType"], 1, "{v}");
    // A sign over a different timestamp does not match.
    let v = login(
        &kd,
        "LoginBySign",
        json!([
            "5f0000000000aa",
            "demo",
            "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
            "1700000001",
            "e970ed7caa63b051905aed710b90b009395b93ca0703b7605ab1457d1fc377c5",
            2052
        ]),
    )
    .await
    .json();
    assert_eq!(v["LoginResultType"], -1);
}

#[tokio::test]
async fn login_by_simple_passport() {
    let cfg = KingdeeSimConfig::default();
    let (_sim, kd) = sim(&cfg).await;
    let v = login(
        &kd,
        "LoginBySimplePassport",
        json!([cfg.simple_passport(), 2052]),
    )
    .await
    .json();
    assert_eq!(v["LoginResultType"], 1);
    let other = KingdeeSimConfig {
        app_secret: "x".into(),
        ..cfg.clone()
    }
    .simple_passport();
    let v = login(&kd, "LoginBySimplePassport", json!([other, 2052]))
        .await
        .json();
    assert_eq!(v["LoginResultType"], -1);
    let v = login(&kd, "LoginBySimplePassport", json!(["not base64 !", 2052]))
        .await
        .json();
    assert_eq!(v["LoginResultType"], -1);
}

#[tokio::test]
async fn logout_ends_the_session_and_data_center_list_needs_none() {
    let cfg = KingdeeSimConfig::default();
    let (_sim, mut kd) = sim(&cfg).await;
    kd.login(&cfg).await;
    let q =
        json!({"FormId": "BD_Currency", "FieldKeys": "FCODE", "FilterString": "FNUMBER='PRE001'"});
    assert_eq!(kd.query(q.clone()).await, json!([["CNY"]]));
    let out = kd
        .post(&format!("{AUTH}.Logout"), json!({"parameters": []}))
        .await;
    assert_eq!(out, json!(true));
    assert_eq!(
        kd.query(q).await[0][0]["Result"]["ResponseStatus"]["MsgCode"],
        1
    );
    let anon = Kd::new(&kd.base);
    let centers = anon
        .post(
            "Kingdee.BOS.ServiceFacade.ServicesStub.Account.AccountService.GetDataCenterList",
            json!({}),
        )
        .await;
    assert_eq!(centers[0]["Id"], "ferry-demo-acct");
}
