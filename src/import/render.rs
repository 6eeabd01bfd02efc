//! Manifests from what an import read. Pure: the same account always renders the same objects.
//!
//! Every spec field the planners compare is filled with the cloud's value, so applying the
//! output makes no cloud write (the tests run each rendered spec and the observation it came
//! from through the real planners). Each spec is also put through the operator's own
//! validation: an instance the operator would refuse is reported, not written.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::collect::{Account, Found};
use super::names;
use crate::api::auditlogfilter::{
    AtlasAuditParameters, AuditCategory, AuditLogFilterParameters, AuditLogFilterSpec,
};
use crate::api::common::{
    DeletionPolicy, InstanceTarget, LocalReference, ManagementPolicy, ProviderConfigReference,
};
use crate::api::dbinstance::{
    AtlasCloudProvider, AtlasClusterParameters, ChargeType, DBInstanceParameters, DBInstanceSpec,
    EngineVersion, MaintenanceWindow, SslMode, StorageEngine, StorageType,
};
use crate::api::securityiplist::{
    AtlasAccessListParameters, IpEntry, SecurityIpListParameters, SecurityIpListSpec,
};
use crate::cloud::atlas::{access_list, audit};
use crate::cloud::{AuditSettings, Cloud, Instance, SecurityIpGroup, SslState, UID_TAG};
use crate::reconcile::{Invalid, clouds, dbinstance as rules, securityiplist};

const API_VERSION: &str = "mongocloud.dev/v1alpha1";
/// Records which cloud object a manifest was imported from.
pub const IMPORTED_FROM: &str = "mongocloud.dev/imported-from";
/// Aliyun groups an import leaves alone: the console's own and the cloud's system groups.
const FOREIGN_GROUPS: [&str; 1] = ["default"];
const HIDDEN: &str = "hidden";
/// Most tags a DBInstance may carry.
const MAX_TAGS: usize = 20;

/// Where the manifests go and how they are managed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub namespace: String,
    pub provider_config: String,
    /// `spec.managementPolicies` of every object.
    pub management_policies: Vec<ManagementPolicy>,
}

/// One manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    pub kind: &'static str,
    pub name: String,
    pub body: Value,
}

/// A cloud object not imported, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Skipped {
    /// Instance id, or `instance/group` for a group.
    pub what: String,
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rendered {
    pub objects: Vec<Object>,
    /// Instances that carry the operator's UID tag: some DBInstance already manages them.
    pub managed: Vec<Skipped>,
    /// Other objects left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Fields left out of a manifest, with the reason (the object is imported without them).
    pub notes: Vec<String>,
}

