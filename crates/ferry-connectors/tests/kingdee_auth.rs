//! Every auth mode against the simulator: logins, the signature headers, clear messages for
//! refused credentials, and no secret in any message.

mod kingdee_support;

use ferry_connectors::Connection;
use ferry_connectors::kingdee::BillQuery;
use ferry_core::connector::ErrorClass;
use kingdee_support::*;
use serde_json::json;

const MODES: [&str; 4] = ["login_by_sign", "login_by_app_secret", "validate_user", "api_signature"];

#[tokio::test]
async fn every_auth_mode_reads_and_writes() {
    let sim = start(sim_config()).await;
    for (i, mode) in MODES.iter().enumerate() {
        for style in ["named", "positional"] {
            let conn = open(settings(&sim, mode, json!({ "body_style": style })));
            let summary = conn.test().await.unwrap_or_else(|e| panic!("{mode}/{style}: {e}"));
            assert!(summary.contains("demo"), "{mode}: {summary}");
            let rows = conn.client().execute_bill_query(&BillQuery::new("BD_STOCK", &["FNumber", "FName"])).await.unwrap();
            assert!(rows.iter().any(|r| r[0] == json!("CK001")), "{mode}/{style}: {rows:?}");
            let sink = inbound_sink(&conn).await;
            let no = format!("AUTH-{i}-{style}");
            let outs = sink.write(&[out(&no, inbound(&no, &[("A0001", 2.0)]))]).await.unwrap();
            written(&outs[0], &no);
            assert!(sim.bill("STK_MISCELLANEOUS", &no).is_some(), "{mode}/{style}");
        }
    }
    let st = sim.stats();
    // Three session modes × two body styles log in once each (test() logs in afresh once more);
    // the signature mode never logs in.
    assert!(st.logins_ok >= 6, "{st:?}");
    assert_eq!(st.logins_failed, 0, "{st:?}");
}

#[tokio::test]
async fn signature_mode_passes_strict_gateway_verification() {
    // The simulator checks X-Api-Signature too when asked (off by default, as on private servers).
    let sim = start(ferry_sim_kingdee::KingdeeSimConfig { verify_api_signature: true, ..sim_config() }).await;
    let conn = open(settings(&sim, "api_signature", json!({})));
    let rows = conn.client().execute_bill_query(&BillQuery::new("BD_Currency", &["FCODE"])).await.unwrap();
    assert!(rows.iter().any(|r| r[0] == json!("CNY")), "{rows:?}");
    assert_eq!(sim_logins(&sim), 0, "no login in signature mode");
    // The session the first signed call opened is carried afterwards: one session in all.
    conn.client().execute_bill_query(&BillQuery::new("BD_Currency", &["FCODE"])).await.unwrap();
    assert_eq!(sim.stats().sessions_created, 1);
}

#[tokio::test]
async fn refused_credentials_give_a_clear_auth_error_without_the_secret() {
    let sim = start(sim_config()).await;
    let cases = [
        ("login_by_sign", json!({"app_secret": "wrong-secret-123"}), "第三方系统登录授权"),
        ("login_by_app_secret", json!({"app_secret": "wrong-secret-123"}), "第三方系统登录授权"),
        ("validate_user", json!({"password": "wrong-secret-123"}), "wrong password"),
        ("login_by_sign", json!({"acct_id": "nope"}), "check acct_id"),
        ("api_signature", json!({"app_secret": "wrong-secret-123"}), "signature"),
        ("api_signature", json!({"acct_id": "nope"}), "signature"),
    ];
    for (mode, extra, expect) in cases {
        let conn = open(settings(&sim, mode, extra.clone()));
        let e = conn.test().await.expect_err(mode);
        assert_eq!(e.class, ErrorClass::Auth, "{mode} {extra}: {e:?}");
        assert!(e.message.contains(expect), "{mode} {extra}: {}", e.message);
        assert!(!e.message.contains("wrong-secret-123") && !e.message.contains(APP_SECRET), "{}", e.message);
        // A write with bad credentials stops the run (Auth), it does not fail records one by one.
        let sink = inbound_sink(&conn).await;
        let err = sink.write(&[out("X-1", inbound("X-1", &[("A0001", 1.0)]))]).await.expect_err(mode);
        assert_eq!(err.class, ErrorClass::Auth, "{mode} {extra}: {err:?}");
    }
}

#[tokio::test]
async fn an_unreachable_server_is_transient() {
    // Bind a port, then free it: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let conn = open(json!({"server": format!("http://127.0.0.1:{port}/k3cloud/"), "acct_id": "a", "user": "u",
                            "auth": "login_by_sign", "app_id": APP_ID, "app_secret": APP_SECRET,
                            "max_retries": 1, "retry_base_ms": 1}));
    let e = conn.test().await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Transient, "{e:?}");
    assert!(e.message.contains("could not connect"), "{}", e.message);
    let sink = inbound_sink(&conn).await;
    let e = sink.write(&[out("X-1", inbound("X-1", &[("A0001", 1.0)]))]).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Transient, "nothing was sent: {e:?}");
}

#[tokio::test]
async fn a_server_that_is_not_k3cloud_is_a_config_error() {
    let sim = start(sim_config()).await;
    // The query string swallows the service name: the simulator sees /k3cloud/index.html → 404.
    let conn = open(settings(&sim, "login_by_sign", json!({ "server": format!("{}index.html?", sim.base_url()) })));
    let e = conn.test().await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Config, "{e:?}");
    assert!(e.message.contains("404") && e.message.contains("/k3cloud/"), "{}", e.message);
}
