//! `ferry demo`: the seed scheme end to end, with nothing to set up. Both simulators run in this
//! process on free 127.0.0.1 ports; the ledger lives in a temporary directory (or `--data-dir`).
//! It runs the scheme, shows what Kingdee holds, runs again (nothing is written twice), then fixes
//! the cause of the planted failures and re-pushes them (`ferry retry`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use ferry_core::scheme::Scheme;
use ferry_engine::{Connections, Engine, EngineCatalog, Job, RetrySelector, RunReport};
use ferry_sim_jackyun::{DEFAULT_APPKEY, DEFAULT_SECRET, DataSource, GenerateOptions, JackyunSim, JackyunSimConfig};
use ferry_sim_kingdee::{KingdeeSim, KingdeeSimConfig};
use ferry_store::{LedgerFilter, LedgerState, SqliteStore};
use serde_json::Value;

use crate::cmd_run::Live;

/// The seed scheme, built into the binary so that the demo runs from any directory.
pub const SCHEME_FILE: &str = "schemes/jackyun-stocktake-to-kingdee-other-inbound.yaml";
/// Its text.
pub const SCHEME: &str = include_str!("../../../schemes/jackyun-stocktake-to-kingdee-other-inbound.yaml");
/// Its ledger id (the file's stem, as `ferry run` would use).
const SCHEME_ID: &str = "jackyun-stocktake-to-kingdee-other-inbound";
const GAIN_FORM: &str = "STK_MISCELLANEOUS";
const LOSS_FORM: &str = "STK_MisDelivery";
/// Bills shown per form.
const SHOW_BILLS: usize = 1;
/// Failures listed.
const SHOW_FAILURES: usize = 10;

/// `ferry demo`'s flags.
pub struct DemoArgs {
    pub data_dir: Option<PathBuf>,
    pub stocktakes: u32,
    pub seed: u64,
    pub quiet: bool,
}

/// What the demo expects Kingdee to hold, computed from the Jackyun data set alone.
#[derive(Debug, Default)]
struct Expected {
    audited: usize,
    /// Bill numbers per form that must be written.
    bills: BTreeMap<&'static str, BTreeSet<String>>,
    /// (target, stocktake) that must fail: a warehouse without a Kingdee stock (CK09).
    no_warehouse: BTreeSet<(String, String)>,
    /// (target, stocktake) that must fail: a material Kingdee does not have (X…), with those goods.
    no_material: BTreeMap<(String, String), BTreeSet<String>>,
}

fn expected(stocktakes: &[Value]) -> Expected {
    let mut e = Expected::default();
    for st in stocktakes.iter().filter(|s| s["status"].as_i64() == Some(5)) {
        e.audited += 1;
        let id = st["stocktakeId"].as_str().unwrap_or_default().to_owned();
        let lines = st["stockTakeDetailViews"].as_array().cloned().unwrap_or_default();
        for (target, form, suffix, sign) in [("gain", GAIN_FORM, "GAIN", 1.0), ("loss", LOSS_FORM, "LOSS", -1.0)] {
            let mine: Vec<&Value> = lines.iter().filter(|l| l["variQuan"].as_f64().unwrap_or(0.0) * sign > 0.0).collect();
            if mine.is_empty() {
                continue;
            }
            let missing: BTreeSet<String> =
                mine.iter().filter_map(|l| l["goodsNo"].as_str()).filter(|g| g.starts_with('X')).map(str::to_owned).collect();
            if st["warehouseCode"] == "CK09" {
                e.no_warehouse.insert((target.to_owned(), id.clone()));
            } else if !missing.is_empty() {
                e.no_material.insert((target.to_owned(), id.clone()), missing);
            } else {
                e.bills.entry(form).or_default().insert(format!("{id}-{suffix}"));
            }
        }
    }
    e
}

/// The simulators, the engine and the scheme of one demo.
struct Setup {
    jackyun: JackyunSim,
    kingdee: KingdeeSim,
    engine: Engine,
    scheme: Scheme,
    base_dir: PathBuf,
}

