//! The emulated account: instances with their lazily advanced state machine, client tokens,
//! nonces and call counts; saved atomically to a file when asked to persist.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Milliseconds since the epoch; wall clock so that persisted transitions survive restarts.
pub fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0)
}

/// A transitional state and when it ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The status once the transition is over; `None` means the instance is released.
    pub then: Option<String>,
    pub at_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub attribute: String,
    pub ips: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BackupRecord {
    pub id: String,
    pub method: String,
    pub status: String,
    pub start_ms: u64,
    pub done_ms: u64,
    pub size: i64,
}

/// The instance's backup policy, with the Dds parameter values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BackupPolicyRecord {
    pub preferred_backup_time: String,
    pub preferred_backup_period: String,
    pub backup_retention_period: i64,
    pub enable_backup_log: i64,
    pub log_backup_retention_period: i64,
    pub backup_interval: i64,
    pub snapshot_backup_type: String,
    pub retention_on_deletion: i64,
    /// When log backup was last turned on: point-in-time restore reaches no further back.
    pub log_since_ms: u64,
}

/// The cloud's defaults for a new instance: log backup off, so there is no point-in-time
/// window until it is turned on.
impl Default for BackupPolicyRecord {
    fn default() -> Self {
        BackupPolicyRecord {
            preferred_backup_time: "18:00Z-19:00Z".to_owned(),
            preferred_backup_period: "Tuesday,Thursday,Saturday".to_owned(),
            backup_retention_period: 7,
            enable_backup_log: 0,
            log_backup_retention_period: 7,
            backup_interval: -1,
            snapshot_backup_type: "Standard".to_owned(),
            retention_on_deletion: 0,
            log_since_ms: 0,
        }
    }
}

/// What a clone was made from (shown by the admin state dump as `restoredFrom`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoredFrom {
    pub source_instance_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_time: Option<String>,
}

/// One database account. The password is kept as its SHA-256 (hex), so the state dump can prove
/// which password the cloud holds without showing it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    pub description: String,
    pub password_sha256: String,
    /// How often the password was set (ResetAccountPassword), same value or not.
    pub password_sets: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceRecord {
    pub id: String,
    pub owner: String,
    pub region: String,
    pub zone: String,
    pub description: String,
    pub class: String,
    pub storage_gb: i64,
    pub engine_version: String,
    pub kernel_version: String,
    pub storage_engine: String,
    pub storage_type: String,
    pub replication_factor: i64,
    pub readonly_replicas: i64,
    pub charge_type: String,
    pub vpc_id: String,
    pub vswitch_id: String,
    pub resource_group_id: String,
    pub maintain_start: String,
    pub maintain_end: String,
    pub replica_set_name: String,
    pub ssl_open: bool,
    pub ssl_expire_ms: u64,
    pub status: String,
    pub pending: Option<Pending>,
    pub created_ms: u64,
    pub tags: BTreeMap<String, String>,
    pub security_groups: BTreeMap<String, SecurityGroup>,
    pub audit_enabled: bool,
    pub audit_filter: String,
    pub audit_ttl_days: i64,
    pub backups: Vec<BackupRecord>,
    /// DBInstanceReleaseProtection: DeleteDBInstance is refused while it is on.
    #[serde(default)]
    pub release_protection: bool,
    /// Database accounts by name; a replica set has `root` only.
    #[serde(default)]
    pub accounts: BTreeMap<String, AccountRecord>,
    /// TDE (ModifyDBInstanceTDE); once on, it stays on.
    #[serde(default)]
    pub tde_enabled: bool,
    /// Parameters set by ModifyParameters (others have their defaults): configured values, and
    /// the values running until the next restart.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    #[serde(default)]
    pub running_parameters: BTreeMap<String, String>,
    /// AllocatePublicNetworkAddress: every node also has a public address.
    #[serde(default)]
    pub public_address: bool,
    /// AllocateDBInstanceSrvNetworkAddress: the instance has a private (VPC) SRV address.
    #[serde(default)]
    pub srv_address: bool,
    #[serde(default)]
    pub backup_policy: BackupPolicyRecord,
    /// Set on a clone: the instance and backup (or time) its data came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<RestoredFrom>,
    /// A sharded cluster (CreateShardingDBInstance): its nodes. A replica set has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sharding: Option<ShardingRecord>,
}

/// The nodes of a sharded cluster, in the order they were created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardingRecord {
    pub mongos: Vec<NodeRecord>,
    pub shards: Vec<NodeRecord>,
    pub config_servers: Vec<NodeRecord>,
}

/// One mongos (`s-…`), shard (`d-…`) or config server (`cs-…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeRecord {
    pub id: String,
    pub class: String,
    pub storage_gb: i64,
}

impl InstanceRecord {
    /// Moves into `status` for `transition_ms`, then into `then`.
    pub fn begin(&mut self, status: &str, then: Option<&str>, transition_ms: u64) {
        self.status = status.to_owned();
        self.pending = Some(Pending {
            then: then.map(str::to_owned),
            at_ms: now_ms() + transition_ms,
        });
    }

    pub fn ip_count(&self) -> usize {
        self.security_groups.values().map(|g| g.ips.len()).sum()
    }
}

/// Everything the emulator remembers.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct State {
    pub instances: BTreeMap<String, InstanceRecord>,
    /// (access key, ClientToken) → instance id.
    pub client_tokens: BTreeMap<String, String>,
    pub next_backup: u64,
    #[serde(skip)]
    pub nonces: HashMap<String, u64>,
    #[serde(skip)]
    pub calls: BTreeMap<String, u64>,
}

impl State {
    /// Applies every transition that is due. Called before each read or write, so thousands of
    /// instances cost no timers.
    pub fn settle(&mut self, now: u64) {
        let mut released = Vec::new();
        for (id, instance) in &mut self.instances {
            if let Some(p) = instance.pending.clone().filter(|p| p.at_ms <= now) {
                instance.pending = None;
                match p.then {
                    Some(status) => instance.status = status,
                    None => released.push(id.clone()),
                }
            }
            for backup in instance
                .backups
                .iter_mut()
                .filter(|b| b.status == "Running" && b.done_ms <= now)
            {
                backup.status = "Success".to_owned();
            }
        }
        for id in released {
            self.instances.remove(&id);
        }
    }

    /// Remembers a nonce; `false` when it was seen in the last 15 minutes.
    pub fn fresh_nonce(&mut self, nonce: &str, now: u64) -> bool {
        const WINDOW_MS: u64 = 15 * 60 * 1000;
        if self.nonces.len() > 10_000 {
            self.nonces
                .retain(|_, at| now.saturating_sub(*at) < WINDOW_MS);
        }
        match self.nonces.get(nonce) {
            Some(at) if now.saturating_sub(*at) < WINDOW_MS => false,
            _ => {
                self.nonces.insert(nonce.to_owned(), now);
                true
            }
        }
    }

    pub fn load(path: &Path) -> Result<State, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| format!("state file {} is not valid: {e}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(format!("cannot read state file {}: {e}", path.display())),
        }
    }

    /// Writes to a temporary file and renames it over the target: a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> Result<(), String> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| format!("cannot serialise state: {e}"))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, path)
            .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), path.display()))
    }
}
