//! A cluster's backup schedule (`/clusters/{name}/backup/schedule`) and restore jobs
//! (`/clusters/{source}/backup/restoreJobs`). A restore job delivers a completed snapshot
//! (`automated`) or a point in time (`pointInTime`) into another cluster of the project, which
//! must exist and be IDLE; it finishes after one transition period, and the target then records
//! where its data came from (`restoredFrom` in the admin state dump).
//!
//! Continuous backup is modelled without `pitEnabled`: a cluster with cloud backup can be
//! restored to any time from the point of its first completed snapshot (no older than
//! `restoreWindowDays`) until now.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::clusters::{Cluster, not_found};
use super::{Answer, AtlasError, Ctx, Project, iso, new_id};

const DAY_MS: u64 = 24 * 3600 * 1000;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub policy_id: String,
    pub reference_hour_of_day: i64,
    pub reference_minute_of_hour: i64,
    pub restore_window_days: i64,
    pub policy_items: Vec<Value>,
}

impl Default for Schedule {
    /// Atlas' default schedule: snapshots every 6 hours (kept 2 days), daily (7 days), weekly
    /// on Saturday (4 weeks), monthly on the last day (12 months); a 7-day restore window.
    fn default() -> Self {
        let item = |kind: &str, every: i64, unit: &str, keep: i64| {
            json!({"id": new_id(), "frequencyType": kind, "frequencyInterval": every,
                   "retentionUnit": unit, "retentionValue": keep})
        };
        Schedule {
            policy_id: new_id(),
            reference_hour_of_day: 12,
            reference_minute_of_hour: 0,
            restore_window_days: 7,
            policy_items: vec![
                item("hourly", 6, "days", 2),
                item("daily", 1, "days", 7),
                item("weekly", 6, "weeks", 4),
                item("monthly", 40, "months", 12),
            ],
        }
    }
}

/// A restore job, kept on the source cluster.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RestoreJob {
    pub id: String,
    pub delivery_type: String,
    pub snapshot_id: Option<String>,
    pub point_in_time_utc_seconds: Option<i64>,
    pub target_cluster_name: String,
    pub created_ms: u64,
    pub done_ms: u64,
}

fn backed_up<'a>(
    project: &'a mut Project,
    ctx: &Ctx<'_>,
    name: &str,
) -> Result<&'a mut Cluster, AtlasError> {
    let cluster = project
        .clusters
        .get_mut(name)
        .ok_or_else(|| not_found(ctx, name))?;
    if !cluster.backup_enabled {
        return Err(AtlasError::new(
            400,
            "CLOUD_BACKUP_NOT_ENABLED",
            format!("Cloud backup is not enabled for cluster {name}."),
        )
        .param(name));
    }
    Ok(cluster)
}

fn render(cluster: &Cluster, ctx: &Ctx<'_>) -> Value {
    let s = &cluster.schedule;
    json!({
        "autoExportEnabled": false,
        "clusterId": cluster.id,
        "clusterName": cluster.name,
        "copySettings": [],
        "links": ctx.link(&format!("/groups/{}/clusters/{}/backup/schedule", ctx.group, cluster.name)),
        "nextSnapshot": iso(ctx.now.saturating_add(6 * 3600 * 1000)),
        "policies": [{"id": s.policy_id, "policyItems": s.policy_items}],
        "referenceHourOfDay": s.reference_hour_of_day,
        "referenceMinuteOfHour": s.reference_minute_of_hour,
        "restoreWindowDays": s.restore_window_days,
        "useOrgAndGroupNamesInExportPrefix": false,
    })
}

pub fn get(project: &mut Project, ctx: &Ctx<'_>, name: &str) -> Answer {
    let cluster = backed_up(project, ctx, name)?;
    Ok((StatusCode::OK, Some(render(cluster, ctx))))
}

pub fn update(project: &mut Project, ctx: &Ctx<'_>, name: &str, body: &Value) -> Answer {
    let cluster = backed_up(project, ctx, name)?;
    let mut next = cluster.schedule.clone();
    apply(&mut next, body)?;
    cluster.schedule = next;
    Ok((StatusCode::OK, Some(render(cluster, ctx))))
}

