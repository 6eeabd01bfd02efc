use serde_json::{Value, json};

use super::*;
use crate::api::dbinstance_backup::RestoreFrom;
use crate::cloud::{BackupInfo, RestoreSource, RestoreWindow};
use crate::reconcile::dbinstance_restore as restore;

fn params(cloud: Cloud, extra: Value) -> DBInstanceParameters {
    let mut base = match cloud {
        Cloud::Aliyun => json!({
            "regionId": "cn-hangzhou", "engineVersion": "7.0",
            "instanceClass": "dds.mongo.mid", "storageGB": 20
        }),
        Cloud::Atlas => json!({
            "regionId": "US_EAST_1", "engineVersion": "7.0", "instanceClass": "M10",
            "storageGB": 10, "atlas": {"backupEnabled": true}
        }),
    };
    if let (Some(base), Some(extra)) = (base.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::from_value(base).expect("parameters")
}

fn policy(cloud: Cloud, p: Value) -> DBInstanceParameters {
    params(cloud, json!({"backupPolicy": p}))
}

/// Every field a cloud cannot take is refused by its own name, and so are bad values.
#[test]
fn refused_backup_policy_fields() {
    use Cloud::{Aliyun, Atlas};
    let cases: [(&str, Cloud, Value, &str); 16] = [
        (
            "atlas section on Aliyun",
            Aliyun,
            json!({"atlas": {"restoreWindowDays": 2}}),
            "backupPolicy.atlas",
        ),
        (
            "Aliyun retention under 7",
            Aliyun,
            json!({"retentionDays": 3}),
            "backupPolicy.retentionDays",
        ),
        (
            "log retention over full retention",
            Aliyun,
            json!({"retentionDays": 7, "aliyun": {"logRetentionDays": 30}}),
            "backupPolicy.aliyun.logRetentionDays",
        ),
        (
            "log retention with log backup off",
            Aliyun,
            json!({"aliyun": {"enableLogBackup": false, "logRetentionDays": 7}}),
            "backupPolicy.aliyun.logRetentionDays",
        ),
        (
            "two-hour window",
            Aliyun,
            json!({"preferredBackupTime": "02:00Z-04:00Z"}),
            "backupPolicy.preferredBackupTime",
        ),
        (
            "two-hour window on Atlas",
            Atlas,
            json!({"preferredBackupTime": "02:00Z-04:00Z"}),
            "backupPolicy.preferredBackupTime",
        ),
        (
            "log backup on Atlas",
            Atlas,
            json!({"aliyun": {"enableLogBackup": true}}),
            "backupPolicy.aliyun.enableLogBackup",
        ),
        (
            "log retention on Atlas",
            Atlas,
            json!({"aliyun": {"logRetentionDays": 7}}),
            "backupPolicy.aliyun.logRetentionDays",
        ),
        (
            "interval on Atlas",
            Atlas,
            json!({"aliyun": {"backupIntervalMinutes": 30}}),
            "backupPolicy.aliyun.backupIntervalMinutes",
        ),
        (
            "snapshot type on Atlas",
            Atlas,
            json!({"aliyun": {"snapshotBackupType": "Flash"}}),
            "backupPolicy.aliyun.snapshotBackupType",
        ),
        (
            "retention on deletion on Atlas",
            Atlas,
            json!({"aliyun": {"retentionOnDeletion": "KeepAll"}}),
            "backupPolicy.aliyun.retentionOnDeletion",
        ),
        (
            "some days on Atlas",
            Atlas,
            json!({"preferredBackupDays": ["Monday"]}),
            "backupPolicy.preferredBackupDays",
        ),
        (
            "hourly every 5 hours",
            Atlas,
            json!({"atlas": {"hourly": {"frequencyInterval": 5, "retentionValue": 2}}}),
            "backupPolicy.atlas.hourly.frequencyInterval",
        ),
        (
            "weekly on day 8",
            Atlas,
            json!({"atlas": {"weekly": {"frequencyInterval": 8, "retentionValue": 2}}}),
            "backupPolicy.atlas.weekly.frequencyInterval",
        ),
        (
            "monthly on the 30th",
            Atlas,
            json!({"atlas": {"monthly": {"frequencyInterval": 30, "retentionValue": 2}}}),
            "backupPolicy.atlas.monthly.frequencyInterval",
        ),
        (
            "empty aliyun section on Atlas",
            Atlas,
            json!({"aliyun": {}}),
            "backupPolicy.aliyun",
        ),
    ];
    for (name, cloud, p, field) in cases {
        let refused = check(&policy(cloud, p), cloud).expect_err(name);
        assert_eq!(
            refused.field,
            format!("spec.forProvider.{field}"),
            "case: {name}"
        );
    }
    let without_backups = params(
        Atlas,
        json!({"atlas": {"backupEnabled": false}, "backupPolicy": {"retentionDays": 7}}),
    );
    assert_eq!(
        check(&without_backups, Atlas).map_err(|i| i.field),
        Err("spec.forProvider.backupPolicy".to_owned())
    );
}

#[test]
fn accepted_backup_policies() {
    let all_days = json!([
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday"
    ]);
    let cases: [(&str, Cloud, Value); 4] = [
        (
            "full Aliyun policy",
            Cloud::Aliyun,
            json!({"preferredBackupTime": "23:00Z-00:00Z", "preferredBackupDays": ["Friday", "Monday"], "retentionDays": 30, "aliyun": {"enableLogBackup": true, "logRetentionDays": 7, "backupIntervalMinutes": 30, "snapshotBackupType": "Flash", "retentionOnDeletion": "KeepLast"}}),
        ),
        (
            "full Atlas policy",
            Cloud::Atlas,
            json!({"preferredBackupTime": "02:30Z-03:30Z", "retentionDays": 14, "atlas": {"restoreWindowDays": 3, "hourly": {"frequencyInterval": 6, "retentionValue": 2}, "weekly": {"frequencyInterval": 6, "retentionValue": 4}, "monthly": {"frequencyInterval": 40, "retentionValue": 12}}}),
        ),
        (
            "all seven days on Atlas",
            Cloud::Atlas,
            json!({"preferredBackupDays": all_days}),
        ),
        ("no policy at all", Cloud::Aliyun, Value::Null),
    ];
    for (name, cloud, p) in cases {
        let p = if p.is_null() {
            params(cloud, json!({}))
        } else {
            policy(cloud, p)
        };
        assert_eq!(check(&p, cloud), Ok(()), "case: {name}");
    }
}

fn want(cloud: Cloud, p: Value) -> BackupPolicySettings {
    let p = policy(cloud, p);
    desired(p.backup_policy.as_deref().expect("policy"), cloud)
}

fn item(kind: &str, every: i32, unit: &str, keep: i32) -> PolicyItem {
    PolicyItem {
        frequency_type: kind.to_owned(),
        frequency_interval: every,
        retention_unit: unit.to_owned(),
        retention_value: keep,
    }
}

#[test]
fn aliyun_mapping() {
    let cases: [(&str, Value, BackupPolicySettings); 3] = [
        (
            "nothing set changes nothing",
            json!({}),
            BackupPolicySettings::default(),
        ),
        (
            "shared fields, days in week order",
            json!({"preferredBackupTime": "02:00Z-03:00Z", "preferredBackupDays": ["Sunday", "Monday"], "retentionDays": 14}),
            BackupPolicySettings {
                window: Some("02:00Z-03:00Z".into()),
                days: vec!["Monday".into(), "Sunday".into()],
                retention_days: Some(14),
                ..Default::default()
            },
        ),
        (
            "the aliyun section",
            json!({"aliyun": {"enableLogBackup": true, "logRetentionDays": 7, "backupIntervalMinutes": -1, "snapshotBackupType": "Standard", "retentionOnDeletion": "KeepAll"}}),
            BackupPolicySettings {
                log_backup: Some(true),
                log_retention_days: Some(7),
                interval_minutes: Some(-1),
                snapshot_type: Some("Standard".into()),
                retention_on_deletion: Some(2),
                ..Default::default()
            },
        ),
    ];
    for (name, p, expected) in cases {
        assert_eq!(want(Cloud::Aliyun, p), expected, "case: {name}");
    }
}

#[test]
fn atlas_mapping() {
    let cases: [(&str, Value, BackupPolicySettings); 3] = [
        (
            "window and restore window, items untouched",
            json!({"preferredBackupTime": "02:30Z-03:30Z", "atlas": {"restoreWindowDays": 2}}),
            BackupPolicySettings {
                window: Some("02:30Z-03:30Z".into()),
                restore_window_days: Some(2),
                ..Default::default()
            },
        ),
        (
            "retention is the daily item",
            json!({"retentionDays": 14}),
            BackupPolicySettings {
                items: vec![item("daily", 1, "days", 14)],
                ..Default::default()
            },
        ),
        (
            "every frequency, sorted",
            json!({"retentionDays": 7, "atlas": {"hourly": {"frequencyInterval": 6, "retentionValue": 2}, "weekly": {"frequencyInterval": 6, "retentionValue": 4}, "monthly": {"frequencyInterval": 40, "retentionValue": 12}}}),
            BackupPolicySettings {
                items: vec![
                    item("daily", 1, "days", 7),
                    item("hourly", 6, "days", 2),
                    item("monthly", 40, "months", 12),
                    item("weekly", 6, "weeks", 4),
                ],
                ..Default::default()
            },
        ),
    ];
    for (name, p, expected) in cases {
        assert_eq!(want(Cloud::Atlas, p), expected, "case: {name}");
    }
}

fn aliyun_default() -> BackupPolicySettings {
    BackupPolicySettings {
        window: Some("18:00Z-19:00Z".into()),
        days: vec!["Tuesday".into(), "Thursday".into(), "Saturday".into()],
        retention_days: Some(7),
        log_backup: Some(false),
        log_retention_days: Some(7),
        interval_minutes: Some(-1),
        snapshot_type: Some("Standard".into()),
        retention_on_deletion: Some(0),
        ..Default::default()
    }
}

#[test]
fn the_write_lays_the_spec_over_the_cloud_and_converges() {
    let spec = want(
        Cloud::Aliyun,
        json!({"preferredBackupTime": "02:00Z-03:00Z", "retentionDays": 30, "aliyun": {"enableLogBackup": true}}),
    );
    let have = aliyun_default();
    let fields: Vec<&str> = differences(&spec, &have).iter().map(|d| d.field).collect();
    assert_eq!(
        fields,
        [
            "preferredBackupTime",
            "retentionDays",
            "aliyun.enableLogBackup"
        ]
    );
    let next = change(&spec, &have).expect("a write");
    assert_eq!(
        next.days, have.days,
        "fields the spec leaves out are sent as the cloud has them"
    );
    assert_eq!(next.retention_days, Some(30));
    assert_eq!(
        change(&spec, &next),
        None,
        "after the write nothing differs"
    );
    assert_eq!(change(&BackupPolicySettings::default(), &have), None);
}

#[test]
fn atlas_items_are_compared_in_any_order_and_keep_the_policy_id() {
    let spec = want(
        Cloud::Atlas,
        json!({"retentionDays": 7, "atlas": {"hourly": {"frequencyInterval": 6, "retentionValue": 2}}}),
    );
    let have = BackupPolicySettings {
        items: vec![item("hourly", 6, "days", 2), item("daily", 1, "days", 7)],
        policy_id: Some("p1".into()),
        ..Default::default()
    };
    assert_eq!(change(&spec, &have), None);
    let longer = want(Cloud::Atlas, json!({"retentionDays": 30}));
    let next = change(&longer, &have).expect("a write");
    assert_eq!(next.items, vec![item("daily", 1, "days", 30)]);
    assert_eq!(next.policy_id.as_deref(), Some("p1"));
}

fn record(asked: Value, finished: bool, job: Option<&str>) -> RestoreRecord {
    let asked: RestoreFrom = serde_json::from_value(asked).expect("restoreFrom");
    RestoreRecord {
        source_instance_id: "dds-src1".into(),
        backup_id: asked.backup_id.clone(),
        restore_time: asked.restore_time.clone(),
        requested: asked,
        restore_job_id: job.map(str::to_owned),
        finished,
    }
}

fn side<'a>(
    restore: Option<&'a RestoreRecord>,
    have: Option<&'a BackupPolicySettings>,
    job: Option<&'a RestoreJob>,
) -> BackupSide<'a> {
    BackupSide {
        cloud: Some(Cloud::Aliyun),
        have,
        restore,
        job,
    }
}

