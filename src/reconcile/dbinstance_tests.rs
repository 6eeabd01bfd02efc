use super::*;
use crate::api::dbinstance::{DBInstanceOperations, OperationRequest, RestartRequest};
use crate::cloud::{InstanceEndpoint, Tags};

fn spec() -> DBInstanceSpec {
    serde_json::from_value(serde_json::json!({
        "forProvider": {
            "regionId": "cn-hangzhou", "zoneId": "cn-hangzhou-h", "engineVersion": "6.0",
            "instanceClass": "dds.mongo.mid", "storageGB": 20, "description": "orders",
            "maintenanceWindow": {"startTime": "02:00Z", "endTime": "03:00Z"},
            "ssl": "Enabled", "tags": {"team": "orders"}
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
        replication_factor: Some(3),
        replica_set_name: Some("mgset-1".into()),
        endpoints: vec![
            InstanceEndpoint {
                role: "Primary".into(),
                host: "p.example".into(),
                port: 3717,
            },
            InstanceEndpoint {
                role: "Secondary".into(),
                host: "s.example".into(),
                port: 3717,
            },
        ],
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

fn present(instance: Instance) -> Observed {
    Observed::Present {
        instance: Box::new(instance),
        ssl: Some(SslState {
            status: "Open".into(),
            expire_time: None,
        }),
    }
}

fn with(f: impl FnOnce(&mut DBInstanceSpec)) -> DBInstanceSpec {
    let mut s = spec();
    f(&mut s);
    s
}

fn in_state(status: &str) -> Observed {
    present(Instance {
        status: status.into(),
        ..running()
    })
}

fn at(stamp: &str) -> OperationRequest {
    OperationRequest {
        requested_at: stamp.into(),
    }
}

fn invalid(field: &str) -> impl Fn(&Step) -> bool + '_ {
    move |step| matches!(step, Step::Reject(i) if i.field == format!("spec.forProvider.{field}"))
}

/// One row per planning rule of the design; the case name is in every failure.
#[test]
fn plan_rules() {
    let none = HandledOperations::default();
    let restart = |s: &mut DBInstanceSpec| {
        s.operations = Some(Box::new(DBInstanceOperations {
            restart: Some(RestartRequest {
                requested_at: "2026-01-01T00:00:00Z".into(),
                node_id: None,
            }),
            ..Default::default()
        }))
    };
    type Check = Box<dyn Fn(&Step) -> bool>;
    let eq = |want: Step| -> Check { Box::new(move |s| *s == want) };
    let cases: Vec<(
        &str,
        DBInstanceSpec,
        HandledOperations,
        Observed,
        Mode,
        Check,
    )> = vec![
        (
            "steady state writes nothing",
            spec(),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Steady),
        ),
        (
            "absent instance is created",
            spec(),
            none.clone(),
            Observed::Absent,
            Mode::Active,
            eq(Step::Create),
        ),
        (
            "paused plans the create (the gate withholds it)",
            spec(),
            none.clone(),
            Observed::Absent,
            Mode::Paused,
            eq(Step::Create),
        ),
        (
            "blocked never creates",
            spec(),
            none.clone(),
            Observed::Absent,
            Mode::Blocked,
            eq(Step::Steady),
        ),
        (
            "adopting a missing instance reports it",
            with(|s| s.for_provider.instance_id = Some("dds-zzzz9999".into())),
            none.clone(),
            Observed::Absent,
            Mode::Active,
            eq(Step::Missing("dds-zzzz9999".into())),
        ),
        (
            "a vanished instance is not recreated",
            spec(),
            none.clone(),
            Observed::Gone("dds-x".into()),
            Mode::Active,
            eq(Step::Missing("dds-x".into())),
        ),
        (
            "class change modifies in place",
            with(|s| s.for_provider.instance_class = Some("dds.mongo.large".into())),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Change(InstanceChange::Spec {
                instance_class: Some("dds.mongo.large".into()),
                storage_gb: None,
            })),
        ),
        (
            "class and storage go in one call",
            with(|s| {
                s.for_provider.instance_class = Some("dds.mongo.large".into());
                s.for_provider.storage_gb = Some(40);
            }),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Change(InstanceChange::Spec {
                instance_class: Some("dds.mongo.large".into()),
                storage_gb: Some(40),
            })),
        ),
        (
            "no second write while changing",
            with(|s| s.for_provider.instance_class = Some("dds.mongo.large".into())),
            none.clone(),
            in_state("DBInstanceClassChanging"),
            Mode::Active,
            eq(Step::Wait("DBInstanceClassChanging".into())),
        ),
        (
            "creating instance is waited for",
            spec(),
            none.clone(),
            in_state("Creating"),
            Mode::Active,
            eq(Step::Wait("Creating".into())),
        ),
        (
            "region change is rejected",
            with(|s| s.for_provider.region_id = "cn-beijing".into()),
            none.clone(),
            present(running()),
            Mode::Active,
            Box::new(invalid("regionId")),
        ),
        (
            "zone change is rejected",
            with(|s| s.for_provider.zone_id = Some("cn-hangzhou-i".into())),
            none.clone(),
            present(running()),
            Mode::Active,
            Box::new(invalid("zoneId")),
        ),
        (
            "engine downgrade is rejected",
            with(|s| s.for_provider.engine_version = crate::api::dbinstance::EngineVersion::V4_4),
            none.clone(),
            present(running()),
            Mode::Active,
            Box::new(invalid("engineVersion")),
        ),
        (
            "replication factor change adds nodes in place",
            with(|s| s.for_provider.replication_factor = Some(5)),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Change(InstanceChange::Nodes {
                replication_factor: Some(5),
                readonly_replicas: None,
            })),
        ),
        (
            "charge type change is rejected",
            with(|s| {
                s.for_provider.charge_type = crate::api::dbinstance::ChargeType::PrePaid;
                s.for_provider.period = Some(1);
            }),
            none.clone(),
            present(running()),
            Mode::Active,
            Box::new(invalid("chargeType")),
        ),
        (
            "rejection is reported even when paused",
            with(|s| s.for_provider.region_id = "cn-beijing".into()),
            none.clone(),
            present(running()),
            Mode::Paused,
            Box::new(invalid("regionId")),
        ),
        (
            "a preview plans the change (the gate withholds it)",
            with(|s| s.for_provider.instance_class = Some("dds.mongo.large".into())),
            none.clone(),
            present(running()),
            Mode::Preview,
            eq(Step::Change(InstanceChange::Spec {
                instance_class: Some("dds.mongo.large".into()),
                storage_gb: None,
            })),
        ),
        (
            "blocked makes no cloud writes",
            with(|s| s.for_provider.instance_class = Some("dds.mongo.large".into())),
            none.clone(),
            present(running()),
            Mode::Blocked,
            eq(Step::Steady),
        ),
        (
            "deletion protection switched off in the console is put back",
            with(|s| s.for_provider.deletion_protection = Some(true)),
            none.clone(),
            present(Instance {
                deletion_protection: Some(false),
                ..running()
            }),
            Mode::Active,
            eq(Step::Change(InstanceChange::DeletionProtection(true))),
        ),
        (
            "deletion protection left unset is the cloud's business",
            spec(),
            none.clone(),
            present(Instance {
                deletion_protection: Some(true),
                ..running()
            }),
            Mode::Active,
            eq(Step::Steady),
        ),
        (
            "closed SSL is opened",
            spec(),
            none.clone(),
            Observed::Present {
                instance: Box::new(running()),
                ssl: Some(SslState {
                    status: "Closed".into(),
                    expire_time: None,
                }),
            },
            Mode::Active,
            eq(Step::Change(InstanceChange::Ssl(SslAction::Open))),
        ),
        (
            "unset SSL is left alone",
            with(|s| s.for_provider.ssl = None),
            none.clone(),
            Observed::Present {
                instance: Box::new(running()),
                ssl: None,
            },
            Mode::Active,
            eq(Step::Steady),
        ),
        (
            "maintenance window drift is corrected",
            spec(),
            none.clone(),
            present(Instance {
                maintain_start: Some("05:00Z".into()),
                maintain_end: Some("06:00Z".into()),
                ..running()
            }),
            Mode::Active,
            eq(Step::Change(InstanceChange::MaintainTime {
                start: "02:00Z".into(),
                end: "03:00Z".into(),
            })),
        ),
        (
            "description drift is corrected",
            spec(),
            none.clone(),
            present(Instance {
                description: Some("edited in console".into()),
                ..running()
            }),
            Mode::Active,
            eq(Step::Change(InstanceChange::Description("orders".into()))),
        ),
        (
            "missing tag is added",
            spec(),
            none.clone(),
            present(Instance {
                tags: Tags::default(),
                ..running()
            }),
            Mode::Active,
            eq(Step::Tag(vec![("team".into(), "orders".into())])),
        ),
        (
            "new restart request runs once",
            with(restart),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Run {
                operation: Operation::Restart,
                requested_at: "2026-01-01T00:00:00Z".into(),
                change: InstanceChange::Restart { node_id: None },
            }),
        ),
        (
            "handled restart is not repeated",
            with(restart),
            HandledOperations {
                restart: Some("2026-01-01T00:00:00Z".into()),
                ..Default::default()
            },
            present(running()),
            Mode::Active,
            eq(Step::Steady),
        ),
        (
            "restart waits for Running",
            with(restart),
            none.clone(),
            in_state("Rebooting"),
            Mode::Active,
            eq(Step::Wait("Rebooting".into())),
        ),
        (
            "kernel upgrade runs once",
            with(|s| {
                s.operations = Some(Box::new(DBInstanceOperations {
                    upgrade_kernel: Some(at("2026-02-01T00:00:00Z")),
                    ..Default::default()
                }))
            }),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Run {
                operation: Operation::UpgradeKernel,
                requested_at: "2026-02-01T00:00:00Z".into(),
                change: InstanceChange::UpgradeKernel,
            }),
        ),
        (
            "certificate rotation runs once",
            with(|s| {
                s.operations = Some(Box::new(DBInstanceOperations {
                    rotate_ssl_certificate: Some(at("2026-03-01T00:00:00Z")),
                    ..Default::default()
                }))
            }),
            none.clone(),
            present(running()),
            Mode::Active,
            eq(Step::Run {
                operation: Operation::RotateSslCertificate,
                requested_at: "2026-03-01T00:00:00Z".into(),
                change: InstanceChange::Ssl(SslAction::Update),
            }),
        ),
    ];
    for (name, spec, handled, seen, mode, check) in cases {
        let step = plan(&spec.for_provider, &spec, &handled, &seen, mode);
        assert!(check(&step), "case {name}: got {step:?}");
    }
}

