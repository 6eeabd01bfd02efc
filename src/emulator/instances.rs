//! Instance actions: create, list, describe, modify, operate, delete, tags, regions.

use std::collections::{BTreeMap, BTreeSet};

use rand::Rng;
use serde_json::{Value, json};

use super::model::{InstanceRecord, SecurityGroup, State, now_ms};
use super::render::ApiError;
use super::{Call, Params, param, required};

const ENGINE_VERSIONS: [&str; 7] = ["4.0", "4.2", "4.4", "5.0", "6.0", "7.0", "8.0"];
pub const REGIONS: [(&str, &[&str]); 5] = [
    (
        "cn-hangzhou",
        &["cn-hangzhou-g", "cn-hangzhou-h", "cn-hangzhou-i"],
    ),
    ("cn-beijing", &["cn-beijing-f", "cn-beijing-g"]),
    ("cn-shanghai", &["cn-shanghai-b", "cn-shanghai-e"]),
    ("ap-southeast-1", &["ap-southeast-1a", "ap-southeast-1b"]),
    ("eu-central-1", &["eu-central-1a", "eu-central-1b"]),
];

/// The instance an action names, after its pending transitions settled.
pub fn instance<'a>(state: &'a mut State, p: &Params) -> Result<&'a mut InstanceRecord, ApiError> {
    let id = required(p, "DBInstanceId")?;
    state
        .instances
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found(&id))
}

/// Refuses unless the instance is Running.
pub fn running(i: &InstanceRecord) -> Result<(), ApiError> {
    if i.status == "Running" {
        Ok(())
    } else {
        Err(ApiError::denied(&i.status))
    }
}

pub fn int_param(p: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    param(p, name)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| ApiError::invalid(name, "not a number"))
        })
        .transpose()
}

/// `Tag.N.Key`/`Tag.N.Value` pairs in N order.
pub fn tags(p: &Params) -> BTreeMap<String, String> {
    (1..=20)
        .map_while(|n| {
            Some((
                p.get(&format!("Tag.{n}.Key"))?.clone(),
                p.get(&format!("Tag.{n}.Value"))
                    .cloned()
                    .unwrap_or_default(),
            ))
        })
        .collect()
}

pub fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let tail: String = (0..16)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect();
    format!("{prefix}{tail}")
}

pub fn create(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let class = required(p, "DBInstanceClass")?;
    let storage =
        int_param(p, "DBInstanceStorage")?.ok_or_else(|| ApiError::missing("DBInstanceStorage"))?;
    let mut record = match new_record(state, call, p)? {
        Ok(record) => record,
        Err(answer) => return Ok(answer),
    };
    if !class.starts_with("dds.mongo.") {
        return Err(ApiError::new(
            404,
            "InvalidDBInstanceClass.NotFound",
            format!("The specified instance class {class} does not exist."),
        ));
    }
    if !(10..=16000).contains(&storage) || storage % 10 != 0 {
        return Err(ApiError::new(
            400,
            "InvalidCapacity.NotFound",
            format!("Storage {storage} GB is not offered (10-16000, step 10)."),
        ));
    }
    let factor = int_param(p, "ReplicationFactor")?.unwrap_or(3);
    if ![1, 3, 5, 7].contains(&factor) {
        return Err(ApiError::invalid(
            "ReplicationFactor",
            "must be 1, 3, 5 or 7",
        ));
    }
    record.class = class;
    record.storage_gb = storage;
    record.replication_factor = factor;
    record.readonly_replicas = int_param(p, "ReadonlyReplicas")?.unwrap_or(0);
    Ok(insert(state, call, p, record))
}

