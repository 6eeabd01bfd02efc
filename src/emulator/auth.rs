//! Request authentication as the cloud does it: signature v1 (HMAC-SHA1 over the parameters)
//! or ACS3-HMAC-SHA256 (the Authorization header), timestamp skew and nonce reuse.

use std::collections::{BTreeMap, HashMap};

use axum::http::HeaderMap;

use super::render::{ApiError, Format};
use crate::cloud::aliyun::signature;

/// Most clock difference the cloud accepts.
const MAX_SKEW_SECS: i64 = 15 * 60;

/// An authenticated request.
#[derive(Debug)]
pub struct Request {
    pub access_key: String,
    pub action: String,
    pub format: Format,
    pub params: BTreeMap<String, String>,
    pub nonce: String,
}

/// The parts of an HTTP request that authentication reads.
pub struct Raw<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Vec<(String, String)>,
    pub form: Vec<(String, String)>,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

pub fn authenticate(raw: &Raw<'_>, keys: &HashMap<String, String>) -> Result<Request, ApiError> {
    let header = |name: &str| {
        raw.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match header("authorization") {
        Some(auth) if auth.starts_with("ACS3-HMAC-SHA256") => acs3(raw, keys, &auth),
        _ => v1(raw, keys),
    }
}

fn union(raw: &Raw<'_>) -> BTreeMap<String, String> {
    raw.query.iter().chain(raw.form.iter()).cloned().collect()
}

fn v1(raw: &Raw<'_>, keys: &HashMap<String, String>) -> Result<Request, ApiError> {
    let mut params = union(raw);
    let get = |p: &BTreeMap<String, String>, name: &str| {
        p.get(name).cloned().ok_or_else(|| ApiError::missing(name))
    };
    let signature_value = get(&params, "Signature")?;
    let key_id = get(&params, "AccessKeyId")?;
    let action = get(&params, "Action")?;
    get(&params, "Version")?;
    let timestamp = get(&params, "Timestamp")?;
    let nonce = get(&params, "SignatureNonce")?;
    if params
        .get("SignatureMethod")
        .is_some_and(|m| m != "HMAC-SHA1")
    {
        return Err(ApiError::new(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported.",
        ));
    }
    let secret = keys.get(&key_id).ok_or_else(unknown_key)?;
    check_time(&timestamp)?;
    params.remove("Signature");
    let string_to_sign = signature::rpc_string_to_sign(raw.method, &params);
    if signature::rpc_signature(secret, &string_to_sign) != signature_value {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{string_to_sign}"
            ),
        ));
    }
    let format = match params.get("Format").map(|f| f.to_ascii_uppercase()) {
        Some(f) if f == "JSON" => Format::Json,
        _ => Format::Xml,
    };
    for common in [
        "Signature",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "Version",
        "Format",
        "Action",
    ] {
        params.remove(common);
    }
    Ok(Request {
        access_key: key_id,
        action,
        format,
        params,
        nonce,
    })
}

fn acs3(raw: &Raw<'_>, keys: &HashMap<String, String>, auth: &str) -> Result<Request, ApiError> {
    let fields: HashMap<&str, &str> = auth
        .trim_start_matches("ACS3-HMAC-SHA256")
        .trim()
        .split(',')
        .filter_map(|part| part.trim().split_once('='))
        .collect();
    let incomplete = || {
        ApiError::new(
            400,
            "IncompleteSignature",
            "The request signature does not conform to Aliyun standards.",
        )
    };
    let key_id = fields.get("Credential").ok_or_else(incomplete)?;
    let signed_names = fields.get("SignedHeaders").ok_or_else(incomplete)?;
    let given = fields.get("Signature").ok_or_else(incomplete)?;
    let header = |name: &str| {
        raw.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let action = header("x-acs-action").ok_or_else(|| ApiError::missing("x-acs-action"))?;
    let date = header("x-acs-date").ok_or_else(|| ApiError::missing("x-acs-date"))?;
    let nonce = header("x-acs-signature-nonce")
        .ok_or_else(|| ApiError::missing("x-acs-signature-nonce"))?;
    let secret = keys.get(*key_id).ok_or_else(unknown_key)?;
    check_time(&date)?;
    let payload = signature::sha256_hex(raw.body);
    if header("x-acs-content-sha256").is_some_and(|h| h != payload) {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            "x-acs-content-sha256 does not match the body.",
        ));
    }
    let signed: BTreeMap<String, String> = signed_names
        .split(';')
        .map(|name| (name.to_owned(), header(name).unwrap_or_default()))
        .collect();
    let query: BTreeMap<String, String> = raw.query.iter().cloned().collect();
    let canonical = signature::acs3_canonical_request(&signature::Acs3Request {
        method: raw.method,
        path: raw.path,
        query: &query,
        signed_headers: &signed,
        hashed_payload: &header("x-acs-content-sha256").unwrap_or(payload),
    });
    if signature::acs3_signature(secret, &canonical) != *given {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{canonical}"
            ),
        ));
    }
    let format = match query.get("Format").map(|f| f.to_ascii_uppercase()) {
        Some(f) if f == "XML" => Format::Xml,
        _ => Format::Json,
    };
    Ok(Request {
        access_key: (*key_id).to_owned(),
        action,
        format,
        params: union(raw),
        nonce,
    })
}

fn unknown_key() -> ApiError {
    ApiError::new(
        404,
        "InvalidAccessKeyId.NotFound",
        "Specified access key is not found.",
    )
}

fn check_time(stamp: &str) -> Result<(), ApiError> {
    let at = chrono::DateTime::parse_from_rfc3339(stamp).map_err(|_| {
        ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        )
    })?;
    if (chrono::Utc::now().timestamp() - at.timestamp()).abs() > MAX_SKEW_SECS {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        ));
    }
    Ok(())
}
