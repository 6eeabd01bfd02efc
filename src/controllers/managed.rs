//! The one reconcile loop for every cloud-backed kind:
//! delete or finalize → validate (pure, no cloud call) → account → observe/plan/act (per kind)
//! → status (server-side apply, skipped when unchanged) → requeue.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{SecondsFormat, Utc};
use k8s_openapi::NamespaceResourceScope;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::cache;
use super::kube_io::{
    add_finalizer, apply_status, has_finalizer, publish, record_status, remove_finalizer,
};
use super::{Ctx, Error, yielding};
use crate::api::common::{
    DeletionPolicy, ManagementPolicy, PAUSED_ANNOTATION, PLAN_ONLY_ANNOTATION, PlannedAction,
};
use crate::api::conditions::{self, Condition};
use crate::cloud::{Cloud, CloudError, Provider};
use crate::reconcile::policy::{self, Policies, Verb, Withheld, WithheldPlan};
use crate::reconcile::{Invalid, Mode, Outcome, jittered, synced_condition};

/// What one kind adds to the shared loop.
#[async_trait]
pub trait Managed:
    Resource<DynamicType = (), Scope = NamespaceResourceScope>
    + Clone
    + Debug
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    type Status: Serialize + Clone + Debug + Default + PartialEq + Send + Sync;

    fn provider_config(&self) -> &str;
    fn deletion_policy(&self) -> DeletionPolicy;
    fn management_policies(&self) -> &[ManagementPolicy];
    fn planned(status: &Self::Status) -> &[PlannedAction];
    fn set_planned(status: &mut Self::Status, actions: Vec<PlannedAction>);
    fn current_status(&self) -> Option<&Self::Status>;
    fn current_status_mut(&mut self) -> Option<&mut Self::Status>;
    fn conditions(status: &Self::Status) -> &[Condition];
    fn set_conditions(
        status: &mut Self::Status,
        conditions: Vec<Condition>,
        generation: Option<i64>,
    );

    /// Spec checks the schema cannot do. Pure: an invalid spec costs no cloud call.
    fn validate(&self) -> Result<(), Invalid>;

    /// Checks that depend on the account's cloud (fields that apply to one cloud only). Pure,
    /// like [`Managed::validate`]; runs once the ProviderConfig is known.
    fn validate_for(&self, _cloud: Cloud) -> Result<(), Invalid> {
        Ok(())
    }

    /// Observes the cloud, plans and runs at most one mutation; never fails: cloud errors are
    /// returned inside [`Synced`] together with what was observed before them.
    async fn sync(&self, cx: &Cx<'_>) -> Synced<Self::Status>;

    /// Drops from a cached object's status what every observing reconcile rebuilds from the
    /// cloud (see [`super::cache`]). Nothing by default.
    fn forget_observation(_status: &mut Self::Status) {}

    /// Objects to reconcile because the cloud changed under them, as batched observation sees
    /// it. None by default: such kinds look at the cloud on their timers.
    fn cloud_changes(
        _ctx: &Ctx,
        _store: Store<Self>,
    ) -> futures::stream::BoxStream<'static, ObjectRef<Self>> {
        futures::stream::StreamExt::boxed(futures::stream::empty())
    }

    /// Objects to reconcile because a Secret they read changed, from a watch of Secret
    /// metadata in `namespace` (every namespace when `None`): values are never cached, only
    /// read inside the reconcile. None by default.
    fn secret_changes(
        _ctx: &Ctx,
        _namespace: Option<&str>,
        _store: Store<Self>,
    ) -> futures::stream::BoxStream<'static, ObjectRef<Self>> {
        futures::stream::StreamExt::boxed(futures::stream::empty())
    }

    /// Deletes the cloud side under `Delete` policy. `Ok(None)` = gone; `Ok(Some(state))` = still
    /// going (e.g. `Deleting`). Must treat NotFound as gone and need no valid spec.
    async fn cleanup(&self, cx: &Cx<'_>) -> Result<Option<String>, Error>;
}

/// What a kind's `sync` needs.
pub struct Cx<'a> {
    pub ctx: &'a Ctx,
    pub provider: Arc<dyn Provider>,
    pub mode: Mode,
    pub policies: Policies,
    /// The object's resource version after this reconcile's own metadata writes (`None` when
    /// it is not known), for writes that must fail on a stale cached copy.
    pub resource_version: Option<String>,
}

