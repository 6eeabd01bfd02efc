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
