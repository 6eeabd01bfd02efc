//! Atlas clusters and snapshots in the operator's cloud-neutral shapes, and the request bodies
//! that create and change them. Pure: no I/O, every rule a unit test.
//!
//! States are mapped onto the operator's vocabulary so the planners stay cloud-neutral: IDLE is
//! `Running`; CREATING, UPDATING, REPAIRING and DELETING become `Creating`, `Updating`,
//! `Repairing` and `Deleting`. Snapshot `queued`/`inProgress` is `Running`, `completed` is
//! `Success`, `failed` is `Failed`.

use serde_json::{Value, json};

use crate::cloud::{
    AutoScaling, BackupInfo, ClusterNode, CreateInstance, Instance, InstanceEndpoint, Tags,
    Topology,
};

/// The operator's word for an Atlas `stateName`.
pub fn state_word(state: &str) -> String {
    match state {
        "IDLE" => "Running".to_owned(),
        "" => "Unknown".to_owned(),
        other => {
            let lower = other.to_ascii_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        }
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)?.as_str().map(str::to_owned)
}

fn int(v: &Value, key: &str) -> Option<i32> {
    v.get(key)?
        .as_f64()
        .and_then(|n| i32::try_from(n.round() as i64).ok())
}

/// The region config Atlas prefers (highest priority) of the first replication spec.
fn preferred_region(cluster: &Value) -> Option<&Value> {
    cluster
        .get("replicationSpecs")?
        .as_array()?
        .first()?
        .get("regionConfigs")?
        .as_array()?
        .iter()
        .max_by_key(|r| r.get("priority").and_then(Value::as_i64).unwrap_or(0))
}

/// A cluster as an [`Instance`]: its name is its id, since the API addresses clusters by name.
pub fn instance(cluster: &Value) -> Instance {
    let region = preferred_region(cluster);
    let electable = region.and_then(|r| r.get("electableSpecs"));
    let read_only = region.and_then(|r| r.get("readOnlySpecs"));
    let standard = cluster
        .pointer("/connectionStrings/standard")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let srv = cluster
        .pointer("/connectionStrings/standardSrv")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let sharded = text(cluster, "clusterType").as_deref() == Some("SHARDED");
    let (mut endpoints, replica_set_name) =
        standard.as_deref().map(parse_standard).unwrap_or_default();
    // A sharded cluster's standard string lists its mongos, one on each shard node.
    if sharded {
        for e in &mut endpoints {
            e.role = "Mongos".to_owned();
        }
    }
    let tags: Tags = cluster
        .get("tags")
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| Some((text(t, "key")?, text(t, "value")?)))
                .collect()
        })
        .unwrap_or_default();
    Instance {
        id: text(cluster, "name").unwrap_or_default(),
        status: state_word(&text(cluster, "stateName").unwrap_or_default()),
        region: region
            .and_then(|r| text(r, "regionName"))
            .unwrap_or_default(),
        instance_class: electable.and_then(|e| text(e, "instanceSize")),
        storage_gb: electable
            .and_then(|e| int(e, "diskSizeGB"))
            .or_else(|| int(cluster, "diskSizeGB")),
        engine_version: text(cluster, "mongoDBMajorVersion"),
        kernel_version: text(cluster, "mongoDBVersion"),
        storage_engine: Some("WiredTiger".to_owned()),
        replication_factor: electable.and_then(|e| int(e, "nodeCount")),
        readonly_replicas: Some(read_only.and_then(|e| int(e, "nodeCount")).unwrap_or(0)),
        replica_set_name,
        endpoints,
        charge_type: Some("PostPaid".to_owned()),
        deletion_protection: cluster
            .get("terminationProtectionEnabled")
            .and_then(Value::as_bool),
        tags,
        connection_string: standard,
        connection_string_srv: srv,
        cloud_provider: region.and_then(|r| text(r, "providerName")),
        backup_enabled: cluster.get("backupEnabled").and_then(Value::as_bool),
        auto_scaling: region.map(auto_scaling),
        sharded,
        topology: sharded.then(|| shards(cluster)),
        ..Instance::default()
    }
}

/// A sharded cluster's shards: one replication spec each, sized by its preferred region.
fn shards(cluster: &Value) -> Topology {
    let specs = cluster.get("replicationSpecs").and_then(Value::as_array);
    let shards = specs
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(n, spec)| {
            let electable = spec
                .get("regionConfigs")
                .and_then(Value::as_array)
                .and_then(|r| {
                    r.iter()
                        .max_by_key(|r| r.get("priority").and_then(Value::as_i64).unwrap_or(0))
                })
                .and_then(|r| r.get("electableSpecs"));
            ClusterNode {
                id: text(spec, "id").unwrap_or_else(|| format!("shard-{n}")),
                class: electable.and_then(|e| text(e, "instanceSize")),
                storage_gb: electable.and_then(|e| int(e, "diskSizeGB")),
            }
        })
        .collect();
    Topology {
        shards,
        ..Topology::default()
    }
}

