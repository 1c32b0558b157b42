//! Shared by the end-to-end tests of the seed scheme: both simulators in process, the scheme file
//! from `schemes/`, and the expected Kingdee bills computed from the Jackyun data set alone
//! (independently of the scheme's mapping).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferry_core::scheme::Scheme;
use ferry_engine::{Connections, Engine, EngineCatalog, Job, Settings};
use ferry_sim_jackyun::{DEFAULT_APPKEY, DEFAULT_SECRET, DataSource, GenerateOptions, JackyunSim, JackyunSimConfig};
use ferry_sim_kingdee::{KingdeeSim, KingdeeSimConfig};
use ferry_store::{LedgerFilter, LedgerState, SqliteStore, Store};
use serde_json::Value;

pub const SCHEME_ID: &str = "jackyun-stocktake-to-kingdee-other-inbound";
pub const GAIN: &str = "STK_MISCELLANEOUS";
pub const LOSS: &str = "STK_MisDelivery";

pub fn scheme_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemes").join(format!("{SCHEME_ID}.yaml"))
}

pub struct Sims {
    pub jackyun: JackyunSim,
    pub kingdee: KingdeeSim,
}

pub async fn start_jackyun(stocktakes: u32, seed: u64) -> JackyunSim {
    let cfg = JackyunSimConfig {
        data: DataSource::Generate(GenerateOptions { seed, stocktakes, ..GenerateOptions::default() }),
        ..JackyunSimConfig::default()
    };
    ferry_sim_jackyun::start(cfg, "127.0.0.1:0".parse().unwrap()).await.expect("jackyun simulator")
}

pub async fn start_kingdee(cfg: KingdeeSimConfig) -> KingdeeSim {
    ferry_sim_kingdee::start(cfg, "127.0.0.1:0".parse().unwrap()).await.expect("kingdee simulator")
}

pub async fn start(stocktakes: u32, seed: u64) -> Sims {
    Sims { jackyun: start_jackyun(stocktakes, seed).await, kingdee: start_kingdee(KingdeeSimConfig::default()).await }
}

/// A connections file for the two simulators, with fast retries.
pub fn connections_yaml(jackyun: &JackyunSim, kingdee: &KingdeeSim) -> String {
    let k = kingdee.config();
    format!(
        "connections:\n  jackyun:\n    system: jackyun\n    appkey: \"{DEFAULT_APPKEY}\"\n    appsecret: \"{DEFAULT_SECRET}\"\n    gateway: {}\n    rate_limit: 1000\n    max_concurrency: 2\n    retries: 6\n    retry_base_ms: 5\n    retry_max_ms: 50\n  kingdee:\n    system: kingdee\n    server: {}\n    acct_id: \"{}\"\n    user: \"{}\"\n    auth: login_by_sign\n    app_id: \"{}\"\n    app_secret: \"{}\"\n    max_concurrency: 2\n    max_retries: 4\n    retry_base_ms: 5\n    timeout_secs: 10\n",
        jackyun.gateway_url(),
        kingdee.base_url(),
        k.acct_id,
        k.user,
        k.app_id,
        k.app_secret
    )
}

pub fn connections(s: &Sims) -> Connections {
    Connections::parse("connections.yaml", &connections_yaml(&s.jackyun, &s.kingdee), &|_| None).unwrap_or_else(|e| panic!("{}", e.0))
}

pub struct Loaded {
    pub scheme: Scheme,
    pub text: String,
    pub base_dir: PathBuf,
}

impl Loaded {
    pub fn job(&self) -> Job<'_> {
        Job { id: SCHEME_ID, scheme: &self.scheme, definition: &self.text, base_dir: &self.base_dir }
    }
}

pub fn load(conns: &Connections) -> Loaded {
    let path = scheme_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let scheme = Scheme::load(&path.display().to_string(), &text, &EngineCatalog { connections: conns }).unwrap_or_else(|e| panic!("{}", e.0));
    Loaded { scheme, text, base_dir: path.parent().unwrap().to_path_buf() }
}

/// An engine over an in-memory store with fast engine-level retries.
pub async fn engine(conns: Connections) -> Engine {
    let store = SqliteStore::open_memory().await.unwrap();
    let mut e = Engine::new(Arc::new(store), conns);
    e.settings = Settings { retries: 8, retry_base: Duration::from_millis(5), retry_max: Duration::from_millis(100), ..Settings::default() };
    e
}

/// One expected row: material, stock, quantity, price, lot, source bill number.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub material: String,
    pub stock: String,
    pub qty: f64,
    pub price: f64,
    pub lot: String,
    pub src: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Bill {
    pub date: String,
    pub note: String,
    pub rows: Vec<Row>,
}

#[derive(Debug, Default)]
pub struct Expect {
    /// form → bill number → bill.
    pub bills: BTreeMap<&'static str, BTreeMap<String, Bill>>,
    /// (target, stocktake) that must fail: CK09 (no stock) or an X good (no material).
    pub failures: BTreeSet<(String, String)>,
    /// Of those, the ones failing for a missing material, with the goods.
    pub missing_material: BTreeMap<(String, String), BTreeSet<String>>,
}

