//! ExecuteBillQuery / BillQuery / QueryBusinessInfo over real sockets.

use serde_json::{Value, json};

use crate::client::{FORM, Kd, demo, inbound, rs};

const MISC: &str = "STK_MISCELLANEOUS";

async fn seeded() -> (ferry_sim_kingdee::KingdeeSim, Kd) {
    let (sim, kd) = demo().await;
    let mut two_rows = inbound("Q2", "A0002", "CK002", 20.0);
    two_rows["FEntity"].as_array_mut().unwrap().push(
        json!({"FMATERIALID": {"FNumber": "A0003"}, "FSTOCKID": {"FNumber": "CK003"}, "FQty": 30}),
    );
    two_rows["FDate"] = json!("2024-06-15");
    let mut third = inbound("Q3", "A0004", "CK004", 40.0);
    third["FNOTE"] = json!("it's special");
    let v = kd
        .form(
            "BatchSave",
            MISC,
            json!({"Model": [inbound("Q1", "A0001", "CK001", 10.0), two_rows, third]}),
        )
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    kd.form("Submit", MISC, json!({"Numbers": ["Q3"]})).await;
    (sim, kd)
}

async fn q(kd: &Kd, fields: &str, filter: &str) -> Value {
    kd.query(json!({"FormId": MISC, "FieldKeys": fields, "FilterString": filter, "OrderString": "FBillNo ASC"}))
        .await
}

fn col(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|r| {
            r[0].as_str()
                .map_or_else(|| r[0].to_string(), str::to_string)
        })
        .collect()
}

#[tokio::test]
async fn filter_operators() {
    let (_sim, kd) = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        ("FBillNo = 'Q1'", &["Q1"]),
        ("FBillNo <> 'Q1'", &["Q2", "Q3"]),
        ("FDocumentStatus = 'B'", &["Q3"]),
        ("FBillNo in ('Q1','Q3')", &["Q1", "Q3"]),
        ("FBillNo like 'q%'", &["Q1", "Q2", "Q3"]),
        ("FNOTE = 'it''s special'", &["Q3"]),
        ("FDate >= '2024-06-01'", &["Q2"]),
        (
            "FDate < '2024-06-01' and (FBillNo = 'Q1' or FBillNo = 'Q3')",
            &["Q1", "Q3"],
        ),
        (
            "FBillNo = 'Q1' or FBillNo = 'Q2' and FDocumentStatus = 'B'",
            &["Q1"],
        ),
        (
            "(FBillNo = 'Q1' or FBillNo = 'Q2') and FDocumentStatus = 'A'",
            &["Q1", "Q2"],
        ),
        ("FSTOCKERID is null and not FBillNo = 'Q2'", &["Q1", "Q3"]),
        ("", &["Q1", "Q2", "Q3"]),
    ];
    for (filter, expect) in cases {
        let v = q(&kd, "FBillNo", filter).await;
        assert_eq!(col(&v), *expect, "{filter}");
    }
    // Entry fields: one row per entry.
    let cases: &[(&str, &[&str])] = &[
        ("FQty > 10", &["Q2", "Q2", "Q3"]),
        ("FQty >= 10 and FQty <= 20", &["Q1", "Q2"]),
        ("FQty < 20", &["Q1"]),
        ("FMATERIALID.FNumber = 'A0003'", &["Q2"]),
        ("FSTOCKID.FName like '成品%'", &["Q1"]),
        ("FSTOCKID.FName like '%成品%'", &["Q1", "Q2"]),
    ];
    for (filter, expect) in cases {
        let v = q(&kd, "FBillNo", filter).await;
        assert_eq!(col(&v), *expect, "{filter}");
    }
}

#[tokio::test]
async fn projection_of_entries_sub_fields_and_dates() {
    let (sim, kd) = seeded().await;
    let v = q(&kd, "FBillNo,FEntity_FSeq,FMATERIALID.FNumber,FMATERIALID.FName,FSTOCKID.FNumber,FQty,FDate,FDocumentStatus,FID,FEntity_FEntryId,FMATERIALID", "FBillNo='Q2'").await;
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "Q2");
    assert_eq!(rows[0][1], 1);
    assert_eq!(rows[1][1], 2);
    assert_eq!(rows[1][2], "A0003");
    let material = sim.data().base["BD_MATERIAL"]
        .iter()
        .find(|m| m.number == "A0003")
        .cloned()
        .unwrap();
    assert_eq!(rows[1][3], material.name.as_str());
    assert_eq!(
        rows[1][10], material.id,
        "a base-data key without suffix is the internal id"
    );
    assert_eq!(rows[1][4], "CK003");
    assert_eq!(rows[1][5], 30);
    assert_eq!(rows[0][6], "2024-06-15T00:00:00");
    assert_eq!(rows[0][7], "A");
    let bill = sim.bill(MISC, "Q2").unwrap();
    assert_eq!(rows[0][8], bill.id);
    assert_eq!(rows[1][9], bill.entries[1].entry_id);
    // Header-only keys give one row per bill.
    assert_eq!(
        q(&kd, "FBillNo", "FBillNo='Q2'")
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn ordering_paging_and_top_row_count() {
    let (_sim, kd) = demo().await;
    let page = |start: u32, limit: u32, top: u32| {
        json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "FilterString": "FNumber like 'A00%'",
               "OrderString": "FNumber DESC", "StartRow": start, "Limit": limit, "TopRowCount": top})
    };
    assert_eq!(
        col(&kd.query(page(0, 3, 0)).await),
        ["A0099", "A0098", "A0097"]
    );
    assert_eq!(col(&kd.query(page(3, 2, 0)).await), ["A0096", "A0095"]);
    assert_eq!(col(&kd.query(page(97, 5, 0)).await), ["A0002", "A0001"]);
    assert_eq!(kd.query(page(0, 0, 0)).await.as_array().unwrap().len(), 99);
    assert_eq!(kd.query(page(0, 0, 5)).await.as_array().unwrap().len(), 5);
    assert_eq!(
        col(&kd.query(page(3, 5, 5)).await),
        ["A0096", "A0095"],
        "TopRowCount caps the window"
    );
    assert_eq!(
        kd.query(page(5, 5, 5)).await,
        json!([]),
        "StartRow >= TopRowCount gives []"
    );
    let two_keys = json!({"FormId": "BD_MATERIAL", "FieldKeys": "FBaseUnitId.FNumber,FNumber", "OrderString": "FBaseUnitId.FNumber asc, FNumber desc", "Limit": 200});
    let rows = kd.query(two_keys).await;
    let pairs: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_lowercase(),
                r[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut sorted = pairs.clone();
    sorted.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    assert_eq!(pairs, sorted);
    let too_big = kd
        .query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "Limit": 20000}))
        .await;
    assert_eq!(too_big[0][0]["Result"]["ResponseStatus"]["MsgCode"], 8);
}