/// The PATCH body that adds one shard: the current replication specs and a copy of the last
/// one without its ids (Atlas gives the new shard its own).
pub fn add_shard_body(cluster: &Value) -> Value {
    let mut body = resize_body(cluster, None, None);
    if let Some(specs) = body
        .get_mut("replicationSpecs")
        .and_then(Value::as_array_mut)
        && let Some(last) = specs.last().cloned()
    {
        specs.push(last);
    }
    body
}

/// A region's `autoScaling`; absent settings are off.
fn auto_scaling(region: &Value) -> AutoScaling {
    let on = |pointer: &str| {
        region
            .pointer(pointer)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    };
    let size = |pointer: &str| {
        region
            .pointer(pointer)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    AutoScaling {
        compute_enabled: on("/autoScaling/compute/enabled"),
        scale_down_enabled: on("/autoScaling/compute/scaleDownEnabled"),
        min_instance_size: size("/autoScaling/compute/minInstanceSize"),
        max_instance_size: size("/autoScaling/compute/maxInstanceSize"),
        disk_enabled: on("/autoScaling/diskGB/enabled"),
    }
}

fn auto_scaling_json(a: &AutoScaling) -> Value {
    let mut compute =
        json!({"enabled": a.compute_enabled, "scaleDownEnabled": a.scale_down_enabled});
    if let Some(min) = &a.min_instance_size {
        compute["minInstanceSize"] = json!(min);
    }
    if let Some(max) = &a.max_instance_size {
        compute["maxInstanceSize"] = json!(max);
    }
    json!({"compute": compute, "diskGB": {"enabled": a.disk_enabled}})
}

/// The PATCH body that sets the autoscaling of every region (Atlas refuses regions that
/// differ: `AUTO_SCALINGS_MUST_MATCH`).
pub fn auto_scaling_body(cluster: &Value, a: &AutoScaling) -> Value {
    let mut body = resize_body(cluster, None, None);
    let specs = body
        .get_mut("replicationSpecs")
        .and_then(Value::as_array_mut);
    for spec in specs.into_iter().flatten() {
        let regions = spec.get_mut("regionConfigs").and_then(Value::as_array_mut);
        for region in regions.into_iter().flatten() {
            region["autoScaling"] = auto_scaling_json(a);
        }
    }
    body
}

/// Hosts and replica set of a `mongodb://h1:p,h2:p/?...&replicaSet=rs` string. Atlas does not
/// say which host is primary, so every host is a `Member`.
fn parse_standard(uri: &str) -> (Vec<InstanceEndpoint>, Option<String>) {
    let rest = uri.strip_prefix("mongodb://").unwrap_or(uri);
    let (hosts, query) = rest.split_once('/').unwrap_or((rest, ""));
    let endpoints = hosts
        .split(',')
        .filter(|h| !h.is_empty())
        .map(|h| {
            let (host, port) = h.rsplit_once(':').unwrap_or((h, "27017"));
            InstanceEndpoint {
                role: "Member".to_owned(),
                host: host.to_owned(),
                port: port.parse().unwrap_or(27017),
            }
        })
        .collect();
    let replica_set = query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("replicaSet="))
        .map(str::to_owned);
    (endpoints, replica_set)
}

fn tags_body<'a>(tags: impl Iterator<Item = (&'a String, &'a String)>) -> Value {
    Value::Array(
        tags.map(|(key, value)| json!({"key": key, "value": value}))
            .collect(),
    )
}

fn hardware(size: &str, nodes: i32, disk_gb: i32) -> Value {
    json!({"instanceSize": size, "nodeCount": nodes, "diskSizeGB": disk_gb})
}

