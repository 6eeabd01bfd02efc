//! The Atlas path end to end: the real API server, the operator binary, the emulator's Atlas
//! v2 API as the cloud, an Atlas ProviderConfig. Cloud-side facts come from the emulator.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{DeleteParams, Patch, PatchParams};
use mongocloud_operator::api::{
    AuditLogFilter, Backup, DBInstance, ProviderConfig, SecurityIpList,
};
use serde_json::{Value, json};
use support::{ATLAS_PROJECT, Harness, has_condition};

const LIMIT: Duration = Duration::from_secs(30);

fn cluster_manifest(h: &Harness, name: &str, policy: &str) -> Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name},
           "spec": {"providerConfigRef": {"name": h.pc}, "deletionPolicy": policy,
                    "forProvider": {"regionId": "US_EAST_1", "engineVersion": "8.0",
                                    "instanceClass": "M10", "storageGB": 10,
                                    "tags": {"team": "orders"},
                                    "atlas": {"providerName": "AWS", "backupEnabled": true}},
                    "writeConnectionSecretToRef": {"name": format!("{name}-conn")}}})
}

/// The cluster `name` as the emulator holds it.
async fn cloud_cluster(h: &Harness, name: &str) -> Option<Value> {
    let state = h.atlas_state().await;
    let clusters = &state["projects"][ATLAS_PROJECT]["clusters"];
    match clusters {
        Value::Object(by_name) => by_name.get(name).cloned(),
        Value::Array(all) => all.iter().find(|c| c["name"] == name).cloned(),
        _ => None,
    }
}

fn count(calls: &Value, operation: &str) -> u64 {
    calls["operations"][operation]
        .as_u64()
        .or_else(|| calls["actions"][operation].as_u64())
        .unwrap_or(0)
}

async fn ready(h: &Harness, name: &str) -> DBInstance {
    h.wait_for::<DBInstance, _>(name, "Ready=True", LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Ready", "True", None).map(|()| d.clone())
    })
    .await
}

async fn given_atlas(test: &str) -> Option<Harness> {
    let mut h = support::harness(test, 300).await?;
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    provider_config_ready(&h).await;
    Some(h)
}

