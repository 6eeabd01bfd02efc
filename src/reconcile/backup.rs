//! Backup rules: start exactly once, follow to the end, never retry a failure silently.

use chrono::{DateTime, Duration as TimeDelta, Utc};

use super::{Invalid, Mode};
use crate::api::backup::{BackupMethod, BackupSpec, BackupStatus};
use crate::api::conditions::{self, Condition};
use crate::cloud::BackupInfo;

pub const SUCCESS: &str = "Success";
pub const FAILED: &str = "Failed";

pub fn method_name(method: BackupMethod) -> &'static str {
    match method {
        BackupMethod::Logical => "Logical",
        BackupMethod::Physical => "Physical",
    }
}

pub fn validate(spec: &BackupSpec, status: Option<&BackupStatus>) -> Result<(), Invalid> {
    super::instance_target(&spec.for_provider.instance)?;
    if let Some(started) = status.and_then(|s| s.started_method)
        && started != spec.for_provider.method
    {
        return Err(Invalid::new(
            "spec.forProvider.method",
            format!(
                "cannot change after the backup was started (is {}); create a new Backup instead",
                method_name(started)
            ),
        ));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Follow the recorded backup.
    Follow(String),
    /// A start was requested earlier but its id was lost: adopt this backup found in the window.
    Adopt(String),
    Start,
    Wait,
}

/// How far around the recorded start request a lost backup is looked for.
const ADOPT_WINDOW_SECS: i64 = 600;

/// What is known when a start may have been lost (status has `startRequestedAt` but no id).
pub struct LostStart<'a> {
    pub requested_at: Option<DateTime<Utc>>,
    /// The instance's backups as the cloud lists them.
    pub backups: &'a [BackupInfo],
    /// Backup ids other Backup objects of the instance recorded.
    pub claimed: &'a [String],
    /// This Backup object's UID.
    pub owner: &'a str,
}

/// Decides from the status alone, and from the instance's backups when a start may have been
/// lost: never a second backup for one resource. A backup another Backup recorded, or one the
/// cloud says another Backup started (its owner), is never adopted, so a lost start cannot
/// take over a neighbour's backup started in the same window.
pub fn plan(status: &BackupStatus, lost: &LostStart<'_>, method: BackupMethod, mode: Mode) -> Step {
    if let Some(id) = &status.backup_id {
        return Step::Follow(id.clone());
    }
    if let Some(asked) = lost.requested_at {
        let from = asked - TimeDelta::seconds(60);
        let to = asked + TimeDelta::seconds(ADOPT_WINDOW_SECS);
        let found = lost
            .backups
            .iter()
            .filter(|b| b.method.as_deref().is_none_or(|m| is_started_as(m, method)))
            .filter(|b| started(b).is_some_and(|t| t >= from && t <= to))
            .filter(|b| !lost.claimed.contains(&b.id))
            .filter(|b| b.owner.as_deref().is_none_or(|o| o == lost.owner))
            .min_by_key(|b| started(b));
        if let Some(found) = found {
            return Step::Adopt(found.id.clone());
        }
    }
    if mode.plans_writes() {
        Step::Start
    } else {
        Step::Wait
    }
}

/// Whether a backup the cloud lists could be the one a start of `method` made: Dds reports the
/// method itself; Atlas reports the snapshot type, and every start is an `onDemand` snapshot
/// (a `scheduled` one is the backup policy's, never ours).
fn is_started_as(listed: &str, method: BackupMethod) -> bool {
    listed.eq_ignore_ascii_case(method_name(method)) || listed == ATLAS_ON_DEMAND
}

const ATLAS_ON_DEMAND: &str = "onDemand";

fn started(b: &BackupInfo) -> Option<DateTime<Utc>> {
    let text = b.start_time.as_deref()?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%MZ")
                .ok()
                .map(|t| t.and_utc())
        })
}

/// `Ready` from the backup's cloud status.
pub fn ready_condition(backup: Option<&BackupInfo>) -> Condition {
    match backup {
        None => Condition::not_ready("Pending", "the backup has not started"),
        Some(b) if b.status == SUCCESS => Condition::ready(
            conditions::REASON_AVAILABLE,
            format!("backup {} finished", b.id),
        ),
        Some(b) if b.status == FAILED => Condition::not_ready(
            conditions::REASON_BACKUP_FAILED,
            format!(
                "backup {} failed in the cloud; it is not retried: create a new Backup",
                b.id
            ),
        ),
        Some(b) => Condition::not_ready("Running", format!("backup {} is {}", b.id, b.status)),
    }
}

