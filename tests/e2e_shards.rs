//! Shards end to end on the real API server: two shard operators (shard `a` with a standby)
//! own disjoint objects by label, each object is written by its shard only, a sub-resource
//! pointing into the other shard is refused without a call, and killing shard `a`'s leader in
//! the middle of a create wave hands over to its standby within the lease duration + 5 s,
//! without duplicate instances and without touching shard `b`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::Lease;
use kube::ResourceExt;
use kube::api::Api;
use mongocloud_operator::api::{DBInstance, SecurityIpList};
use serde_json::{Value, json};
use support::{ExtraOperator, Harness, has_condition};

const LEASE_SECS: u64 = 4;

fn in_shard(mut manifest: Value, shard: &str) -> Value {
    manifest["metadata"]["labels"] = json!({"mongocloud.dev/shard": shard});
    manifest
}

/// An operator process of `shard`, electing its leader, known to the Lease as `identity`.
fn shard_operator(h: &Harness, shard: &str, identity: &str) -> ExtraOperator {
    let lease = format!("{LEASE_SECS}s");
    h.spawn_extra_operator(
        identity,
        &[("POD_NAME", identity)],
        &[
            "--shard",
            shard,
            "--leader-elect",
            "--leader-election-namespace",
            &h.ns,
            "--lease-duration",
            &lease,
        ],
    )
}

async fn lease_holder(h: &Harness, shard: &str) -> Option<(String, i32)> {
    let lease = Api::<Lease>::namespaced(h.client.clone(), &h.ns)
        .get_opt(&format!("mongocloud-operator-{shard}"))
        .await
        .expect("read Lease")?;
    let spec = lease.spec?;
    Some((spec.holder_identity?, spec.lease_transitions.unwrap_or(0)))
}

