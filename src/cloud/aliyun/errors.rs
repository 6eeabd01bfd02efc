//! The cloud's error codes, classified once.

use std::time::Duration;

use crate::cloud::ErrorClass;

/// Codes meaning "that instance or backup does not exist".
const NOT_FOUND: [&str; 5] = [
    "InvalidDBInstanceId.NotFound",
    "InvalidInstanceId.NotFound",
    "InvalidBackupSetID.NotFound",
    "InvalidBackupId.NotFound",
    "InvalidDBInstanceName.NotFound",
];

/// Codes meaning "busy or in the wrong state: wait and try again".
const INVALID_STATE: [&str; 6] = [
    "IncorrectDBInstanceState",
    "OperationDenied.DBInstanceStatus",
    "Task.Conflict",
    "InstanceStatusInvalid",
    "BackupJobExists",
    "OperationDenied.OrderTask",
];

/// Codes of passing faults.
const TRANSIENT: [&str; 4] = [
    "ServiceUnavailable",
    "InternalError",
    "UnknownError",
    "SignatureNonceUsed",
];

/// The class of an error answer, from its HTTP status and Code.
pub fn classify(status: u16, code: &str, retry_after: Option<Duration>) -> ErrorClass {
    if code.contains("Throttling") {
        ErrorClass::Throttled { retry_after }
    } else if TRANSIENT.contains(&code) || status >= 500 {
        ErrorClass::Transient
    } else if NOT_FOUND.contains(&code) {
        ErrorClass::NotFound
    } else if INVALID_STATE.contains(&code) {
        ErrorClass::InvalidState
    } else {
        ErrorClass::Terminal
    }
}

/// Code, Message and RequestId of an error body, JSON or XML.
pub fn parse_error_body(body: &str) -> Option<(String, String, String)> {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let field = |k: &str| {
            json.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let code = field("Code");
        return (!code.is_empty()).then(|| (code, field("Message"), field("RequestId")));
    }
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = body.find(&open)? + open.len();
        let end = body[start..].find(&format!("</{name}>"))? + start;
        Some(body[start..end].to_owned())
    };
    Some((
        tag("Code")?,
        tag("Message").unwrap_or_default(),
        tag("RequestId").unwrap_or_default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code of the reference's table, with its class.
    #[test]
    fn classification_table() {
        let throttled = ErrorClass::Throttled { retry_after: None };
        let cases: [(u16, &str, ErrorClass); 43] = [
            (400, "Throttling", throttled),
            (400, "Throttling.User", throttled),
            (403, "Throttling.Api", throttled),
            (400, "Rejected.Throttling", throttled),
            (503, "ServiceUnavailable", ErrorClass::Transient),
            (500, "InternalError", ErrorClass::Transient),
            (500, "UnknownError", ErrorClass::Transient),
            (502, "BadGateway", ErrorClass::Transient),
            (400, "SignatureNonceUsed", ErrorClass::Transient),
            (404, "InvalidAccessKeyId.NotFound", ErrorClass::Terminal),
            (400, "InvalidAccessKeyId.Inactive", ErrorClass::Terminal),
            (400, "SignatureDoesNotMatch", ErrorClass::Terminal),
            (400, "IncompleteSignature", ErrorClass::Terminal),
            (400, "InvalidSignatureMethod", ErrorClass::Terminal),
            (400, "InvalidTimeStamp.Expired", ErrorClass::Terminal),
            (400, "InvalidTimeStamp.Format", ErrorClass::Terminal),
            (404, "InvalidApi.NotFound", ErrorClass::Terminal),
            (400, "InvalidAction", ErrorClass::Terminal),
            (400, "UnsupportedHTTPMethod", ErrorClass::Terminal),
            (403, "Forbidden.RAM", ErrorClass::Terminal),
            (403, "Forbidden.RiskControl", ErrorClass::Terminal),
            (403, "RealNameAuthenticationError", ErrorClass::Terminal),
            (400, "MissingParameter", ErrorClass::Terminal),
            (400, "InvalidParameter", ErrorClass::Terminal),
            (404, "InvalidDBInstanceId.NotFound", ErrorClass::NotFound),
            (404, "InvalidInstanceId.NotFound", ErrorClass::NotFound),
            (404, "InvalidStatus.NotFound", ErrorClass::Terminal),
            (
                400,
                "OperationDenied.DBInstanceStatus",
                ErrorClass::InvalidState,
            ),
            (403, "IncorrectDBInstanceState", ErrorClass::InvalidState),
            (403, "IncorrectDBInstanceLockMode", ErrorClass::Terminal),
            (400, "Task.Conflict", ErrorClass::InvalidState),
            (400, "InstanceStatusInvalid", ErrorClass::InvalidState),
            (400, "IncorrectDBInstanceType", ErrorClass::Terminal),
            (400, "InvalidSecurityIPList.Format", ErrorClass::Terminal),
            (400, "InvalidSecurityIps.MalFormed", ErrorClass::Terminal),
            (
                400,
                "InvalidSecurityIPList.QuotaExceeded",
                ErrorClass::Terminal,
            ),
            (404, "InvalidDBInstanceClass.NotFound", ErrorClass::Terminal),
            (400, "QuotaExceed", ErrorClass::Terminal),
            (400, "InsufficientBalance", ErrorClass::Terminal),
            (400, "ChargeTypeViolation", ErrorClass::Terminal),
            (403, "InstanceReleaseProtection", ErrorClass::Terminal),
            (400, "BackupJobExists", ErrorClass::InvalidState),
            (400, "InvalidBackupSetID.NotFound", ErrorClass::NotFound),
        ];
        for (status, code, want) in cases {
            assert_eq!(classify(status, code, None), want, "code {code}");
        }
        let wait = Some(Duration::from_secs(3));
        assert_eq!(
            classify(400, "Throttling.User", wait),
            ErrorClass::Throttled { retry_after: wait }
        );
    }

    #[test]
    fn error_bodies_parse_in_both_formats() {
        let json = r#"{"RequestId":"r-1","HostId":"mongodb.aliyuncs.com","Code":"InvalidDBInstanceId.NotFound","Message":"not found","Recommend":"x"}"#;
        assert_eq!(
            parse_error_body(json),
            Some((
                "InvalidDBInstanceId.NotFound".into(),
                "not found".into(),
                "r-1".into()
            ))
        );
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>r-2</RequestId><HostId>h</HostId><Code>Throttling</Code><Message>slow down</Message></Error>"#;
        assert_eq!(
            parse_error_body(xml),
            Some(("Throttling".into(), "slow down".into(), "r-2".into()))
        );
        assert_eq!(parse_error_body("<html>bad gateway</html>"), None);
    }
}