/// Applying each planned change to the observation reaches a steady plan within a few rounds:
/// no perpetual update loop.
#[test]
fn plans_converge() {
    let s = with(|s| {
        s.for_provider.instance_class = Some("dds.mongo.large".into());
        s.for_provider.storage_gb = Some(50);
        s.for_provider.description = Some("new".into());
        s.for_provider.tags.insert("env".into(), "prod".into());
        s.operations = Some(Box::new(DBInstanceOperations {
            restart: Some(RestartRequest {
                requested_at: "2026-01-01T00:00:00Z".into(),
                node_id: None,
            }),
            ..Default::default()
        }));
    });
    let mut instance = running();
    let mut ssl = SslState {
        status: "Closed".into(),
        expire_time: None,
    };
    let mut handled = HandledOperations::default();
    for _ in 0..10 {
        let seen = Observed::Present {
            instance: Box::new(instance.clone()),
            ssl: Some(ssl.clone()),
        };
        match plan(&s.for_provider, &s, &handled, &seen, Mode::Active) {
            Step::Steady => return,
            Step::Change(InstanceChange::Spec {
                instance_class,
                storage_gb,
            }) => {
                instance.instance_class = instance_class.or(instance.instance_class);
                instance.storage_gb = storage_gb.or(instance.storage_gb);
            }
            Step::Change(InstanceChange::Ssl(_)) => ssl.status = "Open".into(),
            Step::Change(InstanceChange::MaintainTime { start, end }) => {
                instance.maintain_start = Some(start);
                instance.maintain_end = Some(end);
            }
            Step::Change(InstanceChange::Description(d)) => instance.description = Some(d),
            Step::Tag(tags) => instance.tags.extend(tags),
            Step::Run {
                operation,
                requested_at,
                ..
            } => mark_handled(&mut handled, operation, &requested_at),
            other => panic!("unexpected step {other:?}"),
        }
    }
    panic!("no steady plan after 10 rounds");
}

