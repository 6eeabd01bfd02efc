//! The Dds client against the emulator over real HTTP on loopback: every action, the error
//! classes, idempotent create, paging, faults and persistence.

use std::time::Duration;

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::*;
use mongocloud_operator::emulator::{self, Config, Running};

async fn emulator(transition_ms: u64) -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(transition_ms),
        ..Config::default()
    };
    emulator::start(config).await.expect("emulator starts")
}

fn client_with(url: &str, secret: &str) -> AliyunClient {
    let settings = AccountSettings {
        endpoint: Some(url.to_owned()),
        region: Some("cn-hangzhou".to_owned()),
        access_key_id: "LTAIemulator".to_owned(),
        access_key_secret: Redacted(secret.to_owned()),
        requests_per_second: 1000,
        ..AccountSettings::default()
    };
    AliyunClient::new(settings, None).expect("client")
}

fn client(e: &Running) -> AliyunClient {
    client_with(&e.url(), "emulator-secret")
}

fn create_request(token: &str) -> CreateInstance {
    CreateInstance {
        region: "cn-hangzhou".into(),
        engine_version: "6.0".into(),
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        description: Some("orders".into()),
        tags: [("mongocloud-uid".to_owned(), token.to_owned())].into(),
        client_token: token.into(),
        ..CreateInstance::default()
    }
}

