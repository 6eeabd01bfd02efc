//! Cloud-neutral shapes of what a [`super::Provider`] reads and writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The cloud tag that ties an instance to the resource that created it (its UID), so a create
/// whose answer was lost is found again instead of repeated.
pub const UID_TAG: &str = "mongocloud-uid";

/// Filters for listing instances.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListInstances {
    pub region: String,
    pub page_number: u32,
    pub page_size: u32,
    /// Only instances carrying this tag.
    pub tag: Option<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstancePage {
    pub instances: Vec<Instance>,
    pub total_count: u32,
    pub page_number: u32,
    pub page_size: u32,
}

/// An instance's tags, sorted by key. A sorted list rather than a map: an instance carries one
/// or two tags, and the observer holds thousands of instances, where a map's node of over 500
/// bytes each would be a quarter of their size.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "Vec<(String, String)>")]
pub struct Tags(Vec<(String, String)>);

impl Tags {
    pub fn get(&self, key: &str) -> Option<&String> {
        let at = self.0.binary_search_by(|(k, _)| k.as_str().cmp(key)).ok()?;
        Some(&self.0[at].1)
    }

    /// Sets `key`; an existing value is replaced.
    pub fn insert(&mut self, key: String, value: String) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Extend<(String, String)> for Tags {
    fn extend<I: IntoIterator<Item = (String, String)>>(&mut self, pairs: I) {
        for (key, value) in pairs {
            self.insert(key, value);
        }
    }
}

impl FromIterator<(String, String)> for Tags {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> Self {
        let mut tags = Tags::default();
        tags.extend(pairs);
        tags.0.shrink_to_fit();
        tags
    }
}

/// Sorts what it is given, so a deserialised `Tags` keeps the order lookups rely on.
impl From<Vec<(String, String)>> for Tags {
    fn from(pairs: Vec<(String, String)>) -> Self {
        Tags::from_iter(pairs)
    }
}

impl IntoIterator for Tags {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// One network endpoint of an instance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceEndpoint {
    /// `Primary`, `Secondary`, `ReadOnly`...
    pub role: String,
    pub host: String,
    pub port: i32,
}

/// An instance as the cloud reports it. Fields a list call does not return are `None`/empty.
/// Serialisable so the observer can hold thousands of them packed (see `observer::packed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    /// The cloud's status word, e.g. `Creating`, `Running`, `DBInstanceClassChanging`.
    pub status: String,
    pub region: String,
    pub zone: Option<String>,
    pub description: Option<String>,
    pub instance_class: Option<String>,
    pub storage_gb: Option<i32>,
    pub engine_version: Option<String>,
    pub kernel_version: Option<String>,
    pub storage_engine: Option<String>,
    pub storage_type: Option<String>,
    pub replication_factor: Option<i32>,
    pub readonly_replicas: Option<i32>,
    pub replica_set_name: Option<String>,
    pub endpoints: Vec<InstanceEndpoint>,
    pub lock_mode: Option<String>,
    /// `HH:mmZ`.
    pub maintain_start: Option<String>,
    pub maintain_end: Option<String>,
    pub charge_type: Option<String>,
    pub expire_time: Option<String>,
    pub vpc_id: Option<String>,
    pub vswitch_id: Option<String>,
    pub resource_group_id: Option<String>,
    /// Release protection (Dds) or termination protection (Atlas); `None` when not reported.
    pub deletion_protection: Option<bool>,
    pub tags: Tags,
    /// The connection string the cloud publishes (Atlas), when it publishes one.
    pub connection_string: Option<String>,
    /// Its `mongodb+srv://` form.
    pub connection_string_srv: Option<String>,
    /// Atlas: the cloud hosting the nodes (`AWS`, `GCP`, `AZURE`).
    pub cloud_provider: Option<String>,
    /// Atlas: cloud backups on.
    pub backup_enabled: Option<bool>,
    /// Dds TDE (DescribeDBInstanceTDEInfo); read only when a spec asks for it.
    pub tde_enabled: Option<bool>,
    /// Atlas: the autoscaling of the preferred region.
    pub auto_scaling: Option<AutoScaling>,
    /// Dds: whether the private SRV address is allocated (DescribeAllNetworkAddress, which
    /// also fills `connection_string_srv`); read only when a spec asks for it.
    pub srv_allocated: Option<bool>,
    /// Dds: the public addresses (`NetworkType` `Public`), apart from the private ones.
    pub public_endpoints: Vec<InstanceEndpoint>,
    /// Dds instance parameters (DescribeParameters); read only when a spec sets some.
    pub parameters: Option<InstanceParameters>,
    /// A sharded cluster (Dds `DBInstanceType` `sharding`, Atlas `clusterType` `SHARDED`); its
    /// mongos are the `endpoints` (role `Mongos`).
    pub sharded: bool,
    /// Its nodes, where the read carries them (see [`super::Topology`]).
    pub topology: Option<super::Topology>,
}

