//! Backup policies, restorable windows and restores through both clients against the emulator
//! over loopback: the policy read back as written, the window, clones from a backup and from a
//! time, and the clouds' refusals (bad backup id, time outside the window, source elsewhere).

use std::time::Duration;

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::atlas::AtlasProvider;
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::*;
use mongocloud_operator::emulator::{self, Config, Running};
use serde_json::{Value, json};

const GROUP: &str = "6746cea8a3b0f86a2fbdc1f1";

async fn emulator() -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(50),
        ..Config::default()
    };
    emulator::start(config).await.expect("emulator starts")
}

fn aliyun(e: &Running) -> AliyunClient {
    let settings = AccountSettings {
        endpoint: Some(e.url()),
        region: Some("cn-hangzhou".to_owned()),
        access_key_id: "LTAIemulator".to_owned(),
        access_key_secret: Redacted("emulator-secret".to_owned()),
        requests_per_second: 1000,
        ..AccountSettings::default()
    };
    AliyunClient::new(settings, None).expect("client")
}

fn atlas(e: &Running) -> AtlasProvider {
    let settings = AccountSettings {
        cloud: Cloud::Atlas,
        project_id: Some(GROUP.to_owned()),
        endpoint: Some(format!("{}/api/atlas/v2", e.url())),
        access_key_id: "emulator-public".to_owned(),
        access_key_secret: Redacted("emulator-private".to_owned()),
        requests_per_second: 1000,
        ..AccountSettings::default()
    };
    AtlasProvider::new(settings, None).expect("provider")
}

fn request(token: &str, region: &str) -> CreateInstance {
    CreateInstance {
        region: region.into(),
        engine_version: "6.0".into(),
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        client_token: token.into(),
        ..CreateInstance::default()
    }
}

