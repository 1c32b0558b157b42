//! Submit / Audit / UnAudit / Delete rules and messages; View; Forbid on base data.

use serde_json::{Value, json};

use crate::client::{demo, inbound, rs};

const MISC: &str = "STK_MISCELLANEOUS";

fn first_error(v: &Value) -> String {
    rs(v)["Errors"][0]["Message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_document_status_lifecycle_and_its_messages() {
    let (sim, kd) = demo().await;
    kd.form("BatchSave", MISC, json!({"Model": [inbound("L1", "A0001", "CK001", 1.0), inbound("L2", "A0002", "CK001", 1.0)]})).await;
    let status = |n: &str| sim.bill(MISC, n).map(|b| b.status);

    // Audit before submit fails; submit; submit again fails.
    let v = kd.form("Audit", MISC, json!({"Numbers": ["L1"]})).await;
    assert_eq!(rs(&v)["MsgCode"], 11);
    assert!(first_error(&v).contains("未提交"));
    let v = kd
        .form("Submit", MISC, json!({"Numbers": ["L1", "L2"]}))
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    let idx: Vec<u64> = rs(&v)["SuccessEntitys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["DIndex"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, [0, 1]);
    assert_eq!(status("L1").as_deref(), Some("B"));
    assert!(
        first_error(&kd.form("Submit", MISC, json!({"Numbers": ["L1"]})).await)
            .contains("已经提交")
    );

    // Audit: success message, then auditing twice gives the verbatim refusal.
    let v = kd.form("Audit", MISC, json!({"Numbers": ["L1"]})).await;
    assert_eq!(
        rs(&v)["SuccessMessages"][0]["Message"],
        "单据编号为“L1”的其他入库单，审核成功！"
    );
    assert_eq!(status("L1").as_deref(), Some("C"));
    let v = kd.form("Audit", MISC, json!({"Numbers": ["L1"]})).await;
    assert_eq!(rs(&v)["ErrorCode"], 500);
    assert_eq!(rs(&v)["MsgCode"], 11);
    assert_eq!(
        rs(&v)["Errors"][0],
        json!({"FieldName": "", "Message": "单据编号为“L1”的其他入库单，单据已经审核！", "DIndex": 0})
    );

    // Deleting an audited bill fails; UnAudit → D; then delete works.
    let v = kd.form("Delete", MISC, json!({"Numbers": ["L1"]})).await;
    assert!(first_error(&v).contains("已经审核"));
    let v = kd.form("UnAudit", MISC, json!({"Numbers": ["L1"]})).await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    assert_eq!(status("L1").as_deref(), Some("D"));
    assert!(
        first_error(&kd.form("UnAudit", MISC, json!({"Numbers": ["L1"]})).await).contains("未审核")
    );
    let v = kd.form("Delete", MISC, json!({"Numbers": ["L1"]})).await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    assert_eq!(status("L1"), None);
    // A submitted bill cannot be deleted either.
    assert!(
        first_error(&kd.form("Delete", MISC, json!({"Numbers": ["L2"]})).await)
            .contains("已经提交")
    );
}

#[tokio::test]
async fn ids_and_missing_numbers() {
    let (sim, kd) = demo().await;
    kd.form("BatchSave", MISC, json!({"Model": [inbound("I1", "A0001", "CK001", 1.0), inbound("I2", "A0002", "CK001", 1.0)]})).await;
    let ids: Vec<String> = sim.bills(MISC).iter().map(|b| b.id.to_string()).collect();
    let v = kd.form("Submit", MISC, json!({"Ids": ids.join(",")})).await;
    assert_eq!(rs(&v)["SuccessEntitys"].as_array().unwrap().len(), 2);
    // Some missing: the existing ones are processed (DIndex = position in Numbers).
    let v = kd
        .form("Audit", MISC, json!({"Numbers": ["NOPE", "I2"]}))
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    assert_eq!(rs(&v)["SuccessEntitys"][0]["DIndex"], 1);
    // None exists: an error.
    let v = kd.form("Audit", MISC, json!({"Numbers": ["NOPE"]})).await;
    assert_eq!(rs(&v)["IsSuccess"], false);
    assert_eq!(rs(&v)["MsgCode"], 10);
    let v = kd.form("Audit", MISC, json!({})).await;
    assert_eq!(rs(&v)["MsgCode"], 8);
}

#[tokio::test]
async fn view_uses_property_names_and_multilanguage_names() {
    let (_sim, kd) = demo().await;
    let saved = kd
        .form(
            "Save",
            MISC,
            json!({"Model": inbound("VW1", "A0001", "CK001", 3.0)}),
        )
        .await;
    let id = saved["Result"]["Id"].as_i64().unwrap();
    let by_no = kd.form("View", MISC, json!({"Number": "VW1"})).await;
    assert_eq!(rs(&by_no)["IsSuccess"], true);
    let r = &by_no["Result"]["Result"];
    assert_eq!(r["Id"], id);
    assert_eq!(r["BillNo"], "VW1");
    assert_eq!(r["DocumentStatus"], "A");
    assert_eq!(r["StockOrgId"]["Number"], "100");
    assert_eq!(
        r["StockOrgId"]["Name"],
        json!([{"Key": 2052, "Value": "总公司"}])
    );
    assert_eq!(r["DEPTID"]["Name"][0]["Value"], "仓储部");
    let entry = &r["STK_MISCELLANEOUSENTRY"][0];
    assert_eq!(entry["MaterialId"]["Number"], "A0001");
    assert_eq!(entry["StockId"]["Name"][0]["Value"], "成品仓");
    assert_eq!(entry["Qty"], 3);
    let by_id = kd.form("View", MISC, json!({"Id": id.to_string()})).await;
    assert_eq!(by_id["Result"]["Result"]["BillNo"], "VW1");
    let missing = kd.form("View", MISC, json!({"Number": "NOPE"})).await;
    assert_eq!(rs(&missing)["IsSuccess"], false);
    assert_eq!(rs(&missing)["MsgCode"], 10);
    let material = kd
        .form("View", "BD_MATERIAL", json!({"Number": "A0001"}))
        .await;
    assert_eq!(material["Result"]["Result"]["Number"], "A0001");
}

#[tokio::test]
async fn forbid_base_data_through_excute_operation() {
    let (_sim, kd) = demo().await;
    let v = kd
        .post(
            "Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExcuteOperation",
            json!({"parameters": ["BD_STOCK", "Forbid", json!({"Numbers": ["CK002"]}).to_string()]}),
        )
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    let rows = kd.query(json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber,FForbidStatus", "FilterString": "FForbidStatus='B'"})).await;
    assert_eq!(rows, json!([["CK002", "B"]]));
    let v = kd
        .form(
            "Save",
            MISC,
            json!({"IsVerifyBaseDataField": true, "Model": inbound("F1", "A0001", "CK002", 1.0)}),
        )
        .await;
    assert_eq!(rs(&v)["Errors"][0]["FieldName"], "FSTOCKID");
}