#[tokio::test]
async fn errors_are_wrapped_in_double_arrays() {
    let (_sim, kd) = demo().await;
    let v = kd
        .query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber,FIssueType"}))
        .await;
    assert_eq!(
        v,
        json!([[{"Result": {"ResponseStatus": {"ErrorCode": 500, "IsSuccess": false,
            "Errors": [{"FieldName": null, "Message": "元数据中标识为FIssueType的字段不存在", "DIndex": 0}],
            "SuccessEntitys": [], "SuccessMessages": [], "MsgCode": 9}}}]])
    );
    let v = kd
        .query(json!({"FormId": "STK_OutStock", "FieldKeys": "FBillNo"}))
        .await;
    assert_eq!(
        v[0][0]["Result"]["ResponseStatus"]["Errors"][0]["Message"],
        "业务对象不存在"
    );
    let v = kd.query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "FilterString": "FNumber = = 'x'"})).await;
    assert!(
        v[0][0]["Result"]["ResponseStatus"]["Errors"][0]["Message"]
            .as_str()
            .unwrap()
            .contains("附近有语法错误")
    );
    let v = kd
        .query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber", "OrderString": "FNope"}))
        .await;
    assert_eq!(v[0][0]["Result"]["ResponseStatus"]["MsgCode"], 9);
}

#[tokio::test]
async fn base_data_queries_and_the_array_filter_form() {
    let (_sim, kd) = demo().await;
    let v = kd
        .query(
            json!({"FormId": "BD_STOCK", "FieldKeys": "FNumber,FName", "OrderString": "FNumber"}),
        )
        .await;
    assert_eq!(
        v,
        json!([
            ["CK001", "成品仓"],
            ["CK002", "原料仓"],
            ["CK003", "半成品仓"],
            ["CK004", "电商仓"]
        ])
    );
    let v = kd.query(json!({"FormId": "BD_Department", "FieldKeys": "FNumber,FName", "FilterString": "FNumber='BM000001'"})).await;
    assert_eq!(v, json!([["BM000001", "仓储部"]]));
    let v = kd.query(json!({"FormId": "BD_Supplier", "FieldKeys": "FNumber", "FilterString": "FUseOrgId.FNumber = '100'"})).await;
    assert_eq!(v.as_array().unwrap().len(), 10);
    let v = kd.query(json!({"FormId": "ORG_Organizations", "FieldKeys": "FNumber,FName", "OrderString": "FNumber"})).await;
    assert_eq!(v, json!([["100", "总公司"], ["101", "分公司"]]));
    let v = kd
        .query(json!({"FormId": "BD_MATERIAL", "FieldKeys": "FNumber,FBARCODE", "FilterString": [
            {"Left": "(", "FieldName": "FNumber", "Compare": "=", "Value": "A0010", "Right": "", "Logic": "1"},
            {"Left": "", "FieldName": "FNumber", "Compare": "67", "Value": "A0011", "Right": ")", "Logic": "0"}
        ], "OrderString": "FNumber"}))
        .await;
    assert_eq!(
        v,
        json!([["A0010", "6900000000010"], ["A0011", "6900000000011"]])
    );
}

#[tokio::test]
async fn bill_query_returns_objects_and_business_info_lists_fields() {
    let (_sim, kd) = seeded().await;
    let v = kd
        .post(&format!("{FORM}.BillQuery"), json!({"data": {"FormId": MISC, "FieldKeys": "FBillNo,FMATERIALID.FNumber", "FilterString": "FBillNo='Q1'"}}))
        .await;
    assert_eq!(
        v,
        json!([{"FBillNo": "Q1", "FMATERIALID.FNumber": "A0001"}])
    );
    let v = kd
        .post(
            &format!("{FORM}.QueryBusinessInfo"),
            json!({"parameters": [{"FormId": MISC}]}),
        )
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true);
    let entrys = v["Result"]["NeedReturnData"]["Entrys"].as_array().unwrap();
    let keys: Vec<&str> = entrys[1]["Fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["Key"].as_str().unwrap())
        .collect();
    for k in [
        "FMATERIALID",
        "FSTOCKID",
        "FQty",
        "FCMKBarCode",
        "FSRCBILLNO",
    ] {
        assert!(keys.contains(&k), "{k}");
    }
}
