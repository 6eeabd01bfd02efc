//! Kubernetes glue: the only room that talks to the API server. One generic reconcile loop
//! ([`managed`]) serves every cloud-backed kind; each kind adds a small `impl Managed`.

/// The accessors every managed kind shares: each has `spec.providerConfigRef`,
/// `spec.deletionPolicy` and `status.{conditions,observedGeneration}`.
macro_rules! managed_fields {
    ($status:ty) => {
        type Status = $status;

        fn provider_config(&self) -> &str {
            &self.spec.provider_config_ref.name
        }

        fn deletion_policy(&self) -> crate::api::common::DeletionPolicy {
            self.spec.deletion_policy
        }

        fn management_policies(&self) -> &[crate::api::common::ManagementPolicy] {
            &self.spec.management_policies
        }

        fn planned(status: &$status) -> &[crate::api::common::PlannedAction] {
            &status.planned_actions
        }

        fn set_planned(status: &mut $status, actions: Vec<crate::api::common::PlannedAction>) {
            status.planned_actions = actions;
        }

        fn current_status(&self) -> Option<&$status> {
            self.status.as_ref()
        }

        fn current_status_mut(&mut self) -> Option<&mut $status> {
            self.status.as_mut()
        }

        fn conditions(status: &$status) -> &[crate::api::conditions::Condition] {
            &status.conditions
        }

        fn set_conditions(
            status: &mut $status,
            conditions: Vec<crate::api::conditions::Condition>,
            generation: Option<i64>,
        ) {
            status.conditions = conditions;
            status.observed_generation = generation;
        }
    };
}

pub mod auditlogfilter;
pub mod backup;
pub mod cache;
pub mod databaseuser;
pub mod dbinstance;
pub mod dbinstance_backup;
pub mod events;
pub mod guard;
pub mod instance_ref;
pub mod kube_io;
pub mod managed;
pub mod pacing;
pub mod providerconfig;
pub mod providers;
pub mod securityiplist;
pub mod triggers;
pub mod yielding;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::runtime::controller::Action;

use crate::cloud::{CloudError, ErrorClass};
use crate::reconcile::{Timing, backoff, jittered};
pub use providers::{ProviderFactory, Providers};

/// Event reporter name, and the field manager of an unsharded operator.
pub const MANAGER: &str = "mongocloud-operator";
/// Creates at once when the process does not say (half of the default concurrency).
const DEFAULT_CREATE_SLOTS: u32 = 8;

/// The field manager of every write this process makes: set once at start, since one process
/// is one shard (see [`crate::shard::Shard::field_manager`]), and read by the small write
/// helpers of [`kube_io`], which have no context to carry it.
static FIELD_MANAGER: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Names this process's writes after its shard; the first call wins.
pub fn set_field_manager(manager: String) {
    if FIELD_MANAGER.set(manager).is_err() {
        tracing::warn!("the field manager was already set; keeping the first");
    }
}

/// See [`set_field_manager`]; [`MANAGER`] until it is set.
pub fn field_manager() -> &'static str {
    FIELD_MANAGER.get().map_or(MANAGER, String::as_str)
}

/// What every reconcile shares.
pub struct Ctx {
    pub client: kube::Client,
    pub providers: Providers,
    pub factory: ProviderFactory,
    pub events: events::Events,
    pub timing: Timing,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Shared batched observation of instances; `None` asks the cloud once per reconcile.
    pub observers: Option<crate::observer::Observers>,
    /// Digests of the statuses the API server holds (the cache drops part of them).
    pub status_digests: Arc<cache::StatusDigests>,
    /// Consecutive failures per object, for exponential backoff; cleared on success.
    failures: Mutex<HashMap<String, u32>>,
    /// When each DBInstance's backup policy was last read (it is read on the drift timer).
    pub policy_reads: dbinstance_backup::PolicyReads,
    /// The namespaces watched (all when empty), where a ProviderConfig's users are looked for.
    pub namespaces: Vec<String>,
    /// Which objects this process owns (every object when not sharded).
    pub shard: crate::shard::Shard,
    /// How many DBInstance creates may run at once, so a wave of them leaves slots free.
    pub create_pacing: pacing::CreatePacing,
    /// Objects a cloud or Secret change woke: their next pass never yields the budget.
    pub woken: yielding::Woken,
}

