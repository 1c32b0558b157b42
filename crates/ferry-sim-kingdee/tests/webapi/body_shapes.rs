//! The four body shapes, `data` as object or string, lenient booleans and numbers, service
//! names in any case, Content-Type ignored, framework faults for bad bodies.

use serde_json::json;

use crate::client::{AUTH, FORM, demo, inbound, rs};

#[tokio::test]
async fn positional_and_named_with_data_as_object_or_string() {
    let (sim, kd) = demo().await;
    let url = format!("{FORM}.Save");
    let bodies = [
        json!({"parameters": ["STK_MISCELLANEOUS", json!({"Model": inbound("S1", "A0001", "CK001", 1.0)}).to_string()]}),
        json!({"parameters": ["STK_MISCELLANEOUS", {"Model": inbound("S2", "A0001", "CK001", 1.0)}]}),
        json!({"formid": "STK_MISCELLANEOUS", "data": {"Model": inbound("S3", "A0001", "CK001", 1.0)}}),
        json!({"formid": "STK_MISCELLANEOUS", "data": json!({"Model": inbound("S4", "A0001", "CK001", 1.0)}).to_string()}),
        json!({"FormId": "STK_MISCELLANEOUS", "Data": {"Model": inbound("S5", "A0001", "CK001", 1.0)}}),
        json!({"format": 1, "useragent": "ApiClient", "rid": "1234", "timestamp": "2024-05-01 00:00:00", "v": "1.0",
               "parameters": ["STK_MISCELLANEOUS", json!({"Model": inbound("S6", "A0001", "CK001", 1.0)}).to_string()]}),
    ];
    for (i, b) in bodies.iter().enumerate() {
        let v = kd.post(&url, b.clone()).await;
        assert_eq!(rs(&v)["IsSuccess"], true, "shape {i}: {v}");
        assert_eq!(v["Result"]["Number"], format!("S{}", i + 1));
    }
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 6);
}

#[tokio::test]
async fn form_urlencoded_and_named_logins() {
    let (sim, kd) = demo().await;
    let url = format!("{AUTH}.ValidateUser");
    let resp = kd
        .http
        .post(kd.url(&url))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("acctID=ferry-demo-acct&username=demo&password=demo123&lcid=2052")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["LoginResultType"], 1);
    for body in [
        json!({"acctid": "ferry-demo-acct", "username": "demo", "password": "demo123", "lcid": "2052"}),
        json!({"acctID": "ferry-demo-acct", "userName": "demo", "password": "demo123", "lcid": 2052}),
    ] {
        assert_eq!(kd.post(&url, body).await["LoginResultType"], 1);
    }
    let v = kd
        .post(
            &format!("{AUTH}.LoginByAppSecret"),
            json!({"acctid": "ferry-demo-acct", "username": "demo", "appid": "ferry-demo-app", "appsecret": "ferry-demo-secret", "lcid": 2052}),
        )
        .await;
    assert_eq!(v["LoginResultType"], 1);
    assert_eq!(sim.stats().logins_ok, 5);
}

