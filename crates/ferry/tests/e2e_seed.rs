//! The seed scheme end to end (issue 5): `schemes/jackyun-stocktake-to-kingdee-other-inbound.yaml`
//! against both simulators in process. The expected bills are computed from the Jackyun data set
//! alone (see `e2e_support`), never from the scheme's mapping.

mod e2e_support;

use e2e_support::*;
use ferry_engine::{Quiet, RetrySelector};
use ferry_sim_kingdee::{FaultKind, Faults as KdFaults, ScriptedFault};
use ferry_store::{LedgerState, RunStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_expected_bill_is_written_exactly_once_and_a_second_run_writes_nothing() {
    let sims = start(300, 7).await;
    let exp = expected(&sims.jackyun.stocktakes());
    assert!(exp.bills[GAIN].len() > 100 && exp.bills[LOSS].len() > 100, "a realistic data set");
    assert!(!exp.missing_material.is_empty() && exp.failures.len() > exp.missing_material.len(), "both kinds of planted failure: {exp:?}");
    let conns = connections(&sims);
    let l = load(&conns);
    let engine = engine(conns).await;

    let r1 = engine.run(&l.job(), &Quiet).await.unwrap();
    assert_eq!(r1.status, RunStatus::Partial, "{r1:?}");
    assert_exactly(&sims.kingdee, &exp.bills);
    let written: usize = exp.bills.values().map(|m| m.len()).sum();
    assert_eq!(r1.counts.written as usize, written);
    assert_eq!(in_state(&*engine.store, LedgerState::Failed).await, exp.failures);
    // Each failure names its cause: Kingdee's own words for a missing material, the table for CK09.
    for (t, k, m) in &r1.failures {
        match exp.missing_material.get(&(t.clone(), k.clone())) {
            Some(goods) => assert!(goods.iter().any(|g| m.contains(g.as_str())) && m.contains("不存在"), "{k}: {m}"),
            None => assert!(m.contains("'CK09' is not in table 'warehouses'"), "{k}: {m}"),
        }
    }

    let r2 = engine.run(&l.job(), &Quiet).await.unwrap();
    assert_eq!(r2.counts.written, 0, "{r2:?}");
    assert_exactly(&sims.kingdee, &exp.bills);
    assert_eq!(in_state(&*engine.store, LedgerState::Written).await.len(), written);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_adding_the_missing_material_writes_the_bill_once() {
    let sims = start(300, 7).await;
    let mut exp = expected(&sims.jackyun.stocktakes());
    let conns = connections(&sims);
    let l = load(&conns);
    let engine = engine(conns).await;
    engine.run(&l.job(), &Quiet).await.unwrap();

    // A failed record keeps its source record for the retry.
    let ((t0, k0), _) = exp.missing_material.iter().next().unwrap();
    let row = engine.store.ledger_get(SCHEME_ID, t0, std::slice::from_ref(k0)).await.unwrap().pop().unwrap();
    let kept: serde_json::Value = serde_json::from_str(row.payload.as_deref().expect("payload kept")).unwrap();
    assert_eq!(kept["stocktakeId"], k0.as_str());

    // Nothing fixed yet: a retry writes nothing and doubles nothing.
    let r = engine.retry(&l.job(), &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 0);
    assert_eq!(in_state(&*engine.store, LedgerState::Failed).await, exp.failures);

    // The administrator adds the materials; one record by key first, then the rest by state.
    let goods: std::collections::BTreeSet<String> = exp.missing_material.values().flatten().cloned().collect();
    for g in &goods {
        let n: usize = g[1..].parse().unwrap();
        sims.kingdee.add_material(g, g, &format!("68{n:011}"), "Pcs").unwrap();
    }
    let ((target, first), _) = exp.missing_material.iter().next().unwrap();
    let r = engine.retry(&l.job(), &RetrySelector { key: Some(first.clone()), ..RetrySelector::default() }, &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 1, "{r:?}");
    let number = format!("{first}-{}", if target == "gain" { "GAIN" } else { "LOSS" });
    assert!(sims.kingdee.bill(if target == "gain" { GAIN } else { LOSS }, &number).is_some(), "{number}");

    let r = engine.retry(&l.job(), &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!(r.counts.written as usize, exp.missing_material.len() - 1, "{r:?}");
    let ck09: std::collections::BTreeSet<_> = exp.failures.iter().filter(|k| !exp.missing_material.contains_key(*k)).cloned().collect();
    assert_eq!(in_state(&*engine.store, LedgerState::Failed).await, ck09, "only the CK09 records still fail");

    // The re-pushed bills, with their rows (stocks and materials as expected).
    let docs = sims.jackyun.stocktakes();
    for (t, k) in exp.missing_material.clone().keys() {
        let doc = docs.iter().find(|d| d["stocktakeId"] == k.as_str()).unwrap();
        // With the materials present, the X lines are ordinary lines.
        let sign = if t == "gain" { 1.0 } else { -1.0 };
        let stock = match doc["warehouseCode"].as_str().unwrap() { "CK01" => "CK001", "CK02" => "CK002", "CK03" => "CK003", _ => "CK004" };
        let rows: Vec<Row> = doc["stockTakeDetailViews"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["variQuan"].as_f64().unwrap() * sign > 0.0)
            .map(|l| Row {
                material: l["goodsNo"].as_str().unwrap().into(),
                stock: stock.into(),
                qty: l["variQuan"].as_f64().unwrap().abs(),
                price: l["price"].as_f64().unwrap(),
                lot: l["batchNo"].as_str().unwrap_or("").into(),
                src: k.clone(),
            })
            .collect();
        let form = if t == "gain" { GAIN } else { LOSS };
        let no = format!("{k}-{}", if t == "gain" { "GAIN" } else { "LOSS" });
        let bill = Bill { date: doc["stocktakeDate"].as_str().unwrap().into(), note: doc["text"].as_str().unwrap().into(), rows };
        exp.bills.entry(form).or_default().insert(no, bill);
        // Written: the ledger no longer keeps its source record.
        let row = engine.store.ledger_get(SCHEME_ID, t, std::slice::from_ref(k)).await.unwrap().pop().unwrap();
        assert_eq!((row.state, row.payload), (LedgerState::Written, None), "{t} {k}");
    }
    assert_exactly(&sims.kingdee, &exp.bills);

    // And a later run or retry writes none of them again.
    let r = engine.run(&l.job(), &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 0);
    let r = engine.retry(&l.job(), &RetrySelector::default(), &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 0);
    assert_exactly(&sims.kingdee, &exp.bills);
}

/// Session expiry, throttling, 5xx (before and after Kingdee committed), dropped connections and
/// `response_error:` on Kingdee, 5xx and throttling on Jackyun: nothing lost, nothing doubled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expiry_throttling_and_5xx_lose_and_double_nothing() {
    let sims = start(600, 11).await;
    let exp = expected(&sims.jackyun.stocktakes());
    sims.kingdee.set_faults(KdFaults {
        seed: 3,
        session_expiry_every: 5,
        call_limit_rate: 0.1,
        http_5xx_rate: 0.05,
        commit_then_5xx_rate: 0.08,
        commit_then_drop_rate: 0.05,
        response_error_rate: 0.03,
        drop_rate: 0.03,
        lock_rate: 0.02,
        // And for certain, whatever the draws: writes applied whose answer is lost, a lost answer
        // of a reconciliation query, a session lost in the middle of a batch.
        script: vec![
            ScriptedFault::on("BatchSave", FaultKind::CommitThen5xx),
            ScriptedFault::on("ExecuteBillQuery", FaultKind::Http5xx),
            ScriptedFault::on("BatchSave", FaultKind::CommitThenDrop),
            ScriptedFault::on("BatchSave", FaultKind::ResponseError),
            ScriptedFault::on("BatchSave", FaultKind::ExpireSessions),
            ScriptedFault::on("BatchSave", FaultKind::CommitThen5xx),
        ],
        ..KdFaults::default()
    });
    sims.jackyun
        .set_faults(ferry_sim_jackyun::Faults { seed: 5, error_rate: 0.25, throttle_rate: 0.2, transient_error_rate: 0.1, ..ferry_sim_jackyun::Faults::default() })
        .unwrap();
    let conns = connections(&sims);
    let l = load(&conns);
    let engine = engine(conns).await;

    let r = engine.run(&l.job(), &Quiet).await.unwrap();
    assert!(r.error.is_none(), "{r:?}");
    // Every expected bill exactly once (a number held twice panics), with the right content.
    assert_exactly(&sims.kingdee, &exp.bills);
    let ks = sims.kingdee.stats();
    let js = sims.jackyun.stats();
    assert!(js.faults.http_errors > 0 && js.faults.throttled > 0, "Jackyun faults happened: {:?}", js.faults);
    for kind in ["expire_sessions", "call_limit", "http_5xx", "commit_then_5xx", "commit_then_drop"] {
        assert!(ks.faults.get(kind).copied().unwrap_or(0) > 0, "Kingdee fault {kind} happened: {:?}", ks.faults);
    }
    assert!(ks.session_lost_responses > 0 && ks.logins_ok > 1, "sessions expired and were renewed: {ks:?}");

    // Every record is settled: written, or failed with a reason (nothing in flight or lost).
    assert!(in_state(&*engine.store, LedgerState::InFlight).await.is_empty());
    let failed = in_state(&*engine.store, LedgerState::Failed).await;
    let in_doubt = in_state(&*engine.store, LedgerState::InDoubt).await;
    let written = in_state(&*engine.store, LedgerState::Written).await.len();
    let total: usize = exp.bills.values().map(|m| m.len()).sum();
    assert_eq!(written, total, "every expected bill is written in the ledger");

    // One run was enough: the faults were retried, the unknown outcomes reconciled.
    assert_eq!(failed, exp.failures, "only the planted failures");
    assert!(in_doubt.is_empty(), "nothing left in doubt: {in_doubt:?}");
    assert_exactly(&sims.kingdee, &exp.bills);
}

/// A stocktake dated inside the look-back and audited after the first run is written by the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stocktake_audited_after_its_date_is_picked_up_by_a_later_run() {
    let sims = start(300, 7).await;
    let conns = connections(&sims);
    let l = load(&conns);
    let engine = engine(conns).await;
    engine.run(&l.job(), &Quiet).await.unwrap();

    // A recent stocktake not audited yet, in a mapped warehouse, with gain and loss rows of A goods.
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap());
    let cutoff = now.checked_sub(jiff::Span::new().days(6)).unwrap().strftime("%Y-%m-%d %H:%M:%S").to_string();
    let docs = sims.jackyun.stocktakes();
    let late = docs
        .iter()
        .find(|d| {
            let lines = d["stockTakeDetailViews"].as_array().unwrap();
            d["status"].as_i64() != Some(5)
                && d["stocktakeDate"].as_str().unwrap() > cutoff.as_str()
                && d["warehouseCode"] != "CK09"
                && lines.iter().all(|l| l["goodsNo"].as_str().unwrap().starts_with('A'))
                && lines.iter().any(|l| l["variQuan"].as_f64().unwrap() != 0.0)
        })
        .expect("a recent stocktake that is not audited yet");
    let id = late["stocktakeId"].as_str().unwrap().to_owned();
    assert!(sims.kingdee.bill(GAIN, &format!("{id}-GAIN")).is_none() && sims.kingdee.bill(LOSS, &format!("{id}-LOSS")).is_none());

    sims.jackyun.set_stocktake_status(&id, 5).unwrap();
    let r = engine.run(&l.job(), &Quiet).await.unwrap();
    let mut audited = late.clone();
    audited["status"] = 5.into();
    let want = expected(std::slice::from_ref(&audited));
    let n: usize = want.bills.values().map(|m| m.len()).sum();
    assert!(n >= 1);
    assert_eq!(r.counts.written as usize, n, "{r:?}");
    let got = held(&sims.kingdee);
    for (form, bills) in &want.bills {
        for (no, b) in bills {
            assert_eq!(got[form].get(no), Some(b), "{form} {no}");
        }
    }
    assert_eq!(engine.run(&l.job(), &Quiet).await.unwrap().counts.written, 0);
}

