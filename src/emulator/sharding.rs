//! Sharded clusters: CreateShardingDBInstance, their nodes in DescribeDBInstanceAttribute
//! (MongosList / ShardList / ConfigserverList), CreateNode and DeleteNode, which walk
//! `NodeCreating` / `NodeDeleting`.

use serde_json::{Value, json};

use super::instances::{self, instance, int_param, new_id, running};
use super::model::{InstanceRecord, NodeRecord, ShardingRecord, State, now_ms};
use super::render::ApiError;
use super::{Call, Params, param, required};

/// The cloud sells 2 to 32 mongos and 2 to 32 shards per cluster.
const NODES: std::ops::RangeInclusive<usize> = 2..=32;

/// `Prefix.N.Class` for N = 1, 2, ... while present.
fn listed_classes(p: &Params, prefix: &str) -> Vec<String> {
    (1..=64)
        .map_while(|n| param(p, &format!("{prefix}.{n}.Class")))
        .collect()
}

fn class_of(kind: &str, class: &str) -> Result<(), ApiError> {
    if class.starts_with(&format!("dds.{kind}.")) {
        Ok(())
    } else {
        Err(ApiError::new(
            404,
            "InvalidDBInstanceClass.NotFound",
            format!("The specified {kind} class {class} does not exist."),
        ))
    }
}

fn storage(name: &str, gb: Option<i64>) -> Result<i64, ApiError> {
    let gb = gb.ok_or_else(|| ApiError::missing(name))?;
    if (10..=2000).contains(&gb) && gb % 10 == 0 {
        Ok(gb)
    } else {
        Err(ApiError::new(
            400,
            "InvalidCapacity.NotFound",
            format!("{name} {gb} GB is not offered (10-2000, step 10)."),
        ))
    }
}

fn node(prefix: &str, class: String, storage_gb: i64) -> NodeRecord {
    NodeRecord {
        id: new_id(prefix),
        class,
        storage_gb,
    }
}

/// CreateShardingDBInstance: every node is listed (`Mongos.N.Class`, `ReplicaSet.N.Class` /
/// `.Storage`, `ConfigServer.1.Class` / `.Storage`); idempotent by ClientToken like
/// CreateDBInstance.
pub fn create(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let mut record = match instances::new_record(state, call, p)? {
        Ok(record) => record,
        Err(answer) => return Ok(answer),
    };
    let mongos = listed_classes(p, "Mongos");
    let shards = listed_classes(p, "ReplicaSet");
    for (what, count) in [("Mongos", mongos.len()), ("ReplicaSet", shards.len())] {
        if !NODES.contains(&count) {
            return Err(ApiError::invalid(
                &format!("{what}.N.Class"),
                format!("a sharded cluster has 2 to 32 of them (got {count})"),
            ));
        }
    }
    let mut sharding = ShardingRecord::default();
    for class in mongos {
        class_of("mongos", &class)?;
        sharding.mongos.push(node("s-", class, 0));
    }
    for (n, class) in shards.into_iter().enumerate() {
        class_of("shard", &class)?;
        let name = format!("ReplicaSet.{}.Storage", n + 1);
        let gb = storage(&name, int_param(p, &name)?)?;
        sharding.shards.push(node("d-", class, gb));
    }
    let cs_class = param(p, "ConfigServer.1.Class").unwrap_or_else(|| "dds.cs.mid".to_owned());
    class_of("cs", &cs_class)?;
    let cs_storage = int_param(p, "ConfigServer.1.Storage")?.unwrap_or(20);
    let cs_storage = storage("ConfigServer.1.Storage", Some(cs_storage))?;
    sharding
        .config_servers
        .push(node("cs-", cs_class, cs_storage));
    // A sharded instance has no replica-set size or name of its own.
    record.replica_set_name = String::new();
    record.sharding = Some(sharding);
    Ok(instances::insert(state, call, p, record))
}

