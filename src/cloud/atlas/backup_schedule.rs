//! A cluster's backup schedule (`getBackupSchedule` / `updateBackupSchedule`), its restorable
//! window, and restore jobs (`createBackupRestoreJob` / `getBackupRestoreJob`).

use reqwest::Method;
use serde_json::{Value, json};

use super::provider::{AtlasProvider, encode, id_of};
use super::versions::Endpoint;
use crate::cloud::{
    BackupPolicySettings, CloudError, ErrorClass, PolicyItem, RestoreJob, RestoreSource,
    RestoreWindow,
};

/// The schedule's fields in the neutral shape; the window is the hour from the reference time.
pub fn schedule(v: &Value) -> BackupPolicySettings {
    let int = |v: &Value, k: &str| v.get(k).and_then(Value::as_i64);
    let policy = v
        .get("policies")
        .and_then(Value::as_array)
        .and_then(|p| p.first());
    let mut items: Vec<PolicyItem> = policy
        .and_then(|p| p.get("policyItems"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            Some(PolicyItem {
                frequency_type: i.get("frequencyType")?.as_str()?.to_owned(),
                frequency_interval: i32::try_from(int(i, "frequencyInterval")?).ok()?,
                retention_unit: i.get("retentionUnit")?.as_str()?.to_ascii_lowercase(),
                retention_value: i32::try_from(int(i, "retentionValue")?).ok()?,
            })
        })
        .collect();
    items.sort();
    let window = int(v, "referenceHourOfDay")
        .zip(int(v, "referenceMinuteOfHour"))
        .and_then(|(h, m)| Some((u32::try_from(h).ok()?, u32::try_from(m).ok()?)))
        .map(|(h, m)| crate::cloud::window_from_start(h, m));
    BackupPolicySettings {
        window,
        restore_window_days: int(v, "restoreWindowDays").and_then(|d| i32::try_from(d).ok()),
        items,
        policy_id: policy
            .and_then(|p| p.get("id"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..BackupPolicySettings::default()
    }
}

/// The PATCH body: only what the policy holds; items go with the schedule's policy id.
pub fn schedule_body(p: &BackupPolicySettings) -> Value {
    let mut body = json!({});
    if let Some((h, m)) = p
        .window
        .as_deref()
        .and_then(crate::cloud::one_hour_window_start)
    {
        body["referenceHourOfDay"] = json!(h);
        body["referenceMinuteOfHour"] = json!(m);
    }
    if let Some(days) = p.restore_window_days {
        body["restoreWindowDays"] = json!(days);
    }
    if let (false, Some(id)) = (p.items.is_empty(), &p.policy_id) {
        let items: Vec<Value> = p
            .items
            .iter()
            .map(|i| {
                json!({"frequencyType": i.frequency_type, "frequencyInterval": i.frequency_interval,
                       "retentionUnit": i.retention_unit, "retentionValue": i.retention_value})
            })
            .collect();
        body["policies"] = json!([{"id": id, "policyItems": items}]);
    }
    body
}

impl AtlasProvider {
    fn schedule_path(&self, cluster: &str) -> String {
        self.path(&format!("/clusters/{}/backup/schedule", encode(cluster)))
    }

    pub(super) async fn get_schedule(
        &self,
        cluster: &str,
    ) -> Result<BackupPolicySettings, CloudError> {
        let path = self.schedule_path(cluster);
        let v = self
            .call(
                "getBackupSchedule",
                Method::GET,
                &path,
                Endpoint::Project,
                None,
            )
            .await?;
        Ok(schedule(&v))
    }

    pub(super) async fn patch_schedule(
        &self,
        cluster: &str,
        policy: &BackupPolicySettings,
    ) -> Result<(), CloudError> {
        let path = self.schedule_path(cluster);
        let body = schedule_body(policy);
        self.call(
            "updateBackupSchedule",
            Method::PATCH,
            &path,
            Endpoint::Project,
            Some(&body),
        )
        .await
        .map(drop)
    }

    /// Snapshots (newest completed) and the schedule's restore window: two calls. Atlas
    /// reports no window itself: it reaches from the first completed snapshot, but no further
    /// than `restoreWindowDays`, to now.
    pub(super) async fn window(&self, cluster: &str) -> Result<RestoreWindow, CloudError> {
        use crate::cloud::Provider;
        let snapshots = self.describe_backups(cluster, None).await?;
        let done: Vec<_> = snapshots.iter().filter(|b| b.status == "Success").collect();
        let days = self
            .get_schedule(cluster)
            .await?
            .restore_window_days
            .unwrap_or(0);
        let now = chrono::Utc::now();
        let oldest_allowed = now - chrono::Duration::days(i64::from(days));
        let first = done
            .iter()
            .filter_map(|b| b.start_time.as_deref())
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .min();
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%SZ").to_string();
        Ok(RestoreWindow {
            latest_backup_id: done.first().map(|b| b.id.clone()),
            latest_backup_time: done.first().and_then(|b| b.start_time.clone()),
            earliest: first.map(|f| stamp(f.with_timezone(&chrono::Utc).max(oldest_allowed))),
            latest: first.map(|_| stamp(now)),
        })
    }

    pub(super) async fn post_restore_job(
        &self,
        target: &str,
        source: &RestoreSource,
    ) -> Result<String, CloudError> {
        let mut body = json!({"targetClusterName": target, "targetGroupId": self.project()});
        match (&source.backup_id, &source.restore_time) {
            (Some(id), _) => {
                body["deliveryType"] = json!("automated");
                body["snapshotId"] = json!(id);
            }
            (None, Some(time)) => {
                let at = chrono::DateTime::parse_from_rfc3339(time)
                    .map_err(|_| invalid_time(time))?
                    .timestamp();
                body["deliveryType"] = json!("pointInTime");
                body["pointInTimeUTCSeconds"] = json!(at);
            }
            (None, None) => return Err(invalid_time("(none)")),
        }
        let path = self.path(&format!(
            "/clusters/{}/backup/restoreJobs",
            encode(&source.source_id)
        ));
        let answer = self
            .call(
                "createBackupRestoreJob",
                Method::POST,
                &path,
                Endpoint::Project,
                Some(&body),
            )
            .await?;
        id_of(&answer, "createBackupRestoreJob", "restore job")
    }

    pub(super) async fn get_restore_job(
        &self,
        source: &str,
        id: &str,
    ) -> Result<RestoreJob, CloudError> {
        let path = self.path(&format!(
            "/clusters/{}/backup/restoreJobs/{}",
            encode(source),
            encode(id)
        ));
        let v = self
            .call(
                "getBackupRestoreJob",
                Method::GET,
                &path,
                Endpoint::Project,
                None,
            )
            .await?;
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        Ok(RestoreJob {
            id: id.to_owned(),
            finished: v.get("finishedAt").is_some_and(|f| !f.is_null()),
            failed: flag("failed") || flag("cancelled") || flag("expired"),
        })
    }
}

fn invalid_time(time: &str) -> CloudError {
    CloudError {
        action: "createBackupRestoreJob",
        class: ErrorClass::Terminal,
        code: "InvalidRestoreTime".to_owned(),
        message: format!("restore time {time} is not an RFC 3339 time"),
        request_id: String::new(),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_as_it_is_written() {
        let answer = json!({
            "referenceHourOfDay": 2, "referenceMinuteOfHour": 30, "restoreWindowDays": 3,
            "policies": [{"id": "p1", "policyItems": [
                {"id": "a", "frequencyType": "daily", "frequencyInterval": 1, "retentionUnit": "days", "retentionValue": 14},
                {"id": "b", "frequencyType": "hourly", "frequencyInterval": 6, "retentionUnit": "days", "retentionValue": 2}
            ]}]
        });
        let p = schedule(&answer);
        assert_eq!(p.window.as_deref(), Some("02:30Z-03:30Z"));
        assert_eq!(p.restore_window_days, Some(3));
        assert_eq!(p.policy_id.as_deref(), Some("p1"));
        assert_eq!(p.items[0].frequency_type, "daily");
        let body = schedule_body(&p);
        assert_eq!(body["referenceHourOfDay"], 2);
        assert_eq!(body["referenceMinuteOfHour"], 30);
        assert_eq!(body["policies"][0]["id"], "p1");
        assert_eq!(
            body["policies"][0]["policyItems"][1]["frequencyInterval"],
            6
        );
    }
}
