//! Management policies and plan preview end to end: the real API server, the operator binary,
//! the emulator (both clouds). What was or was not written comes from the emulator's call counts.

mod support;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::Event;
use kube::Resource;
use kube::api::{DeleteParams, ListParams};
use mongocloud_operator::api::{AuditLogFilter, Backup, DBInstance, SecurityIpList};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use support::{Harness, has_condition};

const LIMIT: Duration = Duration::from_secs(40);
const PLAN_ONLY: &str = "mongocloud.dev/plan-only";

/// Every write call so far, by action: Dds actions that are not `Describe*`, Atlas operations
/// that are not `get*`/`list*`.
async fn writes(h: &Harness) -> BTreeMap<String, u64> {
    let mut all = BTreeMap::new();
    let dds = h.calls().await;
    let atlas = h.atlas_calls().await;
    let counts = [
        (&dds["actions"], &["Describe"][..]),
        (&atlas["operations"], &["get", "list"][..]),
    ];
    for (calls, reads) in counts {
        for (action, n) in calls.as_object().into_iter().flatten() {
            if !reads.iter().any(|r| action.starts_with(r)) {
                all.insert(action.clone(), n.as_u64().unwrap_or(0));
            }
        }
    }
    all
}

/// The calls made between two counts, one entry per call, sorted.
fn made(before: &BTreeMap<String, u64>, after: &BTreeMap<String, u64>) -> Vec<String> {
    let mut calls = Vec::new();
    for (action, n) in after {
        let earlier = before.get(action).copied().unwrap_or(0);
        calls.extend(std::iter::repeat_n(action.clone(), (n - earlier) as usize));
    }
    calls
}

fn status_of<K: Serialize>(obj: &K) -> Value {
    serde_json::to_value(obj).expect("json")["status"].clone()
}

