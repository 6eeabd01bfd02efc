//! Accounts of 25 existing instances on a running emulator, for the import tests: some with
//! security-IP groups, some with auditing on, three already managed (carrying a UID tag).
//! Built through the emulator's admin endpoints and the cloud APIs, as a console would.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::atlas::AtlasProvider;
use mongocloud_operator::cloud::atlas::access_list::verbatim_group;
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::{
    AccountSettings, AuditChange, Cloud, CreateInstance, ListInstances, Provider, SecurityIpGroup,
    UID_TAG,
};
use serde_json::{Value, json};

pub const INSTANCES: usize = 25;
/// Indexes of the instances that carry a UID tag.
pub const MANAGED: [usize; 3] = [20, 21, 22];
/// Aliyun: indexes with a group `office` (instance 20 is managed: its group is not imported).
pub const WITH_IPS: [usize; 6] = [0, 1, 2, 5, 6, 20];
/// Aliyun: indexes with auditing on.
pub const AUDITED: [usize; 4] = [0, 7, 8, 9];
pub const ATLAS_PROJECT: &str = "6746cea8a3b0f86a2fbdc1f1";

/// What was made: instance ids by index.
pub struct Seeded {
    pub ids: Vec<String>,
}

impl Seeded {
    pub fn managed_ids(&self) -> Vec<String> {
        MANAGED.iter().map(|i| self.ids[*i].clone()).collect()
    }
}

pub fn aliyun_client(url: &str) -> AliyunClient {
    AliyunClient::new(
        AccountSettings {
            endpoint: Some(url.to_owned()),
            region: Some("cn-hangzhou".into()),
            access_key_id: "LTAIemulator".into(),
            access_key_secret: Redacted("emulator-secret".into()),
            requests_per_second: 1000,
            ..AccountSettings::default()
        },
        None,
    )
    .expect("client")
}

pub fn atlas_provider(url: &str) -> AtlasProvider {
    AtlasProvider::new(
        AccountSettings {
            cloud: Cloud::Atlas,
            project_id: Some(ATLAS_PROJECT.into()),
            endpoint: Some(format!("{url}/api/atlas/v2")),
            access_key_id: "emulator-public".into(),
            access_key_secret: Redacted("emulator-private".into()),
            requests_per_second: 200,
            ..AccountSettings::default()
        },
        None,
    )
    .expect("atlas provider")
}

/// The description of instance `i`: two share one, so their names collide.
pub fn description(i: usize) -> String {
    match i {
        3 | 4 => "Shared Name".to_owned(),
        _ => format!("orders {i:02}"),
    }
}

/// 25 Running Dds instances in cn-hangzhou.
pub async fn seed_aliyun(url: &str) -> Seeded {
    let http = reqwest::Client::new();
    let client = aliyun_client(url);
    let mut ids = Vec::with_capacity(INSTANCES);
    for i in 0..INSTANCES {
        let mut body = json!({
            "DBInstanceDescription": description(i),
            "EngineVersion": if i % 4 == 1 { "4.4" } else { "6.0" },
            "DBInstanceClass": if i % 3 == 0 { "dds.mongo.standard" } else { "dds.mongo.mid" },
            "DBInstanceStorage": (10 * (i % 4 + 2)).to_string(),
        });
        if i % 6 == 2 {
            body["ChargeType"] = json!("PrePaid");
            body["Period"] = json!("1");
        }
        if i % 5 == 0 {
            body["Tag.1.Key"] = json!("team");
            body["Tag.1.Value"] = json!("payments");
        }
        if MANAGED.contains(&i) {
            body["Tag.1.Key"] = json!(UID_TAG);
            body["Tag.1.Value"] = json!(uuid::Uuid::new_v4().to_string());
        }
        let answer: Value = http
            .post(format!("{url}/_emulator/instances"))
            .json(&body)
            .send()
            .await
            .expect("admin create")
            .json()
            .await
            .expect("json");
        let id = answer["DBInstanceId"]
            .as_str()
            .unwrap_or_else(|| panic!("created: {answer}"))
            .to_owned();
        if WITH_IPS.contains(&i) {
            let status = http
                .post(format!("{url}/_emulator/instances/{id}"))
                .json(&json!({"securityIps": {"office": [format!("192.0.2.{i}"), "198.51.100.0/24"]}}))
                .send()
                .await
                .expect("admin edit")
                .status();
            assert!(status.is_success(), "{status}");
        }
        if AUDITED.contains(&i) {
            client
                .modify_audit(
                    &id,
                    &AuditChange::Policy {
                        enabled: true,
                        storage_period_days: Some(30),
                    },
                )
                .await
                .expect("audit on");
            client
                .modify_audit(
                    &id,
                    &AuditChange::Filter(vec!["admin".into(), "insert".into()]),
                )
                .await
                .expect("audit filter");
        }
        ids.push(id);
    }
    Seeded { ids }
}

