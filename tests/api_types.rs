//! The generated CRDs carry the validation a schema can do, and the examples fit the types.

use kube::CustomResourceExt;
use mongocloud_operator::api::common::DeletionPolicy;
use mongocloud_operator::api::{
    AuditLogFilter, Backup, DBInstance, DatabaseUser, ProviderConfig, SecurityIpList, crds,
};
use serde::Deserialize;
use serde_json::{Value, json};

/// The schema as shipped in `crds/` (after the generator's clean-up), not the raw derive.
fn schema_of<K: CustomResourceExt>() -> Value {
    let name = K::crd_name();
    let (_, crd) = crds::all()
        .into_iter()
        .find(|(_, crd)| crd.metadata.name.as_deref() == Some(name))
        .expect("kind is generated");
    let crd = serde_json::to_value(crd).expect("crd serialises");
    crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone()
}

/// Follows a dotted path of property names through a schema (`[]` steps into array items).
fn at<'a>(schema: &'a Value, path: &str) -> &'a Value {
    path.split('.').fold(schema, |node, step| match step {
        "[]" => &node["items"],
        name => &node["properties"][name],
    })
}

#[test]
fn committed_crds_match_the_types() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("crds");
    crds::check(&dir).expect("crds/ is current");
}

#[test]
fn every_kind_has_status_printer_columns_short_name_and_category() {
    for (_, crd) in crds::all() {
        let name = crd.metadata.name.clone().unwrap_or_default();
        let version = &crd.spec.versions[0];
        assert!(
            version
                .subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some(),
            "{name}: status subresource"
        );
        let columns: Vec<String> = version
            .additional_printer_columns
            .iter()
            .flatten()
            .map(|c| c.name.clone())
            .collect();
        for want in ["READY", "AGE"] {
            assert!(
                columns.contains(&want.to_owned()),
                "{name}: column {want} in {columns:?}"
            );
        }
        assert_eq!(
            crd.spec.names.categories,
            Some(vec!["mongocloud".to_owned()]),
            "{name}"
        );
        assert_eq!(
            crd.spec.names.short_names.as_ref().map(Vec::len),
            Some(1),
            "{name}"
        );
    }
}

#[test]
fn deletion_policy_defaults_protect_data() {
    let cases = [
        ("DBInstance", schema_of::<DBInstance>(), "Orphan"),
        ("Backup", schema_of::<Backup>(), "Orphan"),
        ("SecurityIpList", schema_of::<SecurityIpList>(), "Delete"),
        ("AuditLogFilter", schema_of::<AuditLogFilter>(), "Delete"),
    ];
    for (kind, schema, want) in cases {
        let policy = at(&schema, "spec.deletionPolicy");
        assert_eq!(policy["default"], want, "{kind}");
        assert_eq!(policy["enum"], json!(["Orphan", "Delete"]), "{kind}");
    }
}

#[test]
fn dbinstance_schema_validates_what_a_schema_can() {
    let s = schema_of::<DBInstance>();
    let p = "spec.forProvider";
    let cases: [(&str, &str, Value); 9] = [
        (
            "engine versions",
            "engineVersion",
            json!({"enum": ["4.2", "4.4", "5.0", "6.0", "7.0", "8.0"]}),
        ),
        (
            "replication factor",
            "replicationFactor",
            json!({"enum": [3, 5, 7], "nullable": true}),
        ),
        (
            "charge type",
            "chargeType",
            json!({"enum": ["PostPaid", "PrePaid"], "default": "PostPaid"}),
        ),
        (
            "storage range",
            "storageGB",
            json!({"minimum": 10, "maximum": 16000, "multipleOf": 10}),
        ),
        (
            "ssl",
            "ssl",
            json!({"enum": ["Enabled", "Disabled"], "nullable": true}),
        ),
        (
            "readonly replicas",
            "readonlyReplicas",
            json!({"minimum": 0, "maximum": 5}),
        ),
        (
            "window start",
            "maintenanceWindow.startTime",
            json!({"pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]Z$"}),
        ),
        (
            "instance id",
            "instanceId",
            json!({"pattern": "^dds-[a-z0-9]{4,40}$"}),
        ),
        ("tags", "tags", json!({"maxProperties": 20})),
    ];
    for (name, field, want) in cases {
        let node = at(&s, &format!("{p}.{field}"));
        for (key, value) in want.as_object().expect("object") {
            assert!(
                same_value(&node[key], value),
                "case {name}: {key} of {field} is not {value} in {node}"
            );
        }
    }
    let required = &at(&s, p)["required"];
    for field in ["regionId", "engineVersion"] {
        assert!(
            required.as_array().expect("list").contains(&json!(field)),
            "{field} required"
        );
    }
    // A replica set's size or the sharded cluster's nodes: the operator checks which, by name.
    for field in ["instanceClass", "storageGB", "sharding"] {
        assert!(
            !required.as_array().expect("list").contains(&json!(field)),
            "{field} optional"
        );
    }
    let shards = at(&s, &format!("{p}.sharding.shards.count"));
    assert_eq!(
        (shards["minimum"].as_f64(), shards["maximum"].as_f64()),
        (Some(1.0), Some(50.0))
    );
    let mongos = at(&s, &format!("{p}.sharding.mongos.count"));
    assert_eq!(
        (mongos["minimum"].as_f64(), mongos["maximum"].as_f64()),
        (Some(2.0), Some(32.0))
    );
    assert_eq!(
        at(&s, "spec.operations.restart.requestedAt")["format"],
        "date-time"
    );
    assert_eq!(at(&s, "status.conditions")["x-kubernetes-list-type"], "map");
    assert!(
        at(&s, "status.conditions.[].message")
            .get("default")
            .is_none(),
        "no defaults under status"
    );
}