fn synced_reason(status: &Value) -> Option<String> {
    status["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "Synced")
        .and_then(|c| c["reason"].as_str())
        .map(str::to_owned)
}

fn is_true(status: &Value, type_: &str) -> bool {
    status["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == type_ && c["status"] == "True")
}

/// The planned actions' names once the Synced reason is `reason` and the plan is not empty.
async fn planned<K>(h: &Harness, name: &str, reason: &str) -> Vec<Value>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + Debug,
{
    h.wait_for::<K, _>(
        name,
        &format!("Synced reason {reason} with a plan"),
        LIMIT,
        |o| {
            let status = status_of(o);
            let actions = status["plannedActions"].as_array()?.clone();
            (synced_reason(&status).as_deref() == Some(reason) && !actions.is_empty())
                .then_some(actions)
        },
    )
    .await
}

fn names(actions: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = actions
        .iter()
        .map(|a| a["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    names.sort();
    names
}

/// Waits until `name` is Ready and Synced with nothing planned, then a little longer so that
/// any call still to come is made before the caller counts.
async fn settled<K>(h: &Harness, name: &str)
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + Debug,
{
    for _ in 0..2 {
        h.wait_for::<K, _>(name, "Ready and Synced, nothing planned", LIMIT, |o| {
            let status = status_of(o);
            (is_true(&status, "Ready")
                && is_true(&status, "Synced")
                && status["plannedActions"]
                    .as_array()
                    .is_none_or(Vec::is_empty))
            .then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn remove_plan_only<K>(h: &Harness, name: &str)
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Serialize
        + Debug,
{
    h.merge::<K>(
        name,
        json!({"metadata": {"annotations": {PLAN_ONLY: null}}}),
    )
    .await;
}

async fn event_reasons(h: &Harness, object: &str) -> Vec<String> {
    let events = kube::Api::<Event>::namespaced(h.client.clone(), &h.ns)
        .list(&ListParams::default())
        .await
        .expect("events");
    events
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(object))
        .filter_map(|e| e.reason)
        .collect()
}

async fn dds_ready(test: &str) -> Option<Harness> {
    let mut h = support::harness(test, 300).await?;
    h.provider_config().await;
    h.start_operator(&[]);
    let mut db = h.small_dbinstance("db");
    db["spec"]["forProvider"]["zoneId"] = json!("cn-hangzhou-h");
    h.create::<DBInstance>(db).await;
    settled::<DBInstance>(&h, "db").await;
    Some(h)
}

/// Preview a class and a tag change, then remove the annotation: the calls made are exactly the
/// calls previewed, and none was made while previewing.
async fn dbinstance_preview_is_what_gets_applied(h: &Harness, class: &str, expected: &[&str]) {
    let before = writes(h).await;
    h.merge::<DBInstance>(
        "db",
        json!({"metadata": {"annotations": {PLAN_ONLY: "true"}},
               "spec": {"forProvider": {"instanceClass": class, "tags": {"env": "prod"}}}}),
    )
    .await;
    let plan = planned::<DBInstance>(h, "db", "PlanReady").await;
    println!(
        "previewed: {}",
        serde_json::to_string_pretty(&plan).unwrap_or_default()
    );
    assert_eq!(names(&plan), expected);
    let class_change = plan
        .iter()
        .flat_map(|a| a["changes"].as_array().cloned().unwrap_or_default())
        .find(|c| c["field"] == "instanceClass")
        .expect("the class change is listed");
    assert_eq!(class_change["to"], class);
    assert!(class_change["from"].is_string(), "{class_change}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        made(&before, &writes(h).await),
        Vec::<String>::new(),
        "nothing is written while previewing"
    );
    assert!(
        event_reasons(h, "db")
            .await
            .iter()
            .any(|r| r == "PlanReady"),
        "a PlanReady Event was published"
    );

    remove_plan_only::<DBInstance>(h, "db").await;
    h.wait_for::<DBInstance, _>("db", "the new class", LIMIT, |d| {
        (d.status
            .as_ref()?
            .at_provider
            .as_ref()?
            .instance_class
            .as_deref()
            == Some(class))
        .then_some(())
    })
    .await;
    settled::<DBInstance>(h, "db").await;
    assert_eq!(made(&before, &writes(h).await), expected);
}

#[tokio::test]
async fn a_dds_preview_lists_exactly_the_calls_that_removing_the_annotation_makes() {
    let Some(h) = dds_ready("preview_dds").await else {
        return;
    };
    dbinstance_preview_is_what_gets_applied(
        &h,
        "dds.mongo.standard",
        &["ModifyDBInstanceSpec", "TagResources"],
    )
    .await;
    let id = h
        .api::<DBInstance>()
        .get("db")
        .await
        .expect("db")
        .status
        .and_then(|s| s.instance_id)
        .expect("id");
    let cloud = h.cloud_instances().await;
    assert_eq!(cloud[&id]["tags"]["env"], "prod", "{}", cloud[&id]);
}

#[tokio::test]
async fn an_atlas_preview_lists_exactly_the_calls_that_removing_the_annotation_makes() {
    let Some(mut h) = support::harness("preview_atlas", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(
        json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance",
        "metadata": {"name": "db"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"regionId": "US_EAST_1", "engineVersion": "8.0",
                                 "instanceClass": "M10", "storageGB": 10,
                                 "atlas": {"providerName": "AWS"}}}}),
    )
    .await;
    settled::<DBInstance>(&h, "db").await;
    dbinstance_preview_is_what_gets_applied(&h, "M20", &["updateCluster", "updateCluster"]).await;
}

/// Each sub-resource created under plan-only shows its calls and makes none; without the
/// annotation it makes exactly those.
async fn sub_resources_preview_then_apply(h: &Harness, sipl: Value, audit: Value, backup: Value) {
    let with_plan_only = |mut manifest: Value| {
        manifest["metadata"]["annotations"] = json!({PLAN_ONLY: "true"});
        manifest
    };
    let before = writes(h).await;
    h.create::<SecurityIpList>(with_plan_only(sipl)).await;
    h.create::<AuditLogFilter>(with_plan_only(audit)).await;
    h.create::<Backup>(with_plan_only(backup)).await;
    let mut expected = Vec::new();
    expected.extend(names(
        &planned::<SecurityIpList>(h, "ips", "PlanReady").await,
    ));
    expected.extend(names(
        &planned::<AuditLogFilter>(h, "audit", "PlanReady").await,
    ));
    expected.extend(names(&planned::<Backup>(h, "backup", "PlanReady").await));
    expected.sort();
    println!("previewed: {expected:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(made(&before, &writes(h).await), Vec::<String>::new());

    remove_plan_only::<SecurityIpList>(h, "ips").await;
    remove_plan_only::<AuditLogFilter>(h, "audit").await;
    remove_plan_only::<Backup>(h, "backup").await;
    settled::<SecurityIpList>(h, "ips").await;
    settled::<AuditLogFilter>(h, "audit").await;
    settled::<Backup>(h, "backup").await;
    assert_eq!(made(&before, &writes(h).await), expected);
}

#[tokio::test]
async fn dds_sub_resources_preview_exactly_what_they_then_apply() {
    let Some(h) = dds_ready("preview_subs_dds").await else {
        return;
    };
    let target = json!({"dbInstanceRef": {"name": "db"}});
    let mut sipl = target.clone();
    sipl["entries"] = json!([{"ip": "10.0.0.0/24"}, {"ip": "192.0.2.7"}]);
    let mut audit = target.clone();
    audit["filter"] = json!(["admin", "delete"]);
    let mut backup = target.clone();
    backup["method"] = json!("Logical");
    let manifest = |kind: &str, name: &str, p: Value| {
        json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": kind, "metadata": {"name": name},
               "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": p}})
    };
    sub_resources_preview_then_apply(
        &h,
        manifest("SecurityIpList", "ips", sipl),
        manifest("AuditLogFilter", "audit", audit),
        manifest("Backup", "backup", backup),
    )
    .await;
}

#[tokio::test]
async fn atlas_sub_resources_preview_exactly_what_they_then_apply() {
    let Some(mut h) = support::harness("preview_subs_atlas", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(
        json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance",
        "metadata": {"name": "db"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"regionId": "US_EAST_1", "engineVersion": "8.0",
                                 "instanceClass": "M10", "storageGB": 10,
                                 "atlas": {"providerName": "AWS", "backupEnabled": true}}}}),
    )
    .await;
    settled::<DBInstance>(&h, "db").await;
    let target = json!({"dbInstanceRef": {"name": "db"}});
    let mut sipl = target.clone();
    sipl["entries"] = json!([{"ip": "10.0.0.0/24"}, {"ip": "192.0.2.7"}]);
    let mut audit = target.clone();
    audit["filter"] = json!(["admin", "delete"]);
    let mut backup = target.clone();
    backup["method"] = json!("Physical");
    let manifest = |kind: &str, name: &str, p: Value| {
        json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": kind, "metadata": {"name": name},
               "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": p}})
    };
    sub_resources_preview_then_apply(
        &h,
        manifest("SecurityIpList", "ips", sipl),
        manifest("AuditLogFilter", "audit", audit),
        manifest("Backup", "backup", backup),
    )
    .await;
}

