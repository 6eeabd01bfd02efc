//! Sharded clusters through the operator's real clients against the emulator over loopback:
//! Dds CreateShardingDBInstance, the node lists of DescribeDBInstanceAttribute and CreateNode
//! walking NodeCreating; Atlas SHARDED clusters growing by one replication spec.

use std::time::Duration;

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::atlas::provider::AtlasProvider;
use mongocloud_operator::cloud::*;
use mongocloud_operator::emulator::{self, Config, Running};

#[path = "support/emulator_account.rs"]
mod emulator_account;
use emulator_account::settings;

async fn start() -> Running {
    emulator::start(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(150),
        ..Config::default()
    })
    .await
    .expect("emulator starts")
}

fn sharded(mongos: Option<(i32, &str)>, class: &str, gb: i32) -> ShardedCreate {
    ShardedCreate {
        mongos: mongos.map(|(n, c)| (n, c.to_owned())),
        shard_count: 2,
        shard_class: class.to_owned(),
        shard_storage_gb: gb,
        config_server: None,
    }
}

fn dds_request(token: &str) -> CreateInstance {
    CreateInstance {
        region: "cn-hangzhou".into(),
        engine_version: "6.0".into(),
        charge_type: "PostPaid".into(),
        tags: [(UID_TAG.to_owned(), token.to_owned())].into(),
        client_token: token.into(),
        sharding: Some(sharded(Some((2, "dds.mongos.mid")), "dds.shard.mid", 20)),
        ..CreateInstance::default()
    }
}

