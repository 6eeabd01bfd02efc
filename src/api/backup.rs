//! `Backup`: one on-demand backup of an instance.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    DeletionPolicy, InstanceTarget, ManagementPolicy, PlannedAction, ProviderConfigReference,
    default_management_policies, exactly_one_instance_target, management_policies_schema,
};
use super::conditions::Condition;

/// One on-demand backup, taken once. Its spec cannot change after the backup was started.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mongocloud.dev",
    version = "v1alpha1",
    kind = "Backup",
    plural = "backups",
    namespaced,
    shortname = "dbb",
    category = "mongocloud",
    status = "BackupStatus",
    derive = "PartialEq",
    doc = "One on-demand backup of a MongoDB instance.",
    printcolumn = r#"{"name":"ID","type":"string","jsonPath":".status.backupId"}"#,
    printcolumn = r#"{"name":"STATUS","type":"string","jsonPath":".status.atProvider.status"}"#,
    printcolumn = r#"{"name":"READY","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"SYNCED","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"AGE","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct BackupSpec {
    /// The ProviderConfig holding the cloud account.
    #[serde(default)]
    pub provider_config_ref: ProviderConfigReference,
    /// `Orphan` (default) keeps the backup in the cloud when this object is deleted.
    #[serde(default = "DeletionPolicy::orphan")]
    pub deletion_policy: DeletionPolicy,
    /// What the operator may do in the cloud: `["*"]` (default: observe, create, update, delete)
    /// or a list of `Observe`, `Create`, `Update`, `Delete`, `LateInitialize` that includes
    /// `Observe`. Without `Delete` (or `*`) the cloud resource is kept whatever `deletionPolicy`
    /// says; the cloud resource is deleted only when both allow it.
    #[serde(default = "default_management_policies")]
    #[schemars(schema_with = "management_policies_schema")]
    pub management_policies: Vec<ManagementPolicy>,
    /// The backup to take.
    pub for_provider: BackupParameters,
}

/// How the backup is taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum BackupMethod {
    /// mongodump-style: portable, slower.
    Logical,
    /// Copy of the data files: fast restores.
    Physical,
}

/// The backup to take.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = exactly_one_instance_target)]
pub struct BackupParameters {
    #[serde(flatten)]
    pub instance: InstanceTarget,
    /// `Logical` or `Physical`.
    pub method: BackupMethod,
}

/// The backup as the cloud reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupObservation {
    /// `Running`, `Success` or `Failed`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<i64>,
}

/// What the operator last saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupStatus {
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
    /// The cloud's backup id, recorded as soon as the backup was started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    /// When the operator asked the cloud to start the backup (RFC 3339), recorded before the
    /// call, so a start whose answer was lost is found instead of repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_requested_at: Option<String>,
    /// The spec the backup was started with; a later change is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_method: Option<BackupMethod>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_provider: Option<BackupObservation>,
}
