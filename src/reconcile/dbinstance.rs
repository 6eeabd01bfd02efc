//! DBInstance rules: what a spec may say, what to do about the cloud, what to report.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, Timelike};

use super::dbinstance_inplace as inplace;
use super::dbinstance_sharding as sharding;
use super::policy::Verb;
use super::{Invalid, Mode, Timing};
use crate::api::conditions::{self, Condition};
use crate::api::dbinstance::{
    DBInstanceObservation, DBInstanceParameters, DBInstanceSpec, Endpoint, HandledOperations,
    MaintenanceWindow, SslMode,
};
use crate::cloud::{Cloud, Instance, InstanceChange, SslAction, SslState};

pub use crate::cloud::UID_TAG;

/// The only status in which the cloud accepts changes, and in which the instance is usable.
pub const RUNNING: &str = "Running";

const FP: &str = "spec.forProvider";

/// Checks what the schema cannot; an error costs no cloud call.
pub fn validate(spec: &DBInstanceSpec) -> Result<(), Invalid> {
    let p = &spec.for_provider;
    if let Some(window) = &p.maintenance_window {
        check_window(window)?;
    }
    if let Some(description) = &p.description
        && (description.starts_with("http://") || description.starts_with("https://"))
    {
        return Err(Invalid::new(
            format!("{FP}.description"),
            "must not start with http:// or https://",
        ));
    }
    match (p.charge_type, p.period) {
        // The period is a create parameter: an adopted subscription has one already, and the
        // cloud does not report it.
        (crate::api::dbinstance::ChargeType::PrePaid, None) if p.instance_id.is_none() => {
            return Err(Invalid::new(
                format!("{FP}.period"),
                "is required with chargeType PrePaid (months: 1-9, 12, 24, 36) to create an instance",
            ));
        }
        (crate::api::dbinstance::ChargeType::PostPaid, Some(_)) => {
            return Err(Invalid::new(
                format!("{FP}.period"),
                "is only allowed with chargeType PrePaid",
            ));
        }
        (_, Some(months)) if !matches!(months, 1..=9 | 12 | 24 | 36) => {
            return Err(Invalid::new(
                format!("{FP}.period"),
                format!("must be 1-9, 12, 24 or 36 months (is {months})"),
            ));
        }
        _ => {}
    }
    if p.v_switch_id.is_some() != p.vpc_id.is_some() {
        return Err(Invalid::new(
            format!("{FP}.vSwitchId"),
            "and vpcId must be given together",
        ));
    }
    if let Some(gb) = p.storage_gb
        && (gb % 10 != 0 || !(10..=16000).contains(&gb))
    {
        return Err(Invalid::new(
            format!("{FP}.storageGB"),
            format!("must be a multiple of 10 from 10 to 16000 (is {gb})"),
        ));
    }
    if let Some(n) = p.replication_factor
        && !matches!(n, 3 | 5 | 7)
    {
        return Err(Invalid::new(
            format!("{FP}.replicationFactor"),
            format!("must be 3, 5 or 7 (is {n})"),
        ));
    }
    sharding::check_shape(p)?;
    for key in p.tags.keys() {
        if ["aliyun", "acs:", "http://", "https://"]
            .iter()
            .any(|prefix| key.starts_with(prefix))
            || key == UID_TAG
        {
            return Err(Invalid::new(
                format!("{FP}.tags"),
                format!(
                    "key {key:?} is reserved (keys may not start with aliyun, acs:, http:// or https://, nor be {UID_TAG})"
                ),
            ));
        }
    }
    check_operations(spec)
}

fn check_window(window: &MaintenanceWindow) -> Result<(), Invalid> {
    let parse = |field: &str, value: &str| {
        NaiveTime::parse_from_str(value, "%H:%MZ").map_err(|_| {
            Invalid::new(
                format!("{FP}.maintenanceWindow.{field}"),
                format!("must be HH:mmZ (is {value:?})"),
            )
        })
    };
    let start = parse("startTime", &window.start_time)?.num_seconds_from_midnight() / 60;
    let end = parse("endTime", &window.end_time)?.num_seconds_from_midnight() / 60;
    if (i64::from(end) - i64::from(start)).rem_euclid(24 * 60) != 60 {
        return Err(Invalid::new(
            format!("{FP}.maintenanceWindow.endTime"),
            format!(
                "must be one hour after startTime {} (is {})",
                window.start_time, window.end_time
            ),
        ));
    }
    Ok(())
}

