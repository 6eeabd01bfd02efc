//! DBInstance and ProviderConfig end to end: the real API server, the operator binary, the
//! emulator as the cloud. Cloud-side facts come from the emulator, never from our own status.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams};
use mongocloud_operator::api::{DBInstance, ProviderConfig};
use serde_json::{Value, json};
use support::{Harness, has_condition};

const LIMIT: Duration = Duration::from_secs(30);

fn dbinstance(h: &Harness, name: &str, extra: Value) -> Value {
    let mut spec = json!({
        "providerConfigRef": {"name": h.pc},
        "forProvider": {
            "regionId": "cn-hangzhou", "zoneId": "cn-hangzhou-h", "engineVersion": "6.0",
            "instanceClass": "dds.mongo.mid", "storageGB": 20, "description": "orders",
            "maintenanceWindow": {"startTime": "02:00Z", "endTime": "03:00Z"},
            "accountPasswordSecretRef": {"name": "root-password", "key": "password"}
        },
        "writeConnectionSecretToRef": {"name": format!("{name}-conn")}
    });
    merge_json(&mut spec, extra);
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name}, "spec": spec})
}

fn merge_json(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => {
            for (k, v) in e {
                merge_json(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

async fn password_secret(h: &Harness) {
    let s: Secret = serde_json::from_value(json!({"metadata": {"name": "root-password", "namespace": h.ns}, "stringData": {"password": "S3cret-pass!"}})).expect("secret");
    h.api::<Secret>()
        .patch(
            "root-password",
            &PatchParams::apply("t").force(),
            &Patch::Apply(&s),
        )
        .await
        .expect("secret");
}

async fn ready(h: &Harness, name: &str) -> DBInstance {
    h.wait_for::<DBInstance, _>(name, "Ready=True", LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Ready", "True", None).map(|()| d.clone())
    })
    .await
}

/// Given a ProviderConfig and a DBInstance, the instance is created once, followed to Running,
/// and its connection Secret written.
async fn given_ready(test: &str) -> Option<(Harness, DBInstance)> {
    let mut h = support::harness(test, 300).await?;
    h.provider_config().await;
    password_secret(&h).await;
    h.start_operator(&[]);
    h.create::<DBInstance>(dbinstance(&h, "orders", json!({})))
        .await;
    let d = ready(&h, "orders").await;
    Some((h, d))
}

#[tokio::test]
async fn applied_dbinstance_becomes_ready_with_connection_secret() {
    let Some((h, d)) = given_ready("ready").await else {
        return;
    };
    let status = d.status.clone().expect("status");
    let id = status.instance_id.clone().expect("instance id recorded");
    assert_eq!(
        status.at_provider.as_ref().map(|a| a.status.as_str()),
        Some("Running")
    );
    let cloud = h.cloud_instances().await;
    assert_eq!(cloud.len(), 1, "exactly one instance in the cloud");
    assert_eq!(cloud[&id]["description"], "orders");
    let secret = h
        .api::<Secret>()
        .get("orders-conn")
        .await
        .expect("connection secret");
    let data = secret.data.expect("data");
    let text = |k: &str| String::from_utf8(data[k].0.clone()).expect("utf8");
    assert_eq!(text("host"), format!("{id}1.mongodb.rds.aliyuncs.com"));
    assert_eq!(text("port"), "3717");
    assert_eq!(text("password"), "S3cret-pass!");
    assert!(
        text("connectionString").starts_with("mongodb://")
            && !text("connectionString").contains("S3cret")
    );
    let calls = h.calls().await;
    println!("calls from apply to Ready: {calls}");
    assert_eq!(calls["actions"]["CreateDBInstance"], 1);
}

#[tokio::test]
async fn class_and_window_change_make_one_call_each() {
    let Some((h, _)) = given_ready("modify").await else {
        return;
    };
    let (spec_before, window_before) = (
        h.calls_of("ModifyDBInstanceSpec").await,
        h.calls_of("ModifyDBInstanceMaintainTime").await,
    );
    h.merge::<DBInstance>("orders", json!({"spec": {"forProvider": {"instanceClass": "dds.mongo.large", "maintenanceWindow": {"startTime": "04:00Z", "endTime": "05:00Z"}}}})).await;
    h.wait_for::<DBInstance, _>("orders", "DBInstanceClassChanging", LIMIT, |d| {
        (d.status.as_ref()?.at_provider.as_ref()?.status == "DBInstanceClassChanging").then_some(())
    })
    .await;
    let d = h
        .wait_for::<DBInstance, _>(
            "orders",
            "Ready with the new class and window",
            LIMIT,
            |d| {
                let st = d.status.as_ref()?;
                let at = st.at_provider.as_ref()?;
                let done = at.instance_class.as_deref() == Some("dds.mongo.large")
                    && at
                        .maintenance_window
                        .as_ref()
                        .is_some_and(|w| w.start_time == "04:00Z");
                (done && has_condition(d, &st.conditions, "Ready", "True", None).is_some())
                    .then(|| d.clone())
            },
        )
        .await;
    assert!(
        has_condition(
            &d,
            &d.status.clone().expect("s").conditions,
            "Synced",
            "True",
            None
        )
        .is_some()
    );
    assert_eq!(h.calls_of("ModifyDBInstanceSpec").await - spec_before, 1);
    assert_eq!(
        h.calls_of("ModifyDBInstanceMaintainTime").await - window_before,
        1
    );
}

#[tokio::test]
async fn region_change_is_terminal_and_makes_no_cloud_write() {
    let Some((h, _)) = given_ready("immutable").await else {
        return;
    };
    let before = h.calls().await;
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"regionId": "cn-beijing"}}}),
    )
    .await;
    let message = h
        .wait_for::<DBInstance, _>("orders", "Synced=False TerminalError", LIMIT, |d| {
            let st = d.status.as_ref()?;
            has_condition(d, &st.conditions, "Synced", "False", Some("TerminalError"))?;
            support::condition(&st.conditions, "Synced").map(|c| c.message)
        })
        .await;
    assert!(message.contains("spec.forProvider.regionId"), "{message}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = h.calls().await;
    let writes = |calls: &Value| {
        calls["actions"]
            .as_object()
            .map(|a| {
                a.iter()
                    .filter(|(k, _)| !k.starts_with("Describe") && !k.starts_with("List"))
                    .map(|(_, v)| v.as_u64().unwrap_or(0))
                    .sum::<u64>()
            })
            .unwrap_or(0)
    };
    assert_eq!(
        writes(&after),
        writes(&before),
        "no mutating call: before {before}, after {after}"
    );
}