/// The ledger lost (a new data dir) while Kingdee keeps the bills: every bill is refused as a
/// duplicate number, found by its FBillNo, and recorded as written — none is written twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_ledger_reconciles_duplicates_instead_of_writing_twice() {
    let sims = start(200, 9).await;
    let exp = expected(&sims.jackyun.stocktakes());
    let conns = connections(&sims);
    let l = load(&conns);
    engine(conns.clone()).await.run(&l.job(), &Quiet).await.unwrap();
    assert_exactly(&sims.kingdee, &exp.bills);
    let saved = sims.kingdee.stats().models_saved;

    let fresh = engine(conns).await;
    let r = fresh.run(&l.job(), &Quiet).await.unwrap();
    let total: usize = exp.bills.values().map(|m| m.len()).sum();
    assert_eq!(r.counts.written as usize, total, "found in Kingdee, so written: {r:?}");
    assert_eq!(sims.kingdee.stats().models_saved, saved, "Kingdee saved nothing more");
    assert_exactly(&sims.kingdee, &exp.bills);
    let rows = fresh.store.ledger_list(&ferry_store::LedgerFilter { scheme: SCHEME_ID.into(), state: Some(LedgerState::Written), ..Default::default() }).await.unwrap();
    assert!(rows.iter().all(|r| r.target_id.is_some() && r.target_number.as_deref().is_some_and(|n| n.starts_with(&r.key))), "Kingdee's id and number are kept");
}