pub fn cluster_name(i: usize) -> String {
    format!("cluster-{i:02}")
}

/// 25 IDLE Atlas clusters in one project, the access list with one hand-made comment group and
/// one UID-owned group, and auditing on.
pub async fn seed_atlas(url: &str) -> Seeded {
    let atlas = Arc::new(atlas_provider(url));
    let mut ids = Vec::with_capacity(INSTANCES);
    for i in 0..INSTANCES {
        let mut tags = BTreeMap::from([("team".to_owned(), "data".to_owned())]);
        if MANAGED.contains(&i) {
            tags.insert(UID_TAG.to_owned(), uuid::Uuid::new_v4().to_string());
        }
        let request = CreateInstance {
            region: "US_EAST_1".into(),
            engine_version: if i % 2 == 0 { "7.0" } else { "8.0" }.into(),
            instance_class: if i % 3 == 0 { "M30" } else { "M10" }.into(),
            storage_gb: 10 * (i as i32 % 3 + 1),
            replication_factor: 3,
            readonly_replicas: (i % 4 == 0).then_some(1),
            charge_type: "PostPaid".into(),
            tags,
            name: Some(cluster_name(i)),
            cloud_provider: Some(if i % 5 == 0 { "GCP" } else { "AWS" }.into()),
            backup_enabled: Some(i % 2 == 0),
            ..CreateInstance::default()
        };
        ids.push(
            atlas
                .create_instance(&request)
                .await
                .expect("cluster created"),
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let page = atlas
            .list_instances(&ListInstances {
                page_number: 1,
                page_size: 100,
                ..ListInstances::default()
            })
            .await
            .expect("list");
        if page
            .instances
            .iter()
            .filter(|i| i.status == "Running")
            .count()
            == INSTANCES
        {
            break;
        }
        assert!(Instant::now() < deadline, "clusters not IDLE after 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let office = SecurityIpGroup {
        name: verbatim_group("office"),
        ips: vec!["192.0.2.0/24".into(), "198.51.100.7".into()],
        ..SecurityIpGroup::default()
    };
    atlas
        .cover_security_ips(&ids[0], &office)
        .await
        .expect("office entries");
    let owned = SecurityIpGroup {
        name: uuid::Uuid::new_v4().to_string(),
        ips: vec!["203.0.113.0/24".into()],
        ..SecurityIpGroup::default()
    };
    atlas
        .cover_security_ips(&ids[0], &owned)
        .await
        .expect("owned entries");
    atlas
        .modify_audit(
            &ids[0],
            &AuditChange::Raw {
                filter: r#"{"atype": "authenticate"}"#.into(),
                authorization_success: false,
            },
        )
        .await
        .expect("audit filter");
    atlas
        .modify_audit(
            &ids[0],
            &AuditChange::Policy {
                enabled: true,
                storage_period_days: None,
            },
        )
        .await
        .expect("audit on");
    Seeded { ids }
}

/// Emulator actions that change something (everything but reads).
pub fn is_mutating(action: &str) -> bool {
    let reads = ["Describe", "List", "get", "list"];
    !reads.iter().any(|r| action.starts_with(r))
}

/// The mutating calls in an emulator call count (`actions` for Dds, `operations` for Atlas).
pub fn mutating(calls: &Value) -> BTreeMap<String, u64> {
    let counts = calls
        .get("actions")
        .or_else(|| calls.get("operations"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    counts
        .into_iter()
        .filter(|(action, _)| is_mutating(action))
        .map(|(action, n)| (action, n.as_u64().unwrap_or(0)))
        .collect()
}
