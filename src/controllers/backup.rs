//! Backup glue: start once (recording the request first), follow until finished.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use kube::ResourceExt;
use kube::api::Api;
use serde_json::json;

use super::Error;
use super::kube_io::{publish, record_status};
use super::managed::{Cx, Managed, Synced};
use crate::api::backup::{Backup, BackupObservation, BackupStatus};
use crate::api::conditions::Condition;
use crate::cloud::ErrorClass;
use crate::reconcile::backup::{self as rules, Step};
use crate::reconcile::policy::{Verb, WithheldPlan};
use crate::reconcile::preview;
use crate::reconcile::{Invalid, Outcome};

/// A finished backup never changes; it is looked at rarely.
const FINISHED_RECHECK: Duration = Duration::from_secs(3600);

#[async_trait]
impl Managed for Backup {
    managed_fields!(BackupStatus);

    fn validate(&self) -> Result<(), Invalid> {
        rules::validate(&self.spec, self.status.as_ref())
    }

    fn validate_for(&self, cloud: crate::cloud::Cloud) -> Result<(), Invalid> {
        let id = self.spec.for_provider.instance.db_instance_id.as_deref();
        crate::reconcile::clouds::check_target(id, cloud)
    }

    async fn sync(&self, cx: &Cx<'_>) -> Synced<BackupStatus> {
        let mut status = self.status.clone().unwrap_or_default();
        let unknown = Condition::not_ready("Unknown", "not observed yet");
        let id = match status.instance_id.clone() {
            Some(id) => id,
            None => {
                let namespace = self.namespace().unwrap_or_default();
                match super::instance_ref::target_id(
                    cx,
                    &namespace,
                    &self.spec.for_provider.instance,
                    &status,
                )
                .await
                {
                    Ok(id) => id,
                    Err(waiting) => return waiting,
                }
            }
        };
        status.instance_id = Some(id.clone());
        match advance(self, cx, &id, &mut status).await {
            Ok(synced) => synced,
            Err(error) => Synced::failed(status, unknown, error),
        }
    }