/// A row of [`next_step_rules`]: name, the instance planner's step, the spec, what was read, the
/// mode, and what the result must satisfy.
type Case<'a> = (
    &'a str,
    Step,
    &'a DBInstanceParameters,
    BackupSide<'a>,
    Mode,
    Box<dyn Fn(&Step) -> bool + 'a>,
);

/// The backup side's rules after the instance's own step, one row each.
#[test]
fn next_step_rules() {
    let by_id = json!({"backupId": "100000001", "sourceInstanceId": "dds-src1"});
    let with_restore = params(Cloud::Aliyun, json!({"restoreFrom": by_id}));
    let with_policy = policy(Cloud::Aliyun, json!({"retentionDays": 30}));
    let plain = params(Cloud::Aliyun, json!({}));
    let done = record(by_id.clone(), true, None);
    let other = record(
        json!({"backupId": "100000002", "sourceInstanceId": "dds-src1"}),
        true,
        None,
    );
    let atlas_pending = record(by_id.clone(), false, None);
    let atlas_running = record(by_id.clone(), false, Some("job1"));
    let have = &aliyun_default();
    let (done, other, atlas_pending, atlas_running) =
        (&done, &other, &atlas_pending, &atlas_running);
    let running_job = &RestoreJob {
        id: "job1".into(),
        finished: false,
        failed: false,
    };
    let failed_job = &RestoreJob {
        id: "job1".into(),
        finished: true,
        failed: true,
    };
    let mut longer = have.clone();
    longer.retention_days = Some(30);
    let is_reject = |s: &Step, field: &str| matches!(s, Step::Reject(i) if i.field == field);
    let cases: Vec<Case<'_>> = vec![
        (
            "a create stays a create",
            Step::Create,
            &with_restore,
            side(None, None, None),
            Mode::Active,
            Box::new(|s| *s == Step::Create),
        ),
        (
            "the restore it was made from passes",
            Step::Steady,
            &with_restore,
            side(Some(done), None, None),
            Mode::Active,
            Box::new(|s| *s == Step::Steady),
        ),
        (
            "a changed restoreFrom is refused",
            Step::Steady,
            &with_restore,
            side(Some(other), None, None),
            Mode::Active,
            Box::new(move |s| is_reject(s, "spec.forProvider.restoreFrom")),
        ),
        (
            "restoreFrom added later is refused",
            Step::Steady,
            &with_restore,
            side(None, None, None),
            Mode::Active,
            Box::new(move |s| is_reject(s, "spec.forProvider.restoreFrom")),
        ),
        (
            "refused even when blocked",
            Step::Steady,
            &with_restore,
            side(Some(other), None, None),
            Mode::Blocked,
            Box::new(move |s| is_reject(s, "spec.forProvider.restoreFrom")),
        ),
        (
            "removing restoreFrom is fine",
            Step::Steady,
            &plain,
            side(Some(done), None, None),
            Mode::Active,
            Box::new(|s| *s == Step::Steady),
        ),
        (
            "an Atlas restore starts once the cluster is up",
            Step::Steady,
            &with_restore,
            side(Some(atlas_pending), None, None),
            Mode::Active,
            Box::new(
                |s| matches!(s, Step::StartRestore(r) if r.backup_id.as_deref() == Some("100000001")),
            ),
        ),
        (
            "and before any drift write",
            Step::Tag(vec![]),
            &with_restore,
            side(Some(atlas_pending), None, None),
            Mode::Active,
            Box::new(|s| matches!(s, Step::StartRestore(_))),
        ),
        (
            "not while the cluster is busy",
            Step::Wait("Creating".into()),
            &with_restore,
            side(Some(atlas_pending), None, None),
            Mode::Active,
            Box::new(|s| *s == Step::Wait("Creating".into())),
        ),
        (
            "a running restore job waits",
            Step::Steady,
            &with_restore,
            side(Some(atlas_running), None, Some(running_job)),
            Mode::Active,
            Box::new(|s| *s == Step::Wait("Restoring".into())),
        ),
        (
            "a failed restore job is terminal",
            Step::Steady,
            &with_restore,
            side(Some(atlas_running), None, Some(failed_job)),
            Mode::Active,
            Box::new(move |s| is_reject(s, "spec.forProvider.restoreFrom")),
        ),
        (
            "policy drift is put back",
            Step::Steady,
            &with_policy,
            side(None, Some(have), None),
            Mode::Active,
            Box::new(move |s| *s == Step::BackupPolicy(longer.clone())),
        ),
        (
            "policy not read this reconcile: nothing",
            Step::Steady,
            &with_policy,
            side(None, None, None),
            Mode::Active,
            Box::new(|s| *s == Step::Steady),
        ),
        (
            "instance writes come first",
            Step::Tag(vec![]),
            &with_policy,
            side(None, Some(have), None),
            Mode::Active,
            Box::new(|s| *s == Step::Tag(vec![])),
        ),
        (
            "blocked plans no policy write",
            Step::Steady,
            &with_policy,
            side(None, Some(have), None),
            Mode::Blocked,
            Box::new(|s| *s == Step::Steady),
        ),
    ];
    for (name, step, p, side, mode, expect) in cases {
        let got = next(step, p, &side, mode);
        assert!(expect(&got), "case: {name}: got {got:?}");
    }
}

