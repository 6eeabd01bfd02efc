use super::*;
use crate::api::dbinstance::{DBInstanceSpec, HandledOperations};
use crate::cloud::{InstanceEndpoint, Topology};
use crate::reconcile::Mode;
use crate::reconcile::dbinstance::{self, Observed, RUNNING, Step, plan};

fn aliyun() -> serde_json::Value {
    serde_json::json!({
        "regionId": "cn-hangzhou", "engineVersion": "6.0",
        "sharding": {
            "mongos": {"count": 2, "class": "dds.mongos.mid"},
            "shards": {"count": 2, "class": "dds.shard.mid", "storageGB": 20},
            "configServer": {"class": "dds.cs.mid", "storageGB": 20}
        }
    })
}

fn atlas() -> serde_json::Value {
    serde_json::json!({
        "regionId": "US_EAST_1", "engineVersion": "7.0",
        "sharding": {"shards": {"count": 2, "class": "M30", "storageGB": 40}}
    })
}

fn spec_of(fp: serde_json::Value) -> DBInstanceSpec {
    serde_json::from_value(serde_json::json!({"forProvider": fp})).expect("spec")
}

/// `base` with the JSON merge patch `extra` laid over its forProvider.
fn merged(mut base: serde_json::Value, extra: serde_json::Value) -> DBInstanceSpec {
    json_patch(&mut base, extra);
    spec_of(base)
}

fn json_patch(base: &mut serde_json::Value, extra: serde_json::Value) {
    match (base, extra) {
        (serde_json::Value::Object(b), serde_json::Value::Object(e)) => {
            for (k, v) in e {
                json_patch(b.entry(k).or_insert(serde_json::Value::Null), v);
            }
        }
        (b, e) => *b = e,
    }
}

fn node(id: &str, class: &str, gb: Option<i32>) -> ClusterNode {
    ClusterNode {
        id: id.into(),
        class: Some(class.into()),
        storage_gb: gb,
    }
}