/// CreateNode: one more mongos or shard of a Running sharded cluster (NodeCreating, then
/// Running).
pub fn create_node(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let kind = required(p, "NodeType")?;
    let class = required(p, "NodeClass")?;
    let gb = int_param(p, "NodeStorage")?;
    let i = instance(state, p)?;
    let Some(sharding) = i.sharding.as_mut() else {
        return Err(ApiError::new(
            400,
            "InvalidDBInstanceType.NotSupport",
            "CreateNode applies only to sharded cluster instances.",
        ));
    };
    if i.status != "Running" {
        return Err(ApiError::denied(&i.status));
    }
    let (nodes, new) = match kind.as_str() {
        "mongos" => {
            class_of("mongos", &class)?;
            (&mut sharding.mongos, node("s-", class, 0))
        }
        "shard" => {
            class_of("shard", &class)?;
            let gb = storage("NodeStorage", gb)?;
            (&mut sharding.shards, node("d-", class, gb))
        }
        _ => return Err(ApiError::invalid("NodeType", "must be shard or mongos")),
    };
    if nodes.len() >= *NODES.end() {
        return Err(ApiError::new(
            400,
            "InvalidNodeCount.Exceeded",
            format!("A sharded cluster has at most 32 {kind} nodes."),
        ));
    }
    let id = new.id.clone();
    nodes.push(new);
    i.begin("NodeCreating", Some("Running"), call.transition_ms);
    Ok(json!({"NodeId": id, "OrderId": format!("order-{}", now_ms())}))
}

/// DeleteNode: one mongos or shard fewer (NodeDeleting, then Running). The cloud keeps at least
/// two of each and deletes nodes only of a Running pay-as-you-go sharded cluster.
pub fn delete_node(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let node_id = required(p, "NodeId")?;
    let i = instance(state, p)?;
    let Some(sharding) = i.sharding.as_mut() else {
        return Err(ApiError::new(
            400,
            "InvalidDBInstanceType.NotSupport",
            "DeleteNode applies only to sharded cluster instances.",
        ));
    };
    if i.status != "Running" {
        return Err(ApiError::denied(&i.status));
    }
    if i.charge_type != "PostPaid" {
        return Err(ApiError::new(
            400,
            "ChargeTypeViolation",
            "Nodes can be deleted only from pay-as-you-go (PostPaid) instances.",
        ));
    }
    let Some(nodes) = [&mut sharding.mongos, &mut sharding.shards]
        .into_iter()
        .find(|nodes| nodes.iter().any(|n| n.id == node_id))
    else {
        return Err(ApiError::new(
            404,
            "InvalidNodeId.NotFound",
            format!("The specified node {node_id} is not found."),
        ));
    };
    if nodes.len() <= *NODES.start() {
        return Err(ApiError::new(
            400,
            "InvalidNodeCount.Malformed",
            "A sharded cluster keeps at least two mongos and two shards.",
        ));
    }
    nodes.retain(|n| n.id != node_id);
    i.begin("NodeDeleting", Some("Running"), call.transition_ms);
    Ok(json!({"TaskId": now_ms() % 1_000_000_000}))
}

/// Refuses replica-set actions (ModifyDBInstanceSpec and the like) on a sharded cluster.
pub fn replica_set_only(i: &InstanceRecord) -> Result<(), ApiError> {
    running(i)?;
    match i.sharding {
        Some(_) => Err(ApiError::new(
            400,
            "InvalidDBInstanceType.NotSupport",
            "The operation is not supported for sharded cluster instances.",
        )),
        None => Ok(()),
    }
}

/// The attribute view's node lists; the replica-set fields are removed.
pub fn add_nodes(i: &InstanceRecord, v: &mut Value) {
    let (Some(s), Value::Object(fields)) = (&i.sharding, v) else {
        return;
    };
    for key in ["ReplicaSets", "ReplicaSetName", "ReplicationFactor"] {
        fields.remove(key);
    }
    let mongos: Vec<Value> = s
        .mongos
        .iter()
        .enumerate()
        .map(|(n, m)| {
            json!({"NodeId": m.id, "NodeClass": m.class, "NodeDescription": format!("mongos{}", n + 1),
                   "ConnectSting": format!("{}.mongodb.rds.aliyuncs.com", m.id), "Port": 3717,
                   "MaxConnections": 1000, "MaxIOPS": 0, "VPCId": i.vpc_id, "VSwitchId": i.vswitch_id})
        })
        .collect();
    let shard = |nodes: &[NodeRecord], key: &str| -> Vec<Value> {
        nodes
            .iter()
            .map(|d| {
                json!({"NodeId": d.id, "NodeClass": d.class, "NodeStorage": d.storage_gb,
                       key: format!("{}.mongodb.rds.aliyuncs.com", d.id), "Port": 3717,
                       "MaxConnections": 8000, "MaxIOPS": 8000})
            })
            .collect()
    };
    fields.insert("MongosList".to_owned(), json!({"MongosAttribute": mongos}));
    fields.insert(
        "ShardList".to_owned(),
        json!({"ShardAttribute": shard(&s.shards, "ConnectString")}),
    );
    fields.insert(
        "ConfigserverList".to_owned(),
        json!({"ConfigserverAttribute": shard(&s.config_servers, "ConnectString")}),
    );
}
