//! `DatabaseUser`: one database user of an instance (Aliyun: its `root` account; Atlas: a SCRAM
//! user of the project), with a password kept in a Secret and rotated when that Secret changes.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    DeletionPolicy, InstanceTarget, LocalReference, ManagementPolicy, PlannedAction,
    ProviderConfigReference, SecretKeySelector, default_management_policies,
    exactly_one_instance_target, management_policies_schema,
};
use super::conditions::Condition;

/// One database user. Its password is read from `passwordSecretRef` inside each reconcile and
/// set in the cloud once per new value; the operator stores only a digest of it.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mongocloud.dev",
    version = "v1alpha1",
    kind = "DatabaseUser",
    plural = "databaseusers",
    namespaced,
    shortname = "dbu",
    category = "mongocloud",
    status = "DatabaseUserStatus",
    derive = "PartialEq",
    doc = "One database user of a MongoDB instance, with a password that rotates with its Secret.",
    printcolumn = r#"{"name":"INSTANCE","type":"string","jsonPath":".status.instanceId"}"#,
    printcolumn = r#"{"name":"USER","type":"string","jsonPath":".spec.forProvider.username"}"#,
    printcolumn = r#"{"name":"READY","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"SYNCED","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"AGE","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUserSpec {
    /// The ProviderConfig holding the cloud account.
    #[serde(default)]
    pub provider_config_ref: ProviderConfigReference,
    /// `Delete` (default: a user holds no data) removes the user from the cloud when this object
    /// is deleted; `Orphan` keeps it. Aliyun's `root` account cannot be deleted and always stays.
    #[serde(default = "DeletionPolicy::delete")]
    pub deletion_policy: DeletionPolicy,
    /// What the operator may do in the cloud: `["*"]` (default: observe, create, update, delete)
    /// or a list of `Observe`, `Create`, `Update`, `Delete`, `LateInitialize` that includes
    /// `Observe`. Without `Delete` (or `*`) the cloud resource is kept whatever `deletionPolicy`
    /// says; the cloud resource is deleted only when both allow it.
    #[serde(default = "default_management_policies")]
    #[schemars(schema_with = "management_policies_schema")]
    pub management_policies: Vec<ManagementPolicy>,
    /// The desired user.
    pub for_provider: DatabaseUserParameters,
    /// A Secret (same namespace) to write username, password, host, port and a connection
    /// string with this user's credentials into, each time the cloud accepted a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_connection_secret_to_ref: Option<LocalReference>,
}

/// The desired database user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = exactly_one_instance_target)]
pub struct DatabaseUserParameters {
    #[serde(flatten)]
    pub instance: InstanceTarget,
    /// The user's name. Aliyun manages only `root` through its API.
    #[schemars(length(min = 1, max = 64))]
    pub username: String,
    /// The key of a Secret (same namespace) holding the password. Changing the value sets the
    /// new password in the cloud once.
    pub password_secret_ref: SecretKeySelector,
    /// The authentication database: `admin` (SCRAM users), the only one supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    /// Roles granted to the user (Atlas only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<DatabaseUserRole>,
    /// The clusters the user may reach (Atlas only); empty means every cluster of the project.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<DatabaseUserScope>,
    /// Free text shown in the cloud console (Atlas: at most 100 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub description: Option<String>,
    /// Atlas X.509 authentication: only `NONE` (password users) is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x509_type: Option<String>,
    /// Atlas LDAP authentication: only `NONE` is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap_auth_type: Option<String>,
    /// Atlas OIDC authentication: only `NONE` is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_auth_type: Option<String>,
    /// Atlas AWS IAM authentication: only `NONE` is supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "awsIAMType")]
    pub aws_iam_type: Option<String>,
}

/// One role on one database (and, on Atlas, optionally one collection).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUserRole {
    /// e.g. `readWrite`, `read`, `dbAdmin`, `readWriteAnyDatabase`, `atlasAdmin`.
    #[schemars(length(min = 1, max = 64))]
    pub role_name: String,
    /// The database the role applies to; `admin` for the `...AnyDatabase` and cluster roles.
    #[schemars(length(min = 1, max = 64))]
    pub database_name: String,
    /// One collection of that database (`read` and `readWrite` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collection_name: Option<String>,
}

/// One resource the user may reach.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUserScope {
    /// The cluster's name.
    #[schemars(length(min = 1, max = 64))]
    pub name: String,
    /// `CLUSTER` (default), `DATA_LAKE` or `STREAM`.
    #[serde(default = "cluster_scope", rename = "type")]
    pub type_: String,
}

fn cluster_scope() -> String {
    "CLUSTER".to_owned()
}

/// The user as the cloud reports it; never the password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUserObservation {
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<DatabaseUserRole>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<DatabaseUserScope>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Aliyun: `Available`, `Unavailable`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// What the operator last saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DatabaseUserStatus {
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The cloud calls the operator would make but did not, in order: shown while the
    /// `mongocloud.dev/plan-only` annotation is set, while paused, or when a management policy
    /// lacks the verb. Empty when the cloud matches the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned_actions: Vec<PlannedAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// Digest (SHA-256 over this object's UID and the password) of the password the cloud last accepted;
    /// never the password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied_password_digest: Option<String>,
    /// Digest of a password being set, recorded before the call: after a crash it tells a
    /// call that may have gone out from a password nobody tried yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_password_digest: Option<String>,
    /// Atlas: a random value recorded with the pending digest and sent in the same call as the
    /// password, as the user's label `mongocloud-password-rev`; the label read back tells whether
    /// that call was applied. Never derived from the password. Unset on Aliyun.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_password_rev: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_provider: Option<DatabaseUserObservation>,
}