/// Applies a schedule PATCH, checking each field as Atlas does. Also used by the admin
/// endpoint for out-of-band changes.
pub fn apply(s: &mut Schedule, body: &Value) -> Result<(), AtlasError> {
    let int =
        |key: &str, range: std::ops::RangeInclusive<i64>| -> Result<Option<i64>, AtlasError> {
            match body.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .filter(|n| range.contains(n))
                    .map(Some)
                    .ok_or_else(|| AtlasError::invalid(key)),
            }
        };
    if let Some(h) = int("referenceHourOfDay", 0..=23)? {
        s.reference_hour_of_day = h;
    }
    if let Some(m) = int("referenceMinuteOfHour", 0..=59)? {
        s.reference_minute_of_hour = m;
    }
    if let Some(d) = int("restoreWindowDays", 1..=365)? {
        s.restore_window_days = d;
    }
    if let Some(policies) = body.get("policies").and_then(Value::as_array) {
        let policy = policies
            .first()
            .ok_or_else(|| AtlasError::invalid("policies"))?;
        if policy.get("id").and_then(Value::as_str) != Some(s.policy_id.as_str()) {
            return Err(AtlasError::new(
                400,
                "INVALID_BACKUP_POLICY_ID",
                "The backup policy id does not belong to this cluster's schedule.",
            ));
        }
        let items = policy
            .get("policyItems")
            .and_then(Value::as_array)
            .ok_or_else(|| AtlasError::missing("policyItems"))?;
        s.policy_items = items.iter().map(policy_item).collect::<Result<_, _>>()?;
    }
    Ok(())
}

fn policy_item(item: &Value) -> Result<Value, AtlasError> {
    let kind = item
        .get("frequencyType")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let every = item
        .get("frequencyInterval")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let unit = item
        .get("retentionUnit")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let keep = item
        .get("retentionValue")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let every_ok = match kind {
        "hourly" => [1, 2, 4, 6, 8, 12].contains(&every),
        "daily" => every == 1,
        "weekly" => (1..=7).contains(&every),
        "monthly" => (1..=28).contains(&every) || every == 40,
        _ => return Err(AtlasError::invalid("frequencyType")),
    };
    if !every_ok {
        return Err(AtlasError::invalid("frequencyInterval"));
    }
    if !["days", "weeks", "months", "years"].contains(&unit) || keep < 1 {
        return Err(AtlasError::invalid("retentionValue"));
    }
    Ok(
        json!({"id": item.get("id").cloned().unwrap_or_else(|| json!(new_id())),
              "frequencyType": kind, "frequencyInterval": every,
              "retentionUnit": unit, "retentionValue": keep}),
    )
}

/// The point-in-time window of a cluster, in ms.
pub fn window(cluster: &Cluster, now: u64) -> Option<(u64, u64)> {
    let days = u64::try_from(cluster.schedule.restore_window_days).unwrap_or(0);
    let oldest_allowed = now.saturating_sub(days.saturating_mul(DAY_MS));
    cluster
        .snapshots
        .values()
        .filter(|s| s.status(now) == "completed")
        .map(|s| s.created_ms)
        .min()
        .filter(|_| cluster.backup_enabled)
        .map(|first| (first.max(oldest_allowed), now))
}

