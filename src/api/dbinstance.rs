//! `DBInstance`: one MongoDB replica set or sharded cluster in the cloud.

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{
    DeletionPolicy, LocalReference, ManagementPolicy, PlannedAction, ProviderConfigReference,
    SecretKeySelector, default_management_policies, management_policies_schema,
};
use super::conditions::Condition;
use super::dbinstance_backup::{BackupPolicy, BackupsObservation, RestoreFrom, RestoreRecord};
use super::patterns;

/// A MongoDB replica set or sharded cluster managed in the cloud.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mongocloud.dev",
    version = "v1alpha1",
    kind = "DBInstance",
    plural = "dbinstances",
    namespaced,
    shortname = "dbi",
    category = "mongocloud",
    status = "DBInstanceStatus",
    derive = "PartialEq",
    doc = "A MongoDB replica set or sharded cluster in the cloud (ApsaraDB for MongoDB or a MongoDB Atlas cluster).",
    printcolumn = r#"{"name":"ID","type":"string","jsonPath":".status.instanceId"}"#,
    printcolumn = r#"{"name":"STATUS","type":"string","jsonPath":".status.atProvider.status"}"#,
    printcolumn = r#"{"name":"READY","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"SYNCED","type":"string","jsonPath":".status.conditions[?(@.type==\"Synced\")].status"}"#,
    printcolumn = r#"{"name":"AGE","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct DBInstanceSpec {
    /// The ProviderConfig holding the cloud account.
    #[serde(default)]
    pub provider_config_ref: ProviderConfigReference,
    /// `Orphan` (default) keeps the cloud instance when this object is deleted; `Delete` deletes it.
    #[serde(default = "DeletionPolicy::orphan")]
    pub deletion_policy: DeletionPolicy,
    /// What the operator may do in the cloud: `["*"]` (default: observe, create, update, delete)
    /// or a list of `Observe`, `Create`, `Update`, `Delete`, `LateInitialize` that includes
    /// `Observe`. Without `Delete` (or `*`) the cloud resource is kept whatever `deletionPolicy`
    /// says; the cloud resource is deleted only when both allow it.
    #[serde(default = "default_management_policies")]
    #[schemars(schema_with = "management_policies_schema")]
    pub management_policies: Vec<ManagementPolicy>,
    /// The desired state of the instance in the cloud.
    pub for_provider: DBInstanceParameters,
    /// A Secret (same namespace) to write host, port, replicaSetName, connectionString and, when
    /// a password was given, username/password into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_connection_secret_to_ref: Option<LocalReference>,
    /// Imperative operations, run once for each new `requestedAt` value.
    // Boxed, like `status.operations`: rarely set, and inline they would lift every cached
    // DBInstance into the allocator's next size class (see the test below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Box<DBInstanceOperations>>,
}

/// MongoDB versions the cloud offers for new replica sets.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
pub enum EngineVersion {
    #[serde(rename = "4.2")]
    V4_2,
    #[serde(rename = "4.4")]
    V4_4,
    #[serde(rename = "5.0")]
    V5_0,
    #[serde(rename = "6.0")]
    V6_0,
    #[serde(rename = "7.0")]
    V7_0,
    #[serde(rename = "8.0")]
    V8_0,
}

impl EngineVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            EngineVersion::V4_2 => "4.2",
            EngineVersion::V4_4 => "4.4",
            EngineVersion::V5_0 => "5.0",
            EngineVersion::V6_0 => "6.0",
            EngineVersion::V7_0 => "7.0",
            EngineVersion::V8_0 => "8.0",
        }
    }
}

/// How the instance is billed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ChargeType {
    /// Pay as you go; the only type the cloud lets an API caller delete.
    #[default]
    PostPaid,
    /// Subscription for `period` months.
    PrePaid,
}

/// Storage engine of the instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum StorageEngine {
    #[default]
    WiredTiger,
    RocksDB,
}

/// Disk type of the instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StorageType {
    CloudEssd1,
    CloudEssd2,
    CloudEssd3,
    CloudAuto,
    LocalSsd,
}

/// Whether SSL is on for the instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SslMode {
    Enabled,
    Disabled,
}

/// The daily maintenance window: one hour, UTC, as `HH:mmZ`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MaintenanceWindow {
    /// Start, e.g. `02:00Z`.
    #[schemars(regex(pattern = patterns::HH_MM_Z))]
    pub start_time: String,
    /// End, one hour after the start, e.g. `03:00Z`.
    #[schemars(regex(pattern = patterns::HH_MM_Z))]
    pub end_time: String,
}

