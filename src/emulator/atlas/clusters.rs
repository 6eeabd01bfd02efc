//! Clusters (`/groups/{groupId}/clusters[/{name}]`): create, read, list, update, delete, with
//! the recorded life cycle CREATING → IDLE → (UPDATING → IDLE) → DELETING → 404.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::snapshots::Snapshot;
use super::{Answer, AtlasError, Ctx, Project, iso, new_id, page, tag};

/// Major versions a cluster can run, oldest first; upgrades go one step at a time.
const MAJORS: [(&str, &str); 3] = [("6.0", "6.0.26"), ("7.0", "7.0.25"), ("8.0", "8.0.16")];
const DEFAULT_MAJOR: &str = "8.0";
const CLUSTER_TYPES: [&str; 3] = ["REPLICASET", "SHARDED", "GEOSHARDED"];
const PROVIDERS: [&str; 4] = ["AWS", "GCP", "AZURE", "TENANT"];
const INSTANCE_SIZES: [&str; 26] = [
    "M0",
    "M10",
    "M20",
    "M30",
    "M40",
    "M50",
    "M60",
    "M80",
    "M100",
    "M140",
    "M200",
    "M300",
    "R40",
    "R50",
    "R60",
    "R80",
    "R200",
    "R300",
    "R400",
    "R700",
    "M40_NVME",
    "M50_NVME",
    "M60_NVME",
    "M80_NVME",
    "M200_NVME",
    "M400_NVME",
];
/// Request fields that are stored or validated.
const WRITABLE: [&str; 8] = [
    "name",
    "clusterType",
    "replicationSpecs",
    "mongoDBMajorVersion",
    "backupEnabled",
    "paused",
    "terminationProtectionEnabled",
    "tags",
];
/// Request fields accepted and ignored: read-only ones clients echo back, and settings this
/// emulator does not model.
const IGNORED: [&str; 21] = [
    "id",
    "groupId",
    "stateName",
    "createDate",
    "connectionStrings",
    "mongoDBVersion",
    "links",
    "featureCompatibilityVersion",
    "labels",
    "pitEnabled",
    "versionReleaseSystem",
    "encryptionAtRestProvider",
    "rootCertType",
    "biConnector",
    "diskWarmingMode",
    "globalClusterSelfManagedSharding",
    "redactClientLogData",
    "replicaSetScalingStrategy",
    "configServerManagementMode",
    "advancedConfiguration",
    "acceptDataRisksAndForceReplicaSetReconfig",
];

/// A cluster as stored.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Cluster {
    pub id: String,
    pub name: String,
    pub cluster_type: String,
    /// Normalised 2024-08-05 `replicationSpecs` (ids and defaults filled in).
    pub replication_specs: Vec<Value>,
    pub mongo_db_major_version: String,
    pub backup_enabled: bool,
    pub paused: bool,
    pub termination_protection_enabled: bool,
    pub tags: Vec<Value>,
    pub create_date: String,
    pub state_name: String,
    /// When the current transition ends (ms); `None` when settled or forced by the admin API.
    pub until_ms: Option<u64>,
    /// Whether the hosts exist yet (connection strings are empty until the first IDLE).
    pub ready: bool,
    pub host_tag: String,
    pub replica_tag: String,
    pub snapshots: BTreeMap<String, Snapshot>,
    pub schedule: super::backup_schedule::Schedule,
    /// Restore jobs run from this cluster's backups, by id.
    pub restore_jobs: BTreeMap<String, super::backup_schedule::RestoreJob>,
    /// Set on a restore target: the source cluster and snapshot (or time) of its data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restored_from: Option<Value>,
}