pub fn create_restore(project: &mut Project, ctx: &Ctx<'_>, name: &str, body: &Value) -> Answer {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
    let delivery = text("deliveryType").ok_or_else(|| AtlasError::missing("deliveryType"))?;
    let target =
        text("targetClusterName").ok_or_else(|| AtlasError::missing("targetClusterName"))?;
    if text("targetGroupId").as_deref() != Some(ctx.group) {
        return Err(AtlasError::invalid("targetGroupId"));
    }
    match project.clusters.get(&target) {
        None => return Err(not_found(ctx, &target)),
        Some(t) if t.state_name != "IDLE" => {
            return Err(AtlasError::new(
                409,
                "CLUSTER_NOT_IDLE",
                format!(
                    "Cannot restore into cluster {target} while it is {}.",
                    t.state_name
                ),
            )
            .param(target.as_str()));
        }
        Some(_) => {}
    }
    let source = backed_up(project, ctx, name)?;
    let (snapshot_id, point) = match delivery.as_str() {
        "automated" => {
            let id = text("snapshotId").ok_or_else(|| AtlasError::missing("snapshotId"))?;
            match source.snapshots.get(&id) {
                None => {
                    return Err(AtlasError::new(
                        404,
                        "SNAPSHOT_NOT_FOUND",
                        format!("No snapshot with ID {id} exists for cluster {name}."),
                    )
                    .param(id.as_str())
                    .param(name));
                }
                Some(s) if s.status(ctx.now) != "completed" => {
                    return Err(AtlasError::new(
                        400,
                        "SNAPSHOT_NOT_COMPLETE",
                        format!(
                            "Snapshot {id} is {}; only a completed snapshot can be restored.",
                            s.status(ctx.now)
                        ),
                    )
                    .param(id.as_str()));
                }
                Some(_) => (Some(id), None),
            }
        }
        "pointInTime" => {
            let at = body
                .get("pointInTimeUTCSeconds")
                .and_then(Value::as_i64)
                .ok_or_else(|| AtlasError::missing("pointInTimeUTCSeconds"))?;
            let at_ms = u64::try_from(at).unwrap_or(0).saturating_mul(1000);
            match window(source, ctx.now) {
                Some((from, to)) if (from / 1000 * 1000..=to).contains(&at_ms) => (None, Some(at)),
                Some((from, to)) => {
                    return Err(AtlasError::new(
                        400,
                        "INVALID_POINT_IN_TIME_RESTORE_TIME",
                        format!("The point in time {} is outside the restore window {} to {} of cluster {name}.", iso(at_ms), iso(from), iso(to)),
                    )
                    .param(name));
                }
                None => {
                    return Err(AtlasError::new(
                        400,
                        "INVALID_POINT_IN_TIME_RESTORE_TIME",
                        format!(
                            "Cluster {name} has no restore window yet (no completed snapshot)."
                        ),
                    )
                    .param(name));
                }
            }
        }
        _ => return Err(AtlasError::invalid("deliveryType")),
    };
    let job = RestoreJob {
        id: new_id(),
        delivery_type: delivery,
        snapshot_id,
        point_in_time_utc_seconds: point,
        target_cluster_name: target.clone(),
        created_ms: ctx.now,
        done_ms: ctx.now.saturating_add(ctx.transition_ms),
    };
    let answer = render_job(&job, ctx, name);
    let restored = json!({"sourceClusterName": name, "restoreJobId": job.id,
                          "snapshotId": job.snapshot_id, "pointInTimeUTCSeconds": job.point_in_time_utc_seconds});
    source.restore_jobs.insert(job.id.clone(), job);
    if let Some(t) = project.clusters.get_mut(&target) {
        t.restored_from = Some(restored);
    }
    Ok((StatusCode::CREATED, Some(answer)))
}

fn render_job(job: &RestoreJob, ctx: &Ctx<'_>, source: &str) -> Value {
    let finished = ctx.now >= job.done_ms;
    let mut body = json!({
        "id": job.id,
        "cancelled": false,
        "deliveryType": job.delivery_type,
        "expired": false,
        "failed": false,
        "targetClusterName": job.target_cluster_name,
        "targetGroupId": ctx.group,
        "timestamp": iso(job.created_ms),
        "links": ctx.link(&format!("/groups/{}/clusters/{source}/backup/restoreJobs/{}", ctx.group, job.id)),
    });
    if let Some(id) = &job.snapshot_id {
        body["snapshotId"] = json!(id);
    }
    if let Some(at) = job.point_in_time_utc_seconds {
        body["pointInTimeUTCSeconds"] = json!(at);
    }
    if finished {
        body["finishedAt"] = json!(iso(job.done_ms));
    }
    body
}

pub fn get_restore(project: &mut Project, ctx: &Ctx<'_>, name: &str, id: &str) -> Answer {
    let source = project
        .clusters
        .get(name)
        .ok_or_else(|| not_found(ctx, name))?;
    let job = source.restore_jobs.get(id).ok_or_else(|| {
        AtlasError::new(
            404,
            "RESTORE_JOB_NOT_FOUND",
            format!("No restore job with ID {id} exists for cluster {name}."),
        )
        .param(id)
    })?;
    Ok((StatusCode::OK, Some(render_job(job, ctx, name))))
}