fn check_operations(spec: &DBInstanceSpec) -> Result<(), Invalid> {
    let Some(ops) = &spec.operations else {
        return Ok(());
    };
    let stamps = [
        (
            "restart",
            ops.restart.as_ref().map(|r| r.requested_at.as_str()),
        ),
        (
            "upgradeKernel",
            ops.upgrade_kernel.as_ref().map(|r| r.requested_at.as_str()),
        ),
        (
            "rotateSslCertificate",
            ops.rotate_ssl_certificate
                .as_ref()
                .map(|r| r.requested_at.as_str()),
        ),
    ];
    for (name, stamp) in stamps {
        if let Some(stamp) = stamp
            && DateTime::parse_from_rfc3339(stamp).is_err()
        {
            return Err(Invalid::new(
                format!("spec.operations.{name}.requestedAt"),
                format!("must be an RFC 3339 time (is {stamp:?})"),
            ));
        }
    }
    if ops.rotate_ssl_certificate.is_some() && spec.for_provider.ssl == Some(SslMode::Disabled) {
        return Err(Invalid::new(
            "spec.operations.rotateSslCertificate",
            "needs forProvider.ssl Enabled",
        ));
    }
    Ok(())
}

/// What the cloud holds for this resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// No instance is known for this resource.
    Absent,
    /// The recorded or adopted instance no longer exists.
    Gone(String),
    Present {
        instance: Box<Instance>,
        ssl: Option<SslState>,
    },
}

/// Which imperative operation a step runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Restart,
    UpgradeKernel,
    RotateSslCertificate,
}

/// The one thing to do in this reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing to change.
    Steady,
    /// The cloud is busy (a transitional status); look again soon.
    Wait(String),
    /// Create the instance (after looking for one tagged with the UID).
    Create,
    Change(InstanceChange),
    /// Add or overwrite these tags.
    Tag(Vec<(String, String)>),
    Run {
        operation: Operation,
        requested_at: String,
        change: InstanceChange,
    },
    /// Put the backup policy right (Dds ModifyBackupPolicy; Atlas PATCH backup schedule): the
    /// cloud's policy with the spec's fields laid over it.
    BackupPolicy(crate::cloud::BackupPolicySettings),
    /// Atlas: deliver the backup or point in time into the new cluster (a restore job); the
    /// second half of creating it from `restoreFrom`.
    StartRestore(crate::cloud::RestoreSource),
    /// The spec asks for something the cloud cannot do to this instance.
    Reject(Invalid),
    /// The instance disappeared; never recreated silently.
    Missing(String),
}

impl Step {
    pub fn is_write(&self) -> bool {
        self.verb().is_some()
    }

    /// The management policy a write needs; `None` for steps that write nothing.
    pub fn verb(&self) -> Option<Verb> {
        match self {
            Step::Create | Step::StartRestore(_) => Some(Verb::Create),
            Step::Change(_) | Step::Tag(_) | Step::Run { .. } | Step::BackupPolicy(_) => {
                Some(Verb::Update)
            }
            Step::Steady | Step::Wait(_) | Step::Reject(_) | Step::Missing(_) => None,
        }
    }
}

/// Decides the single next step. Writes come only in `Mode::Active` and only while Running, so
/// a transitional instance never gets a second mutation.
pub fn plan(
    p: &DBInstanceParameters,
    spec: &DBInstanceSpec,
    handled: &HandledOperations,
    seen: &Observed,
    mode: Mode,
) -> Step {
    let (instance, ssl) = match seen {
        Observed::Absent if p.instance_id.is_some() => {
            return Step::Missing(p.instance_id.clone().unwrap_or_default());
        }
        Observed::Absent if mode.plans_writes() => return Step::Create,
        Observed::Absent => return Step::Steady,
        Observed::Gone(id) => return Step::Missing(id.clone()),
        Observed::Present { instance, ssl } => (instance, ssl),
    };
    if let Some(invalid) = sharding::refusal(p, instance)
        .or_else(|| immutable_change(p, instance))
        .or_else(|| inplace::refusal(p, instance))
    {
        return Step::Reject(invalid);
    }
    if !mode.plans_writes() {
        return Step::Steady;
    }
    if instance.status != RUNNING {
        return Step::Wait(instance.status.clone());
    }
    inplace::scaling_change(p, instance)
        .map(Step::Change)
        .or_else(|| drift(p, instance, ssl.as_ref()))
        .or_else(|| inplace::change(p, instance).map(Step::Change))
        .or_else(|| sharding::change(p, instance).map(Step::Change))
        .or_else(|| due_operation(spec, handled))
        .unwrap_or(Step::Steady)
}

