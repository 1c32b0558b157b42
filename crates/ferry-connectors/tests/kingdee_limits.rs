//! Per-connection limits (rate, concurrency) and the rule that no secret reaches a log line, an
//! error or a Debug output.

mod kingdee_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_connectors::kingdee::{BillQuery, auth};
use ferry_connectors::{Connection, ConnectionConfig, Connector};
use ferry_sim_kingdee::{FaultKind, Faults, ScriptedFault};
use kingdee_support::*;
use serde_json::json;

#[tokio::test]
async fn the_rate_limit_spaces_requests() {
    let sim = start(sim_config()).await;
    let conn = open(settings(&sim, "login_by_sign", json!({"rate_limit": 20, "max_concurrency": 1})));
    let q = BillQuery::new("BD_STOCK", &["FNumber"]);
    conn.client().execute_bill_query(&q).await.unwrap();
    let t = Instant::now();
    for _ in 0..10 {
        conn.client().execute_bill_query(&q).await.unwrap();
    }
    // 10 requests at 20/s after the burst: at least ~0.45 s.
    assert!(t.elapsed() >= Duration::from_millis(400), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_is_capped_per_connection() {
    let sim = start(sim_config()).await;
    sim.set_faults(Faults { latency_ms: 150, ..Faults::default() });
    let q = BillQuery::new("BD_STOCK", &["FNumber"]);
    let conn = open(settings(&sim, "login_by_sign", json!({"max_concurrency": 2})));
    conn.client().execute_bill_query(&q).await.unwrap();
    let t = Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (conn, q) = (conn.clone(), q.clone());
            tokio::spawn(async move { conn.client().execute_bill_query(&q).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // Six 150 ms calls two at a time: three waves.
    let capped = t.elapsed();
    assert!(capped >= Duration::from_millis(440), "{capped:?}");
    // Two connection objects do not share a cap.
    let other = open(settings(&sim, "login_by_sign", json!({"max_concurrency": 6})));
    other.client().execute_bill_query(&q).await.unwrap();
    let t = Instant::now();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (conn, q) = (other.clone(), q.clone());
            tokio::spawn(async move { conn.client().execute_bill_query(&q).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    // One wave: well under the capped connection's three.
    assert!(t.elapsed() * 2 < capped, "{:?} vs {capped:?}", t.elapsed());
}

/// A `Write` into a shared buffer, for the log subscriber.
#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_logs_errors_or_debug_output() {
    let buf = Buf::default();
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let password = "pw-SECRET-9876";
    let sim = start(ferry_sim_kingdee::KingdeeSimConfig { password: password.into(), ..sim_config() }).await;
    let mut seen = String::new();
    for mode in ["login_by_sign", "login_by_app_secret", "validate_user", "api_signature"] {
        let conn = open(settings(&sim, mode, json!({"max_retries": 1})));
        seen.push_str(&format!("{conn:?}\n"));
        seen.push_str(&conn.test().await.unwrap());
        let sink = inbound_sink(&conn).await;
        seen.push_str(&format!("{:?}\n", conn.client()));
        // A session loss, a business failure, an in-doubt write and a refused login along the way.
        sim.expire_all_sessions();
        let outs = sink.write(&[out("LOG-1", inbound("LOG-1", &[("NOPE", 1.0)]))]).await.unwrap();
        seen.push_str(&format!("{outs:?}\n"));
        sim.set_faults(Faults { script: vec![ScriptedFault::on("BatchSave", FaultKind::CommitThenDrop)], ..Faults::default() });
        let e = sink.write(&[out(&format!("LOG-{mode}"), inbound(&format!("LOG-{mode}"), &[("A0001", 1.0)]))]).await.unwrap_err();
        seen.push_str(&format!("{e:?}\n"));
        let wrong = if mode == "validate_user" { json!({"password": "wrong-PASSWORD"}) } else { json!({"app_secret": "wrong-APPSECRET"}) };
        let bad = open(settings(&sim, mode, wrong));
        seen.push_str(&format!("{:?}\n", bad.test().await.unwrap_err()));
    }
    // Settings errors never echo a secret.
    let cfg = ConnectionConfig {
        name: "kd".into(),
        system: "kingdee".into(),
        settings: json!({"server": "x", "auth": "login_by_sign", "app_secret": 123456789}),
    };
    let err = ferry_connectors::kingdee::KingdeeConnector.connect(&cfg).err().expect("a config error");
    seen.push_str(&format!("{err:?}\n"));

    let logs = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("kingdee login"), "the logs were captured:\n{logs}");
    let kd_signature = auth::kd_hmac(&format!("{APP_ID}{},{},2052,0", sim.config().acct_id, sim.config().user), APP_SECRET);
    for secret in [
        APP_SECRET,
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef", // the secret half of the app id
        password,
        "wrong-APPSECRET",
        "wrong-PASSWORD",
        "123456789",
        kd_signature.as_str(),
        "kdservice-sessionid=",
        "ASP.NET_SessionId=",
    ] {
        assert!(!logs.contains(secret), "'{secret}' in the logs:\n{logs}");
        assert!(!seen.contains(secret), "'{secret}' in errors or Debug output:\n{seen}");
    }
}
