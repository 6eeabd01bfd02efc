//! The import's promise: the manifests it writes, read back by the operator's own types,
//! validated by its own checks and planned against the very observation they came from, call
//! for no cloud write — on both clouds, for every kind it renders.

use chrono::Utc;

use super::*;
use crate::api::auditlogfilter::AuditLogFilter;
use crate::api::dbinstance::{DBInstance, HandledOperations};
use crate::api::securityiplist::SecurityIpList;
use crate::cloud::{InstanceEndpoint, Tags};
use crate::import::collect::{Account, Found};
use crate::reconcile::dbinstance::{Observed, Step};
use crate::reconcile::{Mode, auditlogfilter, securityiplist as ip_rules};

fn settings() -> Settings {
    Settings {
        namespace: "imported".into(),
        provider_config: "prod".into(),
        management_policies: vec![crate::api::common::ManagementPolicy::Observe],
    }
}

fn pair(k: &str, v: &str) -> (String, String) {
    (k.to_owned(), v.to_owned())
}

fn aliyun(id: &str, description: &str) -> Instance {
    Instance {
        id: id.into(),
        status: "Running".into(),
        region: "cn-hangzhou".into(),
        zone: Some("cn-hangzhou-h".into()),
        description: Some(description.into()),
        instance_class: Some("dds.mongo.mid".into()),
        storage_gb: Some(20),
        engine_version: Some("6.0".into()),
        kernel_version: Some("mongodb_20240418_6.0.15".into()),
        storage_engine: Some("WiredTiger".into()),
        storage_type: Some("cloud_essd1".into()),
        replication_factor: Some(3),
        readonly_replicas: Some(1),
        replica_set_name: Some("mgset-1".into()),
        endpoints: vec![InstanceEndpoint {
            role: "Primary".into(),
            host: format!("{id}.mongodb.rds.aliyuncs.com"),
            port: 3717,
        }],
        lock_mode: Some("Unlock".into()),
        maintain_start: Some("18:00Z".into()),
        maintain_end: Some("19:00Z".into()),
        charge_type: Some("PrePaid".into()),
        expire_time: None,
        vpc_id: Some("vpc-bp1".into()),
        vswitch_id: Some("vsw-bp1".into()),
        resource_group_id: Some("rg-acfm".into()),
        tags: Tags::from_iter([pair("team", "orders"), pair("acs:rm:rgId", "rg-acfm")]),
        ..Instance::default()
    }
}

fn group(name: &str, attribute: Option<&str>, ips: &[&str]) -> SecurityIpGroup {
    SecurityIpGroup {
        name: name.into(),
        attribute: attribute.map(str::to_owned),
        ips: ips.iter().map(|s| s.to_string()).collect(),
        ..SecurityIpGroup::default()
    }
}

fn audit_on(filter: &[&str], days: Option<i32>) -> AuditSettings {
    AuditSettings {
        enabled: true,
        filter: filter.iter().map(|s| s.to_string()).collect(),
        storage_period_days: days,
        ..AuditSettings::default()
    }
}

fn aliyun_account() -> Account {
    let ssl = SslState {
        status: "Open".into(),
        expire_time: None,
    };
    let mut managed = aliyun("dds-bp1000000000003", "orders");
    managed.tags.insert(
        UID_TAG.into(),
        "0c5f7e0e-2b8e-4a43-9d41-6b1c1f0e8a27".into(),
    );
    let mut odd_window = aliyun("dds-bp1000000000004", "Billing DB");
    odd_window.maintain_end = Some("20:00Z".into());
    odd_window.charge_type = Some("PostPaid".into());
    let mut old = aliyun("dds-bp1000000000005", "legacy");
    old.engine_version = Some("3.4".into());
    Account {
        cloud: Cloud::Aliyun,
        instances: vec![
            Found {
                instance: aliyun("dds-bp1000000000001", "orders"),
                ssl: Some(ssl.clone()),
                ip_groups: vec![
                    group("default", None, &["127.0.0.1"]),
                    group("dds_system", Some("hidden"), &["100.104.0.0/16"]),
                    group("office", Some("vpn"), &["192.0.2.0/24", "198.51.100.7"]),
                    group("public", None, &["0.0.0.0/0"]),
                ],
                audit: Some(audit_on(&["admin", "slow", "insert"], Some(30))),
                backup_policy: None,
            },
            Found {
                instance: aliyun("dds-bp1000000000002", "orders"),
                ssl: Some(SslState {
                    status: "Closed".into(),
                    expire_time: None,
                }),
                ip_groups: vec![group("default", None, &["127.0.0.1"])],
                audit: Some(AuditSettings::default()),
                backup_policy: None,
            },
            Found {
                instance: managed,
                ..Found::default()
            },
            Found {
                instance: odd_window,
                ssl: Some(ssl),
                ip_groups: vec![group("Bad-Name", None, &["10.0.0.1"])],
                audit: Some(audit_on(&["admin", "everything"], None)),
                backup_policy: None,
            },
            Found {
                instance: old,
                ..Found::default()
            },
        ],
        ..Account::default()
    }
}

