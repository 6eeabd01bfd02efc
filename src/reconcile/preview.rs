//! Plan preview: every cloud call a reconcile would make, in order, with the fields each changes
//! (old → new), named as the cloud names them. Secret values are never rendered.

use crate::api::common::{PlannedAction, PlannedChange};
use crate::api::dbinstance::{DBInstanceSpec, HandledOperations};
use crate::cloud::{
    AuditChange, AuditSettings, Cloud, ClusterNode, CreateInstance, Instance, InstanceChange,
    NodeKind, SecurityIpGroup, SslAction, SslState,
};

use super::Mode;
use super::dbinstance::{self, Observed, RUNNING, Step};

/// Shown instead of a secret value.
pub const SECRET: &str = "(secret)";

/// The most calls one preview lists; a plan longer than this is cut (it converges one call per
/// reconcile anyway, and every later preview shows the rest).
const MAX_STEPS: usize = 16;

fn change(field: &str, from: Option<String>, to: Option<String>) -> PlannedChange {
    PlannedChange {
        field: field.to_owned(),
        from,
        to,
    }
}

fn action(name: &str, changes: Vec<PlannedChange>) -> PlannedAction {
    PlannedAction {
        action: name.to_owned(),
        changes,
    }
}

/// Every write the DBInstance planner would make from here, in order: the planner is asked
/// again after each write with its effect applied to a copy of the instance (as if the cloud had
/// finished it), so the preview lists exactly the calls that reconciles will send one by one.
pub fn dbinstance(
    cloud: Cloud,
    spec: &DBInstanceSpec,
    handled: &HandledOperations,
    instance: &Instance,
    ssl: Option<&SslState>,
) -> Vec<PlannedAction> {
    let mut instance = instance.clone();
    instance.status = RUNNING.to_owned();
    let mut ssl = ssl.cloned();
    let mut handled = handled.clone();
    let mut actions = Vec::new();
    let mut last = None;
    while actions.len() < MAX_STEPS {
        let seen = Observed::Present {
            instance: Box::new(instance.clone()),
            ssl: ssl.clone(),
        };
        let step = dbinstance::plan(&spec.for_provider, spec, &handled, &seen, Mode::Active);
        // A write whose effect the copy cannot show would repeat: list it once.
        if last.as_ref() == Some(&step) {
            break;
        }
        last = Some(step.clone());
        match step {
            Step::Change(c) => {
                actions.push(instance_change(cloud, &c, &instance, ssl.as_ref()));
                apply(&c, &mut instance, &mut ssl);
            }
            Step::Tag(tags) => {
                actions.push(tag(cloud, &tags, &instance));
                for (k, v) in tags {
                    instance.tags.insert(k, v);
                }
            }
            Step::Run {
                operation,
                requested_at,
                change,
            } => {
                let mut planned = instance_change(cloud, &change, &instance, ssl.as_ref());
                planned.changes.push(self::change(
                    "requestedAt",
                    None,
                    Some(requested_at.clone()),
                ));
                actions.push(planned);
                dbinstance::mark_handled(&mut handled, operation, &requested_at);
            }
            Step::Create
            | Step::Steady
            | Step::Wait(_)
            | Step::Reject(_)
            | Step::Missing(_)
            | Step::BackupPolicy(_)
            | Step::StartRestore(_) => {
                break;
            }
        }
    }
    actions
}

