//! Answers in the cloud's shapes: JSON or XML bodies, error codes with their HTTP statuses.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const HOST_ID: &str = "mongodb.aliyuncs.com";

/// An error answer: HTTP status, the cloud's Code and Message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: String,
    pub message: String,
    /// Seconds for `x-acs-retry-after` on throttling.
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_owned(),
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn missing(name: &str) -> Self {
        ApiError::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    pub fn invalid(name: &str, why: impl std::fmt::Display) -> Self {
        ApiError::new(
            400,
            "InvalidParameter",
            format!("The specified parameter \"{name}\" is not valid: {why}"),
        )
    }

    pub fn not_found(id: &str) -> Self {
        ApiError::new(
            404,
            "InvalidDBInstanceId.NotFound",
            format!("The specified instance {id} is not found."),
        )
    }

    /// The instance is not in a state that allows the action (`OperationDenied.DBInstanceStatus`).
    pub fn denied(status: &str) -> Self {
        ApiError::new(
            403,
            "OperationDenied.DBInstanceStatus",
            format!("The operation is not permitted due to status of instance: {status}."),
        )
    }

    /// SSL and similar actions use the other code for the same refusal.
    pub fn incorrect_state(status: &str) -> Self {
        ApiError::new(
            403,
            "IncorrectDBInstanceState",
            format!("Current DB instance state does not support this operation: {status}."),
        )
    }
}

/// The body format a request asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

pub fn respond(
    format: Format,
    action: &str,
    request_id: &str,
    result: Result<Value, ApiError>,
) -> Response {
    let (status, mut body, root, retry_after) = match result {
        Ok(mut value) => {
            if let Value::Object(map) = &mut value {
                map.insert("RequestId".to_owned(), json!(request_id));
            }
            (StatusCode::OK, value, format!("{action}Response"), None)
        }
        Err(e) => {
            let value = json!({"RequestId": request_id, "HostId": HOST_ID, "Code": e.code, "Message": e.message,
                               "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}", e.code)});
            (
                StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST),
                value,
                "Error".to_owned(),
                e.retry_after,
            )
        }
    };
    let (content_type, text) = match format {
        Format::Json => ("application/json;charset=utf-8", body.to_string()),
        Format::Xml => ("text/xml;charset=utf-8", to_xml(&root, &mut body)),
    };
    let mut response = (status, [("content-type", content_type)], text).into_response();
    if let Some(secs) = retry_after
        && let Ok(value) = HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert("x-acs-retry-after", value);
    }
    response
}

/// XML the cloud's way: a list under key `K` becomes repeated `<K>` elements.
pub fn to_xml(root: &str, value: &mut Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    element(&mut out, root, value);
    out
}

fn element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                element(out, name, item);
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (key, child) in map {
                element(out, key, child);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Null => out.push_str(&format!("<{name}/>")),
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", escape(s))),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_repeats_list_items_under_their_key() {
        let mut v = json!({"DBInstances": {"DBInstance": [{"DBInstanceId": "a"}, {"DBInstanceId": "b<"}]}, "TotalCount": 2});
        assert_eq!(
            to_xml("DescribeDBInstancesResponse", &mut v),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DescribeDBInstancesResponse><DBInstances><DBInstance><DBInstanceId>a</DBInstanceId></DBInstance><DBInstance><DBInstanceId>b&lt;</DBInstanceId></DBInstance></DBInstances><TotalCount>2</TotalCount></DescribeDBInstancesResponse>"
        );
    }
}
