//! Content hashes of source records: the ledger compares them to tell a changed record from a
//! re-fetched one.

use sha2::{Digest, Sha256};

/// Hex of the first 16 bytes of SHA-256 over the record's compact JSON. Key order is the source's
/// own (the same record fetched twice hashes the same).
pub fn content_hash(record: &serde_json::Value) -> String {
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    let mut s = String::with_capacity(32);
    for b in &digest[..16] {
        s.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        s.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_are_stable_and_sensitive() {
        let a = content_hash(&json!({"id": "1", "q": 2}));
        assert_eq!(a.len(), 32);
        assert_eq!(a, content_hash(&json!({"id": "1", "q": 2})));
        assert_ne!(a, content_hash(&json!({"id": "1", "q": 3})));
    }
}