/// What the cloud would hold once `c` is done.
fn apply(c: &InstanceChange, instance: &mut Instance, ssl: &mut Option<SslState>) {
    match c {
        InstanceChange::Spec {
            instance_class,
            storage_gb,
        } => {
            if let Some(class) = instance_class {
                instance.instance_class = Some(class.clone());
            }
            if let Some(gb) = storage_gb {
                instance.storage_gb = Some(*gb);
            }
        }
        InstanceChange::Description(d) => instance.description = Some(d.clone()),
        InstanceChange::MaintainTime { start, end } => {
            instance.maintain_start = Some(start.clone());
            instance.maintain_end = Some(end.clone());
        }
        InstanceChange::Ssl(action) => {
            if let Some(ssl) = ssl {
                match action {
                    SslAction::Open => ssl.status = "Open".to_owned(),
                    SslAction::Close => ssl.status = "Closed".to_owned(),
                    SslAction::Update => {}
                }
            }
        }
        InstanceChange::DeletionProtection(on) => instance.deletion_protection = Some(*on),
        InstanceChange::Nodes {
            replication_factor,
            readonly_replicas,
        } => {
            instance.replication_factor = replication_factor.or(instance.replication_factor);
            instance.readonly_replicas = readonly_replicas.or(instance.readonly_replicas);
        }
        InstanceChange::EngineVersion(v) => instance.engine_version = Some(v.clone()),
        InstanceChange::EnableTde => instance.tde_enabled = Some(true),
        InstanceChange::StorageType(disk) => instance.storage_type = Some(disk.clone()),
        InstanceChange::AutoScaling(a) => instance.auto_scaling = Some(a.clone()),
        InstanceChange::PublicAddress(open) => {
            instance.public_endpoints = if *open {
                instance.endpoints.clone()
            } else {
                Vec::new()
            }
        }
        InstanceChange::SrvAddress(open) => instance.srv_allocated = Some(*open),
        InstanceChange::Parameters(values) => {
            if let Some(p) = &mut instance.parameters {
                p.config.extend(values.clone());
            }
        }
        InstanceChange::AddNode {
            kind,
            class,
            storage_gb,
        } => {
            if let Some(t) = &mut instance.topology {
                let nodes = match kind {
                    NodeKind::Mongos => &mut t.mongos,
                    NodeKind::Shard => &mut t.shards,
                };
                nodes.push(ClusterNode {
                    id: String::new(),
                    class: Some(class.clone()),
                    storage_gb: *storage_gb,
                });
            }
        }
        InstanceChange::RemoveNode { node_id } => {
            if let Some(t) = &mut instance.topology {
                t.mongos.retain(|n| &n.id != node_id);
            }
        }
        InstanceChange::Restart { .. } | InstanceChange::UpgradeKernel => {}
    }
}

