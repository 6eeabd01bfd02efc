//! Security-IP groups, audit settings and backups of an instance.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::instances::{instance, running};
use super::model::{BackupRecord, SecurityGroup, State, now_ms};
use super::render::ApiError;
use super::{Call, Params, param, required};

const MAX_IPS: usize = 1000;
const AUDIT_CATEGORIES: [&str; 7] = [
    "admin", "slow", "query", "insert", "update", "delete", "command",
];

fn valid_ip(entry: &str) -> bool {
    entry.parse::<IpAddr>().is_ok() || entry.parse::<ipnet::IpNet>().is_ok()
}

fn valid_group_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=120).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && bytes.last().is_some_and(|b| b.is_ascii_alphanumeric())
}

pub fn describe_security_ips(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    let groups: Vec<Value> = i
        .security_groups
        .iter()
        .map(|(name, g)| json!({"SecurityIpGroupName": name, "SecurityIpGroupAttribute": g.attribute, "SecurityIpList": g.ips.join(",")}))
        .collect();
    let default = i
        .security_groups
        .get("default")
        .map(|g| g.ips.join(","))
        .unwrap_or_default();
    Ok(json!({"SecurityIps": default, "SecurityIpGroups": {"SecurityIpGroup": groups}}))
}

pub fn modify_security_ips(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let ips: Vec<String> = required(p, "SecurityIps")?
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let group = param(p, "SecurityIpGroupName").unwrap_or_else(|| "default".to_owned());
    let mode = param(p, "ModifyMode").unwrap_or_else(|| "Cover".to_owned());
    if let Some(bad) = ips.iter().find(|ip| !valid_ip(ip)) {
        return Err(ApiError::new(
            400,
            "InvalidSecurityIps.MalFormed",
            format!("The specified IP {bad} is not valid."),
        ));
    }
    if !valid_group_name(&group) {
        return Err(ApiError::new(
            400,
            "InvalidSecurityIPGroupName.Malformed",
            format!("The group name {group:?} is not valid."),
        ));
    }
    let i = instance(state, p)?;
    running(i)?;
    let entry = i
        .security_groups
        .entry(group.clone())
        .or_insert_with(|| SecurityGroup {
            attribute: String::new(),
            ips: Vec::new(),
        });
    let before = entry.clone();
    match mode.as_str() {
        "Cover" => entry.ips = ips,
        "Append" | "Extend" => entry
            .ips
            .extend(ips.into_iter().filter(|ip| !before.ips.contains(ip))),
        "Delete" => entry.ips.retain(|ip| !ips.contains(ip)),
        _ => {
            return Err(ApiError::invalid(
                "ModifyMode",
                "must be Cover, Append or Delete",
            ));
        }
    }
    if let Some(attribute) = param(p, "SecurityIpGroupAttribute") {
        entry.attribute = attribute;
    }
    if i.ip_count() > MAX_IPS {
        i.security_groups.insert(group, before);
        return Err(ApiError::new(
            400,
            "InvalidSecurityIPList.QuotaExceeded",
            "An instance allows at most 1000 IPs over all groups.",
        ));
    }
    if group != "default"
        && i.security_groups
            .get(&group)
            .is_some_and(|g| g.ips.is_empty())
    {
        i.security_groups.remove(&group);
    }
    Ok(json!({}))
}

pub fn describe_audit_policy(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    Ok(json!({"LogAuditStatus": if i.audit_enabled { "Enable" } else { "Disabled" }}))
}

pub fn modify_audit_policy(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let status = required(p, "AuditStatus")?.to_ascii_lowercase();
    let period = param(p, "StoragePeriod")
        .map(|d| {
            d.parse::<i64>()
                .map_err(|_| ApiError::invalid("StoragePeriod", "not a number"))
        })
        .transpose()?;
    let i = instance(state, p)?;
    running(i)?;
    i.audit_enabled = match status.as_str() {
        "enable" => true,
        "disabled" | "disable" => false,
        _ => {
            return Err(ApiError::invalid(
                "AuditStatus",
                "must be enable or disabled",
            ));
        }
    };
    if let Some(days) = period {
        if !(1..=365).contains(&days) {
            return Err(ApiError::invalid("StoragePeriod", "must be 1-365 days"));
        }
        i.audit_ttl_days = days;
    }
    Ok(json!({}))
}