/// The first field the spec changed that the cloud cannot change in place (the fields
/// [`inplace::FIELDS`] marks create-only).
fn immutable_change(p: &DBInstanceParameters, i: &Instance) -> Option<Invalid> {
    let differs = |want: Option<&str>, have: Option<&str>| matches!((want, have), (Some(w), Some(h)) if !w.eq_ignore_ascii_case(h));
    let checks: [(&str, Option<&str>, Option<&str>); 9] = [
        ("regionId", Some(&p.region_id), Some(&i.region)),
        ("zoneId", p.zone_id.as_deref(), i.zone.as_deref()),
        (
            "engineVersion",
            Some(p.engine_version.as_str()),
            i.engine_version.as_deref(),
        ),
        (
            "storageEngine",
            Some(storage_engine(p)),
            i.storage_engine.as_deref(),
        ),
        (
            "storageType",
            p.storage_type.map(inplace::storage_type_name),
            i.storage_type.as_deref(),
        ),
        ("chargeType", Some(charge_type(p)), i.charge_type.as_deref()),
        ("vpcId", p.vpc_id.as_deref(), i.vpc_id.as_deref()),
        (
            "vSwitchId",
            p.v_switch_id.as_deref(),
            i.vswitch_id.as_deref(),
        ),
        (
            "resourceGroupId",
            p.resource_group_id.as_deref(),
            i.resource_group_id.as_deref().filter(|g| !g.is_empty()),
        ),
    ];
    let numbers = [
        (
            "replicationFactor",
            p.replication_factor,
            i.replication_factor,
        ),
        ("readonlyReplicas", p.readonly_replicas, i.readonly_replicas),
    ];
    checks
        .iter()
        .filter(|(field, _, _)| inplace::is_create_only(field))
        .find(|(_, want, have)| differs(*want, *have))
        .map(|(field, _, have)| (*field, have.unwrap_or_default().to_owned()))
        .or_else(|| {
            numbers
                .iter()
                .filter(|(field, _, _)| inplace::is_create_only(field))
                .find(|(_, want, have)| matches!((want, have), (Some(w), Some(h)) if w != h))
                .map(|(field, _, have)| (*field, have.unwrap_or_default().to_string()))
        })
        .map(|(field, have)| {
            Invalid::new(
                format!("{FP}.{field}"),
                format!("cannot change on an existing instance (is {have}); revert it, or create a new DBInstance"),
            )
        })
}