impl Cx<'_> {
    /// Whether a planned write of `verb` may be sent now; if not, the kind reports the plan
    /// in [`Synced::withheld`] instead of sending it.
    pub fn gate(&self, verb: Verb) -> Result<(), Withheld> {
        policy::gate(self.mode, self.policies, verb)
    }
}

/// The result of one `sync`.
pub struct Synced<S> {
    /// The new status (observation, ids); conditions are set by the loop.
    pub status: S,
    pub ready: Condition,
    pub outcome: Outcome,
    pub requeue: Duration,
    /// A failed cloud or Kubernetes call, for the error policy.
    pub error: Option<Error>,
    /// Writes that were planned but not sent (see [`Cx::gate`]), shown in the status.
    pub withheld: Option<WithheldPlan>,
}

impl<S> Synced<S> {
    /// A result carrying an error: the outcome names it, the error policy picks the delay.
    pub fn failed(status: S, ready: Condition, error: Error) -> Self {
        let outcome = match &error {
            Error::Cloud(CloudError { class, .. }) => Outcome::CloudError {
                class: *class,
                message: super::chain(&error),
            },
            other => Outcome::CloudError {
                class: crate::cloud::ErrorClass::Transient,
                message: super::chain(other),
            },
        };
        Synced {
            status,
            ready,
            outcome,
            requeue: Duration::ZERO,
            error: Some(error),
            withheld: None,
        }
    }
}

fn api<K: Managed>(ctx: &Ctx, obj: &K) -> Api<K> {
    Api::namespaced(ctx.client.clone(), &obj.namespace().unwrap_or_default())
}

fn key<K: Managed>(obj: &K) -> String {
    key_in::<K>(obj.meta().namespace.as_deref(), &obj.name_any())
}

/// [`key`] of a referenced object.
pub fn key_of<K: Managed>(reference: &ObjectRef<K>) -> String {
    key_in::<K>(reference.namespace.as_deref(), &reference.name)
}

fn key_in<K: Managed>(namespace: Option<&str>, name: &str) -> String {
    format!("{}/{}/{name}", K::kind(&()), namespace.unwrap_or_default())
}

pub fn is_paused<K: Resource>(obj: &K) -> bool {
    obj.annotations()
        .get(PAUSED_ANNOTATION)
        .is_some_and(|v| v == "true")
}

pub fn is_plan_only<K: Resource>(obj: &K) -> bool {
    obj.annotations()
        .get(PLAN_ONLY_ANNOTATION)
        .is_some_and(|v| v == "true")
}

/// What happens to the cloud resource when the object is deleted: `Delete` only when both
/// `deletionPolicy` and the management policies say so.
fn deletion<K: Managed>(obj: &K) -> DeletionPolicy {
    Policies::of(obj.management_policies()).deletion(obj.deletion_policy())
}

fn mode_of<K: Managed>(obj: &K) -> Mode {
    let generation = obj.meta().generation;
    let blocked = obj
        .current_status()
        .map(K::conditions)
        .and_then(|c| conditions::find(c, conditions::SYNCED))
        .is_some_and(|synced| {
            synced.reason == conditions::REASON_TERMINAL_ERROR
                && synced.observed_generation == generation
        });
    if is_paused(obj) {
        Mode::Paused
    } else if is_plan_only(obj) {
        Mode::Preview
    } else if blocked {
        Mode::Blocked
    } else {
        Mode::Active
    }
}

/// The reconcile entry point for every managed kind.
pub async fn reconcile<K: Managed>(obj: Arc<K>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let started = std::time::Instant::now();
    let deleting = obj.meta().deletion_timestamp.is_some();
    let result = if deleting {
        finalize(&*obj, &ctx).await
    } else {
        sync_live(&*obj, &ctx).await
    };
    let key = key(&*obj);
    if result.is_ok() {
        ctx.clear_failures(&key);
    }
    if deleting {
        ctx.metrics.forget(&key, &K::kind(&()));
        // A mark set while it was being deleted has no pass left to answer it.
        ctx.woken.take(&key);
    }
    ctx.metrics
        .reconciled(&K::kind(&()), result.is_ok(), started.elapsed());
    result
}

