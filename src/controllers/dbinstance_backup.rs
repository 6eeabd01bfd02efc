//! The backup side of a DBInstance's reconcile: reading the policy and the restorable window on
//! the drift timer, following an Atlas restore job, resolving `restoreFrom` before a create,
//! and sending the policy and restore writes. The rules are in `reconcile::dbinstance_backup`
//! and `reconcile::dbinstance_restore`.

use std::time::{Duration, Instant};

use kube::ResourceExt;
use kube::api::Api;
use serde_json::json;

use super::kube_io::{publish, record_status};
use super::managed::Cx;
use super::{Ctx, Error};
use crate::api::Backup;
use crate::api::conditions::{self, Condition, READY};
use crate::api::dbinstance::{DBInstance, DBInstanceStatus};
use crate::api::dbinstance_backup::BackupsObservation;
use crate::cloud::{BackupPolicySettings, Cloud, RestoreJob, RestoreSource};
use crate::reconcile::Invalid;
use crate::reconcile::dbinstance::{Observed, RUNNING};
use crate::reconcile::dbinstance_restore as restore;

/// Each object's backup policy as last read, when, and for which generation: the policy is
/// read on the drift timer (and after a spec change or a policy write), not by every
/// reconcile; reconciles in between plan (and preview) from the last read.
#[derive(Default)]
pub struct PolicyReads(std::sync::Mutex<std::collections::HashMap<String, PolicyRead>>);

type PolicyRead = (Instant, Option<i64>, BackupPolicySettings);

impl PolicyReads {
    /// The last read, unless a new one is due.
    fn fresh(
        &self,
        key: &str,
        generation: Option<i64>,
        every: Duration,
    ) -> Option<BackupPolicySettings> {
        let reads = self.0.lock().unwrap_or_else(|p| p.into_inner());
        reads
            .get(key)
            .filter(|(at, seen, _)| *seen == generation && at.elapsed() < every)
            .map(|(_, _, policy)| policy.clone())
    }

    fn mark(&self, key: &str, generation: Option<i64>, policy: BackupPolicySettings) {
        let mut reads = self.0.lock().unwrap_or_else(|p| p.into_inner());
        reads.insert(key.to_owned(), (Instant::now(), generation, policy));
    }

    /// After a write: the next reconcile reads again, to confirm it.
    pub fn forget(&self, key: &str) {
        let mut reads = self.0.lock().unwrap_or_else(|p| p.into_inner());
        reads.remove(key);
    }
}

/// What this reconcile read about the backup side.
#[derive(Default)]
pub struct BackupRead {
    pub have: Option<BackupPolicySettings>,
    pub job: Option<RestoreJob>,
}

fn key(obj: &DBInstance) -> String {
    obj.uid().unwrap_or_default()
}

/// Reads what is due: the policy and window (three calls, once per drift interval, for an
/// instance with a `backupPolicy` that is Running; the last read stands in between), and an
/// unfinished Atlas restore job (one call per reconcile while it runs). A finished job is
/// recorded at once.
pub async fn read(
    obj: &DBInstance,
    cx: &Cx<'_>,
    seen: &Observed,
    status: &mut DBInstanceStatus,
) -> Result<BackupRead, Error> {
    let Observed::Present { instance, .. } = seen else {
        return Ok(BackupRead::default());
    };
    let mut read = BackupRead::default();
    if let Some(record) = status.restored_from.as_deref_mut()
        && let (false, Some(job_id)) = (record.finished, record.restore_job_id.clone())
    {
        let job = cx
            .provider
            .describe_restore(&record.source_instance_id, &job_id)
            .await?;
        if job.finished && !job.failed {
            record.finished = true;
            let record = record.clone();
            record_status(&api(obj, cx), obj, json!({"restoredFrom": record})).await?;
            publish(
                cx.ctx,
                obj,
                false,
                "RestoredInstance",
                "Create",
                format!(
                    "restore job {job_id} finished: {}",
                    restore::describe(&restore::source_of(&record))
                ),
            )
            .await;
        }
        read.job = Some(job);
    }
    if obj.spec.for_provider.backup_policy.is_none() || instance.status != RUNNING {
        return Ok(read);
    }
    let generation = obj.metadata.generation;
    let drift = cx.ctx.timing.drift;
    read.have = cx.ctx.policy_reads.fresh(&key(obj), generation, drift);
    if read.have.is_none() {
        let id = instance.id.as_str();
        let policy = cx.provider.describe_backup_policy(id).await?;
        let window = cx.provider.describe_restore_window(id).await?;
        status.backups = Some(Box::new(BackupsObservation {
            latest_backup_time: window.latest_backup_time,
            latest_backup_id: window.latest_backup_id,
            earliest_restore_time: window.earliest,
            latest_restore_time: window.latest,
        }));
        cx.ctx
            .policy_reads
            .mark(&key(obj), generation, policy.clone());
        read.have = Some(policy);
    }
    Ok(read)
}

/// `Ready` while an Atlas restore job has not finished: the cluster is IDLE but empty.
pub fn ready(ready: Condition, status: &DBInstanceStatus) -> Condition {
    match status.restored_from.as_deref() {
        Some(record) if !record.finished && ready.is_true() => Condition::not_ready(
            "Restoring",
            format!(
                "restoring {} into this cluster (restore job {})",
                restore::describe(&restore::source_of(record)),
                record
                    .restore_job_id
                    .as_deref()
                    .unwrap_or("not started yet")
            ),
        ),
        _ => ready,
    }
}