/// The checks and the record every create shares (region, zone, engine, billing, password);
/// `Err` holds the first answer when the ClientToken was seen before.
pub fn new_record(
    state: &State,
    call: &Call,
    p: &Params,
) -> Result<Result<InstanceRecord, Value>, ApiError> {
    let region = required(p, "RegionId")?;
    let engine = required(p, "EngineVersion")?;
    if let Some(token) = param(p, "ClientToken") {
        let key = format!("{}/{token}", call.access_key);
        if let Some(id) = state.client_tokens.get(&key) {
            return Ok(Err(
                json!({"DBInstanceId": id, "OrderId": format!("order-{id}")}),
            ));
        }
    }
    let Some((_, zones)) = REGIONS.iter().find(|(r, _)| *r == region) else {
        return Err(ApiError::new(
            404,
            "InvalidRegion.NotFound",
            format!("The specified region {region} does not exist."),
        ));
    };
    let zone = param(p, "ZoneId").unwrap_or_else(|| zones[0].to_owned());
    if !zones.contains(&zone.as_str()) {
        return Err(ApiError::new(
            404,
            "InvalidZoneId.NotFound",
            format!("The specified zone {zone} does not exist in {region}."),
        ));
    }
    if !ENGINE_VERSIONS.contains(&engine.as_str()) {
        return Err(ApiError::invalid(
            "EngineVersion",
            format!("{engine} is not offered"),
        ));
    }
    let charge = param(p, "ChargeType").unwrap_or_else(|| "PostPaid".to_owned());
    if charge == "PrePaid" && param(p, "Period").is_none() {
        return Err(ApiError::missing("Period"));
    }
    if !["PostPaid", "PrePaid"].contains(&charge.as_str()) {
        return Err(ApiError::invalid(
            "ChargeType",
            "must be PostPaid or PrePaid",
        ));
    }
    if let Some(password) = param(p, "AccountPassword") {
        super::accounts::check_password(&password)?;
    }
    let restored_from = super::backups::clone_source(state, p, &region)?;
    let id = new_id("dds-");
    let created = now_ms();
    Ok(Ok(InstanceRecord {
        id,
        owner: call.access_key.clone(),
        region,
        zone,
        description: param(p, "DBInstanceDescription").unwrap_or_default(),
        class: String::new(),
        storage_gb: 0,
        kernel_version: format!("mongodb_20250101_{engine}.0"),
        engine_version: engine,
        storage_engine: param(p, "StorageEngine").unwrap_or_else(|| "WiredTiger".to_owned()),
        storage_type: param(p, "StorageType").unwrap_or_else(|| "cloud_essd1".to_owned()),
        replication_factor: 3,
        readonly_replicas: 0,
        charge_type: charge,
        vpc_id: param(p, "VpcId").unwrap_or_default(),
        vswitch_id: param(p, "VSwitchId").unwrap_or_default(),
        resource_group_id: param(p, "ResourceGroupId").unwrap_or_default(),
        maintain_start: "18:00Z".to_owned(),
        maintain_end: "19:00Z".to_owned(),
        replica_set_name: format!("mgset-{}", created % 100_000_000),
        ssl_open: false,
        ssl_expire_ms: 0,
        status: String::new(),
        pending: None,
        created_ms: created,
        tags: tags(p),
        security_groups: BTreeMap::from([(
            "default".to_owned(),
            SecurityGroup {
                attribute: String::new(),
                ips: vec!["127.0.0.1".to_owned()],
            },
        )]),
        audit_enabled: false,
        audit_filter: "admin,slow".to_owned(),
        audit_ttl_days: 30,
        backups: Vec::new(),
        release_protection: false,
        accounts: super::accounts::initial(p.get("AccountPassword").map(String::as_str)),
        tde_enabled: false,
        parameters: BTreeMap::new(),
        running_parameters: BTreeMap::new(),
        public_address: false,
        srv_address: false,
        backup_policy: Default::default(),
        restored_from,
        sharding: None,
    }))
}

/// Stores a new instance in `Creating` and remembers its ClientToken.
pub fn insert(state: &mut State, call: &Call, p: &Params, mut record: InstanceRecord) -> Value {
    let id = record.id.clone();
    record.begin("Creating", Some("Running"), call.transition_ms);
    state.instances.insert(id.clone(), record);
    if let Some(token) = param(p, "ClientToken") {
        state
            .client_tokens
            .insert(format!("{}/{token}", call.access_key), id.clone());
    }
    json!({"DBInstanceId": id, "OrderId": format!("order-{id}")})
}

