//! The BatchSave sink against the simulator: per-DIndex outcomes, duplicates, lookups, each
//! MsgCode class, in-doubt writes, the WAF, options and updates.

mod kingdee_support;

use ferry_core::connector::{ErrorClass, OutModel, TargetRef, WriteOutcome};
use ferry_sim_kingdee::{FaultKind, Faults, ScriptedFault};
use kingdee_support::*;
use serde_json::json;

fn failed(o: &WriteOutcome) -> (&ferry_core::connector::ConnectorError, bool) {
    match o {
        WriteOutcome::Failed { error, duplicate } => (error, *duplicate),
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[tokio::test]
async fn batch_save_partial_success_is_matched_by_dindex() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let mut bad_stock = inbound("PART-4", &[("A0001", 1.0)]);
    bad_stock["FEntity"][0]["FSTOCKID"] = json!({"FNumber": "CK999"});
    let batch = vec![
        out("PART-1", inbound("PART-1", &[("A0001", 3.0)])),
        out("PART-2", inbound("PART-2", &[("A0002", 1.0), ("NOSUCH-MAT", 2.0)])),
        out("PART-3", inbound("PART-3", &[("A0003", 5.0)])),
        out("PART-4", bad_stock),
    ];
    let outs = sink.write(&batch).await.unwrap();
    assert_eq!(outs.len(), 4);
    let id1 = written(&outs[0], "PART-1");
    let id3 = written(&outs[2], "PART-3");
    assert_ne!(id1, id3);
    let (e, dup) = failed(&outs[1]);
    assert!(!dup);
    assert_eq!(e.class, ErrorClass::Business, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("9"));
    assert!(e.message.contains("NOSUCH-MAT") && e.message.contains("FMATERIALID"), "{}", e.message);
    let (e, _) = failed(&outs[3]);
    assert_eq!(e.class, ErrorClass::Business);
    assert!(e.message.contains("CK999") && e.message.contains("FSTOCKID"), "{}", e.message);
    // Only the good ones exist, with the ids the outcomes report.
    assert_eq!(sim.bill("STK_MISCELLANEOUS", "PART-1").unwrap().id.to_string(), id1);
    assert_eq!(sim.bill("STK_MISCELLANEOUS", "PART-3").unwrap().id.to_string(), id3);
    assert!(sim.bill("STK_MISCELLANEOUS", "PART-2").is_none() && sim.bill("STK_MISCELLANEOUS", "PART-4").is_none());
    assert_eq!(sim_calls(&sim, "BatchSave"), 1, "one call for the batch");
}

#[tokio::test]
async fn a_duplicate_bill_number_is_reported_as_such_and_lookup_finds_the_original() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let first = sink.write(&[out("DUP-1", inbound("DUP-1", &[("A0001", 1.0)]))]).await.unwrap();
    let id = written(&first[0], "DUP-1");
    let again = sink.write(&[out("DUP-1", inbound("DUP-1", &[("A0001", 1.0)])), out("DUP-2", inbound("DUP-2", &[("A0001", 1.0)]))]).await.unwrap();
    let (e, dup) = failed(&again[0]);
    assert!(dup, "{e:?}");
    assert_eq!(e.class, ErrorClass::Unknown, "the engine reconciles duplicates");
    assert_eq!(e.code.as_deref(), Some("11"));
    assert!(e.message.contains("违反字段唯一性要求") && e.message.contains("[DUP-1]"), "{}", e.message);
    written(&again[1], "DUP-2");
    let found = sink.lookup(&["DUP-1".into(), "NEVER-WRITTEN".into()]).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found["DUP-1"], TargetRef { target_id: Some(id), number: Some("DUP-1".into()) });
}