#[test]
fn sub_resource_schemas_validate_what_a_schema_can() {
    let ips = schema_of::<SecurityIpList>();
    let entries = at(&ips, "spec.forProvider.entries");
    assert_eq!(entries["maxItems"], 1000);
    assert_eq!(entries["x-kubernetes-list-type"], "map");
    assert_eq!(entries["x-kubernetes-list-map-keys"], json!(["ip"]));
    assert!(at(&ips, "spec.forProvider.entries.[].ip")["pattern"].is_string());
    assert_eq!(
        at(&ips, "spec.forProvider.entries.[].expiresAt")["format"],
        "date-time"
    );
    assert_eq!(
        at(&ips, "spec.forProvider.groupName")["pattern"],
        "^[a-z][a-z0-9_]{0,118}[a-z0-9]$"
    );

    let audit = schema_of::<AuditLogFilter>();
    let filter = at(&audit, "spec.forProvider.filter");
    assert_eq!(filter["x-kubernetes-list-type"], "set");
    assert_eq!(
        filter["items"]["enum"],
        json!([
            "admin", "slow", "query", "insert", "update", "delete", "command"
        ])
    );

    let backup = schema_of::<Backup>();
    assert_eq!(
        at(&backup, "spec.forProvider.method")["enum"],
        json!(["Logical", "Physical"])
    );

    for (kind, schema) in [
        ("SecurityIpList", ips),
        ("AuditLogFilter", audit),
        ("Backup", backup),
    ] {
        let one_of = &at(&schema, "spec.forProvider")["oneOf"];
        assert_eq!(
            one_of,
            &json!([{"required": ["dbInstanceRef"]}, {"required": ["dbInstanceId"]}]),
            "{kind}: exactly one instance target"
        );
    }
}

#[test]
fn provider_config_is_cluster_scoped_and_needs_credentials() {
    let crd = ProviderConfig::crd();
    assert_eq!(crd.spec.scope, "Cluster");
    let schema = schema_of::<ProviderConfig>();
    assert_eq!(at(&schema, "spec")["required"], json!(["credentials"]));
}

/// JSON equality that treats `10` and `10.0` alike (schemars writes ranges as floats).
fn same_value(have: &Value, want: &Value) -> bool {
    match (have, want) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_value(x, y))
        }
        _ => have == want,
    }
}

/// True when every value in `written` appears, unchanged, at the same place in `parsed`.
fn keeps_everything(parsed: &Value, written: &Value) -> bool {
    match (parsed, written) {
        (Value::Object(p), Value::Object(w)) => w
            .iter()
            .all(|(k, v)| p.get(k).is_some_and(|pv| keeps_everything(pv, v))),
        (Value::Array(p), Value::Array(w)) => {
            p.len() == w.len() && p.iter().zip(w).all(|(pv, wv)| keeps_everything(pv, wv))
        }
        _ => same_value(parsed, written),
    }
}