/// The POST /clusters body (version 2024-10-23) for a replica set in one region.
pub fn create_body(request: &CreateInstance) -> Value {
    let size = request.instance_class.as_str();
    let mut region = json!({
        "providerName": request.cloud_provider.as_deref().unwrap_or("AWS"),
        "regionName": request.region,
        "priority": 7,
        "electableSpecs": hardware(size, request.replication_factor, request.storage_gb),
    });
    if let Some(read_only) = request.readonly_replicas.filter(|n| *n > 0) {
        region["readOnlySpecs"] = hardware(size, read_only, request.storage_gb);
    }
    if let Some(scaling) = &request.auto_scaling {
        region["autoScaling"] = auto_scaling_json(scaling);
    }
    let (cluster_type, specs) = match &request.sharding {
        // One replication spec per shard, each a three-node replica set of the shards' size.
        Some(s) => {
            region["electableSpecs"] = hardware(&s.shard_class, 3, s.shard_storage_gb);
            let spec = json!({"regionConfigs": [region]});
            let count = usize::try_from(s.shard_count).unwrap_or(1);
            ("SHARDED", vec![spec; count])
        }
        None => ("REPLICASET", vec![json!({"regionConfigs": [region]})]),
    };
    let mut body = json!({
        "name": request.name.as_deref().unwrap_or_default(),
        "clusterType": cluster_type,
        "mongoDBMajorVersion": request.engine_version,
        "replicationSpecs": specs,
        "tags": tags_body(request.tags.iter()),
    });
    if let Some(backup) = request.backup_enabled {
        body["backupEnabled"] = Value::Bool(backup);
    }
    body
}

/// The PATCH body that resizes a cluster: its current replication specs with the instance
/// size and disk changed on every node kind (Atlas wants electable and read-only nodes alike).
pub fn resize_body(cluster: &Value, size: Option<&str>, disk_gb: Option<i32>) -> Value {
    let mut specs = cluster
        .get("replicationSpecs")
        .cloned()
        .unwrap_or_else(|| json!([]));
    for spec in specs.as_array_mut().into_iter().flatten() {
        if let Some(spec) = spec.as_object_mut() {
            // Read-only ids that a PATCH must not send back.
            spec.remove("id");
            spec.remove("zoneId");
        }
        let regions = spec.get_mut("regionConfigs").and_then(Value::as_array_mut);
        for region in regions.into_iter().flatten() {
            for kind in ["electableSpecs", "readOnlySpecs", "analyticsSpecs"] {
                let Some(hardware) = region.get_mut(kind).and_then(Value::as_object_mut) else {
                    continue;
                };
                if let Some(size) = size {
                    hardware.insert("instanceSize".to_owned(), json!(size));
                }
                if let Some(disk) = disk_gb {
                    hardware.insert("diskSizeGB".to_owned(), json!(disk));
                }
            }
        }
    }
    json!({"replicationSpecs": specs})
}

/// The PATCH body that sets the node counts of the preferred region: its current replication
/// specs with `electableSpecs.nodeCount` and `readOnlySpecs.nodeCount` replaced. Read-only nodes
/// take the electable nodes' size and disk, as Atlas requires.
pub fn nodes_body(cluster: &Value, electable: Option<i32>, read_only: Option<i32>) -> Value {
    let mut body = resize_body(cluster, None, None);
    let preferred = body
        .pointer_mut("/replicationSpecs/0/regionConfigs")
        .and_then(Value::as_array_mut)
        .and_then(|regions| {
            regions
                .iter_mut()
                .max_by_key(|r| r.get("priority").and_then(Value::as_i64).unwrap_or(0))
        });
    if let Some(region) = preferred {
        let base = region.get("electableSpecs").cloned().unwrap_or(json!({}));
        if let Some(n) = electable {
            region["electableSpecs"]["nodeCount"] = json!(n);
        }
        if let Some(n) = read_only {
            let mut hardware = region
                .get("readOnlySpecs")
                .filter(|h| h.is_object())
                .cloned()
                .unwrap_or(base);
            hardware["nodeCount"] = json!(n);
            region["readOnlySpecs"] = hardware;
        }
    }
    body
}

/// The PATCH body that sets `tags` on top of the cluster's current ones (Atlas replaces the
/// whole list, so keys the operator does not manage must be sent back).
pub fn tags_patch(cluster: &Value, tags: &[(String, String)]) -> Value {
    let mut merged = instance(cluster).tags;
    merged.extend(tags.iter().cloned());
    json!({"tags": tags_body(merged.iter())})
}

/// The operator's word for a snapshot status.
pub fn snapshot_word(status: &str) -> &'static str {
    match status {
        "completed" => "Success",
        "failed" => "Failed",
        _ => "Running",
    }
}

/// Marks an on-demand snapshot with the Backup object that took it (Atlas has no tags on
/// snapshots; the description is the one free field).
const SNAPSHOT_OWNER: &str = "mongocloud-operator on-demand backup for ";

pub fn snapshot_description(owner: &str) -> String {
    format!("{SNAPSHOT_OWNER}{owner}")
}

