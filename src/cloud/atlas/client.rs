//! The Atlas HTTP client, authenticated by an API key (HTTP Digest) or a service account (OAuth
//! bearer token, see [`super::oauth`]). With Digest nothing with a body goes out
//! unauthenticated: a client's first call fetches a challenge with a body-less GET, later calls
//! reuse the nonce (counting `nc` up) until Atlas answers with a new challenge. A 401 means the
//! request was not acted on, so answering the new challenge (or minting a new token) once is
//! safe for any method.

use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use tokio::sync::Mutex;

use super::digest::{self, Challenge};
use super::errors::{ApiError, classify};
use super::oauth::ServiceAccount;
use super::versions::{Endpoint, media_type};
use crate::cloud::error::Redacted;
use crate::cloud::{CloudError, ErrorClass};

pub const DEFAULT_BASE: &str = "https://cloud.mongodb.com/api/atlas/v2";
pub const TIMEOUT: Duration = Duration::from_secs(30);

pub struct AtlasClient {
    http: reqwest::Client,
    base: Url,
    auth: Auth,
}

enum Auth {
    Digest {
        public_key: String,
        private_key: Redacted<String>,
        /// The challenge being answered and the last nonce count used with it.
        nonce: Mutex<Option<(Challenge, u32)>>,
    },
    Bearer(ServiceAccount),
}

impl std::fmt::Debug for AtlasClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let who = match &self.auth {
            Auth::Digest { public_key, .. } => public_key.as_str(),
            Auth::Bearer(account) => account.client_id(),
        };
        f.debug_struct("AtlasClient")
            .field("base", &self.base.as_str())
            .field("key", &who)
            .finish_non_exhaustive()
    }
}

impl AtlasClient {
    /// A client for `base` (default [`DEFAULT_BASE`]; http only for loopback emulators) with a
    /// programmatic API key.
    pub fn new(
        base: Option<&str>,
        public_key: String,
        private_key: Redacted<String>,
    ) -> Result<Self, String> {
        Self::with_timeout(base, public_key, private_key, TIMEOUT)
    }

    /// As [`AtlasClient::new`], giving up on a request after `timeout`.
    pub fn with_timeout(
        base: Option<&str>,
        public_key: String,
        private_key: Redacted<String>,
        timeout: Duration,
    ) -> Result<Self, String> {
        if public_key.is_empty() || private_key.expose().is_empty() {
            return Err("publicKey and privateKey must not be empty".to_owned());
        }
        Self::build(base, timeout, |_| {
            Ok(Auth::Digest {
                public_key,
                private_key,
                nonce: Mutex::new(None),
            })
        })
    }

    /// A client for `base` with a service account's client credentials.
    pub fn with_service_account(
        base: Option<&str>,
        client_id: String,
        client_secret: Redacted<String>,
        timeout: Duration,
    ) -> Result<Self, String> {
        if client_id.is_empty() || client_secret.expose().is_empty() {
            return Err("clientId and clientSecret must not be empty".to_owned());
        }
        Self::build(base, timeout, |base| {
            ServiceAccount::new(base, client_id, client_secret).map(Auth::Bearer)
        })
    }

    fn build(
        base: Option<&str>,
        timeout: Duration,
        auth: impl FnOnce(&Url) -> Result<Auth, String>,
    ) -> Result<Self, String> {
        let base = base.unwrap_or(DEFAULT_BASE).trim_end_matches('/');
        let base = Url::parse(base).map_err(|e| format!("invalid Atlas base URL {base:?}: {e}"))?;
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let auth = auth(&base)?;
        Ok(AtlasClient { http, base, auth })
    }

