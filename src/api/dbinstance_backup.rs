//! The backup side of a DBInstance: its backup policy (`spec.forProvider.backupPolicy`), the
//! backup or point in time it is created from (`spec.forProvider.restoreFrom`), and what the
//! cloud reports about its backups (`status.backups`, `status.restoredFrom`).
//!
//! A field of the DBInstance rather than a kind of its own: a policy belongs to exactly one
//! instance, the cloud stores it on the instance (Dds DescribeBackupPolicy, the Atlas cluster's
//! backup schedule), and an instance without one still has the cloud's default, so a second
//! object could only disagree with the first about who owns it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::LocalReference;
use super::patterns;

/// A weekday, as Dds spells it in `PreferredBackupPeriod`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Weekday::Monday => "Monday",
            Weekday::Tuesday => "Tuesday",
            Weekday::Wednesday => "Wednesday",
            Weekday::Thursday => "Thursday",
            Weekday::Friday => "Friday",
            Weekday::Saturday => "Saturday",
            Weekday::Sunday => "Sunday",
        }
    }
}

/// When backups are taken and how long they are kept. Fields left out are left as the cloud has
/// them; a field the instance's cloud cannot do is refused, naming it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupPolicy {
    /// The daily backup window, one hour, UTC: `HH:mmZ-HH:mmZ`, e.g. `02:00Z-03:00Z` (Dds
    /// PreferredBackupTime; Atlas the schedule's reference hour and minute, the window's start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::HH_MM_Z_RANGE))]
    pub preferred_backup_time: Option<String>,
    /// Days a full backup is taken (Dds PreferredBackupPeriod). Atlas takes its daily snapshot
    /// every day: there only all seven days are accepted (weekly snapshots are `atlas.weekly`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(min = 1, max = 7), extend("x-kubernetes-list-type" = "set"))]
    pub preferred_backup_days: Vec<Weekday>,
    /// Days full backups are kept: Dds BackupRetentionPeriod (7-730); Atlas the retention of the
    /// daily snapshot (1-730).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 730))]
    pub retention_days: Option<i32>,
    /// Aliyun only: log backup (point-in-time restore), high-frequency backups, snapshot type and
    /// what happens to backups when the instance is released.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aliyun: Option<AliyunBackupPolicy>,
    /// Atlas only: the continuous-backup restore window and further snapshot frequencies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub atlas: Option<AtlasBackupPolicy>,
}

/// Dds snapshot backup type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SnapshotBackupType {
    Standard,
    /// Fast snapshots (cloud disks only).
    Flash,
}

/// What Dds keeps when the instance is released (BackupRetentionPolicyOnClusterDeletion 0/1/2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum RetentionOnDeletion {
    /// 0: every backup is deleted with the instance.
    DeleteAll,
    /// 1: the last backup is kept.
    KeepLast,
    /// 2: every backup is kept.
    KeepAll,
}

impl RetentionOnDeletion {
    pub fn code(self) -> i32 {
        match self {
            RetentionOnDeletion::DeleteAll => 0,
            RetentionOnDeletion::KeepLast => 1,
            RetentionOnDeletion::KeepAll => 2,
        }
    }
}

/// The Dds-only part of a backup policy (ModifyBackupPolicy).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AliyunBackupPolicy {
    /// Log backup (EnableBackupLog): needed for point-in-time restore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_log_backup: Option<bool>,
    /// Days log backups are kept (LogBackupRetentionPeriod, 7-730, at most `retentionDays`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 7, max = 730))]
    pub log_retention_days: Option<i32>,
    /// High-frequency backups every N minutes (BackupInterval), or -1 for off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = [-1, 15, 30, 60, 120, 180, 240, 360, 480, 720]))]
    pub backup_interval_minutes: Option<i32>,
    /// SnapshotBackupType.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_backup_type: Option<SnapshotBackupType>,
    /// BackupRetentionPolicyOnClusterDeletion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_on_deletion: Option<RetentionOnDeletion>,
}

/// One Atlas snapshot frequency: every `frequencyInterval` (hours for hourly, the weekday 1-7
/// for weekly, the day of the month 1-28, or 40 for the last, for monthly), kept for
/// `retentionValue` (days, weeks or months).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasPolicyItem {
    #[schemars(range(min = 1, max = 40))]
    pub frequency_interval: i32,
    #[schemars(range(min = 1, max = 730))]
    pub retention_value: i32,
}

/// The Atlas-only part of a backup policy (the cluster's backup schedule).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasBackupPolicy {
    /// Days of continuous backup a point-in-time restore can reach (restoreWindowDays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub restore_window_days: Option<i32>,
    /// Snapshots every 1, 2, 4, 6, 8 or 12 hours, kept `retentionValue` days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly: Option<AtlasPolicyItem>,
    /// A snapshot on weekday `frequencyInterval` (1 = Monday), kept `retentionValue` weeks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly: Option<AtlasPolicyItem>,
    /// A snapshot on day `frequencyInterval` of the month (40 = the last), kept
    /// `retentionValue` months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly: Option<AtlasPolicyItem>,
}

/// What a new instance is created from: a backup of another instance, or a point in time of it.
/// Create-only: changing it on an existing instance is refused, never "fixed" by replacing it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreFrom {
    /// A Backup (same namespace); its instance is the source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_ref: Option<LocalReference>,
    /// A backup id of the source instance (Dds BackupId, Atlas snapshot id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::BACKUP_ID))]
    pub backup_id: Option<String>,
    /// The source instance as a DBInstance (same namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_instance_ref: Option<LocalReference>,
    /// The source instance's cloud id (Aliyun `dds-…`), for an instance not managed here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::DDS_INSTANCE_ID))]
    pub source_instance_id: Option<String>,
    /// The point in time to restore (RFC 3339), inside the source's restorable window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::RFC3339), extend("format" = "date-time"))]
    pub restore_time: Option<String>,
}

/// What the cloud reports about the instance's backups (read on the drift timer).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BackupsObservation {
    /// End of the newest successful backup (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_backup_time: Option<String>,
    /// Its id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_backup_id: Option<String>,
    /// The earliest point a point-in-time restore can reach, when the cloud reports a window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_restore_time: Option<String>,
    /// The latest such point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_restore_time: Option<String>,
}

/// What this instance was created from, recorded when the create (or the Atlas restore job) was
/// sent, so `restoreFrom` can be held to it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RestoreRecord {
    /// The source instance's cloud id.
    pub source_instance_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_time: Option<String>,
    /// The `restoreFrom` this was made for, as written in the spec.
    pub requested: RestoreFrom,
    /// Atlas: the restore job delivering the data into the new cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_job_id: Option<String>,
    /// Atlas: the restore job finished.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finished: bool,
}
