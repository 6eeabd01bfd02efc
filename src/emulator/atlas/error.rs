//! Atlas error answers: `{detail, error, errorCode, parameters, reason}` as `application/json`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// An error answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AtlasError {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    pub parameters: Vec<Value>,
    /// Seconds for `Retry-After` (429).
    pub retry_after: Option<u64>,
}

impl AtlasError {
    pub fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Self {
        AtlasError {
            status,
            code,
            detail: detail.into(),
            parameters: Vec::new(),
            retry_after: None,
        }
    }

    /// Adds one entry to `parameters`.
    pub fn param(mut self, value: impl Into<Value>) -> Self {
        self.parameters.push(value.into());
        self
    }

    /// `INVALID_ATTRIBUTE`, as Atlas words it.
    pub fn invalid(attribute: &str) -> Self {
        AtlasError::new(
            400,
            "INVALID_ATTRIBUTE",
            format!("Invalid attribute {attribute} specified."),
        )
        .param(attribute)
    }

    /// `INVALID_ATTRIBUTE` with the reason spelled out.
    pub fn invalid_because(attribute: &str, why: impl std::fmt::Display) -> Self {
        AtlasError::new(
            400,
            "INVALID_ATTRIBUTE",
            format!("Invalid attribute {attribute} specified: {why}."),
        )
        .param(attribute)
    }

    pub fn missing(attribute: &str) -> Self {
        AtlasError::new(
            400,
            "MISSING_ATTRIBUTE",
            format!("The required attribute {attribute} was not specified."),
        )
        .param(attribute)
    }

    pub fn rate_limited(path: &str, retry_after: u64) -> Self {
        AtlasError {
            retry_after: Some(retry_after),
            ..AtlasError::new(
                429,
                "RATE_LIMITED",
                format!(
                    "Rate limit exceeded for {path}. Please retry after {retry_after} seconds."
                ),
            )
            .param(path)
            .param(retry_after)
        }
    }

    pub fn body(&self) -> Value {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json!({
            "detail": self.detail,
            "error": self.status,
            "errorCode": self.code,
            "parameters": self.parameters,
            "reason": status.canonical_reason().unwrap_or(""),
        })
    }
}

impl IntoResponse for AtlasError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (
            status,
            [("content-type", "application/json")],
            self.body().to_string(),
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(seconds));
        }
        response
    }
}