#[test]
fn policy_and_restore_steps_need_their_verbs() {
    use crate::reconcile::policy::Verb;
    assert_eq!(
        Step::BackupPolicy(Default::default()).verb(),
        Some(Verb::Update)
    );
    assert_eq!(
        Step::StartRestore(Default::default()).verb(),
        Some(Verb::Create)
    );
}

/// `restoreFrom` shapes refused before any cloud call, by field.
#[test]
fn refused_restore_from() {
    use Cloud::{Aliyun, Atlas};
    let cases: [(&str, Cloud, Value, &str); 9] = [
        (
            "nothing to restore",
            Aliyun,
            json!({"restoreFrom": {"sourceInstanceId": "dds-src1"}}),
            "restoreFrom",
        ),
        (
            "backup and time",
            Aliyun,
            json!({"restoreFrom": {"backupId": "1", "restoreTime": "2026-12-03T10:00:00Z", "sourceInstanceId": "dds-src1"}}),
            "restoreFrom.restoreTime",
        ),
        (
            "backupRef and backupId",
            Aliyun,
            json!({"restoreFrom": {"backupRef": {"name": "b"}, "backupId": "1"}}),
            "restoreFrom.backupId",
        ),
        (
            "time without source",
            Aliyun,
            json!({"restoreFrom": {"restoreTime": "2026-12-03T10:00:00Z"}}),
            "restoreFrom.sourceInstanceRef",
        ),
        (
            "backup id without source",
            Aliyun,
            json!({"restoreFrom": {"backupId": "1"}}),
            "restoreFrom.sourceInstanceRef",
        ),
        (
            "two sources",
            Aliyun,
            json!({"restoreFrom": {"backupId": "1", "sourceInstanceId": "dds-src1", "sourceInstanceRef": {"name": "a"}}}),
            "restoreFrom.sourceInstanceId",
        ),
        (
            "adopting and restoring",
            Aliyun,
            json!({"instanceId": "dds-bp1234", "restoreFrom": {"backupRef": {"name": "b"}}}),
            "restoreFrom",
        ),
        (
            "Aliyun ids on Atlas",
            Atlas,
            json!({"restoreFrom": {"backupId": "1", "sourceInstanceId": "dds-src1"}}),
            "restoreFrom.sourceInstanceId",
        ),
        (
            "a time that is not RFC 3339",
            Aliyun,
            json!({"restoreFrom": {"restoreTime": "yesterday", "sourceInstanceId": "dds-src1"}}),
            "restoreFrom.restoreTime",
        ),
    ];
    for (name, cloud, extra, field) in cases {
        let refused = restore::check(&params(cloud, extra), cloud).expect_err(name);
        assert_eq!(
            refused.field,
            format!("spec.forProvider.{field}"),
            "case: {name}"
        );
    }
    let by_ref = params(
        Aliyun,
        json!({"restoreFrom": {"backupRef": {"name": "nightly"}}}),
    );
    assert_eq!(restore::check(&by_ref, Aliyun), Ok(()));
}

