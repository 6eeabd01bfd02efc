//! On-demand cloud backup snapshots (`/groups/{groupId}/clusters/{name}/backup/snapshots`).
//! A snapshot is queued for one transition period, inProgress for the next, then completed;
//! its status is computed from its age, so nothing needs settling.

use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Value, json};

use super::clusters::{Cluster, not_found};
use super::{Answer, AtlasError, Ctx, Project, iso, new_id, page};

const DAY_MS: u64 = 24 * 3600 * 1000;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    pub id: String,
    pub description: String,
    pub retention_in_days: u64,
    pub created_ms: u64,
    /// One transition period (ms), as it was when the snapshot was taken.
    pub step_ms: u64,
    pub replica_set_name: String,
    pub mongod_version: String,
}

impl Snapshot {
    pub fn status(&self, now: u64) -> &'static str {
        let age = now.saturating_sub(self.created_ms);
        if age < self.step_ms {
            "queued"
        } else if age < self.step_ms.saturating_mul(2) {
            "inProgress"
        } else {
            "completed"
        }
    }

    fn render(&self, ctx: &Ctx<'_>, cluster: &str, detailed: bool) -> Value {
        let status = self.status(ctx.now);
        let mut body = json!({
            "copyRegions": [],
            "description": self.description,
            "expiresAt": iso(self.created_ms.saturating_add(self.retention_in_days.saturating_mul(DAY_MS))),
            "frequencyType": "ondemand",
            "id": self.id,
            "links": ctx.link(&format!(
                "/groups/{}/clusters/{cluster}/backup/snapshots/{}",
                ctx.group, self.id
            )),
            "policyItems": [],
            "replicaSetName": self.replica_set_name,
            "snapshotType": "onDemand",
            "status": status,
            "storageSizeBytes": if status == "completed" { 1_048_576 } else { 0 },
            "type": "replicaSet",
        });
        if detailed {
            body["createdAt"] = json!(iso(self.created_ms));
            body["cloudProvider"] = json!("AWS");
            body["mongodVersion"] = json!(self.mongod_version);
        }
        body
    }
}

fn cluster<'a>(
    project: &'a mut Project,
    ctx: &Ctx<'_>,
    name: &str,
) -> Result<&'a mut Cluster, AtlasError> {
    project
        .clusters
        .get_mut(name)
        .ok_or_else(|| not_found(ctx, name))
}

fn snapshot_not_found(id: &str, cluster: &str) -> AtlasError {
    AtlasError::new(
        404,
        "RESOURCE_NOT_FOUND",
        format!("No snapshot with ID {id} exists for cluster {cluster}."),
    )
    .param(id)
    .param(cluster)
}

pub fn list(project: &mut Project, ctx: &Ctx<'_>, name: &str) -> Answer {
    let cluster = cluster(project, ctx, name)?;
    let mut snapshots: Vec<&Snapshot> = cluster.snapshots.values().collect();
    snapshots.sort_by_key(|s| std::cmp::Reverse(s.created_ms));
    let items = snapshots
        .into_iter()
        .map(|s| s.render(ctx, name, true))
        .collect();
    let path = format!("/groups/{}/clusters/{name}/backup/snapshots", ctx.group);
    Ok((StatusCode::OK, Some(page::paginate(ctx, &path, items)?)))
}

pub fn take(project: &mut Project, ctx: &Ctx<'_>, name: &str, body: &Value) -> Answer {
    let fields = match body {
        Value::Object(fields) => fields,
        Value::Null => return Err(AtlasError::missing("retentionInDays")),
        _ => return Err(AtlasError::invalid("body")),
    };
    if let Some(unknown) = fields
        .keys()
        .find(|k| !["description", "retentionInDays"].contains(&k.as_str()))
    {
        return Err(AtlasError::invalid(unknown));
    }
    let description = match fields.get("description") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(d)) => d.clone(),
        Some(_) => return Err(AtlasError::invalid("description")),
    };
    let retention = match fields.get("retentionInDays") {
        None | Some(Value::Null) => return Err(AtlasError::missing("retentionInDays")),
        Some(v) => v
            .as_u64()
            .filter(|d| *d >= 1)
            .ok_or_else(|| AtlasError::invalid("retentionInDays"))?,
    };
    let cluster = cluster(project, ctx, name)?;
    if !cluster.backup_enabled {
        return Err(AtlasError::new(
            400,
            "CLOUD_BACKUP_NOT_ENABLED",
            format!("Cloud backup is not enabled for cluster {name}."),
        )
        .param(name));
    }
    if cluster.state_name != "IDLE" {
        return Err(AtlasError::new(
            409,
            "CLUSTER_NOT_IDLE",
            format!(
                "Cannot take a snapshot of cluster {name} while it is {}.",
                cluster.state_name
            ),
        )
        .param(name));
    }
    if let Some(running) = cluster
        .snapshots
        .values()
        .find(|s| s.status(ctx.now) != "completed")
    {
        return Err(AtlasError::new(
            409,
            "SNAPSHOT_ALREADY_IN_PROGRESS",
            format!(
                "Snapshot {} of cluster {name} is still {}; wait for it before taking another.",
                running.id,
                running.status(ctx.now)
            ),
        )
        .param(name));
    }
    let snapshot = Snapshot {
        id: new_id(),
        description,
        retention_in_days: retention,
        created_ms: ctx.now,
        step_ms: ctx.transition_ms,
        replica_set_name: cluster.replica_set(),
        mongod_version: cluster.render(ctx)["mongoDBVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    let body = snapshot.render(ctx, name, false);
    cluster.snapshots.insert(snapshot.id.clone(), snapshot);
    Ok((StatusCode::OK, Some(body)))
}

pub fn get(project: &mut Project, ctx: &Ctx<'_>, name: &str, id: &str) -> Answer {
    let cluster = cluster(project, ctx, name)?;
    let snapshot = cluster
        .snapshots
        .get(id)
        .ok_or_else(|| snapshot_not_found(id, name))?;
    Ok((StatusCode::OK, Some(snapshot.render(ctx, name, true))))
}

pub fn delete(project: &mut Project, ctx: &Ctx<'_>, name: &str, id: &str) -> Answer {
    let cluster = cluster(project, ctx, name)?;
    cluster
        .snapshots
        .remove(id)
        .ok_or_else(|| snapshot_not_found(id, name))?;
    Ok((StatusCode::NO_CONTENT, None))
}