/// The desired state of a replica set or sharded cluster. Field names follow the cloud's
/// parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DBInstanceParameters {
    /// Aliyun only: adopt this existing instance instead of creating one, e.g.
    /// `dds-bp1234567890abcd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DDS_INSTANCE_ID))]
    pub instance_id: Option<String>,
    /// Region: `cn-hangzhou` style for Aliyun, `US_EAST_1` style (the Atlas region name) for
    /// Atlas. Cannot change after creation.
    #[schemars(regex(pattern = patterns::REGION_ID), length(max = 64))]
    pub region_id: String,
    /// Aliyun only: zone, e.g. `cn-hangzhou-h`. Cannot change after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ALIYUN_REGION_ID), length(max = 64))]
    pub zone_id: Option<String>,
    /// MongoDB major version. Upgraded in place one major version at a time
    /// (UpgradeDBInstanceEngineVersion; Atlas `mongoDBMajorVersion`), never downgraded.
    pub engine_version: EngineVersion,
    /// Instance class: `dds.mongo.mid` style for Aliyun, the instance size (`M10`, `R40`,
    /// `M40_NVME`...) for Atlas. Changeable in place. Required for a replica set; refused with
    /// `sharding` (shards carry their own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::INSTANCE_CLASS), length(max = 64))]
    pub instance_class: Option<String>,
    /// Storage in GB, a multiple of 10 between 10 and 16000. Changeable in place. Required for
    /// a replica set; refused with `sharding`.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "storageGB")]
    #[schemars(range(min = 10, max = 16000), extend("multipleOf" = 10))]
    pub storage_gb: Option<i32>,
    /// Storage engine. Cannot change after creation. Atlas runs only WiredTiger.
    #[serde(default)]
    pub storage_engine: StorageEngine,
    /// Aliyun only: disk type; the cloud picks one when absent. Cannot change after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_type: Option<StorageType>,
    /// Number of voting (electable) nodes: 3 (when absent), 5 or 7. Changeable in place.
    /// Refused with `sharding` (each shard is a three-node replica set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [3, 5, 7]))]
    pub replication_factor: Option<i32>,
    /// Read-only nodes, 0 to 5. Changeable in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 5))]
    pub readonly_replicas: Option<i32>,
    /// Billing. Cannot change after creation. Atlas bills only `PostPaid`.
    #[serde(default)]
    pub charge_type: ChargeType,
    /// Aliyun only: subscription length in months (1-9, 12, 24, 36); only with
    /// `chargeType: PrePaid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36]))]
    pub period: Option<i32>,
    /// Aliyun only: VPC to place the instance in (`vpc-…`). Cannot change after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = patterns::VPC_ID))]
    pub vpc_id: Option<String>,
    /// Aliyun only: vSwitch in that VPC (`vsw-…`). Cannot change after creation.
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "vSwitchId")]
    #[schemars(length(max = 64), regex(pattern = patterns::VSWITCH_ID))]
    pub v_switch_id: Option<String>,
    /// Aliyun only: free-text description, 2-256 characters, not starting with `http://` or
    /// `https://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 2, max = 256), extend("not" = {"pattern": patterns::URL_START}))]
    pub description: Option<String>,
    /// Aliyun only: daily maintenance window (one hour, UTC).
    // Boxed to keep a cached DBInstance within a kilobyte (see the size test below).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<Box<MaintenanceWindow>>,
    /// Aliyun only: SSL for client connections (Atlas always uses TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl: Option<SslMode>,
    /// Aliyun only: transparent data encryption (ModifyDBInstanceTDE). It can be turned on in
    /// place but never off (the cloud refuses it); absent leaves it as the cloud has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tde: Option<super::dbinstance_changes::TdeMode>,
    /// Aliyun only: `Enabled` opens a public address for every replica-set node
    /// (AllocatePublicNetworkAddress), `Disabled` releases it; absent leaves it as the cloud has
    /// it. The connection Secret publishes it as `publicHost`, `publicPort`,
    /// `publicConnectionString`. Still reachable only from the instance's security IPs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_address: Option<super::dbinstance_changes::PublicAddress>,
    /// Aliyun only: `Enabled` allocates the private SRV address
    /// (AllocateDBInstanceSrvNetworkAddress), `Disabled` releases it; absent leaves it as the
    /// cloud has it. Cloud-disk instances only (not `storageType: local_ssd`). The connection
    /// Secret publishes it as `connectionStringSrv`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srv_address: Option<super::dbinstance_changes::SrvAddress>,
    /// Aliyun only: instance parameters by name (ModifyParameters), e.g.
    /// `operationProfiling.mode: slowOp`. Parameters not named are left as the cloud has them.
    /// A parameter the cloud applies only after a restart is listed in
    /// `status.atProvider.parametersPendingRestart` until `spec.operations.restart` runs: the
    /// operator never restarts on its own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 64, "additionalProperties" = {"type": "string", "maxLength": 256}))]
    pub parameters: BTreeMap<String, String>,
    /// Cloud-side deletion protection (Dds release protection, Atlas termination protection).
    /// While it is on the cloud refuses to delete the instance, whatever `deletionPolicy` says;
    /// an object deleted with `deletionPolicy: Delete` turns it off first only when this says
    /// `false`. Observed and put back like any field; absent leaves it as the cloud has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// Tags on the cloud instance (at most 20, values at most 128 characters). Keys starting
    /// `aliyun`, `acs:` or `mongocloud.dev/` are reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(extend("maxProperties" = 20, "additionalProperties" = {"type": "string", "maxLength": 128}))]
    pub tags: BTreeMap<String, String>,
    /// Aliyun only: resource group of the instance (`rg-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64), regex(pattern = patterns::RESOURCE_GROUP_ID))]
    pub resource_group_id: Option<String>,
    /// Aliyun only: the root account password, read from a Secret at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_password_secret_ref: Option<SecretKeySelector>,
    /// When backups are taken and how long they are kept; observed on the drift timer and put
    /// back when changed outside. Absent leaves the cloud's policy as it is.
    // Boxed, like the rarely set parts below: see the size test at the end of this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_policy: Option<Box<BackupPolicy>>,
    /// Create the instance from a backup or a point in time of another instance. Create-only:
    /// a change on an existing instance is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_from: Option<Box<RestoreFrom>>,
    /// A sharded cluster (mongos, shards, config server) instead of a replica set. Set at
    /// creation; shards and mongos are added in place.
    // Boxed like the other rarely set parts: see the size test at the end of this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<Box<super::dbinstance_sharding::ShardingParameters>>,
    /// Atlas only: what Atlas needs beyond the shared fields. Required with an Atlas
    /// ProviderConfig, refused with an Aliyun one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<AtlasClusterParameters>,
}