/// The one call a change is, with the fields it moves.
pub fn instance_change(
    cloud: Cloud,
    c: &InstanceChange,
    instance: &Instance,
    ssl: Option<&SslState>,
) -> PlannedAction {
    let name = match (cloud, c) {
        (Cloud::Atlas, _) => "updateCluster",
        (Cloud::Aliyun, InstanceChange::Spec { .. }) => "ModifyDBInstanceSpec",
        (Cloud::Aliyun, InstanceChange::Description(_)) => "ModifyDBInstanceDescription",
        (Cloud::Aliyun, InstanceChange::MaintainTime { .. }) => "ModifyDBInstanceMaintainTime",
        (Cloud::Aliyun, InstanceChange::Ssl(_)) => "ModifyDBInstanceSSL",
        (Cloud::Aliyun, InstanceChange::Restart { .. }) => "RestartDBInstance",
        (Cloud::Aliyun, InstanceChange::UpgradeKernel) => "UpgradeDBInstanceKernelVersion",
        (Cloud::Aliyun, InstanceChange::DeletionProtection(_)) => "ModifyDBInstanceAttribute",
        (Cloud::Aliyun, InstanceChange::Nodes { .. }) => "ModifyDBInstanceSpec",
        (Cloud::Aliyun, InstanceChange::EngineVersion(_)) => "UpgradeDBInstanceEngineVersion",
        (Cloud::Aliyun, InstanceChange::EnableTde) => "ModifyDBInstanceTDE",
        (Cloud::Aliyun, InstanceChange::StorageType(_)) => "ModifyDBInstanceDiskType",
        (Cloud::Aliyun, InstanceChange::AddNode { .. }) => "CreateNode",
        (Cloud::Aliyun, InstanceChange::RemoveNode { .. }) => "DeleteNode",
        (Cloud::Aliyun, InstanceChange::AutoScaling(_)) => "ModifyDBInstanceSpec",
        (Cloud::Aliyun, InstanceChange::Parameters(_)) => "ModifyParameters",
        (Cloud::Aliyun, InstanceChange::PublicAddress(true)) => "AllocatePublicNetworkAddress",
        (Cloud::Aliyun, InstanceChange::PublicAddress(false)) => "ReleasePublicNetworkAddress",
        (Cloud::Aliyun, InstanceChange::SrvAddress(true)) => "AllocateDBInstanceSrvNetworkAddress",
        (Cloud::Aliyun, InstanceChange::SrvAddress(false)) => "ReleaseNodePrivateNetworkAddress",
    };
    let changes = match c {
        InstanceChange::Spec {
            instance_class,
            storage_gb,
        } => {
            let mut changes = Vec::new();
            if let Some(class) = instance_class {
                changes.push(change(
                    "instanceClass",
                    instance.instance_class.clone(),
                    Some(class.clone()),
                ));
            }
            if let Some(gb) = storage_gb {
                changes.push(change(
                    "storageGB",
                    instance.storage_gb.map(|g| g.to_string()),
                    Some(gb.to_string()),
                ));
            }
            changes
        }
        InstanceChange::Description(d) => vec![change(
            "description",
            instance.description.clone(),
            Some(d.clone()),
        )],
        InstanceChange::MaintainTime { start, end } => vec![change(
            "maintenanceWindow",
            instance
                .maintain_start
                .as_ref()
                .zip(instance.maintain_end.as_ref())
                .map(|(s, e)| format!("{s}-{e}")),
            Some(format!("{start}-{end}")),
        )],
        InstanceChange::Ssl(SslAction::Update) => {
            vec![change("sslCertificate", None, Some("renewed".to_owned()))]
        }
        InstanceChange::Ssl(action) => vec![change(
            "ssl",
            ssl.map(|s| s.status.clone()),
            Some(
                if *action == SslAction::Open {
                    "Open"
                } else {
                    "Closed"
                }
                .to_owned(),
            ),
        )],
        InstanceChange::Restart { node_id } => vec![change(
            "restart",
            None,
            Some(node_id.clone().unwrap_or_else(|| "all nodes".to_owned())),
        )],
        InstanceChange::DeletionProtection(on) => vec![change(
            "deletionProtection",
            instance.deletion_protection.map(|b| b.to_string()),
            Some(on.to_string()),
        )],
        InstanceChange::UpgradeKernel => vec![change(
            "kernelVersion",
            instance.kernel_version.clone(),
            Some("latest minor".to_owned()),
        )],
        InstanceChange::Nodes {
            replication_factor,
            readonly_replicas,
        } => [
            (
                "replicationFactor",
                *replication_factor,
                instance.replication_factor,
            ),
            (
                "readonlyReplicas",
                *readonly_replicas,
                instance.readonly_replicas,
            ),
        ]
        .into_iter()
        .filter_map(|(field, to, from)| {
            Some(change(
                field,
                from.map(|n| n.to_string()),
                Some(to?.to_string()),
            ))
        })
        .collect(),
        InstanceChange::EngineVersion(v) => vec![change(
            "engineVersion",
            instance.engine_version.clone(),
            Some(v.clone()),
        )],
        InstanceChange::StorageType(disk) => vec![change(
            "storageType",
            instance.storage_type.clone(),
            Some(disk.clone()),
        )],
        InstanceChange::EnableTde => vec![change(
            "tde",
            instance
                .tde_enabled
                .map(|on| if on { "Enabled" } else { "Disabled" }.to_owned()),
            Some("Enabled".to_owned()),
        )],
        InstanceChange::PublicAddress(open) => vec![change(
            "publicAddress",
            Some(
                if instance.public_endpoints.is_empty() {
                    "Disabled"
                } else {
                    "Enabled"
                }
                .to_owned(),
            ),
            Some(if *open { "Enabled" } else { "Disabled" }.to_owned()),
        )],
        InstanceChange::SrvAddress(open) => vec![change(
            "srvAddress",
            instance
                .srv_allocated
                .map(|on| if on { "Enabled" } else { "Disabled" }.to_owned()),
            Some(if *open { "Enabled" } else { "Disabled" }.to_owned()),
        )],
        InstanceChange::AddNode { kind, .. } => {
            let (field, have) = match (kind, &instance.topology) {
                (NodeKind::Mongos, t) => {
                    ("sharding.mongos.count", t.as_ref().map(|t| t.mongos.len()))
                }
                (NodeKind::Shard, t) => {
                    ("sharding.shards.count", t.as_ref().map(|t| t.shards.len()))
                }
            };
            vec![change(
                field,
                have.map(|n| n.to_string()),
                have.map(|n| (n + 1).to_string()),
            )]
        }
        InstanceChange::RemoveNode { node_id } => {
            let have = instance.topology.as_ref().map(|t| t.mongos.len());
            vec![
                change(
                    "sharding.mongos.count",
                    have.map(|n| n.to_string()),
                    have.map(|n| n.saturating_sub(1).to_string()),
                ),
                change("sharding.mongos.removed", None, Some(node_id.clone())),
            ]
        }
        InstanceChange::Parameters(values) => values
            .iter()
            .map(|(name, value)| {
                change(
                    &format!("parameters.{name}"),
                    instance
                        .parameters
                        .as_ref()
                        .and_then(|p| p.config.get(name).cloned()),
                    Some(value.clone()),
                )
            })
            .collect(),
        InstanceChange::AutoScaling(a) => vec![change(
            "atlas.autoScaling",
            instance
                .auto_scaling
                .as_ref()
                .map(super::dbinstance_inplace::describe_scaling),
            Some(super::dbinstance_inplace::describe_scaling(a)),
        )],
    };
    action(name, changes)
}

