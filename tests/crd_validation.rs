//! The bad-input suite on a real API server: every invalid manifest is rejected (422) with a
//! message naming the offending field, and valid edge cases (and every example) are accepted.
//! Objects are created with server-side dry run, so nothing is stored.

mod support;

use kube::api::{Api, DynamicObject, PostParams};
use kube::core::ApiResource;
use mongocloud_operator::api::{
    AuditLogFilter, Backup, DBInstance, ProviderConfig, SecurityIpList,
};
use serde_json::{Value, json};

fn resource(kind: &str) -> ApiResource {
    match kind {
        "DBInstance" => ApiResource::erase::<DBInstance>(&()),
        "SecurityIpList" => ApiResource::erase::<SecurityIpList>(&()),
        "AuditLogFilter" => ApiResource::erase::<AuditLogFilter>(&()),
        "Backup" => ApiResource::erase::<Backup>(&()),
        _ => ApiResource::erase::<ProviderConfig>(&()),
    }
}

fn dbi(for_provider: Value) -> Value {
    let mut fp = json!({"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid", "storageGB": 20});
    merge(&mut fp, for_provider);
    json!({"kind": "DBInstance", "spec": {"forProvider": fp}})
}

fn merge(base: &mut Value, extra: Value) {
    match (base, extra) {
        (Value::Object(b), Value::Object(e)) => e.into_iter().for_each(|(k, v)| {
            if v.is_null() {
                b.remove(&k);
            } else {
                merge(b.entry(k).or_insert(Value::Null), v)
            }
        }),
        (b, e) => *b = e,
    }
}

fn ips(for_provider: Value) -> Value {
    let mut fp = json!({"dbInstanceId": "dds-abcd1234", "entries": [{"ip": "10.0.0.1"}]});
    merge(&mut fp, for_provider);
    json!({"kind": "SecurityIpList", "spec": {"forProvider": fp}})
}

fn audit(for_provider: Value) -> Value {
    let mut fp = json!({"dbInstanceId": "dds-abcd1234", "filter": ["admin"]});
    merge(&mut fp, for_provider);
    json!({"kind": "AuditLogFilter", "spec": {"forProvider": fp}})
}

fn backup(for_provider: Value) -> Value {
    let mut fp = json!({"dbInstanceId": "dds-abcd1234", "method": "Physical"});
    merge(&mut fp, for_provider);
    json!({"kind": "Backup", "spec": {"forProvider": fp}})
}

fn pc(spec: Value) -> Value {
    let mut s = json!({"credentials": {"secretRef": {"namespace": "default", "name": "creds"}}});
    merge(&mut s, spec);
    json!({"kind": "ProviderConfig", "spec": s})
}

fn entries(n: usize) -> Value {
    json!(
        (0..n)
            .map(|i| json!({"ip": format!("10.{}.{}.1", i / 250, i % 250)}))
            .collect::<Vec<_>>()
    )
}