impl Cluster {
    fn version(&self) -> &'static str {
        MAJORS
            .iter()
            .find(|(major, _)| *major == self.mongo_db_major_version)
            .map_or("8.0.16", |(_, full)| full)
    }

    /// `replicaSetName` of its (first) shard.
    pub fn replica_set(&self) -> String {
        format!("atlas-{}-shard-0", self.replica_tag)
    }

    /// Sets one field of every hardware spec (the admin API's out-of-band edits).
    pub fn set_hardware(&mut self, field: &str, value: &Value) {
        for spec in &mut self.replication_specs {
            for region in spec["regionConfigs"].as_array_mut().into_iter().flatten() {
                for kind in ["electableSpecs", "readOnlySpecs", "analyticsSpecs"] {
                    if let Some(hardware) = region.get_mut(kind).and_then(Value::as_object_mut) {
                        hardware.insert(field.to_owned(), value.clone());
                    }
                }
            }
        }
    }

    fn connection_strings(&self) -> Value {
        if !self.ready {
            return json!({});
        }
        let host: String = self.name.to_ascii_lowercase().chars().take(23).collect();
        let domain = format!("{}.mongodb.net", self.host_tag);
        // A sharded cluster's string names its mongos (port 27016, on the first shard's
        // nodes) and no replica set.
        let (port, query) = match self.cluster_type.as_str() {
            "REPLICASET" => (27017, format!("&replicaSet={}", self.replica_set())),
            _ => (27016, String::new()),
        };
        let hosts: Vec<String> = (0..3)
            .map(|n| format!("{host}-shard-00-0{n}.{domain}:{port}"))
            .collect();
        json!({
            "standard": format!(
                "mongodb://{}/?ssl=true&authSource=admin{query}",
                hosts.join(","),
            ),
            "standardSrv": format!("mongodb+srv://{host}.{domain}"),
        })
    }

    /// The cluster as the served version shows it.
    pub fn render(&self, ctx: &Ctx<'_>) -> Value {
        let mut specs = self.replication_specs.clone();
        let old_shape = ctx.version < "2024-08-05";
        if old_shape {
            for spec in &mut specs {
                spec["numShards"] = json!(1);
            }
        }
        let mut body = json!({
            "backupEnabled": self.backup_enabled,
            "clusterType": self.cluster_type,
            "connectionStrings": self.connection_strings(),
            "createDate": self.create_date,
            "encryptionAtRestProvider": "NONE",
            "featureCompatibilityVersion": self.mongo_db_major_version,
            "groupId": ctx.group,
            "id": self.id,
            "links": ctx.link(&format!("/groups/{}/clusters/{}", ctx.group, self.name)),
            "mongoDBMajorVersion": self.mongo_db_major_version,
            "mongoDBVersion": self.version(),
            "name": self.name,
            "paused": self.paused,
            "pitEnabled": false,
            "replicationSpecs": specs,
            "rootCertType": "ISRGROOTX1",
            "stateName": self.state_name,
            "tags": self.tags,
            "terminationProtectionEnabled": self.termination_protection_enabled,
            "versionReleaseSystem": "LTS",
        });
        if old_shape {
            body["diskSizeGB"] =
                self.replication_specs[0]["regionConfigs"][0]["electableSpecs"]["diskSizeGB"]
                    .clone();
        }
        body
    }
}

/// Finishes the transitions due by `now`: CREATING/UPDATING → IDLE, DELETING → gone.
pub fn settle(project: &mut Project, now: u64) {
    project.clusters.retain(|_, cluster| {
        match cluster.until_ms {
            Some(until) if until <= now => {
                if cluster.state_name == "DELETING" {
                    return false;
                }
                cluster.state_name = "IDLE".to_owned();
                cluster.ready = true;
                cluster.until_ms = None;
            }
            _ => {}
        }
        true
    });
}

pub fn not_found(ctx: &Ctx<'_>, name: &str) -> AtlasError {
    AtlasError::new(
        404,
        "CLUSTER_NOT_FOUND",
        format!("No cluster named {name} exists in group {}.", ctx.group),
    )
    .param(name)
    .param(ctx.group)
}

pub fn list(project: &mut Project, ctx: &Ctx<'_>) -> Answer {
    let items = project.clusters.values().map(|c| c.render(ctx)).collect();
    let path = format!("/groups/{}/clusters", ctx.group);
    Ok((StatusCode::OK, Some(page::paginate(ctx, &path, items)?)))
}

pub fn get(project: &mut Project, ctx: &Ctx<'_>, name: &str) -> Answer {
    let cluster = project
        .clusters
        .get(name)
        .ok_or_else(|| not_found(ctx, name))?;
    Ok((StatusCode::OK, Some(cluster.render(ctx))))
}