/// The manifests for an account.
pub fn render(account: &Account, settings: &Settings) -> Rendered {
    let mut out = Rendered::default();
    let mut adoptable: Vec<(&Found, DBInstanceParameters)> = Vec::new();
    for found in &account.instances {
        let i = &found.instance;
        if let Some(uid) = i.tags.get(UID_TAG) {
            out.managed.push(Skipped {
                what: i.id.clone(),
                why: format!("managed by the DBInstance with UID {uid}"),
            });
            continue;
        }
        let parameters = parameters(account.cloud, i, found.ssl.as_ref(), &mut out.notes)
            .map(|p| with_backup_policy(account.cloud, i, p, found, &mut out.notes));
        match parameters {
            Ok(p) => adoptable.push((found, p)),
            Err(why) => out.skipped.push(Skipped {
                what: i.id.clone(),
                why,
            }),
        }
    }
    let pairs: Vec<(String, String)> = adoptable
        .iter()
        .map(|(f, _)| (base_name(account.cloud, &f.instance), f.instance.id.clone()))
        .collect();
    let db_names = names::unique(&pairs, &BTreeSet::new());
    let mut ip_lists: Vec<(String, String, SecurityIpListParameters)> = Vec::new();
    for ((found, p), name) in adoptable.iter().zip(&db_names) {
        let spec = DBInstanceSpec {
            provider_config_ref: ProviderConfigReference {
                name: settings.provider_config.clone(),
            },
            deletion_policy: DeletionPolicy::Orphan,
            management_policies: settings.management_policies.clone(),
            for_provider: p.clone(),
            write_connection_secret_to_ref: None,
            operations: None,
        };
        let id = &found.instance.id;
        out.objects
            .push(object("DBInstance", name, id, to_value(&spec), settings));
        if account.cloud == Cloud::Aliyun {
            for group in &found.ip_groups {
                match aliyun_ip_list(name, group) {
                    Ok(Some(p)) => ip_lists.push((name.clone(), format!("{id}/{}", group.name), p)),
                    Ok(None) => {}
                    Err(why) => out.skipped.push(Skipped {
                        what: format!("{id}/{}", group.name),
                        why,
                    }),
                }
            }
            if let Some(seen) = found.audit.as_ref().filter(|a| a.enabled) {
                push_audit(
                    &mut out,
                    settings,
                    name,
                    id,
                    audit_parameters(name, seen, Cloud::Aliyun),
                );
            }
        }
    }
    if account.cloud == Cloud::Atlas {
        atlas_project(account, settings, db_names.first(), &mut ip_lists, &mut out);
    }
    let list_pairs: Vec<(String, String)> = ip_lists
        .iter()
        .map(|(db, key, p)| (ip_list_base(db, p), key.clone()))
        .collect();
    for ((_, key, p), name) in ip_lists
        .iter()
        .zip(names::unique(&list_pairs, &BTreeSet::new()))
    {
        let spec = SecurityIpListSpec {
            provider_config_ref: ProviderConfigReference {
                name: settings.provider_config.clone(),
            },
            // Deleting an imported list must not empty a production allow list.
            deletion_policy: DeletionPolicy::Orphan,
            management_policies: settings.management_policies.clone(),
            for_provider: p.clone(),
        };
        out.objects.push(object(
            "SecurityIpList",
            &name,
            key,
            to_value(&spec),
            settings,
        ));
    }
    out
}

/// Atlas' access list and auditing belong to the project: they are attached to the first
/// imported cluster (by name), as a sub-resource must name one.
fn atlas_project(
    account: &Account,
    settings: &Settings,
    first: Option<&String>,
    ip_lists: &mut Vec<(String, String, SecurityIpListParameters)>,
    out: &mut Rendered,
) {
    let owner = first.cloned();
    for group in &account.access_list {
        let what = format!("access list/{}", group.name);
        let Some(comment) = access_list::verbatim_comment(&group.name) else {
            let why = if group.name == access_list::UNMANAGED {
                "entries without a comment cannot be told apart from other tools' entries; give them a comment in Atlas and import again".to_owned()
            } else {
                format!("owned by the SecurityIpList with UID {}", group.name)
            };
            out.skipped.push(Skipped { what, why });
            continue;
        };
        let Some(owner) = &owner else {
            out.skipped.push(Skipped {
                what,
                why: "no cluster of the project is imported to attach it to".to_owned(),
            });
            continue;
        };
        match ip_parameters(owner, group, None, None) {
            Ok(mut p) => {
                p.atlas = Some(AtlasAccessListParameters {
                    comment: comment.to_owned(),
                });
                ip_lists.push((owner.clone(), what, p));
            }
            Err(why) => out.skipped.push(Skipped { what, why }),
        }
    }
    if let Some(seen) = account.audit.as_ref().filter(|a| a.enabled) {
        match &owner {
            Some(owner) => push_audit(
                out,
                settings,
                owner,
                "project auditing",
                audit_parameters(owner, seen, Cloud::Atlas),
            ),
            None => out.skipped.push(Skipped {
                what: "project auditing".to_owned(),
                why: "no cluster of the project is imported to attach it to".to_owned(),
            }),
        }
    }
}

