use super::*;
use crate::api::dbinstance::{DBInstanceOperations, OperationRequest};
use crate::cloud::{Tags, UID_TAG};

fn spec(patch: serde_json::Value) -> DBInstanceSpec {
    let mut base = serde_json::json!({
        "forProvider": {
            "regionId": "cn-hangzhou", "zoneId": "cn-hangzhou-h", "engineVersion": "6.0",
            "instanceClass": "dds.mongo.mid", "storageGB": 20, "description": "orders",
            "maintenanceWindow": {"startTime": "02:00Z", "endTime": "03:00Z"},
            "ssl": "Enabled", "tags": {"team": "orders"}
        }
    });
    json_merge(&mut base["forProvider"], patch);
    serde_json::from_value(base).expect("spec")
}

fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    if let (Some(base), serde_json::Value::Object(patch)) = (base.as_object_mut(), patch) {
        for (k, v) in patch {
            base.insert(k, v);
        }
    }
}

fn running() -> Instance {
    Instance {
        id: "dds-abc12345".into(),
        status: RUNNING.into(),
        region: "cn-hangzhou".into(),
        zone: Some("cn-hangzhou-h".into()),
        description: Some("orders".into()),
        instance_class: Some("dds.mongo.mid".into()),
        storage_gb: Some(20),
        engine_version: Some("6.0".into()),
        storage_engine: Some("WiredTiger".into()),
        replication_factor: Some(3),
        maintain_start: Some("02:00Z".into()),
        maintain_end: Some("03:00Z".into()),
        charge_type: Some("PostPaid".into()),
        tags: Tags::from_iter([
            ("team".into(), "orders".into()),
            (UID_TAG.into(), "u".into()),
        ]),
        ..Instance::default()
    }
}

fn open_ssl() -> SslState {
    SslState {
        status: "Open".into(),
        expire_time: None,
    }
}

