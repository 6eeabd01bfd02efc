//! Reading the cloud's JSON answers the way the cloud writes them: lists wrapped twice
//! (`{"DBInstances":{"DBInstance":[...]}}`), numbers sometimes sent as strings and strings as
//! numbers, empty strings for absent values, and fields added later (ignored).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::cloud::{
    BackupInfo, BackupPolicySettings, ClusterNode, Instance, InstanceEndpoint, SecurityIpGroup,
    Tags, Topology,
};

/// A text field; numbers are rendered, empty strings and nulls are `None`.
pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer field, whether sent as a number or as a numeric string.
pub fn int(v: &Value, key: &str) -> Option<i64> {
    match v.get(key)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn int32(v: &Value, key: &str) -> Option<i32> {
    int(v, key).and_then(|n| i32::try_from(n).ok())
}

/// The items of a doubly wrapped list; a single object stands for a one-item list.
pub fn list<'a>(v: &'a Value, outer: &str, inner: &str) -> Vec<&'a Value> {
    match v.get(outer).and_then(|o| o.get(inner)) {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(item @ Value::Object(_)) => vec![item],
        _ => Vec::new(),
    }
}

/// An instance from DescribeDBInstances or DescribeDBInstanceAttribute.
pub fn instance(v: &Value) -> Instance {
    let tags: Tags = list(v, "Tags", "Tag")
        .into_iter()
        .filter_map(|t| Some((text(t, "Key")?, text(t, "Value").unwrap_or_default())))
        .collect();
    let (public, private): (Vec<&Value>, Vec<&Value>) = list(v, "ReplicaSets", "ReplicaSet")
        .into_iter()
        .partition(|r| text(r, "NetworkType").as_deref() == Some("Public"));
    let endpoint = |r: &Value| {
        Some(InstanceEndpoint {
            role: text(r, "ReplicaSetRole").unwrap_or_default(),
            host: text(r, "ConnectionDomain")?,
            port: int32(r, "ConnectionPort").unwrap_or(3717),
        })
    };
    let mut endpoints: Vec<InstanceEndpoint> = private.into_iter().filter_map(endpoint).collect();
    let public_endpoints = public.into_iter().filter_map(endpoint).collect();
    let sharded = text(v, "DBInstanceType").as_deref() == Some("sharding");
    let topology = sharded.then(|| topology(v)).flatten();
    if topology.is_some() {
        endpoints.extend(mongos_endpoints(v));
    }
    Instance {
        id: text(v, "DBInstanceId").unwrap_or_default(),
        status: text(v, "DBInstanceStatus").unwrap_or_default(),
        region: text(v, "RegionId").unwrap_or_default(),
        zone: text(v, "ZoneId"),
        description: text(v, "DBInstanceDescription"),
        instance_class: text(v, "DBInstanceClass"),
        storage_gb: int32(v, "DBInstanceStorage"),
        engine_version: text(v, "EngineVersion"),
        kernel_version: text(v, "CurrentKernelVersion"),
        storage_engine: text(v, "StorageEngine"),
        storage_type: text(v, "StorageType"),
        replication_factor: int32(v, "ReplicationFactor"),
        readonly_replicas: int32(v, "ReadonlyReplicas"),
        replica_set_name: text(v, "ReplicaSetName"),
        endpoints,
        public_endpoints,
        lock_mode: text(v, "LockMode"),
        maintain_start: text(v, "MaintainStartTime"),
        maintain_end: text(v, "MaintainEndTime"),
        charge_type: text(v, "ChargeType"),
        expire_time: text(v, "ExpireTime"),
        vpc_id: text(v, "VPCId").or_else(|| text(v, "VpcId")),
        vswitch_id: text(v, "VSwitchId"),
        resource_group_id: text(v, "ResourceGroupId"),
        deletion_protection: text(v, "DBInstanceReleaseProtection").map(|b| b == "true"),
        tags,
        sharded,
        topology,
        ..Instance::default()
    }
}

/// The nodes of a sharded instance; `None` on a listing, which carries no node lists.
fn topology(v: &Value) -> Option<Topology> {
    v.get("MongosList")?;
    let nodes = |outer: &str, inner: &str| -> Vec<ClusterNode> {
        list(v, outer, inner)
            .into_iter()
            .filter_map(|n| {
                Some(ClusterNode {
                    id: text(n, "NodeId")?,
                    class: text(n, "NodeClass"),
                    storage_gb: int32(n, "NodeStorage"),
                })
            })
            .collect()
    };
    Some(Topology {
        mongos: nodes("MongosList", "MongosAttribute"),
        shards: nodes("ShardList", "ShardAttribute"),
        config_servers: nodes("ConfigserverList", "ConfigserverAttribute"),
    })
}

/// Each mongos as an endpoint (role `Mongos`). The cloud spells the address `ConnectSting`.
fn mongos_endpoints(v: &Value) -> Vec<InstanceEndpoint> {
    list(v, "MongosList", "MongosAttribute")
        .into_iter()
        .filter_map(|m| {
            Some(InstanceEndpoint {
                role: "Mongos".to_owned(),
                host: text(m, "ConnectSting").or_else(|| text(m, "ConnectString"))?,
                port: int32(m, "Port").unwrap_or(3717),
            })
        })
        .collect()
}

