//! Request signing (reference §3): `md5(lowercase(secret + k1v1 + k2v2 + … + secret))` over the
//! sorted system parameters, excluding `sign`, `contextid` and `token`; the Beijing-time
//! timestamp; and the form-urlencoded body that carries exactly the signed bytes.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

/// Parameters that are sent but never signed.
const UNSIGNED: [&str; 3] = ["sign", "contextid", "token"];

/// The API version the connector sends (reference §2.1).
pub const VERSION: &str = "v1.0";
/// The only content type the gateway speaks.
pub const CONTENT_TYPE: &str = "json";

/// The signature of `params` with `secret`: 32 lowercase hex characters.
///
/// Keys sort by byte order (a `BTreeMap`), `sign`/`contextid`/`token` are skipped, each key is
/// followed by its value with no separator, the secret wraps the whole, and the entire string is
/// lowercased before hashing (the step clients most often miss).
pub fn sign(params: &BTreeMap<&str, &str>, secret: &str) -> String {
    let mut s = String::with_capacity(secret.len() * 2 + params.values().map(|v| v.len() + 16).sum::<usize>());
    s.push_str(secret);
    for (k, v) in params {
        if UNSIGNED.contains(k) {
            continue;
        }
        s.push_str(k);
        s.push_str(v);
    }
    s.push_str(secret);
    md5_hex(s.to_lowercase().as_bytes())
}