impl Setup {
    fn job(&self) -> Job<'_> {
        Job { id: SCHEME_ID, scheme: &self.scheme, definition: SCHEME, base_dir: &self.base_dir }
    }
}

/// The connections of the two simulators, as a connections file would give them.
fn connections(jackyun: &JackyunSim, kingdee: &KingdeeSim) -> anyhow::Result<Connections> {
    let k = kingdee.config();
    let text = format!(
        "connections:\n  jackyun:\n    system: jackyun\n    appkey: \"{DEFAULT_APPKEY}\"\n    appsecret: \"{DEFAULT_SECRET}\"\n    gateway: {}\n    rate_limit: 50\n    max_concurrency: 2\n    retry_base_ms: 50\n  kingdee:\n    system: kingdee\n    server: {}\n    acct_id: \"{}\"\n    user: \"{}\"\n    auth: login_by_sign\n    app_id: \"{}\"\n    app_secret: \"{}\"\n    rate_limit: 50\n    max_concurrency: 2\n    retry_base_ms: 50\n",
        jackyun.gateway_url(),
        kingdee.base_url(),
        k.acct_id,
        k.user,
        k.app_id,
        k.app_secret
    );
    Connections::parse("demo-connections.yaml", &text, &|_| None).map_err(|e| anyhow::anyhow!("the demo's connections: {}", e.0))
}

async fn setup(args: &DemoArgs, data_dir: &Path) -> anyhow::Result<Setup> {
    let loopback: std::net::SocketAddr = "127.0.0.1:0".parse()?;
    let jcfg = JackyunSimConfig {
        data: DataSource::Generate(GenerateOptions { seed: args.seed, stocktakes: args.stocktakes, ..GenerateOptions::default() }),
        ..JackyunSimConfig::default()
    };
    let jackyun = ferry_sim_jackyun::start(jcfg, loopback).await.context("starting the Jackyun simulator")?;
    let kingdee = ferry_sim_kingdee::start(KingdeeSimConfig::default(), loopback).await.context("starting the Kingdee simulator")?;
    let conns = connections(&jackyun, &kingdee)?;
    let scheme = Scheme::load(SCHEME_FILE, SCHEME, &EngineCatalog { connections: &conns }).map_err(|e| anyhow::anyhow!("the built-in scheme: {}", e.0))?;
    let store = SqliteStore::open(data_dir).await?;
    let engine = Engine::new(Arc::new(store), conns);
    Ok(Setup { jackyun, kingdee, engine, scheme, base_dir: data_dir.to_path_buf() })
}

fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn fnumber(v: &Value) -> String {
    num(v.get("FNumber").or_else(|| v.get("FNUMBER")).unwrap_or(v))
}

/// A bill as Kingdee holds it: number, status, date, then one line per row.
fn print_bill(form_name: &str, b: &ferry_sim_kingdee::Bill) {
    let m = &b.raw_model;
    let status = match b.status.as_str() {
        "C" => "audited (已审核)",
        "B" => "submitted",
        "A" => "created",
        _ => "other",
    };
    let rows = m["FEntity"].as_array().cloned().unwrap_or_default();
    println!("   {}  {form_name}  FID {}  {status}  FDate {}  {} row(s)  note “{}”", b.number, b.id, num(&m["FDate"]), rows.len(), num(m.get("FNOTE").or_else(|| m.get("FNote")).unwrap_or(&Value::Null)));
    for r in rows.iter() {
        let get = |a: &str, b: &str| r.get(a).or_else(|| r.get(b)).cloned().unwrap_or(Value::Null);
        println!(
            "       material {:<6} stock {:<6} qty {:>6}  price {:>7}  lot {:<8} source {}",
            fnumber(&get("FMATERIALID", "FMaterialId")),
            fnumber(&get("FSTOCKID", "FStockId")),
            num(&get("FQty", "FQTY")),
            num(&get("FPrice", "FPRICE")),
            fnumber(&get("FLOT", "FLot")),
            num(&get("FSRCBILLNO", "FSrcBillNo")),
        );
    }
}

