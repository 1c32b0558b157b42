//! What exactly goes over the wire, and the metadata, pinned as snapshots: the login and BatchSave
//! requests in both body styles (captured by a tiny HTTP server on 127.0.0.1), and the batchSave
//! metadata of 其他入库单.

mod kingdee_support;

use std::sync::{Arc, Mutex};

use ferry_connectors::Connector;
use ferry_connectors::kingdee::KingdeeConnector;
use kingdee_support::*;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One captured request: path, the headers worth pinning, and the JSON body.
#[derive(Debug, Clone, serde::Serialize)]
struct Captured {
    path: String,
    headers: Vec<(String, String)>,
    body: Value,
}

const LOGIN_OK: &str = r#"{"Message":null,"LoginResultType":1,"Context":{"DBid":"ACCT","SessionId":"asp-123","UserName":"demo","DataCenterName":"演示账套"},"KDSVCSessionId":"kd-456","IsSuccessByAPI":true}"#;
const SAVE_OK: &str = r#"{"Result":{"ResponseStatus":{"IsSuccess":true,"Errors":[],"SuccessEntitys":[{"Id":100226,"Number":"WMS-IN-0001","DIndex":0}],"SuccessMessages":[],"MsgCode":0},"NeedReturnData":[{}]}}"#;

/// Serve canned answers and record every request.
async fn capture_server() -> (String, Arc<Mutex<Vec<Captured>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/k3cloud/", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { return };
            let log = log.clone();
            tokio::spawn(async move {
                loop {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let head_end = loop {
                        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                            break i + 4;
                        }
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap_or(0)))
                        .unwrap_or(0);
                    while buf.len() < head_end + len {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let path = head.lines().next().unwrap_or("").split(' ').nth(1).unwrap_or("").to_owned();
                    let keep = ["content-type", "cookie", "kdservice-sessionid", "x-kd-appkey", "x-api-clientid", "x-api-auth-version"];
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .filter(|(k, _)| keep.contains(&k.as_str()))
                        .collect();
                    let body: Value = serde_json::from_slice(&buf[head_end..head_end + len]).unwrap_or(Value::Null);
                    let login = path.contains("AuthService");
                    log.lock().unwrap().push(Captured { path, headers, body });
                    let (answer, cookies) = if login {
                        (LOGIN_OK, "Set-Cookie: kdservice-sessionid=kd-456; path=/\r\nSet-Cookie: ASP.NET_SessionId=asp-123; path=/; HttpOnly\r\n")
                    } else {
                        (SAVE_OK, "")
                    };
                    let resp = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n{cookies}Content-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if sock.write_all(resp.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (base, seen)
}

/// The reference's §6.2 model.
fn spec_model() -> Value {
    json!({
        "FBillNo": "WMS-IN-0001", "FBillTypeID": {"FNUMBER": "QTRKD01_SYS"}, "FStockOrgId": {"FNumber": "100"},
        "FStockDirect": "GENERAL", "FDate": "2024-05-01 00:00:00", "FSUPPLIERID": {"FNumber": "VEN001"},
        "FDEPTID": {"FNumber": "BM000001"}, "FOwnerTypeIdHead": "BD_OwnerOrg", "FOwnerIdHead": {"FNumber": "100"},
        "FNOTE": "from WMS",
        "FEntity": [{"FInStockType": "1", "FMATERIALID": {"FNumber": "1.01.001"}, "FCMKBarCode": "6901234567892",
                     "FSTOCKID": {"FNumber": "CK001"}, "FStockLocId": {"FSTOCKLOCID__FF100001": {"FNumber": "A-01"}},
                     "FLOT": {"FNumber": "20240501"}, "FQty": 10, "FPrice": 1.5, "FEntryNote": "",
                     "FSRCBILLNO": "WMS-ASN-0001", "FSRCBILLTYPEID": ""}]
    })
}

async fn requests_of(style: &str, auth: &str) -> Vec<Captured> {
    let (base, seen) = capture_server().await;
    let mut s = json!({"server": base, "acct_id": "ACCT", "user": "demo", "auth": auth, "body_style": style, "org": "100"});
    s["app_id"] = json!(APP_ID);
    s["app_secret"] = json!(APP_SECRET);
    let conn = open(s);
    let sink = sink_for(
        &conn,
        &target("batchSave", "STK_MISCELLANEOUS", json!({"IsAutoSubmitAndAudit": true, "FEntity.IsVerifyBaseDataField": false}), Some("FBillNo")),
    )
    .await;
    let outs = sink.write(&[out("WMS-IN-0001", spec_model())]).await.unwrap();
    written(&outs[0], "WMS-IN-0001");
    let mut reqs = seen.lock().unwrap().clone();
    for r in &mut reqs {
        // The LoginBySign timestamp and signature change every second.
        if r.path.contains("LoginBySign")
            && let Some(p) = r.body.get_mut("parameters").and_then(Value::as_array_mut)
        {
            p[3] = json!("<timestamp>");
            p[4] = json!("<sign>");
        }
        r.path = r.path.split_once("/k3cloud/").map(|(_, p)| format!("/k3cloud/{p}")).unwrap_or(r.path.clone());
    }
    reqs
}

#[tokio::test]
async fn login_then_batch_save_named_body() {
    insta::assert_json_snapshot!("kingdee_wire_named", requests_of("named", "login_by_sign").await);
}

#[tokio::test]
async fn login_then_batch_save_positional_body() {
    let reqs = requests_of("positional", "login_by_sign").await;
    // The positional data argument is a JSON string: show it decoded next to the raw one.
    let data: Value = serde_json::from_str(reqs[1].body["parameters"][1].as_str().unwrap()).unwrap();
    assert_eq!(data["Model"][0], spec_model());
    insta::assert_json_snapshot!("kingdee_wire_positional", reqs);
}

#[tokio::test]
async fn signature_mode_sends_no_login() {
    let reqs = requests_of("named", "api_signature").await;
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    insta::assert_json_snapshot!("kingdee_wire_api_signature", reqs);
}

#[test]
fn batch_save_metadata_of_the_other_inbound_bill() {
    let meta = KingdeeConnector.api_meta("batchSave", Some("STK_MISCELLANEOUS")).unwrap().unwrap();
    insta::assert_json_snapshot!("kingdee_meta_stk_miscellaneous", meta);
}
