//! Database auditing (`/groups/{groupId}/auditLog`): GET and PATCH of one settings object.
//! `auditFilter` is a JSON document serialised as a string, stored verbatim.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Answer, AtlasError, Project};

#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Auditing {
    pub enabled: bool,
    pub audit_authorization_success: bool,
    pub audit_filter: Option<String>,
}

impl Auditing {
    fn render(&self) -> Value {
        let mut body = json!({
            "auditAuthorizationSuccess": self.audit_authorization_success,
            "configurationType": if self.audit_filter.is_some() { "FILTER_JSON" } else { "NONE" },
            "enabled": self.enabled,
        });
        if let Some(filter) = &self.audit_filter {
            body["auditFilter"] = json!(filter);
        }
        body
    }
}

pub fn get(project: &mut Project) -> Answer {
    Ok((StatusCode::OK, Some(project.auditing.render())))
}

pub fn update(project: &mut Project, body: &Value) -> Answer {
    let empty = serde_json::Map::new();
    let fields = match body {
        Value::Null => &empty,
        Value::Object(fields) => fields,
        _ => return Err(AtlasError::invalid("body")),
    };
    let mut next = project.auditing.clone();
    for (key, value) in fields {
        match (key.as_str(), value) {
            (_, Value::Null) | ("configurationType", _) => {}
            ("enabled", Value::Bool(b)) => next.enabled = *b,
            ("auditAuthorizationSuccess", Value::Bool(b)) => next.audit_authorization_success = *b,
            ("auditFilter", Value::String(filter)) => {
                if !serde_json::from_str::<Value>(filter).is_ok_and(|v| v.is_object()) {
                    return Err(AtlasError::invalid_because(
                        "auditFilter",
                        "not a JSON document",
                    ));
                }
                next.audit_filter = Some(filter.clone());
            }
            (other, _) => return Err(AtlasError::invalid(other)),
        }
    }
    project.auditing = next;
    Ok((StatusCode::ACCEPTED, Some(project.auditing.render())))
}