impl Ctx {
    pub fn new(
        client: kube::Client,
        factory: ProviderFactory,
        timing: Timing,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        let events = events::Events::new(client.clone(), MANAGER);
        Ctx {
            client,
            providers: Providers::default(),
            factory,
            events,
            timing,
            metrics,
            observers: None,
            status_digests: Arc::default(),
            failures: Mutex::default(),
            policy_reads: Default::default(),
            namespaces: Vec::new(),
            shard: crate::shard::Shard::All,
            create_pacing: pacing::CreatePacing::new(DEFAULT_CREATE_SLOTS),
            woken: yielding::Woken::default(),
        }
    }

    /// At most `slots` DBInstance creates at once; a create beyond them waits for its turn
    /// without holding a concurrency slot.
    pub fn creates_at_most(mut self, slots: u32) -> Self {
        self.create_pacing = pacing::CreatePacing::new(slots);
        self
    }

    /// Owns only this shard's objects: its watches select them by label, its instances carry
    /// its tag and its observers list only those.
    pub fn in_shard(mut self, shard: crate::shard::Shard) -> Self {
        self.observers = self
            .observers
            .take()
            .map(|observers| observers.listing_tag(shard.cloud_tag()));
        self.shard = shard;
        self
    }

    /// The watch of a namespaced kind: filtered by the shard's label selector on the server,
    /// so a shard caches only its own objects.
    pub fn watch_config(&self) -> kube::runtime::watcher::Config {
        let config = kube::runtime::watcher::Config::default();
        match self.shard.label_selector() {
            Some(selector) => config.labels(&selector),
            None => config,
        }
    }

    /// Watches only these namespaces (all when empty).
    pub fn in_namespaces(mut self, namespaces: &[String]) -> Self {
        self.namespaces = namespaces.to_vec();
        self
    }

    /// Observes instances in batches per account and region (see [`crate::observer`]).
    pub fn batched(mut self, ticks: crate::observer::Ticks) -> Self {
        self.observers =
            Some(crate::observer::Observers::new(ticks).listing_tag(self.shard.cloud_tag()));
        self
    }

    fn count_failure(&self, key: &str) -> u32 {
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let n = failures.entry(key.to_owned()).or_insert(0);
        *n += 1;
        *n - 1
    }

    fn clear_failures(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// Why a reconcile failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("failed to {what}")]
    Kube {
        what: &'static str,
        #[source]
        source: kube::Error,
    },
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error("{0}")]
    Reference(String),
    /// The observation the reconcile needs is being read in a batch: the pass ends without
    /// planning or writing anything and runs again when the answer arrives, or after `retry`.
    #[error("waiting for the observer's read of the instance")]
    Unobserved { retry: Duration },
    /// Every create slot is taken: the pass ends before the create, without writing, and runs
    /// again at its reserved turn.
    #[error("waiting for a free create slot")]
    CreateDeferred { retry: Duration },
}

/// An error with its causes, `outer: inner: root`, for logs and condition messages.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let next = cause.to_string();
        if !text.ends_with(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = cause.source();
    }
    text
}

impl Error {
    pub fn kube(what: &'static str) -> impl FnOnce(kube::Error) -> Error {
        move |source| Error::Kube { what, source }
    }

    /// A bounded label for metrics and logs.
    pub fn category(&self) -> &'static str {
        match self {
            Error::Kube { .. } => "Kubernetes",
            Error::Cloud(e) => e.class.category(),
            Error::Reference(_) => "Reference",
            Error::Unobserved { .. } => "Unobserved",
            Error::CreateDeferred { .. } => "CreateDeferred",
        }
    }
}

/// Maps an error to a delay: the cloud's `Retry-After` when throttled, exponential backoff for
/// passing faults, a short wait for busy instances, the drift interval for terminal errors
/// (writes stay blocked until the spec changes; observation goes on).
pub fn requeue_after_error(ctx: &Ctx, key: &str, error: &Error) -> Action {
    let unit = rand::random::<f64>();
    let delay = match error {
        Error::Cloud(e) => match e.class {
            ErrorClass::Throttled { retry_after } => {
                retry_after.unwrap_or(Duration::from_secs(5))
                    + jittered(Duration::from_secs(1), unit)
            }
            ErrorClass::InvalidState | ErrorClass::NotFound => ctx.timing.transitional,
            ErrorClass::Terminal => jittered(ctx.timing.drift, unit),
            ErrorClass::Transient => {
                jittered(backoff(ctx.count_failure(key), ctx.timing.drift), unit)
            }
        },
        Error::Kube { .. } | Error::Reference(_) => {
            jittered(backoff(ctx.count_failure(key), ctx.timing.drift), unit)
        }
        Error::Unobserved { retry } | Error::CreateDeferred { retry } => *retry,
    };
    Action::requeue(delay)
}