pub fn describe_audit_filter(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    Ok(
        json!({"Filter": i.audit_filter, "RoleType": param(p, "RoleType").unwrap_or_else(|| "db".to_owned())}),
    )
}

pub fn modify_audit_filter(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let filter = required(p, "Filter")?;
    if let Some(bad) = filter
        .split(',')
        .map(str::trim)
        .find(|c| !AUDIT_CATEGORIES.contains(c))
    {
        return Err(ApiError::invalid(
            "Filter",
            format!("{bad:?} is not one of {}", AUDIT_CATEGORIES.join(",")),
        ));
    }
    let i = instance(state, p)?;
    if i.status != "Running" || i.replication_factor < 3 {
        return Err(ApiError::denied(&i.status));
    }
    i.audit_filter = filter;
    Ok(json!({}))
}

pub fn describe_log_config(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    Ok(
        json!({"ServiceType": "Standard", "TtlForStandard": i.audit_ttl_days, "EnableAudit": i.audit_enabled, "HotTtlForV2Standard": 7}),
    )
}

pub fn create_backup(state: &mut State, call: &Call, p: &Params) -> Result<Value, ApiError> {
    let method = param(p, "BackupMethod").unwrap_or_else(|| "Physical".to_owned());
    if !["Physical", "Logical", "Snapshot"].contains(&method.as_str()) {
        return Err(ApiError::invalid(
            "BackupMethod",
            "must be Physical, Logical or Snapshot",
        ));
    }
    state.next_backup += 1;
    let id = format!("{}", 100_000_000 + state.next_backup);
    let i = instance(state, p)?;
    running(i)?;
    if i.backups.iter().any(|b| b.status == "Running") {
        return Err(ApiError::new(
            400,
            "BackupJobExists",
            "A backup of this instance is already running.",
        ));
    }
    let now = now_ms();
    i.backups.push(BackupRecord {
        id: id.clone(),
        method,
        status: "Running".to_owned(),
        start_ms: now,
        done_ms: now + call.transition_ms,
        size: 64 * 1024 * 1024,
    });
    Ok(json!({"BackupId": id, "BackupJobId": format!("job-{id}")}))
}

fn stamp(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub fn describe_backups(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let wanted = param(p, "BackupId");
    let i = instance(state, p)?;
    let backups: Vec<Value> = i
        .backups
        .iter()
        .rev()
        .filter(|b| wanted.as_ref().is_none_or(|w| *w == b.id))
        .map(|b| {
            json!({"BackupId": b.id, "BackupJobId": format!("job-{}", b.id), "BackupStatus": b.status, "BackupMode": "Manual",
                   "BackupMethod": b.method, "BackupType": "FullBackup", "BackupStartTime": stamp(b.start_ms),
                   "BackupEndTime": if b.status == "Success" { stamp(b.done_ms) } else { String::new() },
                   "BackupSize": b.size, "IsAvail": true, "EngineVersion": i.engine_version})
        })
        .collect();
    Ok(
        json!({"Backups": {"Backup": backups.clone()}, "TotalCount": backups.len(), "PageNumber": 1, "PageSize": 100}),
    )
}

pub fn delete_backup(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let backup = required(p, "BackupId")?;
    let i = instance(state, p)?;
    let before = i.backups.len();
    i.backups.retain(|b| b.id != backup);
    if i.backups.len() == before {
        return Err(ApiError::new(
            400,
            "InvalidBackupSetID.NotFound",
            format!("The backup {backup} does not exist."),
        ));
    }
    Ok(json!({}))
}
