//! Atlas service accounts: OAuth 2 client credentials. A token is minted at `/api/oauth/token`
//! (client id and secret as HTTP Basic) and reused until ten minutes before it expires, since
//! Atlas allows only 10 mints a minute per client.

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::cloud::error::Redacted;
use crate::cloud::{CloudError, ErrorClass};

/// A token is renewed this long before Atlas would expire it.
const RENEW_BEFORE: Duration = Duration::from_secs(600);

pub struct ServiceAccount {
    token_url: Url,
    client_id: String,
    secret: Redacted<String>,
    token: Mutex<Option<(Redacted<String>, Instant)>>,
}

#[derive(Deserialize)]
struct Minted {
    access_token: String,
    expires_in: u64,
}

impl ServiceAccount {
    /// The account of `client_id`; tokens come from `/api/oauth/token` on `base`'s host.
    pub fn new(base: &Url, client_id: String, secret: Redacted<String>) -> Result<Self, String> {
        let token_url = base
            .join("/api/oauth/token")
            .map_err(|e| format!("cannot derive the token URL from {base}: {e}"))?;
        Ok(ServiceAccount {
            token_url,
            client_id,
            secret,
            token: Mutex::new(None),
        })
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// A live token, minted when none is held or the held one is near its end.
    pub async fn bearer(
        &self,
        http: &reqwest::Client,
        action: &'static str,
    ) -> Result<String, CloudError> {
        let mut held = self.token.lock().await;
        if let Some((token, renew_at)) = held.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.expose().clone());
        }
        let minted = self.mint(http, action).await?;
        let lifetime = Duration::from_secs(minted.expires_in);
        let renew_at = Instant::now()
            + lifetime
                .saturating_sub(RENEW_BEFORE)
                .max(Duration::from_secs(30).min(lifetime));
        *held = Some((Redacted(minted.access_token.clone()), renew_at));
        Ok(minted.access_token)
    }

    /// Drops the held token (Atlas refused it: revoked, or expired early).
    pub async fn forget(&self) {
        *self.token.lock().await = None;
    }

    async fn mint(
        &self,
        http: &reqwest::Client,
        action: &'static str,
    ) -> Result<Minted, CloudError> {
        let fail = |class, code: &str, message: String| CloudError {
            action,
            class,
            code: code.to_owned(),
            message,
            request_id: String::new(),
            source: None,
        };
        let response = http
            .post(self.token_url.clone())
            .basic_auth(&self.client_id, Some(self.secret.expose()))
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials")
            .send()
            .await
            .map_err(|e| fail(ErrorClass::Transient, "Transport", e.to_string()))?;
        let status = response.status();
        let retry_after = super::client::retry_after(&response);
        if status.is_success() {
            return response.json::<Minted>().await.map_err(|e| {
                fail(
                    ErrorClass::Transient,
                    "InvalidResponse",
                    format!("the token answer is not a token: {e}"),
                )
            });
        }
        Err(match status {
            StatusCode::TOO_MANY_REQUESTS => fail(
                ErrorClass::Throttled { retry_after },
                "RATE_LIMITED",
                "the token endpoint allows 10 requests a minute per client".to_owned(),
            ),
            s if s.is_server_error() => fail(
                ErrorClass::Transient,
                "TokenEndpointUnavailable",
                format!("the token endpoint answered {s}"),
            ),
            s => fail(
                ErrorClass::Terminal,
                "InvalidClientCredentials",
                format!(
                    "the token endpoint refused service account {} ({s}): check clientId and clientSecret",
                    self.client_id
                ),
            ),
        })
    }
}