fn tag(cloud: Cloud, tags: &[(String, String)], instance: &Instance) -> PlannedAction {
    let name = match cloud {
        Cloud::Aliyun => "TagResources",
        Cloud::Atlas => "updateCluster",
    };
    let changes = tags
        .iter()
        .map(|(k, v)| {
            change(
                &format!("tags.{k}"),
                instance.tags.get(k).cloned(),
                Some(v.clone()),
            )
        })
        .collect();
    action(name, changes)
}

/// The create call: every value it sends, the password shown as `(secret)`.
pub fn create_instance(cloud: Cloud, request: &CreateInstance) -> PlannedAction {
    let name = match (cloud, &request.sharding) {
        (Cloud::Aliyun, None) => "CreateDBInstance",
        (Cloud::Aliyun, Some(_)) => "CreateShardingDBInstance",
        (Cloud::Atlas, _) => "createCluster",
    };
    let sharded = request.sharding.as_ref();
    let replica_set = |value: String| sharded.is_none().then_some(value);
    let fields: [(&str, Option<String>); 17] = [
        ("clusterName", request.name.clone()),
        ("regionId", Some(request.region.clone())),
        ("zoneId", request.zone.clone()),
        ("engineVersion", Some(request.engine_version.clone())),
        ("instanceClass", replica_set(request.instance_class.clone())),
        ("storageGB", replica_set(request.storage_gb.to_string())),
        ("storageEngine", request.storage_engine.clone()),
        ("storageType", request.storage_type.clone()),
        (
            "replicationFactor",
            replica_set(request.replication_factor.to_string()),
        ),
        (
            "readonlyReplicas",
            request.readonly_replicas.map(|n| n.to_string()),
        ),
        ("chargeType", Some(request.charge_type.clone())),
        ("period", request.period.map(|n| n.to_string())),
        ("vpcId", request.vpc_id.clone()),
        ("vSwitchId", request.vswitch_id.clone()),
        ("description", request.description.clone()),
        ("resourceGroupId", request.resource_group_id.clone()),
        (
            "accountPassword",
            request.password.as_ref().map(|_| SECRET.to_owned()),
        ),
    ];
    let restore = request.restore.as_ref().filter(|_| cloud == Cloud::Aliyun);
    let clone: [(&str, Option<String>); 3] = [
        ("srcDBInstanceId", restore.map(|r| r.source_id.clone())),
        ("backupId", restore.and_then(|r| r.backup_id.clone())),
        ("restoreTime", restore.and_then(|r| r.restore_time.clone())),
    ];
    let nodes: [(&str, Option<String>); 6] = [
        (
            "sharding.mongos.count",
            sharded.and_then(|s| s.mongos.as_ref().map(|m| m.0.to_string())),
        ),
        (
            "sharding.mongos.class",
            sharded.and_then(|s| s.mongos.as_ref().map(|m| m.1.clone())),
        ),
        (
            "sharding.shards.count",
            sharded.map(|s| s.shard_count.to_string()),
        ),
        (
            "sharding.shards.class",
            sharded.map(|s| s.shard_class.clone()),
        ),
        (
            "sharding.shards.storageGB",
            sharded.map(|s| s.shard_storage_gb.to_string()),
        ),
        (
            "sharding.configServer",
            sharded.and_then(|s| {
                s.config_server
                    .as_ref()
                    .map(|(c, gb)| format!("{c} {gb} GB"))
            }),
        ),
    ];
    let mut changes: Vec<PlannedChange> = fields
        .into_iter()
        .chain(nodes)
        .chain(clone)
        .filter_map(|(field, to)| to.map(|to| change(field, None, Some(to))))
        .collect();
    changes.extend(
        request
            .tags
            .iter()
            .map(|(k, v)| change(&format!("tags.{k}"), None, Some(v.clone()))),
    );
    action(name, changes)
}