/// A Running Dds sharded cluster matching [`aliyun`].
fn running() -> Instance {
    Instance {
        id: "dds-shard1234".into(),
        status: RUNNING.into(),
        region: "cn-hangzhou".into(),
        engine_version: Some("6.0".into()),
        storage_engine: Some("WiredTiger".into()),
        charge_type: Some("PostPaid".into()),
        sharded: true,
        topology: Some(Topology {
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
        endpoints: vec![
            InstanceEndpoint {
                role: "Mongos".into(),
                host: "s-1.mongodb.rds.aliyuncs.com".into(),
                port: 3717,
            },
            InstanceEndpoint {
                role: "Mongos".into(),
                host: "s-2.mongodb.rds.aliyuncs.com".into(),
                port: 3717,
            },
        ],
        ..Instance::default()
    }
}

fn seen(f: impl FnOnce(&mut Instance)) -> Instance {
    let mut i = running();
    f(&mut i);
    i
}

fn plan_for(s: &DBInstanceSpec, i: &Instance) -> Step {
    let seen = Observed::Present {
        instance: Box::new(i.clone()),
        ssl: None,
    };
    plan(
        &s.for_provider,
        s,
        &HandledOperations::default(),
        &seen,
        Mode::Active,
    )
}

fn add(kind: NodeKind, class: &str, gb: Option<i32>) -> Step {
    Step::Change(InstanceChange::AddNode {
        kind,
        class: class.into(),
        storage_gb: gb,
    })
}

fn refused(field: &str) -> String {
    format!("spec.forProvider.{field}")
}

/// Every new field on an existing cluster: an allowed change is its one call, a disallowed one
/// a refusal naming the field (a `Reject` step makes no cloud call).
#[test]
fn sharding_plan_rules() {
    let s = aliyun;
    let cases: Vec<(&str, DBInstanceSpec, Instance, Result<Step, &str>)> = vec![
        (
            "steady cluster writes nothing",
            spec_of(s()),
            running(),
            Ok(Step::Steady),
        ),
        (
            "one more mongos is one CreateNode",
            merged(
                s(),
                serde_json::json!({"sharding": {"mongos": {"count": 3}}}),
            ),
            running(),
            Ok(add(NodeKind::Mongos, "dds.mongos.mid", None)),
        ),
        (
            "two more mongos are added one a reconcile",
            merged(
                s(),
                serde_json::json!({"sharding": {"mongos": {"count": 4}}}),
            ),
            running(),
            Ok(add(NodeKind::Mongos, "dds.mongos.mid", None)),
        ),
        (
            "one more shard is one CreateNode with its storage",
            merged(
                s(),
                serde_json::json!({"sharding": {"shards": {"count": 3}}}),
            ),
            running(),
            Ok(add(NodeKind::Shard, "dds.shard.mid", Some(20))),
        ),
        (
            "mongos before shards",
            merged(
                s(),
                serde_json::json!({"sharding": {"mongos": {"count": 3}, "shards": {"count": 3}}}),
            ),
            running(),
            Ok(add(NodeKind::Mongos, "dds.mongos.mid", None)),
        ),
        (
            "no second node while one is created",
            merged(
                s(),
                serde_json::json!({"sharding": {"shards": {"count": 3}}}),
            ),
            seen(|i| i.status = "NodeCreating".into()),
            Ok(Step::Wait("NodeCreating".into())),
        ),
        (
            "a listing without nodes adds nothing",
            merged(
                s(),
                serde_json::json!({"sharding": {"shards": {"count": 3}}}),
            ),
            seen(|i| i.topology = None),
            Ok(Step::Steady),
        ),
        (
            "a mongos fewer is one DeleteNode of the newest",
            merged(
                s(),
                serde_json::json!({"sharding": {"mongos": {"count": 2}}}),
            ),
            seen(|i| {
                if let Some(t) = &mut i.topology {
                    t.mongos.push(node("s-3", "dds.mongos.mid", None));
                }
            }),
            Ok(Step::Change(InstanceChange::RemoveNode {
                node_id: "s-3".into(),
            })),
        ),
        (
            "two mongos fewer are removed one a reconcile",
            merged(
                s(),
                serde_json::json!({"sharding": {"mongos": {"count": 2}}}),
            ),
            seen(|i| {
                if let Some(t) = &mut i.topology {
                    t.mongos.push(node("s-3", "dds.mongos.mid", None));
                    t.mongos.push(node("s-4", "dds.mongos.mid", None));
                }
            }),
            Ok(Step::Change(InstanceChange::RemoveNode {
                node_id: "s-4".into(),
            })),
        ),
        (
            "fewer shards is refused",
            merged(
                s(),
                serde_json::json!({"sharding": {"shards": {"count": 2}}}),
            ),
            seen(|i| {
                if let Some(t) = &mut i.topology {
                    t.shards.push(node("d-3", "dds.shard.mid", Some(20)));
                }
            }),
            Err("sharding.shards.count"),
        ),
        (
            "mongos class is set at creation",
            merged(
                s(),
                serde_json::json!({"sharding": {"mongos": {"class": "dds.mongos.large"}}}),
            ),
            running(),
            Err("sharding.mongos.class"),
        ),
        (
            "shard class is set at creation",
            merged(
                s(),
                serde_json::json!({"sharding": {"shards": {"class": "dds.shard.large"}}}),
            ),
            running(),
            Err("sharding.shards.class"),
        ),
        (
            "shard storage is set at creation",
            merged(
                s(),
                serde_json::json!({"sharding": {"shards": {"storageGB": 40}}}),
            ),
            running(),
            Err("sharding.shards.storageGB"),
        ),
        (
            "config server class is set at creation",
            merged(
                s(),
                serde_json::json!({"sharding": {"configServer": {"class": "dds.cs.large"}}}),
            ),
            running(),
            Err("sharding.configServer.class"),
        ),
        (
            "config server storage is set at creation",
            merged(
                s(),
                serde_json::json!({"sharding": {"configServer": {"storageGB": 40}}}),
            ),
            running(),
            Err("sharding.configServer.storageGB"),
        ),
        (
            "a replica set does not become sharded",
            spec_of(s()),
            seen(|i| {
                i.sharded = false;
                i.topology = None;
            }),
            Err("sharding"),
        ),
        (
            "a sharded cluster needs its sharding section",
            spec_of(serde_json::json!({
                "regionId": "cn-hangzhou", "engineVersion": "6.0",
                "instanceClass": "dds.mongo.mid", "storageGB": 20
            })),
            running(),
            Err("sharding"),
        ),
    ];
    for (name, spec, instance, expected) in cases {
        let step = plan_for(&spec, &instance);
        match expected {
            Ok(want) => assert_eq!(step, want, "case: {name}"),
            Err(field) => assert!(
                matches!(&step, Step::Reject(i) if i.field == refused(field) && !i.message.is_empty()),
                "case: {name}: got {step:?}"
            ),
        }
    }
}

/// Atlas: a shard more is one updateCluster (the same `AddNode` step); fewer is refused.
#[test]
fn atlas_shards_grow_and_never_shrink() {
    let atlas_cluster = |shards: usize| Instance {
        id: "orders".into(),
        status: RUNNING.into(),
        region: "US_EAST_1".into(),
        engine_version: Some("7.0".into()),
        sharded: true,
        topology: Some(Topology {
            shards: (0..shards)
                .map(|n| node(&format!("spec-{n}"), "M30", Some(40)))
                .collect(),
            ..Topology::default()
        }),
        ..Instance::default()
    };
    let more = merged(
        atlas(),
        serde_json::json!({"sharding": {"shards": {"count": 3}}}),
    );
    assert_eq!(
        plan_for(&more, &atlas_cluster(2)),
        add(NodeKind::Shard, "M30", Some(40))
    );
    assert_eq!(plan_for(&spec_of(atlas()), &atlas_cluster(2)), Step::Steady);
    let fewer = plan_for(&spec_of(atlas()), &atlas_cluster(3));
    assert!(
        matches!(&fewer, Step::Reject(i) if i.field == refused("sharding.shards.count")),
        "{fewer:?}"
    );
}

/// Replica-set fields beside `sharding`, and per-cloud sharding fields, are refused by name
/// before any cloud call; a replica set must still name its size.
#[test]
fn fields_that_do_not_fit_the_shape_are_refused_by_name() {
    let cases: Vec<(&str, DBInstanceSpec, Cloud, &str)> = vec![
        (
            "instanceClass beside sharding",
            merged(
                aliyun(),
                serde_json::json!({"instanceClass": "dds.mongo.mid"}),
            ),
            Cloud::Aliyun,
            "instanceClass",
        ),
        (
            "storageGB beside sharding",
            merged(aliyun(), serde_json::json!({"storageGB": 20})),
            Cloud::Aliyun,
            "storageGB",
        ),
        (
            "replicationFactor beside sharding",
            merged(aliyun(), serde_json::json!({"replicationFactor": 3})),
            Cloud::Aliyun,
            "replicationFactor",
        ),
        (
            "readonlyReplicas beside sharding",
            merged(aliyun(), serde_json::json!({"readonlyReplicas": 1})),
            Cloud::Aliyun,
            "readonlyReplicas",
        ),
        (
            "publicAddress beside sharding",
            merged(aliyun(), serde_json::json!({"publicAddress": "Enabled"})),
            Cloud::Aliyun,
            "publicAddress",
        ),
        (
            "restoreFrom beside sharding",
            merged(
                aliyun(),
                serde_json::json!({"restoreFrom": {"backupRef": {"name": "b"}}}),
            ),
            Cloud::Aliyun,
            "restoreFrom",
        ),
        (
            "shard storage off the 10 GB step",
            merged(
                aliyun(),
                serde_json::json!({"sharding": {"shards": {"storageGB": 25}}}),
            ),
            Cloud::Aliyun,
            "sharding.shards.storageGB",
        ),
        (
            "Aliyun needs mongos",
            merged(aliyun(), serde_json::json!({"sharding": {"mongos": null}})),
            Cloud::Aliyun,
            "sharding.mongos",
        ),
        (
            "Aliyun needs two shards",
            merged(
                aliyun(),
                serde_json::json!({"sharding": {"shards": {"count": 1}}}),
            ),
            Cloud::Aliyun,
            "sharding.shards.count",
        ),
        (
            "Aliyun shard classes",
            merged(
                aliyun(),
                serde_json::json!({"sharding": {"shards": {"class": "M30"}}}),
            ),
            Cloud::Aliyun,
            "sharding.shards.class",
        ),
        (
            "Atlas has no mongos of its own",
            merged(
                atlas(),
                serde_json::json!({"sharding": {"mongos": {"count": 2, "class": "M10"}}}),
            ),
            Cloud::Atlas,
            "sharding.mongos",
        ),
        (
            "Atlas has no config server field",
            merged(
                atlas(),
                serde_json::json!({"sharding": {"configServer": {"class": "M10", "storageGB": 20}}}),
            ),
            Cloud::Atlas,
            "sharding.configServer",
        ),
        (
            "Atlas shard sizes",
            merged(
                atlas(),
                serde_json::json!({"sharding": {"shards": {"class": "dds.shard.mid"}}}),
            ),
            Cloud::Atlas,
            "sharding.shards.class",
        ),
        (
            "Atlas autoscaling of shards",
            merged(
                atlas(),
                serde_json::json!({"atlas": {"autoScaling": {"diskGB": {"enabled": true}}}}),
            ),
            Cloud::Atlas,
            "atlas.autoScaling",
        ),
        (
            "a replica set names its class",
            spec_of(
                serde_json::json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "storageGB": 20}),
            ),
            Cloud::Aliyun,
            "instanceClass",
        ),
        (
            "a replica set names its storage",
            spec_of(
                serde_json::json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid"}),
            ),
            Cloud::Aliyun,
            "storageGB",
        ),
    ];
    for (name, spec, cloud, field) in cases {
        let result = dbinstance::validate(&spec)
            .and_then(|()| crate::reconcile::clouds::check_dbinstance(&spec, "orders", cloud));
        let invalid = result.expect_err(name);
        assert_eq!(invalid.field, refused(field), "case: {name}");
        assert!(!invalid.message.is_empty(), "case: {name}");
    }
    for (spec, cloud) in [
        (spec_of(aliyun()), Cloud::Aliyun),
        (spec_of(atlas()), Cloud::Atlas),
    ] {
        assert_eq!(dbinstance::validate(&spec), Ok(()));
        assert_eq!(
            crate::reconcile::clouds::check_dbinstance(&spec, "orders", cloud),
            Ok(())
        );
    }
}

