//! Backup policy rules: which fields each cloud takes, the policy a spec asks for in the cloud's
//! terms, and the one write that puts the cloud's policy right. Pure: the controller reads the
//! policy (on the drift timer) and sends the write.

use super::dbinstance::Step;
use super::{Invalid, Mode};
use crate::api::dbinstance::DBInstanceParameters;
use crate::api::dbinstance_backup::{
    AliyunBackupPolicy, AtlasBackupPolicy, AtlasPolicyItem, BackupPolicy, RestoreRecord,
    RetentionOnDeletion, SnapshotBackupType, Weekday,
};
use crate::cloud::{BackupPolicySettings, Cloud, PolicyItem, RestoreJob};

const FIELD: &str = "spec.forProvider.backupPolicy";

/// Checks what the schema cannot, for the instance's cloud; an error costs no cloud call.
pub fn check(p: &DBInstanceParameters, cloud: Cloud) -> Result<(), Invalid> {
    let Some(policy) = p.backup_policy.as_deref() else {
        return Ok(());
    };
    if let Some(window) = &policy.preferred_backup_time {
        window_start(window)?;
    }
    match cloud {
        Cloud::Aliyun => check_aliyun(policy),
        Cloud::Atlas => check_atlas(policy, p),
    }
}

fn check_aliyun(policy: &BackupPolicy) -> Result<(), Invalid> {
    if policy.atlas.is_some() {
        return Err(Invalid::new(
            format!("{FIELD}.atlas"),
            "applies only to Atlas ProviderConfigs; remove it for Aliyun",
        ));
    }
    if let Some(days) = policy.retention_days
        && !(7..=730).contains(&days)
    {
        return Err(Invalid::new(
            format!("{FIELD}.retentionDays"),
            format!("must be 7 to 730 days on Aliyun (is {days})"),
        ));
    }
    let aliyun = policy.aliyun.clone().unwrap_or_default();
    if let (Some(log), Some(full)) = (aliyun.log_retention_days, policy.retention_days)
        && log > full
    {
        return Err(Invalid::new(
            format!("{FIELD}.aliyun.logRetentionDays"),
            format!("must not exceed retentionDays {full} (is {log})"),
        ));
    }
    if aliyun.log_retention_days.is_some() && aliyun.enable_log_backup == Some(false) {
        return Err(Invalid::new(
            format!("{FIELD}.aliyun.logRetentionDays"),
            "needs enableLogBackup true (log backups are off)",
        ));
    }
    Ok(())
}

fn check_atlas(policy: &BackupPolicy, p: &DBInstanceParameters) -> Result<(), Invalid> {
    if let Some(aliyun) = &policy.aliyun {
        let set = [
            ("enableLogBackup", aliyun.enable_log_backup.is_some()),
            ("logRetentionDays", aliyun.log_retention_days.is_some()),
            (
                "backupIntervalMinutes",
                aliyun.backup_interval_minutes.is_some(),
            ),
            ("snapshotBackupType", aliyun.snapshot_backup_type.is_some()),
            (
                "retentionOnDeletion",
                aliyun.retention_on_deletion.is_some(),
            ),
        ];
        let field = set
            .iter()
            .find(|(_, is_set)| *is_set)
            .map_or(String::new(), |(name, _)| format!(".{name}"));
        return Err(Invalid::new(
            format!("{FIELD}.aliyun{field}"),
            "does not apply to Atlas ProviderConfigs (Atlas backups are continuous and snapshot-based); remove it",
        ));
    }
    if !policy.preferred_backup_days.is_empty() && policy.preferred_backup_days.len() != 7 {
        return Err(Invalid::new(
            format!("{FIELD}.preferredBackupDays"),
            "Atlas takes its daily snapshot every day: list all seven days or none (weekly snapshots are atlas.weekly)",
        ));
    }
    if p.atlas.as_ref().and_then(|a| a.backup_enabled) != Some(true) {
        return Err(Invalid::new(
            FIELD,
            "needs spec.forProvider.atlas.backupEnabled: true (an Atlas cluster without cloud backup has no schedule)",
        ));
    }
    let atlas = policy.atlas.clone().unwrap_or_default();
    let items: [(&str, Option<AtlasPolicyItem>, &[i32]); 3] = [
        ("hourly", atlas.hourly, &[1, 2, 4, 6, 8, 12]),
        ("weekly", atlas.weekly, &[1, 2, 3, 4, 5, 6, 7]),
        ("monthly", atlas.monthly, &MONTH_DAYS),
    ];
    for (name, item, allowed) in items {
        if let Some(item) = item
            && !allowed.contains(&item.frequency_interval)
        {
            let allowed = match name {
                "hourly" => "1, 2, 4, 6, 8 or 12 (hours)",
                "weekly" => "1-7 (Monday-Sunday)",
                _ => "1-28, or 40 for the last day of the month",
            };
            return Err(Invalid::new(
                format!("{FIELD}.atlas.{name}.frequencyInterval"),
                format!("must be {allowed} (is {})", item.frequency_interval),
            ));
        }
    }
    Ok(())
}