/// Watches every kind and runs the controllers until a shutdown signal. With `namespaces`
/// empty the whole cluster is watched; otherwise only those namespaces (Secrets included, so a
/// ProviderConfig's credentials Secret must live in one of them).
pub async fn run(ctx: Arc<Ctx>, concurrency: u16, namespaces: &[String]) {
    use futures::StreamExt;

    use crate::api::{AuditLogFilter, Backup, DBInstance, DatabaseUser, SecurityIpList};

    let config = kube::runtime::controller::Config::default().concurrency(concurrency);
    watch_namespaces(&ctx);
    let pcs = providerconfig_controller(&ctx, config.clone(), namespaces).for_each(log_result);
    tokio::join!(
        pcs,
        run_kind::<DBInstance>(&ctx, &config, namespaces),
        run_kind::<SecurityIpList>(&ctx, &config, namespaces),
        run_kind::<AuditLogFilter>(&ctx, &config, namespaces),
        run_kind::<Backup>(&ctx, &config, namespaces),
        run_kind::<DatabaseUser>(&ctx, &config, namespaces),
    );
}

/// Keeps the names and labels of every namespace (metadata only) for ProviderConfigs that
/// allow namespaces by label. Namespaces are few and their metadata holds no secrets; the task
/// ends with the process.
fn watch_namespaces(ctx: &Arc<Ctx>) {
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::Namespace;
    use kube::core::PartialObjectMeta;
    use kube::runtime::{WatchStreamExt, reflector, watcher};

    let (reader, writer) = reflector::store();
    ctx.providers.watch_namespaces(reader);
    let api = kube::Api::<PartialObjectMeta<Namespace>>::all(ctx.client.clone());
    let stream = watcher(api, watcher::Config::default())
        .default_backoff()
        .reflect(writer)
        .for_each(|event| async move {
            if let Err(error) = event {
                tracing::warn!(%error, "namespace watch failed; retrying");
            }
        });
    tokio::spawn(stream);
}

/// Runs one kind's controller per watched namespace (or one for the cluster).
async fn run_kind<K: managed::Managed>(
    ctx: &Arc<Ctx>,
    config: &kube::runtime::controller::Config,
    namespaces: &[String],
) {
    use futures::StreamExt;
    let controllers = apis::<kube::core::DeserializeGuard<K>>(ctx, namespaces)
        .into_iter()
        .map(|api| managed_controller::<K>(ctx, config.clone(), api).for_each(log_result));
    futures::future::join_all(controllers).await;
}

/// One Api per watched namespace, or one for the whole cluster.
fn apis<K>(ctx: &Ctx, namespaces: &[String]) -> Vec<kube::Api<K>>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>,
{
    if namespaces.is_empty() {
        vec![kube::Api::all(ctx.client.clone())]
    } else {
        namespaces
            .iter()
            .map(|ns| kube::Api::namespaced(ctx.client.clone(), ns))
            .collect()
    }
}

/// ProviderConfigs, re-checked whenever the Secret they name changes (a rotated key applies
/// without a restart). Secrets are watched by metadata only; data is read on change.
fn providerconfig_controller(
    ctx: &Arc<Ctx>,
    config: kube::runtime::controller::Config,
    namespaces: &[String],
) -> impl futures::Stream<
    Item = Result<
        (
            kube::runtime::reflector::ObjectRef<crate::api::ProviderConfig>,
            Action,
        ),
        kube::runtime::controller::Error<Error, kube::runtime::watcher::Error>,
    >,
