//! In-place changes end to end, both clouds: node counts, engine upgrades, TDE, the disk type and
//! the public and SRV addresses go through the cloud's own action and its transitional states; a
//! downgrade is refused by name without a cloud write. The real API server, the operator binary, the emulator as the cloud; cloud-side
//! facts come from the emulator.

mod support;

use std::time::Duration;

use mongocloud_operator::api::DBInstance;
use serde_json::{Value, json};
use support::dbinstance::{
    LIMIT, no_writes_since, ready, secret_key, secret_key_gone, seen_in, terminal_message, writes,
};
use support::{ATLAS_PROJECT, Harness, has_condition};

/// Long enough that the operator's polls see each transitional state.
const TRANSITION_MS: u64 = 1500;

fn manifest(h: &Harness, for_provider: Value) -> Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": "orders"},
           "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": for_provider}})
}

async fn cloud_instance(h: &Harness, id: &str) -> Value {
    h.cloud_instances()
        .await
        .get(id)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn aliyun_nodes_engine_and_tde_change_in_place_and_a_downgrade_is_refused() {
    let Some(mut h) = support::harness("inplace_aliyun", TRANSITION_MS).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(manifest(
        &h,
        json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid",
               "storageGB": 20, "tde": "Disabled"}),
    ))
    .await;
    let d = ready(&h, "orders").await;
    let id = d.status.and_then(|s| s.instance_id).expect("instance id");

    // Given a Running replica set, when the node counts change, then one ModifyDBInstanceSpec
    // adds the nodes and the object follows NodeCreating back to Running.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"replicationFactor": 5, "readonlyReplicas": 1}}}),
    )
    .await;
    seen_in(&h, "orders", "NodeCreating").await;
    let d = ready(&h, "orders").await;
    let at = d.status.and_then(|s| s.at_provider).expect("atProvider");
    assert_eq!(
        (at.replication_factor, at.readonly_replicas),
        (Some(5), Some(1))
    );
    let cloud = cloud_instance(&h, &id).await;
    assert_eq!(
        (
            cloud["replicationFactor"].as_i64(),
            cloud["readonlyReplicas"].as_i64()
        ),
        (Some(5), Some(1)),
        "{cloud}"
    );
    assert_eq!(h.calls_of("ModifyDBInstanceSpec").await, 1);

    // When the engine goes 6.0 → 8.0, then two upgrades run, each followed to Running.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"engineVersion": "8.0"}}}),
    )
    .await;
    seen_in(&h, "orders", "EngineVersionUpgrading").await;
    h.wait_for::<DBInstance, _>("orders", "engine 8.0 and Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        (st.at_provider.as_ref()?.engine_version.as_deref() == Some("8.0"))
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    assert_eq!(cloud_instance(&h, &id).await["engineVersion"], "8.0");
    assert_eq!(h.calls_of("UpgradeDBInstanceEngineVersion").await, 2);

    // When TDE is turned on, then one ModifyDBInstanceTDE, and the cloud reports it on.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"tde": "Enabled"}}}),
    )
    .await;
    seen_in(&h, "orders", "TDEModifying").await;
    h.wait_for::<DBInstance, _>("orders", "TDE on and Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        (st.at_provider.as_ref()?.tde_enabled == Some(true))
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    assert_eq!(cloud_instance(&h, &id).await["tdeEnabled"], true);
    assert_eq!(h.calls_of("ModifyDBInstanceTDE").await, 1);

    // When the spec asks for a downgrade or TDE off, then TerminalError names the field and
    // no cloud write is made.
    let before = h.calls().await;
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"engineVersion": "7.0"}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "").await;
    assert!(
        message.contains("spec.forProvider.engineVersion") && message.contains("from 8.0 to 7.0"),
        "{message}"
    );
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"engineVersion": "8.0", "tde": "Disabled"}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "").await;
    assert!(message.contains("spec.forProvider.tde"), "{message}");
    no_writes_since(&before, || h.calls()).await;
    h.kill_operator();
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