/// The attribute view of an instance, with the cloud's field names and string quirks.
pub fn attributes(i: &InstanceRecord) -> Value {
    let mut v = listed(i);
    let extra = json!({
        "CurrentKernelVersion": i.kernel_version,
        "StorageEngine": i.storage_engine,
        "ReadonlyReplicas": i.readonly_replicas.to_string(),
        "ReplicaSetName": i.replica_set_name,
        "MaintainStartTime": i.maintain_start,
        "MaintainEndTime": i.maintain_end,
        "VPCId": i.vpc_id,
        "VSwitchId": i.vswitch_id,
        "DBInstanceOrderStatus": if i.status == "Creating" { "order_wait_for_produce" } else { "all_completed" },
        "MaxConnections": 2000,
        "MaxIOPS": 8000,
        "Encrypted": false,
        "DBInstanceReleaseProtection": i.release_protection,
        "ReplicaSets": {"ReplicaSet": [
            {"ReplicaSetRole": "Primary", "ConnectionDomain": format!("{}1.mongodb.rds.aliyuncs.com", i.id), "ConnectionPort": "3717", "NetworkType": "VPC", "VPCId": i.vpc_id, "VSwitchId": i.vswitch_id},
            {"ReplicaSetRole": "Secondary", "ConnectionDomain": format!("{}2.mongodb.rds.aliyuncs.com", i.id), "ConnectionPort": "3717", "NetworkType": "VPC", "VPCId": i.vpc_id, "VSwitchId": i.vswitch_id}
        ]},
    });
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    if i.public_address
        && let Some(sets) = v
            .pointer_mut("/ReplicaSets/ReplicaSet")
            .and_then(Value::as_array_mut)
    {
        let public: Vec<Value> = sets
            .iter()
            .enumerate()
            .map(|(n, set)| {
                json!({"ReplicaSetRole": set["ReplicaSetRole"], "ConnectionDomain": format!("{}{}-pub.mongodb.rds.aliyuncs.com", i.id, n + 1), "ConnectionPort": "3717", "NetworkType": "Public"})
            })
            .collect();
        sets.extend(public);
    }
    super::sharding::add_nodes(i, &mut v);
    v
}

/// AllocatePublicNetworkAddress (NET_CREATING) / ReleasePublicNetworkAddress (NET_DELETING).
pub fn public_address(
    state: &mut State,
    call: &Call,
    p: &Params,
    open: bool,
) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    running(i)?;
    toggle_address(i, call, open, "public", |i| &mut i.public_address)
}

/// Opens or releases one kind of address of a Running instance through NET_CREATING /
/// NET_DELETING; twice the same answers `NetworkType.Exists` / `NetworkType.NotFound`.
fn toggle_address(
    i: &mut InstanceRecord,
    call: &Call,
    open: bool,
    kind: &str,
    flag: impl Fn(&mut InstanceRecord) -> &mut bool,
) -> Result<Value, ApiError> {
    if *flag(i) == open {
        return Err(if open {
            ApiError::new(
                400,
                "NetworkType.Exists",
                format!("The instance already has its {kind} address."),
            )
        } else {
            ApiError::new(
                400,
                "NetworkType.NotFound",
                format!("The instance has no {kind} address."),
            )
        });
    }
    *flag(i) = open;
    let state_word = if open { "NET_CREATING" } else { "NET_DELETING" };
    i.begin(state_word, Some("Running"), call.transition_ms);
    Ok(json!({}))
}

/// AllocateDBInstanceSrvNetworkAddress (`SrvConnectionType` `vpc`, the default) and
/// ReleaseNodePrivateNetworkAddress with `ConnectionType` `SRV`, each walking `NET_CREATING` /
/// `NET_DELETING`. Cloud-disk instances only, as the cloud documents.
pub fn srv_address(
    state: &mut State,
    call: &Call,
    p: &Params,
    open: bool,
) -> Result<Value, ApiError> {
    if open {
        let kind = param(p, "SrvConnectionType").unwrap_or_else(|| "vpc".to_owned());
        if kind != "vpc" {
            return Err(ApiError::invalid(
                "SrvConnectionType",
                "the emulator offers the private (vpc) SRV address only",
            ));
        }
    } else {
        if required(p, "ConnectionType")? != "SRV" {
            return Err(ApiError::invalid(
                "ConnectionType",
                "the emulator releases SRV addresses only",
            ));
        }
        required(p, "NetworkType")?;
    }
    let i = instance(state, p)?;
    running(i)?;
    if !i.storage_type.starts_with("cloud_") {
        return Err(ApiError::new(
            400,
            "OperationDenied.StorageType",
            "SRV addresses are only available to cloud-disk instances.",
        ));
    }
    toggle_address(i, call, open, "SRV", |i| &mut i.srv_address)
}