/// The controller's error policy for every managed kind.
pub fn error_policy<K: Managed>(obj: Arc<K>, error: &Error, ctx: Arc<Ctx>) -> Action {
    tracing::warn!(kind = K::kind(&()).as_ref(), object = %obj.name_any(), category = error.category(), error = %super::chain(error), "reconcile failed");
    super::requeue_after_error(&ctx, &key(&*obj), error)
}

async fn sync_live<K: Managed>(obj: &K, ctx: &Ctx) -> Result<Action, Error> {
    let api = api(ctx, obj);
    let mut resource_version = obj.resource_version();
    match (deletion(obj), has_finalizer(obj)) {
        (DeletionPolicy::Delete, false) => resource_version = add_finalizer(&api, obj).await?,
        (DeletionPolicy::Orphan, true) => {
            remove_finalizer(&api, obj).await?;
            resource_version = None;
        }
        _ => {}
    }
    let previous = obj.current_status().cloned().unwrap_or_default();
    let policies = Policies::parse(obj.management_policies());
    if let Err(invalid) = policies.clone().and_then(|_| obj.validate()) {
        let ready = unobserved();
        write_status::<K>(ctx, &api, obj, previous, ready, &Outcome::Invalid(invalid)).await?;
        return Ok(Action::await_change());
    }
    let provider = match ctx
        .providers
        .get(obj.provider_config(), &obj.namespace().unwrap_or_default())
    {
        Ok(provider) => provider,
        Err(unavailable) if unavailable.unchecked => {
            tracing::debug!(object = %obj.name_any(), "its account is not checked yet; status kept");
            return Ok(Action::requeue(ctx.timing.waiting));
        }
        Err(unavailable) => {
            tracing::debug!(object = %obj.name_any(), reason = unavailable.reason, "no account to use");
            let outcome = Outcome::Waiting {
                reason: unavailable.reason,
                message: unavailable.message,
            };
            let ready = unobserved();
            write_status::<K>(ctx, &api, obj, previous, ready, &outcome).await?;
            return Ok(Action::requeue(ctx.timing.waiting));
        }
    };
    if let Err(invalid) = obj.validate_for(provider.cloud()) {
        let ready = unobserved();
        write_status::<K>(ctx, &api, obj, previous, ready, &Outcome::Invalid(invalid)).await?;
        return Ok(Action::await_change());
    }
    let woken = ctx.woken.take(&key(obj));
    if !woken
        && yielding::settled(K::conditions(&previous), obj.meta().generation)
        && !provider.has_spare_budget().await
    {
        tracing::debug!(object = %obj.name_any(), "settled and the account's budget is spent: re-checked a drift interval later");
        return Ok(Action::requeue(jittered(ctx.timing.drift, rand::random())));
    }
    let cx = Cx {
        ctx,
        provider,
        mode: mode_of(obj),
        policies: policies.unwrap_or_default(),
        resource_version,
    };
    let mut synced = obj.sync(&cx).await;
    if let Some(Error::Unobserved { retry } | Error::CreateDeferred { retry }) = synced.error {
        // Nothing was observed, or the create waits for its turn: nothing was sent, and a
        // status written now could only repeat the last one, or claim the new generation was
        // synced.
        return Ok(Action::requeue(retry));
    }
    let planned = synced
        .withheld
        .as_ref()
        .map(|w| w.actions.clone())
        .unwrap_or_default();
    if !planned.is_empty() && planned != K::planned(&previous) {
        announce_plan(ctx, obj, synced.withheld.as_ref()).await;
    }
    K::set_planned(&mut synced.status, planned);
    let outcome = match (&synced.outcome, synced.withheld.take(), cx.mode) {
        (Outcome::Success, Some(withheld), _) => Outcome::Withheld(withheld),
        (Outcome::Success, None, Mode::Paused) => Outcome::Paused,
        (Outcome::Success, None, Mode::Preview) => Outcome::NothingPlanned,
        (Outcome::Success, None, Mode::Blocked) => {
            return keep_blocked(ctx, &api, obj, synced).await;
        }
        (outcome, _, _) => outcome.clone(),
    };
    write_status::<K>(ctx, &api, obj, synced.status, synced.ready, &outcome).await?;
    match synced.error {
        Some(error) => Err(error),
        None => Ok(Action::requeue(synced.requeue)),
    }
}