#[tokio::test]
async fn content_type_is_ignored_and_service_names_are_case_insensitive() {
    let (sim, kd) = demo().await;
    let body = json!({"formid": "stk_miscellaneous", "data": {"Model": [inbound("C1", "A0001", "CK001", 1.0)]}}).to_string();
    let url = format!(
        "{}Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.batchsave.common.kdsvc",
        kd.base
    );
    let v: serde_json::Value = kd
        .http
        .post(&url)
        .header("Content-Type", "applicatin/json")
        .header("Cookie", kd.cookie.clone().unwrap())
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    let upper = kd.base.replace("/k3cloud/", "/K3Cloud/");
    let url = format!(
        "{upper}kingdee.bos.webapi.servicesstub.dynamicformservice.EXECUTEBILLQUERY.common.kdsvc"
    );
    let rows: serde_json::Value = kd
        .http
        .post(&url)
        .header("Cookie", kd.cookie.clone().unwrap())
        .body(json!({"data": {"FormId": "STK_MISCELLANEOUS", "FieldKeys": "FBillNo"}}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rows, json!([["C1"]]));
    assert_eq!(sim.stats().calls["BatchSave"], 1);
}

#[tokio::test]
async fn strings_for_booleans_and_numbers() {
    let (sim, kd) = demo().await;
    let mut model = inbound("B1", "A0001", "CK001", 0.0);
    model["FEntity"][0]["FQty"] = json!("12.5");
    model["FEntity"][0]["FPrice"] = json!("2");
    let v = kd
        .form("BatchSave", "STK_MISCELLANEOUS", json!({"IsAutoSubmitAndAudit": "true", "IsVerifyBaseDataField": "false", "Model": [model]}))
        .await;
    assert_eq!(rs(&v)["IsSuccess"], true, "{v}");
    let bill = sim.bill("STK_MISCELLANEOUS", "B1").unwrap();
    assert_eq!(bill.status, "C");
    let rows = kd.query(json!({"FormId": "STK_MISCELLANEOUS", "FieldKeys": "FQty,FPrice,FAmount", "FilterString": "FBillNo='B1'"})).await;
    assert_eq!(rows, json!([[12.5, 2, 25]]));
}

#[tokio::test]
async fn bad_bodies_are_framework_faults() {
    let (_sim, kd) = demo().await;
    let url = format!("{FORM}.View");
    let bare = kd.send(&url, "[\"STK_MISCELLANEOUS\"]", &[]).await.unwrap();
    assert_eq!(bare.status, 200);
    assert!(bare.text.starts_with("response_error:"), "{}", bare.text);
    assert!(bare.text.contains("Additional text"));
    let payload: serde_json::Value =
        serde_json::from_str(bare.text.trim_start_matches("response_error:")).unwrap();
    assert!(payload.get("InnerExWrapper").is_some());
    let broken = kd.send(&url, "{\"formid\":", &[]).await.unwrap();
    assert!(broken.text.starts_with("response_error:"));
    let unknown = kd
        .send(
            "Kingdee.BOS.WebApi.ServicesStub.NoSuchService.Foo",
            "{}",
            &[],
        )
        .await
        .unwrap();
    assert!(unknown.text.starts_with("response_error:"));
    let get = kd
        .http
        .get(kd.url(&format!("{FORM}.View")))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
}

#[tokio::test]
async fn excute_operation_in_both_spellings() {
    let (sim, kd) = demo().await;
    kd.form(
        "Save",
        "STK_MISCELLANEOUS",
        json!({"Model": inbound("E1", "A0001", "CK001", 1.0)}),
    )
    .await;
    for op in ["ExcuteOperation", "ExecuteOperation"] {
        let number = if op == "ExcuteOperation" {
            "Submit"
        } else {
            "Audit"
        };
        let v = kd
            .post(&format!("{FORM}.{op}"), json!({"formid": "STK_MISCELLANEOUS", "opNumber": number, "data": {"Numbers": ["E1"]}}))
            .await;
        assert_eq!(rs(&v)["IsSuccess"], true, "{op}: {v}");
    }
    assert_eq!(sim.bill("STK_MISCELLANEOUS", "E1").unwrap().status, "C");
}

#[tokio::test]
async fn async_query_mode_returns_a_task_and_query_async_result_finds_it() {
    let (sim, kd) = demo().await;
    let v = kd
        .post(
            &format!("{FORM}.BatchSave"),
            json!({"formid": "STK_MISCELLANEOUS", "data": {"Model": [inbound("AS1", "A0001", "CK001", 1.0)]},
                   "beginmethod": "BeginQueryImpl", "querymethod": "QueryAsyncResult"}),
        )
        .await;
    assert_eq!(v["Status"], 2);
    let task = v["TaskId"].as_str().unwrap().to_string();
    assert_eq!(rs(&v["Result"])["SuccessEntitys"][0]["Number"], "AS1");
    let polled = kd
        .post(
            &format!("{FORM}.QueryAsyncResult"),
            json!({"queryInfo": json!({"TaskId": task, "Cancelled": false}).to_string()}),
        )
        .await;
    assert_eq!(polled["Result"], v["Result"]);
    let positional = kd
        .post(
            &format!("{FORM}.QueryAsyncResult"),
            json!({"parameters": [{"TaskId": task, "Cancelled": false}]}),
        )
        .await;
    assert_eq!(positional["Successful"], true);
    let unknown = kd
        .post(
            &format!("{FORM}.QueryAsyncResult"),
            json!({"parameters": [{"TaskId": "nope"}]}),
        )
        .await;
    assert_eq!(unknown["IsFaulted"], true);
    // The Java SDK's header form.
    let a = kd
        .send(
            &format!("{FORM}.BatchSave"),
            &json!({"formid": "STK_MISCELLANEOUS", "data": {"Model": [inbound("AS2", "A0001", "CK001", 1.0)]}}).to_string(),
            &[("beginmethod", "BeginQueryImpl"), ("querymethod", "QueryAsyncResult")],
        )
        .await
        .unwrap();
    assert_eq!(a.json()["Status"], 2);
    assert_eq!(sim.bills("STK_MISCELLANEOUS").len(), 2);
}