fn drift(p: &DBInstanceParameters, i: &Instance, ssl: Option<&SslState>) -> Option<Step> {
    // Atlas autoscaling owns the size while it is on: what it chose is never resized back.
    // A sharded spec has neither: its shards carry their own sizes.
    let class = p
        .instance_class
        .clone()
        .filter(|want| i.instance_class.as_ref() != Some(want) && !inplace::scaling_holds_class(p));
    let storage = p
        .storage_gb
        .filter(|want| i.storage_gb != Some(*want) && !inplace::scaling_holds_storage(p));
    if class.is_some() || storage.is_some() {
        return Some(Step::Change(InstanceChange::Spec {
            instance_class: class,
            storage_gb: storage,
        }));
    }
    if let (Some(want), Some(have)) = (p.ssl, ssl) {
        let open = have.status.eq_ignore_ascii_case("Open");
        match want {
            SslMode::Enabled if !open => {
                return Some(Step::Change(InstanceChange::Ssl(SslAction::Open)));
            }
            SslMode::Disabled if open => {
                return Some(Step::Change(InstanceChange::Ssl(SslAction::Close)));
            }
            _ => {}
        }
    }
    if let Some(w) = &p.maintenance_window
        && (i.maintain_start.as_deref() != Some(w.start_time.as_str())
            || i.maintain_end.as_deref() != Some(w.end_time.as_str()))
    {
        return Some(Step::Change(InstanceChange::MaintainTime {
            start: w.start_time.clone(),
            end: w.end_time.clone(),
        }));
    }
    if let Some(description) = &p.description
        && i.description.as_deref() != Some(description.as_str())
    {
        return Some(Step::Change(InstanceChange::Description(
            description.clone(),
        )));
    }
    if let (Some(want), Some(have)) = (p.deletion_protection, i.deletion_protection)
        && want != have
    {
        return Some(Step::Change(InstanceChange::DeletionProtection(want)));
    }
    let missing: Vec<(String, String)> = p
        .tags
        .iter()
        .filter(|(k, v)| i.tags.get(k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    (!missing.is_empty()).then_some(Step::Tag(missing))
}

fn due_operation(spec: &DBInstanceSpec, handled: &HandledOperations) -> Option<Step> {
    let ops = spec.operations.as_ref()?;
    let is_new = |done: &Option<String>, asked: &str| done.as_deref() != Some(asked);
    if let Some(restart) = &ops.restart
        && is_new(&handled.restart, &restart.requested_at)
    {
        return Some(Step::Run {
            operation: Operation::Restart,
            requested_at: restart.requested_at.clone(),
            change: InstanceChange::Restart {
                node_id: restart.node_id.clone(),
            },
        });
    }
    if let Some(upgrade) = &ops.upgrade_kernel
        && is_new(&handled.upgrade_kernel, &upgrade.requested_at)
    {
        return Some(Step::Run {
            operation: Operation::UpgradeKernel,
            requested_at: upgrade.requested_at.clone(),
            change: InstanceChange::UpgradeKernel,
        });
    }
    if let Some(rotate) = &ops.rotate_ssl_certificate
        && is_new(&handled.rotate_ssl_certificate, &rotate.requested_at)
    {
        return Some(Step::Run {
            operation: Operation::RotateSslCertificate,
            requested_at: rotate.requested_at.clone(),
            change: InstanceChange::Ssl(SslAction::Update),
        });
    }
    None
}

/// Records a run operation so it never runs again for the same `requestedAt`.
pub fn mark_handled(handled: &mut HandledOperations, operation: Operation, requested_at: &str) {
    let slot = match operation {
        Operation::Restart => &mut handled.restart,
        Operation::UpgradeKernel => &mut handled.upgrade_kernel,
        Operation::RotateSslCertificate => &mut handled.rotate_ssl_certificate,
    };
    *slot = Some(requested_at.to_owned());
}

fn storage_engine(p: &DBInstanceParameters) -> &'static str {
    match p.storage_engine {
        crate::api::dbinstance::StorageEngine::WiredTiger => "WiredTiger",
        crate::api::dbinstance::StorageEngine::RocksDB => "RocksDB",
    }
}

fn charge_type(p: &DBInstanceParameters) -> &'static str {
    match p.charge_type {
        crate::api::dbinstance::ChargeType::PostPaid => "PostPaid",
        crate::api::dbinstance::ChargeType::PrePaid => "PrePaid",
    }
}

/// The create request for a spec; the password is added by the caller. `name` is the Atlas
/// cluster name (Aliyun instances have none).
pub fn create_request(
    p: &DBInstanceParameters,
    uid: &str,
    name: Option<String>,
) -> crate::cloud::CreateInstance {
    let mut tags = p.tags.clone();
    tags.insert(UID_TAG.to_owned(), uid.to_owned());
    crate::cloud::CreateInstance {
        region: p.region_id.clone(),
        zone: p.zone_id.clone(),
        engine_version: p.engine_version.as_str().to_owned(),
        // A sharded create sends the shards' sizes instead (`sharding`).
        instance_class: p.instance_class.clone().unwrap_or_default(),
        storage_gb: p.storage_gb.unwrap_or_default(),
        storage_engine: Some(storage_engine(p).to_owned()),
        storage_type: p
            .storage_type
            .map(|t| inplace::storage_type_name(t).to_owned()),
        replication_factor: p.replication_factor.unwrap_or(3),
        readonly_replicas: p.readonly_replicas,
        charge_type: charge_type(p).to_owned(),
        period: p.period,
        vpc_id: p.vpc_id.clone(),
        vswitch_id: p.v_switch_id.clone(),
        description: p.description.clone(),
        resource_group_id: p.resource_group_id.clone(),
        password: None,
        tags,
        client_token: client_token(uid),
        name,
        cloud_provider: p
            .atlas
            .as_ref()
            .map(|a| a.provider_name.as_str().to_owned()),
        backup_enabled: p.atlas.as_ref().and_then(|a| a.backup_enabled),
        auto_scaling: inplace::wanted_scaling(p),
        restore: None,
        sharding: sharding::create(p),
    }
}

