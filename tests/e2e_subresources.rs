//! SecurityIpList, AuditLogFilter and Backup end to end on the real API server and emulator.

mod support;

use std::time::Duration;

use kube::api::{Patch, PatchParams};
use mongocloud_operator::api::{
    AuditLogFilter, Backup, DBInstance, ProviderConfig, SecurityIpList,
};
use serde_json::{Value, json};
use support::{Harness, has_condition};

const LIMIT: Duration = Duration::from_secs(30);

async fn instance(h: &Harness, name: &str) -> String {
    h.create::<DBInstance>(h.small_dbinstance(name)).await;
    h.wait_for::<DBInstance, _>(name, "Ready=True", LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Ready", "True", None)?;
        st.instance_id.clone()
    })
    .await
}

fn ip_list(h: &Harness, name: &str, group: &str, entries: Value) -> Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "SecurityIpList", "metadata": {"name": name},
           "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": {"dbInstanceRef": {"name": "db"}, "groupName": group, "entries": entries}}})
}

async fn cloud_groups(h: &Harness, id: &str) -> Value {
    h.cloud_instances().await[id]["securityGroups"].clone()
}

async fn ready<K>(
    h: &Harness,
    name: &str,
    conditions: impl Fn(&K) -> Option<Vec<mongocloud_operator::api::conditions::Condition>>,
) where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    h.wait_for::<K, _>(name, "Ready=True", LIMIT, |o| {
        has_condition(o, &conditions(o)?, "Ready", "True", None)
    })
    .await;
}

fn ips_conditions(
    o: &SecurityIpList,
) -> Option<Vec<mongocloud_operator::api::conditions::Condition>> {
    o.status.as_ref().map(|s| s.conditions.clone())
}

#[tokio::test]
async fn ip_lists_own_only_their_group_and_expire_entries() {
    let Some(mut h) = support::harness("ips", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    let id = instance(&h, "db").await;
    h.edit_in_cloud(
        &id,
        json!({"securityIps": {"default": ["127.0.0.1", "192.0.2.10"]}}),
    )
    .await;

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(5))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    h.create::<SecurityIpList>(ip_list(&h, "apps", "apps", json!([{"ip": "10.0.0.1"}, {"ip": "10.0.1.0/24"}, {"ip": "203.0.113.7", "expiresAt": soon}]))).await;
    h.create::<SecurityIpList>(ip_list(
        &h,
        "batch",
        "batch",
        json!([{"ip": "10.9.0.0/16"}]),
    ))
    .await;
    ready::<SecurityIpList>(&h, "apps", ips_conditions).await;
    ready::<SecurityIpList>(&h, "batch", ips_conditions).await;
    let groups = cloud_groups(&h, &id).await;
    assert_eq!(
        groups["default"]["ips"],
        json!(["127.0.0.1", "192.0.2.10"]),
        "the hand-made entry survives"
    );
    assert_eq!(
        groups["apps"]["ips"],
        json!(["10.0.0.1", "10.0.1.0/24", "203.0.113.7"])
    );
    assert_eq!(groups["batch"]["ips"], json!(["10.9.0.0/16"]));

    // Reordering (and spelling a host as /32) makes no cloud call.
    let writes = h.calls_of("ModifySecurityIps").await;
    h.merge::<SecurityIpList>("apps", json!({"spec": {"forProvider": {"entries": [{"ip": "10.0.1.0/24"}, {"ip": "203.0.113.7", "expiresAt": soon}, {"ip": "10.0.0.1/32"}]}}})).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        h.calls_of("ModifySecurityIps").await,
        writes,
        "reordering wrote to the cloud"
    );

    // The expiring entry leaves the cloud on its own.
    for _ in 0..150 {
        if cloud_groups(&h, &id).await["apps"]["ips"] == json!(["10.0.0.1", "10.0.1.0/24"]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        cloud_groups(&h, &id).await["apps"]["ips"],
        json!(["10.0.0.1", "10.0.1.0/24"]),
        "expired entry removed\n{}",
        h.log_tail(20)
    );

    // Deleting one list removes its group only.
    kube::Api::<SecurityIpList>::namespaced(h.client.clone(), &h.ns)
        .delete("batch", &Default::default())
        .await
        .expect("delete");
    h.wait_gone::<SecurityIpList>("batch", LIMIT).await;
    let groups = cloud_groups(&h, &id).await;
    assert!(groups.get("batch").is_none(), "{groups}");
    assert_eq!(groups["default"]["ips"], json!(["127.0.0.1", "192.0.2.10"]));
    assert!(groups.get("apps").is_some());
}