/// The backup-policy write, each field that moves old → new (names under `backupPolicy`).
pub fn backup_policy(
    cloud: Cloud,
    want: &crate::cloud::BackupPolicySettings,
    have: &crate::cloud::BackupPolicySettings,
) -> PlannedAction {
    let name = match cloud {
        Cloud::Aliyun => "ModifyBackupPolicy",
        Cloud::Atlas => "updateBackupSchedule",
    };
    let changes = super::dbinstance_backup::differences(want, have)
        .into_iter()
        .map(|d| change(&format!("backupPolicy.{}", d.field), d.from, Some(d.to)))
        .collect();
    action(name, changes)
}

/// The Atlas restore job that fills a cluster created from `restoreFrom`.
pub fn restore_job(target: &str, source: &crate::cloud::RestoreSource) -> PlannedAction {
    let mut changes = vec![
        change("targetClusterName", None, Some(target.to_owned())),
        change("sourceCluster", None, Some(source.source_id.clone())),
    ];
    match (&source.backup_id, &source.restore_time) {
        (Some(id), _) => {
            changes.push(change("deliveryType", None, Some("automated".to_owned())));
            changes.push(change("snapshotId", None, Some(id.clone())));
        }
        (None, Some(time)) => {
            changes.push(change("deliveryType", None, Some("pointInTime".to_owned())));
            changes.push(change("pointInTimeUTCSeconds", None, Some(time.clone())));
        }
        (None, None) => {}
    }
    action("createBackupRestoreJob", changes)
}

/// A SecurityIpList's write: the whole group (Dds), or the entries added and removed (Atlas,
/// where each removal is its own call).
pub fn security_ips(
    cloud: Cloud,
    group: &SecurityIpGroup,
    current: Option<&SecurityIpGroup>,
) -> Vec<PlannedAction> {
    let have: Vec<String> = current
        .map(|g| super::securityiplist::normalized(&g.ips))
        .unwrap_or_default();
    let want = super::securityiplist::normalized(&group.ips);
    match cloud {
        Cloud::Aliyun => vec![action(
            "ModifySecurityIps",
            vec![change(
                &format!("group {}", group.name),
                current.map(|_| have.join(",")),
                Some(want.join(",")),
            )],
        )],
        Cloud::Atlas => {
            let added: Vec<&String> = want.iter().filter(|ip| !have.contains(ip)).collect();
            let mut actions = Vec::new();
            if !added.is_empty() {
                actions.push(action(
                    "createAccessListEntries",
                    added
                        .iter()
                        .map(|ip| change("entry", None, Some((*ip).clone())))
                        .collect(),
                ));
            }
            actions.extend(have.iter().filter(|ip| !want.contains(ip)).map(|ip| {
                action(
                    "deleteProjectIpAccessList",
                    vec![change("entry", Some(ip.clone()), None)],
                )
            }));
            actions
        }
    }
}

/// A SecurityIpList whose entries all expired: the group goes.
pub fn delete_security_ip_group(cloud: Cloud, group: &SecurityIpGroup) -> Vec<PlannedAction> {
    match cloud {
        Cloud::Aliyun => vec![action(
            "ModifySecurityIps",
            vec![change(
                &format!("group {}", group.name),
                Some(super::securityiplist::normalized(&group.ips).join(",")),
                None,
            )],
        )],
        Cloud::Atlas => super::securityiplist::normalized(&group.ips)
            .into_iter()
            .map(|ip| {
                action(
                    "deleteProjectIpAccessList",
                    vec![change("entry", Some(ip), None)],
                )
            })
            .collect(),
    }
}

/// Every write the AuditLogFilter planner would make from here (the policy, then the filter),
/// each applied to a copy of the settings before the planner is asked again.
pub fn audit(
    cloud: Cloud,
    want: &super::auditlogfilter::DesiredAudit,
    seen: &AuditSettings,
) -> Vec<PlannedAction> {
    let mut seen = seen.clone();
    let mut actions = Vec::new();
    let mut last = None;
    while actions.len() < MAX_STEPS {
        let super::auditlogfilter::Step::Change(c) =
            super::auditlogfilter::plan(want, &seen, Mode::Active)
        else {
            break;
        };
        if last.as_ref() == Some(&c) {
            break;
        }
        last = Some(c.clone());
        actions.push(audit_change(cloud, &c, &seen));
        match c {
            AuditChange::Policy {
                enabled,
                storage_period_days,
            } => {
                seen.enabled = enabled;
                if storage_period_days.is_some() {
                    seen.storage_period_days = storage_period_days;
                }
            }
            AuditChange::Filter(filter) => seen.filter = filter,
            AuditChange::Raw {
                filter,
                authorization_success,
            } => {
                seen.raw_filter = Some(filter);
                seen.authorization_success = Some(authorization_success);
            }
        }
    }
    actions
}