#[test]
fn restorable_sources() {
    let backup = |id: &str, status: &str| BackupInfo {
        id: id.into(),
        status: status.into(),
        ..Default::default()
    };
    let window = RestoreWindow {
        earliest: Some("2026-12-03T10:00:00Z".into()),
        latest: Some("2026-12-03T12:00:00Z".into()),
        ..Default::default()
    };
    let of = |backup_id: Option<&str>, time: Option<&str>| RestoreSource {
        source_id: "dds-src1".into(),
        backup_id: backup_id.map(str::to_owned),
        restore_time: time.map(str::to_owned),
    };
    let backups = [backup("1", "Success"), backup("2", "Running")];
    let cases: [(&str, RestoreSource, &RestoreWindow, Option<&str>); 7] = [
        ("a finished backup", of(Some("1"), None), &window, None),
        (
            "a missing backup",
            of(Some("9"), None),
            &window,
            Some("spec.forProvider.restoreFrom.backupId"),
        ),
        (
            "a running backup",
            of(Some("2"), None),
            &window,
            Some("spec.forProvider.restoreFrom.backupId"),
        ),
        (
            "inside the window",
            of(None, Some("2026-12-03T11:00:00Z")),
            &window,
            None,
        ),
        (
            "inside, with an offset",
            of(None, Some("2026-12-03T19:30:00+08:00")),
            &window,
            None,
        ),
        (
            "before the window",
            of(None, Some("2026-12-03T09:59:59Z")),
            &window,
            Some("spec.forProvider.restoreFrom.restoreTime"),
        ),
        (
            "no window at all",
            of(None, Some("2026-12-03T11:00:00Z")),
            &RestoreWindow::default(),
            Some("spec.forProvider.restoreFrom.restoreTime"),
        ),
    ];
    for (name, source, window, refused) in cases {
        let got = restore::restorable(&source, &backups, window)
            .err()
            .map(|i| i.field);
        assert_eq!(got.as_deref(), refused, "case: {name}");
    }
    let outside = restore::restorable(&of(None, Some("2026-12-04T00:00:00Z")), &[], &window)
        .expect_err("outside");
    assert!(
        outside
            .message
            .contains("2026-12-03T10:00:00Z to 2026-12-03T12:00:00Z"),
        "the message names the window: {}",
        outside.message
    );
}

