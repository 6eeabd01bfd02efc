use super::*;
use crate::api::dbinstance::{DBInstanceSpec, HandledOperations, StorageType};
use crate::api::dbinstance_changes::{PublicAddress, SrvAddress};
use crate::cloud::{SslState, Tags};
use crate::reconcile::Mode;
use crate::reconcile::dbinstance::{Observed, RUNNING, Step, plan};

fn spec() -> DBInstanceSpec {
    serde_json::from_value(serde_json::json!({
        "forProvider": {
            "regionId": "cn-hangzhou", "zoneId": "cn-hangzhou-h", "engineVersion": "6.0",
            "instanceClass": "dds.mongo.mid", "storageGB": 20, "description": "orders",
            "maintenanceWindow": {"startTime": "02:00Z", "endTime": "03:00Z"},
            "ssl": "Enabled", "tags": {"team": "orders"}, "readonlyReplicas": 0,
            "storageType": "cloud_essd1", "vpcId": "vpc-1", "vSwitchId": "vsw-1",
            "resourceGroupId": "rg-1", "deletionProtection": false, "tde": "Disabled"
        }
    }))
    .expect("spec")
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
        storage_type: Some("cloud_essd1".into()),
        replication_factor: Some(3),
        readonly_replicas: Some(0),
        maintain_start: Some("02:00Z".into()),
        maintain_end: Some("03:00Z".into()),
        charge_type: Some("PostPaid".into()),
        vpc_id: Some("vpc-1".into()),
        vswitch_id: Some("vsw-1".into()),
        resource_group_id: Some("rg-1".into()),
        deletion_protection: Some(false),
        tde_enabled: Some(false),
        tags: Tags::from_iter([("team".into(), "orders".into())]),
        ..Instance::default()
    }
}

fn plan_for(s: &DBInstanceSpec, i: &Instance) -> Step {
    let seen = Observed::Present {
        instance: Box::new(i.clone()),
        ssl: Some(SslState {
            status: "Open".into(),
            expire_time: None,
        }),
    };
    plan(
        &s.for_provider,
        s,
        &HandledOperations::default(),
        &seen,
        Mode::Active,
    )
}

fn with(f: impl FnOnce(&mut DBInstanceParameters)) -> DBInstanceSpec {
    let mut s = spec();
    f(&mut s.for_provider);
    s
}

fn seen(f: impl FnOnce(&mut Instance)) -> Instance {
    let mut i = running();
    f(&mut i);
    i
}

fn rejects(field: &str) -> impl Fn(&Step) -> bool + '_ {
    move |step| matches!(step, Step::Reject(i) if i.field == format!("spec.forProvider.{field}"))
}

fn one_change(want: InstanceChange) -> impl Fn(&Step) -> bool {
    move |step| *step == Step::Change(want.clone())
}

type Check = Box<dyn Fn(&Step) -> bool>;

fn scaling(compute: bool, disk: bool) -> crate::api::dbinstance::AtlasClusterParameters {
    crate::api::dbinstance::AtlasClusterParameters {
        auto_scaling: Some(Box::new(AtlasAutoScaling {
            compute: ComputeAutoScaling {
                enabled: compute,
                max_instance_size: compute.then(|| "M40".to_owned()),
                ..ComputeAutoScaling::default()
            },
            disk_gb: DiskAutoScaling { enabled: disk },
        })),
        ..Default::default()
    }
}

fn node(host: &str) -> crate::cloud::InstanceEndpoint {
    crate::cloud::InstanceEndpoint {
        role: "Primary".into(),
        host: host.into(),
        port: 3717,
    }
}