/// (case, manifest, text the rejection must contain: the field path).
fn invalid_cases() -> Vec<(&'static str, Value, &'static str)> {
    vec![
        (
            "engine version 3.2",
            dbi(json!({"engineVersion": "3.2"})),
            "spec.forProvider.engineVersion",
        ),
        (
            "charge type",
            dbi(json!({"chargeType": "Monthly"})),
            "spec.forProvider.chargeType",
        ),
        (
            "storage engine",
            dbi(json!({"storageEngine": "MMAPv1"})),
            "spec.forProvider.storageEngine",
        ),
        (
            "storage type",
            dbi(json!({"storageType": "hdd"})),
            "spec.forProvider.storageType",
        ),
        (
            "ssl value",
            dbi(json!({"ssl": "On"})),
            "spec.forProvider.ssl",
        ),
        (
            "tde value",
            dbi(json!({"tde": "enabled"})),
            "spec.forProvider.tde",
        ),
        (
            "window without Z",
            dbi(json!({"maintenanceWindow": {"startTime": "2:00", "endTime": "03:00Z"}})),
            "spec.forProvider.maintenanceWindow.startTime",
        ),
        (
            "window hour 24",
            dbi(json!({"maintenanceWindow": {"startTime": "23:00Z", "endTime": "24:00Z"}})),
            "spec.forProvider.maintenanceWindow.endTime",
        ),
        (
            "storage below 10",
            dbi(json!({"storageGB": 5})),
            "spec.forProvider.storageGB",
        ),
        (
            "storage above 16000",
            dbi(json!({"storageGB": 20000})),
            "spec.forProvider.storageGB",
        ),
        (
            "storage not a multiple of 10",
            dbi(json!({"storageGB": 25})),
            "spec.forProvider.storageGB",
        ),
        (
            "storage as text",
            dbi(json!({"storageGB": "twenty"})),
            "spec.forProvider.storageGB",
        ),
        (
            "replication factor 4",
            dbi(json!({"replicationFactor": 4})),
            "spec.forProvider.replicationFactor",
        ),
        (
            "readonly replicas 6",
            dbi(json!({"readonlyReplicas": 6})),
            "spec.forProvider.readonlyReplicas",
        ),
        (
            "missing regionId",
            dbi(json!({"regionId": null})),
            "spec.forProvider.regionId",
        ),
        (
            "one mongos",
            dbi(
                json!({"sharding": {"mongos": {"count": 1, "class": "dds.mongos.mid"},
                                    "shards": {"count": 2, "class": "dds.shard.mid", "storageGB": 20}}}),
            ),
            "spec.forProvider.sharding.mongos.count",
        ),
        (
            "shard storage off the 10 GB step",
            dbi(
                json!({"sharding": {"shards": {"count": 2, "class": "dds.shard.mid", "storageGB": 25}}}),
            ),
            "spec.forProvider.sharding.shards.storageGB",
        ),
        (
            "sharding without shards",
            dbi(json!({"sharding": {"mongos": {"count": 2, "class": "dds.mongos.mid"}}})),
            "spec.forProvider.sharding.shards",
        ),
        (
            "missing forProvider",
            json!({"kind": "DBInstance", "spec": {}}),
            "spec.forProvider",
        ),
        (
            "bad instance id",
            dbi(json!({"instanceId": "i-123"})),
            "spec.forProvider.instanceId",
        ),
        (
            "bad region name",
            dbi(json!({"regionId": "Hangzhou"})),
            "spec.forProvider.regionId",
        ),
        (
            "deletion policy",
            {
                let mut d = dbi(json!({}));
                d["spec"]["deletionPolicy"] = json!("Destroy");
                d
            },
            "spec.deletionPolicy",
        ),
        (
            "unknown management policy",
            {
                let mut d = dbi(json!({}));
                d["spec"]["managementPolicies"] = json!(["Observe", "Destroy"]);
                d
            },
            "spec.managementPolicies",
        ),
        (
            "management policy listed twice",
            {
                let mut d = ips(json!({}));
                d["spec"]["managementPolicies"] = json!(["Observe", "Observe"]);
                d
            },
            "spec.managementPolicies",
        ),
        (
            "empty management policies",
            {
                let mut d = backup(json!({}));
                d["spec"]["managementPolicies"] = json!([]);
                d
            },
            "spec.managementPolicies",
        ),
        (
            "deletion protection not a boolean",
            dbi(json!({"deletionProtection": "yes"})),
            "spec.forProvider.deletionProtection",
        ),
        (
            "requestedAt not a time",
            {
                let mut d = dbi(json!({}));
                d["spec"]["operations"] = json!({"restart": {"requestedAt": "now"}});
                d
            },
            "spec.operations.restart.requestedAt",
        ),
        (
            "too many tags",
            dbi(
                json!({"tags": (0..21).map(|i| (format!("k{i}"), json!("v"))).collect::<serde_json::Map<_, _>>()}),
            ),
            "spec.forProvider.tags",
        ),
        (
            "empty IP list",
            ips(json!({"entries": []})),
            "spec.forProvider.entries",
        ),
        (
            "1001 IPs",
            ips(json!({"entries": entries(1001)})),
            "spec.forProvider.entries",
        ),
        (
            "malformed IP",
            ips(json!({"entries": [{"ip": "10.0.0"}]})),
            "spec.forProvider.entries",
        ),
        (
            "CIDR prefix 33",
            ips(json!({"entries": [{"ip": "10.0.0.0/33"}]})),
            "spec.forProvider.entries",
        ),
        (
            "duplicate IP entries",
            ips(json!({"entries": [{"ip": "10.0.0.1"}, {"ip": "10.0.0.1"}]})),
            "spec.forProvider.entries[1]",
        ),
        (
            "bad expiresAt",
            ips(json!({"entries": [{"ip": "10.0.0.1", "expiresAt": "tomorrow"}]})),
            "spec.forProvider.entries",
        ),
        (
            "group name with capitals",
            ips(json!({"groupName": "AppServers"})),
            "spec.forProvider.groupName",
        ),
        (
            "both instance targets",
            ips(json!({"dbInstanceRef": {"name": "orders"}})),
            "spec.forProvider",
        ),
        (
            "no instance target",
            ips(json!({"dbInstanceId": null})),
            "spec.forProvider",
        ),
        (
            "unknown audit category",
            audit(json!({"filter": ["admin", "everything"]})),
            "spec.forProvider.filter",
        ),
        (
            "duplicate audit category",
            audit(json!({"filter": ["admin", "admin"]})),
            "spec.forProvider.filter",
        ),
        (
            "storage period 400 days",
            audit(json!({"storagePeriodDays": 400})),
            "spec.forProvider.storagePeriodDays",
        ),
        (
            "backup method",
            backup(json!({"method": "Snapshot"})),
            "spec.forProvider.method",
        ),
        (
            "missing backup method",
            backup(json!({"method": null})),
            "spec.forProvider.method",
        ),
        (
            "provider config endpoint",
            pc(json!({"endpoint": "127.0.0.1:9780"})),
            "spec.endpoint",
        ),
        (
            "provider config without credentials",
            json!({"kind": "ProviderConfig", "spec": {"regionId": "cn-hangzhou"}}),
            "spec.credentials",
        ),
        (
            "provider config unknown cloud",
            pc(json!({"provider": "Azure"})),
            "spec.provider",
        ),
        // Exact schemas (issue 22): each of these was accepted by the server before and only
        // refused later by the planner, or not at all.
        (
            "IPv4 octet 256",
            ips(json!({"entries": [{"ip": "10.0.0.256"}]})),
            "spec.forProvider.entries",
        ),
        (
            "IPv4 octet 300",
            ips(json!({"entries": [{"ip": "300.1.1.1/8"}]})),
            "spec.forProvider.entries",
        ),
        (
            "IPv4 octet with a leading zero",
            ips(json!({"entries": [{"ip": "10.0.0.01"}]})),
            "spec.forProvider.entries",
        ),
        (
            "IPv6 prefix 129",
            ips(json!({"entries": [{"ip": "2001:db8::/129"}]})),
            "spec.forProvider.entries",
        ),
        (
            "IPv6 with :: twice",
            ips(json!({"entries": [{"ip": "1::2::3"}]})),
            "spec.forProvider.entries",
        ),
        (
            "IPv6 with nine groups",
            ips(json!({"entries": [{"ip": "1:2:3:4:5:6:7:8:9"}]})),
            "spec.forProvider.entries",
        ),
        (
            "IPv6 with a bad embedded IPv4",
            ips(json!({"entries": [{"ip": "::ffff:10.0.0.256"}]})),
            "spec.forProvider.entries",
        ),
        (
            "expiresAt without an offset",
            ips(json!({"entries": [{"ip": "10.0.0.1", "expiresAt": "2026-12-31T00:00:00"}]})),
            "spec.forProvider.entries",
        ),
        (
            "expiresAt on 30 February",
            ips(json!({"entries": [{"ip": "10.0.0.1", "expiresAt": "2026-02-30T00:00:00Z"}]})),
            "spec.forProvider.entries",
        ),
        (
            "requestedAt without an offset",
            {
                let mut d = dbi(json!({}));
                d["spec"]["operations"] =
                    json!({"upgradeKernel": {"requestedAt": "2026-12-03T09:00:00"}});
                d
            },
            "spec.operations.upgradeKernel.requestedAt",
        ),
        (
            "restart node id without its type",
            {
                let mut d = dbi(json!({}));
                d["spec"]["operations"] =
                    json!({"restart": {"requestedAt": "2026-12-03T09:00:00Z", "nodeId": "bp1234"}});
                d
            },
            "spec.operations.restart.nodeId",
        ),
        (
            "Atlas size with a leading zero",
            dbi(json!({"instanceClass": "M010"})),
            "spec.forProvider.instanceClass",
        ),
        (
            "subscription of 10 months",
            dbi(json!({"chargeType": "PrePaid", "period": 10})),
            "spec.forProvider.period",
        ),
        (
            "vpcId without its prefix",
            dbi(json!({"vpcId": "my_vpc", "vSwitchId": "vsw-1"})),
            "spec.forProvider.vpcId",
        ),
        (
            "vSwitchId that is a VPC id",
            dbi(json!({"vpcId": "vpc-1", "vSwitchId": "vpc-1"})),
            "spec.forProvider.vSwitchId",
        ),
        (
            "resource group without its prefix",
            dbi(json!({"resourceGroupId": "group-1"})),
            "spec.forProvider.resourceGroupId",
        ),
        (
            "description that starts like a URL",
            dbi(json!({"description": "https://orders.example.com"})),
            "spec.forProvider.description",
        ),
        (
            "tag value of 129 characters",
            dbi(json!({"tags": {"team": "x".repeat(129)}})),
            "spec.forProvider.tags",
        ),
        (
            "Atlas cluster name ending in a hyphen",
            dbi(json!({"atlas": {"clusterName": "orders-"}})),
            "spec.forProvider.atlas.clusterName",
        ),
        (
            "password Secret key with a slash",
            dbi(json!({"accountPasswordSecretRef": {"name": "orders", "key": "a/b"}})),
            "spec.forProvider.accountPasswordSecretRef.key",
        ),
        (
            "connection Secret name with capitals",
            {
                let mut d = dbi(json!({}));
                d["spec"]["writeConnectionSecretToRef"] = json!({"name": "Orders_Conn"});
                d
            },
            "spec.writeConnectionSecretToRef.name",
        ),
        (
            "providerConfigRef name with capitals",
            {
                let mut d = dbi(json!({}));
                d["spec"]["providerConfigRef"] = json!({"name": "Default"});
                d
            },
            "spec.providerConfigRef.name",
        ),
        (
            "dbInstanceRef name with a slash",
            audit(json!({"dbInstanceId": null, "dbInstanceRef": {"name": "ns/orders"}})),
            "spec.forProvider.dbInstanceRef.name",
        ),
        (
            "backup of an instance id in capitals",
            backup(json!({"dbInstanceId": "dds-ABCD1234"})),
            "spec.forProvider.dbInstanceId",
        ),
        (
            "endpoint port 99999",
            pc(json!({"endpoint": "http://127.0.0.1:99999"})),
            "spec.endpoint",
        ),
        (
            "endpoint with a space",
            pc(json!({"endpoint": "http://127.0.0.1:9780/api atlas"})),
            "spec.endpoint",
        ),
        (
            "credentials namespace not a DNS label",
            pc(
                json!({"credentials": {"secretRef": {"namespace": "Kube_System", "name": "creds"}}}),
            ),
            "spec.credentials.secretRef.namespace",
        ),
        (
            "Atlas project id in capitals",
            pc(json!({"provider": "Atlas", "projectId": "6746CEA8A3B0F86A2FBDC1F1"})),
            "spec.projectId",
        ),
        (
            "backup window without Z",
            dbi(json!({"backupPolicy": {"preferredBackupTime": "02:00-03:00"}})),
            "spec.forProvider.backupPolicy.preferredBackupTime",
        ),
        (
            "backup day that is no weekday",
            dbi(json!({"backupPolicy": {"preferredBackupDays": ["Someday"]}})),
            "spec.forProvider.backupPolicy.preferredBackupDays",
        ),
        (
            "backup day twice",
            dbi(json!({"backupPolicy": {"preferredBackupDays": ["Monday", "Monday"]}})),
            "spec.forProvider.backupPolicy.preferredBackupDays",
        ),
        (
            "backup retention of 0 days",
            dbi(json!({"backupPolicy": {"retentionDays": 0}})),
            "spec.forProvider.backupPolicy.retentionDays",
        ),
        (
            "high-frequency backup every 45 minutes",
            dbi(json!({"backupPolicy": {"aliyun": {"backupIntervalMinutes": 45}}})),
            "spec.forProvider.backupPolicy.aliyun.backupIntervalMinutes",
        ),
        (
            "snapshot type",
            dbi(json!({"backupPolicy": {"aliyun": {"snapshotBackupType": "Fast"}}})),
            "spec.forProvider.backupPolicy.aliyun.snapshotBackupType",
        ),
        (
            "restore time without an offset",
            dbi(
                json!({"restoreFrom": {"sourceInstanceId": "dds-abcd1234", "restoreTime": "2026-12-03T10:00:00"}}),
            ),
            "spec.forProvider.restoreFrom.restoreTime",
        ),
        (
            "backup id with a space",
            dbi(json!({"restoreFrom": {"sourceInstanceId": "dds-abcd1234", "backupId": "a b"}})),
            "spec.forProvider.restoreFrom.backupId",
        ),
    ]
}