/// ClientToken from the UID: the same resource always sends the same token (≤ 64 ASCII chars).
pub fn client_token(uid: &str) -> String {
    format!("mongocloud-{}", uid.replace('-', ""))
}

/// `status.atProvider` from what the cloud says.
pub fn observation(i: &Instance, ssl: Option<&SslState>) -> DBInstanceObservation {
    DBInstanceObservation {
        status: i.status.clone(),
        instance_class: i.instance_class.clone(),
        storage_gb: i.storage_gb,
        storage_type: i.storage_type.clone(),
        replication_factor: i.replication_factor,
        readonly_replicas: i.readonly_replicas,
        tde_enabled: i.tde_enabled,
        auto_scaling: inplace::scaling_observation(i),
        parameters_pending_restart: i
            .parameters
            .as_ref()
            .map(|p| p.pending_restart.clone())
            .unwrap_or_default(),
        engine_version: i.engine_version.clone(),
        kernel_version: i.kernel_version.clone(),
        replica_set_name: i.replica_set_name.clone(),
        endpoints: i.endpoints.iter().map(endpoint).collect(),
        public_endpoints: i.public_endpoints.iter().map(endpoint).collect(),
        srv_connection_string: i.connection_string_srv.clone(),
        lock_mode: i.lock_mode.clone(),
        maintenance_window: match (&i.maintain_start, &i.maintain_end) {
            (Some(start), Some(end)) => Some(MaintenanceWindow {
                start_time: start.clone(),
                end_time: end.clone(),
            }),
            _ => None,
        },
        ssl_status: ssl.map(|s| s.status.clone()),
        charge_type: i.charge_type.clone(),
        expire_time: i.expire_time.clone(),
        region_id: Some(i.region.clone()),
        zone_id: i.zone.clone(),
        description: i.description.clone(),
        deletion_protection: i.deletion_protection,
        sharding: sharding::observation(i),
    }
}

fn endpoint(e: &crate::cloud::InstanceEndpoint) -> Endpoint {
    Endpoint {
        role: e.role.clone(),
        host: e.host.clone(),
        port: e.port,
    }
}

/// `Ready`: True only in Running; otherwise the cloud status is the reason.
pub fn ready_condition(seen: &Observed) -> Condition {
    match seen {
        Observed::Absent => Condition::not_ready("Creating", "the instance is not created yet"),
        Observed::Gone(id) => Condition::not_ready(
            "NotFound",
            format!(
                "instance {id} no longer exists in the cloud; it is not recreated automatically"
            ),
        ),
        Observed::Present { instance, .. } if instance.status == RUNNING => Condition::ready(
            conditions::REASON_AVAILABLE,
            format!("instance {} is Running", instance.id),
        ),
        Observed::Present { instance, .. } => Condition::not_ready(
            &reason_word(&instance.status),
            format!("instance {} is {}", instance.id, instance.status),
        ),
    }
}

/// Condition reasons must be a word: the cloud's `NET_CREATING` style statuses become `NetCreating`.
fn reason_word(status: &str) -> String {
    if status.contains('_') {
        status
            .split('_')
            .map(|part| {
                let lower = part.to_ascii_lowercase();
                let mut chars = lower.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            })
            .collect()
    } else if status.is_empty() {
        "Unknown".to_owned()
    } else {
        status.to_owned()
    }
}

