//! Backup policy, restorable window and the clone path of CreateDBInstance (SrcDBInstanceId +
//! BackupId | RestoreTime), with the cloud's refusals.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::instances::instance;
use super::model::{BackupPolicyRecord, InstanceRecord, RestoredFrom, State, now_ms};
use super::render::ApiError;
use super::{Params, param};

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const INTERVALS: [i64; 10] = [-1, 15, 30, 60, 120, 180, 240, 360, 480, 720];

pub fn stamp(ms: u64) -> String {
    DateTime::<Utc>::from_timestamp_millis(i64::try_from(ms).unwrap_or(0))
        .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

pub fn describe_policy(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    let b = &i.backup_policy;
    Ok(json!({
        "PreferredBackupTime": b.preferred_backup_time,
        "PreferredBackupPeriod": b.preferred_backup_period,
        "BackupRetentionPeriod": b.backup_retention_period.to_string(),
        "EnableBackupLog": b.enable_backup_log,
        "LogBackupRetentionPeriod": b.log_backup_retention_period,
        "BackupInterval": b.backup_interval.to_string(),
        "SnapshotBackupType": b.snapshot_backup_type,
        "BackupRetentionPolicyOnClusterDeletion": b.retention_on_deletion,
        "PreferredNextBackupTime": "",
        "HighFrequencyBackupRetention": "1"
    }))
}

pub fn modify_policy(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    super::instances::running(i)?;
    let mut next = i.backup_policy.clone();
    apply(&mut next, p)?;
    if next.log_backup_retention_period > next.backup_retention_period {
        return Err(ApiError::new(
            400,
            "InvalidLogBackupRetentionPeriod.Malformed",
            "LogBackupRetentionPeriod cannot exceed BackupRetentionPeriod.",
        ));
    }
    if next.enable_backup_log == 1 && i.backup_policy.enable_backup_log == 0 {
        next.log_since_ms = now_ms();
    }
    i.backup_policy = next;
    Ok(json!({}))
}

/// Applies the ModifyBackupPolicy parameters given, checking each as the cloud does. Also used
/// by the admin endpoint for out-of-band changes.
pub fn apply(b: &mut BackupPolicyRecord, p: &Params) -> Result<(), ApiError> {
    if let Some(window) = param(p, "PreferredBackupTime") {
        check_window(&window)?;
        b.preferred_backup_time = window;
    }
    if let Some(period) = param(p, "PreferredBackupPeriod") {
        if period.split(',').any(|d| !WEEKDAYS.contains(&d.trim())) {
            return Err(ApiError::new(
                400,
                "InvalidPreferredBackupPeriod.Malformed",
                "PreferredBackupPeriod must be a comma-separated list of weekdays.",
            ));
        }
        b.preferred_backup_period = period;
    }
    if let Some(days) = number(p, "BackupRetentionPeriod")? {
        if !(7..=730).contains(&days) {
            return Err(ApiError::new(
                400,
                "InvalidBackupRetentionPeriod.Malformed",
                "BackupRetentionPeriod must be 7 to 730 days.",
            ));
        }
        b.backup_retention_period = days;
    }
    if let Some(on) = number(p, "EnableBackupLog")? {
        if !(0..=1).contains(&on) {
            return Err(ApiError::invalid("EnableBackupLog", "must be 0 or 1"));
        }
        b.enable_backup_log = on;
    }
    if let Some(days) = number(p, "LogBackupRetentionPeriod")? {
        if !(7..=730).contains(&days) {
            return Err(ApiError::invalid(
                "LogBackupRetentionPeriod",
                "must be 7 to 730",
            ));
        }
        b.log_backup_retention_period = days;
    }
    if let Some(minutes) = number(p, "BackupInterval")? {
        if !INTERVALS.contains(&minutes) {
            return Err(ApiError::invalid(
                "BackupInterval",
                "must be -1, 15, 30, 60, 120, 180, 240, 360, 480 or 720",
            ));
        }
        b.backup_interval = minutes;
    }
    if let Some(kind) = param(p, "SnapshotBackupType") {
        if !["Standard", "Flash"].contains(&kind.as_str()) {
            return Err(ApiError::invalid(
                "SnapshotBackupType",
                "must be Standard or Flash",
            ));
        }
        b.snapshot_backup_type = kind;
    }
    if let Some(keep) = number(p, "BackupRetentionPolicyOnClusterDeletion")? {
        if !(0..=2).contains(&keep) {
            return Err(ApiError::invalid(
                "BackupRetentionPolicyOnClusterDeletion",
                "must be 0, 1 or 2",
            ));
        }
        b.retention_on_deletion = keep;
    }
    Ok(())
}

fn number(p: &Params, name: &str) -> Result<Option<i64>, ApiError> {
    param(p, name)
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::invalid(name, "not a number"))
        })
        .transpose()
}