#[tokio::test]
async fn too_many_or_public_ips_are_refused_without_a_call() {
    let Some(mut h) = support::harness("ips-refused", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    instance(&h, "db").await;
    h.create::<SecurityIpList>(ip_list(&h, "open", "open", json!([{"ip": "0.0.0.0/0"}])))
        .await;
    let message = h
        .wait_for::<SecurityIpList, _>("open", "TerminalError", LIMIT, |o| {
            let c = support::condition(&o.status.as_ref()?.conditions, "Synced")?;
            (c.reason == "TerminalError").then_some(c.message)
        })
        .await;
    assert!(
        message.contains("entries[0].ip") && message.contains("allowPublicAccess"),
        "{message}"
    );
    assert_eq!(h.calls_of("ModifySecurityIps").await, 0);
    h.merge::<SecurityIpList>(
        "open",
        json!({"spec": {"forProvider": {"allowPublicAccess": true}}}),
    )
    .await;
    ready::<SecurityIpList>(&h, "open", ips_conditions).await;
    assert_eq!(h.calls_of("ModifySecurityIps").await, 1);
}

#[tokio::test]
async fn audit_filter_waits_for_running_then_applies() {
    let Some(mut h) = support::harness("audit", 2000).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(h.small_dbinstance("db")).await;
    h.create::<AuditLogFilter>(json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "AuditLogFilter", "metadata": {"name": "audit"},
        "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": {"dbInstanceRef": {"name": "db"}, "filter": ["delete", "admin"], "storagePeriodDays": 30}}}))
    .await;
    h.wait_for::<AuditLogFilter, _>("audit", "WaitingForInstance", LIMIT, |o| {
        (support::condition(&o.status.as_ref()?.conditions, "Synced")?.reason
            == "WaitingForInstance")
            .then_some(())
    })
    .await;
    assert_eq!(h.calls_of("ModifyAuditLogFilter").await, 0);
    h.wait_for::<AuditLogFilter, _>("audit", "Ready=True", LIMIT, |o| {
        let st = o.status.as_ref()?;
        has_condition(o, &st.conditions, "Ready", "True", None)?;
        (st.at_provider.as_ref()?.filter == vec!["admin".to_owned(), "delete".to_owned()])
            .then_some(())
    })
    .await;
    let id = h
        .api::<DBInstance>()
        .get("db")
        .await
        .expect("db")
        .status
        .and_then(|s| s.instance_id)
        .expect("id");
    let cloud = &h.cloud_instances().await[&id];
    assert_eq!(
        (
            cloud["auditEnabled"].clone(),
            cloud["auditFilter"].clone(),
            cloud["auditTtlDays"].clone()
        ),
        (json!(true), json!("admin,delete"), json!(30))
    );
}

#[tokio::test]
async fn backup_is_taken_once_even_across_an_operator_restart() {
    let Some(mut h) = support::harness("backup", 2000).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    let id = instance(&h, "db").await;
    h.create::<Backup>(json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "Backup", "metadata": {"name": "nightly"},
        "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": {"dbInstanceRef": {"name": "db"}, "method": "Logical"}}}))
    .await;
    h.wait_for::<Backup, _>("nightly", "backup started", LIMIT, |b| {
        b.status.as_ref()?.backup_id.clone()
    })
    .await;
    h.restart_operator();
    h.wait_for::<Backup, _>("nightly", "Ready=True", LIMIT, |b| {
        let st = b.status.as_ref()?;
        has_condition(b, &st.conditions, "Ready", "True", None)?;
        (st.at_provider.as_ref()?.status == "Success").then_some(())
    })
    .await;
    assert_eq!(h.calls_of("CreateBackup").await, 1);
    assert_eq!(
        h.cloud_instances().await[&id]["backups"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    h.merge::<Backup>(
        "nightly",
        json!({"spec": {"forProvider": {"method": "Physical"}}}),
    )
    .await;
    let message = h
        .wait_for::<Backup, _>("nightly", "TerminalError", LIMIT, |b| {
            let c = support::condition(&b.status.as_ref()?.conditions, "Synced")?;
            (c.reason == "TerminalError").then_some(c.message)
        })
        .await;
    assert!(message.contains("spec.forProvider.method"), "{message}");
    assert_eq!(h.calls_of("CreateBackup").await, 1);
}

/// After a restart every object is looked at again. When the account's budget cannot serve
/// them all at once, the settled ones wait a drift interval and a change goes out first: it
/// does not queue behind re-reads of lists that are already right.
#[tokio::test]
async fn after_a_restart_a_change_goes_out_before_rereads_of_settled_lists() {
    const LISTS: usize = 10;
    let Some(mut h) = support::harness("herd", 300).await else {
        return;
    };
    // A drift interval long enough for the lists' steady re-reads to fit the budget below.
    h.timing.1 = "15s";
    h.provider_config().await;
    kube::Api::<ProviderConfig>::all(h.client.clone())
        .patch(
            &h.pc,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"requestsPerSecond": 1}})),
        )
        .await
        .expect("budget of one call a second");
    h.start_operator(&[]);
    let id = instance(&h, "db").await;
    for i in 0..LISTS {
        let name = format!("g{i}");
        h.create::<SecurityIpList>(ip_list(
            &h,
            &name,
            &name,
            json!([{"ip": format!("10.0.{i}.0/24")}]),
        ))
        .await;
    }
    for i in 0..LISTS {
        ready::<SecurityIpList>(&h, &format!("g{i}"), ips_conditions).await;
    }

    h.kill_operator();
    h.merge::<SecurityIpList>(
        "g0",
        json!({"spec": {"forProvider": {"entries": [{"ip": "10.1.0.0/24"}]}}}),
    )
    .await;
    let reads = h.calls_of("DescribeSecurityIps").await;
    h.start_operator(&[]);
    for _ in 0..300 {
        if cloud_groups(&h, &id).await["g0"]["ips"] == json!(["10.1.0.0/24"]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        cloud_groups(&h, &id).await["g0"]["ips"],
        json!(["10.1.0.0/24"]),
        "the change was applied\n{}",
        h.log_tail(40)
    );
    let before_the_change = h.calls_of("DescribeSecurityIps").await - reads;
    println!("re-reads before the change: {before_the_change} of {LISTS} lists");
    assert!(
        before_the_change <= 3,
        "the change went out after {before_the_change} re-reads (of {LISTS} lists)\n{}",
        h.log_tail(40)
    );
}