fn push_audit(
    out: &mut Rendered,
    settings: &Settings,
    db: &str,
    from: &str,
    p: Result<AuditLogFilterParameters, String>,
) {
    match p {
        Ok(p) => {
            let spec = AuditLogFilterSpec {
                provider_config_ref: ProviderConfigReference {
                    name: settings.provider_config.clone(),
                },
                // Deleting an imported filter must not reset the account's auditing.
                deletion_policy: DeletionPolicy::Orphan,
                management_policies: settings.management_policies.clone(),
                for_provider: p,
            };
            let name = names::label(&format!("{db}-audit")).unwrap_or_else(|| "audit".to_owned());
            out.objects.push(object(
                "AuditLogFilter",
                &name,
                from,
                to_value(&spec),
                settings,
            ));
        }
        Err(why) => out.skipped.push(Skipped {
            what: from.to_owned(),
            why,
        }),
    }
}

fn to_value<T: serde::Serialize>(spec: &T) -> Value {
    // The spec types serialise to JSON objects; a failure would be a bug in them.
    serde_json::to_value(spec).unwrap_or(Value::Null)
}

fn object(kind: &'static str, name: &str, from: &str, spec: Value, s: &Settings) -> Object {
    Object {
        kind,
        name: name.to_owned(),
        body: json!({
            "apiVersion": API_VERSION,
            "kind": kind,
            "metadata": {
                "name": name,
                "namespace": s.namespace,
                "annotations": {IMPORTED_FROM: from},
            },
            "spec": spec,
        }),
    }
}

/// The cloud's name for an instance: the description (Aliyun), the cluster name (Atlas), else
/// the id.
fn base_name(cloud: Cloud, i: &Instance) -> String {
    let named = match cloud {
        Cloud::Aliyun => i.description.as_deref().and_then(names::label),
        Cloud::Atlas => names::label(&i.id),
    };
    named
        .or_else(|| names::label(&i.id))
        .unwrap_or_else(|| "instance".to_owned())
}

fn ip_list_base(db: &str, p: &SecurityIpListParameters) -> String {
    let group = p
        .group_name
        .as_deref()
        .or(p.atlas.as_ref().map(|a| a.comment.as_str()))
        .unwrap_or("ips");
    names::label(&format!("{db}-{group}")).unwrap_or_else(|| db.to_owned())
}

/// The DBInstance parameters that describe `i` as it is. Optional fields the operator would
/// refuse as they stand in the cloud are left out and noted; an instance whose required fields
/// it cannot express is not importable (`Err` says why).
pub fn parameters(
    cloud: Cloud,
    i: &Instance,
    ssl: Option<&SslState>,
    notes: &mut Vec<String>,
) -> Result<DBInstanceParameters, String> {
    let engine: EngineVersion = i
        .engine_version
        .as_deref()
        .and_then(|v| serde_json::from_value(json!(v)).ok())
        .ok_or_else(|| {
            format!(
                "engine version {} is not one the operator manages (4.2, 4.4, 5.0, 6.0, 7.0, 8.0)",
                i.engine_version.as_deref().unwrap_or("(none)")
            )
        })?;
    if i.sharded {
        return Err("sharded clusters are not imported yet; write their DBInstance by hand".into());
    }
    let instance_class = i
        .instance_class
        .clone()
        .ok_or("the cloud reports no instance class")?;
    let storage_gb = i.storage_gb.ok_or("the cloud reports no storage size")?;
    let mut p = DBInstanceParameters {
        instance_id: None,
        region_id: i.region.clone(),
        zone_id: None,
        engine_version: engine,
        instance_class: Some(instance_class),
        storage_gb: Some(storage_gb),
        storage_engine: StorageEngine::WiredTiger,
        storage_type: None,
        replication_factor: Some(i.replication_factor.unwrap_or(3)),
        readonly_replicas: i.readonly_replicas,
        charge_type: ChargeType::PostPaid,
        period: None,
        vpc_id: None,
        v_switch_id: None,
        description: None,
        maintenance_window: None,
        ssl: None,
        tde: None,
        public_address: None,
        srv_address: None,
        parameters: Default::default(),
        tags: tags(i, notes),
        resource_group_id: None,
        account_password_secret_ref: None,
        atlas: None,
        deletion_protection: i.deletion_protection,
        backup_policy: None,
        restore_from: None,
        sharding: None,
    };
    match cloud {
        Cloud::Aliyun => aliyun_fields(&mut p, i, ssl)?,
        Cloud::Atlas => {
            p.atlas = Some(AtlasClusterParameters {
                cluster_name: Some(i.id.clone()),
                provider_name: match i.cloud_provider.as_deref() {
                    Some("GCP") => AtlasCloudProvider::Gcp,
                    Some("AZURE") => AtlasCloudProvider::Azure,
                    _ => AtlasCloudProvider::Aws,
                },
                backup_enabled: i.backup_enabled,
                adopt_existing: true,
                // Without it, the first drift check would size back what Atlas autoscaled.
                auto_scaling: i
                    .auto_scaling
                    .as_ref()
                    .filter(|a| a.compute_enabled || a.disk_enabled)
                    .map(|a| Box::new(crate::reconcile::dbinstance_inplace::scaling_spec(a))),
            });
        }
    }
    checked(cloud, i, p, notes)
}