/// DescribeAllNetworkAddress: the SRV address once allocated (the field Terraform's provider
/// reads), beside the instance's private addresses.
pub fn describe_all_network_address(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    let mut v = json!({"DBInstanceId": i.id});
    if i.srv_address && i.status != "NET_CREATING" {
        v["PrivateSrvConnectionStringUri"] = json!(srv_uri(i));
    }
    Ok(v)
}

/// The SRV address of an instance, in the cloud's form.
pub fn srv_uri(i: &InstanceRecord) -> String {
    format!("mongodb+srv://{}-srv.mongodb.rds.aliyuncs.com", i.id)
}

/// The subset DescribeDBInstances returns.
fn listed(i: &InstanceRecord) -> Value {
    let tags: Vec<Value> = i
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    json!({
        "DBInstanceId": i.id,
        "DBInstanceDescription": i.description,
        "DBInstanceStatus": i.status,
        "DBInstanceType": if i.sharding.is_some() { "sharding" } else { "replicate" },
        "DBInstanceClass": i.class,
        "DBInstanceStorage": i.storage_gb,
        "Engine": "MongoDB",
        "EngineVersion": i.engine_version,
        "ChargeType": i.charge_type,
        "LockMode": "Unlock",
        "NetworkType": if i.vpc_id.is_empty() { "Classic" } else { "VPC" },
        "RegionId": i.region,
        "ZoneId": i.zone,
        "ReplicationFactor": i.replication_factor.to_string(),
        "StorageType": i.storage_type,
        "ResourceGroupId": i.resource_group_id,
        "KindCode": "1",
        "CreationTime": chrono::DateTime::from_timestamp_millis(i.created_ms as i64).map(|t| t.format("%Y-%m-%dT%H:%MZ").to_string()),
        "ExpireTime": if i.charge_type == "PrePaid" { "2099-01-01T00:00Z" } else { "" },
        "Tags": {"Tag": tags},
    })
}

pub fn describe_attribute(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let ids = required(p, "DBInstanceId")?;
    let found: Vec<Value> = ids
        .split(',')
        .filter_map(|id| state.instances.get(id.trim()))
        .map(attributes)
        .collect();
    if found.is_empty() {
        return Err(ApiError::not_found(&ids));
    }
    Ok(json!({"DBInstances": {"DBInstance": found}}))
}

pub fn describe_instances(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let size = int_param(p, "PageSize")?.unwrap_or(30);
    if ![30, 50, 100].contains(&size) {
        return Err(ApiError::invalid("PageSize", "must be 30, 50 or 100"));
    }
    let number = int_param(p, "PageNumber")?.unwrap_or(1).max(1);
    let ids: Option<BTreeSet<String>> =
        param(p, "DBInstanceId").map(|s| s.split(',').map(|x| x.trim().to_owned()).collect());
    let wanted_tags = tags(p);
    let matching: Vec<&InstanceRecord> = state
        .instances
        .values()
        .filter(|i| param(p, "RegionId").is_none_or(|r| i.region == r))
        .filter(|i| ids.as_ref().is_none_or(|ids| ids.contains(&i.id)))
        .filter(|i| param(p, "DBInstanceStatus").is_none_or(|s| i.status == s))
        .filter(|i| {
            param(p, "DBInstanceType").is_none_or(|t| (t == "sharding") == i.sharding.is_some())
        })
        .filter(|i| wanted_tags.iter().all(|(k, v)| i.tags.get(k) == Some(v)))
        .collect();
    let skip = usize::try_from((number - 1) * size).unwrap_or(usize::MAX);
    let page: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(size as usize)
        .map(|i| listed(i))
        .collect();
    Ok(
        json!({"DBInstances": {"DBInstance": page}, "TotalCount": matching.len(), "PageNumber": number, "PageSize": size}),
    )
}

