//! Sharded clusters: which fields a sharded spec may carry (per cloud), what the cloud refuses
//! on an existing cluster, and the next node to add. How each field changes is a row of
//! [`super::dbinstance_inplace::FIELDS`]; this module follows those rows. Pure.

use super::Invalid;
use super::dbinstance_inplace as inplace;
use crate::api::dbinstance::DBInstanceParameters;
use crate::api::dbinstance_sharding::{ShardingObservation, ShardingParameters};
use crate::cloud::{Cloud, ClusterNode, Instance, InstanceChange, NodeKind, ShardedCreate};

const FP: &str = "spec.forProvider";

/// Replica-set fields a sharded spec must not carry, and what takes their place.
const REPLICA_SET_ONLY: [(&str, &str); 6] = [
    (
        "instanceClass",
        "sharding.shards.class sets the shards' class",
    ),
    (
        "storageGB",
        "sharding.shards.storageGB sets each shard's storage",
    ),
    (
        "replicationFactor",
        "each shard is a three-node replica set",
    ),
    (
        "readonlyReplicas",
        "read-only nodes of shards are not managed",
    ),
    (
        "publicAddress",
        "a public address belongs to replica-set nodes",
    ),
    (
        "restoreFrom",
        "restoring into a sharded cluster is not offered",
    ),
];

/// The cloud-neutral shape: a replica set names its size, a sharded spec carries none of the
/// replica-set fields. Checked before any cloud call.
pub fn check_shape(p: &DBInstanceParameters) -> Result<(), Invalid> {
    let Some(s) = p.sharding.as_deref() else {
        if p.instance_class.is_none() {
            return Err(required("instanceClass"));
        }
        if p.storage_gb.is_none() {
            return Err(required("storageGB"));
        }
        return Ok(());
    };
    let set = [
        p.instance_class.is_some(),
        p.storage_gb.is_some(),
        p.replication_factor.is_some(),
        p.readonly_replicas.is_some(),
        p.public_address.is_some(),
        p.restore_from.is_some(),
    ];
    if let Some((field, why)) = REPLICA_SET_ONLY
        .iter()
        .zip(set)
        .find_map(|(rule, set)| set.then_some(rule))
    {
        return Err(Invalid::new(
            format!("{FP}.{field}"),
            format!(
                "is a replica-set field and does not apply beside {FP}.sharding ({why}); remove it"
            ),
        ));
    }
    let gb = s.shards.storage_gb;
    if gb % 10 != 0 || !(10..=2000).contains(&gb) {
        return Err(Invalid::new(
            format!("{FP}.sharding.shards.storageGB"),
            format!("must be a multiple of 10 from 10 to 2000 (is {gb})"),
        ));
    }
    Ok(())
}

fn required(field: &str) -> Invalid {
    Invalid::new(
        format!("{FP}.{field}"),
        format!("is required for a replica set (or give {FP}.sharding for a sharded cluster)"),
    )
}