    /// One call: `path` below the base (e.g. `/groups/{id}/clusters?pageNum=1`), the version
    /// of `endpoint`, an optional JSON body. The answer's JSON (`Null` for an empty body).
    pub async fn send(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
        endpoint: Endpoint,
        body: Option<&Value>,
    ) -> Result<Value, CloudError> {
        let uri = format!("{}{path}", self.base.path());
        let url = self
            .base
            .join(&uri)
            .map_err(|e| transport(action, format!("invalid path {path:?}: {e}")))?;
        let mut renewed = false;
        loop {
            let authorization = self.authorization(action, &method, &uri).await?;
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header(AUTHORIZATION, authorization)
                .header(ACCEPT, media_type(endpoint));
            if let Some(body) = body {
                request = request
                    .header(CONTENT_TYPE, media_type(endpoint))
                    .body(body.to_string());
            }
            let response = request
                .send()
                .await
                .map_err(|e| transport(action, e.to_string()))?;
            if response.status() == StatusCode::UNAUTHORIZED && !renewed {
                renewed = true;
                match &self.auth {
                    // Our nonce expired or was replaced: answer the new one, once.
                    Auth::Digest { nonce, .. } => {
                        if let Some(challenge) = challenge_of(&response) {
                            *nonce.lock().await = Some((challenge, 0));
                            continue;
                        }
                    }
                    // The token was revoked or expired early: mint another, once.
                    Auth::Bearer(account) => {
                        account.forget().await;
                        continue;
                    }
                }
            }
            return answer(action, response).await;
        }
    }

    /// The `Authorization` header for the next request: a bearer token, or a Digest answer
    /// (fetching a challenge first if none is held).
    async fn authorization(
        &self,
        action: &'static str,
        method: &Method,
        uri: &str,
    ) -> Result<String, CloudError> {
        let (public_key, private_key, nonce) = match &self.auth {
            Auth::Bearer(account) => {
                return Ok(format!(
                    "Bearer {}",
                    account.bearer(&self.http, action).await?
                ));
            }
            Auth::Digest {
                public_key,
                private_key,
                nonce,
            } => (public_key, private_key, nonce),
        };
        let mut held = nonce.lock().await;
        let (challenge, count) = match held.as_mut() {
            Some(held) => held,
            None => {
                let challenge = self.fetch_challenge(action).await?;
                held.insert((challenge, 0))
            }
        };
        *count += 1;
        let cnonce = format!("{:016x}", rand::random::<u64>());
        Ok(digest::authorization(
            challenge,
            public_key,
            private_key.expose(),
            method.as_str(),
            uri,
            *count,
            &cnonce,
        ))
    }

    /// A challenge from a body-less GET of the base, which has no effect.
    async fn fetch_challenge(&self, action: &'static str) -> Result<Challenge, CloudError> {
        let response = self
            .http
            .get(self.base.clone())
            .send()
            .await
            .map_err(|e| transport(action, e.to_string()))?;
        challenge_of(&response).ok_or_else(|| CloudError {
            action,
            class: ErrorClass::Terminal,
            code: "NoDigestChallenge".into(),
            message: format!(
                "{} answered {} without a Digest challenge: is this an Atlas API base URL?",
                self.base,
                response.status()
            ),
            request_id: String::new(),
            source: None,
        })
    }
}

fn challenge_of(response: &reqwest::Response) -> Option<Challenge> {
    let header = response.headers().get(WWW_AUTHENTICATE)?.to_str().ok()?;
    digest::parse_challenge(header).ok()
}

/// The answer's `Retry-After` in seconds, when it has one.
pub(super) fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

async fn answer(action: &'static str, response: reqwest::Response) -> Result<Value, CloudError> {
    let status = response.status();
    let retry_after = retry_after(&response);
    let text = response
        .text()
        .await
        .map_err(|e| transport(action, e.to_string()))?;
    if status.is_success() {
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        return serde_json::from_str(&text).map_err(|e| CloudError {
            action,
            class: ErrorClass::Transient,
            code: "InvalidResponse".into(),
            message: format!("answer is not JSON: {e}"),
            request_id: String::new(),
            source: None,
        });
    }
    let error = ApiError::parse(status.as_u16(), &text);
    Err(CloudError {
        action,
        class: classify(status.as_u16(), &error.error_code, retry_after),
        code: error.error_code,
        message: error.detail,
        request_id: String::new(),
        source: None,
    })
}

fn transport(action: &'static str, message: String) -> CloudError {
    CloudError {
        action,
        class: ErrorClass::Transient,
        code: "Transport".into(),
        message,
        request_id: String::new(),
        source: None,
    }
}