fn count(calls: &Value, operation: &str) -> u64 {
    calls["operations"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn atlas_node_counts_and_major_version_change_in_place_and_a_downgrade_is_refused() {
    let Some(mut h) = support::harness("inplace_atlas", TRANSITION_MS).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(manifest(
        &h,
        json!({"regionId": "US_EAST_1", "engineVersion": "7.0", "instanceClass": "M10",
               "storageGB": 10, "atlas": {"providerName": "AWS"}}),
    ))
    .await;
    ready(&h, "orders").await;
    let updates = count(&h.atlas_calls().await, "updateCluster");

    // When the node counts change, then one updateCluster sets them and the object follows
    // UPDATING back to IDLE.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"replicationFactor": 5, "readonlyReplicas": 1}}}),
    )
    .await;
    seen_in(&h, "orders", "Updating").await;
    let d = ready(&h, "orders").await;
    let at = d.status.and_then(|s| s.at_provider).expect("atProvider");
    assert_eq!(
        (at.replication_factor, at.readonly_replicas),
        (Some(5), Some(1))
    );
    let region = cloud_cluster(&h).await["replicationSpecs"][0]["regionConfigs"][0].clone();
    assert_eq!(region["electableSpecs"]["nodeCount"], 5, "{region}");
    assert_eq!(region["readOnlySpecs"]["nodeCount"], 1, "{region}");
    assert_eq!(count(&h.atlas_calls().await, "updateCluster") - updates, 1);

    // When the major version goes up, then one updateCluster with mongoDBMajorVersion.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"engineVersion": "8.0"}}}),
    )
    .await;
    seen_in(&h, "orders", "Updating").await;
    h.wait_for::<DBInstance, _>("orders", "8.0 and Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        (st.at_provider.as_ref()?.engine_version.as_deref() == Some("8.0"))
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    assert_eq!(cloud_cluster(&h).await["mongoDbMajorVersion"], "8.0");
    assert_eq!(count(&h.atlas_calls().await, "updateCluster") - updates, 2);

    // When the spec asks for 7.0 again, then TerminalError names the field, no write.
    let before = h.atlas_calls().await;
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"engineVersion": "7.0"}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "").await;
    assert!(
        message.contains("spec.forProvider.engineVersion") && message.contains("from 8.0 to 7.0"),
        "{message}"
    );
    no_writes_since(&before, || h.atlas_calls()).await;
    h.kill_operator();
}