pub fn delete(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    if i.charge_type == "PrePaid" {
        return Err(ApiError::new(
            400,
            "ChargeTypeViolation",
            "The operation is not permitted for a subscription (PrePaid) instance.",
        ));
    }
    if i.release_protection {
        return Err(ApiError::new(
            403,
            "InstanceReleaseProtection",
            "The instance has release protection enabled; disable DBInstanceReleaseProtection before releasing it.",
        ));
    }
    running(i)?;
    i.begin("Deleting", None, call.transition_ms);
    Ok(json!({}))
}

/// ModifyDBInstanceAttribute: only `DBInstanceReleaseProtection` is modelled.
pub fn modify_attribute(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    running(i)?;
    match param(p, "DBInstanceReleaseProtection").as_deref() {
        Some("true") => i.release_protection = true,
        Some("false") => i.release_protection = false,
        Some(other) => {
            return Err(ApiError::new(
                400,
                "InvalidParameter",
                format!("DBInstanceReleaseProtection must be true or false, not {other:?}."),
            ));
        }
        None => {
            return Err(ApiError::new(
                400,
                "MissingParameter",
                "DBInstanceReleaseProtection is mandatory for this action.",
            ));
        }
    }
    Ok(json!({}))
}

/// ModifyDBInstanceSpec: class and storage (DBInstanceClassChanging), or the node counts
/// (NodeCreating when nodes are added, NodeDeleting when only removed). Storage only grows.
pub fn modify_spec(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let class = param(p, "DBInstanceClass");
    let storage = int_param(p, "DBInstanceStorage")?;
    let factor = int_param(p, "ReplicationFactor")?;
    let readonly = int_param(p, "ReadonlyReplicas")?;
    let i = instance(state, p)?;
    super::sharding::replica_set_only(i)?;
    if let Some(class) = &class
        && !class.starts_with("dds.mongo.")
    {
        return Err(ApiError::new(
            404,
            "InvalidDBInstanceClass.NotFound",
            format!("The specified instance class {class} does not exist."),
        ));
    }
    if let Some(gb) = storage
        && (gb < i.storage_gb || gb % 10 != 0 || gb > 16000)
    {
        return Err(ApiError::invalid(
            "DBInstanceStorage",
            "must grow in steps of 10 GB up to 16000",
        ));
    }
    if factor.is_some_and(|n| ![3, 5, 7].contains(&n)) {
        return Err(ApiError::invalid("ReplicationFactor", "must be 3, 5 or 7"));
    }
    if readonly.is_some_and(|n| !(0..=5).contains(&n)) {
        return Err(ApiError::invalid("ReadonlyReplicas", "must be 0 to 5"));
    }
    let before = i.replication_factor + i.readonly_replicas;
    i.class = class.clone().unwrap_or_else(|| i.class.clone());
    i.storage_gb = storage.unwrap_or(i.storage_gb);
    i.replication_factor = factor.unwrap_or(i.replication_factor);
    i.readonly_replicas = readonly.unwrap_or(i.readonly_replicas);
    let after = i.replication_factor + i.readonly_replicas;
    let transitional = match (class.is_some() || storage.is_some(), after.cmp(&before)) {
        (true, _) => "DBInstanceClassChanging",
        (false, std::cmp::Ordering::Less) => "NodeDeleting",
        (false, _) => "NodeCreating",
    };
    i.begin(transitional, Some("Running"), call.transition_ms);
    Ok(json!({"OrderId": format!("order-{}", now_ms())}))
}

/// UpgradeDBInstanceEngineVersion: one major version up at a time, never down.
pub fn upgrade_engine(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let wanted = required(p, "EngineVersion")?;
    let i = instance(state, p)?;
    running(i)?;
    let position = |v: &str| ENGINE_VERSIONS.iter().position(|known| *known == v);
    match (position(&i.engine_version), position(&wanted)) {
        (Some(from), Some(to)) if to == from + 1 => {}
        (Some(from), Some(to)) if to <= from => {
            return Err(ApiError::invalid(
                "EngineVersion",
                format!("{wanted} is not newer than {}", i.engine_version),
            ));
        }
        _ => {
            return Err(ApiError::invalid(
                "EngineVersion",
                format!(
                    "{} can upgrade only to the next major version",
                    i.engine_version
                ),
            ));
        }
    }
    i.kernel_version = format!("mongodb_20260101_{wanted}.0");
    i.engine_version = wanted;
    i.begin(
        "EngineVersionUpgrading",
        Some("Running"),
        call.transition_ms,
    );
    Ok(json!({}))
}