fn example_documents(file: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("example readable");
    serde_yaml::Deserializer::from_str(&text)
        .map(|doc| {
            serde_yaml::from_value::<Value>(serde_yaml::Value::deserialize(doc).expect("yaml"))
                .expect("json")
        })
        .filter(|doc| {
            doc["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("mongocloud.dev/"))
        })
        .collect()
}

/// Parses the example's custom resource into its Rust type and back, and checks nothing the
/// user wrote was lost (a field the types do not know would be pruned by the API server too).
fn round_trips<K: serde::de::DeserializeOwned + serde::Serialize>(file: &str) -> K {
    let docs = example_documents(file);
    assert_eq!(docs.len(), 1, "{file}: one custom resource");
    let typed: K =
        serde_json::from_value(docs[0].clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
    let back = serde_json::to_value(&typed).expect("serialises");
    assert!(
        keeps_everything(&back["spec"], &docs[0]["spec"]),
        "{file}: spec lost a field: {back}"
    );
    typed
}

#[test]
fn examples_round_trip_through_the_types() {
    let pc: ProviderConfig = round_trips("providerconfig.yaml");
    assert_eq!(pc.spec.credentials.secret_ref.name, "aliyun-credentials");
    let db: DBInstance = round_trips("dbinstance.yaml");
    assert_eq!(db.spec.deletion_policy, DeletionPolicy::Orphan);
    assert_eq!(db.spec.for_provider.replication_factor, Some(3));
    let ips: SecurityIpList = round_trips("securityiplist.yaml");
    assert_eq!(ips.spec.for_provider.entries.len(), 4);
    let audit: AuditLogFilter = round_trips("auditlogfilter.yaml");
    assert!(audit.spec.for_provider.audit_enabled);
    let backup: Backup = round_trips("backup.yaml");
    assert_eq!(backup.spec.deletion_policy, DeletionPolicy::Orphan);
    let user: DatabaseUser = round_trips("databaseuser.yaml");
    assert_eq!(user.spec.deletion_policy, DeletionPolicy::Delete);
    assert_eq!(user.spec.for_provider.username, "root");
    let with_policy: DBInstance = round_trips("dbinstance-backup-policy.yaml");
    let policy = with_policy.spec.for_provider.backup_policy.expect("policy");
    assert_eq!(policy.retention_days, Some(30));
    let restored: DBInstance = round_trips("dbinstance-restored.yaml");
    let source = restored
        .spec
        .for_provider
        .restore_from
        .expect("restoreFrom");
    assert_eq!(
        source.backup_ref.map(|r| r.name).as_deref(),
        Some("orders-before-migration")
    );
}

#[test]
fn atlas_examples_round_trip_through_the_types() {
    let pc: ProviderConfig = round_trips("atlas/providerconfig.yaml");
    assert_eq!(
        pc.spec.project_id.as_deref(),
        Some("6746cea8a3b0f86a2fbdc1f1")
    );
    let db: DBInstance = round_trips("atlas/dbinstance.yaml");
    let atlas = db.spec.for_provider.atlas.expect("atlas block");
    assert_eq!(atlas.cluster_name.as_deref(), Some("orders"));
    let backup: Backup = round_trips("atlas/backup.yaml");
    assert_eq!(backup.spec.provider_config_ref.name, "atlas");
    let with_policy: DBInstance = round_trips("atlas/dbinstance-backup-policy.yaml");
    let policy = with_policy.spec.for_provider.backup_policy.expect("policy");
    assert_eq!(policy.atlas.and_then(|a| a.restore_window_days), Some(3));
    let restored: DBInstance = round_trips("atlas/dbinstance-restored.yaml");
    assert!(restored.spec.for_provider.restore_from.is_some());
    let user: DatabaseUser = round_trips("atlas/databaseuser.yaml");
    assert_eq!(user.spec.for_provider.roles.len(), 2);
    assert_eq!(user.spec.for_provider.scopes[0].type_, "CLUSTER");
}

/// The sharded examples pass every check the operator makes before a cloud call.
#[test]
fn sharded_examples_pass_the_operators_checks() {
    use mongocloud_operator::cloud::Cloud;
    use mongocloud_operator::reconcile::{clouds, dbinstance};
    for (file, cloud) in [
        ("dbinstance-sharded.yaml", Cloud::Aliyun),
        ("atlas/dbinstance-sharded.yaml", Cloud::Atlas),
    ] {
        let db: DBInstance = round_trips(file);
        let sharding = db.spec.for_provider.sharding.as_deref().expect("sharding");
        assert_eq!(sharding.shards.count, 2, "{file}");
        assert_eq!(dbinstance::validate(&db.spec), Ok(()), "{file}");
        assert_eq!(
            clouds::check_dbinstance(&db.spec, "events", cloud),
            Ok(()),
            "{file}"
        );
    }
}

#[test]
fn omitted_deletion_policy_takes_the_kind_default() {
    let ips: SecurityIpList = serde_json::from_value(json!({
        "apiVersion": "mongocloud.dev/v1alpha1", "kind": "SecurityIpList", "metadata": {"name": "x"},
        "spec": {"forProvider": {"dbInstanceId": "dds-abcd1234", "entries": [{"ip": "10.0.0.1"}]}}
    }))
    .expect("parses");
    assert_eq!(ips.spec.deletion_policy, DeletionPolicy::Delete);
    assert_eq!(ips.spec.provider_config_ref.name, "default");
    let db: DBInstance = serde_json::from_value(json!({
        "apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": "x"},
        "spec": {"forProvider": {"regionId": "cn-hangzhou", "engineVersion": "7.0",
                 "instanceClass": "dds.mongo.mid", "storageGB": 20}}
    }))
    .expect("parses");
    assert_eq!(db.spec.deletion_policy, DeletionPolicy::Orphan);
}