/// Polls the attribute read until `done` holds; every status seen on the way is returned.
async fn walk(
    p: &dyn Provider,
    id: &str,
    done: impl Fn(&Instance) -> bool,
) -> (Instance, Vec<String>) {
    let mut seen: Vec<String> = Vec::new();
    for _ in 0..200 {
        let found = p
            .describe_instances(&[id.to_owned()])
            .await
            .expect("describe");
        if let Some(i) = found.into_iter().next() {
            if seen.last() != Some(&i.status) {
                seen.push(i.status.clone());
            }
            if done(&i) {
                return (i, seen);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("instance {id} never got there; statuses seen: {seen:?}");
}

async fn calls(e: &Running, action: &str) -> u64 {
    let all: serde_json::Value = reqwest::get(format!("{}/_emulator/calls", e.url()))
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    all["actions"][action].as_u64().unwrap_or(0)
}

async fn cluster_mongos_last(c: &AliyunClient, id: &str) -> String {
    let (cluster, _) = walk(c, id, running).await;
    let mongos = cluster.topology.expect("nodes").mongos;
    mongos.last().expect("a mongos").id.clone()
}

fn running(i: &Instance) -> bool {
    i.status == "Running"
}

#[tokio::test]
async fn a_dds_sharded_cluster_is_created_once_and_grows_node_by_node() {
    let e = start().await;
    let c = AliyunClient::new(settings(&e, Cloud::Aliyun), None).expect("client");
    let id = c
        .create_instance(&dds_request("shard-1"))
        .await
        .expect("create");
    assert_eq!(
        c.create_instance(&dds_request("shard-1"))
            .await
            .expect("repeat"),
        id,
        "the ClientToken makes the create idempotent"
    );
    assert_eq!(calls(&e, "CreateShardingDBInstance").await, 2);

    let (cluster, statuses) = walk(&c, &id, running).await;
    assert_eq!(statuses, ["Creating", "Running"]);
    assert!(cluster.sharded);
    let t = cluster
        .topology
        .clone()
        .expect("an attribute read carries the nodes");
    assert_eq!(
        (t.mongos.len(), t.shards.len(), t.config_servers.len()),
        (2, 2, 1)
    );
    assert!(t.mongos.iter().all(|m| m.id.starts_with("s-")), "{t:?}");
    assert!(
        t.shards
            .iter()
            .all(|d| d.id.starts_with("d-") && d.storage_gb == Some(20))
    );
    assert!(t.config_servers[0].id.starts_with("cs-"));
    let mongos: Vec<&str> = cluster.endpoints.iter().map(|e| e.role.as_str()).collect();
    assert_eq!(mongos, ["Mongos", "Mongos"], "the mongos are the endpoints");
    assert_eq!(cluster.replica_set_name, None);

    let listed = c
        .list_instances(&ListInstances {
            region: "cn-hangzhou".into(),
            page_number: 1,
            page_size: 30,
            tag: None,
        })
        .await
        .expect("list");
    let listed = &listed.instances[0];
    assert!(
        listed.sharded,
        "DescribeDBInstances says DBInstanceType sharding"
    );
    assert_eq!(listed.topology, None, "a listing carries no node lists");

    let mongos = InstanceChange::AddNode {
        kind: NodeKind::Mongos,
        class: "dds.mongos.mid".into(),
        storage_gb: None,
    };
    c.modify_instance(&id, &mongos)
        .await
        .expect("CreateNode mongos");
    let busy = c
        .modify_instance(&id, &mongos)
        .await
        .expect_err("no second node while one is created");
    assert_eq!(busy.class, ErrorClass::InvalidState, "{busy}");
    let (cluster, statuses) = walk(&c, &id, running).await;
    assert_eq!(statuses, ["NodeCreating", "Running"]);
    assert_eq!(cluster.endpoints.len(), 3);

    let shard = InstanceChange::AddNode {
        kind: NodeKind::Shard,
        class: "dds.shard.mid".into(),
        storage_gb: Some(30),
    };
    c.modify_instance(&id, &shard)
        .await
        .expect("CreateNode shard");
    let (cluster, _) = walk(&c, &id, running).await;
    let shards = cluster.topology.expect("nodes").shards;
    assert_eq!(shards.len(), 3);
    assert_eq!(shards[2].storage_gb, Some(30));
    assert_eq!(calls(&e, "CreateNode").await, 3);

    let newest = cluster_mongos_last(&c, &id).await;
    c.modify_instance(
        &id,
        &InstanceChange::RemoveNode {
            node_id: newest.clone(),
        },
    )
    .await
    .expect("DeleteNode mongos");
    let (cluster, statuses) = walk(&c, &id, running).await;
    assert_eq!(statuses, ["NodeDeleting", "Running"]);
    let mongos = cluster.topology.expect("nodes").mongos;
    assert_eq!(mongos.len(), 2);
    assert!(mongos.iter().all(|m| m.id != newest));
    let last = mongos[1].id.clone();
    let refused = c
        .modify_instance(&id, &InstanceChange::RemoveNode { node_id: last })
        .await
        .expect_err("a cluster keeps two mongos");
    assert_eq!(refused.class, ErrorClass::Terminal, "{refused}");
    assert_eq!(calls(&e, "DeleteNode").await, 2);

    let resize = InstanceChange::Spec {
        instance_class: Some("dds.mongo.large".into()),
        storage_gb: None,
    };
    let refused = c
        .modify_instance(&id, &resize)
        .await
        .expect_err("a sharded cluster has no replica-set size");
    assert_eq!(refused.class, ErrorClass::Terminal, "{refused}");
    e.stop().await;
}

#[tokio::test]
async fn dds_refuses_what_a_sharded_create_or_node_cannot_be() {
    let e = start().await;
    let c = AliyunClient::new(settings(&e, Cloud::Aliyun), None).expect("client");
    let mut one_mongos = dds_request("shard-2");
    one_mongos.sharding = Some(sharded(Some((1, "dds.mongos.mid")), "dds.shard.mid", 20));
    let refused = c
        .create_instance(&one_mongos)
        .await
        .expect_err("one mongos");
    assert_eq!(refused.class, ErrorClass::Terminal, "{refused}");

    let replica_set = CreateInstance {
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        sharding: None,
        ..dds_request("rs-1")
    };
    let id = c.create_instance(&replica_set).await.expect("replica set");
    walk(&c, &id, running).await;
    let node = InstanceChange::AddNode {
        kind: NodeKind::Shard,
        class: "dds.shard.mid".into(),
        storage_gb: Some(20),
    };
    let refused = c
        .modify_instance(&id, &node)
        .await
        .expect_err("CreateNode is for sharded clusters");
    assert_eq!(refused.class, ErrorClass::Terminal, "{refused}");
    e.stop().await;
}

#[tokio::test]
async fn an_atlas_sharded_cluster_lists_its_mongos_and_grows_by_a_shard() {
    let e = start().await;
    let a = AtlasProvider::new(settings(&e, Cloud::Atlas), None).expect("provider");
    let request = CreateInstance {
        region: "US_EAST_1".into(),
        engine_version: "8.0".into(),
        tags: [(UID_TAG.to_owned(), "orders".to_owned())].into(),
        client_token: "orders".into(),
        name: Some("orders".into()),
        cloud_provider: Some("AWS".into()),
        sharding: Some(sharded(None, "M30", 40)),
        ..CreateInstance::default()
    };
    let id = a.create_instance(&request).await.expect("create");
    let (cluster, statuses) = walk(&a, &id, running).await;
    assert_eq!(statuses, ["Creating", "Running"]);
    assert!(cluster.sharded);
    let shards = cluster.topology.clone().expect("specs").shards;
    assert_eq!(shards.len(), 2);
    assert!(
        shards
            .iter()
            .all(|s| s.class.as_deref() == Some("M30") && s.storage_gb == Some(40)),
        "{shards:?}"
    );
    assert!(!cluster.endpoints.is_empty());
    assert!(cluster.endpoints.iter().all(|e| e.role == "Mongos"));
    assert_eq!(cluster.replica_set_name, None);
    assert!(cluster.connection_string_srv.is_some(), "Atlas offers SRV");

    let shard = InstanceChange::AddNode {
        kind: NodeKind::Shard,
        class: "M30".into(),
        storage_gb: Some(40),
    };
    a.modify_instance(&id, &shard)
        .await
        .expect("one more shard");
    let (cluster, statuses) = walk(&a, &id, |i| {
        running(i) && i.topology.as_ref().is_some_and(|t| t.shards.len() == 3)
    })
    .await;
    assert!(statuses.contains(&"Updating".to_owned()), "{statuses:?}");
    assert_eq!(cluster.topology.expect("specs").shards.len(), 3);
    e.stop().await;
}