/// ModifyDBInstanceTDE: `enabled` only; TDE cannot be turned off.
pub fn modify_tde(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let wanted = required(p, "TDEStatus")?;
    let i = instance(state, p)?;
    if i.status != "Running" {
        return Err(ApiError::incorrect_state(&i.status));
    }
    if wanted != "enabled" {
        return Err(ApiError::invalid(
            "TDEStatus",
            "must be enabled; TDE cannot be disabled once enabled",
        ));
    }
    i.tde_enabled = true;
    i.begin("TDEModifying", Some("Running"), call.transition_ms);
    Ok(json!({}))
}

/// ModifyDBInstanceDiskType: to `cloud_auto` only, from an ESSD disk of 40 GB or more (the
/// cloud's rules), walking `DBInstanceClassChanging` as a spec change does.
pub fn modify_disk_type(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let wanted = required(p, "DbInstanceStorageType")?;
    let i = instance(state, p)?;
    if i.status != "Running" {
        return Err(ApiError::incorrect_state(&i.status));
    }
    if wanted != "cloud_auto" {
        return Err(ApiError::invalid(
            "DbInstanceStorageType",
            "must be cloud_auto; the disk type can only be changed to ESSD AutoPL",
        ));
    }
    if !i.storage_type.starts_with("cloud_essd") {
        return Err(ApiError::invalid(
            "DbInstanceStorageType",
            "only an ESSD disk can be changed to cloud_auto",
        ));
    }
    if i.storage_gb < 40 {
        return Err(ApiError::invalid(
            "DbInstanceStorageType",
            "not supported for instances with less than 40 GB of disk space",
        ));
    }
    i.storage_type = wanted;
    i.begin(
        "DBInstanceClassChanging",
        Some("Running"),
        call.transition_ms,
    );
    Ok(json!({}))
}

pub fn describe_tde(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    Ok(json!({
        "TDEStatus": if i.tde_enabled { "enabled" } else { "disabled" },
        "EncryptorName": if i.tde_enabled { "aes-256-cbc" } else { "" },
    }))
}

pub fn modify_description(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let description = required(p, "DBInstanceDescription")?;
    let i = instance(state, p)?;
    if i.status == "Deleting" {
        return Err(ApiError::denied(&i.status));
    }
    i.description = description;
    Ok(json!({}))
}

fn check_window(name: &str, value: &str) -> Result<u32, ApiError> {
    chrono::NaiveTime::parse_from_str(value, "%H:%MZ")
        .map(|t| chrono::Timelike::num_seconds_from_midnight(&t) / 60)
        .map_err(|_| {
            ApiError::new(
                400,
                &format!("Invalid{name}.Malformed"),
                format!("{name} must be HH:mmZ"),
            )
        })
}

pub fn modify_maintain_time(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let start = required(p, "MaintainStartTime")?;
    let end = required(p, "MaintainEndTime")?;
    let (s, e) = (
        check_window("MaintainStartTime", &start)?,
        check_window("MaintainEndTime", &end)?,
    );
    if (i64::from(e) - i64::from(s)).rem_euclid(1440) != 60 {
        return Err(ApiError::invalid(
            "MaintainEndTime",
            "the window must last one hour",
        ));
    }
    let i = instance(state, p)?;
    i.maintain_start = start;
    i.maintain_end = end;
    Ok(json!({}))
}

pub fn restart(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    running(i)?;
    i.running_parameters = i.parameters.clone();
    i.begin("Rebooting", Some("Running"), call.transition_ms);
    Ok(json!({}))
}

pub fn upgrade_kernel(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    running(i)?;
    i.kernel_version = format!("mongodb_20260101_{}.9", i.engine_version);
    i.begin("MinorVersionUpgrading", Some("Running"), call.transition_ms);
    Ok(json!({}))
}