fn of_kind<K: serde::de::DeserializeOwned>(r: &Rendered, kind: &str) -> Vec<K> {
    r.objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| {
            serde_json::from_value(o.body.clone())
                .unwrap_or_else(|e| panic!("{kind} {} reads back: {e}\n{:#}", o.name, o.body))
        })
        .collect()
}

fn found<'a>(account: &'a Account, id: &str) -> &'a Found {
    account
        .instances
        .iter()
        .find(|f| f.instance.id == id)
        .unwrap_or_else(|| panic!("{id} in the account"))
}

/// Each DBInstance, validated as the operator validates it and planned against its instance
/// with every write allowed, is Steady.
fn assert_dbinstances_steady(account: &Account, r: &Rendered) {
    for db in of_kind::<DBInstance>(r, "DBInstance") {
        let name = db.metadata.name.clone().unwrap_or_default();
        let from = &db.metadata.annotations.as_ref().expect("annotations")[IMPORTED_FROM];
        let f = found(account, from);
        rules::validate(&db.spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        clouds::check_dbinstance(&db.spec, &name, account.cloud)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let seen = Observed::Present {
            instance: Box::new(f.instance.clone()),
            ssl: f.ssl.clone(),
        };
        let step = rules::plan(
            &db.spec.for_provider,
            &db.spec,
            &HandledOperations::default(),
            &seen,
            Mode::Active,
        );
        assert_eq!(step, Step::Steady, "{name} plans a write:\n{db:#?}");
        assert_eq!(db.spec.deletion_policy, DeletionPolicy::Orphan);
    }
}

fn assert_ip_lists_steady(
    r: &Rendered,
    cloud: Cloud,
    groups_of: impl Fn(&str) -> Vec<SecurityIpGroup>,
) {
    for list in of_kind::<SecurityIpList>(r, "SecurityIpList") {
        let name = list.metadata.name.clone().unwrap_or_default();
        let db = list
            .spec
            .for_provider
            .instance
            .db_instance_ref
            .clone()
            .expect("ref")
            .name;
        clouds::check_ip_group(
            list.spec.for_provider.group_name.is_some(),
            list.spec.for_provider.group_attribute.is_some(),
            cloud,
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut want =
            ip_rules::validate(&list.spec, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
        want.group = ip_rules::owned_group(&list.spec, &name, "a-new-uid", cloud);
        let step = ip_rules::plan(&want, &groups_of(&db), Utc::now(), Mode::Active);
        assert_eq!(
            step,
            ip_rules::Step::Steady,
            "{name} plans a write:\n{list:#?}"
        );
    }
}

fn assert_audits_steady(r: &Rendered, cloud: Cloud, seen_of: impl Fn(&str) -> AuditSettings) {
    for filter in of_kind::<AuditLogFilter>(r, "AuditLogFilter") {
        let name = filter.metadata.name.clone().unwrap_or_default();
        let db = filter
            .spec
            .for_provider
            .instance
            .db_instance_ref
            .clone()
            .expect("ref")
            .name;
        clouds::check_audit(&filter.spec, cloud).unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = auditlogfilter::validate(&filter.spec).unwrap_or_else(|e| panic!("{name}: {e}"));
        let step = auditlogfilter::plan(&want, &seen_of(&db), Mode::Active);
        assert_eq!(
            step,
            auditlogfilter::Step::Steady,
            "{name} plans a write:\n{filter:#?}"
        );
    }
}

/// The DBInstance name rendered for an instance id.
fn db_name(r: &Rendered, id: &str) -> String {
    r.objects
        .iter()
        .find(|o| o.kind == "DBInstance" && o.body["metadata"]["annotations"][IMPORTED_FROM] == id)
        .map(|o| o.name.clone())
        .unwrap_or_else(|| panic!("no DBInstance for {id}"))
}

#[test]
fn aliyun_manifests_plan_no_cloud_write() {
    let account = aliyun_account();
    let r = render(&account, &settings());
    assert_dbinstances_steady(&account, &r);
    let by_name = |db: &str| {
        let id = r
            .objects
            .iter()
            .find(|o| o.kind == "DBInstance" && o.name == db)
            .expect("db");
        let id = id.body["metadata"]["annotations"][IMPORTED_FROM]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        found(&account, &id).clone()
    };
    assert_ip_lists_steady(&r, Cloud::Aliyun, |db| by_name(db).ip_groups);
    assert_audits_steady(&r, Cloud::Aliyun, |db| {
        by_name(db).audit.unwrap_or_default()
    });
    let kinds: Vec<(&str, &str)> = r
        .objects
        .iter()
        .map(|o| (o.kind, o.name.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("DBInstance", "orders-00000001"),
            ("AuditLogFilter", "orders-00000001-audit"),
            ("DBInstance", "orders-00000002"),
            ("DBInstance", "billing-db"),
            ("SecurityIpList", "orders-00000001-office"),
            ("SecurityIpList", "orders-00000001-public"),
        ],
        "default and hidden groups, audit off and unusable groups and filters are not rendered"
    );
}

#[test]
fn aliyun_fields_are_the_clouds_and_what_cannot_be_expressed_is_reported() {
    let account = aliyun_account();
    let r = render(&account, &settings());
    let dbs = of_kind::<DBInstance>(&r, "DBInstance");
    let first = &dbs[0].spec.for_provider;
    assert_eq!(first.instance_id.as_deref(), Some("dds-bp1000000000001"));
    assert_eq!(first.charge_type, ChargeType::PrePaid);
    assert_eq!(
        first.period, None,
        "a create parameter the cloud does not report"
    );
    assert_eq!(first.ssl, Some(SslMode::Enabled));
    assert_eq!(first.storage_type, Some(StorageType::CloudEssd1));
    assert_eq!(first.readonly_replicas, Some(1));
    assert_eq!(first.resource_group_id.as_deref(), Some("rg-acfm"));
    assert_eq!(
        first.tags.keys().collect::<Vec<_>>(),
        ["team"],
        "system tags stay the cloud's"
    );
    assert_eq!(dbs[1].spec.for_provider.ssl, Some(SslMode::Disabled));
    let billing = &dbs[2].spec.for_provider;
    assert_eq!(
        billing.maintenance_window, None,
        "a two-hour window is not one the spec can hold"
    );
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("dds-bp1000000000004") && n.contains("maintenanceWindow")),
        "{:?}",
        r.notes
    );
    assert_eq!(r.managed.len(), 1);
    assert_eq!(r.managed[0].what, "dds-bp1000000000003");
    let skipped: Vec<&str> = r.skipped.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "dds-bp1000000000005",
            "dds-bp1000000000004/Bad-Name",
            "dds-bp1000000000004"
        ],
        "{:?}",
        r.skipped
    );
    assert!(r.skipped[0].why.contains("3.4"), "{}", r.skipped[0].why);
    let public = of_kind::<SecurityIpList>(&r, "SecurityIpList")
        .into_iter()
        .find(|l| l.spec.for_provider.group_name.as_deref() == Some("public"))
        .expect("public group");
    assert!(
        public.spec.for_provider.allow_public_access,
        "the cloud allows it already"
    );
    for o in &r.objects {
        assert_eq!(o.body["metadata"]["namespace"], "imported");
        assert_eq!(o.body["spec"]["managementPolicies"], json!(["Observe"]));
        assert_eq!(o.body["spec"]["providerConfigRef"]["name"], "prod");
        assert_eq!(o.body["spec"]["deletionPolicy"], "Orphan");
    }
    assert_eq!(render(&account, &settings()), r, "deterministic");
}