/// Instance parameters as the cloud holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceParameters {
    /// The configured value of each parameter (what the next start uses).
    pub config: BTreeMap<String, String>,
    /// Parameters whose configured value waits for a restart to take effect.
    pub pending_restart: Vec<String>,
}

/// Compute and disk autoscaling settings, as Atlas holds them per region.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoScaling {
    pub compute_enabled: bool,
    pub scale_down_enabled: bool,
    pub min_instance_size: Option<String>,
    pub max_instance_size: Option<String>,
    pub disk_enabled: bool,
}

/// Everything CreateDBInstance needs. `password` is a secret: never log this struct's Debug.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CreateInstance {
    pub region: String,
    pub zone: Option<String>,
    pub engine_version: String,
    pub instance_class: String,
    pub storage_gb: i32,
    pub storage_engine: Option<String>,
    pub storage_type: Option<String>,
    pub replication_factor: i32,
    pub readonly_replicas: Option<i32>,
    pub charge_type: String,
    pub period: Option<i32>,
    pub vpc_id: Option<String>,
    pub vswitch_id: Option<String>,
    pub description: Option<String>,
    pub resource_group_id: Option<String>,
    pub password: Option<crate::cloud::error::Redacted<String>>,
    pub tags: BTreeMap<String, String>,
    /// Makes the create idempotent: the cloud answers a repeat with the first instance.
    pub client_token: String,
    /// Atlas: the cluster's name (its id in the API).
    pub name: Option<String>,
    /// Atlas: the cloud hosting the nodes (`AWS`, `GCP`, `AZURE`).
    pub cloud_provider: Option<String>,
    /// Atlas: cloud backups on.
    pub backup_enabled: Option<bool>,
    /// Atlas: autoscaling from the start.
    pub auto_scaling: Option<AutoScaling>,
    /// Dds: clone from a backup or a point in time (SrcDBInstanceId + BackupId | RestoreTime).
    /// Atlas restores into the created cluster with a restore job afterwards.
    pub restore: Option<super::RestoreSource>,
    /// A sharded cluster instead of a replica set (then `instance_class`, `storage_gb` and
    /// `replication_factor` are unused).
    pub sharding: Option<super::ShardedCreate>,
}

impl std::fmt::Debug for CreateInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateInstance")
            .field("region", &self.region)
            .field("instance_class", &self.instance_class)
            .field("client_token", &self.client_token)
            .finish_non_exhaustive()
    }
}