#[tokio::test]
async fn atlas_autoscaled_size_is_left_alone_and_shown_in_status() {
    let Some(mut h) = support::harness("inplace_autoscale", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(manifest(
        &h,
        json!({"regionId": "US_EAST_1", "engineVersion": "8.0", "instanceClass": "M10",
               "storageGB": 10, "atlas": {"providerName": "AWS", "autoScaling": {
                   "compute": {"enabled": true, "scaleDownEnabled": true,
                               "minInstanceSize": "M10", "maxInstanceSize": "M40"},
                   "diskGB": {"enabled": true}}}}),
    ))
    .await;
    ready(&h, "orders").await;
    let region = cloud_cluster(&h).await["replicationSpecs"][0]["regionConfigs"][0].clone();
    assert_eq!(
        region["autoScaling"]["compute"]["maxInstanceSize"], "M40",
        "{region}"
    );
    let updates = count(&h.atlas_calls().await, "updateCluster");

    // Given autoscaling on, when Atlas scales the cluster to M30 and 40 GB by itself, then the
    // status shows that size and the operator does not size it back.
    h.atlas_admin(
        &format!("/groups/{ATLAS_PROJECT}/clusters/orders"),
        json!({"instanceSize": "M30", "diskSizeGB": 40}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "the autoscaled size in status", LIMIT, |d| {
        let scaled = d
            .status
            .as_ref()?
            .at_provider
            .as_ref()?
            .auto_scaling
            .clone()?;
        (scaled.instance_class.as_deref() == Some("M30") && scaled.storage_gb == Some(40))
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let region = cloud_cluster(&h).await["replicationSpecs"][0]["regionConfigs"][0].clone();
    assert_eq!(region["electableSpecs"]["instanceSize"], "M30", "{region}");
    assert_eq!(
        count(&h.atlas_calls().await, "updateCluster"),
        updates,
        "no resize back"
    );

    // When autoscaling is switched off in the spec, then one updateCluster turns it off, and
    // only then is the spec's size put back.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"atlas": {"autoScaling": {
            "compute": {"enabled": false, "scaleDownEnabled": false, "minInstanceSize": null, "maxInstanceSize": null},
            "diskGB": {"enabled": false}}}}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "M10 again and Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        (st.at_provider.as_ref()?.instance_class.as_deref() == Some("M10"))
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    let region = cloud_cluster(&h).await["replicationSpecs"][0]["regionConfigs"][0].clone();
    assert_eq!(
        region["autoScaling"]["compute"]["enabled"], false,
        "{region}"
    );
    h.kill_operator();
}

#[tokio::test]
async fn aliyun_parameters_change_in_place_and_wait_for_an_explicit_restart() {
    let Some(mut h) = support::harness("inplace_parameters", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(manifest(
        &h,
        json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid",
               "storageGB": 20}),
    ))
    .await;
    ready(&h, "orders").await;

    // When two parameters are set, one of which the cloud applies only after a restart, then
    // one ModifyParameters sends both, the status names the one waiting, and nothing restarts.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"parameters": {
            "operationProfiling.mode": "slowOp", "net.serviceExecutor": "adaptive"}}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "a parameter pending restart", LIMIT, |d| {
        let at = d.status.as_ref()?.at_provider.as_ref()?;
        (at.parameters_pending_restart == ["net.serviceExecutor"]).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(h.calls_of("ModifyParameters").await, 1);
    assert_eq!(
        h.calls_of("RestartDBInstance").await,
        0,
        "no restart unasked"
    );

    // When a restart is requested, then it runs once and nothing waits any more.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"operations": {"restart": {"requestedAt": "2026-12-03T16:00:00Z"}}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "no parameter pending, Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        st.at_provider
            .as_ref()?
            .parameters_pending_restart
            .is_empty()
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    assert_eq!(h.calls_of("RestartDBInstance").await, 1);
    assert_eq!(h.calls_of("ModifyParameters").await, 1);

    // When a value the cloud does not allow is asked for, then the cloud's refusal is shown and
    // the rest of the instance is left alone.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"parameters": {"operationProfiling.mode": "sometimes"}}}}),
    )
    .await;
    let message = h
        .wait_for::<DBInstance, _>("orders", "Synced=False", LIMIT, |d| {
            let st = d.status.as_ref()?;
            has_condition(d, &st.conditions, "Synced", "False", None)?;
            support::condition(&st.conditions, "Synced").map(|c| c.message)
        })
        .await;
    assert!(message.contains("operationProfiling.mode"), "{message}");
    h.kill_operator();
}

/// An Aliyun replica set `orders` (with `extra` in its forProvider) Ready, its connection
/// Secret `orders-conn` written.
async fn ready_with_connection_secret(h: &mut Harness, extra: Value) {
    h.provider_config().await;
    h.start_operator(&[]);
    let mut for_provider = json!({"regionId": "cn-hangzhou", "engineVersion": "6.0",
                                  "instanceClass": "dds.mongo.mid", "storageGB": 20});
    if let (Some(fp), Some(extra)) = (for_provider.as_object_mut(), extra.as_object()) {
        fp.extend(extra.clone());
    }
    let mut body = manifest(h, for_provider);
    body["spec"]["writeConnectionSecretToRef"] = json!({"name": "orders-conn"});
    h.create::<DBInstance>(body).await;
    ready(h, "orders").await;
}

/// Sets one `spec.forProvider` field of `orders`.
async fn set_field(h: &Harness, field: &str, value: &str) {
    h.merge::<DBInstance>("orders", json!({"spec": {"forProvider": {field: value}}}))
        .await;
}