#[test]
fn the_create_request_carries_the_nodes_and_no_replica_set_size() {
    let p = spec_of(aliyun()).for_provider;
    let request = dbinstance::create_request(&p, "uid-1", None);
    assert_eq!(
        request.sharding,
        Some(ShardedCreate {
            mongos: Some((2, "dds.mongos.mid".into())),
            shard_count: 2,
            shard_class: "dds.shard.mid".into(),
            shard_storage_gb: 20,
            config_server: Some(("dds.cs.mid".into(), 20)),
        })
    );
    assert_eq!(create(&spec_of(serde_json::json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid", "storageGB": 20})).for_provider), None);
}

/// The Secret of a sharded cluster: `host`/`port` the first mongos, `mongosHosts` all of them,
/// `connectionString` over all of them, no replica set and no credentials.
#[test]
fn the_connection_secret_lists_the_mongos() {
    let data = dbinstance::connection_details(&running(), None);
    let get = |k: &str| data.get(k).map(String::as_str);
    assert_eq!(get("host"), Some("s-1.mongodb.rds.aliyuncs.com"));
    assert_eq!(get("port"), Some("3717"));
    assert_eq!(
        get("mongosHosts"),
        Some("s-1.mongodb.rds.aliyuncs.com:3717,s-2.mongodb.rds.aliyuncs.com:3717")
    );
    assert_eq!(
        get("connectionString"),
        Some("mongodb://s-1.mongodb.rds.aliyuncs.com:3717,s-2.mongodb.rds.aliyuncs.com:3717/admin")
    );
    assert_eq!(get("replicaSetName"), None);
    let replica_set = Instance {
        endpoints: running().endpoints,
        ..Instance::default()
    };
    assert_eq!(connection(&replica_set), Vec::new());
}

#[test]
fn the_observation_counts_the_nodes() {
    assert_eq!(
        observation(&running()),
        Some(ShardingObservation {
            mongos_count: 2,
            shard_count: 2,
            node_ids: ["s-1", "s-2", "d-1", "d-2", "cs-1"]
                .map(String::from)
                .to_vec(),
        })
    );
    assert_eq!(observation(&seen(|i| i.sharded = false)), None);
}

/// The plan preview names the calls a sharded cluster is made and grown with, and the counts
/// they move, so plan-only shows what removing the annotation sends.
#[test]
fn previews_name_the_sharded_calls() {
    use crate::reconcile::preview;
    let more_mongos = InstanceChange::AddNode {
        kind: NodeKind::Mongos,
        class: "dds.mongos.mid".into(),
        storage_gb: None,
    };
    let planned = preview::instance_change(Cloud::Aliyun, &more_mongos, &running(), None);
    assert_eq!(planned.action, "CreateNode");
    let moved: Vec<(&str, Option<&str>, Option<&str>)> = planned
        .changes
        .iter()
        .map(|c| (c.field.as_str(), c.from.as_deref(), c.to.as_deref()))
        .collect();
    assert_eq!(moved, [("sharding.mongos.count", Some("2"), Some("3"))]);
    let more_shards = InstanceChange::AddNode {
        kind: NodeKind::Shard,
        class: "M30".into(),
        storage_gb: Some(40),
    };
    let planned = preview::instance_change(Cloud::Atlas, &more_shards, &running(), None);
    assert_eq!(planned.action, "updateCluster");
    assert_eq!(planned.changes[0].field, "sharding.shards.count");

    let request = dbinstance::create_request(&spec_of(aliyun()).for_provider, "uid-1", None);
    let planned = preview::create_instance(Cloud::Aliyun, &request);
    assert_eq!(planned.action, "CreateShardingDBInstance");
    let fields: Vec<&str> = planned.changes.iter().map(|c| c.field.as_str()).collect();
    for field in [
        "sharding.mongos.count",
        "sharding.shards.count",
        "sharding.configServer",
    ] {
        assert!(fields.contains(&field), "{fields:?}");
    }
    for field in ["instanceClass", "storageGB", "replicationFactor"] {
        assert!(!fields.contains(&field), "{fields:?}");
    }
}

/// LateInitialize never fills a replica-set field into a sharded spec (it would then refuse
/// itself).
#[test]
fn late_initialize_leaves_replica_set_fields_out_of_a_sharded_spec() {
    let p = spec_of(aliyun()).for_provider;
    let cloud_side = seen(|i| i.readonly_replicas = Some(0));
    let filled = dbinstance::late_initialize(Cloud::Aliyun, &p, &cloud_side);
    assert!(!filled.contains_key("readonlyReplicas"), "{filled:?}");
}