#[tokio::test]
async fn lookup_finds_written_bills_in_chunks_and_quotes_safely() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let numbers: Vec<String> = (0..120).map(|i| if i == 7 { "O'NEIL-7".to_owned() } else { format!("LK-{i:03}") }).collect();
    for chunk in numbers.chunks(60) {
        let batch: Vec<OutModel> = chunk.iter().map(|n| out(n, inbound(n, &[("A0005", 1.0)]))).collect();
        let outs = sink.write(&batch).await.unwrap();
        for (o, n) in outs.iter().zip(chunk) {
            written(o, n);
        }
    }
    let mut ask = numbers.clone();
    ask.push("LK-999".into());
    ask.push("x' or '1'='1".into());
    let before = sim_calls(&sim, "ExecuteBillQuery");
    let found = sink.lookup(&ask).await.unwrap();
    assert_eq!(found.len(), 120);
    for n in &numbers {
        let bill = sim.bill("STK_MISCELLANEOUS", n).unwrap();
        assert_eq!(found[n].target_id.as_deref(), Some(bill.id.to_string().as_str()), "{n}");
    }
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery") - before, 3, "122 keys in chunks of 50");
    assert!(sink.lookup(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn edit_lock_conflicts_are_retried_until_they_clear() {
    let sim = start(sim_config()).await;
    sim.set_faults(Faults { lock_numbers: [("LOCK-1".to_owned(), 2)].into(), ..Faults::default() });
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let outs = sink.write(&[out("LOCK-1", inbound("LOCK-1", &[("A0001", 1.0)])), out("FREE-1", inbound("FREE-1", &[("A0001", 1.0)]))]).await.unwrap();
    written(&outs[0], "LOCK-1");
    written(&outs[1], "FREE-1");
    assert_eq!(sim_calls(&sim, "BatchSave"), 3, "the batch, then the locked model twice more");
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 2);
}

#[tokio::test]
async fn an_edit_lock_that_never_clears_fails_the_model_as_transient() {
    let sim = start(sim_config()).await;
    sim.set_faults(Faults { lock_numbers: [("LOCK-2".to_owned(), 50)].into(), ..Faults::default() });
    let conn = open(settings(&sim, "login_by_sign", json!({"max_retries": 2})));
    let sink = inbound_sink(&conn).await;
    let outs = sink.write(&[out("LOCK-2", inbound("LOCK-2", &[("A0001", 1.0)]))]).await.unwrap();
    let (e, dup) = failed(&outs[0]);
    assert!(!dup);
    assert_eq!(e.class, ErrorClass::Transient);
    assert_eq!(e.code.as_deref(), Some("13"));
    assert!(e.message.contains("冲突，请稍候再使用"), "{}", e.message);
    assert_eq!(sim_calls(&sim, "BatchSave"), 3, "first call + 2 retries");
}

#[tokio::test]
async fn call_limits_are_retried_and_reported_transient_when_they_persist() {
    let sim = start(sim_config()).await;
    sim.set_faults(Faults { script: vec![ScriptedFault::on("BatchSave", FaultKind::CallLimit)], ..Faults::default() });
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let outs = sink.write(&[out("LIM-1", inbound("LIM-1", &[("A0001", 1.0)]))]).await.unwrap();
    written(&outs[0], "LIM-1");
    assert_eq!(sim_calls(&sim, "BatchSave"), 2);

    sim.set_faults(Faults { call_limit_rate: 1.0, ..Faults::default() });
    let conn = open(settings(&sim, "login_by_sign", json!({"max_retries": 2})));
    let sink = inbound_sink(&conn).await;
    let e = sink.write(&[out("LIM-2", inbound("LIM-2", &[("A0001", 1.0)]))]).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Transient, "{e:?}");
    assert_eq!(e.code.as_deref(), Some("14"));
    assert!(e.message.contains("调用次数超出限制"), "{}", e.message);
    // Reads too.
    let e = conn.client().execute_bill_query(&ferry_connectors::kingdee::BillQuery::new("BD_STOCK", &["FNumber"])).await.unwrap_err();
    assert_eq!((e.class, e.code.as_deref()), (ErrorClass::Transient, Some("14")));
}