/// A written stocktake edited in Jackyun afterwards: the scheme's policy (`on_change: skip`) keeps
/// the written bill and warns; nothing is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stocktake_changed_after_it_was_written_is_skipped_with_a_warning() {
    let sims = start(300, 7).await;
    let exp = expected(&sims.jackyun.stocktakes());
    let conns = connections(&sims);
    let l = load(&conns);
    let engine = engine(conns).await;
    engine.run(&l.job(), &Quiet).await.unwrap();

    // The newest written stocktake (inside the look-back), one gain quantity changed.
    let docs = sims.jackyun.stocktakes();
    let doc = docs.iter().rev().find(|d| exp.bills[GAIN].contains_key(&format!("{}-GAIN", d["stocktakeId"].as_str().unwrap()))).unwrap();
    let id = doc["stocktakeId"].as_str().unwrap().to_owned();
    let mut edited = doc.clone();
    let line = edited["stockTakeDetailViews"].as_array_mut().unwrap().iter_mut().find(|l| l["variQuan"].as_f64().unwrap() > 0.0).unwrap();
    line["variQuan"] = serde_json::json!(line["variQuan"].as_f64().unwrap() + 100.0);
    assert!(!sims.jackyun.upsert_stocktake(edited).unwrap(), "replaced, not new");

    let r = engine.run(&l.job(), &Quiet).await.unwrap();
    assert_eq!(r.counts.written, 0, "{r:?}");
    assert!(r.warnings.iter().any(|w| w.contains(&id) && w.contains("changed in the source after it was written") && w.contains("policy: skip")), "{:?}", r.warnings);
    assert_exactly(&sims.kingdee, &exp.bills);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daily_quota_stops_the_run_cleanly_and_the_next_run_resumes_from_the_checkpoint() {
    let sims = start(300, 7).await;
    let exp = expected(&sims.jackyun.stocktakes());
    let with_quota = |q: u32| {
        let yaml = connections_yaml(&sims.jackyun, &sims.kingdee)
            .replace("    rate_limit: 1000\n", &format!("    rate_limit: 1000\n    daily_quota: {{ wms.stocktake.get: {q} }}\n"));
        ferry_engine::Connections::parse("connections.yaml", &yaml, &|_| None).unwrap_or_else(|e| panic!("{}", e.0))
    };
    let conns = with_quota(3);
    let l = load(&conns);
    let engine = engine(conns).await;
    let r1 = engine.run(&l.job(), &Quiet).await.unwrap();
    assert_eq!(r1.status, RunStatus::QuotaExhausted, "{r1:?}");
    let err = r1.error.clone().unwrap_or_default();
    assert!(err.contains("daily quota of 3 calls to wms.stocktake.get"), "{err}");
    let day = ferry_engine::budget::beijing_day();
    assert_eq!(engine.store.call_count("jackyun", "wms.stocktake.get", &day).await.unwrap(), 3, "the 4th call was not made");
    let cp = engine.store.load_checkpoint(SCHEME_ID).await.unwrap().expect("a checkpoint after 3 calls");
    assert_eq!(cp["done"], false, "{cp}");

    // The quota is raised (or a new day begins): the next run resumes where the first stopped.
    let store = engine.store.clone();
    let mut engine2 = ferry_engine::Engine::new(store, with_quota(1000));
    engine2.settings = engine.settings.clone();
    let r2 = engine2.run(&l.job(), &Quiet).await.unwrap();
    assert_eq!(r2.status, RunStatus::Partial, "only the planted failures: {r2:?}");
    assert_eq!((r1.counts.fetched + r2.counts.fetched) as usize, sims.jackyun.stocktakes().len(), "nothing fetched twice, nothing skipped");
    assert_exactly(&sims.kingdee, &exp.bills);
}