fn valid_cases() -> Vec<(&'static str, Value)> {
    vec![
        ("minimal DBInstance", dbi(json!({}))),
        ("observe-only with late initialization", {
            let mut d = dbi(json!({"deletionProtection": true}));
            d["spec"]["managementPolicies"] = json!(["Observe", "LateInitialize"]);
            d
        }),
        (
            "IPv6 and /32 entries",
            ips(
                json!({"entries": [{"ip": "2001:db8::/32"}, {"ip": "10.0.0.1/32"}, {"ip": "fe80::1"}]}),
            ),
        ),
        // Schema-valid: the controller refuses it without allowPublicAccess (TerminalError).
        (
            "0.0.0.0/0 passes the schema",
            ips(json!({"entries": [{"ip": "0.0.0.0/0"}]})),
        ),
        ("exactly 1000 IPs", ips(json!({"entries": entries(1000)}))),
        (
            "window across midnight",
            dbi(json!({"maintenanceWindow": {"startTime": "23:00Z", "endTime": "00:00Z"}})),
        ),
        (
            "highest octets, /32 and an embedded IPv4",
            ips(json!({"entries": [
                {"ip": "255.255.255.255"},
                {"ip": "10.0.0.0/32"},
                {"ip": "::ffff:10.0.0.1"},
                {"ip": "::/0"},
                {"ip": "2001:db8::/128"},
            ]})),
        ),
        (
            "the longest entry (49 characters)",
            ips(json!({"entries": [{"ip": "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128"}]})),
        ),
        (
            "expiresAt with an offset and fractions",
            ips(
                json!({"entries": [{"ip": "10.0.0.1", "expiresAt": "2026-12-31T23:59:59.123+08:00"}]}),
            ),
        ),
        (
            "Aliyun network ids, a 36-month subscription and a URL inside the description",
            dbi(json!({
                "vpcId": "vpc-bp1orders0000000000",
                "vSwitchId": "vsw-bp1orders0000000000",
                "resourceGroupId": "rg-acfmz7u4zzr2gbq",
                "chargeType": "PrePaid",
                "period": 36,
                "description": "orders, see http://wiki/orders",
                "tags": {"team": "x".repeat(128)},
            })),
        ),
        (
            "Atlas size and cluster name",
            dbi(
                json!({"regionId": "US_EAST_1", "instanceClass": "M40_NVME", "atlas": {"clusterName": "Orders-2"}}),
            ),
        ),
        (
            "endpoint on a bracketed IPv6 host with a path",
            pc(json!({"endpoint": "http://[::1]:9780/api/atlas/v2"})),
        ),
        (
            "every audit category",
            audit(
                json!({"filter": ["admin", "slow", "query", "insert", "update", "delete", "command"]}),
            ),
        ),
    ]
}

