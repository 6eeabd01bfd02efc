//! The signed RPC client: one per account, with connection reuse, a rate limit, timeouts and
//! retries of the calls that are safe to repeat.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{SecondsFormat, Utc};
use serde_json::Value;
use tracing::Instrument;

use super::{endpoints, errors, retry, signature};
use crate::cloud::error::Redacted;
use crate::cloud::ratelimit::RateLimit;
use crate::cloud::{AccountSettings, CallObserver, Cloud, CloudError, ErrorClass};

pub const VERSION: &str = "2015-12-01";
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct AliyunClient {
    http: reqwest::Client,
    endpoint: Option<String>,
    pub(super) region: String,
    access_key_id: String,
    access_key_secret: Redacted<String>,
    pub(super) limit: RateLimit,
    observer: Option<Arc<dyn CallObserver>>,
}

impl std::fmt::Debug for AliyunClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AliyunClient")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Parameters of one call: the action's own, as the cloud names them.
pub type Params = BTreeMap<String, String>;

impl AliyunClient {
    pub fn new(
        settings: AccountSettings,
        observer: Option<Arc<dyn CallObserver>>,
    ) -> Result<Self, String> {
        if let Some(endpoint) = &settings.endpoint {
            endpoints::check_override(endpoint)?;
        }
        if settings.access_key_id.is_empty() || settings.access_key_secret.expose().is_empty() {
            return Err("accessKeyId and accessKeySecret must not be empty".to_owned());
        }
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout.unwrap_or(TIMEOUT))
            .connect_timeout(Duration::from_secs(5))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(AliyunClient {
            http,
            endpoint: settings.endpoint,
            region: settings.region.unwrap_or_default(),
            access_key_id: settings.access_key_id,
            access_key_secret: settings.access_key_secret,
            limit: RateLimit::new(settings.requests_per_second),
            observer,
        })
    }

    /// Calls `action`, retrying it when that is safe, and returns the answer's JSON.
    pub async fn call(
        &self,
        action: &'static str,
        region: &str,
        params: Params,
    ) -> Result<Value, CloudError> {
        let mut attempt = 0;
        loop {
            let span = tracing::debug_span!(
                "cloud",
                cloud.action = action,
                region,
                attempt,
                cloud.request_id = tracing::field::Empty
            );
            let waited = self.limit.acquire().await;
            crate::cloud::report_budget_wait(self.observer.as_ref(), Cloud::Aliyun, waited);
            let started = Instant::now();
            let result = self
                .attempt(action, region, &params)
                .instrument(span.clone())
                .await;
            let outcome = crate::cloud::report(self.observer.as_ref(), action, &result);
            span.in_scope(|| {
                tracing::debug!(
                    outcome,
                    budget_wait_ms = waited.as_millis() as u64,
                    took_ms = started.elapsed().as_millis() as u64,
                    "cloud call"
                )
            });
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            if let ErrorClass::Throttled { retry_after } = error.class {
                self.limit.throttled(retry_after);
            }
            match retry::next_delay(action, error.class, attempt, rand::random()) {
                Some(wait) => {
                    tracing::warn!(action, attempt, code = %error.code, request_id = %error.request_id, "retrying cloud call");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                None => return Err(error),
            }
        }
    }

    async fn attempt(
        &self,
        action: &'static str,
        region: &str,
        business: &Params,
    ) -> Result<Value, CloudError> {
        let region = if region.is_empty() {
            self.region.as_str()
        } else {
            region
        };
        let mut common = Params::from([
            ("Action".to_owned(), action.to_owned()),
            ("Version".to_owned(), VERSION.to_owned()),
            ("Format".to_owned(), "JSON".to_owned()),
            ("AccessKeyId".to_owned(), self.access_key_id.clone()),
            ("SignatureMethod".to_owned(), "HMAC-SHA1".to_owned()),
            ("SignatureVersion".to_owned(), "1.0".to_owned()),
            (
                "SignatureNonce".to_owned(),
                uuid::Uuid::new_v4().to_string(),
            ),
            (
                "Timestamp".to_owned(),
                Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            ),
        ]);
        let mut signed = common.clone();
        signed.extend(business.iter().map(|(k, v)| (k.clone(), v.clone())));
        let string_to_sign = signature::rpc_string_to_sign("POST", &signed);
        common.insert(
            "Signature".to_owned(),
            signature::rpc_signature(self.access_key_secret.expose(), &string_to_sign),
        );
        let url = format!(
            "{}/?{}",
            endpoints::base_url(self.endpoint.as_deref(), region),
            signature::canonical_query(&common)
        );
        let body = serde_urlencoded::to_string(business)
            .map_err(|e| local_error(action, format!("cannot encode parameters: {e}")))?;
        let response = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(action, e))?;
        let status = response.status().as_u16();
        let retry_after = retry_after(response.headers());
        let text = response
            .text()
            .await
            .map_err(|e| transport_error(action, e))?;
        if (200..300).contains(&status) {
            let value: Value = serde_json::from_str(&text).map_err(|e| CloudError {
                action,
                class: ErrorClass::Transient,
                code: "InvalidResponse".to_owned(),
                message: format!("the answer is not JSON: {e}"),
                request_id: String::new(),
                source: None,
            })?;
            if let Some(id) = value.get("RequestId").and_then(Value::as_str) {
                tracing::Span::current().record("cloud.request_id", id);
            }
            return Ok(value);
        }
        let (code, message, request_id) = errors::parse_error_body(&text)
            .unwrap_or_else(|| (format!("HTTP{status}"), truncate(&text), String::new()));
        Err(CloudError {
            action,
            class: errors::classify(status, &code, retry_after),
            code,
            message,
            request_id,
            source: None,
        })
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    ["x-acs-retry-after", "retry-after"]
        .iter()
        .find_map(|name| {
            headers
                .get(*name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|secs| secs.is_finite() && *secs >= 0.0)
        .map(Duration::from_secs_f64)
}

fn transport_error(action: &'static str, error: reqwest::Error) -> CloudError {
    // reqwest errors carry the URL, whose query holds the signature: never keep it.
    let error = error.without_url();
    let code = if error.is_timeout() {
        "Timeout"
    } else {
        "ConnectionError"
    };
    CloudError {
        action,
        class: ErrorClass::Transient,
        code: code.to_owned(),
        message: error.to_string(),
        request_id: String::new(),
        source: Some(Box::new(error)),
    }
}

fn local_error(action: &'static str, message: String) -> CloudError {
    CloudError {
        action,
        class: ErrorClass::Terminal,
        code: "ClientError".to_owned(),
        message,
        request_id: String::new(),
        source: None,
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(200).collect()
}
