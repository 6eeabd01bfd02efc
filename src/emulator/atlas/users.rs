//! Database users (`/groups/{groupId}/databaseUsers`, 2023-01-01). SCRAM users on `admin` only:
//! a user with another auth database or auth type is refused (the emulator does not model
//! X.509, LDAP, OIDC or AWS IAM). The password is write-only and stored as SHA-256.
//!
//! `labels` (`[{key, value}]`, each a string of 1-255 characters) are stored and returned; a
//! PATCH that carries them replaces the whole array, one without them keeps it.
//!
//! Codes from the reference: `USERNAME_NOT_FOUND` (GET) and `USER_NOT_FOUND` (PATCH, DELETE),
//! both 404. `USER_ALREADY_EXISTS` (409) on a second POST of a name, and the wording of the
//! role and password refusals (`INVALID_ATTRIBUTE`), are the emulator's own.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Answer, AtlasError, Ctx, Project, page};
use crate::cloud::UserRole;
use crate::emulator::accounts::sha256;

/// Users a project may hold.
const MAX_USERS: usize = 100;
const MAX_DESCRIPTION: usize = 100;
/// Atlas' ComponentLabel: key and value of 1-255 characters.
const MAX_LABEL: usize = 255;
const AUTH_TYPES: [&str; 4] = ["x509Type", "ldapAuthType", "oidcAuthType", "awsIAMType"];

/// A user as stored.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub username: String,
    pub roles: Vec<Value>,
    pub scopes: Vec<Value>,
    pub description: String,
    pub labels: Vec<Value>,
    pub password_sha256: String,
    /// How often a password was set after the create, same value or not.
    pub password_sets: u64,
}

impl User {
    fn render(&self, ctx: &Ctx<'_>) -> Value {
        let mut body = json!({
            "databaseName": "admin", "groupId": ctx.group, "username": self.username,
            "roles": self.roles, "scopes": self.scopes, "labels": self.labels,
            "x509Type": "NONE", "ldapAuthType": "NONE", "oidcAuthType": "NONE", "awsIAMType": "NONE",
        });
        if !self.description.is_empty() {
            body["description"] = json!(self.description);
        }
        body["links"] = ctx.link(&format!(
            "/groups/{}/databaseUsers/admin/{}",
            ctx.group, self.username
        ));
        body
    }
}

fn not_found(code: &'static str, ctx: &Ctx<'_>, name: &str) -> AtlasError {
    AtlasError::new(
        404,
        code,
        format!(
            "No user with username {name} exists in group {}.",
            ctx.group
        ),
    )
    .param(name)
}

fn check_roles(value: &Value) -> Result<Vec<Value>, AtlasError> {
    let items = value
        .as_array()
        .ok_or_else(|| AtlasError::invalid_because("roles", "not a list"))?;
    for item in items {
        let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
        let role = UserRole {
            role_name: text("roleName").ok_or_else(|| AtlasError::missing("roles.roleName"))?,
            database_name: text("databaseName")
                .ok_or_else(|| AtlasError::missing("roles.databaseName"))?,
            collection_name: text("collectionName").filter(|c| !c.is_empty()),
        };
        if let Some(why) = crate::reconcile::databaseuser::atlas_role_problem(&role) {
            return Err(AtlasError::invalid_because("roles", why));
        }
    }
    Ok(items.clone())
}

fn check_scopes(value: &Value) -> Result<Vec<Value>, AtlasError> {
    let items = value
        .as_array()
        .ok_or_else(|| AtlasError::invalid_because("scopes", "not a list"))?;
    for item in items {
        let kind = item.get("type").and_then(Value::as_str).unwrap_or_default();
        if !["CLUSTER", "DATA_LAKE", "STREAM"].contains(&kind) {
            return Err(AtlasError::invalid_because(
                "scopes.type",
                "must be CLUSTER, DATA_LAKE or STREAM",
            ));
        }
        if item
            .get("name")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(AtlasError::missing("scopes.name"));
        }
    }
    Ok(items.clone())
}

fn check_labels(value: &Value) -> Result<Vec<Value>, AtlasError> {
    let items = value
        .as_array()
        .ok_or_else(|| AtlasError::invalid_because("labels", "not a list"))?;
    items
        .iter()
        .map(|item| {
            let text = |key: &str| {
                item.get(key)
                    .and_then(Value::as_str)
                    .filter(|t| (1..=MAX_LABEL).contains(&t.chars().count()))
            };
            match (text("key"), text("value")) {
                (Some(key), Some(value)) => Ok(json!({"key": key, "value": value})),
                _ => Err(AtlasError::invalid_because(
                    "labels",
                    "each needs a key and a value of 1 to 255 characters",
                )),
            }
        })
        .collect()
}

fn check_password(value: &Value) -> Result<String, AtlasError> {
    match value.as_str() {
        Some(p) if p.chars().count() >= 8 => Ok(sha256(p)),
        _ => Err(AtlasError::invalid_because(
            "password",
            "must be at least 8 characters",
        )),
    }
}

