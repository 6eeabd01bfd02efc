//! Atlas service accounts: `POST /api/oauth/token` (OAuth 2 client credentials, the client id
//! and secret as HTTP Basic, form `grant_type=client_credentials`) answers a bearer token that
//! lives an hour; API calls then carry `Authorization: Bearer <token>`. Like Atlas, the token
//! endpoint takes at most 10 requests a minute per client (429 `RATE_LIMITED` past that).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::Rng;
use serde_json::json;

use super::super::Shared;
use super::super::model::now_ms;
use super::error::AtlasError;

pub const TOKEN_PATH: &str = "/api/oauth/token";
const LIFETIME_MS: u64 = 3600 * 1000;
const MINTS_PER_MINUTE: usize = 10;

/// Tokens issued (token → client id, expiry) and recent mints per client.
#[derive(Debug, Default)]
pub struct Tokens {
    issued: HashMap<String, (String, u64)>,
    mints: HashMap<String, VecDeque<u64>>,
}

impl Tokens {
    /// Whether `header` carries a live bearer token.
    pub fn verify(&mut self, header: Option<&str>, now: u64) -> bool {
        self.issued.retain(|_, (_, expires)| *expires > now);
        header
            .and_then(|h| h.strip_prefix("Bearer "))
            .is_some_and(|token| self.issued.contains_key(token.trim()))
    }

    /// Whether a mint for `client` fits in its minute, counting it.
    fn admit(&mut self, client: &str, now: u64) -> bool {
        let recent = self.mints.entry(client.to_owned()).or_default();
        while recent
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= 60_000)
        {
            recent.pop_front();
        }
        if recent.len() >= MINTS_PER_MINUTE {
            return false;
        }
        recent.push_back(now);
        true
    }
}

pub async fn token(
    AxumState(shared): AxumState<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some((id, secret)) = basic(&headers) else {
        return invalid_client();
    };
    if shared.config.atlas_service_accounts.get(&id) != Some(&secret) {
        return invalid_client();
    }
    let form = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body).unwrap_or_default();
    if !form
        .iter()
        .any(|(k, v)| k == "grant_type" && v == "client_credentials")
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "unsupported_grant_type"})),
        )
            .into_response();
    }
    let now = now_ms();
    let mut state = shared.atlas();
    if !state.tokens.admit(&id, now) {
        let mut response = AtlasError::new(
            429,
            "RATE_LIMITED",
            format!("Rate limit exceeded for {TOKEN_PATH}. Please retry after 60 seconds."),
        )
        .into_response();
        response
            .headers_mut()
            .insert("retry-after", axum::http::HeaderValue::from_static("60"));
        return response;
    }
    *state
        .calls
        .entry("createAccessToken".to_owned())
        .or_insert(0) += 1;
    let token: String = {
        let mut rng = rand::rng();
        (0..40)
            .map(|_| char::from(b"abcdef0123456789"[rng.random_range(0..16)]))
            .collect()
    };
    state
        .tokens
        .issued
        .insert(token.clone(), (id, now + LIFETIME_MS));
    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": LIFETIME_MS / 1000}))
        .into_response()
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let encoded = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn invalid_client() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(
            json!({"error": "invalid_client", "error_description": "Invalid client credentials."}),
        ),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_mints_a_minute_per_client() {
        let mut tokens = Tokens::default();
        for n in 0..10 {
            assert!(tokens.admit("sa", 1_000 + n), "mint {n}");
        }
        assert!(!tokens.admit("sa", 2_000), "the eleventh in the minute");
        assert!(tokens.admit("other", 2_000), "per client");
        assert!(tokens.admit("sa", 61_000), "a minute after the first");
    }

    #[test]
    fn only_live_issued_tokens_pass() {
        let mut tokens = Tokens::default();
        tokens.issued.insert("t1".into(), ("sa".into(), 5_000));
        assert!(tokens.verify(Some("Bearer t1"), 4_999));
        assert!(!tokens.verify(Some("Bearer t2"), 1_000));
        assert!(!tokens.verify(Some("Digest username=\"t1\""), 1_000));
        assert!(!tokens.verify(Some("Bearer t1"), 5_000), "expired");
    }
}
