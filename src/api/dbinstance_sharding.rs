//! The sharded-cluster part of a DBInstance: mongos routers, shards and the config server.
//! Data only; which cloud takes which field, and how a change is made, is
//! `reconcile::dbinstance_sharding`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::patterns;

/// A sharded cluster instead of a replica set (Dds CreateShardingDBInstance; Atlas
/// `clusterType: SHARDED`). The replica-set fields (`instanceClass`, `storageGB`,
/// `replicationFactor`, `readonlyReplicas`, `publicAddress`) are refused beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardingParameters {
    /// Aliyun only (required there): the mongos routers clients connect to. Atlas runs a mongos
    /// on every shard node itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mongos: Option<MongosParameters>,
    /// The shards, each a three-node replica set.
    pub shards: ShardParameters,
    /// Aliyun only: the config server; the cloud's fixed size (`dds.cs.mid`, 20 GB) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_server: Option<ConfigServerParameters>,
}

/// The mongos routers of a Dds sharded cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MongosParameters {
    /// How many, 2 to 32. Changes in place, one node a call: CreateNode, or DeleteNode of the
    /// newest mongos.
    #[schemars(range(min = 2, max = 32))]
    pub count: i32,
    /// Node class, e.g. `dds.mongos.standard`. Set at creation.
    #[schemars(regex(pattern = patterns::INSTANCE_CLASS), length(max = 64))]
    pub class: String,
}

/// The shards of a sharded cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardParameters {
    /// How many: 2 to 32 on Aliyun, 1 to 50 on Atlas. Grows in place (Dds CreateNode; Atlas one
    /// more replication spec), one shard a call; a decrease is refused (it moves data).
    #[schemars(range(min = 1, max = 50))]
    pub count: i32,
    /// Node class of every shard: `dds.shard.standard` style on Aliyun, the instance size
    /// (`M30`) on Atlas. Set at creation.
    #[schemars(regex(pattern = patterns::INSTANCE_CLASS), length(max = 64))]
    pub class: String,
    /// Storage of each shard in GB (Atlas `diskSizeGB`), a multiple of 10 from 10 to 2000. Set
    /// at creation.
    #[serde(rename = "storageGB")]
    #[schemars(range(min = 10, max = 2000), extend("multipleOf" = 10))]
    pub storage_gb: i32,
}

/// The config server of a Dds sharded cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigServerParameters {
    /// Node class, e.g. `dds.cs.mid`. Set at creation.
    #[schemars(regex(pattern = patterns::INSTANCE_CLASS), length(max = 64))]
    pub class: String,
    /// Storage in GB, a multiple of 10 from 20 to 2000. Set at creation.
    #[serde(rename = "storageGB")]
    #[schemars(range(min = 20, max = 2000), extend("multipleOf" = 10))]
    pub storage_gb: i32,
}

/// What the cloud reports of a sharded cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ShardingObservation {
    /// Mongos routers (Atlas: none of their own).
    pub mongos_count: i32,
    pub shard_count: i32,
    /// The node ids, mongos first (`s-…`), then shards (`d-…`) and config servers (`cs-…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub node_ids: Vec<String>,
}
