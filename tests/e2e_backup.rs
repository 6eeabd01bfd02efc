//! Backup policy and restore end to end, on both clouds: the real API server, the operator
//! binary, the emulator as the cloud. What the cloud holds, and what a clone was restored from,
//! come from the emulator's admin endpoints.

mod support;

use std::time::Duration;

use mongocloud_operator::api::{Backup, DBInstance};
use serde_json::{Value, json};
use support::{ATLAS_PROJECT, Harness, has_condition};

const LIMIT: Duration = Duration::from_secs(40);

fn aliyun_instance(h: &Harness, name: &str, extra: Value) -> Value {
    let mut manifest = h.small_dbinstance(name);
    if let (Some(fp), Some(extra)) = (
        manifest["spec"]["forProvider"].as_object_mut(),
        extra.as_object(),
    ) {
        fp.extend(extra.clone());
    }
    manifest
}

fn atlas_cluster(h: &Harness, name: &str, extra: Value) -> Value {
    let mut fp = json!({"regionId": "US_EAST_1", "engineVersion": "8.0", "instanceClass": "M10",
                        "storageGB": 10, "atlas": {"backupEnabled": true}});
    if let (Some(fp), Some(extra)) = (fp.as_object_mut(), extra.as_object()) {
        fp.extend(extra.clone());
    }
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name},
           "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": fp}})
}

async fn ready(h: &Harness, name: &str) -> DBInstance {
    h.wait_for::<DBInstance, _>(name, "Ready=True", LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Ready", "True", None).map(|()| d.clone())
    })
    .await
}

async fn backup_ready(h: &Harness, instance: &str) -> String {
    h.create::<Backup>(json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "Backup", "metadata": {"name": "nightly"},
        "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": {"dbInstanceRef": {"name": instance}, "method": "Physical"}}}))
    .await;
    h.wait_for::<Backup, _>("nightly", "Ready=True", LIMIT, |b| {
        let st = b.status.as_ref()?;
        has_condition(b, &st.conditions, "Ready", "True", None)?;
        st.backup_id.clone()
    })
    .await
}

/// The source's restorable window once the operator has read it after the backup.
async fn window(h: &Harness, name: &str, backup_id: &str) -> (String, String) {
    h.wait_for::<DBInstance, _>(name, "status.backups with the new backup", LIMIT, |d| {
        let b = d.status.as_ref()?.backups.as_ref()?;
        (b.latest_backup_id.as_deref() == Some(backup_id)).then_some(())?;
        Some((
            b.earliest_restore_time.clone()?,
            b.latest_restore_time.clone()?,
        ))
    })
    .await
}

/// A refusal of `restoreTime` that names the window, and no instance made for it.
async fn refused_outside_window(h: &Harness, name: &str) -> String {
    h.wait_for::<DBInstance, _>(name, "Synced=False TerminalError", LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Synced", "False", Some("TerminalError"))?;
        support::condition(&st.conditions, "Synced").map(|c| c.message)
    })
    .await
}

async fn cloud_instance(h: &Harness, id: &str) -> Value {
    h.cloud_instances()
        .await
        .get(id)
        .cloned()
        .unwrap_or(Value::Null)
}

fn id_of(d: &DBInstance) -> String {
    d.status
        .as_ref()
        .and_then(|s| s.instance_id.clone())
        .unwrap_or_default()
}