/// The Atlas ProviderConfig turns Ready after an authenticated call.
async fn provider_config_ready(h: &Harness) {
    let api = kube::Api::<ProviderConfig>::all(h.client.clone());
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let pc = api.get(&h.pc).await.expect("pc");
        let ready = pc
            .status
            .as_ref()
            .and_then(|s| support::condition(&s.conditions, "Ready"))
            .is_some_and(|c| c.status == "True");
        if ready {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Atlas ProviderConfig not Ready: {:?}\n{}",
            pc.status,
            h.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn atlas_cluster_becomes_ready_once_with_its_published_connection_string_and_resizes_in_place()
 {
    let Some(h) = given_atlas("atlas_ready").await else {
        return;
    };
    h.create::<DBInstance>(cluster_manifest(&h, "orders", "Orphan"))
        .await;
    let d = ready(&h, "orders").await;
    let status = d.status.expect("status");
    assert_eq!(status.instance_id.as_deref(), Some("orders"));
    let at = status.at_provider.expect("atProvider");
    assert_eq!(at.status, "Running");
    assert_eq!(at.instance_class.as_deref(), Some("M10"));

    let cluster = cloud_cluster(&h, "orders").await.expect("cluster in Atlas");
    let tags = cluster["tags"].to_string();
    assert!(
        tags.contains("mongocloud-uid") && tags.contains("orders"),
        "{tags}"
    );
    let secret: Secret = h
        .wait_for::<Secret, _>("orders-conn", "connection Secret", LIMIT, |s: &Secret| {
            s.data.clone().map(|_| s.clone())
        })
        .await;
    let data = secret.data.expect("data");
    let text = |k: &str| String::from_utf8(data.get(k).expect(k).0.clone()).expect("utf8");
    assert!(text("connectionString").starts_with("mongodb://orders-shard-00-00."));
    assert!(text("connectionStringSrv").starts_with("mongodb+srv://orders."));
    let calls = h.atlas_calls().await;
    eprintln!("Atlas calls from ProviderConfig to Ready with its Secret: {calls}");
    assert_eq!(count(&calls, "createCluster"), 1);

    h.merge::<DBInstance>(
        "orders",
        json!({"spec": {"forProvider": {"instanceClass": "M20", "tags": {"tier": "gold"}}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("orders", "M20 and Ready", LIMIT, |d| {
        let st = d.status.as_ref()?;
        (st.at_provider.as_ref()?.instance_class.as_deref() == Some("M20"))
            .then_some(())
            .and(has_condition(d, &st.conditions, "Ready", "True", None))
    })
    .await;
    let cluster = cloud_cluster(&h, "orders").await.expect("cluster");
    assert!(cluster.to_string().contains("\"M20\""), "{cluster}");
    let tags = cluster["tags"].to_string();
    assert!(
        tags.contains("tier") && tags.contains("mongocloud-uid"),
        "tags merged, UID kept: {tags}"
    );
    assert_eq!(count(&h.atlas_calls().await, "createCluster"), 1);
}

#[tokio::test]
async fn atlas_orphan_keeps_the_cluster_and_delete_removes_it() {
    let Some(h) = given_atlas("atlas_delete").await else {
        return;
    };
    h.create::<DBInstance>(cluster_manifest(&h, "kept", "Orphan"))
        .await;
    h.create::<DBInstance>(cluster_manifest(&h, "gone", "Delete"))
        .await;
    ready(&h, "kept").await;
    ready(&h, "gone").await;
    for name in ["kept", "gone"] {
        h.api::<DBInstance>()
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    }
    h.wait_gone::<DBInstance>("kept", LIMIT).await;
    h.wait_gone::<DBInstance>("gone", LIMIT).await;
    assert!(cloud_cluster(&h, "kept").await.is_some(), "Orphan keeps it");
    assert!(
        cloud_cluster(&h, "gone").await.is_none(),
        "Delete removes it: {}",
        h.atlas_state().await
    );
    assert_eq!(count(&h.atlas_calls().await, "deleteCluster"), 1);
}

#[tokio::test]
async fn fields_that_do_not_apply_to_atlas_are_refused_by_name_without_a_cloud_write() {
    let Some(h) = given_atlas("atlas_invalid").await else {
        return;
    };
    let mut manifest = cluster_manifest(&h, "wrong", "Orphan");
    manifest["spec"]["forProvider"]["zoneId"] = json!("cn-hangzhou-h");
    h.create::<DBInstance>(manifest).await;
    let message = h
        .wait_for::<DBInstance, _>("wrong", "TerminalError", LIMIT, |d| {
            let c = support::condition(&d.status.as_ref()?.conditions, "Synced")?;
            (c.reason == "TerminalError").then_some(c.message)
        })
        .await;
    assert!(
        message.contains("spec.forProvider.zoneId") && message.contains("Atlas"),
        "{message}"
    );
    let ips: Value = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "SecurityIpList",
        "metadata": {"name": "office"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"dbInstanceRef": {"name": "wrong"}, "groupAttribute": "x",
                                 "entries": [{"ip": "192.0.2.0/24"}]}}});
    h.create::<SecurityIpList>(ips).await;
    let message = h
        .wait_for::<SecurityIpList, _>("office", "TerminalError", LIMIT, |s| {
            let c = support::condition(&s.status.as_ref()?.conditions, "Synced")?;
            (c.reason == "TerminalError").then_some(c.message)
        })
        .await;
    assert!(
        message.contains("spec.forProvider.groupAttribute"),
        "{message}"
    );
    let calls = h.atlas_calls().await;
    assert_eq!(count(&calls, "createCluster"), 0, "{calls}");
    assert_eq!(count(&calls, "createAccessListEntries"), 0, "{calls}");
}

/// The project's access list as the emulator holds it: canonical CIDR → comment.
async fn cloud_access_list(h: &Harness) -> std::collections::BTreeMap<String, String> {
    let state = h.atlas_state().await;
    let entries = &state["projects"][ATLAS_PROJECT]["accessList"];
    let all: Vec<Value> = match entries {
        Value::Object(by_cidr) => by_cidr.values().cloned().collect(),
        Value::Array(all) => all.clone(),
        _ => Vec::new(),
    };
    all.iter()
        .filter_map(|e| {
            let cidr = e["cidrBlock"].as_str()?.to_owned();
            Some((cidr, e["comment"].as_str().unwrap_or_default().to_owned()))
        })
        .collect()
}

/// An entry added by hand, through the Atlas API itself.
async fn add_by_hand(h: &Harness, cidr: &str) {
    use mongocloud_operator::cloud::atlas::client::AtlasClient;
    use mongocloud_operator::cloud::atlas::versions::Endpoint;
    let client = AtlasClient::new(
        Some(&format!("{}/api/atlas/v2", h.emulator.url())),
        support::ATLAS_PUBLIC.into(),
        mongocloud_operator::cloud::error::Redacted(support::ATLAS_PRIVATE.into()),
    )
    .expect("client");
    client
        .send(
            "createAccessListEntries",
            reqwest::Method::POST,
            &format!("/groups/{ATLAS_PROJECT}/accessList"),
            Endpoint::Project,
            Some(&json!([{"cidrBlock": cidr, "comment": "added by hand"}])),
        )
        .await
        .expect("entry added by hand");
}

#[tokio::test]
async fn atlas_access_list_entries_are_owned_by_comment_hand_made_ones_survive_and_expire() {
    let Some(h) = given_atlas("atlas_access").await else {
        return;
    };
    add_by_hand(&h, "198.51.100.0/24").await;
    h.create::<DBInstance>(cluster_manifest(&h, "orders", "Orphan"))
        .await;
    ready(&h, "orders").await;
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let ips = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "SecurityIpList",
        "metadata": {"name": "office"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"dbInstanceRef": {"name": "orders"},
                                 "entries": [{"ip": "192.0.2.7"}, {"ip": "10.1.0.0/16"},
                                             {"ip": "203.0.113.9", "expiresAt": soon}]}}});
    h.create::<SecurityIpList>(ips).await;
    let uid = h
        .wait_for::<SecurityIpList, _>("office", "Ready=True", LIMIT, |s| {
            has_condition(s, &s.status.as_ref()?.conditions, "Ready", "True", None)?;
            s.metadata.uid.clone()
        })
        .await;
    let list = cloud_access_list(&h).await;
    assert_eq!(
        list.get("192.0.2.7/32").cloned(),
        Some(format!("mongocloud:{uid}")),
        "owned by this resource's UID: {list:?}"
    );
    assert!(list.contains_key("10.1.0.0/16") && list.contains_key("203.0.113.9/32"));
    assert_eq!(
        list.get("198.51.100.0/24").map(String::as_str),
        Some("added by hand")
    );

    // The expiring entry goes by itself; the others and the hand-made one stay.
    let deadline = std::time::Instant::now() + LIMIT;
    while cloud_access_list(&h).await.contains_key("203.0.113.9/32") {
        assert!(
            std::time::Instant::now() < deadline,
            "expired entry still listed"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Dropping an entry removes only that one; a hand-made entry is never taken over.
    h.merge::<SecurityIpList>(
        "office",
        json!({"spec": {"forProvider": {"entries": [{"ip": "192.0.2.7"}, {"ip": "198.51.100.0/24"}]}}}),
    )
    .await;
    let message = h
        .wait_for::<SecurityIpList, _>("office", "refusal of the hand-made entry", LIMIT, |s| {
            let c = support::condition(&s.status.as_ref()?.conditions, "Synced")?;
            c.message.contains("198.51.100.0/24").then_some(c.message)
        })
        .await;
    assert!(
        message.contains("not written by this resource"),
        "{message}"
    );
    let list = cloud_access_list(&h).await;
    assert_eq!(
        list.get("198.51.100.0/24").map(String::as_str),
        Some("added by hand")
    );
    assert!(
        list.contains_key("10.1.0.0/16"),
        "nothing written after the refusal"
    );

    h.api::<SecurityIpList>()
        .delete("office", &DeleteParams::default())
        .await
        .expect("delete");
    h.wait_gone::<SecurityIpList>("office", LIMIT).await;
    let list = cloud_access_list(&h).await;
    assert_eq!(
        list.keys().collect::<Vec<_>>(),
        vec!["198.51.100.0/24"],
        "only the hand-made entry is left"
    );
}

#[tokio::test]
async fn atlas_backup_is_an_on_demand_snapshot_followed_to_completed() {
    let Some(h) = given_atlas("atlas_backup").await else {
        return;
    };
    h.create::<DBInstance>(cluster_manifest(&h, "orders", "Orphan"))
        .await;
    ready(&h, "orders").await;
    let backup = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "Backup",
        "metadata": {"name": "nightly"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"dbInstanceRef": {"name": "orders"}, "method": "Physical"}}});
    h.create::<Backup>(backup).await;
    h.wait_for::<Backup, _>("nightly", "Ready=True", LIMIT, |b| {
        has_condition(b, &b.status.as_ref()?.conditions, "Ready", "True", None)
    })
    .await;
    assert_eq!(count(&h.atlas_calls().await, "takeSnapshot"), 1);
}