/// `action: field from → to; field …` lines, to compare plans at a glance.
fn lines(plan: &[PlannedAction]) -> Vec<String> {
    plan.iter()
        .map(|a| {
            let changes: Vec<String> = a
                .changes
                .iter()
                .map(|c| {
                    format!(
                        "{} {} → {}",
                        c.field,
                        c.from.as_deref().unwrap_or("-"),
                        c.to.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            format!("{}: {}", a.action, changes.join("; "))
        })
        .collect()
}

/// The preview lists every call the planner makes one reconcile at a time, in the same order,
/// named as each cloud names it.
#[test]
fn dbinstance_previews_list_every_call_in_order() {
    let handled = HandledOperations::default();
    let cases: Vec<(&str, Cloud, DBInstanceSpec, Instance, Vec<&str>)> = vec![
        (
            "steady plans nothing",
            Cloud::Aliyun,
            spec(serde_json::json!({})),
            running(),
            vec![],
        ),
        (
            "class and tag change, Dds",
            Cloud::Aliyun,
            spec(serde_json::json!({
                "instanceClass": "dds.mongo.standard",
                "tags": {"team": "orders", "env": "prod"}
            })),
            running(),
            vec![
                "ModifyDBInstanceSpec: instanceClass dds.mongo.mid → dds.mongo.standard",
                "TagResources: tags.env - → prod",
            ],
        ),
        (
            "class and tag change, Atlas",
            Cloud::Atlas,
            spec(serde_json::json!({
                "instanceClass": "M20",
                "tags": {"team": "billing"}
            })),
            running(),
            vec![
                "updateCluster: instanceClass dds.mongo.mid → M20",
                "updateCluster: tags.team orders → billing",
            ],
        ),
        (
            "every in-place field, in the planner's order",
            Cloud::Aliyun,
            spec(serde_json::json!({
                "storageGB": 40,
                "ssl": "Disabled",
                "maintenanceWindow": {"startTime": "04:00Z", "endTime": "05:00Z"},
                "description": "orders-v2"
            })),
            running(),
            vec![
                "ModifyDBInstanceSpec: storageGB 20 → 40",
                "ModifyDBInstanceSSL: ssl Open → Closed",
                "ModifyDBInstanceMaintainTime: maintenanceWindow 02:00Z-03:00Z → 04:00Z-05:00Z",
                "ModifyDBInstanceDescription: description orders → orders-v2",
            ],
        ),
        (
            "nodes, two engine upgrades and TDE, Dds",
            Cloud::Aliyun,
            spec(serde_json::json!({
                "replicationFactor": 5, "readonlyReplicas": 1, "engineVersion": "8.0",
                "tde": "Enabled"
            })),
            Instance {
                readonly_replicas: Some(0),
                tde_enabled: Some(false),
                ..running()
            },
            vec![
                "ModifyDBInstanceSpec: replicationFactor 3 → 5; readonlyReplicas 0 → 1",
                "UpgradeDBInstanceEngineVersion: engineVersion 6.0 → 7.0",
                "UpgradeDBInstanceEngineVersion: engineVersion 7.0 → 8.0",
                "ModifyDBInstanceTDE: tde Disabled → Enabled",
            ],
        ),
        (
            "autoscaling first, then nodes and the major version, Atlas",
            Cloud::Atlas,
            spec(serde_json::json!({
                "replicationFactor": 5, "engineVersion": "7.0",
                "atlas": {"autoScaling": {"compute": {"enabled": true, "maxInstanceSize": "M40"}}}
            })),
            Instance {
                auto_scaling: Some(crate::cloud::AutoScaling::default()),
                ..running()
            },
            vec![
                "updateCluster: atlas.autoScaling compute off, disk off → compute up to M40, disk off",
                "updateCluster: replicationFactor 3 → 5",
                "updateCluster: engineVersion 6.0 → 7.0",
            ],
        ),
        (
            "parameters, Dds",
            Cloud::Aliyun,
            spec(
                serde_json::json!({"parameters": {"operationProfiling.mode": "slowOp", "net.serviceExecutor": "adaptive"}}),
            ),
            Instance {
                parameters: Some(crate::cloud::InstanceParameters {
                    config: [
                        ("operationProfiling.mode".to_owned(), "off".to_owned()),
                        ("net.serviceExecutor".to_owned(), "synchronous".to_owned()),
                    ]
                    .into(),
                    pending_restart: vec![],
                }),
                ..running()
            },
            vec![
                "ModifyParameters: parameters.net.serviceExecutor synchronous → adaptive; parameters.operationProfiling.mode off → slowOp",
            ],
        ),
        (
            "an SRV address, Dds",
            Cloud::Aliyun,
            spec(serde_json::json!({"srvAddress": "Enabled"})),
            Instance {
                srv_allocated: Some(false),
                ..running()
            },
            vec!["AllocateDBInstanceSrvNetworkAddress: srvAddress Disabled → Enabled"],
        ),
        (
            "deletion protection on Dds",
            Cloud::Aliyun,
            spec(serde_json::json!({"deletionProtection": true})),
            Instance {
                deletion_protection: Some(false),
                ..running()
            },
            vec!["ModifyDBInstanceAttribute: deletionProtection false → true"],
        ),
        (
            "deletion protection on Atlas is a cluster update",
            Cloud::Atlas,
            spec(serde_json::json!({"deletionProtection": false})),
            Instance {
                deletion_protection: Some(true),
                ..running()
            },
            vec!["updateCluster: deletionProtection true → false"],
        ),
        (
            "an instance in transition previews what follows it",
            Cloud::Aliyun,
            spec(serde_json::json!({"storageGB": 30})),
            Instance {
                status: "DBInstanceClassChanging".into(),
                ..running()
            },
            vec!["ModifyDBInstanceSpec: storageGB 20 → 30"],
        ),
    ];
    for (name, cloud, spec, instance, expected) in cases {
        let plan = dbinstance(cloud, &spec, &handled, &instance, Some(&open_ssl()));
        assert_eq!(lines(&plan), expected, "case {name}");
    }
}

#[test]
fn operations_are_previewed_once_each_with_their_request() {
    let mut spec = spec(serde_json::json!({}));
    spec.operations = Some(Box::new(DBInstanceOperations {
        upgrade_kernel: Some(OperationRequest {
            requested_at: "2026-12-01T00:00:00Z".into(),
        }),
        ..DBInstanceOperations::default()
    }));
    let instance = Instance {
        kernel_version: Some("mongodb_6.0.1".into()),
        ..running()
    };
    let plan = dbinstance(
        Cloud::Aliyun,
        &spec,
        &HandledOperations::default(),
        &instance,
        Some(&open_ssl()),
    );
    assert_eq!(
        lines(&plan),
        [
            "UpgradeDBInstanceKernelVersion: kernelVersion mongodb_6.0.1 → latest minor; requestedAt - → 2026-12-01T00:00:00Z"
        ]
    );
    let handled = HandledOperations {
        upgrade_kernel: Some("2026-12-01T00:00:00Z".into()),
        ..HandledOperations::default()
    };
    assert!(dbinstance(Cloud::Aliyun, &spec, &handled, &instance, Some(&open_ssl())).is_empty());
}

#[test]
fn a_create_preview_names_every_value_but_never_shows_the_password() {
    let spec = spec(serde_json::json!({}));
    let mut request = dbinstance::create_request(&spec.for_provider, "uid-1", None);
    request.password = Some(crate::cloud::error::Redacted("Sup3r-secret!".into()));
    for (cloud, name) in [
        (Cloud::Aliyun, "CreateDBInstance"),
        (Cloud::Atlas, "createCluster"),
    ] {
        let planned = create_instance(cloud, &request);
        assert_eq!(planned.action, name);
        let text = serde_json::to_string(&planned).expect("json");
        assert!(!text.contains("Sup3r-secret!"), "{text}");
        let line = lines(std::slice::from_ref(&planned)).join("");
        for part in [
            "regionId - → cn-hangzhou",
            "instanceClass - → dds.mongo.mid",
            "storageGB - → 20",
            "accountPassword - → (secret)",
            "tags.team - → orders",
            "tags.mongocloud-uid - → uid-1",
        ] {
            assert!(line.contains(part), "{cloud:?}: {part} missing from {line}");
        }
    }
}

fn group(name: &str, ips: &[&str]) -> SecurityIpGroup {
    SecurityIpGroup {
        name: name.into(),
        ips: ips.iter().map(|s| s.to_string()).collect(),
        ..SecurityIpGroup::default()
    }
}

#[test]
fn security_ip_previews_follow_each_clouds_calls() {
    let want = group("app", &["10.0.0.1", "10.0.1.0/24"]);
    let have = group("app", &["10.0.0.1", "192.0.2.7"]);
    let cases = [
        (
            Cloud::Aliyun,
            Some(&have),
            vec!["ModifySecurityIps: group app 10.0.0.1,192.0.2.7 → 10.0.0.1,10.0.1.0/24"],
        ),
        (
            Cloud::Aliyun,
            None,
            vec!["ModifySecurityIps: group app - → 10.0.0.1,10.0.1.0/24"],
        ),
        (
            Cloud::Atlas,
            Some(&have),
            vec![
                "createAccessListEntries: entry - → 10.0.1.0/24",
                "deleteProjectIpAccessList: entry 192.0.2.7 → -",
            ],
        ),
    ];
    for (cloud, current, expected) in cases {
        assert_eq!(
            lines(&security_ips(cloud, &want, current)),
            expected,
            "{cloud:?} {current:?}"
        );
    }
    assert_eq!(
        lines(&delete_security_ip_group(Cloud::Atlas, &have)),
        [
            "deleteProjectIpAccessList: entry 10.0.0.1 → -",
            "deleteProjectIpAccessList: entry 192.0.2.7 → -"
        ]
    );
}

#[test]
fn audit_previews_list_the_policy_then_the_filter() {
    let want = super::super::auditlogfilter::DesiredAudit {
        filter: vec!["admin".into(), "delete".into()],
        enabled: true,
        storage_period_days: None,
        raw: None,
    };
    let seen = AuditSettings {
        enabled: false,
        filter: vec!["admin".into()],
        ..AuditSettings::default()
    };
    assert_eq!(
        lines(&audit(Cloud::Aliyun, &want, &seen)),
        [
            "ModifyAuditPolicy: enabled false → true",
            "ModifyAuditLogFilter: filter admin → admin,delete"
        ]
    );
    let on = AuditSettings {
        enabled: true,
        filter: vec!["admin".into(), "delete".into()],
        ..AuditSettings::default()
    };
    assert!(audit(Cloud::Aliyun, &want, &on).is_empty());
}

#[test]
fn backup_previews_name_the_start_call() {
    assert_eq!(
        lines(&[
            backup(Cloud::Aliyun, "Physical"),
            backup(Cloud::Atlas, "Physical")
        ]),
        [
            "CreateBackup: backupMethod - → Physical",
            "takeSnapshot: backupMethod - → Physical"
        ]
    );
}

/// The backup-policy write and the restore calls are previewed with their real action names
/// and each field old → new.
#[test]
fn backup_policy_and_restore_previews_name_the_cloud_actions() {
    use crate::cloud::{BackupPolicySettings, PolicyItem, RestoreSource};
    let have = BackupPolicySettings {
        window: Some("18:00Z-19:00Z".into()),
        retention_days: Some(7),
        ..Default::default()
    };
    let want = BackupPolicySettings {
        window: Some("02:00Z-03:00Z".into()),
        retention_days: Some(30),
        ..Default::default()
    };
    let planned = backup_policy(Cloud::Aliyun, &want, &have);
    assert_eq!(planned.action, "ModifyBackupPolicy");
    let changes: Vec<(&str, Option<&str>, Option<&str>)> = planned
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.from.as_deref(), c.to.as_deref()))
        .collect();
    assert_eq!(
        changes,
        [
            (
                "backupPolicy.preferredBackupTime",
                Some("18:00Z-19:00Z"),
                Some("02:00Z-03:00Z")
            ),
            ("backupPolicy.retentionDays", Some("7"), Some("30")),
        ]
    );
    let items = BackupPolicySettings {
        items: vec![PolicyItem {
            frequency_type: "daily".into(),
            frequency_interval: 1,
            retention_unit: "days".into(),
            retention_value: 14,
        }],
        ..Default::default()
    };
    let atlas = backup_policy(Cloud::Atlas, &items, &BackupPolicySettings::default());
    assert_eq!(atlas.action, "updateBackupSchedule");
    assert_eq!(atlas.changes[0].field, "backupPolicy.atlas.policyItems");

    let source = RestoreSource {
        source_id: "dds-src12345".into(),
        backup_id: Some("100000001".into()),
        restore_time: None,
    };
    let request = crate::cloud::CreateInstance {
        region: "cn-hangzhou".into(),
        restore: Some(source.clone()),
        ..Default::default()
    };
    let create = create_instance(Cloud::Aliyun, &request);
    assert_eq!(create.action, "CreateDBInstance");
    let fields: Vec<&str> = create.changes.iter().map(|c| c.field.as_str()).collect();
    assert!(
        fields.contains(&"srcDBInstanceId") && fields.contains(&"backupId"),
        "{fields:?}"
    );
    let job = restore_job(
        "copy",
        &RestoreSource {
            backup_id: None,
            restore_time: Some("2026-12-03T10:00:00Z".into()),
            ..source
        },
    );
    assert_eq!(job.action, "createBackupRestoreJob");
    assert!(
        job.changes
            .iter()
            .any(|c| c.field == "deliveryType" && c.to.as_deref() == Some("pointInTime"))
    );
}