/// The cloud that hosts an Atlas cluster's nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum AtlasCloudProvider {
    #[default]
    Aws,
    Gcp,
    Azure,
}

impl AtlasCloudProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            AtlasCloudProvider::Aws => "AWS",
            AtlasCloudProvider::Gcp => "GCP",
            AtlasCloudProvider::Azure => "AZURE",
        }
    }
}

/// The Atlas-only part of a DBInstance: the cluster (a replica set) is named, placed on a cloud,
/// and its backups and termination protection set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasClusterParameters {
    /// The cluster's name in the project; defaults to the DBInstance's name. Cannot change
    /// after creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ATLAS_CLUSTER_NAME), length(min = 1, max = 64))]
    pub cluster_name: Option<String>,
    /// The cloud the nodes run on. Cannot change after creation.
    #[serde(default)]
    pub provider_name: AtlasCloudProvider,
    /// Cloud backups (needed for Backup resources).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_enabled: Option<bool>,
    /// Take over the existing cluster named `clusterName` (one this operator did not create,
    /// e.g. written by `mongocloud-operator import`) instead of creating one. Without it a
    /// cluster of that name that does not carry this resource's UID tag is refused, so a typo
    /// never binds a resource to someone else's cluster. An adopted cluster that disappears is
    /// reported, never recreated.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt_existing: bool,
    /// Compute and disk autoscaling of the cluster; changeable in place. Absent leaves it as
    /// Atlas has it.
    // Boxed: rarely set, and inline it would lift every cached DBInstance over a kilobyte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<Box<super::dbinstance_changes::AtlasAutoScaling>>,
}

/// One requested run of an operation; a new `requestedAt` value runs it again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OperationRequest {
    /// When the run was requested (RFC 3339). Change it to run the operation again.
    #[schemars(regex(pattern = patterns::RFC3339), extend("format" = "date-time"))]
    pub requested_at: String,
}