fn counts_line(r: &RunReport) -> String {
    let c = &r.counts;
    format!("fetched {} · filtered {} · skipped {} · written {} · failed {}", c.fetched, c.filtered, c.skipped, c.written, c.failed)
}

/// Bill numbers per form, and whether any number is held twice.
fn held(kingdee: &KingdeeSim) -> (BTreeMap<&'static str, BTreeSet<String>>, usize) {
    let mut out = BTreeMap::new();
    let mut dups = 0;
    for form in [GAIN_FORM, LOSS_FORM] {
        let bills = kingdee.bills(form);
        let set: BTreeSet<String> = bills.iter().map(|b| b.number.clone()).collect();
        dups += bills.len() - set.len();
        out.insert(form, set);
    }
    (out, dups)
}

async fn failed_rows(engine: &Engine) -> anyhow::Result<Vec<ferry_store::LedgerEntry>> {
    Ok(engine
        .store
        .ledger_list(&LedgerFilter { scheme: SCHEME_ID.into(), target: None, state: Some(LedgerState::Failed), key: None, limit: 0, offset: 0 })
        .await?)
}

/// Returns whether everything went as the demo intends (exit 0).
pub async fn run(args: DemoArgs) -> anyhow::Result<bool> {
    let temp;
    let data_dir = match &args.data_dir {
        Some(d) if d.join("ferry.db").exists() => {
            return Err(crate::load::BadInput(format!(
                "{} already holds a ledger: the demo's simulators start empty every time, so its ledger must too. Give a new --data-dir (or delete this one).",
                d.display()
            ))
            .into());
        }
        Some(d) => d.clone(),
        None => {
            temp = tempfile::Builder::new().prefix("ferry-demo-").tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let s = setup(&args, &data_dir).await?;
    let stocktakes = s.jackyun.stocktakes();
    let exp = expected(&stocktakes);
    let mut ok = true;
    let mut check = |cond: bool, what: &str| {
        if !cond {
            println!("  ✗ unexpected: {what}");
            ok = false;
        }
    };

    println!("Ferry demo — 吉客云盘点单 → 金蝶云星空 其他入库单 / 其他出库单");
    println!();
    println!("1. Two systems, simulated on this machine");
    println!("   吉客云 Jackyun open platform  {}", s.jackyun.gateway_url());
    println!("     {} stocktakes (盘点单) over the last 8 weeks; {} audited (status 5)", stocktakes.len(), exp.audited);
    println!("   金蝶云星空 Kingdee WebAPI      {}", s.kingdee.base_url());
    println!("     stocks CK001–CK004, materials A0001–A0200, organisation 100");
    println!("   Ferry's ledger                {}{}", data_dir.join("ferry.db").display(), if args.data_dir.is_none() { " (temporary; keep it with --data-dir)" } else { "" });
    println!();
    println!("2. The scheme ({SCHEME_FILE}, built in)");
    println!("   source  wms.stocktake.get, key stocktakeId, only audited stocktakes (status == 5)");
    println!("   gain →  {GAIN_FORM} 其他入库单: rows with variQuan > 0, FQty = variQuan, FBillNo PD…-GAIN");
    println!("   loss →  {LOSS_FORM}   其他出库单: rows with variQuan < 0, FQty = |variQuan|, FBillNo PD…-LOSS");
    println!("   Planted in the data: {} stocktake(s) in CK09 退货仓 (no Kingdee stock) and {} bill(s) with goods X… that Kingdee lacks.",
        exp.no_warehouse.iter().map(|(_, k)| k).collect::<BTreeSet<_>>().len(), exp.no_material.len());
    println!();

    // ---- first run ----
    println!("3. First run");
    let live = Live::new(args.quiet, true);
    let r1 = s.engine.run(&s.job(), &live).await;
    live.finish();
    let r1 = r1?;
    let c = &r1.counts;
    println!("   run {}: {} stocktakes fetched in {:.2} s; per target (a stocktake makes up to two bills):", r1.run_id, c.fetched, r1.elapsed.as_secs_f64());
    println!("   written {:>4}   bills now in Kingdee", c.written);
    println!("   filtered {:>3}   not audited, or no rows of that direction (zero variance)", c.filtered);
    println!("   failed {:>5}   each kept in the ledger with its reason (ferry ledger … --state failed):", c.failed);
    let failed = failed_rows(&s.engine).await?;
    for f in failed.iter().take(SHOW_FAILURES) {
        let msg = f.last_error.as_deref().unwrap_or("");
        let msg = msg.strip_prefix(&format!("record {}: ", f.key)).unwrap_or(msg);
        println!("     {} · {}  {msg}", f.target, f.key);
    }
    if failed.len() > SHOW_FAILURES {
        println!("     … and {} more", failed.len() - SHOW_FAILURES);
    }
    let failed_set: BTreeSet<(String, String)> = failed.iter().map(|f| (f.target.clone(), f.key.clone())).collect();
    let want_failed: BTreeSet<(String, String)> = exp.no_warehouse.iter().cloned().chain(exp.no_material.keys().cloned()).collect();
    check(r1.error.is_none(), "the run stopped with an error");
    check(failed_set == want_failed, "the failures are not exactly the planted ones");
    let (bills1, dups1) = held(&s.kingdee);
    check(bills1 == exp.bills, "Kingdee does not hold exactly the expected bills");
    check(dups1 == 0, "a bill number is held twice");
    println!();

    println!("4. What Kingdee now holds: {} 其他入库单, {} 其他出库单, all audited; the first of each:", bills1[GAIN_FORM].len(), bills1[LOSS_FORM].len());
    for (form, name) in [(GAIN_FORM, "其他入库单"), (LOSS_FORM, "其他出库单")] {
        for b in s.kingdee.bills(form).iter().take(SHOW_BILLS) {
            print_bill(name, b);
        }
    }
    println!();

    // ---- second run ----
    println!("5. Second run: nothing is written twice");
    let live = Live::new(args.quiet, true);
    let r2 = s.engine.run(&s.job(), &live).await;
    live.finish();
    let r2 = r2?;
    println!("   run {}: {}", r2.run_id, counts_line(&r2));
    let (bills2, dups2) = held(&s.kingdee);
    println!("   It re-read only the last 7 days (the scheme's look-back, for stocktakes audited late); the ledger");
    println!("   knew every record, so nothing was sent. Kingdee still holds {} + {} bills, no number twice.", bills2[GAIN_FORM].len(), bills2[LOSS_FORM].len());
    check(r2.counts.written == 0, "the second run wrote something");
    check(bills2 == bills1 && dups2 == 0, "the second run changed what Kingdee holds");
    println!();

    // ---- re-push ----
    println!("6. Re-push after fixing the cause");
    let missing: BTreeSet<String> = exp.no_material.values().flatten().cloned().collect();
    let names: BTreeMap<String, String> = stocktakes
        .iter()
        .flat_map(|s| s["stockTakeDetailViews"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| Some((l["goodsNo"].as_str()?.to_owned(), l["goodsName"].as_str().unwrap_or("").to_owned())))
        .collect();
    for g in &missing {
        let n: usize = g[1..].parse().unwrap_or(0);
        let name = names.get(g).cloned().unwrap_or_else(|| g.clone());
        s.kingdee.add_material(g, &name, &format!("68{n:011}"), "Pcs").map_err(|e| anyhow::anyhow!("adding material {g}: {e}"))?;
    }
    println!("   A Kingdee administrator adds the missing material(s) {} (in the simulator: add_material).", missing.iter().cloned().collect::<Vec<_>>().join(", "));
    println!("   Then: ferry retry {SCHEME_FILE} --state failed");
    let live = Live::new(args.quiet, false);
    let failed_only = RetrySelector { key: None, states: vec![LedgerState::Failed] };
    let r3 = s.engine.retry(&s.job(), &failed_only, &live).await;
    live.finish();
    let r3 = r3?;
    println!(
        "   retry {}: {} stocktake(s) taken from the ledger · {} bill(s) written · {} failed again",
        r3.run_id, r3.counts.fetched, r3.counts.written, r3.counts.failed
    );
    let still = failed_rows(&s.engine).await?;
    let still_set: BTreeSet<(String, String)> = still.iter().map(|f| (f.target.clone(), f.key.clone())).collect();
    check(still_set == exp.no_warehouse, "after the retry, other records than the CK09 ones still fail");
    let (bills3, dups3) = held(&s.kingdee);
    let mut new_bills = Vec::new();
    for form in [GAIN_FORM, LOSS_FORM] {
        for no in bills3[form].difference(&bills1[form]) {
            new_bills.push((form, no.clone()));
        }
    }
    let want_new: BTreeSet<String> = exp.no_material.keys().map(|(t, k)| format!("{k}-{}", if t == "gain" { "GAIN" } else { "LOSS" })).collect();
    check(new_bills.iter().map(|(_, n)| n.clone()).collect::<BTreeSet<_>>() == want_new, "the retry did not write exactly the re-pushed bills");
    check(dups3 == 0, "a bill number is held twice after the retry");
    if let Some((form, no)) = new_bills.first() {
        println!("   The bill appears in Kingdee:");
        if let Some(b) = s.kingdee.bill(form, no) {
            print_bill(if *form == GAIN_FORM { "其他入库单" } else { "其他出库单" }, &b);
        }
    }
    if !still.is_empty() {
        let docs: BTreeSet<&str> = still.iter().map(|f| f.key.as_str()).collect();
        println!("   Still failing, on purpose: {} bill(s) of the {} stocktake(s) in CK09 退货仓, which has no Kingdee stock", still.len(), docs.len());
        println!("   (add it to Kingdee's BD_STOCK, or CK09 to the scheme's warehouses table, then retry again).");
    }
    println!();

    let total: usize = bills3.values().map(BTreeSet::len).sum();
    if ok {
        println!("Result: ok — Kingdee holds {total} bills, each exactly once; the only records not written are the {} planted CK09 ones.", still.len());
    } else {
        println!("Result: NOT as intended (see ✗ above).");
    }
    s.jackyun.shutdown().await;
    let _ = s.kingdee.shutdown().await;
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn expectation_splits_gain_and_loss_and_plants() {
        let docs = vec![
            json!({"stocktakeId": "PD1", "status": 5, "warehouseCode": "CK01", "stockTakeDetailViews": [
                {"goodsNo": "A0001", "variQuan": 2}, {"goodsNo": "A0002", "variQuan": -1}, {"goodsNo": "A0003", "variQuan": 0}]}),
            json!({"stocktakeId": "PD2", "status": 4, "warehouseCode": "CK01", "stockTakeDetailViews": [{"goodsNo": "A0001", "variQuan": 2}]}),
            json!({"stocktakeId": "PD3", "status": 5, "warehouseCode": "CK09", "stockTakeDetailViews": [{"goodsNo": "A0001", "variQuan": 2}]}),
            json!({"stocktakeId": "PD4", "status": 5, "warehouseCode": "CK02", "stockTakeDetailViews": [
                {"goodsNo": "X0001", "variQuan": -3}, {"goodsNo": "A0001", "variQuan": 1}]}),
            json!({"stocktakeId": "PD5", "status": 5, "warehouseCode": "CK02", "stockTakeDetailViews": [{"goodsNo": "A0001", "variQuan": 0}]}),
        ];
        let e = expected(&docs);
        assert_eq!(e.audited, 4);
        let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
        assert_eq!(e.bills[GAIN_FORM], set(&["PD1-GAIN", "PD4-GAIN"]));
        assert_eq!(e.bills[LOSS_FORM], set(&["PD1-LOSS"]));
        assert_eq!(e.no_warehouse, BTreeSet::from([("gain".to_string(), "PD3".to_string())]));
        assert_eq!(e.no_material.keys().cloned().collect::<Vec<_>>(), vec![("loss".to_string(), "PD4".to_string())]);
    }
}
