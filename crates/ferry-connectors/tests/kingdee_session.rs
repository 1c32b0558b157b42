//! Sessions against the simulator: loss in the middle of a run (re-login once, replay), expiry
//! storms, proactive renewal after the idle TTL, and one login at a time under concurrency.

mod kingdee_support;

use std::time::Duration;

use ferry_connectors::kingdee::BillQuery;
use ferry_core::connector::{ErrorClass, WriteOutcome};
use ferry_sim_kingdee::{FaultKind, Faults, ScriptedFault};
use kingdee_support::*;
use serde_json::json;

#[tokio::test]
async fn session_lost_mid_run_relogs_once_and_replays() {
    let sim = start(sim_config()).await;
    for mode in ["login_by_sign", "login_by_app_secret", "validate_user", "api_signature"] {
        sim.reset();
        let conn = open(settings(&sim, mode, json!({})));
        let sink = inbound_sink(&conn).await;
        let mut numbers = Vec::new();
        for i in 0..6 {
            if i == 2 || i == 4 {
                assert!(sim.expire_all_sessions() >= 1, "{mode}: a session to expire");
            }
            let no = format!("SESS-{mode}-{i}");
            let outs = sink.write(&[out(&no, inbound(&no, &[("A0002", 1.0)]))]).await.unwrap_or_else(|e| panic!("{mode} #{i}: {e}"));
            written(&outs[0], &no);
            numbers.push(no);
        }
        let st = sim.stats();
        assert_eq!(st.session_lost_responses, 2, "{mode}: {st:?}");
        assert_eq!(st.calls.get("BatchSave").copied(), Some(8), "{mode}: six writes plus two replays: {st:?}");
        if mode == "api_signature" {
            assert_eq!(st.logins_ok, 0);
            assert_eq!(st.sessions_created, 3, "{mode}: first signed call + one per loss");
        } else {
            assert_eq!(st.logins_ok, 3, "{mode}: first login + one per loss");
            assert_eq!(conn.client().login_count(), 3);
        }
        assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 6, "{mode}: each bill exactly once");
    }
}

#[tokio::test]
async fn an_expiry_storm_is_survived() {
    let sim = start(sim_config()).await;
    sim.set_faults(Faults { session_expiry_every: 3, ..Faults::default() });
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    for i in 0..12 {
        let no = format!("STORM-{i}");
        let outs = sink.write(&[out(&no, inbound(&no, &[("A0003", 1.0)]))]).await.unwrap();
        written(&outs[0], &no);
        let rows = conn.client().execute_bill_query(&BillQuery::new("BD_STOCK", &["FNumber"])).await.unwrap();
        assert!(!rows.is_empty());
    }
    assert!(sim.stats().session_lost_responses >= 6, "{:?}", sim.stats());
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 12);
}

#[tokio::test]
async fn a_session_lost_again_right_after_login_is_transient_not_a_loop() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    conn.client().execute_bill_query(&BillQuery::new("BD_STOCK", &["FNumber"])).await.unwrap();
    // The call and its replay both meet an expiry: the connector gives up after one re-login.
    sim.set_faults(Faults {
        script: vec![ScriptedFault::on("ExecuteBillQuery", FaultKind::ExpireSessions), ScriptedFault::on("ExecuteBillQuery", FaultKind::ExpireSessions)],
        ..Faults::default()
    });
    let before = sim_logins(&sim);
    let e = conn.client().execute_bill_query(&BillQuery::new("BD_STOCK", &["FNumber"])).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Transient, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("1"));
    assert!(e.message.contains("会话信息已丢失"), "{}", e.message);
    assert_eq!(sim_logins(&sim) - before, 1, "exactly one re-login");
    // And the next call simply logs in again.
    conn.client().execute_bill_query(&BillQuery::new("BD_STOCK", &["FNumber"])).await.unwrap();
}

#[tokio::test]
async fn an_idle_session_is_renewed_before_use() {
    let sim = start(sim_config()).await;
    let conn = open(settings(&sim, "login_by_sign", json!({"session_idle_ttl_secs": 1.0})));
    let q = BillQuery::new("BD_STOCK", &["FNumber"]);
    conn.client().execute_bill_query(&q).await.unwrap();
    conn.client().execute_bill_query(&q).await.unwrap();
    assert_eq!(sim_logins(&sim), 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    conn.client().execute_bill_query(&q).await.unwrap();
    assert_eq!(sim_logins(&sim), 2, "renewed after the idle TTL");
    assert_eq!(sim.stats().session_lost_responses, 0, "renewed proactively, not after a refusal");
}

#[tokio::test]
async fn concurrent_calls_share_one_login_even_after_a_loss() {
    let sim = start(sim_config()).await;
    let conn = open(settings(&sim, "login_by_sign", json!({"max_concurrency": 4})));
    let q = BillQuery::new("BD_MATERIAL", &["FNumber"]);
    let run = |n: usize| {
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (conn, q) = (conn.clone(), q.clone());
            tasks.push(tokio::spawn(async move { conn.client().execute_bill_query(&q).await.map(|r| r.len()) }));
        }
        tasks
    };
    for t in run(12) {
        assert!(t.await.unwrap().unwrap() > 0);
    }
    assert_eq!(sim_logins(&sim), 1, "twelve concurrent first calls, one login");
    sim.expire_all_sessions();
    for t in run(12) {
        assert!(t.await.unwrap().unwrap() > 0);
    }
    assert_eq!(sim_logins(&sim), 2, "twelve concurrent calls meeting a lost session, one re-login");
}

#[tokio::test]
async fn batch_writes_survive_a_loss_in_the_middle_of_a_concurrent_run() {
    let sim = start(sim_config()).await;
    let conn = open(settings(&sim, "login_by_sign", json!({"max_concurrency": 3})));
    let sink = inbound_sink(&conn).await;
    let mut tasks = Vec::new();
    for t in 0..6 {
        let sink = sink.clone();
        tasks.push(tokio::spawn(async move {
            let batch: Vec<_> = (0..5).map(|i| format!("CONC-{t}-{i}")).map(|no| out(&no, inbound(&no, &[("A0004", 1.0)]))).collect();
            sink.write(&batch).await
        }));
        if t == 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            sim.expire_all_sessions();
        }
    }
    for t in tasks {
        let outs = t.await.unwrap().unwrap();
        assert!(outs.iter().all(|o| matches!(o, WriteOutcome::Written { .. })), "{outs:?}");
    }
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 30);
    assert!(sim_logins(&sim) <= 2, "{:?}", sim.stats());
}
