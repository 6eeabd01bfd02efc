//! Restore rules: what a `restoreFrom` may say, whether the backup or point in time it names can
//! be restored (checked before the create, so a refusal creates nothing), and that it never
//! changes once the instance exists.

use chrono::DateTime;

use super::Invalid;
use crate::api::dbinstance::DBInstanceParameters;
use crate::api::dbinstance_backup::{RestoreFrom, RestoreRecord};
use crate::cloud::{BackupInfo, Cloud, RestoreSource, RestoreWindow};

const FIELD: &str = "spec.forProvider.restoreFrom";

/// Checks what the schema cannot; an error costs no cloud call.
pub fn check(p: &DBInstanceParameters, cloud: Cloud) -> Result<(), Invalid> {
    let Some(r) = p.restore_from.as_deref() else {
        return Ok(());
    };
    let adopts = p.instance_id.is_some() || p.atlas.as_ref().is_some_and(|a| a.adopt_existing);
    if adopts {
        return Err(Invalid::new(
            FIELD,
            "cannot be combined with adopting an instance (instanceId, atlas.adoptExisting): an adopted instance is never created",
        ));
    }
    let backup = r.backup_ref.is_some() || r.backup_id.is_some();
    if r.backup_ref.is_some() && r.backup_id.is_some() {
        return Err(Invalid::new(
            format!("{FIELD}.backupId"),
            "and backupRef name the same thing: give one",
        ));
    }
    match (backup, &r.restore_time) {
        (true, Some(_)) => {
            return Err(Invalid::new(
                format!("{FIELD}.restoreTime"),
                "and a backup (backupRef, backupId) exclude each other: restore a backup, or a point in time",
            ));
        }
        (false, None) => {
            return Err(Invalid::new(
                FIELD,
                "needs a backup (backupRef or backupId) or a restoreTime",
            ));
        }
        (false, Some(time)) if DateTime::parse_from_rfc3339(time).is_err() => {
            return Err(Invalid::new(
                format!("{FIELD}.restoreTime"),
                format!("must be an RFC 3339 time (is {time:?})"),
            ));
        }
        _ => {}
    }
    if r.source_instance_ref.is_some() && r.source_instance_id.is_some() {
        return Err(Invalid::new(
            format!("{FIELD}.sourceInstanceId"),
            "and sourceInstanceRef name the same thing: give one",
        ));
    }
    let has_source = r.source_instance_ref.is_some() || r.source_instance_id.is_some();
    if r.backup_ref.is_none() && !has_source {
        return Err(Invalid::new(
            format!("{FIELD}.sourceInstanceRef"),
            "is needed with backupId or restoreTime (or sourceInstanceId): the instance the data comes from",
        ));
    }
    if cloud == Cloud::Atlas && r.source_instance_id.is_some() {
        return Err(Invalid::new(
            format!("{FIELD}.sourceInstanceId"),
            "holds Aliyun instance ids; with Atlas name the source cluster through sourceInstanceRef",
        ));
    }
    Ok(())
}

/// Refuses a `restoreFrom` that differs from what the instance was created from (or that was
/// added to an instance created without one). Removing it is allowed: it asks for nothing.
pub fn changed(p: &DBInstanceParameters, recorded: Option<&RestoreRecord>) -> Option<Invalid> {
    let asked = p.restore_from.as_deref()?;
    match recorded {
        None => Some(Invalid::new(
            FIELD,
            "is create-only: this instance was not created from a backup; remove it, or create a new DBInstance",
        )),
        Some(done) if done.requested != *asked => Some(Invalid::new(
            FIELD,
            format!(
                "cannot change on an existing instance (it was restored from {}); revert it, or create a new DBInstance",
                describe(&source_of(done))
            ),
        )),
        Some(_) => None,
    }
}

pub fn source_of(done: &RestoreRecord) -> RestoreSource {
    RestoreSource {
        source_id: done.source_instance_id.clone(),
        backup_id: done.backup_id.clone(),
        restore_time: done.restore_time.clone(),
    }
}

/// `backup B of S` or `S at T`, for messages and Events.
pub fn describe(s: &RestoreSource) -> String {
    match (&s.backup_id, &s.restore_time) {
        (Some(b), _) => format!("backup {b} of {}", s.source_id),
        (None, Some(t)) => format!("{} at {t}", s.source_id),
        (None, None) => s.source_id.clone(),
    }
}

/// The source a resolved `restoreFrom` names, with the ids references resolved to.
pub fn source(r: &RestoreFrom, source_id: String, backup_id: Option<String>) -> RestoreSource {
    RestoreSource {
        source_id,
        backup_id: backup_id.or_else(|| r.backup_id.clone()),
        restore_time: r.restore_time.clone(),
    }
}

/// Whether the cloud can restore `s`: the backup exists and succeeded, or the time lies in the
/// source's restorable window. `backups` are the source's backups (only needed for a backup),
/// `window` its window (only needed for a time).
pub fn restorable(
    s: &RestoreSource,
    backups: &[BackupInfo],
    window: &RestoreWindow,
) -> Result<(), Invalid> {
    if let Some(id) = &s.backup_id {
        return match backups.iter().find(|b| &b.id == id) {
            None => Err(Invalid::new(
                format!("{FIELD}.backupId"),
                format!("backup {id} of instance {} does not exist", s.source_id),
            )),
            Some(b) if b.status != "Success" => Err(Invalid::new(
                format!("{FIELD}.backupId"),
                format!(
                    "backup {id} of instance {} is {}, only a finished (Success) backup can be restored",
                    s.source_id, b.status
                ),
            )),
            Some(_) => Ok(()),
        };
    }
    let Some(time) = &s.restore_time else {
        return Ok(());
    };
    let (Some(earliest), Some(latest)) = (&window.earliest, &window.latest) else {
        return Err(Invalid::new(
            format!("{FIELD}.restoreTime"),
            format!(
                "instance {} has no restorable window (point-in-time restore needs log backup: backupPolicy.aliyun.enableLogBackup, or Atlas continuous backup, and a full backup since)",
                s.source_id
            ),
        ));
    };
    let at = |t: &str| DateTime::parse_from_rfc3339(t).ok();
    match (at(time), at(earliest), at(latest)) {
        (Some(t), Some(from), Some(to)) if t >= from && t <= to => Ok(()),
        _ => Err(Invalid::new(
            format!("{FIELD}.restoreTime"),
            format!(
                "{time} is outside the restorable window of instance {} ({earliest} to {latest})",
                s.source_id
            ),
        )),
    }
}

/// The record written with the create.
pub fn record(r: &RestoreFrom, s: &RestoreSource, cloud: Cloud) -> RestoreRecord {
    RestoreRecord {
        source_instance_id: s.source_id.clone(),
        backup_id: s.backup_id.clone(),
        restore_time: s.restore_time.clone(),
        requested: r.clone(),
        restore_job_id: None,
        // Dds restores while the clone is Creating; Atlas needs a restore job afterwards.
        finished: cloud == Cloud::Aliyun,
    }
}
