//! Shared helpers of the Kingdee connector ↔ simulator tests: start a simulator on 127.0.0.1,
//! connect to it with a given auth mode, build sink specs and models.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use ferry_connectors::kingdee::{KingdeeConnection, KingdeeConnector};
use ferry_connectors::{Connection, ConnectionConfig, SinkContext, SourceContext};
use ferry_core::connector::{OutModel, Sink, Source, Unmetered, WriteOutcome};
use ferry_core::mapping::{Mapping, Plan};
use ferry_core::scheme::{SourceSpec, TargetSpec};
use ferry_sim_kingdee::{KingdeeSim, KingdeeSimConfig};
use serde_json::{Map, Value, json};

/// An app id in the real `<clientId>_<encodedSecret>` format (the reference's test vector).
pub const APP_ID: &str = "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
/// A 32-hex-character app secret (the reference's test vector).
pub const APP_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// The simulator's default account with realistic app credentials.
pub fn sim_config() -> KingdeeSimConfig {
    KingdeeSimConfig { app_id: APP_ID.into(), app_secret: APP_SECRET.into(), ..KingdeeSimConfig::default() }
}

pub async fn start(cfg: KingdeeSimConfig) -> KingdeeSim {
    ferry_sim_kingdee::start(cfg, "127.0.0.1:0".parse().unwrap()).await.expect("simulator starts")
}

/// Connection settings for `sim` in `mode`, with fast retries; `extra` overrides/extends them.
pub fn settings(sim: &KingdeeSim, mode: &str, extra: Value) -> Value {
    let c = sim.config();
    let mut s = json!({
        "server": sim.base_url(),
        "acct_id": c.acct_id,
        "user": c.user,
        "auth": mode,
        "retry_base_ms": 5,
        "timeout_secs": 10,
    });
    if mode == "validate_user" {
        s["password"] = json!(c.password);
    } else {
        s["app_id"] = json!(c.app_id);
        s["app_secret"] = json!(c.app_secret);
    }
    if let (Value::Object(base), Value::Object(more)) = (&mut s, extra) {
        for (k, v) in more {
            if v.is_null() {
                base.remove(&k);
            } else {
                base.insert(k, v);
            }
        }
    }
    s
}

pub fn open(settings: Value) -> Arc<KingdeeConnection> {
    KingdeeConnector::open(&ConnectionConfig { name: "kingdee".into(), system: "kingdee".into(), settings }).expect("valid settings")
}

/// A connection to `sim` with `login_by_sign`.
pub fn connect(sim: &KingdeeSim) -> Arc<KingdeeConnection> {
    open(settings(sim, "login_by_sign", json!({})))
}

/// A target spec for `form` (no mapping: the tests hand over finished models).
pub fn target(api: &str, form: &str, options: Value, idempotency: Option<&str>) -> TargetSpec {
    let options: Map<String, Value> = match options {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    TargetSpec {
        name: "gain".into(),
        connection: "kingdee".into(),
        system: "kingdee".into(),
        api: api.into(),
        form: Some(form.into()),
        batch: 50,
        options,
        idempotency: idempotency.map(str::to_owned),
        filter: None,
        mapping: Mapping { plan: Plan::Const(Value::Null), skip_when: None },
        meta: None,
        on_change: Default::default(),
    }
}

pub async fn sink_for(conn: &KingdeeConnection, spec: &TargetSpec) -> Arc<dyn Sink> {
    conn.sink(SinkContext { spec, budget: Arc::new(Unmetered), base_dir: PathBuf::from(".") }).await.expect("sink opens")
}

/// A BatchSave sink for STK_MISCELLANEOUS keyed by FBillNo.
pub async fn inbound_sink(conn: &KingdeeConnection) -> Arc<dyn Sink> {
    sink_for(conn, &target("batchSave", "STK_MISCELLANEOUS", json!({}), Some("FBillNo"))).await
}

pub fn source_spec(params: Value) -> SourceSpec {
    let params = match params {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    SourceSpec {
        connection: "kingdee".into(),
        system: "kingdee".into(),
        api: "executeBillQuery".into(),
        params,
        window: None,
        key: Plan::Const(Value::Null),
        key_text: String::new(),
        filter: None,
        meta: None,
    }
}

pub async fn source_for(conn: &KingdeeConnection, spec: &SourceSpec, resume: Option<Value>) -> Box<dyn Source> {
    conn.source(SourceContext {
        spec,
        resume,
        budget: Arc::new(Unmetered),
        base_dir: PathBuf::from("."),
        now: jiff::Timestamp::now(),
    })
    .await
    .expect("source opens")
}

/// An other-inbound bill as the spec's fields shape it: one row per (material, qty).
pub fn inbound(bill_no: &str, rows: &[(&str, f64)]) -> Value {
    let entity: Vec<Value> = rows
        .iter()
        .map(|(m, q)| {
            json!({"FInStockType": "1", "FMATERIALID": {"FNumber": m}, "FSTOCKID": {"FNumber": "CK001"},
                   "FQty": q, "FPrice": 1.5, "FEntryNote": "", "FSRCBILLNO": bill_no})
        })
        .collect();
    json!({
        "FBillNo": bill_no,
        "FBillTypeID": {"FNUMBER": "QTRKD01_SYS"},
        "FStockOrgId": {"FNumber": "100"},
        "FStockDirect": "GENERAL",
        "FDate": "2024-05-01 00:00:00",
        "FDEPTID": {"FNumber": "BM000001"},
        "FOwnerTypeIdHead": "BD_OwnerOrg",
        "FOwnerIdHead": {"FNumber": "100"},
        "FNOTE": "ferry test",
        "FEntity": entity,
    })
}

pub fn out(bill_no: &str, payload: Value) -> OutModel {
    OutModel { key: format!("src-{bill_no}"), idem: Some(bill_no.to_owned()), payload, replaces: None }
}

/// The outcome is `Written` with this number; its target id.
pub fn written(o: &WriteOutcome, number: &str) -> String {
    match o {
        WriteOutcome::Written { target_id, number: n } => {
            assert_eq!(n.as_deref(), Some(number), "{o:?}");
            target_id.clone().expect("a target id")
        }
        other => panic!("expected {number} written, got {other:?}"),
    }
}

/// Successful logins the simulator counted.
pub fn sim_logins(sim: &KingdeeSim) -> u64 {
    sim.stats().logins_ok
}

/// Calls of `op` the simulator counted.
pub fn sim_calls(sim: &KingdeeSim, op: &str) -> u64 {
    sim.stats().calls.get(op).copied().unwrap_or(0)
}
