//! DBInstance glue: observe the instance, run the planned step, write the connection Secret.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use kube::api::{Api, Patch};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};
use serde_json::json;

use super::dbinstance_backup as backup_glue;
use super::kube_io::{
    apply_owned_secret, has_finalizer, publish, read_secret_key, record_status, record_status_at,
};
use super::managed::{Cx, Managed, Synced};
use super::triggers::reference;
use super::{Ctx, Error};
use crate::api::common::PlannedAction;
use crate::api::conditions::Condition;
use crate::api::conditions::REASON_INSTANCE_NOT_FOUND;
use crate::api::dbinstance::{DBInstance, DBInstanceStatus, HandledOperations};
use crate::cloud::{Cloud, ErrorClass, Instance, InstanceChange, ListInstances, RestoreSource};
use crate::observer::{Observer, Peek};
use crate::reconcile::dbinstance::{self as rules, Observed, Step, UID_TAG};
use crate::reconcile::dbinstance_backup::{self as backup_rules, BackupSide};
use crate::reconcile::policy::WithheldPlan;
use crate::reconcile::{Invalid, Mode, Outcome, clouds, preview};

#[async_trait]
impl Managed for DBInstance {
    managed_fields!(DBInstanceStatus);

    fn validate(&self) -> Result<(), Invalid> {
        rules::validate(&self.spec)
    }

    /// `atProvider` is rebuilt by every reconcile that finds the instance.
    fn forget_observation(status: &mut DBInstanceStatus) {
        status.at_provider = None;
    }

    fn validate_for(&self, cloud: Cloud) -> Result<(), Invalid> {
        clouds::check_dbinstance(&self.spec, &self.name_any(), cloud)?;
        let recorded = self.status.as_ref().and_then(|s| s.instance_id.as_deref());
        let wanted = clouds::cluster_name(&self.spec, &self.name_any());
        match recorded {
            Some(recorded) if cloud == Cloud::Atlas && recorded != wanted => Err(Invalid::new(
                "spec.forProvider.atlas.clusterName",
                format!(
                    "cannot change on an existing cluster (is {recorded}); revert it, or create a new DBInstance"
                ),
            )),
            _ => Ok(()),
        }
    }

    async fn sync(&self, cx: &Cx<'_>) -> Synced<DBInstanceStatus> {
        let mut status = self.status.clone().unwrap_or_default();
        let seen = match observe(self, cx, &mut status).await {
            Ok(seen) => seen,
            Err(error) => return Synced::failed(status, unobserved_ready(), error),
        };
        if let Observed::Present { instance, ssl } = &seen {
            status.at_provider = Some(Box::new(rules::observation(instance, ssl.as_ref())));
        }
        let backups = match backup_glue::read(self, cx, &seen, &mut status).await {
            Ok(read) => read,
            Err(error) => return Synced::failed(status, unobserved_ready(), error),
        };
        let handled = status.operations.as_deref().cloned().unwrap_or_default();
        let step = rules::plan(
            &self.spec.for_provider,
            &self.spec,
            &handled,
            &seen,
            cx.mode,
        );
        let side = BackupSide {
            cloud: Some(cx.provider.cloud()),
            have: backups.have.as_ref(),
            restore: status.restored_from.as_deref(),
            job: backups.job.as_ref(),
        };
        let mut step = backup_rules::next(step, &self.spec.for_provider, &side, cx.mode);
        let ready = backup_glue::ready(rules::ready_condition(&seen), &status);
        let mut restore = None;
        if step == Step::Create && self.spec.for_provider.restore_from.is_some() {
            match backup_glue::resolve(self, cx).await {
                Err(error) => return Synced::failed(status, ready, error),
                Ok(Err(why)) => return super::managed::waiting(status, ready, why, cx),
                Ok(Ok(Err(invalid))) => step = Step::Reject(invalid),
                Ok(Ok(Ok(source))) => restore = Some(source),
            }
        }
        let mut requeue = rules::requeue(&step, &cx.ctx.timing, rand::random());
        let withheld = match step.verb().map(|verb| cx.gate(verb)) {
            Some(Err(why)) => {
                // Nothing is in flight: look again when the spec or the cloud changes, or at
                // the drift interval, not at the transitional pace.
                requeue = crate::reconcile::jittered(cx.ctx.timing.drift, rand::random());
                let planned = Planned {
                    step: &step,
                    seen: &seen,
                    handled: &handled,
                    restore: restore.as_ref(),
                    policy: backups.have.as_ref(),
                };
                Some(WithheldPlan {
                    why,
                    actions: planned_actions(self, cx, &planned),
                })
            }
            Some(Ok(())) | None => None,
        };
        if withheld.is_none()
            && let Err(error) = act(self, cx, &step, restore.as_ref(), &mut status).await
        {
            return Synced::failed(status, ready, error);
        }
        if let Err(error) = late_initialize(self, cx, &seen).await {
            return Synced::failed(status, ready, error);
        }
        if let Err(error) = write_connection_secret(self, cx, &seen).await {
            return Synced::failed(status, ready, error);
        }
        let outcome = match step {
            Step::Reject(invalid) => Outcome::Invalid(invalid),
            Step::Missing(id) => Outcome::Waiting {
                reason: REASON_INSTANCE_NOT_FOUND,
                message: format!(
                    "instance {id} does not exist in the cloud; it is never recreated silently: delete this object, or point spec.forProvider.instanceId at an existing instance"
                ),
            },
            _ => Outcome::Success,
        };
        Synced {
            status,
            ready,
            outcome,
            requeue,
            error: None,
            withheld,
        }
    }

