//! Types every kind shares: references, deletion policy, the instance a sub-resource targets.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns;

/// API group of every kind here.
pub const GROUP: &str = "mongocloud.dev";
/// Setting this annotation to `"true"` stops all cloud writes for the resource.
pub const PAUSED_ANNOTATION: &str = "mongocloud.dev/paused";
/// Finalizer that keeps a resource until its cloud side was deleted or orphaned.
pub const FINALIZER: &str = "mongocloud.dev/finalizer";

/// What happens in the cloud when the Kubernetes resource is deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DeletionPolicy {
    /// Leave the cloud resource as it is; only the Kubernetes object goes away.
    #[default]
    Orphan,
    /// Delete the cloud resource, then remove the Kubernetes object.
    Delete,
}

impl DeletionPolicy {
    pub fn orphan() -> Self {
        DeletionPolicy::Orphan
    }

    pub fn delete() -> Self {
        DeletionPolicy::Delete
    }
}

/// The ProviderConfig (cluster-scoped) that holds the cloud account to use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProviderConfigReference {
    /// Name of the ProviderConfig.
    #[schemars(length(min = 1, max = 253), regex(pattern = patterns::DNS1123_SUBDOMAIN))]
    pub name: String,
}

impl Default for ProviderConfigReference {
    fn default() -> Self {
        ProviderConfigReference {
            name: "default".to_owned(),
        }
    }
}

/// A reference to an object in the same namespace as the referring resource.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LocalReference {
    /// Name of the object, in this resource's namespace.
    #[schemars(length(min = 1, max = 253), regex(pattern = patterns::DNS1123_SUBDOMAIN))]
    pub name: String,
}

/// One key of a Secret in the same namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SecretKeySelector {
    /// Name of the Secret, in this resource's namespace.
    #[schemars(length(min = 1, max = 253), regex(pattern = patterns::DNS1123_SUBDOMAIN))]
    pub name: String,
    /// Key inside the Secret's data.
    #[schemars(length(min = 1, max = 253), regex(pattern = patterns::SECRET_KEY))]
    pub key: String,
}

/// Fields every sub-resource (SecurityIpList, AuditLogFilter, Backup) uses to name its instance:
/// exactly one of `dbInstanceRef` and `dbInstanceId`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstanceTarget {
    /// A DBInstance in the same namespace; the resource waits until it is Ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db_instance_ref: Option<LocalReference>,
    /// The id of an instance not managed by this operator, e.g. `dds-bp1234567890abcd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DDS_INSTANCE_ID))]
    pub db_instance_id: Option<String>,
}

/// The schema rule "exactly one of dbInstanceRef and dbInstanceId", for `forProvider` blocks that
/// flatten an [`InstanceTarget`].
pub fn exactly_one_instance_target(schema: &mut schemars::Schema) {
    schema.insert(
        "oneOf".to_owned(),
        serde_json::json!([
            {"required": ["dbInstanceRef"]},
            {"required": ["dbInstanceId"]}
        ]),
    );
}

/// Setting this annotation to `"true"` makes the operator plan as usual but write the plan to
/// `status.plannedActions` instead of calling the cloud; removing it applies that plan.
pub const PLAN_ONLY_ANNOTATION: &str = "mongocloud.dev/plan-only";

/// What the operator may do to the cloud resource (Crossplane's management policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ManagementPolicy {
    /// Observe, Create, Update and Delete: full management (the default).
    #[serde(rename = "*")]
    All,
    /// Read the cloud resource into the status. Every policy list needs it.
    Observe,
    /// Create the cloud resource when none exists.
    Create,
    /// Change the cloud resource to match the spec (includes operations).
    Update,
    /// Delete the cloud resource when the object is deleted with `deletionPolicy: Delete`.
    Delete,
    /// Fill optional spec fields the user left empty from what the cloud reports.
    LateInitialize,
}

/// The default policy list, `["*"]`.
pub fn default_management_policies() -> Vec<ManagementPolicy> {
    vec![ManagementPolicy::All]
}

/// True for the default list, so that it is not written back into specs that never set it.
pub fn is_default_management_policies(policies: &[ManagementPolicy]) -> bool {
    policies == [ManagementPolicy::All]
}

/// The schema of `spec.managementPolicies`: a set (no repeats) of one to six policies.
pub fn management_policies_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = generator.subschema_for::<Vec<ManagementPolicy>>();
    schema.insert("minItems".to_owned(), 1.into());
    schema.insert("maxItems".to_owned(), 6.into());
    schema.insert("x-kubernetes-list-type".to_owned(), "set".into());
    schema.insert("default".to_owned(), serde_json::json!(["*"]));
    schema
}

/// One field a planned cloud call would change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedChange {
    /// The spec field, e.g. `instanceClass` or `tags.team`.
    pub field: String,
    /// What the cloud holds now; absent when the field is new. Secret values are `(secret)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// What the call would set. Secret values are `(secret)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

/// One cloud call the operator would make, in the order it would make them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedAction {
    /// The cloud action, e.g. `ModifyDBInstanceSpec` (Dds) or `updateCluster` (Atlas, its operation id).
    pub action: String,
    /// The fields it changes, old → new.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PlannedChange>,
}
