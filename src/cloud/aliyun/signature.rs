//! Alibaba Cloud request signatures: RPC v1 (HMAC-SHA1) and ACS3-HMAC-SHA256.
//!
//! Pure functions, shared by the client (which signs) and the emulator (which verifies), so the
//! two cannot drift apart; the official SDKs' known answers in `tests/data` pin them.

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Percent-encodes as every Alibaba Cloud signature wants: RFC 3986 unreserved characters stay,
/// everything else becomes upper-case `%XX` of its UTF-8 bytes (so space is `%20`, `*` is `%2A`).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `enc(k)=enc(v)` pairs sorted by name in byte order, joined by `&`. Empty values stay (`k=`).
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (key, value) in params {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(&percent_encode(key));
        out.push('=');
        out.push_str(&percent_encode(value));
    }
    out
}

/// The v1 string to sign for `method` over every signed parameter (all but `Signature`).
pub fn rpc_string_to_sign(method: &str, params: &BTreeMap<String, String>) -> String {
    format!("{method}&%2F&{}", percent_encode(&canonical_query(params)))
}

/// Base64 of HMAC-SHA1 keyed with `secret&` over the v1 string to sign.
pub fn rpc_signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Hex SHA-256 of a body, as `x-acs-content-sha256` carries it.
pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The parts of an ACS3-HMAC-SHA256 request that the signature covers.
pub struct Acs3Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a BTreeMap<String, String>,
    /// Lower-case header names with their values, only the signed ones.
    pub signed_headers: &'a BTreeMap<String, String>,
    pub hashed_payload: &'a str,
}

/// The ACS3 canonical request.
pub fn acs3_canonical_request(req: &Acs3Request<'_>) -> String {
    let headers: String = req
        .signed_headers
        .iter()
        .map(|(name, value)| format!("{name}:{}\n", value.trim()))
        .collect();
    let names: Vec<&str> = req.signed_headers.keys().map(String::as_str).collect();
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        canonical_query(req.query),
        headers,
        names.join(";"),
        req.hashed_payload
    )
}

/// Hex HMAC-SHA256 keyed with the secret (no `&`) over `ACS3-HMAC-SHA256\n` + hex(SHA-256(canonical)).
pub fn acs3_signature(secret: &str, canonical_request: &str) -> String {
    let string_to_sign = format!(
        "ACS3-HMAC-SHA256\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vectors() -> Value {
        let text = include_str!("../../../tests/data/aliyun-signature-vectors.json");
        serde_json::from_str(text).expect("vectors parse")
    }

    fn string_map(v: &Value) -> BTreeMap<String, String> {
        v.as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn percent_encoding_matches_every_vector() {
        for case in vectors()["percent_encoding"].as_array().expect("list") {
            let input = case["char"].as_str().expect("char");
            assert_eq!(
                percent_encode(input),
                case["encoded"].as_str().expect("encoded"),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn rpc_v1_matches_every_vector() {
        for case in vectors()["rpc_v1"].as_array().expect("list") {
            let name = case["name"].as_str().unwrap_or("?");
            let params = string_map(&case["signed_params"]);
            assert_eq!(
                canonical_query(&params),
                case["canonicalized_query_string"],
                "case {name}"
            );
            let sts = rpc_string_to_sign(case["method"].as_str().expect("method"), &params);
            assert_eq!(sts, case["string_to_sign"], "case {name}");
            let secret = case["access_key_secret"].as_str().expect("secret");
            assert_eq!(
                rpc_signature(secret, &sts),
                case["signature"],
                "case {name}"
            );
        }
    }

    #[test]
    fn acs3_matches_every_vector() {
        for case in vectors()["acs3_hmac_sha256"].as_array().expect("list") {
            let name = case["name"].as_str().unwrap_or("?");
            let query = string_map(&case["query"]);
            let headers = string_map(&case["headers"]);
            let body = case["body"].as_str().unwrap_or_default();
            let payload = sha256_hex(body.as_bytes());
            assert_eq!(payload, case["hashed_payload"], "case {name}");
            let canonical = acs3_canonical_request(&Acs3Request {
                method: case["method"].as_str().expect("method"),
                path: case["path"].as_str().expect("path"),
                query: &query,
                signed_headers: &headers,
                hashed_payload: &payload,
            });
            assert_eq!(canonical, case["canonical_request"], "case {name}");
            let secret = case["access_key_secret"].as_str().expect("secret");
            assert_eq!(
                acs3_signature(secret, &canonical),
                case["signature"],
                "case {name}"
            );
        }
    }

    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
    }
}
