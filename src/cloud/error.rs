//! Cloud errors, classified once so controllers decide on the class, never on a code string.

use std::time::Duration;

/// What a controller should do about a failed cloud call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Slow down; wait `retry_after` when the cloud said how long.
    Throttled { retry_after: Option<Duration> },
    /// A passing fault (5xx, timeout, connection reset): retry with backoff.
    Transient,
    /// The resource does not exist.
    NotFound,
    /// The resource is busy or in a state that refuses the call: wait and retry.
    InvalidState,
    /// Retrying cannot help (credentials, bad parameters, quota): needs a change by a person.
    Terminal,
}

impl ErrorClass {
    /// A bounded label for metrics, Events and logs.
    pub fn category(self) -> &'static str {
        match self {
            ErrorClass::Throttled { .. } => "Throttled",
            ErrorClass::Transient => "Transient",
            ErrorClass::NotFound => "NotFound",
            ErrorClass::InvalidState => "InvalidState",
            ErrorClass::Terminal => "Terminal",
        }
    }
}

/// A failed cloud call with the cloud's own code, message and request id.
#[derive(Debug, thiserror::Error)]
#[error("{action} failed: {code}: {message} (request {request_id})")]
pub struct CloudError {
    pub action: &'static str,
    pub class: ErrorClass,
    pub code: String,
    pub message: String,
    pub request_id: String,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Redacted<T>(pub T);

impl<T> Redacted<T> {
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Redacted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl<T> std::fmt::Display for Redacted<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}