    /// Instances the observer saw change, mapped back to the objects that own them.
    fn cloud_changes(ctx: &Ctx, store: Store<Self>) -> BoxStream<'static, ObjectRef<Self>> {
        let Some(observers) = &ctx.observers else {
            return futures::stream::empty().boxed();
        };
        super::triggers::received(observers.subscribe(), "cloud changes")
            .flat_map({
                let mut index = OwnerIndex::new(store);
                move |id| {
                    let owners = index.find(&id);
                    tracing::debug!(instance_id = %id, owners = owners.len(), "cloud change");
                    futures::stream::iter(owners)
                }
            })
            .boxed()
    }

    async fn cleanup(&self, cx: &Cx<'_>) -> Result<Option<String>, Error> {
        let recorded = self
            .status
            .as_ref()
            .and_then(|s| s.instance_id.clone())
            .or_else(|| self.spec.for_provider.instance_id.clone());
        // No id recorded does not mean no instance: a create whose answer was lost, or whose
        // sender was killed before recording it, made one all the same (the chaos run leaked
        // such an instance when its object was deleted). It carries this object's UID tag.
        let id = match recorded {
            Some(id) => id,
            None => match find_by_uid(self, cx).await? {
                Some(id) => id,
                None => return Ok(None),
            },
        };
        let Some(instance) = cx.provider.describe_instance(&id).await? else {
            return Ok(None);
        };
        if instance.status != rules::RUNNING {
            return Ok(Some(instance.status));
        }
        if instance.deletion_protection == Some(true) {
            return unprotect(self, cx, &id).await;
        }
        match cx.provider.delete_instance(&id).await {
            Ok(()) => {
                publish(
                    cx.ctx,
                    self,
                    false,
                    "DeletingInstance",
                    "Delete",
                    format!("DeleteDBInstance sent for {id}"),
                )
                .await;
                Ok(Some("Deleting".to_owned()))
            }
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}

/// A protected instance is deleted only when the spec says `deletionProtection: false`: then
/// protection is turned off first (and the next pass deletes); otherwise the way out is named.
async fn unprotect(obj: &DBInstance, cx: &Cx<'_>, id: &str) -> Result<Option<String>, Error> {
    if obj.spec.for_provider.deletion_protection != Some(false) {
        return Err(Error::Reference(format!(
            "instance {id} has deletion protection on in the cloud; set spec.forProvider.deletionProtection: false to let this object turn it off and delete the instance"
        )));
    }
    let change = InstanceChange::DeletionProtection(false);
    cx.provider.modify_instance(id, &change).await?;
    publish(
        cx.ctx,
        obj,
        false,
        "ModifiedInstance",
        change_name(&change),
        format!("deletion protection turned off for {id} before deleting it"),
    )
    .await;
    Ok(Some("leaving deletion protection".to_owned()))
}

/// Instance id → the objects that manage it, rebuilt from the store when an id is unknown but
/// at most once a second: scanning thousands of objects for every change would stall the
/// trigger stream. A change missed that way is caught by the object's requeue timer.
struct OwnerIndex {
    store: Store<DBInstance>,
    owners: HashMap<String, Vec<ObjectRef<DBInstance>>>,
    rebuilt: Option<std::time::Instant>,
}

impl OwnerIndex {
    const REBUILD_EVERY: Duration = Duration::from_secs(1);

    fn new(store: Store<DBInstance>) -> Self {
        OwnerIndex {
            store,
            owners: HashMap::new(),
            rebuilt: None,
        }
    }

    fn find(&mut self, id: &str) -> Vec<ObjectRef<DBInstance>> {
        let due = self
            .rebuilt
            .is_none_or(|at| at.elapsed() >= Self::REBUILD_EVERY);
        if !self.owners.contains_key(id) && due {
            self.owners.clear();
            for obj in self.store.state() {
                if let Some(owned) = instance_id(&obj) {
                    let owner = reference(&*obj);
                    match self.owners.get_mut(owned.as_ref()) {
                        Some(owners) => owners.push(owner),
                        // Nearly always one owner: a Vec grown by push would hold four.
                        None => {
                            self.owners.insert(owned.into_owned(), vec![owner]);
                        }
                    }
                }
            }
            self.rebuilt = Some(std::time::Instant::now());
        }
        self.owners.get(id).cloned().unwrap_or_default()
    }
}

/// What a withheld plan is previewed from.
struct Planned<'a> {
    step: &'a Step,
    seen: &'a Observed,
    handled: &'a HandledOperations,
    /// The source a create restores, resolved.
    restore: Option<&'a RestoreSource>,
    /// The cloud's backup policy, when it was read this reconcile.
    policy: Option<&'a crate::cloud::BackupPolicySettings>,
}