/// What one cloud takes of a sharded spec: Dds needs its mongos and counts 2-32 of each; Atlas
/// has no mongos or config server of its own.
pub fn check_cloud(p: &DBInstanceParameters, cloud: Cloud) -> Result<(), Invalid> {
    let Some(s) = p.sharding.as_deref() else {
        return Ok(());
    };
    let field = |name: &str| format!("{FP}.sharding.{name}");
    match cloud {
        Cloud::Aliyun => {
            let Some(mongos) = &s.mongos else {
                return Err(Invalid::new(
                    field("mongos"),
                    "is required on Aliyun: the count (2-32) and class of the mongos routers",
                ));
            };
            let classes = [
                ("mongos.class", mongos.class.as_str()),
                ("shards.class", s.shards.class.as_str()),
            ];
            if let Some((name, class)) = classes.iter().find(|(_, c)| !c.contains('.')) {
                return Err(Invalid::new(
                    field(name),
                    format!("must be an Aliyun node class such as dds.shard.mid (is {class:?})"),
                ));
            }
            if !(2..=32).contains(&s.shards.count) {
                return Err(Invalid::new(
                    field("shards.count"),
                    format!("must be 2 to 32 on Aliyun (is {})", s.shards.count),
                ));
            }
            Ok(())
        }
        Cloud::Atlas => {
            let atlas_refused = [
                (
                    "mongos",
                    s.mongos.is_some(),
                    "Atlas runs a mongos on every shard node itself",
                ),
                (
                    "configServer",
                    s.config_server.is_some(),
                    "Atlas runs the config servers itself",
                ),
            ];
            if let Some((name, _, why)) = atlas_refused.iter().find(|(_, set, _)| *set) {
                return Err(Invalid::new(
                    field(name),
                    format!("does not apply to Atlas ProviderConfigs ({why}); remove it"),
                ));
            }
            if p.atlas.as_ref().is_some_and(|a| a.auto_scaling.is_some()) {
                return Err(Invalid::new(
                    format!("{FP}.atlas.autoScaling"),
                    "is not offered for sharded clusters by this operator; remove it",
                ));
            }
            if s.shards.class.contains('.') {
                return Err(Invalid::new(
                    field("shards.class"),
                    format!(
                        "must be an Atlas instance size such as M30 (is {:?})",
                        s.shards.class
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// The create request's sharded part.
pub fn create(p: &DBInstanceParameters) -> Option<ShardedCreate> {
    let s = p.sharding.as_deref()?;
    Some(ShardedCreate {
        mongos: s.mongos.as_ref().map(|m| (m.count, m.class.clone())),
        shard_count: s.shards.count,
        shard_class: s.shards.class.clone(),
        shard_storage_gb: s.shards.storage_gb,
        config_server: s
            .config_server
            .as_ref()
            .map(|c| (c.class.clone(), c.storage_gb)),
    })
}

/// A change the cloud cannot make to this instance: a replica set made sharded or the other
/// way round, fewer shards, or a create-only node size changed.
pub fn refusal(p: &DBInstanceParameters, i: &Instance) -> Option<Invalid> {
    match (p.sharding.as_deref(), i.sharded) {
        (None, false) => None,
        (Some(_), false) => Some(Invalid::new(
            format!("{FP}.sharding"),
            format!(
                "cannot be added to instance {}, a replica set (the cloud does not convert one into a sharded cluster); remove it, or create a new DBInstance",
                i.id
            ),
        )),
        (None, true) => Some(Invalid::new(
            format!("{FP}.sharding"),
            format!(
                "is required: instance {} is a sharded cluster (its mongos and shards must be described)",
                i.id
            ),
        )),
        (Some(s), true) => i.topology.as_ref().and_then(|t| {
            let mongos = s.mongos.as_ref();
            decrease("mongos.count", mongos.map(|m| m.count), t.mongos.len())
                .or_else(|| decrease("shards.count", Some(s.shards.count), t.shards.len()))
                .or_else(|| {
                    create_only(
                        "mongos.class",
                        "mongos.class",
                        mongos.map(|m| m.class.as_str()),
                        first_class(&t.mongos),
                    )
                })
                .or_else(|| {
                    create_only(
                        "shards.class",
                        "shards.class",
                        Some(s.shards.class.as_str()),
                        first_class(&t.shards),
                    )
                })
                .or_else(|| {
                    create_only(
                        "shards.storageGB",
                        "shards.storageGB",
                        Some(s.shards.storage_gb.to_string()).as_deref(),
                        first_storage(&t.shards).as_deref(),
                    )
                })
                .or_else(|| config_server_change(s, &t.config_servers))
        }),
    }
}

fn first_class(nodes: &[ClusterNode]) -> Option<&str> {
    nodes.first().and_then(|n| n.class.as_deref())
}

fn first_storage(nodes: &[ClusterNode]) -> Option<String> {
    nodes
        .first()
        .and_then(|n| n.storage_gb)
        .map(|g| g.to_string())
}

fn config_server_change(s: &ShardingParameters, nodes: &[ClusterNode]) -> Option<Invalid> {
    let c = s.config_server.as_ref()?;
    create_only(
        "configServer",
        "configServer.class",
        Some(c.class.as_str()),
        first_class(nodes),
    )
    .or_else(|| {
        create_only(
            "configServer",
            "configServer.storageGB",
            Some(c.storage_gb.to_string()).as_deref(),
            first_storage(nodes).as_deref(),
        )
    })
}

/// Fewer nodes than the cloud runs where the table says the count only grows: removing a shard
/// migrates its data, so it is never done from a spec. (Mongos hold no data: DeleteNode.)
fn decrease(field: &str, want: Option<i32>, have: usize) -> Option<Invalid> {
    let want = want?;
    let have = i32::try_from(have).ok()?;
    (want < have && inplace::is_grow_only(&format!("sharding.{field}"))).then(|| {
            Invalid::new(
                format!("{FP}.sharding.{field}"),
                format!(
                    "cannot decrease from {have} to {want}: nodes are only added in place (set {have} or more)"
                ),
            )
        })
}

/// A changed `field` whose table row (`sharding.{row}`) says it is set at creation.
fn create_only(row: &str, field: &str, want: Option<&str>, have: Option<&str>) -> Option<Invalid> {
    let rule = format!("sharding.{row}");
    match (want, have) {
        (Some(w), Some(h)) if inplace::is_create_only(&rule) && !w.eq_ignore_ascii_case(h) => {
            Some(Invalid::new(
                format!("{FP}.sharding.{field}"),
                format!(
                    "cannot change on an existing cluster (is {h}); revert it, or create a new DBInstance"
                ),
            ))
        }
        _ => None,
    }
}

/// The next node to add or remove: mongos first, then shards, one a reconcile. A mongos too
/// many is removed newest first (the last one the cloud lists). Only on a read that carries
/// the nodes (a Dds listing does not).
pub fn change(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let s = p.sharding.as_deref()?;
    let t = i.topology.as_ref()?;
    let short = |want: i32, have: usize| usize::try_from(want).is_ok_and(|w| w > have);
    if let Some(m) = &s.mongos
        && short(m.count, t.mongos.len())
    {
        return Some(InstanceChange::AddNode {
            kind: NodeKind::Mongos,
            class: m.class.clone(),
            storage_gb: None,
        });
    }
    if let Some(m) = &s.mongos
        && usize::try_from(m.count).is_ok_and(|w| w < t.mongos.len())
        && let Some(newest) = t.mongos.last()
    {
        return Some(InstanceChange::RemoveNode {
            node_id: newest.id.clone(),
        });
    }
    short(s.shards.count, t.shards.len()).then(|| InstanceChange::AddNode {
        kind: NodeKind::Shard,
        class: s.shards.class.clone(),
        storage_gb: Some(s.shards.storage_gb),
    })
}

/// `status.atProvider.sharding`.
pub fn observation(i: &Instance) -> Option<ShardingObservation> {
    let t = i.topology.as_ref().filter(|_| i.sharded)?;
    let count = |nodes: &[ClusterNode]| i32::try_from(nodes.len()).unwrap_or(i32::MAX);
    Some(ShardingObservation {
        mongos_count: count(&t.mongos),
        shard_count: count(&t.shards),
        node_ids: t
            .mongos
            .iter()
            .chain(&t.shards)
            .chain(&t.config_servers)
            .map(|n| n.id.clone())
            .collect(),
    })
}

/// The connection Secret's `mongosHosts`: every mongos as `host:port`, comma-separated.
pub fn connection(i: &Instance) -> Vec<(String, String)> {
    if !i.sharded {
        return Vec::new();
    }
    let hosts: Vec<String> = i
        .endpoints
        .iter()
        .filter(|e| e.role.eq_ignore_ascii_case("Mongos"))
        .map(|e| format!("{}:{}", e.host, e.port))
        .collect();
    if hosts.is_empty() {
        return Vec::new();
    }
    vec![("mongosHosts".to_owned(), hosts.join(","))]
}

#[cfg(test)]
#[path = "dbinstance_sharding_tests.rs"]
mod tests;