async fn running(c: &dyn Provider, id: &str) {
    for _ in 0..200 {
        if c.describe_instance(id)
            .await
            .expect("describe")
            .is_some_and(|i| i.status == "Running")
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never Running");
}

async fn backup_done(c: &dyn Provider, id: &str, backup: &str) {
    for _ in 0..200 {
        let b = c.describe_backups(id, Some(backup)).await.expect("backups");
        if b.first().is_some_and(|b| b.status == "Success") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("backup {backup} of {id} never finished");
}

async fn state(e: &Running, path: &str) -> Value {
    reqwest::get(format!("{}{path}", e.url()))
        .await
        .expect("admin")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn aliyun_policy_window_and_clones() {
    let e = emulator().await;
    let c = aliyun(&e);
    let src = c
        .create_instance(&request("src", "cn-hangzhou"))
        .await
        .expect("create");
    running(&c, &src).await;

    let default = c.describe_backup_policy(&src).await.expect("policy");
    assert_eq!(default.window.as_deref(), Some("18:00Z-19:00Z"));
    assert_eq!(default.log_backup, Some(false));
    let wanted = BackupPolicySettings {
        window: Some("02:00Z-03:00Z".into()),
        days: vec!["Monday".into(), "Friday".into()],
        retention_days: Some(30),
        log_backup: Some(true),
        log_retention_days: Some(7),
        ..default.clone()
    };
    c.modify_backup_policy(&src, &wanted).await.expect("modify");
    assert_eq!(
        c.describe_backup_policy(&src).await.expect("policy"),
        wanted
    );

    let bad = BackupPolicySettings {
        window: Some("02:00Z-05:00Z".into()),
        ..wanted.clone()
    };
    let refused = c
        .modify_backup_policy(&src, &bad)
        .await
        .expect_err("two hours");
    assert_eq!(refused.code, "InvalidPreferredBackupTime.Format");
    assert_eq!(refused.class, ErrorClass::Terminal);

    // No full backup since log backup was turned on: no window yet.
    let none = c.describe_restore_window(&src).await.expect("window");
    assert_eq!((none.earliest, none.latest_backup_id), (None, None));
    let backup = c
        .create_backup(&src, "Physical", "uid-1")
        .await
        .expect("backup");
    backup_done(&c, &src, &backup).await;
    let window = c.describe_restore_window(&src).await.expect("window");
    assert_eq!(window.latest_backup_id.as_deref(), Some(backup.as_str()));
    let (earliest, latest) = (
        window.earliest.expect("earliest"),
        window.latest.expect("latest"),
    );
    assert!(earliest <= latest);

    let from_backup = CreateInstance {
        restore: Some(RestoreSource {
            source_id: src.clone(),
            backup_id: Some(backup.clone()),
            restore_time: None,
        }),
        ..request("from-backup", "cn-hangzhou")
    };
    let clone = c.create_instance(&from_backup).await.expect("clone");
    let at_time = CreateInstance {
        restore: Some(RestoreSource {
            source_id: src.clone(),
            backup_id: None,
            restore_time: Some(latest.clone()),
        }),
        ..request("at-time", "cn-hangzhou")
    };
    let pit = c.create_instance(&at_time).await.expect("point in time");
    let dump = state(&e, "/_emulator/state").await;
    assert_eq!(
        dump["instances"][&clone]["restoredFrom"],
        json!({"sourceInstanceId": src, "backupId": backup})
    );
    assert_eq!(
        dump["instances"][&pit]["restoredFrom"]["restoreTime"],
        latest.as_str()
    );

    let refusals = [
        (
            "bad backup id",
            RestoreSource {
                source_id: src.clone(),
                backup_id: Some("999".into()),
                restore_time: None,
            },
            "cn-hangzhou",
            "InvalidBackupSetID.NotFound",
        ),
        (
            "time outside the window",
            RestoreSource {
                source_id: src.clone(),
                backup_id: None,
                restore_time: Some("2020-01-01T00:00:00Z".into()),
            },
            "cn-hangzhou",
            "InvalidRestoreTime",
        ),
        (
            "source in another region",
            RestoreSource {
                source_id: src.clone(),
                backup_id: Some(backup.clone()),
                restore_time: None,
            },
            "cn-beijing",
            "OperationDenied.CrossRegionRestore",
        ),
        (
            "unknown source",
            RestoreSource {
                source_id: "dds-nosuch0000".into(),
                backup_id: Some(backup.clone()),
                restore_time: None,
            },
            "cn-hangzhou",
            "InvalidSrcDBInstanceId.NotFound",
        ),
    ];
    let before = state(&e, "/_emulator/state").await["instances"]
        .as_object()
        .map(|m| m.len());
    for (name, source, region, code) in refusals {
        let r = CreateInstance {
            restore: Some(source),
            ..request(name, region)
        };
        let refused = c.create_instance(&r).await.expect_err(name);
        assert_eq!(refused.code, code, "case: {name}");
        if code == "InvalidRestoreTime" {
            assert!(
                refused.message.contains(&earliest),
                "names the window: {}",
                refused.message
            );
        }
    }
    let after = state(&e, "/_emulator/state").await["instances"]
        .as_object()
        .map(|m| m.len());
    assert_eq!(before, after, "a refused clone creates nothing");
}

async fn atlas_cluster(c: &AtlasProvider, name: &str) {
    let request = CreateInstance {
        region: "US_EAST_1".into(),
        engine_version: "8.0".into(),
        instance_class: "M10".into(),
        storage_gb: 10,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        name: Some(name.into()),
        cloud_provider: Some("AWS".into()),
        backup_enabled: Some(true),
        client_token: name.into(),
        ..CreateInstance::default()
    };
    let id = c.create_instance(&request).await.expect("cluster");
    running(c, &id).await;
}

#[tokio::test]
async fn atlas_schedule_window_and_restore_jobs() {
    let e = emulator().await;
    let c = atlas(&e);
    atlas_cluster(&c, "src").await;
    atlas_cluster(&c, "copy").await;

    let default = c.describe_backup_policy("src").await.expect("schedule");
    assert_eq!(default.window.as_deref(), Some("12:00Z-13:00Z"));
    assert_eq!(default.items.len(), 4);
    let wanted = BackupPolicySettings {
        window: Some("02:30Z-03:30Z".into()),
        restore_window_days: Some(2),
        items: vec![PolicyItem {
            frequency_type: "daily".into(),
            frequency_interval: 1,
            retention_unit: "days".into(),
            retention_value: 14,
        }],
        ..default.clone()
    };
    c.modify_backup_policy("src", &wanted).await.expect("patch");
    assert_eq!(
        c.describe_backup_policy("src").await.expect("schedule"),
        wanted
    );
    let foreign = BackupPolicySettings {
        policy_id: Some("000000000000000000000000".into()),
        ..wanted.clone()
    };
    let refused = c
        .modify_backup_policy("src", &foreign)
        .await
        .expect_err("foreign policy id");
    assert_eq!(refused.code, "INVALID_BACKUP_POLICY_ID");

    let snapshot = c
        .create_backup("src", "Physical", "uid-1")
        .await
        .expect("snapshot");
    backup_done(&c, "src", &snapshot).await;
    // The snapshot says which Backup took it, so a lost answer adopts only its own.
    let listed = c
        .describe_backups("src", Some(&snapshot))
        .await
        .expect("snapshot listed");
    assert_eq!(
        listed.first().and_then(|b| b.owner.as_deref()),
        Some("uid-1")
    );
    let window = c.describe_restore_window("src").await.expect("window");
    assert_eq!(window.latest_backup_id.as_deref(), Some(snapshot.as_str()));
    let earliest = window.earliest.expect("earliest");

    let by_snapshot = RestoreSource {
        source_id: "src".into(),
        backup_id: Some(snapshot.clone()),
        restore_time: None,
    };
    let job = c
        .start_restore("copy", &by_snapshot)
        .await
        .expect("restore job");
    let mut finished = false;
    for _ in 0..200 {
        if c.describe_restore("src", &job).await.expect("job").finished {
            finished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(finished, "restore job {job} never finished");
    let dump = state(&e, "/_emulator/atlas/state").await;
    let copy = &dump["projects"][GROUP]["clusters"]["copy"]["restoredFrom"];
    assert_eq!(copy["sourceClusterName"], "src");
    assert_eq!(copy["snapshotId"], snapshot.as_str());

    let at_time = RestoreSource {
        source_id: "src".into(),
        backup_id: None,
        restore_time: Some(earliest.clone()),
    };
    c.start_restore("copy", &at_time)
        .await
        .expect("point in time");
    let refusals = [
        (
            "unknown snapshot",
            RestoreSource {
                backup_id: Some("000000000000000000000000".into()),
                ..by_snapshot.clone()
            },
            "copy",
            "SNAPSHOT_NOT_FOUND",
        ),
        (
            "time outside the window",
            RestoreSource {
                restore_time: Some("2020-01-01T00:00:00Z".into()),
                ..at_time.clone()
            },
            "copy",
            "INVALID_POINT_IN_TIME_RESTORE_TIME",
        ),
        (
            "no such target",
            by_snapshot.clone(),
            "nosuch",
            "CLUSTER_NOT_FOUND",
        ),
    ];
    for (name, source, target, code) in refusals {
        let refused = c.start_restore(target, &source).await.expect_err(name);
        assert_eq!(refused.code, code, "case: {name}");
    }
}