/// One in-place change; a controller sends at most one per reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InstanceChange {
    /// ModifyDBInstanceSpec.
    Spec {
        instance_class: Option<String>,
        storage_gb: Option<i32>,
    },
    Description(String),
    /// ModifyDBInstanceMaintainTime, `HH:mmZ` each.
    MaintainTime {
        start: String,
        end: String,
    },
    /// ModifyDBInstanceSSL `Open`/`Close`/`Update`.
    Ssl(SslAction),
    Restart {
        node_id: Option<String>,
    },
    UpgradeKernel,
    /// ModifyDBInstanceAttribute `DBInstanceReleaseProtection` (Atlas: `terminationProtectionEnabled`).
    DeletionProtection(bool),
    /// ModifyDBInstanceSpec `ReplicationFactor`/`ReadonlyReplicas` (Atlas: the preferred
    /// region's electable and read-only `nodeCount`).
    Nodes {
        replication_factor: Option<i32>,
        readonly_replicas: Option<i32>,
    },
    /// UpgradeDBInstanceEngineVersion to this major version (Atlas: `mongoDBMajorVersion`).
    EngineVersion(String),
    /// ModifyDBInstanceTDE `TDEStatus=enabled`; the cloud cannot turn it off again.
    EnableTde,
    /// ModifyDBInstanceDiskType to this disk type (`cloud_auto`, the only one it takes).
    StorageType(String),
    /// Atlas: the `autoScaling` of every region (Atlas wants them all alike).
    AutoScaling(AutoScaling),
    /// AllocatePublicNetworkAddress (`true`) or ReleasePublicNetworkAddress (`false`).
    PublicAddress(bool),
    /// AllocateDBInstanceSrvNetworkAddress (`true`) or ReleaseNodePrivateNetworkAddress of the
    /// SRV address (`false`).
    SrvAddress(bool),
    /// ModifyParameters with these names and values; never restarts the instance.
    Parameters(BTreeMap<String, String>),
    /// Dds CreateNode (`NodeType`, `NodeClass`, `NodeStorage` for a shard); Atlas: one more
    /// replication spec like the others (shards only).
    AddNode {
        kind: super::NodeKind,
        class: String,
        storage_gb: Option<i32>,
    },
    /// Dds DeleteNode of this mongos (shards are never removed: that migrates their data).
    RemoveNode {
        node_id: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslAction {
    Open,
    Close,
    Update,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SslState {
    /// `Open` or `Closed`.
    pub status: String,
    pub expire_time: Option<String>,
}

/// A named allow list of an instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityIpGroup {
    pub name: String,
    /// `hidden` for system groups; free text otherwise.
    pub attribute: Option<String>,
    pub ips: Vec<String>,
    /// When entries expire (RFC 3339, by entry as in `ips`), for clouds that remove entries
    /// themselves (Atlas `deleteAfterDate`); the operator removes expired entries either way.
    pub expires: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditSettings {
    pub enabled: bool,
    /// Categories, as the cloud lists them (Atlas: decoded from a filter the operator wrote).
    pub filter: Vec<String>,
    pub storage_period_days: Option<i32>,
    /// Atlas: the filter document as stored, and `auditAuthorizationSuccess`.
    pub raw_filter: Option<String>,
    pub authorization_success: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditChange {
    /// ModifyAuditPolicy.
    Policy {
        enabled: bool,
        storage_period_days: Option<i32>,
    },
    /// ModifyAuditLogFilter with a comma-joined set (Atlas: the filter those categories map to).
    Filter(Vec<String>),
    /// Atlas: a filter document given verbatim.
    Raw {
        filter: String,
        authorization_success: bool,
    },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupInfo {
    pub id: String,
    /// `Running`, `Success` or `Failed`.
    pub status: String,
    pub method: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub size_bytes: Option<i64>,
    /// The UID of the Backup object that started it, where the cloud carries one (Atlas: in
    /// the snapshot's description); `None` when the cloud cannot say.
    pub owner: Option<String>,
}

/// Which cloud an account is in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Cloud {
    #[default]
    Aliyun,
    Atlas,
}

/// How to reach one cloud account; built from a ProviderConfig and its Secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountSettings {
    pub cloud: Cloud,
    /// Atlas: the project (group) id.
    pub project_id: Option<String>,
    /// Atlas: the key is a service account's client id and secret (OAuth client credentials),
    /// not an API key.
    pub service_account: bool,
    /// Overrides the cloud's regional endpoint (private endpoints, the local emulator).
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Aliyun: the AccessKey id; Atlas: the API key's public key, or the service account's
    /// client id.
    pub access_key_id: String,
    pub access_key_secret: crate::cloud::error::Redacted<String>,
    /// Client-side rate limit for the account; 0 until the operator's default is applied.
    pub requests_per_second: u32,
    /// How long one request may take before it counts as a timeout; `None`: 30 s.
    pub request_timeout: Option<std::time::Duration>,
}

#[cfg(test)]
mod tests {
    use super::Tags;

    fn pair(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn tags_stay_sorted_and_a_key_holds_one_value() {
        let mut tags = Tags::from_iter([pair("team", "orders"), pair("env", "prod")]);
        tags.extend([pair("team", "billing"), pair("app", "shop")]);
        let listed: Vec<(&String, &String)> = tags.iter().collect();
        assert_eq!(
            listed,
            vec![
                (&"app".to_owned(), &"shop".to_owned()),
                (&"env".to_owned(), &"prod".to_owned()),
                (&"team".to_owned(), &"billing".to_owned()),
            ]
        );
        assert_eq!(tags.get("env").map(String::as_str), Some("prod"));
        assert_eq!(tags.get("missing"), None);
    }

    #[test]
    fn tags_read_from_an_unsorted_list_are_sorted() {
        let tags = Tags::from(vec![pair("team", "orders"), pair("app", "shop")]);
        assert_eq!(tags.get("app").map(String::as_str), Some("shop"));
        assert_eq!(tags.get("team").map(String::as_str), Some("orders"));
    }

    #[test]
    fn equal_tags_compare_equal_whatever_order_they_came_in() {
        let a = Tags::from_iter([pair("a", "1"), pair("b", "2")]);
        let b = Tags::from_iter([pair("b", "2"), pair("a", "1")]);
        assert_eq!(a, b);
    }
}