/// Every call the plan holds from here (the first one is `step`), for the status.
fn planned_actions(obj: &DBInstance, cx: &Cx<'_>, planned: &Planned<'_>) -> Vec<PlannedAction> {
    let cloud = cx.provider.cloud();
    let name = clouds::cluster_name(&obj.spec, &obj.name_any());
    match (planned.step, planned.seen) {
        (Step::Create, _) => {
            let cluster = (cloud == Cloud::Atlas).then(|| name.clone());
            let mut request = rules::create_request(
                &obj.spec.for_provider,
                &obj.uid().unwrap_or_default(),
                cluster,
            );
            // The preview never reads the Secret: it only says a password would be sent.
            request.password = obj
                .spec
                .for_provider
                .account_password_secret_ref
                .as_ref()
                .map(|_| crate::cloud::error::Redacted(String::new()));
            request.restore = planned.restore.cloned();
            let mut actions = vec![preview::create_instance(cloud, &request)];
            if let (Cloud::Atlas, Some(source)) = (cloud, planned.restore) {
                actions.push(preview::restore_job(&name, source));
            }
            actions
        }
        (Step::StartRestore(source), _) => vec![preview::restore_job(&name, source)],
        (Step::BackupPolicy(next), _) => {
            let have = planned.policy.cloned().unwrap_or_default();
            vec![preview::backup_policy(cloud, next, &have)]
        }
        (_, Observed::Present { instance, ssl }) => {
            preview::dbinstance(cloud, &obj.spec, planned.handled, instance, ssl.as_ref())
        }
        _ => Vec::new(),
    }
}

/// Fills the optional fields the user left empty from the cloud, when the policies ask for it.
async fn late_initialize(obj: &DBInstance, cx: &Cx<'_>, seen: &Observed) -> Result<(), Error> {
    let Observed::Present { instance, .. } = seen else {
        return Ok(());
    };
    if !cx.policies.late_initialize() || cx.mode != Mode::Active {
        return Ok(());
    }
    let fill = rules::late_initialize(cx.provider.cloud(), &obj.spec.for_provider, instance);
    if fill.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = fill
        .keys()
        .map(|k| format!("spec.forProvider.{k}"))
        .collect();
    api(obj, cx)
        .patch(
            &obj.name_any(),
            &super::kube_io::writes(),
            &Patch::Merge(json!({"spec": {"forProvider": fill}})),
        )
        .await
        .map_err(Error::kube("late-initialize the spec"))?;
    publish(
        cx.ctx,
        obj,
        false,
        "LateInitialized",
        "LateInitialize",
        format!("filled from the cloud: {}", fields.join(", ")),
    )
    .await;
    Ok(())
}

