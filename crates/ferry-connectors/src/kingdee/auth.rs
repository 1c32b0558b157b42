//! Authentication: the login request of each session mode (reference §1.2, §2.5) and the official
//! SDK's per-request signature headers (reference §2.6). Pure functions; nothing here is logged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::config::{AuthMode, Credentials, KingdeeConfig};

/// Prefix of the authentication services.
pub const AUTH_SERVICE: &str = "Kingdee.BOS.WebApi.ServicesStub.AuthService.";

/// The XOR key the official SDKs use to decode the API-gateway secret out of the app id.
const XOR_KEY: &[u8; 32] = b"0054f397c6234378b09ca7d3e5debce7";

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `LoginBySign` signature: lowercase hex SHA-256 of the five strings sorted ordinally and joined.
pub fn login_sign(acct_id: &str, user: &str, app_id: &str, app_secret: &str, timestamp: i64) -> String {
    let ts = timestamp.to_string();
    let mut parts = [acct_id, user, app_id, app_secret, ts.as_str()];
    parts.sort_unstable();
    hex(&Sha256::digest(parts.concat().as_bytes()))
}

/// `kdHmac`: base64 of the lowercase hex text of HMAC-SHA256 (88 characters).
pub fn kd_hmac(message: &str, key: &str) -> String {
    // HMAC takes a key of any length, so building it cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(message.as_bytes());
    B64.encode(hex(&mac.finalize().into_bytes()))
}

/// Decode the API-gateway secret (`decodeSec`): the part of the app id after `_`, when it is 32
/// characters of base64, XORed with the SDK key and base64-encoded again. Otherwise `None`.
pub fn decode_api_secret(encoded: &str) -> Option<String> {
    if encoded.len() != 32 {
        return None;
    }
    let raw = B64.decode(encoded).ok()?;
    let xored: Vec<u8> = raw.iter().zip(XOR_KEY.iter()).map(|(a, b)| a ^ b).collect();
    Some(B64.encode(xored))
}

/// Form-style percent-encoding as the Python SDK does it (`quote(path).replace('/', '%2F')`):
/// letters, digits and `_.-~` stay, everything else (including `/`) becomes `%XX` in upper case.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Inputs of the signature headers.
pub struct SignInput<'a> {
    pub app_id: &'a str,
    pub app_secret: &'a str,
    pub acct_id: &'a str,
    pub user: &'a str,
    pub lcid: u32,
    pub org: &'a str,
    /// The URL path (from the first `/` after the host), e.g. `/k3cloud/Kingdee….common.kdsvc`.
    pub path: &'a str,
    /// Seconds (as the Python SDK sends them).
    pub timestamp: i64,
    pub nonce: &'a str,
}

/// The `X-Api-*` and `X-Kd-*` headers of one request (reference §2.6). The values are secrets in
/// all but name: never log them.
pub fn signature_headers(i: &SignInput<'_>) -> Vec<(&'static str, String)> {
    let ts = i.timestamp.to_string();
    let app_data = format!("{},{},{},{}", i.acct_id, i.user, i.lcid, i.org);
    let mut h = Vec::with_capacity(9);
    match i.app_id.split_once('_') {
        Some((client_id, encoded)) => {
            let api_sec = decode_api_secret(encoded).unwrap_or_default();
            let s = format!("POST\n{}\n\nx-api-nonce:{}\nx-api-timestamp:{}\n", encode_path(i.path), i.nonce, ts);
            h.push(("X-Api-ClientID", client_id.to_owned()));
            h.push(("X-Api-Auth-Version", "2.0".to_owned()));
            h.push(("x-api-timestamp", ts.clone()));
            h.push(("x-api-nonce", i.nonce.to_owned()));
            h.push(("x-api-signheaders", "x-api-timestamp,x-api-nonce".to_owned()));
            h.push(("X-Api-Signature", kd_hmac(&s, &api_sec)));
        }
        None => {
            // An app id without `_`: the Java SDK 8.2 sends the id as the client id and no signature.
            h.push(("X-Api-ClientID", i.app_id.to_owned()));
            h.push(("X-Api-Auth-Version", "2.0".to_owned()));
            h.push(("x-api-timestamp", ts.clone()));
            h.push(("x-api-nonce", i.nonce.to_owned()));
            h.push(("x-api-signheaders", "x-api-timestamp,x-api-nonce".to_owned()));
            h.push(("X-Api-Signature", String::new()));
        }
    }
    h.push(("X-Kd-Appkey", i.app_id.to_owned()));
    h.push(("X-Kd-Appdata", B64.encode(app_data.as_bytes())));
    h.push(("X-Kd-Signature", kd_hmac(&format!("{}{app_data}", i.app_id), i.app_secret)));
    h
}

