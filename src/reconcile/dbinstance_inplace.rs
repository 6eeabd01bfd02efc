//! What each DBInstance field does when the spec changes it, per cloud: the one table that the
//! planner obeys, that writes the README's "what can change in place, per cloud", and that the
//! table tests walk row by row (so the docs cannot drift from the code). Also the planning of
//! the in-place changes beyond class and storage: node counts, engine upgrades and TDE. Pure.

use super::Invalid;
use crate::api::dbinstance::{DBInstanceParameters, EngineVersion};
use crate::api::dbinstance_changes::{
    AtlasAutoScaling, AutoScalingObservation, ComputeAutoScaling, DiskAutoScaling, SrvAddress,
    TdeMode,
};
use crate::cloud::{AutoScaling, Instance, InstanceChange};

const FP: &str = "spec.forProvider";

/// How a cloud takes a changed value of one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum How {
    /// Any new value is one call (the action named).
    InPlace(&'static str),
    /// Upgraded in place, one major version a call; a downgrade is refused.
    UpgradeOnly(&'static str),
    /// Turned on in place; turning it off is refused, as the cloud cannot undo it.
    EnableOnly(&'static str),
    /// Nodes (or shards) added in place, one a call (the action named); a decrease is refused.
    GrowOnly(&'static str),
    /// Set at creation; a change is refused (never "fixed" by replacing the instance).
    CreateOnly,
    /// The field does not apply to this cloud: refused by name before any cloud call.
    NotApplicable,
}

impl How {
    /// The same rule without the cloud's action name: what the cloud-neutral planner follows.
    fn kind(self) -> u8 {
        match self {
            How::InPlace(_) => 0,
            How::UpgradeOnly(_) => 1,
            How::EnableOnly(_) => 2,
            How::CreateOnly => 3,
            How::NotApplicable => 4,
            How::GrowOnly(_) => 5,
        }
    }

    fn describe(self) -> String {
        match self {
            How::InPlace(action) => format!("in place ({action})"),
            How::UpgradeOnly(action) => {
                format!("upgrade in place, one major version a call ({action}); downgrade refused")
            }
            How::EnableOnly(action) => {
                format!("turn on in place ({action}); turning off refused")
            }
            How::GrowOnly(action) => {
                format!("grow in place, one a call ({action}); a decrease is refused")
            }
            How::CreateOnly => "set at creation; a change is refused".to_owned(),
            How::NotApplicable => "does not apply (refused by name)".to_owned(),
        }
    }
}

/// One spec field (under `spec.forProvider`) and how each cloud changes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldRule {
    pub field: &'static str,
    pub aliyun: How,
    pub atlas: How,
}

const fn rule(field: &'static str, aliyun: How, atlas: How) -> FieldRule {
    FieldRule {
        field,
        aliyun,
        atlas,
    }
}

/// Every field of `spec.forProvider` a spec change can touch on an existing instance.
pub const FIELDS: &[FieldRule] = &[
    rule("regionId", How::CreateOnly, How::CreateOnly),
    rule("zoneId", How::CreateOnly, How::NotApplicable),
    rule(
        "engineVersion",
        How::UpgradeOnly("UpgradeDBInstanceEngineVersion"),
        How::UpgradeOnly("updateCluster mongoDBMajorVersion"),
    ),
    rule(
        "instanceClass",
        How::InPlace("ModifyDBInstanceSpec"),
        How::InPlace(
            "updateCluster instanceSize; left as Atlas scaled it while compute autoscaling is on",
        ),
    ),
    rule(
        "storageGB",
        How::InPlace("ModifyDBInstanceSpec"),
        How::InPlace(
            "updateCluster diskSizeGB; left as Atlas scaled it while disk autoscaling is on",
        ),
    ),
    rule(
        "atlas.autoScaling",
        How::NotApplicable,
        How::InPlace("updateCluster autoScaling, every region"),
    ),
    rule(
        "replicationFactor",
        How::InPlace("ModifyDBInstanceSpec ReplicationFactor"),
        How::InPlace("updateCluster electableSpecs.nodeCount"),
    ),
    rule(
        "readonlyReplicas",
        How::InPlace("ModifyDBInstanceSpec ReadonlyReplicas"),
        How::InPlace("updateCluster readOnlySpecs.nodeCount"),
    ),
    rule(
        "tde",
        How::EnableOnly("ModifyDBInstanceTDE"),
        How::NotApplicable,
    ),
    rule(
        "parameters",
        How::InPlace("ModifyParameters; a restart only by spec.operations.restart"),
        How::NotApplicable,
    ),
    rule(
        "publicAddress",
        How::InPlace("AllocatePublicNetworkAddress / ReleasePublicNetworkAddress"),
        How::NotApplicable,
    ),
    rule(
        "srvAddress",
        How::InPlace(
            "AllocateDBInstanceSrvNetworkAddress / ReleaseNodePrivateNetworkAddress; cloud disks only",
        ),
        How::NotApplicable,
    ),
    rule("storageEngine", How::CreateOnly, How::NotApplicable),
    rule(
        "storageType",
        How::InPlace(
            "ModifyDBInstanceDiskType; only to cloud_auto, from an ESSD disk of 40 GB or more",
        ),
        How::NotApplicable,
    ),
    rule("chargeType", How::CreateOnly, How::NotApplicable),
    rule("vpcId", How::CreateOnly, How::NotApplicable),
    rule("vSwitchId", How::CreateOnly, How::NotApplicable),
    rule("resourceGroupId", How::CreateOnly, How::NotApplicable),
    rule(
        "description",
        How::InPlace("ModifyDBInstanceDescription"),
        How::NotApplicable,
    ),
    rule(
        "maintenanceWindow",
        How::InPlace("ModifyDBInstanceMaintainTime"),
        How::NotApplicable,
    ),
    rule(
        "ssl",
        How::InPlace("ModifyDBInstanceSSL"),
        How::NotApplicable,
    ),
    rule(
        "deletionProtection",
        How::InPlace("ModifyDBInstanceAttribute"),
        How::InPlace("updateCluster terminationProtectionEnabled"),
    ),
    rule(
        "tags",
        How::InPlace("TagResources"),
        How::InPlace("updateCluster tags"),
    ),
    rule("sharding", How::CreateOnly, How::CreateOnly),
    rule(
        "sharding.mongos.count",
        How::InPlace("CreateNode / DeleteNode of the newest mongos, one node a call"),
        How::NotApplicable,
    ),
    rule("sharding.mongos.class", How::CreateOnly, How::NotApplicable),
    rule(
        "sharding.shards.count",
        How::GrowOnly("CreateNode NodeType=shard"),
        How::GrowOnly("updateCluster, one more replicationSpec"),
    ),
    rule("sharding.shards.class", How::CreateOnly, How::CreateOnly),
    rule(
        "sharding.shards.storageGB",
        How::CreateOnly,
        How::CreateOnly,
    ),
    rule("sharding.configServer", How::CreateOnly, How::NotApplicable),
];

/// The rule of one field; fields missing from the table are treated as create-only.
pub fn field_rule(field: &str) -> FieldRule {
    FIELDS
        .iter()
        .copied()
        .find(|r| r.field == field)
        .unwrap_or(rule("", How::CreateOnly, How::CreateOnly))
}

/// The rule the planner follows for a field. The planner does not know the cloud: a field that
/// does not apply to one cloud is refused before planning, so the rule of the cloud it applies
/// to decides (a test checks the clouds never disagree on the kind of rule).
fn planner_rule(field: &str) -> How {
    let r = field_rule(field);
    match (r.aliyun, r.atlas) {
        (How::NotApplicable, atlas) => atlas,
        (aliyun, _) => aliyun,
    }
}

/// Whether the planner refuses any change of `field` on an existing instance.
pub fn is_create_only(field: &str) -> bool {
    planner_rule(field) == How::CreateOnly
}

/// Whether the planner refuses a decrease of the count `field` (it only grows).
pub fn is_grow_only(field: &str) -> bool {
    matches!(planner_rule(field), How::GrowOnly(_))
}

/// Whether both clouds follow the same kind of rule wherever the field applies.
pub fn clouds_agree(r: &FieldRule) -> bool {
    match (r.aliyun, r.atlas) {
        (How::NotApplicable, _) | (_, How::NotApplicable) => true,
        (a, b) => a.kind() == b.kind(),
    }
}

/// A change the spec asks for that the cloud refuses: an engine downgrade, TDE turned off.
pub fn refusal(p: &DBInstanceParameters, i: &Instance) -> Option<Invalid> {
    let want = p.engine_version.as_str();
    if let Some(have) = i.engine_version.as_deref()
        && version_key(want) < version_key(have)
    {
        return Some(Invalid::new(
            format!("{FP}.engineVersion"),
            format!(
                "cannot be downgraded from {have} to {want}: the cloud only upgrades (set {have} or later)"
            ),
        ));
    }
    if let Some(invalid) = storage_type_refusal(p, i) {
        return Some(invalid);
    }
    if p.tde == Some(TdeMode::Disabled) && i.tde_enabled == Some(true) {
        return Some(Invalid::new(
            format!("{FP}.tde"),
            "cannot be turned off: TDE is on for this instance and the cloud cannot disable it (set Enabled, or remove the field)",
        ));
    }
    if p.srv_address == Some(SrvAddress::Enabled)
        && let Some(disk) = i
            .storage_type
            .as_deref()
            .filter(|d| !d.starts_with("cloud_"))
    {
        return Some(Invalid::new(
            format!("{FP}.srvAddress"),
            format!(
                "cannot be enabled: the instance runs on {disk} and the cloud offers SRV addresses only on cloud disks (remove the field)"
            ),
        ));
    }
    None
}

/// ESSD AutoPL (`cloud_auto`), the one disk type Dds changes to in place.
const CLOUD_AUTO: &str = "cloud_auto";
/// The smallest disk ModifyDBInstanceDiskType takes (GB).
const CLOUD_AUTO_MIN_GB: i32 = 40;

/// A disk type change the cloud cannot make: to anything but `cloud_auto`, from a disk that
/// is not an ESSD (a local SSD), or on a disk the spec keeps under 40 GB (a spec that also
/// raises the storage to 40 GB or more gets the storage first, then the disk type).
fn storage_type_refusal(p: &DBInstanceParameters, i: &Instance) -> Option<Invalid> {
    let want = storage_type_name(p.storage_type?);
    let have = i.storage_type.as_deref()?;
    if want.eq_ignore_ascii_case(have) {
        return None;
    }
    let field = format!("{FP}.storageType");
    let why = if want != CLOUD_AUTO {
        format!(
            "cannot change from {have} to {want}: the cloud changes a disk type only to cloud_auto (revert it to {have}, or set cloud_auto)"
        )
    } else if !have.starts_with("cloud_essd") {
        format!(
            "cannot change from {have} to cloud_auto: only an ESSD disk (cloud_essd1/2/3) becomes cloud_auto in place"
        )
    } else if let Some(gb) = p.storage_gb.or(i.storage_gb)
        && gb < CLOUD_AUTO_MIN_GB
    {
        format!(
            "cannot change to cloud_auto on a {gb} GB disk: the cloud needs {CLOUD_AUTO_MIN_GB} GB or more (raise storageGB to {CLOUD_AUTO_MIN_GB})"
        )
    } else {
        return None;
    };
    Some(Invalid::new(field, why))
}

pub fn storage_type_name(t: crate::api::dbinstance::StorageType) -> &'static str {
    use crate::api::dbinstance::StorageType::*;
    match t {
        CloudEssd1 => "cloud_essd1",
        CloudEssd2 => "cloud_essd2",
        CloudEssd3 => "cloud_essd3",
        CloudAuto => CLOUD_AUTO,
        LocalSsd => "local_ssd",
    }
}

/// To `cloud_auto`, when the spec asks for it and [`storage_type_refusal`] lets it through.
fn storage_type(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let want = storage_type_name(p.storage_type?);
    let have = i.storage_type.as_deref()?;
    let large_enough = i.storage_gb.is_some_and(|gb| gb >= CLOUD_AUTO_MIN_GB);
    (want == CLOUD_AUTO && !have.eq_ignore_ascii_case(CLOUD_AUTO) && large_enough)
        .then(|| InstanceChange::StorageType(CLOUD_AUTO.to_owned()))
}

/// The next in-place change of node counts, engine version, parameters, public or SRV address,
/// disk type or TDE; `None` when they match.
pub fn change(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    nodes(p, i)
        .or_else(|| engine_upgrade(p, i))
        .or_else(|| storage_type(p, i))
        .or_else(|| parameters(p, i))
        .or_else(|| public_address(p, i))
        .or_else(|| srv_address(p, i))
        .or_else(|| {
            (p.tde == Some(TdeMode::Enabled) && i.tde_enabled == Some(false))
                .then_some(InstanceChange::EnableTde)
        })
}

fn nodes(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let differs = |want: Option<i32>, have: Option<i32>| match (want, have) {
        (Some(w), Some(h)) if w != h => Some(w),
        _ => None,
    };
    // A sharded spec has no replica-set node counts (refused beside `sharding`).
    let replication_factor = differs(
        p.replication_factor.or((p.sharding.is_none()).then_some(3)),
        i.replication_factor,
    );
    let readonly_replicas = differs(p.readonly_replicas, i.readonly_replicas);
    (replication_factor.is_some() || readonly_replicas.is_some()).then_some(InstanceChange::Nodes {
        replication_factor,
        readonly_replicas,
    })
}

/// The named parameters whose configured value differs from the spec's, in one call.
fn parameters(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let have = &i.parameters.as_ref()?.config;
    let differ: std::collections::BTreeMap<String, String> = p
        .parameters
        .iter()
        .filter(|(name, value)| have.get(*name) != Some(*value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    (!differ.is_empty()).then_some(InstanceChange::Parameters(differ))
}

/// Opens or releases the public address. Only on a read that carries the private addresses
/// (an attribute read): a listing has no addresses at all, and would look like none is open.
fn public_address(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let want = p.public_address? == crate::api::dbinstance_changes::PublicAddress::Enabled;
    let have = !i.public_endpoints.is_empty();
    (!i.endpoints.is_empty() && want != have).then_some(InstanceChange::PublicAddress(want))
}

/// Allocates or releases the private SRV address, once DescribeAllNetworkAddress said which
/// the instance has (read only when the spec sets the field).
fn srv_address(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let want = p.srv_address? == SrvAddress::Enabled;
    (i.srv_allocated? != want).then_some(InstanceChange::SrvAddress(want))
}

/// The connection Secret keys of the public address: `publicHost`/`publicPort` (the primary's)
/// and `publicConnectionString` (every public host, no credentials); none when it is closed.
pub fn public_connection(i: &Instance) -> Vec<(String, String)> {
    let public = &i.public_endpoints;
    let Some(primary) = public
        .iter()
        .find(|e| e.role.eq_ignore_ascii_case("Primary"))
        .or(public.first())
    else {
        return Vec::new();
    };
    let hosts: Vec<String> = public
        .iter()
        .filter(|e| !e.role.eq_ignore_ascii_case("ReadOnly"))
        .map(|e| format!("{}:{}", e.host, e.port))
        .collect();
    let query = i
        .replica_set_name
        .as_ref()
        .map(|rs| format!("?replicaSet={rs}"))
        .unwrap_or_default();
    vec![
        ("publicHost".to_owned(), primary.host.clone()),
        ("publicPort".to_owned(), primary.port.to_string()),
        (
            "publicConnectionString".to_owned(),
            format!("mongodb://{}/admin{query}", hosts.join(",")),
        ),
    ]
}

/// The autoscaling the spec asks for; `None` leaves the cloud's.
pub fn wanted_scaling(p: &DBInstanceParameters) -> Option<AutoScaling> {
    let a = p.atlas.as_ref()?.auto_scaling.as_ref()?;
    Some(AutoScaling {
        compute_enabled: a.compute.enabled,
        scale_down_enabled: a.compute.scale_down_enabled,
        min_instance_size: a.compute.min_instance_size.clone(),
        max_instance_size: a.compute.max_instance_size.clone(),
        disk_enabled: a.disk_gb.enabled,
    })
}

/// The spec that asks for `a` (what `import` writes for an autoscaled cluster).
pub fn scaling_spec(a: &AutoScaling) -> AtlasAutoScaling {
    AtlasAutoScaling {
        compute: ComputeAutoScaling {
            enabled: a.compute_enabled,
            scale_down_enabled: a.scale_down_enabled,
            min_instance_size: a.min_instance_size.clone(),
            max_instance_size: a.max_instance_size.clone(),
        },
        disk_gb: DiskAutoScaling {
            enabled: a.disk_enabled,
        },
    }
}

/// Whether compute autoscaling owns the instance size (drift leaves it alone).
pub fn scaling_holds_class(p: &DBInstanceParameters) -> bool {
    wanted_scaling(p).is_some_and(|a| a.compute_enabled)
}

/// Whether disk autoscaling owns the storage size.
pub fn scaling_holds_storage(p: &DBInstanceParameters) -> bool {
    wanted_scaling(p).is_some_and(|a| a.disk_enabled)
}

/// The autoscaling change, planned before any resize: autoscaling switched off first, so the
/// spec's size is put back only once Atlas no longer picks it.
pub fn scaling_change(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let want = wanted_scaling(p)?;
    (i.auto_scaling.as_ref()? != &want).then_some(InstanceChange::AutoScaling(want))
}

/// `status.atProvider.autoScaling`: what Atlas runs, with the size it chose.
pub fn scaling_observation(i: &Instance) -> Option<AutoScalingObservation> {
    let a = i.auto_scaling.as_ref()?;
    Some(AutoScalingObservation {
        compute_enabled: a.compute_enabled,
        disk_gb_enabled: a.disk_enabled,
        instance_class: i.instance_class.clone().filter(|_| a.compute_enabled),
        storage_gb: i.storage_gb.filter(|_| a.disk_enabled),
    })
}

/// `compute M10-M40 (down too), disk on` style, for previews and events.
pub fn describe_scaling(a: &AutoScaling) -> String {
    let max = a.max_instance_size.as_deref().unwrap_or("any size");
    let compute = match (a.compute_enabled, &a.min_instance_size) {
        (false, _) => "compute off".to_owned(),
        (true, Some(min)) if a.scale_down_enabled => format!("compute {min}-{max} (down too)"),
        (true, _) => format!("compute up to {max}"),
    };
    format!(
        "{compute}, disk {}",
        if a.disk_enabled { "on" } else { "off" }
    )
}

/// Autoscaling settings Atlas refuses, checked before any cloud call.
pub fn check_scaling(p: &DBInstanceParameters) -> Result<(), Invalid> {
    let Some(a) = p.atlas.as_ref().and_then(|a| a.auto_scaling.as_ref()) else {
        return Ok(());
    };
    let field = format!("{FP}.atlas.autoScaling.compute");
    if a.compute.enabled && a.compute.max_instance_size.is_none() {
        return Err(Invalid::new(
            format!("{field}.maxInstanceSize"),
            "is required when compute autoscaling is enabled",
        ));
    }
    if a.compute.scale_down_enabled && a.compute.min_instance_size.is_none() {
        return Err(Invalid::new(
            format!("{field}.minInstanceSize"),
            "is required when scaleDownEnabled is true",
        ));
    }
    if a.compute.scale_down_enabled && !a.compute.enabled {
        return Err(Invalid::new(
            format!("{field}.scaleDownEnabled"),
            "needs compute autoscaling enabled",
        ));
    }
    Ok(())
}

/// One major version up from what the cloud runs, toward the spec's: both clouds upgrade one
/// major version at a time.
fn engine_upgrade(p: &DBInstanceParameters, i: &Instance) -> Option<InstanceChange> {
    let have = version_key(i.engine_version.as_deref()?);
    let want = p.engine_version;
    if version_key(want.as_str()) <= have {
        return None;
    }
    let next = ALL_VERSIONS
        .iter()
        .copied()
        .find(|v| version_key(v.as_str()) > have)
        .filter(|v| *v <= want)
        .unwrap_or(want);
    Some(InstanceChange::EngineVersion(next.as_str().to_owned()))
}

const ALL_VERSIONS: [EngineVersion; 6] = [
    EngineVersion::V4_2,
    EngineVersion::V4_4,
    EngineVersion::V5_0,
    EngineVersion::V6_0,
    EngineVersion::V7_0,
    EngineVersion::V8_0,
];

/// `"7.0"` → `(7, 0)`; text the cloud reports that is no version sorts first.
fn version_key(v: &str) -> (u32, u32) {
    let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

const TABLE_START: &str =
    "<!-- in-place-table: generated by `mongocloud-operator docs`; do not edit -->";
const TABLE_END: &str = "<!-- /in-place-table -->";

/// The README table "what can change in place, per cloud", from [`FIELDS`].
pub fn readme_table() -> String {
    let mut out =
        String::from("| `spec.forProvider` field | Aliyun (Dds) | Atlas |\n|---|---|---|\n");
    for r in FIELDS {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.field,
            r.aliyun.describe(),
            r.atlas.describe()
        ));
    }
    out
}

/// `readme` with the generated table between its markers replaced by the current one; `None`
/// when the markers are missing.
pub fn splice_readme(readme: &str) -> Option<String> {
    let start = readme.find(TABLE_START)? + TABLE_START.len();
    let end = start + readme[start..].find(TABLE_END)?;
    Some(format!(
        "{}\n{}{}",
        &readme[..start],
        readme_table(),
        &readme[end..]
    ))
}

#[cfg(test)]
#[path = "dbinstance_inplace_tests.rs"]
mod tests;