const MONTH_DAYS: [i32; 29] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
    27, 28, 40,
];

/// The window's start as (hour, minute); the window must be exactly one hour.
pub fn window_start(window: &str) -> Result<(u32, u32), Invalid> {
    crate::cloud::one_hour_window_start(window).ok_or_else(|| {
        Invalid::new(
            format!("{FIELD}.preferredBackupTime"),
            format!("must be a one-hour HH:mmZ-HH:mmZ window, e.g. 02:00Z-03:00Z (is {window:?})"),
        )
    })
}

/// The policy the spec asks for, in the cloud's terms; fields left out stay `None`.
pub fn desired(policy: &BackupPolicy, cloud: Cloud) -> BackupPolicySettings {
    let mut want = BackupPolicySettings {
        window: policy.preferred_backup_time.clone(),
        ..BackupPolicySettings::default()
    };
    match cloud {
        Cloud::Aliyun => {
            let aliyun = policy.aliyun.clone().unwrap_or_default();
            let mut days: Vec<Weekday> = policy.preferred_backup_days.clone();
            days.sort();
            days.dedup();
            want.days = days.iter().map(|d| d.as_str().to_owned()).collect();
            want.retention_days = policy.retention_days;
            want.log_backup = aliyun.enable_log_backup;
            want.log_retention_days = aliyun.log_retention_days;
            want.interval_minutes = aliyun.backup_interval_minutes;
            want.snapshot_type = aliyun.snapshot_backup_type.map(|t| {
                match t {
                    SnapshotBackupType::Standard => "Standard",
                    SnapshotBackupType::Flash => "Flash",
                }
                .to_owned()
            });
            want.retention_on_deletion = aliyun.retention_on_deletion.map(|r| r.code());
        }
        Cloud::Atlas => {
            let atlas = policy.atlas.clone().unwrap_or_default();
            want.restore_window_days = atlas.restore_window_days;
            let item = |kind: &str, unit: &str, every: i32, keep: i32| PolicyItem {
                frequency_type: kind.to_owned(),
                frequency_interval: every,
                retention_unit: unit.to_owned(),
                retention_value: keep,
            };
            let mut items: Vec<PolicyItem> = [
                policy.retention_days.map(|d| item("daily", "days", 1, d)),
                atlas
                    .hourly
                    .map(|i| item("hourly", "days", i.frequency_interval, i.retention_value)),
                atlas
                    .weekly
                    .map(|i| item("weekly", "weeks", i.frequency_interval, i.retention_value)),
                atlas
                    .monthly
                    .map(|i| item("monthly", "months", i.frequency_interval, i.retention_value)),
            ]
            .into_iter()
            .flatten()
            .collect();
            items.sort();
            want.items = items;
        }
    }
    want
}