fn audit_change(cloud: Cloud, c: &AuditChange, seen: &AuditSettings) -> PlannedAction {
    let (aliyun, changes) = match c {
        AuditChange::Policy {
            enabled,
            storage_period_days,
        } => {
            let mut changes = vec![change(
                "enabled",
                Some(seen.enabled.to_string()),
                Some(enabled.to_string()),
            )];
            if let Some(days) = storage_period_days {
                changes.push(change(
                    "storagePeriodDays",
                    seen.storage_period_days.map(|d| d.to_string()),
                    Some(days.to_string()),
                ));
            }
            ("ModifyAuditPolicy", changes)
        }
        AuditChange::Filter(filter) => (
            "ModifyAuditLogFilter",
            vec![change(
                "filter",
                Some(super::auditlogfilter::sorted(&seen.filter).join(",")),
                Some(filter.join(",")),
            )],
        ),
        AuditChange::Raw {
            filter,
            authorization_success,
        } => (
            "ModifyAuditLogFilter",
            vec![
                change(
                    "filterDocument",
                    seen.raw_filter.clone(),
                    Some(filter.clone()),
                ),
                change(
                    "auditAuthorizationSuccess",
                    seen.authorization_success.map(|b| b.to_string()),
                    Some(authorization_success.to_string()),
                ),
            ],
        ),
    };
    let name = match cloud {
        Cloud::Aliyun => aliyun,
        Cloud::Atlas => "updateAuditingConfiguration",
    };
    action(name, changes)
}

/// Every write the DatabaseUser planner would make from here: the user (created, password
/// included) or its settings, then the password. The password itself is never shown.
pub fn database_user(
    cloud: Cloud,
    step: &super::databaseuser::Step,
    want: &crate::cloud::UserSettings,
    seen: Option<&crate::cloud::DbUser>,
    password_applied: bool,
) -> Vec<PlannedAction> {
    use super::databaseuser::Step;
    let roles = |roles: &[crate::cloud::UserRole]| {
        let mut names: Vec<String> = roles
            .iter()
            .map(|r| format!("{}@{}", r.role_name, r.database_name))
            .collect();
        names.sort();
        names.join(",")
    };
    let settings = || -> Vec<PlannedChange> {
        vec![
            change(
                "roles",
                seen.map(|s| roles(&s.roles)),
                Some(roles(&want.roles)),
            ),
            change(
                "description",
                seen.and_then(|s| s.description.clone()),
                want.description.clone(),
            ),
        ]
        .into_iter()
        .filter(|c| c.from != c.to)
        .collect()
    };
    let password = || {
        let name = match cloud {
            Cloud::Aliyun => "ResetAccountPassword",
            Cloud::Atlas => "updateDatabaseUser",
        };
        action(
            name,
            vec![change("password", None, Some(SECRET.to_owned()))],
        )
    };
    let settings_call = match cloud {
        Cloud::Aliyun => "ModifyAccountDescription",
        Cloud::Atlas => "updateDatabaseUser",
    };
    match step {
        Step::Create => {
            let mut changes = settings();
            changes.push(change("password", None, Some(SECRET.to_owned())));
            vec![action("createDatabaseUser", changes)]
        }
        Step::UpdateSettings if password_applied => vec![action(settings_call, settings())],
        Step::UpdateSettings => vec![action(settings_call, settings()), password()],
        Step::SetPassword { .. } => vec![password()],
        Step::Steady | Step::Missing | Step::ConfirmPassword => Vec::new(),
    }
}

/// A Backup's start.
pub fn backup(cloud: Cloud, method: &str) -> PlannedAction {
    let name = match cloud {
        Cloud::Aliyun => "CreateBackup",
        Cloud::Atlas => "takeSnapshot",
    };
    action(
        name,
        vec![change("backupMethod", None, Some(method.to_owned()))],
    )
}

#[cfg(test)]
#[path = "preview_tests.rs"]
mod tests;