/// Applies the writable fields of `body` to `user`; `creating` also takes the identity fields.
fn apply(user: &mut User, body: &Value, creating: bool) -> Result<(), AtlasError> {
    let fields = body
        .as_object()
        .ok_or_else(|| AtlasError::invalid("body"))?;
    for (key, value) in fields {
        match key.as_str() {
            "roles" => user.roles = check_roles(value)?,
            "scopes" => user.scopes = check_scopes(value)?,
            "labels" => user.labels = check_labels(value)?,
            "description" => {
                let text = value.as_str().unwrap_or_default();
                if text.chars().count() > MAX_DESCRIPTION {
                    return Err(AtlasError::invalid_because(
                        "description",
                        "at most 100 characters",
                    ));
                }
                user.description = text.to_owned();
            }
            "password" => {
                user.password_sha256 = check_password(value)?;
                if !creating {
                    user.password_sets += 1;
                }
            }
            "databaseName" if value.as_str() != Some("admin") => {
                return Err(AtlasError::invalid_because(
                    "databaseName",
                    "the emulator serves SCRAM users on admin only",
                ));
            }
            auth if AUTH_TYPES.contains(&auth) && value.as_str() != Some("NONE") => {
                return Err(AtlasError::invalid_because(
                    "x509Type",
                    "the emulator serves SCRAM (password) users only",
                ));
            }
            "username" if creating => {}
            "username" | "databaseName" | "groupId" => {}
            auth if AUTH_TYPES.contains(&auth) => {}
            _ => return Err(AtlasError::invalid(key)),
        }
    }
    Ok(())
}

pub fn list(project: &mut Project, ctx: &Ctx<'_>) -> Answer {
    let items = project
        .database_users
        .values()
        .map(|u| u.render(ctx))
        .collect();
    let path = format!("/groups/{}/databaseUsers", ctx.group);
    Ok((StatusCode::OK, Some(page::paginate(ctx, &path, items)?)))
}

pub fn create(project: &mut Project, ctx: &Ctx<'_>, body: &Value) -> Answer {
    let username = body
        .get("username")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| AtlasError::missing("username"))?
        .to_owned();
    if body.get("databaseName").is_none() {
        return Err(AtlasError::missing("databaseName"));
    }
    if body.get("password").is_none() {
        return Err(AtlasError::missing("password"));
    }
    if project.database_users.contains_key(&username) {
        return Err(AtlasError::new(
            409,
            "USER_ALREADY_EXISTS",
            format!("The specified database user {username} already exists."),
        )
        .param(username.as_str()));
    }
    if project.database_users.len() >= MAX_USERS {
        return Err(AtlasError::new(
            400,
            "DATABASE_USER_LIMIT_EXCEEDED",
            "A project holds at most 100 database users.",
        ));
    }
    let mut user = User {
        username: username.clone(),
        ..User::default()
    };
    apply(&mut user, body, true)?;
    let rendered = user.render(ctx);
    project.database_users.insert(username, user);
    Ok((StatusCode::CREATED, Some(rendered)))
}

fn admin_only<'a>(
    ctx: &Ctx<'_>,
    code: &'static str,
    database: &str,
    name: &'a str,
) -> Result<&'a str, AtlasError> {
    if database == "admin" {
        Ok(name)
    } else {
        Err(not_found(code, ctx, name))
    }
}

pub fn get(project: &mut Project, ctx: &Ctx<'_>, database: &str, name: &str) -> Answer {
    let name = admin_only(ctx, "USERNAME_NOT_FOUND", database, name)?;
    let user = project
        .database_users
        .get(name)
        .ok_or_else(|| not_found("USERNAME_NOT_FOUND", ctx, name))?;
    Ok((StatusCode::OK, Some(user.render(ctx))))
}

pub fn update(
    project: &mut Project,
    ctx: &Ctx<'_>,
    database: &str,
    name: &str,
    body: &Value,
) -> Answer {
    let name = admin_only(ctx, "USER_NOT_FOUND", database, name)?;
    let user = project
        .database_users
        .get_mut(name)
        .ok_or_else(|| not_found("USER_NOT_FOUND", ctx, name))?;
    let mut next = user.clone();
    apply(&mut next, body, false)?;
    *user = next;
    Ok((StatusCode::OK, Some(user.render(ctx))))
}

pub fn delete(project: &mut Project, ctx: &Ctx<'_>, database: &str, name: &str) -> Answer {
    let name = admin_only(ctx, "USER_NOT_FOUND", database, name)?;
    project
        .database_users
        .remove(name)
        .ok_or_else(|| not_found("USER_NOT_FOUND", ctx, name))?;
    Ok((StatusCode::NO_CONTENT, None))
}

/// Every user of a project, by name.
pub type Users = BTreeMap<String, User>;
