//! Save / BatchSave: partial success with DIndex, duplicates, auto-numbering, required fields,
//! base-data references, unknown keys, updates, IsAutoSubmitAndAudit, IsVerifyBaseDataField.

use ferry_sim_kingdee::{KingdeeSimConfig, Val};
use serde_json::{Value, json};

use crate::client::{demo, inbound, logged_in, rs};

const MISC: &str = "STK_MISCELLANEOUS";

fn errors(v: &Value) -> Vec<(Value, String, u64)> {
    rs(v)["Errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["FieldName"].clone(),
                e["Message"].as_str().unwrap().to_string(),
                e["DIndex"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn batch_save_partial_success_reports_each_model_by_dindex() {
    let (sim, kd) = demo().await;
    let models = json!([
        inbound("P1", "A0001", "CK001", 5.0),
        inbound("P2", "X0001", "CK09", 1.0),
        inbound("P3", "A0200", "CK004", 2.0),
    ]);
    let v = kd.form("BatchSave", MISC, json!({"Model": models})).await;
    let s = rs(&v);
    assert_eq!(s["IsSuccess"], false);
    assert_eq!(s["ErrorCode"], 500);
    assert_eq!(s["MsgCode"], 9);
    let ok: Vec<(String, u64)> = s["SuccessEntitys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["Number"].as_str().unwrap().to_string(),
                e["DIndex"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(ok, [("P1".to_string(), 0), ("P3".to_string(), 2)]);
    assert!(s["SuccessEntitys"][0]["Id"].as_i64().unwrap() > 0);
    let errs = errors(&v);
    assert_eq!(errs.len(), 2);
    assert_eq!(errs[0].0, "FMATERIALID");
    assert!(
        errs[0].1.contains("“物料编码”") && errs[0].1.contains("X0001"),
        "{}",
        errs[0].1
    );
    assert_eq!(errs[1].0, "FSTOCKID");
    assert!(errs[1].1.contains("CK09"));
    assert!(errs.iter().all(|e| e.2 == 1));
    assert_eq!(v["Result"]["NeedReturnData"].as_array().unwrap().len(), 3);
    let stored: Vec<String> = sim.bills(MISC).iter().map(|b| b.number.clone()).collect();
    assert_eq!(stored, ["P1", "P3"]);
    let st = sim.stats();
    assert_eq!((st.models_saved, st.models_failed), (2, 1));
}

#[tokio::test]
async fn mixed_batch_success_flag_and_missing_base_data_code_are_configurable() {
    let cfg = KingdeeSimConfig {
        mixed_batch_is_success: true,
        missing_base_data_msg_code: 11,
        ..KingdeeSimConfig::default()
    };
    let (_sim, kd) = logged_in(cfg).await;
    let v = kd
        .form("BatchSave", MISC, json!({"Model": [inbound("M1", "A0001", "CK001", 1.0), inbound("M2", "A9999", "CK001", 1.0)]}))
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    assert!(rs(&v).get("ErrorCode").is_none());
    assert_eq!(rs(&v)["MsgCode"], 11);
    assert_eq!(errors(&v)[0].2, 1);
}

#[tokio::test]
async fn duplicate_bill_numbers_are_refused_verbatim_even_within_one_batch() {
    let (sim, kd) = demo().await;
    let first = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("test5", "A0001", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(rs(&first)["IsSuccess"], true);
    let again = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("test5", "A0002", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(rs(&again)["MsgCode"], 11);
    assert_eq!(
        errors(&again),
        [(
            json!("FBillNo"),
            "违反字段唯一性要求：编码唯一。[test5]在当前系统中已经被使用。".to_string(),
            0
        )]
    );
    assert_eq!(again["Result"]["Id"], "");
    let batch = kd
        .form("BatchSave", MISC, json!({"Model": [inbound("D1", "A0001", "CK001", 1.0), inbound("D1", "A0001", "CK001", 1.0)]}))
        .await;
    assert_eq!(rs(&batch)["SuccessEntitys"][0]["DIndex"], 0);
    assert_eq!(errors(&batch)[0].2, 1);
    assert_eq!(sim.bills(MISC).len(), 2);
}

#[tokio::test]
async fn empty_bill_numbers_are_auto_numbered_per_form() {
    let (sim, kd) = demo().await;
    let mut m = inbound("", "A0001", "CK001", 1.0);
    let a = kd.form("Save", MISC, json!({"Model": m.clone()})).await;
    assert_eq!(a["Result"]["Number"], "QTRK000001");
    // A client-chosen number that collides with the next auto-number is skipped over.
    kd.form(
        "Save",
        MISC,
        json!({"Model": inbound("QTRK000002", "A0001", "CK001", 1.0)}),
    )
    .await;
    m.as_object_mut().unwrap().remove("FBillNo");
    let b = kd
        .form("BatchSave", MISC, json!({"Model": [m.clone(), m]}))
        .await;
    let numbers: Vec<&str> = rs(&b)["SuccessEntitys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["QTRK000003", "QTRK000004"]);
    let out = json!({"FStockOrgId": {"FNumber": "100"}, "FPickOrgId": {"FNumber": "100"},
                     "FEntity": [{"FMaterialId": {"FNumber": "A0001"}, "FStockId": {"FNumber": "CK001"}, "FQty": 1}]});
    let c = kd
        .form("Save", "STK_MisDelivery", json!({"Model": out}))
        .await;
    assert_eq!(c["Result"]["Number"], "QTCK000001", "{c}");
    let ids: Vec<i64> = sim.bills(MISC).iter().map(|b| b.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn required_fields_and_at_least_one_row() {
    let (_sim, kd) = demo().await;
    let no_pick = json!({"FBillNo": "O1", "FStockOrgId": {"FNumber": "100"},
                         "FEntity": [{"FMaterialId": {"FNumber": "A0001"}, "FStockId": {"FNumber": "CK001"}, "FQty": 1}]});
    let v = kd
        .form("Save", "STK_MisDelivery", json!({"Model": no_pick}))
        .await;
    assert_eq!(rs(&v)["MsgCode"], 11);
    let e = errors(&v);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].0, "FPickOrgId");
    assert!(e[0].1.contains("领用组织"));
    let bad_row = json!({"FBillNo": "R1", "FEntity": [{"FQty": 0, "FNOTE": null}]});
    let v = kd.form("Save", MISC, json!({"Model": bad_row})).await;
    let mut fields: Vec<String> = errors(&v)
        .iter()
        .map(|e| e.0.as_str().unwrap().to_string())
        .collect();
    fields.sort();
    assert!(fields.contains(&"FMATERIALID".to_string()), "{fields:?}");
    assert!(fields.contains(&"FSTOCKID".to_string()));
    assert!(
        fields.contains(&"FQty".to_string()),
        "a zero quantity is not filled in"
    );
    let no_rows = json!({"FBillNo": "R2", "FEntity": []});
    let v = kd.form("Save", MISC, json!({"Model": no_rows})).await;
    assert_eq!(errors(&v)[0].0, "FEntity");
    let no_model = kd.form("Save", MISC, json!({"NeedUpDateFields": []})).await;
    assert_eq!(rs(&no_model)["MsgCode"], 8);
}

#[tokio::test]
async fn unknown_keys_keys_in_any_case_and_unknown_forms() {
    let (sim, kd) = demo().await;
    let mut m = inbound("U1", "A0001", "CK001", 1.0);
    m["IsAutoSubmitAndAudit"] = json!(true);
    m["FEntity"][0]["FIVSerialNo"] = json!("x");
    let v = kd.form("Save", MISC, json!({"Model": m})).await;
    assert_eq!(rs(&v)["MsgCode"], 9);
    let e = errors(&v);
    assert_eq!(e.len(), 2);
    assert!(e.iter().all(|x| x.1.contains("实体不存在此属性")));
    assert!(
        e.iter()
            .any(|x| x.0 == "FIVSerialNo" && x.1.contains("FEntity"))
    );
    let lower = json!({"fbillno": "U2", "fstockorgid": {"fnumber": "100"},
                       "fentity": [{"fmaterialid": {"FNUMBER": "a0002"}, "fstockid": "ck002", "fqty": 3}]});
    let v = kd.form("Save", MISC, json!({"Model": lower})).await;
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    let bill = sim.bill(MISC, "U2").unwrap();
    match &bill.entries[0].fields["FMATERIALID"] {
        Val::Ref(r) => assert_eq!(r.number, "A0002"),
        other => panic!("{other:?}"),
    }
    let v = kd
        .form(
            "Save",
            "STK_OutStock",
            json!({"Model": inbound("U3", "A0001", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(rs(&v)["Errors"][0]["Message"], "业务对象不存在");
}

#[tokio::test]
async fn auto_submit_and_audit_and_raw_models_are_kept() {
    let (sim, kd) = demo().await;
    let m = inbound("A1", "A0001", "CK001", 4.0);
    kd.form(
        "BatchSave",
        MISC,
        json!({"IsAutoSubmitAndAudit": true, "Model": [m.clone()]}),
    )
    .await;
    kd.form(
        "BatchSave",
        MISC,
        json!({"Model": [inbound("A2", "A0001", "CK001", 4.0)]}),
    )
    .await;
    let a1 = sim.bill(MISC, "A1").unwrap();
    assert_eq!(a1.status, "C");
    assert!(a1.approve_date.is_some());
    assert_eq!(a1.raw_model, m);
    assert_eq!(sim.bill(MISC, "A2").unwrap().status, "A");
    // Defaults the server fills in: unit from the material, stock status, keeper.
    let rows = kd
        .query(json!({"FormId": MISC, "FieldKeys": "FUnitID.FNumber,FSTOCKSTATUSID.FNumber,FKEEPERID.FNumber,FBillTypeID.FNumber", "FilterString": "FBillNo='A1'"}))
        .await;
    assert_eq!(rows[0][1], "KCZT01_SYS");
    assert_eq!(rows[0][2], "100");
    assert_eq!(rows[0][3], "QTRKD01_SYS");
    assert!(rows[0][0].as_str().is_some_and(|u| !u.is_empty()));
}

#[tokio::test]
async fn verify_base_data_refuses_disabled_references() {
    let (sim, kd) = demo().await;
    sim.set_forbidden("BD_MATERIAL", "A0005", true).unwrap();
    let lax = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("V1", "A0005", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(rs(&lax)["IsSuccess"], true);
    let strict = kd
        .form(
            "Save",
            MISC,
            json!({"IsVerifyBaseDataField": true, "Model": inbound("V2", "A0005", "CK001", 1.0)}),
        )
        .await;
    assert_eq!(rs(&strict)["MsgCode"], 11);
    assert!(errors(&strict)[0].1.contains("A0005") && errors(&strict)[0].1.contains("禁用"));
    // A bill type of another form does not exist for this form.
    let mut m = inbound("V3", "A0001", "CK001", 1.0);
    m["FBillTypeID"] = json!({"FNUMBER": "QTCKD01_SYS"});
    let v = kd.form("Save", MISC, json!({"Model": m})).await;
    assert_eq!(errors(&v)[0].0, "FBillTypeID");
}

#[tokio::test]
async fn updates_with_fid_or_need_update_fields() {
    let (sim, kd) = demo().await;
    let v = kd
        .form("Save", MISC, json!({"NeedReturnFields": ["FBillNo", "FID", "FEntity.FEntryID", "FQty"], "Model": inbound("W1", "A0001", "CK001", 1.0)}))
        .await;
    let id = v["Result"]["Id"].as_i64().unwrap();
    let nr = &v["Result"]["NeedReturnData"][0];
    assert_eq!(nr["FBillNo"], "W1");
    assert_eq!(nr["FID"], id);
    let entry_id = nr["FEntity"][0]["FEntryID"].as_i64().unwrap();
    assert_eq!(nr["FEntity"][0]["FQty"], 1);
    // Partial update by FID: only the listed fields change, the row keeps its id.
    let upd = json!({"NeedUpDateFields": ["FNOTE", "FQty"], "Model": {"FID": id, "FNOTE": "changed", "FDEPTID": {"FNumber": "BM000002"},
                     "FEntity": [{"FEntryID": entry_id, "FQty": 7}]}});
    let v = kd.form("Save", MISC, upd).await;
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    assert_eq!(v["Result"]["Number"], "W1");
    let b = sim.bill(MISC, "W1").unwrap();
    assert_eq!(b.head["FNOTE"], Val::Text("changed".into()));
    match &b.head["FDEPTID"] {
        Val::Ref(r) => assert_eq!(r.number, "BM000001", "unlisted fields keep their value"),
        other => panic!("{other:?}"),
    }
    assert_eq!(b.entries.len(), 1);
    assert_eq!(b.entries[0].entry_id, entry_id);
    assert_eq!(b.entries[0].fields["FQty"], Val::Num(7.0));
    assert_eq!(b.raw_model["FNOTE"], "changed");
    // Update addressed by FBillNo.
    let v = kd.form("Save", MISC, json!({"NeedUpDateFields": ["FNOTE"], "Model": {"FBillNo": "W1", "FNOTE": "by number"}})).await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    assert_eq!(
        sim.bill(MISC, "W1").unwrap().head["FNOTE"],
        Val::Text("by number".into())
    );
    // Audited bills are not modifiable; unknown FIDs do not exist.
    kd.form("Submit", MISC, json!({"Numbers": ["W1"]})).await;
    kd.form("Audit", MISC, json!({"Numbers": ["W1"]})).await;
    let v = kd
        .form(
            "Save",
            MISC,
            json!({"NeedUpDateFields": ["FNOTE"], "Model": {"FID": id, "FNOTE": "late"}}),
        )
        .await;
    assert!(errors(&v)[0].1.contains("单据已审核，不允许修改"));
    let v = kd
        .form(
            "Save",
            MISC,
            json!({"Model": {"FID": 999_999, "FNOTE": "x"}}),
        )
        .await;
    assert_eq!(rs(&v)["MsgCode"], 10);
}

#[tokio::test]
async fn stock_count_gain_and_loss_forms_work_by_analogy() {
    let (sim, kd) = demo().await;
    let row =
        json!({"FMATERIALID": {"FNumber": "A0001"}, "FSTOCKID": {"FNumber": "CK001"}, "FQty": 2});
    for (form, prefix) in [("STK_StockCountGain", "PY"), ("STK_StockCountLoss", "PK")] {
        let v = kd
            .form("Save", form, json!({"Model": {"FEntity": [row.clone()]}}))
            .await;
        assert_eq!(rs(&v)["IsSuccess"], true, "{form}: {v}");
        assert_eq!(v["Result"]["Number"], format!("{prefix}000001"));
        assert_eq!(sim.bills(form).len(), 1);
    }
}

#[tokio::test]
async fn validate_repeat_json_validate_flag_and_keeping_entries() {
    let (sim, kd) = demo().await;
    let m = inbound("RJ1", "A0001", "CK001", 1.0);
    let opts = |model: &Value| json!({"ValidateRepeatJson": true, "Model": [model]});
    assert_eq!(
        rs(&kd.form("BatchSave", MISC, opts(&m)).await)["IsSuccess"],
        true
    );
    let again = kd.form("BatchSave", MISC, opts(&m)).await;
    assert!(
        errors(&again)[0].1.contains("ValidateRepeatJson"),
        "{again}"
    );
    // ValidateFlag=false skips the required checks (a row without quantity is accepted).
    let no_qty = json!({"FBillNo": "VF1", "FEntity": [{"FMATERIALID": {"FNumber": "A0001"}, "FSTOCKID": {"FNumber": "CK001"}}]});
    assert_eq!(
        rs(&kd
            .form("Save", MISC, json!({"Model": no_qty.clone()}))
            .await)["MsgCode"],
        11
    );
    assert_eq!(
        rs(&kd
            .form(
                "Save",
                MISC,
                json!({"ValidateFlag": false, "Model": no_qty})
            )
            .await)["IsSuccess"],
        true
    );
    // IsDeleteEntry=false keeps rows the update does not mention.
    let id = sim.bill(MISC, "RJ1").unwrap().id;
    let add_row = json!({"NeedUpDateFields": ["FEntity"], "IsDeleteEntry": false, "Model": {"FID": id,
        "FEntity": [{"FMATERIALID": {"FNumber": "A0002"}, "FSTOCKID": {"FNumber": "CK002"}, "FQty": 2}]}});
    assert_eq!(rs(&kd.form("Save", MISC, add_row).await)["IsSuccess"], true);
    let b = sim.bill(MISC, "RJ1").unwrap();
    assert_eq!(b.entries.len(), 2);
    assert_eq!(b.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2]);
    let replace = json!({"NeedUpDateFields": ["FEntity"], "Model": {"FID": id,
        "FEntity": [{"FMATERIALID": {"FNumber": "A0003"}, "FSTOCKID": {"FNumber": "CK003"}, "FQty": 3}]}});
    assert_eq!(rs(&kd.form("Save", MISC, replace).await)["IsSuccess"], true);
    assert_eq!(
        sim.bill(MISC, "RJ1").unwrap().entries.len(),
        1,
        "IsDeleteEntry defaults to true"
    );
}