pub fn security_ip_group(v: &Value) -> SecurityIpGroup {
    SecurityIpGroup {
        name: text(v, "SecurityIpGroupName").unwrap_or_default(),
        attribute: text(v, "SecurityIpGroupAttribute"),
        ips: text(v, "SecurityIpList")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        expires: BTreeMap::new(),
    }
}

pub fn backup(v: &Value) -> BackupInfo {
    BackupInfo {
        id: text(v, "BackupId").unwrap_or_default(),
        status: text(v, "BackupStatus").unwrap_or_default(),
        method: text(v, "BackupMethod"),
        start_time: text(v, "BackupStartTime"),
        end_time: text(v, "BackupEndTime"),
        size_bytes: int(v, "BackupSize"),
        // Dds backups carry no description or tag.
        owner: None,
    }
}

/// DescribeBackupPolicy's answer; numbers may come as strings, `EnableBackupLog` as 0/1.
pub fn backup_policy(v: &Value) -> BackupPolicySettings {
    let days = text(v, "PreferredBackupPeriod")
        .map(|d| {
            let mut days: Vec<String> = d
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned)
                .collect();
            days.sort_by_key(|d| crate::cloud::weekday_index(d));
            days
        })
        .unwrap_or_default();
    BackupPolicySettings {
        window: text(v, "PreferredBackupTime"),
        days,
        retention_days: int32(v, "BackupRetentionPeriod"),
        log_backup: int(v, "EnableBackupLog").map(|n| n == 1),
        log_retention_days: int32(v, "LogBackupRetentionPeriod"),
        interval_minutes: int32(v, "BackupInterval"),
        snapshot_type: text(v, "SnapshotBackupType"),
        retention_on_deletion: int32(v, "BackupRetentionPolicyOnClusterDeletion"),
        ..BackupPolicySettings::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The shape DescribeDBInstanceAttribute answers with, quirks included.
    #[test]
    fn attribute_answer_with_quirks() {
        let answer = json!({
            "RequestId": "r",
            "DBInstances": {"DBInstance": [{
                "DBInstanceId": "dds-bp1", "DBInstanceStatus": "Running", "RegionId": "cn-hangzhou",
                "DBInstanceStorage": "20", "ReplicationFactor": "3", "ReadonlyReplicas": 0,
                "DBInstanceDescription": "", "VPCId": "vpc-1", "FutureField": {"x": 1},
                "ReplicaSets": {"ReplicaSet": [{"ReplicaSetRole": "Primary", "ConnectionDomain": "dds-bp1.mongodb.rds.aliyuncs.com", "ConnectionPort": "3717"}]},
                "Tags": {"Tag": {"Key": "team", "Value": "orders"}}
            }]}
        });
        let items = list(&answer, "DBInstances", "DBInstance");
        assert_eq!(items.len(), 1);
        let i = instance(items[0]);
        assert_eq!(i.storage_gb, Some(20));
        assert_eq!(i.replication_factor, Some(3));
        assert_eq!(i.readonly_replicas, Some(0));
        assert_eq!(i.description, None, "empty string is absent");
        assert_eq!(i.vpc_id.as_deref(), Some("vpc-1"));
        assert_eq!(
            i.endpoints,
            vec![InstanceEndpoint {
                role: "Primary".into(),
                host: "dds-bp1.mongodb.rds.aliyuncs.com".into(),
                port: 3717
            }]
        );
        assert_eq!(i.tags.get("team").map(String::as_str), Some("orders"));
    }

    #[test]
    fn missing_and_odd_lists_are_empty() {
        assert!(list(&json!({}), "DBInstances", "DBInstance").is_empty());
        assert!(
            list(
                &json!({"DBInstances": {"DBInstance": "x"}}),
                "DBInstances",
                "DBInstance"
            )
            .is_empty()
        );
        assert_eq!(int(&json!({"n": 12.0}), "n"), Some(12));
        assert_eq!(int(&json!({"n": " 7 "}), "n"), Some(7));
        assert_eq!(text(&json!({"n": 7}), "n").as_deref(), Some("7"));
    }

    #[test]
    fn backup_policy_reads_numbers_as_strings_and_sorts_days() {
        let p = backup_policy(&json!({
            "PreferredBackupTime": "02:00Z-03:00Z", "PreferredBackupPeriod": "Friday,Monday",
            "BackupRetentionPeriod": "7", "EnableBackupLog": 1, "LogBackupRetentionPeriod": "7",
            "BackupInterval": "-1", "SnapshotBackupType": "Standard",
            "BackupRetentionPolicyOnClusterDeletion": 0
        }));
        assert_eq!(p.window.as_deref(), Some("02:00Z-03:00Z"));
        assert_eq!(p.days, vec!["Monday", "Friday"]);
        assert_eq!(p.retention_days, Some(7));
        assert_eq!(p.log_backup, Some(true));
        assert_eq!(p.interval_minutes, Some(-1));
        assert_eq!(p.retention_on_deletion, Some(0));
    }

    #[test]
    fn security_ip_groups_split_their_lists() {
        let g = security_ip_group(
            &json!({"SecurityIpGroupName": "app", "SecurityIpGroupAttribute": "", "SecurityIpList": "10.0.0.1, 10.0.1.0/24,"}),
        );
        assert_eq!(g.ips, vec!["10.0.0.1", "10.0.1.0/24"]);
        assert_eq!(g.attribute, None);
    }
}