/// The spec that asks for exactly what the cloud holds (for `import`), and what could not be
/// expressed: Atlas frequencies the spec has no field for leave every frequency out, so the
/// schedule's items are not managed (a partial list would delete the others).
pub fn from_cloud(cloud: Cloud, seen: &BackupPolicySettings) -> (BackupPolicy, Option<String>) {
    let mut policy = BackupPolicy {
        preferred_backup_time: seen.window.clone(),
        ..BackupPolicy::default()
    };
    match cloud {
        Cloud::Aliyun => {
            policy.preferred_backup_days = Weekday::ALL
                .into_iter()
                .filter(|d| seen.days.iter().any(|s| s.eq_ignore_ascii_case(d.as_str())))
                .collect();
            policy.retention_days = seen.retention_days;
            policy.aliyun = Some(AliyunBackupPolicy {
                enable_log_backup: seen.log_backup,
                log_retention_days: seen.log_retention_days,
                backup_interval_minutes: seen.interval_minutes,
                snapshot_backup_type: seen.snapshot_type.as_deref().and_then(|t| match t {
                    "Standard" => Some(SnapshotBackupType::Standard),
                    "Flash" => Some(SnapshotBackupType::Flash),
                    _ => None,
                }),
                retention_on_deletion: match seen.retention_on_deletion {
                    Some(0) => Some(RetentionOnDeletion::DeleteAll),
                    Some(1) => Some(RetentionOnDeletion::KeepLast),
                    Some(2) => Some(RetentionOnDeletion::KeepAll),
                    _ => None,
                },
            });
            (policy, None)
        }
        Cloud::Atlas => {
            let mut atlas = AtlasBackupPolicy {
                restore_window_days: seen.restore_window_days,
                ..AtlasBackupPolicy::default()
            };
            let mut daily = None;
            let mut exact = true;
            for i in &seen.items {
                let entry = AtlasPolicyItem {
                    frequency_interval: i.frequency_interval,
                    retention_value: i.retention_value,
                };
                let slot = match (i.frequency_type.as_str(), i.retention_unit.as_str()) {
                    ("daily", "days") if i.frequency_interval == 1 => &mut daily,
                    ("hourly", "days") => &mut atlas.hourly,
                    ("weekly", "weeks") => &mut atlas.weekly,
                    ("monthly", "months") => &mut atlas.monthly,
                    _ => {
                        exact = false;
                        continue;
                    }
                };
                exact &= slot.replace(entry).is_none();
            }
            if !exact {
                atlas.hourly = None;
                atlas.weekly = None;
                atlas.monthly = None;
                policy.atlas = Some(atlas);
                return (
                    policy,
                    Some("frequencies left out (the schedule has one the spec cannot express); the operator will not manage them".to_owned()),
                );
            }
            policy.retention_days = daily.map(|d| d.retention_value);
            policy.atlas = Some(atlas);
            (policy, None)
        }
    }
}

/// One field the cloud holds differently from the spec: its name under `backupPolicy`, the
/// cloud's value and the spec's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    pub field: &'static str,
    pub from: Option<String>,
    pub to: String,
}