    async fn cleanup(&self, cx: &Cx<'_>) -> Result<Option<String>, Error> {
        let Some(status) = &self.status else {
            return Ok(None);
        };
        let Some(id) = &status.instance_id else {
            return Ok(None);
        };
        let backup = match &status.backup_id {
            Some(backup) => backup.clone(),
            None if status.start_requested_at.is_some() => {
                match lost_own_backup(self, cx, id).await? {
                    Some(backup) => backup,
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        };
        match cx.provider.delete_backup(id, &backup).await {
            Ok(()) => {
                publish(
                    cx.ctx,
                    self,
                    false,
                    "DeletedBackup",
                    "DeleteBackup",
                    format!("backup {backup} of {id} deleted"),
                )
                .await;
                Ok(None)
            }
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// The backup a start whose answer was lost made, where the cloud names its owner (Atlas), so
/// deleting the Backup then does not leave it behind. Dds backups name no owner: there, such
/// a backup is kept rather than risk deleting another Backup's.
async fn lost_own_backup(obj: &Backup, cx: &Cx<'_>, id: &str) -> Result<Option<String>, Error> {
    let uid = obj.uid().unwrap_or_default();
    let backups = match cx.provider.describe_backups(id, None).await {
        Ok(backups) => backups,
        Err(e) if e.class == ErrorClass::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    Ok(backups
        .into_iter()
        .find(|b| b.owner.as_deref() == Some(uid.as_str()))
        .map(|b| b.id))
}

async fn advance(
    obj: &Backup,
    cx: &Cx<'_>,
    id: &str,
    status: &mut BackupStatus,
) -> Result<Synced<BackupStatus>, Error> {
    let requested_at = status
        .start_requested_at
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc));
    let (known, claimed) = if status.backup_id.is_none() && requested_at.is_some() {
        (
            cx.provider.describe_backups(id, None).await?,
            claimed_by_others(obj, cx).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let method = obj.spec.for_provider.method;
    let lost = rules::LostStart {
        requested_at,
        backups: &known,
        claimed: &claimed,
        owner: &obj.uid().unwrap_or_default(),
    };
    let backup_id = match rules::plan(status, &lost, method, cx.mode) {
        Step::Follow(backup_id) => backup_id,
        Step::Adopt(backup_id) => {
            record(obj, cx, status, &backup_id).await?;
            backup_id
        }
        Step::Wait => {
            let ready = rules::ready_condition(None);
            return Ok(Synced {
                status: status.clone(),
                ready,
                outcome: Outcome::Success,
                requeue: cx.ctx.timing.waiting,
                error: None,
                withheld: None,
            });
        }
        Step::Start => {
            if let Err(why) = cx.gate(Verb::Create) {
                let actions = vec![preview::backup(
                    cx.provider.cloud(),
                    rules::method_name(method),
                )];
                return Ok(Synced {
                    status: status.clone(),
                    ready: rules::ready_condition(None),
                    outcome: Outcome::Success,
                    requeue: crate::reconcile::jittered(cx.ctx.timing.drift, rand::random()),
                    error: None,
                    withheld: Some(WithheldPlan { why, actions }),
                });
            }
            let instance = cx.provider.describe_instance(id).await?;
            match instance {
                Some(i) if i.status == crate::reconcile::dbinstance::RUNNING => {}
                other => {
                    let state = other.map_or_else(|| "missing".to_owned(), |i| i.status);
                    return Ok(super::managed::waiting(
                        status.clone(),
                        rules::ready_condition(None),
                        format!("instance {id} is {state}; the backup starts once it is Running"),
                        cx,
                    ));
                }
            }
            let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
            record_status(
                &api(obj, cx),
                obj,
                json!({"startRequestedAt": now, "startedMethod": method}),
            )
            .await?;
            status.start_requested_at = Some(now);
            status.started_method = Some(method);
            let backup_id = cx
                .provider
                .create_backup(
                    id,
                    rules::method_name(method),
                    &obj.uid().unwrap_or_default(),
                )
                .await?;
            record(obj, cx, status, &backup_id).await?;
            publish(
                cx.ctx,
                obj,
                false,
                "StartedBackup",
                "CreateBackup",
                format!(
                    "{} backup {backup_id} of {id} started",
                    rules::method_name(method)
                ),
            )
            .await;
            backup_id
        }
    };
    let found = cx
        .provider
        .describe_backups(id, Some(&backup_id))
        .await?
        .into_iter()
        .find(|b| b.id == backup_id);
    if let Some(b) = &found {
        status.at_provider = Some(BackupObservation {
            status: b.status.clone(),
            method: b.method.clone(),
            start_time: b.start_time.clone(),
            end_time: b.end_time.clone(),
            size_bytes: b.size_bytes,
        });
    }
    let requeue = if found.as_ref().is_some_and(rules::is_finished) {
        FINISHED_RECHECK
    } else {
        cx.ctx.timing.transitional
    };
    Ok(Synced {
        status: status.clone(),
        ready: rules::ready_condition(found.as_ref()),
        outcome: Outcome::Success,
        requeue,
        error: None,
        withheld: None,
    })
}

async fn record(
    obj: &Backup,
    cx: &Cx<'_>,
    status: &mut BackupStatus,
    backup_id: &str,
) -> Result<(), Error> {
    record_status(&api(obj, cx), obj, json!({"backupId": backup_id})).await?;
    status.backup_id = Some(backup_id.to_owned());
    Ok(())
}

/// The backup ids the other Backup objects of the namespace recorded; read only when a start
/// may have been lost, so it costs one list on that rare path.
async fn claimed_by_others(obj: &Backup, cx: &Cx<'_>) -> Result<Vec<String>, Error> {
    let list = api(obj, cx)
        .list(&kube::api::ListParams::default())
        .await
        .map_err(Error::kube("list the Backups of the namespace"))?;
    Ok(list
        .items
        .into_iter()
        .filter(|b| b.metadata.uid != obj.metadata.uid)
        .filter_map(|b| b.status?.backup_id)
        .collect())
}

fn api(obj: &Backup, cx: &Cx<'_>) -> Api<Backup> {
    Api::namespaced(cx.ctx.client.clone(), &obj.namespace().unwrap_or_default())
}
