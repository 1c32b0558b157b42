//! The gateway's signature check (reference §3.1), implemented independently of the connector.
//!
//! `sign = md5_hex(lowercase(secret + k1 + v1 + k2 + v2 + … + secret))` over every received
//! parameter except `sign`, `contextid` and `token`, keys in ascending byte order, no separators.
//! Because the whole string is lowercased, letter case in values does not change the signature.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

/// Parameters that are never part of the signed string.
pub(crate) const UNSIGNED_PARAMS: [&str; 3] = ["sign", "contextid", "token"];

/// Lowercase hex of the MD5 of `bytes`.
pub(crate) fn md5_hex(bytes: &[u8]) -> String {
    let digest = Md5::digest(bytes);
    let mut out = String::with_capacity(32);
    for b in digest.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
    }
    out
}

/// The signature the gateway expects for `params` (as received, after form decoding).
pub(crate) fn expected_sign(params: &BTreeMap<String, String>, secret: &str) -> String {
    let mut s = String::with_capacity(secret.len() * 2 + 256);
    s.push_str(secret);
    for (k, v) in params {
        if UNSIGNED_PARAMS.contains(&k.as_str()) {
            continue;
        }
        s.push_str(k);
        s.push_str(v);
    }
    s.push_str(secret);
    md5_hex(s.to_lowercase().as_bytes())
}

/// Whether `sign` matches (hex compared case-insensitively).
pub(crate) fn verify(params: &BTreeMap<String, String>, secret: &str, sign: &str) -> bool {
    let expected = expected_sign(params, secret);
    let given = sign.trim().to_ascii_lowercase();
    // Length check first, then a comparison that does not stop at the first difference.
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const VECTOR_A_BIZ: &str = r#"{"brandName":"衣服","cateName":"拉链","costValuationMethod":0,"goodsAlias":"花之春","goodsAttr":1,"goodsMemo":"货品备注","goodsName":"行李包 花之春","goodsNameEn":"spring","goodsNo":"H06-2","isBatchManagement":0,"isCustomizProduction":0,"isDoorService":0,"isPaidService":0,"isPeriodManage":0,"isPickupCard":0,"isProsaleProduct":0,"isProxySale":0,"isSerialManagement":0,"outSkuCode":"8714wtst","ownerId":"jackyun_dev","ownerName":"jackyun_dev","shelfLife":0,"shelfLiftUnit":"","skuBarcode":"76620423621","skuHeight":3,"skuId":"","skuLength":3,"skuName":"无特殊字符","skuWeight":20,"skuWidth":4,"unitName":"件"}"#;

    const VECTOR_B_BIZ: &str = r#"{"pageIndex":0,"pageSize":50,"warehouseCode":"CK01","startPdDate":"2024-05-01 00:00:00","endPdDate":"2024-05-01 23:59:59"}"#;

    fn vector_a(version: &str) -> BTreeMap<String, String> {
        params(&[
            ("appkey", "187657"),
            ("method", "erp.goods.skuimport"),
            ("timestamp", "2019-07-30 15:18:30"),
            ("version", version),
            ("contenttype", "json"),
            ("bizcontent", VECTOR_A_BIZ),
        ])
    }

    fn vector_b(biz: &str) -> BTreeMap<String, String> {
        params(&[
            ("appkey", "10000001"),
            ("method", "wms.stocktake.get"),
            ("timestamp", "2024-05-02 10:00:00"),
            ("version", "v1.0"),
            ("contenttype", "json"),
            ("bizcontent", biz),
        ])
    }

    #[test]
    fn vector_a_official_sample() {
        let secret = "f0d1483f1f2e49cea3dfd48c8d7e3c23";
        assert_eq!(
            expected_sign(&vector_a("v1.0"), secret),
            "04f5cccd1b52125ca5161472ffb42196"
        );
        assert_eq!(
            expected_sign(&vector_a("V1.0"), secret),
            "04f5cccd1b52125ca5161472ffb42196"
        );
    }

    #[test]
    fn vector_b_and_its_variants() {
        assert_eq!(
            expected_sign(&vector_b(VECTOR_B_BIZ), "testsecret"),
            "873c36adcd38900b05f853be21b19ade"
        );
        let lower = VECTOR_B_BIZ.replace("CK01", "ck01");
        assert_eq!(
            expected_sign(&vector_b(&lower), "testsecret"),
            "873c36adcd38900b05f853be21b19ade"
        );
        assert_eq!(
            expected_sign(&vector_b("{}"), "testsecret"),
            "54bfdc0a1b0813d7b04a66741a756cf6"
        );
        // A client that skips lowercasing sends this; it must not verify.
        assert!(!verify(
            &vector_b(VECTOR_B_BIZ),
            "testsecret",
            "dd172dcabc4268c54a9d788d69f3df73"
        ));
        assert!(verify(
            &vector_b(VECTOR_B_BIZ),
            "testsecret",
            "873C36ADCD38900B05F853BE21B19ADE"
        ));
    }

    #[test]
    fn core_signer_vectors() {
        assert_eq!(
            expected_sign(&params(&[("b", "2"), ("a", "1")]), "abc"),
            "e77954332c159b0debe418aa512025d0"
        );
        assert_eq!(
            expected_sign(&params(&[]), "mysecret"),
            "e36f7f6e244e67e1f98f7d9f614e4d35"
        );
        assert_eq!(
            expected_sign(&params(&[("KEY", "VALUE")]), "SECRET"),
            "0eb92e57e481fbd69445deec39243827"
        );
    }

    #[test]
    fn unsigned_params_are_excluded() {
        let mut p = vector_b(VECTOR_B_BIZ);
        p.insert("contextid".into(), "123".into());
        p.insert("token".into(), "tok".into());
        p.insert("sign".into(), "whatever".into());
        assert_eq!(
            expected_sign(&p, "testsecret"),
            "873c36adcd38900b05f853be21b19ade"
        );
    }
}