fn unobserved_ready() -> Condition {
    Condition::not_ready("Unknown", "not observed yet")
}

/// Finds the instance: the adopted id, the recorded id, or one tagged with this resource's UID
/// when a create may have been sent without its answer recorded — a create whose answer was
/// lost is found, not repeated.
async fn observe(
    obj: &DBInstance,
    cx: &Cx<'_>,
    status: &mut DBInstanceStatus,
) -> Result<Observed, Error> {
    let id = match instance_id(obj).map(Cow::into_owned) {
        Some(id) => id,
        None if never_sent_a_create(obj, cx) => return Ok(Observed::Absent),
        None => match find_by_uid(obj, cx).await? {
            Some(id) => {
                let found = json!({"instanceId": id, "createPending": null});
                record_status(&api(obj, cx), obj, found).await?;
                status.instance_id = Some(id.clone());
                status.create_pending = None;
                id
            }
            None => return Ok(Observed::Absent),
        },
    };
    let adopts = obj.spec.for_provider.instance_id.is_some() || adopted_cluster(obj).is_some();
    if adopts && status.instance_id.as_deref() != Some(id.as_str()) {
        status.instance_id = Some(id.clone());
    }
    let Some(mut instance) = look_up(obj, cx, &id).await? else {
        return Ok(Observed::Gone(id));
    };
    if obj.spec.for_provider.tde.is_some() && instance.status == rules::RUNNING {
        instance.tde_enabled = cx.provider.describe_tde(&id).await?;
    }
    if obj.spec.for_provider.srv_address.is_some() && instance.status == rules::RUNNING {
        let srv = cx.provider.describe_srv_address(&id).await?;
        instance.srv_allocated = Some(srv.is_some());
        instance.connection_string_srv = srv.or(instance.connection_string_srv);
    }
    if !obj.spec.for_provider.parameters.is_empty() && instance.status == rules::RUNNING {
        instance.parameters = cx.provider.describe_parameters(&id).await?;
    }
    let ssl = if obj.spec.for_provider.ssl.is_some() && instance.status == rules::RUNNING {
        Some(cx.provider.describe_ssl(&id).await?)
    } else {
        None
    };
    Ok(Observed::Present {
        instance: Box::new(instance),
        ssl,
    })
}

/// The instance from the region's observer, fresh enough for this reconcile: read after this
/// question when the spec changed (a plan must not rest on an old view), else as the last
/// listing vouched for it. When the observer has to read it first, the reconcile ends with
/// [`Error::Unobserved`] instead of holding a concurrency slot while it waits; the answer
/// wakes it through the change stream. Asks the cloud itself when batching is off or the
/// observer has not answered in time.
async fn look_up(obj: &DBInstance, cx: &Cx<'_>, id: &str) -> Result<Option<Instance>, Error> {
    if let Some(observer) = observer(obj, cx) {
        let spec_changed =
            obj.metadata.generation != obj.status.as_ref().and_then(|s| s.observed_generation);
        let max_age = if spec_changed {
            Duration::ZERO
        } else {
            cx.ctx.timing.drift * 2
        };
        match observer.peek(id, max_age) {
            Peek::Present(instance) => {
                tracing::debug!(instance_id = %id, status = %instance.status, "observed from the snapshot");
                return Ok(Some(*instance));
            }
            Peek::Gone => return Ok(None),
            Peek::Queued => {
                return Err(Error::Unobserved {
                    retry: observer.patience(),
                });
            }
            Peek::Overdue => {
                tracing::debug!(instance_id = %id, "observer did not answer in time");
            }
        }
    }
    Ok(cx.provider.describe_instance(id).await?)
}