#[tokio::test]
async fn aliyun_public_address_is_opened_only_when_asked_and_published_in_the_secret() {
    let Some(mut h) = support::harness("inplace_public", TRANSITION_MS).await else {
        return;
    };
    ready_with_connection_secret(&mut h, json!({})).await;
    assert_eq!(
        h.calls_of("AllocatePublicNetworkAddress").await,
        0,
        "never unasked"
    );

    // When the spec says Enabled, then one AllocatePublicNetworkAddress, NET_CREATING is seen,
    // and the Secret gets the public host next to the private one.
    set_field(&h, "publicAddress", "Enabled").await;
    seen_in(&h, "orders", "NetCreating").await;
    let host = secret_key(&h, "orders-conn", "publicHost").await;
    assert!(host.ends_with("-pub.mongodb.rds.aliyuncs.com"), "{host}");
    assert_eq!(h.calls_of("AllocatePublicNetworkAddress").await, 1);

    // When it says Disabled, then it is released and the public keys leave the Secret.
    set_field(&h, "publicAddress", "Disabled").await;
    secret_key_gone(&h, "orders-conn", "publicHost").await;
    assert_eq!(h.calls_of("ReleasePublicNetworkAddress").await, 1);
    h.kill_operator();
}

#[tokio::test]
async fn aliyun_srv_address_is_allocated_only_when_asked_and_published_in_the_secret() {
    let Some(mut h) = support::harness("inplace_srv", TRANSITION_MS).await else {
        return;
    };
    ready_with_connection_secret(&mut h, json!({"storageType": "cloud_essd1"})).await;
    assert_eq!(
        h.calls_of("AllocateDBInstanceSrvNetworkAddress").await,
        0,
        "never unasked"
    );

    // When the spec says Enabled, then one AllocateDBInstanceSrvNetworkAddress, NET_CREATING is
    // seen, and the Secret and the status get the mongodb+srv:// address.
    set_field(&h, "srvAddress", "Enabled").await;
    seen_in(&h, "orders", "NetCreating").await;
    let srv = secret_key(&h, "orders-conn", "connectionStringSrv").await;
    assert!(
        srv.starts_with("mongodb+srv://") && srv.ends_with("-srv.mongodb.rds.aliyuncs.com"),
        "{srv}"
    );
    let shown = h
        .wait_for::<DBInstance, _>("orders", "the SRV address in status", LIMIT, |d| {
            d.status
                .as_ref()?
                .at_provider
                .as_ref()?
                .srv_connection_string
                .clone()
        })
        .await;
    assert_eq!(shown, srv);
    assert_eq!(h.calls_of("AllocateDBInstanceSrvNetworkAddress").await, 1);

    // When it says Disabled, then it is released and the key leaves the Secret.
    set_field(&h, "srvAddress", "Disabled").await;
    secret_key_gone(&h, "orders-conn", "connectionStringSrv").await;
    assert_eq!(h.calls_of("ReleaseNodePrivateNetworkAddress").await, 1);
    assert_eq!(h.calls_of("AllocateDBInstanceSrvNetworkAddress").await, 1);
    h.kill_operator();
}

#[tokio::test]
async fn aliyun_disk_type_goes_to_cloud_auto_only_from_forty_gb() {
    let Some(mut h) = support::harness("inplace_disk", TRANSITION_MS).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(manifest(
        &h,
        json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid",
               "storageGB": 20, "storageType": "cloud_essd1"}),
    ))
    .await;
    let d = ready(&h, "orders").await;
    let id = d.status.and_then(|s| s.instance_id).expect("instance id");

    // Given a 20 GB ESSD disk, when the spec asks for cloud_auto alone, then TerminalError
    // names the field and the rule, and nothing is written.
    let before = writes(&h.calls().await);
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"storageType": "cloud_auto"}}}),
    )
    .await;
    let message = terminal_message(&h, "orders", "").await;
    assert!(
        message.contains("spec.forProvider.storageType") && message.contains("40 GB"),
        "{message}"
    );
    assert_eq!(writes(&h.calls().await), before, "no cloud write");

    // When the storage goes to 40 GB as well, then the storage is raised first and the disk
    // type follows in one ModifyDBInstanceDiskType.
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"storageGB": 40}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "cloud_auto and Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        (st.at_provider.as_ref()?.storage_type.as_deref() == Some("cloud_auto"))
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    let cloud = cloud_instance(&h, &id).await;
    assert_eq!(
        (cloud["storageType"].as_str(), cloud["storageGb"].as_i64()),
        (Some("cloud_auto"), Some(40)),
        "{cloud}"
    );
    assert_eq!(h.calls_of("ModifyDBInstanceSpec").await, 1);
    assert_eq!(h.calls_of("ModifyDBInstanceDiskType").await, 1);
}
