//! Sharded clusters end to end, both clouds: created Ready with the mongos endpoints in the
//! connection Secret; one more mongos (Atlas: shard) is exactly one cloud call, walked through
//! the cloud's transitional state back to Ready, and a mongos fewer one DeleteNode; a
//! replica-set field beside `sharding` or fewer shards is refused by name without a cloud
//! call. The real API server, the operator binary, the emulator
//! as the cloud; cloud-side facts come from the emulator.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use mongocloud_operator::api::DBInstance;
use serde_json::{Value, json};
use support::dbinstance::{LIMIT, no_writes_since, ready, seen_in, terminal_message, writes};
use support::{ATLAS_PROJECT, Harness};

/// Long enough that the operator's polls see each transitional state.
const TRANSITION_MS: u64 = 1500;

fn manifest(h: &Harness, name: &str, for_provider: Value) -> Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name},
           "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": for_provider,
                    "writeConnectionSecretToRef": {"name": format!("{name}-conn")}}})
}

fn aliyun_sharded() -> Value {
    json!({"regionId": "cn-hangzhou", "engineVersion": "6.0",
           "sharding": {"mongos": {"count": 2, "class": "dds.mongos.mid"},
                        "shards": {"count": 2, "class": "dds.shard.mid", "storageGB": 20}}})
}

/// The connection Secret once `check` holds for its data.
async fn secret_where(
    h: &Harness,
    name: &str,
    what: &str,
    check: impl Fn(&BTreeMap<String, String>) -> bool,
) -> BTreeMap<String, String> {
    h.wait_for::<Secret, _>(&format!("{name}-conn"), what, LIMIT, |s| {
        let data: BTreeMap<String, String> = s
            .data
            .as_ref()?
            .iter()
            .map(|(k, v)| (k.clone(), String::from_utf8_lossy(&v.0).into_owned()))
            .collect();
        check(&data).then_some(data)
    })
    .await
}

fn mongos_hosts(cloud: &Value) -> Vec<String> {
    cloud["sharding"]["mongos"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str())
        .map(|id| format!("{id}.mongodb.rds.aliyuncs.com:3717"))
        .collect()
}

#[tokio::test]
async fn aliyun_sharded_cluster_is_ready_with_its_mongos_and_changes_them_one_node_a_call() {
    let Some(mut h) = support::harness("sharding_aliyun", TRANSITION_MS).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);

    // Given a sharded spec, when it is applied, then one CreateShardingDBInstance makes the
    // cluster and the Secret holds its mongos.
    h.create::<DBInstance>(manifest(&h, "orders", aliyun_sharded()))
        .await;
    let d = ready(&h, "orders").await;
    let st = d.status.expect("status");
    let id = st.instance_id.expect("instance id");
    let at = st.at_provider.expect("atProvider");
    let sharding = at.sharding.expect("atProvider.sharding");
    assert_eq!((sharding.mongos_count, sharding.shard_count), (2, 2));
    assert_eq!(h.calls_of("CreateShardingDBInstance").await, 1);
    assert_eq!(h.calls_of("CreateDBInstance").await, 0);
    let cloud = h.cloud_instances().await[&id].clone();
    let hosts = mongos_hosts(&cloud);
    assert_eq!(hosts.len(), 2, "{cloud}");
    let data = secret_where(&h, "orders", "mongos in the Secret", |d| {
        d.contains_key("mongosHosts")
    })
    .await;
    assert_eq!(data["mongosHosts"], hosts.join(","));
    assert_eq!(
        Some(&data["host"]),
        hosts[0].split(':').next().map(str::to_owned).as_ref()
    );
    assert_eq!(data["port"], "3717");
    assert_eq!(
        data["connectionString"],
        format!("mongodb://{}/admin", hosts.join(","))
    );
    assert!(!data.contains_key("replicaSetName"), "{data:?}");

    // When the mongos count goes 2 → 3, then exactly one CreateNode, the object walks
    // NodeCreating back to Ready, and the Secret lists three mongos.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"sharding": {"mongos": {"count": 3}}}}}),
    )
    .await;
    seen_in(&h, "orders", "NodeCreating").await;
    let d = ready(&h, "orders").await;
    let at = d.status.and_then(|s| s.at_provider).expect("atProvider");
    assert_eq!(at.sharding.map(|s| s.mongos_count), Some(3));
    assert_eq!(h.calls_of("CreateNode").await, 1);
    let cloud = h.cloud_instances().await[&id].clone();
    assert_eq!(mongos_hosts(&cloud).len(), 3, "{cloud}");
    secret_where(&h, "orders", "three mongos in the Secret", |d| {
        d.get("mongosHosts")
            .is_some_and(|m| m.split(',').count() == 3)
    })
    .await;

    // When the mongos count goes back to 2, then exactly one DeleteNode removes the newest
    // and the object walks NodeDeleting back to Ready.
    let newest = mongos_hosts(&cloud).pop().expect("three mongos");
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"sharding": {"mongos": {"count": 2}}}}}),
    )
    .await;
    seen_in(&h, "orders", "NodeDeleting").await;
    let d = ready(&h, "orders").await;
    let at = d.status.and_then(|s| s.at_provider).expect("atProvider");
    assert_eq!(at.sharding.map(|s| s.mongos_count), Some(2));
    assert_eq!(h.calls_of("DeleteNode").await, 1);
    assert_eq!(h.calls_of("CreateNode").await, 1);
    let data = secret_where(&h, "orders", "two mongos in the Secret", |d| {
        d.get("mongosHosts")
            .is_some_and(|m| m.split(',').count() == 2)
    })
    .await;
    assert!(!data["mongosHosts"].contains(&newest), "{data:?}");

    // When a replica-set field is set beside sharding, then TerminalError names it and no
    // cloud write is made.
    let before = h.calls().await;
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"replicationFactor": 5}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "spec.forProvider.replicationFactor").await;
    assert!(
        message.contains("spec.forProvider.replicationFactor")
            && message.contains("spec.forProvider.sharding"),
        "{message}"
    );
    no_writes_since(&before, || h.calls()).await;
    h.kill_operator();
}