fn observer(obj: &DBInstance, cx: &Cx<'_>) -> Option<Arc<Observer>> {
    let observers = cx.ctx.observers.as_ref()?;
    Some(observers.get(
        &obj.spec.provider_config_ref.name,
        &obj.spec.for_provider.region_id,
        &cx.provider,
    ))
}

/// The cloud id this object manages, adopted or created. An Atlas cluster is adopted by name
/// (`atlas.adoptExisting`), since Atlas ids are names.
fn instance_id(obj: &DBInstance) -> Option<Cow<'_, str>> {
    let p = &obj.spec.for_provider;
    p.instance_id
        .as_deref()
        .map(Cow::Borrowed)
        .or_else(|| adopted_cluster(obj).map(Cow::Owned))
        .or_else(|| Some(Cow::Borrowed(obj.status.as_ref()?.instance_id.as_deref()?)))
}

/// The Atlas cluster this object adopts, when it adopts one.
fn adopted_cluster(obj: &DBInstance) -> Option<String> {
    let atlas = obj.spec.for_provider.atlas.as_ref()?;
    atlas
        .adopt_existing
        .then(|| clouds::cluster_name(&obj.spec, &obj.name_any()))
}

/// Whether no create can have been sent for this object, so the UID lookup can be skipped:
/// every create is preceded by a `createPending` record guarded by the resource version (see
/// [`run_step`]), so a fresh copy without one has sent none. A cached copy that is stale fails
/// that guard, or the finalizer's, before any create. Objects that already carry the
/// finalizer without the record (an earlier version of the operator created without one) and
/// objects whose resource version this reconcile does not know are still looked up.
fn never_sent_a_create(obj: &DBInstance, cx: &Cx<'_>) -> bool {
    let pending = obj
        .status
        .as_ref()
        .is_some_and(|s| s.create_pending.is_some());
    !pending && !has_finalizer(obj) && cx.resource_version.is_some()
}

async fn find_by_uid(obj: &DBInstance, cx: &Cx<'_>) -> Result<Option<String>, Error> {
    let query = ListInstances {
        region: obj.spec.for_provider.region_id.clone(),
        page_number: 1,
        page_size: 30,
        tag: Some((UID_TAG.to_owned(), obj.uid().unwrap_or_default())),
    };
    Ok(cx
        .provider
        .list_instances(&query)
        .await?
        .instances
        .into_iter()
        .next()
        .map(|i| i.id))
}

/// Records that a create is about to be sent, failing on a stale cached copy (which might
/// not show an earlier create) instead of sending a second one.
async fn mark_create_pending(
    obj: &DBInstance,
    cx: &Cx<'_>,
    restored: Option<&crate::api::dbinstance_backup::RestoreRecord>,
) -> Result<(), Error> {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut partial = json!({ "createPending": now });
    if let Some(record) = restored {
        partial["restoredFrom"] = json!(record);
    }
    record_status_at(&api(obj, cx), obj, cx.resource_version.as_deref(), partial).await
}

fn api(obj: &DBInstance, cx: &Cx<'_>) -> Api<DBInstance> {
    Api::namespaced(cx.ctx.client.clone(), &obj.namespace().unwrap_or_default())
}

/// Runs the step, then has the observer follow the instance closely — also when the call
/// failed, since a call that timed out may still have taken effect.
async fn act(
    obj: &DBInstance,
    cx: &Cx<'_>,
    step: &Step,
    restore: Option<&RestoreSource>,
    status: &mut DBInstanceStatus,
) -> Result<(), Error> {
    let id = status.instance_id.clone().unwrap_or_default();
    let result = run_step(obj, cx, step, restore, status, &id).await;
    if step.is_write()
        && let Some(observer) = observer(obj, cx)
        && let Some(id) = status.instance_id.as_deref()
    {
        observer.touch(id);
    }
    result
}