#[tokio::test]
async fn a_429_storm_converges_without_a_hot_loop() {
    let Some(h) = given_atlas("atlas_throttle").await else {
        return;
    };
    h.atlas_admin(
        &format!("/groups/{ATLAS_PROJECT}/throttle"),
        json!({"count": 12, "retryAfter": 1}),
    )
    .await;
    let before = h.atlas_calls().await;
    // A re-check of the ProviderConfig during the storm is throttled too; credentials the
    // cloud already accepted stay usable.
    let pcs = kube::Api::<ProviderConfig>::all(h.client.clone());
    pcs.patch(
        &h.pc,
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"annotations": {"recheck": "now"}}})),
    )
    .await
    .expect("annotate the ProviderConfig");
    h.create::<DBInstance>(cluster_manifest(&h, "busy", "Orphan"))
        .await;
    ready(&h, "busy").await;
    let pc = pcs.get(&h.pc).await.expect("ProviderConfig");
    let pc_ready = pc
        .status
        .iter()
        .flat_map(|s| &s.conditions)
        .any(|c| c.type_ == "Ready" && c.status == "True");
    assert!(pc_ready, "the ProviderConfig stayed Ready: {:?}", pc.status);
    let calls = h.atlas_calls().await;
    // A throttled create was not applied, so it may be sent once more after its lookup; the
    // project still holds one cluster.
    assert!(count(&calls, "createCluster") <= 2, "{calls}");
    let state = h.atlas_state().await;
    let clusters = &state["projects"][ATLAS_PROJECT]["clusters"];
    let held = clusters
        .as_object()
        .map(|c| c.len())
        .or_else(|| clusters.as_array().map(Vec::len));
    assert_eq!(held, Some(1), "one cluster: {state}");
    let total = |c: &Value| c["total"].as_u64().unwrap_or(0);
    let spent = total(&calls) - total(&before);
    eprintln!("429 storm: 12 throttled answers, {spent} Atlas calls from apply to Ready");
    assert!(
        spent <= 40,
        "12 throttled answers and a create should not cost {spent} calls: {calls}"
    );
}