#[tokio::test]
async fn business_failures_keep_the_servers_message() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    // MsgCode 9: a base-data value that does not exist.
    let mut no_org = inbound("BIZ-9", &[("A0001", 1.0)]);
    no_org["FStockOrgId"] = json!({"FNumber": "999"});
    // MsgCode 11: a required field missing.
    let mut no_date = inbound("BIZ-11", &[("A0001", 1.0)]);
    no_date["FEntity"][0].as_object_mut().unwrap().remove("FQty");
    let outs = sink.write(&[out("BIZ-9", no_org), out("BIZ-11", no_date)]).await.unwrap();
    let (e9, _) = failed(&outs[0]);
    assert_eq!(e9.class, ErrorClass::Business);
    assert!(e9.message.contains("FStockOrgId") && e9.message.contains("999"), "{}", e9.message);
    let (e11, _) = failed(&outs[1]);
    assert_eq!(e11.class, ErrorClass::Business);
    assert!(e11.message.contains("FQty"), "{}", e11.message);
    // One call, one MsgCode for the answer: the first error's (9).
    assert_eq!(e9.code, e11.code);
    // Each alone shows its own code.
    let mut no_date = inbound("BIZ-11B", &[("A0001", 1.0)]);
    no_date["FEntity"][0].as_object_mut().unwrap().remove("FQty");
    let outs = sink.write(&[out("BIZ-11B", no_date)]).await.unwrap();
    assert_eq!(failed(&outs[0]).0.code.as_deref(), Some("11"));
}

#[tokio::test]
async fn a_dropped_connection_after_commit_is_unknown_and_reconciled_by_lookup() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    for (kind, no) in [(FaultKind::CommitThenDrop, "DOUBT-1"), (FaultKind::CommitThen5xx, "DOUBT-2")] {
        sim.set_faults(Faults { script: vec![ScriptedFault::on("BatchSave", kind)], ..Faults::default() });
        let e = sink.write(&[out(no, inbound(no, &[("A0001", 1.0)]))]).await.unwrap_err();
        assert_eq!(e.class, ErrorClass::Unknown, "{kind:?}: {e:?}");
        assert!(e.message.contains("may or may not have been applied"), "{}", e.message);
        let found = sink.lookup(&[no.to_owned()]).await.unwrap();
        let bill = sim.bill("STK_MISCELLANEOUS", no).expect("committed");
        assert_eq!(found[no].target_id.as_deref(), Some(bill.id.to_string().as_str()));
    }
    // A drop before anything executed is just as uncertain from outside: Unknown, and not found.
    sim.set_faults(Faults { script: vec![ScriptedFault::on("BatchSave", FaultKind::Drop)], ..Faults::default() });
    let e = sink.write(&[out("DOUBT-3", inbound("DOUBT-3", &[("A0001", 1.0)]))]).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Unknown);
    assert!(sink.lookup(&["DOUBT-3".into()]).await.unwrap().is_empty());
    // Resent after reconciliation, it is written once.
    let outs = sink.write(&[out("DOUBT-3", inbound("DOUBT-3", &[("A0001", 1.0)]))]).await.unwrap();
    written(&outs[0], "DOUBT-3");
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 3);
}

#[tokio::test]
async fn framework_faults_are_unknown_for_writes_and_retried_for_reads() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    sim.set_faults(Faults { script: vec![ScriptedFault::on("BatchSave", FaultKind::ResponseError)], ..Faults::default() });
    let e = sink.write(&[out("FW-1", inbound("FW-1", &[("A0001", 1.0)]))]).await.unwrap_err();
    assert_eq!(e.class, ErrorClass::Unknown);
    assert_eq!(e.code.as_deref(), Some("response_error"));
    assert!(e.message.contains("Timeout expired"), "{}", e.message);
    sim.set_faults(Faults {
        script: vec![
            ScriptedFault::on("ExecuteBillQuery", FaultKind::ResponseError),
            ScriptedFault::on("ExecuteBillQuery", FaultKind::Http5xx),
            ScriptedFault::on("ExecuteBillQuery", FaultKind::Drop),
        ],
        ..Faults::default()
    });
    let rows = conn.client().execute_bill_query(&ferry_connectors::kingdee::BillQuery::new("BD_STOCK", &["FNumber"])).await.unwrap();
    assert!(!rows.is_empty());
    assert_eq!(sim_calls(&sim, "ExecuteBillQuery"), 4, "three faults, then the answer");
}