fn aliyun_fields(
    p: &mut DBInstanceParameters,
    i: &Instance,
    ssl: Option<&SslState>,
) -> Result<(), String> {
    p.instance_id = Some(i.id.clone());
    p.zone_id = i.zone.clone().filter(|z| !z.is_empty());
    p.storage_engine = match i.storage_engine.as_deref() {
        None => StorageEngine::WiredTiger,
        Some(e) if e.eq_ignore_ascii_case("WiredTiger") => StorageEngine::WiredTiger,
        Some(e) if e.eq_ignore_ascii_case("RocksDB") => StorageEngine::RocksDB,
        Some(other) => {
            return Err(format!(
                "storage engine {other} is not WiredTiger or RocksDB"
            ));
        }
    };
    p.storage_type = match i.storage_type.as_deref() {
        None | Some("") => None,
        Some(t) => Some(
            serde_json::from_value::<StorageType>(json!(t.to_ascii_lowercase()))
                .map_err(|_| format!("storage type {t} is not one the operator knows"))?,
        ),
    };
    p.charge_type = match i.charge_type.as_deref() {
        Some(c) if c.eq_ignore_ascii_case("PrePaid") => ChargeType::PrePaid,
        None => ChargeType::PostPaid,
        Some(c) if c.eq_ignore_ascii_case("PostPaid") => ChargeType::PostPaid,
        Some(other) => return Err(format!("charge type {other} is not PostPaid or PrePaid")),
    };
    let network = (
        i.vpc_id.clone().filter(|v| !v.is_empty()),
        i.vswitch_id.clone().filter(|v| !v.is_empty()),
    );
    if let (Some(vpc), Some(vswitch)) = network {
        p.vpc_id = Some(vpc);
        p.v_switch_id = Some(vswitch);
    }
    p.description = i.description.clone().filter(|d| !d.is_empty());
    p.maintenance_window = match (&i.maintain_start, &i.maintain_end) {
        (Some(start), Some(end)) => Some(Box::new(MaintenanceWindow {
            start_time: start.clone(),
            end_time: end.clone(),
        })),
        _ => None,
    };
    p.ssl = ssl.map(|s| {
        if s.status.eq_ignore_ascii_case("Open") {
            SslMode::Enabled
        } else {
            SslMode::Disabled
        }
    });
    p.resource_group_id = i.resource_group_id.clone().filter(|g| !g.is_empty());
    Ok(())
}

/// The cloud's tags a DBInstance may carry: system tags (`aliyun*`, `acs:`) are the cloud's.
fn tags(i: &Instance, notes: &mut Vec<String>) -> BTreeMap<String, String> {
    let mut kept = BTreeMap::new();
    for (key, value) in i.tags.iter() {
        let reserved = ["aliyun", "acs:", "http://", "https://"]
            .iter()
            .any(|prefix| key.starts_with(prefix))
            || key == UID_TAG;
        if !reserved {
            kept.insert(key.clone(), value.clone());
        }
    }
    if kept.len() > MAX_TAGS {
        notes.push(format!(
            "{}: only the first {MAX_TAGS} of {} tags are imported (a DBInstance holds {MAX_TAGS}); the others stay in the cloud untouched",
            i.id,
            kept.len()
        ));
        kept = kept.into_iter().take(MAX_TAGS).collect();
    }
    kept
}