/// Runs the step's one cloud call, recording its result in the status at once.
async fn run_step(
    obj: &DBInstance,
    cx: &Cx<'_>,
    step: &Step,
    restore: Option<&RestoreSource>,
    status: &mut DBInstanceStatus,
    id: &str,
) -> Result<(), Error> {
    match step {
        Step::Create => {
            // Held until the id is recorded: a create wave keeps the other slots free.
            let _slot = cx
                .ctx
                .create_pacing
                .try_start()
                .map_err(|retry| Error::CreateDeferred { retry })?;
            let name = (cx.provider.cloud() == Cloud::Atlas)
                .then(|| clouds::cluster_name(&obj.spec, &obj.name_any()));
            let mut request =
                rules::create_request(&obj.spec.for_provider, &obj.uid().unwrap_or_default(), name);
            // The shard's observer lists only instances with its tag.
            request.tags.extend(cx.ctx.shard.cloud_tag());
            request.password = account_password(obj, cx)
                .await?
                .map(crate::cloud::error::Redacted);
            // What the create restores is recorded with the pending mark, before the call: a
            // create whose answer is lost is still held to its restoreFrom.
            let restored = restore.and_then(|source| backup_glue::restore_record(obj, cx, source));
            request.restore = restore.cloned();
            mark_create_pending(obj, cx, restored.as_ref()).await?;
            status.restored_from = restored.map(Box::new);
            let id = cx.provider.create_instance(&request).await?;
            record_status(
                &api(obj, cx),
                obj,
                json!({"instanceId": id, "createPending": null}),
            )
            .await?;
            status.instance_id = Some(id.clone());
            status.create_pending = None;
            tracing::info!(instance_id = %id, "instance created");
            publish(
                cx.ctx,
                obj,
                false,
                "CreatedInstance",
                "Create",
                format!("CreateDBInstance returned {id}"),
            )
            .await;
        }
        Step::Change(change) => {
            cx.provider.modify_instance(id, change).await?;
            tracing::info!(instance_id = %id, change = change_name(change), "instance modified");
            publish(
                cx.ctx,
                obj,
                false,
                "ModifiedInstance",
                change_name(change),
                format!(
                    "{} sent for {id}: {}",
                    change_name(change),
                    describe(change)
                ),
            )
            .await;
        }
        Step::Tag(tags) => {
            cx.provider
                .tag_instance(&obj.spec.for_provider.region_id, id, tags)
                .await?;
            let keys: Vec<&str> = tags.iter().map(|(k, _)| k.as_str()).collect();
            publish(
                cx.ctx,
                obj,
                false,
                "TaggedInstance",
                "TagResources",
                format!("tags {} set on {id}", keys.join(", ")),
            )
            .await;
        }
        Step::Run {
            operation,
            requested_at,
            change,
        } => {
            cx.provider.modify_instance(id, change).await?;
            let mut handled = status.operations.as_deref().cloned().unwrap_or_default();
            rules::mark_handled(&mut handled, *operation, requested_at);
            record_status(&api(obj, cx), obj, json!({"operations": handled})).await?;
            status.operations = Some(Box::new(handled));
            publish(
                cx.ctx,
                obj,
                false,
                "RanOperation",
                change_name(change),
                format!(
                    "{} for {id} (requestedAt {requested_at})",
                    change_name(change)
                ),
            )
            .await;
        }
        Step::BackupPolicy(policy) => backup_glue::modify_policy(obj, cx, id, policy).await?,
        Step::StartRestore(source) => {
            backup_glue::start_restore(obj, cx, id, source, status).await?;
        }
        Step::Steady | Step::Wait(_) | Step::Reject(_) | Step::Missing(_) => {}
    }
    Ok(())
}

fn change_name(change: &InstanceChange) -> &'static str {
    match change {
        InstanceChange::Spec { .. } => "ModifyDBInstanceSpec",
        InstanceChange::Description(_) => "ModifyDBInstanceDescription",
        InstanceChange::MaintainTime { .. } => "ModifyDBInstanceMaintainTime",
        InstanceChange::Ssl(_) => "ModifyDBInstanceSSL",
        InstanceChange::Restart { .. } => "RestartDBInstance",
        InstanceChange::UpgradeKernel => "UpgradeDBInstanceKernelVersion",
        InstanceChange::DeletionProtection(_) => "ModifyDBInstanceAttribute",
        InstanceChange::Nodes { .. } => "ModifyDBInstanceSpec",
        InstanceChange::EngineVersion(_) => "UpgradeDBInstanceEngineVersion",
        InstanceChange::EnableTde => "ModifyDBInstanceTDE",
        InstanceChange::StorageType(_) => "ModifyDBInstanceDiskType",
        InstanceChange::AutoScaling(_) => "updateCluster",
        InstanceChange::Parameters(_) => "ModifyParameters",
        InstanceChange::PublicAddress(true) => "AllocatePublicNetworkAddress",
        InstanceChange::PublicAddress(false) => "ReleasePublicNetworkAddress",
        InstanceChange::SrvAddress(true) => "AllocateDBInstanceSrvNetworkAddress",
        InstanceChange::SrvAddress(false) => "ReleaseNodePrivateNetworkAddress",
        InstanceChange::AddNode { .. } => "CreateNode",
        InstanceChange::RemoveNode { .. } => "DeleteNode",
    }
}