pub fn is_finished(backup: &BackupInfo) -> bool {
    backup.status == SUCCESS || backup.status == FAILED
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 1, h, m, 0)
            .single()
            .expect("time")
    }

    fn backup(id: &str, start: &str, method: &str) -> BackupInfo {
        BackupInfo {
            id: id.into(),
            status: "Running".into(),
            method: Some(method.into()),
            start_time: Some(start.into()),
            ..BackupInfo::default()
        }
    }

    /// An Atlas on-demand snapshot marked with the Backup that took it.
    fn owned(id: &str, owner: &str) -> BackupInfo {
        BackupInfo {
            owner: Some(owner.into()),
            ..backup(id, "2026-06-01T12:00:30Z", "onDemand")
        }
    }

    #[test]
    fn plan_rules() {
        let recorded = BackupStatus {
            backup_id: Some("b-1".into()),
            ..BackupStatus::default()
        };
        let fresh = BackupStatus::default();
        let others = vec![
            backup("b-old", "2026-06-01T09:00:00Z", "Physical"),
            backup("b-mine", "2026-06-01T12:01Z", "Physical"),
        ];
        let cases = [
            (
                "recorded id is followed",
                recorded,
                None,
                vec![],
                Mode::Active,
                Step::Follow("b-1".into()),
            ),
            (
                "first reconcile starts",
                fresh.clone(),
                None,
                vec![],
                Mode::Active,
                Step::Start,
            ),
            (
                "blocked never starts",
                fresh.clone(),
                None,
                vec![],
                Mode::Blocked,
                Step::Wait,
            ),
            (
                "a preview plans the start (the gate withholds it)",
                fresh.clone(),
                None,
                vec![],
                Mode::Preview,
                Step::Start,
            ),
            (
                "lost id is found in the window",
                fresh.clone(),
                Some(at(12, 0)),
                others.clone(),
                Mode::Active,
                Step::Adopt("b-mine".into()),
            ),
            (
                "other method is not adopted",
                fresh.clone(),
                Some(at(12, 0)),
                vec![backup("b-l", "2026-06-01T12:01:00Z", "Logical")],
                Mode::Active,
                Step::Start,
            ),
            (
                "a backup another Backup recorded is not adopted",
                fresh.clone(),
                Some(at(12, 0)),
                others.clone(),
                Mode::Active,
                Step::Start,
            ),
            (
                "an Atlas on-demand snapshot is adopted whatever the method",
                fresh.clone(),
                Some(at(12, 0)),
                vec![backup("s-1", "2026-06-01T12:00:30Z", "onDemand")],
                Mode::Active,
                Step::Adopt("s-1".into()),
            ),
            (
                "an Atlas scheduled snapshot is never adopted",
                fresh.clone(),
                Some(at(12, 0)),
                vec![backup("s-2", "2026-06-01T12:00:30Z", "scheduled")],
                Mode::Active,
                Step::Start,
            ),
            (
                "an Atlas snapshot another Backup took (its owner) is not adopted",
                fresh.clone(),
                Some(at(12, 0)),
                vec![owned("s-3", "uid-other")],
                Mode::Active,
                Step::Start,
            ),
            (
                "an Atlas snapshot this Backup took is adopted",
                fresh.clone(),
                Some(at(12, 0)),
                vec![owned("s-3", "uid-other"), owned("s-4", "uid-me")],
                Mode::Active,
                Step::Adopt("s-4".into()),
            ),
            (
                "old backups are not adopted",
                fresh,
                Some(at(12, 0)),
                vec![others[0].clone()],
                Mode::Active,
                Step::Start,
            ),
        ];
        for (name, status, asked, backups, mode, expected) in cases {
            let claimed = if name.contains("another Backup") {
                vec!["b-mine".to_owned()]
            } else {
                vec![]
            };
            let lost = LostStart {
                requested_at: asked,
                backups: &backups,
                claimed: &claimed,
                owner: "uid-me",
            };
            assert_eq!(
                plan(&status, &lost, BackupMethod::Physical, mode),
                expected,
                "case {name}"
            );
        }
    }

    #[test]
    fn method_is_immutable_once_started() {
        let spec: BackupSpec = serde_json::from_value(serde_json::json!({"forProvider": {"dbInstanceId": "dds-abcd1234", "method": "Logical"}})).expect("spec");
        let started = BackupStatus {
            started_method: Some(BackupMethod::Physical),
            ..BackupStatus::default()
        };
        assert_eq!(
            validate(&spec, Some(&started))
                .err()
                .map(|i| i.field)
                .as_deref(),
            Some("spec.forProvider.method")
        );
        assert!(validate(&spec, None).is_ok());
    }

    #[test]
    fn ready_follows_the_backup() {
        let mut b = backup("b", "2026-06-01T12:00:00Z", "Physical");
        assert_eq!(ready_condition(Some(&b)).reason, "Running");
        b.status = SUCCESS.into();
        assert!(ready_condition(Some(&b)).is_true());
        b.status = FAILED.into();
        assert_eq!(ready_condition(Some(&b)).reason, "BackupFailed");
    }
}