/// What import writes from a cloud's policy asks for exactly that policy: no write follows.
#[test]
fn a_policy_read_from_the_cloud_plans_no_write() {
    let atlas_default = BackupPolicySettings {
        window: Some("12:00Z-13:00Z".into()),
        restore_window_days: Some(7),
        items: vec![
            item("daily", 1, "days", 7),
            item("hourly", 6, "days", 2),
            item("monthly", 40, "months", 12),
            item("weekly", 6, "weeks", 4),
        ],
        policy_id: Some("p1".into()),
        ..Default::default()
    };
    for (cloud, seen) in [
        (Cloud::Aliyun, aliyun_default()),
        (Cloud::Atlas, atlas_default.clone()),
    ] {
        let (policy, left_out) = from_cloud(cloud, &seen);
        assert_eq!(left_out, None, "{cloud:?}");
        assert_eq!(
            change(&desired(&policy, cloud), &seen),
            None,
            "{cloud:?}: {policy:?}"
        );
    }
    let mut yearly = atlas_default;
    yearly.items.push(item("yearly", 12, "years", 3));
    let (policy, left_out) = from_cloud(Cloud::Atlas, &yearly);
    assert!(left_out.is_some());
    assert!(
        desired(&policy, Cloud::Atlas).items.is_empty(),
        "the items are not managed"
    );
    assert_eq!(change(&desired(&policy, Cloud::Atlas), &yearly), None);
}