#[tokio::test]
async fn aliyun_a_new_sharded_spec_with_a_replica_set_field_makes_no_call() {
    let Some(mut h) = support::harness("sharding_refused", TRANSITION_MS).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    let mut fp = aliyun_sharded();
    fp["instanceClass"] = json!("dds.mongo.mid");
    h.create::<DBInstance>(manifest(&h, "mixed", fp)).await;
    let message = terminal_message(&h, "mixed", "spec.forProvider.instanceClass").await;
    assert!(
        message.contains("spec.forProvider.instanceClass")
            && message.contains("spec.forProvider.sharding"),
        "{message}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(writes(&h.calls().await), 0, "{}", h.calls().await);
    h.kill_operator();
}

fn count(calls: &Value, operation: &str) -> u64 {
    calls["operations"][operation].as_u64().unwrap_or(0)
}

async fn cloud_cluster(h: &Harness) -> Value {
    let state = h.atlas_state().await;
    let clusters = &state["projects"][ATLAS_PROJECT]["clusters"];
    match clusters {
        Value::Object(by_name) => by_name.get("orders").cloned(),
        Value::Array(all) => all.iter().find(|c| c["name"] == "orders").cloned(),
        _ => None,
    }
    .unwrap_or(Value::Null)
}

#[tokio::test]
async fn atlas_sharded_cluster_is_ready_with_its_mongos_and_grows_by_one_shard() {
    let Some(mut h) = support::harness("sharding_atlas", TRANSITION_MS).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(manifest(
        &h,
        "orders",
        json!({"regionId": "US_EAST_1", "engineVersion": "7.0", "atlas": {"providerName": "AWS"},
               "sharding": {"shards": {"count": 2, "class": "M30", "storageGB": 40}}}),
    ))
    .await;
    let d = ready(&h, "orders").await;
    let at = d.status.and_then(|s| s.at_provider).expect("atProvider");
    assert_eq!(at.sharding.map(|s| s.shard_count), Some(2));
    let cluster = cloud_cluster(&h).await;
    assert_eq!(cluster["clusterType"], "SHARDED", "{cluster}");
    assert_eq!(
        cluster["replicationSpecs"].as_array().map(Vec::len),
        Some(2)
    );
    let data = secret_where(&h, "orders", "mongos in the Secret", |d| {
        d.contains_key("mongosHosts")
    })
    .await;
    let hosts: Vec<&str> = data["mongosHosts"].split(',').collect();
    assert_eq!(hosts.len(), 3, "{data:?}");
    assert!(hosts.iter().all(|h| h.ends_with(":27016")), "{data:?}");
    assert!(
        data["connectionString"].starts_with("mongodb://")
            && !data["connectionString"].contains("replicaSet="),
        "{data:?}"
    );
    assert!(
        data.get("connectionStringSrv")
            .is_some_and(|s| s.starts_with("mongodb+srv://")),
        "{data:?}"
    );

    // When the shard count goes 2 → 3, then one updateCluster adds a replication spec and the
    // object walks UPDATING back to Ready.
    let updates = count(&h.atlas_calls().await, "updateCluster");
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"sharding": {"shards": {"count": 3}}}}}),
    )
    .await;
    seen_in(&h, "orders", "Updating").await;
    let d = ready(&h, "orders").await;
    let at = d.status.and_then(|s| s.at_provider).expect("atProvider");
    assert_eq!(at.sharding.map(|s| s.shard_count), Some(3));
    assert_eq!(
        cloud_cluster(&h).await["replicationSpecs"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    assert_eq!(count(&h.atlas_calls().await, "updateCluster") - updates, 1);

    // When a shard is taken away or an Aliyun-only field is set, then TerminalError names it
    // and nothing is written.
    let before = h.atlas_calls().await;
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"sharding": {"shards": {"count": 2}}}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "spec.forProvider.sharding.shards.count").await;
    assert!(
        message.contains("spec.forProvider.sharding.shards.count")
            && message.contains("from 3 to 2"),
        "{message}"
    );
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"sharding": {"shards": {"count": 3},
               "configServer": {"class": "dds.cs.mid", "storageGB": 20}}}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "spec.forProvider.sharding.configServer").await;
    assert!(message.contains("does not apply to Atlas"), "{message}");
    no_writes_since(&before, || h.atlas_calls()).await;
    h.kill_operator();
}