#[tokio::test]
async fn the_waf_blocks_one_model_not_the_batch() {
    let sim = start(sim_config()).await;
    sim.set_faults(Faults { waf_block_less_than: true, ..Faults::default() });
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let mut bad = inbound("WAF-2", &[("A0001", 1.0)]);
    bad["FNOTE"] = json!("qty <script>");
    let outs = sink.write(&[out("WAF-1", inbound("WAF-1", &[("A0001", 1.0)])), out("WAF-2", bad), out("WAF-3", inbound("WAF-3", &[("A0001", 1.0)]))]).await.unwrap();
    written(&outs[0], "WAF-1");
    written(&outs[2], "WAF-3");
    let (e, _) = failed(&outs[1]);
    assert_eq!((e.class, e.code.as_deref()), (ErrorClass::Business, Some("WAF")));
    assert!(e.message.contains("拦截规则"), "{}", e.message);
}

#[tokio::test]
async fn request_options_come_from_the_spec_and_plain_base_data_values_are_wrapped() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    // The spec's flat names (FEntity.IsAutoSubmitAndAudit) and the plain ones both work.
    let spec = target(
        "batchSave",
        "stk_miscellaneous",
        json!({"FEntity.IsAutoSubmitAndAudit": true, "IsVerifyBaseDataField": true, "FEntity.FormId": "STK_MISCELLANEOUS", "FEntity.Operation": "BatchSave"}),
        Some("FBillNo"),
    );
    let sink = sink_for(&conn, &spec).await;
    let mut model = inbound("OPT-1", &[("A0001", 2.0)]);
    model["FStockOrgId"] = json!("100");
    model["FEntity"][0]["FMATERIALID"] = json!("A0001");
    model["FEntity"][0]["FSTOCKID"] = json!("CK002");
    let outs = sink.write(&[out("OPT-1", model)]).await.unwrap();
    written(&outs[0], "OPT-1");
    let bill = sim.bill("STK_MISCELLANEOUS", "OPT-1").unwrap();
    assert_eq!(bill.status, "C", "IsAutoSubmitAndAudit submitted and audited it");
    assert_eq!(bill.raw_model["FStockOrgId"], json!({"FNumber": "100"}));
    assert_eq!(bill.raw_model["FEntity"][0]["FMATERIALID"], json!({"FNumber": "A0001"}));
    assert!(bill.raw_model.get("IsAutoSubmitAndAudit").is_none(), "options are not model fields");

    // IsVerifyBaseDataField refuses a disabled stock.
    sim.set_forbidden("BD_STOCK", "CK003", true).unwrap();
    let mut model = inbound("OPT-2", &[("A0001", 2.0)]);
    model["FEntity"][0]["FSTOCKID"] = json!({"FNumber": "CK003"});
    let outs = sink.write(&[out("OPT-2", model)]).await.unwrap();
    let (e, _) = failed(&outs[0]);
    assert!(e.message.contains("CK003"), "{}", e.message);
}

#[tokio::test]
async fn bad_target_settings_are_config_errors() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    use ferry_connectors::{Connection, SinkContext};
    let try_spec = |spec: ferry_core::scheme::TargetSpec| {
        let conn = conn.clone();
        async move {
            conn.sink(SinkContext { spec: &spec, budget: std::sync::Arc::new(ferry_core::connector::Unmetered), base_dir: ".".into() })
                .await
                .err()
                .map(|e| (e.class, e.message))
        }
    };
    let (class, msg) = try_spec(target("batchSave", "STK_MISCELLANEOUS", json!({"FormId": "STK_MisDelivery"}), None)).await.unwrap();
    assert_eq!(class, ErrorClass::Config);
    assert!(msg.contains("targets.gain.options.FormId"), "{msg}");
    let (_, msg) = try_spec(target("batchSave", "STK_MISCELLANEOUS", json!({"FEntity.Operation": "Save"}), None)).await.unwrap();
    assert!(msg.contains("targets.gain.options.FEntity.Operation"), "{msg}");
    let mut no_form = target("batchSave", "STK_MISCELLANEOUS", json!({}), None);
    no_form.form = None;
    let (_, msg) = try_spec(no_form).await.unwrap();
    assert!(msg.contains("targets.gain.form: required"), "{msg}");
    let (_, msg) = try_spec(target("draft", "STK_MISCELLANEOUS", json!({}), None)).await.unwrap();
    assert!(msg.contains("targets.gain.api"), "{msg}");
    // Without an idempotency field the target cannot be asked.
    let sink = sink_for(&conn, &target("batchSave", "STK_MISCELLANEOUS", json!({}), None)).await;
    assert_eq!(sink.lookup(&["X".into()]).await.unwrap_err().class, ErrorClass::Config);
}