fn atlas_cluster(name: &str, size: &str, provider: &str, managed: bool) -> Instance {
    let mut tags = vec![json!({"key": "team", "value": "data"})];
    if managed {
        tags.push(json!({"key": UID_TAG, "value": "7d3c"}));
    }
    crate::cloud::atlas::clusters::instance(&json!({
        "name": name,
        "stateName": "IDLE",
        "mongoDBMajorVersion": "7.0",
        "mongoDBVersion": "7.0.12",
        "backupEnabled": true,
        "replicationSpecs": [{"regionConfigs": [{
            "providerName": provider, "regionName": "US_EAST_1", "priority": 7,
            "electableSpecs": {"instanceSize": size, "nodeCount": 3, "diskSizeGB": 40},
            "readOnlySpecs": {"instanceSize": size, "nodeCount": 1}
        }]}],
        "connectionStrings": {"standard": format!("mongodb://{name}-00.example.net:27017/?replicaSet=atlas-1")},
        "tags": tags
    }))
}

fn atlas_account(audit_filter: &str, authorization_success: bool) -> Account {
    Account {
        cloud: Cloud::Atlas,
        instances: vec![
            Found {
                instance: atlas_cluster("analytics", "M30", "GCP", false),
                ..Found::default()
            },
            Found {
                instance: atlas_cluster("Orders-Prod", "M10", "AWS", false),
                ..Found::default()
            },
            Found {
                instance: atlas_cluster("shared", "M0", "AWS", false),
                ..Found::default()
            },
            Found {
                instance: atlas_cluster("web", "M10", "AWS", true),
                ..Found::default()
            },
        ],
        access_list: vec![
            group(
                &access_list::verbatim_group("office VPN"),
                None,
                &["192.0.2.0/24", "198.51.100.7/32"],
            ),
            group(access_list::UNMANAGED, None, &["203.0.113.9/32"]),
            group(
                "0b6c8e1e-6a3f-4c1d-9d55-8f0a7a3b2c11",
                None,
                &["10.1.0.0/16"],
            ),
        ],
        audit: Some(AuditSettings {
            enabled: true,
            filter: audit::categories_of(audit_filter).unwrap_or_default(),
            raw_filter: Some(audit_filter.into()),
            authorization_success: Some(authorization_success),
            ..AuditSettings::default()
        }),
        unread: Vec::new(),
    }
}

