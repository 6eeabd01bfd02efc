//! Atlas error bodies (`{detail, error, errorCode, parameters, reason}`) classified into the
//! operator's error classes. The code decides first: recorded statuses sometimes differ from
//! the published spec (DUPLICATE_CLUSTER_NAME is a 400, not a 409).

use std::time::Duration;

use serde::Deserialize;

use crate::cloud::ErrorClass;

/// An Atlas error body. Only `error` and `errorCode` are always present.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase", default)]
pub struct ApiError {
    pub detail: String,
    pub error: u16,
    pub error_code: String,
    pub reason: String,
}

impl ApiError {
    /// The body of an error answer; a body that is not Atlas JSON (an HTML 503 during an
    /// incident) becomes a code of its own so it is still classified by status.
    pub fn parse(status: u16, body: &str) -> ApiError {
        serde_json::from_str::<ApiError>(body)
            .ok()
            .filter(|e| !e.error_code.is_empty())
            .unwrap_or_else(|| ApiError {
                detail: body.chars().take(200).collect(),
                error: status,
                error_code: format!("HTTP_{status}"),
                reason: String::new(),
            })
    }
}

/// The class of a failed call. `retry_after` is the answer's `Retry-After`, if any.
pub fn classify(status: u16, code: &str, retry_after: Option<Duration>) -> ErrorClass {
    match code {
        "RATE_LIMITED" | "RATE_LIMITED_TOKEN_BUCKET" => ErrorClass::Throttled { retry_after },
        "CLUSTER_NOT_FOUND"
        | "RESOURCE_NOT_FOUND"
        | "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND"
        | "NOT_IN_IP_RANGE"
        | "USERNAME_NOT_FOUND"
        | "USER_NOT_FOUND"
        | "SNAPSHOT_NOT_FOUND" => ErrorClass::NotFound,
        "CANNOT_UPDATE_PAUSED_CLUSTER" | "CANNOT_CLOSE_GROUP_ACTIVE_ATLAS_CLUSTERS" => {
            ErrorClass::InvalidState
        }
        // A bad project id is a configuration error, not a missing resource.
        "GROUP_NOT_FOUND" => ErrorClass::Terminal,
        _ => match status {
            429 => ErrorClass::Throttled { retry_after },
            // A conflict with the resource's current state (busy cluster, snapshot running).
            409 => ErrorClass::InvalidState,
            500..=599 => ErrorClass::Transient,
            404 => ErrorClass::NotFound,
            _ => ErrorClass::Terminal,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_decide_before_statuses() {
        let wait = Some(Duration::from_secs(55));
        let cases = [
            (
                429,
                "RATE_LIMITED",
                ErrorClass::Throttled { retry_after: wait },
            ),
            (
                429,
                "RATE_LIMITED_TOKEN_BUCKET",
                ErrorClass::Throttled { retry_after: wait },
            ),
            (404, "CLUSTER_NOT_FOUND", ErrorClass::NotFound),
            (
                404,
                "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND",
                ErrorClass::NotFound,
            ),
            (404, "NOT_IN_IP_RANGE", ErrorClass::NotFound),
            (404, "GROUP_NOT_FOUND", ErrorClass::Terminal),
            (
                409,
                "CANNOT_UPDATE_PAUSED_CLUSTER",
                ErrorClass::InvalidState,
            ),
            (
                409,
                "SNAPSHOT_ALREADY_IN_PROGRESS",
                ErrorClass::InvalidState,
            ),
            (400, "DUPLICATE_CLUSTER_NAME", ErrorClass::Terminal),
            (
                400,
                "CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED",
                ErrorClass::Terminal,
            ),
            (401, "UNEXPECTED_ERROR", ErrorClass::Terminal),
            (403, "IP_ADDRESS_NOT_ON_ACCESS_LIST", ErrorClass::Terminal),
            (406, "INVALID_VERSION_DATE", ErrorClass::Terminal),
            (500, "UNEXPECTED_ERROR", ErrorClass::Transient),
            (503, "HTTP_503", ErrorClass::Transient),
            (
                429,
                "SOMETHING_NEW",
                ErrorClass::Throttled { retry_after: wait },
            ),
        ];
        for (status, code, class) in cases {
            assert_eq!(classify(status, code, wait), class, "{status} {code}");
        }
        assert_eq!(
            classify(429, "RATE_LIMITED", None),
            ErrorClass::Throttled { retry_after: None },
            "a 429 without Retry-After is still throttling"
        );
    }

    #[test]
    fn error_bodies_parse_and_html_falls_back_to_the_status() {
        let body = r#"{"detail":"No cluster named X exists in group G.","error":404,"errorCode":"CLUSTER_NOT_FOUND","parameters":["X","G"],"reason":"Not Found"}"#;
        let e = ApiError::parse(404, body);
        assert_eq!(e.error_code, "CLUSTER_NOT_FOUND");
        assert_eq!(e.detail, "No cluster named X exists in group G.");
        let html = ApiError::parse(503, "<html><body>Service Unavailable</body></html>");
        assert_eq!(html.error_code, "HTTP_503");
        assert_eq!(classify(503, &html.error_code, None), ErrorClass::Transient);
    }
}