#[tokio::test]
async fn aliyun_policy_is_held_and_put_back_and_clones_restore_from_a_backup_or_a_time() {
    let Some(mut h) = support::harness("e2e_backup_aliyun", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);

    // Given a policy declared on the source instance, the cloud holds it.
    let policy = json!({"backupPolicy": {"preferredBackupTime": "02:00Z-03:00Z",
        "preferredBackupDays": ["Monday", "Friday"], "retentionDays": 30,
        "aliyun": {"enableLogBackup": true, "logRetentionDays": 7}}});
    h.create::<DBInstance>(aliyun_instance(&h, "src", policy))
        .await;
    let src = id_of(&ready(&h, "src").await);
    let held = |i: &Value| {
        let p = &i["backupPolicy"];
        p["preferredBackupTime"] == "02:00Z-03:00Z"
            && p["preferredBackupPeriod"] == "Monday,Friday"
            && p["backupRetentionPeriod"] == 30
            && p["enableBackupLog"] == 1
    };
    wait_cloud(&h, &src, "the declared policy", held).await;

    // When it is changed out of band, it is put back at the next drift check.
    h.edit_in_cloud(
        &src,
        json!({"backupPolicy": {"BackupRetentionPeriod": "7", "EnableBackupLog": "0"}}),
    )
    .await;
    let before = h.calls_of("ModifyBackupPolicy").await;
    wait_cloud(&h, &src, "the policy put back", held).await;
    assert_eq!(
        h.calls_of("ModifyBackupPolicy").await,
        before + 1,
        "one write puts it back"
    );

    // Log backup was off for a moment, so the window starts with a backup taken after it.
    let backup_id = backup_ready(&h, "src").await;
    let (earliest, latest) = window(&h, "src", &backup_id).await;

    // A clone from that Backup is Ready, and the cloud says where its data came from.
    h.create::<DBInstance>(aliyun_instance(
        &h,
        "from-backup",
        json!({"restoreFrom": {"backupRef": {"name": "nightly"}}}),
    ))
    .await;
    let clone = cloud_instance(&h, &id_of(&ready(&h, "from-backup").await)).await;
    assert_eq!(clone["restoredFrom"]["sourceInstanceId"], src.as_str());
    assert_eq!(clone["restoredFrom"]["backupId"], backup_id.as_str());

    // A point-in-time clone inside the window is Ready.
    h.create::<DBInstance>(aliyun_instance(
        &h,
        "pit",
        json!({"restoreFrom": {"sourceInstanceRef": {"name": "src"}, "restoreTime": latest}}),
    ))
    .await;
    let pit = id_of(&ready(&h, "pit").await);
    assert_eq!(
        cloud_instance(&h, &pit).await["restoredFrom"]["restoreTime"],
        latest.as_str()
    );

    // restoreFrom is create-only. (A backup's window can be one second wide, so the change is
    // to another kind of source rather than to another time.)
    h.merge::<DBInstance>(
        "pit",
        json!({"spec": {"forProvider": {"restoreFrom": {
            "sourceInstanceRef": null, "restoreTime": null, "backupRef": {"name": "nightly"}
        }}}}),
    )
    .await;
    let message = refused_outside_window(&h, "pit").await;
    assert!(
        message.contains("spec.forProvider.restoreFrom"),
        "{message}"
    );

    // One outside the window is refused naming restoreTime and the window; nothing is created.
    let creates = h.calls_of("CreateDBInstance").await;
    let instances = h.cloud_instances().await.len();
    h.create::<DBInstance>(aliyun_instance(&h, "too-old", json!({"restoreFrom": {"sourceInstanceRef": {"name": "src"}, "restoreTime": "2020-01-01T00:00:00Z"}})))
        .await;
    let message = refused_outside_window(&h, "too-old").await;
    assert!(
        message.contains("spec.forProvider.restoreFrom.restoreTime"),
        "{message}"
    );
    assert!(
        message.contains(&earliest),
        "the window is named: {message}"
    );
    assert_eq!(
        h.calls_of("CreateDBInstance").await,
        creates,
        "no create was sent"
    );
    assert_eq!(
        h.cloud_instances().await.len(),
        instances,
        "0 instances created"
    );

    // The policy is read on the drift timer (3 s here), not by every reconcile: over three
    // intervals the one instance with a policy costs about three reads of each kind.
    let reads = [
        "DescribeBackupPolicy",
        "DescribeInstanceRecoverTime",
        "DescribeBackups",
    ];
    let mut before = Vec::new();
    for action in reads {
        before.push(h.calls_of(action).await);
    }
    tokio::time::sleep(Duration::from_secs(9)).await;
    for (action, before) in reads.into_iter().zip(before) {
        let spent = h.calls_of(action).await - before;
        println!("{action}: {spent} calls in 9 s (drift interval 3 s)");
        assert!((1..=5).contains(&spent), "{action}: {spent} calls in 9 s");
    }
}

async fn wait_cloud(h: &Harness, id: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let instance = cloud_instance(h, id).await;
        if check(&instance) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} in the cloud after {LIMIT:?}: {}\n--- calls ---\n{}\n--- operator log ---\n{}",
            instance["backupPolicy"],
            h.calls().await,
            h.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn atlas_cloud_cluster(h: &Harness, name: &str) -> Value {
    h.atlas_state().await["projects"][ATLAS_PROJECT]["clusters"][name].clone()
}