async fn dry_run(
    client: &kube::Client,
    ns: &str,
    name: &str,
    mut manifest: Value,
) -> Result<DynamicObject, kube::Error> {
    let kind = manifest["kind"].as_str().unwrap_or_default().to_owned();
    let ar = resource(&kind);
    manifest["apiVersion"] = json!(ar.api_version);
    manifest["metadata"] = json!({"name": name});
    let obj: DynamicObject = serde_json::from_value(manifest).expect("manifest parses");
    let api: Api<DynamicObject> = if kind == "ProviderConfig" {
        Api::all_with(client.clone(), &ar)
    } else {
        Api::namespaced_with(client.clone(), ns, &ar)
    };
    api.create(
        &PostParams {
            dry_run: true,
            ..PostParams::default()
        },
        &obj,
    )
    .await
}

#[tokio::test]
async fn invalid_manifests_are_rejected_naming_the_field() {
    let Some(client) = support::cluster("invalid_manifests").await else {
        return;
    };
    let cases = invalid_cases();
    assert!(cases.len() >= 30, "at least 30 invalid manifests");
    let mut failures = Vec::new();
    for (i, (name, manifest, field)) in cases.into_iter().enumerate() {
        let outcome = match dry_run(&client, "default", &format!("bad-{i}"), manifest).await {
            Err(kube::Error::Api(s)) if s.code == 422 && s.message.contains(field) => {
                "rejected".to_owned()
            }
            Err(kube::Error::Api(s)) => format!("rejected without naming {field}: {}", s.message),
            Err(e) => format!("unexpected error: {e}"),
            Ok(_) => "ACCEPTED".to_owned(),
        };
        println!("{name:40} {outcome}");
        if outcome != "rejected" {
            failures.push(format!("{name}: {outcome}"));
        }
    }
    assert!(
        failures.is_empty(),
        "cases not rejected as expected:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn valid_edge_cases_are_accepted() {
    let Some(client) = support::cluster("valid_edge_cases").await else {
        return;
    };
    for (i, (name, manifest)) in valid_cases().into_iter().enumerate() {
        let created = dry_run(&client, "default", &format!("good-{i}"), manifest).await;
        assert!(created.is_ok(), "{name}: {created:?}");
    }
}

#[tokio::test]
async fn unknown_fields_are_pruned_not_kept() {
    let Some(client) = support::cluster("unknown_fields").await else {
        return;
    };
    let manifest = dbi(json!({"colour": "blue"}));
    let created = dry_run(&client, "default", "pruned", manifest)
        .await
        .expect("accepted: 1.20 prunes unknown fields");
    assert!(
        created.data["spec"]["forProvider"].get("colour").is_none(),
        "unknown field was pruned"
    );
    assert_eq!(
        created.data["spec"]["deletionPolicy"], "Orphan",
        "defaults applied by the server"
    );
}

#[test]
fn every_kind_is_covered() {
    let kinds: std::collections::BTreeSet<String> = invalid_cases()
        .iter()
        .map(|(_, m, _)| m["kind"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(kinds.len(), 5, "{kinds:?}");
}

#[tokio::test]
async fn examples_are_valid_for_kubectl() {
    // Server-side dry run of every example file with kubectl, once the CRDs are installed.
    if support::cluster("examples_are_valid_for_kubectl")
        .await
        .is_none()
    {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("kubectl")
        .args(["apply", "--dry-run=server", "--recursive", "-f"])
        .arg(root.join("examples"))
        .output()
        .expect("kubectl runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The examples' namespace does not exist on a fresh cluster: everything else must pass.
    let problems: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("rror") && !l.contains("namespaces \"mongocloud-system\" not found"))
        .collect();
    assert!(problems.is_empty(), "{stderr}");
    // The API server publishes a new CRD's OpenAPI schema a moment after it is established.
    let mut text = String::new();
    for _ in 0..50 {
        let explain = std::process::Command::new("kubectl")
            .args(["explain", "dbinstance.spec.forProvider"])
            .output()
            .expect("kubectl explain");
        text = format!(
            "{}{}",
            String::from_utf8_lossy(&explain.stdout),
            String::from_utf8_lossy(&explain.stderr)
        );
        if explain.status.success() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(
        text.contains("instanceClass") && text.contains("Instance class"),
        "{text}"
    );
}