/// The request object, refusing fields Atlas does not know.
fn fields(body: &Value) -> Result<Map<String, Value>, AtlasError> {
    let fields = match body {
        Value::Null => Map::new(),
        Value::Object(fields) => fields.clone(),
        _ => return Err(AtlasError::invalid("body")),
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !WRITABLE.contains(&k.as_str()) && !IGNORED.contains(&k.as_str()))
    {
        return Err(AtlasError::invalid(unknown));
    }
    Ok(fields)
}

fn boolean(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, AtlasError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(AtlasError::invalid(name)),
    }
}

fn one_of(
    fields: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
) -> Result<Option<String>, AtlasError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(_) => Err(AtlasError::invalid(name)),
    }
}

fn tags(fields: &Map<String, Value>) -> Result<Option<Vec<Value>>, AtlasError> {
    let Some(value) = fields.get("tags").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let list = value
        .as_array()
        .ok_or_else(|| AtlasError::invalid("tags"))?;
    list.iter()
        .map(|tag| {
            let text = |key: &str| tag.get(key).and_then(Value::as_str);
            match (text("key"), text("value")) {
                (Some(key), Some(value))
                    if !key.is_empty() && key.len() <= 255 && value.len() <= 255 =>
                {
                    Ok(json!({"key": key, "value": value}))
                }
                _ => Err(AtlasError::invalid("tags")),
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn default_disk(size: &str) -> f64 {
    match size {
        "M0" => 0.5,
        "M10" => 10.0,
        "M20" => 20.0,
        "M30" => 40.0,
        "M40" | "R40" => 80.0,
        "M50" | "R50" => 160.0,
        _ => 320.0,
    }
}

/// One hardware spec (`electableSpecs`, ...), normalised.
fn hardware(
    value: Option<&Value>,
    name: &str,
    default_size: Option<&str>,
    default_nodes: i64,
) -> Result<Value, AtlasError> {
    let empty = Map::new();
    let spec = match value {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(spec)) => spec,
        Some(_) => return Err(AtlasError::invalid(name)),
    };
    let attribute = |field: &str| format!("{name}.{field}");
    if let Some(unknown) = spec.keys().find(|k| {
        ![
            "instanceSize",
            "nodeCount",
            "diskSizeGB",
            "diskIOPS",
            "ebsVolumeType",
        ]
        .contains(&k.as_str())
    }) {
        return Err(AtlasError::invalid(&attribute(unknown)));
    }
    let size = match spec.get("instanceSize").and_then(Value::as_str) {
        Some(size @ ("M2" | "M5")) => {
            return Err(AtlasError::new(
                400,
                "CANNOT_USE_FLEX_CLUSTER_IN_CLUSTER_API",
                format!("Instance size {size} is a Flex cluster: use the Flex cluster API."),
            ));
        }
        Some(size) if INSTANCE_SIZES.contains(&size) => size.to_owned(),
        Some(_) => return Err(AtlasError::invalid(&attribute("instanceSize"))),
        None if spec.contains_key("instanceSize") => {
            return Err(AtlasError::invalid(&attribute("instanceSize")));
        }
        None => match default_size {
            Some(size) => size.to_owned(),
            None => return Err(AtlasError::missing(&attribute("instanceSize"))),
        },
    };
    let nodes = match spec.get("nodeCount") {
        None => default_nodes,
        Some(n) => n
            .as_i64()
            .filter(|n| (0..=7).contains(n))
            .ok_or_else(|| AtlasError::invalid(&attribute("nodeCount")))?,
    };
    let disk = match spec.get("diskSizeGB") {
        None => default_disk(&size),
        Some(d) => d
            .as_f64()
            .filter(|d| *d > 0.0 && *d <= 4096.0)
            .ok_or_else(|| AtlasError::invalid(&attribute("diskSizeGB")))?,
    };
    Ok(json!({"instanceSize": size, "nodeCount": nodes, "diskSizeGB": disk}))
}

/// One `regionConfigs` entry, normalised; its electable node count.
fn region(value: &Value) -> Result<(Value, i64), AtlasError> {
    let config = value
        .as_object()
        .ok_or_else(|| AtlasError::invalid("regionConfigs"))?;
    const KNOWN: [&str; 9] = [
        "providerName",
        "regionName",
        "priority",
        "backingProviderName",
        "electableSpecs",
        "readOnlySpecs",
        "analyticsSpecs",
        "autoScaling",
        "analyticsAutoScaling",
    ];
    if let Some(unknown) = config.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(AtlasError::invalid(unknown));
    }
    let provider = one_of(config, "providerName", &PROVIDERS)?
        .ok_or_else(|| AtlasError::missing("providerName"))?;
    let region_name = match config.get("regionName") {
        Some(Value::String(r))
            if !r.is_empty()
                && r.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') =>
        {
            r.clone()
        }
        None => return Err(AtlasError::missing("regionName")),
        Some(_) => return Err(AtlasError::invalid("regionName")),
    };
    let priority = match config.get("priority") {
        None => return Err(AtlasError::missing("priority")),
        Some(p) => p
            .as_i64()
            .filter(|p| (0..=7).contains(p))
            .ok_or_else(|| AtlasError::invalid("priority"))?,
    };
    let electable = hardware(config.get("electableSpecs"), "electableSpecs", None, 3)?;
    let size = electable["instanceSize"]
        .as_str()
        .unwrap_or("M10")
        .to_owned();
    let tenant = provider == "TENANT";
    if tenant != (size == "M0") {
        return Err(AtlasError::invalid_because(
            "electableSpecs.instanceSize",
            "M0 goes with providerName TENANT, and only it",
        ));
    }
    let mut out = json!({
        "providerName": provider,
        "regionName": region_name,
        "priority": priority,
        "electableSpecs": electable,
    });
    if tenant {
        let backing = one_of(config, "backingProviderName", &PROVIDERS[..3])?
            .ok_or_else(|| AtlasError::missing("backingProviderName"))?;
        out["backingProviderName"] = json!(backing);
    } else {
        out["readOnlySpecs"] =
            hardware(config.get("readOnlySpecs"), "readOnlySpecs", Some(&size), 0)?;
        out["analyticsSpecs"] = hardware(
            config.get("analyticsSpecs"),
            "analyticsSpecs",
            Some(&size),
            0,
        )?;
        for scaling in ["autoScaling", "analyticsAutoScaling"] {
            out[scaling] = match config.get(scaling) {
                None | Some(Value::Null) => json!({
                    "compute": {"enabled": false, "scaleDownEnabled": false},
                    "diskGB": {"enabled": false},
                }),
                Some(v @ Value::Object(_)) => v.clone(),
                Some(_) => return Err(AtlasError::invalid(scaling)),
            };
        }
    }
    let nodes = if tenant {
        3
    } else {
        electable["nodeCount"].as_i64().unwrap_or(0)
    };
    Ok((out, nodes))
}

/// `replicationSpecs`, normalised; ids of `old` specs are kept by position.
fn replication_specs(
    value: &Value,
    cluster_type: &str,
    old: &[Value],
) -> Result<Vec<Value>, AtlasError> {
    let specs = value
        .as_array()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AtlasError::invalid("replicationSpecs"))?;
    if cluster_type == "REPLICASET" && specs.len() != 1 {
        return Err(AtlasError::invalid_because(
            "replicationSpecs",
            "a replica set has exactly one replication spec",
        ));
    }
    let mut out = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let spec = spec
            .as_object()
            .ok_or_else(|| AtlasError::invalid("replicationSpecs"))?;
        if let Some(unknown) = spec.keys().find(|k| {
            !["id", "zoneId", "zoneName", "regionConfigs", "numShards"].contains(&k.as_str())
        }) {
            return Err(AtlasError::invalid(unknown));
        }
        let regions = spec
            .get("regionConfigs")
            .ok_or_else(|| AtlasError::missing("regionConfigs"))?
            .as_array()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| AtlasError::invalid("regionConfigs"))?;
        let mut configs = Vec::new();
        let mut electable = 0;
        let mut last_priority = i64::MAX;
        for config in regions {
            let (config, nodes) = region(config)?;
            let priority = config["priority"].as_i64().unwrap_or(0);
            if priority >= last_priority {
                return Err(AtlasError::invalid_because(
                    "priority",
                    "region priorities must be strictly descending",
                ));
            }
            last_priority = priority;
            electable += nodes;
            configs.push(config);
        }
        if ![3, 5, 7].contains(&electable) {
            return Err(AtlasError::invalid_because(
                "electableSpecs.nodeCount",
                "a shard needs 3, 5 or 7 electable nodes",
            ));
        }
        let kept = |key: &str| {
            old.get(i)
                .and_then(|o| o.get(key))
                .cloned()
                .unwrap_or_else(|| json!(new_id()))
        };
        let zone_name = match spec.get("zoneName") {
            None | Some(Value::Null) => "Zone 1".to_owned(),
            Some(Value::String(z)) => z.clone(),
            Some(_) => return Err(AtlasError::invalid("zoneName")),
        };
        out.push(json!({
            "id": kept("id"),
            "zoneId": kept("zoneId"),
            "zoneName": zone_name,
            "regionConfigs": configs,
        }));
    }
    Ok(out)
}

