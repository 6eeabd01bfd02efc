//! `import` against the emulator, both clouds: an account of 25 instances (IP groups, auditing,
//! three already managed) is read with the batched calls only, and rendered into manifests
//! whose specs the planners find steady against what the cloud reports.

#[path = "support/accounts.rs"]
mod accounts;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use mongocloud_operator::api::{AuditLogFilter, DBInstance, SecurityIpList};
use mongocloud_operator::cloud::{Cloud, Provider};
use mongocloud_operator::emulator::{self, Config, Running};
use mongocloud_operator::import::{self, Rendered, Settings, collect};
use mongocloud_operator::reconcile::{Mode, auditlogfilter, clouds, dbinstance, securityiplist};
use serde_json::Value;

async fn start() -> Running {
    emulator::start(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(50),
        ..Config::default()
    })
    .await
    .expect("emulator")
}

async fn calls(e: &Running, path: &str) -> Value {
    reqwest::get(format!("{}/_emulator/{path}", e.url()))
        .await
        .expect("calls")
        .json()
        .await
        .expect("json")
}

fn settings() -> Settings {
    Settings {
        namespace: "imported".into(),
        provider_config: "prod".into(),
        management_policies: vec![mongocloud_operator::api::common::ManagementPolicy::Observe],
    }
}

fn of_kind<K: serde::de::DeserializeOwned>(r: &Rendered, kind: &str) -> Vec<K> {
    r.objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| serde_json::from_value(o.body.clone()).expect("reads back"))
        .collect()
}

