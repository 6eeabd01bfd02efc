//! Database users (`/groups/{groupId}/databaseUsers`, version 2023-01-01). Users belong to the
//! project, not to a cluster: `scopes` limit which clusters they reach. Only SCRAM users, on the
//! `admin` database, are managed; the password is write-only (never returned).

use reqwest::Method;
use serde_json::{Value, json};

use super::provider::{AtlasProvider, encode};
use super::versions::Endpoint;
use crate::cloud::error::Redacted;
use crate::cloud::{
    CloudError, DbUser, ErrorClass, NewDbUser, UserLabel, UserRole, UserScope, UserSettings,
};

/// The authentication database of SCRAM users.
pub const AUTH_DATABASE: &str = "admin";

fn roles_json(roles: &[UserRole]) -> Value {
    Value::Array(
        roles
            .iter()
            .map(|r| {
                let mut role = json!({"roleName": r.role_name, "databaseName": r.database_name});
                if let Some(collection) = &r.collection_name {
                    role["collectionName"] = json!(collection);
                }
                role
            })
            .collect(),
    )
}

fn scopes_json(scopes: &[UserScope]) -> Value {
    Value::Array(
        scopes
            .iter()
            .map(|s| json!({"name": s.name, "type": s.type_}))
            .collect(),
    )
}

fn labels_json(labels: &[UserLabel]) -> Value {
    Value::Array(
        labels
            .iter()
            .map(|l| json!({"key": l.key, "value": l.value}))
            .collect(),
    )
}

/// The PATCH body that sets a password, with the whole label array when `labels` is given
/// (Atlas replaces the array: the caller passes the labels to keep too).
pub fn password_body(password: &Redacted<String>, labels: Option<&[UserLabel]>) -> Value {
    let mut body = json!({"password": password.expose()});
    if let Some(labels) = labels {
        body["labels"] = labels_json(labels);
    }
    body
}

/// The PATCH body that sets roles, scopes and description together.
pub fn settings_body(settings: &UserSettings) -> Value {
    json!({
        "roles": roles_json(&settings.roles),
        "scopes": scopes_json(&settings.scopes),
        "description": settings.description.clone().unwrap_or_default(),
    })
}

/// A user as Atlas returns it.
pub fn user(v: &Value) -> DbUser {
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    let items = |key: &str| {
        v.get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut roles: Vec<UserRole> = items("roles")
        .iter()
        .map(|r| UserRole {
            role_name: text(r, "roleName").unwrap_or_default(),
            database_name: text(r, "databaseName").unwrap_or_default(),
            collection_name: text(r, "collectionName").filter(|c| !c.is_empty()),
        })
        .collect();
    roles.sort();
    let mut scopes: Vec<UserScope> = items("scopes")
        .iter()
        .map(|s| UserScope {
            name: text(s, "name").unwrap_or_default(),
            type_: text(s, "type").unwrap_or_default(),
        })
        .collect();
    scopes.sort();
    let labels = items("labels")
        .iter()
        .map(|l| UserLabel {
            key: text(l, "key").unwrap_or_default(),
            value: text(l, "value").unwrap_or_default(),
        })
        .collect();
    DbUser {
        username: text(v, "username").unwrap_or_default(),
        database_name: text(v, "databaseName"),
        roles,
        scopes,
        description: text(v, "description").filter(|d| !d.is_empty()),
        labels,
        status: None,
    }
}

impl AtlasProvider {
    fn user_path(&self, username: &str) -> String {
        self.path(&format!(
            "/databaseUsers/{AUTH_DATABASE}/{}",
            encode(username)
        ))
    }

    pub(super) async fn get_user(&self, username: &str) -> Result<Option<DbUser>, CloudError> {
        let path = self.user_path(username);
        match self
            .call(
                "getDatabaseUser",
                Method::GET,
                &path,
                Endpoint::Project,
                None,
            )
            .await
        {
            Ok(v) => Ok(Some(user(&v))),
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(super) async fn post_user(&self, new: &NewDbUser) -> Result<(), CloudError> {
        let mut body = settings_body(&new.settings);
        body["username"] = json!(new.username);
        body["databaseName"] = json!(AUTH_DATABASE);
        body["groupId"] = json!(self.project());
        body["password"] = json!(new.password.expose());
        if !new.labels.is_empty() {
            body["labels"] = labels_json(&new.labels);
        }
        let path = self.path("/databaseUsers");
        self.call(
            "createDatabaseUser",
            Method::POST,
            &path,
            Endpoint::Project,
            Some(&body),
        )
        .await
        .map(drop)
    }

    pub(super) async fn patch_user(&self, username: &str, body: &Value) -> Result<(), CloudError> {
        let path = self.user_path(username);
        self.call(
            "updateDatabaseUser",
            Method::PATCH,
            &path,
            Endpoint::Project,
            Some(body),
        )
        .await
        .map(drop)
    }

    pub(super) async fn remove_user(&self, username: &str) -> Result<(), CloudError> {
        let path = self.user_path(username);
        self.call(
            "deleteDatabaseUser",
            Method::DELETE,
            &path,
            Endpoint::Project,
            None,
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_reads_back_with_sorted_roles_and_no_empty_collection() {
        let v = json!({
            "username": "app", "databaseName": "admin", "description": "",
            "roles": [{"roleName": "read", "databaseName": "b", "collectionName": ""},
                      {"roleName": "readWrite", "databaseName": "a"}],
            "scopes": [{"name": "orders", "type": "CLUSTER"}]
        });
        let u = user(&v);
        assert_eq!(u.roles[0].role_name, "read");
        assert_eq!(u.roles[0].collection_name, None);
        assert_eq!(u.roles[1].database_name, "a");
        assert_eq!(u.description, None);
        assert_eq!(u.scopes.len(), 1);
    }

    #[test]
    fn labels_read_back_in_order_and_a_password_patch_carries_them_all() {
        let v = json!({"username": "app", "labels": [
            {"key": "team", "value": "orders"}, {"key": "mongocloud-password-rev", "value": "ab12"}]});
        let labels = user(&v).labels;
        assert_eq!(labels[0].key, "team");
        assert_eq!(labels[1].value, "ab12");
        let body = password_body(&Redacted("p4ssword".to_owned()), Some(&labels));
        assert_eq!(body["labels"], v["labels"]);
        let bare = password_body(&Redacted("p4ssword".to_owned()), None);
        assert!(bare.get("labels").is_none(), "no labels: Atlas keeps them");
    }

    #[test]
    fn the_settings_patch_carries_roles_scopes_and_description_but_no_password() {
        let settings = UserSettings {
            roles: vec![UserRole {
                role_name: "read".into(),
                database_name: "shop".into(),
                collection_name: Some("orders".into()),
            }],
            scopes: vec![],
            description: None,
        };
        let body = settings_body(&settings);
        assert_eq!(body["roles"][0]["collectionName"], "orders");
        assert_eq!(body["scopes"], json!([]));
        assert!(body.get("password").is_none());
    }
}