fn major(fields: &Map<String, Value>) -> Result<Option<String>, AtlasError> {
    let majors: Vec<&str> = MAJORS.iter().map(|(m, _)| *m).collect();
    one_of(fields, "mongoDBMajorVersion", &majors)
}

pub fn create(project: &mut Project, ctx: &Ctx<'_>, body: &Value) -> Answer {
    let fields = fields(body)?;
    let name = match fields.get("name") {
        None | Some(Value::Null) => return Err(AtlasError::missing("name")),
        Some(Value::String(name)) if valid_name(name) => name.clone(),
        Some(_) => return Err(AtlasError::invalid("name")),
    };
    let cluster_type = one_of(&fields, "clusterType", &CLUSTER_TYPES)?
        .ok_or_else(|| AtlasError::missing("clusterType"))?;
    let specs = replication_specs(
        fields
            .get("replicationSpecs")
            .ok_or_else(|| AtlasError::missing("replicationSpecs"))?,
        &cluster_type,
        &[],
    )?;
    let major = major(&fields)?.unwrap_or_else(|| DEFAULT_MAJOR.to_owned());
    let backup = boolean(&fields, "backupEnabled")?.unwrap_or(false);
    if boolean(&fields, "paused")? == Some(true) {
        return Err(AtlasError::invalid_because(
            "paused",
            "a cluster cannot be created paused",
        ));
    }
    let protection = boolean(&fields, "terminationProtectionEnabled")?.unwrap_or(false);
    let tags = tags(&fields)?.unwrap_or_default();
    if project.clusters.contains_key(&name) {
        return Err(AtlasError::new(
            400,
            "DUPLICATE_CLUSTER_NAME",
            format!(
                "Cluster {name} cannot be created because a cluster with that name already exists in group {}.",
                ctx.group
            ),
        )
        .param(name)
        .param(ctx.group));
    }
    let cluster = Cluster {
        id: new_id(),
        name: name.clone(),
        cluster_type,
        replication_specs: specs,
        mongo_db_major_version: major,
        backup_enabled: backup,
        paused: false,
        termination_protection_enabled: protection,
        tags,
        create_date: iso(ctx.now),
        state_name: "CREATING".to_owned(),
        until_ms: Some(ctx.now.saturating_add(ctx.transition_ms)),
        ready: false,
        host_tag: tag(5),
        replica_tag: tag(6),
        snapshots: BTreeMap::new(),
        schedule: Default::default(),
        restore_jobs: BTreeMap::new(),
        restored_from: None,
    };
    let body = cluster.render(ctx);
    project.clusters.insert(name, cluster);
    Ok((StatusCode::CREATED, Some(body)))
}