/// One Event for each new withheld plan: a preview to review, or a difference a policy keeps.
async fn announce_plan<K: Managed>(ctx: &Ctx, obj: &K, withheld: Option<&WithheldPlan>) {
    let Some(withheld) = withheld else {
        return;
    };
    let (warning, reason) = match withheld.why {
        Withheld::Preview => (false, policy::REASON_PLAN_READY),
        Withheld::Paused => (false, conditions::REASON_RECONCILE_PAUSED),
        Withheld::NotAllowed(Verb::Create) => (true, policy::REASON_CREATE_NOT_ALLOWED),
        Withheld::NotAllowed(Verb::Update) => (true, policy::REASON_UPDATE_NOT_ALLOWED),
    };
    let note = policy::summary(&withheld.actions);
    publish(ctx, obj, warning, reason, "Plan", note).await;
}

/// While writes are blocked by a terminal error, the observation is refreshed but the
/// `Synced=False TerminalError` condition stays until the spec changes.
async fn keep_blocked<K: Managed>(
    ctx: &Ctx,
    api: &Api<K>,
    obj: &K,
    synced: Synced<K::Status>,
) -> Result<Action, Error> {
    let previous = obj.current_status().cloned().unwrap_or_default();
    let mut kept: Vec<Condition> = K::conditions(&previous)
        .iter()
        .filter(|c| c.type_ == conditions::SYNCED)
        .cloned()
        .collect();
    kept.push(synced.ready);
    let mut status = synced.status;
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let merged = conditions::merge(K::conditions(&previous), kept, obj.meta().generation, &now);
    K::set_conditions(&mut status, merged, obj.meta().generation);
    apply_if_changed(ctx, api, obj, &status).await?;
    Ok(Action::requeue(synced.requeue))
}

/// A `Ready` placeholder for reconciles that observed nothing; `write_status` keeps the last
/// observed `Ready` in its place.
fn unobserved() -> Condition {
    Condition::not_ready(UNOBSERVED, "not observed yet")
}

const UNOBSERVED: &str = "Unknown";

/// Sets both conditions and writes the status if anything changed.
async fn write_status<K: Managed>(
    ctx: &Ctx,
    api: &Api<K>,
    obj: &K,
    mut status: K::Status,
    ready: Condition,
    outcome: &Outcome,
) -> Result<(), Error> {
    let previous = obj.current_status().cloned().unwrap_or_default();
    let observed = ready.reason != UNOBSERVED;
    let ready = match (
        ready.reason.as_str(),
        conditions::find(K::conditions(&previous), conditions::READY),
    ) {
        // Nothing was observed this time: keep what was last seen rather than invent a state.
        (UNOBSERVED, Some(last)) => last.clone(),
        _ => ready,
    };
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let generation = obj.meta().generation;
    let merged = conditions::merge(
        K::conditions(&previous),
        vec![ready, synced_condition(outcome)],
        generation,
        &now,
    );
    let ready = conditions::find(&merged, conditions::READY)
        .map_or("Unknown", |c| if c.is_true() { "True" } else { "False" });
    ctx.metrics.observe_ready(&key(obj), &K::kind(&()), ready);
    K::set_conditions(&mut status, merged, generation);
    if observed {
        return apply_if_changed(ctx, api, obj, &status).await;
    }
    // Built on the cached status, which lacks the observation: a merge patch changes what
    // this reconcile knows and leaves the last observation in place.
    let known = ctx.status_digests.get(obj).map(|d| d.kept);
    if known == Some(cache::digest(&status)) {
        tracing::debug!(object = %obj.name_any(), "status unchanged (without observation); not written");
        return Ok(());
    }
    let patch = serde_json::to_value(&status)
        .map_err(|e| Error::kube("encode status")(kube::Error::SerdeError(e)))?;
    ctx.status_digests.forget(obj);
    record_status(api, obj, patch).await
}

/// Applies a status built from an observation, unless the API server holds it already.
async fn apply_if_changed<K: Managed>(
    ctx: &Ctx,
    api: &Api<K>,
    obj: &K,
    status: &K::Status,
) -> Result<(), Error> {
    let known = ctx.status_digests.get(obj).map(|d| d.whole);
    if known == Some(cache::digest(status)) {
        tracing::debug!(object = %obj.name_any(), "status unchanged; not written");
        return Ok(());
    }
    ctx.status_digests.forget(obj);
    apply_status(api, obj, status).await
}