pub fn backup(snapshot: &Value) -> BackupInfo {
    BackupInfo {
        owner: text(snapshot, "description")
            .and_then(|d| d.strip_prefix(SNAPSHOT_OWNER).map(str::to_owned)),
        id: text(snapshot, "id").unwrap_or_default(),
        status: snapshot_word(&text(snapshot, "status").unwrap_or_default()).to_owned(),
        method: text(snapshot, "snapshotType"),
        start_time: text(snapshot, "createdAt"),
        end_time: None,
        size_bytes: snapshot.get("storageSizeBytes").and_then(Value::as_i64),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn recorded_idle() -> Value {
        json!({
            "id": "6746ceb87cd3b2651e5f2a3b", "groupId": "6746cea8a3b0f86a2fbdc1f1",
            "name": "orders", "stateName": "IDLE", "clusterType": "REPLICASET",
            "mongoDBMajorVersion": "8.0", "mongoDBVersion": "8.0.16", "paused": false,
            "connectionStrings": {
                "standard": "mongodb://orders-shard-00-00.ab1cd.mongodb.net:27017,orders-shard-00-01.ab1cd.mongodb.net:27017,orders-shard-00-02.ab1cd.mongodb.net:27017/?ssl=true&authSource=admin&replicaSet=atlas-x1y2z3-shard-0",
                "standardSrv": "mongodb+srv://orders.ab1cd.mongodb.net"
            },
            "replicationSpecs": [{"id": "r1", "zoneId": "z1", "zoneName": "Zone 1", "regionConfigs": [
                {"providerName": "AWS", "regionName": "EU_WEST_1", "priority": 6,
                 "electableSpecs": {"instanceSize": "M10", "nodeCount": 2, "diskSizeGB": 10.0}},
                {"providerName": "AWS", "regionName": "US_EAST_1", "priority": 7,
                 "electableSpecs": {"instanceSize": "M10", "nodeCount": 3, "diskSizeGB": 10.0},
                 "readOnlySpecs": {"instanceSize": "M10", "nodeCount": 1, "diskSizeGB": 10.0}}
            ]}],
            "tags": [{"key": "team", "value": "orders"}, {"key": "mongocloud-uid", "value": "u1"}]
        })
    }

    #[test]
    fn an_idle_cluster_is_a_running_instance_named_by_its_cluster_name() {
        let i = instance(&recorded_idle());
        assert_eq!(i.id, "orders");
        assert_eq!(i.status, "Running");
        assert_eq!(i.region, "US_EAST_1", "the preferred region");
        assert_eq!(i.instance_class.as_deref(), Some("M10"));
        assert_eq!(i.storage_gb, Some(10));
        assert_eq!(i.replication_factor, Some(3));
        assert_eq!(i.readonly_replicas, Some(1));
        assert_eq!(i.engine_version.as_deref(), Some("8.0"));
        assert_eq!(i.kernel_version.as_deref(), Some("8.0.16"));
        assert_eq!(i.replica_set_name.as_deref(), Some("atlas-x1y2z3-shard-0"));
        assert_eq!(i.endpoints.len(), 3);
        assert_eq!(i.endpoints[1].host, "orders-shard-00-01.ab1cd.mongodb.net");
        assert_eq!(i.endpoints[1].port, 27017);
        assert_eq!(i.tags.get("team").map(String::as_str), Some("orders"));
        assert_eq!(
            i.connection_string_srv.as_deref(),
            Some("mongodb+srv://orders.ab1cd.mongodb.net")
        );
    }

    #[test]
    fn a_creating_cluster_has_no_endpoints_yet() {
        let mut c = recorded_idle();
        c["stateName"] = json!("CREATING");
        c["connectionStrings"] = json!({});
        let i = instance(&c);
        assert_eq!(i.status, "Creating");
        assert!(i.endpoints.is_empty());
        assert_eq!(i.connection_string, None);
    }

    #[test]
    fn states_map_onto_the_operator_vocabulary() {
        for (state, word) in [
            ("IDLE", "Running"),
            ("CREATING", "Creating"),
            ("UPDATING", "Updating"),
            ("REPAIRING", "Repairing"),
            ("DELETING", "Deleting"),
            ("", "Unknown"),
        ] {
            assert_eq!(state_word(state), word, "{state}");
        }
        for (status, word) in [
            ("queued", "Running"),
            ("inProgress", "Running"),
            ("completed", "Success"),
            ("failed", "Failed"),
        ] {
            assert_eq!(snapshot_word(status), word, "{status}");
        }
    }

    #[test]
    fn create_body_is_one_region_replica_set_with_tags() {
        let request = CreateInstance {
            region: "US_EAST_1".into(),
            engine_version: "7.0".into(),
            instance_class: "M30".into(),
            storage_gb: 40,
            replication_factor: 5,
            readonly_replicas: Some(2),
            name: Some("orders".into()),
            cloud_provider: Some("GCP".into()),
            backup_enabled: Some(true),
            tags: BTreeMap::from([("mongocloud-uid".into(), "u1".into())]),
            ..CreateInstance::default()
        };
        assert_eq!(
            create_body(&request),
            json!({
                "name": "orders", "clusterType": "REPLICASET", "mongoDBMajorVersion": "7.0",
                "backupEnabled": true,
                "replicationSpecs": [{"regionConfigs": [{
                    "providerName": "GCP", "regionName": "US_EAST_1", "priority": 7,
                    "electableSpecs": {"instanceSize": "M30", "nodeCount": 5, "diskSizeGB": 40},
                    "readOnlySpecs": {"instanceSize": "M30", "nodeCount": 2, "diskSizeGB": 40}
                }]}],
                "tags": [{"key": "mongocloud-uid", "value": "u1"}]
            })
        );
    }

    #[test]
    fn resize_changes_every_node_kind_and_drops_read_only_ids() {
        let body = resize_body(&recorded_idle(), Some("M20"), Some(20));
        let spec = &body["replicationSpecs"][0];
        assert!(spec.get("id").is_none() && spec.get("zoneId").is_none());
        assert_eq!(spec["zoneName"], "Zone 1");
        for region in spec["regionConfigs"].as_array().expect("regions") {
            assert_eq!(region["electableSpecs"]["instanceSize"], "M20");
            assert_eq!(region["electableSpecs"]["diskSizeGB"], 20);
        }
        assert_eq!(
            spec["regionConfigs"][1]["readOnlySpecs"]["instanceSize"],
            "M20"
        );
        let only_disk = resize_body(&recorded_idle(), None, Some(30));
        assert_eq!(
            only_disk["replicationSpecs"][0]["regionConfigs"][1]["electableSpecs"]["instanceSize"],
            "M10"
        );
    }

    #[test]
    fn nodes_body_sets_the_preferred_region_only() {
        let body = nodes_body(&recorded_idle(), Some(5), Some(2));
        let regions = &body["replicationSpecs"][0]["regionConfigs"];
        assert_eq!(regions[1]["electableSpecs"]["nodeCount"], 5);
        assert_eq!(regions[1]["readOnlySpecs"]["nodeCount"], 2);
        assert_eq!(regions[1]["readOnlySpecs"]["instanceSize"], "M10");
        assert_eq!(regions[0]["electableSpecs"]["nodeCount"], 2);
        assert!(body["replicationSpecs"][0].get("id").is_none());
        let electable_only = nodes_body(&recorded_idle(), Some(7), None);
        assert_eq!(
            electable_only["replicationSpecs"][0]["regionConfigs"][1]["readOnlySpecs"]["nodeCount"],
            1
        );
    }

    #[test]
    fn autoscaling_is_read_from_the_preferred_region_and_set_on_every_region() {
        assert_eq!(
            instance(&recorded_idle()).auto_scaling,
            Some(AutoScaling::default())
        );
        let on = AutoScaling {
            compute_enabled: true,
            max_instance_size: Some("M40".into()),
            disk_enabled: true,
            ..AutoScaling::default()
        };
        let body = auto_scaling_body(&recorded_idle(), &on);
        for region in body["replicationSpecs"][0]["regionConfigs"]
            .as_array()
            .expect("regions")
        {
            assert_eq!(region["autoScaling"]["compute"]["maxInstanceSize"], "M40");
            assert_eq!(region["autoScaling"]["diskGB"]["enabled"], true);
        }
        let mut patched = recorded_idle();
        patched["replicationSpecs"] = body["replicationSpecs"].clone();
        assert_eq!(instance(&patched).auto_scaling, Some(on));
    }

    #[test]
    fn tags_patch_keeps_keys_it_does_not_set() {
        let body = tags_patch(&recorded_idle(), &[("team".into(), "billing".into())]);
        assert_eq!(
            body,
            json!({"tags": [
                {"key": "mongocloud-uid", "value": "u1"},
                {"key": "team", "value": "billing"}
            ]})
        );
    }

    #[test]
    fn snapshots_become_backups() {
        let b = backup(&json!({
            "id": "6746d0a1", "status": "inProgress", "snapshotType": "onDemand",
            "createdAt": "2026-11-25T10:00:00Z", "storageSizeBytes": 1024
        }));
        assert_eq!(b.id, "6746d0a1");
        assert_eq!(b.status, "Running");
        assert_eq!(b.method.as_deref(), Some("onDemand"));
        assert_eq!(b.size_bytes, Some(1024));
    }
}
