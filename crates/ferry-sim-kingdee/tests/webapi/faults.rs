//! Faults on demand: each kind, really dropped connections, commit-then-fail, determinism.

use std::time::{Duration, Instant};

use ferry_sim_kingdee::{FaultKind, Faults, KingdeeSimConfig, ScriptedFault};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::client::{FORM, demo, inbound, logged_in, rs};

const MISC: &str = "STK_MISCELLANEOUS";

fn batch(no: &str) -> String {
    json!({"formid": MISC, "data": {"Model": [inbound(no, "A0001", "CK001", 1.0)]}}).to_string()
}

fn script(kind: FaultKind, op: &str) -> Faults {
    Faults {
        script: vec![ScriptedFault::on(op, kind)],
        ..Faults::default()
    }
}

#[tokio::test]
async fn a_dropped_connection_really_closes_the_socket_without_a_response() {
    let (sim, kd) = demo().await;
    sim.set_faults(script(FaultKind::Drop, "BatchSave"));
    let body = batch("DROP1");
    let cookie = kd.cookie.clone().unwrap();
    let mut tcp = tokio::net::TcpStream::connect(sim.local_addr())
        .await
        .unwrap();
    let request = format!(
        "POST /k3cloud/{FORM}.BatchSave.common.kdsvc HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nCookie: {cookie}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut got)).await;
    let closed = match read {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => matches!(
            e.kind(),
            std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
        ),
        Err(_) => false,
    };
    assert!(closed, "the socket must close, not hang");
    assert!(
        got.is_empty(),
        "not a byte of response: {:?}",
        String::from_utf8_lossy(&got)
    );
    assert!(sim.bills(MISC).is_empty(), "a plain drop executes nothing");
    assert_eq!(sim.stats().faults["drop"], 1);
    // reqwest sees a transport error too.
    sim.set_faults(script(FaultKind::Drop, "BatchSave"));
    let err = kd
        .send(&format!("{FORM}.BatchSave"), &body, &[])
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err}");
    assert!(err.is_request(), "{err:?}");
    // The simulator keeps serving.
    let v = kd
        .send(&format!("{FORM}.BatchSave"), &body, &[])
        .await
        .unwrap()
        .json();
    assert_eq!(rs(&v)["IsSuccess"], true);
}

#[tokio::test]
async fn commit_then_drop_applies_the_batch_and_loses_the_answer() {
    let (sim, kd) = demo().await;
    sim.set_faults(script(FaultKind::CommitThenDrop, "BatchSave"));
    let url = format!("{FORM}.BatchSave");
    assert!(kd.send(&url, &batch("CT1"), &[]).await.is_err());
    assert_eq!(sim.bills(MISC).len(), 1, "the write happened");
    // The exactly-once reconcile: query by FBillNo finds it; a blind resend is refused as a duplicate.
    let found = kd.query(json!({"FormId": MISC, "FieldKeys": "FBillNo,FID", "FilterString": "FBillNo in ('CT1')"})).await;
    assert_eq!(found[0][0], "CT1");
    let resent = kd.send(&url, &batch("CT1"), &[]).await.unwrap().json();
    assert_eq!(rs(&resent)["Errors"][0]["FieldName"], "FBillNo");
    assert_eq!(sim.bills(MISC).len(), 1);
}

#[tokio::test]
async fn commit_then_5xx_and_plain_5xx() {
    let (sim, kd) = demo().await;
    let url = format!("{FORM}.BatchSave");
    sim.set_faults(script(FaultKind::CommitThen5xx, "BatchSave"));
    let a = kd.send(&url, &batch("C5"), &[]).await.unwrap();
    assert_eq!(a.status, 500);
    assert_eq!(sim.bills(MISC).len(), 1);
    sim.set_faults(script(FaultKind::Http5xx, "BatchSave"));
    let a = kd.send(&url, &batch("C6"), &[]).await.unwrap();
    assert_eq!(a.status, 500);
    assert_eq!(sim.bills(MISC).len(), 1, "a plain 5xx executes nothing");
    let st = sim.stats();
    assert_eq!(
        (st.faults["commit_then_5xx"], st.faults["http_5xx"]),
        (1, 1)
    );
}