> {
    use futures::stream::select_all;
    use k8s_openapi::api::core::v1::Secret;
    use kube::Api;
    use kube::core::PartialObjectMeta;
    use kube::runtime::reflector::ObjectRef;
    use kube::runtime::{Controller, WatchStreamExt, watcher};

    use crate::api::ProviderConfig;

    let pcs = Controller::new(
        Api::<ProviderConfig>::all(ctx.client.clone()),
        watcher::Config::default(),
    );
    let store = pcs.store();
    ctx.providers.watch_provider_configs(store.clone());
    let secret_apis: Vec<Api<PartialObjectMeta<Secret>>> = if namespaces.is_empty() {
        vec![Api::all(ctx.client.clone())]
    } else {
        namespaces
            .iter()
            .map(|ns| Api::namespaced(ctx.client.clone(), ns))
            .collect()
    };
    let secret_changes = select_all(secret_apis.into_iter().map(|api| {
        watcher(api, watcher::Config::default())
            .touched_objects()
            .boxed()
    }));
    pcs.with_config(config)
        .watches_stream(secret_changes, move |secret| {
            let (ns, name) = (secret.namespace().unwrap_or_default(), secret.name_any());
            store
                .state()
                .into_iter()
                .filter(|pc| {
                    pc.spec.credentials.secret_ref.namespace == ns
                        && pc.spec.credentials.secret_ref.name == name
                })
                .map(|pc| ObjectRef::from_obj(&*pc))
                .collect::<Vec<_>>()
        })
        .shutdown_on_signal()
        .run(
            providerconfig::reconcile,
            providerconfig::error_policy,
            ctx.clone(),
        )
}

use futures::StreamExt as _;
use kube::ResourceExt;

/// A controller for one managed kind. Only spec (generation), annotation and finalizer changes
/// trigger it: our own status writes do not, and the cloud is looked at again on the requeue
/// timers (or when batched observation sees a change).
fn managed_controller<K: managed::Managed>(
    ctx: &Arc<Ctx>,
    config: kube::runtime::controller::Config,
    api: kube::Api<kube::core::DeserializeGuard<K>>,
) -> impl futures::Stream<
    Item = Result<
        (kube::runtime::reflector::ObjectRef<K>, Action),
        kube::runtime::controller::Error<Error, kube::runtime::watcher::Error>,
    >,
> {
    use kube::runtime::{Controller, WatchStreamExt, reflector, watcher};

    use futures::TryStreamExt;

    let (reader, writer) = reflector::store();
    let digests = ctx.status_digests.clone();
    let (store, guard_ctx) = (reader.clone(), ctx.clone());
    // Guarded: one object that cannot be decoded is reported and skipped, and never fails the
    // list or watch for every other object of the kind.
    let namespace = api.namespace().map(str::to_owned);
    let events = watcher(api, ctx.watch_config())
        .default_backoff()
        .try_filter_map(move |event| {
            futures::future::ready(Ok(guard::unguard(event, &store, &guard_ctx)))
        })
        .map_ok(move |event| cache::cached_form(event, &digests))
        .reflect(writer);
    // A cloud or Secret change is news the object's status does not show yet: its pass must
    // not yield the budget as a settled re-check would.
    let wake = |ctx: Arc<Ctx>| {
        move |reference: &kube::runtime::reflector::ObjectRef<K>| {
            ctx.woken.mark(managed::key_of(reference))
        }
    };
    let cloud_changes = K::cloud_changes(ctx, reader.clone()).inspect(wake(ctx.clone()));
    let account_ready = triggers::account_ready(ctx, reader.clone());
    let secret_changes =
        K::secret_changes(ctx, namespace.as_deref(), reader.clone()).inspect(wake(ctx.clone()));
    // The watch is driven through `reconcile_on`, so the scheduler only ever holds the compact
    // references of `triggers`.
    Controller::for_stream(futures::stream::empty(), reader)
        .reconcile_on(triggers::spec_changes(events))
        .reconcile_on(cloud_changes)
        .reconcile_on(secret_changes)
        .reconcile_on(account_ready)
        .with_config(config)
        .shutdown_on_signal()
        .run(
            managed::reconcile::<K>,
            managed::error_policy::<K>,
            ctx.clone(),
        )
}

async fn log_result<K: kube::Resource, E: std::error::Error>(
    result: Result<(kube::runtime::reflector::ObjectRef<K>, Action), E>,
) where
    K::DynamicType: std::fmt::Debug + Clone + Eq + std::hash::Hash,
{
    match result {
        Ok((object, _)) => tracing::debug!(%object, "reconciled"),
        Err(error) => tracing::warn!(%error, "controller error"),
    }
}