async fn wait_for_holder(h: &Harness, shard: &str, identity: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let holder = lease_holder(h, shard).await;
        if holder.as_ref().is_some_and(|(who, _)| who == identity) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "shard {shard}: {identity} does not hold the Lease after {limit:?} (holder {holder:?})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn wait_ready(h: &Harness, name: &str, ops: &[&ExtraOperator]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let obj = h.api::<DBInstance>().get_opt(name).await.expect("read");
        if obj.as_ref().is_some_and(|d| {
            d.status
                .as_ref()
                .is_some_and(|s| has_condition(d, &s.conditions, "Ready", "True", None).is_some())
        }) {
            return;
        }
        if Instant::now() > deadline {
            let logs: Vec<String> = ops.iter().map(|o| o.log_tail(30)).collect();
            panic!(
                "{name} not Ready after 60 s: {obj:#?}\n--- calls ---\n{}\n--- operator logs ---\n{}",
                h.calls().await,
                logs.join("\n---\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The field managers of this operator (any shard) that wrote the object.
fn writers<K: kube::Resource>(obj: &K) -> BTreeSet<String> {
    obj.meta()
        .managed_fields
        .iter()
        .flatten()
        .filter_map(|f| f.manager.clone())
        .filter(|m| m.starts_with("mongocloud-operator"))
        .collect()
}

/// Cloud instances by the `mongocloud-uid` tag, with their shard tag.
async fn cloud_by_uid(h: &Harness) -> BTreeMap<String, Vec<Option<String>>> {
    let mut by_uid: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
    for (_, instance) in h.cloud_instances().await {
        let tags = &instance["tags"];
        let uid = tags["mongocloud-uid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let shard = tags["mongocloud-shard"].as_str().map(str::to_owned);
        by_uid.entry(uid).or_default().push(shard);
    }
    by_uid
}

#[tokio::test]
async fn shards_own_disjoint_objects_and_a_standby_takes_over_without_duplicates() {
    let Some(h) = support::harness("e2e_shards", 1000).await else {
        return;
    };
    h.provider_config().await;

    // Given shard a (a-1 leading, a-2 standing by) and shard b.
    let mut a1 = shard_operator(&h, "a", "a-1");
    wait_for_holder(&h, "a", "a-1", Duration::from_secs(20)).await;
    let a2 = shard_operator(&h, "a", "a-2");
    let b1 = shard_operator(&h, "b", "b-1");
    wait_for_holder(&h, "b", "b-1", Duration::from_secs(20)).await;

    let first: Vec<(String, &str)> = (0..3)
        .flat_map(|i| [(format!("a-db-{i}"), "a"), (format!("b-db-{i}"), "b")])
        .collect();
    for (name, shard) in &first {
        h.create::<DBInstance>(in_shard(h.small_dbinstance(name), shard))
            .await;
    }
    // Nobody owns an object without the label when every operator is a shard.
    h.create::<DBInstance>(h.small_dbinstance("nobodys")).await;
    // A sub-resource in shard a naming shard b's instance is refused, naming both labels.
    let cross = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "SecurityIpList",
        "metadata": {"name": "cross"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"dbInstanceRef": {"name": "b-db-0"}, "groupName": "cross",
                                 "entries": [{"ip": "10.0.0.1"}]}}});
    h.create::<SecurityIpList>(in_shard(cross, "a")).await;

    let ops = [&a1, &a2, &b1];
    for (name, _) in &first {
        wait_ready(&h, name, &ops).await;
    }
    let refused = h
        .wait_for::<SecurityIpList, _>(
            "cross",
            "Synced=False naming the shards",
            Duration::from_secs(20),
            |o| {
                let synced = support::condition(&o.status.as_ref()?.conditions, "Synced")?;
                (synced.status == "False" && synced.message.contains("is in shard \"b\""))
                    .then_some(synced.message)
            },
        )
        .await;
    assert!(refused.contains("mongocloud.dev/shard"), "{refused}");
    assert_eq!(
        h.calls_of("ModifySecurityIps").await,
        0,
        "a refused reference makes no call"
    );
    assert_eq!(h.calls_of("DescribeSecurityIps").await, 0, "nor reads");

    // Then each object was written by its own shard only, and its instance carries the tag.
    for (name, shard) in &first {
        let obj = h.api::<DBInstance>().get(name).await.expect("read");
        let expected = BTreeSet::from([format!("mongocloud-operator/{shard}")]);
        assert_eq!(writers(&obj), expected, "{name}");
    }
    let nobodys = h.api::<DBInstance>().get("nobodys").await.expect("read");
    assert!(
        nobodys.status.is_none() && writers(&nobodys).is_empty(),
        "{nobodys:#?}"
    );
    let by_uid = cloud_by_uid(&h).await;
    for (name, shard) in &first {
        let uid = h
            .api::<DBInstance>()
            .get(name)
            .await
            .expect("read")
            .uid()
            .expect("uid");
        assert_eq!(
            by_uid.get(&uid),
            Some(&vec![Some(shard.to_string())]),
            "{name}"
        );
    }

    // When shard a's leader is killed right after a create wave starts.
    let b_before: BTreeMap<String, String> = h
        .api::<DBInstance>()
        .list(&kube::api::ListParams::default().labels("mongocloud.dev/shard=b"))
        .await
        .expect("list b")
        .items
        .iter()
        .map(|d| (d.name_any(), d.resource_version().unwrap_or_default()))
        .collect();
    let b_lease = lease_holder(&h, "b").await.expect("b's lease");
    let creates_before = h.calls_of("CreateDBInstance").await;
    let wave: Vec<String> = (3..9).map(|i| format!("a-db-{i}")).collect();
    for name in &wave {
        h.create::<DBInstance>(in_shard(h.small_dbinstance(name), "a"))
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while h.calls_of("CreateDBInstance").await == creates_before {
        assert!(
            Instant::now() < deadline,
            "shard a sent no create of the wave"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a1.kill();
    let killed = Instant::now();

    // Then the standby leads within the lease duration + 5 s, and finishes the wave.
    let limit = Duration::from_secs(LEASE_SECS + 5);
    wait_for_holder(&h, "a", "a-2", limit).await;
    let takeover = killed.elapsed();
    println!(
        "shard a: standby leads {:.1} s after its leader was killed (limit {limit:?}); {} of {} creates sent before the kill",
        takeover.as_secs_f64(),
        h.calls_of("CreateDBInstance").await - creates_before,
        wave.len()
    );
    let ops = [&a2, &b1];
    for name in &wave {
        wait_ready(&h, name, &ops).await;
    }

    // No duplicate creates: one instance per object, each tagged with its shard.
    let by_uid = cloud_by_uid(&h).await;
    let objects = h
        .api::<DBInstance>()
        .list(&Default::default())
        .await
        .expect("list");
    let managed: Vec<&DBInstance> = objects
        .items
        .iter()
        .filter(|d| d.name_any() != "nobodys")
        .collect();
    assert_eq!(
        by_uid.len(),
        managed.len(),
        "one instance per object: {by_uid:#?}"
    );
    for obj in managed {
        let shard = obj.labels().get("mongocloud.dev/shard").cloned();
        let uid = obj.uid().expect("uid");
        assert_eq!(
            by_uid.get(&uid),
            Some(&vec![shard.clone()]),
            "{}",
            obj.name_any()
        );
        let expected =
            BTreeSet::from([format!("mongocloud-operator/{}", shard.unwrap_or_default())]);
        assert_eq!(writers(obj), expected, "{}", obj.name_any());
    }

    // Shard b saw no change: same leader, no new transition, its objects not written.
    assert_eq!(
        lease_holder(&h, "b").await,
        Some(b_lease),
        "shard b's Lease"
    );
    for (name, version) in &b_before {
        let now = h.api::<DBInstance>().get(name).await.expect("read");
        assert_eq!(
            now.resource_version().as_ref(),
            Some(version),
            "{name} was written during a's fail-over"
        );
    }

    // When b's instance that the cross-shard list names is relabelled into shard a.
    let creates = h.calls_of("CreateDBInstance").await;
    h.merge::<DBInstance>(
        "b-db-0",
        json!({"metadata": {"labels": {"mongocloud.dev/shard": "a"}}}),
    )
    .await;
    // Then the list that waited for it goes ahead without a touch.
    h.wait_for::<SecurityIpList, _>("cross", "Ready=True", Duration::from_secs(30), |o| {
        has_condition(o, &o.status.as_ref()?.conditions, "Ready", "True", None)
    })
    .await;
    // And a spec change of the moved object is made by its new shard.
    h.merge::<DBInstance>(
        "b-db-0",
        json!({"spec": {"forProvider": {"description": "moved"}}}),
    )
    .await;
    let id = h
        .api::<DBInstance>()
        .get("b-db-0")
        .await
        .expect("read")
        .status
        .and_then(|s| s.instance_id)
        .expect("id");
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.cloud_instances().await[&id]["description"] != "moved" {
        assert!(
            Instant::now() < deadline,
            "the moved object's change never reached the cloud\n{}",
            a2.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Written by its new shard (a status equal to the one stored is not written again, so the
    // move alone shows no write).
    h.wait_for::<DBInstance, _>(
        "b-db-0",
        "a write by shard a",
        Duration::from_secs(30),
        |d| writers(d).contains("mongocloud-operator/a").then_some(()),
    )
    .await;
    assert_eq!(
        h.calls_of("CreateDBInstance").await,
        creates,
        "a move creates nothing"
    );
    assert_eq!(
        cloud_by_uid(&h).await.len(),
        by_uid.len(),
        "still one instance per object"
    );
}
