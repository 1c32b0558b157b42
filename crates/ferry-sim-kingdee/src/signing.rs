//! Server-side signature checks (reference §2.5 LoginBySign, §2.6 X-Kd-* / X-Api-* headers).
//! Written from the reference on purpose without sharing code with the connector.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The ASCII XOR key of the API-gateway secret (`decodeSec`).
const XOR_KEY: &[u8; 32] = b"0054f397c6234378b09ca7d3e5debce7";

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// LoginBySign `sign`: lowercase hex SHA-256 of the five strings sorted ordinally and concatenated.
pub(crate) fn login_sign(
    acct: &str,
    user: &str,
    app_id: &str,
    app_secret: &str,
    timestamp: &str,
) -> String {
    let mut parts = [acct, user, app_id, app_secret, timestamp];
    parts.sort_unstable();
    hex(&Sha256::digest(parts.concat().as_bytes()))
}

/// `kdHmac(msg, key)` = base64 of the lowercase hex text of HMAC-SHA256(key, msg).
pub(crate) fn kd_hmac(msg: &str, key: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(msg.as_bytes());
    STANDARD.encode(hex(&mac.finalize().into_bytes()))
}

/// `decodeSec`: the API-gateway secret hidden in the app id after `_`. Only 32-character values
/// are decoded (base64 → XOR with the fixed key → base64); others give `None`.
pub(crate) fn decode_sec(encoded: &str) -> Option<String> {
    if encoded.len() != 32 {
        return None;
    }
    let raw = STANDARD.decode(encoded).ok()?;
    let xored: Vec<u8> = raw.iter().zip(XOR_KEY.iter()).map(|(a, b)| a ^ b).collect();
    Some(STANDARD.encode(xored))
}

/// Form-style percent-encoding of a URL path: letters, digits, `-`, `_`, `.`, `~` stay; `/`
/// becomes `%2F`; hex digits upper case.
pub(crate) fn url_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 16);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The X-Api string to sign: `POST\n{enc(path)}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{ts}\n`.
pub(crate) fn api_string_to_sign(path: &str, nonce: &str, ts: &str) -> String {
    format!(
        "POST\n{}\n\nx-api-nonce:{nonce}\nx-api-timestamp:{ts}\n",
        url_encode(path)
    )
}

/// Constant-time-ish equality for signatures (length leaks only).
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_ID: &str = "123456_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef";
    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn login_by_sign_reference_vector() {
        assert_eq!(
            login_sign("5f0000000000aa", "demo", APP_ID, SECRET, "1700000000"),
            "e970ed7caa63b051905aed710b90b009395b93ca0703b7605ab1457d1fc377c5"
        );
    }

    #[test]
    fn x_kd_reference_vector() {
        let appdata = "5f0000000000aa,demo,2052,0";
        assert_eq!(
            STANDARD.encode(appdata),
            "NWYwMDAwMDAwMDAwYWEsZGVtbywyMDUyLDA="
        );
        assert_eq!(
            kd_hmac(&format!("{APP_ID}{appdata}"), SECRET),
            "YTQzMmUyMzMzZWQ1M2Q4Nzk3ZTU5OGU2OGI0NWYzMWQ4NjE1MWJiMTUyMTk0ZTJmODVhOTVkY2E5NmRlZWZkNQ=="
        );
    }

    #[test]
    fn x_api_reference_vector() {
        let sec = decode_sec("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef").unwrap();
        assert_eq!(sec, "MCC2JDe0GaXoBuG8dSekaTenWPX6RrOs");
        let path = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc";
        let s = api_string_to_sign(path, "1700000000", "1700000000");
        assert_eq!(
            s,
            "POST\n%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.ExecuteBillQuery.common.kdsvc\n\nx-api-nonce:1700000000\nx-api-timestamp:1700000000\n"
        );
        assert_eq!(
            kd_hmac(&s, &sec),
            "MDMzZTM1N2RiY2NkODE1NDg0ZTNmMjY3MzA3Y2FmNGJkMDZhMzEwZjUwNzFiNjE3MmEwNDM4ZWI1YjBjYTA3Ng=="
        );
        assert_eq!(decode_sec("short"), None);
    }

    #[test]
    fn same_compares_exactly() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