pub fn modify_ssl(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let action = required(p, "SSLAction")?;
    let i = instance(state, p)?;
    if i.status != "Running" {
        return Err(ApiError::incorrect_state(&i.status));
    }
    if i.replication_factor < 3 {
        return Err(ApiError::new(
            400,
            "IncorrectDBInstanceType",
            "SSL needs a replica set.",
        ));
    }
    match action.as_str() {
        "Open" => i.ssl_open = true,
        "Close" => i.ssl_open = false,
        "Update" if i.ssl_open => {}
        "Update" => return Err(ApiError::incorrect_state("SSL closed")),
        _ => {
            return Err(ApiError::invalid(
                "SSLAction",
                "must be Open, Close or Update",
            ));
        }
    }
    i.ssl_expire_ms = if i.ssl_open {
        now_ms() + 365 * 86_400_000
    } else {
        0
    };
    i.begin("SSLModifying", Some("Running"), call.transition_ms);
    Ok(json!({}))
}

pub fn describe_ssl(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    let expire = chrono::DateTime::from_timestamp_millis(i.ssl_expire_ms as i64)
        .filter(|_| i.ssl_open)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string());
    Ok(
        json!({"SSLStatus": if i.ssl_open { "Open" } else { "Closed" }, "ForceEncryption": "0",
              "SSLExpiredTime": expire.unwrap_or_default(), "CertCommonName": format!("{}.mongodb.rds.aliyuncs.com", i.id)}),
    )
}

pub fn describe_regions() -> Value {
    let regions: Vec<Value> = REGIONS
        .iter()
        .map(|(id, zones)| {
            let zones: Vec<Value> = zones.iter().map(|z| json!({"ZoneId": z, "ZoneName": z, "VpcEnabled": true})).collect();
            json!({"RegionId": id, "RegionName": id, "EndPoint": format!("mongodb.{id}.aliyuncs.com"), "Zones": {"Zone": zones}})
        })
        .collect();
    json!({"Regions": {"DdsRegion": regions}})
}

fn resource_ids(p: &Params) -> Vec<String> {
    (1..=50)
        .map_while(|n| p.get(&format!("ResourceId.{n}")).cloned())
        .collect()
}

pub fn tag_resources(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    required(p, "RegionId")?;
    let ids = resource_ids(p);
    let new_tags = tags(p);
    if ids.is_empty() {
        return Err(ApiError::missing("ResourceId.1"));
    }
    if new_tags.is_empty() {
        return Err(ApiError::missing("Tag.1.Key"));
    }
    for id in &ids {
        let i = state
            .instances
            .get_mut(id)
            .ok_or_else(|| ApiError::not_found(id))?;
        i.tags.extend(new_tags.clone());
        if i.tags.len() > 20 {
            return Err(ApiError::new(
                400,
                "InvalidTagCount",
                "An instance can have at most 20 tags.",
            ));
        }
    }
    Ok(json!({}))
}

pub fn untag_resources(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let keys: Vec<String> = (1..=20)
        .map_while(|n| p.get(&format!("TagKey.{n}")).cloned())
        .collect();
    let all = param(p, "All").is_some_and(|a| a == "true");
    for id in resource_ids(p) {
        let i = state
            .instances
            .get_mut(&id)
            .ok_or_else(|| ApiError::not_found(&id))?;
        if all {
            i.tags.clear();
        }
        for key in &keys {
            i.tags.remove(key);
        }
    }
    Ok(json!({}))
}

pub fn list_tag_resources(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let ids = resource_ids(p);
    let wanted = tags(p);
    let mut out = Vec::new();
    for i in state
        .instances
        .values()
        .filter(|i| ids.is_empty() || ids.contains(&i.id))
    {
        if !wanted.iter().all(|(k, v)| i.tags.get(k) == Some(v)) {
            continue;
        }
        out.extend(i.tags.iter().map(|(k, v)| json!({"ResourceId": i.id, "ResourceType": "ALIYUN::DDS::INSTANCE", "TagKey": k, "TagValue": v})));
    }
    Ok(json!({"NextToken": "", "TagResources": {"TagResource": out}}))
}