#[tokio::test]
async fn atlas_auditing_follows_categories_then_a_filter_document_and_is_switched_off_on_removal() {
    let Some(h) = given_atlas("atlas_audit").await else {
        return;
    };
    h.create::<DBInstance>(cluster_manifest(&h, "orders", "Orphan"))
        .await;
    ready(&h, "orders").await;
    let audit = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "AuditLogFilter",
        "metadata": {"name": "audit"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"dbInstanceRef": {"name": "orders"}, "filter": ["insert", "admin"]}}});
    h.create::<AuditLogFilter>(audit).await;
    let audit_ready = |what: &'static str| {
        h.wait_for::<AuditLogFilter, _>("audit", what, LIMIT, |a| {
            let st = a.status.as_ref()?;
            has_condition(a, &st.conditions, "Ready", "True", None)
        })
    };
    audit_ready("Ready with categories").await;
    let auditing = h.atlas_state().await["projects"][ATLAS_PROJECT]["auditing"].clone();
    assert_eq!(auditing["enabled"], true, "{auditing}");
    assert_eq!(
        auditing["auditAuthorizationSuccess"], true,
        "insert needs authCheck events"
    );
    let filter: Value =
        serde_json::from_str(auditing["auditFilter"].as_str().expect("filter")).expect("json");
    let text = filter.to_string();
    assert!(
        text.contains("createCollection") && text.contains("\"insert\""),
        "{text}"
    );
    let observed = h
        .api::<AuditLogFilter>()
        .get("audit")
        .await
        .expect("read")
        .status
        .and_then(|s| s.at_provider)
        .expect("atProvider");
    assert_eq!(
        observed.filter,
        vec!["admin", "insert"],
        "read back as categories"
    );

    h.merge::<AuditLogFilter>(
        "audit",
        json!({"spec": {"forProvider": {"filter": null,
            "atlas": {"auditFilter": "{\"atype\": \"authenticate\"}"}}}}),
    )
    .await;
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let auditing = h.atlas_state().await["projects"][ATLAS_PROJECT]["auditing"].clone();
        if auditing["auditFilter"] == "{\"atype\": \"authenticate\"}" {
            assert_eq!(auditing["auditAuthorizationSuccess"], false);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{auditing}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let writes = count(&h.atlas_calls().await, "updateAuditLog");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        count(&h.atlas_calls().await, "updateAuditLog"),
        writes,
        "a filter read back verbatim is not written again"
    );

    h.api::<AuditLogFilter>()
        .delete("audit", &DeleteParams::default())
        .await
        .expect("delete");
    h.wait_gone::<AuditLogFilter>("audit", LIMIT).await;
    let auditing = h.atlas_state().await["projects"][ATLAS_PROJECT]["auditing"].clone();
    assert_eq!(auditing["enabled"], false, "{auditing}");
}