/// Runs the operator's own checks. A refused optional field (an unusual maintenance window, a
/// description the API would not accept) is left out, which the planner reads as "not
/// managed"; any other refusal means the instance is not importable.
fn checked(
    cloud: Cloud,
    i: &Instance,
    mut p: DBInstanceParameters,
    notes: &mut Vec<String>,
) -> Result<DBInstanceParameters, String> {
    let name = names::label(&i.id).unwrap_or_default();
    loop {
        let spec = DBInstanceSpec {
            provider_config_ref: ProviderConfigReference::default(),
            deletion_policy: DeletionPolicy::Orphan,
            management_policies: crate::api::common::default_management_policies(),
            for_provider: p.clone(),
            write_connection_secret_to_ref: None,
            operations: None,
        };
        let refused = rules::validate(&spec)
            .and_then(|()| clouds::check_dbinstance(&spec, &name, cloud))
            .err()
            .or_else(|| description_length(&p));
        let Some(invalid) = refused else {
            return Ok(p);
        };
        let field = invalid.field.trim_start_matches("spec.forProvider.");
        let dropped = match field.split('.').next() {
            Some("description") => p.description.take().is_some(),
            Some("maintenanceWindow") => p.maintenance_window.take().is_some(),
            _ => false,
        };
        if !dropped {
            return Err(format!("the operator would refuse it: {invalid}"));
        }
        notes.push(format!(
            "{}: {field} left out ({}); the operator will not manage it",
            i.id, invalid.message
        ));
    }
}

/// The cloud's backup policy as `backupPolicy`, when the operator would take it as it is (a
/// policy it would refuse, or could not express exactly, is left out and noted).
fn with_backup_policy(
    cloud: Cloud,
    i: &Instance,
    mut p: DBInstanceParameters,
    found: &crate::import::collect::Found,
    notes: &mut Vec<String>,
) -> DBInstanceParameters {
    let Some(seen) = &found.backup_policy else {
        return p;
    };
    let (policy, left_out) = crate::reconcile::dbinstance_backup::from_cloud(cloud, seen);
    if let Some(why) = left_out {
        notes.push(format!("{}: backupPolicy {why}", i.id));
    }
    p.backup_policy = Some(Box::new(policy));
    let refused = crate::reconcile::dbinstance_backup::check(&p, cloud).err();
    if let Some(invalid) = refused {
        notes.push(format!(
            "{}: backupPolicy left out ({invalid}); the operator will not manage it",
            i.id
        ));
        p.backup_policy = None;
    }
    p
}

/// The schema's 2-256 characters, which `validate` leaves to the API server.
fn description_length(p: &DBInstanceParameters) -> Option<Invalid> {
    let d = p.description.as_deref()?;
    let length = d.chars().count();
    (!(2..=256).contains(&length)).then(|| {
        Invalid::new(
            "spec.forProvider.description",
            format!("must be 2-256 characters (is {length})"),
        )
    })
}

/// A SecurityIpList for an Aliyun group, `None` for groups an import leaves to the cloud.
fn aliyun_ip_list(
    db: &str,
    group: &SecurityIpGroup,
) -> Result<Option<SecurityIpListParameters>, String> {
    let hidden = group
        .attribute
        .as_deref()
        .is_some_and(|a| a.eq_ignore_ascii_case(HIDDEN));
    if FOREIGN_GROUPS.contains(&group.name.as_str()) || hidden || group.ips.is_empty() {
        return Ok(None);
    }
    let valid_name = group.name.len() >= 2
        && group.name.starts_with(|c: char| c.is_ascii_lowercase())
        && group
            .name
            .ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && group
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !valid_name {
        return Err(format!(
            "group name {:?} is not one a SecurityIpList can name (lower-case letters, digits and _)",
            group.name
        ));
    }
    let attribute = group.attribute.clone().filter(|a| !a.is_empty());
    if let Some(a) = &attribute
        && !a
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(format!(
            "group attribute {a:?} is not one a SecurityIpList can hold (letters, digits, _ and -)"
        ));
    }
    ip_parameters(db, group, Some(group.name.clone()), attribute).map(Some)
}