/// The source a create from `restoreFrom` restores, with references resolved and the backup
/// or time checked against the source (one or two reads): `Ok(Err(invalid))` refuses the create,
/// `Err(why)` (inner) waits for a reference that is not ready.
pub async fn resolve(
    obj: &DBInstance,
    cx: &Cx<'_>,
) -> Result<Result<Result<RestoreSource, Invalid>, String>, Error> {
    let Some(r) = obj.spec.for_provider.restore_from.as_deref() else {
        return Ok(Err("no restoreFrom".to_owned()));
    };
    let namespace = obj.namespace().unwrap_or_default();
    let mut backup_id = None;
    let mut source_id = r.source_instance_id.clone();
    if let Some(backup) = &r.backup_ref {
        match backup_of(cx.ctx, &namespace, &backup.name).await? {
            Ok((instance, id)) => {
                source_id = source_id.or(Some(instance));
                backup_id = Some(id);
            }
            Err(why) => return Ok(Err(why)),
        }
    }
    if let Some(source) = &r.source_instance_ref {
        match super::instance_ref::resolve(cx.ctx, &namespace, &target(&source.name)).await? {
            Ok(id) => source_id = Some(id),
            Err(why) => return Ok(Err(why)),
        }
    }
    let Some(source_id) = source_id else {
        return Ok(Err("restoreFrom names no source instance".to_owned()));
    };
    let source = restore::source(r, source_id, backup_id);
    let (backups, window) = match (&source.backup_id, &source.restore_time) {
        (Some(id), _) => (
            cx.provider
                .describe_backups(&source.source_id, Some(id))
                .await?,
            Default::default(),
        ),
        _ => (
            Vec::new(),
            cx.provider
                .describe_restore_window(&source.source_id)
                .await?,
        ),
    };
    Ok(Ok(
        restore::restorable(&source, &backups, &window).map(|()| source)
    ))
}

fn target(name: &str) -> crate::api::common::InstanceTarget {
    crate::api::common::InstanceTarget {
        db_instance_ref: Some(crate::api::common::LocalReference {
            name: name.to_owned(),
        }),
        db_instance_id: None,
    }
}

/// The instance and backup id a Ready Backup holds.
async fn backup_of(
    ctx: &Ctx,
    namespace: &str,
    name: &str,
) -> Result<Result<(String, String), String>, Error> {
    let Some(backup) = Api::<Backup>::namespaced(ctx.client.clone(), namespace)
        .get_opt(name)
        .await
        .map_err(Error::kube(
            "read the Backup named by restoreFrom.backupRef",
        ))?
    else {
        return Ok(Err(format!(
            "Backup {name} does not exist in namespace {namespace}"
        )));
    };
    let status = backup.status.unwrap_or_default();
    let ready = conditions::find(&status.conditions, READY).is_some_and(|c| c.is_true());
    match (ready, status.instance_id, status.backup_id) {
        (true, Some(instance), Some(id)) => Ok(Ok((instance, id))),
        _ => Ok(Err(format!("Backup {name} is not Ready yet"))),
    }
}

/// What the create restores, to be recorded before the create is sent.
pub fn restore_record(
    obj: &DBInstance,
    cx: &Cx<'_>,
    source: &RestoreSource,
) -> Option<crate::api::dbinstance_backup::RestoreRecord> {
    let r = obj.spec.for_provider.restore_from.as_deref()?;
    Some(restore::record(r, source, cx.provider.cloud()))
}

/// ModifyBackupPolicy / updateBackupSchedule, with an Event naming the fields.
pub async fn modify_policy(
    obj: &DBInstance,
    cx: &Cx<'_>,
    id: &str,
    policy: &BackupPolicySettings,
) -> Result<(), Error> {
    cx.provider.modify_backup_policy(id, policy).await?;
    cx.ctx.policy_reads.forget(&key(obj));
    let action = match cx.provider.cloud() {
        Cloud::Aliyun => "ModifyBackupPolicy",
        Cloud::Atlas => "updateBackupSchedule",
    };
    tracing::info!(instance_id = %id, "backup policy modified");
    publish(
        cx.ctx,
        obj,
        false,
        "ModifiedBackupPolicy",
        action,
        format!("{action} sent for {id}"),
    )
    .await;
    Ok(())
}

/// Atlas: starts the restore job into this cluster and records its id at once.
pub async fn start_restore(
    obj: &DBInstance,
    cx: &Cx<'_>,
    id: &str,
    source: &RestoreSource,
    status: &mut DBInstanceStatus,
) -> Result<(), Error> {
    let job = cx.provider.start_restore(id, source).await?;
    if let Some(record) = status.restored_from.as_deref_mut() {
        record.restore_job_id = Some(job.clone());
        let record = record.clone();
        record_status(&api(obj, cx), obj, json!({"restoredFrom": record})).await?;
    }
    publish(
        cx.ctx,
        obj,
        false,
        "StartedRestore",
        "Create",
        format!(
            "createBackupRestoreJob {job}: {} into {id}",
            restore::describe(source)
        ),
    )
    .await;
    Ok(())
}

fn api(obj: &DBInstance, cx: &Cx<'_>) -> Api<DBInstance> {
    Api::namespaced(cx.ctx.client.clone(), &obj.namespace().unwrap_or_default())
}