/// Keys of the connection Secret. The connection string carries no credentials: they are in
/// `username`/`password` only, so a logged connection string leaks nothing. A string the cloud
/// publishes (Atlas) is used as published.
pub fn connection_details(i: &Instance, password: Option<&str>) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    let primary = i
        .endpoints
        .iter()
        .find(|e| e.role.eq_ignore_ascii_case("Primary"))
        .or(i.endpoints.first());
    if let Some(primary) = primary {
        data.insert("host".to_owned(), primary.host.clone());
        data.insert("port".to_owned(), primary.port.to_string());
    }
    let hosts: Vec<String> = i
        .endpoints
        .iter()
        .filter(|e| !e.role.eq_ignore_ascii_case("ReadOnly"))
        .map(|e| format!("{}:{}", e.host, e.port))
        .collect();
    let rs = i.replica_set_name.clone().unwrap_or_default();
    if !rs.is_empty() {
        data.insert("replicaSetName".to_owned(), rs.clone());
    }
    if let Some(published) = &i.connection_string {
        data.insert("connectionString".to_owned(), published.clone());
    } else if !hosts.is_empty() {
        let query = if rs.is_empty() {
            String::new()
        } else {
            format!("?replicaSet={rs}")
        };
        data.insert(
            "connectionString".to_owned(),
            format!("mongodb://{}/admin{query}", hosts.join(",")),
        );
    }
    if let Some(srv) = &i.connection_string_srv {
        data.insert("connectionStringSrv".to_owned(), srv.clone());
    }
    data.extend(inplace::public_connection(i));
    data.extend(sharding::connection(i));
    if let Some(password) = password {
        data.insert("username".to_owned(), "root".to_owned());
        data.insert("password".to_owned(), password.to_owned());
    }
    data
}

/// Optional spec fields the user left empty, filled from what the cloud reports (the
/// `LateInitialize` management policy), as a merge patch of `spec.forProvider`. Only values the
/// schema accepts are taken, and a field the user set is never touched.
pub fn late_initialize(
    cloud: Cloud,
    p: &DBInstanceParameters,
    i: &Instance,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{Value, json};
    let mut fill = serde_json::Map::new();
    // Every field filled here is Aliyun-only; an Atlas spec would refuse them.
    if cloud == Cloud::Atlas {
        return fill;
    }
    let mut put = |field: &str, unset: bool, value: Option<Value>| {
        if unset && let Some(value) = value {
            fill.insert(field.to_owned(), value);
        }
    };
    let text = |v: &Option<String>| v.as_ref().filter(|v| !v.is_empty()).map(|v| json!(v));
    put("zoneId", p.zone_id.is_none(), text(&i.zone));
    put(
        "storageType",
        p.storage_type.is_none(),
        i.storage_type
            .as_deref()
            .filter(|t| {
                [
                    "cloud_essd1",
                    "cloud_essd2",
                    "cloud_essd3",
                    "cloud_auto",
                    "local_ssd",
                ]
                .contains(t)
            })
            .map(|t| json!(t)),
    );
    // A sharded spec refuses readonlyReplicas: never filled into one.
    put(
        "readonlyReplicas",
        p.readonly_replicas.is_none() && p.sharding.is_none(),
        i.readonly_replicas
            .filter(|n| (0..=5).contains(n))
            .map(|n| json!(n)),
    );
    put("vpcId", p.vpc_id.is_none(), text(&i.vpc_id));
    put("vSwitchId", p.v_switch_id.is_none(), text(&i.vswitch_id));
    put(
        "resourceGroupId",
        p.resource_group_id.is_none(),
        text(&i.resource_group_id),
    );
    put(
        "description",
        p.description.is_none(),
        i.description
            .as_deref()
            .filter(|d| (2..=256).contains(&d.chars().count()))
            .filter(|d| !d.starts_with("http://") && !d.starts_with("https://"))
            .map(|d| json!(d)),
    );
    put(
        "maintenanceWindow",
        p.maintenance_window.is_none(),
        i.maintain_start
            .as_ref()
            .zip(i.maintain_end.as_ref())
            .map(|(start, end)| json!({"startTime": start, "endTime": end}))
            .filter(|w| {
                serde_json::from_value::<MaintenanceWindow>(w.clone())
                    .is_ok_and(|w| check_window(&w).is_ok())
            }),
    );
    fill
}

/// When to look again after a step.
pub fn requeue(step: &Step, timing: &Timing, unit: f64) -> Duration {
    match step {
        Step::Wait(_)
        | Step::Create
        | Step::Change(_)
        | Step::Tag(_)
        | Step::Run { .. }
        | Step::BackupPolicy(_)
        | Step::StartRestore(_) => timing.transitional,
        Step::Missing(_) => timing.drift,
        Step::Steady | Step::Reject(_) => super::jittered(timing.drift, unit),
    }
}

#[cfg(test)]
#[path = "dbinstance_tests.rs"]
mod tests;