fn params(config: &[(&str, &str)], pending: &[&str]) -> crate::cloud::InstanceParameters {
    crate::cloud::InstanceParameters {
        config: config
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        pending_restart: pending.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// The cloud side of `scaling(true, true)`.
fn scaled() -> AutoScaling {
    AutoScaling {
        compute_enabled: true,
        max_instance_size: Some("M40".into()),
        disk_enabled: true,
        ..AutoScaling::default()
    }
}

/// One row per field of [`FIELDS`]: a changed value is the rule's one call, or a refusal naming
/// the field (which makes no cloud call: a `Reject` step writes nothing).
fn field_cases() -> Vec<(&'static str, DBInstanceSpec, Instance, Check)> {
    use crate::api::dbinstance::{ChargeType, StorageEngine};
    let mut cases: Vec<(&'static str, DBInstanceSpec, Instance, Check)> = vec![
        (
            "regionId",
            with(|p| p.region_id = "cn-beijing".into()),
            running(),
            Box::new(rejects("regionId")),
        ),
        (
            "zoneId",
            with(|p| p.zone_id = Some("cn-hangzhou-i".into())),
            running(),
            Box::new(rejects("zoneId")),
        ),
        (
            "engineVersion",
            with(|p| p.engine_version = EngineVersion::V7_0),
            running(),
            Box::new(one_change(InstanceChange::EngineVersion("7.0".into()))),
        ),
        (
            "instanceClass",
            with(|p| p.instance_class = Some("dds.mongo.large".into())),
            running(),
            Box::new(one_change(InstanceChange::Spec {
                instance_class: Some("dds.mongo.large".into()),
                storage_gb: None,
            })),
        ),
        (
            "storageGB",
            with(|p| p.storage_gb = Some(40)),
            running(),
            Box::new(one_change(InstanceChange::Spec {
                instance_class: None,
                storage_gb: Some(40),
            })),
        ),
        (
            "replicationFactor",
            with(|p| p.replication_factor = Some(5)),
            running(),
            Box::new(one_change(InstanceChange::Nodes {
                replication_factor: Some(5),
                readonly_replicas: None,
            })),
        ),
        (
            "readonlyReplicas",
            with(|p| p.readonly_replicas = Some(2)),
            running(),
            Box::new(one_change(InstanceChange::Nodes {
                replication_factor: None,
                readonly_replicas: Some(2),
            })),
        ),
        (
            "tde",
            with(|p| p.tde = Some(TdeMode::Enabled)),
            running(),
            Box::new(one_change(InstanceChange::EnableTde)),
        ),
        (
            "storageEngine",
            with(|p| p.storage_engine = StorageEngine::RocksDB),
            running(),
            Box::new(rejects("storageEngine")),
        ),
        (
            "storageType",
            with(|p| {
                p.storage_type = Some(StorageType::CloudAuto);
                p.storage_gb = Some(40);
            }),
            seen(|i| i.storage_gb = Some(40)),
            Box::new(one_change(InstanceChange::StorageType("cloud_auto".into()))),
        ),
        (
            "chargeType",
            with(|p| {
                p.charge_type = ChargeType::PrePaid;
                p.period = Some(1);
            }),
            running(),
            Box::new(rejects("chargeType")),
        ),
        (
            "vpcId",
            with(|p| p.vpc_id = Some("vpc-2".into())),
            running(),
            Box::new(rejects("vpcId")),
        ),
        (
            "vSwitchId",
            with(|p| p.v_switch_id = Some("vsw-2".into())),
            running(),
            Box::new(rejects("vSwitchId")),
        ),
        (
            "resourceGroupId",
            with(|p| p.resource_group_id = Some("rg-2".into())),
            running(),
            Box::new(rejects("resourceGroupId")),
        ),
        (
            "description",
            with(|p| p.description = Some("billing".into())),
            running(),
            Box::new(one_change(InstanceChange::Description("billing".into()))),
        ),
        (
            "maintenanceWindow",
            with(|p| {
                p.maintenance_window = Some(Box::new(crate::api::dbinstance::MaintenanceWindow {
                    start_time: "04:00Z".into(),
                    end_time: "05:00Z".into(),
                }))
            }),
            running(),
            Box::new(one_change(InstanceChange::MaintainTime {
                start: "04:00Z".into(),
                end: "05:00Z".into(),
            })),
        ),
        (
            "ssl",
            with(|p| p.ssl = Some(crate::api::dbinstance::SslMode::Disabled)),
            running(),
            Box::new(one_change(InstanceChange::Ssl(
                crate::cloud::SslAction::Close,
            ))),
        ),
        (
            "deletionProtection",
            with(|p| p.deletion_protection = Some(true)),
            running(),
            Box::new(one_change(InstanceChange::DeletionProtection(true))),
        ),
        (
            "parameters",
            with(|p| {
                p.parameters
                    .insert("operationProfiling.mode".into(), "slowOp".into());
            }),
            seen(|i| i.parameters = Some(params(&[("operationProfiling.mode", "off")], &[]))),
            Box::new(one_change(InstanceChange::Parameters(
                [("operationProfiling.mode".to_owned(), "slowOp".to_owned())].into(),
            ))),
        ),
        (
            "publicAddress",
            with(|p| p.public_address = Some(PublicAddress::Enabled)),
            seen(|i| i.endpoints = vec![node("p.example")]),
            Box::new(one_change(InstanceChange::PublicAddress(true))),
        ),
        (
            "srvAddress",
            with(|p| p.srv_address = Some(SrvAddress::Enabled)),
            seen(|i| i.srv_allocated = Some(false)),
            Box::new(one_change(InstanceChange::SrvAddress(true))),
        ),
        (
            "atlas.autoScaling",
            with(|p| p.atlas = Some(scaling(true, true))),
            seen(|i| i.auto_scaling = Some(AutoScaling::default())),
            Box::new(one_change(InstanceChange::AutoScaling(scaled()))),
        ),
        (
            "tags",
            with(|p| {
                p.tags.insert("env".into(), "prod".into());
            }),
            running(),
            Box::new(|s: &Step| *s == Step::Tag(vec![("env".into(), "prod".into())])),
        ),
    ];
    cases.extend(sharding_cases());
    cases
}

/// A Dds sharded spec and the Running cluster that matches it.
fn sharded(
    f: impl FnOnce(&mut crate::api::dbinstance_sharding::ShardingParameters),
) -> DBInstanceSpec {
    let mut s: DBInstanceSpec = serde_json::from_value(serde_json::json!({"forProvider": {
        "regionId": "cn-hangzhou", "engineVersion": "6.0",
        "sharding": {
            "mongos": {"count": 2, "class": "dds.mongos.mid"},
            "shards": {"count": 2, "class": "dds.shard.mid", "storageGB": 20},
            "configServer": {"class": "dds.cs.mid", "storageGB": 20}
        }
    }}))
    .expect("spec");
    if let Some(sharding) = s.for_provider.sharding.as_deref_mut() {
        f(sharding);
    }
    s
}

fn sharded_running() -> Instance {
    let node = |id: &str, class: &str, gb: Option<i32>| crate::cloud::ClusterNode {
        id: id.into(),
        class: Some(class.into()),
        storage_gb: gb,
    };
    Instance {
        id: "dds-shard1234".into(),
        status: RUNNING.into(),
        region: "cn-hangzhou".into(),
        engine_version: Some("6.0".into()),
        storage_engine: Some("WiredTiger".into()),
        charge_type: Some("PostPaid".into()),
        sharded: true,
        topology: Some(crate::cloud::Topology {
            mongos: vec![
                node("s-1", "dds.mongos.mid", None),
                node("s-2", "dds.mongos.mid", None),
            ],
            shards: vec![
                node("d-1", "dds.shard.mid", Some(20)),
                node("d-2", "dds.shard.mid", Some(20)),
            ],
            config_servers: vec![node("cs-1", "dds.cs.mid", Some(20))],
        }),
        ..Instance::default()
    }
}

fn sharding_cases() -> Vec<(&'static str, DBInstanceSpec, Instance, Check)> {
    use crate::cloud::NodeKind;
    let add = |kind, class: &str, storage_gb| {
        one_change(InstanceChange::AddNode {
            kind,
            class: class.into(),
            storage_gb,
        })
    };
    vec![
        (
            "sharding",
            sharded(|_| {}),
            running(),
            Box::new(rejects("sharding")),
        ),
        (
            "sharding.mongos.count",
            sharded(|s| {
                if let Some(m) = &mut s.mongos {
                    m.count = 3;
                }
            }),
            sharded_running(),
            Box::new(add(NodeKind::Mongos, "dds.mongos.mid", None)),
        ),
        (
            "sharding.mongos.class",
            sharded(|s| {
                if let Some(m) = &mut s.mongos {
                    m.class = "dds.mongos.large".into();
                }
            }),
            sharded_running(),
            Box::new(rejects("sharding.mongos.class")),
        ),
        (
            "sharding.shards.count",
            sharded(|s| s.shards.count = 3),
            sharded_running(),
            Box::new(add(NodeKind::Shard, "dds.shard.mid", Some(20))),
        ),
        (
            "sharding.shards.class",
            sharded(|s| s.shards.class = "dds.shard.large".into()),
            sharded_running(),
            Box::new(rejects("sharding.shards.class")),
        ),
        (
            "sharding.shards.storageGB",
            sharded(|s| s.shards.storage_gb = 40),
            sharded_running(),
            Box::new(rejects("sharding.shards.storageGB")),
        ),
        (
            "sharding.configServer",
            sharded(|s| {
                if let Some(c) = &mut s.config_server {
                    c.storage_gb = 40;
                }
            }),
            sharded_running(),
            Box::new(rejects("sharding.configServer.storageGB")),
        ),
    ]
}

#[test]
fn every_field_of_the_table_has_a_case_that_follows_its_rule() {
    let cases = field_cases();
    for rule in FIELDS {
        let (_, s, i, check) = cases
            .iter()
            .find(|(field, ..)| *field == rule.field)
            .unwrap_or_else(|| panic!("no case for {}", rule.field));
        let step = plan_for(s, i);
        assert!(check(&step), "field {}: got {step:?}", rule.field);
        let refused = matches!(step, Step::Reject(_));
        assert_eq!(
            refused,
            is_create_only(rule.field),
            "field {}: the planner and the table disagree",
            rule.field
        );
    }
    assert_eq!(
        cases.len(),
        FIELDS.len(),
        "a case for a field not in the table"
    );
}

#[test]
fn the_clouds_agree_on_the_kind_of_rule_wherever_a_field_applies() {
    for rule in FIELDS {
        assert!(clouds_agree(rule), "{rule:?}");
    }
}

/// Changes the cloud refuses, and the way each is refused; none is planned as a write.
#[test]
fn refused_changes_name_the_field_and_why() {
    let cases: Vec<(&str, DBInstanceSpec, Instance, &str, &str)> = vec![
        (
            "engine downgrade",
            spec(),
            seen(|i| i.engine_version = Some("7.0".into())),
            "engineVersion",
            "cannot be downgraded from 7.0 to 6.0",
        ),
        (
            "TDE off once on",
            spec(),
            seen(|i| i.tde_enabled = Some(true)),
            "tde",
            "cannot be turned off",
        ),
        (
            "disk type other than cloud_auto",
            with(|p| p.storage_type = Some(StorageType::CloudEssd2)),
            running(),
            "storageType",
            "cannot change from cloud_essd1 to cloud_essd2: the cloud changes a disk type only to cloud_auto",
        ),
        (
            "cloud_auto under 40 GB",
            with(|p| p.storage_type = Some(StorageType::CloudAuto)),
            running(),
            "storageType",
            "cloud_auto on a 20 GB disk: the cloud needs 40 GB or more",
        ),
        (
            "cloud_auto under 40 GB, the spec's own storage",
            with(|p| {
                p.storage_type = Some(StorageType::CloudAuto);
                p.storage_gb = Some(30);
            }),
            seen(|i| i.storage_gb = Some(30)),
            "storageType",
            "cloud_auto on a 30 GB disk",
        ),
        (
            "cloud_auto from a local disk",
            with(|p| {
                p.storage_type = Some(StorageType::CloudAuto);
                p.storage_gb = Some(40);
            }),
            seen(|i| {
                i.storage_type = Some("local_ssd".into());
                i.storage_gb = Some(40);
            }),
            "storageType",
            "only an ESSD disk (cloud_essd1/2/3) becomes cloud_auto",
        ),
        (
            "an SRV address on a local disk",
            with(|p| {
                p.storage_type = None;
                p.srv_address = Some(SrvAddress::Enabled);
            }),
            seen(|i| {
                i.storage_type = Some("local_ssd".into());
                i.srv_allocated = Some(false);
            }),
            "srvAddress",
            "the instance runs on local_ssd and the cloud offers SRV addresses only on cloud disks",
        ),
    ];
    for (name, s, i, field, why) in cases {
        match plan_for(&s, &i) {
            Step::Reject(invalid) => {
                assert_eq!(invalid.field, format!("spec.forProvider.{field}"), "{name}");
                assert!(invalid.message.contains(why), "{name}: {}", invalid.message);
            }
            other => panic!("{name}: expected a refusal, got {other:?}"),
        }
    }
}

#[test]
fn in_place_rules() {
    let cases: Vec<(&str, DBInstanceSpec, Instance, Step)> = vec![
        (
            "engine upgrades one major version a call",
            with(|p| p.engine_version = EngineVersion::V8_0),
            running(),
            Step::Change(InstanceChange::EngineVersion("7.0".into())),
        ),
        (
            "engine upgrade from a version the enum lacks goes to the next one",
            with(|p| p.engine_version = EngineVersion::V4_4),
            seen(|i| i.engine_version = Some("4.0".into())),
            Step::Change(InstanceChange::EngineVersion("4.2".into())),
        ),
        (
            "both node counts change in one call",
            with(|p| {
                p.replication_factor = Some(7);
                p.readonly_replicas = Some(1);
            }),
            running(),
            Step::Change(InstanceChange::Nodes {
                replication_factor: Some(7),
                readonly_replicas: Some(1),
            }),
        ),
        (
            "nodes go before the engine upgrade",
            with(|p| {
                p.replication_factor = Some(5);
                p.engine_version = EngineVersion::V7_0;
            }),
            running(),
            Step::Change(InstanceChange::Nodes {
                replication_factor: Some(5),
                readonly_replicas: None,
            }),
        ),
        (
            "absent readonlyReplicas leaves the cloud's count",
            with(|p| p.readonly_replicas = None),
            seen(|i| i.readonly_replicas = Some(2)),
            Step::Steady,
        ),
        (
            "TDE on and on already writes nothing",
            with(|p| p.tde = Some(TdeMode::Enabled)),
            seen(|i| i.tde_enabled = Some(true)),
            Step::Steady,
        ),
        (
            "TDE not observed is not guessed",
            with(|p| p.tde = Some(TdeMode::Enabled)),
            seen(|i| i.tde_enabled = None),
            Step::Steady,
        ),
        (
            "compute autoscaling leaves the size Atlas chose",
            with(|p| p.atlas = Some(scaling(true, false))),
            seen(|i| {
                i.instance_class = Some("dds.mongo.large".into());
                i.auto_scaling = Some(AutoScaling {
                    disk_enabled: false,
                    ..scaled()
                });
            }),
            Step::Steady,
        ),
        (
            "disk autoscaling leaves the disk Atlas grew, and still resizes the class",
            with(|p| p.atlas = Some(scaling(false, true))),
            seen(|i| {
                i.storage_gb = Some(80);
                i.instance_class = Some("dds.mongo.large".into());
                i.auto_scaling = Some(AutoScaling {
                    disk_enabled: true,
                    ..AutoScaling::default()
                });
            }),
            Step::Change(InstanceChange::Spec {
                instance_class: Some("dds.mongo.mid".into()),
                storage_gb: None,
            }),
        ),
        (
            "autoscaling switched off goes before the size is put back",
            with(|p| p.atlas = Some(scaling(false, false))),
            seen(|i| {
                i.instance_class = Some("dds.mongo.large".into());
                i.auto_scaling = Some(scaled());
            }),
            Step::Change(InstanceChange::AutoScaling(AutoScaling::default())),
        ),
        (
            "absent autoScaling leaves Atlas' settings and sizes as the spec says",
            with(|p| p.atlas = Some(Default::default())),
            seen(|i| {
                i.instance_class = Some("dds.mongo.large".into());
                i.auto_scaling = Some(scaled());
            }),
            Step::Change(InstanceChange::Spec {
                instance_class: Some("dds.mongo.mid".into()),
                storage_gb: None,
            }),
        ),
        (
            "a parameter waiting for a restart never restarts the instance",
            with(|p| {
                p.parameters
                    .insert("net.serviceExecutor".into(), "adaptive".into());
            }),
            seen(|i| {
                i.parameters = Some(params(
                    &[
                        ("net.serviceExecutor", "adaptive"),
                        ("operationProfiling.mode", "off"),
                    ],
                    &["net.serviceExecutor"],
                ))
            }),
            Step::Steady,
        ),
        (
            "parameters not read are not guessed",
            with(|p| {
                p.parameters
                    .insert("net.serviceExecutor".into(), "adaptive".into());
            }),
            running(),
            Step::Steady,
        ),
        (
            "a public address is released when Disabled",
            with(|p| p.public_address = Some(PublicAddress::Disabled)),
            seen(|i| {
                i.endpoints = vec![node("p.example")];
                i.public_endpoints = vec![node("p-pub.example")];
            }),
            Step::Change(InstanceChange::PublicAddress(false)),
        ),
        (
            "a listing without addresses never opens one",
            with(|p| p.public_address = Some(PublicAddress::Enabled)),
            running(),
            Step::Steady,
        ),
        (
            "an SRV address is released when Disabled",
            with(|p| p.srv_address = Some(SrvAddress::Disabled)),
            seen(|i| i.srv_allocated = Some(true)),
            Step::Change(InstanceChange::SrvAddress(false)),
        ),
        (
            "an allocated SRV address stays when Enabled",
            with(|p| p.srv_address = Some(SrvAddress::Enabled)),
            seen(|i| i.srv_allocated = Some(true)),
            Step::Steady,
        ),
        (
            "an SRV address not read is not guessed",
            with(|p| p.srv_address = Some(SrvAddress::Enabled)),
            running(),
            Step::Steady,
        ),
        (
            "absent srvAddress leaves an allocated one",
            spec(),
            seen(|i| i.srv_allocated = Some(true)),
            Step::Steady,
        ),
        (
            "absent publicAddress leaves an open one open",
            spec(),
            seen(|i| {
                i.endpoints = vec![node("p.example")];
                i.public_endpoints = vec![node("p-pub.example")];
            }),
            Step::Steady,
        ),
        (
            "no write while nodes are being created",
            with(|p| p.replication_factor = Some(5)),
            seen(|i| i.status = "NodeCreating".into()),
            Step::Wait("NodeCreating".into()),
        ),
    ];
    for (name, s, i, want) in cases {
        assert_eq!(plan_for(&s, &i), want, "case: {name}");
    }
}

/// Applying each planned change to the observation reaches a steady plan: an engine two
/// versions behind takes two upgrades, then nothing more.
#[test]
fn storage_raised_to_forty_gb_with_cloud_auto_goes_storage_first_then_disk_type() {
    let s = with(|p| {
        p.storage_type = Some(StorageType::CloudAuto);
        p.storage_gb = Some(40);
    });
    let mut i = running();
    let mut calls = Vec::new();
    for _ in 0..5 {
        match plan_for(&s, &i) {
            Step::Steady => break,
            Step::Change(InstanceChange::Spec { storage_gb, .. }) => {
                i.storage_gb = storage_gb.or(i.storage_gb);
                calls.push("storage");
            }
            Step::Change(InstanceChange::StorageType(disk)) => {
                i.storage_type = Some(disk);
                calls.push("disk type");
            }
            other => panic!("unexpected step {other:?}"),
        }
    }
    assert_eq!(calls, ["storage", "disk type"]);
}

#[test]
fn in_place_plans_converge() {
    let s = with(|p| {
        p.engine_version = EngineVersion::V8_0;
        p.replication_factor = Some(5);
        p.readonly_replicas = Some(1);
        p.tde = Some(TdeMode::Enabled);
    });
    let mut i = running();
    let mut calls = Vec::new();
    for _ in 0..10 {
        match plan_for(&s, &i) {
            Step::Steady => {
                assert_eq!(
                    calls,
                    ["nodes", "engine 7.0", "engine 8.0", "tde"],
                    "the calls, in order"
                );
                return;
            }
            Step::Change(InstanceChange::Nodes {
                replication_factor,
                readonly_replicas,
            }) => {
                i.replication_factor = replication_factor.or(i.replication_factor);
                i.readonly_replicas = readonly_replicas.or(i.readonly_replicas);
                calls.push("nodes".to_owned());
            }
            Step::Change(InstanceChange::EngineVersion(v)) => {
                calls.push(format!("engine {v}"));
                i.engine_version = Some(v);
            }
            Step::Change(InstanceChange::EnableTde) => {
                i.tde_enabled = Some(true);
                calls.push("tde".to_owned());
            }
            other => panic!("unexpected step {other:?}"),
        }
    }
    panic!("no steady plan after 10 rounds: {calls:?}");
}

#[test]
fn autoscaling_settings_atlas_refuses_are_refused_by_name() {
    let cases = [
        (
            json_scaling(serde_json::json!({"compute": {"enabled": true}})),
            "compute.maxInstanceSize",
        ),
        (
            json_scaling(
                serde_json::json!({"compute": {"enabled": true, "scaleDownEnabled": true, "maxInstanceSize": "M40"}}),
            ),
            "compute.minInstanceSize",
        ),
        (
            json_scaling(
                serde_json::json!({"compute": {"scaleDownEnabled": true, "minInstanceSize": "M10"}}),
            ),
            "compute.scaleDownEnabled",
        ),
    ];
    for (p, field) in cases {
        let invalid = check_scaling(&p).expect_err(field);
        assert_eq!(
            invalid.field,
            format!("spec.forProvider.atlas.autoScaling.{field}")
        );
    }
    assert_eq!(
        check_scaling(&with(|p| p.atlas = Some(scaling(true, true))).for_provider),
        Ok(())
    );
}

fn json_scaling(a: serde_json::Value) -> DBInstanceParameters {
    with(|p| {
        p.atlas = Some(crate::api::dbinstance::AtlasClusterParameters {
            auto_scaling: Some(serde_json::from_value(a).expect("autoScaling")),
            ..Default::default()
        })
    })
    .for_provider
}

#[test]
fn the_public_address_is_published_under_its_own_keys() {
    let i = seen(|i| {
        i.replica_set_name = Some("mgset-1".into());
        i.public_endpoints = vec![
            node("p-pub.example"),
            crate::cloud::InstanceEndpoint {
                role: "Secondary".into(),
                ..node("s-pub.example")
            },
        ];
    });
    assert_eq!(
        public_connection(&i),
        vec![
            ("publicHost".to_owned(), "p-pub.example".to_owned()),
            ("publicPort".to_owned(), "3717".to_owned()),
            (
                "publicConnectionString".to_owned(),
                "mongodb://p-pub.example:3717,s-pub.example:3717/admin?replicaSet=mgset-1"
                    .to_owned()
            ),
        ]
    );
    assert_eq!(public_connection(&running()), vec![]);
}

#[test]
fn the_readme_table_lists_every_field_once() {
    let table = readme_table();
    for rule in FIELDS {
        assert_eq!(
            table.matches(&format!("| `{}` |", rule.field)).count(),
            1,
            "{}",
            rule.field
        );
    }
    let readme = format!("intro\n{TABLE_START}\nold rows\n{TABLE_END}\nrest\n");
    let spliced = splice_readme(&readme).expect("markers");
    assert!(spliced.contains(&table) && spliced.ends_with(&format!("{TABLE_END}\nrest\n")));
    assert_eq!(splice_readme(&spliced).as_deref(), Some(spliced.as_str()));
    assert_eq!(splice_readme("no markers"), None);
}