#[tokio::test]
async fn a_service_account_provider_config_runs_clusters_and_a_wrong_secret_is_named() {
    let Some(mut h) = support::harness("atlas_sa", 300).await else {
        return;
    };
    let pcs = kube::Api::<ProviderConfig>::all(h.client.clone());
    for (name, secret) in [("sa", "mdb_sa_sk_emulator"), ("sa-wrong", "not-the-secret")] {
        let s: Secret = serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": h.ns},
            "stringData": {"clientId": "mdb_sa_id_emulator", "clientSecret": secret}
        }))
        .expect("secret");
        h.api::<Secret>()
            .create(&Default::default(), &s)
            .await
            .expect("secret");
        let pc_name = if name == "sa" {
            h.pc.clone()
        } else {
            format!("{}-wrong", h.pc)
        };
        let pc: ProviderConfig = serde_json::from_value(json!({
            "apiVersion": "mongocloud.dev/v1alpha1", "kind": "ProviderConfig", "metadata": {"name": pc_name},
            "spec": {"provider": "Atlas", "projectId": ATLAS_PROJECT,
                     "endpoint": format!("{}/api/atlas/v2", h.emulator.url()),
                     "credentials": {"secretRef": {"namespace": h.ns, "name": name}}}
        }))
        .expect("pc");
        pcs.create(&Default::default(), &pc).await.expect("pc");
    }
    h.start_operator(&[]);
    provider_config_ready(&h).await;
    h.create::<DBInstance>(cluster_manifest(&h, "orders", "Orphan"))
        .await;
    ready(&h, "orders").await;
    let deadline = std::time::Instant::now() + LIMIT;
    let wrong = format!("{}-wrong", h.pc);
    loop {
        let ready = pcs
            .get(&wrong)
            .await
            .expect("pc")
            .status
            .and_then(|s| support::condition(&s.conditions, "Ready"));
        if let Some(c) = ready.filter(|c| c.status == "False") {
            assert_eq!(c.reason, "InvalidCredentials", "{c:?}");
            assert!(c.message.contains("clientSecret"), "{}", c.message);
            assert!(!c.message.contains("not-the-secret"), "{}", c.message);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "wrong PC never refused"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let calls = h.atlas_calls().await;
    assert_eq!(count(&calls, "createAccessToken"), 1, "one token: {calls}");
    pcs.delete(&wrong, &DeleteParams::default())
        .await
        .expect("delete");
    h.kill_operator();
}

#[tokio::test]
async fn a_size_changed_in_the_atlas_ui_is_put_back_and_a_killed_operator_makes_one_cluster() {
    let Some(mut h) = given_atlas("atlas_drift").await else {
        return;
    };
    h.create::<DBInstance>(cluster_manifest(&h, "orders", "Orphan"))
        .await;
    for _ in 0..300 {
        if count(&h.atlas_calls().await, "createCluster") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    h.kill_operator();
    h.start_operator(&[]);
    ready(&h, "orders").await;
    let calls = h.atlas_calls().await;
    assert_eq!(count(&calls, "createCluster"), 1, "{calls}");

    h.atlas_admin(
        &format!("/groups/{ATLAS_PROJECT}/clusters/orders"),
        json!({"instanceSize": "M30"}),
    )
    .await;
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let cluster = cloud_cluster(&h, "orders").await.expect("cluster");
        let sizes = cluster.to_string();
        if sizes.contains("\"M10\"") && !sizes.contains("\"M30\"") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "M30 not put back to M10: {cluster}\n{}",
            h.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(count(&h.atlas_calls().await, "updateCluster"), 1);
}