/// The fields `want` sets that `have` holds differently, in spec order.
pub fn differences(want: &BackupPolicySettings, have: &BackupPolicySettings) -> Vec<Difference> {
    fn text<T: ToString>(v: &Option<T>) -> Option<String> {
        v.as_ref().map(ToString::to_string)
    }
    let items = |items: &[PolicyItem]| {
        items
            .iter()
            .map(|i| {
                format!(
                    "{} {} ({} {})",
                    i.frequency_type, i.frequency_interval, i.retention_value, i.retention_unit
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut have_items = have.items.clone();
    have_items.sort();
    let rows: [(&'static str, Option<String>, Option<String>); 10] = [
        (
            "preferredBackupTime",
            text(&want.window),
            text(&have.window),
        ),
        (
            "preferredBackupDays",
            (!want.days.is_empty()).then(|| want.days.join(",")),
            Some(have.days.join(",")),
        ),
        (
            "retentionDays",
            text(&want.retention_days),
            text(&have.retention_days),
        ),
        (
            "aliyun.enableLogBackup",
            text(&want.log_backup),
            text(&have.log_backup),
        ),
        (
            "aliyun.logRetentionDays",
            text(&want.log_retention_days),
            text(&have.log_retention_days),
        ),
        (
            "aliyun.backupIntervalMinutes",
            text(&want.interval_minutes),
            text(&have.interval_minutes),
        ),
        (
            "aliyun.snapshotBackupType",
            text(&want.snapshot_type),
            text(&have.snapshot_type),
        ),
        (
            "aliyun.retentionOnDeletion",
            text(&want.retention_on_deletion),
            text(&have.retention_on_deletion),
        ),
        (
            "atlas.restoreWindowDays",
            text(&want.restore_window_days),
            text(&have.restore_window_days),
        ),
        (
            "atlas.policyItems",
            (!want.items.is_empty()).then(|| items(&want.items)),
            Some(items(&have_items)),
        ),
    ];
    rows.into_iter()
        .filter_map(|(field, to, from)| {
            let to = to?;
            (from.as_deref() != Some(to.as_str())).then_some(Difference { field, from, to })
        })
        .collect()
}

/// The write that makes the cloud hold `want`: the cloud's policy with the spec's fields laid
/// over it (Dds ModifyBackupPolicy then gets every field, as Terraform sends it; Atlas keeps its
/// policy id). `None` when nothing differs.
pub fn change(
    want: &BackupPolicySettings,
    have: &BackupPolicySettings,
) -> Option<BackupPolicySettings> {
    if differences(want, have).is_empty() {
        return None;
    }
    let mut next = have.clone();
    let over = |w: &Option<i32>, h: &mut Option<i32>| {
        if w.is_some() {
            *h = *w;
        }
    };
    if want.window.is_some() {
        next.window = want.window.clone();
    }
    if !want.days.is_empty() {
        next.days = want.days.clone();
    }
    over(&want.retention_days, &mut next.retention_days);
    if want.log_backup.is_some() {
        next.log_backup = want.log_backup;
    }
    over(&want.log_retention_days, &mut next.log_retention_days);
    over(&want.interval_minutes, &mut next.interval_minutes);
    if want.snapshot_type.is_some() {
        next.snapshot_type = want.snapshot_type.clone();
    }
    over(&want.retention_on_deletion, &mut next.retention_on_deletion);
    over(&want.restore_window_days, &mut next.restore_window_days);
    if !want.items.is_empty() {
        next.items = want.items.clone();
    }
    Some(next)
}

/// What the controller read about the backup side of an instance this reconcile.
#[derive(Clone, Copy, Debug, Default)]
pub struct BackupSide<'a> {
    pub cloud: Option<Cloud>,
    /// The cloud's policy, when it was read this reconcile (on the drift timer).
    pub have: Option<&'a BackupPolicySettings>,
    /// What the instance was created from, as recorded in the status.
    pub restore: Option<&'a RestoreRecord>,
    /// Atlas: the restore job, when one is recorded and was read.
    pub job: Option<&'a RestoreJob>,
}

/// The instance planner's step, with the backup side's rules after the instance's own: a
/// changed `restoreFrom` is refused like any create-only field; an Atlas restore still to run
/// (or running) comes before any other write; a policy that differs is put right once the
/// instance needs nothing else.
pub fn next(step: Step, p: &DBInstanceParameters, side: &BackupSide<'_>, mode: Mode) -> Step {
    if matches!(step, Step::Create | Step::Missing(_) | Step::Reject(_)) {
        return step;
    }
    if let Some(invalid) = super::dbinstance_restore::changed(p, side.restore) {
        return Step::Reject(invalid);
    }
    if !mode.plans_writes() {
        return step;
    }
    if let Some(record) = side.restore.filter(|r| !r.finished) {
        return match (&record.restore_job_id, side.job) {
            _ if matches!(step, Step::Wait(_)) => step,
            (None, _) => Step::StartRestore(super::dbinstance_restore::source_of(record)),
            (Some(id), Some(job)) if job.failed => Step::Reject(Invalid::new(
                "spec.forProvider.restoreFrom",
                format!(
                    "restore job {id} failed; delete this DBInstance (the cluster holds partial data) and create a new one"
                ),
            )),
            _ => Step::Wait("Restoring".to_owned()),
        };
    }
    let want = p
        .backup_policy
        .as_deref()
        .zip(side.cloud)
        .map(|(policy, cloud)| desired(policy, cloud));
    match (step, want, side.have) {
        (Step::Steady, Some(want), Some(have)) => {
            change(&want, have).map_or(Step::Steady, Step::BackupPolicy)
        }
        (step, _, _) => step,
    }
}

#[cfg(test)]
#[path = "dbinstance_backup_tests.rs"]
mod tests;