fn ip_parameters(
    db: &str,
    group: &SecurityIpGroup,
    group_name: Option<String>,
    group_attribute: Option<String>,
) -> Result<SecurityIpListParameters, String> {
    let ips = securityiplist::normalized(&group.ips);
    if let Some(bad) = ips
        .iter()
        .find(|ip| securityiplist::normalize(ip).is_none())
    {
        return Err(format!("entry {bad:?} is not an IP address or CIDR block"));
    }
    let public = ips.iter().any(|ip| ip == "0.0.0.0/0" || ip == "::/0");
    let expires: BTreeMap<String, String> = group
        .expires
        .iter()
        .filter_map(|(ip, at)| Some((securityiplist::normalize(ip)?, at.clone())))
        .collect();
    Ok(SecurityIpListParameters {
        instance: InstanceTarget {
            db_instance_ref: Some(LocalReference {
                name: db.to_owned(),
            }),
            db_instance_id: None,
        },
        group_name,
        group_attribute,
        entries: ips
            .into_iter()
            .map(|ip| IpEntry {
                expires_at: expires.get(&ip).cloned(),
                ip,
                comment: None,
            })
            .collect(),
        // The cloud allows it already; refusing it here would make the import write.
        allow_public_access: public,
        atlas: None,
    })
}

/// The AuditLogFilter parameters for audit settings that are on.
fn audit_parameters(
    db: &str,
    seen: &AuditSettings,
    cloud: Cloud,
) -> Result<AuditLogFilterParameters, String> {
    let mut p = AuditLogFilterParameters {
        instance: InstanceTarget {
            db_instance_ref: Some(LocalReference {
                name: db.to_owned(),
            }),
            db_instance_id: None,
        },
        filter: Vec::new(),
        audit_enabled: true,
        storage_period_days: None,
        atlas: None,
    };
    let categories = categories(&seen.filter);
    match cloud {
        Cloud::Aliyun => {
            p.filter = categories.ok_or_else(|| {
                format!(
                    "audit filter {:?} is not a set of admin, slow, query, insert, update, delete, command",
                    seen.filter.join(",")
                )
            })?;
            p.storage_period_days = seen.storage_period_days.filter(|d| (1..=365).contains(d));
        }
        Cloud::Atlas => {
            // Categories only when they are exactly what the filter says (including
            // authorization successes); otherwise the document as stored.
            let consistent = categories.filter(|c| {
                let names: Vec<String> = c.iter().map(|c| c.as_str().to_owned()).collect();
                Some(audit::filter_for(&names).1) == seen.authorization_success
                    && !c.contains(&AuditCategory::Slow)
            });
            match (consistent, &seen.raw_filter, seen.authorization_success) {
                (Some(c), _, _) => p.filter = c,
                (None, Some(raw), Some(success)) => {
                    p.atlas = Some(AtlasAuditParameters {
                        audit_filter: raw.clone(),
                        audit_authorization_success: success,
                    })
                }
                _ => return Err("Atlas reports auditing on without a filter document".to_owned()),
            }
        }
    }
    Ok(p)
}

/// The cloud's filter as categories, `None` when one is not a category or there are none.
fn categories(filter: &[String]) -> Option<Vec<AuditCategory>> {
    let mut set = BTreeSet::new();
    for c in crate::reconcile::auditlogfilter::sorted(filter) {
        set.insert(serde_json::from_value::<AuditCategory>(json!(c)).ok()?);
    }
    (!set.is_empty()).then(|| set.into_iter().collect())
}

#[cfg(test)]
#[path = "render_tests.rs"]
mod tests;