fn md5_hex(bytes: &[u8]) -> String {
    let digest = Md5::digest(bytes);
    let mut out = String::with_capacity(32);
    for b in digest.iter() {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    out
}

/// The UTC+8 offset (Beijing time, no daylight saving).
pub fn beijing() -> jiff::tz::Offset {
    jiff::tz::Offset::constant(8)
}

/// `yyyy-MM-dd HH:mm:ss` in Beijing time, whatever the host's time zone.
pub fn beijing_timestamp(at: jiff::Timestamp) -> String {
    beijing().to_datetime(at).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// The system parameters of one call, ready to be signed and encoded.
pub struct SignedRequest {
    /// The form body (`application/x-www-form-urlencoded`).
    pub body: String,
}

/// Builds the signed form body of one call. `bizcontent` must be the exact JSON text to send
/// (serialized once by the caller); it is signed and sent byte-identical. `token` is sent but not
/// signed. Keys appear in the body in signing order, then `token`, then `sign`.
pub fn signed_request(
    method: &str,
    appkey: &str,
    secret: &str,
    token: Option<&str>,
    bizcontent: &str,
    timestamp: &str,
) -> SignedRequest {
    let params: BTreeMap<&str, &str> = BTreeMap::from([
        ("appkey", appkey),
        ("bizcontent", bizcontent),
        ("contenttype", CONTENT_TYPE),
        ("method", method),
        ("timestamp", timestamp),
        ("version", VERSION),
    ]);
    let signature = sign(&params, secret);
    let mut pairs: Vec<(&str, &str)> = params.into_iter().collect();
    if let Some(t) = token.filter(|t| !t.is_empty()) {
        pairs.push(("token", t));
    }
    pairs.push(("sign", &signature));
    // Encoding a list of string pairs cannot fail.
    let body = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    SignedRequest { body }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map<'a>(pairs: &[(&'a str, &'a str)]) -> BTreeMap<&'a str, &'a str> {
        pairs.iter().copied().collect()
    }

    const DOC_BIZ: &str = r#"{"brandName":"衣服","cateName":"拉链","costValuationMethod":0,"goodsAlias":"花之春","goodsAttr":1,"goodsMemo":"货品备注","goodsName":"行李包 花之春","goodsNameEn":"spring","goodsNo":"H06-2","isBatchManagement":0,"isCustomizProduction":0,"isDoorService":0,"isPaidService":0,"isPeriodManage":0,"isPickupCard":0,"isProsaleProduct":0,"isProxySale":0,"isSerialManagement":0,"outSkuCode":"8714wtst","ownerId":"jackyun_dev","ownerName":"jackyun_dev","shelfLife":0,"shelfLiftUnit":"","skuBarcode":"76620423621","skuHeight":3,"skuId":"","skuLength":3,"skuName":"无特殊字符","skuWeight":20,"skuWidth":4,"unitName":"件"}"#;

    const STOCKTAKE_BIZ: &str = r#"{"pageIndex":0,"pageSize":50,"warehouseCode":"CK01","startPdDate":"2024-05-01 00:00:00","endPdDate":"2024-05-01 23:59:59"}"#;

    fn system(method: &'static str, appkey: &'static str, ts: &'static str, version: &'static str, biz: &'static str) -> BTreeMap<&'static str, &'static str> {
        map(&[("appkey", appkey), ("method", method), ("timestamp", ts), ("version", version), ("contenttype", "json"), ("bizcontent", biz)])
    }

    #[test]
    fn vector_a_official_doc_sample() {
        let p = system("erp.goods.skuimport", "187657", "2019-07-30 15:18:30", "v1.0", DOC_BIZ);
        assert_eq!(sign(&p, "f0d1483f1f2e49cea3dfd48c8d7e3c23"), "04f5cccd1b52125ca5161472ffb42196");
        let upper = system("erp.goods.skuimport", "187657", "2019-07-30 15:18:30", "V1.0", DOC_BIZ);
        assert_eq!(sign(&upper, "f0d1483f1f2e49cea3dfd48c8d7e3c23"), "04f5cccd1b52125ca5161472ffb42196");
    }

    #[test]
    fn vector_b_stocktake_and_its_variants() {
        let p = system("wms.stocktake.get", "10000001", "2024-05-02 10:00:00", "v1.0", STOCKTAKE_BIZ);
        assert_eq!(sign(&p, "testsecret"), "873c36adcd38900b05f853be21b19ade");
        let lower_biz = STOCKTAKE_BIZ.replace("CK01", "ck01");
        let mut p2 = p.clone();
        p2.insert("bizcontent", &lower_biz);
        assert_eq!(sign(&p2, "testsecret"), "873c36adcd38900b05f853be21b19ade");
        let mut empty = p.clone();
        empty.insert("bizcontent", "{}");
        assert_eq!(sign(&empty, "testsecret"), "54bfdc0a1b0813d7b04a66741a756cf6");
        // The buggy client that skips lowercasing gets a different signature.
        let raw: String = format!(
            "testsecret{}testsecret",
            p.iter().map(|(k, v)| format!("{k}{v}")).collect::<String>()
        );
        assert_eq!(md5_hex(raw.as_bytes()), "dd172dcabc4268c54a9d788d69f3df73");
        assert_ne!(sign(&p, "testsecret"), "dd172dcabc4268c54a9d788d69f3df73");
    }

    #[test]
    fn vector_b_form_body_is_exact() {
        let r = signed_request("wms.stocktake.get", "10000001", "testsecret", None, STOCKTAKE_BIZ, "2024-05-02 10:00:00");
        assert_eq!(
            r.body,
            "appkey=10000001&bizcontent=%7B%22pageIndex%22%3A0%2C%22pageSize%22%3A50%2C%22warehouseCode%22%3A%22CK01%22%2C%22startPdDate%22%3A%222024-05-01+00%3A00%3A00%22%2C%22endPdDate%22%3A%222024-05-01+23%3A59%3A59%22%7D&contenttype=json&method=wms.stocktake.get&timestamp=2024-05-02+10%3A00%3A00&version=v1.0&sign=873c36adcd38900b05f853be21b19ade"
        );
    }

    #[test]
    fn vector_c_core_signer() {
        assert_eq!(sign(&map(&[("b", "2"), ("a", "1")]), "abc"), "e77954332c159b0debe418aa512025d0");
        assert_eq!(sign(&map(&[]), "mysecret"), "e36f7f6e244e67e1f98f7d9f614e4d35");
        assert_eq!(sign(&map(&[("KEY", "VALUE")]), "SECRET"), "0eb92e57e481fbd69445deec39243827");
    }

    #[test]
    fn token_contextid_and_sign_are_not_signed() {
        let base = map(&[("a", "1")]);
        let mut more = base.clone();
        more.insert("token", "t0k3n");
        more.insert("contextid", "42");
        more.insert("sign", "whatever");
        assert_eq!(sign(&base, "s"), sign(&more, "s"));
        let r = signed_request("m", "k", "s", Some("t0k3n"), "{}", "2024-01-01 00:00:00");
        assert!(r.body.contains("&token=t0k3n&sign="), "{}", r.body);
        let without = signed_request("m", "k", "s", None, "{}", "2024-01-01 00:00:00");
        assert_eq!(r.body.rsplit("sign=").next(), without.body.rsplit("sign=").next());
    }

    #[test]
    fn bizcontent_with_form_metacharacters_is_encoded() {
        let biz = r#"{"text":"a&b+c%d=e"}"#;
        let r = signed_request("m", "k", "s", None, biz, "2024-01-01 00:00:00");
        let decoded: Vec<(String, String)> = serde_urlencoded::from_str(&r.body).unwrap();
        assert!(decoded.iter().any(|(k, v)| k == "bizcontent" && v == biz));
    }

    #[test]
    fn timestamps_are_beijing_time_whatever_the_host_zone() {
        let t: jiff::Timestamp = "2024-05-02T02:00:00Z".parse().unwrap();
        assert_eq!(beijing_timestamp(t), "2024-05-02 10:00:00");
        let late: jiff::Timestamp = "2024-12-31T16:30:05Z".parse().unwrap();
        assert_eq!(beijing_timestamp(late), "2025-01-01 00:30:05");
    }
}
