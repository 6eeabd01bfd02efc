//! `AuditLogFilter`: audit logging of one instance.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    DeletionPolicy, InstanceTarget, ManagementPolicy, PlannedAction, ProviderConfigReference,
    default_management_policies, exactly_one_instance_target, management_policies_schema,
};
use super::conditions::Condition;

/// Audit logging (on/off, retention) and the operations it records for one instance.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mongocloud.dev",
    version = "v1alpha1",
    kind = "AuditLogFilter",
    plural = "auditlogfilters",
    namespaced,
    shortname = "alf",
    category = "mongocloud",
    status = "AuditLogFilterStatus",
    derive = "PartialEq",
    doc = "Audit logging and the audit log filter of a MongoDB instance.",
    printcolumn = r#"{"name":"INSTANCE","type":"string","jsonPath":".status.instanceId"}"#,
    printcolumn = r#"{"name":"AUDIT","type":"string","jsonPath":".status.atProvider.auditStatus"}"#,
    printcolumn = r#"{"name":"READY","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"SYNCED","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"AGE","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogFilterSpec {
    /// The ProviderConfig holding the cloud account.
    #[serde(default)]
    pub provider_config_ref: ProviderConfigReference,
    /// `Delete` (default) restores the cloud's default filter when this object is deleted.
    #[serde(default = "DeletionPolicy::delete")]
    pub deletion_policy: DeletionPolicy,
    /// What the operator may do in the cloud: `["*"]` (default: observe, create, update, delete)
    /// or a list of `Observe`, `Create`, `Update`, `Delete`, `LateInitialize` that includes
    /// `Observe`. Without `Delete` (or `*`) the cloud resource is kept whatever `deletionPolicy`
    /// says; the cloud resource is deleted only when both allow it.
    #[serde(default = "default_management_policies")]
    #[schemars(schema_with = "management_policies_schema")]
    pub management_policies: Vec<ManagementPolicy>,
    /// The desired audit settings.
    pub for_provider: AuditLogFilterParameters,
}

/// Operation categories the cloud can audit.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum AuditCategory {
    Admin,
    Slow,
    Query,
    Insert,
    Update,
    Delete,
    Command,
}

impl AuditCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditCategory::Admin => "admin",
            AuditCategory::Slow => "slow",
            AuditCategory::Query => "query",
            AuditCategory::Insert => "insert",
            AuditCategory::Update => "update",
            AuditCategory::Delete => "delete",
            AuditCategory::Command => "command",
        }
    }
}

/// The desired audit settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = exactly_one_instance_target)]
pub struct AuditLogFilterParameters {
    #[serde(flatten)]
    pub instance: InstanceTarget,
    /// Categories to record: any of admin, slow, query, insert, update, delete, command (at
    /// least one, unless `atlas.auditFilter` gives an Atlas filter document; Atlas has no `slow`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 7), extend("x-kubernetes-list-type" = "set"))]
    pub filter: Vec<AuditCategory>,
    /// Audit logging on (default) or off (ModifyAuditPolicy).
    #[serde(default = "default_true")]
    pub audit_enabled: bool,
    /// Aliyun only: days to keep audit logs, 1-365.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub storage_period_days: Option<i32>,
    /// Atlas only: a filter document instead of `filter` categories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<AtlasAuditParameters>,
}

/// Atlas auditing given as Atlas takes it. Auditing belongs to the Atlas project, so it applies
/// to every cluster of the project.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasAuditParameters {
    /// The audit filter, a JSON document (e.g. `{"atype": "authenticate"}`); compared as JSON,
    /// so spacing never causes a write.
    #[schemars(length(min = 2, max = 65536))]
    pub audit_filter: String,
    /// Also record successful authorizations (`authCheck` events); costs performance.
    #[serde(default)]
    pub audit_authorization_success: bool,
}

fn default_true() -> bool {
    true
}

/// The audit settings as the cloud reports them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogFilterObservation {
    /// The filter read back, sorted.
    #[serde(default)]
    pub filter: Vec<String>,
    /// `Enable` or `Disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_status: Option<String>,
}

/// What the operator last saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditLogFilterStatus {
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_provider: Option<AuditLogFilterObservation>,
}