#[test]
fn validation_rules() {
    let cases: Vec<(&str, DBInstanceSpec, Option<&str>)> = vec![
        ("example spec is valid", spec(), None),
        (
            "window must be one hour",
            with(|s| {
                s.for_provider
                    .maintenance_window
                    .as_mut()
                    .expect("w")
                    .end_time = "04:00Z".into()
            }),
            Some("spec.forProvider.maintenanceWindow.endTime"),
        ),
        (
            "window may wrap midnight",
            with(|s| {
                s.for_provider.maintenance_window = Some(Box::new(MaintenanceWindow {
                    start_time: "23:00Z".into(),
                    end_time: "00:00Z".into(),
                }))
            }),
            None,
        ),
        (
            "description may not be a URL",
            with(|s| s.for_provider.description = Some("https://x".into())),
            Some("spec.forProvider.description"),
        ),
        (
            "prepaid needs a period",
            with(|s| s.for_provider.charge_type = crate::api::dbinstance::ChargeType::PrePaid),
            Some("spec.forProvider.period"),
        ),
        (
            "an adopted prepaid instance needs no period (it is a create parameter)",
            with(|s| {
                s.for_provider.charge_type = crate::api::dbinstance::ChargeType::PrePaid;
                s.for_provider.instance_id = Some("dds-bp1234567890".into());
            }),
            None,
        ),
        (
            "postpaid takes no period",
            with(|s| s.for_provider.period = Some(1)),
            Some("spec.forProvider.period"),
        ),
        (
            "period must be a sold length",
            with(|s| {
                s.for_provider.charge_type = crate::api::dbinstance::ChargeType::PrePaid;
                s.for_provider.period = Some(10);
            }),
            Some("spec.forProvider.period"),
        ),
        (
            "vswitch needs a vpc",
            with(|s| s.for_provider.v_switch_id = Some("vsw-1".into())),
            Some("spec.forProvider.vSwitchId"),
        ),
        (
            "storage must be a multiple of 10",
            with(|s| s.for_provider.storage_gb = Some(25)),
            Some("spec.forProvider.storageGB"),
        ),
        (
            "replication factor 4 is refused",
            with(|s| s.for_provider.replication_factor = Some(4)),
            Some("spec.forProvider.replicationFactor"),
        ),
        (
            "reserved tag prefix is refused",
            with(|s| {
                s.for_provider.tags.insert("aliyun:x".into(), "y".into());
            }),
            Some("spec.forProvider.tags"),
        ),
        (
            "the uid tag is ours",
            with(|s| {
                s.for_provider.tags.insert(UID_TAG.into(), "y".into());
            }),
            Some("spec.forProvider.tags"),
        ),
        (
            "requestedAt must be RFC 3339",
            with(|s| {
                s.operations = Some(Box::new(DBInstanceOperations {
                    upgrade_kernel: Some(at("yesterday")),
                    ..Default::default()
                }))
            }),
            Some("spec.operations.upgradeKernel.requestedAt"),
        ),
        (
            "rotation needs SSL",
            with(|s| {
                s.for_provider.ssl = Some(SslMode::Disabled);
                s.operations = Some(Box::new(DBInstanceOperations {
                    rotate_ssl_certificate: Some(at("2026-01-01T00:00:00Z")),
                    ..Default::default()
                }));
            }),
            Some("spec.operations.rotateSslCertificate"),
        ),
    ];
    for (name, spec, field) in cases {
        let got = validate(&spec).err().map(|i| i.field);
        assert_eq!(got.as_deref(), field, "case {name}");
    }
}