async fn wait_status(c: &AliyunClient, id: &str, status: &str) -> Instance {
    for _ in 0..100 {
        let found = c
            .describe_instances(&[id.to_owned()])
            .await
            .expect("describe");
        if let Some(i) = found.into_iter().next().filter(|i| i.status == status) {
            return i;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("instance {id} never reached {status}");
}

async fn calls(e: &Running) -> serde_json::Value {
    reqwest::get(format!("{}/_emulator/calls", e.url()))
        .await
        .expect("admin")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn instance_life_cycle_over_every_action() {
    let e = emulator(100).await;
    let c = client(&e);
    c.check_credentials().await.expect("credentials accepted");

    let id = c
        .create_instance(&create_request("token-1"))
        .await
        .expect("create");
    assert_eq!(
        c.create_instance(&create_request("token-1"))
            .await
            .expect("repeat"),
        id,
        "ClientToken makes create idempotent"
    );
    let creating = c
        .describe_instances(std::slice::from_ref(&id))
        .await
        .expect("describe");
    assert_eq!(creating[0].status, "Creating");
    let busy = c
        .modify_instance(&id, &InstanceChange::Restart { node_id: None })
        .await
        .expect_err("refused while creating");
    assert_eq!(busy.class, ErrorClass::InvalidState, "{busy}");

    let running = wait_status(&c, &id, "Running").await;
    assert_eq!(running.storage_gb, Some(20));
    assert_eq!(running.endpoints.len(), 2);
    assert!(running.replica_set_name.is_some());

    let tagged = ListInstances {
        region: "cn-hangzhou".into(),
        page_number: 1,
        page_size: 30,
        tag: Some(("mongocloud-uid".into(), "token-1".into())),
    };
    assert_eq!(
        c.list_instances(&tagged)
            .await
            .expect("list")
            .instances
            .len(),
        1
    );

    c.modify_instance(
        &id,
        &InstanceChange::Spec {
            instance_class: Some("dds.mongo.large".into()),
            storage_gb: Some(40),
        },
    )
    .await
    .expect("spec");
    assert_eq!(
        c.describe_instances(std::slice::from_ref(&id))
            .await
            .expect("d")[0]
            .status,
        "DBInstanceClassChanging"
    );
    let changed = wait_status(&c, &id, "Running").await;
    assert_eq!(
        (changed.instance_class.as_deref(), changed.storage_gb),
        (Some("dds.mongo.large"), Some(40))
    );

    c.modify_instance(&id, &InstanceChange::Description("new".into()))
        .await
        .expect("description");
    c.modify_instance(
        &id,
        &InstanceChange::MaintainTime {
            start: "02:00Z".into(),
            end: "03:00Z".into(),
        },
    )
    .await
    .expect("window");
    c.tag_instance("cn-hangzhou", &id, &[("team".into(), "orders".into())])
        .await
        .expect("tags");
    let edited = c
        .describe_instances(std::slice::from_ref(&id))
        .await
        .expect("d")
        .remove(0);
    assert_eq!(edited.description.as_deref(), Some("new"));
    assert_eq!(edited.maintain_start.as_deref(), Some("02:00Z"));
    assert_eq!(edited.tags.get("team").map(String::as_str), Some("orders"));

    c.modify_instance(&id, &InstanceChange::Ssl(SslAction::Open))
        .await
        .expect("ssl");
    wait_status(&c, &id, "Running").await;
    assert_eq!(c.describe_ssl(&id).await.expect("ssl").status, "Open");
    c.modify_instance(&id, &InstanceChange::Restart { node_id: None })
        .await
        .expect("restart");
    wait_status(&c, &id, "Running").await;
    c.modify_instance(&id, &InstanceChange::UpgradeKernel)
        .await
        .expect("upgrade");
    wait_status(&c, &id, "Running").await;

    let group = SecurityIpGroup {
        name: "app".into(),
        attribute: None,
        ips: vec!["10.0.0.1".into(), "10.0.1.0/24".into()],
        expires: Default::default(),
    };
    c.cover_security_ips(&id, &group).await.expect("cover");
    let groups = c.describe_security_ips(&id).await.expect("ips");
    assert!(
        groups.iter().any(|g| g.name == "default"),
        "default group untouched"
    );
    assert_eq!(
        groups
            .iter()
            .find(|g| g.name == "app")
            .map(|g| g.ips.clone()),
        Some(group.ips.clone())
    );
    c.delete_security_ip_group(&id, "app")
        .await
        .expect("delete group");
    assert!(
        !c.describe_security_ips(&id)
            .await
            .expect("ips")
            .iter()
            .any(|g| g.name == "app")
    );

    c.modify_audit(
        &id,
        &AuditChange::Policy {
            enabled: true,
            storage_period_days: Some(30),
        },
    )
    .await
    .expect("policy");
    c.modify_audit(
        &id,
        &AuditChange::Filter(vec!["admin".into(), "delete".into()]),
    )
    .await
    .expect("filter");
    let audit = c.describe_audit(&id).await.expect("audit");
    assert_eq!(
        (
            audit.enabled,
            audit.filter.clone(),
            audit.storage_period_days
        ),
        (
            true,
            vec!["admin".to_owned(), "delete".to_owned()],
            Some(30)
        )
    );

    let backup = c
        .create_backup(&id, "Logical", "uid-1")
        .await
        .expect("backup");
    assert_eq!(
        c.describe_backups(&id, Some(&backup)).await.expect("b")[0].status,
        "Running"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let done = c
        .describe_backups(&id, Some(&backup))
        .await
        .expect("b")
        .remove(0);
    assert_eq!(
        (done.status.as_str(), done.method.as_deref()),
        ("Success", Some("Logical"))
    );
    c.delete_backup(&id, &backup).await.expect("delete backup");
    assert!(c.describe_backups(&id, None).await.expect("b").is_empty());

    c.delete_instance(&id).await.expect("delete");
    for _ in 0..100 {
        if c.describe_instances(std::slice::from_ref(&id))
            .await
            .expect("d")
            .is_empty()
        {
            let counts = calls(&e).await;
            assert_eq!(counts["actions"]["CreateDBInstance"], 2);
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("instance was never released");
}

#[tokio::test]
async fn wrong_secret_is_terminal_with_the_cloud_code() {
    let e = emulator(100).await;
    let err = client_with(&e.url(), "wrong")
        .check_credentials()
        .await
        .expect_err("refused");
    assert_eq!(
        (err.code.as_str(), err.class),
        ("SignatureDoesNotMatch", ErrorClass::Terminal)
    );
    assert!(
        !err.to_string().contains("wrong"),
        "the secret is not in the error: {err}"
    );
    assert!(!err.request_id.is_empty());
}

#[tokio::test]
async fn refusals_carry_their_classes() {
    let e = emulator(100).await;
    let c = client(&e);
    let missing = c
        .delete_instance("dds-doesnotexist00")
        .await
        .expect_err("missing");
    assert_eq!(missing.class, ErrorClass::NotFound);
    assert!(
        c.describe_instances(&["dds-doesnotexist00".into()])
            .await
            .expect("empty")
            .is_empty()
    );
    let mut prepaid = create_request("prepaid");
    prepaid.charge_type = "PrePaid".into();
    prepaid.period = Some(1);
    let id = c.create_instance(&prepaid).await.expect("create");
    wait_status(&c, &id, "Running").await;
    let refused = c.delete_instance(&id).await.expect_err("prepaid");
    assert_eq!(
        (refused.code.as_str(), refused.class),
        ("ChargeTypeViolation", ErrorClass::Terminal)
    );
    let mut bad = create_request("bad");
    bad.instance_class = "m5.large".into();
    assert_eq!(
        c.create_instance(&bad).await.expect_err("class").class,
        ErrorClass::Terminal
    );
}

#[tokio::test]
async fn listing_pages_through_every_instance() {
    let e = emulator(0).await;
    let c = client(&e);
    for n in 0..130 {
        c.create_instance(&create_request(&format!("page-{n}")))
            .await
            .expect("create");
    }
    let mut seen = std::collections::BTreeSet::new();
    for page in 1..=2 {
        let q = ListInstances {
            region: "cn-hangzhou".into(),
            page_number: page,
            page_size: 100,
            tag: None,
        };
        let answer = c.list_instances(&q).await.expect("page");
        assert_eq!(answer.total_count, 130);
        seen.extend(answer.instances.into_iter().map(|i| i.id));
    }
    assert_eq!(seen.len(), 130);
    let ids: Vec<String> = seen.into_iter().take(30).collect();
    let described = c.describe_instances(&ids).await.expect("batch");
    assert_eq!(described.len(), 30, "one call answers a batch of 30");

    // The batched observer trusts a listing to vouch for attributes it holds: both views of
    // an instance must agree on every listed field.
    let q = ListInstances {
        region: "cn-hangzhou".into(),
        page_number: 1,
        page_size: 100,
        tag: None,
    };
    let listed = c.list_instances(&q).await.expect("page").instances;
    for full in &described {
        let short = listed.iter().find(|i| i.id == full.id);
        if let Some(short) = short {
            assert!(
                mongocloud_operator::observer::plan::fingerprint(full)
                    == mongocloud_operator::observer::plan::fingerprint(short),
                "listing and attributes disagree:\n{full:#?}\n{short:#?}"
            );
        }
    }
}

#[tokio::test]
async fn faults_are_retried_for_reads_and_state_survives_restart() {
    let dir = tempfile::tempdir().expect("tmp");
    let state = dir.path().join("state.json");
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(0),
        faults: emulator::faults::Plan {
            rate: 0.3,
            ..Default::default()
        },
        fault_seed: 7,
        state_file: Some(state.clone()),
        ..Config::default()
    };
    let e = emulator::start(config.clone()).await.expect("start");
    let c = client(&e);
    let mut id = None;
    for attempt in 0..10 {
        match c.create_instance(&create_request("faulty")).await {
            Ok(created) => {
                id = Some(created);
                break;
            }
            Err(err) => assert!(
                matches!(
                    err.class,
                    ErrorClass::Transient | ErrorClass::Throttled { .. }
                ),
                "attempt {attempt}: {err}"
            ),
        }
    }
    let id = id.expect("created despite faults");
    for _ in 0..20 {
        c.describe_instances(std::slice::from_ref(&id))
            .await
            .expect("reads are retried through a 30% fault rate");
    }
    e.stop().await;
    let again = emulator::start(Config {
        faults: emulator::faults::Plan::default(),
        ..config
    })
    .await
    .expect("restart");
    let found = client(&again)
        .describe_instances(std::slice::from_ref(&id))
        .await
        .expect("describe");
    assert_eq!(found.len(), 1, "state survived the restart");
    let counts = calls(&again).await;
    assert_eq!(
        counts["actions"]["DescribeDBInstanceAttribute"], 1,
        "call counts start afresh"
    );
}

#[tokio::test]
async fn an_srv_address_is_allocated_read_and_released_on_cloud_disks_only() {
    let e = emulator(100).await;
    let c = client(&e);
    let mut essd = create_request("srv-essd");
    essd.storage_type = Some("cloud_essd1".into());
    let id = c.create_instance(&essd).await.expect("create");
    wait_status(&c, &id, "Running").await;
    assert_eq!(c.describe_srv_address(&id).await.expect("read"), None);

    c.modify_instance(&id, &InstanceChange::SrvAddress(true))
        .await
        .expect("allocate");
    wait_status(&c, &id, "Running").await;
    let uri = c.describe_srv_address(&id).await.expect("read");
    assert_eq!(
        uri,
        Some(format!("mongodb+srv://{id}-srv.mongodb.rds.aliyuncs.com"))
    );
    let twice = c
        .modify_instance(&id, &InstanceChange::SrvAddress(true))
        .await
        .expect_err("already allocated");
    assert_eq!(twice.code, "NetworkType.Exists");

    c.modify_instance(&id, &InstanceChange::SrvAddress(false))
        .await
        .expect("release");
    wait_status(&c, &id, "Running").await;
    assert_eq!(c.describe_srv_address(&id).await.expect("read"), None);

    let mut local = create_request("srv-local");
    local.storage_type = Some("local_ssd".into());
    let local_id = c.create_instance(&local).await.expect("create");
    wait_status(&c, &local_id, "Running").await;
    let refused = c
        .modify_instance(&local_id, &InstanceChange::SrvAddress(true))
        .await
        .expect_err("local disk");
    assert_eq!(
        (refused.code.as_str(), refused.class),
        ("OperationDenied.StorageType", ErrorClass::Terminal)
    );
    let counts = calls(&e).await;
    assert_eq!(counts["actions"]["AllocateDBInstanceSrvNetworkAddress"], 3);
    assert_eq!(counts["actions"]["ReleaseNodePrivateNetworkAddress"], 1);
}