fn is_label(name: &str) -> bool {
    name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Names are DNS-1123 labels, unique per kind.
fn assert_names(r: &Rendered) {
    let mut seen = BTreeSet::new();
    for o in &r.objects {
        assert!(
            is_label(&o.name),
            "{} {} is not a DNS-1123 label",
            o.kind,
            o.name
        );
        assert!(
            seen.insert((o.kind, o.name.clone())),
            "{} {} twice",
            o.kind,
            o.name
        );
    }
}

/// Every DBInstance planned against the cloud's current attributes, with writes allowed, is
/// Steady.
async fn assert_steady(provider: &dyn Provider, r: &Rendered, cloud: Cloud) {
    for db in of_kind::<DBInstance>(r, "DBInstance") {
        let name = db.metadata.name.clone().unwrap_or_default();
        let id = db.metadata.annotations.as_ref().expect("annotations")
            [import::render::IMPORTED_FROM]
            .clone();
        let instance = provider
            .describe_instance(&id)
            .await
            .expect("read")
            .expect("exists");
        let ssl = match db.spec.for_provider.ssl {
            Some(_) => Some(provider.describe_ssl(&id).await.expect("ssl")),
            None => None,
        };
        dbinstance::validate(&db.spec).expect("valid");
        clouds::check_dbinstance(&db.spec, &name, cloud).expect("valid for the cloud");
        let step = dbinstance::plan(
            &db.spec.for_provider,
            &db.spec,
            &Default::default(),
            &dbinstance::Observed::Present {
                instance: Box::new(instance),
                ssl,
            },
            Mode::Active,
        );
        assert_eq!(step, dbinstance::Step::Steady, "{name}");
    }
}

#[tokio::test]
async fn an_aliyun_account_of_25_is_read_in_one_page_and_one_batch() {
    let e = start().await;
    let seeded = accounts::seed_aliyun(&e.url()).await;
    let client = accounts::aliyun_client(&e.url());
    let before = calls(&e, "calls").await;
    let (account, tally) = collect::collect(&client, "cn-hangzhou")
        .await
        .expect("collect");
    let after = calls(&e, "calls").await;
    assert_eq!(
        accounts::mutating(&after),
        accounts::mutating(&before),
        "an import only reads"
    );
    let delta = |action: &str| {
        after["actions"][action].as_u64().unwrap_or(0)
            - before["actions"][action].as_u64().unwrap_or(0)
    };
    assert_eq!(delta("DescribeDBInstances"), 1, "one page of 100");
    assert_eq!(delta("DescribeDBInstanceAttribute"), 1, "one batch of 30");
    assert_eq!((tally.pages, tally.batches), (1, 1));
    assert_eq!(account.instances.len(), accounts::INSTANCES);

    let r = import::render::render(&account, &settings());
    let report = import::report(&account, &tally, &r);
    assert!(
        report.starts_with(
            "listed 25 instances in 1 page, 1 batch of attributes; skipped 3 managed: "
        ),
        "{report}"
    );
    for id in seeded.managed_ids() {
        assert!(report.contains(&id), "{id} reported: {report}");
    }
    assert_names(&r);
    let dbs = of_kind::<DBInstance>(&r, "DBInstance");
    assert_eq!(
        dbs.len(),
        accounts::INSTANCES - accounts::MANAGED.len(),
        "{report}"
    );
    let names: BTreeSet<String> = dbs.iter().filter_map(|d| d.metadata.name.clone()).collect();
    assert!(names.contains("orders-00"), "{names:?}");
    assert_eq!(
        names
            .iter()
            .filter(|n| n.starts_with("shared-name-"))
            .count(),
        2,
        "{names:?}"
    );
    let lists = of_kind::<SecurityIpList>(&r, "SecurityIpList");
    assert_eq!(
        lists.len(),
        accounts::WITH_IPS.len() - 1,
        "the managed instance's group stays out"
    );
    let audits = of_kind::<AuditLogFilter>(&r, "AuditLogFilter");
    assert_eq!(audits.len(), accounts::AUDITED.len());
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert_steady(&client, &r, Cloud::Aliyun).await;
    for list in &lists {
        let db = &list
            .spec
            .for_provider
            .instance
            .db_instance_ref
            .as_ref()
            .expect("ref")
            .name;
        let id = dbs
            .iter()
            .find(|d| d.metadata.name.as_ref() == Some(db))
            .and_then(|d| d.spec.for_provider.instance_id.clone())
            .expect("id");
        let mut want = securityiplist::validate(&list.spec, "x").expect("valid");
        want.group = securityiplist::owned_group(&list.spec, "x", "uid", Cloud::Aliyun);
        let groups = client.describe_security_ips(&id).await.expect("groups");
        assert_eq!(
            securityiplist::plan(&want, &groups, Utc::now(), Mode::Active),
            securityiplist::Step::Steady
        );
    }
    for audit in &audits {
        let db = &audit
            .spec
            .for_provider
            .instance
            .db_instance_ref
            .as_ref()
            .expect("ref")
            .name;
        let id = dbs
            .iter()
            .find(|d| d.metadata.name.as_ref() == Some(db))
            .and_then(|d| d.spec.for_provider.instance_id.clone())
            .expect("id");
        let want = auditlogfilter::validate(&audit.spec).expect("valid");
        let seen = client.describe_audit(&id).await.expect("audit");
        assert_eq!(
            auditlogfilter::plan(&want, &seen, Mode::Active),
            auditlogfilter::Step::Steady
        );
    }
}

#[tokio::test]
async fn an_atlas_project_of_25_is_read_with_listings_and_adopted_by_name() {
    let e = start().await;
    let seeded = accounts::seed_atlas(&e.url()).await;
    let atlas = accounts::atlas_provider(&e.url());
    let before = calls(&e, "atlas/calls").await;
    let (account, tally) = collect::collect(&atlas, "").await.expect("collect");
    let after = calls(&e, "atlas/calls").await;
    assert_eq!(
        accounts::mutating(&after),
        accounts::mutating(&before),
        "an import only reads"
    );
    assert_eq!((tally.pages, tally.batches), (1, 1));
    assert_eq!(account.instances.len(), accounts::INSTANCES);

    let r = import::render::render(&account, &settings());
    let report = import::report(&account, &tally, &r);
    for id in seeded.managed_ids() {
        assert!(report.contains(&id), "{id} reported: {report}");
    }
    assert_names(&r);
    let dbs = of_kind::<DBInstance>(&r, "DBInstance");
    assert_eq!(
        dbs.len(),
        accounts::INSTANCES - accounts::MANAGED.len(),
        "{report}"
    );
    for db in &dbs {
        let atlas = db.spec.for_provider.atlas.as_ref().expect("atlas block");
        assert!(atlas.adopt_existing);
        assert_eq!(atlas.cluster_name.as_deref(), db.metadata.name.as_deref());
    }
    let lists = of_kind::<SecurityIpList>(&r, "SecurityIpList");
    assert_eq!(
        lists.len(),
        1,
        "the comment group; the UID-owned one is reported: {report}"
    );
    assert_eq!(
        lists[0]
            .spec
            .for_provider
            .atlas
            .as_ref()
            .map(|a| a.comment.as_str()),
        Some("office")
    );
    assert!(
        report.contains("owned by the SecurityIpList with UID"),
        "{report}"
    );
    let audits = of_kind::<AuditLogFilter>(&r, "AuditLogFilter");
    assert_eq!(audits.len(), 1, "auditing is the project's");
    assert_steady(&atlas, &r, Cloud::Atlas).await;
    let groups = atlas
        .describe_security_ips(&seeded.ids[0])
        .await
        .expect("groups");
    let mut want = securityiplist::validate(&lists[0].spec, "x").expect("valid");
    want.group = securityiplist::owned_group(&lists[0].spec, "x", "uid", Cloud::Atlas);
    assert_eq!(
        securityiplist::plan(&want, &groups, Utc::now(), Mode::Active),
        securityiplist::Step::Steady
    );
    let want = auditlogfilter::validate(&audits[0].spec).expect("valid");
    let seen = atlas.describe_audit(&seeded.ids[0]).await.expect("audit");
    assert_eq!(
        auditlogfilter::plan(&want, &seen, Mode::Active),
        auditlogfilter::Step::Steady
    );
}