#[tokio::test]
async fn response_error_call_limit_and_session_storms() {
    let (sim, kd) = demo().await;
    sim.set_faults(script(FaultKind::ResponseError, "View"));
    let a = kd
        .send(
            &format!("{FORM}.View"),
            &json!({"formid": MISC, "data": {"Number": "x"}}).to_string(),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(a.status, 200);
    assert!(
        a.text.starts_with("response_error:{\"Message\":"),
        "{}",
        a.text
    );
    sim.set_faults(script(FaultKind::CallLimit, "ExecuteBillQuery"));
    let v = kd
        .query(json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber"}))
        .await;
    assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 14);
    sim.set_faults(Faults {
        session_expiry_every: 3,
        ..Faults::default()
    });
    let probe = json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber", "Limit": 1});
    let codes: Vec<bool> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(kd.query(probe.clone()).await[0][0].is_object());
        }
        out
    };
    assert_eq!(
        codes,
        [false, false, true],
        "the third call meets the storm"
    );
    assert_eq!(
        kd.query(probe).await[0][0]["Result"]["ResponseStatus"]["MsgCode"],
        1,
        "its sessions are gone"
    );
}

#[tokio::test]
async fn edit_lock_conflicts_for_n_attempts_then_success() {
    let (sim, kd) = demo().await;
    sim.set_faults(Faults {
        lock_numbers: [("LK1".to_string(), 2)].into(),
        ..Faults::default()
    });
    let url = format!("{FORM}.BatchSave");
    for _ in 0..2 {
        let v = kd.send(&url, &batch("LK1"), &[]).await.unwrap().json();
        assert_eq!(rs(&v)["MsgCode"], 13);
        let msg = rs(&v)["Errors"][0]["Message"].as_str().unwrap().to_string();
        assert!(msg.contains("冲突，请稍候再使用"), "{msg}");
    }
    let v = kd.send(&url, &batch("LK1"), &[]).await.unwrap().json();
    assert_eq!(rs(&v)["IsSuccess"], true);
    sim.set_faults(script(FaultKind::EditLock, "BatchSave"));
    let v = kd.send(&url, &batch("LK2"), &[]).await.unwrap().json();
    assert_eq!(rs(&v)["MsgCode"], 13);
    assert_eq!(sim.stats().faults["edit_lock"], 3);
}

#[tokio::test]
async fn latency_and_waf() {
    let cfg = KingdeeSimConfig {
        faults: Faults {
            latency_ms: 150,
            ..Faults::default()
        },
        ..KingdeeSimConfig::default()
    };
    let (sim, kd) = logged_in(cfg).await;
    let t = Instant::now();
    kd.query(json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber"}))
        .await;
    assert!(t.elapsed() >= Duration::from_millis(150));
    sim.set_faults(Faults {
        waf_block_less_than: true,
        ..Faults::default()
    });
    let v = kd.query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "FilterString": "FNumber < 'A0003'"})).await;
    assert_eq!(v[0]["actionname"], "showConfirm");
    assert!(
        v[0]["params"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("caller_in_less_Point_Bracket")
    );
}

#[tokio::test]
async fn fractions_are_deterministic_given_the_fault_seed() {
    let (sim, kd) = demo().await;
    let faults = Faults {
        seed: 42,
        drop_rate: 0.3,
        http_5xx_rate: 0.2,
        ..Faults::default()
    };
    let url = format!("{FORM}.ExecuteBillQuery");
    let body =
        json!({"data": {"FormId": "BD_STOCK", "FieldKeys": "FNumber", "Limit": 1}}).to_string();
    let mut runs = Vec::new();
    for _ in 0..2 {
        sim.set_faults(faults.clone());
        let mut outcomes = Vec::new();
        for _ in 0..30 {
            outcomes.push(match kd.send(&url, &body, &[]).await {
                Err(_) => 'D',
                Ok(a) if a.status == 500 => '5',
                Ok(_) => '.',
            });
        }
        runs.push(outcomes.into_iter().collect::<String>());
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains('D') && runs[0].contains('5') && runs[0].contains('.'),
        "{}",
        runs[0]
    );
}

#[tokio::test]
async fn control_endpoint_sets_faults() {
    let (sim, kd) = demo().await;
    let root = kd.base.trim_end_matches("k3cloud/").to_string();
    let resp = kd
        .http
        .post(format!("{root}__sim/faults"))
        .json(
            &json!({"script": [{"kind": "commit_then_drop", "op": "BatchSave"}], "lock_rate": 0.0}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(sim.faults().script.len(), 1);
    assert!(
        kd.send(&format!("{FORM}.BatchSave"), &batch("CE1"), &[])
            .await
            .is_err()
    );
    assert_eq!(sim.bills(MISC).len(), 1);
    let bad = kd
        .http
        .post(format!("{root}__sim/faults"))
        .json(&json!({"no_such": 1}))
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error());
    let current: Faults = kd
        .http
        .get(format!("{root}__sim/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(current.script.is_empty(), "the scripted fault was consumed");
}
