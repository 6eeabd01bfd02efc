//! Cloud-neutral shapes of a sharded cluster: what a create asks for, what a read reports, and
//! the node kinds that grow in place.

use serde::{Deserialize, Serialize};

/// The nodes a sharded cluster grows by (Dds CreateNode `NodeType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NodeKind {
    Mongos,
    Shard,
}

impl NodeKind {
    /// The Dds `NodeType` value.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Mongos => "mongos",
            NodeKind::Shard => "shard",
        }
    }
}

/// What CreateShardingDBInstance (Atlas: a SHARDED cluster) needs beyond the shared fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShardedCreate {
    /// Dds only: mongos count and class.
    pub mongos: Option<(i32, String)>,
    pub shard_count: i32,
    pub shard_class: String,
    pub shard_storage_gb: i32,
    /// Dds only: config server class and storage; the cloud's fixed size when `None`.
    pub config_server: Option<(String, i32)>,
}

/// One node of a sharded cluster as the cloud reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNode {
    /// `s-…` (mongos), `d-…` (shard), `cs-…` (config server); Atlas: the replication spec id.
    pub id: String,
    pub class: Option<String>,
    pub storage_gb: Option<i32>,
}

/// The nodes of a sharded cluster. A Dds listing does not carry them (only an attribute read
/// does), so the planner grows nothing on a listing alone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub mongos: Vec<ClusterNode>,
    pub shards: Vec<ClusterNode>,
    pub config_servers: Vec<ClusterNode>,
}