/// `HH:mmZ-HH:mmZ`, exactly one hour.
fn check_window(window: &str) -> Result<(), ApiError> {
    let bad = || {
        ApiError::new(
            400,
            "InvalidPreferredBackupTime.Format",
            format!("PreferredBackupTime {window} is not a one-hour HH:mmZ-HH:mmZ window."),
        )
    };
    let minutes = |t: &str| -> Option<i64> {
        let t = chrono::NaiveTime::parse_from_str(t, "%H:%MZ").ok()?;
        Some(i64::from(chrono::Timelike::num_seconds_from_midnight(&t)) / 60)
    };
    let (start, end) = window.split_once('-').ok_or_else(bad)?;
    let (start, end) = (
        minutes(start).ok_or_else(bad)?,
        minutes(end).ok_or_else(bad)?,
    );
    if (end - start).rem_euclid(24 * 60) != 60 {
        return Err(bad());
    }
    Ok(())
}

/// The point-in-time window: log backup must be on, and it reaches back to the end of the first
/// successful full backup started after log backup was turned on; it ends now.
pub fn window(i: &InstanceRecord, now: u64) -> Option<(u64, u64)> {
    if i.backup_policy.enable_backup_log != 1 {
        return None;
    }
    let since = i.backup_policy.log_since_ms;
    i.backups
        .iter()
        .filter(|b| b.status == "Success" && b.start_ms >= since)
        .map(|b| b.done_ms)
        .min()
        .map(|earliest| (earliest, now))
}

pub fn describe_recover_time(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    let ranges: Vec<Value> = window(i, now_ms())
        .map(|(from, to)| {
            json!({"RestoreBeginTime": stamp(from), "RestoreEndTime": stamp(to), "RestoreType": "PointInTime"})
        })
        .into_iter()
        .collect();
    Ok(json!({"RestoreRanges": {"RestoreRange": ranges}}))
}

/// For a CreateDBInstance with SrcDBInstanceId: what the clone is made from, or the cloud's
/// refusal (a source elsewhere, a backup that is not there, a time outside the window).
pub fn clone_source(
    state: &State,
    p: &Params,
    region: &str,
) -> Result<Option<RestoredFrom>, ApiError> {
    let Some(source_id) = param(p, "SrcDBInstanceId") else {
        return Ok(None);
    };
    let source = state.instances.get(&source_id).ok_or_else(|| {
        ApiError::new(
            404,
            "InvalidSrcDBInstanceId.NotFound",
            format!("The source instance {source_id} is not found."),
        )
    })?;
    if source.region != region {
        return Err(ApiError::new(
            400,
            "OperationDenied.CrossRegionRestore",
            format!(
                "The source instance {source_id} is in {}, not {region}; a clone is created in the source's region.",
                source.region
            ),
        ));
    }
    match (param(p, "BackupId"), param(p, "RestoreTime")) {
        (Some(backup_id), _) => {
            let backup = source
                .backups
                .iter()
                .find(|b| b.id == backup_id)
                .ok_or_else(|| {
                    ApiError::new(
                        400,
                        "InvalidBackupSetID.NotFound",
                        format!("The backup {backup_id} of {source_id} does not exist."),
                    )
                })?;
            if backup.status != "Success" {
                return Err(ApiError::new(
                    403,
                    "IncorrectBackupSetState",
                    format!("The backup {backup_id} is {}, not Success.", backup.status),
                ));
            }
            Ok(Some(RestoredFrom {
                source_instance_id: source_id,
                backup_id: Some(backup_id),
                restore_time: None,
            }))
        }
        (None, Some(time)) => {
            let at = DateTime::parse_from_rfc3339(&time)
                .map_err(|_| {
                    ApiError::new(
                        400,
                        "InvalidRestoreTime.Format",
                        format!("RestoreTime {time} is not yyyy-MM-ddTHH:mm:ssZ."),
                    )
                })?
                .timestamp_millis();
            let at = u64::try_from(at).unwrap_or(0);
            match window(source, now_ms()) {
                // The window is shown in whole seconds: its first second is inside it.
                Some((from, to)) if (from / 1000 * 1000..=to).contains(&at) => {
                    Ok(Some(RestoredFrom {
                        source_instance_id: source_id,
                        backup_id: None,
                        restore_time: Some(stamp(at)),
                    }))
                }
                Some((from, to)) => Err(ApiError::new(
                    400,
                    "InvalidRestoreTime",
                    format!(
                        "RestoreTime {time} is outside the restorable range {} to {}.",
                        stamp(from),
                        stamp(to)
                    ),
                )),
                None => Err(ApiError::new(
                    400,
                    "InvalidRestoreTime",
                    format!("Instance {source_id} has no restorable range (log backup is off)."),
                )),
            }
        }
        (None, None) => Err(ApiError::missing("BackupId")),
    }
}

/// Dds backup-policy parameters named like the API, for an out-of-band change.
pub fn edit(
    i: &mut InstanceRecord,
    changes: &serde_json::Map<String, Value>,
) -> Result<(), ApiError> {
    let p: Params = changes
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect();
    let was_on = i.backup_policy.enable_backup_log;
    apply(&mut i.backup_policy, &p)?;
    if was_on == 0 && i.backup_policy.enable_backup_log == 1 {
        i.backup_policy.log_since_ms = now_ms();
    }
    Ok(())
}