fn describe(change: &InstanceChange) -> String {
    match change {
        InstanceChange::Spec {
            instance_class,
            storage_gb,
        } => format!(
            "class {}, storage {}",
            instance_class.as_deref().unwrap_or("unchanged"),
            storage_gb
                .map(|g| format!("{g} GB"))
                .unwrap_or_else(|| "unchanged".to_owned())
        ),
        InstanceChange::Description(_) => "description".to_owned(),
        InstanceChange::MaintainTime { start, end } => format!("{start}-{end}"),
        InstanceChange::Ssl(action) => format!("{action:?}"),
        InstanceChange::Restart { node_id } => node_id
            .clone()
            .map(|n| format!("node {n}"))
            .unwrap_or_else(|| "all nodes".to_owned()),
        InstanceChange::UpgradeKernel => "latest minor version".to_owned(),
        InstanceChange::DeletionProtection(on) => {
            format!("deletion protection {}", if *on { "on" } else { "off" })
        }
        InstanceChange::Nodes {
            replication_factor,
            readonly_replicas,
        } => format!(
            "electable nodes {}, read-only nodes {}",
            replication_factor.map_or("unchanged".to_owned(), |n| n.to_string()),
            readonly_replicas.map_or("unchanged".to_owned(), |n| n.to_string())
        ),
        InstanceChange::EngineVersion(v) => format!("engine version {v}"),
        InstanceChange::EnableTde => "TDE on".to_owned(),
        InstanceChange::StorageType(disk) => format!("disk type {disk}"),
        InstanceChange::AutoScaling(a) => crate::reconcile::dbinstance_inplace::describe_scaling(a),
        InstanceChange::PublicAddress(open) => {
            format!(
                "public address {}",
                if *open { "opened" } else { "released" }
            )
        }
        InstanceChange::SrvAddress(open) => {
            format!(
                "SRV address {}",
                if *open { "allocated" } else { "released" }
            )
        }
        InstanceChange::Parameters(values) => format!(
            "parameters {}",
            values.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        InstanceChange::AddNode { kind, class, .. } => {
            format!("one more {} node ({class})", kind.as_str())
        }
        InstanceChange::RemoveNode { node_id } => format!("mongos {node_id} removed"),
    }
}

/// Keeps the connection Secret in step with the endpoints once the instance is Running.
async fn write_connection_secret(
    obj: &DBInstance,
    cx: &Cx<'_>,
    seen: &Observed,
) -> Result<(), Error> {
    let (Some(target), Observed::Present { instance, .. }) =
        (&obj.spec.write_connection_secret_to_ref, seen)
    else {
        return Ok(());
    };
    if instance.status != rules::RUNNING || instance.endpoints.is_empty() {
        return Ok(());
    }
    let password = account_password(obj, cx).await?;
    let data = rules::connection_details(instance, password.as_deref());
    if obj.meta().deletion_timestamp.is_none() {
        apply_owned_secret(&cx.ctx.client, obj, &target.name, data).await?;
    }
    Ok(())
}

/// The root password from `accountPasswordSecretRef`, when one is named.
async fn account_password(obj: &DBInstance, cx: &Cx<'_>) -> Result<Option<String>, Error> {
    let Some(secret) = &obj.spec.for_provider.account_password_secret_ref else {
        return Ok(None);
    };
    let namespace = obj.namespace().unwrap_or_default();
    read_secret_key(&cx.ctx.client, &namespace, &secret.name, &secret.key)
        .await
        .map(Some)
}
