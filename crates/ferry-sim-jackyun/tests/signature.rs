//! The reference's signature vectors (§3.4) verify against the running gateway, and a client
//! that skips the lowercasing step is rejected.

mod common;

use common::{http, post_form, start_sim};
use ferry_sim_jackyun::{AppCredential, DataSource, GenerateOptions, JackyunSimConfig};

const VECTOR_A_BIZ: &str = r#"{"brandName":"衣服","cateName":"拉链","costValuationMethod":0,"goodsAlias":"花之春","goodsAttr":1,"goodsMemo":"货品备注","goodsName":"行李包 花之春","goodsNameEn":"spring","goodsNo":"H06-2","isBatchManagement":0,"isCustomizProduction":0,"isDoorService":0,"isPaidService":0,"isPeriodManage":0,"isPickupCard":0,"isProsaleProduct":0,"isProxySale":0,"isSerialManagement":0,"outSkuCode":"8714wtst","ownerId":"jackyun_dev","ownerName":"jackyun_dev","shelfLife":0,"shelfLiftUnit":"","skuBarcode":"76620423621","skuHeight":3,"skuId":"","skuLength":3,"skuName":"无特殊字符","skuWeight":20,"skuWidth":4,"unitName":"件"}"#;

/// The form body of vector (b), byte for byte as in the reference.
const VECTOR_B_BODY: &str = "appkey=10000001&bizcontent=%7B%22pageIndex%22%3A0%2C%22pageSize%22%3A50%2C%22warehouseCode%22%3A%22CK01%22%2C%22startPdDate%22%3A%222024-05-01+00%3A00%3A00%22%2C%22endPdDate%22%3A%222024-05-01+23%3A59%3A59%22%7D&contenttype=json&method=wms.stocktake.get&timestamp=2024-05-02+10%3A00%3A00&version=v1.0&sign=873c36adcd38900b05f853be21b19ade";

/// A gateway that knows the reference's two apps and accepts their old timestamps.
async fn vector_sim() -> ferry_sim_jackyun::JackyunSim {
    start_sim(JackyunSimConfig {
        credentials: vec![
            AppCredential::new("187657", "f0d1483f1f2e49cea3dfd48c8d7e3c23"),
            AppCredential::new("10000001", "testsecret"),
        ],
        data: DataSource::Generate(GenerateOptions {
            seed: 3,
            anchor_date: jiff::civil::date(2024, 5, 2),
            ..GenerateOptions::default()
        }),
        timestamp_window_secs: 60 * 365 * 24 * 3600,
        ..JackyunSimConfig::default()
    })
    .await
}

fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn vector_b(biz: &str, sign: &str) -> Vec<(String, String)> {
    form(&[
        ("appkey", "10000001"),
        ("bizcontent", biz),
        ("contenttype", "json"),
        ("method", "wms.stocktake.get"),
        ("timestamp", "2024-05-02 10:00:00"),
        ("version", "v1.0"),
        ("sign", sign),
    ])
}

const B_BIZ: &str = r#"{"pageIndex":0,"pageSize":50,"warehouseCode":"CK01","startPdDate":"2024-05-01 00:00:00","endPdDate":"2024-05-01 23:59:59"}"#;

#[test]
fn the_test_signer_reproduces_the_reference_vectors() {
    let b = vector_b(B_BIZ, "");
    assert_eq!(
        common::sign(&b, "testsecret"),
        "873c36adcd38900b05f853be21b19ade"
    );
    assert_eq!(
        common::sign(&vector_b("{}", ""), "testsecret"),
        "54bfdc0a1b0813d7b04a66741a756cf6"
    );
    assert_eq!(
        common::sign(&form(&[("b", "2"), ("a", "1")]), "abc"),
        "e77954332c159b0debe418aa512025d0"
    );
    assert_eq!(
        common::sign(&[], "mysecret"),
        "e36f7f6e244e67e1f98f7d9f614e4d35"
    );
    assert_eq!(
        common::sign(&form(&[("KEY", "VALUE")]), "SECRET"),
        "0eb92e57e481fbd69445deec39243827"
    );
}

#[tokio::test]
async fn vector_b_form_body_is_accepted_byte_for_byte() {
    let sim = vector_sim().await;
    let r = http()
        .post(sim.gateway_url())
        .header(
            "content-type",
            "application/x-www-form-urlencoded;charset=UTF-8",
        )
        .body(VECTOR_B_BODY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], 200, "{v}");
    assert_eq!(v["subCode"], "0000000000");
    for d in v["result"]["data"]["stockTake"].as_array().unwrap() {
        assert_eq!(d["warehouseCode"], "CK01");
        assert!(
            d["stocktakeDate"]
                .as_str()
                .unwrap()
                .starts_with("2024-05-01")
        );
    }
}

#[tokio::test]
async fn vector_b_variants() {
    let sim = vector_sim().await;
    let url = sim.gateway_url();
    // Value case does not change the signature.
    let lower = B_BIZ.replace("CK01", "ck01");
    let (_, v) = post_form(&url, &vector_b(&lower, "873c36adcd38900b05f853be21b19ade")).await;
    assert_eq!(v["code"], 200, "{v}");
    // An upper-case hex signature is accepted too.
    let (_, v) = post_form(&url, &vector_b(B_BIZ, "873C36ADCD38900B05F853BE21B19ADE")).await;
    assert_eq!(v["code"], 200, "{v}");
    // Empty business params.
    let (_, v) = post_form(&url, &vector_b("{}", "54bfdc0a1b0813d7b04a66741a756cf6")).await;
    assert_eq!(v["code"], 200, "{v}");
    // A client that skipped the lowercasing step.
    let (_, v) = post_form(&url, &vector_b(B_BIZ, "dd172dcabc4268c54a9d788d69f3df73")).await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["subCode"], "0858030801");
    assert!(v["msg"].as_str().unwrap().contains("签名错误"));
}

#[tokio::test]
async fn vector_a_passes_the_signature_check_with_either_version_case() {
    let sim = vector_sim().await;
    for version in ["v1.0", "V1.0"] {
        let p = form(&[
            ("appkey", "187657"),
            ("method", "erp.goods.skuimport"),
            ("timestamp", "2019-07-30 15:18:30"),
            ("version", version),
            ("contenttype", "json"),
            ("bizcontent", VECTOR_A_BIZ),
            ("sign", "04f5cccd1b52125ca5161472ffb42196"),
        ]);
        let (_, v) = post_form(&sim.gateway_url(), &p).await;
        // The signature verifies; the write API itself is not simulated.
        assert_eq!(v["subCode"], "0130020310", "{v}");
        assert_eq!(v["msg"], "未查询到应用或应用未订阅此API");
    }
}