/// Jackyun warehouse → Kingdee stock, by the simulators' shared convention.
fn stock_of(code: &str) -> Option<&'static str> {
    match code {
        "CK01" => Some("CK001"),
        "CK02" => Some("CK002"),
        "CK03" => Some("CK003"),
        "CK04" => Some("CK004"),
        _ => None,
    }
}

fn f(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::String(s) => s.parse().unwrap(),
        other => panic!("not a number: {other}"),
    }
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// What Kingdee must hold after the scheme ran over these stocktakes.
pub fn expected(stocktakes: &[Value]) -> Expect {
    let mut e = Expect::default();
    for st in stocktakes.iter().filter(|d| d["status"].as_i64() == Some(5)) {
        let id = s(&st["stocktakeId"]);
        let lines = st["stockTakeDetailViews"].as_array().cloned().unwrap_or_default();
        for (target, form, suffix, sign) in [("gain", GAIN, "GAIN", 1.0), ("loss", LOSS, "LOSS", -1.0)] {
            let mine: Vec<&Value> = lines.iter().filter(|l| f(&l["variQuan"]) * sign > 0.0).collect();
            if mine.is_empty() {
                continue;
            }
            let Some(stock) = stock_of(st["warehouseCode"].as_str().unwrap()) else {
                e.failures.insert((target.into(), id.clone()));
                continue;
            };
            let x: BTreeSet<String> = mine.iter().map(|l| s(&l["goodsNo"])).filter(|g| g.starts_with('X')).collect();
            if !x.is_empty() {
                e.failures.insert((target.into(), id.clone()));
                e.missing_material.insert((target.into(), id.clone()), x);
                continue;
            }
            let rows = mine
                .iter()
                .map(|l| Row {
                    material: s(&l["goodsNo"]),
                    stock: stock.into(),
                    qty: f(&l["variQuan"]).abs(),
                    price: f(&l["price"]),
                    lot: s(&l["batchNo"]),
                    src: id.clone(),
                })
                .collect();
            e.bills.entry(form).or_default().insert(format!("{id}-{suffix}"), Bill { date: s(&st["stocktakeDate"]), note: s(&st["text"]), rows });
        }
    }
    e
}

fn get<'a>(v: &'a Value, a: &str, b: &str) -> &'a Value {
    v.get(a).or_else(|| v.get(b)).unwrap_or(&Value::Null)
}

fn number_of(v: &Value) -> String {
    s(get(v, "FNumber", "FNUMBER"))
}

/// What Kingdee holds, per form and number, as the same shape; panics on a number held twice.
pub fn held(kingdee: &KingdeeSim) -> BTreeMap<&'static str, BTreeMap<String, Bill>> {
    let mut out = BTreeMap::new();
    for form in [GAIN, LOSS] {
        let mut m = BTreeMap::new();
        for b in kingdee.bills(form) {
            assert_eq!(b.status, "C", "{form} {}: submitted and audited", b.number);
            let raw = &b.raw_model;
            let rows = raw["FEntity"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| Row {
                    material: number_of(get(r, "FMATERIALID", "FMaterialId")),
                    stock: number_of(get(r, "FSTOCKID", "FStockId")),
                    qty: f(&r["FQty"]),
                    price: f(&r["FPrice"]),
                    lot: number_of(get(r, "FLOT", "FLot")),
                    src: s(&r["FSRCBILLNO"]),
                })
                .collect();
            let bill = Bill { date: s(&raw["FDate"]), note: s(get(raw, "FNOTE", "FNote")), rows };
            let prev = m.insert(b.number.clone(), bill);
            assert!(prev.is_none(), "{form} {} is held twice", b.number);
        }
        out.insert(form, m);
    }
    out
}

/// Kingdee holds exactly the expected bills, each once, with the expected content.
pub fn assert_exactly(kingdee: &KingdeeSim, exp: &BTreeMap<&'static str, BTreeMap<String, Bill>>) {
    let got = held(kingdee);
    for form in [GAIN, LOSS] {
        let (g, e) = (&got[form], exp.get(form).cloned().unwrap_or_default());
        let missing: Vec<&String> = e.keys().filter(|k| !g.contains_key(*k)).collect();
        let extra: Vec<&String> = g.keys().filter(|k| !e.contains_key(*k)).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{form}: missing {missing:?}, unexpected {extra:?}");
        for (no, bill) in &e {
            assert_eq!(&g[no], bill, "{form} {no}");
        }
    }
}

/// (target, key) of the ledger rows in a state.
pub async fn in_state(store: &dyn Store, state: LedgerState) -> BTreeSet<(String, String)> {
    store
        .ledger_list(&LedgerFilter { scheme: SCHEME_ID.into(), target: None, state: Some(state), key: None, limit: 0, offset: 0 })
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.target, r.key))
        .collect()
}