/// `["Observe"]`: status follows the cloud, differences are listed and never sent, a missing
/// instance is not created, and deleting the object keeps the instance whatever deletionPolicy
/// says.
#[tokio::test]
async fn an_observe_only_dbinstance_never_writes_and_follows_the_cloud() {
    let Some(mut h) = support::harness("observe_only", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    let created: Value = reqwest::Client::new()
        .post(format!("{}/_emulator/instances", h.emulator.url()))
        .json(
            &json!({"RegionId": "cn-hangzhou", "ZoneId": "cn-hangzhou-h", "EngineVersion": "6.0",
                      "DBInstanceClass": "dds.mongo.mid", "DBInstanceStorage": "20"}),
        )
        .send()
        .await
        .expect("create in the cloud")
        .json()
        .await
        .expect("json");
    let id = created["DBInstanceId"].as_str().expect("id").to_owned();
    let before = writes(&h).await;

    let mut watched = h.small_dbinstance("watched");
    watched["spec"]["deletionPolicy"] = json!("Delete");
    watched["spec"]["managementPolicies"] = json!(["Observe"]);
    watched["spec"]["forProvider"]["instanceId"] = json!(id);
    watched["spec"]["forProvider"]["instanceClass"] = json!("dds.mongo.large");
    h.create::<DBInstance>(watched).await;
    let plan = planned::<DBInstance>(&h, "watched", "UpdateNotAllowed").await;
    assert_eq!(names(&plan), ["ModifyDBInstanceSpec"]);
    h.wait_for::<DBInstance, _>("watched", "Ready from the cloud", LIMIT, |d| {
        has_condition(d, &d.status.as_ref()?.conditions, "Ready", "True", None)
    })
    .await;

    h.edit_in_cloud(&id, json!({"description": "edited in the console"}))
        .await;
    h.wait_for::<DBInstance, _>("watched", "the console's description", LIMIT, |d| {
        (d.status
            .as_ref()?
            .at_provider
            .as_ref()?
            .description
            .as_deref()
            == Some("edited in the console"))
        .then_some(())
    })
    .await;

    let mut absent = h.small_dbinstance("absent");
    absent["spec"]["managementPolicies"] = json!(["Observe"]);
    h.create::<DBInstance>(absent).await;
    h.wait_for::<DBInstance, _>("absent", "CreateNotAllowed", LIMIT, |d| {
        let status = status_of(d);
        (synced_reason(&status).as_deref() == Some("CreateNotAllowed")).then_some(())
    })
    .await;

    h.api::<DBInstance>()
        .delete("watched", &DeleteParams::default())
        .await
        .expect("delete");
    h.wait_gone::<DBInstance>("watched", LIMIT).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(made(&before, &writes(&h).await), Vec::<String>::new());
    let cloud = h.cloud_instances().await;
    assert_eq!(
        cloud.len(),
        1,
        "the observed instance is kept and no other was made"
    );
    assert_eq!(cloud[&id]["status"], "Running", "{}", cloud[&id]);
}

/// A policy list the schema lets through but that cannot work is a TerminalError naming the
/// field, before any cloud call.
#[tokio::test]
async fn a_policy_list_without_observe_is_refused_by_name() {
    let Some(mut h) = support::harness("policy_refused", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    let mut db = h.small_dbinstance("db");
    db["spec"]["managementPolicies"] = json!(["Create", "Update"]);
    h.create::<DBInstance>(db).await;
    let message = h
        .wait_for::<DBInstance, _>("db", "TerminalError", LIMIT, |d| {
            let c = support::condition(&d.status.as_ref()?.conditions, "Synced")?;
            (c.reason == "TerminalError").then_some(c.message)
        })
        .await;
    assert!(
        message.starts_with("spec.managementPolicies lacks Observe"),
        "{message}"
    );
    assert_eq!(writes(&h).await.get("CreateDBInstance"), None);
}

/// Polls the cloud until `check` holds for the instance's record there.
async fn cloud_until(h: &Harness, what: &str, check: impl Fn(&Value) -> bool) {
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let dds = h.cloud_instances().await;
        let atlas = h.atlas_state().await;
        let clusters = atlas["projects"][support::ATLAS_PROJECT]["clusters"].clone();
        let records: Vec<Value> = dds
            .values()
            .cloned()
            .chain(
                clusters
                    .as_object()
                    .into_iter()
                    .flat_map(|c| c.values().cloned()),
            )
            .collect();
        if records.iter().any(&check) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "cloud never showed {what}: {records:?}\n{}",
            h.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Deletion protection is set, put back when switched off outside, stops a `Delete` from
/// deleting (with the way out in the status), and is turned off first once the spec says false.
async fn deletion_protection_holds_until_the_spec_lets_go(h: &Harness, field: &str) {
    h.merge::<DBInstance>(
        "db",
        json!({"spec": {"deletionPolicy": "Delete", "forProvider": {"deletionProtection": true}}}),
    )
    .await;
    cloud_until(h, "protection on", |r| r[field] == true).await;
    settled::<DBInstance>(h, "db").await;
    h.api::<DBInstance>()
        .delete("db", &DeleteParams::default())
        .await
        .expect("delete");
    let message = h
        .wait_for::<DBInstance, _>("db", "the protection named", LIMIT, |d| {
            let c = support::condition(&d.status.as_ref()?.conditions, "Synced")?;
            c.message
                .contains("deletion protection")
                .then_some(c.message)
        })
        .await;
    assert!(
        message.contains("spec.forProvider.deletionProtection: false"),
        "{message}"
    );
    cloud_until(h, "the instance kept, still protected", |r| {
        r[field] == true
    })
    .await;
    h.merge::<DBInstance>(
        "db",
        json!({"spec": {"forProvider": {"deletionProtection": false}}}),
    )
    .await;
    h.wait_gone::<DBInstance>("db", LIMIT).await;
}

#[tokio::test]
async fn dds_deletion_protection_is_put_back_and_released_only_by_the_spec() {
    let Some(h) = dds_ready("protection_dds").await else {
        return;
    };
    h.merge::<DBInstance>(
        "db",
        json!({"spec": {"forProvider": {"deletionProtection": true}}}),
    )
    .await;
    cloud_until(&h, "protection on", |r| r["releaseProtection"] == true).await;
    let id = h
        .api::<DBInstance>()
        .get("db")
        .await
        .expect("db")
        .status
        .and_then(|s| s.instance_id)
        .expect("id");
    h.edit_in_cloud(&id, json!({"releaseProtection": false}))
        .await;
    cloud_until(&h, "protection put back", |r| {
        r["releaseProtection"] == true
    })
    .await;
    deletion_protection_holds_until_the_spec_lets_go(&h, "releaseProtection").await;
    assert_eq!(writes(&h).await.get("DeleteDBInstance"), Some(&1));
    assert!(
        h.cloud_instances().await.is_empty(),
        "the instance was deleted"
    );
}

#[tokio::test]
async fn atlas_termination_protection_is_released_only_by_the_spec() {
    let Some(mut h) = support::harness("protection_atlas", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(
        json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance",
        "metadata": {"name": "db"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"regionId": "US_EAST_1", "engineVersion": "8.0",
                                 "instanceClass": "M10", "storageGB": 10,
                                 "atlas": {"providerName": "AWS"}}}}),
    )
    .await;
    settled::<DBInstance>(&h, "db").await;
    deletion_protection_holds_until_the_spec_lets_go(&h, "terminationProtectionEnabled").await;
    assert_eq!(writes(&h).await.get("deleteCluster"), Some(&1));
}

/// A ProviderConfig in use waits for its users, names them, and keeps serving them meanwhile.
#[tokio::test]
async fn a_provider_config_in_use_is_not_deleted_out_from_under_its_resources() {
    let Some(h) = dds_ready("pc_in_use").await else {
        return;
    };
    let pcs = kube::Api::<mongocloud_operator::api::ProviderConfig>::all(h.client.clone());
    let pc = pcs.get(&h.pc).await.expect("pc");
    assert!(
        pc.metadata
            .finalizers
            .iter()
            .flatten()
            .any(|f| f == "mongocloud.dev/finalizer"),
        "the ProviderConfig carries the finalizer: {:?}",
        pc.metadata.finalizers
    );
    pcs.delete(&h.pc, &DeleteParams::default())
        .await
        .expect("delete pc");
    let user = format!("DBInstance {}/db", h.ns);
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let pc = pcs.get(&h.pc).await.expect("pc still there");
        let status = pc.status.clone().unwrap_or_default();
        let waiting = support::condition(&status.conditions, "Deleting")
            .is_some_and(|c| c.reason == "InUse" && c.message.contains(&user));
        if status.users.contains(&user) && status.user_count == Some(1) && waiting {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no InUse status naming {user}: {status:?}\n{}",
            h.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Still served: a change to the instance goes through.
    h.merge::<DBInstance>(
        "db",
        json!({"spec": {"forProvider": {"description": "still served"}}}),
    )
    .await;
    cloud_until(&h, "the description", |r| {
        r["description"] == "still served"
    })
    .await;

    h.api::<DBInstance>()
        .delete("db", &DeleteParams::default())
        .await
        .expect("delete db");
    let deadline = std::time::Instant::now() + LIMIT;
    while pcs.get_opt(&h.pc).await.expect("read").is_some() {
        assert!(
            std::time::Instant::now() < deadline,
            "the unused ProviderConfig was not released\n{}",
            h.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