#[test]
fn atlas_manifests_plan_no_cloud_write() {
    let (written, success) = audit::filter_for(&["admin".to_owned(), "insert".to_owned()]);
    let written = written.to_string();
    for (filter, success) in [
        (written.clone(), success),
        (r#"{"atype": "authenticate"}"#.to_owned(), false),
    ] {
        let account = atlas_account(&filter, success);
        let r = render(&account, &settings());
        assert_dbinstances_steady(&account, &r);
        assert_ip_lists_steady(&r, Cloud::Atlas, |_| account.access_list.clone());
        assert_audits_steady(&r, Cloud::Atlas, |_| {
            account.audit.clone().unwrap_or_default()
        });
        let audit = &of_kind::<AuditLogFilter>(&r, "AuditLogFilter")[0]
            .spec
            .for_provider;
        if filter == written {
            assert_eq!(audit.filter, [AuditCategory::Admin, AuditCategory::Insert]);
        } else {
            assert_eq!(
                audit.atlas.as_ref().map(|a| a.audit_filter.as_str()),
                Some(filter.as_str())
            );
        }
    }
}

#[test]
fn atlas_clusters_are_adopted_by_name_and_project_objects_hang_on_the_first() {
    let account = atlas_account(r#"{"atype": "authenticate"}"#, false);
    let r = render(&account, &settings());
    let dbs = of_kind::<DBInstance>(&r, "DBInstance");
    let names: Vec<&str> = dbs
        .iter()
        .filter_map(|d| d.metadata.name.as_deref())
        .collect();
    assert_eq!(names, ["analytics", "orders-prod"]);
    let atlas = dbs[1].spec.for_provider.atlas.clone().expect("atlas block");
    assert_eq!(
        atlas.cluster_name.as_deref(),
        Some("Orders-Prod"),
        "the cloud's name, not the label"
    );
    assert!(atlas.adopt_existing);
    assert_eq!(
        dbs[0]
            .spec
            .for_provider
            .atlas
            .as_ref()
            .map(|a| a.provider_name),
        Some(AtlasCloudProvider::Gcp)
    );
    assert_eq!(atlas.backup_enabled, Some(true));
    assert_eq!(dbs[1].spec.for_provider.readonly_replicas, Some(1));
    assert_eq!(db_name(&r, "analytics"), "analytics");
    let lists = of_kind::<SecurityIpList>(&r, "SecurityIpList");
    assert_eq!(lists.len(), 1, "one comment group is importable");
    let list = &lists[0].spec.for_provider;
    assert_eq!(
        list.atlas.as_ref().map(|a| a.comment.as_str()),
        Some("office VPN")
    );
    assert_eq!(
        list.instance
            .db_instance_ref
            .as_ref()
            .map(|r| r.name.as_str()),
        Some("analytics")
    );
    assert_eq!(
        lists[0].metadata.name.as_deref(),
        Some("analytics-office-vpn")
    );
    assert_eq!(
        r.managed
            .iter()
            .map(|s| s.what.as_str())
            .collect::<Vec<_>>(),
        ["web"]
    );
    let skipped: Vec<&str> = r.skipped.iter().map(|s| s.what.as_str()).collect();
    assert_eq!(
        skipped,
        [
            "shared",
            "access list/atlas-unmanaged",
            "access list/0b6c8e1e-6a3f-4c1d-9d55-8f0a7a3b2c11"
        ]
    );
    assert!(r.skipped[0].why.contains("M0"), "{}", r.skipped[0].why);
}

#[test]
fn a_project_with_nothing_to_adopt_renders_nothing_and_says_why() {
    let mut account = atlas_account("{}", false);
    account.instances.retain(|f| f.instance.id == "web");
    let r = render(&account, &settings());
    assert!(r.objects.is_empty());
    assert!(
        r.skipped.iter().any(|s| s.what == "project auditing"),
        "{:?}",
        r.skipped
    );
}

/// The cloud's backup policy is imported as `backupPolicy`; one the operator would refuse (a
/// two-hour window) is left out and noted.
#[test]
fn backup_policies_are_imported_as_the_cloud_holds_them() {
    use crate::cloud::BackupPolicySettings;
    let mut account = aliyun_account();
    let policy = BackupPolicySettings {
        window: Some("02:00Z-03:00Z".into()),
        days: vec!["Monday".into(), "Friday".into()],
        retention_days: Some(30),
        log_backup: Some(true),
        log_retention_days: Some(7),
        interval_minutes: Some(-1),
        snapshot_type: Some("Standard".into()),
        retention_on_deletion: Some(1),
        ..Default::default()
    };
    account.instances[0].backup_policy = Some(policy);
    account.instances[1].backup_policy = Some(BackupPolicySettings {
        window: Some("02:00Z-04:00Z".into()),
        ..Default::default()
    });
    let r = render(&account, &settings());
    let dbs = of_kind::<DBInstance>(&r, "DBInstance");
    let imported = dbs[0]
        .spec
        .for_provider
        .backup_policy
        .as_deref()
        .expect("policy");
    assert_eq!(
        imported.preferred_backup_time.as_deref(),
        Some("02:00Z-03:00Z")
    );
    assert_eq!(imported.preferred_backup_days.len(), 2);
    assert_eq!(imported.retention_days, Some(30));
    assert_eq!(dbs[1].spec.for_provider.backup_policy, None);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("dds-bp1000000000002") && n.contains("backupPolicy")),
        "{:?}",
        r.notes
    );
}