/// A requested restart, of the whole instance or of one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestartRequest {
    /// When the restart was requested (RFC 3339). Change it to restart again.
    #[schemars(regex(pattern = patterns::RFC3339), extend("format" = "date-time"))]
    pub requested_at: String,
    /// Restart only this node (e.g. `d-bp1234`); the whole instance when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64), regex(pattern = patterns::NODE_ID))]
    pub node_id: Option<String>,
}

/// Imperative operations kept declarative: each runs once per new `requestedAt`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DBInstanceOperations {
    /// RestartDBInstance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<RestartRequest>,
    /// UpgradeDBInstanceKernelVersion (minor version of the same major).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_kernel: Option<OperationRequest>,
    /// ModifyDBInstanceSSL with `Update`: a new SSL certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_ssl_certificate: Option<OperationRequest>,
}

/// The `requestedAt` values already run, so an operator restart never repeats one.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct HandledOperations {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade_kernel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate_ssl_certificate: Option<String>,
}

/// One network endpoint of the replica set, or one mongos of a sharded cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Endpoint {
    /// `Primary`, `Secondary`, `ReadOnly` or `Mongos`.
    pub role: String,
    pub host: String,
    pub port: i32,
}

/// What the cloud reports about the instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DBInstanceObservation {
    /// The cloud status, e.g. `Creating`, `Running`, `DBInstanceClassChanging`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "storageGB")]
    pub storage_gb: Option<i32>,
    /// The disk type, e.g. `cloud_essd1`, `cloud_auto` (Aliyun).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_type: Option<String>,
    /// Electable (voting) nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replication_factor: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_replicas: Option<i32>,
    /// Whether TDE is on; reported when the spec sets `tde`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tde_enabled: Option<bool>,
    /// Parameters whose new value waits for a restart (`spec.operations.restart`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameters_pending_restart: Vec<String>,
    /// Atlas: the autoscaling it runs and the size it chose.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scaling: Option<super::dbinstance_changes::AutoScalingObservation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_set_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
    /// The public (internet) addresses, when one is allocated.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub public_endpoints: Vec<Endpoint>,
    /// The `mongodb+srv://` address (no credentials), where the cloud offers one (Atlas; Aliyun
    /// when the spec sets `srvAddress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srv_connection_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<MaintenanceWindow>,
    /// `Open` or `Closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssl_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Whether the cloud refuses to delete the instance (release / termination protection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<bool>,
    /// A sharded cluster's mongos and shard counts and node ids.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<super::dbinstance_sharding::ShardingObservation>,
}

/// What the operator last saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DBInstanceStatus {
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    /// The generation of the spec last reconciled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The cloud calls the operator would make but did not, in order: shown while the
    /// `mongocloud.dev/plan-only` annotation is set, while paused, or when a management policy
    /// lacks the verb. Empty when the cloud matches the spec.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned_actions: Vec<PlannedAction>,
    /// The cloud instance id, recorded as soon as it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    /// When a create was sent whose instance id is not recorded yet: set before the create
    /// call, cleared with the id. While set, the instance is looked up by its UID tag, so a
    /// create whose answer was lost is found, not repeated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_pending: Option<Box<str>>,
    // Boxed: the operator caches every DBInstance and drops this from the cached copy (see
    // `controllers::cache`), where inline it would still take its full size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_provider: Option<Box<DBInstanceObservation>>,
    /// Operations already run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operations: Option<Box<HandledOperations>>,
    /// The newest successful backup and the restorable window, where the cloud reports them
    /// (instances with a `backupPolicy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backups: Option<Box<BackupsObservation>>,
    /// What the instance was created from (`restoreFrom`), recorded with the create.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<Box<RestoreRecord>>,
}

#[cfg(test)]
mod tests {
    /// The operator caches every DBInstance behind an `Arc` (two counters, then the object), and
    /// jemalloc rounds an allocation just over 1,024 bytes up to 1,280: at 10,000 objects that
    /// step is 2.5 MB. Rarely set parts are boxed to stay below it.
    #[test]
    fn a_cached_dbinstance_fits_in_one_kilobyte() {
        let arc = 2 * std::mem::size_of::<usize>() + std::mem::size_of::<super::DBInstance>();
        assert!(arc <= 1024, "Arc<DBInstance> takes {arc} bytes");
    }
}