/// `^[a-zA-Z0-9][a-zA-Z0-9-]*$`, at most 64 characters.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

pub fn update(project: &mut Project, ctx: &Ctx<'_>, name: &str, body: &Value) -> Answer {
    let fields = fields(body)?;
    let cluster = project
        .clusters
        .get_mut(name)
        .ok_or_else(|| not_found(ctx, name))?;
    if let Some(new_name) = fields.get("name").filter(|n| !n.is_null())
        && new_name.as_str() != Some(name)
    {
        return Err(AtlasError::invalid_because(
            "name",
            "a cluster cannot be renamed",
        ));
    }
    if matches!(cluster.state_name.as_str(), "CREATING" | "DELETING") {
        return Err(AtlasError::new(
            409,
            "CLUSTER_NOT_IDLE",
            format!(
                "Cluster {name} cannot be updated while it is {}.",
                cluster.state_name
            ),
        )
        .param(name));
    }
    let paused = boolean(&fields, "paused")?;
    let changes = fields
        .iter()
        .filter(|(k, v)| {
            WRITABLE.contains(&k.as_str()) && *k != "name" && *k != "paused" && !v.is_null()
        })
        .count();
    let paused_error =
        |detail: String| AtlasError::new(409, "CANNOT_UPDATE_PAUSED_CLUSTER", detail).param(name);
    if paused == Some(true) && changes > 0 {
        return Err(paused_error(format!(
            "Cannot update and pause cluster {name} at the same time."
        )));
    }
    if cluster.paused && changes > 0 {
        return Err(paused_error(format!(
            "Cannot update cluster {name} while it is paused or being paused."
        )));
    }
    // Validate everything before changing anything.
    let cluster_type = one_of(&fields, "clusterType", &CLUSTER_TYPES)?
        .unwrap_or_else(|| cluster.cluster_type.clone());
    let specs = match fields.get("replicationSpecs").filter(|v| !v.is_null()) {
        Some(value) => Some(replication_specs(
            value,
            &cluster_type,
            &cluster.replication_specs,
        )?),
        None => None,
    };
    let major = major(&fields)?;
    if let Some(major) = &major {
        let position = |m: &str| MAJORS.iter().position(|(v, _)| *v == m);
        let (from, to) = (position(&cluster.mongo_db_major_version), position(major));
        if let (Some(from), Some(to)) = (from, to)
            && (to < from || to > from + 1)
        {
            return Err(AtlasError::invalid_because(
                "mongoDBMajorVersion",
                "upgrade one major version at a time, never downgrade",
            ));
        }
    }
    let backup = boolean(&fields, "backupEnabled")?;
    let protection = boolean(&fields, "terminationProtectionEnabled")?;
    let tags = tags(&fields)?;

    let mut heavy = false;
    if cluster_type != cluster.cluster_type {
        cluster.cluster_type = cluster_type;
        heavy = true;
    }
    if let Some(specs) = specs
        && specs != cluster.replication_specs
    {
        cluster.replication_specs = specs;
        heavy = true;
    }
    if let Some(major) = major
        && major != cluster.mongo_db_major_version
    {
        cluster.mongo_db_major_version = major;
        heavy = true;
    }
    if let Some(backup) = backup
        && backup != cluster.backup_enabled
    {
        cluster.backup_enabled = backup;
        heavy = true;
    }
    if let Some(paused) = paused
        && paused != cluster.paused
    {
        cluster.paused = paused;
        heavy = true;
    }
    if let Some(protection) = protection {
        cluster.termination_protection_enabled = protection;
    }
    if let Some(tags) = tags {
        cluster.tags = tags;
    }
    if heavy {
        cluster.state_name = "UPDATING".to_owned();
        cluster.until_ms = Some(ctx.now.saturating_add(ctx.transition_ms));
    }
    Ok((StatusCode::OK, Some(cluster.render(ctx))))
}

pub fn delete(project: &mut Project, ctx: &Ctx<'_>, name: &str) -> Answer {
    let cluster = project
        .clusters
        .get_mut(name)
        .ok_or_else(|| not_found(ctx, name))?;
    if cluster.termination_protection_enabled {
        return Err(AtlasError::new(
            400,
            "CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED",
            format!(
                "Cannot terminate cluster {name} when termination protection is enabled. Disable termination protection and try again."
            ),
        )
        .param(name));
    }
    if cluster.state_name != "DELETING" {
        cluster.state_name = "DELETING".to_owned();
        cluster.until_ms = Some(ctx.now.saturating_add(ctx.transition_ms));
    }
    Ok((StatusCode::ACCEPTED, Some(json!({}))))
}
