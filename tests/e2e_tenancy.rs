//! Tenancy on the real API server: a ProviderConfig with `spec.allowedNamespaces` serves the
//! namespaces it allows (by label, then by name) and refuses every other one with
//! `Synced=False, ProviderConfigNotAllowed`, at the cost of zero cloud calls (counted by the
//! emulator), also when such a resource with `deletionPolicy: Delete` is deleted.

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use mongocloud_operator::api::{DBInstance, ProviderConfig};
use serde_json::{Value, json};
use support::{Harness, condition, has_condition};

/// Cloud calls made for resources: every action but DescribeRegions, the ProviderConfig's own
/// credential check (it runs again whenever its Secret or spec changes).
fn total(calls: &Value) -> u64 {
    calls["actions"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(action, _)| action.as_str() != "DescribeRegions")
                .filter_map(|(_, n)| n.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

/// Polls the object in `ns` until `check` holds; panics with the object and the log tail.
async fn wait_in(
    h: &Harness,
    api: &Api<DBInstance>,
    name: &str,
    what: &str,
    check: impl Fn(Option<&DBInstance>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let obj = api.get_opt(name).await.expect("read");
        if check(obj.as_ref()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} for {name}: {obj:#?}\n--- operator log ---\n{}",
            h.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn synced_reason(d: Option<&DBInstance>) -> Option<(String, String)> {
    let c = condition(&d?.status.as_ref()?.conditions, "Synced")?;
    Some((c.reason, c.message))
}

#[tokio::test]
async fn a_namespace_not_allowed_gets_synced_false_and_makes_no_cloud_call() {
    let Some(mut h) = support::harness("tenancy", 300).await else {
        return;
    };
    let other = format!("{}-other", h.ns);
    let namespaces = Api::<Namespace>::all(h.client.clone());
    let ns: Namespace =
        serde_json::from_value(json!({"metadata": {"name": other}})).expect("namespace");
    namespaces
        .create(&PostParams::default(), &ns)
        .await
        .expect("second namespace");
    // The test's own namespace is allowed by label, the other one not at all (yet).
    namespaces
        .patch(
            &h.ns,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"mongocloud.dev/tenant": "payments"}}})),
        )
        .await
        .expect("label");
    h.provider_config().await;
    let pcs = Api::<ProviderConfig>::all(h.client.clone());
    pcs.patch(
        &h.pc,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"allowedNamespaces": {
            "namespaceSelector": {"matchLabels": {"mongocloud.dev/tenant": "payments"}}
        }}})),
    )
    .await
    .expect("allowedNamespaces");
    h.start_operator(&["--namespaces", &other]);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let pc = pcs.get(&h.pc).await.expect("pc");
        let ready = pc
            .status
            .as_ref()
            .and_then(|s| condition(&s.conditions, "Ready"))
            .is_some_and(|c| c.status == "True");
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "ProviderConfig not Ready: {pc:#?}\n{}",
            h.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = total(&h.calls().await);

    // Disallowed: Synced=False naming the ProviderConfig and the namespace; no cloud call.
    let elsewhere: Api<DBInstance> = Api::namespaced(h.client.clone(), &other);
    let mut manifest = h.small_dbinstance("db");
    manifest["metadata"]["namespace"] = json!(other);
    manifest["spec"]["deletionPolicy"] = json!("Delete");
    let obj: DBInstance = serde_json::from_value(manifest).expect("dbi");
    elsewhere
        .create(&PostParams::default(), &obj)
        .await
        .expect("created");
    wait_in(
        &h,
        &elsewhere,
        "db",
        "Synced=False ProviderConfigNotAllowed",
        |d| {
            synced_reason(d).is_some_and(|(reason, message)| {
                reason == "ProviderConfigNotAllowed"
                    && message.contains(&h.pc)
                    && message.contains(&other)
            })
        },
    )
    .await;
    // Several requeues (the waiting interval is short in tests) happen in this time.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let calls = h.calls().await;
    assert_eq!(
        total(&calls),
        before,
        "cloud calls for a disallowed namespace: {calls}"
    );

    // Deleting it with deletionPolicy Delete: the cloud delete is refused (it would spend the
    // account), the status says how to let go, and still no call is made.
    elsewhere
        .delete("db", &DeleteParams::default())
        .await
        .expect("delete");
    wait_in(&h, &elsewhere, "db", "the orphan hint", |d| {
        synced_reason(d).is_some_and(|(reason, message)| {
            reason == "ProviderConfigNotAllowed"
                && message.contains("cannot delete the cloud resource")
                && message.contains("deletionPolicy to Orphan")
        })
    })
    .await;
    elsewhere
        .patch(
            "db",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"deletionPolicy": "Orphan"}})),
        )
        .await
        .expect("orphan");
    wait_in(&h, &elsewhere, "db", "deletion", |d| d.is_none()).await;
    let calls = h.calls().await;
    assert_eq!(
        total(&calls),
        before,
        "cloud calls for a disallowed namespace: {calls}"
    );

    // Allowed by label: business as usual.
    h.dbinstance_ready_with_secret("ok", Duration::from_secs(40))
        .await;

    // Allowed by name once the owner adds it: the refused resource converges on its own.
    let mut manifest = h.small_dbinstance("later");
    manifest["metadata"]["namespace"] = json!(other);
    let obj: DBInstance = serde_json::from_value(manifest).expect("dbi");
    elsewhere
        .create(&PostParams::default(), &obj)
        .await
        .expect("created");
    wait_in(&h, &elsewhere, "later", "ProviderConfigNotAllowed", |d| {
        synced_reason(d).is_some_and(|(reason, _)| reason == "ProviderConfigNotAllowed")
    })
    .await;
    pcs.patch(
        &h.pc,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"allowedNamespaces": {"names": [other]}}})),
    )
    .await
    .expect("allow by name");
    wait_in(&h, &elsewhere, "later", "Ready=True", |d| {
        d.and_then(|d| has_condition(d, &d.status.as_ref()?.conditions, "Ready", "True", None))
            .is_some()
    })
    .await;

    // The other namespace's objects: finalizers off, then gone (the harness cleans its own).
    for d in elsewhere.list(&Default::default()).await.expect("list") {
        let name = kube::ResourceExt::name_any(&d);
        let _ = elsewhere
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": null}})),
            )
            .await;
        let _ = elsewhere.delete(&name, &DeleteParams::default()).await;
    }
    let _ = namespaces.delete(&other, &DeleteParams::default()).await;
    h.kill_operator();
}
