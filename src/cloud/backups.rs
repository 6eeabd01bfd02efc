//! Cloud-neutral shapes of backup policies, restorable windows and restores.

/// A backup policy as a cloud holds it. In a desired policy `None` (or an empty list) means
/// "leave it as the cloud has it".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BackupPolicySettings {
    /// The daily window, `HH:mmZ-HH:mmZ`.
    pub window: Option<String>,
    /// Weekdays a full backup is taken (`Monday`…), in week order.
    pub days: Vec<String>,
    pub retention_days: Option<i32>,
    /// Dds EnableBackupLog.
    pub log_backup: Option<bool>,
    /// Dds LogBackupRetentionPeriod.
    pub log_retention_days: Option<i32>,
    /// Dds BackupInterval (minutes, -1 = off).
    pub interval_minutes: Option<i32>,
    /// Dds SnapshotBackupType.
    pub snapshot_type: Option<String>,
    /// Dds BackupRetentionPolicyOnClusterDeletion (0, 1, 2).
    pub retention_on_deletion: Option<i32>,
    /// Atlas restoreWindowDays.
    pub restore_window_days: Option<i32>,
    /// Atlas snapshot frequencies, sorted; a desired list replaces the cloud's whole list.
    pub items: Vec<PolicyItem>,
    /// Atlas: the schedule's policy id, which a write of its items must name.
    pub policy_id: Option<String>,
}

/// One Atlas snapshot frequency (`hourly`/`daily`/`weekly`/`monthly`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyItem {
    pub frequency_type: String,
    pub frequency_interval: i32,
    /// `days`, `weeks` or `months`.
    pub retention_unit: String,
    pub retention_value: i32,
}

/// What a cloud reports about an instance's backups: the newest successful one and the window a
/// point-in-time restore can reach (RFC 3339, `None` when there is none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreWindow {
    pub latest_backup_id: Option<String>,
    pub latest_backup_time: Option<String>,
    pub earliest: Option<String>,
    pub latest: Option<String>,
}

/// Where a new instance's data comes from: a backup of `source_id`, or a point in time of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreSource {
    pub source_id: String,
    pub backup_id: Option<String>,
    /// RFC 3339.
    pub restore_time: Option<String>,
}

/// An Atlas restore job as the cloud reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreJob {
    pub id: String,
    pub finished: bool,
    pub failed: bool,
}

/// The weekdays in week order, as Dds spells them.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A weekday's place in the week (unknown words last), to compare day lists in any order.
pub fn weekday_index(day: &str) -> usize {
    WEEKDAYS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(day))
        .unwrap_or(WEEKDAYS.len())
}

/// The start (hour, minute) of an `HH:mmZ-HH:mmZ` window that is exactly one hour long.
pub fn one_hour_window_start(window: &str) -> Option<(u32, u32)> {
    use chrono::Timelike;
    let (start, end) = window.split_once('-')?;
    let parse = |t: &str| chrono::NaiveTime::parse_from_str(t, "%H:%MZ").ok();
    let (start, end) = (parse(start)?, parse(end)?);
    let minutes = |t: chrono::NaiveTime| i64::from(t.num_seconds_from_midnight() / 60);
    ((minutes(end) - minutes(start)).rem_euclid(24 * 60) == 60)
        .then(|| (start.hour(), start.minute()))
}

/// `HH:mmZ-HH:mmZ` for the hour starting at `hour:minute`.
pub fn window_from_start(hour: u32, minute: u32) -> String {
    format!("{hour:02}:{minute:02}Z-{:02}:{minute:02}Z", (hour + 1) % 24)
}