/// Deletion: `Orphan` only releases the object (even when paused); `Delete` removes the cloud
/// side first and says in the status what blocks it, with the way out.
async fn finalize<K: Managed>(obj: &K, ctx: &Ctx) -> Result<Action, Error> {
    let api = api(ctx, obj);
    if !has_finalizer(obj) {
        return Ok(Action::await_change());
    }
    if deletion(obj) == DeletionPolicy::Orphan {
        remove_finalizer(&api, obj).await?;
        return Ok(Action::await_change());
    }
    let escape =
        "set spec.deletionPolicy to Orphan to remove this object and keep the cloud resource";
    let previous = obj.current_status().cloned().unwrap_or_default();
    if is_paused(obj) {
        let outcome = Outcome::Waiting {
            reason: conditions::REASON_RECONCILE_PAUSED,
            message: format!(
                "paused: the cloud resource is not deleted while {PAUSED_ANNOTATION} is \"true\"; remove the annotation, or {escape}"
            ),
        };
        write_status::<K>(ctx, &api, obj, previous, unobserved(), &outcome).await?;
        return Ok(Action::requeue(ctx.timing.waiting));
    }
    let provider = match ctx
        .providers
        .get(obj.provider_config(), &obj.namespace().unwrap_or_default())
    {
        Ok(provider) => provider,
        Err(unavailable) if unavailable.unchecked => {
            return Ok(Action::requeue(ctx.timing.waiting));
        }
        Err(unavailable) => {
            let outcome = Outcome::Waiting {
                reason: unavailable.reason,
                message: format!(
                    "cannot delete the cloud resource: {}; {escape}",
                    unavailable.message
                ),
            };
            write_status::<K>(ctx, &api, obj, previous, unobserved(), &outcome).await?;
            return Ok(Action::requeue(ctx.timing.waiting * 6));
        }
    };
    let cx = Cx {
        ctx,
        provider,
        mode: Mode::Active,
        policies: Policies::of(obj.management_policies()),
        resource_version: obj.resource_version(),
    };
    match obj.cleanup(&cx).await {
        Ok(None) => {
            publish(
                ctx,
                obj,
                false,
                "DeletedExternalResource",
                "Delete",
                "the cloud resource is gone".to_owned(),
            )
            .await;
            remove_finalizer(&api, obj).await?;
            Ok(Action::await_change())
        }
        Ok(Some(state)) => {
            let ready = Condition::not_ready(
                conditions::REASON_DELETING,
                format!("the cloud resource is {state}"),
            );
            write_status::<K>(ctx, &api, obj, previous, ready, &Outcome::Success).await?;
            Ok(Action::requeue(ctx.timing.transitional))
        }
        Err(error) => {
            let message = format!("cannot delete the cloud resource: {error}; {escape}");
            publish(ctx, obj, true, "CannotDelete", "Delete", message.clone()).await;
            let class = match &error {
                Error::Cloud(e) => e.class,
                _ => crate::cloud::ErrorClass::Transient,
            };
            write_status::<K>(
                ctx,
                &api,
                obj,
                previous,
                unobserved(),
                &Outcome::CloudError { class, message },
            )
            .await?;
            Err(error)
        }
    }
}

/// A `sync` result for a spec that cannot work; no cloud call is retried until it changes.
pub fn rejected<S>(status: S, ready: Condition, invalid: Invalid, cx: &Cx<'_>) -> Synced<S> {
    let requeue = crate::reconcile::jittered(cx.ctx.timing.drift, rand::random());
    Synced {
        status,
        ready,
        outcome: Outcome::Invalid(invalid),
        requeue,
        error: None,
        withheld: None,
    }
}

/// A `sync` result for a sub-resource whose instance is not usable yet.
pub fn waiting<S>(status: S, ready: Condition, message: String, cx: &Cx<'_>) -> Synced<S> {
    let outcome = Outcome::Waiting {
        reason: conditions::REASON_WAITING_FOR_INSTANCE,
        message,
    };
    Synced {
        status,
        ready,
        outcome,
        requeue: cx.ctx.timing.waiting,
        error: None,
        withheld: None,
    }
}