#[test]
fn ready_follows_the_cloud_status() {
    assert!(ready_condition(&present(running())).is_true());
    let creating = ready_condition(&in_state("Creating"));
    assert_eq!(
        (creating.status.as_str(), creating.reason.as_str()),
        ("False", "Creating")
    );
    assert_eq!(
        ready_condition(&in_state("NET_CREATING")).reason,
        "NetCreating"
    );
    assert_eq!(
        ready_condition(&Observed::Gone("dds-x".into())).reason,
        "NotFound"
    );
}

#[test]
fn connection_details_carry_no_credentials_in_the_string() {
    let data = connection_details(&running(), Some("s3cret"));
    assert_eq!(data["host"], "p.example");
    assert_eq!(data["port"], "3717");
    assert_eq!(data["replicaSetName"], "mgset-1");
    assert_eq!(
        data["connectionString"],
        "mongodb://p.example:3717,s.example:3717/admin?replicaSet=mgset-1"
    );
    assert_eq!(data["password"], "s3cret");
    assert!(!data["connectionString"].contains("s3cret"));
    assert!(!connection_details(&running(), None).contains_key("password"));
}

#[test]
fn create_request_is_tagged_and_idempotent() {
    let s = spec();
    let a = create_request(&s.for_provider, "0b6c-11", None);
    assert_eq!(a.tags.get(UID_TAG).map(String::as_str), Some("0b6c-11"));
    assert_eq!(
        a.client_token,
        create_request(&s.for_provider, "0b6c-11", None).client_token
    );
    assert!(a.client_token.len() <= 64);
}