#[tokio::test]
async fn the_save_api_writes_one_model_per_call() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = sink_for(&conn, &target("save", "STK_MISCELLANEOUS", json!({}), Some("FBillNo"))).await;
    assert_eq!(sink.max_batch(), 1);
    let outs = sink.write(&[out("SAVE-1", inbound("SAVE-1", &[("A0001", 1.0)])), out("SAVE-2", inbound("SAVE-2", &[("NOPE", 1.0)]))]).await.unwrap();
    let id = written(&outs[0], "SAVE-1");
    assert_eq!(sim.bill("STK_MISCELLANEOUS", "SAVE-1").unwrap().id.to_string(), id);
    assert_eq!(failed(&outs[1]).0.class, ErrorClass::Business);
    assert_eq!(sim_calls(&sim, "Save"), 2);
}

#[tokio::test]
async fn a_replacing_model_updates_the_bill_it_wrote_before() {
    let sim = start(sim_config()).await;
    let conn = connect(&sim);
    let sink = inbound_sink(&conn).await;
    let outs = sink.write(&[out("UPD-1", inbound("UPD-1", &[("A0001", 1.0)]))]).await.unwrap();
    let id = written(&outs[0], "UPD-1");
    // By id.
    let mut v2 = inbound("UPD-1", &[("A0001", 4.0), ("A0002", 1.0)]);
    v2["FNOTE"] = json!("second version");
    let m = OutModel { replaces: Some(TargetRef { target_id: Some(id.clone()), number: Some("UPD-1".into()) }), ..out("UPD-1", v2) };
    let outs = sink.write(&[m]).await.unwrap();
    assert_eq!(written(&outs[0], "UPD-1"), id);
    let bill = sim.bill("STK_MISCELLANEOUS", "UPD-1").unwrap();
    assert_eq!(bill.entries.len(), 2);
    assert_eq!(bill.raw_model["FNOTE"], json!("second version"));
    // By number only: looked up first.
    let mut v3 = inbound("UPD-1", &[("A0003", 9.0)]);
    v3["FNOTE"] = json!("third version");
    let m = OutModel { replaces: Some(TargetRef { target_id: None, number: Some("UPD-1".into()) }), ..out("UPD-1", v3) };
    let outs = sink.write(&[m]).await.unwrap();
    assert_eq!(written(&outs[0], "UPD-1"), id);
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 1);
    assert_eq!(sim.bill("STK_MISCELLANEOUS", "UPD-1").unwrap().raw_model["FNOTE"], json!("third version"));
    // An audited bill is not altered: the record fails with Kingdee's reason.
    conn.client().submit("STK_MISCELLANEOUS", &ferry_connectors::kingdee::Bills::Numbers(vec!["UPD-1".into()])).await.unwrap();
    conn.client().audit("STK_MISCELLANEOUS", &ferry_connectors::kingdee::Bills::Numbers(vec!["UPD-1".into()])).await.unwrap();
    let m = OutModel { replaces: Some(TargetRef { target_id: Some(id), number: None }), ..out("UPD-1", inbound("UPD-1", &[("A0001", 1.0)])) };
    let outs = sink.write(&[m]).await.unwrap();
    let (e, dup) = failed(&outs[0]);
    assert!(!dup);
    assert_eq!(e.class, ErrorClass::Business);
    assert!(e.message.contains("已审核"), "{}", e.message);
}