#[tokio::test]
async fn description_changed_in_the_console_is_put_back() {
    let Some((h, d)) = given_ready("drift").await else {
        return;
    };
    let id = d.status.and_then(|s| s.instance_id).expect("id");
    h.edit_in_cloud(&id, json!({"description": "edited in console"}))
        .await;
    h.wait_for::<DBInstance, _>("orders", "drift corrected", Duration::from_secs(15), |_| {
        Some(())
    })
    .await;
    for _ in 0..100 {
        if h.cloud_instances().await[&id]["description"] == "orders" {
            assert_eq!(h.calls_of("ModifyDBInstanceDescription").await, 1);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "description not corrected within the drift interval\n{}",
        h.log_tail(30)
    );
}

/// A create that got its answer costs no lookup: with per-resource polling (where
/// DescribeDBInstances is only the UID-tag lookup) apply → Ready lists nothing, for a Delete
/// and an Orphan object alike.
#[tokio::test]
async fn a_create_whose_answer_arrived_makes_no_tag_lookup() {
    let Some(mut h) = support::harness("no-lookup", 300).await else {
        return;
    };
    h.provider_config().await;
    password_secret(&h).await;
    h.start_operator(&["--no-batching"]);
    h.create::<DBInstance>(dbinstance(&h, "orders", json!({})))
        .await;
    h.create::<DBInstance>(dbinstance(&h, "kept", json!({"deletionPolicy": "Orphan"})))
        .await;
    for name in ["orders", "kept"] {
        let d = ready(&h, name).await;
        assert_eq!(d.status.and_then(|s| s.create_pending), None, "{name}");
    }
    let calls = h.calls().await;
    println!("calls from apply to Ready, per-resource polling: {calls}");
    assert_eq!(calls["actions"]["CreateDBInstance"], 2);
    assert_eq!(
        calls["actions"].get("DescribeDBInstances"),
        None,
        "no UID lookup on the happy path: {calls}"
    );
}

#[tokio::test]
async fn operator_killed_right_after_create_makes_one_instance() {
    let Some(mut h) = support::harness("crash", 1000).await else {
        return;
    };
    h.provider_config().await;
    password_secret(&h).await;
    h.start_operator(&[]);
    h.create::<DBInstance>(dbinstance(&h, "orders", json!({})))
        .await;
    for _ in 0..300 {
        if h.calls_of("CreateDBInstance").await > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.kill_operator();
    h.restart_operator();
    ready(&h, "orders").await;
    assert_eq!(
        h.cloud_instances().await.len(),
        1,
        "still exactly one instance"
    );
}

#[tokio::test]
async fn deleted_while_its_create_answer_was_lost_the_instance_is_deleted_too() {
    let Some(mut h) = support::harness("lost-create-delete", 300).await else {
        return;
    };
    h.provider_config().await;
    password_secret(&h).await;
    // The create is applied, its answer held past the operator's life.
    let held = reqwest::Client::new()
        .post(format!("{}/_emulator/delays", h.emulator.url()))
        .json(&json!({"action": "CreateDBInstance", "ms": 20_000, "count": 5}))
        .send()
        .await
        .expect("admin");
    assert!(held.status().is_success());
    h.start_operator(&[]);
    h.create::<DBInstance>(dbinstance(
        &h,
        "doomed",
        json!({"deletionPolicy": "Delete"}),
    ))
    .await;
    for _ in 0..500 {
        if !h.cloud_instances().await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.kill_operator();
    let killed = h.api::<DBInstance>().get("doomed").await.expect("object");
    assert_eq!(
        killed.status.as_ref().and_then(|s| s.instance_id.clone()),
        None,
        "the id was never recorded"
    );
    assert_eq!(h.cloud_instances().await.len(), 1, "the create was applied");

    h.api::<DBInstance>()
        .delete("doomed", &DeleteParams::default())
        .await
        .expect("delete");
    h.restart_operator();
    h.wait_gone::<DBInstance>("doomed", Duration::from_secs(60))
        .await;
    assert!(
        h.cloud_instances().await.is_empty(),
        "the instance found by its UID tag was deleted, not leaked"
    );
    assert_eq!(h.calls_of("DeleteDBInstance").await, 1);
}

#[tokio::test]
async fn restart_runs_once_and_not_again_after_operator_restart() {
    let Some((mut h, _)) = given_ready("restart").await else {
        return;
    };
    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"operations": {"restart": {"requestedAt": "2026-11-24T10:00:00Z"}}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "restart recorded", LIMIT, |d| {
        (d.status.as_ref()?.operations.as_ref()?.restart.as_deref() == Some("2026-11-24T10:00:00Z"))
            .then_some(())
    })
    .await;
    ready(&h, "orders").await;
    h.restart_operator();
    tokio::time::sleep(Duration::from_secs(3)).await;
    ready(&h, "orders").await;
    assert_eq!(h.calls_of("RestartDBInstance").await, 1);
}

#[tokio::test]
async fn orphan_keeps_the_instance_and_delete_removes_it() {
    let Some((h, d)) = given_ready("delete").await else {
        return;
    };
    let orphan_id = d.status.and_then(|s| s.instance_id).expect("id");
    h.api::<DBInstance>()
        .delete("orders", &DeleteParams::default())
        .await
        .expect("delete");
    h.wait_gone::<DBInstance>("orders", LIMIT).await;
    assert!(
        h.cloud_instances().await.contains_key(&orphan_id),
        "Orphan keeps the cloud instance"
    );

    h.create::<DBInstance>(dbinstance(
        &h,
        "doomed",
        json!({"deletionPolicy": "Delete"}),
    ))
    .await;
    let d = ready(&h, "doomed").await;
    let id = d.status.and_then(|s| s.instance_id).expect("id");
    h.api::<DBInstance>()
        .delete("doomed", &DeleteParams::default())
        .await
        .expect("delete");
    h.wait_gone::<DBInstance>("doomed", LIMIT).await;
    assert!(
        !h.cloud_instances().await.contains_key(&id),
        "Delete released the instance"
    );
    assert_eq!(h.calls_of("DeleteDBInstance").await, 1);
}

#[tokio::test]
async fn prepaid_delete_is_refused_with_a_way_out() {
    let Some(mut h) = support::harness("prepaid", 300).await else {
        return;
    };
    h.provider_config().await;
    password_secret(&h).await;
    h.start_operator(&[]);
    h.create::<DBInstance>(dbinstance(
        &h,
        "sub",
        json!({"deletionPolicy": "Delete", "forProvider": {"chargeType": "PrePaid", "period": 1}}),
    ))
    .await;
    ready(&h, "sub").await;
    h.api::<DBInstance>()
        .delete("sub", &DeleteParams::default())
        .await
        .expect("delete");
    let message = h
        .wait_for::<DBInstance, _>("sub", "a condition explaining the refusal", LIMIT, |d| {
            let c = support::condition(&d.status.as_ref()?.conditions, "Synced")?;
            (c.status == "False" && c.message.contains("ChargeTypeViolation")).then_some(c.message)
        })
        .await;
    assert!(message.contains("deletionPolicy to Orphan"), "{message}");
    let first = h.calls_of("DeleteDBInstance").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let later = h.calls_of("DeleteDBInstance").await;
    assert!(
        later - first <= 3,
        "no hot loop: {first} then {later} DeleteDBInstance calls in 4 s"
    );
    h.merge::<DBInstance>("sub", json!({"spec": {"deletionPolicy": "Orphan"}}))
        .await;
    h.wait_gone::<DBInstance>("sub", LIMIT).await;
    assert_eq!(
        h.cloud_instances().await.len(),
        1,
        "the subscription instance is kept"
    );
}

#[tokio::test]
async fn wrong_credentials_block_then_a_fixed_secret_recovers() {
    let Some(mut h) = support::harness("creds", 300).await else {
        return;
    };
    h.provider_config().await;
    h.credentials("not-the-secret").await;
    password_secret(&h).await;
    h.start_operator(&[]);
    h.create::<DBInstance>(dbinstance(&h, "orders", json!({})))
        .await;
    let pcs = kube::Api::<ProviderConfig>::all(h.client.clone());
    let mut reason = String::new();
    for _ in 0..100 {
        let pc = pcs.get(&h.pc).await.expect("pc");
        if let Some(c) = pc
            .status
            .as_ref()
            .and_then(|s| support::condition(&s.conditions, "Ready"))
            .filter(|c| c.status == "False")
        {
            reason = c.reason;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reason, "InvalidCredentials");
    let message = h
        .wait_for::<DBInstance, _>(
            "orders",
            "Synced=False pointing at the ProviderConfig",
            LIMIT,
            |d| {
                let c = support::condition(&d.status.as_ref()?.conditions, "Synced")?;
                (c.reason == "WaitingForProviderConfig" && c.message.contains("InvalidCredentials"))
                    .then_some(c.message)
            },
        )
        .await;
    assert!(message.contains(&h.pc), "{message}");
    assert!(
        !message.contains("not-the-secret"),
        "the secret never appears in status"
    );
    assert_eq!(h.cloud_instances().await.len(), 0);
    h.credentials(support::KEY_SECRET).await;
    ready(&h, "orders").await;
}

#[tokio::test]
async fn everything_converges_under_a_thirty_percent_fault_rate() {
    let config = mongocloud_operator::emulator::Config {
        transition: Duration::from_millis(300),
        faults: mongocloud_operator::emulator::faults::Plan {
            rate: 0.3,
            ..Default::default()
        },
        fault_seed: 42,
        ..Default::default()
    };
    let Some(mut h) = support::harness_with("faults", config).await else {
        return;
    };
    h.provider_config().await;
    password_secret(&h).await;
    h.start_operator(&[]);
    for name in ["a", "b", "c"] {
        h.create::<DBInstance>(dbinstance(&h, name, json!({})))
            .await;
    }
    for name in ["a", "b", "c"] {
        h.wait_for::<DBInstance, _>(
            name,
            "Ready=True despite faults",
            Duration::from_secs(90),
            |d| {
                let st = d.status.as_ref()?;
                has_condition(d, &st.conditions, "Ready", "True", None)
            },
        )
        .await;
    }
    h.merge::<DBInstance>(
        "a",
        json!({"spec": {"forProvider": {"instanceClass": "dds.mongo.large"}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>(
        "a",
        "class changed despite faults",
        Duration::from_secs(90),
        |d| {
            let st = d.status.as_ref()?;
            (st.at_provider.as_ref()?.instance_class.as_deref() == Some("dds.mongo.large")
                && has_condition(d, &st.conditions, "Ready", "True", None).is_some())
            .then_some(())
        },
    )
    .await;
    assert_eq!(
        h.cloud_instances().await.len(),
        3,
        "no duplicate instance despite lost answers"
    );
    let calls = h.calls().await;
    println!("calls for 3 instances + 1 change at 30% faults: {calls}");
    assert!(
        calls["total"].as_u64().unwrap_or(0) < 400,
        "cloud calls stay bounded: {calls}"
    );
}

/// The resource version of `orders` once the writes that follow its Ready have landed.
async fn settled_version(api: &kube::Api<DBInstance>) -> Option<String> {
    tokio::time::sleep(Duration::from_secs(2)).await;
    api.get("orders")
        .await
        .expect("get")
        .metadata
        .resource_version
}

/// A restarted operator finds a steady instance as it was: while the new process checks the
/// ProviderConfig again, the object is not flipped to `WaitingForProviderConfig` (the account is
/// merely not checked yet), and nothing at all is written to it.
#[tokio::test]
async fn an_operator_restart_writes_nothing_to_a_steady_instance() {
    let Some((mut h, _)) = given_ready("restart").await else {
        return;
    };
    let api = h.api::<DBInstance>();
    let before = settled_version(&api).await;
    h.restart_operator();
    // The new process reconciles every object at start; give it two drift intervals (3 s).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = api.get("orders").await.expect("get");
    assert_eq!(
        after.metadata.resource_version,
        before,
        "a restart rewrote the status: {:#?}\n{}",
        after.status.map(|s| s.conditions),
        h.log_tail(40)
    );
}

/// The operator caches DBInstances without `status.atProvider` (it is rebuilt by every
/// observation): a steady instance's status is still never rewritten, and a reconcile that
/// cannot observe (the credentials broke) changes its conditions but keeps the last observation.
#[tokio::test]
async fn steady_status_is_not_rewritten_and_an_unobserved_reconcile_keeps_at_provider() {
    let Some((h, _)) = given_ready("cachedform").await else {
        return;
    };
    let api = h.api::<DBInstance>();
    let settled = settled_version(&api).await;
    // Three drift intervals (3 s each): the object is reconciled, nothing is written.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let steady = api.get("orders").await.expect("get");
    assert_eq!(
        steady.metadata.resource_version, settled,
        "a steady instance's status is not rewritten"
    );

    h.credentials("not-the-secret").await;
    let waiting = h
        .wait_for::<DBInstance, _>(
            "orders",
            "Synced=False waiting for the ProviderConfig",
            LIMIT,
            |d| {
                let st = d.status.as_ref()?;
                let c = support::condition(&st.conditions, "Synced")?;
                (c.reason == "WaitingForProviderConfig").then(|| d.clone())
            },
        )
        .await;
    let status = waiting.status.expect("status");
    assert_eq!(
        status.at_provider.as_ref().map(|a| a.status.as_str()),
        Some("Running"),
        "the last observation stays while nothing can be observed"
    );
    assert!(
        support::condition(&status.conditions, "Ready").is_some_and(|c| c.status == "True"),
        "Ready keeps its last observed value"
    );
}