#[test]
fn requeue_is_fast_while_transitional_and_jittered_when_steady() {
    let t = Timing::default();
    assert_eq!(
        requeue(&Step::Wait("Creating".into()), &t, 0.5),
        t.transitional
    );
    assert_eq!(requeue(&Step::Steady, &t, 0.0), Duration::from_secs(54));
}

/// LateInitialize fills only what the user left empty, only with values the schema accepts,
/// and nothing on Atlas (every such field is Aliyun-only).
#[test]
fn late_initialization_fills_only_empty_fields_with_acceptable_values() {
    let sparse: DBInstanceSpec = serde_json::from_value(serde_json::json!({
        "forProvider": {"regionId": "cn-hangzhou", "engineVersion": "6.0",
                        "instanceClass": "dds.mongo.mid", "storageGB": 20}
    }))
    .expect("spec");
    let cloud_side = Instance {
        storage_type: Some("cloud_essd1".into()),
        readonly_replicas: Some(0),
        vpc_id: Some("vpc-1".into()),
        vswitch_id: Some("vsw-1".into()),
        resource_group_id: Some(String::new()),
        ..running()
    };
    let filled = late_initialize(Cloud::Aliyun, &sparse.for_provider, &cloud_side);
    assert_eq!(
        serde_json::Value::Object(filled),
        serde_json::json!({
            "zoneId": "cn-hangzhou-h", "storageType": "cloud_essd1", "readonlyReplicas": 0,
            "vpcId": "vpc-1", "vSwitchId": "vsw-1", "description": "orders",
            "maintenanceWindow": {"startTime": "02:00Z", "endTime": "03:00Z"}
        })
    );
    // The full spec already says all of it (its own values, even where they differ).
    let mut full = spec();
    full.for_provider.description = Some("mine".into());
    full.for_provider.storage_type = Some(crate::api::dbinstance::StorageType::CloudEssd2);
    full.for_provider.readonly_replicas = Some(1);
    full.for_provider.vpc_id = Some("vpc-mine".into());
    full.for_provider.v_switch_id = Some("vsw-mine".into());
    assert!(late_initialize(Cloud::Aliyun, &full.for_provider, &cloud_side).is_empty());
    // Values the schema would refuse are left out.
    let odd = Instance {
        description: Some("http://x".into()),
        storage_type: Some("magnetic".into()),
        maintain_start: Some("02:00Z".into()),
        maintain_end: Some("04:00Z".into()),
        ..running()
    };
    let filled = late_initialize(Cloud::Aliyun, &sparse.for_provider, &odd);
    assert_eq!(
        filled.keys().collect::<Vec<_>>(),
        ["zoneId"],
        "only the zone is acceptable"
    );
    assert!(late_initialize(Cloud::Atlas, &sparse.for_provider, &cloud_side).is_empty());
}