async fn wait_atlas(h: &Harness, name: &str, what: &str, check: impl Fn(&Value) -> bool) {
    let deadline = std::time::Instant::now() + LIMIT;
    loop {
        let cluster = atlas_cloud_cluster(h, name).await;
        if check(&cluster) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} in Atlas after {LIMIT:?}: {}\n--- calls ---\n{}\n--- operator log ---\n{}",
            cluster["schedule"],
            h.atlas_calls().await,
            h.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn atlas_count(calls: &Value, operation: &str) -> u64 {
    calls["operations"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn atlas_schedule_is_held_and_put_back_and_clusters_restore_from_a_snapshot_or_a_time() {
    let Some(mut h) = support::harness("e2e_backup_atlas", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);

    let policy = json!({"backupPolicy": {"preferredBackupTime": "02:30Z-03:30Z", "retentionDays": 14,
        "atlas": {"restoreWindowDays": 2, "hourly": {"frequencyInterval": 6, "retentionValue": 2}}}});
    h.create::<DBInstance>(atlas_cluster(&h, "src", policy))
        .await;
    ready(&h, "src").await;
    let held = |c: &Value| {
        let s = &c["schedule"];
        let items = s["policyItems"].as_array().cloned().unwrap_or_default();
        s["referenceHourOfDay"] == 2
            && s["referenceMinuteOfHour"] == 30
            && s["restoreWindowDays"] == 2
            && items.len() == 2
            && items
                .iter()
                .any(|i| i["frequencyType"] == "daily" && i["retentionValue"] == 14)
    };
    wait_atlas(&h, "src", "the declared schedule", held).await;

    h.atlas_admin(
        &format!("/groups/{ATLAS_PROJECT}/clusters/src"),
        json!({"backupSchedule": {"referenceHourOfDay": 9, "restoreWindowDays": 7}}),
    )
    .await;
    let before = atlas_count(&h.atlas_calls().await, "updateBackupSchedule");
    wait_atlas(&h, "src", "the schedule put back", held).await;
    assert_eq!(
        atlas_count(&h.atlas_calls().await, "updateBackupSchedule"),
        before + 1
    );

    let snapshot = backup_ready(&h, "src").await;
    let (earliest, _) = window(&h, "src", &snapshot).await;

    h.create::<DBInstance>(atlas_cluster(
        &h,
        "copy",
        json!({"restoreFrom": {"backupRef": {"name": "nightly"}}}),
    ))
    .await;
    ready(&h, "copy").await;
    let copy = atlas_cloud_cluster(&h, "copy").await;
    assert_eq!(copy["restoredFrom"]["sourceClusterName"], "src");
    assert_eq!(copy["restoredFrom"]["snapshotId"], snapshot.as_str());

    h.create::<DBInstance>(atlas_cluster(
        &h,
        "pit",
        json!({"restoreFrom": {"sourceInstanceRef": {"name": "src"}, "restoreTime": earliest}}),
    ))
    .await;
    ready(&h, "pit").await;
    let pit = atlas_cloud_cluster(&h, "pit").await;
    assert_eq!(pit["restoredFrom"]["sourceClusterName"], "src");
    assert!(
        pit["restoredFrom"]["pointInTimeUTCSeconds"].is_i64(),
        "{pit}"
    );

    let calls = h.atlas_calls().await;
    let creates = atlas_count(&calls, "createCluster");
    let jobs = atlas_count(&calls, "createBackupRestoreJob");
    h.create::<DBInstance>(atlas_cluster(&h, "too-old", json!({"restoreFrom": {"sourceInstanceRef": {"name": "src"}, "restoreTime": "2020-01-01T00:00:00Z"}})))
        .await;
    let message = refused_outside_window(&h, "too-old").await;
    assert!(
        message.contains("spec.forProvider.restoreFrom.restoreTime"),
        "{message}"
    );
    assert!(
        message.contains(&earliest),
        "the window is named: {message}"
    );
    let calls = h.atlas_calls().await;
    assert_eq!(
        atlas_count(&calls, "createCluster"),
        creates,
        "no cluster was created"
    );
    assert_eq!(atlas_count(&calls, "createBackupRestoreJob"), jobs);
    assert!(
        atlas_cloud_cluster(&h, "too-old").await.is_null(),
        "0 clusters created"
    );
}
