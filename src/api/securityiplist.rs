//! `SecurityIpList`: one named security-IP group of an instance.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    DeletionPolicy, InstanceTarget, ManagementPolicy, PlannedAction, ProviderConfigReference,
    default_management_policies, exactly_one_instance_target, management_policies_schema,
};
use super::conditions::Condition;
use super::patterns;

/// Most IPs and CIDR blocks the cloud allows on one instance, over all groups.
pub const MAX_ENTRIES: usize = 1000;

/// One named security-IP group (allow list) of an instance. The operator writes only this group;
/// other groups, including IPs added by hand, are never touched.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mongocloud.dev",
    version = "v1alpha1",
    kind = "SecurityIpList",
    plural = "securityiplists",
    namespaced,
    shortname = "sipl",
    category = "mongocloud",
    status = "SecurityIpListStatus",
    derive = "PartialEq",
    doc = "One named security-IP group (allow list) of a MongoDB instance.",
    printcolumn = r#"{"name":"INSTANCE","type":"string","jsonPath":".status.instanceId"}"#,
    printcolumn = r#"{"name":"GROUP","type":"string","jsonPath":".status.atProvider.groupName"}"#,
    printcolumn = r#"{"name":"READY","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"SYNCED","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"AGE","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct SecurityIpListSpec {
    /// The ProviderConfig holding the cloud account.
    #[serde(default)]
    pub provider_config_ref: ProviderConfigReference,
    /// `Delete` (default) removes the group from the instance when this object is deleted.
    #[serde(default = "DeletionPolicy::delete")]
    pub deletion_policy: DeletionPolicy,
    /// What the operator may do in the cloud: `["*"]` (default: observe, create, update, delete)
    /// or a list of `Observe`, `Create`, `Update`, `Delete`, `LateInitialize` that includes
    /// `Observe`. Without `Delete` (or `*`) the cloud resource is kept whatever `deletionPolicy`
    /// says; the cloud resource is deleted only when both allow it.
    #[serde(default = "default_management_policies")]
    #[schemars(schema_with = "management_policies_schema")]
    pub management_policies: Vec<ManagementPolicy>,
    /// The desired group.
    pub for_provider: SecurityIpListParameters,
}

/// The desired security-IP group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(transform = exactly_one_instance_target)]
pub struct SecurityIpListParameters {
    #[serde(flatten)]
    pub instance: InstanceTarget,
    /// Group name: 2-120 characters of lower-case letters, digits and `_`, starting with a letter
    /// and ending with a letter or digit. Defaults to one derived from this object's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::IP_GROUP_NAME))]
    pub group_name: Option<String>,
    /// SecurityIpGroupAttribute, passed through to the cloud (e.g. a label for the console).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 120), regex(pattern = patterns::IP_GROUP_ATTRIBUTE))]
    pub group_attribute: Option<String>,
    /// IPv4 or IPv6 addresses and CIDR blocks; order does not matter.
    #[schemars(length(min = 1, max = 1000))]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["ip"]))]
    pub entries: Vec<IpEntry>,
    /// `0.0.0.0/0` and `::/0` open the instance to the whole internet; they are refused unless
    /// this is `true`.
    #[serde(default)]
    pub allow_public_access: bool,
    /// Atlas only: how this resource's entries are marked in the project access list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<AtlasAccessListParameters>,
}

/// The project access list of Atlas has no groups; each entry has a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasAccessListParameters {
    /// Own the entries whose comment is exactly this (entries made in the Atlas UI or by other
    /// tools, e.g. written by `mongocloud-operator import`), and give entries written for this
    /// resource the same comment. Without it the resource owns the entries whose comment
    /// carries its UID. Must not start with `mongocloud:` (that prefix marks UID-owned
    /// entries).
    #[schemars(length(min = 1, max = 80))]
    pub comment: String,
}

/// One allowed address or block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IpEntry {
    /// An IPv4 or IPv6 address, or a CIDR block such as `10.0.0.0/24` or `2001:db8::/32`.
    /// Exact in the schema (octets 0-255, prefix 0-32 or 0-128, IPv6 groups), so the API server
    /// refuses `10.0.0.256` before the operator sees it.
    #[schemars(
        length(min = 2, max = patterns::IP_ENTRY_MAX_LENGTH),
        regex(pattern = patterns::IP_ENTRY)
    )]
    pub ip: String,
    /// Why the entry exists (kept in the resource only; the cloud has no field for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub comment: Option<String>,
    /// When the entry should be removed automatically (RFC 3339 with an offset, e.g.
    /// `2026-12-31T00:00:00Z`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::RFC3339), extend("format" = "date-time"))]
    pub expires_at: Option<String>,
}

/// The group as the cloud reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityIpListObservation {
    pub group_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_attribute: Option<String>,
    /// The entries in the cloud's group, normalised and sorted.
    #[serde(default)]
    pub entries: Vec<String>,
    /// IPs on the instance over all groups (the cloud allows 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_total: Option<i32>,
}

/// What the operator last saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecurityIpListStatus {
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
    /// The instance the group belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// The entries applied, after expired ones were dropped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub applied_entries: Vec<String>,
    /// The next time an entry expires (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_expiry: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_provider: Option<SecurityIpListObservation>,
}