/// The login call of a session mode: the service's short name and the positional body.
/// `None` for [`AuthMode::ApiSignature`], which has no login.
pub fn login_request(cfg: &KingdeeConfig, now_secs: i64) -> Option<(&'static str, Value)> {
    let lcid = cfg.lcid;
    match (cfg.auth, &cfg.credentials) {
        (AuthMode::ValidateUser, Credentials::Password(p)) => {
            Some(("ValidateUser", json!({ "parameters": [cfg.acct_id, cfg.user, p.expose(), lcid] })))
        }
        (AuthMode::LoginByAppSecret, Credentials::App { app_id, app_secret }) => Some((
            "LoginByAppSecret",
            json!({ "parameters": [cfg.acct_id, cfg.user, app_id, app_secret.expose(), lcid] }),
        )),
        (AuthMode::LoginBySign, Credentials::App { app_id, app_secret }) => {
            let sign = login_sign(&cfg.acct_id, &cfg.user, app_id, app_secret.expose(), now_secs);
            Some(("LoginBySign", json!({ "parameters": [cfg.acct_id, cfg.user, app_id, now_secs, sign, lcid] })))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_ID: &str = "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn login_by_sign_matches_the_reference_vector() {
        // Reference §2.5.
        assert_eq!(
            login_sign("5f0000000000aa", "demo", APP_ID, SECRET, 1_700_000_000),
            "e970ed7caa63b051905aed710b90b009395b93ca0703b7605ab1457d1fc377c5"
        );
    }

    #[test]
    fn api_secret_decodes_like_the_sdk() {
        assert_eq!(decode_api_secret("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef").as_deref(), Some("MCC2JDe0GaXoBuG8dSekaTenWPX6RrOs"));
        assert_eq!(decode_api_secret("short"), None);
    }

    #[test]
    fn path_is_encoded_with_slashes() {
        assert_eq!(
            encode_path("/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"),
            "%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc"
        );
        assert_eq!(encode_path("/a b"), "%2Fa%20b");
    }

    #[test]
    fn kd_hmac_is_base64_of_hex() {
        let s = "POST\n%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc\n\nx-api-nonce:1700000000\nx-api-timestamp:1700000000\n";
        let sig = kd_hmac(s, "MCC2JDe0GaXoBuG8dSekaTenWPX6RrOs");
        assert_eq!(sig, "MDMzZTM1N2RiY2NkODE1NDg0ZTNmMjY3MzA3Y2FmNGJkMDZhMzEwZjUwNzFiNjE3MmEwNDM4ZWI1YjBjYTA3Ng==");
        assert_eq!(sig.len(), 88);
    }

    #[test]
    fn signature_headers_match_the_reference_vector() {
        // Reference §2.6 step 5.
        let h = signature_headers(&SignInput {
            app_id: APP_ID,
            app_secret: SECRET,
            acct_id: "5f0000000000aa",
            user: "demo",
            lcid: 2052,
            org: "0",
            path: "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc",
            timestamp: 1_700_000_000,
            nonce: "1700000000",
        });
        let get = |k: &str| h.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str()).unwrap();
        assert_eq!(get("X-Api-ClientID"), "123456");
        assert_eq!(get("X-Api-Auth-Version"), "2.0");
        assert_eq!(get("x-api-timestamp"), "1700000000");
        assert_eq!(get("x-api-nonce"), "1700000000");
        assert_eq!(get("x-api-signheaders"), "x-api-timestamp,x-api-nonce");
        assert_eq!(get("X-Api-Signature"), "MDMzZTM1N2RiY2NkODE1NDg0ZTNmMjY3MzA3Y2FmNGJkMDZhMzEwZjUwNzFiNjE3MmEwNDM4ZWI1YjBjYTA3Ng==");
        assert_eq!(get("X-Kd-Appkey"), APP_ID);
        assert_eq!(get("X-Kd-Appdata"), "NWYwMDAwMDAwMDAwYWEsZGVtbywyMDUyLDA=");
        assert_eq!(
            get("X-Kd-Signature"),
            "YTQzMmUyMzMzZWQ1M2Q4Nzk3ZTU5OGU2OGI0NWYzMWQ4NjE1MWJiMTUyMTk0ZTJmODVhOTVkY2E5NmRlZWZkNQ=="
        );
    }

    #[test]
    fn app_id_without_client_part_sends_an_empty_gateway_signature() {
        let h = signature_headers(&SignInput {
            app_id: "plainapp",
            app_secret: SECRET,
            acct_id: "a",
            user: "u",
            lcid: 2052,
            org: "0",
            path: "/k3cloud/x",
            timestamp: 1,
            nonce: "1",
        });
        assert!(h.contains(&("X-Api-ClientID", "plainapp".to_owned())));
        assert!(h.contains(&("X-Api-Signature", String::new())));
        assert!(h.iter().any(|(n, v)| *n == "X-Kd-Signature" && v.len() == 88));
    }

    #[test]
    fn login_bodies_are_positional() {
        let cfg = super::super::config::parse(
            "kd",
            &json!({"server": "http://h/k3cloud/", "acct_id": "5f0000000000aa", "user": "demo", "auth": "login_by_sign",
                    "app_id": APP_ID, "app_secret": SECRET}),
        )
        .unwrap();
        let (svc, body) = login_request(&cfg, 1_700_000_000).unwrap();
        assert_eq!(svc, "LoginBySign");
        assert_eq!(
            body,
            json!({"parameters": ["5f0000000000aa", "demo", APP_ID, 1_700_000_000,
                   "e970ed7caa63b051905aed710b90b009395b93ca0703b7605ab1457d1fc377c5", 2052]})
        );
        let cfg = super::super::config::parse(
            "kd",
            &json!({"server": "http://h/k3cloud/", "acct_id": "A", "user": "demo", "auth": "validate_user", "password": "pw"}),
        )
        .unwrap();
        assert_eq!(login_request(&cfg, 0).unwrap(), ("ValidateUser", json!({"parameters": ["A", "demo", "pw", 2052]})));
    }
}
